/**
 * The `node:http` server backend (`serve(..., { adapter: "node-http" })`):
 * `node:http` / `node:https` parse and frame, and this file converts
 * `IncomingMessage` to a web `Request` and a web `Response` back to
 * `ServerResponse`.
 *
 * Interim responses (src/server/server_response_interim.ts): the public
 * `ServerResponse.writeInformation()` (Node 24.19+, 26.2+, Bun) where it takes
 * a field list; elsewhere (Node 22, Deno) `writeEarlyHints()` sends a 103 only
 * when the hints include `link`, so the response's own raw-output path
 * (`_writeRaw`, which `writeEarlyHints` uses inside) carries the encoded
 * bytes. Both keep them in order with the response even when requests are
 * pipelined. Where neither exists, `writeEarlyHints` (103 with `link`),
 * `writeContinue` (100) and `writeProcessing` (102) are used, and other cases
 * report `"unsupported"`.
 *
 * This backend delegates parsing and the head's limits to `node:http`:
 * `maxHeaderBytes` becomes `maxHeaderSize`, `headersTimeout` and
 * `idleTimeout` (as `keepAliveTimeout`) are applied; `maxStartLineBytes`,
 * `maxHeaderCount`, `maxChunkLineBytes` and `maxBodyBytes` are the engine's
 * and are not enforced here (`node:http` has its own fixed limits). Flow
 * control is the engine's, applied here by one sweep per server: pipelined
 * requests run one at a time, the next once the previous response is out
 * (node_http_pipeline.ts); `bodyTimeout` and `minBodyRate` (body_pace.ts),
 * `sendTimeout` and `handlerTimeout` are checked per exchange. Use the
 * engine backend (`adapter: "node"`) for the full feature set.
 *
 * @module
 */

import type { IncomingMessage, Server as HttpServer, ServerResponse } from "node:http";
import type { Socket as NetSocket } from "node:net";
import type { HeaderList } from "../http1/types.ts";
import type { BackendSettings, ServerBackend } from "../server/backend.ts";
import { authorityOf } from "../server/backend.ts";
import { IncomingRequest } from "../server/incoming_request.ts";
import type { InterimTarget } from "../server/interim_target.ts";
import { RequestUrls } from "../server/request_url.ts";
import { checkChunk, readReadyChunks } from "../server/ready_chunks.ts";
import { writeInterimToServerResponse } from "../server/server_response_interim.ts";
import {
  CLOSED,
  FINAL_RESPONSE_STARTED,
  type InterimBounds,
  lateResultOf,
  refuseOverBounds,
} from "../server/informational_results.ts";
import type { InformationalResult, ServeHandlerInfo, ServeLimits } from "../server/types.ts";
import type { SocketAddress } from "./types.ts";
import { BodyPace } from "./body_pace.ts";
import { PipelineGate } from "./node_http_pipeline.ts";
import { toSocketError } from "./socket_error.ts";

const READY_BODY_LIMIT = 64 * 1024;
/**
 * Larger bodies are written this much at a time, the next once the socket
 * takes it: Node completes a write only once all of it was taken, so
 * progress shows to `sendTimeout` and memory waits in the body, not the socket.
 */
const SEND_SLICE = 64 * 1024;
/** After our FIN, the client gets this long to close before the socket is destroyed (as the engine). */
const LINGER_MS = 5_000;
const HOP_BY_HOP = new Set([
  "connection",
  "keep-alive",
  "proxy-connection",
  "transfer-encoding",
  "upgrade",
]);

/**
 * Starts a `node:http` (or `node:https`) server for `settings`.
 *
 * @param settings The handler, options and limits.
 * @returns The running backend once it listens.
 * @throws {Error} When the address cannot be bound.
 *
 * @example Through serve()
 * ```ts ignore
 * import assert from "node:assert/strict";
 * import { serve } from "@interim/http/server";
 * const server = await serve(() => new Response("hi"), {
 *   adapter: "node-http",
 *   hostname: "127.0.0.1",
 *   port: 0,
 * });
 * try {
 *   assert.equal(server.adapter, "node-http");
 *   assert.equal(await (await fetch(server.url)).text(), "hi");
 * } finally {
 *   await server.shutdown();
 * }
 * ```
 */
