/**
 * Section 4 of the suite: the engine alone (messages per second, from
 * `engine_driver.ts` on each runtime), the server's resident memory per idle
 * keep-alive connection, and its resident memory across a long run.
 * Memory comes from the kernel (`VmRSS` of `/proc/PID/status`) of the
 * server's own process.
 *
 * @module
 */

import net from "node:net";
import path from "node:path";
import {
  progress,
  ROOT,
  rssKiB,
  runHey,
  runtimeCommand,
  type RuntimeName,
  runToEnd,
  type ServerChild,
  sleep,
  type Spread,
  spread,
} from "./common.ts";
import { type ServerKind, startFixture } from "./server_bench.ts";

/** Parser and serialiser throughput on one runtime. */
export interface EngineCase {
  readonly runtime: RuntimeName;
  readonly requestBytes: number;
  readonly responseBytes: number;
  /** Messages per second, by case: `parse-request`, `parse-103+200`, `encode-103+200`. */
  readonly perSecond: Record<string, Spread>;
}

/** Memory of one server on one runtime. */
export interface MemoryCase {
  readonly runtime: RuntimeName;
  readonly server: ServerKind;
  /** Idle keep-alive connections opened for the probe. */
  readonly connections: number;
  /** RSS growth per idle connection (KiB), one sample per round. */
  readonly perConnectionKiB: Spread;
}

/** Resident memory across the long run of our server on one runtime. */
export interface LongRunCase {
  readonly runtime: RuntimeName;
  readonly requests: number;
  readonly errors: number;
  readonly seconds: number;
  /** RSS after the warm-up, KiB. */
  readonly startKiB: number;
  /** RSS at the end, KiB. */
  readonly endKiB: number;
  /** Highest RSS sampled during the run, KiB. */
  readonly peakKiB: number;
  /** RSS once a second during the run, KiB. */
  readonly samplesKiB: readonly number[];
  /** The median of the samples in the first quarter of the run, KiB. */
  readonly firstQuarterKiB: number;
  /** The median of the samples in the last quarter of the run, KiB. */
  readonly lastQuarterKiB: number;
  /**
   * lastQuarterKiB / firstQuarterKiB: growth across the run, robust to the
   * garbage collector's swings (Bun's RSS moves by ±10% between samples).
   */
  readonly growth: number;
}

/** Options of the engine section. */
export interface EngineBenchOptions {
  readonly runtimes: readonly RuntimeName[];
  readonly rounds: number;
  readonly seconds: number;
  readonly idleConnections: number;
  /** Rounds of the idle-connection probe (each starts fresh servers). */
  readonly memoryRounds: number;
  readonly longRunRequests: number;
  readonly longRunWarmupRequests: number;
}

const DRIVER = path.join(ROOT, "scripts", "bench", "engine_driver.ts");
const REQUEST = "GET /plain HTTP/1.1\r\nHost: 127.0.0.1\r\nUser-Agent: bench\r\n\r\n";

/** Opens `count` connections, one request each, and keeps them open and idle. */
async function openIdle(port: number, count: number): Promise<net.Socket[]> {
  const sockets: net.Socket[] = [];
  const batch = 100;
  for (let first = 0; first < count; first += batch) {
    const opened = await Promise.all(
      Array.from(
        { length: Math.min(batch, count - first) },
        () =>
          new Promise<net.Socket>((resolve, reject) => {
            const socket = net.connect(port, "127.0.0.1");
            sockets.push(socket);
            const timer = setTimeout(
              () => reject(new Error("idle probe: no response in 20 s")),
              20_000,
            );
            let seen = "";
            socket.setEncoding("latin1");
            socket.on("error", (error) => {
              clearTimeout(timer);
              reject(error);
            });
            socket.on("data", (chunk: string) => {
              seen += chunk;
              if (seen.includes("plain")) {
                clearTimeout(timer);
                resolve(socket);
              }
            });
            socket.write(REQUEST);
          }),
      ),
    );
    void opened;
  }
  return sockets;
}

async function closeAll(sockets: net.Socket[]): Promise<void> {
  await Promise.all(sockets.map((socket) =>
    new Promise<void>((resolve) => {
      if (socket.destroyed) return resolve();
      socket.once("close", () => resolve());
      socket.destroy();
    })
  ));
}

/** RSS growth per idle keep-alive connection of one running server, KiB. */
async function idleProbe(server: ServerChild, count: number): Promise<number> {
  await sleep(200);
  const before = rssKiB(server.pid);
  const sockets = await openIdle(server.port, count);
  try {
    await sleep(300);
    const after = rssKiB(server.pid);
    return (after - before) / count;
  } finally {
    await closeAll(sockets);
  }
}

