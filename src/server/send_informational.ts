/**
 * `sendInformational()`: write an interim (1xx) response for the request a
 * handler is serving, before its final response. This module is browser
 * compatible.
 *
 * @module
 */

import { type FieldsInit, toHeaderList } from "./fields.ts";
import { interimTargetOf } from "./request_factory.ts";
import { DUPLICATE, UNSUPPORTED } from "./informational_results.ts";
import { withoutLinks } from "./link_header.ts";
import type {
  InformationalResult,
  InformationalSkipReason,
  SendInformationalOptions,
} from "./types.ts";
import { warnOnce } from "./warn_once.ts";

// RFC 9110 section 8.6 and RFC 9112 section 6.1: a 1xx carries no
// Content-Length or Transfer-Encoding; connection-specific fields would be
// read as applying to the connection.
/** Field names refused in an interim response. */
export const FORBIDDEN_IN_INTERIM: ReadonlySet<string> = new Set([
  "content-length",
  "transfer-encoding",
  "connection",
  "keep-alive",
  "upgrade",
]);

/**
 * Sends an interim response (status 100-199 except 101) for `request`, ahead
 * of the final response. It may be called many times; each call is one 1xx on
 * the wire, in order. `103 Early Hints` (RFC 8297) is the usual status.
 *
 * The bytes are handed to the socket in order and leave within the same
 * event-loop turn: when the final response is written before the current
 * microtasks have run (a handler that answers at once), they go out in the
 * same write as its head; otherwise in their own write, before the handler
 * waits on anything. Synchronous work after the hint holds it until that work
 * ends, unless `options.flush` is set. `{ sent: true }` means handed to the
 * socket in this order, not acknowledged by the peer.
 *
 * Nothing is sent, without error, when the client speaks HTTP/1.0 (RFC 9110
 * section 15.2 forbids 1xx there; result reason `"http/1.0"`), when the
 * connection has already closed (`"closed"`), or when the request does not come
 * from this library's `serve()` (plain `Deno.serve`, `Bun.serve`, a bare
 * `node:http` server; reason `"unsupported"`, and a warning is printed once).
 * Sending `100` yourself replaces the automatic `100 Continue`. When the
 * server's `hintPolicy` withholds hints from this request, anything but a
 * `100` is skipped (`"policy"`). Links `learnedHints()` already sent for
 * this request are left out of a later 103, which is skipped when nothing
 * else remains (`"duplicate"`).
 *
 * Each request may have at most `limits.maxInformational` interim responses
 * (default 100, the automatic `100 Continue` included) of at most
 * `limits.maxInformationalBytes` each on the wire (default 16 384): past
 * them nothing is sent and the result says `"too-many"` or `"too-large"`,
 * with a warning printed once per process. A refusal rather than an error,
 * because a hint is advisory and the limits are about volume: a list of
 * preloads that grew, or a progress timer on a long job, must not turn the
 * response into a 500. A client refuses more than that anyway (this
 * package's after 100, Node's above 16 KiB of head), and with it the whole
 * response.
 *
 * A call that comes too late is harmless too, as Go's superfluous
 * `WriteHeader` is: once the handler has returned its final response, nothing
 * is sent and the result says `"final-response-started"` (it is being
 * written) or `"finished"` (it was sent in full), so a progress timer that
 * outlives its response cannot end the process. The first such call in the
 * process prints a warning (once, however many follow); a client that left
 * (`"closed"`) is ordinary and prints nothing.
 *
 * @param request The request the handler received (with Hono: `c.req.raw`).
 * @param status The interim status, 100-199 except 101.
 * @param headers The interim response's header fields. Arrays and pairs give
 * one field line per value.
 * @param options `flush: true` writes it now, in its own write, for a handler
 * that goes on with synchronous work (see {@linkcode SendInformationalOptions}).
 * @returns `{ sent: true }`, or `{ sent: false, reason }` with `reason` one of
 * `"http/1.0"`, `"closed"`, `"final-response-started"`, `"finished"`,
 * `"too-many"`, `"too-large"`, `"policy"`, `"duplicate"`, `"unsupported"` (see
 * {@linkcode InformationalSkipReason}).
 * @throws {TypeError} When `request` is not a `Request`.
 * @throws {RangeError} When `status` is not an integer in 100-199, or is 101
 * (switching protocols is final, not interim).
 * @throws {TypeError} When a header field is invalid (a bad name; CR, LF or
 * NUL in a value) or not allowed in a 1xx (`content-length`,
 * `transfer-encoding`, connection-specific fields). These are programming
 * errors and throw whenever the call is made, even too late; timing and
 * volume alone never throw.
 *
 * @example Sending a 103 before the final response
 * ```ts
 * import assert from "node:assert/strict";
 * import { sendInformational, serve } from "@interim/http/server";
 * import { fetch } from "@interim/http/client";
 *
 * const server = await serve((request) => {
 *   const result = sendInformational(request, 103, { link: "</app.css>; rel=preload; as=style" });
 *   assert.deepEqual(result, { sent: true });
 *   return new Response("done");
 * }, { hostname: "127.0.0.1", port: 0 });
 * try {
 *   const response = await fetch(server.url);
 *   assert.equal(response.informational[0]?.headers.get("link"), "</app.css>; rel=preload; as=style");
 *   assert.equal(await response.text(), "done");
 * } finally {
 *   await server.shutdown();
 * }
 * ```
 */
