/**
 * One benchmark server, run as its own child process by
 * `scripts/bench_server.ts`, on the runtime that runs this file.
 *
 * Usage: `<runtime> scripts/bench_fixtures/server_fixture.ts KIND` where KIND is
 * - `ours`: `serve()` with the runtime's default backend,
 * - `ours-node` / `ours-node-http`: `serve()` with that adapter,
 * - `node-http`: plain `node:http` with `writeEarlyHints`,
 * - `native`: `Deno.serve` or `Bun.serve` (no hint possible; `/plain` only);
 * - `raw`: no HTTP at all, the floor for any server in JavaScript on this
 *   runtime: each read (`hey` sends one request per read and waits) is
 *   answered with a canned `103` and a canned `200 hint` (with a fresh
 *   `Date`), two writes, on the runtime's own sockets (`Deno.listen`,
 *   `Bun.listen`, `node:net`), Nagle off.
 *
 * Routes: `/hint` sends one `103` with a `link` field, then `200 hint`;
 * `/plain` answers `200 plain`; `/__cpu` answers this process's
 * `process.cpuUsage()` as JSON (microseconds), for the CPU-per-request figure.
 * Prints `listening PORT` once bound; exits when stdin closes.
 *
 * @module
 */

import http from "node:http";
import process from "node:process";
import { sendInformational, serve } from "../../server.ts";

const LINK = "</style.css>; rel=preload; as=style";
const kind = process.argv[2] ?? "ours";

function cpuResponse(): Response {
  return new Response(JSON.stringify(process.cpuUsage()), {
    headers: { "content-type": "application/json" },
  });
}

function ourHandler(request: Request): Response {
  const path = request.url.slice(request.url.indexOf("/", 8));
  if (path === "/hint") {
    sendInformational(request, 103, { link: LINK });
    return new Response("hint");
  }
  if (path === "/plain") return new Response("plain");
  if (path === "/__cpu") return cpuResponse();
  return new Response("not found", { status: 404 });
}

function announce(port: number): void {
  console.log(`listening ${port}`);
}

async function main(): Promise<void> {
  if (kind === "ours" || kind === "ours-node" || kind === "ours-node-http") {
    const adapter = kind === "ours" ? undefined : kind === "ours-node" ? "node" : "node-http";
    const server = await serve(ourHandler, {
      hostname: "127.0.0.1",
      port: 0,
      ...(adapter !== undefined ? { adapter } : {}),
    });
    announce(server.addr.transport === "tcp" ? server.addr.port : 0);
    return;
  }
  if (kind === "node-http") {
    const server = http.createServer((request, response) => {
      if (request.url === "/hint") {
        response.writeEarlyHints({ link: LINK });
        response.writeHead(200, { "content-type": "text/plain;charset=UTF-8" });
        response.end("hint");
      } else if (request.url === "/plain") {
        response.writeHead(200, { "content-type": "text/plain;charset=UTF-8" });
        response.end("plain");
      } else if (request.url === "/__cpu") {
        response.writeHead(200, { "content-type": "application/json" });
        response.end(JSON.stringify(process.cpuUsage()));
      } else {
        response.writeHead(404);
        response.end();
      }
    });
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      announce(typeof address === "object" && address !== null ? address.port : 0);
    });
    return;
  }
  if (kind === "native") {
    // deno-lint-ignore no-explicit-any
    const globals = globalThis as any;
    const handler = (request: Request) => {
      const path = request.url.slice(request.url.indexOf("/", 8));
      if (path === "/plain") return new Response("plain");
      if (path === "/__cpu") return cpuResponse();
      return new Response("not found", { status: 404 });
    };
    if (globals.Deno !== undefined) {
      const server = globals.Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, handler);
      announce(server.addr.port);
    } else if (globals.Bun !== undefined) {
      const server = globals.Bun.serve({ hostname: "127.0.0.1", port: 0, fetch: handler });
      announce(server.port);
    } else {
      console.error("native: only Deno and Bun have a native server");
      process.exit(2);
    }
    return;
  }
  if (kind === "raw") {
    announce(await startRawServer());
    return;
  }
  console.error(`unknown server kind ${kind}`);
  process.exit(2);
}

const encoder = new TextEncoder();
const RAW_HINT = encoder.encode(`HTTP/1.1 103 Early Hints\r\nlink: ${LINK}\r\n\r\n`);

/** The `raw` kind's answer to one read: the `/__cpu` JSON, or a 103 and a 200. */
function rawAnswer(chunk: Uint8Array, write: (bytes: Uint8Array) => void): void {
  // "GET /__cpu": byte 5 is "_".
  if (chunk[5] === 0x5f) {
    const body = JSON.stringify(process.cpuUsage());
    write(encoder.encode(
      `HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: ${body.length}\r\n` +
        `connection: close\r\n\r\n${body}`,
    ));
    return;
  }
  write(RAW_HINT);
  write(encoder.encode(
    "HTTP/1.1 200 OK\r\ncontent-type: text/plain;charset=UTF-8\r\n" +
      `date: ${new Date().toUTCString()}\r\ncontent-length: 4\r\n\r\nhint`,
  ));
}

/** Starts the `raw` server; returns its port. */
async function startRawServer(): Promise<number> {
  // deno-lint-ignore no-explicit-any
  const globals = globalThis as any;
  if (globals.Deno !== undefined) {
    const listener = globals.Deno.listen({ hostname: "127.0.0.1", port: 0 });
    (async () => {
      for await (const conn of listener) {
        conn.setNoDelay(true);
        (async () => {
          const buffer = new Uint8Array(65536);
          // Writes in order, one at a time, like the adapter's queue.
          let writing: Promise<unknown> = Promise.resolve();
          try {
            for (;;) {
              const n = await conn.read(buffer);
              if (n === null) break;
              rawAnswer(buffer.subarray(0, n), (bytes) => {
                // A failed write (client gone) must not become an unhandled rejection.
                writing = writing.then(() => conn.write(bytes)).catch(() => {});
              });
            }
            await writing;
          } catch {
            // The client went away.
          }
          try {
            conn.close();
          } catch {
            // Already closed.
          }
        })();
      }
    })();
    return listener.addr.port;
  }
  if (globals.Bun !== undefined) {
    const server = globals.Bun.listen({
      hostname: "127.0.0.1",
      port: 0,
      socket: {
        binaryType: "uint8array",
        open(socket: { setNoDelay(on: boolean): void }) {
          socket.setNoDelay(true);
        },
        data(socket: { write(bytes: Uint8Array): number }, chunk: Uint8Array) {
          rawAnswer(chunk, (bytes) => socket.write(bytes));
        },
        close() {},
      },
    });
    return server.port;
  }
  const net = await import("node:net");
  const server = net.createServer((socket) => {
    socket.setNoDelay(true);
    socket.on("data", (chunk: Uint8Array) => rawAnswer(chunk, (bytes) => socket.write(bytes)));
    socket.on("error", () => {});
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  return typeof address === "object" && address !== null ? address.port : 0;
}

process.stdin.on("end", () => process.exit(0));
process.stdin.on("close", () => process.exit(0));
process.stdin.resume();
await main();
