/**
 * Client benchmark driver, run in the runtime under test by
 * `scripts/bench.ts`: requests per second of interim' `Client.fetch`,
 * the runtime's global `fetch` and `node:http.request` with a keep-alive
 * agent, against one fixed server, with N workers each looping one request
 * at a time (so at most N requests are in flight).
 *
 * Usage: `<runtime> scripts/bench/client_driver.ts BASE_URL SECONDS ROUNDS`
 * Prints one JSON object: for each case and client, one sample per round of
 * requests per second and of this process's CPU time per request
 * (`process.cpuUsage()`), measured in interleaved rounds.
 *
 * @module
 */

import http from "node:http";
import process from "node:process";
import { Client } from "../../client.ts";

type Once = (url: string) => Promise<void>;

interface Contender {
  readonly name: "ours" | "fetch" | "node-http";
  readonly once: Once;
  close(): Promise<void>;
}

const [base = "", secondsArg = "0.5", roundsArg = "3"] = process.argv.slice(2);
const SECONDS = Number(secondsArg);
const ROUNDS = Number(roundsArg);
const CONCURRENCIES = [1, 32];
const PATHS = ["/plain", "/hint"];

function ours(): Contender {
  const client = new Client();
  let hints = 0;
  const onInformational = () => void hints++;
  return {
    name: "ours",
    once: async (url) => {
      const response = await client.fetch(url, { onInformational });
      await response.arrayBuffer();
    },
    close: () => client.close(),
  };
}

function globalFetch(): Contender {
  return {
    name: "fetch",
    once: async (url) => {
      const response = await fetch(url);
      await response.arrayBuffer();
    },
    close: () => Promise.resolve(),
  };
}

function nodeHttp(): Contender {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 64 });
  return {
    name: "node-http",
    once: (url) =>
      new Promise<void>((resolve, reject) => {
        const request = http.request(url, { agent }, (response) => {
          response.on("data", () => {});
          response.on("end", () => resolve());
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

/** Loops `once` from `concurrency` workers for `seconds`. */
async function measure(
  once: Once,
  url: string,
  concurrency: number,
  seconds: number,
): Promise<{ rps: number; cpuUsPerRequest: number; requests: number }> {
  let count = 0;
  const cpuBefore = process.cpuUsage();
  const start = performance.now();
  const deadline = start + seconds * 1000;
  await Promise.all(Array.from({ length: concurrency }, async () => {
    while (performance.now() < deadline) {
      await once(url);
      count++;
    }
  }));
  const elapsed = (performance.now() - start) / 1000;
  const cpu = process.cpuUsage(cpuBefore);
  return {
    rps: count / elapsed,
    cpuUsPerRequest: (cpu.user + cpu.system) / count,
    requests: count,
  };
}

const contenders = [ours(), globalFetch(), nodeHttp()];
const results: Array<{
  path: string;
  concurrency: number;
  client: string;
  rps: number[];
  cpuUsPerRequest: number[];
  requests: number;
}> = [];
try {
  for (const path of PATHS) {
    for (const concurrency of CONCURRENCIES) {
      const url = base + path;
      for (const contender of contenders) {
        // Warm-up: JIT, and a full pool of keep-alive connections.
        await measure(contender.once, url, concurrency, Math.min(0.3, SECONDS));
      }
      const rows = contenders.map((contender) => ({
        path,
        concurrency,
        client: contender.name,
        rps: [] as number[],
        cpuUsPerRequest: [] as number[],
        requests: 0,
      }));
      for (let round = 0; round < ROUNDS; round++) {
        // Rotate the order so no client always runs first after another's load.
        for (let i = 0; i < contenders.length; i++) {
          const index = (i + round) % contenders.length;
          const sample = await measure(contenders[index]!.once, url, concurrency, SECONDS);
          rows[index]!.rps.push(sample.rps);
          rows[index]!.cpuUsPerRequest.push(sample.cpuUsPerRequest);
          rows[index]!.requests += sample.requests;
        }
      }
      results.push(...rows);
    }
  }
} finally {
  for (const contender of contenders) await contender.close();
}
console.log(JSON.stringify({ results }));
process.exit(0);
