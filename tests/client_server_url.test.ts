// server.url is a URL our fetch reaches as is: http+unix:// (and https+unix://)
// for a unix socket, the loopback of the family for a wildcard bind.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import net from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { Client, fetch, FetchError } from "../client.ts";
import { sendInformational, serve, type Server } from "../server.ts";

const FIXTURES = new URL("./fixtures/tls/", import.meta.url);
const read = (name: string) => readFileSync(new URL(name, FIXTURES), "utf8");

interface Seen {
  host: string | null;
  url: string;
  authorization: string | null;
}

/** `/hint` sends a 103, `/to?location=...` redirects, anything else answers with what it saw. */
function handler(seen: Seen[]) {
  return (request: Request): Response => {
    seen.push({
      host: request.headers.get("host"),
      url: request.url,
      authorization: request.headers.get("authorization"),
    });
    const url = new URL(request.url);
    if (url.pathname === "/hint") {
      sendInformational(request, 103, { link: "</app.css>; rel=preload; as=style" });
    }
    if (url.pathname === "/to") {
      return new Response(null, {
        status: 302,
        headers: { location: url.searchParams.get("location")! },
      });
    }
    return new Response(`${request.method} ${url.pathname}${url.search}`);
  };
}

/** Runs `run` with a started server, then closes it. */
async function withServer<T>(
  started: Promise<Server>,
  run: (server: Server) => Promise<T>,
): Promise<T> {
  const server = await started;
  try {
    return await run(server);
  } finally {
    await server.close();
  }
}

async function withTempDir<T>(run: (directory: string) => Promise<T>): Promise<T> {
  const directory = await mkdtemp(path.join(tmpdir(), "interim-url-"));
  try {
    return await run(directory);
  } finally {
    await rm(directory, { recursive: true, force: true });
  }
}

/** Whether this host can bind and reach `::1` (containers often have no IPv6 loopback). */
async function hasIpv6Loopback(): Promise<boolean> {
  const probe = net.createServer();
  try {
    await new Promise<void>((resolve, reject) => {
      probe.once("error", reject);
      probe.listen(0, "::1", resolve);
    });
    return true;
  } catch {
    return false;
  } finally {
    await new Promise<void>((resolve) => probe.close(() => resolve()));
  }
}

const ipv6Skip = (await hasIpv6Loopback()) ? false : "this host has no IPv6 loopback (::1)";

test("server.url of a unix socket server is http+unix:// and fetch() round-trips through it", async () => {
  await withTempDir(async (directory) => {
    const socketPath = path.join(directory, "app 1.sock");
    const seen: Seen[] = [];
    await withServer(serve(handler(seen), { path: socketPath }), async (server) => {
      assert.equal(server.url, `http+unix://${encodeURIComponent(socketPath)}`);
      assert.deepEqual(server.addr, { transport: "unix", path: socketPath });

      const hints: string[] = [];
      const response = await fetch(`${server.url}/hint?a=1&b=%20`, {
        onInformational: (info) => hints.push(info.headers.get("link") ?? ""),
      });
      assert.equal(response.status, 200);
      assert.equal(await response.text(), "GET /hint?a=1&b=%20");
      assert.deepEqual(hints, ["</app.css>; rel=preload; as=style"]);
      assert.equal(response.url, `${server.url}/hint?a=1&b=%20`);
      // The Host curl --unix-socket sends; the handler's URL is built from it.
      assert.equal(seen[0]!.host, "localhost");
      assert.equal(seen[0]!.url, "http://localhost/hint?a=1&b=%20");

      // The bare URL (no path) requests "/"; a Request carries the URL as well.
      assert.equal(await (await fetch(server.url)).text(), "GET /");
      const request = new Request(`${server.url}/r`, { method: "POST", body: "x" });
      assert.equal(await (await fetch(request)).text(), "POST /r");
    });
  });
});

test("Client reuses one socket for a unix URL, whatever the case of its percent-encoding", async () => {
  await withTempDir(async (directory) => {
    const socketPath = path.join(directory, "keep.sock");
    let connections = 0;
    const peer = net.createServer((socket) => {
      connections++;
      let buffered = "";
      socket.on("data", (chunk) => {
        buffered += chunk.toString("latin1");
        while (buffered.includes("\r\n\r\n")) {
          buffered = buffered.slice(buffered.indexOf("\r\n\r\n") + 4);
          socket.write("HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok");
        }
      });
      socket.on("error", () => {});
    });
    await new Promise<void>((resolve) => peer.listen(socketPath, resolve));
    const client = new Client();
    try {
      const upper = `http+unix://${encodeURIComponent(socketPath)}/a`;
      const lower = upper.replaceAll("%2F", "%2f");
      assert.notEqual(upper, lower);
      for (const url of [upper, lower, upper]) {
        assert.equal(await (await client.fetch(url)).text(), "ok");
      }
      assert.equal(connections, 1);
    } finally {
      await client.close();
      await new Promise<void>((resolve) => peer.close(() => resolve()));
    }
  });
});

