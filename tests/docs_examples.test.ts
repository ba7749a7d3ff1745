// Every snippet a user might copy runs as written, on the runtime running this
// test: the TypeScript and shell blocks of README.md and docs/*.md, and the
// fenced examples in the JSDoc of the entry points and of src/. Each runs in
// its own child process and must exit 0 (the snippets assert with
// node:assert/strict). A block that cannot run here is marked `no-run REASON`
// in its info string and shows up below as a skipped test with that reason.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import process from "node:process";
import { type DocBlock, jsdocBlocks, markdownBlocks } from "./_support/doc_blocks.ts";
import { readPackageExports, rewriteSpecifiers } from "./_support/doc_specifiers.ts";
import { CURRENT_RUNTIME, REPO_ROOT, runProgram } from "./_support/run_ts.ts";

const BLOCK_TIMEOUT_MS = 60_000;
const SCRATCH = path.join(REPO_ROOT, ".scratch", "docs-examples");
const PACKAGE = readPackageExports(REPO_ROOT);

/** The repository's files, relative to the root, recursively, sorted. */
function listFiles(directory: string, suffix: string): string[] {
  const found: string[] = [];
  for (const entry of readdirSync(path.join(REPO_ROOT, directory), { withFileTypes: true })) {
    const relative = path.posix.join(directory, entry.name);
    if (entry.isDirectory()) found.push(...listFiles(relative, suffix));
    else if (entry.name.endsWith(suffix)) found.push(relative);
  }
  return found.sort();
}

const MARKDOWN = ["README.md", ...listFiles("docs", ".md")];
// The entry points deno.json exports (mod.ts, server.ts, ...), then src/.
const ENTRY_POINTS = [...new Set(PACKAGE.entries.values())]
  .map((file) => path.relative(REPO_ROOT, file).replaceAll("\\", "/"));
const SOURCES = [...ENTRY_POINTS, ...listFiles("src", ".ts")];
const BLOCKS: DocBlock[] = [
  ...MARKDOWN.flatMap((file) =>
    markdownBlocks(file, readFileSync(path.join(REPO_ROOT, file), "utf8"))
  ),
  ...SOURCES.flatMap((file) => jsdocBlocks(file, readFileSync(path.join(REPO_ROOT, file), "utf8"))),
];
const CODE = BLOCKS.filter((block) => block.kind !== "other");
const TO_RUN = CODE.filter((block) => block.noRun === undefined);
const NOT_RUN = CODE.filter((block) => block.noRun !== undefined);

function nameOf(block: DocBlock): string {
  return `${block.file}:${block.line} (${block.lang})`;
}

/** Runs a TypeScript block on the current runtime from a scratch file. */
async function runTsBlock(block: DocBlock): Promise<void> {
  // console.assert only prints: an example checked with it can never fail.
  assert.doesNotMatch(block.code, /console\.assert/, `${nameOf(block)}: use node:assert/strict`);
  assert.match(
    block.code,
    /from "node:assert\/strict"/,
    `${nameOf(block)}: an example asserts what it shows, with node:assert/strict`,
  );
  const code = rewriteSpecifiers(
    block.code,
    path.join(REPO_ROOT, block.file),
    PACKAGE,
    CURRENT_RUNTIME === "deno",
  );
  mkdirSync(SCRATCH, { recursive: true });
  const directory = mkdtempSync(path.join(SCRATCH, `${CURRENT_RUNTIME}-`));
  const slug = `${block.file.replaceAll(/[^A-Za-z0-9]+/g, "_")}_${block.line}.ts`;
  try {
    writeFileSync(path.join(directory, slug), code);
    const relative = path.relative(REPO_ROOT, path.join(directory, slug));
    const result = await runProgram(relative, [], { timeoutMs: BLOCK_TIMEOUT_MS });
    assert.equal(
      result.code,
      0,
      `${nameOf(block)} exited ${result.code}\n--- code\n${code}--- stdout\n${result.stdout}\n` +
        `--- stderr\n${result.stderr}`,
    );
  } finally {
    rmSync(directory, { recursive: true, force: true });
  }
}

/**
 * The PATH a user has after `npm ci`: `npm test` (through `npm run`) puts
 * node_modules/.bin first, which would hide a snippet calling `deno` or `bun`
 * as if they were installed.
 */
function userPath(): string {
  return (process.env.PATH ?? "").split(path.delimiter)
    .filter((entry) => !entry.replaceAll("\\", "/").endsWith("node_modules/.bin"))
    .join(path.delimiter);
}

