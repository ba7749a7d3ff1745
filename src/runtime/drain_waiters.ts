/**
 * The callers of a socket's `drained()` waiting for its write queue to
 * empty, kept in one place so each socket adapter only says when that
 * happens. This module is browser compatible.
 *
 * @module
 */

/**
 * Promises waiting for a socket's write queue to empty; all settle together
 * at the next `release()`.
 *
 * @example Waiting until the queue empties
 * ```ts
 * import assert from "node:assert/strict";
 * import { DrainWaiters } from "./drain_waiters.ts";
 * const waiters = new DrainWaiters();
 * const drained = waiters.wait();
 * assert.ok(waiters.waiting);
 * waiters.release();
 * await drained;
 * ```
 */
export class DrainWaiters {
  #resolvers: (() => void)[] | undefined;

  /** Whether any caller is waiting (cheap to check on every write). */
  get waiting(): boolean {
    return this.#resolvers !== undefined;
  }

  /**
   * Waits for the next `release()`.
   *
   * @returns A promise that settles at the next `release()`; it never rejects.
   *
   * @example Two callers wait together
   * ```ts
   * import assert from "node:assert/strict";
   * import { DrainWaiters } from "./drain_waiters.ts";
   * const waiters = new DrainWaiters();
   * const both = Promise.all([waiters.wait(), waiters.wait()]);
   * waiters.release();
   * assert.deepEqual(await both, [undefined, undefined]);
   * ```
   */
  wait(): Promise<void> {
    return new Promise((resolve) => {
      (this.#resolvers ??= []).push(resolve);
    });
  }

  /**
   * Settles every waiting promise (the queue emptied or the socket closed).
   *
   * @example Releasing with nobody waiting does nothing
   * ```ts
   * import assert from "node:assert/strict";
   * import { DrainWaiters } from "./drain_waiters.ts";
   * const waiters = new DrainWaiters();
   * waiters.release();
   * assert.ok(!waiters.waiting);
   * ```
   */
  release(): void {
    const resolvers = this.#resolvers;
    this.#resolvers = undefined;
    if (resolvers === undefined) return;
    for (const resolve of resolvers) resolve();
  }
}
