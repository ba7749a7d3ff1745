/**
 * Request-body flow control on every transport (tests/_support/transports.ts):
 * the server takes bytes from the socket only while the handler reads, and
 * a cancelled body is drained without breaking the connection.
 */

import { test } from "node:test";
import assert from "node:assert/strict";
import net from "node:net";
import { rawConnect, rawRequest, statusLines } from "./_support/server_raw.ts";
import { delay, within, withServer } from "./_support/server_util.ts";
import { TRANSPORTS } from "./_support/transports.ts";

for (const { name, options } of TRANSPORTS) {
  test(`${name}: serve() reads a request body only as fast as the handler consumes it`, async () => {
    const total = 32 * 1024 * 1024;
    let startReading: () => void = () => {};
    const mayRead = new Promise<void>((resolve) => (startReading = resolve));
    await withServer(
      async (request) => {
        await within(mayRead, 10_000, "the go-ahead");
        let size = 0;
        const reader = request.body!.getReader();
        for (;;) {
          const { done, value } = await reader.read();
          if (done) break;
          size += value.byteLength;
        }
        return new Response(String(size));
      },
      options,
      async (_server, port) => {
        const socket = net.connect(port, "127.0.0.1");
        try {
          await new Promise((resolve, reject) => {
            socket.once("connect", resolve);
            socket.once("error", reject);
          });
          let reply = "";
          socket.on("data", (chunk: Buffer) => (reply += chunk.toString("latin1")));
          socket.write(`POST / HTTP/1.1\r\nHost: x\r\nContent-Length: ${total}\r\n\r\n`);
          const chunk = Buffer.alloc(1024 * 1024, 0x61);
          for (let sent = 0; sent < total; sent += chunk.byteLength) socket.write(chunk);
          await delay(300);
          // Kernel buffers on loopback hold a few MiB at most; the rest must
          // still be waiting on our side while the handler does not read.
          assert.ok(
            socket.writableLength > total / 2,
            `the server took ${total - socket.writableLength} bytes before the handler read any`,
          );
          startReading();
          const deadline = Date.now() + 15_000;
          while (!reply.endsWith(String(total)) && Date.now() < deadline) await delay(20);
          assert.match(reply, new RegExp(`^HTTP/1\\.1 200 OK[\\s\\S]*\\r\\n\\r\\n${total}$`));
        } finally {
          socket.destroy();
        }
      },
    );
  });
}

for (const { name, options } of TRANSPORTS) {
  test(`${name}: serve() drains a body the handler cancelled and serves the next request`, async () => {
    await withServer(
      async (request) => {
        if (request.body !== null) {
          const reader = request.body.getReader();
          await reader.read();
          await reader.cancel();
        }
        return new Response(new URL(request.url).pathname);
      },
      options,
      async (_server, port) => {
        const body = "x".repeat(100_000);
        const requests =
          `POST /upload HTTP/1.1\r\nHost: x\r\nContent-Length: ${body.length}\r\n\r\n${body}` +
          "GET /next HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n";
        const result = await rawRequest(port, requests, { timeoutMs: 10_000 });
        assert.deepEqual(statusLines(result.text), ["HTTP/1.1 200 OK", "HTTP/1.1 200 OK"]);
        assert.match(result.text, /\/upload[\s\S]*\/next$/);
      },
    );
  });
}

for (const { name, options } of TRANSPORTS) {
  test(`${name}: serve() errors the body stream and answers 400 when a chunked body is malformed`, async () => {
    let bodyError: unknown;
    await withServer(
      async (request) => {
        try {
          await request.text();
        } catch (error) {
          bodyError = error;
          throw error;
        }
        return new Response("unexpected");
      },
      options,
      async (_server, port) => {
        const result = await rawRequest(
          port,
          "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\nzz\r\n\r\n",
        );
        assert.match(result.text, /^HTTP\/1\.1 400 /);
        assert.equal(result.closed, true);
      },
    );
    assert.ok(bodyError instanceof Error, String(bodyError));
  });
}

for (const { name, options } of TRANSPORTS) {
  test(`${name}: serve() answers 408 and aborts the request when a body stalls past bodyTimeout`, async () => {
    let readError: unknown;
    let signalAborted = false;
    await withServer(
      async (request) => {
        request.signal.addEventListener("abort", () => (signalAborted = true));
        try {
          await request.arrayBuffer();
        } catch (error) {
          readError = error;
          throw error;
        }
        return new Response("unexpected");
      },
      { ...options, limits: { bodyTimeout: 200 } },
      async (_server, port) => {
        const result = await rawRequest(
          port,
          "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\nabc",
          { timeoutMs: 5_000 },
        );
        assert.match(result.text, /^HTTP\/1\.1 408 /);
        assert.match(result.text, /connection: close/i);
        assert.equal(result.closed, true);
        assert.equal(result.timedOut, false);
      },
    );
    assert.ok(readError instanceof Error, String(readError));
    assert.equal(signalAborted, true);
  });
}

for (const { name, options } of TRANSPORTS) {
  test(`${name}: serve() closes a connection whose unread body stalls after the response`, async () => {
    await withServer(
      () => new Response("early"),
      { ...options, limits: { bodyTimeout: 200 } },
      async (_s, port) => {
        const result = await rawRequest(
          port,
          "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\nabc",
          { timeoutMs: 5_000 },
        );
        assert.deepEqual(statusLines(result.text), ["HTTP/1.1 200 OK"]);
        assert.match(result.text, /early$/);
        assert.equal(result.closed, true);
        assert.equal(result.timedOut, false);
      },
    );
  });
}

for (const { name, options } of TRANSPORTS) {
  test(`${name}: serve() sends 100 Continue when the response streams the request body back (echo)`, async () => {
    await withServer((request) => new Response(request.body), options, async (_server, port) => {
      const connection = await rawConnect(port);
      try {
        connection.write(
          "PUT /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nExpect: 100-continue\r\n\r\n",
        );
        // A client that honours Expect waits for the 100 before sending the body.
        const head = await connection.read((text) => text.includes("100 Continue"), 3_000);
        assert.match(head, /^HTTP\/1\.1 100 Continue\r\n\r\n/, "the 100 comes first");
        connection.write("hello");
        const text = await connection.read((all) => /\r\n0\r\n\r\n$|\r\n\r\nhello$/.test(all));
        assert.match(text, /HTTP\/1\.1 200 OK\r\n/);
        assert.match(text, /hello/);
      } finally {
        connection.destroy();
      }
    });
  });
}
