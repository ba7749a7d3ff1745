/**
 * serve() options and request details on every transport
 * (tests/_support/transports.ts): onListen, the handler's info, request URLs,
 * per-connection request limits; and adapter selection.
 */

import { test } from "node:test";
import assert from "node:assert/strict";
import { serve } from "../server.ts";
import type { ServeHandlerInfo, SocketAddress } from "../server.ts";
import { rawRequest, statusLines } from "./_support/server_raw.ts";
import { RUNTIME, withServer } from "./_support/server_util.ts";
import { bunNodeHttpGap, TRANSPORTS } from "./_support/transports.ts";

for (const { name, options } of TRANSPORTS) {
  test(`${name}: serve() calls onListen with the bound address and reports its URL`, async () => {
    let listened: SocketAddress | undefined;
    const server = await serve(() => new Response("x"), {
      ...options,
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
      assert.equal(server.adapter, options.adapter);
    } finally {
      await server.close();
    }
  });
}

for (const { name, options } of TRANSPORTS) {
  test(`${name}: serve() gives the handler the client's address and a completed promise`, async () => {
    let info: ServeHandlerInfo | undefined;
    let completed = false;
    await withServer(
      (_request, handlerInfo) => {
        info = handlerInfo;
        void handlerInfo.completed.then(() => (completed = true));
        return new Response("x");
      },
      options,
      async (_server, port) => {
        await rawRequest(port, "GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
        assert.equal(info?.remoteAddr.transport, "tcp");
        assert.equal(info?.remoteAddr.transport === "tcp" && info.remoteAddr.hostname, "127.0.0.1");
        await info!.completed;
        assert.equal(completed, true);
      },
    );
  });
}

for (const { name, options } of TRANSPORTS) {
  test(`${name}: serve() builds request URLs from Host, the absolute form and the scheme`, {
    skip: bunNodeHttpGap(name, "answers OPTIONS * with 400"),
  }, async () => {
    const seen: string[] = [];
    await withServer(
      (request) => {
        seen.push(`${request.method} ${request.url}`);
        return new Response("x");
      },
      options,
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
}

for (const { name, options } of TRANSPORTS) {
  test(`${name}: serve() answers 400 for a Host that is not a host and 501 for CONNECT`, async () => {
    let called = 0;
    await withServer(
      () => {
        called++;
        return new Response("x");
      },
      options,
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
}

for (const { name, options } of TRANSPORTS) {
  test(`${name}: serve() closes a connection after maxRequestsPerConnection`, async () => {
    await withServer(
      () => new Response("x"),
      { ...options, limits: { maxRequestsPerConnection: 2 } },
      async (_s, port) => {
        const requests = "GET /1 HTTP/1.1\r\nHost: x\r\n\r\n".repeat(3);
        const result = await rawRequest(port, requests);
        assert.deepEqual(statusLines(result.text), ["HTTP/1.1 200 OK", "HTTP/1.1 200 OK"]);
        assert.match(result.text, /connection: close/i);
        assert.equal(result.closed, true);
      },
    );
  });
}

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
