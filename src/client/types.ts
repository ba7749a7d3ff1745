/**
 * Public types of the client: interim responses, the `fetch` init extension
 * and the `Client` options.
 *
 * @module
 */

import type { ClientTlsOptions, RuntimeAdapter } from "../runtime/types.ts";

/** One interim (1xx) response, as passed to `onInformational` and listed in `response.informational`. */
export interface InformationalResponse {
  /** 100-199 except 101 (which is final and refused by this client). */
  readonly status: number;
  /** The reason phrase as sent (may be empty; `103` is usually `"Early Hints"`). */
  readonly statusText: string;
  /** The interim response's own header fields (not merged with any other response). */
  readonly headers: Headers;
  /**
   * The same fields as ordered `[name, value]` pairs, names lower-cased, one
   * pair per field line: unlike `headers`, repeated fields are not joined.
   */
  readonly rawHeaders: ReadonlyArray<readonly [name: string, value: string]>;
}

/**
 * Called for each interim response, in arrival order, before the `fetch`
 * promise resolves. Returning a promise (any thenable) holds further parsing
 * until it settles (backpressure); throwing or rejecting aborts the request
 * and makes `fetch` reject with that same error. Any other return value is
 * ignored, so `(info) => seen.push(info)` is a valid callback.
 */
export type InformationalCallback = (info: InformationalResponse) => unknown;

/** `RequestInit` plus the interim-response hook. */
export interface FetchInit extends RequestInit {
  /** Called once per interim response (100-199 except 101), in order. */
  onInformational?: InformationalCallback;
  /**
   * `false` hands back the body as the server sent it: content codings
   * (`Content-Encoding: gzip`, `deflate`, `br`) are not undone, so
   * `Content-Encoding` and `Content-Length` still describe the bytes read.
   * Default `true`. (Bun's `fetch` has the same option.)
   */
  decompress?: boolean;
  /**
   * `false` sends only the caller's fields, plus `Host` when the caller gave
   * none and the body's framing: no default `Accept`, `Accept-Encoding` or
   * `User-Agent` is added. Default `true`. For a proxy, which must not ask
   * for codings or name an agent its client did not.
   */
  defaultHeaders?: boolean;
}

/** Options of a {@linkcode Client} (a connection pool). Every one has a default. */
export interface ClientOptions {
  /**
   * Most sockets open at once per origin (busy plus idle); further requests
   * wait in line for one. Default `Infinity` (as Node's agent and undici).
   */
  readonly maxSocketsPerOrigin?: number;
  /**
   * How long an idle keep-alive socket is kept, in ms. Default 4000: below
   * the 5 s `keepAliveTimeout` of `node:http` servers, so the client gives
   * up a socket before the server does. A server's `Keep-Alive: timeout=N`
   * shortens it to N - 1 s.
   */
  readonly idleTimeout?: number;
  /** Longest wait for TCP (and TLS) to connect, in ms. Default 10000. */
  readonly connectTimeout?: number;
  /**
   * Longest wait for the final response head after the request head was
   * sent, in ms. Interim responses do not restart it (like Go's
   * `ResponseHeaderTimeout`). Default 300000 (undici's default).
   */
  readonly headersTimeout?: number;
  /**
   * Longest silence while a response body streams, in ms: no bytes for
   * this long while the reader waits fails the body with `BODY_TIMEOUT`.
   * Time during which the reader is not reading (backpressure) does not
   * count. Default 300000 (undici's default).
   */
  readonly bodyTimeout?: number;
  /**
   * How long a request with `Expect: 100-continue` holds its body waiting
   * for `100 Continue`, in ms, before sending it anyway. Default 1000.
   */
  readonly expectContinueTimeout?: number;
  /** Most interim responses accepted per request before failing with `TOO_MANY_INFORMATIONAL`. Default 100. */
  readonly maxInformational?: number;
  /** Most redirects followed per request (`redirect: "follow"`). Default 20 (the fetch standard's limit). */
  readonly maxRedirections?: number;
  /** TLS settings for `https:` origins: custom CA, client certificate, SNI name, test-only verification skip. */
  readonly tls?: ClientTlsOptions;
  /**
   * Connect every `http:` and `https:` request to this unix domain socket
   * instead of the URL's host; the URL still supplies the scheme, `Host`
   * header and path. An `http+unix:` or `https+unix:` URL names its own
   * socket and needs no option.
   */
  readonly socketPath?: string;
  /** The socket layer; chosen automatically for Deno, Bun or Node. */
  readonly adapter?: RuntimeAdapter;
  /**
   * Offer HTTP/2 to `https:` origins through ALPN (`h2`, then `http/1.1`),
   * and use it when the server picks it: one session per origin carries
   * every request, each on its own stream. HTTP/2 goes through the
   * runtime's `node:http2` on a `node:tls` socket, whatever `adapter` says;
   * a server that picks `http/1.1` gets the same socket as HTTP/1.1.
   * `http:` and unix-socket origins always speak HTTP/1.1. Default `true`.
   */
  readonly http2?: boolean;
}

/**
 * What `fetch` resolves to: a standard global `Response` (so `instanceof
 * Response`, `.text()`, `.body`... work as usual) with two extra read-only,
 * non-enumerable own properties.
 */
export interface FetchResponse extends Response {
  /**
   * The interim responses received before this final response, in arrival
   * order (on the last hop when redirects were followed). The same objects
   * `onInformational` was called with.
   */
  readonly informational: readonly InformationalResponse[];
  /** The final response's fields as ordered `[name, value]` pairs, one per field line, names lower-cased. */
  readonly rawHeaders: ReadonlyArray<readonly [name: string, value: string]>;
  /**
   * The HTTP version of the final response: `"2"` over HTTP/2, `"1.1"` or
   * `"1.0"` over HTTP/1.x (as `curl -w '%{http_version}'` prints it). Over
   * HTTP/2 `statusText` is `""`: the protocol has no reason phrase.
   */
  readonly httpVersion: "1.0" | "1.1" | "2";
}