test("server.url of a TLS server on a unix socket is https+unix:// and fetch() verifies it as localhost", async () => {
  await withTempDir(async (directory) => {
    const socketPath = path.join(directory, "tls.sock");
    const seen: Seen[] = [];
    const tls = { cert: read("test-server-cert.pem"), key: read("test-server-key.pem") };
    await withServer(serve(handler(seen), { path: socketPath, ...tls }), async (server) => {
      assert.equal(server.url, `https+unix://${encodeURIComponent(socketPath)}`);
      const client = new Client({ tls: { ca: read("test-ca-cert.pem") } });
      try {
        const response = await client.fetch(`${server.url}/secure`);
        assert.equal(await response.text(), "GET /secure");
        assert.equal(seen[0]!.host, "localhost");
        // Without the test CA the same URL fails verification.
        await assert.rejects(fetch(`${server.url}/secure`), { code: "TLS_FAILURE" });
      } finally {
        await client.close();
      }
    });
  });
});

test("server.url of a server bound to 0.0.0.0 names 127.0.0.1, and fetch() reaches it", async () => {
  await withServer(serve(handler([]), { hostname: "0.0.0.0", port: 0 }), async (server) => {
    assert.ok(server.addr.transport === "tcp");
    assert.equal(server.addr.hostname, "0.0.0.0");
    assert.equal(server.url, `http://127.0.0.1:${server.addr.port}`);
    assert.equal(await (await fetch(`${server.url}/x`)).text(), "GET /x");
  });
});

test("server.url of a server bound to :: names [::1], and fetch() reaches it", {
  skip: ipv6Skip,
}, async () => {
  await withServer(serve(handler([]), { hostname: "::", port: 0 }), async (server) => {
    assert.ok(server.addr.transport === "tcp");
    assert.equal(server.addr.hostname, "::");
    assert.equal(server.url, `http://[::1]:${server.addr.port}`);
    assert.equal(await (await fetch(`${server.url}/y`)).text(), "GET /y");
  });
});

test("a redirect stays on a unix socket only within the same socket", async () => {
  await withTempDir(async (directory) => {
    const seen: Seen[] = [];
    const unix = serve(handler(seen), { path: path.join(directory, "a.sock") });
    await withServer(
      unix,
      (server) =>
        withServer(serve(handler(seen), { hostname: "127.0.0.1", port: 0 }), async (tcp) => {
          const init = { headers: { authorization: "Bearer secret" } };

          // A relative Location resolves on the same socket and keeps credentials.
          const same = await fetch(`${server.url}/to?location=/there`, init);
          assert.equal(await same.text(), "GET /there");
          assert.equal(same.url, `${server.url}/there`);
          assert.equal(same.redirected, true);
          assert.equal(seen.at(-1)!.authorization, "Bearer secret");

          // Leaving the socket for TCP is followed, without the credentials.
          const leaving = await fetch(
            `${server.url}/to?location=${encodeURIComponent(`${tcp.url}/tcp`)}`,
            init,
          );
          assert.equal(await leaving.text(), "GET /tcp");
          assert.equal(seen.at(-1)!.authorization, null);

          // The same socket under the other scheme is followed (the TLS
          // handshake then fails on this plain server), not refused.
          const tlsHere = server.url.replace(/^http\+unix:/, "https+unix:") + "/x";
          await assert.rejects(
            fetch(`${server.url}/to?location=${encodeURIComponent(tlsHere)}`),
            (error) => {
              assert.ok(error instanceof FetchError);
              assert.equal(error.code, "TLS_FAILURE", error.message);
              return true;
            },
          );

          // Another socket, or a socket reached from TCP, is refused.
          const other = `http+unix://${encodeURIComponent(path.join(directory, "b.sock"))}/x`;
          for (const start of [server.url, tcp.url]) {
            await assert.rejects(
              fetch(`${start}/to?location=${encodeURIComponent(other)}`),
              (error) => {
                assert.ok(error instanceof FetchError);
                assert.equal(error.code, "INVALID_REDIRECT");
                assert.match(error.message, /b\.sock/);
                return true;
              },
            );
          }
        }),
    );
  });
});

test("fetch() refuses a unix URL without a socket path or with a port", async () => {
  for (
    const url of ["http+unix:///x", "http+unix://%2Ftmp%2Fa.sock:80/x", "http+unix://%E0%A4%A/"]
  ) {
    await assert.rejects(fetch(url), (error) => {
      assert.ok(error instanceof FetchError, url);
      assert.equal(error.code, "INVALID_REQUEST", url);
      assert.match(error.message, /%2Frun%2Fapp\.sock/, url);
      return true;
    });
  }
});
