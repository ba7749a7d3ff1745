/**
 * The `interim` CLI: parses the command line, sends one request, prints
 * each interim response as it arrives and then the final one.
 *
 * The runner gets the outside world through a {@linkcode CliHost}, so it names
 * no runtime global; `main.ts` builds the host for the process. This module is
 * browser compatible.
 *
 * @module
 */

import { type CliOptions, parseArgs, UsageError } from "./args.ts";
import {
  formatEnd,
  formatHead,
  formatJson,
  type ObservedError,
  type ObservedExchange,
  type ObservedHead,
} from "./format.ts";
import { HELP } from "./help.ts";
import type { CliHost } from "./host.ts";
import { sendRequest } from "./request.ts";
import { VERSION } from "./version.ts";
import { concatBytes } from "../http1/_bytes.ts";

/** Exit status: a final response arrived. */
export const EXIT_OK = 0;
/** Exit status: the exchange failed (connect, TLS, timeout, protocol). */
export const EXIT_FAILED = 1;
/** Exit status: the command line is wrong. */
export const EXIT_USAGE = 2;
/** Exit status with `--fail`: the final status is 400 or above (curl's code). */
export const EXIT_HTTP_ERROR = 22;

/**
 * Runs the CLI once.
 *
 * @param host The process capabilities: arguments, output, files.
 * @returns The exit status (0, 1, 2 or 22; see `--help`).
 *
 * @example Printing the version through a recording host
 * ```ts
 * import assert from "node:assert/strict";
 * import { runCli } from "./run.ts";
 * let out = "";
 * const code = await runCli({
 *   args: ["--version"],
 *   writeStdout: async (data) => { out += String(data); },
 *   writeStderr: async () => {},
 *   readFile: () => Promise.reject(new Error("unused")),
 *   readStdin: () => Promise.reject(new Error("unused")),
 * });
 * assert.ok(code === 0 && out.startsWith("interim "));
 * ```
 */
export async function runCli(host: CliHost): Promise<number> {
  let options: CliOptions;
  try {
    options = parseArgs(host.args);
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    await host.writeStderr(
      `interim: ${error.message}\nTry "interim --help" for the options.\n`,
    );
    return EXIT_USAGE;
  }
  if (options.action === "help") {
    await host.writeStdout(HELP);
    return EXIT_OK;
  }
  if (options.action === "version") {
    await host.writeStdout(`interim ${VERSION}\n`);
    return EXIT_OK;
  }

  let body: Uint8Array<ArrayBuffer> | undefined;
  let ca: string | undefined;
  try {
    body = await readBody(options, host);
    if (options.cacert !== undefined) {
      ca = new TextDecoder().decode(await host.readFile(options.cacert));
    }
  } catch (error) {
    await host.writeStderr(`interim: ${messageOf(error)}\n`);
    return EXIT_USAGE;
  }

  return await exchange(options, body, ca, host);
}

