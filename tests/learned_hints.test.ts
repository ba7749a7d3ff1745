/**
 * `learnedHints()` (issue 15, part 1): a route that only sets a `Link`
 * header on its final response gets, from the next navigation on, a 103
 * with those links before its handler runs. Real servers on 127.0.0.1 on
 * each transport (the engine, `node:http`, HTTP/2 over TLS) and this
 * package's client; the Link parser and the bounded store are checked on
 * their own first. Browsers and curl: learned_hints_browser.test.ts.
 */

import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { Hono } from "hono";
import {
  hint,
  type InformationalResult,
  learnedHints,
  type LearnedHintsOptions,
  routeKey,
  sendInformational,
  type ServeOptions,
} from "../server.ts";
import { Client, fetch } from "../client.ts";
import { parseLinkHeader, withoutLinks } from "../src/server/link_header.ts";
import { LearnedHintsStore } from "../src/server/learned_hints_store.ts";
import { TRANSPORTS } from "./_support/transports.ts";
import { withServer } from "./_support/server_util.ts";

const FIXTURES = fileURLToPath(new URL("fixtures/tls/", import.meta.url));
const cert = readFileSync(path.join(FIXTURES, "test-server-cert.pem"), "utf8");
const key = readFileSync(path.join(FIXTURES, "test-server-key.pem"), "utf8");
const ca = readFileSync(path.join(FIXTURES, "test-ca-cert.pem"), "utf8");

const NAVIGATION = { "sec-fetch-mode": "navigate", accept: "text/html" } as const;
const STYLE = "</app.css>; rel=preload; as=style";

// --- the Link parser ------------------------------------------------------

test("link header: quoted commas and semicolons stay inside their link-value", () => {
  const links = parseLinkHeader(
    '</a,b.css>; rel=preload; title="x, y; z", <https://cdn.example>; rel=preconnect',
  );
  assert.deepEqual(links.map((link) => link.target), ["/a,b.css", "https://cdn.example"]);
  assert.equal(links[0]?.text, '</a,b.css>; rel=preload; title="x, y; z"');
});

test("link header: malformed link-values are left out, the rest kept", () => {
  const links = parseLinkHeader(
    'nonsense, </ok.css>; rel=preload; as=style, </bad>; =x, </unclosed>; title="open',
  );
  assert.deepEqual(links.map((link) => link.target), ["/ok.css"]);
  assert.deepEqual(parseLinkHeader(""), []);
  assert.deepEqual(parseLinkHeader("<"), []);
});

test("link header: only the first rel counts, relation types are case-insensitive", () => {
  const [link] = parseLinkHeader("</m.js>; REL=ModulePreload; rel=preload");
  assert.deepEqual(link?.rels, ["modulepreload"]);
});

test("link header: unquoted non-token values and a trailing ';' are read as browsers read them", () => {
  const links = parseLinkHeader(
    "</f.woff2>; rel=preload; as=font; type=font/woff2; crossorigin, </a.css>; rel=preload; as=style;",
  );
  assert.deepEqual(links.map((link) => link.text), [
    '</f.woff2>; rel=preload; as=font; type="font/woff2"; crossorigin',
    "</a.css>; rel=preload; as=style",
  ]);
});

test("withoutLinks: drops only the sent link-values and keeps the others as written", () => {
  const sent = new Set(["</a.css>; rel=preload; as=style"]);
  const value =
    "</a.css>;rel=preload;as=style, </f.woff2>; rel=preload; as=font; type=font/woff2, " +
    "not a link";
  assert.deepEqual(withoutLinks([["link", value]], sent), [
    ["link", "</f.woff2>; rel=preload; as=font; type=font/woff2, not a link"],
  ]);
});

// --- the store --------------------------------------------------------------

function store(bounds: Partial<ConstructorParameters<typeof LearnedHintsStore>[0]> = {}) {
  const clock = { now: 1_000 };
  const instance = new LearnedHintsStore(
    { maxEntries: 3, maxLinksPerEntry: 4, maxBytesPerEntry: 200, maxAge: 5_000, ...bounds },
    () => clock.now,
  );
  return { store: instance, clock };
}

