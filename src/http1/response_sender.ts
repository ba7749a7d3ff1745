/**
 * The server side's send state for one exchange, in the style of h11's
 * `_state.py`: one place decides what may be sent now. Interim (1xx)
 * responses only before the final head, and only to an HTTP/1.1 client;
 * then the final head with its framing; then the body, chunk-encoded or
 * counted against its Content-Length; then the end. Each method returns the
 * bytes to write (text where the head is ASCII) and throws when the step is
 * not allowed. This module is sans-IO.
 *
 * @module
 */

import { Http1Error } from "./errors.ts";
import type { ResponseFraming } from "./response_framing.ts";
import {
  encodeChunk,
  encodeResponseHead,
  LAST_CHUNK,
  serializeInformational,
  serializeResponse,
} from "./serialize.ts";
import type { HeaderList } from "./types.ts";

/**
 * Where a response is: `interim` before the final head (a 1xx may go out),
 * `body` once the head is out and body bytes may follow, `done` once it is
 * complete.
 */
export type SendState = "interim" | "body" | "done";

/** The request facts the sender needs. */
export interface SenderRequest {
  /** The request's HTTP/1.x minor version. */
  readonly minorVersion: number;
  /** The request's method. */
  readonly method: string;
}

/**
 * One response's send state.
 *
 * @example A 103, then a chunked body
 * ```ts
 * import assert from "node:assert/strict";
 * import { ResponseSender } from "./response_sender.ts";
 * import { responseFraming } from "./response_framing.ts";
 * const sender = new ResponseSender({ minorVersion: 1, method: "GET" });
 * assert.match(String(sender.informational(103, [["link", "</a.css>"]])), /^HTTP\/1.1 103 /);
 * const framing = responseFraming({
 *   minorVersion: 1,
 *   requestMethod: "GET",
 *   requestKeepAlive: true,
 *   closing: false,
 *   unreadBodyInDoubt: false,
 *   status: 200,
 *   declaredLength: -1,
 *   bodySize: undefined,
 * });
 * sender.head(200, undefined, [], framing);
 * assert.equal(sender.acceptsInformational, false);
 * assert.throws(() => sender.informational(103, []));
 * assert.deepEqual(sender.data(new Uint8Array([104, 105])), new TextEncoder().encode("2\r\nhi\r\n"));
 * assert.deepEqual(sender.end(), new TextEncoder().encode("0\r\n\r\n"));
 * assert.equal(sender.state, "done");
 * ```
 */
export class ResponseSender {
  readonly #minorVersion: number;
  #state: SendState = "interim";
  #chunked = false;
  /** The Content-Length the body must match, or -1. */
  #length = -1;
  #sent = 0;

  /**
   * Starts a response in state `interim`.
   *
   * @param request The request this response answers.
   */
  constructor(request: SenderRequest) {
    this.#minorVersion = request.minorVersion;
  }

  /** Where the response is. */
  get state(): SendState {
    return this.#state;
  }

  /** Whether a 1xx may go out now: nothing final yet, and an HTTP/1.1 client (RFC 9110 section 15.2). */
  get acceptsInformational(): boolean {
    return this.#state === "interim" && this.#minorVersion >= 1;
  }

  /** Body bytes sent so far. */
  get bytesSent(): number {
    return this.#sent;
  }

  /**
   * An interim response.
   *
   * @param status 100-199 except 101.
   * @param fields Its fields.
   * @returns The bytes to write.
   * @throws {Http1Error} LOCAL_PROTOCOL_ERROR after the final head, to an
   * HTTP/1.0 client, for a status that is not an interim one, or an invalid field.
   */
  informational(status: number, fields: HeaderList): string | Uint8Array {
    if (!this.acceptsInformational) {
      throw new Http1Error(
        "LOCAL_PROTOCOL_ERROR",
        this.#state !== "interim"
          ? `no ${status} after the final response's head`
          : `no ${status} to an HTTP/1.0 client`,
      );
    }
    return serializeInformational(status, fields);
  }

