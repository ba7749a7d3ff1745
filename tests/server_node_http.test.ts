/**
 * The `node:http` backend (`adapter: "node-http"`), on whichever runtime runs
 * the tests (Node, and Deno's and Bun's `node:http`): interim responses with
 * arbitrary fields, the seed as a Hono app, bodies, 100-continue, errors,
 * streaming and shutdown.
 */

import { test } from "node:test";
import assert from "node:assert/strict";
import http from "node:http";
import { Hono } from "hono";
import { fetch } from "../client.ts";
import { hint, sendInformational } from "../server.ts";
import { goSkipReason, runGoClient } from "./_support/go.ts";
import { rawConnect, rawRequest, statusLines } from "./_support/server_raw.ts";
import { delay, within, withServer } from "./_support/server_util.ts";
import { SEED_OUTPUT } from "./_support/seed.ts";
import { writeInformationTakesLists } from "../src/runtime/write_information.ts";

const NODE_HTTP = { adapter: "node-http" } as const;

test("node-http: interim responses without link, 102 and several 103s arrive in order", async () => {
  await withServer(
    async (request) => {
      sendInformational(request, 103, { "x-pod-name": "daemon-0", "x-pod-namespace": "default" });
      await delay(10);
      sendInformational(request, 102);
      sendInformational(request, 103, { link: ["</a.css>; rel=preload", "</b.js>; rel=preload"] });
      return new Response("done");
    },
    NODE_HTTP,
    async (server, port) => {
      assert.equal(server.adapter, "node-http");
      const events = await new Promise<string[]>((resolve, reject) => {
        const seen: string[] = [];
        const request = http.request({ host: "127.0.0.1", port, path: "/" }, (response) => {
          seen.push(`response ${response.statusCode}`);
          response.resume();
          response.on("end", () => resolve(seen));
        });
        request.on("information", (info) => {
          seen.push(`${info.statusCode} ${info.headers["x-pod-name"] ?? info.headers.link ?? "-"}`);
        });
        request.on("error", reject);
        request.setTimeout(5_000, () => request.destroy(new Error("timed out")));
        request.end();
      });
      assert.deepEqual(events, [
        "103 daemon-0",
        "102 -",
        "103 </a.css>; rel=preload, </b.js>; rel=preload",
        "response 200",
      ]);
    },
  );
});

/**
 * The two ways the backend writes a 1xx: the public `writeInformation`
 * (Node 24.19+, 26.2+, Bun), and the raw path kept for the others (Node 22,
 * Deno), which the test forces where `writeInformation` exists by hiding it.
 */
const INFORMATION_PATHS = ["writeInformation", "raw path"] as const;
const RUNTIME_NAME = "Deno" in globalThis
  ? "Deno"
  : "Bun" in globalThis
  ? "Bun"
  : `Node ${process.versions.node}`;
const USES_WRITE_INFORMATION =
  typeof http.ServerResponse.prototype.writeInformation === "function" &&
  writeInformationTakesLists();

for (const path of INFORMATION_PATHS) {
  const skip = path === "writeInformation" && !USES_WRITE_INFORMATION
    ? `${RUNTIME_NAME} has no ServerResponse.writeInformation that takes a field list`
    : undefined;
  test(
    `node-http: any 1xx with any fields reaches the client in order before its final response, pipelined [${path}]`,
    { skip },
    async () => {
      const prototype = http.ServerResponse.prototype;
      const own = Object.getOwnPropertyDescriptor(prototype, "writeInformation");
      const written: number[] = [];
      if (path === "raw path") {
        Object.defineProperty(prototype, "writeInformation", {
          configurable: true,
          writable: true,
          value: undefined,
        });
      } else {
        const original = prototype.writeInformation;
        // Counts, then writes as the runtime does.
        prototype.writeInformation = function (
          this: http.ServerResponse,
          ...args: Parameters<typeof original>
        ) {
          written.push(args[0]);
          return original.apply(this, args);
        } as typeof original;
      }
      try {
        await withServer(
          async (request) => {
            const which = new URL(request.url).pathname;
            sendInformational(request, 110, [["x-a", "1"], ["x-a", "2"], ["x-b", "caf\u00e9"]]);
            await delay(5);
            sendInformational(request, 103, { "x-hint": which });
            sendInformational(request, 102);
            await delay(5);
            sendInformational(request, 199);
            return new Response(`final ${which}`);
          },
          NODE_HTTP,
          async (_server, port) => {
            const { text } = await rawRequest(
              port,
              "GET /one HTTP/1.1\r\nHost: x\r\n\r\n" +
                "GET /two HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
              { until: (received) => received.endsWith("final /two") },
            );
            const heads = [
              ...text.matchAll(/HTTP\/1\.1 (\d{3})[^\r\n]*\r\n((?:[^\r\n]+\r\n)*)\r\n/g),
            ]
              .map(([, status, fields]) =>
                status!.startsWith("1")
                  ? `${status} ${fields!.trimEnd().split("\r\n").join(" | ")}`
                  : status
              );
            const interim = (which: string) => [
              "110 x-a: 1 | x-a: 2 | x-b: caf\u00e9",
              `103 x-hint: ${which}`,
              "102 ",
              "199 ",
            ];
            assert.deepEqual(heads, [...interim("/one"), "200", ...interim("/two"), "200"]);
            assert.match(text, /final \/one[^]*final \/two$/);
          },
        );
      } finally {
        if (own !== undefined) Object.defineProperty(prototype, "writeInformation", own);
        else delete (prototype as { writeInformation?: unknown }).writeInformation;
      }
      // The two requests are handled at once; node:http queues the second's output.
      assert.deepEqual(
        written.sort((a, b) => a - b),
        path === "writeInformation" ? [102, 102, 103, 103, 110, 110, 199, 199] : [],
      );
    },
  );
}

