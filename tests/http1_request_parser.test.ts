import { test } from "node:test";
import assert from "node:assert/strict";
import { RequestParser, type RequestParserOptions } from "../src/http1/request_parser.ts";
import {
  bytes,
  checkAllFeedings,
  drive,
  type Expectation,
  type ExpectedEvent,
} from "./_support/http1_vectors.ts";
import type { Http1ErrorCode } from "../src/http1/errors.ts";

interface RequestVector {
  name: string;
  input: string;
  options?: RequestParserOptions;
  events?: ExpectedEvent[];
  error?: Http1ErrorCode;
  /** Whether finish() is called after the input (default true). */
  eof?: boolean;
}

const HOST = "Host: example.com\r\n";
const end: ExpectedEvent = { kind: "end", trailers: [] };

function get(target = "/", extra: Record<string, unknown> = {}): ExpectedEvent {
  return { kind: "request", method: "GET", target, ...extra };
}

const VECTORS: RequestVector[] = [
  // --- valid requests ---------------------------------------------------
  {
    name: "minimal GET",
    input: `GET / HTTP/1.1\r\n${HOST}\r\n`,
    events: [
      {
        kind: "request",
        method: "GET",
        target: "/",
        minorVersion: 1,
        headers: [["host", "example.com"]],
        framing: "none",
        contentLength: -1,
        keepAlive: true,
        expectContinue: false,
      },
      end,
    ],
  },
  {
    name: "header names are lower-cased, values keep case, OWS trimmed",
    input: `GET /a?b=C HTTP/1.1\r\nHOST:Example.COM \r\nX-Foo: \t Bar Baz\t \r\n\r\n`,
    events: [
      get("/a?b=C", { headers: [["host", "Example.COM"], ["x-foo", "Bar Baz"]] }),
      end,
    ],
  },
  {
    name: "empty field value",
    input: `GET / HTTP/1.1\r\n${HOST}X-Empty:\r\nX-Spaces:   \r\n\r\n`,
    events: [
      get("/", { headers: [["host", "example.com"], ["x-empty", ""], ["x-spaces", ""]] }),
      end,
    ],
  },
  {
    name: "obs-text in a value is kept as latin1",
    input: `GET / HTTP/1.1\r\n${HOST}X-Name: caf\xe9\r\n\r\n`,
    events: [get("/", { headers: [["host", "example.com"], ["x-name", "caf\xe9"]] }), end],
  },
  {
    name: "repeated fields keep their order",
    input: `GET / HTTP/1.1\r\n${HOST}Accept: a\r\nCookie: x=1\r\nAccept: b\r\n\r\n`,
    events: [
      get("/", {
        headers: [["host", "example.com"], ["accept", "a"], ["cookie", "x=1"], ["accept", "b"]],
      }),
      end,
    ],
  },
  {
    name: "Content-Length body",
    input: `POST /upload HTTP/1.1\r\n${HOST}Content-Length: 11\r\n\r\nhello world`,
    events: [
      { kind: "request", method: "POST", framing: "length", contentLength: 11 },
      { kind: "data", text: "hello world" },
      end,
    ],
  },
  {
    name: "Content-Length: 0",
    input: `POST / HTTP/1.1\r\n${HOST}Content-Length: 0\r\n\r\n`,
    events: [{ kind: "request", framing: "length", contentLength: 0 }, end],
  },
  {
    name: "identical duplicate Content-Length fields collapse",
    input: `POST / HTTP/1.1\r\n${HOST}Content-Length: 3\r\nContent-Length: 3\r\n\r\nabc`,
    events: [{ kind: "request", contentLength: 3 }, { kind: "data", text: "abc" }, end],
  },
  {
    name: "identical Content-Length list collapses (RFC 9110 section 8.6)",
    input: `POST / HTTP/1.1\r\n${HOST}Content-Length: 5, 5\r\n\r\nabcde`,
    events: [{ kind: "request", contentLength: 5 }, { kind: "data", text: "abcde" }, end],
  },
  {
    name: "chunked body with extensions and trailers",
    input: `POST / HTTP/1.1\r\n${HOST}Transfer-Encoding: chunked\r\n\r\n` +
      `5;name=value\r\nhello\r\n6 ; a ; b="q;x"\r\n world\r\n0\r\nDigest: abc\r\nX-T: 1\r\n\r\n`,
    events: [
      { kind: "request", framing: "chunked", contentLength: -1 },
      { kind: "data", text: "hello world" },
      { kind: "end", trailers: [["digest", "abc"], ["x-t", "1"]] },
    ],
  },
  {
    name: "chunked with upper-case hex and leading zeros",
    input: `POST / HTTP/1.1\r\n${HOST}Transfer-Encoding: chunked\r\n\r\n` +
      `000A\r\n0123456789\r\n00000000000000000000001\r\nx\r\n0000\r\n\r\n`,
    events: [
      { kind: "request", framing: "chunked" },
      { kind: "data", text: "0123456789x" },
      end,
    ],
  },
  {
    name: "Transfer-Encoding is case-insensitive and may have empty list elements",
    input: `POST / HTTP/1.1\r\n${HOST}Transfer-Encoding: , Chunked\r\n\r\n0\r\n\r\n`,
    events: [{ kind: "request", framing: "chunked" }, end],
  },
  {
    name: "HTTP/1.0 without Host, not keep-alive",
    input: "GET /old HTTP/1.0\r\n\r\n",
    events: [get("/old", { minorVersion: 0, keepAlive: false }), end],
  },
  {
    name: "HTTP/1.0 with Connection: keep-alive",
    input: "GET / HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n",
    events: [get("/", { minorVersion: 0, keepAlive: true }), end],
  },
  {
    name: "HTTP/1.1 with Connection: close",
    input: `GET / HTTP/1.1\r\n${HOST}Connection: upgrade, close\r\n\r\n`,
    events: [get("/", { keepAlive: false }), end],
  },
  {
    name: "Expect: 100-continue on HTTP/1.1",
    input: `PUT /x HTTP/1.1\r\n${HOST}Expect: 100-Continue\r\nContent-Length: 1\r\n\r\nz`,
    events: [
      { kind: "request", method: "PUT", expectContinue: true },
      { kind: "data", text: "z" },
      end,
    ],
  },
  {
    name: "Expect: 100-continue is ignored on HTTP/1.0 (RFC 9110 section 10.1.1)",
    input: "PUT /x HTTP/1.0\r\nExpect: 100-continue\r\n\r\n",
    events: [{ kind: "request", expectContinue: false }, end],
  },
  {
    name: "leading empty lines are ignored (RFC 9112 section 2.2)",
    input: `\r\n\r\nGET / HTTP/1.1\r\n${HOST}\r\n`,
    events: [get(), end],
  },
  {
    name: "up to 8 bytes of empty lines before each request line are ignored",
    input: `${"\r\n".repeat(4)}GET / HTTP/1.1\r\n${HOST}\r\n` +
      `${"\r\n".repeat(4)}GET / HTTP/1.1\r\n${HOST}\r\n`,
    events: [get(), end, get(), end],
  },
  {
    name: "CONNECT has no content: Content-Length: 0 is no body, the rest is the tunnel",
    input: `CONNECT example.com:443 HTTP/1.1\r\n${HOST}Content-Length: 0\r\n\r\n`,
    events: [
      { kind: "request", method: "CONNECT", framing: "none", contentLength: -1 },
      end,
    ],
  },
  {
    name: "absolute-form, authority-form and asterisk-form targets",
    input: `GET http://example.com/x HTTP/1.1\r\n${HOST}\r\n` +
      `CONNECT example.com:443 HTTP/1.1\r\n${HOST}\r\n` +
      `OPTIONS * HTTP/1.1\r\n${HOST}\r\n`,
    events: [
      get("http://example.com/x"),
      end,
      { kind: "request", method: "CONNECT", target: "example.com:443" },
      end,
      { kind: "request", method: "OPTIONS", target: "*" },
      end,
    ],
  },
  {
    name: "methods are case-sensitive tokens",
    input: `get / HTTP/1.1\r\n${HOST}\r\nM-SEARCH /x HTTP/1.1\r\n${HOST}\r\n`,
    events: [
      { kind: "request", method: "get" },
      end,
      { kind: "request", method: "M-SEARCH" },
      end,
    ],
  },
  {
    name: "pipelined requests with bodies",
    input: `POST /1 HTTP/1.1\r\n${HOST}Content-Length: 3\r\n\r\none` +
      `POST /2 HTTP/1.1\r\n${HOST}Transfer-Encoding: chunked\r\n\r\n3\r\ntwo\r\n0\r\n\r\n` +
      `GET /3 HTTP/1.1\r\n${HOST}\r\n`,
    events: [
      { kind: "request", target: "/1" },
      { kind: "data", text: "one" },
      end,
      { kind: "request", target: "/2" },
      { kind: "data", text: "two" },
      end,
      { kind: "request", target: "/3" },
      end,
    ],
  },
  {
    name: "bare LF accepted with allowBareLf",
    input: `GET / HTTP/1.1\n${HOST}X-A: b\n\n`,
    options: { allowBareLf: true },
    events: [get("/", { headers: [["host", "example.com"], ["x-a", "b"]] }), end],
  },
  {
    name: "bare LF in chunked framing accepted with allowBareLf",
    input: `POST / HTTP/1.1\n${HOST}Transfer-Encoding: chunked\n\n2\nab\n0\n\n`,
    options: { allowBareLf: true },
    events: [{ kind: "request" }, { kind: "data", text: "ab" }, end],
  },
  {
    name: "EOF between requests is fine",
    input: `GET / HTTP/1.1\r\n${HOST}\r\n`,
    events: [get(), end],
    eof: true,
  },
  {
    name: "an incomplete head without EOF just waits",
    input: `GET / HTTP/1.1\r\n${HOST}`,
    events: [],
    eof: false,
  },
  {
    name: "limits exactly at the boundary are accepted",
    input: `GET /abc HTTP/1.1\r\n${HOST}\r\n`,
    options: { maxStartLineBytes: 17, maxHeaderBytes: 19, maxHeaderCount: 1 },
    events: [get("/abc"), end],
  },
  {
    name: "Content-Length at maxBodyBytes is accepted",
    input: `POST / HTTP/1.1\r\n${HOST}Content-Length: 4\r\n\r\nabcd`,
    options: { maxBodyBytes: 4 },
    events: [{ kind: "request" }, { kind: "data", text: "abcd" }, end],
  },

  {
    name: "Host forms: name with port, IPv4, IPv6 literal, empty",
    input: `GET / HTTP/1.1\r\nHost: example.com:8080\r\n\r\n` +
      `GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n` +
      `GET / HTTP/1.1\r\nHost: [::1]:80\r\n\r\n` +
      `GET / HTTP/1.1\r\nHost:\r\n\r\n`,
    events: [
      { kind: "request", headers: [["host", "example.com:8080"]] },
      end,
      { kind: "request", headers: [["host", "127.0.0.1"]] },
      end,
      { kind: "request", headers: [["host", "[::1]:80"]] },
      end,
      { kind: "request", headers: [["host", ""]] },
      end,
    ],
  },
  // --- invalid requests ---------------------------------------------------
  {
    name: "bare LF rejected by default",
    input: `GET / HTTP/1.1\n${HOST}\r\n`,
    error: "BAD_SYNTAX",
  },
  {
    name: "bare LF in a field line rejected by default",
    input: `GET / HTTP/1.1\r\n${HOST}X: y\n\r\n`,
    error: "BAD_SYNTAX",
  },
  {
    name: "bare LF after chunk data rejected by default",
    input: `POST / HTTP/1.1\r\n${HOST}Transfer-Encoding: chunked\r\n\r\n1\r\na\n0\r\n\r\n`,
    events: [{ kind: "request" }, { kind: "data", text: "a" }],
    error: "INVALID_CHUNK",
  },
  {
    name: "more than 8 bytes of empty lines before a request line",
    input: `${"\r\n".repeat(4)}\r\nGET / HTTP/1.1\r\n${HOST}\r\n`,
    error: "BAD_SYNTAX",
  },
  {
    name: "more than 8 bytes of bare-LF empty lines with allowBareLf",
    input: `${"\n".repeat(9)}GET / HTTP/1.1\r\n${HOST}\r\n`,
    options: { allowBareLf: true },
    error: "BAD_SYNTAX",
  },
  {
    name: "CONNECT with Content-Length (RFC 9110 section 9.3.6)",
    input: `CONNECT example.com:443 HTTP/1.1\r\n${HOST}Content-Length: 5\r\n\r\nhello`,
    error: "INVALID_FRAMING",
  },
  {
    name: "CONNECT with Transfer-Encoding",
    input: `CONNECT example.com:443 HTTP/1.1\r\n${HOST}Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n`,
    error: "INVALID_FRAMING",
  },
  {
    name: "CONNECT with a Content-Length list of zeros and something else",
    input: `CONNECT example.com:443 HTTP/1.1\r\n${HOST}Content-Length: 0, 5\r\n\r\n`,
    error: "INVALID_FRAMING",
  },
  {
    name: "leading bare LF rejected by default",
    input: `\nGET / HTTP/1.1\r\n${HOST}\r\n`,
    error: "BAD_SYNTAX",
  },
  { name: "bare CR in request line", input: `GET /\r HTTP/1.1\r\n${HOST}\r\n`, error: "BARE_CR" },
  {
    name: "bare CR in field value",
    input: `GET / HTTP/1.1\r\n${HOST}X: a\rb\r\n\r\n`,
    error: "BARE_CR",
  },
  {
    name: "bare CR ending a field value",
    input: `GET / HTTP/1.1\r\n${HOST}X: a\r\r\n\r\n`,
    error: "BARE_CR",
  },
  {
    name: "bare CR in field name",
    input: `GET / HTTP/1.1\r\n${HOST}X\r: a\r\n\r\n`,
    error: "BARE_CR",
  },
  {
    name: "NUL in field value",
    input: `GET / HTTP/1.1\r\n${HOST}X: a\x00b\r\n\r\n`,
    error: "INVALID_HEADER",
  },
  {
    name: "DEL in field value",
    input: `GET / HTTP/1.1\r\n${HOST}X: a\x7fb\r\n\r\n`,
    error: "INVALID_HEADER",
  },
  {
    name: "control byte in field value",
    input: `GET / HTTP/1.1\r\n${HOST}X: a\x01\r\n\r\n`,
    error: "INVALID_HEADER",
  },
  { name: "obs-fold", input: `GET / HTTP/1.1\r\n${HOST}X: a\r\n  b\r\n\r\n`, error: "OBS_FOLD" },
  {
    name: "obs-fold with HTAB",
    input: `GET / HTTP/1.1\r\n${HOST}X: a\r\n\tb\r\n\r\n`,
    error: "OBS_FOLD",
  },
  {
    name: "whitespace before the first field line",
    input: `GET / HTTP/1.1\r\n ${HOST}\r\n`,
    error: "OBS_FOLD",
  },
  {
    name: "whitespace between field name and colon (RFC 9112 section 5.1)",
    input: `GET / HTTP/1.1\r\nHost : example.com\r\n\r\n`,
    error: "INVALID_HEADER",
  },
  {
    name: "field name not a token",
    input: `GET / HTTP/1.1\r\n${HOST}X(y): a\r\n\r\n`,
    error: "INVALID_HEADER",
  },
  {
    name: "empty field name",
    input: `GET / HTTP/1.1\r\n${HOST}: a\r\n\r\n`,
    error: "INVALID_HEADER",
  },
  {
    name: "field line without colon",
    input: `GET / HTTP/1.1\r\n${HOST}NoColon\r\n\r\n`,
    error: "BAD_SYNTAX",
  },
  { name: "method not a token (400)", input: `G(T / HTTP/1.1\r\n${HOST}\r\n`, error: "BAD_SYNTAX" },
  { name: "no space after the method", input: `GET/ HTTP/1.1\r\n${HOST}\r\n`, error: "BAD_SYNTAX" },
  {
    name: "vertical tab as separator",
    input: `GET\x0b/ HTTP/1.1\r\n${HOST}\r\n`,
    error: "BAD_SYNTAX",
  },
  {
    name: "request line starting with a space",
    input: ` GET / HTTP/1.1\r\n${HOST}\r\n`,
    error: "BAD_SYNTAX",
  },
  { name: "two spaces after method", input: `GET  / HTTP/1.1\r\n${HOST}\r\n`, error: "BAD_SYNTAX" },
  {
    name: "two spaces before version",
    input: `GET /  HTTP/1.1\r\n${HOST}\r\n`,
    error: "BAD_SYNTAX",
  },
  {
    name: "trailing space after version",
    input: `GET / HTTP/1.1 \r\n${HOST}\r\n`,
    error: "BAD_SYNTAX",
  },
  { name: "HTTP/0.9 style request line", input: "GET /\r\n\r\n", error: "BAD_SYNTAX" },
  { name: "missing target", input: `GET HTTP/1.1\r\n${HOST}\r\n`, error: "BAD_SYNTAX" },
  {
    name: "control byte in target",
    input: `GET /a\x01b HTTP/1.1\r\n${HOST}\r\n`,
    error: "BAD_SYNTAX",
  },
  {
    name: "non-ASCII byte in target",
    input: `GET /caf\xe9 HTTP/1.1\r\n${HOST}\r\n`,
    error: "BAD_SYNTAX",
  },
  { name: "HTTP/2.0", input: `PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n`, error: "UNSUPPORTED_VERSION" },
  { name: "HTTP/1.2", input: `GET / HTTP/1.2\r\n${HOST}\r\n`, error: "UNSUPPORTED_VERSION" },
  {
    name: "HTTP/0.9 as a version",
    input: `GET / HTTP/0.9\r\n${HOST}\r\n`,
    error: "UNSUPPORTED_VERSION",
  },
  { name: "lower-case version", input: `GET / http/1.1\r\n${HOST}\r\n`, error: "BAD_SYNTAX" },
  {
    name: "version with two-digit minor",
    input: `GET / HTTP/1.10\r\n${HOST}\r\n`,
    error: "BAD_SYNTAX",
  },
  { name: "garbage version", input: `GET / FOO\r\n${HOST}\r\n`, error: "BAD_SYNTAX" },
  {
    name: "TLS handshake bytes",
    input: "\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03\r\n",
    error: "BAD_SYNTAX",
  },
  {
    name: "Host with a space",
    input: "GET / HTTP/1.1\r\nHost: a b\r\n\r\n",
    error: "INVALID_HOST",
  },
  { name: "Host with a path", input: "GET / HTTP/1.1\r\nHost: a/b\r\n\r\n", error: "INVALID_HOST" },
  {
    name: "Host with userinfo",
    input: "GET / HTTP/1.1\r\nHost: u@a\r\n\r\n",
    error: "INVALID_HOST",
  },
  {
    name: "Host with a bad port",
    input: "GET / HTTP/1.1\r\nHost: a:8x\r\n\r\n",
    error: "INVALID_HOST",
  },
  {
    name: "Host with obs-text",
    input: "GET / HTTP/1.1\r\nHost: caf\xe9\r\n\r\n",
    error: "INVALID_HOST",
  },
  {
    name: "Host with an unterminated IP literal",
    input: "GET / HTTP/1.1\r\nHost: [::1\r\n\r\n",
    error: "INVALID_HOST",
  },
  {
    name: "origin-form must start with /",
    input: `GET foo HTTP/1.1\r\n${HOST}\r\n`,
    error: "BAD_SYNTAX",
  },
  {
    name: "asterisk-form only for OPTIONS",
    input: `GET * HTTP/1.1\r\n${HOST}\r\n`,
    error: "BAD_SYNTAX",
  },
  {
    name: "CONNECT needs authority-form",
    input: `CONNECT /path HTTP/1.1\r\n${HOST}\r\n`,
    error: "BAD_SYNTAX",
  },
  {
    name: "CONNECT without a port",
    input: `CONNECT example.com HTTP/1.1\r\n${HOST}\r\n`,
    error: "BAD_SYNTAX",
  },
  { name: "missing Host on HTTP/1.1", input: "GET / HTTP/1.1\r\n\r\n", error: "INVALID_HOST" },
  {
    name: "repeated Host on HTTP/1.1",
    input: `GET / HTTP/1.1\r\n${HOST}Host: other\r\n\r\n`,
    error: "INVALID_HOST",
  },
  {
    name: "repeated Host on HTTP/1.0",
    input: `GET / HTTP/1.0\r\n${HOST}${HOST}\r\n`,
    error: "INVALID_HOST",
  },
  {
    name: "Content-Length with Transfer-Encoding",
    input:
      `POST / HTTP/1.1\r\n${HOST}Content-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n`,
    error: "INVALID_FRAMING",
  },
  {
    name: "Transfer-Encoding with Content-Length (other order)",
    input:
      `POST / HTTP/1.1\r\n${HOST}Transfer-Encoding: chunked\r\nContent-Length: 5\r\n\r\n0\r\n\r\n`,
    error: "INVALID_FRAMING",
  },
  {
    name: "differing Content-Length fields",
    input: `POST / HTTP/1.1\r\n${HOST}Content-Length: 5\r\nContent-Length: 6\r\n\r\n`,
    error: "INVALID_FRAMING",
  },
  {
    name: "differing Content-Length list",
    input: `POST / HTTP/1.1\r\n${HOST}Content-Length: 5, 6\r\n\r\n`,
    error: "INVALID_FRAMING",
  },
  {
    name: "non-digit Content-Length",
    input: `POST / HTTP/1.1\r\n${HOST}Content-Length: 5a\r\n\r\n`,
    error: "INVALID_FRAMING",
  },
  {
    name: "signed Content-Length",
    input: `POST / HTTP/1.1\r\n${HOST}Content-Length: +5\r\n\r\n`,
    error: "INVALID_FRAMING",
  },
  {
    name: "negative Content-Length",
    input: `POST / HTTP/1.1\r\n${HOST}Content-Length: -1\r\n\r\n`,
    error: "INVALID_FRAMING",
  },
  {
    name: "empty Content-Length",
    input: `POST / HTTP/1.1\r\n${HOST}Content-Length:\r\n\r\n`,
    error: "INVALID_FRAMING",
  },
  {
    name: "hex Content-Length",
    input: `POST / HTTP/1.1\r\n${HOST}Content-Length: 0x10\r\n\r\n`,
    error: "INVALID_FRAMING",
  },
  {
    name: "overflowing Content-Length",
    input: `POST / HTTP/1.1\r\n${HOST}Content-Length: 99999999999999999999\r\n\r\n`,
    error: "INVALID_FRAMING",
  },
  {
    name: "unknown transfer coding (501)",
    input: `POST / HTTP/1.1\r\n${HOST}Transfer-Encoding: foo\r\n\r\n`,
    error: "UNSUPPORTED_TRANSFER_ENCODING",
  },
  {
    name: "transfer coding with chunked but not decoded (501)",
    input: `POST / HTTP/1.1\r\n${HOST}Transfer-Encoding: gzip, chunked\r\n\r\n`,
    error: "UNSUPPORTED_TRANSFER_ENCODING",
  },
  {
    name: "chunked not last on a request (400)",
    input: `POST / HTTP/1.1\r\n${HOST}Transfer-Encoding: chunked, gzip\r\n\r\n`,
    error: "INVALID_FRAMING",
  },
  {
    name: "request Transfer-Encoding without chunked (400)",
    input: `POST / HTTP/1.1\r\n${HOST}Transfer-Encoding: gzip\r\n\r\n`,
    error: "INVALID_FRAMING",
  },
  {
    name: "chunked twice",
    input:
      `POST / HTTP/1.1\r\n${HOST}Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n`,
    error: "INVALID_FRAMING",
  },
  {
    name: "chunked twice in one field",
    input: `POST / HTTP/1.1\r\n${HOST}Transfer-Encoding: chunked, chunked\r\n\r\n`,
    error: "INVALID_FRAMING",
  },
  {
    name: "empty Transfer-Encoding",
    input: `POST / HTTP/1.1\r\n${HOST}Transfer-Encoding: \r\n\r\n`,
    error: "INVALID_FRAMING",
  },
  {
    name: "Transfer-Encoding on HTTP/1.0",
    input: "POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
    error: "INVALID_FRAMING",
  },
  {
    name: "chunk size not hex",
    input: `POST / HTTP/1.1\r\n${HOST}Transfer-Encoding: chunked\r\n\r\nzz\r\n`,
    events: [{ kind: "request" }],
    error: "INVALID_CHUNK",
  },
  {
    name: "empty chunk size",
    input: `POST / HTTP/1.1\r\n${HOST}Transfer-Encoding: chunked\r\n\r\n\r\n`,
    events: [{ kind: "request" }],
    error: "INVALID_CHUNK",
  },
  {
    name: "negative chunk size",
    input: `POST / HTTP/1.1\r\n${HOST}Transfer-Encoding: chunked\r\n\r\n-1\r\n`,
    events: [{ kind: "request" }],
    error: "INVALID_CHUNK",
  },
  {
    name: "chunk size with a space before the extension is fine, but junk is not",
    input: `POST / HTTP/1.1\r\n${HOST}Transfer-Encoding: chunked\r\n\r\n1 x\r\n`,
    events: [{ kind: "request" }],
    error: "INVALID_CHUNK",
  },
  {
    name: "overflowing chunk size",
    input: `POST / HTTP/1.1\r\n${HOST}Transfer-Encoding: chunked\r\n\r\nffffffffffffffffff\r\n`,
    events: [{ kind: "request" }],
    error: "INVALID_CHUNK",
  },
  {
    name: "bare CR in a chunk extension",
    input: `POST / HTTP/1.1\r\n${HOST}Transfer-Encoding: chunked\r\n\r\n1;a\rb\r\nx\r\n0\r\n\r\n`,
    events: [{ kind: "request" }],
    error: "BARE_CR",
  },
  {
    name: "chunk extension without a name",
    input: `POST / HTTP/1.1\r\n${HOST}Transfer-Encoding: chunked\r\n\r\n1;\r\nx\r\n0\r\n\r\n`,
    events: [{ kind: "request" }],
    error: "INVALID_CHUNK",
  },
  {
    name: "chunk extension with an empty value",
    input: `POST / HTTP/1.1\r\n${HOST}Transfer-Encoding: chunked\r\n\r\n1;a=\r\nx\r\n0\r\n\r\n`,
    events: [{ kind: "request" }],
    error: "INVALID_CHUNK",
  },
  {
    name: "chunk extension with an unterminated quoted string",
    input: `POST / HTTP/1.1\r\n${HOST}Transfer-Encoding: chunked\r\n\r\n1;a="b\r\nx\r\n0\r\n\r\n`,
    events: [{ kind: "request" }],
    error: "INVALID_CHUNK",
  },
  {
    name: "whitespace after the chunk size without an extension",
    input: `POST / HTTP/1.1\r\n${HOST}Transfer-Encoding: chunked\r\n\r\n1 \r\nx\r\n0\r\n\r\n`,
    events: [{ kind: "request" }],
    error: "INVALID_CHUNK",
  },
  {
    name: "whitespace at the end of a chunk extension",
    input: `POST / HTTP/1.1\r\n${HOST}Transfer-Encoding: chunked\r\n\r\n1;a=b\t\r\nx\r\n0\r\n\r\n`,
    events: [{ kind: "request" }],
    error: "INVALID_CHUNK",
  },
  {
    name: "chunk extension with a NUL",
    input: `POST / HTTP/1.1\r\n${HOST}Transfer-Encoding: chunked\r\n\r\n1;a\x00\r\nx\r\n0\r\n\r\n`,
    events: [{ kind: "request" }],
    error: "INVALID_CHUNK",
  },
  {
    name: "chunk extension with a quoted-pair and whitespace is fine",
    input: `POST / HTTP/1.1\r\n${HOST}Transfer-Encoding: chunked\r\n\r\n` +
      `1 ; a = "x\\"y;z" ;b=tok\r\nx\r\n0\r\n\r\n`,
    events: [{ kind: "request" }, { kind: "data", text: "x" }, end],
  },
  {
    name: "chunk data longer than its size",
    input: `POST / HTTP/1.1\r\n${HOST}Transfer-Encoding: chunked\r\n\r\n2\r\nabc\r\n0\r\n\r\n`,
    events: [{ kind: "request" }, { kind: "data", text: "ab" }],
    error: "INVALID_CHUNK",
  },
  {
    name: "invalid trailer",
    input: `POST / HTTP/1.1\r\n${HOST}Transfer-Encoding: chunked\r\n\r\n0\r\nBad Name: x\r\n\r\n`,
    events: [{ kind: "request" }],
    error: "INVALID_HEADER",
  },
  {
    name: "request line too long (414)",
    input: `GET /${"a".repeat(100)} HTTP/1.1\r\n${HOST}\r\n`,
    options: { maxStartLineBytes: 64 },
    error: "URI_TOO_LONG",
  },
  {
    name: "request line one byte over the limit (414)",
    input: `GET /abcd HTTP/1.1\r\n${HOST}\r\n`,
    options: { maxStartLineBytes: 17 },
    error: "URI_TOO_LONG",
  },
  {
    name: "header section too large (431)",
    input: `GET / HTTP/1.1\r\n${HOST}X-Big: ${"b".repeat(200)}\r\n\r\n`,
    options: { maxHeaderBytes: 100 },
    error: "HEADERS_TOO_LARGE",
  },
  {
    name: "header section one byte over the limit (431)",
    input: `GET / HTTP/1.1\r\n${HOST}\r\n`,
    options: { maxHeaderBytes: 18 },
    error: "HEADERS_TOO_LARGE",
  },
  {
    name: "too many header fields (431)",
    input: `GET / HTTP/1.1\r\n${HOST}A: 1\r\nB: 2\r\n\r\n`,
    options: { maxHeaderCount: 2 },
    error: "HEADERS_TOO_LARGE",
  },
  {
    name: "Content-Length above maxBodyBytes (413)",
    input: `POST / HTTP/1.1\r\n${HOST}Content-Length: 5\r\n\r\nabcde`,
    options: { maxBodyBytes: 4 },
    error: "BODY_TOO_LARGE",
  },
  {
    name: "chunked body above maxBodyBytes (413)",
    input:
      `POST / HTTP/1.1\r\n${HOST}Transfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n`,
    options: { maxBodyBytes: 4 },
    events: [{ kind: "request" }, { kind: "data", text: "abc" }],
    error: "BODY_TOO_LARGE",
  },
  {
    name: "chunk-size line too long",
    input: `POST / HTTP/1.1\r\n${HOST}Transfer-Encoding: chunked\r\n\r\n1;${
      "e".repeat(100)
    }\r\nx\r\n0\r\n\r\n`,
    options: { maxChunkLineBytes: 32 },
    events: [{ kind: "request" }],
    error: "INVALID_CHUNK",
  },
  {
    name: "EOF in the request line",
    input: "GET / HT",
    error: "INCOMPLETE_MESSAGE",
  },
  {
    name: "EOF in the header section",
    input: `GET / HTTP/1.1\r\n${HOST}X-A: 1\r\n`,
    error: "INCOMPLETE_MESSAGE",
  },
  {
    name: "EOF in a Content-Length body",
    input: `POST / HTTP/1.1\r\n${HOST}Content-Length: 10\r\n\r\nabc`,
    events: [{ kind: "request" }, { kind: "data", text: "abc" }],
    error: "INCOMPLETE_MESSAGE",
  },
  {
    name: "EOF in a chunked body",
    input: `POST / HTTP/1.1\r\n${HOST}Transfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n`,
    events: [{ kind: "request" }, { kind: "data", text: "abc" }],
    error: "INCOMPLETE_MESSAGE",
  },
  {
    name: "EOF in the trailers",
    input: `POST / HTTP/1.1\r\n${HOST}Transfer-Encoding: chunked\r\n\r\n0\r\nX: y\r\n`,
    events: [{ kind: "request" }],
    error: "INCOMPLETE_MESSAGE",
  },
  {
    name: "second pipelined request invalid after a valid one",
    input: `GET / HTTP/1.1\r\n${HOST}\r\nGET / HTTP/1.1\r\n\r\n`,
    events: [get(), end],
    error: "INVALID_HOST",
  },
];

