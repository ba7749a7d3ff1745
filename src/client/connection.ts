/**
 * One client connection: a socket, and at most one exchange at a time (no
 * pipelining). It starts each exchange (the request writer writes, the
 * response reader reads), routes socket events to the reader, ends the
 * exchange in one place, and goes back to its pool only when the exchange
 * ended cleanly with the whole request written.
 *
 * @module
 */

import type { ParserLimits, ResponseHead } from "../http1/types.ts";
import type { ConnectOptions, RuntimeAdapter, Socket, SocketHandlers } from "../runtime/types.ts";
import { onAbort } from "./abort.ts";
import { FetchError } from "./errors.ts";
import { Exchange, type ExchangeRequest, type ExchangeResponse } from "./exchange.ts";
import { closedError, headersTimeoutError } from "./exchange_errors.ts";
import { type ExchangeEvent, headHandedOver } from "./exchange_phase.ts";
import { releaseBody, writeRequest } from "./request_writer.ts";
import { ResponseReader } from "./response_reader.ts";
import { startTimer } from "./timer.ts";

/** What a connection tells the pool that owns it. */
export interface ConnectionOwner {
  /** The exchange ended cleanly and the socket may carry another one. */
  release(connection: Connection, keepAliveMs: number | undefined): void;
  /** The connection is closed (called once). */
  closed(connection: Connection): void;
}

/**
 * A client connection. Create it with {@linkcode Connection.open}, run one
 * {@linkcode Connection.exchange} at a time.
 */
