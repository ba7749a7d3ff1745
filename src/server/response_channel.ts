/**
 * What the exchange core needs from a transport to deliver one response: the
 * seam between the transport-neutral {@linkcode Exchange} and the HTTP/1.1
 * engine on raw sockets (`h1_channel.ts`) or `node:http`
 * (`node_http_channel.ts`). The core decides what may be sent when (its
 * state machine); a channel only puts it on the wire in its protocol's form
 * (framing, keep-alive, `Date`). This module is browser compatible.
 *
 * @module
 */

import type { HeaderList } from "../http1/types.ts";
import type { InformationalResult } from "./types.ts";

/** The final response's head, as the handler's `Response` gave it. */
export interface FinalHead {
  /** The status, 200-599 (or 1xx-free 100-599 the Response allows). */
  readonly status: number;
  /** `Response.statusText`, or `undefined` for the standard phrase. */
  readonly reason: string | undefined;
  /** The fields to send, without framing or connection fields. */
  readonly fields: HeaderList;
  /** The `Content-Length` the handler declared, or -1. */
  readonly declaredLength: number;
  /** Whether the handler set its own `Date`. */
  readonly hasDate: boolean;
}

/** A body known in full: text (sent as UTF-8) or byte chunks. */
export type CompleteBody = string | readonly Uint8Array[];

/**
 * One response's way to the peer. The core calls, in order: any number of
 * `informational`, then `complete` (a body known in full) or `start` +
 * `write`* + `end`; or `answer` in the handler's place; `destroy` when the
 * response cannot be finished.
 */
export interface ResponseChannel {
  /** Whether the peer can still receive this response. */
  readonly open: boolean;
  /**
   * Why no interim response can ever reach this request's client over this
   * transport (an HTTP/1.0 client: `"http/1.0"`), or `undefined`.
   */
  readonly interimRefusal: InformationalResult | undefined;
  /**
   * Sends an interim response (validated, within the request's bounds).
   *
   * @param status 100-199 except 101.
   * @param fields Validated fields.
   * @param flush Write now rather than with a final head written in the same turn.
   * @returns `SENT`, or why this transport cannot carry it (`"http/1.0"`, `"unsupported"`).
   */
  informational(status: number, fields: HeaderList, flush: boolean): InformationalResult;
  /** The final response is on its way: queued interim responses may wait for its head. */
  finalPending(): void;
  /**
   * Writes a final response whose body is all here.
   *
   * @param head The head.
   * @param body The body; `undefined` when there is none to send (HEAD, 204, 304, empty).
   * @param size The body's size in bytes, or `undefined` when unknown (HEAD of a stream).
   * @throws {Error} Before writing anything, when the head cannot be carried.
   */
  complete(head: FinalHead, body: CompleteBody | undefined, size: number | undefined): void;
  /**
   * Writes the head of a response whose body streams, and its first chunks.
   *
   * @throws {Error} Before writing anything, when the head cannot be carried.
   */
  start(head: FinalHead, first: readonly Uint8Array[]): void;
  /**
   * Writes a body chunk.
   *
   * @returns Whether more may be written before `drained()` settles.
   */
  write(chunk: Uint8Array): boolean;
  /** Settles once the peer has taken enough to write again, or the channel closed. */
  drained(): Promise<void>;
  /** Ends a streamed body. */
  end(): void;
  /**
   * Answers with a small plain-text response for an error status, in the handler's place.
   *
   * @param status The status.
   * @param keepAlive Whether the connection may go on afterwards.
   */
  answer(status: number, keepAlive: boolean): void;
  /** Gives up on a response whose head is out: the only honest signal is closing. */
  destroy(): void;
}
