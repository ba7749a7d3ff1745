/**
 * The Bun adapter: `Bun.connect` and `Bun.listen`, whose callbacks are
 * already push-style, so a chunk costs no promise.
 *
 * `socket.write()` in Bun is unbuffered (it returns how many bytes the kernel
 * took); the rest is queued here and written from the `drain` callback.
 * Type-checked with bun-types (`tsconfig.bun.json`), not by `deno check`:
 * nothing Deno checks may import this file statically.
 *
 * Bun 1.4 behaviours this file works around:
 * - `socket.end()` closes both directions at once even with `allowHalfOpen`;
 *   `shutdown()` is the real half-close.
 * - After our `shutdown()`, the peer's FIN closes the socket without the
 *   `end` callback; `onEnd` is reported before `onClose` then.
 * - A TLS client's `connect()` resolves without refusing an unverified
 *   peer (`authorized` is false, nothing throws); verification is read from
 *   the `handshake` callback, which in turn never fires when `tls` is an
 *   empty object (ours never is).
 * - `close` runs synchronously inside `end()`, `terminate()` and failing
 *   writes, and `terminate()` sends a reset; `onClose` is delivered from a
 *   microtask and `destroy()` uses `end()` (FIN) like Node and Deno.
 * - An accepted TLS socket can report `error` before `open` (no `data` yet).
 *
 * @module
 */

import {
  type AcceptCallback,
  type ClientTlsOptions,
  type ConnectOptions,
  type Listener,
  type ListenOptions,
  type RuntimeAdapter,
  type Socket,
  SOCKET_HIGH_WATER_MARK,
  type SocketAddress,
  type SocketHandlers,
} from "./types.ts";
import { opensslTlsFailure, SocketError, toSocketError } from "./socket_error.ts";
import { DrainWaiters } from "./drain_waiters.ts";
import { HeldChunks } from "./held_chunks.ts";
import { abortable } from "./abortable.ts";
import { removeStaleUnixSocket, removeUnixSocketFile } from "./unix_socket_file.ts";
import type { Socket as BunRawSocket, SocketHandler, SocketListener, TLSOptions } from "bun";

/** Encodes strings given to `write()` (as UTF-8). */
const encoder = new TextEncoder();

/** `data` is unset on an accepted TLS socket until its handshake is done. */
type RawSocket = BunRawSocket<BunSocket | undefined>;
/** Our callbacks, with `binaryType: "uint8array"` (plain chunks, not Buffers). */
type Callbacks = SocketHandler<BunSocket | undefined, "uint8array">;

/**
 * bun-types only accepts handlers typed for the default `"buffer"` binary
 * type; with `"uint8array"` Bun passes plain `Uint8Array`s instead, which
 * is what `onData` promises (a Buffer's `slice` would share memory).
 */
function asBunHandlers(callbacks: Callbacks): SocketHandler<BunSocket | undefined> {
  return callbacks as unknown as SocketHandler<BunSocket | undefined>;
}

/** A `Socket` over a Bun socket; the Bun socket's `data` points back here. */
class BunSocket implements Socket {
  localAddress: SocketAddress = { transport: "tcp", hostname: "", port: 0 };
  remoteAddress: SocketAddress = { transport: "tcp", hostname: "", port: 0 };
  #raw: RawSocket | undefined;
  #handlers: SocketHandlers | undefined;
  #unixPath: string | undefined;
  #closed = false;
  #closeDelivered = false;
  #error: Error | undefined;
  #queue: Uint8Array[] = [];
  #queuedBytes = 0;
  /** Bytes Bun's kernel writes took; strings count in UTF-8 bytes. */
  #sentBytes = 0;
  #ending = false;
  #finSent = false;
  #peerEnded = false;
  readonly #drainWaiters = new DrainWaiters();
  /** Set when connect() was aborted: the socket is dropped as soon as it opens. */
  abandoned = false;
  /** Settles when a client's TLS handshake ends (see `expectHandshake`). */
  #handshake: { resolve(): void; reject(error: Error): void } | undefined;
  #skipVerification = false;
  /**
   * Chunks that arrived while paused (made on the first pause). Bun's
   * pause() stops reading the socket, but the TLS records of a read already
   * done are still delivered, one `data` call each.
   */
  #held: HeldChunks | undefined;

