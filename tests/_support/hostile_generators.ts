/**
 * Test support: fast-check generators of valid HTTP/1.1 request and response
 * streams (with their expected parse), byte mutations, and a bounded driver
 * that runs the engine's parsers over a stream split at arbitrary points and
 * normalises what they emit, so two parses can be compared with `deepEqual`.
 *
 * @module
 */

import fc from "fast-check";
import { Http1Error } from "../../src/http1/errors.ts";
import { RequestParser } from "../../src/http1/request_parser.ts";
import { ResponseParser } from "../../src/http1/response_parser.ts";
import type { HeaderList } from "../../src/http1/types.ts";

// ---------------------------------------------------------------- bytes

/** Latin1 text to bytes (one byte per UTF-16 unit below 256). */
export function latin1Bytes(text: string): Uint8Array {
  const bytes = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) bytes[i] = text.charCodeAt(i) & 0xff;
  return bytes;
}

/** Bytes to latin1 text. */
export function latin1Text(bytes: Uint8Array): string {
  let text = "";
  for (let i = 0; i < bytes.length; i += 4096) {
    text += String.fromCharCode(...bytes.subarray(i, i + 4096));
  }
  return text;
}

/** Splits `bytes` at `cuts` (offsets modulo the length), in order, never into empty pieces. */
export function splitBytes(bytes: Uint8Array, cuts: readonly number[]): Uint8Array[] {
  if (bytes.length === 0) return [];
  const points = [...new Set(cuts.map((cut) => cut % bytes.length).filter((cut) => cut > 0))]
    .sort((a, b) => a - b);
  const pieces: Uint8Array[] = [];
  let from = 0;
  for (const point of points) {
    pieces.push(bytes.slice(from, point));
    from = point;
  }
  pieces.push(bytes.slice(from));
  return pieces;
}

// ---------------------------------------------------------------- pieces of messages

const TCHARS = "!#$%&'*+-.^_`|~0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ";
const VCHARS = Array.from({ length: 0x7e - 0x21 + 1 }, (_, i) => String.fromCharCode(0x21 + i))
  .join("");
const OBS_TEXT = "\x80\xa0\xc3\xa9\xff";

/** A token (RFC 9110 section 5.6.2). */
export const tokenArb: fc.Arbitrary<string> = fc
  .array(fc.constantFrom(...TCHARS), { minLength: 1, maxLength: 10 })
  .map((chars) => chars.join(""));

/** A field value without leading or trailing whitespace (what the parser returns). */
export const fieldValueArb: fc.Arbitrary<string> = fc
  .array(
    fc.oneof(
      { weight: 8, arbitrary: fc.constantFrom(...VCHARS) },
      { weight: 2, arbitrary: fc.constantFrom(" ", "\t") },
      { weight: 1, arbitrary: fc.constantFrom(...OBS_TEXT) },
    ),
    { maxLength: 24 },
  )
  .map((chars) => chars.join("").replace(/^[ \t]+|[ \t]+$/g, ""));

/** An extension field `x-<token>` (never a framing or connection field). */
const fieldArb: fc.Arbitrary<[string, string]> = fc.tuple(
  tokenArb.map((name) => `x-${name}`),
  fieldValueArb,
);

/** Optional whitespace around a value on the wire. */
const owsArb = fc.constantFrom("", "", " ", "\t", "  ");

/** A field name spelled in random case. */
function casedArb(name: string): fc.Arbitrary<string> {
  return fc.array(fc.boolean(), { minLength: name.length, maxLength: name.length }).map((upper) =>
    [...name].map((char, i) => (upper[i] ? char.toUpperCase() : char)).join("")
  );
}

const bodyBytesArb = fc
  .array(fc.integer({ min: 0, max: 255 }), { minLength: 1, maxLength: 64 })
  .map((values) => String.fromCharCode(...values));

/** A chunk with an optional chunk extension (RFC 9112 section 7.1.1). */
const chunkArb = fc.record({
  data: bodyBytesArb,
  ext: fc.constantFrom("", "", ";a", ";a=b", ';name="quoted"', " ;x=1"),
  upperHex: fc.boolean(),
  zeros: fc.constantFrom("", "", "0", "00"),
});

/** A body and how it is framed. */
export type BodyModel =
  | { readonly kind: "none" }
  | { readonly kind: "length"; readonly data: string }
  | {
    readonly kind: "chunked";
    readonly chunks: ReadonlyArray<
      { data: string; ext: string; upperHex: boolean; zeros: string }
    >;
    readonly trailers: HeaderList;
  };

