/**
 * The incremental HTTP/1.1 request parser (server side). This module is
 * browser compatible.
 *
 * @module
 */

import { ByteQueue } from "./_byte_queue.ts";
import { BodyDecoder } from "./_body_decoder.ts";
import { FieldSectionReader } from "./_field_section.ts";
import { readFieldFacts, requestFraming } from "./_framing.ts";
import { isTargetFormAllowed, isValidHost } from "./_host.ts";
import { findLineEnd, lineContentEnd, skipEmptyLine } from "./_lines.ts";
import { resolveLimits } from "./_options.ts";
import { parseRequestLine, type RequestLine } from "./_start_line.ts";
import { Http1Error } from "./errors.ts";
import type { ParserLimits, RequestEvent, RequestHead } from "./types.ts";

/**
 * Options of a {@linkcode RequestParser}: limits plus the bare-LF switch.
 *
 * @example Tighter limits and tolerance for bare LF
 * ```ts
 * import assert from "node:assert/strict";
 * import { RequestParser } from "./request_parser.ts";
 * const parser = new RequestParser({ maxHeaderBytes: 16_384, allowBareLf: true });
 * parser.push(new TextEncoder().encode("GET / HTTP/1.1\nHost: a\n\n"));
 * assert.ok(parser.next()?.kind === "request");
 * ```
 */
export interface RequestParserOptions extends Partial<ParserLimits> {
  /**
   * Accept a bare LF as a line terminator (RFC 9112 section 2.2 allows it,
   * but a front proxy that disagrees makes it a smuggling vector). Default
   * false: a bare LF is BAD_SYNTAX.
   */
  allowBareLf?: boolean;
}

const START_LINE = 0;
const HEADERS = 1;
const BODY = 2;
type State = 0 | 1 | 2;

/**
 * Turns request bytes into {@linkcode RequestEvent}s: for each request one
 * `request` head, zero or more `data` chunks, then `end`. Requests may be
 * pipelined and the bytes may arrive in pieces of any size.
 *
 * Strict by default (RFC 9110, RFC 9112): Content-Length with
 * Transfer-Encoding, differing Content-Lengths, obs-fold, bare CR, bare LF,
 * control bytes in values, a missing or repeated Host on HTTP/1.1 and a
 * CONNECT declaring content are rejected with an {@linkcode Http1Error} whose
 * `status` is the answer to send. Up to 8 bytes of empty lines before a
 * request line are skipped. After an error the parser is dead: `next()` throws the same error.
 *
 * @example Parsing a request with a body
 * ```ts
 * import assert from "node:assert/strict";
 * import { RequestParser } from "./request_parser.ts";
 * const parser = new RequestParser();
 * parser.push(new TextEncoder().encode(
 *   "POST /upload HTTP/1.1\r\nHost: example.com\r\nContent-Length: 5\r\n\r\nhello",
 * ));
 * const head = parser.next();
 * assert.ok(head?.kind === "request" && head.method === "POST");
 * const data = parser.next();
 * assert.ok(data?.kind === "data" && data.data.length === 5);
 * assert.ok(parser.next()?.kind === "end");
 * assert.equal(parser.next(), undefined); // needs more bytes
 * ```
 */
export class RequestParser {
  readonly #queue = new ByteQueue();
  readonly #limits: ParserLimits;
  readonly #allowBareLf: boolean;
  readonly #fields: FieldSectionReader;
  readonly #body: BodyDecoder;
  #state: State = START_LINE;
  #line: RequestLine | undefined;
  // Bytes of empty lines skipped before the current request line.
  #emptyLineBytes = 0;
  #eof = false;
  #error: Http1Error | undefined;

