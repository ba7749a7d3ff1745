/**
 * The `Request` handed to handlers when it is not built lazily
 * (lazy_request.ts): a genuine `Request` subclass whose `signal` aborts when
 * the client goes away, and whose copies (`new Request(request)`,
 * `fetch(request)`, `clone()`) follow that signal, as the Fetch standard
 * has them follow the original's.
 *
 * Three ways, chosen once by a probe (`copyFollowing`):
 *
 * - Where the runtime's `Request` constructor reads a request's signal
 *   through its public `signal` getter (Bun), the signal is created only
 *   when read: most handlers never read it, and an `AbortController` plus
 *   the runtime following it costs on every request.
 * - Where copies listen for `abort` on the request's own internal signal
 *   (undici 7 on Node 24 and 26), the request is built without a signal and
 *   an `abort` event dispatched on that internal signal reaches its copies.
 * - Elsewhere copies read the signal from internal state that only the
 *   constructor's `signal` option reaches, so the request is built with a
 *   signal of its own from the start.
 *
 * This module is browser compatible.
 *
 * @module
 */

import type { InterimTarget } from "./interim_target.ts";
import { LazySignal } from "./lazy_signal.ts";

/**
 * A server-side request whose signal (and that of its copies) aborts when the
 * client leaves.
 *
 * @example Aborting before and after `signal` is read
 * ```ts
 * import assert from "node:assert/strict";
 * import { IncomingRequest } from "./incoming_request.ts";
 * const request = new IncomingRequest("http://localhost/");
 * const copy = new Request(request);
 * request.abortWith(new Error("gone"));
 * assert.ok(request.signal.aborted);
 * assert.ok(copy.signal.aborted);
 * ```
 */
export class IncomingRequest extends Request {
  /**
   * The exchange that can send interim responses for this request; a plain
   * field rather than a `WeakMap` entry, which costs the garbage collector
   * far more at thousands of requests per second.
   */
  interimTarget: InterimTarget | undefined;
  /** Set when the request was built with a signal of its own. */
  readonly #controller: AbortController | undefined;
  /** Otherwise: the signal made on first read. */
  #lazy: LazySignal | undefined;

  /**
   * Builds the request.
   *
   * @param url The absolute URL.
   * @param init The server's own options object, used as it is (it gets the
   * `signal` where copies need one), so no second object is made.
   */
  constructor(url: string, init?: RequestInit) {
    let controller: AbortController | undefined;
    if (copyFollowing() === "construction") {
      controller = new AbortController();
      if (init === undefined) init = { signal: controller.signal };
      else init.signal = controller.signal;
    }
    super(url, init);
    this.#controller = controller;
  }

  /** Aborts when the client goes away or the server closes the connection. */
  override get signal(): AbortSignal {
    if (this.#controller !== undefined) return super.signal;
    return (this.#lazy ??= new LazySignal()).signal;
  }

  /**
   * A copy with its own body branch whose signal follows this request's.
   *
   * @returns The clone.
   */
  override clone(): Request {
    const twin = super.clone();
    // Built with a signal, the runtime's clone follows it already; a lazily
    // made signal is one the runtime's clone does not see (Bun, undici 7).
    return this.#controller !== undefined ? twin : new Request(twin, { signal: this.signal });
  }

  /**
   * Aborts `signal` (creating nothing when nobody has read it yet).
   *
   * @param reason The abort reason.
   */
  abortWith(reason: unknown): void {
    if (this.#controller !== undefined) {
      this.#controller.abort(reason);
      return;
    }
    (this.#lazy ??= new LazySignal()).abort(reason);
    // undici 7: copies listen for "abort" on the request's own signal.
    if (copyFollowing() === "event") super.signal.dispatchEvent(new Event("abort"));
  }
}

/**
 * How copies of a request (`new Request(request)`, `fetch(request)`) learn
 * that it was aborted:
 *
 * - `"getter"`: they read its public `signal` (Bun), which a subclass answers;
 * - `"event"`: they listen for `abort` on its own internal signal (undici 7,
 *   Node 24 and 26), which an `abort` event dispatched there reaches. Building
 *   a request with a signal costs 7 to 50 µs there (undici follows it
 *   through a `WeakRef` and a `FinalizationRegistry`), building one without
 *   about 1 µs;
 * - `"construction"`: only through the constructor's `signal` option (the
 *   fallback).
 */
type CopyFollowing = "getter" | "event" | "construction";

let probed: CopyFollowing | undefined;
let forced: boolean | undefined;

function copyFollowing(): CopyFollowing {
  if (forced === true) return "construction";
  return probed ??= probeCopyFollowing();
}

function probeCopyFollowing(): CopyFollowing {
  try {
    const aborted = AbortSignal.abort();
    class Probe extends Request {
      override get signal(): AbortSignal {
        return aborted;
      }
    }
    const probe = new Probe("http://localhost/");
    if (
      new Request(probe).signal.aborted &&
      new Request(probe, { method: "POST", body: "x" }).signal.aborted
    ) {
      return "getter";
    }
  } catch {
    // Fall through to the next way.
  }
  try {
    const request = new Request("http://localhost/");
    const copy = new Request(request);
    const changed = new Request(request, { method: "POST", body: "x" });
    request.signal.dispatchEvent(new Event("abort"));
    if (copy.signal.aborted && changed.signal.aborted && !request.signal.aborted) return "event";
  } catch {
    // Fall through to the fallback.
  }
  return "construction";
}

/**
 * Makes every {@linkcode IncomingRequest} get its signal at construction
 * (`true`), or leaves the choice to the probe (`undefined`), so tests run
 * both ways on every runtime. Not exported from the package.
 *
 * @param signalAtConstruction The way to force, or `undefined`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { IncomingRequest, forceSignalAtConstruction } from "./incoming_request.ts";
 * forceSignalAtConstruction(true);
 * const request = new IncomingRequest("http://localhost/");
 * forceSignalAtConstruction(undefined);
 * request.abortWith(new Error("gone"));
 * assert.ok(request.clone().signal.aborted);
 * ```
 */
export function forceSignalAtConstruction(signalAtConstruction: true | undefined): void {
  forced = signalAtConstruction;
}
