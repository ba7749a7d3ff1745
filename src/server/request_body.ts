/**
 * The `ReadableStream` behind `request.body`, fed by the connection with the
 * parser's data events. A pull happens only while the handler waits for a
 * read (high-water mark 0), which gives exact backpressure: while nobody
 * reads, the connection stops taking events from the parser and, past a
 * bound, pauses the socket. The first pull is also the moment to send an
 * automatic `100 Continue` (RFC 9110 section 10.1.1). This module is browser
 * compatible.
 *
 * @module
 */

/** What the body needs from its connection. */
export interface RequestBodySource {
  /** The handler waits for bytes: deliver more events. `first` is true on the first pull. */
  onPull(first: boolean): void;
  /** The handler cancelled the body: the rest is to be discarded. */
  onCancel(): void;
}

/** The state of a request body, as the connection sees it. */
export type RequestBodyState = "open" | "ended" | "cancelled" | "errored";

/**
 * A request body stream with explicit hand-off of chunks.
 *
 * @example Feeding a body by hand
 * ```ts
 * import assert from "node:assert/strict";
 * import { RequestBody } from "./request_body.ts";
 * const body = new RequestBody({ onPull() {}, onCancel() {} });
 * body.push(new TextEncoder().encode("hi"));
 * body.end();
 * assert.equal(await new Response(body.stream).text(), "hi");
 * ```
 */
export class RequestBody {
  /** The stream to put in `request.body`. */
  readonly stream: ReadableStream<Uint8Array>;
  #controller!: ReadableStreamDefaultController<Uint8Array>;
  #source: RequestBodySource;
  #state: RequestBodyState = "open";
  #pulls = 0;
  #waiting = false;

  /**
   * Creates the stream.
   *
   * @param source The connection's callbacks.
   */
  constructor(source: RequestBodySource) {
    this.#source = source;
    this.stream = new ReadableStream<Uint8Array>(
      {
        start: (controller) => {
          this.#controller = controller;
        },
        pull: () => {
          this.#waiting = true;
          this.#source.onPull(this.#pulls++ === 0);
        },
        cancel: () => {
          if (this.#state !== "open") return;
          this.#state = "cancelled";
          this.#waiting = false;
          this.#source.onCancel();
        },
      },
      { highWaterMark: 0 },
    );
  }

  /** Where the body stands. */
  get state(): RequestBodyState {
    return this.#state;
  }

  /** Whether a reader is waiting for a chunk (or the body is being discarded). */
  get wantsData(): boolean {
    return this.#waiting || this.#state !== "open";
  }

  /** Whether the handler has ever asked for data. */
  get touched(): boolean {
    return this.#pulls > 0;
  }

  /**
   * Hands a chunk to the waiting reader; dropped when the body was cancelled.
   *
   * @param chunk Body bytes.
   */
  push(chunk: Uint8Array): void {
    if (this.#state !== "open") return;
    this.#waiting = false;
    this.#controller.enqueue(chunk);
  }

  /** The body is complete. */
  end(): void {
    if (this.#state !== "open") return;
    this.#state = "ended";
    this.#waiting = false;
    this.#controller.close();
  }

  /**
   * The body failed (malformed, too large, client gone).
   *
   * @param error What readers will see.
   */
  error(error: unknown): void {
    if (this.#state !== "open") return;
    this.#state = "errored";
    this.#waiting = false;
    this.#controller.error(error);
  }
}
