// The engine's send side: ResponseSender refuses what may not be sent now (a
// 1xx after the final head or to an HTTP/1.0 client, a 101, a second head,
// body bytes before the head, past or short of the length), and what it
// produces parses back with our ResponseParser. The framing rules have their
// own table (http1_response_framing.test.ts).
import { test } from "node:test";
import assert from "node:assert/strict";
import { Http1Error } from "../src/http1/errors.ts";
import { type FramingInput, responseFraming } from "../src/http1/response_framing.ts";
import { ResponseSender } from "../src/http1/response_sender.ts";
import { ResponseParser } from "../src/http1/response_parser.ts";
import { LAST_CHUNK, toBytes } from "../src/http1/serialize.ts";
import type { HeaderList, ResponseEvent } from "../src/http1/types.ts";

const encoder = new TextEncoder();
const decoder = new TextDecoder();

function framingFor(overrides: Partial<FramingInput>) {
  return responseFraming({
    minorVersion: 1,
    requestMethod: "GET",
    requestKeepAlive: true,
    closing: false,
    unreadBodyInDoubt: false,
    status: 200,
    declaredLength: -1,
    bodySize: undefined,
    ...overrides,
  });
}

function isLocalProtocolError(error: unknown): boolean {
  return error instanceof Http1Error && error.code === "LOCAL_PROTOCOL_ERROR";
}

/** Parses what the sender produced, as a client that sent `method` would. */
function parse(
  method: string,
  wire: Array<string | Uint8Array | undefined>,
  eof = false,
): ResponseEvent[] {
  const parser = new ResponseParser();
  parser.expect(method);
  for (const part of wire) if (part !== undefined) parser.push(toBytes(part));
  if (eof) parser.finish();
  const events: ResponseEvent[] = [];
  for (let event = parser.next(); event !== undefined; event = parser.next()) {
    events.push(event);
  }
  return events;
}

function bodyText(events: ResponseEvent[]): string {
  let text = "";
  for (const event of events) if (event.kind === "data") text += decoder.decode(event.data);
  return text;
}

test("ResponseSender: 1xx before the head, none after it", () => {
  const sender = new ResponseSender({ minorVersion: 1, method: "GET" });
  assert.equal(sender.state, "interim");
  assert.equal(sender.acceptsInformational, true);
  const hint = sender.informational(103, [["link", "</a.css>; rel=preload"]]);
  assert.equal(hint, "HTTP/1.1 103 Early Hints\r\nlink: </a.css>; rel=preload\r\n\r\n");
  assert.equal(sender.state, "interim");
  sender.head(200, undefined, [], framingFor({}));
  assert.equal(sender.state, "body");
  assert.equal(sender.acceptsInformational, false);
  assert.throws(() => sender.informational(103, []), isLocalProtocolError);
  assert.throws(() => sender.informational(100, []), isLocalProtocolError);
});

