// The README's main command: the seed program in TypeScript must print the
// seed's nine lines exactly, on every runtime.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import path from "node:path";
import process from "node:process";
import { fieldValues, goValues, runSeed, SEED_LINES } from "../scripts/demo_seed_app.ts";
import { CURRENT_RUNTIME, REPO_ROOT, runProgram } from "./_support/run_ts.ts";
import { SEED_OUTPUT_LINES } from "./_support/seed.ts";

const SPAWN = { timeout: 90_000 };

test("SEED_LINES is the seed's Output block", () => {
  assert.deepEqual(SEED_LINES, SEED_OUTPUT_LINES);
});

test("goValues prints a list as Go's fmt.Println prints a []string", () => {
  assert.equal(goValues([]), "[]");
  assert.equal(goValues(["yyy"]), "[yyy]");
  assert.equal(goValues(["ttt", "uuu"]), "[ttt uuu]");
  // One field line holding a comma is one value, as in Go.
  assert.equal(goValues(["ttt, uuu"]), "[ttt, uuu]");
});

test("fieldValues returns one value per field line, any name case", () => {
  const fields: Array<[string, string]> = [["SSS", "ttt"], ["aaa", "bbb"], ["sss", "uuu"]];
  assert.deepEqual(fieldValues(fields, "sss"), ["ttt", "uuu"]);
  assert.deepEqual(fieldValues(fields, "Aaa"), ["bbb"]);
  assert.deepEqual(fieldValues(fields, "ccc"), []);
});

test("runSeed prints the seed's nine lines in-process", async () => {
  const printed: string[] = [];
  const { lines, hintToFinalMs } = await runSeed(50, 20_000, (line) => printed.push(line));
  assert.deepEqual(lines, SEED_LINES);
  assert.deepEqual(printed, SEED_LINES, "each line is handed out as it becomes known");
  assert.ok(Number.isFinite(hintToFinalMs), "the hint was seen before the final response");
});

test("scripts/demo_seed.ts names its runtime and prints the seed's lines", SPAWN, async () => {
  const { code, stdout, stderr } = await runProgram("scripts/demo_seed.ts", ["--delay=50"]);
  assert.equal(code, 0, stderr);
  const lines = stdout.split("\n");
  assert.match(lines[0]!, new RegExp(`^runtime: ${CURRENT_RUNTIME} \\d+\\.\\d+\\.\\d+`));
  assert.deepEqual(lines.slice(1, 10), SEED_LINES);
  assert.match(lines[10]!, /^\(final response \d+ ms after the hint\)$/);
});

test("scripts/demo_seed.ts rejects an unknown argument", SPAWN, async () => {
  const { code, stderr } = await runProgram("scripts/demo_seed.ts", ["--dealy=5"]);
  assert.equal(code, 1);
  assert.match(stderr, /unknown argument "--dealy=5"/);
});

/** Runs the launcher the way `npm run demo` does: with Node and tsx. */
function runLauncher(args: string[]): Promise<{ code: number | null; stdout: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn("node", [
      "--import",
      "tsx",
      path.join(REPO_ROOT, "scripts", "demo.ts"),
      ...args,
    ], {
      cwd: REPO_ROOT,
      env: process.env,
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    child.stdout.setEncoding("utf8");
    child.stdout.on("data", (chunk: string) => {
      stdout += chunk;
    });
    child.stderr.setEncoding("utf8");
    child.stderr.on("data", (chunk: string) => {
      stdout += chunk;
    });
    const timer = setTimeout(() => child.kill("SIGKILL"), 80_000);
    child.once("error", (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.once("close", (code) => {
      clearTimeout(timer);
      resolve({ code, stdout });
    });
  });
}

test(
  `npm run demo -- --runtime=${CURRENT_RUNTIME} runs the seed and confirms its lines`,
  SPAWN,
  async () => {
    const { code, stdout } = await runLauncher([`--runtime=${CURRENT_RUNTIME}`, "--delay=50"]);
    assert.equal(code, 0, stdout);
    assert.ok(stdout.includes(`=== ${CURRENT_RUNTIME} ===`), stdout);
    assert.ok(stdout.includes(SEED_LINES.join("\n")), stdout);
    assert.ok(stdout.includes(`${CURRENT_RUNTIME}: the seed's 9 lines, as Go prints them`), stdout);
  },
);

test("npm run demo rejects an unknown runtime with exit 2", SPAWN, async () => {
  const { code, stdout } = await runLauncher(["--runtime=python"]);
  assert.equal(code, 2);
  assert.match(stdout, /unknown runtime "python"/);
});