test("store: the least recently used route goes first when maxEntries is reached", () => {
  const { store: memory } = store();
  memory.learn("GET /a", ["<a>; rel=preload"]);
  memory.learn("GET /b", ["<b>; rel=preload"]);
  memory.learn("GET /c", ["<c>; rel=preload"]);
  memory.replay("GET /a"); // /a is now the most recently used
  memory.learn("GET /d", ["<d>; rel=preload"]);
  assert.deepEqual(memory.entries().map((entry) => entry.key), ["GET /c", "GET /a", "GET /d"]);
});

test("store: links past maxLinksPerEntry or maxBytesPerEntry are left out, repeats once", () => {
  const { store: memory } = store({ maxLinksPerEntry: 2, maxBytesPerEntry: 40 });
  const long = `<${"x".repeat(40)}>; rel=preload`;
  memory.learn("GET /", ["<a>; rel=preload", long, "<a>; rel=preload", "<b>; rel=preload", "<c>"]);
  assert.deepEqual(memory.replay("GET /"), ["<a>; rel=preload", "<b>; rel=preload"]);
});

test("store: entries expire maxAge after they were last confirmed; replays are counted", () => {
  const { store: memory, clock } = store();
  memory.learn("GET /", ["<a>; rel=preload"]);
  assert.ok(memory.replay("GET /"));
  clock.now += 4_000;
  memory.learn("GET /", ["<a>; rel=preload"]); // confirmed: same links, expiry pushed back
  clock.now += 4_000;
  assert.ok(memory.replay("GET /"));
  const [entry] = memory.entries();
  assert.equal(entry?.learnedAt, 1_000);
  assert.equal(entry?.replays, 2);
  assert.equal(entry?.expiresAt, 10_000);
  clock.now = 10_000;
  assert.equal(memory.replay("GET /"), undefined);
  assert.deepEqual(memory.entries(), []);
  memory.learn("GET /", ["<a>; rel=preload"]);
  memory.learn("GET /", ["<b>; rel=preload"]); // other links: counted afresh
  assert.equal(memory.entries()[0]?.replays, 0);
  memory.learn("GET /", []);
  assert.equal(memory.size, 0);
});

test("store: the same Link value confirms without parsing; another one does not", () => {
  const { store: memory, clock } = store();
  memory.learn("GET /", ["<a>; rel=preload"], "<a>;rel=preload");
  clock.now += 4_000;
  assert.equal(memory.confirm("GET /", "<a>;rel=preload"), true);
  assert.equal(memory.entries()[0]?.expiresAt, clock.now + 5_000);
  assert.equal(memory.confirm("GET /", "<b>;rel=preload"), false);
  assert.equal(memory.confirm("GET /other", "<a>;rel=preload"), false);
});

// --- options ----------------------------------------------------------------

test("learnedHints: bad bounds and non-function options are refused at once", () => {
  for (const bad of [0, -1, 1.5, Number.NaN]) {
    assert.throws(() => learnedHints({ maxEntries: bad }), RangeError);
    assert.throws(() => learnedHints({ maxLinksPerEntry: bad }), RangeError);
    assert.throws(() => learnedHints({ maxBytesPerEntry: bad }), RangeError);
  }
  assert.throws(() => learnedHints({ maxAge: 0 }), RangeError);
  assert.throws(
    () => learnedHints({ key: "path" } as unknown as LearnedHintsOptions),
    /key must be a function/,
  );
  assert.throws(
    () => learnedHints().wrap("handler" as unknown as () => Response),
    TypeError,
  );
});

test("routeKey: method and path, query and fragment ignored", () => {
  assert.equal(routeKey(new Request("http://h:1/p/q?x=1#f")), "GET /p/q");
  assert.equal(routeKey(new Request("http://h/", { method: "POST" })), "POST /");
  assert.equal(routeKey(new Request("http://h")), "GET /");
});

