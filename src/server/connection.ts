/**
 * The connection loop, written once for every runtime: socket bytes go into
 * the engine's `RequestParser`, each request head becomes an
 * {@linkcode Exchange}, and exchanges run one at a time in arrival order, so
 * pipelined requests are answered in order (RFC 9112 section 9.3.2) like Go's
 * server does. Malformed requests are answered with the engine's status and
 * the connection closes; slow clients meet the header and idle deadlines,
 * checked by the server's sweep. This module is browser compatible.
 *
 * @module
 */

import { Http1Error } from "../http1/errors.ts";
import { RequestParser } from "../http1/request_parser.ts";
import { serializeResponse, utf8Length } from "../http1/serialize.ts";
import type { RequestHead } from "../http1/types.ts";
import { bodyTooSlow } from "../runtime/body_pace.ts";
import { type Socket, SOCKET_HIGH_WATER_MARK, type SocketHandlers } from "../runtime/types.ts";
import { httpDate } from "./date.ts";
import { Exchange, type ExchangeHost } from "./exchange.ts";
import { H1Channel, type H1ChannelHost } from "./h1_channel.ts";
import { RequestBody } from "./request_body.ts";
import { fetchMethod, isForbiddenMethod } from "./methods.ts";
import { RequestUrls } from "./request_url.ts";
import type { HintPolicy, ServeHandler, ServeLimits } from "./types.ts";

/** What connections share: the handler, settings and the server's bookkeeping. */
export interface ConnectionContext {
  /** The user's fetch handler. */
  readonly handler: ServeHandler;
  /** Parser limits and timeouts. */
  readonly limits: Readonly<ServeLimits>;
  /** The server's `hintPolicy`, if any. */
  readonly hintPolicy: HintPolicy | undefined;
  /** `"http"` or `"https"`, for request URLs. */
  readonly scheme: string;
  /** Host used in request URLs when the request has no `Host` (HTTP/1.0). */
  readonly defaultHost: string;
  /** Whether the server is shutting down. */
  readonly draining: boolean;
  /** Reports a handler failure. */
  onError(error: unknown, request: Request): void;
  /** The connection is gone. */
  connectionClosed(connection: Connection): void;
}

const NO_DEADLINE = 0;
const HEAD_DEADLINE = 1;
const IDLE_DEADLINE = 2;
const LINGER_DEADLINE = 3;

// After our FIN, a client gets this long to close its side before the
// socket is destroyed, so a client that never closes cannot hold a
// connection (and a graceful shutdown) forever.
const LINGER_MS = 5_000;

// While a response is pending, pipelined bytes wait in the parser; beyond
// this the socket is paused so a client cannot make us buffer without bound.
const PAUSE_THRESHOLD = 64 * 1024;
// RFC 9112 section 9.3 lets us read and drop an unread request body to keep
// the connection; past this many bytes closing is cheaper (Go uses 256 KiB).
const DISCARD_LIMIT = 256 * 1024;
// After the last answer, bytes are read (and dropped unparsed) only to see
// the peer's FIN for a staged close (RFC 9112 section 9.6). A peer that
// sends more than this is not listening: reading stops, so a flood costs
// neither memory nor CPU, and the linger deadline closes the socket.
const LINGER_DISCARD_LIMIT = 64 * 1024;

/**
 * Serves HTTP/1.1 on one socket.
 */
