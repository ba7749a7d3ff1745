/**
 * The targets of issues 6, 13 and 14, checked against one run's figures. Ratios are
 * computed per round (both sides measured in the same round) and the median
 * is reported, so a drift of the machine between rounds cancels out.
 *
 * @module
 */

import type { ClientCase } from "./client_bench.ts";
import type { RuntimeName, Spread } from "./common.ts";
import { spread } from "./common.ts";
import type { LongRunCase } from "./engine_bench.ts";
import type { LatencyCase } from "./latency_bench.ts";
import type { ServerCase } from "./server_bench.ts";

/** One checked target. */
export interface Target {
  /** Stable identifier, e.g. `server-hint-vs-node-http`. */
  readonly id: string;
  /** What is compared, in words. */
  readonly name: string;
  readonly runtime: RuntimeName;
  /** The measured value: a ratio (`x`, higher is better) or a time (`µs`, lower is better). */
  readonly measured: number;
  /** Its range over the rounds, when it has one. */
  readonly range?: { readonly min: number; readonly max: number };
  readonly goal: number;
  readonly unit: "x" | "µs";
  /** `>=` for ratios, `<` for times. */
  readonly comparison: ">=" | "<" | "<=";
  readonly met: boolean;
  /** A secondary figure (e.g. the requests-per-second ratio beside the CPU ratio). */
  readonly note?: string;
}

function perRound(a: readonly number[], b: readonly number[]): Spread {
  const n = Math.min(a.length, b.length);
  return spread(Array.from({ length: n }, (_, i) => a[i]! / b[i]!));
}

function fmt(x: number): string {
  return Number.isFinite(x) ? x.toFixed(2) : "n/a";
}

/**
 * A server target: CPU per request, theirs / ours (fewer is better), met at
 * `goal`; the requests-per-second ratio goes in the note.
 */
function serverTarget(
  id: string,
  name: string,
  runtime: RuntimeName,
  ours: ServerCase,
  theirs: ServerCase,
  goal: number,
): Target {
  const cpu = perRound(theirs.rounds.map((r) => r.cpuUs), ours.rounds.map((r) => r.cpuUs));
  const rps = perRound(ours.rounds.map((r) => r.rps), theirs.rounds.map((r) => r.rps));
  return {
    id,
    name,
    runtime,
    measured: cpu.median,
    range: { min: cpu.min, max: cpu.max },
    goal,
    unit: "x",
    comparison: ">=",
    met: cpu.median >= goal,
    note: `requests/s ratio ${fmt(rps.median)}x (${fmt(rps.min)}-${fmt(rps.max)})`,
  };
}

/**
 * Checks every target that the run measured.
 *
 * @param server The server cases (may be empty).
 * @param client The client cases (may be empty).
 * @param latency The latency pairs (may be empty).
 * @param longRun The long runs (may be empty).
 * @param hono The Hono-app cases (may be empty).
 * @param h2 The HTTP/2 cases (may be empty).
 * @returns One entry per target and runtime (and concurrency or path).
 *
 * @example Only the long run
 * ```ts
 * const targets = checkTargets([], [], [], longRun);
 * ```
 */