  constructor(handlers: SocketHandlers | undefined, unixPath: string | undefined) {
    this.#handlers = handlers;
    this.#unixPath = unixPath;
  }

  get closed(): boolean {
    return this.#closed;
  }

  /** The Bun socket opened (for TLS: after the handshake). */
  opened(raw: RawSocket): void {
    this.#raw = raw;
    if (this.#unixPath !== undefined) {
      this.localAddress = { transport: "unix", path: this.#unixPath };
      this.remoteAddress = this.localAddress;
    } else {
      raw.setNoDelay(true);
      this.localAddress = { transport: "tcp", hostname: raw.localAddress, port: raw.localPort };
      this.remoteAddress = { transport: "tcp", hostname: raw.remoteAddress, port: raw.remotePort };
    }
  }

  /**
   * Makes `handshake` settle once the TLS handshake is over: Bun resolves
   * `connect()` before it and, when verification fails, reports it only in
   * the `handshake` callback.
   */
  expectHandshake(skipVerification: boolean): Promise<void> {
    this.#skipVerification = skipVerification;
    return new Promise((resolve, reject) => {
      this.#handshake = { resolve, reject };
    });
  }

  /** Bun's `handshake` callback. */
  handshaken(success: boolean, failure: Error | null): void {
    const handshake = this.#handshake;
    this.#handshake = undefined;
    if (handshake === undefined) return;
    if (this.#skipVerification || (success && failure === null)) {
      handshake.resolve();
      return;
    }
    this.abandoned = true;
    handshake.reject(failure ?? new SocketError("ETLS", "TLS handshake failed"));
    this.#raw?.terminate();
  }

  /** Sets the handlers of an accepted socket; called once. */
  attach(handlers: SocketHandlers): void {
    this.#handlers = handlers;
  }

  write(data: Uint8Array | string): boolean {
    const raw = this.#raw;
    if (raw === undefined || this.#closed || this.#ending) return false;
    let rest: Uint8Array;
    if (this.#queue.length === 0) {
      // Bun encodes a string natively; only a partial write needs its bytes.
      const written = raw.write(data);
      if (written < 0) return false;
      this.#sentBytes += written;
      if (typeof data === "string") {
        if (written === Buffer.byteLength(data)) return true;
        rest = encoder.encode(data).subarray(written);
      } else {
        if (written === data.byteLength) return true;
        rest = data.subarray(written);
      }
    } else rest = typeof data === "string" ? encoder.encode(data) : data;
    this.#queue.push(rest);
    this.#queuedBytes += rest.byteLength;
    return this.#queuedBytes < SOCKET_HIGH_WATER_MARK;
  }

  drained(): Promise<void> {
    if (this.#closed || this.#queuedBytes === 0) return Promise.resolve();
    return this.#drainWaiters.wait();
  }

  get bufferedAmount(): number {
    return this.#queuedBytes;
  }

  get bytesSent(): number {
    return this.#sentBytes;
  }

  pause(): void {
    (this.#held ??= this.#newHeldChunks()).start();
    this.#raw?.pause();
  }

  resume(): void {
    this.#held?.release();
  }

  #newHeldChunks(): HeldChunks {
    return new HeldChunks({
      stopped: () => this.#closed,
      deliver: (chunk) => this.#handlers?.onData(chunk),
      released: (end) => {
        this.#raw?.resume();
        if (end) this.peerEnded();
      },
    });
  }

  end(): void {
    if (this.#closed || this.#ending) return;
    this.#ending = true;
    if (this.#queue.length === 0) this.#sendFin();
  }

  destroy(error?: Error): void {
    if (this.#closed) return;
    this.#closed = true;
    if (error !== undefined) this.#error = error;
    this.#dropQueue();
    // end(), not terminate(): Bun's end() closes at once too, but with a FIN
    // (like Node's and Deno's close) where terminate() sends a reset.
    this.#raw?.end();
    // Bun calls `close` synchronously from end(); this covers a socket that
    // never opened.
    this.deliverClose(undefined);
  }

  unref(): void {
    this.#raw?.unref();
  }

  ref(): void {
    this.#raw?.ref();
  }

  /** Bytes arrived. */
  received(chunk: Uint8Array): void {
    if (this.#closed) return;
    const held = this.#held;
    if (held === undefined || !held.holding) this.#handlers?.onData(chunk);
    else held.push(chunk);
  }

  /** The kernel accepts writes again: send what was queued. */
  writable(): void {
    const raw = this.#raw;
    const queue = this.#queue;
    if (raw === undefined || this.#closed) return;
    while (queue.length > 0) {
      const chunk = queue[0] as Uint8Array;
      const written = raw.write(chunk);
      if (written < 0) return;
      this.#queuedBytes -= written;
      this.#sentBytes += written;
      if (written < chunk.byteLength) {
        queue[0] = chunk.subarray(written);
        return;
      }
      queue.shift();
    }
    this.#drainWaiters.release();
    if (this.#ending) this.#sendFin();
  }

  /** The peer sent FIN. */
  peerEnded(): void {
    if (this.#closed || this.#peerEnded) return;
    if (this.#held?.holding === true) {
      this.#held.pushEnd();
      return;
    }
    this.#peerEnded = true;
    this.#handlers?.onEnd();
    if (this.#finSent) this.#raw?.end();
  }

  /** A failure; `close` follows. */
  failed(error: Error): void {
    this.#error ??= toSocketError(error, "socket");
  }

  /** Bun closed the socket; delivers `onClose` once. */
  deliverClose(error: Error | undefined): void {
    if (this.#closeDelivered) return;
    const handshake = this.#handshake;
    this.#handshake = undefined;
    handshake?.reject(
      error ?? new SocketError("ECONNRESET", "connection closed during the TLS handshake"),
    );
    if (error !== undefined) this.#error ??= toSocketError(error, "socket");
    this.#closed = true;
    this.#closeDelivered = true;
    this.#dropQueue();
    this.#drainWaiters.release();
    // A socket whose connect() rejected was never handed out.
    if (this.abandoned) return;
    // Bun runs `close` synchronously inside end(), terminate() and failing
    // writes; the owner hears of it from a fresh microtask instead, never
    // re-entrantly from its own call.
    queueMicrotask(() => {
      const handlers = this.#handlers;
      const held = this.#held?.take();
      if (this.#error === undefined) {
        // A clean close loses nothing: bytes held by pause() come first.
        if (held !== undefined) { for (const chunk of held) handlers?.onData(chunk); }
        // Bun closes a socket whose write side we shut down as soon as the
        // peer sends FIN, without calling `end`: report the FIN first.
        if (!this.#peerEnded && (this.#held?.endHeld === true || this.#finSent)) {
          this.#peerEnded = true;
          handlers?.onEnd();
        }
      }
      handlers?.onClose(this.#error);
    });
  }

  #sendFin(): void {
    if (this.#finSent) return;
    this.#finSent = true;
    // Bun's end() closes both directions at once; shutdown() is the real
    // half-close (FIN) that keeps reading until the peer ends too.
    if (this.#peerEnded) this.#raw?.end();
    else this.#raw?.shutdown();
  }

  #dropQueue(): void {
    this.#queue = [];
    this.#queuedBytes = 0;
  }
}

/** Callbacks shared by every socket: per-socket state lives in `socket.data`. */
const SOCKET_CALLBACKS: Callbacks = {
  binaryType: "uint8array",
  open(raw) {
    const socket = raw.data;
    if (socket === undefined) return;
    if (socket.abandoned) {
      raw.terminate();
      return;
    }
    socket.opened(raw);
  },
  data(raw, chunk) {
    raw.data?.received(chunk);
  },
  drain(raw) {
    raw.data?.writable();
  },
  end(raw) {
    raw.data?.peerEnded();
  },
  error(raw, error) {
    raw.data?.failed(error);
  },
  close(raw, error) {
    raw.data?.deliverClose(error);
  },
  connectError() {
    // connect() rejects; handling it here keeps Bun from also reporting an
    // unhandled rejection.
  },
};

/** Client TLS sockets also watch the handshake (listeners do not). */
const CLIENT_TLS_CALLBACKS: Callbacks = {
  ...SOCKET_CALLBACKS,
  handshake(raw, success, failure) {
    raw.data?.handshaken(success, failure);
  },
};

/** ALPN names in the TLS wire format: each prefixed by its length (RFC 7301 section 3.1). */
function alpnWireFormat(protocols: readonly string[]): Uint8Array {
  const encoded = protocols.map((name) => new TextEncoder().encode(name));
  const wire = new Uint8Array(encoded.reduce((size, name) => size + 1 + name.byteLength, 0));
  let offset = 0;
  for (const name of encoded) {
    wire[offset++] = name.byteLength;
    wire.set(name, offset);
    offset += name.byteLength;
  }
  return wire;
}

let systemRoots: Promise<readonly string[]> | undefined;

/** The runtime's bundled root certificates (loaded once, only when a custom CA is given). */
function systemRootCertificates(): Promise<readonly string[]> {
  systemRoots ??= import("node:tls").then((tls) => tls.rootCertificates);
  return systemRoots;
}

function bunClientTls(
  tls: ClientTlsOptions,
  hostname: string,
  systemRoots: readonly string[],
): TLSOptions {
  const options: TLSOptions = {
    rejectUnauthorized: tls.dangerouslySkipVerification !== true,
    serverName: tls.serverName ?? hostname,
    ALPNProtocols: alpnWireFormat(tls.alpnProtocols ?? ["http/1.1"]),
  };
  if (tls.ca !== undefined) {
    // `ca` means extra trusted CAs (as Deno's caCerts); Bun, like node:tls,
    // would replace the system roots with it, so keep those in the list.
    options.ca = [...systemRoots, ...(typeof tls.ca === "string" ? [tls.ca] : tls.ca)];
  }
  if (tls.cert !== undefined) options.cert = tls.cert;
  if (tls.key !== undefined) options.key = tls.key;
  return options;
}

/**
 * Opens a TCP, TLS or unix connection with `Bun.connect`.
 *
 * @param options Where and how to connect.
 * @param handlers Receive the socket's events.
 * @returns The connected socket, Nagle disabled.
 */
async function connect(options: ConnectOptions, handlers: SocketHandlers): Promise<Socket> {
  const { signal, path } = options;
  signal?.throwIfAborted();
  const hostname = options.hostname ?? "127.0.0.1";
  const target = path ?? `${hostname}:${options.port}`;
  if (path === undefined && options.port === undefined) {
    throw new SocketError("EINVAL", `connect ${target}: no port or path`);
  }
  const socket = new BunSocket(handlers, path);
  const tls = options.tls === undefined ? undefined : bunClientTls(
    options.tls,
    hostname,
    options.tls.ca === undefined ? [] : await systemRootCertificates(),
  );
  const handshake = options.tls === undefined
    ? undefined
    : socket.expectHandshake(options.tls.dangerouslySkipVerification === true);
  handshake?.catch(() => {}); // awaited below unless connecting fails first
  const callbacks = tls === undefined ? SOCKET_CALLBACKS : CLIENT_TLS_CALLBACKS;
  const common = { data: socket, socket: asBunHandlers(callbacks), allowHalfOpen: true };
  const opening = path !== undefined
    ? Bun.connect(tls === undefined ? { ...common, unix: path } : { ...common, unix: path, tls })
    : Bun.connect(
      tls === undefined
        ? { ...common, hostname, port: options.port ?? 0 }
        : { ...common, hostname, port: options.port ?? 0, tls },
    );
  // Abandoned at once on abort: a socket that opens later is dropped in `open`.
  const onAbort = () => {
    socket.abandoned = true;
  };
  signal?.addEventListener("abort", onAbort, { once: true });
  try {
    await abortable(opening, signal);
    if (handshake !== undefined) await abortable(handshake, signal);
    return socket;
  } catch (error) {
    socket.abandoned = true;
    if (signal?.aborted) {
      opening.then((raw) => raw.terminate(), () => {});
      throw signal.reason;
    }
    const tlsFailure = options.tls !== undefined ? opensslTlsFailure(error) : undefined;
    throw toSocketError(error, `connect ${target}`, tlsFailure);
  } finally {
    signal?.removeEventListener("abort", onAbort);
  }
}

/**
 * Binds a TCP, TLS or unix listener with `Bun.listen`.
 *
 * @param options Where and how to listen.
 * @param accept Called with each accepted socket.
 * @returns The bound listener.
 */
async function listen(options: ListenOptions, accept: AcceptCallback): Promise<Listener> {
  const path = options.path;
  const callbacks: Callbacks = {
    ...SOCKET_CALLBACKS,
    open(raw) {
      const socket = new BunSocket(undefined, path);
      raw.data = socket;
      socket.opened(raw);
      try {
        socket.attach(accept(socket));
      } catch {
        socket.destroy();
      }
    },
  };
  const tls = options.tls === undefined ? undefined : {
    cert: options.tls.cert,
    key: options.tls.key,
    ALPNProtocols: alpnWireFormat(options.tls.alpnProtocols ?? ["http/1.1"]),
  };
  let server: SocketListener<BunSocket>;
  let address: SocketAddress;
  try {
    if (path !== undefined) {
      await removeStaleUnixSocket(path, bunAccepts);
      const common = { socket: asBunHandlers(callbacks), allowHalfOpen: true, unix: path };
      server = Bun.listen<BunSocket>(tls === undefined ? common : { ...common, tls });
      address = { transport: "unix", path };
    } else {
      const common = {
        socket: asBunHandlers(callbacks),
        allowHalfOpen: true,
        hostname: options.hostname ?? "0.0.0.0",
        port: options.port ?? 0,
      };
      const tcp = Bun.listen<BunSocket>(tls === undefined ? common : { ...common, tls });
      server = tcp;
      address = { transport: "tcp", hostname: tcp.hostname, port: tcp.port };
    }
  } catch (error) {
    throw toSocketError(error, `listen ${path ?? options.port}`);
  }
  let closing: Promise<void> | undefined;
  return {
    address,
    close(): Promise<void> {
      closing ??= (async () => {
        // false: open sockets stay with their owners.
        server.stop(false);
        if (path !== undefined) await removeUnixSocketFile(path);
      })();
      return closing;
    },
  };
}

/** Whether anybody accepts on the unix socket at `path` (see `removeStaleUnixSocket`). */
function bunAccepts(path: string): Promise<boolean> {
  return Bun.connect({
    unix: path,
    socket: { data() {}, connectError() {} },
  }).then((probe) => {
    probe.terminate();
    return true;
  }, () => false);
}

/**
 * The adapter for Bun.
 *
 * @example Echo server
 * ```ts runtimes=bun
 * import assert from "node:assert/strict";
 * import { bunAdapter } from "./bun.ts";
 * const listener = await bunAdapter.listen({ hostname: "127.0.0.1", port: 0 }, (socket) => ({
 *   onData: (chunk) => socket.write(chunk),
 *   onEnd: () => socket.end(),
 *   onClose: () => {},
 * }));
 * assert.ok(listener.address.transport === "tcp" && listener.address.port > 0);
 * await listener.close();
 * ```
 */
export const bunAdapter: RuntimeAdapter = { name: "bun", connect, listen };
