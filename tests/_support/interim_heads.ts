/**
 * Test support: the heads of raw response text in a form that compares
 * interim responses field by field, and what the pipelined any-1xx handler
 * of the informational tests sends.
 *
 * @module
 */

import assert from "node:assert/strict";
import { sendInformational } from "../../server.ts";
import { rawRequest } from "./server_raw.ts";
import { delay } from "./server_util.ts";

/**
 * Lists the heads of raw response text.
 *
 * @param text Received bytes as latin1.
 * @returns An interim head as `status field | field`, a final one as its status.
 *
 * @example
 * ```ts ignore
 * interimHeads("HTTP/1.1 103 Early Hints\r\nx: 1\r\n\r\n"); // ["103 x: 1"]
 * ```
 */
export function interimHeads(text: string): string[] {
  return [...text.matchAll(/HTTP\/1\.1 (\d{3})[^\r\n]*\r\n((?:[^\r\n]+\r\n)*)\r\n/g)]
    .map(([, status, fields]) =>
      status!.startsWith("1") ? `${status} ${fields!.trimEnd().split("\r\n").join(" | ")}` : status!
    );
}

/**
 * The interim heads the pipelined any-1xx handler sends for `path`.
 *
 * @param path The request's path.
 * @returns The heads as {@linkcode interimHeads} lists them.
 *
 * @example
 * ```ts ignore
 * pipelinedInterim("/one")[1]; // "103 x-hint: /one"
 * ```
 */
export function pipelinedInterim(path: string): string[] {
  return ["110 x-a: 1 | x-a: 2 | x-b: caf\u00e9", `103 x-hint: ${path}`, "102 ", "199 "];
}

/**
 * The pipelined any-1xx handler: a 110 with repeated and non-ASCII fields,
 * a 103 naming the path, a 102 and a 199, with pauses between, then the
 * final response naming the path.
 *
 * @param request The handler's request.
 * @returns The final response.
 */
export async function pipelinedInterimHandler(request: Request): Promise<Response> {
  const which = new URL(request.url).pathname;
  sendInformational(request, 110, [["x-a", "1"], ["x-a", "2"], ["x-b", "caf\u00e9"]]);
  await delay(5);
  sendInformational(request, 103, { "x-hint": which });
  sendInformational(request, 102);
  await delay(5);
  sendInformational(request, 199);
  return new Response(`final ${which}`);
}

/**
 * Sends two pipelined requests to a server running
 * {@linkcode pipelinedInterimHandler} and checks that each one's interim
 * heads arrive in order before its own final response.
 *
 * @param port The server's port on 127.0.0.1.
 */
export async function assertPipelinedInterim(port: number): Promise<void> {
  const { text } = await rawRequest(
    port,
    "GET /one HTTP/1.1\r\nHost: x\r\n\r\n" +
      "GET /two HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
    { until: (received) => received.endsWith("final /two") },
  );
  assert.deepEqual(interimHeads(text), [
    ...pipelinedInterim("/one"),
    "200",
    ...pipelinedInterim("/two"),
    "200",
  ]);
  assert.match(text, /final \/one[^]*final \/two$/);
}
