/**
 * The argument shapes `serve()` accepts, told apart at run time: a handler,
 * an app with a `fetch` method, options holding `fetch` (Bun.serve,
 * `@hono/node-server`) or `handler` (Deno.serve), or Deno's
 * `(options, handler)`. This module is browser compatible.
 *
 * @module
 */

import type { ServeHandler, ServeOptions } from "./types.ts";

/** What every accepted shape comes down to. */
export interface ServeArgs {
  /** The handler, bound to its app or options object when it came as a method. */
  readonly handler: ServeHandler;
  /** The options (for the init shapes, the object that also held the handler). */
  readonly options: ServeOptions;
}

const ACCEPTED = "serve(handler, options?), serve(app, options?) where app.fetch is a function, " +
  "serve({ fetch, ...options }), serve({ handler, ...options }) or serve(options, handler)";

// Keys of ServeOptions: an app given with separate options must not carry
// them too, or one set would be silently ignored.
const OPTION_KEYS: readonly (keyof ServeOptions)[] = [
  "hostname",
  "port",
  "path",
  "cert",
  "key",
  "limits",
  "signal",
  "onListen",
  "onError",
  "adapter",
  "http2",
  "hintPolicy",
];

/**
 * Resolves `serve()`'s two arguments to a handler and options.
 *
 * A plain object (an object literal) holding `fetch` is options, as in
 * `Bun.serve({ fetch, port })`; any other object with a `fetch` method (a
 * class instance such as a Hono app) is an app, whose own properties are
 * never read as options (a Hono app's `onError` is its error-handler setter).
 *
 * @param first A handler, an app, or options holding the handler.
 * @param second Options, or the handler when `first` is options.
 * @returns The handler and options.
 * @throws {TypeError} For any other shape, naming the accepted ones.
 *
 * @example Bun's shape
 * ```ts
 * import assert from "node:assert/strict";
 * import { resolveServeArgs } from "./serve_args.ts";
 * const { options } = resolveServeArgs({ fetch: () => new Response("hi"), port: 0 }, undefined);
 * assert.equal(options.port, 0);
 * ```
 */
export function resolveServeArgs(first: unknown, second: unknown): ServeArgs {
  if (typeof first === "function") {
    return { handler: first as ServeHandler, options: optionsArgument(second, "second") };
  }
  if (typeof first !== "object" || first === null) {
    throw new TypeError(`serve: expected ${ACCEPTED}; got ${describe(first)}`);
  }
  const holder = first as { readonly fetch?: unknown; readonly handler?: unknown };
  if ("fetch" in holder) {
    if (typeof holder.fetch !== "function") {
      throw new TypeError(
        `serve: the first argument's fetch must be a function (request, info) => Response, got ${
          describe(holder.fetch)
        }`,
      );
    }
    const app = first as { fetch(request: Request, info: unknown): Response | Promise<Response> };
    const handler: ServeHandler = (request, info) => app.fetch(request, info);
    if (isPlainObject(first)) {
      if ("handler" in holder || typeof second === "function") {
        throw new TypeError(
          "serve: the handler is given twice (as fetch, and as handler or the second argument); give it once",
        );
      }
      if (second === undefined) return { handler, options: first as ServeOptions };
      const key = OPTION_KEYS.find((name) => name in holder);
      if (key !== undefined) {
        throw new TypeError(
          `serve: options go either beside fetch or in the second argument, not both (found ${key} in the first)`,
        );
      }
    }
    return { handler, options: optionsArgument(second, "second") };
  }
  if ("handler" in holder) {
    if (typeof holder.handler !== "function") {
      throw new TypeError(
        `serve: handler must be a function (request, info) => Response, got ${
          describe(holder.handler)
        }`,
      );
    }
    if (second !== undefined) {
      throw new TypeError(
        `serve: options holding handler take no second argument; use ${ACCEPTED}`,
      );
    }
    const init = first as {
      handler(request: Request, info: unknown): Response | Promise<Response>;
    };
    return {
      handler: (request, info) => init.handler(request, info),
      options: first as ServeOptions,
    };
  }
  if (typeof second === "function") {
    return { handler: second as ServeHandler, options: first as ServeOptions };
  }
  throw new TypeError(
    `serve: no handler: expected ${ACCEPTED}; got ${describe(first)} and ${describe(second)}`,
  );
}

function optionsArgument(value: unknown, position: string): ServeOptions {
  if (value === undefined) return {};
  if (typeof value !== "object" || value === null) {
    throw new TypeError(
      `serve: the ${position} argument must be an options object, got ${describe(value)}`,
    );
  }
  return value as ServeOptions;
}

function isPlainObject(value: object): boolean {
  const prototype = Object.getPrototypeOf(value);
  return prototype === Object.prototype || prototype === null;
}

function describe(value: unknown): string {
  if (value === null) return "null";
  if (typeof value === "function") return "a function";
  if (typeof value !== "object") return `${typeof value} ${String(value)}`;
  const keys = Object.keys(value);
  return keys.length === 0 ? "an object with no properties" : `an object with ${keys.join(", ")}`;
}
