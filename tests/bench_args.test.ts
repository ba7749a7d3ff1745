// `npm run bench` takes ten minutes and rewrites docs/benchmarks.*: asking for
// help, or mistyping an option, must do neither.
import { test } from "node:test";
import assert from "node:assert/strict";
import { statSync } from "node:fs";
import path from "node:path";
import { REPO_ROOT, runProgram } from "./_support/run_ts.ts";

const SPAWN = { timeout: 60_000 };
const REPORT = path.join(REPO_ROOT, "docs", "benchmarks.json");

test("bench --help prints the usage and exits 0 without measuring", SPAWN, async () => {
  const before = statSync(REPORT).mtimeMs;
  for (const flag of ["--help", "-h"]) {
    const { code, stdout, stderr } = await runProgram("scripts/bench.ts", [flag], {
      timeoutMs: 45_000,
    });
    assert.equal(code, 0, stderr);
    assert.match(stdout, /^usage: npm run bench -- \[options\]/);
    for (const option of ["--quick", "--runtime=", "--only=", "--out=", "--render=", "--merge="]) {
      assert.ok(stdout.includes(option), `help lists ${option}`);
    }
  }
  assert.equal(statSync(REPORT).mtimeMs, before, "docs/benchmarks.json untouched");
});

test("bench rejects an unknown argument with exit 2 before measuring", SPAWN, async () => {
  for (const args of [["--quik"], ["--runtime", "deno"], ["server"]]) {
    const { code, stdout, stderr } = await runProgram("scripts/bench.ts", args, {
      timeoutMs: 45_000,
    });
    assert.equal(code, 2, `${args.join(" ")}: ${stdout}${stderr}`);
    assert.match(stderr, new RegExp(`unknown argument "${args[0]}"`));
    assert.equal(stdout, "", "nothing measured");
  }
});
