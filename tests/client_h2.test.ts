// The client over HTTP/2: ALPN picks h2 against a node:http2 secure server
// started in this process (on the runtime under test), every 1xx reaches
// onInformational in order before the final response, and the Response is
// the one HTTP/1.1 gives; a server that picks http/1.1 is served on the same
// socket. Runs unchanged on Deno, Bun and Node.

import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import http2 from "node:http2";
import https from "node:https";
import type { AddressInfo } from "node:net";
import { Client, FetchError, type InformationalResponse } from "../client.ts";

const FIXTURES = new URL("./fixtures/tls/", import.meta.url);
const read = (name: string) => readFileSync(new URL(name, FIXTURES), "utf8");
const CA = read("test-ca-cert.pem");
const CERT = read("test-server-cert.pem");
const KEY = read("test-server-key.pem");

type Handler = (stream: http2.ServerHttp2Stream, headers: http2.IncomingHttpHeaders) => void;

interface H2Server {
  readonly url: string;
  /** Sessions the server accepted. */
  readonly sessions: number;
  /** The `:path` and ALPN of every stream seen. */
  readonly streams: { path: string; alpn: string | undefined }[];
  close(): Promise<void>;
}

/**
 * Deno's node:http2 server holds a 1xx HEADERS frame until something else
 * flushes the session (findings of issue 14): this does what its own
 * respond() does, so the 1xx leave at once on every runtime.
 */
function flush(stream: http2.ServerHttp2Stream): void {
  const session = stream.session as unknown as Record<symbol, unknown> | undefined;
  if (session === undefined) return;
  const kHandle = Object.getOwnPropertySymbols(session).find((s) => s.description === "kHandle");
  const handle = kHandle === undefined
    ? undefined
    : session[kHandle] as { sendPending?: () => void } | undefined;
  if (typeof handle?.sendPending === "function") handle.sendPending();
}

function hint(stream: http2.ServerHttp2Stream, fields: Record<string, string | number>): void {
  stream.additionalHeaders(fields as http2.OutgoingHttpHeaders);
  flush(stream);
}

