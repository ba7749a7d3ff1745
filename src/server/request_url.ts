/**
 * The URL of a request as `Request.url` gives it (the WHATWG URL
 * serialisation), built from the request target and `Host` without parsing
 * a URL per request: the origin is parsed once per distinct host on a
 * connection, and a target made only of characters the URL parser leaves
 * alone, with no dot segment, is appended as it is. Anything else goes
 * through the URL parser. This module is browser compatible.
 *
 * @module
 */

import type { RequestHead } from "../http1/types.ts";

const ABSOLUTE_FORM = /^https?:\/\//i;
// RFC 9110 section 7.2: uri-host [ ":" port ]; anything else could smuggle
// a different path or userinfo into the URL.
const HOST = /^(?:\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9\-._~%!$&'()*+,;=]+)(?::[0-9]*)?$/;

/**
 * Bytes a special URL's path and query keep as they are: unreserved,
 * sub-delims but `'` (encoded in a query), ":", "@", "/", "?" and "%" (a
 * percent sign stays, valid escape or not). `#`, quotes, `<>`, `\`, `^`,
 * backtick, `{}`, `|` and `[]` send the target to the parser.
 */
const PLAIN = new Uint8Array(128);
for (
  const char of "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-._~!$&()*+,;=:@/?%"
) {
  PLAIN[char.charCodeAt(0)] = 1;
}

/** Whether `target` (origin-form) serialises unchanged after the origin. */
function isPlainTarget(target: string): boolean {
  let inQuery = false;
  for (let i = 0; i < target.length; i++) {
    const code = target.charCodeAt(i);
    if (code >= 128 || PLAIN[code] === 0) return false;
    if (inQuery) continue;
    if (code === 0x3f /* ? */) inQuery = true;
    else if (code === 0x2e /* . */ && target.charCodeAt(i - 1) === 0x2f /* / */) {
      // A dot segment ("/." or "/..") is removed by the parser; "/.well-known" is
      // left to it too, rather than telling the two apart here.
      return false;
    } else if (code === 0x25 /* % */ && (target.charCodeAt(i + 1) === 0x32 /* 2 */)) {
      // "%2e" is a dot too.
      const next = target.charCodeAt(i + 2) | 0x20;
      if (next === 0x65 /* e */) return false;
    }
  }
  return true;
}

function parseHref(url: string): string | undefined {
  try {
    return new URL(url).href;
  } catch {
    return undefined;
  }
}

/**
 * An absolute-form target's URL; `undefined` when it does not parse or
 * carries userinfo, which RFC 9110 section 4.2.4 says to treat as an error
 * (and undici's `Request` refuses).
 */
function absoluteHref(target: string): string | undefined {
  let url: URL;
  try {
    url = new URL(target);
  } catch {
    return undefined;
  }
  return url.username === "" && url.password === "" ? url.href : undefined;
}

/**
 * Builds request URLs for one connection, remembering the last origin.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { RequestUrls } from "./request_url.ts";
 * const urls = new RequestUrls("http", "localhost");
 * const head = { target: "/a?b", headers: [["host", "Example.COM:80"]] };
 * assert.ok(urls.of(head as never) === "http://example.com/a?b");
 * ```
 */
export class RequestUrls {
  readonly #scheme: string;
  readonly #defaultHost: string;
  #host = "";
  #origin = "";

  /**
   * @param scheme `"http"` or `"https"`.
   * @param defaultHost The host used when a request has no `Host` (HTTP/1.0).
   */
  constructor(scheme: string, defaultHost: string) {
    this.#scheme = scheme;
    this.#defaultHost = defaultHost;
  }

  /**
   * The absolute URL of a request, serialised as `Request.url` would: the
   * target when it is in absolute-form (RFC 9112 section 3.2.2), else
   * scheme, `Host` and the target.
   *
   * @param head The request target and header fields (a `RequestHead` will do).
   * @returns The URL, or `undefined` when the target or `Host` makes no valid URL.
   */
  of(head: Pick<RequestHead, "target" | "headers">): string | undefined {
    const target = head.target;
    if (target.charCodeAt(0) !== 0x2f /* "/" */) {
      if (ABSOLUTE_FORM.test(target)) return absoluteHref(target);
      if (target !== "*") return undefined;
    }
    let host = this.#defaultHost;
    const fields = head.headers;
    for (let i = 0; i < fields.length; i++) {
      const field = fields[i]!;
      if (field[0] === "host") {
        if (field[1] !== "") host = field[1];
        break;
      }
    }
    const origin = this.#originOf(host);
    if (origin === undefined) return undefined;
    if (target === "*") return `${origin}/*`;
    return isPlainTarget(target) ? origin + target : parseHref(origin + target);
  }

  /** `scheme://host` as the URL parser serialises it (lower case, default port dropped ...). */
  #originOf(host: string): string | undefined {
    if (host === this.#host) return this.#origin;
    if (!HOST.test(host)) return undefined;
    const href = parseHref(`${this.#scheme}://${host}/`);
    if (href === undefined) return undefined;
    this.#host = host;
    this.#origin = href.slice(0, -1);
    return this.#origin;
  }
}
