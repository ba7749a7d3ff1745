/**
 * A `fetch` that shows HTTP interim responses (`103 Early Hints` and every
 * other 1xx), for Deno, Bun and Node.
 *
 * Every runtime's global `fetch` hides 1xx responses. This one has the same
 * call signature and resolves to a standard `Response`, and also calls
 * `init.onInformational` for each interim response as soon as it is parsed,
 * the way Go's `httptrace.Got1xxResponse` does. The interim responses are
 * also kept on the returned response as `response.informational`.
 *
 * It speaks HTTP/1.1 over raw TCP, TLS or a unix domain socket, with
 * keep-alive pooling (`Client`), redirects, gzip/deflate/br decoding,
 * `Expect: 100-continue`, streaming bodies and `AbortSignal` everywhere.
 *
 * @example Print the pod that handles a request while waiting for its answer
 * ```ts
 * import assert from "node:assert/strict";
 * import { fetch } from "@interim/http/client";
 * import { sendInformational, serve } from "@interim/http/server";
 *
 * // A stand-in for the daemon: a 103 naming its pod, then the answer.
 * const daemon = await serve((request) => {
 *   sendInformational(request, 103, { "x-pod-name": "daemon-0", "x-pod-namespace": "default" });
 *   return new Response("done");
 * }, { hostname: "127.0.0.1", port: 0 });
 * try {
 *   const lines: string[] = [];
 *   const response = await fetch(new URL("/work", daemon.url), {
 *     method: "POST",
 *     onInformational({ status, headers }) {
 *       if (status !== 103) return;
 *       const pod = headers.get("x-pod-name");
 *       const namespace = headers.get("x-pod-namespace");
 *       lines.push(`kubectl logs -n ${namespace} ${pod} -f`);
 *     },
 *   });
 *   assert.deepEqual(lines, ["kubectl logs -n default daemon-0 -f"]);
 *   assert.equal(await response.text(), "done");
 * } finally {
 *   await daemon.shutdown();
 * }
 * ```
 *
 * @example A pool over a unix socket, closed at scope exit
 * ```ts
 * import assert from "node:assert/strict";
 * import { mkdtempSync, rmSync } from "node:fs";
 * import { tmpdir } from "node:os";
 * import path from "node:path";
 * import { Client } from "@interim/http/client";
 * import { sendInformational, serve } from "@interim/http/server";
 *
 * const directory = mkdtempSync(path.join(tmpdir(), "daemon-"));
 * const socketPath = path.join(directory, "http.sock"); // in a pod: /var/run/daemon/http.sock
 * const daemon = await serve((request) => {
 *   sendInformational(request, 103, { "x-pod-name": "daemon-0" });
 *   return new Response("done");
 * }, { path: socketPath });
 * try {
 *   // Add tls: { ca } for a daemon that speaks HTTPS on the socket.
 *   await using client = new Client({ socketPath, headersTimeout: 600_000 });
 *   const response = await client.fetch("http://daemon/work"); // the host names no address here
 *   assert.deepEqual(response.informational.map((hint) => hint.status), [103]);
 *   assert.equal(await response.text(), "done");
 * } finally {
 *   await daemon.shutdown();
 *   rmSync(directory, { recursive: true, force: true });
 * }
 * ```
 *
 * @example Telling failures apart
 * ```ts
 * import assert from "node:assert/strict";
 * import { fetch, FetchError } from "@interim/http/client";
 *
 * // Port 1 on the loopback: nobody listens there.
 * await assert.rejects(fetch("http://127.0.0.1:1/"), (error) => {
 *   assert.ok(error instanceof FetchError);
 *   assert.equal(error.code, "CONNECTION_REFUSED");
 *   return true;
 * });
 * ```
 * @module
 */

export { fetch } from "./src/client/fetch.ts";
export { Client, CLIENT_DEFAULTS, type ClientDefaults } from "./src/client/client.ts";
export { type ClientErrorCode, FetchError, type FetchErrorCode } from "./src/client/errors.ts";
export type {
  ClientOptions,
  FetchInit,
  FetchResponse,
  InformationalCallback,
  InformationalResponse,
} from "./src/client/types.ts";
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
export { Http1Error, type Http1ErrorCode } from "./src/http1/errors.ts";
export { SocketError, type TlsFailure } from "./src/runtime/socket_error.ts";
