import { test } from "node:test";
import assert from "node:assert/strict";
import {
  type FramingInput,
  type ResponseFraming,
  responseFraming,
} from "../src/http1/response_framing.ts";

/** An HTTP/1.1 GET that allows keep-alive, answered 200 with a streamed body. */
const BASE: FramingInput = {
  minorVersion: 1,
  requestMethod: "GET",
  requestKeepAlive: true,
  closing: false,
  unreadBodyInDoubt: false,
  status: 200,
  declaredLength: -1,
  bodySize: undefined,
};

interface Case {
  readonly rule: string;
  readonly input: Partial<FramingInput>;
  readonly want: ResponseFraming;
}

const ALIVE_11 = { keepAlive: true, connection: undefined } as const;
const CLOSE_11 = { keepAlive: false, connection: "close" } as const;

const CASES: readonly Case[] = [
  // Bodies known in full: their size is the length, whatever was declared.
  {
    rule: "a complete body states its size",
    input: { bodySize: 5 },
    want: { contentLength: 5, chunked: false, sendsBody: true, ...ALIVE_11 },
  },
  {
    rule: "a complete body's size wins over the declared length (the sender then counts it)",
    input: { bodySize: 5, declaredLength: 9 },
    want: { contentLength: 5, chunked: false, sendsBody: true, ...ALIVE_11 },
  },
  {
    rule: "an absent body states length 0",
    input: { bodySize: 0 },
    want: { contentLength: 0, chunked: false, sendsBody: true, ...ALIVE_11 },
  },
  // HEAD: the length of the GET, no body bytes.
  {
    rule: "HEAD states the declared length, not the (empty) body's size",
    input: { requestMethod: "HEAD", declaredLength: 1234, bodySize: 0 },
    want: { contentLength: 1234, chunked: false, sendsBody: false, ...ALIVE_11 },
  },
  {
    rule: "HEAD without a declared length states the body's size",
    input: { requestMethod: "HEAD", bodySize: 42 },
    want: { contentLength: 42, chunked: false, sendsBody: false, ...ALIVE_11 },
  },
  {
    rule: "HEAD with a streamed body and no declared length states none and is not chunked",
    input: { requestMethod: "HEAD" },
    want: { contentLength: undefined, chunked: false, sendsBody: false, ...ALIVE_11 },
  },
  {
    rule: "HEAD on HTTP/1.0 with a streamed body stays alive (no body to delimit)",
    input: { requestMethod: "HEAD", minorVersion: 0 },
    want: {
      contentLength: undefined,
      chunked: false,
      sendsBody: false,
      keepAlive: true,
      connection: "keep-alive",
    },
  },
  // RFC 9110 15.3.5 and 15.4.5.
  {
    rule: "204 states no length, even when one was declared",
    input: { status: 204, declaredLength: 10, bodySize: 0 },
    want: { contentLength: undefined, chunked: false, sendsBody: false, ...ALIVE_11 },
  },
  {
    rule: "204 with a streamed body is not chunked",
    input: { status: 204 },
    want: { contentLength: undefined, chunked: false, sendsBody: false, ...ALIVE_11 },
  },
  {
    rule: "304 repeats the declared length",
    input: { status: 304, declaredLength: 10, bodySize: 0 },
    want: { contentLength: 10, chunked: false, sendsBody: false, ...ALIVE_11 },
  },
  {
    rule: "304 without a declared length states none",
    input: { status: 304, bodySize: 0 },
    want: { contentLength: undefined, chunked: false, sendsBody: false, ...ALIVE_11 },
  },
  {
    rule: "304 to a HEAD repeats the declared length",
    input: { status: 304, requestMethod: "HEAD", declaredLength: 7 },
    want: { contentLength: 7, chunked: false, sendsBody: false, ...ALIVE_11 },
  },
  // Streamed bodies.
  {
    rule: "a streamed body with a declared length is sent with that length",
    input: { declaredLength: 100 },
    want: { contentLength: 100, chunked: false, sendsBody: true, ...ALIVE_11 },
  },
  {
    rule: "a streamed body without a length on HTTP/1.1 is chunked",
    input: {},
    want: { contentLength: undefined, chunked: true, sendsBody: true, ...ALIVE_11 },
  },
  {
    rule: "a streamed body without a length on HTTP/1.0 runs to the close",
    input: { minorVersion: 0 },
    want: {
      contentLength: undefined,
      chunked: false,
      sendsBody: true,
      keepAlive: false,
      connection: undefined,
    },
  },
  {
    rule: "a streamed body with a declared length on HTTP/1.0 keeps the connection",
    input: { minorVersion: 0, declaredLength: 3 },
    want: {
      contentLength: 3,
      chunked: false,
      sendsBody: true,
      keepAlive: true,
      connection: "keep-alive",
    },
  },
  // Persistence.
  {
    rule: "HTTP/1.0 keep-alive says Connection: keep-alive",
    input: { minorVersion: 0, bodySize: 2 },
    want: {
      contentLength: 2,
      chunked: false,
      sendsBody: true,
      keepAlive: true,
      connection: "keep-alive",
    },
  },
  {
    rule: "HTTP/1.0 without keep-alive says nothing (close is its default)",
    input: { minorVersion: 0, requestKeepAlive: false, bodySize: 2 },
    want: {
      contentLength: 2,
      chunked: false,
      sendsBody: true,
      keepAlive: false,
      connection: undefined,
    },
  },
  {
    rule: "HTTP/1.1 with Connection: close on the request says close",
    input: { requestKeepAlive: false, bodySize: 2 },
    want: { contentLength: 2, chunked: false, sendsBody: true, ...CLOSE_11 },
  },
  {
    rule: "a closing server says close",
    input: { closing: true, bodySize: 2 },
    want: { contentLength: 2, chunked: false, sendsBody: true, ...CLOSE_11 },
  },
  {
    rule: "a closing server on HTTP/1.0 drops keep-alive silently",
    input: { minorVersion: 0, closing: true, bodySize: 2 },
    want: {
      contentLength: 2,
      chunked: false,
      sendsBody: true,
      keepAlive: false,
      connection: undefined,
    },
  },
  {
    rule: "an unanswered Expect: 100-continue with its body unread closes (RFC 9110 10.1.1)",
    input: { unreadBodyInDoubt: true, bodySize: 2 },
    want: { contentLength: 2, chunked: false, sendsBody: true, ...CLOSE_11 },
  },
  {
    rule: "a chunked body on a closing server is still chunked, and says close",
    input: { closing: true },
    want: { contentLength: undefined, chunked: true, sendsBody: true, ...CLOSE_11 },
  },
];

