/**
 * The sans-IO HTTP/1.1 engine of interim: bytes in, events out; messages
 * in, bytes out. No sockets, no timers, no runtime globals.
 *
 * - {@linkcode RequestParser} (server side) and {@linkcode ResponseParser}
 *   (client side) are pull parsers in the style of h11: `push()` bytes, call
 *   `next()` until it returns undefined, `finish()` on EOF. Interim (1xx)
 *   responses are `informational` events of their own.
 * - The serialisers (`encodeRequestHead`, `encodeInformational`,
 *   `encodeResponseHead`, `encodeChunk`, `LAST_CHUNK`, `encodeLastChunk`)
 *   validate every name and value.
 *
 * Both parsers follow RFC 9110 and RFC 9112 strictly by default. Bare LF
 * policy (RFC 9112 section 2.2 lets a recipient accept a bare LF as a line
 * terminator): the request parser rejects it (BAD_SYNTAX) unless
 * `allowBareLf: true`, because a proxy in front that reads lines differently
 * turns the difference into request smuggling; the response parser accepts
 * it, as Go and browsers do, unless `allowBareLf: false`. Content-Length with
 * Transfer-Encoding is rejected in requests and, by default, in responses.
 *
 * @example A 103 Early Hints round trip
 * ```ts
 * import assert from "node:assert/strict";
 * import { encodeInformational, encodeResponseHead, ResponseParser } from "./mod.ts";
 * const parser = new ResponseParser();
 * parser.expect("GET");
 * parser.push(encodeInformational(103, [["x-pod-name", "worker-1"]]));
 * parser.push(encodeResponseHead(204, undefined, []));
 * const hint = parser.next();
 * assert.ok(hint?.kind === "informational" && hint.headers[0]?.[1] === "worker-1");
 * assert.ok(parser.next()?.kind === "response");
 * assert.ok(parser.next()?.kind === "end");
 * ```
 *
 * @module
 */

export * from "./errors.ts";
export * from "./types.ts";
export * from "./request_parser.ts";
export * from "./response_parser.ts";
export * from "./serialize.ts";
export * from "./validate.ts";
export * from "./reason_phrase.ts";
export * from "./response_framing.ts";
export * from "./response_sender.ts";
