/**
 * Enforces the direction of imports inside `src/` (docs/architecture.md):
 *
 * - `src/http1/` (the engine) imports only itself;
 * - `src/runtime/` imports only itself and, for byte helpers, `src/http1/`:
 *   never the server or the client;
 * - `src/server/` and `src/client/` never import each other;
 * - no import cycle between files of `src/` (type-only imports included).
 *
 * Used by `scripts/check_isolation.ts`, which `npm test` runs.
 *
 * @module
 */

import { readFileSync } from "node:fs";
import { dirname, join, normalize, relative } from "node:path";

/** One import that breaks a rule. */
export interface LayerFinding {
  /** File path relative to the project root. */
  readonly file: string;
  /** 1-based line (1 for a cycle). */
  readonly line: number;
  /** What is wrong. */
  readonly message: string;
}

/** Which top folders of `src/` each folder may import. */
const ALLOWED: Readonly<Record<string, readonly string[]>> = {
  http1: ["http1"],
  runtime: ["runtime", "http1"],
  server: ["server", "http1", "runtime"],
  client: ["client", "http1", "runtime"],
  // forward(): a server handler that is also a client, so neither side
  // needs the other.
  proxy: ["proxy", "server", "client", "http1", "runtime"],
  cli: ["cli", "client", "server", "http1", "runtime"],
};

const IMPORT = /^\s*(?:import|export)\s[^;]*?from\s+"(\.[^"]+)"/gm;

/**
 * The relative imports of a module, resolved to paths under the root.
 *
 * @param file The module, relative to `root`.
 * @param source Its text.
 * @returns Each import's target and line.
 */
export function relativeImports(
  file: string,
  source: string,
): { target: string; line: number }[] {
  const found: { target: string; line: number }[] = [];
  for (const match of source.matchAll(IMPORT)) {
    const line = source.slice(0, match.index).split("\n").length;
    found.push({ target: normalize(join(dirname(file), match[1]!)), line });
  }
  return found;
}

function area(file: string): string | undefined {
  const parts = file.split("/");
  return parts[0] === "src" ? parts[1] : undefined;
}

/**
 * Checks the import direction and cycles of the given `src/` files.
 *
 * @param root The project root.
 * @param files Files under `src/`, relative to `root`.
 * @returns The findings.
 *
 * @example A clean tree has none
 * ```ts no-run: reads the project
 * import { checkLayers } from "./check_layers.ts";
 * checkLayers(".", ["src/http1/mod.ts"]);
 * ```
 */
export function checkLayers(root: string, files: readonly string[]): LayerFinding[] {
  const findings: LayerFinding[] = [];
  const graph = new Map<string, string[]>();
  for (const file of files) {
    const edges: string[] = [];
    const from = area(file);
    for (const { target, line } of relativeImports(file, readFileSync(join(root, file), "utf8"))) {
      const to = area(target);
      if (from !== undefined && to !== undefined && !(ALLOWED[from] ?? []).includes(to)) {
        findings.push({ file, line, message: `src/${from} must not import src/${to} (${target})` });
      }
      edges.push(target);
    }
    graph.set(file, edges);
  }
  // Depth-first search for a back edge: each cycle is reported once, at its first file.
  const state = new Map<string, "open" | "done">();
  const stack: string[] = [];
  const visit = (file: string): void => {
    state.set(file, "open");
    stack.push(file);
    for (const next of graph.get(file) ?? []) {
      const seen = state.get(next);
      if (seen === "open") {
        const cycle = stack.slice(stack.indexOf(next)).concat(next);
        findings.push({
          file: next,
          line: 1,
          message: `import cycle: ${cycle.map((f) => relative("src", f)).join(" -> ")}`,
        });
      } else if (seen === undefined && graph.has(next)) visit(next);
    }
    stack.pop();
    state.set(file, "done");
  };
  for (const file of [...graph.keys()].sort()) if (!state.has(file)) visit(file);
  return findings;
}
