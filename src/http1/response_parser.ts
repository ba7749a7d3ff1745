/**
 * The incremental HTTP/1.1 response parser (client side), with interim (1xx)
 * responses as events of their own. This module is browser compatible.
 *
 * @module
 */

import { ByteQueue } from "./_byte_queue.ts";
import { BodyDecoder } from "./_body_decoder.ts";
import { FieldSectionReader } from "./_field_section.ts";
import { checkNoBodyFraming, readFieldFacts, responseFraming } from "./_framing.ts";
import { findLineEnd, lineContentEnd, skipEmptyLine } from "./_lines.ts";
import { resolveLimits } from "./_options.ts";
import { parseStatusLine, type StatusLine } from "./_start_line.ts";
import { Http1Error } from "./errors.ts";
import type {
  BodyFraming,
  InformationalHead,
  ParserLimits,
  ResponseEvent,
  ResponseHead,
} from "./types.ts";

/**
 * Options of a {@linkcode ResponseParser}: limits, the bare-LF switch and the
 * Content-Length + Transfer-Encoding leniency.
 *
 * @example Accepting at most 5 interim responses, like Go's older clients
 * ```ts
 * import assert from "node:assert/strict";
 * import { ResponseParser } from "./response_parser.ts";
 * const parser = new ResponseParser({ maxInformational: 5 });
 * parser.expect("GET");
 * parser.push(new TextEncoder().encode("HTTP/1.1 103 Early Hints\r\n\r\n".repeat(6)));
 * let code = "";
 * try {
 *   while (parser.next() !== undefined);
 * } catch (error) {
 *   code = (error as { code: string }).code;
 * }
 * assert.equal(code, "TOO_MANY_INFORMATIONAL");
 * ```
 */
export interface ResponseParserOptions extends Partial<ParserLimits> {
  /**
   * Accept a bare LF as a line terminator. Default true: RFC 9112 section 2.2
   * lets a recipient accept it, and Go and browsers do; the client trusts
   * the server it chose, so tolerance costs no safety. Set false to be strict.
   */
  allowBareLf?: boolean;
  /**
   * Accept a response with both Content-Length and Transfer-Encoding, letting
   * Transfer-Encoding win (RFC 9112 section 6.3 item 3); such a response is
   * never keep-alive. Default false: it is INVALID_FRAMING, since no correct
   * server sends both and the disagreement is what smuggling exploits.
   */
  allowTransferEncodingWithContentLength?: boolean;
}

const STATUS_LINE = 0;
const HEADERS = 1;
const BODY = 2;
const SWITCHED = 3;
type State = 0 | 1 | 2 | 3;

/**
 * Turns response bytes into {@linkcode ResponseEvent}s: for each request sent,
 * zero or more `informational` heads (1xx other than 101, each its own event,
 * in order), one `response` head, zero or more `data` chunks, then `end`.
 *
 * Call `expect(method)` once per request written, in order: a reply to HEAD,
 * 1xx, 204 and 304 have no body, and a 2xx to CONNECT or a 101 ends HTTP on
 * the connection (`takeRemaining()` returns the bytes after it). A response
 * with neither Content-Length nor chunked coding is read until `finish()`.
 * Content-Length together with Transfer-Encoding is rejected (INVALID_FRAMING)
 * by default. Empty lines before a status line are skipped (at most
 * `MAX_EMPTY_LINE_BYTES`, 8 bytes, before each) and an obs-fold is replaced
 * with SP (RFC 9112 section 5.2). After an error the parser is dead: `next()`
 * throws it again.
 *
 * @example Reading a 103 Early Hints before the final response
 * ```ts
 * import assert from "node:assert/strict";
 * import { ResponseParser } from "./response_parser.ts";
 * const parser = new ResponseParser();
 * parser.expect("GET");
 * parser.push(new TextEncoder().encode(
 *   "HTTP/1.1 103 Early Hints\r\nLink: </a.css>; rel=preload\r\n\r\n" +
 *     "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok",
 * ));
 * const hint = parser.next();
 * assert.ok(hint?.kind === "informational" && hint.status === 103);
 * const head = parser.next();
 * assert.ok(head?.kind === "response" && head.status === 200);
 * assert.ok(parser.next()?.kind === "data");
 * assert.ok(parser.next()?.kind === "end");
 * ```
 */
