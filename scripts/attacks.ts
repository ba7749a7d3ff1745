/**
 * The attacks of issue 12, measured against our `serve()` on every runtime
 * and against a plain `node:http` server in the same run (`npm run attacks`;
 * `--help` for the options). Loopback only, every wait bounded, every child
 * server killed at the end.
 *
 * Each server runs in a child process of the runtime under test
 * (`scripts/attacks_server.ts`, default limits); the attacker is this
 * process, on raw `node:net` sockets. Memory is the child's RSS: sampled
 * from `/proc` every 100 ms for the peak, and after a full garbage
 * collection (`GET /__memory`) before the attack and after its sockets
 * closed. Linux only (`/proc`).
 *
 * Writes `.build/attacks-report.json` (`attacks-report-quick.json` with
 * `--quick`) and, on a full run, the table between `<!-- attacks:begin -->`
 * and `<!-- attacks:end -->` in docs/hardening.md.
 *
 * @module
 */

import { execFileSync } from "node:child_process";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import process from "node:process";
import { fileURLToPath } from "node:url";
import {
  type AttackedServer,
  gcRss,
  openFileLimit,
  procRss,
  RssSampler,
  type RuntimeName,
  runtimeVersion,
  type ServerKind,
  startAttackedServer,
} from "./_attacks_child.ts";
import {
  floodAfterClose,
  type FloodVariant,
  pipelineNonReaders,
  slowRead,
  slowUpload,
  trickleBodies,
} from "./_attacks_wire.ts";

const ROOT = resolve(fileURLToPath(import.meta.url), "../..");
const DOC = join(ROOT, "docs/hardening.md");
const BEGIN = "<!-- attacks:begin -->";
const END = "<!-- attacks:end -->";

const USAGE = `Usage: npm run attacks -- [options]

Reproduces issue 12's attacks (slow reader, pipelined non-reader, flood after
close, trickled body) against serve() on Deno, Bun, Node 24 and Node 26, serve()
with adapter "node-http" on Node 26, and a plain node:http server on Node 26 as
the baseline, all in one run, on 127.0.0.1. Full run: about 5 minutes.

Options:
  --quick          short run (smaller bodies, shorter holds, 50 trickling
                   connections; about 90 s); does not touch the docs
  --servers=LIST   only these servers, comma-separated, of: ${
  ["deno", "bun", "node24", "node26", "node26-adapter", "node26-node-http"].join(", ")
}
  --no-docs        do not write docs/hardening.md
  --help           this text

Writes .build/attacks-report.json (-quick.json with --quick) and, on a full
run, the table in docs/hardening.md between ${BEGIN} and ${END}.
Exit status: 0 when every measurement ran and every serve() row on the
default backend meets the issue's bar, 1 otherwise, 2 on bad options.`;

interface ServerUnderTest {
  readonly id: string;
  readonly runtime: RuntimeName;
  readonly kind: ServerKind;
}

const ALL_SERVERS: readonly ServerUnderTest[] = [
  { id: "deno", runtime: "deno", kind: "serve" },
  { id: "bun", runtime: "bun", kind: "serve" },
  { id: "node24", runtime: "node24", kind: "serve" },
  { id: "node26", runtime: "node26", kind: "serve" },
  { id: "node26-adapter", runtime: "node26", kind: "serve-node-http" },
  { id: "node26-node-http", runtime: "node26", kind: "node-http" },
];

function parseOptions(argv: readonly string[]) {
  let quick = false;
  let docs = true;
  let servers = ALL_SERVERS;
  for (const arg of argv) {
    if (arg === "--help" || arg === "-h") {
      console.log(USAGE);
      process.exit(0);
    } else if (arg === "--quick") quick = true;
    else if (arg === "--no-docs") docs = false;
    else if (arg.startsWith("--servers=")) {
      const ids = arg.slice("--servers=".length).split(",");
      const unknown = ids.filter((id) => !ALL_SERVERS.some((server) => server.id === id));
      if (unknown.length > 0 || ids.length === 0) {
        console.error(`attacks: unknown server(s) ${unknown.join(", ")}\n\n${USAGE}`);
        process.exit(2);
      }
      servers = ALL_SERVERS.filter((server) => ids.includes(server.id));
    } else {
      console.error(`attacks: unknown option ${arg}\n\n${USAGE}`);
      process.exit(2);
    }
  }
  return { quick, docs: docs && !quick, servers };
}

const options = parseOptions(process.argv.slice(2));
const MiB = 2 ** 20;

