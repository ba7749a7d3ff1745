/**
 * Counts the system calls a benchmark server makes per request under `hey`
 * (`strace -f -c` attached to the server process for a fixed number of
 * requests after a warm-up): the evidence for how many socket writes a
 * hinted request costs on each server.
 *
 * Usage: `node --import tsx scripts/bench/syscalls.ts RUNTIME SERVER PATH
 * [CONCURRENCY] [REQUESTS]`, e.g. `... syscalls.ts bun node-http /hint 64`.
 * SERVER `hono-KIND` runs the Hono app behind KIND of `fixtures/hono_server.ts`
 * (e.g. `... syscalls.ts node24 hono-node-server /plain 32`).
 * Needs `strace` (and the permission to trace a child process).
 * `BENCH_FIXTURE=FILE` runs another copy of the fixture (e.g. one importing a
 * modified `src/`, to check a change's effect on the system calls).
 *
 * @module
 */

import { spawn } from "node:child_process";
import path from "node:path";
import process from "node:process";
import {
  ROOT,
  runHey,
  runtimeCommand,
  type RuntimeName,
  sleep,
  startServerChild,
} from "./common.ts";

const [runtime = "node", server = "ours", urlPath = "/hint", cArg = "64", nArg = "10000"] = process
  .argv.slice(2);

async function main(): Promise<void> {
  const hono = server.startsWith("hono-");
  const [command, args] = runtimeCommand(
    runtime as RuntimeName,
    process.env.BENCH_FIXTURE ??
      path.join(ROOT, "scripts", "bench", "fixtures", hono ? "hono_server.ts" : "server.ts"),
    [hono ? server.slice("hono-".length) : server],
  );
  const child = await startServerChild(command, args, `${server} on ${runtime}`);
  const url = `http://127.0.0.1:${child.port}${urlPath}`;
  let report = "";
  let requests = 0;
  try {
    await runHey(["-n", "5000", "-c", cArg, url], 60_000);
    const strace = spawn("strace", ["-f", "-c", "-p", String(child.pid)], {
      stdio: ["ignore", "ignore", "pipe"],
    });
    strace.stderr.setEncoding("utf8");
    strace.stderr.on("data", (chunk: string) => (report += chunk));
    const closed = new Promise<void>((resolve) => strace.once("close", () => resolve()));
    await sleep(1000);
    requests = (await runHey(["-n", nArg, "-c", cArg, url], 300_000)).requests;
    strace.kill("SIGINT");
    await closed;
  } finally {
    await child.stop();
  }
  const rows = report.split("\n")
    .map((line) => line.trim().split(/\s+/))
    .filter((fields) => fields.length >= 5 && /^\d+$/.test(fields[3]!) && fields.at(-1) !== "total")
    .map((fields) => ({ name: fields[fields.length - 1]!, calls: Number(fields[3]) }))
    .sort((a, b) => b.calls - a.calls);
  console.log(
    `${runtime} ${server} ${urlPath} c=${cArg}, ${requests} requests; system calls per request: ` +
      rows.slice(0, 8).map((row) => `${row.name} ${(row.calls / requests).toFixed(2)}`).join(", "),
  );
}

await main();
