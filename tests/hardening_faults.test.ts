/**
 * Fault injection: a client vanishing mid-handler, a server dying mid-body,
 * a reader too slow for the body, a handler throwing after a hint or in the
 * middle of its body, TLS handshakes that fail, connections reset by either
 * side. Each must end cleanly: a clear error where one is due, no hang, no
 * leak, and the server keeps serving. What runs in this process against
 * serve() runs on every transport (tests/_support/transports.ts); the child
 * process scenarios run the default one.
 */

import { test } from "node:test";
import assert from "node:assert/strict";
import { readFile } from "node:fs/promises";
import net from "node:net";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { Client, FetchError } from "../client.ts";
import { sendInformational } from "../server.ts";
import { startChildServer } from "./_support/hostile_child.ts";
import { responseStatuses } from "./_support/hostile_requests.ts";
import { sendInPieces } from "./_support/hostile_wire.ts";
import { startRawServer } from "./_support/raw_server.ts";
import { rawConnect, rawRequest } from "./_support/server_raw.ts";
import { delay, within, withServer } from "./_support/server_util.ts";
import { TRANSPORTS } from "./_support/transports.ts";

const FIXTURES = path.join(path.dirname(fileURLToPath(import.meta.url)), "fixtures", "tls");

/** Resets a node:net socket (RST) where the runtime can, else destroys it. */
function reset(socket: net.Socket): void {
  const resettable = socket as net.Socket & { resetAndDestroy?: () => void };
  if (typeof resettable.resetAndDestroy === "function") resettable.resetAndDestroy();
  else socket.destroy();
}

/** A promise with its resolve function (Node 20 lacks `Promise.withResolvers`). */
function deferred(): { promise: Promise<void>; resolve: () => void } {
  let resolve!: () => void;
  const promise = new Promise<void>((done) => (resolve = done));
  return { promise, resolve };
}

/** Resolves with what a promise settles to, as `{ value }` or `{ error }`, within `ms`. */
function settle<T>(
  promise: Promise<T>,
  ms: number,
  what: string,
): Promise<{ value?: T; error?: unknown }> {
  return within(promise.then((value) => ({ value }), (error: unknown) => ({ error })), ms, what);
}

for (const { name, options } of TRANSPORTS) {
  test(`${name}: client disconnects mid-handler: request.signal fires for each, nothing stays open`, async () => {
    const count = 20;
    let started = 0;
    let aborted = 0;
    let cancelled = 0;
    const startedAll = deferred();
    const abortedAll = deferred();
    await withServer(
      async (request) => {
        if (++started === count) startedAll.resolve();
        if (new URL(request.url).pathname === "/stream") {
          // The response streams forever: its source must be cancelled.
          return new Response(
            new ReadableStream({
              async pull(controller) {
                await delay(5);
                controller.enqueue(new Uint8Array(1024));
              },
              cancel() {
                cancelled++;
              },
            }),
          );
        }
        sendInformational(request, 103, { link: "</a.css>; rel=preload" });
        await new Promise<void>((resolve) => {
          request.signal.addEventListener("abort", () => resolve(), { once: true });
        });
        if (++aborted === count / 2) abortedAll.resolve();
        return new Response("never read");
      },
      options,
      async (server, port) => {
        const sockets = await Promise.all(Array.from({ length: count }, () => rawConnect(port)));
        sockets.forEach((socket, i) =>
          socket.write(`GET /${i % 2 === 0 ? "wait" : "stream"} HTTP/1.1\r\nHost: x\r\n\r\n`)
        );
        await within(startedAll.promise, 5_000, "every handler starting");
        await Promise.all(
          sockets.map((socket) => socket.read((text) => text.includes("\r\n\r\n"))),
        );
        for (const socket of sockets) socket.destroy();
        await within(abortedAll.promise, 5_000, "request.signal firing for every waiting handler");
        for (let i = 0; i < 100 && cancelled < count / 2; i++) await delay(20);
        assert.equal(cancelled, count / 2, "every streaming response body was cancelled");
        // Graceful shutdown waits for busy connections: it ends at once only if none is left.
        await within(server.shutdown(), 2_000, "shutdown after the clients vanished");
      },
    );
  });
}