const fdLimit = openFileLimit();
// Each trickling connection costs a descriptor here and one in its server;
// all servers are attacked at once, so this process holds them all.
const trickleMax = Math.floor((fdLimit - 256) / options.servers.length);
const PARAMETERS = options.quick
  ? {
    slowBytes: 4 * MiB,
    slowRate: 512 * 1024,
    pipelineSockets: 4,
    pipelineRequests: 50,
    pipelineHoldMs: 3_000,
    floodMs: 2_000,
    floodCloseWaitMs: 5_000,
    idleWaitMs: 8_000,
    trickleConnections: Math.min(50, trickleMax),
    trickleCheckMs: 30_000,
    trickleMaxMs: 34_000,
    uploadBytes: 125_000,
    uploadRate: 5_000,
    settleMs: 1_000,
  }
  : {
    slowBytes: 32 * MiB,
    slowRate: MiB,
    pipelineSockets: 4,
    pipelineRequests: 200,
    pipelineHoldMs: 8_000,
    floodMs: 5_000,
    floodCloseWaitMs: 3_000,
    idleWaitMs: 8_000,
    trickleConnections: Math.min(500, trickleMax),
    trickleCheckMs: 30_000,
    trickleMaxMs: 40_000,
    uploadBytes: 150_000,
    uploadRate: 5_000,
    settleMs: 2_000,
  };

// The issue's bar for each scenario (see docs/hardening.md).
const BAR = {
  pipelinePeakMiB: 100,
  pipelineAfterMiB: 50,
  floodAcceptedMiB: 24,
};

const sleep = (ms: number) => new Promise<void>((done) => setTimeout(done, ms));
const mib = (bytes: number) => (bytes / MiB).toFixed(1);
const seconds = (value: number) => `${value.toFixed(1)} s`;

/** One measured (scenario, server) pair. */
interface Row {
  readonly scenario: string;
  readonly server: string;
  readonly serverId: string;
  readonly result: string;
  readonly rss: string;
  /** `yes`, `no`, or `error`. */
  readonly meetsBar: "yes" | "no" | "error";
  readonly data: unknown;
}

const versions = Object.fromEntries(
  (["deno", "bun", "node24", "node26"] as const).map((runtime) => [
    runtime,
    runtimeVersion(ROOT, runtime),
  ]),
) as Record<RuntimeName, string>;

function serverLabel(server: ServerUnderTest): string {
  const runtime = {
    deno: `Deno ${versions.deno}`,
    bun: `Bun ${versions.bun}`,
    node24: `Node ${versions.node24}`,
    node26: `Node ${versions.node26}`,
  }[server.runtime];
  switch (server.kind) {
    case "serve":
      return `serve(), ${runtime}`;
    case "serve-node-http":
      return `serve() adapter node-http, ${runtime}`;
    case "node-http":
      return `**node:http**, ${runtime}`;
  }
}

/** Memory around an attack: the GC'd baseline, the sampled peak, the GC'd figure after. */
async function withMemory<T>(
  server: AttackedServer,
  attack: () => Promise<T>,
): Promise<{ result: T; before: number; peak: number; after: number }> {
  const before = await gcRss(server.port);
  const sampler = new RssSampler(server.pid);
  let result: T;
  let peak: number;
  try {
    result = await attack();
  } finally {
    peak = sampler.stop();
  }
  await sleep(PARAMETERS.settleMs);
  const after = server.exited() === undefined ? await gcRss(server.port) : procRss(server.pid);
  return { result, before, peak, after };
}

function rssText(memory: { before: number; peak: number; after: number }): string {
  const signed = (bytes: number) => `${bytes < 0 ? "" : "+"}${mib(bytes)}`;
  return `${mib(memory.before)} → ${signed(memory.peak - memory.before)} → ${
    signed(memory.after - memory.before)
  }`;
}

/** Starts the server, runs `measure`, stops it; a failure becomes an `error` row. */
async function onServer(
  scenario: string,
  server: ServerUnderTest,
  measure: (child: AttackedServer) => Promise<Omit<Row, "scenario" | "server" | "serverId">>,
): Promise<Row> {
  const base = { scenario, server: serverLabel(server), serverId: server.id };
  let child: AttackedServer | undefined;
  try {
    child = await startAttackedServer(ROOT, server.runtime, server.kind, PARAMETERS.slowBytes);
    const row = await measure(child);
    const exited = child.exited();
    if (exited !== undefined) {
      return {
        ...base,
        ...row,
        result: `${row.result}; **server died** (${exited})`,
        meetsBar: "no",
      };
    }
    return { ...base, ...row };
  } catch (error) {
    const message = error instanceof Error ? error.message.split("\n")[0] : String(error);
    return { ...base, result: `error: ${message}`, rss: "", meetsBar: "error", data: { message } };
  } finally {
    await child?.stop();
  }
}

