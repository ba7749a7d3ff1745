/**
 * Line framing for heads, chunk-size lines and trailers (RFC 9112 section
 * 2.2), with the bound checked before the terminator arrives. Private to the
 * engine.
 *
 * @module
 */

import { CR } from "./_bytes.ts";
import type { ByteQueue } from "./_byte_queue.ts";
import { Http1Error, type Http1ErrorCode } from "./errors.ts";

/**
 * Returns the index of the LF ending the next line, or -1 when it has not
 * arrived. Fails with `code` as soon as the line content (without CRLF) is
 * known to exceed `maxContent` bytes, so a peer can never make the parser
 * buffer more than the limit while waiting for a terminator.
 */
export function findLineEnd(
  queue: ByteQueue,
  maxContent: number,
  code: Http1ErrorCode,
  what: string,
): number {
  const lf = queue.findLineFeed();
  if (lf === -1) {
    // The pending bytes may end with the CR of the terminator.
    if (queue.size > maxContent + 1) throw tooLong(code, what, maxContent);
    return -1;
  }
  const content = lf - queue.start;
  if (content > maxContent && (content > maxContent + 1 || queue.bytes[lf - 1] !== CR)) {
    throw tooLong(code, what, maxContent);
  }
  return lf;
}

/**
 * The end of the content of the line starting at `lineStart` and ending at
 * `lf` (the CR excluded).
 * A bare LF terminator is accepted only when `allowBareLf` is set.
 */
export function lineContentEnd(
  queue: ByteQueue,
  lf: number,
  allowBareLf: boolean,
  lineStart: number = queue.start,
): number {
  if (lf > lineStart && queue.bytes[lf - 1] === CR) return lf - 1;
  if (!allowBareLf) {
    throw new Http1Error(
      "BAD_SYNTAX",
      "line terminated by a bare LF instead of CRLF (RFC 9112 section 2.2)",
    );
  }
  return lf;
}

/**
 * Most bytes of empty lines skipped before one start line. RFC 9112 section
 * 2.2 asks a server to ignore at least one empty line before a request line
 * (old clients add CRLF after a POST body), and servers such as aiohttp send
 * one after an interim response. llhttp skips any number, Go's server at most
 * 4 bytes after a POST; 8 (four CRLFs) covers both, and a peer sending only
 * line ends gets an error instead of an endless read.
 */
export const MAX_EMPTY_LINE_BYTES = 8;

/**
 * Adds an empty line of `length` bytes to the `skipped` bytes seen before the
 * current start line; fails with BAD_SYNTAX past {@linkcode MAX_EMPTY_LINE_BYTES}.
 */
export function skipEmptyLine(skipped: number, length: number, what: string): number {
  const total = skipped + length;
  if (total > MAX_EMPTY_LINE_BYTES) {
    throw new Http1Error(
      "BAD_SYNTAX",
      `more than ${MAX_EMPTY_LINE_BYTES} bytes of empty lines before a ${what}`,
    );
  }
  return total;
}

function tooLong(code: Http1ErrorCode, what: string, max: number): Http1Error {
  return new Http1Error(code, `${what} exceeds ${max} bytes`);
}

/** Fails with BARE_CR when `bytes[start, end)` holds a CR (RFC 9112 section 2.2). */
export function rejectBareCr(
  bytes: Uint8Array,
  start: number,
  end: number,
  what: string,
): void {
  const at = bytes.indexOf(CR, start);
  if (at !== -1 && at < end) {
    throw new Http1Error("BARE_CR", `${what} contains a CR not followed by LF`);
  }
}
