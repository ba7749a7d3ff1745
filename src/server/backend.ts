/**
 * What `serve()` needs from a server implementation: the engine on a socket
 * adapter (`engine_server.ts`) or `node:http` (`node_http_server.ts`).
 * This module is browser compatible.
 *
 * @module
 */

import type { SocketAddress } from "../runtime/types.ts";
import type { ServeHandler, ServeLimits, ServeOptions } from "./types.ts";

/** A bound, running server implementation. */
export interface ServerBackend {
  /** The bound address. */
  readonly addr: SocketAddress;
  /** The implementation's name (`"deno"`, `"bun"`, `"node"`, `"node-http"`). */
  readonly adapter: string;
  /** Graceful stop: see `Server.shutdown`. */
  shutdown(): Promise<void>;
  /** Immediate stop: see `Server.close`. */
  close(): Promise<void>;
}

/** The settings every backend receives, already validated. */
export interface BackendSettings {
  /** The user's fetch handler. */
  readonly handler: ServeHandler;
  /** The options given to `serve()`. */
  readonly options: ServeOptions;
  /** The limits, defaults filled in. */
  readonly limits: Readonly<ServeLimits>;
  /** Where handler failures are reported. */
  readonly onError: (error: unknown, request: Request) => void;
}

/**
 * The host part of a request URL for a bound TCP address: `localhost` for a
 * wildcard address, brackets around IPv6.
 *
 * @param addr The bound address.
 * @returns `host:port`, or `localhost` for a unix socket.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { authorityOf } from "./backend.ts";
 * assert.equal(authorityOf({ transport: "tcp", hostname: "::1", port: 80 }), "[::1]:80");
 * ```
 */
export function authorityOf(addr: SocketAddress): string {
  if (addr.transport === "unix") return "localhost";
  const hostname = addr.hostname === "0.0.0.0" || addr.hostname === "::"
    ? "localhost"
    : addr.hostname;
  return hostname.includes(":") ? `[${hostname}]:${addr.port}` : `${hostname}:${addr.port}`;
}
