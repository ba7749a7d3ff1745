/**
 * One request on the `node:http` transport: the {@linkcode ResponseChannel}
 * over a `ServerResponse` that the exchange core drives, the request body
 * read from the `IncomingMessage` into a web stream, and the deadlines the
 * server's sweep checks (`sendTimeout`, `bodyTimeout`, `minBodyRate`, the
 * linger after our FIN). `node:http` frames and keeps the connection alive
 * itself; this file says when it must close. This module is browser
 * compatible (it names no runtime).
 *
 * @module
 */

import { Http1Error } from "../http1/errors.ts";
import type { HeaderList } from "../http1/types.ts";
import type { HttpIncoming, HttpOutgoing } from "../runtime/http_message.ts";
import { drainOrClose } from "./drain_or_close.ts";
import { Exchange, type ExchangeHost } from "./exchange.ts";
import { HTTP10, SENT } from "./informational_results.ts";
import { PacedBody } from "./paced_body.ts";
import type { CompleteBody, FinalHead, ResponseChannel } from "./response_channel.ts";
import { writeInterimToServerResponse } from "./server_response_interim.ts";
import type { InformationalResult } from "./types.ts";

/**
 * Larger chunks are written this much at a time: Node completes a write only
 * once all of it was taken, so progress shows to `sendTimeout` per slice.
 */
const SEND_SLICE = 64 * 1024;
/** After our FIN, the client gets this long to close before the socket is destroyed (as the engine). */
const LINGER_MS = 5_000;

/** What a `node:http` exchange needs from its server. */
export interface NodeHttpHost extends ExchangeHost {
  /** The server is shutting down: every response closes its connection. */
  readonly draining: boolean;
}

/** The request facts read from `rawHeaders` in one pass. */
export interface NodeHttpRequestFields {
  /** The fields, in order. */
  readonly fields: HeaderList;
  /** The `Host` value, or `""`. */
  readonly host: string;
  /** Whether the request has a body (Content-Length or Transfer-Encoding). */
  readonly hasBody: boolean;
  /** The declared Content-Length, or -1 (node:http has checked its syntax). */
  readonly contentLength: number;
}

/**
 * Reads the fields of a request once: pairs for the `Request`, and the few
 * the server decides on (no `incoming.headers`, which Node builds on demand).
 *
 * @param raw `rawHeaders`: names and values alternating.
 * @returns The fields and facts.
 */
export function readRawFields(raw: readonly string[]): NodeHttpRequestFields {
  const fields: [string, string][] = new Array(raw.length >> 1);
  let host = "";
  let hasBody = false;
  let contentLength = -1;
  for (let i = 0, j = 0; i < raw.length; i += 2, j++) {
    const name = raw[i]!;
    const value = raw[i + 1]!;
    fields[j] = [name, value];
    const length = name.length;
    if (length === 4) {
      if (host === "" && name.toLowerCase() === "host") host = value;
    } else if (length === 14 || length === 17) {
      const lower = name.toLowerCase();
      if (lower === "content-length") {
        hasBody = true;
        contentLength = Number(value);
      } else if (lower === "transfer-encoding") hasBody = true;
    }
  }
  return { fields, host, hasBody, contentLength };
}

/**
 * One request and its response on `node:http`.
 */
export class NodeHttpExchange implements ResponseChannel {
  /** The exchange core serving it. */
  readonly core: Exchange;
  readonly #incoming: HttpIncoming;
  readonly #outgoing: HttpOutgoing;
  readonly #host: NodeHttpHost;
  /** The request body, once the handler's request has one. */
  #body: PacedBody | undefined;
  #requestDone = true;
  /** Since when a write waits for the peer to take data (`sendTimeout`); 0 when none does. */
  #sendWaitingSince = 0;
  /** The peer's last progress while a write waits. */
  #sendProgressAt = 0;
  /** When the socket we ended is destroyed if the client has not closed; 0 when not lingering. */
  #lingerUntil = 0;
  /** The connection closes after this exchange (`maxRequestsPerConnection`). */
  readonly #lastOnConnection: boolean;

  /**
   * @param incoming The request.
   * @param outgoing Its response.
   * @param host The server.
   * @param method The method as `Request.method` gives it.
   * @param expectContinue No `100 Continue` was sent for an `Expect: 100-continue` request.
   * @param lastOnConnection The connection closes after this exchange.
   */
  constructor(
    incoming: HttpIncoming,
    outgoing: HttpOutgoing,
    host: NodeHttpHost,
    method: string,
    expectContinue: boolean,
    lastOnConnection: boolean,
  ) {
    this.#lastOnConnection = lastOnConnection;
    this.#incoming = incoming;
    this.#outgoing = outgoing;
    this.#host = host;
    const socket = incoming.socket;
    this.core = new Exchange(this, host, {
      method,
      expectContinue,
      remoteAddr: socket.remoteAddress === undefined
        ? { transport: "unix", path: "" }
        : { transport: "tcp", hostname: socket.remoteAddress, port: socket.remotePort ?? 0 },
    });
  }

  /** The connection's socket. */
  get socket(): object {
    return this.#incoming.socket;
  }

