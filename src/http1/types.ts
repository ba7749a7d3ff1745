/**
 * The values exchanged with the sans-IO HTTP/1.1 engine: parsed events, the
 * messages given to the serialisers, and the limits.
 *
 * Header fields are kept as ordered `[name, value]` pairs so repeated fields
 * (several `Link` hints, `Set-Cookie`) survive untouched; conversion to a web
 * `Headers` happens at the edges. Parsed names are lower-cased once, when the
 * header section is decoded. This module is browser compatible.
 *
 * @module
 */

/** Ordered header fields as `[name, value]` pairs. */
export type HeaderList = Array<[name: string, value: string]>;

/** How the body of a parsed message is delimited (RFC 9112 section 6.3). */
export type BodyFraming =
  /** No body at all (1xx, 204, 304, a reply to HEAD, a request without length). */
  | "none"
  /** Exactly `contentLength` bytes. */
  | "length"
  /** Transfer-Encoding: chunked, possibly with trailers. */
  | "chunked"
  /** A response read until the connection closes. */
  | "close";

/** The head of a parsed request. */
export interface RequestHead {
  /** Discriminant: a request head. */
  readonly kind: "request";
  /** The method, case preserved (methods are case-sensitive). */
  readonly method: string;
  /** The request target exactly as sent (origin-form, absolute-form, authority-form or `*`). */
  readonly target: string;
  /** The minor version: 0 for HTTP/1.0, 1 for HTTP/1.1. */
  readonly minorVersion: 0 | 1;
  /** Header fields in order, names lower-cased. */
  readonly headers: HeaderList;
  /** How the body is framed. */
  readonly framing: BodyFraming;
  /** The declared length when `framing` is `"length"`, else -1. */
  readonly contentLength: number;
  /** Whether the connection may carry another request after this exchange. */
  readonly keepAlive: boolean;
  /** Whether the request carries `Expect: 100-continue`. */
  readonly expectContinue: boolean;
}

/** A parsed interim (1xx) response, other than 101. */
export interface InformationalHead {
  /** Discriminant: an interim response head. */
  readonly kind: "informational";
  /** 100-199 except 101. */
  readonly status: number;
  /** The reason phrase as sent (may be empty). */
  readonly reason: string;
  /** Header fields in order, names lower-cased. */
  readonly headers: HeaderList;
}

/** The head of a parsed final response (status 200-999, or 101). */
export interface ResponseHead {
  /** Discriminant: a final response head. */
  readonly kind: "response";
  /** The status code: 200-999, or 101. */
  readonly status: number;
  /** The reason phrase as sent (may be empty). */
  readonly reason: string;
  /** The minor version: 0 for HTTP/1.0, 1 for HTTP/1.1. */
  readonly minorVersion: 0 | 1;
  /** Header fields in order, names lower-cased. */
  readonly headers: HeaderList;
  /** How the body is framed ("none" for 1xx/204/304/HEAD, 101 and 2xx to CONNECT). */
  readonly framing: BodyFraming;
  /** The declared length when `framing` is `"length"`, else -1. */
  readonly contentLength: number;
  /** Whether the connection may carry another exchange after this one. */
  readonly keepAlive: boolean;
}

/**
 * A piece of a message body. `data` may be a view into a buffer given to
 * `push()`: the engine never mutates or reuses those buffers, so the view stays
 * valid as long as the caller does not mutate what it pushed.
 */
export interface BodyChunk {
  /** Discriminant: body bytes. */
  readonly kind: "data";
  /** The bytes (never empty); possibly a view into a pushed chunk. */
  readonly data: Uint8Array;
}

/** The end of a message, with the trailer fields of a chunked body (else empty). */
export interface MessageEnd {
  /** Discriminant: the message is complete. */
  readonly kind: "end";
  /** Trailer fields in order, names lower-cased; empty unless a chunked body had some. */
  readonly trailers: HeaderList;
}

/** Everything the request parser emits, in order. */
export type RequestEvent = RequestHead | BodyChunk | MessageEnd;

/** Everything the response parser emits, in order. */
export type ResponseEvent =
  | InformationalHead
  | ResponseHead
  | BodyChunk
  | MessageEnd;

/** Limits applied while parsing. Every one can be changed by the user. */
export interface ParserLimits {
  /**
   * Longest request line or status line, in bytes, without CRLF. Default 8192.
   * Exceeding it is URI_TOO_LONG (414) for a request, HEADERS_TOO_LARGE for a response.
   */
  maxStartLineBytes: number;
  /**
   * Largest header section (all field lines with their CRLF, not the start
   * line nor the final empty line), in bytes, per message: each interim
   * response and each trailer section counts on its own. Default 65536
   * (HEADERS_TOO_LARGE, 431).
   */
  maxHeaderBytes: number;
  /**
   * Most header fields in one section (HEADERS_TOO_LARGE, 431). Default 2000,
   * node:http's `maxHeadersCount` (Go and h11 count none): `maxHeaderBytes`
   * is the real guard, this one bounds the objects a section of tiny fields
   * would cost.
   */
  maxHeaderCount: number;
  /** Longest chunk-size line including extensions, in bytes, without CRLF (INVALID_CHUNK). Default 4096. */
  maxChunkLineBytes: number;
  /** Most interim responses accepted before each final one (TOO_MANY_INFORMATIONAL). Default 100. */
  maxInformational: number;
  /** Largest body accepted, in bytes (BODY_TOO_LARGE, 413). Default Infinity (the caller streams it). */
  maxBodyBytes: number;
}

/** The defaults for {@linkcode ParserLimits}. */
export const DEFAULT_LIMITS: Readonly<ParserLimits> = Object.freeze({
  maxStartLineBytes: 8192,
  maxHeaderBytes: 65536,
  maxHeaderCount: 2000,
  maxChunkLineBytes: 4096,
  maxInformational: 100,
  maxBodyBytes: Infinity,
});
