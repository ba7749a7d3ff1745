/**
 * `npm run seed`: a server for the `interim` CLI to point at. It serves the
 * demo's seed handler (scripts/demo_seed_app.ts: a `103 Early Hints`, a
 * moment of work, then `200 OK` with changed and added fields) on
 * 127.0.0.1 and prints the exact command to run in another terminal:
 *
 * ```
 * seed server on http://127.0.0.1:8080: 103 Early Hints at once, 200 OK after 1000 ms
 * run in another terminal:
 *   npx interim http://127.0.0.1:8080/
 * ```
 *
 * It runs until Ctrl-C (or SIGTERM), then shuts down cleanly.
 *
 * Usage: `npm run seed [-- --port=N] [--delay=MS]` (`--port=0` picks a free port).
 *
 * @module
 */

import process from "node:process";
import { serve } from "../server.ts";
import { createSeedApp } from "./demo_seed_app.ts";

const USAGE = "usage: npm run seed -- [--port=N] [--delay=MS]\n" +
  "  --port=N     port on 127.0.0.1 (default 8080; 0 picks a free one)\n" +
  "  --delay=MS   the handler's work between the 103 and the 200 (default 1000)\n";

interface SeedOptions {
  readonly port: number;
  readonly delayMs: number;
}

function parseOptions(args: readonly string[]): SeedOptions | "help" {
  let port = 8080;
  let delayMs = 1000;
  for (const arg of args) {
    if (arg === "-h" || arg === "--help") return "help";
    const match = /^--(port|delay)=(\d+)$/.exec(arg);
    if (match === null) throw new Error(`unknown argument ${JSON.stringify(arg)}\n${USAGE}`);
    const value = Number(match[2]);
    if (match[1] === "port") {
      if (value > 65535) throw new Error(`--port must be 0 to 65535, got ${value}`);
      port = value;
    } else delayMs = value;
  }
  return { port, delayMs };
}

async function main(): Promise<void> {
  const options = parseOptions(process.argv.slice(2));
  if (options === "help") {
    process.stdout.write(USAGE);
    return;
  }
  let server;
  try {
    server = await serve(createSeedApp(options.delayMs).fetch, {
      hostname: "127.0.0.1",
      port: options.port,
    });
  } catch (error) {
    if ((error as { code?: unknown }).code === "EADDRINUSE") {
      throw new Error(
        `port ${options.port} on 127.0.0.1 is taken; npm run seed -- --port=0 picks a free one`,
      );
    }
    throw error;
  }
  console.log(
    `seed server on ${server.url}: 103 Early Hints at once, 200 OK after ${options.delayMs} ms`,
  );
  console.log("run in another terminal:");
  console.log(`  npx interim ${server.url}/`);
  const running = server;
  const stop = () => void running.shutdown();
  process.once("SIGINT", stop);
  process.once("SIGTERM", stop);
  await running.finished;
}

try {
  await main();
} catch (error) {
  console.error(`seed: ${error instanceof Error ? error.message : String(error)}`);
  process.exitCode = 1;
}
