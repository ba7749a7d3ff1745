/**
 * Section 7 of the suite (issue 15): a reverse proxy in a Hono app, under
 * `hey -c 32`. Ours is `forward(c.req.raw, upstream)` on our `serve()`; the
 * baseline is what a Hono user runs today, Hono's `proxy()` helper
 * (`hono/proxy`, over the runtime's global `fetch`) on `Deno.serve`,
 * `Bun.serve` or `@hono/node-server` (`fixtures/proxy_server.ts`). Both
 * forward to one upstream started once per run, outside the measured
 * runtimes: Go's `seed_server` (`scripts/interop/go/seed_server`, as in the
 * client section), whose `/plain` answers `200` "plain" and whose `/hint`
 * sends one `103` and then `200` "hint".
 *
 * `hey` counts final responses only (Go's client reads a 1xx and waits for
 * the next), so on `/hint` both proxies are timed on the same final answers;
 * whether the `103` reached the client is checked once per server and path
 * before its warm-up (`observeExchange`) and kept with the case: ours
 * relays it, Hono's helper cannot (the global `fetch` swallows 1xx).
 *
 * Figures as in section 1 (`server_bench.ts`), of the proxy process only:
 * the upstream and `hey` share the two cores with it.
 *
 * @module
 */

import path from "node:path";
import { buildGoProgram, startGoServer } from "../../tests/_support/go.ts";
import { isNode, ROOT, type RuntimeName } from "./common.ts";
import { describeExchange, observeExchange } from "./http1_exchange.ts";
import { measureSection, type SectionBenchOptions, startSectionServer } from "./section_bench.ts";
import { HEY_LOAD, type LoadGenerator, type ServerCase } from "./server_bench.ts";

/** Which proxy (see `fixtures/proxy_server.ts`). */
export type ProxyServerKind = "ours" | "native" | "node-server";

/** The runtimes of this section: the Node that runs npm (20) is end-of-life. */
export const PROXY_RUNTIMES: readonly RuntimeName[] = ["deno", "bun", "node24", "node26"];

/** The concurrency of every proxy case (that of the Hono rows). */
export const PROXY_CONCURRENCY = 32;

/** The upstream's paths: a small `200`, and one `103` then a small `200`. */
export const PROXY_PATHS: readonly string[] = ["/plain", "/hint"];

const FIXTURE = path.join(ROOT, "scripts", "bench", "fixtures", "proxy_server.ts");

/** A proxy case, with what one request through it showed before the load. */
export interface ProxyCase extends ServerCase {
  /** E.g. `103 → 200 "hint"` (interim statuses, final status, body). */
  readonly observed: string;
}

/**
 * The proxies of a runtime, ours first, the baseline last.
 *
 * @param runtime Which runtime.
 * @returns Server kinds in measuring order.
 *
 * @example
 * ```ts
 * proxyServerKinds("bun"); // ["ours", "native"]
 * ```
 */
export function proxyServerKinds(runtime: RuntimeName): ProxyServerKind[] {
  return ["ours", isNode(runtime) ? "node-server" : "native"];
}

/**
 * Runs the proxy section.
 *
 * @param options Runtimes (those not in {@linkcode PROXY_RUNTIMES} are
 *   skipped), rounds and durations.
 * @returns One case per runtime, proxy and path (`c` = 32), or `undefined`
 *   when Go is not installed (the upstream is Go's).
 * @throws {Error} When a proxy's answer is not the upstream's `200` and body.
 *
 * @example Bun only, quickly
 * ```ts
 * const cases = await runProxyBench({ runtimes: ["bun"], rounds: 3, seconds: 1, warmupSeconds: 1 });
 * ```
 */
export async function runProxyBench(
  options: SectionBenchOptions,
): Promise<ProxyCase[] | undefined> {
  if ((await buildGoProgram("seed_server")) === undefined) return undefined;
  const upstream = await startGoServer(["-delay", "0s"]);
  const observed = new Map<string, string>();
  // Each proxy's answer is checked once per path before its warm-up.
  const checkedHey: LoadGenerator = {
    async warmUp(port, urlPath, seconds) {
      const seen = await observeExchange(port, urlPath);
      const body = urlPath.slice(1);
      if (seen.status !== 200 || seen.body !== body) {
        throw new Error(`proxy on port ${port}, ${urlPath}: ${describeExchange(seen)}`);
      }
      observed.set(`${port} ${urlPath}`, describeExchange(seen));
      await HEY_LOAD.warmUp(port, urlPath, seconds);
    },
    run: HEY_LOAD.run,
  };
  const ports = new Map<string, number>();
  try {
    const cases = await measureSection({
      runtimes: PROXY_RUNTIMES,
      kinds: proxyServerKinds,
      paths: () => PROXY_PATHS,
      start: async (runtime, server) => {
        const child = await startSectionServer("proxy", FIXTURE, runtime, [server, upstream.url]);
        ports.set(`${runtime} ${server}`, child.port);
        return child;
      },
      concurrency: PROXY_CONCURRENCY,
      load: checkedHey,
    }, options);
    return cases.map((c) => ({
      ...c,
      observed: observed.get(`${ports.get(`${c.runtime} ${c.server}`)} ${c.path}`) ?? "",
    }));
  } finally {
    await upstream.close();
  }
}
