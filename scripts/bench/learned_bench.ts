/**
 * Section 8 of the suite (issue 15): what `learnedHints()` costs. One Hono
 * app on our `serve()`, with and without `app.use(learnedHints())`
 * (`fixtures/learned_server.ts`), under `hey -c 32`, on a route whose
 * response sets a `Link` header:
 *
 * - navigations (`Sec-Fetch-Mode: navigate`, a browser's `Accept`): with
 *   the middleware, every request after the first gets a learned `103`
 *   before the route runs, so the row prices the middleware and the `103`
 *   it sends;
 * - other requests (`Sec-Fetch-Mode: cors`, `Accept: *\/*`): the middleware
 *   only decides to pass them through.
 *
 * A third app has a middleware that only awaits `next()`: Hono calls a lone
 * route handler directly and runs the middleware chain only when there is
 * one, so that row tells Hono's share of the cost from the middleware's own.
 * Both request kinds carry the same number of fields. `hey` counts final
 * responses only; that the learned `103` goes out (and only to navigations)
 * is checked once per server and kind before its warm-up. Figures as in
 * section 1 (`server_bench.ts`).
 *
 * @module
 */

import path from "node:path";
import { ROOT, runHey, type RuntimeName } from "./common.ts";
import { describeExchange, observeExchange } from "./http1_exchange.ts";
import { measureSection, type SectionBenchOptions, startSectionServer } from "./section_bench.ts";
import type { LoadGenerator, ServerCase } from "./server_bench.ts";

/**
 * With the middleware (`learned`), with a middleware that only awaits
 * `next()` (`noop`: Hono's own cost of any `app.use()`), or with neither
 * (`plain`).
 */
export type LearnedServerKind = "learned" | "noop" | "plain";

/** Ours with the middleware first, the app without it (the baseline) last. */
export const LEARNED_SERVER_KINDS: readonly LearnedServerKind[] = ["learned", "noop", "plain"];

/** The runtimes of this section: the Node that runs npm (20) is end-of-life. */
export const LEARNED_RUNTIMES: readonly RuntimeName[] = ["deno", "bun", "node24", "node26"];

/** The concurrency of every case (that of the Hono rows). */
export const LEARNED_CONCURRENCY = 32;

/** The link the route names, which the middleware replays. */
const PAGE_LINK = "</style.css>; rel=preload; as=style";

/** A request kind: the path requested and the fields sent. */
interface RequestKind {
  readonly path: string;
  readonly headers: Readonly<Record<string, string>>;
  /** Whether the middleware replays to it. */
  readonly navigation: boolean;
}

/** The cases' path labels, each a request kind. */
export const LEARNED_REQUESTS: Readonly<Record<string, RequestKind>> = {
  "/page (navigation)": {
    path: "/page",
    headers: {
      "sec-fetch-mode": "navigate",
      "sec-fetch-dest": "document",
      accept: "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8",
    },
    navigation: true,
  },
  "/page (fetch)": {
    path: "/page",
    headers: { "sec-fetch-mode": "cors", "sec-fetch-dest": "empty", accept: "*/*" },
    navigation: false,
  },
};

const FIXTURE = path.join(ROOT, "scripts", "bench", "fixtures", "learned_server.ts");

function requestKind(label: string): RequestKind {
  const kind = LEARNED_REQUESTS[label];
  if (kind === undefined) throw new Error(`learned: unknown request kind "${label}"`);
  return kind;
}

/**
 * `hey`'s arguments for a request kind: its fields and path.
 *
 * @param port The server's port on 127.0.0.1.
 * @param label A key of {@linkcode LEARNED_REQUESTS}.
 * @param seconds How long to load.
 * @param concurrency Requests in flight.
 * @returns The arguments.
 * @throws {Error} When `label` names no request kind.
 *
 * @example
 * ```ts
 * learnedHeyArgs(8080, "/page (navigation)", 1, 32);
 * ```
 */
export function learnedHeyArgs(
  port: number,
  label: string,
  seconds: number,
  concurrency: number,
): string[] {
  const kind = requestKind(label);
  const headers = Object.entries(kind.headers).flatMap(([name, value]) => [
    "-H",
    `${name}: ${value}`,
  ]);
  return [
    "-z",
    `${seconds}s`,
    "-c",
    String(concurrency),
    ...headers,
    `http://127.0.0.1:${port}${kind.path}`,
  ];
}

/**
 * Checks what the second request of a kind gets (the first teaches): a
 * `103` with the route's link for a navigation to the app with the
 * middleware, none otherwise; then the route's `200`.
 */
async function checkLearned(port: number, label: string, learned: boolean): Promise<void> {
  const kind = requestKind(label);
  await observeExchange(port, kind.path, { ...kind.headers });
  const seen = await observeExchange(port, kind.path, { ...kind.headers });
  const hinted = learned && kind.navigation;
  const interimOk = hinted
    ? seen.interim.join() === "103" && seen.interimLinks[0] === PAGE_LINK
    : seen.interim.length === 0;
  if (!interimOk || seen.status !== 200 || !seen.body.includes("<p>page</p>")) {
    throw new Error(
      `learned (${learned ? "with" : "without"} the middleware) on port ${port}, ${label}: ` +
        `the second request got ${describeExchange(seen)}; expected ${
          hinted ? "103 with the learned link, then " : ""
        }200 with the page`,
    );
  }
}

/**
 * Runs the learned section.
 *
 * @param options Runtimes (those not in {@linkcode LEARNED_RUNTIMES} are
 *   skipped), rounds and durations.
 * @returns One case per runtime, app and request kind (`c` = 32).
 * @throws {Error} When an app does not answer as described (see `checkLearned`).
 *
 * @example Deno only, quickly
 * ```ts
 * const cases = await runLearnedBench({ runtimes: ["deno"], rounds: 3, seconds: 1, warmupSeconds: 1 });
 * ```
 */
export function runLearnedBench(options: SectionBenchOptions): Promise<ServerCase[]> {
  const learnedPorts = new Set<number>();
  const load: LoadGenerator = {
    async warmUp(port, label, seconds) {
      await checkLearned(port, label, learnedPorts.has(port));
      await runHey(learnedHeyArgs(port, label, seconds, 64), 60_000);
    },
    run(port, label, seconds, concurrency) {
      return runHey(learnedHeyArgs(port, label, seconds, concurrency), seconds * 1000 + 60_000);
    },
  };
  return measureSection({
    runtimes: LEARNED_RUNTIMES,
    kinds: () => LEARNED_SERVER_KINDS,
    paths: () => Object.keys(LEARNED_REQUESTS),
    start: async (runtime, server) => {
      const child = await startSectionServer("learned", FIXTURE, runtime, [server]);
      if (server === "learned") learnedPorts.add(child.port);
      return child;
    },
    concurrency: LEARNED_CONCURRENCY,
    load,
  }, options);
}
