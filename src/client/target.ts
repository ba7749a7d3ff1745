/**
 * A request URL broken into what the client needs, parsed once: the pool
 * key, the `Host` value, the request-target, the connect address. Parsing a
 * `URL` and reading its getters costs more than a keep-alive exchange on
 * some runtimes, so targets of string URLs are cached.
 *
 * Besides `http:` and `https:`, a URL may name a unix domain socket as its
 * host, percent-encoded: `http+unix://%2Frun%2Fapp.sock/path?query` (and
 * `https+unix:` for TLS over the socket), the form `serve()` reports in
 * `server.url` and requests-unixsocket and Docker clients use. Its `Host`
 * is `localhost`, as curl sends with `--unix-socket`.
 *
 * @module
 */

import { FetchError } from "./errors.ts";

/** A parsed http:, https:, http+unix: or https+unix: URL. Treat as immutable. */
export interface Target {
  /** The URL (never mutated). */
  readonly url: URL;
  /** The URL without its fragment, as `response.url` shows it. */
  readonly href: string;
  /**
   * The pool key and the origin for redirects: scheme and authority, e.g.
   * `http:127.0.0.1:8080`, or scheme and decoded socket path, e.g.
   * `http+unix:/run/app.sock`.
   */
  readonly originKey: string;
  /** The `Host` field value (RFC 9110 section 7.2): host, and port unless default. */
  readonly host: string;
  /** The origin-form request-target (RFC 9112 section 3.2.1): path and query. */
  readonly path: string;
  /** Whether the scheme is https: or https+unix:. */
  readonly https: boolean;
  /** The host to connect to, IPv6 without brackets (`localhost` for a unix socket URL). */
  readonly hostname: string;
  /** The port to connect to, the scheme's default when absent. */
  readonly port: number;
  /** The unix socket an `http+unix:` or `https+unix:` URL names (decoded), else `undefined`. */
  readonly socketPath: string | undefined;
}

/** The `Host` of a request over a unix socket, as curl `--unix-socket` sends. */
const UNIX_HOST = "localhost";

/**
 * Tells whether the client can request a URL with this scheme.
 *
 * @param protocol A URL's `protocol`, e.g. `"https:"`.
 * @returns Whether it is http:, https:, http+unix: or https+unix:.
 */
export function isSupportedScheme(protocol: string): boolean {
  return protocol === "http:" || protocol === "https:" || isUnixScheme(protocol);
}

function isUnixScheme(protocol: string): boolean {
  return protocol === "http+unix:" || protocol === "https+unix:";
}

const MAX_CACHED = 512;
const cache = new Map<string, Target>();

/**
 * Parses and checks a request URL.
 *
 * @param input The URL as given to `fetch`.
 * @returns The target (shared between calls with the same string).
 * @throws {TypeError} For an invalid URL or one with credentials;
 * {@linkcode FetchError} `INVALID_REQUEST` for an unsupported scheme, port 0
 * or an unusable unix socket URL.
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
  if (!isSupportedScheme(protocol)) {
    throw new FetchError(
      "INVALID_REQUEST",
      `fetch: unsupported URL scheme ${protocol} (use http:, https:, http+unix: or https+unix:)`,
    );
  }
  if (url.username !== "" || url.password !== "") {
    // The fetch standard refuses credentials in the URL.
    throw new TypeError("fetch: the URL must not include credentials");
  }
  const https = protocol === "https:" || protocol === "https+unix:";
  let href = url.href;
  const hash = href.indexOf("#");
  if (hash !== -1) href = href.slice(0, hash);
  const path = (url.pathname || "/") + url.search;
  const port = url.port !== "" ? Number(url.port) : https ? 443 : 80;
  if (isUnixScheme(protocol)) {
    const socketPath = unixSocketPath(url);
    return {
      url,
      href,
      originKey: protocol + socketPath,
      host: UNIX_HOST,
      path,
      https,
      hostname: UNIX_HOST,
      port,
      socketPath,
    };
  }
  if (port === 0) {
    // Nothing listens on port 0: Node and Bun try and are refused, Deno
    // refuses to try. Say so the same way everywhere.
    throw new FetchError(
      "INVALID_REQUEST",
      `fetch: ${JSON.stringify(url.href)} names port 0, which nothing can listen on`,
    );
  }
  const host = url.host;
  const rawHostname = url.hostname;
  return {
    url,
    href,
    originKey: protocol + host,
    host,
    path,
    https,
    hostname: rawHostname.startsWith("[") ? rawHostname.slice(1, -1) : rawHostname,
    port,
    socketPath: undefined,
  };
}

/** The socket path of a unix socket URL: its host, percent-decoded. */
function unixSocketPath(url: URL): string {
  const example = `${url.protocol}//%2Frun%2Fapp.sock/path`;
  if (url.port !== "") {
    throw new FetchError(
      "INVALID_REQUEST",
      `fetch: a ${url.protocol} URL names a socket, not a port; percent-encode ':' in the path (${example})`,
    );
  }
  let socketPath = "";
  try {
    socketPath = decodeURIComponent(url.hostname);
  } catch {
    // A broken %-escape: reported below like a missing path.
  }
  if (socketPath === "") {
    throw new FetchError(
      "INVALID_REQUEST",
      `fetch: ${
        JSON.stringify(url.href)
      } names no socket path (or breaks its %-escapes); put the percent-encoded path in the host (${example})`,
    );
  }
  return socketPath;
}
