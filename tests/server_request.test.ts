/**
 * The `Request` a handler receives: its URL is the one `new Request()` would
 * serialise from the same target and Host (checked against the runtime's URL
 * parser for generated targets), its method is normalised like Fetch's, and
 * it behaves as a real `Request` everywhere one is taken: `new Request(r)`,
 * `new Request(r, init)`, `clone()`, body readers, and `fetch(r)` to a real
 * peer, and its signal, and that of every copy, aborts when the client leaves.
 *
 * The server builds it one of three ways: lazily where the runtime allows
 * (the fast path, src/server/lazy_request.ts: Deno and Node 22), else as a
 * real `Request` whose signal is made on first read (Bun) or given at
 * construction (Node 24+, Deno and Node 22 when the fast path is off). The
 * tests that depend on it run in each way on every runtime and transport
 * (tests/_support/transports.ts); a way the runtime cannot take is listed as
 * skipped, with the reason.
 */

import { test } from "node:test";
import assert from "node:assert/strict";
import http from "node:http";
import fc from "fast-check";
import { RequestUrls } from "../src/server/request_url.ts";
import { requestHeader } from "../src/server/request_factory.ts";
import { allowLazyRequests, lazyRequestsWork } from "../src/server/lazy_request.ts";
import { forceSignalAtConstruction, IncomingRequest } from "../src/server/incoming_request.ts";
import { rawConnect, rawRequest, statusLines } from "./_support/server_raw.ts";
import { RUNTIME, within, withServer } from "./_support/server_util.ts";
import { type Transport, TRANSPORTS } from "./_support/transports.ts";

/** One way the server can build the handler's `Request`. */
interface RequestWay {
  readonly name: string;
  /** The lazy fast path (else a real `Request`, an `IncomingRequest`). */
  readonly lazy: boolean;
  /** Force the signal to be given at construction (else the probe chooses). */
  readonly signalAtConstruction: true | undefined;
}

const WAYS: readonly RequestWay[] = [
  { name: "lazy Request", lazy: true, signalAtConstruction: undefined },
  { name: "real Request", lazy: false, signalAtConstruction: undefined },
  {
    name: "real Request with its signal from construction",
    lazy: false,
    signalAtConstruction: true,
  },
];

const LAZY_AVAILABLE = lazyRequestsWork();
const RUNTIME_NAME = RUNTIME === "node" ? `Node ${process.versions.node}` : RUNTIME;

/**
 * Declares `title` once per way and transport, with the server switched to
 * that way while it runs (and switched back after); a way the runtime cannot
 * take is skipped with the reason.
 */
function testEachWay(
  title: string,
  body: (way: RequestWay, transport: Transport) => Promise<void>,
): void {
  for (const way of WAYS) {
    const skip = way.lazy && !LAZY_AVAILABLE
      ? `the lazy fast path is not available on ${RUNTIME_NAME} (probed): the server uses a real Request`
      : false;
    for (const transport of TRANSPORTS) {
      test(`${transport.name}: ${title} [${way.name}]`, { skip }, async () => {
        allowLazyRequests(way.lazy);
        forceSignalAtConstruction(way.signalAtConstruction);
        try {
          await body(way, transport);
        } finally {
          allowLazyRequests(true);
          forceSignalAtConstruction(undefined);
        }
      });
    }
  }
}

/** Whether `request` was built the way the test asked for. */
function builtAs(request: Request, way: RequestWay): boolean {
  return way.lazy !== request instanceof IncomingRequest;
}

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

