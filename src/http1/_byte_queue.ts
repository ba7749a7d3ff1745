/**
 * The bytes a parser holds but has not consumed yet. Private to the engine.
 *
 * A pushed chunk is used in place (never copied) while nothing else is
 * pending, which is the common case; only when a message element is split
 * across chunks are the pending bytes and the new chunk joined, into an owned
 * buffer that grows geometrically so byte-at-a-time feeding stays linear.
 * Regions already handed out as body views are never written again.
 *
 * @module
 */

import { EMPTY_BYTES, LF } from "./_bytes.ts";

const MIN_OWNED_CAPACITY = 1024;

/** A queue of unconsumed bytes: `bytes[start, end)`. */
export class ByteQueue {
  /** The buffer holding the pending bytes (a pushed chunk or an owned copy). */
  bytes: Uint8Array = EMPTY_BYTES;
  /** Index of the first unconsumed byte in `bytes`. */
  start = 0;
  /** Index one past the last pending byte in `bytes`. */
  end = 0;
  #owned = false;
  // How far (relative to `start`) a line-feed search has already looked.
  #scanned = 0;

  /** The number of pending bytes. */
  get size(): number {
    return this.end - this.start;
  }

  /** Appends a chunk; copies only when bytes are already pending. */
  push(chunk: Uint8Array): void {
    const added = chunk.length;
    if (added === 0) return;
    const pending = this.end - this.start;
    if (pending === 0) {
      this.bytes = chunk;
      this.start = 0;
      this.end = added;
      this.#owned = false;
      this.#scanned = 0;
      return;
    }
    if (this.#owned && this.bytes.length - this.end >= added) {
      this.bytes.set(chunk, this.end);
      this.end += added;
      return;
    }
    const needed = pending + added;
    const owned = new Uint8Array(Math.max(needed * 2, MIN_OWNED_CAPACITY));
    owned.set(this.bytes.subarray(this.start, this.end), 0);
    owned.set(chunk, pending);
    this.bytes = owned;
    this.start = 0;
    this.end = needed;
    this.#owned = true;
  }

  /** Marks `count` bytes as consumed. */
  consume(count: number): void {
    this.start += count;
    this.#scanned = 0;
  }

  /**
   * The index in `bytes` of the next LF, or -1 when none is pending yet.
   * Bytes already searched are not searched again.
   */
  findLineFeed(): number {
    const from = this.start + this.#scanned;
    if (from >= this.end) return -1;
    const at = this.bytes.indexOf(LF, from);
    if (at === -1 || at >= this.end) {
      this.#scanned = this.end - this.start;
      return -1;
    }
    return at;
  }

  /**
   * Records that no LF occurs before `index` (absolute), so the next
   * `findLineFeed()` starts there.
   */
  markScanned(index: number): void {
    this.#scanned = index - this.start;
  }

  /** Removes and returns every pending byte (a copy the caller owns). */
  takeAll(): Uint8Array {
    const rest = this.bytes.slice(this.start, this.end);
    this.bytes = EMPTY_BYTES;
    this.start = 0;
    this.end = 0;
    this.#owned = false;
    this.#scanned = 0;
    return rest;
  }
}
