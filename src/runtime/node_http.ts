/**
 * The `node:http` server backend (placeholder while it is written).
 *
 * @module
 */

import type { BackendSettings, ServerBackend } from "../server/backend.ts";

/**
 * Starts a `node:http` server.
 *
 * @param _settings What to serve.
 * @returns The running server.
 * @example
 * ```ts ignore
 * await startNodeHttpServer(settings);
 * ```
 */
export function startNodeHttpServer(_settings: BackendSettings): Promise<ServerBackend> {
  return Promise.reject(new Error("node-http: not implemented yet"));
}