test("server dies mid-body (the process is killed): the client's body stream errors cleanly", async () => {
  const server = await startChildServer();
  const client = new Client();
  try {
    const response = await client.fetch(`http://127.0.0.1:${server.port}/stream?bytes=1000000000`);
    assert.equal(response.status, 200);
    const reader = response.body!.getReader();
    let received = 0;
    while (received < 1 << 20) {
      const { value, done } = await within(reader.read(), 5_000, "body read");
      assert.equal(done, false);
      received += value!.byteLength;
    }
    server.kill();
    const outcome = await settle(
      (async () => {
        for (;;) {
          const { done } = await reader.read();
          if (done) return "ended normally";
        }
      })(),
      10_000,
      "body read after the server died",
    );
    assert.ok(
      outcome.error instanceof FetchError,
      `expected a FetchError, got ${String(outcome.error ?? outcome.value)}`,
    );
    assert.ok(
      ["CONNECTION_RESET", "INCOMPLETE_MESSAGE"].includes(outcome.error.code),
      `code ${outcome.error.code}`,
    );
  } finally {
    await client.close();
    await server.stop();
  }
});

test("server dies mid-body (the connection is reset): the client's body stream errors cleanly", async () => {
  const server = await startRawServer(async (peer) => {
    await peer.readHead();
    peer.write("HTTP/1.1 200 OK\r\ncontent-length: 100000\r\n\r\n" + "x".repeat(5000));
    await delay(50);
    reset(peer.socket);
  });
  const client = new Client();
  try {
    const response = await client.fetch(`${server.url}/`);
    const outcome = await settle(response.arrayBuffer(), 5_000, "body read");
    assert.ok(outcome.error instanceof FetchError, String(outcome.error ?? outcome.value));
    assert.ok(["CONNECTION_RESET", "INCOMPLETE_MESSAGE"].includes(outcome.error.code));
  } finally {
    await client.close();
    await server.close();
  }
});

test("connection reset before any response byte: fetch rejects with CLOSED_BEFORE_RESPONSE", async () => {
  const server = await startRawServer(async (peer) => {
    await peer.readHead();
    reset(peer.socket);
  });
  const client = new Client();
  try {
    const outcome = await settle(client.fetch(`${server.url}/`), 5_000, "fetch");
    assert.ok(outcome.error instanceof FetchError, String(outcome.error ?? outcome.value));
    assert.ok(
      ["CLOSED_BEFORE_RESPONSE", "CONNECTION_RESET"].includes(outcome.error.code),
      outcome.error.code,
    );
  } finally {
    await client.close();
    await server.close();
  }
});

for (const { name, options } of TRANSPORTS) {
  test(`${name}: handler's body stream fails mid-way: the client sees an error, never a clean truncated body`, async () => {
    await withServer(
      () => {
        let sent = 0;
        return new Response(
          new ReadableStream<Uint8Array>({
            async pull(controller) {
              if (sent++ === 3) throw new Error("the data source broke");
              await delay(2);
              controller.enqueue(new TextEncoder().encode("part "));
            },
          }),
        );
      },
      options,
      async (_server, port) => {
        const client = new Client();
        try {
          const response = await client.fetch(`http://127.0.0.1:${port}/`);
          const outcome = await settle(response.text(), 5_000, "body read");
          assert.ok(
            outcome.error instanceof FetchError,
            `the truncated body ended without error: ${JSON.stringify(outcome.value)}`,
          );
          // The server keeps serving.
          const again = await client.fetch(`http://127.0.0.1:${port}/`).then(
            (r) => r.body?.cancel(),
            (e: unknown) => e,
          );
          assert.equal(again, undefined);
        } finally {
          await client.close();
        }
      },
    );
  });
}

