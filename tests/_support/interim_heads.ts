/**
 * Test support: the heads of raw response text in a form that compares
 * interim responses field by field, and what the pipelined any-1xx handler
 * of the informational tests sends.
 *
 * @module
 */

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