test("node-http: writeInformation is used exactly on Node 24.19+, 26.2+ and Bun", () => {
  const [major = 0, minor = 0] = process.versions.node.split(".").map(Number);
  const expected = "Deno" in globalThis
    ? false // Deno 2.9's reads only an object's keys: a field list goes out as "0: x-a"
    : "Bun" in globalThis || (major === 24 && minor >= 19) || (major === 26 && minor >= 2) ||
      major > 26;
  assert.equal(USES_WRITE_INFORMATION, expected, RUNTIME_NAME);
});

const goSkip = await goSkipReason();

function seedApp(): Hono {
  const app = new Hono();
  app.get("/", async (c) => {
    c.header("xxx", "yyy");
    c.header("aaa", "bbb");
    c.header("sss", "ttt");
    hint(c);
    await delay(20);
    c.header("xxx", "zzz");
    c.header("ccc", "ddd");
    c.header("sss", "uuu", { append: true });
    return c.body(null, 200);
  });
  return app;
}

test(
  "node-http: the seed as a Hono app gives Go's client the seed's lines",
  { skip: goSkip },
  async () => {
    await withServer(seedApp().fetch, NODE_HTTP, async (server) => {
      const result = await runGoClient([`${server.url}/`]);
      assert.equal(result.code, 0, result.stdout + result.stderr);
      assert.equal(
        result.stdout,
        SEED_OUTPUT,
      );
    });
  },
);

test("node-http: the seed's fields reach our client", async () => {
  await withServer(seedApp().fetch, NODE_HTTP, async (_server, port) => {
    const hinted: Array<readonly [string, string]> = [];
    const response = await fetch(`http://127.0.0.1:${port}/`, {
      onInformational(info) {
        hinted.push(...info.rawHeaders);
      },
      signal: AbortSignal.timeout(5_000),
    });
    await response.body?.cancel();
    assert.deepEqual(
      hinted.filter(([name]) => name !== "date"),
      [
        ["xxx", "yyy"],
        ["aaa", "bbb"],
        ["sss", "ttt"],
      ].sort((a, b) => a[0]!.localeCompare(b[0]!)),
    );
    assert.deepEqual(response.rawHeaders.filter(([name]) => name === "sss"), [
      ["sss", "ttt"],
      ["sss", "uuu"],
    ]);
    assert.equal(response.headers.get("xxx"), "zzz");
    assert.equal(response.headers.get("ccc"), "ddd");
  });
});

test("node-http: request bodies stream in, with 100 Continue on first read", async () => {
  await withServer(
    async (request) => {
      await delay(20);
      return new Response(`got ${await request.text()}`);
    },
    NODE_HTTP,
    async (_server, port) => {
      const conn = await rawConnect(port);
      try {
        conn.write(
          "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\nExpect: 100-continue\r\n\r\n",
        );
        const interim = await conn.read((t) => t.includes("\r\n\r\n"));
        assert.equal(interim, "HTTP/1.1 100 Continue\r\n\r\n");
        conn.write("data");
        const text = await conn.read((t) => t.endsWith("got data"));
        assert.deepEqual(statusLines(text), ["HTTP/1.1 100 Continue", "HTTP/1.1 200 OK"]);
      } finally {
        conn.destroy();
      }
      const chunked = await rawRequest(
        port,
        "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n" +
          "3\r\nabc\r\n0\r\n\r\n",
      );
      assert.match(chunked.text, /got abc$/);
    },
  );
});