const bodyArb: fc.Arbitrary<BodyModel> = fc.oneof(
  fc.constant({ kind: "none" as const }),
  bodyBytesArb.map((data) => ({ kind: "length" as const, data })),
  fc.record({
    kind: fc.constant("chunked" as const),
    chunks: fc.array(chunkArb, { maxLength: 4 }),
    trailers: fc.array(fieldArb, { maxLength: 2 }),
  }),
);

function encodeBody(body: BodyModel): string {
  if (body.kind === "none") return "";
  if (body.kind === "length") return body.data;
  let text = "";
  for (const chunk of body.chunks) {
    const size = chunk.data.length.toString(16);
    text += `${chunk.zeros}${
      chunk.upperHex ? size.toUpperCase() : size
    }${chunk.ext}\r\n${chunk.data}\r\n`;
  }
  text += "0\r\n";
  for (const [name, value] of body.trailers) text += `${name}: ${value}\r\n`;
  return `${text}\r\n`;
}

/** Field names as the parsers report them: lower-cased. */
function lower(fields: HeaderList): HeaderList {
  return fields.map(([name, value]) => [name.toLowerCase(), value]);
}

function bodyData(body: BodyModel): string {
  if (body.kind === "none") return "";
  if (body.kind === "length") return body.data;
  return body.chunks.map((chunk) => chunk.data).join("");
}

// ---------------------------------------------------------------- what a parse looks like

/** One message as the parsers reported it, normalised. */
export interface ParsedMessage {
  /** The head event without `kind`, or the interim head. */
  readonly head: Record<string, unknown>;
  /** The body bytes, as latin1 (data events joined). */
  body: string;
  /** The trailers, or `undefined` while the message has not ended. */
  trailers: HeaderList | undefined;
}

/** Everything a parse produced. */
export interface ParseOutcome {
  /** The messages in order (interim responses are messages without body). */
  readonly messages: ParsedMessage[];
  /** The engine error's code, if the parse failed. */
  error: string | undefined;
}

/** A failure of the engine that is not an `Http1Error` (a crash) or a loop without progress. */
export class EngineDefect extends Error {
  /**
   * @param message What went wrong.
   * @param options The underlying error.
   */
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "EngineDefect";
  }
}

interface PullParser {
  push(chunk: Uint8Array): void;
  next(): { kind: string } | undefined;
  finish(): void;
}

/**
 * Pushes `pieces` one by one into `parser`, pulling every event after each,
 * then signals EOF when `eof`, and returns the normalised outcome. Throws an
 * {@linkcode EngineDefect} for any exception that is not an `Http1Error` or
 * when the parser emits more events than the input can justify.
 *
 * @param parser A `RequestParser` or `ResponseParser` (with `expect()` done).
 * @param pieces The input, split.
 * @param eof Whether to call `finish()` at the end.
 * @returns The messages and the error code, if any.
 */
export function drive(
  parser: PullParser,
  pieces: readonly Uint8Array[],
  eof: boolean,
): ParseOutcome {
  const outcome: ParseOutcome = { messages: [], error: undefined };
  let total = 0;
  for (const piece of pieces) total += piece.length;
  // Every event consumes at least one byte, except `end` and heads without
  // body; a few per byte is far more than any honest parse needs.
  let budget = total * 3 + 64;
  const pull = () => {
    for (;;) {
      if (--budget < 0) throw new EngineDefect("the parser emitted events without consuming input");
      let event;
      try {
        event = parser.next();
      } catch (error) {
        if (error instanceof Http1Error) {
          outcome.error = error.code;
          return false;
        }
        throw new EngineDefect(`next() threw a non-Http1Error: ${String(error)}`, { cause: error });
      }
      if (event === undefined) return true;
      record(outcome, event as unknown as Record<string, unknown>);
    }
  };
  for (const piece of pieces) {
    try {
      parser.push(piece);
    } catch (error) {
      throw new EngineDefect(`push() threw: ${String(error)}`, { cause: error });
    }
    if (!pull()) return outcome;
  }
  if (eof) {
    parser.finish();
    pull();
  }
  return outcome;
}

function record(outcome: ParseOutcome, event: Record<string, unknown>): void {
  const kind = event["kind"];
  const messages = outcome.messages;
  const last = messages[messages.length - 1];
  if (kind === "data") {
    const data = event["data"] as Uint8Array;
    if (last === undefined || last.trailers !== undefined) {
      throw new EngineDefect("data outside a message");
    }
    if (data.length === 0) throw new EngineDefect("an empty data event");
    last.body += latin1Text(data);
  } else if (kind === "end") {
    if (last === undefined || last.trailers !== undefined) {
      throw new EngineDefect("end outside a message");
    }
    last.trailers = event["trailers"] as HeaderList;
  } else {
    const head = { ...event };
    messages.push({ head, body: "", trailers: kind === "informational" ? [] : undefined });
  }
}

