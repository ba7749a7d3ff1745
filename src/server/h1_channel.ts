/**
 * The HTTP/1.1 engine's {@linkcode ResponseChannel}: puts one exchange's
 * responses on a raw socket. The engine's `ResponseSender` keeps the send
 * state (no 1xx after the final head, the body's framing) and
 * `responseFraming` decides Content-Length, chunking and keep-alive; this
 * file only batches writes. Interim responses queued in a turn go out in a
 * microtask, or with a final head written first, in one write. This module
 * is browser compatible.
 *
 * @module
 */

import { concatBytes } from "../http1/_bytes.ts";
import { type ResponseFraming, responseFraming } from "../http1/response_framing.ts";
import { ResponseSender } from "../http1/response_sender.ts";
import { toBytes } from "../http1/serialize.ts";
import type { HeaderList, RequestHead } from "../http1/types.ts";
import type { Socket } from "../runtime/types.ts";
import { httpDate } from "./date.ts";
import { HTTP10, SENT } from "./informational_results.ts";
import type { CompleteBody, FinalHead, ResponseChannel } from "./response_channel.ts";
import type { InformationalResult } from "./types.ts";

/** What the channel needs from its connection. */
export interface H1ChannelHost {
  /** The connection's socket. */
  readonly socket: Socket;
  /** The connection closes after this exchange (draining, request limit, EOF). */
  readonly closing: boolean;
  /** The parser has seen the whole request body. */
  readonly requestComplete: boolean;
  /**
   * The response is written (or abandoned); `keepAlive` says whether the
   * connection may go on.
   */
  responseDone(channel: H1Channel, keepAlive: boolean): void;
}

// Complete bodies up to this size go out in the head's write.
const ONE_WRITE_LIMIT = 64 * 1024;

/** What goes to a socket: text (sent as UTF-8) or bytes. */
type Wire = string | Uint8Array;

/**
 * One HTTP/1.1 response on a socket.
 */
export class H1Channel implements ResponseChannel {
  readonly #host: H1ChannelHost;
  readonly #head: RequestHead;
  readonly #sender: ResponseSender;
  /** Interim responses written in order but not yet handed to the socket. */
  #pending: Wire[] | undefined;
  /** The final head comes within a few turns: queued interim responses wait for it. */
  #holdInterim = false;
  #continueSent = false;
  #keepAlive = false;

  /**
   * @param host The connection.
   * @param head The request head.
   */
  constructor(host: H1ChannelHost, head: RequestHead) {
    this.#host = host;
    this.#head = head;
    this.#sender = new ResponseSender(head);
  }

  get open(): boolean {
    return !this.#host.socket.closed;
  }

  get interimRefusal(): InformationalResult | undefined {
    // RFC 9110 section 15.2: no 1xx to an HTTP/1.0 client.
    return this.#head.minorVersion === 0 ? HTTP10 : undefined;
  }

