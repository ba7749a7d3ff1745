/**
 * The server transports the shared server tests run on. A test that must
 * hold on every transport is declared once, in a loop over
 * {@linkcode TRANSPORTS}, its name starting with the transport's
 * (`engine: ...`, `node-http: ...`), so that a difference in behaviour shows
 * as a failure on one of them rather than as two copies drifting apart:
 *
 * ```ts ignore
 * for (const { name, options } of TRANSPORTS) {
 *   test(`${name}: serve() answers HEAD without a body`, async () => {
 *     await withServer(() => new Response("x"), options, async (_server, port) => {});
 *   });
 * }
 * ```
 *
 * (The loop is in the test file, not in a helper here: Node reports a test
 * under the file that called `test()`.)
 *
 * - `engine`: our HTTP/1.1 engine on the runtime's sockets (the default
 *   adapter, `"deno"`, `"bun"` or `"node"`);
 * - `node-http`: `node:http` (`adapter: "node-http"`), on Node, Deno and Bun.
 *
 * A test only one transport can pass by design (the engine's parser limits,
 * node:http's internals) is declared once, its name starting with
 * `engine:` or `node-http only:`.
 *
 * @module
 */

import type { ServeOptions } from "../../server.ts";
import { ENGINE_ADAPTER } from "./server_util.ts";

/** A transport's name, as it prefixes the name of each test run on it. */
export type TransportName = "engine" | "node-http";

/** A server transport and the `serve()` options that select it. */
export interface Transport {
  /** Its name (`engine`, `node-http`). */
  readonly name: TransportName;
  /** The options that select it; spread them into a test's own options. */
  readonly options: Readonly<Pick<ServeOptions, "adapter">>;
}

/** Every transport, the default first. */
export const TRANSPORTS: readonly Transport[] = Object.freeze([
  { name: "engine", options: Object.freeze({ adapter: ENGINE_ADAPTER }) },
  { name: "node-http", options: Object.freeze({ adapter: "node-http" }) },
]);

/**
 * A skip reason where Bun's `node:http` (built on Bun's native server, not
 * on sockets our code drives) cannot do what a shared test asks, so that the
 * gap shows in every Bun run instead of a failure or a silent pass.
 *
 * @param name The transport the test runs on.
 * @param gap What Bun's `node:http` does instead, from a measured run.
 * @returns The reason on Bun's `node-http` runs, else `undefined`.
 */
export function bunNodeHttpGap(name: TransportName, gap: string): string | undefined {
  return name === "node-http" && "Bun" in globalThis ? `Bun's node:http ${gap}` : undefined;
}
