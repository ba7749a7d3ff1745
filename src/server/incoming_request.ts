/**
 * The `Request` handed to handlers when it is not built lazily
 * (lazy_request.ts): a genuine `Request` subclass whose `signal` aborts when
 * the client goes away, and whose copies (`new Request(request)`,
 * `fetch(request)`, `clone()`) follow that signal, as the Fetch standard
 * has them follow the original's.
 *
 * Two ways, chosen once by a probe:
 *
 * - Where the runtime's `Request` constructor reads a request's signal
 *   through its public `signal` getter (Bun), the signal is created only
 *   when read: most handlers never read it, and an `AbortController` plus
 *   the runtime following it costs on every request.
 * - Elsewhere (undici on Node, Deno) copies read the signal from internal
 *   state that only the constructor's `signal` option reaches, so the
 *   request is built with a signal of its own from the start.
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
    if (!copiesReadSignalGetter()) {
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
    // made signal is one the runtime's clone does not see (Bun).
    return this.#controller !== undefined ? twin : new Request(twin, { signal: this.signal });
  }

  /**
   * Aborts `signal` (creating nothing when nobody has read it yet).
   *
   * @param reason The abort reason.
   */
  abortWith(reason: unknown): void {
    if (this.#controller !== undefined) this.#controller.abort(reason);
    else (this.#lazy ??= new LazySignal()).abort(reason);
  }
}

let readsGetter: boolean | undefined;
let forced: boolean | undefined;

/**
 * Whether `new Request(request)` takes the signal from `request.signal`,
 * the public getter a subclass can answer (probed once).
 */
function copiesReadSignalGetter(): boolean {
  if (forced !== undefined) return !forced;
  if (readsGetter === undefined) {
    try {
      const aborted = AbortSignal.abort();
      class Probe extends Request {
        override get signal(): AbortSignal {
          return aborted;
        }
      }
      const probe = new Probe("http://localhost/");
      readsGetter = new Request(probe).signal.aborted &&
        new Request(probe, { method: "POST", body: "x" }).signal.aborted;
    } catch {
      readsGetter = false;
    }
  }
  return readsGetter;
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
