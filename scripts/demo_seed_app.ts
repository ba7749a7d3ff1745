/**
 * The seed program in TypeScript: a Hono handler that sends a `103` with
 * `xxx`, `aaa` and `sss`, works for a moment, changes and adds header fields
 * and answers `200`; and a client that prints what it saw in the seed's
 * format (`hinted [yyy]`, `final 200 OK`, `final [ttt uuu]` ...).
 *
 * `scripts/demo_seed.ts` runs it as a program; `tests/demo.test.ts` runs it
 * in-process and compares the lines with the seed's output.
 *
 * @module
 */

import { Hono } from "hono";
import { fetch, type InformationalResponse } from "../client.ts";
import { hint, serve } from "../server.ts";

/** The names the seed prints, in its order. */
export const SEED_NAMES: readonly string[] = ["xxx", "aaa", "ccc", "sss"];

/** The nine lines the seed's Go program prints (its "Output:" block). */
export const SEED_LINES: readonly string[] = [
  "hinted [yyy]",
  "hinted [bbb]",
  "hinted []",
  "hinted [ttt]",
  "final 200 OK",
  "final [zzz]",
  "final [bbb]",
  "final [ddd]",
  "final [ttt uuu]",
];

/**
 * Builds the seed's handler as a Hono app.
 *
 * `hint(c)` sends the header fields set so far as a `103`, like Go's
 * `w.WriteHeader(http.StatusEarlyHints)`, and keeps them for the final
 * response (RFC 8297 section 2 lets the final response repeat or change them).
 *
 * @param delayMs How long the handler "works" between the hint and the answer (the seed: 2000).
 * @returns The app; serve it with `serve(app.fetch)`.
 *
 * @example Serving the seed app
 * ```ts ignore
 * import { serve } from "../server.ts";
 * import { createSeedApp } from "./demo_seed_app.ts";
 * const server = await serve(createSeedApp(10).fetch, { hostname: "127.0.0.1", port: 0 });
 * await server.shutdown();
 * ```
 */
export function createSeedApp(delayMs: number): Hono {
  const app = new Hono();
  // "/" as in the seed; "/seed" too, like the Go reference server's route.
  app.get("/:seed{(seed)?}", async (c) => {
    c.header("xxx", "yyy");
    c.header("aaa", "bbb");
    c.header("sss", "ttt");
    hint(c);

    await new Promise((resolve) => setTimeout(resolve, delayMs));
    c.header("xxx", "zzz");
    c.header("ccc", "ddd");
    c.header("sss", "uuu", { append: true });
    return c.body(null, 200);
  });
  return app;
}

/** What {@linkcode observeSeed} saw. */
export interface SeedObservation {
  /** The seed's lines, in its format. */
  readonly lines: string[];
  /** Milliseconds between the `103` and the final response head. */
  readonly hintToFinalMs: number;
}

/**
 * Formats header values the way Go's `fmt.Println` prints a `[]string`:
 * `[` + values joined by single spaces + `]`, `[]` for none.
 *
 * @param values The values of one header, one per field line, as Go's `Header.Values` returns them.
 * @returns The Go rendering.
 *
 * @example Two field lines and none
 * ```ts
 * import { goValues } from "./demo_seed_app.ts";
 * console.assert(goValues(["ttt", "uuu"]) === "[ttt uuu]" && goValues([]) === "[]");
 * ```
 */
export function goValues(values: readonly string[]): string {
  return `[${values.join(" ")}]`;
}

/**
 * The values of one header, one per field line, like Go's `Header.Values`.
 *
 * @param fields Header fields in order, one pair per field line.
 * @param name The header name, any case.
 * @returns The values in order.
 *
 * @example Picking one name
 * ```ts
 * import { fieldValues } from "./demo_seed_app.ts";
 * console.assert(fieldValues([["sss", "ttt"], ["aaa", "b"], ["SSS", "uuu"]], "sss").length === 2);
 * ```
 */
export function fieldValues(
  fields: Iterable<readonly [string, string]>,
  name: string,
): string[] {
  const wanted = name.toLowerCase();
  const values: string[] = [];
  for (const [field, value] of fields) {
    if (field.toLowerCase() === wanted) values.push(value);
  }
  return values;
}

/**
 * Requests `url` with our `fetch` and prints what the seed's client prints.
 *
 * @param url The seed server's URL.
 * @param signal Bounds the whole exchange.
 * @param onLine Called with each line the moment it is known (hinted lines on the 103).
 * @returns The lines and the time between hint and final response.
 *
 * @example Observing a running seed server
 * ```ts ignore
 * import { observeSeed } from "./demo_seed_app.ts";
 * const { lines } = await observeSeed("http://127.0.0.1:8080/", AbortSignal.timeout(10_000));
 * console.log(lines.join("\n"));
 * ```
 */
export async function observeSeed(
  url: string,
  signal: AbortSignal,
  onLine: (line: string) => void = () => {},
): Promise<SeedObservation> {
  const lines: string[] = [];
  const print = (line: string) => {
    lines.push(line);
    onLine(line);
  };
  let hintedAt: number | undefined;
  const response = await fetch(url, {
    signal,
    onInformational(info: InformationalResponse) {
      if (info.status !== 103) return;
      hintedAt = performance.now();
      const fields = info.rawHeaders;
      for (const name of SEED_NAMES) print(`hinted ${goValues(fieldValues(fields, name))}`);
    },
  });
  const finalAt = performance.now();
  await response.body?.cancel();
  print(`final ${response.status} ${response.statusText}`);
  const fields = response.rawHeaders;
  for (const name of SEED_NAMES) print(`final ${goValues(fieldValues(fields, name))}`);
  return { lines, hintToFinalMs: hintedAt === undefined ? NaN : finalAt - hintedAt };
}

/**
 * Serves the seed app on a free local port, observes one request with our
 * client, and shuts the server down.
 *
 * @param delayMs The handler's work time.
 * @param timeoutMs Bound on the whole run.
 * @param onLine Called with each line the moment it is known.
 * @returns What the client saw.
 *
 * @example Running the seed once
 * ```ts ignore
 * import { runSeed } from "./demo_seed_app.ts";
 * const { lines } = await runSeed(100, 10_000);
 * console.log(lines.join("\n"));
 * ```
 */
export async function runSeed(
  delayMs: number,
  timeoutMs: number,
  onLine?: (line: string) => void,
): Promise<SeedObservation> {
  const server = await serve(createSeedApp(delayMs).fetch, { hostname: "127.0.0.1", port: 0 });
  try {
    return await observeSeed(server.url, AbortSignal.timeout(timeoutMs), onLine);
  } finally {
    await server.shutdown();
  }
}
