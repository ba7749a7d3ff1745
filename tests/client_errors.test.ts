// Failures name their cause and never hang: refused connections, aborts at
// every stage, connect and header timeouts, hostile bytes.
import { test } from "node:test";
import assert from "node:assert/strict";
import net from "node:net";
import { Client, fetch, FetchError } from "../client.ts";
import { rawResponse, startRawServer } from "./_support/raw_server.ts";

/** A port nothing listens on: bind one, then close it. */
async function closedPort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

function isAbortError(error: unknown): boolean {
  return error instanceof DOMException && error.name === "AbortError";
}

test("fetch() rejects a refused connection with CONNECTION_REFUSED, a TypeError", async () => {
  const port = await closedPort();
  await assert.rejects(fetch(`http://127.0.0.1:${port}/`), (error) => {
    assert.ok(error instanceof TypeError, "fetch rejects network errors with TypeError");
    assert.ok(error instanceof FetchError);
    assert.equal(error.code, "CONNECTION_REFUSED");
    assert.match(error.message, new RegExp(`127\\.0\\.0\\.1:${port}`));
    assert.ok(error.cause !== undefined);
    return true;
  });
});

test("fetch() rejects unusable input the way fetch does", async () => {
  await assert.rejects(fetch("ftp://127.0.0.1/"), { code: "INVALID_REQUEST" });
  await assert.rejects(fetch("not a url"), TypeError);
  await assert.rejects(fetch("http://127.0.0.1:1/", { method: "GET", body: "x" }), TypeError);
  await assert.rejects(fetch("http://127.0.0.1:1/", { method: "CONNECT" }), TypeError);
  await assert.rejects(
    fetch("http://127.0.0.1:1/", { headers: [["x-bad", "a\r\nInjected: yes"]] }),
    (error) => error instanceof TypeError,
  );
});

test("fetch() honours a signal aborted before the call, while connecting, and while waiting for hints", async () => {
  const server = await startRawServer(async (peer) => {
    await peer.readHead();
    peer.write("HTTP/1.1 103 Early Hints\r\nx-pod-name: slow\r\n\r\n");
    // No final response: only the abort ends the exchange.
  });
  try {
    const reason = new Error("custom reason");
    await assert.rejects(
      fetch(server.url, { signal: AbortSignal.abort(reason) }),
      (error) => error === reason,
    );
    const before = server.connections;

    const connecting = new AbortController();
    const pending = new Client().fetch(server.url, { signal: connecting.signal });
    connecting.abort();
    await assert.rejects(pending, isAbortError);

    const waiting = new AbortController();
    let hinted = 0;
    await assert.rejects(
      fetch(server.url, {
        signal: waiting.signal,
        onInformational() {
          hinted++;
          // Abort once the hint is in: the final response never comes.
          setTimeout(() => waiting.abort(), 10);
        },
      }),
      isAbortError,
    );
    assert.equal(hinted, 1);
    assert.ok(server.connections >= before);
  } finally {
    await server.close();
  }
});

test("fetch() errors the body with the abort reason when aborted mid-body", async () => {
  let closed!: Promise<void>;
  const server = await startRawServer(async (peer) => {
    closed = new Promise((resolve) => peer.socket.once("close", () => resolve()));
    await peer.readHead();
    peer.write("HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n5\r\nfirst\r\n");
  });
  try {
    const controller = new AbortController();
    const response = await fetch(server.url, { signal: controller.signal });
    const reader = response.body!.getReader();
    const first = await reader.read();
    assert.equal(new TextDecoder().decode(first.value), "first");
    controller.abort();
    await assert.rejects(reader.read(), isAbortError);
    await closed;
  } finally {
    await server.close();
  }
});

test("fetch() fails with HEADERS_TIMEOUT when the final head does not come in time", async () => {
  const server = await startRawServer(async (peer) => {
    await peer.readHead();
    peer.write("HTTP/1.1 103 Early Hints\r\nx-a: 1\r\n\r\n");
  });
  const client = new Client({ headersTimeout: 100 });
  try {
    await assert.rejects(client.fetch(server.url), (error) => {
      assert.ok(error instanceof FetchError);
      assert.equal(error.code, "HEADERS_TIMEOUT");
      assert.match(error.message, /100 ms/);
      return true;
    });
  } finally {
    await client.close();
    await server.close();
  }
});

