// The runtime adapters against real sockets on 127.0.0.1: the native adapter
// of whichever runtime runs this file, and the node:net adapter under every
// runtime (users may pick it explicitly).
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { mkdtemp, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { detectRuntime, loadAdapter } from "../src/runtime/select.ts";
import type {
  RuntimeAdapter,
  Socket,
  SocketAddress,
  SocketHandlers,
} from "../src/runtime/types.ts";

const RUNTIME = detectRuntime();
const ADAPTERS = [...new Set([RUNTIME, "node" as const])];
const HERE = path.dirname(fileURLToPath(import.meta.url));
const TLS_DIR = path.join(HERE, "fixtures", "tls");
const pem = (name: string) => readFileSync(path.join(TLS_DIR, name), "utf8");
const CA = pem("test-ca-cert.pem");
const SERVER_TLS = { cert: pem("test-server-cert.pem"), key: pem("test-server-key.pem") };
const CLIENT_CERT = pem("test-client-cert.pem");
const CLIENT_KEY = pem("test-client-key.pem");
const UNTRUSTED_TLS = {
  cert: pem("test-untrusted-server-cert.pem"),
  key: pem("test-untrusted-server-key.pem"),
};
/** Upper bound for any single wait in this file. */
const WAIT_MS = 10_000;
const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** Records a socket's events and lets a test wait for a condition on them. */
class Recorder implements SocketHandlers {
  chunks: Uint8Array[] = [];
  received = 0;
  ended = false;
  closeCount = 0;
  closeError: Error | undefined;
  #waiters = new Set<() => void>();

  onData(chunk: Uint8Array): void {
    this.chunks.push(chunk);
    this.received += chunk.byteLength;
    this.#notify();
  }

  onEnd(): void {
    this.ended = true;
    this.#notify();
  }

  onClose(error?: Error): void {
    this.closeCount++;
    this.closeError = error;
    this.#notify();
  }

  get closed(): boolean {
    return this.closeCount > 0;
  }

  text(): string {
    return decoder.decode(concat(this.chunks));
  }

  /** Resolves once `condition()` holds; fails after WAIT_MS naming `what`. */
  until(condition: () => boolean, what: string): Promise<void> {
    if (condition()) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const check = () => {
        if (!condition()) return;
        clearTimeout(timer);
        this.#waiters.delete(check);
        resolve();
      };
      const timer = setTimeout(() => {
        this.#waiters.delete(check);
        reject(new Error(`timed out waiting for ${what}`));
      }, WAIT_MS);
      this.#waiters.add(check);
    });
  }

  #notify(): void {
    for (const check of [...this.#waiters]) check();
  }
}

function concat(chunks: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(chunks.reduce((n, c) => n + c.byteLength, 0));
  let offset = 0;
  for (const chunk of chunks) {
    out.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return out;
}

function tcpPort(address: SocketAddress): number {
  assert.equal(address.transport, "tcp");
  return address.transport === "tcp" ? address.port : 0;
}

/** Bytes 0..250 repeating, so a reordered or lost chunk shows. */
function pattern(size: number, start = 0): Uint8Array {
  const bytes = new Uint8Array(size);
  for (let i = 0; i < size; i++) bytes[i] = (start + i) % 251;
  return bytes;
}

function assertPattern(bytes: Uint8Array, size: number): void {
  assert.equal(bytes.byteLength, size);
  for (let i = 0; i < size; i++) {
    if (bytes[i] !== i % 251) assert.fail(`byte ${i} is ${bytes[i]}, expected ${i % 251}`);
  }
}

/** Rejects after WAIT_MS so that no test waits forever on a promise. */
function bounded<T>(promise: Promise<T>, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out waiting for ${what}`)), WAIT_MS);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/**
 * An echo server on the adapter that keeps backpressure: when write() says
 * stop, it pauses reading until drained().
 */
async function startEcho(
  adapter: RuntimeAdapter,
  options: Parameters<RuntimeAdapter["listen"]>[0] = { hostname: "127.0.0.1", port: 0 },
) {
  const sockets: Socket[] = [];
  const listener = await adapter.listen(options, (socket) => {
    sockets.push(socket);
    return {
      onData(chunk) {
        if (!socket.write(chunk)) {
          socket.pause();
          socket.drained().then(() => socket.resume());
        }
      },
      onEnd: () => socket.end(),
      onClose() {},
    };
  });
  return {
    listener,
    async close() {
      await listener.close();
      for (const socket of sockets) socket.destroy();
    },
  };
}

for (const name of ADAPTERS) {
  const label = `${name} adapter on ${RUNTIME}`;

  test(`${label}: TCP echo on 127.0.0.1 with port 0`, async () => {
    const adapter = await loadAdapter(name);
    assert.equal(adapter.name, name);
    const echo = await startEcho(adapter);
    try {
      const port = tcpPort(echo.listener.address);
      assert.ok(port > 0, "port 0 is replaced by the bound port");
      const client = new Recorder();
      const socket = await adapter.connect({ hostname: "127.0.0.1", port }, client);
      try {
        assert.equal(socket.closed, false);
        assert.deepEqual(socket.remoteAddress, { transport: "tcp", hostname: "127.0.0.1", port });
        assert.equal(socket.localAddress.transport, "tcp");
        assert.equal(socket.write(encoder.encode("hello, ")), true);
        assert.equal(socket.write(encoder.encode("world")), true);
        await client.until(() => client.received >= 12, "the echo");
        assert.equal(client.text(), "hello, world");
        socket.end();
        assert.equal(socket.write(encoder.encode("late")), false, "write after end is refused");
        await client.until(() => client.closed, "close");
        assert.equal(client.ended, true);
        assert.equal(client.closeError, undefined);
        assert.equal(socket.closed, true);
        await new Promise((resolve) => setTimeout(resolve, 20));
        assert.equal(client.closeCount, 1, "onClose exactly once");
      } finally {
        socket.destroy();
      }
    } finally {
      await echo.close();
    }
  });

  test(`${label}: 8 MiB each way with backpressure, in order, chunks owned by the receiver`, async () => {
    const adapter = await loadAdapter(name);
    const echo = await startEcho(adapter);
    const size = 8 * 1024 * 1024;
    const client = new Recorder();
    const socket = await adapter.connect(
      { hostname: "127.0.0.1", port: tcpPort(echo.listener.address) },
      client,
    );
    try {
      const data = pattern(size);
      let refusals = 0;
      for (let offset = 0; offset < size; offset += 65_536) {
        if (!socket.write(data.subarray(offset, offset + 65_536))) {
          refusals++;
          await bounded(socket.drained(), "drained()");
        }
      }
      assert.ok(refusals > 0, "write() returned false at least once");
      await bounded(socket.drained(), "the final drained()");
      socket.end();
      await client.until(() => client.ended, "the echo's end");
      // Checked only now: a chunk the adapter reused would have changed.
      assertPattern(concat(client.chunks), size);
      await client.until(() => client.closed, "close");
      assert.equal(client.closeError, undefined);
    } finally {
      socket.destroy();
      await echo.close();
    }
  });
}
