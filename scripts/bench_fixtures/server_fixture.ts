/**
 * One benchmark server, run as its own child process by
 * `scripts/bench_server.ts`, on the runtime that runs this file.
 *
 * Usage: `<runtime> scripts/bench_fixtures/server_fixture.ts KIND` where KIND is
 * - `ours`: `serve()` with the runtime's default backend,
 * - `ours-node` / `ours-node-http`: `serve()` with that adapter,
 * - `node-http`: plain `node:http` with `writeEarlyHints`,
 * - `native`: `Deno.serve` or `Bun.serve` (no hint possible; `/plain` only).
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
  console.error(`unknown server kind ${kind}`);
  process.exit(2);
}

process.stdin.on("end", () => process.exit(0));
process.stdin.on("close", () => process.exit(0));
process.stdin.resume();
await main();
