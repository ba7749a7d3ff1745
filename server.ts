/**
 * The server half of interim: serve a web-standard fetch handler (a Hono
 * app's `app.fetch`) on Deno, Bun or Node, and send interim responses such as
 * `103 Early Hints` from it before the final response, which `Deno.serve`
 * and `Bun.serve` cannot do.
 *
 * - `serve(handler, options)` starts the server (our HTTP/1.1 engine on the
 *   runtime's sockets; `adapter: "node-http"` uses `node:http` instead).
 * - `sendInformational(request, status, headers)` writes a 1xx at once.
 * - `hint(c, headers?)` is the Hono helper, with Go's header semantics;
 *   `earlyHints()` and `preload()` are middleware.
 * - `learnedHints()` (Hono middleware, or `.wrap(handler)`) replays in a 103,
 *   before the handler runs, the links a route's last answer named.
 * - `forward(request, upstream)` proxies a request and relays each upstream
 *   1xx as it arrives.
 * - `serve()`'s `hintPolicy` (with `navigationsOnly`,
 *   `exceptKnownMishandlers` and others) decides per request whether hints
 *   go out at all.
 *
 * @example A Hono app that tells the client which pod handles it, then answers
 * ```ts
 * import assert from "node:assert/strict";
 * import { Hono } from "hono";
 * import { hint, serve } from "@interim/http/server";
 * import { fetch } from "@interim/http/client";
 *
 * const app = new Hono();
 * app.post("/work", async (c) => {
 *   c.header("x-pod-name", "daemon-0");
 *   c.header("x-pod-namespace", "default");
 *   hint(c); // HTTP/1.1 103 Early Hints, flushed now
 *   await new Promise((resolve) => setTimeout(resolve, 200)); // the work
 *   return c.text("done"); // still carries x-pod-name and x-pod-namespace
 * });
 * const server = await serve(app.fetch, { hostname: "127.0.0.1", port: 0 }); // or port: 8080
 * try {
 *   const response = await fetch(new URL("/work", server.url), { method: "POST" });
 *   assert.equal(response.informational[0]?.headers.get("x-pod-name"), "daemon-0");
 *   assert.equal(response.headers.get("x-pod-namespace"), "default");
 *   assert.equal(await response.text(), "done");
 * } finally {
 *   await server.shutdown();
 * }
 * ```
 *
 * @example Any fetch handler, any interim status
 * ```ts
 * import assert from "node:assert/strict";
 * import { sendInformational, serve } from "@interim/http/server";
 * import { fetch } from "@interim/http/client";
 *
 * const server = await serve((request) => {
 *   sendInformational(request, 103, { link: ["</a.css>; rel=preload; as=style"] });
 *   sendInformational(request, 102);
 *   return new Response("ok");
 * }, { hostname: "127.0.0.1", port: 0 });
 * try {
 *   const response = await fetch(server.url);
 *   assert.deepEqual(response.informational.map((info) => info.status), [103, 102]);
 *   assert.equal(await response.text(), "ok");
 * } finally {
 *   await server.shutdown();
 * }
 * ```
 *
 * @module
 */

export { serve } from "./src/server/serve.ts";
export { sendInformational } from "./src/server/send_informational.ts";
export { forward, type ForwardInit } from "./src/proxy/forward.ts";
export { earlyHints, hint, preload, preloadLinks } from "./src/server/hono.ts";
export {
  allOf,
  anyOf,
  exceptKnownMishandlers,
  navigationsOnly,
  onlyKnownHandlers,
  unlessHeader,
} from "./src/server/hint_policy.ts";
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
export { SocketError, type TlsFailure } from "./src/runtime/socket_error.ts";
export { Http1Error, type Http1ErrorCode } from "./src/http1/errors.ts";
export type {
  FetchApp,
  HintPolicy,
  InformationalResult,
  InformationalSkipReason,
  SendInformationalOptions,
  ServeAdapterName,
  ServeFetchInit,
  ServeHandler,
  ServeHandlerInfo,
  ServeHandlerInit,
  ServeLimits,
  ServeOptions,
  Server,
} from "./src/server/types.ts";
export type {
  AcceptCallback,
  ClientTlsOptions,
  ConnectOptions,
  Listener,
  ListenOptions,
  RuntimeAdapter,
  ServerTlsOptions,
  Socket,
  SocketAddress,
  SocketErrorCode,
  SocketHandlers,
} from "./src/runtime/types.ts";
export type { ParserLimits } from "./src/http1/types.ts";
