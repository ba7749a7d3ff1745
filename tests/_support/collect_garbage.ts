/**
 * A full garbage collection, for memory figures taken by test and script
 * child servers.
 *
 * @module
 */

/**
 * Runs a full garbage collection when the runtime allows it (Node and Deno
 * with `--expose-gc`, Bun always).
 *
 * @returns Whether a collection ran.
 */
export function collectGarbage(): boolean {
  const global = globalThis as Record<string, unknown>;
  const gc = global["gc"];
  if (typeof gc === "function") {
    gc();
    gc();
    return true;
  }
  const bun = global["Bun"] as { gc?: (force: boolean) => void } | undefined;
  if (typeof bun?.gc === "function") {
    bun.gc(true);
    return true;
  }
  return false;
}