  // --- request body --------------------------------------------------------

  /**
   * The request body as a web stream, read from the `IncomingMessage` as
   * the handler pulls (the first pull sends any `100 Continue` owed).
   *
   * @returns The stream.
   */
  bodyStream(): ReadableStream<Uint8Array> {
    const incoming = this.#incoming;
    const body = new PacedBody(incoming, this.#host.limits.maxBodyBytes);
    this.#body = body;
    this.#requestDone = false;
    incoming.on("data", this.#onBodyData);
    incoming.once("end", () => {
      this.#requestDone = true;
      body.ended();
    });
    incoming.once("error", (error) => body.abandon(error));
    return body.stream({
      firstPull: () => this.core.bodyWanted(),
      cancelled: () => this.#drainBody(),
    });
  }

  /** Body bytes: counted, then given to the handler while it may read them, else dropped. */
  #onBodyData = (chunk: Uint8Array): void => {
    // A chunked body past the limit: the handler's read fails with 413 (its
    // status if it rethrows), and the connection closes.
    if (this.#body?.received(chunk) === false) this.#outgoing.shouldKeepAlive = false;
  };

  /** Reads the rest of the body and drops it, counting it against the body limits. */
  #drainBody(): void {
    if (this.#requestDone) return;
    const incoming = this.#incoming;
    this.#body?.drain();
    // node:http's own drain of an unread body removes the data listeners.
    if (!incoming.listeners("data").includes(this.#onBodyData)) {
      incoming.on("data", this.#onBodyData);
    }
    incoming.resume();
  }

  /**
   * The rest of the request could not be parsed: its body read fails with
   * a 400, the connection closes after the response.
   *
   * @returns Whether the exchange answers it (else the caller closes).
   */
  requestFailed(error: Error): boolean {
    if (!this.core.answerable) return false;
    this.#outgoing.shouldKeepAlive = false;
    this.#requestDone = true;
    const failure = new Http1Error("BAD_SYNTAX", `malformed request body: ${error.message}`);
    const reading = this.#body?.readable === true;
    this.#body?.abandon(failure);
    if (!reading) this.core.fail(failure);
    return true;
  }

  /** The response is out: an unread body is read and dropped to keep the connection. */
  responseFinished(): void {
    this.#sendWaitingSince = 0;
    if (this.#requestDone) return;
    this.#body?.fail(
      new TypeError("the request body can no longer be read: the response was already sent"),
    );
    this.#drainBody();
  }

  // --- deadlines -------------------------------------------------------------

  /**
   * Applies `handlerTimeout`, `sendTimeout`, `bodyTimeout`, `minBodyRate`
   * and the linger after our FIN; called by the server's sweep.
   *
   * @param now The time in milliseconds.
   * @returns Whether the exchange still has a deadline to watch.
   */
  checkDeadlines(now: number): boolean {
    const outgoing = this.#outgoing;
    const socket = this.#incoming.socket;
    if (this.#lingerUntil !== 0) {
      if (now < this.#lingerUntil && !socket.destroyed) return true;
      socket.destroy();
      return false;
    }
    // A finished response counts as destroyed once closed; an unread body may still drain.
    if (socket.destroyed || (outgoing.destroyed && !outgoing.writableFinished)) return false;
    const limits = this.#host.limits;
    this.core.checkHandlerDeadline(now);
    if (this.#sendWaitingSince !== 0 && now - this.#sendProgressAt > limits.sendTimeout) {
      this.core.abort(
        new DOMException(`the client took no data for ${limits.sendTimeout} ms`, "TimeoutError"),
      );
      socket.destroy();
      return false;
    }
    const why = this.#body?.verdict(now, limits);
    if (why !== undefined) this.#bodyTimedOut(why);
    return this.hasDeadline;
  }

  /** Whether a deadline is left to check: the exchange is not over, or lingers. */
  get hasDeadline(): boolean {
    if (this.#lingerUntil !== 0) return !this.#incoming.socket.destroyed;
    return !(this.#outgoing.writableFinished && this.#requestDone) ||
      this.#sendWaitingSince !== 0;
  }

  /** The client stopped sending a body the server waits for, or sends it too slowly. */
  #bodyTimedOut(why: string): void {
    const error = new DOMException(`the request body ${why}`, "TimeoutError");
    this.#body?.abandon(error);
    const outgoing = this.#outgoing;
    const draining = outgoing.writableFinished;
    const answerable = this.core.answerable && !outgoing.headersSent;
    this.core.abort(error);
    // RFC 9110 section 15.5.9: the client was too slow to send its request.
    if (answerable) this.core.answer(408, false);
    else if (draining) this.#closeSocket();
    else outgoing.destroy();
  }

  /** Ends our side; the client gets `LINGER_MS` to close its side before the socket is destroyed. */
  #closeSocket(): void {
    const socket = this.#incoming.socket;
    if (this.#lingerUntil !== 0 || socket.destroyed) return;
    this.#lingerUntil = Date.now() + LINGER_MS;
    socket.end();
  }

  // --- ResponseChannel -------------------------------------------------------

  get open(): boolean {
    return !this.#outgoing.destroyed;
  }

  get interimRefusal(): InformationalResult | undefined {
    const incoming = this.#incoming;
    // RFC 9110 section 15.2: no 1xx to an HTTP/1.0 client.
    return incoming.httpVersionMajor === 1 && incoming.httpVersionMinor === 0 ? HTTP10 : undefined;
  }

  informational(status: number, fields: HeaderList, _flush: boolean): InformationalResult {
    // node:http writes it at once: `flush` changes nothing here. A bare 100
    // goes through writeContinue, so node:http knows the body was invited.
    if (status === 100 && fields.length === 0 && !this.#outgoing.headersSent) {
      this.#outgoing.writeContinue();
      return SENT;
    }
    return writeInterimToServerResponse(this.#outgoing, this.#incoming, status, fields);
  }

  finalPending(): void {}

  complete(head: FinalHead, body: CompleteBody | undefined, size: number | undefined): void {
    const outgoing = this.#outgoing;
    const fields = head.fields;
    const status = head.status;
    if (status !== 204 && status !== 304) {
      if (head.declaredLength >= 0 && this.#incoming.method === "HEAD") {
        fields.push(["content-length", String(head.declaredLength)]);
      } else if (size !== undefined) fields.push(["content-length", String(size)]);
    } else if (status === 304 && head.declaredLength >= 0) {
      fields.push(["content-length", String(head.declaredLength)]);
    }
    this.#keepAliveRule();
    outgoing.writeHead(status, head.reason, fields);
    if (body === undefined) this.#end();
    else if (typeof body === "string") this.#end(body);
    else if (body.length === 1 && body[0]!.byteLength <= SEND_SLICE) this.#end(body[0]);
    else void this.#pump(body);
  }

  /**
   * Writes a large body known in full a slice at a time, the next once the
   * socket takes it: Node reports a batch of queued writes done only once
   * all of it is out, so `sendTimeout` would see no progress for a slow
   * reader of a body queued at once.
   */
  async #pump(body: readonly Uint8Array[]): Promise<void> {
    const outgoing = this.#outgoing;
    for (const chunk of body) {
      for (let at = 0; at < chunk.byteLength; at += SEND_SLICE) {
        if (outgoing.destroyed) return;
        if (!this.write(chunk.subarray(at, at + SEND_SLICE))) await this.drained();
      }
    }
    if (!outgoing.destroyed) this.#end();
  }

  start(head: FinalHead, first: readonly Uint8Array[]): void {
    const fields = head.fields;
    if (head.declaredLength >= 0) fields.push(["content-length", String(head.declaredLength)]);
    this.#keepAliveRule();
    this.#outgoing.writeHead(head.status, head.reason, fields);
    for (let i = 0; i < first.length; i++) this.write(first[i]!);
  }

  write(chunk: Uint8Array): boolean {
    const outgoing = this.#outgoing;
    let more = true;
    for (let at = 0; at < chunk.byteLength; at += SEND_SLICE) {
      const slice = chunk.byteLength <= SEND_SLICE ? chunk : chunk.subarray(at, at + SEND_SLICE);
      more = outgoing.write(slice, this.#sendProgress);
    }
    if (!more) this.#sendWaits();
    return more;
  }

  drained(): Promise<void> {
    return drainOrClose(this.#outgoing).then(() => {
      this.#sendWaitingSince = 0;
    });
  }

  end(): void {
    this.#end();
  }

  answer(status: number, keepAlive: boolean): void {
    const outgoing = this.#outgoing;
    if (!keepAlive) outgoing.shouldKeepAlive = false;
    else this.#keepAliveRule();
    const text = `${status}\n`;
    const fields: [string, string][] = [
      ["content-type", "text/plain; charset=utf-8"],
      ["content-length", String(text.length)],
    ];
    if (!keepAlive) {
      fields.push(["connection", "close"]);
      // Staged close: the client gets LINGER_MS to read the answer and close.
      outgoing.once("finish", () => this.#closeSocket());
    }
    outgoing.writeHead(status, undefined, fields);
    this.#end(this.#incoming.method === "HEAD" ? undefined : text);
  }

  destroy(): void {
    this.#outgoing.destroy();
  }

  /** Closes after this response when the server drains or an owed 100 left the body in doubt. */
  #keepAliveRule(): void {
    if (
      this.#host.draining || this.#lastOnConnection ||
      (!this.core.continueSettled && !this.#incoming.complete)
    ) {
      this.#outgoing.shouldKeepAlive = false;
    }
  }

  /** Ends the response; until "finish" the rest waits for the peer (`sendTimeout`). */
  #end(chunk?: Uint8Array | string): void {
    this.#sendWaits();
    if (chunk === undefined) this.#outgoing.end();
    else this.#outgoing.end(chunk);
  }

  #sendWaits(): void {
    if (this.#sendWaitingSince !== 0) return;
    this.#sendWaitingSince = Date.now();
    this.#sendProgressAt = this.#sendWaitingSince;
  }

  /** A write completed: the peer took data. */
  #sendProgress = (): void => {
    this.#sendProgressAt = Date.now();
  };
}
