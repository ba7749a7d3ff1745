/**
 * A small throughput check for the runtime adapters (not a test: numbers are
 * printed, never asserted). Two loads on 127.0.0.1, both in one process:
 *
 * - `stream`: one connection, the client writes 256 MiB in 64 KiB chunks
 *   honouring backpressure, the server counts bytes.
 * - `pingpong`: 50 connections, each sends a 100-byte "request" and waits
 *   for a 300-byte "response", 4000 times (a keep-alive HTTP pattern).
 *
 * Wall-clock rates suffer when other processes compete for the CPU, so
 * rates per CPU second of this process (user + system) are printed too.
 *
 * Usage: `deno run -A scripts/bench_socket.ts [adapter]`,
 * `bun scripts/bench_socket.ts [adapter]`,
 * `node --import tsx scripts/bench_socket.ts [adapter]`, where `adapter` is
 * `default` (the runtime's own) or `node`; a further `tls` argument runs
 * both loads over TLS with the test certificates.
 *
 * @module
 */

import { readFileSync } from "node:fs";
import process from "node:process";
import { defaultAdapter, loadAdapter } from "../src/runtime/select.ts";
import type { RuntimeAdapter, Socket } from "../src/runtime/types.ts";

const useTls = process.argv.includes("tls");
const fixture = (name: string) =>
  readFileSync(new URL(`../tests/fixtures/tls/${name}`, import.meta.url), "utf8");
const serverTls = useTls
  ? { tls: { cert: fixture("test-server-cert.pem"), key: fixture("test-server-key.pem") } }
  : {};
const clientTls = useTls ? { tls: { ca: fixture("test-ca-cert.pem") } } : {};

const STREAM_BYTES = 256 * 1024 * 1024;
const CONNECTIONS = 50;
const ROUND_TRIPS = 4000;
const REQUEST = new Uint8Array(100).fill(0x61);
const RESPONSE = new Uint8Array(300).fill(0x62);

/** Rate per wall second and per CPU second of this process. */
interface Rate {
  wall: number;
  cpu: number;
}

function measure(
  amount: number,
  wallStart: number,
  cpuStart: ReturnType<typeof process.cpuUsage>,
): Rate {
  const wall = (performance.now() - wallStart) / 1000;
  const cpu = process.cpuUsage(cpuStart);
  return { wall: amount / wall, cpu: amount / ((cpu.user + cpu.system) / 1e6) };
}

async function stream(adapter: RuntimeAdapter): Promise<Rate> {
  let received = 0;
  let done = () => {};
  const finished = new Promise<void>((resolve) => done = resolve);
  const listener = await adapter.listen({ hostname: "127.0.0.1", port: 0, ...serverTls }, () => ({
    onData(chunk) {
      received += chunk.byteLength;
      if (received >= STREAM_BYTES) done();
    },
    onEnd() {},
    onClose() {},
  }));
  const port = listener.address.transport === "tcp" ? listener.address.port : 0;
  const socket = await adapter.connect({ hostname: "127.0.0.1", port, ...clientTls }, {
    onData() {},
    onEnd() {},
    onClose() {},
  });
  const block = new Uint8Array(64 * 1024);
  const start = performance.now();
  const cpuStart = process.cpuUsage();
  for (let sent = 0; sent < STREAM_BYTES; sent += block.byteLength) {
    if (!socket.write(block)) await socket.drained();
  }
  await finished;
  const rate = measure(STREAM_BYTES / 1024 / 1024, start, cpuStart);
  socket.destroy();
  await listener.close();
  return rate;
}

async function pingpong(adapter: RuntimeAdapter): Promise<Rate> {
  const accepted: Socket[] = [];
  const listener = await adapter.listen(
    { hostname: "127.0.0.1", port: 0, ...serverTls },
    (socket) => {
      accepted.push(socket);
      let pending = 0;
      return {
        onData(chunk) {
          pending += chunk.byteLength;
          while (pending >= REQUEST.byteLength) {
            pending -= REQUEST.byteLength;
            socket.write(RESPONSE);
          }
        },
        onEnd: () => socket.end(),
        onClose() {},
      };
    },
  );
  const port = listener.address.transport === "tcp" ? listener.address.port : 0;
  const start = performance.now();
  const cpuStart = process.cpuUsage();
  await Promise.all(
    Array.from({ length: CONNECTIONS }, async () => {
      let trips = 0;
      let pending = 0;
      let done = () => {};
      const finished = new Promise<void>((resolve) => done = resolve);
      const socket: Socket = await adapter.connect({ hostname: "127.0.0.1", port, ...clientTls }, {
        onData(chunk) {
          pending += chunk.byteLength;
          while (pending >= RESPONSE.byteLength) {
            pending -= RESPONSE.byteLength;
            if (++trips === ROUND_TRIPS) done();
            else socket.write(REQUEST);
          }
        },
        onEnd() {},
        onClose() {},
      });
      socket.write(REQUEST);
      await finished;
      socket.destroy();
    }),
  );
  const rate = measure(CONNECTIONS * ROUND_TRIPS, start, cpuStart);
  for (const socket of accepted) socket.destroy();
  await listener.close();
  return rate;
}

const which = process.argv[2] ?? "default";
const adapter = which === "node" ? await loadAdapter("node") : await defaultAdapter();
const runtime = typeof (globalThis as { Deno?: unknown }).Deno === "object"
  ? "deno"
  : typeof (globalThis as { Bun?: unknown }).Bun === "object"
  ? "bun"
  : "node";
await stream(adapter); // warm-up
await pingpong(adapter);
const mib = await stream(adapter);
const trips = await pingpong(adapter);
console.log(
  `${runtime} ${adapter.name} adapter${useTls ? " (TLS)" : ""}: stream ${
    mib.wall.toFixed(0)
  } MiB/s ` +
    `(${mib.cpu.toFixed(0)} per CPU s), pingpong ${trips.wall.toFixed(0)} round trips/s ` +
    `(${trips.cpu.toFixed(0)} per CPU s, ${CONNECTIONS} connections)`,
);
process.exit(0);
