/**
 * The Node adapter: sockets and listeners on `node:net` and `node:tls`.
 *
 * It also runs under Deno and Bun, which implement both modules, so a user
 * may pick it explicitly anywhere; `deno.ts` uses it for the TLS options
 * Deno cannot do natively. The modules are loaded on first use, never at
 * module load.
 *
 * Node details this file relies on: chunks arrive as Buffers and are passed
 * on as plain `Uint8Array` views (no copy); Node emits `drain` only after its
 * own 16 KiB mark was crossed, so `drained()` waits on the write
 * callbacks instead (a zero-length write, the obvious probe, stalls Deno's
 * `node:tls`); `server.close()` calls back only when every connection has
 * ended, so `Listener.close()` does not wait for that; Node refuses an IP
 * address as SNI, so none is sent for IP hosts.
 *
 * Under Deno, a `node:tls` socket pauses softly (see `SOFT_PAUSE_LIMIT`):
 * Deno 2.9 loses the peer's FIN when it arrives during a real pause, so
 * chunks are held in memory first and the stream is paused for real only
 * past 1 MiB held. Beyond that the bug can still bite (a peer that sends
 * more than 1 MiB and then half-closes while we are paused).
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

type NodeNet = typeof import("node:net");
type NodeTls = typeof import("node:tls");
type NodeStream = import("node:net").Socket;
type NodeServer = import("node:net").Server;

interface NodeModules {
  readonly net: NodeNet;
  readonly tls: NodeTls;
}

let nodeModules: Promise<NodeModules> | undefined;

function loadNodeModules(): Promise<NodeModules> {
  nodeModules ??= Promise.all([
    import("node:net"),
    import("node:tls"),
  ]).then(([net, tls]) => ({ net, tls }));
  return nodeModules;
}

/**
 * Deno's `node:tls` (2.9) loses the peer's EOF when it arrives while the
 * socket is paused: `end` never comes and the connection hangs. There,
 * pause() is soft: chunks are held in memory and the stream is paused for
 * real only once this many bytes are held.
 */
const SOFT_PAUSE_LIMIT = 1024 * 1024;

/**
 * Node completes a write only once all of it was taken, so a large chunk is
 * handed to Node this much at a time, the next slice from the previous one's
 * callback: `bytesSent` then moves while a slow peer reads, and a peer that
 * reads nothing is told apart from one that reads slowly.
 */
const NODE_SLICE = 64 * 1024;

/** Whether this is Deno's `node:tls` (see `SOFT_PAUSE_LIMIT`). */
function needsSoftPause(tls: boolean): boolean {
  return tls && typeof (globalThis as { Deno?: unknown }).Deno === "object";
}

/** A `Socket` over a `node:net` (or `node:tls`) socket. */
class NodeSocket implements Socket {
  readonly localAddress: SocketAddress;
  readonly remoteAddress: SocketAddress;
  #raw: NodeStream;
  #handlers: SocketHandlers | undefined;
  #destroyed = false;
  #closeDelivered = false;
  #error: Error | undefined;
  readonly #drainWaiters = new DrainWaiters();
  /** Chunks held while soft-paused (see `SOFT_PAUSE_LIMIT`); only on Deno's `node:tls`. */
  #held: HeldChunks | undefined;
  #hardPaused = false;
  /** Bytes not yet handed to Node (see `NODE_SLICE`), in order. */
  #backlog: (Uint8Array | string)[] = [];
  #backlogBytes = 0;
  /** Bytes (code units for text, as Node's `writableLength`) handed to Node. */
  #handed = 0;
  #sent = 0;
  /** `end()` was called with a backlog: Node's end follows its last slice. */
  #ending = false;

  constructor(raw: NodeStream, unixPath: string | undefined, softPause: boolean) {
    this.#raw = raw;
    if (softPause) this.#held = this.#newHeldChunks();
    if (unixPath !== undefined) {
      this.localAddress = { transport: "unix", path: unixPath };
      this.remoteAddress = { transport: "unix", path: unixPath };
    } else {
      this.localAddress = tcpAddress(raw.localAddress, raw.localPort);
      this.remoteAddress = tcpAddress(raw.remoteAddress, raw.remotePort);
    }
  }

  get closed(): boolean {
    // raw.destroyed too: after a reset Node emits "close" only from
    // process.nextTick, which an owner looping on refused writes in
    // microtasks would starve (finding F3 in docs/hardening.md).
    return this.#destroyed || this.#closeDelivered || this.#raw.destroyed;
  }

