/**
 * Response framing on every transport (tests/_support/transports.ts): HTTP/1.0
 * keep-alive and close-delimited bodies, declared lengths honoured and
 * checked, 204/304, and fields the server owns.
 */

import { test } from "node:test";
import assert from "node:assert/strict";
import process from "node:process";
import { rawRequest, statusLines } from "./_support/server_raw.ts";
import { RUNTIME, withServer } from "./_support/server_util.ts";
import { bunNodeHttpGap, TRANSPORTS } from "./_support/transports.ts";

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

for (const { name, options } of TRANSPORTS) {
  test(`${name}: serve() keeps an HTTP/1.0 connection alive only when asked`, {
    skip: bunNodeHttpGap(name, "does not keep an HTTP/1.0 connection alive"),
  }, async () => {
    await withServer(() => new Response("ten"), options, async (_server, port) => {
      const asked = await rawRequest(
        port,
        "GET /1 HTTP/1.0\r\nConnection: keep-alive\r\n\r\nGET /2 HTTP/1.0\r\n\r\n",
      );
      assert.deepEqual(statusLines(asked.text), ["HTTP/1.1 200 OK", "HTTP/1.1 200 OK"]);
      assert.match(asked.text, /connection: keep-alive/i);
      assert.equal(asked.closed, true);
      const plain = await rawRequest(port, "GET / HTTP/1.0\r\n\r\nGET /ignored HTTP/1.0\r\n\r\n");
      assert.deepEqual(statusLines(plain.text), ["HTTP/1.1 200 OK"]);
      assert.equal(plain.closed, true);
    });
  });
}

for (const { name, options } of TRANSPORTS) {
  test(`${name}: serve() ends a streamed body to an HTTP/1.0 client by closing`, async () => {
    await withServer(
      () => new Response(streamOf("a", "b", "c")),
      options,
      async (_server, port) => {
        const result = await rawRequest(port, "GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n");
        assert.doesNotMatch(result.text, /transfer-encoding/i);
        assert.doesNotMatch(result.text, /content-length/i);
        assert.match(result.text, /\r\n\r\nabc$/);
        assert.equal(result.closed, true);
      },
    );
  });
}

