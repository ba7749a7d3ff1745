/**
 * Test support for the hardening tests: raw `node:net` peers that read
 * slowly, read nothing or send slowly, with every wait bounded.
 *
 * @module
 */

import net from "node:net";
import { delay } from "./server_util.ts";

/**
 * Connects a raw client to 127.0.0.1:`port`.
 *
 * @param port The server's port.
 * @returns The connected socket.
 *
 * @example
 * ```ts ignore
 * const socket = await connect(port);
 * ```
 */
export function connect(port: number): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host: "127.0.0.1", port }, () => resolve(socket));
    socket.once("error", reject);
  });
}

/**
 * Resolves when `socket` has closed (for whatever reason).
 *
 * @param socket The socket.
 * @returns A promise.
 *
 * @example
 * ```ts ignore
 * await closed(socket);
 * ```
 */
export function closed(socket: net.Socket): Promise<void> {
  return new Promise((resolve) => {
    if (socket.destroyed) resolve();
    else socket.once("close", () => resolve());
  });
}

/**
 * Resolves when the server has closed a socket the client does not read:
 * a paused node:net socket reports the close only once read, so poll with
 * a write, which fails after the server's reset.
 *
 * @param socket The paused socket.
 * @returns A promise (unbounded: wrap it in `within`).
 *
 * @example
 * ```ts ignore
 * await within(closedWhilePaused(socket), 4_000, "the drop");
 * ```
 */
export async function closedWhilePaused(socket: net.Socket): Promise<void> {
  const gone = closed(socket);
  for (;;) {
    const done = await Promise.race([gone.then(() => true), delay(100).then(() => false)]);
    if (done) return;
    socket.write("\r\n");
  }
}

/** The body of a response as far as it arrived. */
export interface ReceivedBody {
  /** Body bytes received. */
  readonly length: number;
  /** The last body byte, or -1. */
  readonly last: number;
  /** Whether the body has ended. */
  readonly complete: boolean;
}

/**
 * The body bytes in `bytes` after the head ending at `start`: counted as
 * they are with Content-Length, decoded when chunked.
 *
 * @param bytes Everything received.
 * @param start Where the body starts (see {@linkcode headEnd}).
 * @param size The expected size of a Content-Length body.
 * @returns What arrived.
 *
 * @example
 * ```ts ignore
 * const got = bodyOf(all, headEnd(all), 1024);
 * ```
 */
export function bodyOf(bytes: Buffer, start: number, size: number): ReceivedBody {
  const head = bytes.subarray(0, start).toString("latin1");
  if (!/transfer-encoding: chunked/i.test(head)) {
    const length = bytes.byteLength - start;
    return { length, last: bytes[bytes.byteLength - 1] ?? -1, complete: length >= size };
  }
  let at = start;
  let length = 0;
  let last = -1;
  for (;;) {
    const lineEnd = bytes.indexOf("\r\n", at);
    if (lineEnd < 0) return { length, last, complete: false };
    const chunkSize = parseInt(bytes.subarray(at, lineEnd).toString("latin1"), 16);
    if (chunkSize === 0) return { length, last, complete: true };
    const dataEnd = lineEnd + 2 + chunkSize;
    if (dataEnd + 2 > bytes.byteLength) return { length, last, complete: false };
    length += chunkSize;
    last = bytes[dataEnd - 1]!;
    at = dataEnd + 2;
  }
}

/**
 * The byte offset just past the head's empty line, or -1 before it came.
 *
 * @param bytes Everything received.
 * @returns The offset.
 *
 * @example
 * ```ts ignore
 * const start = headEnd(Buffer.concat(chunks));
 * ```
 */
export function headEnd(bytes: Buffer): number {
  const at = bytes.indexOf("\r\n\r\n");
  return at < 0 ? -1 : at + 4;
}

/** What {@linkcode trickle} saw. */
export interface Trickled {
  /** What came back, as latin1. */
  readonly text: string;
  /** Body bytes sent. */
  readonly sent: number;
  /** Whether the server closed the connection. */
  readonly closed: boolean;
}

/**
 * Sends a request head, then its body one byte per `everyMs` until the
 * server closes or `maxMs` passes.
 *
 * @param port The server's port.
 * @param head The request head.
 * @param bodyLength The body's declared length.
 * @param everyMs The pause between bytes.
 * @param maxMs The bound.
 * @returns What came back and how many body bytes went out.
 *
 * @example
 * ```ts ignore
 * const result = await trickle(port, head, 1_000, 50, 4_000);
 * ```
 */
export async function trickle(
  port: number,
  head: string,
  bodyLength: number,
  everyMs: number,
  maxMs: number,
): Promise<Trickled> {
  const socket = await connect(port);
  socket.on("error", () => {});
  const received: Buffer[] = [];
  socket.on("data", (chunk: Buffer) => received.push(chunk));
  let isClosed = false;
  const gone = closed(socket).then(() => (isClosed = true));
  socket.write(head);
  let sent = 0;
  const until = Date.now() + maxMs;
  while (!isClosed && sent < bodyLength && Date.now() < until) {
    socket.write("x");
    sent++;
    await delay(everyMs);
  }
  await Promise.race([gone, delay(500)]);
  socket.destroy();
  return { text: Buffer.concat(received).toString("latin1"), sent, closed: isClosed };
}
