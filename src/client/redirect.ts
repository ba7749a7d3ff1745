/**
 * Following redirects as the fetch standard's "HTTP-redirect fetch" does.
 *
 * @module
 */

import { FetchError } from "./errors.ts";
import type { PreparedRequest } from "./request.ts";
import { buildTarget, isSupportedScheme, type Target } from "./target.ts";

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
 * fragment keeps the current one. A unix socket URL (`http+unix:`) is
 * followed only to the same socket; a redirect from it to `http:` or
 * `https:` leaves the socket.
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
  if (!isSupportedScheme(url.protocol)) {
    throw new FetchError(
      "INVALID_REDIRECT",
      `redirect ${status} to ${url.protocol} URL; only http:, https:, http+unix: and https+unix: are followed`,
    );
  }
  if (url.username !== "" || url.password !== "") {
    throw new FetchError("INVALID_REDIRECT", `redirect ${status} to a URL with credentials`);
  }
  const previous = request.target;
  if (url.hash === "" && previous.url.hash !== "") url.hash = previous.url.hash;
  let target: Target;
  try {
    target = buildTarget(url);
  } catch (error) {
    throw new FetchError(
      "INVALID_REDIRECT",
      `redirect ${status} to an unusable URL ${JSON.stringify(location)}`,
      { cause: error },
    );
  }
  // A peer must not steer the client onto a local socket (a Docker or
  // daemon socket): a unix socket URL is followed only on the same socket
  // (http+unix: to https+unix: on it is a change of origin, not of socket).
  const crossOrigin = target.originKey !== previous.originKey;
  if (target.socketPath !== undefined && target.socketPath !== previous.socketPath) {
    throw new FetchError(
      "INVALID_REDIRECT",
      `redirect ${status} to unix socket ${
        JSON.stringify(target.socketPath)
      } refused: only a redirect on the same socket is followed`,
    );
  }
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
  if (crossOrigin) {
    headers = headers.filter(([name]) => !CROSS_ORIGIN_FIELDS.has(name));
  }
  return { ...request, target, method, body, headers };
}
