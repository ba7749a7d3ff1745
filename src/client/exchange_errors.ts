/**
 * What each way an exchange breaks becomes for the caller: parse errors,
 * closes, timeouts, unusable statuses and request body failures as
 * {@linkcode FetchError}s with the same code and words on every runtime, and
 * which of them may be retried on a fresh connection.
 *
 * @module
 */

import { Http1Error } from "../http1/errors.ts";
import { FetchError, fromHttp1Error } from "./errors.ts";
import type { Exchange } from "./exchange.ts";
import { headHandedOver } from "./exchange_phase.ts";

/** Errors after which the same request may be sent again on a fresh connection. */
const retryableErrors = new WeakSet<object>();

/**
 * Tells whether an exchange failed only because a reused keep-alive
 * connection had been closed by the server before any response byte arrived
 * (a race every HTTP/1.1 client meets; Go and undici retry it too).
 *
 * @param error What the exchange rejected with.
 * @returns Whether sending again on a fresh connection is safe for an idempotent request.
 */
export function isStaleConnectionError(error: unknown): boolean {
  return typeof error === "object" && error !== null &&
    retryableErrors.has(error);
}

/**
 * The connection closed (or its peer ended) before the response ended.
 *
 * @param exchange The exchange it cut short.
 * @param cause The parser's or the socket's error, if any.
 * @returns `CONNECTION_RESET` in the body, else `CLOSED_BEFORE_RESPONSE`
 * (retryable when a reused socket closed before any response byte).
 */
export function closedError(exchange: Exchange, cause: unknown): FetchError {
  if (headHandedOver(exchange.phase)) {
    return new FetchError(
      "CONNECTION_RESET",
      "the connection closed in the middle of the response body",
      { cause },
    );
  }
  const count = exchange.informational.length;
  const error = new FetchError(
    "CLOSED_BEFORE_RESPONSE",
    count > 0
      ? `the connection closed after ${count} interim response(s), before the final response`
      : "the connection closed before the final response",
    { cause },
  );
  if (exchange.reused && !exchange.receivedBytes) retryableErrors.add(error);
  return error;
}

/**
 * What the response parser threw, for the caller.
 *
 * @param exchange The exchange being read.
 * @param error The parser's error.
 * @returns A close before the head ends as {@linkcode closedError}; other
 * engine errors keep their code; anything else passes through.
 */
export function readError(exchange: Exchange, error: unknown): unknown {
  if (!(error instanceof Http1Error)) return error;
  const inHead = !headHandedOver(exchange.phase);
  if (inHead && error.code === "INCOMPLETE_MESSAGE") return closedError(exchange, error);
  if (error.code === "TOO_MANY_INFORMATIONAL") {
    return new FetchError(
      "TOO_MANY_INFORMATIONAL",
      `the server sent ${error.message} (maxInformational); request aborted`,
      { cause: error },
    );
  }
  return fromHttp1Error(error, inHead ? "response head" : "response body");
}

/**
 * A final status a `Response` cannot carry.
 *
 * @param status 101, or 600-999.
 * @returns `UNSUPPORTED_STATUS`.
 */
export function unsupportedStatusError(status: number): FetchError {
  return new FetchError(
    "UNSUPPORTED_STATUS",
    status === 101
      ? "the server switched protocols (101); fetch cannot use an upgraded connection"
      : `final status ${status} is outside 200-599, which a fetch Response cannot carry`,
  );
}

/**
 * No final head within `headersTimeout`.
 *
 * @param ms The timeout.
 * @returns `HEADERS_TIMEOUT`.
 */
export function headersTimeoutError(ms: number): FetchError {
  return new FetchError("HEADERS_TIMEOUT", `no final response head within ${ms} ms`);
}

/**
 * No body byte within `bodyTimeout` while the reader waited.
 *
 * @param ms The timeout.
 * @returns `BODY_TIMEOUT`.
 */
export function bodyTimeoutError(ms: number): FetchError {
  return new FetchError("BODY_TIMEOUT", `no response body bytes for ${ms} ms`);
}

/**
 * The request body stream could not be locked for reading.
 *
 * @param error What `getReader()` threw.
 * @returns `REQUEST_BODY_FAILED`.
 */
export function requestBodyLockedError(error: unknown): FetchError {
  return new FetchError("REQUEST_BODY_FAILED", "the request body stream is locked or used", {
    cause: error,
  });
}

/**
 * Reading the request body stream failed.
 *
 * @param error What `read()` threw, or a chunk's own {@linkcode FetchError}.
 * @returns A {@linkcode FetchError} as is (a chunk that is not bytes), else
 * `REQUEST_BODY_FAILED` with `error` as the cause.
 */
export function requestBodyReadError(error: unknown): FetchError {
  if (error instanceof FetchError) return error;
  return new FetchError("REQUEST_BODY_FAILED", "reading the request body stream failed", {
    cause: error,
  });
}
