/**
 * Slow and hostile peers against the `node-http` backend's flow control
 * (issue 12, items 1, 2 and 4; the engine's are in
 * hardening_backpressure.test.ts), on whichever runtime runs the tests
 * (Node, and Deno's and Bun's `node:http`), with raw `node:net` clients on
 * loopback:
 *
 * - a slow reader gets the whole response; a peer that reads nothing is
 *   dropped at `sendTimeout`;
 * - a client that pipelines requests and never reads does not make the
 *   server run (and queue) every response, and one that queues more than
 *   `MAX_WAITING_REQUESTS` behind a busy handler is closed;
 * - a request body trickling below `minBodyRate` ends, read or unread, and
 *   one that stalls ends at `bodyTimeout`;
 * - a handler that never returns gets `503` at `handlerTimeout`.
 *
 * Each bound is a count of bytes or calls, never a speed.
 */

import { test } from "node:test";
import assert from "node:assert/strict";
import { bodyOf, closed, closedWhilePaused, connect, headEnd } from "./_support/slow_peers.ts";
import { delay, within, withServer } from "./_support/server_util.ts";
import { MAX_WAITING_REQUESTS } from "../src/runtime/node_http_pipeline.ts";

const MIB = 1024 * 1024;
const NODE_HTTP = { adapter: "node-http" } as const;

test("node-http: a slow reader gets the whole body; a peer reading nothing is dropped at sendTimeout", async () => {
  const size = 24 * MIB;
  const body = new Uint8Array(size).fill(0x61);
  body[size - 1] = 0x7a;
  await withServer(
    () => new Response(body),
    { ...NODE_HTTP, limits: { idleTimeout: 200, sendTimeout: 3_000 } },
    async (_server, port) => {
      const stalled = await connect(port);
      stalled.on("error", () => {});
      stalled.pause();
      stalled.write("GET /big HTTP/1.1\r\nHost: x\r\n\r\n");
      // Settled to its error, if any, so that it is reported where awaited.
      const stalledDropped = within(
        closedWhilePaused(stalled),
        6_000,
        "dropping a peer that reads nothing",
      ).then(() => undefined, (error: unknown) => error);
      const socket = await connect(port);
      socket.on("error", () => {});
      const chunks: Buffer[] = [];
      // 512 KiB every 250 ms (2 MiB/s) for 5 s, past sendTimeout, then at full speed.
      let quota = 512 * 1024;
      let slow = true;
      const pacer = setInterval(() => {
        quota = 512 * 1024;
        if (socket.isPaused()) socket.resume();
      }, 250);
      setTimeout(() => {
        slow = false;
        clearInterval(pacer);
        socket.resume();
      }, 5_000);
      socket.on("data", (chunk: Buffer) => {
        chunks.push(chunk);
        quota -= chunk.byteLength;
        if (slow && quota <= 0) socket.pause();
      });
      socket.write("GET /big HTTP/1.1\r\nHost: x\r\n\r\n");
      try {
        await within(
          (async () => {
            for (;;) {
              const all = Buffer.concat(chunks);
              const start = headEnd(all);
              if (start > 0 && bodyOf(all, start, size).complete) return;
              if (socket.destroyed) return;
              await delay(50);
            }
          })(),
          15_000,
          "the slow reader's body",
        );
      } finally {
        clearInterval(pacer);
      }
      const all = Buffer.concat(chunks);
      const start = headEnd(all);
      assert.ok(start > 0, "a response head arrived");
      const got = bodyOf(all, start, size);
      assert.equal(got.length, size, "body bytes received");
      assert.ok(got.complete, "the body was framed to its end");
      assert.equal(got.last, 0x7a, "the last byte arrived");
      const stalledError = await stalledDropped;
      if (stalledError !== undefined) throw stalledError;
      socket.destroy();
    },
  );
});

