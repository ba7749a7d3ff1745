/**
 * One request/response exchange on a connection: the `Request` given to the
 * handler, its body, interim responses, and the writing of the final
 * response (head and body in one write when the body is ready, chunked with
 * backpressure when it streams). This module is browser compatible.
 *
 * @module
 */

import { Http1Error } from "../http1/errors.ts";
import {
  encodeChunk,
  encodeInformational,
  encodeResponseHead,
  LAST_CHUNK,
  serializeInformational,
  serializeResponse,
  toBytes,
  utf8Length,
} from "../http1/serialize.ts";
import type { HeaderList, RequestHead } from "../http1/types.ts";
import type { Socket, SocketAddress } from "../runtime/types.ts";
import { httpDate } from "./date.ts";
import { IncomingRequest } from "./incoming_request.ts";
import { LazyRequest, lazyRequestsWork } from "./lazy_request.ts";
import type { InterimTarget } from "./interim_target.ts";
import { checkChunk, readReadyChunks } from "./ready_chunks.ts";
import { RequestBody } from "./request_body.ts";
import { responseFields } from "./response_fields.ts";
import { staticBodySource } from "./static_body.ts";
import { encodeShared } from "./shared_encoding.ts";
import {
  CLOSED,
  FINAL_RESPONSE_STARTED,
  FINISHED,
  HTTP10,
  refuseOverBounds,
  SENT,
} from "./informational_results.ts";
import type { InformationalResult, ServeHandlerInfo, ServeLimits } from "./types.ts";
import { concatBytes } from "../http1/_bytes.ts";

/** What an exchange needs from its connection. */
export interface ExchangeHost {
  /** The connection's socket. */
  readonly socket: Socket;
  /** Whether the connection must close after this exchange (server draining, request limit, EOF). */
  readonly closing: boolean;
  /** The server's limits (the exchange applies the interim-response bounds). */
  readonly limits: Readonly<ServeLimits>;
  /** The handler waits for body bytes. */
  bodyPulled(exchange: Exchange): void;
  /** The final response is written (or abandoned); `keepAlive` says whether the connection may go on. */
  responseDone(exchange: Exchange, keepAlive: boolean): void;
  /** Reports a handler failure. */
  reportError(error: unknown, request: Request): void;
}

const CONTINUE_100 = encodeInformational(100, []);

// Bodies up to this size that are ready at once are sent with
// Content-Length, in the same write as the head.
const READY_BODY_LIMIT = 64 * 1024;

/**
 * The handler's view of the connection, with `completed` created only when read.
 */
class HandlerInfo implements ServeHandlerInfo {
  readonly remoteAddr: SocketAddress;
  #completed: Promise<void> | undefined;
  #resolve: (() => void) | undefined;
  #done = false;

  constructor(remoteAddr: SocketAddress) {
    this.remoteAddr = remoteAddr;
  }

  get completed(): Promise<void> {
    if (this.#completed === undefined) {
      if (this.#done) this.#completed = Promise.resolve();
      else this.#completed = new Promise((resolve) => (this.#resolve = resolve));
    }
    return this.#completed;
  }

  finish(): void {
    this.#done = true;
    this.#resolve?.();
  }
}

/**
 * The state of one request being served.
 */
export class Exchange implements InterimTarget {
  /** The parsed request head. */
  readonly head: RequestHead;
  /** The method as `Request.method` gives it (Fetch normalises case for GET, POST ...). */
  readonly method: string;
  /** The request body, or `undefined` when the request has none (or it is not exposed). */
  readonly body: RequestBody | undefined;
  /** See {@linkcode InterimTarget.fieldLines}. */
  fieldLines: Map<string, string[]> | undefined;
  /** Set by the connection once the parser emitted this request's `end`. */
  requestComplete = false;
  readonly #host: ExchangeHost;
  readonly #info: HandlerInfo;
  #request: IncomingRequest | LazyRequest | undefined;
  #aborted = false;
  #finalStarted = false;
  /** Whether the final head has been handed to the socket. */
  #headWritten = false;
  /** Whether the whole final response has been handed to the socket. */
  #responseWritten = false;
  #continueSent = false;
  /** Interim responses sent for this request, bounded by `limits.maxInformational`. */
  #interimCount = 0;
  /** When the handler must have returned (`limits.handlerTimeout`); 0 for a sync handler or once checked. */
  #handlerDeadline = 0;
  /** The handler ran past `limits.handlerTimeout` and the client got a 503 instead. */
  #handlerTimedOut = false;
  #done = false;
  // Interim responses handed to the socket in order but not yet written:
  // they go out in a microtask, or with the final head if that comes first.
  #pendingInterim: Wire[] | undefined;
  #reader: ReadableStreamDefaultReader<Uint8Array> | undefined;

