/**
 * Waiting for a `node:http` response or an HTTP/2 stream to take more
 * writes: its `drain` event, or `close` when the peer left first. This
 * module is browser compatible.
 *
 * @module
 */

/** What emits `drain` and `close`: a `ServerResponse`, an HTTP/2 stream. */
export interface DrainEmitter {
  on(event: "drain" | "close", listener: () => void): unknown;
  off(event: "drain" | "close", listener: () => void): unknown;
}

/**
 * Settles at the next `drain` or `close`, whichever comes first, and
 * leaves no listener behind.
 *
 * @param emitter The response or stream whose write returned `false`.
 * @returns A promise that settles then.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { EventEmitter } from "node:events";
 * import { drainOrClose } from "./drain_or_close.ts";
 * const stream = new EventEmitter();
 * const drained = drainOrClose(stream);
 * stream.emit("close");
 * await drained;
 * assert.equal(stream.listenerCount("drain"), 0);
 * ```
 */
export function drainOrClose(emitter: DrainEmitter): Promise<void> {
  return new Promise<void>((resolve) => {
    const done = () => {
      emitter.off("drain", done);
      emitter.off("close", done);
      resolve();
    };
    emitter.on("drain", done);
    emitter.on("close", done);
  });
}
