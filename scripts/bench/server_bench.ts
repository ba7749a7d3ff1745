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
  readonly server: ServerKind;
  readonly path: "/hint" | "/plain";
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
  return runtime === "node"
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

/**
 * Runs the server section: starts every server of every runtime, warms each
 * up, then runs the rounds; each round measures every case once, in the same
 * order, so drift of the machine spreads over all servers alike.
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
export async function runServerBench(options: ServerBenchOptions): Promise<ServerCase[]> {
  interface Plan {
    runtime: RuntimeName;
    server: ServerKind;
    path: "/hint" | "/plain";
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
  const children: ServerChild[] = [];
  const plans: Plan[] = [];
  try {
    for (const runtime of options.runtimes) {
      for (const server of serverKinds(runtime)) {
        progress(`server: starting ${server} on ${runtime}`);
        const child = await startFixture(runtime, server);
        children.push(child);
        const paths: Array<"/hint" | "/plain"> = server === "native"
          ? ["/plain"]
          : ["/hint", "/plain"];
        // Warm-up: the JIT, the connection paths, the heap.
        await runHey(
          [
            "-z",
            `${options.warmupSeconds}s`,
            "-c",
            "64",
            `http://127.0.0.1:${child.port}${paths[0]}`,
          ],
          60_000,
        );
        for (const urlPath of paths) {
          for (const concurrency of options.concurrencies) {
            plans.push({
              runtime,
              server,
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
    }
    for (let round = 0; round < options.rounds; round++) {
      progress(`server: round ${round + 1}/${options.rounds} (${plans.length} cases)`);
      for (const plan of plans) {
        const url = `http://127.0.0.1:${plan.child.port}${plan.path}`;
        const before = cpuOf(plan.child.pid);
        const result = await runHey(
          ["-z", `${options.seconds}s`, "-c", String(plan.concurrency), url],
          options.seconds * 1000 + 60_000,
        );
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