export class Connection implements SocketHandlers, ExchangeHost, H1ChannelHost {
  /** The socket. */
  readonly socket: Socket;
  readonly #context: ConnectionContext;
  readonly #parser: RequestParser;
  readonly #urls: RequestUrls;
  #exchange: Exchange | undefined;
  /** The current exchange's response channel. */
  #channel: H1Channel | undefined;
  /** The current request's body, when it has one the handler can read. */
  #body: RequestBody | undefined;
  /** The parser has emitted the current request's `end`. */
  #requestComplete = false;
  #served = 0;
  #deadline: number;
  #deadlineKind = HEAD_DEADLINE;
  #paused = false;
  #peerEnded = false;
  #closing = false;
  #closed = false;
  #ended = false;
  #processing = false;
  #again = false;
  #discarded = 0;
  /** Whether bytes of a next request head have arrived (for 408 versus a silent close). */
  #headStarted = false;
  /** When the current request body last made progress (or the handler began waiting). */
  #bodyProgressAt = 0;
  /** Body bytes of the current request received so far (read or discarded). */
  #bodyBytes = 0;
  /** Milliseconds spent waiting for those bytes, before `#bodyWaitingSince`. */
  #bodyWaited = 0;
  /** Since when the server waits for body bytes; 0 when it is not waiting. */
  #bodyWaitingSince = 0;
  /** `bytesSent` at the last sweep, and when it last moved (or nothing was queued). */
  #sentSeen = -1;
  #sendProgressAt = Date.now();
  /** The next exchange waits until the peer has taken the queued responses. */
  #drainWait = false;
  /** Bytes dropped after the last answer (see `LINGER_DISCARD_LIMIT`). */
  #lingerDiscarded = 0;