for (const vector of VECTORS) {
  test(`RequestParser: ${vector.name}`, () => {
    const expected: Expectation = { events: vector.events ?? [] };
    if (vector.error !== undefined) expected.error = vector.error;
    checkAllFeedings(
      () => new RequestParser(vector.options),
      vector.input,
      expected,
      vector.eof ?? true,
    );
  });
}

test("RequestParser: body data events are views of the pushed chunk (no copy)", () => {
  const chunk = bytes(`POST / HTTP/1.1\r\n${HOST}Content-Length: 5\r\n\r\nhello`);
  const parser = new RequestParser();
  parser.push(chunk);
  assert.equal(parser.next()?.kind, "request");
  const data = parser.next();
  assert.ok(data?.kind === "data");
  assert.equal(data.data.buffer, chunk.buffer);
  assert.equal(parser.buffered, 0);
});

test("RequestParser: URI_TOO_LONG fires before the line ends (never buffers past the limit)", () => {
  const parser = new RequestParser({ maxStartLineBytes: 100 });
  parser.push(bytes("GET /"));
  assert.equal(parser.next(), undefined);
  parser.push(bytes("a".repeat(200)));
  assert.throws(() => parser.next(), { code: "URI_TOO_LONG", status: 414 });
});

test("RequestParser: HEADERS_TOO_LARGE fires before the section ends", () => {
  const parser = new RequestParser({ maxHeaderBytes: 1000 });
  parser.push(bytes(`GET / HTTP/1.1\r\n${HOST}X-Big: `));
  assert.equal(parser.next(), undefined);
  parser.push(bytes("b".repeat(2000)));
  assert.throws(() => parser.next(), { code: "HEADERS_TOO_LARGE", status: 431 });
});

