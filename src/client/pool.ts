/**
 * The connections to one origin (scheme, host and port, or a unix socket
 * path): idle keep-alive sockets reused most-recent first, a cap on open
 * sockets with a queue beyond it, and idle sockets that neither keep the
 * process alive nor outlive `idleTimeout`. Over TLS the pool offers `h2`
 * through ALPN: when the server picks it, one HTTP/2 session carries every
 * request to the origin, each on its own stream; requests made while the
 * first handshake is under way wait for its outcome instead of opening
 * sockets of their own.
 *
 * @module
 */

import { abortable } from "../runtime/abortable.ts";
import type { ParserLimits } from "../http1/types.ts";
import type { ConnectOptions, RuntimeAdapter } from "../runtime/types.ts";
import { Connection, type ConnectionOwner } from "./connection.ts";
import { onAbort } from "./abort.ts";
import { connectError, FetchError } from "./errors.ts";
import { H2Session, type H2SessionOwner } from "./h2_session.ts";
import { startTimer } from "./timer.ts";
import { connectAlpn } from "../runtime/http2_client.ts";

/** What carries an exchange: an HTTP/1.1 connection, or an HTTP/2 session. */
export type Carrier = Connection | H2Session;

/** Settings shared by every connection of a pool. */
export interface OriginPoolOptions {
  /** Resolves the socket layer (once). */
  readonly adapter: () => Promise<RuntimeAdapter>;
  /** Where and how to connect (without a signal). */
  readonly connect: ConnectOptions;
  /** For messages: `host:port` or the socket path. */
  readonly target: string;
  /** Most open sockets. */
  readonly maxSockets: number;
  /** Idle lifetime, in ms. */
  readonly idleTimeout: number;
  /** Connect timeout, in ms. */
  readonly connectTimeout: number;
  /** Parser limits for each connection. */
  readonly limits: Partial<ParserLimits>;
  /** Called when the last socket closed and nobody waits: the owner may drop the pool. */
  readonly onEmpty?: () => void;
  /**
   * Offer `h2` and `http/1.1` through ALPN (TLS over TCP only) and use
   * HTTP/2 when the server picks it. The authority is `https://host:port`.
   */
  readonly h2Authority?: string;
}

interface Waiter {
  resolve(connection: Carrier): void;
  reject(error: unknown): void;
  signal: AbortSignal | undefined;
  stopAbort: (() => void) | undefined;
}

/**
 * The connection pool of one origin.
 */
export class OriginPool implements ConnectionOwner, H2SessionOwner {
  readonly #options: OriginPoolOptions;
  /** The HTTP/2 session new requests go to, while it is usable. */
  #h2: H2Session | undefined;
  /** Every open HTTP/2 session (one draining after GOAWAY may still run streams). */
  readonly #h2All = new Set<H2Session>();
  /** What the origin's server chose last through ALPN. */
  #protocol: "h2" | "http/1.1" | undefined;
  /** A connect whose ALPN outcome others wait for (settles either way). */
  #negotiating: Promise<unknown> | undefined;
  readonly #idle: Connection[] = [];
  readonly #all = new Set<Connection>();
  readonly #waiters: Waiter[] = [];
  /** Sockets open or being opened. */
  #open = 0;
  #sweep: ReturnType<typeof setTimeout> | undefined;
  #closed = false;

  /**
   * Creates an empty pool.
   *
   * @param options The pool's settings.
   */
  constructor(options: OriginPoolOptions) {
    this.#options = options;
  }

  /** Whether the pool has no socket and nobody waiting (it can be dropped). */
  get empty(): boolean {
    return this.#open === 0 && this.#waiters.length === 0;
  }

