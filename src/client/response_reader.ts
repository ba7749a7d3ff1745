/**
 * Reads a response on a client connection: pulls the parser's events,
 * reports each interim response (holding the parser while an
 * `onInformational` promise is pending), hands the final head over with the
 * body as bytes when it came whole with the head or as a stream fed with
 * backpressure, and says when the response ended. It moves the exchange
 * through `final-head`; ending it is left to the connection.
 *
 * @module
 */

import { concatBytes } from "../http1/_bytes.ts";
import { ResponseParser } from "../http1/response_parser.ts";
import type { InformationalHead, ParserLimits, ResponseHead } from "../http1/types.ts";
import { BodyTimeout } from "./body_timeout.ts";
import type { Exchange } from "./exchange.ts";
import {
  bodyTimeoutError,
  closedError,
  readError,
  unsupportedStatusError,
} from "./exchange_errors.ts";
import { Informational } from "./informational.ts";
import { BodySource } from "./response_body.ts";

/** What the reader asks of the connection it reads for. */
export interface ReaderHooks {
  /** Ends the exchange with an error. */
  fail(exchange: Exchange, error: unknown): void;
  /** The response ended: end the exchange, keep or close the socket. */
  finish(exchange: Exchange): void;
  /** The reader cancelled the body: the rest will never be read. */
  cancel(exchange: Exchange): void;
  /** `100 Continue` arrived: a held request body may go out. */
  continued(exchange: Exchange): void;
  /** Stop reading from the socket. */
  pause(): void;
  /** Read from the socket again. */
  resume(): void;
  /** Why the socket closed, if it failed. */
  closeError(): Error | undefined;
}

const EMPTY = new Uint8Array(0);

/** The response side of one connection, for one exchange at a time. */
export class ResponseReader {
  readonly #parser: ResponseParser;
  readonly #hooks: ReaderHooks;
  #peerEnded = false;
  /**
   * An `onInformational` promise is pending: the parser holds (a pause of
   * the reading, not a phase: the request may still be going out).
   */
  #waitingForCallback = false;

  /**
   * Creates the reader of one connection.
   *
   * @param limits Parser limits (`maxInformational`...).
   * @param hooks The connection.
   */
  constructor(limits: Partial<ParserLimits>, hooks: ReaderHooks) {
    this.#parser = new ResponseParser(limits);
    this.#hooks = hooks;
  }

  /** Whether the peer ended its side (no more bytes will come). */
  get peerEnded(): boolean {
    return this.#peerEnded;
  }

  /** Bytes received past the end of the response. */
  get buffered(): number {
    return this.#parser.buffered;
  }

  /**
   * Gets ready for the response to `exchange`.
   *
   * @param exchange The exchange about to be written.
   */
  begin(exchange: Exchange): void {
    this.#waitingForCallback = false;
    this.#parser.expect(exchange.request.method);
  }

  /**
   * Bytes arrived for `exchange`.
   *
   * @param exchange The exchange in progress.
   * @param chunk The bytes.
   */
  push(exchange: Exchange, chunk: Uint8Array): void {
    exchange.receivedBytes = true;
    this.#parser.push(chunk);
    this.read(exchange);
  }

  /** The peer ended its side (or the socket closed). */
  peerEnd(): void {
    if (this.#peerEnded) return;
    this.#peerEnded = true;
    this.#parser.finish();
  }

  /**
   * Pulls events until the parser needs bytes, a callback is pending, or the
   * exchange ended; a peer that ended before the response did fails it.
   *
   * @param exchange The exchange in progress.
   */
  read(exchange: Exchange): void {
    const parser = this.#parser;
    while (!exchange.ended && !this.#waitingForCallback) {
      let event;
      try {
        event = parser.next();
      } catch (error) {
        this.#hooks.fail(exchange, readError(exchange, error));
        return;
      }
      if (event === undefined) {
        if (this.#peerEnded) {
          this.#hooks.fail(exchange, closedError(exchange, this.#hooks.closeError()));
        }
        return;
      }
      switch (event.kind) {
        case "informational":
          this.#informational(exchange, event);
          break;
        case "response":
          this.#finalHead(exchange, event);
          break;
        case "data":
          exchange.bodyTimeout?.touch();
          exchange.body?.push(event.data);
          break;
        case "end":
          exchange.body?.close();
          this.#hooks.finish(exchange);
          return;
      }
    }
  }

  #informational(exchange: Exchange, event: InformationalHead): void {
    const info = new Informational(event);
    exchange.informational.push(info);
    if (event.status === 100) this.#hooks.continued(exchange);
    const callback = exchange.request.onInformational;
    if (callback === undefined) return;
    let result: unknown;
    try {
      result = callback(info);
    } catch (error) {
      this.#hooks.fail(exchange, error);
      return;
    }
    // Any other value (`seen.push(info)` returns a number) is ignored.
    if (!isThenable(result)) return;
    // Hold parsing (and the socket) until the callback's promise settles.
    this.#waitingForCallback = true;
    this.#hooks.pause();
    Promise.resolve(result).then(() => {
      if (exchange.ended) return;
      this.#waitingForCallback = false;
      this.#hooks.resume();
      this.read(exchange);
    }, (error: unknown) => this.#hooks.fail(exchange, error));
  }

  #finalHead(exchange: Exchange, head: ResponseHead): void {
    const status = head.status;
    if (status < 200 || status > 599) {
      this.#hooks.fail(exchange, unsupportedStatusError(status));
      return;
    }
    // From awaiting-continue this also means the held body is never sent,
    // and the socket cannot be reused (the server may still read a body).
    exchange.advance("final-head");
    exchange.head = head;
    const nullBody = exchange.request.method === "HEAD" || status === 204 || status === 205 ||
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
        bodyError = readError(exchange, error);
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
      if (!nullBody) body = chunks !== undefined ? concatBytes(chunks) : first ?? EMPTY;
      exchange.resolve({ head, body, informational });
      this.#hooks.finish(exchange);
      return;
    }
    if (nullBody) {
      // A 205 may still announce a body nobody will read: it is drained so
      // the socket can be reused, within bodyTimeout like any body.
      exchange.resolve({ head, body: null, informational });
      if (bodyError !== undefined) this.#hooks.fail(exchange, bodyError);
      else this.#watchBody(exchange);
      return;
    }
    const hooks = this.#hooks;
    const source = new BodySource(chunks ?? (first !== undefined ? [first] : []), {
      pause: () => {
        if (exchange.ended) return;
        hooks.pause();
        // The reader is not reading: silence is not the server's fault.
        exchange.bodyTimeout?.stop();
      },
      resume: () => {
        if (exchange.ended) return;
        hooks.resume();
        this.#watchBody(exchange);
      },
      cancel: () => {
        if (!exchange.ended) hooks.cancel(exchange);
      },
    });
    exchange.body = source;
    exchange.resolve({ head, body: source.stream, informational });
    if (bodyError !== undefined) this.#hooks.fail(exchange, bodyError);
    else this.#watchBody(exchange);
  }

  /** Fails the body after `bodyTimeout` without bytes while the reader waits. */
  #watchBody(exchange: Exchange): void {
    let timeout = exchange.bodyTimeout;
    if (timeout === undefined) {
      const ms = exchange.request.bodyTimeout;
      const hooks = this.#hooks;
      timeout = new BodyTimeout(ms, () => hooks.fail(exchange, bodyTimeoutError(ms)));
      exchange.bodyTimeout = timeout;
    }
    timeout.start();
  }
}

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return (typeof value === "object" || typeof value === "function") && value !== null &&
    typeof (value as { then?: unknown }).then === "function";
}
