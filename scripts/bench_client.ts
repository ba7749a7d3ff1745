/**
 * Compares the early-hints client with the runtime's global `fetch` and with
 * `node:http.request` (keep-alive agent), in requests per second, on
 * whichever runtime runs it, against one fixed server in a child process:
 * Go's `seed_server` when `go` is installed, else a `node:http` server run by
 * `node`. Cases: keep-alive GET of `/plain` (200 "plain") and `/hint` (a 103
 * with a link, then 200 "hint"), at concurrency 1 and 32. Ratios compare
 * numbers measured in the same run.
 *
 * Usage:
 *   deno run -A scripts/bench_client.ts
 *   bun scripts/bench_client.ts
 *   node --import tsx scripts/bench_client.ts
 *
 * Each case runs the three clients in turn, `--rounds` times (default 3,
 * `--seconds=0.4` each), and reports each client's median: on a small
 * machine the server shares the CPUs, so single runs are noisy.
 *
 * Options: `--seconds=N`, `--rounds=N`, `--server=go|node`.
 *
 * @module
 */

import { type ChildProcess, spawn } from "node:child_process";
import http from "node:http";
import process from "node:process";
import { Client } from "../client.ts";
import { buildGoProgram } from "../tests/_support/go.ts";

type Runner = (url: string) => Promise<number>;

const args = new Map(
  process.argv.slice(2).map((arg) => {
    const [key, value = ""] = arg.replace(/^--/, "").split("=");
    return [key!, value];
  }),
);
const SECONDS = Number(args.get("seconds") ?? "0.4");
const ROUNDS = Number(args.get("rounds") ?? "3");
const WARMUP_SECONDS = 0.3;
const CONCURRENCIES = [1, 32];
const PATHS = ["/plain", "/hint"];
const runtime = "Deno" in globalThis ? "deno" : "Bun" in globalThis ? "bun" : "node";

/** A node:http server equivalent to seed_server's /plain and /hint. */
const NODE_SERVER = `
const http = require("node:http");
const server = http.createServer((req, res) => {
  if (req.url === "/hint") res.writeEarlyHints({ link: "</style.css>; rel=preload; as=style" });
  const body = req.url === "/hint" ? "hint" : "plain";
  res.writeHead(200, { "content-type": "text/plain; charset=utf-8", "content-length": body.length });
  res.end(body);
});
server.keepAliveTimeout = 60000;
server.listen(0, "127.0.0.1", () => console.log("listening http://127.0.0.1:" + server.address().port));
process.stdin.on("end", () => process.exit(0));
process.stdin.resume();
`;

async function startServer(): Promise<{ url: string; name: string; child: ChildProcess }> {
  const wanted = args.get("server");
  const goBinary = wanted === "node"
    ? undefined
    : await buildGoProgram("seed_server").catch(() => undefined);
  if (wanted === "go" && goBinary === undefined) {
    throw new Error("--server=go but go is not installed");
  }
  const [command, commandArgs, name] = goBinary !== undefined
    ? [goBinary, ["-delay", "0s"], "Go seed_server"]
    : ["node", ["-e", NODE_SERVER], "node:http (child process)"];
  const child = spawn(command, commandArgs, { stdio: ["pipe", "pipe", "inherit"] });
  const url = await new Promise<string>((resolve, reject) => {
    let output = "";
    const timer = setTimeout(() => reject(new Error(`${name} did not start`)), 15_000);
    child.stdout!.setEncoding("utf8");
    child.stdout!.on("data", (chunk: string) => {
      output += chunk;
      const match = /listening (http:\/\/\S+)/.exec(output);
      if (match !== null) {
        clearTimeout(timer);
        resolve(match[1]!);
      }
    });
    child.once("exit", () => reject(new Error(`${name} exited early`)));
  });
  return { url, name, child };
}

/** Requests per wall-clock second, and per second of this process's CPU time. */
interface Sample {
  readonly rps: number;
  readonly perCpu: number;
}

