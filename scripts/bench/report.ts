/**
 * Writes the suite's results: `benchmarks.md` (tables, machine, versions,
 * commands, targets), `benchmarks.json` (every median and range, and the
 * `targets` list) and `benchmarks.svg` (a bar chart of the main ratios).
 *
 * @module
 */

import type { ClientCase } from "./client_bench.ts";
import type { EngineCase, LongRunCase, MemoryCase } from "./engine_bench.ts";
import type { LatencyCase } from "./latency_bench.ts";
import type { ProxyCase } from "./proxy_bench.ts";
import { figureColumns, PATH_COLUMN, ratioTable, ratioTablesPerRuntime } from "./ratio_table.ts";
import { kilo, num, range, runtimeLabel, table } from "./report_format.ts";
import type { ServerCase } from "./server_bench.ts";
import type { Target } from "./targets.ts";

/** Everything one run measured, plus where and how. */
export interface BenchResults {
  readonly mode: "quick" | "full";
  readonly command: string;
  readonly startedAt: string;
  readonly durationSeconds: number;
  readonly machine: {
    readonly cpu: string;
    readonly cores: number;
    readonly memoryGiB: number;
    readonly kernel: string;
    readonly loadBefore: string;
    readonly loadAfter: string;
  };
  readonly versions: Record<string, string>;
  readonly settings: Record<string, number | string>;
  readonly server: readonly ServerCase[];
  readonly client: { readonly server: string; readonly cases: readonly ClientCase[] } | null;
  readonly latency: readonly LatencyCase[];
  readonly engine: readonly EngineCase[];
  readonly memory: readonly MemoryCase[];
  readonly longRun: readonly LongRunCase[];
  /** The Hono-app cases (absent in results written before issue 13). */
  readonly hono?: readonly ServerCase[];
  /** The HTTP/2 cases (absent in results written before issue 14). */
  readonly h2?: readonly ServerCase[];
  /** The reverse-proxy cases (absent in results written before issue 15). */
  readonly proxy?: readonly ProxyCase[];
  /** The `learnedHints()` cases (absent in results written before issue 15). */
  readonly learned?: readonly ServerCase[];
  /**
   * Sections copied in from another run (`--render=DIR --merge=SRC`), with
   * where they were measured; absent when every section is this run's.
   */
  readonly sources?: Partial<Record<MergeableSection, SectionProvenance>>;
  readonly targets: readonly Target[];
  readonly skipped: readonly string[];
}

/** The sections `--merge` may copy from another run. */
export const MERGEABLE_SECTIONS = ["hono", "h2", "proxy", "learned"] as const;

/** One of {@linkcode MERGEABLE_SECTIONS}. */
export type MergeableSection = typeof MERGEABLE_SECTIONS[number];

/** Where a section copied in from another run was measured. */
export interface SectionProvenance {
  readonly command: string;
  readonly mode: "quick" | "full";
  readonly startedAt: string;
  /** Load average before / after that run. */
  readonly load: string;
  readonly commit: string;
}

/** The line under a copied section's heading that says where it comes from. */
function provenanceNote(results: BenchResults, section: MergeableSection): string[] {
  const source = results.sources?.[section];
  if (source === undefined) return [];
  return [
    `*Measured apart from the run above: \`${source.command}\` (${source.mode} mode) on ` +
    `${source.startedAt}, commit ${source.commit}, load average before / after ${source.load}.*`,
    "",
  ];
}

const SERVER_NAMES: Record<string, string> = {
  ours: "interim `serve()`",
  "ours-node-http": 'interim `serve()`, `adapter: "node-http"`',
  "node-http": "`node:http` + `writeEarlyHints`",
  native: "native (`Deno.serve` / `Bun.serve`)",
};
const HONO_SERVER_NAMES: Record<string, string> = {
  ours: "interim `serve(app.fetch)`, default transport",
  "ours-node": 'interim `serve(app.fetch)`, `adapter: "node"`',
  "ours-node-http": 'interim `serve(app.fetch)`, `adapter: "node-http"`',
  native: "`Deno.serve(app.fetch)` / `Bun.serve({ fetch: app.fetch })`",
  "node-server": "`@hono/node-server` `serve({ fetch: app.fetch })`",
};
const H2_SERVER_NAMES: Record<string, string> = {
  ours: "interim `serve()` + `sendInformational`",
  "node-http2": "`node:http2` + `additionalHeaders`, Request/Response bridge",
};
const PROXY_SERVER_NAMES: Record<string, string> = {
  ours: "interim `forward(c.req.raw, upstream)` on `serve(app.fetch)`",
  "node-server": "Hono `proxy()` on `@hono/node-server`",
};
const LEARNED_SERVER_NAMES: Record<string, string> = {
  learned: "`app.use(learnedHints())`",
  noop: "`app.use(async (c, next) => { await next() })`",
  plain: "the same app without middleware",
};
const CLIENT_NAMES: Record<string, string> = {
  ours: "interim `Client.fetch`",
  fetch: "global `fetch`",
  "node-http": "`node:http.request` (keep-alive agent)",
};

