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
 * import { SENT } from "./informational_results.ts";
 * console.assert(SENT.sent);
 * ```
 */
export const SENT: InformationalResult = Object.freeze({ sent: true });

/**
 * Skipped: an HTTP/1.0 client cannot receive 1xx (RFC 9110 section 15.2).
 *
 * @example
 * ```ts
 * import { HTTP10 } from "./informational_results.ts";
 * console.assert(!HTTP10.sent && HTTP10.reason === "http/1.0");
 * ```
 */
export const HTTP10: InformationalResult = Object.freeze({ sent: false, reason: "http/1.0" });

/**
 * Skipped: the connection is already closed.
 *
 * @example
 * ```ts
 * import { CLOSED } from "./informational_results.ts";
 * console.assert(!CLOSED.sent && CLOSED.reason === "closed");
 * ```
 */
export const CLOSED: InformationalResult = Object.freeze({ sent: false, reason: "closed" });

/**
 * Skipped: the server serving this request cannot send it.
 *
 * @example
 * ```ts
 * import { UNSUPPORTED } from "./informational_results.ts";
 * console.assert(!UNSUPPORTED.sent && UNSUPPORTED.reason === "unsupported");
 * ```
 */
export const UNSUPPORTED: InformationalResult = Object.freeze({
  sent: false,
  reason: "unsupported",
});
