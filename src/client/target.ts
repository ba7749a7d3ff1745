/**
 * A request URL broken into what the client needs, parsed once: the pool
 * key, the `Host` value, the request-target, the connect address. Parsing a
 * `URL` and reading its getters costs more than a keep-alive exchange on
 * some runtimes, so targets of string URLs are cached.
 *
 * @module
 */

import { FetchError } from "./errors.ts";

/** A parsed http: or https: URL. Treat as immutable. */
export interface Target {
  /** The URL (never mutated). */
  readonly url: URL;
  /** The URL without its fragment, as `response.url` shows it. */
  readonly href: string;
  /** The pool key: scheme and authority, e.g. `http:127.0.0.1:8080`. */
  readonly originKey: string;
  /** The `Host` field value (RFC 9110 section 7.2): host, and port unless default. */
  readonly host: string;
  /** The origin-form request-target (RFC 9112 section 3.2.1): path and query. */
  readonly path: string;
  /** Whether the scheme is https:. */
  readonly https: boolean;
  /** The host to connect to, IPv6 without brackets. */
  readonly hostname: string;
  /** The port to connect to, the scheme's default when absent. */
  readonly port: number;
}

const MAX_CACHED = 512;
const cache = new Map<string, Target>();

/**
 * Parses and checks a request URL.
 *
 * @param input The URL as given to `fetch`.
 * @returns The target (shared between calls with the same string).
 * @throws {TypeError} For an invalid URL or one with credentials;
 * {@linkcode FetchError} `INVALID_REQUEST` for a scheme other than http: or https:.
 */
export function parseTarget(input: string | URL): Target {
  const key = typeof input === "string" ? input : input.href;
  const cached = cache.get(key);
  if (cached !== undefined) return cached;
  const target = buildTarget(new URL(key));
  if (cache.size >= MAX_CACHED) cache.clear();
  cache.set(key, target);
  return target;
}

/**
 * Builds a target from a URL object (not cached: redirects use it).
 *
 * @param url The URL; it is kept, so the caller must not mutate it later.
 * @returns The target.
 * @throws {TypeError} As {@linkcode parseTarget}.
 */
export function buildTarget(url: URL): Target {
  const protocol = url.protocol;
  if (protocol !== "http:" && protocol !== "https:") {
    throw new FetchError(
      "INVALID_REQUEST",
      `fetch: unsupported URL scheme ${protocol} (only http: and https:)`,
    );
  }
  if (url.username !== "" || url.password !== "") {
    // The fetch standard refuses credentials in the URL.
    throw new TypeError("fetch: the URL must not include credentials");
  }
  const https = protocol === "https:";
  const host = url.host;
  const rawHostname = url.hostname;
  let href = url.href;
  const hash = href.indexOf("#");
  if (hash !== -1) href = href.slice(0, hash);
  return {
    url,
    href,
    originKey: protocol + host,
    host,
    path: (url.pathname || "/") + url.search,
    https,
    hostname: rawHostname.startsWith("[") ? rawHostname.slice(1, -1) : rawHostname,
    port: url.port !== "" ? Number(url.port) : https ? 443 : 80,
  };
}
