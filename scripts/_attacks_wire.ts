/**
 * For `scripts/attacks.ts`: the attacking clients, on raw `node:net`
 * sockets to 127.0.0.1. Each resolves with what it saw and never waits
 * longer than its own deadline.
 *
 * @module
 */

import net from "node:net";

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Milliseconds since `start`. */
const since = (start: number) => performance.now() - start;

/** Connects with a bounded wait; rejects on error or timeout. */
export function connect(port: number, timeoutMs = 10_000): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    // allowHalfOpen: a client that keeps writing after the server's FIN is the attack.
    const socket = net.connect({ port, host: "127.0.0.1", allowHalfOpen: true });
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`connect to ${port}: no answer within ${timeoutMs} ms`));
    }, timeoutMs);
    socket.once("connect", () => {
      clearTimeout(timer);
      socket.removeAllListeners("error");
      socket.on("error", () => {});
      resolve(socket);
    });
    socket.once("error", (error) => {
      clearTimeout(timer);
      reject(error);
    });
  });
}

/** Waits for the first of `events` on `socket`, or `ms`; returns the event or `"timeout"`. */
function waitForEvent(socket: net.Socket, events: string[], ms: number): Promise<string> {
  return new Promise((resolve) => {
    const handlers = events.map((event) => {
      const handler = () => finish(event);
      socket.once(event, handler);
      return [event, handler] as const;
    });
    const timer = setTimeout(() => finish("timeout"), Math.max(0, ms));
    function finish(what: string) {
      clearTimeout(timer);
      for (const [event, handler] of handlers) socket.off(event, handler);
      resolve(what);
    }
  });
}

/** Counts the payload of a `chunked` body as it arrives. */
class ChunkedCounter {
  payload = 0;
  done = false;
  #line = "";
  #remaining = 0;
  #state: "size" | "data" | "data-end" | "trailer" = "size";

