/**
 * Lower-cased forms of common field names, so the usual Title-Case names of
 * browsers and servers are lower-cased by one lookup instead of an
 * allocation. Private to the engine.
 *
 * @module
 */

const COMMON_NAMES = [
  "Accept",
  "Accept-Charset",
  "Accept-Encoding",
  "Accept-Language",
  "Accept-Ranges",
  "Access-Control-Allow-Origin",
  "Age",
  "Authorization",
  "Cache-Control",
  "Connection",
  "Content-Disposition",
  "Content-Encoding",
  "Content-Language",
  "Content-Length",
  "Content-Location",
  "Content-Range",
  "Content-Security-Policy",
  "Content-Type",
  "Cookie",
  "Date",
  "DNT",
  "ETag",
  "Expect",
  "Expires",
  "Forwarded",
  "Host",
  "If-Match",
  "If-Modified-Since",
  "If-None-Match",
  "If-Range",
  "If-Unmodified-Since",
  "Keep-Alive",
  "Last-Modified",
  "Link",
  "Location",
  "Origin",
  "Pragma",
  "Priority",
  "Range",
  "Referer",
  "Referrer-Policy",
  "Retry-After",
  "Sec-Ch-Ua",
  "Sec-Ch-Ua-Mobile",
  "Sec-Ch-Ua-Platform",
  "Sec-Fetch-Dest",
  "Sec-Fetch-Mode",
  "Sec-Fetch-Site",
  "Sec-Fetch-User",
  "Server",
  "Set-Cookie",
  "Strict-Transport-Security",
  "TE",
  "Trailer",
  "Transfer-Encoding",
  "Upgrade",
  "Upgrade-Insecure-Requests",
  "User-Agent",
  "Vary",
  "Via",
  "WWW-Authenticate",
  "X-Content-Type-Options",
  "X-Forwarded-For",
  "X-Forwarded-Host",
  "X-Forwarded-Proto",
  "X-Frame-Options",
  "X-Requested-With",
];

const LOWER_BY_NAME: ReadonlyMap<string, string> = new Map(
  COMMON_NAMES.map((name) => [name, name.toLowerCase()]),
);

/** `name` lower-cased (ASCII; field names are tokens). */
export function lowerFieldName(name: string): string {
  return LOWER_BY_NAME.get(name) ?? name.toLowerCase();
}