test("fetch() fails with CONNECT_TIMEOUT when the TLS handshake never completes", async () => {
  // A TCP server that accepts and stays silent: TCP connects, TLS never does.
  const sockets = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.on("error", () => {});
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as net.AddressInfo;
  const client = new Client({ connectTimeout: 150 });
  try {
    await assert.rejects(client.fetch(`https://127.0.0.1:${port}/`), (error) => {
      assert.ok(error instanceof FetchError);
      assert.equal(error.code, "CONNECT_TIMEOUT");
      assert.match(error.message, /150 ms/);
      return true;
    });
  } finally {
    await client.close();
    for (const socket of sockets) socket.destroy();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
});

test("fetch() reports hostile responses with the engine's code and closes the socket", async () => {
  const replies = [
    ["garbage\r\n\r\n", ["BAD_SYNTAX", "UNSUPPORTED_VERSION"]],
    ["HTTP/1.1 200 OK\r\ncontent-length: 1\r\ncontent-length: 2\r\n\r\nx", ["INVALID_FRAMING"]],
    ["HTTP/1.1 200 OK\r\ncontent-length: 2\r\ntransfer-encoding: chunked\r\n\r\n", [
      "INVALID_FRAMING",
    ]],
    // obs-fold is replaced with SP (RFC 9112 section 5.2); only before the first field is it refused.
    ["HTTP/1.1 200 OK\r\n folded\r\nx: a\r\n\r\n", ["OBS_FOLD"]],
    ["HTTP/2 200 OK\r\n\r\n", ["UNSUPPORTED_VERSION", "BAD_SYNTAX"]],
    [`HTTP/1.1 200 OK\r\nx-big: ${"a".repeat(70_000)}\r\n\r\n`, ["HEADERS_TOO_LARGE"]],
    // A bad body arriving with the head resolves fetch() and fails the body:
    // tests/http1_peer_interop.test.ts.
  ] as const;
  let next = 0;
  const server = await startRawServer(async (peer) => {
    const [reply] = replies[next++]!;
    await peer.readHead();
    peer.write(reply);
  });
  try {
    for (const [reply, codes] of replies) {
      await assert.rejects(fetch(server.url), (error) => {
        assert.ok(error instanceof FetchError, String(error));
        assert.ok(
          (codes as readonly string[]).includes(error.code),
          `${JSON.stringify(reply.slice(0, 40))}: ${error.code}`,
        );
        return true;
      });
    }
  } finally {
    await server.close();
  }
});

test("fetch() fails a body-less final response cut short with CLOSED_BEFORE_RESPONSE", async () => {
  const server = await startRawServer(async (peer) => {
    await peer.readHead();
    peer.end("HTTP/1.1 200 O");
  });
  try {
    await assert.rejects(fetch(server.url), { code: "CLOSED_BEFORE_RESPONSE" });
  } finally {
    await server.close();
  }
});

test("Client.close() fails requests in flight with CLIENT_CLOSED and refuses new ones", async () => {
  const server = await startRawServer(async (peer) => {
    await peer.readHead();
  });
  const client = new Client();
  try {
    const pending = client.fetch(server.url);
    await new Promise((resolve) => setTimeout(resolve, 30));
    await client.close();
    await assert.rejects(pending, { code: "CLIENT_CLOSED" });
    await assert.rejects(client.fetch(server.url), { code: "CLIENT_CLOSED" });
  } finally {
    await server.close();
  }
});

test("fetch() answers a 200 after a slow server with the body intact (no timeout by default)", async () => {
  const server = await startRawServer(async (peer) => {
    await peer.readHead();
    await new Promise((resolve) => setTimeout(resolve, 50));
    peer.write(rawResponse("late"));
  });
  try {
    assert.equal(await (await fetch(server.url)).text(), "late");
  } finally {
    await server.close();
  }
});

test("fetch() fails a stalled body with BODY_TIMEOUT, but not while the reader is not reading", async () => {
  const server = await startRawServer(async (peer) => {
    for (;;) {
      const head = await peer.readHead();
      if (head.startsWith("GET /stall")) {
        peer.write("HTTP/1.1 200 OK\r\ncontent-length: 100\r\n\r\npart");
        return;
      }
      if (head.startsWith("GET /big")) {
        peer.write(rawResponse("z".repeat(4 << 20)));
        continue;
      }
      peer.write("HTTP/1.1 200 OK\r\ncontent-length: 6\r\n\r\nslow");
      await new Promise((resolve) => setTimeout(resolve, 50));
      peer.write("ly");
    }
  });
  // 400 ms against a 50 ms gap: a loaded CI machine stretched a 150 ms margin past its end.
  const client = new Client({ bodyTimeout: 400 });
  try {
    const stalled = await client.fetch(`${server.url}/stall`);
    await assert.rejects(stalled.text(), (error) => {
      assert.ok(error instanceof FetchError);
      assert.equal(error.code, "BODY_TIMEOUT");
      return true;
    });
    // Gaps shorter than the timeout are fine.
    assert.equal(await (await client.fetch(`${server.url}/slow`)).text(), "slowly");
    // A reader that waits longer than the timeout before reading is not timed out.
    const big = await client.fetch(`${server.url}/big`);
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    assert.equal((await big.text()).length, 4 << 20);
  } finally {
    await client.close();
    await server.close();
  }
});
