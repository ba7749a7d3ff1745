/**
 * HTTP/2 on `serve()` (issue 14): with TLS, ALPN offers `h2` beside
 * `http/1.1` on one port; h2 goes through the runtime's `node:http2`, h1
 * through our engine; the same handler and exchange core serve both. Peers
 * are real: `node:http2` and `node:tls` clients in this process, and curl.
 */

import { test } from "node:test";
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { readFileSync } from "node:fs";
import http2 from "node:http2";
import path from "node:path";
import tls from "node:tls";
import { sendInformational, serve, type ServeOptions, type Server } from "../server.ts";
import type { ServeHandler } from "../src/server/types.ts";
import { delay, within } from "./_support/server_util.ts";

const FIXTURES = path.join(path.dirname(new URL(import.meta.url).pathname), "fixtures", "tls");
const cert = readFileSync(path.join(FIXTURES, "test-server-cert.pem"), "utf8");
const key = readFileSync(path.join(FIXTURES, "test-server-key.pem"), "utf8");
const ca = readFileSync(path.join(FIXTURES, "test-ca-cert.pem"), "utf8");

/** Serves `handler` over TLS on 127.0.0.1, runs `body`, then closes the server. */
async function withTlsServer<T>(
  handler: ServeHandler,
  options: ServeOptions,
  body: (server: Server) => Promise<T>,
): Promise<T> {
  const server = await serve(handler, { hostname: "127.0.0.1", port: 0, cert, key, ...options });
  try {
    return await body(server);
  } finally {
    await server.close();
  }
}

/** An h2 session that has exchanged SETTINGS and then waited 100 ms, so no
 * frame of ours arrives while a handler runs (a frame from the peer would
 * flush a 1xx that Deno holds, hiding the bug this suite checks). */
async function settledSession(url: string): Promise<http2.ClientHttp2Session> {
  const session = http2.connect(url, { ca, servername: "localhost" });
  session.on("error", () => {});
  await within(
    new Promise<void>((resolve, reject) => {
      session.once("remoteSettings", () => resolve());
      session.once("error", reject);
    }),
    5_000,
    "the h2 handshake",
  );
  await delay(100);
  return session;
}

interface Timed<T> {
  readonly value: T;
  /** Milliseconds since the request was sent. */
  readonly at: number;
}

interface H2Result {
  readonly informational: Timed<http2.IncomingHttpHeaders>[];
  readonly final: Timed<http2.IncomingHttpHeaders & http2.IncomingHttpStatusHeader>;
  readonly body: Buffer;
}

/** Sends one request on `session` and collects its 1xx, final head and body. */
function h2Request(
  session: http2.ClientHttp2Session,
  headers: http2.OutgoingHttpHeaders,
  body?: Uint8Array | string,
): Promise<H2Result> {
  const started = performance.now();
  const request = session.request(headers, { endStream: body === undefined });
  const informational: Timed<http2.IncomingHttpHeaders>[] = [];
  request.on("headers", (head) => {
    informational.push({ value: head, at: performance.now() - started });
  });
  if (body !== undefined) request.end(body);
  return within(
    new Promise<H2Result>((resolve, reject) => {
      let final: H2Result["final"] | undefined;
      const chunks: Buffer[] = [];
      request.on("response", (head) => (final = { value: head, at: performance.now() - started }));
      request.on("data", (chunk: Buffer) => chunks.push(chunk));
      request.on("end", () => {
        if (final === undefined) reject(new Error("the stream ended without a response"));
        else resolve({ informational, final, body: Buffer.concat(chunks) });
      });
      request.on("error", reject);
    }),
    10_000,
    `h2 ${headers[":method"] ?? "GET"} ${headers[":path"] ?? "/"}`,
  );
}

/** A raw TLS exchange: the ALPN chosen and every byte the server sent until it closed. */
function tlsExchange(
  port: number,
  alpn: string[] | undefined,
  request: string,
): Promise<{ alpn: string | false; text: string }> {
  return within(
    new Promise((resolve, reject) => {
      const socket = tls.connect({
        host: "127.0.0.1",
        port,
        ca,
        servername: "localhost",
        ...(alpn === undefined ? {} : { ALPNProtocols: alpn }),
      });
      let text = "";
      socket.on("secureConnect", () => socket.write(request));
      socket.on("data", (chunk: Buffer) => (text += chunk.toString("latin1")));
      socket.on("close", () => resolve({ alpn: socket.alpnProtocol ?? false, text }));
      socket.on("error", reject);
    }),
    10_000,
    "the TLS exchange",
  );
}

