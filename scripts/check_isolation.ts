/**
 * Enforces the runtime boundary (docs/architecture.md):
 *
 * - `src/http1/`, `src/server/`, `src/client/` name no runtime: no `Deno`,
 *   `Bun`, `process`, `Buffer`, `require`, and no `node:` (or bare Node
 *   built-in) import. `src/http1/` also uses no timers.
 * - `src/runtime/*.ts` touch runtime globals only inside functions: loading
 *   each module with `Deno` and `Bun` trapped must not touch them, and no
 *   module has a static value import of a `node:` module (those run at
 *   load; `import type` is fine, use `await import("node:net")` inside the
 *   function).
 *
 * - Imports flow one way, without cycles (`check_layers.ts`): the engine and
 *   the runtime import neither the server nor the client.
 * - Nothing uses a built-in that Node 22 lacks (`RegExp.escape`, `using`...):
 *   Deno's type checking cannot see that.
 *
 * Comments are ignored; string contents are ignored for the global names
 * (an error message may say "Deno.serve") but not for import specifiers.
 *
 * Usage: `node --import tsx scripts/check_isolation.ts` (exit 1 on findings).
 *
 * @module
 */

import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { lineOf, sourceViews } from "./_source.ts";
import { checkLayers } from "./check_layers.ts";

/** One rule broken at one place. */
export interface Finding {
  /** File path relative to the project root. */
  readonly file: string;
  /** 1-based line. */
  readonly line: number;
  /** What is wrong. */
  readonly message: string;
}

