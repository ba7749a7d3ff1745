/**
 * `learnedHints()`: early hints with no hint code in the routes. A route
 * that names its subresources in a `Link` header on its final response
 * gets, from the next navigation on, a `103 Early Hints` with those links,
 * sent before its handler runs. This module is browser compatible.
 *
 * @module
 */

import { type Context, hint, type MiddlewareHandler } from "./hono.ts";
import { navigationsOnly } from "./hint_policy.ts";
import { parseLinkHeader } from "./link_header.ts";
import { shareable } from "./shareable.ts";
import {
  type LearnedHintsBounds,
  type LearnedHintsEntry,
  LearnedHintsStore,
} from "./learned_hints_store.ts";
import { interimTargetOf } from "./request_factory.ts";
import { sendInformational } from "./send_informational.ts";
import type { InformationalResult } from "./types.ts";

export type { LearnedHintsEntry } from "./learned_hints_store.ts";

/** Options of {@linkcode learnedHints}; every one has a default. */
export interface LearnedHintsOptions {
  /** Most routes remembered, least recently used dropped first. Default 1000. */
  readonly maxEntries?: number;
  /** Most links replayed per route; later ones are left out. Default 16. */
  readonly maxLinksPerEntry?: number;
  /** Most bytes of `link` values per route's 103. Default 4096. */
  readonly maxBytesPerEntry?: number;
  /**
   * How long, in ms, learned links are replayed after the route last
   * answered with them. Default 600000 (10 minutes).
   */
  readonly maxAge?: number;
  /**
   * The route a request belongs to: learned links are shared by requests
   * with the same key. Default {@linkcode routeKey}: the method and the URL
   * path, query ignored. Return `undefined` to leave a request alone.
   */
  readonly key?: (request: Request) => string | undefined;
  /**
   * Which requests get learned hints, and teach them. Default
   * {@linkcode navigationsOnly}: a browser navigation.
   */
  readonly replayTo?: (request: Request) => boolean;
  /** Requests to leave alone (no replay, no learning): a per-route opt-out. */
  readonly skip?: (request: Request) => boolean;
  /**
   * Which 2xx answers may teach: the links are replayed to every visitor of
   * the route, so by default only answers that are the same for everyone,
   * as a shared cache judges them ({@linkcode shareable}: no
   * `Cache-Control: private` or `no-store`, no `Vary` but
   * `Accept-Encoding`, no `Authorization` unless `public`). Pass
   * `() => true` when your routes mark pages private but their `Link`
   * headers never depend on the visitor. An answer that may not teach
   * neither learns nor forgets.
   */
  readonly learnable?: (request: Request, response: Response) => boolean;
  /** The clock, in ms since the epoch. Default `Date.now`. */
  readonly now?: () => number;
}

/** A fetch handler, as `serve()` and `Deno.serve` take it. */
export type FetchHandler<Rest extends unknown[]> = (
  request: Request,
  ...rest: Rest
) => Response | Promise<Response>;

/**
 * What `learnedHints()` returns: a Hono middleware (`app.use(learned)`),
 * with a wrapper for plain fetch handlers and a view of what it learned.
 */
export interface LearnedHints extends MiddlewareHandler {
  /**
   * Wraps a fetch handler (for `serve()`, `Deno.serve`, `Bun.serve`): the
   * same replay before it runs and learning from its response.
   */
  wrap<Rest extends unknown[]>(handler: FetchHandler<Rest>): FetchHandler<Rest>;
  /** What is remembered now, least recently used first. */
  entries(): LearnedHintsEntry[];
  /** Forgets one route (`"GET /path"` with the default key); true when it was remembered. */
  forget(key: string): boolean;
  /** Forgets every route. */
  clear(): void;
}

// The relations a browser acts on in a 103 (RFC 8297, HTML's "process early
// hint headers"): each fetches or connects ahead of the page.
const HINTED_RELATIONS: ReadonlySet<string> = new Set(["preload", "modulepreload", "preconnect"]);