/** The ALPN protocol the server chooses from `offered`. */
function alpnOf(port: number, offered: string[]): Promise<string | false> {
  return within(
    new Promise((resolve, reject) => {
      const socket = tls.connect({
        host: "127.0.0.1",
        port,
        ca,
        servername: "localhost",
        ALPNProtocols: offered,
      });
      socket.on("secureConnect", () => {
        resolve(socket.alpnProtocol ?? false);
        socket.destroy();
      });
      socket.on("error", reject);
    }),
    5_000,
    "the TLS handshake",
  );
}

/** The port of a TCP server. */
function portOf(server: Server): number {
  assert.ok(server.addr.transport === "tcp");
  return server.addr.port;
}

test("h2: ALPN chooses h2 with TLS, and the response comes through node:http2 with our handler", async () => {
  await withTlsServer(
    (request) =>
      new Response(`${request.method} ${request.url} ${request.headers.get("x-req")}`, {
        headers: {
          "x-res": "yes",
          // Connection-specific fields must never reach an h2 peer (RFC 9113 section 8.2.2).
          connection: "keep-alive, x-res",
          "keep-alive": "timeout=5",
          "proxy-connection": "keep-alive",
          "transfer-encoding": "chunked",
          upgrade: "websocket",
        },
      }),
    {},
    async (server) => {
      assert.equal(await alpnOf(portOf(server), ["h2", "http/1.1"]), "h2");
      const session = await settledSession(server.url);
      try {
        assert.equal(session.alpnProtocol, "h2");
        const result = await h2Request(session, {
          ":method": "GET",
          ":path": "/a/b?c=d",
          ":authority": "example.test:8443",
          "x-req": "sent",
        });
        assert.equal(result.final.value[":status"], 200);
        assert.equal(result.body.toString(), `GET https://example.test:8443/a/b?c=d sent`);
        assert.equal(result.final.value["x-res"], "yes");
        assert.match(String(result.final.value["date"]), /^\w{3}, \d\d \w{3} \d{4} /);
        assert.equal(result.final.value["content-length"], String(result.body.byteLength));
        for (const name of ["connection", "keep-alive", "proxy-connection", "upgrade"]) {
          assert.equal(result.final.value[name], undefined, name);
        }
        assert.equal(result.final.value["transfer-encoding"], undefined);
      } finally {
        session.close();
      }
    },
  );
});

test("h2: an HTTP/1.1 client on the same port is served by our engine (1xx over h1)", async () => {
  await withTlsServer(
    (request) => {
      sendInformational(request, 103, { link: "</h1.css>; rel=preload" });
      return new Response(new URL(request.url).protocol);
    },
    {},
    async (server) => {
      const request = "GET / HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n";
      for (const alpn of [["http/1.1"], undefined]) {
        const { alpn: chosen, text } = await tlsExchange(portOf(server), alpn, request);
        assert.equal(chosen, alpn === undefined ? false : "http/1.1");
        // node:http (allowHTTP1) cannot send a 1xx beside its own; our engine does.
        assert.match(text, /^HTTP\/1\.1 103 Early Hints\r\nlink: <\/h1\.css>; rel=preload\r\n\r\n/);
        assert.match(text, /\r\nHTTP\/1\.1 200 OK\r\n[\s\S]*\r\n\r\nhttps:$/);
      }
    },
  );
});

test("h2: several 1xx arrive in order, each at once as its own HEADERS frame", async () => {
  await withTlsServer(
    async (request) => {
      sendInformational(request, 103, { link: "</a.css>; rel=preload; as=style" });
      await delay(300);
      sendInformational(request, 103, { link: "</b.js>; rel=preload; as=script", "x-n": "2" });
      sendInformational(request, 199, { "x-n": "3" });
      await delay(300);
      return new Response("final");
    },
    {},
    async (server) => {
      const session = await settledSession(server.url);
      try {
        for (let round = 0; round < 2; round++) {
          const result = await h2Request(session, { ":path": `/round${round}` });
          const heads = result.informational.map((item) => item.value);
          assert.deepEqual(heads.map((head) => head[":status"]), [103, 103, 199]);
          assert.equal(heads[0]!["link"], "</a.css>; rel=preload; as=style");
          assert.equal(heads[1]!["link"], "</b.js>; rel=preload; as=script");
          assert.equal(heads[2]!["x-n"], "3");
          const [first, second, third] = result.informational.map((item) => item.at);
          // Each 1xx leaves when sent, not with the next frame: on Deno a
          // HEADERS frame left queued in nghttp2 would arrive with the next.
          assert.ok(second! - first! >= 200, `103 #2 ${second} ms only after 103 #1 ${first} ms`);
          assert.ok(result.final.at - third! >= 200, `200 at ${result.final.at}, 199 at ${third}`);
          assert.equal(result.final.value[":status"], 200);
          assert.equal(result.body.toString(), "final");
        }
      } finally {
        session.close();
      }
    },
  );
});

