/**
 * The public types of the server: the handler, its options, the running
 * server, and the result of sending an interim response. This module is
 * browser compatible (it only declares types).
 *
 * @module
 */

import type { ParserLimits } from "../http1/types.ts";
import type { RuntimeAdapter, SocketAddress } from "../runtime/types.ts";

/**
 * What a handler learns about the connection besides the request, shaped like
 * Deno's `ServeHandlerInfo` so that Hono's Deno `getConnInfo` works unchanged.
 */
export interface ServeHandlerInfo {
  /** The peer's address (TCP host and port, or the unix socket path). */
  readonly remoteAddr: SocketAddress;
  /** Resolves when the response has been fully written or the exchange failed. */
  readonly completed: Promise<void>;
}

/**
 * A web-standard fetch handler, such as a Hono app's `app.fetch`.
 *
 * @param request The incoming request; `request.signal` aborts when the client goes away.
 * @param info The connection's details.
 * @returns The final response (after any interim responses sent with `sendInformational`).
 */
export type ServeHandler = (
  request: Request,
  info: ServeHandlerInfo,
) => Response | Promise<Response>;

/**
 * An object whose `fetch` method handles requests, such as a Hono app:
 * `serve(app)` calls `app.fetch(request, info)` with `app` as `this`.
 */
export interface FetchApp {
  /**
   * Handles one request.
   *
   * @param request The incoming request.
   * @param info The connection's details (Hono sees them as `c.env`).
   * @returns The final response.
   */
  fetch(request: Request, info: ServeHandlerInfo): Response | Promise<Response>;
}

/** Options that hold the handler as `fetch`, the shape of `Bun.serve` and `@hono/node-server`. */
export interface ServeFetchInit extends ServeOptions {
  /** The fetch handler, called as `init.fetch(request, info)`. */
  readonly fetch: ServeHandler;
}

/** Options that hold the handler as `handler`, the shape of `Deno.serve`'s `ServeInit`. */
export interface ServeHandlerInit extends ServeOptions {
  /** The fetch handler, called as `init.handler(request, info)`. */
  readonly handler: ServeHandler;
}

/** Which server implementation carries the connections. */
export type ServeAdapterName =
  /** Our engine on the Deno adapter, which listens through Deno's `node:net` / `node:tls`. */
  | "deno"
  /** Our engine on `Bun.listen`. */
  | "bun"
  /** Our engine on `node:net` / `node:tls`. */
  | "node"
  /** `node:http` / `node:https` with its own parser, interim responses written beside it. */
  | "node-http";

