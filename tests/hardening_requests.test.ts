/**
 * Hardening of the server against hostile requests: smuggling attempts,
 * malformed request lines, control bytes, obs-fold, oversized heads, lying
 * bodies and pipelined garbage (the corpus in `_support/hostile_requests.ts`).
 * Each must get the right 4xx/5xx and a close, no handler may ever see a
 * smuggled request, the server must keep serving, and its memory must stay
 * bounded under a flood of them.
 */

import { test } from "node:test";
import assert from "node:assert/strict";
import process from "node:process";
import fc from "fast-check";
import {
  HOSTILE_REQUESTS,
  type HostileRequest,
  type HostileRequestKind,
  responseStatuses,
  statusesMatch,
} from "./_support/hostile_requests.ts";
import { startChildServer } from "./_support/hostile_child.ts";
import { sendInPieces, splitAt } from "./_support/hostile_wire.ts";
import { rawRequest } from "./_support/server_raw.ts";
import { RUNTIME, withServer } from "./_support/server_util.ts";
import { bunNodeHttpGap, TRANSPORTS } from "./_support/transports.ts";
import { ResponseParser } from "../src/http1/response_parser.ts";
import { drive, latin1Bytes } from "./_support/hostile_generators.ts";
import type { Server } from "../server.ts";

/** A handler that reads the body and records every path it is given. */
function recordingHandler(paths: string[]) {
  return async (request: Request): Promise<Response> => {
    paths.push(new URL(request.url).pathname);
    await request.arrayBuffer();
    return new Response("ok");
  };
}

/** Sends one hostile request; returns a description of what went wrong, or undefined. */
async function check(
  port: number,
  entry: HostileRequest,
  paths: string[],
  pieces?: string[],
): Promise<string | undefined> {
  paths.length = 0;
  const result = pieces === undefined
    ? await rawRequest(port, entry.bytes, { end: entry.end ?? false, timeoutMs: 5_000 })
    : await sendInPieces(port, pieces, { end: entry.end ?? false, timeoutMs: 5_000 });
  const statuses = responseStatuses(result.text);
  const problems: string[] = [];
  if (!statusesMatch(statuses, entry.statuses)) {
    problems.push(
      `statuses ${JSON.stringify(statuses)}, expected ${JSON.stringify(entry.statuses)}`,
    );
  }
  if (!result.closed) problems.push(result.timedOut ? "no close within 5 s" : "not closed");
  if (paths.some((path) => path.includes("smuggled"))) {
    problems.push(`the handler saw a smuggled request: ${JSON.stringify(paths)}`);
  }
  if (problems.length === 0) return undefined;
  return `${entry.name}: ${problems.join("; ")}\n    received ${
    JSON.stringify(result.text.slice(0, 200))
  }`;
}

/** The server still answers a plain request. */
async function assertStillServing(port: number): Promise<void> {
  const { text } = await rawRequest(
    port,
    "GET /alive HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
  );
  assert.deepEqual(responseStatuses(text), [200], "the server stopped serving");
}

async function runCases(cases: readonly HostileRequest[]): Promise<void> {
  assert.ok(cases.length > 0);
  const paths: string[] = [];
  await withServer(recordingHandler(paths), {}, async (_server: Server, port: number) => {
    const failures: string[] = [];
    for (const entry of cases) {
      const failure = await check(port, entry, paths);
      if (failure !== undefined) failures.push(failure);
    }
    assert.deepEqual(failures, [], `${failures.length} of ${cases.length} cases failed`);
    await assertStillServing(port);
  });
}

const KINDS: readonly HostileRequestKind[] = [
  "smuggling",
  "chunked",
  "request-line",
  "control-bytes",
  "obs-fold",
  "host",
  "oversize",
  "body-length",
  "pipelined-garbage",
];

// The corpus's statuses are the engine's parser's: node:http answers with
// llhttp's own (its run is the "node-http:" test at the end).
for (const kind of KINDS) {
  const cases = HOSTILE_REQUESTS.filter((entry) => entry.kind === kind);
  test(`engine: server answers hostile requests (${kind}, ${cases.length} cases) with the right status and closes`, async () => {
    await runCases(cases);
  });
}

const RUNS = Number(process.env.EH_FUZZ_RUNS ?? "1");

test("engine: server gives the same answers when hostile requests arrive split at random points", async () => {
  // Each piece is flushed before the next, so the parser meets every
  // element boundary mid-way at some point.
  const small = HOSTILE_REQUESTS.filter((entry) => entry.bytes.length < 4096);
  const paths: string[] = [];
  await withServer(recordingHandler(paths), {}, async (_server, port) => {
    const seed = Number(process.env.EH_FUZZ_SEED ?? Date.now() % 2 ** 31);
    const failures: string[] = [];
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...small),
        fc.array(fc.nat(4096), { minLength: 1, maxLength: 12 }),
        async (entry, cuts) => {
          const pieces = splitAt(entry.bytes, cuts.map((cut) => cut % entry.bytes.length));
          const failure = await check(port, entry, paths, pieces);
          if (failure !== undefined) {
            failures.push(`${failure}\n    pieces ${JSON.stringify(pieces)}`);
          }
          return failure === undefined;
        },
      ),
      { seed, numRuns: Math.max(50, 150 * RUNS), endOnFailure: true },
    ).catch((error: unknown) => {
      throw new Error(`seed ${seed} (EH_FUZZ_SEED=${seed} reproduces): ${failures.join("\n")}`, {
        cause: error,
      });
    });
    await assertStillServing(port);
  });
});