for (const { name, options } of TRANSPORTS) {
  test(`${name}: serve() honours a declared Content-Length on a stream and cuts a body that breaks it`, async () => {
    await withServer(
      (request) => {
        const tooLong = request.url.endsWith("/long");
        return new Response(streamOf("ab", "cd", tooLong ? "ef" : ""), {
          headers: { "content-length": "4" },
        });
      },
      options,
      async (_server, port) => {
        const good = await rawRequest(
          port,
          "GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
        );
        assert.match(good.text, /content-length: 4\r\n/i);
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
}

for (const { name, options } of TRANSPORTS) {
  test(`${name}: serve() sends 204 and 304 without a body and replaces framing fields`, async () => {
    await withServer(
      (request) => {
        if (request.url.endsWith("/204")) return new Response(null, { status: 204 });
        if (request.url.endsWith("/304")) {
          return new Response(null, { status: 304, headers: { etag: '"v1"' } });
        }
        return new Response("body", {
          headers: {
            connection: "upgrade",
            "transfer-encoding": "gzip",
            "keep-alive": "timeout=1",
          },
        });
      },
      options,
      async (_server, port) => {
        const requests =
          "GET /204 HTTP/1.1\r\nHost: x\r\n\r\nGET /304 HTTP/1.1\r\nHost: x\r\n\r\n" +
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
        assert.doesNotMatch(notModified!, /content-length: 0/i);
        assert.doesNotMatch(own!, /upgrade|gzip|keep-alive/i);
        assert.match(own!, /content-length: 4\r\n/i);
        assert.match(own!, /\r\n\r\nbody$/);
      },
    );
  });
}

for (const { name, options } of TRANSPORTS) {
  test(`${name}: serve() answers 500 when the handler returns something other than a Response`, async () => {
    const errors: unknown[] = [];
    // deno-lint-ignore no-explicit-any
    await withServer((() => "not a response") as any, {
      ...options,
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
}

// Around the 64 KiB the server collects before it writes a head, and far beyond.
const FULL_BODY_SIZES = [65_535, 65_536, 65_537, 131_072, 1_048_576];
// Bun yields bytes as 16 KiB, then 2 MiB chunks: 16 MiB takes 9 reads.
const LARGE_BODY_SIZE = 16 * 1024 * 1024;
// Node 24 and later (undici 7) read a Blob asynchronously, after the head
// must be decided: a Blob body is streamed there, whatever its size.
const BLOB_READ_LATE = RUNTIME === "node" &&
  Number(process.versions.node?.split(".")[0] ?? "0") >= 24;

/** A body of `size` bytes, byte i being i % 251, in each form a handler may give. */
function fullBody(kind: string, size: number): BodyInit {
  const bytes = new Uint8Array(size);
  for (let i = 0; i < size; i++) bytes[i] = i % 251;
  switch (kind) {
    case "Uint8Array":
      return bytes;
    case "ArrayBuffer":
      return bytes.buffer;
    case "view": {
      // A subarray of a larger buffer, as a parser or a slice would hand it.
      const larger = new Uint8Array(size + 16);
      larger.set(bytes, 7);
      return larger.subarray(7, 7 + size);
    }
    case "Blob":
      return new Blob([bytes.subarray(0, size >> 1), bytes.subarray(size >> 1)]);
    default:
      return "x".repeat(size);
  }
}

/** Splits a raw response into its head and its body. */
function headAndBody(text: string): { head: string; body: string } {
  const end = text.indexOf("\r\n\r\n");
  assert.ok(end > 0, `no complete head in ${JSON.stringify(text.slice(0, 200))}`);
  return { head: text.slice(0, end + 2), body: text.slice(end + 4) };
}

for (const { name, options } of TRANSPORTS) {
  test(`${name}: serve() sends a body given in full with Content-Length at any size`, async () => {
    const kinds = ["Uint8Array", "ArrayBuffer", "view", "string", "Blob"];
    await withServer(
      (request) => {
        const url = new URL(request.url);
        return new Response(
          fullBody(url.searchParams.get("kind")!, Number(url.searchParams.get("size"))),
        );
      },
      options,
      async (_server, port) => {
        for (const kind of kinds) {
          const sizes = kind === "Uint8Array"
            ? [...FULL_BODY_SIZES, LARGE_BODY_SIZE]
            : FULL_BODY_SIZES;
          for (const size of sizes) {
            const what = `${kind} of ${size} bytes`;
            const { text, closed } = await rawRequest(
              port,
              `GET /?kind=${kind}&size=${size} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`,
              { timeoutMs: 10_000 },
            );
            assert.ok(closed, `${what}: the connection was not closed after the response`);
            const { head, body } = headAndBody(text);
            if (kind === "Blob" && BLOB_READ_LATE) {
              assert.match(head, /\r\ntransfer-encoding: chunked\r\n/i, what);
              continue;
            }
            assert.match(head, new RegExp(`\r\ncontent-length: ${size}\r\n`, "i"), what);
            assert.doesNotMatch(head, /transfer-encoding/i, what);
            assert.equal(body.length, size, `${what}: body length on the wire`);
            if (kind !== "string") {
              for (const at of [0, 65_535, 65_536, size - 1]) {
                if (at < size) assert.equal(body.charCodeAt(at), at % 251, `${what}: byte ${at}`);
              }
            }
          }
        }
      },
    );
  });
}

for (const { name, options } of TRANSPORTS) {
  test(`${name}: serve() streams a body whose producer is always ready, without reading it all first`, async () => {
    // 64 MiB of references to one 64 KiB chunk: a server that read every
    // ready chunk to learn the length would answer with content-length: 67108864.
    const chunk = new Uint8Array(64 * 1024).fill(0x61);
    const total = 1024;
    let produced = 0;
    await withServer(
      () =>
        new Response(
          new ReadableStream<Uint8Array>({
            pull(controller) {
              if (produced === total) controller.close();
              else {
                produced++;
                controller.enqueue(chunk);
              }
            },
          }, { highWaterMark: 0 }),
        ),
      options,
      async (_server, port) => {
        const { text, timedOut } = await rawRequest(
          port,
          "GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
          { timeoutMs: 10_000, until: (received) => received.includes("\r\n\r\n") },
        );
        assert.equal(timedOut, false);
        const { head } = headAndBody(text);
        assert.match(head, /\r\ntransfer-encoding: chunked\r\n/i);
        assert.doesNotMatch(head, /content-length/i);
      },
    );
  });
}
