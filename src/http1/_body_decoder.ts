/**
 * Decodes a message body framed by length, by chunked coding (RFC 9112
 * section 7.1) or by connection close, emitting views of the pending bytes.
 * Private to the engine.
 *
 * @module
 */

import { CR, FIELD_VALUE_BYTE, HEX_VALUE, HTAB, LF, SEMICOLON, SP, TCHAR } from "./_bytes.ts";
import type { ByteQueue } from "./_byte_queue.ts";
import { FieldSectionReader } from "./_field_section.ts";
import { findLineEnd, lineContentEnd } from "./_lines.ts";
import { Http1Error } from "./errors.ts";
import type { BodyChunk, HeaderList, MessageEnd, ParserLimits } from "./types.ts";

const EQUALS = 0x3d;
const DQUOTE = 0x22;
const BACKSLASH = 0x5c;

// Decoder phases (plain numbers: enums are not erasable TypeScript).
const LENGTH = 0;
const CLOSE = 1;
const CHUNK_SIZE = 2;
const CHUNK_DATA = 3;
const CHUNK_DATA_END = 4;
const TRAILERS = 5;
const DONE = 6;
type Phase = 0 | 1 | 2 | 3 | 4 | 5 | 6;

// 13 hex digits stay below Number.MAX_SAFE_INTEGER (2^53 - 1).
const MAX_CHUNK_SIZE_DIGITS = 13;

/** One body at a time; `begin()` starts the next. */
export class BodyDecoder {
  #phase: Phase = DONE;
  #remaining = 0;
  #received = 0;
  readonly #maxBodyBytes: number;
  readonly #maxChunkLineBytes: number;
  readonly #allowBareLf: boolean;
  readonly #trailers: FieldSectionReader;

