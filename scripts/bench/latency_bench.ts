/**
 * Section 3 of the suite: hint latency, from the server's
 * `sendInformational` to the client's `onInformational`, for our pair
 * (`serve()` + `Client`), the `node:http` pair (`writeEarlyHints` +
 * `http.request`'s `information` event) on each runtime, and a Go
 * `net/http` pair (`scripts/bench/go/hint_latency`). Server and client are
 * two processes; every pair stays up for the whole section and the rounds
 * interleave the pairs.
 *
 * @module
 */

import { type ChildProcess, spawn } from "node:child_process";
import { mkdir, rename } from "node:fs/promises";
import path from "node:path";
import process from "node:process";
import { createInterface, type Interface } from "node:readline";
import { goAvailable } from "../../tests/_support/go.ts";
import {
  percentile,
  progress,
  ROOT,
  runtimeCommand,
  type RuntimeName,
  runToEnd,
  type ServerChild,
  type Spread,
  spread,
  startServerChild,
} from "./common.ts";
import { startFixture } from "./server_bench.ts";

/** One pair's figures, in microseconds. */
export interface LatencyCase {
  /** `ours`, `node-http` or `go`. */
  readonly pair: "ours" | "node-http" | "go";
  /** The runtime of both processes (`go` for the Go pair). */
  readonly runtime: RuntimeName | "go";
  /** Per-round p50 and p99. */
  readonly p50Us: Spread;
  readonly p99Us: Spread;
  /** Over all samples of all rounds. */
  readonly pooledP50Us: number;
  readonly pooledP99Us: number;
  readonly samples: number;
  /** Requests whose hint never reached the client's callback. */
  readonly missing: number;
  /** The client runtime's clock agreement with `Date.now()` (see latency_driver.ts). */
  readonly clockSkewUs: number;
}

/** Options of the latency section. */
export interface LatencyBenchOptions {
  readonly runtimes: readonly RuntimeName[];
  readonly rounds: number;
  readonly requestsPerRound: number;
}

const DRIVER = path.join(ROOT, "scripts", "bench", "latency_driver.ts");
const GO_DIR = path.join(ROOT, "scripts", "bench", "go");
const GO_BIN = path.join(ROOT, ".build", "go", "bin", "hint_latency");

/** A client process answering `run N` lines with JSON lines. */
class Prober {
  readonly #child: ChildProcess;
  readonly #lines: Interface;
  readonly #waiting: Array<(line: string) => void> = [];
  #stderr = "";

