/**
 * What a paused socket keeps: the chunks (and the peer's FIN) that arrive
 * after `pause()` although reading stopped (Bun delivers the TLS records
 * of a read already done; Deno's `node:tls` is paused softly, see
 * `node.ts`), delivered in order after `resume()`. This module is browser
 * compatible.
 *
 * @module
 */

/** Where held chunks go when they are released. */
export interface HeldChunkSink {
  /** Whether the socket was closed: the chunks not yet delivered are dropped. */
  stopped(): boolean;
  /** Delivers one held chunk to the socket's owner. */
  deliver(chunk: Uint8Array): void;
  /**
   * Everything held was delivered and the owner did not pause again:
   * reading may restart. `end` says whether the peer's FIN was held, to be
   * reported now.
   */
  released(end: boolean): void;
}

/**
 * The chunks held while a socket is paused, and their release.
 *
 * @example Hold while paused, release in order from a microtask
 * ```ts
 * import assert from "node:assert/strict";
 * import { HeldChunks } from "./held_chunks.ts";
 * const seen: string[] = [];
 * const held = new HeldChunks({
 *   stopped: () => false,
 *   deliver: (chunk) => seen.push(String(chunk[0])),
 *   released: (end) => seen.push(end ? "end" : "resumed"),
 * });
 * held.start();
 * held.push(new Uint8Array([1]));
 * held.push(new Uint8Array([2]));
 * held.pushEnd();
 * held.release();
 * assert.deepEqual(seen, []);
 * await Promise.resolve();
 * assert.deepEqual(seen, ["1", "2", "end"]);
 * ```
 */
export class HeldChunks {
  readonly #sink: HeldChunkSink;
  /** `undefined` while not holding. */
  #chunks: Uint8Array[] | undefined;
  #bytes = 0;
  #end = false;
  #releasing = false;

  /**
   * Holds nothing yet; {@linkcode start} begins holding.
   *
   * @param sink Receives the chunks on release.
   */
  constructor(sink: HeldChunkSink) {
    this.#sink = sink;
  }

  /** Whether arriving chunks are held (paused, or released but not yet delivered). */
  get holding(): boolean {
    return this.#chunks !== undefined;
  }

  /** The bytes held. */
  get bytes(): number {
    return this.#bytes;
  }

  /** Whether the peer's FIN is held behind the chunks. */
  get endHeld(): boolean {
    return this.#end;
  }

  /** Starts holding (the owner paused); what is already held stays. */
  start(): void {
    this.#chunks ??= [];
  }

  /**
   * Keeps `chunk` until the release; only while {@linkcode holding}.
   *
   * @param chunk Bytes that arrived while paused.
   */
  push(chunk: Uint8Array): void {
    this.#chunks?.push(chunk);
    this.#bytes += chunk.byteLength;
  }

  /** Keeps the peer's FIN until the chunks before it are delivered. */
  pushEnd(): void {
    this.#end = true;
  }

  /**
   * Delivers what is held from a microtask, never inside this call (as every
   * adapter's `resume()` promises). Delivery stops where the owner pauses
   * again, keeping the rest in order, or where the socket is closed.
   */
  release(): void {
    if (this.#chunks === undefined || this.#releasing) return;
    this.#releasing = true;
    queueMicrotask(() => this.#deliver());
  }

  /**
   * Stops holding and hands back what was held, for the close (a clean
   * close delivers it, a failed one drops it); {@linkcode endHeld} stays.
   *
   * @returns The held chunks, or `undefined` when none were being held.
   */
  take(): Uint8Array[] | undefined {
    const chunks = this.#chunks;
    this.#chunks = undefined;
    this.#bytes = 0;
    return chunks;
  }

  #deliver(): void {
    this.#releasing = false;
    const chunks = this.#chunks;
    if (chunks === undefined) return;
    this.#chunks = undefined;
    const sink = this.#sink;
    for (let i = 0; i < chunks.length; i++) {
      if (sink.stopped()) return;
      const chunk = chunks[i] as Uint8Array;
      this.#bytes -= chunk.byteLength;
      sink.deliver(chunk);
      // The owner paused again: keep the rest, in order.
      const again = this.#chunks as Uint8Array[] | undefined;
      if (again !== undefined) {
        again.unshift(...chunks.slice(i + 1));
        return;
      }
    }
    this.#bytes = 0;
    const end = this.#end;
    this.#end = false;
    sink.released(end);
  }
}
