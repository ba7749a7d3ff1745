/**
 * Turns any `BodyInit` into what goes on the wire: bytes with a known length
 * (sent with `Content-Length`, replayable on redirects and retries) or a
 * `ReadableStream` (sent chunked, or with a declared length, once).
 *
 * @module
 */

import { FetchError } from "./errors.ts";

/** A request body ready to send. */
export type RequestBody =
  | {
    readonly kind: "bytes";
    readonly bytes: Uint8Array;
    /** The `Content-Type` implied by the body type, or `null`. */
    readonly contentType: string | null;
  }
  | {
    readonly kind: "stream";
    readonly stream: ReadableStream<unknown>;
    readonly contentType: null;
    /**
     * The length the caller declared with `Content-Length`: the stream is
     * sent with it rather than chunked, and must yield exactly that many
     * bytes. `undefined`: chunked.
     */
    readonly length?: number;
  };

const encoder = new TextEncoder();

/**
 * Extracts a request body, following the fetch standard's "extract a body":
 * strings are UTF-8 with `text/plain;charset=UTF-8`, `URLSearchParams` are
 * form-encoded, `Blob`s keep their type, `FormData` becomes multipart with a
 * boundary, buffers are copied (the caller may reuse them), and streams pass
 * through untouched.
 *
 * @param body The body given to `fetch`.
 * @returns The body, synchronously unless it must be read (`Blob`, `FormData`).
 * @throws {TypeError} When `body` is not a `BodyInit`.
 */
export function extractBody(
  body: BodyInit,
): RequestBody | Promise<RequestBody> {
  if (typeof body === "string") {
    return {
      kind: "bytes",
      bytes: encoder.encode(body),
      contentType: "text/plain;charset=UTF-8",
    };
  }
  if (body instanceof Uint8Array) {
    return { kind: "bytes", bytes: (body as Uint8Array).slice(), contentType: null };
  }
  if (ArrayBuffer.isView(body)) {
    const view = new Uint8Array(body.buffer, body.byteOffset, body.byteLength);
    return { kind: "bytes", bytes: view.slice(), contentType: null };
  }
  if (body instanceof ArrayBuffer) {
    return {
      kind: "bytes",
      bytes: new Uint8Array(body.slice(0)),
      contentType: null,
    };
  }
  if (body instanceof URLSearchParams) {
    return {
      kind: "bytes",
      bytes: encoder.encode(body.toString()),
      contentType: "application/x-www-form-urlencoded;charset=UTF-8",
    };
  }
  if (body instanceof ReadableStream) {
    return { kind: "stream", stream: body, contentType: null };
  }
  if (body instanceof Blob) {
    return readWhole(body, body.type === "" ? null : body.type, "the Blob body");
  }
  if (body instanceof FormData) {
    // The Response constructor implements multipart/form-data encoding and
    // picks the boundary; reading it back gives bytes plus the header.
    const response = new Response(body);
    return readResponseBody(response);
  }
  throw new TypeError(
    `fetch: unsupported request body type ${Object.prototype.toString.call(body)}`,
  );
}

/**
 * Reads the body of a `Request` or `Response` completely.
 *
 * A `Request` given as `fetch`'s input is read whole so it can be sent with
 * `Content-Length` and replayed on redirects; pass a `ReadableStream` as
 * `init.body` to stream an upload instead.
 *
 * @param message The request or response whose body to read.
 * @returns The bytes and the message's `Content-Type`.
 */
export function readResponseBody(
  message: Request | Response,
): Promise<RequestBody> {
  // Read the type first: Bun forgets a FormData boundary once the body is read.
  return readWhole(message, message.headers.get("content-type"), "the request body");
}

/** Reads a whole body as bytes; a failure is the caller's REQUEST_BODY_FAILED. */
async function readWhole(
  source: Blob | Request | Response,
  contentType: string | null,
  what: string,
): Promise<RequestBody> {
  try {
    return {
      kind: "bytes",
      bytes: new Uint8Array(await source.arrayBuffer()),
      contentType,
    };
  } catch (error) {
    throw new FetchError("REQUEST_BODY_FAILED", `reading ${what} failed`, { cause: error });
  }
}

/**
 * Checks a streamed body against its declared length as it is sent.
 *
 * @param declared The declared `Content-Length`, or `undefined` (chunked).
 * @param sent Bytes sent so far, this chunk included.
 * @param done Whether the stream has ended.
 * @returns The error when the stream broke its length, else `undefined`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { declaredLengthError } from "./request_body.ts";
 * assert.equal(declaredLengthError(5, 5, true), undefined);
 * assert.equal(declaredLengthError(5, 6, false)?.code, "REQUEST_BODY_FAILED");
 * assert.equal(declaredLengthError(5, 4, true)?.code, "REQUEST_BODY_FAILED");
 * ```
 */
export function declaredLengthError(
  declared: number | undefined,
  sent: number,
  done: boolean,
): FetchError | undefined {
  if (declared === undefined) return undefined;
  if (sent > declared || (done && sent < declared)) {
    return new FetchError(
      "REQUEST_BODY_FAILED",
      done
        ? `the request body stream ended after ${sent} bytes, short of its Content-Length ${declared}`
        : `the request body stream yielded ${sent} bytes, past its Content-Length ${declared}`,
    );
  }
  return undefined;
}

/**
 * Converts one chunk read from a request body stream to bytes.
 *
 * @param chunk What the stream yielded.
 * @returns The bytes to send.
 * @throws {FetchError} `REQUEST_BODY_FAILED` for a chunk that is not bytes.
 */
export function chunkBytes(chunk: unknown): Uint8Array {
  if (chunk instanceof Uint8Array) return chunk;
  if (ArrayBuffer.isView(chunk)) {
    return new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength);
  }
  if (chunk instanceof ArrayBuffer) return new Uint8Array(chunk);
  throw new FetchError(
    "REQUEST_BODY_FAILED",
    `request body stream yielded a ${
      Object.prototype.toString.call(chunk)
    }; only Uint8Array chunks can be sent`,
  );
}