  informational(status: number, fields: HeaderList, flush: boolean): InformationalResult {
    if (this.#head.minorVersion === 0) return HTTP10;
    const wire = this.#sender.informational(status, fields);
    if (status === 100) this.#continueSent = true;
    if (flush && !this.#holdInterim) {
      const parts = this.#takeInterim();
      parts.push(wire);
      this.#host.socket.write(join(parts));
      return SENT;
    }
    // A final response written in the same turn (a synchronous handler)
    // takes the interim bytes along in its write: one system call less. The
    // microtask still sends them before the handler waits on anything.
    const pending = this.#pending;
    if (pending === undefined) {
      this.#pending = [wire];
      queueMicrotask(() => this.#flushInterim());
    } else pending.push(wire);
    return SENT;
  }

  finalPending(): void {
    this.#holdInterim = true;
  }

  complete(head: FinalHead, body: CompleteBody | undefined, size: number | undefined): void {
    const framing = this.#framing(head, size);
    const fields = this.#fields(head);
    const sender = this.#sender;
    const socket = this.#host.socket;
    if (typeof body === "string") {
      // The usual small text response: head and body encoded in one pass.
      const text = framing.sendsBody ? body : undefined;
      const wire = sender.head(head.status, head.reason, fields, framing, text);
      if (this.#pending === undefined) socket.write(wire);
      else {
        const parts = this.#takeInterim();
        parts.push(wire);
        socket.write(join(parts));
      }
    } else {
      const parts = [sender.head(head.status, head.reason, fields, framing)];
      const chunks = framing.sendsBody && body !== undefined ? body : undefined;
      this.#writeHead(parts, chunks, size ?? 0);
    }
    this.#done(framing);
  }

  start(head: FinalHead, first: readonly Uint8Array[]): void {
    const declared = head.declaredLength;
    if (declared >= 0) {
      // Checked before the head goes out, so a 500 can still answer instead.
      let size = 0;
      for (let i = 0; i < first.length; i++) size += first[i]!.byteLength;
      if (size > declared) {
        throw new TypeError(`response body is longer than its content-length of ${declared} bytes`);
      }
    }
    const framing = this.#framing(head, undefined);
    const sender = this.#sender;
    const parts: Wire[] = [sender.head(head.status, head.reason, this.#fields(head), framing)];
    this.#keepAlive = framing.keepAlive;
    let size = 0;
    const encoded: Uint8Array[] = [];
    for (let i = 0; i < first.length; i++) {
      const chunk = sender.data(first[i]!);
      size += chunk.byteLength;
      encoded.push(chunk);
    }
    this.#writeHead(parts, encoded, size);
  }

  write(chunk: Uint8Array): boolean {
    return this.#host.socket.write(this.#sender.data(chunk));
  }

  drained(): Promise<void> {
    return waitForDrain(this.#host.socket);
  }

  end(): void {
    const last = this.#sender.end();
    if (last !== undefined) this.#host.socket.write(last);
    this.#host.responseDone(this, this.#keepAlive);
  }

  answer(status: number, keepAlive: boolean): void {
    const text = `${status}\n`;
    const head: FinalHead = {
      status,
      reason: undefined,
      fields: [["content-type", "text/plain; charset=utf-8"]],
      declaredLength: -1,
      hasDate: false,
    };
    const framing = this.#framing(head, text.length, !keepAlive);
    const body = framing.sendsBody ? text : undefined;
    const wire = this.#sender.head(status, undefined, this.#fields(head), framing, body);
    const parts = this.#takeInterim();
    parts.push(wire);
    this.#host.socket.write(join(parts));
    this.#done(framing);
  }

  destroy(): void {
    this.#pending = undefined;
    this.#host.socket.destroy();
    this.#host.responseDone(this, false);
  }

  #framing(head: FinalHead, size: number | undefined, close = false): ResponseFraming {
    const request = this.#head;
    const host = this.#host;
    return responseFraming({
      minorVersion: request.minorVersion,
      requestMethod: request.method,
      requestKeepAlive: request.keepAlive,
      closing: close || host.closing,
      // RFC 9110 section 10.1.1: the client waits for 100 before sending
      // the body; without it the unread body is in doubt, so close.
      unreadBodyInDoubt: request.expectContinue && !this.#continueSent && !host.requestComplete,
      status: head.status,
      declaredLength: head.declaredLength,
      bodySize: size,
    });
  }

  /** The head's fields with a `Date` when the handler set none. */
  #fields(head: FinalHead): HeaderList {
    const fields = head.fields;
    if (!head.hasDate) fields.push(["date", httpDate()]);
    return fields;
  }

  /** Writes the head (after any queued interim responses) with the body chunks. */
  #writeHead(parts: Wire[], chunks: readonly Uint8Array[] | undefined, size: number): void {
    const socket = this.#host.socket;
    const pending = this.#takeInterim();
    if (pending.length > 0) parts.unshift(...pending);
    if (chunks === undefined || chunks.length === 0) socket.write(join(parts));
    else if (size <= ONE_WRITE_LIMIT) {
      for (let i = 0; i < chunks.length; i++) parts.push(chunks[i]!);
      socket.write(join(parts));
    } else {
      socket.write(join(parts));
      for (const chunk of chunks) socket.write(chunk);
    }
  }

  #done(framing: ResponseFraming): void {
    this.#host.responseDone(this, framing.keepAlive);
  }

  /** Takes the queued interim responses (a fresh array to append to). */
  #takeInterim(): Wire[] {
    const pending = this.#pending;
    this.#pending = undefined;
    return pending ?? [];
  }

  /** Writes the queued interim responses, unless a final head will take them along. */
  #flushInterim(): void {
    // The final head is only waiting for the body's ready chunks, a few
    // microtask turns at most: its write takes the interim responses along.
    // On Bun, where a string body can only be read through its stream, that
    // saves a write.
    if (this.#pending === undefined || this.#holdInterim) return;
    const pending = this.#takeInterim();
    const socket = this.#host.socket;
    if (socket.closed) return;
    socket.write(pending.length === 1 ? pending[0]! : join(pending));
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
 * Joins `parts` for one write: text stays text (the socket encodes it, on
 * Node and Bun natively); with any bytes among them, one byte array. A
 * single part is returned as is.
 */
function join(parts: Wire[]): Wire {
  if (parts.length === 1) return parts[0]!;
  let text = "";
  for (let i = 0; i < parts.length; i++) {
    const part = parts[i]!;
    if (typeof part !== "string") return concatBytes(parts.map(toBytes));
    text += part;
  }
  return text;
}
