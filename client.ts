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
 * ```ts ignore
 * import { fetch } from "@interim/http/client";
 *
 * const response = await fetch("http://daemon.local:8080/work", {
 *   method: "POST",
 *   onInformational({ status, headers }) {
 *     if (status !== 103) return;
 *     const pod = headers.get("x-pod-name");
 *     const namespace = headers.get("x-pod-namespace");
 *     console.log(`kubectl logs -n ${namespace} ${pod} -f`);
 *   },
 * });
 * console.log(response.status, await response.text());
 * ```
 *
 * @example A pool over a unix socket, with a cluster CA, closed at scope exit
 * ```ts ignore
 * import { Client } from "@interim/http/client";
 *
 * await using client = new Client({
 *   socketPath: "/var/run/daemon/http.sock",
 *   tls: { ca: await Deno.readTextFile("/etc/cluster/ca.pem") },
 *   headersTimeout: 600_000,
 * });
 * const response = await client.fetch("https://daemon/work");
 * for (const hint of response.informational) console.log(hint.status, [...hint.headers]);
 * ```
 *
 * @example Telling failures apart
 * ```ts ignore
 * import { fetch, FetchError } from "@interim/http/client";
 *
 * try {
 *   await fetch("http://127.0.0.1:1/");
 * } catch (error) {
 *   if (error instanceof FetchError && error.code === "CONNECTION_REFUSED") console.log("nobody there");
 * }
 * ```
 *
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
export { SocketError } from "./src/runtime/socket_error.ts";
