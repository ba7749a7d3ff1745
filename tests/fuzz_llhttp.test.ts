/**
 * Differential fuzzing of the request parser against llhttp, Node's strict
 * HTTP/1.1 parser, reached as a real `node:http` server on loopback (run by
 * `_support/hostile_llhttp_oracle.ts` under `node`, whatever runtime runs
 * this test). Inputs: mutated valid requests, framing-focused combinations
 * (Content-Length and Transfer-Encoding variants, chunk tricks, smuggled
 * requests) and the hostile request corpus.
 *
 * Every disagreement is classified; each class must be one justified from
 * RFC 9110/9112 in `_support/hostile_differential.ts` (and
 * `docs/hardening.md`). A `framing` disagreement, both parsers accepting
 * but not the same requests, is request smuggling and always fails.
 * `EH_FUZZ_RUNS` scales the count, `EH_FUZZ_SEED` replays a run.
 */

import { test } from "node:test";
import assert from "node:assert/strict";
import process from "node:process";
import {
  compareWithLlhttp,
  differentialInputs,
  findNode,
  isJustified,
} from "./_support/hostile_differential.ts";
import { latin1Text } from "./_support/hostile_generators.ts";
import { fuzzSeed } from "./_support/hostile_properties.ts";

const node = findNode();
const COUNT = Math.max(100, Math.round(1500 * Number(process.env.EH_FUZZ_RUNS ?? "1")));

test(
  `request parser agrees with llhttp on ${COUNT} generated inputs and the hostile corpus, or the difference is justified`,
  node === undefined ? { skip: "node is not installed: no llhttp to compare with" } : {},
  async () => {
    const seed = fuzzSeed(process.env);
    const { inputs, sources } = differentialInputs(seed, COUNT);
    const results = await compareWithLlhttp(node!, inputs);
    const classes = new Map<string, number>();
    const unjustified = new Map<string, string[]>();
    results.forEach((result, index) => {
      const key = result.disagreement;
      if (key === undefined) return;
      classes.set(key, (classes.get(key) ?? 0) + 1);
      if (isJustified(key, result.bytes)) return;
      const examples = unjustified.get(key) ?? [];
      if (examples.length < 3) {
        examples.push(
          `${sources[index]} ${JSON.stringify(latin1Text(result.bytes).slice(0, 300))}\n` +
            `      ours   ${JSON.stringify(result.ours).slice(0, 300)}\n` +
            `      llhttp ${JSON.stringify(result.theirs).slice(0, 300)}`,
        );
      }
      unjustified.set(key, examples);
    });
    const agreed = results.filter((result) => result.disagreement === undefined).length;
    console.log(
      `hardening: llhttp differential (seed ${seed}): ${inputs.length} inputs, ${agreed} agree; ` +
        [...classes].sort((a, b) => b[1] - a[1]).map(([key, n]) => `${n} x ${key}`).join("; "),
    );
    const report = [...unjustified].map(([key, examples]) =>
      `${key}:\n    ${examples.join("\n    ")}`
    );
    assert.deepEqual(
      report,
      [],
      `unjustified disagreements with llhttp (seed ${seed}; EH_FUZZ_SEED=${seed} replays)`,
    );
    assert.ok(agreed > inputs.length / 2, "most inputs get the same verdict");
  },
);
