/**
 * Whether `ServerResponse.writeInformation(status, headers)` (Node 24.19+,
 * 26.2+: any 1xx with any fields, through the response's own output, so in
 * order with it) can be trusted with a field list on this runtime. Node's and
 * Bun's take `headers` as a flat raw list (`[name, value, name, value ...]`),
 * which keeps repeated names as separate field lines. Deno's (2.9) reads only
 * an object's keys: a list goes out as `0: x-a`, `1: 1` ..., and an object
 * cannot repeat a name, so on Deno the caller keeps its raw path.
 *
 * @module
 */

let trusted: boolean | undefined;

/**
 * Whether a `writeInformation` method found on a `ServerResponse` writes a
 * flat field list as Node documents it.
 *
 * @returns `false` on Deno, `true` elsewhere (checked once).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { writeInformationTakesLists } from "./write_information.ts";
 * assert.equal(writeInformationTakesLists(), !("Deno" in globalThis));
 * ```
 */
export function writeInformationTakesLists(): boolean {
  return trusted ??= !("Deno" in globalThis);
}
