/**
 * The Hono helpers on our server: `hint(c)` with Go's header semantics (the
 * seed program as a Hono app, observed by raw bytes, our client and Go's
 * client), `hint(c, headers)`, the `earlyHints()` and `preload()`
 * middleware, and `hint()` under servers that cannot send interim responses.
 * What runs on serve() runs on every transport (tests/_support/transports.ts).
 */

import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import http from "node:http";
import { Hono } from "hono";
import { fetch } from "../client.ts";
import {
  earlyHints,
  hint,
  learnedHints,
  preload,
  preloadLinks,
  routeKey,
  serve,
  shareable,
} from "../server.ts";
import * as honoEntry from "../hono.ts";
import { forgetWarnings } from "../src/server/warn_once.ts";
import { goSkipReason, runGoClient } from "./_support/go.ts";
import { rawRequest, statusLines } from "./_support/server_raw.ts";
import { delay, RUNTIME, withServer } from "./_support/server_util.ts";
import { SEED_OUTPUT_LINES } from "./_support/seed.ts";
import { bunNodeHttpGap, TRANSPORTS } from "./_support/transports.ts";
import { arrivalTimes, busyFor } from "./_support/arrival_times.ts";

const SEED_LINES = SEED_OUTPUT_LINES;
const LOOPBACK = { hostname: "127.0.0.1", port: 0 } as const;

/** The seed's Go handler, line for line, as a Hono app. */
function seedApp(delayMs: number): Hono {
  const app = new Hono();
  app.get("/", async (c) => {
    c.header("xxx", "yyy");
    c.header("aaa", "bbb");
    c.header("sss", "ttt");
    hint(c);
    await delay(delayMs);
    c.header("xxx", "zzz");
    c.header("ccc", "ddd");
    c.header("sss", "uuu", { append: true });
    return c.body(null, 200);
  });
  return app;
}

/** Field lines of one head but Date, in order, names as sent (HTTP/1.1 field names are case-insensitive). */
function fieldLines(head: string): string[] {
  return head.split("\r\n").slice(1).filter((line) => line !== "" && !/^date:/i.test(line));
}

for (const { name, options } of TRANSPORTS) {
  test(`${name}: hint(c) sends the seed's 103 and final fields on the wire`, async () => {
    await withServer(seedApp(20).fetch, options, async (_server, port) => {
      const { text } = await rawRequest(
        port,
        "GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
      );
      const [interim, final] = text.split("\r\n\r\n");
      assert.equal(statusLines(interim!)[0], "HTTP/1.1 103 Early Hints");
      assert.deepEqual(fieldLines(interim!), ["aaa: bbb", "sss: ttt", "xxx: yyy"]);
      assert.equal(statusLines(final!)[0], "HTTP/1.1 200 OK");
      assert.deepEqual(fieldLines(final!).filter((line) => !/^connection:/i.test(line)), [
        "aaa: bbb",
        "ccc: ddd",
        "sss: ttt",
        "sss: uuu",
        "xxx: zzz",
        "content-length: 0",
      ]);
    });
  });
}

for (const { name, options } of TRANSPORTS) {
  test(`${name}: hint(c) gives the seed's lines to our client`, async () => {
    await withServer(seedApp(20).fetch, options, async (_server, port) => {
      const lines: string[] = [];
      const values = (pairs: ReadonlyArray<readonly [string, string]>, name: string) =>
        `[${pairs.filter(([n]) => n === name).map(([, v]) => v).join(" ")}]`;
      const response = await fetch(`http://127.0.0.1:${port}/`, {
        onInformational(info) {
          if (info.status !== 103) return;
          for (const name of ["xxx", "aaa", "ccc", "sss"]) {
            lines.push(`hinted ${values(info.rawHeaders, name)}`);
          }
        },
        signal: AbortSignal.timeout(5_000),
      });
      await response.body?.cancel();
      lines.push(`final ${response.status} ${response.statusText}`);
      for (const name of ["xxx", "aaa", "ccc", "sss"]) {
        lines.push(`final ${values(response.rawHeaders, name)}`);
      }
      assert.deepEqual(lines, SEED_LINES);
      // A web Headers joins the two sss lines, as RFC 9110 section 5.3 allows.
      assert.equal(response.headers.get("sss"), "ttt, uuu");
    });
  });
}

const goSkip = await goSkipReason();

const curlSkip = await new Promise<string | false>((resolve) => {
  const child = spawn("curl", ["--version"], { stdio: "ignore" });
  child.on("error", () => resolve("curl not installed"));
  child.on("exit", (code) => resolve(code === 0 ? false : "curl not installed"));
});

