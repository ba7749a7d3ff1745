/**
 * One request on HTTP/2: the {@linkcode ResponseChannel} over a `node:http2`
 * stream that the exchange core drives, and the request body read from the
 * stream into a web stream. Each interim response is its own HEADERS frame,
 * sent at once (`additionalHeaders`, flushed on Deno); the final response is
 * `respond()` and DATA frames with the stream's backpressure. HTTP/2 frames
 * the body itself, so no framing or connection-specific field goes out (RFC
 * 9113 section 8.2.2), and a response never closes the connection. This
 * module is browser compatible (it names no runtime).
 *
 * @module
 */

import type { HeaderList } from "../http1/types.ts";
import { CONNECTION_SPECIFIC_FIELDS } from "../http1/validate.ts";
import { flushInterim, type H2Fields, type H2Stream } from "../runtime/node_http2.ts";
import type { SocketAddress } from "../runtime/types.ts";
import { httpDate } from "./date.ts";
import { drainOrClose } from "./drain_or_close.ts";
import { Exchange, type ExchangeHost } from "./exchange.ts";
import { CLOSED, SENT } from "./informational_results.ts";
import { PacedBody } from "./paced_body.ts";
import type { CompleteBody, FinalHead, ResponseChannel } from "./response_channel.ts";
import type { InformationalResult } from "./types.ts";

/** RST_STREAM INTERNAL_ERROR (RFC 9113 section 7). */
const INTERNAL_ERROR = 2;

/**
 * Turns field lines into `node:http2`'s object form: names lower case,
 * repeated names as arrays, connection-specific fields dropped.
 *
 * @param status The `:status`.
 * @param fields The fields.
 * @returns The header object.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { h2Headers } from "./h2_exchange.ts";
 * const out = h2Headers(200, [["Set-Cookie", "a=1"], ["set-cookie", "b=2"], ["Connection", "x"]]);
 * assert.deepEqual(out, { ":status": 200, "set-cookie": ["a=1", "b=2"] });
 * ```
 */
export function h2Headers(status: number, fields: HeaderList): H2Fields {
  const out: H2Fields = { ":status": status };
  for (let i = 0; i < fields.length; i++) {
    const name = fields[i]![0].toLowerCase();
    const value = fields[i]![1];
    if (CONNECTION_SPECIFIC_FIELDS.has(name)) continue;
    if (name === "te" && value.trim().toLowerCase() !== "trailers") continue;
    const seen = out[name];
    if (seen === undefined) out[name] = value;
    else if (Array.isArray(seen)) seen.push(value);
    else out[name] = [String(seen), value];
  }
  return out;
}

/** What an HTTP/2 exchange needs from its server. */
export interface H2Host extends ExchangeHost {
  /** The exchange is over: it leaves the server's books. */
  exchangeClosed(exchange: H2Exchange): void;
}

/**
 * One request stream and its response.
 */
export class H2Exchange implements ResponseChannel {
  /** The exchange core serving it. */
  readonly core: Exchange;
  readonly #stream: H2Stream;
  readonly #host: H2Host;
  readonly #method: string;
  /** The request body, once the handler's request has one. */
  #body: PacedBody | undefined;
  /** Since when a write waits for the peer to take data (`sendTimeout`); 0 when none does. */
  #sendWaitingSince = 0;

  /**
   * @param stream The request's stream.
   * @param host The server.
   * @param method The method as `Request.method` gives it.
   * @param expectContinue The request waits for `100 Continue` before its body.
   * @param remoteAddr The peer's address.
   */
  constructor(
    stream: H2Stream,
    host: H2Host,
    method: string,
    expectContinue: boolean,
    remoteAddr: SocketAddress,
  ) {
    this.#stream = stream;
    this.#host = host;
    this.#method = method;
    this.core = new Exchange(this, host, { method, expectContinue, remoteAddr });
    stream.once("close", () => {
      // Made only when someone is left to tell: a normal close builds nothing.
      if (this.#body?.readable === true || !this.core.finished) {
        const closed = new DOMException("the stream closed", "AbortError");
        this.#body?.fail(closed);
        // A stream reset (or a session gone) before our response was out.
        if (!this.core.finished) this.core.abort(closed);
      }
      host.exchangeClosed(this);
    });
  }

  // --- request body --------------------------------------------------------

  /**
   * The request body as a web stream, read from the HTTP/2 stream as the
   * handler pulls (the first pull sends any `100 Continue` owed).
   *
   * @returns The stream.
   */
  bodyStream(): ReadableStream<Uint8Array> {
    const stream = this.#stream;
    const body = new PacedBody(stream, this.#host.limits.maxBodyBytes);
    this.#body = body;
    stream.on("data", (chunk: Uint8Array) => body.received(chunk));
    stream.once("end", () => body.ended());
    return body.stream({
      firstPull: () => this.core.bodyWanted(),
      cancelled: () => {
        // Unread bytes are dropped as they come; flow control stays open.
        body.drain();
        stream.resume();
      },
    });
  }

  /** The response is out: a body the handler left unread is dropped as it comes. */
  #responseSent = (): void => {
    const body = this.#body;
    if (body?.readable !== true) return;
    body.fail(
      new TypeError("the request body can no longer be read: the response was already sent"),
    );
    body.drain();
    this.#stream.resume();
  };

  // --- deadlines -------------------------------------------------------------