/**
 * Makes early hints from what routes already say. When a route answers a
 * navigation with a 2xx whose `Link` header lists `preload`,
 * `modulepreload` or `preconnect` links, those links are remembered for
 * its key (method and path); the next navigation to that route gets a
 * `103 Early Hints` with them at once, before the handler runs, so the
 * browser fetches them while the page is produced.
 *
 * - A route that answers a navigation with a redirect (3xx other than 304),
 *   a 4xx or a 5xx, or whose handler throws, is forgotten: a visitor about
 *   to get a 403 is not sent the page's assets again and again. A 2xx
 *   without such links forgets too; a 304 changes nothing.
 * - Each 2xx learns again, so a route whose links change is replayed with
 *   the new ones from the next request on, and an entry in use never ages
 *   out; one left alone expires after `maxAge`.
 * - Links the handler hints itself later in the same request
 *   (`hint()`, `sendInformational`) are not sent twice: a 103 whose every
 *   field was already replayed is skipped with reason `"duplicate"`.
 * - Only answers that are the same for every visitor teach (`learnable`,
 *   by default {@linkcode shareable}): the links are replayed to everyone,
 *   so a page marked `Cache-Control: private` or `no-store`, one that
 *   varies on `Cookie`, or one answering `Authorization` never hands its
 *   links to the next visitor. A route whose `Link` echoes the query or
 *   the visitor must say so that way, or be left out with `skip`.
 * - Only links without an `anchor` are learned; at most
 *   `maxLinksPerEntry` links and `maxBytesPerEntry` bytes per route, and
 *   `maxEntries` routes.
 * - The server's `hintPolicy` still decides whether the 103 goes out.
 *
 * On `@hono/node-server` the replay goes through its `ServerResponse`, as
 * `hint()` does (on Node 22 too: a learned 103 always carries a `link`,
 * which `writeEarlyHints` needs); duplicate suppression needs this
 * package's `serve()`.
 *
 * @param options Bounds, expiry, key and opt-outs.
 * @returns The middleware, with `wrap()`, `entries()`, `forget()` and `clear()`.
 * @throws {RangeError} When a bound is not a positive integer (`maxAge`: a positive number).
 * @throws {TypeError} When `key`, `replayTo`, `skip`, `learnable` or `now` is given and not a function.
 *
 * @example A Hono route with only a Link header gets a learned 103 on the next navigation
 * ```ts
 * import assert from "node:assert/strict";
 * import { Hono } from "hono";
 * import { learnedHints, serve } from "@interim/http/server";
 * import { fetch } from "@interim/http/client";
 *
 * const learned = learnedHints();
 * const app = new Hono();
 * app.use(learned);
 * app.get("/", (c) => {
 *   c.header("link", "</app.css>; rel=preload; as=style");
 *   return c.html("<link rel=stylesheet href=/app.css>");
 * });
 * const server = await serve(app.fetch, { hostname: "127.0.0.1", port: 0 });
 * try {
 *   const navigation = { headers: { "sec-fetch-mode": "navigate", accept: "text/html" } };
 *   const first = await fetch(server.url, navigation);
 *   assert.equal(first.informational.length, 0); // nothing learned yet
 *   await first.text();
 *   const second = await fetch(server.url, navigation);
 *   assert.equal(second.informational[0]?.headers.get("link"), "</app.css>; rel=preload; as=style");
 *   await second.text();
 *   assert.deepEqual(learned.entries().map((entry) => entry.key), ["GET /"]);
 * } finally {
 *   await server.shutdown();
 * }
 * ```
 *
 * @example A plain fetch handler
 * ```ts
 * import assert from "node:assert/strict";
 * import { learnedHints, serve } from "@interim/http/server";
 * import { fetch } from "@interim/http/client";
 *
 * const learned = learnedHints({ replayTo: () => true }); // every request, not only navigations
 * const server = await serve(
 *   learned.wrap(() => new Response("page", { headers: { link: "<https://cdn.example>; rel=preconnect" } })),
 *   { hostname: "127.0.0.1", port: 0 },
 * );
 * try {
 *   await (await fetch(server.url)).text();
 *   const again = await fetch(new URL("/?query=ignored", server.url));
 *   assert.equal(again.informational[0]?.headers.get("link"), "<https://cdn.example>; rel=preconnect");
 *   await again.text();
 * } finally {
 *   await server.shutdown();
 * }
 * ```
 */
