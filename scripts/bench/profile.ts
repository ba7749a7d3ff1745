/**
 * Profiles one benchmark server under `hey` and prints where its CPU time
 * goes: the V8 CPU profile of the server process (`node:inspector`'s
 * `Profiler`, 100 µs sampling), summarised as self time per function and per
 * area (our engine, our server, our adapters, the runtime's internals, GC).
 *
 * Usage: `node --import tsx scripts/bench/profile.ts RUNTIME SERVER PATH
 * [SECONDS] [CONCURRENCY]`, e.g. `... profile.ts deno ours /hint 5 64`.
 * SERVER `hono-KIND` profiles the Hono app of `hono_app.ts` behind KIND of
 * `fixtures/hono_server.ts` (`hono-ours`, `hono-native`, `hono-node-server`
 * ...), e.g. `... profile.ts node24 hono-ours /plain 5 32`.
 * SERVER `h2-KIND` profiles an HTTP/2 server of `fixtures/h2_server.ts`
 * (`h2-ours`, `h2-node-http2`) under `h2load` over TLS instead of `hey`,
 * CONCURRENCY streams over 8 connections, e.g. `... profile.ts deno h2-ours /hint 5 64`.
 * SERVER `proxy-KIND` profiles a proxy of `fixtures/proxy_server.ts`
 * (`proxy-ours`, `proxy-native`, `proxy-node-server`) in front of Go's
 * `seed_server`, e.g. `... profile.ts node26 proxy-ours /plain 5 32`.
 * SERVER `learned-KIND` profiles `fixtures/learned_server.ts` (`learned-learned`,
 * `learned-plain`); PATH is a request kind of `learned_bench.ts`, e.g.
 * `... profile.ts bun learned-learned "/page (navigation)" 5 32`.
 * SERVER `client-ours` or `client-fetch` profiles a client instead
 * (`fixtures/client_loop.ts`) against Go's `seed_server`. With
 * `BENCH_PROFILE_KIND=heap` in the environment a server gets the sampling
 * heap profiler instead: bytes allocated per function, GC'd objects included.
 * Writes the raw profile to `.build/bench/RUNTIME-SERVER.cpuprofile` (open it
 * in Chrome DevTools) and the summary on stdout.
 *
 * @module
 */

import { mkdirSync, readFileSync } from "node:fs";
import path from "node:path";
import process from "node:process";
import { startGoServer } from "../../tests/_support/go.ts";
import {
  ROOT,
  runHey,
  runtimeCommand,
  type RuntimeName,
  runToEnd,
  startServerChild,
} from "./common.ts";
import { runH2load } from "./h2load.ts";
import { learnedHeyArgs } from "./learned_bench.ts";

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount?: number;
  children?: number[];
}
interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

const [runtime = "node", server = "ours", urlPath = "/hint", secondsArg = "5", cArg = "64"] =
  process.argv.slice(2);

function area(url: string, name: string): string {
  if (name === "(garbage collector)") return "GC";
  if (name === "(idle)" || name === "(program)" || name === "(root)") return name;
  if (url.includes("/src/http1/")) return "engine (src/http1)";
  if (url.includes("/src/server/")) return "server (src/server)";
  if (url.includes("/src/runtime/")) return "adapters (src/runtime)";
  if (url.includes("/src/client/")) return "client (src/client)";
  if (url.includes("/src/proxy/")) return "proxy (src/proxy)";
  if (url.includes("/scripts/bench/")) return "fixture handler";
  if (url.includes("/node_modules/hono/")) return "hono";
  if (url.includes("/node_modules/@hono/node-server/")) return "@hono/node-server";
  if (url === "") return "native / builtins";
  return "runtime internals";
}