async function exchange(
  options: CliOptions,
  body: Uint8Array<ArrayBuffer> | undefined,
  ca: string | undefined,
  host: CliHost,
): Promise<number> {
  const informational: ObservedHead[] = [];
  let final: ObservedHead | null = null;
  let bodyBytes: number | null = null;
  const bodyParts: Uint8Array[] = [];
  let failure: ObservedError | undefined;
  let lastByte: number | undefined;
  // Printing is chained so that lines leave in arrival order even though the
  // interim callback cannot await the write. A failed write (stdout closed,
  // as with `| head`) stops further output without failing the exchange.
  let printing = Promise.resolve();
  let stdoutBroken = false;
  const print = (text: string | Uint8Array): Promise<void> => {
    if (options.json || stdoutBroken) return printing;
    printing = printing.then(() => stdoutBroken ? undefined : host.writeStdout(text)).catch(
      () => {
        stdoutBroken = true;
      },
    );
    return printing;
  };

  const start = performance.now();
  try {
    await sendRequest({
      url: options.url,
      method: options.method,
      headers: requestHeaders(options, body),
      ...(body !== undefined ? { body } : {}),
      ...(options.unixSocket !== undefined ? { unixSocket: options.unixSocket } : {}),
      ...(ca !== undefined ? { ca } : {}),
      insecure: options.insecure,
      ...(options.connectTimeout !== undefined
        ? { connectTimeout: options.connectTimeout * 1000 }
        : {}),
      ...(options.maxTime !== undefined ? { maxTimeMs: options.maxTime * 1000 } : {}),
      onInformational(head) {
        const observed = { ...head, elapsedMs: performance.now() - start };
        informational.push(observed);
        print(formatHead(observed));
      },
      onFinal(head) {
        final = { ...head, elapsedMs: performance.now() - start };
        bodyBytes = 0;
        print(formatHead(final));
        if (options.body && !options.json) print("\n");
      },
      onBody(chunk) {
        bodyBytes = (bodyBytes ?? 0) + chunk.byteLength;
        if (chunk.byteLength > 0) lastByte = chunk[chunk.byteLength - 1];
        if (!options.body) return;
        if (options.json) bodyParts.push(chunk);
        // Awaited by the reader: a slow stdout slows the download, not memory.
        else return print(chunk);
      },
    });
  } catch (error) {
    failure = describeError(error);
    if (failure.name === "TimeoutError" && options.maxTime !== undefined) {
      // AbortSignal.timeout's own message does not say which limit ran out.
      const stage = final === null ? "the final response" : "the end of the body";
      failure = {
        ...failure,
        message: `gave up waiting for ${stage}: --max-time ${options.maxTime} s ran out`,
      };
    }
  }
  const elapsedMs = performance.now() - start;

  if (failure === undefined) {
    // Keep the end line on its own line when the body lacks a final newline.
    if (options.body && !options.json && lastByte !== undefined && lastByte !== 0x0a) print("\n");
    print(formatEnd(elapsedMs, bodyBytes ?? 0));
  }
  await printing;

  if (options.json) {
    const document: ObservedExchange = {
      url: options.url,
      method: options.method,
      informational,
      final,
      bodyBytes,
      ...(options.body && final !== null ? { body: decodeUtf8(bodyParts) } : {}),
      elapsedMs,
      ...(failure !== undefined ? { error: failure } : {}),
    };
    await host.writeStdout(formatJson(document));
  }
  if (failure !== undefined) {
    const code = failure.code !== undefined ? ` (${failure.code})` : "";
    await host.writeStderr(`interim: ${failure.message}${code}\n`);
    return EXIT_FAILED;
  }
  const status = (final as ObservedHead | null)?.status ?? 0;
  return options.fail && status >= 400 ? EXIT_HTTP_ERROR : EXIT_OK;
}

async function readBody(
  options: CliOptions,
  host: CliHost,
): Promise<Uint8Array<ArrayBuffer> | undefined> {
  if (options.data.length === 0) return undefined;
  const encoder = new TextEncoder();
  const parts: Uint8Array[] = [];
  for (const [index, part] of options.data.entries()) {
    // curl joins several -d arguments with "&".
    if (index > 0) parts.push(encoder.encode("&"));
    if (part.kind === "text") {
      parts.push(encoder.encode(part.text));
    } else if (part.path === "-") {
      parts.push(await host.readStdin());
    } else {
      try {
        parts.push(await host.readFile(part.path));
      } catch (error) {
        throw new Error(
          `cannot read --data file ${JSON.stringify(part.path)}: ${messageOf(error)}`,
        );
      }
    }
  }
  return concatBytes(parts);
}

function requestHeaders(
  options: CliOptions,
  body: Uint8Array | undefined,
): Array<[string, string]> {
  const headers = [...options.headers];
  const hasContentType = headers.some(([name]) => name.toLowerCase() === "content-type");
  if (body !== undefined && !hasContentType) {
    // What curl sends for -d, so that form endpoints behave the same.
    headers.push(["content-type", "application/x-www-form-urlencoded"]);
  }
  return headers;
}

function describeError(error: unknown): ObservedError {
  if (error instanceof Error) {
    const code = findCode(error);
    const message = error.cause instanceof Error && !error.message.includes(error.cause.message)
      ? `${error.message}: ${error.cause.message}`
      : error.message;
    return { name: error.name, ...(code !== undefined ? { code } : {}), message };
  }
  return { name: "Error", message: String(error) };
}

/** The first string `code` on the error or its causes (engine and socket errors carry one). */
function findCode(error: Error): string | undefined {
  let current: unknown = error;
  for (let depth = 0; depth < 5 && current instanceof Error; depth++) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === "string") return code;
    current = current.cause;
  }
  return undefined;
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

function decodeUtf8(parts: readonly Uint8Array[]): string {
  return new TextDecoder().decode(concatBytes(parts));
}
