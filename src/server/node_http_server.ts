/**
 * The `node:http` transport (`serve(..., { adapter: "node-http" })`):
 * `node:http` / `node:https` parse and frame (src/runtime/node_http.ts
 * binds), and each request is served by the same exchange core as the
 * engine's (src/server/exchange.ts) through a {@linkcode NodeHttpExchange}.
 *
 * Interim responses: the public `ServerResponse.writeInformation()` (Node
 * 24.19+, 26.2+, Bun) where it takes a field list; elsewhere (Node 22,
 * Deno) the response's own raw-output path, which `writeEarlyHints` uses
 * inside (src/server/server_response_interim.ts).
 *
 * Parsing and the head's limits are `node:http`'s: `maxHeaderBytes` becomes
 * `maxHeaderSize`, `headersTimeout` and `idleTimeout` (as
 * `keepAliveTimeout`) are applied; `maxStartLineBytes`, `maxHeaderCount`,
 * `maxChunkLineBytes` and `maxBodyBytes` are the engine's and are not
 * enforced here (`node:http` has its own fixed limits). Flow control is the
 * engine's, applied by one sweep per server: pipelined requests run one at
 * a time, the next once the previous response is out
 * (node_http_pipeline.ts); `bodyTimeout`, `minBodyRate`, `sendTimeout` and
 * `handlerTimeout` are checked per exchange. This module is browser
 * compatible (it names no runtime).
 *
 * @module
 */

import type { HttpIncoming, HttpOutgoing, HttpSocket } from "../runtime/http_message.ts";
import { listenNodeHttp, type NodeHttpListener } from "../runtime/node_http.ts";
import { PipelineGate } from "../runtime/node_http_pipeline.ts";
import type { SocketAddress } from "../runtime/types.ts";
import { authorityOf, type BackendSettings, type ServerBackend } from "./backend.ts";
import { sweepPeriod } from "./limits.ts";
import { fetchMethod, isForbiddenMethod } from "./methods.ts";
import { NodeHttpExchange, type NodeHttpHost, readRawFields } from "./node_http_exchange.ts";
import { RequestUrls } from "./request_url.ts";
import type { HintPolicy, ServeLimits } from "./types.ts";

/**
 * Starts a `node:http` (or `node:https`) server for `settings`.
 *
 * @param settings The handler, options and limits.
 * @returns The running backend once it listens.
 * @throws {Error} When the address cannot be bound.
 */
export async function startNodeHttpServer(settings: BackendSettings): Promise<ServerBackend> {
  const backend = new NodeHttpServer(settings);
  const { options, limits } = settings;
  const listener = await listenNodeHttp(
    {
      hostname: options.hostname,
      port: options.port,
      path: options.path,
      cert: options.cert,
      key: options.key,
      maxHeaderBytes: limits.maxHeaderBytes,
      headersTimeout: limits.headersTimeout,
      idleTimeout: limits.idleTimeout,
    },
    (incoming, outgoing, expectContinue) => backend.handle(incoming, outgoing, expectContinue),
    (
      outgoing,
      error,
    ) => backend.requestFailed(outgoing, error),
  );
  backend.bind(listener);
  return backend;
}

class NodeHttpServer implements ServerBackend, NodeHttpHost {
  readonly adapter = "node-http";
  readonly limits: Readonly<ServeLimits>;
  readonly hintPolicy: HintPolicy | undefined;
  draining = false;
  readonly #settings: BackendSettings;
  #listener: NodeHttpListener | undefined;
  readonly #active = new Set<NodeHttpExchange>();
  /** Sockets whose request we refused with `Connection: close` (RFC 9112 section 9.6). */
  readonly #refused = new WeakSet<object>();
  /** Requests started per socket, for `maxRequestsPerConnection`. */
  readonly #served = new WeakMap<object, number>();
  /** The exchange serving each response, for a request that fails to parse midway. */
  readonly #byResponse = new WeakMap<object, NodeHttpExchange>();
  /** Request URLs, built as the engine builds them (Host checked, userinfo refused). */
  #urls = new RequestUrls("http", "localhost");
  #stopping: Promise<void> | undefined;
  /** One exchange per socket at a time (see node_http_pipeline.ts). */
  readonly #gate = new PipelineGate();
  /** Exchanges with a deadline to check: handler, body, send, linger. */
  readonly #watched = new Set<NodeHttpExchange>();
  #sweep: ReturnType<typeof setInterval> | undefined;

  constructor(settings: BackendSettings) {
    this.#settings = settings;
    this.limits = settings.limits;
    this.hintPolicy = settings.options.hintPolicy;
  }

  get addr(): SocketAddress {
    return this.#listener!.addr;
  }