const NODE_BUILTINS = [
  "assert",
  "async_hooks",
  "buffer",
  "child_process",
  "crypto",
  "dgram",
  "dns",
  "events",
  "fs",
  "fs/promises",
  "http",
  "http2",
  "https",
  "net",
  "os",
  "path",
  "perf_hooks",
  "process",
  "stream",
  "stream/web",
  "timers",
  "tls",
  "url",
  "util",
  "worker_threads",
  "zlib",
];
const BUILTIN_ALTERNATION = NODE_BUILTINS.map((m) => m.replace("/", "\\/")).join("|");
/** Any import or require of `node:x` or a bare Node built-in, static or dynamic. */
const NODE_IMPORT = new RegExp(
  String
    .raw`(?:\bfrom\s*|\bimport\s*\(\s*|\bimport\s+|\brequire\s*\(\s*)["'\`](?:node:[\w/]+|(?:${BUILTIN_ALTERNATION}))["'\`]`,
  "g",
);
/** A static import/export-from of `node:` that is not type-only. */
const STATIC_NODE_IMPORT =
  /^[ \t]*(import|export)\s+(?!type\b)[^;]*?\bfrom\s*["']node:[\w/]+["']|^[ \t]*import\s*["']node:[\w/]+["']/gm;
const RUNTIME_GLOBAL = /\b(Deno|Bun|Buffer|require)\b|\bprocess\s*[.?[]/g;
const TIMER =
  /\b(setTimeout|setInterval|setImmediate|clearTimeout|clearInterval|queueMicrotask)\b/g;

/**
 * Checks one neutral file (http1, server, client).
 *
 * @param file Path for messages.
 * @param source Its text.
 * @param noTimers Whether timers are forbidden too (http1).
 * @returns Findings, empty when clean.
 *
 * @example Find a leaked global
 * ```ts
 * checkNeutral("src/http1/x.ts", "Deno.exit(1);\n", true).length; // 1
 * ```
 */
export function checkNeutral(file: string, source: string, noTimers: boolean): Finding[] {
  const { noComments, codeOnly } = sourceViews(source);
  const findings: Finding[] = [];
  for (const match of noComments.matchAll(NODE_IMPORT)) {
    findings.push({
      file,
      line: lineOf(source, match.index),
      message: `imports a Node module (${match[0].trim()}); only src/runtime/ may`,
    });
  }
  for (const match of codeOnly.matchAll(RUNTIME_GLOBAL)) {
    findings.push({
      file,
      line: lineOf(source, match.index),
      message: `names the runtime global "${match[0]}"; only src/runtime/ may`,
    });
  }
  if (noTimers) {
    for (const match of codeOnly.matchAll(TIMER)) {
      findings.push({
        file,
        line: lineOf(source, match.index),
        message: `uses the timer "${match[0]}"; the sans-IO engine has no clock`,
      });
    }
  }
  return findings;
}

/**
 * Checks one runtime adapter file statically: no value import of a `node:`
 * module at top level. (Globals touched at load are caught by
 * {@linkcode checkRuntimeLoad}, which runs the modules.)
 *
 * @param file Path for messages.
 * @param source Its text.
 * @returns Findings, empty when clean.
 *
 * @example Find a top-level touch
 * ```ts
 * checkRuntime("src/runtime/x.ts", 'import { connect } from "node:net";\n').length; // 1
 * ```
 */
export function checkRuntime(file: string, source: string): Finding[] {
  const { noComments } = sourceViews(source);
  const findings: Finding[] = [];
  for (const match of noComments.matchAll(STATIC_NODE_IMPORT)) {
    findings.push({
      file,
      line: lineOf(source, match.index),
      message: "static import of a node: module runs at load; use `await import()` " +
        "inside the function (or `import type`)",
    });
  }
  return findings;
}

function listTs(root: string, dir: string): string[] {
  const absolute = join(root, dir);
  if (!existsSync(absolute)) return [];
  return readdirSync(absolute, { withFileTypes: true }).flatMap((entry) => {
    const path = `${dir}/${entry.name}`;
    if (entry.isDirectory()) return listTs(root, path);
    return entry.name.endsWith(".ts") ? [path] : [];
  }).sort();
}

/**
 * Built-ins that Deno and Bun have but Node 22 (the oldest Node in the test
 * matrix, checked on 22.23) lacks, with the first Node version that has each
 * (checked on the node22/24/26 binaries). Type checking does not catch them:
 * Deno's types always include the newest ECMAScript.
 */
const NEWER_THAN_NODE_22: readonly (readonly [RegExp, string])[] = [
  [/\bPromise\.try\b/g, "Promise.try (Node 23)"],
  [/\bRegExp\.escape\b/g, "RegExp.escape (Node 24)"],
  [/\bError\.isError\b/g, "Error.isError (Node 24)"],
  [/\bAtomics\.pause\b/g, "Atomics.pause (Node 24)"],
  [/\bFloat16Array\b/g, "Float16Array (Node 24)"],
  [/\b(Async)?DisposableStack\b/g, "DisposableStack (Node 24)"],
  [/(^|[;{}]\s*)(await\s+)?using\s+[A-Za-z_$][\w$]*\s*=/gm, "`using` declarations (Node 24)"],
  [
    /\.(toBase64|toHex|setFromBase64|setFromHex)\(|\bUint8Array\.(fromBase64|fromHex)\b/g,
    "Uint8Array base64/hex (Node 25)",
  ],
  [/\bIterator\.concat\b/g, "Iterator.concat (Node 26)"],
  [/\.getOrInsert(Computed)?\(/g, "Map/WeakMap getOrInsert (Node 26)"],
  [/\bTemporal\./g, "Temporal (Node 26)"],
  [/\bMath\.sumPrecise\b/g, "Math.sumPrecise (not in Node 26)"],
];

/**
 * Checks one file for built-ins Node 22 lacks (code only, not comments or
 * strings).
 *
 * @param file Path for messages.
 * @param source Its text.
 * @returns Findings, empty when clean.
 *
 * @example Find a Node 24 API
 * ```ts
 * import assert from "node:assert/strict";
 * import { checkNode22Baseline } from "./check_isolation.ts";
 *
 * assert.equal(checkNode22Baseline("x.ts", "const e = RegExp.escape(s);\n").length, 1);
 * assert.equal(checkNode22Baseline("x.ts", "const p = Promise.withResolvers();\n").length, 0);
 * ```
 */
export function checkNode22Baseline(file: string, source: string): Finding[] {
  const { codeOnly } = sourceViews(source);
  const findings: Finding[] = [];
  for (const [pattern, what] of NEWER_THAN_NODE_22) {
    for (const match of codeOnly.matchAll(pattern)) {
      findings.push({
        file,
        line: lineOf(source, match.index),
        message: `uses ${what}; Node 22 does not have it`,
      });
    }
  }
  return findings;
}

const TRAPPED_GLOBALS = ["Deno", "Bun"] as const;

/**
 * Loads every runtime module (under Node, through tsx) with `Deno` and `Bun`
 * replaced by getters that throw, so any touch at module load, including
 * `typeof Deno`, fails the import. Static analysis cannot tell a type
 * annotation from a value at top level; running the module can.
 *
 * @param root Project root.
 * @param files Runtime module paths relative to `root`.
 * @returns Findings for modules that touched a global or failed to load.
 *
 * @example Load the adapters
 * ```ts
 * const findings = await checkRuntimeLoad(".", ["src/runtime/select.ts"]);
 * ```
 */
export async function checkRuntimeLoad(root: string, files: readonly string[]): Promise<Finding[]> {
  const findings: Finding[] = [];
  const saved = TRAPPED_GLOBALS.map((name) =>
    [name, Object.getOwnPropertyDescriptor(globalThis, name)] as const
  );
  let touched: string | undefined;
  for (const name of TRAPPED_GLOBALS) {
    Object.defineProperty(globalThis, name, {
      configurable: true,
      get() {
        touched ??= name;
        throw new Error(`${name} touched at module load`);
      },
    });
  }
  try {
    for (const file of files) {
      touched = undefined;
      try {
        await import(pathToFileURL(join(root, file)).href);
      } catch (error) {
        const where = /src\/runtime\/[\w.]+\.ts:(\d+)/.exec(
          error instanceof Error ? error.stack ?? "" : "",
        );
        findings.push({
          file,
          line: Number(where?.[1] ?? 1),
          message: touched !== undefined
            ? `touches the runtime global "${touched}" at module load; move it inside a function`
            : `fails to load under Node: ${error instanceof Error ? error.message : String(error)}`,
        });
      }
    }
  } finally {
    for (const [name, descriptor] of saved) {
      if (descriptor === undefined) Reflect.deleteProperty(globalThis, name);
      else Object.defineProperty(globalThis, name, descriptor);
    }
  }
  return findings;
}

/**
 * Checks the whole tree.
 *
 * @param root Project root.
 * @returns All findings.
 *
 * @example Check the project
 * ```ts
 * const findings = await checkTree(".");
 * ```
 */
export async function checkTree(root: string): Promise<Finding[]> {
  const findings: Finding[] = [];
  for (const dir of ["src/http1", "src/server", "src/client", "src/cli"]) {
    for (const file of listTs(root, dir)) {
      findings.push(
        ...checkNeutral(file, readFileSync(join(root, file), "utf8"), dir === "src/http1"),
      );
    }
  }
  const runtimeFiles = listTs(root, "src/runtime");
  for (const file of runtimeFiles) {
    findings.push(...checkRuntime(file, readFileSync(join(root, file), "utf8")));
  }
  findings.push(...await checkRuntimeLoad(root, runtimeFiles));
  findings.push(...checkLayers(root, listTs(root, "src")));
  const everything = ["src", "tests", "scripts", "examples"].flatMap((dir) => listTs(root, dir))
    .concat(
      ["mod.ts", "server.ts", "client.ts", "hono.ts"].filter((f) => existsSync(join(root, f))),
    );
  for (const file of everything) {
    findings.push(...checkNode22Baseline(file, readFileSync(join(root, file), "utf8")));
  }
  return findings;
}

if (import.meta.main ?? process.argv[1] === fileURLToPath(import.meta.url)) {
  const root = resolve(fileURLToPath(import.meta.url), "../..");
  const findings = await checkTree(root);
  for (const f of findings) console.error(`${f.file}:${f.line}: ${f.message}`);
  const scanned = ["src", "tests", "scripts", "examples"]
    .map((dir) => listTs(root, dir).length).reduce((a, b) => a + b, 0);
  if (findings.length > 0) {
    console.error(`check_isolation: ${findings.length} finding(s) in ${scanned} files`);
    process.exitCode = 1;
  } else {
    console.log(`check_isolation: ${scanned} files clean`);
  }
}
