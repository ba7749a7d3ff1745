/**
 * Differential fuzzing of the parsers against themselves: for valid messages
 * with random bytes mutated, the outcome (events and error code) must not
 * depend on how the bytes are split, and only Http1Error may be thrown.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { RequestParser } from "../src/http1/request_parser.ts";
import { ResponseParser } from "../src/http1/response_parser.ts";
import { bytes, drive, type DrivenParser, type Outcome } from "./_support/http1_vectors.ts";

const REQUESTS = [
  "GET / HTTP/1.1\r\nHost: a\r\n\r\n",
  "POST /u HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n\r\nhello",
  "POST /c HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n3;x=y\r\nabc\r\n0\r\nT: v\r\n\r\n",
  "\r\nGET /x?y=1 HTTP/1.0\r\nConnection: keep-alive\r\n\r\n",
  "OPTIONS * HTTP/1.1\r\nHost: a\r\nExpect: 100-continue\r\n\r\n",
].join("");

const RESPONSES = [
  "HTTP/1.1 103 Early Hints\r\nLink: </a>; rel=preload\r\n\r\n",
  "HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\nabc",
  "HTTP/1.1 100 Continue\r\n\r\n",
  "HTTP/1.1 201 Created\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nab\r\n0\r\n\r\n",
  "HTTP/1.1 204 No Content\r\n\r\n",
  "HTTP/1.0 200 OK\r\nX: y\r\n\r\nuntil close",
].join("");

// Bytes that matter to the grammar, so mutations hit interesting paths.
const INTERESTING = [0x0d, 0x0a, 0x20, 0x09, 0x3a, 0x3b, 0x22, 0x2c, 0x00, 0x30, 0x31, 0x7f, 0xe9];

const byteValue = fc.oneof(fc.constantFrom(...INTERESTING), fc.integer({ min: 0, max: 255 }));

// Overwrite, insert or delete a byte.
const mutation = fc.array(
  fc.tuple(fc.constantFrom("set", "insert", "delete"), fc.nat(), byteValue),
  { minLength: 1, maxLength: 4 },
);

function mutate(
  input: Uint8Array,
  edits: Array<[string, number, number]>,
): Uint8Array {
  const out = [...input];
  for (const [kind, position, value] of edits) {
    const at = position % out.length;
    if (kind === "set") out[at] = value;
    else if (kind === "insert") out.splice(at, 0, value);
    else if (out.length > 2) out.splice(at, 1);
  }
  return new Uint8Array(out);
}

function summary(outcome: Outcome): unknown {
  return { events: outcome.events, error: outcome.error?.code };
}

function checkSplitInvariance(make: () => DrivenParser, input: Uint8Array, cut: number): void {
  const whole = drive(make(), [input]);
  const at = 1 + (cut % (input.length - 1));
  const split = drive(make(), [input.subarray(0, at), input.subarray(at)]);
  assert.deepEqual(summary(split), summary(whole), `split at ${at}`);
  const single = drive(make(), [...input].map((byte) => new Uint8Array([byte])));
  assert.deepEqual(summary(single), summary(whole), "one byte at a time");
}

test("RequestParser outcome does not depend on splitting, for mutated input", () => {
  const base = bytes(REQUESTS);
  fc.assert(
    fc.property(mutation, fc.nat(), (edits, cut) => {
      checkSplitInvariance(() => new RequestParser(), mutate(base, edits), cut);
    }),
    { numRuns: 400 },
  );
});

test("RequestParser with allowBareLf: outcome does not depend on splitting", () => {
  const base = bytes(REQUESTS);
  fc.assert(
    fc.property(mutation, fc.nat(), (edits, cut) => {
      checkSplitInvariance(
        () => new RequestParser({ allowBareLf: true }),
        mutate(base, edits),
        cut,
      );
    }),
    { numRuns: 200 },
  );
});

test("ResponseParser outcome does not depend on splitting, for mutated input", () => {
  const base = bytes(RESPONSES);
  const make = () => {
    const parser = new ResponseParser();
    for (let i = 0; i < 4; i++) parser.expect("GET");
    return parser;
  };
  fc.assert(
    fc.property(mutation, fc.nat(), (edits, cut) => {
      checkSplitInvariance(make, mutate(base, edits), cut);
    }),
    { numRuns: 400 },
  );
});

// Small limits, so that mutations land on every limit boundary.
const TIGHT = {
  maxStartLineBytes: 24,
  maxHeaderBytes: 40,
  maxHeaderCount: 2,
  maxChunkLineBytes: 6,
  maxInformational: 1,
  maxBodyBytes: 64,
};

test("RequestParser with tight limits: outcome does not depend on splitting", () => {
  const base = bytes(REQUESTS);
  fc.assert(
    fc.property(mutation, fc.nat(), fc.boolean(), (edits, cut, allowBareLf) => {
      checkSplitInvariance(
        () => new RequestParser({ ...TIGHT, allowBareLf }),
        mutate(base, edits),
        cut,
      );
    }),
    { numRuns: 300 },
  );
});

test("ResponseParser with tight limits: outcome does not depend on splitting", () => {
  const base = bytes(RESPONSES);
  const make = () => {
    const parser = new ResponseParser(TIGHT);
    for (let i = 0; i < 4; i++) parser.expect("GET");
    return parser;
  };
  fc.assert(
    fc.property(mutation, fc.nat(), (edits, cut) => {
      checkSplitInvariance(make, mutate(base, edits), cut);
    }),
    { numRuns: 300 },
  );
});

test("the unmutated fuzz bases parse without error", () => {
  const requests = drive(new RequestParser(), [bytes(REQUESTS)]);
  assert.equal(requests.error, undefined);
  assert.equal(requests.events.filter((event) => event.kind === "end").length, 5);
  const parser = new ResponseParser();
  for (let i = 0; i < 4; i++) parser.expect("GET");
  const responses = drive(parser, [bytes(RESPONSES)]);
  assert.equal(responses.error, undefined);
  assert.equal(responses.events.filter((event) => event.kind === "end").length, 4);
});
