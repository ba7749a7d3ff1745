/**
 * Test support: compare the request parser's accept/reject decisions with
 * llhttp (a real `node:http` server run by `hostile_llhttp_oracle.ts` under
 * Node), classify every disagreement, and hold the list of disagreements
 * justified from RFC 9110/9112 (also in `docs/hardening.md`).
 *
 * @module
 */

import { spawn, spawnSync } from "node:child_process";
import path from "node:path";
import process from "node:process";
import fc from "fast-check";
import { Http1Error } from "../../src/http1/errors.ts";
import { RequestParser } from "../../src/http1/request_parser.ts";
import {
  latin1Bytes,
  latin1Text,
  mutate,
  mutationsArb,
  requestStreamArb,
} from "./hostile_generators.ts";
import { HOSTILE_REQUESTS } from "./hostile_requests.ts";
import { CURRENT_RUNTIME, REPO_ROOT } from "./run_ts.ts";

/** What one parser made of some bytes. */
export interface Verdict {
  /** Complete requests: method, target, body (latin1). */
  readonly requests: ReadonlyArray<readonly [string, string, string]>;
  /** How it ended: refused, closed after a non-persistent request, or waiting for more. */
  readonly end: "error" | "closed" | "waiting";
  /** The error code (ours: `Http1ErrorCode`; llhttp: `HPE_*`, or `NO_HOST`). */
  readonly code: string;
}

/**
 * Runs our `RequestParser` over `bytes` (no EOF) the way the server does:
 * requests in order until an error, a request after which the connection
 * closes, or the end of the bytes.
 *
 * @param bytes The input.
 * @returns The verdict.
 */
export function ourVerdict(bytes: Uint8Array): Verdict {
  const parser = new RequestParser();
  parser.push(bytes);
  const requests: Array<[string, string, string]> = [];
  let current: [string, string, string] | undefined;
  let keepAlive = true;
  for (let guard = 0; guard < bytes.length * 3 + 64; guard++) {
    let event;
    try {
      event = parser.next();
    } catch (error) {
      if (error instanceof Http1Error) return { requests, end: "error", code: error.code };
      throw error;
    }
    if (event === undefined) break;
    if (event.kind === "request") {
      current = [event.method, event.target, ""];
      keepAlive = event.keepAlive;
    } else if (event.kind === "data") {
      current![2] += latin1Text(event.data);
    } else {
      requests.push(current!);
      current = undefined;
      if (!keepAlive) return { requests, end: "closed", code: "" };
    }
  }
  return { requests, end: "waiting", code: "" };
}

/** The `node` executable, or undefined when there is none. */
export function findNode(): string | undefined {
  if (CURRENT_RUNTIME === "node") return process.execPath;
  const probe = spawnSync("node", ["--version"], { encoding: "utf8" });
  return probe.status === 0 ? "node" : undefined;
}

/**
 * Asks llhttp (through the oracle program) for the verdict on each input.
 *
 * @param node The `node` executable.
 * @param inputs The byte strings.
 * @param timeoutMs The bound for the whole batch.
 * @returns The verdicts, in input order.
 */
