/**
 * Slow readers of one large static body share its bytes (issue 12, item 5):
 *
 * - a string constant answered to several requests is encoded once; every
 *   response hands the socket the same bytes, so each slow reader holds a
 *   view, not its own copy (before, 200 readers of a 4 MiB text cost
 *   +850 MB on Deno; `scripts/slow_readers.ts` measures it);
 * - the Deno adapter passes `conn.write` views of the caller's buffer, also
 *   after partial writes, never a copy, and counts `bufferedAmount` and
 *   `bytesSent` as the peer takes the bytes.
 *
 * Identity of the underlying `ArrayBuffer` is checked, not memory: it is
 * exact and independent of the allocator and the kernel's buffer sizes.
 */

import { test } from "node:test";
import assert from "node:assert/strict";
import net from "node:net";
import { defaultAdapter } from "../src/runtime/select.ts";
import type { RuntimeAdapter, Socket } from "../src/runtime/types.ts";
import { staticBodySource } from "../src/runtime/response_body_source.ts";
import { encodeShared } from "../src/server/shared_encoding.ts";
import { RUNTIME, within, withServer } from "./_support/server_util.ts";

const MIB = 1024 * 1024;
const TEXT = "b".repeat(MIB);

// Only Deno (and Node 22's undici) let the server see a Response's string
// without reading its stream; elsewhere the runtime's stream copies the body
// per response before the server sees a byte.
const TEXT_VISIBLE = typeof staticBodySource(new Response(TEXT)) === "string";

/** Wraps an adapter so that every accepted socket records what it is given to write. */
function recordingAdapter(
  base: RuntimeAdapter,
  writes: (Uint8Array | string)[],
): RuntimeAdapter {
  return {
    name: base.name,
    connect: base.connect,
    listen: (options, accept) =>
      base.listen(options, (socket: Socket) => {
        const write = socket.write.bind(socket);
        socket.write = (chunk) => {
          writes.push(chunk);
          return write(chunk);
        };
        return accept(socket);
      }),
  };
}

/** Asks for `path` on a new connection and reads the whole response (the server closes). */
function getWhole(port: number, path: string): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host: "127.0.0.1", port });
    const parts: Buffer[] = [];
    socket.on("data", (chunk: Buffer) => parts.push(chunk));
    socket.on("error", reject);
    socket.on("close", () => resolve(Buffer.concat(parts)));
    socket.write(`GET ${path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`);
  });
}

test("encodeShared: equal texts share one encoding, other texts get their own, UTF-8 exact", () => {
  const first = encodeShared(TEXT);
  // An equal string built separately (another object) finds the same bytes.
  const equal = ["b".repeat(MIB / 2), "b".repeat(MIB / 2)].join("");
  assert.equal(encodeShared(equal), first);
  const other = "c".repeat(MIB);
  const otherBytes = encodeShared(other);
  assert.notEqual(otherBytes.buffer, first.buffer);
  assert.equal(otherBytes[0], 0x63);
  const mixed = "é€😀".repeat(30_000);
  assert.deepEqual(encodeShared(mixed), new TextEncoder().encode(mixed));
});

test(
  "a large string constant answered to two requests is one encoding handed to both sockets",
  {
    skip: TEXT_VISIBLE ? false : `${RUNTIME} gives a Response's string only through its stream, ` +
      "which copies it per response (no shared bytes possible)",
  },
  async () => {
    const writes: (Uint8Array | string)[] = [];
    const adapter = recordingAdapter(await defaultAdapter(), writes);
    await withServer(() => new Response(TEXT), { adapter }, async (_server, port) => {
      for (let i = 0; i < 2; i++) {
        const answer = await within(getWhole(port, "/text"), 10_000, "the text response");
        const headEnd = answer.indexOf("\r\n\r\n") + 4;
        assert.match(answer.subarray(0, headEnd).toString("latin1"), /content-length: 1048576/i);
        assert.equal(answer.byteLength - headEnd, MIB);
        assert.equal(answer[answer.byteLength - 1], 0x62);
      }
    });
    const bodies = writes.filter((chunk): chunk is Uint8Array =>
      typeof chunk !== "string" && chunk.byteLength === MIB
    );
    assert.equal(bodies.length, 2, "each response writes its body as one 1 MiB chunk");
    assert.equal(bodies[0]!.buffer, bodies[1]!.buffer, "both responses share the bytes");
  },
);

test(
  "the Deno adapter hands conn.write views of a large write, also after partial writes",
  { skip: RUNTIME === "deno" ? false : "the Deno adapter runs only on Deno" },
  async () => {
    const deno = (globalThis as unknown as { Deno: typeof Deno }).Deno;
    const size = 16 * MIB;
    const data = new Uint8Array(size);
    for (let i = 0; i < size; i += 4096) data[i] = (i >> 12) & 0xff;
    // A peer that reads nothing until told, so the first writes are partial.
    const accepted: net.Socket[] = [];
    let received = 0;
    const server = net.createServer((socket) => {
      socket.pause();
      socket.on("data", (chunk: Buffer) => (received += chunk.byteLength));
      socket.on("error", () => {});
      accepted.push(socket);
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const port = (server.address() as net.AddressInfo).port;
    // Every Deno TCP connection shares the prototype whose write is recorded.
    const probe = await deno.connect({ hostname: "127.0.0.1", port });
    const prototype = Object.getPrototypeOf(probe) as { write(p: Uint8Array): Promise<number> };
    probe.close();
    const originalWrite = prototype.write;
    const handed: Uint8Array[] = [];
    prototype.write = function (this: Deno.Conn, chunk: Uint8Array) {
      handed.push(chunk);
      return originalWrite.call(this, chunk);
    };
    const socket = await (await import("../src/runtime/deno.ts")).denoAdapter.connect(
      { hostname: "127.0.0.1", port },
      { onData: () => {}, onEnd: () => {}, onClose: () => {} },
    );
    const localPort = socket.localAddress.transport === "tcp" ? socket.localAddress.port : 0;
    const peerOf = () => accepted.find((peer) => peer.remotePort === localPort);
    try {
      await within(
        (async () => {
          while (peerOf() === undefined) await new Promise((resolve) => setTimeout(resolve, 5));
        })(),
        5_000,
        "the peer accepts",
      );
      socket.write(data);
      await new Promise((resolve) => setTimeout(resolve, 200));
      const queued = socket.bufferedAmount;
      assert.ok(queued > 0 && queued < size, `part is queued (${queued} of ${size})`);
      assert.equal(socket.bytesSent, size - queued);
      peerOf()!.resume();
      await within(socket.drained(), 10_000, "drained");
      assert.equal(socket.bufferedAmount, 0);
      assert.equal(socket.bytesSent, size);
      await within(
        (async () => {
          while (received < size) await new Promise((resolve) => setTimeout(resolve, 10));
        })(),
        10_000,
        "the peer receives everything",
      );
    } finally {
      prototype.write = originalWrite;
      socket.destroy();
      for (const peer of accepted) peer.destroy();
      await new Promise((resolve) => server.close(resolve));
    }
    assert.ok(handed.length >= 2, `partial writes happened (${handed.length} writes)`);
    let previousOffset = -1;
    for (const chunk of handed) {
      assert.equal(chunk.buffer, data.buffer, "each write is a view of the caller's buffer");
      // What is left after each partial write: a later start, the same end.
      assert.ok(chunk.byteOffset > previousOffset, "views start further on");
      assert.equal(chunk.byteOffset + chunk.byteLength, size, "views run to the end");
      previousOffset = chunk.byteOffset;
    }
  },
);