export class Connection implements SocketHandlers {
  #socket: Socket | undefined;
  readonly #reader: ResponseReader;
  readonly #owner: ConnectionOwner;
  #exchange: Exchange | undefined;
  #exchanges = 0;
  #paused = false;
  #closed = false;
  #closeReported = false;
  #closeError: Error | undefined;
  /** `#fail` for the writer and the reader, made once per connection. */
  readonly #failExchange = (exchange: Exchange, error: unknown): void => {
    this.#fail(exchange, error);
  };
  /** When an idle connection stops being reusable (`Date.now()` ms); set by the pool. */
  idleDeadline = 0;

  private constructor(limits: Partial<ParserLimits>, owner: ConnectionOwner) {
    this.#owner = owner;
    this.#reader = new ResponseReader(limits, {
      fail: this.#failExchange,
      finish: (exchange) => this.#finish(exchange),
      cancel: (exchange) => this.#cancel(exchange),
      continued: (exchange) => releaseBody(exchange, this.#socket!, this.#failExchange),
      pause: () => this.#pause(),
      resume: () => this.#resume(),
      closeError: () => this.#closeError,
    });
  }

  /**
   * Connects.
   *
   * @param adapter The runtime's sockets.
   * @param options Where and how to connect (with the signal that aborts connecting).
   * @param limits Parser limits (`maxInformational`...).
   * @param owner The pool to report to.
   * @returns The connection, idle.
   */
  static async open(
    adapter: RuntimeAdapter,
    options: ConnectOptions,
    limits: Partial<ParserLimits>,
    owner: ConnectionOwner,
  ): Promise<Connection> {
    const connection = new Connection(limits, owner);
    const socket = await adapter.connect(options, connection);
    if (connection.#closed) {
      // Closed while the connect promise was settling.
      socket.destroy();
      throw new FetchError(
        "CLOSED_BEFORE_RESPONSE",
        "the connection closed as soon as it opened",
      );
    }
    connection.#socket = socket;
    return connection;
  }

  /** Whether the socket is open and no exchange runs on it. */
  get idle(): boolean {
    return !this.#closed && !this.#reader.peerEnded && this.#exchange === undefined;
  }

  /** Whether the socket is closed (or being closed). */
  get closed(): boolean {
    return this.#closed;
  }

  /** Lets the process exit while this idle connection is open. */
  unref(): void {
    this.#socket?.unref();
  }

  /**
   * Closes the connection; an exchange in progress fails with `error`.
   *
   * @param error What the running exchange (if any) rejects or errors with.
   */
  close(error?: unknown): void {
    const exchange = this.#exchange;
    if (exchange !== undefined) {
      this.#fail(
        exchange,
        error ?? new FetchError("CLIENT_CLOSED", "the client was closed"),
      );
    } else this.#destroy();
  }

  /**
   * Sends a request and resolves with the final response head (and the body,
   * as bytes or a stream), after reporting every interim response.
   *
   * @param request What to send.
   * @returns The response; rejects with a {@linkcode FetchError}, the
   * signal's reason, or what `onInformational` threw.
   */
  exchange(request: ExchangeRequest): Promise<ExchangeResponse> {
    const socket = this.#socket!;
    this.#exchanges++;
    const reused = this.#exchanges > 1;
    return new Promise<ExchangeResponse>((resolve, reject) => {
      const exchange = new Exchange(request, reused, resolve, reject);
      if (this.#closed || this.#reader.peerEnded) {
        // Lost the socket between the pool's check and now.
        this.#exchange = exchange;
        this.#fail(exchange, closedError(exchange, this.#closeError));
        return;
      }
      const signal = request.signal;
      if (signal !== undefined) {
        if (signal.aborted) {
          reject(signal.reason);
          this.#destroy();
          return;
        }
        exchange.stopAbort = onAbort(signal, () => this.#fail(exchange, signal.reason));
      }
      this.#exchange = exchange;
      socket.ref();
      this.#reader.begin(exchange);
      const headersTimeout = request.headersTimeout;
      exchange.headersTimer = startTimer(headersTimeout, () => {
        this.#fail(exchange, headersTimeoutError(headersTimeout));
      });
      writeRequest(exchange, socket, this.#failExchange);
    });
  }

  // --- socket events -------------------------------------------------------

  /**
   * Socket handler: bytes arrived.
   *
   * @param chunk The bytes.
   */
  onData(chunk: Uint8Array): void {
    const exchange = this.#exchange;
    if (exchange === undefined) {
      // Bytes nobody asked for on an idle connection: it cannot be trusted.
      this.#destroy();
      return;
    }
    this.#reader.push(exchange, chunk);
  }

  /** Socket handler: the peer ended its side. */
  onEnd(): void {
    this.#reader.peerEnd();
    const exchange = this.#exchange;
    if (exchange === undefined) this.#destroy();
    else this.#reader.read(exchange);
  }

  /**
   * Socket handler: the socket closed.
   *
   * @param error Set when it failed.
   */
  onClose(error?: Error): void {
    this.#closed = true;
    this.#closeError = error;
    this.#reader.peerEnd();
    const exchange = this.#exchange;
    if (exchange !== undefined) this.#reader.read(exchange);
    this.#reportClosed();
  }

  // --- ending an exchange --------------------------------------------------

  /** Detaches the exchange and moves it to its last phase (which releases its timers). */
  #end(exchange: Exchange, event: ExchangeEvent): void {
    this.#exchange = undefined;
    exchange.advance(event);
  }

  /** The response ended: give the socket back to the pool, or close it. */
  #finish(exchange: Exchange): void {
    // Read before the phase moves on: a head that came before the whole
    // request was written leaves the server reading bytes we never sent.
    const requestWritten = exchange.phase === "reading-body";
    this.#end(exchange, "body-end");
    const head = exchange.head!;
    const reader = this.#reader;
    const reusable = head.keepAlive && requestWritten && !exchange.request.connectionClose &&
      !reader.peerEnded && !this.#closed && reader.buffered === 0;
    if (!reusable) {
      this.#destroy();
      return;
    }
    // The body's backpressure may have paused the socket while its last
    // bytes were already buffered; the next exchange must read again.
    this.#resume();
    this.#socket!.unref();
    this.#owner.release(this, keepAliveTimeout(head));
  }

  /** The reader cancelled the body: the socket cannot be reused. */
  #cancel(exchange: Exchange): void {
    if (this.#exchange !== exchange) return;
    this.#end(exchange, "cancel");
    this.#destroy();
  }

  #fail(exchange: Exchange, error: unknown): void {
    if (this.#exchange !== exchange) return;
    // Before the final head the promise rejects; after it, the body errors.
    const handedOver = headHandedOver(exchange.phase);
    this.#end(exchange, "fail");
    if (!handedOver) exchange.reject(error);
    else exchange.body?.error(error);
    this.#destroy();
  }

  // --- the socket ----------------------------------------------------------

  #pause(): void {
    if (this.#paused) return;
    this.#paused = true;
    this.#socket?.pause();
  }

  #resume(): void {
    if (!this.#paused) return;
    this.#paused = false;
    this.#socket?.resume();
  }

  #destroy(): void {
    if (!this.#closed) {
      this.#closed = true;
      this.#socket?.destroy();
    }
    this.#reportClosed();
  }

  #reportClosed(): void {
    if (this.#closeReported) return;
    this.#closeReported = true;
    this.#owner.closed(this);
  }
}

/** The server's `Keep-Alive: timeout=N` hint, in ms, if any. */
function keepAliveTimeout(head: ResponseHead): number | undefined {
  const headers = head.headers;
  for (let i = 0; i < headers.length; i++) {
    const field = headers[i]!;
    if (field[0] !== "keep-alive") continue;
    const match = /(?:^|[,;\s])timeout\s*=\s*(\d+)/i.exec(field[1]);
    if (match !== null) return Number(match[1]) * 1000;
  }
  return undefined;
}
