/**
 * Test support: run a TypeScript program of this repository as a child
 * process on the same runtime as the test (Deno, Bun, or Node with tsx), and
 * watch its output line by line with bounded waits.
 *
 * @module
 */

import { type ChildProcess, spawn } from "node:child_process";
import path from "node:path";
import process from "node:process";
import { fileURLToPath } from "node:url";

/** The repository root. */
export const REPO_ROOT: string = fileURLToPath(new URL("../../", import.meta.url));

/** The runtime running this test: `"deno"`, `"bun"` or `"node"`. */
export const CURRENT_RUNTIME: "deno" | "bun" | "node" = "Deno" in globalThis
  ? "deno"
  : "Bun" in globalThis
  ? "bun"
  : "node";

/**
 * The command line that runs a TypeScript file on the current runtime.
 *
 * @param file A path relative to the repository root.
 * @param args Arguments for the program.
 * @returns The executable and its arguments.
 *
 * @example Running the CLI's help
 * ```ts
 * import { tsCommand } from "./run_ts.ts";
 * const [command, args] = tsCommand("src/cli/main.ts", ["--help"]);
 * console.assert(args.includes("--help") && command.length > 0);
 * ```
 */
export function tsCommand(file: string, args: readonly string[]): [string, string[]] {
  const absolute = path.join(REPO_ROOT, file);
  switch (CURRENT_RUNTIME) {
    case "deno":
      return [process.execPath, ["run", "-A", absolute, ...args]];
    case "bun":
      return [process.execPath, [absolute, ...args]];
    case "node":
      return [process.execPath, ["--import", "tsx", absolute, ...args]];
  }
}

/** A running program with its output collected. */
export interface RunningProgram {
  /** The stdout lines seen so far, in order (without newlines). */
  readonly lines: string[];
  /** Everything written to stderr so far. */
  stderr(): string;
  /** Resolves with the first stdout line matching `pattern`; rejects after `timeoutMs` or at exit. */
  waitForLine(pattern: RegExp, timeoutMs: number): Promise<string>;
  /** Resolves with the exit code (`null` when killed by a signal); rejects after `timeoutMs`. */
  exited(timeoutMs: number): Promise<number | null>;
  /** Sends SIGTERM, then SIGKILL after a grace period; resolves once exited. */
  stop(): Promise<void>;
}

/** Options of {@linkcode startProgram}. */
export interface StartOptions {
  /** Extra environment variables. */
  readonly env?: Record<string, string>;
  /** Bytes to write to stdin, which is then closed; stdin is closed at once otherwise. */
  readonly stdin?: string;
}

/**
 * Starts a TypeScript file of the repository on the current runtime.
 *
 * @param file A path relative to the repository root.
 * @param args Arguments for the program.
 * @param options Environment and stdin.
 * @returns The running program; always `await program.stop()` in `finally`.
 *
 * @example Waiting for a line
 * ```ts ignore
 * import { startProgram } from "./run_ts.ts";
 * const program = startProgram("examples/sidecar/daemon.ts", ["--listen=127.0.0.1:0"]);
 * try {
 *   await program.waitForLine(/^listening /, 20_000);
 * } finally {
 *   await program.stop();
 * }
 * ```
 */
export function startProgram(
  file: string,
  args: readonly string[],
  options: StartOptions = {},
): RunningProgram {
  const [command, commandArgs] = tsCommand(file, args);
  const child: ChildProcess = spawn(command, commandArgs, {
    cwd: REPO_ROOT,
    env: { ...process.env, NO_COLOR: "1", ...options.env },
    stdio: ["pipe", "pipe", "pipe"],
  });
  child.stdin?.on("error", () => {});
  child.stdin?.end(options.stdin ?? "");
  const lines: string[] = [];
  let partial = "";
  let stderr = "";
  let exitCode: number | null | undefined;
  const listeners = new Set<() => void>();
  const notify = () => {
    for (const listener of [...listeners]) listener();
  };
  child.stdout?.setEncoding("utf8");
  child.stderr?.setEncoding("utf8");
  child.stdout?.on("data", (chunk: string) => {
    partial += chunk;
    const parts = partial.split("\n");
    partial = parts.pop() ?? "";
    lines.push(...parts);
    notify();
  });
  child.stderr?.on("data", (chunk: string) => {
    stderr += chunk;
  });
  const closed = new Promise<void>((resolve) => {
    child.once("close", (code) => {
      if (partial !== "") lines.push(partial);
      partial = "";
      exitCode = code;
      notify();
      resolve();
    });
    child.once("error", (error) => {
      stderr += `spawn failed: ${error.message}\n`;
      exitCode = null;
      notify();
      resolve();
    });
  });
  const describe = () => `stdout:\n${lines.join("\n")}\nstderr:\n${stderr}`;

  function waitFor<T>(check: () => T | undefined, what: string, timeoutMs: number): Promise<T> {
    return new Promise((resolve, reject) => {
      const attempt = () => {
        const value = check();
        if (value !== undefined) {
          done();
          resolve(value);
        } else if (exitCode !== undefined) {
          done();
          reject(new Error(`${file} exited (${exitCode}) before ${what}\n${describe()}`));
        }
      };
      const timer = setTimeout(() => {
        done();
        reject(new Error(`${file}: no ${what} within ${timeoutMs} ms\n${describe()}`));
      }, timeoutMs);
      const done = () => {
        clearTimeout(timer);
        listeners.delete(attempt);
      };
      listeners.add(attempt);
      attempt();
    });
  }

  return {
    lines,
    stderr: () => stderr,
    waitForLine: (pattern, timeoutMs) =>
      waitFor(
        () => lines.find((line) => pattern.test(line)),
        `line matching ${pattern}`,
        timeoutMs,
      ),
    exited: (timeoutMs) =>
      waitFor(() => (exitCode === undefined ? undefined : { exitCode }), "exit", timeoutMs)
        .catch((error) => {
          // waitFor rejects "exited before" when the exit is the thing awaited.
          if (exitCode !== undefined) return { exitCode };
          throw error;
        })
        .then((result) => result.exitCode),
    async stop() {
      if (exitCode !== undefined) return;
      // process.kill rather than child.kill: after child.kill(), Deno's
      // node:child_process reports the exit as (null, "SIGTERM") even when the
      // program handled the signal and exited with 0.
      try {
        if (child.pid !== undefined) process.kill(child.pid, "SIGTERM");
      } catch {
        // Already gone; "close" follows.
      }
      const killer = setTimeout(() => child.kill("SIGKILL"), 3_000);
      await closed;
      clearTimeout(killer);
    },
  };
}

/**
 * Runs a TypeScript file of the repository to completion.
 *
 * @param file A path relative to the repository root.
 * @param args Arguments for the program.
 * @param options Environment, stdin, and the time limit (default 30 000 ms).
 * @returns The exit code and the output.
 *
 * @example Running the CLI's help
 * ```ts ignore
 * import { runProgram } from "./run_ts.ts";
 * const { code, stdout } = await runProgram("src/cli/main.ts", ["--help"]);
 * ```
 */
export async function runProgram(
  file: string,
  args: readonly string[],
  options: StartOptions & { readonly timeoutMs?: number } = {},
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const program = startProgram(file, args, options);
  try {
    const code = await program.exited(options.timeoutMs ?? 30_000);
    return { code, stdout: program.lines.join("\n"), stderr: program.stderr() };
  } finally {
    await program.stop();
  }
}