  /**
   * Creates the exchange for a parsed request head.
   *
   * @param host The connection.
   * @param head The request head.
   * @param remoteAddr The peer's address, for the handler's `info`.
   */
  constructor(host: ExchangeHost, head: RequestHead, method: string, remoteAddr: SocketAddress) {
    this.#host = host;
    this.head = head;
    this.method = method;
    this.#info = new HandlerInfo(remoteAddr);
    // A Fetch Request with method GET or HEAD cannot carry a body.
    const hasBody = head.framing !== "none" && method !== "GET" && method !== "HEAD";
    this.body = hasBody
      ? new RequestBody({
        onPull: (first) => this.#onPull(first),
        onCancel: () => this.#host.bodyPulled(this),
      })
      : undefined;
  }

  /** Whether the final response has begun (interim responses are no longer possible). */
  get finalStarted(): boolean {
    return this.#finalStarted;
  }

  /** Whether the exchange is over on our side. */
  get done(): boolean {
    return this.#done;
  }

  /**
   * Builds the `Request` for the handler: a {@linkcode LazyRequest} where
   * the runtime allows it, else an {@linkcode IncomingRequest}.
   *
   * @param url The absolute URL, as `Request.url` serialises it.
   * @returns The request, also kept by the exchange.
   * @throws {TypeError} When the runtime refuses the method, URL or a header.
   */
  createRequest(url: string): Request {
    const head = this.head;
    const method = this.method;
    const body = this.body?.stream;
    if (lazyRequestsWork()) {
      const lazy = new LazyRequest(url, method, head.headers, body);
      lazy.interimTarget = this;
      this.#request = lazy;
      return lazy as unknown as Request;
    }
    if (body === undefined) {
      // Appending the fields to a Request made without them is the same
      // algorithm (same guard, same checks) as the constructor's `headers`
      // option, and cheaper on every runtime: measured 0.17 µs (Bun),
      // 0.22 µs (Deno) and 0.38 µs (Node) less per request.
      const request = method === "GET"
        ? new IncomingRequest(url)
        : new IncomingRequest(url, { method });
      const headers = request.headers;
      const fields = head.headers;
      for (let i = 0; i < fields.length; i++) {
        const [name, value] = fields[i]!;
        headers.append(name, value);
      }
      request.interimTarget = this;
      this.#request = request;
      return request;
    }
    const request = new IncomingRequest(url, {
      method,
      headers: head.headers,
      body,
      duplex: "half",
    } as RequestInit);
    request.interimTarget = this;
    this.#request = request;
    return request;
  }

