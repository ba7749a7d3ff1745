/**
 * `forward()`: a reverse-proxy primitive for a fetch handler served by
 * `serve()`. It sends the request upstream with this package's client,
 * relays each upstream interim response (`103 Early Hints`, `102`, `104`...)
 * downstream as it arrives, then returns the upstream's final response with
 * its body streaming through, undecoded. Modelled on Go's
 * `httputil.ReverseProxy` (Go 1.20 and later).
 *
 * @module
 */

import { Client } from "../client/client.ts";
import { FetchError } from "../client/errors.ts";
import type { FetchResponse, InformationalResponse } from "../client/types.ts";
import type { HeaderList } from "../http1/types.ts";
import type { SocketAddress } from "../runtime/types.ts";
import { withForwardedFields, withoutHopByHop } from "./forward_fields.ts";
import { parseUpstream, upstreamUrl } from "./forward_url.ts";
import { interimTargetOf } from "../server/request_factory.ts";
import { FORBIDDEN_IN_INTERIM, sendInformational } from "../server/send_informational.ts";

/** Options of {@linkcode forward}. Every one has a default. */
export interface ForwardInit {
  /**
   * The client (connection pool) that talks to the upstream; its options set
   * the timeouts (`connectTimeout`, `headersTimeout`, `bodyTimeout`), TLS
   * (`tls.ca` for a private upstream) and HTTP/2. Default: one client shared
   * by every `forward()` call of the process, made on first use with
   * `headersTimeout` and `bodyTimeout` of 60 s (nginx's `proxy_read_timeout`)
   * and the client's other defaults. Closing it is the caller's business.
   */
  readonly client?: Client | undefined;
  /**
   * Most upstream interim responses relayed for one request; later ones are
   * dropped, without error. Default 20. The server's own
   * `limits.maxInformational` also applies, and the client refuses the
   * whole upstream response past its `maxInformational` (100 by default),
   * which `forward()` then answers with 502.
   */
  readonly maxInformational?: number | undefined;
  /**
   * The downstream client's address (the handler's `info.remoteAddr`), for
   * `X-Forwarded-For`; a `Request` does not carry it. Without it no address
   * is added.
   */
  readonly remoteAddr?: SocketAddress | undefined;
  /**
   * Keep the `Forwarded` and `X-Forwarded-*` fields of the incoming request
   * (this server sits behind a proxy it trusts) and append to
   * `X-Forwarded-For`. Default `false`: any client can forge them, so they
   * are dropped and set afresh, as Go's `ProxyRequest.SetXForwarded` does.
   */
  readonly trustForwarded?: boolean | undefined;
  /**
   * A `Via` element to append to the upstream request (RFC 9110 section
   * 7.6.3), such as `"1.1 edge"`. Default none, as Go's `ReverseProxy` and
   * nginx send none.
   */
  readonly via?: string | undefined;
  /** Aborts the upstream request too (besides `request.signal`). */
  readonly signal?: AbortSignal | undefined;
  /**
   * Told why the upstream could not be reached (the client then gets 502
   * or 504). Default: `console.error`, as Go's `ReverseProxy` logs.
   */
  readonly onError?: ((error: unknown, request: Request) => void) | undefined;
}

/** {@linkcode ForwardInit.maxInformational}'s default. */
const DEFAULT_MAX_RELAYED = 20;

let sharedClient: Client | undefined;

/** The client `forward()` uses when given none, made once. */
function defaultClient(): Client {
  return sharedClient ??= new Client({ headersTimeout: 60_000, bodyTimeout: 60_000 });
}

// Our client refuses these (the fetch standard forbids them); CONNECT would
// need a tunnel.
const REFUSED_METHODS = new Set(["CONNECT", "TRACE", "TRACK"]);

