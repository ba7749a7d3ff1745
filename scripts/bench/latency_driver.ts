/**
 * Hint-latency client, run in the runtime under test by `scripts/bench.ts`:
 * the time from the server's `sendInformational` (or `writeEarlyHints`) to
 * the client's `onInformational` (or `node:http`'s `information` event).
 *
 * The server writes its wall-clock time, in milliseconds with microsecond
 * resolution, into the `x-sent-at` field of the `103`; this client takes
 * `performance.timeOrigin + performance.now()` when the callback runs. Both
 * processes read the same system clock (the suite checks each runtime's
 * agreement with `Date.now()`, see `clock` below). Requests go one at a time
 * over one keep-alive connection.
 *
 * Usage: `<runtime> scripts/bench/latency_driver.ts ours|node-http URL`, then
 * lines on stdin: `run N` (answers one JSON line `{"samples":[µs,...]}`),
 * `clock` (answers `{"clockSkewUs":x}`: the smallest gap between a `Date.now()`
 * tick and `performance.timeOrigin + performance.now()`), `quit`.
 *
 * @module
 */

import http from "node:http";
import process from "node:process";
import { createInterface } from "node:readline";
import { Client } from "../../client.ts";

const [kind = "ours", url = ""] = process.argv.slice(2);

function wallClockMs(): number {
  return performance.timeOrigin + performance.now();
}

/** One request; resolves with the hint's latency in microseconds. */
type Probe = () => Promise<number>;

function ourProbe(): { probe: Probe; close(): Promise<void> } {
  const client = new Client();
  return {
    probe: async () => {
      let latency = NaN;
      const response = await client.fetch(url, {
        onInformational: (info) => {
          const received = wallClockMs();
          latency = (received - Number(info.headers.get("x-sent-at"))) * 1000;
        },
      });
      await response.arrayBuffer();
      return latency;
    },
    close: () => client.close(),
  };
}

function nodeHttpProbe(): { probe: Probe; close(): Promise<void> } {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  return {
    probe: () =>
      new Promise<number>((resolve, reject) => {
        let latency = NaN;
        const request = http.request(url, { agent }, (response) => {
          response.on("data", () => {});
          response.on("end", () => resolve(latency));
          response.on("error", reject);
        });
        request.on("information", (info) => {
          const received = wallClockMs();
          latency = (received - Number(info.headers["x-sent-at"])) * 1000;
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

/** Smallest offset seen at a `Date.now()` tick, in microseconds (20 ticks). */
function clockSkewUs(): number {
  let best = Infinity;
  let last = Date.now();
  for (let ticks = 0; ticks < 20;) {
    const now = Date.now();
    const precise = wallClockMs();
    if (now !== last) {
      best = Math.min(best, Math.abs(precise - now) * 1000);
      last = now;
      ticks++;
    }
  }
  return best;
}

const { probe, close } = kind === "ours" ? ourProbe() : nodeHttpProbe();
const lines = createInterface({ input: process.stdin });
for await (const line of lines) {
  const [command, count] = line.trim().split(" ");
  if (command === "run") {
    const samples: number[] = [];
    for (let i = 0; i < Number(count); i++) samples.push(await probe());
    console.log(JSON.stringify({ samples: samples.map((v) => Math.round(v * 10) / 10) }));
  } else if (command === "clock") {
    console.log(JSON.stringify({ clockSkewUs: clockSkewUs() }));
  } else break;
}
await close();
process.exit(0);
