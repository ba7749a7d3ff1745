/**
 * Reads a response body that was given as a string or bytes without going
 * through its `ReadableStream`, where the runtime keeps the original value
 * beside the stream: Deno in `Symbol(lazy static body)` (strings only, until
 * the stream is touched), undici 6 (Node 22) in the response's
 * `Symbol(state)` `body.source`. Building and reading the stream is the
 * costliest step of a small response on those runtimes (5 to 10 µs); their
 * own servers take the same shortcut.
 *
 * Which of the two the runtime has is probed once
 * ({@linkcode responseBodySourceKind}): the slot must exist on a fresh
 * `Response`, give back exactly what it was made from, and give nothing
 * once the stream is in use. Elsewhere (undici 7 on Node 24 and 26 keeps
 * private fields, Bun a native object), or for anything unexpected on a
 * given response, the answer is `undefined` and the caller reads the stream
 * as usual. Only reflection on `Response` objects is used, never a runtime
 * global, so this module is browser compatible.
 *
 * @module
 */

/** Where this runtime keeps a response's original body, if anywhere we can read. */
export type ResponseBodySourceKind = "deno-lazy-static-body" | "undici-state" | "none";

type Indexable = Record<PropertyKey, unknown>;

/** The slots found by the probe. */
interface Slots {
  readonly kind: ResponseBodySourceKind;
  /** Deno: the lazy static body; undici: the state holding `body`. */
  readonly source?: symbol;
  /** Deno: `false` while the fast path has not consumed the body. */
  readonly consumed?: symbol;
  /** Deno: the string kept for `Deno.serve` also when init headers were given (`c.json`). */
  readonly fastBody?: symbol;
  /** Deno: the inner response, whose body says whether a stream was made. */
  readonly inner?: symbol;
}

const NONE: Slots = { kind: "none" };

/** A body whose UTF-8 size (10 bytes) differs from its length in code units (8). */
const PROBE_TEXT = "probe \u00e9\u00e9";
const PROBE_BYTES = 10;

let probed: Slots | undefined;
let allowed = true;

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
 * import { staticBodySource } from "./response_body_source.ts";
 * const source = staticBodySource(new Response("hint"));
 * assert.ok(source === undefined || source === "hint");
 * ```
 */
export function staticBodySource(response: Response): string | Uint8Array | undefined {
  if (!allowed) return undefined;
  return readSource(response, probed ??= probe());
}

/**
 * Which slot {@linkcode staticBodySource} reads on this runtime (probed once).
 *
 * @returns `"deno-lazy-static-body"` on Deno, `"undici-state"` on Node 22,
 * `"none"` on Node 24 and 26, Bun, or wherever the probe found the slot
 * missing or misbehaving.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { responseBodySourceKind } from "./response_body_source.ts";
 * assert.ok(["deno-lazy-static-body", "undici-state", "none"].includes(responseBodySourceKind()));
 * ```
 */
export function responseBodySourceKind(): ResponseBodySourceKind {
  return (probed ??= probe()).kind;
}

/**
 * Turns the fast path off (`false`) or back on (`true`, the default), so
 * tests run the fallback, reading the stream, on runtimes that have it.
 * Not exported from the package.
 *
 * @param allow Whether {@linkcode staticBodySource} may read the runtime's slot.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { allowStaticBodySource, staticBodySource } from "./response_body_source.ts";
 * allowStaticBodySource(false);
 * assert.equal(staticBodySource(new Response("x")), undefined);
 * allowStaticBodySource(true);
 * ```
 */
export function allowStaticBodySource(allow: boolean): void {
  allowed = allow;
}

