/**
 * Shared pieces of the benchmark suite (`scripts/bench.ts`): runtime command
 * lines, child processes that announce a port, the operating system's CPU and
 * memory accounting of a child, `hey`, and statistics.
 *
 * Runs under Node (the orchestrator); the measured code runs in children.
 *
 * @module
 */

import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import process from "node:process";
import { fileURLToPath } from "node:url";

/** The repository root. */
export const ROOT: string = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");

/**
 * A runtime the suite measures: `node` is the Node that runs the suite (the
 * orchestrator's own), `node24` and `node26` the npm-installed ones.
 */
export type RuntimeName = "deno" | "bun" | "node" | "node24" | "node26";

/** The runtimes of the sections that predate the Hono rows, in report order. */
export const RUNTIMES: readonly RuntimeName[] = ["deno", "bun", "node"];

/** Every runtime `--runtime` accepts, in report order. */
export const ALL_RUNTIMES: readonly RuntimeName[] = ["deno", "bun", "node", "node24", "node26"];

/**
 * Whether a runtime is a Node.
 *
 * @param runtime Which runtime.
 * @returns `true` for `node`, `node24` and `node26`.
 *
 * @example
 * ```ts
 * isNode("node24"); // true
 * ```
 */
export function isNode(runtime: RuntimeName): boolean {
  return runtime.startsWith("node");
}

/**
 * The executable of a runtime: the npm-installed Deno, Bun, Node 24 and Node
 * 26 (real ELF binaries, so the child's pid is the runtime itself), and this
 * Node for `node`.
 *
 * @param runtime Which runtime.
 * @returns An absolute path.
 *
 * @example Find Bun
 * ```ts
 * console.log(runtimeBinary("bun"));
 * ```
 */
export function runtimeBinary(runtime: RuntimeName): string {
  if (runtime === "node") return process.execPath;
  if (isNode(runtime)) return path.join(ROOT, "node_modules", runtime, "bin", "node");
  return path.join(ROOT, "node_modules", ".bin", runtime);
}

/**
 * The command line that runs a TypeScript file on a runtime in one process.
 *
 * @param runtime Which runtime.
 * @param file The script, absolute or relative to the repository root.
 * @param args Arguments for the script.
 * @param runtimeFlags Flags for the runtime itself (e.g. a profiler).
 * @returns The executable and its arguments.
 *
 * @example Run a fixture on Deno
 * ```ts
 * const [command, args] = runtimeCommand("deno", "scripts/bench/fixtures/server.ts", ["ours"]);
 * ```
 */
export function runtimeCommand(
  runtime: RuntimeName,
  file: string,
  args: readonly string[] = [],
  runtimeFlags: readonly string[] = [],
): [string, string[]] {
  const binary = runtimeBinary(runtime);
  if (runtime === "deno") return [binary, ["run", "-A", ...runtimeFlags, file, ...args]];
  if (runtime === "bun") return [binary, [...runtimeFlags, file, ...args]];
  return [binary, [...runtimeFlags, "--import", "tsx", file, ...args]];
}

/**
 * The version string of a runtime, e.g. `deno 2.9.6`.
 *
 * @param runtime Which runtime.
 * @returns Name and version.
 *
 * @example Print Bun's version
 * ```ts
 * console.log(runtimeVersion("bun"));
 * ```
 */
export function runtimeVersion(runtime: RuntimeName): string {
  if (runtime === "node") return `node ${process.version.slice(1)}`;
  const out = execFileSync(runtimeBinary(runtime), ["--version"], { encoding: "utf8" });
  if (runtime === "deno") return out.split("\n")[0]!.trim();
  return isNode(runtime) ? `node ${out.trim().replace(/^v/, "")}` : `bun ${out.trim()}`;
}

/** A child process that announced its port (and pid). */
export interface ServerChild {
  readonly port: number;
  readonly pid: number;
  readonly child: ChildProcess;
  /** Closes stdin (the fixture exits), SIGKILL after 3 s; waits for the exit. */
  stop(): Promise<void>;
  /** Why the child is gone (exit code or signal, its last stderr), or `undefined` while it runs. */
  exitReport(): string | undefined;
}

/**
 * Starts a server child and waits for its `listening PORT` line.
 *
 * @param command The executable.
 * @param args Its arguments.
 * @param label For error messages.
 * @param env Extra environment variables.
 * @returns The running child.
 *
 * @example Start our server on Bun
 * ```ts
 * const server = await startServerChild(...runtimeCommand("bun", FIXTURE, ["ours"]), "ours");
 * await server.stop();
 * ```
 */
