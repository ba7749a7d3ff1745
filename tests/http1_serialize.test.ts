import { test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import {
  encodeChunk,
  encodeInformational,
  encodeLastChunk,
  encodeRequestHead,
  encodeResponse,
  encodeResponseHead,
  LAST_CHUNK,
  utf8Length,
} from "../src/http1/serialize.ts";
import {
  isValidHeaderName,
  isValidHeaderValue,
  validateHeaderName,
  validateHeaderValue,
} from "../src/http1/validate.ts";
import { reasonPhrase } from "../src/http1/reason_phrase.ts";
import { RequestParser } from "../src/http1/request_parser.ts";
import { ResponseParser } from "../src/http1/response_parser.ts";
import type { HeaderList } from "../src/http1/types.ts";
import { bytes, drive, latin1 } from "./_support/http1_vectors.ts";

function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((sum, part) => sum + part.length, 0));
  let at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.length;
  }
  return out;
}

function lower(headers: HeaderList): HeaderList {
  return headers.map(([name, value]) => [name.toLowerCase(), value]);
}

test("encodeRequestHead writes the exact bytes", () => {
  const head = encodeRequestHead("GET", "/a?b=1", [["Host", "example.com"], ["Accept", "*/*"]]);
  assert.equal(latin1(head), "GET /a?b=1 HTTP/1.1\r\nHost: example.com\r\nAccept: */*\r\n\r\n");
});

test("encodeInformational writes 103 with its registered reason", () => {
  const head = encodeInformational(103, [["Link", "</a.css>; rel=preload"], ["Link", "</b.js>"]]);
  assert.equal(
    latin1(head),
    "HTTP/1.1 103 Early Hints\r\nLink: </a.css>; rel=preload\r\nLink: </b.js>\r\n\r\n",
  );
  assert.equal(latin1(encodeInformational(100, [])), "HTTP/1.1 100 Continue\r\n\r\n");
  assert.equal(latin1(encodeInformational(199, [])), "HTTP/1.1 199 \r\n\r\n");
});

test("encodeResponseHead uses the given or the registered reason", () => {
  assert.equal(latin1(encodeResponseHead(404, undefined, [])), "HTTP/1.1 404 Not Found\r\n\r\n");
  assert.equal(latin1(encodeResponseHead(200, "Fine", [])), "HTTP/1.1 200 Fine\r\n\r\n");
  assert.equal(latin1(encodeResponseHead(299, undefined, [])), "HTTP/1.1 299 \r\n\r\n");
  assert.equal(
    latin1(encodeResponseHead(101, undefined, [["Upgrade", "websocket"]])),
    "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n\r\n",
  );
});

test("obs-text values are written one byte per character", () => {
  const head = encodeResponseHead(200, "Tr\xe8s bien", [["X-Name", "caf\xe9"]]);
  assert.deepEqual(head, bytes("HTTP/1.1 200 Tr\xe8s bien\r\nX-Name: caf\xe9\r\n\r\n"));
});

test("encodeResponse writes the head then the body as UTF-8, like the two apart", () => {
  const cases: Array<[string | undefined, Array<[string, string]>, string]> = [
    [undefined, [["content-length", "4"]], "hint"],
    [undefined, [], ""],
    ["Fine", [["x-a", "caf\u00e9"]], "na\u00efve \u{1f600} \ud800"],
  ];
  for (const [reason, fields, body] of cases) {
    const head = encodeResponseHead(200, reason, fields);
    const bytes = new TextEncoder().encode(body);
    const expected = new Uint8Array(head.byteLength + bytes.byteLength);
    expected.set(head);
    expected.set(bytes, head.byteLength);
    assert.deepEqual(encodeResponse(200, reason, fields, body), expected);
  }
  assert.throws(() => encodeResponse(103, undefined, [], "x"), { code: "LOCAL_PROTOCOL_ERROR" });
  assert.throws(() => encodeResponse(200, undefined, [["a", "b\r\n"]], "x"), {
    code: "LOCAL_PROTOCOL_ERROR",
  });
});

test("utf8Length counts what TextEncoder writes, lone surrogates included", () => {
  const encoder = new TextEncoder();
  for (
    const text of [
      "",
      "hint",
      "\u00e9",
      "\u20ac",
      "\u{1f600}",
      "\ud800",
      "a\udc00b",
      "\ud800\ud800\udc00",
    ]
  ) {
    assert.equal(utf8Length(text), encoder.encode(text).byteLength, JSON.stringify(text));
  }
  fc.assert(
    fc.property(fc.string({ unit: "binary", maxLength: 50 }), (text) => {
      return utf8Length(text) === encoder.encode(text).byteLength;
    }),
    { numRuns: 500 },
  );
});

