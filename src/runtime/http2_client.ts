/**
 * The HTTP/2 client's runtime side: a TLS connection that offers `h2` and
 * `http/1.1` through ALPN, and, when the server picks `h2`, a session of the
 * runtime's own `node:http2` (Node, Deno and Bun all ship one) on that same
 * socket. When the server picks `http/1.1` the socket is handed back as a
 * plain {@linkcode Socket}: one handshake either way.
 *
 * The types here are by shape (header pairs, byte chunks, callbacks): the
 * client builds requests and reads responses through them without naming
 * `node:http2`. Measured on Node 24 and 26, Deno 2.9 and Bun 1.4: a
 * `createConnection` that returns the already connected `node:tls` socket
 * works on all four, and the 1xx heads arrive as `headers` events before
 * `response`, each with its flat raw header list.
 *
 * @module
 */

import { adoptNodeSocket, nodeTlsOptions } from "./node.ts";
import { opensslTlsFailure, SocketError, toSocketError } from "./socket_error.ts";
import { abortable } from "./abortable.ts";
import type { ConnectOptions, Socket, SocketHandlers } from "./types.ts";

type NodeTlsSocket = import("node:tls").TLSSocket;
type NodeHttp2 = typeof import("node:http2");
type NodeClientSession = import("node:http2").ClientHttp2Session;
type NodeClientStream = import("node:http2").ClientHttp2Stream;

/** Header fields as ordered `[name, value]` pairs, names lower-cased. */
export type FieldPairs = [name: string, value: string][];

/** What one HTTP/2 stream reports to its owner. Nothing is called after `closed`. */
export interface H2StreamEvents {
  /** An interim (1xx) head arrived. */
  informational(status: number, fields: FieldPairs): void;
  /** The final head arrived; `endStream` when no body follows. */
  response(status: number, fields: FieldPairs, endStream: boolean): void;
  /** Body bytes arrived (the chunk is the callee's). */
  data(chunk: Uint8Array): void;
  /** The response body ended. */
  end(): void;
  /**
   * The stream is gone. `error` is set unless it closed cleanly;
   * `refused` when the server never processed it (`REFUSED_STREAM`, or
   * cut by a GOAWAY before any response), so it may be sent again.
   */
  closed(error: Error | undefined, refused: boolean): void;
}

/** One request stream. */
export interface H2Stream {
  /** Queues request body bytes; `false` when the caller should wait for `drained()`. */
  write(chunk: Uint8Array): boolean;
  /** Resolves when the queued body bytes were taken, or the stream closed. */
  drained(): Promise<void>;
  /** Ends the request body (END_STREAM). */
  end(): void;
  /** Stops reading body bytes (flow control then holds the server). */
  pause(): void;
  /** Reads body bytes again. */
  resume(): void;
  /** Resets the stream (`RST_STREAM` with `CANCEL`); no event follows. */
  cancel(): void;
}

/** What a session reports to its owner. */
export interface H2SessionEvents {
  /** The server sent GOAWAY: no new stream may start on this session. */
  goaway(): void;
  /** The session closed (after its streams closed); `error` set when it failed. */
  closed(error: Error | undefined): void;
}

/** An HTTP/2 client session on one connection. */
export interface H2ClientSession {
  /** Whether a new stream may start (open, no GOAWAY sent or received). */
  readonly usable: boolean;
  /**
   * Opens a stream with these fields (pseudo-header fields first).
   *
   * @throws {Error} When the session cannot take it (closed, out of stream ids).
   */
  request(fields: FieldPairs, endStream: boolean, events: H2StreamEvents): H2Stream;
  /** Lets the process exit while the session is open (idle sessions in a pool). */
  unref(): void;
  /** Undoes `unref()`. */
  ref(): void;
  /** Closes at once; running streams close with an error. */
  destroy(): void;
}

/** What the server chose through ALPN, with the connection to use. */
export type AlpnConnection =
  | {
    readonly protocol: "h2";
    /** Starts the HTTP/2 session on the socket (call once). */
    startSession(authority: string, events: H2SessionEvents): Promise<H2ClientSession>;
    /** Closes the socket unused. */
    destroy(): void;
  }
  | {
    readonly protocol: "http/1.1";
    /** Takes the socket as a plain byte socket (call once). */
    adopt(handlers: SocketHandlers): Socket;
    /** Closes the socket unused. */
    destroy(): void;
  };

/** `RST_STREAM` codes (RFC 9113 section 7). */
const REFUSED_STREAM = 7;
const CANCEL = 8;