function targetValue(target: Target): string {
  return target.unit === "x" ? `${num(target.measured, 2)}x` : `${num(target.measured, 0)} µs`;
}

function targetGoal(target: Target): string {
  return target.unit === "x"
    ? `${target.comparison} ${target.goal.toFixed(1)}x`
    : `${target.comparison} ${target.goal} µs`;
}

/**
 * The summary table of the targets (also meant for the README).
 *
 * @param targets The checked targets.
 * @returns A Markdown table.
 *
 * @example Print it
 * ```ts
 * console.log(summaryTable(results.targets));
 * ```
 */
export function summaryTable(targets: readonly Target[]): string {
  return table(
    ["target", "runtime", "measured (median, range over rounds)", "goal", "met"],
    targets.map((t) => [
      t.name,
      runtimeLabel(t.runtime),
      targetValue(t) +
      (t.range && t.unit === "x" ? ` (${num(t.range.min, 2)}–${num(t.range.max, 2)})` : "") +
      (t.note ? `; ${t.note}` : ""),
      targetGoal(t),
      t.met ? "yes" : "**no**",
    ]),
  );
}

/**
 * The compact summary (for the README): one row per target, one column per
 * runtime, each cell the measured value and whether the goal is met.
 *
 * @param targets The checked targets.
 * @returns A Markdown table.
 *
 * @example Print it
 * ```ts
 * console.log(compactSummary(results.targets));
 * ```
 */
export function compactSummary(targets: readonly Target[]): string {
  const runtimes = [...new Set(targets.map((t) => t.runtime))];
  const rows = new Map<string, { goal: string; cells: Map<string, string> }>();
  for (const t of targets) {
    const label = t.name.replace(/Deno\.serve|Bun\.serve/, "native server").replace(
      /of [\d,]+ requests/,
      "of the long run",
    );
    let row = rows.get(label);
    if (row === undefined) {
      row = { goal: targetGoal(t), cells: new Map() };
      rows.set(label, row);
    }
    row.cells.set(t.runtime, `${targetValue(t)} ${t.met ? "(met)" : "(**missed**)"}`);
  }
  return table(
    ["target", "goal", ...runtimes.map(runtimeLabel)],
    [...rows].map(([label, row]) => [
      label,
      row.goal,
      ...runtimes.map((r) => row.cells.get(r) ?? "—"),
    ]),
  );
}

/**
 * Renders `benchmarks.md`.
 *
 * @param results The run.
 * @param analysis Hand-written explanation of the misses (Markdown), or "".
 * @returns The document.
 *
 * @example Render
 * ```ts
 * const markdown = renderMarkdown(results, "");
 * ```
 */
