/**
 * serve()'s argument shapes, each on a real loopback socket: a handler, an
 * app object with a `fetch` method (a Hono app, and a class whose method
 * needs its `this`), options holding `fetch` (Bun.serve, @hono/node-server)
 * or `handler` (Deno.serve), Deno's `(options, handler)`, and a TypeError
 * naming the accepted shapes for anything else.
 *
 * The calls are also the type-level test of the overloads (`deno check`
 * covers this file): every accepted shape compiles as users write it, and
 * the shapes the types refuse carry `@ts-expect-error`, which fails the
 * check if they ever start compiling.
 */

import { test } from "node:test";
import assert from "node:assert/strict";
import { Hono } from "hono";
import { fetch } from "../client.ts";
import { serve } from "../server.ts";
import type {
  ServeHandler,
  ServeHandlerInfo,
  ServeOptions,
  Server,
  SocketAddress,
} from "../server.ts";

const LOOPBACK = { hostname: "127.0.0.1", port: 0 } as const;

/** GETs `path` from `server`, then closes the server whatever happened. */
async function getAndClose(server: Server, path = "/"): Promise<[number, string]> {
  try {
    const response = await fetch(new URL(path, server.url));
    return [response.status, await response.text()];
  } finally {
    await server.close();
  }
}

/** A handler that names the client's address family, from the info argument. */
const handler: ServeHandler = (request, info) =>
  new Response(`${new URL(request.url).pathname} ${info.remoteAddr.transport}`);

/** A Hono app typed with our handler info as its bindings (Hono's `c.env`). */
function honoApp(): Hono<{ Bindings: ServeHandlerInfo }> {
  const app = new Hono<{ Bindings: ServeHandlerInfo }>();
  app.get("/hello/:name", (c) => {
    const addr = c.env.remoteAddr;
    return c.text(
      `hello ${c.req.param("name")} from ${addr.transport === "tcp" ? addr.hostname : ""}`,
    );
  });
  app.get("/boom", () => {
    throw new Error("boom");
  });
  app.onError((_error, c) => c.text("handled by hono", 503));
  return app;
}

/** An app whose `fetch` reads a private field: it works only with the app as `this`. */
class Greeter {
  readonly #greeting: string;
  constructor(greeting: string) {
    this.#greeting = greeting;
  }
  fetch(request: Request): Response {
    return new Response(`${this.#greeting} ${new URL(request.url).pathname}`);
  }
}

test("serve(handler, options) serves the handler", async () => {
  const server = await serve(handler, LOOPBACK);
  assert.deepEqual(await getAndClose(server, "/a"), [200, "/a tcp"]);
});

test("serve(app, options) serves a Hono app, its c.env being the handler info", async () => {
  const app = honoApp();
  const server = await serve(app, LOOPBACK);
  try {
    const hello = await fetch(new URL("/hello/ana", server.url));
    assert.equal(await hello.text(), "hello ana from 127.0.0.1");
    // The app's own onError answers: serve() never reads a Hono app's
    // properties (such as its onError setter) as options.
    const boom = await fetch(new URL("/boom", server.url));
    assert.deepEqual([boom.status, await boom.text()], [503, "handled by hono"]);
  } finally {
    await server.close();
  }
});

test("serve(app) calls app.fetch with the app as this, on the default options", async () => {
  let listened: SocketAddress | undefined;
  const server = await serve(new Greeter("hi"), {
    ...LOOPBACK,
    onListen: (addr) => (listened = addr),
  });
  assert.equal(listened?.transport, "tcp");
  assert.deepEqual(await getAndClose(server, "/b"), [200, "hi /b"]);
});

test("serve({ fetch: app.fetch, port }) serves a Hono app (the @hono/node-server shape)", async () => {
  const app = honoApp();
  const server = await serve({ fetch: app.fetch, ...LOOPBACK });
  assert.deepEqual(await getAndClose(server, "/hello/bo"), [200, "hello bo from 127.0.0.1"]);
});

test("serve({ fetch(request) {...}, ...options }) reads every option beside fetch (the Bun.serve shape)", async () => {
  let listened: SocketAddress | undefined;
  const server = await serve({
    hostname: "127.0.0.1",
    port: 0,
    onListen: (addr) => (listened = addr),
    limits: { maxRequestsPerConnection: 1 },
    fetch(request, info) {
      return new Response(`${request.method} ${info.remoteAddr.transport}`);
    },
  });
  try {
    assert.deepEqual(listened, server.addr);
    const response = await fetch(server.url);
    assert.equal(await response.text(), "GET tcp");
    // limits came from the same object: one request per connection.
    assert.equal(response.headers.get("connection"), "close");
  } finally {
    await server.close();
  }
});

test("serve({ handler, ...options }) and serve(options, handler) follow Deno.serve", async () => {
  const init = await serve({ handler, ...LOOPBACK });
  assert.deepEqual(await getAndClose(init, "/c"), [200, "/c tcp"]);
  const optionsFirst = await serve(LOOPBACK, handler);
  assert.deepEqual(await getAndClose(optionsFirst, "/d"), [200, "/d tcp"]);
});

test("serve() refuses other shapes with a TypeError naming the accepted ones", async () => {
  const namesShapes = (error: unknown) =>
    error instanceof TypeError && error.message.includes("serve({ fetch, ...options })") &&
    error.message.includes("serve(app, options?)");
  // @ts-expect-error: a number is no handler
  await assert.rejects(serve(42), namesShapes);
  // @ts-expect-error: null is no handler
  await assert.rejects(serve(null), namesShapes);
  // @ts-expect-error: options without fetch or handler
  await assert.rejects(serve({ port: 0 }), namesShapes);
  // @ts-expect-error: nothing at all
  await assert.rejects(serve(), namesShapes);
  const app = new Hono();
  const missing = (app as unknown as Record<string, unknown>)["fecth"];
  await assert.rejects(
    // @ts-expect-error: a misspelt app.fetch is undefined
    serve({ fetch: missing, port: 0 }),
    (error: unknown) =>
      error instanceof TypeError && /fetch must be a function/.test(String(error)),
  );
  await assert.rejects(
    serve({ fetch: app.fetch, handler: app.fetch, port: 0 }),
    (error: unknown) => error instanceof TypeError && /given twice/.test(String(error)),
  );
  // A handler beside options that hold fetch would be silently ignored.
  await assert.rejects(
    // @ts-expect-error: options holding fetch take no second handler
    serve({ fetch: app.fetch, port: 0 }, handler),
    (error: unknown) => error instanceof TypeError && /given twice/.test(String(error)),
  );
  // Options in two places would leave one set silently unused.
  const init: ServeOptions & { fetch: ServeHandler } = { fetch: app.fetch, port: 0 };
  await assert.rejects(
    serve(init, { port: 0 }),
    (error: unknown) => error instanceof TypeError && /found port in the first/.test(String(error)),
  );
  await assert.rejects(
    // @ts-expect-error: a second handler is no options object
    serve(handler, handler),
    (error: unknown) => error instanceof TypeError && /options object/.test(String(error)),
  );
});