// --- served, on every transport ----------------------------------------------

interface Visit {
  readonly status: number;
  readonly hints: string[];
  readonly body: string;
}

async function visit(
  url: string | URL,
  init: RequestInit & { client?: Client } = {},
  headers: Record<string, string> = NAVIGATION,
): Promise<Visit> {
  const { client, ...rest } = init;
  const response = await (client ?? { fetch }).fetch(url, { headers, redirect: "manual", ...rest });
  return {
    status: response.status,
    hints: response.informational.map((info) => `${info.status} ${info.headers.get("link")}`),
    body: await response.text(),
  };
}

/** A Hono app whose routes only set Link; `gate` holds `/slow` until released. */
function app(learned = learnedHints()) {
  const results: InformationalResult[] = [];
  const gate = { release: () => {}, opened: Promise.resolve() };
  const hono = new Hono();
  hono.use(learned);
  hono.get("/", (c) => {
    c.header("link", `${STYLE}, </favicon.ico>; rel=icon, <https://cdn.example>; rel=preconnect`);
    return c.html("<link rel=stylesheet href=/app.css>");
  });
  hono.get("/slow", async (c) => {
    await gate.opened;
    c.header("link", STYLE);
    return c.html("slow");
  });
  hono.get("/self-hinting", (c) => {
    c.header("link", STYLE);
    c.header("x-pod", "p1");
    results.push(hint(c, { link: "</app.css>;rel=preload;as=style" })); // already replayed
    results.push(hint(c)); // the rest is new: x-pod
    return c.text("self");
  });
  return { hono, learned, results, gate };
}

