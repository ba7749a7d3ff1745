/**
 * Test support: make a documentation snippet importable from a temporary
 * file. Relative imports (a JSDoc example's `./serialize.ts`) are resolved
 * against the file the snippet comes from, and the package's own name
 * (`@interim/http/server`) against the entry points that `deno.json`
 * exports.
 *
 * Deno resolves the package's own name from `deno.json` by itself, so the
 * name is left alone there. Node and Bun would resolve it through
 * `package.json`'s exports, which point at the built `dist/`; the test runs
 * the sources instead, through the same name-to-file map Deno uses.
 *
 * @module
 */

import { readFileSync } from "node:fs";
import path from "node:path";
import { pathToFileURL } from "node:url";

/** The package's name and its exported subpaths, from `deno.json`. */
export interface PackageExports {
  /** The package name, such as `@interim/http`. */
  readonly name: string;
  /** Each importable specifier (`@interim/http/server`) and its absolute file. */
  readonly entries: ReadonlyMap<string, string>;
}

/**
 * Reads the package's name and exports from a `deno.json`.
 *
 * @param root The directory holding `deno.json`.
 * @returns The name and the specifier-to-file map.
 */
export function readPackageExports(root: string): PackageExports {
  const config = JSON.parse(readFileSync(path.join(root, "deno.json"), "utf8")) as {
    name?: unknown;
    exports?: unknown;
  };
  if (typeof config.name !== "string") throw new Error("deno.json has no name");
  const exports = typeof config.exports === "string" ? { ".": config.exports } : config.exports;
  if (exports === null || typeof exports !== "object") throw new Error("deno.json has no exports");
  const entries = new Map<string, string>();
  for (const [key, target] of Object.entries(exports)) {
    if (typeof target !== "string") throw new Error(`deno.json exports ${key}: not a path`);
    const specifier = key === "." ? config.name : `${config.name}/${key.replace(/^\.\//, "")}`;
    entries.set(specifier, path.resolve(root, target));
  }
  return { name: config.name, entries };
}

// `from "x"`, `import "x"`, `import("x")`, `export ... from "x"`.
const SPECIFIER = /(\bfrom\s*|\bimport\s*\(?\s*)(["'])([^"'\n]+)\2/g;

/**
 * Rewrites the import specifiers of a snippet so it runs from anywhere.
 *
 * @param code The snippet.
 * @param sourceFile The absolute path of the file the snippet comes from.
 * @param packageExports The package's own name and entries.
 * @param selfReference Whether the runtime resolves the package's own name
 *   itself (Deno); when not, the name is mapped to the entry file.
 * @returns The snippet with absolute `file:` URLs where needed.
 * @throws {Error} For an import of the package's name that it does not export.
 */
export function rewriteSpecifiers(
  code: string,
  sourceFile: string,
  packageExports: PackageExports,
  selfReference: boolean,
): string {
  return code.replace(SPECIFIER, (whole, lead: string, quote: string, specifier: string) => {
    if (specifier.startsWith("./") || specifier.startsWith("../")) {
      const target = pathToFileURL(path.resolve(path.dirname(sourceFile), specifier)).href;
      return `${lead}${quote}${target}${quote}`;
    }
    const { name, entries } = packageExports;
    if (specifier !== name && !specifier.startsWith(`${name}/`)) return whole;
    const file = entries.get(specifier);
    if (file === undefined) {
      throw new Error(`${specifier} is not exported by deno.json (${[...entries.keys()]})`);
    }
    if (selfReference) return whole;
    return `${lead}${quote}${pathToFileURL(file).href}${quote}`;
  });
}
