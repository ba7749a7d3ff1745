import { test } from "node:test";
import assert from "node:assert/strict";
import { ResponseParser, type ResponseParserOptions } from "../src/http1/response_parser.ts";
import {
  bytes,
  checkAllFeedings,
  drive,
  type Expectation,
  type ExpectedEvent,
} from "./_support/http1_vectors.ts";
import type { Http1ErrorCode } from "../src/http1/errors.ts";

interface ResponseVector {
  name: string;
  input: string;
  /** Methods passed to expect(), in order (default one GET). */
  methods?: string[];
  options?: ResponseParserOptions;
  events?: ExpectedEvent[];
  error?: Http1ErrorCode;
  /** Whether finish() is called after the input (default true). */
  eof?: boolean;
}

const end: ExpectedEvent = { kind: "end", trailers: [] };
const OK_EMPTY = "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n";

function ok(extra: Record<string, unknown> = {}): ExpectedEvent {
  return { kind: "response", status: 200, ...extra };
}

const VECTORS: ResponseVector[] = [
  // --- valid responses --------------------------------------------------
  {
    name: "Content-Length response",
    input: "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 5\r\n\r\nhello",
    events: [
      {
        kind: "response",
        status: 200,
        reason: "OK",
        minorVersion: 1,
        headers: [["content-type", "text/plain"], ["content-length", "5"]],
        framing: "length",
        contentLength: 5,
        keepAlive: true,
      },
      { kind: "data", text: "hello" },
      end,
    ],
  },
  {
    name: "103 Early Hints then 200",
    input: "HTTP/1.1 103 Early Hints\r\nLink: </style.css>; rel=preload; as=style\r\n" +
      "Link: </script.js>; rel=preload; as=script\r\n\r\n" +
      "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok",
    events: [
      {
        kind: "informational",
        status: 103,
        reason: "Early Hints",
        headers: [
          ["link", "</style.css>; rel=preload; as=style"],
          ["link", "</script.js>; rel=preload; as=script"],
        ],
      },
      ok({ contentLength: 2 }),
      { kind: "data", text: "ok" },
      end,
    ],
  },
  {
    name: "several interim responses in order, each its own event",
    input: "HTTP/1.1 100 Continue\r\n\r\n" +
      "HTTP/1.1 103 Early Hints\r\nX-Pod-Name: worker-1\r\n\r\n" +
      "HTTP/1.1 103 Early Hints\r\nX-Pod-Namespace: default\r\n\r\n" +
      "HTTP/1.1 102 Processing\r\n\r\n" + OK_EMPTY,
    events: [
      { kind: "informational", status: 100, reason: "Continue", headers: [] },
      { kind: "informational", status: 103, headers: [["x-pod-name", "worker-1"]] },
      { kind: "informational", status: 103, headers: [["x-pod-namespace", "default"]] },
      { kind: "informational", status: 102 },
      ok(),
      end,
    ],
  },
  {
    name: "interim response framing headers are ignored",
    input: "HTTP/1.1 103 Early Hints\r\nContent-Length: 50\r\nTransfer-Encoding: chunked\r\n\r\n" +
      OK_EMPTY,
    events: [{ kind: "informational", status: 103 }, ok(), end],
  },
  {
    name: "maxInformational interim responses are accepted",
    input: "HTTP/1.1 103 Early Hints\r\n\r\n".repeat(3) + OK_EMPTY,
    options: { maxInformational: 3 },
    events: [
      { kind: "informational", status: 103 },
      { kind: "informational", status: 103 },
      { kind: "informational", status: 103 },
      ok(),
      end,
    ],
  },
  {
    name: "the interim count restarts for each exchange",
    methods: ["GET", "GET"],
    input: "HTTP/1.1 103 Early Hints\r\n\r\n" + OK_EMPTY + "HTTP/1.1 103 Early Hints\r\n\r\n" +
      OK_EMPTY,
    options: { maxInformational: 1 },
    events: [{ kind: "informational" }, ok(), end, { kind: "informational" }, ok(), end],
  },
  {
    name: "chunked response with trailers",
    input: "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n" +
      "4\r\nWiki\r\n5;ext\r\npedia\r\n0\r\nExpires: never\r\n\r\n",
    events: [
      ok({ framing: "chunked", contentLength: -1 }),
      { kind: "data", text: "Wikipedia" },
      { kind: "end", trailers: [["expires", "never"]] },
    ],
  },
  {
    name: "read until close",
    input: "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n\r\nall of it",
    events: [
      ok({ framing: "close", contentLength: -1, keepAlive: false }),
      { kind: "data", text: "all of it" },
      end,
    ],
  },
  {
    name: "read until close with an empty body",
    input: "HTTP/1.1 200 OK\r\n\r\n",
    events: [ok({ framing: "close", keepAlive: false }), end],
  },
  {
    name: "read until close without EOF waits",
    input: "HTTP/1.1 200 OK\r\n\r\nsome",
    eof: false,
    events: [ok({ framing: "close" }), { kind: "data", text: "some" }],
  },
  {
    name: "Transfer-Encoding not ending in chunked is read until close",
    input: "HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n\r\n\x1f\x8bdata",
    events: [
      ok({ framing: "close", keepAlive: false }),
      { kind: "data", text: "\x1f\x8bdata" },
      end,
    ],
  },
  {
    name: "gzip, chunked is de-chunked (gzip left to the caller)",
    input: "HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, chunked\r\n\r\n2\r\n\x1f\x8b\r\n0\r\n\r\n",
    events: [ok({ framing: "chunked" }), { kind: "data", text: "\x1f\x8b" }, end],
  },
  {
    name: "204 has no body",
    methods: ["DELETE", "GET"],
    input: "HTTP/1.1 204 No Content\r\n\r\n" + OK_EMPTY,
    events: [{ kind: "response", status: 204, framing: "none" }, end, ok(), end],
  },
  {
    name: "304 has no body despite Content-Length",
    methods: ["GET", "GET"],
    input: "HTTP/1.1 304 Not Modified\r\nContent-Length: 100\r\n\r\n" + OK_EMPTY,
    events: [{ kind: "response", status: 304, framing: "none", contentLength: -1 }, end, ok(), end],
  },
  {
    name: "a reply to HEAD has no body despite Content-Length",
    methods: ["HEAD", "GET"],
    input: "HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n" +
      "HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\nabc",
    events: [
      ok({ framing: "none", contentLength: -1, keepAlive: true }),
      end,
      ok({ contentLength: 3 }),
      { kind: "data", text: "abc" },
      end,
    ],
  },
  {
    name: "a reply to HEAD with chunked has no body",
    methods: ["HEAD"],
    input: "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n",
    events: [ok({ framing: "none" }), end],
  },
  {
    name: "pipelined responses follow the expected methods",
    methods: ["GET", "HEAD", "POST"],
    input: "HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\na" +
      "HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\n" +
      "HTTP/1.1 201 Created\r\nTransfer-Encoding: chunked\r\n\r\n1\r\nb\r\n0\r\n\r\n",
    events: [
      ok(),
      { kind: "data", text: "a" },
      end,
      ok({ framing: "none" }),
      end,
      { kind: "response", status: 201, reason: "Created" },
      { kind: "data", text: "b" },
      end,
    ],
  },
  {
    name: "101 is final and ends HTTP parsing",
    input: "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n" +
      "\x81\x05hello",
    eof: false,
    events: [
      { kind: "response", status: 101, framing: "none", keepAlive: false },
      end,
    ],
  },
  {
    name: "103 before 101",
    input:
      "HTTP/1.1 103 Early Hints\r\n\r\nHTTP/1.1 101 Switching Protocols\r\n\r\nHTTP/1.1 200 OK\r\n",
    eof: false,
    events: [{ kind: "informational", status: 103 }, { kind: "response", status: 101 }, end],
  },
  {
    name: "a 2xx reply to CONNECT ends HTTP parsing",
    methods: ["CONNECT"],
    input: "HTTP/1.1 200 Connection Established\r\n\r\n\x16\x03\x01",
    eof: false,
    events: [ok({ framing: "none", keepAlive: false, reason: "Connection Established" }), end],
  },
  {
    name: "a 407 reply to CONNECT is an ordinary response",
    methods: ["CONNECT"],
    input: "HTTP/1.1 407 Proxy Authentication Required\r\nContent-Length: 2\r\n\r\nno",
    events: [{ kind: "response", status: 407 }, { kind: "data", text: "no" }, end],
  },
  {
    name: "a response without expect() is framed as the reply to GET",
    methods: [],
    input: "HTTP/1.1 408 Request Timeout\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
    events: [{ kind: "response", status: 408, keepAlive: false }, end],
  },
  {
    name: "status line without reason phrase",
    input: "HTTP/1.1 200\r\nContent-Length: 0\r\n\r\n",
    events: [ok({ reason: "" }), end],
  },
  {
    name: "status line with empty reason phrase",
    input: "HTTP/1.1 200 \r\nContent-Length: 0\r\n\r\n",
    events: [ok({ reason: "" }), end],
  },
  {
    name: "reason phrase with spaces, tabs and obs-text",
    input: "HTTP/1.1 200 Tr\xe8s  bien\tmerci\r\nContent-Length: 0\r\n\r\n",
    events: [ok({ reason: "Tr\xe8s  bien\tmerci" }), end],
  },
  {
    name: "status 999 and unknown codes are allowed",
    input: "HTTP/1.1 999 Whatever\r\nContent-Length: 0\r\n\r\n",
    events: [{ kind: "response", status: 999 }, end],
  },
  {
    name: "HTTP/1.0 response is not keep-alive",
    input: "HTTP/1.0 200 OK\r\nContent-Length: 0\r\n\r\n",
    events: [ok({ minorVersion: 0, keepAlive: false }), end],
  },
  {
    name: "HTTP/1.0 response with keep-alive",
    input: "HTTP/1.0 200 OK\r\nContent-Length: 0\r\nConnection: keep-alive\r\n\r\n",
    events: [ok({ minorVersion: 0, keepAlive: true }), end],
  },
  {
    name: "HTTP/1.1 response with Connection: close",
    input: "HTTP/1.1 200 OK\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
    events: [ok({ keepAlive: false }), end],
  },
  {
    name: "HTTP/1.0 response with chunked is read but not reused (RFC 9112 section 6.1)",
    input: "HTTP/1.0 200 OK\r\nTransfer-Encoding: chunked\r\nConnection: keep-alive\r\n\r\n" +
      "1\r\nx\r\n0\r\n\r\n",
    events: [ok({ framing: "chunked", keepAlive: false }), { kind: "data", text: "x" }, end],
  },
  {
    name: "bare LF accepted by default (RFC 9112 section 2.2)",
    input:
      "HTTP/1.1 103 Early Hints\nLink: </a>\n\nHTTP/1.1 200 OK\nTransfer-Encoding: chunked\n\n" +
      "1\nx\n0\nX-T: y\n\n",
    events: [
      { kind: "informational", headers: [["link", "</a>"]] },
      ok({ framing: "chunked" }),
      { kind: "data", text: "x" },
      { kind: "end", trailers: [["x-t", "y"]] },
    ],
  },
  {
    name: "bare-LF field lines count as if they had CRLF against maxHeaderBytes (at the limit)",
    input: "HTTP/1.1 204 No Content\nA: 1\nB: 2\n\n",
    options: { maxHeaderBytes: 12 },
    events: [{ kind: "response", status: 204 }, end],
  },
  {
    name: "bare-LF field lines count as if they had CRLF against maxHeaderBytes (over)",
    input: "HTTP/1.1 204 No Content\nA: 1\nB: 2\n\n",
    options: { maxHeaderBytes: 11 },
    error: "HEADERS_TOO_LARGE",
  },
  {
    name: "identical duplicate Content-Length collapses",
    input: "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Length: 2, 2\r\n\r\nab",
    events: [ok({ contentLength: 2 }), { kind: "data", text: "ab" }, end],
  },
  {
    name: "an empty line between a 100 and the final response is skipped (aiohttp)",
    input: "HTTP/1.1 100 Continue\r\n\r\n\r\nHTTP/1.1 404 Not Found\r\n" +
      "Content-Type: text/plain; charset=utf-8\r\nContent-Length: 14\r\n\r\n404: Not Found",
    events: [
      { kind: "informational", status: 100 },
      { kind: "response", status: 404, contentLength: 14 },
      { kind: "data", text: "404: Not Found" },
      end,
    ],
  },
  {
    name: "up to 8 bytes of empty lines before a status line are skipped",
    input: "\r\n\r\n\r\n\n\n" + OK_EMPTY,
    events: [ok(), end],
  },
  {
    name: "empty lines before each status line of a keep-alive connection",
    methods: ["GET", "GET"],
    input: "\r\n" + OK_EMPTY + "\r\n\r\n\r\n\r\n" + OK_EMPTY,
    events: [ok(), end, ok(), end],
  },
  {
    name: "empty lines then EOF before any response",
    input: "\r\n\n",
    events: [],
  },
  {
    name: "empty lines then EOF after an interim response",
    input: "HTTP/1.1 103 Early Hints\r\n\r\n\r\n",
    events: [{ kind: "informational", status: 103 }],
    error: "INCOMPLETE_MESSAGE",
  },
  {
    name: "obs-fold in a response is replaced with one SP (RFC 9112 section 5.2)",
    input: "HTTP/1.1 200 OK\r\nX-A: one  \r\n \t two\r\n\tthree\r\nX-B: b\r\n" +
      "Content-Length: 0\r\n\r\n",
    events: [
      ok({ headers: [["x-a", "one two three"], ["x-b", "b"], ["content-length", "0"]] }),
      end,
    ],
  },
  {
    name: "obs-fold after an empty value and a continuation of only whitespace",
    input: "HTTP/1.1 200 OK\r\nX-A:\r\n a\r\nX-B: b\r\n   \r\nContent-Length: 0\r\n\r\n",
    events: [
      ok({ headers: [["x-a", "a"], ["x-b", "b"], ["content-length", "0"]] }),
      end,
    ],
  },
  {
    name: "obs-fold with bare LF and obs-text",
    input: "HTTP/1.1 200 OK\nX-A: caf\xe9\n \xe9t\xe9\nContent-Length: 0\n\n",
    events: [ok({ headers: [["x-a", "caf\xe9 \xe9t\xe9"], ["content-length", "0"]] }), end],
  },
  {
    name: "obs-fold in an interim response and in trailers",
    input: "HTTP/1.1 103 Early Hints\r\nLink: </a.css>;\r\n rel=preload\r\n\r\n" +
      "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n" +
      "2\r\nok\r\n0\r\nX-T: 1\r\n 2\r\n\r\n",
    events: [
      { kind: "informational", status: 103, headers: [["link", "</a.css>; rel=preload"]] },
      ok({ framing: "chunked" }),
      { kind: "data", text: "ok" },
      { kind: "end", trailers: [["x-t", "1 2"]] },
    ],
  },
  {
    name: "a folded Content-Length is read after unfolding",
    input: "HTTP/1.1 200 OK\r\nContent-Length:\r\n 2\r\n\r\nok",
    events: [ok({ contentLength: 2 }), { kind: "data", text: "ok" }, end],
  },
  {
    name: "a folded Transfer-Encoding is not chunked: read until close (as llhttp)",
    input: "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n  abc\r\n\r\n2\r\nok",
    events: [
      ok({ framing: "close", keepAlive: false, headers: [["transfer-encoding", "chunked abc"]] }),
      { kind: "data", text: "2\r\nok" },
      end,
    ],
  },
  {
    name: "a continuation line does not count as a field",
    input: "HTTP/1.1 200 OK\r\nA: 1\r\n 2\r\n 3\r\nB: 2\r\n\r\n",
    options: { maxHeaderCount: 2 },
    events: [ok({ headers: [["a", "1 2 3"], ["b", "2"]] }), end],
  },
  {
    name: "a 2xx reply to CONNECT ignores Content-Length (RFC 9112 section 6.3 item 2)",
    methods: ["CONNECT"],
    input: "HTTP/1.1 200 Connection Established\r\nContent-Length: 5\r\n\r\n\x16\x03\x01",
    eof: false,
    events: [ok({ framing: "none", contentLength: -1, keepAlive: false }), end],
  },
  {
    name: "EOF before any response is fine",
    input: "",
    events: [],
  },

  // --- invalid responses ----------------------------------------------------
  {
    name: "bare LF rejected with allowBareLf: false",
    input: "HTTP/1.1 200 OK\nContent-Length: 0\n\n",
    options: { allowBareLf: false },
    error: "BAD_SYNTAX",
  },
  { name: "four-digit status", input: "HTTP/1.1 1033 Odd\r\n\r\n", error: "INVALID_STATUS" },
  { name: "two-digit status", input: "HTTP/1.1 20 OK\r\n\r\n", error: "INVALID_STATUS" },
  { name: "status below 100", input: "HTTP/1.1 099 Low\r\n\r\n", error: "INVALID_STATUS" },
  { name: "status 000", input: "HTTP/1.1 000 Zero\r\n\r\n", error: "INVALID_STATUS" },
  { name: "non-digit status", input: "HTTP/1.1 2x0 OK\r\n\r\n", error: "INVALID_STATUS" },
  { name: "signed status", input: "HTTP/1.1 +20 OK\r\n\r\n", error: "INVALID_STATUS" },
  { name: "missing status", input: "HTTP/1.1 \r\n\r\n", error: "INVALID_STATUS" },
  { name: "status line of only a version", input: "HTTP/1.1\r\n\r\n", error: "BAD_SYNTAX" },
  { name: "not HTTP at all", input: "SSH-2.0-OpenSSH_9.6\r\n\r\n", error: "BAD_SYNTAX" },
  { name: "HTTP/2.0 status line", input: "HTTP/2.0 200 OK\r\n\r\n", error: "UNSUPPORTED_VERSION" },
  { name: "HTTP/1.2 status line", input: "HTTP/1.2 200 OK\r\n\r\n", error: "UNSUPPORTED_VERSION" },
  { name: "lower-case version", input: "http/1.1 200 OK\r\n\r\n", error: "BAD_SYNTAX" },
  {
    name: "more than 8 bytes of empty lines before a status line",
    input: "\r\n".repeat(4) + "\n" + OK_EMPTY,
    error: "BAD_SYNTAX",
  },
  {
    name: "empty lines before a status line count again after an interim response",
    input: "HTTP/1.1 103 Early Hints\r\n\r\n" + "\r\n".repeat(5) + OK_EMPTY,
    events: [{ kind: "informational", status: 103 }],
    error: "BAD_SYNTAX",
  },
  {
    name: "a bare-LF empty line before a status line with allowBareLf: false",
    input: "\n" + OK_EMPTY,
    options: { allowBareLf: false },
    error: "BAD_SYNTAX",
  },
  {
    name: "obs-fold before the first field is still refused",
    input: "HTTP/1.1 200 OK\r\n folded\r\nContent-Length: 0\r\n\r\n",
    error: "OBS_FOLD",
  },
  {
    name: "a control byte in a continuation line",
    input: "HTTP/1.1 200 OK\r\nX: a\r\n b\x01\r\nContent-Length: 0\r\n\r\n",
    error: "INVALID_HEADER",
  },
  {
    name: "a bare CR in a continuation line",
    input: "HTTP/1.1 200 OK\r\nX: a\r\n b\rc\r\nContent-Length: 0\r\n\r\n",
    error: "BARE_CR",
  },
  {
    name: "continuation lines count against maxHeaderBytes",
    input: "HTTP/1.1 200 OK\r\nX: a\r\n bcd\r\nContent-Length: 0\r\n\r\n",
    // 31 bytes with the continuation line, 25 without it.
    options: { maxHeaderBytes: 30 },
    error: "HEADERS_TOO_LARGE",
  },
  { name: "control byte in reason", input: "HTTP/1.1 200 O\x01K\r\n\r\n", error: "BAD_SYNTAX" },
  { name: "bare CR in status line", input: "HTTP/1.1 200 O\rK\r\n\r\n", error: "BARE_CR" },
  {
    name: "bare CR in a field value",
    input: "HTTP/1.1 200 OK\r\nX: a\rb\r\nContent-Length: 0\r\n\r\n",
    error: "BARE_CR",
  },
  {
    name: "NUL in a field value",
    input: "HTTP/1.1 200 OK\r\nX: a\x00\r\nContent-Length: 0\r\n\r\n",
    error: "INVALID_HEADER",
  },
  {
    name: "whitespace before colon",
    input: "HTTP/1.1 200 OK\r\nContent-Length : 0\r\n\r\n",
    error: "INVALID_HEADER",
  },
  {
    name: "invalid header in an interim response",
    input: "HTTP/1.1 103 Early Hints\r\nLink : x\r\n\r\n" + OK_EMPTY,
    error: "INVALID_HEADER",
  },
  {
    name: "Content-Length with Transfer-Encoding rejected by default",
    input: "HTTP/1.1 200 OK\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
    error: "INVALID_FRAMING",
  },
  {
    name: "Content-Length with Transfer-Encoding rejected even in a 304",
    input: "HTTP/1.1 304 Not Modified\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n",
    error: "INVALID_FRAMING",
  },
  {
    name: "Content-Length with Transfer-Encoding: chunked wins when allowed, not keep-alive",
    input: "HTTP/1.1 200 OK\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n" +
      "2\r\nab\r\n0\r\n\r\n",
    options: { allowTransferEncodingWithContentLength: true },
    events: [
      ok({ framing: "chunked", contentLength: -1, keepAlive: false }),
      { kind: "data", text: "ab" },
      end,
    ],
  },
  {
    name: "differing Content-Lengths",
    input: "HTTP/1.1 200 OK\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\nabcd",
    error: "INVALID_FRAMING",
  },
  {
    name: "non-digit Content-Length",
    input: "HTTP/1.1 200 OK\r\nContent-Length: three\r\n\r\n",
    error: "INVALID_FRAMING",
  },
  {
    name: "chunked twice",
    input: "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked, chunked\r\n\r\n",
    error: "INVALID_FRAMING",
  },
  {
    name: "too many interim responses",
    input: "HTTP/1.1 103 Early Hints\r\n\r\n".repeat(3) + OK_EMPTY,
    options: { maxInformational: 2 },
    events: [{ kind: "informational" }, { kind: "informational" }],
    error: "TOO_MANY_INFORMATIONAL",
  },
  {
    name: "status line too long",
    input: `HTTP/1.1 200 ${"x".repeat(100)}\r\n\r\n`,
    options: { maxStartLineBytes: 50 },
    error: "HEADERS_TOO_LARGE",
  },
  {
    name: "interim header section too large (counted per message)",
    input: `HTTP/1.1 103 Early Hints\r\nLink: ${"l".repeat(100)}\r\n\r\n` + OK_EMPTY,
    options: { maxHeaderBytes: 64 },
    error: "HEADERS_TOO_LARGE",
  },
  {
    name: "too many fields",
    input: "HTTP/1.1 200 OK\r\nA: 1\r\nB: 2\r\nContent-Length: 0\r\n\r\n",
    options: { maxHeaderCount: 2 },
    error: "HEADERS_TOO_LARGE",
  },
  {
    name: "Content-Length above maxBodyBytes",
    input: "HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n0123456789",
    options: { maxBodyBytes: 9 },
    error: "BODY_TOO_LARGE",
  },
  {
    name: "close-delimited body above maxBodyBytes",
    input: "HTTP/1.1 200 OK\r\n\r\n0123456789",
    options: { maxBodyBytes: 9 },
    // Exactly the allowed bytes are delivered, then the error.
    events: [ok(), { kind: "data", text: "012345678" }],
    error: "BODY_TOO_LARGE",
  },
  {
    name: "invalid chunk size",
    input: "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nxyz\r\n",
    events: [ok()],
    error: "INVALID_CHUNK",
  },
  {
    name: "overflowing chunk size",
    input: "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n100000000000000\r\n",
    events: [ok()],
    error: "INVALID_CHUNK",
  },
  {
    name: "EOF in a status line",
    input: "HTTP/1.1 20",
    error: "INCOMPLETE_MESSAGE",
  },
  {
    name: "EOF after an interim response, before the final one",
    input: "HTTP/1.1 103 Early Hints\r\n\r\n",
    events: [{ kind: "informational" }],
    error: "INCOMPLETE_MESSAGE",
  },
  {
    name: "EOF in a Content-Length body",
    input: "HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc",
    events: [ok(), { kind: "data", text: "abc" }],
    error: "INCOMPLETE_MESSAGE",
  },
  {
    name: "EOF in a chunked body",
    input: "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nab",
    events: [ok(), { kind: "data", text: "ab" }],
    error: "INCOMPLETE_MESSAGE",
  },
];