export function renderMarkdown(results: BenchResults, analysis: string): string {
  const out: string[] = [];
  const m = results.machine;
  out.push("# Benchmarks");
  out.push("");
  out.push(
    `Generated by \`${results.command}\` (${results.mode} mode) on ${results.startedAt}, ` +
      `in ${Math.round(results.durationSeconds)} s. Every figure below is the median of the ` +
      `interleaved rounds with the range (min–max) beside it; every ratio compares two figures ` +
      `measured in the same round, and the ratio's median and range over the rounds are given.`,
  );
  out.push("");
  out.push("## Machine and versions");
  out.push("");
  out.push(
    table(["", ""], [
      ["CPU", `${m.cpu}, ${m.cores} cores`],
      ["memory", `${m.memoryGiB.toFixed(1)} GiB`],
      ["kernel", m.kernel],
      ["load average before / after", `${m.loadBefore} / ${m.loadAfter}`],
      ...Object.entries(results.versions).map(([k, v]) => [k, v]),
      ...Object.entries(results.settings).map(([k, v]) => [k, String(v)]),
    ]),
  );
  out.push("");
  out.push("Loopback only (127.0.0.1). Commands:");
  out.push("");
  out.push("```sh run");
  out.push("npm run bench -- --help       # the options; measures nothing");
  out.push("```");
  out.push("");
  out.push("```sh no-run: measures for minutes");
  out.push("npm run bench                 # full mode, writes docs/benchmarks.{md,json,svg}");
  out.push("npm run bench -- --quick      # about ten minutes, writes .build/bench/");
  out.push("npm run bench -- --quick --only=hono   # the Hono-app rows alone, under three minutes");
  out.push("npm run bench -- --quick --only=h2     # the HTTP/2 rows alone, about two minutes");
  out.push(
    "npm run bench -- --quick --only=proxy  # forward() against Hono's proxy(), 1.5 minutes",
  );
  out.push(
    "npm run bench -- --quick --only=learned   # learnedHints() on and off, about two minutes",
  );
  out.push("npm run bench -- --quick --runtime=bun,node --only=server,latency");
  out.push("```");
  out.push("");
  if (results.skipped.length > 0) {
    out.push(`Skipped: ${results.skipped.join("; ")}.`);
    out.push("");
  }
  out.push("## Summary");
  out.push("");
  out.push(compactSummary(results.targets));
  out.push("");
  out.push("![main ratios](benchmarks.svg)");
  out.push("");
  out.push("All targets, with the range over the rounds and the secondary figure:");
  out.push("");
  out.push(summaryTable(results.targets));
  out.push("");
  const missed = results.targets.filter((t) => !t.met);
  out.push(
    missed.length === 0
      ? "Every target is met."
      : `${results.targets.length - missed.length} of ${results.targets.length} targets met. ` +
        "The misses, by how much: " +
        missed.map((t) =>
          `${t.name} on ${runtimeLabel(t.runtime)} ${targetValue(t)} against ${targetGoal(t)}`
        ).join("; ") + ". Why, and what would close them: see below.",
  );
  out.push("");

  if (results.server.length > 0) {
    out.push("## 1. Server");
    out.push("");
    out.push(
      "Load: Debian's `hey` (Go `net/http` client, which reads interim responses correctly), " +
        "keep-alive, `hey -z <seconds> -c <concurrency>`. Each server is a child process of the " +
        "runtime under test. **CPU µs/request** is the server process's CPU time (user + system, " +
        "all threads) from the kernel's accounting (`/proc/PID/task/*/schedstat`; " +
        "`/proc/PID/stat` agrees within its 10 ms tick) over the run, divided by the completed " +
        "requests: the primary figure, because on two cores the load generator takes about one " +
        "core and requests per second move with it. *user / system* splits it (medians, from " +
        "`/proc/PID/stat`): system time is the kernel's share, mostly the socket system calls, " +
        "which on loopback also run the peer's TCP receive path. `/hint` = one `103` with a `link` field, then " +
        "`200` with a 4-byte body; `/plain` = a `200` with a 5-byte body.",
    );
    out.push("");
    for (const runtime of [...new Set(results.server.map((s) => s.runtime))]) {
      out.push(`### ${runtimeLabel(runtime)}`);
      out.push("");
      out.push(
        table(
          [
            "server",
            "path",
            "c",
            "CPU µs/request",
            "user / system µs",
            "requests/s",
            "p50 ms",
            "p99 ms",
            "errors",
          ],
          results.server.filter((s) => s.runtime === runtime).map((s) => [
            SERVER_NAMES[s.server]!,
            `\`${s.path}\``,
            String(s.concurrency),
            range(s.cpuUs),
            `${num(s.userUs.median, 1)} / ${num(s.systemUs.median, 1)}`,
            range(s.rps, kilo),
            range(s.p50Ms),
            range(s.p99Ms),
            String(s.errors),
          ]),
        ),
      );
      out.push("");
    }
  }

  if (results.client !== null && results.client.cases.length > 0) {
    out.push("## 2. Client");
    out.push("");
    out.push(
      `Against one fixed server outside the measured runtimes: ${results.client.server}. ` +
        "N workers each loop one request at a time (keep-alive; at most N in flight); the " +
        "three clients take turns within each round. Requests per second, and the client " +
        "process's CPU time per request (`process.cpuUsage()`).",
    );
    out.push("");
    for (const runtime of [...new Set(results.client.cases.map((s) => s.runtime))]) {
      out.push(`### ${runtimeLabel(runtime)}`);
      out.push("");
      out.push(
        table(
          ["client", "path", "c", "requests/s", "CPU µs/request"],
          results.client.cases.filter((s) => s.runtime === runtime).map((s) => [
            CLIENT_NAMES[s.client]!,
            `\`${s.path}\``,
            String(s.concurrency),
            range(s.rps, kilo),
            range(s.cpuUs),
          ]),
        ),
      );
      out.push("");
    }
  }

  if (results.latency.length > 0) {
    out.push("## 3. Hint latency");
    out.push("");
    out.push(
      "From the server's `sendInformational` (`writeEarlyHints`, Go's `WriteHeader(103)`) to " +
        "the client's `onInformational` (`node:http`'s `information` event, Go's " +
        "`httptrace.Got1xxResponse`), server and client in two processes of the same runtime, " +
        "one request at a time over one keep-alive connection. The server puts its wall-clock " +
        "time (`performance.timeOrigin + performance.now()`, Go's `time.Now()`) into the `103` " +
        "(`x-sent-at`) just before writing it and sends the final response one macrotask later; " +
        "the client subtracts it from its own clock reading in the callback. Both read the " +
        "system's clock; the *clock check* column is the smallest gap each client runtime " +
        "showed between that sum and a `Date.now()` tick (the error of the shared clock is of " +
        "that order, far below the figures). p50/p99 per round (median, range) and over all " +
        "samples.",
    );
    out.push("");
    out.push(
      table(
        [
          "pair",
          "runtime",
          "samples",
          "p50 µs",
          "p99 µs",
          "p50 / p99 all samples µs",
          "clock check µs",
        ],
        results.latency.map((l) => [
          l.pair === "ours"
            ? "interim `serve()` → `Client`"
            : l.pair === "node-http"
            ? "`node:http` → `node:http`"
            : "Go `net/http` → Go `net/http`",
          runtimeLabel(l.runtime),
          String(l.samples) + (l.missing > 0 ? ` (${l.missing} hints lost)` : ""),
          range(l.p50Us, (v) => num(v, 0)),
          range(l.p99Us, (v) => num(v, 0)),
          `${num(l.pooledP50Us, 0)} / ${num(l.pooledP99Us, 0)}`,
          num(l.clockSkewUs, 1),
        ]),
      ),
    );
    out.push("");
  }

  if (results.engine.length > 0 || results.memory.length > 0 || results.longRun.length > 0) {
    out.push("## 4. The engine alone, and memory");
    out.push("");
  }
  if (results.engine.length > 0) {
    const e = results.engine[0]!;
    out.push(
      `Messages per second of the sans-IO engine (\`src/http1/\`), one parser reused, the ` +
        `message in one chunk: a browser's GET (${e.requestBytes} bytes, 12 fields) and a \`103\` ` +
        `with two \`link\` fields plus a \`200\` with a 45-byte body (${e.responseBytes} bytes); ` +
        `and encoding the two response heads.`,
    );
    out.push("");
    const names = Object.keys(e.perSecond);
    out.push(
      table(
        ["runtime", ...names.map((n) => `${n} msg/s`)],
        results.engine.map((x) => [
          runtimeLabel(x.runtime),
          ...names.map((n) => range(x.perSecond[n]!, kilo)),
        ]),
      ),
    );
    out.push("");
  }
  if (results.memory.length > 0) {
    out.push(
      `Resident memory per idle keep-alive connection: a fresh server per round, warmed up ` +
        `with 5,000 requests, then ${results.memory[0]!.connections} connections each make one ` +
        `request and stay open; the growth of the server process's \`VmRSS\` divided by the ` +
        `connections.`,
    );
    out.push("");
    out.push(
      table(
        ["runtime", "server", "KiB per idle connection"],
        results.memory.map((x) => [
          runtimeLabel(x.runtime),
          SERVER_NAMES[x.server]!,
          range(x.perConnectionKiB, (v) => num(v, 1)),
        ]),
      ),
    );
    out.push("");
  }
  if (results.longRun.length > 0) {
    out.push(
      "The long run: our server, `/hint`, `hey -c 64`, after a warm-up; `VmRSS` after the " +
        "warm-up, once a second during the run, and at the end. *Growth* compares the median " +
        "sample of the run's last quarter with that of its first quarter (the garbage " +
        "collectors move RSS by several MiB between samples).",
    );
    out.push("");
    out.push(
      table(
        [
          "runtime",
          "requests",
          "errors",
          "seconds",
          "RSS before MiB",
          "RSS after MiB",
          "peak MiB",
          "growth",
          "samples MiB",
        ],
        results.longRun.map((x) => [
          runtimeLabel(x.runtime),
          x.requests.toLocaleString("en-US"),
          String(x.errors),
          num(x.seconds, 1),
          num(x.startKiB / 1024, 1),
          num(x.endKiB / 1024, 1),
          num(x.peakKiB / 1024, 1),
          `${num(x.growth, 2)}x`,
          sparse(x.samplesKiB).map((v) => (v / 1024).toFixed(0)).join(" "),
        ]),
      ),
    );
    out.push("");
  }
  if (results.hono !== undefined && results.hono.length > 0) {
    out.push(...honoSection(results.hono, provenanceNote(results, "hono")));
  }
  if (results.h2 !== undefined && results.h2.length > 0) {
    out.push(...h2Section(results.h2, provenanceNote(results, "h2")));
  }
  if (results.proxy !== undefined && results.proxy.length > 0) {
    out.push(...proxySection(results.proxy, provenanceNote(results, "proxy")));
  }
  if (results.learned !== undefined && results.learned.length > 0) {
    out.push(...learnedSection(results.learned, provenanceNote(results, "learned")));
  }
  if (analysis.trim() !== "") {
    out.push(analysis.trim());
    out.push("");
  }
  return out.join("\n");
}