/**
 * Runs the engine section.
 *
 * @param options Runtimes, rounds and sizes.
 * @returns Throughput, idle-connection memory and the long run.
 *
 * @example Quick run
 * ```ts
 * const result = await runEngineBench({
 *   runtimes: ["bun"], rounds: 3, seconds: 0.2, idleConnections: 1000, memoryRounds: 3,
 *   longRunRequests: 50_000, longRunWarmupRequests: 10_000,
 * });
 * ```
 */
export async function runEngineBench(options: EngineBenchOptions): Promise<{
  engine: EngineCase[];
  memory: MemoryCase[];
  longRun: LongRunCase[];
}> {
  const engine: EngineCase[] = [];
  const memory: MemoryCase[] = [];
  const longRun: LongRunCase[] = [];
  for (const runtime of options.runtimes) {
    progress(`engine: parsers on ${runtime}`);
    const [command, args] = runtimeCommand(runtime, DRIVER, [
      String(options.seconds),
      String(options.rounds),
    ]);
    const out = await runToEnd(command, args, 120_000 + options.seconds * options.rounds * 10_000);
    const parsed = JSON.parse(out.trim().split("\n").pop()!) as {
      requestBytes: number;
      responseBytes: number;
      samples: Record<string, number[]>;
    };
    const perSecond: Record<string, Spread> = {};
    for (const [name, samples] of Object.entries(parsed.samples)) perSecond[name] = spread(samples);
    engine.push({
      runtime,
      requestBytes: parsed.requestBytes,
      responseBytes: parsed.responseBytes,
      perSecond,
    });
  }
  // Idle connections: a fresh server per round (a server that already held
  // and freed connections reuses that memory, which would hide the cost).
  const idle = new Map<string, number[]>();
  for (let round = 0; round < options.memoryRounds; round++) {
    progress(`engine: memory per idle connection, round ${round + 1}/${options.memoryRounds}`);
    const kinds = options.runtimes.flatMap((runtime) =>
      (["ours", "node-http"] as const).map((kind) => ({ runtime, kind }))
    );
    const servers = await Promise.all(
      kinds.map(({ runtime, kind }) => startFixture(runtime, kind)),
    );
    try {
      for (const [index, { runtime, kind }] of kinds.entries()) {
        const server = servers[index]!;
        await runHey(["-n", "5000", "-c", "16", `http://127.0.0.1:${server.port}/plain`], 60_000);
        const key = `${runtime} ${kind}`;
        if (!idle.has(key)) idle.set(key, []);
        idle.get(key)!.push(await idleProbe(server, options.idleConnections));
        await server.stop();
      }
    } finally {
      await Promise.all(servers.map((server) => server.stop()));
    }
  }
  for (const [key, samples] of idle) {
    const [runtime, kind] = key.split(" ") as [RuntimeName, ServerKind];
    memory.push({
      runtime,
      server: kind,
      connections: options.idleConnections,
      perConnectionKiB: spread(samples),
    });
  }
  for (const runtime of options.longRunRequests > 0 ? options.runtimes : []) {
    progress(`engine: long run, ${options.longRunRequests} requests to our server on ${runtime}`);
    const server = await startFixture(runtime, "ours");
    try {
      const url = `http://127.0.0.1:${server.port}/hint`;
      await runHey(["-n", String(options.longRunWarmupRequests), "-c", "64", url], 300_000);
      await sleep(500);
      const startKiB = rssKiB(server.pid);
      const samplesKiB: number[] = [startKiB];
      const sampler = setInterval(() => samplesKiB.push(rssKiB(server.pid)), 1000);
      let result;
      try {
        result = await runHey(
          ["-n", String(options.longRunRequests), "-c", "64", url],
          1_800_000,
        );
      } finally {
        clearInterval(sampler);
      }
      await sleep(500);
      const endKiB = rssKiB(server.pid);
      samplesKiB.push(endKiB);
      const quarter = Math.max(1, Math.floor(samplesKiB.length / 4));
      const firstQuarterKiB = spread(samplesKiB.slice(0, quarter)).median;
      const lastQuarterKiB = spread(samplesKiB.slice(-quarter)).median;
      longRun.push({
        runtime,
        requests: result.requests,
        errors: result.errors,
        seconds: result.seconds,
        startKiB,
        endKiB,
        peakKiB: Math.max(...samplesKiB),
        samplesKiB,
        firstQuarterKiB,
        lastQuarterKiB,
        growth: lastQuarterKiB / firstQuarterKiB,
      });
    } finally {
      await server.stop();
    }
  }
  return { engine, memory, longRun };
}
