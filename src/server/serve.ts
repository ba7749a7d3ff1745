/**
 * `serve()`: run a web-standard fetch handler (a Hono app's `app.fetch`) on
 * a server that can send interim responses, on Deno, Bun and Node. This
 * module is browser compatible (runtime code is loaded from `src/runtime/`).
 *
 * @module
 */

import { defaultAdapter, detectRuntime, loadAdapter } from "../runtime/select.ts";
import type { RuntimeAdapter, SocketAddress } from "../runtime/types.ts";
import type { BackendSettings, ServerBackend } from "./backend.ts";
import { startEngineServer } from "./engine_server.ts";
import { serverUrl } from "./server_url.ts";
import { resolveServeLimits } from "./limits.ts";
import { resolveServeArgs } from "./serve_args.ts";
import type {
  FetchApp,
  ServeAdapterName,
  ServeFetchInit,
  ServeHandler,
  ServeHandlerInit,
  ServeOptions,
  Server,
} from "./types.ts";

/**
 * The backend used on Node when no adapter is named. Our engine on
 * `node:net` costs about a quarter of the server CPU per hinted request of
 * the `node-http` backend (`npm run bench`, the `adapter: "node-http"` rows
 * of docs/benchmarks.md).
 */
const NODE_DEFAULT: ServeAdapterName = "node";

/**
 * Serves `handler` over HTTP/1.1 (HTTPS with `cert` and `key`), with interim
 * responses available to it through `sendInformational()` and Hono's
 * `hint()`. Resolves once the listener is bound.
 *
 * The request given to the handler is a standard `Request`: its URL is built
 * from the scheme, `Host` and target; its body (`null` for GET and HEAD)
 * streams from the socket with backpressure, answering `Expect: 100-continue`
 * when first read; its `signal` aborts when the client goes away or the
 * server is closed. A handler that throws gets a `500` and the connection
 * lives on. Responses are written with `Content-Length` when the body is
 * ready at once, else chunked; HEAD gets no body; every response has a `Date`.
 *
 * The other shapes users write are accepted too: `serve(app)` for an object
 * with a `fetch` method (a Hono app), `serve({ fetch, port })` as with
 * `Bun.serve` and `@hono/node-server`, and Deno.serve's
 * `serve({ handler, port })` and `serve(options, handler)`.
 *
 * @param handler A fetch handler: `(request, info) => Response | Promise<Response>`.
 * @param options Where to listen, TLS, limits, `signal`, `onListen`, `adapter`.
 * @returns The running server.
 * @throws {TypeError} When no handler can be found in the arguments or the options are inconsistent.
 * @throws {RangeError} For a bad port or limit.
 * @throws {SocketError} When the address cannot be bound (its `code` is `EADDRINUSE`, `EACCES`...).
 *
 * @example Serving a Hono app with an early hint
 * ```ts
 * import assert from "node:assert/strict";
 * import { Hono } from "hono";
 * import { hint, serve } from "@interim/http/server";
 * import { fetch } from "@interim/http/client";
 *
 * const app = new Hono();
 * app.get("/", (c) => {
 *   hint(c, { link: "</app.css>; rel=preload; as=style" });
 *   return c.text("hello");
 * });
 * const server = await serve(app.fetch, { hostname: "127.0.0.1", port: 0 });
 * console.log(`listening on ${server.url}`);
 * try {
 *   const response = await fetch(server.url);
 *   assert.equal(response.informational[0]?.status, 103);
 *   assert.equal(await response.text(), "hello");
 * } finally {
 *   await server.shutdown();
 * }
 * ```
 */
export function serve(handler: ServeHandler, options?: ServeOptions): Promise<Server>;
/**
 * Serves the handler held in the options: as `fetch`, the shape of
 * `Bun.serve` and `@hono/node-server`, or as `handler`, the shape of
 * `Deno.serve`'s `ServeInit`. The handler is called as a method of the
 * object.
 *
 * @param init The options with `fetch` (or `handler`) beside them.
 * @returns The running server.
 * @throws {TypeError} When `fetch` (or `handler`) is not a function, or both are given.
 * @throws {RangeError} For a bad port or limit.
 * @throws {SocketError} When the address cannot be bound.
 *
 * @example The @hono/node-server shape
 * ```ts
 * import assert from "node:assert/strict";
 * import { Hono } from "hono";
 * import { serve } from "@interim/http/server";
 * import { fetch } from "@interim/http/client";
 *
 * const app = new Hono().get("/", (c) => c.text("hello"));
 * const server = await serve({ fetch: app.fetch, hostname: "127.0.0.1", port: 0 });
 * try {
 *   assert.equal(await (await fetch(server.url)).text(), "hello");
 * } finally {
 *   await server.close();
 * }
 * ```
 */
export function serve(init: ServeFetchInit | ServeHandlerInit): Promise<Server>;
/**
 * Serves an app: any object with a `fetch(request, info)` method, such as a
 * Hono app, called with the app as `this`. Its own properties are not read
 * as options; give those as the second argument.
 *
 * @param app The object whose `fetch` method handles requests.
 * @param options Where to listen, TLS, limits, `signal`, `onListen`, `adapter`.
 * @returns The running server.
 * @throws {TypeError} When `app.fetch` is not a function or the options are inconsistent.
 * @throws {RangeError} For a bad port or limit.
 * @throws {SocketError} When the address cannot be bound.
 *
 * @example Serving a Hono app object
 * ```ts
 * import assert from "node:assert/strict";
 * import { Hono } from "hono";
 * import { serve } from "@interim/http/server";
 * import { fetch } from "@interim/http/client";
 *
 * const app = new Hono().get("/", (c) => c.text("hello"));
 * const server = await serve(app, { hostname: "127.0.0.1", port: 0 });
 * try {
 *   assert.equal(await (await fetch(server.url)).text(), "hello");
 * } finally {
 *   await server.close();
 * }
 * ```
 */
