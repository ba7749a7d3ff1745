/**
 * The messages the engine benchmarks measure, kept once so that
 * `scripts/bench_parse.ts` and `scripts/bench/engine_driver.ts` time the
 * same bytes.
 *
 * @module
 */

import type { HeaderList } from "../../src/http1/types.ts";

/** A browser's GET as Chrome sends it (520 bytes). */
const BROWSER_GET = "GET /assets/app.js?v=3 HTTP/1.1\r\n" +
  "Host: www.example.com\r\n" +
  "User-Agent: Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) " +
  "Chrome/126.0.0.0 Safari/537.36\r\n" +
  "Accept: text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,*/*;q=0.8\r\n" +
  "Accept-Language: en-US,en;q=0.9\r\n" +
  "Accept-Encoding: gzip, deflate, br, zstd\r\n" +
  "Referer: https://www.example.com/\r\n" +
  "Connection: keep-alive\r\n" +
  "Cookie: session=3f2a9c1e7b; theme=dark\r\n" +
  "Sec-Fetch-Dest: script\r\n" +
  "Sec-Fetch-Mode: no-cors\r\n" +
  "Sec-Fetch-Site: same-origin\r\n" +
  "\r\n";

const BODY = "<!doctype html><title>hi</title><p>hello</p>\n";

/** The final response's body length in bytes. */
export const BODY_LENGTH: number = BODY.length;

/** The interim response's fields: two preload links. */
export const HINT_FIELDS: HeaderList = [
  ["Link", "</style.css>; rel=preload; as=style"],
  ["Link", "</app.js>; rel=preload; as=script"],
];

/** The final response's fields. */
export const FINAL_FIELDS: HeaderList = [
  ["Content-Type", "text/html; charset=utf-8"],
  ["Content-Length", String(BODY.length)],
  ["Date", "Mon, 23 Nov 2026 20:00:00 GMT"],
  ["Cache-Control", "no-store"],
];

function head(startLine: string, fields: HeaderList): string {
  return startLine + "\r\n" + fields.map(([name, value]) => `${name}: ${value}\r\n`).join("") +
    "\r\n";
}

const encoder = new TextEncoder();

/** The browser GET, encoded. */
export const REQUEST_BYTES: Uint8Array = encoder.encode(BROWSER_GET);

/** A `103` with the two links, then a small `200` (298 bytes), encoded. */
export const RESPONSE_BYTES: Uint8Array = encoder.encode(
  head("HTTP/1.1 103 Early Hints", HINT_FIELDS) + head("HTTP/1.1 200 OK", FINAL_FIELDS) + BODY,
);
