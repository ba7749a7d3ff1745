/**
 * Writing an interim response through a `node:http` `ServerResponse`: the
 * runtime's writer (src/runtime/server_response_interim.ts, which knows
 * each runtime's `writeInformation`, raw-output path and public methods)
 * with our engine's encoder, its outcome as the frozen results every way of
 * sending returns. Used by the `node-http` transport and by Hono's `hint()`
 * under `@hono/node-server`, which hands the `ServerResponse` to handlers as
 * `c.env.outgoing`. This module is browser compatible.
 *
 * @module
 */

import { encodeInformational } from "../http1/serialize.ts";
import type { HeaderList } from "../http1/types.ts";
import {
  type IncomingMessageLike,
  type InterimFieldList,
  type InterimWriteOutcome,
  type ServerResponseLike,
  writeInterimToServerResponse as writeThroughRuntime,
} from "../runtime/server_response_interim.ts";
import {
  CLOSED,
  FINAL_RESPONSE_STARTED,
  FINISHED,
  HTTP10,
  SENT,
  UNSUPPORTED,
} from "./informational_results.ts";
import type { InformationalResult } from "./types.ts";

export {
  type IncomingMessageLike,
  isServerResponseLike,
  type ServerResponseLike,
} from "../runtime/server_response_interim.ts";

const RESULTS: Readonly<Record<InterimWriteOutcome, InformationalResult>> = {
  "sent": SENT,
  "http/1.0": HTTP10,
  "unsupported": UNSUPPORTED,
  "finished": FINISHED,
  "closed": CLOSED,
  "final-response-started": FINAL_RESPONSE_STARTED,
};

/**
 * Writes a validated interim response through a `ServerResponse`.
 *
 * @param outgoing The response being prepared.
 * @param incoming Its request, for the HTTP version.
 * @param status 100-199 except 101.
 * @param headers Validated fields.
 * @returns Whether it was sent, and why not: too late (`"final-response-started"`,
 * `"finished"`, `"closed"`; never a throw), HTTP/1.0, or unsupported here.
 *
 * @example Too late: the response has ended
 * ```ts
 * import assert from "node:assert/strict";
 * import { writeInterimToServerResponse } from "./server_response_interim.ts";
 * const ended = {
 *   headersSent: true, destroyed: false, writableEnded: true,
 *   writeContinue() {}, writeEarlyHints() {},
 * };
 * const result = writeInterimToServerResponse(ended, undefined, 103, []);
 * assert.deepEqual(result, { sent: false, reason: "finished" });
 * ```
 */
export function writeInterimToServerResponse(
  outgoing: ServerResponseLike,
  incoming: IncomingMessageLike | undefined,
  status: number,
  headers: HeaderList,
): InformationalResult {
  const fields = headers as InterimFieldList;
  return RESULTS[writeThroughRuntime(outgoing, incoming, status, fields, encodeInformational)];
}
