/**
 * Builds the header section of an outgoing request: `Host`, the caller's
 * fields, the defaults `fetch` adds, and the framing the client owns.
 *
 * @module
 */

import { encodeRequestHead } from "../http1/serialize.ts";
import type { HeaderList } from "../http1/types.ts";
import type { PreparedRequest } from "./request.ts";

/** The encoded head and what it asked for. */
export interface EncodedHead {
  /** The request line and header section, ending in the empty line. */
  readonly bytes: Uint8Array;
  /** Whether the head carries `Expect: 100-continue` and a body follows. */
  readonly expectContinue: boolean;
  /** Whether the caller sent `Connection: close` (the socket is not reused). */
  readonly connectionClose: boolean;
}

const MAX_CACHED = 512;
const headCache = new Map<string, EncodedHead>();

/**
 * Encodes a request head, reusing the bytes of an earlier identical head
 * when the request has no caller headers and no body (then the head depends
 * only on the method and URL): repeated polling or keep-alive GETs skip
 * building and validating the fields.
 *
 * @param request The request.
 * @returns The bytes and flags (shared; never mutate them).
 * @throws {Http1Error} As {@linkcode encodeHead}.
 */
export function encodeHeadCached(request: PreparedRequest): EncodedHead {
  if (request.headers.length !== 0 || request.body !== null || !request.defaultHeaders) {
    return encodeHead(request);
  }
  const key = request.method + " " + request.target.href;
  let head = headCache.get(key);
  if (head === undefined) {
    head = encodeHead(request);
    if (headCache.size >= MAX_CACHED) headCache.clear();
    headCache.set(key, head);
  }
  return head;
}

/** Sent when the caller gives no `Accept-Encoding`; the client decodes all three. */
const ACCEPT_ENCODING = "gzip, deflate, br";

/**
 * Encodes a request head.
 *
 * The client owns the framing: a caller's `Content-Length` or
 * `Transfer-Encoding` is replaced by the body's real framing (RFC 9112
 * section 6), so a wrong value cannot desynchronise the connection. The
 * one exception is a stream's declared `Content-Length`, which the writer
 * holds the stream to. A
 * caller's `Host` is kept (useful over unix sockets); otherwise it comes from
 * the URL. `Accept`, `Accept-Encoding` and `User-Agent` get defaults, like
 * the global `fetch`, unless `defaultHeaders` is off.
 *
 * @param request The request.
 * @returns The bytes and flags.
 * @throws {Http1Error} `LOCAL_PROTOCOL_ERROR` for a header name or value that
 * cannot be sent (CR, LF, NUL...).
 */
export function encodeHead(request: PreparedRequest): EncodedHead {
  const fields: HeaderList = [];
  let hasHost = false;
  let hasAccept = false;
  let hasAcceptEncoding = false;
  let hasUserAgent = false;
  let expectContinue = false;
  let connectionClose = false;
  const userHeaders = request.headers;
  for (let i = 0; i < userHeaders.length; i++) {
    const field = userHeaders[i]!;
    switch (field[0]) {
      case "content-length":
      case "transfer-encoding":
        continue;
      case "host":
        hasHost = true;
        break;
      case "accept":
        hasAccept = true;
        break;
      case "accept-encoding":
        hasAcceptEncoding = true;
        break;
      case "user-agent":
        hasUserAgent = true;
        break;
      case "expect":
        if (field[1].toLowerCase() === "100-continue") expectContinue = true;
        break;
      case "connection":
        if (/(^|[\s,])close($|[\s,])/i.test(field[1])) connectionClose = true;
        break;
    }
    fields.push(field);
  }
  if (!hasHost) fields.unshift(["host", request.target.host]);
  if (request.defaultHeaders) {
    if (!hasAccept) fields.push(["accept", "*/*"]);
    if (!hasAcceptEncoding) fields.push(["accept-encoding", ACCEPT_ENCODING]);
    if (!hasUserAgent) fields.push(["user-agent", "interim"]);
  }
  const body = request.body;
  if (body === null) {
    // fetch sends Content-Length: 0 for a body-less POST or PUT.
    if (request.method === "POST" || request.method === "PUT") {
      fields.push(["content-length", "0"]);
    }
    expectContinue = false;
  } else if (body.kind === "bytes") {
    fields.push(["content-length", String(body.bytes.byteLength)]);
    if (body.bytes.byteLength === 0) expectContinue = false;
  } else if (body.length !== undefined) {
    fields.push(["content-length", String(body.length)]);
    if (body.length === 0) expectContinue = false;
  } else {
    fields.push(["transfer-encoding", "chunked"]);
  }
  return {
    bytes: encodeRequestHead(request.method, request.target.path, fields),
    expectContinue,
    connectionClose,
  };
}
