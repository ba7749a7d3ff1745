/**
 * `npm run bench`: the benchmark suite of issue 6, on Deno, Bun and Node.
 *
 * 1. Servers under `hey`: CPU per request (kernel accounting), requests per
 *    second and latency, ours vs `node:http` + `writeEarlyHints` vs the native
 *    server (`scripts/bench/server_bench.ts`).
 * 2. Clients against Go's `seed_server`: ours vs the global `fetch` vs
 *    `node:http.request` (`scripts/bench/client_bench.ts`).
 * 3. Hint latency, `sendInformational` to `onInformational`: our pair, the
 *    `node:http` pair and a Go pair (`scripts/bench/latency_bench.ts`).
 * 4. The engine alone, memory per idle connection, memory across a long run
 *    (`scripts/bench/engine_bench.ts`).
 * 5. A Hono app (router, `c.text`, `c.json`, `earlyHints()`) under `hey -c 32`:
 *    ours on each transport vs what a Hono user runs today, `Deno.serve`,
 *    `Bun.serve` and `@hono/node-server` on Node 24 and 26
 *    (`scripts/bench/hono_bench.ts`).
 * 6. HTTP/2 under `h2load` over TLS, one `103` per request: our `serve()` vs
 *    `node:http2` + `additionalHeaders` behind a Request/Response bridge, on
 *    Deno, Bun, Node 24 and 26 (`scripts/bench/h2_bench.ts`).
 * 7. A reverse proxy in a Hono app under `hey -c 32`: `forward()` on our
 *    `serve()` vs Hono's `proxy()` on `Deno.serve`, `Bun.serve` and
 *    `@hono/node-server`, both in front of Go's `seed_server`
 *    (`scripts/bench/proxy_bench.ts`).
 * 8. `learnedHints()`: a Hono app on our `serve()` with and without it, on
 *    navigations (a learned `103` each) and other requests
 *    (`scripts/bench/learned_bench.ts`).
 *
 * Interleaved rounds (at least three), medians with ranges, ratios from the
 * same run, loopback only. Writes `benchmarks.md`, `benchmarks.json` and
 * `benchmarks.svg` to `docs/` (full mode) or `.build/bench/` (`--quick`,
 * unless `--out=DIR`).
 *
 * Usage: `node --import tsx scripts/bench.ts [--quick] [--runtime=deno,bun,node,node24,node26]
 * [--only=server,client,latency,engine,hono,h2,proxy,learned] [--out=DIR]` or `--render=DIR` (re-write
 * `benchmarks.md` and `.svg` from that directory's `benchmarks.json` and
 * `scripts/bench/analysis.md`, measuring nothing; with `--merge=SRC`, first
 * copy into it the sections SRC's run measured, marked with SRC's command,
 * mode, date and load); through npm,
 * `npm run bench -- --quick` or `npm run bench --quick` (npm passes the
 * latter as `npm_config_quick`).
 *
 * @module
 */

import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import process from "node:process";
import { type ClientCase, runClientBench } from "./bench/client_bench.ts";
import {
  ALL_RUNTIMES,
  HEY,
  progress,
  ROOT,
  type RuntimeName,
  RUNTIMES,
  runtimeVersion,
} from "./bench/common.ts";
import { runEngineBench } from "./bench/engine_bench.ts";
import { H2_RUNTIMES, runH2Bench } from "./bench/h2_bench.ts";
import { H2LOAD } from "./bench/h2load.ts";
import { HONO_RUNTIMES, runHonoBench } from "./bench/hono_bench.ts";
import { runLatencyBench } from "./bench/latency_bench.ts";
import { LEARNED_RUNTIMES, runLearnedBench } from "./bench/learned_bench.ts";
import { PROXY_RUNTIMES, type ProxyCase, runProxyBench } from "./bench/proxy_bench.ts";
import {
  type BenchResults,
  MERGEABLE_SECTIONS,
  renderMarkdown,
  renderSvg,
  type SectionProvenance,
  summaryTable,
} from "./bench/report.ts";
import type { SectionBenchOptions } from "./bench/section_bench.ts";
import { runServerBench, type ServerCase } from "./bench/server_bench.ts";
import { checkTargets } from "./bench/targets.ts";

