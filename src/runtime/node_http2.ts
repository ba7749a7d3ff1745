/**
 * HTTP/2 sessions from the runtime's own `node:http2` (Node, Deno and Bun
 * all ship it: HPACK, flow control and the flood defences are theirs) over a
 * connection the server already accepted through a runtime adapter. The
 * adapter's {@linkcode Socket} is bridged into a `node:stream` `Duplex` and
 * handed to `http2.performServerHandshake`, so the same listener serves our
 * HTTP/1.1 engine and HTTP/2: one TLS port, chosen by ALPN and the
 * connection preface (see src/server/h2_server.ts). The streams are handed
 * out by shape ({@linkcode H2Stream}), so `src/server` never names `node:`.
 *
 * Runtime facts this file relies on (measured, /work/notes/h2/findings.md):
 * - Deno 2.9's `additionalHeaders()` queues the HEADERS frame in nghttp2
 *   without sending it: it leaves with the next frame the session sends,
 *   which may be the final response. {@linkcode flushInterim} sends it at
 *   once through the session handle's `sendPending()` (what Deno's own
 *   `respond()` calls), or a PING where that handle is not found.
 * - A `Duplex` bridge, not `socket.unshift()`: Bun's session reads the
 *   native socket and ignores bytes given back, and Bun.listen sockets are
 *   no `node:net` sockets at all.
 * - Every runtime throws synchronously from `respond()` and
 *   `additionalHeaders()` on a stream the peer has reset: callers check
 *   {@linkcode H2Stream.closed} and catch.
 *
 * @module
 */

import type { Socket, SocketHandlers } from "./types.ts";

/** Request or response fields as `node:http2` gives and takes them. */
export type H2Fields = Record<string, string | string[] | number | undefined>;

/** The session a stream belongs to, as far as the server needs it. */
export interface H2Session {
  readonly closed: boolean;
  readonly destroyed: boolean;
  /** Sends GOAWAY, lets open streams finish, then closes. */
  close(): void;
  /** Closes at once. */
  destroy(): void;
  /** Sends GOAWAY with `code` (RFC 9113 section 7); streams already open may finish. */
  goaway(code: number): void;
  once(event: "close", listener: () => void): unknown;
}

/** One HTTP/2 stream on the server (`ServerHttp2Stream`), by shape. */
export interface H2Stream {
  readonly session: H2Session | undefined;
  readonly destroyed: boolean;
  readonly closed: boolean;
  /** The response's HEADERS went out (`respond()` was called). */
  readonly headersSent: boolean;
  /** The RST_STREAM code once closed; 0 for a clean close. */
  readonly rstCode?: number | undefined;
  respond(headers: H2Fields, options?: { endStream?: boolean }): void;
  additionalHeaders(headers: H2Fields): void;
  write(chunk: Uint8Array, callback?: (error?: Error | null) => void): boolean;
  end(chunk?: Uint8Array | string): unknown;
  /** Closes the stream with RST_STREAM `code`. */
  close(code?: number): void;
  pause(): unknown;
  resume(): unknown;
  on(event: "data", listener: (chunk: Uint8Array) => void): unknown;
  on(event: "end" | "close" | "drain" | "aborted", listener: () => void): unknown;
  on(event: "error", listener: (error: Error) => void): unknown;
  once(event: "end" | "close" | "drain" | "finish", listener: () => void): unknown;
  off(event: "drain" | "close", listener: () => void): unknown;
}

/** Called for each request stream: `endStream` is true when the request has no body. */
export type H2StreamHandler = (stream: H2Stream, headers: H2Fields, endStream: boolean) => void;

/** An adopted connection: its session, and the handlers for the socket's further events. */
export interface H2Adopted {
  readonly session: H2Session;
  readonly handlers: SocketHandlers;
}

/** HTTP/2 sessions over adopted connections. */
export interface H2Sessions {
  /**
   * Starts an HTTP/2 session on `socket`, whose first bytes (`head`, the
   * client's connection preface so far) were already read.
   *
   * @returns The session and the handlers that must receive the socket's further events.
   */
  adopt(socket: Socket, head: Uint8Array, onStream: H2StreamHandler): H2Adopted;
  /** The open sessions. */
  readonly sessions: ReadonlySet<H2Session>;
}

/**
 * Session settings from the server's limits. What each runtime honours
 * (measured, see docs/hardening.md): the two SETTINGS everywhere;
 * `streamResetBurst` and `streamResetRate` on Node and Bun, not on Deno
 * 2.9, which always stops at 1000 (the server counts resets itself too).
 */
