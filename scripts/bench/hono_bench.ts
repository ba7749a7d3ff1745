/**
 * Section 5 of the suite (issue 13): the Hono app of `hono_app.ts` under
 * `hey -c 32`, keep-alive, served by ours on every transport of each runtime
 * and by what a Hono user runs today: `Deno.serve(app.fetch)`,
 * `Bun.serve({ fetch: app.fetch })`, and `@hono/node-server` on Node 24 and
 * 26. Within a round the servers of one runtime, path and concurrency are
 * measured back to back (ours, the others, the baseline), so a compared pair
 * shares the machine's state. Figures as in section 1 (`server_bench.ts`):
 * the server process's CPU per request, requests per second, latency.
 *
 * @module
 */

import path from "node:path";
import { isNode, ROOT, type RuntimeName } from "./common.ts";
import { HONO_PATHS } from "./hono_app.ts";
import { measureSection, type SectionBenchOptions, startSectionServer } from "./section_bench.ts";
import type { ServerCase } from "./server_bench.ts";

/** Which server carries the Hono app (see `fixtures/hono_server.ts`). */
export type HonoServerKind = "ours" | "ours-node" | "ours-node-http" | "native" | "node-server";

/** The runtimes of this section: the Node that runs npm (20) is end-of-life. */
export const HONO_RUNTIMES: readonly RuntimeName[] = ["deno", "bun", "node24", "node26"];

/** The concurrency of every Hono case. */
export const HONO_CONCURRENCY = 32;

/** The paths the runtime's native server is compared on (it cannot send a 1xx). */
export const NATIVE_PATHS: readonly string[] = ["/plain", "/user/42"];

const FIXTURE = path.join(ROOT, "scripts", "bench", "fixtures", "hono_server.ts");

/**
 * The servers of a runtime, ours first, the baseline last: each of our
 * transports (the default, then the others the runtime can run).
 *
 * @param runtime Which runtime.
 * @returns Server kinds in measuring order.
 *
 * @example
 * ```ts
 * honoServerKinds("node24"); // ["ours", "ours-node-http", "node-server"]
 * ```
 */
export function honoServerKinds(runtime: RuntimeName): HonoServerKind[] {
  if (isNode(runtime)) return ["ours", "ours-node-http", "node-server"];
  if (runtime === "bun") return ["ours", "ours-node", "ours-node-http", "native"];
  return ["ours", "ours-node-http", "native"];
}

/**
 * Runs the Hono section.
 *
 * @param options Runtimes (those not in {@linkcode HONO_RUNTIMES} are
 *   skipped), rounds and durations.
 * @returns One case per runtime, server and path (`c` = 32).
 *
 * @example Bun only, quickly
 * ```ts
 * const cases = await runHonoBench({ runtimes: ["bun"], rounds: 3, seconds: 0.5, warmupSeconds: 1 });
 * ```
 */
export function runHonoBench(options: SectionBenchOptions): Promise<ServerCase[]> {
  return measureSection({
    runtimes: HONO_RUNTIMES,
    kinds: honoServerKinds,
    paths: (server) => server === "native" ? NATIVE_PATHS : HONO_PATHS,
    start: (runtime, server) => startSectionServer("hono", FIXTURE, runtime, [server]),
    concurrency: HONO_CONCURRENCY,
  }, options);
}