/**
 * Forwards `request` to `upstream` and returns the upstream's response, for
 * a handler served by `serve()` (a route of a Hono app, or the whole app).
 *
 * - **URL.** The upstream's origin, its base path joined with the
 *   request's path, both queries (Go's `NewSingleHostReverseProxy` rule).
 *   `Host` is the upstream's; the downstream one goes in
 *   `X-Forwarded-Host`, the scheme in `X-Forwarded-Proto` (see
 *   {@linkcode ForwardInit.trustForwarded}).
 * - **Interim responses.** Each upstream 1xx goes downstream as it arrives,
 *   through `sendInformational()`, up to
 *   {@linkcode ForwardInit.maxInformational}. `100 Continue` is relayed only
 *   when the request carried `Expect: 100-continue` and no `100` went out
 *   yet: the server sends one itself as soon as the body is read, which
 *   the client does when the upstream's `100` arrives (or after its
 *   `expectContinueTimeout`), so the client gets exactly one. `101` is never
 *   relayed; a request asking for a protocol upgrade (WebSocket) is answered
 *   `501` (an `h2c` offer is dropped, as any server may ignore it).
 * - **Fields.** Hop-by-hop fields (RFC 9110 section 7.6.1: `Connection` and
 *   every field it names, `Keep-Alive`, `Proxy-Connection`, `TE` (even
 *   `te: trailers`: trailers are not relayed), `Trailer`, `Transfer-Encoding`,
 *   `Upgrade`, `Proxy-Authorization`, `Proxy-Authenticate`) are removed
 *   from the request, from each relayed 1xx and from the final response.
 *   The client adds no `Accept`, `Accept-Encoding` or `User-Agent` of its
 *   own.
 * - **Body.** The request body streams up; the response body streams down as
 *   the upstream sent it (`Content-Encoding` undone nowhere,
 *   `Content-Length` kept). Redirects are relayed, not followed. Trailers
 *   are not relayed.
 * - **Failures.** When the client leaves, `request.signal` aborts the
 *   upstream request and its socket is closed, not reused. An upstream that
 *   fails mid-body fails the downstream body (the server then closes the
 *   connection or resets the stream). An unreachable upstream or a broken
 *   response is `502 Bad Gateway`, a connect or header timeout
 *   `504 Gateway Timeout`, each reported to
 *   {@linkcode ForwardInit.onError}.
 *
 * @param request The handler's request (with Hono: `c.req.raw`). It may come
 * from another server, but only `serve()`'s requests can relay 1xx.
 * @param upstream An `http:` or `https:` URL, optionally with a base path.
 * @param init The client, bounds and forwarding choices.
 * @returns The response to return from the handler.
 * @throws {TypeError} When `upstream` is not an `http:`/`https:` URL.
 * @throws {RangeError} When `init.maxInformational` is negative or not a number.
 *
 * @example A proxy in front of an app that sends 103 Early Hints
 * ```ts
 * import assert from "node:assert/strict";
 * import { forward, sendInformational, serve } from "@interim/http/server";
 * import { Client } from "@interim/http/client";
 *
 * const app = await serve((request) => {
 *   sendInformational(request, 103, { link: "</app.css>; rel=preload; as=style" });
 *   return new Response(`app saw ${new URL(request.url).pathname}`);
 * }, { hostname: "127.0.0.1", port: 0 });
 * const proxy = await serve((request) => forward(request, new URL("/app", app.url)), {
 *   hostname: "127.0.0.1",
 *   port: 0,
 * });
 * try {
 *   await using client = new Client();
 *   const response = await client.fetch(new URL("/page", proxy.url));
 *   assert.deepEqual(response.informational.map((info) => info.status), [103]);
 *   assert.equal(response.informational[0]?.headers.get("link"), "</app.css>; rel=preload; as=style");
 *   assert.equal(await response.text(), "app saw /app/page");
 * } finally {
 *   await proxy.shutdown();
 *   await app.shutdown();
 * }
 * ```
 *
 * @example An upstream that is down is a 502
 * ```ts
 * import assert from "node:assert/strict";
 * import { forward } from "@interim/http/server";
 *
 * const errors: unknown[] = [];
 * // Port 1 on the loopback: nobody listens there.
 * const response = await forward(new Request("http://edge.example/"), "http://127.0.0.1:1", {
 *   onError: (error) => errors.push(error),
 * });
 * assert.equal(response.status, 502);
 * assert.equal(errors.length, 1);
 * ```
 */
export async function forward(
  request: Request,
  upstream: string | URL,
  init: ForwardInit = {},
): Promise<Response> {
  if (!(request instanceof Request)) {
    throw new TypeError("forward: the first argument must be the handler's Request");
  }
  const target = parseUpstream(upstream);
  const maxRelayed = checkMaxInformational(init.maxInformational);
  const method = request.method;
  if (REFUSED_METHODS.has(method.toUpperCase())) {
    return plainResponse(501, `forward: the ${method} method is not forwarded\n`);
  }
  const upgrade = request.headers.get("upgrade");
  if (upgrade !== null && !offersOnlyH2c(upgrade)) {
    return plainResponse(501, "forward: protocol upgrades (WebSocket...) are not forwarded\n");
  }
  const signal = init.signal === undefined
    ? request.signal
    : AbortSignal.any([request.signal, init.signal]);
  const hasBody = method !== "GET" && method !== "HEAD" && request.body !== null;
  let upstreamResponse: FetchResponse;
  try {
    upstreamResponse = await (init.client ?? defaultClient()).fetch(
      upstreamUrl(target, request.url),
      {
        method,
        headers: upstreamFields(request, init) as [string, string][],
        body: hasBody ? request.body : null,
        redirect: "manual",
        signal,
        decompress: false,
        defaultHeaders: false,
        onInformational: interimRelay(request, maxRelayed),
      },
    );
  } catch (error) {
    return gatewayError(error, request, init);
  }
  const fields = withoutHopByHop(upstreamResponse.rawHeaders);
  try {
    // Headers refuses what the parser lets through (obs-text...): then 502.
    const headers = new Headers();
    for (const [name, value] of fields) headers.append(name, value);
    keepFieldLines(request, fields);
    return new Response(upstreamResponse.body, {
      status: upstreamResponse.status,
      // A reason phrase is advisory (RFC 9112 section 4); one with obs-text
      // would be re-encoded on the way out, so such a phrase is dropped.
      statusText: /^[\x20-\x7e\t]*$/.test(upstreamResponse.statusText)
        ? upstreamResponse.statusText
        : "",
      headers,
    });
  } catch (error) {
    upstreamResponse.body?.cancel().catch(() => {});
    return gatewayError(error, request, init);
  }
}

