/**
 * The exchange core: one request/response exchange, the same for every
 * transport (the HTTP/1.1 engine on raw sockets, `node:http`). It runs the
 * handler, bounds and orders interim responses, turns the handler's
 * `Response` into a head and a body, and streams the body with
 * backpressure; a {@linkcode ResponseChannel} puts each piece on the wire in
 * its protocol's form. This module is browser compatible.
 *
 * One state decides what may be sent now (h11's `_state.py` is the model):
 *
 * ```text
 * handling --respond--> preparing --head out--> sending --end--> done
 *    |                     |  \------complete------------------> done
 *    |                     +--fail/answer (nothing written yet)-> done
 *    +--answer/fail-----------------------------------------------> done
 *    +--handler timeout (503)--------------------------------------> superseded
 * preparing | sending --body error, peer gone-------------------> broken
 * ```
 *
 * Interim responses go out only in `handling`. The peer's side is one more
 * fact, `request.signal`: a client that left aborts the handler's request,
 * while whatever was sent stays as it is.
 *
 * @module
 */

import { Http1Error } from "../http1/errors.ts";
import { utf8Length } from "../http1/serialize.ts";
import type { HeaderList } from "../http1/types.ts";
import { staticBodySource } from "../runtime/response_body_source.ts";
import type { SocketAddress } from "../runtime/types.ts";
import { HandlerInfo } from "./handler_info.ts";
import {
  CLOSED,
  FINAL_RESPONSE_STARTED,
  FINISHED,
  POLICY,
  refuseOverBounds,
} from "./informational_results.ts";
import type { InterimTarget } from "./interim_target.ts";
import { checkChunk, readReadyChunks } from "./ready_chunks.ts";
import { buildRequest, type ServerRequest } from "./request_factory.ts";
import type { CompleteBody, FinalHead, ResponseChannel } from "./response_channel.ts";
import { responseFields } from "./response_fields.ts";
import { encodeShared } from "./shared_encoding.ts";
import type { HintPolicy, InformationalResult, ServeHandler, ServeLimits } from "./types.ts";

/** Where an exchange is (see the module's diagram). */
export type ExchangeState =
  /** The handler runs: interim responses may go out. */
  | "handling"
  /** The handler's Response is being turned into a head; nothing final is written yet. */
  | "preparing"
  /** The final head is out; the body streams. */
  | "sending"
  /** A final response (the handler's or the server's) was written in full. */
  | "done"
  /** The server answered in the handler's place (`handlerTimeout`); the handler's response is dropped. */
  | "superseded"
  /** The response could not be finished (body error, peer gone): the connection closes. */
  | "broken";

/** What an exchange needs from its server. */
export interface ExchangeHost {
  /** The server's limits (interim bounds, `handlerTimeout`). */
  readonly limits: Readonly<ServeLimits>;
  /** The server's `hintPolicy`, if any. */
  readonly hintPolicy: HintPolicy | undefined;
  /** Reports a handler failure (`onError`). */
  reportError(error: unknown, request: Request): void;
}

/** The request facts the core needs, whatever parsed it. */
export interface ExchangeRequest {
  /** The method as `Request.method` gives it. */
  readonly method: string;
  /** The request asked for `100 Continue` before sending its body. */
  readonly expectContinue: boolean;
  /** The peer's address. */
  readonly remoteAddr: SocketAddress;
}

// Bodies up to this size that are ready at once are sent with
// Content-Length, in the same write as the head.
const READY_BODY_LIMIT = 64 * 1024;

/**
 * The state of one request being served.
 */
export class Exchange implements InterimTarget {
  /** See {@linkcode InterimTarget.fieldLines}. */
  fieldLines: Map<string, string[]> | undefined;
  /** See {@linkcode InterimTarget.learnedLinks}. */
  learnedLinks: Set<string> | undefined;
  readonly #channel: ResponseChannel;
  readonly #host: ExchangeHost;
  readonly #method: string;
  readonly #info: HandlerInfo;
  #state: ExchangeState = "handling";
  #request: ServerRequest | undefined;
  /** The client left, or the server closed the connection: `request.signal` is aborted. */
  #peerGone = false;
  /** A `100 Continue` is still owed when the handler reads the body. */
  #continueOwed: boolean;
  /** Interim responses sent for this request, bounded by `limits.maxInformational`. */
  #interimCount = 0;
  /** The hint policy's answer for this request, once asked. */
  #hintsAllowed: boolean | undefined;
  /** When the handler must have returned (`limits.handlerTimeout`); 0 when not counting. */
  #handlerDeadline = 0;
  #reader: ReadableStreamDefaultReader<Uint8Array> | undefined;

