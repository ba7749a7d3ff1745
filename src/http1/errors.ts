/**
 * Errors raised by the HTTP/1.1 engine.
 *
 * Every failure carries a stable `code` (never reworded once released) and the
 * status a server should answer with, so that neither the server loop nor the
 * client needs to parse messages. This module is browser compatible.
 *
 * @module
 */

/** Stable error codes of the engine. */
export type Http1ErrorCode =
  /** Malformed start line, header line, chunk line or framing (400). */
  | "BAD_SYNTAX"
  /** A header name that is not a token, or a value with CR, LF, NUL or another control byte (400). */
  | "INVALID_HEADER"
  /**
   * obs-fold (a field line starting with whitespace) in a request, which RFC
   * 9112 section 5.2 lets a server reject (400). In a response it is replaced
   * with SP, as that section tells a user agent to; only a line starting with
   * whitespace before the first field is OBS_FOLD there.
   */
  | "OBS_FOLD"
  /** A CR not followed by LF (RFC 9112 section 2.2) (400). */
  | "BARE_CR"
  /** Content-Length together with Transfer-Encoding, differing Content-Lengths, a bad Content-Length (400). */
  | "INVALID_FRAMING"
  /** An HTTP/1.1 request without Host, or with several (400). */
  | "INVALID_HOST"
  /** A chunk size that is not hex or overflows the safe integer range (400). */
  | "INVALID_CHUNK"
  /** A status code outside 100-999, or 101 where not allowed (client side). */
  | "INVALID_STATUS"
  /** The request line exceeds `maxStartLineBytes` (414). */
  | "URI_TOO_LONG"
  /** The header section exceeds `maxHeaderBytes` or `maxHeaderCount` (431). */
  | "HEADERS_TOO_LARGE"
  /** A body or chunk beyond a configured limit (413). */
  | "BODY_TOO_LARGE"
  /** More interim (1xx) responses than `maxInformational` before a final one. */
  | "TOO_MANY_INFORMATIONAL"
  /** A Transfer-Encoding this engine does not implement (501). */
  | "UNSUPPORTED_TRANSFER_ENCODING"
  /**
   * A method the server refuses (501 for unknown is the server's choice). The
   * parsers never raise it: a method that is not a token makes the request
   * line invalid, BAD_SYNTAX (400, RFC 9112 section 3).
   */
  | "INVALID_METHOD"
  /** An HTTP version other than 1.0 or 1.1 (505). */
  | "UNSUPPORTED_VERSION"
  /** The peer closed before the message was complete. */
  | "INCOMPLETE_MESSAGE"
  /** The local program misused the engine: bad arguments to a serialiser, wrong state. */
  | "LOCAL_PROTOCOL_ERROR";

const STATUS_BY_CODE: Record<Http1ErrorCode, number> = {
  BAD_SYNTAX: 400,
  INVALID_HEADER: 400,
  OBS_FOLD: 400,
  BARE_CR: 400,
  INVALID_FRAMING: 400,
  INVALID_HOST: 400,
  INVALID_CHUNK: 400,
  INVALID_STATUS: 502,
  URI_TOO_LONG: 414,
  HEADERS_TOO_LARGE: 431,
  BODY_TOO_LARGE: 413,
  TOO_MANY_INFORMATIONAL: 502,
  UNSUPPORTED_TRANSFER_ENCODING: 501,
  INVALID_METHOD: 501,
  UNSUPPORTED_VERSION: 505,
  INCOMPLETE_MESSAGE: 400,
  LOCAL_PROTOCOL_ERROR: 500,
};

/**
 * A protocol error from the engine, with a stable code and the status a server
 * should answer with.
 *
 * Users meet it as the `cause` of the client's `FetchError` for a malformed
 * or cut-short response (the `FetchError` has the same `code`), and on the
 * server (on the engine's backends, not `adapter: "node-http"`) as the error a
 * handler's read of `request.body` fails with when the request body is
 * malformed, too large or cut short.
 *
 * @example Reading the code and status of a parse failure
 * ```ts
 * import assert from "node:assert/strict";
 * import { Http1Error } from "./errors.ts";
 * const error = new Http1Error("URI_TOO_LONG", "request line exceeds 8192 bytes");
 * assert.ok(error.code === "URI_TOO_LONG" && error.status === 414);
 * ```
 */
export class Http1Error extends Error {
  /** The stable code naming the kind of failure. */
  readonly code: Http1ErrorCode;
  /** The HTTP status a server should send in reply (4xx/5xx). */
  readonly status: number;

  /**
   * Creates an error.
   *
   * @param code The stable error code.
   * @param message A human-readable explanation naming what was wrong.
   */
  constructor(code: Http1ErrorCode, message: string) {
    super(message);
    this.name = "Http1Error";
    this.code = code;
    this.status = STATUS_BY_CODE[code];
  }
}