for (const { name, options } of TRANSPORTS) {
  test(
    `${name}: hint(c) shows curl the seed's 103 before the 200`,
    { skip: curlSkip },
    async () => {
      await withServer(seedApp(20).fetch, options, async (server) => {
        const stderr = await new Promise<string>((resolve, reject) => {
          const child = spawn("curl", ["-sv", "--max-time", "10", `${server.url}/`]);
          let output = "";
          child.stderr.on("data", (chunk: Buffer) => (output += chunk.toString()));
          child.stdout.resume();
          child.on("error", reject);
          child.on("close", () => resolve(output));
        });
        const lines = stderr.split("\n").map((line) => line.trim()).filter((line) =>
          /^< (HTTP\/1\.1 \d{3}|xxx|aaa|ccc|sss)/.test(line)
        );
        assert.deepEqual(lines, [
          "< HTTP/1.1 103 Early Hints",
          "< aaa: bbb",
          "< sss: ttt",
          "< xxx: yyy",
          "< HTTP/1.1 200 OK",
          "< aaa: bbb",
          "< ccc: ddd",
          "< sss: ttt",
          "< sss: uuu",
          "< xxx: zzz",
        ]);
      });
    },
  );
}

for (const { name, options } of TRANSPORTS) {
  test(
    `${name}: hint(c) gives Go's client exactly the seed's output`,
    { skip: goSkip },
    async () => {
      await withServer(seedApp(50).fetch, options, async (server) => {
        const result = await runGoClient([`${server.url}/`]);
        assert.equal(result.code, 0, result.stdout + result.stderr);
        assert.equal(result.stdout, SEED_LINES.join("\n") + "\n");
      });
    },
  );
}

for (const { name, options } of TRANSPORTS) {
  test(`${name}: hint(c) keeps Go's semantics through Hono middleware`, async () => {
    const app = new Hono();
    app.use(async (c, next) => {
      await next();
      c.header("x-after", "1");
    });
    app.get("/", (c) => {
      c.header("link", "</a.css>; rel=preload; as=style");
      hint(c);
      c.header("link", "</b.js>; rel=preload; as=script", { append: true });
      c.header("x-replaced", "old");
      hint(c);
      c.header("x-replaced", "new");
      return c.text("ok");
    });
    await withServer(app.fetch, options, async (_server, port) => {
      const { text } = await rawRequest(
        port,
        "GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
      );
      const heads = text.split("\r\n\r\n");
      assert.deepEqual(fieldLines(heads[0]!), ["link: </a.css>; rel=preload; as=style"]);
      assert.deepEqual(fieldLines(heads[1]!), [
        "link: </a.css>; rel=preload; as=style",
        "link: </b.js>; rel=preload; as=script",
        "x-replaced: old",
      ]);
      const final = fieldLines(heads[2]!);
      assert.deepEqual(final.filter((line) => line.startsWith("link")), [
        "link: </a.css>; rel=preload; as=style",
        "link: </b.js>; rel=preload; as=script",
      ]);
      assert.ok(final.includes("x-replaced: new"));
      assert.ok(final.includes("x-after: 1"));
      assert.match(heads[3]!, /^ok$/);
    });
  });
}

for (const { name, options } of TRANSPORTS) {
  test(`${name}: hint(c, headers) sends exactly those fields and leaves the context alone`, async () => {
    const app = new Hono();
    app.get("/", (c) => {
      c.header("x-context", "kept");
      const result = hint(c, { link: ["</a.css>; rel=preload", "</b.css>; rel=preload"] });
      return c.json(result);
    });
    await withServer(app.fetch, options, async (_server, port) => {
      const { text } = await rawRequest(
        port,
        "GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
      );
      const heads = text.split("\r\n\r\n");
      assert.deepEqual(fieldLines(heads[0]!), [
        "link: </a.css>; rel=preload",
        "link: </b.css>; rel=preload",
      ]);
      assert.doesNotMatch(heads[1]!, /link:/);
      assert.match(heads[1]!, /x-context: kept/);
      assert.equal(heads[2], '{"sent":true}');
    });
  });
}

