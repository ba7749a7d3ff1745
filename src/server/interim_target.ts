/**
 * The link between a `Request` handed to a handler and the exchange that can
 * still write interim responses for it: a field of the server's own request
 * classes (`IncomingRequest`, `LazyRequest`), set when the exchange builds the
 * request, so `sendInformational(c.req.raw, ...)` works from any framework
 * that passes the original request through. This module is browser
 * compatible. (Finding it from a request: `interimTargetOf` in
 * request_factory.ts, beside the request classes.)
 *
 * @module
 */

import type { HeaderList } from "../http1/types.ts";
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
   * @returns Whether it was sent, and why not. A call that comes too late
   * (the final response has begun or is sent, the connection is closed)
   * returns a reason and writes nothing: it never throws because of timing.
   */
  writeInformational(status: number, headers: HeaderList, flush?: boolean): InformationalResult;
  /**
   * Field names whose values the final response should send as separate
   * field lines (values in order), as long as the response's joined value
   * still equals these values joined by `", "`. Set by the Hono helper to
   * keep Go's `Header.Add` semantics; `undefined` when unused.
   */
  fieldLines: Map<string, string[]> | undefined;
  /**
   * Link-values (canonical spelling) that `learnedHints()` already sent in
   * a 103 for this request: later 103s leave them out. `undefined` when
   * unused.
   */
  learnedLinks: Set<string> | undefined;
  /** Whether a `100 Continue` went out, or none is owed (`forward()` relays one only while owed). */
  readonly continueSettled: boolean;
}