  /**
   * Creates a parser.
   *
   * @param options Limits (defaults in `DEFAULT_LIMITS`) and `allowBareLf`.
   * @throws {Http1Error} LOCAL_PROTOCOL_ERROR for a negative or non-numeric limit.
   */
  constructor(options?: RequestParserOptions) {
    this.#limits = resolveLimits(options);
    this.#allowBareLf = options?.allowBareLf ?? false;
    this.#fields = new FieldSectionReader(
      this.#limits.maxHeaderBytes,
      this.#limits.maxHeaderCount,
      this.#allowBareLf,
      // RFC 9112 section 5.2: a server may reject obs-fold in a request.
      false,
      "header section",
    );
    this.#body = new BodyDecoder(this.#limits, this.#allowBareLf, false);
  }

  /** The number of bytes held but not yet consumed by `next()`. */
  get buffered(): number {
    return this.#queue.size;
  }

  /**
   * Appends received bytes. The chunk is used in place, not copied, unless
   * part of a message element is already pending; it must not be mutated
   * afterwards since `data` events may be views into it. Ignored once the
   * parser has failed.
   *
   * @param chunk The bytes received.
   * @throws {Http1Error} LOCAL_PROTOCOL_ERROR after `finish()`.
   */
  push(chunk: Uint8Array): void {
    if (this.#error !== undefined) return;
    if (this.#eof) {
      throw new Http1Error("LOCAL_PROTOCOL_ERROR", "push() after finish()");
    }
    this.#queue.push(chunk);
  }

  /**
   * Records that the peer closed its side (EOF). A request cut short makes
   * the next `next()` throw INCOMPLETE_MESSAGE; EOF between requests is fine.
   */
  finish(): void {
    this.#eof = true;
  }

  /**
   * Returns the next event, or undefined when more bytes are needed (or,
   * after `finish()`, when the stream ended cleanly between requests).
   *
   * @returns The next {@linkcode RequestEvent}, or undefined.
   * @throws {Http1Error} The protocol error; the same one on every later call.
   */
  next(): RequestEvent | undefined {
    if (this.#error !== undefined) throw this.#error;
    try {
      return this.#step();
    } catch (error) {
      if (error instanceof Http1Error) this.#error = error;
      throw error;
    }
  }

  /**
   * Removes and returns the bytes not consumed yet, for a connection that
   * leaves HTTP (after a CONNECT or an accepted Upgrade): the caller stops
   * calling `next()` after that request's `end` and hands these bytes on.
   *
   * @returns A copy of the unconsumed bytes (possibly empty).
   */
  takeRemaining(): Uint8Array {
    return this.#queue.takeAll();
  }

  #step(): RequestEvent | undefined {
    const queue = this.#queue;
    if (this.#state === BODY) {
      const event = this.#body.next(queue, this.#eof);
      if (event !== undefined && event.kind === "end") this.#state = START_LINE;
      return event;
    }
    if (this.#state === START_LINE) {
      for (;;) {
        if (queue.size === 0) return undefined;
        const lf = findLineEnd(
          queue,
          this.#limits.maxStartLineBytes,
          "URI_TOO_LONG",
          "request line",
        );
        if (lf === -1) return this.#needMore();
        const start = queue.start;
        const end = lineContentEnd(queue, lf, this.#allowBareLf);
        if (end === start) {
          // RFC 9112 section 2.2: empty lines before a request line are ignored.
          this.#emptyLineBytes = skipEmptyLine(
            this.#emptyLineBytes,
            lf + 1 - start,
            "request line",
          );
          queue.consume(lf + 1 - start);
          continue;
        }
        const line = parseRequestLine(queue.bytes, start, end);
        if (!isTargetFormAllowed(line.method, line.target)) {
          throw new Http1Error(
            "BAD_SYNTAX",
            `request-target form not allowed for ${line.method} (RFC 9112 section 3.2)`,
          );
        }
        this.#line = line;
        this.#emptyLineBytes = 0;
        queue.consume(lf + 1 - start);
        this.#fields.reset();
        this.#state = HEADERS;
        break;
      }
    }
    if (!this.#fields.read(queue)) return this.#needMore();
    const head = this.#buildHead(this.#line as RequestLine);
    this.#body.begin(head.framing, head.contentLength);
    this.#state = BODY;
    return head;
  }

  #needMore(): undefined {
    if (this.#eof) {
      throw new Http1Error(
        "INCOMPLETE_MESSAGE",
        "connection closed in the middle of a request head",
      );
    }
    return undefined;
  }

  #buildHead(line: RequestLine): RequestHead {
    const headers = this.#fields.fields;
    const facts = readFieldFacts(headers);
    const minorVersion = line.minorVersion;
    // RFC 9112 section 3.2: exactly one Host in HTTP/1.1, never several.
    if (facts.hostCount > 1 || (minorVersion === 1 && facts.hostCount === 0)) {
      throw new Http1Error(
        "INVALID_HOST",
        facts.hostCount === 0 ? "HTTP/1.1 request without Host" : "several Host fields",
      );
    }
    if (facts.host !== undefined && !isValidHost(facts.host)) {
      throw new Http1Error("INVALID_HOST", 'Host is not uri-host [ ":" port ]');
    }
    const framing = requestFraming(facts, line.method, minorVersion);
    if (framing === "length" && facts.contentLength > this.#limits.maxBodyBytes) {
      throw new Http1Error(
        "BODY_TOO_LARGE",
        `Content-Length ${facts.contentLength} exceeds ${this.#limits.maxBodyBytes} bytes`,
      );
    }
    return {
      kind: "request",
      method: line.method,
      target: line.target,
      minorVersion,
      headers,
      framing,
      contentLength: framing === "length" ? facts.contentLength : -1,
      keepAlive: minorVersion === 1
        ? !facts.connectionClose
        : facts.connectionKeepAlive && !facts.connectionClose,
      expectContinue: minorVersion === 1 && facts.expectContinue,
    };
  }
}
