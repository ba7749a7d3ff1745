/**
 * The contract every runtime adapter (`deno.ts`, `bun.ts`, `node.ts`) fulfils:
 * byte sockets with push-style reads, explicit backpressure, and listeners.
 *
 * Push-style reads fit Bun's and Node's native callbacks without an extra
 * promise per chunk; Deno's pull-style `read()` is adapted by a loop in
 * `deno.ts`. Nothing here names a runtime global. This module is browser
 * compatible.
 *
 * @module
 */

/** Where a socket is connected, or a listener bound. */
export type SocketAddress =
  | { readonly transport: "tcp"; readonly hostname: string; readonly port: number }
  | { readonly transport: "unix"; readonly path: string };

/**
 * The write buffer size above which `Socket.write()` returns `false`.
 *
 * @example Respect backpressure
 * ```ts
 * import assert from "node:assert/strict";
 * import { SOCKET_HIGH_WATER_MARK } from "./types.ts";
 * assert.equal(SOCKET_HIGH_WATER_MARK, 65536);
 * ```
 */
export const SOCKET_HIGH_WATER_MARK = 64 * 1024;

/**
 * The normalised `code` of a socket failure (see `SocketError` in
 * `socket_error.ts`). Other operating system codes (`EHOSTUNREACH` ...) pass
 * through unchanged; `EUNKNOWN` means the runtime gave none.
 */
export type SocketErrorCode =
  /** Nobody listens there. */
  | "ECONNREFUSED"
  /** The peer reset the connection. */
  | "ECONNRESET"
  /** Connecting or sending timed out in the operating system. */
  | "ETIMEDOUT"
  /** Writing to a connection the peer has closed. */
  | "EPIPE"
  /** TLS failed: unknown CA, name mismatch, handshake alert, bad record. */
  | "ETLS"
  /** A unix socket path that does not exist. */
  | "ENOENT"
  /** The address or unix path is taken. */
  | "EADDRINUSE"
  /** Permission denied. */
  | "EACCES"
  /** The host name did not resolve. */
  | "ENOTFOUND"
  /** The runtime gave no code. */
  | "EUNKNOWN";

/** Callbacks a socket delivers to its owner. Each is called on the event loop, never re-entrantly from `write`. */
export interface SocketHandlers {
  /**
   * Bytes arrived. The chunk belongs to the callee from now on: the adapter
   * never reuses or mutates it, so views into it may be kept.
   */
  onData(chunk: Uint8Array): void;
  /** The peer ended its side (EOF). `onClose` follows once the socket is closed. */
  onEnd(): void;
  /** The socket is fully closed; called exactly once. `error` is set when it failed. */
  onClose(error?: Error): void;
}

/** A connected byte stream (TCP, TLS or unix). */
export interface Socket {
  /** The local address. */
  readonly localAddress: SocketAddress;
  /** The peer's address. */
  readonly remoteAddress: SocketAddress;
  /**
   * Whether `onClose` has been delivered, `destroy()` called, or the runtime
   * has already torn the connection down (`onClose` then follows).
   */
  readonly closed: boolean;
  /**
   * Queues bytes for sending, in order. Returns `false` when the adapter's
   * buffer is above its high-water mark ({@linkcode SOCKET_HIGH_WATER_MARK}):
   * the caller should `await drained()` before writing more. Writing after
   * `end()` or close is ignored (returns `false`). The adapter may keep a
   * reference to `chunk` until it is sent, so do not mutate it afterwards.
   * A string is sent as its UTF-8 encoding: Node and Bun encode it natively,
   * saving the caller an encoder call and a copy.
   */
  write(chunk: Uint8Array | string): boolean;
  /** Resolves when the write buffer is empty; resolves at once if closed. */
  drained(): Promise<void>;
  /**
   * Bytes written but not yet taken by the operating system (0 once closed).
   * Text counts in UTF-16 code units on Node: exact for the ASCII heads the
   * server writes, approximate otherwise.
   */
  readonly bufferedAmount: number;
  /**
   * Bytes the operating system has taken so far (monotonic, same units as
   * `bufferedAmount`): a peer that reads nothing leaves it unchanged, which
   * is how an owner tells a slow reader from a stalled one. Node reports it
   * per completed slice of at most 64 KiB, Deno and Bun per partial write.
   */
  readonly bytesSent: number;
  /**
   * Stops `onData` and `onEnd` delivery until `resume()`. The adapter stops
   * reading, so the peer soon sees backpressure; bytes that were already
   * read are held, never dropped.
   */
  pause(): void;
  /** Restarts delivery after `pause()`, from a later task (never inside this call). */
  resume(): void;
  /**
   * Flushes queued bytes, then closes the write side (FIN). Reading goes on:
   * the socket closes (`onClose`) once the peer has ended too, or on error.
   * An owner that will not wait for the peer calls `destroy()`.
   */
  end(): void;
  /** Closes at once, discarding queued bytes. */
  destroy(error?: Error): void;
  /** Lets the process exit while this socket is open (idle pooled connections). */
  unref(): void;
  /** Undoes `unref()`. */
  ref(): void;
}

