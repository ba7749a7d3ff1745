/**
 * Reads a field section (header or trailer lines up to the empty line) from a
 * byte queue, decoding each field once. Private to the engine.
 *
 * The complete lines present are located first, then decoded with one call
 * and parsed; the bytes of a line still incomplete stay in the queue, so a
 * section split across chunks is never copied as a whole.
 *
 * @module
 */

import {
  COLON,
  CR,
  decodeAscii,
  decodeLatin1,
  FIELD_NAME_BYTE,
  FIELD_VALUE_BYTE,
  HTAB,
  LF,
  SP,
} from "./_bytes.ts";
import type { ByteQueue } from "./_byte_queue.ts";
import { lineContentEnd } from "./_lines.ts";
import { Http1Error } from "./errors.ts";
import type { HeaderList } from "./types.ts";

/** Incremental reader of one field section; `reset()` before each section. */
export class FieldSectionReader {
  /** The fields read so far, names lower-cased. */
  fields: HeaderList = [];
  #bytes = 0;
  // LF positions of the complete lines found by the current read().
  readonly #lineEnds: number[] = [];
  readonly #maxBytes: number;
  readonly #maxCount: number;
  readonly #allowBareLf: boolean;
  readonly #unfold: boolean;
  readonly #what: string;

  /**
   * `unfold`: join an obs-fold continuation line to the field before it with
   * one SP (RFC 9112 section 5.2, what a user agent must do with a response);
   * otherwise it is OBS_FOLD (what a server may do with a request).
   */
  constructor(
    maxBytes: number,
    maxCount: number,
    allowBareLf: boolean,
    unfold: boolean,
    what: string,
  ) {
    this.#maxBytes = maxBytes;
    this.#maxCount = maxCount;
    this.#allowBareLf = allowBareLf;
    this.#unfold = unfold;
    this.#what = what;
  }

  /** Starts a new section. */
  reset(): void {
    this.fields = [];
    this.#bytes = 0;
  }

