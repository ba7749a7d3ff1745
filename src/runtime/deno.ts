/**
 * The Deno adapter: connections through `Deno.connect` and `Deno.startTls`,
 * with Deno's pull-style `read()` turned into push-style `onData` by one
 * read loop per socket; listeners through `node.ts` (Deno's `node:net`),
 * which stays fair among thousands of busy connections where per-socket
 * read loops do not (see `listen`).
 *
 * Deno 2.x leaves Nagle's algorithm on for every connection it makes; TCP
 * connections get `setNoDelay(true)` here.
 *
 * Reads: a small read is copied out of a reused 64 KiB buffer, a large one
 * keeps the buffer (a new one is allocated). Measured with
 * `scripts/bench_socket.ts` on Deno 2.9: a fresh 64 KiB buffer per read cut
 * small-message round trips per CPU second by about 2.4x; always copying
 * cost about 15-25% of streaming throughput.
 *
 * Some TLS connections go through `node.ts` (Deno's `node:tls`), because
 * Deno's own API cannot make them: skipping verification, a client
 * certificate (`startTls` takes none, and `connectTls` cannot turn Nagle
 * off) and TLS over a unix socket. See `node.ts` for the `node:tls` flaws
 * worked around there.
 *
 * @module
 */

import {
  type AcceptCallback,
  type ConnectOptions,
  type Listener,
  type ListenOptions,
  type RuntimeAdapter,
  type Socket,
  SOCKET_HIGH_WATER_MARK,
  type SocketAddress,
  type SocketHandlers,
} from "./types.ts";
import { SocketError, type TlsFailure, toSocketError } from "./socket_error.ts";
import { DrainWaiters } from "./drain_waiters.ts";
import { abortable } from "./abortable.ts";
import { concatBytes } from "../http1/_bytes.ts";

/** Encodes strings given to `write()` (as UTF-8). */
const encoder = new TextEncoder();

/**
 * Bytes asked for by a connection's first `read()`: enough for a usual
 * request head, so an idle keep-alive connection holds 8 KiB, not 64.
 */
const INITIAL_READ_SIZE = 8 * 1024;
/** The read buffer doubles after each read that fills it, up to this size. */
const MAX_READ_SIZE = 64 * 1024;
/**
 * A read at least this large keeps the read buffer (a new one is allocated
 * for the next read); a smaller one is copied out so a few bytes never pin
 * a large buffer.
 */
const HAND_OVER_SIZE = 16 * 1024;
/** Queued chunks are joined into writes of up to this many bytes. */
const JOIN_LIMIT = 64 * 1024;

function denoAddress(addr: Deno.Addr): SocketAddress {
  if (addr.transport === "unix" || addr.transport === "unixpacket") {
    return { transport: "unix", path: addr.path ?? "" };
  }
  if (addr.transport === "tcp" || addr.transport === "udp") {
    return { transport: "tcp", hostname: addr.hostname, port: addr.port };
  }
  return { transport: "tcp", hostname: "", port: 0 };
}

/** A `Socket` over a `Deno.Conn`. */
class DenoSocket implements Socket {
  readonly localAddress: SocketAddress;
  readonly remoteAddress: SocketAddress;
  #conn: Deno.Conn;
  #handlers: SocketHandlers | undefined;
  #closed = false;
  #closeDelivered = false;
  #error: Error | undefined;
  #paused = false;
  #resumeRead: (() => void) | undefined;
  #queue: Uint8Array[] = [];
  #queuedBytes = 0;
  #sentBytes = 0;
  #writing = false;
  /** The bytes of the `conn.write` under way. */
  #inFlight: Uint8Array | undefined;
  #ending = false;
  #finSent = false;
  #peerEnded = false;
  readonly #drainWaiters = new DrainWaiters();

  constructor(conn: Deno.Conn) {
    this.#conn = conn;
    this.localAddress = denoAddress(conn.localAddr);
    this.remoteAddress = denoAddress(conn.remoteAddr);
  }

  get closed(): boolean {
    return this.#closed;
  }

  /** Starts delivering to `handlers`; called once. */
  attach(handlers: SocketHandlers): void {
    this.#handlers = handlers;
    this.#readLoop(handlers);
  }