// ---------------------------------------------------------------- requests

/** A generated request and its expected parse. */
export interface RequestModel {
  readonly method: string;
  readonly target: string;
  readonly minorVersion: 0 | 1;
  readonly fields: HeaderList;
  readonly body: BodyModel;
  readonly connection: "" | "close" | "keep-alive";
  readonly wire: string;
}

const requestArb: fc.Arbitrary<RequestModel> = fc
  .record({
    method: fc.oneof(fc.constantFrom("GET", "POST", "PUT", "DELETE", "PATCH", "OPTIONS"), tokenArb),
    path: fc.array(fc.constantFrom(..."abcXYZ019-._~!$&'()*+,;=:@/%?"), { maxLength: 20 }),
    minorVersion: fc.constantFrom<0 | 1>(1, 1, 1, 0),
    fields: fc.array(fieldArb, { maxLength: 6 }),
    body: bodyArb,
    connection: fc.constantFrom<"" | "close" | "keep-alive">("", "", "close", "keep-alive"),
    hostName: casedArb("host"),
    lengthName: casedArb("content-length"),
    codingName: casedArb("transfer-encoding"),
    coding: casedArb("chunked"),
    before: owsArb,
    after: owsArb,
    leadingCrlf: fc.constantFrom("", "", "", "\r\n"),
  })
  .map((r) => {
    // HTTP/1.0 has no chunked coding (RFC 9112 section 6.1).
    const body: BodyModel = r.minorVersion === 0 && r.body.kind === "chunked"
      ? { kind: "length", data: "x" }
      : r.body;
    const target = `/${r.path.join("")}`;
    let head = `${r.leadingCrlf}${r.method} ${target} HTTP/1.${r.minorVersion}\r\n`;
    head += `${r.hostName}:${r.before}example.test${r.after}\r\n`;
    for (const [name, value] of r.fields) head += `${name}:${r.before}${value}${r.after}\r\n`;
    if (body.kind === "length") head += `${r.lengthName}: ${body.data.length}\r\n`;
    if (body.kind === "chunked") head += `${r.codingName}:${r.before}${r.coding}${r.after}\r\n`;
    if (r.connection !== "") head += `Connection: ${r.connection}\r\n`;
    return {
      method: r.method,
      target,
      minorVersion: r.minorVersion,
      fields: r.fields,
      body,
      connection: r.connection,
      wire: `${head}\r\n${encodeBody(body)}`,
    };
  });

/** One to four pipelined requests. */
export const requestStreamArb: fc.Arbitrary<RequestModel[]> = fc.array(requestArb, {
  minLength: 1,
  maxLength: 4,
});

/**
 * Checks a parse of a request stream against the model; returns the first
 * difference, or undefined.
 *
 * @param models The generated requests.
 * @param outcome What the parser emitted.
 * @returns A description of the first mismatch.
 */
export function compareRequests(
  models: readonly RequestModel[],
  outcome: ParseOutcome,
): string | undefined {
  if (outcome.error !== undefined) return `error ${outcome.error}`;
  if (outcome.messages.length !== models.length) {
    return `${outcome.messages.length} messages for ${models.length} requests`;
  }
  for (const [i, model] of models.entries()) {
    const message = outcome.messages[i]!;
    const head = message.head;
    const expected = {
      method: model.method,
      target: model.target,
      minorVersion: model.minorVersion,
      framing: model.body.kind,
      keepAlive: model.minorVersion === 1
        ? model.connection !== "close"
        : model.connection === "keep-alive",
    };
    const actual = {
      method: head["method"],
      target: head["target"],
      minorVersion: head["minorVersion"],
      framing: head["framing"],
      keepAlive: head["keepAlive"],
    };
    if (JSON.stringify(actual) !== JSON.stringify(expected)) {
      return `request ${i}: ${JSON.stringify(actual)} != ${JSON.stringify(expected)}`;
    }
    const fields = (head["headers"] as HeaderList).filter(([name]) => name.startsWith("x-"));
    if (JSON.stringify(fields) !== JSON.stringify(lower(model.fields))) {
      return `request ${i}: fields ${JSON.stringify(fields)} != ${JSON.stringify(model.fields)}`;
    }
    if (message.body !== bodyData(model.body)) return `request ${i}: body differs`;
    const trailers = model.body.kind === "chunked" ? lower(model.body.trailers) : [];
    if (JSON.stringify(message.trailers) !== JSON.stringify(trailers)) {
      return `request ${i}: trailers ${JSON.stringify(message.trailers)}`;
    }
  }
  return undefined;
}

