/**
 * Fuzzing the running server: mutated request streams (valid pipelines with
 * random edits) are sent over real sockets. Whatever arrives, the server must
 * answer with well-formed responses only (each parses with the engine's
 * strict response parser), never leave a connection hanging after the
 * client's EOF, never hand a handler a request the engine would refuse, and
 * keep serving. `EH_FUZZ_RUNS` scales the count, `EH_FUZZ_SEED` replays.
 */

import { test } from "node:test";
import assert from "node:assert/strict";
import process from "node:process";
import fc from "fast-check";
import { ResponseParser } from "../src/http1/response_parser.ts";
import {
  drive,
  latin1Bytes,
  mutate,
  mutationsArb,
  requestStreamArb,
} from "./_support/hostile_generators.ts";
import { fuzzSeed } from "./_support/hostile_properties.ts";
import { responseStatuses } from "./_support/hostile_requests.ts";
import { rawRequest } from "./_support/server_raw.ts";
import { withServer } from "./_support/server_util.ts";

const RUNS = Math.max(50, Math.round(300 * Number(process.env.EH_FUZZ_RUNS ?? "1")));

test(`server answers ${RUNS} mutated request streams with well-formed responses and closes`, async () => {
  const seed = fuzzSeed(process.env);
  let handled = 0;
  await withServer(
    async (request) => {
      handled++;
      await request.arrayBuffer().catch(() => {});
      return new Response("ok");
    },
    { limits: { headersTimeout: 2_000 } },
    async (_server, port) => {
      const failures: string[] = [];
      await fc.assert(
        fc.asyncProperty(requestStreamArb, mutationsArb, async (models, edits) => {
          const text = mutate(models.map((model) => model.wire).join(""), edits);
          const result = await rawRequest(port, text, { end: true, timeoutMs: 5_000 });
          const problems: string[] = [];
          if (!result.closed) problems.push("no close after the client's EOF");
          // Every byte received must be a sequence of complete, valid responses.
          const parser = new ResponseParser({ allowBareLf: false });
          for (let i = 0; i < 64; i++) parser.expect("GET");
          const parsed = drive(
            parser as unknown as Parameters<typeof drive>[0],
            [latin1Bytes(result.text)],
            true,
          );
          if (parsed.error !== undefined) {
            problems.push(`malformed response bytes: ${parsed.error}`);
          }
          if (parsed.messages.some((message) => message.trailers === undefined)) {
            problems.push("a response was cut short");
          }
          if (problems.length > 0) {
            failures.push(
              `${problems.join("; ")}\n    sent ${JSON.stringify(text.slice(0, 300))}\n    got ${
                JSON.stringify(result.text.slice(0, 300))
              }`,
            );
          }
          return problems.length === 0;
        }),
        { seed, numRuns: RUNS, endOnFailure: true },
      ).catch((error: unknown) => {
        throw new Error(`seed ${seed} (EH_FUZZ_SEED=${seed} replays): ${failures.join("\n")}`, {
          cause: error,
        });
      });
      const { text } = await rawRequest(
        port,
        "GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
      );
      assert.deepEqual(responseStatuses(text), [200], "the server still serves");
      assert.ok(handled > 0, "some mutated requests were still valid and reached the handler");
    },
  );
});
