/**
 * Built-in hint policies for `serve()`'s `hintPolicy` option: which requests
 * may receive interim responses (other than `100 Continue`). Some clients
 * and proxies take a `103` for the final response (docs/compatibility.md has
 * the measurements); a policy keeps hints away from them. Every policy here
 * reads only the request's header fields, never its body. This module is
 * browser compatible.
 *
 * @example Hints for browser navigations, never for Python's clients
 * ```ts
 * import assert from "node:assert/strict";
 * import { allOf, exceptKnownMishandlers, navigationsOnly, sendInformational, serve } from "@interim/http/server";
 * import { fetch } from "@interim/http/client";
 *
 * const results: unknown[] = [];
 * const server = await serve((request) => {
 *   results.push(sendInformational(request, 103, { link: "</app.css>; rel=preload; as=style" }));
 *   return new Response("<!doctype html>", { headers: { "content-type": "text/html" } });
 * }, {
 *   hostname: "127.0.0.1",
 *   port: 0,
 *   hintPolicy: allOf(navigationsOnly, exceptKnownMishandlers),
 * });
 * try {
 *   const page = await fetch(server.url, { headers: { "sec-fetch-mode": "navigate" } });
 *   assert.equal(page.informational[0]?.status, 103);
 *   await page.text();
 *   const api = await fetch(server.url, { headers: { "sec-fetch-mode": "cors" } });
 *   assert.equal(api.informational.length, 0);
 *   await api.text();
 *   assert.deepEqual(results, [{ sent: true }, { sent: false, reason: "policy" }]);
 * } finally {
 *   await server.shutdown();
 * }
 * ```
 *
 * @module
 */

import { isValidHeaderName } from "../http1/validate.ts";
import { requestHeader } from "./request_factory.ts";
import type { HintPolicy } from "./types.ts";

/**
 * Allows hints only to a browser navigation: a request whose
 * `Sec-Fetch-Mode` is `navigate`, or, from a client that sends no
 * `Sec-Fetch-Mode` (browsers send it only to `https:` and localhost
 * origins), one whose `Accept` lists `text/html` with a non-zero `q`.
 *
 * Why: browsers act on a `103` only for the page itself (Chromium only on the
 * first 103 of a navigation), so hints to `fetch()` calls, images or API
 * clients cost bytes and reach the clients most likely to mishandle them.
 * An `Accept` that only takes any media type (curl's default) is not a
 * navigation: a client that asks for anything has not asked for a page.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { navigationsOnly } from "@interim/http/server";
 *
 * const request = (headers: Record<string, string>) => new Request("http://localhost/", { headers });
 * assert.equal(navigationsOnly(request({ "sec-fetch-mode": "navigate" })), true);
 * assert.equal(navigationsOnly(request({ "sec-fetch-mode": "cors", accept: "text/html" })), false);
 * assert.equal(navigationsOnly(request({ accept: "text/html,application/xhtml+xml,*\/*;q=0.8" })), true);
 * assert.equal(navigationsOnly(request({ accept: "text/html;q=0, application/json" })), false);
 * assert.equal(navigationsOnly(request({ accept: "*\/*" })), false);
 * assert.equal(navigationsOnly(request({})), false);
 * ```
 */
export const navigationsOnly: HintPolicy = (request: Request): boolean => {
  const mode = requestHeader(request, "sec-fetch-mode");
  if (mode !== null) return mode.trim().toLowerCase() === "navigate";
  return acceptsHtml(requestHeader(request, "accept"));
};

