/**
 * Picks the runtime adapter: `detectRuntime()` by feature test, and
 * `defaultAdapter()` / `loadAdapter()` which load only the chosen adapter's
 * file, with a dynamic `import()`, so one runtime never loads another's.
 *
 * @module
 */

import type { RuntimeAdapter } from "./types.ts";

/** The runtimes with an adapter. */
export type RuntimeName = RuntimeAdapter["name"];

/**
 * The Bun adapter's specifier, kept out of a literal `import()` so that
 * `deno check` (which follows literal dynamic imports) never type-checks
 * Bun-only code. In the npm build, tsc's `rewriteRelativeImportExtensions`
 * wraps this `import()` in a helper that turns `./bun.ts` into `./bun.js`
 * at run time.
 */
const BUN_ADAPTER_MODULE = "./bun.ts";

/**
 * Tells which runtime runs this code. Deno and Bun also define `process`,
 * so their own globals are tested first.
 *
 * @returns `"deno"`, `"bun"` or `"node"` (anything else is treated as Node).
 *
 * @example Print the runtime
 * ```ts
 * import assert from "node:assert/strict";
 * import { detectRuntime } from "./select.ts";
 * assert.ok(["deno", "bun", "node"].includes(detectRuntime())); // "deno" under Deno
 * ```
 */
export function detectRuntime(): RuntimeName {
  const globals = globalThis as { Deno?: unknown; Bun?: unknown };
  if (typeof globals.Deno === "object" && globals.Deno !== null) return "deno";
  if (typeof globals.Bun === "object" && globals.Bun !== null) return "bun";
  return "node";
}

const loaded = new Map<RuntimeName, Promise<RuntimeAdapter>>();

/**
 * Loads one runtime's adapter (once; later calls share the promise). The
 * Node adapter works under every runtime; the Deno and Bun adapters only
 * under their own.
 *
 * @param name Which adapter.
 * @returns The adapter.
 *
 * @example Use node:net even under Deno or Bun
 * ```ts
 * import assert from "node:assert/strict";
 * import { loadAdapter } from "./select.ts";
 * const adapter = await loadAdapter("node");
 * assert.equal(adapter.name, "node");
 * ```
 */
export function loadAdapter(name: RuntimeName): Promise<RuntimeAdapter> {
  let adapter = loaded.get(name);
  if (adapter === undefined) {
    adapter = importAdapter(name);
    loaded.set(name, adapter);
    // A failed load (wrong runtime) may be retried; it is not cached.
    adapter.catch(() => loaded.delete(name));
  }
  return adapter;
}

async function importAdapter(name: RuntimeName): Promise<RuntimeAdapter> {
  const runtime = detectRuntime();
  if ((name === "deno" || name === "bun") && name !== runtime) {
    // Otherwise the first listen or connect fails with "Deno is not defined".
    throw new TypeError(
      `the "${name}" adapter runs only on ${name === "deno" ? "Deno" : "Bun"}, and this is ` +
        `${runtime}; the "node" adapter (node:net) runs on all three`,
    );
  }
  switch (name) {
    case "deno":
      return (await import("./deno.ts")).denoAdapter;
    case "bun":
      return ((await import(BUN_ADAPTER_MODULE)) as { bunAdapter: RuntimeAdapter }).bunAdapter;
    case "node":
      return (await import("./node.ts")).nodeAdapter;
    default:
      throw new TypeError(`unknown runtime adapter: ${String(name)}`);
  }
}

/**
 * The adapter of the runtime running this code, loaded once and cached.
 *
 * @returns The adapter for `detectRuntime()`.
 *
 * @example Connect with the native adapter
 * ```ts
 * import assert from "node:assert/strict";
 * import { defaultAdapter } from "./select.ts";
 * const adapter = await defaultAdapter();
 * assert.ok(["deno", "bun", "node"].includes(adapter.name));
 * ```
 */
export function defaultAdapter(): Promise<RuntimeAdapter> {
  return loadAdapter(detectRuntime());
}