  /**
   * Consumes complete field lines; returns true once the empty line ending
   * the section was consumed, false when more bytes are needed.
   */
  read(queue: ByteQueue): boolean {
    const bytes = queue.bytes;
    const end = queue.end;
    const lineEnds = this.#lineEnds;
    let count = 0;
    // Pass 1: find the complete lines, up to the empty line. Each field line
    // counts with its CRLF against maxHeaderBytes; a limit error is raised
    // only after the lines before it were parsed, so the error reported does
    // not depend on how the bytes were split.
    let used = this.#bytes;
    let lineStart = queue.start;
    let complete = false;
    let overflow = false;
    for (;;) {
      const lf = lineStart === queue.start ? queue.findLineFeed() : findLf(bytes, lineStart, end);
      if (lf === -1) {
        // The pending part will count at least one more byte (its LF).
        const pending = end - lineStart;
        if (pending >= 2 && used + pending + 1 > this.#maxBytes) overflow = true;
        break;
      }
      const lineBytes = lf + 1 - lineStart;
      if (lineBytes <= 2 && (lf === lineStart || bytes[lineStart] === CR)) {
        lineEnds[count++] = lf;
        complete = true;
        break;
      }
      // Count a bare-LF line as if it had a CR, so the limit is the same.
      used += bytes[lf - 1] === CR ? lineBytes : lineBytes + 1;
      if (used > this.#maxBytes) {
        overflow = true;
        break;
      }
      lineEnds[count++] = lf;
      lineStart = lf + 1;
    }
    // Pass 2: decode the complete lines once and parse them.
    if (count > 0) {
      const regionStart = queue.start;
      const lastFieldEnd = complete
        ? (count > 1 ? lineEnds[count - 2]! : regionStart)
        : lineEnds[count - 1]!;
      const ascii = lastFieldEnd > regionStart ? decodeAscii(bytes, regionStart, lastFieldEnd) : "";
      // Names are sliced from one lower-cased copy of the region: one native
      // call instead of one per field.
      const text = ascii === undefined ? undefined : new LoweredText(ascii);
      let start = regionStart;
      for (let i = 0; i < count; i++) {
        const lf = lineEnds[i]!;
        const contentEnd = lineContentEnd(queue, lf, this.#allowBareLf, start);
        if (contentEnd === start) break; // the empty line
        const fields = this.fields;
        const first = bytes[start];
        if ((first === SP || first === HTAB) && this.#unfold && fields.length > 0) {
          const last = fields[fields.length - 1]!;
          last[1] = unfoldedValue(last[1], bytes, start, contentEnd);
        } else {
          fields.push(parseFieldLine(bytes, start, contentEnd, text, regionStart));
        }
        if (fields.length > this.#maxCount) {
          throw new Http1Error(
            "HEADERS_TOO_LARGE",
            `${this.#what} has more than ${this.#maxCount} fields`,
          );
        }
        // Counted as in pass 1: a bare-LF line as if it had a CR.
        this.#bytes += contentEnd === lf ? lf + 2 - start : lf + 1 - start;
        start = lf + 1;
      }
      queue.consume(lineEnds[count - 1]! + 1 - regionStart);
    }
    if (overflow) {
      throw new Http1Error("HEADERS_TOO_LARGE", `${this.#what} exceeds ${this.#maxBytes} bytes`);
    }
    // The incomplete tail holds no LF: the next search starts after it.
    if (!complete) queue.markScanned(queue.end);
    return complete;
  }
}

/** An ASCII text and, computed on first use, its lower-cased copy. */
class LoweredText {
  readonly text: string;
  #lower: string | undefined;
  constructor(text: string) {
    this.text = text;
  }
  get lower(): string {
    return this.#lower ??= this.text.toLowerCase();
  }
}

function findLf(bytes: Uint8Array, from: number, end: number): number {
  if (from >= end) return -1;
  const at = bytes.indexOf(LF, from);
  return at === -1 || at >= end ? -1 : at;
}

/**
 * Parses `field-name ":" OWS field-value OWS` (RFC 9112 section 5) from
 * `bytes[start, end)`, the line without its terminator. `text` is the
 * decoded region starting at `textStart` when it was all ASCII.
 */
function parseFieldLine(
  bytes: Uint8Array,
  start: number,
  end: number,
  text: LoweredText | undefined,
  textStart: number,
): [string, string] {
  const first = bytes[start];
  if (first === SP || first === HTAB) {
    throw new Http1Error(
      "OBS_FOLD",
      "field line starts with whitespace (obs-fold, RFC 9112 section 5.2)",
    );
  }
  let colon = start;
  let hasUpper = false;
  for (; colon < end; colon++) {
    const kind = FIELD_NAME_BYTE[bytes[colon]!];
    if (kind === 0) break;
    if (kind === 2) hasUpper = true;
  }
  if (colon === end) {
    throw new Http1Error("BAD_SYNTAX", "field line without a colon");
  }
  const stop = bytes[colon]!;
  if (stop !== COLON) {
    if (stop === SP || stop === HTAB) {
      throw new Http1Error(
        "INVALID_HEADER",
        "whitespace between field name and colon (RFC 9112 section 5.1)",
      );
    }
    if (stop === CR) {
      throw new Http1Error("BARE_CR", "field name contains a CR");
    }
    throw new Http1Error(
      "INVALID_HEADER",
      `field name contains the byte 0x${stop.toString(16).padStart(2, "0")}`,
    );
  }
  if (colon === start) {
    throw new Http1Error("INVALID_HEADER", "empty field name");
  }
  let valueStart = colon + 1;
  while (
    valueStart < end && (bytes[valueStart] === SP || bytes[valueStart] === HTAB)
  ) valueStart++;
  const valueEnd = trimEnd(bytes, valueStart, end);
  checkValueBytes(bytes, valueStart, valueEnd);
  let name: string;
  let value: string;
  if (text !== undefined) {
    name = (hasUpper ? text.lower : text.text).slice(start - textStart, colon - textStart);
    value = text.text.slice(valueStart - textStart, valueEnd - textStart);
  } else {
    const line = decodeLatin1(bytes, start, valueEnd);
    name = line.slice(0, colon - start);
    if (hasUpper) name = name.toLowerCase();
    value = line.slice(valueStart - start);
  }
  return [name, value];
}

/**
 * The value of a field followed by the continuation line `bytes[start, end)`:
 * the obs-fold (OWS CRLF RWS) becomes one SP, as Go and h11 do. A line of
 * only whitespace adds nothing.
 */
function unfoldedValue(value: string, bytes: Uint8Array, start: number, end: number): string {
  let from = start;
  while (from < end && (bytes[from] === SP || bytes[from] === HTAB)) from++;
  const to = trimEnd(bytes, from, end);
  checkValueBytes(bytes, from, to);
  if (from === to) return value;
  const more = decodeLatin1(bytes, from, to);
  return value.length === 0 ? more : `${value} ${more}`;
}

/** The end of `bytes[start, end)` without trailing SP and HTAB. */
function trimEnd(bytes: Uint8Array, start: number, end: number): number {
  let to = end;
  while (to > start && (bytes[to - 1] === SP || bytes[to - 1] === HTAB)) to--;
  return to;
}

/** Fails unless every byte of `bytes[start, end)` may appear in a field value. */
function checkValueBytes(bytes: Uint8Array, start: number, end: number): void {
  for (let i = start; i < end; i++) {
    const byte = bytes[i]!;
    if (FIELD_VALUE_BYTE[byte] === 0) {
      if (byte === CR) {
        throw new Http1Error("BARE_CR", "field value contains a bare CR");
      }
      throw new Http1Error(
        "INVALID_HEADER",
        `field value contains the control byte 0x${byte.toString(16).padStart(2, "0")}`,
      );
    }
  }
}