function shortUrl(url: string): string {
  const index = url.indexOf("/src/");
  if (index >= 0) return url.slice(index + 1);
  return url.replace(/^.*\/(node_modules|ext)\//, "$1/").slice(-60);
}

async function main(): Promise<void> {
  const outDir = path.join(ROOT, ".build", "bench");
  mkdirSync(outDir, { recursive: true });
  const heap = process.env.BENCH_PROFILE_KIND === "heap";
  const file = path.join(outDir, `${runtime}-${server}.${heap ? "heapprofile" : "cpuprofile"}`);
  if (server.startsWith("client-")) await profileClient(file);
  else await profileServer(file);
  if (heap) summariseHeap(file);
  else summarise(file);
}

async function profileClient(file: string): Promise<void> {
  const go = await startGoServer(["-delay", "0s"]);
  try {
    const [command, args] = runtimeCommand(
      runtime as RuntimeName,
      path.join(ROOT, "scripts", "bench", "fixtures", "client_loop.ts"),
      [server.slice("client-".length), go.url + urlPath, cArg, secondsArg],
    );
    const out = await runToEnd(command, args, 120_000, { BENCH_CPU_PROFILE: file });
    console.log(`${runtime} ${server} ${urlPath} c=${cArg}: ${out.trim()}`);
  } finally {
    await go.close();
  }
}

async function profileServer(file: string): Promise<void> {
  const family = /^(hono|h2|proxy|learned)-/.exec(server)?.[1];
  const fixture = family === undefined ? "server.ts" : `${family}_server.ts`;
  // A proxy needs its upstream: Go's seed_server, as in the proxy section.
  const upstream = family === "proxy" ? await startGoServer(["-delay", "0s"]) : undefined;
  const [command, args] = runtimeCommand(
    runtime as RuntimeName,
    path.join(ROOT, "scripts", "bench", "fixtures", fixture),
    [
      family === undefined ? server : server.slice(family.length + 1),
      ...(upstream === undefined ? [] : [upstream.url]),
    ],
  );
  const child = await startServerChild(command, args, `${server} on ${runtime}`, {
    BENCH_CPU_PROFILE: file,
    BENCH_PROFILE_KIND: process.env.BENCH_PROFILE_KIND ?? "cpu",
  });
  const url = `http://127.0.0.1:${child.port}${urlPath}`;
  const load = (seconds: number) =>
    family === "h2" ? runH2load(child.port, urlPath, seconds, Number(cArg)) : runHey(
      family === "learned"
        ? learnedHeyArgs(child.port, urlPath, seconds, Number(cArg))
        : ["-z", `${seconds}s`, "-c", cArg, url],
      seconds * 1000 + 60_000,
    );
  try {
    await load(2);
    const started = new Promise<void>((resolve) => {
      child.child.stdout!.on("data", (chunk: string) => {
        if (String(chunk).includes("profiling")) resolve();
      });
    });
    child.child.stdin!.write("profile\n");
    await started;
    const result = await load(Number(secondsArg));
    console.log(
      `${runtime} ${server} ${urlPath} c=${cArg}: ${result.requests} requests, ${
        result.rps.toFixed(0)
      } rps`,
    );
  } finally {
    await child.stop();
    await upstream?.close();
  }
}

interface HeapNode {
  callFrame: { functionName: string; url: string; lineNumber: number };
  selfSize: number;
  children: HeapNode[];
}

/** Bytes allocated per function (self), from a sampling heap profile. */
function summariseHeap(file: string): void {
  const { head } = JSON.parse(readFileSync(file, "utf8")) as { head: HeapNode };
  const bySite = new Map<string, number>();
  let total = 0;
  const visit = (node: HeapNode) => {
    const { functionName, url, lineNumber } = node.callFrame;
    const key = `${functionName || "(anonymous)"}  ${shortUrl(url)}:${lineNumber + 1}`;
    bySite.set(key, (bySite.get(key) ?? 0) + node.selfSize);
    total += node.selfSize;
    for (const child of node.children) visit(child);
  };
  visit(head);
  console.log(
    `heap profile: ${(total / 2 ** 20).toFixed(1)} MiB sampled; top allocation sites (self):`,
  );
  for (const [site, bytes] of [...bySite].sort((a, b) => b[1] - a[1]).slice(0, 25)) {
    console.log(`  ${((100 * bytes) / total).toFixed(1).padStart(5)}%  ${site}`);
  }
  console.log(`\nraw profile: ${path.relative(ROOT, file)}`);
}

function summarise(file: string): void {
  const profile = JSON.parse(readFileSync(file, "utf8")) as CpuProfile;
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const self = new Map<number, number>();
  for (const [i, id] of profile.samples.entries()) {
    self.set(id, (self.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0));
  }
  const total = [...self.values()].reduce((a, b) => a + b, 0);
  const idle = [...self.entries()]
    .filter(([id]) => byId.get(id)!.callFrame.functionName === "(idle)")
    .reduce((sum, [, t]) => sum + t, 0);
  const busy = total - idle;
  const byFunction = new Map<string, number>();
  const byArea = new Map<string, number>();
  for (const [id, time] of self) {
    const { functionName, url, lineNumber } = byId.get(id)!.callFrame;
    if (functionName === "(idle)") continue;
    const key = `${functionName || "(anonymous)"}  ${shortUrl(url)}:${lineNumber + 1}`;
    byFunction.set(key, (byFunction.get(key) ?? 0) + time);
    const a = area(url, functionName);
    byArea.set(a, (byArea.get(a) ?? 0) + time);
  }
  const pct = (t: number) => `${((100 * t) / busy).toFixed(1).padStart(5)}%`;
  console.log(
    `profile: ${(total / 1e6).toFixed(2)} s sampled, ${
      (idle / 1e6).toFixed(2)
    } s idle; shares of the busy time:`,
  );
  console.log("\nby area (self time):");
  for (const [name, t] of [...byArea].sort((a, b) => b[1] - a[1])) {
    console.log(`  ${pct(t)}  ${name}`);
  }
  console.log("\ntop functions (self time):");
  for (const [name, t] of [...byFunction].sort((a, b) => b[1] - a[1]).slice(0, 30)) {
    console.log(`  ${pct(t)}  ${name}`);
  }
  // Inclusive time of the runtime's and our functions that call others:
  // which of our steps (and which web-standard objects they build) cost most.
  const parentOf = new Map<number, number>();
  for (const node of profile.nodes) {
    for (const child of node.children ?? []) parentOf.set(child, node.id);
  }
  const inclusive = new Map<string, number>();
  for (const [id, time] of self) {
    if (byId.get(id)!.callFrame.functionName === "(idle)") continue;
    const seen = new Set<string>();
    for (let at: number | undefined = id; at !== undefined; at = parentOf.get(at)) {
      const { functionName, url, lineNumber } = byId.get(at)!.callFrame;
      if (functionName === "(root)") break;
      const key = `${functionName || "(anonymous)"}  ${shortUrl(url)}:${lineNumber + 1}`;
      if (seen.has(key)) continue;
      seen.add(key);
      inclusive.set(key, (inclusive.get(key) ?? 0) + time);
    }
  }
  console.log("\ntop functions (inclusive time):");
  for (const [name, t] of [...inclusive].sort((a, b) => b[1] - a[1]).slice(0, 40)) {
    console.log(`  ${pct(t)}  ${name}`);
  }
  console.log(`\nraw profile: ${path.relative(ROOT, file)}`);
}

await main();
