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
 * ```ts ignore
 * import { fetch } from "@interim/http";
 *
 * const response = await fetch("http://127.0.0.1:8080/", {
 *   onInformational(info) {
 *     console.log(info.status, info.headers.get("x-pod-name"));
 *   },
 * });
 * console.log(response.status);
 * ```
 *
 * @module
 */

export * from "./server.ts";
export * from "./client.ts";
