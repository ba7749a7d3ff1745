/**
 * What slow readers of a large static body cost the server in memory: N
 * connections each ask for a 1 MiB body and then read nothing (the kernel
 * buffers fill and the rest waits in the server); the server's RSS after a
 * full collection is read before and once it is steady. Servers: our
 * `serve()` on each runtime (one body form per route of
 * `scripts/slow_readers_server.ts`) and a plain `node:http` server.
 * Loopback only, bounded: every case ends within about 30 s.
 *
 * Usage: `node --import tsx scripts/slow_readers.ts [--readers=200] [--body-bytes=1048576]
 * [--runtimes=deno,bun,node] [--routes=bytes,text,blob,stream]`
 *
 * @module
 */

import net from "node:net";
import path from "node:path";
import process from "node:process";
import {
  ROOT,
  runtimeCommand,
  type RuntimeName,
  type ServerChild,
  sleep,
  startServerChild,
} from "./bench/common.ts";

const FIXTURE = path.join(ROOT, "scripts", "slow_readers_server.ts");

function option(name: string, fallback: string): string {
  const prefix = `--${name}=`;
  return process.argv.find((arg) => arg.startsWith(prefix))?.slice(prefix.length) ?? fallback;
}

const readers = Number(option("readers", "200"));
const bodyBytes = Number(option("body-bytes", String(2 ** 20)));
const runtimes = option("runtimes", "deno,bun,node").split(",") as RuntimeName[];
const routes = option("routes", "bytes,text,blob,stream").split(",");
if (!Number.isSafeInteger(readers) || readers < 1 || readers > 5000) {
  console.error("slow_readers: --readers must be 1..5000");
  process.exit(2);
}

interface Memory {
  readonly rss: number;
  readonly heapUsed: number;
  /** Array buffers and other memory outside the JS heap that the engine knows of. */
  readonly external: number;
}

/** One request on its own connection, read to the end (bounded). */
function fetchMemory(port: number): Promise<Memory> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, "127.0.0.1");
    let text = "";
    const timer = setTimeout(() => socket.destroy(new Error("memory: no answer in 10 s")), 10_000);
    socket.setEncoding("utf8");
    socket.on("data", (chunk: string) => (text += chunk));
    socket.on("error", reject);
    socket.on("close", () => {
      clearTimeout(timer);
      const body = text.slice(text.indexOf("\r\n\r\n") + 4);
      try {
        resolve(JSON.parse(body) as Memory);
      } catch {
        reject(new Error(`memory: bad answer ${JSON.stringify(text.slice(0, 200))}`));
      }
    });
    socket.write("GET /__memory HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
  });
}

/** Opens `count` connections that ask for `route` and never read. */
async function openSlowReaders(port: number, route: string, count: number): Promise<net.Socket[]> {
  const sockets: net.Socket[] = [];
  for (let i = 0; i < count; i++) {
    const socket = net.connect(port, "127.0.0.1");
    socket.on("error", () => {});
    socket.pause();
    socket.write(`GET /${route} HTTP/1.1\r\nHost: x\r\n\r\n`);
    sockets.push(socket);
    if (i % 50 === 49) await sleep(20);
  }
  return sockets;
}

/** Reads memory until two readings 500 ms apart differ by less than 1 MiB (at most 10 s). */
async function steadyMemory(port: number): Promise<Memory> {
  let last = await fetchMemory(port);
  for (let i = 0; i < 20; i++) {
    await sleep(500);
    const next = await fetchMemory(port);
    if (Math.abs(next.rss - last.rss) < 2 ** 20) return next;
    last = next;
  }
  return last;
}

const MB = 1e6;

async function measure(label: string, server: ServerChild, route: string): Promise<void> {
  await fetchMemory(server.port);
  const before = await steadyMemory(server.port);
  const sockets = await openSlowReaders(server.port, route, readers);
  const during = await steadyMemory(server.port);
  for (const socket of sockets) socket.destroy();
  await sleep(300);
  const after = await steadyMemory(server.port);
  const growth = (during.rss - before.rss) / MB;
  console.log(
    `${label.padEnd(22)} /${route.padEnd(7)} ${readers} x ${bodyBytes} B  rss ${
      (before.rss / MB).toFixed(0)
    } -> ${(during.rss / MB).toFixed(0)} MB (+${growth.toFixed(1)} MB, ${
      (growth * MB / readers / 1024).toFixed(0)
    } KiB/reader)  heap +${((during.heapUsed - before.heapUsed) / MB).toFixed(1)} MB  external +${
      ((during.external - before.external) / MB).toFixed(1)
    } MB  after close ${(after.rss / MB).toFixed(0)} MB`,
  );
}

async function main(): Promise<void> {
  for (const runtime of runtimes) {
    const flags = runtime === "deno"
      ? ["--v8-flags=--expose-gc"]
      : runtime === "node"
      ? ["--expose-gc"]
      : [];
    for (const route of routes) {
      const server = await startServerChild(
        ...runtimeCommand(runtime, FIXTURE, ["--server=serve", `--body-bytes=${bodyBytes}`], flags),
        `serve on ${runtime}`,
      );
      try {
        await measure(`serve on ${runtime}`, server, route);
      } finally {
        await server.stop();
      }
    }
  }
  const baseline = await startServerChild(
    ...runtimeCommand("node", FIXTURE, ["--server=node-http", `--body-bytes=${bodyBytes}`], [
      "--expose-gc",
    ]),
    "node:http",
  );
  try {
    await measure(`node:http (${process.version})`, baseline, "bytes");
  } finally {
    await baseline.stop();
  }
}

await main();
