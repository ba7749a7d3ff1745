/**
 * Hono helpers for HTTP interim responses: `hint(c)` sends a
 * `103 Early Hints` from a route with Go's header semantics, `earlyHints()`
 * and `preload()` are middleware that hint before the route runs,
 * `preloadLinks()` builds `Link: rel=preload` values, and `learnedHints()`
 * is middleware that replays, before the route runs, the links its last
 * answer named (see `@interim/http/server` for an example).
 *
 * They work on any server that `serve()` starts (`@interim/http/server`) and
 * under `@hono/node-server`; elsewhere (plain `Deno.serve`, `Bun.serve`) they
 * send nothing and say so in their result. Hono itself is not imported: the
 * context type is declared structurally, so this entry point adds no
 * dependency. The same helpers are also exported by `@interim/http/server`.
 *
 * @example A route that names its pod in a 103, seen by the client before the answer
 * ```ts
 * import assert from "node:assert/strict";
 * import { Hono } from "hono";
 * import { hint } from "@interim/http/hono";
 * import { serve } from "@interim/http/server";
 * import { fetch } from "@interim/http/client";
 *
 * const app = new Hono();
 * app.get("/", (c) => {
 *   c.header("x-pod-name", "daemon-0");
 *   hint(c); // 103 Early Hints with x-pod-name; the final response keeps it
 *   return c.text("done");
 * });
 * const server = await serve(app, { hostname: "127.0.0.1", port: 0 });
 * try {
 *   const pods: (string | null)[] = [];
 *   const response = await fetch(server.url, {
 *     onInformational: (info) => pods.push(info.headers.get("x-pod-name")),
 *   });
 *   assert.deepEqual(pods, ["daemon-0"]);
 *   assert.equal(response.headers.get("x-pod-name"), "daemon-0");
 *   assert.equal(await response.text(), "done");
 * } finally {
 *   await server.close();
 * }
 * ```
 *
 * @module
 */

export { earlyHints, hint, preload, preloadLinks } from "./src/server/hono.ts";
export {
  type FetchHandler,
  type LearnedHints,
  learnedHints,
  type LearnedHintsEntry,
  type LearnedHintsOptions,
  routeKey,
} from "./src/server/learned_hints.ts";
export { shareable } from "./src/server/shareable.ts";
export type {
  Context as HintContext,
  MiddlewareHandler as HintMiddleware,
  PreloadResource,
} from "./src/server/hono.ts";
export type { FieldsInit } from "./src/server/fields.ts";
export type {
  InformationalResult,
  InformationalSkipReason,
  SendInformationalOptions,
} from "./src/server/types.ts";
