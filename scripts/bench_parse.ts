/**
 * Measures the sans-IO HTTP/1.1 parsers in messages per second, on whichever
 * runtime runs it, and (when `node:_http_common` is available) llhttp as used
 * by node:http in the same run, on the same bytes.
 *
 * Usage:
 *   deno run -A scripts/bench_parse.ts
 *   bun scripts/bench_parse.ts
 *   node --import tsx scripts/bench_parse.ts
 *
 * Options: `--seconds=N` per case (default 1), `--rounds=N` (default 3): the
 * cases run interleaved, N times each for seconds/N, and the best round is
 * reported, which keeps other load on the machine from skewing one case.
 *
 * @module
 */

import { RequestParser } from "../src/http1/request_parser.ts";
import { ResponseParser } from "../src/http1/response_parser.ts";
import { encodeInformational, encodeResponseHead } from "../src/http1/serialize.ts";
import {
  BODY_LENGTH,
  FINAL_FIELDS,
  HINT_FIELDS,
  REQUEST_BYTES,
  RESPONSE_BYTES,
} from "./bench/engine_samples.ts";

const requestBytes = REQUEST_BYTES;
const responseBytes = RESPONSE_BYTES;

function numericFlag(name: string, fallback: number): number {
  const flag = runtimeArgs().find((arg) => arg.startsWith(`--${name}=`));
  const value = flag === undefined ? fallback : Number(flag.slice(name.length + 3));
  return value > 0 ? value : fallback;
}

function runtimeArgs(): string[] {
  const deno = (globalThis as { Deno?: { args: string[] } }).Deno;
  if (deno !== undefined) return deno.args;
  const process = (globalThis as { process?: { argv: string[] } }).process;
  return process?.argv.slice(2) ?? [];
}

function runtimeName(): string {
  const global = globalThis as {
    Deno?: { version: { deno: string } };
    Bun?: { version: string };
    process?: { version: string };
  };
  if (global.Deno !== undefined) return `deno ${global.Deno.version.deno}`;
  if (global.Bun !== undefined) return `bun ${global.Bun.version}`;
  return `node ${global.process?.version ?? "?"}`;
}

/** One case: `run(n)` parses n messages and returns how many it saw. */
interface Case {
  name: string;
  run(iterations: number): number;
}

function measure(bench: Case, budget: number): { perSecond: number; iterations: number } {
  // Warm up, then grow the batch until one takes ~50 ms.
  let batch = 100;
  for (;;) {
    const start = performance.now();
    bench.run(batch);
    if (performance.now() - start > 50) break;
    batch *= 2;
  }
  let iterations = 0;
  let checksum = 0;
  const start = performance.now();
  let elapsed = 0;
  while (elapsed < budget * 1000) {
    checksum += bench.run(batch);
    iterations += batch;
    elapsed = performance.now() - start;
  }
  if (checksum !== iterations) throw new Error(`${bench.name}: lost messages`);
  return { perSecond: iterations / (elapsed / 1000), iterations };
}

function ourRequestCase(name: string, pieces: Uint8Array[]): Case {
  return {
    name,
    run(iterations) {
      const parser = new RequestParser();
      let complete = 0;
      for (let i = 0; i < iterations; i++) {
        for (const piece of pieces) {
          parser.push(piece);
          for (let event = parser.next(); event !== undefined; event = parser.next()) {
            if (event.kind === "end") complete++;
          }
        }
      }
      return complete;
    },
  };
}

function ourResponseCase(name: string, pieces: Uint8Array[]): Case {
  return {
    name,
    run(iterations) {
      const parser = new ResponseParser();
      let complete = 0;
      let bodyBytes = 0;
      for (let i = 0; i < iterations; i++) {
        parser.expect("GET");
        for (const piece of pieces) {
          parser.push(piece);
          for (let event = parser.next(); event !== undefined; event = parser.next()) {
            if (event.kind === "data") bodyBytes += event.data.length;
            else if (event.kind === "end") complete++;
          }
        }
      }
      if (bodyBytes !== iterations * BODY_LENGTH) throw new Error("body bytes lost");
      return complete;
    },
  };
}

function serializeCase(name: string): Case {
  const hints = HINT_FIELDS;
  const fields = FINAL_FIELDS;
  return {
    name,
    run(iterations) {
      let written = 0;
      for (let i = 0; i < iterations; i++) {
        written += encodeInformational(103, hints).length > 0 &&
            encodeResponseHead(200, undefined, fields).length > 0
          ? 1
          : 0;
      }
      return written;
    },
  };
}

function splitInTwo(bytes: Uint8Array): Uint8Array[] {
  const cut = Math.floor(bytes.length * 0.6);
  return [bytes.subarray(0, cut), bytes.subarray(cut)];
}

