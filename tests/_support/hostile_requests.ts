/**
 * Test support: a corpus of hostile HTTP/1.1 requests (smuggling attempts,
 * malformed request lines, control bytes, obs-fold, oversized and numerous
 * fields, bodies that lie about their length, pipelined garbage), each with
 * the answer a strict server must give (RFC 9110, RFC 9112).
 *
 * A request path containing `smuggled` must never reach a handler: every
 * case that hides a second request behind ambiguous framing names it so.
 *
 * @module
 */

/** The kinds of hostile input, as counted in `docs/hardening.md`. */
export type HostileRequestKind =
  | "smuggling"
  | "chunked"
  | "request-line"
  | "control-bytes"
  | "obs-fold"
  | "host"
  | "oversize"
  | "body-length"
  | "pipelined-garbage";

/** One hostile request and the expected answer. */
export interface HostileRequest {
  /** What the case tries. */
  readonly name: string;
  /** Its kind, for the report. */
  readonly kind: HostileRequestKind;
  /** The bytes to send, as latin1 text. */
  readonly bytes: string;
  /**
   * The statuses expected in order (one per response on the wire). The last
   * entry may be a list when RFC 9112 allows more than one answer.
   */
  readonly statuses: ReadonlyArray<number | readonly number[]>;
  /** Half-close after sending (a body cut short needs the EOF to be visible). */
  readonly end?: boolean;
  /** RFC section backing the expectation, for the report. */
  readonly rfc: string;
}

const HOST = "Host: example.test\r\n";

/** `POST / HTTP/1.1` with `fields` (each ending in CRLF) and then `rest`. */
function post(fields: string, rest: string): string {
  return `POST / HTTP/1.1\r\n${HOST}${fields}\r\n${rest}`;
}

const SMUGGLED = "GET /smuggled HTTP/1.1\r\nHost: example.test\r\n\r\n";
const GOOD = `GET /first HTTP/1.1\r\n${HOST}\r\n`;

/** Builds `count` small header lines. */
function manyFields(count: number): string {
  let text = "";
  for (let i = 0; i < count; i++) text += `x-f${i}: ${i}\r\n`;
  return text;
}

/**
 * The corpus. Statuses are those of RFC 9112's strict reading with this
 * library's default limits (8 KiB request line, 64 KiB header section, 2000
 * fields).
 */