  bind(listener: NodeHttpListener): void {
    this.#listener = listener;
    this.#urls = new RequestUrls(listener.scheme, authorityOf(listener.addr));
    this.#sweep = setInterval(() => {
      const now = Date.now();
      for (const exchange of this.#watched) {
        if (!exchange.checkDeadlines(now)) this.#watched.delete(exchange);
      }
    }, sweepPeriod(this.limits));
  }

  reportError(error: unknown, request: Request): void {
    this.#settings.onError(error, request);
  }

  shutdown(): Promise<void> {
    return this.#stop(false);
  }

  close(): Promise<void> {
    return this.#stop(true);
  }

  #stop(force: boolean): Promise<void> {
    this.draining = true;
    if (force) this.#destroyAll();
    if (this.#stopping !== undefined) return this.#stopping;
    this.#stopping = new Promise<void>((resolve) => {
      const timer = setTimeout(() => this.#destroyAll(), this.limits.shutdownTimeout);
      this.#listener!.close(() => {
        clearTimeout(timer);
        clearInterval(this.#sweep);
        resolve();
      });
      this.#closeIdle();
    });
    return this.#stopping;
  }

  #closeIdle(): void {
    const busy = new Set<object>();
    for (const exchange of this.#active) busy.add(exchange.socket);
    for (const socket of this.#listener!.sockets) if (!busy.has(socket)) socket.end();
  }

  #destroyAll(): void {
    const reason = new DOMException("the server is closing", "AbortError");
    for (const exchange of this.#active) exchange.core.abort(reason);
    for (const socket of this.#listener!.sockets) socket.destroy();
  }

  /** A request parsed by `node:http`. */
  handle(incoming: HttpIncoming, outgoing: HttpOutgoing, expectContinue: boolean): void {
    const socket = incoming.socket;
    if (this.#refused.has(socket)) {
      // node:http already parsed a request pipelined behind one we refused;
      // after "Connection: close" no further request may be processed
      // (RFC 9112 section 9.6), and its framing cannot be trusted anyway.
      socket.end();
      return;
    }
    // node:http emits every pipelined request it parsed at once: run them
    // one at a time, the next once the previous response is out.
    const queued = this.#gate.enter(socket, () => {
      if (outgoing.destroyed || socket.destroyed) return false;
      this.#run(incoming, outgoing, expectContinue);
      return true;
    });
    if (!queued) socket.destroy();
  }

  #run(incoming: HttpIncoming, outgoing: HttpOutgoing, expectContinue: boolean): void {
    const socket = incoming.socket;
    const served = (this.#served.get(socket) ?? 0) + 1;
    this.#served.set(socket, served);
    if (served > this.limits.maxRequestsPerConnection) {
      // Pipelined past the last request the connection serves.
      socket.end();
      return;
    }
    const { fields, host, hasBody, contentLength } = readRawFields(incoming.rawHeaders);
    const method = fetchMethod(incoming.method ?? "GET");
    const withBody = hasBody && method !== "GET" && method !== "HEAD";
    const exchange = new NodeHttpExchange(
      incoming,
      outgoing,
      this,
      method,
      expectContinue && withBody,
      served >= this.limits.maxRequestsPerConnection,
    );
    const core = exchange.core;
    this.#byResponse.set(outgoing, exchange);
    this.#active.add(exchange);
    this.#watched.add(exchange);
    let running = true;
    const leave = () => {
      if (!running) return;
      running = false;
      this.#gate.leave(socket);
    };
    outgoing.once("finish", () => {
      exchange.responseFinished();
      leave();
    });
    outgoing.once("close", () => {
      leave();
      this.#active.delete(exchange);
      // Done exchanges leave at once, not at the next sweep.
      if (!exchange.hasDeadline) this.#watched.delete(exchange);
      if (!outgoing.writableFinished) {
        core.abort(new DOMException("the connection closed", "AbortError"));
      }
      if (this.draining) this.#closeIdle();
    });
    if (incoming.httpVersionMajor !== 1) {
      // node:http parses any version number; this server speaks HTTP/1.x here.
      this.#refuse(socket, core, 505);
      return;
    }
    const coding = hasBody ? incoming.headers["transfer-encoding"] : undefined;
    if (coding !== undefined) {
      // RFC 9112 section 6.1: node:http removed the chunked layer only.
      // Chunked not last is a framing error (400); another coding before
      // it is one we cannot decode (501). Answered as the engine does.
      const codings = String(coding).toLowerCase().split(",").map((item) => item.trim());
      if (codings.at(-1) !== "chunked") {
        this.#refuse(socket, core, 400);
        return;
      }
      if (codings.length > 1) {
        this.#refuse(socket, core, 501);
        return;
      }
    }
    if (isForbiddenMethod(method)) {
      this.#refuse(socket, core, 501);
      return;
    }
    if (contentLength > this.limits.maxBodyBytes) {
      // RFC 9110 section 15.5.14, before reading any of it, as the engine.
      this.#refuse(socket, core, 413);
      return;
    }
    const url = this.#urls.of({ target: incoming.url ?? "/", headers: [["host", host]] });
    if (url === undefined) {
      this.#refuse(socket, core, 400);
      return;
    }
    try {
      core.createRequest(url, fields, withBody ? exchange.bodyStream() : undefined);
    } catch {
      this.#refuse(socket, core, 400);
      return;
    }
    core.run(this.#settings.handler);
  }

  /**
   * node:http could not parse the rest of a request (a malformed chunked
   * body): the handler's body read fails with a 400, which it answers (or
   * rethrows for the core to answer), and the connection closes.
   */
  requestFailed(outgoing: object, error: Error): boolean {
    const exchange = this.#byResponse.get(outgoing);
    return exchange !== undefined && exchange.requestFailed(error);
  }

  /** Answers a request we cannot serve and closes after it. */
  #refuse(socket: HttpSocket, core: NodeHttpExchange["core"], status: number): void {
    this.#refused.add(socket);
    core.answer(status, false);
  }
}
