/**
 * The `Date` header value (RFC 9110 section 6.6.1), formatted at most once
 * per second: every response needs it, and formatting a date per request
 * would cost more than the rest of the head.
 *
 * A lazy check of the clock on each call replaces a timer, so nothing here
 * keeps a process alive. This module is browser compatible.
 *
 * @module
 */

let cachedSecond = -1;
let cachedValue = "";

/**
 * Returns the current time as an IMF-fixdate, e.g.
 * `Sun, 06 Nov 1994 08:49:37 GMT`, cached for the current second.
 *
 * @param now The current time in milliseconds since the epoch; defaults to `Date.now()`.
 * @returns The value for a `Date` header field.
 *
 * @example Formatting a known instant
 * ```ts
 * import assert from "node:assert/strict";
 * import { httpDate } from "./date.ts";
 * assert.equal(httpDate(784111777000), "Sun, 06 Nov 1994 08:49:37 GMT");
 * ```
 */
export function httpDate(now: number = Date.now()): string {
  const second = Math.floor(now / 1000);
  if (second !== cachedSecond) {
    cachedSecond = second;
    // toUTCString() already produces the IMF-fixdate form in every engine we run on.
    cachedValue = new Date(second * 1000).toUTCString();
  }
  return cachedValue;
}
