/**
 * The project's test runner (`npm test`): static checks, then the same
 * `tests/*.test.ts` suite under Deno, Bun and Node 22, 24 and 26, one after
 * the other. Every runtime is an npm devDependency (`node22`, `node24` and
 * `node26` are aliases of the `node` package), so nothing is installed by hand.
 *
 * Deno and Bun write JUnit XML, Node JSON lines (`node_test_reporter.mjs`);
 * each is reduced to one result per top-level `test()` call (`_junit.ts`). The run ends with one line,
 * `N passed, N failed, N skipped`, summed over all runtimes; a failed check
 * step, a runtime that timed out, crashed or reported nothing, and a test
 * file a runtime did not report on each count as one failure.
 *
 * Usage: `node --import tsx scripts/test.ts [options] [file-filter...]`
 * - `--runtime=deno,bun,node26` which runtimes to run (default all; `node`
 *   means every Node version in the matrix)
 * - `--no-checks` skip fmt/lint/type/isolation/pack checks
 * - `--only-checks` run the checks only
 * - `--timeout=SECONDS` limit per runtime run (default 360)
 * - `--jobs=N` test files run at once per runtime (default 2; 1 runs them
 *   one after the other). Files are independent: servers listen on port 0,
 *   scratch files go to each test's own temporary directory, and Node, Deno
 *   and Bun each run a file in its own process or worker.
 * - `file-filter` substrings; only test files whose path contains one run
 *
 * @module
 */

import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { bunResults, denoResults, nodeResults, type TestResult } from "./_junit.ts";
import { runCommand, type RunResult } from "./_run.ts";

const STARTED = performance.now();
const ROOT = resolve(fileURLToPath(import.meta.url), "../..");
const BIN = join(ROOT, "node_modules", ".bin");
// One directory per run: concurrent runs (two terminals, helpers) must not overwrite each other.
const RESULTS_DIR = join(ROOT, ".build", "test-results", `${process.pid}-${Date.now()}`);
const NODE_VERSIONS = ["node22", "node24", "node26"] as const;
const RUNTIMES = ["deno", "bun", ...NODE_VERSIONS] as const;
type Runtime = typeof RUNTIMES[number];

function isNode(runtime: Runtime): runtime is typeof NODE_VERSIONS[number] {
  return runtime.startsWith("node");
}

/** Files `deno check` must not see: Bun-only code, checked by tsconfig.bun.json. */
const DENO_CHECK_EXCLUDED = new Set(["src/runtime/bun.ts"]);

interface Options {
  readonly runtimes: readonly Runtime[];
  readonly checks: boolean;
  readonly tests: boolean;
  readonly timeoutMs: number;
  readonly jobs: number;
  readonly filters: readonly string[];
}

function parseOptions(argv: readonly string[]): Options {
  let runtimes: Runtime[] = [...RUNTIMES];
  let checks = true;
  let tests = true;
  let timeoutMs = 360_000;
  let jobs = 2;
  const filters: string[] = [];
  for (const arg of argv) {
    if (arg.startsWith("--runtime=")) {
      const names = arg.slice("--runtime=".length).split(",").filter((n) => n !== "")
        .flatMap((n) => n === "node" ? [...NODE_VERSIONS] : [n]);
      const unknown = names.filter((n) => !(RUNTIMES as readonly string[]).includes(n));
      if (unknown.length > 0 || names.length === 0) {
        throw new Error(`--runtime takes a list of ${RUNTIMES.join(", ")}; got "${arg}"`);
      }
      runtimes = RUNTIMES.filter((r) => names.includes(r));
    } else if (arg === "--no-checks") {
      checks = false;
    } else if (arg === "--only-checks") {
      tests = false;
    } else if (arg.startsWith("--timeout=")) {
      const seconds = Number(arg.slice("--timeout=".length));
      if (!Number.isFinite(seconds) || seconds <= 0) throw new Error(`bad ${arg}`);
      timeoutMs = seconds * 1000;
    } else if (arg.startsWith("--jobs=")) {
      jobs = Number(arg.slice("--jobs=".length));
      if (!Number.isInteger(jobs) || jobs < 1) {
        throw new Error(`--jobs takes a whole number >= 1; got "${arg}"`);
      }
    } else if (arg === "--help" || arg === "-h") {
      console.log(
        `usage: npm test -- [--runtime=${RUNTIMES.join(",")}|node] [--no-checks] [--only-checks] ` +
          "[--timeout=SECONDS] [--jobs=N] [file-filter...]",
      );
      process.exit(0);
    } else if (arg.startsWith("-")) {
      throw new Error(`unknown option ${arg} (try --help)`);
    } else {
      filters.push(arg);
    }
  }
  return { runtimes, checks, tests, timeoutMs, jobs, filters };
}

