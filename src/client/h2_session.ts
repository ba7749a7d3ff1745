/**
 * One origin's HTTP/2 session as the pool sees it: many concurrent
 * exchanges (one stream each), kept while it is usable, closed after
 * `idleTimeout` without streams, and never keeping the process alive while
 * idle.
 *
 * @module
 */

import type { H2ClientSession } from "../runtime/http2_client.ts";
import { FetchError } from "./errors.ts";
import type { ExchangeRequest, ExchangeResponse } from "./exchange.ts";
import { h2Exchange } from "./h2_exchange.ts";
import type { PreparedRequest } from "./request.ts";
import { h2RequestFields } from "./h2_fields.ts";
import { startTimer } from "./timer.ts";

/** What a session tells the pool that owns it. */
export interface H2SessionOwner {
  /** The session closed or will take no new stream (GOAWAY): forget it. */
  h2Gone(session: H2Session): void;
}

/** An HTTP/2 session carrying exchanges for one origin. */
export class H2Session {
  /** The protocol, as `response.httpVersion` shows it. */
  readonly httpVersion = "2";
  #session: H2ClientSession | undefined;
  readonly #owner: H2SessionOwner;
  readonly #idleTimeout: number;
  readonly #maxInformational: number;
  #active = 0;
  #idleTimer: ReturnType<typeof setTimeout> | undefined;
  #gone = false;
  /** Ends each running exchange with an error (`close(error)`). */
  readonly #running = new Set<AbortController>();

  /**
   * Wraps a started session (set it with {@linkcode H2Session.attach}).
   *
   * @param owner The pool.
   * @param idleTimeout How long the session stays open without streams, in ms.
   * @param maxInformational Most interim responses per exchange.
   */
  constructor(owner: H2SessionOwner, idleTimeout: number, maxInformational: number) {
    this.#owner = owner;
    this.#idleTimeout = idleTimeout;
    this.#maxInformational = maxInformational;
  }

  /**
   * Gives the session its runtime session, idle.
   *
   * @param session The started `node:http2` session.
   */
  attach(session: H2ClientSession): void {
    this.#session = session;
    this.#becameIdle();
  }

  /** Whether a new exchange may start on it. */
  get usable(): boolean {
    return !this.#gone && this.#session !== undefined && this.#session.usable;
  }

  /** The server sent GOAWAY, or the session closed: no new streams. */
  gone(): void {
    if (this.#gone) return;
    this.#gone = true;
    clearTimeout(this.#idleTimer);
    this.#owner.h2Gone(this);
    // Running streams finish; an idle session has nothing left to do.
    if (this.#active === 0) this.#session?.destroy();
  }

  /**
   * Sends a request on a new stream.
   *
   * @param request What to send.
   * @param prepared The request it was made from (for the HTTP/2 fields).
   * @returns The response, as an HTTP/1.1 exchange gives it.
   */
  exchange(request: ExchangeRequest, prepared: PreparedRequest): Promise<ExchangeResponse> {
    const session = this.#session!;
    let fields;
    try {
      fields = h2RequestFields(prepared);
    } catch (error) {
      return Promise.reject(error);
    }
    this.#active++;
    clearTimeout(this.#idleTimer);
    this.#idleTimer = undefined;
    session.ref();
    // close(error) ends running exchanges through their signal, with that error.
    const closer = new AbortController();
    this.#running.add(closer);
    const signal = request.signal === undefined
      ? closer.signal
      : AbortSignal.any([request.signal, closer.signal]);
    return h2Exchange(session, { ...request, signal }, fields, this.#maxInformational, () => {
      this.#running.delete(closer);
      this.#active--;
      if (this.#active === 0) this.#becameIdle();
    });
  }

  /**
   * Closes the session; running exchanges fail with `error`.
   *
   * @param error What they fail with (`CLIENT_CLOSED` when not given).
   */
  close(error?: unknown): void {
    this.#gone = true;
    clearTimeout(this.#idleTimer);
    const reason = error ?? new FetchError("CLIENT_CLOSED", "the client was closed");
    for (const closer of [...this.#running]) closer.abort(reason);
    this.#session?.destroy();
  }

  /** Closes it when idle (the pool's `closeIdle()`). */
  closeIfIdle(): void {
    if (this.#active === 0) this.close();
  }

  #becameIdle(): void {
    const session = this.#session!;
    if (this.#gone) {
      session.destroy();
      return;
    }
    session.unref();
    if (!(this.#idleTimeout > 0)) {
      this.gone();
      return;
    }
    const timer = startTimer(this.#idleTimeout, () => {
      this.#idleTimer = undefined;
      if (this.#active === 0) this.gone();
    });
    (timer as { unref?: () => void } | undefined)?.unref?.();
    this.#idleTimer = timer;
  }
}