export const HOSTILE_REQUESTS: readonly HostileRequest[] = [
  // --- Content-Length and Transfer-Encoding together (RFC 9112 section 6.1, 6.3)
  {
    name: "Content-Length then Transfer-Encoding (CL.TE)",
    kind: "smuggling",
    bytes: post("Content-Length: 6\r\nTransfer-Encoding: chunked\r\n", `0\r\n\r\n${SMUGGLED}`),
    statuses: [400],
    rfc: "RFC 9112 6.1 (server MAY reject CL with TE; MUST close after)",
  },
  {
    name: "Transfer-Encoding then Content-Length (TE.CL)",
    kind: "smuggling",
    bytes: post(
      "Transfer-Encoding: chunked\r\nContent-Length: 4\r\n",
      `5c\r\n${SMUGGLED}0\r\n\r\n`,
    ),
    statuses: [400],
    rfc: "RFC 9112 6.1",
  },
  {
    name: "duplicate differing Content-Length fields",
    kind: "smuggling",
    bytes: post("Content-Length: 5\r\nContent-Length: 46\r\n", `hello${SMUGGLED}`),
    statuses: [400],
    rfc: "RFC 9112 6.3 item 5",
  },
  {
    name: "differing Content-Length list in one field",
    kind: "smuggling",
    bytes: post("Content-Length: 5, 46\r\n", `hello${SMUGGLED}`),
    statuses: [400],
    rfc: "RFC 9112 6.3 item 5",
  },
  {
    name: "identical duplicate Content-Length is one length",
    kind: "smuggling",
    bytes: post("Content-Length: 5\r\nContent-Length: 5\r\nConnection: close\r\n", "hello"),
    statuses: [200],
    rfc: "RFC 9110 8.6 (identical values MAY be collapsed)",
  },
  ...["+5", "-5", "0x5", "5 5", "5.0", "", "5a", "１", "99999999999999999999"].map((value) => ({
    name: `Content-Length ${JSON.stringify(value)}`,
    kind: "smuggling" as const,
    bytes: post(`Content-Length: ${value}\r\n`, "hello"),
    statuses: [400],
    rfc: "RFC 9110 8.6 (Content-Length = 1*DIGIT), RFC 9112 6.3 item 5",
  })),
  ...[
    ["xchunked", 501],
    ["chunked, identity", 501],
    ["identity", 501],
    ["gzip, chunked", 501],
    ["chunked, gzip", 400],
    ["chunked, chunked", 400],
    ['"chunked"', 501],
    ["chunked;q=1", 501],
    ["chunk", 501],
    ["ch\x00unked", 400],
    ["\x0bchunked", 400],
    ["chunked\x0b", 400],
  ].map(([value, status]) => ({
    name: `obfuscated Transfer-Encoding ${JSON.stringify(value)}`,
    kind: "smuggling" as const,
    bytes: post(`Transfer-Encoding: ${value}\r\n`, `0\r\n\r\n${SMUGGLED}`),
    statuses: [status as number],
    rfc: "RFC 9112 6.1 (unknown coding: 501; chunked not final: 400), 7 (chunked once)",
  })),
  {
    name: "Transfer-Encoding repeated as two fields",
    kind: "smuggling",
    bytes: post(
      "Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n",
      `0\r\n\r\n${SMUGGLED}`,
    ),
    statuses: [400],
    rfc: "RFC 9112 7 (chunked MUST NOT be applied more than once)",
  },
  {
    name: "space before the colon of Transfer-Encoding",
    kind: "smuggling",
    bytes: post("Transfer-Encoding : chunked\r\n", `0\r\n\r\n${SMUGGLED}`),
    statuses: [400],
    rfc: "RFC 9112 5.1 (MUST respond 400 to whitespace before the colon)",
  },
  {
    name: "Transfer-Encoding hidden in obs-fold",
    kind: "smuggling",
    bytes: post("X-Padding: a\r\n Transfer-Encoding: chunked\r\n", `0\r\n\r\n${SMUGGLED}`),
    statuses: [400],
    rfc: "RFC 9112 5.2 (obs-fold: reject with 400)",
  },
  {
    name: "Transfer-Encoding folded onto the next line",
    kind: "smuggling",
    bytes: post("Transfer-Encoding:\r\n chunked\r\n", `0\r\n\r\n${SMUGGLED}`),
    statuses: [400],
    rfc: "RFC 9112 5.2",
  },
  {
    name: "Transfer-Encoding on an HTTP/1.0 request",
    kind: "smuggling",
    bytes: `POST / HTTP/1.0\r\n${HOST}Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n${SMUGGLED}`,
    statuses: [400],
    rfc: "RFC 9112 6.1 (HTTP/1.0 with TE: faulty framing, MUST close)",
  },
  {
    name: "Transfer-Encoding with a bare LF terminator",
    kind: "smuggling",
    bytes: post("Transfer-Encoding: chunked\n", `0\r\n\r\n${SMUGGLED}`),
    statuses: [400],
    rfc: "RFC 9112 2.2 (bare LF MAY be rejected; we do, see docs/architecture.md)",
  },
  {
    name: "Content-Length with a bare CR",
    kind: "smuggling",
    bytes: post("Content-Length: 5\rX: y\r\n", `hello${SMUGGLED}`),
    statuses: [400],
    rfc: "RFC 9112 2.2 (bare CR: MUST reject or replace with SP)",
  },
  {
    name: "Transfer_Encoding (underscore) is just another field",
    kind: "smuggling",
    bytes: post("Transfer_Encoding: chunked\r\n", "0\r\n\r\n"),
    statuses: [200, 400],
    rfc: "RFC 9112 6.3 item 7 (no framing fields: length 0); then '0' is no request line",
  },

  // --- chunked coding (RFC 9112 section 7.1)
  ...[
    ["fffffffffffffffffff", "size overflow"],
    ["10000000000000", "size beyond 2^53"],
    ["-1", "negative size"],
    ["0x5", "0x prefix"],
    [" 5", "leading space"],
    ["5 5", "two numbers"],
    ["g", "not hex"],
    ["", "empty size line"],
    ["5;\x00", "NUL in extension"],
    ["5;a=\rb", "bare CR in extension"],
    ["5\n", "bare LF after size"],
    [`5;${"x".repeat(5000)}`, "oversized extension"],
  ].map(([size, what]) => ({
    name: `chunk-size trick: ${what}`,
    kind: "chunked" as const,
    bytes: post(
      "Transfer-Encoding: chunked\r\n",
      `${size}\r\nhello\r\n0\r\n\r\n${SMUGGLED}`,
    ),
    statuses: [400],
    rfc: "RFC 9112 7.1 (chunk-size = 1*HEXDIG; chunk-ext grammar)",
  })),
  {
    name: "chunk data longer than its size",
    kind: "chunked",
    bytes: post("Transfer-Encoding: chunked\r\n", `3\r\nhello\r\n0\r\n\r\n${SMUGGLED}`),
    statuses: [400],
    rfc: "RFC 9112 7.1 (chunk-data is followed by CRLF)",
  },
  {
    name: "chunk data shorter than its size, then EOF",
    kind: "chunked",
    bytes: post("Transfer-Encoding: chunked\r\n", "9\r\nhello\r\n"),
    statuses: [[400]],
    end: true,
    rfc: "RFC 9112 8 (incomplete message)",
  },
  {
    name: "chunked body without its last chunk, then EOF",
    kind: "chunked",
    bytes: post("Transfer-Encoding: chunked\r\n", "5\r\nhello\r\n"),
    statuses: [[400]],
    end: true,
    rfc: "RFC 9112 8 (incomplete message)",
  },
  {
    name: "trailer section with obs-fold",
    kind: "chunked",
    bytes: post("Transfer-Encoding: chunked\r\n", "0\r\nx-t: a\r\n b\r\n\r\n"),
    statuses: [400],
    rfc: "RFC 9112 5.2, 7.1.2",
  },
  {
    name: "trailer hiding Content-Length is ignored for framing",
    kind: "chunked",
    bytes: post(
      "Transfer-Encoding: chunked\r\nConnection: close\r\n",
      "5\r\nhello\r\n0\r\nContent-Length: 50\r\n\r\n",
    ),
    statuses: [200],
    rfc: "RFC 9110 6.5.1 (trailers MUST NOT carry framing)",
  },

  // --- request line (RFC 9112 section 3)
  ...[
    ["GET  / HTTP/1.1", 400, "two spaces after the method"],
    ["GET /  HTTP/1.1", 400, "two spaces before the version"],
    ["GET / HTTP/1.1 ", 400, "trailing space"],
    ["GET\t/ HTTP/1.1", 400, "tab after the method"],
    ["GET /\tHTTP/1.1", 400, "tab before the version"],
    [" GET / HTTP/1.1", 400, "leading space"],
    ["GET / HTTP/2.0", 505, "HTTP/2.0"],
    ["GET / HTTP/1.2", 505, "HTTP/1.2"],
    ["GET / HTTP/3.1", 505, "HTTP/3.1"],
    ["GET / HTTP/01.1", 400, "version with a leading zero"],
    ["GET / http/1.1", 400, "lower-case version"],
    ["GET / HTTP/1", 400, "short version"],
    ["GET /", 400, "no version (HTTP/0.9)"],
    ["GET", 400, "method only"],
    ["GET / HTTP/1.1 extra", 400, "extra word"],
    ["GET x HTTP/1.1", 400, "target that is no form"],
    ["GET /a b HTTP/1.1", 400, "space in the target"],
    ["GET /\x7f HTTP/1.1", 400, "DEL in the target"],
    ["GET /\x00 HTTP/1.1", 400, "NUL in the target"],
    ["GET /\xff HTTP/1.1", 400, "obs-text in the target"],
    ["G\x00T / HTTP/1.1", 400, "NUL in the method"],
    ["G(T / HTTP/1.1", 400, "delimiter in the method"],
    ["GET/ HTTP/1.1", 400, "no space after the method"],
    ["GET\x0b/ HTTP/1.1", 400, "vertical tab as separator"],
    ["PRI * HTTP/2.0", [400, 505], "HTTP/2 preface"],
  ].map(([line, status, what]) => ({
    name: `request line: ${what}`,
    kind: "request-line" as const,
    bytes: `${line}\r\n${HOST}\r\n`,
    statuses: [status as number | number[]],
    rfc: "RFC 9112 3 (invalid request-line: 400), 2.6 (unsupported major version: 505)",
  })),
  {
    name: "request line of 9000 bytes",
    kind: "request-line",
    bytes: `GET /${"a".repeat(9000)} HTTP/1.1\r\n${HOST}\r\n`,
    statuses: [414],
    rfc: "RFC 9112 3 (414 for a target longer than the server parses)",
  },
  {
    name: "request line of 1 MiB without a terminator",
    kind: "request-line",
    bytes: `GET /${"a".repeat(1 << 20)}`,
    statuses: [414],
    rfc: "RFC 9112 3 (414)",
  },
  {
    name: "CONNECT is refused",
    kind: "request-line",
    bytes: `CONNECT example.test:443 HTTP/1.1\r\n${HOST}\r\n`,
    statuses: [501],
    rfc: "RFC 9110 9.3.6 (an origin server MAY refuse CONNECT; 501 for not implemented)",
  },
  {
    name: "CRLFs before the request line are skipped",
    kind: "request-line",
    bytes: `\r\n\r\nGET / HTTP/1.1\r\n${HOST}Connection: close\r\n\r\n`,
    statuses: [200],
    rfc: "RFC 9112 2.2 (SHOULD ignore at least one empty line before the request-line)",
  },

  // --- bare CR, bare LF, NUL and control bytes (RFC 9112 section 2.2, RFC 9110 5.5)
  ...[
    ["X-A: a\rb\r\n", "bare CR in a value"],
    ["X-A\r: b\r\n", "bare CR in a name"],
    ["X-A: a\x00b\r\n", "NUL in a value"],
    ["X\x00A: b\r\n", "NUL in a name"],
    ["X-A: a\x7fb\r\n", "DEL in a value"],
    ["X-A: a\x01b\r\n", "SOH in a value"],
    ["X-A: a\x1bb\r\n", "ESC in a value"],
    ["X A: b\r\n", "space in a name"],
    ["X-A : b\r\n", "space before the colon"],
    ["X-A\t: b\r\n", "tab before the colon"],
    [": b\r\n", "empty name"],
    ["X-A b\r\n", "line without a colon"],
    ["X-A: b\n", "bare LF ending a field line"],
    ["X(A): b\r\n", "delimiter in a name"],
    ["X-\xe9: b\r\n", "obs-text in a name"],
  ].map(([line, what]) => ({
    name: `field line: ${what}`,
    kind: "control-bytes" as const,
    bytes: `GET / HTTP/1.1\r\n${HOST}${line}\r\n`,
    statuses: [400],
    rfc: "RFC 9112 2.2 (bare CR), 5.1 (whitespace before colon), RFC 9110 5.1, 5.5",
  })),
  {
    name: "bare LF line endings throughout",
    kind: "control-bytes",
    bytes: "GET / HTTP/1.1\nHost: example.test\n\n",
    statuses: [400],
    rfc: "RFC 9112 2.2 (a recipient MAY accept bare LF; a server behind proxies should not)",
  },
  {
    name: "bare CR line endings throughout",
    kind: "control-bytes",
    bytes: "GET / HTTP/1.1\rHost: example.test\r\r\n",
    statuses: [400],
    rfc: "RFC 9112 2.2",
  },
  {
    name: "obs-text (UTF-8) in a value is accepted",
    kind: "control-bytes",
    bytes: `GET / HTTP/1.1\r\n${HOST}X-Name: caf\xc3\xa9\r\nConnection: close\r\n\r\n`,
    statuses: [200],
    rfc: "RFC 9110 5.5 (obs-text allowed in field values)",
  },

  // --- obs-fold (RFC 9112 section 5.2)
  ...[
    ["X-A: a\r\n b\r\n", "SP continuation"],
    ["X-A: a\r\n\tb\r\n", "HTAB continuation"],
    ["X-A:\r\n b\r\n", "empty value then continuation"],
  ].map(([lines, what]) => ({
    name: `obs-fold: ${what}`,
    kind: "obs-fold" as const,
    bytes: `GET / HTTP/1.1\r\n${HOST}${lines}\r\n`,
    statuses: [400],
    rfc: "RFC 9112 5.2 (server MUST reject obs-fold with 400 or replace it)",
  })),
  {
    name: "whitespace between the request line and the first field",
    kind: "obs-fold",
    bytes: `GET / HTTP/1.1\r\n ${HOST}\r\n`,
    statuses: [400],
    rfc: "RFC 9112 2.2 (MUST reject or consume the whitespace-preceded lines)",
  },

  // --- Host (RFC 9112 section 3.2)
  ...[
    ["", "missing Host"],
    [`${HOST}${HOST}`, "two Host fields"],
    ["Host: a b\r\n", "space in Host"],
    ["Host: a/b\r\n", "slash in Host"],
    ["Host: user@a\r\n", "userinfo in Host"],
    ["Host: a:b\r\n", "non-numeric port"],
    ["Host: a, b\r\n", "Host list"],
  ].map(([fields, what]) => ({
    name: `Host: ${what}`,
    kind: "host" as const,
    bytes: `GET / HTTP/1.1\r\n${fields}\r\n`,
    statuses: [400],
    rfc: "RFC 9112 3.2 (MUST respond 400 to a missing, repeated or invalid Host)",
  })),
  {
    name: "HTTP/1.0 without Host is served",
    kind: "host",
    bytes: "GET / HTTP/1.0\r\n\r\n",
    statuses: [200],
    rfc: "RFC 9112 3.2 (Host required for HTTP/1.1 only)",
  },

  // --- oversized and numerous fields (RFC 6585 section 5: 431)
  {
    name: "header section of 70 KB",
    kind: "oversize",
    bytes: `GET / HTTP/1.1\r\n${HOST}X-Big: ${"b".repeat(70_000)}\r\n\r\n`,
    statuses: [431],
    rfc: "RFC 6585 5",
  },
  {
    name: "one field value of 1 MiB without a terminator",
    kind: "oversize",
    bytes: `GET / HTTP/1.1\r\n${HOST}X-Big: ${"b".repeat(1 << 20)}`,
    statuses: [431],
    rfc: "RFC 6585 5",
  },
  {
    name: "2001 fields (one over the limit)",
    kind: "oversize",
    bytes: `GET / HTTP/1.1\r\n${HOST}${manyFields(2000)}\r\n`,
    statuses: [431],
    rfc: "RFC 6585 5",
  },
  {
    name: "5000 fields",
    kind: "oversize",
    bytes: `GET / HTTP/1.1\r\n${HOST}${manyFields(5000)}\r\n`,
    statuses: [431],
    rfc: "RFC 6585 5",
  },
  {
    name: "2000 fields (within the limit)",
    kind: "oversize",
    bytes: `GET / HTTP/1.1\r\n${HOST}${manyFields(1998)}Connection: close\r\n\r\n`,
    statuses: [200],
    rfc: "limits in docs/architecture.md",
  },
  {
    name: "trailer section of 70 KB",
    kind: "oversize",
    bytes: post("Transfer-Encoding: chunked\r\n", `0\r\nX-T: ${"t".repeat(70_000)}\r\n\r\n`),
    statuses: [[400, 431]],
    rfc: "RFC 9112 7.1.2 (trailers are limited like headers)",
  },

  // --- bodies that lie about their length (RFC 9112 section 6.3, 8)
  {
    name: "body longer than Content-Length (the rest is garbage)",
    kind: "body-length",
    bytes: post("Content-Length: 5\r\n", "helloXXXXXXXXXXX\r\n\r\n"),
    statuses: [200, 400],
    rfc: "RFC 9112 6.3 (the extra bytes start the next request)",
  },
  {
    name: "body shorter than Content-Length, then EOF",
    kind: "body-length",
    bytes: post("Content-Length: 50\r\n", "hello"),
    statuses: [[400]],
    end: true,
    rfc: "RFC 9112 8 (incomplete message: MUST NOT be processed as complete)",
  },
  {
    name: "body longer than Content-Length hiding a request",
    kind: "body-length",
    bytes: post("Content-Length: 5\r\nConnection: close\r\n", `hello${SMUGGLED}`),
    statuses: [200],
    rfc: "RFC 9112 9.6 (close: no further request is read)",
  },

  // --- pipelined garbage (RFC 9112 section 9.3.2)
  {
    name: "valid request then garbage",
    kind: "pipelined-garbage",
    bytes: `${GOOD}\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03\r\n\r\n`,
    statuses: [200, 400],
    rfc: "RFC 9112 9.3.2, 3",
  },
  {
    name: "valid request then a NUL flood",
    kind: "pipelined-garbage",
    bytes: `${GOOD}${"\x00".repeat(4096)}\r\n\r\n`,
    statuses: [200, 400],
    rfc: "RFC 9112 3",
  },
  {
    name: "a TLS ClientHello on the plain port",
    kind: "pipelined-garbage",
    bytes: "\x16\x03\x01\x00\xa5\x01\x00\x00\xa1\x03\x03" + "\x00".repeat(32) + "\r\n\r\n",
    statuses: [400],
    rfc: "RFC 9112 3",
  },
  {
    name: "valid request then an HTTP/2 preface",
    kind: "pipelined-garbage",
    bytes: `${GOOD}PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n`,
    statuses: [200, [400, 505]],
    rfc: "RFC 9112 2.6, 3",
  },
  {
    name: "valid request then a smuggled one after a bad request",
    kind: "pipelined-garbage",
    bytes: `${GOOD}GET / HTTP/1.1\r\n${HOST}X-A: a\x00b\r\n\r\n${SMUGGLED}`,
    statuses: [200, 400],
    rfc: "RFC 9112 9.6 (close after a bad request; nothing after it is read)",
  },
];