  write(data: Uint8Array | string): boolean {
    if (this.#closed || this.#ending) return false;
    const chunk = typeof data === "string" ? encoder.encode(data) : data;
    if (chunk.byteLength > 0) {
      this.#queuedBytes += chunk.byteLength;
      if (this.#writing) this.#queue.push(chunk);
      else {
        this.#writing = true;
        this.#send(chunk);
      }
    }
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
    this.#paused = true;
  }

  resume(): void {
    this.#paused = false;
    const resumeRead = this.#resumeRead;
    this.#resumeRead = undefined;
    resumeRead?.();
  }

  end(): void {
    if (this.#closed || this.#ending) return;
    this.#ending = true;
    if (!this.#writing) this.#sendFin();
  }

  destroy(error?: Error): void {
    this.#close(error);
  }

  unref(): void {
    if (!this.#closed) this.#conn.unref();
  }

  ref(): void {
    if (!this.#closed) this.#conn.ref();
  }

  async #readLoop(handlers: SocketHandlers): Promise<void> {
    const conn = this.#conn;
    let buffer = new Uint8Array(INITIAL_READ_SIZE);
    try {
      while (!this.#closed) {
        if (this.#paused) await this.#waitForResume();
        if (this.#closed) return;
        const n = await conn.read(buffer);
        if (this.#closed) return;
        if (n === null) break;
        if (n === 0) continue;
        let chunk: Uint8Array;
        if (n === buffer.byteLength && n < MAX_READ_SIZE) {
          // A full read: more is probably waiting. The next buffer is
          // larger, so this one is handed over rather than copied.
          chunk = buffer.subarray(0, n);
          buffer = new Uint8Array(Math.min(n * 2, MAX_READ_SIZE));
        } else if (n >= HAND_OVER_SIZE) {
          chunk = buffer.subarray(0, n);
          buffer = new Uint8Array(buffer.byteLength);
        } else {
          chunk = buffer.slice(0, n);
        }
        // A read already under way when pause() was called still completes;
        // hold its bytes until resume().
        if (this.#paused) await this.#waitForResume();
        if (this.#closed) return;
        handlers.onData(chunk);
      }
    } catch (error) {
      if (!this.#closed) this.#close(toSocketError(error, "read"));
      return;
    }
    if (this.#closed) return;
    this.#peerEnded = true;
    handlers.onEnd();
    if (this.#finSent) this.#close();
  }

  #waitForResume(): Promise<void> {
    return new Promise((resolve) => {
      this.#resumeRead = resolve;
    });
  }

  /**
   * Starts one `conn.write`. Callbacks rather than an async loop: no
   * promise chain or closure per write beyond Deno's own.
   */
  #send(data: Uint8Array): void {
    this.#inFlight = data;
    this.#conn.write(data).then(this.#onWritten, this.#onWriteFailed);
  }

  #onWritten = (n: number): void => {
    if (this.#closed) return;
    this.#queuedBytes -= n;
    this.#sentBytes += n;
    const data = this.#inFlight as Uint8Array;
    // conn.write may write fewer bytes than asked.
    if (n < data.byteLength) this.#send(data.subarray(n));
    else if (this.#queue.length > 0) this.#send(this.#takeBatch());
    else {
      this.#inFlight = undefined;
      this.#writing = false;
      this.#drainWaiters.release();
      if (this.#ending) this.#sendFin();
    }
  };

  #onWriteFailed = (error: unknown): void => {
    this.#writing = false;
    if (!this.#closed) this.#close(toSocketError(error, "write"));
  };

  /** Takes queued chunks, joining small ones into one write. */
  #takeBatch(): Uint8Array {
    const queue = this.#queue;
    const first = queue[0] as Uint8Array;
    if (queue.length === 1 || first.byteLength >= JOIN_LIMIT) {
      queue.shift();
      return first;
    }
    let count = 0;
    let size = 0;
    while (count < queue.length) {
      const next = (queue[count] as Uint8Array).byteLength;
      if (count > 0 && size + next > JOIN_LIMIT) break;
      size += next;
      count++;
    }
    if (count === 1) {
      queue.shift();
      return first;
    }
    return concatBytes(queue.splice(0, count));
  }

  async #sendFin(): Promise<void> {
    if (this.#finSent || this.#closed) return;
    this.#finSent = true;
    try {
      await this.#conn.closeWrite();
    } catch (error) {
      if (!this.#closed) this.#close(toSocketError(error, "end"));
      return;
    }
    if (this.#peerEnded) this.#close();
  }

  #close(error?: Error): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#error = error;
    this.#queue = [];
    this.#queuedBytes = 0;
    try {
      this.#conn.close();
    } catch {
      // Already closed by the runtime (the peer reset it).
    }
    this.#drainWaiters.release();
    this.resume();
    // Deliver from a fresh task: destroy() may be called from inside a
    // handler, and onClose must never re-enter the caller.
    queueMicrotask(() => this.#deliverClose());
  }

  #deliverClose(): void {
    if (this.#closeDelivered) return;
    this.#closeDelivered = true;
    this.#handlers?.onClose(this.#error);
  }
}

/**
 * Opens a TCP, TLS or unix connection with Deno's own APIs, or through
 * `node.ts` for `dangerouslySkipVerification` and TLS over unix sockets.
 *
 * @param options Where and how to connect.
 * @param handlers Receive the socket's events.
 * @returns The connected socket, Nagle disabled.
 */
async function connect(
  options: ConnectOptions,
  handlers: SocketHandlers,
): Promise<Socket> {
  const { signal, tls } = options;
  signal?.throwIfAborted();
  if (
    tls !== undefined &&
    (tls.dangerouslySkipVerification === true || options.path !== undefined ||
      tls.cert !== undefined || tls.key !== undefined)
  ) {
    const { nodeAdapter } = await import("./node.ts");
    return nodeAdapter.connect(options, handlers);
  }
  const hostname = options.hostname ?? "127.0.0.1";
  const target = options.path ?? `${hostname}:${options.port}`;
  let conn: Deno.Conn;
  try {
    if (options.path !== undefined) {
      conn = await abortable(
        Deno.connect({ transport: "unix", path: options.path }),
        signal,
        (late) => late.close(),
      );
    } else {
      if (options.port === undefined) {
        throw new SocketError("EINVAL", `connect ${target}: no port or path`);
      }
      const tcp = await Deno.connect(
        signal === undefined
          ? { hostname, port: options.port }
          : { hostname, port: options.port, signal },
      );
      tcp.setNoDelay(true);
      conn = tcp;
      if (tls !== undefined) {
        // startTls (not connectTls) so that Nagle is off underneath and the
        // SNI name may differ from the address connected to.
        const startOptions: Deno.StartTlsOptions = {
          hostname: tls.serverName ?? hostname,
          alpnProtocols: tls.alpnProtocols?.slice() ?? ["http/1.1"],
        };
        if (tls.ca !== undefined) {
          startOptions.caCerts = typeof tls.ca === "string" ? [tls.ca] : tls.ca.slice();
        }
        const tlsConn = await Deno.startTls(tcp, startOptions).catch(
          (error) => {
            tcp.close();
            throw error;
          },
        );
        conn = tlsConn;
        // Verify now, so a bad certificate fails connect() itself.
        await abortable(tlsConn.handshake(), signal).catch((error) => {
          tlsConn.close();
          throw error;
        });
      }
    }
  } catch (error) {
    if (signal?.aborted) throw signal.reason;
    throw toSocketError(
      error,
      `connect ${target}`,
      tls !== undefined ? rustlsFailure(error) : undefined,
    );
  }
  const socket = new DenoSocket(conn);
  socket.attach(handlers);
  return socket;
}

/**
 * Reads why a TLS connect failed. Deno raises rustls errors as `InvalidData`
 * with no code, only rustls's text: `invalid peer certificate: UnknownIssuer`,
 * `... certificate not valid for name "x"`, `... Expired`, and `received
 * corrupt message of type InvalidContentType` when the peer's first bytes
 * are no TLS record (a plain HTTP port).
 */
function rustlsFailure(error: unknown): TlsFailure | undefined {
  if (!(error instanceof Error) || error.name !== "InvalidData") return undefined;
  const message = error.message;
  if (/not valid for name|NotValidForName/i.test(message)) return "name-mismatch";
  if (/invalid peer certificate: .*(expired|not ?valid ?yet)/i.test(message)) {
    return "expired-certificate";
  }
  if (/invalid peer certificate/i.test(message)) return "untrusted-certificate";
  if (/corrupt message|InvalidContentType/i.test(message)) return "not-tls";
  return "handshake";
}

/**
 * Binds a listener through `node.ts` (Deno's `node:net` / `node:tls`).
 *
 * Not `Deno.listen`: each of its connections is read by one `conn.read()`
 * op at a time, and once the process is busy Deno completes the reads of
 * connections that were just served before those that have waited. With
 * 2000 keep-alive connections x 100 hinted requests a request's p99 was
 * 1.5-2.4 s and a connection's first answer came after 0.6-1.7 s (median);
 * a bare `Deno.listen` loop with 50 us of work per request, none of this
 * library, answered a connection's first request after 4-10 s (median),
 * up to 22 s. Deno 2.9's `node:net`
 * reads natively, the way libuv does, and stays fair: p99 0.35-0.5 s, like
 * `node:http` (`scripts/keepalive_latency.ts`). It costs some 10% more CPU
 * per request with 50 connections (28 against 25 us), and 20% less with
 * 2000 (37 against 46 us). TLS listeners went this way first: a
 * `Deno.listenTls` connection keeps Nagle's algorithm on and has no
 * `setNoDelay()` (a final response written 2 ms after a 103 arrived 44 ms
 * after it, the peer's delayed ACK).
 *
 * @param options Where and how to listen.
 * @param accept Called with each accepted socket.
 * @returns The bound listener.
 */
async function listen(
  options: ListenOptions,
  accept: AcceptCallback,
): Promise<Listener> {
  const { nodeAdapter } = await import("./node.ts");
  return nodeAdapter.listen(options, accept);
}

/**
 * The adapter for Deno.
 *
 * @example Echo server
 * ```ts runtimes=deno
 * import assert from "node:assert/strict";
 * import { denoAdapter } from "./deno.ts";
 * const listener = await denoAdapter.listen({ hostname: "127.0.0.1", port: 0 }, (socket) => ({
 *   onData: (chunk) => socket.write(chunk),
 *   onEnd: () => socket.end(),
 *   onClose: () => {},
 * }));
 * assert.ok(listener.address.transport === "tcp" && listener.address.port > 0);
 * await listener.close();
 * ```
 */
export const denoAdapter: RuntimeAdapter = { name: "deno", connect, listen };
