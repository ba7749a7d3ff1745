/**
 * Writing an interim response through a `node:http` `ServerResponse`,
 * found by duck typing (no `node:` import): used by the `node-http` backend
 * and by Hono's `hint()` under `@hono/node-server`, which hands the
 * `ServerResponse` to handlers as `c.env.outgoing`.
 *
 * Three ways, the first that works on the response at hand
 * ({@linkcode interimWritePath}):
 * 1. the public `writeInformation(status, headers)` (Node 24.19+, 26.2+,
 *    Bun 1.4): any 1xx with any fields, in order with the response,
 *    pipelining included; used wherever it exists and takes a field list
 *    (not on Deno, see `write_information.ts`);
 * 2. the response's raw-output path `_writeRaw`, with bytes the caller
 *    encodes (Node 22, Deno), trusted only where the runtime's own 1xx
 *    writer (`writeInformation` or `writeEarlyHints`) goes through it, so
 *    bytes written there leave as the runtime's own 1xx do
 *    ({@linkcode rawInterimWritesWork}, probed once per implementation);
 * 3. the public `writeContinue` (100), `writeProcessing` (102) and
 *    `writeEarlyHints` (103 with `link`); anything else is `"unsupported"`.
 *
 * The result is a plain word (the server maps it to its result objects).
 * This module is browser compatible.
 *
 * @module
 */

import { writeInformationTakesLists } from "./write_information.ts";

/** Header fields in order, validated by the caller. */
export type InterimFieldList = Array<[name: string, value: string]>;

/** Encodes a validated interim response head to its wire bytes (or ASCII text). */
export type InterimEncoder = (status: number, headers: InterimFieldList) => string | Uint8Array;

/** Why a `ServerResponse` can no longer take an interim response. */
export type InterimTooLate = "finished" | "closed" | "final-response-started";

/** What {@linkcode writeInterimToServerResponse} did. */
export type InterimWriteOutcome = "sent" | "http/1.0" | "unsupported" | InterimTooLate;

/** How an interim response would be written through a given response. */
export type InterimWritePath = "write-information" | "raw" | "public";

/** The state of a `node:http` `ServerResponse` that decides whether a 1xx is still possible. */
export interface ServerResponseState {
  /** The final head has been written. */
  readonly headersSent: boolean;
  /** The socket is gone. */
  readonly destroyed: boolean;
  /** `end()` has been called: the whole final response is handed over. */
  readonly writableEnded?: boolean | undefined;
}

/** The parts of `http.ServerResponse` used here. */
export interface ServerResponseLike extends ServerResponseState {
  /** Writes `100 Continue`. */
  writeContinue(): void;
  /** Writes a 103 (only when the hints include `link`). */
  writeEarlyHints(hints: Record<string, string | string[]>): void;
}

/** The parts of `http.IncomingMessage` used here. */
export interface IncomingMessageLike {
  /** 1 for HTTP/1.x. */
  readonly httpVersionMajor: number;
  /** 0 for HTTP/1.0, 1 for HTTP/1.1. */
  readonly httpVersionMinor: number;
}

type RawWriter = (data: string | Uint8Array, encoding?: string) => boolean;
/** `ServerResponse.writeInformation`, given a flat list: name, value, name, value ... */
type InformationWriter = (status: number, headers: readonly string[]) => unknown;
type Indexable = Record<PropertyKey, unknown>;

/** Per `_writeRaw` implementation: whether the runtime's own 1xx writer uses it. */
const rawWriterTrusted = new WeakMap<object, boolean>();
let rawAllowed = true;

/**
 * Reports whether `value` looks like a `node:http` `ServerResponse`.
 *
 * @param value Anything (e.g. Hono's `c.env.outgoing`).
 * @returns `true` when it has what {@linkcode writeInterimToServerResponse} needs.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { isServerResponseLike } from "./server_response_interim.ts";
 * assert.equal(isServerResponseLike({}), false);
 * ```
 */
export function isServerResponseLike(value: unknown): value is ServerResponseLike {
  return typeof value === "object" && value !== null &&
    typeof (value as { writeEarlyHints?: unknown }).writeEarlyHints === "function" &&
    typeof (value as { headersSent?: unknown }).headersSent === "boolean";
}

