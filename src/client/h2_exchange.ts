/**
 * One request/response exchange on an HTTP/2 stream: the same `Exchange`
 * record and phases as over HTTP/1.1 (timers, abort, `onInformational`
 * holding further events while its promise is pending, the body stream with
 * backpressure and `bodyTimeout`), fed by stream events instead of a parser.
 *
 * @module
 */

import type { ResponseHead } from "../http1/types.ts";
import type { FieldPairs, H2ClientSession, H2Stream } from "../runtime/http2_client.ts";
import { onAbort } from "./abort.ts";
import { BodyTimeout } from "./body_timeout.ts";
import { FetchError } from "./errors.ts";
import { Exchange, type ExchangeRequest, type ExchangeResponse } from "./exchange.ts";
import {
  bodyTimeoutError,
  closedError,
  headersTimeoutError,
  requestBodyLockedError,
  requestBodyReadError,
  unsupportedStatusError,
} from "./exchange_errors.ts";
import { headHandedOver } from "./exchange_phase.ts";
import { Informational } from "./informational.ts";
import { chunkBytes, declaredLengthError } from "./request_body.ts";
import { BodySource } from "./response_body.ts";
import { startTimer } from "./timer.ts";

/** One stream event, queued while an `onInformational` promise holds the exchange. */
type StreamEvent =
  | { kind: "informational"; status: number; fields: FieldPairs }
  | { kind: "response"; status: number; fields: FieldPairs; endStream: boolean }
  | { kind: "data"; chunk: Uint8Array }
  | { kind: "end" }
  | { kind: "closed"; error: Error | undefined; refused: boolean };

/** Errors of streams the server never processed (a retry is safe for a replayable request). */
const refusedErrors = new WeakSet<object>();

/**
 * Whether an HTTP/2 exchange failed because the server refused its stream
 * or went away before answering it.
 *
 * @param error What the exchange rejected with.
 * @returns Whether sending it again on a new session is safe for a replayable request.
 */
export function isRefusedStreamError(error: unknown): boolean {
  return typeof error === "object" && error !== null && refusedErrors.has(error);
}

/**
 * Runs one exchange on a new stream of `session`.
 *
 * @param session The HTTP/2 session.
 * @param request What to send (its `head` bytes are not used).
 * @param fields The HTTP/2 request fields.
 * @param maxInformational Most interim responses accepted.
 * @param onEnd Called once when the exchange ended (the session counts its streams).
 * @returns The response; rejects as the HTTP/1.1 exchange does.
 */
export function h2Exchange(
  session: H2ClientSession,
  request: ExchangeRequest,
  fields: FieldPairs,
  maxInformational: number,
  onEnd: () => void,
): Promise<ExchangeResponse> {
  return new Promise<ExchangeResponse>((resolve, reject) => {
    new H2Exchange(session, request, fields, maxInformational, onEnd, resolve, reject);
  });
}

class H2Exchange {
  readonly #exchange: Exchange;
  readonly #maxInformational: number;
  readonly #onEnd: () => void;
  #stream: H2Stream | undefined;
  /** Events waiting for an `onInformational` promise to settle. */
  #queue: StreamEvent[] | undefined;
  #held = false;
  #streamPaused = false;
  #ended = false;
  /** The final response's `Content-Length`, or -1; checked at the body's end. */
  #declaredLength = -1;
  #receivedLength = 0;

