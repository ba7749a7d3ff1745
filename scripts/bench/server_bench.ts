/**
 * Section 1 of the suite: servers under `hey`. Every server runs in its own
 * child process of the runtime under test (`fixtures/server.ts`); the
 * figures are `hey`'s requests per second and latency percentiles, and the
 * server process's CPU time per request from the kernel's accounting
 * (`/proc/PID/task/*\/schedstat`, cross-checked with `/proc/PID/stat`).
 *
 * @module
 */

import path from "node:path";
import {
  cpuOf,
  type HeyResult,
  isNode,
  progress,
  ROOT,
  runHey,
  runtimeCommand,
  type RuntimeName,
  type ServerChild,
  type Spread,
  spread,
  startServerChild,
} from "./common.ts";

/** Which server: ours, `node:http` + `writeEarlyHints`, or the native one. */
export type ServerKind = "ours" | "ours-node-http" | "node-http" | "native";

/** One server case: a server on a runtime, a path and a concurrency. */
export interface ServerCase {
  readonly runtime: RuntimeName;
  /** A {@linkcode ServerKind}, or a Hono-app server (`hono_bench.ts`). */
  readonly server: string;
  readonly path: string;
  readonly concurrency: number;
  /** Requests per second, as `hey` reports it. */
  readonly rps: Spread;
  readonly p50Ms: Spread;
  readonly p99Ms: Spread;
  /** Server CPU per request, microseconds (schedstat). */
  readonly cpuUs: Spread;
  /** Server CPU per request from `/proc/PID/stat` (10 ms ticks), microseconds. */
  readonly cpuUsStat: Spread;
  /** Of which user time (JavaScript and the runtime), from `/proc/PID/stat`. */
  readonly userUs: Spread;
  /** Of which system time (system calls, the kernel's loopback TCP), from `/proc/PID/stat`. */
  readonly systemUs: Spread;
  /** Requests completed over all rounds. */
  readonly requests: number;
  /** Non-2xx responses and transport errors over all rounds. */
  readonly errors: number;
  /** Raw per-round samples, in round order. */
  readonly rounds: ReadonlyArray<{ rps: number; cpuUs: number; p50Ms: number; p99Ms: number }>;
}

/** Options of the server section. */
export interface ServerBenchOptions {
  readonly runtimes: readonly RuntimeName[];
  readonly rounds: number;
  /** Seconds per `hey` run. */
  readonly seconds: number;
  /** Seconds of warm-up per server. */
  readonly warmupSeconds: number;
  readonly concurrencies: readonly number[];
}

const FIXTURE = path.join(ROOT, "scripts", "bench", "fixtures", "server.ts");

/** The server kinds of a runtime (Node has no native server). */
export function serverKinds(runtime: RuntimeName): ServerKind[] {
  // On Node also our handler API on the node:http backend (`adapter: "node-http"`):
  // the evidence for which backend serve() uses there by default.
  return isNode(runtime)
    ? ["ours", "ours-node-http", "node-http"]
    : ["ours", "node-http", "native"];
}

/**
 * Starts one fixture server.
 *
 * @param runtime The runtime that runs it.
 * @param kind Which server.
 * @param runtimeFlags Flags for the runtime (e.g. a CPU profiler).
 * @returns The running child.
 *
 * @example Our server on Deno
 * ```ts
 * const server = await startFixture("deno", "ours");
 * await server.stop();
 * ```
 */
export function startFixture(
  runtime: RuntimeName,
  kind: ServerKind,
  runtimeFlags: readonly string[] = [],
): Promise<ServerChild> {
  const [command, args] = runtimeCommand(runtime, FIXTURE, [kind], runtimeFlags);
  return startServerChild(command, args, `${kind} on ${runtime}`);
}

/** One server to measure: what it is, which paths, and how to start it. */
export interface ServerSpec {
  readonly runtime: RuntimeName;
  readonly server: string;
  readonly paths: readonly string[];
  start(): Promise<ServerChild>;
}

/** One load run against a server, as the cases record it. */
export type LoadResult = Omit<HeyResult, "seconds">;

/**
 * What puts the load on a server: `hey` (HTTP/1.1 keep-alive) unless a
 * section brings its own (`h2load` in `h2_bench.ts`).
 */
export interface LoadGenerator {
  /** Loads `urlPath` for `seconds` to warm the server up (the figures are dropped). */
  warmUp(port: number, urlPath: string, seconds: number): Promise<void>;
  /** Loads `urlPath` for `seconds` with `concurrency` requests in flight. */
  run(port: number, urlPath: string, seconds: number, concurrency: number): Promise<LoadResult>;
}

/** `hey` over plain HTTP/1.1, 64 connections while warming up. */
export const HEY_LOAD: LoadGenerator = {
  async warmUp(port, urlPath, seconds) {
    await runHey(["-z", `${seconds}s`, "-c", "64", `http://127.0.0.1:${port}${urlPath}`], 60_000);
  },
  run(port, urlPath, seconds, concurrency) {
    return runHey(
      ["-z", `${seconds}s`, "-c", String(concurrency), `http://127.0.0.1:${port}${urlPath}`],
      seconds * 1000 + 60_000,
    );
  },
};

/** Durations, rounds and the order of the cases within a round. */
export interface MeasureOptions {
  readonly rounds: number;
  /** Seconds per `hey` run. */
  readonly seconds: number;
  /** Seconds of warm-up per server and path. */
  readonly warmupSeconds: number;
  readonly concurrencies: readonly number[];
  /**
   * `server`: each server's paths in turn (the section's historical order);
   * `path`: for each runtime, path and concurrency, the servers one after
   * the other (ours, the baseline, ...), so a compared pair is measured
   * back to back.
   */
  readonly order: "server" | "path";
  /** The load; {@linkcode HEY_LOAD} by default. */
  readonly load?: LoadGenerator;
}