test("RequestParser: default limits accept a 60 KiB header section and refuse 70 KiB", () => {
  const field = (size: number) => `X-Big: ${"b".repeat(size)}\r\n`;
  const ok = drive(new RequestParser(), [bytes(`GET / HTTP/1.1\r\n${HOST}${field(60_000)}\r\n`)]);
  assert.equal(ok.error, undefined);
  const tooBig = drive(new RequestParser(), [
    bytes(`GET / HTTP/1.1\r\n${HOST}${field(70_000)}\r\n`),
  ]);
  assert.equal(tooBig.error?.code, "HEADERS_TOO_LARGE");
});

test("RequestParser: default limits accept 1000 and 2000 fields, refuse 2001 (node:http's count)", () => {
  const fields = (count: number) => {
    let text = "";
    for (let i = 0; i < count; i++) text += `X-Field-${i}: v\r\n`;
    return text;
  };
  for (const count of [1000, 2000]) {
    const seen = drive(new RequestParser(), [
      bytes(`GET / HTTP/1.1\r\n${fields(count - 1)}${HOST}\r\n`),
    ]);
    assert.equal(seen.error, undefined, `${count} fields: ${seen.error?.message}`);
    assert.equal((seen.events[0]?.headers as unknown[]).length, count);
  }
  // 2001 short fields stay far below maxHeaderBytes: the count refuses them.
  const tooMany = drive(new RequestParser(), [
    bytes(`GET / HTTP/1.1\r\n${fields(2000)}${HOST}\r\n`),
  ]);
  assert.equal(tooMany.error?.code, "HEADERS_TOO_LARGE");
  assert.match(tooMany.error?.message ?? "", /more than 2000 fields/);
});

