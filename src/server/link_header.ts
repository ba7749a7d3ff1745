/**
 * Reading `Link` field values (RFC 8288 section 3): the link-values a
 * response carries, each with its target, relation types and the text to
 * repeat in a `103 Early Hints`. This module is browser compatible.
 *
 * @module
 */

import type { HeaderList } from "../http1/types.ts";

/** One link-value of a `Link` field. */
export interface LinkValue {
  /** The URI-Reference between `<` and `>`, as written. */
  readonly target: string;
  /** The `rel` parameter's relation types, lower-cased (RFC 8288 section 3.3). */
  readonly rels: readonly string[];
  /** Whether it has an `anchor` parameter, which makes it about another resource. */
  readonly anchored: boolean;
  /**
   * The link-value in one canonical spelling: `<target>` then each
   * parameter as `; name=value`, names lower-cased, values quoted only
   * where they must be. Two spellings of the same link compare equal.
   */
  readonly text: string;
}

const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;

/**
 * Parses a `Link` field value into its link-values. A link-value that does
 * not parse (no `<`, an unclosed quote, a parameter without a name) is
 * left out, not an error: the field came from the application's own
 * response and a hint is advisory.
 *
 * @param value The field value; several field lines may be joined with `, `.
 * @returns The link-values in order.
 *
 * @example Two spellings of one link and an anchored one
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseLinkHeader } from "./link_header.ts";
 *
 * const links = parseLinkHeader(
 *   '</a.css>;rel="preload stylesheet";as=style, </b.js>; rel=modulepreload, </c>; anchor="#x"; rel=preload',
 * );
 * assert.deepEqual(links.map((link) => link.text), [
 *   '</a.css>; rel="preload stylesheet"; as=style',
 *   "</b.js>; rel=modulepreload",
 *   "</c>; anchor=#x; rel=preload",
 * ]);
 * assert.deepEqual(links[0]?.rels, ["preload", "stylesheet"]);
 * assert.equal(links[2]?.anchored, true);
 * ```
 */
export function parseLinkHeader(value: string): LinkValue[] {
  const links: LinkValue[] = [];
  let at = 0;
  while (at < value.length) {
    const parsed = parseLinkValue(value, at);
    if (parsed.link !== undefined) links.push(parsed.link);
    at = parsed.next;
  }
  return links;
}

/**
 * `fields` without the link-values in `sent` (compared in canonical
 * spelling): a `link` field line keeps its other link-values byte for
 * byte (those that do not parse too), and goes when none remain. Other
 * fields are untouched.
 *
 * @param fields Validated interim fields.
 * @param sent Canonical link-values already sent.
 * @returns The fields to send.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { withoutLinks } from "./link_header.ts";
 * const sent = new Set(["</a.css>; rel=preload; as=style"]);
 * assert.deepEqual(
 *   withoutLinks([["link", "</a.css>;rel=preload;as=style, </b.js>; rel=preload; as=script"], ["x-pod", "p"]], sent),
 *   [["link", "</b.js>; rel=preload; as=script"], ["x-pod", "p"]],
 * );
 * assert.deepEqual(withoutLinks([["link", "</a.css>; rel=preload; as=style"]], sent), []);
 * ```
 */
export function withoutLinks(fields: HeaderList, sent: ReadonlySet<string>): HeaderList {
  const kept: HeaderList = [];
  for (const field of fields) {
    if (field[0] !== "link") {
      kept.push(field);
      continue;
    }
    const pieces = splitLinkValues(field[1]);
    const fresh = pieces.filter((piece) => {
      const links = parseLinkHeader(piece);
      return links.length !== 1 || !sent.has(links[0]!.text);
    });
    if (fresh.length === pieces.length) kept.push(field);
    else if (fresh.length > 0) kept.push(["link", fresh.join(", ")]);
  }
  return kept;
}