/** Limits against oversized requests, on top of the engine's parser limits. */
export interface ServeLimits extends ParserLimits {
  /** Milliseconds allowed to receive a complete request head once its first byte arrived (or the connection opened). Default 10 000. */
  headersTimeout: number;
  /** Milliseconds an idle keep-alive connection is kept between requests. Default 5 000. */
  idleTimeout: number;
  /**
   * Milliseconds a request body may make no progress while the handler
   * waits for it (or while the server drains an unread body). On expiry the
   * body read fails, `request.signal` aborts, a `408` goes out if no
   * response has begun, and the connection closes. Default 30 000.
   */
  bodyTimeout: number;
  /**
   * Bytes per second a request body must average once `minBodyRateGrace`
   * has passed, counting only time the server waits for the client (not
   * time the handler leaves the body unread), like Apache mod_reqtimeout's
   * `MinRate`: the body fails like a stalled one (408 if no response has
   * begun, `request.signal` aborts, the connection closes) once the wait
   * exceeds `minBodyRateGrace + bytes / minBodyRate`. Also applies while the
   * server drains a body the handler left unread. Default 500 (Apache's), so
   * a body trickling 1 byte/s ends after about 20 s.
   */
  minBodyRate: number;
  /** Milliseconds of waiting for a request body before `minBodyRate` applies. Default 20 000 (Apache's `body=20`). */
  minBodyRateGrace: number;
  /**
   * Milliseconds response bytes may stay queued without the client taking
   * any; then the connection is destroyed (the response cannot be
   * delivered). A client that reads at any rate keeps its connection: idle
   * and linger deadlines start only once everything written is out.
   * Default 60 000 (nginx's `send_timeout`).
   */
  sendTimeout: number;
  /** Most requests served on one connection before it is closed (on HTTP/2: streams, then GOAWAY); default Infinity. */
  maxRequestsPerConnection: number;
  /** Milliseconds `shutdown()` waits for in-flight exchanges before closing them; default 30 000. */
  shutdownTimeout: number;
  /**
   * Milliseconds the handler has to return its final `Response` (a body may
   * stream for longer). On expiry `request.signal` aborts with a
   * `TimeoutError`, `onError` is told, and the client gets `503` with
   * `Connection: close`, as Go's `TimeoutHandler` answers. Checked by the
   * server's sweep, so up to a second late. Default 300 000 (5 min, the figure
   * of Node's `requestTimeout`): long polls fit, a handler that never
   * resolves cannot hold its connection forever. `Infinity` turns it off.
   * Not applied by the `node-http` backend.
   */
  handlerTimeout: number;
  /**
   * Most interim (1xx) responses sent for one request, the automatic
   * `100 Continue` included; further `sendInformational` calls return
   * `{ sent: false, reason: "too-many" }`. Default 100, the count this
   * package's client (and undici's) accepts before a final response.
   */
  maxInformational: number;
  /**
   * Largest interim response sent, in bytes on the wire (status line, field
   * lines and the empty line); a larger one is not sent and
   * `sendInformational` returns `{ sent: false, reason: "too-large" }`.
   * Default 16 384: Node's clients refuse a head over 16 KiB
   * (`maxHeaderSize`), and with it the whole response.
   */
  maxInformationalBytes: number;
  /**
   * HTTP/2: most streams a client may have open on one connection at once
   * (SETTINGS_MAX_CONCURRENT_STREAMS, advertised and enforced by the server:
   * a stream over it is refused with RST_STREAM `REFUSED_STREAM` before the
   * handler runs, and counts like a reset stream). Default 100 (h2o's and
   * Chromium's figure; RFC 9113 section 6.5.2 recommends no less).
   */
  maxConcurrentStreams: number;
  /**
   * HTTP/2 rapid reset (CVE-2023-44487): streams a client may reset (or
   * have refused) in one burst; then the connection gets GOAWAY
   * `ENHANCE_YOUR_CALM` and closes. Refilled at `streamResetRate` per
   * second. Default 1000, Node's `streamResetBurst`. Counted by the server
   * on every runtime (Deno's `node:http2` ignores the option) and given to
   * the runtime as well, whose own bound would otherwise stop at 1000.
   */
  streamResetBurst: number;
  /** Reset streams per second refilled into `streamResetBurst`. Default 33, Node's `streamResetRate`. */
  streamResetRate: number;
  /**
   * HTTP/2 PING, SETTINGS and PRIORITY floods: such frames (ACKs aside) a
   * client may send in one burst; then the connection gets GOAWAY
   * `ENHANCE_YOUR_CALM` and closes. Refilled at `controlFrameRate` per
   * second. Default 1000. (On HTTP/2, `maxHeaderBytes` also bounds one
   * header block on the wire, CONTINUATION frames and their 9-byte frame
   * headers included, which ends a CONTINUATION flood the same way.)
   */
  controlFrameBurst: number;
  /** Control frames per second refilled into `controlFrameBurst`. Default 100. */
  controlFrameRate: number;
}

/** Options of {@linkcode ServeHandler} servers started with `serve()`. */
export interface ServeOptions {
  /** Interface to bind; default `"0.0.0.0"`. */
  readonly hostname?: string | undefined;
  /** TCP port; default 8000; 0 picks a free port (read it back from `server.addr`). */
  readonly port?: number | undefined;
  /** Listen on this unix socket path instead of TCP. */
  readonly path?: string | undefined;
  /** Serve HTTPS with this PEM certificate chain and key. */
  readonly cert?: string | undefined;
  /** The PEM private key for `cert`. */
  readonly key?: string | undefined;
  /** Parser limits and timeouts; unset fields keep their defaults. */
  readonly limits?: Partial<ServeLimits> | undefined;
  /** Aborting it shuts the server down gracefully. */
  readonly signal?: AbortSignal | undefined;
  /** Called once the listener is bound, with its address. */
  readonly onListen?: ((addr: SocketAddress) => void) | undefined;
  /**
   * Called when a handler throws or rejects; the client gets a 500 either way.
   * Default: `console.error`.
   */
  readonly onError?: ((error: unknown, request: Request) => void) | undefined;
  /**
   * Which implementation to use: a name, or a socket adapter object. The
   * default is the engine on the current runtime's sockets.
   */
  readonly adapter?: ServeAdapterName | RuntimeAdapter | undefined;
  /**
   * Serve HTTP/2 beside HTTP/1.1 on the same port, through the runtime's
   * own `node:http2`: offered by ALPN with TLS (on by default then, as
   * `Deno.serve` does), and with prior knowledge (h2c) on a cleartext port
   * when `true`. `false` serves HTTP/1.1 only. Not available with the
   * `node-http` adapter.
   */
  readonly http2?: boolean | undefined;
  /**
   * Decides, per request, whether interim responses other than
   * `100 Continue` may go to it: some clients and proxies mishandle them
   * (Python's `http.client` and nginx 1.22 take a 103 as the final
   * response; see docs/compatibility.md). Asked once per request, at its
   * first such interim response; when it returns `false`, nothing is sent
   * and `sendInformational` reports `{ sent: false, reason: "policy" }`.
   * Default: no policy, every interim response goes out. `server.ts`
   * exports built-in choices (see docs/server.md, "Hint policy").
   */
  readonly hintPolicy?: HintPolicy | undefined;
}