export function llhttpVerdicts(
  node: string,
  inputs: readonly Uint8Array[],
  timeoutMs = 60_000,
  pace: { quietMs: number; concurrency: number } = { quietMs: 40, concurrency: 32 },
): Promise<Verdict[]> {
  const oracle = path.join(REPO_ROOT, "tests", "_support", "hostile_llhttp_oracle.ts");
  const child = spawn(node, ["--import", "tsx", oracle], {
    cwd: REPO_ROOT,
    stdio: ["pipe", "pipe", "pipe"],
    env: {
      ...process.env,
      EH_ORACLE_QUIET_MS: String(pace.quietMs),
      EH_ORACLE_CONCURRENCY: String(pace.concurrency),
    },
  });
  let stdout = "";
  let stderr = "";
  child.stdout.setEncoding("utf8");
  child.stderr.setEncoding("utf8");
  child.stdout.on("data", (chunk: string) => (stdout += chunk));
  child.stderr.on("data", (chunk: string) => (stderr += chunk));
  child.stdin.on("error", () => {});
  for (const [id, bytes] of inputs.entries()) {
    child.stdin.write(`${JSON.stringify({ id, data: Buffer.from(bytes).toString("base64") })}\n`);
  }
  child.stdin.end();
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`the llhttp oracle took more than ${timeoutMs} ms\n${stderr}`));
    }, timeoutMs);
    child.once("close", (code) => {
      clearTimeout(timer);
      const verdicts: Verdict[] = [];
      for (const line of stdout.split("\n")) {
        if (line.trim() === "") continue;
        const raw = JSON.parse(line) as {
          id: number;
          requests: Array<[string, string, string, boolean]>;
          end: Verdict["end"];
          code: string;
        };
        // Data after "Connection: close" is llhttp's way of saying the connection is over.
        const closed = raw.code === "HPE_CLOSED_CONNECTION";
        verdicts[raw.id] = {
          requests: raw.requests
            .filter((request) => request[3])
            .map((
              [method, url, body],
            ) => [method, url, Buffer.from(body, "base64").toString("latin1")]),
          end: closed ? "closed" : raw.end,
          code: closed ? "" : raw.code,
        };
      }
      const missing = inputs.findIndex((_, i) => verdicts[i] === undefined);
      if (code !== 0 || missing !== -1) {
        reject(new Error(`the llhttp oracle failed (exit ${code}, input ${missing})\n${stderr}`));
      } else resolve(verdicts);
    });
  });
}

/** One input with both verdicts and the class of their disagreement. */
export interface Comparison {
  /** The input. */
  readonly bytes: Uint8Array;
  /** Our parser's verdict. */
  readonly ours: Verdict;
  /** llhttp's verdict. */
  readonly theirs: Verdict;
  /** The disagreement class, or undefined when they agree. */
  readonly disagreement: string | undefined;
}

/**
 * Compares our parser with llhttp on every input. The oracle judges many
 * inputs at once with a short quiet period, so every disagreement is judged
 * again with a longer one (250 ms, 8 at a time), and one still unexplained
 * a third time alone (1 s) before it counts: a loaded loopback can delay
 * llhttp's answer past a short period.
 *
 * @param node The `node` executable.
 * @param inputs The byte strings.
 * @param timeoutMs The bound for each oracle run.
 * @returns One comparison per input, in order.
 */
export async function compareWithLlhttp(
  node: string,
  inputs: readonly Uint8Array[],
  timeoutMs = 120_000,
): Promise<Comparison[]> {
  const first = await llhttpVerdicts(node, inputs, timeoutMs);
  const ours = inputs.map(ourVerdict);
  const doubtful = inputs.flatMap((_, i) => classify(ours[i]!, first[i]!) === undefined ? [] : [i]);
  const second = doubtful.length === 0 ? [] : await llhttpVerdicts(
    node,
    doubtful.map((i) => inputs[i]!),
    timeoutMs,
    { quietMs: 250, concurrency: 8 },
  );
  const theirs = [...first];
  doubtful.forEach((index, j) => (theirs[index] = second[j]!));
  // What is still unexplained gets a last, unhurried look, one at a time,
  // so a loaded machine cannot turn a slow answer into a failure.
  const unexplained = doubtful.filter((i) => {
    const key = classify(ours[i]!, theirs[i]!);
    return key !== undefined && !isJustified(key, inputs[i]!);
  });
  if (unexplained.length > 0) {
    const third = await llhttpVerdicts(
      node,
      unexplained.map((i) => inputs[i]!),
      timeoutMs,
      { quietMs: 1_000, concurrency: 1 },
    );
    unexplained.forEach((index, j) => (theirs[index] = third[j]!));
  }
  return inputs.map((bytes, i) => ({
    bytes,
    ours: ours[i]!,
    theirs: theirs[i]!,
    disagreement: classify(ours[i]!, theirs[i]!),
  }));
}

/**
 * Names how two verdicts disagree, or undefined when they agree. Classes:
 * `framing` (both accepted a request but not the same one: the smuggling
 * class, never justified), `ours-rejects CODE / llhttp-accepts`,
 * `llhttp-rejects CODE / ours-accepts`, and `ours END CODE / llhttp END CODE`
 * for the same requests with a different ending.
 *
 * @param ours Our verdict.
 * @param theirs llhttp's verdict.
 * @returns The class of the disagreement.
 */