  /** Routes the stream's events to `handlers`; called once. */
  attach(handlers: SocketHandlers): void {
    this.#handlers = handlers;
    const raw = this.#raw;
    raw.on("data", (chunk: Uint8Array) => {
      // A plain view, not a Buffer: Buffer#slice shares memory where
      // Uint8Array#slice copies, a trap for code written against the web type.
      const view = new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength);
      if (this.#held?.holding === true) this.#hold(view);
      else handlers.onData(view);
    });
    raw.on("end", () => {
      if (this.#held?.holding === true) this.#held.pushEnd();
      else handlers.onEnd();
    });
    raw.on("error", (error: Error) => {
      this.#error ??= toSocketError(error, "socket");
    });
    raw.on("close", () => this.#deliverClose());
  }

  write(chunk: Uint8Array | string): boolean {
    const raw = this.#raw;
    if (
      this.#destroyed || this.#closeDelivered || this.#ending || raw.writableEnded ||
      raw.destroyed
    ) {
      return false;
    }
    if (this.#backlog.length > 0 || (typeof chunk !== "string" && chunk.byteLength > NODE_SLICE)) {
      this.#backlog.push(chunk);
      this.#backlogBytes += chunk.length;
      this.#pump();
    } else this.#hand(chunk);
    return this.bufferedAmount < SOCKET_HIGH_WATER_MARK;
  }

  get bufferedAmount(): number {
    return this.closed ? 0 : this.#raw.writableLength + this.#backlogBytes;
  }

  get bytesSent(): number {
    if (!this.closed) this.#sent = Math.max(this.#sent, this.#handed - this.#raw.writableLength);
    return this.#sent;
  }

  /** Hands `chunk` to Node. */
  #hand(chunk: Uint8Array | string): void {
    this.#handed += chunk.length;
    // One shared callback, no closure per write: it notices the buffer
    // emptying even below Node's own mark, where no "drain" is emitted.
    this.#raw.write(chunk, this.#afterWrite);
  }

  /** Hands the backlog to Node one slice at a time; ends Node's side after the last. */
  #pump(): void {
    const raw = this.#raw;
    const backlog = this.#backlog;
    while (backlog.length > 0 && raw.writableLength < NODE_SLICE && !this.closed) {
      const first = backlog[0]!;
      let slice: Uint8Array | string;
      if (typeof first === "string" || first.byteLength <= NODE_SLICE) {
        backlog.shift();
        slice = first;
      } else {
        slice = first.subarray(0, NODE_SLICE);
        backlog[0] = first.subarray(NODE_SLICE);
      }
      this.#backlogBytes -= slice.length;
      this.#hand(slice);
    }
    if (this.#ending && backlog.length === 0 && !this.closed) {
      this.#ending = false;
      raw.end();
    }
  }

