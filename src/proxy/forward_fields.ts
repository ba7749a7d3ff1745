/**
 * Which header fields `forward()` passes on: the hop-by-hop fields of RFC
 * 9110 section 7.6.1 come off every message it relays, in both directions,
 * and the request gets its `X-Forwarded-*` fields. This module is browser
 * compatible.
 *
 * @module
 */

import type { HeaderList } from "../http1/types.ts";
import { CONNECTION_SPECIFIC_FIELDS } from "../http1/validate.ts";

/**
 * Fields that describe one connection, never the message: the
 * connection-specific ones (`Connection`, `Keep-Alive`, `Proxy-Connection`,
 * `Transfer-Encoding`, `Upgrade`, `HTTP2-Settings`), plus what Go's
 * `ReverseProxy` also drops: `TE` (kept only as `trailers` in a request),
 * `Trailer` (the trailers themselves are not relayed, so announcing them
 * would be false) and the proxy credentials `Proxy-Authorization` and
 * `Proxy-Authenticate`, which are meant for this hop.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { HOP_BY_HOP_FIELDS } from "./forward_fields.ts";
 * assert.ok(HOP_BY_HOP_FIELDS.has("keep-alive"));
 * assert.ok(HOP_BY_HOP_FIELDS.has("proxy-authorization"));
 * assert.ok(!HOP_BY_HOP_FIELDS.has("content-length"));
 * ```
 */
export const HOP_BY_HOP_FIELDS: ReadonlySet<string> = new Set([
  ...CONNECTION_SPECIFIC_FIELDS,
  "te",
  "trailer",
  "proxy-authorization",
  "proxy-authenticate",
]);

/** The client-supplied proxy fields a forward drops unless told to trust them. */
const FORWARDED_FIELDS: ReadonlySet<string> = new Set([
  "forwarded",
  "x-forwarded-for",
  "x-forwarded-host",
  "x-forwarded-proto",
]);

/**
 * Copies fields without the hop-by-hop ones: those in
 * {@linkcode HOP_BY_HOP_FIELDS} and every field the message's own
 * `Connection` names (RFC 9110 section 7.6.1). Field lines stay separate and
 * in order.
 *
 * `TE` always goes, `te: trailers` too: it promises the upstream that
 * trailers reach the client, and `forward()` does not relay trailers (an
 * upstream that put its outcome in them, as gRPC does, would look
 * successful).
 *
 * @param fields The message's fields, names lower-case or not.
 * @returns The fields to relay, names lower-cased.
 *
 * @example A field named in Connection goes too
 * ```ts
 * import assert from "node:assert/strict";
 * import { withoutHopByHop } from "./forward_fields.ts";
 * const fields = withoutHopByHop([
 *   ["Connection", "keep-alive, X-Secret"],
 *   ["x-secret", "1"],
 *   ["te", "trailers, deflate"],
 *   ["x-kept", "2"],
 * ]);
 * assert.deepEqual(fields, [["x-kept", "2"]]);
 * ```
 */
export function withoutHopByHop(
  fields: Iterable<readonly [string, string]>,
): HeaderList {
  const pairs: Array<readonly [string, string]> = [];
  const named = new Set<string>();
  for (const [name, value] of fields) {
    const lower = name.toLowerCase();
    if (lower === "connection") { for (const token of tokens(value)) named.add(token); }
    pairs.push([lower, value]);
  }
  const kept: HeaderList = [];
  for (const [name, value] of pairs) {
    if (named.has(name) || HOP_BY_HOP_FIELDS.has(name)) continue;
    kept.push([name, value]);
  }
  return kept;
}

/** How the request's `Forwarded` / `X-Forwarded-*` fields are treated. */
export interface ForwardedFacts {
  /** The downstream request's `Host` (its URL's host). */
  readonly host: string;
  /** `"http"` or `"https"`: the scheme the downstream client used. */
  readonly proto: string;
  /** The downstream client's IP address, when the caller knows it. */
  readonly clientIp: string | undefined;
  /**
   * Keep the fields a previous proxy set, appending the client's address to
   * `X-Forwarded-For` (this hop is behind a proxy it trusts). Otherwise they
   * are dropped first: any client can forge them.
   */
  readonly trust: boolean;
}

/**
 * Sets the request's `X-Forwarded-For`, `X-Forwarded-Host` and
 * `X-Forwarded-Proto` in place, as Go's `ProxyRequest.SetXForwarded` does,
 * except that a trusted previous proxy's `X-Forwarded-Host` and
 * `X-Forwarded-Proto` are kept (they name what the first client asked for).
 *
 * @param fields The request's fields, names lower-case, hop-by-hop ones gone.
 * @param facts What this hop knows.
 * @returns The fields to send.
 *
 * @example An untrusted client's X-Forwarded-For is replaced
 * ```ts
 * import assert from "node:assert/strict";
 * import { withForwardedFields } from "./forward_fields.ts";
 * const fields = withForwardedFields([["x-forwarded-for", "6.6.6.6"], ["accept", "text/html"]], {
 *   host: "example.com", proto: "https", clientIp: "192.0.2.1", trust: false,
 * });
 * assert.deepEqual(fields, [
 *   ["accept", "text/html"],
 *   ["x-forwarded-for", "192.0.2.1"],
 *   ["x-forwarded-host", "example.com"],
 *   ["x-forwarded-proto", "https"],
 * ]);
 * ```
 */
export function withForwardedFields(fields: HeaderList, facts: ForwardedFacts): HeaderList {
  const kept: HeaderList = [];
  const prior = new Map<string, string[]>();
  for (const field of fields) {
    if (!FORWARDED_FIELDS.has(field[0])) {
      kept.push(field);
      continue;
    }
    if (!facts.trust) continue;
    if (field[0] === "forwarded") kept.push(field);
    else {
      const values = prior.get(field[0]) ?? [];
      values.push(field[1]);
      prior.set(field[0], values);
    }
  }
  const forwardedFor = [...prior.get("x-forwarded-for") ?? []];
  if (facts.clientIp !== undefined) forwardedFor.push(facts.clientIp);
  if (forwardedFor.length > 0) kept.push(["x-forwarded-for", forwardedFor.join(", ")]);
  kept.push(["x-forwarded-host", prior.get("x-forwarded-host")?.[0] ?? facts.host]);
  kept.push(["x-forwarded-proto", prior.get("x-forwarded-proto")?.[0] ?? facts.proto]);
  return kept;
}

/** The comma-separated tokens of a field value, lower-cased. */
function tokens(value: string): string[] {
  const list: string[] = [];
  for (const part of value.split(",")) {
    const token = part.trim().toLowerCase();
    if (token !== "") list.push(token);
  }
  return list;
}