export function classify(ours: Verdict, theirs: Verdict): string | undefined {
  const common = Math.min(ours.requests.length, theirs.requests.length);
  for (let i = 0; i < common; i++) {
    if (JSON.stringify(ours.requests[i]) !== JSON.stringify(theirs.requests[i])) return "framing";
  }
  if (ours.requests.length < theirs.requests.length) {
    return ours.end === "error"
      ? `ours-rejects ${ours.code} / llhttp-accepts`
      : `ours-${ours.end} / llhttp-accepts`;
  }
  if (theirs.requests.length < ours.requests.length) {
    return theirs.end === "error"
      ? `llhttp-rejects ${theirs.code} / ours-accepts`
      : `llhttp-${theirs.end} / ours-accepts`;
  }
  if (ours.end === theirs.end) return undefined;
  return `ours-${ours.end} ${ours.code} / llhttp-${theirs.end} ${theirs.code}`.replace(/ +/g, " ")
    .trim();
}

/** A class of disagreement with its justification. */
export interface Justification {
  /** A short name, used in `docs/hardening.md`. */
  readonly id: string;
  /** Matches the class names it covers. */
  readonly pattern: RegExp;
  /** Why we differ from llhttp, citing the RFC. */
  readonly reason: string;
  /** When set, the difference is justified only for inputs (as Latin-1 text) it matches. */
  readonly input?: RegExp;
}

/**
 * Whether a disagreement of class `key` on `bytes` is a deliberate one.
 *
 * @param key The class from {@linkcode classify}.
 * @param bytes The input both parsers read.
 * @returns `true` when a {@linkcode JUSTIFIED} entry covers it (never for `framing`).
 */
export function isJustified(key: string, bytes: Uint8Array): boolean {
  if (key === "framing") return false;
  let text: string | undefined;
  return JUSTIFIED.some((entry) => {
    if (!entry.pattern.test(key)) return false;
    if (entry.input === undefined) return true;
    text ??= String.fromCharCode(...bytes);
    return entry.input.test(text);
  });
}

/**
 * The disagreements with llhttp that are deliberate. Each matches class
 * names from {@linkcode classify}; `docs/hardening.md` explains them. No
 * `framing` disagreement (both accept, but not the same requests) is ever
 * justified: that is request smuggling.
 */
