/**
 * Engine benchmark driver, run in the runtime under test by
 * `scripts/bench.ts`: messages per second of the sans-IO HTTP/1.1 engine on
 * a typical browser request and on a `103` + `200` response (the same bytes
 * as `scripts/bench_parse.ts`), and of encoding the two response heads.
 *
 * Usage: `<runtime> scripts/bench/engine_driver.ts SECONDS ROUNDS`; prints
 * one JSON object with one sample per case and round (interleaved).
 *
 * @module
 */

import process from "node:process";
import { RequestParser } from "../../src/http1/request_parser.ts";
import { ResponseParser } from "../../src/http1/response_parser.ts";
import { encodeInformational, encodeResponseHead } from "../../src/http1/serialize.ts";

const [secondsArg = "0.3", roundsArg = "3"] = process.argv.slice(2);

/** A browser's GET as Chrome sends it (520 bytes). */
const BROWSER_GET = "GET /assets/app.js?v=3 HTTP/1.1\r\n" +
  "Host: www.example.com\r\n" +
  "User-Agent: Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) " +
  "Chrome/126.0.0.0 Safari/537.36\r\n" +
  "Accept: text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,*/*;q=0.8\r\n" +
  "Accept-Language: en-US,en;q=0.9\r\n" +
  "Accept-Encoding: gzip, deflate, br, zstd\r\n" +
  "Referer: https://www.example.com/\r\n" +
  "Connection: keep-alive\r\n" +
  "Cookie: session=3f2a9c1e7b; theme=dark\r\n" +
  "Sec-Fetch-Dest: script\r\n" +
  "Sec-Fetch-Mode: no-cors\r\n" +
  "Sec-Fetch-Site: same-origin\r\n" +
  "\r\n";

const BODY = "<!doctype html><title>hi</title><p>hello</p>\n";

/** A `103` with two preload links, then a small `200` (298 bytes). */
const HINT_AND_RESPONSE = "HTTP/1.1 103 Early Hints\r\n" +
  "Link: </style.css>; rel=preload; as=style\r\n" +
  "Link: </app.js>; rel=preload; as=script\r\n" +
  "\r\n" +
  "HTTP/1.1 200 OK\r\n" +
  "Content-Type: text/html; charset=utf-8\r\n" +
  `Content-Length: ${BODY.length}\r\n` +
  "Date: Mon, 23 Nov 2026 20:00:00 GMT\r\n" +
  "Cache-Control: no-store\r\n" +
  "\r\n" + BODY;

const encoder = new TextEncoder();
const requestBytes = encoder.encode(BROWSER_GET);
const responseBytes = encoder.encode(HINT_AND_RESPONSE);

function parseRequests(iterations: number): number {
  const parser = new RequestParser();
  let complete = 0;
  for (let i = 0; i < iterations; i++) {
    parser.push(requestBytes);
    for (let event = parser.next(); event !== undefined; event = parser.next()) {
      if (event.kind === "end") complete++;
    }
  }
  return complete;
}

function parseResponses(iterations: number): number {
  const parser = new ResponseParser();
  let complete = 0;
  for (let i = 0; i < iterations; i++) {
    parser.expect("GET");
    parser.push(responseBytes);
    for (let event = parser.next(); event !== undefined; event = parser.next()) {
      if (event.kind === "end") complete++;
    }
  }
  return complete;
}

const HINT_FIELDS: Array<[string, string]> = [
  ["Link", "</style.css>; rel=preload; as=style"],
  ["Link", "</app.js>; rel=preload; as=script"],
];
const FINAL_FIELDS: Array<[string, string]> = [
  ["Content-Type", "text/html; charset=utf-8"],
  ["Content-Length", String(BODY.length)],
  ["Date", "Mon, 23 Nov 2026 20:00:00 GMT"],
  ["Cache-Control", "no-store"],
];

function encodeHeads(iterations: number): number {
  let written = 0;
  for (let i = 0; i < iterations; i++) {
    if (
      encodeInformational(103, HINT_FIELDS).length > 0 &&
      encodeResponseHead(200, undefined, FINAL_FIELDS).length > 0
    ) written++;
  }
  return written;
}

const CASES: Record<string, (iterations: number) => number> = {
  "parse-request": parseRequests,
  "parse-103+200": parseResponses,
  "encode-103+200": encodeHeads,
};

/** Messages per second of one case over `seconds`, in batches of ~20 ms. */
function measure(run: (iterations: number) => number, seconds: number): number {
  let batch = 64;
  for (;;) {
    const start = performance.now();
    if (run(batch) !== batch) throw new Error("lost messages");
    if (performance.now() - start > 20) break;
    batch *= 2;
  }
  let done = 0;
  const start = performance.now();
  let elapsed = 0;
  while (elapsed < seconds * 1000) {
    done += run(batch);
    elapsed = performance.now() - start;
  }
  return done / (elapsed / 1000);
}

const samples: Record<string, number[]> = {};
for (const name of Object.keys(CASES)) samples[name] = [];
for (let round = 0; round < Number(roundsArg); round++) {
  for (const [name, run] of Object.entries(CASES)) {
    samples[name]!.push(measure(run, Number(secondsArg)));
  }
}
console.log(
  JSON.stringify({
    requestBytes: requestBytes.length,
    responseBytes: responseBytes.length,
    samples,
  }),
);
