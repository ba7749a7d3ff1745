/**
 * Test support: a corpus of hostile HTTP/1.1 responses (invalid status
 * codes, 101 as final, huge or malformed interim heads, framing that lies,
 * a close between the `103` and the final response), each with the error
 * code the client must reject with, or `"ok"` when it must succeed.
 *
 * @module
 */

/** The kinds of hostile response, as counted in `docs/hardening.md`. */
export type HostileResponseKind =
  | "status"
  | "interim"
  | "framing"
  | "fields"
  | "close";

/** One hostile response and the expected outcome of `fetch`. */
export interface HostileResponse {
  /** What the case tries. */
  readonly name: string;
  /** Its kind, for the report. */
  readonly kind: HostileResponseKind;
  /** The bytes the server writes after reading the request head, as latin1. */
  readonly reply: string;
  /** Whether the server closes after writing (else it stays silent and open). */
  readonly close: boolean;
  /**
   * The `FetchError` codes acceptable for the rejection of `fetch()` (when
   * `phase` is `"head"`) or for the error of the body stream (`"body"`);
   * `"ok"` when `fetch()` and the body must both succeed.
   */
  readonly expect: readonly string[] | "ok";
  /** Where the failure shows (default `"head"`). */
  readonly phase?: "head" | "body";
  /** How many interim responses `onInformational` must see first (default 0). */
  readonly interim?: number;
  /**
   * Whether the connection must not carry another request even though
   * `fetch()` succeeds (bytes beyond the message arrived with it).
   */
  readonly poisoned?: boolean;
  /** RFC section backing the expectation. */
  readonly rfc: string;
}

const HINT = "HTTP/1.1 103 Early Hints\r\nlink: </a.css>; rel=preload\r\n\r\n";