/** Parses the link-value starting at `start`; `next` is past its comma. */
function parseLinkValue(value: string, start: number): { link?: LinkValue; next: number } {
  let at = skipWhitespace(value, start);
  if (value[at] !== "<") return { next: commaAt(value, at) + 1 };
  const close = value.indexOf(">", at + 1);
  if (close === -1) return { next: value.length };
  const target = value.slice(at + 1, close);
  at = close + 1;
  const params: [string, string][] = [];
  let valid = true;
  for (;;) {
    at = skipWhitespace(value, at);
    if (at >= value.length || value[at] === ",") break;
    if (value[at] !== ";") {
      valid = false;
      break;
    }
    at = skipWhitespace(value, at + 1);
    // An empty parameter (a trailing or doubled ";") is skipped, as browsers do.
    if (at >= value.length || value[at] === ";" || value[at] === ",") continue;
    const nameEnd = scanToken(value, at);
    if (nameEnd === at) {
      valid = false;
      break;
    }
    const name = value.slice(at, nameEnd).toLowerCase();
    at = skipWhitespace(value, nameEnd);
    let paramValue = "";
    if (value[at] === "=") {
      at = skipWhitespace(value, at + 1);
      if (value[at] === '"') {
        const quoted = scanQuoted(value, at);
        if (quoted === undefined) return { next: value.length };
        paramValue = quoted.text;
        at = quoted.next;
      } else {
        // Leniently up to the next ";" or ",": `type=font/woff2` is not a
        // token, yet common, and browsers read it.
        let end = at;
        while (end < value.length && value[end] !== ";" && value[end] !== ",") end++;
        paramValue = value.slice(at, end).replace(/[\t ]+$/, "");
        at = end;
      }
    }
    params.push([name, paramValue]);
  }
  const next = commaAt(value, at) + 1;
  if (!valid) return { next };
  return { link: linkOf(target, params), next };
}

function linkOf(target: string, params: readonly [string, string][]): LinkValue {
  let text = `<${target}>`;
  let rels: string[] = [];
  let sawRel = false;
  let anchored = false;
  for (const [name, paramValue] of params) {
    // RFC 8288 section 3.3: only the first rel counts.
    if (name === "rel" && !sawRel) {
      sawRel = true;
      rels = paramValue.toLowerCase().split(/[\t ]+/).filter((rel) => rel !== "");
    }
    if (name === "anchor") anchored = true;
    text += paramValue === "" && name !== "rel"
      ? `; ${name}`
      : `; ${name}=${quoteIfNeeded(paramValue)}`;
  }
  return { target, rels, anchored, text };
}

function quoteIfNeeded(text: string): string {
  return TOKEN.test(text) ? text : `"${text.replace(/["\\]/g, "\\$&")}"`;
}

function skipWhitespace(value: string, at: number): number {
  while (value[at] === " " || value[at] === "\t") at++;
  return at;
}

function scanToken(value: string, at: number): number {
  while (at < value.length && TOKEN.test(value[at]!)) at++;
  return at;
}

function scanQuoted(value: string, start: number): { text: string; next: number } | undefined {
  let text = "";
  for (let at = start + 1; at < value.length; at++) {
    const char = value[at]!;
    if (char === "\\" && at + 1 < value.length) text += value[++at];
    else if (char === '"') return { text, next: at + 1 };
    else text += char;
  }
  return undefined;
}

/** The field value's link-values as written, split at top-level commas, trimmed, empty ones dropped. */
function splitLinkValues(value: string): string[] {
  const pieces: string[] = [];
  for (let at = 0; at < value.length;) {
    const comma = commaAt(value, at);
    const piece = value.slice(at, comma).trim();
    if (piece !== "") pieces.push(piece);
    at = comma + 1;
  }
  return pieces;
}

/** The index of the next comma outside quotes and angle brackets, or the value's length. */
function commaAt(value: string, at: number): number {
  let quoted = false;
  let bracketed = false;
  for (; at < value.length; at++) {
    const char = value[at];
    if (quoted) {
      if (char === "\\") at++;
      else if (char === '"') quoted = false;
    } else if (bracketed) {
      if (char === ">") bracketed = false;
    } else if (char === '"') quoted = true;
    else if (char === "<") bracketed = true;
    else if (char === ",") return at;
  }
  return value.length;
}
