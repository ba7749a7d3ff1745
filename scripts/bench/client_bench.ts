/**
 * Section 2 of the suite: clients against one fixed fast server, Go's
 * `seed_server` (`scripts/interop/go/seed_server`: `/plain` and `/hint`),
 * which runs outside every measured runtime. Each runtime runs
 * `client_driver.ts` once; the driver interleaves the three clients in
 * every round.
 *
 * @module
 */

import path from "node:path";
import { buildGoProgram, startGoServer } from "../../tests/_support/go.ts";
import {
  progress,
  ROOT,
  runtimeCommand,
  type RuntimeName,
  runToEnd,
  type Spread,
  spread,
} from "./common.ts";

/** One client case. */
export interface ClientCase {
  readonly runtime: RuntimeName;
  readonly client: "ours" | "fetch" | "node-http";
  readonly path: string;
  readonly concurrency: number;
  /** Requests per second. */
  readonly rps: Spread;
  /** The client process's CPU time per request (`process.cpuUsage()`), microseconds. */
  readonly cpuUs: Spread;
  readonly requests: number;
  /** Per-round requests per second, in round order (for same-round ratios). */
  readonly rpsRounds: readonly number[];
}

/** Options of the client section. */
export interface ClientBenchOptions {
  readonly runtimes: readonly RuntimeName[];
  readonly rounds: number;
  readonly seconds: number;
}

const DRIVER = path.join(ROOT, "scripts", "bench", "client_driver.ts");

/**
 * Runs the client section.
 *
 * @param options Runtimes, rounds and seconds per sample.
 * @returns One entry per runtime, client, path and concurrency, or
 * `undefined` when Go is not installed (the fixed server is Go's).
 *
 * @example Quick run on Node
 * ```ts
 * const cases = await runClientBench({ runtimes: ["node"], rounds: 3, seconds: 0.2 });
 * ```
 */
export async function runClientBench(
  options: ClientBenchOptions,
): Promise<{ server: string; cases: ClientCase[] } | undefined> {
  if ((await buildGoProgram("seed_server")) === undefined) return undefined;
  const server = await startGoServer(["-delay", "0s"]);
  const cases: ClientCase[] = [];
  try {
    for (const runtime of options.runtimes) {
      progress(`client: ${runtime} (${options.rounds} rounds of ${options.seconds} s per case)`);
      const [command, args] = runtimeCommand(runtime, DRIVER, [
        server.url,
        String(options.seconds),
        String(options.rounds),
      ]);
      const budget = (options.seconds * options.rounds + 0.3) * 3 * 4 * 1000 + 60_000;
      const out = await runToEnd(command, args, budget);
      const parsed = JSON.parse(out.trim().split("\n").pop()!) as {
        results: Array<{
          path: string;
          concurrency: number;
          client: "ours" | "fetch" | "node-http";
          rps: number[];
          cpuUsPerRequest: number[];
          requests: number;
        }>;
      };
      for (const row of parsed.results) {
        cases.push({
          runtime,
          client: row.client,
          path: row.path,
          concurrency: row.concurrency,
          rps: spread(row.rps),
          cpuUs: spread(row.cpuUsPerRequest),
          requests: row.requests,
          rpsRounds: row.rps,
        });
      }
    }
  } finally {
    await server.close();
  }
  return { server: "Go net/http seed_server (scripts/interop/go/seed_server)", cases };
}
