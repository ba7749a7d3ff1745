/**
 * The response body as a `ReadableStream` fed by the connection, with
 * backpressure: when the stream's queue is full the socket is paused, and it
 * resumes when the reader pulls again.
 *
 * @module
 */

/** What the body asks of the connection that feeds it. */
export interface BodyFlow {
  /** The queue is full: stop reading from the socket. */
  pause(): void;
  /** The reader wants more: read from the socket again. */
  resume(): void;
  /** The reader cancelled the body: the rest will never be read. */
  cancel(reason: unknown): void;
}

/** Bytes queued in the stream before the socket is paused. */
const HIGH_WATER_MARK = 64 * 1024;

/**
 * A push source for a response body stream.
 *
 * @example Feeding a body and reading it back
 * ```ts
 * import assert from "node:assert/strict";
 * import { BodySource } from "./response_body.ts";
 * const source = new BodySource([new TextEncoder().encode("he")], {
 *   pause() {}, resume() {}, cancel() {},
 * });
 * source.push(new TextEncoder().encode("llo"));
 * source.close();
 * assert.equal(await new Response(source.stream).text(), "hello");
 * ```
 */
export class BodySource {
  /** The stream handed to the `Response`. */
  readonly stream: ReadableStream<Uint8Array>;
  #controller!: ReadableStreamDefaultController<Uint8Array>;
  #flow: BodyFlow;
  #paused = false;
  #done = false;

  /**
   * Creates the stream.
   *
   * @param initial Chunks that arrived together with the head.
   * @param flow The connection's flow-control hooks.
   */
  constructor(initial: readonly Uint8Array[], flow: BodyFlow) {
    this.#flow = flow;
    this.stream = new ReadableStream<Uint8Array>({
      start: (controller) => {
        this.#controller = controller;
        for (const chunk of initial) controller.enqueue(chunk);
      },
      pull: () => {
        if (this.#paused) {
          this.#paused = false;
          this.#flow.resume();
        }
      },
      cancel: (reason) => {
        if (this.#done) return;
        this.#done = true;
        this.#flow.cancel(reason);
      },
    }, { highWaterMark: HIGH_WATER_MARK, size: (chunk) => chunk.byteLength });
  }

  /**
   * Queues a chunk; pauses the socket when the queue is full.
   *
   * @param chunk Body bytes.
   */
  push(chunk: Uint8Array): void {
    if (this.#done) return;
    const controller = this.#controller;
    controller.enqueue(chunk);
    if (!this.#paused && (controller.desiredSize ?? 0) <= 0) {
      this.#paused = true;
      this.#flow.pause();
    }
  }

  /** Ends the body normally. */
  close(): void {
    if (this.#done) return;
    this.#done = true;
    this.#controller.close();
  }

  /**
   * Ends the body with an error the reader will see.
   *
   * @param error Why the body failed.
   */
  error(error: unknown): void {
    if (this.#done) return;
    this.#done = true;
    this.#controller.error(error);
  }
}