const SECTIONS = [
  "server",
  "client",
  "latency",
  "engine",
  "hono",
  "h2",
  "proxy",
  "learned",
] as const;
type Section = typeof SECTIONS[number];

const HELP = `usage: npm run bench -- [options]

Measures our server, client and engine against node:http, the runtimes'
native servers and global fetch, and Go, a Hono app against the servers
Hono users run, HTTP/2 against node:http2, forward() against Hono's proxy()
and a Hono app with and without learnedHints() (full mode: about thirty
minutes, seven of them the Hono rows, three the HTTP/2 rows, four the proxy
rows, five the learnedHints() rows).

  --quick                 about ten minutes; writes .build/bench/ unless --out
                          (--quick --only=hono: the Hono rows alone, under three minutes;
                          --quick --only=h2: the HTTP/2 rows alone, about two minutes;
                          --quick --only=proxy: about a minute and a half;
                          --quick --only=learned: about two minutes)
  --runtime=LIST          some of ${ALL_RUNTIMES.join(",")} (node: the Node that
                          runs the bench); by default the server, client, latency
                          and engine sections run on ${RUNTIMES.join(",")}, the hono
                          section on ${HONO_RUNTIMES.join(",")}, the h2 section on
                          ${H2_RUNTIMES.join(",")}, the proxy section on
                          ${PROXY_RUNTIMES.join(",")} and the learned section on
                          ${LEARNED_RUNTIMES.join(",")} (never on node)
  --only=LIST             some of ${SECTIONS.join(",")} (default: all)
  --out=DIR               where to write benchmarks.{md,json,svg}
                          (default: docs/, or .build/bench/ with --quick)
  --render=DIR            re-render DIR/benchmarks.{md,svg} from its
                          benchmarks.json and scripts/bench/analysis.md; measures nothing
  --merge=SRC             with --render: first copy into DIR/benchmarks.json the
                          sections (${MERGEABLE_SECTIONS.join(",")}) that SRC/benchmarks.json
                          measured, each marked with SRC's command, mode, date and load
  -h, --help              print this help and exit

Exit codes: 0 done, 2 bad arguments.
`;

/** Options with a value (`--name=value`) and flags, as the command line may give them. */
const VALUE_OPTIONS = ["runtime", "only", "out", "render", "merge"];
const FLAGS = ["--quick", "--help", "-h"];

// Before anything is measured: help, and a typo must not start a ten-minute
// run that rewrites docs/benchmarks.*.
for (const arg of process.argv.slice(2)) {
  const name = /^--([a-z]+)=/.exec(arg)?.[1];
  if (FLAGS.includes(arg) || (name !== undefined && VALUE_OPTIONS.includes(name))) continue;
  console.error(`bench: unknown argument "${arg}" (see npm run bench -- --help)`);
  process.exit(2);
}
if (process.argv.includes("--help") || process.argv.includes("-h")) {
  process.stdout.write(HELP);
  process.exit(0);
}

/**
 * A `--name=value` argument; with `npmConfig`, also `npm run bench
 * --name=value` without the `--` separator, which npm turns into the
 * `npm_config_name` variable (not for `only`, which is npm's own option).
 */
function option(name: string, npmConfig = false): string | undefined {
  const prefix = `--${name}=`;
  return process.argv.slice(2).find((arg) => arg.startsWith(prefix))?.slice(prefix.length) ??
    (npmConfig ? process.env[`npm_config_${name}`] : undefined);
}

function parseList<T extends string>(
  value: string | undefined,
  all: readonly T[],
  what: string,
): T[] {
  if (value === undefined) return [...all];
  const items = value.split(",").map((item) => item.trim()).filter((item) => item !== "");
  for (const item of items) {
    if (!all.includes(item as T)) {
      console.error(`bench: unknown ${what} "${item}" (choose from ${all.join(", ")})`);
      process.exit(2);
    }
  }
  return all.filter((item) => items.includes(item));
}