// ---------------------------------------------------------------- output

const colour = process.stdout.isTTY === true && process.env.NO_COLOR === undefined;
const paint = (code: string) => (text: string): string =>
  colour ? `\x1b[${code}m${text}\x1b[0m` : text;
const red = paint("31");
const green = paint("32");
const yellow = paint("33");
const bold = paint("1");

function heading(title: string): void {
  console.log(`\n${bold(`━━ ${title} `.padEnd(72, "━"))}`);
}

function seconds(ms: number): string {
  return ms < 1000 ? `${Math.round(ms)}ms` : `${(ms / 1000).toFixed(1)}s`;
}

function describeExit(run: RunResult): string {
  if (run.startError !== undefined) return `could not start: ${run.startError}`;
  if (run.timedOut) return `timed out after ${seconds(run.ms)}`;
  if (run.signal !== null) return `killed by ${run.signal}`;
  return `exit code ${run.code}`;
}

// ---------------------------------------------------------------- files

function listTs(dir: string, out: string[] = []): string[] {
  if (!existsSync(join(ROOT, dir))) return out;
  for (const entry of readdirSync(join(ROOT, dir), { withFileTypes: true })) {
    const path = dir === "." ? entry.name : `${dir}/${entry.name}`;
    if (entry.isDirectory()) {
      if (dir === "." && !["src", "tests", "scripts", "examples"].includes(entry.name)) continue;
      listTs(path, out);
    } else if (entry.name.endsWith(".ts") && !entry.name.endsWith(".d.ts")) {
      if (dir === "." && !["mod.ts", "server.ts", "client.ts", "hono.ts"].includes(entry.name)) {
        continue;
      }
      out.push(path);
    }
  }
  return out.sort();
}

function testFiles(filters: readonly string[]): string[] {
  const dir = join(ROOT, "tests");
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((name) => name.endsWith(".test.ts"))
    .map((name) => `tests/${name}`)
    .filter((path) => filters.length === 0 || filters.some((f) => path.includes(f)))
    .sort();
}

// ---------------------------------------------------------------- checks

interface CheckStep {
  readonly name: string;
  readonly command: string;
  readonly args: readonly string[];
}

interface CheckResult {
  readonly name: string;
  readonly ok: boolean;
  readonly detail: string;
  readonly ms: number;
}

function checkSteps(): CheckStep[] {
  const deno = join(BIN, "deno");
  const steps: CheckStep[] = [
    { name: "deno fmt --check", command: deno, args: ["fmt", "--check"] },
    { name: "deno lint", command: deno, args: ["lint"] },
  ];
  const checked = listTs(".").filter((file) => !DENO_CHECK_EXCLUDED.has(file));
  steps.push({ name: "deno check", command: deno, args: ["check", ...checked] });
  // The public entry points: every export documented, with an example.
  steps.push({
    name: "deno doc --lint",
    command: deno,
    args: ["doc", "--lint", "mod.ts", "server.ts", "client.ts", "hono.ts"],
  });
  if (existsSync(join(ROOT, "tsconfig.bun.json"))) {
    steps.push({
      name: "tsc -p tsconfig.bun.json",
      command: join(BIN, "tsc"),
      args: ["-p", "tsconfig.bun.json"],
    });
  }
  steps.push(
    {
      name: "check_isolation",
      command: process.execPath,
      args: ["--import", "tsx", "scripts/check_isolation.ts"],
    },
    {
      name: "build + npm pack + plain-node import",
      command: process.execPath,
      args: ["--import", "tsx", "scripts/check_pack.ts"],
    },
  );
  return steps;
}

async function runChecks(): Promise<CheckResult[]> {
  const results: CheckResult[] = [];
  for (const step of checkSteps()) {
    heading(step.name);
    const run = await runCommand(step.command, step.args, {
      cwd: ROOT,
      timeoutMs: 300_000,
      env: childEnv(),
    });
    const ok = run.code === 0 && !run.timedOut;
    const detail = ok ? "" : describeExit(run);
    console.log(
      `${ok ? green("✔") : red("✖")} ${step.name} (${seconds(run.ms)})${ok ? "" : `: ${detail}`}`,
    );
    results.push({ name: step.name, ok, detail, ms: run.ms });
  }
  return results;
}

// ---------------------------------------------------------------- runtimes

interface RuntimeReport {
  readonly runtime: Runtime;
  readonly results: readonly TestResult[];
  /** Failures of the run itself (timeout, crash, missing report), one count each. */
  readonly problems: readonly string[];
  readonly ms: number;
}

function childEnv(): Record<string, string> {
  // Runners colour their output only for a terminal; keep files and CI logs plain.
  return colour ? {} : { NO_COLOR: "1" };
}

