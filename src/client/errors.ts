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
import { type TlsFailure, toSocketError } from "../runtime/socket_error.ts";

/** Stable codes of the client's own failures (never reworded once released). */
export type ClientErrorCode =
  /** The peer refused the connection (nothing listens on that port or socket path). */
  | "CONNECTION_REFUSED"
  /** Connecting failed for another reason; `cause` is a `SocketError` whose `code` names it (`ENOTFOUND`, `ENOENT` for a missing unix socket, `ECONNRESET`...). */
  | "CONNECT_FAILED"
  /** Connecting (TCP plus TLS handshake) took longer than `connectTimeout`, or the operating system gave up (`ETIMEDOUT`). */
  | "CONNECT_TIMEOUT"
  /** The TLS handshake failed: untrusted or mismatched certificate, a peer not speaking TLS...; `cause.tlsFailure` says which. */
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
 * Names the cause of a failed connect, from the normalised code the runtime
 * adapters give (`SocketError.code`, and `tlsFailure` for `ETLS`), so that
 * the same failure has the same code and message on Deno, Bun and Node. The
 * runtime's own words stay in `cause` (the `SocketError`, whose `cause` is
 * the runtime's error).
 *
 * @param error What `connect` rejected with (a `SocketError` from the
 * adapters; anything else is normalised first).
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
  const socketError = toSocketError(error, `connect ${target}`);
  const options = { cause: socketError };
  switch (socketError.code) {
    case "ECONNREFUSED":
      return new FetchError("CONNECTION_REFUSED", `connection to ${target} refused`, options);
    case "ETLS":
      return new FetchError(
        "TLS_FAILURE",
        `TLS handshake with ${target} failed: ${
          TLS_FAILURE_TEXT[socketError.tlsFailure ?? "handshake"]
        }`,
        options,
      );
    case "ETIMEDOUT":
      return new FetchError(
        "CONNECT_TIMEOUT",
        `connecting to ${target} timed out in the operating system`,
        options,
      );
  }
  const code = socketError.code;
  let reason = CONNECT_FAILURE_TEXT[code] ?? code;
  if (code === "EUNKNOWN") {
    // Nothing normalised to go by: the runtime's own first line.
    const cause = socketError.cause;
    reason = firstLine(cause instanceof Error ? cause.message : socketError.message);
  } else if (tls && (code === "ECONNRESET" || code === "EPIPE")) {
    reason += " during the TLS handshake";
  }
  return new FetchError("CONNECT_FAILED", `connecting to ${target} failed: ${reason}`, options);
}

const TLS_FAILURE_TEXT: Record<TlsFailure, string> = {
  "untrusted-certificate":
    "the server's certificate is not signed by a trusted CA (add its CA with the tls.ca option)",
  "expired-certificate": "the server's certificate has expired or is not valid yet",
  "name-mismatch": "the server's certificate does not name the host connected to",
  "not-tls": "the server did not answer in TLS (is this a plain http: port?)",
  "handshake": "the server refused or broke off the handshake",
};

const CONNECT_FAILURE_TEXT: Partial<Record<string, string>> = {
  ENOTFOUND: "the host name did not resolve",
  ENOENT: "no unix socket at that path",
  ENOTDIR: "a part of the unix socket path is not a directory",
  ENOTSOCK: "the path is not a unix socket",
  ENAMETOOLONG: "the unix socket path is too long",
  EACCES: "permission denied",
  ECONNRESET: "the peer closed the connection",
  EPIPE: "the peer closed the connection",
  EHOSTUNREACH: "the host is unreachable",
  ENETUNREACH: "the network is unreachable",
  EADDRNOTAVAIL: "the address is not available",
};

function firstLine(text: string): string {
  const line = text.split("\n", 1)[0]!.trim();
  return line === "" ? "unknown error" : line;
}