export const JUSTIFIED: readonly Justification[] = [
  {
    id: "D1 extension methods",
    pattern: /^llhttp-rejects HPE_INVALID_METHOD \/ ours-accepts$/,
    reason:
      "RFC 9110 9.1: a method is any token; llhttp knows a fixed list. Unknown methods reach " +
      "the handler, which answers 501 or 405 itself.",
  },
  {
    id: "D2 judged at the end of the element",
    pattern: /^ours-waiting \/ llhttp-error HPE_\w+$/,
    reason: "llhttp fails on the first bad byte; our parser judges a line, a field section or a " +
      "body when it is complete, and meanwhile waits within maxStartLineBytes, maxHeaderBytes " +
      "and headersTimeout. RFC 9112 does not require rejecting before the element ends.",
  },
  {
    id: "D3 Host validated",
    pattern: /^ours-(rejects|error) INVALID_HOST \/ llhttp-(accepts|waiting|closed)$/,
    reason: "RFC 9112 3.2: a server MUST answer 400 to several Host fields or an invalid Host " +
      "value; node:http checks only that one is present (and closes after its own 400 for a " +
      "missing one, which the oracle may see as a plain close).",
  },
  {
    id: "D4 unknown transfer codings",
    pattern: /^ours-(rejects|error) UNSUPPORTED_TRANSFER_ENCODING \/ llhttp-(accepts|waiting)$/,
    reason:
      "RFC 9112 6.1: a server that receives a transfer coding it does not understand SHOULD " +
      "answer 501; llhttp decodes the final chunked and hands the still-coded body on.",
  },
  {
    id: "D5 faulty framing refused",
    pattern: /^ours-(rejects|error) INVALID_FRAMING \/ llhttp-(accepts|waiting)$/,
    reason:
      "RFC 9112 6.1: Transfer-Encoding in an HTTP/1.0 request means faulty framing; RFC 9112 " +
      "6.3 item 4: a present Transfer-Encoding (even an empty one) whose final coding is not " +
      "chunked gets 400. llhttp ignores an empty Transfer-Encoding and HTTP/1.0's.",
  },
  {
    id: "D6 identical Content-Length values collapse",
    pattern: /^llhttp-rejects HPE_(INVALID|UNEXPECTED)_CONTENT_LENGTH \/ ours-accepts$/,
    reason: "RFC 9110 8.6: a recipient MAY collapse Content-Length values that are the same " +
      "decimal number (`5, 5`, repeated fields) or reject them; llhttp rejects, we collapse. " +
      "Differing values are refused by both.",
  },
  {
    id: "D7 OWS around a field value",
    pattern: /^llhttp-rejects HPE_INVALID_TRANSFER_ENCODING \/ ours-accepts$/,
    reason: "RFC 9110 5.5 and RFC 9112 5: OWS (SP or HTAB) around a field value is not part of " +
      "it, so `chunked<HTAB>` is `chunked`; llhttp refuses a trailing HTAB there.",
  },
  {
    id: "D8 BWS in chunk extensions",
    pattern: /^llhttp-rejects HPE_INVALID_CHUNK_SIZE \/ ours-accepts$/,
    reason: 'RFC 9112 7.1.1: chunk-ext = *( BWS ";" BWS chunk-ext-name [ BWS "=" BWS ' +
      "chunk-ext-val ] ): whitespace before the semicolon is allowed; llhttp refuses it.",
  },
  {
    id: "D8 BWS in chunk extensions (strict mode)",
    pattern: /^llhttp-rejects HPE_STRICT \/ ours-accepts$/,
    input: /\r\n[0-9A-Fa-f]+[ \t]*;[^\r\n]*[ \t]=/,
    reason: 'RFC 9112 7.1.1: chunk-ext = *( BWS ";" BWS chunk-ext-name [ BWS "=" BWS ' +
      "chunk-ext-val ] ): whitespace before the `=` of a chunk extension is allowed; llhttp's " +
      "strict mode refuses it.",
  },
  {
    id: "D9 limits",
    pattern:
      /^ours-(rejects|error) (URI_TOO_LONG|HEADERS_TOO_LARGE|INVALID_CHUNK) \/ llhttp-(accepts|waiting)$/,
    reason:
      "RFC 9112 3 (414), RFC 6585 5 (431), RFC 9112 7.1 (chunk sizes must not overflow) and " +
      "7.1.1 (limit chunk extensions): our limits (8 KiB request line, 200 fields, 2^53 chunk " +
      "size, 4 KiB chunk line) differ from llhttp's.",
  },
  {
    id: "D10 HTTP versions",
    pattern: /^ours-(rejects|error) UNSUPPORTED_VERSION \/ llhttp-(accepts|waiting|closed)$/,
    reason: "RFC 9112 2.6 and RFC 9110 15.6.6: a server answers 505 to a major version it does " +
      "not support; llhttp parses HTTP/2.0 as if it were 1.x.",
  },
  {
    id: "D11 bare CR, bare LF, target forms",
    pattern: /^ours-(rejects|error) (BAD_SYNTAX|BARE_CR) \/ llhttp-(accepts|waiting)$/,
    reason: "RFC 9112 2.2 lets a recipient accept a bare LF; we refuse it in requests (see " +
      "docs/architecture.md). A bare CR (even before the request line) MUST be treated as " +
      "invalid or replaced by SP. A request-target form must fit the method (RFC 9112 3.2). " +
      "llhttp skips stray CR and LF before a request and accepts any target.",
  },
  {
    id: "D12 Connection: close wins",
    pattern: /^ours-closed \/ llhttp-(error HPE_\w+|accepts)$/,
    reason: "RFC 9112 9.3: when the close option is present the connection does not persist, " +
      "even beside keep-alive; we stop reading there, llhttp goes on and fails on what follows.",
  },
  {
    id: "D13 CONNECT",
    pattern: /^llhttp-closed \/ ours-accepts$/,
    reason: "RFC 9110 9.3.6: node:http hands CONNECT to a `connect` listener and closes without " +
      "one; our parser returns the request and our server answers 501.",
  },
  {
    id: "D14 HTTP/1.0 keep-alive",
    pattern: /^ours-(waiting|error (BAD_SYNTAX|BARE_CR)) \/ llhttp-closed$/,
    reason:
      "RFC 9112 9.3 and appendix C.2.2: an HTTP/1.0 request with Connection: keep-alive may " +
      "persist; node:http closes after the exchange, our server keeps reading, and so waits " +
      "for more or refuses a bare CR or LF that follows (D11), bytes llhttp never reads. The " +
      "requests parsed are the same.",
  },
];