interface RuntimeCommand extends CheckStep {
  readonly env: Record<string, string>;
}

function runtimeCommand(
  runtime: Runtime,
  files: readonly string[],
  junit: string,
  jobs: number,
): RuntimeCommand {
  switch (runtime) {
    case "deno":
      return {
        name: "deno test",
        command: join(BIN, "deno"),
        // Types are the "deno check" step's job; without --no-check one
        // type error anywhere would stop every Deno test from running.
        // --parallel runs each file in its own worker, DENO_JOBS at once.
        args: [
          "test",
          "-A",
          "--no-check",
          ...(jobs > 1 ? ["--parallel"] : []),
          `--junit-path=${junit}`,
          ...files,
        ],
        env: { DENO_JOBS: String(jobs) },
      };
    case "bun":
      return {
        name: "bun test",
        command: join(BIN, "bun"),
        // A leading ./ makes Bun take a path, not a name filter. Its default
        // 5 s per-test limit is lower than our slowest peer tests; the
        // runner's own limit still catches hangs.
        // --parallel=N: N worker processes, each file isolated.
        args: [
          "test",
          "--timeout=120000",
          ...(jobs > 1 ? [`--parallel=${jobs}`] : []),
          "--reporter=junit",
          `--reporter-outfile=${junit}`,
          ...files.map((f) => `./${f}`),
        ],
        env: {},
      };
    case "node22":
    case "node24":
    case "node26":
      return {
        name: `${runtime} --test`,
        // The `node` package installs the binary under its own node_modules.
        command: join(ROOT, "node_modules", runtime, "bin", "node"),
        args: [
          "--import",
          "tsx",
          "--test",
          `--test-concurrency=${jobs}`,
          "--test-reporter=spec",
          "--test-reporter-destination=stdout",
          "--test-reporter=./scripts/node_test_reporter.mjs",
          `--test-reporter-destination=${junit}`,
          ...files,
        ],
        env: {},
      };
  }
}

async function runRuntime(
  runtime: Runtime,
  files: readonly string[],
  timeoutMs: number,
  jobs: number,
): Promise<RuntimeReport> {
  const junit = join(RESULTS_DIR, isNode(runtime) ? `${runtime}.jsonl` : `${runtime}.xml`);
  rmSync(junit, { force: true });
  const step = runtimeCommand(runtime, files, junit, jobs);
  heading(`${runtime}: ${step.name} (${files.length} files, ${jobs} at a time)`);
  const run = await runCommand(step.command, step.args, {
    cwd: ROOT,
    timeoutMs,
    env: { ...childEnv(), ...step.env },
  });
  const problems: string[] = [];
  let results: TestResult[] = [];
  if (run.timedOut || run.startError !== undefined || run.signal !== null) {
    problems.push(`${step.name} ${describeExit(run)}`);
  }
  if (existsSync(junit)) {
    const xml = readFileSync(junit, "utf8");
    try {
      results = runtime === "deno"
        ? denoResults(xml)
        : runtime === "bun"
        ? bunResults(xml)
        : nodeResults(xml, ROOT);
    } catch (error) {
      problems.push(`could not read ${relative(ROOT, junit)}: ${String(error)}`);
    }
  } else if (problems.length === 0) {
    problems.push(`${step.name} wrote no report (${describeExit(run)})`);
  }
  if (results.length === 0 && problems.length === 0) {
    problems.push(`${step.name} reported no tests (${describeExit(run)})`);
  }
  if (results.length > 0) {
    // Every result names its file; a file with none crashed while loading
    // (Bun prints such errors but leaves them out of its XML).
    const reported = new Set(results.map((r) => r.file));
    for (const file of files) {
      if (!reported.has(file)) problems.push(`${file}: no test results (failed to load?)`);
    }
  }
  const failed = results.filter((r) => r.outcome === "failed").length;
  if (run.code !== 0 && run.code !== null && failed === 0 && problems.length === 0) {
    problems.push(`${step.name} exited with code ${run.code} but reported no failing test`);
  }
  console.log(
    `${problems.length + failed === 0 ? green("✔") : red("✖")} ${runtime}: ` +
      `${summarise(results)} (${seconds(run.ms)}, ${describeExit(run)})`,
  );
  return { runtime, results, problems, ms: run.ms };
}

function count(results: readonly TestResult[], outcome: TestResult["outcome"]): number {
  return results.filter((r) => r.outcome === outcome).length;
}

function summarise(results: readonly TestResult[]): string {
  return `${count(results, "passed")} passed, ${count(results, "failed")} failed, ` +
    `${count(results, "skipped")} skipped`;
}