export async function startNodeHttpServer(settings: BackendSettings): Promise<ServerBackend> {
  const { options, limits } = settings;
  const tls = options.cert !== undefined && options.key !== undefined;
  const serverOptions = { maxHeaderSize: limits.maxHeaderBytes, noDelay: true };
  let server: HttpServer;
  if (tls) {
    const https = await import("node:https");
    server = https.createServer({ ...serverOptions, cert: options.cert, key: options.key });
  } else {
    const http = await import("node:http");
    server = http.createServer(serverOptions);
  }
  const backend = new NodeHttpBackend(server, settings, tls ? "https" : "http");
  await backend.listen();
  return backend;
}

class NodeHttpBackend implements ServerBackend {
  readonly adapter = "node-http";
  readonly #server: HttpServer;
  readonly #settings: BackendSettings;
  readonly #scheme: string;
  readonly #sockets = new Set<NetSocket>();
  readonly #active = new Set<Exchange>();
  /** Sockets whose request we refused with `Connection: close` (RFC 9112 section 9.6). */
  readonly #refused = new WeakSet<object>();
  #addr: SocketAddress | undefined;
  /** Request URLs, built as the engine builds them (Host checked, userinfo refused). */
  #urls = new RequestUrls("http", "localhost");
  #draining = false;
  #stopping: Promise<void> | undefined;
  /** One exchange per socket at a time (see node_http_pipeline.ts). */
  readonly #gate = new PipelineGate();
  /** Exchanges with a deadline to check: handler, body, send, linger. */
  readonly #watched = new Set<Exchange>();
  #sweep: ReturnType<typeof setInterval> | undefined;

  constructor(server: HttpServer, settings: BackendSettings, scheme: string) {
    this.#server = server;
    this.#settings = settings;
    this.#scheme = scheme;
    const limits = settings.limits;
    server.headersTimeout = limits.headersTimeout;
    server.keepAliveTimeout = limits.idleTimeout;
    if (Number.isFinite(limits.maxRequestsPerConnection)) {
      server.maxRequestsPerSocket = limits.maxRequestsPerConnection;
    }
    server.on("connection", (socket: NetSocket) => {
      socket.setNoDelay(true);
      this.#sockets.add(socket);
      socket.once("close", () => this.#sockets.delete(socket));
    });
    server.on("request", (request: IncomingMessage, response: ServerResponse) => {
      this.#handle(request, response, false);
    });
    // Expect: 100-continue is answered when the handler first reads the body.
    server.on("checkContinue", (request: IncomingMessage, response: ServerResponse) => {
      this.#handle(request, response, true);
    });
    server.once("close", () => clearInterval(this.#sweep));
  }

  /**
   * One coarse timer for every exchange's deadlines, as the engine's server
   * has; a deadline fires at most a period late.
   */
  #startSweep(): void {
    const limits = this.#settings.limits;
    const shortest = Math.min(
      limits.bodyTimeout,
      limits.minBodyRateGrace,
      limits.sendTimeout,
      limits.handlerTimeout,
    );
    const period = Math.max(50, Math.min(1000, shortest / 4));
    this.#sweep = setInterval(() => {
      const now = Date.now();
      for (const exchange of this.#watched) {
        if (!exchange.checkDeadlines(now)) this.#watched.delete(exchange);
      }
    }, period);
  }

  get addr(): SocketAddress {
    return this.#addr!;
  }

  listen(): Promise<void> {
    const { options } = this.#settings;
    return new Promise((resolve, reject) => {
      // A SocketError (EADDRINUSE, EACCES...), as the socket adapters reject with.
      const where = options.path ?? `${options.hostname ?? "0.0.0.0"}:${options.port ?? 8000}`;
      const onError = (error: Error) => reject(toSocketError(error, `listen ${where}`));
      this.#server.once("error", onError);
      const done = () => {
        this.#server.off("error", onError);
        const address = this.#server.address();
        if (typeof address === "string") this.#addr = { transport: "unix", path: address };
        else if (address !== null) {
          this.#addr = { transport: "tcp", hostname: address.address, port: address.port };
        } else this.#addr = { transport: "unix", path: options.path ?? "" };
        this.#urls = new RequestUrls(this.#scheme, authorityOf(this.#addr));
        this.#startSweep();
        resolve();
      };
      if (options.path !== undefined) this.#server.listen(options.path, done);
      else this.#server.listen(options.port ?? 8000, options.hostname ?? "0.0.0.0", done);
    });
  }

