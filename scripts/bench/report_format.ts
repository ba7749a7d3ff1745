/**
 * How `benchmarks.md` writes figures: numbers, ranges over the rounds,
 * Markdown tables and runtime names (shared by `report.ts` and
 * `ratio_table.ts`).
 *
 * @module
 */

import type { Spread } from "./common.ts";

/** Decimals for a figure: two below 10, one below 100, none above. */
function digits(value: number): number {
  const abs = Math.abs(value);
  return abs >= 100 ? 0 : abs >= 10 ? 1 : 2;
}

/**
 * A figure with `fixed` decimals, or as many as {@linkcode digits} gives.
 *
 * @example
 * ```ts
 * num(12.345); // "12.3"
 * ```
 */
export function num(value: number, fixed?: number): string {
  if (!Number.isFinite(value)) return "n/a";
  return value.toFixed(fixed ?? digits(value));
}

/**
 * A rate, in thousands (`12.3k`) from 10,000 up.
 *
 * @example
 * ```ts
 * kilo(12_345); // "12.3k"
 * ```
 */
export function kilo(value: number): string {
  if (!Number.isFinite(value)) return "n/a";
  return value >= 10_000 ? `${(value / 1000).toFixed(1)}k` : value.toFixed(0);
}

/**
 * A spread as `median (min–max)`.
 *
 * @example
 * ```ts
 * range(spread([1, 2, 3])); // "2.00 (1.00–3.00)"
 * ```
 */
export function range(s: Spread, format: (v: number) => string = (v) => num(v)): string {
  if (s.n === 0) return "n/a";
  return `${format(s.median)} (${format(s.min)}–${format(s.max)})`;
}

/**
 * A Markdown table, the first column left-aligned, the others right-aligned.
 *
 * @example
 * ```ts
 * table(["runtime", "x"], [["Deno", "1"]]);
 * ```
 */
export function table(header: string[], rows: string[][]): string {
  const lines = [
    `| ${header.join(" | ")} |`,
    `| ${header.map((_, i) => (i === 0 ? "---" : "---:")).join(" | ")} |`,
  ];
  for (const row of rows) lines.push(`| ${row.join(" | ")} |`);
  return lines.join("\n");
}

/**
 * A runtime's name as the report writes it (`node26` is `Node 26`).
 *
 * @example
 * ```ts
 * runtimeLabel("node26"); // "Node 26"
 * ```
 */
export function runtimeLabel(runtime: string): string {
  return runtime === "deno"
    ? "Deno"
    : runtime === "bun"
    ? "Bun"
    : runtime === "node"
    ? "Node"
    : runtime.startsWith("node")
    ? `Node ${runtime.slice(4)}`
    : "Go";
}