test("h2: the request body streams to the handler and back (1 MiB, flow control)", async () => {
  const payload = new Uint8Array(1024 * 1024);
  for (let i = 0; i < payload.length; i++) payload[i] = (i * 7 + (i >> 10)) & 0xff;
  await withTlsServer(
    (request) => {
      if (request.headers.get("x-mode") === "text") {
        return request.text().then((text) => new Response(`got ${text}`));
      }
      return new Response(request.body, {
        headers: { "x-len": request.headers.get("content-length") ?? "" },
      });
    },
    {},
    async (server) => {
      const session = await settledSession(server.url);
      try {
        const small = await h2Request(
          session,
          { ":method": "POST", ":path": "/t", "x-mode": "text" },
          "hello h2",
        );
        assert.equal(small.body.toString(), "got hello h2");
        const echo = await h2Request(
          session,
          { ":method": "PUT", ":path": "/e", "content-length": payload.length },
          payload,
        );
        assert.equal(echo.final.value[":status"], 200);
        assert.equal(echo.final.value["x-len"], String(payload.length));
        assert.equal(echo.body.byteLength, payload.byteLength);
        assert.ok(Buffer.from(payload).equals(echo.body), "the echoed bytes differ");
      } finally {
        session.close();
      }
    },
  );
});

test("h2: a stream the client resets aborts request.signal; later 1xx report closed", async () => {
  let aborted: (reason: unknown) => void;
  const abortSeen = new Promise<unknown>((resolve) => (aborted = resolve));
  let afterAbort: unknown;
  await withTlsServer(
    (request) => {
      if (new URL(request.url).pathname === "/other") return new Response("other");
      sendInformational(request, 103, { link: "</x.css>; rel=preload" });
      request.signal.addEventListener("abort", () => {
        afterAbort = sendInformational(request, 103, { link: "</late.css>" });
        aborted(request.signal.reason);
      });
      return new Promise<Response>(() => {});
    },
    {},
    async (server) => {
      const session = await settledSession(server.url);
      try {
        const request = session.request({ ":path": "/hang" });
        request.on("error", () => {});
        await within(new Promise((resolve) => request.once("headers", resolve)), 5_000, "the 103");
        request.close(http2.constants.NGHTTP2_CANCEL);
        const reason = await within(abortSeen, 5_000, "request.signal's abort");
        assert.ok(reason instanceof DOMException, String(reason));
        assert.equal((reason as DOMException).name, "AbortError");
        assert.deepEqual(afterAbort, { sent: false, reason: "closed" });
        // The session lives on for other streams.
        const other = await h2Request(session, { ":path": "/other" });
        assert.equal(other.body.toString(), "other");
      } finally {
        session.destroy();
      }
    },
  );
});

test("h2: HEAD gets the head and no body; 204 has no body", async () => {
  await withTlsServer(
    (request) =>
      new URL(request.url).pathname === "/empty"
        ? new Response(null, { status: 204 })
        : new Response("hello body"),
    {},
    async (server) => {
      const session = await settledSession(server.url);
      try {
        const head = await h2Request(session, { ":method": "HEAD", ":path": "/" });
        assert.equal(head.final.value[":status"], 200);
        assert.equal(head.final.value["content-length"], "10");
        assert.equal(head.body.byteLength, 0);
        const get = await h2Request(session, { ":path": "/" });
        assert.equal(get.body.toString(), "hello body");
        const empty = await h2Request(session, { ":path": "/empty" });
        assert.equal(empty.final.value[":status"], 204);
        assert.equal(empty.body.byteLength, 0);
      } finally {
        session.close();
      }
    },
  );
});

