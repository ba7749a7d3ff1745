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
import { FINAL_FIELDS, HINT_FIELDS, REQUEST_BYTES, RESPONSE_BYTES } from "./engine_samples.ts";

const [secondsArg = "0.3", roundsArg = "3"] = process.argv.slice(2);

function parseRequests(iterations: number): number {
  const parser = new RequestParser();
  let complete = 0;
  for (let i = 0; i < iterations; i++) {
    parser.push(REQUEST_BYTES);
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
    parser.push(RESPONSE_BYTES);
    for (let event = parser.next(); event !== undefined; event = parser.next()) {
      if (event.kind === "end") complete++;
    }
  }
  return complete;
}

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
    requestBytes: REQUEST_BYTES.length,
    responseBytes: RESPONSE_BYTES.length,
    samples,
  }),
);
