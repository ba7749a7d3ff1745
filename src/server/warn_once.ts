/**
 * A console warning printed once per process for each distinct key, so a
 * misconfiguration is visible without flooding the log at every request.
 * This module is browser compatible.
 *
 * @module
 */

const warned = new Set<string>();

/**
 * Prints `message` with `console.warn` the first time `key` is seen.
 *
 * @param key What the warning is about; later calls with it are silent.
 * @param message The text to print.
 * @returns `true` when the warning was printed now.
 *
 * @example Warning once
 * ```ts
 * import assert from "node:assert/strict";
 * import { warnOnce } from "./warn_once.ts";
 * const first = warnOnce("example", "shown once");
 * assert.ok(first && !warnOnce("example", "shown once"));
 * ```
 */
export function warnOnce(key: string, message: string): boolean {
  if (warned.has(key)) return false;
  warned.add(key);
  console.warn(message);
  return true;
}

/**
 * Forgets every warning printed so far, so the next one prints again. For
 * tests, which share one process per runtime.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { forgetWarnings, warnOnce } from "./warn_once.ts";
 * warnOnce("example", "shown once");
 * forgetWarnings();
 * assert.equal(warnOnce("example", "shown again"), true);
 * ```
 */
export function forgetWarnings(): void {
  warned.clear();
}