test("h2: a throwing handler gets a 500 and onError; the session serves on", async () => {
  const errors: unknown[] = [];
  await withTlsServer(
    (request) => {
      if (new URL(request.url).pathname === "/boom") throw new Error("boom");
      return new Response("fine");
    },
    { onError: (error) => errors.push(error) },
    async (server) => {
      const session = await settledSession(server.url);
      try {
        const failed = await h2Request(session, { ":path": "/boom" });
        assert.equal(failed.final.value[":status"], 500);
        assert.equal(failed.body.toString(), "500\n");
        assert.equal(errors.length, 1);
        assert.equal((errors[0] as Error).message, "boom");
        const next = await h2Request(session, { ":path": "/ok" });
        assert.equal(next.final.value[":status"], 200);
        assert.equal(next.body.toString(), "fine");
      } finally {
        session.close();
      }
    },
  );
});

test("h2: handlerTimeout answers 503 and aborts request.signal", async () => {
  let signal: AbortSignal | undefined;
  await withTlsServer(
    (request) => {
      signal = request.signal;
      return new Promise<Response>(() => {});
    },
    { limits: { handlerTimeout: 200 }, onError: () => {} },
    async (server) => {
      const session = await settledSession(server.url);
      try {
        const result = await h2Request(session, { ":path": "/slow" });
        assert.equal(result.final.value[":status"], 503);
        assert.equal(signal?.aborted, true);
        assert.equal((signal?.reason as DOMException).name, "TimeoutError");
      } finally {
        session.close();
      }
    },
  );
});

test("h2: a request body that stalls ends at limits.bodyTimeout: 408, the read fails, the session serves on", async () => {
  let readError: unknown;
  await withTlsServer(
    async (request) => {
      if (request.method === "GET") return new Response("still here");
      try {
        await request.text();
      } catch (error) {
        readError = error;
        throw error;
      }
      return new Response("read it all");
    },
    { limits: { bodyTimeout: 300 }, onError: () => {} },
    async (server) => {
      const session = await settledSession(server.url);
      try {
        // Headers and a first chunk, then nothing: the stream stays open.
        const stalled = session.request({ ":method": "POST", ":path": "/upload" }, {
          endStream: false,
        });
        stalled.write("partial");
        const status = await within(
          new Promise<unknown>((resolve, reject) => {
            stalled.on("response", (head) => resolve(head[":status"]));
            stalled.on("error", reject);
          }),
          5_000,
          "the 408",
        );
        assert.equal(status, 408);
        assert.equal((readError as DOMException | undefined)?.name, "TimeoutError");
        stalled.close();
        const next = await h2Request(session, { ":path": "/" });
        assert.equal(next.body.toString(), "still here");
      } finally {
        session.close();
      }
    },
  );
});

test("h2: shutdown() sends GOAWAY and lets the in-flight stream finish", async () => {
  let entered: () => void;
  const inHandler = new Promise<void>((resolve) => (entered = resolve));
  const server = await serve(async () => {
    entered();
    await delay(300);
    return new Response("finished");
  }, { hostname: "127.0.0.1", port: 0, cert, key });
  try {
    const session = await settledSession(server.url);
    const goaway = new Promise<void>((resolve) => session.once("goaway", () => resolve()));
    const pending = h2Request(session, { ":path": "/" });
    await within(inHandler, 5_000, "the handler");
    const stopped = server.shutdown();
    await within(goaway, 5_000, "GOAWAY");
    const result = await pending;
    assert.equal(result.final.value[":status"], 200);
    assert.equal(result.body.toString(), "finished");
    await within(stopped, 5_000, "shutdown()");
    session.destroy();
  } finally {
    await server.close();
  }
});

test("h2: http2: false offers http/1.1 only; http2: true serves h2c beside h1 in cleartext", async () => {
  await withTlsServer(() => new Response("h1 only"), { http2: false }, async (server) => {
    const { alpn, text } = await tlsExchange(
      portOf(server),
      ["h2", "http/1.1"],
      "GET / HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n",
    );
    assert.equal(alpn, "http/1.1");
    assert.match(text, /\r\n\r\nh1 only$/);
  });
  const server = await serve((request) => new Response(new URL(request.url).protocol), {
    hostname: "127.0.0.1",
    port: 0,
    http2: true,
  });
  try {
    const session = http2.connect(server.url);
    session.on("error", () => {});
    try {
      const result = await h2Request(session, { ":path": "/" });
      assert.equal(result.final.value[":status"], 200);
      assert.equal(result.body.toString(), "http:");
    } finally {
      session.close();
    }
    const response = await fetch(server.url);
    assert.equal(await response.text(), "http:");
  } finally {
    await server.close();
  }
  await assert.rejects(
    serve(() => new Response(), { port: 0, adapter: "node-http", http2: true }),
    TypeError,
  );
});

