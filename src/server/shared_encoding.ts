/**
 * One UTF-8 encoding of a large text body, shared by every response that is
 * sending it at the same time. A handler answering `new Response(TEXT)` with
 * a string constant gives the same string to every request; encoding it per
 * response made each slow reader hold its own copy of the body until the
 * peer had taken it all (200 readers of a 4 MiB text: +850 MB on Deno,
 * `scripts/slow_readers.ts`). Shared, they hold views of one copy.
 *
 * An encoding lives as long as some response still holds it (a `WeakRef`),
 * so nothing is kept once the last reader is done. The bytes handed out must
 * never be written to; sockets only read them. This module is browser
 * compatible.
 *
 * @module
 */

const encoder = new TextEncoder();

/**
 * Encodings kept at once. Strings this long hash by their length alone in
 * V8, so a lookup may compare the text with every same-length entry: few
 * entries keep that bounded.
 */
const MAX_ENTRIES = 8;

const encodings = new Map<string, WeakRef<Uint8Array>>();

// Drops an entry once its encoding is collected, unless a newer encoding of
// the same text has replaced it since.
const registry = new FinalizationRegistry<string>((text) => {
  if (encodings.get(text)?.deref() === undefined) encodings.delete(text);
});

/**
 * Encodes `text` as UTF-8, or returns the encoding still held by a response
 * that is sending the same text.
 *
 * @param text A body's text (meant for large ones: a lookup may compare it in full).
 * @returns Its UTF-8 bytes, possibly shared: read them, never write them.
 *
 * @example Two responses of one large text share its bytes
 * ```ts
 * import assert from "node:assert/strict";
 * import { encodeShared } from "./shared_encoding.ts";
 * const text = "b".repeat(1 << 20);
 * const first = encodeShared(text);
 * assert.equal(first.byteLength, 1 << 20);
 * assert.equal(encodeShared(text), first);
 * ```
 */
export function encodeShared(text: string): Uint8Array {
  const held = encodings.get(text)?.deref();
  if (held !== undefined) return held;
  const bytes = encoder.encode(text);
  if (encodings.size >= MAX_ENTRIES) pruneCollected();
  if (encodings.size < MAX_ENTRIES) {
    encodings.set(text, new WeakRef(bytes));
    registry.register(bytes, text);
  }
  return bytes;
}

/** Removes entries whose encoding was collected but not yet finalized. */
function pruneCollected(): void {
  for (const [text, ref] of encodings) {
    if (ref.deref() === undefined) encodings.delete(text);
  }
}
