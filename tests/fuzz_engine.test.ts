/**
 * Property-based tests of the HTTP/1.1 engine (fast-check): valid request and
 * response streams split at random points parse exactly as generated and
 * identically; mutated streams and random bytes never crash or hang the
 * parsers, which reach the same decision however the bytes are split.
 *
 * Runs scale with `EH_FUZZ_RUNS` (a multiplier, default 1); `EH_FUZZ_SEED`
 * replays a failure (the seed is printed with every failure).
 * `scripts/fuzz.ts` runs the same properties much longer.
 */

import { test } from "node:test";
import process from "node:process";
import fc from "fast-check";
import { ENGINE_PROPERTIES, fuzzSeed } from "./_support/hostile_properties.ts";

const SCALE = Number(process.env.EH_FUZZ_RUNS ?? "1");

for (const property of ENGINE_PROPERTIES) {
  test(`engine: ${property.name}`, () => {
    const seed = fuzzSeed(process.env);
    const numRuns = Math.max(1, Math.round(property.runs * SCALE));
    try {
      fc.assert(property.build(), { seed, numRuns });
    } catch (error) {
      throw new Error(
        `failed with seed ${seed} (EH_FUZZ_SEED=${seed} replays it): ${String(error)}`,
        { cause: error },
      );
    }
  });
}