export function sendInformational(
  request: Request,
  status: number,
  headers?: FieldsInit,
  options?: SendInformationalOptions,
): InformationalResult {
  if (!(request instanceof Request)) {
    throw new TypeError("sendInformational: the first argument must be the handler's Request");
  }
  if (!Number.isInteger(status) || status < 100 || status > 199) {
    throw new RangeError(
      `sendInformational: status must be an integer from 100 to 199, got ${status}`,
    );
  }
  if (status === 101) {
    throw new RangeError(
      "sendInformational: 101 Switching Protocols is a final response, not an interim one",
    );
  }
  const fields = toHeaderList(headers, FORBIDDEN_IN_INTERIM);
  const target = interimTargetOf(request);
  if (target === undefined) {
    warnOnce(
      "unsupported",
      "interim: this request is not served by @interim/http's serve(), which is the only " +
        "server that can send interim (1xx) responses here; the hint was skipped and the " +
        "request goes on normally.",
    );
    return UNSUPPORTED;
  }
  let sendable = fields;
  if (status === 103 && target.learnedLinks !== undefined) {
    sendable = withoutLinks(fields, target.learnedLinks);
    if (sendable.length === 0 && fields.length > 0) return DUPLICATE;
  }
  const result = target.writeInformational(status, sendable, options?.flush === true);
  if (!result.sent) {
    warnIfLate(result.reason, status);
    warnIfOverBounds(result.reason, status);
  }
  return result;
}

/**
 * Prints, once per process, that an interim response came after the final
 * response (Go logs "http: superfluous response.WriteHeader call" for the
 * same mistake). Once rather than per call: a progress timer left running
 * fires again and again, on every request, and the result already tells each
 * caller; a client that left (`"closed"`) is not a mistake and stays silent.
 *
 * @param reason Why the interim response was not sent.
 * @param status Its status.
 *
 * @example One warning, however many late calls
 * ```ts
 * import assert from "node:assert/strict";
 * import { warnIfLate } from "./send_informational.ts";
 * const printed: unknown[] = [];
 * console.warn = (message: unknown) => printed.push(message);
 * warnIfLate("finished", 103);
 * warnIfLate("final-response-started", 103);
 * warnIfLate("closed", 103); // a client that left is not a mistake
 * assert.equal(printed.length, 1);
 * ```
 */
export function warnIfLate(reason: InformationalSkipReason, status: number): void {
  if (reason !== "final-response-started" && reason !== "finished") return;
  warnOnce(
    "late-interim",
    `interim: a ${status} interim response came after the final response ` +
      `(result { sent: false, reason: "${reason}" }) and was not sent; a 1xx can only ` +
      "precede the final response. Stop timers that send hints when the handler " +
      "returns. This warning is printed once per process.",
  );
}

/**
 * Prints, once per process and per bound, that an interim response was
 * refused for exceeding `limits.maxInformational` or
 * `limits.maxInformationalBytes`, naming the limit to raise. Once: the
 * result already tells each caller, and a hint that outgrew the limit would
 * otherwise print at every request.
 *
 * @param reason Why the interim response was not sent.
 * @param status Its status.
 *
 * @example One warning per bound
 * ```ts
 * import assert from "node:assert/strict";
 * import { warnIfOverBounds } from "./send_informational.ts";
 * const printed: unknown[] = [];
 * console.warn = (message: unknown) => printed.push(message);
 * warnIfOverBounds("too-many", 103);
 * warnIfOverBounds("too-many", 103);
 * warnIfOverBounds("too-large", 103);
 * warnIfOverBounds("closed", 103); // not a bound
 * assert.equal(printed.length, 2);
 * ```
 */
export function warnIfOverBounds(reason: InformationalSkipReason, status: number): void {
  if (reason === "too-many") {
    warnOnce(
      "interim-too-many",
      `interim: a ${status} interim response was not sent: the request already had ` +
        'limits.maxInformational of them (result { sent: false, reason: "too-many" }); ' +
        "clients refuse more (this package's client after 100). This warning is printed " +
        "once per process.",
    );
  } else if (reason === "too-large") {
    warnOnce(
      "interim-too-large",
      `interim: a ${status} interim response was not sent: its head is larger than ` +
        'limits.maxInformationalBytes (result { sent: false, reason: "too-large" }); ' +
        "Node's clients refuse a head over 16 KiB, and with it the whole response. This " +
        "warning is printed once per process.",
    );
  }
}
