/**
 * Hono helpers: `hint(c)` sends a `103 Early Hints` from a handler with Go's
 * header semantics, and `earlyHints()` / `preload()` are middleware that hint
 * before the route runs. Nothing is imported from Hono (the context type is
 * declared structurally), so Hono is not a dependency at all. This module is
 * browser compatible.
 *
 * @module
 */

import { isValidHeaderName } from "../http1/validate.ts";
import { type FieldsInit, toHeaderList } from "./fields.ts";
import type { InterimTarget } from "./interim_target.ts";
import { interimTargetOf } from "./request_factory.ts";
import { responseFields } from "./response_fields.ts";
import { FORBIDDEN_IN_INTERIM, sendInformational, warnIfLate } from "./send_informational.ts";
import {
  type IncomingMessageLike,
  isServerResponseLike,
  type ServerResponseLike,
  writeInterimToServerResponse,
} from "./server_response_interim.ts";
import type { InformationalResult, SendInformationalOptions } from "./types.ts";

/**
 * The part of a Hono `Context` the helpers use. Declared here, rather than
 * imported from `hono`, so the published types need no `hono` package; a
 * Hono `Context` fits it.
 */
export interface Context {
  /** Hono's request wrapper; `raw` is the `Request` the server created. */
  readonly req: {
    readonly raw: Request;
    readonly url: string;
    readonly method: string;
    readonly path: string;
    header(name: string): string | undefined;
  };
  /** The response being prepared (Hono creates it on first read). */
  readonly res: Response;
  /** Sets, appends (`{ append: true }`) or deletes (no value) a response field. */
  header(name: string, value?: string, options?: { append?: boolean }): void;
  /** The server's bindings; `@hono/node-server` puts `{ incoming, outgoing }` here. */
  readonly env?: unknown;
}

/** A Hono middleware, as the helpers return it (fits Hono's `MiddlewareHandler`). */
export type MiddlewareHandler = (c: Context, next: () => Promise<void>) => Promise<void>;

const tracked = new WeakSet<Context>();

// Visible ASCII without "<" and ">", which would end the Link's URI-Reference
// (RFC 8288 section 3).
const URI_REFERENCE = /^[!-;=?-~]+$/;