/** The corpus. */
export const HOSTILE_RESPONSES: readonly HostileResponse[] = [
  // --- status codes (RFC 9110 section 15, RFC 9112 section 4)
  ...[
    "1033",
    "99",
    "20",
    "2000",
    "abc",
    "-200",
    "2 0",
    "+200",
    "0x1",
    "",
  ].map((status) => ({
    name: `invalid status ${JSON.stringify(status)}`,
    kind: "status" as const,
    reply: `HTTP/1.1 ${status} X\r\ncontent-length: 0\r\n\r\n`,
    close: false,
    expect: ["INVALID_STATUS", "BAD_SYNTAX"],
    rfc: "RFC 9112 4 (status-code = 3DIGIT), RFC 9110 15 (100-599)",
  })),
  {
    name: "1033 after a valid 103",
    kind: "status",
    reply: `${HINT}HTTP/1.1 1033 Early Hints\r\n\r\n`,
    close: false,
    expect: ["INVALID_STATUS"],
    interim: 1,
    rfc: "RFC 9112 4",
  },
  {
    name: "status 600 as final",
    kind: "status",
    reply: "HTTP/1.1 600 Odd\r\ncontent-length: 0\r\n\r\n",
    close: false,
    expect: ["UNSUPPORTED_STATUS"],
    rfc: "RFC 9110 15 (a fetch Response carries 200-599)",
  },
  {
    name: "101 as the final response",
    kind: "status",
    reply: "HTTP/1.1 101 Switching Protocols\r\nupgrade: websocket\r\nconnection: upgrade\r\n\r\n",
    close: false,
    expect: ["UNSUPPORTED_STATUS"],
    rfc: "RFC 9110 15.2.2 (101 switches protocols: not usable by fetch)",
  },
  {
    name: "101 after a 103",
    kind: "status",
    reply: `${HINT}HTTP/1.1 101 Switching Protocols\r\nupgrade: x\r\n\r\nnot http at all`,
    close: false,
    expect: ["UNSUPPORTED_STATUS"],
    interim: 1,
    rfc: "RFC 9110 15.2.2",
  },
  {
    name: "HTTP/2.0 status line",
    kind: "status",
    reply: "HTTP/2.0 200 OK\r\ncontent-length: 0\r\n\r\n",
    close: false,
    expect: ["UNSUPPORTED_VERSION"],
    rfc: "RFC 9112 2.6",
  },
  {
    name: "ICY status line",
    kind: "status",
    reply: "ICY 200 OK\r\ncontent-length: 0\r\n\r\n",
    close: false,
    expect: ["BAD_SYNTAX"],
    rfc: "RFC 9112 4",
  },
  {
    name: "NUL in the reason phrase",
    kind: "status",
    reply: "HTTP/1.1 200 O\x00K\r\ncontent-length: 0\r\n\r\n",
    close: false,
    expect: ["BAD_SYNTAX"],
    rfc: "RFC 9112 4 (reason-phrase = *( HTAB / SP / VCHAR / obs-text ))",
  },
  {
    name: "bare CR in the status line",
    kind: "status",
    reply: "HTTP/1.1 200 OK\rX\r\ncontent-length: 0\r\n\r\n",
    close: false,
    expect: ["BARE_CR"],
    rfc: "RFC 9112 2.2",
  },
  {
    name: "status line without reason and without SP is tolerated",
    kind: "status",
    reply: "HTTP/1.1 200\r\ncontent-length: 2\r\n\r\nok",
    close: false,
    expect: "ok",
    rfc: "RFC 9112 4 (recipients SHOULD accept a missing reason)",
  },

  // --- interim responses (RFC 9110 section 15.2, RFC 8297)
  {
    name: "interim head of 100 KB",
    kind: "interim",
    reply: `HTTP/1.1 103 Early Hints\r\nlink: ${"x".repeat(100_000)}\r\n\r\n`,
    close: false,
    expect: ["HEADERS_TOO_LARGE"],
    rfc: "RFC 9110 15.2 (interim heads are limited like final ones)",
  },
  {
    name: "interim field line of 1 MiB without a terminator",
    kind: "interim",
    reply: `HTTP/1.1 103 Early Hints\r\nlink: ${"x".repeat(1 << 20)}`,
    close: false,
    expect: ["HEADERS_TOO_LARGE"],
    rfc: "RFC 9110 15.2",
  },
  {
    name: "interim response with 5000 fields",
    kind: "interim",
    reply: `HTTP/1.1 103 Early Hints\r\n${"link: </a>\r\n".repeat(5000)}\r\n`,
    close: false,
    expect: ["HEADERS_TOO_LARGE"],
    rfc: "RFC 9110 15.2",
  },
  {
    name: "103 with a body (the body is read as the next status line)",
    kind: "interim",
    reply: "HTTP/1.1 103 Early Hints\r\ncontent-length: 5\r\n\r\nhelloHTTP/1.1 200 OK\r\n\r\n",
    close: false,
    expect: ["BAD_SYNTAX", "INVALID_STATUS"],
    interim: 1,
    rfc: "RFC 9110 15.2 (a 1xx response is terminated by the end of its header section)",
  },
  {
    name: "103 with a NUL in a field value",
    kind: "interim",
    reply: "HTTP/1.1 103 Early Hints\r\nlink: </a\x00>\r\n\r\nHTTP/1.1 200 OK\r\n\r\n",
    close: false,
    expect: ["INVALID_HEADER"],
    rfc: "RFC 9110 5.5",
  },
  {
    name: "103 with whitespace before its first field",
    kind: "interim",
    reply: "HTTP/1.1 103 Early Hints\r\n ; rel=preload\r\nlink: </a>\r\n\r\n",
    close: false,
    expect: ["OBS_FOLD"],
    rfc: "RFC 9112 2.2 (whitespace before the first field: reject or ignore the line; we reject)",
  },
  {
    name: "HTTP/1.0 103 then 200",
    kind: "interim",
    reply:
      "HTTP/1.0 103 Early Hints\r\nlink: </a>\r\n\r\nHTTP/1.0 200 OK\r\ncontent-length: 2\r\n\r\nok",
    close: false,
    expect: "ok",
    interim: 1,
    rfc: "RFC 9110 15.2 (a client MUST be able to parse 1xx even if not expected)",
  },

  // --- framing (RFC 9112 section 6)
  {
    name: "Content-Length with Transfer-Encoding",
    kind: "framing",
    reply:
      "HTTP/1.1 200 OK\r\ncontent-length: 2\r\ntransfer-encoding: chunked\r\n\r\n2\r\nok\r\n0\r\n\r\n",
    close: false,
    expect: ["INVALID_FRAMING"],
    rfc: "RFC 9112 6.1, 6.3 item 3",
  },
  {
    name: "differing Content-Length fields",
    kind: "framing",
    reply: "HTTP/1.1 200 OK\r\ncontent-length: 2\r\ncontent-length: 3\r\n\r\nok!",
    close: false,
    expect: ["INVALID_FRAMING"],
    rfc: "RFC 9112 6.3 item 5",
  },
  {
    name: "negative Content-Length",
    kind: "framing",
    reply: "HTTP/1.1 200 OK\r\ncontent-length: -1\r\n\r\nok",
    close: false,
    expect: ["INVALID_FRAMING"],
    rfc: "RFC 9110 8.6",
  },
  {
    name: "Content-Length larger than the body, then close",
    kind: "framing",
    reply: "HTTP/1.1 200 OK\r\ncontent-length: 100\r\n\r\nonly this",
    close: true,
    expect: ["CONNECTION_RESET", "INCOMPLETE_MESSAGE"],
    phase: "body",
    rfc: "RFC 9112 8 (incomplete message)",
  },
  {
    name: "Content-Length larger than the body, then silence",
    kind: "framing",
    reply: "HTTP/1.1 200 OK\r\ncontent-length: 100\r\n\r\nonly this",
    close: false,
    expect: ["TIMEOUT"],
    phase: "body",
    rfc: "RFC 9112 8 (the reader's own deadline ends the wait)",
  },
  {
    name: "chunk size that overflows",
    kind: "framing",
    reply: "HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\nfffffffffffffffffffff\r\n",
    close: false,
    expect: ["INVALID_CHUNK"],
    phase: "body",
    rfc: "RFC 9112 7.1",
  },
  {
    name: "chunk data longer than its size",
    kind: "framing",
    reply: "HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n2\r\nokay\r\n0\r\n\r\n",
    close: false,
    expect: ["INVALID_CHUNK"],
    phase: "body",
    rfc: "RFC 9112 7.1",
  },
  {
    name: "chunked body cut before the last chunk",
    kind: "framing",
    reply: "HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n2\r\nok\r\n",
    close: true,
    expect: ["CONNECTION_RESET", "INCOMPLETE_MESSAGE"],
    phase: "body",
    rfc: "RFC 9112 8",
  },
  {
    name: "a second response hidden after the Content-Length body",
    kind: "framing",
    reply: "HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok" +
      "HTTP/1.1 200 OK\r\ncontent-length: 8\r\n\r\nsmuggled",
    close: false,
    expect: "ok",
    poisoned: true,
    rfc: "RFC 9112 9.3.2 (a response arriving before its request was sent is not that request's)",
  },
  {
    name: "a second response hidden after the chunked body",
    kind: "framing",
    reply: "HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n2\r\nok\r\n0\r\n\r\n" +
      "HTTP/1.1 200 OK\r\ncontent-length: 8\r\n\r\nsmuggled",
    close: false,
    expect: "ok",
    poisoned: true,
    rfc: "RFC 9112 9.3.2",
  },
  {
    name: "body delimited by close is complete at close",
    kind: "framing",
    reply: "HTTP/1.1 200 OK\r\n\r\nuntil close",
    close: true,
    expect: "ok",
    rfc: "RFC 9112 6.3 item 8",
  },

  // --- fields (RFC 9110 section 5, RFC 9112 section 5)
  {
    name: "final head of 100 KB",
    kind: "fields",
    reply: `HTTP/1.1 200 OK\r\nx-big: ${"b".repeat(100_000)}\r\ncontent-length: 0\r\n\r\n`,
    close: false,
    expect: ["HEADERS_TOO_LARGE"],
    rfc: "RFC 6585 5 (limits on header sections)",
  },
  {
    name: "space before the colon",
    kind: "fields",
    reply: "HTTP/1.1 200 OK\r\ncontent-length : 2\r\n\r\nok",
    close: false,
    expect: ["INVALID_HEADER"],
    rfc: "RFC 9112 5.1 (MUST reject whitespace before the colon in a response)",
  },
  {
    name: "bare CR in a field value",
    kind: "fields",
    reply: "HTTP/1.1 200 OK\r\nx-a: a\rb\r\ncontent-length: 0\r\n\r\n",
    close: false,
    expect: ["BARE_CR"],
    rfc: "RFC 9112 2.2",
  },
  {
    name: "field line without a colon",
    kind: "fields",
    reply: "HTTP/1.1 200 OK\r\nnonsense\r\ncontent-length: 0\r\n\r\n",
    close: false,
    expect: ["BAD_SYNTAX"],
    rfc: "RFC 9112 5",
  },

  // --- the connection goes away (RFC 9112 section 9)
  {
    name: "close between the 103 and the final response",
    kind: "close",
    reply: HINT,
    close: true,
    expect: ["CLOSED_BEFORE_RESPONSE"],
    interim: 1,
    rfc: "RFC 9112 8 (incomplete message: the exchange failed)",
  },
  {
    name: "close in the middle of the 103",
    kind: "close",
    reply: "HTTP/1.1 103 Early Hints\r\nlink: </a",
    close: true,
    expect: ["CLOSED_BEFORE_RESPONSE", "INCOMPLETE_MESSAGE"],
    rfc: "RFC 9112 8",
  },
  {
    name: "close in the middle of the final head",
    kind: "close",
    reply: `${HINT}HTTP/1.1 200 OK\r\ncontent-le`,
    close: true,
    expect: ["CLOSED_BEFORE_RESPONSE", "INCOMPLETE_MESSAGE"],
    interim: 1,
    rfc: "RFC 9112 8",
  },
  {
    name: "close without any byte",
    kind: "close",
    reply: "",
    close: true,
    expect: ["CLOSED_BEFORE_RESPONSE"],
    rfc: "RFC 9112 9.6",
  },
  {
    name: "silence after the 103 (the headers timeout ends it)",
    kind: "close",
    reply: HINT,
    close: false,
    expect: ["HEADERS_TIMEOUT"],
    interim: 1,
    rfc: "interim responses do not extend the final-response deadline (Go's ResponseHeaderTimeout)",
  },
];
