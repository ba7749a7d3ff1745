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
 * This backend delegates parsing, limits and timeouts to `node:http`:
 * `maxHeaderBytes` becomes `maxHeaderSize`, `headersTimeout` and
 * `idleTimeout` (as `keepAliveTimeout`) are applied; `maxStartLineBytes`,
 * `maxHeaderCount`, `maxChunkLineBytes`, `maxBodyBytes` and `bodyTimeout` are
 * the engine's and are not enforced here (`node:http` has its own fixed
 * limits and its 300 s `requestTimeout`). Use the
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
import type { InformationalResult, ServeHandlerInfo } from "../server/types.ts";
import type { SocketAddress } from "./types.ts";
import { toSocketError } from "./socket_error.ts";

const READY_BODY_LIMIT = 64 * 1024;
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
    const exchange = new Exchange(incoming, outgoing, expectContinue, this.#settings.limits);
    this.#active.add(exchange);
    outgoing.once("close", () => {
      this.#active.delete(exchange);
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
    if (!exchange.aborted) this.#settings.onError(error, request);
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

  constructor(
    incoming: IncomingMessage,
    outgoing: ServerResponse,
    expectContinue: boolean,
    interimBounds: Readonly<InterimBounds>,
  ) {
    this.#incoming = incoming;
    this.#outgoing = outgoing;
    this.#expectContinue = expectContinue;
    this.#interimBounds = interimBounds;
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
  }

  get socket(): unknown {
    return this.#incoming.socket;
  }

  get aborted(): boolean {
    return this.#aborted;
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
    let controller!: ReadableStreamDefaultController<Uint8Array>;
    let ended = false;
    incoming.pause();
    incoming.on("data", (chunk: Uint8Array) => {
      controller.enqueue(new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength));
      if ((controller.desiredSize ?? 0) <= 0) incoming.pause();
    });
    incoming.once("end", () => {
      ended = true;
      controller.close();
    });
    incoming.once("error", (error) => {
      if (!ended) controller.error(error);
    });
    return new ReadableStream<Uint8Array>({
      start: (c) => {
        controller = c;
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
        incoming.resume();
      },
      cancel: () => {
        incoming.resume(); // drain and drop the rest
        incoming.removeAllListeners("data");
        incoming.on("data", () => {});
      },
    }, { highWaterMark: 0 });
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
    const outgoing = this.#outgoing;
    if (outgoing.headersSent) {
      outgoing.destroy();
      return;
    }
    this.#finalStarted = true;
    outgoing.writeHead(500, { "content-type": "text/plain; charset=utf-8" });
    outgoing.end("500\n");
  }

  async respond(response: unknown, draining: boolean): Promise<void> {
    if (!(response instanceof Response)) {
      throw new TypeError(
        `the handler must return a Response, got ${response === null ? "null" : typeof response}`,
      );
    }
    const outgoing = this.#outgoing;
    if (outgoing.destroyed) {
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
      outgoing.end();
      return;
    }
    const reader = body.getReader();
    const ready = await readReadyChunks(reader, READY_BODY_LIMIT);
    this.#finalStarted = true;
    if (ready.done) {
      fields["content-length"] = String(ready.size);
      outgoing.writeHead(status, reason, fields);
      if (ready.chunks.length === 1) outgoing.end(ready.chunks[0]);
      else {
        for (const chunk of ready.chunks) outgoing.write(chunk);
        outgoing.end();
      }
      return;
    }
    outgoing.writeHead(status, reason, fields);
    for (const chunk of ready.chunks) outgoing.write(chunk);
    let pending = ready.pending;
    for (;;) {
      if (outgoing.destroyed) {
        reader.cancel().catch(() => {});
        return;
      }
      const result = await (pending ?? reader.read());
      pending = undefined;
      if (result.done) break;
      const chunk = checkChunk(result.value);
      if (!outgoing.write(chunk)) {
        await new Promise<void>((resolve) => {
          const done = () => {
            outgoing.off("drain", done);
            outgoing.off("close", done);
            resolve();
          };
          outgoing.on("drain", done);
          outgoing.on("close", done);
        });
      }
    }
    outgoing.end();
  }

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