for (const { name, options } of TRANSPORTS) {
  test(`${name}: handler throws after sending a hint: a well-formed 500 follows, the connection goes on`, async () => {
    const errors: unknown[] = [];
    await withServer(
      async (request) => {
        sendInformational(request, 103, { link: "</a.css>; rel=preload" });
        if (new URL(request.url).pathname === "/async") await delay(5);
        throw new Error("handler failed after the hint");
      },
      { ...options, onError: (error) => errors.push(error) },
      async (_server, port) => {
        // Raw bytes: 103, then a complete 500, twice on one connection.
        const conn = await rawConnect(port);
        try {
          conn.write("GET /sync HTTP/1.1\r\nHost: x\r\n\r\nGET /async HTTP/1.1\r\nHost: x\r\n\r\n");
          const text = await conn.read((t) => responseStatuses(t).length >= 4);
          assert.deepEqual(responseStatuses(text), [103, 500, 103, 500]);
          for (const head of text.split("HTTP/1.1 500").slice(1)) {
            const length = /content-length: (\d+)\r\n/i.exec(head);
            assert.ok(length !== null, "the 500 has a Content-Length");
            const body = head.slice(head.indexOf("\r\n\r\n") + 4);
            assert.ok(body.length >= Number(length[1]), "the 500's body is complete");
          }
        } finally {
          conn.destroy();
        }
        // Our client: the hint is reported, then the 500.
        const client = new Client();
        try {
          const statuses: number[] = [];
          const response = await client.fetch(`http://127.0.0.1:${port}/async`, {
            onInformational: (info) => void statuses.push(info.status),
          });
          await response.arrayBuffer();
          statuses.push(response.status);
          assert.deepEqual(statuses, [103, 500]);
        } finally {
          await client.close();
        }
        assert.equal(errors.length, 3, "onError saw every failure");
      },
    );
  });
}

for (const { name, options } of TRANSPORTS) {
  test(`${name}: TLS handshake failures get clear errors and do not disturb the server`, async () => {
    const [cert, key, ca, untrustedCa] = await Promise.all(
      [
        "test-server-cert.pem",
        "test-server-key.pem",
        "test-ca-cert.pem",
        "test-untrusted-ca-cert.pem",
      ]
        .map((name) => readFile(path.join(FIXTURES, name), "utf8")),
    );
    await withServer(
      () => new Response("secure"),
      { ...options, cert, key },
      async (_server, port) => {
        const url = `https://localhost:${port}/`;
        // An untrusted certificate, several times over.
        for (let i = 0; i < 5; i++) {
          const client = new Client({ tls: { ca: untrustedCa! } });
          try {
            const outcome = await settle(client.fetch(url), 10_000, "fetch with an untrusted CA");
            assert.ok(outcome.error instanceof FetchError, String(outcome.error ?? outcome.value));
            assert.equal(outcome.error.code, "TLS_FAILURE");
          } finally {
            await client.close();
          }
        }
        // Plain HTTP and raw garbage at the TLS port.
        const plain = await rawRequest(port, "GET / HTTP/1.1\r\nHost: x\r\n\r\n", {
          timeoutMs: 5_000,
        });
        assert.equal(plain.timedOut, false, "the server closed the plain-text connection");
        assert.ok(!plain.text.startsWith("HTTP/1.1 200"));
        const junk = await rawRequest(port, "\x16\x03\x01\x00\x05hello", { timeoutMs: 5_000 });
        assert.equal(junk.timedOut, false, "the server closed the bad handshake");
        // A proper client still gets served.
        const client = new Client({ tls: { ca: ca! } });
        try {
          const response = await within(client.fetch(url), 10_000, "fetch with the right CA");
          assert.equal(await response.text(), "secure");
        } finally {
          await client.close();
        }
      },
    );
  });
}

for (const { name, options } of TRANSPORTS) {
  test(`${name}: TLS client against a plain HTTP server rejects clearly instead of hanging`, async () => {
    await withServer(() => new Response("plain"), options, async (_server, port) => {
      const client = new Client({ connectTimeout: 3_000, headersTimeout: 3_000 });
      try {
        const outcome = await settle(
          client.fetch(`https://127.0.0.1:${port}/`),
          10_000,
          "https fetch to a plain server",
        );
        assert.ok(outcome.error instanceof FetchError, String(outcome.error ?? outcome.value));
        assert.ok(
          ["TLS_FAILURE", "CONNECT_FAILED", "CLOSED_BEFORE_RESPONSE", "CONNECT_TIMEOUT"].includes(
            outcome.error.code,
          ),
          outcome.error.code,
        );
      } finally {
        await client.close();
      }
    });
  });
}

