/**
 * A request body read from a paused Node stream (`node:http`'s
 * `IncomingMessage`, `node:http2`'s stream) as the web stream a handler
 * reads: bytes flow only while the handler pulls, are counted against
 * `maxBodyBytes`, and keep the `bodyTimeout`/`minBodyRate` pace. Shared by
 * the `node:http` and HTTP/2 transports; the engine reads its own parser.
 *
 * @module
 */

import { Http1Error } from "../http1/errors.ts";
import { BodyPace, type BodyPaceLimits } from "../runtime/body_pace.ts";

/** The side of a Node readable the body needs. */
export interface PausableSource {
  pause(): unknown;
  resume(): unknown;
}

/** What the transport does at the body's turning points. */
export interface PacedBodyHooks {
  /** The handler's first read: send any `100 Continue` owed. */
  readonly firstPull: () => void;
  /** The handler cancelled its read: the rest is to be read and dropped. */
  readonly cancelled: () => void;
}

/**
 * One request body between a paused Node stream and the handler's
 * `ReadableStream`.
 */
export class PacedBody {
  readonly #source: PausableSource;
  readonly #maxBytes: number;
  /** The handler's stream controller, while it may read. */
  #controller: ReadableStreamDefaultController<Uint8Array> | undefined;
  /** The pace, while the body is read or dropped. */
  #pace: BodyPace | undefined;
  #bytes = 0;

  /**
   * Pauses `source`; nothing flows until the handler reads.
   *
   * @param source The request's stream.
   * @param maxBytes `limits.maxBodyBytes`.
   */
  constructor(source: PausableSource, maxBytes: number) {
    this.#source = source;
    this.#maxBytes = maxBytes;
    this.#pace = new BodyPace(Date.now());
    source.pause();
  }

  /** Whether the handler may still read it. */
  get readable(): boolean {
    return this.#controller !== undefined;
  }

  /**
   * The handler's stream: each pull lets bytes flow.
   *
   * @param hooks The first pull and a cancel.
   * @returns The stream.
   */
  stream(hooks: PacedBodyHooks): ReadableStream<Uint8Array> {
    let first = true;
    return new ReadableStream<Uint8Array>({
      start: (controller) => {
        this.#controller = controller;
      },
      pull: () => {
        if (first) {
          first = false;
          hooks.firstPull();
        }
        // Waiting for the client from now, until bytes come.
        this.#pace?.wait(Date.now());
        this.#source.resume();
      },
      cancel: () => {
        this.#controller = undefined;
        hooks.cancelled();
      },
    }, { highWaterMark: 0 });
  }

  /**
   * Body bytes arrived: counted, then handed to the handler while it reads
   * (else dropped). Past `maxBodyBytes` the handler's read fails with
   * `BODY_TOO_LARGE` and the source is paused.
   *
   * @param chunk The bytes.
   * @returns `false` when the body went over `maxBodyBytes`.
   */
  received(chunk: Uint8Array): boolean {
    this.#pace?.received(chunk.byteLength, Date.now());
    this.#bytes += chunk.byteLength;
    if (this.#bytes > this.#maxBytes) {
      this.fail(new Http1Error("BODY_TOO_LARGE", `request body over ${this.#maxBytes} bytes`));
      this.#source.pause();
      return false;
    }
    const controller = this.#controller;
    if (controller === undefined) return true;
    controller.enqueue(new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength));
    if ((controller.desiredSize ?? 0) <= 0) this.#source.pause();
    return true;
  }

  /** The body ended: the handler's stream closes, the pace stops. */
  ended(): void {
    this.#pace = undefined;
    const controller = this.#controller;
    this.#controller = undefined;
    controller?.close();
  }

  /**
   * The handler's read fails with `error` (the pace goes on: the rest may
   * still be dropped as it comes).
   *
   * @param error The reason.
   */
  fail(error: unknown): void {
    const controller = this.#controller;
    this.#controller = undefined;
    controller?.error(error);
  }

  /**
   * The body is given up (a timeout, a broken request): the read fails and
   * the pace stops.
   *
   * @param error The reason.
   */
  abandon(error: unknown): void {
    this.#pace = undefined;
    this.fail(error);
  }

  /** The rest is read and dropped: it keeps only the no-progress deadline. */
  drain(): void {
    this.#pace?.drain(Date.now());
  }

  /**
   * Why the body breaks `bodyTimeout` or `minBodyRate` now, if it does.
   *
   * @param now The time in ms.
   * @param limits The limits.
   * @returns The reason, or `undefined`.
   */
  verdict(now: number, limits: BodyPaceLimits): string | undefined {
    return this.#pace?.verdict(now, limits);
  }
}
