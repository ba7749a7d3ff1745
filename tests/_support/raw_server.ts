/**
 * Test support: small raw-byte TCP and unix servers (`node:net`) that answer
 * whatever bytes a test scripts, including malformed and hostile responses,
 * and record every request head they read.
 *
 * @module
 */

import net from "node:net";

/** One accepted connection as a test script sees it. */
export interface RawPeer {
  /** The socket. */
  readonly socket: net.Socket;
  /** Resolves with the next request head (up to and including the empty line), as latin1 text. */
  readHead(): Promise<string>;
  /** Resolves with exactly `count` more bytes (the request body). */
  readBytes(count: number): Promise<Uint8Array>;
  /** Resolves with everything until the peer ends or `until` appears. */
  readUntil(until: string): Promise<string>;
  /** Writes latin1 text or bytes. */
  write(data: string | Uint8Array): void;
  /** Ends the connection after pending writes. */
  end(data?: string | Uint8Array): void;
}

/** A running raw server. */
export interface RawServer {
  /** `http://127.0.0.1:PORT` (or `http://localhost` for a unix socket). */
  readonly url: string;
  /** The port (0 for a unix socket). */
  readonly port: number;
  /** Connections accepted so far. */
  readonly connections: number;
  /** Request heads read so far, in order. */
  readonly heads: string[];
  /** Closes the listener and destroys every connection. */
  close(): Promise<void>;
}

/** Options of {@linkcode startRawServer}. */
export interface RawServerOptions {
  /** Listen on this unix socket path instead of 127.0.0.1. */
  readonly path?: string;
}

/**
 * Starts a raw server; `script` runs once per accepted connection.
 *
 * @param script Reads requests and writes bytes; its rejection destroys the socket.
 * @param options Where to listen.
 * @returns The server; always `await server.close()` in `finally`.
 *
 * @example A server that answers one 103 and a 200
 * ```ts ignore
 * const server = await startRawServer(async (peer) => {
 *   await peer.readHead();
 *   peer.write("HTTP/1.1 103 Early Hints\r\nlink: </a>\r\n\r\nHTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok");
 * });
 * ```
 */
export async function startRawServer(
  script: (peer: RawPeer) => void | Promise<void>,
  options: RawServerOptions = {},
): Promise<RawServer> {
  const sockets = new Set<net.Socket>();
  const heads: string[] = [];
  let connections = 0;
  const server = net.createServer((socket) => {
    connections++;
    sockets.add(socket);
    socket.setNoDelay?.(true);
    socket.on("close", () => sockets.delete(socket));
    socket.on("error", () => {});
    const peer = createPeer(socket, heads);
    Promise.resolve()
      .then(() => script(peer))
      .catch(() => socket.destroy());
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    if (options.path !== undefined) server.listen(options.path, resolve);
    else server.listen(0, "127.0.0.1", resolve);
  });
  const address = server.address();
  const port = typeof address === "object" && address !== null ? address.port : 0;
  return {
    url: options.path !== undefined ? "http://localhost" : `http://127.0.0.1:${port}`,
    port,
    get connections() {
      return connections;
    },
    heads,
    close() {
      for (const socket of sockets) socket.destroy();
      return new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

function createPeer(socket: net.Socket, heads: string[]): RawPeer {
  let buffer = Buffer.alloc(0);
  let ended = false;
  let wake: (() => void) | undefined;
  socket.on("data", (chunk: Buffer) => {
    buffer = Buffer.concat([buffer, chunk]);
    wake?.();
  });
  socket.on("end", () => {
    ended = true;
    wake?.();
  });
  socket.on("close", () => {
    ended = true;
    wake?.();
  });
  const waitFor = async <T>(take: () => T | undefined): Promise<T> => {
    for (;;) {
      const value = take();
      if (value !== undefined) return value;
      if (ended) throw new Error("raw server: peer closed while a test script was reading");
      await new Promise<void>((resolve) => {
        wake = () => {
          wake = undefined;
          resolve();
        };
      });
    }
  };
  return {
    socket,
    readHead() {
      return waitFor(() => {
        const end = buffer.indexOf("\r\n\r\n");
        if (end === -1) return undefined;
        const head = buffer.subarray(0, end + 4).toString("latin1");
        buffer = buffer.subarray(end + 4);
        heads.push(head);
        return head;
      });
    },
    readBytes(count) {
      return waitFor(() => {
        if (buffer.length < count) return undefined;
        const bytes = new Uint8Array(buffer.subarray(0, count));
        buffer = buffer.subarray(count);
        return bytes;
      });
    },
    readUntil(until) {
      return waitFor(() => {
        const end = buffer.indexOf(until);
        if (end === -1) return ended ? "" : undefined;
        const text = buffer.subarray(0, end + until.length).toString("latin1");
        buffer = buffer.subarray(end + until.length);
        return text;
      });
    },
    write(data) {
      if (!socket.destroyed) {
        socket.write(typeof data === "string" ? Buffer.from(data, "latin1") : data);
      }
    },
    end(data) {
      if (socket.destroyed) return;
      if (data === undefined) socket.end();
      else socket.end(typeof data === "string" ? Buffer.from(data, "latin1") : data);
    },
  };
}

/**
 * A small response with `Content-Length`.
 *
 * @param body The body text.
 * @param status The status line's code and reason.
 * @param extra More header lines, each ending in CRLF.
 * @returns The response bytes as latin1 text.
 */
export function rawResponse(body: string, status = "200 OK", extra = ""): string {
  return `HTTP/1.1 ${status}\r\ncontent-length: ${Buffer.byteLength(body)}\r\n${extra}\r\n${body}`;
}
