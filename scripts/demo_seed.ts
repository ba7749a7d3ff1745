/**
 * Runs the seed program once on the current runtime and prints its lines:
 *
 * ```
 * runtime: deno 2.9.6
 * hinted [yyy]
 * ...
 * final [ttt uuu]
 * (final response 1003 ms after the hint)
 * ```
 *
 * Usage: `deno run -A scripts/demo_seed.ts [--delay=MS]`, `bun scripts/demo_seed.ts`,
 * `node --import tsx scripts/demo_seed.ts`. `scripts/demo.ts` runs it on each runtime.
 *
 * @module
 */

import process from "node:process";
import { runSeed } from "./demo_seed_app.ts";

/** The seed sleeps 2 s; 1 s shows the wait without making the demo slow. */
const DEFAULT_DELAY_MS = 1000;

function runtimeName(): string {
  const global = globalThis as { Deno?: { version: { deno: string } }; Bun?: { version: string } };
  if (global.Deno !== undefined) return `deno ${global.Deno.version.deno}`;
  if (global.Bun !== undefined) return `bun ${global.Bun.version}`;
  return `node ${process.versions.node}`;
}

function parseDelay(args: readonly string[]): number {
  let delay = DEFAULT_DELAY_MS;
  for (const arg of args) {
    const match = /^--delay=(\d+)$/.exec(arg);
    if (match === null) {
      throw new Error(`unknown argument ${JSON.stringify(arg)}; usage: demo_seed.ts [--delay=MS]`);
    }
    delay = Number(match[1]);
  }
  return delay;
}

try {
  const delayMs = parseDelay(process.argv.slice(2));
  console.log(`runtime: ${runtimeName()}`);
  // Lines are printed as they become known: the hinted ones on the 103,
  // the final ones after the handler's work.
  const { hintToFinalMs } = await runSeed(delayMs, delayMs + 10_000, (line) => console.log(line));
  console.log(`(final response ${Math.round(hintToFinalMs)} ms after the hint)`);
} catch (error) {
  console.error(`demo_seed: ${error instanceof Error ? error.message : String(error)}`);
  process.exitCode = 1;
}