testEachWay(
  "the handler's request behaves as a real Request: copies, clones, bodies, fetch",
  async (way, { options }) => {
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
            builtAsAsked: builtAs(request, way),
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
        options,
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
          // node:http's parser (llhttp) knows methods in upper case only
          // and answers 400 to others: there they are sent as it takes them.
          const lowerCase = (method: string) =>
            (options as { adapter?: unknown }).adapter === "node-http"
              ? method
              : method.toLowerCase();
          await send("POST", "/copy?x=1", "posted");
          await send(lowerCase("POST"), "/override", "original");
          await send("PATCH", "/clone", "twice");
          await send(lowerCase("DELETE"), "/json", '{"a":1}');
          await send("POST", "/forward?y=2", "along");
        },
      );
    } finally {
      await new Promise<void>((resolve) => echo.close(() => resolve()));
    }
    assert.equal(seen.length, 5);
    for (const facts of seen) {
      assert.equal(facts.builtAsAsked, true, `the server built a ${way.name}`);
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
  },
);

testEachWay(
  "a request the handler never reads still aborts its signal when the client leaves",
  async (_way, { options }) => {
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
      options,
      async (_server, port) => {
        await rawRequest(port, "GET /slow HTTP/1.1\r\nHost: x\r\n\r\n", {
          end: true,
          timeoutMs: 20,
        });
        await within(abortSeen, 3_000, "the abort");
      },
    );
    assert.equal(signal?.aborted, true);
  },
);

test("the lazy fast path is taken on Deno and Node 22 (undici 6), a real Request on Node 24+ and Bun", () => {
  // undici 7 (Node 24, 26) keeps a Request's state in private fields and Bun
  // in a native object: a stand-in cannot carry them. Expected per runtime, so
  // a probe that breaks on a runtime where the fast path works shows here.
  const undiciMajor = Number(process.versions.undici?.split(".")[0]);
  const expected = RUNTIME === "deno" || (RUNTIME === "node" && undiciMajor < 7);
  assert.equal(lazyRequestsWork(), expected, `${RUNTIME_NAME}, undici ${process.versions.undici}`);
  allowLazyRequests(false);
  try {
    assert.equal(lazyRequestsWork(), false, "the switch the fallback tests use");
  } finally {
    allowLazyRequests(true);
  }
});

