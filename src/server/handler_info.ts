/**
 * The second argument of a fetch handler (`ServeHandlerInfo`), with its
 * `completed` promise created only when read: most handlers never read it.
 * This module is browser compatible.
 *
 * @module
 */

import type { SocketAddress } from "../runtime/types.ts";
import type { ServeHandlerInfo } from "./types.ts";

/**
 * The handler's view of the connection.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { HandlerInfo } from "./handler_info.ts";
 * const info = new HandlerInfo({ transport: "tcp", hostname: "127.0.0.1", port: 1 });
 * info.finish();
 * await info.completed;
 * assert.equal(info.remoteAddr.transport, "tcp");
 * ```
 */
export class HandlerInfo implements ServeHandlerInfo {
  /** The peer's address. */
  readonly remoteAddr: SocketAddress;
  #completed: Promise<void> | undefined;
  #resolve: (() => void) | undefined;
  #done = false;

  /** @param remoteAddr The peer's address. */
  constructor(remoteAddr: SocketAddress) {
    this.remoteAddr = remoteAddr;
  }

  /** Settles once the response is written or abandoned. */
  get completed(): Promise<void> {
    if (this.#completed === undefined) {
      if (this.#done) this.#completed = Promise.resolve();
      else this.#completed = new Promise((resolve) => (this.#resolve = resolve));
    }
    return this.#completed;
  }

  /** The exchange is over. */
  finish(): void {
    this.#done = true;
    this.#resolve?.();
  }
}
