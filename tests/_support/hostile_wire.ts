/**
 * Test support: send bytes to a server in pieces (each write flushed before
 * the next, so the server really sees them apart) and collect the answer,
 * with every wait bounded.
 *
 * @module
 */

import net from "node:net";

/** What {@linkcode sendInPieces} saw. */
export interface PiecesResult {
  /** Everything received, as latin1. */
  readonly text: string;
  /** Whether the server closed the connection. */
  readonly closed: boolean;
  /** Whether the wait timed out. */
  readonly timedOut: boolean;
}

/**
 * Splits `text` at the given offsets.
 *
 * @param text The bytes as latin1 text.
 * @param cuts Offsets inside `text`, any order, duplicates allowed.
 * @returns The pieces, in order, none empty.
 *
 * @example
 * ```ts ignore
 * splitAt("abcdef", [4, 2]); // ["ab", "cd", "ef"]
 * ```
 */
export function splitAt(text: string, cuts: readonly number[]): string[] {
  const points = [...new Set(cuts.filter((cut) => cut > 0 && cut < text.length))]
    .sort((a, b) => a - b);
  const pieces: string[] = [];
  let from = 0;
  for (const point of points) {
    pieces.push(text.slice(from, point));
    from = point;
  }
  pieces.push(text.slice(from));
  return pieces.filter((piece) => piece.length > 0);
}

/**
 * Connects to 127.0.0.1:`port`, writes each piece after the previous one was
 * flushed (and a turn of the event loop), optionally half-closes, and
 * collects the reply until the server closes or `timeoutMs` passes.
 *
 * @param port The server's port.
 * @param pieces The bytes, as latin1 text, in order.
 * @param options `end`: half-close after the last piece; `timeoutMs` (default 5 000).
 * @returns The received text and how the wait ended.
 *
 * @example
 * ```ts ignore
 * const { text } = await sendInPieces(port, ["GET / HT", "TP/1.1\r\nHost: x\r\n\r\n"]);
 * ```
 */
export function sendInPieces(
  port: number,
  pieces: readonly string[],
  options: { end?: boolean; timeoutMs?: number; pauseMs?: number } = {},
): Promise<PiecesResult> {
  const timeoutMs = options.timeoutMs ?? 5_000;
  return new Promise((resolve) => {
    const socket = net.connect(port, "127.0.0.1");
    socket.setNoDelay(true);
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
    socket.on("data", (chunk: Buffer) => (text += chunk.toString("latin1")));
    socket.on("end", () => finish(true, false));
    socket.on("close", () => finish(true, false));
    socket.on("error", () => finish(true, false));
    socket.once("connect", async () => {
      for (const piece of pieces) {
        if (settled || socket.destroyed) return;
        await new Promise<void>((done) => socket.write(Buffer.from(piece, "latin1"), () => done()));
        await new Promise<void>((done) => setTimeout(done, options.pauseMs ?? 0));
      }
      if (options.end && !socket.destroyed) socket.end();
    });
  });
}