test("node-http: a client that pipelines and never reads: a bounded number of handlers run until it reads", async () => {
  const count = 100;
  const size = 512 * 1024;
  const body = new Uint8Array(size).fill(0x62);
  let handled = 0;
  await withServer(
    () => {
      handled++;
      return new Response(body);
    },
    NODE_HTTP,
    async (_server, port) => {
      const socket = await connect(port);
      socket.on("error", () => {});
      socket.pause();
      socket.write("GET /big HTTP/1.1\r\nHost: x\r\n\r\n".repeat(count));
      // Let the server run as far as it goes while nothing is read.
      let last = -1;
      for (let i = 0; i < 40 && handled !== last; i++) {
        last = handled;
        await delay(150);
      }
      const whileStalled = handled;
      console.log(
        `hardening node-http: pipelined non-reader: ${whileStalled} of ${count} handlers ran while the client read nothing`,
      );
      // Kernel buffers on both sides plus one queued response, far below all.
      assert.ok(whileStalled >= 1, "the first request was served");
      assert.ok(whileStalled <= 40, `${whileStalled} handlers ran for a client that reads nothing`);
      // Reading resumes: every response arrives, complete.
      let received = 0;
      socket.on("data", (chunk: Buffer) => (received += chunk.byteLength));
      socket.resume();
      await within(
        (async () => {
          while (handled < count || received < count * size) await delay(20);
        })(),
        20_000,
        "the pipelined responses once the client reads",
      );
      assert.equal(handled, count);
      socket.destroy();
    },
  );
});

test("node-http: a client pipelining past MAX_WAITING_REQUESTS behind a busy handler is closed", async () => {
  let handled = 0;
  await withServer(
    () => {
      handled++;
      return new Promise<Response>(() => {});
    },
    NODE_HTTP,
    async (_server, port) => {
      const socket = await connect(port);
      socket.on("error", () => {});
      socket.write("GET / HTTP/1.1\r\nHost: x\r\n\r\n".repeat(MAX_WAITING_REQUESTS + 100));
      // Before: every request object queued (node:http parses on), none answered.
      await within(closed(socket), 5_000, "closing the connection");
      assert.equal(handled, 1, "only the first handler ran");
    },
  );
});

test("node-http: a body that stalls gets 408 at limits.bodyTimeout, the handler's read fails", async () => {
  let readError: unknown;
  await withServer(
    async (request) => {
      try {
        return new Response(`read ${(await request.arrayBuffer()).byteLength}`);
      } catch (error) {
        readError = error;
        throw error;
      }
    },
    { ...NODE_HTTP, limits: { bodyTimeout: 300, minBodyRateGrace: 10_000 } },
    async (_server, port) => {
      const socket = await connect(port);
      socket.on("error", () => {});
      const received: Buffer[] = [];
      socket.on("data", (chunk: Buffer) => received.push(chunk));
      socket.write("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\nabc");
      await within(closed(socket), 5_000, "the 408 and close");
      assert.match(Buffer.concat(received).toString("latin1"), /^HTTP\/1\.1 408 /);
      assert.ok(
        readError instanceof DOMException && readError.name === "TimeoutError",
        `the handler's read failed with a TimeoutError: ${String(readError)}`,
      );
    },
  );
});

test("node-http: a handler that never returns gets 503 at limits.handlerTimeout, its signal aborted", async () => {
  const errors: unknown[] = [];
  let signalReason: unknown;
  await withServer(
    (request) =>
      new Promise<Response>((resolve) => {
        request.signal.addEventListener("abort", () => {
          signalReason = request.signal.reason;
          // A response after the deadline is dropped.
          setTimeout(() => resolve(new Response("late")), 50);
        });
      }),
    { ...NODE_HTTP, limits: { handlerTimeout: 300 }, onError: (error) => errors.push(error) },
    async (_server, port) => {
      const socket = await connect(port);
      socket.on("error", () => {});
      const received: Buffer[] = [];
      socket.on("data", (chunk: Buffer) => received.push(chunk));
      socket.write("GET /never HTTP/1.1\r\nHost: x\r\n\r\n");
      await within(closed(socket), 5_000, "the 503 and close");
      const text = Buffer.concat(received).toString("latin1");
      assert.match(text, /^HTTP\/1\.1 503 /);
      assert.match(text, /\r\nconnection: close\r\n/i);
      assert.doesNotMatch(text, /late/);
      assert.ok(
        signalReason instanceof DOMException && signalReason.name === "TimeoutError",
        `request.signal's reason: ${String(signalReason)}`,
      );
      assert.equal(errors.length, 1, "onError was told once");
    },
  );
});
