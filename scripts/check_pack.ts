/**
 * Proves the npm package works for a plain Node user: build into a staged
 * copy of the package in a temporary directory, `npm pack` it, install the
 * tarball into an empty temporary project with no network, then
 * - import every `exports` entry with plain `node` (no TypeScript loader),
 *   under every Node of the test matrix (22, 24, 26: the `node22`,
 *   `node24` and `node26` devDependencies),
 * - run every `bin` command with `--help` under each of them,
 * - type-check a strict consumer that imports every entry against the
 *   shipped `.d.ts` files: without hono (the optional peer) with
 *   `skipLibCheck: true`, and with hono with `skipLibCheck: false` (without
 *   hono and `skipLibCheck: false` only warns),
 * - check the tarball holds `dist/`, README.md, LICENSE and no sources.
 *
 * Usage: `node --import tsx scripts/check_pack.ts [--keep]` (`--keep` leaves
 * the temporary directory for inspection).
 *
 * @module
 */

import {
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { runCommand, type RunResult } from "./_run.ts";

const ROOT = resolve(fileURLToPath(import.meta.url), "../..");
/** The Node versions the package supports and the tests run on (package.json engines: >=22). */
const NODE_VERSIONS = ["node22", "node24", "node26"] as const;
const keep = process.argv.includes("--keep");

interface Manifest {
  name: string;
  exports: Record<string, unknown>;
  bin?: Record<string, string>;
}

interface PackInfo {
  filename: string;
  files: { path: string }[];
}

async function npm(args: string[], cwd: string): Promise<string> {
  const run = await runCommand("npm", args, { cwd, timeoutMs: 180_000, output: "pipe" });
  if (run.code !== 0) {
    throw new Error(`npm ${args.join(" ")} failed (exit ${run.code}):\n${run.output}`);
  }
  return run.output;
}

async function check(work: string): Promise<string[]> {
  const problems: string[] = [];
  const manifest = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")) as Manifest;
  const subpaths = Object.keys(manifest.exports).filter((key) => key !== "./package.json");

  // Stage the package in a temporary directory, built there, so that a
  // concurrent build in the work tree cannot change dist/ under npm pack.
  const stage = join(work, "package");
  mkdirSync(stage);
  for (const file of ["package.json", "README.md", "LICENSE"]) {
    if (existsSync(join(ROOT, file))) copyFileSync(join(ROOT, file), join(stage, file));
  }
  const build = await runCommand(
    process.execPath,
    ["--import", "tsx", "scripts/build.ts", `--out=${join(stage, "dist")}`],
    { cwd: ROOT, timeoutMs: 180_000, output: "pipe" },
  );
  process.stdout.write(build.output);
  if (build.code !== 0) throw new Error(`the build failed (exit ${build.code})`);
  const packOutput = await npm(
    ["pack", "--ignore-scripts", "--json", "--pack-destination", work],
    stage,
  );
  // stderr (npm warnings) is mixed in; the JSON file list starts a line with "[".
  const listStart = packOutput.search(/^\[/m);
  const [pack] = listStart === -1
    ? []
    : JSON.parse(packOutput.slice(listStart).replace(/\n\]\n[\s\S]*$/, "\n]\n")) as PackInfo[];
  if (pack === undefined) throw new Error(`npm pack printed no file list:\n${packOutput}`);
  const paths = pack.files.map((file) => file.path);
  for (const required of ["package.json", "README.md", "LICENSE"]) {
    if (!paths.includes(required)) problems.push(`tarball lacks ${required}`);
  }
  for (const path of paths) {
    if (!/^(dist\/|package\.json$|README\.md$|LICENSE$)/.test(path)) {
      problems.push(`tarball holds ${path}, which is not part of the package`);
    }
  }
  console.log(`check_pack: ${pack.filename}, ${paths.length} files`);

  const consumer = join(work, "consumer");
  mkdirSync(consumer);
  writeFileSync(
    join(consumer, "package.json"),
    JSON.stringify({ name: "consumer", private: true, type: "module" }),
  );
  await npm(
    [
      "install",
      "--offline",
      "--no-audit",
      "--no-fund",
      "--ignore-scripts",
      join(work, pack.filename),
    ],
    consumer,
  );

  // Plain Node, no loader: every entry must load and export something.
  const specifiers = subpaths.map((key) =>
    key === "." ? manifest.name : `${manifest.name}${key.slice(1)}`
  );
  writeFileSync(
    join(consumer, "import_all.mjs"),
    `const specifiers = ${JSON.stringify(specifiers)};
let failed = 0;
for (const specifier of specifiers) {
  try {
    const names = Object.keys(await import(specifier));
    if (names.length === 0) throw new Error("exports nothing");
    console.log(\`  \${specifier}: \${names.sort().join(", ")}\`);
  } catch (error) {
    failed++;
    console.error(\`  \${specifier}: \${error instanceof Error ? error.message : error}\`);
  }
}
process.exitCode = failed === 0 ? 0 : 1;
`,
  );
  for (const version of NODE_VERSIONS) {
    const nodeBin = join(ROOT, "node_modules", version, "bin", "node");
    if (!existsSync(nodeBin)) {
      problems.push(`${nodeBin} is missing: run npm ci`);
      continue;
    }
    const node = await runCommand(nodeBin, ["import_all.mjs"], {
      cwd: consumer,
      timeoutMs: 60_000,
      output: "pipe",
    });
    console.log(`  ${version}:`);
    process.stdout.write(node.output);
    if (node.code !== 0) problems.push(`plain ${version} could not import every entry point`);

    // Each command, as installed in node_modules/.bin, with plain Node: `--help` exits 0.
    for (const command of Object.keys(manifest.bin ?? {})) {
      const bin = await runCommand(
        nodeBin,
        [join(consumer, "node_modules", ".bin", command), "--help"],
        { cwd: consumer, timeoutMs: 60_000, output: "pipe" },
      );
      if (bin.code !== 0) {
        process.stdout.write(bin.output);
        problems.push(
          `the installed ${command} command failed on ${version}: --help exited ${bin.code}`,
        );
      } else {
        console.log(`  bin: ${command} --help exits 0 on ${version}`);
      }
    }
  }

  // The shipped types must stand on their own. hono is an optional peer:
  // its types are there only for users of the Hono helper.
  writeFileSync(
    join(consumer, "consumer.ts"),
    specifiers.map((s, i) => `import * as entry${i} from "${s}";\nexport { entry${i} };\n`).join(
      "",
    ),
  );
  const typeCheck = async (skipLibCheck: boolean): Promise<RunResult> => {
    writeFileSync(
      join(consumer, "tsconfig.json"),
      JSON.stringify({
        compilerOptions: {
          target: "ES2022",
          module: "NodeNext",
          moduleResolution: "NodeNext",
          lib: ["ES2023", "DOM", "DOM.Iterable"],
          types: ["node"],
          typeRoots: [join(ROOT, "node_modules", "@types")],
          strict: true,
          skipLibCheck,
          noEmit: true,
        },
        files: ["consumer.ts"],
      }),
    );
    return await runCommand(join(ROOT, "node_modules", ".bin", "tsc"), ["-p", "."], {
      cwd: consumer,
      timeoutMs: 120_000,
      output: "pipe",
    });
  };
  const bare = await typeCheck(true);
  if (bare.code !== 0) {
    process.stdout.write(bare.output);
    problems.push("a TypeScript consumer without hono (skipLibCheck: true) fails to type-check");
  } else {
    console.log("  types: a strict consumer without hono type-checks (skipLibCheck: true)");
  }
  const bareStrict = await typeCheck(false);
  if (bareStrict.code !== 0) {
    console.log(
      "  WARNING: without hono installed, skipLibCheck: false reports errors in the shipped " +
        ".d.ts:\n" + bareStrict.output.trimEnd().replace(/^/gm, "    "),
    );
  }
  symlinkSync(join(ROOT, "node_modules", "hono"), join(consumer, "node_modules", "hono"), "dir");
  const withHono = await typeCheck(false);
  if (withHono.code !== 0) {
    process.stdout.write(withHono.output);
    problems.push(
      "a strict TypeScript consumer with hono (skipLibCheck: false) fails to type-check",
    );
  } else {
    console.log("  types: a strict consumer with hono type-checks (skipLibCheck: false)");
  }
  return problems;
}

const work = mkdtempSync(join(tmpdir(), "interim-pack-"));
try {
  const problems = await check(work);
  for (const problem of problems) console.error(`check_pack: ${problem}`);
  process.exitCode = problems.length === 0 ? 0 : 1;
} catch (error) {
  console.error(`check_pack: ${error instanceof Error ? error.message : String(error)}`);
  process.exitCode = 1;
} finally {
  if (keep) console.log(`check_pack: kept ${work}`);
  else rmSync(work, { recursive: true, force: true });
}
