// The client's reason to exist: interim responses reported in order, before
// the final one, from node:http's writeEarlyHints and from raw-byte servers,
// with the failure modes (throwing callback, too many, cut short) named.
import { test } from "node:test";
import assert from "node:assert/strict";
import http from "node:http";
import { Client, fetch, FetchError, type InformationalResponse } from "../client.ts";
import { rawResponse, startRawServer } from "./_support/raw_server.ts";

async function withHttpServer<T>(
  handler: http.RequestListener,
  run: (url: string) => Promise<T>,
): Promise<T> {
  const server = http.createServer(handler);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as { port: number };
  try {
    return await run(`http://127.0.0.1:${port}`);
  } finally {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}

test("fetch() reports node:http writeEarlyHints before resolving, with link and pod headers", async () => {
  const events: string[] = [];
  await withHttpServer((_req, res) => {
    res.writeEarlyHints({
      link: ["</style.css>; rel=preload; as=style", "</app.js>; rel=preload; as=script"],
      "x-pod-name": "daemon-7",
      "x-pod-namespace": "kube-system",
    });
    setTimeout(() => {
      res.setHeader("content-type", "text/plain");
      res.end("done");
    }, 30);
  }, async (url) => {
    const seen: InformationalResponse[] = [];
    const response = await fetch(`${url}/work`, {
      onInformational(info) {
        events.push(`hint ${info.status}`);
        seen.push(info);
      },
    });
    events.push(`final ${response.status}`);
    assert.deepEqual(events, ["hint 103", "final 200"]);
    assert.ok(response instanceof Response);
    assert.equal(seen.length, 1);
    const hint = seen[0]!;
    assert.equal(hint.status, 103);
    assert.equal(hint.statusText, "Early Hints");
    assert.ok(hint.headers instanceof Headers);
    assert.equal(hint.headers.get("x-pod-name"), "daemon-7");
    assert.equal(hint.headers.get("x-pod-namespace"), "kube-system");
    // node:http joins an array of links into one field line.
    assert.deepEqual(
      hint.rawHeaders.filter(([name]) => name === "link").map(([, value]) => value),
      ["</style.css>; rel=preload; as=style, </app.js>; rel=preload; as=script"],
    );
    assert.equal(
      response.headers.get("x-pod-name"),
      null,
      "hints are not merged into the final response",
    );
    assert.deepEqual(response.informational, seen, "the same objects, kept on the response");
    assert.equal(response.url, `${url}/work`);
    assert.equal(response.redirected, false);
    assert.equal(await response.text(), "done");
  });
});

test("fetch() reports several interim responses of different codes in arrival order", async () => {
  const server = await startRawServer(async (peer) => {
    await peer.readHead();
    peer.write("HTTP/1.1 100 Continue\r\n\r\n");
    peer.write("HTTP/1.1 103 Early Hints\r\nx-pod-name: a\r\nlink: </1>\r\n\r\n");
    peer.write("HTTP/1.1 102 Processing\r\n\r\n");
    await new Promise((resolve) => setTimeout(resolve, 10));
    peer.write("HTTP/1.1 103 Early Hints\r\nx-pod-name: b\r\nlink: </2>\r\nlink: </3>\r\n\r\n");
    peer.write("HTTP/1.1 199 Whatever\r\nx-odd: yes\r\n\r\n");
    peer.write(rawResponse("final", "200 OK", "x-pod-name: final\r\n"));
  });
  try {
    const order: string[] = [];
    const response = await fetch(server.url, {
      onInformational(info) {
        order.push(`${info.status} ${info.headers.get("x-pod-name") ?? "-"}`);
      },
    });
    assert.deepEqual(order, ["100 -", "103 a", "102 -", "103 b", "199 -"]);
    assert.deepEqual(response.informational.map((info) => info.status), [100, 103, 102, 103, 199]);
    assert.equal(response.informational[3]!.headers.get("link"), "</2>, </3>");
    assert.equal(response.informational[4]!.statusText, "Whatever");
    assert.equal(response.headers.get("x-pod-name"), "final");
    assert.equal(await response.text(), "final");
  } finally {
    await server.close();
  }
});

test("fetch() runs an async onInformational to completion before the promise resolves", async () => {
  const server = await startRawServer(async (peer) => {
    await peer.readHead();
    peer.write(
      "HTTP/1.1 103 Early Hints\r\nx-n: 1\r\n\r\nHTTP/1.1 103 Early Hints\r\nx-n: 2\r\n\r\n" +
        rawResponse("ok"),
    );
  });
  try {
    const log: string[] = [];
    const response = await fetch(server.url, {
      async onInformational(info) {
        log.push(`start ${info.headers.get("x-n")}`);
        await new Promise((resolve) => setTimeout(resolve, 20));
        log.push(`end ${info.headers.get("x-n")}`);
      },
    });
    log.push("resolved");
    assert.deepEqual(log, ["start 1", "end 1", "start 2", "end 2", "resolved"]);
    assert.equal(await response.text(), "ok");
  } finally {
    await server.close();
  }
});

test("fetch() rejects with the error onInformational throws, and closes the connection", async () => {
  let closed!: Promise<void>;
  const server = await startRawServer(async (peer) => {
    closed = new Promise((resolve) => peer.socket.once("close", () => resolve()));
    await peer.readHead();
    peer.write("HTTP/1.1 103 Early Hints\r\nx-pod-name: p\r\n\r\n");
    // The final response never comes: only the callback's error can end this.
  });
  const client = new Client();
  try {
    const failure = new Error("stop after the hint");
    await assert.rejects(
      client.fetch(server.url, {
        onInformational() {
          throw failure;
        },
      }),
      (error) => error === failure,
    );
    await closed;
    const asyncFailure = new Error("async stop");
    await assert.rejects(
      client.fetch(server.url, { onInformational: () => Promise.reject(asyncFailure) }),
      (error) => error === asyncFailure,
    );
  } finally {
    await client.close();
    await server.close();
  }
});

test("fetch() fails with TOO_MANY_INFORMATIONAL past maxInformational instead of waiting", async () => {
  const server = await startRawServer(async (peer) => {
    await peer.readHead();
    for (let i = 0; i < 500 && !peer.socket.destroyed; i++) {
      peer.write(`HTTP/1.1 103 Early Hints\r\nx-i: ${i}\r\n\r\n`);
      await new Promise((resolve) => setImmediate(resolve));
    }
  });
  const client = new Client({ maxInformational: 3 });
  try {
    let count = 0;
    await assert.rejects(
      client.fetch(server.url, { onInformational: () => void count++ }),
      (error) => {
        assert.ok(error instanceof FetchError && error instanceof TypeError);
        assert.equal(error.code, "TOO_MANY_INFORMATIONAL");
        assert.match(error.message, /3/);
        return true;
      },
    );
    assert.equal(count, 3);
    // The default bound is 100.
    await assert.rejects(fetch(server.url), { code: "TOO_MANY_INFORMATIONAL" });
  } finally {
    await client.close();
    await server.close();
  }
});

test("fetch() names a connection closed between a 103 and the final response", async () => {
  const server = await startRawServer(async (peer) => {
    await peer.readHead();
    peer.end("HTTP/1.1 103 Early Hints\r\nx-pod-name: gone\r\n\r\n");
  });
  try {
    const hints: string[] = [];
    await assert.rejects(
      fetch(server.url, {
        onInformational: (info) => void hints.push(info.headers.get("x-pod-name")!),
      }),
      (error) => {
        assert.ok(error instanceof FetchError);
        assert.equal(error.code, "CLOSED_BEFORE_RESPONSE");
        assert.match(error.message, /1 interim/);
        return true;
      },
    );
    assert.deepEqual(hints, ["gone"]);
  } finally {
    await server.close();
  }
});

test("fetch() refuses 101 Switching Protocols and statuses a Response cannot carry", async () => {
  const replies = [
    "HTTP/1.1 101 Switching Protocols\r\nupgrade: websocket\r\nconnection: upgrade\r\n\r\n",
    rawResponse("x", "600 Beyond"),
    rawResponse("x", "1033 Four Digits"),
    rawResponse("x", "099 Too Small"),
  ];
  let next = 0;
  const server = await startRawServer(async (peer) => {
    const reply = replies[next++]!;
    await peer.readHead();
    peer.write(reply);
  });
  try {
    await assert.rejects(fetch(server.url, { headers: { connection: "close" } }), (error) => {
      assert.ok(error instanceof FetchError);
      assert.equal(error.code, "UNSUPPORTED_STATUS");
      assert.match(error.message, /101/);
      return true;
    });
    await assert.rejects(fetch(server.url, { headers: { connection: "close" } }), (error) => {
      assert.ok(error instanceof FetchError);
      assert.equal(error.code, "UNSUPPORTED_STATUS");
      assert.match(error.message, /600/);
      return true;
    });
    await assert.rejects(fetch(server.url, { headers: { connection: "close" } }), (error) => {
      assert.ok(error instanceof FetchError);
      assert.ok(["BAD_SYNTAX", "INVALID_STATUS"].includes(error.code), error.code);
      return true;
    });
    await assert.rejects(fetch(server.url, { headers: { connection: "close" } }), (error) => {
      assert.ok(error instanceof FetchError);
      assert.ok(["BAD_SYNTAX", "INVALID_STATUS"].includes(error.code), error.code);
      return true;
    });
  } finally {
    await server.close();
  }
});

test("fetch() reports malformed interim responses with the engine's code", async () => {
  const server = await startRawServer(async (peer) => {
    await peer.readHead();
    peer.write("HTTP/1.1 103 Early Hints\r\nbad header\r\n\r\n");
  });
  try {
    await assert.rejects(fetch(server.url), (error) => {
      assert.ok(error instanceof FetchError);
      assert.ok(["BAD_SYNTAX", "INVALID_HEADER"].includes(error.code), error.code);
      assert.match(error.message, /response head/);
      return true;
    });
  } finally {
    await server.close();
  }
});
