/**
 * For `scripts/attacks.ts`: start `scripts/attacks_server.ts` on a given
 * runtime, read its memory, and make sure no child outlives the script.
 *
 * @module
 */

import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import net from "node:net";
import { join } from "node:path";
import process from "node:process";

/** A runtime the server can run on. */
export type RuntimeName = "deno" | "bun" | "node24" | "node26";

/** Which server the child runs (see `attacks_server.ts`). */
export type ServerKind = "serve" | "serve-node-http" | "node-http";

const RUNTIME_COMMANDS: Record<RuntimeName, { executable: string; args: string[] }> = {
  deno: { executable: "node_modules/.bin/deno", args: ["run", "-A", "--v8-flags=--expose-gc"] },
  bun: { executable: "node_modules/.bin/bun", args: [] },
  node24: { executable: "node_modules/node24/bin/node", args: ["--expose-gc", "--import", "tsx"] },
  node26: { executable: "node_modules/node26/bin/node", args: ["--expose-gc", "--import", "tsx"] },
};

/**
 * The runtime's version string (`2.9.6`, `1.4.5`, `24.21.0`).
 *
 * @param root The repository root.
 * @param runtime Which runtime.
 * @returns The version, or `unavailable (reason)`.
 */
export function runtimeVersion(root: string, runtime: RuntimeName): string {
  const { executable } = RUNTIME_COMMANDS[runtime];
  try {
    const output = execFileSync(join(root, executable), ["--version"], {
      encoding: "utf8",
      timeout: 15_000,
    });
    return /(\d+\.\d+\.\d+)/.exec(output)?.[1] ?? output.trim().split("\n")[0] ?? "?";
  } catch (error) {
    return `unavailable (${error instanceof Error ? error.message.split("\n")[0] : error})`;
  }
}

const live = new Set<ChildProcess>();

function killAll(): void {
  for (const child of live) {
    try {
      child.kill("SIGKILL");
    } catch {
      // already gone
    }
  }
}

// Every child dies with the script, whatever ends it.
process.on("exit", killAll);
for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.on(signal, () => {
    killAll();
    process.exit(130);
  });
}

/** A running server under attack. */
export interface AttackedServer {
  /** Its port on 127.0.0.1. */
  readonly port: number;
  /** The process id it reported (the one whose memory is read). */
  readonly pid: number;
  /** The exit code or signal if it has exited, else `undefined`. */
  exited(): string | undefined;
  /** What it wrote to stderr (the last 2 000 characters). */
  stderr(): string;
  /** SIGTERM, SIGKILL 3 s later; resolves once it has exited (at most ~5 s). */
  stop(): Promise<void>;
}

/**
 * Starts the attacked server and waits (at most `timeoutMs`) for its port.
 *
 * @param root The repository root.
 * @param runtime The runtime to run it on.
 * @param kind Which server.
 * @param slowBytes The size of its `/slow` body.
 * @param timeoutMs How long to wait for `listening`.
 * @returns The running server; call `stop()` in `finally`.
 */
