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

/** Deno's error class names, for errors that carry no `code`. */
const CODES_BY_DENO_NAME: Record<string, SocketErrorCode> = {
  ConnectionRefused: "ECONNREFUSED",
  ConnectionReset: "ECONNRESET",
  ConnectionAborted: "ECONNRESET",
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
 * import { SocketError } from "./socket_error.ts";
 * const error = new SocketError("ECONNREFUSED", "connect 127.0.0.1:1 failed");
 * console.log(error.code); // "ECONNREFUSED"
 * ```
 */
export class SocketError extends Error {
  /** The normalised code, or the operating system's code when unmapped. */
  readonly code: SocketErrorCode | string;

  /**
   * Creates a socket error.
   *
   * @param code The normalised code.
   * @param message What failed, for people.
   * @param options `cause`: the runtime's original error.
   */
  constructor(
    code: SocketErrorCode | string,
    message: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
    this.name = "SocketError";
    this.code = code;
  }
}

/**
 * Wraps whatever a runtime threw into a `SocketError` with a normalised code.
 * A `SocketError` is returned unchanged.
 *
 * @param error What the runtime threw or emitted.
 * @param context What was being done, e.g. `"connect 127.0.0.1:8080"`.
 * @returns The normalised error; its `cause` is `error`.
 *
 * @example Normalise a Node error
 * ```ts
 * import { toSocketError } from "./socket_error.ts";
 * const raw = Object.assign(new Error("connect ECONNREFUSED"), { code: "ECONNREFUSED" });
 * console.log(toSocketError(raw, "connect 127.0.0.1:1").code); // "ECONNREFUSED"
 * ```
 */
export function toSocketError(error: unknown, context: string): SocketError {
  if (error instanceof SocketError) return error;
  const code = socketErrorCode(error);
  const detail = error instanceof Error ? error.message : String(error);
  return new SocketError(code, `${context}: ${detail}`, { cause: error });
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
