/**
 * The request body's pace, for `limits.bodyTimeout` and `limits.minBodyRate`
 * on a backend that reads bodies through events (the `node-http` backend;
 * the engine's connection loop applies the same rule, see
 * src/server/connection.ts). Only time spent waiting for the client counts,
 * not time the handler leaves the body unread. This module is browser
 * compatible.
 *
 * @module
 */

/** The limits the rule reads (a subset of `ServeLimits`). */
export interface BodyPaceLimits {
  /** Milliseconds without a body byte while the server waits for one. */
  readonly bodyTimeout: number;
  /** Bytes per second of waiting owed after the grace period. */
  readonly minBodyRate: number;
  /** Milliseconds of waiting before the rate applies. */
  readonly minBodyRateGrace: number;
}

/**
 * Apache mod_reqtimeout's MinRate: after `minBodyRateGrace` each second of
 * waiting must have brought `minBodyRate` bytes.
 *
 * @param waitedMs Milliseconds spent waiting for the client.
 * @param bytes Body bytes received meanwhile.
 * @param limits The limits.
 * @returns Whether the body arrives too slowly.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { bodyTooSlow } from "./body_pace.ts";
 * const limits = { bodyTimeout: 30_000, minBodyRate: 500, minBodyRateGrace: 20_000 };
 * assert.equal(bodyTooSlow(20_001, 0, limits), true);
 * assert.equal(bodyTooSlow(30_000, 5_000, limits), false);
 * ```
 */
export function bodyTooSlow(waitedMs: number, bytes: number, limits: BodyPaceLimits): boolean {
  return waitedMs > limits.minBodyRateGrace + bytes * 1000 / limits.minBodyRate;
}

/**
 * One request body's progress: when the server waits for bytes, how many
 * came, and whether it broke `bodyTimeout` or `minBodyRate`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { BodyPace } from "./body_pace.ts";
 * const limits = { bodyTimeout: 1_000, minBodyRate: 500, minBodyRateGrace: 5_000 };
 * const pace = new BodyPace(0);
 * pace.wait(0);
 * assert.equal(pace.verdict(900, limits), undefined);
 * assert.match(pace.verdict(1_001, limits) ?? "", /no progress/);
 * ```
 */
export class BodyPace {
  #bytes = 0;
  /** Milliseconds waited before `#waitingSince`. */
  #waited = 0;
  /** Whether the server waits for the client now, and since when. */
  #waiting = false;
  #waitingSince = 0;
  /** The last byte, or when the waiting began. */
  #progressAt: number;
  /** After the response: the rest is read and dropped, all of that time waiting. */
  #draining = false;

  /**
   * @param now The request's start, in milliseconds.
   */
  constructor(now: number) {
    this.#progressAt = now;
  }

  /** Whether the server waits for the client now. */
  get waiting(): boolean {
    return this.#waiting;
  }

  /**
   * The server wants bytes (the handler reads) and has none.
   *
   * @param now The time in milliseconds.
   */
  wait(now: number): void {
    if (this.#waiting) return;
    this.#waiting = true;
    this.#waitingSince = now;
    this.#progressAt = now;
  }

  /**
   * From now on the rest is read and dropped: the server waits until the end.
   *
   * @param now The time in milliseconds.
   */
  drain(now: number): void {
    this.#draining = true;
    this.wait(now);
  }

  /**
   * Body bytes arrived.
   *
   * @param size How many.
   * @param now The time in milliseconds.
   */
  received(size: number, now: number): void {
    this.#bytes += size;
    this.#progressAt = now;
    if (this.#waiting && !this.#draining) {
      this.#waited += now - this.#waitingSince;
      this.#waiting = false;
    }
  }

  /**
   * Whether the body broke a limit, and which.
   *
   * @param now The time in milliseconds.
   * @param limits The limits.
   * @returns Why the body failed (after "the request body "), or `undefined`.
   */
  verdict(now: number, limits: BodyPaceLimits): string | undefined {
    if (!this.#waiting) return undefined;
    if (now - this.#progressAt > limits.bodyTimeout) {
      return `made no progress for ${limits.bodyTimeout} ms`;
    }
    if (bodyTooSlow(this.#waited + now - this.#waitingSince, this.#bytes, limits)) {
      return `arrived slower than limits.minBodyRate (${limits.minBodyRate} bytes/s)`;
    }
    return undefined;
  }
}
