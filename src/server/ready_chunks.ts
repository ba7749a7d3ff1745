/**
 * Reads what a response body has ready now, without waiting for a slow
 * producer. A body made from a string, bytes or a `Blob` is complete within a
 * few microtask turns on every runtime we support, so its length is known and
 * it goes out with `Content-Length` in the same write as the head; a real
 * stream that has nothing yet makes the head go out at once, chunked. This
 * module is browser compatible.
 *
 * @module
 */

/** What was read without waiting. */
export interface ReadyChunks {
  /** The chunks read, in order. */
  readonly chunks: Uint8Array[];
  /** Their total size. */
  readonly size: number;
  /** `true` when the body ended: `chunks` is all of it. */
  readonly done: boolean;
  /** A read still in flight when `done` is false and the producer was not ready; await it next. */
  readonly pending: Promise<ReadableStreamReadResult<Uint8Array>> | undefined;
}

// Deno settles a Blob-backed read after five turns, a string after two;
// eight leaves a margin and costs nothing measurable.
const MICROTASK_TURNS = 8;

// A body known in full ends within a few reads: Deno and Node yield a string
// or bytes as one chunk, Bun as 16 KiB then 2 MiB chunks, and a Blob gives
// one chunk per part. So past `limit`, more ready reads may still find the
// end, and the body keeps its Content-Length (at 64 KiB and over it went out
// chunked; on Bun, past 8 MiB). Both bounds stop a producer that is always
// ready from being read into memory without end: 32 reads cover Bun's bytes
// up to 64 MiB, and an always-ready stream of small chunks stops early.
const READS_PAST_LIMIT = 32;
const MAX_READY_BYTES = 64 * 1024 * 1024;

/**
 * Reads chunks that are ready within a few microtask turns, up to `limit`
 * bytes; past it, a few more ready reads look for the end of a body that is
 * known in full (bytes or a string of any size), which a stream that goes on
 * producing does not reach.
 *
 * @param reader The body's reader.
 * @param limit Past this many bytes, stop unless the body ends within a few more reads.
 * @returns The chunks and whether the body is complete.
 * @throws {TypeError} When the body yields something other than a `Uint8Array`.
 *
 * @example A string body is ready at once
 * ```ts
 * import assert from "node:assert/strict";
 * import { readReadyChunks } from "./ready_chunks.ts";
 * const ready = await readReadyChunks(new Response("hi").body!.getReader(), 65536);
 * assert.ok(ready.done && ready.size === 2);
 * ```
 */
export async function readReadyChunks(
  reader: ReadableStreamDefaultReader<Uint8Array>,
  limit: number,
): Promise<ReadyChunks> {
  const chunks: Uint8Array[] = [];
  let size = 0;
  let readsPastLimit = 0;
  for (;;) {
    const read = reader.read();
    let result: ReadableStreamReadResult<Uint8Array> | undefined;
    let failure: { error: unknown } | undefined;
    read.then((value) => {
      result = value;
    }, (error) => {
      failure = { error };
    });
    for (let turn = 0; turn < MICROTASK_TURNS; turn++) {
      if (result !== undefined || failure !== undefined) break;
      await null;
    }
    if (failure !== undefined) throw failure.error;
    if (result === undefined) {
      return { chunks, size, done: false, pending: read };
    }
    if (result.done) return { chunks, size, done: true, pending: undefined };
    const chunk = checkChunk(result.value);
    if (chunk.byteLength > 0) {
      chunks.push(chunk);
      size += chunk.byteLength;
    }
    if (size >= limit && (++readsPastLimit > READS_PAST_LIMIT || size > MAX_READY_BYTES)) {
      return { chunks, size, done: false, pending: undefined };
    }
  }
}

/**
 * Checks that a body chunk is bytes.
 *
 * @param chunk What the body stream yielded.
 * @returns The chunk.
 * @throws {TypeError} When it is not a `Uint8Array`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { checkChunk } from "./ready_chunks.ts";
 * assert.equal(checkChunk(new Uint8Array(1)).byteLength, 1);
 * ```
 */
export function checkChunk(chunk: unknown): Uint8Array {
  if (chunk instanceof Uint8Array) return chunk;
  throw new TypeError(
    `response body streams must yield Uint8Array chunks, got ${
      chunk === null ? "null" : typeof chunk
    }`,
  );
}
