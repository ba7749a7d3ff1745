/**
 * The socket file of a unix listener: a stale one (left by a crashed
 * process) is removed before binding, and the listener's own is removed
 * when it closes. The adapters differ only in how they ask whether anybody
 * still accepts on a path, which they pass in.
 *
 * @module
 */

/** Whether anybody accepts connections on the unix socket at `path`. */
export type UnixSocketProbe = (path: string) => Promise<boolean>;

/**
 * Deletes the socket file at `path` when nobody accepts on it, so that
 * binding does not fail; a live socket or a file that is no socket is left
 * alone, and binding then fails with `EADDRINUSE`.
 *
 * @param path The unix socket path about to be bound.
 * @param accepts Asks (by connecting) whether a listener is alive there.
 *
 * @example A path where nothing exists is left as it is
 * ```ts
 * import assert from "node:assert/strict";
 * import { removeStaleUnixSocket } from "./unix_socket_file.ts";
 * let asked = false;
 * await removeStaleUnixSocket("/nonexistent/interim.sock", () => {
 *   asked = true;
 *   return Promise.resolve(false);
 * });
 * assert.equal(asked, false);
 * ```
 */
export async function removeStaleUnixSocket(
  path: string,
  accepts: UnixSocketProbe,
): Promise<void> {
  const { lstat, rm } = await import("node:fs/promises");
  const stat = await lstat(path).catch(() => undefined);
  if (stat === undefined || !stat.isSocket()) return;
  if (!await accepts(path)) await rm(path, { force: true });
}

/**
 * Deletes a closed listener's socket file (nothing when it is gone already).
 *
 * @param path The listener's unix socket path.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { removeUnixSocketFile } from "./unix_socket_file.ts";
 * // Gone already: nothing to do, and no error.
 * assert.equal(await removeUnixSocketFile("/nonexistent/interim.sock"), undefined);
 * ```
 */
export async function removeUnixSocketFile(path: string): Promise<void> {
  const { rm } = await import("node:fs/promises");
  await rm(path, { force: true });
}
