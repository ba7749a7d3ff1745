/**
 * interim: HTTP interim responses (`103 Early Hints` and the other
 * `1xx` codes) for Deno, Bun and Node. A server that can send them while
 * the handler works, and a `fetch()` that shows them as they arrive.
 *
 * This module re-exports both halves; import `./server.ts` or
 * `./client.ts` (npm: `@interim/http/server`, `@interim/http/client`) to take
 * only one.
 *
 * @example Print each interim response, then the final one
 * ```ts
 * import assert from "node:assert/strict";
 * import { fetch, sendInformational, serve } from "@interim/http";
 *
 * const server = await serve((request) => {
 *   sendInformational(request, 103, { "x-pod-name": "daemon-0" });
 *   return new Response("done");
 * }, { hostname: "127.0.0.1", port: 0 });
 * try {
 *   const seen: string[] = [];
 *   const response = await fetch(server.url, {
 *     onInformational(info) {
 *       console.log(info.status, info.headers.get("x-pod-name"));
 *       seen.push(`${info.status} ${info.headers.get("x-pod-name")}`);
 *     },
 *   });
 *   assert.deepEqual(seen, ["103 daemon-0"]);
 *   assert.equal(response.status, 200);
 *   assert.equal(await response.text(), "done");
 * } finally {
 *   await server.shutdown();
 * }
 * ```
 *
 * @module
 */

export * from "./server.ts";
export * from "./client.ts";
