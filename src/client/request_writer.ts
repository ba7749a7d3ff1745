/**
 * Writes a request on a client socket: the head, then the body (a small one
 * in the same write, a stream with chunked coding and backpressure), or the
 * head alone while `Expect: 100-continue` holds the body back. It moves the
 * exchange through `hold-body`, `release-body` and `request-written`.
 *
 * @module
 */

import { encodeChunk, LAST_CHUNK } from "../http1/serialize.ts";
import type { Socket } from "../runtime/types.ts";
import type { Exchange } from "./exchange.ts";
import { requestBodyLockedError, requestBodyReadError } from "./exchange_errors.ts";
import { chunkBytes, declaredLengthError, type RequestBody } from "./request_body.ts";
import { startTimer } from "./timer.ts";

/** Bodies up to this size are written together with the head, in one write. */
const COALESCE_BYTES = 16 * 1024;

/** Ends an exchange with an error (the connection's). */
export type FailExchange = (exchange: Exchange, error: unknown) => void;

/**
 * Starts writing a request.
 *
 * @param exchange The exchange, in phase `writing`.
 * @param socket Where to write.
 * @param fail Ends the exchange when the body cannot be read.
 */
export function writeRequest(exchange: Exchange, socket: Socket, fail: FailExchange): void {
  const { head, body } = exchange.request;
  if (body === null) {
    socket.write(head);
    exchange.advance("request-written");
    return;
  }
  if (exchange.request.expectContinue) {
    socket.write(head);
    holdBody(exchange, socket, fail);
    return;
  }
  if (body.kind === "bytes" && body.bytes.byteLength <= COALESCE_BYTES) {
    const joined = new Uint8Array(head.byteLength + body.bytes.byteLength);
    joined.set(head, 0);
    joined.set(body.bytes, head.byteLength);
    socket.write(joined);
    exchange.advance("request-written");
    return;
  }
  socket.write(head);
  writeBody(exchange, socket, body, fail);
}

/**
 * `100 Continue` arrived, or the wait for it ended: the held body goes out.
 * Does nothing unless the exchange is in `awaiting-continue`.
 *
 * @param exchange The exchange.
 * @param socket Where to write.
 * @param fail Ends the exchange when the body cannot be read.
 */
export function releaseBody(exchange: Exchange, socket: Socket, fail: FailExchange): void {
  if (exchange.phase !== "awaiting-continue") return;
  exchange.advance("release-body");
  writeBody(exchange, socket, exchange.request.body!, fail);
}

/** RFC 9110 section 10.1.1: hold the body until 100, a timeout, or a final response. */
function holdBody(exchange: Exchange, socket: Socket, fail: FailExchange): void {
  exchange.advance("hold-body");
  exchange.continueTimer = startTimer(
    exchange.request.expectContinueTimeout,
    () => releaseBody(exchange, socket, fail),
  );
}

function writeBody(
  exchange: Exchange,
  socket: Socket,
  body: RequestBody,
  fail: FailExchange,
): void {
  if (body.kind === "bytes") {
    // The adapter queues it; the next request's bytes follow in order.
    socket.write(body.bytes);
    exchange.advance("request-written");
    return;
  }
  pumpBody(exchange, socket, body.stream, body.length, fail).catch(() => {
    // pumpBody reports its own failures; never an unhandled rejection.
  });
}

/**
 * Streams a body with chunked coding (RFC 9112 section 7.1), or as it is
 * when its length was declared (held to it), honouring backpressure.
 */
async function pumpBody(
  exchange: Exchange,
  socket: Socket,
  stream: ReadableStream<unknown>,
  declared: number | undefined,
  fail: FailExchange,
): Promise<void> {
  let sent = 0;
  let reader: ReadableStreamDefaultReader<unknown>;
  try {
    reader = stream.getReader();
  } catch (error) {
    fail(exchange, requestBodyLockedError(error));
    return;
  }
  try {
    for (;;) {
      const result = await reader.read();
      if (exchange.ended || socket.closed) {
        reader.cancel().catch(() => {});
        return;
      }
      if (result.done) {
        const short = declaredLengthError(declared, sent, true);
        if (short !== undefined) {
          fail(exchange, short);
          return;
        }
        if (declared === undefined) socket.write(LAST_CHUNK);
        exchange.advance("request-written");
        return;
      }
      const bytes = chunkBytes(result.value);
      if (bytes.byteLength === 0) continue;
      sent += bytes.byteLength;
      const long = declaredLengthError(declared, sent, false);
      if (long !== undefined) throw long;
      const wire = declared === undefined ? encodeChunk(bytes) : bytes;
      if (!socket.write(wire)) await socket.drained();
    }
  } catch (error) {
    reader.cancel(error).catch(() => {});
    if (!exchange.ended) fail(exchange, requestBodyReadError(error));
  }
}
