/**
 * The header fields of a final response, taken from a web `Response`: framing
 * and connection-specific fields are dropped (the server frames the body
 * itself, RFC 9112 section 6), a declared `Content-Length` is read, and values
 * the Hono helper recorded as appended go out as separate field lines. This
 * module is browser compatible.
 *
 * @module
 */

import type { HeaderList } from "../http1/types.ts";

/** The fields of a response and what they say about framing. */
export interface ResponseFields {
  /** Fields to send, without framing or connection fields. */
  readonly fields: HeaderList;
  /** The declared `Content-Length`, or -1. */
  readonly declaredLength: number;
  /** Whether the handler set its own `Date`. */
  readonly hasDate: boolean;
}

const DIGITS = /^[0-9]{1,15}$/;

/**
 * Collects a response's fields.
 *
 * `Headers` iteration joins repeated fields with `", "` (except
 * `Set-Cookie`). When `fieldLines` maps a name to values whose join equals the
 * response's value, each value is sent as its own field line instead, so that
 * a peer that keeps field lines apart (Go's `Header.Values`) sees what was
 * appended; the two forms mean the same by RFC 9110 section 5.3.
 *
 * @param headers The response's headers.
 * @param fieldLines Names whose values should stay separate lines.
 * @returns The fields, the declared length, and whether `Date` was set.
 *
 * @example Framing fields are dropped
 * ```ts
 * import assert from "node:assert/strict";
 * import { responseFields } from "./response_fields.ts";
 * const out = responseFields(new Headers({ "content-length": "2", connection: "close", a: "b" }), undefined);
 * assert.ok(out.declaredLength === 2 && out.fields.length === 1);
 * ```
 */
export function responseFields(
  headers: Headers,
  fieldLines: Map<string, string[]> | undefined,
): ResponseFields {
  const fields: HeaderList = [];
  let declaredLength = -1;
  let hasDate = false;
  // forEach visits the same pairs as iteration, in the same order, without
  // an iterator object per call: measured 90 against 543 ns per response
  // on Deno, 17 against 37 on Bun, the same on Node.
  headers.forEach((value, name) => {
    switch (name) {
      case "content-length":
        if (DIGITS.test(value)) declaredLength = Number(value);
        return;
      case "connection":
      case "keep-alive":
      case "proxy-connection":
      case "transfer-encoding":
      case "upgrade":
        return;
      case "date":
        hasDate = true;
        break;
    }
    if (fieldLines !== undefined) {
      const values = fieldLines.get(name);
      if (values !== undefined && values.join(", ") === value) {
        for (const item of values) fields.push([name, item]);
        return;
      }
    }
    fields.push([name, value]);
  });
  return { fields, declaredLength, hasDate };
}
