/**
 * The URL a running server reports: one a client can connect to as is.
 * This module is browser compatible.
 *
 * @module
 */

import type { SocketAddress } from "../runtime/types.ts";
import { authorityOf } from "./backend.ts";

/**
 * The URL that reaches a server bound to `addr`.
 *
 * A wildcard bind is not an address anyone can connect to, so it is named by
 * the loopback of its own family: `0.0.0.0` by `127.0.0.1`, `::` by `[::1]`.
 * An IPv6 socket may be v6-only (Linux `bindv6only`, Node `ipv6Only`), where
 * `127.0.0.1` would be refused, while `::1` reaches it either way; `localhost`
 * is avoided because it may resolve to the other family first.
 *
 * A unix socket is named `http+unix://<percent-encoded path>` (`https+unix:`
 * with TLS), the form our `fetch`, `Client` and CLI accept, and the one
 * requests-unixsocket and Docker clients use.
 *
 * @param addr The bound address.
 * @param tls Whether the server speaks TLS.
 * @returns The URL, without a trailing slash (`${url}/path` joins cleanly).
 *
 * @example A wildcard bind and a unix socket
 * ```ts
 * import assert from "node:assert/strict";
 * import { serverUrl } from "./server_url.ts";
 * assert.equal(serverUrl({ transport: "tcp", hostname: "0.0.0.0", port: 8080 }, false), "http://127.0.0.1:8080");
 * assert.equal(serverUrl({ transport: "tcp", hostname: "::", port: 8443 }, true), "https://[::1]:8443");
 * assert.equal(serverUrl({ transport: "unix", path: "/run/app.sock" }, false), "http+unix://%2Frun%2Fapp.sock");
 * ```
 */
export function serverUrl(addr: SocketAddress, tls: boolean): string {
  const scheme = tls ? "https" : "http";
  if (addr.transport === "unix") return `${scheme}+unix://${encodeURIComponent(addr.path)}`;
  return `${scheme}://${authorityOf({ ...addr, hostname: connectableHost(addr.hostname) })}`;
}

function connectableHost(hostname: string): string {
  if (hostname === "0.0.0.0" || hostname === "") return "127.0.0.1";
  if (hostname === "::" || hostname === "::0" || hostname === "0:0:0:0:0:0:0:0") return "::1";
  return hostname;
}
