/**
 * Test support: start `hostile_server_child.ts` as a child process on the
 * current runtime (with garbage collection exposed), read its port, and ask
 * it for its memory. Every wait is bounded.
 *
 * @module
 */

import { type ChildProcess, spawn } from "node:child_process";
import path from "node:path";
import process from "node:process";
import { CURRENT_RUNTIME, REPO_ROOT } from "./run_ts.ts";
import { rawRequest } from "./server_raw.ts";

/** The memory of the child server, in bytes. */
export interface ChildMemory {
  /** Resident set size. */
  readonly rss: number;
  /** V8 / JSC heap in use. */
  readonly heapUsed: number;
  /** Whether a garbage collection ran first (else the figures are noisier). */
  readonly gc: boolean;
}

/** Counters of the child server. */
export interface ChildStats {
  /** Bytes produced by `/stream` bodies. */
  readonly streamed: number;
  /** Distinct client sockets (address and port) seen by the handler. */
  readonly peers: number;
  /** Requests handled (the stats request included). */
  readonly requests: number;
}

/** A running child server. */
export interface ChildServer {
  /** Its port on 127.0.0.1. */
  readonly port: number;
  /** The child process. */
  readonly child: ChildProcess;
  /** Asks the child for its memory (after a GC when possible). */
  memory(): Promise<ChildMemory>;
  /** Asks the child how many `/stream` body bytes it has produced; rejects after `timeoutMs`. */
  streamed(timeoutMs?: number): Promise<number>;
  /** The child's counters: bytes streamed, distinct client sockets, requests served. */
  stats(timeoutMs?: number): Promise<ChildStats>;
  /** Kills it at once (SIGKILL), as a crash would. */
  kill(): void;
  /** Stops it (SIGTERM, then SIGKILL) and waits for the exit. */
  stop(): Promise<void>;
}

function command(file: string): [string, string[]] {
  const absolute = path.join(REPO_ROOT, file);
  switch (CURRENT_RUNTIME) {
    case "deno":
      return [process.execPath, ["run", "-A", "--v8-flags=--expose-gc", absolute]];
    case "bun":
      return [process.execPath, [absolute]];
    case "node":
      return [process.execPath, ["--expose-gc", "--import", "tsx", absolute]];
  }
}

/**
 * Starts the child server.
 *
 * @param env Extra environment (e.g. `EH_HEADERS_TIMEOUT`).
 * @param timeoutMs How long to wait for `listening PORT`.
 * @returns The running child; always `await child.stop()` in `finally`.
 *
 * @example
 * ```ts ignore
 * const server = await startChildServer();
 * try {
 *   console.log((await server.memory()).rss);
 * } finally {
 *   await server.stop();
 * }
 * ```
 */
export function startChildServer(
  env: Record<string, string> = {},
  timeoutMs = 30_000,
): Promise<ChildServer> {
  const [executable, args] = command("tests/_support/hostile_server_child.ts");
  const child = spawn(executable, args, {
    cwd: REPO_ROOT,
    env: { ...process.env, NO_COLOR: "1", ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stdout = "";
  let stderr = "";
  let exited = false;
  const exit = new Promise<void>((resolve) => {
    child.once("close", () => {
      exited = true;
      resolve();
    });
    child.once("error", () => {
      exited = true;
      resolve();
    });
  });
  child.stderr?.setEncoding("utf8");
  child.stderr?.on("data", (chunk: string) => (stderr += chunk));
  const stop = async () => {
    if (exited) return;
    try {
      if (child.pid !== undefined) process.kill(child.pid, "SIGTERM");
    } catch {
      // already gone
    }
    const killer = setTimeout(() => child.kill("SIGKILL"), 3_000);
    await exit;
    clearTimeout(killer);
  };
  return new Promise<ChildServer>((resolve, reject) => {
    const timer = setTimeout(() => {
      void stop();
      reject(new Error(`child server did not start within ${timeoutMs} ms\n${stderr}`));
    }, timeoutMs);
    void exit.then(() => {
      clearTimeout(timer);
      reject(new Error(`child server exited before listening\n${stdout}\n${stderr}`));
    });
    child.stdout?.setEncoding("utf8");
    child.stdout?.on("data", (chunk: string) => {
      stdout += chunk;
      const match = /listening (\d+)/.exec(stdout);
      if (match === null) return;
      clearTimeout(timer);
      const port = Number(match[1]);
      const stats = async (timeoutMs = 5_000): Promise<ChildStats> => {
        const { text, timedOut } = await rawRequest(
          port,
          "GET /__stats HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
          { timeoutMs },
        );
        if (timedOut) throw new Error(`the child server did not answer within ${timeoutMs} ms`);
        return JSON.parse(text.slice(text.indexOf("\r\n\r\n") + 4)) as ChildStats;
      };
      resolve({
        port,
        child,
        async memory() {
          const { text } = await rawRequest(
            port,
            "GET /__memory HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
            { timeoutMs: 10_000 },
          );
          const json = text.slice(text.indexOf("\r\n\r\n") + 4);
          return JSON.parse(json) as ChildMemory;
        },
        stats,
        async streamed(timeoutMs = 5_000) {
          return (await stats(timeoutMs)).streamed;
        },
        kill() {
          child.kill("SIGKILL");
        },
        stop,
      });
    });
  });
}
