/**
 * The connections to one origin (scheme, host and port, or a unix socket
 * path): idle keep-alive sockets reused most-recent first, a cap on open
 * sockets with a queue beyond it, and idle sockets that neither keep the
 * process alive nor outlive `idleTimeout`.
 *
 * @module
 */

import { abortable } from "../runtime/abortable.ts";
import type { ParserLimits } from "../http1/types.ts";
import type { ConnectOptions, RuntimeAdapter } from "../runtime/types.ts";
import { Connection, type ConnectionOwner } from "./connection.ts";
import { onAbort } from "./abort.ts";
import { connectError, FetchError } from "./errors.ts";
import { startTimer } from "./timer.ts";

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
}

interface Waiter {
  resolve(connection: Connection): void;
  reject(error: unknown): void;
  signal: AbortSignal | undefined;
  stopAbort: (() => void) | undefined;
}

/**
 * The connection pool of one origin.
 */
export class OriginPool implements ConnectionOwner {
  readonly #options: OriginPoolOptions;
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
  acquire(signal: AbortSignal | undefined): Connection | Promise<Connection> {
    if (this.#closed) {
      return Promise.reject(new FetchError("CLIENT_CLOSED", "the client is closed"));
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
    return new Promise<Connection>((resolve, reject) => {
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
  async #connect(signal: AbortSignal | undefined): Promise<Connection> {
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
    let connection: Connection;
    try {
      if (signal?.aborted) throw signal.reason;
      const adapter = await options.adapter();
      const opening = Connection.open(
        adapter,
        { ...options.connect, signal: controller.signal },
        options.limits,
        this,
      );
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
