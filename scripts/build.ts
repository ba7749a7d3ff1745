/**
 * The npm build (`npm run build`, also run by `npm pack`): compiles the `.ts`
 * sources to `dist/*.js` + `dist/*.d.ts` with `tsc -p tsconfig.build.json`.
 *
 * tsc's `rewriteRelativeImportExtensions` turns `./x.ts` into `./x.js` in
 * the emitted JavaScript but leaves declaration files alone; TypeScript 7
 * resolves those, older compilers may not, so the `.d.ts` specifiers are
 * rewritten here too. The build then fails if any emitted file still names
 * a relative `.ts` module, or a `package.json` export target is missing.
 *
 * Usage: `node --import tsx scripts/build.ts [--out=DIR]`
 *
 * @module
 */

import { existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { runCommand } from "./_run.ts";
import { sourceViews } from "./_source.ts";

const ROOT = resolve(fileURLToPath(import.meta.url), "../..");
/** `--out=DIR` builds elsewhere (check_pack.ts stages a package); default `dist/`. */
const outArg = process.argv.slice(2).find((arg) => arg.startsWith("--out="));
const DIST = outArg === undefined ? join(ROOT, "dist") : resolve(outArg.slice("--out=".length));

/** `from "./a.ts"`, `import("../b.ts")`, `import "./c.ts"` with a relative specifier. */
const RELATIVE_TS = /((?:\bfrom|\bimport)\s*\(?\s*["'])(\.{1,2}\/[^"']*?)\.ts(["'])/g;

function listFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    return entry.isDirectory() ? listFiles(path) : [path];
  });
}

/** Collects every string target in a package.json `exports` value. */
function exportTargets(value: unknown): string[] {
  if (typeof value === "string") return [value];
  if (value !== null && typeof value === "object") {
    return Object.values(value).flatMap(exportTargets);
  }
  return [];
}

async function build(): Promise<string[]> {
  const problems: string[] = [];
  rmSync(DIST, { recursive: true, force: true });
  const tsc = await runCommand(join(ROOT, "node_modules", ".bin", "tsc"), [
    "-p",
    "tsconfig.build.json",
    "--outDir",
    DIST,
  ], { cwd: ROOT, timeoutMs: 120_000 });
  if (tsc.code !== 0) return [`tsc -p tsconfig.build.json failed (exit ${tsc.code})`];

  const files = listFiles(DIST);
  for (const file of files.filter((f) => f.endsWith(".d.ts"))) {
    const text = readFileSync(file, "utf8");
    const rewritten = text.replace(RELATIVE_TS, "$1$2.js$3");
    if (rewritten !== text) writeFileSync(file, rewritten);
  }
  for (const file of files.filter((f) => f.endsWith(".js") || f.endsWith(".d.ts"))) {
    // JSDoc examples legitimately show `.ts` imports; only code counts.
    const code = sourceViews(readFileSync(file, "utf8")).noComments;
    for (const match of code.matchAll(RELATIVE_TS)) {
      problems.push(`${relative(ROOT, file)} still imports ${match[2]}.ts`);
    }
  }
  const manifest = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")) as {
    exports?: unknown;
    bin?: unknown;
  };
  for (const target of [...exportTargets(manifest.exports), ...exportTargets(manifest.bin)]) {
    if (!target.startsWith("./dist/")) continue;
    const built = join(DIST, target.slice("./dist/".length));
    if (!existsSync(built)) problems.push(`package.json names ${target}, not built`);
  }
  console.log(`build: ${files.length} files in ${relative(ROOT, DIST) || "."}/`);
  return problems;
}

const problems = await build();
for (const problem of problems) console.error(`build: ${problem}`);
process.exitCode = problems.length === 0 ? 0 : 1;