/**
 * Parses request bytes split into pieces.
 *
 * @param pieces The input.
 * @param eof Whether the peer closed after them.
 * @returns The outcome.
 */
export function parseRequests(pieces: readonly Uint8Array[], eof = false): ParseOutcome {
  return drive(new RequestParser() as unknown as PullParser, pieces, eof);
}

// ---------------------------------------------------------------- responses

/** A generated exchange's response (after its interim responses) and its expected parse. */
export interface ResponseModel {
  readonly method: string;
  readonly interim: ReadonlyArray<{ status: number; fields: HeaderList }>;
  readonly status: number;
  readonly fields: HeaderList;
  /** The body framing on the wire ("close" only for the last response). */
  readonly framing: "length" | "chunked" | "close";
  readonly data: string;
  readonly trailers: HeaderList;
  readonly wire: string;
}

const responseParts = fc.record({
  method: fc.constantFrom("GET", "GET", "POST", "HEAD"),
  interim: fc.array(
    fc.record({
      status: fc.constantFrom(100, 102, 103, 103, 103, 150, 199),
      fields: fc.array(fieldArb, { maxLength: 3 }),
      reason: fc.constantFrom("", "Early Hints", "Whatever"),
    }),
    { maxLength: 3 },
  ),
  status: fc.constantFrom(200, 200, 201, 204, 206, 299, 301, 304, 404, 500, 599, 999),
  reason: fc.constantFrom("", "OK", "Fine Thanks", "caf\xe9"),
  noSpace: fc.boolean(),
  fields: fc.array(fieldArb, { maxLength: 5 }),
  framing: fc.constantFrom<"length" | "chunked" | "close">("length", "chunked", "close"),
  data: fc.oneof(fc.constant(""), bodyBytesArb),
  chunks: fc.array(chunkArb, { maxLength: 3 }),
  trailers: fc.array(fieldArb, { maxLength: 2 }),
  bareLf: fc.constantFrom(false, false, false, true),
});

/**
 * One to three exchanges' responses; only the last may be delimited by close.
 */
export const responseStreamArb: fc.Arbitrary<ResponseModel[]> = fc
  .array(responseParts, { minLength: 1, maxLength: 3 })
  .map((list) =>
    list.map((r, index) => {
      const last = index === list.length - 1;
      const framing = r.framing === "close" && !last ? "length" : r.framing;
      const eol = r.bareLf ? "\n" : "\r\n";
      let wire = "";
      for (const hint of r.interim) {
        wire += `HTTP/1.1 ${hint.status} ${hint.reason}${eol}`;
        for (const [name, value] of hint.fields) wire += `${name}: ${value}${eol}`;
        wire += eol;
      }
      wire += r.noSpace && r.reason === ""
        ? `HTTP/1.1 ${r.status}${eol}`
        : `HTTP/1.1 ${r.status} ${r.reason}${eol}`;
      for (const [name, value] of r.fields) wire += `${name}: ${value}${eol}`;
      // RFC 9110 6.4.1: no body for HEAD, 1xx, 204, 304 whatever the fields say.
      const bodiless = r.method === "HEAD" || r.status === 204 || r.status === 304;
      const chunks = r.chunks;
      let data = framing === "chunked" ? chunks.map((chunk) => chunk.data).join("") : r.data;
      let trailers: HeaderList = framing === "chunked" ? r.trailers : [];
      if (framing === "length") wire += `content-length: ${data.length}${eol}`;
      if (framing === "chunked") wire += `transfer-encoding: chunked${eol}`;
      if (framing === "close" && !bodiless) wire += `connection: close${eol}`;
      wire += eol;
      if (bodiless) {
        data = "";
        trailers = [];
      } else if (framing === "chunked") {
        wire += encodeBody({ kind: "chunked", chunks, trailers });
      } else wire += data;
      return {
        method: r.method,
        interim: r.interim.map((hint) => ({ status: hint.status, fields: hint.fields })),
        status: r.status,
        fields: r.fields,
        framing,
        data,
        trailers,
        wire,
      };
    })
  )
  // A bodiless close-delimited response would end the stream early: drop what follows.
  .map((list) => {
    const cut = list.findIndex((r) =>
      r.framing === "close" && (r.method === "HEAD" || r.status === 204 || r.status === 304)
    );
    return cut === -1 ? list : list.slice(0, cut + 1);
  });

