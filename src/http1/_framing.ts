/**
 * Reads the fields that decide message framing and connection reuse
 * (Content-Length, Transfer-Encoding, Connection, Host, Expect) and applies
 * RFC 9112 section 6.3. Private to the engine.
 *
 * @module
 */

import { Http1Error } from "./errors.ts";
import type { BodyFraming, HeaderList } from "./types.ts";

/** What the framing-related fields of a head say. */
export interface FieldFacts {
  /** The Content-Length, or -1 when absent. */
  contentLength: number;
  /** The transfer codings in order, lower-cased; undefined when absent. */
  transferCodings: string[] | undefined;
  /** `Connection: close` was present. */
  connectionClose: boolean;
  /** `Connection: keep-alive` was present. */
  connectionKeepAlive: boolean;
  /** How many Host fields were present. */
  hostCount: number;
  /** The value of the (last) Host field, or undefined. */
  host: string | undefined;
  /** `Expect: 100-continue` was present. */
  expectContinue: boolean;
}

/** Collects the framing facts of `fields`, rejecting malformed Content-Length. */
export function readFieldFacts(fields: HeaderList): FieldFacts {
  const facts: FieldFacts = {
    contentLength: -1,
    transferCodings: undefined,
    connectionClose: false,
    connectionKeepAlive: false,
    hostCount: 0,
    host: undefined,
    expectContinue: false,
  };
  for (let i = 0; i < fields.length; i++) {
    const field = fields[i]!;
    switch (field[0]) {
      case "content-length":
        facts.contentLength = mergeContentLength(facts.contentLength, field[1]);
        break;
      case "transfer-encoding":
        facts.transferCodings = addTransferCodings(facts.transferCodings, field[1]);
        break;
      case "connection":
        readConnectionOptions(facts, field[1]);
        break;
      case "host":
        facts.hostCount++;
        facts.host = field[1];
        break;
      case "expect":
        if (field[1].toLowerCase() === "100-continue") facts.expectContinue = true;
        break;
    }
  }
  return facts;
}

function readConnectionOptions(facts: FieldFacts, value: string): void {
  // Fast path for the common single option.
  const options = value.indexOf(",") === -1 ? [trimOws(value)] : splitList(value);
  for (const option of options) {
    const token = option.length === 5 || option.length === 10 ? option.toLowerCase() : "";
    if (token === "close") facts.connectionClose = true;
    else if (token === "keep-alive") facts.connectionKeepAlive = true;
  }
}

/**
 * Each Content-Length value is a list of 1*DIGIT; identical values (in one
 * field or several) collapse to one, anything else is fatal (RFC 9110
 * section 8.6, RFC 9112 section 6.3 item 5).
 */
function mergeContentLength(previous: number, value: string): number {
  if (value.indexOf(",") === -1) {
    const length = parseDecimal(trimOws(value));
    if (previous !== -1 && previous !== length) {
      throw new Http1Error("INVALID_FRAMING", "differing Content-Length values");
    }
    return length;
  }
  let merged = previous;
  for (const element of value.split(",")) {
    const length = parseDecimal(trimOws(element));
    if (merged !== -1 && merged !== length) {
      throw new Http1Error("INVALID_FRAMING", "differing Content-Length values");
    }
    merged = length;
  }
  return merged;
}

function parseDecimal(text: string): number {
  if (text.length === 0) {
    throw new Http1Error("INVALID_FRAMING", "empty Content-Length");
  }
  let value = 0;
  for (let i = 0; i < text.length; i++) {
    const digit = text.charCodeAt(i) - 0x30;
    if (digit < 0 || digit > 9) {
      throw new Http1Error("INVALID_FRAMING", "Content-Length is not a decimal number");
    }
    value = value * 10 + digit;
  }
  if (value > Number.MAX_SAFE_INTEGER) {
    throw new Http1Error("INVALID_FRAMING", "Content-Length is too large");
  }
  return value;
}

function addTransferCodings(codings: string[] | undefined, value: string): string[] {
  const list = codings ?? [];
  for (const element of splitList(value)) list.push(element.toLowerCase());
  return list;
}

// A comma-separated list with OWS; empty elements are skipped (RFC 9110 section 5.6.1).
function splitList(value: string): string[] {
  const out: string[] = [];
  for (const element of value.split(",")) {
    const trimmed = trimOws(element);
    if (trimmed.length > 0) out.push(trimmed);
  }
  return out;
}

