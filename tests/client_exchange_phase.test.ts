// The client exchange's phase table (src/client/exchange_phase.ts): the
// invariants the connection relies on, checked over every phase and event.
import { test } from "node:test";
import assert from "node:assert/strict";
import {
  exchangeEnded,
  type ExchangeEvent,
  type ExchangePhase,
  headHandedOver,
  nextPhase,
} from "../src/client/exchange_phase.ts";

const PHASES: readonly ExchangePhase[] = [
  "writing",
  "awaiting-continue",
  "awaiting-head",
  "reading-body-early",
  "reading-body",
  "done",
  "failed",
  "cancelled",
];
const EVENTS: readonly ExchangeEvent[] = [
  "hold-body",
  "release-body",
  "request-written",
  "final-head",
  "body-end",
  "fail",
  "cancel",
];

function tryNext(phase: ExchangePhase, event: ExchangeEvent): ExchangePhase | undefined {
  try {
    return nextPhase(phase, event);
  } catch {
    return undefined;
  }
}

test("exchange phase: an ended exchange takes no event, every other one can fail", () => {
  for (const phase of PHASES) {
    if (exchangeEnded(phase)) {
      for (const event of EVENTS) {
        assert.throws(() => nextPhase(phase, event), /cannot happen in phase/, `${phase} ${event}`);
      }
    } else assert.equal(nextPhase(phase, "fail"), "failed", phase);
  }
});

test("exchange phase: every path from writing ends, and the head is handed over once", () => {
  // Walk every reachable phase; a transition never takes the head back.
  const reached = new Set<ExchangePhase>(["writing"]);
  const queue: ExchangePhase[] = ["writing"];
  while (queue.length > 0) {
    const phase = queue.shift()!;
    for (const event of EVENTS) {
      const next = tryNext(phase, event);
      if (next === undefined) continue;
      if (headHandedOver(phase)) assert.ok(headHandedOver(next) || next === "failed");
      if (event === "final-head") assert.ok(headHandedOver(next), `${phase} final-head`);
      if (!reached.has(next)) {
        reached.add(next);
        queue.push(next);
      }
    }
  }
  assert.deepEqual([...reached].sort(), [...PHASES].sort(), "every phase is reachable");
});

test("exchange phase: a body is cancelled only after the head, and reuse needs the whole request", () => {
  for (const phase of PHASES) {
    const cancelled = tryNext(phase, "cancel");
    if (cancelled !== undefined) assert.ok(headHandedOver(phase) && cancelled === "cancelled");
  }
  // A head before the request was written stays "early" until the writer finishes.
  assert.equal(nextPhase("writing", "final-head"), "reading-body-early");
  assert.equal(nextPhase("awaiting-continue", "final-head"), "reading-body-early");
  assert.equal(nextPhase("reading-body-early", "request-written"), "reading-body");
  assert.equal(nextPhase("awaiting-head", "final-head"), "reading-body");
  // The held body goes out only from awaiting-continue.
  for (const phase of PHASES) {
    if (phase !== "awaiting-continue") assert.equal(tryNext(phase, "release-body"), undefined);
  }
});
