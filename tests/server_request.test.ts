/**
 * The `Request` a handler receives: its URL is the one `new Request()` would
 * serialise from the same target and Host (checked against the runtime's URL
 * parser for generated targets), its method is normalised like Fetch's, and
 * it behaves as a real `Request` everywhere one is taken: `new Request(r)`,
 * `new Request(r, init)`, `clone()`, body readers, and `fetch(r)` to a real
 * peer. On Node and Deno it is built lazily (src/server/lazy_request.ts);
 * these tests hold whichever way the runtime builds it.
 */

import { test } from "node:test";
import assert from "node:assert/strict";
import http from "node:http";
import fc from "fast-check";
import { RequestUrls } from "../src/server/request_url.ts";
import { lazyRequestsWork } from "../src/server/lazy_request.ts";
import { rawRequest, statusLines } from "./_support/server_raw.ts";
import { RUNTIME, within, withServer } from "./_support/server_util.ts";

/** What the runtime's own `Request` makes of the same URL text. */
function runtimeUrl(text: string): string | undefined {
  try {
    return new Request(text).url;
  } catch {
    return undefined;
  }
}

function head(target: string, host: string | undefined) {
  return {
    method: "GET",
    target,
    minorVersion: 1,
    headers: host === undefined ? [] : [["host", host]],
  } as never;
}

test("request URLs equal the runtime's own Request.url for the same target and Host", () => {
  const targets = [
    "/",
    "/a/b?c=d&e",
    "/./a",
    "/a/../b",
    "/a/%2e%2E/b",
    "/.well-known/x",
    "/a b",
    "/a\"b'c<d>e`f{g}h|i^j\\k",
    "/a?q='x'&y=\"z\"",
    "/a#frag",
    "/%zz/%41",
    "//double/slash",
    "/a?/./b/../c",
    "*",
    "http://Other.Example:80/p/../q",
    "https://x.example/",
    "ftp://x/",
  ];
  const hosts = [
    "example.com",
    "EXAMPLE.com:80",
    "example.com:8080",
    "example.com:",
    "127.1",
    "0x7f.0.0.1:0080",
    "[::1]:8080",
    "[0:0::1]",
    "a%41b",
    "bad host",
    "user@host",
    "host:99999",
  ];
  for (const host of hosts) {
    const urls = new RequestUrls("http", "default.example");
    for (const target of targets) {
      // The parser never hands over a target with a space or control byte.
      if (target.includes(" ")) continue;
      const ours = urls.of(head(target, host));
      if (ours === undefined) continue; // refused (400): checked below
      const expected = target.startsWith("/") || target === "*"
        ? runtimeUrl(`http://${host}${target === "*" ? "/*" : target}`)
        : runtimeUrl(target);
      assert.equal(ours, expected, `${host} ${target}`);
    }
  }
  const urls = new RequestUrls("http", "default.example");
  assert.equal(urls.of(head("/x", "bad host")), undefined);
  assert.equal(urls.of(head("/x", "user@host")), undefined);
  assert.equal(urls.of(head("/x", "host:99999")), undefined);
  assert.equal(urls.of(head("x", "host")), undefined);
  assert.equal(urls.of(head("/x", undefined)), "http://default.example/x");
});

test("request URLs match the runtime's URL parser for generated targets (property)", () => {
  // Visible ASCII, as the request parser admits, weighted toward the
  // characters that decide between the fast path and the parser.
  const char = fc.oneof(
    fc.constantFrom("/", ".", "%", "2", "e", "E", "?", "#", "'", "\\", "a", "Z", "~", "^"),
    fc.integer({ min: 0x21, max: 0x7e }).map((code) => String.fromCharCode(code)),
  );
  const target = fc.array(char, { maxLength: 24 }).map((chars) => "/" + chars.join(""));
  const host = fc.constantFrom("example.com", "EXAMPLE.COM:80", "127.0.0.1:3000", "[::1]");
  fc.assert(
    fc.property(target, host, (path, hostField) => {
      const ours = new RequestUrls("http", "d").of(head(path, hostField));
      assert.equal(ours, runtimeUrl(`http://${hostField}${path}`), `${hostField} ${path}`);
    }),
    { numRuns: 3000 },
  );
});