for (const vector of VECTORS) {
  test(`ResponseParser: ${vector.name}`, () => {
    const make = () => {
      const parser = new ResponseParser(vector.options);
      for (const method of vector.methods ?? ["GET"]) parser.expect(method);
      return parser;
    };
    const expected: Expectation = { events: vector.events ?? [] };
    if (vector.error !== undefined) expected.error = vector.error;
    checkAllFeedings(make, vector.input, expected, vector.eof ?? true);
  });
}

test("ResponseParser: takeRemaining returns the bytes after a 101", () => {
  const parser = new ResponseParser();
  parser.expect("GET");
  parser.push(bytes("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n\r\n\x81\x05hel"));
  assert.equal(parser.next()?.kind, "response");
  assert.equal(parser.next()?.kind, "end");
  assert.equal(parser.next(), undefined);
  parser.push(bytes("lo"));
  assert.equal(parser.next(), undefined);
  assert.equal(parser.buffered, 7);
  assert.deepEqual(parser.takeRemaining(), bytes("\x81\x05hello"));
  assert.equal(parser.buffered, 0);
});

test("ResponseParser: data events are views of the pushed chunk (no copy)", () => {
  const chunk = bytes("HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello");
  const parser = new ResponseParser();
  parser.expect("GET");
  parser.push(chunk);
  assert.equal(parser.next()?.kind, "response");
  const data = parser.next();
  assert.ok(data?.kind === "data");
  assert.equal(data.data.buffer, chunk.buffer);
  assert.equal(data.data.byteOffset, chunk.length - 5);
});