export function startServerChild(
  command: string,
  args: readonly string[],
  label: string,
  env: Record<string, string> = {},
): Promise<ServerChild> {
  const child = spawn(command, [...args], {
    cwd: ROOT,
    stdio: ["pipe", "pipe", "pipe"],
    env: { ...process.env, ...env },
  });
  child.stdin!.on("error", () => {});
  let stderr = "";
  child.stderr!.setEncoding("utf8");
  child.stderr!.on("data", (chunk: string) => {
    stderr = (stderr + chunk).slice(-4000);
  });
  const exited = new Promise<void>((resolve) => {
    child.once("close", () => resolve());
    child.once("error", () => resolve());
  });
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.stdin!.end();
      const timer = setTimeout(() => child.kill("SIGKILL"), 3_000);
      await exited;
      clearTimeout(timer);
    }
  };
  const exitReport = () =>
    child.exitCode === null && child.signalCode === null
      ? undefined
      : `${label}: exited (${child.signalCode ?? `code ${child.exitCode}`})\n${stderr}`;
  return new Promise((resolve, reject) => {
    let out = "";
    let pid = child.pid ?? 0;
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`${label}: no "listening" line within 30 s\n${stderr}`));
    }, 30_000);
    child.stdout!.setEncoding("utf8");
    child.stdout!.on("data", (chunk: string) => {
      out += chunk;
      const pidMatch = /^pid (\d+)$/m.exec(out);
      if (pidMatch) pid = Number(pidMatch[1]);
      const match = /^listening (?:http:\/\/127\.0\.0\.1:)?(\d+)$/m.exec(out);
      if (match) {
        clearTimeout(timer);
        resolve({ port: Number(match[1]), pid, child, stop, exitReport });
      }
    });
    void exited.then(() => {
      clearTimeout(timer);
      reject(new Error(`${label}: exited (${child.exitCode}) before listening\n${stderr}`));
    });
  });
}

/**
 * Runs a command to completion and returns its stdout (stderr is passed on).
 *
 * @param command The executable.
 * @param args Its arguments.
 * @param timeoutMs Kill it (and reject) after this long.
 * @param env Extra environment variables.
 * @param cwd The working directory; the repository root by default.
 * @returns Everything it printed on stdout.
 *
 * @example Run a driver
 * ```ts
 * const json = await runToEnd("go", ["version"], 10_000);
 * ```
 */
export function runToEnd(
  command: string,
  args: readonly string[],
  timeoutMs: number,
  env: Record<string, string | undefined> = {},
  cwd: string = ROOT,
): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, [...args], {
      cwd,
      stdio: ["ignore", "pipe", "pipe"],
      env: { ...process.env, ...env },
    });
    let out = "";
    let err = "";
    child.stdout.setEncoding("utf8");
    child.stderr.setEncoding("utf8");
    child.stdout.on("data", (chunk: string) => (out += chunk));
    child.stderr.on("data", (chunk: string) => (err = (err + chunk).slice(-8000)));
    const timer = setTimeout(() => child.kill("SIGKILL"), timeoutMs);
    child.once("error", (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.once("close", (code, signal) => {
      clearTimeout(timer);
      if (code === 0) resolve(out);
      else {
        reject(
          new Error(
            `${path.basename(command)} ${args.join(" ")}: ${signal ?? `exit ${code}`}\n${err}`,
          ),
        );
      }
    });
  });
}

/** Clock ticks per second of `/proc/PID/stat` (USER_HZ). */
export const CLOCK_TICKS: number = (() => {
  try {
    return Number(execFileSync("getconf", ["CLK_TCK"], { encoding: "utf8" }).trim()) || 100;
  } catch {
    return 100;
  }
})();

/** CPU time of a process from the operating system, in microseconds. */
export interface CpuSample {
  /** utime + stime of `/proc/PID/stat`, converted from clock ticks. */
  readonly statUs: number;
  /** utime alone (user space: JavaScript, the runtime). */
  readonly userUs: number;
  /** stime alone (the kernel: system calls, the loopback TCP path). */
  readonly systemUs: number;
  /** The sum of the run times in `/proc/PID/task/*\/schedstat` (nanosecond accounting). */
  readonly schedUs: number;
}

/**
 * Reads a process's CPU time as the kernel accounts it.
 *
 * @param pid The process.
 * @returns Both counters, in microseconds.
 *
 * @example CPU time of this process
 * ```ts
 * console.log(cpuOf(process.pid));
 * ```
 */
export function cpuOf(pid: number): CpuSample {
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  // The command name may hold spaces; the fields after ")" are fixed.
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  const userTicks = Number(fields[11]);
  const systemTicks = Number(fields[12]);
  const ticks = userTicks + systemTicks;
  let schedNs = 0;
  for (const task of readdirSync(`/proc/${pid}/task`)) {
    try {
      schedNs += Number(readFileSync(`/proc/${pid}/task/${task}/schedstat`, "utf8").split(" ")[0]);
    } catch {
      // The thread ended between the listing and the read.
    }
  }
  return {
    statUs: (ticks / CLOCK_TICKS) * 1e6,
    userUs: (userTicks / CLOCK_TICKS) * 1e6,
    systemUs: (systemTicks / CLOCK_TICKS) * 1e6,
    schedUs: schedNs / 1000,
  };
}