/**
 * A server's hint policy: whether interim responses other than
 * `100 Continue` may go to this request. A throw fails the
 * `sendInformational` call that asked (and so the handler, unless it
 * catches).
 */
export type HintPolicy = (request: Request) => boolean;

/** A running server, as `serve()` resolves it. */
export interface Server {
  /** The bound address (with the real port when 0 was asked for). */
  readonly addr: SocketAddress;
  /**
   * A URL a client can connect to, no trailing slash: `http://host:port` or
   * `https://host:port` for TCP (a wildcard bind is named by its loopback,
   * `0.0.0.0` by `127.0.0.1` and `::` by `[::1]`; `addr` keeps the bound
   * address); `http+unix://` (`https+unix://`) plus the percent-encoded path
   * for a unix socket, which this package's `fetch`, `Client` and CLI accept.
   */
  readonly url: string;
  /** Which implementation is serving. */
  readonly adapter: ServeAdapterName | string;
  /** Resolves once the server has stopped and every connection is closed; never rejects. */
  readonly finished: Promise<void>;
  /**
   * Stops accepting, closes idle connections, lets in-flight exchanges finish
   * (their responses carry `Connection: close`), then resolves. Exchanges
   * still running after `limits.shutdownTimeout` are closed.
   */
  shutdown(): Promise<void>;
  /** Stops at once: closes every connection and aborts in-flight requests. */
  close(): Promise<void>;
  /** Same as `shutdown()`, for `await using`. */
  [Symbol.asyncDispose](): Promise<void>;
}

/** Why an interim response was not sent, without it being an error. */
export type InformationalSkipReason =
  /** The client speaks HTTP/1.0, to which RFC 9110 section 15.2 forbids sending 1xx. */
  | "http/1.0"
  /** The request is not served by a server that can send interim responses (e.g. plain `Deno.serve`). */
  | "unsupported"
  /**
   * The connection closed (the client left, or the server closed it) before
   * the final response was complete.
   */
  | "closed"
  /**
   * Too late: the handler has already returned its final response, which is
   * being written; a 1xx can only come before the final response.
   */
  | "final-response-started"
  /**
   * Too late: the final response has been sent in full and the exchange is
   * over (a progress timer still firing after the handler returned, say).
   */
  | "finished"
  /** This request already had `limits.maxInformational` interim responses. */
  | "too-many"
  /** The interim response is larger than `limits.maxInformationalBytes`. */
  | "too-large"
  /** The server's `hintPolicy` withholds interim responses (other than 100) from this request. */
  | "policy"
  /** Every field of this 103 is a link `learnedHints()` already sent for this request. */
  | "duplicate";

/** The outcome of `sendInformational()`. */
export type InformationalResult =
  | { readonly sent: true }
  | { readonly sent: false; readonly reason: InformationalSkipReason };

/**
 * Options of `sendInformational()`.
 *
 * @example A hint that must leave before synchronous rendering
 * ```ts
 * import assert from "node:assert/strict";
 * import { sendInformational, serve } from "@interim/http/server";
 * import { fetch } from "@interim/http/client";
 *
 * const renderToString = () => "<h1>hi</h1>"; // stands for a synchronous renderer
 * const server = await serve((request) => {
 *   sendInformational(request, 103, { link: "</app.css>; rel=preload; as=style" }, { flush: true });
 *   const html = renderToString(); // synchronous: the hint is already on the wire
 *   return new Response(html, { headers: { "content-type": "text/html" } });
 * }, { hostname: "127.0.0.1", port: 0 });
 * try {
 *   const response = await fetch(server.url);
 *   assert.equal(response.informational.length, 1);
 *   assert.equal(await response.text(), "<h1>hi</h1>");
 * } finally {
 *   await server.shutdown();
 * }
 * ```
 */
export interface SendInformationalOptions {
  /**
   * Write the interim response now, in a write of its own. By default it
   * leaves when the current microtasks have run, which is before the handler
   * waits on anything, and rides in the final response's write when the
   * handler answers in that same turn (one system call less). A handler that
   * goes on with synchronous work after the hint (rendering a page in one
   * call, say) would hold it until that work ends; `flush: true` sends it
   * first, on every runtime.
   */
  readonly flush?: boolean;
}