async function inSequence<T>(items: readonly T[], run: (item: T) => Promise<Row>): Promise<Row[]> {
  const rows: Row[] = [];
  for (const item of items) {
    const row = await run(item);
    console.log(`  ${row.server}: ${row.result} [rss ${row.rss}] bar: ${row.meetsBar}`);
    rows.push(row);
  }
  return rows;
}

async function inParallel<T>(items: readonly T[], run: (item: T) => Promise<Row>): Promise<Row[]> {
  const rows = await Promise.all(items.map(run));
  for (const row of rows) {
    console.log(`  ${row.server}: ${row.result} [rss ${row.rss}] bar: ${row.meetsBar}`);
  }
  return rows;
}

const slowScenario = "1 slow reader";
async function slowReader(server: ServerUnderTest): Promise<Row> {
  return await onServer(slowScenario, server, async (child) => {
    const expectedMs = (PARAMETERS.slowBytes / PARAMETERS.slowRate) * 1000;
    const memory = await withMemory(
      child,
      () => slowRead(child.port, "/slow", PARAMETERS.slowRate, expectedMs * 1.2 + 10_000),
    );
    const read = memory.result;
    const complete = read.outcome === "complete" && read.contentLength === PARAMETERS.slowBytes;
    return {
      result: read.contentLength === undefined
        ? `${read.received.toLocaleString("en")} bytes, ${read.outcome} after ${
          seconds(read.seconds)
        }, but **${read.framing}: no Content-Length** (docs/server.md promises one)`
        : `${read.received.toLocaleString("en")} of ${
          read.contentLength.toLocaleString("en")
        } bytes, ${read.outcome} after ${seconds(read.seconds)}`,
      rss: rssText(memory),
      meetsBar: complete ? "yes" : "no",
      data: { ...read, memory },
    };
  });
}

const pipelineScenario = "2 pipelined non-reader";
async function pipelined(server: ServerUnderTest): Promise<Row> {
  return await onServer(pipelineScenario, server, async (child) => {
    const memory = await withMemory(
      child,
      () =>
        pipelineNonReaders(
          child.port,
          PARAMETERS.pipelineSockets,
          PARAMETERS.pipelineRequests,
          "/big",
          PARAMETERS.pipelineHoldMs,
        ),
    );
    const peakGrowth = (memory.peak - memory.before) / MiB;
    const afterGrowth = (memory.after - memory.before) / MiB;
    return {
      result: `RSS +${peakGrowth.toFixed(1)} MiB at peak, +${
        afterGrowth.toFixed(1)
      } MiB after close; clients got ${
        mib(memory.result.bytesRead)
      } MiB unread, ${memory.result.closedByServer} of ${PARAMETERS.pipelineSockets} closed by the server`,
      rss: rssText(memory),
      meetsBar: peakGrowth < BAR.pipelinePeakMiB && afterGrowth < BAR.pipelineAfterMiB
        ? "yes"
        : "no",
      data: { ...memory.result, memory },
    };
  });
}

const FLOOD_VARIANTS: Record<FloodVariant, string> = {
  "connection-close": "after `Connection: close`",
  "after-400": "after a 400",
  "idle-close": "after the idle close",
};
const floodScenario = (variant: FloodVariant) => `3 flood ${FLOOD_VARIANTS[variant]}`;
async function flood(server: ServerUnderTest, variant: FloodVariant): Promise<Row> {
  return await onServer(floodScenario(variant), server, async (child) => {
    const memory = await withMemory(
      child,
      () =>
        floodAfterClose(
          child.port,
          variant,
          PARAMETERS.floodMs,
          PARAMETERS.floodCloseWaitMs,
          PARAMETERS.idleWaitMs,
        ),
    );
    const { accepted, closedAfter, statusLine, note } = memory.result;
    const window = (PARAMETERS.floodMs + PARAMETERS.floodCloseWaitMs) / 1000;
    const closed = closedAfter === undefined
      ? `still open at ${window} s`
      : `closed after ${seconds(closedAfter)}`;
    return {
      result: `${mib(accepted)} MiB taken, ${closed}${
        statusLine === "" ? "" : ` (answer: ${statusLine})`
      }${note === "" ? "" : `; ${note}`}`,
      rss: rssText(memory),
      meetsBar: accepted / MiB < BAR.floodAcceptedMiB && closedAfter !== undefined ? "yes" : "no",
      data: { ...memory.result, memory },
    };
  });
}