/**
 * Sends a `103 Early Hints` for the request a Hono handler is serving.
 *
 * With `headers`, exactly those fields are sent (arrays and pairs give one
 * field line per value), and the context is left alone.
 *
 * Without `headers`, it behaves like Go's `w.WriteHeader(103)`: it sends the
 * fields set so far with `c.header()`, and they stay on the context, so the
 * final response carries them unless the handler replaces them (RFC 8297
 * section 2 lets it). Values added later with `c.header(name, value, {
 * append: true })` are sent in the final response as separate field lines,
 * one per value (`sss: ttt` then `sss: uuu`, as Go's `Header.Add` does), so Go
 * clients print `[ttt uuu]` rather than `[ttt, uuu]`; by RFC 9110 section 5.3
 * both forms mean the same, and a web `Headers` on the receiving side joins
 * them as `ttt, uuu` either way. Values appended before the first `hint(c)`
 * are sent joined, as `Headers` stores them.
 *
 * Under `@hono/node-server` the hint is written through the `ServerResponse`
 * it passes as `c.env.outgoing` (appended values then stay joined in the
 * final response, which node-server writes). Under a server that cannot send
 * interim responses (plain `Deno.serve`, `Bun.serve`) nothing is sent, a
 * warning is printed once, and the request goes on; HTTP/1.0 clients get
 * nothing either (RFC 9110 section 15.2). A hint that comes too late (a
 * progress timer still firing after the handler returned, a client that
 * left) sends nothing and never throws, on every server (see
 * `sendInformational`). The result says which happened.
 *
 * @param c The Hono context.
 * @param headers The hint's fields; omit to send the context's fields.
 * @param options `{ flush: true }` writes the hint at once, for a route that
 * goes on with synchronous work (see `sendInformational`).
 * @returns `{ sent: true }`, or `{ sent: false, reason }` (`"http/1.0"`,
 * `"closed"`, `"final-response-started"`, `"finished"`, `"unsupported"`, and
 * under `serve()` `"too-many"` or `"too-large"` past `limits.maxInformational`
 * or `limits.maxInformationalBytes`).
 * @throws {TypeError} For an invalid field (a bad name; CR, LF or NUL in a
 * value) or one not allowed in a 1xx, whenever the call is made.
 *
 * @example The seed program as a Hono route
 * ```ts
 * import assert from "node:assert/strict";
 * import { Hono } from "hono";
 * import { hint, serve } from "@interim/http/server";
 * import { fetch } from "@interim/http/client";
 *
 * const app = new Hono();
 * app.get("/", async (c) => {
 *   c.header("xxx", "yyy");
 *   c.header("aaa", "bbb");
 *   c.header("sss", "ttt");
 *   hint(c); // 103 with xxx, aaa and sss
 *   await new Promise((resolve) => setTimeout(resolve, 100));
 *   c.header("xxx", "zzz");
 *   c.header("ccc", "ddd");
 *   c.header("sss", "uuu", { append: true });
 *   return c.body(null, 200); // xxx: zzz, aaa: bbb, ccc: ddd, sss: ttt, sss: uuu
 * });
 * const server = await serve(app.fetch, { hostname: "127.0.0.1", port: 0 });
 * try {
 *   const response = await fetch(server.url);
 *   const [hinted] = response.informational;
 *   assert.deepEqual([...hinted!.headers], [["aaa", "bbb"], ["sss", "ttt"], ["xxx", "yyy"]]);
 *   assert.equal(response.headers.get("xxx"), "zzz");
 *   assert.equal(response.headers.get("sss"), "ttt, uuu");
 * } finally {
 *   await server.shutdown();
 * }
 * ```
 */
export function hint(
  c: Context,
  headers?: FieldsInit,
  options?: SendInformationalOptions,
): InformationalResult {
  const request = c.req.raw;
  const target = interimTargetOf(request);
  if (target === undefined) {
    const bindings = nodeBindings(c);
    if (bindings === undefined) return sendInformational(request, 103, headers, options);
    // @hono/node-server: write through its ServerResponse. The final
    // response is written by node-server itself, so appended values stay
    // joined there.
    const fields = headers !== undefined
      ? toHeaderList(headers, FORBIDDEN_IN_INTERIM)
      : responseFields(c.res.headers, undefined).fields;
    // Too late for this response (its head is out, it ended, its socket is
    // gone) is a result, not a throw, as with sendInformational.
    const result = writeInterimToServerResponse(bindings.outgoing, bindings.incoming, 103, fields);
    if (!result.sent) warnIfLate(result.reason, 103);
    return result;
  }
  if (headers !== undefined) return sendInformational(request, 103, headers, options);
  // The fields a final response would carry: framing and connection fields
  // are left out, as Go leaves them out of a 1xx (RFC 9110 section 7.6.1).
  // Reading c.res makes Hono keep the fields set so far in c.res.headers,
  // which every later c.header() and c.body()/c.text() builds on.
  const contextHeaders = c.res.headers;
  trackAppends(c, target);
  return sendInformational(
    request,
    103,
    responseFields(contextHeaders, target.fieldLines).fields,
    options,
  );
}

/** `@hono/node-server`'s `{ incoming, outgoing }` bindings, when present. */
function nodeBindings(
  c: Context,
): { incoming: IncomingMessageLike | undefined; outgoing: ServerResponseLike } | undefined {
  const env = c.env;
  if (typeof env !== "object" || env === null) return undefined;
  const { incoming, outgoing } = env as { incoming?: unknown; outgoing?: unknown };
  if (!isServerResponseLike(outgoing)) return undefined;
  const request = typeof incoming === "object" && incoming !== null &&
      typeof (incoming as { httpVersionMinor?: unknown }).httpVersionMinor === "number"
    ? incoming as IncomingMessageLike
    : undefined;
  return { incoming: request, outgoing };
}

