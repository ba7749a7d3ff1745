/**
 * The server on our engine: a runtime adapter's listener, one
 * {@linkcode Connection} per socket, a sweep for deadlines, and graceful
 * shutdown. This module is browser compatible (sockets come from the adapter).
 *
 * @module
 */

import type { Listener, RuntimeAdapter, Socket } from "../runtime/types.ts";
import { authorityOf, type BackendSettings, type ServerBackend } from "./backend.ts";
import { Connection, type ConnectionContext } from "./connection.ts";
import { sweepPeriod } from "./limits.ts";
import type { HintPolicy, ServeHandler, ServeLimits } from "./types.ts";

/**
 * Binds `adapter`'s listener and serves it with the engine.
 *
 * @param settings The handler, options and limits.
 * @param adapter The runtime's sockets.
 * @returns The running server.
 */
export async function startEngineServer(
  settings: BackendSettings,
  adapter: RuntimeAdapter,
): Promise<ServerBackend> {
  const { options } = settings;
  const server = new EngineServer(settings, adapter.name, options.cert !== undefined);
  const listener = await adapter.listen(
    {
      hostname: options.hostname ?? "0.0.0.0",
      port: options.port ?? 8000,
      ...(options.path !== undefined ? { path: options.path } : {}),
      ...(options.cert !== undefined && options.key !== undefined
        ? { tls: { cert: options.cert, key: options.key } }
        : {}),
    },
    (socket) => server.accept(socket),
  );
  server.bind(listener);
  return server;
}

// How long close() waits for destroyed sockets to report their close.
const CLOSE_GRACE_MS = 2_000;

class EngineServer implements ServerBackend, ConnectionContext {
  readonly adapter: string;
  readonly handler: ServeHandler;
  readonly limits: Readonly<ServeLimits>;
  readonly hintPolicy: HintPolicy | undefined;
  readonly scheme: string;
  defaultHost = "localhost";
  draining = false;
  readonly #settings: BackendSettings;
  readonly #connections = new Set<Connection>();
  #listener: Listener | undefined;
  #sweep: ReturnType<typeof setInterval> | undefined;
  #allClosed: (() => void) | undefined;
  #stopping: Promise<void> | undefined;

  constructor(settings: BackendSettings, adapter: string, tls: boolean) {
    this.#settings = settings;
    this.adapter = adapter;
    this.handler = settings.handler;
    this.limits = settings.limits;
    this.hintPolicy = settings.options.hintPolicy;
    this.scheme = tls ? "https" : "http";
  }

  get addr() {
    return this.#listener!.address;
  }

  bind(listener: Listener): void {
    this.#listener = listener;
    this.defaultHost = authorityOf(listener.address);
    this.#sweep = setInterval(() => {
      const now = Date.now();
      for (const connection of this.#connections) connection.checkDeadline(now);
    }, sweepPeriod(this.limits));
  }

  accept(socket: Socket): Connection {
    const connection = new Connection(socket, this);
    this.#connections.add(connection);
    if (this.draining) connection.drain();
    return connection;
  }

  onError(error: unknown, request: Request): void {
    this.#settings.onError(error, request);
  }

  connectionClosed(connection: Connection): void {
    this.#connections.delete(connection);
    if (this.#connections.size === 0) this.#allClosed?.();
  }

  shutdown(): Promise<void> {
    return this.#stop(false);
  }

  close(): Promise<void> {
    return this.#stop(true);
  }

  #stop(force: boolean): Promise<void> {
    if (this.#stopping !== undefined) {
      if (force) this.#destroyAll();
      return this.#stopping;
    }
    this.draining = true;
    const allClosed = new Promise<void>((resolve) => {
      this.#allClosed = resolve;
    });
    if (this.#connections.size === 0) this.#allClosed!();
    this.#stopping = (async () => {
      const unbound = this.#listener!.close().catch(() => {});
      if (force) this.#destroyAll();
      else for (const connection of this.#connections) connection.drain();
      // Destroyed sockets report their close promptly; should one never do,
      // stop waiting for it after a grace period rather than hang.
      let timer: ReturnType<typeof setTimeout> | undefined;
      const cutOff = new Promise<void>((resolve) => {
        const destroyAndWait = () => {
          this.#destroyAll();
          timer = setTimeout(resolve, CLOSE_GRACE_MS);
        };
        if (force) timer = setTimeout(resolve, CLOSE_GRACE_MS);
        else timer = setTimeout(destroyAndWait, this.limits.shutdownTimeout);
      });
      try {
        await Promise.race([allClosed, cutOff]);
      } finally {
        clearTimeout(timer);
      }
      let unbindTimer: ReturnType<typeof setTimeout> | undefined;
      await Promise.race([
        unbound,
        new Promise((resolve) => (unbindTimer = setTimeout(resolve, CLOSE_GRACE_MS))),
      ]);
      clearTimeout(unbindTimer);
      clearInterval(this.#sweep);
    })();
    return this.#stopping;
  }

  #destroyAll(): void {
    const reason = new DOMException("the server is closing", "AbortError");
    for (const connection of this.#connections) connection.destroy(reason);
  }
}
