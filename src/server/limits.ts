/**
 * The server's default limits and timeouts, and their validation. This
 * module is browser compatible.
 *
 * @module
 */

import { DEFAULT_LIMITS } from "../http1/types.ts";
import type { ServeLimits } from "./types.ts";

/** The defaults for {@linkcode ServeLimits}. */
export const DEFAULT_SERVE_LIMITS: Readonly<ServeLimits> = Object.freeze({
  ...DEFAULT_LIMITS,
  headersTimeout: 10_000,
  idleTimeout: 5_000,
  bodyTimeout: 30_000,
  minBodyRate: 500,
  minBodyRateGrace: 20_000,
  sendTimeout: 60_000,
  maxRequestsPerConnection: Infinity,
  shutdownTimeout: 30_000,
  handlerTimeout: 300_000,
  maxInformational: 100,
  maxInformationalBytes: 16_384,
  maxConcurrentStreams: 100,
  streamResetBurst: 1000,
  streamResetRate: 33,
  controlFrameBurst: 1000,
  controlFrameRate: 100,
});

/**
 * Merges user limits over the defaults.
 *
 * @param limits The user's partial limits.
 * @returns The complete limits.
 * @throws {RangeError} For a limit that is not a positive number.
 *
 * @example Overriding one timeout
 * ```ts
 * import assert from "node:assert/strict";
 * import { resolveServeLimits } from "./limits.ts";
 * assert.equal(resolveServeLimits({ idleTimeout: 100 }).idleTimeout, 100);
 * ```
 */
export function resolveServeLimits(limits: Partial<ServeLimits> | undefined): ServeLimits {
  const resolved: ServeLimits = { ...DEFAULT_SERVE_LIMITS };
  if (limits === undefined) return resolved;
  for (const key of Object.keys(limits) as (keyof ServeLimits)[]) {
    const value = limits[key];
    if (value === undefined) continue;
    if (!(key in DEFAULT_SERVE_LIMITS)) {
      const known = Object.keys(DEFAULT_SERVE_LIMITS).join(", ");
      throw new RangeError(`serve: unknown option limits.${key} (known: ${known})`);
    }
    if (typeof value !== "number" || !(value > 0)) {
      throw new RangeError(`serve: limits.${key} must be a positive number, got ${String(value)}`);
    }
    resolved[key] = value;
  }
  return resolved;
}

/**
 * The period of a server's one sweep timer over every deadline: a quarter
 * of the shortest timeout, between 50 ms and 1 s. One coarse timer is far
 * cheaper than a timer re-armed per request; a deadline fires at most a
 * period late.
 *
 * @param limits The server's limits.
 * @returns The period in milliseconds.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { DEFAULT_SERVE_LIMITS, sweepPeriod } from "./limits.ts";
 * assert.equal(sweepPeriod({ ...DEFAULT_SERVE_LIMITS, headersTimeout: 400 }), 100);
 * ```
 */
export function sweepPeriod(limits: Readonly<ServeLimits>): number {
  const shortest = Math.min(
    limits.headersTimeout,
    limits.idleTimeout,
    limits.bodyTimeout,
    limits.minBodyRateGrace,
    limits.sendTimeout,
    limits.handlerTimeout,
  );
  return Math.max(50, Math.min(1000, shortest / 4));
}
