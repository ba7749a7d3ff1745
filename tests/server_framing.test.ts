/**
 * Response framing on the engine adapter of the current runtime: HTTP/1.0
 * keep-alive and close-delimited bodies, declared lengths honoured and
 * checked, 204/304, and fields the server owns.
 */

import { test } from "node:test";
import assert from "node:assert/strict";
import { rawRequest, statusLines } from "./_support/server_raw.ts";
import { withServer } from "./_support/server_util.ts";

function streamOf(...parts: string[]): ReadableStream<Uint8Array> {
  const encoder = new TextEncoder();
  let index = 0;
  return new ReadableStream({
    async pull(controller) {
      await new Promise((resolve) => setTimeout(resolve, 5));
      if (index < parts.length) controller.enqueue(encoder.encode(parts[index++]));
      else controller.close();
    },
  });
}

test("serve() keeps an HTTP/1.0 connection alive only when asked", async () => {
  await withServer(() => new Response("ten"), {}, async (_server, port) => {
    const asked = await rawRequest(
      port,
      "GET /1 HTTP/1.0\r\nConnection: keep-alive\r\n\r\nGET /2 HTTP/1.0\r\n\r\n",
    );
    assert.deepEqual(statusLines(asked.text), ["HTTP/1.1 200 OK", "HTTP/1.1 200 OK"]);
    assert.match(asked.text, /connection: keep-alive/);
    assert.equal(asked.closed, true);
    const plain = await rawRequest(port, "GET / HTTP/1.0\r\n\r\nGET /ignored HTTP/1.0\r\n\r\n");
    assert.deepEqual(statusLines(plain.text), ["HTTP/1.1 200 OK"]);
    assert.equal(plain.closed, true);
  });
});

test("serve() ends a streamed body to an HTTP/1.0 client by closing", async () => {
  await withServer(() => new Response(streamOf("a", "b", "c")), {}, async (_server, port) => {
    const result = await rawRequest(port, "GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n");
    assert.doesNotMatch(result.text, /transfer-encoding/i);
    assert.doesNotMatch(result.text, /content-length/i);
    assert.match(result.text, /\r\n\r\nabc$/);
    assert.equal(result.closed, true);
  });
});

test("serve() honours a declared Content-Length on a stream and cuts a body that breaks it", async () => {
  await withServer(
    (request) => {
      const tooLong = request.url.endsWith("/long");
      return new Response(streamOf("ab", "cd", tooLong ? "ef" : ""), {
        headers: { "content-length": "4" },
      });
    },
    {},
    async (_server, port) => {
      const good = await rawRequest(port, "GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
      assert.match(good.text, /content-length: 4\r\n/);
      assert.doesNotMatch(good.text, /transfer-encoding/i);
      assert.match(good.text, /\r\n\r\nabcd$/);
      const bad = await rawRequest(port, "GET /long HTTP/1.1\r\nHost: x\r\n\r\n");
      // The head is out, so the only honest signal is a closed connection
      // before anything beyond the declared length.
      assert.equal(bad.closed, true);
      assert.doesNotMatch(bad.text, /ef/);
    },
  );
});

test("serve() sends 204 and 304 without a body and replaces framing fields", async () => {
  await withServer(
    (request) => {
      if (request.url.endsWith("/204")) return new Response(null, { status: 204 });
      if (request.url.endsWith("/304")) {
        return new Response(null, { status: 304, headers: { etag: '"v1"' } });
      }
      return new Response("body", {
        headers: { connection: "upgrade", "transfer-encoding": "gzip", "keep-alive": "timeout=1" },
      });
    },
    {},
    async (_server, port) => {
      const requests = "GET /204 HTTP/1.1\r\nHost: x\r\n\r\nGET /304 HTTP/1.1\r\nHost: x\r\n\r\n" +
        "GET /own HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n";
      const { text } = await rawRequest(port, requests);
      assert.deepEqual(statusLines(text), [
        "HTTP/1.1 204 No Content",
        "HTTP/1.1 304 Not Modified",
        "HTTP/1.1 200 OK",
      ]);
      const [noContent, notModified, own] = text.split(/(?=HTTP\/1\.1 )/);
      assert.doesNotMatch(noContent!, /content-length|transfer-encoding/i);
      assert.match(notModified!, /etag: "v1"\r\n/);
      assert.doesNotMatch(notModified!, /content-length: 0/);
      assert.doesNotMatch(own!, /upgrade|gzip|keep-alive/i);
      assert.match(own!, /content-length: 4\r\n/);
      assert.match(own!, /\r\n\r\nbody$/);
    },
  );
});

test("serve() answers 500 when the handler returns something other than a Response", async () => {
  const errors: unknown[] = [];
  // deno-lint-ignore no-explicit-any
  await withServer((() => "not a response") as any, {
    onError: (error) => errors.push(error),
  }, async (_server, port) => {
    const { text } = await rawRequest(
      port,
      "GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
    );
    assert.match(text, /^HTTP\/1\.1 500 /);
  });
  assert.ok(errors[0] instanceof TypeError);
});