function label(result: TestResult): string {
  return result.file === "" ? result.name : `${result.file} > ${result.name}`;
}

// ---------------------------------------------------------------- summary

function printSummary(checks: readonly CheckResult[], reports: readonly RuntimeReport[]): number {
  heading("summary");
  const rows: string[][] = [["step", "passed", "failed", "skipped", "time", "status"]];
  for (const check of checks) {
    rows.push([
      check.name,
      "",
      check.ok ? "" : "1",
      "",
      seconds(check.ms),
      check.ok ? "ok" : check.detail,
    ]);
  }
  for (const report of reports) {
    const failed = count(report.results, "failed") + report.problems.length;
    rows.push([
      `${report.runtime} tests`,
      String(count(report.results, "passed")),
      String(failed),
      String(count(report.results, "skipped")),
      seconds(report.ms),
      failed === 0 ? "ok" : "FAILED",
    ]);
  }
  const widths = rows[0]!.map((_, column) => Math.max(...rows.map((row) => row[column]!.length)));
  for (const [index, row] of rows.entries()) {
    const line = row.map((cell, column) =>
      column === 0 || column === row.length - 1
        ? cell.padEnd(widths[column]!)
        : cell.padStart(widths[column]!)
    ).join("  ");
    console.log(index === 0 ? bold(line) : line);
  }

  // Deno and Bun do not report skip reasons; Node does. When a Node run
  // skipped the same test, show its reason under its version: it may not be
  // why the other runtime skipped.
  const nodeSkips = new Map<string, { runtime: Runtime; reason: string }>();
  for (const report of reports) {
    if (!isNode(report.runtime)) continue;
    for (const r of report.results) {
      if (r.outcome === "skipped" && r.detail !== "" && !nodeSkips.has(label(r))) {
        nodeSkips.set(label(r), { runtime: report.runtime, reason: r.detail });
      }
    }
  }
  const skipped = reports.flatMap((report) =>
    report.results.filter((r) => r.outcome === "skipped").map((r) => {
      const nodeSkip = nodeSkips.get(label(r));
      const reason = r.detail !== ""
        ? r.detail
        : nodeSkip !== undefined
        ? `no reason reported; ${nodeSkip.runtime} skipped it too: ${nodeSkip.reason}`
        : "no reason reported";
      return `  ${report.runtime.padEnd(6)}  ${label(r)}: ${reason}`;
    })
  );
  if (skipped.length > 0) {
    console.log(`\n${yellow(`skipped (${skipped.length}):`)}`);
    for (const line of skipped) console.log(yellow(line));
  }

  const failures = [
    ...checks.filter((c) => !c.ok).map((c) => `  check ${c.name}: ${c.detail}`),
    ...reports.flatMap((report) => [
      ...report.problems.map((p) => `  ${report.runtime.padEnd(6)}  ${p}`),
      ...report.results.filter((r) => r.outcome === "failed").map((r) =>
        `  ${report.runtime.padEnd(6)}  ${label(r)}${r.detail !== "" ? `: ${r.detail}` : ""}`
      ),
    ]),
  ];
  if (failures.length > 0) {
    console.log(`\n${red(`failed (${failures.length}):`)}`);
    for (const line of failures) console.log(red(line));
  }

  const passed = reports.reduce((sum, r) => sum + count(r.results, "passed"), 0);
  const skippedCount = reports.reduce((sum, r) => sum + count(r.results, "skipped"), 0);
  const failedCount = failures.length;
  console.log(`\ntook ${seconds(performance.now() - STARTED)}`);
  console.log(`${passed} passed, ${failedCount} failed, ${skippedCount} skipped`);
  return failedCount;
}

// ---------------------------------------------------------------- main

async function main(): Promise<number> {
  let options: Options;
  try {
    options = parseOptions(process.argv.slice(2));
  } catch (error) {
    console.error(error instanceof Error ? error.message : String(error));
    return 2;
  }
  mkdirSync(RESULTS_DIR, { recursive: true });
  const checks = options.checks ? await runChecks() : [];
  const reports: RuntimeReport[] = [];
  if (options.tests) {
    const files = testFiles(options.filters);
    if (files.length === 0) {
      const what = options.filters.length > 0 ? ` matching ${options.filters.join(", ")}` : "";
      for (const runtime of options.runtimes) {
        reports.push({ runtime, results: [], problems: [`no test files${what}`], ms: 0 });
      }
    } else {
      for (const runtime of options.runtimes) {
        reports.push(await runRuntime(runtime, files, options.timeoutMs, options.jobs));
      }
    }
  }
  const failed = printSummary(checks, reports);
  rmSync(RESULTS_DIR, { recursive: true, force: true });
  return failed === 0 ? 0 : 1;
}

process.exitCode = await main();