  /**
   * Applies `handlerTimeout`, `sendTimeout`, `bodyTimeout` and
   * `minBodyRate`; called by the server's sweep.
   *
   * @param now The time in milliseconds.
   */
  checkDeadlines(now: number): void {
    this.core.checkHandlerDeadline(now);
    const limits = this.#host.limits;
    const why = this.#body?.verdict(now, limits);
    if (why !== undefined) {
      this.#bodyTimedOut(why);
      return;
    }
    if (this.#sendWaitingSince !== 0 && now - this.#sendWaitingSince > limits.sendTimeout) {
      this.core.abort(
        new DOMException(`the client took no data for ${limits.sendTimeout} ms`, "TimeoutError"),
      );
      this.destroy();
    }
  }

  /**
   * The client stopped sending a body the server waits for, or sends it too
   * slowly: the handler's read fails, and the client gets a 408 (RFC 9110
   * section 15.5.9) or, once the response has begun, a reset stream. The
   * connection's other streams go on.
   */
  #bodyTimedOut(why: string): void {
    const error = new DOMException(`the request body ${why}`, "TimeoutError");
    this.#body?.abandon(error);
    const answerable = this.core.answerable && !this.#stream.headersSent;
    this.core.abort(error);
    if (answerable) this.core.answer(408, false);
    else this.destroy();
  }

  // --- ResponseChannel -------------------------------------------------------

  get open(): boolean {
    const stream = this.#stream;
    return !stream.destroyed && !stream.closed;
  }

  /** HTTP/2 carries every 1xx but 101 (which the core never sends). */
  get interimRefusal(): InformationalResult | undefined {
    return undefined;
  }

  informational(status: number, fields: HeaderList, _flush: boolean): InformationalResult {
    const stream = this.#stream;
    if (!this.open || stream.headersSent) return CLOSED;
    try {
      // Each 1xx is its own HEADERS frame, sent now: there is no final
      // head to ride along with, as on HTTP/1.1.
      stream.additionalHeaders(h2Headers(status, fields));
    } catch {
      // The peer reset the stream meanwhile: every runtime throws then.
      return CLOSED;
    }
    const session = stream.session;
    if (session !== undefined) flushInterim(session);
    return SENT;
  }

  finalPending(): void {}

  complete(head: FinalHead, body: CompleteBody | undefined, size: number | undefined): void {
    const headers = this.#headers(head);
    const status = head.status;
    if (status !== 204 && status !== 304) {
      if (head.declaredLength >= 0 && this.#method === "HEAD") {
        headers["content-length"] = head.declaredLength;
      } else if (size !== undefined) headers["content-length"] = size;
    } else if (status === 304 && head.declaredLength >= 0) {
      headers["content-length"] = head.declaredLength;
    }
    const empty = body === undefined || size === 0;
    if (!this.#respond(headers, empty)) return;
    if (empty) return;
    if (typeof body === "string") {
      this.#stream.end(body);
      return;
    }
    void this.#pump(body!);
  }

  /** Writes a body known in full with the stream's backpressure. */
  async #pump(body: readonly Uint8Array[]): Promise<void> {
    for (const chunk of body) {
      if (!this.open) return;
      if (!this.write(chunk)) await this.drained();
    }
    if (this.open) this.end();
  }

  start(head: FinalHead, first: readonly Uint8Array[]): void {
    const headers = this.#headers(head);
    if (head.declaredLength >= 0) headers["content-length"] = head.declaredLength;
    if (!this.#respond(headers, false)) return;
    for (let i = 0; i < first.length; i++) this.write(first[i]!);
  }

  write(chunk: Uint8Array): boolean {
    if (!this.open) return false;
    const more = this.#stream.write(chunk);
    if (!more && this.#sendWaitingSince === 0) this.#sendWaitingSince = Date.now();
    return more;
  }

  drained(): Promise<void> {
    if (!this.open) return Promise.resolve();
    return drainOrClose(this.#stream).then(() => {
      this.#sendWaitingSince = 0;
    });
  }

  end(): void {
    if (this.open) this.#stream.end();
  }

  answer(status: number, _keepAlive: boolean): void {
    // The connection carries other streams: an answer never closes it.
    const text = `${status}\n`;
    const headers: H2Fields = {
      ":status": status,
      "content-type": "text/plain; charset=utf-8",
      "content-length": text.length,
      date: httpDate(),
    };
    const isHead = this.#method === "HEAD";
    if (this.#respond(headers, isHead) && !isHead) this.#stream.end(text);
  }

  destroy(): void {
    try {
      if (!this.#stream.closed) this.#stream.close(INTERNAL_ERROR);
    } catch {
      // Already gone.
    }
  }

  /** The head's fields with `Date` unless the handler set one. */
  #headers(head: FinalHead): H2Fields {
    const headers = h2Headers(head.status, head.fields);
    if (!head.hasDate) headers["date"] = httpDate();
    return headers;
  }

  /** Sends the final HEADERS; `false` when the stream was reset meanwhile. */
  #respond(headers: H2Fields, endStream: boolean): boolean {
    if (!this.open) return false;
    try {
      this.#stream.respond(headers, { endStream });
    } catch (error) {
      // Reset by the peer meanwhile (every runtime throws then): nothing to
      // answer. Otherwise the head itself cannot be carried: the core answers 500.
      if (!this.open) return false;
      throw error;
    }
    if (endStream) this.#responseSent();
    else this.#stream.once("finish", this.#responseSent);
    return true;
  }
}