  constructor(command: string, args: readonly string[]) {
    this.#child = spawn(command, [...args], { cwd: ROOT, stdio: ["pipe", "pipe", "pipe"] });
    this.#child.stdin!.on("error", () => {});
    this.#child.stderr!.setEncoding("utf8");
    this.#child.stderr!.on("data", (chunk: string) => {
      this.#stderr = (this.#stderr + chunk).slice(-4000);
    });
    this.#lines = createInterface({ input: this.#child.stdout! });
    this.#lines.on("line", (line) => this.#waiting.shift()?.(line));
  }

  /** Sends one command and waits (bounded) for its JSON answer. */
  ask<T>(command: string, timeoutMs: number): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => {
        reject(new Error(`latency client: no answer to "${command}"\n${this.#stderr}`));
      }, timeoutMs);
      const onExit = () => {
        clearTimeout(timer);
        reject(new Error(`latency client exited\n${this.#stderr}`));
      };
      this.#child.once("exit", onExit);
      this.#waiting.push((line) => {
        clearTimeout(timer);
        this.#child.off("exit", onExit);
        try {
          resolve(JSON.parse(line) as T);
        } catch {
          reject(new Error(`latency client: ${line}`));
        }
      });
      this.#child.stdin!.write(`${command}\n`);
    });
  }

  async close(): Promise<void> {
    if (this.#child.exitCode !== null || this.#child.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => this.#child.once("close", () => resolve()));
    this.#child.stdin!.end("quit\n");
    const timer = setTimeout(() => this.#child.kill("SIGKILL"), 3_000);
    await exited;
    clearTimeout(timer);
  }
}

/** Builds the Go pair (standard library only, no network). */
async function buildGo(): Promise<string | undefined> {
  if (!(await goAvailable())) return undefined;
  await mkdir(path.dirname(GO_BIN), { recursive: true });
  const temporary = `${GO_BIN}.${process.pid}.tmp`;
  await runToEnd("go", ["build", "-o", temporary, "./hint_latency"], 180_000, {
    GOCACHE: path.join(ROOT, ".build", "go", "cache"),
    GOPATH: path.join(ROOT, ".build", "go", "path"),
    GOFLAGS: "-mod=mod",
    GOPROXY: "off",
    GO111MODULE: "on",
    GOWORK: "off",
    GOTOOLCHAIN: "local",
    GOTELEMETRY: "off",
    CGO_ENABLED: "0",
  }, GO_DIR);
  await rename(temporary, GO_BIN);
  return GO_BIN;
}

interface Pair {
  pair: LatencyCase["pair"];
  runtime: LatencyCase["runtime"];
  server: ServerChild;
  client: Prober;
  rounds: number[][];
  clockSkewUs: number;
}

/**
 * Runs the latency section.
 *
 * @param options Runtimes, rounds and requests per round.
 * @returns One entry per pair.
 *
 * @example Quick run
 * ```ts
 * const cases = await runLatencyBench({ runtimes: ["deno"], rounds: 3, requestsPerRound: 700 });
 * ```
 */
export async function runLatencyBench(options: LatencyBenchOptions): Promise<LatencyCase[]> {
  const pairs: Pair[] = [];
  try {
    for (const runtime of options.runtimes) {
      for (const kind of ["ours", "node-http"] as const) {
        progress(`latency: starting the ${kind} pair on ${runtime}`);
        const server = await startFixture(runtime, kind);
        const [command, args] = runtimeCommand(runtime, DRIVER, [
          kind,
          `http://127.0.0.1:${server.port}/latency`,
        ]);
        const client = new Prober(command, args);
        pairs.push({ pair: kind, runtime, server, client, rounds: [], clockSkewUs: NaN });
      }
    }
    const goBinary = await buildGo();
    if (goBinary !== undefined) {
      progress("latency: starting the Go pair");
      const server = await startServerChild(goBinary, ["server"], "go hint_latency server");
      const client = new Prober(goBinary, ["client", `http://127.0.0.1:${server.port}/latency`]);
      pairs.push({ pair: "go", runtime: "go", server, client, rounds: [], clockSkewUs: 0 });
    }
    for (const pair of pairs) {
      if (pair.runtime !== "go") {
        const clock = await pair.client.ask<{ clockSkewUs: number }>("clock", 30_000);
        pair.clockSkewUs = clock.clockSkewUs;
      }
      // Warm-up: the JIT and the keep-alive connection.
      await pair.client.ask("run 2000", 120_000);
    }
    for (let round = 0; round < options.rounds; round++) {
      progress(`latency: round ${round + 1}/${options.rounds}`);
      for (const pair of pairs) {
        const answer = await pair.client.ask<{ samples: number[] }>(
          `run ${options.requestsPerRound}`,
          120_000,
        );
        pair.rounds.push(answer.samples);
      }
    }
  } finally {
    for (const pair of pairs) {
      await pair.client.close();
      await pair.server.stop();
    }
  }
  return pairs.map((pair) => {
    const perRound = pair.rounds.map((samples) =>
      samples.filter((v) => Number.isFinite(v)).sort((a, b) => a - b)
    );
    const all = perRound.flat().sort((a, b) => a - b);
    const total = pair.rounds.reduce((sum, samples) => sum + samples.length, 0);
    return {
      pair: pair.pair,
      runtime: pair.runtime,
      p50Us: spread(perRound.map((s) => percentile(s, 50))),
      p99Us: spread(perRound.map((s) => percentile(s, 99))),
      pooledP50Us: percentile(all, 50),
      pooledP99Us: percentile(all, 99),
      samples: all.length,
      missing: total - all.length,
      clockSkewUs: pair.clockSkewUs,
    };
  });
}
