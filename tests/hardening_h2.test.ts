/**
 * HTTP/2 floods against `serve()` (issue 14 part 5): rapid reset
 * (CVE-2023-44487), CONTINUATION floods (CVE-2024-27316 style), SETTINGS and
 * PING floods, and very many streams. The attacker writes raw frames (a
 * 9-byte header and a payload; HPACK as static-table indexes and one literal)
 * over h2c (`http2: true` on a cleartext port) on 127.0.0.1; each test sets
 * the limit low, floods far past it, and checks that the server closes the
 * connection (GOAWAY or close) within a bound, that the handler ran no more
 * than the limit allows, that the heap stayed bounded, and that a new
 * connection is served afterwards (so the process lives on).
 */

import { test } from "node:test";
import assert from "node:assert/strict";
import http2 from "node:http2";
import net from "node:net";
import process from "node:process";
import { serve, type Server } from "../server.ts";
import type { ServeHandler, ServeLimits } from "../src/server/types.ts";
import { within } from "./_support/server_util.ts";

const PREFACE = Buffer.from("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", "latin1");

const DATA = 0x0;
const HEADERS = 0x1;
const RST_STREAM = 0x3;
const SETTINGS = 0x4;
const PING = 0x6;
const GOAWAY = 0x7;
const CONTINUATION = 0x9;

const END_STREAM = 0x1;
const ACK = 0x1;
const END_HEADERS = 0x4;

const CANCEL = 0x8;
const ENHANCE_YOUR_CALM = 0xb;

/** How long the server may take to close a flooding connection. */
const CLOSE_BOUND_MS = 5_000;
/** Heap growth allowed across one flood, in bytes (the floods are at most a few MiB of frames). */
const HEAP_BOUND = 16 * 1024 * 1024;

/** One frame: the 9-byte header (RFC 9113 section 4.1) and the payload. */
function frame(
  type: number,
  flags: number,
  streamId: number,
  payload: Uint8Array = new Uint8Array(0),
): Buffer {
  const out = Buffer.alloc(9 + payload.length);
  out.writeUIntBE(payload.length, 0, 3);
  out[3] = type;
  out[4] = flags;
  out.writeUInt32BE(streamId & 0x7fffffff, 5);
  out.set(payload, 9);
  return out;
}

/**
 * A GET request's header block: `:method GET`, `:scheme http` and `:path /`
 * as static-table indexes (RFC 7541 appendix A: 2, 6, 4), and `:authority`
 * as a literal without indexing on name index 1.
 */
function requestBlock(authority = "127.0.0.1"): Buffer {
  const value = Buffer.from(authority, "latin1");
  return Buffer.concat([Buffer.from([0x82, 0x86, 0x84, 0x01, value.length]), value]);
}

/** A literal field without indexing, new name (RFC 7541 section 6.2.2); names and values under 127 bytes. */
function literalField(name: string, value: string): Buffer {
  const n = Buffer.from(name, "latin1");
  const v = Buffer.from(value, "latin1");
  return Buffer.concat([Buffer.from([0x00, n.length]), n, Buffer.from([v.length]), v]);
}

function rstStream(streamId: number, code: number): Buffer {
  const payload = Buffer.alloc(4);
  payload.writeUInt32BE(code);
  return frame(RST_STREAM, 0, streamId, payload);
}

/** What a raw client saw of the server. */
interface Seen {
  /** The first SETTINGS' parameters (identifier -> value). */
  settings: Map<number, number> | undefined;
  settingsAcks: number;
  pingAcks: number;
  /** Response HEADERS frames. */
  headers: number;
  /** RST_STREAM codes by stream. */
  resets: Map<number, number>;
  goaway: { lastStreamId: number; code: number } | undefined;
  closed: boolean;
}

/** A raw HTTP/2 client over a plain TCP socket. */
class RawH2 {
  readonly seen: Seen = {
    settings: undefined,
    settingsAcks: 0,
    pingAcks: 0,
    headers: 0,
    resets: new Map(),
    goaway: undefined,
    closed: false,
  };
  readonly #socket: net.Socket;
  #buffer: Buffer = Buffer.alloc(0);
  readonly #waiters = new Set<() => void>();

