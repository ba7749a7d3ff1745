/**
 * Validation of header field names and values before they are written, so
 * that no caller can split a response or smuggle a request through a value.
 * This module is browser compatible.
 *
 * @module
 */

import { isToken } from "./_bytes.ts";
import { Http1Error } from "./errors.ts";

/**
 * Whether `name` is a valid field name: a non-empty token (RFC 9110
 * section 5.1).
 *
 * @param name The field name to check.
 * @returns True when `name` may be written.
 *
 * @example Checking names
 * ```ts
 * import assert from "node:assert/strict";
 * import { isValidHeaderName } from "./validate.ts";
 * assert.ok(isValidHeaderName("x-pod-name"));
 * assert.ok(!isValidHeaderName("bad name"));
 * ```
 */
export function isValidHeaderName(name: string): boolean {
  return isToken(name);
}

/**
 * Whether `value` is a valid field value: only HTAB, SP, visible ASCII and
 * obs-text (U+0080-U+00FF, written as one byte each); no CR, LF, NUL or other
 * control character (RFC 9110 section 5.5).
 *
 * @param value The field value to check.
 * @returns True when `value` may be written.
 *
 * @example Checking values
 * ```ts
 * import assert from "node:assert/strict";
 * import { isValidHeaderValue } from "./validate.ts";
 * assert.ok(isValidHeaderValue("</style.css>; rel=preload"));
 * assert.ok(!isValidHeaderValue("a\r\nSet-Cookie: x=1"));
 * ```
 */
export function isValidHeaderValue(value: string): boolean {
  for (let i = 0; i < value.length; i++) {
    const code = value.charCodeAt(i);
    if (code < 0x20 ? code !== 0x09 : code === 0x7f || code > 0xff) return false;
  }
  return true;
}

/**
 * Throws unless `name` is a valid field name (a token, RFC 9110 section 5.1).
 *
 * @param name The field name to check.
 * @throws {Http1Error} LOCAL_PROTOCOL_ERROR when `name` is not a token.
 *
 * @example Rejecting a name with a space
 * ```ts
 * import assert from "node:assert/strict";
 * import { validateHeaderName } from "./validate.ts";
 * validateHeaderName("link");
 * let code = "";
 * try {
 *   validateHeaderName("bad name");
 * } catch (error) {
 *   code = (error as { code: string }).code;
 * }
 * assert.equal(code, "LOCAL_PROTOCOL_ERROR");
 * ```
 */
export function validateHeaderName(name: string): void {
  if (!isToken(name)) {
    throw new Http1Error(
      "LOCAL_PROTOCOL_ERROR",
      `invalid header name ${JSON.stringify(name)}: not a token (RFC 9110 section 5.1)`,
    );
  }
}

/**
 * Throws unless `value` is a valid field value (see
 * {@linkcode isValidHeaderValue}).
 *
 * @param value The field value to check.
 * @param name The field name, used in the error message.
 * @throws {Http1Error} LOCAL_PROTOCOL_ERROR on CR, LF, NUL, another control
 * character, or a character above U+00FF.
 *
 * @example Refusing response splitting
 * ```ts
 * import assert from "node:assert/strict";
 * import { validateHeaderValue } from "./validate.ts";
 * let code = "";
 * try {
 *   validateHeaderValue("x\r\nSet-Cookie: a=b", "x-pod-name");
 * } catch (error) {
 *   code = (error as { code: string }).code;
 * }
 * assert.equal(code, "LOCAL_PROTOCOL_ERROR");
 * ```
 */
export function validateHeaderValue(value: string, name = "header"): void {
  if (!isValidHeaderValue(value)) {
    throw new Http1Error(
      "LOCAL_PROTOCOL_ERROR",
      `invalid value for ${name}: control character or character above U+00FF (RFC 9110 section 5.5)`,
    );
  }
}

/**
 * Connection-specific field names (RFC 9110 section 7.6.1) that HTTP/2
 * forbids in any message (RFC 9113 section 8.2.2), `http2-settings`
 * included: whoever turns a message into HTTP/2 fields drops them.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { CONNECTION_SPECIFIC_FIELDS } from "./validate.ts";
 * assert.ok(CONNECTION_SPECIFIC_FIELDS.has("transfer-encoding"));
 * assert.ok(!CONNECTION_SPECIFIC_FIELDS.has("te"));
 * ```
 */
export const CONNECTION_SPECIFIC_FIELDS: ReadonlySet<string> = new Set([
  "connection",
  "keep-alive",
  "proxy-connection",
  "transfer-encoding",
  "upgrade",
  "http2-settings",
]);