/**
 * A section's opening: its heading, where it was measured when copied in
 * from another run, and what it measures.
 */
function sectionOpening(heading: string, note: readonly string[], intro: string): string[] {
  return [heading, "", ...note, intro, ""];
}

/** The baseline of sections 5 and 7: the native server, on Node `@hono/node-server`. */
function nativeOrNodeServer(runtime: string): string {
  return runtime === "deno" || runtime === "bun" ? "native" : "node-server";
}

/** Section 5: the Hono app, one table per runtime, each row's CPU against the baseline's. */
function honoSection(hono: readonly ServerCase[], note: readonly string[]): string[] {
  return [
    ...sectionOpening(
      "## 5. A Hono app",
      note,
      "One Hono app (`scripts/bench/hono_app.ts`: a router, `/plain` = `c.text`, `/user/:id` = " +
        "`c.json` of the parameter, `/hint` = the early-hints middleware, a `103` with one " +
        "`link`, then `c.text`) behind ours on each transport and behind what a Hono user runs " +
        "today: `Deno.serve`, `Bun.serve` (they cannot send a 1xx: our `earlyHints()` sends " +
        "nothing there, so they are compared on `/plain` and `/user/:id`), and `@hono/node-server` " +
        "with its own Link-only `earlyHints`. `hey -c 32`, keep-alive; within a round the servers " +
        "of a runtime and path run back to back. *vs baseline* is the baseline's CPU per request " +
        "divided by the row's, per round (median, range): ours as a fraction of the baseline's " +
        "speed, higher is better.",
    ),
    ...ratioTablesPerRuntime(hono, [
      { header: "server", cell: (s) => HONO_SERVER_NAMES[s.server] ?? s.server },
      PATH_COLUMN,
      ...figureColumns("baseline"),
    ], nativeOrNodeServer),
  ];
}