for (const { name, options } of TRANSPORTS) {
  test(`${name}: client resets mid-request-body: the handler's body read fails, the server keeps serving`, async () => {
    const bodyErrors: unknown[] = [];
    const gotFirstBytes = deferred();
    const handlerDone = deferred();
    await withServer(
      async (request) => {
        if (request.method !== "POST") return new Response("alive");
        const reader = request.body!.getReader();
        try {
          for (;;) {
            const { done } = await reader.read();
            gotFirstBytes.resolve();
            if (done) break;
          }
        } catch (error) {
          bodyErrors.push(error);
        } finally {
          handlerDone.resolve();
        }
        return new Response("unreachable");
      },
      options,
      async (_server, port) => {
        const socket = net.connect(port, "127.0.0.1");
        socket.on("error", () => {});
        await new Promise<void>((resolve) => socket.once("connect", () => resolve()));
        socket.write(
          "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 1000000\r\n\r\n" + "x".repeat(10_000),
        );
        await within(gotFirstBytes.promise, 5_000, "the handler reading the body");
        reset(socket);
        await within(handlerDone.promise, 5_000, "the handler's body read ending");
        assert.equal(bodyErrors.length, 1, "reading the rest of the body failed");
        const { text } = await rawRequest(
          port,
          "GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
        );
        assert.deepEqual(responseStatuses(text), [200]);
      },
    );
  });
}

test("a slow reader holds the server's response in check (backpressure; child process)", async () => {
  const limit = 64 * 2 ** 20;
  // A raw socket that never reads after its request.
  let server = await startChildServer();
  const socket = net.connect(server.port, "127.0.0.1");
  socket.on("error", () => {});
  try {
    await new Promise<void>((resolve) => socket.once("connect", () => resolve()));
    socket.pause();
    socket.write("GET /stream?bytes=100000000000 HTTP/1.1\r\nHost: x\r\n\r\n");
    await delay(500);
    const first = await server.streamed();
    await delay(500);
    const second = await server.streamed();
    // Loopback kernel buffers hold a few MiB; without backpressure this is gigabytes.
    assert.ok(first > 0, "the body started");
    assert.ok(
      second < limit,
      `the server produced ${second} bytes for a reader that reads nothing`,
    );
    assert.ok(second - first < 8 * 2 ** 20, "production stopped while the reader was stalled");
  } finally {
    // Stop the server before the socket goes: see finding F3.
    await server.stop();
    socket.destroy();
  }
  // Our client with a body it does not read.
  server = await startChildServer();
  const client = new Client();
  try {
    const response = await client.fetch(
      `http://127.0.0.1:${server.port}/stream?bytes=100000000000`,
    );
    await delay(500);
    const first = await server.streamed();
    await delay(500);
    const second = await server.streamed();
    assert.ok(second < limit, `the server produced ${second} bytes for an unread body`);
    assert.ok(second - first < 8 * 2 ** 20, "production stopped while the body was unread");
    void response;
  } finally {
    await server.stop();
    await client.close();
  }
});

test("a reader that resets the connection mid-body leaves the server responsive (finding F3)", async () => {
  // Run in a child process: on Node the server spins in microtasks (finding
  // F3), which would block this test's own timers if it ran in-process.
  const server = await startChildServer();
  try {
    for (const pause of [true, false]) {
      const socket = net.connect(server.port, "127.0.0.1");
      socket.on("error", () => {});
      await new Promise<void>((resolve) => socket.once("connect", () => resolve()));
      if (pause) socket.pause();
      socket.write("GET /stream?bytes=100000000000 HTTP/1.1\r\nHost: x\r\n\r\n");
      await delay(300);
      reset(socket);
      await delay(100);
      const streamed = await server.streamed(5_000).catch((error: unknown) => error);
      assert.equal(
        typeof streamed,
        "number",
        `after a reset (paused reader: ${pause}): ${String(streamed)}`,
      );
    }
  } finally {
    await server.stop();
  }
});

