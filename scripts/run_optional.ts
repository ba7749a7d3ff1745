/**
 * Runs a project script that a later change may not have added yet, so
 * `npm run bench` fails with a clear message instead of a module-not-found
 * stack trace.
 *
 * Usage: `node --import tsx scripts/run_optional.ts scripts/bench.ts [args...]`
 *
 * @module
 */

import { existsSync } from "node:fs";
import { resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { runCommand } from "./_run.ts";

const ROOT = resolve(fileURLToPath(import.meta.url), "../..");
const [script, ...args] = process.argv.slice(2);

if (script === undefined) {
  console.error("usage: node --import tsx scripts/run_optional.ts <script.ts> [args...]");
  process.exitCode = 2;
} else if (!existsSync(resolve(ROOT, script))) {
  console.error(`${script} does not exist yet: this part of early-hints is not written.`);
  process.exitCode = 1;
} else {
  const run = await runCommand(process.execPath, ["--import", "tsx", script, ...args], {
    cwd: ROOT,
    timeoutMs: 24 * 3600_000,
  });
  process.exitCode = run.code ?? 1;
}