for (const { rule, input, want } of CASES) {
  test(`responseFraming: ${rule}`, () => {
    assert.deepEqual(responseFraming({ ...BASE, ...input }), want);
  });
}

test("responseFraming: never both a length and chunked, and chunked only on HTTP/1.1 with a body", () => {
  for (const minorVersion of [0, 1]) {
    for (const requestMethod of ["GET", "HEAD", "POST"]) {
      for (const status of [200, 204, 206, 304, 404, 500]) {
        for (const declaredLength of [-1, 0, 9]) {
          for (const bodySize of [undefined, 0, 9]) {
            for (const closing of [false, true]) {
              const input = {
                ...BASE,
                minorVersion,
                requestMethod,
                status,
                declaredLength,
                bodySize,
                closing,
              };
              const framing = responseFraming(input);
              const where = JSON.stringify(input);
              assert.ok(!(framing.chunked && framing.contentLength !== undefined), where);
              if (framing.chunked) {
                assert.ok(minorVersion === 1 && framing.sendsBody, where);
              }
              // A body with neither length nor chunking is delimited by the close.
              if (framing.sendsBody && !framing.chunked && framing.contentLength === undefined) {
                assert.equal(framing.keepAlive, false, where);
              }
              if (closing) assert.equal(framing.keepAlive, false, where);
              assert.equal(
                framing.connection,
                minorVersion === 1
                  ? (framing.keepAlive ? undefined : "close")
                  : (framing.keepAlive ? "keep-alive" : undefined),
                where,
              );
            }
          }
        }
      }
    }
  }
});