async function startH2(handler: Handler): Promise<H2Server> {
  const server = http2.createSecureServer({ cert: CERT, key: KEY });
  const streams: { path: string; alpn: string | undefined }[] = [];
  let sessions = 0;
  const open = new Set<http2.ServerHttp2Session>();
  server.on("session", (session) => {
    sessions++;
    open.add(session);
    session.on("error", () => {});
    session.on("close", () => open.delete(session));
  });
  server.on("stream", (stream: http2.ServerHttp2Stream, headers) => {
    stream.on("error", () => {});
    streams.push({ path: String(headers[":path"]), alpn: stream.session?.alpnProtocol });
    handler(stream, headers);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `https://localhost:${port}`,
    get sessions() {
      return sessions;
    },
    streams,
    close: () =>
      new Promise<void>((resolve) => {
        for (const session of open) session.destroy();
        server.close(() => resolve());
      }),
  };
}

function client(options: ConstructorParameters<typeof Client>[0] = {}): Client {
  return new Client({ tls: { ca: CA }, connectTimeout: 5_000, ...options });
}

test("h2: ALPN picks h2; every 1xx reaches onInformational in order, before the final head", async () => {
  let releaseFinal!: () => void;
  const finalAllowed = new Promise<void>((resolve) => releaseFinal = resolve);
  let finalSent = false;
  const server = await startH2((stream) => {
    hint(stream, { ":status": 103, link: "</a.css>; rel=preload; as=style" });
    hint(stream, { ":status": 103, link: "</b.js>; rel=preload; as=script", "x-hint": "2" });
    hint(stream, { ":status": 104, "x-progress": "half" });
    // The final head waits until the client has seen all three interim heads.
    finalAllowed.then(() => {
      finalSent = true;
      stream.respond({ ":status": 200, "content-type": "text/plain", "x-final": "yes" });
      stream.end("hello over h2");
    });
  });
  const c = client();
  try {
    const seen: { status: number; fields: [string, string][]; finalSent: boolean }[] = [];
    const response = await c.fetch(`${server.url}/page`, {
      onInformational(info: InformationalResponse) {
        seen.push({
          status: info.status,
          fields: info.rawHeaders.map(([n, v]) => [n, v]),
          finalSent,
        });
        if (seen.length === 3) releaseFinal();
      },
    });
    assert.deepEqual(seen, [
      { status: 103, fields: [["link", "</a.css>; rel=preload; as=style"]], finalSent: false },
      {
        status: 103,
        fields: [["link", "</b.js>; rel=preload; as=script"], ["x-hint", "2"]],
        finalSent: false,
      },
      { status: 104, fields: [["x-progress", "half"]], finalSent: false },
    ]);
    assert.equal(response.httpVersion, "2");
    assert.equal(response.status, 200);
    assert.equal(response.statusText, "");
    assert.ok(response instanceof Response);
    assert.equal(response.headers.get("content-type"), "text/plain");
    assert.equal(response.headers.get("x-final"), "yes");
    assert.equal(response.url, `${server.url}/page`);
    assert.deepEqual(response.informational.map((info) => info.status), [103, 103, 104]);
    assert.equal(response.informational[1]!.headers.get("x-hint"), "2");
    assert.equal(await response.text(), "hello over h2");
    assert.deepEqual(server.streams, [{ path: "/page", alpn: "h2" }]);
  } finally {
    await c.close();
    await server.close();
  }
});

test("h2: concurrent requests share one session; a POST body arrives whole", async () => {
  const server = await startH2((stream, headers) => {
    const chunks: Uint8Array[] = [];
    stream.on("data", (chunk: Uint8Array) => chunks.push(chunk));
    stream.on("end", () => {
      const size = chunks.reduce((sum, chunk) => sum + chunk.byteLength, 0);
      hint(stream, { ":status": 103, "x-path": String(headers[":path"]) });
      stream.respond({ ":status": 200 });
      stream.end(`${headers[":method"]} ${headers[":path"]} ${size}`);
    });
  });
  const c = client();
  try {
    const results = await Promise.all(
      [1, 2, 3, 4, 5].map(async (i) => {
        const response = await c.fetch(`${server.url}/n${i}`, {
          method: "POST",
          body: new Uint8Array(i * 1000),
        });
        assert.equal(response.httpVersion, "2");
        assert.deepEqual(response.informational.map((info) => info.headers.get("x-path")), [
          `/n${i}`,
        ]);
        return await response.text();
      }),
    );
    assert.deepEqual(results, [1, 2, 3, 4, 5].map((i) => `POST /n${i} ${i * 1000}`));
    const streamed = await c.fetch(`${server.url}/stream`, {
      method: "POST",
      body: new Blob(["abc", "defg"]).stream(),
    });
    assert.equal(await streamed.text(), "POST /stream 7");
    assert.equal(server.sessions, 1, "one HTTP/2 session carried every request");
  } finally {
    await c.close();
    await server.close();
  }
});

test("h2: aborting mid-body errors the body with the reason and resets the stream", async () => {
  let streamClosed!: (code: number) => void;
  const closedCode = new Promise<number>((resolve) => streamClosed = resolve);
  const server = await startH2((stream) => {
    stream.on("close", () => streamClosed(stream.rstCode));
    stream.respond({ ":status": 200 });
    stream.write("first part;");
    // ...and the rest never comes.
  });
  const c = client();
  try {
    const controller = new AbortController();
    const response = await c.fetch(server.url, { signal: controller.signal });
    assert.equal(response.httpVersion, "2");
    const reader = response.body!.getReader();
    const first = await reader.read();
    assert.equal(new TextDecoder().decode(first.value), "first part;");
    const reason = new Error("user gave up");
    controller.abort(reason);
    await assert.rejects(reader.read(), (error) => error === reason);
    assert.equal(await closedCode, http2.constants.NGHTTP2_CANCEL);
  } finally {
    await c.close();
    await server.close();
  }
});

test("h2: headersTimeout and bodyTimeout fail as over HTTP/1.1", async () => {
  const server = await startH2((stream, headers) => {
    if (headers[":path"] === "/slow-body") {
      stream.respond({ ":status": 200 });
      stream.write("x");
    } else hint(stream, { ":status": 103, link: "</x>" }); // then nothing
  });
  const c = client({ headersTimeout: 300, bodyTimeout: 300 });
  try {
    const seen: number[] = [];
    await assert.rejects(
      c.fetch(`${server.url}/slow-head`, { onInformational: (info) => seen.push(info.status) }),
      (error) => error instanceof FetchError && error.code === "HEADERS_TIMEOUT",
    );
    assert.deepEqual(seen, [103]);
    const response = await c.fetch(`${server.url}/slow-body`);
    await assert.rejects(
      response.text(),
      (error) => error instanceof FetchError && error.code === "BODY_TIMEOUT",
    );
  } finally {
    await c.close();
    await server.close();
  }
});

test("h2: an onInformational error rejects fetch with it; too many 1xx fail", async () => {
  const server = await startH2((stream) => {
    for (let i = 0; i < 4; i++) hint(stream, { ":status": 103, n: i });
    setTimeout(() => {
      if (stream.closed) return;
      stream.respond({ ":status": 200 });
      stream.end("late");
    }, 200);
  });
  const c = client({ maxInformational: 3 });
  try {
    const thrown = new Error("callback says no");
    await assert.rejects(
      c.fetch(server.url, {
        onInformational() {
          throw thrown;
        },
      }),
      (error) => error === thrown,
    );
    await assert.rejects(
      c.fetch(server.url),
      (error) => error instanceof FetchError && error.code === "TOO_MANY_INFORMATIONAL",
    );
  } finally {
    await c.close();
    await server.close();
  }
});

test("h2: a server that picks http/1.1 is served on the same socket; http2: false never offers h2", async () => {
  const server = https.createServer({ cert: CERT, key: KEY }, (request, response) => {
    response.end(`h1 ${request.httpVersion} ${request.url}`);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  const h2 = await startH2((stream) => {
    stream.respond({ ":status": 200 });
    stream.end("h2 only");
  });
  const c = client();
  const h1Only = client({ http2: false });
  try {
    const first = await c.fetch(`https://localhost:${port}/a`);
    assert.equal(first.httpVersion, "1.1");
    assert.equal(first.statusText, "OK");
    assert.equal(await first.text(), "h1 1.1 /a");
    const second = await c.fetch(`https://localhost:${port}/b`);
    assert.equal(await second.text(), "h1 1.1 /b");
    assert.equal((await c.fetch(h2.url)).httpVersion, "2");

    // An h2-only server refuses a client that offers http/1.1 alone.
    await assert.rejects(h1Only.fetch(h2.url), FetchError);
  } finally {
    await c.close();
    await h1Only.close();
    await h2.close();
    server.closeAllConnections?.();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
});

test("h2: the CLI prints each 1xx, then HTTP/2 on the final line", async () => {
  const { runCli } = await import("../src/cli/run.ts");
  const server = await startH2((stream) => {
    hint(stream, { ":status": 103, link: "</a.css>; rel=preload" });
    stream.respond({ ":status": 200 });
    stream.end("cli body\n");
  });
  let stdout = "";
  const caPath = new URL("test-ca-cert.pem", FIXTURES).pathname;
  try {
    const status = await runCli({
      args: ["--cacert", caPath, server.url],
      writeStdout: (data) => {
        stdout += typeof data === "string" ? data : new TextDecoder().decode(data);
        return Promise.resolve();
      },
      writeStderr: () => Promise.resolve(),
      readFile: (path) => Promise.resolve(readFileSync(path)),
      readStdin: () => Promise.resolve(new Uint8Array(0)),
    });
    assert.equal(status, 0, stdout);
    const heads = stdout.split("\n").filter((line) => /ms\s+(HTTP\/2 )?\d{3}\b/.test(line));
    assert.equal(heads.length, 2, stdout);
    assert.match(heads[0]!, /ms\s+103$/);
    assert.match(heads[1]!, /ms\s+HTTP\/2 200$/);
    assert.match(stdout, /link: <\/a.css>; rel=preload/);
  } finally {
    await server.close();
  }
});
