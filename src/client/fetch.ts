/**
 * The module-level `fetch`: a drop-in for the global one that also reports
 * interim (1xx) responses, on a default {@linkcode Client} created on first
 * use. Its idle sockets are unref'd, so it never keeps a process alive.
 *
 * @module
 */

import { Client } from "./client.ts";
import type { FetchInit, FetchResponse } from "./types.ts";

let defaultClient: Client | undefined;

/**
 * Sends a request like the global `fetch` and reports each interim response
 * (100-199 except 101) to `init.onInformational`, in order, before the
 * returned promise resolves. Uses a shared default {@linkcode Client}; create
 * your own for TLS options, unix sockets or limits.
 *
 * @param input A URL string, `URL` or `Request`.
 * @param init `RequestInit` plus `onInformational`.
 * @returns The final response, a standard `Response` that also carries the
 * interim responses as `informational`.
 * @throws {FetchError} (a `TypeError`) for network and protocol failures,
 * the signal's reason when aborted, or what `onInformational` threw.
 *
 * @example Print the pod name from a 103 while waiting
 * ```ts
 * import assert from "node:assert/strict";
 * import { fetch } from "@interim/http/client";
 * import { sendInformational, serve } from "@interim/http/server";
 *
 * const server = await serve((request) => {
 *   sendInformational(request, 103, { "x-pod-name": "daemon-0" });
 *   return new Response("done");
 * }, { hostname: "127.0.0.1", port: 0 });
 * try {
 *   const response = await fetch(new URL("/pod", server.url), {
 *     onInformational({ status, headers }) {
 *       if (status === 103) console.log("kubectl logs", headers.get("x-pod-name"));
 *     },
 *   });
 *   assert.equal(response.status, 200);
 *   assert.equal(response.informational.length, 1);
 *   assert.equal(await response.text(), "done");
 * } finally {
 *   await server.shutdown();
 * }
 * ```
 */
export function fetch(
  input: string | URL | Request,
  init?: FetchInit,
): Promise<FetchResponse> {
  return (defaultClient ??= new Client()).fetch(input, init);
}
