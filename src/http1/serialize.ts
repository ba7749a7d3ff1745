/**
 * Serialisers for HTTP/1.1 request heads, interim and final response heads,
 * and chunked body framing. Every name, value, method, target and reason is
 * validated, so no caller can inject a line break. The caller chooses the
 * framing by putting `content-length` or `transfer-encoding: chunked` in the
 * headers. This module is browser compatible.
 *
 * @module
 */

import { isToken } from "./_bytes.ts";
import { Http1Error } from "./errors.ts";
import { reasonPhrase } from "./reason_phrase.ts";
import type { HeaderList } from "./types.ts";
import { validateHeaderName } from "./validate.ts";

const encoder = new TextEncoder();

/**
 * Serialises a request head: `method SP target SP HTTP/1.1 CRLF`, the
 * fields, and the empty line.
 *
 * @param method The method, a token (e.g. "GET").
 * @param target The request-target (e.g. "/path?q=1"); visible ASCII only.
 * @param headers The fields in order, names as given; include `host` and framing fields.
 * @returns The bytes of the head.
 * @throws {Http1Error} LOCAL_PROTOCOL_ERROR for an invalid method, target, name or value.
 *
 * @example Writing a GET request
 * ```ts
 * import assert from "node:assert/strict";
 * import { encodeRequestHead } from "./serialize.ts";
 * const bytes = encodeRequestHead("GET", "/", [["host", "example.com"]]);
 * assert.equal(
 *   new TextDecoder().decode(bytes),
 *   "GET / HTTP/1.1\r\nhost: example.com\r\n\r\n",
 * );
 * ```
 */
export function encodeRequestHead(
  method: string,
  target: string,
  headers: HeaderList,
): Uint8Array {
  if (!isToken(method)) {
    throw new Http1Error("LOCAL_PROTOCOL_ERROR", `invalid method ${JSON.stringify(method)}`);
  }
  if (!isRequestTarget(target)) {
    throw new Http1Error(
      "LOCAL_PROTOCOL_ERROR",
      `invalid request-target ${JSON.stringify(target)}: must be non-empty visible ASCII`,
    );
  }
  return encodeHead(`${method} ${target} HTTP/1.1\r\n`, false, headers);
}

/**
 * Serialises an interim response head such as `103 Early Hints`. It may be
 * sent any number of times before the final response (RFC 9110 section 15.2).
 *
 * @param status 100-199, except 101 (which is final: use {@linkcode encodeResponseHead}).
 * @param headers The fields in order, e.g. several `link` fields.
 * @returns The bytes of the head.
 * @throws {Http1Error} LOCAL_PROTOCOL_ERROR for a bad status, name or value.
 *
 * @example Writing 103 Early Hints
 * ```ts
 * import assert from "node:assert/strict";
 * import { encodeInformational } from "./serialize.ts";
 * const bytes = encodeInformational(103, [["x-pod-name", "worker-1"]]);
 * assert.equal(
 *   new TextDecoder().decode(bytes),
 *   "HTTP/1.1 103 Early Hints\r\nx-pod-name: worker-1\r\n\r\n",
 * );
 * ```
 */
export function encodeInformational(
  status: number,
  headers: HeaderList,
): Uint8Array {
  return toBytes(serializeInformational(status, headers));
}

/**
 * Serialises an interim response head like {@linkcode encodeInformational},
 * as text where it can: a string when the head is ASCII (send it as UTF-8,
 * which for ASCII is the same bytes), else the bytes (obs-text in a value is
 * one byte per character). Sockets that write strings natively (Node, Bun)
 * then skip an encoder call and an allocation.
 *
 * @param status 100-199, except 101.
 * @param headers The fields in order.
 * @returns The head as ASCII text, or as bytes.
 * @throws {Http1Error} LOCAL_PROTOCOL_ERROR for a bad status, name or value.
 *
 * @example An ASCII head comes back as text
 * ```ts
 * import assert from "node:assert/strict";
 * import { serializeInformational } from "./serialize.ts";
 * const head = serializeInformational(103, [["link", "</a.css>; rel=preload"]]);
 * assert.equal(head, "HTTP/1.1 103 Early Hints\r\nlink: </a.css>; rel=preload\r\n\r\n");
 * ```
 */
export function serializeInformational(
  status: number,
  headers: HeaderList,
): string | Uint8Array {
  if (!Number.isInteger(status) || status < 100 || status > 199 || status === 101) {
    throw new Http1Error(
      "LOCAL_PROTOCOL_ERROR",
      `invalid interim status ${status}: must be 100-199 and not 101`,
    );
  }
  const text = headText(`HTTP/1.1 ${status} ${reasonPhrase(status)}\r\n`, false, headers);
  return headWide ? encodeLatin1(text) : text;
}