for (const { name, options } of TRANSPORTS) {
  test(`${name}: server answers 408 to a client sending its head one byte at a time too slowly`, {
    skip: bunNodeHttpGap(name, "applies no headersTimeout to a head that trickles in"),
  }, async () => {
    await withServer(
      () => new Response("ok"),
      { ...options, limits: { headersTimeout: 300 } },
      async (_s, port) => {
        const head = "GET / HTTP/1.1\r\nHost: x\r\nX-Slow: " + "s".repeat(200) + "\r\n\r\n";
        const result = await sendInPieces(port, head.split(""), { pauseMs: 10, timeoutMs: 8_000 });
        assert.equal(result.timedOut, false, "the server never gave up on the slow client");
        assert.equal(result.closed, true);
        assert.deepEqual(responseStatuses(result.text), [408]);
      },
    );
  });
}

for (const { name, options } of TRANSPORTS) {
  test(`${name}: server closes a connection that sends nothing within the header deadline`, async () => {
    await withServer(
      () => new Response("ok"),
      { ...options, limits: { headersTimeout: 300 } },
      async (_s, port) => {
        const result = await sendInPieces(port, [], { timeoutMs: 8_000 });
        assert.equal(result.timedOut, false, "the idle connection was never closed");
        assert.equal(result.text, "");
      },
    );
  });
}

test("engine: server memory stays bounded under a flood of hostile requests (child process)", async () => {
  const total = Math.max(300, Number(process.env.EH_FLOOD ?? "3000"));
  const concurrency = 50;
  const server = await startChildServer();
  try {
    const flood = async (count: number) => {
      let next = 0;
      let answered = 0;
      const worker = async () => {
        while (next < count) {
          const entry = HOSTILE_REQUESTS[next++ % HOSTILE_REQUESTS.length]!;
          const result = await rawRequest(server.port, entry.bytes, {
            end: entry.end ?? false,
            timeoutMs: 10_000,
          });
          if (result.closed) answered++;
        }
      };
      await Promise.all(Array.from({ length: concurrency }, worker));
      return answered;
    };
    await flood(HOSTILE_REQUESTS.length); // warm up every code path once
    const before = await server.memory();
    const answered = await flood(total);
    const after = await server.memory();
    const mib = (bytes: number) => (bytes / 2 ** 20).toFixed(1);
    console.log(
      `hardening: flood of ${total} hostile requests: rss ${mib(before.rss)} -> ${
        mib(after.rss)
      } MiB, heap ${mib(before.heapUsed)} -> ${mib(after.heapUsed)} MiB (gc ${after.gc})`,
    );
    assert.equal(answered, total, "every hostile connection is closed by the server");
    // Generous bounds: they catch buffering a flood, not allocator noise.
    assert.ok(
      after.heapUsed - before.heapUsed < 50 * 2 ** 20,
      `heap grew by ${mib(after.heapUsed - before.heapUsed)} MiB`,
    );
    assert.ok(
      after.rss - before.rss < 150 * 2 ** 20,
      `rss grew by ${mib(after.rss - before.rss)} MiB`,
    );
    const { text } = await rawRequest(
      server.port,
      "GET /hint HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
    );
    assert.deepEqual(responseStatuses(text), [103, 200], "the server still serves after the flood");
  } finally {
    await server.stop();
  }
});

test(
  "node-http: no hostile request is smuggled to the handler, every answer is well-formed",
  RUNTIME === "node" ? {} : {
    skip:
      "the node-http adapter runs on llhttp only under Node; elsewhere node:http is another parser",
  },
  async () => {
    // node:http answers with its own statuses (see docs/hardening.md, llhttp
    // differential); what must hold whatever the parser: no smuggling, a
    // close after the client's EOF, and only well-formed responses.
    // One case is refused by our engine by policy but framed without
    // ambiguity by RFC 9112 when a parser accepts it: a long chunk extension
    // is still one chunk (7.1.1). llhttp accepts it, so the request after it
    // is a genuine pipelined request there, not a smuggled one (class D9).
    const framedAlike = new Set(["chunk-size trick: oversized extension"]);
    const paths: string[] = [];
    await withServer(recordingHandler(paths), { adapter: "node-http" }, async (_server, port) => {
      const failures: string[] = [];
      for (const entry of HOSTILE_REQUESTS) {
        paths.length = 0;
        const result = await rawRequest(port, entry.bytes, { end: true, timeoutMs: 5_000 });
        const parser = new ResponseParser({ allowBareLf: false });
        for (let i = 0; i < 8; i++) parser.expect("GET");
        const parsed = drive(
          parser as unknown as Parameters<typeof drive>[0],
          [latin1Bytes(result.text)],
          true,
        );
        const problems: string[] = [];
        if (!result.closed) problems.push("no close after EOF");
        if (!framedAlike.has(entry.name) && paths.some((path) => path.includes("smuggled"))) {
          problems.push("smuggled to the handler");
        }
        if (parsed.error !== undefined) problems.push(`malformed answer (${parsed.error})`);
        if (problems.length > 0) failures.push(`${entry.name}: ${problems.join("; ")}`);
      }
      assert.deepEqual(failures, []);
      await assertStillServing(port);
    });
  },
);
