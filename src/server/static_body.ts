/**
 * Reads a response body that was given as a string or bytes without going
 * through its `ReadableStream`, where the runtime keeps the original value
 * beside the stream: undici (Node) in the response's `Symbol(state)`
 * `body.source`, Deno in `Symbol(lazy static body)`. Building and reading
 * the stream is the costliest step of a small response on those runtimes
 * (5 to 10 µs); their own servers take the same shortcut. Anything
 * unexpected (another runtime, another version, a body already used or
 * locked) yields `undefined`, and the caller reads the stream as usual.
 * This module is browser compatible.
 *
 * @module
 */

import { utf8Length } from "../http1/serialize.ts";

const symbolCache = new Map<string, symbol>();
// Descriptions known to be absent, per prototype: on Node every response
// would otherwise be scanned for Deno's symbol, and on Bun for both.
const missCache = new WeakMap<object, Set<string>>();

function findSymbol(object: object, description: string): symbol | undefined {
  const cached = symbolCache.get(description);
  if (cached !== undefined && cached in object) return cached;
  const prototype = Object.getPrototypeOf(object) as object | null;
  const misses = prototype === null ? undefined : missCache.get(prototype);
  if (misses !== undefined && misses.has(description)) return undefined;
  for (const symbol of Object.getOwnPropertySymbols(object)) {
    if (symbol.description === description) {
      symbolCache.set(description, symbol);
      return symbol;
    }
  }
  if (prototype !== null) {
    if (misses === undefined) missCache.set(prototype, new Set([description]));
    else misses.add(description);
  }
  return undefined;
}

/**
 * Returns what a response's body was created from, a string or a
 * `Uint8Array`, without touching its stream; `undefined` when unknown. A
 * string stays a string, so that the caller can encode it together with the
 * head.
 *
 * @param response A response with a non-null body, not yet read.
 * @returns The body's string or bytes, or `undefined` to read the stream instead.
 *
 * @example A string body stays a string
 * ```ts
 * import assert from "node:assert/strict";
 * import { staticBodySource } from "./static_body.ts";
 * const source = staticBodySource(new Response("hint"));
 * assert.ok(source === undefined || source === "hint");
 * ```
 */
export function staticBodySource(response: Response): string | Uint8Array | undefined {
  // Deno: the string or bytes the Response was made from, until consumed.
  const lazy = findSymbol(response, "lazy static body");
  if (lazy !== undefined) {
    const consumed = findSymbol(response, "serve fast consumed");
    const value = (response as unknown as Record<symbol, unknown>)[lazy];
    if (
      consumed !== undefined && (response as unknown as Record<symbol, unknown>)[consumed] !== false
    ) {
      return undefined;
    }
    if (response.bodyUsed) return undefined;
    return sourceOf(value);
  }
  // undici: state.body = { stream, source, length }.
  const stateSymbol = findSymbol(response, "state");
  if (stateSymbol === undefined) return undefined;
  const state = (response as unknown as Record<symbol, unknown>)[stateSymbol] as
    | { body?: { stream?: ReadableStream; source?: unknown; length?: unknown } | null }
    | undefined;
  const body = state?.body;
  if (body === undefined || body === null || response.bodyUsed) return undefined;
  if (body.stream !== undefined && body.stream.locked) return undefined;
  const source = sourceOf(body.source);
  if (source === undefined) return undefined;
  // undici's length is the UTF-8 size; a mismatch means something unexpected.
  const size = typeof source === "string" ? utf8Length(source) : source.byteLength;
  if (body.length !== size) return undefined;
  return source;
}

function sourceOf(value: unknown): string | Uint8Array | undefined {
  if (typeof value === "string" || value instanceof Uint8Array) return value;
  return undefined;
}
