// writeInterimToServerResponse() is the one writer of interim responses through
// a node:http ServerResponse (the node-http backend and hint() under
// @hono/node-server). A call that comes too late (the final head is out, the
// response ended, the client left) returns why and writes nothing, on every
// runtime's node:http: it must never throw ERR_HTTP_HEADERS_SENT from a timer.
import { test } from "node:test";
import assert from "node:assert/strict";
import http from "node:http";
import net from "node:net";
import type { AddressInfo } from "node:net";
import { writeInterimToServerResponse } from "../src/server/server_response_interim.ts";
import type { InformationalResult } from "../src/server/types.ts";

const LINK: [string, string][] = [["link", "</a.css>; rel=preload; as=style"]];

/** Serves one request with `handle`, from a raw client that sends `request`; resolves with what it read. */
async function serveOnce(
  request: string,
  handle: (req: http.IncomingMessage, res: http.ServerResponse, client: () => net.Socket) => void,
): Promise<string> {
  let client: net.Socket | undefined;
  const server = http.createServer((req, res) => handle(req, res, () => client!));
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  try {
    const { port } = server.address() as AddressInfo;
    return await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error("no end within 10 s")), 10_000);
      let text = "";
      client = net.connect(port, "127.0.0.1", () => client!.write(request));
      client.setEncoding("latin1");
      client.on("data", (chunk: string) => (text += chunk));
      client.on("error", () => {});
      client.on("close", () => {
        clearTimeout(timer);
        resolve(text);
      });
    });
  } finally {
    server.closeAllConnections?.();
    await new Promise((resolve) => server.close(resolve));
  }
}

test("writeInterimToServerResponse() after the head, after end() and after the client left returns why, never throws", async () => {
  const results: InformationalResult[] = [];
  const text = await serveOnce(
    "GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
    (req, res) => {
      results.push(writeInterimToServerResponse(res, req, 103, LINK));
      res.write("part1,");
      results.push(writeInterimToServerResponse(res, req, 103, LINK));
      res.end("part2");
      results.push(writeInterimToServerResponse(res, req, 103, LINK));
    },
  );
  assert.deepEqual(results, [
    { sent: true },
    { sent: false, reason: "final-response-started" },
    { sent: false, reason: "finished" },
  ]);
  assert.equal(text.match(/HTTP\/1\.1 103 /g)?.length, 1, text);
  assert.match(text, /part1,[^]*part2/);

  let afterClose!: Promise<InformationalResult>;
  await serveOnce("GET / HTTP/1.1\r\nHost: x\r\n\r\n", (req, res, client) => {
    afterClose = new Promise((resolve) => {
      res.once("close", () => resolve(writeInterimToServerResponse(res, req, 103, LINK)));
    });
    client().destroy();
  });
  assert.deepEqual(await afterClose, { sent: false, reason: "closed" });
});
