// Same failure, same code: each way a request can fail gives one FetchError
// code, one clean message and one normalised SocketError cause, whichever
// runtime runs it (this file runs unchanged on Deno, Bun and Node 22/24/26).
import { test } from "node:test";
import assert from "node:assert/strict";
import { lookup } from "node:dns/promises";
import { readFileSync } from "node:fs";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import net from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import {
  Client,
  type ClientOptions,
  FetchError,
  type FetchErrorCode,
  SocketError,
  type TlsFailure,
} from "../client.ts";
import { serve } from "../server.ts";
import { startTlsServer } from "./_support/client_tls_server.ts";
import { CURRENT_RUNTIME } from "./_support/run_ts.ts";

const FIXTURES = new URL("./fixtures/tls/", import.meta.url);
const CA = readFileSync(new URL("test-ca-cert.pem", FIXTURES), "utf8");

/** A name that must not resolve (RFC 6761 section 6.4). */
const UNRESOLVABLE = "interim-test.invalid";

/** Runtime words that must stay in `cause`, out of the message. */
const RAW_TEXT =
  /error:[0-9A-F]{8}|SSL routines|OPENSSL|os error|InvalidData|InvalidContentType|getaddrinfo|UnknownIssuer|Failed to connect/i;

interface FailureCase {
  readonly name: string;
  readonly code: FetchErrorCode;
  /** The normalised `SocketError` code of `cause`; `undefined`: no socket error behind it. */
  readonly socketCode?: string;
  readonly tlsFailure?: TlsFailure;
  readonly message: RegExp;
  readonly skip?: string | false;
  /** Sets up the peer, makes the request, tears down; resolves with what the request rejected with. */
  run(): Promise<unknown>;
}

async function rejection(
  url: string | ((peer: string) => string),
  options: ClientOptions = {},
  peer = "",
): Promise<unknown> {
  const client = new Client({ connectTimeout: 10_000, headersTimeout: 10_000, ...options });
  try {
    const response = await client.fetch(typeof url === "string" ? url : url(peer));
    await response.body?.cancel();
    return new Error(`expected a failure, got ${response.status}`);
  } catch (error) {
    return error;
  } finally {
    await client.close();
  }
}

