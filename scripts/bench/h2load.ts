/**
 * `h2load` (Debian `nghttp2-client`) as the load of the HTTP/2 rows: a run
 * for a duration (`-D`) over TLS with ALPN `h2`, its summary parsed, and the
 * latency percentiles computed from its per-request log (`--log-file`), since
 * the summary gives only min, max, mean and deviation.
 *
 * h2load 1.52 files a response that a `103` preceded under "3xx" in its
 * status-code line (it counts the first `:status` it sees), so the requests
 * are its `succeeded` count, never the 2xx bucket
 * (/work/notes/h2/findings.md, section 5).
 *
 * @module
 */

import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { percentile, runToEnd } from "./common.ts";
import type { LoadGenerator, LoadResult } from "./server_bench.ts";

/** The path of `h2load`, or `undefined` when it is not installed. */
export const H2LOAD: string | undefined = ["/usr/bin/h2load", "/usr/local/bin/h2load"].find((p) =>
  existsSync(p)
);

/**
 * The HTTP/2 connections of every run; the concurrency is spread over them as
 * streams (`-m`), as a browser multiplexes a page's requests on one.
 */
export const H2_CONNECTIONS = 8;

/** What the summary of one h2load run says. */
export interface H2loadSummary {
  /** `finished in` seconds. */
  readonly seconds: number;
  /** Requests per second over the main duration. */
  readonly rps: number;
  /** Streams that ended with a 2xx or 3xx `:status` (see the module's notes). */
  readonly succeeded: number;
  /** Failed (a 4xx or 5xx status, or a reset), errored and timed-out requests. */
  readonly errors: number;
}

/**
 * Parses h2load's summary.
 *
 * @param out What h2load printed on stdout.
 * @returns Duration, rate, succeeded and failed requests.
 * @throws {Error} When the summary lines are missing (h2load did not finish).
 *
 * @example
 * ```ts
 * parseH2loadSummary(
 *   "finished in 1.00s, 9000.00 req/s, 1.00MB/s\n" +
 *     "requests: 9000 total, 9008 started, 9000 done, 9000 succeeded, 0 failed, 0 errored, 0 timeout\n",
 * ); // { seconds: 1, rps: 9000, succeeded: 9000, errors: 0 }
 * ```
 */
export function parseH2loadSummary(out: string): H2loadSummary {
  const finished = /finished in ([\d.]+)(m?s), ([\d.]+) req\/s/.exec(out);
  const requests = /requests: \d+ total, \d+ started, \d+ done, (\d+) succeeded, (\d+) failed,/
    .exec(out);
  if (finished === null || requests === null) {
    throw new Error(`h2load printed no summary:\n${out.slice(-2000)}`);
  }
  return {
    seconds: Number(finished[1]) / (finished[2] === "ms" ? 1000 : 1),
    rps: Number(finished[3]),
    succeeded: Number(requests[1]),
    // h2load counts an errored or timed-out request among the failed ones too.
    errors: Number(requests[2]),
  };
}

/**
 * Response times from an h2load `--log-file` (tab-separated: start time,
 * status, microseconds until the end of the response), in milliseconds.
 *
 * @param log The file's text.
 * @returns The times, sorted ascending.
 *
 * @example
 * ```ts
 * responseTimesMs("1700000000000000\t200\t1500\n"); // [1.5]
 * ```
 */
export function responseTimesMs(log: string): number[] {
  const times: number[] = [];
  for (const line of log.split("\n")) {
    const micros = Number(line.split("\t")[2]);
    if (line !== "" && Number.isFinite(micros)) times.push(micros / 1000);
  }
  return times.sort((a, b) => a - b);
}

/**
 * Runs h2load for `seconds` against `https://127.0.0.1:PORT/PATH`.
 *
 * @param port The server's TLS port.
 * @param urlPath The path.
 * @param seconds The main duration.
 * @param concurrency Streams in flight, over {@linkcode H2_CONNECTIONS}.
 * @returns Succeeded requests, rate, p50 and p99, errors.
 * @throws {Error} When h2load is not installed or does not finish.
 *
 * @example One second at 64 streams
 * ```ts
 * const result = await runH2load(8443, "/hint", 1, 64);
 * ```
 */
export async function runH2load(
  port: number,
  urlPath: string,
  seconds: number,
  concurrency: number,
): Promise<LoadResult> {
  if (H2LOAD === undefined) {
    throw new Error("h2load is not installed (apt-get install nghttp2-client)");
  }
  const connections = Math.min(H2_CONNECTIONS, concurrency);
  const streams = Math.max(1, Math.round(concurrency / connections));
  const dir = mkdtempSync(path.join(os.tmpdir(), "bench-h2load-"));
  const logFile = path.join(dir, "requests.tsv");
  try {
    const out = await runToEnd(
      H2LOAD,
      [
        "-D",
        String(seconds),
        "-c",
        String(connections),
        "-m",
        String(streams),
        "-t",
        "1",
        `--log-file=${logFile}`,
        `https://127.0.0.1:${port}${urlPath}`,
      ],
      seconds * 1000 + 60_000,
    );
    const summary = parseH2loadSummary(out);
    // h2load falls back to HTTP/1.1 when ALPN does not pick h2: that would measure the wrong thing.
    if (!/ALPN protocol: h2\b/.test(out) && !/Application protocol: h2\b/.test(out)) {
      throw new Error(`h2load did not negotiate h2:\n${out.slice(0, 2000)}`);
    }
    const times = responseTimesMs(existsSync(logFile) ? readFileSync(logFile, "utf8") : "");
    return {
      requests: summary.succeeded,
      rps: summary.rps,
      p50Ms: percentile(times, 50),
      p99Ms: percentile(times, 99),
      errors: summary.errors,
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** h2load as the load of {@linkcode measureServers}: TLS, ALPN h2. */
export const H2LOAD_LOAD: LoadGenerator = {
  async warmUp(port, urlPath, seconds) {
    await runH2load(port, urlPath, seconds, 64);
  },
  run: runH2load,
};