/**
 * Starts every server, warms each path up, then runs the rounds; each round
 * measures every case once, in the same order, so drift of the machine
 * spreads over all servers alike. CPU per request is the server process's
 * (all threads) over the `hey` run.
 *
 * @param specs The servers.
 * @param options Rounds, durations and order.
 * @returns One entry per server, path and concurrency.
 *
 * @example Our Hono app on Bun against Bun.serve
 * ```ts
 * const cases = await measureServers(specs, {
 *   rounds: 3, seconds: 1, warmupSeconds: 1, concurrencies: [32], order: "path",
 * });
 * ```
 */
export async function measureServers(
  specs: readonly ServerSpec[],
  options: MeasureOptions,
): Promise<ServerCase[]> {
  interface Plan {
    runtime: RuntimeName;
    server: string;
    path: string;
    concurrency: number;
    child: ServerChild;
    rounds: Array<{
      rps: number;
      cpuUs: number;
      cpuUsStat: number;
      userUs: number;
      systemUs: number;
      p50Ms: number;
      p99Ms: number;
    }>;
    requests: number;
    errors: number;
  }
  const load = options.load ?? HEY_LOAD;
  const children: ServerChild[] = [];
  const plans: Plan[] = [];
  try {
    for (const spec of specs) {
      progress(`server: starting ${spec.server} on ${spec.runtime}`);
      const child = await spec.start();
      children.push(child);
      // Warm-up: the JIT, the connection paths, the heap.
      for (const urlPath of spec.paths) {
        await load.warmUp(child.port, urlPath, options.warmupSeconds / spec.paths.length);
      }
      for (const urlPath of spec.paths) {
        for (const concurrency of options.concurrencies) {
          plans.push({
            runtime: spec.runtime,
            server: spec.server,
            path: urlPath,
            concurrency,
            child,
            rounds: [],
            requests: 0,
            errors: 0,
          });
        }
      }
    }
    const order = options.order === "server" ? [...plans] : plans.map((plan, index) => ({
      plan,
      index,
    })).sort((a, b) =>
      (a.plan.runtime === b.plan.runtime ? 0 : a.index - b.index) ||
      a.plan.path.localeCompare(b.plan.path) ||
      b.plan.concurrency - a.plan.concurrency ||
      a.index - b.index
    ).map(({ plan }) => plan);
    for (let round = 0; round < options.rounds; round++) {
      progress(`server: round ${round + 1}/${options.rounds} (${plans.length} cases)`);
      for (const plan of order) {
        // A server that died would otherwise surface as a missing /proc file.
        const alive = () => {
          const died = plan.child.exitReport();
          if (died !== undefined) throw new Error(`${plan.path}, round ${round + 1}: ${died}`);
        };
        alive();
        const before = cpuOf(plan.child.pid);
        const result = await load.run(
          plan.child.port,
          plan.path,
          options.seconds,
          plan.concurrency,
        );
        alive();
        const after = cpuOf(plan.child.pid);
        plan.requests += result.requests;
        plan.errors += result.errors;
        plan.rounds.push({
          rps: result.rps,
          cpuUs: (after.schedUs - before.schedUs) / result.requests,
          cpuUsStat: (after.statUs - before.statUs) / result.requests,
          userUs: (after.userUs - before.userUs) / result.requests,
          systemUs: (after.systemUs - before.systemUs) / result.requests,
          p50Ms: result.p50Ms,
          p99Ms: result.p99Ms,
        });
      }
    }
  } finally {
    await Promise.all(children.map((child) => child.stop()));
  }
  return plans.map((plan) => ({
    runtime: plan.runtime,
    server: plan.server,
    path: plan.path,
    concurrency: plan.concurrency,
    rps: spread(plan.rounds.map((r) => r.rps)),
    p50Ms: spread(plan.rounds.map((r) => r.p50Ms)),
    p99Ms: spread(plan.rounds.map((r) => r.p99Ms)),
    cpuUs: spread(plan.rounds.map((r) => r.cpuUs)),
    cpuUsStat: spread(plan.rounds.map((r) => r.cpuUsStat)),
    userUs: spread(plan.rounds.map((r) => r.userUs)),
    systemUs: spread(plan.rounds.map((r) => r.systemUs)),
    requests: plan.requests,
    errors: plan.errors,
    rounds: plan.rounds.map(({ rps, cpuUs, p50Ms, p99Ms }) => ({ rps, cpuUs, p50Ms, p99Ms })),
  }));
}

/**
 * Runs the server section: every fixture server of every runtime, `/hint`
 * and `/plain` (`Deno.serve` and `Bun.serve` only `/plain`: they cannot
 * send a 1xx).
 *
 * @param options Runtimes, rounds and durations.
 * @returns One entry per case.
 *
 * @example Quick run on Bun
 * ```ts
 * const cases = await runServerBench({
 *   runtimes: ["bun"], rounds: 3, seconds: 0.3, warmupSeconds: 0.5, concurrencies: [1, 64],
 * });
 * ```
 */
export function runServerBench(options: ServerBenchOptions): Promise<ServerCase[]> {
  const specs: ServerSpec[] = options.runtimes.flatMap((runtime) =>
    serverKinds(runtime).map((server) => ({
      runtime,
      server,
      paths: server === "native" ? ["/plain"] : ["/hint", "/plain"],
      start: () => startFixture(runtime, server),
    }))
  );
  return measureServers(specs, { ...options, order: "server" });
}
