// Redirects per the fetch standard: follow (with method and header rules),
// manual, error, the limit, and bodies that cannot be replayed.
import { test } from "node:test";
import assert from "node:assert/strict";
import http from "node:http";
import { Client, fetch, FetchError } from "../client.ts";

interface Seen {
  method: string;
  url: string;
  headers: http.IncomingHttpHeaders;
  body: string;
}

async function withServer<T>(
  handler: (req: http.IncomingMessage, res: http.ServerResponse, body: string) => void,
  run: (url: string, seen: Seen[]) => Promise<T>,
): Promise<T> {
  const seen: Seen[] = [];
  const server = http.createServer((req, res) => {
    let body = "";
    req.setEncoding("utf8");
    req.on("data", (chunk: string) => body += chunk);
    req.on("end", () => {
      seen.push({ method: req.method!, url: req.url!, headers: req.headers, body });
      handler(req, res, body);
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

/** `/r/<status>/<n>` redirects n times with that status, then `/done` reports the method and body. */
function redirector(req: http.IncomingMessage, res: http.ServerResponse, body: string): void {
  const match = /^\/r\/(\d+)\/(\d+)/.exec(req.url!);
  if (match !== null) {
    const [, status, left] = match;
    const next = Number(left) > 1 ? `/r/${status}/${Number(left) - 1}` : "/done";
    res.writeHead(Number(status), { location: next, "content-length": "0" }).end();
    return;
  }
  if (req.url === "/loop") {
    res.writeHead(302, { location: "/loop" }).end("again");
    return;
  }
  if (req.url === "/nowhere") {
    res.writeHead(302, { "content-length": "0" }).end();
    return;
  }
  res.end(`${req.method} ${body}`);
}

test("fetch() follows redirects and sets url and redirected", async () => {
  await withServer(redirector, async (url) => {
    const response = await fetch(`${url}/r/301/3#frag`);
    assert.equal(response.status, 200);
    assert.equal(response.redirected, true);
    assert.equal(response.url, `${url}/done`, "the fragment is not part of response.url");
    assert.equal(await response.text(), "GET ");
    const direct = await fetch(`${url}/done`);
    assert.equal(direct.redirected, false);
    await direct.text();
  });
});

test("fetch() turns POST into GET on 301/302/303 and drops the body, keeps it on 307/308", async () => {
  await withServer(redirector, async (url, seen) => {
    for (const status of [301, 302, 303]) {
      const response = await fetch(`${url}/r/${status}/1`, {
        method: "POST",
        body: "payload",
        headers: { "content-type": "text/x-payload", "x-keep": "1" },
      });
      assert.equal(await response.text(), "GET ", `status ${status}`);
      const last = seen.at(-1)!;
      assert.equal(last.headers["content-type"], undefined);
      assert.equal(last.headers["content-length"], undefined);
      assert.equal(last.headers["x-keep"], "1");
    }
    for (const status of [307, 308]) {
      const response = await fetch(`${url}/r/${status}/2`, { method: "POST", body: "payload" });
      assert.equal(await response.text(), "POST payload", `status ${status}`);
    }
    const put = await fetch(`${url}/r/303/1`, { method: "PUT", body: "x" });
    assert.equal(await put.text(), "GET ");
  });
});

test("fetch() refuses to replay a stream body on 307/308", async () => {
  await withServer(redirector, async (url) => {
    const body = new ReadableStream({
      start(controller) {
        controller.enqueue(new TextEncoder().encode("once"));
        controller.close();
      },
    });
    await assert.rejects(fetch(`${url}/r/307/1`, { method: "POST", body }), (error) => {
      assert.ok(error instanceof FetchError);
      assert.equal(error.code, "REDIRECT_UNREPLAYABLE");
      return true;
    });
  });
});

test("fetch() with redirect: manual returns the redirect itself; error rejects", async () => {
  await withServer(redirector, async (url) => {
    const manual = await fetch(`${url}/r/302/1`, { redirect: "manual" });
    assert.equal(manual.status, 302);
    assert.equal(manual.headers.get("location"), "/done");
    assert.equal(manual.redirected, false);
    await manual.text();
    await assert.rejects(fetch(`${url}/r/302/1`, { redirect: "error" }), (error) => {
      assert.ok(error instanceof FetchError);
      assert.equal(error.code, "REDIRECT_REFUSED");
      return true;
    });
    // A Request's own redirect mode is honoured.
    const viaRequest = await fetch(new Request(`${url}/r/308/1`, { redirect: "manual" }));
    assert.equal(viaRequest.status, 308);
    await viaRequest.text();
  });
});

test("fetch() stops at the redirect limit with REDIRECT_LIMIT", async () => {
  await withServer(redirector, async (url, seen) => {
    await assert.rejects(fetch(`${url}/loop`), (error) => {
      assert.ok(error instanceof FetchError);
      assert.equal(error.code, "REDIRECT_LIMIT");
      return true;
    });
    assert.equal(seen.length, 21, "the first request and 20 redirects");
    const client = new Client({ maxRedirections: 2 });
    try {
      await assert.rejects(client.fetch(`${url}/r/302/3`), { code: "REDIRECT_LIMIT" });
      const ok = await client.fetch(`${url}/r/302/2`);
      assert.equal(await ok.text(), "GET ");
    } finally {
      await client.close();
    }
  });
});

test("fetch() returns a redirect without Location as the response", async () => {
  await withServer(redirector, async (url) => {
    const response = await fetch(`${url}/nowhere`);
    assert.equal(response.status, 302);
    assert.equal(response.redirected, false);
  });
});

test("fetch() drops credentials when a redirect changes origin", async () => {
  await withServer((_req, res) => res.end("target"), async (targetUrl, targetSeen) => {
    await withServer((req, res) => {
      if (req.url === "/same") res.writeHead(302, { location: "/landed" }).end();
      else if (req.url === "/cross") res.writeHead(302, { location: `${targetUrl}/landed` }).end();
      else res.end("same");
    }, async (url, seen) => {
      const headers = { authorization: "Bearer secret", cookie: "a=b", "x-other": "kept" };
      await (await fetch(`${url}/same`, { headers })).text();
      assert.equal(seen.at(-1)!.headers.authorization, "Bearer secret");
      assert.equal(seen.at(-1)!.headers.cookie, "a=b");
      const response = await fetch(`${url}/cross`, { headers });
      assert.equal(await response.text(), "target");
      const last = targetSeen.at(-1)!;
      assert.equal(last.headers.authorization, undefined);
      assert.equal(last.headers.cookie, undefined);
      assert.equal(last.headers["x-other"], "kept");
      assert.equal(last.headers.host, new URL(targetUrl).host);
    });
  });
});

test("fetch() refuses a redirect to a non-HTTP scheme", async () => {
  await withServer(
    (_req, res) => res.writeHead(302, { location: "file:///etc/passwd" }).end(),
    async (url) => {
      await assert.rejects(fetch(url), (error) => {
        assert.ok(error instanceof FetchError);
        assert.equal(error.code, "INVALID_REDIRECT");
        return true;
      });
    },
  );
});

test("fetch() takes a Request's method, headers, body and signal, with init overriding them", async () => {
  await withServer((req, res, body) => {
    if (req.url === "/hang") return;
    res.end(`${req.method} ${req.headers["x-from"]} ${body}`);
  }, async (url) => {
    const request = new Request(`${url}/echo`, {
      method: "PUT",
      headers: { "x-from": "request" },
      body: "request body",
    });
    assert.equal(await (await fetch(request)).text(), "PUT request request body");
    const overridden = new Request(`${url}/echo`, { method: "POST", body: "ignored" });
    const response = await fetch(overridden, {
      method: "DELETE",
      headers: { "x-from": "init" },
      body: "init body",
    });
    assert.equal(await response.text(), "DELETE init init body");
    const controller = new AbortController();
    const pending = fetch(new Request(`${url}/hang`, { signal: controller.signal }));
    setTimeout(() => controller.abort(), 20);
    await assert.rejects(
      pending,
      (error) => error instanceof DOMException && error.name === "AbortError",
    );
  });
});