function trimOws(text: string): string {
  let start = 0;
  let end = text.length;
  while (start < end && isOws(text.charCodeAt(start))) start++;
  while (end > start && isOws(text.charCodeAt(end - 1))) end--;
  return start === 0 && end === text.length ? text : text.slice(start, end);
}

function isOws(code: number): boolean {
  return code === 0x20 || code === 0x09;
}

// Transfer codings registered with IANA that this engine recognises by name.
const KNOWN_CODINGS = new Set([
  "chunked",
  "compress",
  "deflate",
  "gzip",
  "x-compress",
  "x-gzip",
]);

/**
 * The framing of a request body (RFC 9112 section 6.3 items 3-6), for
 * `method` as sent (methods are case-sensitive).
 *
 * A CONNECT request has no content (RFC 9110 section 9.3.6): what follows its
 * head is tunnel data. One that declares content (Content-Length above 0, or
 * Transfer-Encoding) is INVALID_FRAMING, because peers frame it differently:
 * llhttp ignores the fields and starts the tunnel, Go and h11 read a body and
 * then another request. Either reading of such bytes could be a smuggled
 * request to a peer that chose the other one.
 */
export function requestFraming(
  facts: FieldFacts,
  method: string,
  minorVersion: 0 | 1,
): BodyFraming {
  const codings = facts.transferCodings;
  if (method === "CONNECT") {
    if (codings !== undefined || facts.contentLength > 0) {
      throw new Http1Error(
        "INVALID_FRAMING",
        "CONNECT request with content (RFC 9110 section 9.3.6)",
      );
    }
    return "none";
  }
  if (codings === undefined) return facts.contentLength === -1 ? "none" : "length";
  if (facts.contentLength !== -1) {
    throw new Http1Error(
      "INVALID_FRAMING",
      "request has both Content-Length and Transfer-Encoding (RFC 9112 section 6.1)",
    );
  }
  if (minorVersion === 0) {
    // RFC 9112 section 6.1: an HTTP/1.0 message with Transfer-Encoding has faulty framing.
    throw new Http1Error("INVALID_FRAMING", "HTTP/1.0 request with Transfer-Encoding");
  }
  checkChunkedOnce(codings);
  const last = codings[codings.length - 1];
  if (codings.some((coding) => !KNOWN_CODINGS.has(coding))) {
    throw new Http1Error(
      "UNSUPPORTED_TRANSFER_ENCODING",
      `unsupported transfer coding in "${codings.join(", ")}"`,
    );
  }
  if (last !== "chunked") {
    throw new Http1Error(
      "INVALID_FRAMING",
      "request Transfer-Encoding does not end with chunked (RFC 9112 section 6.3)",
    );
  }
  if (codings.length > 1) {
    // Only chunked is decoded; a request body in another transfer coding
    // would reach the application still encoded.
    throw new Http1Error(
      "UNSUPPORTED_TRANSFER_ENCODING",
      `unsupported transfer coding in "${codings.join(", ")}"`,
    );
  }
  return "chunked";
}

/**
 * The framing of a final response that may have a body (RFC 9112 section 6.3
 * items 3-7). Content-Length with Transfer-Encoding is rejected unless
 * `lenient` (then Transfer-Encoding wins, item 3, and the caller must not
 * reuse the connection): the combination is the classic smuggling vector and
 * no correct server sends it.
 */
export function responseFraming(facts: FieldFacts, lenient: boolean): BodyFraming {
  const codings = facts.transferCodings;
  if (codings === undefined) return facts.contentLength === -1 ? "close" : "length";
  if (!lenient) checkNoBodyFraming(facts);
  checkChunkedOnce(codings);
  // A response whose final coding is not chunked is delimited by close.
  return codings[codings.length - 1] === "chunked" ? "chunked" : "close";
}

/** Rejects a message with both Content-Length and Transfer-Encoding (RFC 9112 section 6.1). */
export function checkNoBodyFraming(facts: FieldFacts): void {
  if (facts.transferCodings !== undefined && facts.contentLength !== -1) {
    throw new Http1Error(
      "INVALID_FRAMING",
      "response has both Content-Length and Transfer-Encoding (RFC 9112 section 6.1)",
    );
  }
}

function checkChunkedOnce(codings: string[]): void {
  if (codings.length === 0) {
    throw new Http1Error("INVALID_FRAMING", "empty Transfer-Encoding");
  }
  let chunked = 0;
  for (const coding of codings) if (coding === "chunked") chunked++;
  if (chunked > 1) {
    throw new Http1Error("INVALID_FRAMING", "chunked applied more than once (RFC 9112 section 7)");
  }
}
