/**
 * The server measured by `scripts/slow_readers.ts`, run as a child process
 * on the runtime under test so that its memory is its own.
 *
 * Usage: `<runtime> scripts/slow_readers_server.ts --server=serve|node-http
 * [--body-bytes=1048576]`.
 * Prints `listening PORT` once bound; exits when stdin closes. Every route
 * answers the same body (1 MiB by default), made once at start-up and shared by every response
 * where the body's form lets it be:
 * - `GET /bytes`: `new Response(BYTES)` (the Fetch spec copies the bytes);
 * - `GET /text`: `new Response(TEXT)`, a string constant;
 * - `GET /blob`: `new Response(BLOB)`, one Blob made from the bytes;
 * - `GET /stream`: a stream that enqueues `BYTES` itself, then closes;
 * - `GET /__memory`: `{"rss":…,"heapUsed":…,"external":…}` after a full collection.
 *
 * The `node-http` baseline answers every body route with `res.end(BYTES)`.
 *
 * @module
 */

import http from "node:http";
import process from "node:process";
import { serve } from "../server.ts";
import { collectGarbage } from "../tests/_support/collect_garbage.ts";

const BODY_SIZE = Number(
  process.argv.find((arg) => arg.startsWith("--body-bytes="))?.slice(13) ?? String(2 ** 20),
);
if (!Number.isSafeInteger(BODY_SIZE) || BODY_SIZE < 1) {
  console.error("slow_readers_server: --body-bytes must be a positive integer");
  process.exit(2);
}
const BYTES = new Uint8Array(BODY_SIZE).fill(0x62);
const TEXT = "b".repeat(BODY_SIZE);
const BLOB = new Blob([BYTES]);

function memoryJson(): string {
  collectGarbage();
  const { rss, heapUsed, external } = process.memoryUsage();
  return JSON.stringify({ rss, heapUsed, external });
}

function bodyFor(path: string): Response | undefined {
  switch (path) {
    case "/bytes":
      return new Response(BYTES);
    case "/text":
      return new Response(TEXT);
    case "/blob":
      return new Response(BLOB);
    case "/stream":
      return new Response(
        new ReadableStream<Uint8Array>({
          start(controller) {
            controller.enqueue(BYTES);
            controller.close();
          },
        }),
        { headers: { "content-length": String(BODY_SIZE) } },
      );
  }
  return undefined;
}

async function main(): Promise<void> {
  const kind = process.argv.find((arg) => arg.startsWith("--server="))?.slice(9);
  let port: number;
  let close: () => Promise<void>;
  if (kind === "serve") {
    const server = await serve({ hostname: "127.0.0.1", port: 0 }, (request) => {
      const path = new URL(request.url).pathname;
      if (path === "/__memory") return new Response(memoryJson());
      return bodyFor(path) ?? new Response("not found", { status: 404 });
    });
    port = server.addr.transport === "tcp" ? server.addr.port : 0;
    close = () => server.close();
  } else if (kind === "node-http") {
    const server = http.createServer((request, response) => {
      if (request.url === "/__memory") response.end(memoryJson());
      else response.end(BYTES);
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    port = (server.address() as { port: number }).port;
    close = () => {
      server.closeAllConnections();
      return new Promise((resolve) => server.close(() => resolve()));
    };
  } else {
    console.error("slow_readers_server: --server=serve|node-http is required");
    process.exit(2);
  }
  process.stdout.write(`listening ${port}\n`);
  process.stdin.resume();
  process.stdin.on("end", () => {
    close().finally(() => process.exit(0));
  });
}

await main();
