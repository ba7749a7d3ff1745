/**
 * Reads a field section (header or trailer lines up to the empty line) from a
 * byte queue, line by line, decoding each field once. Private to the engine.
 *
 * @module
 */

import { COLON, CR, decodeLatin1, HTAB, SP, TCHAR } from "./_bytes.ts";
import type { ByteQueue } from "./_byte_queue.ts";
import { findLineEnd, lineContentEnd } from "./_lines.ts";
import { Http1Error } from "./errors.ts";
import type { HeaderList } from "./types.ts";

/** Incremental reader of one field section; `reset()` before each section. */
export class FieldSectionReader {
  /** The fields read so far, names lower-cased. */
  fields: HeaderList = [];
  #bytes = 0;
  readonly #maxBytes: number;
  readonly #maxCount: number;
  readonly #allowBareLf: boolean;
  readonly #what: string;

  constructor(
    maxBytes: number,
    maxCount: number,
    allowBareLf: boolean,
    what: string,
  ) {
    this.#maxBytes = maxBytes;
    this.#maxCount = maxCount;
    this.#allowBareLf = allowBareLf;
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
    for (;;) {
      // Each field line counts with its CRLF; the limit is enforced before
      // the line is complete.
      const room = this.#maxBytes - this.#bytes - 2;
      const lf = findLineEnd(
        queue,
        room < 0 ? 0 : room,
        "HEADERS_TOO_LARGE",
        this.#what,
      );
      if (lf === -1) return false;
      const start = queue.start;
      const end = lineContentEnd(queue, lf, this.#allowBareLf);
      const lineBytes = lf + 1 - start;
      if (end === start) {
        queue.consume(lineBytes);
        return true;
      }
      this.fields.push(parseFieldLine(queue.bytes, start, end));
      if (this.fields.length > this.#maxCount) {
        throw new Http1Error(
          "HEADERS_TOO_LARGE",
          `${this.#what} has more than ${this.#maxCount} fields`,
        );
      }
      this.#bytes += lineBytes;
      queue.consume(lineBytes);
    }
  }
}

/**
 * Parses `field-name ":" OWS field-value OWS` (RFC 9112 section 5) from
 * `bytes[start, end)`, the line without its terminator.
 */
function parseFieldLine(
  bytes: Uint8Array,
  start: number,
  end: number,
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
    const byte = bytes[colon]!;
    if (TCHAR[byte] === 0) break;
    if (byte >= 0x41 && byte <= 0x5a) hasUpper = true;
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
  let valueEnd = end;
  while (
    valueEnd > valueStart &&
    (bytes[valueEnd - 1] === SP || bytes[valueEnd - 1] === HTAB)
  ) valueEnd--;
  for (let i = valueStart; i < valueEnd; i++) {
    const byte = bytes[i]!;
    // field-vchar / SP / HTAB / obs-text (RFC 9110 section 5.5)
    if (byte < 0x20 ? byte !== HTAB : byte === 0x7f) {
      if (byte === CR) {
        throw new Http1Error("BARE_CR", "field value contains a bare CR");
      }
      throw new Http1Error(
        "INVALID_HEADER",
        `field value contains the control byte 0x${byte.toString(16).padStart(2, "0")}`,
      );
    }
  }
  const line = decodeLatin1(bytes, start, valueEnd);
  const rawName = line.slice(0, colon - start);
  return [
    hasUpper ? rawName.toLowerCase() : rawName,
    line.slice(valueStart - start),
  ];
}
