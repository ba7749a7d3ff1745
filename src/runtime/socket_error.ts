/**
 * `SocketError`: the one error type the runtime adapters raise, with a
 * normalised `code` so that callers never parse runtime-specific messages.
 * This module is browser compatible.
 *
 * @module
 */

import type { SocketErrorCode } from "./types.ts";

/** Codes OpenSSL (Node, Bun) reports when a certificate does not verify. */
const CERTIFICATE_CODES = new Set([
  "UNABLE_TO_VERIFY_LEAF_SIGNATURE",
  "UNABLE_TO_GET_ISSUER_CERT",
  "UNABLE_TO_GET_ISSUER_CERT_LOCALLY",
  "SELF_SIGNED_CERT_IN_CHAIN",
  "DEPTH_ZERO_SELF_SIGNED_CERT",
  "CERT_HAS_EXPIRED",
  "CERT_NOT_YET_VALID",
  "CERT_UNTRUSTED",
  "CERT_REJECTED",
  "CERT_SIGNATURE_FAILURE",
  "HOSTNAME_MISMATCH",
  "INVALID_CA",
]);

/**
 * Why a TLS handshake failed, as far as the runtime tells
 * ({@linkcode SocketError.tlsFailure}), the same on Deno, Bun and Node.
 */
export type TlsFailure =
  /** The certificate chain leads to no trusted CA (unknown issuer, self-signed). */
  | "untrusted-certificate"
  /** The certificate has expired or is not valid yet. */
  | "expired-certificate"
  /** The certificate does not name the host (or the SNI name) connected to. */
  | "name-mismatch"
  /** The peer did not answer in TLS at all: most likely a plain HTTP port. */
  | "not-tls"
  /** Any other handshake failure: an alert from the peer, no common version... */
  | "handshake";

/**
 * OpenSSL (Node) and BoringSSL (Bun) reasons for a first record that is not
 * TLS: what a plain HTTP server's `HTTP/1.1 400` looks like to a TLS client.
 */
const NOT_TLS_REASONS = new Set([
  "WRONG_VERSION_NUMBER",
  "PACKET_LENGTH_TOO_LONG",
  "HTTP_REQUEST",
  "HTTPS_PROXY_REQUEST",
  "UNKNOWN_PROTOCOL",
]);

/** Deno's error class names, for errors that carry no `code`. */
const CODES_BY_DENO_NAME: Record<string, SocketErrorCode> = {
  ConnectionRefused: "ECONNREFUSED",
  ConnectionReset: "ECONNRESET",
  ConnectionAborted: "ECONNRESET",
  // The peer closed mid-handshake (rustls), as Node and Bun report ECONNRESET.
  UnexpectedEof: "ECONNRESET",
  TimedOut: "ETIMEDOUT",
  BrokenPipe: "EPIPE",
  NotFound: "ENOENT",
  AddrInUse: "EADDRINUSE",
  PermissionDenied: "EACCES",
};

/**
 * A failed connect, listen, read or write, with a stable `code`
 * (`ECONNREFUSED`, `ECONNRESET`, `ETIMEDOUT`, `EPIPE`, `ETLS`, ... see
 * `SocketErrorCode`) and the runtime's own error as `cause`.
 *
 * Users meet it in two places, the same on Deno, Bun and Node: `serve()`
 * rejects with it when the address cannot be bound (`EADDRINUSE`,
 * `EACCES`), on every backend; and the client's `FetchError` for a failed
 * connection or a reset carries it as `cause`.
 *
 * @example Tell a refused connection apart
 * ```ts
 * import assert from "node:assert/strict";
 * import { SocketError } from "./socket_error.ts";
 * const error = new SocketError("ECONNREFUSED", "connect 127.0.0.1:1 failed");
 * assert.equal(error.code, "ECONNREFUSED");
 * ```
 */
export class SocketError extends Error {
  /** The normalised code, or the operating system's code when unmapped. */
  readonly code: SocketErrorCode | string;
  /** For `code` `"ETLS"`: why the handshake failed (`"handshake"` when the runtime does not say); else `undefined`. */
  readonly tlsFailure: TlsFailure | undefined;

  /**
   * Creates a socket error.
   *
   * @param code The normalised code.
   * @param message What failed, for people.
   * @param options `cause`: the runtime's original error; `tlsFailure`: why
   * a TLS handshake failed (only with `ETLS`).
   */
  constructor(
    code: SocketErrorCode | string,
    message: string,
    options?: ErrorOptions & { readonly tlsFailure?: TlsFailure },
  ) {
    super(message, options);
    this.name = "SocketError";
    this.code = code;
    this.tlsFailure = code === "ETLS" ? options?.tlsFailure ?? "handshake" : undefined;
  }
}

/**
 * Wraps whatever a runtime threw into a `SocketError` with a normalised code.
 * A `SocketError` is returned unchanged.
 *
 * @param error What the runtime threw or emitted.
 * @param context What was being done, e.g. `"connect 127.0.0.1:8080"`.
 * @param tlsFailure Set by an adapter that recognised a TLS handshake
 * failure: the code is then `ETLS`.
 * @returns The normalised error; its `cause` is `error`.
 *
 * @example Normalise a Node error
 * ```ts
 * import assert from "node:assert/strict";
 * import { toSocketError } from "./socket_error.ts";
 * const raw = Object.assign(new Error("connect ECONNREFUSED"), { code: "ECONNREFUSED" });
 * assert.equal(toSocketError(raw, "connect 127.0.0.1:1").code, "ECONNREFUSED");
 * ```
 */
