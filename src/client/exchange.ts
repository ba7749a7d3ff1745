/**
 * One request/response exchange on a client connection: what to send, what
 * came back so far, its phase, and the timers and abort subscription that
 * live exactly as long as the phases they belong to.
 *
 * @module
 */

import type { ResponseHead } from "../http1/types.ts";
import type { BodyTimeout } from "./body_timeout.ts";
import {
  exchangeEnded,
  type ExchangeEvent,
  type ExchangePhase,
  nextPhase,
} from "./exchange_phase.ts";
import type { RequestBody } from "./request_body.ts";
import type { BodySource } from "./response_body.ts";
import type { InformationalCallback, InformationalResponse } from "./types.ts";

/** One request to send on a connection. */
export interface ExchangeRequest {
  /** The method (decides whether the response has a body). */
  readonly method: string;
  /** The encoded request head. */
  readonly head: Uint8Array;
  /** The body, or `null`. */
  readonly body: RequestBody | null;
  /** Hold the body until `100 Continue` (or the timeout, or a final response). */
  readonly expectContinue: boolean;
  /** The caller asked for `Connection: close`. */
  readonly connectionClose: boolean;
  /** Called for each interim response. */
  readonly onInformational: InformationalCallback | undefined;
  /** Aborts the exchange. */
  readonly signal: AbortSignal | undefined;
  /** Longest wait for the final head, in ms. */
  readonly headersTimeout: number;
  /** Longest silence while the body streams and the reader waits, in ms. */
  readonly bodyTimeout: number;
  /** Longest wait for `100 Continue`, in ms. */
  readonly expectContinueTimeout: number;
}

/** The final response of an exchange. */
export interface ExchangeResponse {
  /** The parsed head. */
  readonly head: ResponseHead;
  /**
   * `null` when the response has no body (HEAD, 204, 205, 304), the whole
   * body as bytes when it arrived together with the head, else a stream.
   */
  readonly body: Uint8Array | ReadableStream<Uint8Array> | null;
  /** The interim responses that came before it, in order. */
  readonly informational: InformationalResponse[];
}

/** The state of one exchange; its phase moves only through {@linkcode Exchange.advance}. */
export class Exchange {
  readonly request: ExchangeRequest;
  /** The connection carried an exchange before (a stale keep-alive socket may be retried). */
  readonly reused: boolean;
  /** Settles the `exchange()` promise with the final response. */
  readonly resolve: (response: ExchangeResponse) => void;
  /** Rejects the `exchange()` promise (only before the final head). */
  readonly reject: (error: unknown) => void;
  readonly informational: InformationalResponse[] = [];
  #phase: ExchangePhase = "writing";
  /** The final head, once handed over. */
  head: ResponseHead | undefined;
  /** The response body stream, when one was handed over. */
  body: BodySource | undefined;
  /** Some response byte arrived (so a close is not a stale keep-alive socket). */
  receivedBytes = false;
  /** Armed until the final head: `headersTimeout`. */
  headersTimer: ReturnType<typeof setTimeout> | undefined;
  /** Armed in `awaiting-continue`: `expectContinueTimeout`. */
  continueTimer: ReturnType<typeof setTimeout> | undefined;
  /** While the body is read: `bodyTimeout`. */
  bodyTimeout: BodyTimeout | undefined;
  /** Unsubscribes from the request's signal. */
  stopAbort: (() => void) | undefined;

  /**
   * Creates an exchange in phase `writing`.
   *
   * @param request What to send.
   * @param reused Whether the connection carried an exchange before.
   * @param resolve Resolves the `exchange()` promise.
   * @param reject Rejects it.
   */
  constructor(
    request: ExchangeRequest,
    reused: boolean,
    resolve: (response: ExchangeResponse) => void,
    reject: (error: unknown) => void,
  ) {
    this.request = request;
    this.reused = reused;
    this.resolve = resolve;
    this.reject = reject;
  }

  /** Where the exchange is. */
  get phase(): ExchangePhase {
    return this.#phase;
  }

  /** Whether the exchange has ended (done, failed or cancelled). */
  get ended(): boolean {
    return exchangeEnded(this.#phase);
  }

  /**
   * Moves the phase on and releases what the phase left behind owned: the
   * continue timer when the body stops being held, the headers timer once
   * the final head is in, everything when the exchange ends.
   *
   * @param event What happened.
   * @throws {Error} When `event` cannot happen now (a bug in the client).
   */
  advance(event: ExchangeEvent): void {
    const from = this.#phase;
    const to = nextPhase(from, event);
    this.#phase = to;
    if (from === "awaiting-continue") {
      clearTimeout(this.continueTimer);
      this.continueTimer = undefined;
    }
    if (event === "final-head") {
      clearTimeout(this.headersTimer);
      this.headersTimer = undefined;
    }
    if (exchangeEnded(to)) this.#release();
  }

  #release(): void {
    clearTimeout(this.headersTimer);
    clearTimeout(this.continueTimer);
    this.bodyTimeout?.stop();
    if (this.stopAbort !== undefined) {
      this.stopAbort();
      this.stopAbort = undefined;
    }
  }
}
