/**
 * Shared helpers for the HTTP/1.1 engine tests: byte vectors fed whole, split
 * at every offset and one byte at a time, with events normalised so that the
 * way body bytes were split does not matter.
 *
 * @module
 */

import assert from "node:assert/strict";
import { Http1Error, type Http1ErrorCode } from "../../src/http1/errors.ts";
import type { HeaderList, RequestEvent, ResponseEvent } from "../../src/http1/types.ts";

/** Bytes from a string where each char is one byte (latin1). */
export function bytes(text: string): Uint8Array {
  const out = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code > 0xff) throw new Error(`not a byte string at ${i}`);
    out[i] = code;
  }
  return out;
}

/** Latin1 text of bytes. */
export function latin1(data: Uint8Array): string {
  let text = "";
  for (let i = 0; i < data.length; i += 4096) {
    text += String.fromCharCode(...data.subarray(i, i + 4096));
  }
  return text;
}

/** An expected event: heads are compared on the keys given; data as text. */
export type ExpectedEvent =
  | { kind: "request" | "response" | "informational"; [key: string]: unknown }
  | { kind: "data"; text: string }
  | { kind: "end"; trailers?: HeaderList };

/** What a vector expects: events, or events then an error code. */
export interface Expectation {
  events: ExpectedEvent[];
  error?: Http1ErrorCode;
}

/** The parser surface the helpers drive (both parsers have it). */
export interface DrivenParser {
  push(chunk: Uint8Array): void;
  next(): RequestEvent | ResponseEvent | undefined;
  finish(): void;
}

/** A normalised event (data collapsed, heads as plain records). */
export type SeenEvent = Record<string, unknown> & { kind: string };

/** The outcome of feeding a parser. */
export interface Outcome {
  events: SeenEvent[];
  error: Http1Error | undefined;
}

/** Ways to cut `input`: whole, at every offset into two pieces, one byte at a time. */
export function* feedings(input: Uint8Array): Generator<Uint8Array[]> {
  yield [input];
  for (let cut = 1; cut < input.length; cut++) {
    yield [input.subarray(0, cut), input.subarray(cut)];
  }
  const single: Uint8Array[] = [];
  for (let i = 0; i < input.length; i++) single.push(input.subarray(i, i + 1));
  yield single;
}

/**
 * Pushes each chunk, draining `next()` after each; then (when `eof`)
 * `finish()` and drains again. Consecutive data events are collapsed.
 */
export function drive(
  parser: DrivenParser,
  chunks: Uint8Array[],
  eof = true,
): Outcome {
  const events: SeenEvent[] = [];
  let error: Http1Error | undefined;
  const drain = (): boolean => {
    try {
      for (;;) {
        const event = parser.next();
        if (event === undefined) return true;
        record(events, event);
      }
    } catch (caught) {
      if (!(caught instanceof Http1Error)) throw caught;
      error = caught;
      // A dead parser rethrows the very same error.
      assert.throws(() => parser.next(), (again) => again === caught);
      return false;
    }
  };
  for (const chunk of chunks) {
    parser.push(chunk);
    if (!drain()) return { events, error };
  }
  if (eof) {
    parser.finish();
    drain();
  }
  return { events, error };
}

function record(events: SeenEvent[], event: RequestEvent | ResponseEvent): void {
  if (event.kind === "data") {
    const data = event.data;
    assert.ok(data.length > 0, "data events are never empty");
    const last = events[events.length - 1];
    if (last !== undefined && last.kind === "data") {
      last.text = (last.text as string) + latin1(data);
    } else {
      events.push({ kind: "data", text: latin1(data) });
    }
    return;
  }
  events.push({ ...event });
}

/** Asserts that `seen` matches `expected` (head keys not named are ignored). */
export function assertOutcome(
  seen: Outcome,
  expected: Expectation,
  label: string,
): void {
  const actual = seen.events.map((event, index) => {
    const want = expected.events[index];
    if (want === undefined) return event;
    const picked: Record<string, unknown> = { kind: event.kind };
    for (const key of Object.keys(want)) picked[key] = event[key];
    if (want.kind === "end" && !("trailers" in want)) delete picked.trailers;
    return picked;
  });
  assert.deepEqual(
    { events: actual, error: seen.error?.code },
    { events: expected.events, error: expected.error },
    `${label}${seen.error ? ` (error: ${seen.error.message})` : ""}`,
  );
}

/**
 * Feeds `input` in every way and checks each against `expected`.
 *
 * @param makeParser Creates a fresh parser.
 * @param input The byte string.
 * @param expected Events and error.
 * @param eof Whether to call `finish()` at the end.
 */
export function checkAllFeedings(
  makeParser: () => DrivenParser,
  input: string,
  expected: Expectation,
  eof = true,
): void {
  const data = bytes(input);
  let way = 0;
  for (const chunks of feedings(data)) {
    const label = chunks.length === 1
      ? "whole"
      : chunks.length === 2
      ? `split at ${chunks[0]!.length}`
      : "one byte at a time";
    assertOutcome(drive(makeParser(), chunks, eof), expected, label);
    way++;
  }
  assert.ok(way >= 1);
}
