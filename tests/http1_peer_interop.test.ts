/**
 * Interop gaps found against llhttp's test suite and other peers (issue 12,
 * item 6), end to end: our fetch against raw-byte servers on 127.0.0.1, and
 * raw bytes against our server. The byte-level cases are in
 * http1_request_parser.test.ts and http1_response_parser.test.ts.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { fetch, FetchError } from "../client.ts";
import type { InformationalResponse } from "../client.ts";
import { startRawServer } from "./_support/raw_server.ts";
import { rawRequest } from "./_support/server_raw.ts";
import { withServer } from "./_support/server_util.ts";

/** Serves `reply` to every request on a fresh raw server and runs `body`. */
async function withReply<T>(reply: string, body: (url: string) => Promise<T>): Promise<T> {
  const server = await startRawServer(async (peer) => {
    await peer.readHead();
    peer.write(reply);
  });
  try {
    return await body(server.url);
  } finally {
    await server.close();
  }
}

test("fetch() reads the final response after an empty line that follows a 100 (aiohttp)", async () => {
  // From llhttp's test/response/connection.md, captured from aiohttp.
  const reply = "HTTP/1.1 100 Continue\r\n\r\n\r\nHTTP/1.1 404 Not Found\r\n" +
    "Content-Type: text/plain; charset=utf-8\r\nContent-Length: 14\r\n" +
    "Server: Python/3.10 aiohttp/4.0.0a2.dev0\r\n\r\n404: Not Found";
  await withReply(reply, async (url) => {
    const seen: InformationalResponse[] = [];
    const response = await fetch(url, { onInformational: (info) => seen.push(info) });
    assert.deepEqual(seen.map((info) => info.status), [100]);
    assert.equal(response.status, 404);
    assert.equal(await response.text(), "404: Not Found");
  });
});

test("fetch() refuses a reply that is only empty lines past the bound", async () => {
  await withReply(
    `${"\r\n".repeat(8)}HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n`,
    async (url) => {
      await assert.rejects(fetch(url), (error) => {
        assert.ok(error instanceof FetchError, String(error));
        assert.equal(error.code, "BAD_SYNTAX");
        return true;
      });
    },
  );
});

test("fetch() replaces obs-fold in response fields with SP (RFC 9112 section 5.2)", async () => {
  const reply = "HTTP/1.1 103 Early Hints\r\nLink: </a.css>;\r\n rel=preload\r\n\r\n" +
    "HTTP/1.1 200 OK\r\nX-A: one  \r\n \t two\r\nContent-Length: 2\r\n\r\nok";
  await withReply(reply, async (url) => {
    const links: Array<string | null> = [];
    const response = await fetch(url, {
      onInformational: (info) => {
        links.push(info.headers.get("link"));
      },
    });
    assert.deepEqual(links, ["</a.css>; rel=preload"]);
    assert.equal(response.status, 200);
    assert.equal(response.headers.get("x-a"), "one two");
    assert.equal(await response.text(), "ok");
  });
});

test("fetch() resolves a valid head whose chunked body then fails, and fails the body", async () => {
  const head = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nX-Head: yes\r\n\r\n";
  // The bad chunk-size line arrives with the head, after some data, or alone.
  for (const body of ["fffffffffffffffffffff\r\n", "2\r\nok\r\n1000000000000000\r\n", "zz\r\n"]) {
    await withReply(head + body, async (url) => {
      const response = await fetch(url);
      assert.equal(response.status, 200);
      assert.equal(response.headers.get("x-head"), "yes");
      await assert.rejects(response.text(), (error) => {
        assert.ok(error instanceof FetchError, String(error));
        assert.equal(error.code, "INVALID_CHUNK", JSON.stringify(body));
        return true;
      });
    });
  }
});

test("fetch() resolves a 205 whose unread body fails to parse, with a null body", async () => {
  const reply = "HTTP/1.1 205 Reset Content\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n";
  await withReply(reply, async (url) => {
    const response = await fetch(url);
    assert.equal(response.status, 205);
    assert.equal(response.body, null);
  });
});

test("serve() accepts a request with 1000 header fields, as node:http, Go and h11 do", async () => {
  let fields = "";
  for (let i = 0; i < 999; i++) fields += `X-Field-${i}: v${i}\r\n`;
  let count = -1;
  await withServer(
    (request) => {
      count = [...request.headers].length;
      return new Response("ok");
    },
    {},
    async (_server, port) => {
      const result = await rawRequest(
        port,
        `GET / HTTP/1.1\r\nHost: x\r\n${fields}Connection: close\r\n\r\n`,
      );
      assert.match(result.text, /^HTTP\/1\.1 200 /);
    },
  );
  // 999 + Host + Connection; Headers joins nothing here, every name differs.
  assert.equal(count, 1001);
});

test("serve() answers 400 to a CONNECT with content and never reads it as a request", async () => {
  const seen: string[] = [];
  await withServer(
    (request) => {
      seen.push(new URL(request.url).pathname);
      return new Response("ok");
    },
    {},
    async (_server, port) => {
      const smuggle = "GET /smuggled HTTP/1.1\r\nHost: x\r\n\r\n";
      const result = await rawRequest(
        port,
        "CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n" +
          `Content-Length: ${smuggle.length}\r\n\r\n${smuggle}`,
      );
      assert.match(result.text, /^HTTP\/1\.1 400 /);
      assert.equal(result.text.match(/HTTP\/1\.1 /g)?.length, 1, result.text);
      assert.equal(result.closed, true);
      // Without content, CONNECT is still refused as a method fetch cannot carry.
      const plain = await rawRequest(
        port,
        "CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\nContent-Length: 0\r\n\r\n",
      );
      assert.match(plain.text, /^HTTP\/1\.1 501 /);
    },
  );
  assert.deepEqual(seen, []);
});