/**
 * Withholds hints from the clients measured to take a `103` for the final
 * response: Python's `http.client` and what is built on it (`requests`,
 * `urllib3`, `urllib.request`). Matched by `User-Agent`: none at all (what
 * `http.client` sends by default), or one starting with `python-requests/`,
 * `python-urllib3/` or `Python-urllib/` (case ignored). Everything else gets
 * hints.
 *
 * The rule errs towards silence: a missing `User-Agent` also covers scripts
 * and probes that are not Python (and `node:http`'s client, which handles
 * 1xx well); no browser omits it, so pages lose nothing. It cannot catch a
 * Python client that sends another `User-Agent`, nor a proxy in front of the
 * server (see {@linkcode unlessHeader} for those). Other Python clients
 * (`python-httpx/`, `aiohttp`) are not matched: they were not measured here.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { exceptKnownMishandlers } from "@interim/http/server";
 *
 * const withAgent = (agent?: string) =>
 *   new Request("http://localhost/", { headers: agent === undefined ? {} : { "user-agent": agent } });
 * assert.equal(exceptKnownMishandlers(withAgent()), false); // http.client
 * assert.equal(exceptKnownMishandlers(withAgent("python-requests/2.34.2")), false);
 * assert.equal(exceptKnownMishandlers(withAgent("python-urllib3/2.7.0")), false);
 * assert.equal(exceptKnownMishandlers(withAgent("Python-urllib/3.11")), false);
 * assert.equal(exceptKnownMishandlers(withAgent("curl/7.88.1")), true);
 * assert.equal(exceptKnownMishandlers(withAgent("Mozilla/5.0 (X11; Linux x86_64)")), true);
 * ```
 */
export const exceptKnownMishandlers: HintPolicy = (request: Request): boolean => {
  const agent = requestHeader(request, "user-agent")?.trim().toLowerCase() ?? "";
  if (agent === "") return false;
  return !MISHANDLING_AGENT_PREFIXES.some((prefix) => agent.startsWith(prefix));
};

/**
 * Allows hints only to clients known to handle interim responses: a browser
 * (any `Sec-Fetch-Mode`, `Sec-Fetch-Site` or `Sec-Fetch-Dest` field, or a
 * `User-Agent` whose first product is `Mozilla`, as every browser's is,
 * since browsers send `Sec-Fetch-*` only to `https:` and localhost), or a
 * `User-Agent` whose first product is `curl`, `Go-http-client`, `interim`
 * (this package's client), `node` (Node's `fetch`), `undici`, `Deno` or `Bun`
 * (their `fetch` skips 1xx), case ignored. Everything else, including a
 * request with no `User-Agent`, gets no hints.
 *
 * The strict choice, for a server whose clients are unknown: it trusts the
 * name a client gives itself, so a script that copies a browser's
 * `User-Agent` is trusted too, and a proxy in front of the server is not
 * seen at all (see {@linkcode unlessHeader}).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { onlyKnownHandlers } from "@interim/http/server";
 *
 * const request = (headers: Record<string, string>) => new Request("http://localhost/", { headers });
 * assert.equal(onlyKnownHandlers(request({ "sec-fetch-dest": "document" })), true);
 * assert.equal(onlyKnownHandlers(request({ "user-agent": "curl/7.88.1" })), true);
 * assert.equal(onlyKnownHandlers(request({ "user-agent": "Go-http-client/1.1" })), true);
 * assert.equal(onlyKnownHandlers(request({ "user-agent": "interim" })), true);
 * assert.equal(onlyKnownHandlers(request({ "user-agent": "python-requests/2.34.2" })), false);
 * assert.equal(onlyKnownHandlers(request({ "user-agent": "Wget/1.21.3" })), false);
 * assert.equal(onlyKnownHandlers(request({})), false);
 * ```
 */
export const onlyKnownHandlers: HintPolicy = (request: Request): boolean => {
  if (FETCH_METADATA.some((name) => requestHeader(request, name) !== null)) return true;
  const agent = requestHeader(request, "user-agent");
  if (agent === null) return false;
  const product = /^\s*([^\s/]+)/.exec(agent)?.[1]?.toLowerCase();
  return product !== undefined && HANDLING_PRODUCTS.has(product);
};

/**
 * A policy that withholds hints from any request carrying the field `name`,
 * whatever its value. For a proxy that mishandles interim responses but sits
 * in front of some requests only: configure it to add a field (nginx:
 * `proxy_set_header X-Behind-Nginx 1;`) and pass that name. nginx adds no
 * `Via`, so nothing else tells its requests apart.
 *
 * @param name The field name (a token; case ignored).
 * @returns The policy.
 * @throws {TypeError} When `name` is not a valid field name.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { unlessHeader } from "@interim/http/server";
 *
 * const policy = unlessHeader("X-Behind-Nginx");
 * assert.equal(policy(new Request("http://localhost/", { headers: { "x-behind-nginx": "1" } })), false);
 * assert.equal(policy(new Request("http://localhost/")), true);
 * assert.throws(() => unlessHeader("bad name"), TypeError);
 * ```
 */