/** A TCP peer on 127.0.0.1 that handles each socket with `onSocket`. */
async function withTcpPeer(
  onSocket: (socket: net.Socket) => void,
  run: (port: number) => Promise<unknown>,
): Promise<unknown> {
  const sockets = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.on("error", () => {});
    onSocket(socket);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  try {
    return await run((server.address() as net.AddressInfo).port);
  } finally {
    for (const socket of sockets) socket.destroy();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}

/** What a plain HTTP server sends to a TLS ClientHello (Node, Go and nginx all answer 400). */
function answer400(socket: net.Socket): void {
  socket.once("data", () => {
    socket.end("HTTP/1.1 400 Bad Request\r\ncontent-length: 0\r\nconnection: close\r\n\r\n");
  });
}

async function closedPort(): Promise<number> {
  return await withTcpPeer(() => {}, (port) => Promise.resolve(port)) as number;
}

async function withTempDir(run: (directory: string) => Promise<unknown>): Promise<unknown> {
  const directory = await mkdtemp(path.join(tmpdir(), "interim-fail-"));
  try {
    return await run(directory);
  } finally {
    await rm(directory, { recursive: true, force: true });
  }
}

/** A socket path in `directory` exactly `bytes` long (ASCII), ending in `.sock`. */
function socketPathOfBytes(directory: string, bytes: number): string {
  const prefix = `${directory}/`;
  return prefix + "s".repeat(bytes - prefix.length - ".sock".length) + ".sock";
}

/** Whether the resolver fails `.invalid` quickly here; a host without DNS may hang instead. */
async function unresolvableSkip(): Promise<string | false> {
  const outcome = await Promise.race([
    lookup(UNRESOLVABLE).then(() => "resolved", (error: { code?: string }) => error.code ?? "?"),
    new Promise<string>((resolve) => setTimeout(() => resolve("timeout"), 3_000).unref?.()),
  ]);
  if (outcome === "ENOTFOUND") return false;
  return `the resolver answers ${UNRESOLVABLE} with ${outcome}, not a quick ENOTFOUND`;
}

const CASES: readonly FailureCase[] = [
  {
    name: "nothing listens on the port",
    code: "CONNECTION_REFUSED",
    socketCode: "ECONNREFUSED",
    message: /^connection to 127\.0\.0\.1:\d+ refused$/,
    run: async () => rejection(`http://127.0.0.1:${await closedPort()}/`),
  },
  {
    name: "https: to our plain HTTP server",
    code: "TLS_FAILURE",
    socketCode: "ETLS",
    tlsFailure: "not-tls",
    message: /^TLS handshake with 127\.0\.0\.1:\d+ failed: the server did not answer in TLS/,
    run: async () => {
      const server = await serve(() => new Response("plain"), { hostname: "127.0.0.1", port: 0 });
      try {
        return await rejection(server.url.replace("http:", "https:"));
      } finally {
        await server.close();
      }
    },
  },
  {
    name: "https: to a plain HTTP port that answers 400",
    code: "TLS_FAILURE",
    socketCode: "ETLS",
    tlsFailure: "not-tls",
    message: /^TLS handshake with 127\.0\.0\.1:\d+ failed: the server did not answer in TLS/,
    run: () => withTcpPeer(answer400, (port) => rejection(`https://127.0.0.1:${port}/`)),
  },
  {
    name: "https+unix: to a plain HTTP unix socket",
    code: "TLS_FAILURE",
    socketCode: "ETLS",
    tlsFailure: "not-tls",
    message: /^TLS handshake with \/.*plain\.sock failed: the server did not answer in TLS/,
    run: () =>
      withTempDir(async (directory) => {
        const socketPath = path.join(directory, "plain.sock");
        const server = net.createServer((socket) => {
          socket.on("error", () => {});
          answer400(socket);
        });
        await new Promise<void>((resolve) => server.listen(socketPath, resolve));
        try {
          return await rejection(`https+unix://${encodeURIComponent(socketPath)}/`);
        } finally {
          await new Promise<void>((resolve) => server.close(() => resolve()));
        }
      }),
  },
  {
    name: "https: to a peer that closes during the handshake",
    code: "CONNECT_FAILED",
    socketCode: "ECONNRESET",
    message:
      /^connecting to 127\.0\.0\.1:\d+ failed: the peer closed the connection during the TLS handshake$/,
    run: () =>
      withTcpPeer(
        (socket) => socket.once("data", () => socket.destroy()),
        (port) => rejection(`https://127.0.0.1:${port}/`),
      ),
  },
  {
    name: "http: to a TLS port",
    code: "CLOSED_BEFORE_RESPONSE",
    message: /^the connection closed before the final response$/,
    run: async () => {
      const server = await startTlsServer({});
      try {
        return await rejection(`${server.url.replace("https:", "http:")}/`);
      } finally {
        await server.close();
      }
    },
  },
  {
    name: "a certificate from an unknown CA",
    code: "TLS_FAILURE",
    socketCode: "ETLS",
    tlsFailure: "untrusted-certificate",
    message:
      /^TLS handshake with 127\.0\.0\.1:\d+ failed: the server's certificate is not signed by a trusted CA/,
    run: async () => {
      const server = await startTlsServer({ untrusted: true });
      try {
        return await rejection(`${server.url}/`, { tls: { ca: CA } });
      } finally {
        await server.close();
      }
    },
  },
  {
    name: "a certificate for another name",
    code: "TLS_FAILURE",
    socketCode: "ETLS",
    tlsFailure: "name-mismatch",
    message:
      /^TLS handshake with 127\.0\.0\.1:\d+ failed: the server's certificate does not name the host/,
    run: async () => {
      const server = await startTlsServer({});
      try {
        return await rejection(`${server.url}/`, { tls: { ca: CA, serverName: "other.test" } });
      } finally {
        await server.close();
      }
    },
  },
  {
    name: "a host name that does not resolve",
    code: "CONNECT_FAILED",
    socketCode: "ENOTFOUND",
    message: /^connecting to interim-test\.invalid:80 failed: the host name did not resolve$/,
    skip: await unresolvableSkip(),
    run: () => rejection(`http://${UNRESOLVABLE}/`),
  },
  {
    name: "a unix socket path with nothing there",
    code: "CONNECT_FAILED",
    socketCode: "ENOENT",
    message: /^connecting to \/.*missing\.sock failed: no unix socket at that path$/,
    run: () =>
      withTempDir((directory) =>
        rejection(`http+unix://${encodeURIComponent(path.join(directory, "missing.sock"))}/`)
      ),
  },
  {
    name: "a unix socket path through a file",
    code: "CONNECT_FAILED",
    socketCode: "ENOTDIR",
    message:
      /^connecting to \/.*file\/x\.sock failed: a part of the unix socket path is not a directory$/,
    skip: CURRENT_RUNTIME === "bun" && "Bun's own connect reports ECONNREFUSED for ENOTDIR",
    run: () =>
      withTempDir(async (directory) => {
        const file = path.join(directory, "file");
        await writeFile(file, "");
        return rejection(`http+unix://${encodeURIComponent(path.join(file, "x.sock"))}/`);
      }),
  },
  {
    // 107 bytes is the most Linux takes: this one is tried and missing.
    name: "a missing unix socket at the longest path",
    code: "CONNECT_FAILED",
    socketCode: "ENOENT",
    message: /^connecting to \/.*\.sock failed: no unix socket at that path$/,
    run: () =>
      withTempDir((directory) =>
        rejection(`http+unix://${encodeURIComponent(socketPathOfBytes(directory, 107))}/`)
      ),
  },
  {
    // One byte more: Node truncated it to ENOENT, Deno and Bun said EINVAL.
    name: "a unix socket path longer than any system takes",
    code: "INVALID_REQUEST",
    message:
      /^the unix socket path ".*\.sock" is 108 bytes long; a unix socket path takes at most 107 \(103 on macOS\)$/,
    run: () =>
      withTempDir((directory) =>
        rejection(`http+unix://${encodeURIComponent(socketPathOfBytes(directory, 108))}/`)
      ),
  },
  {
    // Node and Bun were refused, Deno said "Invalid port (out of range): 0".
    name: "a URL with port 0",
    code: "INVALID_REQUEST",
    message: /^fetch: "http:\/\/127\.0\.0\.1:0\/" names port 0, which nothing can listen on$/,
    run: () => rejection("http://127.0.0.1:0/"),
  },
  {
    name: "a TLS handshake that never completes",
    code: "CONNECT_TIMEOUT",
    message: /^connecting to 127\.0\.0\.1:\d+ took longer than 200 ms$/,
    run: () =>
      withTcpPeer(
        () => {},
        (port) => rejection(`https://127.0.0.1:${port}/`, { connectTimeout: 200 }),
      ),
  },
  {
    name: "a final response head that never comes",
    code: "HEADERS_TIMEOUT",
    message: /^no final response head within 200 ms$/,
    run: () =>
      withTcpPeer(
        (socket) => socket.once("data", () => socket.write("HTTP/1.1 103 Early Hints\r\n\r\n")),
        (port) => rejection(`http://127.0.0.1:${port}/`, { headersTimeout: 200 }),
      ),
  },
];

for (const failure of CASES) {
  test(`${failure.name}: ${failure.code}`, { skip: failure.skip ?? false }, async () => {
    const error = await failure.run();
    assert.ok(error instanceof FetchError, `a FetchError, got ${String(error)}`);
    assert.ok(error instanceof TypeError, "a TypeError, as fetch rejects with");
    assert.equal(error.code, failure.code, error.message);
    assert.match(error.message, failure.message);
    assert.doesNotMatch(error.message, RAW_TEXT, "the runtime's own words stay in cause");
    if (failure.socketCode === undefined) return;
    const cause = error.cause;
    assert.ok(cause instanceof SocketError, `cause is a SocketError, got ${String(cause)}`);
    assert.equal(cause.code, failure.socketCode, cause.message);
    assert.equal(cause.tlsFailure, failure.tlsFailure, cause.message);
    assert.ok(cause.cause !== undefined, "the runtime's own error is kept");
  });
}