test("ResponseParser: a status line over the limit fails before its end arrives", () => {
  const parser = new ResponseParser({ maxStartLineBytes: 64 });
  parser.expect("GET");
  parser.push(bytes("HTTP/1.1 200 "));
  assert.equal(parser.next(), undefined);
  parser.push(bytes("x".repeat(100)));
  assert.throws(() => parser.next(), { code: "HEADERS_TOO_LARGE" });
});

test("ResponseParser: interim headers are limited per message, not summed", () => {
  const hint = `HTTP/1.1 103 Early Hints\r\nLink: ${"l".repeat(40)}\r\n\r\n`;
  const parser = new ResponseParser({ maxHeaderBytes: 64 });
  parser.expect("GET");
  const outcome = drive(parser, [bytes(hint.repeat(10) + "HTTP/1.1 204 No Content\r\n\r\n")]);
  assert.equal(outcome.error, undefined);
  assert.equal(outcome.events.filter((event) => event.kind === "informational").length, 10);
});

test("ResponseParser: a dead parser rethrows the same error", () => {
  const parser = new ResponseParser();
  parser.expect("GET");
  parser.push(bytes("HTTP/1.1 1033 X\r\n\r\n"));
  let first: unknown;
  try {
    parser.next();
  } catch (error) {
    first = error;
  }
  assert.equal((first as { code: string }).code, "INVALID_STATUS");
  assert.throws(() => parser.next(), (error) => error === first);
  assert.throws(() => parser.next(), (error) => error === first);
});