  /**
   * Gives an idle connection, opens one, or waits for one.
   *
   * @param signal Aborts waiting and connecting.
   * @returns A connection to run one exchange on.
   */
  acquire(signal: AbortSignal | undefined): Carrier | Promise<Carrier> {
    if (this.#closed) {
      return Promise.reject(new FetchError("CLIENT_CLOSED", "the client is closed"));
    }
    const h2 = this.#h2;
    if (h2 !== undefined && h2.usable) return h2;
    if (this.#options.h2Authority !== undefined && this.#protocol !== "http/1.1") {
      const negotiating = this.#negotiating;
      if (negotiating !== undefined) {
        // The outcome decides: one session for all, or sockets as usual.
        const settled = negotiating.then(() => undefined, () => undefined);
        return abortable(settled, signal).then(() => this.acquire(signal));
      }
      if (this.#open < this.#options.maxSockets) {
        this.#open++;
        const connecting = this.#connect(signal);
        this.#negotiating = connecting;
        const clear = () => {
          if (this.#negotiating === connecting) this.#negotiating = undefined;
        };
        connecting.then(clear, clear);
        return connecting;
      }
    }
    const idle = this.#idle;
    const now = Date.now();
    while (idle.length > 0) {
      const connection = idle.pop()!;
      if (connection.idle && connection.idleDeadline > now) return connection;
      connection.close();
    }
    if (this.#open < this.#options.maxSockets) {
      this.#open++;
      return this.#connect(signal);
    }
    return new Promise<Carrier>((resolve, reject) => {
      const waiter: Waiter = { resolve, reject, signal, stopAbort: undefined };
      if (signal !== undefined) {
        waiter.stopAbort = onAbort(signal, () => {
          const index = this.#waiters.indexOf(waiter);
          if (index !== -1) this.#waiters.splice(index, 1);
          reject(signal.reason);
        });
      }
      this.#waiters.push(waiter);
    });
  }

  /**
   * Connection callback: the exchange ended cleanly.
   *
   * @param connection The connection, idle again.
   * @param keepAliveMs The server's `Keep-Alive: timeout`, in ms.
   */
  release(connection: Connection, keepAliveMs: number | undefined): void {
    if (this.#closed) {
      connection.close();
      return;
    }
    const waiter = this.#waiters.shift();
    if (waiter !== undefined) {
      this.#settleWaiter(waiter);
      waiter.resolve(connection);
      return;
    }
    let lifetime = this.#options.idleTimeout;
    // Give the socket up a second before the server says it will.
    if (keepAliveMs !== undefined) lifetime = Math.min(lifetime, keepAliveMs - 1000);
    if (!(lifetime > 0)) {
      connection.close();
      return;
    }
    const now = Date.now();
    // Without a sweep timer (numeric timer ids) expired sockets go here, oldest first.
    const idle = this.#idle;
    while (idle.length > 0 && idle[0]!.idleDeadline <= now) idle.shift()!.close();
    connection.idleDeadline = now + lifetime;
    idle.push(connection);
    this.#armSweep();
  }

  /**
   * Connection callback: the connection closed.
   *
   * @param connection The closed connection.
   */
  closed(connection: Connection): void {
    if (!this.#all.delete(connection)) return;
    const index = this.#idle.indexOf(connection);
    if (index !== -1) this.#idle.splice(index, 1);
    this.#open--;
    this.#serveWaiter();
    if (this.empty) this.#options.onEmpty?.();
  }

  /** Closes idle sockets now. */
  closeIdle(): void {
    for (const connection of this.#idle.splice(0)) connection.close();
    for (const session of this.#h2All) session.closeIfIdle();
  }

  /**
   * Closes everything: queued requests and running exchanges fail with `error`.
   *
   * @param error The error they fail with.
   */
  close(error: FetchError): void {
    this.#closed = true;
    clearTimeout(this.#sweep);
    for (const waiter of this.#waiters.splice(0)) {
      this.#settleWaiter(waiter);
      waiter.reject(error);
    }
    for (const connection of [...this.#all]) connection.close(error);
    for (const session of [...this.#h2All]) session.close(error);
    this.#h2 = undefined;
  }

  /**
   * Session callback: the session takes no new streams (GOAWAY, idle
   * expiry, close).
   *
   * @param session The session.
   */
  h2Gone(session: H2Session): void {
    if (this.#h2 === session) this.#h2 = undefined;
  }

  /** The session's socket closed. */
  #h2Closed(session: H2Session): void {
    session.gone();
    if (!this.#h2All.delete(session)) return;
    this.#open--;
    this.#serveWaiter();
    if (this.empty) this.#options.onEmpty?.();
  }

  #serveWaiter(): void {
    if (this.#waiters.length === 0 || this.#open >= this.#options.maxSockets) return;
    const waiter = this.#waiters.shift()!;
    this.#settleWaiter(waiter);
    this.#open++;
    this.#connect(waiter.signal).then(waiter.resolve, waiter.reject);
  }

  #settleWaiter(waiter: Waiter): void {
    waiter.stopAbort?.();
  }

  /** Opens a connection, bounded by the connect timeout and the caller's signal. */
  async #connect(signal: AbortSignal | undefined): Promise<Carrier> {
    const options = this.#options;
    const controller = new AbortController();
    const stopAbort = signal === undefined
      ? undefined
      : onAbort(signal, () => controller.abort(signal.reason));
    const timer = startTimer(options.connectTimeout, () => {
      controller.abort(
        new FetchError(
          "CONNECT_TIMEOUT",
          `connecting to ${options.target} took longer than ${options.connectTimeout} ms`,
        ),
      );
    });
    let connection: Carrier;
    try {
      if (signal?.aborted) throw signal.reason;
      const adapter = await options.adapter();
      const connect = { ...options.connect, signal: controller.signal };
      const opening = options.h2Authority !== undefined && this.#protocol !== "http/1.1"
        ? this.#openAlpn(adapter, connect, options.h2Authority)
        : Connection.open(adapter, connect, options.limits, this);
      // Do not trust every adapter to honour the signal: race it.
      connection = await abortable(opening, controller.signal, (late) => late.close());
    } catch (error) {
      this.#open--;
      this.#serveWaiter();
      if (controller.signal.aborted) throw controller.signal.reason;
      throw connectError(error, options.target, options.connect.tls !== undefined);
    } finally {
      clearTimeout(timer);
      stopAbort?.();
    }
    if (this.#closed) {
      this.#open--;
      connection.close();
      throw new FetchError("CLIENT_CLOSED", "the client was closed while connecting");
    }
    if (connection instanceof H2Session) return this.#trackH2(connection);
    if (connection.closed) {
      // It closed before it could be tracked, so closed() did not count it.
      this.#open--;
      this.#serveWaiter();
      throw new FetchError(
        "CLOSED_BEFORE_RESPONSE",
        `the connection to ${options.target} closed right after opening`,
      );
    }
    this.#all.add(connection);
    return connection;
  }

  /**
   * Opens TLS offering `h2`: an HTTP/2 session when the server picks it,
   * else an HTTP/1.1 connection on the same socket.
   */
  async #openAlpn(
    adapter: RuntimeAdapter,
    connect: ConnectOptions,
    authority: string,
  ): Promise<Carrier> {
    const alpn = await connectAlpn(connect);
    this.#protocol = alpn.protocol;
    if (alpn.protocol === "http/1.1") {
      // The socket is already open: a one-shot adapter hands it over.
      const handOver: RuntimeAdapter = {
        name: adapter.name,
        connect: (_options, handlers) => Promise.resolve(alpn.adopt(handlers)),
        listen: () => Promise.reject(new TypeError("a handed-over socket cannot listen")),
      };
      return Connection.open(handOver, connect, this.#options.limits, this);
    }
    const h2 = new H2Session(
      this,
      this.#options.idleTimeout,
      this.#options.limits.maxInformational ?? 100,
    );
    try {
      h2.attach(
        await alpn.startSession(authority, {
          goaway: () => h2.gone(),
          closed: () => this.#h2Closed(h2),
        }),
      );
    } catch (error) {
      alpn.destroy();
      throw error;
    }
    return h2;
  }

  /** Takes a new session in: it serves whoever waits, and later requests. */
  #trackH2(session: H2Session): H2Session {
    if (!session.usable) {
      this.#open--;
      this.#serveWaiter();
      throw new FetchError(
        "CLOSED_BEFORE_RESPONSE",
        `the HTTP/2 session to ${this.#options.target} closed right after opening`,
      );
    }
    this.#h2All.add(session);
    this.#h2 = session;
    for (const waiter of this.#waiters.splice(0)) {
      this.#settleWaiter(waiter);
      waiter.resolve(session);
    }
    return session;
  }

  /**
   * Closes expired idle sockets. The timer is unref'd where the runtime's
   * timers allow it (Node, Bun, and Deno 2, whose timers are objects with
   * `unref()`); where they do not (numeric timer ids) no timer is armed, and
   * expiry is checked when a socket is taken or given back instead, so an
   * idle pool never keeps a process alive.
   */
  #armSweep(): void {
    if (this.#sweep !== undefined || !timersCanUnref()) return;
    const timer = startTimer(this.#options.idleTimeout + 50, () => {
      this.#sweep = undefined;
      const now = Date.now();
      const idle = this.#idle;
      for (let i = idle.length - 1; i >= 0; i--) {
        const connection = idle[i]!;
        if (connection.idleDeadline <= now) {
          idle.splice(i, 1);
          connection.close();
        }
      }
      if (idle.length > 0) this.#armSweep();
    });
    if (timer === undefined) return; // idleTimeout: Infinity, nothing ever expires
    (timer as unknown as { unref(): void }).unref();
    this.#sweep = timer;
  }
}

let unrefSupported: boolean | undefined;

function timersCanUnref(): boolean {
  if (unrefSupported === undefined) {
    const probe = setTimeout(() => {}, 0) as unknown;
    clearTimeout(probe as ReturnType<typeof setTimeout>);
    unrefSupported = typeof probe === "object" && probe !== null &&
      typeof (probe as { unref?: unknown }).unref === "function";
  }
  return unrefSupported;
}
