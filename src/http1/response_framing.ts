/**
 * How an HTTP/1.1 server frames a final response and whether the
 * connection persists after it: a pure function of the request and the
 * response (RFC 9110 sections 6.4.1, 8.6, 15.3.5, 15.4.5; RFC 9112
 * sections 6 and 9.3). This module is sans-IO.
 *
 * @module
 */

/** What decides a response's framing. */
export interface FramingInput {
  /** The request's HTTP/1.x minor version (0 or 1). */
  readonly minorVersion: number;
  /** The request's method: a HEAD answer states a length but sends no body. */
  readonly requestMethod: string;
  /** The request allows the connection to persist (`RequestHead.keepAlive`). */
  readonly requestKeepAlive: boolean;
  /** The server closes after this exchange (draining, request limit, EOF seen). */
  readonly closing: boolean;
  /**
   * The client asked for `100 Continue`, got none, and its body was not
   * read in full: whether the body follows is in doubt (RFC 9110 section
   * 10.1.1), so the connection closes.
   */
  readonly unreadBodyInDoubt: boolean;
  /** The final status. */
  readonly status: number;
  /** The `Content-Length` the handler declared, or -1. */
  readonly declaredLength: number;
  /** The size of a body known in full; `undefined` when it streams (or is unknown). */
  readonly bodySize: number | undefined;
}

/** The framing decided for a response. */
export interface ResponseFraming {
  /** The `Content-Length` to send, or `undefined` for none. */
  readonly contentLength: number | undefined;
  /** Whether the body is sent with `Transfer-Encoding: chunked`. */
  readonly chunked: boolean;
  /** Whether the connection may carry another request afterwards. */
  readonly keepAlive: boolean;
  /** The `Connection` field to send, if any. */
  readonly connection: "close" | "keep-alive" | undefined;
  /** Whether body bytes follow the head (not for HEAD, 204, 304). */
  readonly sendsBody: boolean;
}

/**
 * Decides the framing and persistence of a final response.
 *
 * - 204 states no length; 304 repeats the declared one (RFC 9110 sections
 *   15.3.5, 15.4.5); neither, nor a HEAD answer, sends body bytes.
 * - A HEAD answer states the declared length, else the size of the body
 *   the GET would have had, when known.
 * - A body known in full is sent with its size as Content-Length.
 * - A streamed body uses the declared length, else chunked on HTTP/1.1,
 *   else (HTTP/1.0) it runs until the connection closes.
 * - The connection persists only when the request allows it, the server
 *   is not closing, no unread body is in doubt, and the body is not
 *   delimited by the close. HTTP/1.1 says `Connection: close` when it
 *   will not persist; HTTP/1.0 says `Connection: keep-alive` when it will.
 *
 * @param input The request and response facts.
 * @returns The framing.
 *
 * @example A streamed body on HTTP/1.1 and on HTTP/1.0
 * ```ts
 * import assert from "node:assert/strict";
 * import { responseFraming } from "./response_framing.ts";
 * const request = {
 *   requestMethod: "GET",
 *   requestKeepAlive: true,
 *   closing: false,
 *   unreadBodyInDoubt: false,
 *   status: 200,
 *   declaredLength: -1,
 *   bodySize: undefined,
 * };
 * const h11 = responseFraming({ ...request, minorVersion: 1 });
 * assert.equal(h11.chunked, true);
 * assert.equal(h11.keepAlive, true);
 * const h10 = responseFraming({ ...request, minorVersion: 0 });
 * assert.equal(h10.chunked, false);
 * assert.equal(h10.keepAlive, false);
 * assert.equal(h10.connection, undefined);
 * ```
 */
export function responseFraming(input: FramingInput): ResponseFraming {
  const { status, declaredLength, bodySize } = input;
  const isHead = input.requestMethod === "HEAD";
  let contentLength: number | undefined;
  let chunked = false;
  let closeDelimited = false;
  let sendsBody = !isHead;
  if (status === 204) {
    sendsBody = false;
  } else if (status === 304) {
    sendsBody = false;
    if (declaredLength >= 0) contentLength = declaredLength;
  } else if (isHead) {
    if (declaredLength >= 0) contentLength = declaredLength;
    else contentLength = bodySize;
  } else if (bodySize !== undefined) {
    contentLength = bodySize;
  } else if (declaredLength >= 0) {
    contentLength = declaredLength;
  } else if (input.minorVersion === 1) {
    chunked = true;
  } else {
    closeDelimited = true;
  }
  const keepAlive = input.requestKeepAlive && !input.closing && !input.unreadBodyInDoubt &&
    !closeDelimited;
  let connection: "close" | "keep-alive" | undefined;
  if (input.minorVersion === 1) {
    if (!keepAlive) connection = "close";
  } else if (keepAlive) connection = "keep-alive";
  return { contentLength, chunked, keepAlive, connection, sendsBody };
}
