/**
 * Fuzzing the client end to end: a raw server answers each request with a
 * generated response stream (interim responses, a final response, a body),
 * randomly mutated and delivered in random pieces, then closes or stays
 * silent. Whatever arrives, `fetch()` and the body read must settle within
 * the client's own timeouts, with a response or a `FetchError` (never another
 * kind of error, never a hang), and the next request must succeed on a fresh
 * connection. The engine fuzz cannot see such integration bugs (finding F2
 * was one). `EH_FUZZ_RUNS` scales the count, `EH_FUZZ_SEED` replays.
 */

import { test } from "node:test";
import assert from "node:assert/strict";
import process from "node:process";
import fc from "fast-check";
import { Client, FetchError } from "../client.ts";
import { mutate, mutationsArb, responseStreamArb } from "./_support/hostile_generators.ts";
import { fuzzSeed } from "./_support/hostile_properties.ts";
import { startRawServer } from "./_support/raw_server.ts";
import { delay, within } from "./_support/server_util.ts";

const RUNS = Math.max(40, Math.round(200 * Number(process.env.EH_FUZZ_RUNS ?? "1")));
const OK = "HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok";

interface Reply {
  readonly text: string;
  readonly cuts: readonly number[];
  readonly close: boolean;
}

test(`client settles cleanly on ${RUNS} mutated response streams in random pieces`, async () => {
  const seed = fuzzSeed(process.env);
  let current: Reply | undefined;
  const server = await startRawServer(async (peer) => {
    for (;;) {
      const head = await peer.readHead();
      if (head.startsWith("GET /ok ")) {
        peer.write(OK);
        continue;
      }
      const { text, cuts, close } = current!;
      let from = 0;
      const points = [...new Set(cuts.map((cut) => cut % (text.length + 1)))].sort((a, b) => a - b);
      for (const cut of points) {
        if (cut <= from) continue;
        peer.write(text.slice(from, cut));
        from = cut;
        await delay(1);
      }
      peer.write(text.slice(from));
      if (close) {
        peer.end();
        return;
      }
    }
  });
  const client = new Client({ headersTimeout: 500, bodyTimeout: 500 });
  const failures: string[] = [];
  const outcomes = new Map<string, number>();
  try {
    await fc.assert(
      fc.asyncProperty(
        responseStreamArb,
        mutationsArb,
        fc.array(fc.nat(), { maxLength: 6 }),
        fc.boolean(),
        fc.boolean(),
        async (models, edits, cuts, mutated, keepOpen) => {
          const wire = models[0]!.wire;
          const text = mutated ? mutate(wire, edits) : wire;
          // Staying open only matters when the stream may need its close.
          current = { text, cuts, close: !(keepOpen && cuts.length % 4 === 0) };
          const method = models[0]!.method;
          let outcome: string;
          try {
            outcome = await within(
              (async () => {
                let response;
                try {
                  response = await client.fetch(`${server.url}/case`, { method });
                } catch (error) {
                  if (error instanceof FetchError) return `fetch rejected ${error.code}`;
                  return `fetch rejected with a non-FetchError: ${String(error)}`;
                }
                if (response.status < 200 || response.status > 599) {
                  return `status ${response.status}`;
                }
                try {
                  await response.arrayBuffer();
                  return "ok";
                } catch (error) {
                  if (error instanceof FetchError) return `body failed ${error.code}`;
                  return `body failed with a non-FetchError: ${String(error)}`;
                }
              })(),
              5_000,
              "the exchange",
            );
          } catch (error) {
            outcome = `hang: ${String(error)}`;
          }
          const kind = outcome.replace(/ [A-Z_]+$/, "");
          outcomes.set(outcome, (outcomes.get(outcome) ?? 0) + 1);
          const fetchOk = () =>
            within(client.fetch(`${server.url}/ok`), 5_000, "the next fetch")
              .then((response) => response.text(), (error: unknown) => `failed: ${String(error)}`);
          let next = await fetchOk();
          // After a clean exchange the connection was rightly reused; bytes
          // the server sends later (a mutation past the end of the message,
          // in a later piece) then spoil that next request, as they would with
          // any HTTP/1.1 client. The connection must not survive it.
          if (next !== "ok" && outcome === "ok") next = await fetchOk();
          const problems: string[] = [];
          if (kind !== "ok" && kind !== "fetch rejected" && kind !== "body failed") {
            problems.push(outcome);
          }
          if (next !== "ok") problems.push(`the next request: ${next}`);
          if (problems.length > 0) {
            failures.push(
              `${problems.join("; ")}\n    reply ${JSON.stringify(text.slice(0, 300))}`,
            );
          }
          return problems.length === 0;
        },
      ),
      { seed, numRuns: RUNS, endOnFailure: true },
    ).catch((error: unknown) => {
      throw new Error(`seed ${seed} (EH_FUZZ_SEED=${seed} replays): ${failures.join("\n")}`, {
        cause: error,
      });
    });
  } finally {
    await client.close();
    await server.close();
  }
  console.log(
    `hardening: client fuzz: ${RUNS} streams; ` +
      [...outcomes].sort((a, b) => b[1] - a[1]).map(([key, n]) => `${n} x ${key}`).join("; "),
  );
  assert.ok((outcomes.get("ok") ?? 0) > 0, "some streams were still valid");
});