for (const { name, options } of TRANSPORTS) {
  test(`${name}: earlyHints() and preload() middleware hint before the route runs`, async () => {
    const app = new Hono();
    app.use("/mw/*", earlyHints((c) => ({ "x-path": new URL(c.req.url).pathname })));
    app.get("/mw/page", preload(["/app.css", "/app.js", "/inter.woff2"]), (c) => c.text("page"));
    await withServer(app.fetch, options, async (_server, port) => {
      const { text } = await rawRequest(
        port,
        "GET /mw/page HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
      );
      const heads = text.split("\r\n\r\n");
      assert.deepEqual(statusLines(text), [
        "HTTP/1.1 103 Early Hints",
        "HTTP/1.1 103 Early Hints",
        "HTTP/1.1 200 OK",
      ]);
      assert.deepEqual(fieldLines(heads[0]!), ["x-path: /mw/page"]);
      assert.deepEqual(fieldLines(heads[1]!), [
        "link: </app.css>; rel=preload; as=style",
        "link: </app.js>; rel=preload; as=script",
        "link: </inter.woff2>; rel=preload; as=font; crossorigin=anonymous",
      ]);
      assert.equal(heads[3], "page");
    });
    assert.throws(() => preloadLinks(["/bad>url"]), TypeError);
  });
}