/** TLS settings for a client connection. */
export interface ClientTlsOptions {
  /** Extra trusted CA certificates in PEM (for example a cluster CA). */
  readonly ca?: string | readonly string[];
  /** Client certificate chain in PEM, for mutual TLS. */
  readonly cert?: string;
  /** Client private key in PEM, for mutual TLS. */
  readonly key?: string;
  /** The server name for SNI and verification; defaults to the hostname connected to. */
  readonly serverName?: string;
  /** ALPN protocols to offer; the client offers `http/1.1` only. */
  readonly alpnProtocols?: readonly string[];
  /**
   * Accepts any certificate. Only for tests: it makes TLS useless against an
   * active attacker, hence the loud name.
   */
  readonly dangerouslySkipVerification?: boolean;
}

/** Where and how to connect. */
export interface ConnectOptions {
  /** Host name or IP for TCP; ignored when `path` is set. */
  readonly hostname?: string;
  /** TCP port. */
  readonly port?: number;
  /** A unix domain socket path instead of TCP. */
  readonly path?: string;
  /** Wrap the connection in TLS. */
  readonly tls?: ClientTlsOptions;
  /** Aborts connecting; the promise rejects with the signal's reason. */
  readonly signal?: AbortSignal;
}

/** TLS settings for a listener. */
export interface ServerTlsOptions {
  /** Certificate chain in PEM. */
  readonly cert: string;
  /** Private key in PEM. */
  readonly key: string;
  /** ALPN protocols to accept; `http/1.1` by default. */
  readonly alpnProtocols?: readonly string[];
}

/** Where and how to listen. */
export interface ListenOptions {
  /** Interface to bind; default `"0.0.0.0"`. Ignored when `path` is set. */
  readonly hostname?: string;
  /** TCP port; 0 picks a free one (read it back from `Listener.address`). */
  readonly port?: number;
  /** A unix domain socket path instead of TCP. */
  readonly path?: string;
  /** Serve TLS. */
  readonly tls?: ServerTlsOptions;
}

/** A bound listener. */
export interface Listener {
  /** The bound address, with the real port when 0 was asked for. */
  readonly address: SocketAddress;
  /** Stops accepting; open sockets are left to their owners. Resolves when unbound. */
  close(): Promise<void>;
}

/** Called for each accepted socket; returns the handlers that will receive its events. */
export type AcceptCallback = (socket: Socket) => SocketHandlers;

/** One runtime's networking, as used by the client and the server. */
export interface RuntimeAdapter {
  /** `"deno"`, `"bun"` or `"node"`. */
  readonly name: "deno" | "bun" | "node";
  /**
   * Opens a connection; `handlers` receive its events once it resolves.
   * Failures reject with a `SocketError` whose `code` is a
   * {@linkcode SocketErrorCode}; an aborted `signal` rejects with its reason.
   */
  connect(options: ConnectOptions, handlers: SocketHandlers): Promise<Socket>;
  /**
   * Binds a listener; `accept` is called for each new connection. A unix
   * `path` whose socket file is stale (nobody accepts on it) is replaced; a
   * live one fails with `EADDRINUSE`. `close()` removes the socket file.
   */
  listen(options: ListenOptions, accept: AcceptCallback): Promise<Listener>;
}