  private constructor(socket: net.Socket) {
    this.#socket = socket;
    socket.on("data", (chunk: Buffer) => this.#read(chunk));
    socket.on("error", () => {});
    socket.on("close", () => {
      this.seen.closed = true;
      this.#wake();
    });
  }

  /** Connects, sends the preface and empty SETTINGS, and waits for the server's SETTINGS (acked). */
  static async open(port: number): Promise<RawH2> {
    const socket = net.connect({ host: "127.0.0.1", port });
    await within(
      new Promise<void>((resolve, reject) => {
        socket.once("connect", resolve);
        socket.once("error", reject);
      }),
      5_000,
      "the TCP connect",
    );
    const client = new RawH2(socket);
    client.write(Buffer.concat([PREFACE, frame(SETTINGS, 0, 0)]));
    await client.until(() => client.seen.settings !== undefined, 5_000, "the server's SETTINGS");
    client.write(frame(SETTINGS, ACK, 0));
    return client;
  }

  write(bytes: Uint8Array): void {
    if (!this.#socket.destroyed) this.#socket.write(bytes);
  }

  /** The server sent GOAWAY or closed the connection. */
  get ended(): boolean {
    return this.seen.goaway !== undefined || this.seen.closed;
  }

  /** Resolves once `condition` holds, checked after each read; rejects after `ms`. */
  until(condition: () => boolean, ms: number, what: string): Promise<void> {
    if (condition()) return Promise.resolve();
    let wake: () => void = () => {};
    const met = new Promise<void>((resolve) => {
      wake = () => {
        if (!condition()) return;
        this.#waiters.delete(wake);
        resolve();
      };
      this.#waiters.add(wake);
    });
    return within(met, ms, what).finally(() => this.#waiters.delete(wake));
  }

  destroy(): void {
    this.#socket.destroy();
  }

  #wake(): void {
    for (const wake of [...this.#waiters]) wake();
  }

  #read(chunk: Buffer): void {
    this.#buffer = this.#buffer.length === 0 ? chunk : Buffer.concat([this.#buffer, chunk]);
    while (this.#buffer.length >= 9) {
      const length = this.#buffer.readUIntBE(0, 3);
      if (this.#buffer.length < 9 + length) break;
      const type = this.#buffer[3]!;
      const flags = this.#buffer[4]!;
      const streamId = this.#buffer.readUInt32BE(5) & 0x7fffffff;
      const payload = this.#buffer.subarray(9, 9 + length);
      this.#buffer = this.#buffer.subarray(9 + length);
      this.#frame(type, flags, streamId, payload);
    }
    this.#wake();
  }

  #frame(type: number, flags: number, streamId: number, payload: Buffer): void {
    const seen = this.seen;
    if (type === SETTINGS && (flags & ACK) !== 0) seen.settingsAcks++;
    else if (type === SETTINGS && seen.settings === undefined) {
      seen.settings = new Map();
      for (let at = 0; at + 6 <= payload.length; at += 6) {
        seen.settings.set(payload.readUInt16BE(at), payload.readUInt32BE(at + 2));
      }
    } else if (type === PING && (flags & ACK) !== 0) seen.pingAcks++;
    else if (type === HEADERS) seen.headers++;
    else if (type === RST_STREAM) seen.resets.set(streamId, payload.readUInt32BE(0));
    else if (type === GOAWAY) {
      seen.goaway = {
        lastStreamId: payload.readUInt32BE(0) & 0x7fffffff,
        code: payload.readUInt32BE(4),
      };
    } else if (type === DATA) {
      // Ignored: the floods never read bodies.
    }
  }
}

/** A handler that holds every request until its client goes away, counting calls. */
function holdingHandler(): { handler: ServeHandler; calls: () => number } {
  let calls = 0;
  return {
    calls: () => calls,
    handler: (request) => {
      calls++;
      if (request.headers.get("x-probe") === "yes") return new Response("ok");
      return new Promise<Response>((resolve) => {
        request.signal.addEventListener("abort", () => resolve(new Response("late")));
      });
    },
  };
}

/** Serves on a cleartext port with h2c and `limits`; closes the server in every case. */
async function withH2cServer(
  handler: ServeHandler,
  limits: Partial<ServeLimits>,
  body: (server: Server, port: number) => Promise<void>,
): Promise<void> {
  const server = await serve(handler, {
    hostname: "127.0.0.1",
    port: 0,
    http2: true,
    limits,
    onError: () => {},
  });
  try {
    assert.ok(server.addr.transport === "tcp");
    await body(server, server.addr.port);
  } finally {
    await within(server.close(), 10_000, "server.close()");
  }
}

/** A normal request on a new node:http2 connection: the server still serves. */
async function stillServes(port: number, extra: http2.OutgoingHttpHeaders = {}): Promise<void> {
  const session = http2.connect(`http://127.0.0.1:${port}`);
  session.on("error", () => {});
  try {
    const status = await within(
      new Promise<{ status: number; body: string }>((resolve, reject) => {
        const request = session.request({ ":path": "/after", "x-probe": "yes", ...extra });
        let status = 0;
        let body = "";
        request.setEncoding("utf8");
        request.on("response", (head) => (status = Number(head[":status"])));
        request.on("data", (chunk: string) => (body += chunk));
        request.on("end", () => resolve({ status, body }));
        request.on("error", reject);
      }),
      5_000,
      "a request on a new connection after the flood",
    );
    assert.deepEqual(status, { status: 200, body: "ok" });
  } finally {
    session.destroy();
  }
}

function heapUsed(): number {
  (globalThis as { gc?: () => void }).gc?.();
  return process.memoryUsage().heapUsed;
}

/** Runs a flood: the heap before and after, and the server serving a new connection afterwards. */
async function afterFlood(port: number, heapBefore: number, extra?: http2.OutgoingHttpHeaders) {
  await stillServes(port, extra);
  const growth = heapUsed() - heapBefore;
  assert.ok(growth < HEAP_BOUND, `the heap grew by ${(growth / 1048576).toFixed(1)} MiB`);
}

test("h2 rapid reset: resets past streamResetBurst end the connection with GOAWAY ENHANCE_YOUR_CALM", async () => {
  const { handler, calls } = holdingHandler();
  const burst = 50;
  await withH2cServer(handler, { streamResetBurst: burst, streamResetRate: 1 }, async (_, port) => {
    const heapBefore = heapUsed();
    const client = await RawH2.open(port);
    try {
      const pairs: Buffer[] = [];
      // 1000 streams opened and cancelled at once: below every runtime's own
      // bound (1000 resets), so only the server's count can stop it at 50.
      for (let i = 0; i < 1000; i++) {
        const id = 2 * i + 1;
        pairs.push(
          frame(HEADERS, END_STREAM | END_HEADERS, id, requestBlock()),
          rstStream(id, CANCEL),
        );
      }
      client.write(Buffer.concat(pairs));
      await client.until(() => client.ended, CLOSE_BOUND_MS, "GOAWAY after the reset flood");
      assert.equal(
        client.seen.goaway?.code,
        ENHANCE_YOUR_CALM,
        `GOAWAY ${JSON.stringify(client.seen.goaway)}`,
      );
      assert.ok(
        client.seen.goaway!.lastStreamId <= 2 * (burst + 1) + 1,
        `last stream ${client.seen.goaway!.lastStreamId}`,
      );
      assert.ok(calls() <= burst + 1, `the handler ran ${calls()} times`);
      await client.until(() => client.seen.closed, CLOSE_BOUND_MS, "the close after GOAWAY");
    } finally {
      client.destroy();
    }
    await afterFlood(port, heapBefore);
  });
});

for (
  const [name, payload] of [
    ["empty", new Uint8Array(0)],
    ["64-byte", literalField("x-flood", "f".repeat(54))],
  ] as const
) {
  test(`h2 CONTINUATION flood (${name} frames): a header block past maxHeaderBytes ends the connection`, async () => {
    const { handler, calls } = holdingHandler();
    const maxHeaderBytes = 4096;
    await withH2cServer(handler, { maxHeaderBytes }, async (_, port) => {
      const heapBefore = heapUsed();
      const client = await RawH2.open(port);
      try {
        // HEADERS without END_HEADERS, then CONTINUATION frames that never end the block.
        const frames = [frame(HEADERS, END_STREAM, 1, requestBlock())];
        const continuation = frame(CONTINUATION, 0, 1, payload);
        for (let i = 0; i < 20_000; i++) frames.push(continuation);
        client.write(Buffer.concat(frames));
        await client.until(
          () => client.ended,
          CLOSE_BOUND_MS,
          "GOAWAY or close after the CONTINUATION flood",
        );
        // Our count, not the runtime's own bound (Bun has none for empty frames): the same code everywhere.
        assert.equal(
          client.seen.goaway?.code,
          ENHANCE_YOUR_CALM,
          `GOAWAY ${JSON.stringify(client.seen.goaway)}`,
        );
        await client.until(() => client.seen.closed, CLOSE_BOUND_MS, "the close");
        assert.equal(calls(), 0, "the handler never sees an unfinished header block");
      } finally {
        client.destroy();
      }
      // A header block near the limit, in one frame, is still served.
      await afterFlood(port, heapBefore, { "x-big": "b".repeat(maxHeaderBytes / 2) });
    });
  });
}

for (
  const [name, flood] of [
    ["SETTINGS", () => frame(SETTINGS, 0, 0, Buffer.from([0, 2, 0, 0, 0, 0]))],
    ["PING", () => frame(PING, 0, 0, Buffer.alloc(8, 7))],
  ] as const
) {
  test(`h2 ${name} flood: frames past controlFrameBurst end the connection with GOAWAY ENHANCE_YOUR_CALM`, async () => {
    const { handler } = holdingHandler();
    const burst = 100;
    await withH2cServer(
      handler,
      { controlFrameBurst: burst, controlFrameRate: 1 },
      async (_, port) => {
        const heapBefore = heapUsed();
        const client = await RawH2.open(port);
        try {
          const one = flood();
          const frames: Buffer[] = [];
          for (let i = 0; i < 20_000; i++) frames.push(one);
          client.write(Buffer.concat(frames));
          await client.until(() => client.ended, CLOSE_BOUND_MS, `GOAWAY after the ${name} flood`);
          assert.equal(
            client.seen.goaway?.code,
            ENHANCE_YOUR_CALM,
            `GOAWAY ${JSON.stringify(client.seen.goaway)}`,
          );
          await client.until(() => client.seen.closed, CLOSE_BOUND_MS, "the close after GOAWAY");
          // The answers stop at the bound (our opening SETTINGS took one of it).
          const acks = name === "PING" ? client.seen.pingAcks : client.seen.settingsAcks - 1;
          assert.ok(acks <= burst, `${acks} ${name} ACKs`);
        } finally {
          client.destroy();
        }
        await afterFlood(port, heapBefore);
      },
    );
  });
}

test("h2 many streams: maxConcurrentStreams is advertised and streams past it are refused before the handler", async () => {
  const { handler, calls } = holdingHandler();
  const limit = 10;
  const streams = 300;
  await withH2cServer(handler, { maxConcurrentStreams: limit }, async (_, port) => {
    const heapBefore = heapUsed();
    const client = await RawH2.open(port);
    try {
      assert.equal(client.seen.settings?.get(0x3), limit, "SETTINGS_MAX_CONCURRENT_STREAMS");
      const frames: Buffer[] = [];
      for (let i = 0; i < streams; i++) {
        frames.push(frame(HEADERS, END_STREAM | END_HEADERS, 2 * i + 1, requestBlock()));
      }
      client.write(Buffer.concat(frames));
      // Every stream past the limit is reset, or the whole connection ends.
      await client.until(
        () => client.ended || client.seen.resets.size >= streams - limit,
        CLOSE_BOUND_MS,
        "the refusal of the streams past the limit",
      );
      assert.ok(calls() <= limit, `the handler ran ${calls()} times at once`);
    } finally {
      client.destroy();
    }
    await afterFlood(port, heapBefore);
  });
});

test("h2 floods: a client under every bound keeps its connection", async () => {
  const { handler } = holdingHandler();
  await withH2cServer(handler, {}, async (_, port) => {
    const client = await RawH2.open(port);
    try {
      const frames: Buffer[] = [];
      for (let i = 0; i < 20; i++) frames.push(frame(PING, 0, 0, Buffer.alloc(8, i)));
      for (let i = 0; i < 20; i++) {
        frames.push(
          frame(HEADERS, END_STREAM | END_HEADERS, 2 * i + 1, requestBlock()),
          rstStream(2 * i + 1, CANCEL),
        );
      }
      // A block split over CONTINUATION frames, as a client with large fields sends it.
      const block = Buffer.concat([requestBlock(), literalField("x-probe", "yes")]);
      frames.push(frame(HEADERS, END_STREAM, 41, block.subarray(0, 5)));
      frames.push(frame(CONTINUATION, 0, 41, block.subarray(5, 10)));
      frames.push(frame(CONTINUATION, END_HEADERS, 41, block.subarray(10)));
      client.write(Buffer.concat(frames));
      await client.until(
        () => (client.seen.headers >= 1 && client.seen.pingAcks >= 20) || client.ended,
        CLOSE_BOUND_MS,
        "the response and the PING ACKs",
      );
      assert.equal(client.seen.goaway, undefined);
      assert.equal(client.seen.closed, false);
      assert.equal(client.seen.pingAcks, 20);
      assert.equal(client.seen.headers, 1);
    } finally {
      client.destroy();
    }
  });
});