test("uploads a handler does not read are not buffered: the server stops reading (child process)", async () => {
  const server = await startChildServer();
  const sockets: net.Socket[] = [];
  try {
    const before = await server.memory();
    const chunk = Buffer.alloc(1 << 20, 0x62);
    const accepted: number[] = [];
    // 20 connections each try to push 64 MiB while the handler sleeps.
    await Promise.all(Array.from({ length: 20 }, async () => {
      const socket = net.connect(server.port, "127.0.0.1");
      sockets.push(socket);
      socket.on("error", () => {});
      await new Promise<void>((resolve) => socket.once("connect", () => resolve()));
      socket.write(
        `POST /ignore?ms=3000 HTTP/1.1\r\nHost: x\r\nContent-Length: ${64 << 20}\r\n\r\n`,
      );
      for (let i = 0; i < 64; i++) {
        if (!socket.write(chunk)) {
          const drained = await Promise.race([
            new Promise((resolve) => socket.once("drain", () => resolve(true))),
            delay(1_000).then(() => false),
          ]);
          if (!drained) break;
        }
      }
      accepted.push(socket.bytesWritten - socket.writableLength);
    }));
    const during = await server.memory();
    const mib = (bytes: number) => (bytes / 2 ** 20).toFixed(1);
    const total = accepted.reduce((sum, n) => sum + n, 0);
    console.log(
      `hardening: 20 unread 64 MiB uploads: ${mib(total)} MiB left the clients; server heap ${
        mib(before.heapUsed)
      } -> ${mib(during.heapUsed)} MiB, rss ${mib(before.rss)} -> ${mib(during.rss)} MiB`,
    );
    // Without the pause each connection would push all 64 MiB into the server.
    assert.ok(total < 20 * 32 * 2 ** 20, `${mib(total)} MiB were taken from the clients`);
    assert.ok(
      during.heapUsed - before.heapUsed < 50 * 2 ** 20,
      `server heap grew by ${mib(during.heapUsed - before.heapUsed)} MiB`,
    );
  } finally {
    for (const socket of sockets) socket.destroy();
    await server.stop();
  }
});

for (const { name, options } of TRANSPORTS) {
  test(`${name}: a request body that stalls ends at limits.bodyTimeout: 408, request.signal aborts, close`, async () => {
    let aborted: unknown;
    let bodyError: unknown;
    const done = deferred();
    await withServer(
      async (request) => {
        request.signal.addEventListener("abort", () => (aborted = request.signal.reason), {
          once: true,
        });
        try {
          await request.arrayBuffer();
        } catch (error) {
          bodyError = error;
        } finally {
          done.resolve();
        }
        return new Response("read");
      },
      { ...options, limits: { bodyTimeout: 300, headersTimeout: 300 } },
      async (_server, port) => {
        // Stalled: 3 of 100 bytes, then silence with the socket open.
        const stalled = await rawRequest(
          port,
          "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\nabc",
          { timeoutMs: 5_000 },
        );
        assert.equal(stalled.timedOut, false, "the stalled connection was never closed");
        assert.deepEqual(responseStatuses(stalled.text), [408]);
        await within(done.promise, 5_000, "the handler's body read ending");
        assert.ok(bodyError !== undefined, "reading the stalled body failed");
        assert.ok(aborted !== undefined, "request.signal aborted");
        // A slow body that keeps making progress is not cut off.
        const pieces = [
          "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 8\r\nConnection: close\r\n\r\n",
        ];
        for (let i = 0; i < 8; i++) pieces.push("x");
        const slow = await sendInPieces(port, pieces, { pauseMs: 100, timeoutMs: 5_000 });
        assert.deepEqual(responseStatuses(slow.text), [200]);
      },
    );
  });
}