export function unlessHeader(name: string): HintPolicy {
  if (typeof name !== "string" || !isValidHeaderName(name)) {
    throw new TypeError(`unlessHeader: ${JSON.stringify(name)} is not a valid header field name`);
  }
  const field = name.toLowerCase();
  return (request) => requestHeader(request, field) === null;
}

/**
 * A policy that allows hints when every one of `policies` does. They are
 * asked in order and the first `false` ends it, so put the cheapest first; a
 * throw propagates.
 *
 * @param policies At least one policy.
 * @returns The combined policy.
 * @throws {TypeError} When no policy is given or one is not a function.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { allOf, exceptKnownMishandlers, navigationsOnly } from "@interim/http/server";
 *
 * const policy = allOf(navigationsOnly, exceptKnownMishandlers);
 * const page = { accept: "text/html", "user-agent": "Mozilla/5.0" };
 * assert.equal(policy(new Request("http://localhost/", { headers: page })), true);
 * const script = { accept: "text/html", "user-agent": "python-requests/2.34.2" };
 * assert.equal(policy(new Request("http://localhost/", { headers: script })), false);
 * ```
 */
export function allOf(...policies: HintPolicy[]): HintPolicy {
  checkPolicies("allOf", policies);
  return (request) => policies.every((policy) => policy(request) === true);
}

/**
 * A policy that allows hints when any one of `policies` does. They are
 * asked in order and the first `true` ends it; a throw propagates.
 *
 * @param policies At least one policy.
 * @returns The combined policy.
 * @throws {TypeError} When no policy is given or one is not a function.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { anyOf, navigationsOnly } from "@interim/http/server";
 *
 * const fromMonitor = (request: Request) => request.headers.get("user-agent") === "monitor";
 * const policy = anyOf(navigationsOnly, fromMonitor);
 * const monitor = { "user-agent": "monitor" };
 * assert.equal(policy(new Request("http://localhost/", { headers: monitor })), true);
 * assert.equal(policy(new Request("http://localhost/")), false);
 * ```
 */
export function anyOf(...policies: HintPolicy[]): HintPolicy {
  checkPolicies("anyOf", policies);
  return (request) => policies.some((policy) => policy(request) === true);
}

/** `User-Agent` prefixes (lower case) of the clients measured to take a 103 as final. */
const MISHANDLING_AGENT_PREFIXES: readonly string[] = [
  "python-requests/",
  "python-urllib3/",
  "python-urllib/",
];

/** Fetch Metadata fields (only browsers send them). */
const FETCH_METADATA: readonly string[] = ["sec-fetch-mode", "sec-fetch-site", "sec-fetch-dest"];

/** First `User-Agent` products (lower case) of clients known to handle or skip 1xx. */
const HANDLING_PRODUCTS: ReadonlySet<string> = new Set([
  "mozilla",
  "curl",
  "go-http-client",
  "interim",
  "node",
  "undici",
  "deno",
  "bun",
]);

/** Whether an `Accept` value lists `text/html` with a `q` other than 0. */
function acceptsHtml(accept: string | null): boolean {
  if (accept === null) return false;
  for (const range of accept.split(",")) {
    const [type = "", ...parameters] = range.split(";");
    if (type.trim().toLowerCase() !== "text/html") continue;
    const weight = parameters
      .map((parameter) => parameter.trim().toLowerCase())
      .find((parameter) => parameter.startsWith("q="));
    if (weight === undefined || Number(weight.slice(2)) !== 0) return true;
  }
  return false;
}

/** Throws unless `policies` is a non-empty list of functions. */
function checkPolicies(caller: string, policies: readonly unknown[]): void {
  if (policies.length === 0) throw new TypeError(`${caller}: give at least one policy`);
  for (const policy of policies) {
    if (typeof policy !== "function") {
      throw new TypeError(`${caller}: every policy must be a function (request) => boolean`);
    }
  }
}
