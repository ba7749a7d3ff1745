/**
 * Command-line parsing for the `interim` CLI, curl-style.
 *
 * Parsing is pure: it turns `argv` into {@linkcode CliOptions} or throws a
 * {@linkcode UsageError} with a message meant for a human. Files named by
 * `--data @file` and `--cacert` are read later, by the runner. This module is
 * browser compatible.
 *
 * @module
 */

import { buildTarget, isSupportedScheme } from "../client/target.ts";
import { isToken } from "../http1/_bytes.ts";
import { isValidHeaderName, isValidHeaderValue } from "../http1/validate.ts";

/** What the command line asked for. */
export interface CliOptions {
  /** `"help"` and `"version"` short-circuit everything else. */
  readonly action: "request" | "help" | "version";
  /** The URL to request (`http:`, `https:`, or a unix socket's `http+unix:`, `https+unix:`). */
  readonly url: string;
  /** The method; `GET`, or `POST` when data is given. */
  readonly method: string;
  /** Request header fields in the order given. */
  readonly headers: Array<[name: string, value: string]>;
  /** Request body parts in order: literal text, or `@file` (`@-` is stdin). */
  readonly data: DataPart[];
  /** Connect through this unix domain socket instead of TCP. */
  readonly unixSocket?: string;
  /** A PEM file with extra CA certificates to trust. */
  readonly cacert?: string;
  /** Skip TLS certificate verification. */
  readonly insecure: boolean;
  /** Seconds allowed for connecting (TCP + TLS). */
  readonly connectTimeout?: number;
  /** Seconds allowed for the whole exchange, body included. */
  readonly maxTime?: number;
  /** Print the response body. */
  readonly body: boolean;
  /** Print one JSON document instead of human-readable lines. */
  readonly json: boolean;
  /** Exit with code 22 when the final status is 400 or above. */
  readonly fail: boolean;
}

/** One `-d` argument: literal text, or the contents of a file (`-` is stdin). */
export type DataPart =
  | { readonly kind: "text"; readonly text: string }
  | { readonly kind: "file"; readonly path: string };

/**
 * A bad command line. The message says what is wrong and is printed as is,
 * followed by a pointer to `--help`; the process exits with code 2.
 */
export class UsageError extends Error {
  /**
   * Creates the error.
   *
   * @param message What is wrong with the command line.
   */
  constructor(message: string) {
    super(message);
    this.name = "UsageError";
  }
}

type Flag = "insecure" | "body" | "json" | "fail" | "help" | "version";
type Valued =
  | "request"
  | "header"
  | "data"
  | "unix-socket"
  | "cacert"
  | "connect-timeout"
  | "max-time";

const FLAGS: Record<string, Flag> = {
  "-k": "insecure",
  "--insecure": "insecure",
  "--body": "body",
  "--json": "json",
  "-f": "fail",
  "--fail": "fail",
  "-h": "help",
  "--help": "help",
  "-V": "version",
  "--version": "version",
};

const VALUED: Record<string, Valued> = {
  "-X": "request",
  "--request": "request",
  "-H": "header",
  "--header": "header",
  "-d": "data",
  "--data": "data",
  "--unix-socket": "unix-socket",
  "--cacert": "cacert",
  "--connect-timeout": "connect-timeout",
  "-m": "max-time",
  "--max-time": "max-time",
};

/**
 * Parses the arguments after the program name.
 *
 * @param argv The arguments, without the runtime and script paths.
 * @returns The options; `action` is `"help"` or `"version"` when asked.
 * @throws {UsageError} For an unknown option, a missing or bad value, a
 * missing or extra URL.
 *
 * @example Parsing a POST with a header
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseArgs } from "./args.ts";
 * const options = parseArgs(["-H", "accept: text/html", "-d", "a=1", "http://localhost:8080/"]);
 * assert.ok(options.method === "POST" && options.headers[0]![0] === "accept");
 * ```
 */
