/**
 * Whether a response is the same for every visitor, judged the way a shared
 * HTTP cache judges it (RFC 9111): what `learnedHints()` may learn from by
 * default, so one visitor's links never reach another. This module is
 * browser compatible.
 *
 * @module
 */

import { requestHeader } from "./request_factory.ts";

/**
 * Whether a shared cache could hand `response` to other clients:
 * - not when its `Cache-Control` has `no-store` or `private` (RFC 9111
 *   sections 5.2.2.5 and 5.2.2.7; a qualified `private="..."` counts too);
 * - not when it varies on anything but `Accept-Encoding` (`Vary: Cookie`,
 *   `Vary: *`...), which says the content depends on the visitor;
 * - not when the request carried `Authorization`, unless the response says
 *   `public`, `s-maxage` or `must-revalidate` (RFC 9111 section 3.5).
 *
 * A `Cookie` alone does not count: nearly every visit carries one, and a
 * page that differs by cookie says so with `Vary` or `Cache-Control`.
 *
 * @param request The request it answered.
 * @param response The final response.
 * @returns `true` when it is the same for everyone.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { shareable } from "@interim/http/server";
 *
 * const page = new Request("http://localhost/");
 * assert.equal(shareable(page, new Response("hi")), true);
 * assert.equal(shareable(page, new Response("hi", { headers: { "cache-control": "private, max-age=0" } })), false);
 * assert.equal(shareable(page, new Response("hi", { headers: { vary: "Accept-Encoding, Cookie" } })), false);
 * const signedIn = new Request("http://localhost/", { headers: { authorization: "Bearer t" } });
 * assert.equal(shareable(signedIn, new Response("hi")), false);
 * assert.equal(shareable(signedIn, new Response("hi", { headers: { "cache-control": "public" } })), true);
 * ```
 */
export function shareable(request: Request, response: Response): boolean {
  const directives = cacheDirectives(response.headers.get("cache-control"));
  if (directives.has("no-store") || directives.has("private")) return false;
  const vary = response.headers.get("vary");
  if (vary !== null) {
    for (const field of vary.split(",")) {
      const name = field.trim().toLowerCase();
      if (name !== "" && name !== "accept-encoding") return false;
    }
  }
  if (requestHeader(request, "authorization") !== null) {
    return directives.has("public") || directives.has("s-maxage") ||
      directives.has("must-revalidate");
  }
  return true;
}

/** The directive names of a `Cache-Control` value, lower-cased (arguments ignored). */
function cacheDirectives(value: string | null): Set<string> {
  const names = new Set<string>();
  if (value === null) return names;
  // A quoted argument may hold commas (private="a, b"): skip over it.
  for (
    const match of value.matchAll(
      /(?:^|,)\s*([!#$%&'*+.^_`|~0-9A-Za-z-]+)\s*(?:=\s*(?:"(?:[^"\\]|\\.)*"|[^,]*))?/g,
    )
  ) {
    names.add(match[1]!.toLowerCase());
  }
  return names;
}