test("node-http: HTTP/1.0 gets no interim response, and a late hint from a timer says it came too late", async () => {
  const results: unknown[] = [];
  await withServer(
    (request) => {
      results.push(sendInformational(request, 103, { link: "</a.css>" }));
      setTimeout(() => {
        try {
          results.push(sendInformational(request, 103, { link: "</late.css>" }));
        } catch (error) {
          results.push(error);
        }
      }, 0);
      return new Response("x");
    },
    NODE_HTTP,
    async (_server, port) => {
      const { text } = await rawRequest(port, "GET / HTTP/1.0\r\n\r\n");
      assert.deepEqual(statusLines(text), ["HTTP/1.1 200 OK"]);
      for (let i = 0; i < 100 && results.length < 2; i++) await delay(10);
    },
  );
  assert.deepEqual(results[0], { sent: false, reason: "http/1.0" });
  // The timer fires once the response is out (or ending): nothing is sent, nothing thrown.
  assert.ok(
    [{ sent: false, reason: "finished" }, { sent: false, reason: "final-response-started" }]
      .some((expected) => JSON.stringify(expected) === JSON.stringify(results[1])),
    `${results[1] instanceof Error ? results[1] : JSON.stringify(results[1])}`,
  );
});

test("node-http: a throwing handler gets 500 and the server lives on", async () => {
  await withServer(
    (request) => {
      if (request.url.endsWith("/throw")) throw new Error("boom");
      return new Response("fine");
    },
    NODE_HTTP,
    async (_server, port) => {
      const first = await rawRequest(
        port,
        "GET /throw HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
      );
      assert.match(first.text, /^HTTP\/1\.1 500 /);
      const second = await rawRequest(
        port,
        "GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
      );
      assert.match(second.text, /fine$/);
    },
  );
});

test("node-http: streams a response body and shuts down after in-flight requests", async () => {
  let started: () => void = () => {};
  const isStarted = new Promise<void>((resolve) => (started = resolve));
  await withServer(
    () => {
      started();
      let sent = 0;
      return new Response(
        new ReadableStream<Uint8Array>({
          async pull(controller) {
            await delay(20);
            if (sent++ === 3) controller.close();
            else controller.enqueue(new TextEncoder().encode(`part${sent};`));
          },
        }),
      );
    },
    NODE_HTTP,
    async (server, port) => {
      const reply = rawRequest(port, "GET / HTTP/1.1\r\nHost: x\r\n\r\n", {
        until: (t) => t.endsWith("0\r\n\r\n"),
      });
      await within(isStarted, 5_000, "the request");
      const stopped = server.shutdown();
      const { text } = await reply;
      assert.match(text, /transfer-encoding: chunked/i);
      assert.match(text, /part1;[\s\S]*part2;[\s\S]*part3;/);
      await within(stopped, 5_000, "shutdown");
    },
  );
});

test("node-http: request.signal aborts when the client goes away", async () => {
  let aborted: Promise<boolean> | undefined;
  await withServer(
    (request) => {
      aborted = new Promise((resolve) => {
        const timer = setTimeout(() => resolve(false), 5_000);
        request.signal.addEventListener("abort", () => {
          clearTimeout(timer);
          resolve(true);
        });
      });
      return aborted.then(() => new Response("late"));
    },
    NODE_HTTP,
    async (_server, port) => {
      const conn = await rawConnect(port);
      conn.write("GET / HTTP/1.1\r\nHost: x\r\n\r\n");
      for (let i = 0; i < 100 && aborted === undefined; i++) await delay(10);
      conn.destroy();
      assert.equal(await aborted, true);
    },
  );
});

test("node-http: a transfer coding other than chunked gets 501, as with the engine", async () => {
  let called = false;
  await withServer(
    () => {
      called = true;
      return new Response("x");
    },
    NODE_HTTP,
    async (_server, port) => {
      const result = await rawRequest(
        port,
        "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip, chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n",
      );
      assert.match(result.text, /^HTTP\/1\.1 501 /);
      assert.equal(result.closed, true);
    },
  );
  assert.equal(called, false);
});

test("node-http: a Host that is not uri-host [:port] gets 400, as from the engine, and never reaches the handler", async () => {
  const seen: string[] = [];
  await withServer(
    (request) => {
      seen.push(request.url);
      return new Response("no");
    },
    NODE_HTTP,
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
