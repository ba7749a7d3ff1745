/**
 * Test support: the engine's fuzz properties, shared by
 * `tests/fuzz_engine.test.ts` (bounded runs) and `scripts/fuzz.ts` (long
 * runs with recorded counts).
 *
 * @module
 */

import assert from "node:assert/strict";
import fc from "fast-check";
import {
  compareRequests,
  compareResponses,
  cutsArb,
  latin1Bytes,
  mutate,
  mutationsArb,
  parseRequests,
  parseResponses,
  requestStreamArb,
  responseStreamArb,
  splitBytes,
} from "./hostile_generators.ts";

/** A named property with its default number of runs in the test suite. */
export interface EngineProperty {
  /** What it asserts. */
  readonly name: string;
  /** Runs in `npm test` before scaling by `EH_FUZZ_RUNS`. */
  readonly runs: number;
  /** Builds the property. */
  readonly build: () => fc.IProperty<unknown[]>;
}

/** The properties. */
export const ENGINE_PROPERTIES: readonly EngineProperty[] = [
  {
    name: "valid pipelined requests parse as generated, identically at any split",
    runs: 2000,
    build: () =>
      fc.property(requestStreamArb, cutsArb, (models, cuts) => {
        const bytes = latin1Bytes(models.map((model) => model.wire).join(""));
        const whole = parseRequests([bytes]);
        const problem = compareRequests(models, whole);
        assert.equal(problem, undefined, problem ?? "");
        assert.deepStrictEqual(parseRequests(splitBytes(bytes, cuts)), whole);
        // Byte by byte, the hardest split of all.
        assert.deepStrictEqual(parseRequests(splitBytes(bytes, [...bytes.keys()])), whole);
      }) as fc.IProperty<unknown[]>,
  },
  {
    name:
      "valid response streams (1xx, final, bodies) parse as generated, identically at any split",
    runs: 2000,
    build: () =>
      fc.property(responseStreamArb, cutsArb, (models, cuts) => {
        const methods = models.map((model) => model.method);
        const bytes = latin1Bytes(models.map((model) => model.wire).join(""));
        const whole = parseResponses(methods, [bytes]);
        const problem = compareResponses(models, whole);
        assert.equal(problem, undefined, problem ?? "");
        assert.deepStrictEqual(parseResponses(methods, splitBytes(bytes, cuts)), whole);
        assert.deepStrictEqual(
          parseResponses(methods, splitBytes(bytes, [...bytes.keys()])),
          whole,
        );
      }) as fc.IProperty<unknown[]>,
  },
  {
    name: "mutated requests never crash or hang the parser, and its decision ignores the split",
    runs: 6000,
    build: () =>
      fc.property(
        requestStreamArb,
        mutationsArb,
        cutsArb,
        fc.boolean(),
        (models, edits, cuts, eof) => {
          const bytes = latin1Bytes(mutate(models.map((model) => model.wire).join(""), edits));
          const whole = parseRequests([bytes], eof);
          assert.deepStrictEqual(parseRequests(splitBytes(bytes, cuts), eof), whole);
        },
      ) as fc.IProperty<unknown[]>,
  },
  {
    name: "mutated responses never crash or hang the parser, and its decision ignores the split",
    runs: 6000,
    build: () =>
      fc.property(
        responseStreamArb,
        mutationsArb,
        cutsArb,
        fc.boolean(),
        (models, edits, cuts, eof) => {
          const methods = models.map((model) => model.method);
          const bytes = latin1Bytes(mutate(models.map((model) => model.wire).join(""), edits));
          const whole = parseResponses(methods, [bytes], eof);
          assert.deepStrictEqual(parseResponses(methods, splitBytes(bytes, cuts), eof), whole);
        },
      ) as fc.IProperty<unknown[]>,
  },
  {
    name: "random bytes never crash or hang either parser",
    runs: 4000,
    build: () =>
      fc.property(
        fc.uint8Array({ maxLength: 512 }),
        cutsArb,
        fc.boolean(),
        (bytes, cuts, eof) => {
          const requests = parseRequests([bytes], eof);
          assert.deepStrictEqual(parseRequests(splitBytes(bytes, cuts), eof), requests);
          const responses = parseResponses(["GET"], [bytes], eof);
          assert.deepStrictEqual(parseResponses(["GET"], splitBytes(bytes, cuts), eof), responses);
        },
      ) as fc.IProperty<unknown[]>,
  },
];

/**
 * The seed for a run: `EH_FUZZ_SEED` when set, else derived from the clock.
 *
 * @param env The environment.
 * @returns A 31-bit seed.
 */
export function fuzzSeed(env: Record<string, string | undefined>): number {
  const fixed = env["EH_FUZZ_SEED"];
  return fixed !== undefined && fixed !== "" ? Number(fixed) : Date.now() % 2 ** 31;
}
