/**
 * The phase of one client exchange, and the one table that decides how it
 * moves. A server may answer before the request is fully written (an early
 * error, or a final answer to `Expect: 100-continue`, RFC 9110 section
 * 10.1.1), so the phases after the final head still say whether the whole
 * request went out: only then may the socket carry another exchange.
 *
 * ```text
 * writing ──hold-body──> awaiting-continue ──release-body──> writing
 *    │                          │
 *    ├─request-written─> awaiting-head ──final-head──> reading-body ──body-end──> done
 *    │                                                      ▲
 *    └─final-head──> reading-body-early ──request-written───┘
 *                    (also from awaiting-continue: the held body is never sent)
 * any phase before done ──fail──> failed; reading-body(-early) ──cancel──> cancelled
 * ```
 *
 * @module
 */

/** Where an exchange is. */
export type ExchangePhase =
  /** Request bytes are going out; no final head yet. */
  | "writing"
  /** The head is written; the body waits for `100 Continue` or its timeout. */
  | "awaiting-continue"
  /** The whole request is queued; interim responses may come before the final head. */
  | "awaiting-head"
  /**
   * The final head was handed over before the whole request was written
   * (the upload goes on, or after an answer to `Expect` the body is never sent).
   */
  | "reading-body-early"
  /** The final head was handed over and the whole request was queued. */
  | "reading-body"
  /** The response ended cleanly. */
  | "done"
  /** It ended with an error: the promise rejected or the body errored. */
  | "failed"
  /** The reader cancelled the response body. */
  | "cancelled";

/** What moves an exchange. */
export type ExchangeEvent =
  /** `Expect: 100-continue`: the body is held. */
  | "hold-body"
  /** `100 Continue` arrived or the wait timed out: the body goes out. */
  | "release-body"
  /** The last request byte was queued on the socket. */
  | "request-written"
  /** A final (2xx-5xx) head arrived and is handed over. */
  | "final-head"
  /** The response body ended. */
  | "body-end"
  /** An error, an abort, a timeout or a close. */
  | "fail"
  /** The reader cancelled the body. */
  | "cancel";

const TRANSITIONS: Readonly<
  Record<ExchangePhase, Readonly<Partial<Record<ExchangeEvent, ExchangePhase>>>>
> = {
  "writing": {
    "hold-body": "awaiting-continue",
    "request-written": "awaiting-head",
    "final-head": "reading-body-early",
    "fail": "failed",
  },
  "awaiting-continue": {
    "release-body": "writing",
    "final-head": "reading-body-early",
    "fail": "failed",
  },
  "awaiting-head": { "final-head": "reading-body", "fail": "failed" },
  "reading-body-early": {
    "request-written": "reading-body",
    "body-end": "done",
    "fail": "failed",
    "cancel": "cancelled",
  },
  "reading-body": { "body-end": "done", "fail": "failed", "cancel": "cancelled" },
  "done": {},
  "failed": {},
  "cancelled": {},
};

/**
 * The phase after `event`.
 *
 * @param phase Where the exchange is.
 * @param event What happened.
 * @returns The next phase.
 * @throws {Error} When `event` cannot happen in `phase` (a bug in the client).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { nextPhase } from "./exchange_phase.ts";
 * assert.equal(nextPhase("writing", "request-written"), "awaiting-head");
 * assert.throws(() => nextPhase("done", "final-head"));
 * ```
 */
export function nextPhase(phase: ExchangePhase, event: ExchangeEvent): ExchangePhase {
  const next = TRANSITIONS[phase][event];
  if (next === undefined) {
    throw new Error(`client exchange: "${event}" cannot happen in phase "${phase}"`);
  }
  return next;
}

/**
 * Whether the final head was handed over (the `exchange()` promise resolved,
 * so a later failure goes to the body).
 *
 * @param phase Where the exchange is.
 * @returns True while the body is read, and after.
 */
export function headHandedOver(phase: ExchangePhase): boolean {
  return phase === "reading-body" || phase === "reading-body-early" || phase === "done" ||
    phase === "cancelled";
}

/**
 * Whether the exchange has ended (nothing it started may act any more).
 *
 * @param phase Where the exchange is.
 * @returns True in `done`, `failed` and `cancelled`.
 */
export function exchangeEnded(phase: ExchangePhase): boolean {
  return phase === "done" || phase === "failed" || phase === "cancelled";
}
