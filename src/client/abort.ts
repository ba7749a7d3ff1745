/**
 * Abort subscriptions that share one listener per signal.
 *
 * Callers often pass one signal (say `AbortSignal.timeout(30_000)`) to many
 * concurrent requests; one `abort` listener per request would trip Node's
 * "possible EventTarget memory leak" warning past ten. Here each signal gets
 * a single listener that calls every subscriber, and loses it when the last
 * one unsubscribes.
 *
 * @module
 */

interface Subscription {
  readonly callbacks: Set<() => void>;
  readonly listener: () => void;
}

const subscriptions = new WeakMap<AbortSignal, Subscription>();

/**
 * Calls `callback` once when `signal` aborts.
 *
 * @param signal The signal to watch (not yet aborted).
 * @param callback Called on abort; read the reason from `signal.reason`.
 * @returns Unsubscribes; safe to call more than once.
 *
 * @example Watching a signal for the length of an operation
 * ```ts
 * import assert from "node:assert/strict";
 * import { onAbort } from "./abort.ts";
 * const controller = new AbortController();
 * let aborted = false;
 * const stop = onAbort(controller.signal, () => aborted = true);
 * controller.abort();
 * stop();
 * assert.ok(aborted);
 * ```
 */
export function onAbort(signal: AbortSignal, callback: () => void): () => void {
  let subscription = subscriptions.get(signal);
  if (subscription === undefined) {
    const callbacks = new Set<() => void>();
    const listener = () => {
      subscriptions.delete(signal);
      const pending = [...callbacks];
      callbacks.clear();
      for (const pendingCallback of pending) pendingCallback();
    };
    subscription = { callbacks, listener };
    subscriptions.set(signal, subscription);
    signal.addEventListener("abort", listener, { once: true });
  }
  const owner = subscription;
  // A fresh function per subscription: the same callback may subscribe twice.
  const entry = () => callback();
  owner.callbacks.add(entry);
  return () => {
    if (!owner.callbacks.delete(entry) || owner.callbacks.size > 0) return;
    if (subscriptions.get(signal) === owner) subscriptions.delete(signal);
    signal.removeEventListener("abort", owner.listener);
  };
}