/** The ALPN list offered when the caller set none. */
const OFFER = ["h2", "http/1.1"];

let modules: Promise<{ tls: typeof import("node:tls"); http2: NodeHttp2 }> | undefined;

function loadModules(): Promise<{ tls: typeof import("node:tls"); http2: NodeHttp2 }> {
  modules ??= Promise.all([import("node:tls"), import("node:http2")]).then((
    [tls, http2],
  ) => ({ tls, http2 }));
  return modules;
}

/**
 * Opens a TLS connection over TCP that offers `h2` and `http/1.1` (or the
 * caller's `tls.alpnProtocols`), and says which the server chose. A server
 * without ALPN counts as `http/1.1`. Failures reject with a `SocketError`,
 * classified as `node.ts` classifies them; an aborted signal rejects with
 * its reason.
 *
 * @param options Host, port and TLS settings (no unix `path`).
 * @returns The negotiated protocol and its connection.
 */
export async function connectAlpn(options: ConnectOptions): Promise<AlpnConnection> {
  const { signal } = options;
  signal?.throwIfAborted();
  const tlsSettings = options.tls;
  const hostname = options.hostname ?? "127.0.0.1";
  const target = `${hostname}:${options.port}`;
  if (tlsSettings === undefined || options.port === undefined || options.path !== undefined) {
    throw new SocketError("EINVAL", `connect ${target}: ALPN needs TLS over TCP`);
  }
  const { tls, http2 } = await loadModules();
  signal?.throwIfAborted();
  const settings = nodeTlsOptions(
    { ...tlsSettings, alpnProtocols: tlsSettings.alpnProtocols ?? OFFER },
    hostname,
    tls.rootCertificates,
  );
  const raw: NodeTlsSocket = tls.connect(Object.assign(
    { host: hostname, port: options.port, allowHalfOpen: true, noDelay: true },
    settings,
  ));
  const opening = new Promise<NodeTlsSocket>((resolve, reject) => {
    const onOpen = () => {
      raw.off("error", onError);
      resolve(raw);
    };
    const onError = (error: Error) => {
      raw.off("secureConnect", onOpen);
      raw.destroy();
      reject(toSocketError(error, `connect ${target}`, opensslTlsFailure(error)));
    };
    raw.once("secureConnect", onOpen);
    raw.once("error", onError);
  });
  try {
    await abortable(opening, signal, (late) => late.destroy());
  } catch (error) {
    if (signal?.aborted) raw.destroy();
    throw error;
  }
  const destroy = () => raw.destroy();
  if (raw.alpnProtocol === "h2") {
    return {
      protocol: "h2",
      startSession: (authority, events) => startSession(http2, raw, authority, events),
      destroy,
    };
  }
  return {
    protocol: "http/1.1",
    adopt: (handlers) => adoptNodeSocket(raw, handlers, true),
    destroy,
  };
}

/** Starts `node:http2` on the connected socket; resolves once the server's SETTINGS came. */
function startSession(
  http2: NodeHttp2,
  raw: NodeTlsSocket,
  authority: string,
  events: H2SessionEvents,
): Promise<H2ClientSession> {
  const session = http2.connect(authority, { createConnection: () => raw });
  const wrapped = new NodeH2Session(session, events);
  return new Promise<H2ClientSession>((resolve, reject) => {
    const onConnect = () => {
      session.off("close", onEarlyClose);
      resolve(wrapped);
    };
    const onEarlyClose = () => {
      session.off("connect", onConnect);
      reject(
        wrapped.error ??
          new SocketError("ECONNRESET", "the HTTP/2 session closed before its settings arrived"),
      );
    };
    session.once("connect", onConnect);
    session.once("close", onEarlyClose);
  });
}

/** An {@linkcode H2ClientSession} over a `node:http2` client session. */
class NodeH2Session implements H2ClientSession {
  readonly #session: NodeClientSession;
  #goaway = false;
  #closed = false;
  /** The session's first error, if any. */
  error: Error | undefined;

  constructor(session: NodeClientSession, events: H2SessionEvents) {
    this.#session = session;
    // Every emitter gets an error listener: an unhandled one kills the process.
    session.on("error", (error: Error) => {
      this.error ??= toSocketError(error, "HTTP/2 session");
    });
    session.on("goaway", () => {
      this.#goaway = true;
      events.goaway();
    });
    session.on("close", () => {
      this.#closed = true;
      events.closed(this.error);
    });
  }

  get usable(): boolean {
    const session = this.#session;
    return !this.#goaway && !this.#closed && !session.closed && !session.destroyed;
  }

