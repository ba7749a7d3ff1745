/**
 * A server program for hardening tests and the soak script, run as a child
 * process so its memory can be measured apart from the client and so it can
 * be killed mid-response.
 *
 * Prints `listening PORT` once bound. Routes:
 * - `GET /__memory` answers the process's memory after a garbage collection
 *   when the runtime exposes one: `{"rss":…,"heapUsed":…,"gc":true}`.
 * - `GET /__stats` answers `{"streamed":N,"peers":N,"requests":N}`: the bytes
 *   pulled so far from the `/stream` bodies (what a slow reader made the
 *   server produce), the distinct client sockets and the requests served.
 * - `GET /hint` sends one `103 Early Hints` then `200` with a short body.
 * - `GET /stream?bytes=N` sends `200` with a body of N bytes in 16 KiB chunks
 *   from a pull stream, so a slow reader exercises backpressure.
 * - `POST /echo` reads the whole body and answers its length.
 * - `POST /ignore?ms=N` waits N ms without touching the body, then answers.
 * - anything else: `200 ok`.
 *
 * Environment: `EH_HEADERS_TIMEOUT` (ms) sets `limits.headersTimeout`.
 *
 * @module
 */

import process from "node:process";
import { sendInformational, serve } from "../../server.ts";
import { collectGarbage } from "./collect_garbage.ts";

const CHUNK = new Uint8Array(16 * 1024).fill(0x61);
let streamed = 0;
let requests = 0;
const peers = new Set<string>();

function streamOf(total: number): ReadableStream<Uint8Array> {
  let sent = 0;
  return new ReadableStream<Uint8Array>({
    pull(controller) {
      if (sent >= total) {
        controller.close();
        return;
      }
      const size = Math.min(CHUNK.byteLength, total - sent);
      sent += size;
      streamed += size;
      controller.enqueue(size === CHUNK.byteLength ? CHUNK : CHUNK.subarray(0, size));
    },
  }, { highWaterMark: 0 });
}

const headersTimeout = Number(process.env.EH_HEADERS_TIMEOUT ?? "10000");

const server = await serve(async (request, info) => {
  const url = new URL(request.url);
  requests++;
  const peer = info.remoteAddr;
  if (peer.transport === "tcp") peers.add(`${peer.hostname}:${peer.port}`);
  switch (url.pathname) {
    case "/__memory": {
      const gc = collectGarbage();
      const { rss, heapUsed } = process.memoryUsage();
      return Response.json({ rss, heapUsed, gc });
    }
    case "/__stats":
      return Response.json({ streamed, peers: peers.size, requests });
    case "/hint":
      sendInformational(request, 103, { link: "</style.css>; rel=preload; as=style" });
      return new Response("hinted");
    case "/stream":
      return new Response(streamOf(Number(url.searchParams.get("bytes") ?? "0")));
    case "/ignore":
      await new Promise((resolve) =>
        setTimeout(resolve, Number(url.searchParams.get("ms") ?? "0"))
      );
      return new Response("ignored");
    case "/echo": {
      const body = await request.arrayBuffer();
      return new Response(String(body.byteLength));
    }
    default:
      await request.body?.cancel();
      return new Response("ok");
  }
}, {
  hostname: "127.0.0.1",
  port: 0,
  limits: { headersTimeout },
  onError: () => {},
});

const addr = server.addr;
console.log(`listening ${addr.transport === "tcp" ? addr.port : 0}`);
process.on("SIGTERM", () => {
  server.close().then(() => process.exit(0), () => process.exit(1));
});