/**
 * Serialises a final response head (or a 101).
 *
 * @param status 200-999, or 101.
 * @param reason The reason phrase; undefined for the registered one (see
 * {@linkcode reasonPhrase}).
 * @param headers The fields in order, including the framing fields chosen by the caller.
 * @returns The bytes of the head.
 * @throws {Http1Error} LOCAL_PROTOCOL_ERROR for a bad status, reason, name or value.
 *
 * @example Writing a chunked 200 response
 * ```ts
 * import assert from "node:assert/strict";
 * import { encodeResponseHead } from "./serialize.ts";
 * const bytes = encodeResponseHead(200, undefined, [["transfer-encoding", "chunked"]]);
 * assert.equal(
 *   new TextDecoder().decode(bytes),
 *   "HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n",
 * );
 * ```
 */
export function encodeResponseHead(
  status: number,
  reason: string | undefined,
  headers: HeaderList,
): Uint8Array {
  checkFinalStatus(status);
  const phrase = reason ?? reasonPhrase(status);
  const wide = checkValue(phrase, "reason phrase");
  return encodeHead(`HTTP/1.1 ${status} ${phrase}\r\n`, wide, headers);
}

/**
 * Serialises a final response head followed by a body given as text, in one
 * buffer: the head as {@linkcode encodeResponseHead} writes it, the body as
 * UTF-8. One encoding pass and no copy, where encoding the two apart and
 * joining them costs a second encoder call and a copy per response. The
 * caller frames the body (e.g. `content-length` with its UTF-8 length, see
 * {@linkcode utf8Length}).
 *
 * @param status 200-999, or 101.
 * @param reason The reason phrase; undefined for the registered one.
 * @param headers The fields in order, including the framing fields.
 * @param body The body text, encoded as UTF-8.
 * @returns The bytes of the head and body.
 * @throws {Http1Error} LOCAL_PROTOCOL_ERROR for a bad status, reason, name or value.
 *
 * @example A small text response
 * ```ts
 * import assert from "node:assert/strict";
 * import { encodeResponse } from "./serialize.ts";
 * const bytes = encodeResponse(200, undefined, [["content-length", "2"]], "hi");
 * assert.equal(
 *   new TextDecoder().decode(bytes),
 *   "HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nhi",
 * );
 * ```
 */
export function encodeResponse(
  status: number,
  reason: string | undefined,
  headers: HeaderList,
  body: string,
): Uint8Array {
  return toBytes(serializeResponse(status, reason, headers, body));
}

/**
 * Serialises a final response head and a text body like
 * {@linkcode encodeResponse}, as text where it can: one string (to be sent
 * as UTF-8) when the head is ASCII, else the bytes.
 *
 * @param status 200-999, or 101.
 * @param reason The reason phrase; undefined for the registered one.
 * @param headers The fields in order, including the framing fields.
 * @param body The body text.
 * @returns The response as text to send as UTF-8, or as bytes.
 * @throws {Http1Error} LOCAL_PROTOCOL_ERROR for a bad status, reason, name or value.
 *
 * @example A small text response
 * ```ts
 * import assert from "node:assert/strict";
 * import { serializeResponse } from "./serialize.ts";
 * const wire = serializeResponse(200, undefined, [["content-length", "2"]], "hi");
 * assert.equal(wire, "HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nhi");
 * ```
 */
export function serializeResponse(
  status: number,
  reason: string | undefined,
  headers: HeaderList,
  body: string,
): string | Uint8Array {
  checkFinalStatus(status);
  const phrase = reason ?? reasonPhrase(status);
  const wide = checkValue(phrase, "reason phrase");
  const text = headText(`HTTP/1.1 ${status} ${phrase}\r\n`, wide, headers);
  if (!headWide) return text + body;
  // obs-text in the head is one byte per character, the body is UTF-8.
  const head = encodeLatin1(text);
  const bytes = encoder.encode(body);
  const out = new Uint8Array(head.byteLength + bytes.byteLength);
  out.set(head);
  out.set(bytes, head.byteLength);
  return out;
}

/**
 * Encodes what the `serialize*` functions return: text as UTF-8, bytes as
 * they are.
 *
 * @param wire A string or bytes.
 * @returns The bytes.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { toBytes } from "./serialize.ts";
 * assert.equal(toBytes("ok").byteLength, 2);
 * ```
 */
export function toBytes(wire: string | Uint8Array): Uint8Array {
  return typeof wire === "string" ? encoder.encode(wire) : wire;
}

/**
 * The number of bytes `new TextEncoder().encode(text)` produces, counted
 * without encoding (a lone surrogate becomes U+FFFD, three bytes).
 *
 * @param text Any string.
 * @returns Its UTF-8 length in bytes.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { utf8Length } from "./serialize.ts";
 * assert.equal(utf8Length("h\u00e9\u{1f600}"), 7);
 * ```
 */
export function utf8Length(text: string): number {
  let length = text.length;
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code < 0x80) continue;
    if (code < 0x800) length += 1;
    else if (
      code >= 0xd800 && code <= 0xdbff && i + 1 < text.length &&
      (text.charCodeAt(i + 1) & 0xfc00) === 0xdc00
    ) {
      // A surrogate pair: two code units, four bytes.
      length += 2;
      i++;
    } else length += 2;
  }
  return length;
}