  /**
   * The final head with the framing fields of `framing`, and a text body in
   * the same value when given (one encoding pass).
   *
   * @param status The final status.
   * @param reason The reason phrase, or `undefined` for the standard one.
   * @param fields The fields, without framing or connection fields (the
   * list is extended in place with them).
   * @param framing The framing decided by `responseFraming`.
   * @param body A text body known in full; its UTF-8 size must match
   * `framing.contentLength` (not counted again here: the caller counted it
   * for `responseFraming`). Left out of the wire when `framing.sendsBody`
   * is false (HEAD, 204, 304).
   * @returns The bytes to write.
   * @throws {Http1Error} LOCAL_PROTOCOL_ERROR when the head was already
   * sent, for a text body with chunked framing, or for an invalid field (the
   * state is then unchanged: nothing went out).
   */
  head(
    status: number,
    reason: string | undefined,
    fields: HeaderList,
    framing: ResponseFraming,
    body?: string,
  ): string | Uint8Array {
    if (this.#state !== "interim") {
      throw new Http1Error("LOCAL_PROTOCOL_ERROR", "the final response's head was already sent");
    }
    const length = framing.contentLength;
    if (length !== undefined) fields.push(["content-length", String(length)]);
    if (framing.chunked) fields.push(["transfer-encoding", "chunked"]);
    if (framing.connection !== undefined) fields.push(["connection", framing.connection]);
    if (body !== undefined) {
      if (framing.chunked) {
        throw new Http1Error(
          "LOCAL_PROTOCOL_ERROR",
          "a complete text body is framed by its content-length, not chunked",
        );
      }
      const wire = serializeResponse(status, reason, fields, framing.sendsBody ? body : "");
      this.#state = "done";
      return wire;
    }
    const wire = encodeResponseHead(status, reason, fields);
    this.#chunked = framing.chunked;
    this.#length = framing.chunked || length === undefined ? -1 : length;
    this.#state = !framing.sendsBody || length === 0 ? "done" : "body";
    return wire;
  }

  /**
   * A body chunk, chunk-encoded when the body is chunked.
   *
   * @param chunk The bytes.
   * @returns The bytes to write.
   * @throws {TypeError} When the body would exceed its Content-Length.
   * @throws {Http1Error} LOCAL_PROTOCOL_ERROR when no body may be sent now.
   */
  data(chunk: Uint8Array): Uint8Array {
    if (this.#state !== "body") {
      throw new Http1Error("LOCAL_PROTOCOL_ERROR", `no body bytes in state ${this.#state}`);
    }
    const sent = this.#sent + chunk.byteLength;
    if (this.#length >= 0 && sent > this.#length) {
      throw new TypeError(
        `response body is longer than its content-length of ${this.#length} bytes`,
      );
    }
    this.#sent = sent;
    // An empty chunk stays empty: a zero-size chunk would end a chunked body.
    return this.#chunked && chunk.byteLength > 0 ? encodeChunk(chunk) : chunk;
  }

  /**
   * Ends the response. Again once `done` (or when the head already
   * completed it: HEAD, 204, 304, a text body) it returns `undefined`.
   *
   * @returns The last chunk to write when chunked, else `undefined`.
   * @throws {TypeError} When fewer bytes than the Content-Length were sent.
   * @throws {Http1Error} LOCAL_PROTOCOL_ERROR before the final head.
   */
  end(): Uint8Array | undefined {
    if (this.#state === "done") return undefined;
    if (this.#state === "interim") {
      throw new Http1Error("LOCAL_PROTOCOL_ERROR", "no end before the final response's head");
    }
    if (this.#length >= 0 && this.#sent !== this.#length) {
      throw new TypeError(
        `response body has ${this.#sent} bytes but its content-length says ${this.#length}`,
      );
    }
    this.#state = "done";
    return this.#chunked ? LAST_CHUNK : undefined;
  }
}