const trickleScenario = "4 trickled bodies + slow upload";
async function trickle(server: ServerUnderTest): Promise<Row> {
  return await onServer(trickleScenario, server, async (child) => {
    const memory = await withMemory(child, async () => {
      const [bodies, upload] = await Promise.all([
        trickleBodies(
          child.port,
          PARAMETERS.trickleConnections,
          PARAMETERS.trickleCheckMs,
          PARAMETERS.trickleMaxMs,
        ),
        slowUpload(
          child.port,
          PARAMETERS.uploadBytes,
          PARAMETERS.uploadRate,
          (PARAMETERS.uploadBytes / PARAMETERS.uploadRate) * 1000 + 15_000,
        ),
      ]);
      return { bodies, upload };
    });
    const { bodies, upload } = memory.result;
    const open = bodies.openAtCheck.read + bodies.openAtCheck.unread;
    const fin = bodies.lastFin === undefined ? "" : `last FIN at ${seconds(bodies.lastFin)}, `;
    const last = bodies.lastClosed === undefined
      ? `${fin}${bodies.openAtEnd} still open at ${PARAMETERS.trickleMaxMs / 1000} s`
      : `${fin}last closed at ${seconds(bodies.lastClosed)}`;
    const statuses = Object.entries(bodies.statuses)
      .map(([line, count]) => `${count}× ${line.replace(/^HTTP\/1\.1 /, "")}`)
      .join(", ");
    return {
      result: `open at ${
        PARAMETERS.trickleCheckMs / 1000
      } s: ${bodies.openAtCheck.read}/${bodies.opened.read} read, ${bodies.openAtCheck.unread}/${bodies.opened.unread} unread; ${last}${
        statuses === "" ? "" : ` (answers: ${statuses})`
      }; upload: ${upload.ok ? "complete" : "**failed**"}, ${
        upload.statusLine.replace(/^HTTP\/1\.1 /, "") || "no answer"
      } in ${seconds(upload.seconds)}`,
      rss: rssText(memory),
      meetsBar: open === 0 && upload.ok ? "yes" : "no",
      data: { bodies, upload, memory },
    };
  });
}

function git(args: string[]): string {
  try {
    return execFileSync("git", args, { cwd: ROOT, encoding: "utf8", timeout: 10_000 }).trim();
  } catch {
    return "";
  }
}

const started = performance.now();
const commit = git(["rev-parse", "--short", "HEAD"]) || "unknown";
const dirty = git([
  "status",
  "--porcelain",
  "--",
  "src",
  "mod.ts",
  "server.ts",
]);
const attacker = process.versions.node;
console.log(
  `attacks${options.quick ? " (quick)" : ""}: commit ${commit}${
    dirty === "" ? "" : " + uncommitted changes in src"
  }; Deno ${versions.deno}, Bun ${versions.bun}, Node ${versions.node24} and ${versions.node26}; attacker Node ${attacker}; open-file limit ${fdLimit}`,
);

const rows: Row[] = [];
console.log(slowScenario);
rows.push(...await inParallel(options.servers, slowReader));
// One server at a time on a full run, so that no server's figures include
// another's load; side by side on a quick one, which only checks the script.
const memoryScenarioRunner = options.quick ? inParallel : inSequence;
console.log(pipelineScenario);
rows.push(...await memoryScenarioRunner(options.servers, pipelined));
for (const variant of Object.keys(FLOOD_VARIANTS) as FloodVariant[]) {
  console.log(floodScenario(variant));
  rows.push(...await memoryScenarioRunner(options.servers, (server) => flood(server, variant)));
}
console.log(trickleScenario);
rows.push(...await inParallel(options.servers, trickle));
const totalSeconds = (performance.now() - started) / 1000;

const date = new Date().toISOString().replace(/\.\d+Z$/, "Z");
const report = {
  date,
  commit,
  uncommittedSourceChanges: dirty !== "",
  quick: options.quick,
  versions: { ...versions, attackerNode: attacker },
  parameters: PARAMETERS,
  bar: BAR,
  openFileLimit: fdLimit,
  totalSeconds,
  rows,
};
mkdirSync(join(ROOT, ".build"), { recursive: true });
const jsonPath = join(ROOT, ".build", `attacks-report${options.quick ? "-quick" : ""}.json`);
writeFileSync(jsonPath, `${JSON.stringify(report, null, 2)}\n`);