test("encodeChunk, LAST_CHUNK and encodeLastChunk frame a chunked body", () => {
  assert.equal(latin1(encodeChunk(bytes("hello"))), "5\r\nhello\r\n");
  assert.equal(latin1(encodeChunk(new Uint8Array(300))).slice(0, 5), "12c\r\n");
  assert.equal(encodeChunk(new Uint8Array(0)).length, 0);
  assert.equal(latin1(LAST_CHUNK), "0\r\n\r\n");
  assert.equal(latin1(encodeLastChunk([])), "0\r\n\r\n");
  assert.equal(latin1(encodeLastChunk([["X-Sum", "abc"]])), "0\r\nX-Sum: abc\r\n\r\n");
});

const BAD_VALUES = [
  "a\r\nSet-Cookie: x=1",
  "a\rb",
  "a\nb",
  "a\x00b",
  "a\x01b",
  "a\x7fb",
  "\u0100",
  "emoji \u{1f600}",
];
const BAD_NAMES = ["", "bad name", "a:b", "a\r\nb", "a\nb", "a\x00", "caf\xe9", "(x)", "a\tb"];

test("serialisers refuse CR, LF, NUL and other controls in values", () => {
  for (const value of BAD_VALUES) {
    const label = JSON.stringify(value);
    assert.throws(() => encodeRequestHead("GET", "/", [["x", value]]), {
      code: "LOCAL_PROTOCOL_ERROR",
    }, label);
    assert.throws(() => encodeInformational(103, [["link", value]]), {
      code: "LOCAL_PROTOCOL_ERROR",
    }, label);
    assert.throws(() => encodeResponseHead(200, undefined, [["x", value]]), {
      code: "LOCAL_PROTOCOL_ERROR",
    }, label);
    assert.throws(
      () => encodeResponseHead(200, value, []),
      { code: "LOCAL_PROTOCOL_ERROR" },
      label,
    );
    assert.throws(() => encodeLastChunk([["x", value]]), { code: "LOCAL_PROTOCOL_ERROR" }, label);
    assert.throws(() => validateHeaderValue(value), { code: "LOCAL_PROTOCOL_ERROR" }, label);
    assert.equal(isValidHeaderValue(value), false, label);
  }
});

test("serialisers refuse names that are not tokens", () => {
  for (const name of BAD_NAMES) {
    const label = JSON.stringify(name);
    assert.throws(() => encodeRequestHead("GET", "/", [[name, "v"]]), {
      code: "LOCAL_PROTOCOL_ERROR",
    }, label);
    assert.throws(() => encodeInformational(103, [[name, "v"]]), {
      code: "LOCAL_PROTOCOL_ERROR",
    }, label);
    assert.throws(() => encodeResponseHead(200, undefined, [[name, "v"]]), {
      code: "LOCAL_PROTOCOL_ERROR",
    }, label);
    assert.throws(() => encodeLastChunk([[name, "v"]]), { code: "LOCAL_PROTOCOL_ERROR" }, label);
    assert.throws(() => validateHeaderName(name), { code: "LOCAL_PROTOCOL_ERROR" }, label);
    assert.equal(isValidHeaderName(name), false, label);
  }
});

test("valid names and values pass validation", () => {
  for (const name of ["x", "X-Pod-Name", "!#$%&'*+-.^_`|~09azAZ"]) {
    validateHeaderName(name);
    assert.ok(isValidHeaderName(name));
  }
  for (const value of ["", "a b\tc", "</a>; rel=preload", "caf\xe9", "\x80\xff", "  padded  "]) {
    validateHeaderValue(value);
    assert.ok(isValidHeaderValue(value));
  }
});

test("encodeRequestHead refuses bad methods and targets", () => {
  for (const method of ["", "GE T", "GET\r\n", "G(T"]) {
    assert.throws(() => encodeRequestHead(method, "/", []), { code: "LOCAL_PROTOCOL_ERROR" });
  }
  for (const target of ["", "/a b", "/a\r\nX: y", "/caf\xe9", "/\x00"]) {
    assert.throws(() => encodeRequestHead("GET", target, []), { code: "LOCAL_PROTOCOL_ERROR" });
  }
});