export class ResponseParser {
  readonly #queue = new ByteQueue();
  readonly #limits: ParserLimits;
  readonly #fields: FieldSectionReader;
  readonly #body: BodyDecoder;
  readonly #allowBareLf: boolean;
  readonly #lenientFraming: boolean;
  readonly #methods: string[] = [];
  #methodIndex = 0;
  #state: State = STATUS_LINE;
  #line: StatusLine | undefined;
  #informational = 0;
  // Bytes of empty lines skipped before the current status line.
  #emptyLineBytes = 0;
  // The current final response ends HTTP on the connection (101, 2xx to CONNECT).
  #switching = false;
  #eof = false;
  #error: Http1Error | undefined;

  /**
   * Creates a parser.
   *
   * @param options Limits (defaults in `DEFAULT_LIMITS`) and `allowBareLf`.
   * @throws {Http1Error} LOCAL_PROTOCOL_ERROR for a negative or non-numeric limit.
   */
  constructor(options?: ResponseParserOptions) {
    this.#limits = resolveLimits(options);
    this.#allowBareLf = options?.allowBareLf ?? true;
    this.#lenientFraming = options?.allowTransferEncodingWithContentLength ?? false;
    this.#fields = new FieldSectionReader(
      this.#limits.maxHeaderBytes,
      this.#limits.maxHeaderCount,
      this.#allowBareLf,
      // RFC 9112 section 5.2: a user agent replaces obs-fold with SP.
      true,
      "header section",
    );
    this.#body = new BodyDecoder(this.#limits, this.#allowBareLf, true);
  }

  /** The number of bytes held but not yet consumed by `next()`. */
  get buffered(): number {
    return this.#queue.size;
  }

  /**
   * Records the method of a request written on this connection; call once
   * per request, in order. A response arriving with no expectation left is
   * framed as the reply to a GET.
   *
   * @param method The request method, e.g. "GET" or "HEAD" (case-sensitive).
   */
  expect(method: string): void {
    this.#methods.push(method);
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
   * Records that the peer closed its side (EOF): it ends a body delimited by
   * close with an `end` event; a response cut short (or EOF after an interim
   * response, before the final one) makes `next()` throw INCOMPLETE_MESSAGE;
   * EOF between exchanges is fine.
   */
  finish(): void {
    this.#eof = true;
  }

  /**
   * Returns the next event, or undefined when more bytes are needed (or when
   * parsing ended: clean EOF, or after a 101 / 2xx-to-CONNECT exchange).
   *
   * @returns The next {@linkcode ResponseEvent}, or undefined.
   * @throws {Http1Error} The protocol error; the same one on every later call.
   */
  next(): ResponseEvent | undefined {
    if (this.#error !== undefined) throw this.#error;
    try {
      return this.#step();
    } catch (error) {
      if (error instanceof Http1Error) this.#error = error;
      throw error;
    }
  }

  /**
   * Removes and returns the bytes not consumed yet. After a 101 (Switching
   * Protocols) or a 2xx reply to CONNECT and its `end` event, these are the
   * first bytes of the other protocol.
   *
   * @returns A copy of the unconsumed bytes (possibly empty).
   */
  takeRemaining(): Uint8Array {
    return this.#queue.takeAll();
  }

  #step(): ResponseEvent | undefined {
    const queue = this.#queue;
    switch (this.#state) {
      case BODY: {
        const event = this.#body.next(queue, this.#eof);
        if (event !== undefined && event.kind === "end") {
          this.#state = this.#switching ? SWITCHED : STATUS_LINE;
        }
        return event;
      }
      case SWITCHED:
        return undefined;
      case STATUS_LINE:
        for (;;) {
          if (queue.size === 0) {
            // EOF after an interim response is still mid-exchange.
            return this.#informational > 0 ? this.#needMore() : undefined;
          }
          const lf = findLineEnd(
            queue,
            this.#limits.maxStartLineBytes,
            "HEADERS_TOO_LARGE",
            "status line",
          );
          if (lf === -1) return this.#needMore();
          const start = queue.start;
          const end = lineContentEnd(queue, lf, this.#allowBareLf);
          if (end === start) {
            // An empty line before a status line (aiohttp sends one after a
            // 100) is skipped, as before a request line; llhttp does too.
            this.#emptyLineBytes = skipEmptyLine(
              this.#emptyLineBytes,
              lf + 1 - start,
              "status line",
            );
            queue.consume(lf + 1 - start);
            continue;
          }
          this.#line = parseStatusLine(queue.bytes, start, end);
          this.#emptyLineBytes = 0;
          queue.consume(lf + 1 - start);
          this.#fields.reset();
          this.#state = HEADERS;
          break;
        }
    }
    if (!this.#fields.read(queue)) return this.#needMore();
    const line = this.#line as StatusLine;
    if (line.status < 200 && line.status !== 101) {
      if (++this.#informational > this.#limits.maxInformational) {
        throw new Http1Error(
          "TOO_MANY_INFORMATIONAL",
          `more than ${this.#limits.maxInformational} interim responses`,
        );
      }
      this.#state = STATUS_LINE;
      const head: InformationalHead = {
        kind: "informational",
        status: line.status,
        reason: line.reason,
        headers: this.#fields.fields,
      };
      return head;
    }
    this.#informational = 0;
    const head = this.#buildHead(line, this.#nextMethod());
    this.#body.begin(head.framing, head.contentLength);
    this.#state = BODY;
    return head;
  }

  #nextMethod(): string {
    if (this.#methodIndex >= this.#methods.length) return "GET";
    const method = this.#methods[this.#methodIndex++]!;
    if (this.#methodIndex === this.#methods.length) {
      this.#methods.length = 0;
      this.#methodIndex = 0;
    }
    return method;
  }

  #needMore(): undefined {
    if (this.#eof) {
      throw new Http1Error(
        "INCOMPLETE_MESSAGE",
        "connection closed in the middle of a response",
      );
    }
    return undefined;
  }

  #buildHead(line: StatusLine, method: string): ResponseHead {
    const headers = this.#fields.fields;
    const facts = readFieldFacts(headers);
    const status = line.status;
    // RFC 9112 section 6.3 items 1-2.
    this.#switching = status === 101 ||
      (method === "CONNECT" && status >= 200 && status < 300);
    let framing: BodyFraming;
    if (
      this.#switching || method === "HEAD" || status === 204 || status === 304
    ) {
      if (!this.#lenientFraming) checkNoBodyFraming(facts);
      framing = "none";
    } else {
      framing = responseFraming(facts, this.#lenientFraming);
    }
    if (framing === "length" && facts.contentLength > this.#limits.maxBodyBytes) {
      throw new Http1Error(
        "BODY_TOO_LARGE",
        `Content-Length ${facts.contentLength} exceeds ${this.#limits.maxBodyBytes} bytes`,
      );
    }
    const minorVersion = line.minorVersion;
    // RFC 9112 section 6.1: Transfer-Encoding in an HTTP/1.0 message means
    // faulty framing; the message is read but the connection not reused.
    const reusable = framing !== "close" && !this.#switching &&
      !(minorVersion === 0 && facts.transferCodings !== undefined) &&
      !(facts.transferCodings !== undefined && facts.contentLength !== -1);
    return {
      kind: "response",
      status,
      reason: line.reason,
      minorVersion,
      headers,
      framing,
      contentLength: framing === "length" ? facts.contentLength : -1,
      keepAlive: reusable &&
        (minorVersion === 1
          ? !facts.connectionClose
          : facts.connectionKeepAlive && !facts.connectionClose),
    };
  }
}