  /**
   * Calls the handler and writes what it returns.
   *
   * @param handler The user's handler.
   */
  run(
    handler: (request: Request, info: ServeHandlerInfo) => Response | Promise<Response>,
  ): void {
    const request = this.#request as Request;
    let result: Response | Promise<Response>;
    try {
      result = handler(request, this.#info);
    } catch (error) {
      this.fail(error);
      return;
    }
    // A synchronous handler is answered without a promise hop.
    if (result instanceof Response) this.respond(result);
    else {
      this.#handlerDeadline = Date.now() + this.#host.limits.handlerTimeout;
      Promise.resolve(result).then(
        (response) => this.respond(response),
        (error) => this.fail(error),
      );
    }
  }

  /**
   * Writes an interim response (see `sendInformational`).
   *
   * @param status 100-199 except 101.
   * @param headers Validated fields.
   * @param flush Write it (and any queued before it) now.
   * @returns Whether it was sent, and why not: too late (the final response
   * has begun or is sent: a timer still firing, say), the connection closed,
   * an HTTP/1.0 client, or over the request's bounds (`limits.maxInformational`,
   * `limits.maxInformationalBytes`). Neither timing nor volume throws.
   */
  writeInformational(status: number, headers: HeaderList, flush = false): InformationalResult {
    const socket = this.#host.socket;
    // A handler past its deadline was answered for (503, then close): its
    // response will never be sent, which is "closed", not "finished".
    if (this.#handlerTimedOut) return CLOSED;
    // Sent in full comes first: a response followed by Connection: close
    // was finished, not cut off.
    if (this.#responseWritten) return FINISHED;
    if (this.#aborted || this.#done || socket.closed) return CLOSED;
    if (this.#finalStarted) return FINAL_RESPONSE_STARTED;
    if (this.head.minorVersion === 0) return HTTP10;
    const refused = refuseOverBounds(this.#interimCount, status, headers, this.#host.limits);
    if (refused !== undefined) return refused;
    this.#interimCount++;
    if (status === 100) this.#continueSent = true;
    const wire = serializeInformational(status, headers);
    if (flush) {
      const parts = this.#takeInterim();
      parts.push(wire);
      socket.write(join(parts));
      return SENT;
    }
    // A final response written in the same turn (a synchronous handler)
    // takes the interim bytes along in its write: one system call less. The
    // microtask still sends them before the handler waits on anything.
    const pending = this.#pendingInterim;
    if (pending === undefined) {
      this.#pendingInterim = [wire];
      queueMicrotask(() => this.#flushInterim());
    } else pending.push(wire);
    return SENT;
  }

  /**
   * Applies `limits.handlerTimeout`, called by the connection's sweep: a
   * handler still without a final response past its deadline gets its
   * `request.signal` aborted and the client a 503 with `Connection: close`
   * (its response, should it come later, is dropped).
   *
   * @param now The current time in milliseconds.
   */
  checkHandlerDeadline(now: number): void {
    const deadline = this.#handlerDeadline;
    if (deadline === 0 || now < deadline) return;
    this.#handlerDeadline = 0;
    if (this.#finalStarted || this.#done || this.#aborted) return;
    const timeout = this.#host.limits.handlerTimeout;
    const reason = new DOMException(
      `the handler did not return a response within limits.handlerTimeout (${timeout} ms)`,
      "TimeoutError",
    );
    this.#handlerTimedOut = true;
    this.#host.reportError(reason, this.#request as Request);
    this.#request?.abortWith(reason);
    // RFC 9110 section 15.6.4: the server cannot handle the request now.
    this.#writeStatus(503, false);
  }

  /**
   * Aborts `request.signal` (client gone, server closing) and stops writing.
   *
   * @param reason The abort reason.
   */
  abort(reason: unknown): void {
    this.#aborted = true;
    this.#info.finish();
    this.#request?.abortWith(reason);
    this.body?.error(reason);
    this.#reader?.cancel(reason).catch(() => {});
  }

  /**
   * Answers with the handler's failure: the status of an `Http1Error` raised
   * by the request body (413 ...), else 500.
   *
   * @param error What the handler threw.
   */
  fail(error: unknown): void {
    if (this.#finalStarted || this.#done) return;
    if (error instanceof Http1Error && error.code !== "LOCAL_PROTOCOL_ERROR") {
      // The request (its body) was malformed or too large: answer its status.
      this.#writeStatus(error.status, false);
      return;
    }
    if (!this.#aborted) this.#host.reportError(error, this.#request as Request);
    this.#writeStatus(500, true);
  }

  /**
   * Answers with a small plain-text response for an error status, without
   * calling the handler.
   *
   * @param status The status.
   * @param keepAlive Whether the connection may go on afterwards.
   */
  answerStatus(status: number, keepAlive: boolean): void {
    if (this.#finalStarted || this.#done) return;
    this.#writeStatus(status, keepAlive);
  }

  #writeStatus(status: number, keepAlive: boolean): void {
    this.#finalStarted = true;
    const alive = keepAlive && this.#keepAliveAllowed();
    const text = `${status}\n`;
    const fields: HeaderList = [
      ["content-type", "text/plain; charset=utf-8"],
      ["content-length", String(text.length)],
      ["date", httpDate()],
    ];
    this.#addConnectionField(fields, alive);
    const parts = this.#takeInterim();
    parts.push(
      serializeResponse(status, undefined, fields, this.head.method === "HEAD" ? "" : text),
    );
    this.#headWritten = true;
    this.#host.socket.write(join(parts));
    this.#finishSent(alive);
  }

  /**
   * Writes the handler's final response.
   *
   * @param response What the handler returned.
   */
  respond(response: unknown): void {
    if (this.#finalStarted || this.#done) {
      if (response instanceof Response) response.body?.cancel().catch(() => {});
      return;
    }
    if (!(response instanceof Response)) {
      this.fail(
        new TypeError(
          `the handler must return a Response, got ${response === null ? "null" : typeof response}`,
        ),
      );
      return;
    }
    this.#finalStarted = true;
    // A string or bytes body, read without its stream where the runtime
    // allows. Before `response.headers`: reading those makes Deno turn its
    // lazy static body into a stream, and the shortcut is gone.
    let source = staticBodySource(response);
    let head: ReturnType<typeof responseFields>;
    try {
      head = responseFields(response.headers, this.fieldLines);
    } catch (error) {
      this.#finalStarted = false;
      this.fail(error);
      return;
    }
    const { fields, declaredLength, hasDate } = head;
    if (!hasDate) fields.push(["date", httpDate()]);
    const status = response.status;
    const reason = response.statusText || undefined;
    const isHead = this.head.method === "HEAD";
    if (typeof source === "string") {
      if (source.length <= READY_BODY_LIMIT) {
        // The usual small text response: head and body encoded in one pass.
        const length = framedLength(isHead, declaredLength, utf8Length(source));
        this.#writeComplete(status, reason, fields, length, isHead ? "" : source, 0);
        return;
      }
      // A large text, often a constant: the responses sending it at the
      // same time share one encoding, not a copy per slow reader.
      source = encodeShared(source);
    }
    if (source !== undefined) {
      const size = source.byteLength;
      const length = framedLength(isHead, declaredLength, size);
      this.#writeComplete(status, reason, fields, length, isHead ? undefined : [source], size);
      return;
    }
    const body = response.body;
    // RFC 9110 sections 15.3.5 and 15.4.5: 204 and 304 never have content.
    if (body === null || status === 204 || status === 304) {
      body?.cancel().catch(() => {});
      // A 304 repeats the length it stands for; a 204 states none.
      const length = status === 304
        ? (declaredLength >= 0 ? declaredLength : undefined)
        : status === 204
        ? undefined
        : framedLength(isHead, declaredLength, 0);
      this.#writeComplete(status, reason, fields, length, undefined, 0);
      return;
    }
    this.#writeBody(status, reason, fields, declaredLength, body, isHead).catch((error) => {
      // The head is out: the only honest signal left is closing the connection.
      this.#host.reportError(error, this.#request as Request);
      this.#host.socket.destroy();
      this.#finish(false);
    });
  }

  async #writeBody(
    status: number,
    reason: string | undefined,
    fields: HeaderList,
    declaredLength: number,
    body: ReadableStream<Uint8Array>,
    isHead: boolean,
  ): Promise<void> {
    const socket = this.#host.socket;
    let reader: ReadableStreamDefaultReader<Uint8Array>;
    try {
      reader = body.getReader();
    } catch (error) {
      // A body already read or locked: nothing is written yet, answer 500.
      this.#finalStarted = false;
      this.fail(error);
      return;
    }
    this.#reader = reader;
    let ready;
    try {
      ready = await readReadyChunks(reader, READY_BODY_LIMIT);
    } catch (error) {
      // Nothing is written yet: answer 500 instead.
      this.#finalStarted = false;
      this.#reader = undefined;
      this.fail(error);
      return;
    }
    if (socket.closed) {
      reader.cancel().catch(() => {});
      this.#finish(false);
      return;
    }
    if (ready.done) {
      const length = framedLength(isHead, declaredLength, ready.size);
      const chunks = isHead ? undefined : ready.chunks;
      this.#writeComplete(status, reason, fields, length, chunks, ready.size);
      return;
    }
    if (isHead) {
      reader.cancel().catch(() => {});
      const length = declaredLength >= 0 ? declaredLength : undefined;
      this.#writeComplete(status, reason, fields, length, undefined, 0);
      return;
    }
    // A streaming body: declared length, chunked (HTTP/1.1), or until close (HTTP/1.0).
    let chunked = false;
    let alive = this.#keepAliveAllowed();
    if (declaredLength >= 0) fields.push(["content-length", String(declaredLength)]);
    else if (this.head.minorVersion === 1) {
      chunked = true;
      fields.push(["transfer-encoding", "chunked"]);
    } else alive = false;
    this.#addConnectionField(fields, alive);
    let written = ready.size;
    const first = chunked ? ready.chunks.map(encodeChunk) : ready.chunks;
    const firstSize = first.reduce((sum, chunk) => sum + chunk.byteLength, 0);
    if (!this.#writeHead(status, reason, fields, first, firstSize)) return;
    let pending = ready.pending;
    for (;;) {
      if (socket.closed) {
        reader.cancel().catch(() => {});
        this.#finish(false);
        return;
      }
      const result = await (pending ?? reader.read());
      pending = undefined;
      if (result.done) break;
      const chunk = checkChunk(result.value);
      if (chunk.byteLength === 0) continue;
      written += chunk.byteLength;
      if (declaredLength >= 0 && written > declaredLength) {
        throw new TypeError(
          `response body is longer than its content-length of ${declaredLength} bytes`,
        );
      }
      if (!socket.write(chunked ? encodeChunk(chunk) : chunk)) await waitForDrain(socket);
    }
    if (this.#aborted || socket.closed) {
      this.#finish(false);
      return;
    }
    if (declaredLength >= 0 && written !== declaredLength) {
      throw new TypeError(
        `response body has ${written} bytes but its content-length says ${declaredLength}`,
      );
    }
    if (chunked) socket.write(LAST_CHUNK);
    else if (!alive) {
      // HTTP/1.0 close-delimited body: the end of the connection ends it.
      this.#finishSent(false);
      return;
    }
    this.#finishSent(alive);
  }

  /**
   * Writes a final response whose body is all here (or absent): framed by
   * `length` (no Content-Length when undefined), with the Connection field,
   * then ends the exchange.
   */
  #writeComplete(
    status: number,
    reason: string | undefined,
    fields: HeaderList,
    length: number | undefined,
    body: string | Uint8Array[] | undefined,
    size: number,
  ): void {
    if (length !== undefined) fields.push(["content-length", String(length)]);
    const alive = this.#keepAliveAllowed();
    this.#addConnectionField(fields, alive);
    const written = typeof body === "string"
      ? this.#writeText(status, reason, fields, body)
      : this.#writeHead(status, reason, fields, body, size);
    if (written) this.#finishSent(alive);
  }

  /**
   * Encodes and writes the head, with the body chunks in the same write.
   * Returns false (after answering 500) when the head cannot be encoded.
   */
  #writeHead(
    status: number,
    reason: string | undefined,
    fields: HeaderList,
    chunks: Uint8Array[] | undefined,
    size: number,
  ): boolean {
    let head: Uint8Array;
    try {
      head = encodeResponseHead(status, reason, fields);
    } catch (error) {
      // A header value the runtime's Headers accepted but HTTP/1.1 cannot carry.
      this.#finalStarted = false;
      this.#reader?.cancel().catch(() => {});
      this.fail(error);
      return false;
    }
    const socket = this.#host.socket;
    const parts = this.#takeInterim();
    parts.push(head);
    this.#headWritten = true;
    if (chunks === undefined || chunks.length === 0) socket.write(join(parts));
    else if (size <= READY_BODY_LIMIT) {
      for (let i = 0; i < chunks.length; i++) parts.push(chunks[i]!);
      socket.write(join(parts));
    } else {
      socket.write(join(parts));
      for (const chunk of chunks) socket.write(chunk);
    }
    return true;
  }

  /**
   * Encodes and writes the head and a text body in one write. Returns false
   * (after answering 500) when the head cannot be encoded.
   */
  #writeText(
    status: number,
    reason: string | undefined,
    fields: HeaderList,
    body: string,
  ): boolean {
    let wire: Wire;
    try {
      wire = serializeResponse(status, reason, fields, body);
    } catch (error) {
      // A header value the runtime's Headers accepted but HTTP/1.1 cannot carry.
      this.#finalStarted = false;
      this.fail(error);
      return false;
    }
    this.#headWritten = true;
    if (this.#pendingInterim === undefined) this.#host.socket.write(wire);
    else {
      const parts = this.#takeInterim();
      parts.push(wire);
      this.#host.socket.write(join(parts));
    }
    return true;
  }

  /** Takes the queued interim responses (a fresh array to append to). */
  #takeInterim(): Wire[] {
    const pending = this.#pendingInterim;
    this.#pendingInterim = undefined;
    return pending ?? [];
  }

  /** Writes the queued interim responses; dropped when the socket has closed. */
  #flushInterim(): void {
    const pending = this.#pendingInterim;
    if (pending === undefined) return;
    // The final response has begun and its head is only waiting for the
    // body's ready chunks, a few microtask turns at most (readReadyChunks):
    // the head's write takes the interim responses along. On Bun, where a
    // string body can only be read through its stream, that saves a write.
    if (this.#finalStarted) return;
    this.#pendingInterim = undefined;
    const socket = this.#host.socket;
    if (socket.closed) return;
    socket.write(pending.length === 1 ? pending[0]! : join(pending));
  }

  #addConnectionField(fields: HeaderList, alive: boolean): void {
    if (this.head.minorVersion === 1) {
      if (!alive) fields.push(["connection", "close"]);
    } else if (alive) fields.push(["connection", "keep-alive"]);
  }

  /** Whether the connection can carry another request after this response. */
  #keepAliveAllowed(): boolean {
    if (!this.head.keepAlive || this.#host.closing) return false;
    // RFC 9110 section 10.1.1: the client waits for 100 before sending the
    // body; without it the unread body is in doubt, so close.
    if (this.head.expectContinue && !this.#continueSent && !this.requestComplete) {
      return false;
    }
    return true;
  }

  #onPull(first: boolean): void {
    if (
      first && this.head.expectContinue && !this.#continueSent && !this.#headWritten &&
      this.head.minorVersion === 1
    ) {
      // RFC 9110 section 10.1.1: the body is wanted, so invite it. The
      // client waits for it, so it goes out even past maxInformational,
      // but counts toward it.
      this.#continueSent = true;
      this.#interimCount++;
      if (this.#finalStarted) {
        // The final response is reading it (`new Response(request.body)`):
        // its head, written within a few microtask turns, takes the 100 along.
        (this.#pendingInterim ??= []).push(CONTINUE_100);
      } else {
        // Interim responses queued earlier go first, in order.
        this.#flushInterim();
        this.#host.socket.write(CONTINUE_100);
      }
    }
    this.#host.bodyPulled(this);
  }

  /** Ends the exchange after the whole final response was handed to the socket. */
  #finishSent(keepAlive: boolean): void {
    this.#responseWritten = true;
    this.#finish(keepAlive);
  }

  #finish(keepAlive: boolean): void {
    if (this.#done) return;
    this.#done = true;
    this.#reader = undefined;
    this.#info.finish();
    this.#host.responseDone(this, keepAlive);
  }
}

/**
 * Waits until the socket's buffer is empty. When `drained()` settles at once
 * although the write was refused, the socket may be failing (a peer reset
 * that the adapter has not reported yet); yielding one macrotask lets its
 * close event arrive, instead of a read-write loop that never leaves the
 * microtask queue and starves the event loop (finding F3 on Node).
 */
async function waitForDrain(socket: Socket): Promise<void> {
  let settled = false;
  const drained = socket.drained().then(() => {
    settled = true;
  });
  await null;
  if (settled) await new Promise<void>((resolve) => setTimeout(resolve, 0));
  else await drained;
}

/**
 * The Content-Length of a complete body: a HEAD answer states the length the
 * handler declared for the GET it stands for, else the body's size.
 */
function framedLength(isHead: boolean, declaredLength: number, size: number): number {
  return isHead && declaredLength >= 0 ? declaredLength : size;
}

/** What goes to a socket: text (sent as UTF-8) or bytes. */
type Wire = string | Uint8Array;

/**
 * Joins `parts` for one write: text stays text (the socket encodes it, on
 * Node and Bun natively); with any bytes among them, one byte array. A
 * single part is returned as is.
 */
function join(parts: Wire[]): Wire {
  if (parts.length === 1) return parts[0]!;
  let text = "";
  let allText = true;
  for (let i = 0; i < parts.length; i++) {
    const part = parts[i]!;
    if (typeof part !== "string") {
      allText = false;
      break;
    }
    text += part;
  }
  if (allText) return text;
  return concatBytes(parts.map(toBytes));
}