test("status codes are range-checked", () => {
  for (const status of [99, 101, 200, 100.5, Number.NaN]) {
    assert.throws(
      () => encodeInformational(status, []),
      { code: "LOCAL_PROTOCOL_ERROR" },
      String(status),
    );
  }
  for (const status of [99, 100, 103, 199, 1000, 200.5, Number.NaN]) {
    assert.throws(() => encodeResponseHead(status, undefined, []), {
      code: "LOCAL_PROTOCOL_ERROR",
    }, String(status));
  }
});

test("reasonPhrase knows the registry and returns empty otherwise", () => {
  assert.equal(reasonPhrase(103), "Early Hints");
  assert.equal(reasonPhrase(200), "OK");
  assert.equal(reasonPhrase(413), "Content Too Large");
  assert.equal(reasonPhrase(599), "");
});

test("round trip: a chunked request with trailers parses back to the same", () => {
  const headers: HeaderList = [
    ["Host", "example.com"],
    ["Transfer-Encoding", "chunked"],
    ["X-Obs", "caf\xe9"],
    ["Accept", "a"],
    ["Accept", "b"],
  ];
  const wire = concat(
    encodeRequestHead("POST", "/upload?x=1", headers),
    encodeChunk(bytes("hello ")),
    encodeChunk(bytes("world")),
    encodeLastChunk([["X-Checksum", "42"]]),
    encodeRequestHead("GET", "/next", [["Host", "example.com"], ["Content-Length", "0"]]),
  );
  const outcome = drive(new RequestParser(), [wire]);
  assert.equal(outcome.error, undefined);
  assert.deepEqual(outcome.events, [
    {
      kind: "request",
      method: "POST",
      target: "/upload?x=1",
      minorVersion: 1,
      headers: lower(headers),
      framing: "chunked",
      contentLength: -1,
      keepAlive: true,
      expectContinue: false,
    },
    { kind: "data", text: "hello world" },
    { kind: "end", trailers: [["x-checksum", "42"]] },
    {
      kind: "request",
      method: "GET",
      target: "/next",
      minorVersion: 1,
      headers: [["host", "example.com"], ["content-length", "0"]],
      framing: "length",
      contentLength: 0,
      keepAlive: true,
      expectContinue: false,
    },
    { kind: "end", trailers: [] },
  ]);
});

test("round trip: interim responses and a final response parse back to the same", () => {
  const hints: HeaderList = [["Link", "</a.css>; rel=preload; as=style"], ["X-Pod-Name", "w-1"]];
  const wire = concat(
    encodeInformational(103, hints),
    encodeInformational(103, [["X-Pod-Namespace", "default"]]),
    encodeResponseHead(200, undefined, [["Content-Length", "2"], ["Content-Type", "text/plain"]]),
    bytes("ok"),
    encodeResponseHead(500, "Oops", [["Transfer-Encoding", "chunked"]]),
    encodeChunk(bytes("bad")),
    LAST_CHUNK,
  );
  const parser = new ResponseParser({ allowBareLf: false });
  parser.expect("GET");
  parser.expect("GET");
  const outcome = drive(parser, [wire]);
  assert.equal(outcome.error, undefined);
  assert.deepEqual(outcome.events, [
    { kind: "informational", status: 103, reason: "Early Hints", headers: lower(hints) },
    {
      kind: "informational",
      status: 103,
      reason: "Early Hints",
      headers: [["x-pod-namespace", "default"]],
    },
    {
      kind: "response",
      status: 200,
      reason: "OK",
      minorVersion: 1,
      headers: [["content-length", "2"], ["content-type", "text/plain"]],
      framing: "length",
      contentLength: 2,
      keepAlive: true,
    },
    { kind: "data", text: "ok" },
    { kind: "end", trailers: [] },
    {
      kind: "response",
      status: 500,
      reason: "Oops",
      minorVersion: 1,
      headers: [["transfer-encoding", "chunked"]],
      framing: "chunked",
      contentLength: -1,
      keepAlive: true,
    },
    { kind: "data", text: "bad" },
    { kind: "end", trailers: [] },
  ]);
});

test("round trip: every byte value survives chunked framing", () => {
  const body = new Uint8Array(256);
  for (let i = 0; i < 256; i++) body[i] = i;
  const wire = concat(
    encodeResponseHead(200, undefined, [["Transfer-Encoding", "chunked"]]),
    encodeChunk(body),
    encodeChunk(body.subarray(0, 13)),
    LAST_CHUNK,
  );
  const parser = new ResponseParser();
  parser.expect("GET");
  const outcome = drive(parser, [wire]);
  assert.equal(outcome.events[1]?.text, latin1(body) + latin1(body.subarray(0, 13)));
});

