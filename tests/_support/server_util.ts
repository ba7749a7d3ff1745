/**
 * Test support for the server tests: start a server on a free loopback port
 * for the duration of a callback, closing it in every case, and the engine's
 * adapter on the current runtime.
 *
 * @module
 */

import { serve } from "../../server.ts";
import type { ServeAdapterName, ServeHandler, ServeOptions, Server } from "../../server.ts";

/** The runtime the tests run on. */
export const RUNTIME: "deno" | "bun" | "node" = "Deno" in globalThis
  ? "deno"
  : "Bun" in globalThis
  ? "bun"
  : "node";

/**
 * The adapter of our engine on this runtime's sockets (the default); the
 * shared server tests run on it and on `node-http` (transports.ts).
 */
export const ENGINE_ADAPTER: ServeAdapterName = RUNTIME;

/**
 * Serves `handler` on 127.0.0.1 with a free port, runs `body`, then closes
 * the server (forcefully, so a failing test cannot hang on it).
 *
 * @param handler The fetch handler.
 * @param options Extra options.
 * @param body The test, given the server and its port.
 * @returns What `body` returns.
 *
 * @example
 * ```ts ignore
 * await withServer(() => new Response("hi"), {}, async (server, port) => {});
 * ```
 */
export async function withServer<T>(
  handler: ServeHandler,
  options: ServeOptions,
  body: (server: Server, port: number) => Promise<T>,
): Promise<T> {
  const server = await serve(handler, {
    hostname: "127.0.0.1",
    port: 0,
    onError: () => {},
    ...options,
  });
  try {
    const addr = server.addr;
    return await body(server, addr.transport === "tcp" ? addr.port : 0);
  } finally {
    await server.close();
  }
}

/**
 * Resolves after `ms` milliseconds.
 *
 * @param ms The delay.
 * @returns A promise.
 *
 * @example
 * ```ts ignore
 * await delay(10);
 * ```
 */
export function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/**
 * Resolves with `promise`'s value, or rejects after `ms` with `what` in the message.
 *
 * @param promise What to wait for.
 * @param ms The bound.
 * @param what A description for the timeout error.
 * @returns The value.
 *
 * @example
 * ```ts ignore
 * await within(server.shutdown(), 5000, "shutdown");
 * ```
 */
export function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not finish within ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
