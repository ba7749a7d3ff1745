/**
 * What the sections that compare servers at one concurrency share (5 Hono,
 * 6 HTTP/2, 7 proxy, 8 learned): their options, how one of their fixture
 * servers starts, and how their servers are measured (`measureServers` with
 * each compared pair back to back).
 *
 * @module
 */

import { runtimeCommand, type RuntimeName, type ServerChild, startServerChild } from "./common.ts";
import {
  type LoadGenerator,
  measureServers,
  type ServerCase,
  type ServerSpec,
} from "./server_bench.ts";

/** Options of such a section. */
export interface SectionBenchOptions {
  readonly runtimes: readonly RuntimeName[];
  readonly rounds: number;
  /** Seconds per load run. */
  readonly seconds: number;
  /** Seconds of warm-up per server and path. */
  readonly warmupSeconds: number;
}

/**
 * Starts a section's fixture as a child of the runtime under test, named
 * `SECTION KIND on RUNTIME` in its errors.
 *
 * @param section The section's short name (`hono`, `h2`, ...).
 * @param fixture The fixture script's absolute path.
 * @param runtime The runtime that runs it.
 * @param fixtureArgs The script's arguments, the server kind first.
 * @param runtimeFlags Flags for the runtime (e.g. a CPU profiler).
 * @param env Extra environment variables (e.g. `BENCH_CPU_PROFILE`).
 * @returns The running child.
 *
 * @example
 * ```ts
 * const server = await startSectionServer("hono", FIXTURE, "deno", ["ours"]);
 * await server.stop();
 * ```
 */
export function startSectionServer(
  section: string,
  fixture: string,
  runtime: RuntimeName,
  fixtureArgs: readonly [kind: string, ...rest: string[]],
  runtimeFlags: readonly string[] = [],
  env: Record<string, string> = {},
): Promise<ServerChild> {
  const [command, args] = runtimeCommand(runtime, fixture, fixtureArgs, runtimeFlags);
  return startServerChild(command, args, `${section} ${fixtureArgs[0]} on ${runtime}`, env);
}

/** The servers of a section and how they are loaded. */
export interface SectionServers<Kind extends string> {
  /** The runtimes the section runs on; the others asked for are skipped. */
  readonly runtimes: readonly RuntimeName[];
  /** The servers of a runtime in measuring order, ours first, the baseline last. */
  kinds(runtime: RuntimeName): readonly Kind[];
  /** The paths (or request labels) a server is measured on. */
  paths(server: Kind): readonly string[];
  /** Starts one server. */
  start(runtime: RuntimeName, server: Kind): Promise<ServerChild>;
  /** The one concurrency of every case. */
  readonly concurrency: number;
  /** The load, if not `hey`'s default. */
  readonly load?: LoadGenerator;
}

/**
 * Measures a section: every server of every runtime it runs on, for each
 * runtime and path the servers one after the other.
 *
 * @param section The servers.
 * @param options Runtimes, rounds and durations.
 * @returns One case per runtime, server and path.
 *
 * @example
 * ```ts
 * const cases = await measureSection(servers, { runtimes: ["bun"], rounds: 3, seconds: 1, warmupSeconds: 1 });
 * ```
 */
export function measureSection<Kind extends string>(
  section: SectionServers<Kind>,
  options: SectionBenchOptions,
): Promise<ServerCase[]> {
  const specs: ServerSpec[] = options.runtimes.filter((r) => section.runtimes.includes(r))
    .flatMap((runtime) =>
      section.kinds(runtime).map((server) => ({
        runtime,
        server,
        paths: section.paths(server),
        start: () => section.start(runtime, server),
      }))
    );
  return measureServers(specs, {
    rounds: options.rounds,
    seconds: options.seconds,
    warmupSeconds: options.warmupSeconds,
    concurrencies: [section.concurrency],
    order: "path",
    ...(section.load === undefined ? {} : { load: section.load }),
  });
}
