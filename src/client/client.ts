/**
 * `Client`: a connection pool per origin with a `fetch` that reports interim
 * responses.
 *
 * @module
 */

import { Http1Error } from "../http1/errors.ts";
import { defaultAdapter } from "../runtime/select.ts";
import type { ClientTlsOptions, ConnectOptions, RuntimeAdapter } from "../runtime/types.ts";
import type { ExchangeRequest, ExchangeResponse } from "./exchange.ts";
import { isStaleConnectionError } from "./exchange_errors.ts";
import { FetchError } from "./errors.ts";
import { isRefusedStreamError } from "./h2_exchange.ts";
import { H2Session } from "./h2_session.ts";
import { OriginPool } from "./pool.ts";
import { isRedirectStatus, redirectRequest } from "./redirect.ts";
import { hasHeader, headerValue, type PreparedRequest, prepareRequest } from "./request.ts";
import { encodeHeadCached } from "./request_head.ts";
import { buildResponse } from "./response.ts";
import type { Target } from "./target.ts";
import type { ClientOptions, FetchInit, FetchResponse } from "./types.ts";

/** The numeric defaults of {@linkcode ClientOptions}. */
export interface ClientDefaults {
  /** Most sockets per origin: `Infinity`. */
  readonly maxSocketsPerOrigin: number;
  /** Idle keep-alive lifetime: 4000 ms. */
  readonly idleTimeout: number;
  /** Connect timeout: 10000 ms. */
  readonly connectTimeout: number;
  /** Final-head timeout: 300000 ms. */
  readonly headersTimeout: number;
  /** Body silence timeout: 300000 ms. */
  readonly bodyTimeout: number;
  /** Wait for `100 Continue`: 1000 ms. */
  readonly expectContinueTimeout: number;
  /** Interim responses per request: 100. */
  readonly maxInformational: number;
  /** Redirects per request: 20. */
  readonly maxRedirections: number;
}

/**
 * The defaults of {@linkcode ClientOptions}.
 *
 * @example Reading a default
 * ```ts
 * import assert from "node:assert/strict";
 * import { CLIENT_DEFAULTS } from "./client.ts";
 * assert.equal(CLIENT_DEFAULTS.maxInformational, 100);
 * ```
 */
export const CLIENT_DEFAULTS: ClientDefaults = Object.freeze({
  maxSocketsPerOrigin: Infinity,
  idleTimeout: 4_000,
  connectTimeout: 10_000,
  headersTimeout: 300_000,
  bodyTimeout: 300_000,
  expectContinueTimeout: 1_000,
  maxInformational: 100,
  maxRedirections: 20,
});

// RFC 9110 section 9.2.2; Go also retries only these on a stale connection.
const IDEMPOTENT = new Set(["GET", "HEAD", "OPTIONS", "PUT", "DELETE", "TRACE"]);

/**
 * A pool of HTTP/1.1 connections with a `fetch` that reports every interim
 * (1xx) response. Keeps sockets alive per origin (`scheme://host:port`, or
 * the `socketPath`), reuses one only after a clean exchange, and lets the
 * process exit while its sockets are idle.
 *
 * @example Seeing 103 Early Hints before the final response
 * ```ts
 * import assert from "node:assert/strict";
 * import { Client } from "@interim/http/client";
 * import { sendInformational, serve } from "@interim/http/server";
 *
 * const server = await serve((request) => {
 *   sendInformational(request, 103, { "x-pod-name": "daemon-0" });
 *   return new Response("done");
 * }, { hostname: "127.0.0.1", port: 0 });
 * try {
 *   await using client = new Client({ connectTimeout: 2_000 });
 *   const pods: (string | null)[] = [];
 *   const response = await client.fetch(server.url, {
 *     onInformational(info) {
 *       pods.push(info.headers.get("x-pod-name"));
 *     },
 *   });
 *   assert.deepEqual(pods, ["daemon-0"]);
 *   assert.equal(await response.text(), "done");
 * } finally {
 *   await server.shutdown();
 * }
 * ```
 */
