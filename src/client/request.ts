/**
 * Normalises `fetch`'s arguments (string, `URL` or `Request`, plus
 * `RequestInit`) into one plain request description, without constructing a
 * `Request` object on the common path (that costs more than the exchange on
 * a loopback keep-alive connection).
 *
 * @module
 */

import { isToken } from "../http1/_bytes.ts";
import type { HeaderList } from "../http1/types.ts";
import { extractBody, readResponseBody, type RequestBody } from "./request_body.ts";
import { parseTarget, type Target } from "./target.ts";
import type { FetchInit, InformationalCallback } from "./types.ts";

/** How redirects are handled (the fetch standard's `RequestRedirect`). */
export type RedirectMode = "follow" | "manual" | "error";

/** A request ready for the exchange. */
export interface PreparedRequest {
  /** The target URL (http: or https:), parsed. */
  target: Target;
  /** The method, with the standard ones upper-cased as `fetch` does. */
  method: string;
  /** The caller's header fields, names lower-cased, in order. */
  headers: HeaderList;
  /** The body, or `null`. */
  body: RequestBody | null;
  /** The redirect mode. */
  redirect: RedirectMode;
  /** Aborts the request at any stage. */
  signal: AbortSignal | undefined;
  /** The interim-response hook. */
  onInformational: InformationalCallback | undefined;
  /** Whether content codings are undone (`init.decompress`, default `true`). */
  decompress: boolean;
  /** Whether `Accept`, `Accept-Encoding` and `User-Agent` get defaults (`init.defaultHeaders`). */
  defaultHeaders: boolean;
}

// Methods fetch normalises to upper case (fetch standard, "normalize a
// method"); PATCH is not among them, so "patch" is sent as given, as fetch does.
const NORMALIZED_METHODS: Record<string, string> = {
  delete: "DELETE",
  get: "GET",
  head: "HEAD",
  options: "OPTIONS",
  post: "POST",
  put: "PUT",
};

/**
 * Builds a {@linkcode PreparedRequest} from `fetch`'s arguments.
 *
 * @param input A URL string, `URL` or `Request`.
 * @param init Options; any field given overrides the `Request`'s.
 * @returns The request, synchronously unless a body must be read first.
 * @throws {TypeError} For an invalid URL, method, header or body, as `fetch` does.
 */
export function prepareRequest(
  input: string | URL | Request,
  init: FetchInit | undefined,
): PreparedRequest | Promise<PreparedRequest> {
  let target: Target;
  let method = "GET";
  let headers: HeaderList;
  let redirect: RedirectMode = "follow";
  let signal: AbortSignal | undefined;
  let request: Request | undefined;
  if (input instanceof Request) {
    request = input;
    target = parseTarget(input.url);
    method = input.method;
    redirect = input.redirect;
    signal = input.signal;
  } else {
    target = parseTarget(input);
  }
  if (init?.method !== undefined) method = normalizeMethod(init.method);
  if (init?.redirect !== undefined) redirect = checkRedirect(init.redirect);
  if (init?.signal !== undefined) signal = init.signal ?? undefined;
  if (init?.headers !== undefined) headers = headerList(init.headers);
  else if (request !== undefined) headers = headerList(request.headers);
  else headers = [];
  const onInformational = init?.onInformational;

  const base = {
    target,
    method,
    headers,
    redirect,
    signal,
    onInformational,
    decompress: init?.decompress !== false,
    defaultHeaders: init?.defaultHeaders !== false,
  };
  const bodyInit = init?.body;
  if (bodyInit !== undefined && bodyInit !== null) {
    refuseBodyFor(method);
    const body = extractBody(bodyInit);
    if (body instanceof Promise) {
      return body.then((body) => withBody(base, body, headers));
    }
    return withBody(base, body, headers);
  }
  if (bodyInit === undefined && request !== undefined && request.body !== null) {
    refuseBodyFor(method);
    return readResponseBody(request).then((body) => withBody(base, body, headers));
  }
  return { ...base, body: null };
}

function withBody(
  base: Omit<PreparedRequest, "body">,
  body: RequestBody,
  headers: HeaderList,
): PreparedRequest {
  if (body.contentType !== null && !hasHeader(headers, "content-type")) {
    headers.push(["content-type", body.contentType]);
  }
  if (body.kind === "stream") {
    // The one length the client cannot know itself; a proxy relays it.
    const declared = headerValue(headers, "content-length");
    if (declared !== undefined && /^\d{1,15}$/.test(declared)) {
      return { ...base, body: { ...body, length: Number(declared) } };
    }
  }
  return { ...base, body };
}

function refuseBodyFor(method: string): void {
  if (method === "GET" || method === "HEAD") {
    throw new TypeError(`fetch: a ${method} request cannot have a body`);
  }
}

function normalizeMethod(method: string): string {
  const normalized = NORMALIZED_METHODS[method.toLowerCase()];
  if (normalized !== undefined) return normalized;
  if (!isToken(method)) {
    throw new TypeError(`fetch: invalid method ${JSON.stringify(method)}`);
  }
  const upper = method.toUpperCase();
  if (upper === "CONNECT" || upper === "TRACE" || upper === "TRACK") {
    throw new TypeError(`fetch: the ${upper} method is forbidden`);
  }
  return method;
}

function checkRedirect(mode: string): RedirectMode {
  if (mode === "follow" || mode === "manual" || mode === "error") return mode;
  throw new TypeError(`fetch: invalid redirect mode ${JSON.stringify(mode)}`);
}

/**
 * Converts any `HeadersInit` to ordered pairs with lower-cased names.
 *
 * Names and values are validated later by the serialiser, which refuses CR,
 * LF and NUL (no request splitting); values are trimmed as `Headers` does.
 *
 * @param init The caller's headers.
 * @returns The pairs.
 */
export function headerList(init: HeadersInit): HeaderList {
  const list: HeaderList = [];
  if (init instanceof Headers) {
    for (const [name, value] of init) list.push([name, value]);
    return list;
  }
  if (Array.isArray(init)) {
    for (const pair of init) {
      if (pair.length !== 2) {
        throw new TypeError("fetch: each header pair must have two items");
      }
      list.push([String(pair[0]).toLowerCase(), trimValue(String(pair[1]))]);
    }
    return list;
  }
  for (const name of Object.keys(init)) {
    const value = (init as Record<string, string>)[name];
    list.push([name.toLowerCase(), trimValue(String(value))]);
  }
  return list;
}

// Headers strips leading and trailing HTTP whitespace (fetch standard, "normalize").
function trimValue(value: string): string {
  return value.replace(/^[\t\n\r ]+|[\t\n\r ]+$/g, "");
}

/**
 * Tells whether a header list has a field.
 *
 * @param headers The pairs (names lower-cased).
 * @param name The lower-case name.
 * @returns Whether it is present.
 */
export function hasHeader(headers: HeaderList, name: string): boolean {
  for (let i = 0; i < headers.length; i++) {
    if (headers[i]![0] === name) return true;
  }
  return false;
}

/**
 * Reads the first value of a field.
 *
 * @param headers The pairs (names lower-cased).
 * @param name The lower-case name.
 * @returns The value, or `undefined`.
 */
export function headerValue(
  headers: ReadonlyArray<readonly [string, string]>,
  name: string,
): string | undefined {
  for (let i = 0; i < headers.length; i++) {
    if (headers[i]![0] === name) return headers[i]![1];
  }
  return undefined;
}
