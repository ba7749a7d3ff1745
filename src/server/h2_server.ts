/**
 * HTTP/2 beside our HTTP/1.1 engine on one port: the engine server
 * (engine_server.ts) listens through the runtime adapter as always, with
 * `h2` offered before `http/1.1` in ALPN, and each accepted connection is
 * told apart by its first bytes. The HTTP/2 connection preface (RFC 9113
 * section 3.4, which a client that negotiated `h2` sends at once, and a
 * client with prior knowledge sends over cleartext) goes to the runtime's
 * `node:http2` (src/runtime/node_http2.ts); anything else to the engine's
 * `Connection`, bytes replayed. Each HTTP/2 stream is served by the same
 * exchange core as HTTP/1.1, through an {@linkcode H2Exchange}.
 *
 * Telling apart by bytes rather than by the negotiated ALPN needs nothing
 * from the adapters but their sockets, works on Bun's own TLS listener, and
 * serves h2c with prior knowledge (`http2: true` without TLS) the same way.
 * Most HTTP/1.1 requests are told apart by their first byte (only `P`
 * needs a second look). This module is browser compatible.
 *
 * @module
 */

import {
  type H2Fields,
  type H2Session,
  type H2Sessions,
  type H2Stream,
  loadH2Sessions,
} from "../runtime/node_http2.ts";
import type { RuntimeAdapter, Socket, SocketHandlers } from "../runtime/types.ts";
import { authorityOf, type BackendSettings, type ServerBackend } from "./backend.ts";
import { startEngineServer } from "./engine_server.ts";
import { H2Exchange, type H2Host } from "./h2_exchange.ts";
import { type H2Abuse, H2FloodGuard } from "./h2_flood_guard.ts";
import { sweepPeriod } from "./limits.ts";
import { fetchMethod, isForbiddenMethod } from "./methods.ts";
import { RequestUrls } from "./request_url.ts";
import type { HintPolicy, ServeLimits } from "./types.ts";

/** The HTTP/2 client connection preface (RFC 9113 section 3.4). */
const PREFACE = new TextEncoder().encode("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n");

/** ALPN: HTTP/2 first, HTTP/1.1 for clients without it (RFC 9113 section 3.2). */
const ALPN = ["h2", "http/1.1"];

/** Error codes (RFC 9113 section 7). */
const REFUSED_STREAM = 0x7;
const ENHANCE_YOUR_CALM = 0xb;

/** Milliseconds an abusive connection keeps its socket after GOAWAY, so the frame leaves. */
const GOAWAY_GRACE = 250;

/** One HTTP/2 connection's books: its flood guard and open streams. */
interface H2Connection {
  readonly socket: Socket;
  readonly guard: H2FloodGuard;
  session: H2Session | undefined;
  /** Streams whose handler runs or whose response is still going out. */
  open: number;
  /** Streams handed to the handler so far. */
  served: number;
}

/**
 * Starts the engine server on `adapter` with HTTP/2 beside it.
 *
 * @param settings The handler, options and limits.
 * @param adapter The runtime's sockets.
 * @returns The running server.
 */
export async function startH2Server(
  settings: BackendSettings,
  adapter: RuntimeAdapter,
): Promise<ServerBackend> {
  const limits = settings.limits;
  const sessions = await loadH2Sessions({
    maxHeaderListSize: limits.maxHeaderBytes,
    maxConcurrentStreams: limits.maxConcurrentStreams,
    streamResetBurst: limits.streamResetBurst,
    streamResetRate: limits.streamResetRate,
  });
  const server = new H2Server(settings, sessions);
  const sniffing: RuntimeAdapter = {
    name: adapter.name,
    connect: (options, handlers) => adapter.connect(options, handlers),
    listen: (options, accept) =>
      adapter.listen(
        options.tls === undefined
          ? options
          : { ...options, tls: { ...options.tls, alpnProtocols: ALPN } },
        (socket) => server.sniff(socket, accept),
      ),
  };
  server.bind(await startEngineServer(settings, sniffing));
  return server;
}

/** What an accepted connection turned out to be. */
type Verdict = "h1" | "h2" | undefined;

/**
 * Decides from the first bytes: `"h2"` once the whole preface matched,
 * `"h1"` at the first byte that differs, `undefined` while undecided.
 */
function verdictOf(seen: Uint8Array): Verdict {
  const length = Math.min(seen.length, PREFACE.length);
  for (let i = 0; i < length; i++) if (seen[i] !== PREFACE[i]) return "h1";
  return seen.length >= PREFACE.length ? "h2" : undefined;
}

class H2Server implements ServerBackend, H2Host {
  readonly limits: Readonly<ServeLimits>;
  readonly hintPolicy: HintPolicy | undefined;
  readonly #settings: BackendSettings;
  readonly #sessions: H2Sessions;
  #engine: ServerBackend | undefined;
  /** Connections whose first bytes have not decided their protocol yet. */
  readonly #undecided = new Set<Socket>();
  readonly #active = new Set<H2Exchange>();
  #https = new RequestUrls("https", "localhost");
  #http = new RequestUrls("http", "localhost");
  #sweep: ReturnType<typeof setInterval> | undefined;
  #draining = false;
  #stopping: Promise<void> | undefined;