const TCHARS = "!#$%&'*+-.^_`|~0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ";
const VALUE_CHARS = (() => {
  let chars = "\t ";
  for (let code = 0x21; code <= 0xff; code++) if (code !== 0x7f) chars += String.fromCharCode(code);
  return [...chars];
})();
// A field value as the parser returns it: no leading or trailing whitespace.
const fieldValue = fc.string({ unit: fc.constantFrom(...VALUE_CHARS), maxLength: 40 }).map((
  value,
) => value.replace(/^[\t ]+|[\t ]+$/g, ""));
const fieldName = fc.string({ unit: fc.constantFrom(...TCHARS), minLength: 1, maxLength: 20 })
  .map((name) => `x-${name}`);
const fieldList = fc.array(fc.tuple(fieldName, fieldValue), { maxLength: 12 }) as fc.Arbitrary<
  HeaderList
>;

function cutAt(data: Uint8Array, cuts: number[]): Uint8Array[] {
  const points = [...new Set(cuts.map((cut) => cut % (data.length + 1)))].sort((a, b) => a - b);
  const pieces: Uint8Array[] = [];
  let previous = 0;
  for (const point of [...points, data.length]) {
    pieces.push(data.subarray(previous, point));
    previous = point;
  }
  return pieces;
}

test("round trip property: any valid request, chunked body and trailers, any split", () => {
  fc.assert(
    fc.property(
      fieldList,
      fc.array(fc.uint8Array({ minLength: 1, maxLength: 64 }), { maxLength: 5 }),
      fieldList,
      fc.array(fc.nat(), { maxLength: 6 }),
      (headers, chunks, trailers, cuts) => {
        const all: HeaderList = [
          ["Host", "example.com"],
          ["Transfer-Encoding", "chunked"],
          ...headers,
        ];
        const wire = concat(
          encodeRequestHead("PATCH", "/r?q=1", all),
          ...chunks.map(encodeChunk),
          encodeLastChunk(trailers),
        );
        const outcome = drive(new RequestParser(), cutAt(wire, cuts));
        assert.equal(outcome.error, undefined);
        const body = latin1(concat(...chunks));
        const expected = [
          { kind: "request", headers: lower(all), method: "PATCH", target: "/r?q=1" },
          ...(body.length > 0 ? [{ kind: "data", text: body }] : []),
          { kind: "end", trailers: lower(trailers) },
        ];
        assert.deepEqual(
          outcome.events.map((event) =>
            event.kind === "request"
              ? {
                kind: event.kind,
                headers: event.headers,
                method: event.method,
                target: event.target,
              }
              : event
          ),
          expected,
        );
      },
    ),
    { numRuns: 300 },
  );
});

test("round trip property: interim responses then a final response, any split", () => {
  fc.assert(
    fc.property(
      fc.array(fc.tuple(fc.constantFrom(100, 102, 103, 150, 199), fieldList), { maxLength: 4 }),
      fc.integer({ min: 200, max: 999 }),
      fieldList,
      fc.uint8Array({ maxLength: 200 }),
      fc.array(fc.nat(), { maxLength: 6 }),
      (interims, status, headers, body, cuts) => {
        const all: HeaderList = [["Content-Length", String(body.length)], ...headers];
        const wire = concat(
          ...interims.map(([code, fields]) => encodeInformational(code, fields)),
          encodeResponseHead(status, undefined, all),
          // 204 and 304 have no content whatever their Content-Length says.
          status === 204 || status === 304 ? new Uint8Array(0) : body,
        );
        const parser = new ResponseParser({ allowBareLf: false });
        parser.expect("GET");
        const outcome = drive(parser, cutAt(wire, cuts));
        assert.equal(outcome.error, undefined);
        const noBody = status === 204 || status === 304;
        assert.deepEqual(
          outcome.events.map((event) =>
            event.kind === "informational" || event.kind === "response"
              ? { kind: event.kind, status: event.status, headers: event.headers }
              : event
          ),
          [
            ...interims.map(([code, fields]) => ({
              kind: "informational",
              status: code,
              headers: lower(fields),
            })),
            { kind: "response", status, headers: lower(all) },
            ...(body.length > 0 && !noBody ? [{ kind: "data", text: latin1(body) }] : []),
            { kind: "end", trailers: [] },
          ],
        );
      },
    ),
    { numRuns: 300 },
  );
});
