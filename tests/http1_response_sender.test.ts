// The engine's send side: ResponseSender refuses what may not be sent now (a
// 1xx after the final head or to an HTTP/1.0 client, a second head, body
// bytes past or short of the length), and what it produces parses back with
// our ResponseParser. The framing rules have their own table
// (http1_response_framing.test.ts).
import { test } from "node:test";
import assert from "node:assert/strict";
import { Http1Error } from "../src/http1/errors.ts";
import { type FramingInput, responseFraming } from "../src/http1/response_framing.ts";
import { ResponseSender } from "../src/http1/response_sender.ts";
import { ResponseParser } from "../src/http1/response_parser.ts";
import { toBytes } from "../src/http1/serialize.ts";
import type { ResponseEvent } from "../src/http1/types.ts";

const GET_11: FramingInput = {
  minorVersion: 1,
  requestMethod: "GET",
  requestKeepAlive: true,
  closing: false,
  unreadBodyInDoubt: false,
  status: 200,
  declaredLength: -1,
  bodySize: 5,
};

function parse(method: string, ...wires: (string | Uint8Array)[]): ResponseEvent[] {
  const parser = new ResponseParser();
  parser.expect(method);
  for (const wire of wires) parser.push(toBytes(wire));
  const events: ResponseEvent[] = [];
  for (let event = parser.next(); event !== undefined; event = parser.next()) events.push(event);
  return events;
}

test("ResponseSender: 103s, then a chunked body, parse back in order", () => {
  const sender = new ResponseSender({ minorVersion: 1, method: "GET" });
  assert.equal(sender.acceptsInformational, true);
  const hint = sender.informational(103, [["link", "</a.css>; rel=preload"]]);
  const framing = responseFraming({ ...GET_11, bodySize: undefined });
  const head = sender.head(200, undefined, [["content-type", "text/plain"]], framing);
  assert.equal(sender.state, "body");
  const a = sender.data(new TextEncoder().encode("hel"));
  const b = sender.data(new TextEncoder().encode("lo"));
  const last = sender.end();
  assert.equal(sender.state, "done");
  assert.equal(sender.bytesSent, 5);
  const events = parse("GET", hint, head, a, b, last!);
  assert.deepEqual(events.map((e) => e.kind), ["informational", "response", "data", "data", "end"]);
  const text = events.flatMap((e) => e.kind === "data" ? [new TextDecoder().decode(e.data)] : []);
  assert.equal(text.join(""), "hello");
});

test("ResponseSender: no 1xx after the final head, to HTTP/1.0, or twice a head", () => {
  const sender = new ResponseSender({ minorVersion: 1, method: "GET" });
  sender.head(200, undefined, [], responseFraming(GET_11), "hello");
  assert.equal(sender.state, "done");
  assert.throws(() => sender.informational(103, []), (error: unknown) => {
    return error instanceof Http1Error && error.code === "LOCAL_PROTOCOL_ERROR";
  });
  assert.throws(() => sender.head(200, undefined, [], responseFraming(GET_11)), Http1Error);
  const old = new ResponseSender({ minorVersion: 0, method: "GET" });
  assert.equal(old.acceptsInformational, false);
  assert.throws(() => old.informational(103, []), /HTTP\/1\.0/);
});

test("ResponseSender: body bytes past or short of the Content-Length throw", () => {
  const framing = responseFraming({ ...GET_11, bodySize: undefined, declaredLength: 3 });
  const over = new ResponseSender({ minorVersion: 1, method: "GET" });
  over.head(200, undefined, [], framing);
  assert.throws(
    () => over.data(new Uint8Array(4)),
    /response body is longer than its content-length of 3 bytes/,
  );
  const short = new ResponseSender({ minorVersion: 1, method: "GET" });
  short.head(200, undefined, [], framing);
  short.data(new Uint8Array(2));
  assert.throws(() => short.end(), /response body has 2 bytes but its content-length says 3/);
});

test("ResponseSender: a HEAD answer is done at its head and states the length", () => {
  const sender = new ResponseSender({ minorVersion: 1, method: "HEAD" });
  const framing = responseFraming({ ...GET_11, requestMethod: "HEAD", bodySize: 5 });
  const head = sender.head(200, undefined, [], framing);
  assert.equal(sender.state, "done");
  assert.match(String(head), /content-length: 5\r\n/);
  const events = parse("HEAD", head);
  assert.deepEqual(events.map((e) => e.kind), ["response", "end"]);
});
