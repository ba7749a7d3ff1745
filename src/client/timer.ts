/**
 * Client timeouts. Node, Deno and Bun all cut a `setTimeout` delay above
 * 2^31-1 ms down to 1 ms, so a timeout of `Infinity` (the natural way to say
 * "none") or of weeks would fire at once: such a delay arms no timer. This
 * module is browser compatible.
 *
 * @module
 */

/** The longest delay `setTimeout` honours (about 24.8 days). */
const MAX_DELAY_MS = 2_147_483_647;

/**
 * Arms a timer, or none when `ms` is too long for `setTimeout` (`Infinity`).
 *
 * @param ms The delay.
 * @param fire What to run when it elapses.
 * @returns The timer, or `undefined` when none was armed.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { startTimer } from "./timer.ts";
 * assert.equal(startTimer(Infinity, () => {}), undefined);
 * clearTimeout(startTimer(10, () => {}));
 * ```
 */
export function startTimer(
  ms: number,
  fire: () => void,
): ReturnType<typeof setTimeout> | undefined {
  return ms <= MAX_DELAY_MS ? setTimeout(fire, ms) : undefined;
}