/** Runs `app` on the runtime's own server, which cannot send 1xx. */
async function withPlainServer(
  app: Hono,
  body: (port: number) => Promise<void>,
): Promise<void> {
  // deno-lint-ignore no-explicit-any
  const globals = globalThis as any;
  if (RUNTIME === "deno") {
    const server = globals.Deno.serve(
      { hostname: "127.0.0.1", port: 0, onListen() {} },
      app.fetch,
    );
    try {
      await body(server.addr.port);
    } finally {
      await server.shutdown();
    }
    return;
  }
  if (RUNTIME === "bun") {
    const server = globals.Bun.serve({ hostname: "127.0.0.1", port: 0, fetch: app.fetch });
    try {
      await body(server.port);
    } finally {
      server.stop(true);
    }
    return;
  }
  // Node: a bare node:http server with a minimal fetch bridge, as
  // @hono/node-server would do.
  const server = http.createServer(async (incoming, outgoing) => {
    const response = await app.fetch(new Request(`http://127.0.0.1${incoming.url}`));
    outgoing.writeHead(response.status, Object.fromEntries(response.headers));
    outgoing.end(Buffer.from(await response.arrayBuffer()));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  try {
    const address = server.address();
    await body(typeof address === "object" && address !== null ? address.port : 0);
  } finally {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  }
}

test("hint(c) under the runtime's own server warns once and the request succeeds", async () => {
  forgetWarnings();
  const app = new Hono();
  app.get("/", (c) => {
    c.header("x-pod-name", "daemon-0");
    const result = hint(c);
    return c.json(result);
  });
  const warnings: string[] = [];
  const original = console.warn;
  console.warn = (...args: unknown[]) => void warnings.push(args.join(" "));
  try {
    await withPlainServer(app, async (port) => {
      for (let i = 0; i < 2; i++) {
        const { text } = await rawRequest(
          port,
          "GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
        );
        assert.deepEqual(statusLines(text), ["HTTP/1.1 200 OK"]);
        assert.match(text, /x-pod-name: daemon-0/i);
        assert.match(text, /\{"sent":false,"reason":"unsupported"\}/);
      }
    });
  } finally {
    console.warn = original;
  }
  assert.equal(warnings.length, 1, warnings.join("\n"));
});

test("hint(c) writes through @hono/node-server's ServerResponse (c.env.outgoing)", async () => {
  const app = new Hono();
  app.get("/", (c) => {
    c.header("x-pod-name", "daemon-0");
    const first = hint(c);
    const second = hint(c, { link: ["</a.css>; rel=preload", "</b.js>; rel=preload"] });
    return c.json([first, second]);
  });
  // The same contract as @hono/node-server: app.fetch(request, { incoming, outgoing }).
  const server = http.createServer(async (incoming, outgoing) => {
    const response = await app.fetch(new Request(`http://127.0.0.1${incoming.url}`), {
      incoming,
      outgoing,
    });
    outgoing.writeHead(response.status, Object.fromEntries(response.headers));
    outgoing.end(Buffer.from(await response.arrayBuffer()));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  try {
    const address = server.address();
    const port = typeof address === "object" && address !== null ? address.port : 0;
    const { text } = await rawRequest(
      port,
      "GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
    );
    assert.deepEqual(statusLines(text), [
      "HTTP/1.1 103 Early Hints",
      "HTTP/1.1 103 Early Hints",
      "HTTP/1.1 200 OK",
    ]);
    const heads = text.split("\r\n\r\n");
    assert.deepEqual(fieldLines(heads[0]!), ["x-pod-name: daemon-0"]);
    assert.deepEqual(fieldLines(heads[1]!), [
      "link: </a.css>; rel=preload",
      "link: </b.js>; rel=preload",
    ]);
    assert.match(text, /\[\{"sent":true\},\{"sent":true\}\]/);
  } finally {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  }
});

for (const { name, options } of TRANSPORTS) {
  test(
    `${name}: earlyHints() middleware flushes its hint before a route that renders synchronously`,
    {
      skip: bunNodeHttpGap(
        name,
        "holds a 1xx until the handler's turn ends (writeInformation is not flushed at once)",
      ),
    },
    async () => {
      const app = new Hono();
      app.get("/page", preload(["/app.css"]), (c) => {
        busyFor(400);
        return c.html("<h1>rendered</h1>");
      });
      await withServer(app.fetch, options, async (_server, port) => {
        const times = await arrivalTimes(port, "/page");
        assert.ok(
          times.final - times.hint >= 200,
          `the hint arrived ${times.final - times.hint} ms before the page`,
        );
      });
    },
  );
}

test("@interim/http/hono exports the same helpers as @interim/http/server", () => {
  assert.deepEqual(Object.keys(honoEntry).sort(), [
    "earlyHints",
    "hint",
    "learnedHints",
    "preload",
    "preloadLinks",
    "routeKey",
    "shareable",
  ]);
  assert.equal(honoEntry.hint, hint);
  assert.equal(honoEntry.learnedHints, learnedHints);
  assert.equal(honoEntry.routeKey, routeKey);
  assert.equal(honoEntry.shareable, shareable);
  assert.equal(honoEntry.earlyHints, earlyHints);
  assert.equal(honoEntry.preload, preload);
  assert.equal(honoEntry.preloadLinks, preloadLinks);
});

for (const { name, options } of TRANSPORTS) {
  test(`${name}: a Hono app served as serve(app) and as serve({ fetch: app.fetch }) sends hints from the hono entry`, async () => {
    const app = new Hono();
    app.use("/page", honoEntry.preload(["/app.css"]));
    app.get("/page", (c) => {
      c.header("x-pod-name", "daemon-0");
      honoEntry.hint(c);
      return c.text("page");
    });
    for (
      const start of [
        () => serve(app, { ...LOOPBACK, ...options }),
        () => serve({ fetch: app.fetch, ...LOOPBACK, ...options }),
      ]
    ) {
      const server = await start();
      try {
        const seen: string[] = [];
        const response = await fetch(new URL("/page", server.url), {
          onInformational: (info) =>
            seen.push(
              [...info.headers].map(([n, v]) => `${n}: ${v}`).join("; "),
            ),
        });
        assert.deepEqual(seen, [
          "link: </app.css>; rel=preload; as=style",
          "x-pod-name: daemon-0",
        ]);
        assert.equal(await response.text(), "page");
      } finally {
        await server.close();
      }
    }
  });
}

const nodeServerSkip = RUNTIME === "node"
  ? undefined
  : "@hono/node-server is the Node peer (Deno and Bun users serve Hono with serve() or their own server)";

test(
  "learnedHints() under the real @hono/node-server: the second navigation gets the learned 103 through its ServerResponse",
  { skip: nodeServerSkip },
  async () => {
    const { serve: nodeServe } = await import("@hono/node-server");
    const learned = learnedHints();
    const app = new Hono();
    app.use(learned);
    app.get("/", (c) => {
      c.header("link", "</app.css>; rel=preload; as=style");
      return c.html("<link rel=stylesheet href=/app.css>");
    });
    const server = await new Promise<ReturnType<typeof nodeServe>>((resolve) => {
      const started = nodeServe(
        { fetch: app.fetch, port: 0, hostname: "127.0.0.1" },
        () => resolve(started),
      );
    });
    try {
      const address = server.address();
      const port = typeof address === "object" && address !== null ? address.port : 0;
      const navigation = "GET / HTTP/1.1\r\nHost: x\r\nSec-Fetch-Mode: navigate\r\n" +
        "Accept: text/html\r\nConnection: close\r\n\r\n";
      assert.deepEqual(statusLines((await rawRequest(port, navigation)).text), [
        "HTTP/1.1 200 OK",
      ]);
      const second = (await rawRequest(port, navigation)).text;
      assert.deepEqual(statusLines(second), ["HTTP/1.1 103 Early Hints", "HTTP/1.1 200 OK"]);
      assert.deepEqual(fieldLines(second.split("\r\n\r\n")[0]!), [
        "link: </app.css>; rel=preload; as=style",
      ]);
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  },
);