export class Client {
  readonly #pools = new Map<string, OriginPool>();
  readonly #maxSockets: number;
  readonly #idleTimeout: number;
  readonly #connectTimeout: number;
  readonly #headersTimeout: number;
  readonly #bodyTimeout: number;
  readonly #expectContinueTimeout: number;
  readonly #maxInformational: number;
  readonly #maxRedirections: number;
  readonly #tls: ClientTlsOptions | undefined;
  readonly #socketPath: string | undefined;
  readonly #http2: boolean;
  readonly #adapter: () => Promise<RuntimeAdapter>;
  #closed = false;

  /**
   * Creates a client; no socket is opened until the first request.
   *
   * @param options Limits, timeouts, TLS and transport; see {@linkcode ClientOptions}.
   * @throws {RangeError} For a negative or non-numeric limit.
   */
  constructor(options: ClientOptions = {}) {
    this.#maxSockets = positive(options.maxSocketsPerOrigin, "maxSocketsPerOrigin");
    this.#idleTimeout = positive(options.idleTimeout, "idleTimeout", true);
    this.#connectTimeout = positive(options.connectTimeout, "connectTimeout");
    this.#headersTimeout = positive(options.headersTimeout, "headersTimeout");
    this.#bodyTimeout = positive(options.bodyTimeout, "bodyTimeout");
    this.#expectContinueTimeout = positive(
      options.expectContinueTimeout,
      "expectContinueTimeout",
      true,
    );
    this.#maxInformational = positive(options.maxInformational, "maxInformational", true);
    this.#maxRedirections = positive(options.maxRedirections, "maxRedirections", true);
    this.#tls = options.tls;
    this.#socketPath = options.socketPath;
    this.#http2 = options.http2 ?? true;
    const adapter = options.adapter;
    this.#adapter = adapter !== undefined ? () => Promise.resolve(adapter) : defaultAdapter;
  }

  /**
   * Sends a request, like the global `fetch`, and reports interim responses
   * to `init.onInformational` as they arrive.
   *
   * @param input A URL string, `URL` or `Request`.
   * @param init `RequestInit` plus `onInformational`. Honoured: `method`,
   * `headers`, `body` (every `BodyInit`; a `ReadableStream` is sent chunked,
   * or with the `Content-Length` given in `headers`, which it must match),
   * `redirect`, `signal`, `decompress`, `defaultHeaders`. Browser-only
   * fields (`mode`, `credentials`, `cache`, `referrer`, `integrity`,
   * `keepalive`, `priority`) are ignored.
   * @returns The final response: a standard `Response` with `url`,
   * `redirected`, and the extra `informational` and `rawHeaders`.
   * @throws {FetchError} (a `TypeError`) for network and protocol failures,
   * the signal's reason when aborted, or what `onInformational` threw.
   *
   * @example A POST that waits for 100 Continue
   * ```ts
   * import assert from "node:assert/strict";
   * import { Client } from "@interim/http/client";
   * import { serve } from "@interim/http/server";
   *
   * const server = await serve(async (request) => {
   *   const body = await request.arrayBuffer(); // reading it sends 100 Continue
   *   return new Response(String(body.byteLength));
   * }, { hostname: "127.0.0.1", port: 0 });
   * try {
   *   await using client = new Client();
   *   const response = await client.fetch(new URL("/upload", server.url), {
   *     method: "POST",
   *     headers: { expect: "100-continue" },
   *     body: new Uint8Array(1 << 20),
   *   });
   *   assert.deepEqual(response.informational.map((info) => info.status), [100]);
   *   assert.equal(await response.text(), String(1 << 20));
   * } finally {
   *   await server.shutdown();
   * }
   * ```
   */
  async fetch(input: string | URL | Request, init?: FetchInit): Promise<FetchResponse> {
    if (this.#closed) throw new FetchError("CLIENT_CLOSED", "the client is closed");
    const prepared = prepareRequest(input, init);
    let request = prepared instanceof Promise ? await prepared : prepared;
    const signal = request.signal;
    if (signal?.aborted) throw signal.reason;
    let redirects = 0;
    for (;;) {
      const result = await this.#send(request);
      const status = result.head.status;
      if (request.redirect !== "manual" && isRedirectStatus(status)) {
        const location = headerValue(result.head.headers, "location");
        // Like fetch, "error" refuses any redirect status, even without Location.
        if (request.redirect === "error") {
          discardBody(result);
          throw new FetchError(
            "REDIRECT_REFUSED",
            `redirect ${status} to ${JSON.stringify(location ?? null)} while redirect is "error"`,
          );
        }
        if (location !== undefined) {
          discardBody(result);
          if (++redirects > this.#maxRedirections) {
            throw new FetchError(
              "REDIRECT_LIMIT",
              `more than ${this.#maxRedirections} redirects (maxRedirections)`,
            );
          }
          request = redirectRequest(request, status, location);
          continue;
        }
      }
      const response = buildResponse(
        request.target.href,
        result,
        redirects > 0,
        request.decompress,
      );
      Object.defineProperty(response, "httpVersion", { value: httpVersionOf(result) });
      return response;
    }
  }

  /** Closes the idle sockets now; busy ones stay until their exchange ends. */
  closeIdle(): void {
    for (const pool of this.#pools.values()) pool.closeIdle();
  }

  /**
   * Closes every socket. Requests queued or in flight fail with
   * `CLIENT_CLOSED` (a body being read errors); later calls to `fetch` reject.
   *
   * @returns Resolves once everything is closed.
   */
  close(): Promise<void> {
    this.#closed = true;
    const error = new FetchError("CLIENT_CLOSED", "the client was closed");
    for (const pool of this.#pools.values()) pool.close(error);
    this.#pools.clear();
    return Promise.resolve();
  }

  /**
   * Closes the client at the end of an `await using` block.
   *
   * @returns Resolves once everything is closed.
   */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  async #send(request: PreparedRequest): Promise<ExchangeResponse> {
    let head;
    try {
      head = encodeHeadCached(request);
    } catch (error) {
      if (!(error instanceof Http1Error)) throw error;
      throw new FetchError("INVALID_REQUEST", `fetch: ${error.message}`, { cause: error });
    }
    const exchange: ExchangeRequest = {
      method: request.method,
      head: head.bytes,
      body: request.body,
      expectContinue: head.expectContinue,
      connectionClose: head.connectionClose,
      onInformational: request.onInformational,
      signal: request.signal,
      headersTimeout: this.#headersTimeout,
      bodyTimeout: this.#bodyTimeout,
      expectContinueTimeout: this.#expectContinueTimeout,
    };
    for (let attempt = 0;; attempt++) {
      // Looked up each time: a pool left without sockets is dropped from the map.
      const acquired = this.#pool(request.target).acquire(request.signal);
      const carrier = acquired instanceof Promise ? await acquired : acquired;
      try {
        if (carrier instanceof H2Session) {
          const result = await carrier.exchange(exchange, request);
          h2Results.add(result);
          return result;
        }
        return await carrier.exchange(exchange);
      } catch (error) {
        const stale = isStaleConnectionError(error) || isRefusedStreamError(error);
        if (attempt === 0 && stale && replayable(request)) continue;
        throw error;
      }
    }
  }

  #pool(target: Target): OriginPool {
    let pool = this.#pools.get(target.originKey);
    if (pool === undefined) {
      if (this.#closed) throw new FetchError("CLIENT_CLOSED", "the client is closed");
      pool = this.#createPool(target);
      this.#pools.set(target.originKey, pool);
    }
    return pool;
  }

  #createPool(target: Target): OriginPool {
    const { https, hostname, port } = target;
    // An http+unix: URL names its own socket; socketPath serves http(s): URLs.
    const socketPath = target.socketPath ?? this.#socketPath;
    if (socketPath !== undefined) checkSocketPathLength(socketPath);
    let tls: ClientTlsOptions | undefined;
    if (https) {
      tls = { ...this.#tls };
      // Over a unix socket there is no host to default the SNI name to.
      if (socketPath !== undefined && tls.serverName === undefined) {
        tls = { ...tls, serverName: hostname };
      }
    }
    const connect: ConnectOptions = socketPath !== undefined
      ? (tls !== undefined ? { path: socketPath, tls } : { path: socketPath })
      : (tls !== undefined ? { hostname, port, tls } : { hostname, port });
    // HTTP/2 is offered over TLS on TCP; a unix socket keeps HTTP/1.1.
    const h2Authority = this.#http2 && https && socketPath === undefined
      ? `https://${target.url.host}`
      : undefined;
    const pool: OriginPool = new OriginPool({
      adapter: this.#adapter,
      connect,
      target: socketPath ?? `${target.url.hostname}:${port}`,
      maxSockets: this.#maxSockets,
      idleTimeout: this.#idleTimeout,
      connectTimeout: this.#connectTimeout,
      limits: { maxInformational: this.#maxInformational },
      ...(h2Authority !== undefined ? { h2Authority } : {}),
      // Forget origins with no sockets left, so a long-lived client that
      // talks to many hosts does not grow without bound.
      onEmpty: () => {
        if (this.#pools.get(target.originKey) === pool) this.#pools.delete(target.originKey);
      },
    });
    return pool;
  }
}

/**
 * The longest unix socket path any system connects to, in bytes: Linux's
 * `sun_path` holds 108 with the final NUL, macOS's 104.
 */
const MAX_SOCKET_PATH_BYTES = 107;

/**
 * Refuses a socket path no system can connect to before trying: the runtimes
 * fail differently (Node truncates it and reports ENOENT, Deno and Bun say
 * EINVAL), and neither names the cause.
 */
function checkSocketPathLength(socketPath: string): void {
  const bytes = new TextEncoder().encode(socketPath).byteLength;
  if (bytes > MAX_SOCKET_PATH_BYTES) {
    throw new FetchError(
      "INVALID_REQUEST",
      `the unix socket path ${JSON.stringify(socketPath)} is ${bytes} bytes long; ` +
        `a unix socket path takes at most ${MAX_SOCKET_PATH_BYTES} (103 on macOS)`,
    );
  }
}

/** The results that came over HTTP/2. */
const h2Results = new WeakSet<ExchangeResponse>();

/** The protocol version of a result, as `response.httpVersion` shows it. */
function httpVersionOf(result: ExchangeResponse): "1.0" | "1.1" | "2" {
  if (h2Results.has(result)) return "2";
  return result.head.minorVersion === 0 ? "1.0" : "1.1";
}

function replayable(request: PreparedRequest): boolean {
  if (request.body !== null && request.body.kind === "stream") return false;
  return IDEMPOTENT.has(request.method) || hasHeader(request.headers, "idempotency-key");
}

function discardBody(result: ExchangeResponse): void {
  const body = result.body;
  // A body still arriving is cancelled, which closes its connection; one
  // that arrived whole left the connection in the pool already.
  if (body instanceof ReadableStream) body.cancel().catch(() => {});
}

function positive(
  value: number | undefined,
  name: keyof typeof CLIENT_DEFAULTS,
  allowZero = false,
): number {
  if (value === undefined) return CLIENT_DEFAULTS[name];
  if (
    typeof value !== "number" || Number.isNaN(value) || value < 0 || (!allowZero && value === 0)
  ) {
    throw new RangeError(
      `Client: ${name} must be a ${allowZero ? "non-negative" : "positive"} number, got ${value}`,
    );
  }
  return value;
}