/**
 * Says why a `ServerResponse` can no longer take an interim response, by its
 * state, so that a late call (a timer firing after the response, a client
 * gone) gets an answer instead of Node's `ERR_HTTP_HEADERS_SENT` or a write
 * to a destroyed socket.
 *
 * @param outgoing The response (`node:http`'s, or one shaped like it).
 * @returns Why it is too late, or `undefined` while a 1xx can still be written.
 *
 * @example A response whose head has gone out
 * ```ts
 * import assert from "node:assert/strict";
 * import { interimTooLate } from "./server_response_interim.ts";
 * const late = interimTooLate({ headersSent: true, destroyed: false, writableEnded: false });
 * assert.equal(late, "final-response-started");
 * ```
 */
export function interimTooLate(outgoing: ServerResponseState): InterimTooLate | undefined {
  // Ended first: a response sent in full and then closed (Connection: close)
  // was finished, not cut off.
  if (outgoing.writableEnded === true) return "finished";
  if (outgoing.destroyed) return "closed";
  if (outgoing.headersSent) return "final-response-started";
  return undefined;
}

/**
 * Writes a validated interim response through a `ServerResponse`.
 *
 * @param outgoing The response being prepared.
 * @param incoming Its request, for the HTTP version.
 * @param status 100-199 except 101.
 * @param headers Validated fields.
 * @param encode Encodes the head for the raw path (the server's engine serialiser).
 * @returns `"sent"`, or why not: too late (never a throw), HTTP/1.0, or
 * unsupported here.
 *
 * @example Too late once the response has ended
 * ```ts
 * import assert from "node:assert/strict";
 * import { writeInterimToServerResponse } from "./server_response_interim.ts";
 * const ended = {
 *   headersSent: true, destroyed: false, writableEnded: true,
 *   writeContinue() {}, writeEarlyHints() {},
 * };
 * const outcome = writeInterimToServerResponse(ended, undefined, 103, [], () => "");
 * assert.equal(outcome, "finished");
 * ```
 */
export function writeInterimToServerResponse(
  outgoing: ServerResponseLike,
  incoming: IncomingMessageLike | undefined,
  status: number,
  headers: InterimFieldList,
  encode: InterimEncoder,
): InterimWriteOutcome {
  // Too late (a timer firing after the response, a client gone): say so
  // rather than let node:http throw ERR_HTTP_HEADERS_SENT.
  const late = interimTooLate(outgoing);
  if (late !== undefined) return late;
  if (
    incoming !== undefined && incoming.httpVersionMajor === 1 && incoming.httpVersionMinor === 0
  ) {
    return "http/1.0";
  }
  const writeInformation = informationWriter(outgoing);
  if (writeInformation !== undefined) {
    writeInformation.call(outgoing, status, flatFieldList(headers));
    return "sent";
  }
  const writeRaw = trustedRawWriter(outgoing);
  if (writeRaw !== undefined) {
    writeRaw.call(outgoing, encode(status, headers));
    return "sent";
  }
  return writeThroughPublicMethods(outgoing, status, headers);
}

/**
 * Which way {@linkcode writeInterimToServerResponse} writes through
 * `outgoing` on this runtime.
 *
 * @param outgoing A `ServerResponse`.
 * @returns `"write-information"` on Node 24.19+, 26.2+ and Bun 1.4, `"raw"`
 * on Node 22 and Deno, `"public"` where neither can be trusted.
 *
 * @example An object with only the public methods
 * ```ts
 * import assert from "node:assert/strict";
 * import { interimWritePath } from "./server_response_interim.ts";
 * const outgoing = { headersSent: false, destroyed: false, writeContinue() {}, writeEarlyHints() {} };
 * assert.equal(interimWritePath(outgoing), "public");
 * ```
 */
export function interimWritePath(outgoing: ServerResponseLike): InterimWritePath {
  if (informationWriter(outgoing) !== undefined) return "write-information";
  if (trustedRawWriter(outgoing) !== undefined) return "raw";
  return "public";
}

