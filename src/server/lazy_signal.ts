/**
 * The abort signal of a request handed to a handler, created only when
 * read: few handlers read `request.signal`, and an `AbortController` per
 * request is a cost every request would pay. This module is browser
 * compatible.
 *
 * @module
 */

/**
 * Abort state with a signal made on first read.
 *
 * @example Aborting before the signal is read
 * ```ts
 * import assert from "node:assert/strict";
 * import { LazySignal } from "./lazy_signal.ts";
 * const state = new LazySignal();
 * state.abort(new Error("gone"));
 * assert.ok(state.signal.aborted);
 * ```
 */
export class LazySignal {
  #controller: AbortController | undefined;
  #reason: unknown;
  #aborted = false;

  /** The signal; aborted already when `abort()` came first. */
  get signal(): AbortSignal {
    if (this.#controller === undefined) {
      this.#controller = new AbortController();
      if (this.#aborted) this.#controller.abort(this.#reason);
    }
    return this.#controller.signal;
  }

  /**
   * Aborts the signal, or records the reason for when it is read; later calls do nothing.
   *
   * @param reason The abort reason.
   */
  abort(reason: unknown): void {
    if (this.#aborted) return;
    this.#aborted = true;
    this.#reason = reason;
    this.#controller?.abort(reason);
  }
}
