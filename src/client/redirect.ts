/**
 * Following redirects as the fetch standard's "HTTP-redirect fetch" does.
 *
 * @module
 */

import { FetchError } from "./errors.ts";
import type { PreparedRequest } from "./request.ts";
import { buildTarget } from "./target.ts";

/**
 * Tells whether a status is a redirect `fetch` follows.
 *
 * @param status The final status.
 * @returns Whether it is 301, 302, 303, 307 or 308.
 */
export function isRedirectStatus(status: number): boolean {
  return status === 301 || status === 302 || status === 303 || status === 307 ||
    status === 308;
}

// Fields describing the body; dropped when the body is (fetch standard).
const BODY_FIELDS = new Set([
  "content-encoding",
  "content-language",
  "content-location",
  "content-type",
]);

// Credentials that must not leak to another origin (undici drops the same set).
const CROSS_ORIGIN_FIELDS = new Set([
  "authorization",
  "cookie",
  "proxy-authorization",
  "host",
]);

/**
 * Builds the request that follows a redirect.
 *
 * 303 turns any method but HEAD into GET, and 301/302 turn POST into GET,
 * dropping the body and its `Content-*` fields; 307/308 resend the same
 * method and body, which must then be bytes (a stream was consumed). A
 * redirect to another origin drops `Authorization`, `Cookie`,
 * `Proxy-Authorization` and a caller-set `Host`. A `Location` without a
 * fragment keeps the current one.
 *
 * @param request The request that was redirected.
 * @param status The redirect status.
 * @param location The `Location` field value.
 * @returns The next request.
 * @throws {FetchError} `INVALID_REDIRECT` for an unusable `Location`,
 * `REDIRECT_UNREPLAYABLE` when a stream body would have to be sent again.
 */
export function redirectRequest(
  request: PreparedRequest,
  status: number,
  location: string,
): PreparedRequest {
  let url: URL;
  try {
    url = new URL(location, request.target.url);
  } catch (error) {
    throw new FetchError(
      "INVALID_REDIRECT",
      `redirect ${status} to an invalid Location ${JSON.stringify(location)}`,
      { cause: error },
    );
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    throw new FetchError(
      "INVALID_REDIRECT",
      `redirect ${status} to ${url.protocol} URL; only http: and https: are followed`,
    );
  }
  if (url.username !== "" || url.password !== "") {
    throw new FetchError("INVALID_REDIRECT", `redirect ${status} to a URL with credentials`);
  }
  const previous = request.target.url;
  if (url.hash === "" && previous.hash !== "") url.hash = previous.hash;
  const target = buildTarget(url);
  let method = request.method;
  let body = request.body;
  let headers = request.headers;
  if (
    (status === 303 && method !== "GET" && method !== "HEAD") ||
    ((status === 301 || status === 302) && method === "POST")
  ) {
    method = "GET";
    body = null;
    headers = headers.filter(([name]) => !BODY_FIELDS.has(name));
  } else if (body !== null && body.kind === "stream" && status !== 303) {
    throw new FetchError(
      "REDIRECT_UNREPLAYABLE",
      `redirect ${status} needs the request body again, but it was a stream and is consumed`,
    );
  }
  if (url.origin !== previous.origin) {
    headers = headers.filter(([name]) => !CROSS_ORIGIN_FIELDS.has(name));
  }
  return { ...request, target, method, body, headers };
}
