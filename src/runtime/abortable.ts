/**
 * The connect-abort race every adapter runs: an opening connection (or TLS
 * handshake) against the caller's `AbortSignal`. The signal wins at once;
 * what the runtime opens after it lost is handed to a disposer so nothing
 * is leaked. This module is browser compatible.
 *
 * @module
 */

/**
 * Races `pending` against `signal`: rejects with `signal.reason` as soon as
 * it aborts (at once when it already has), settles like `pending` otherwise.
 * A value that arrives after the abort is handed to `dispose`; a failure
 * after it is swallowed (the caller already has its answer).
 *
 * @param pending The connection (or handshake) being opened.
 * @param signal The caller's signal; without one `pending` is returned as is.
 * @param dispose Closes a value that arrived too late.
 * @returns `pending`'s value, unless the signal aborted first.
 *
 * @example The signal wins and the late value is closed
 * ```ts
 * import assert from "node:assert/strict";
 * import { abortable } from "./abortable.ts";
 * const controller = new AbortController();
 * const connection = Promise.withResolvers<string>();
 * let closed = false;
 * const opening = abortable(connection.promise, controller.signal, () => {
 *   closed = true;
 * });
 * controller.abort(new Error("stop"));
 * await assert.rejects(opening, /stop/);
 * connection.resolve("socket");
 * await Promise.resolve();
 * assert.equal(closed, true);
 * ```
 */
export function abortable<T>(
  pending: Promise<T>,
  signal: AbortSignal | undefined,
  dispose?: (late: T) => void,
): Promise<T> {
  if (signal === undefined) return pending;
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    if (signal.aborted) onAbort();
    else signal.addEventListener("abort", onAbort, { once: true });
    pending.then(
      (value) => {
        signal.removeEventListener("abort", onAbort);
        if (signal.aborted) dispose?.(value);
        else resolve(value);
      },
      (error) => {
        signal.removeEventListener("abort", onAbort);
        reject(error);
      },
    );
  });
}