/** The request's fields as they go upstream. */
function upstreamFields(request: Request, init: ForwardInit): HeaderList {
  const url = new URL(request.url);
  let fields = withoutHopByHop(request.headers).filter(([name]) => name !== "host");
  const address = init.remoteAddr;
  fields = withForwardedFields(fields, {
    host: url.host,
    proto: url.protocol === "https:" ? "https" : "http",
    clientIp: address?.transport === "tcp" ? address.hostname : undefined,
    trust: init.trustForwarded === true,
  });
  if (init.via !== undefined) {
    const prior = request.headers.get("via");
    fields = fields.filter(([name]) => name !== "via");
    fields.push(["via", prior === null ? init.via : `${prior}, ${init.via}`]);
  }
  return fields;
}

/**
 * The client's `onInformational` for one forwarded request: each upstream
 * 1xx to `sendInformational`, within the bound, `100` only as described on
 * {@linkcode forward}.
 */
function interimRelay(
  request: Request,
  maxRelayed: number,
): (info: InformationalResponse) => void {
  const expectsContinue = /(^|[\s,])100-continue($|[\s,])/i.test(
    request.headers.get("expect") ?? "",
  );
  let relayed = 0;
  return (info) => {
    if (relayed >= maxRelayed) return;
    if (info.status === 100 && (!expectsContinue || continueSettled(request))) return;
    relayed++;
    const fields = withoutHopByHop(info.rawHeaders).filter(([name]) =>
      !FORBIDDEN_IN_INTERIM.has(name)
    );
    try {
      sendInformational(request, info.status, fields);
    } catch {
      // A field our serialiser refuses (obs-text the parser let through):
      // a hint is advisory, so it is dropped rather than failing the request.
    }
  };
}

/**
 * Asks the server to send a field the upstream repeated as the same
 * separate lines (`Headers` joins them with ", "), as the Hono helper does
 * for Go's `Header.Add`: a client that reads lines (Go's) sees what the
 * upstream sent.
 */
function keepFieldLines(request: Request, fields: HeaderList): void {
  const target = interimTargetOf(request);
  if (target === undefined) return;
  const seen = new Map<string, string[]>();
  for (const [name, value] of fields) {
    const values = seen.get(name);
    if (values === undefined) seen.set(name, [value]);
    else values.push(value);
  }
  for (const [name, values] of seen) {
    if (values.length < 2 || name === "set-cookie") continue;
    (target.fieldLines ??= new Map()).set(name, values);
  }
}

/** Whether a `100 Continue` already went downstream (or none is owed). */
function continueSettled(request: Request): boolean {
  return interimTargetOf(request)?.continueSettled ?? true;
}

/** 502, or 504 for a timeout, after telling `onError`; a departed client is told nothing. */
function gatewayError(
  error: unknown,
  request: Request,
  init: ForwardInit,
): Response {
  const timedOut = error instanceof FetchError
    ? error.code === "HEADERS_TIMEOUT" || error.code === "CONNECT_TIMEOUT"
    : error instanceof DOMException && error.name === "TimeoutError";
  if (!request.signal.aborted) {
    try {
      if (init.onError !== undefined) init.onError(error, request);
      else console.error("forward: proxy error:", error);
    } catch (failure) {
      // The client still gets its 502/504: a reporter that throws must not
      // turn the answer into a 500.
      console.error("forward: onError threw while reporting a proxy error:", failure);
    }
  }
  return timedOut ? plainResponse(504, "Gateway Timeout\n") : plainResponse(502, "Bad Gateway\n");
}

function plainResponse(status: number, text: string): Response {
  return new Response(text, { status, headers: { "content-type": "text/plain;charset=UTF-8" } });
}

/** Whether an `Upgrade` value offers nothing but HTTP/2 over cleartext. */
function offersOnlyH2c(value: string): boolean {
  const offers = value.split(",").map((offer) => offer.trim().toLowerCase()).filter((offer) =>
    offer !== ""
  );
  return offers.length > 0 && offers.every((offer) => offer === "h2c");
}

function checkMaxInformational(value: number | undefined): number {
  if (value === undefined) return DEFAULT_MAX_RELAYED;
  if (typeof value !== "number" || Number.isNaN(value) || value < 0) {
    throw new RangeError(
      `forward: maxInformational must be a non-negative number, got ${value}`,
    );
  }
  return value;
}