/**
 * Generates the inputs of a differential run: mutated valid requests,
 * framing-focused combinations and the hostile corpus.
 *
 * @param seed The fast-check seed.
 * @param count How many generated inputs (the corpus comes on top).
 * @returns The inputs and, for each, which source it came from.
 */
export function differentialInputs(
  seed: number,
  count: number,
): { inputs: Uint8Array[]; sources: string[] } {
  const inputs: Uint8Array[] = [];
  const sources: string[] = [];
  const mutated = fc.sample(fc.tuple(requestStreamArb, mutationsArb), {
    seed,
    numRuns: Math.ceil(count / 2),
  });
  for (const [models, edits] of mutated) {
    inputs.push(latin1Bytes(mutate(models.map((model) => model.wire).join(""), edits)));
    sources.push("mutated");
  }
  for (const text of fc.sample(framingArb, { seed: seed + 1, numRuns: Math.floor(count / 2) })) {
    inputs.push(latin1Bytes(text));
    sources.push("framing");
  }
  for (const entry of HOSTILE_REQUESTS) {
    if (entry.bytes.length > 12_000) continue; // beyond node:http's 16 KiB header limit
    inputs.push(latin1Bytes(entry.bytes));
    sources.push("corpus");
  }
  return { inputs, sources };
}

const FRAMING_LINES = [
  "Content-Length: 5",
  "Content-Length: 0",
  "Content-Length: 10",
  "Content-Length:  5 ",
  "Content-Length: 5, 5",
  "Content-Length: 5,5",
  "Content-Length: 5, 6",
  "Content-Length: +5",
  "Content-Length: 05",
  "Content-Length: 5\x00",
  "content-length: 5",
  "Content-Length : 5",
  "Transfer-Encoding: chunked",
  "Transfer-Encoding: Chunked",
  "Transfer-Encoding: chunked, chunked",
  "Transfer-Encoding: identity",
  "Transfer-Encoding: identity, chunked",
  "Transfer-Encoding: gzip, chunked",
  "Transfer-Encoding: chunked, gzip",
  "Transfer-Encoding:\tchunked",
  "Transfer-Encoding: xchunked",
  "Transfer-Encoding: chunked ",
  "Transfer-Encoding : chunked",
  "Transfer-Encoding: \x0bchunked",
  " Transfer-Encoding: chunked",
  "Transfer-Encoding:",
  "Connection: close",
  "Connection: keep-alive",
  "Host: b.test",
  "Expect: 100-continue",
];

const FRAMING_BODIES = [
  "",
  "hello",
  "5\r\nhello\r\n0\r\n\r\n",
  "0\r\n\r\n",
  "5;ext=1\r\nhello\r\n0\r\n\r\n",
  "5 \r\nhello\r\n0\r\n\r\n",
  "5\r\nhello\r\n0\r\nx-t: 1\r\n\r\n",
  "05\r\nhello\r\n0\r\n\r\n",
  "5\nhello\n0\n\n",
  "fffffffffffffffff\r\nhello\r\n0\r\n\r\n",
  "0\r\n\r\nGET /smuggled HTTP/1.1\r\nHost: a.test\r\n\r\n",
  "helloGET /smuggled HTTP/1.1\r\nHost: a.test\r\n\r\n",
];

/** A request whose framing fields and body are drawn from tricky variants. */
const framingArb: fc.Arbitrary<string> = fc
  .record({
    method: fc.constantFrom("POST", "GET", "PUT"),
    version: fc.constantFrom("1.1", "1.1", "1.0"),
    lines: fc.array(fc.constantFrom(...FRAMING_LINES), { maxLength: 3 }),
    body: fc.constantFrom(...FRAMING_BODIES),
    then: fc.constantFrom("", "GET /after HTTP/1.1\r\nHost: a.test\r\n\r\n"),
  })
  .map((r) =>
    `${r.method} / HTTP/${r.version}\r\nHost: a.test\r\n${
      r.lines.map((line) => `${line}\r\n`).join("")
    }` +
    `\r\n${r.body}${r.then}`
  );
