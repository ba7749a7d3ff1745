/**
 * The `Request` handed to handlers: a subclass whose `signal` is created
 * only when read. A `Request` built with a `signal` option costs about
 * 10 µs more on Node (undici follows the given signal through weak
 * references, and Node 20 makes every `AbortSignal` transferable), and few
 * handlers ever read `request.signal`. The object is a genuine `Request`
 * (body, headers, `clone()`, `new Request(request)` behave as usual). This
 * module is browser compatible.
 *
 * @module
 */

import type { InterimTarget } from "./interim_target.ts";
import { LazySignal } from "./lazy_signal.ts";

/**
 * A server-side request with a lazily created `signal`.
 *
 * @example Aborting before and after `signal` is read
 * ```ts
 * import { IncomingRequest } from "./incoming_request.ts";
 * const request = new IncomingRequest("http://localhost/");
 * request.abortWith(new Error("gone"));
 * console.assert(request.signal.aborted);
 * ```
 */
export class IncomingRequest extends Request {
  /**
   * The exchange that can send interim responses for this request; a plain
   * field rather than a `WeakMap` entry, which costs the garbage collector
   * far more at thousands of requests per second.
   */
  interimTarget: InterimTarget | undefined;
  #abort: LazySignal | undefined;

  /** Aborts when the client goes away or the server closes the connection. */
  override get signal(): AbortSignal {
    return (this.#abort ??= new LazySignal()).signal;
  }

  /**
   * Aborts `signal` (creating nothing when nobody has read it yet).
   *
   * @param reason The abort reason.
   */
  abortWith(reason: unknown): void {
    (this.#abort ??= new LazySignal()).abort(reason);
  }
}
