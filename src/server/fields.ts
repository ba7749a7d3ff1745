/**
 * Header fields given by users (to `sendInformational`, hint helpers) turned
 * into the engine's ordered `[name, value]` pairs, validated on the way so a
 * bad field is refused with a `TypeError` naming it before any byte is
 * written. This module is browser compatible.
 *
 * @module
 */

import type { HeaderList } from "../http1/types.ts";
import { isValidHeaderName, isValidHeaderValue } from "../http1/validate.ts";

/**
 * Header fields accepted by the server's helpers: a `Headers`, pairs (kept
 * as separate field lines, in order), or a record whose values may be arrays
 * (one field line per element).
 */
export type FieldsInit =
  | Headers
  | Iterable<readonly [string, string]>
  | Readonly<Record<string, string | readonly string[]>>;

const EDGE_WHITESPACE = /^[\t ]+|[\t ]+$/g;

/**
 * Converts user-given fields to a validated `HeaderList` with lower-cased
 * names and values trimmed of surrounding whitespace.
 *
 * @param init The fields, or `undefined` for none.
 * @param forbidden Lower-cased names that may not appear (e.g. framing fields in a 1xx).
 * @returns The fields as ordered pairs.
 * @throws {TypeError} For a name that is not a token, a value with CR, LF, NUL
 * or another control character, or a forbidden name.
 *
 * @example Arrays become repeated field lines
 * ```ts
 * import assert from "node:assert/strict";
 * import { toHeaderList } from "./fields.ts";
 * const list = toHeaderList({ Link: ["</a.css>; rel=preload", "</b.js>; rel=preload"] });
 * assert.ok(list.length === 2 && list[0]![0] === "link");
 * ```
 */
export function toHeaderList(
  init: FieldsInit | undefined,
  forbidden?: ReadonlySet<string>,
): HeaderList {
  const list: HeaderList = [];
  if (init === undefined || init === null) return list;
  if (typeof init !== "object") {
    throw new TypeError(
      `header fields must be a Headers, an array of [name, value] pairs or a record, got ${typeof init}`,
    );
  }
  if (init instanceof Headers || Symbol.iterator in init) {
    for (const pair of init as Iterable<readonly [string, string]>) {
      if (!Array.isArray(pair) || pair.length !== 2) {
        throw new TypeError("each header field must be a [name, value] pair");
      }
      addField(list, pair[0], pair[1], forbidden);
    }
    return list;
  }
  for (const name of Object.keys(init)) {
    const value = (init as Record<string, string | readonly string[]>)[name];
    if (Array.isArray(value)) {
      for (const item of value) addField(list, name, item, forbidden);
    } else {
      addField(list, name, value as string, forbidden);
    }
  }
  return list;
}

function addField(
  list: HeaderList,
  name: unknown,
  value: unknown,
  forbidden: ReadonlySet<string> | undefined,
): void {
  if (typeof name !== "string" || !isValidHeaderName(name)) {
    throw new TypeError(`invalid header field name: ${JSON.stringify(name)}`);
  }
  if (typeof value !== "string") {
    throw new TypeError(`header field ${name}: value must be a string`);
  }
  if (!isValidHeaderValue(value)) {
    throw new TypeError(
      `header field ${name}: value contains CR, LF, NUL or another control character`,
    );
  }
  const lower = name.toLowerCase();
  if (forbidden?.has(lower)) {
    throw new TypeError(`header field ${name} is not allowed here`);
  }
  list.push([lower, value.replace(EDGE_WHITESPACE, "")]);
}