test("RequestParser: a CONNECT without content hands the bytes after its head to the tunnel", () => {
  const parser = new RequestParser();
  parser.push(bytes(`CONNECT example.com:443 HTTP/1.1\r\n${HOST}Content-Length: 0\r\n\r\nGET /x`));
  assert.equal(parser.next()?.kind, "request");
  assert.equal(parser.next()?.kind, "end");
  assert.deepEqual(parser.takeRemaining(), bytes("GET /x"));
});

test("RequestParser: a dead parser rethrows the same error and ignores pushes", () => {
  const parser = new RequestParser();
  parser.push(bytes("GET / HTTP/1.1\r\n\r\n"));
  let first: unknown;
  try {
    parser.next();
  } catch (error) {
    first = error;
  }
  assert.equal((first as { code: string }).code, "INVALID_HOST");
  assert.equal((first as { status: number }).status, 400);
  parser.push(bytes(`GET / HTTP/1.1\r\n${HOST}\r\n`));
  assert.throws(() => parser.next(), (error) => error === first);
});

test("RequestParser: push after finish is a local error", () => {
  const parser = new RequestParser();
  parser.finish();
  assert.throws(() => parser.push(bytes("x")), { code: "LOCAL_PROTOCOL_ERROR" });
});

test("RequestParser: takeRemaining returns the bytes after a CONNECT request", () => {
  const parser = new RequestParser();
  parser.push(bytes(`CONNECT example.com:443 HTTP/1.1\r\n${HOST}\r\n\x16\x03\x01tunnel`));
  assert.equal(parser.next()?.kind, "request");
  assert.equal(parser.next()?.kind, "end");
  assert.equal(parser.buffered, 9);
  assert.deepEqual(parser.takeRemaining(), bytes("\x16\x03\x01tunnel"));
  assert.equal(parser.buffered, 0);
});