const quick = process.argv.includes("--quick") || process.env.npm_config_quick === "true";
const runtimeOption = option("runtime", true);
const selected = parseList<RuntimeName>(runtimeOption, ALL_RUNTIMES, "runtime");
// Sections 1-4 keep their historical runtimes unless --runtime names others.
const runtimes = runtimeOption === undefined ? [...RUNTIMES] : selected;
const honoRuntimes = selected.filter((runtime) => HONO_RUNTIMES.includes(runtime));
const h2Runtimes = selected.filter((runtime) => H2_RUNTIMES.includes(runtime));
const proxyRuntimes = selected.filter((runtime) => PROXY_RUNTIMES.includes(runtime));
const learnedRuntimes = selected.filter((runtime) => LEARNED_RUNTIMES.includes(runtime));
const sections = parseList<Section>(option("only"), SECTIONS, "section");
const outDir = path.resolve(
  ROOT,
  option("out") ?? (quick ? path.join(".build", "bench") : "docs"),
);

/**
 * Durations and sizes of each mode (quick: about two minutes for sections 1-4
 * on three runtimes, under three for the Hono rows on four, about two for the
 * HTTP/2 rows on four).
 */
const SETTINGS = quick
  ? {
    rounds: 3,
    serverSeconds: 0.2,
    serverWarmupSeconds: 0.5,
    clientSeconds: 0.15,
    latencyRequestsPerRound: 700,
    engineSeconds: 0.15,
    idleConnections: 500,
    memoryRounds: 1,
    longRunRequests: 40_000,
    longRunWarmupRequests: 40_000,
    honoSeconds: 1,
    honoWarmupSeconds: 1,
    // Longer than the Hono runs: 1 s runs spread the per-round ratio 0.3-0.5 on Node.
    h2Seconds: 3,
    h2WarmupSeconds: 2,
    proxySeconds: 1,
    // A forward warms two sides (server and client): after 1 s Deno still
    // dropped from about 200 to 110 µs per request over the next rounds.
    proxyWarmupSeconds: 2,
    learnedSeconds: 1,
    learnedWarmupSeconds: 2,
  }
  : {
    rounds: 5,
    serverSeconds: 2,
    serverWarmupSeconds: 2,
    clientSeconds: 0.8,
    latencyRequestsPerRound: 2_000,
    engineSeconds: 0.5,
    idleConnections: 1_000,
    memoryRounds: 3,
    longRunRequests: 1_000_000,
    // Deno's heap steps up to its steady size once, after about 200k requests
    // (docs/benchmarks.md, section 4): warm up past it, so growth means a leak.
    longRunWarmupRequests: 400_000,
    honoSeconds: 2,
    honoWarmupSeconds: 2,
    h2Seconds: 3,
    h2WarmupSeconds: 3,
    proxySeconds: 2,
    proxyWarmupSeconds: 2,
    learnedSeconds: 2,
    learnedWarmupSeconds: 2,
  };

/** A load generator a section needs: its command, where it is, its Debian package. */
interface LoadTool {
  readonly name: string;
  readonly path: string | undefined;
  readonly aptPackage: string;
}
const HEY_TOOL: LoadTool = { name: "hey", path: HEY, aptPackage: "hey" };
const H2LOAD_TOOL: LoadTool = { name: "h2load", path: H2LOAD, aptPackage: "nghttp2-client" };

/** The options of sections 5-8 in this mode. */
function sectionOptions(
  runtimes: readonly RuntimeName[],
  seconds: number,
  warmupSeconds: number,
): SectionBenchOptions {
  return { runtimes, rounds: SETTINGS.rounds, seconds, warmupSeconds };
}

function loadAverage(): string {
  return os.loadavg().map((v) => v.toFixed(2)).join(" ");
}

function tryVersion(command: string, args: string[]): string {
  try {
    return execFileSync(command, args, { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] })
      .split("\n")[0]!.trim();
  } catch {
    return "not installed";
  }
}

/**
 * Re-renders `benchmarks.md` and `.svg` from `benchmarks.json` (after editing
 * the analysis), after copying in the sections another run measured when
 * `mergeFrom` is given (e.g. quick runs of new sections into the full run of
 * `docs/`): each copied section keeps where it came from, and the report
 * says so under its heading.
 */