/** Runs a shell block with `sh -e` in the repository root. */
function runShBlock(block: DocBlock): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn("sh", ["-e", "-c", block.code], {
      cwd: REPO_ROOT,
      env: { ...process.env, PATH: userPath(), NO_COLOR: "1" },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let output = "";
    child.stdout.setEncoding("utf8").on("data", (chunk: string) => (output += chunk));
    child.stderr.setEncoding("utf8").on("data", (chunk: string) => (output += chunk));
    const timer = setTimeout(() => child.kill("SIGKILL"), BLOCK_TIMEOUT_MS);
    child.once("error", (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.once("close", (code, signal) => {
      clearTimeout(timer);
      if (code === 0) resolve();
      else {
        reject(
          new Error(`${nameOf(block)} exited ${code ?? signal}\n${block.code}---\n${output}`),
        );
      }
    });
  });
}

test("doc blocks: the extractor finds fences in Markdown and JSDoc, with no-run reasons", () => {
  const markdown = markdownBlocks(
    "x.md",
    "# t\n```ts\nconst a = 1;\n```\n\n```sh no-run: needs a cluster\nkubectl get pods\n```\n```\nout\n```\n",
  );
  assert.deepEqual(
    markdown.map(({ line, lang, kind, noRun, code }) => ({ line, lang, kind, noRun, code })),
    [
      { line: 2, lang: "ts", kind: "ts", noRun: undefined, code: "const a = 1;\n" },
      { line: 6, lang: "sh", kind: "sh", noRun: "needs a cluster", code: "kubectl get pods\n" },
      { line: 9, lang: "", kind: "other", noRun: undefined, code: "out\n" },
    ],
  );
  const jsdoc = jsdocBlocks(
    "x.ts",
    "/** One line. */\nconst a = 1;\n/**\n * Doc.\n *\n * @example X\n * ```ts ignore\n * if (a) {\n *   f();\n * }\n * ```\n */\n",
  );
  assert.deepEqual(
    jsdoc.map(({ line, lang, noRun, code }) => ({ line, lang, noRun, code })),
    [{ line: 7, lang: "ts", noRun: undefined, code: "if (a) {\n  f();\n}\n" }],
  );
  assert.throws(() => markdownBlocks("y.md", "```ts\nnever closed\n"), /y\.md:1: unclosed/);
  const [shell, denoOnly] = markdownBlocks(
    "z.md",
    "```sh run\nls\n```\n```ts runtimes=deno\n1;\n```\n",
  );
  assert.deepEqual([shell!.safeToRun, shell!.runtimes], [true, undefined]);
  assert.deepEqual([denoOnly!.safeToRun, denoOnly!.runtimes], [false, ["deno"]]);
  const upper = markdownBlocks("u.md", "```TS\n1;\n```\n```Bash\nls\n```\n");
  assert.deepEqual(upper.map((block) => block.kind), ["ts", "sh"]);
});

test("doc blocks: imports of the package's name and relative imports are resolved", () => {
  const source = path.join(REPO_ROOT, "src", "http1", "serialize.ts");
  const code =
    'import { a } from "./validate.ts";\nimport { fetch } from "@interim/http/client";\n' +
    'import { Hono } from "hono";\n';
  const mapped = rewriteSpecifiers(code, source, PACKAGE, false);
  assert.match(mapped, /from "file:\/\/.*\/src\/http1\/validate\.ts"/);
  assert.match(mapped, /from "file:\/\/.*\/client\.ts"/);
  assert.match(mapped, /from "hono"/);
  assert.match(rewriteSpecifiers(code, source, PACKAGE, true), /from "@interim\/http\/client"/);
  assert.throws(
    () => rewriteSpecifiers('import "@interim/http/nope";', source, PACKAGE, false),
    /@interim\/http\/nope is not exported by deno\.json/,
  );
});

test(
  `doc blocks: ${TO_RUN.length} run, ${NOT_RUN.length} marked no-run (listed as skipped), ` +
    `${BLOCKS.length - CODE.length} output or data blocks`,
  () => {
    const unexplained = NOT_RUN.filter((block) => block.noRun === "").map(nameOf);
    assert.deepEqual(unexplained, [], "a no-run block must say why in its info string");
    // The extractor must keep finding the snippets users copy first.
    for (const file of ["README.md", ...ENTRY_POINTS]) {
      assert.ok(
        TO_RUN.some((block) => block.file === file && block.kind === "ts"),
        `${file} has a TypeScript example that runs`,
      );
    }
  },
);

function runsHere(block: DocBlock): boolean {
  return block.noRun === undefined &&
    (block.runtimes === undefined || block.runtimes.includes(CURRENT_RUNTIME)) &&
    (block.kind === "ts" || block.safeToRun);
}

// Each test starts its block's child and the next one's, so two children run
// at a time: the blocks are independent (port 0, own scratch directory), and
// most of a block's time is its runtime starting up.
const RUNNABLE = CODE.filter(runsHere);
const runs = new Map<DocBlock, Promise<void>>();

function runOf(block: DocBlock): Promise<void> {
  let run = runs.get(block);
  if (run === undefined) {
    run = block.kind === "ts" ? runTsBlock(block) : runShBlock(block);
    // Reported by the block's own test; a prefetched failure is not unhandled meanwhile.
    run.catch(() => {});
    runs.set(block, run);
  }
  return run;
}

function runWithNext(block: DocBlock): Promise<void> {
  const next = RUNNABLE[RUNNABLE.indexOf(block) + 1];
  if (next !== undefined) void runOf(next);
  return runOf(block);
}

for (const block of CODE) {
  const name = nameOf(block);
  if (block.noRun !== undefined) {
    test(name, { skip: `no-run: ${block.noRun || "(no reason given)"}` }, () => {});
  } else if (block.runtimes !== undefined && !block.runtimes.includes(CURRENT_RUNTIME)) {
    test(name, { skip: `runs on ${block.runtimes.join(", ")} only` }, () => {});
  } else if (block.kind === "ts") {
    test(name, { timeout: BLOCK_TIMEOUT_MS + 10_000 }, () => runWithNext(block));
  } else if (block.safeToRun) {
    test(name, { timeout: BLOCK_TIMEOUT_MS + 10_000 }, () => runWithNext(block));
  } else {
    // A shell block can install, delete or run for minutes: it runs only when
    // its fence says it is cheap and safe (`sh run`).
    test(name, () => assert.fail(`${name}: mark the fence "sh run" or "sh no-run REASON"`));
  }
}
