/**
 * The server under attack in `scripts/attacks.ts`, run as a child process on
 * the runtime under test so that its memory is its own.
 *
 * Usage: `<runtime> scripts/attacks_server.ts --server=serve|serve-node-http|node-http
 * --slow-bytes=N`. `serve` is our `serve()` with the runtime's default
 * backend, `serve-node-http` is `serve()` with `adapter: "node-http"`, and
 * `node-http` is a plain `node:http` server (the baseline). Default limits
 * everywhere: the point is what a deployment gets out of the box.
 *
 * Prints `listening PORT pid PID` once bound. Routes, the same on every server:
 * - `GET /__memory`: `{"rss":…,"heapUsed":…,"gc":bool}` after a garbage collection.
 * - `GET /slow`: a static body of `--slow-bytes` bytes (given in full, so `Content-Length`).
 * - `GET /big`: a static 1 MiB body.
 * - `POST /upload`: reads the whole body, answers its length.
 * - anything else: `200 ok` without reading the body (the server drains it).
 *
 * @module
 */

import process from "node:process";
import { serve } from "../server.ts";
import { collectGarbage } from "../tests/_support/collect_garbage.ts";

type ServerKind = "serve" | "serve-node-http" | "node-http";

function argument(name: string): string | undefined {
  const prefix = `--${name}=`;
  return process.argv.find((arg) => arg.startsWith(prefix))?.slice(prefix.length);
}

const kind = argument("server") as ServerKind | undefined;
if (kind !== "serve" && kind !== "serve-node-http" && kind !== "node-http") {
  console.error("attacks_server: --server=serve|serve-node-http|node-http is required");
  process.exit(2);
}
const slowBytes = Number(argument("slow-bytes") ?? String(32 * 2 ** 20));
if (!Number.isSafeInteger(slowBytes) || slowBytes <= 0) {
  console.error(`attacks_server: bad --slow-bytes=${argument("slow-bytes")}`);
  process.exit(2);
}

// Allocated once at start-up: the bodies are static, their cost is in the baseline.
const SLOW_BODY = new Uint8Array(slowBytes).fill(0x61);
const BIG_BODY = new Uint8Array(2 ** 20).fill(0x62);

function memoryJson(): string {
  const gc = collectGarbage();
  const { rss, heapUsed } = process.memoryUsage();
  return JSON.stringify({ rss, heapUsed, gc });
}

async function startServe(adapter: "node-http" | undefined): Promise<number> {
  const server = await serve(async (request) => {
    const path = new URL(request.url).pathname;
    switch (path) {
      case "/__memory":
        return new Response(memoryJson(), { headers: { "content-type": "application/json" } });
      case "/slow":
        return new Response(SLOW_BODY);
      case "/big":
        return new Response(BIG_BODY);
      case "/upload":
        return new Response(String((await request.arrayBuffer()).byteLength));
      default:
        return new Response("ok");
    }
  }, {
    hostname: "127.0.0.1",
    port: 0,
    ...(adapter === undefined ? {} : { adapter }),
    onError: () => {},
  });
  const address = server.addr;
  return address.transport === "tcp" ? address.port : 0;
}

async function startNodeHttp(): Promise<number> {
  const http = await import("node:http");
  // Default options and no clientError listener: node:http's own answers (400 and destroy).
  const server = http.createServer((request, response) => {
    const path = (request.url ?? "/").split("?")[0];
    switch (path) {
      case "/__memory":
        response.writeHead(200, { "content-type": "application/json" });
        response.end(memoryJson());
        return;
      case "/slow":
        response.writeHead(200, { "content-length": String(SLOW_BODY.byteLength) });
        response.end(SLOW_BODY);
        return;
      case "/big":
        response.writeHead(200, { "content-length": String(BIG_BODY.byteLength) });
        response.end(BIG_BODY);
        return;
      case "/upload": {
        let length = 0;
        request.on("data", (chunk: Uint8Array) => (length += chunk.byteLength));
        request.on("end", () => response.end(String(length)));
        request.on("error", () => response.destroy());
        return;
      }
      default:
        response.end("ok");
    }
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  return typeof address === "object" && address !== null ? address.port : 0;
}

const port = kind === "node-http"
  ? await startNodeHttp()
  : await startServe(kind === "serve-node-http" ? "node-http" : undefined);
console.log(`listening ${port} pid ${process.pid}`);
// The attacker kills this process; SIGTERM ends it without a graceful drain.
process.on("SIGTERM", () => process.exit(0));