/**
 * Parses response bytes split into pieces, after `expect()` for each method.
 *
 * @param methods The request methods, in order.
 * @param pieces The input.
 * @param eof Whether the peer closed after them.
 * @returns The outcome.
 */
export function parseResponses(
  methods: readonly string[],
  pieces: readonly Uint8Array[],
  eof = true,
): ParseOutcome {
  const parser = new ResponseParser();
  for (const method of methods) parser.expect(method);
  return drive(parser as unknown as PullParser, pieces, eof);
}

/**
 * Checks a parse of a response stream against the model.
 *
 * @param models The generated responses.
 * @param outcome What the parser emitted.
 * @returns A description of the first mismatch, or undefined.
 */
export function compareResponses(
  models: readonly ResponseModel[],
  outcome: ParseOutcome,
): string | undefined {
  if (outcome.error !== undefined) return `error ${outcome.error}`;
  const expected: string[] = [];
  for (const model of models) {
    for (const hint of model.interim) {
      expected.push(JSON.stringify(["informational", hint.status, lower(hint.fields)]));
    }
    expected.push(
      JSON.stringify([
        "response",
        model.status,
        lower(model.fields),
        model.data,
        lower(model.trailers),
      ]),
    );
  }
  const actual = outcome.messages.map((message) => {
    const head = message.head;
    const fields = (head["headers"] as HeaderList).filter(([name]) => name.startsWith("x-"));
    return head["kind"] === "informational"
      ? JSON.stringify(["informational", head["status"], fields])
      : JSON.stringify(["response", head["status"], fields, message.body, message.trailers]);
  });
  for (let i = 0; i < Math.max(expected.length, actual.length); i++) {
    if (expected[i] !== actual[i]) return `message ${i}: ${actual[i]} != ${expected[i]}`;
  }
  return undefined;
}

// ---------------------------------------------------------------- mutations

const INTERESTING = [
  "\r",
  "\n",
  "\r\n",
  "\x00",
  " ",
  "\t",
  ":",
  ",",
  ";",
  "0",
  "f",
  "-",
  "\x7f",
  "\xff",
  "chunked",
  "\r\n\r\n",
  "content-length: 5\r\n",
  "transfer-encoding: chunked\r\n",
  "ffffffffffffffff",
  "HTTP/1.1 103 Early Hints\r\n\r\n",
  "GET /smuggled HTTP/1.1\r\nHost: x\r\n\r\n",
];

/** One edit of a byte stream. */
export interface Mutation {
  readonly op: "set" | "insert" | "delete" | "duplicate" | "truncate";
  readonly at: number;
  readonly length: number;
  readonly byte: number;
  readonly text: string;
}

/** Up to five random edits. */
export const mutationsArb: fc.Arbitrary<Mutation[]> = fc.array(
  fc.record({
    op: fc.constantFrom<Mutation["op"]>(
      "set",
      "set",
      "insert",
      "insert",
      "delete",
      "duplicate",
      "truncate",
    ),
    at: fc.nat(),
    length: fc.integer({ min: 1, max: 24 }),
    byte: fc.integer({ min: 0, max: 255 }),
    text: fc.constantFrom(...INTERESTING),
  }),
  { minLength: 1, maxLength: 5 },
);

/**
 * Applies edits to latin1 text.
 *
 * @param text The valid stream.
 * @param mutations The edits.
 * @returns The mutated stream.
 */
export function mutate(text: string, mutations: readonly Mutation[]): string {
  let out = text;
  for (const m of mutations) {
    const at = out.length === 0 ? 0 : m.at % out.length;
    switch (m.op) {
      case "set":
        out = out.slice(0, at) + String.fromCharCode(m.byte) + out.slice(at + 1);
        break;
      case "insert":
        out = out.slice(0, at) + (m.byte % 2 === 0 ? m.text : String.fromCharCode(m.byte)) +
          out.slice(at);
        break;
      case "delete":
        out = out.slice(0, at) + out.slice(at + m.length);
        break;
      case "duplicate":
        out = out.slice(0, at + m.length) + out.slice(at, at + m.length) + out.slice(at + m.length);
        break;
      case "truncate":
        out = out.slice(0, at);
        break;
    }
  }
  return out;
}

/** Split points for a stream (offsets, taken modulo its length). */
export const cutsArb: fc.Arbitrary<number[]> = fc.array(fc.nat(), { maxLength: 12 });
