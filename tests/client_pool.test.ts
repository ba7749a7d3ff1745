// The pool: keep-alive reuse only after clean exchanges, socket limits,
// stale-connection retry, unix sockets, and an idle default pool that lets
// the process exit.
import { test } from "node:test";
import assert from "node:assert/strict";
import http from "node:http";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import process from "node:process";
import { Client, fetch, FetchError } from "../client.ts";
import { rawResponse, startRawServer } from "./_support/raw_server.ts";
import { startProgram } from "./_support/run_ts.ts";
import { within } from "./_support/server_util.ts";

async function withCountingServer<T>(
  handler: http.RequestListener,
  run: (url: string, stats: { connections: number; requests: number }) => Promise<T>,
  listenPath?: string,
): Promise<T> {
  const stats = { connections: 0, requests: 0 };
  const server = http.createServer((req, res) => {
    stats.requests++;
    handler(req, res);
  });
  server.keepAliveTimeout = 60_000;
  server.on("connection", () => stats.connections++);
  await new Promise<void>((resolve) => {
    if (listenPath !== undefined) server.listen(listenPath, resolve);
    else server.listen(0, "127.0.0.1", resolve);
  });
  const address = server.address();
  const url = typeof address === "object" && address !== null
    ? `http://127.0.0.1:${address.port}`
    : "http://localhost";
  try {
    return await run(url, stats);
  } finally {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}

const hello: http.RequestListener = (req, res) => {
  if (req.url === "/big") {
    res.end("x".repeat(1 << 20));
    return;
  }
  res.writeEarlyHints({ link: "</a.css>; rel=preload" });
  res.end("hello");
};

test("Client reuses one keep-alive connection for sequential requests", async () => {
  await withCountingServer(hello, async (url, stats) => {
    const client = new Client();
    try {
      for (let i = 0; i < 20; i++) {
        const response = await client.fetch(url);
        assert.equal(response.informational.length, 1);
        assert.equal(await response.text(), "hello");
      }
      assert.equal(stats.requests, 20);
      assert.equal(stats.connections, 1);
    } finally {
      await client.close();
    }
  });
});

test("Client does not reuse a connection whose body was cancelled or not fully read", async () => {
  await withCountingServer(hello, async (url, stats) => {
    const client = new Client();
    try {
      const big = await client.fetch(`${url}/big`);
      const reader = big.body!.getReader();
      await reader.read();
      await reader.cancel();
      assert.equal(await (await client.fetch(url)).text(), "hello");
      assert.equal(stats.connections, 2, "the cancelled exchange's socket was closed");
      // Reading the whole body lets the next request reuse the socket.
      assert.equal((await (await client.fetch(`${url}/big`)).text()).length, 1 << 20);
      assert.equal(await (await client.fetch(url)).text(), "hello");
      assert.equal(stats.connections, 2);
    } finally {
      await client.close();
    }
  });
});

test("Client closes instead of reusing after Connection: close or an HTTP/1.0 reply", async () => {
  const server = await startRawServer(async (peer) => {
    const head = await peer.readHead();
    if (head.startsWith("GET /close")) {
      peer.write(rawResponse("bye", "200 OK", "connection: close\r\n"));
    } else peer.write("HTTP/1.0 200 OK\r\ncontent-length: 2\r\n\r\nok");
  });
  const client = new Client();
  try {
    assert.equal(await (await client.fetch(`${server.url}/close`)).text(), "bye");
    assert.equal(await (await client.fetch(`${server.url}/close`)).text(), "bye");
    assert.equal(await (await client.fetch(`${server.url}/old`)).text(), "ok");
    assert.equal(await (await client.fetch(`${server.url}/old`)).text(), "ok");
    assert.equal(server.connections, 4);
    // A request asking for close is not reused either.
    await (await client.fetch(`${server.url}/old`, { headers: { connection: "close" } })).text();
    assert.equal(server.connections, 5);
  } finally {
    await client.close();
    await server.close();
  }
});

test("Client opens at most maxSocketsPerOrigin sockets and queues the rest", async () => {
  let inFlight = 0;
  let peak = 0;
  await withCountingServer((_req, res) => {
    inFlight++;
    peak = Math.max(peak, inFlight);
    setTimeout(() => {
      inFlight--;
      res.end("ok");
    }, 10);
  }, async (url, stats) => {
    const client = new Client({ maxSocketsPerOrigin: 2 });
    try {
      const bodies = await Promise.all(
        Array.from({ length: 10 }, async () => (await client.fetch(url)).text()),
      );
      assert.deepEqual(bodies, Array(10).fill("ok"));
      assert.equal(stats.connections, 2);
      assert.equal(peak, 2);
    } finally {
      await client.close();
    }
  });
});

test("Client retries an idempotent request once when a reused socket closes unanswered", async () => {
  // Each connection answers one request and drops the next one unanswered:
  // the race between a server closing an idle socket and the client reusing it.
  const server = await startRawServer(async (peer) => {
    await peer.readHead();
    peer.write(rawResponse(`answer ${server.connections}`));
    await peer.readHead();
    peer.socket.destroy();
  });
  const client = new Client();
  try {
    assert.equal(await (await client.fetch(server.url)).text(), "answer 1");
    // Reuses connection 1, which drops it; retried on connection 2.
    assert.equal(await (await client.fetch(server.url)).text(), "answer 2");
    assert.equal(server.connections, 2);
    // Not for a POST: it might have been processed.
    await assert.rejects(client.fetch(server.url, { method: "POST", body: "x" }), {
      code: "CLOSED_BEFORE_RESPONSE",
    });
  } finally {
    await client.close();
    await server.close();
  }
});

test("Client reaches a server on a unix domain socket", async () => {
  const dir = await mkdtemp(path.join(tmpdir(), "eh-unix-"));
  const socketPath = path.join(dir, "daemon.sock");
  try {
    await withCountingServer((req, res) => {
      // writeEarlyHints sends nothing over a unix socket (Node 20), so write it raw.
      req.socket.write(
        "HTTP/1.1 103 Early Hints\r\nx-pod-name: daemon-0\r\nx-pod-namespace: nodes\r\n\r\n",
      );
      res.end(`${req.headers.host} ${req.url}`);
    }, async (_url, stats) => {
      const client = new Client({ socketPath });
      try {
        const pods: string[] = [];
        const response = await client.fetch("http://daemon.local/work?x=1", {
          onInformational: (info) =>
            void pods.push(
              `${info.headers.get("x-pod-namespace")}/${info.headers.get("x-pod-name")}`,
            ),
        });
        assert.equal(await response.text(), "daemon.local /work?x=1");
        assert.deepEqual(pods, ["nodes/daemon-0"]);
        assert.equal(
          await (await client.fetch("http://daemon.local/again")).text(),
          "daemon.local /again",
        );
        assert.equal(stats.connections, 1);
      } finally {
        await client.close();
      }
    }, socketPath);
    const missing = new Client({ socketPath: path.join(dir, "missing.sock") });
    await assert.rejects(missing.fetch("http://x/"), (error) => {
      assert.ok(error instanceof FetchError);
      assert.ok(["CONNECT_FAILED", "CONNECTION_REFUSED"].includes(error.code), error.code);
      return true;
    });
    await missing.close();
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test("fetch()'s default pool lets a process exit while its socket is idle", async () => {
  await withCountingServer(hello, async (url) => {
    const program = startProgram("tests/_support/client_exit_probe.ts", [url]);
    try {
      // The server keeps the connection 60 s; exiting within 20 s proves the
      // idle socket did not hold the process.
      const code = await program.exited(20_000);
      assert.equal(code, 0, program.stderr());
      assert.deepEqual(program.lines.filter((line) => line !== ""), [
        "hint 103",
        "final 200 hello",
      ]);
    } finally {
      await program.stop();
    }
  });
});

test("fetch() shares the default pool across calls", async () => {
  await withCountingServer(hello, async (url, stats) => {
    for (let i = 0; i < 5; i++) assert.equal(await (await fetch(url)).text(), "hello");
    assert.equal(stats.connections, 1);
  });
});

test("Client drops a queued request whose signal aborts while it waits for a socket", async () => {
  const server = await startRawServer(async (peer) => {
    await peer.readHead();
    // Never answers: the only socket stays busy.
  });
  const client = new Client({ maxSocketsPerOrigin: 1 });
  try {
    const busy = client.fetch(server.url);
    busy.catch(() => {});
    const controller = new AbortController();
    const queued = client.fetch(server.url, { signal: controller.signal });
    await new Promise((resolve) => setTimeout(resolve, 20));
    controller.abort();
    await assert.rejects(
      queued,
      (error) => error instanceof DOMException && error.name === "AbortError",
    );
    assert.equal(server.connections, 1);
    await client.close();
    await assert.rejects(busy, { code: "CLIENT_CLOSED" });
  } finally {
    await client.close();
    await server.close();
  }
});

test("Client does not reuse a socket idle longer than idleTimeout or the server's Keep-Alive timeout", async () => {
  const server = await startRawServer(async (peer) => {
    for (;;) {
      const head = await peer.readHead();
      const extra = head.startsWith("GET /short") ? "keep-alive: timeout=1\r\n" : "";
      peer.write(rawResponse("ok", "200 OK", extra));
    }
  });
  const client = new Client({ idleTimeout: 50 });
  try {
    await (await client.fetch(server.url)).text();
    await (await client.fetch(server.url)).text();
    assert.equal(server.connections, 1, "reused within the idle timeout");
    await new Promise((resolve) => setTimeout(resolve, 150));
    await (await client.fetch(server.url)).text();
    assert.equal(server.connections, 2, "a socket idle past idleTimeout is not reused");
    // timeout=1 leaves no safe margin (the client keeps a 1 s margin): never reused.
    await (await client.fetch(`${server.url}/short`)).text();
    await (await client.fetch(`${server.url}/short`)).text();
    assert.equal(server.connections, 3);
  } finally {
    await client.close();
    await server.close();
  }
});

test("Client reuses a connection whose body was read only after it had fully arrived", async () => {
  const body = "y".repeat(100 * 1024);
  const server = await startRawServer(async (peer) => {
    for (;;) {
      await peer.readHead();
      peer.write(rawResponse(body));
    }
  });
  const client = new Client();
  try {
    for (let i = 0; i < 3; i++) {
      const response = await client.fetch(server.url, { signal: AbortSignal.timeout(5_000) });
      // Let the whole body arrive (and backpressure pause the socket) before reading.
      await new Promise((resolve) => setTimeout(resolve, 50));
      assert.equal((await response.text()).length, body.length);
    }
    assert.equal(server.connections, 1);
  } finally {
    await client.close();
    await server.close();
  }
});

test("Client shares one abort listener per signal across concurrent requests (no listener-leak warning)", async () => {
  const warnings: string[] = [];
  const onWarning = (warning: Error) => void warnings.push(`${warning.name}: ${warning.message}`);
  process.on("warning", onWarning);
  await withCountingServer((_req, res) => setTimeout(() => res.end("ok"), 10), async (url) => {
    const client = new Client();
    try {
      const signal = AbortSignal.timeout(10_000);
      const bodies = await Promise.all(
        Array.from({ length: 40 }, async () => (await client.fetch(url, { signal })).text()),
      );
      assert.deepEqual(bodies, Array(40).fill("ok"));
      await new Promise((resolve) => setTimeout(resolve, 10));
    } finally {
      process.off("warning", onWarning);
      await client.close();
    }
  });
  assert.deepEqual(warnings.filter((warning) => /abort listeners|MaxListeners/.test(warning)), []);
});

test("Client closes a socket left idle past idleTimeout by itself, without another request", async () => {
  let idleClosed!: () => void;
  const closedByClient = new Promise<void>((resolve) => (idleClosed = resolve));
  const server = await startRawServer(async (peer) => {
    await peer.readHead();
    peer.write(rawResponse("ok"));
    try {
      await peer.readHead(); // no second request comes: this ends when the client closes
    } catch {
      idleClosed();
    }
  });
  const client = new Client({ idleTimeout: 100 });
  try {
    await (await client.fetch(server.url)).text();
    // The pool's sweep timer (unref'd, so it holds no process open) closes it.
    await within(closedByClient, 3_000, "the idle socket's close");
  } finally {
    await client.close();
    await server.close();
  }
});

test("Client timeouts of Infinity or beyond setTimeout's range mean none, not 1 ms", async () => {
  const server = await startRawServer(async (peer) => {
    for (;;) {
      await peer.readHead();
      peer.write(rawResponse("ok"));
    }
  });
  const client = new Client({
    connectTimeout: Infinity,
    headersTimeout: 3_000_000_000,
    bodyTimeout: Infinity,
    idleTimeout: Infinity,
  });
  try {
    for (let i = 0; i < 3; i++) {
      const response = await client.fetch(server.url, { signal: AbortSignal.timeout(5_000) });
      assert.equal(await response.text(), "ok");
    }
    assert.equal(server.connections, 1, "an endless idle timeout keeps the socket for reuse");
  } finally {
    await client.close();
    await server.close();
  }
});

test("Client gives up a socket whose unread 205 body stalls, after bodyTimeout", async () => {
  let socketClosed!: () => void;
  const closed = new Promise<void>((resolve) => (socketClosed = resolve));
  const server = await startRawServer(async (peer) => {
    await peer.readHead();
    // Announces 10 bytes, sends 3, then nothing.
    peer.write("HTTP/1.1 205 Reset Content\r\nContent-Length: 10\r\n\r\nabc");
    try {
      await peer.readHead();
    } catch {
      socketClosed();
    }
  });
  const client = new Client({ bodyTimeout: 200 });
  try {
    const response = await client.fetch(server.url, { signal: AbortSignal.timeout(5_000) });
    assert.equal(response.status, 205);
    assert.equal(response.body, null);
    await within(closed, 3_000, "the stalled 205's socket to close");
  } finally {
    await client.close();
    await server.close();
  }
});
