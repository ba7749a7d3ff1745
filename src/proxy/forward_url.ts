/**
 * The URL `forward()` sends a request to: the upstream's origin, its base
 * path joined with the request's path, and both queries. This module is
 * browser compatible.
 *
 * @module
 */

/**
 * Parses and checks an upstream given to `forward()`.
 *
 * @param upstream An `http:` or `https:` URL, optionally with a base path
 * and query.
 * @returns The parsed URL.
 * @throws {TypeError} For an unparsable URL, another scheme, or
 * credentials in the URL (they would be sent nowhere: the client does not
 * turn them into `Authorization`).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseUpstream } from "./forward_url.ts";
 * assert.equal(parseUpstream("http://127.0.0.1:8080/api").pathname, "/api");
 * assert.throws(() => parseUpstream("ftp://example.com/"), TypeError);
 * ```
 */
export function parseUpstream(upstream: string | URL): URL {
  let url: URL;
  try {
    url = new URL(upstream);
  } catch (error) {
    throw new TypeError(`forward: the upstream ${JSON.stringify(String(upstream))} is not a URL`, {
      cause: error,
    });
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    throw new TypeError(
      `forward: the upstream must be an http: or https: URL, got ${JSON.stringify(url.href)}`,
    );
  }
  if (url.username !== "" || url.password !== "") {
    throw new TypeError("forward: the upstream URL must not carry credentials");
  }
  return url;
}

/**
 * The URL a request goes to upstream, joined as Go's
 * `NewSingleHostReverseProxy` joins them: the upstream's base path, one
 * slash, the request's path; the upstream's query, `&`, the request's query
 * (either alone when the other is empty). The request's fragment never
 * reaches a server.
 *
 * @param upstream The parsed upstream.
 * @param requestUrl The downstream request's URL (`request.url`).
 * @returns The upstream URL, as a string.
 *
 * @example A base path and two queries
 * ```ts
 * import assert from "node:assert/strict";
 * import { upstreamUrl } from "./forward_url.ts";
 * const upstream = new URL("http://10.0.0.2:8080/base/?v=1");
 * assert.equal(
 *   upstreamUrl(upstream, "http://edge.example/dir/page?q=2"),
 *   "http://10.0.0.2:8080/base/dir/page?v=1&q=2",
 * );
 * assert.equal(upstreamUrl(new URL("http://10.0.0.2/"), "http://edge/a?b"), "http://10.0.0.2/a?b");
 * ```
 */
export function upstreamUrl(upstream: URL, requestUrl: string): string {
  const incoming = new URL(requestUrl);
  const path = joinPaths(upstream.pathname, incoming.pathname);
  const upstreamQuery = upstream.search.slice(1);
  const requestQuery = incoming.search.slice(1);
  const query = upstreamQuery === "" || requestQuery === ""
    ? upstreamQuery + requestQuery
    : `${upstreamQuery}&${requestQuery}`;
  return `${upstream.origin}${path}${query === "" ? "" : `?${query}`}`;
}

/** Go's `singleJoiningSlash`: exactly one slash between the two paths. */
function joinPaths(base: string, path: string): string {
  const baseSlash = base.endsWith("/");
  const pathSlash = path.startsWith("/");
  if (baseSlash && pathSlash) return base + path.slice(1);
  if (!baseSlash && !pathSlash) return `${base}/${path}`;
  return base + path;
}
