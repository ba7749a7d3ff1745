/**
 * The error classes users catch are exported from every entry point, and
 * `instanceof` holds for the errors really thrown to them:
 *
 * - a bind failure rejects `serve()` with a `SocketError` (every backend);
 * - a malformed response rejects `fetch()` with a `FetchError` (a
 *   `TypeError`) whose `cause` is the engine's `Http1Error`, same `code`;
 * - a refused connection is a `FetchError` whose `cause` is a `SocketError`;
 * - a response body cut short fails its read with a `FetchError` whose
 *   `cause` is an `Http1Error`;
 * - on the server, a request body cut short fails the handler's read with
 *   an `Http1Error` itself.
 */

import { test } from "node:test";
import assert from "node:assert/strict";
import net from "node:net";
import * as clientEntry from "../client.ts";
import * as rootEntry from "../mod.ts";
import { fetch, FetchError } from "../client.ts";
import { Http1Error, serve, SocketError } from "../server.ts";
import { startRawServer } from "./_support/raw_server.ts";
import { ENGINE_ADAPTER, RUNTIME } from "./_support/server_util.ts";

test("the error classes are the same objects from mod.ts, server.ts and client.ts", () => {
  assert.equal(clientEntry.SocketError, SocketError);
  assert.equal(rootEntry.SocketError, SocketError);
  assert.equal(clientEntry.Http1Error, Http1Error);
  assert.equal(rootEntry.Http1Error, Http1Error);
  assert.equal(rootEntry.FetchError, FetchError);
});

/** Listens on a free loopback port with node:net and returns it, to collide with. */
async function occupiedPort(): Promise<{ port: number; release(): Promise<void> }> {
  const holder = net.createServer();
  await new Promise<void>((resolve) => holder.listen(0, "127.0.0.1", resolve));
  const { port } = holder.address() as net.AddressInfo;
  return { port, release: () => new Promise((resolve) => holder.close(() => resolve())) };
}

const BIND_ADAPTERS = RUNTIME === "node"
  ? [ENGINE_ADAPTER, "node-http" as const]
  : [ENGINE_ADAPTER];

for (const adapter of BIND_ADAPTERS) {
  test(`serve() on a port in use rejects with the exported SocketError (${adapter})`, async () => {
    const taken = await occupiedPort();
    try {
      await assert.rejects(
        serve(() => new Response(), { hostname: "127.0.0.1", port: taken.port, adapter }),
        (error: unknown) => {
          assert.ok(error instanceof SocketError, `got ${String(error)}`);
          assert.equal(error.code, "EADDRINUSE");
          assert.equal(error.name, "SocketError");
          return true;
        },
      );
    } finally {
      await taken.release();
    }
  });
}

test("a malformed response rejects fetch() with a FetchError caused by the exported Http1Error", async () => {
  const server = await startRawServer(async (peer) => {
    await peer.readHead();
    peer.end("HTTP/1.1 200 OK\r\ncontent-length: ten\r\n\r\n");
  });
  try {
    await assert.rejects(fetch(server.url), (error: unknown) => {
      assert.ok(error instanceof FetchError && error instanceof TypeError);
      assert.equal(error.code, "INVALID_FRAMING");
      assert.ok(error.cause instanceof Http1Error, `cause: ${String(error.cause)}`);
      assert.equal(error.cause.code, error.code);
      return true;
    });
  } finally {
    await server.close();
  }
});

test("a refused connection is a FetchError caused by the exported SocketError", async () => {
  const taken = await occupiedPort();
  await taken.release(); // now nobody listens there
  await assert.rejects(fetch(`http://127.0.0.1:${taken.port}/`), (error: unknown) => {
    assert.ok(error instanceof FetchError);
    assert.equal(error.code, "CONNECTION_REFUSED");
    assert.ok(error.cause instanceof SocketError, `cause: ${String(error.cause)}`);
    assert.equal(error.cause.code, "ECONNREFUSED");
    return true;
  });
});

test("a response body cut short fails its read with a FetchError caused by an Http1Error", async () => {
  const server = await startRawServer(async (peer) => {
    await peer.readHead();
    peer.end("HTTP/1.1 200 OK\r\ncontent-length: 10\r\n\r\nabc");
  });
  try {
    const response = await fetch(server.url);
    await assert.rejects(response.text(), (error: unknown) => {
      assert.ok(error instanceof FetchError);
      assert.equal(error.code, "INCOMPLETE_MESSAGE");
      assert.ok(error.cause instanceof Http1Error);
      return true;
    });
  } finally {
    await server.close();
  }
});

test("a request body cut short fails the handler's read with the exported Http1Error", async () => {
  let resolve!: (error: unknown) => void;
  const failure = new Promise<unknown>((settle) => (resolve = settle));
  const server = await serve(async (request) => {
    try {
      await request.text();
      resolve(undefined);
    } catch (error) {
      resolve(error);
    }
    return new Response("x");
  }, { hostname: "127.0.0.1", port: 0, onError: () => {} });
  try {
    const port = server.addr.transport === "tcp" ? server.addr.port : 0;
    const socket = net.connect(port, "127.0.0.1", () => {
      socket.end("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\nabc");
    });
    socket.on("error", () => {});
    const error = await failure;
    socket.destroy();
    assert.ok(error instanceof Http1Error, `got ${String(error)}`);
    assert.equal(error.code, "INCOMPLETE_MESSAGE");
  } finally {
    await server.close();
  }
});