/**
 * Resident memory of a process (`VmRSS` of `/proc/PID/status`), in KiB.
 *
 * @param pid The process.
 * @returns Kibibytes.
 *
 * @example This process's RSS
 * ```ts
 * console.log(rssKiB(process.pid));
 * ```
 */
export function rssKiB(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  return Number(/VmRSS:\s+(\d+) kB/.exec(status)?.[1] ?? NaN);
}

/** What `hey` reported for one run. */
export interface HeyResult {
  readonly requests: number;
  readonly seconds: number;
  readonly rps: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly errors: number;
}

/** The path of `hey`, or `undefined` when it is not installed. */
export const HEY: string | undefined = ["/usr/bin/hey", "/usr/local/bin/hey"].find((p) =>
  existsSync(p)
);

/**
 * Runs `hey` and parses its summary.
 *
 * @param args `hey`'s arguments (e.g. `-z 1s -c 64 URL`).
 * @param timeoutMs The hard limit.
 * @returns Requests, rate, latency percentiles and failed requests.
 *
 * @example Load a server for a second
 * ```ts
 * const result = await runHey(["-z", "1s", "-c", "64", "http://127.0.0.1:8080/plain"], 30_000);
 * ```
 */
export async function runHey(args: readonly string[], timeoutMs: number): Promise<HeyResult> {
  if (HEY === undefined) throw new Error("hey is not installed (apt-get install hey)");
  const out = await runToEnd(HEY, args, timeoutMs);
  let ok = 0;
  let errors = 0;
  for (const match of out.matchAll(/\[(\d{3})\]\s+(\d+) responses/g)) {
    if (match[1]!.startsWith("2")) ok += Number(match[2]);
    else errors += Number(match[2]);
  }
  const errorSection = /Error distribution:\n([\s\S]*)$/.exec(out)?.[1] ?? "";
  for (const match of errorSection.matchAll(/\[(\d+)\]/g)) errors += Number(match[1]);
  return {
    requests: ok,
    seconds: Number(/Total:\s+([\d.]+) secs/.exec(out)?.[1] ?? NaN),
    rps: Number(/Requests\/sec:\s+([\d.]+)/.exec(out)?.[1] ?? NaN),
    p50Ms: Number(/50%+ in ([\d.]+) secs/.exec(out)?.[1] ?? NaN) * 1000,
    p99Ms: Number(/99%+ in ([\d.]+) secs/.exec(out)?.[1] ?? NaN) * 1000,
    errors,
  };
}

/** A median with the range of the rounds. */
export interface Spread {
  readonly median: number;
  readonly min: number;
  readonly max: number;
  readonly n: number;
}

/**
 * The median and range of some samples (NaN samples are ignored).
 *
 * @param samples One value per round.
 * @returns Median, minimum, maximum and count.
 *
 * @example Three rounds
 * ```ts
 * spread([3, 1, 2]); // { median: 2, min: 1, max: 3, n: 3 }
 * ```
 */
export function spread(samples: readonly number[]): Spread {
  const sorted = samples.filter((v) => Number.isFinite(v)).sort((a, b) => a - b);
  const n = sorted.length;
  if (n === 0) return { median: NaN, min: NaN, max: NaN, n: 0 };
  const median = n % 2 === 1 ? sorted[(n - 1) / 2]! : (sorted[n / 2 - 1]! + sorted[n / 2]!) / 2;
  return { median, min: sorted[0]!, max: sorted[n - 1]!, n };
}

/**
 * A percentile of some samples (nearest rank).
 *
 * @param sorted Samples sorted ascending.
 * @param p The percentile, 0-100.
 * @returns The sample at that rank.
 *
 * @example The p99
 * ```ts
 * percentile([1, 2, 3, 4], 99); // 4
 * ```
 */
export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return NaN;
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1]!;
}

/**
 * Waits a little, e.g. for a child to settle.
 *
 * @param ms Milliseconds.
 * @returns A promise that resolves after `ms`.
 *
 * @example Wait 100 ms
 * ```ts
 * await sleep(100);
 * ```
 */
export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/**
 * Prints a progress line on stderr (stdout stays for the summary).
 *
 * @param message The line.
 *
 * @example Report a step
 * ```ts
 * progress("server: deno round 1");
 * ```
 */
export function progress(message: string): void {
  process.stderr.write(`[bench ${new Date().toISOString().slice(11, 19)}] ${message}\n`);
}