  /**
   * Creates the exchange for a parsed request.
   *
   * @param channel Where its response goes.
   * @param host The server.
   * @param request The request's facts.
   */
  constructor(channel: ResponseChannel, host: ExchangeHost, request: ExchangeRequest) {
    this.#channel = channel;
    this.#host = host;
    this.#method = request.method;
    this.#continueOwed = request.expectContinue;
    this.#info = new HandlerInfo(request.remoteAddr);
  }

  /** Where the exchange is. */
  get state(): ExchangeState {
    return this.#state;
  }

  /** Whether an answer in the handler's place is still possible (nothing final written). */
  get answerable(): boolean {
    return this.#state === "handling" || this.#state === "preparing";
  }

  /** Whether the response is over on our side: written in full, or given up. */
  get finished(): boolean {
    return this.#state === "done" || this.#state === "superseded" || this.#state === "broken";
  }

  /** Whether a `100 Continue` went out (or none was asked for). */
  get continueSettled(): boolean {
    return !this.#continueOwed;
  }

  /** The handler's request, once built. */
  get request(): Request | undefined {
    return this.#request as Request | undefined;
  }

  /**
   * Builds the handler's `Request`.
   *
   * @param url The absolute URL.
   * @param fields The request's fields.
   * @param body The body stream, or `undefined`.
   * @returns The request.
   * @throws {TypeError} When the runtime refuses the method, URL or a field.
   */
  createRequest(
    url: string,
    fields: HeaderList,
    body: ReadableStream<Uint8Array> | undefined,
  ): Request {
    const request = buildRequest(url, this.#method, fields, body, this);
    this.#request = request;
    return request as unknown as Request;
  }

  /**
   * Calls the handler and writes what it returns.
   *
   * @param handler The user's handler.
   */
  run(handler: ServeHandler): void {
    let result: Response | Promise<Response>;
    try {
      result = handler(this.#request as unknown as Request, this.#info);
    } catch (error) {
      this.fail(error);
      return;
    }
    // A synchronous handler is answered without a promise hop.
    if (result instanceof Response) this.respond(result);
    else {
      const timeout = this.#host.limits.handlerTimeout;
      if (Number.isFinite(timeout)) this.#handlerDeadline = Date.now() + timeout;
      Promise.resolve(result).then(
        (response) => this.respond(response),
        (error) => this.fail(error),
      );
    }
  }

  /**
   * Sends an interim response (see `sendInformational`).
   *
   * @param status 100-199 except 101.
   * @param headers Validated fields.
   * @param flush Write it (and any queued before it) now.
   * @returns Whether it was sent, and why not. Neither timing nor volume throws.
   */
  writeInformational(status: number, headers: HeaderList, flush = false): InformationalResult {
    const late = this.#lateResult();
    if (late !== undefined) return late;
    if (status !== 100 && !this.#policyAllowsHints()) return POLICY;
    const refused = refuseOverBounds(this.#interimCount, status, headers, this.#host.limits);
    if (refused !== undefined) return refused;
    const result = this.#channel.informational(status, headers, flush);
    if (result.sent) {
      this.#interimCount++;
      if (status === 100) this.#continueOwed = false;
    }
    return result;
  }

  /** Asks the server's hint policy once; a throw reaches the sender and is asked again next time. */
  #policyAllowsHints(): boolean {
    if (this.#hintsAllowed !== undefined) return this.#hintsAllowed;
    const policy = this.#host.hintPolicy;
    if (policy === undefined || this.#request === undefined) return true;
    this.#hintsAllowed = policy(this.#request as unknown as Request) === true;
    return this.#hintsAllowed;
  }

  /** Why no interim response can go out now, or `undefined` when one can. */
  #lateResult(): InformationalResult | undefined {
    switch (this.#state) {
      case "handling":
        return this.#peerGone || !this.#channel.open ? CLOSED : this.#channel.interimRefusal;
      case "preparing":
      case "sending":
        return this.#peerGone || !this.#channel.open ? CLOSED : FINAL_RESPONSE_STARTED;
      case "done":
        return FINISHED;
      case "superseded":
      case "broken":
        return CLOSED;
    }
  }

  /**
   * The handler reads the request body: send the `100 Continue` it waits
   * for (RFC 9110 section 10.1.1). It goes out even past
   * `maxInformational`, but counts toward it; once the final head is out
   * it is too late and the connection will close instead.
   */
  bodyWanted(): void {
    if (!this.#continueOwed || !this.answerable || !this.#channel.open) return;
    this.#continueOwed = false;
    this.#interimCount++;
    // While preparing, the final response reads the body itself
    // (`new Response(request.body)`): its head takes the 100 along.
    this.#channel.informational(100, [], this.#state === "handling");
  }

  /**
   * Applies `limits.handlerTimeout`, called by the server's sweep: a
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
    if (this.#state !== "handling" || this.#peerGone) return;
    const timeout = this.#host.limits.handlerTimeout;
    const reason = new DOMException(
      `the handler did not return a response within limits.handlerTimeout (${timeout} ms)`,
      "TimeoutError",
    );
    this.#host.reportError(reason, this.#request as unknown as Request);
    this.#request?.abortWith(reason);
    // RFC 9110 section 15.6.4: the server cannot handle the request now.
    this.#state = "superseded";
    this.#channel.answer(503, false);
    this.#info.finish();
  }

  /**
   * The peer is gone or the server closes: aborts `request.signal` and
   * stops reading the response body.
   *
   * @param reason The abort reason.
   */
  abort(reason: unknown): void {
    if (this.#peerGone) return;
    this.#peerGone = true;
    this.#handlerDeadline = 0;
    this.#request?.abortWith(reason);
    this.#reader?.cancel(reason).catch(() => {});
    this.#info.finish();
  }

  /**
   * Answers with the handler's failure: the status of an `Http1Error` raised
   * by the request body (413 ...), else 500 (and `onError`).
   *
   * @param error What the handler threw.
   */
  fail(error: unknown): void {
    if (!this.answerable) return;
    if (error instanceof Http1Error && error.code !== "LOCAL_PROTOCOL_ERROR") {
      // The request (its body) was malformed or too large: answer its status.
      this.answer(error.status, false);
      return;
    }
    if (!this.#peerGone) this.#host.reportError(error, this.#request as unknown as Request);
    this.answer(500, true);
  }

  /**
   * Answers with a small plain-text response for an error status in the
   * handler's place (a bad request, a slow body, a failure).
   *
   * @param status The status.
   * @param keepAlive Whether the connection may go on afterwards.
   */
  answer(status: number, keepAlive: boolean): void {
    if (!this.answerable) return;
    this.#handlerDeadline = 0;
    this.#reader?.cancel().catch(() => {});
    this.#reader = undefined;
    this.#state = "done";
    this.#channel.answer(status, keepAlive);
    this.#info.finish();
  }

  /**
   * Writes the handler's final response.
   *
   * @param response What the handler returned.
   */
  respond(response: unknown): void {
    if (this.#state !== "handling") {
      if (response instanceof Response) response.body?.cancel().catch(() => {});
      return;
    }
    this.#handlerDeadline = 0;
    if (!(response instanceof Response)) {
      const got = response === null ? "null" : typeof response;
      this.fail(new TypeError(`the handler must return a Response, got ${got}`));
      return;
    }
    // A string or bytes body, read without its stream where the runtime
    // allows. Before `response.headers`: reading those makes Deno turn its
    // lazy static body into a stream, and the shortcut is gone.
    let source = staticBodySource(response);
    let head: FinalHead;
    try {
      const { fields, declaredLength, hasDate } = responseFields(response.headers, this.fieldLines);
      head = {
        status: response.status,
        reason: response.statusText || undefined,
        fields,
        declaredLength,
        hasDate,
      };
    } catch (error) {
      this.fail(error);
      return;
    }
    this.#state = "preparing";
    const isHead = this.#method === "HEAD";
    if (typeof source === "string") {
      if (source.length <= READY_BODY_LIMIT) {
        // The usual small text response: head and body encoded in one pass.
        this.#complete(head, isHead ? undefined : source, utf8Length(source));
        return;
      }
      // A large text, often a constant: the responses sending it at the
      // same time share one encoding, not a copy per slow reader.
      source = encodeShared(source);
    }
    if (source !== undefined) {
      this.#complete(head, isHead ? undefined : [source], source.byteLength);
      return;
    }
    const body = response.body;
    // RFC 9110 sections 15.3.5 and 15.4.5: 204 and 304 never have content.
    if (body === null || head.status === 204 || head.status === 304) {
      body?.cancel().catch(() => {});
      this.#complete(head, undefined, 0);
      return;
    }
    this.#channel.finalPending();
    this.#stream(head, body, isHead).catch((error) => {
      if (this.#state === "preparing") {
        this.fail(error);
        return;
      }
      // The head is out: the only honest signal left is closing the connection.
      this.#host.reportError(error, this.#request as unknown as Request);
      this.#broken();
    });
  }

  /** Writes a response whose body is all here; an unencodable head becomes a 500. */
  #complete(head: FinalHead, body: CompleteBody | undefined, size: number | undefined): void {
    try {
      this.#channel.complete(head, body, size);
    } catch (error) {
      // A header value the runtime's Headers accepted but the protocol cannot carry.
      this.fail(error);
      return;
    }
    this.#state = "done";
    this.#info.finish();
  }

  async #stream(head: FinalHead, body: ReadableStream<Uint8Array>, isHead: boolean): Promise<void> {
    const reader = body.getReader();
    this.#reader = reader;
    const ready = await readReadyChunks(reader, READY_BODY_LIMIT);
    if (this.#state !== "preparing") {
      // Answered meanwhile (a slow request body's 408).
      reader.cancel().catch(() => {});
      return;
    }
    if (!this.#channel.open) {
      reader.cancel().catch(() => {});
      this.#broken();
      return;
    }
    if (ready.done) {
      this.#reader = undefined;
      this.#complete(head, isHead ? undefined : ready.chunks, ready.size);
      return;
    }
    if (isHead) {
      reader.cancel().catch(() => {});
      this.#reader = undefined;
      this.#complete(head, undefined, undefined);
      return;
    }
    try {
      this.#channel.start(head, ready.chunks);
    } catch (error) {
      reader.cancel().catch(() => {});
      this.#reader = undefined;
      this.fail(error);
      return;
    }
    this.#state = "sending";
    const declared = head.declaredLength;
    const channel = this.#channel;
    let written = ready.size;
    let pending = ready.pending;
    for (;;) {
      if (!channel.open) {
        reader.cancel().catch(() => {});
        this.#broken();
        return;
      }
      const result = await (pending ?? reader.read());
      pending = undefined;
      if (result.done) break;
      const chunk = checkChunk(result.value);
      if (chunk.byteLength === 0) continue;
      written += chunk.byteLength;
      if (declared >= 0 && written > declared) {
        throw new TypeError(
          `response body is longer than its content-length of ${declared} bytes`,
        );
      }
      if (!channel.write(chunk)) await channel.drained();
    }
    this.#reader = undefined;
    if (!channel.open) {
      this.#broken();
      return;
    }
    if (declared >= 0 && written !== declared) {
      throw new TypeError(
        `response body has ${written} bytes but its content-length says ${declared}`,
      );
    }
    channel.end();
    this.#state = "done";
    this.#info.finish();
  }

  /** The response cannot be finished: the connection closes. */
  #broken(): void {
    if (this.finished) return;
    this.#state = "broken";
    this.#reader = undefined;
    this.#channel.destroy();
    this.#info.finish();
  }
}