  shutdown(): Promise<void> {
    return this.#stop(false);
  }

  close(): Promise<void> {
    return this.#stop(true);
  }

  #stop(force: boolean): Promise<void> {
    this.#draining = true;
    if (force) this.#destroyAll();
    if (this.#stopping !== undefined) return this.#stopping;
    this.#stopping = new Promise<void>((resolve) => {
      const timer = setTimeout(() => this.#destroyAll(), this.#settings.limits.shutdownTimeout);
      this.#server.close(() => {
        clearTimeout(timer);
        resolve();
      });
      this.#closeIdle();
    });
    return this.#stopping;
  }

  #closeIdle(): void {
    const busy = new Set<unknown>();
    for (const exchange of this.#active) busy.add(exchange.socket);
    for (const socket of this.#sockets) if (!busy.has(socket)) socket.end();
  }

  #destroyAll(): void {
    const reason = new DOMException("the server is closing", "AbortError");
    for (const exchange of this.#active) exchange.abort(reason);
    for (const socket of this.#sockets) socket.destroy();
  }

  #handle(incoming: IncomingMessage, outgoing: ServerResponse, expectContinue: boolean): void {
    if (this.#refused.has(incoming.socket)) {
      // node:http already parsed a request pipelined behind one we refused;
      // after "Connection: close" no further request may be processed
      // (RFC 9112 section 9.6), and its framing cannot be trusted anyway.
      incoming.socket.end();
      return;
    }
    const coding = incoming.headers["transfer-encoding"];
    if (coding !== undefined && coding.trim().toLowerCase() !== "chunked") {
      // RFC 9112 section 6.1: a transfer coding we cannot decode; node:http
      // removed the chunked layer only. Answer as the engine does.
      this.#refused.add(incoming.socket);
      outgoing.shouldKeepAlive = false;
      outgoing.writeHead(501, { "content-type": "text/plain; charset=utf-8", connection: "close" });
      outgoing.end("501\n");
      return;
    }
    // node:http emits every pipelined request it parsed at once: run them
    // one at a time, the next once the previous response is out.
    const socket = incoming.socket;
    let running = false;
    const leave = () => {
      if (!running) return;
      running = false;
      this.#gate.leave(socket);
    };
    outgoing.once("finish", leave);
    outgoing.once("close", leave);
    const queued = this.#gate.enter(socket, () => {
      if (outgoing.destroyed || socket.destroyed) return false;
      running = true;
      this.#run(incoming, outgoing, expectContinue);
      return true;
    });
    if (!queued) socket.destroy();
  }

  #run(incoming: IncomingMessage, outgoing: ServerResponse, expectContinue: boolean): void {
    const exchange = new Exchange(
      incoming,
      outgoing,
      expectContinue,
      this.#settings.limits,
      this.#settings.onError,
    );
    this.#active.add(exchange);
    this.#watched.add(exchange);
    outgoing.once("close", () => {
      this.#active.delete(exchange);
      // Done exchanges leave at once, not at the next sweep.
      if (!exchange.hasDeadline) this.#watched.delete(exchange);
      exchange.abort(new DOMException("the connection closed", "AbortError"));
      if (this.#draining) this.#closeIdle();
    });
    if (this.#draining) outgoing.shouldKeepAlive = false;
    let request: Request;
    try {
      request = exchange.createRequest(this.#urls);
    } catch {
      this.#refused.add(incoming.socket);
      outgoing.writeHead(400, { "content-type": "text/plain; charset=utf-8", connection: "close" });
      outgoing.end("400\n");
      return;
    }
    let result: Response | Promise<Response>;
    const info = exchange.info;
    exchange.handlerStarted();
    try {
      result = this.#settings.handler(request, info);
    } catch (error) {
      this.#fail(exchange, request, error);
      return;
    }
    if (result instanceof Response) {
      exchange.respond(result, this.#draining).catch((error) =>
        this.#fail(exchange, request, error)
      );
    } else {
      Promise.resolve(result).then(
        (response) => exchange.respond(response, this.#draining),
      ).catch((error) => this.#fail(exchange, request, error));
    }
  }

  #fail(exchange: Exchange, request: Request, error: unknown): void {
    // After our own 408 or 503 the handler's failure is the expected echo.
    if (!exchange.aborted && !exchange.answered) this.#settings.onError(error, request);
    exchange.fail();
  }
}

/** One request on `node:http`, implementing the interim writer. */
class Exchange implements InterimTarget {
  fieldLines: Map<string, string[]> | undefined;
  readonly info: ServeHandlerInfo;
  readonly #incoming: IncomingMessage;
  readonly #outgoing: ServerResponse;
  #request: IncomingRequest | undefined;
  #aborted = false;
  #expectContinue: boolean;
  #finalStarted = false;
  #completed: (() => void) | undefined;
  readonly #interimBounds: Readonly<InterimBounds>;
  /** Interim responses sent for this request, bounded by `limits.maxInformational`. */
  #interimCount = 0;
  readonly #limits: Readonly<ServeLimits>;
  readonly #onError: (error: unknown, request: Request) => void;
  /** We answered ourselves (408, 503): the handler's response or failure is dropped. */
  #answered = false;
  /** When the handler must have returned its Response by; 0 once it has (or never). */
  #handlerDeadline = 0;
  /** The request body's stream, while the handler may read it. */
  #body: { controller: ReadableStreamDefaultController<Uint8Array>; open: boolean } | undefined;
  /** The body's pace, while it is read or drained (`bodyTimeout`, `minBodyRate`). */
  #pace: BodyPace | undefined;
  #requestDone = true;
  /** Since when a write waits for the peer to take data (`sendTimeout`); 0 when none does. */
  #sendWaitingSince = 0;
  /** The peer's last progress while a write waits. */
  #sendProgressAt = 0;
  /** When the socket we ended is destroyed if the client has not closed; 0 when not lingering. */
  #lingerUntil = 0;

  constructor(
    incoming: IncomingMessage,
    outgoing: ServerResponse,
    expectContinue: boolean,
    limits: Readonly<ServeLimits>,
    onError: (error: unknown, request: Request) => void,
  ) {
    this.#incoming = incoming;
    this.#outgoing = outgoing;
    this.#expectContinue = expectContinue;
    this.#interimBounds = limits;
    this.#limits = limits;
    this.#onError = onError;
    const socket = incoming.socket;
    const remoteAddr: SocketAddress = socket.remoteAddress === undefined
      ? { transport: "unix", path: "" }
      : { transport: "tcp", hostname: socket.remoteAddress, port: socket.remotePort ?? 0 };
    let completed: Promise<void> | undefined;
    const setResolver = (resolve: () => void) => {
      this.#completed = resolve;
    };
    this.info = {
      remoteAddr,
      get completed() {
        completed ??= new Promise<void>((resolve) => {
          if (outgoing.writableFinished || outgoing.destroyed) resolve();
          else setResolver(resolve);
        });
        return completed;
      },
    };
    outgoing.once("close", () => this.#completed?.());
    outgoing.once("finish", () => {
      this.#sendWaitingSince = 0;
      // The rest of an unread body is read and dropped to keep the
      // connection, as node:http does, within bodyTimeout and minBodyRate.
      if (!this.#requestDone) {
        const body = this.#body;
        if (body?.open) {
          body.open = false;
          body.controller.error(
            new TypeError("the request body can no longer be read: the response was already sent"),
          );
        }
        this.#drainBody();
      }
    });
  }

  get socket(): unknown {
    return this.#incoming.socket;
  }

  get aborted(): boolean {
    return this.#aborted;
  }

  /** Whether the server answered itself (408 for a slow body, 503 past `handlerTimeout`). */
  get answered(): boolean {
    return this.#answered;
  }

  /** The handler runs from now: `handlerTimeout` counts. */
  handlerStarted(): void {
    const timeout = this.#limits.handlerTimeout;
    if (Number.isFinite(timeout)) this.#handlerDeadline = Date.now() + timeout;
  }

  /**
   * Applies `handlerTimeout`, `sendTimeout`, `bodyTimeout`, `minBodyRate`
   * and the linger after our FIN; called by the backend's sweep.
   *
   * @param now The time in milliseconds.
   * @returns Whether the exchange still has a deadline to watch.
   */
  checkDeadlines(now: number): boolean {
    const outgoing = this.#outgoing;
    const socket = this.#incoming.socket;
    if (this.#lingerUntil !== 0) {
      if (now < this.#lingerUntil && !socket.destroyed) return true;
      socket.destroy();
      return false;
    }
    // A finished response counts as destroyed once closed; an unread body may still drain.
    if (socket.destroyed || (outgoing.destroyed && !outgoing.writableFinished)) return false;
    const limits = this.#limits;
    if (this.#handlerDeadline !== 0 && now >= this.#handlerDeadline) this.#handlerOverdue();
    if (this.#sendWaitingSince !== 0 && now - this.#sendProgressAt > limits.sendTimeout) {
      const reason = new DOMException(
        `the client took no data for ${limits.sendTimeout} ms`,
        "TimeoutError",
      );
      this.abort(reason);
      socket.destroy();
      return false;
    }
    const why = this.#pace?.verdict(now, limits);
    if (why !== undefined) this.#bodyTimedOut(why);
    return this.hasDeadline;
  }

  /** Whether a deadline is left to check: the exchange is not over, or lingers. */
  get hasDeadline(): boolean {
    if (this.#lingerUntil !== 0) return !this.#incoming.socket.destroyed;
    return !(this.#outgoing.writableFinished && this.#requestDone) ||
      this.#sendWaitingSince !== 0;
  }

  /** RFC 9110 section 15.6.4: the handler did not answer in time; like the engine's. */
  #handlerOverdue(): void {
    this.#handlerDeadline = 0;
    if (this.#finalStarted || this.#aborted || this.#outgoing.headersSent) return;
    const timeout = this.#limits.handlerTimeout;
    const reason = new DOMException(
      `the handler did not return a response within limits.handlerTimeout (${timeout} ms)`,
      "TimeoutError",
    );
    if (this.#request !== undefined) this.#onError(reason, this.#request);
    this.#request?.abortWith(reason);
    this.#answer(503);
  }

  /** The client stopped sending a body the server waits for, or sends it too slowly. */
  #bodyTimedOut(why: string): void {
    const error = new DOMException(`the request body ${why}`, "TimeoutError");
    this.#pace = undefined;
    const body = this.#body;
    if (body?.open) {
      body.open = false;
      body.controller.error(error);
    }
    const outgoing = this.#outgoing;
    const draining = outgoing.writableFinished;
    this.abort(error);
    if (!this.#finalStarted && !outgoing.headersSent) {
      // RFC 9110 section 15.5.9: the client was too slow to send its request.
      this.#answer(408);
    } else if (draining) this.#closeSocket();
    else outgoing.destroy();
  }

  /** Answers with a small plain-text error status and `Connection: close`. */
  #answer(status: number): void {
    this.#answered = true;
    this.#finalStarted = true;
    this.#handlerDeadline = 0;
    const outgoing = this.#outgoing;
    outgoing.shouldKeepAlive = false;
    const text = `${status}\n`;
    outgoing.writeHead(status, {
      "content-type": "text/plain; charset=utf-8",
      "content-length": String(text.length),
      connection: "close",
    });
    outgoing.once("finish", () => this.#closeSocket());
    this.#end(this.#incoming.method === "HEAD" ? undefined : text);
  }

  /** Ends our side; the client gets `LINGER_MS` to close its side before the socket is destroyed. */
  #closeSocket(): void {
    const socket = this.#incoming.socket;
    if (this.#lingerUntil !== 0 || socket.destroyed) return;
    this.#lingerUntil = Date.now() + LINGER_MS;
    socket.end();
  }

  createRequest(urls: RequestUrls): Request {
    const incoming = this.#incoming;
    const url = urls.of({
      target: incoming.url ?? "/",
      headers: [["host", incoming.headers.host ?? ""]],
    });
    if (url === undefined) throw new TypeError("invalid request target or Host");
    const headers = new Headers();
    const raw = incoming.rawHeaders;
    for (let i = 0; i < raw.length; i += 2) headers.append(raw[i]!, raw[i + 1]!);
    const method = incoming.method ?? "GET";
    const init: RequestInit & { duplex?: "half" } = { method, headers };
    const hasBody = method !== "GET" && method !== "HEAD" &&
      (incoming.headers["content-length"] !== undefined ||
        incoming.headers["transfer-encoding"] !== undefined);
    if (hasBody) {
      init.body = this.#bodyStream();
      init.duplex = "half";
    } else if (this.#expectContinue) {
      this.#expectContinue = false;
    }
    this.#request = new IncomingRequest(url, init);
    this.#request.interimTarget = this;
    return this.#request;
  }

  #bodyStream(): ReadableStream<Uint8Array> {
    const incoming = this.#incoming;
    const pace = new BodyPace(Date.now());
    this.#pace = pace;
    this.#requestDone = false;
    incoming.pause();
    incoming.on("data", this.#onBodyData);
    incoming.once("end", () => {
      this.#requestDone = true;
      this.#pace = undefined;
      const body = this.#body;
      if (body?.open) {
        body.open = false;
        body.controller.close();
      }
    });
    incoming.once("error", (error) => {
      this.#pace = undefined;
      const body = this.#body;
      if (body?.open) {
        body.open = false;
        body.controller.error(error);
      }
    });
    return new ReadableStream<Uint8Array>({
      start: (controller) => {
        this.#body = { controller, open: true };
      },
      pull: () => {
        if (this.#expectContinue) {
          // RFC 9110 section 10.1.1: the handler wants the body, so invite it.
          this.#expectContinue = false;
          if (!this.#finalStarted) {
            // Counts toward maxInformational, but the client waits for it.
            this.#interimCount++;
            this.#outgoing.writeContinue();
          }
        }
        // Waiting for the client from now, until bytes come.
        this.#pace?.wait(Date.now());
        incoming.resume();
      },
      cancel: () => {
        if (this.#body !== undefined) this.#body.open = false;
        this.#drainBody();
      },
    }, { highWaterMark: 0 });
  }

  /** Body bytes: counted, then given to the handler while it may read them, else dropped. */
  #onBodyData = (chunk: Uint8Array): void => {
    this.#pace?.received(chunk.byteLength, Date.now());
    const body = this.#body;
    if (body === undefined || !body.open) return;
    const controller = body.controller;
    controller.enqueue(new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength));
    if ((controller.desiredSize ?? 0) <= 0) this.#incoming.pause();
  };

  /** Reads the rest of the body and drops it, counting it against the body limits. */
  #drainBody(): void {
    if (this.#requestDone) return;
    const incoming = this.#incoming;
    this.#pace?.drain(Date.now());
    // node:http's own drain of an unread body removes the data listeners.
    if (!incoming.listeners("data").includes(this.#onBodyData)) {
      incoming.on("data", this.#onBodyData);
    }
    incoming.resume();
  }

  /**
   * node:http writes the interim response at once: `flush` changes nothing
   * here. A call that comes too late (a timer firing after the response, a
   * client gone) or over the request's bounds (`limits.maxInformational`,
   * `limits.maxInformationalBytes`, as on the engine) returns why, and writes
   * nothing: it never throws for timing or volume.
   */
  writeInformational(status: number, headers: HeaderList, _flush?: boolean): InformationalResult {
    const outgoing = this.#outgoing;
    const late = lateResultOf(outgoing);
    if (late !== undefined) return late;
    if (this.aborted) return CLOSED;
    // The handler returned: the final head waits only for the body's first chunks.
    if (this.#finalStarted) return FINAL_RESPONSE_STARTED;
    // An HTTP/1.0 client gets no 1xx at all; writeInterimToServerResponse says so.
    const http10 = this.#incoming.httpVersionMajor === 1 && this.#incoming.httpVersionMinor === 0;
    const refused = http10
      ? undefined
      : refuseOverBounds(this.#interimCount, status, headers, this.#interimBounds);
    if (refused !== undefined) return refused;
    const result = writeInterimToServerResponse(this.#outgoing, this.#incoming, status, headers);
    if (result.sent) this.#interimCount++;
    if (status === 100 && result.sent) this.#expectContinue = false;
    return result;
  }

  abort(reason: unknown): void {
    if (this.#aborted || this.#outgoing.writableFinished) return;
    this.#aborted = true;
    this.#request?.abortWith(reason);
  }

  fail(): void {
    this.#handlerDeadline = 0;
    if (this.#answered) return;
    const outgoing = this.#outgoing;
    if (outgoing.headersSent) {
      outgoing.destroy();
      return;
    }
    this.#finalStarted = true;
    outgoing.writeHead(500, { "content-type": "text/plain; charset=utf-8" });
    this.#end("500\n");
  }

  async respond(response: unknown, draining: boolean): Promise<void> {
    if (!(response instanceof Response)) {
      throw new TypeError(
        `the handler must return a Response, got ${response === null ? "null" : typeof response}`,
      );
    }
    this.#handlerDeadline = 0;
    const outgoing = this.#outgoing;
    if (outgoing.destroyed || this.#answered) {
      // Gone, or answered at handlerTimeout: the response comes too late.
      response.body?.cancel().catch(() => {});
      return;
    }
    const fields = this.#fields(response.headers);
    if (this.#expectContinue && !this.#incoming.complete) outgoing.shouldKeepAlive = false;
    if (draining) outgoing.shouldKeepAlive = false;
    const status = response.status;
    const reason = response.statusText || undefined;
    const body = response.body;
    if (body === null || status === 204 || status === 304 || this.#incoming.method === "HEAD") {
      body?.cancel().catch(() => {});
      this.#finalStarted = true;
      if (
        body === null && status !== 204 && status !== 304 && fields["content-length"] === undefined
      ) {
        fields["content-length"] = "0";
      }
      outgoing.writeHead(status, reason, fields);
      this.#end();
      return;
    }
    const reader = body.getReader();
    const ready = await readReadyChunks(reader, READY_BODY_LIMIT);
    this.#finalStarted = true;
    if (ready.done) {
      fields["content-length"] = String(ready.size);
      outgoing.writeHead(status, reason, fields);
      if (ready.chunks.length === 1 && ready.size <= SEND_SLICE) this.#end(ready.chunks[0]);
      else {
        for (const chunk of ready.chunks) await this.#send(chunk);
        this.#end();
      }
      return;
    }
    outgoing.writeHead(status, reason, fields);
    for (const chunk of ready.chunks) await this.#send(chunk);
    let pending = ready.pending;
    for (;;) {
      if (outgoing.destroyed) {
        reader.cancel().catch(() => {});
        return;
      }
      const result = await (pending ?? reader.read());
      pending = undefined;
      if (result.done) break;
      await this.#send(checkChunk(result.value));
    }
    this.#end();
  }

  /**
   * Writes `chunk` (in `SEND_SLICE` pieces), waiting for the socket to take
   * each piece it cannot take at once; `sendTimeout` counts meanwhile.
   */
  async #send(chunk: Uint8Array): Promise<void> {
    const outgoing = this.#outgoing;
    for (let at = 0; at < chunk.byteLength; at += SEND_SLICE) {
      if (outgoing.destroyed) return;
      const slice = chunk.byteLength <= SEND_SLICE ? chunk : chunk.subarray(at, at + SEND_SLICE);
      if (outgoing.write(slice, this.#sendProgress)) continue;
      this.#sendWaits();
      await new Promise<void>((resolve) => {
        const done = () => {
          outgoing.off("drain", done);
          outgoing.off("close", done);
          resolve();
        };
        outgoing.on("drain", done);
        outgoing.on("close", done);
      });
      this.#sendWaitingSince = 0;
    }
  }

  /** Ends the response; until "finish" the rest waits for the peer (`sendTimeout`). */
  #end(chunk?: Uint8Array | string): void {
    this.#sendWaits();
    if (chunk === undefined) this.#outgoing.end();
    else this.#outgoing.end(chunk);
  }

  #sendWaits(): void {
    if (this.#sendWaitingSince !== 0) return;
    this.#sendWaitingSince = Date.now();
    this.#sendProgressAt = this.#sendWaitingSince;
  }

  /** A write completed: the peer took data. */
  #sendProgress = (): void => {
    this.#sendProgressAt = Date.now();
  };

  /** The response's fields for `writeHead`, repeated fields as arrays. */
  #fields(headers: Headers): Record<string, string | string[]> {
    const out: Record<string, string | string[]> = {};
    const lines = this.fieldLines;
    for (const [name, value] of headers) {
      if (HOP_BY_HOP.has(name)) continue;
      const values = lines?.get(name);
      if (values !== undefined && values.join(", ") === value) {
        out[name] = values.slice();
        continue;
      }
      const previous = out[name];
      if (previous === undefined) out[name] = value;
      else if (Array.isArray(previous)) previous.push(value);
      else out[name] = [previous, value];
    }
    return out;
  }
}
