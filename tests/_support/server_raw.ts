/**
 * Test support for the server tests: talk to a server with raw bytes over
 * `node:net` (so the assertions see exactly what went on the wire), with
 * every wait bounded.
 *
 * @module
 */

import net from "node:net";

/** Options for {@linkcode rawRequest}. */
export interface RawRequestOptions {
  /** Stop reading once the text received so far satisfies this. */
  until?: (text: string) => boolean;
  /** Give up after this many milliseconds (the text so far is returned); default 5 000. */
  timeoutMs?: number;
  /** Half-close (FIN) after writing. */
  end?: boolean;
  /** A unix socket path instead of 127.0.0.1:port. */
  path?: string;
}

/** What {@linkcode rawRequest} saw. */
export interface RawResult {
  /** Everything received, decoded as latin1. */
  readonly text: string;
  /** Whether the server closed the connection. */
  readonly closed: boolean;
  /** Whether the wait timed out. */
  readonly timedOut: boolean;
}

/**
 * Sends bytes to a server and collects the reply until the server closes,
 * `until` is satisfied, or the timeout.
 *
 * @param port The TCP port on 127.0.0.1.
 * @param data The bytes (a string is sent as latin1), or several pieces written apart.
 * @param options When to stop.
 * @returns The received text and how the wait ended.
 *
 * @example
 * ```ts ignore
 * const { text } = await rawRequest(port, "GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
 * ```
 */
export function rawRequest(
  port: number,
  data: string | Uint8Array,
  options: RawRequestOptions = {},
): Promise<RawResult> {
  const { until, timeoutMs = 5_000 } = options;
  return new Promise((resolve) => {
    const socket = options.path !== undefined
      ? net.connect(options.path)
      : net.connect(port, "127.0.0.1");
    let text = "";
    let settled = false;
    const finish = (closed: boolean, timedOut: boolean) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      resolve({ text, closed, timedOut });
    };
    const timer = setTimeout(() => finish(false, true), timeoutMs);
    socket.setNoDelay(true);
    socket.on("connect", () => {
      socket.write(typeof data === "string" ? Buffer.from(data, "latin1") : data);
      if (options.end) socket.end();
    });
    socket.on("data", (chunk: Buffer) => {
      text += chunk.toString("latin1");
      if (until?.(text)) finish(false, false);
    });
    socket.on("end", () => finish(true, false));
    socket.on("close", () => finish(true, false));
    socket.on("error", () => finish(true, false));
  });
}

/** A connection kept open across several writes and reads. */
export interface RawConnection {
  /** Writes bytes. */
  write(data: string | Uint8Array): void;
  /** Waits until the text received so far satisfies `until` (or times out, returning what came). */
  read(until: (text: string) => boolean, timeoutMs?: number): Promise<string>;
  /** Everything received so far. */
  readonly text: string;
  /** Resolves when the server closed the connection (bounded by `timeoutMs`), with whether it did. */
  closed(timeoutMs?: number): Promise<boolean>;
  /** Destroys the socket. */
  destroy(): void;
  /** Half-closes (FIN). */
  end(): void;
}

/**
 * Opens a raw connection.
 *
 * @param port The TCP port on 127.0.0.1.
 * @returns The connection once connected.
 *
 * @example
 * ```ts ignore
 * const conn = await rawConnect(port);
 * conn.write("GET / HTTP/1.1\r\nHost: x\r\n\r\n");
 * await conn.read((t) => t.includes("\r\n\r\n"));
 * conn.destroy();
 * ```
 */
export function rawConnect(port: number): Promise<RawConnection> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, "127.0.0.1");
    socket.setNoDelay(true);
    let text = "";
    let isClosed = false;
    const waiters = new Set<() => void>();
    const wake = () => {
      for (const waiter of [...waiters]) waiter();
    };
    socket.on("data", (chunk: Buffer) => {
      text += chunk.toString("latin1");
      wake();
    });
    const onClose = () => {
      isClosed = true;
      wake();
    };
    socket.on("end", onClose);
    socket.on("close", onClose);
    socket.on("error", onClose);
    socket.once("connect", () => {
      resolve({
        write: (data) =>
          void socket.write(typeof data === "string" ? Buffer.from(data, "latin1") : data),
        read: (until, timeoutMs = 5_000) =>
          new Promise((done) => {
            const check = () => {
              if (until(text) || isClosed) {
                waiters.delete(check);
                clearTimeout(timer);
                done(text);
              }
            };
            const timer = setTimeout(() => {
              waiters.delete(check);
              done(text);
            }, timeoutMs);
            waiters.add(check);
            check();
          }),
        get text() {
          return text;
        },
        closed: (timeoutMs = 5_000) =>
          new Promise((done) => {
            const check = () => {
              if (isClosed) {
                waiters.delete(check);
                clearTimeout(timer);
                done(true);
              }
            };
            const timer = setTimeout(() => {
              waiters.delete(check);
              done(false);
            }, timeoutMs);
            waiters.add(check);
            check();
          }),
        destroy: () => void socket.destroy(),
        end: () => void socket.end(),
      });
    });
    socket.once("error", reject);
  });
}

/**
 * Counts the responses (status lines) in raw text.
 *
 * @param text Received bytes as text.
 * @returns The status lines in order, e.g. `["HTTP/1.1 103 Early Hints", "HTTP/1.1 200 OK"]`.
 *
 * @example
 * ```ts ignore
 * statusLines("HTTP/1.1 200 OK\r\n\r\n"); // ["HTTP/1.1 200 OK"]
 * ```
 */
export function statusLines(text: string): string[] {
  // Bodies in these tests never contain "HTTP/1.x NNN", so a match anywhere is a status line.
  return text.match(/HTTP\/1\.[01] \d{3}[^\r\n]*/g) ?? [];
}