test("ResponseParser: the default interim bound is 100", () => {
  const parser = new ResponseParser();
  parser.expect("GET");
  const outcome = drive(parser, [bytes("HTTP/1.1 103 Early Hints\r\n\r\n".repeat(101))]);
  assert.equal(outcome.error?.code, "TOO_MANY_INFORMATIONAL");
  assert.equal(outcome.events.length, 100);
});

test("ResponseParser: interim responses and bodies survive random splits intact", () => {
  let seed = 0x2545f491;
  const random = (limit: number): number => {
    seed ^= seed << 13;
    seed ^= seed >>> 17;
    seed ^= seed << 5;
    return (seed >>> 0) % limit;
  };
  let wire = "";
  let expectedBody = "";
  let expectedHints = 0;
  const methods: string[] = [];
  for (let i = 0; i < 40; i++) {
    const body = "xyz".repeat(random(100)) + String(i);
    for (let h = random(3); h > 0; h--) {
      wire += `HTTP/1.1 103 Early Hints\r\nLink: </r${i}-${h}.css>; rel=preload\r\n\r\n`;
      expectedHints++;
    }
    methods.push(i % 5 === 4 ? "HEAD" : "GET");
    if (i % 5 === 4) {
      wire += `HTTP/1.1 200 OK\r\nContent-Length: ${body.length}\r\n\r\n`;
    } else if (i % 2 === 0) {
      expectedBody += body;
      wire += `HTTP/1.1 200 OK\r\nContent-Length: ${body.length}\r\n\r\n${body}`;
    } else {
      expectedBody += body;
      wire += "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n";
      for (let at = 0; at < body.length;) {
        const size = 1 + random(body.length - at);
        wire += `${size.toString(16)}\r\n${body.slice(at, at + size)}\r\n`;
        at += size;
      }
      wire += "0\r\n\r\n";
    }
  }
  const input = bytes(wire);
  for (let round = 0; round < 30; round++) {
    const parser = new ResponseParser();
    for (const method of methods) parser.expect(method);
    const views: Uint8Array[] = [];
    let hints = 0;
    let ends = 0;
    for (let at = 0; at < input.length;) {
      const size = 1 + random(round % 3 === 0 ? 8 : 200);
      parser.push(input.slice(at, at + size));
      at += size;
      for (let event = parser.next(); event !== undefined; event = parser.next()) {
        if (event.kind === "data") views.push(event.data);
        else if (event.kind === "informational") hints++;
        else if (event.kind === "end") ends++;
      }
    }
    parser.finish();
    assert.equal(parser.next(), undefined);
    assert.equal(ends, 40);
    assert.equal(hints, expectedHints);
    let seen = "";
    for (const view of views) seen += String.fromCharCode(...view);
    assert.equal(seen, expectedBody, `round ${round}`);
  }
});
