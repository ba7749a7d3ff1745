/**
 * Resolution of parser options against the defaults. Private to the engine.
 *
 * @module
 */

import { Http1Error } from "./errors.ts";
import { DEFAULT_LIMITS, type ParserLimits } from "./types.ts";

const LIMIT_NAMES: ReadonlyArray<keyof ParserLimits> = [
  "maxStartLineBytes",
  "maxHeaderBytes",
  "maxHeaderCount",
  "maxChunkLineBytes",
  "maxInformational",
  "maxBodyBytes",
];

/** Fills unset limits with the defaults; rejects negative or NaN values. */
export function resolveLimits(limits: Partial<ParserLimits> | undefined): ParserLimits {
  const resolved: ParserLimits = { ...DEFAULT_LIMITS };
  if (limits === undefined) return resolved;
  for (const name of LIMIT_NAMES) {
    const value = limits[name];
    if (value === undefined) continue;
    if (typeof value !== "number" || !(value >= 0)) {
      throw new Http1Error(
        "LOCAL_PROTOCOL_ERROR",
        `limit ${name} must be a number >= 0, got ${String(value)}`,
      );
    }
    resolved[name] = value;
  }
  return resolved;
}