export function toSocketError(
  error: unknown,
  context: string,
  tlsFailure?: TlsFailure,
): SocketError {
  if (error instanceof SocketError) return error;
  const code = tlsFailure !== undefined ? "ETLS" : socketErrorCode(error);
  const detail = error instanceof Error ? error.message : String(error);
  return new SocketError(
    code,
    `${context}: ${detail}`,
    tlsFailure !== undefined ? { cause: error, tlsFailure } : { cause: error },
  );
}

/**
 * Reads why a TLS connect failed from an OpenSSL-style error, as Node's
 * `node:tls` and Bun's emulation of it raise: certificate verification
 * codes (`SELF_SIGNED_CERT_IN_CHAIN`, `CERT_HAS_EXPIRED`...),
 * `ERR_TLS_CERT_ALTNAME_INVALID`, and the library's reason, which Node puts
 * in `code` (`ERR_SSL_WRONG_VERSION_NUMBER`) and Bun's BoringSSL only in
 * the message's last field (`error:100000f7:SSL routines:OPENSSL_internal:WRONG_VERSION_NUMBER`).
 *
 * @param error What a TLS connect failed with.
 * @returns The failure, or `undefined` for an error that is not about TLS
 * (refused, reset, unresolved...).
 *
 * @example A plain HTTP port, as Node reports it
 * ```ts
 * import assert from "node:assert/strict";
 * import { opensslTlsFailure } from "./socket_error.ts";
 * const raw = Object.assign(new Error("...:wrong version number"), { code: "ERR_SSL_WRONG_VERSION_NUMBER" });
 * assert.equal(opensslTlsFailure(raw), "not-tls");
 * ```
 */
export function opensslTlsFailure(error: unknown): TlsFailure | undefined {
  if (typeof error !== "object" || error === null) return undefined;
  const { code, message } = error as { code?: unknown; message?: unknown };
  if (typeof code !== "string") return undefined;
  if (code === "ERR_TLS_CERT_ALTNAME_INVALID" || code === "HOSTNAME_MISMATCH") {
    return "name-mismatch";
  }
  if (code === "CERT_HAS_EXPIRED" || code === "CERT_NOT_YET_VALID") return "expired-certificate";
  if (CERTIFICATE_CODES.has(code)) return "untrusted-certificate";
  let reason: string | undefined;
  if (code.startsWith("ERR_SSL_")) reason = code.slice("ERR_SSL_".length);
  else if (code === "EPROTO" && typeof message === "string") {
    reason = /:OPENSSL_internal:([A-Z0-9_]+)\s*$/.exec(message)?.[1];
  }
  if (reason !== undefined) return NOT_TLS_REASONS.has(reason) ? "not-tls" : "handshake";
  return code.startsWith("ERR_TLS_") ? "handshake" : undefined;
}

/**
 * Finds the normalised code of a runtime error.
 *
 * @param error What the runtime threw or emitted.
 * @returns A `SocketErrorCode`, or the runtime's own `E...` code.
 *
 * @example Read the code of a Deno-style error
 * ```ts
 * import assert from "node:assert/strict";
 * import { socketErrorCode } from "./socket_error.ts";
 * const raw = Object.assign(new Error("refused"), { name: "ConnectionRefused" });
 * assert.equal(socketErrorCode(raw), "ECONNREFUSED");
 * ```
 */
export function socketErrorCode(error: unknown): SocketErrorCode | string {
  if (typeof error !== "object" || error === null) return "EUNKNOWN";
  const { code, name, message } = error as {
    code?: unknown;
    name?: unknown;
    message?: unknown;
  };
  if (typeof code === "string") {
    if (isTlsCode(code)) return "ETLS";
    if (code === "ENOTFOUND" || code === "EAI_AGAIN") return "ENOTFOUND";
    if (/^E[A-Z0-9]+$/.test(code)) return code;
  }
  const text = typeof message === "string" ? message : "";
  // Deno reports rustls failures as InvalidData / UnknownIssuer messages.
  if (/certificate|handshake|tls|ssl|alert|UnknownIssuer/i.test(text)) {
    return "ETLS";
  }
  if (typeof name === "string" && name in CODES_BY_DENO_NAME) {
    return CODES_BY_DENO_NAME[name] ?? "EUNKNOWN";
  }
  // Deno's resolver failure has no code, only getaddrinfo's message.
  if (/failed to lookup address|name or service not known|nodename nor servname/i.test(text)) {
    return "ENOTFOUND";
  }
  if (/connection reset|ECONNRESET/i.test(text)) return "ECONNRESET";
  if (/connection refused|ECONNREFUSED/i.test(text)) return "ECONNREFUSED";
  if (/broken pipe|EPIPE/i.test(text)) return "EPIPE";
  return "EUNKNOWN";
}

function isTlsCode(code: string): boolean {
  return code.startsWith("ERR_SSL_") || code.startsWith("ERR_TLS_") ||
    CERTIFICATE_CODES.has(code);
}
