import { test } from "node:test";
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import process from "node:process";
import { fileURLToPath } from "node:url";

const root = new URL("../", import.meta.url);

interface PackageJson {
  name: string;
  version: string;
  exports: Record<string, string | Record<string, string>>;
  files: string[];
  engines: { node: string };
  bin?: Record<string, string>;
}

interface DenoJson {
  name: string;
  version: string;
  exports: Record<string, string>;
}

function readJson<T>(name: string): T {
  return JSON.parse(readFileSync(new URL(name, root), "utf8")) as T;
}

const pkg = readJson<PackageJson>("package.json");
const deno = readJson<DenoJson>("deno.json");

/** The package.json subpaths that are code entry points. */
const npmEntries = Object.entries(pkg.exports).filter(([key]) => key !== "./package.json");

test("package.json and deno.json export the same subpaths", () => {
  assert.deepEqual(npmEntries.map(([key]) => key).sort(), Object.keys(deno.exports).sort());
});

test("package.json and deno.json carry the same version", () => {
  assert.equal(pkg.version, deno.version);
  assert.match(pkg.version, /^\d+\.\d+\.\d+(-[\w.]+)?$/);
});

test("every deno.json export is an existing .ts file", () => {
  for (const [key, target] of Object.entries(deno.exports)) {
    assert.match(target, /^\.\/[\w/]+\.ts$/, `${key} -> ${target}`);
    assert.ok(existsSync(new URL(target, root)), `${key}: ${target} does not exist`);
  }
});

test("each npm export is the built form of the deno.json export, types first", () => {
  for (const [key, conditions] of npmEntries) {
    assert.equal(typeof conditions, "object", `${key} needs types and default conditions`);
    const source = deno.exports[key];
    assert.ok(source !== undefined, `${key} missing from deno.json`);
    const base = source.replace(/^\.\//, "./dist/").replace(/\.ts$/, "");
    assert.deepEqual(conditions, { types: `${base}.d.ts`, default: `${base}.js` });
    assert.deepEqual(
      Object.keys(conditions),
      ["types", "default"],
      `${key}: types must come first`,
    );
  }
});

test("the npm package ships dist, README.md and LICENSE, which exist", () => {
  assert.deepEqual([...pkg.files].sort(), ["LICENSE", "README.md", "dist"]);
  assert.ok(existsSync(new URL("README.md", root)));
  assert.ok(existsSync(new URL("LICENSE", root)));
  // Node 20 reached end of life in April 2026; 22, 24 and 26 are tested.
  assert.equal(pkg.engines.node, ">=22");
});

test("every npm bin is built from a .ts source that starts with a node shebang", () => {
  for (const [command, target] of Object.entries(pkg.bin ?? {})) {
    assert.match(target, /^\.\/dist\/[\w/]+\.js$/, `${command} -> ${target}`);
    const source = target.replace(/^\.\/dist\//, "./").replace(/\.js$/, ".ts");
    assert.ok(existsSync(new URL(source, root)), `${command}: ${source} does not exist`);
    const firstLine = readFileSync(new URL(source, root), "utf8").split("\n", 1)[0];
    assert.equal(firstLine, "#!/usr/bin/env node", `${command}: ${source} needs a shebang`);
  }
});

/** Runs a command in the repository root, bounded by 60 s; resolves with its output. */
function outputOf(
  command: string,
  args: readonly string[],
): Promise<{ stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    execFile(
      command,
      args,
      {
        cwd: fileURLToPath(root),
        timeout: 60_000,
        maxBuffer: 16 * 1024 * 1024,
        env: { ...process.env, NO_COLOR: "1" },
      },
      (error, stdout, stderr) => {
        if (error) reject(new Error(`${command} ${args.join(" ")}: ${error.message}\n${stderr}`));
        else resolve({ stdout, stderr });
      },
    );
  });
}

test("npm pack would ship only dist/, README.md, LICENSE and package.json", async () => {
  // --ignore-scripts: no prepack build; the list comes from "files" either way.
  const { stdout } = await outputOf("npm", ["pack", "--dry-run", "--json", "--ignore-scripts"]);
  const [pack] = JSON.parse(stdout) as { files: { path: string }[] }[];
  const paths = pack!.files.map((file) => file.path);
  for (const required of ["package.json", "README.md", "LICENSE"]) {
    assert.ok(paths.includes(required), `npm pack lacks ${required}`);
  }
  const stray = paths.filter((path) => !/^(dist\/|package\.json$|README\.md$|LICENSE$)/.test(path));
  assert.deepEqual(stray, [], "files npm pack would ship besides dist/ and the docs");
});

test("deno publish would ship only the entry points, src/, README.md, LICENSE and deno.json", async () => {
  // --no-check: the file list is the same, and type checking is the checks' job.
  const denoBin = fileURLToPath(new URL("node_modules/.bin/deno", root));
  const { stdout, stderr } = await outputOf(denoBin, [
    "publish",
    "--dry-run",
    "--allow-dirty",
    "--no-check",
  ]);
  const output = stdout + stderr; // the file list goes to stderr
  const base = fileURLToPath(root);
  const paths = [...output.matchAll(/^\s+file:\/\/(\/\S+)/gm)]
    .map(([, path]) => path!.slice(base.length));
  assert.ok(paths.length > 0, `deno publish listed no files:\n${output}`);
  const entryPoints = Object.values(deno.exports).map((target) => target.replace(/^\.\//, ""));
  const allowed = (path: string) =>
    entryPoints.includes(path) || /^src\/.+\.ts$/.test(path) ||
    ["README.md", "LICENSE", "deno.json"].includes(path);
  assert.deepEqual(paths.filter((path) => !allowed(path)), [], "files JSR would get besides these");
  for (const required of [...entryPoints, "README.md", "LICENSE", "deno.json"]) {
    assert.ok(paths.includes(required), `deno publish lacks ${required}`);
  }
  assert.ok(!paths.some((path) => /^src\/.*(test|fixture|bench)/.test(path)), paths.join("\n"));
});