interface LlhttpParser {
  initialize(type: number, resource: object): void;
  execute(data: Uint8Array): number | Error;
  [key: number]: unknown;
}
interface LlhttpModule {
  HTTPParser: {
    new (): LlhttpParser;
    REQUEST: number;
    RESPONSE: number;
    kOnHeadersComplete: number;
    kOnBody: number;
    kOnMessageComplete: number;
  };
}

async function loadLlhttp(): Promise<LlhttpModule | undefined> {
  try {
    const { createRequire } = await import("node:module");
    const require = createRequire(import.meta.url);
    return require("_http_common") as LlhttpModule;
  } catch {
    return undefined;
  }
}

/**
 * llhttp through node:http's binding: the same callbacks node:http installs
 * (head, body, complete); converting buffers for it is part of its cost.
 */
function llhttpCase(
  llhttp: LlhttpModule,
  name: string,
  type: "request" | "response",
  pieces: Uint8Array[],
  messagesPerIteration: number,
): Case {
  const { HTTPParser } = llhttp;
  const BufferClass = (globalThis as {
    Buffer?: { from(data: ArrayBuffer, offset: number, length: number): Uint8Array };
  }).Buffer;
  const buffers = pieces.map((piece) =>
    BufferClass
      ? BufferClass.from(piece.buffer as ArrayBuffer, piece.byteOffset, piece.length)
      : piece
  );
  return {
    name,
    run(iterations) {
      const parser = new HTTPParser();
      parser.initialize(type === "request" ? HTTPParser.REQUEST : HTTPParser.RESPONSE, {});
      let complete = 0;
      let headers: unknown;
      parser[HTTPParser.kOnHeadersComplete] = (
        _major: number,
        _minor: number,
        fields: unknown,
      ) => {
        headers = fields;
      };
      parser[HTTPParser.kOnBody] = () => {};
      parser[HTTPParser.kOnMessageComplete] = () => {
        complete++;
      };
      for (let i = 0; i < iterations; i++) {
        for (const buffer of buffers) {
          const result = parser.execute(buffer);
          if (result instanceof Error) throw result;
        }
      }
      if (headers === undefined) throw new Error("llhttp saw no head");
      return complete / messagesPerIteration;
    },
  };
}

async function main(): Promise<void> {
  const budget = numericFlag("seconds", 1);
  const rounds = Math.floor(numericFlag("rounds", 3));
  const cases: Case[] = [
    ourRequestCase("RequestParser  browser GET (1 chunk)", [requestBytes]),
    ourRequestCase("RequestParser  browser GET (2 chunks)", splitInTwo(requestBytes)),
    ourResponseCase("ResponseParser 103 + 200 (1 chunk)", [responseBytes]),
    ourResponseCase("ResponseParser 103 + 200 (2 chunks)", splitInTwo(responseBytes)),
    serializeCase("encode 103 + 200 heads"),
  ];
  const llhttp = await loadLlhttp();
  if (llhttp !== undefined) {
    cases.push(
      llhttpCase(llhttp, "node:http llhttp browser GET (1 chunk)", "request", [requestBytes], 1),
      // llhttp reports the 103 and the 200 as two messages.
      llhttpCase(llhttp, "node:http llhttp 103 + 200 (1 chunk)", "response", [responseBytes], 2),
    );
  }
  console.log(
    `runtime: ${runtimeName()}; ${budget} s per case, best of ${rounds} rounds; ` +
      `request ${requestBytes.length} B, 103+200 pair ${responseBytes.length} B`,
  );
  const best = new Map<Case, number>();
  for (let round = 0; round < rounds; round++) {
    for (const bench of cases) {
      const { perSecond } = measure(bench, budget / rounds);
      best.set(bench, Math.max(best.get(bench) ?? 0, perSecond));
    }
  }
  const rows: string[][] = [["case", "messages/s", "ns/message", "MB/s"]];
  for (const bench of cases) {
    const perSecond = best.get(bench)!;
    const size = bench.name.includes("GET") ? requestBytes.length : responseBytes.length;
    rows.push([
      bench.name,
      Math.round(perSecond).toLocaleString("en-US"),
      (1e9 / perSecond).toFixed(0),
      ((perSecond * size) / 1e6).toFixed(1),
    ]);
  }
  if (llhttp === undefined) rows.push(["node:http llhttp", "unavailable", "", ""]);
  const widths = rows[0]!.map((_, column) => Math.max(...rows.map((row) => row[column]!.length)));
  for (const [index, row] of rows.entries()) {
    console.log(
      row.map((cell, column) =>
        column === 0 ? cell.padEnd(widths[column]!) : cell.padStart(widths[column]!)
      )
        .join("  "),
    );
    if (index === 0) console.log(widths.map((width) => "-".repeat(width)).join("  "));
  }
}

await main();