for (const transport of TRANSPORTS) {
  const name = transport.name;
  const options: ServeOptions = { ...transport.options };

  test(`${name}: the second navigation gets the learned 103, the first none`, async () => {
    const { hono, learned } = app();
    await withServer(hono.fetch, options, async (server) => {
      assert.deepEqual((await visit(server.url)).hints, []);
      const second = await visit(new URL("/?utm=ignored", server.url));
      assert.deepEqual(second.hints, [`103 ${STYLE}, <https://cdn.example>; rel=preconnect`]);
      assert.equal(second.body, "<link rel=stylesheet href=/app.css>");
      const [entry] = learned.entries();
      assert.equal(entry?.key, "GET /");
      assert.deepEqual(entry?.links, [STYLE, "<https://cdn.example>; rel=preconnect"]);
      assert.equal(entry?.replays, 1);
    });
  });

  test(`${name}: the learned 103 arrives while the handler is still working`, async () => {
    const { hono, gate } = app();
    await withServer(hono.fetch, options, async (server) => {
      await visit(new URL("/slow", server.url)); // learns (the gate is open)
      let release!: () => void;
      gate.opened = new Promise((resolve) => release = resolve);
      let hintedAt = -1;
      const started = performance.now();
      const pending = fetch(new URL("/slow", server.url), {
        headers: NAVIGATION,
        onInformational: () => {
          hintedAt = performance.now() - started;
          release(); // the handler may finish only once the 103 has arrived
        },
      });
      const timer = setTimeout(release, 5_000); // a 103 that never comes fails below, not hangs
      const response = await pending;
      clearTimeout(timer);
      await response.text();
      assert.ok(hintedAt >= 0, "no 103 arrived before the final response");
      assert.ok(hintedAt < 4_000, `the 103 came only after ${hintedAt} ms`);
    });
  });

  test(`${name}: requests that are not navigations neither get nor teach hints`, async () => {
    const { hono, learned } = app();
    await withServer(hono.fetch, options, async (server) => {
      const api = { "sec-fetch-mode": "cors", accept: "text/html" };
      await visit(server.url, {}, api);
      assert.deepEqual(learned.entries(), []);
      await visit(server.url);
      assert.deepEqual((await visit(server.url, {}, api)).hints, []);
      assert.deepEqual((await visit(server.url, {}, {})).hints, []); // no Accept, no Sec-Fetch-Mode
      assert.equal((await visit(server.url)).hints.length, 1);
    });
  });

  test(`${name}: a redirect, a 4xx, a 5xx or a throw forgets the route; a 304 keeps it`, async () => {
    const learned = learnedHints();
    let answer: number | "throw" = 200;
    const handler = learned.wrap(() => {
      if (answer === "throw") throw new Error("handler failed (expected in this test)");
      return new Response(answer === 304 ? null : "page", {
        status: answer,
        headers: { link: STYLE, location: "/elsewhere" },
      });
    });
    await withServer(handler, options, async (server) => {
      for (const code of [301, 302, 303, 307, 308, 400, 403, 404, 500, 503, "throw"] as const) {
        answer = 200;
        await visit(server.url); // learns (or confirms)
        answer = code;
        const bad = await visit(server.url);
        assert.equal(bad.status, code === "throw" ? 500 : code);
        assert.equal(bad.hints.length, 1, `${code}: replayed before the handler answered`);
        answer = 200;
        assert.deepEqual((await visit(server.url)).hints, [], `${code} did not forget the route`);
      }
      answer = 200;
      await visit(server.url);
      answer = 304;
      assert.equal((await visit(server.url)).status, 304);
      answer = 200;
      assert.equal((await visit(server.url)).hints.length, 1, "a 304 forgot the route");
    });
  });

  test(`${name}: a 2xx without hint links forgets; anchored and other relations are not learned`, async () => {
    const learned = learnedHints();
    let link: string | undefined = STYLE;
    const handler = learned.wrap(() =>
      new Response("page", { headers: link === undefined ? {} : { link } })
    );
    await withServer(handler, options, async (server) => {
      await visit(server.url);
      link = undefined;
      assert.equal((await visit(server.url)).hints.length, 1);
      assert.deepEqual(learned.entries(), []);
      link = '</x.css>; rel=stylesheet, </y>; rel=preload; anchor="#z", </m.js>; rel=modulepreload';
      await visit(server.url);
      assert.deepEqual(learned.entries()[0]?.links, ["</m.js>; rel=modulepreload"]);
    });
  });

  test(`${name}: links already replayed are left out of the handler's own 103s`, async () => {
    const { hono, results } = app();
    await withServer(hono.fetch, options, async (server) => {
      const url = new URL("/self-hinting", server.url);
      await visit(url);
      results.length = 0;
      const response = await fetch(url, { headers: NAVIGATION });
      await response.text();
      assert.deepEqual(results.map((result) => result.sent ? "sent" : result.reason), [
        "duplicate",
        "sent",
      ]);
      assert.deepEqual(
        response.informational.map((info) => [...info.headers]),
        [[["link", STYLE]], [["x-pod", "p1"]]],
      );
    });
  });

  test(`${name}: skip and key opt routes out; the server's hintPolicy still decides`, async () => {
    const learned = learnedHints({
      skip: (request) => new URL(request.url).pathname.startsWith("/account"),
    });
    const handler = learned.wrap(() => new Response("page", { headers: { link: STYLE } }));
    const policyResults: InformationalResult[] = [];
    await withServer(handler, options, async (server) => {
      const account = new URL("/account", server.url);
      await visit(account);
      assert.deepEqual((await visit(account)).hints, []);
      assert.deepEqual(learned.entries().map((entry) => entry.key), []);
    });
    const withPolicy = learnedHints();
    const refused = withPolicy.wrap((request: Request) => {
      policyResults.push(sendInformational(request, 102));
      return new Response("page", { headers: { link: STYLE } });
    });
    await withServer(refused, { ...options, hintPolicy: () => false }, async (server) => {
      await visit(server.url);
      assert.deepEqual((await visit(server.url)).hints, []);
      assert.deepEqual(policyResults.map((result) => result.sent ? "sent" : result.reason), [
        "policy",
        "policy",
      ]);
      assert.equal(withPolicy.entries().length, 1); // learning goes on; only sending is withheld
    });
  });

  test(`${name}: many routes stay within maxEntries`, async () => {
    const learned = learnedHints({ maxEntries: 4 });
    const handler = learned.wrap(() => new Response("page", { headers: { link: STYLE } }));
    await withServer(handler, options, async (server) => {
      for (let i = 0; i < 20; i++) await visit(new URL(`/page/${i}`, server.url));
      assert.deepEqual(
        learned.entries().map((entry) => entry.key),
        ["GET /page/16", "GET /page/17", "GET /page/18", "GET /page/19"],
      );
      assert.deepEqual((await visit(new URL("/page/0", server.url))).hints, []);
      assert.equal((await visit(new URL("/page/19", server.url))).hints.length, 1);
    });
  });
}