/** Section 6: HTTP/2 with one 103 per request, ours against the node:http2 bridge. */
function h2Section(h2: readonly ServerCase[], note: readonly string[]): string[] {
  return [
    ...sectionOpening(
      "## 6. HTTP/2",
      note,
      "`h2load` (nghttp2-client) over TLS, ALPN `h2`, 8 connections with 8 streams each " +
        "(`-c 8 -m 8`), on `/hint`: one `103` with a `link`, then a small text `200`. Ours is " +
        "`serve()` with a certificate (HTTP/2 on by default), the handler calling " +
        "`sendInformational(request, 103, …)`; the baseline is the same runtime's `node:http2` " +
        "`createSecureServer` behind a minimal Request/Response bridge " +
        "(`scripts/bench/fixtures/h2_server.ts`) sending its `103` with " +
        "`stream.additionalHeaders()`. On Deno both flush the `103` through the session " +
        "handle's `sendPending()`. Requests are h2load's *succeeded* count (it files a hinted " +
        "response under 3xx); latency from its per-request log. *vs baseline* is the baseline's " +
        "CPU per request divided by ours, per round (median, range): ours as a fraction of the " +
        "baseline's speed, higher is better.",
    ),
    ratioTable(
      h2,
      [
        { header: "runtime", cell: (s) => runtimeLabel(s.runtime) },
        { header: "server", cell: (s) => H2_SERVER_NAMES[s.server] ?? s.server },
        ...figureColumns("baseline", { p50: true }),
      ],
      (s) =>
        h2.find((b) =>
          b.runtime === s.runtime && b.server === "node-http2" && b.path === s.path &&
          b.concurrency === s.concurrency
        ),
    ),
    "",
  ];
}

