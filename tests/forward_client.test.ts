// The client options forward() relies on, against our serve() over HTTP/1.1
// and HTTP/2: decompress: false, defaultHeaders: false, and a stream body
// sent with the Content-Length its caller declared.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import path from "node:path";
import { gzipSync } from "node:zlib";
import { Client, FetchError } from "../client.ts";
import { serve, type Server } from "../server.ts";

const FIXTURES = path.join(path.dirname(new URL(import.meta.url).pathname), "fixtures", "tls");
const cert = readFileSync(path.join(FIXTURES, "test-server-cert.pem"), "utf8");
const key = readFileSync(path.join(FIXTURES, "test-server-key.pem"), "utf8");
const ca = readFileSync(path.join(FIXTURES, "test-ca-cert.pem"), "utf8");

/** What the server saw of the last request. */
interface Seen {
  fields: Record<string, string>;
  body: string;
}

const PROTOCOLS = [
  { name: "HTTP/1.1", tls: false, version: "1.1" },
  { name: "HTTP/2", tls: true, version: "2" },
] as const;

function stream(parts: string[]): ReadableStream<Uint8Array> {
  const encoder = new TextEncoder();
  return new ReadableStream({
    pull(controller) {
      const part = parts.shift();
      if (part === undefined) controller.close();
      else controller.enqueue(encoder.encode(part));
    },
  });
}

/** Runs `body` against a server that echoes what it saw and answers gzip. */
async function withEcho(
  tls: boolean,
  body: (server: Server, client: Client, seen: Seen[]) => Promise<void>,
): Promise<void> {
  const seen: Seen[] = [];
  const gzipped = gzipSync("hello, gzip");
  const server = await serve(async (request) => {
    let text = "";
    try {
      text = await request.text();
    } catch {
      text = "<body failed>";
    }
    seen.push({ fields: Object.fromEntries(request.headers), body: text });
    return new Response(new Uint8Array(gzipped), {
      headers: { "content-encoding": "gzip", "content-length": String(gzipped.byteLength) },
    });
  }, { hostname: "127.0.0.1", port: 0, onError: () => {}, ...(tls ? { cert, key } : {}) });
  const client = new Client(tls ? { tls: { ca } } : {});
  try {
    await body(server, client, seen);
  } finally {
    await client.close();
    await server.shutdown();
  }
}

for (const { name, tls, version } of PROTOCOLS) {
  test(`${name}: decompress: false hands back the gzip bytes with their length`, async () => {
    await withEcho(tls, async (server, client) => {
      const raw = await client.fetch(server.url, { decompress: false });
      assert.equal(raw.httpVersion, version);
      assert.equal(raw.headers.get("content-encoding"), "gzip");
      const bytes = new Uint8Array(await raw.arrayBuffer());
      assert.equal(String(bytes.byteLength), raw.headers.get("content-length"));
      assert.deepEqual([bytes[0], bytes[1]], [0x1f, 0x8b]);
      const decoded = await client.fetch(server.url);
      assert.equal(await decoded.text(), "hello, gzip");
    });
  });

  test(`${name}: defaultHeaders: false adds no Accept, Accept-Encoding or User-Agent`, async () => {
    await withEcho(tls, async (server, client, seen) => {
      await (await client.fetch(server.url, { defaultHeaders: false })).arrayBuffer();
      await (await client.fetch(server.url)).arrayBuffer();
      const [bare, defaulted] = seen;
      for (const field of ["accept", "accept-encoding", "user-agent"]) {
        assert.equal(bare!.fields[field], undefined, field);
        assert.notEqual(defaulted!.fields[field], undefined, field);
      }
      // Over HTTP/2 the host travels as :authority, which the server does not copy.
      if (!tls) assert.equal(bare!.fields["host"], new URL(server.url).host);
    });
  });

  test(`${name}: a stream body goes with its declared Content-Length, or chunked`, async () => {
    await withEcho(tls, async (server, client, seen) => {
      await (await client.fetch(server.url, {
        method: "PUT",
        headers: { "content-length": "11" },
        body: stream(["hello", " world"]),
      })).arrayBuffer();
      await (await client.fetch(server.url, { method: "PUT", body: stream(["a", "b"]) }))
        .arrayBuffer();
      // Over HTTP/2 END_STREAM ends a stream's body and no length is sent.
      assert.equal(seen[0]!.fields["content-length"], tls ? undefined : "11");
      assert.equal(seen[0]!.fields["transfer-encoding"], undefined);
      assert.equal(seen[0]!.body, "hello world");
      assert.equal(seen[1]!.fields["content-length"], undefined);
      if (!tls) assert.equal(seen[1]!.fields["transfer-encoding"], "chunked");
      assert.equal(seen[1]!.body, "ab");
    });
  });

  test(`${name}: a stream shorter or longer than its Content-Length fails the request`, async () => {
    await withEcho(tls, async (server, client) => {
      for (const parts of [["short"], ["far too long"]]) {
        await assert.rejects(
          client.fetch(server.url, {
            method: "POST",
            headers: { "content-length": "8" },
            body: stream(parts),
          }).then((response) => response.arrayBuffer()),
          (error) => error instanceof FetchError && error.code === "REQUEST_BODY_FAILED",
        );
      }
      // The client goes on with a fresh connection or stream.
      const after = await client.fetch(server.url, { method: "POST", body: "ok" });
      assert.equal(after.status, 200);
      await after.arrayBuffer();
    });
  });
}