/**
 * The first status line of each response in raw response text, as numbers.
 *
 * @param text The received bytes as latin1.
 * @returns The statuses in order (interim ones included).
 *
 * @example
 * ```ts ignore
 * responseStatuses("HTTP/1.1 400 Bad Request\r\n\r\n"); // [400]
 * ```
 */
export function responseStatuses(text: string): number[] {
  const statuses: number[] = [];
  let at = 0;
  while (at < text.length) {
    const match = /^HTTP\/1\.[01] (\d{3})/.exec(text.slice(at, at + 16));
    if (match === null) break;
    const status = Number(match[1]);
    statuses.push(status);
    const headEnd = text.indexOf("\r\n\r\n", at);
    if (headEnd === -1) break;
    const head = text.slice(at, headEnd);
    at = headEnd + 4;
    if (status < 200) continue;
    const length = /\r\ncontent-length: *(\d+)/i.exec(head);
    if (length === null) break; // read until close: nothing follows
    at += Number(length[1]);
  }
  return statuses;
}

/**
 * Whether received statuses match an expectation.
 *
 * @param seen The statuses seen.
 * @param expected The expectation of a {@linkcode HostileRequest}.
 * @returns Whether they agree.
 *
 * @example
 * ```ts ignore
 * statusesMatch([200, 400], [200, [400, 505]]); // true
 * ```
 */
export function statusesMatch(
  seen: readonly number[],
  expected: ReadonlyArray<number | readonly number[]>,
): boolean {
  if (seen.length !== expected.length) return false;
  return expected.every((want, i) =>
    typeof want === "number" ? seen[i] === want : want.includes(seen[i]!)
  );
}