  /** `unfold`: obs-fold in trailers is joined with SP, else OBS_FOLD (see FieldSectionReader). */
  constructor(limits: ParserLimits, allowBareLf: boolean, unfold: boolean) {
    this.#maxBodyBytes = limits.maxBodyBytes;
    this.#maxChunkLineBytes = limits.maxChunkLineBytes;
    this.#allowBareLf = allowBareLf;
    this.#trailers = new FieldSectionReader(
      limits.maxHeaderBytes,
      limits.maxHeaderCount,
      allowBareLf,
      unfold,
      "trailer section",
    );
  }

  /**
   * Starts a body. `length` is the Content-Length for "length" framing; "none"
   * is a body of length 0.
   */
  begin(framing: "none" | "length" | "chunked" | "close", length: number): void {
    this.#received = 0;
    if (framing === "chunked") {
      this.#phase = CHUNK_SIZE;
    } else if (framing === "close") {
      this.#phase = CLOSE;
    } else {
      this.#phase = LENGTH;
      this.#remaining = framing === "length" ? length : 0;
    }
  }

  /**
   * The next `data` or `end` event, or undefined when more bytes are needed.
   * `eof` says the peer has closed: a body cut short is INCOMPLETE_MESSAGE.
   */
  next(queue: ByteQueue, eof: boolean): BodyChunk | MessageEnd | undefined {
    for (;;) {
      switch (this.#phase) {
        case LENGTH:
          if (this.#remaining === 0) return this.#end([]);
          return this.#take(queue, eof, this.#remaining);
        case CLOSE: {
          if (queue.size > 0) {
            // Deliver up to the limit, then fail: the same events whatever
            // the split.
            const allowed = this.#maxBodyBytes - this.#received;
            if (allowed <= 0) throw tooLarge(this.#maxBodyBytes);
            return this.#take(queue, eof, allowed);
          }
          if (eof) return this.#end([]);
          return undefined;
        }
        case CHUNK_SIZE:
          if (!this.#readChunkSize(queue)) return incomplete(eof);
          break;
        case CHUNK_DATA:
          if (this.#remaining === 0) {
            this.#phase = CHUNK_DATA_END;
            break;
          }
          return this.#take(queue, eof, this.#remaining);
        case CHUNK_DATA_END:
          if (!this.#readChunkDataEnd(queue)) return incomplete(eof);
          this.#phase = CHUNK_SIZE;
          break;
        case TRAILERS:
          if (!this.#trailers.read(queue)) return incomplete(eof);
          return this.#end(this.#trailers.fields);
        case DONE:
          return undefined;
      }
    }
  }

  #end(trailers: HeaderList): MessageEnd {
    this.#phase = DONE;
    return { kind: "end", trailers };
  }

  // Emits up to `limit` pending bytes as a view; never an empty chunk.
  #take(queue: ByteQueue, eof: boolean, limit: number): BodyChunk | undefined {
    const available = queue.size;
    if (available === 0) return incomplete(eof);
    const count = available < limit ? available : limit;
    if (this.#phase === CLOSE) {
      this.#received += count;
    } else {
      this.#remaining -= count;
    }
    return { kind: "data", data: queue.take(count) };
  }

  // chunk-size [ chunk-ext ] CRLF (RFC 9112 section 7.1)
  #readChunkSize(queue: ByteQueue): boolean {
    const lf = findLineEnd(
      queue,
      this.#maxChunkLineBytes,
      "INVALID_CHUNK",
      "chunk-size line",
    );
    if (lf === -1) return false;
    const bytes = queue.bytes;
    const start = queue.start;
    const end = lineContentEnd(queue, lf, this.#allowBareLf);
    let i = start;
    let size = 0;
    let digits = 0;
    for (; i < end; i++) {
      const value = HEX_VALUE[bytes[i]!]!;
      if (value === 255) break;
      if (digits > 0 || value !== 0) digits++;
      if (digits > MAX_CHUNK_SIZE_DIGITS) {
        throw new Http1Error("INVALID_CHUNK", "chunk size overflows");
      }
      size = size * 16 + value;
    }
    if (i === start) {
      throw new Http1Error("INVALID_CHUNK", "chunk-size line without a hex size");
    }
    checkChunkExtensions(bytes, i, end);
    if (this.#received + size > this.#maxBodyBytes) {
      throw tooLarge(this.#maxBodyBytes);
    }
    this.#received += size;
    queue.consume(lf + 1 - start);
    if (size === 0) {
      this.#trailers.reset();
      this.#phase = TRAILERS;
    } else {
      this.#remaining = size;
      this.#phase = CHUNK_DATA;
    }
    return true;
  }

  // The CRLF after chunk-data.
  #readChunkDataEnd(queue: ByteQueue): boolean {
    if (queue.size === 0) return false;
    const first = queue.bytes[queue.start];
    if (first === LF && this.#allowBareLf) {
      queue.consume(1);
      return true;
    }
    if (first === CR) {
      if (queue.size < 2) return false;
      if (queue.bytes[queue.start + 1] === LF) {
        queue.consume(2);
        return true;
      }
    }
    throw new Http1Error("INVALID_CHUNK", "chunk data not followed by CRLF");
  }
}

/**
 * Checks `*( BWS ";" BWS ext-name [ BWS "=" BWS ext-val ] )` with ext-val a
 * token or a quoted-string (RFC 9112 section 7.1.1). The extensions are
 * ignored, but they are parsed strictly: a lenient reading that differs from
 * a proxy's is a request smuggling vector.
 */
function checkChunkExtensions(bytes: Uint8Array, start: number, end: number): void {
  let i = start;
  while (i < end) {
    i = skipInnerWhitespace(bytes, i, end);
    if (bytes[i] !== SEMICOLON) throw badExtension(bytes[i]!);
    i = skipWhitespace(bytes, i + 1, end);
    const nameStart = i;
    while (i < end && TCHAR[bytes[i]!] === 1) i++;
    if (i === nameStart) throw badExtension(i < end ? bytes[i]! : -1);
    if (i === end) return;
    const next = skipWhitespace(bytes, i, end);
    if (next < end && bytes[next] === EQUALS) {
      i = skipWhitespace(bytes, next + 1, end);
      if (i < end && bytes[i] === DQUOTE) {
        i = skipQuotedString(bytes, i, end);
      } else {
        const valueStart = i;
        while (i < end && TCHAR[bytes[i]!] === 1) i++;
        if (i === valueStart) throw badExtension(i < end ? bytes[i]! : -1);
      }
    }
  }
}

// Skips BWS, which must lead somewhere: trailing whitespace on a chunk-size
// line is refused, as llhttp does unless made lenient.
function skipInnerWhitespace(bytes: Uint8Array, from: number, end: number): number {
  const i = skipWhitespace(bytes, from, end);
  if (i === end && i > from) {
    throw new Http1Error("INVALID_CHUNK", "whitespace at the end of a chunk-size line");
  }
  return i;
}

function skipWhitespace(bytes: Uint8Array, from: number, end: number): number {
  let i = from;
  while (i < end && (bytes[i] === SP || bytes[i] === HTAB)) i++;
  return i;
}

// quoted-string = DQUOTE *( qdtext / quoted-pair ) DQUOTE (RFC 9110 section 5.6.4)
function skipQuotedString(bytes: Uint8Array, open: number, end: number): number {
  for (let i = open + 1; i < end; i++) {
    const byte = bytes[i]!;
    if (byte === DQUOTE) return i + 1;
    if (byte === BACKSLASH) {
      i++;
      if (i === end) break;
      if (FIELD_VALUE_BYTE[bytes[i]!] === 0) throw badExtension(bytes[i]!);
    } else if (FIELD_VALUE_BYTE[byte] === 0) {
      throw badExtension(byte);
    }
  }
  throw new Http1Error("INVALID_CHUNK", "unterminated quoted-string in a chunk extension");
}

function badExtension(byte: number): Http1Error {
  if (byte === CR) return new Http1Error("BARE_CR", "chunk extension contains a bare CR");
  return new Http1Error(
    "INVALID_CHUNK",
    byte === -1
      ? "chunk extension ends early"
      : `invalid byte 0x${byte.toString(16).padStart(2, "0")} in a chunk extension`,
  );
}

function incomplete(eof: boolean): undefined {
  if (eof) {
    throw new Http1Error("INCOMPLETE_MESSAGE", "connection closed in the middle of a body");
  }
  return undefined;
}

function tooLarge(max: number): Http1Error {
  return new Http1Error("BODY_TOO_LARGE", `body exceeds ${max} bytes`);
}