test("h2: the HTTP/2 limits reach the peer as SETTINGS over TLS, and bad values are refused", async () => {
  const limits = { maxConcurrentStreams: 7, maxHeaderBytes: 8192 };
  await withTlsServer(() => new Response("ok"), { limits }, async (server) => {
    const session = await settledSession(server.url);
    try {
      assert.equal(session.remoteSettings.maxConcurrentStreams, 7);
      assert.equal(session.remoteSettings.maxHeaderListSize, 8192);
      const result = await h2Request(session, { ":path": "/" });
      assert.equal(result.body.toString(), "ok");
    } finally {
      session.close();
    }
  });
  for (const name of ["maxConcurrentStreams", "streamResetRate", "controlFrameBurst"]) {
    await assert.rejects(
      serve(() => new Response(), { port: 0, cert, key, limits: { [name]: 0 } }),
      RangeError,
      name,
    );
  }
});

test("h2: maxRequestsPerConnection serves that many streams, then GOAWAY; a new connection is served", async () => {
  await withTlsServer(
    () => new Response("ok"),
    { limits: { maxRequestsPerConnection: 2 } },
    async (server) => {
      const session = await settledSession(server.url);
      try {
        const goaway = within(
          new Promise<number>((resolve) => session.once("goaway", (code: number) => resolve(code))),
          5_000,
          "GOAWAY after the second stream",
        );
        for (let i = 0; i < 2; i++) {
          const result = await h2Request(session, { ":path": `/${i}` });
          assert.equal(result.body.toString(), "ok");
        }
        assert.equal(await goaway, 0);
      } finally {
        session.destroy();
      }
      const again = await settledSession(server.url);
      try {
        assert.equal((await h2Request(again, { ":path": "/" })).body.toString(), "ok");
      } finally {
        again.destroy();
      }
    },
  );
});

/** Whether curl is installed with HTTP/2; the reason when not. */
function curlHttp2(): Promise<string | undefined> {
  return new Promise((resolve) => {
    execFile("curl", ["-V"], (error, stdout) => {
      if (error !== null) resolve(`curl is not installed (${error.message})`);
      else if (!/\bHTTP2\b/.test(stdout)) resolve("curl has no HTTP/2 support");
      else resolve(undefined);
    });
  });
}

const curlSkip = await curlHttp2();

test("h2: curl --http2 sees the 103s before the 200", { skip: curlSkip }, async () => {
  await withTlsServer(
    async (request) => {
      sendInformational(request, 103, { link: "</c.css>; rel=preload; as=style" });
      await delay(300);
      sendInformational(request, 103, { link: "</d.js>; rel=preload; as=script" });
      await delay(300);
      return new Response("curl ok");
    },
    {},
    async (server) => {
      const output = await new Promise<string>((resolve, reject) => {
        execFile(
          "curl",
          ["--http2", "-k", "-sv", "--trace-time", "--max-time", "10", `${server.url}/`],
          (error, stdout, stderr) => (error !== null ? reject(error) : resolve(stderr + stdout)),
        );
      });
      assert.match(output, /ALPN: server accepted h2/);
      const lines = output.split("\n").filter((line) => /< HTTP\/2 \d{3}|< link:/.test(line));
      assert.deepEqual(lines.map((line) => line.replace(/^[\d:.]+ /, "").trim()), [
        "< HTTP/2 103",
        "< link: </c.css>; rel=preload; as=style",
        "< HTTP/2 103",
        "< link: </d.js>; rel=preload; as=script",
        "< HTTP/2 200",
      ]);
      // --trace-time stamps: each 103 left when it was sent.
      const times = lines.filter((line) => / < HTTP\/2 /.test(line)).map((line) => {
        const [h, m, s] = line.split(" ")[0]!.split(":").map(Number);
        return ((h! * 60 + m!) * 60 + s!) * 1000;
      });
      assert.ok(times[1]! - times[0]! >= 200, `103s at ${times.join(", ")}`);
      assert.ok(times[2]! - times[1]! >= 200, `103 then 200 at ${times.join(", ")}`);
      assert.match(output, /curl ok$/);
    },
  );
});