export function serve(app: FetchApp, options?: ServeOptions): Promise<Server>;
/**
 * Serves `handler` with the options first, the other shape of `Deno.serve`.
 *
 * @param options Where to listen, TLS, limits, `signal`, `onListen`, `adapter`.
 * @param handler A fetch handler: `(request, info) => Response | Promise<Response>`.
 * @returns The running server.
 * @throws {TypeError} When the options are inconsistent.
 * @throws {RangeError} For a bad port or limit.
 * @throws {SocketError} When the address cannot be bound.
 *
 * @example Options first, as with Deno.serve
 * ```ts
 * import assert from "node:assert/strict";
 * import { serve } from "@interim/http/server";
 * import { fetch } from "@interim/http/client";
 *
 * const server = await serve({ hostname: "127.0.0.1", port: 0 }, () => new Response("hi"));
 * try {
 *   assert.equal(await (await fetch(server.url)).text(), "hi");
 * } finally {
 *   await server.close();
 * }
 * ```
 */
export function serve(options: ServeOptions, handler: ServeHandler): Promise<Server>;
export async function serve(first: unknown, second?: unknown): Promise<Server> {
  const { handler, options } = resolveServeArgs(first, second);
  const port = options.port;
  if (port !== undefined && (!Number.isInteger(port) || port < 0 || port > 65535)) {
    throw new RangeError(`serve: port must be an integer from 0 to 65535, got ${port}`);
  }
  if ((options.cert === undefined) !== (options.key === undefined)) {
    throw new TypeError("serve: cert and key must be given together");
  }
  if (options.hintPolicy !== undefined && typeof options.hintPolicy !== "function") {
    throw new TypeError("serve: hintPolicy must be a function (request) => boolean");
  }
  const limits = resolveServeLimits(options.limits);
  const settings: BackendSettings = {
    handler,
    options,
    limits,
    onError: guardedOnError(options.onError ?? defaultOnError),
  };
  const backend = await startBackend(settings);
  const server = new RunningServer(backend, options.cert !== undefined);
  const signal = options.signal;
  if (signal !== undefined) {
    if (signal.aborted) void server.shutdown();
    else signal.addEventListener("abort", () => void server.shutdown(), { once: true });
  }
  if (!signal?.aborted) options.onListen?.(backend.addr);
  return server;
}

function defaultOnError(error: unknown, request: Request): void {
  console.error(`interim: the handler failed for ${request.method} ${request.url}:`, error);
}

/**
 * `onError` runs where nothing can catch for it (the exchange is answering
 * 500): one that throws must not crash the process or leave the client
 * without an answer, so its failure is logged instead.
 */
function guardedOnError(
  onError: (error: unknown, request: Request) => void,
): (error: unknown, request: Request) => void {
  return (error, request) => {
    try {
      onError(error, request);
    } catch (failure) {
      console.error("interim: onError threw while reporting a handler failure:", failure);
    }
  };
}

async function startBackend(settings: BackendSettings): Promise<ServerBackend> {
  const choice = settings.options.adapter;
  let adapter: RuntimeAdapter;
  if (typeof choice === "object" && choice !== null) adapter = choice;
  else {
    const name = choice ?? (detectRuntime() === "node" ? NODE_DEFAULT : undefined);
    if (name === "node-http") {
      if (settings.options.http2 === true) {
        throw new TypeError('serve: http2 is not available with the "node-http" adapter');
      }
      const { startNodeHttpServer } = await import("./node_http_server.ts");
      return await startNodeHttpServer(settings);
    }
    if (name === undefined) adapter = await defaultAdapter();
    else if (name === "deno" || name === "bun" || name === "node") {
      adapter = await loadAdapter(name);
    } else {
      throw new TypeError(
        `serve: unknown adapter ${
          JSON.stringify(name)
        }; use "deno", "bun", "node", "node-http" or a socket adapter object`,
      );
    }
  }
  if (settings.options.http2 ?? settings.options.cert !== undefined) {
    const { startH2Server } = await import("./h2_server.ts");
    return await startH2Server(settings, adapter);
  }
  return await startEngineServer(settings, adapter);
}

class RunningServer implements Server {
  readonly finished: Promise<void>;
  readonly #backend: ServerBackend;
  readonly #tls: boolean;
  #finish!: () => void;
  #stopping: Promise<void> | undefined;
  #closing = false;

  constructor(backend: ServerBackend, tls: boolean) {
    this.#backend = backend;
    this.#tls = tls;
    this.finished = new Promise((resolve) => (this.#finish = resolve));
  }

  get addr(): SocketAddress {
    return this.#backend.addr;
  }

  get url(): string {
    return serverUrl(this.addr, this.#tls);
  }

  get adapter(): string {
    return this.#backend.adapter;
  }

  shutdown(): Promise<void> {
    return this.#stop(false);
  }

  close(): Promise<void> {
    return this.#stop(true);
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.shutdown();
  }

  #stop(force: boolean): Promise<void> {
    if (this.#stopping === undefined || (force && !this.#closing)) {
      this.#closing ||= force;
      const stopping = force ? this.#backend.close() : this.#backend.shutdown();
      this.#stopping = stopping.finally(() => this.#finish());
    }
    return this.#stopping;
  }
}