export function startAttackedServer(
  root: string,
  runtime: RuntimeName,
  kind: ServerKind,
  slowBytes: number,
  timeoutMs = 30_000,
): Promise<AttackedServer> {
  const { executable, args } = RUNTIME_COMMANDS[runtime];
  const child = spawn(join(root, executable), [
    ...args,
    join(root, "scripts/attacks_server.ts"),
    `--server=${kind}`,
    `--slow-bytes=${slowBytes}`,
  ], { cwd: root, env: { ...process.env, NO_COLOR: "1" }, stdio: ["ignore", "pipe", "pipe"] });
  live.add(child);
  let stdout = "";
  let stderr = "";
  let exit: string | undefined;
  const closed = new Promise<void>((resolve) => {
    child.once("close", (code, signal) => {
      exit = code === null ? String(signal) : `exit ${code}`;
      live.delete(child);
      resolve();
    });
    child.once("error", (error) => {
      exit = `spawn failed: ${error.message}`;
      live.delete(child);
      resolve();
    });
  });
  child.stderr.setEncoding("utf8");
  child.stderr.on("data", (chunk: string) => (stderr = (stderr + chunk).slice(-2_000)));
  const stop = async () => {
    if (exit !== undefined) return;
    child.kill("SIGTERM");
    const killer = setTimeout(() => child.kill("SIGKILL"), 3_000);
    await Promise.race([closed, new Promise((resolve) => setTimeout(resolve, 5_000))]);
    clearTimeout(killer);
  };
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      void stop();
      reject(new Error(`${runtime} ${kind}: not listening within ${timeoutMs} ms\n${stderr}`));
    }, timeoutMs);
    void closed.then(() => {
      clearTimeout(timer);
      reject(new Error(`${runtime} ${kind}: exited (${exit}) before listening\n${stderr}`));
    });
    child.stdout.setEncoding("utf8");
    child.stdout.on("data", (chunk: string) => {
      stdout += chunk;
      const match = /listening (\d+) pid (\d+)/.exec(stdout);
      if (match === null) return;
      clearTimeout(timer);
      resolve({
        port: Number(match[1]),
        pid: Number(match[2]),
        exited: () => exit,
        stderr: () => stderr,
        stop,
      });
    });
  });
}

/**
 * The resident set size of a process from `/proc` (Linux), without
 * disturbing it.
 *
 * @param pid The process.
 * @returns Bytes, or `NaN` when unreadable (gone, or not Linux).
 */
export function procRss(pid: number): number {
  try {
    const status = readFileSync(`/proc/${pid}/status`, "utf8");
    const kib = /^VmRSS:\s+(\d+) kB/m.exec(status)?.[1];
    return kib === undefined ? Number.NaN : Number(kib) * 1024;
  } catch {
    return Number.NaN;
  }
}

/** Samples a process's RSS every 100 ms and keeps the highest. */
export class RssSampler {
  #peak = 0;
  #timer: ReturnType<typeof setInterval>;

  constructor(readonly pid: number) {
    this.#sample();
    this.#timer = setInterval(() => this.#sample(), 100);
  }

  #sample(): void {
    const rss = procRss(this.pid);
    if (rss > this.#peak) this.#peak = rss;
  }

  /** Stops sampling; returns the peak in bytes. */
  stop(): number {
    clearInterval(this.#timer);
    this.#sample();
    return this.#peak;
  }
}

/**
 * Asks the server for its RSS after a full garbage collection (`GET
 * /__memory` on a fresh connection).
 *
 * @param port The server's port.
 * @param timeoutMs Time limit.
 * @returns RSS in bytes; rejects on timeout or a bad answer.
 */
export function gcRss(port: number, timeoutMs = 10_000): Promise<number> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, "127.0.0.1");
    let text = "";
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`GET /__memory: no answer within ${timeoutMs} ms`));
    }, timeoutMs);
    socket.setEncoding("latin1");
    socket.on("data", (chunk: string) => (text += chunk));
    socket.on("error", () => {});
    socket.on("close", () => {
      clearTimeout(timer);
      const json = /\{.*\}/s.exec(text.slice(text.indexOf("\r\n\r\n")))?.[0];
      try {
        const rss = (JSON.parse(json ?? "") as { rss?: unknown }).rss;
        if (typeof rss === "number") return resolve(rss);
      } catch {
        // reported below
      }
      reject(new Error(`GET /__memory: bad answer ${JSON.stringify(text.slice(0, 200))}`));
    });
    socket.write("GET /__memory HTTP/1.1\r\nHost: attacks\r\nConnection: close\r\n\r\n");
  });
}

/**
 * The open-file limit of this process (children inherit it).
 *
 * @returns The soft limit, or `Infinity` when unknown or unlimited.
 */
export function openFileLimit(): number {
  try {
    const text = execFileSync("sh", ["-c", "ulimit -n"], { encoding: "utf8", timeout: 5_000 });
    const limit = Number(text.trim());
    return Number.isFinite(limit) ? limit : Number.POSITIVE_INFINITY;
  } catch {
    return Number.POSITIVE_INFINITY;
  }
}
