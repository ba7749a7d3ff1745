/**
 * Turns an exchange's final response into a standard `Response`, decoding
 * the body as `fetch` does and setting `url` and `redirected`.
 *
 * @module
 */

import type { ExchangeResponse } from "./exchange.ts";
import { codingsToUndo, decodeBody } from "./decode.ts";
import { FetchError } from "./errors.ts";
import { headerValue } from "./request.ts";
import type { FetchResponse } from "./types.ts";

/**
 * Builds the `Response` handed to the caller.
 *
 * `url` and `redirected` are getters on `Response.prototype` that a
 * constructed `Response` cannot set, so they become own properties of the
 * instance, shadowing the getters (checked on Deno, Bun and Node); so do
 * `informational` and `rawHeaders`. The object stays a plain `Response`.
 *
 * @param href The URL of the last request, without its fragment (as fetch shows it).
 * @param exchange The final response.
 * @param redirected Whether redirects were followed to get here.
 * @param decompress Whether to undo content codings (`init.decompress`).
 * @returns The response.
 * @throws {FetchError} `UNSUPPORTED_STATUS` when `Response` refuses the status or reason.
 */
export function buildResponse(
  href: string,
  exchange: ExchangeResponse,
  redirected: boolean,
  decompress = true,
): FetchResponse {
  const head = exchange.head;
  let body: Uint8Array | ReadableStream<Uint8Array> | null = exchange.body;
  if (body !== null && decompress) {
    const contentEncoding = headerValue(head.headers, "content-encoding");
    const codings = contentEncoding === undefined ? null : codingsToUndo(contentEncoding);
    if (codings !== null) {
      if (body instanceof Uint8Array) {
        body = body.byteLength === 0 ? body : decodeBody(bytesStream(body), codings);
      } else body = decodeBody(body, codings);
    }
  }
  let response: Response;
  try {
    response = new Response(body as BodyInit | null, {
      status: head.status,
      statusText: head.reason,
      headers: head.headers,
    });
  } catch (error) {
    if (body instanceof ReadableStream) body.cancel().catch(() => {});
    throw new FetchError(
      "UNSUPPORTED_STATUS",
      `a fetch Response cannot represent status ${head.status} ${
        JSON.stringify(head.reason)
      } with these headers: ${(error as Error).message}`,
      { cause: error },
    );
  }
  Object.defineProperty(response, "url", { value: href });
  if (redirected) Object.defineProperty(response, "redirected", { value: true });
  Object.defineProperty(response, "informational", { value: exchange.informational });
  Object.defineProperty(response, "rawHeaders", { value: head.headers });
  return response as FetchResponse;
}

function bytesStream(bytes: Uint8Array): ReadableStream<Uint8Array> {
  return new ReadableStream<Uint8Array>({
    start(controller) {
      controller.enqueue(bytes);
      controller.close();
    },
  });
}