/** The run's parameters and the bar, in words, for the docs. */
function describeParameters(): string {
  const p = PARAMETERS;
  return `(1) one client reads a ${mib(p.slowBytes)} MiB static body at ${
    p.slowRate / 1024
  } KiB/s; (2) ${p.pipelineSockets} sockets each write ${p.pipelineRequests} pipelined ` +
    `\`GET /big\` (1 MiB answers) at once, read nothing, and are held ${
      p.pipelineHoldMs / 1000
    } s; ` +
    `(3) after the server's last answer (or its FIN, when idle: default 5 s idle timeout) one ` +
    `client writes 64 KiB chunks for ${p.floodMs / 1000} s without reading, then waits up to ${
      p.floodCloseWaitMs / 1000
    } s for the close; "taken" counts the bytes the client's kernel accepted, so it includes ` +
    `the loopback buffers (about 4 MiB) on top of what the server read; (4) ${p.trickleConnections} ` +
    `connections announce a 1 MB body and send 1 byte/s (half to a handler that reads the body, half ` +
    `to one that answers without reading it), counted open at ${p.trickleCheckMs / 1000} s and ` +
    `followed to ${p.trickleMaxMs / 1000} s ("FIN": the server's answer and half-close; ` +
    `"closed": seen by the client at its next 1-byte write, up to 1 s late), beside one ${
      p.uploadBytes / 1000
    } KB upload at ${
      p.uploadRate / 1000
    } KB/s. Servers run with default limits, one at a time for (2) and (3) and side by side ` +
    `for (1) and (4). RSS: before the attack and ${
      p.settleMs / 1000
    } s after its sockets closed, ` +
    `each after a full GC; the peak sampled from /proc every 100 ms. The bar (the issue's): every ` +
    `byte of the body arrives, framed by Content-Length; peak RSS growth under ${BAR.pipelinePeakMiB} MiB and under ${BAR.pipelineAfterMiB} MiB after ` +
    `close; under ${BAR.floodAcceptedMiB} MiB taken and closed within the wait; no trickling ` +
    `connection open at ${p.trickleCheckMs / 1000} s and the upload complete.`;
}

const escape = (text: string) => text.replaceAll("|", "\\|");
const table = [
  "| Scenario | Server | What happened | Server RSS, MiB: before → peak → after close | Meets the bar |",
  "| --- | --- | --- | --- | --- |",
  ...rows.map((row) =>
    `| ${escape(row.scenario)} | ${row.server} | ${
      escape(row.result)
    } | ${row.rss} | ${row.meetsBar} |`
  ),
].join("\n");
const header =
  `Run of ${date} on commit \`${commit}\`${
    dirty === "" ? "" : " (with uncommitted changes in src)"
  } by \`npm run attacks\`${options.quick ? " --quick" : ""}, ${
    Math.round(totalSeconds)
  } s: Deno ${versions.deno}, Bun ${versions.bun}, Node ${versions.node24} and ${versions.node26}; attacker on Node ${attacker}. ` +
  `Loopback, a 2-core machine shared with other engineers' test runs (times move with its load). ` +
  describeParameters();
console.log(`\n${header}\n\n${table}\n\nJSON: ${jsonPath}`);

if (options.docs) {
  const doc = readFileSync(DOC, "utf8");
  const begin = doc.indexOf(BEGIN);
  const end = doc.indexOf(END);
  if (begin < 0 || end < begin) {
    console.error(`attacks: ${DOC} has no ${BEGIN} … ${END} section; the table was not written`);
    process.exitCode = 1;
  } else {
    writeFileSync(
      DOC,
      `${doc.slice(0, begin + BEGIN.length)}\n\n${header}\n\n${table}\n\n${doc.slice(end)}`,
    );
    console.log(`written to ${DOC}`);
  }
}

const failures = rows.filter((row) =>
  row.meetsBar === "error" ||
  (row.meetsBar === "no" && ALL_SERVERS.find((s) => s.id === row.serverId)?.kind === "serve")
);
for (const row of failures) console.error(`below the bar: ${row.scenario} on ${row.server}`);
process.exit(failures.length === 0 && process.exitCode !== 1 ? 0 : 1);
