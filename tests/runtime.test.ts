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
import process from "node:process";
import { spawn, spawnSync } from "node:child_process";
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
/** Upper bound for any single wait in this file (under bun test's 5 s default per test). */
const WAIT_MS = 4_000;
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

  test(`${label}: strings are written as UTF-8, in order with bytes, through partial writes`, async () => {
    const adapter = await loadAdapter(name);
    const echo = await startEcho(adapter);
    const client = new Recorder();
    const socket = await adapter.connect(
      { hostname: "127.0.0.1", port: tcpPort(echo.listener.address) },
      client,
    );
    try {
      // Multi-byte characters (2, 3 and 4 bytes) in pieces large enough that
      // the kernel takes only part of a write, so the adapter must queue the
      // rest of a string at a byte offset inside a character.
      const piece = "ascii é € 😀 ".repeat(40_000);
      const expected: Uint8Array[] = [];
      for (let i = 0; i < 8; i++) {
        const text = `${i}:${piece}`;
        const bytes = encoder.encode(`[${i}]`);
        expected.push(encoder.encode(text), bytes);
        if (!socket.write(text)) await bounded(socket.drained(), "drained()");
        if (!socket.write(bytes)) await bounded(socket.drained(), "drained()");
      }
      await bounded(socket.drained(), "the final drained()");
      socket.end();
      await client.until(() => client.ended, "the echo's end");
      assert.deepEqual(concat(client.chunks), concat(expected));
    } finally {
      socket.destroy();
      await echo.close();
    }
  });
}

/** The command that runs a TypeScript file on the runtime running this test. */
function runtimeCommand(script: string, args: string[]): [string, string[]] {
  switch (RUNTIME) {
    case "deno":
      return [process.execPath, ["run", "-A", script, ...args]];
    case "bun":
      return [process.execPath, [script, ...args]];
    default:
      return [process.execPath, ["--import", "tsx", script, ...args]];
  }
}

interface ChildResult {
  code: number | null;
  stdout: string;
  stderr: string;
  timedOut: boolean;
}

/** Runs a child process, killing it after `limitMs`. */
function runChild(command: string, args: string[], limitMs = WAIT_MS): Promise<ChildResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    let timedOut = false;
    child.stdout.on("data", (chunk: Uint8Array) => stdout += decoder.decode(chunk));
    child.stderr.on("data", (chunk: Uint8Array) => stderr += decoder.decode(chunk));
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill("SIGKILL");
    }, limitMs);
    child.on("error", (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.on("close", (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr, timedOut });
    });
  });
}

function hasCommand(command: string): boolean {
  try {
    return spawnSync(command, ["--version"], { stdio: "ignore" }).status === 0;
  } catch {
    return false;
  }
}

const CURL_SKIP = hasCommand("curl") ? false : "curl not installed";
const PYTHON_SKIP = hasCommand("python3") ? false : "python3 not installed";