  constructor(settings: BackendSettings, sessions: H2Sessions) {
    this.#settings = settings;
    this.#sessions = sessions;
    this.limits = settings.limits;
    this.hintPolicy = settings.options.hintPolicy;
  }

  get addr() {
    return this.#engine!.addr;
  }

  get adapter(): string {
    return this.#engine!.adapter;
  }

  bind(engine: ServerBackend): void {
    this.#engine = engine;
    const authority = authorityOf(engine.addr);
    this.#https = new RequestUrls("https", authority);
    this.#http = new RequestUrls("http", authority);
    this.#sweep = setInterval(() => {
      const now = Date.now();
      for (const exchange of this.#active) exchange.checkDeadlines(now);
    }, sweepPeriod(this.limits));
  }

  reportError(error: unknown, request: Request): void {
    this.#settings.onError(error, request);
  }

  exchangeClosed(exchange: H2Exchange): void {
    this.#active.delete(exchange);
  }

  /**
   * Holds an accepted connection until its first bytes tell HTTP/2 from
   * HTTP/1.1; a client that sends nothing meets `headersTimeout`.
   *
   * @param socket The connection.
   * @param accept The engine's accept, for HTTP/1.1.
   * @returns The handlers for the socket's events.
   */
  sniff(socket: Socket, accept: (socket: Socket) => SocketHandlers): SocketHandlers {
    let seen: Uint8Array = new Uint8Array(0);
    let inner: SocketHandlers | undefined;
    const undecided = this.#undecided;
    undecided.add(socket);
    const timer = setTimeout(() => socket.destroy(), this.limits.headersTimeout);
    const decide = (verdict: "h1" | "h2"): void => {
      clearTimeout(timer);
      undecided.delete(socket);
      try {
        inner = verdict === "h2" ? this.#adopt(socket, seen) : accept(socket);
      } catch {
        socket.destroy();
        return;
      }
      if (verdict === "h1" && seen.length > 0) inner.onData(seen);
      if (verdict === "h2" && this.#draining) this.#closeSessions();
    };
    return {
      onData: (chunk) => {
        if (inner !== undefined) {
          inner.onData(chunk);
          return;
        }
        if (seen.length === 0) seen = chunk;
        else {
          const joined = new Uint8Array(seen.length + chunk.length);
          joined.set(seen);
          joined.set(chunk, seen.length);
          seen = joined;
        }
        const verdict = verdictOf(seen);
        if (verdict !== undefined) decide(verdict);
      },
      onEnd: () => {
        // The peer ended before deciding: the engine answers what it sent.
        if (inner === undefined) decide("h1");
        inner?.onEnd();
      },
      onClose: (error) => {
        clearTimeout(timer);
        undecided.delete(socket);
        inner?.onClose(error);
      },
    };
  }

  /**
   * Hands a connection that sent the HTTP/2 preface (and maybe more: `head`)
   * to `node:http2`, behind its flood guard: the guard reads every byte
   * first, and bytes of a connection found abusive never reach the session.
   */
  #adopt(socket: Socket, head: Uint8Array): SocketHandlers {
    const connection: H2Connection = {
      socket,
      guard: new H2FloodGuard(this.limits, Date.now()),
      session: undefined,
      open: 0,
      served: 0,
    };
    const abuse = connection.guard.inspect(head, Date.now());
    const adopted = this.#sessions.adopt(
      socket,
      // An abusive first read still starts the session, for the GOAWAY to go out on.
      abuse === undefined ? head : head.subarray(0, PREFACE.length),
      (stream, headers, endStream) => this.#serveStream(stream, headers, endStream, connection),
    );
    connection.session = adopted.session;
    if (abuse !== undefined) this.#refuseConnection(connection, abuse);
    const inner = adopted.handlers;
    return {
      onData: (chunk) => {
        if (connection.guard.verdict !== undefined) return;
        const found = connection.guard.inspect(chunk, Date.now());
        if (found === undefined) inner.onData(chunk);
        else this.#refuseConnection(connection, found);
      },
      onEnd: () => inner.onEnd(),
      onClose: (error) => inner.onClose(error),
    };
  }

  /**
   * Ends an abusive connection: GOAWAY `ENHANCE_YOUR_CALM` (RFC 9113
   * section 5.4.1), nothing more read from it, and the socket closed
   * shortly after, once the frame had its moment to leave.
   */
  #refuseConnection(connection: H2Connection, _abuse: H2Abuse): void {
    const { session, socket } = connection;
    socket.pause();
    const timer = setTimeout(() => {
      session?.destroy();
      socket.destroy();
    }, GOAWAY_GRACE);
    try {
      session?.goaway(ENHANCE_YOUR_CALM);
    } catch {
      clearTimeout(timer);
      session?.destroy();
      socket.destroy();
    }
  }

  /** One request stream: its `Request`, then the handler through the core. */
  #serveStream(
    stream: H2Stream,
    headers: H2Fields,
    endStream: boolean,
    connection: H2Connection,
  ): void {
    if (connection.guard.verdict !== undefined) {
      // Frames already inside the session when the connection was refused.
      this.#resetStream(stream, REFUSED_STREAM);
      return;
    }
    if (connection.open >= this.limits.maxConcurrentStreams) {
      // The runtime may not enforce the advertised SETTINGS itself.
      this.#resetStream(stream, REFUSED_STREAM);
      const abuse = connection.guard.refused(Date.now());
      if (abuse !== undefined) this.#refuseConnection(connection, abuse);
      return;
    }
    connection.open++;
    stream.once("close", () => connection.open--);
    if (++connection.served >= this.limits.maxRequestsPerConnection) {
      // As on HTTP/1.1: this one is served, then GOAWAY; open streams finish.
      try {
        connection.session?.close();
      } catch {
        // Already closing.
      }
    }
    const socket = connection.socket;
    const method = fetchMethod(String(headers[":method"] ?? "GET"));
    const withBody = !endStream && method !== "GET" && method !== "HEAD";
    const expect = headers["expect"];
    const exchange = new H2Exchange(
      stream,
      this,
      method,
      withBody && typeof expect === "string" && expect.toLowerCase() === "100-continue",
      socket.remoteAddress,
    );
    this.#active.add(exchange);
    const core = exchange.core;
    // A body nobody will read is dropped as it comes, so flow control stays open.
    if (!withBody) stream.resume();
    if (isForbiddenMethod(method)) {
      core.answer(501, true);
      return;
    }
    const length = Number(headers["content-length"] ?? -1);
    if (length > this.limits.maxBodyBytes) {
      // RFC 9110 section 15.5.14, before reading any of it, as the engine.
      core.answer(413, true);
      return;
    }
    const fields: [string, string][] = [];
    let host = "";
    for (const name of Object.keys(headers)) {
      if (name.charCodeAt(0) === 0x3a /* ":" */) continue;
      const value = headers[name];
      if (value === undefined) continue;
      if (name === "host") host = String(value);
      if (Array.isArray(value)) { for (const item of value) fields.push([name, item]); }
      else fields.push([name, String(value)]);
    }
    // RFC 9113 section 8.3.1: `:authority` first, else `Host`.
    const authority = headers[":authority"];
    if (typeof authority === "string" && authority !== "") host = authority;
    const urls = headers[":scheme"] === "http" ? this.#http : this.#https;
    const url = urls.of({ target: String(headers[":path"] ?? ""), headers: [["host", host]] });
    if (url === undefined) {
      core.answer(400, true);
      return;
    }
    try {
      core.createRequest(url, fields, withBody ? exchange.bodyStream() : undefined);
    } catch {
      core.answer(400, true);
      return;
    }
    core.run(this.#settings.handler);
  }

  /** Closes `stream` with RST_STREAM `code`; a stream already gone is left alone. */
  #resetStream(stream: H2Stream, code: number): void {
    try {
      if (!stream.closed && !stream.destroyed) stream.close(code);
    } catch {
      // Reset by the peer meanwhile.
    }
  }

  shutdown(): Promise<void> {
    return this.#stop(false);
  }

  close(): Promise<void> {
    return this.#stop(true);
  }

  #stop(force: boolean): Promise<void> {
    this.#draining = true;
    for (const socket of this.#undecided) socket.destroy();
    if (force) this.#destroyAll();
    if (this.#stopping !== undefined) {
      if (force) void this.#engine!.close();
      return this.#stopping;
    }
    const engine = force ? this.#engine!.close() : this.#engine!.shutdown();
    this.#closeSessions();
    this.#stopping = Promise.all([engine, this.#sessionsClosed()]).then(() => {
      clearInterval(this.#sweep);
    });
    return this.#stopping;
  }

  /** GOAWAY on every session: open streams finish, then each closes. */
  #closeSessions(): void {
    for (const session of this.#sessions.sessions) {
      try {
        session.close();
      } catch {
        session.destroy();
      }
    }
  }

  /** Resolves once every session closed; past `shutdownTimeout` they are destroyed. */
  #sessionsClosed(): Promise<void> {
    const open = [...this.#sessions.sessions].filter((session) => !session.closed);
    if (open.length === 0) return Promise.resolve();
    return new Promise<void>((resolve) => {
      let left = open.length;
      const timer = setTimeout(() => this.#destroyAll(), this.limits.shutdownTimeout);
      for (const session of open) {
        session.once("close", () => {
          if (--left > 0) return;
          clearTimeout(timer);
          resolve();
        });
      }
    });
  }

  #destroyAll(): void {
    const reason = new DOMException("the server is closing", "AbortError");
    for (const exchange of this.#active) exchange.core.abort(reason);
    for (const session of this.#sessions.sessions) session.destroy();
  }
}
