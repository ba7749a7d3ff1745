/**
 * Soak test (not part of `npm test`; `tests/hardening_load.test.ts` is the
 * short version): one server in a child process, many keep-alive
 * connections sending requests that each get a `103 Early Hints` and a
 * `200`, for minutes. Every few seconds it prints the request rate, the
 * hints and finals received, the errors, and the server's memory (after a
 * garbage collection); at the end a JSON summary (`.build/soak-report.json`).
 *
 * Usage: `node --import tsx scripts/soak.ts [--duration=SECONDS] [--connections=N]
 * [--interval=SECONDS]` (defaults 120, 300, 10). The server runs on the same
 * runtime as this script (`deno run -A scripts/soak.ts`, `bun scripts/soak.ts`
 * work too). Exits non-zero on any error or a missing hint.
 *
 * @module
 */

import { mkdirSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import process from "node:process";
import { fileURLToPath } from "node:url";
import { Client } from "../client.ts";
import { startChildServer } from "../tests/_support/hostile_child.ts";
import { CURRENT_RUNTIME } from "../tests/_support/run_ts.ts";

const ROOT = resolve(fileURLToPath(import.meta.url), "../..");

function option(name: string, fallback: number): number {
  const arg = process.argv.find((a) => a.startsWith(`--${name}=`));
  if (arg === undefined) return fallback;
  const value = Number(arg.slice(name.length + 3));
  if (!Number.isFinite(value) || value <= 0) throw new Error(`bad ${arg}`);
  return value;
}

const duration = option("duration", 120) * 1000;
const connections = option("connections", 300);
const interval = option("interval", 10) * 1000;
const mib = (bytes: number) => Math.round(bytes / 2 ** 20 * 10) / 10;

const server = await startChildServer();
const client = new Client({ maxSocketsPerOrigin: connections });
const url = `http://127.0.0.1:${server.port}/hint`;
let requests = 0;
let hints = 0;
let finals = 0;
const errors: string[] = [];
let stopping = false;
const samples: Array<Record<string, number>> = [];

async function worker(): Promise<void> {
  while (!stopping) {
    requests++;
    try {
      const response = await client.fetch(url, {
        onInformational(info) {
          if (info.status === 103) hints++;
        },
      });
      const text = await response.text();
      if (response.status === 200 && text === "hinted") finals++;
      else errors.push(`status ${response.status}`);
    } catch (error) {
      errors.push(String(error));
    }
  }
}

console.log(
  `soak: ${CURRENT_RUNTIME}, ${connections} connections, ${
    duration / 1000
  } s, server pid ${server.child.pid}`,
);
const baseline = await server.memory();
console.log(`baseline: server rss ${mib(baseline.rss)} MiB, heap ${mib(baseline.heapUsed)} MiB`);
const started = performance.now();
const workers = Array.from({ length: connections }, worker);
let lastRequests = 0;
let lastTime = started;
while (performance.now() - started < duration) {
  await new Promise((done) => setTimeout(done, Math.min(interval, duration)));
  const now = performance.now();
  const memory = await server.memory();
  const rps = Math.round((finals - lastRequests) / ((now - lastTime) / 1000));
  lastRequests = finals;
  lastTime = now;
  const sample = {
    seconds: Math.round((now - started) / 1000),
    rps,
    finals,
    hints,
    errors: errors.length,
    rssMiB: mib(memory.rss),
    heapMiB: mib(memory.heapUsed),
  };
  samples.push(sample);
  console.log(
    `t=${String(sample.seconds).padStart(4)} s  ${
      String(rps).padStart(6)
    } req/s  finals ${finals}  ` +
      `hints ${hints}  errors ${errors.length}  server rss ${sample.rssMiB} MiB  heap ${sample.heapMiB} MiB`,
  );
}
stopping = true;
await Promise.all(workers);
const elapsed = (performance.now() - started) / 1000;
const stats = await server.stats();
const final = await server.memory();
await client.close();
await server.stop();

const summary = {
  runtime: CURRENT_RUNTIME,
  connections,
  seconds: Math.round(elapsed),
  requests,
  finals,
  hints,
  errors: errors.length,
  firstErrors: errors.slice(0, 5),
  meanRps: Math.round(finals / elapsed),
  serverConnections: stats.peers,
  baselineRssMiB: mib(baseline.rss),
  finalRssMiB: mib(final.rss),
  maxRssMiB: Math.max(...samples.map((s) => s.rssMiB!)),
  baselineHeapMiB: mib(baseline.heapUsed),
  finalHeapMiB: mib(final.heapUsed),
  maxHeapMiB: Math.max(...samples.map((s) => s.heapMiB!)),
  samples,
};
mkdirSync(join(ROOT, ".build"), { recursive: true });
writeFileSync(
  join(ROOT, ".build", `soak-report-${CURRENT_RUNTIME}.json`),
  `${JSON.stringify(summary, null, 2)}\n`,
);
const ok = errors.length === 0 && hints === finals && finals === requests;
console.log(
  `${ok ? "ok" : "FAILED"}: ${finals} finals, ${hints} hints, ${errors.length} errors in ${
    Math.round(elapsed)
  } s (${summary.meanRps} req/s) over ${stats.peers} server-side connections; server rss ` +
    `${summary.baselineRssMiB} -> ${summary.finalRssMiB} MiB (max ${summary.maxRssMiB}), heap ` +
    `${summary.baselineHeapMiB} -> ${summary.finalHeapMiB} MiB (max ${summary.maxHeapMiB})`,
);
process.exit(ok ? 0 : 1);
