/**
 * The link between a `Request` handed to a handler and the exchange that can
 * still write interim responses for it. A `WeakMap` keyed by the request, so
 * `sendInformational(c.req.raw, ...)` works from any framework that passes
 * the original request through, and nothing outlives the request. This
 * module is browser compatible.
 *
 * @module
 */

import type { HeaderList } from "../http1/types.ts";
import { IncomingRequest } from "./incoming_request.ts";
import { LazyRequest } from "./lazy_request.ts";
import type { InformationalResult } from "./types.ts";

/** What a server backend exposes per request so interim responses can be sent. */
export interface InterimTarget {
  /**
   * Writes a validated interim response at once.
   *
   * @param status 100-199 except 101, already checked.
   * @param headers Validated fields.
   * @param flush Write now, in its own write, rather than with a final head
   * written in the same turn (`sendInformational`'s `flush` option).
   * @returns Whether it was sent, and why not.
   * @throws {TypeError} When the final response has already begun.
   */
  writeInformational(status: number, headers: HeaderList, flush?: boolean): InformationalResult;
  /**
   * Field names whose values the final response should send as separate
   * field lines (values in order), as long as the response's joined value
   * still equals these values joined by `", "`. Set by the Hono helper to
   * keep Go's `Header.Add` semantics; `undefined` when unused.
   */
  fieldLines: Map<string, string[]> | undefined;
}

const targets = new WeakMap<Request, InterimTarget>();

/**
 * Associates a request with the exchange serving it.
 *
 * @param request The request given to the handler.
 * @param target The exchange's interim writer.
 *
 * @example Registering and finding a target
 * ```ts
 * import { interimTargetOf, registerInterimTarget } from "./interim_target.ts";
 * const request = new Request("http://localhost/");
 * const target = { writeInformational: () => ({ sent: true as const }), fieldLines: undefined };
 * registerInterimTarget(request, target);
 * console.assert(interimTargetOf(request) === target);
 * ```
 */
export function registerInterimTarget(
  request: Request,
  target: InterimTarget,
): void {
  if (request instanceof IncomingRequest || request instanceof LazyRequest) {
    request.interimTarget = target;
  } else targets.set(request, target);
}

/**
 * Finds the exchange serving a request.
 *
 * @param request A request given to a handler.
 * @returns Its interim writer, or `undefined` when the request did not come from our server.
 *
 * @example An unknown request
 * ```ts
 * import { interimTargetOf } from "./interim_target.ts";
 * console.assert(interimTargetOf(new Request("http://localhost/")) === undefined);
 * ```
 */
export function interimTargetOf(request: Request): InterimTarget | undefined {
  if (request instanceof IncomingRequest || request instanceof LazyRequest) {
    return request.interimTarget;
  }
  return targets.get(request);
}