/** Section 7: forward() against Hono's proxy() helper, one table per runtime. */
function proxySection(proxy: readonly ProxyCase[], note: readonly string[]): string[] {
  return [
    ...sectionOpening(
      "## 7. Reverse proxy: `forward()` against Hono's `proxy()`",
      note,
      "A Hono app whose one route forwards every path to one upstream, Go's `seed_server` " +
        "(`scripts/interop/go/seed_server`, `-delay 0s`), started once per run in its own " +
        'process: `/plain` answers `200` "plain", `/hint` one `103` with a `link` and then ' +
        '`200` "hint". Ours is `forward(c.req.raw, upstream)` on our `serve(app.fetch)`; the ' +
        "baseline is what a Hono user runs today, Hono's `proxy()` (`hono/proxy`, which calls " +
        "the runtime's global `fetch`) on the runtime's own server (`Deno.serve`, `Bun.serve`, " +
        "`@hono/node-server`). Both send the upstream the same fields (hop-by-hop ones removed, " +
        "`X-Forwarded-Host` and `-Proto` added) and stream its body back. `hey -c 32`, " +
        "keep-alive; `hey` counts final responses only (Go's client reads a 1xx and waits for " +
        "the final one), so on `/hint` both are timed on the same `200`s. *Client saw* is one " +
        "request through that proxy before its warm-up: **ours relays the `103`, Hono's " +
        "`proxy()` cannot** (the global `fetch` of every runtime drops 1xx responses), so on " +
        "`/hint` ours does more work per request. CPU is the proxy process's alone; the upstream " +
        "and `hey` share the two cores. *vs baseline*: the baseline's CPU per request divided by " +
        "ours (ours as a fraction of its speed, higher is better); *requests/s vs baseline*: " +
        "ours over theirs; both per round (median, range). No target: issue 15 sets none.",
    ),
    ...ratioTablesPerRuntime<ProxyCase>(proxy, [
      {
        header: "proxy",
        cell: (s) =>
          s.server === "native"
            ? `Hono \`proxy()\` on \`${s.runtime === "deno" ? "Deno" : "Bun"}.serve\``
            : PROXY_SERVER_NAMES[s.server] ?? s.server,
      },
      PATH_COLUMN,
      { header: "client saw", cell: (s) => s.observed === "" ? "n/a" : s.observed },
      ...figureColumns("baseline", { rpsRatio: true }),
    ], nativeOrNodeServer),
  ];
}

/** Section 8: the app with learnedHints() against the same app without it. */
function learnedSection(learned: readonly ServerCase[], note: readonly string[]): string[] {
  return [
    ...sectionOpening(
      "## 8. `learnedHints()`: what the middleware costs",
      note,
      "One Hono app on our `serve()` (`scripts/bench/fixtures/learned_server.ts`) with a route " +
        "`/page` that sets `link: </style.css>; rel=preload; as=style` and answers `c.html()`, " +
        "with and without `app.use(learnedHints())` (default options). *navigation*: " +
        "`Sec-Fetch-Mode: navigate` and a browser's `Accept`, so with the middleware every " +
        "request after the first gets a learned `103` before the route runs (the row prices the " +
        "middleware and that `103`, which leaves in a socket write of its own: two writes per " +
        "request instead of one); *fetch*: " +
        "`Sec-Fetch-Mode: cors`, `Accept: */*`, which the middleware passes through (its cost " +
        "on requests it leaves alone). Checked once per app and kind before its warm-up: the " +
        "second navigation gets the `103` with the link, nothing else gets one. A third app has " +
        "a middleware that only awaits `next()`: Hono calls a lone route handler directly and " +
        "builds its middleware chain only when there is one, so that row is what any " +
        "`app.use()` costs; the gap between it and `learnedHints()` is the middleware's own " +
        "work, plus the `103` on navigations. `hey -c 32`, " +
        "keep-alive, final responses counted. *vs without*: the app without middleware's " +
        "CPU per request divided by the row's, and the row's requests/s over that app's, per " +
        "round (median, range): 1.00x means free. No target: issue 15 sets none.",
    ),
    ...ratioTablesPerRuntime(learned, [
      { header: "app", cell: (s) => LEARNED_SERVER_NAMES[s.server] ?? s.server },
      { header: "requests", cell: (s) => s.path.replace(/^(\S+) \((\w+)\)$/, "`$1`, $2") },
      ...figureColumns("without", { rpsRatio: true }),
    ], () => "plain"),
  ];
}