  constructor(
    session: H2ClientSession,
    request: ExchangeRequest,
    fields: FieldPairs,
    maxInformational: number,
    onEnd: () => void,
    resolve: (response: ExchangeResponse) => void,
    reject: (error: unknown) => void,
  ) {
    const exchange = new Exchange(request, false, resolve, reject);
    this.#exchange = exchange;
    this.#maxInformational = maxInformational;
    this.#onEnd = onEnd;
    const signal = request.signal;
    if (signal?.aborted) {
      this.#fail(signal.reason);
      return;
    }
    const body = request.body;
    const holdBody = body !== null && request.expectContinue &&
      !(body.kind === "bytes" && body.bytes.byteLength === 0);
    try {
      this.#stream = session.request(fields, body === null, {
        informational: (status, fields) => this.#event({ kind: "informational", status, fields }),
        response: (status, fields, endStream) =>
          this.#event({ kind: "response", status, fields, endStream }),
        data: (chunk) => this.#event({ kind: "data", chunk }),
        end: () => this.#event({ kind: "end" }),
        closed: (error, refused) => this.#event({ kind: "closed", error, refused }),
      });
    } catch (error) {
      const failure = new FetchError(
        "CLOSED_BEFORE_RESPONSE",
        "the HTTP/2 session could not open a stream",
        { cause: error },
      );
      refusedErrors.add(failure);
      this.#fail(failure);
      return;
    }
    if (signal !== undefined) exchange.stopAbort = onAbort(signal, () => this.#fail(signal.reason));
    const headersTimeout = request.headersTimeout;
    exchange.headersTimer = startTimer(headersTimeout, () => {
      this.#fail(headersTimeoutError(headersTimeout));
    });
    if (body === null) exchange.advance("request-written");
    else if (holdBody) {
      exchange.advance("hold-body");
      exchange.continueTimer = startTimer(request.expectContinueTimeout, () => this.#releaseBody());
    } else this.#writeBody();
  }

  // --- request body ---------------------------------------------------------

  #releaseBody(): void {
    if (this.#exchange.phase !== "awaiting-continue") return;
    this.#exchange.advance("release-body");
    this.#writeBody();
  }

  #writeBody(): void {
    const body = this.#exchange.request.body!;
    const stream = this.#stream!;
    if (body.kind === "bytes") {
      stream.write(body.bytes);
      stream.end();
      this.#exchange.advance("request-written");
      return;
    }
    this.#pumpBody(body.stream, body.length).catch(() => {
      // #pumpBody reports its own failures; never an unhandled rejection.
    });
  }

  async #pumpBody(source: ReadableStream<unknown>, declared: number | undefined): Promise<void> {
    const exchange = this.#exchange;
    const stream = this.#stream!;
    let sent = 0;
    let reader: ReadableStreamDefaultReader<unknown>;
    try {
      reader = source.getReader();
    } catch (error) {
      this.#fail(requestBodyLockedError(error));
      return;
    }
    try {
      for (;;) {
        const result = await reader.read();
        if (exchange.ended) {
          reader.cancel().catch(() => {});
          return;
        }
        if (result.done) {
          const short = declaredLengthError(declared, sent, true);
          if (short !== undefined) {
            this.#fail(short);
            return;
          }
          stream.end();
          exchange.advance("request-written");
          return;
        }
        const bytes = chunkBytes(result.value);
        if (bytes.byteLength === 0) continue;
        sent += bytes.byteLength;
        const long = declaredLengthError(declared, sent, false);
        if (long !== undefined) throw long;
        if (!stream.write(bytes)) await stream.drained();
      }
    } catch (error) {
      reader.cancel(error).catch(() => {});
      if (!exchange.ended) this.#fail(requestBodyReadError(error));
    }
  }

  // --- stream events --------------------------------------------------------

  #event(event: StreamEvent): void {
    if (this.#ended) return;
    if (this.#held) {
      (this.#queue ??= []).push(event);
      return;
    }
    this.#handle(event);
  }

  #handle(event: StreamEvent): void {
    const exchange = this.#exchange;
    switch (event.kind) {
      case "informational":
        exchange.receivedBytes = true;
        this.#informational(event.status, event.fields);
        return;
      case "response":
        exchange.receivedBytes = true;
        this.#finalHead(event.status, event.fields, event.endStream);
        return;
      case "data":
        exchange.bodyTimeout?.touch();
        this.#receivedLength += event.chunk.byteLength;
        exchange.body?.push(event.chunk);
        return;
      case "end":
        if (!headHandedOver(exchange.phase)) return; // "closed" will say why
        // RFC 9113 section 8.1.1: DATA that does not add up to the declared
        // length is a malformed response. Deno's and Bun's node:http2 report
        // a stream reset after some DATA as a clean end, so this is also
        // where a body cut short there is caught.
        if (
          this.#declaredLength >= 0 && this.#receivedLength !== this.#declaredLength &&
          exchange.body !== undefined
        ) {
          this.#fail(closedError(
            exchange,
            new Error(
              `the response declared ${this.#declaredLength} body bytes and ended after ` +
                `${this.#receivedLength}`,
            ),
          ));
          return;
        }
        exchange.body?.close();
        this.#finish();
        return;
      case "closed": {
        const error = closedError(exchange, event.error);
        if (event.refused && !exchange.receivedBytes) refusedErrors.add(error);
        this.#fail(error);
        return;
      }
    }
  }

  #informational(status: number, fields: FieldPairs): void {
    const exchange = this.#exchange;
    if (status === 101) {
      // RFC 9113 section 8.6: HTTP/2 has no 101; a server sending one is broken.
      this.#fail(unsupportedStatusError(101));
      return;
    }
    if (exchange.informational.length >= this.#maxInformational) {
      this.#fail(
        new FetchError(
          "TOO_MANY_INFORMATIONAL",
          `the server sent more than ${this.#maxInformational} interim responses ` +
            "(maxInformational); request aborted",
        ),
      );
      return;
    }
    const info = new Informational({ kind: "informational", status, reason: "", headers: fields });
    exchange.informational.push(info);
    if (status === 100) this.#releaseBody();
    const callback = exchange.request.onInformational;
    if (callback === undefined) return;
    let result: unknown;
    try {
      result = callback(info);
    } catch (error) {
      this.#fail(error);
      return;
    }
    if (!isThenable(result)) return;
    // Hold later events (and the stream's body) until the promise settles.
    this.#held = true;
    this.#pauseStream();
    Promise.resolve(result).then(() => {
      if (this.#ended) return;
      this.#held = false;
      this.#resumeStream();
      this.#drainQueue();
    }, (error: unknown) => this.#fail(error));
  }

  #drainQueue(): void {
    const queue = this.#queue;
    while (queue !== undefined && queue.length > 0 && !this.#held && !this.#ended) {
      this.#handle(queue.shift()!);
    }
  }

  #finalHead(status: number, fields: FieldPairs, endStream: boolean): void {
    const exchange = this.#exchange;
    if (status < 200 || status > 599) {
      this.#fail(unsupportedStatusError(status));
      return;
    }
    exchange.advance("final-head");
    const head: ResponseHead = {
      kind: "response",
      status,
      reason: "",
      minorVersion: 1,
      headers: fields,
      framing: endStream ? "none" : "close",
      contentLength: -1,
      keepAlive: true,
    } as ResponseHead;
    exchange.head = head;
    const informational = exchange.informational;
    const nullBody = exchange.request.method === "HEAD" || status === 204 || status === 205 ||
      status === 304;
    if (endStream) {
      exchange.resolve({ head, body: nullBody ? null : new Uint8Array(0), informational });
      this.#finish();
      return;
    }
    if (nullBody) {
      // Whatever DATA still comes is discarded; the stream is reset once read.
      exchange.resolve({ head, body: null, informational });
      this.#watchBody();
      return;
    }
    const declared = fields.find(([name]) => name === "content-length")?.[1];
    if (declared !== undefined && /^\d+$/.test(declared)) this.#declaredLength = Number(declared);
    const source = new BodySource([], {
      pause: () => {
        if (this.#ended) return;
        this.#pauseStream();
        exchange.bodyTimeout?.stop();
      },
      resume: () => {
        if (this.#ended) return;
        this.#resumeStream();
        this.#watchBody();
      },
      cancel: () => {
        if (!this.#ended) this.#cancel();
      },
    });
    exchange.body = source;
    exchange.resolve({ head, body: source.stream, informational });
    this.#watchBody();
  }

  #watchBody(): void {
    const exchange = this.#exchange;
    let timeout = exchange.bodyTimeout;
    if (timeout === undefined) {
      const ms = exchange.request.bodyTimeout;
      timeout = new BodyTimeout(ms, () => this.#fail(bodyTimeoutError(ms)));
      exchange.bodyTimeout = timeout;
    }
    timeout.start();
  }

  #pauseStream(): void {
    if (this.#streamPaused) return;
    this.#streamPaused = true;
    this.#stream?.pause();
  }

  #resumeStream(): void {
    if (!this.#streamPaused) return;
    this.#streamPaused = false;
    this.#stream?.resume();
  }

  // --- ending ---------------------------------------------------------------

  #finish(): void {
    const exchange = this.#exchange;
    if (this.#ended) return;
    // A response that ended before the request body did: the server is done
    // with it, and the rest is never sent (the stream is reset).
    const requestWritten = exchange.phase === "reading-body";
    this.#ended = true;
    exchange.advance("body-end");
    if (!requestWritten) this.#stream?.cancel();
    this.#onEnd();
  }

  #cancel(): void {
    this.#ended = true;
    this.#exchange.advance("cancel");
    this.#stream?.cancel();
    this.#onEnd();
  }

  #fail(error: unknown): void {
    if (this.#ended) return;
    this.#ended = true;
    const exchange = this.#exchange;
    const handedOver = headHandedOver(exchange.phase);
    exchange.advance("fail");
    if (!handedOver) exchange.reject(error);
    else exchange.body?.error(error);
    this.#stream?.cancel();
    this.#onEnd();
  }
}

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return (typeof value === "object" || typeof value === "function") && value !== null &&
    typeof (value as { then?: unknown }).then === "function";
}
