/**
 * One client connection: a socket, a response parser, and at most one
 * exchange at a time (no pipelining). It writes the request, reports interim
 * responses as they are parsed, hands the final response over as soon as its
 * head arrives, streams the body with backpressure, and goes back to its pool
 * only when the exchange ended cleanly.
 *
 * @module
 */

import { Http1Error } from "../http1/errors.ts";
import { ResponseParser } from "../http1/response_parser.ts";
import { encodeChunk, LAST_CHUNK } from "../http1/serialize.ts";
import type { InformationalHead, ParserLimits, ResponseHead } from "../http1/types.ts";
import type { ConnectOptions, RuntimeAdapter, Socket, SocketHandlers } from "../runtime/types.ts";
import { onAbort } from "./abort.ts";
import { FetchError, fromHttp1Error } from "./errors.ts";
import { chunkBytes, type RequestBody } from "./request_body.ts";
import { Informational } from "./informational.ts";
import { BodySource } from "./response_body.ts";
import type { InformationalCallback, InformationalResponse } from "./types.ts";
import { concatBytes } from "../http1/_bytes.ts";
import { startTimer } from "./timer.ts";

/** What a connection tells the pool that owns it. */
export interface ConnectionOwner {
  /** The exchange ended cleanly and the socket may carry another one. */
  release(connection: Connection, keepAliveMs: number | undefined): void;
  /** The connection is closed (called once). */
  closed(connection: Connection): void;
}

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

/** Bodies up to this size are written together with the head, in one write. */
const COALESCE_BYTES = 16 * 1024;

const EMPTY = new Uint8Array(0);

/** Errors after which the same request may be sent again on a fresh connection. */
const retryableErrors = new WeakSet<object>();

/**
 * Tells whether an exchange failed only because a reused keep-alive
 * connection had been closed by the server before any response byte arrived
 * (a race every HTTP/1.1 client meets; Go and undici retry it too).
 *
 * @param error What the exchange rejected with.
 * @returns Whether sending again on a fresh connection is safe for an idempotent request.
 */
export function isStaleConnectionError(error: unknown): boolean {
  return typeof error === "object" && error !== null &&
    retryableErrors.has(error);
}

/** The state of the exchange in progress. */
class Exchange {
  readonly request: ExchangeRequest;
  readonly reused: boolean;
  readonly resolve: (response: ExchangeResponse) => void;
  readonly reject: (error: unknown) => void;
  /** The `exchange()` promise has resolved: later failures go to the body. */
  settled = false;
  /** "head": waiting for the final head; "body": it was handed over. */
  phase: "head" | "body" = "head";
  readonly informational: InformationalResponse[] = [];
  head: ResponseHead | undefined;
  body: BodySource | undefined;
  /** An `onInformational` promise is pending: parsing waits for it. */
  blocked = false;
  /** Every request byte has been queued on the socket. */
  requestSent = false;
  receivedBytes = false;
  continueGate: (() => void) | undefined;
  continueTimer: ReturnType<typeof setTimeout> | undefined;
  headersTimer: ReturnType<typeof setTimeout> | undefined;
  bodyTimer: ReturnType<typeof setTimeout> | undefined;
  /** When body bytes last arrived or the reader last asked for more (`Date.now()`). */
  bodyActivity = 0;
  stopAbort: (() => void) | undefined;

  constructor(
    request: ExchangeRequest,
    reused: boolean,
    resolve: (response: ExchangeResponse) => void,
    reject: (error: unknown) => void,
  ) {
    this.request = request;
    this.reused = reused;
    this.resolve = (response) => {
      this.settled = true;
      resolve(response);
    };
    this.reject = reject;
  }
}

/**
 * A client connection. Create it with {@linkcode Connection.open}, run one
 * {@linkcode Connection.exchange} at a time.
 */
export class Connection implements SocketHandlers {
  #socket: Socket | undefined;
  readonly #parser: ResponseParser;
  readonly #owner: ConnectionOwner;
  #exchange: Exchange | undefined;
  #exchanges = 0;
  #eof = false;
  #paused = false;
  #closed = false;
  #closeReported = false;
  #closeError: Error | undefined;
  /** When an idle connection stops being reusable (`Date.now()` ms); set by the pool. */
  idleDeadline = 0;

