/**
 * The tables of the sections that compare servers with a baseline (5 Hono,
 * 6 HTTP/2, 7 proxy, 8 learned): each row is one case, and its ratio columns
 * compare it with its baseline case round by round (the same round measured
 * both, back to back).
 *
 * @module
 */

import { type Spread, spread } from "./common.ts";
import { kilo, num, range, runtimeLabel, table } from "./report_format.ts";
import type { ServerCase } from "./server_bench.ts";

/** One column: its header, and its cell given the row and the row's baseline. */
export interface RatioColumn<Case extends ServerCase> {
  readonly header: string;
  cell(row: Case, base: Case | undefined): string;
}

/** The path (or request label) as code. */
export const PATH_COLUMN: RatioColumn<ServerCase> = {
  header: "path",
  cell: (row) => `\`${row.path}\``,
};

const CPU_COLUMN: RatioColumn<ServerCase> = {
  header: "CPU µs/request",
  cell: (row) => range(row.cpuUs),
};
const RPS_COLUMN: RatioColumn<ServerCase> = {
  header: "requests/s",
  cell: (row) => range(row.rps, kilo),
};
const P50_COLUMN: RatioColumn<ServerCase> = { header: "p50 ms", cell: (row) => range(row.p50Ms) };
const P99_COLUMN: RatioColumn<ServerCase> = { header: "p99 ms", cell: (row) => range(row.p99Ms) };
const ERRORS_COLUMN: RatioColumn<ServerCase> = {
  header: "errors",
  cell: (row) => String(row.errors),
};

type Round = ServerCase["rounds"][number];

/** One figure of `numerator` over the same of `denominator`, round by round. */
function perRound(
  numerator: ServerCase,
  denominator: ServerCase,
  figure: (round: Round) => number,
): Spread {
  return spread(numerator.rounds.map((round, i) => {
    const other = denominator.rounds[i];
    // A round the other case lacks, or a figure JSON kept as null, gives NaN.
    return figure(round) / ((other === undefined ? undefined : figure(other)) ?? NaN);
  }));
}

/** A ratio to the baseline, `—` on the baseline's own row and where there is none. */
function ratioColumn(
  header: string,
  ratio: (row: ServerCase, base: ServerCase) => Spread,
): RatioColumn<ServerCase> {
  return {
    header,
    cell: (row, base) =>
      base === undefined || base === row ? "—" : range(ratio(row, base), (v) => `${num(v, 2)}x`),
  };
}

/** Which of the optional figure columns a table has. */
export interface FigureColumnChoice {
  /** The row's requests per second over the baseline's. */
  readonly rpsRatio?: boolean;
  /** Median latency. */
  readonly p50?: boolean;
}

/**
 * The measured figures of a row, in the report's order: CPU per request,
 * the baseline's CPU over the row's (the row as a fraction of the baseline's
 * speed, higher is better), requests per second, optionally their ratio to
 * the baseline's and the median latency, p99 latency and errors.
 *
 * @param against The baseline's name in the ratio headers (`vs baseline`).
 * @param choice The optional columns.
 * @returns The columns.
 *
 * @example
 * ```ts
 * figureColumns("without", { rpsRatio: true });
 * ```
 */
export function figureColumns(
  against: string,
  choice: FigureColumnChoice = {},
): RatioColumn<ServerCase>[] {
  return [
    CPU_COLUMN,
    ratioColumn(`vs ${against}`, (row, base) => perRound(base, row, (r) => r.cpuUs)),
    RPS_COLUMN,
    ...(choice.rpsRatio
      ? [
        ratioColumn(
          `requests/s vs ${against}`,
          (row, base) => perRound(row, base, (r) => r.rps),
        ),
      ]
      : []),
    ...(choice.p50 ? [P50_COLUMN] : []),
    P99_COLUMN,
    ERRORS_COLUMN,
  ];
}

/**
 * One table of `cases`, a row each, in their order.
 *
 * @param cases The rows.
 * @param columns The columns.
 * @param baseOf A row's baseline case (the row itself for the baseline's own).
 * @returns A Markdown table.
 *
 * @example
 * ```ts
 * ratioTable(cases, figureColumns("baseline"), (row) => cases[0]);
 * ```
 */
export function ratioTable<Case extends ServerCase>(
  cases: readonly Case[],
  columns: readonly RatioColumn<Case>[],
  baseOf: (row: Case) => Case | undefined,
): string {
  return table(
    columns.map((column) => column.header),
    cases.map((row) => {
      const base = baseOf(row);
      return columns.map((column) => column.cell(row, base));
    }),
  );
}

/**
 * One table per runtime, in the order the runtimes first appear, each under
 * its `###` heading; a row's baseline is the case of the same runtime and
 * path on the runtime's baseline server.
 *
 * @param cases The rows of every runtime.
 * @param columns The columns.
 * @param baselineServer The baseline server of a runtime.
 * @returns The Markdown lines, a blank line after each table.
 *
 * @example
 * ```ts
 * ratioTablesPerRuntime(cases, figureColumns("without"), () => "plain");
 * ```
 */
export function ratioTablesPerRuntime<Case extends ServerCase>(
  cases: readonly Case[],
  columns: readonly RatioColumn<Case>[],
  baselineServer: (runtime: string) => string,
): string[] {
  const out: string[] = [];
  for (const runtime of [...new Set(cases.map((s) => s.runtime))]) {
    const baseline = baselineServer(runtime);
    const rows = cases.filter((s) => s.runtime === runtime);
    out.push(`### ${runtimeLabel(runtime)}`, "");
    out.push(
      ratioTable(
        rows,
        columns,
        (row) => rows.find((b) => b.server === baseline && b.path === row.path),
      ),
      "",
    );
  }
  return out;
}
