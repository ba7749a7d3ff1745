/**
 * Long fuzzing run (not part of `npm test`): the engine properties of
 * `tests/fuzz_engine.test.ts`, the llhttp differential of
 * `tests/fuzz_llhttp.test.ts` and the server and client fuzz of
 * `tests/fuzz_server.test.ts` and `tests/fuzz_client.test.ts`, with counts
 * scaled up, and a JSON report of
 * what ran (`.build/fuzz-report.json`) for `docs/hardening.md`.
 *
 * Usage: `node --import tsx scripts/fuzz.ts [--scale=N] [--seed=S]`
 * - `--scale` multiplies the suite's counts (default 50)
 * - `--seed` replays a run (default: from the clock; printed)
 *
 * Exits non-zero when any property fails or a disagreement with llhttp is
 * not justified; the seed is printed to replay it.
 *
 * @module
 */

import { spawnSync } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import process from "node:process";
import { fileURLToPath } from "node:url";
import fc from "fast-check";
import {
  compareWithLlhttp,
  differentialInputs,
  findNode,
  JUSTIFIED,
} from "../tests/_support/hostile_differential.ts";
import { ENGINE_PROPERTIES } from "../tests/_support/hostile_properties.ts";

const ROOT = resolve(fileURLToPath(import.meta.url), "../..");

function option(name: string, fallback: number): number {
  const arg = process.argv.find((a) => a.startsWith(`--${name}=`));
  if (arg === undefined) return fallback;
  const value = Number(arg.slice(name.length + 3));
  if (!Number.isFinite(value) || value <= 0) throw new Error(`bad ${arg}`);
  return value;
}

const scale = option("scale", 50);
const seed = option("seed", Date.now() % 2 ** 31);
const report: Record<string, unknown> = { seed, scale, started: new Date().toISOString() };
let failed = false;
console.log(`fuzz: seed ${seed} (--seed=${seed} replays), scale ${scale}`);

// ------------------------------------------------------------------ engine
const engine: Array<Record<string, unknown>> = [];
for (const property of ENGINE_PROPERTIES) {
  const numRuns = Math.round(property.runs * scale);
  const started = performance.now();
  const details = fc.check(property.build(), { seed, numRuns });
  const ms = Math.round(performance.now() - started);
  const ok = !details.failed;
  failed ||= !ok;
  engine.push({ name: property.name, runs: details.numRuns, ok, ms });
  console.log(
    `${ok ? "ok  " : "FAIL"} engine: ${property.name}: ${details.numRuns} runs, ${ms} ms`,
  );
  if (!ok) {
    console.log(`     counterexample: ${JSON.stringify(details.counterexample)?.slice(0, 2000)}`);
  }
}
report.engine = engine;

// ------------------------------------------------------------------ llhttp
const node = findNode();
if (node === undefined) {
  console.log("skip llhttp differential: node is not installed");
} else {
  const count = Math.round(1500 * scale);
  const started = performance.now();
  const { inputs, sources } = differentialInputs(seed, count);
  const results = await compareWithLlhttp(node, inputs, 1_800_000);
  const classes = new Map<string, number>();
  const bySource = new Map<string, number>();
  for (const source of sources) bySource.set(source, (bySource.get(source) ?? 0) + 1);
  const unjustified: string[] = [];
  for (const result of results) {
    const key = result.disagreement;
    if (key === undefined) continue;
    classes.set(key, (classes.get(key) ?? 0) + 1);
    if (key === "framing" || !JUSTIFIED.some((entry) => entry.pattern.test(key))) {
      if (!unjustified.includes(key)) unjustified.push(key);
    }
  }
  const agreed = results.filter((result) => result.disagreement === undefined).length;
  const ms = Math.round(performance.now() - started);
  failed ||= unjustified.length > 0;
  const justification = (key: string) =>
    JUSTIFIED.find((entry) => entry.pattern.test(key))?.id ?? "UNJUSTIFIED";
  report.llhttp = {
    inputs: inputs.length,
    sources: Object.fromEntries(bySource),
    agreed,
    classes: [...classes].sort((a, b) => b[1] - a[1]).map(([key, n]) => ({
      class: key,
      count: n,
      justification: justification(key),
    })),
    unjustified,
    ms,
  };
  console.log(
    `${unjustified.length === 0 ? "ok  " : "FAIL"} llhttp differential: ${inputs.length} inputs, ` +
      `${agreed} agree, ${ms} ms`,
  );
  for (const [key, n] of [...classes].sort((a, b) => b[1] - a[1])) {
    console.log(`     ${String(n).padStart(6)}  ${key}  [${justification(key)}]`);
  }
}

// ------------------------------------------------------------------ server and client
for (
  const [name, file, base] of [
    ["server", "tests/fuzz_server.test.ts", 300],
    ["client", "tests/fuzz_client.test.ts", 200],
  ] as const
) {
  const runs = Math.max(50, Math.round(base * scale / 5));
  const started = performance.now();
  const run = spawnSync(
    process.execPath,
    ["--import", "tsx", "--test", file],
    {
      cwd: ROOT,
      encoding: "utf8",
      env: { ...process.env, EH_FUZZ_RUNS: String(scale / 5), EH_FUZZ_SEED: String(seed) },
      timeout: 1_800_000,
    },
  );
  const ok = run.status === 0;
  const ms = Math.round(performance.now() - started);
  failed ||= !ok;
  const summary = /hardening: [^\n]*/.exec(run.stdout)?.[0] ?? "";
  report[name] = { runs, ok, ms, summary };
  console.log(`${ok ? "ok  " : "FAIL"} ${name} fuzz: ${runs} mutated streams, ${ms} ms`);
  if (summary !== "") console.log(`     ${summary}`);
  if (!ok) console.log(run.stdout.slice(-4000), run.stderr.slice(-2000));
}

report.finished = new Date().toISOString();
mkdirSync(join(ROOT, ".build"), { recursive: true });
writeFileSync(join(ROOT, ".build", "fuzz-report.json"), `${JSON.stringify(report, null, 2)}\n`);
console.log(`report: .build/fuzz-report.json${failed ? " (FAILURES)" : ""}`);
process.exit(failed ? 1 : 0);