/**
 * Makes `c.header(name, value, { append: true })` remember the values
 * appended to a field, so the final response can send them as separate
 * field lines (see `InterimTarget.fieldLines`).
 */
function trackAppends(c: Context, target: InterimTarget): void {
  if (tracked.has(c)) return;
  tracked.add(c);
  type HeaderSetter = (name: string, value?: string, options?: { append?: boolean }) => void;
  const setHeader = c.header as unknown as HeaderSetter;
  const tracking: HeaderSetter = (name, value, options) => {
    const key = name.toLowerCase();
    const previous = key === "set-cookie" ? null : c.res.headers.get(key);
    setHeader(name, value, options);
    if (key === "set-cookie") return; // Headers keeps Set-Cookie lines apart already.
    const lines = target.fieldLines;
    if (value === undefined || options?.append !== true) {
      lines?.delete(key);
      return;
    }
    const map = lines ?? (target.fieldLines = new Map());
    let values = map.get(key);
    if (values === undefined || values.join(", ") !== previous) {
      values = previous === null ? [] : [previous];
      map.set(key, values);
    }
    // Headers strips leading and trailing whitespace from values.
    values.push(value.replace(/^[\t\n\r ]+|[\t\n\r ]+$/g, ""));
  };
  (c as unknown as { header: HeaderSetter }).header = tracking;
}

/**
 * Hono middleware that sends a `103 Early Hints` with fixed (or computed)
 * fields before the route runs. The hint is written at once (`flush`), so a
 * route that renders synchronously does not hold it.
 *
 * @param headers The hint's fields, or a function of the context returning them.
 * @returns The middleware.
 *
 * @example Hinting a stylesheet on every page
 * ```ts
 * import assert from "node:assert/strict";
 * import { Hono } from "hono";
 * import { earlyHints, serve } from "@interim/http/server";
 * import { fetch } from "@interim/http/client";
 *
 * const app = new Hono();
 * app.use("/pages/*", earlyHints({ link: "</app.css>; rel=preload; as=style" }));
 * app.get("/pages/home", (c) => c.text("home"));
 * const server = await serve(app.fetch, { hostname: "127.0.0.1", port: 0 });
 * try {
 *   const response = await fetch(new URL("/pages/home", server.url));
 *   const link = response.informational[0]?.headers.get("link");
 *   assert.equal(link, "</app.css>; rel=preload; as=style");
 *   assert.equal(await response.text(), "home");
 * } finally {
 *   await server.shutdown();
 * }
 * ```
 */
export function earlyHints(
  headers: FieldsInit | ((c: Context) => FieldsInit),
): MiddlewareHandler {
  if (typeof headers !== "function") validateOnce(headers);
  return async (c, next) => {
    // Flushed: the route runs within this call, and may render synchronously.
    hint(c, typeof headers === "function" ? headers(c) : headers, { flush: true });
    await next();
  };
}

/** A resource to preload, for {@linkcode preload}. */
export interface PreloadResource {
  /** The URL, relative or absolute. */
  readonly href: string;
  /** The request destination (`style`, `script`, `font`, `image`, `fetch` ...); guessed from the extension when omitted. */
  readonly as?: string;
  /** The MIME type, letting the browser skip types it cannot use. */
  readonly type?: string;
  /** `anonymous` or `use-credentials`; fonts default to `anonymous` as browsers require. */
  readonly crossorigin?: "anonymous" | "use-credentials";
  /** The link relation; default `preload`. */
  readonly rel?: string;
}

