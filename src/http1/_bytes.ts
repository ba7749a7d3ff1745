/**
 * Byte-level helpers shared by the parsers and serialisers: character
 * classes as lookup tables and latin1 conversion. Private to the engine.
 *
 * @module
 */

/** Carriage return. */
export const CR = 0x0d;
/** Line feed. */
export const LF = 0x0a;
/** Space. */
export const SP = 0x20;
/** Horizontal tab. */
export const HTAB = 0x09;
/** `:` */
export const COLON = 0x3a;
/** `;` */
export const SEMICOLON = 0x3b;

/** An empty byte array, shared. */
export const EMPTY_BYTES: Uint8Array = new Uint8Array(0);

/** 1 for each `tchar` of RFC 9110 section 5.6.2, else 0. */
export const TCHAR: Uint8Array = buildTcharTable();

/**
 * 1 for each byte allowed in a field value: HTAB, SP, VCHAR and obs-text
 * (RFC 9110 section 5.5); 0 for CR, LF, NUL, the other controls and DEL.
 */
export const FIELD_VALUE_BYTE: Uint8Array = buildFieldValueTable();

/**
 * 1 for a tchar that is not an upper-case letter, 2 for `A`-`Z`, 0 for any
 * byte that cannot be in a field name: one lookup both validates a name and
 * tells whether it needs lower-casing.
 */
export const FIELD_NAME_BYTE: Uint8Array = buildFieldNameTable();

/**
 * The value of a hexadecimal digit, or 255 for any other byte.
 */
export const HEX_VALUE: Uint8Array = buildHexTable();

function buildTcharTable(): Uint8Array {
  const table = new Uint8Array(256);
  const symbols = "!#$%&'*+-.^_`|~";
  for (let i = 0; i < symbols.length; i++) table[symbols.charCodeAt(i)] = 1;
  for (let c = 0x30; c <= 0x39; c++) table[c] = 1;
  for (let c = 0x41; c <= 0x5a; c++) table[c] = 1;
  for (let c = 0x61; c <= 0x7a; c++) table[c] = 1;
  return table;
}

function buildFieldValueTable(): Uint8Array {
  const table = new Uint8Array(256).fill(1);
  for (let c = 0; c < 0x20; c++) table[c] = 0;
  table[HTAB] = 1;
  table[0x7f] = 0;
  return table;
}

function buildFieldNameTable(): Uint8Array {
  const table = buildTcharTable();
  for (let c = 0x41; c <= 0x5a; c++) table[c] = 2;
  return table;
}

function buildHexTable(): Uint8Array {
  const table = new Uint8Array(256).fill(255);
  for (let c = 0; c < 10; c++) table[0x30 + c] = c;
  for (let c = 0; c < 6; c++) {
    table[0x41 + c] = 10 + c;
    table[0x61 + c] = 10 + c;
  }
  return table;
}

// fromCharCode.apply takes its arguments on the stack; stay well below engine limits.
const DECODE_SLICE = 8192;

/**
 * Decodes `bytes[start, end)` as ISO-8859-1 (one byte, one UTF-16 unit), the
 * only decoding that round-trips every field byte (RFC 9110 section 5.5).
 * `TextDecoder("latin1")` is windows-1252 on the web, so it is not used.
 */
export function decodeLatin1(
  bytes: Uint8Array,
  start: number,
  end: number,
): string {
  const length = end - start;
  if (length <= 0) return "";
  if (length <= DECODE_SLICE) {
    return String.fromCharCode.apply(
      null,
      bytes.subarray(start, end) as unknown as number[],
    );
  }
  const parts: string[] = [];
  for (let at = start; at < end; at += DECODE_SLICE) {
    parts.push(
      String.fromCharCode.apply(
        null,
        bytes.subarray(at, Math.min(end, at + DECODE_SLICE)) as unknown as number[],
      ),
    );
  }
  return parts.join("");
}

/** Whether `text` is a non-empty token (RFC 9110 section 5.6.2). */
export function isToken(text: string): boolean {
  if (text.length === 0) return false;
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code > 0x7f || TCHAR[code] === 0) return false;
  }
  return true;
}

const utf8 = new TextDecoder("utf-8", { ignoreBOM: true });

/** Decodes `bytes[start, end)` already checked to be ASCII (one native call). */
export function decodeCheckedAscii(bytes: Uint8Array, start: number, end: number): string {
  return utf8.decode(bytes.subarray(start, end));
}

/**
 * Decodes `bytes[start, end)` when every byte is ASCII, else returns
 * undefined. One native UTF-8 decode of a whole head is about ten times
 * faster than decoding line by line; ASCII is detected without a byte loop:
 * the result has one char per byte and no U+FFFD exactly when every byte is
 * below 0x80 (a valid multi-byte sequence shortens it, an invalid byte
 * becomes U+FFFD).
 */
export function decodeAscii(
  bytes: Uint8Array,
  start: number,
  end: number,
): string | undefined {
  const text = utf8.decode(bytes.subarray(start, end));
  return text.length === end - start && text.indexOf("\ufffd") === -1 ? text : undefined;
}

/**
 * Joins byte arrays into one new array (a copy even for a single part).
 *
 * @param parts The arrays, in order.
 * @returns Their bytes, concatenated.
 */
export function concatBytes(parts: readonly Uint8Array[]): Uint8Array<ArrayBuffer> {
  let size = 0;
  for (const part of parts) size += part.byteLength;
  const out = new Uint8Array(size);
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.byteLength;
  }
  return out;
}