export interface H2SessionOptions {
  /** The largest request header list accepted (SETTINGS_MAX_HEADER_LIST_SIZE). */
  readonly maxHeaderListSize: number;
  /** Streams a client may open at once (SETTINGS_MAX_CONCURRENT_STREAMS). */
  readonly maxConcurrentStreams: number;
  /** Reset streams in one burst before the runtime sends GOAWAY. */
  readonly streamResetBurst: number;
  /** Reset streams per second refilled into the burst. */
  readonly streamResetRate: number;
}

type NodeHttp2 = typeof import("node:http2");
type DuplexClass = typeof import("node:stream").Duplex;

const END_STREAM_FLAG = 0x1;

/**
 * Loads `node:http2` (once, on first use) and returns a session factory.
 *
 * @param options Session settings.
 * @returns The factory.
 */
export async function loadH2Sessions(options: H2SessionOptions): Promise<H2Sessions> {
  const [http2, stream] = await Promise.all([import("node:http2"), import("node:stream")]);
  return new NodeH2Sessions(http2, stream.Duplex, options);
}

class NodeH2Sessions implements H2Sessions {
  readonly sessions = new Set<H2Session>();
  readonly #http2: NodeHttp2;
  readonly #Duplex: DuplexClass;
  readonly #options: import("node:http2").ServerOptions;

  constructor(http2: NodeHttp2, Duplex: DuplexClass, options: H2SessionOptions) {
    this.#http2 = http2;
    this.#Duplex = Duplex;
    this.#options = {
      settings: {
        maxHeaderListSize: options.maxHeaderListSize,
        // The SETTINGS field is 32 bits; Infinity would not fit.
        maxConcurrentStreams: Math.min(options.maxConcurrentStreams, 2 ** 32 - 1),
      },
      streamResetBurst: Math.min(options.streamResetBurst, 2 ** 32 - 1),
      streamResetRate: Math.min(options.streamResetRate, 2 ** 32 - 1),
    };
  }

  adopt(socket: Socket, head: Uint8Array, onStream: H2StreamHandler): H2Adopted {
    const duplex = new this.#Duplex({
      read() {
        socket.resume();
      },
      write(chunk: Uint8Array, _encoding, callback) {
        if (socket.write(chunk)) callback();
        else socket.drained().then(() => callback());
      },
      final(callback) {
        socket.end();
        callback();
      },
      destroy(error, callback) {
        socket.destroy();
        callback(error);
      },
    });
    // The session reports socket failures itself; an unheard "error" would crash.
    duplex.on("error", () => {});
    duplex.push(head);
    const session = this.#http2.performServerHandshake(duplex, this.#options);
    const sessions = this.sessions;
    sessions.add(session);
    // Without a listener a protocol error (a bad preface) throws from emit.
    session.on("error", () => {});
    session.on("close", () => sessions.delete(session));
    session.on("stream", (raw, headers, flags) => {
      // A reset stream must not crash the process through an unheard "error".
      raw.on("error", () => {});
      onStream(
        raw as unknown as H2Stream,
        headers as H2Fields,
        typeof flags === "number" && (flags & END_STREAM_FLAG) !== 0,
      );
    });
    const handlers: SocketHandlers = {
      onData(chunk) {
        if (!duplex.push(chunk)) socket.pause();
      },
      onEnd() {
        duplex.push(null);
      },
      onClose(error) {
        duplex.destroy(error);
      },
    };
    return { session, handlers };
  }
}

/** The symbol description of the session's native handle in Deno's polyfill. */
const HANDLE = "kHandle";
const handleKeys = new WeakMap<object, symbol | null>();

/**
 * Sends a 1xx queued by `additionalHeaders()` now. Node and Bun send it at
 * once already; Deno 2.9 holds it in nghttp2 until the session sends another
 * frame (see the module's notes), so there the session handle's
 * `sendPending()` runs, or a PING goes out when no such handle is found.
 *
 * @param session The stream's session.
 */
export function flushInterim(session: H2Session): void {
  if (typeof (globalThis as { Deno?: unknown }).Deno !== "object") return;
  const target = session as unknown as Record<symbol, { sendPending?: () => void } | undefined>;
  let key = handleKeys.get(session);
  if (key === undefined) {
    key = Object.getOwnPropertySymbols(session).find((k) => k.description === HANDLE) ?? null;
    handleKeys.set(session, key);
  }
  const handle = key === null ? undefined : target[key];
  if (typeof handle?.sendPending === "function") {
    handle.sendPending();
    return;
  }
  // A PING makes Deno send what nghttp2 queued (ping() schedules a send).
  (session as unknown as { ping?: (callback: () => void) => boolean }).ping?.(() => {});
}
