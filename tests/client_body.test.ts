// Bodies both ways: every BodyInit type, streaming uploads, 100-continue,
// bodyless responses, each framing, content codings, and backpressure.
import { test } from "node:test";
import assert from "node:assert/strict";
import http from "node:http";
import zlib from "node:zlib";
import { Client, fetch, FetchError } from "../client.ts";
import { rawResponse, startRawServer } from "./_support/raw_server.ts";

interface Seen {
  method: string;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
}

async function withEchoServer<T>(run: (url: string, seen: Seen[]) => Promise<T>): Promise<T> {
  const seen: Seen[] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.on("end", () => {
      const body = Buffer.concat(chunks);
      seen.push({ method: req.method!, headers: req.headers, body });
      res.setHeader("content-type", "application/octet-stream");
      res.end(body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as { port: number };
  try {
    return await run(`http://127.0.0.1:${port}`, seen);
  } finally {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}

test("fetch() sends every BodyInit type with the length and type fetch would", async () => {
  await withEchoServer(async (url, seen) => {
    const form = new FormData();
    form.append("field", "value");
    form.append("file", new Blob(["file-bytes"], { type: "text/plain" }), "a.txt");
    const cases: Array<[BodyInit, string | null, (body: Buffer) => void]> = [
      ["héllo", "text/plain;charset=UTF-8", (b) => assert.equal(b.toString("utf8"), "héllo")],
      [new Uint8Array([1, 2, 3]), null, (b) => assert.deepEqual([...b], [1, 2, 3])],
      [
        new Uint8Array([9, 1, 2, 3, 9]).subarray(1, 4),
        null,
        (b) => assert.deepEqual([...b], [1, 2, 3]),
      ],
      [new Uint16Array([0x0201]), null, (b) => assert.deepEqual([...b], [1, 2])],
      [new Uint8Array([4, 5]).buffer, null, (b) => assert.deepEqual([...b], [4, 5])],
      [new DataView(new Uint8Array([6, 7]).buffer), null, (b) => assert.deepEqual([...b], [6, 7])],
      [
        new URLSearchParams({ a: "1", b: "x y" }),
        "application/x-www-form-urlencoded;charset=UTF-8",
        (b) => assert.equal(b.toString(), "a=1&b=x+y"),
      ],
      [
        new Blob(["blob"], { type: "application/x-blob" }),
        "application/x-blob",
        (b) => assert.equal(b.toString(), "blob"),
      ],
      [form, "multipart/form-data", (b) => {
        assert.match(b.toString(), /name="field"\r\n\r\nvalue/);
        assert.match(b.toString(), /filename="a.txt"/);
      }],
    ];
    for (const [body, type, check] of cases) {
      const response = await fetch(url, { method: "POST", body });
      assert.equal(response.status, 200);
      await response.arrayBuffer();
      const last = seen.at(-1)!;
      check(last.body);
      assert.equal(last.headers["content-length"], String(last.body.length));
      assert.equal(last.headers["transfer-encoding"], undefined);
      if (type === null) assert.equal(last.headers["content-type"], undefined);
      else {assert.ok(
          last.headers["content-type"]?.startsWith(type),
          String(last.headers["content-type"]),
        );}
    }
    // A caller's content-type wins; a caller's content-length is replaced by the real one.
    const response = await fetch(url, {
      method: "PUT",
      body: "abc",
      headers: { "content-type": "text/x-mine", "content-length": "99" },
    });
    await response.text();
    assert.equal(seen.at(-1)!.headers["content-type"], "text/x-mine");
    assert.equal(seen.at(-1)!.headers["content-length"], "3");
    // A POST without a body says so.
    await (await fetch(url, { method: "POST" })).text();
    assert.equal(seen.at(-1)!.headers["content-length"], "0");
    // A Request as input, with its body.
    const request = new Request(url, {
      method: "PATCH",
      body: "from a Request",
      headers: { "x-a": "1" },
    });
    assert.equal(await (await fetch(request)).text(), "from a Request");
    assert.equal(seen.at(-1)!.method, "PATCH");
    assert.equal(seen.at(-1)!.headers["x-a"], "1");
  });
});

test("fetch() streams a ReadableStream body chunked, pulling as the socket drains", async () => {
  await withEchoServer(async (url, seen) => {
    const chunk = new Uint8Array(64 * 1024).fill(7);
    let pulls = 0;
    const body = new ReadableStream<Uint8Array>({
      pull(controller) {
        if (pulls++ === 32) controller.close();
        else controller.enqueue(chunk);
      },
    });
    const response = await fetch(url, { method: "POST", body, duplex: "half" } as RequestInit);
    const echoed = new Uint8Array(await response.arrayBuffer());
    assert.equal(echoed.length, 32 * chunk.length);
    assert.ok(echoed.every((byte) => byte === 7));
    assert.equal(seen.at(-1)!.headers["transfer-encoding"], "chunked");
    assert.equal(seen.at(-1)!.headers["content-length"], undefined);
  });
});

test("fetch() fails with REQUEST_BODY_FAILED when the upload stream errors or yields non-bytes", async () => {
  await withEchoServer(async (url) => {
    const broken = new ReadableStream({
      start(controller) {
        controller.enqueue(new Uint8Array([1]));
        controller.error(new Error("disk gone"));
      },
    });
    await assert.rejects(fetch(url, { method: "POST", body: broken }), (error) => {
      assert.ok(error instanceof FetchError);
      assert.equal(error.code, "REQUEST_BODY_FAILED");
      assert.equal((error.cause as Error).message, "disk gone");
      return true;
    });
    const strings = new ReadableStream({
      start(controller) {
        controller.enqueue("not bytes");
        controller.close();
      },
    });
    await assert.rejects(fetch(url, { method: "POST", body: strings }), {
      code: "REQUEST_BODY_FAILED",
    });
  });
});

test("fetch() holds the body for Expect: 100-continue and sends it after the 100", async () => {
  const server = await startRawServer(async (peer) => {
    const head = await peer.readHead();
    assert.match(head, /expect: 100-continue/i);
    // Nothing of the body may arrive before the 100.
    await new Promise((resolve) => setTimeout(resolve, 50));
    assert.equal(peer.socket.bytesRead, Buffer.byteLength(head));
    peer.write("HTTP/1.1 100 Continue\r\n\r\n");
    const body = await peer.readBytes(5);
    peer.write(rawResponse(`got ${new TextDecoder().decode(body)}`));
  });
  const client = new Client({ expectContinueTimeout: 10_000 });
  try {
    const statuses: number[] = [];
    const response = await client.fetch(server.url, {
      method: "PUT",
      headers: { expect: "100-continue" },
      body: "hello",
      onInformational: (info) => void statuses.push(info.status),
    });
    assert.deepEqual(statuses, [100]);
    assert.equal(await response.text(), "got hello");
  } finally {
    await client.close();
    await server.close();
  }
});

test("fetch() does not send the body when a final response comes instead of 100", async () => {
  let reportExtra!: (bytes: number) => void;
  const extraBytes = new Promise<number>((resolve) => reportExtra = resolve);
  const server = await startRawServer(async (peer) => {
    const head = await peer.readHead();
    peer.write(rawResponse("too big", "413 Content Too Large"));
    // The client must close this connection (it cannot be reused) without
    // having sent a byte of the body.
    peer.socket.once("close", () => reportExtra(peer.socket.bytesRead - Buffer.byteLength(head)));
  });
  const client = new Client({ expectContinueTimeout: 10_000 });
  try {
    const response = await client.fetch(server.url, {
      method: "POST",
      headers: { expect: "100-continue" },
      body: new ReadableStream<Uint8Array>({
        start(controller) {
          controller.enqueue(new Uint8Array(10));
          controller.close();
        },
      }),
    });
    assert.equal(response.status, 413);
    assert.equal(await response.text(), "too big");
    assert.equal(await extraBytes, 0);
  } finally {
    await client.close();
    await server.close();
  }
});

test("fetch() sends the held body when no 100 comes within expectContinueTimeout", async () => {
  // A raw server that never sends 100: only the timeout can release the body.
  const server = await startRawServer(async (peer) => {
    await peer.readHead();
    const body = await peer.readBytes(3);
    peer.write(rawResponse(new TextDecoder().decode(body)));
  });
  const client = new Client({ expectContinueTimeout: 50 });
  try {
    const response = await client.fetch(server.url, {
      method: "POST",
      headers: { expect: "100-continue" },
      body: "abc",
      signal: AbortSignal.timeout(5_000),
    });
    assert.equal(await response.text(), "abc");
  } finally {
    await client.close();
    await server.close();
  }
});

test("fetch() reuses no socket whose response ended before the upload did", async () => {
  const server = await startRawServer(async (peer) => {
    await peer.readHead();
    // A whole answer while the chunked upload is still open.
    peer.write(rawResponse("early"));
    await peer.readUntil("never sent");
  });
  const client = new Client();
  const upload = new TransformStream<Uint8Array, Uint8Array>();
  const writer = upload.writable.getWriter();
  void writer.write(new TextEncoder().encode("part")).catch(() => {});
  try {
    const early = await client.fetch(server.url, { method: "POST", body: upload.readable });
    assert.equal(await early.text(), "early");
    // The server may still be reading that request: the next one needs a new socket.
    const next = await client.fetch(server.url, { signal: AbortSignal.timeout(5_000) });
    assert.equal(await next.text(), "early");
    assert.equal(server.connections, 2);
  } finally {
    void writer.abort().catch(() => {});
    await client.close();
    await server.close();
  }
});

test("fetch() reuses the socket when the upload ends while an early response's body streams", async () => {
  let headSeen!: () => void;
  const responseStarted = new Promise<void>((resolve) => headSeen = resolve);
  const server = await startRawServer(async (peer) => {
    await peer.readHead();
    peer.write("HTTP/1.1 200 OK\r\ncontent-length: 10\r\n\r\nfirst");
    // The rest of the body only once the whole chunked upload has arrived.
    await peer.readUntil("0\r\n\r\n");
    peer.write("-half");
    await peer.readHead();
    peer.write(rawResponse("second"));
  });
  const client = new Client();
  const upload = new TransformStream<Uint8Array, Uint8Array>();
  const writer = upload.writable.getWriter();
  void writer.write(new TextEncoder().encode("part")).catch(() => {});
  void responseStarted.then(() => writer.close()).catch(() => {});
  try {
    const response = await client.fetch(server.url, {
      method: "POST",
      body: upload.readable,
      signal: AbortSignal.timeout(5_000),
    });
    headSeen();
    assert.equal(await response.text(), "first-half");
    const next = await client.fetch(server.url, { signal: AbortSignal.timeout(5_000) });
    assert.equal(await next.text(), "second");
    assert.equal(server.connections, 1);
  } finally {
    await client.close();
    await server.close();
  }
});

test("fetch() gives HEAD, 204 and 304 a null body and keeps the connection", async () => {
  const server = http.createServer((req, res) => {
    if (req.url === "/204") res.writeHead(204).end();
    else if (req.url === "/304") res.writeHead(304, { etag: '"x"' }).end();
    else {res.writeHead(200, { "content-length": "5" }).end(
        req.method === "HEAD" ? undefined : "hello",
      );}
  });
  let connections = 0;
  server.on("connection", () => connections++);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const url = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  const client = new Client();
  try {
    const head = await client.fetch(url, { method: "HEAD" });
    assert.equal(head.status, 200);
    assert.equal(head.body, null);
    assert.equal(head.headers.get("content-length"), "5");
    const noContent = await client.fetch(`${url}/204`);
    assert.equal(noContent.status, 204);
    assert.equal(noContent.body, null);
    const notModified = await client.fetch(`${url}/304`);
    assert.equal(notModified.status, 304);
    assert.equal(notModified.body, null);
    const full = await client.fetch(url);
    assert.equal(await full.text(), "hello");
    assert.equal(connections, 1);
  } finally {
    await client.close();
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
});

test("fetch() reads length, chunked (with trailers) and close-delimited bodies", async () => {
  const server = await startRawServer(async (peer) => {
    // Keep-alive: one connection carries the first two exchanges.
    for (;;) {
      const head = await peer.readHead();
      if (head.startsWith("GET /length")) {
        peer.write("HTTP/1.1 200 OK\r\ncontent-length: 6\r\n\r\nlen");
        await new Promise((resolve) => setTimeout(resolve, 10));
        peer.write("gth");
      } else if (head.startsWith("GET /chunked")) {
        peer.write("HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n3\r\nchu\r\n");
        await new Promise((resolve) => setTimeout(resolve, 10));
        peer.write("4;ext=1\r\nnked\r\n0\r\nx-trailer: t\r\n\r\n");
      } else {
        peer.write("HTTP/1.1 200 OK\r\n\r\nuntil ");
        await new Promise((resolve) => setTimeout(resolve, 10));
        peer.end("close");
        return;
      }
    }
  });
  try {
    assert.equal(await (await fetch(`${server.url}/length`)).text(), "length");
    assert.equal(await (await fetch(`${server.url}/chunked`)).text(), "chunked");
    assert.equal(await (await fetch(`${server.url}/close`)).text(), "until close");
    assert.equal(server.connections, 1);
  } finally {
    await server.close();
  }
});

test("fetch() errors the body stream when the connection drops mid-body", async () => {
  const server = await startRawServer(async (peer) => {
    await peer.readHead();
    peer.write("HTTP/1.1 200 OK\r\ncontent-length: 100\r\n\r\npartial");
    await new Promise((resolve) => setTimeout(resolve, 20));
    peer.socket.destroy();
  });
  try {
    const response = await fetch(server.url);
    await assert.rejects(response.text(), (error) => {
      assert.ok(error instanceof FetchError);
      assert.ok(["INCOMPLETE_MESSAGE", "CONNECTION_RESET"].includes(error.code), error.code);
      return true;
    });
  } finally {
    await server.close();
  }
});

test("fetch() decodes gzip, deflate (zlib and raw), br and stacked codings, as fetch does", async () => {
  const text = "early hints ".repeat(500);
  const bodies: Record<string, [string, Buffer]> = {
    "/gzip": ["gzip", zlib.gzipSync(text)],
    "/x-gzip": ["x-gzip", zlib.gzipSync(text)],
    "/deflate": ["deflate", zlib.deflateSync(text)],
    "/deflate-raw": ["deflate", zlib.deflateRawSync(text)],
    "/br": ["br", zlib.brotliCompressSync(text)],
    "/stacked": ["deflate, gzip", zlib.gzipSync(zlib.deflateSync(text))],
    "/unknown": ["zstd-ish", Buffer.from(text)],
  };
  const server = http.createServer((req, res) => {
    const [coding, body] = bodies[req.url!]!;
    res.setHeader("content-encoding", coding);
    if (req.url === "/br") {
      // Streamed in pieces, so the decoder sees a stream, not one chunk.
      res.setHeader("transfer-encoding", "chunked");
      res.write(body.subarray(0, 10));
      setTimeout(() => res.end(body.subarray(10)), 10);
      return;
    }
    res.end(body);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const url = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  try {
    let sentAcceptEncoding: string | undefined;
    server.once(
      "request",
      (req: http.IncomingMessage) => sentAcceptEncoding = req.headers["accept-encoding"],
    );
    for (const path of ["/gzip", "/x-gzip", "/deflate", "/deflate-raw", "/br", "/stacked"]) {
      const response = await fetch(url + path);
      assert.equal(await response.text(), text, path);
      assert.equal(
        response.headers.get("content-encoding"),
        bodies[path]![0],
        "headers are untouched",
      );
    }
    assert.equal(sentAcceptEncoding, "gzip, deflate, br");
    assert.equal(
      await (await fetch(url + "/unknown")).text(),
      text,
      "an unknown coding is passed through",
    );
  } finally {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
});

test("fetch() streams a large body with backpressure: the server waits while nobody reads", async () => {
  const total = 32 * 1024 * 1024;
  let written = 0;
  let resumeServer!: () => void;
  const serverBlocked = new Promise<void>((resolve) => resumeServer = resolve);
  const server = http.createServer((_req, res) => {
    res.writeHead(200, { "content-length": String(total) });
    const chunk = Buffer.alloc(64 * 1024, 1);
    const pump = () => {
      while (written < total) {
        written += chunk.length;
        if (!res.write(chunk)) {
          res.once("drain", pump);
          resumeServer();
          return;
        }
      }
      res.end();
    };
    pump();
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const url = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  try {
    const response = await fetch(url);
    await serverBlocked;
    await new Promise((resolve) => setTimeout(resolve, 100));
    assert.ok(
      written < total,
      `the server could write ${written} of ${total} bytes with no reader`,
    );
    let received = 0;
    for await (const chunk of response.body!) received += chunk.byteLength;
    assert.equal(received, total);
  } finally {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
});