/**
 * Frames one chunk of a chunked body: `<hex size> CRLF data CRLF` (RFC 9112
 * section 7.1). An empty `data` gives empty bytes, since a zero-size chunk
 * would end the body.
 *
 * @param data The chunk content.
 * @returns The framed chunk (a new array).
 *
 * @example Framing a chunk
 * ```ts
 * import assert from "node:assert/strict";
 * import { encodeChunk } from "./serialize.ts";
 * const framed = encodeChunk(new TextEncoder().encode("hello"));
 * assert.equal(new TextDecoder().decode(framed), "5\r\nhello\r\n");
 * ```
 */
export function encodeChunk(data: Uint8Array): Uint8Array {
  const length = data.length;
  if (length === 0) return new Uint8Array(0);
  const size = length.toString(16);
  const out = new Uint8Array(size.length + length + 4);
  let at = encoder.encodeInto(size, out).written;
  out[at++] = 0x0d;
  out[at++] = 0x0a;
  out.set(data, at);
  at += length;
  out[at++] = 0x0d;
  out[at] = 0x0a;
  return out;
}

/**
 * The last chunk with no trailers, `0 CRLF CRLF`, ending a chunked body.
 * Shared: do not mutate it.
 *
 * @example Ending a chunked body
 * ```ts
 * import assert from "node:assert/strict";
 * import { LAST_CHUNK } from "./serialize.ts";
 * assert.equal(new TextDecoder().decode(LAST_CHUNK), "0\r\n\r\n");
 * ```
 */
export const LAST_CHUNK: Uint8Array = encoder.encode("0\r\n\r\n");

/**
 * The last chunk followed by trailer fields (RFC 9112 section 7.1.2).
 *
 * @param trailers The trailer fields in order (may be empty).
 * @returns The bytes ending the chunked body.
 * @throws {Http1Error} LOCAL_PROTOCOL_ERROR for an invalid name or value.
 *
 * @example Ending a body with a trailer
 * ```ts
 * import assert from "node:assert/strict";
 * import { encodeLastChunk } from "./serialize.ts";
 * const bytes = encodeLastChunk([["server-timing", "total;dur=12"]]);
 * assert.equal(
 *   new TextDecoder().decode(bytes),
 *   "0\r\nserver-timing: total;dur=12\r\n\r\n",
 * );
 * ```
 */
export function encodeLastChunk(trailers: HeaderList): Uint8Array {
  return encodeHead("0\r\n", false, trailers);
}

function checkFinalStatus(status: number): void {
  if (
    !Number.isInteger(status) || status > 999 ||
    (status < 200 && status !== 101)
  ) {
    throw new Http1Error(
      "LOCAL_PROTOCOL_ERROR",
      `invalid final status ${status}: must be 200-999 or 101 (use encodeInformational for 1xx)`,
    );
  }
}

function encodeHead(
  startLine: string,
  startLineWide: boolean,
  headers: HeaderList,
): Uint8Array {
  const text = headText(startLine, startLineWide, headers);
  // ASCII is UTF-8; obs-text must be written one byte per character.
  return headWide ? encodeLatin1(text) : encoder.encode(text);
}

/** Whether the last `headText()` holds obs-text (a module variable: no result object per head). */
let headWide = false;

/** The validated text of a head, ending with the empty line; sets `headWide`. */
function headText(
  startLine: string,
  startLineWide: boolean,
  headers: HeaderList,
): string {
  let text = startLine;
  let wide = startLineWide;
  for (let i = 0; i < headers.length; i++) {
    const [name, value] = headers[i]!;
    validateHeaderName(name);
    if (checkValue(value, name)) wide = true;
    text += `${name}: ${value}\r\n`;
  }
  headWide = wide;
  return text + "\r\n";
}

/**
 * Throws on characters a field value may not hold (RFC 9110 section 5.5);
 * returns whether it holds obs-text (U+0080-U+00FF).
 */
function checkValue(value: string, name: string): boolean {
  let wide = false;
  for (let i = 0; i < value.length; i++) {
    const code = value.charCodeAt(i);
    if (code < 0x20 ? code !== 0x09 : code === 0x7f || code > 0xff) {
      throw new Http1Error(
        "LOCAL_PROTOCOL_ERROR",
        `invalid character U+${code.toString(16).padStart(4, "0")} in ${name}`,
      );
    }
    if (code > 0x7f) wide = true;
  }
  return wide;
}

function isRequestTarget(target: string): boolean {
  if (target.length === 0) return false;
  for (let i = 0; i < target.length; i++) {
    const code = target.charCodeAt(i);
    if (code <= 0x20 || code >= 0x7f) return false;
  }
  return true;
}

function encodeLatin1(text: string): Uint8Array {
  const out = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) out[i] = text.charCodeAt(i);
  return out;
}