function render(dir: string, mergeFrom: string | undefined): void {
  const file = path.join(dir, "benchmarks.json");
  let results = JSON.parse(readFileSync(file, "utf8")) as BenchResults;
  if (mergeFrom !== undefined) {
    const source = JSON.parse(
      readFileSync(path.join(mergeFrom, "benchmarks.json"), "utf8"),
    ) as BenchResults;
    const merged = MERGEABLE_SECTIONS.filter((name) => (source[name]?.length ?? 0) > 0);
    if (merged.length === 0) {
      console.error(`bench: ${mergeFrom}/benchmarks.json measured none of ${MERGEABLE_SECTIONS}`);
      process.exit(2);
    }
    const provenance: SectionProvenance = {
      command: source.command,
      mode: source.mode,
      startedAt: source.startedAt,
      load: `${source.machine.loadBefore} / ${source.machine.loadAfter}`,
      commit: source.versions["interim commit"] ?? "unknown",
    };
    results = {
      ...results,
      ...Object.fromEntries(merged.map((name) => [name, source[name]])),
      sources: {
        ...results.sources,
        ...Object.fromEntries(merged.map((name) => [name, provenance])),
      },
    };
    writeFileSync(file, JSON.stringify(results, null, 2) + "\n");
    console.log(`merged ${merged.join(", ")} from ${path.relative(ROOT, mergeFrom)}`);
  }
  const targets = checkTargets(
    results.server,
    results.client?.cases ?? [],
    results.latency,
    results.longRun,
    results.hono ?? [],
    results.h2 ?? [],
  );
  const updated: BenchResults = { ...results, targets };
  writeOutputs(dir, updated);
  console.log(`re-rendered ${path.relative(ROOT, dir) || "."}/benchmarks.{md,json,svg}`);
}

function writeOutputs(dir: string, results: BenchResults): void {
  mkdirSync(dir, { recursive: true });
  const analysisFile = path.join(ROOT, "scripts", "bench", "analysis.md");
  const analysis = existsSync(analysisFile) ? readFileSync(analysisFile, "utf8") : "";
  writeFileSync(path.join(dir, "benchmarks.md"), renderMarkdown(results, analysis));
  writeFileSync(path.join(dir, "benchmarks.json"), JSON.stringify(results, null, 2) + "\n");
  writeFileSync(
    path.join(dir, "benchmarks.svg"),
    renderSvg(
      results.targets,
      `interim benchmark ratios (${results.mode} mode, ${results.startedAt})`,
    ),
  );
}

