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
 * ```ts ignore
 * import { fetch } from "../../client.ts";
 * const response = await fetch("http://127.0.0.1:8080/pod", {
 *   onInformational({ status, headers }) {
 *     if (status === 103) console.log("kubectl logs", headers.get("x-pod-name"));
 *   },
 * });
 * console.log(response.status, response.informational.length);
 * ```
 */
export function fetch(
  input: string | URL | Request,
  init?: FetchInit,
): Promise<FetchResponse> {
  return (defaultClient ??= new Client()).fetch(input, init);
}
