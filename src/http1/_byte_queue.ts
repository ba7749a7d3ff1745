/**
 * The bytes a parser holds but has not consumed yet. Private to the engine.
 *
 * A pushed chunk is used in place (never copied) while nothing else is
 * pending, which is the common case; only when a message element is split
 * across chunks are the pending bytes and the new chunk joined, into an owned
 * buffer that grows geometrically so byte-at-a-time feeding stays linear.
 * Once the parser has consumed past the copied pending bytes, the queue
 * switches back to the pushed chunk itself, so body views are views of
 * pushed chunks and the owned buffer is reused for the next join (a buffer a
 * view points into is never written again).
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
  // `bytes` is a buffer of ours (not a pushed chunk).
  #owned = false;
  // A view into `bytes` was handed out, so `bytes` must not be rewritten.
  #exported = false;
  // An owned buffer no view points into, kept for the next join.
  #spare: Uint8Array | undefined;
  // How far (relative to `start`) a line-feed search has already looked.
  #scanned = 0;
  // The last chunk copied into the owned buffer, and where its copy starts.
  #tailChunk: Uint8Array | undefined;
  #tailOffset = 0;

  /** The number of pending bytes. */
  get size(): number {
    return this.end - this.start;
  }

  /** Appends a chunk; copies only when bytes are already pending. */
  push(pushed: Uint8Array): void {
    // A subclass (Node's Buffer) would make every byte loop polymorphic and
    // several times slower; a plain view of the same memory costs no copy.
    const chunk = pushed.constructor === Uint8Array
      ? pushed
      : new Uint8Array(pushed.buffer, pushed.byteOffset, pushed.byteLength);
    const added = chunk.length;
    if (added === 0) return;
    const pending = this.end - this.start;
    if (pending === 0) {
      this.#release();
      this.bytes = chunk;
      this.start = 0;
      this.end = added;
      this.#scanned = 0;
      return;
    }
    const needed = pending + added;
    if (this.#owned) {
      if (this.bytes.length - this.end >= added) {
        this.bytes.set(chunk, this.end);
        this.#tailChunk = chunk;
        this.#tailOffset = this.end;
        this.end += added;
        return;
      }
      if (!this.#exported && this.bytes.length >= needed) {
        this.bytes.copyWithin(0, this.start, this.end);
        this.bytes.set(chunk, pending);
        this.#tailChunk = chunk;
        this.#tailOffset = pending;
        this.start = 0;
        this.end = needed;
        return;
      }
    }
    let target = this.#spare;
    this.#spare = undefined;
    if (target === undefined || target.length < needed) {
      target = new Uint8Array(Math.max(needed * 2, MIN_OWNED_CAPACITY));
    }
    target.set(this.bytes.subarray(this.start, this.end), 0);
    target.set(chunk, pending);
    this.#release();
    this.bytes = target;
    this.#owned = true;
    this.#tailChunk = chunk;
    this.#tailOffset = pending;
    this.start = 0;
    this.end = needed;
  }

  // Back to the pushed chunk once only its bytes are pending.
  #rebase(): void {
    const chunk = this.#tailChunk;
    if (chunk === undefined || this.start < this.#tailOffset) return;
    const offset = this.#tailOffset;
    this.#release();
    this.bytes = chunk;
    this.start -= offset;
    this.end -= offset;
  }

  // Leaves the current buffer, keeping it as the spare when nothing points into it.
  #release(): void {
    if (this.#owned && !this.#exported) this.#spare = this.bytes;
    this.#owned = false;
    this.#exported = false;
    this.#tailChunk = undefined;
  }

  /** Marks `count` bytes as consumed. */
  consume(count: number): void {
    this.start += count;
    this.#scanned = 0;
    if (this.#owned) this.#rebase();
  }

  /** Consumes `count` bytes and returns them as a view the caller may keep. */
  take(count: number): Uint8Array {
    if (this.#owned) this.#rebase();
    const start = this.start;
    this.start += count;
    this.#scanned = 0;
    if (this.#owned) this.#exported = true;
    return this.bytes.subarray(start, start + count);
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
    this.#release();
    this.bytes = EMPTY_BYTES;
    this.start = 0;
    this.end = 0;
    this.#scanned = 0;
    return rest;
  }
}