  /**
   * Starts serving a socket.
   *
   * @param socket The accepted socket.
   * @param context Shared settings.
   */
  constructor(socket: Socket, context: ConnectionContext) {
    this.socket = socket;
    this.#context = context;
    const limits = context.limits;
    this.#parser = new RequestParser({
      maxStartLineBytes: limits.maxStartLineBytes,
      maxHeaderBytes: limits.maxHeaderBytes,
      maxHeaderCount: limits.maxHeaderCount,
      maxChunkLineBytes: limits.maxChunkLineBytes,
      maxBodyBytes: limits.maxBodyBytes,
    });
    this.#deadline = Date.now() + limits.headersTimeout;
    this.#urls = new RequestUrls(context.scheme, context.defaultHost);
  }

  /** Whether the parser has seen the whole current request. */
  get requestComplete(): boolean {
    return this.#requestComplete;
  }

  /** Whether the current exchange is the connection's last (its response says `Connection: close`). */
  get closing(): boolean {
    return this.#closing || this.#context.draining ||
      this.#served + 1 >= this.#context.limits.maxRequestsPerConnection;
  }

  // --- socket events -------------------------------------------------------

  /**
   * Bytes from the client: parse and serve what they complete.
   *
   * @param chunk The bytes.
   */
  onData(chunk: Uint8Array): void {
    if (this.#ended) {
      this.#discardAfterEnd(chunk.byteLength);
      return;
    }
    if (this.#bodyWaitingSince !== 0) {
      this.#bodyWaited += Date.now() - this.#bodyWaitingSince;
      this.#bodyWaitingSince = 0;
    }
    this.#headStarted = true;
    if (this.#deadlineKind === IDLE_DEADLINE) {
      this.#deadlineKind = HEAD_DEADLINE;
      this.#deadline = Date.now() + this.#context.limits.headersTimeout;
    }
    this.#parser.push(chunk);
    this.#process();
  }

  /** The client ended its side. */
  onEnd(): void {
    this.#peerEnded = true;
    this.#parser.finish();
    const exchange = this.#exchange;
    // Like Go's server: EOF while a request is being handled means the
    // client went away; the handler learns it from request.signal. A client
    // that pipelined more requests before its FIN still wants the answers.
    if (
      exchange !== undefined && this.#requestComplete && !this.#responded &&
      this.#parser.buffered === 0
    ) {
      this.#abortExchange(new DOMException("the client closed the connection", "AbortError"));
    }
    this.#process();
  }

  /**
   * The socket is gone: abort the request in progress.
   *
   * @param error Why the socket closed, if it failed.
   */
  onClose(error?: Error): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#abortExchange(error ?? new DOMException("the connection closed", "AbortError"));
    this.#context.connectionClosed(this);
  }

  // --- called by the server ------------------------------------------------

  /**
   * Applies the header, body, send, idle and linger deadlines; called by the
   * server's sweep.
   *
   * @param now The current time in milliseconds.
   */
  checkDeadline(now: number): void {
    const exchange = this.#exchange;
    exchange?.checkHandlerDeadline(now);
    if (this.#closed) return;
    const limits = this.#context.limits;
    if (this.socket.bufferedAmount > 0) {
      // Idle means nothing to do, not waiting for the peer to take what we
      // wrote: idle and linger count from the moment it is all out, and
      // meanwhile a peer that takes nothing for sendTimeout is dropped.
      const sent = this.socket.bytesSent;
      if (sent !== this.#sentSeen) {
        this.#sentSeen = sent;
        this.#sendProgressAt = now;
      } else if (now - this.#sendProgressAt > limits.sendTimeout) {
        this.destroy(
          new DOMException(`the client took no data for ${limits.sendTimeout} ms`, "TimeoutError"),
        );
        return;
      }
      if (this.#deadlineKind === IDLE_DEADLINE) this.#deadline = now + limits.idleTimeout;
      else if (this.#deadlineKind === LINGER_DEADLINE) this.#deadline = now + LINGER_MS;
    } else this.#sendProgressAt = now;
    if (
      exchange !== undefined && !this.#requestComplete &&
      (this.#responded || this.#body === undefined || this.#body.wantsData)
    ) {
      if (now - this.#bodyProgressAt > limits.bodyTimeout) {
        this.#bodyTimedOut(exchange, `made no progress for ${limits.bodyTimeout} ms`);
        return;
      }
      // Only time spent waiting for the client counts, not time the handler
      // leaves the body unread.
      const waited = this.#bodyWaited +
        (this.#bodyWaitingSince === 0 ? 0 : now - this.#bodyWaitingSince);
      if (bodyTooSlow(waited, this.#bodyBytes, limits)) {
        this.#bodyTimedOut(
          exchange,
          `arrived slower than limits.minBodyRate (${limits.minBodyRate} bytes/s)`,
        );
        return;
      }
    }
    if (this.#deadlineKind === NO_DEADLINE || now < this.#deadline) return;
    if (this.#deadlineKind === LINGER_DEADLINE) {
      this.#deadlineKind = NO_DEADLINE;
      this.socket.destroy();
      return;
    }
    if (this.#deadlineKind === HEAD_DEADLINE && this.#headStarted) {
      // RFC 9110 section 15.5.9: the client was too slow to send its request.
      this.#writeError(408, "request header timeout");
      return;
    }
    this.#end();
  }

  /** Graceful shutdown: close now if idle, else after the current exchange. */
  drain(): void {
    this.#closing = true;
    if (this.#exchange === undefined) this.#end();
  }

  /**
   * Closes at once, aborting the current request.
   *
   * @param reason The abort reason given to `request.signal`.
   */
  destroy(reason: unknown): void {
    this.#abortExchange(reason);
    this.socket.destroy();
  }

  /** Whether the current response is over on the wire (written in full, or given up). */
  get #responded(): boolean {
    return this.#channel === undefined;
  }

  /** Aborts the current request's signal and body. */
  #abortExchange(reason: unknown): void {
    this.#exchange?.abort(reason);
    this.#body?.error(reason);
  }

  // --- ExchangeHost --------------------------------------------------------

  /** The server's limits, for the exchange's own bounds (interim responses). */
  get limits(): Readonly<ServeLimits> {
    return this.#context.limits;
  }

  /** The server's hint policy, for the exchange's interim responses. */
  get hintPolicy(): HintPolicy | undefined {
    return this.#context.hintPolicy;
  }

  /** The handler waits for body bytes: deliver more events. */
  #bodyPulled(body: RequestBody): void {
    if (body !== this.#body) return;
    // The handler starts waiting now: the body timeout counts from here.
    this.#bodyProgressAt = Date.now();
    this.#process();
  }

  /**
   * The final response is written: go on with the next request or close.
   *
   * @param channel The channel whose response is written.
   * @param keepAlive Whether the connection may carry another request.
   */
  responseDone(channel: H1Channel, keepAlive: boolean): void {
    if (channel !== this.#channel) return;
    this.#channel = undefined;
    this.#served++;
    if (!keepAlive || this.#served >= this.#context.limits.maxRequestsPerConnection) {
      this.#closing = true;
    }
    if (!this.#requestComplete) {
      // The handler answered without reading the whole body.
      this.#body?.error(
        new TypeError("the request body can no longer be read: the response was already sent"),
      );
      if (this.#closing) {
        this.#exchange = undefined;
        this.#end();
        return;
      }
      this.#discarded = 0;
      this.#process(); // discards the rest, then goes on with the next request
      return;
    }
    this.#nextExchange();
  }

  /**
   * Reports a handler failure to the server's `onError`.
   *
   * @param error What the handler threw.
   * @param request Its request.
   */
  reportError(error: unknown, request: Request): void {
    this.#context.onError(error, request);
  }

  // --- the loop --------------------------------------------------------------

  #nextExchange(): void {
    this.#exchange = undefined;
    this.#body = undefined;
    // Pipelined requests that arrived before an EOF still get answers.
    if (
      this.#closing || this.#context.draining || this.#closed ||
      (this.#peerEnded && this.#parser.buffered === 0)
    ) {
      this.#end();
      return;
    }
    if (this.socket.bufferedAmount >= SOCKET_HIGH_WATER_MARK) {
      // Backpressure: the peer has not taken the responses already written.
      // Read nothing and start nothing until it has, or a client that
      // pipelines and never reads would make us queue responses without
      // bound. Meanwhile sendTimeout applies; the idle deadline starts after.
      this.#drainWait = true;
      this.#deadlineKind = NO_DEADLINE;
      if (!this.#paused) {
        this.#paused = true;
        this.socket.pause();
      }
      this.socket.drained().then(() => {
        this.#drainWait = false;
        if (!this.#closed && !this.#ended) this.#nextExchange();
      });
      return;
    }
    this.#headStarted = this.#parser.buffered > 0;
    if (this.#parser.buffered === 0) {
      this.#deadlineKind = IDLE_DEADLINE;
      this.#deadline = Date.now() + this.#context.limits.idleTimeout;
    } else {
      this.#deadlineKind = HEAD_DEADLINE;
      this.#deadline = Date.now() + this.#context.limits.headersTimeout;
    }
    this.#process();
  }

  #process(): void {
    if (this.#processing) {
      this.#again = true;
      return;
    }
    this.#processing = true;
    try {
      do {
        this.#again = false;
        this.#step();
      } while (this.#again && !this.#closed);
    } finally {
      this.#processing = false;
    }
  }

  #step(): void {
    const parser = this.#parser;
    for (;;) {
      if (this.#ended || this.#drainWait) return;
      const exchange = this.#exchange;
      if (exchange !== undefined) {
        // Waiting for the response, or for the handler to read the body.
        if (this.#requestComplete) break;
        const body = this.#body;
        if (!this.#responded && body !== undefined && !body.wantsData) break;
      }
      let event;
      try {
        event = parser.next();
      } catch (error) {
        this.#onParseError(error);
        return;
      }
      if (event === undefined) {
        if (exchange !== undefined && !this.#requestComplete && this.#bodyWaitingSince === 0) {
          this.#bodyWaitingSince = Date.now();
        }
        if (this.#paused) {
          this.#paused = false;
          this.socket.resume();
        }
        if (this.#peerEnded && this.#exchange === undefined) this.#end();
        return;
      }
      switch (event.kind) {
        case "request":
          this.#startExchange(event);
          break;
        case "data":
          if (exchange === undefined) break;
          this.#bodyProgressAt = Date.now();
          this.#bodyBytes += event.data.byteLength;
          if (this.#responded || this.#body === undefined || this.#body.state !== "open") {
            this.#discarded += event.data.byteLength;
            if (this.#discarded > DISCARD_LIMIT && this.#responded) {
              this.#exchange = undefined;
              this.#end();
              return;
            }
          } else this.#body.push(event.data);
          break;
        case "end":
          if (exchange === undefined) break;
          this.#requestComplete = true;
          this.#body?.end();
          if (this.#responded) this.#nextExchange();
          break;
      }
    }
    if (!this.#paused && parser.buffered >= PAUSE_THRESHOLD) {
      this.#paused = true;
      this.socket.pause();
    }
  }

  /** The client stopped sending a body the server waits for, or sends it too slowly. */
  #bodyTimedOut(exchange: Exchange, why: string): void {
    const error = new DOMException(`the request body ${why}`, "TimeoutError");
    this.#closing = true;
    const answerable = exchange.answerable;
    this.#abortExchange(error);
    if (answerable) {
      // RFC 9110 section 15.5.9: the client was too slow to send its request.
      exchange.answer(408, false);
    } else if (this.#responded) {
      this.#exchange = undefined;
      this.#end();
    }
  }

  #startExchange(head: RequestHead): void {
    this.#deadlineKind = NO_DEADLINE;
    this.#headStarted = false;
    this.#bodyProgressAt = Date.now();
    this.#bodyBytes = 0;
    this.#bodyWaited = 0;
    this.#bodyWaitingSince = 0;
    const method = fetchMethod(head.method);
    const channel = new H1Channel(this, head);
    const exchange = new Exchange(channel, this, {
      method,
      expectContinue: head.expectContinue && head.minorVersion === 1,
      remoteAddr: this.socket.remoteAddress,
    });
    this.#exchange = exchange;
    this.#channel = channel;
    this.#requestComplete = head.framing === "none";
    // A Fetch Request with method GET or HEAD cannot carry a body.
    const body = head.framing !== "none" && method !== "GET" && method !== "HEAD"
      ? new RequestBody({
        onPull: (first) => {
          if (first) exchange.bodyWanted();
          this.#bodyPulled(body!);
        },
        onCancel: () => this.#bodyPulled(body!),
      })
      : undefined;
    this.#body = body;
    if (isForbiddenMethod(method)) {
      exchange.answer(501, false);
      return;
    }
    const url = this.#urls.of(head);
    if (url === undefined) {
      exchange.answer(400, false);
      return;
    }
    try {
      exchange.createRequest(url, head.headers, body?.stream);
    } catch {
      exchange.answer(400, false);
      return;
    }
    exchange.run(this.#context.handler);
  }

  #onParseError(error: unknown): void {
    const exchange = this.#exchange;
    const status = error instanceof Http1Error ? error.status : 400;
    if (error instanceof Http1Error && error.code === "INCOMPLETE_MESSAGE") {
      // The client closed mid-request: nobody is left to answer.
      this.#abortExchange(error);
      this.#closing = true;
      if (exchange === undefined || this.#responded) this.#end();
      return;
    }
    if (exchange !== undefined && this.#responded) {
      // The answer is out; the bytes after it are garbage: just close.
      this.#exchange = undefined;
      this.#end();
      return;
    }
    if (exchange !== undefined) {
      // A bad body: the handler sees the error when reading; its response
      // (or the error's status when it rethrows) goes out, then we close.
      this.#closing = true;
      const body = this.#body;
      body?.error(error);
      if (body === undefined || !body.touched) exchange.fail(error);
      return;
    }
    this.#writeError(status, error instanceof Error ? error.message : String(error));
  }

  /** Answers with an error status outside any exchange and closes. */
  #writeError(status: number, message: string): void {
    this.#closing = true;
    this.#exchange = undefined;
    const text = `${message}\n`;
    this.socket.write(serializeResponse(status, undefined, [
      ["content-type", "text/plain; charset=utf-8"],
      ["content-length", String(utf8Length(text))],
      ["date", httpDate()],
      ["connection", "close"],
    ], text));
    this.#end();
  }

  /**
   * Drops bytes that came after the last answer without parsing them; past
   * `LINGER_DISCARD_LIMIT` stops reading (the peer's writes then meet
   * backpressure) and leaves the socket to the linger deadline.
   */
  #discardAfterEnd(size: number): void {
    const before = this.#lingerDiscarded;
    this.#lingerDiscarded += size;
    if (before <= LINGER_DISCARD_LIMIT && this.#lingerDiscarded > LINGER_DISCARD_LIMIT) {
      this.#paused = true;
      this.socket.pause();
    }
  }

  /** Flushes and closes; nothing more is read or started. */
  #end(): void {
    this.#ended = true;
    // Read again (and drop) within LINGER_DISCARD_LIMIT to see the peer's FIN.
    if (this.#paused && this.#lingerDiscarded <= LINGER_DISCARD_LIMIT) {
      this.#paused = false;
      this.socket.resume();
    }
    this.#deadlineKind = LINGER_DEADLINE;
    this.#deadline = Date.now() + LINGER_MS;
    this.socket.end();
  }
}