for (const { name, options } of TRANSPORTS) {
  test(`${name}: an absolute-form target with userinfo gets 400 and never reaches the handler`, async () => {
    let called = false;
    await withServer(
      () => {
        called = true;
        return new Response("no");
      },
      options,
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
}

for (const { name, options } of TRANSPORTS) {
  test(`${name}: an onError that throws is logged; the client still gets its 500 and the server goes on`, async () => {
    const logged: unknown[][] = [];
    const original = console.error;
    console.error = (...args: unknown[]) => void logged.push(args);
    try {
      await withServer(() => {
        throw new Error("handler failed");
      }, {
        ...options,
        onError: () => {
          throw new Error("logger failed");
        },
      }, async (_server, port) => {
        for (let i = 0; i < 2; i++) {
          // Connection: close ends the wait with the answer, whatever its body says.
          const { text, closed } = await rawRequest(
            port,
            "GET /x HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
          );
          assert.equal(closed, true, "the server closed after its answer");
          assert.deepEqual(statusLines(text), ["HTTP/1.1 500 Internal Server Error"]);
        }
      });
    } finally {
      console.error = original;
    }
    assert.equal(logged.length, 2);
    assert.match(String(logged[0]![1]), /logger failed/);
  });
}

for (const { name, options } of TRANSPORTS) {
  test(`${name}: a Host that is not uri-host [:port] gets 400 and never reaches the handler`, async () => {
    const seen: string[] = [];
    await withServer(
      (request) => {
        seen.push(request.url);
        return new Response("no");
      },
      options,
      async (_server, port) => {
        // Left unchecked, the Host would move the path the handler sees to /admin.
        const { text } = await rawRequest(
          port,
          "GET /public/x HTTP/1.1\r\nHost: a/admin?\r\nConnection: close\r\n\r\n",
          { until: (received) => received.includes("\r\n\r\n") },
        );
        assert.deepEqual(statusLines(text), ["HTTP/1.1 400 Bad Request"]);
      },
    );
    assert.deepEqual(seen, []);
  });
}

/**
 * A node:http peer that accepts requests and never answers them, as a slow
 * upstream would; reports each request's arrival.
 */
async function withSilentUpstream<T>(
  body: (port: number, arrived: Promise<void>) => Promise<T>,
): Promise<T> {
  let arrive!: () => void;
  const arrived = new Promise<void>((resolve) => (arrive = resolve));
  const upstream = http.createServer(() => arrive());
  await new Promise<void>((resolve) => upstream.listen(0, "127.0.0.1", resolve));
  try {
    return await body((upstream.address() as { port: number }).port, arrived);
  } finally {
    upstream.closeAllConnections();
    await new Promise<void>((resolve) => upstream.close(() => resolve()));
  }
}

testEachWay(
  `copies of the request (new Request(request), with init, clone(), fetch(request)) are aborted when the client leaves`,
  async (way, { options }) => {
    const signals = new Map<string, AbortSignal>();
    let fetchOutcome: Promise<unknown> | undefined;
    let builtAsAsked: boolean | undefined;
    let aborted!: () => void;
    const abortSeen = new Promise<void>((resolve) => (aborted = resolve));
    await withSilentUpstream(async (upstreamPort, upstreamReached) => {
      await withServer(
        async (request) => {
          builtAsAsked = builtAs(request, way);
          request.signal.addEventListener("abort", () => aborted());
          signals.set("new Request(request)", new Request(request).signal);
          signals.set(
            "new Request(request, init)",
            new Request(request, { headers: { "x-copy": "1" } }).signal,
          );
          signals.set("request.clone()", request.clone().signal);
          // The request's own URL names the upstream (the client sent its
          // address as Host): fetch(request) forwards it as it is.
          fetchOutcome = fetch(request).then(
            () => "answered",
            (error: unknown) => error,
          );
          await new Promise((resolve) => setTimeout(resolve, 2_000));
          return new Response("late");
        },
        options,
        async (_server, port) => {
          const client = await rawConnect(port);
          client.write(`GET /slow HTTP/1.1\r\nHost: 127.0.0.1:${upstreamPort}\r\n\r\n`);
          try {
            // Leave once the forwarded request is at the upstream.
            await within(upstreamReached, 3_000, "the forwarded request");
          } finally {
            client.destroy();
          }
          await within(abortSeen, 3_000, "the request's abort");
        },
      );
    });
    assert.equal(builtAsAsked, true, `the server built a ${way.name}`);
    for (const [what, signal] of signals) assert.equal(signal.aborted, true, what);
    const outcome = await within(fetchOutcome!, 3_000, "fetch(request) to settle");
    assert.ok(outcome instanceof Error, `fetch(request) was ${String(outcome)}`);
    assert.equal(outcome.name, "AbortError", String(outcome));
  },
);

for (const transport of TRANSPORTS) {
  test(`${transport.name}: requestHeader() reads a field as headers.get() does, repeats and case included`, async () => {
    const seen: Array<[string | null, string | null]> = [];
    await withServer(
      (request) => {
        // Read first through requestHeader (the lazy request still unbuilt), then
        // through the built request's Headers.
        const names = ["x-repeat", "sec-fetch-mode", "absent"];
        const quick = names.map((name) => requestHeader(request, name));
        for (const [i, name] of names.entries()) seen.push([quick[i]!, request.headers.get(name)]);
        return new Response("ok");
      },
      transport.options,
      async (_server, port) => {
        const response = await rawRequest(
          port,
          "GET / HTTP/1.1\r\nHost: x\r\nX-Repeat: a\r\nSec-Fetch-Mode: navigate\r\nx-repeat: b\r\nConnection: close\r\n\r\n",
        );
        assert.match(response.text, /^HTTP\/1\.1 200/);
      },
    );
    assert.deepEqual(seen, [["a, b", "a, b"], ["navigate", "navigate"], [null, null]]);
  });
}