export function learnedHints(options: LearnedHintsOptions = {}): LearnedHints {
  const store = new LearnedHintsStore(
    boundsOf(options),
    functionOption(options, "now") ?? Date.now,
  );
  const keyOf = functionOption(options, "key") ?? routeKey;
  const replayTo = functionOption(options, "replayTo") ?? navigationsOnly;
  const skip = functionOption(options, "skip");
  const learnable = functionOption(options, "learnable") ?? shareable;

  /** The key of a request this middleware handles, or `undefined`. */
  const keyFor = (request: Request): string | undefined => {
    if (!replayTo(request) || skip?.(request) === true) return undefined;
    return keyOf(request);
  };

  /** After the final response: learn from a shareable 2xx, forget on a redirect or error. */
  const learnFrom = (key: string, request: Request, response: Response | undefined): void => {
    if (response === undefined || response.status >= 300 && response.status !== 304) {
      store.forget(key);
    } else if (response.status >= 200 && response.status < 300 && learnable(request, response)) {
      const field = response.headers.get("link");
      if (field === null) store.forget(key);
      else if (!store.confirm(key, field)) store.learn(key, hintedLinks(field), field);
    }
  };

  /** Sends the links remembered for `key`, flushed, through `send`. */
  const replay = (
    key: string,
    request: Request,
    send: (fields: { link: string }) => InformationalResult,
  ): void => {
    const links = store.replay(key);
    if (links !== undefined) markReplayed(request, send({ link: links.join(", ") }), links);
  };

  const middleware = async (c: Context, next: () => Promise<void>): Promise<void> => {
    const key = keyFor(c.req.raw);
    if (key === undefined) return await next();
    // hint() also reaches @hono/node-server's ServerResponse.
    replay(key, c.req.raw, (fields) => hint(c, fields, { flush: true }));
    try {
      await next();
    } catch (error) {
      // Hono answers a throw through onError before this sees it; a
      // framework that lets it through gets the same treatment as a 5xx.
      learnFrom(key, c.req.raw, undefined);
      throw error;
    }
    learnFrom(key, c.req.raw, c.res);
  };

  const wrap = <Rest extends unknown[]>(handler: FetchHandler<Rest>): FetchHandler<Rest> => {
    if (typeof handler !== "function") {
      throw new TypeError("learnedHints: wrap() takes a fetch handler (request) => Response");
    }
    return async (request, ...rest) => {
      const key = keyFor(request);
      if (key === undefined) return await handler(request, ...rest);
      replay(key, request, (fields) => sendInformational(request, 103, fields, { flush: true }));
      let response: Response | undefined;
      try {
        response = await handler(request, ...rest);
        return response;
      } finally {
        learnFrom(key, request, response);
      }
    };
  };

  return Object.assign(middleware, {
    wrap,
    entries: () => store.entries(),
    forget: (key: string) => store.forget(key),
    clear: () => store.clear(),
  });
}

/**
 * The default key: the method and the URL's path, query and fragment
 * ignored, so `/search?q=a` and `/search?q=b` share what they learned.
 *
 * @param request The request.
 * @returns `"METHOD /path"`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { routeKey } from "@interim/http/server";
 * assert.equal(routeKey(new Request("http://localhost/a/b?x=1")), "GET /a/b");
 * ```
 */
export function routeKey(request: Request): string {
  const url = request.url;
  const authority = url.indexOf("//");
  const pathStart = authority === -1 ? 0 : url.indexOf("/", authority + 2);
  if (pathStart === -1) return `${request.method} /`;
  let pathEnd = url.length;
  const query = url.indexOf("?", pathStart);
  if (query !== -1) pathEnd = query;
  const fragment = url.indexOf("#", pathStart);
  if (fragment !== -1 && fragment < pathEnd) pathEnd = fragment;
  return `${request.method} ${url.slice(pathStart, pathEnd)}`;
}

/** The link-values of a final response worth a 103, in canonical spelling. */
function hintedLinks(field: string): string[] {
  const links: string[] = [];
  for (const link of parseLinkHeader(field)) {
    if (link.anchored || !link.rels.some((rel) => HINTED_RELATIONS.has(rel))) continue;
    links.push(link.text);
  }
  return links;
}

/** Records the links a replayed 103 carried, so the handler's own hints skip them. */
function markReplayed(
  request: Request,
  result: InformationalResult,
  links: readonly string[],
): void {
  if (!result.sent) return;
  const target = interimTargetOf(request);
  if (target === undefined) return;
  const sent = target.learnedLinks ?? (target.learnedLinks = new Set());
  for (const link of links) sent.add(link);
}

function boundsOf(options: LearnedHintsOptions): LearnedHintsBounds {
  return {
    maxEntries: positiveInteger(options.maxEntries, "maxEntries", 1000),
    maxLinksPerEntry: positiveInteger(options.maxLinksPerEntry, "maxLinksPerEntry", 16),
    maxBytesPerEntry: positiveInteger(options.maxBytesPerEntry, "maxBytesPerEntry", 4096),
    maxAge: positiveNumber(options.maxAge, "maxAge", 600_000),
  };
}

function positiveInteger(value: number | undefined, name: string, fallback: number): number {
  if (value === undefined) return fallback;
  if (!Number.isInteger(value) || value < 1) {
    throw new RangeError(`learnedHints: ${name} must be a positive integer, got ${value}`);
  }
  return value;
}

function positiveNumber(value: number | undefined, name: string, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== "number" || !(value > 0)) {
    throw new RangeError(`learnedHints: ${name} must be a positive number of ms, got ${value}`);
  }
  return value;
}

function functionOption<Name extends "key" | "replayTo" | "skip" | "learnable" | "now">(
  options: LearnedHintsOptions,
  name: Name,
): LearnedHintsOptions[Name] {
  const value = options[name];
  if (value !== undefined && typeof value !== "function") {
    throw new TypeError(`learnedHints: ${name} must be a function`);
  }
  return value;
}
