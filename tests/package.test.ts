import { test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, readFileSync } from "node:fs";

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