  request(fields: FieldPairs, endStream: boolean, events: H2StreamEvents): H2Stream {
    const headers: Record<string, string | string[]> = {};
    for (const [name, value] of fields) {
      const existing = headers[name];
      if (existing === undefined) headers[name] = value;
      else if (Array.isArray(existing)) existing.push(value);
      else headers[name] = [existing, value];
    }
    const stream = this.#session.request(headers, { endStream });
    return new NodeH2Stream(stream, events, () => this.#goaway || this.#closed);
  }

  unref(): void {
    (this.#session as { unref?: () => void }).unref?.();
  }

  ref(): void {
    (this.#session as { ref?: () => void }).ref?.();
  }

  destroy(): void {
    this.#session.destroy();
  }
}

/** An {@linkcode H2Stream} over a `node:http2` client stream. */
class NodeH2Stream implements H2Stream {
  readonly #stream: NodeClientStream;
  #error: Error | undefined;
  #responded = false;
  #silenced = false;
  /**
   * Deno 2.9's client emits `data` (and `end`) before `response` when the
   * DATA frame came in the same read as the HEADERS: held here until the
   * head is out, so the owner always sees head, body, end.
   */
  #early: Uint8Array[] | undefined;
  #earlyEnd = false;

  constructor(stream: NodeClientStream, events: H2StreamEvents, sessionEnding: () => boolean) {
    this.#stream = stream;
    stream.on("headers", (_headers: unknown, _flags: number, raw: string[]) => {
      if (this.#silenced) return;
      const { status, fields } = splitRaw(raw);
      events.informational(status, fields);
    });
    stream.on("response", (_headers: unknown, flags: number, raw: string[]) => {
      if (this.#silenced) return;
      this.#responded = true;
      const { status, fields } = splitRaw(raw);
      const early = this.#early;
      this.#early = undefined;
      // END_STREAM (0x1) on the HEADERS frame: no body follows.
      events.response(status, fields, (flags & 0x1) !== 0 && early === undefined);
      for (const chunk of early ?? []) {
        if (!this.#silenced) events.data(chunk);
      }
      if (this.#earlyEnd && !this.#silenced) events.end();
    });
    stream.on("data", (chunk: Uint8Array) => {
      if (this.#silenced) return;
      const view = new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength);
      if (this.#responded) events.data(view);
      else (this.#early ??= []).push(view);
    });
    stream.on("end", () => {
      if (this.#silenced) return;
      if (this.#responded) events.end();
      else this.#earlyEnd = true;
    });
    stream.on("error", (error: Error) => {
      this.#error ??= error;
    });
    stream.on("close", () => {
      if (this.#silenced) return;
      this.#silenced = true;
      const code = stream.rstCode;
      const refused = !this.#responded &&
        (code === REFUSED_STREAM || (sessionEnding() && code !== CANCEL));
      let error = this.#error;
      if (error === undefined && code !== undefined && code !== 0) {
        error = new SocketError("ECONNRESET", `the server reset the stream (code ${code})`);
      }
      events.closed(error, refused);
    });
  }

  write(chunk: Uint8Array): boolean {
    const stream = this.#stream;
    if (stream.destroyed || stream.writableEnded) return false;
    return stream.write(chunk);
  }

  drained(): Promise<void> {
    const stream = this.#stream;
    if (stream.destroyed || stream.writableLength === 0) return Promise.resolve();
    return new Promise<void>((resolve) => {
      const done = () => {
        stream.off("drain", done);
        stream.off("close", done);
        resolve();
      };
      stream.on("drain", done);
      stream.on("close", done);
    });
  }

  end(): void {
    if (!this.#stream.destroyed && !this.#stream.writableEnded) this.#stream.end();
  }

  pause(): void {
    this.#stream.pause();
  }

  resume(): void {
    this.#stream.resume();
  }

  cancel(): void {
    this.#silenced = true;
    const stream = this.#stream;
    if (stream.destroyed || stream.closed) return;
    try {
      stream.close(CANCEL);
    } catch {
      stream.destroy();
    }
  }
}

/** A flat raw header list (`[name, value, name, value...]`) as `:status` and the other fields. */
function splitRaw(raw: readonly string[]): { status: number; fields: FieldPairs } {
  let status = 0;
  const fields: FieldPairs = [];
  for (let i = 0; i + 1 < raw.length; i += 2) {
    const name = raw[i]!.toLowerCase();
    const value = raw[i + 1]!;
    if (name === ":status") status = Number(value);
    else if (name.charCodeAt(0) !== 0x3a) fields.push([name, value]);
  }
  return { status, fields };
}
