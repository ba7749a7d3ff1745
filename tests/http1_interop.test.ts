/**
 * The engine against real peers on 127.0.0.1: node:http's server and client
 * (llhttp on Node) parse what the serialisers write, and the parsers read
 * what node:http writes.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import * as http from "node:http";
import * as net from "node:net";
import type { AddressInfo } from "node:net";
import { RequestParser } from "../src/http1/request_parser.ts";
import { ResponseParser } from "../src/http1/response_parser.ts";
import {
  encodeChunk,
  encodeInformational,
  encodeRequestHead,
  encodeResponseHead,
  LAST_CHUNK,
} from "../src/http1/serialize.ts";
import type { RequestEvent, ResponseEvent } from "../src/http1/types.ts";

const TIMEOUT_MS = 5000;

function withTimeout<T>(promise: Promise<T>, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out: ${what}`)), TIMEOUT_MS);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

function listen(server: net.Server): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => resolve((server.address() as AddressInfo).port));
  });
}

function close(server: net.Server): Promise<void> {
  return new Promise((resolve) => server.close(() => resolve()));
}

test("ResponseParser reads node:http writeEarlyHints and the final response", async () => {
  const server = http.createServer((_request, response) => {
    response.writeEarlyHints({ link: ["</a.css>; rel=preload; as=style", "</b.js>; rel=preload"] });
    response.writeHead(200, { "content-type": "text/plain", "x-pod-name": "worker-1" });
    response.end("hello");
  });
  const port = await listen(server);
  const socket = net.connect(port, "127.0.0.1");
  try {
    const parser = new ResponseParser({ allowBareLf: false });
    const events: ResponseEvent[] = [];
    const done = new Promise<void>((resolve, reject) => {
      socket.on("data", (chunk: Uint8Array) => {
        try {
          parser.push(new Uint8Array(chunk));
          for (let event = parser.next(); event !== undefined; event = parser.next()) {
            events.push(event);
            if (event.kind === "end") resolve();
          }
        } catch (error) {
          reject(error);
        }
      });
      socket.on("error", reject);
      socket.on("close", () => reject(new Error("closed before the response ended")));
    });
    parser.expect("GET");
    socket.write(encodeRequestHead("GET", "/", [["host", `127.0.0.1:${port}`]]));
    await withTimeout(done, "response from node:http");
    const hint = events[0];
    assert.ok(hint?.kind === "informational");
    assert.equal(hint.status, 103);
    // node:http may write the two links as one field or two; compare as a list.
    assert.equal(
      hint.headers.filter(([name]) => name === "link").map(([, value]) => value).join(", "),
      "</a.css>; rel=preload; as=style, </b.js>; rel=preload",
    );
    const head = events[1];
    assert.ok(head?.kind === "response");
    assert.equal(head.status, 200);
    assert.ok(head.headers.some(([name, value]) => name === "x-pod-name" && value === "worker-1"));
    assert.ok(head.keepAlive);
    const body = events.filter((event) => event.kind === "data")
      .map((event) => new TextDecoder().decode(event.data)).join("");
    assert.equal(body, "hello");
    assert.equal(events[events.length - 1]?.kind, "end");
  } finally {
    socket.destroy();
    await close(server);
  }
});

test("RequestParser reads a node:http client request; node:http reads our 103 and chunked reply", async () => {
  const received: RequestEvent[] = [];
  const sockets = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    sockets.add(socket);
    const parser = new RequestParser();
    socket.on("data", (chunk: Uint8Array) => {
      try {
        parser.push(new Uint8Array(chunk));
        for (let event = parser.next(); event !== undefined; event = parser.next()) {
          received.push(event);
          if (event.kind !== "end") continue;
          socket.write(
            encodeInformational(103, [["Link", "</c.css>; rel=preload"], ["X-Pod-Name", "w-2"]]),
          );
          socket.write(encodeResponseHead(200, undefined, [
            ["Content-Type", "text/plain"],
            ["Transfer-Encoding", "chunked"],
          ]));
          socket.write(encodeChunk(new TextEncoder().encode("chunked ")));
          socket.write(encodeChunk(new TextEncoder().encode("reply")));
          socket.write(LAST_CHUNK);
        }
      } catch (error) {
        socket.destroy(error as Error);
      }
    });
    socket.on("error", () => {});
  });
  const port = await listen(server);
  const agent = new http.Agent({ keepAlive: false });
  try {
    const interim: Array<{ statusCode: number; headers: Record<string, unknown> }> = [];
    const reply = await withTimeout(
      new Promise<{ status: number; body: string }>((resolve, reject) => {
        const request = http.request({
          host: "127.0.0.1",
          port,
          method: "POST",
          path: "/upload?x=1",
          agent,
          headers: { "content-type": "text/plain", "x-trace": "abc" },
        }, (response) => {
          const parts: Uint8Array[] = [];
          response.on("data", (part: Uint8Array) => parts.push(part));
          response.on("end", () =>
            resolve({
              status: response.statusCode ?? 0,
              body: parts.map((part) => new TextDecoder().decode(part)).join(""),
            }));
          response.on("error", reject);
        });
        request.on(
          "information",
          (info: { statusCode: number; headers: Record<string, unknown> }) => {
            interim.push({ statusCode: info.statusCode, headers: info.headers });
          },
        );
        request.on("error", reject);
        request.write("part one, ");
        request.end("part two");
      }),
      "node:http client round trip",
    );
    assert.equal(reply.status, 200);
    assert.equal(reply.body, "chunked reply");
    assert.equal(interim.length, 1);
    assert.equal(interim[0]?.statusCode, 103);
    assert.equal(interim[0]?.headers["x-pod-name"], "w-2");

    const head = received[0];
    assert.ok(head?.kind === "request");
    assert.equal(head.method, "POST");
    assert.equal(head.target, "/upload?x=1");
    assert.ok(head.headers.some(([name, value]) => name === "x-trace" && value === "abc"));
    const body = received.filter((event) => event.kind === "data")
      .map((event) => new TextDecoder().decode(event.data)).join("");
    assert.equal(body, "part one, part two");
    assert.equal(received[received.length - 1]?.kind, "end");
  } finally {
    agent.destroy();
    for (const socket of sockets) socket.destroy();
    await close(server);
  }
});