for (const name of ADAPTERS) {
  const label = `${name} adapter on ${RUNTIME}`;

  test(`${label}: 8 MiB each way over TLS with backpressure`, async () => {
    const adapter = await loadAdapter(name);
    const echo = await startEcho(adapter, { hostname: "127.0.0.1", port: 0, tls: SERVER_TLS });
    const size = 8 * 1024 * 1024;
    const client = new Recorder();
    const socket = await adapter.connect(
      { hostname: "127.0.0.1", port: tcpPort(echo.listener.address), tls: { ca: CA } },
      client,
    );
    try {
      const data = pattern(size);
      let refusals = 0;
      for (let offset = 0; offset < size; offset += 100_000) {
        if (!socket.write(data.subarray(offset, offset + 100_000))) {
          refusals++;
          await bounded(socket.drained(), "drained()");
        }
      }
      assert.ok(refusals > 0, "write() returned false at least once");
      // The whole echo before our FIN: Deno's node:tls (our TLS server on
      // Deno) loses a FIN that arrives while it is paused for real.
      await client.until(() => client.received === size, "the whole echo");
      socket.end();
      await client.until(() => client.ended, "the echo's end");
      assertPattern(concat(client.chunks), size);
      await client.until(() => client.closed, "close");
      assert.equal(client.closeError, undefined);
    } finally {
      socket.destroy();
      await echo.close();
    }
  });

  test(`${label}: TLS: data and FIN that arrive while paused come after resume()`, async () => {
    const adapter = await loadAdapter(name);
    const server = new Recorder();
    let serverSocket: Socket | undefined;
    const listener = await adapter.listen(
      { hostname: "127.0.0.1", port: 0, tls: SERVER_TLS },
      (socket) => {
        serverSocket = socket;
        socket.pause(); // like a server busy with a request
        return server;
      },
    );
    const client = new Recorder();
    const socket = await adapter.connect(
      { hostname: "127.0.0.1", port: tcpPort(listener.address), tls: { ca: CA } },
      client,
    );
    try {
      // Large enough to still be arriving when the server pauses: that is
      // when Deno's node:tls used to lose the FIN.
      const size = 512 * 1024;
      socket.write(pattern(size));
      socket.end();
      await new Promise((resolve) => setTimeout(resolve, 100));
      assert.equal(server.received, 0, "nothing is delivered while paused");
      serverSocket?.resume();
      await server.until(() => server.ended, "the FIN after resume()");
      assertPattern(concat(server.chunks), size);
      serverSocket?.end();
      await client.until(() => client.closed, "the client's close");
    } finally {
      socket.destroy();
      serverSocket?.destroy();
      await listener.close();
    }
  });

  test(`${label}: closing a listener leaves open sockets working; close() is idempotent`, async () => {
    const adapter = await loadAdapter(name);
    const echo = await startEcho(adapter);
    const port = tcpPort(echo.listener.address);
    const client = new Recorder();
    const socket = await adapter.connect({ hostname: "127.0.0.1", port }, client);
    try {
      socket.write(encoder.encode("before"));
      await client.until(() => client.received === 6, "the first echo");
      await echo.listener.close();
      await echo.listener.close();
      await assert.rejects(
        adapter.connect({ hostname: "127.0.0.1", port }, new Recorder()),
        (error) => (error as Error & { code?: string }).code === "ECONNREFUSED",
        "the closed listener accepts nothing",
      );
      socket.write(encoder.encode(" after"));
      socket.end();
      await client.until(() => client.closed, "close");
      assert.equal(client.text(), "before after");
    } finally {
      socket.destroy();
      await echo.close();
    }
  });

  test(`${label}: an accept callback that throws drops that connection only`, async () => {
    const adapter = await loadAdapter(name);
    let calls = 0;
    const sockets: Socket[] = [];
    const listener = await adapter.listen({ hostname: "127.0.0.1", port: 0 }, (socket) => {
      if (++calls === 1) throw new Error("refuse the first connection");
      sockets.push(socket);
      return {
        onData: (chunk) => socket.write(chunk),
        onEnd: () => socket.end(),
        onClose() {},
      };
    });
    const port = tcpPort(listener.address);
    try {
      const first = new Recorder();
      const dropped = await adapter.connect({ hostname: "127.0.0.1", port }, first);
      await first.until(() => first.closed || first.ended, "the dropped connection's end");
      dropped.destroy();
      const second = new Recorder();
      const socket = await adapter.connect({ hostname: "127.0.0.1", port }, second);
      socket.write(encoder.encode("still serving"));
      socket.end();
      await second.until(() => second.closed, "close");
      assert.equal(second.text(), "still serving");
    } finally {
      for (const socket of sockets) socket.destroy();
      await listener.close();
    }
  });

  test(`${label}: pause() stops reading until the sender sees backpressure, resume() delivers all`, async () => {
    const adapter = await loadAdapter(name);
    const limit = 256 * 1024 * 1024;
    let sent = 0;
    let sawBackpressure = false;
    let serverSocket: Socket | undefined;
    let filled = () => {};
    const backpressure = new Promise<void>((resolve) => filled = resolve);
    const listener = await adapter.listen({ hostname: "127.0.0.1", port: 0 }, (socket) => {
      serverSocket = socket;
      // Writes until write() refuses: only possible if the paused client
      // really stopped reading (kernel buffers are a few MiB at most).
      const block = pattern(65_536);
      while (sent < limit) {
        sent += block.byteLength;
        if (!socket.write(block)) {
          sawBackpressure = true;
          break;
        }
      }
      filled();
      socket.drained().then(() => socket.end());
      return { onData() {}, onEnd() {}, onClose() {} };
    });
    const client = new Recorder();
    const socket = await adapter.connect(
      { hostname: "127.0.0.1", port: tcpPort(listener.address) },
      client,
    );
    socket.pause();
    try {
      await bounded(backpressure, "the server to fill the connection");
      assert.ok(sawBackpressure, `the server wrote ${sent} bytes without backpressure`);
      assert.ok(client.received < sent, "the paused client has not read everything");
      const whilePaused = client.received;
      await new Promise((resolve) => setTimeout(resolve, 50));
      assert.ok(
        client.received - whilePaused <= 65_536,
        "at most one read in flight lands while paused",
      );
      socket.resume();
      await client.until(() => client.ended, "everything after resume()");
      assert.equal(client.received, sent);
    } finally {
      socket.destroy();
      serverSocket?.destroy();
      await listener.close();
    }
  });

  test(`${label}: half-close: the server reads our FIN and can still answer`, async () => {
    const adapter = await loadAdapter(name);
    const server = new Recorder();
    let serverSocket: Socket | undefined;
    const listener = await adapter.listen({ hostname: "127.0.0.1", port: 0 }, (socket) => {
      serverSocket = socket;
      return {
        onData: (chunk) => server.onData(chunk),
        onEnd() {
          server.onEnd();
          // After the peer's FIN our side is still writable.
          assert.equal(socket.write(encoder.encode(`got ${server.text()}`)), true);
          socket.end();
        },
        onClose: (error) => server.onClose(error),
      };
    });
    const client = new Recorder();
    const socket = await adapter.connect(
      { hostname: "127.0.0.1", port: tcpPort(listener.address) },
      client,
    );
    try {
      socket.write(encoder.encode("ping"));
      socket.end();
      await client.until(() => client.closed, "the client's close");
      await server.until(() => server.closed, "the server's close");
      assert.equal(client.text(), "got ping");
      assert.equal(client.ended, true);
      assert.equal(server.ended, true);
      assert.equal(client.closeError, undefined);
      assert.equal(server.closeError, undefined);
      assert.equal(serverSocket?.closed, true);
    } finally {
      socket.destroy();
      serverSocket?.destroy();
      await listener.close();
    }
  });

  test(`${label}: destroy() closes at once, onClose once, later writes refused`, async () => {
    const adapter = await loadAdapter(name);
    const server = new Recorder();
    let serverSocket: Socket | undefined;
    const listener = await adapter.listen({ hostname: "127.0.0.1", port: 0 }, (socket) => {
      serverSocket = socket;
      return server;
    });
    const client = new Recorder();
    const socket = await adapter.connect(
      { hostname: "127.0.0.1", port: tcpPort(listener.address) },
      client,
    );
    try {
      socket.write(encoder.encode("x"));
      await server.until(() => server.received === 1, "the first byte");
      socket.destroy();
      assert.equal(socket.closed, true);
      assert.equal(client.closeCount, 0, "onClose is not called from inside destroy()");
      assert.equal(socket.write(encoder.encode("y")), false);
      await bounded(socket.drained(), "drained() after destroy");
      await client.until(() => client.closed, "onClose");
      // Half-open by design: the server sees EOF and closes when it ends.
      await server.until(() => server.ended || server.closed, "the server's EOF");
      socket.destroy();
      await new Promise((resolve) => setTimeout(resolve, 20));
      assert.equal(client.closeCount, 1);
      assert.equal(client.closeError, undefined);
    } finally {
      serverSocket?.destroy();
      await listener.close();
    }
  });

  test(`${label}: a peer resetting mid-write closes the socket without an unhandled rejection`, async () => {
    const adapter = await loadAdapter(name);
    const listener = await adapter.listen({ hostname: "127.0.0.1", port: 0 }, (socket) => ({
      onData: () => socket.destroy(),
      onEnd() {},
      onClose() {},
    }));
    const client = new Recorder();
    const socket = await adapter.connect(
      { hostname: "127.0.0.1", port: tcpPort(listener.address) },
      client,
    );
    try {
      const block = pattern(65_536);
      // Ignores backpressure on purpose: keep writing into a dying socket.
      for (let i = 0; i < 1024 && !client.closed; i++) {
        socket.write(block);
        if (i % 16 === 15) await new Promise((resolve) => setTimeout(resolve, 1));
      }
      await client.until(() => client.closed, "onClose after the reset");
      await bounded(socket.drained(), "drained() after the reset");
      assert.equal(client.closeCount, 1);
      if (client.closeError !== undefined) {
        const code = (client.closeError as Error & { code?: string }).code;
        assert.ok(code === "ECONNRESET" || code === "EPIPE", `unexpected code ${code}`);
      }
    } finally {
      socket.destroy();
      await listener.close();
    }
  });

  test(`${label}: after a reset, closed turns true before onClose so write loops end`, async () => {
    const adapter = await loadAdapter(name);
    const listener = await adapter.listen({ hostname: "127.0.0.1", port: 0 }, (socket) => ({
      onData: () => socket.destroy(),
      onEnd() {},
      onClose() {},
    }));
    const client = new Recorder();
    const socket = await adapter.connect(
      { hostname: "127.0.0.1", port: tcpPort(listener.address) },
      client,
    );
    try {
      const block = pattern(65_536);
      // A streaming writer that trusts write()/drained()/closed only: once
      // the socket is dead, drained() settles at once (microtasks only), so
      // only `closed` can stop it. Capped so that a regression fails
      // instead of spinning forever.
      let iterations = 0;
      while (!socket.closed && iterations++ < 1_000_000) {
        if (!socket.write(block)) await socket.drained();
      }
      assert.equal(socket.closed, true, `still open after ${iterations} writes`);
      await client.until(() => client.closed, "onClose");
    } finally {
      socket.destroy();
      await listener.close();
    }
  });

  test(`${label}: connection refused rejects with code ECONNREFUSED`, async () => {
    const adapter = await loadAdapter(name);
    const listener = await adapter.listen({ hostname: "127.0.0.1", port: 0 }, () => new Recorder());
    const port = tcpPort(listener.address);
    await listener.close();
    const client = new Recorder();
    await assert.rejects(adapter.connect({ hostname: "127.0.0.1", port }, client), (error) => {
      assert.ok(error instanceof Error);
      assert.equal((error as Error & { code?: string }).code, "ECONNREFUSED");
      assert.ok(error.cause !== undefined, "the runtime's error is kept as cause");
      assert.match(error.message, new RegExp(`127\\.0\\.0\\.1:${port}`));
      return true;
    });
    assert.equal(client.closeCount, 0);
  });

  test(`${label}: a name that does not resolve rejects with code ENOTFOUND`, async () => {
    const adapter = await loadAdapter(name);
    // .invalid never resolves (RFC 6761 section 6.4).
    await assert.rejects(
      bounded(
        adapter.connect({ hostname: "does-not-exist.invalid", port: 80 }, new Recorder()),
        "the failed lookup",
      ),
      (error) => {
        assert.equal((error as Error & { code?: string }).code, "ENOTFOUND", String(error));
        return true;
      },
    );
  });

  test(`${label}: an abort signal stops connecting`, async () => {
    const adapter = await loadAdapter(name);
    // A TCP server that never answers the TLS handshake keeps connect() pending.
    const accepted: Socket[] = [];
    const silent = await adapter.listen({ hostname: "127.0.0.1", port: 0 }, (socket) => {
      accepted.push(socket);
      return new Recorder();
    });
    try {
      const port = tcpPort(silent.address);
      const already = AbortSignal.abort(new Error("aborted before"));
      await assert.rejects(
        adapter.connect({ hostname: "127.0.0.1", port, signal: already }, new Recorder()),
        /aborted before/,
      );
      const controller = new AbortController();
      const pending = adapter.connect(
        { hostname: "127.0.0.1", port, tls: { ca: CA }, signal: controller.signal },
        new Recorder(),
      );
      setTimeout(() => controller.abort(new Error("aborted while connecting")), 50);
      await assert.rejects(bounded(pending, "the aborted connect"), /aborted while connecting/);
    } finally {
      await silent.close();
      for (const socket of accepted) socket.destroy();
    }
  });

  for (const overTls of [false, true]) {
    test(`${label}: an unref'd ${overTls ? "TLS" : "TCP"} socket does not keep the process alive`, async () => {
      const held: Socket[] = [];
      const adapter = await loadAdapter(name);
      const listener = await adapter.listen(
        { hostname: "127.0.0.1", port: 0, ...(overTls ? { tls: SERVER_TLS } : {}) },
        (socket) => {
          held.push(socket); // keep the connection open from our side
          return new Recorder();
        },
      );
      try {
        const script = path.join(HERE, "fixtures", "unref_child.ts");
        const which = name === RUNTIME ? "default" : "node";
        const port = String(tcpPort(listener.address));
        const [command, args] = runtimeCommand(script, [port, which, overTls ? "tls" : "tcp"]);
        const result = await runChild(command, args);
        assert.equal(result.timedOut, false, "the child did not exit by itself");
        assert.equal(result.code, 0, result.stderr);
        assert.equal(result.stdout.trim(), `connected ${name}`);
      } finally {
        for (const socket of held) socket.destroy();
        await listener.close();
      }
    });
  }

  test(`${label}: unix socket echo, stale socket file replaced, file removed on close`, async () => {
    const adapter = await loadAdapter(name);
    const dir = await mkdtemp(path.join(tmpdir(), "interim-unix-"));
    try {
      const socketPath = path.join(dir, "echo.sock");
      const echo = await startEcho(adapter, { path: socketPath });
      try {
        assert.deepEqual(echo.listener.address, { transport: "unix", path: socketPath });
        const client = new Recorder();
        const socket = await adapter.connect({ path: socketPath }, client);
        try {
          assert.equal(socket.remoteAddress.transport, "unix");
          socket.write(encoder.encode("over unix"));
          socket.end();
          await client.until(() => client.closed, "close");
          assert.equal(client.text(), "over unix");
        } finally {
          socket.destroy();
        }
        await assert.rejects(
          adapter.listen({ path: socketPath }, () => new Recorder()),
          (error) => (error as Error & { code?: string }).code === "EADDRINUSE",
          "a live socket file is not taken over",
        );
      } finally {
        await echo.close();
      }
      await assert.rejects(stat(socketPath), "close() removed the socket file");
      await assert.rejects(
        adapter.connect({ path: socketPath }, new Recorder()),
        (error) => (error as Error & { code?: string }).code === "ENOENT",
      );
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  test(`${label}: a stale unix socket file is replaced`, { skip: PYTHON_SKIP }, async () => {
    const adapter = await loadAdapter(name);
    const dir = await mkdtemp(path.join(tmpdir(), "interim-unix-"));
    try {
      const socketPath = path.join(dir, "stale.sock");
      // A process that bound the path and died leaves the file behind.
      const bind = "import socket,sys; socket.socket(socket.AF_UNIX).bind(sys.argv[1])";
      const result = await runChild("python3", ["-c", bind, socketPath]);
      assert.equal(result.code, 0, result.stderr);
      assert.ok((await stat(socketPath)).isSocket());
      const echo = await startEcho(adapter, { path: socketPath });
      try {
        const client = new Recorder();
        const socket = await adapter.connect({ path: socketPath }, client);
        socket.write(encoder.encode("fresh"));
        socket.end();
        await client.until(() => client.closed, "close");
        assert.equal(client.text(), "fresh");
      } finally {
        await echo.close();
      }
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  test(`${label}: a TCP port in use fails with code EADDRINUSE`, async () => {
    const adapter = await loadAdapter(name);
    const first = await adapter.listen({ hostname: "127.0.0.1", port: 0 }, () => new Recorder());
    try {
      await assert.rejects(
        adapter.listen(
          { hostname: "127.0.0.1", port: tcpPort(first.address) },
          () => new Recorder(),
        ),
        (error) => {
          assert.equal((error as Error & { code?: string }).code, "EADDRINUSE", String(error));
          return true;
        },
      );
    } finally {
      await first.close();
    }
  });

  test(`${label}: TLS over a unix socket`, async () => {
    const adapter = await loadAdapter(name);
    const dir = await mkdtemp(path.join(tmpdir(), "interim-unix-tls-"));
    try {
      const socketPath = path.join(dir, "tls.sock");
      const echo = await startEcho(adapter, { path: socketPath, tls: SERVER_TLS });
      try {
        const client = new Recorder();
        const socket = await adapter.connect(
          { path: socketPath, tls: { ca: CA, serverName: "localhost" } },
          client,
        );
        try {
          socket.write(encoder.encode("unix and tls"));
          socket.end();
          await client.until(() => client.closed, "close");
          assert.equal(client.text(), "unix and tls");
          assert.equal(client.closeError, undefined);
        } finally {
          socket.destroy();
        }
      } finally {
        await echo.close();
      }
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  test(`${label}: TLS verified against the test CA, by IP and by server name`, async () => {
    const adapter = await loadAdapter(name);
    const echo = await startEcho(adapter, { hostname: "127.0.0.1", port: 0, tls: SERVER_TLS });
    try {
      const port = tcpPort(echo.listener.address);
      for (const tls of [{ ca: CA }, { ca: [CA], serverName: "localhost" }]) {
        const client = new Recorder();
        const socket = await adapter.connect({ hostname: "127.0.0.1", port, tls }, client);
        try {
          socket.write(encoder.encode("secret"));
          socket.end();
          await client.until(() => client.closed, "close");
          assert.equal(client.text(), "secret");
          assert.equal(client.closeError, undefined);
        } finally {
          socket.destroy();
        }
      }
    } finally {
      await echo.close();
    }
  });

  test(`${label}: TLS against an unknown CA fails with code ETLS; dangerouslySkipVerification connects`, async () => {
    const adapter = await loadAdapter(name);
    const echo = await startEcho(adapter, { hostname: "127.0.0.1", port: 0, tls: UNTRUSTED_TLS });
    try {
      const port = tcpPort(echo.listener.address);
      for (const tls of [{ ca: CA }, {}, { ca: CA, serverName: "example.com" }]) {
        const client = new Recorder();
        await assert.rejects(
          adapter.connect({ hostname: "127.0.0.1", port, tls }, client),
          (error) => {
            assert.equal((error as Error & { code?: string }).code, "ETLS", String(error));
            return true;
          },
        );
        assert.equal(client.closeCount, 0);
      }
      const client = new Recorder();
      const socket = await adapter.connect(
        { hostname: "127.0.0.1", port, tls: { dangerouslySkipVerification: true } },
        client,
      );
      try {
        socket.write(encoder.encode("unverified"));
        socket.end();
        await client.until(() => client.closed, "close");
        assert.equal(client.text(), "unverified");
      } finally {
        socket.destroy();
      }
    } finally {
      await echo.close();
    }
  });

  test(`${label}: mutual TLS presents the client certificate`, async () => {
    const adapter = await loadAdapter(name);
    const tls = await import("node:tls");
    const peers: string[] = [];
    const server = tls.createServer({
      ...SERVER_TLS,
      ca: CA,
      requestCert: true,
      rejectUnauthorized: true,
    }, (socket) => {
      const peer = socket.getPeerCertificate();
      peers.push(String(peer?.subject?.CN));
      socket.end(`hello ${peer?.subject?.CN}`);
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    try {
      const address = server.address();
      const port = typeof address === "object" && address !== null ? address.port : 0;
      const client = new Recorder();
      const socket = await adapter.connect({
        hostname: "127.0.0.1",
        port,
        tls: { ca: CA, cert: CLIENT_CERT, key: CLIENT_KEY },
      }, client);
      try {
        await client.until(() => client.ended, "the greeting");
        assert.equal(client.text(), "hello early-hints test client");
        assert.deepEqual(peers, ["early-hints test client"]);
      } finally {
        socket.destroy();
      }
    } finally {
      server.close();
    }
  });

  test(`${label}: client socket against a node:http server`, async () => {
    const adapter = await loadAdapter(name);
    const http = await import("node:http");
    const server = http.createServer((request, response) => {
      const body = `hello ${request.method} ${request.url}`;
      response.writeHead(200, {
        "content-type": "text/plain",
        "content-length": String(body.length),
        connection: "close",
      });
      response.end(body);
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    try {
      const address = server.address();
      const port = typeof address === "object" && address !== null ? address.port : 0;
      const client = new Recorder();
      const socket = await adapter.connect({ hostname: "127.0.0.1", port }, client);
      try {
        socket.write(encoder.encode(`GET /raw HTTP/1.1\r\nhost: 127.0.0.1:${port}\r\n\r\n`));
        await client.until(() => client.ended, "the response and EOF");
        const text = client.text();
        assert.match(text, /^HTTP\/1\.1 200 OK\r\n/);
        assert.match(text, /\r\n\r\nhello GET \/raw$/);
      } finally {
        socket.destroy();
      }
    } finally {
      server.close();
      server.closeAllConnections?.();
    }
  });

  test(`${label}: listener serves a node:net client`, async () => {
    const adapter = await loadAdapter(name);
    const net = await import("node:net");
    const echo = await startEcho(adapter);
    try {
      const port = tcpPort(echo.listener.address);
      const reply = await bounded(
        new Promise<string>((resolve, reject) => {
          const socket = net.connect({ host: "127.0.0.1", port, allowHalfOpen: true });
          let text = "";
          socket.on("data", (chunk: Uint8Array) => text += decoder.decode(chunk));
          socket.on("end", () => resolve(text));
          socket.on("error", reject);
          socket.end("from node:net");
        }),
        "the node:net round trip",
      );
      assert.equal(reply, "from node:net");
    } finally {
      await echo.close();
    }
  });

  test(`${label}: listener serves curl over HTTP and HTTPS`, { skip: CURL_SKIP }, async () => {
    const adapter = await loadAdapter(name);
    const answer = (socket: Socket): SocketHandlers => {
      let head = "";
      return {
        onData(chunk) {
          head += decoder.decode(chunk);
          if (!head.includes("\r\n\r\n")) return;
          const body = `you sent ${head.split(" ", 2).join(" ")}`;
          socket.write(encoder.encode(
            "HTTP/1.1 103 Early Hints\r\nlink: </a.css>; rel=preload\r\n\r\n",
          ));
          socket.write(encoder.encode(
            `HTTP/1.1 200 OK\r\ncontent-length: ${body.length}\r\nconnection: close\r\n\r\n${body}`,
          ));
          socket.end();
        },
        onEnd() {},
        onClose() {},
      };
    };
    const dir = await mkdtemp(path.join(tmpdir(), "interim-curl-"));
    const plain = await adapter.listen({ hostname: "127.0.0.1", port: 0 }, answer);
    const secure = await adapter.listen(
      { hostname: "127.0.0.1", port: 0, tls: SERVER_TLS },
      answer,
    );
    try {
      const caFile = path.join(TLS_DIR, "test-ca-cert.pem");
      for (
        const url of [
          `http://127.0.0.1:${tcpPort(plain.address)}/plain`,
          `https://localhost:${tcpPort(secure.address)}/secure`,
        ]
      ) {
        const result = await runChild("curl", [
          "-sS",
          "-i",
          "--max-time",
          "5",
          "--cacert",
          caFile,
          "--resolve",
          `localhost:${tcpPort(secure.address)}:127.0.0.1`,
          url,
        ]);
        assert.equal(result.code, 0, result.stderr);
        assert.match(result.stdout, /^HTTP\/1\.1 103 Early Hints\r\nlink: <\/a\.css>; rel=preload/);
        assert.match(
          result.stdout,
          new RegExp(`HTTP/1.1 200 OK[^]*you sent GET ${new URL(url).pathname}$`),
        );
      }
    } finally {
      await plain.close();
      await secure.close();
      await rm(dir, { recursive: true, force: true });
    }
  });
}
