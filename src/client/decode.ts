/**
 * Content-coding decoding of response bodies, as `fetch` does it: `gzip`
 * (and `x-gzip`), `deflate` (zlib-wrapped or raw, as found in the wild) and
 * `br`, applied in reverse order of `Content-Encoding` (RFC 9110 section
 * 8.4). The headers are left untouched, as `fetch` leaves them.
 *
 * @module
 */

import { brotliDecompressionStream } from "../runtime/compression.ts";

type Stream = ReadableStream<Uint8Array>;

/** At most this many codings are undone; a longer list is left encoded (a hostile server). */
const MAX_CODINGS = 5;

/**
 * Tells whether a `Content-Encoding` value names codings the client decodes.
 *
 * @param contentEncoding The header value.
 * @returns The codings in the order to undo them, or `null` to pass the body through.
 */
export function codingsToUndo(contentEncoding: string): string[] | null {
  const codings: string[] = [];
  for (const part of contentEncoding.split(",")) {
    const coding = part.trim().toLowerCase();
    if (coding === "" || coding === "identity") continue;
    if (
      coding !== "gzip" && coding !== "x-gzip" && coding !== "deflate" &&
      coding !== "br"
    ) {
      // Like fetch: an unknown coding leaves the whole body as received.
      return null;
    }
    codings.push(coding);
  }
  if (codings.length === 0 || codings.length > MAX_CODINGS) return null;
  return codings.reverse();
}

/**
 * Decodes a body stream.
 *
 * @param body The encoded body.
 * @param codings What {@linkcode codingsToUndo} returned.
 * @returns The decoded body; corrupt data errors it with the decoder's error.
 */
export function decodeBody(body: Stream, codings: readonly string[]): Stream {
  let stream = body;
  for (const coding of codings) {
    if (coding === "gzip" || coding === "x-gzip") {
      stream = stream.pipeThrough(decompressor("gzip"));
    } else if (coding === "deflate") {
      stream = inflate(stream);
    } else {
      stream = stream.pipeThrough(brotliDecoder());
    }
  }
  return stream;
}

// The DOM typings declare the writable side as BufferSource; Uint8Array is one.
function decompressor(format: string): TransformStream<Uint8Array, Uint8Array> {
  return new DecompressionStream(format as CompressionFormat) as unknown as TransformStream<
    Uint8Array,
    Uint8Array
  >;
}

let nativeBrotli: boolean | undefined;

// Deno, Bun and current Node accept "brotli" in DecompressionStream; Node
// releases from before 2025 (22.0 among them) do not, and use node:zlib.
function brotliDecoder(): TransformStream<Uint8Array, Uint8Array> {
  if (nativeBrotli !== false) {
    try {
      const stream = decompressor("brotli");
      nativeBrotli = true;
      return stream;
    } catch {
      nativeBrotli = false;
    }
  }
  return brotliDecompressionStream();
}

/**
 * `deflate` is meant to be zlib-wrapped (RFC 9110 section 8.4.1.2), but some
 * servers send raw deflate; like browsers and undici, look at the first two
 * bytes: a zlib header has method 8 and a check value divisible by 31.
 */
function inflate(body: Stream): Stream {
  const reader = body.getReader();
  let decoded: ReadableStreamDefaultReader<Uint8Array> | undefined;
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      if (decoded === undefined) {
        let first: Uint8Array | undefined;
        while (first === undefined) {
          const result = await reader.read();
          if (result.done) {
            controller.close();
            return;
          }
          if (result.value.byteLength > 0) first = result.value;
        }
        const zlib = first.byteLength >= 2 && (first[0]! & 0x0f) === 8 &&
          ((first[0]! << 8) | first[1]!) % 31 === 0;
        const head = first;
        const rest = new ReadableStream<Uint8Array>({
          start(inner) {
            inner.enqueue(head);
          },
          async pull(inner) {
            const result = await reader.read();
            if (result.done) inner.close();
            else inner.enqueue(result.value);
          },
          cancel(reason) {
            return reader.cancel(reason);
          },
        });
        decoded = rest.pipeThrough(decompressor(zlib ? "deflate" : "deflate-raw")).getReader();
      }
      const result = await decoded.read();
      if (result.done) controller.close();
      else controller.enqueue(result.value);
    },
    cancel(reason) {
      return decoded !== undefined ? decoded.cancel(reason) : reader.cancel(reason);
    },
  });
}