/** At most 12 evenly spaced samples, always with the first and the last. */
function sparse(values: readonly number[]): number[] {
  if (values.length <= 12) return [...values];
  const step = (values.length - 1) / 11;
  return Array.from({ length: 12 }, (_, i) => values[Math.round(i * step)]!);
}

function escapeXml(text: string): string {
  return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
}

/**
 * Renders a horizontal bar chart of the ratio targets, with each goal drawn
 * as a line across its bar.
 *
 * @param targets The checked targets (only ratios are drawn).
 * @param title A caption.
 * @returns An SVG document.
 *
 * @example Render
 * ```ts
 * const svg = renderSvg(results.targets, "interim, full mode");
 * ```
 */
export function renderSvg(targets: readonly Target[], title: string): string {
  const bars = targets.filter((t) => t.unit === "x" && t.id !== "memory-no-growth");
  const labelWidth = 470;
  const chartWidth = 380;
  const rowHeight = 20;
  const top = 48;
  const maxValue = Math.max(2, ...bars.map((t) => (Number.isFinite(t.measured) ? t.measured : 0)));
  const scale = chartWidth / Math.min(maxValue, 4);
  const height = top + bars.length * rowHeight + 40;
  const width = labelWidth + chartWidth + 90;
  const parts: string[] = [];
  parts.push(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" ` +
      `viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="11">`,
  );
  parts.push(`<rect width="${width}" height="${height}" fill="#fff"/>`);
  parts.push(`<text x="8" y="18" font-size="14" font-weight="bold">${escapeXml(title)}</text>`);
  parts.push(
    `<text x="8" y="34" fill="#555">ratio to the alternative, higher is better; ` +
      `black tick = goal; green = met, red = missed</text>`,
  );
  for (const [i, t] of bars.entries()) {
    const y = top + i * rowHeight;
    const value = Number.isFinite(t.measured) ? Math.min(t.measured, 4) : 0;
    const label = `${runtimeLabel(t.runtime)}: ${t.name.replace(/ \(.*\)$/, "")}`;
    parts.push(`<text x="8" y="${y + 13}">${escapeXml(label)}</text>`);
    parts.push(
      `<rect x="${labelWidth}" y="${y + 3}" width="${(value * scale).toFixed(1)}" ` +
        `height="${rowHeight - 6}" fill="${t.met ? "#3a9d5d" : "#d0443e"}"/>`,
    );
    const goalX = labelWidth + t.goal * scale;
    parts.push(
      `<line x1="${goalX.toFixed(1)}" y1="${y + 1}" x2="${goalX.toFixed(1)}" ` +
        `y2="${y + rowHeight - 1}" stroke="#000" stroke-width="2"/>`,
    );
    parts.push(
      `<text x="${(labelWidth + value * scale + 6).toFixed(1)}" y="${y + 13}">` +
        `${num(t.measured, 2)}x</text>`,
    );
  }
  const axisY = top + bars.length * rowHeight + 4;
  parts.push(
    `<line x1="${labelWidth}" y1="${axisY}" x2="${
      labelWidth + chartWidth
    }" y2="${axisY}" stroke="#999"/>`,
  );
  for (let v = 0; v <= Math.min(maxValue, 4) + 1e-9; v += 0.5) {
    const x = labelWidth + v * scale;
    parts.push(`<line x1="${x}" y1="${axisY}" x2="${x}" y2="${axisY + 4}" stroke="#999"/>`);
    parts.push(`<text x="${x}" y="${axisY + 16}" text-anchor="middle" fill="#555">${v}x</text>`);
  }
  parts.push("</svg>");
  return parts.join("\n") + "\n";
}
