/**
 * serve() options and request details on the engine adapter of the current
 * runtime: onListen, the handler's info, request URLs, per-connection
 * request limits, adapter selection and HTTPS on the node-http adapter.
 */

import { test } from "node:test";
import assert from "node:assert/strict";
import { readFile } from "node:fs/promises";
import path from "node:path";
import tls from "node:tls";
import { sendInformational, serve } from "../server.ts";
import type { ServeHandlerInfo, SocketAddress } from "../server.ts";
import { rawRequest, statusLines } from "./_support/server_raw.ts";
import { ENGINE_ADAPTER, RUNTIME, withServer } from "./_support/server_util.ts";

test("serve() calls onListen with the bound address and reports its URL", async () => {
  let listened: SocketAddress | undefined;
  const server = await serve(() => new Response("x"), {
    hostname: "127.0.0.1",
    port: 0,
    onListen: (addr) => (listened = addr),
  });
  try {
    assert.equal(listened?.transport, "tcp");
    assert.deepEqual(listened, server.addr);
    const port = server.addr.transport === "tcp" ? server.addr.port : -1;
    assert.ok(port > 0);
    assert.equal(server.url, `http://127.0.0.1:${port}`);
    assert.equal(server.adapter, ENGINE_ADAPTER);
  } finally {
    await server.close();
  }
});

test("serve() gives the handler the client's address and a completed promise", async () => {
  let info: ServeHandlerInfo | undefined;
  let completed = false;
  await withServer(
    (_request, handlerInfo) => {
      info = handlerInfo;
      void handlerInfo.completed.then(() => (completed = true));
      return new Response("x");
    },
    {},
    async (_server, port) => {
      await rawRequest(port, "GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
      assert.equal(info?.remoteAddr.transport, "tcp");
      assert.equal(info?.remoteAddr.transport === "tcp" && info.remoteAddr.hostname, "127.0.0.1");
      await info!.completed;
      assert.equal(completed, true);
    },
  );
});

test("serve() builds request URLs from Host, the absolute form and the scheme", async () => {
  const seen: string[] = [];
  await withServer(
    (request) => {
      seen.push(`${request.method} ${request.url}`);
      return new Response("x");
    },
    {},
    async (_server, port) => {
      const requests = "GET /a?b=1 HTTP/1.1\r\nHost: example.com:8080\r\n\r\n" +
        "GET http://other.example/abs HTTP/1.1\r\nHost: ignored\r\n\r\n" +
        "OPTIONS * HTTP/1.1\r\nHost: example.com\r\n\r\n" +
        "DELETE /d HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n";
      const { text } = await rawRequest(port, requests);
      assert.equal(statusLines(text).length, 4);
    },
  );
  assert.deepEqual(seen, [
    "GET http://example.com:8080/a?b=1",
    "GET http://other.example/abs",
    "OPTIONS http://example.com/*",
    "DELETE http://h/d",
  ]);
});

test("serve() answers 400 for a Host that is not a host and 501 for CONNECT", async () => {
  let called = 0;
  await withServer(
    () => {
      called++;
      return new Response("x");
    },
    {},
    async (_server, port) => {
      const badHost = await rawRequest(port, "GET / HTTP/1.1\r\nHost: a/b@c\r\n\r\n");
      assert.match(badHost.text, /^HTTP\/1\.1 400 /);
      assert.equal(badHost.closed, true);
      const connect = await rawRequest(
        port,
        "CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n",
      );
      assert.match(connect.text, /^HTTP\/1\.1 501 /);
    },
  );
  assert.equal(called, 0);
});

test("serve() closes a connection after maxRequestsPerConnection", async () => {
  await withServer(
    () => new Response("x"),
    { limits: { maxRequestsPerConnection: 2 } },
    async (_s, port) => {
      const requests = "GET /1 HTTP/1.1\r\nHost: x\r\n\r\n".repeat(3);
      const result = await rawRequest(port, requests);
      assert.deepEqual(statusLines(result.text), ["HTTP/1.1 200 OK", "HTTP/1.1 200 OK"]);
      assert.match(result.text, /connection: close/);
      assert.equal(result.closed, true);
    },
  );
});

test("serve() refuses an unknown adapter and a bad limit", async () => {
  // deno-lint-ignore no-explicit-any
  await assert.rejects(serve(() => new Response(), { port: 0, adapter: "nope" as any }), TypeError);
  // An adapter of another runtime says so, rather than failing to bind.
  const foreign = RUNTIME === "deno" ? "bun" : "deno";
  await assert.rejects(
    serve(() => new Response(), { port: 0, adapter: foreign }),
    (error: Error) =>
      error instanceof TypeError && error.message.includes(`"${foreign}" adapter runs only on`),
  );
  await assert.rejects(
    serve(() => new Response(), { port: 0, limits: { idleTimeout: -1 } }),
    RangeError,
  );
});

test("node-http serves HTTPS with interim responses", async () => {
  const fixtures = path.join(path.dirname(new URL(import.meta.url).pathname), "fixtures", "tls");
  const cert = await readFile(path.join(fixtures, "test-server-cert.pem"), "utf8");
  const key = await readFile(path.join(fixtures, "test-server-key.pem"), "utf8");
  const ca = await readFile(path.join(fixtures, "test-ca-cert.pem"), "utf8");
  await withServer(
    (request) => {
      sendInformational(request, 103, { "x-pod-name": "daemon-0" });
      return new Response(new URL(request.url).protocol);
    },
    { cert, key, adapter: "node-http" },
    async (server, port) => {
      assert.match(server.url, /^https:\/\//);
      const text = await new Promise<string>((resolve, reject) => {
        const socket = tls.connect({ host: "127.0.0.1", port, ca, servername: "localhost" });
        let received = "";
        const timer = setTimeout(() => {
          socket.destroy();
          reject(new Error("TLS exchange timed out"));
        }, 5_000);
        socket.on("secureConnect", () => {
          socket.write("GET / HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n");
        });
        socket.on("data", (chunk: Buffer) => (received += chunk.toString("latin1")));
        socket.on("close", () => {
          clearTimeout(timer);
          resolve(received);
        });
        socket.on("error", (error) => {
          clearTimeout(timer);
          reject(error);
        });
      });
      assert.deepEqual(statusLines(text), ["HTTP/1.1 103 Early Hints", "HTTP/1.1 200 OK"]);
      assert.match(text, /x-pod-name: daemon-0/);
      assert.match(text, /https:$/);
    },
  );
});