/** Runs `once` from `concurrency` loops for `seconds`. */
async function measure(
  once: Runner,
  url: string,
  concurrency: number,
  seconds: number,
): Promise<Sample> {
  let count = 0;
  const deadline = performance.now() + seconds * 1000;
  const start = performance.now();
  const cpuStart = process.cpuUsage();
  await Promise.all(Array.from({ length: concurrency }, async () => {
    while (performance.now() < deadline) {
      await once(url);
      count++;
    }
  }));
  const cpu = process.cpuUsage(cpuStart);
  return {
    rps: count / ((performance.now() - start) / 1000),
    // All threads of the process: Bun's fetch works on a thread of its own.
    perCpu: count / ((cpu.user + cpu.system) / 1e6),
  };
}

function ourClient(): { run: Runner; close(): Promise<void> } {
  const client = new Client();
  let hints = 0;
  return {
    run: async (url) => {
      const response = await client.fetch(url, { onInformational: () => void hints++ });
      await response.text();
      return hints;
    },
    close: () => client.close(),
  };
}

function globalFetch(): { run: Runner; close(): Promise<void> } {
  return {
    run: async (url) => {
      const response = await globalThis.fetch(url);
      await response.text();
      return 0;
    },
    close: () => Promise.resolve(),
  };
}

function nodeHttp(concurrency: number): { run: Runner; close(): Promise<void> } {
  const agent = new http.Agent({ keepAlive: true, maxSockets: concurrency });
  return {
    run: (url) =>
      new Promise<number>((resolve, reject) => {
        const request = http.request(url, { agent }, (response) => {
          response.on("data", () => {});
          response.on("end", () => resolve(0));
          response.on("error", reject);
        });
        request.on("error", reject);
        request.end();
      }),
    close: () => {
      agent.destroy();
      return Promise.resolve();
    },
  };
}

function format(value: number): string {
  return value >= 1000 ? `${(value / 1000).toFixed(1)}k` : value.toFixed(0);
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

const server = await startServer();
console.log(
  `client benchmark on ${runtime} ${process.version ?? ""} against ${server.name} at ${server.url}`,
);
console.log(
  `median of ${ROUNDS} interleaved ${SECONDS}s runs after a ${WARMUP_SECONDS}s warm-up; requests/s, higher is better`,
);
console.log(
  "cpu: requests per second of the client process's own CPU time (steadier when other work shares the machine)\n",
);
const rows: string[][] = [[
  "case",
  "conc",
  "early-hints",
  "global fetch",
  "node:http",
  "ours/fetch",
  "ours/node:http",
  "cpu ours/fetch",
  "cpu ours/node:http",
]];
try {
  for (const path of PATHS) {
    for (const concurrency of CONCURRENCIES) {
      const url = server.url + path;
      const clients = [ourClient(), globalFetch(), nodeHttp(concurrency)];
      const samples: Sample[][] = clients.map(() => []);
      try {
        for (const client of clients) await measure(client.run, url, concurrency, WARMUP_SECONDS);
        for (let round = 0; round < ROUNDS; round++) {
          for (const [index, client] of clients.entries()) {
            samples[index]!.push(await measure(client.run, url, concurrency, SECONDS));
          }
        }
      } finally {
        for (const client of clients) await client.close();
      }
      const [ours, fetchRps, nodeRps] = samples.map((runs) =>
        median(runs.map((run) => run.rps))
      ) as [
        number,
        number,
        number,
      ];
      const [oursCpu, fetchCpu, nodeCpu] = samples.map((runs) =>
        median(runs.map((run) => run.perCpu))
      ) as [number, number, number];
      rows.push([
        path,
        String(concurrency),
        format(ours),
        format(fetchRps),
        format(nodeRps),
        (ours / fetchRps).toFixed(2),
        (ours / nodeRps).toFixed(2),
        (oursCpu / fetchCpu).toFixed(2),
        (oursCpu / nodeCpu).toFixed(2),
      ]);
    }
  }
} finally {
  server.child.stdin?.end();
  server.child.kill();
}
const widths = rows[0]!.map((_, column) => Math.max(...rows.map((row) => row[column]!.length)));
for (const row of rows) {
  console.log(row.map((cell, column) => cell.padStart(widths[column]!)).join("  "));
}