test("ResponseSender: no 1xx once a complete response is out", () => {
  const sender = new ResponseSender({ minorVersion: 1, method: "GET" });
  sender.head(200, undefined, [], framingFor({ bodySize: 2 }), "hi");
  assert.equal(sender.state, "done");
  assert.equal(sender.acceptsInformational, false);
  assert.throws(() => sender.informational(103, []), /after the final response's head/);
});

test("ResponseSender: no 1xx to an HTTP/1.0 client (RFC 9110 15.2)", () => {
  const sender = new ResponseSender({ minorVersion: 0, method: "GET" });
  assert.equal(sender.acceptsInformational, false);
  assert.throws(() => sender.informational(103, []), (error: unknown) => {
    return isLocalProtocolError(error) && /HTTP\/1\.0/.test((error as Error).message);
  });
  assert.equal(sender.state, "interim");
});

test("ResponseSender: 101 and non-1xx statuses are not interim responses", () => {
  const sender = new ResponseSender({ minorVersion: 1, method: "GET" });
  for (const status of [101, 99, 200, 204, 103.5]) {
    assert.throws(() => sender.informational(status, []), isLocalProtocolError, String(status));
  }
  assert.equal(sender.state, "interim");
  assert.equal(sender.acceptsInformational, true);
});

test("ResponseSender: a second head, or body bytes before the head, are refused", () => {
  const sender = new ResponseSender({ minorVersion: 1, method: "GET" });
  assert.throws(() => sender.data(encoder.encode("x")), isLocalProtocolError);
  assert.throws(() => sender.end(), isLocalProtocolError);
  sender.head(200, undefined, [], framingFor({ declaredLength: 1 }));
  assert.throws(() => sender.head(200, undefined, [], framingFor({})), isLocalProtocolError);
});

test("ResponseSender: a complete text response is one serializeResponse value with its framing fields", () => {
  const sender = new ResponseSender({ minorVersion: 1, method: "GET" });
  const fields: HeaderList = [["content-type", "text/plain"]];
  const wire = sender.head(
    200,
    undefined,
    fields,
    framingFor({ bodySize: 5, closing: true }),
    "hello",
  );
  assert.equal(
    wire,
    "HTTP/1.1 200 OK\r\ncontent-type: text/plain\r\ncontent-length: 5\r\nconnection: close\r\n\r\nhello",
  );
  assert.equal(sender.state, "done");
  assert.equal(sender.end(), undefined);
});

test("ResponseSender: a HEAD answer leaves the text body out but states its length", () => {
  const sender = new ResponseSender({ minorVersion: 1, method: "HEAD" });
  const framing = framingFor({ requestMethod: "HEAD", bodySize: 5 });
  const wire = sender.head(200, undefined, [], framing, "hello");
  assert.equal(wire, "HTTP/1.1 200 OK\r\ncontent-length: 5\r\n\r\n");
  assert.equal(sender.state, "done");
  const events = parse("HEAD", [wire]);
  assert.deepEqual(events.map((event) => event.kind), ["response", "end"]);
  // The parser frames a HEAD answer as bodiless; the field is still the GET's length.
  const head = events[0]!;
  assert.ok(head.kind === "response" && head.framing === "none");
  assert.deepEqual(head.headers, [["content-length", "5"]]);
});

test("ResponseSender: 204 and 304 complete at the head", () => {
  for (const status of [204, 304]) {
    const sender = new ResponseSender({ minorVersion: 1, method: "GET" });
    const framing = framingFor({ status, declaredLength: 10 });
    const wire = sender.head(status, undefined, [], framing);
    assert.equal(sender.state, "done", String(status));
    assert.throws(() => sender.data(encoder.encode("x")), isLocalProtocolError);
    assert.equal(sender.end(), undefined);
    const text = decoder.decode(toBytes(wire));
    assert.equal(/content-length: 10/.test(text), status === 304, text);
    assert.deepEqual(parse("GET", [wire]).map((event) => event.kind), ["response", "end"]);
  }
});

test("ResponseSender: a text body with chunked framing is refused before anything goes out", () => {
  const sender = new ResponseSender({ minorVersion: 1, method: "GET" });
  assert.throws(() => sender.head(200, undefined, [], framingFor({}), "hi"), isLocalProtocolError);
  assert.equal(sender.state, "interim");
});

test("ResponseSender: an invalid field leaves the state unchanged", () => {
  const sender = new ResponseSender({ minorVersion: 1, method: "GET" });
  assert.throws(
    () => sender.head(200, undefined, [["x-bad", "a\r\nb"]], framingFor({ bodySize: 2 }), "hi"),
    isLocalProtocolError,
  );
  assert.equal(sender.state, "interim");
  assert.equal(sender.acceptsInformational, true);
});

test("ResponseSender: chunked body, encoded per chunk, ended by the last chunk, and round-trips", () => {
  const sender = new ResponseSender({ minorVersion: 1, method: "GET" });
  const wire: Array<string | Uint8Array | undefined> = [
    sender.informational(103, [["link", "</a.css>; rel=preload"]]),
    sender.head(200, undefined, [["content-type", "text/plain"]], framingFor({})),
  ];
  assert.match(decoder.decode(toBytes(wire[1]!)), /\r\ntransfer-encoding: chunked\r\n/);
  const first = sender.data(encoder.encode("hello "));
  assert.equal(decoder.decode(first), "6\r\nhello \r\n");
  wire.push(first);
  // An empty chunk must not become the zero-size last chunk.
  const empty = sender.data(new Uint8Array(0));
  assert.equal(empty.byteLength, 0);
  wire.push(empty);
  const big = new Uint8Array(300).fill(0x61);
  const framedBig = sender.data(big);
  assert.equal(decoder.decode(framedBig.subarray(0, 5)), "12c\r\n");
  wire.push(framedBig);
  assert.equal(sender.bytesSent, 306);
  const last = sender.end();
  assert.equal(last, LAST_CHUNK);
  wire.push(last);
  assert.equal(sender.state, "done");

  const events = parse("GET", wire);
  assert.equal(events[0]!.kind, "informational");
  const head = events[1]!;
  assert.ok(head.kind === "response" && head.framing === "chunked" && head.keepAlive);
  assert.equal(bodyText(events), "hello " + "a".repeat(300));
  assert.equal(events.at(-1)!.kind, "end");
});

test("ResponseSender: a Content-Length body passes its bytes through and round-trips", () => {
  const sender = new ResponseSender({ minorVersion: 1, method: "GET" });
  const wire: Array<string | Uint8Array | undefined> = [
    sender.head(200, undefined, [], framingFor({ declaredLength: 8 })),
  ];
  const chunk = encoder.encode("abcd");
  assert.equal(sender.data(chunk), chunk, "not copied");
  wire.push(chunk, sender.data(encoder.encode("efgh")));
  assert.equal(sender.bytesSent, 8);
  assert.equal(sender.end(), undefined);
  assert.equal(sender.state, "done");
  const events = parse("GET", wire);
  const head = events[0]!;
  assert.ok(head.kind === "response" && head.framing === "length" && head.contentLength === 8);
  assert.equal(bodyText(events), "abcdefgh");
  assert.equal(events.at(-1)!.kind, "end");
});

test("ResponseSender: a body longer than its content-length throws and counts nothing more", () => {
  const sender = new ResponseSender({ minorVersion: 1, method: "GET" });
  sender.head(200, undefined, [], framingFor({ declaredLength: 3 }));
  sender.data(encoder.encode("ab"));
  assert.throws(
    () => sender.data(encoder.encode("cd")),
    (error: unknown) =>
      error instanceof TypeError &&
      error.message === "response body is longer than its content-length of 3 bytes",
  );
  assert.equal(sender.bytesSent, 2);
  assert.equal(sender.state, "body");
});

test("ResponseSender: a body shorter than its content-length throws at the end", () => {
  const sender = new ResponseSender({ minorVersion: 1, method: "GET" });
  sender.head(200, undefined, [], framingFor({ declaredLength: 5 }));
  sender.data(encoder.encode("ab"));
  assert.throws(
    () => sender.end(),
    (error: unknown) =>
      error instanceof TypeError &&
      error.message === "response body has 2 bytes but its content-length says 5",
  );
  assert.equal(sender.state, "body");
});

test("ResponseSender: HTTP/1.0 streaming runs to the close and round-trips", () => {
  const sender = new ResponseSender({ minorVersion: 0, method: "GET" });
  const framing = framingFor({ minorVersion: 0 });
  assert.equal(framing.keepAlive, false);
  const head = sender.head(200, undefined, [], framing);
  const text = decoder.decode(toBytes(head));
  assert.doesNotMatch(text, /content-length|transfer-encoding|connection/);
  const chunk = encoder.encode("until close");
  assert.equal(sender.data(chunk), chunk);
  assert.equal(sender.end(), undefined);
  const events = parse("GET", [head, chunk], true);
  assert.ok(events[0]!.kind === "response" && events[0]!.framing === "close");
  assert.equal(bodyText(events), "until close");
  assert.equal(events.at(-1)!.kind, "end");
});

test("ResponseSender: HTTP/1.0 keep-alive with a length says so and round-trips", () => {
  const sender = new ResponseSender({ minorVersion: 0, method: "GET" });
  const wire = sender.head(200, undefined, [], framingFor({ minorVersion: 0, bodySize: 2 }), "ok");
  assert.equal(wire, "HTTP/1.1 200 OK\r\ncontent-length: 2\r\nconnection: keep-alive\r\n\r\nok");
  const events = parse("GET", [wire]);
  assert.equal(bodyText(events), "ok");
});

test("ResponseSender: a head with obs-text comes back as bytes, and the body is UTF-8", () => {
  const sender = new ResponseSender({ minorVersion: 1, method: "GET" });
  const body = "h\u00e9";
  const wire = sender.head(
    200,
    undefined,
    [["x-name", "caf\u00e9"]],
    framingFor({ bodySize: 3 }),
    body,
  );
  assert.ok(wire instanceof Uint8Array);
  const events = parse("GET", [wire]);
  const head = events[0]!;
  assert.ok(head.kind === "response");
  assert.deepEqual(head.headers[0], ["x-name", "caf\u00e9"]);
  assert.equal(bodyText(events), body);
});