export function checkTargets(
  server: readonly ServerCase[],
  client: readonly ClientCase[],
  latency: readonly LatencyCase[],
  longRun: readonly LongRunCase[],
  hono: readonly ServerCase[] = [],
  h2: readonly ServerCase[] = [],
): Target[] {
  const targets: Target[] = [];
  const find = (r: RuntimeName, s: string, p: string, c: number) =>
    server.find((x) => x.runtime === r && x.server === s && x.path === p && x.concurrency === c);
  const runtimes = [...new Set(server.map((x) => x.runtime))];
  for (const runtime of runtimes) {
    for (const c of [...new Set(server.map((x) => x.concurrency))].sort((a, b) => b - a)) {
      const ours = find(runtime, "ours", "/hint", c);
      const nodeHttp = find(runtime, "node-http", "/hint", c);
      if (ours && nodeHttp) {
        targets.push(serverTarget(
          "server-hint-vs-node-http",
          `server /hint vs node:http + writeEarlyHints, c=${c} (CPU per request)`,
          runtime,
          ours,
          nodeHttp,
          1.0,
        ));
      }
      const native = find(runtime, "native", "/plain", c);
      if (ours && native) {
        const nativeName = runtime === "deno" ? "Deno.serve" : "Bun.serve";
        targets.push(serverTarget(
          "server-hint-vs-native-plain",
          `server /hint vs ${nativeName} /plain, c=${c} (CPU per request)`,
          runtime,
          ours,
          native,
          0.7,
        ));
      }
    }
  }
  for (const runtime of [...new Set(client.map((x) => x.runtime))]) {
    for (const c of [...new Set(client.map((x) => x.concurrency))]) {
      for (const p of ["/plain", "/hint"]) {
        const pick = (name: string) =>
          client.find((x) =>
            x.runtime === runtime && x.client === name && x.concurrency === c && x.path === p
          );
        const ours = pick("ours");
        const theirs = pick("fetch");
        if (!ours || !theirs) continue;
        const ratio = perRound(ours.rpsRounds, theirs.rpsRounds);
        targets.push({
          id: "client-vs-global-fetch",
          name: `client ${p} vs the global fetch, c=${c} (requests/s)`,
          runtime,
          measured: ratio.median,
          range: { min: ratio.min, max: ratio.max },
          goal: 1.0,
          unit: "x",
          comparison: ">=",
          met: ratio.median >= 1.0,
        });
      }
    }
  }
  for (const ours of latency.filter((x) => x.pair === "ours")) {
    const runtime = ours.runtime as RuntimeName;
    targets.push({
      id: "hint-latency-p99",
      name: "hint latency p99, our pair (all samples)",
      runtime,
      measured: ours.pooledP99Us,
      range: { min: ours.p99Us.min, max: ours.p99Us.max },
      goal: 1000,
      unit: "µs",
      comparison: "<",
      met: ours.pooledP99Us < 1000,
      note: `p50 ${ours.pooledP50Us.toFixed(0)} µs`,
    });
    const nodeHttp = latency.find((x) => x.pair === "node-http" && x.runtime === runtime);
    if (nodeHttp) {
      targets.push({
        id: "hint-latency-vs-node-http",
        name: "hint latency p99, node:http pair / our pair (same runtime)",
        runtime,
        measured: nodeHttp.pooledP99Us / ours.pooledP99Us,
        goal: 1.0,
        unit: "x",
        comparison: ">=",
        met: ours.pooledP99Us <= nodeHttp.pooledP99Us,
        note: `p99 ${ours.pooledP99Us.toFixed(0)} µs vs ${nodeHttp.pooledP99Us.toFixed(0)} µs`,
      });
    }
  }
  targets.push(...honoTargets(hono));
  targets.push(...h2Targets(h2));
  for (const run of longRun) {
    targets.push({
      id: "memory-no-growth",
      name: `resident memory, last / first quarter of ${
        run.requests.toLocaleString("en-US")
      } requests`,
      runtime: run.runtime,
      measured: run.growth,
      goal: 1.1,
      unit: "x",
      comparison: "<=",
      met: run.growth <= 1.1,
      note: `${(run.firstQuarterKiB / 1024).toFixed(1)} MiB -> ${
        (run.lastQuarterKiB / 1024).toFixed(1)
      } MiB; before ${(run.startKiB / 1024).toFixed(1)}, after ${(run.endKiB / 1024).toFixed(1)}`,
    });
  }
  return targets;
}

/**
 * The targets of issue 13 on the Hono app, ours on the runtime's default
 * transport against what a Hono user runs today: at least 0.8x `Deno.serve`
 * and `Bun.serve` on the routes they can serve (no 1xx), at least 1.0x
 * `@hono/node-server` on Node 24 and 26 on every route.
 */
function honoTargets(hono: readonly ServerCase[]): Target[] {
  const targets: Target[] = [];
  const find = (runtime: RuntimeName, server: string, urlPath: string) =>
    hono.find((x) => x.runtime === runtime && x.server === server && x.path === urlPath);
  for (const runtime of [...new Set(hono.map((x) => x.runtime))]) {
    const native = runtime === "deno" || runtime === "bun";
    const baseline = native ? "native" : "node-server";
    const baselineName = runtime === "deno"
      ? "Deno.serve"
      : runtime === "bun"
      ? "Bun.serve"
      : "@hono/node-server";
    for (const urlPath of [...new Set(hono.map((x) => x.path))]) {
      const ours = find(runtime, "ours", urlPath);
      const theirs = find(runtime, baseline, urlPath);
      if (!ours || !theirs) continue;
      const route = urlPath.startsWith("/user/") ? "/user/:id" : urlPath;
      targets.push(serverTarget(
        native ? "hono-vs-native" : "hono-vs-node-server",
        `Hono app ${route} vs ${baselineName}, c=${ours.concurrency} (CPU per request)`,
        runtime,
        ours,
        theirs,
        native ? 0.8 : 1.0,
      ));
    }
  }
  return targets;
}

/**
 * The target of issue 14 (part 6) over HTTP/2: our `serve()` with one `103`
 * per request at least 1.0x `node:http2` + `additionalHeaders()` behind a
 * Request/Response bridge on the same runtime (CPU per request).
 */
function h2Targets(h2: readonly ServerCase[]): Target[] {
  const targets: Target[] = [];
  for (const ours of h2.filter((x) => x.server === "ours")) {
    const theirs = h2.find((x) =>
      x.runtime === ours.runtime && x.server === "node-http2" && x.path === ours.path &&
      x.concurrency === ours.concurrency
    );
    if (theirs === undefined) continue;
    targets.push(serverTarget(
      "h2-hint-vs-node-http2",
      `HTTP/2 ${ours.path} vs node:http2 + additionalHeaders, ${ours.concurrency} streams ` +
        "(CPU per request)",
      ours.runtime,
      ours,
      theirs,
      1.0,
    ));
  }
  return targets;
}
