/**
 * Where the runtime's `Request` keeps its state, for the lazy request's fast
 * path (src/server/lazy_request.ts). undici 6 (Node 22) and Deno keep it
 * behind symbol-keyed properties: a stand-in object that forwards them is
 * taken by `new Request(r)` and `fetch(r)` as a real request. undici 7 and
 * later (Node 24, 26) keep it in private fields and Bun in a native object;
 * nothing outside can carry those, so there the answer is `undefined` and the
 * server builds a real `Request`.
 *
 * Only reflection on a fresh `Request` is used here, never a runtime global,
 * so the module loads anywhere.
 *
 * @module
 */

/** The symbol-keyed internals of the runtime's `Request`. */
export interface RequestSlots {
  /** Slots holding the request's state (own data properties and prototype accessors). */
  readonly state: readonly symbol[];
  /**
   * The slots a copy (`new Request(r)`, `fetch(r)`) reads the request's
   * `AbortSignal` from: undici 6's own `Symbol(signal)`; Deno's prototype
   * accessor `Symbol(signal)` and the own `Symbol(signalCache)` behind it.
   */
  readonly signal: readonly symbol[];
}

type Indexable = Record<PropertyKey, unknown>;

/**
 * Finds the symbol-keyed slots of the runtime's `Request`.
 *
 * The signal slots are found by value (they hold the same object the public
 * `signal` getter returns), not by name, so a renamed slot is still found
 * and a changed layout gives no slots rather than wrong ones.
 *
 * @returns The slots, or `undefined` when `Request` keeps no symbol-keyed state.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { findRequestSlots } from "./request_slots.ts";
 * const slots = findRequestSlots();
 * // Deno and Node 22: some slots, one of them the signal's; Node 24+ and Bun: none.
 * assert.ok(slots === undefined || slots.signal.length > 0);
 * ```
 */
export function findRequestSlots(): RequestSlots | undefined {
  const probe = new Request("http://localhost/") as unknown as Indexable;
  const signal = probe.signal; // also fills a slot the runtime creates on first read (Deno)
  // Well-known and registered symbols (toStringTag, inspect hooks) are not
  // state: they read the public members.
  const candidates = [
    ...Object.getOwnPropertySymbols(probe),
    ...Object.getOwnPropertySymbols(Request.prototype),
  ].filter((symbol) => Symbol.keyFor(symbol) === undefined && !isWellKnown(symbol));
  if (candidates.length === 0) return undefined;
  const state: symbol[] = [];
  const signalSlots: symbol[] = [];
  for (const symbol of candidates) {
    if (state.includes(symbol) || signalSlots.includes(symbol)) continue;
    let value: unknown;
    try {
      value = probe[symbol];
    } catch {
      value = undefined; // an accessor that refuses the probe: forwarded all the same
    }
    if (value === signal) signalSlots.push(symbol);
    else state.push(symbol);
  }
  if (signalSlots.length === 0) return undefined; // a layout we do not understand
  return { state, signal: signalSlots };
}

function isWellKnown(symbol: symbol): boolean {
  for (const name of Object.getOwnPropertyNames(Symbol)) {
    if ((Symbol as unknown as Indexable)[name] === symbol) return true;
  }
  return false;
}
