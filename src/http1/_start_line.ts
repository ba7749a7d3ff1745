/**
 * Parsers for the request line (RFC 9112 section 3) and the status line
 * (RFC 9112 section 4). Private to the engine.
 *
 * @module
 */

import { decodeCheckedAscii, decodeLatin1, SP, TCHAR } from "./_bytes.ts";
import { rejectBareCr } from "./_lines.ts";
import { Http1Error } from "./errors.ts";

/** The parts of a request line. */
export interface RequestLine {
  method: string;
  target: string;
  minorVersion: 0 | 1;
}

/** The parts of a status line. */
export interface StatusLine {
  minorVersion: 0 | 1;
  status: number;
  reason: string;
}

const H = 0x48;
const T = 0x54;
const P = 0x50;
const SLASH = 0x2f;
const DOT = 0x2e;

/**
 * `method SP request-target SP HTTP-version`, each separated by exactly one
 * SP (the strict reading of RFC 9112 section 3).
 */
export function parseRequestLine(
  bytes: Uint8Array,
  start: number,
  end: number,
): RequestLine {
  rejectBareCr(bytes, start, end, "request line");
  let i = start;
  while (i < end && TCHAR[bytes[i]!] === 1) i++;
  if (i === end) throw new Http1Error("BAD_SYNTAX", "malformed request line");
  if (bytes[i] !== SP) {
    // An invalid request-line is a 400 (RFC 9112 section 3); 501 is for a
    // well-formed method the server does not implement, the server's call.
    throw new Http1Error("BAD_SYNTAX", "method is not a token");
  }
  if (i === start) throw new Http1Error("BAD_SYNTAX", "request line starts with a space");
  const methodEnd = i;
  const targetStart = ++i;
  // request-target is visible US-ASCII (RFC 9112 section 3.2, RFC 3986).
  while (i < end) {
    const byte = bytes[i]!;
    if (byte <= SP || byte >= 0x7f) break;
    i++;
  }
  if (i === targetStart) {
    throw new Http1Error("BAD_SYNTAX", "missing or badly spaced request-target");
  }
  if (i === end || bytes[i] !== SP) {
    throw new Http1Error(
      "BAD_SYNTAX",
      i === end ? "request line without HTTP version" : "invalid byte in request-target",
    );
  }
  const targetEnd = i;
  const minorVersion = parseVersion(bytes, i + 1, end);
  // Method (tchar) and target (VCHAR) were checked to be ASCII.
  const line = decodeCheckedAscii(bytes, start, targetEnd);
  return {
    method: line.slice(0, methodEnd - start),
    target: line.slice(targetStart - start),
    minorVersion,
  };
}

/**
 * `HTTP-version SP 3DIGIT SP reason-phrase`. A missing SP before an empty
 * reason is tolerated, as every browser and Go do.
 */
export function parseStatusLine(
  bytes: Uint8Array,
  start: number,
  end: number,
): StatusLine {
  rejectBareCr(bytes, start, end, "status line");
  if (end - start < 9 || bytes[start + 8] !== SP) {
    if (end - start >= 8 && looksLikeVersion(bytes, start, start + 8)) {
      // e.g. "HTTP/1.1" alone or "HTTP/1.1x200"
      parseVersion(bytes, start, start + 8);
    }
    throw new Http1Error("BAD_SYNTAX", "malformed status line");
  }
  const minorVersion = parseVersion(bytes, start, start + 8);
  let i = start + 9;
  const statusStart = i;
  while (i < end && bytes[i] !== SP) i++;
  const statusEnd = i;
  let status = 0;
  for (let j = statusStart; j < statusEnd; j++) {
    const digit = bytes[j]! - 0x30;
    if (digit < 0 || digit > 9 || statusEnd - statusStart !== 3) {
      status = -1;
      break;
    }
    status = status * 10 + digit;
  }
  if (statusEnd - statusStart !== 3 || status < 100) {
    throw new Http1Error(
      "INVALID_STATUS",
      `invalid status code "${
        decodeLatin1(bytes, statusStart, Math.min(statusEnd, statusStart + 16))
      }"`,
    );
  }
  let reason = "";
  if (statusEnd < end) {
    for (let j = statusEnd + 1; j < end; j++) {
      const byte = bytes[j]!;
      // reason-phrase = 1*( HTAB / SP / VCHAR / obs-text )
      if (byte < 0x20 ? byte !== 0x09 : byte === 0x7f) {
        throw new Http1Error("BAD_SYNTAX", "control byte in reason phrase");
      }
    }
    reason = decodeLatin1(bytes, statusEnd + 1, end);
  }
  return { minorVersion, status, reason };
}

function looksLikeVersion(bytes: Uint8Array, start: number, end: number): boolean {
  return end - start === 8 && bytes[start] === H && bytes[start + 1] === T &&
    bytes[start + 2] === T && bytes[start + 3] === P &&
    bytes[start + 4] === SLASH && isDigit(bytes[start + 5]!) &&
    bytes[start + 6] === DOT && isDigit(bytes[start + 7]!);
}

function isDigit(byte: number): boolean {
  return byte >= 0x30 && byte <= 0x39;
}

/**
 * `HTTP/1.0` or `HTTP/1.1`; any other `HTTP/x.y` is UNSUPPORTED_VERSION
 * (505), anything else BAD_SYNTAX.
 */
function parseVersion(bytes: Uint8Array, start: number, end: number): 0 | 1 {
  if (!looksLikeVersion(bytes, start, end)) {
    throw new Http1Error("BAD_SYNTAX", "malformed HTTP version");
  }
  const major = bytes[start + 5]!;
  const minor = bytes[start + 7]!;
  if (major === 0x31 && (minor === 0x31 || minor === 0x30)) {
    return minor === 0x31 ? 1 : 0;
  }
  throw new Http1Error(
    "UNSUPPORTED_VERSION",
    `unsupported version HTTP/${major - 0x30}.${minor - 0x30}`,
  );
}
