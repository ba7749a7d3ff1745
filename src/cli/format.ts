/**
 * How the `interim` CLI renders what it saw: human-readable lines printed
 * as each response arrives, or one JSON document at the end. This module is
 * browser compatible.
 *
 * @module
 */

/** One response head (interim or final) as the CLI observed it. */
export interface ObservedHead {
  /** The status code. */
  readonly status: number;
  /** The reason phrase (may be empty). */
  readonly statusText: string;
  /** Header fields in the order received, one pair per field line. */
  readonly headers: ReadonlyArray<readonly [name: string, value: string]>;
  /** Milliseconds since the request started. */
  readonly elapsedMs: number;
  /** The final head's HTTP version (`"2"`, `"1.1"`, `"1.0"`); interim heads have none. */
  readonly httpVersion?: string;
}

/** Why an exchange failed, in a shape scripts can match on. */
export interface ObservedError {
  /** The error class name, for example `TypeError` or `TimeoutError`. */
  readonly name: string;
  /** A stable code when the error has one (for example `INCOMPLETE_MESSAGE`). */
  readonly code?: string;
  /** The message, for humans. */
  readonly message: string;
}

/** Everything the CLI observed in one exchange: the `--json` document. */
export interface ObservedExchange {
  /** The URL requested. */
  readonly url: string;
  /** The method sent. */
  readonly method: string;
  /** Interim responses in arrival order. */
  readonly informational: readonly ObservedHead[];
  /** The final response head, or `null` when the exchange failed first. */
  readonly final: ObservedHead | null;
  /** Body bytes received, or `null` when no final response arrived. */
  readonly bodyBytes: number | null;
  /** The body decoded as UTF-8, only when `--body` was given. */
  readonly body?: string;
  /** Milliseconds from the start to the end of the body, or to the failure. */
  readonly elapsedMs: number;
  /** Present when the exchange failed. */
  readonly error?: ObservedError;
}

// Wide enough for "+99999.9ms" so columns line up for exchanges under 100 s.
const OFFSET_WIDTH = 12;

/**
 * Formats a time offset as `+12.3ms`, padded so that columns line up.
 *
 * @param elapsedMs Milliseconds since the request started.
 * @returns The padded offset.
 *
 * @example Formatting an offset
 * ```ts
 * import assert from "node:assert/strict";
 * import { formatOffset } from "./format.ts";
 * assert.equal(formatOffset(12.34).trimEnd(), "+12.3ms");
 * ```
 */
export function formatOffset(elapsedMs: number): string {
  return `+${elapsedMs.toFixed(1)}ms`.padEnd(OFFSET_WIDTH);
}

/**
 * Formats one response head: a status line with its offset, then one
 * indented line per header field.
 *
 * @param head The observed head.
 * @returns The lines, each ending with a newline.
 *
 * @example Formatting a 103
 * ```ts
 * import assert from "node:assert/strict";
 * import { formatHead } from "./format.ts";
 * const text = formatHead({ status: 103, statusText: "Early Hints", headers: [["x", "1"]], elapsedMs: 1 });
 * assert.equal(text, "+1.0ms      103 Early Hints\n              x: 1\n");
 * ```
 */
export function formatHead(head: ObservedHead): string {
  let status = head.statusText === "" ? `${head.status}` : `${head.status} ${head.statusText}`;
  // Over HTTP/2 the final line names the protocol, as curl's does; HTTP/1.x
  // lines stay as scripts already parse them.
  if (head.httpVersion === "2") status = `HTTP/2 ${status}`;
  let text = `${formatOffset(head.elapsedMs)}${status}\n`;
  const indent = " ".repeat(OFFSET_WIDTH + 2);
  for (const [name, value] of head.headers) text += `${indent}${name}: ${value}\n`;
  return text;
}

/**
 * Formats the line that closes a successful exchange.
 *
 * @param elapsedMs Milliseconds since the request started.
 * @param bodyBytes How many body bytes arrived.
 * @returns The line, ending with a newline.
 *
 * @example Formatting the end line
 * ```ts
 * import assert from "node:assert/strict";
 * import { formatEnd } from "./format.ts";
 * assert.ok(formatEnd(5, 4).endsWith("end of body (4 bytes)\n"));
 * ```
 */
export function formatEnd(elapsedMs: number, bodyBytes: number): string {
  const unit = bodyBytes === 1 ? "byte" : "bytes";
  return `${formatOffset(elapsedMs)}end of body (${bodyBytes} ${unit})\n`;
}

/**
 * Renders an exchange as the `--json` document (one line of JSON).
 *
 * @param exchange What was observed.
 * @returns The JSON text, ending with a newline.
 *
 * @example Rendering a failed exchange
 * ```ts
 * import assert from "node:assert/strict";
 * import { formatJson } from "./format.ts";
 * const text = formatJson({
 *   url: "http://127.0.0.1:1/", method: "GET", informational: [], final: null,
 *   bodyBytes: null, elapsedMs: 1, error: { name: "TypeError", message: "refused" },
 * });
 * assert.equal(JSON.parse(text).final, null);
 * ```
 */
export function formatJson(exchange: ObservedExchange): string {
  const round = (head: ObservedHead) => ({ ...head, elapsedMs: roundMs(head.elapsedMs) });
  return JSON.stringify({
    ...exchange,
    informational: exchange.informational.map(round),
    final: exchange.final === null ? null : round(exchange.final),
    elapsedMs: roundMs(exchange.elapsedMs),
  }) + "\n";
}

function roundMs(ms: number): number {
  return Math.round(ms * 10) / 10;
}