test("the handler's request behaves as a real Request: copies, clones, bodies, fetch", async () => {
  // A real peer for fetch(request): node:http echoes what it received.
  const echo = http.createServer((incoming, outgoing) => {
    const chunks: Buffer[] = [];
    incoming.on("data", (chunk: Buffer) => chunks.push(chunk));
    incoming.on("end", () => {
      outgoing.setHeader("content-type", "application/json");
      outgoing.end(JSON.stringify({
        method: incoming.method,
        url: incoming.url,
        probe: incoming.headers["x-probe"],
        body: Buffer.concat(chunks).toString(),
      }));
    });
  });
  await new Promise<void>((resolve) => echo.listen(0, "127.0.0.1", resolve));
  const echoPort = (echo.address() as { port: number }).port;
  const seen: Record<string, unknown>[] = [];
  try {
    await withServer(
      async (request) => {
        const url = new URL(request.url);
        const facts: Record<string, unknown> = {
          isRequest: request instanceof Request,
          tag: Object.prototype.toString.call(request),
          // The runtime's own accessor accepts it (brand checks pass).
          urlByAccessor: Object.getOwnPropertyDescriptor(Request.prototype, "url")!.get!.call(
            request,
          ),
          method: request.method,
          url: request.url,
          probe: request.headers.get("x-probe"),
          bodyUsedBefore: request.bodyUsed,
        };
        if (url.pathname === "/copy") {
          const copy = new Request(request);
          facts.copy = [copy.method, copy.url, copy.headers.get("x-probe"), await copy.text()];
          facts.bodyUsedAfter = request.bodyUsed;
        } else if (url.pathname === "/override") {
          const changed = new Request(request, { method: "PUT", body: "replaced" });
          facts.copy = [
            changed.method,
            changed.url,
            changed.headers.get("x-probe"),
            await changed.text(),
          ];
        } else if (url.pathname === "/clone") {
          const clone = request.clone();
          facts.copy = [clone.method, clone.url, await clone.text(), await request.text()];
        } else if (url.pathname === "/json") {
          facts.copy = await request.json();
          const Rebuild = request.constructor as typeof Request;
          const rebuilt = new Rebuild(request.url, { method: "PUT" });
          facts.rebuilt = [rebuilt.method, rebuilt.url];
        } else if (url.pathname === "/forward") {
          const target = new URL(`http://127.0.0.1:${echoPort}${url.pathname}${url.search}`);
          const forwarded = await fetch(new Request(target, request));
          facts.copy = await forwarded.json();
        }
        seen.push(facts);
        return new Response("ok");
      },
      {},
      async (_server, port) => {
        const send = (method: string, path: string, body = "") =>
          within(
            rawRequest(
              port,
              `${method} ${path} HTTP/1.1\r\nHost: LocalHost:${port}\r\nX-Probe: p1\r\n` +
                `Content-Length: ${body.length}\r\nConnection: close\r\n\r\n${body}`,
              { until: (text) => text.endsWith("\r\n\r\nok") },
            ),
            5_000,
            `${method} ${path}`,
          );
        await send("POST", "/copy?x=1", "posted");
        await send("post", "/override", "original");
        await send("PATCH", "/clone", "twice");
        await send("delete", "/json", '{"a":1}');
        await send("POST", "/forward?y=2", "along");
      },
    );
  } finally {
    await new Promise<void>((resolve) => echo.close(() => resolve()));
  }
  assert.equal(seen.length, 5);
  for (const facts of seen) {
    assert.equal(facts.isRequest, true);
    assert.equal(facts.urlByAccessor, facts.url);
    assert.equal(facts.tag, "[object Request]");
    assert.equal(facts.probe, "p1");
    assert.equal(facts.bodyUsedBefore, false);
    assert.match(String(facts.url), /^http:\/\/localhost:\d+\//);
  }
  assert.deepEqual(seen[0]!.copy, ["POST", seen[0]!.url, "p1", "posted"]);
  assert.equal(seen[0]!.bodyUsedAfter, true);
  assert.equal(seen[1]!.method, "POST", "a lower-case post is normalised");
  assert.deepEqual(seen[1]!.copy, ["PUT", seen[1]!.url, "p1", "replaced"]);
  assert.deepEqual(seen[2]!.copy, ["PATCH", seen[2]!.url, "twice", "twice"]);
  assert.equal(seen[3]!.method, "DELETE");
  assert.deepEqual(seen[3]!.copy, { a: 1 });
  assert.deepEqual(seen[3]!.rebuilt, ["PUT", seen[3]!.url]);
  assert.deepEqual(seen[4]!.copy, {
    method: "POST",
    url: "/forward?y=2",
    probe: "p1",
    body: "along",
  });
});

test("a request the handler never reads still aborts its signal when the client leaves", async () => {
  let signal: AbortSignal | undefined;
  let aborted!: () => void;
  const abortSeen = new Promise<void>((resolve) => (aborted = resolve));
  await withServer(
    async (request) => {
      await new Promise((resolve) => setTimeout(resolve, 50));
      signal = request.signal; // read only after the client is gone
      if (signal.aborted) aborted();
      else signal.addEventListener("abort", () => aborted());
      return new Response("late");
    },
    {},
    async (_server, port) => {
      await rawRequest(port, "GET /slow HTTP/1.1\r\nHost: x\r\n\r\n", { end: true, timeoutMs: 20 });
      await within(abortSeen, 3_000, "the abort");
    },
  );
  assert.equal(signal?.aborted, true);
});

test("lazy requests are used on Node and Deno, a real Request on Bun (native, nothing to forward)", () => {
  assert.equal(lazyRequestsWork(), RUNTIME !== "bun");
});

test("an absolute-form target with userinfo gets 400 and never reaches the handler", async () => {
  let called = false;
  await withServer(
    () => {
      called = true;
      return new Response("no");
    },
    {},
    async (_server, port) => {
      const { text } = await rawRequest(
        port,
        "GET http://user:secret@127.0.0.1/p HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n",
        { until: (received) => received.includes("\r\n\r\n") },
      );
      assert.deepEqual(statusLines(text), ["HTTP/1.1 400 Bad Request"]);
    },
  );
  assert.equal(called, false);
});

test("an onError that throws is logged; the client still gets its 500 and the server goes on", async () => {
  const logged: unknown[][] = [];
  const original = console.error;
  console.error = (...args: unknown[]) => void logged.push(args);
  try {
    await withServer(() => {
      throw new Error("handler failed");
    }, {
      onError: () => {
        throw new Error("logger failed");
      },
    }, async (_server, port) => {
      for (let i = 0; i < 2; i++) {
        const { text } = await rawRequest(port, "GET /x HTTP/1.1\r\nHost: x\r\n\r\n", {
          until: (received) => received.endsWith("500\n"),
        });
        assert.deepEqual(statusLines(text), ["HTTP/1.1 500 Internal Server Error"]);
      }
    });
  } finally {
    console.error = original;
  }
  assert.equal(logged.length, 2);
  assert.match(String(logged[0]![1]), /logger failed/);
});

test("a copy of the request (new Request(request)) is aborted when the client leaves", async () => {
  let copy: Request | undefined;
  let aborted!: () => void;
  const abortSeen = new Promise<void>((resolve) => (aborted = resolve));
  await withServer(
    async (request) => {
      copy = new Request(request);
      if (copy.signal.aborted) aborted();
      else copy.signal.addEventListener("abort", () => aborted());
      await new Promise((resolve) => setTimeout(resolve, 2_000));
      return new Response("late");
    },
    {},
    async (_server, port) => {
      await rawRequest(port, "GET /slow HTTP/1.1\r\nHost: x\r\n\r\n", { end: true, timeoutMs: 50 });
      await within(abortSeen, 3_000, "the copy's abort");
    },
  );
  assert.equal(copy?.signal.aborted, true);
});