  feed(bytes: Uint8Array): void {
    for (let i = 0; i < bytes.length && !this.done;) {
      if (this.#state === "data") {
        const take = Math.min(this.#remaining, bytes.length - i);
        this.payload += take;
        this.#remaining -= take;
        i += take;
        if (this.#remaining === 0) this.#state = "data-end";
        continue;
      }
      const byte = bytes[i++]!;
      if (byte !== 0x0a) {
        if (byte !== 0x0d) this.#line += String.fromCharCode(byte);
        continue;
      }
      const line = this.#line;
      this.#line = "";
      if (this.#state === "data-end") this.#state = "size";
      else if (this.#state === "size") {
        this.#remaining = parseInt(line.split(";")[0] ?? "", 16);
        this.#state = this.#remaining > 0 ? "data" : "trailer";
      } else if (line === "") this.done = true;
    }
  }
}

/** What the slow reader saw. */
export interface SlowReadResult {
  readonly status: number | undefined;
  /** `content-length N`, `chunked`, or `none`. */
  readonly framing: string;
  /** The announced length, when there was one. */
  readonly contentLength: number | undefined;
  /** Body bytes received (the payload, for a chunked body). */
  readonly received: number;
  /** Seconds from the request to the end (complete, closed or given up). */
  readonly seconds: number;
  /** `complete`, `closed by the server`, `reset by the server`, or `gave up at the deadline`. */
  readonly outcome: string;
}

/**
 * A legitimate client reading a large body at `bytesPerSecond`: it pauses
 * the socket whenever it is ahead of that rate, so the server meets a full
 * window, as from a slow link.
 */
export async function slowRead(
  port: number,
  path: string,
  bytesPerSecond: number,
  deadlineMs: number,
): Promise<SlowReadResult> {
  const socket = await connect(port);
  const start = performance.now();
  let head = Buffer.alloc(0);
  let status: number | undefined;
  let framing = "none";
  let contentLength: number | undefined;
  let bodyWire = 0;
  const chunked = new ChunkedCounter();
  let bodyStart = 0;
  let reset = false;
  const received = () => (framing === "chunked" ? chunked.payload : bodyWire);
  const complete = () =>
    framing === "chunked" ? chunked.done : contentLength !== undefined && bodyWire >= contentLength;
  let resumeTimer: ReturnType<typeof setTimeout> | undefined;
  const finished = new Promise<string>((resolve) => {
    socket.on("data", (chunk: Buffer) => {
      let body: Buffer = chunk;
      if (status === undefined) {
        head = Buffer.concat([head, chunk]);
        const end = head.indexOf("\r\n\r\n");
        if (end < 0) return;
        const text = head.subarray(0, end).toString("latin1");
        status = Number(/^HTTP\/1\.\d (\d{3})/.exec(text)?.[1]);
        const length = /\r\ncontent-length:\s*(\d+)/i.exec(text)?.[1];
        if (/\r\ntransfer-encoding:[^\r]*chunked/i.test(text)) framing = "chunked";
        else if (length !== undefined) {
          contentLength = Number(length);
          framing = `content-length ${contentLength}`;
        }
        body = head.subarray(end + 4);
        bodyStart = performance.now();
      }
      if (framing === "chunked") chunked.feed(body);
      bodyWire += body.length;
      if (complete()) return resolve("complete");
      const aheadMs = (received() / bytesPerSecond) * 1000 - since(bodyStart);
      if (aheadMs > 0) {
        socket.pause();
        resumeTimer = setTimeout(() => socket.resume(), aheadMs);
      }
    });
    socket.on("error", () => (reset = true));
    socket.on("end", () => resolve("closed by the server"));
    socket.on("close", () => resolve(reset ? "reset by the server" : "closed by the server"));
    setTimeout(() => resolve("gave up at the deadline"), deadlineMs);
  });
  socket.write(`GET ${path} HTTP/1.1\r\nHost: attacks\r\n\r\n`);
  const outcome = await finished;
  const seconds = since(start) / 1000;
  clearTimeout(resumeTimer);
  socket.destroy();
  return { status, framing, contentLength, received: received(), seconds, outcome };
}

/** What the pipelining non-readers saw. */
export interface PipelineResult {
  /** Bytes the sockets received (they never read on purpose: the kernel's and Node's buffers). */
  readonly bytesRead: number;
  /** Sockets the server closed while they held on. */
  readonly closedByServer: number;
}

/**
 * Opens `sockets` connections that each write `requests` pipelined
 * requests for `path` in one go and never read; holds them `holdMs`, then
 * destroys them.
 */
export async function pipelineNonReaders(
  port: number,
  sockets: number,
  requests: number,
  path: string,
  holdMs: number,
): Promise<PipelineResult> {
  const opened = await Promise.all(Array.from({ length: sockets }, () => connect(port)));
  let closedByServer = 0;
  const burst = `GET ${path} HTTP/1.1\r\nHost: attacks\r\n\r\n`.repeat(requests);
  for (const socket of opened) {
    socket.pause();
    // Paused, a server FIN goes unseen; a reset or full close shows as "close".
    socket.once("close", () => closedByServer++);
    socket.write(burst);
  }
  await sleep(holdMs);
  const bytesRead = opened.reduce((sum, socket) => sum + socket.bytesRead, 0);
  const closed = closedByServer;
  for (const socket of opened) socket.destroy();
  return { bytesRead, closedByServer: closed };
}

/** How the server was told its connection is over, before the flood. */
export type FloodVariant = "connection-close" | "after-400" | "idle-close";

/** What the flooding client saw. */
export interface FloodResult {
  /** Bytes the socket took from the client (written to the kernel): server reads plus kernel buffers. */
  readonly accepted: number;
  /** Seconds from the server's decision (the request, or its FIN when idle) to the socket's close; undefined if still open. */
  readonly closedAfter: number | undefined;
  /** The first line of what the server answered. */
  readonly statusLine: string;
  /** Set when the idle server never closed within the wait. */
  readonly note: string;
}

const FLOOD_REQUESTS: Record<Exclude<FloodVariant, "idle-close">, string> = {
  "connection-close": "GET / HTTP/1.1\r\nHost: attacks\r\nConnection: close\r\n\r\n",
  // A space inside a field name: 400 from every parser.
  "after-400": "GET / HTTP/1.1\r\nHost: attacks\r\nBad Field: x\r\n\r\n",
};

/**
 * Sends a request the server must answer last (or waits for the idle close),
 * then writes 64 KiB chunks for `floodMs` without reading, then waits up to
 * `closeWaitMs` more for the server to close.
 */
export async function floodAfterClose(
  port: number,
  variant: FloodVariant,
  floodMs: number,
  closeWaitMs: number,
  idleWaitMs: number,
): Promise<FloodResult> {
  const socket = await connect(port);
  let text = "";
  let closedAt: number | undefined;
  socket.on("data", (chunk: Buffer) => {
    if (text.length < 256) text += chunk.toString("latin1");
  });
  socket.on("close", () => (closedAt ??= performance.now()));
  let note = "";
  let start: number;
  if (variant === "idle-close") {
    socket.write("GET / HTTP/1.1\r\nHost: attacks\r\n\r\n");
    const event = await waitForEvent(socket, ["end", "close"], idleWaitMs);
    if (event === "timeout") note = `no idle close within ${idleWaitMs / 1000} s`;
    start = performance.now();
  } else {
    // The answer is read (to show it); from then on nothing is.
    socket.once("data", () => socket.pause());
    socket.write(FLOOD_REQUESTS[variant]);
    start = performance.now();
  }
  if (variant === "idle-close") socket.pause();
  const chunk = Buffer.alloc(64 * 1024, 0x7a);
  let accepted = 0;
  while (closedAt === undefined && !socket.destroyed && since(start) < floodMs) {
    const flushed = socket.write(chunk, (error) => {
      if (error === null || error === undefined) accepted += chunk.length;
    });
    if (!flushed) await waitForEvent(socket, ["drain", "close"], floodMs - since(start));
  }
  if (closedAt === undefined) {
    await waitForEvent(socket, ["close"], floodMs + closeWaitMs - since(start));
  }
  // A socket still open has taken its last bytes; the write callbacks of the
  // queued chunks will not run, which is right: the kernel never took them.
  socket.destroy();
  return {
    accepted,
    closedAfter: closedAt === undefined ? undefined : Math.max(0, closedAt - start) / 1000,
    statusLine: text.split("\r\n")[0] ?? "",
    note,
  };
}

/** What the trickling clients saw. */
export interface TrickleResult {
  /** Connections opened per kind. */
  readonly opened: { readonly read: number; readonly unread: number };
  /** Still open at `checkMs`, per kind. */
  readonly openAtCheck: { readonly read: number; readonly unread: number };
  /** Seconds to the last close, if all closed by `maxMs`. */
  readonly lastClosed: number | undefined;
  /** Seconds to the last FIN (or close) from the server, if all got one by `maxMs`. */
  readonly lastFin: number | undefined;
  /** Still open when the run stopped at `maxMs`. */
  readonly openAtEnd: number;
  /** Status lines seen, with counts. */
  readonly statuses: Record<string, number>;
}

/**
 * Opens `count` connections, half posting to a handler that reads the body
 * and half to one that leaves it unread (the server drains it), each
 * announcing a large body and sending one byte per second.
 */
export async function trickleBodies(
  port: number,
  count: number,
  checkMs: number,
  maxMs: number,
): Promise<TrickleResult> {
  const sockets: Array<
    { socket: net.Socket; kind: "read" | "unread"; finAt?: number; closedAt?: number }
  > = [];
  const statuses: Record<string, number> = {};
  // In batches: a burst of hundreds of SYNs overflows some accept backlogs.
  for (let i = 0; i < count; i += 50) {
    const batch = await Promise.all(
      Array.from({ length: Math.min(50, count - i) }, () => connect(port)),
    );
    for (const socket of batch) {
      const kind = sockets.length % 2 === 0 ? "read" : "unread";
      const entry: (typeof sockets)[number] = { socket, kind };
      sockets.push(entry);
      let first = true;
      socket.on("data", (chunk: Buffer) => {
        if (!first) return;
        first = false;
        const line = chunk.toString("latin1").split("\r\n")[0] ?? "";
        statuses[line] = (statuses[line] ?? 0) + 1;
      });
      socket.on("end", () => (entry.finAt ??= performance.now()));
      socket.on("close", () => {
        entry.closedAt ??= performance.now();
        entry.finAt ??= entry.closedAt;
      });
    }
  }
  const start = performance.now();
  for (const { socket, kind } of sockets) {
    socket.write(
      `POST ${kind === "read" ? "/upload" : "/unread"} HTTP/1.1\r\nHost: attacks\r\n` +
        "Content-Length: 1000000\r\n\r\nx",
    );
  }
  const ticker = setInterval(() => {
    for (const { socket, closedAt } of sockets) {
      if (closedAt === undefined && !socket.destroyed) socket.write("x");
    }
  }, 1_000);
  const openCount = (kind: "read" | "unread") =>
    sockets.filter((entry) => entry.kind === kind && entry.closedAt === undefined).length;
  await sleep(checkMs);
  const openAtCheck = { read: openCount("read"), unread: openCount("unread") };
  while (since(start) < maxMs && sockets.some((entry) => entry.closedAt === undefined)) {
    await sleep(250);
  }
  clearInterval(ticker);
  const openAtEnd = openCount("read") + openCount("unread");
  const lastClosed = openAtEnd === 0
    ? Math.max(...sockets.map((entry) => entry.closedAt! - start)) / 1000
    : undefined;
  const lastFin = sockets.every((entry) => entry.finAt !== undefined)
    ? Math.max(...sockets.map((entry) => entry.finAt! - start)) / 1000
    : undefined;
  for (const { socket } of sockets) socket.destroy();
  return {
    opened: {
      read: sockets.filter((entry) => entry.kind === "read").length,
      unread: sockets.filter((entry) => entry.kind === "unread").length,
    },
    openAtCheck,
    lastClosed,
    lastFin,
    openAtEnd,
    statuses,
  };
}

/** What the legitimate slow uploader saw. */
export interface UploadResult {
  readonly statusLine: string;
  /** The response body (the server's count of the bytes it read). */
  readonly body: string;
  readonly seconds: number;
  readonly ok: boolean;
}

/**
 * Uploads `bytes` to `POST /upload` at `bytesPerSecond` (a piece every
 * 100 ms) and reads the answer; gives up at `deadlineMs`.
 */
export async function slowUpload(
  port: number,
  bytes: number,
  bytesPerSecond: number,
  deadlineMs: number,
): Promise<UploadResult> {
  const socket = await connect(port);
  const start = performance.now();
  let text = "";
  socket.setEncoding("latin1");
  socket.on("data", (chunk: string) => (text += chunk));
  const answered = () => {
    const end = text.indexOf("\r\n\r\n");
    const length = /\r\ncontent-length:\s*(\d+)/i.exec(text)?.[1];
    return end >= 0 && length !== undefined && text.length - end - 4 >= Number(length);
  };
  socket.write(`POST /upload HTTP/1.1\r\nHost: attacks\r\nContent-Length: ${bytes}\r\n\r\n`);
  const piece = Math.max(1, Math.round(bytesPerSecond / 10));
  let sent = 0;
  while (sent < bytes && !socket.destroyed && since(start) < deadlineMs) {
    const size = Math.min(piece, bytes - sent);
    socket.write("u".repeat(size));
    sent += size;
    const dueMs = (sent / bytesPerSecond) * 1000 - since(start);
    if (dueMs > 0) await sleep(dueMs);
  }
  while (!answered() && !socket.destroyed && since(start) < deadlineMs) await sleep(50);
  const seconds = since(start) / 1000;
  socket.destroy();
  const statusLine = text.split("\r\n")[0] ?? "";
  const body = text.slice(text.indexOf("\r\n\r\n") + 4);
  return {
    statusLine,
    body,
    seconds,
    ok: answered() && statusLine.includes(" 200 ") && body === String(bytes),
  };
}
