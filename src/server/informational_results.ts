/**
 * The frozen {@linkcode InformationalResult} values every way of sending an
 * interim response returns, kept once so that the engine server, the
 * `node:http` backend and `sendInformational` report the same shapes. This
 * module is browser compatible.
 *
 * @module
 */

import type { InformationalResult } from "./types.ts";

/**
 * The interim response was written to the connection.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { SENT } from "./informational_results.ts";
 * assert.deepEqual(SENT, { sent: true });
 * ```
 */
export const SENT: InformationalResult = Object.freeze({ sent: true });

/**
 * Skipped: an HTTP/1.0 client cannot receive 1xx (RFC 9110 section 15.2).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { HTTP10 } from "./informational_results.ts";
 * assert.deepEqual(HTTP10, { sent: false, reason: "http/1.0" });
 * ```
 */
export const HTTP10: InformationalResult = Object.freeze({ sent: false, reason: "http/1.0" });

/**
 * Skipped: the connection closed (the client left, or the server closed it)
 * before the final response was complete.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { CLOSED } from "./informational_results.ts";
 * assert.deepEqual(CLOSED, { sent: false, reason: "closed" });
 * ```
 */
export const CLOSED: InformationalResult = Object.freeze({ sent: false, reason: "closed" });

/**
 * Too late: the handler already returned its final response, which is being
 * written.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { FINAL_RESPONSE_STARTED } from "./informational_results.ts";
 * assert.deepEqual(FINAL_RESPONSE_STARTED, { sent: false, reason: "final-response-started" });
 * ```
 */
export const FINAL_RESPONSE_STARTED: InformationalResult = Object.freeze({
  sent: false,
  reason: "final-response-started",
});

/**
 * Too late: the final response was sent in full; the exchange is over.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { FINISHED } from "./informational_results.ts";
 * assert.deepEqual(FINISHED, { sent: false, reason: "finished" });
 * ```
 */
export const FINISHED: InformationalResult = Object.freeze({ sent: false, reason: "finished" });

/**
 * Skipped: the server serving this request cannot send it.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { UNSUPPORTED } from "./informational_results.ts";
 * assert.deepEqual(UNSUPPORTED, { sent: false, reason: "unsupported" });
 * ```
 */
export const UNSUPPORTED: InformationalResult = Object.freeze({
  sent: false,
  reason: "unsupported",
});

/** The state of a `node:http` `ServerResponse` that decides whether a 1xx is still possible. */
export interface ServerResponseState {
  /** The final head has been written. */
  readonly headersSent: boolean;
  /** The socket is gone. */
  readonly destroyed: boolean;
  /** `end()` has been called: the whole final response is handed over. */
  readonly writableEnded?: boolean | undefined;
}

/**
 * Says why a `ServerResponse` can no longer take an interim response, by its
 * state, so that a late call (a timer firing after the response, a client
 * gone) gets a result instead of Node's `ERR_HTTP_HEADERS_SENT` or a write
 * to a destroyed socket.
 *
 * @param outgoing The response (`node:http`'s, or one shaped like it).
 * @returns `FINISHED`, `CLOSED` or `FINAL_RESPONSE_STARTED`, or `undefined`
 * while a 1xx can still be written.
 *
 * @example A response whose head has gone out
 * ```ts
 * import assert from "node:assert/strict";
 * import { lateResultOf } from "./informational_results.ts";
 * const result = lateResultOf({ headersSent: true, destroyed: false, writableEnded: false });
 * assert.deepEqual(result, { sent: false, reason: "final-response-started" });
 * ```
 */
export function lateResultOf(outgoing: ServerResponseState): InformationalResult | undefined {
  // Ended first: a response sent in full and then closed (Connection: close)
  // was finished, not cut off.
  if (outgoing.writableEnded === true) return FINISHED;
  if (outgoing.destroyed) return CLOSED;
  if (outgoing.headersSent) return FINAL_RESPONSE_STARTED;
  return undefined;
}