  drained(): Promise<void> {
    const raw = this.#raw;
    if (this.closed || this.bufferedAmount === 0) return Promise.resolve();
    // The first waiter on an ended stream also waits for "finish".
    if (!this.#drainWaiters.waiting && raw.writableEnded) {
      raw.once("finish", () => this.#drainWaiters.release());
    }
    return this.#drainWaiters.wait();
  }

  #afterWrite = (): void => {
    if (this.#backlog.length > 0) this.#pump();
    if (this.#drainWaiters.waiting && this.bufferedAmount === 0) {
      this.#drainWaiters.release();
    }
  };

  pause(): void {
    if (this.#held === undefined) this.#raw.pause();
    else this.#held.start();
  }

  resume(): void {
    if (this.#held === undefined) this.#raw.resume();
    else this.#held.release();
  }

  /** Soft pause: keeps a chunk until resume(), pausing for real past a limit. */
  #hold(chunk: Uint8Array): void {
    const held = this.#held as HeldChunks;
    held.push(chunk);
    if (held.bytes >= SOFT_PAUSE_LIMIT && !this.#hardPaused) {
      this.#hardPaused = true;
      this.#raw.pause();
    }
  }

  #newHeldChunks(): HeldChunks {
    return new HeldChunks({
      // Not this.closed: a stream Node ended cleanly still owes these bytes.
      stopped: () => this.#destroyed || this.#closeDelivered,
      deliver: (chunk) => this.#handlers?.onData(chunk),
      released: (end) => {
        if (this.#hardPaused) {
          this.#hardPaused = false;
          this.#raw.resume();
        }
        if (end) this.#handlers?.onEnd();
      },
    });
  }

  end(): void {
    if (this.closed || this.#ending) return;
    if (this.#backlog.length > 0) this.#ending = true;
    else this.#raw.end();
  }

  destroy(error?: Error): void {
    if (this.closed) return;
    this.#destroyed = true;
    if (error !== undefined) this.#error = error;
    this.#backlog = [];
    this.#backlogBytes = 0;
    this.#raw.destroy();
    if (this.#handlers === undefined) this.#deliverClose();
  }

  unref(): void {
    this.#raw.unref();
  }

  ref(): void {
    this.#raw.ref();
  }

  #deliverClose(): void {
    if (this.#closeDelivered) return;
    this.#closeDelivered = true;
    this.#drainWaiters.release();
    const handlers = this.#handlers;
    const held = this.#held?.take();
    if (held !== undefined && this.#error === undefined && !this.#destroyed) {
      // A clean close loses nothing: bytes held by a soft pause come first.
      for (const chunk of held) handlers?.onData(chunk);
      if (this.#held?.endHeld === true) handlers?.onEnd();
    }
    handlers?.onClose(this.#error);
  }
}

function tcpAddress(
  hostname: string | undefined,
  port: number | undefined,
): SocketAddress {
  return { transport: "tcp", hostname: hostname ?? "", port: port ?? 0 };
}

function describeTarget(options: ConnectOptions): string {
  return options.path ?? `${options.hostname ?? "127.0.0.1"}:${options.port}`;
}

function isIpAddress(hostname: string): boolean {
  return /^[\d.]+$/.test(hostname) || hostname.includes(":");
}

/**
 * The `node:tls` connect options for a client's TLS settings (also used by
 * `http2_client.ts`, which opens the socket itself to read its ALPN).
 *
 * @param tls The client's TLS settings.
 * @param hostname The host connected to (the default SNI name).
 * @param systemRoots The runtime's root certificates, kept beside a custom CA.
 * @returns The options for `tls.connect`.
 */
export function nodeTlsOptions(
  tls: ClientTlsOptions,
  hostname: string,
  systemRoots: readonly string[],
): import("node:tls").ConnectionOptions {
  // Node refuses an IP address as SNI (RFC 6066 section 3); it then checks
  // the certificate against the connected host instead.
  const serverName = tls.serverName ??
    (isIpAddress(hostname) ? undefined : hostname);
  const options: import("node:tls").ConnectionOptions = {
    ALPNProtocols: tls.alpnProtocols?.slice() ?? ["http/1.1"],
    rejectUnauthorized: tls.dangerouslySkipVerification !== true,
  };
  if (tls.ca !== undefined) {
    // `ca` means extra trusted CAs (as Deno's caCerts); node:tls would
    // replace the system roots with it, so keep those in the list.
    options.ca = [...systemRoots, ...(typeof tls.ca === "string" ? [tls.ca] : tls.ca)];
  }
  if (tls.cert !== undefined) options.cert = tls.cert;
  if (tls.key !== undefined) options.key = tls.key;
  if (serverName !== undefined) options.servername = serverName;
  return options;
}

/**
 * Opens a TCP, TLS or unix connection with `node:net` / `node:tls`.
 *
 * @param options Where and how to connect.
 * @param handlers Receive the socket's events.
 * @returns The connected socket, Nagle disabled.
 */
async function connect(
  options: ConnectOptions,
  handlers: SocketHandlers,
): Promise<Socket> {
  const { signal } = options;
  signal?.throwIfAborted();
  const { net, tls } = await loadNodeModules();
  signal?.throwIfAborted();
  const hostname = options.hostname ?? "127.0.0.1";
  const target = describeTarget(options);
  const { path, port } = options;
  if (path === undefined && port === undefined) {
    throw new SocketError("EINVAL", `connect ${target}: no port or path`);
  }
  const where: { path: string } | { host: string; port: number } = path !== undefined
    ? { path }
    : { host: hostname, port: port ?? 0 };
  // allowHalfOpen: our end() alone decides when we send FIN. tls.connect
  // honours it although its option type does not list it.
  const raw: NodeStream = options.tls !== undefined
    ? tls.connect(Object.assign(
      { ...where, allowHalfOpen: true, noDelay: true },
      nodeTlsOptions(options.tls, hostname, tls.rootCertificates),
    ))
    : net.connect({ ...where, allowHalfOpen: true, noDelay: true });
  const openEvent = options.tls !== undefined ? "secureConnect" : "connect";
  const opening = new Promise<NodeSocket>((resolve, reject) => {
    const onOpen = () => {
      raw.off("error", onError);
      if (options.path === undefined) raw.setNoDelay(true);
      const socket = new NodeSocket(
        raw,
        options.path,
        needsSoftPause(options.tls !== undefined),
      );
      // In the same callback: an error or close right after opening is not missed.
      socket.attach(handlers);
      resolve(socket);
    };
    const onError = (error: Error) => {
      raw.off(openEvent, onOpen);
      raw.destroy();
      const tlsFailure = options.tls !== undefined ? opensslTlsFailure(error) : undefined;
      reject(toSocketError(error, `connect ${target}`, tlsFailure));
    };
    raw.once(openEvent, onOpen);
    raw.once("error", onError);
  });
  try {
    return await abortable(opening, signal, (late) => late.destroy());
  } catch (error) {
    if (signal?.aborted) raw.destroy();
    throw error;
  }
}

/**
 * Wraps a `node:net` or `node:tls` socket that is already connected (the
 * HTTP/2 client's ALPN fallback: the server chose `http/1.1`, so the socket
 * it opened goes to the HTTP/1.1 connection, without a second handshake).
 *
 * @param raw The connected stream, nothing read from it yet.
 * @param handlers Receive its events from now on.
 * @param tls Whether it is a TLS socket (Deno's soft pause applies).
 * @returns The socket, Nagle disabled.
 */
export function adoptNodeSocket(raw: NodeStream, handlers: SocketHandlers, tls: boolean): Socket {
  raw.setNoDelay(true);
  const socket = new NodeSocket(raw, undefined, needsSoftPause(tls));
  socket.attach(handlers);
  return socket;
}

/**
 * Binds a TCP, TLS or unix listener with `node:net` / `node:tls`.
 *
 * @param options Where and how to listen.
 * @param accept Called with each accepted socket.
 * @returns The bound listener.
 */
async function listen(
  options: ListenOptions,
  accept: AcceptCallback,
): Promise<Listener> {
  const { net, tls } = await loadNodeModules();
  const path = options.path;
  const softPause = needsSoftPause(options.tls !== undefined);
  const onConnection = (raw: NodeStream) => {
    if (path === undefined) raw.setNoDelay(true);
    const socket = new NodeSocket(raw, path, softPause);
    let handlers: SocketHandlers;
    try {
      handlers = accept(socket);
    } catch {
      raw.destroy();
      return;
    }
    socket.attach(handlers);
  };
  const server: NodeServer = options.tls !== undefined
    ? tls.createServer({
      cert: options.tls.cert,
      key: options.tls.key,
      ALPNProtocols: options.tls.alpnProtocols?.slice() ?? ["http/1.1"],
      allowHalfOpen: true,
    }).on("secureConnection", onConnection)
    : net.createServer({ allowHalfOpen: true }, onConnection);
  if (path !== undefined) {
    await removeStaleUnixSocket(path, (stale) => nodeAccepts(stale, net));
  }
  await new Promise<void>((resolve, reject) => {
    const onError = (error: Error) => {
      server.off("listening", onListening);
      reject(toSocketError(error, `listen ${path ?? options.port}`));
    };
    const onListening = () => {
      server.off("error", onError);
      resolve();
    };
    server.once("error", onError);
    server.once("listening", onListening);
    if (path !== undefined) server.listen(path);
    else {
      server.listen({ host: options.hostname ?? "0.0.0.0", port: options.port ?? 0 });
    }
  });
  // Accept failures (EMFILE ...) must not crash the process; the server
  // keeps accepting once resources free up.
  server.on("error", () => {});
  const bound = server.address();
  const address: SocketAddress = path !== undefined
    ? { transport: "unix", path }
    : typeof bound === "object" && bound !== null
    ? { transport: "tcp", hostname: bound.address, port: bound.port }
    : { transport: "tcp", hostname: options.hostname ?? "0.0.0.0", port: 0 };
  let closing: Promise<void> | undefined;
  return {
    address,
    close(): Promise<void> {
      closing ??= (async () => {
        // server.close's callback waits for every open connection; the
        // contract leaves those to their owners, so do not wait for it.
        server.close();
        if (path !== undefined) await removeUnixSocketFile(path);
      })();
      return closing;
    },
  };
}

/** Whether anybody accepts on the unix socket at `path` (see `removeStaleUnixSocket`). */
function nodeAccepts(path: string, net: NodeNet): Promise<boolean> {
  return new Promise<boolean>((resolve) => {
    const probe = net.connect({ path });
    probe.once("connect", () => {
      probe.destroy();
      resolve(true);
    });
    probe.once("error", () => resolve(false));
  });
}

/**
 * The adapter for Node (and for Deno or Bun when chosen explicitly).
 *
 * @example Echo server and client
 * ```ts
 * import assert from "node:assert/strict";
 * import { nodeAdapter } from "./node.ts";
 * const listener = await nodeAdapter.listen({ hostname: "127.0.0.1", port: 0 }, (socket) => ({
 *   onData: (chunk) => socket.write(chunk),
 *   onEnd: () => socket.end(),
 *   onClose: () => {},
 * }));
 * assert.ok(listener.address.transport === "tcp" && listener.address.port > 0);
 * await listener.close();
 * ```
 */
export const nodeAdapter: RuntimeAdapter = { name: "node", connect, listen };