test("only answers that are the same for everyone teach: one visitor's links never reach another", async () => {
  const learned = learnedHints();
  const handler = learned.wrap((request: Request) => {
    const user = /user=(\w+)/.exec(request.headers.get("cookie") ?? "")?.[1];
    if (user === undefined) return new Response("please sign in");
    const cacheControl = request.headers.get("x-test-cache-control") ?? "private, no-store";
    return new Response(`hello ${user}`, {
      headers: {
        link: `</private/${user}/avatar.jpg?sig=secret-${user}>; rel=preload; as=image`,
        "cache-control": cacheControl,
      },
    });
  });
  await withServer(handler, {}, async (server) => {
    const signedIn = { ...NAVIGATION, cookie: "user=alice" };
    await visit(server.url, {}, signedIn);
    assert.deepEqual((await visit(server.url)).hints, [], "alice's link went to a stranger");
    assert.deepEqual(learned.entries(), []);
    await visit(server.url, {}, { ...signedIn, "x-test-cache-control": "max-age=0" });
    assert.equal(learned.entries().length, 1, "a shareable answer teaches");
    // The sign-in page (no Link) answering Authorization is not for everyone:
    // it neither teaches nor forgets.
    await visit(server.url, {}, { ...NAVIGATION, authorization: "Bearer t" });
    assert.equal(learned.entries().length, 1, "an answer to Authorization forgot the route");
    assert.equal((await visit(server.url)).hints.length, 1, "the shareable links are replayed");
  });
  const trusting = learnedHints({ learnable: () => true });
  const page = trusting.wrap(() =>
    new Response("page", { headers: { link: STYLE, "cache-control": "private", vary: "Cookie" } })
  );
  await withServer(page, {}, async (server) => {
    await visit(server.url);
    assert.equal(
      (await visit(server.url)).hints.length,
      1,
      "learnable: () => true learns private pages",
    );
  });
  assert.throws(
    () => learnedHints({ learnable: 1 } as unknown as LearnedHintsOptions),
    /learnable must be a function/,
  );
});

test("h2: the learned 103 goes out over HTTP/2 as its own HEADERS frame", async () => {
  const { hono } = app();
  const client = new Client({ tls: { ca } });
  try {
    await withServer(hono.fetch, { cert, key }, async (server) => {
      const url = new URL("/", server.url.replace("127.0.0.1", "localhost"));
      assert.deepEqual((await visit(url, { client })).hints, []);
      const response = await client.fetch(url, { headers: NAVIGATION });
      assert.equal(response.httpVersion, "2");
      assert.deepEqual(
        response.informational.map((info) => [info.status, info.headers.get("link")]),
        [[103, `${STYLE}, <https://cdn.example>; rel=preconnect`]],
      );
      await response.text();
    });
  } finally {
    await client.close();
  }
});

test("learnedHints on a server that cannot send 1xx: the route still answers", async () => {
  const learned = learnedHints();
  const handler = learned.wrap(() => new Response("page", { headers: { link: STYLE } }));
  const request = () => new Request("http://localhost/", { headers: NAVIGATION });
  const warn = console.warn;
  console.warn = () => {};
  try {
    assert.equal(await (await handler(request())).text(), "page");
    assert.equal(await (await handler(request())).text(), "page"); // replay skipped: unsupported
  } finally {
    console.warn = warn;
  }
  assert.equal(learned.entries()[0]?.replays, 1);
});