export function parseArgs(argv: readonly string[]): CliOptions {
  const flags = new Set<Flag>();
  const headers: Array<[string, string]> = [];
  const data: DataPart[] = [];
  const positionals: string[] = [];
  let method: string | undefined;
  let unixSocket: string | undefined;
  let cacert: string | undefined;
  let connectTimeout: number | undefined;
  let maxTime: number | undefined;

  for (let index = 0; index < argv.length; index++) {
    const arg = argv[index]!;
    if (arg === "--") {
      positionals.push(...argv.slice(index + 1));
      break;
    }
    if (!arg.startsWith("-") || arg === "-") {
      positionals.push(arg);
      continue;
    }
    const flag = FLAGS[arg];
    if (flag !== undefined) {
      flags.add(flag);
      continue;
    }
    const [option, inline] = splitInlineValue(arg);
    const name = VALUED[option];
    if (name === undefined) {
      if (FLAGS[option] !== undefined) {
        throw new UsageError(
          option.startsWith("--")
            ? `option ${option} takes no value`
            : `combined short options are not supported: write ${quote(arg)} as separate options`,
        );
      }
      throw new UsageError(`unknown option ${quote(arg)}`);
    }
    let value = inline;
    if (value === undefined) {
      if (index + 1 >= argv.length) {
        throw new UsageError(`option ${option} needs a value`);
      }
      value = argv[++index]!;
    }
    switch (name) {
      case "request":
        // RFC 9110 section 9.1: a method is a token.
        if (!isToken(value)) {
          throw new UsageError(`bad method ${quote(value)}: it must be a token such as GET`);
        }
        method = value;
        break;
      case "header":
        headers.push(parseHeader(value));
        break;
      case "data":
        data.push(
          value.startsWith("@")
            ? { kind: "file", path: value.slice(1) }
            : { kind: "text", text: value },
        );
        break;
      case "unix-socket":
        if (value === "") throw new UsageError("--unix-socket needs a path");
        unixSocket = value;
        break;
      case "cacert":
        if (value === "") throw new UsageError("--cacert needs a file");
        cacert = value;
        break;
      case "connect-timeout":
        connectTimeout = parseSeconds(option, value);
        break;
      case "max-time":
        maxTime = parseSeconds(option, value);
        break;
    }
  }

  const common = {
    method: method ?? (data.length > 0 ? "POST" : "GET"),
    headers,
    data,
    insecure: flags.has("insecure"),
    body: flags.has("body"),
    json: flags.has("json"),
    fail: flags.has("fail"),
    ...(unixSocket !== undefined ? { unixSocket } : {}),
    ...(cacert !== undefined ? { cacert } : {}),
    ...(connectTimeout !== undefined ? { connectTimeout } : {}),
    ...(maxTime !== undefined ? { maxTime } : {}),
  };
  if (flags.has("help")) return { action: "help", url: "", ...common };
  if (flags.has("version")) return { action: "version", url: "", ...common };

  if (positionals.length === 0) throw new UsageError("no URL given");
  if (positionals.length > 1) {
    throw new UsageError(
      `one URL expected, got ${positionals.length}: ${positionals.map(quote).join(" ")}`,
    );
  }
  return { action: "request", url: checkUrl(positionals[0]!, unixSocket), ...common };
}

/** Splits `--name=value` (long options only; short ones take `-Xvalue`). */
function splitInlineValue(arg: string): [string, string | undefined] {
  if (arg.startsWith("--")) {
    const equals = arg.indexOf("=");
    return equals === -1 ? [arg, undefined] : [arg.slice(0, equals), arg.slice(equals + 1)];
  }
  if (arg.length > 2) return [arg.slice(0, 2), arg.slice(2)];
  return [arg, undefined];
}

function parseHeader(text: string): [string, string] {
  const colon = text.indexOf(":");
  if (colon <= 0) {
    throw new UsageError(`bad header ${quote(text)}: expected "Name: value"`);
  }
  const name = text.slice(0, colon).trim();
  const value = text.slice(colon + 1).trim();
  if (!isValidHeaderName(name)) {
    throw new UsageError(`bad header name ${quote(name)}: it must be a token`);
  }
  if (!isValidHeaderValue(value)) {
    throw new UsageError(
      `bad value for header ${name}: control characters and characters above U+00FF are not allowed`,
    );
  }
  return [name, value];
}

function parseSeconds(option: string, text: string): number {
  const seconds = Number(text);
  if (text.trim() === "" || !Number.isFinite(seconds) || seconds <= 0) {
    throw new UsageError(`${option} needs a positive number of seconds, got ${quote(text)}`);
  }
  return seconds;
}

function checkUrl(text: string, unixSocket: string | undefined): string {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new UsageError(`bad URL ${quote(text)}: expected http://host[:port]/path`);
  }
  if (!isSupportedScheme(url.protocol)) {
    throw new UsageError(
      `unsupported scheme ${quote(url.protocol)}: use http:, https:, http+unix: or https+unix:`,
    );
  }
  let target;
  try {
    // The client's own checks (credentials, a unix URL's socket path), as usage errors.
    target = buildTarget(url);
  } catch (error) {
    const reason = error instanceof Error ? error.message.replace(/^fetch: /, "") : String(error);
    throw new UsageError(`bad URL ${quote(text)}: ${reason}`);
  }
  if (target.socketPath !== undefined && unixSocket !== undefined) {
    throw new UsageError(
      `${quote(text)} names a unix socket already; drop --unix-socket or use an http: URL`,
    );
  }
  return url.href;
}

function quote(text: string): string {
  return JSON.stringify(text);
}