/**
 * Formats preload resources as `Link` field values (RFC 8288), one per resource.
 *
 * @param resources URLs or descriptions.
 * @returns The `Link` values.
 * @throws {TypeError} For a URL containing `<`, `>` or a control character.
 *
 * @example Two stylesheets and a script
 * ```ts
 * import assert from "node:assert/strict";
 * import { preloadLinks } from "./hono.ts";
 * const links = preloadLinks(["/app.css", { href: "/app.js", as: "script" }]);
 * assert.equal(links[0], "</app.css>; rel=preload; as=style");
 * assert.equal(links[1], "</app.js>; rel=preload; as=script");
 * ```
 */
export function preloadLinks(
  resources: ReadonlyArray<string | PreloadResource>,
): string[] {
  return resources.map((resource) => {
    const item = typeof resource === "string" ? { href: resource } : resource;
    if (typeof item.href !== "string" || !URI_REFERENCE.test(item.href)) {
      throw new TypeError(`preload: invalid URL ${JSON.stringify(item.href)}`);
    }
    const as = item.as ?? guessDestination(item.href);
    let value = `<${item.href}>; rel=${item.rel ?? "preload"}`;
    if (as !== undefined) value += `; as=${as}`;
    if (item.type !== undefined) value += `; type="${item.type.replace(/["\\]/g, "")}"`;
    const crossorigin = item.crossorigin ?? (as === "font" ? "anonymous" : undefined);
    if (crossorigin !== undefined) value += `; crossorigin=${crossorigin}`;
    return value;
  });
}

/**
 * Hono middleware that sends a `103 Early Hints` with a `Link: rel=preload`
 * field per resource before the route runs, so the browser fetches them
 * while the page is being produced.
 *
 * @param resources URLs (the destination is guessed from the extension) or descriptions.
 * @returns The middleware.
 * @throws {TypeError} For an invalid URL.
 *
 * @example Preloading a stylesheet and a font
 * ```ts
 * import assert from "node:assert/strict";
 * import { Hono } from "hono";
 * import { preload, serve } from "@interim/http/server";
 * import { fetch } from "@interim/http/client";
 *
 * const app = new Hono();
 * app.get("/", preload(["/app.css", "/inter.woff2"]), (c) => c.html("<h1>hi</h1>"));
 * const server = await serve(app.fetch, { hostname: "127.0.0.1", port: 0 });
 * try {
 *   const response = await fetch(server.url);
 *   const link = response.informational[0]?.headers.get("link") ?? "";
 *   assert.match(link, /<\/app\.css>; rel=preload; as=style/);
 *   assert.match(link, /<\/inter\.woff2>; rel=preload; as=font/);
 *   assert.equal(await response.text(), "<h1>hi</h1>");
 * } finally {
 *   await server.shutdown();
 * }
 * ```
 */
export function preload(
  resources: ReadonlyArray<string | PreloadResource>,
): MiddlewareHandler {
  return earlyHints({ link: preloadLinks(resources) });
}

function guessDestination(href: string): string | undefined {
  const path = href.replace(/[?#].*$/, "");
  const extension = path.slice(path.lastIndexOf(".") + 1).toLowerCase();
  switch (extension) {
    case "css":
      return "style";
    case "js":
    case "mjs":
      return "script";
    case "woff":
    case "woff2":
    case "ttf":
    case "otf":
      return "font";
    case "png":
    case "jpg":
    case "jpeg":
    case "gif":
    case "webp":
    case "avif":
    case "svg":
      return "image";
    case "json":
      return "fetch";
    default:
      return undefined;
  }
}

function validateOnce(headers: FieldsInit): void {
  if (headers instanceof Headers || typeof headers !== "object" || headers === null) return;
  if (Symbol.iterator in headers) return;
  for (const name of Object.keys(headers)) {
    if (!isValidHeaderName(name)) {
      throw new TypeError(`earlyHints: invalid field name ${JSON.stringify(name)}`);
    }
  }
}