  private constructor(limits: Partial<ParserLimits>, owner: ConnectionOwner) {
    this.#parser = new ResponseParser(limits);
    this.#owner = owner;
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
    return !this.#closed && !this.#eof && this.#exchange === undefined;
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
      if (this.#closed || this.#eof) {
        // Lost the socket between the pool's check and now.
        this.#exchange = exchange;
        this.#fail(exchange, this.#closedError(exchange));
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
      this.#parser.expect(request.method);
      exchange.headersTimer = startTimer(request.headersTimeout, () => {
        this.#fail(
          exchange,
          new FetchError(
            "HEADERS_TIMEOUT",
            `no final response head within ${request.headersTimeout} ms`,
          ),
        );
      });
      this.#sendRequest(exchange, socket);
    });
  }

  // --- writing -------------------------------------------------------------

  #sendRequest(exchange: Exchange, socket: Socket): void {
    const { head, body } = exchange.request;
    if (body === null) {
      socket.write(head);
      exchange.requestSent = true;
      return;
    }
    if (exchange.request.expectContinue) {
      socket.write(head);
      this.#awaitContinue(exchange, () => this.#sendBody(exchange, socket, body));
      return;
    }
    if (body.kind === "bytes" && body.bytes.byteLength <= COALESCE_BYTES) {
      const joined = new Uint8Array(head.byteLength + body.bytes.byteLength);
      joined.set(head, 0);
      joined.set(body.bytes, head.byteLength);
      socket.write(joined);
      exchange.requestSent = true;
      return;
    }
    socket.write(head);
    this.#sendBody(exchange, socket, body);
  }

  #sendBody(exchange: Exchange, socket: Socket, body: RequestBody): void {
    if (body.kind === "bytes") {
      // The adapter queues it; the next request's bytes follow in order.
      socket.write(body.bytes);
      exchange.requestSent = true;
      return;
    }
    this.#pumpBody(exchange, socket, body.stream).catch(() => {
      // #pumpBody reports its own failures; never an unhandled rejection.
    });
  }

  /** Streams a body with chunked coding (RFC 9112 section 7.1), honouring backpressure. */
  async #pumpBody(
    exchange: Exchange,
    socket: Socket,
    stream: ReadableStream<unknown>,
  ): Promise<void> {
    let reader: ReadableStreamDefaultReader<unknown>;
    try {
      reader = stream.getReader();
    } catch (error) {
      this.#fail(
        exchange,
        new FetchError("REQUEST_BODY_FAILED", "the request body stream is locked or used", {
          cause: error,
        }),
      );
      return;
    }
    try {
      for (;;) {
        const result = await reader.read();
        if (this.#exchange !== exchange || socket.closed) {
          reader.cancel().catch(() => {});
          return;
        }
        if (result.done) {
          socket.write(LAST_CHUNK);
          exchange.requestSent = true;
          return;
        }
        const bytes = chunkBytes(result.value);
        if (bytes.byteLength === 0) continue;
        if (!socket.write(encodeChunk(bytes))) await socket.drained();
      }
    } catch (error) {
      reader.cancel(error).catch(() => {});
      if (this.#exchange === exchange) {
        this.#fail(
          exchange,
          error instanceof FetchError ? error : new FetchError(
            "REQUEST_BODY_FAILED",
            "reading the request body stream failed",
            { cause: error },
          ),
        );
      }
    }
  }

  /** RFC 9110 section 10.1.1: hold the body until 100, a timeout, or a final response. */
  #awaitContinue(exchange: Exchange, send: () => void): void {
    exchange.continueGate = () => {
      clearTimeout(exchange.continueTimer);
      exchange.continueGate = undefined;
      if (this.#exchange === exchange) send();
    };
    exchange.continueTimer = startTimer(
      exchange.request.expectContinueTimeout,
      () => exchange.continueGate?.(),
    );
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
    exchange.receivedBytes = true;
    this.#parser.push(chunk);
    if (!exchange.blocked) this.#process(exchange);
  }

  /** Socket handler: the peer ended its side. */
  onEnd(): void {
    this.#markEof();
    const exchange = this.#exchange;
    if (exchange === undefined) this.#destroy();
    else if (!exchange.blocked) this.#process(exchange);
  }

  /**
   * Socket handler: the socket closed.
   *
   * @param error Set when it failed.
   */
  onClose(error?: Error): void {
    this.#closed = true;
    this.#closeError = error;
    this.#markEof();
    const exchange = this.#exchange;
    if (exchange !== undefined && !exchange.blocked) this.#process(exchange);
    this.#reportClosed();
  }

  #markEof(): void {
    if (this.#eof) return;
    this.#eof = true;
    this.#parser.finish();
  }

  // --- reading -------------------------------------------------------------

  /** Pulls events from the parser until it needs bytes or a callback is pending. */
  #process(exchange: Exchange): void {
    const parser = this.#parser;
    while (this.#exchange === exchange && !exchange.blocked) {
      let event;
      try {
        event = parser.next();
      } catch (error) {
        this.#fail(exchange, this.#readError(exchange, error));
        return;
      }
      if (event === undefined) {
        if (this.#eof) this.#fail(exchange, this.#closedError(exchange));
        return;
      }
      switch (event.kind) {
        case "informational":
          this.#onInformational(exchange, event);
          break;
        case "response":
          this.#onResponse(exchange, event);
          break;
        case "data":
          exchange.bodyActivity = Date.now();
          exchange.body?.push(event.data);
          break;
        case "end":
          exchange.body?.close();
          this.#finish(exchange);
          return;
      }
    }
  }

  #onInformational(exchange: Exchange, event: InformationalHead): void {
    const info = new Informational(event);
    exchange.informational.push(info);
    if (event.status === 100) exchange.continueGate?.();
    const callback = exchange.request.onInformational;
    if (callback === undefined) return;
    let result: unknown;
    try {
      result = callback(info);
    } catch (error) {
      this.#fail(exchange, error);
      return;
    }
    // Any other value (`seen.push(info)` returns a number) is ignored.
    if (!isThenable(result)) return;
    // Hold parsing (and the socket) until the callback's promise settles.
    exchange.blocked = true;
    this.#pause();
    Promise.resolve(result).then(() => {
      if (this.#exchange !== exchange) return;
      exchange.blocked = false;
      this.#resume();
      this.#process(exchange);
    }, (error: unknown) => this.#fail(exchange, error));
  }

  #onResponse(exchange: Exchange, head: ResponseHead): void {
    clearTimeout(exchange.headersTimer);
    exchange.headersTimer = undefined;
    if (exchange.continueGate !== undefined) {
      // A final response instead of 100: the body is not sent, and the
      // connection cannot be reused (the server may still read a body).
      clearTimeout(exchange.continueTimer);
      exchange.continueGate = undefined;
    }
    const status = head.status;
    if (status < 200 || status > 599) {
      this.#fail(
        exchange,
        new FetchError(
          "UNSUPPORTED_STATUS",
          status === 101
            ? "the server switched protocols (101); fetch cannot use an upgraded connection"
            : `final status ${status} is outside 200-599, which a fetch Response cannot carry`,
        ),
      );
      return;
    }
    exchange.head = head;
    exchange.phase = "body";
    const method = exchange.request.method;
    const nullBody = method === "HEAD" || status === 204 || status === 205 ||
      status === 304;
    // Take whatever body already arrived with the head; a small response is
    // usually complete and then needs no stream at all.
    const parser = this.#parser;
    let chunks: Uint8Array[] | undefined;
    let first: Uint8Array | undefined;
    let ended = false;
    // A body that fails to parse after a valid head (a chunk size that
    // overflows) fails the body, not the fetch, as in Go's client and the
    // fetch of Node, Deno and Bun.
    let bodyError: unknown;
    for (;;) {
      let event;
      try {
        event = parser.next();
      } catch (error) {
        bodyError = this.#readError(exchange, error);
        break;
      }
      if (event === undefined) break;
      if (event.kind === "data") {
        if (first === undefined) first = event.data;
        else (chunks ??= [first]).push(event.data);
      } else if (event.kind === "end") {
        ended = true;
        break;
      }
    }
    const informational = exchange.informational;
    if (ended) {
      let body: Uint8Array | null = null;
      if (!nullBody) {
        body = chunks !== undefined ? concatBytes(chunks) : first ?? EMPTY;
      }
      exchange.resolve({ head, body, informational });
      this.#finish(exchange);
      return;
    }
    if (nullBody) {
      // A 205 may still announce a body nobody will read: it is drained so
      // the socket can be reused, within bodyTimeout like any body.
      exchange.resolve({ head, body: null, informational });
      if (bodyError !== undefined) this.#fail(exchange, bodyError);
      else this.#watchBody(exchange);
      return;
    }
    const source = new BodySource(
      chunks ?? (first !== undefined ? [first] : []),
      {
        pause: () => {
          if (this.#exchange !== exchange) return;
          this.#pause();
          // The reader is not reading: silence is not the server's fault.
          clearTimeout(exchange.bodyTimer);
          exchange.bodyTimer = undefined;
        },
        resume: () => {
          if (this.#exchange !== exchange) return;
          this.#resume();
          this.#watchBody(exchange);
        },
        cancel: () => {
          // The rest of the body will not be read: the socket cannot be reused.
          if (this.#exchange === exchange) {
            this.#cleanup(exchange);
            this.#destroy();
          }
        },
      },
    );
    exchange.body = source;
    exchange.resolve({ head, body: source.stream, informational });
    if (bodyError !== undefined) this.#fail(exchange, bodyError);
    else this.#watchBody(exchange);
  }

  // --- ending --------------------------------------------------------------

  /** The response ended: give the socket back to the pool, or close it. */
  #finish(exchange: Exchange): void {
    this.#cleanup(exchange);
    const head = exchange.head!;
    const reusable = head.keepAlive && exchange.requestSent &&
      !exchange.request.connectionClose && !this.#eof && !this.#closed &&
      this.#parser.buffered === 0;
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

  /** Fails the body after `bodyTimeout` without bytes; one timer, re-armed lazily. */
  #watchBody(exchange: Exchange): void {
    const timeout = exchange.request.bodyTimeout;
    exchange.bodyActivity = Date.now();
    if (exchange.bodyTimer !== undefined) return;
    const check = () => {
      exchange.bodyTimer = undefined;
      if (this.#exchange !== exchange) return;
      const idle = Date.now() - exchange.bodyActivity;
      if (idle < timeout) {
        exchange.bodyTimer = startTimer(timeout - idle, check);
        return;
      }
      this.#fail(
        exchange,
        new FetchError("BODY_TIMEOUT", `no response body bytes for ${timeout} ms`),
      );
    };
    exchange.bodyTimer = startTimer(timeout, check);
  }

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

  #fail(exchange: Exchange, error: unknown): void {
    if (this.#exchange !== exchange) return;
    this.#cleanup(exchange);
    // A body error found together with the head settles the promise itself.
    if (!exchange.settled) exchange.reject(error);
    else exchange.body?.error(error);
    this.#destroy();
  }

  #cleanup(exchange: Exchange): void {
    if (this.#exchange === exchange) this.#exchange = undefined;
    clearTimeout(exchange.headersTimer);
    clearTimeout(exchange.bodyTimer);
    clearTimeout(exchange.continueTimer);
    exchange.continueGate = undefined;
    if (exchange.stopAbort !== undefined) {
      exchange.stopAbort();
      exchange.stopAbort = undefined;
    }
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

  #readError(exchange: Exchange, error: unknown): unknown {
    if (!(error instanceof Http1Error)) return error;
    if (exchange.phase === "head" && error.code === "INCOMPLETE_MESSAGE") {
      return this.#closedError(exchange, error);
    }
    if (error.code === "TOO_MANY_INFORMATIONAL") {
      return new FetchError(
        "TOO_MANY_INFORMATIONAL",
        `the server sent ${error.message} (maxInformational); request aborted`,
        { cause: error },
      );
    }
    return fromHttp1Error(
      error,
      exchange.phase === "head" ? "response head" : "response body",
    );
  }

  #closedError(exchange: Exchange, cause?: unknown): FetchError {
    if (exchange.phase === "body") {
      return new FetchError(
        "CONNECTION_RESET",
        "the connection closed in the middle of the response body",
        { cause: cause ?? this.#closeError },
      );
    }
    const count = exchange.informational.length;
    const error = new FetchError(
      "CLOSED_BEFORE_RESPONSE",
      count > 0
        ? `the connection closed after ${count} interim response(s), before the final response`
        : "the connection closed before the final response",
      { cause: cause ?? this.#closeError },
    );
    if (exchange.reused && !exchange.receivedBytes) retryableErrors.add(error);
    return error;
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

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return (typeof value === "object" || typeof value === "function") && value !== null &&
    typeof (value as { then?: unknown }).then === "function";
}
