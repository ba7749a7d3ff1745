/**
 * The errors the client rejects with.
 *
 * The global `fetch` rejects network failures with a bare `TypeError`. This
 * client keeps that contract (`error instanceof TypeError` still holds) but
 * uses a subclass carrying a stable `code`, so callers can branch on the cause
 * without parsing messages. Aborts reject with the signal's reason (an
 * `AbortError` `DOMException` by default), exactly as `fetch` does, and an
 * error thrown by an `onInformational` callback is passed through untouched.
 *
 * @module
 */

import { Http1Error, type Http1ErrorCode } from "../http1/errors.ts";

/** Stable codes of the client's own failures (never reworded once released). */
export type ClientErrorCode =
  /** The peer refused the connection (nothing listens on that port or socket path). */
  | "CONNECTION_REFUSED"
  /** Connecting failed for another reason (DNS, unreachable, missing unix socket...); see `cause`. */
  | "CONNECT_FAILED"
  /** Connecting (TCP plus TLS handshake) took longer than `connectTimeout`. */
  | "CONNECT_TIMEOUT"
  /** The TLS handshake failed: untrusted or mismatched certificate, rejected client certificate... */
  | "TLS_FAILURE"
  /** The final response head did not arrive within `headersTimeout` of sending the request. */
  | "HEADERS_TIMEOUT"
  /** No response body bytes arrived for `bodyTimeout` while the reader was waiting for them. */
  | "BODY_TIMEOUT"
  /** The connection closed (or failed) before the final response head arrived. */
  | "CLOSED_BEFORE_RESPONSE"
  /** The connection failed while the response body was being read. */
  | "CONNECTION_RESET"
  /** A final status a standard `Response` cannot carry (101, or 600-999). */
  | "UNSUPPORTED_STATUS"
  /** The URL's scheme is not `http:` or `https:`, or the request is otherwise unusable. */
  | "INVALID_REQUEST"
  /** More redirects than the limit (`maxRedirections`, default 20). */
  | "REDIRECT_LIMIT"
  /** A redirect arrived while `redirect: "error"` was asked for. */
  | "REDIRECT_REFUSED"
  /** A redirect needs the request body again but it was a stream, already consumed. */
  | "REDIRECT_UNREPLAYABLE"
  /** A redirect's `Location` is missing a usable URL or names a non-HTTP scheme. */
  | "INVALID_REDIRECT"
  /** Reading the request body (a stream or a `Blob`) failed; see `cause`. */
  | "REQUEST_BODY_FAILED"
  /** The `Client` was closed while the request was queued or in flight. */
  | "CLIENT_CLOSED";

/** Every code a {@linkcode FetchError} may carry: the client's own or the engine's. */
export type FetchErrorCode = ClientErrorCode | Http1ErrorCode;

/**
 * A network failure of the client: a `TypeError` (what `fetch` rejects with)
 * whose `code` names the cause and whose `cause` holds the underlying error.
 *
 * Engine failures (a malformed response, too many interim responses, a body
 * cut short) carry the engine's {@linkcode Http1ErrorCode}, for example
 * `TOO_MANY_INFORMATIONAL` or `INCOMPLETE_MESSAGE`.
 *
 * @example Branching on the code of a refused connection
 * ```ts
 * import assert from "node:assert/strict";
 * import { FetchError } from "./errors.ts";
 * const error = new FetchError("CONNECTION_REFUSED", "connect to 127.0.0.1:1 refused");
 * assert.ok(error instanceof TypeError && error.code === "CONNECTION_REFUSED");
 * ```
 */
export class FetchError extends TypeError {
  /** The stable code naming the kind of failure. */
  readonly code: FetchErrorCode;

  /**
   * Creates an error.
   *
   * @param code The stable error code.
   * @param message A human-readable explanation naming what failed and where.
   * @param options `cause`: the underlying error, when there is one.
   */
  constructor(
    code: FetchErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = "FetchError";
    this.code = code;
  }
}

/**
 * Wraps an engine error as a {@linkcode FetchError} with the same code.
 *
 * @param error The engine's error.
 * @param where What was being read, for the message ("response head", "response body").
 * @returns The client error.
 */
export function fromHttp1Error(error: Http1Error, where: string): FetchError {
  return new FetchError(error.code, `malformed ${where}: ${error.message}`, {
    cause: error,
  });
}

/**
 * Names the cause of a failed connect: refused, TLS or other.
 *
 * Adapters pass the runtime's own error through; Node and Bun set `code`
 * (`ECONNREFUSED`, `ERR_TLS_CERT_ALTNAME_INVALID`, `DEPTH_ZERO_SELF_SIGNED_CERT`...),
 * Deno sets `name` (`ConnectionRefused`, `InvalidData` for certificates).
 *
 * @param error What `connect` rejected with.
 * @param target The address, for the message.
 * @param tls Whether TLS was being set up.
 * @returns The client error.
 */
export function connectError(
  error: unknown,
  target: string,
  tls: boolean,
): FetchError {
  if (error instanceof FetchError) return error;
  const record = (typeof error === "object" && error !== null ? error : {}) as {
    code?: unknown;
    name?: unknown;
    message?: unknown;
  };
  const code = typeof record.code === "string" ? record.code : "";
  const name = typeof record.name === "string" ? record.name : "";
  const message = typeof record.message === "string" ? record.message : String(error);
  if (code === "ECONNREFUSED" || name === "ConnectionRefused") {
    return new FetchError(
      "CONNECTION_REFUSED",
      `connection to ${target} refused`,
      { cause: error },
    );
  }
  if (tls && looksLikeTlsFailure(code, name, message)) {
    return new FetchError(
      "TLS_FAILURE",
      `TLS handshake with ${target} failed: ${message}`,
      { cause: error },
    );
  }
  return new FetchError(
    "CONNECT_FAILED",
    `connecting to ${target} failed: ${message}`,
    { cause: error },
  );
}

const TLS_CODE = /CERT|TLS|SSL|SELF_SIGNED|UNABLE_TO_|HANDSHAKE|ALTNAME|ISSUER|EPROTO/i;
const TLS_MESSAGE = /certificate|tls|ssl|handshake|peer sent|alert/i;

function looksLikeTlsFailure(
  code: string,
  name: string,
  message: string,
): boolean {
  return TLS_CODE.test(code) || name === "InvalidData" ||
    TLS_MESSAGE.test(message);
}
