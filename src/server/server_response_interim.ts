/**
 * Writing an interim response through a `node:http` `ServerResponse`,
 * found by duck typing (no `node:` import): used by the `node-http` backend
 * and by Hono's `hint()` under `@hono/node-server`, which hands the
 * `ServerResponse` to handlers as `c.env.outgoing`.
 *
 * The public `writeInformation(status, headers)` (Node 24.19+, 26.2+, Bun
 * 1.4) sends any 1xx with any fields, in order with the response, pipelining
 * included; it is used wherever it exists and takes a field list (not on
 * Deno, see src/runtime/write_information.ts). Elsewhere (Node 22, Deno),
 * `writeEarlyHints()` sends a 103 only when the hints include `link`, so the
 * bytes are encoded by our engine and written through the response's
 * raw-output path `_writeRaw` (what `writeEarlyHints` uses inside), with the
 * same ordering. Without either, the public `writeContinue` (100),
 * `writeProcessing` (102) and `writeEarlyHints` (103 with `link`) are used;
 * anything else reports `"unsupported"`. This module is browser compatible.
 *
 * @module
 */

import { encodeInformational } from "../http1/serialize.ts";
import type { HeaderList } from "../http1/types.ts";
import {
  HTTP10,
  lateResultOf,
  SENT,
  type ServerResponseState,
  UNSUPPORTED,
} from "./informational_results.ts";
import type { InformationalResult } from "./types.ts";
import { writeInformationTakesLists } from "../runtime/write_information.ts";

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
 * Writes a validated interim response through a `ServerResponse`.
 *
 * @param outgoing The response being prepared.
 * @param incoming Its request, for the HTTP version.
 * @param status 100-199 except 101.
 * @param headers Validated fields.
 * @returns Whether it was sent, and why not: too late (`"final-response-started"`,
 * `"finished"`, `"closed"`; never a throw), HTTP/1.0, or unsupported here.
 */
export function writeInterimToServerResponse(
  outgoing: ServerResponseLike,
  incoming: IncomingMessageLike | undefined,
  status: number,
  headers: HeaderList,
): InformationalResult {
  // Too late (a timer firing after the response, a client gone): say so
  // rather than let node:http throw ERR_HTTP_HEADERS_SENT.
  const late = lateResultOf(outgoing);
  if (late !== undefined) return late;
  if (
    incoming !== undefined && incoming.httpVersionMajor === 1 && incoming.httpVersionMinor === 0
  ) {
    return HTTP10;
  }
  const writeInformation = (outgoing as unknown as { writeInformation?: InformationWriter })
    .writeInformation;
  if (typeof writeInformation === "function" && writeInformationTakesLists()) {
    writeInformation.call(outgoing, status, flatFieldList(headers));
    return SENT;
  }
  const writeRaw = (outgoing as unknown as { _writeRaw?: RawWriter })._writeRaw;
  if (typeof writeRaw === "function") {
    writeRaw.call(outgoing, encodeInformational(status, headers));
    return SENT;
  }
  if (status === 100 && headers.length === 0) outgoing.writeContinue();
  else if (status === 102 && headers.length === 0) {
    const writeProcessing = (outgoing as unknown as { writeProcessing?: () => void })
      .writeProcessing;
    if (typeof writeProcessing !== "function") return UNSUPPORTED;
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
  } else return UNSUPPORTED;
  return SENT;
}

/** The fields as `writeInformation` and `writeHead` take a raw list. */
function flatFieldList(headers: HeaderList): string[] {
  const list = new Array<string>(headers.length * 2);
  for (let i = 0; i < headers.length; i++) {
    const field = headers[i]!;
    list[2 * i] = field[0];
    list[2 * i + 1] = field[1];
  }
  return list;
}
