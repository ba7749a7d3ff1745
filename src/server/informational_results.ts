/**
 * The frozen {@linkcode InformationalResult} values every way of sending an
 * interim response returns, kept once so that the engine server, the
 * `node:http` backend and `sendInformational` report the same shapes. This
 * module is browser compatible.
 *
 * @module
 */

import { reasonPhrase } from "../http1/reason_phrase.ts";
import type { HeaderList } from "../http1/types.ts";
import type { InformationalResult, ServeLimits } from "./types.ts";

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

/**
 * Refused: this request already had `limits.maxInformational` interim
 * responses.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { TOO_MANY } from "./informational_results.ts";
 * assert.deepEqual(TOO_MANY, { sent: false, reason: "too-many" });
 * ```
 */
export const TOO_MANY: InformationalResult = Object.freeze({ sent: false, reason: "too-many" });

/**
 * Refused: the interim response is larger than `limits.maxInformationalBytes`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { TOO_LARGE } from "./informational_results.ts";
 * assert.deepEqual(TOO_LARGE, { sent: false, reason: "too-large" });
 * ```
 */
export const TOO_LARGE: InformationalResult = Object.freeze({ sent: false, reason: "too-large" });

/**
 * Skipped: the server's `hintPolicy` withholds interim responses from this
 * request.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { POLICY } from "./informational_results.ts";
 * assert.deepEqual(POLICY, { sent: false, reason: "policy" });
 * ```
 */
export const POLICY: InformationalResult = Object.freeze({ sent: false, reason: "policy" });

/**
 * Skipped: a 103 that only repeats links `learnedHints()` already sent for
 * this request.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { DUPLICATE } from "./informational_results.ts";
 * assert.deepEqual(DUPLICATE, { sent: false, reason: "duplicate" });
 * ```
 */
export const DUPLICATE: InformationalResult = Object.freeze({ sent: false, reason: "duplicate" });

/** The limits that bound the interim responses of one request. */
export type InterimBounds = Pick<ServeLimits, "maxInformational" | "maxInformationalBytes">;

// "HTTP/1.1 " + three digits + " " before the reason, CRLF after it.
const STATUS_LINE_FIXED_BYTES = 15;
// ": " between name and value, CRLF after the value.
const FIELD_LINE_FIXED_BYTES = 4;
// The empty line that ends the head.
const HEAD_END_BYTES = 2;

/**
 * The size on the wire of an interim response head, computed from its
 * validated fields without encoding them (a value is Latin-1, one byte per
 * character), so an oversized one costs no allocation.
 *
 * @param status 100-199 except 101.
 * @param headers Validated fields.
 * @returns The bytes `serializeInformational(status, headers)` would produce.
 *
 * @example The size of a 103
 * ```ts
 * import assert from "node:assert/strict";
 * import { interimHeadBytes } from "./informational_results.ts";
 * const head = "HTTP/1.1 103 Early Hints\r\nlink: </a.css>\r\n\r\n";
 * assert.equal(interimHeadBytes(103, [["link", "</a.css>"]]), head.length);
 * ```
 */
export function interimHeadBytes(status: number, headers: HeaderList): number {
  let bytes = STATUS_LINE_FIXED_BYTES + reasonPhrase(status).length + HEAD_END_BYTES;
  for (let i = 0; i < headers.length; i++) {
    const [name, value] = headers[i]!;
    bytes += name.length + value.length + FIELD_LINE_FIXED_BYTES;
  }
  return bytes;
}

/**
 * Applies the per-request bounds on interim responses, before one is sent:
 * the count (`maxInformational`), then the size (`maxInformationalBytes`).
 * Both are refusals with a result, not errors: a hint is advisory, and a
 * request must not fail with a 500 because its hints outgrew a limit (a
 * manifest of preloads that grew, a progress timer on a long job).
 *
 * @param sent How many interim responses this request has had.
 * @param status The status of the next one.
 * @param headers Its validated fields.
 * @param bounds The server's limits.
 * @returns `TOO_MANY` or `TOO_LARGE`, or `undefined` when it may be sent.
 *
 * @example The 101st interim response is refused
 * ```ts
 * import assert from "node:assert/strict";
 * import { refuseOverBounds } from "./informational_results.ts";
 * const bounds = { maxInformational: 100, maxInformationalBytes: 16_384 };
 * assert.equal(refuseOverBounds(99, 103, [], bounds), undefined);
 * assert.deepEqual(refuseOverBounds(100, 103, [], bounds), { sent: false, reason: "too-many" });
 * const huge: [string, string][] = [["link", "x".repeat(16_384)]];
 * assert.deepEqual(refuseOverBounds(0, 103, huge, bounds), { sent: false, reason: "too-large" });
 * ```
 */
export function refuseOverBounds(
  sent: number,
  status: number,
  headers: HeaderList,
  bounds: Readonly<InterimBounds>,
): InformationalResult | undefined {
  if (sent >= bounds.maxInformational) return TOO_MANY;
  if (interimHeadBytes(status, headers) > bounds.maxInformationalBytes) return TOO_LARGE;
  return undefined;
}