/**
 * Whether `outgoing`'s `_writeRaw` may carry our encoded 1xx bytes: it
 * exists and the runtime's own `writeInformation` or `writeEarlyHints`
 * writes through it (read from their source text, once per `_writeRaw`
 * implementation; a native or unknown implementation is not trusted).
 *
 * @param outgoing A `ServerResponse`.
 * @returns `true` on Node 22, 24, 26, Deno and Bun's `node:http` today.
 *
 * @example A response without `_writeRaw`
 * ```ts
 * import assert from "node:assert/strict";
 * import { rawInterimWritesWork } from "./server_response_interim.ts";
 * const outgoing = { headersSent: false, destroyed: false, writeContinue() {}, writeEarlyHints() {} };
 * assert.equal(rawInterimWritesWork(outgoing), false);
 * ```
 */
export function rawInterimWritesWork(outgoing: ServerResponseLike): boolean {
  const writeRaw = (outgoing as unknown as Indexable)._writeRaw;
  if (typeof writeRaw !== "function") return false;
  let trusted = rawWriterTrusted.get(writeRaw);
  if (trusted === undefined) {
    trusted = ownWriterUsesRaw(outgoing);
    rawWriterTrusted.set(writeRaw, trusted);
  }
  return trusted;
}

/**
 * Turns the raw path off (`false`) or back on (`true`, the default), so
 * tests run the public methods on runtimes that have it. Not exported from
 * the package.
 *
 * @param allow Whether `_writeRaw` may be used.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { allowRawInterimWrites, rawInterimWritesWork } from "./server_response_interim.ts";
 * const outgoing = { headersSent: false, destroyed: false, writeContinue() {}, writeEarlyHints() {} };
 * allowRawInterimWrites(false);
 * assert.equal(rawInterimWritesWork(outgoing), false);
 * allowRawInterimWrites(true);
 * ```
 */
export function allowRawInterimWrites(allow: boolean): void {
  rawAllowed = allow;
}

function informationWriter(outgoing: ServerResponseLike): InformationWriter | undefined {
  const writeInformation = (outgoing as unknown as { writeInformation?: InformationWriter })
    .writeInformation;
  return typeof writeInformation === "function" && writeInformationTakesLists()
    ? writeInformation
    : undefined;
}

function trustedRawWriter(outgoing: ServerResponseLike): RawWriter | undefined {
  if (!rawAllowed || !rawInterimWritesWork(outgoing)) return undefined;
  return (outgoing as unknown as { _writeRaw: RawWriter })._writeRaw;
}

function ownWriterUsesRaw(outgoing: ServerResponseLike): boolean {
  for (const name of ["writeInformation", "writeEarlyHints"]) {
    const method = (outgoing as unknown as Indexable)[name];
    if (typeof method !== "function") continue;
    try {
      if (Function.prototype.toString.call(method).includes("_writeRaw")) return true;
    } catch {
      // A proxy or an exotic function: not something we can read.
    }
  }
  return false;
}

function writeThroughPublicMethods(
  outgoing: ServerResponseLike,
  status: number,
  headers: InterimFieldList,
): InterimWriteOutcome {
  if (status === 100 && headers.length === 0) outgoing.writeContinue();
  else if (status === 102 && headers.length === 0) {
    const writeProcessing = (outgoing as unknown as { writeProcessing?: () => void })
      .writeProcessing;
    if (typeof writeProcessing !== "function") return "unsupported";
    writeProcessing.call(outgoing);
  } else if (status === 103 && headers.some(([name]) => name === "link")) {
    const hints: Record<string, string | string[]> = {};
    for (const [name, value] of headers) {
      const previous = hints[name];
      hints[name] = previous === undefined
        ? value
        : Array.isArray(previous)
        ? [...previous, value]
        : [previous, value];
    }
    outgoing.writeEarlyHints(hints);
  } else return "unsupported";
  return "sent";
}

/** The fields as `writeInformation` and `writeHead` take a raw list. */
function flatFieldList(headers: InterimFieldList): string[] {
  const list = new Array<string>(headers.length * 2);
  for (let i = 0; i < headers.length; i++) {
    const field = headers[i]!;
    list[2 * i] = field[0];
    list[2 * i + 1] = field[1];
  }
  return list;
}
