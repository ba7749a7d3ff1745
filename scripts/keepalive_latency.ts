/**
 * Latency under many keep-alive connections: C connections each send R
 * hinted requests one after another (`GET /hint`: a `103`, then `200`),
 * all connections at once, from this process against a server child
 * (`scripts/bench/fixtures/server.ts`). Reports each server's p50, p99 and
 * maximum time from writing a request to reading the end of its final
 * response, and its throughput. Loopback only; each case is bounded (its
 * time limit is printed on failure).
 *
 * Usage: `node --import tsx scripts/keepalive_latency.ts [--connections=2000]
 * [--requests=100] [--settle-ms=0] [--servers=deno:ours,node:node-http,...]`; a server is
 * `RUNTIME:KIND` with KIND `ours`, `ours-node-http` or `node-http`, and
 * RUNTIME `deno`, `bun` or `node` (this Node); `RUNTIME:KIND:FILE` runs
 * another copy of the fixture (an older checkout's, to compare).
 * `--settle-ms` waits that long between connecting and the first requests.
 *
 * @module
 */

import net from "node:net";
import path from "node:path";
import process from "node:process";
import {
  cpuOf,
  percentile,
  ROOT,
  runtimeCommand,
  type RuntimeName,
  sleep,
  startServerChild,
} from "./bench/common.ts";

const FIXTURE = path.join(ROOT, "scripts", "bench", "fixtures", "server.ts");
const REQUEST = "GET /hint HTTP/1.1\r\nHost: bench\r\n\r\n";

function option(name: string, fallback: string): string {
  const prefix = `--${name}=`;
  return process.argv.find((arg) => arg.startsWith(prefix))?.slice(prefix.length) ?? fallback;
}

/** What one run measured. */
export interface LatencyRun {
  /** Latencies in milliseconds, sorted. */
  readonly sorted: number[];
  /** The first request's latency on each connection, sorted. */
  readonly firstSorted: number[];
  readonly wallMs: number;
  readonly failed: number;
}

/** Starts `count` connections, `perTick` at a time, and resolves once all are connected. */
async function openConnections(port: number, count: number): Promise<net.Socket[]> {
  const sockets: net.Socket[] = [];
  const perTick = 100;
  for (let i = 0; i < count; i += perTick) {
    const batch = Array.from(
      { length: Math.min(perTick, count - i) },
      () =>
        new Promise<net.Socket>((resolve, reject) => {
          const socket = net.connect({ host: "127.0.0.1", port, noDelay: true }, () => {
            socket.off("error", reject);
            resolve(socket);
          });
          socket.once("error", reject);
        }),
    );
    sockets.push(...await Promise.all(batch));
  }
  return sockets;
}

/**
 * Runs `requests` sequential hinted requests on each socket, all sockets at
 * once; rejects after `limitMs`.
 */
export async function runLoad(
  port: number,
  connections: number,
  requests: number,
  limitMs: number,
  settleMs = 0,
): Promise<LatencyRun> {
  const sockets = await openConnections(port, connections);
  if (settleMs > 0) await sleep(settleMs);
  const latencies: number[] = [];
  const firstLatencies: number[] = [];
  let failed = 0;
  const started = performance.now();
  const done = sockets.map((socket) =>
    new Promise<void>((resolve) => {
      let buffer = "";
      let sent = 0;
      let sentAt = 0;
      const next = () => {
        if (sent === requests) {
          socket.end();
          resolve();
          return;
        }
        sent++;
        sentAt = performance.now();
        socket.write(REQUEST);
      };
      socket.setEncoding("latin1");
      socket.on("data", (chunk: string) => {
        buffer += chunk;
        for (;;) {
          const headEnd = buffer.indexOf("\r\n\r\n");
          if (headEnd < 0) return;
          const status = Number(buffer.slice(9, 12));
          if (status >= 100 && status < 200) {
            buffer = buffer.slice(headEnd + 4);
            continue;
          }
          const head = buffer.slice(0, headEnd);
          let end: number;
          if (/\r\ntransfer-encoding: *chunked/i.test(head)) {
            // The fixtures' bodies are small: the last chunk ends the message.
            const last = buffer.indexOf("\r\n0\r\n\r\n", headEnd + 2);
            if (last < 0) return;
            end = last + 7;
          } else {
            const length = Number(/\r\ncontent-length: *(\d+)/i.exec(head)?.[1]);
            if (!Number.isSafeInteger(length)) {
              failed++;
              socket.destroy();
              resolve();
              return;
            }
            end = headEnd + 4 + length;
          }
          if (buffer.length < end) return;
          buffer = buffer.slice(end);
          if (status !== 200) failed++;
          const latency = performance.now() - sentAt;
          latencies.push(latency);
          if (sent === 1) firstLatencies.push(latency);
          next();
        }
      });
      socket.on("error", () => {});
      socket.on("close", () => {
        if (sent < requests) failed += requests - sent + 1;
        resolve();
      });
      next();
    })
  );
  let timer: ReturnType<typeof setTimeout> | undefined;
  const limit = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new Error(`load did not finish within ${limitMs} ms`)),
      limitMs,
    );
  });
  try {
    await Promise.race([Promise.all(done), limit]);
  } finally {
    clearTimeout(timer);
    for (const socket of sockets) socket.destroy();
  }
  const wallMs = performance.now() - started;
  latencies.sort((a, b) => a - b);
  firstLatencies.sort((a, b) => a - b);
  return { sorted: latencies, firstSorted: firstLatencies, wallMs, failed };
}

async function main(): Promise<void> {
  const connections = Number(option("connections", "2000"));
  const requests = Number(option("requests", "100"));
  const settleMs = Number(option("settle-ms", "0"));
  const servers = option("servers", "deno:ours,bun:ours,node:ours,node:node-http").split(",");
  if (!Number.isSafeInteger(connections) || connections < 1 || connections > 10_000) {
    throw new RangeError("--connections must be 1..10000");
  }
  if (!Number.isSafeInteger(requests) || requests < 1 || requests > 10_000) {
    throw new RangeError("--requests must be 1..10000");
  }
  console.log(`${connections} connections x ${requests} hinted requests (103 + 200) each`);
  for (const server of servers) {
    const [runtime, kind, fixture] = server.split(":") as [RuntimeName, string, string?];
    const child = await startServerChild(
      ...runtimeCommand(runtime, fixture ?? FIXTURE, [kind]),
      server,
    );
    try {
      await sleep(200);
      const cpuBefore = cpuOf(child.pid);
      const run = await runLoad(child.port, connections, requests, 180_000, settleMs);
      const cpuUs = cpuOf(child.pid).schedUs - cpuBefore.schedUs;
      const p = (q: number) => percentile(run.sorted, q * 100).toFixed(1);
      console.log(
        `${
          (fixture === undefined ? `${runtime}:${kind}` : `${runtime}:${kind} (${fixture})`).padEnd(
            16,
          )
        } p50 ${p(0.5)} ms  p99 ${p(0.99)} ms  p99.9 ${p(0.999)} ms  max ${
          (run.sorted.at(-1) ?? NaN).toFixed(1)
        } ms  ${(run.sorted.length / run.wallMs * 1000).toFixed(0)} req/s  server ${
          (cpuUs / run.sorted.length).toFixed(1)
        } CPU us/req  failed ${run.failed}  ` +
          `first request: p50 ${percentile(run.firstSorted, 50).toFixed(1)} ms, max ${
            (run.firstSorted.at(-1) ?? NaN).toFixed(1)
          } ms`,
      );
    } finally {
      await child.stop();
    }
  }
}

if (import.meta.url === `file://${process.argv[1]}`) await main();
