/**
 * The response body's silence limit (`bodyTimeout`): it fires when no body
 * byte arrived for `ms` while the reader was waiting. Bytes only stamp the
 * time; the one timer re-arms itself for the rest when it fires early, so a
 * fast body costs a `Date.now()` per chunk and no timer churn.
 *
 * @module
 */

import { startTimer } from "./timer.ts";

/**
 * One body's silence timer.
 *
 * @example A silent body times out once; a stopped timer never fires
 * ```ts
 * import assert from "node:assert/strict";
 * import { BodyTimeout } from "./body_timeout.ts";
 * let fired = 0;
 * const silent = new BodyTimeout(5, () => fired++);
 * silent.start();
 * const stopped = new BodyTimeout(5, () => fired++);
 * stopped.start();
 * stopped.stop();
 * await new Promise((resolve) => setTimeout(resolve, 200));
 * assert.equal(fired, 1);
 * ```
 */
export class BodyTimeout {
  readonly #ms: number;
  readonly #onTimeout: () => void;
  #timer: ReturnType<typeof setTimeout> | undefined;
  /** When body bytes last arrived or the reader last asked for more (`Date.now()`). */
  #activity = 0;

  /**
   * Creates the timer, not armed.
   *
   * @param ms The longest silence.
   * @param onTimeout Called once the silence reached `ms`.
   */
  constructor(ms: number, onTimeout: () => void) {
    this.#ms = ms;
    this.#onTimeout = onTimeout;
  }

  /** Bytes arrived: the silence starts again. */
  touch(): void {
    this.#activity = Date.now();
  }

  /** The reader waits for bytes: the silence counts from now. */
  start(): void {
    this.#activity = Date.now();
    if (this.#timer !== undefined) return;
    this.#timer = startTimer(this.#ms, this.#check);
  }

  /** The reader is not reading (or the body ended): silence is not the server's fault. */
  stop(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  readonly #check = (): void => {
    this.#timer = undefined;
    const idle = Date.now() - this.#activity;
    if (idle < this.#ms) {
      this.#timer = startTimer(this.#ms - idle, this.#check);
      return;
    }
    this.#onTimeout();
  };
}