test("RequestParser: invalid limits are refused", () => {
  assert.throws(() => new RequestParser({ maxHeaderBytes: -1 }), { code: "LOCAL_PROTOCOL_ERROR" });
  assert.throws(() => new RequestParser({ maxBodyBytes: Number.NaN }), {
    code: "LOCAL_PROTOCOL_ERROR",
  });
});

test("RequestParser: many pipelined requests in one buffer, then EOF", () => {
  const one = `GET /x HTTP/1.1\r\n${HOST}\r\n`;
  const parser = new RequestParser();
  parser.push(bytes(one.repeat(500)));
  parser.finish();
  let heads = 0;
  let ends = 0;
  for (let event = parser.next(); event !== undefined; event = parser.next()) {
    if (event.kind === "request") heads++;
    if (event.kind === "end") ends++;
  }
  assert.equal(heads, 500);
  assert.equal(ends, 500);
});

test("RequestParser: body views stay intact while later chunks are pushed (random splits)", () => {
  // A deterministic PRNG, so a failure can be replayed.
  let seed = 0x9e3779b9;
  const random = (limit: number): number => {
    seed ^= seed << 13;
    seed ^= seed >>> 17;
    seed ^= seed << 5;
    return (seed >>> 0) % limit;
  };
  const bodyOf = (n: number) =>
    Array.from({ length: n }, (_, i) => String.fromCharCode(97 + (i * 7 + n) % 26)).join("");
  let wire = "";
  let expectedBody = "";
  for (let i = 0; i < 40; i++) {
    const body = bodyOf(random(300));
    expectedBody += body;
    if (i % 2 === 0) {
      wire += `POST /${i} HTTP/1.1\r\n${HOST}Content-Length: ${body.length}\r\n\r\n${body}`;
    } else {
      wire += `POST /${i} HTTP/1.1\r\n${HOST}Transfer-Encoding: chunked\r\n\r\n`;
      for (let at = 0; at < body.length;) {
        const size = 1 + random(body.length - at);
        wire += `${size.toString(16)};x=${i}\r\n${body.slice(at, at + size)}\r\n`;
        at += size;
      }
      wire += `0\r\nX-Trailer: ${i}\r\n\r\n`;
    }
  }
  const input = bytes(wire);
  for (let round = 0; round < 30; round++) {
    const parser = new RequestParser();
    const views: Uint8Array[] = [];
    let ends = 0;
    for (let at = 0; at < input.length;) {
      const size = 1 + random(round % 3 === 0 ? 8 : 200);
      parser.push(input.slice(at, at + size));
      at += size;
      for (let event = parser.next(); event !== undefined; event = parser.next()) {
        if (event.kind === "data") views.push(event.data);
        if (event.kind === "end") ends++;
      }
    }
    assert.equal(ends, 40);
    assert.equal(parser.buffered, 0);
    let seen = "";
    for (const view of views) seen += String.fromCharCode(...view);
    assert.equal(seen, expectedBody, `round ${round}`);
  }
});

test("RequestParser: after a split head, body views are views of the pushed chunk", () => {
  const parser = new RequestParser();
  parser.push(bytes(`POST / HTTP/1.1\r\n${HOST}Content-Le`));
  assert.equal(parser.next(), undefined);
  const second = bytes("ngth: 5\r\n\r\nhello");
  parser.push(second);
  assert.equal(parser.next()?.kind, "request");
  const data = parser.next();
  assert.ok(data?.kind === "data");
  assert.equal(data.data.buffer, second.buffer);
  assert.equal(data.data.byteOffset, second.length - 5);
});

test("RequestParser: a Uint8Array subclass (like Node's Buffer) is read in place", () => {
  class Subclass extends Uint8Array {}
  const source = bytes(`POST / HTTP/1.1\r\n${HOST}Content-Length: 2\r\n\r\nhi`);
  const chunk = new Subclass(source.length);
  chunk.set(source);
  const parser = new RequestParser();
  parser.push(chunk);
  assert.equal(parser.next()?.kind, "request");
  const data = parser.next();
  assert.ok(data?.kind === "data");
  assert.equal(data.data.buffer, chunk.buffer);
  assert.deepEqual([...data.data], [0x68, 0x69]);
  assert.equal(parser.next()?.kind, "end");
});