async function main(): Promise<void> {
  const renderDir = option("render");
  if (renderDir !== undefined) {
    const mergeFrom = option("merge");
    render(path.resolve(ROOT, renderDir), mergeFrom && path.resolve(ROOT, mergeFrom));
    return;
  }
  const started = Date.now();
  const loadBefore = loadAverage();
  const skipped: string[] = [];
  progress(
    `${quick ? "quick" : "full"} mode; runtimes ${selected.join(", ")}; sections ${
      sections.join(", ")
    }; load average ${loadBefore}`,
  );
  const versions: Record<string, string> = {};
  for (const runtime of selected) versions[runtime] = runtimeVersion(runtime);
  versions.hey = HEY === undefined ? "not installed" : `${HEY} (Debian package, Go net/http)`;
  versions.go = tryVersion("go", ["version"]);
  if (sections.includes("h2")) {
    versions.h2load = H2LOAD === undefined
      ? "not installed"
      : `${tryVersion(H2LOAD, ["--version"])} (Debian nghttp2-client)`;
  }
  const commit = tryVersion("git", ["-C", ROOT, "rev-parse", "--short", "HEAD"]);
  const dirty = tryVersion("git", [
    "-C",
    ROOT,
    "status",
    "--porcelain",
    "--",
    "src",
    "server.ts",
    "client.ts",
  ]);
  versions["interim commit"] = commit +
    (dirty !== "" && dirty !== "not installed" ? " (src/ modified)" : "");

  /**
   * Whether `section` is asked for and its load generator installed; one
   * that is not is listed as skipped.
   */
  const canRun = (section: Section, tool: LoadTool): boolean => {
    if (!sections.includes(section)) return false;
    if (tool.path !== undefined) return true;
    skipped.push(
      `${section} section: \`${tool.name}\` is not installed (apt-get install ${tool.aptPackage})`,
    );
    return false;
  };
  let server: ServerCase[] = [];
  if (canRun("server", HEY_TOOL)) {
    server = await runServerBench({
      runtimes,
      rounds: SETTINGS.rounds,
      seconds: SETTINGS.serverSeconds,
      warmupSeconds: SETTINGS.serverWarmupSeconds,
      concurrencies: [1, 64],
    });
  }
  let client: { server: string; cases: ClientCase[] } | null = null;
  if (sections.includes("client")) {
    client = await runClientBench({
      runtimes,
      rounds: SETTINGS.rounds,
      seconds: SETTINGS.clientSeconds,
    }) ?? null;
    if (client === null) {
      skipped.push("client section: `go` is not installed (the fixed server is Go's)");
    }
  }
  const latency = sections.includes("latency")
    ? await runLatencyBench({
      runtimes,
      rounds: SETTINGS.rounds,
      requestsPerRound: SETTINGS.latencyRequestsPerRound,
    })
    : [];
  if (sections.includes("latency") && !latency.some((l) => l.pair === "go")) {
    skipped.push("the Go latency pair: `go` is not installed");
  }
  let engine: BenchResults["engine"] = [];
  let memory: BenchResults["memory"] = [];
  let longRun: BenchResults["longRun"] = [];
  if (sections.includes("engine")) {
    if (HEY === undefined) skipped.push("memory probes: `hey` is not installed");
    const result = await runEngineBench({
      runtimes,
      rounds: SETTINGS.rounds,
      seconds: SETTINGS.engineSeconds,
      idleConnections: SETTINGS.idleConnections,
      memoryRounds: HEY === undefined ? 0 : SETTINGS.memoryRounds,
      longRunRequests: HEY === undefined ? 0 : SETTINGS.longRunRequests,
      longRunWarmupRequests: SETTINGS.longRunWarmupRequests,
    });
    engine = result.engine;
    memory = result.memory;
    longRun = result.longRun;
  }
  let hono: BenchResults["hono"] = [];
  if (canRun("hono", HEY_TOOL)) {
    hono = await runHonoBench(
      sectionOptions(honoRuntimes, SETTINGS.honoSeconds, SETTINGS.honoWarmupSeconds),
    );
  }
  let h2: ServerCase[] = [];
  if (canRun("h2", H2LOAD_TOOL)) {
    h2 = await runH2Bench(sectionOptions(h2Runtimes, SETTINGS.h2Seconds, SETTINGS.h2WarmupSeconds));
  }
  let proxy: ProxyCase[] = [];
  if (canRun("proxy", HEY_TOOL)) {
    const cases = await runProxyBench(
      sectionOptions(proxyRuntimes, SETTINGS.proxySeconds, SETTINGS.proxyWarmupSeconds),
    );
    if (cases === undefined) {
      skipped.push("proxy section: `go` is not installed (the upstream is Go's seed_server)");
    } else proxy = cases;
  }
  let learned: ServerCase[] = [];
  if (canRun("learned", HEY_TOOL)) {
    learned = await runLearnedBench(
      sectionOptions(learnedRuntimes, SETTINGS.learnedSeconds, SETTINGS.learnedWarmupSeconds),
    );
  }
  const targets = checkTargets(server, client?.cases ?? [], latency, longRun, hono, h2);
  const userArgs = process.argv.slice(2).filter((arg) => !arg.startsWith("--out="));
  const cpuModel = os.cpus()[0]?.model ?? "unknown";
  const results: BenchResults = {
    mode: quick ? "quick" : "full",
    // --out only says where the files go; the measured command is the rest.
    command: [
      "npm run bench",
      ...(userArgs.length > 0 ? ["--", ...userArgs] : []),
    ].join(" "),
    startedAt: new Date(started).toISOString().replace(/\.\d+Z$/, "Z"),
    durationSeconds: (Date.now() - started) / 1000,
    machine: {
      cpu: cpuModel,
      cores: os.cpus().length,
      memoryGiB: os.totalmem() / 2 ** 30,
      kernel: `${os.type()} ${os.release()}`,
      loadBefore,
      loadAfter: loadAverage(),
    },
    versions,
    settings: { ...SETTINGS },
    server,
    client,
    latency,
    engine,
    memory,
    longRun,
    hono,
    h2,
    proxy,
    learned,
    targets,
    skipped,
  };
  writeOutputs(outDir, results);
  console.log(summaryTable(targets));
  console.log(
    `\n${targets.filter((t) => t.met).length}/${targets.length} targets met; ` +
      `${Math.round(results.durationSeconds)} s; wrote ${path.relative(ROOT, outDir) || "."}/` +
      "benchmarks.{md,json,svg}",
  );
}

await main();
