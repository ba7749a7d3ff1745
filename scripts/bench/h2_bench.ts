/**
 * Section 6 of the suite (issue 14, part 6): HTTP/2 over TLS under `h2load`
 * (ALPN `h2`, 64 streams in flight over 8 connections), one `103` per
 * request: our `serve()` against the runtime's own `node:http2` +
 * `additionalHeaders()` behind a minimal web `Request`/`Response` bridge
 * (`fixtures/h2_server.ts`), on Deno, Bun, Node 24 and Node 26. Within a
 * round the two servers of a runtime run back to back; the figures are those
 * of section 1 (`server_bench.ts`): the server process's CPU per request,
 * requests per second, latency (from h2load's per-request log).
 *
 * @module
 */

import http2 from "node:http2";
import path from "node:path";
import { ROOT, type RuntimeName } from "./common.ts";
import { H2LOAD_LOAD } from "./h2load.ts";
import { measureSection, type SectionBenchOptions, startSectionServer } from "./section_bench.ts";
import type { LoadGenerator, ServerCase } from "./server_bench.ts";

/** Which HTTP/2 server (see `fixtures/h2_server.ts`). */
export type H2ServerKind = "ours" | "node-http2";

/** The servers of every runtime, ours first, the baseline last. */
export const H2_SERVER_KINDS: readonly H2ServerKind[] = ["ours", "node-http2"];

/** The runtimes of this section: the Node that runs npm (20) is end-of-life. */
export const H2_RUNTIMES: readonly RuntimeName[] = ["deno", "bun", "node24", "node26"];

/** Streams in flight in every case (h2load `-c 8 -m 8`). */
export const H2_CONCURRENCY = 64;

/** The paths measured: one `103`, then a small text `200`. */
export const H2_PATHS: readonly string[] = ["/hint"];

const FIXTURE = path.join(ROOT, "scripts", "bench", "fixtures", "h2_server.ts");

/**
 * Makes one request over h2 and checks that `/hint` answers a `103` with a
 * `link`, then `200` "hint": h2load counts a hinted response as succeeded
 * whatever its final status (it keeps the first `:status`), so this is what
 * tells a broken server from a fast one.
 *
 * @param port The server's TLS port.
 * @param urlPath The path (`/hint`).
 * @throws {Error} When the exchange differs or takes over 10 s.
 *
 * @example
 * ```ts
 * await checkHintedExchange(8443, "/hint");
 * ```
 */
export function checkHintedExchange(port: number, urlPath: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const session = http2.connect(`https://127.0.0.1:${port}`, { rejectUnauthorized: false });
    const fail = (message: string) => {
      session.destroy();
      reject(new Error(`h2 ${urlPath} on port ${port}: ${message}`));
    };
    const timer = setTimeout(() => fail("no complete answer within 10 s"), 10_000);
    session.on("error", (error) => fail(error.message));
    const stream = session.request({ ":path": urlPath });
    const interim: number[] = [];
    let links = 0;
    let status = 0;
    let body = "";
    stream.on("headers", (fields) => {
      interim.push(Number(fields[":status"]));
      if (fields.link !== undefined) links++;
    });
    stream.on("response", (fields) => (status = Number(fields[":status"])));
    stream.setEncoding("utf8");
    stream.on("data", (chunk: string) => (body += chunk));
    stream.on("error", (error) => fail(error.message));
    stream.on("end", () => {
      clearTimeout(timer);
      session.close();
      if (interim.join() !== "103" || links !== 1) {
        reject(new Error(`h2 ${urlPath}: interim ${interim.join() || "none"}, ${links} with link`));
      } else if (status !== 200 || body !== "hint") {
        reject(new Error(`h2 ${urlPath}: final ${status} "${body.slice(0, 100)}"`));
      } else resolve();
    });
    stream.end();
  });
}

/** h2load, with each server's answer checked once before its warm-up. */
const CHECKED_H2LOAD: LoadGenerator = {
  async warmUp(port, urlPath, seconds) {
    await checkHintedExchange(port, urlPath);
    await H2LOAD_LOAD.warmUp(port, urlPath, seconds);
  },
  run: H2LOAD_LOAD.run,
};

/**
 * Runs the HTTP/2 section.
 *
 * @param options Runtimes (those not in {@linkcode H2_RUNTIMES} are skipped),
 *   rounds and durations.
 * @returns One case per runtime and server (`/hint`, 64 streams).
 *
 * @example Bun only, quickly
 * ```ts
 * const cases = await runH2Bench({ runtimes: ["bun"], rounds: 3, seconds: 1, warmupSeconds: 1 });
 * ```
 */
export function runH2Bench(options: SectionBenchOptions): Promise<ServerCase[]> {
  return measureSection({
    runtimes: H2_RUNTIMES,
    kinds: () => H2_SERVER_KINDS,
    paths: () => H2_PATHS,
    start: (runtime, server) => startSectionServer("h2", FIXTURE, runtime, [server]),
    concurrency: H2_CONCURRENCY,
    load: CHECKED_H2LOAD,
  }, options);
}