function readSource(response: Response, slots: Slots): string | Uint8Array | undefined {
  const object = response as unknown as Indexable;
  if (slots.kind === "deno-lazy-static-body") {
    // Read before `bodyUsed`: Deno's getter builds the stream, which
    // empties the slot.
    let value = object[slots.source as symbol];
    const consumed = slots.consumed;
    if (consumed !== undefined && object[consumed] !== false) return undefined;
    if (value === null && slots.fastBody !== undefined) {
      // A Response made with init headers keeps no lazy static body, but
      // the string Deno.serve would send, while no stream was made of it.
      if (!staticInnerBody(object[slots.inner as symbol])) return undefined;
      value = object[slots.fastBody];
      if (typeof value !== "string") return undefined;
    }
    if (response.bodyUsed) return undefined;
    return sourceOf(value);
  }
  if (slots.kind === "undici-state") {
    // undici: state.body = { stream, source, length }.
    const state = object[slots.source as symbol] as
      | { body?: { stream?: ReadableStream; source?: unknown; length?: unknown } | null }
      | undefined;
    const body = state?.body;
    if (body === undefined || body === null || response.bodyUsed) return undefined;
    if (body.stream !== undefined && body.stream.locked) return undefined;
    const source = sourceOf(body.source);
    if (source === undefined) return undefined;
    // undici's length is the UTF-8 size (the probe checked that once); a
    // length that cannot be it means something unexpected.
    const fits = typeof source === "string"
      ? typeof body.length === "number" && body.length >= source.length
      : body.length === source.byteLength;
    return fits ? source : undefined;
  }
  return undefined;
}

/**
 * Finds the runtime's slot and checks it: a fresh string response gives its
 * string back, and a response whose stream is in use gives nothing.
 */
function probe(): Slots {
  try {
    for (const candidate of candidates()) {
      const fresh = new Response(PROBE_TEXT);
      if (readSource(fresh, candidate) !== PROBE_TEXT) continue;
      if (candidate.kind === "undici-state" && undiciLength(fresh, candidate) !== PROBE_BYTES) {
        continue;
      }
      const bytes = new Uint8Array([1, 2, 3]);
      const fromBytes = readSource(new Response(bytes), candidate);
      // Deno keeps only strings; undici keeps the bytes (a copy).
      if (fromBytes !== undefined && !sameBytes(fromBytes, bytes)) continue;
      const locked = new Response(PROBE_TEXT);
      locked.body?.getReader();
      if (readSource(locked, candidate) !== undefined) continue;
      if (candidate.fastBody !== undefined) {
        // With init headers: the string while untouched, nothing once a stream exists.
        const init = { headers: { "content-type": "application/json" } };
        if (readSource(new Response(PROBE_TEXT, init), candidate) !== PROBE_TEXT) continue;
        const streamed = new Response(PROBE_TEXT, init);
        void streamed.body;
        if (readSource(streamed, candidate) !== undefined) continue;
      }
      return candidate;
    }
  } catch {
    // A slot that throws when read is one we do not understand.
  }
  return NONE;
}

/** The layouts this runtime's `Response` may have, from its symbol-keyed properties. */
function candidates(): Slots[] {
  const symbols = Object.getOwnPropertySymbols(new Response("probe"));
  const named = (description: string) => symbols.find((s) => s.description === description);
  const found: Slots[] = [];
  const lazy = named("lazy static body");
  if (lazy !== undefined) {
    const consumed = named("serve fast consumed");
    const fastBody = named("serve fast body");
    const inner = named("response");
    const withFastBody = consumed !== undefined && fastBody !== undefined && inner !== undefined;
    // With the fast body first: the probe rejects it where it misbehaves.
    if (withFastBody) {
      found.push({ kind: "deno-lazy-static-body", source: lazy, consumed, fastBody, inner });
    }
    found.push(
      consumed === undefined
        ? { kind: "deno-lazy-static-body", source: lazy }
        : { kind: "deno-lazy-static-body", source: lazy, consumed },
    );
  }
  const state = named("state");
  if (state !== undefined) found.push({ kind: "undici-state", source: state });
  return found;
}

/** Whether Deno's inner response body is still its static value, not a stream. */
function staticInnerBody(inner: unknown): boolean {
  const body = (inner as { body?: { streamOrStatic?: unknown } | null } | undefined)?.body;
  const value = body?.streamOrStatic as { consumed?: unknown } | undefined;
  return typeof value === "object" && value !== null && !(value instanceof ReadableStream) &&
    value.consumed === false;
}

function undiciLength(response: Response, slots: Slots): unknown {
  const state = (response as unknown as Indexable)[slots.source as symbol] as
    | { body?: { length?: unknown } | null }
    | undefined;
  return state?.body?.length;
}

function sameBytes(source: string | Uint8Array, expected: Uint8Array): boolean {
  return typeof source !== "string" && source.byteLength === expected.byteLength &&
    source.every((byte, i) => byte === expected[i]);
}

function sourceOf(value: unknown): string | Uint8Array | undefined {
  if (typeof value === "string" || value instanceof Uint8Array) return value;
  return undefined;
}
