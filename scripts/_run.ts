/**
 * Runs one child command with the terminal attached and a hard time limit,
 * for the test runner and the build scripts.
 *
 * @module
 */

import { spawn } from "node:child_process";

/** How a command ended. */
export interface RunOutcome {
  /** Exit code, or `null` when a signal ended it. */
  readonly code: number | null;
  /** The signal that ended it, if any. */
  readonly signal: string | null;
  /** Whether the time limit ran out (the whole process group was then killed). */
  readonly timedOut: boolean;
  /** Set when the command could not start at all (e.g. not installed). */
  readonly startError: string | undefined;
  /** Wall-clock duration in milliseconds. */
  readonly ms: number;
}

/** Options for {@linkcode runCommand}. */
export interface RunOptions {
  /** Working directory. */
  readonly cwd: string;
  /** Milliseconds before the process group is sent SIGTERM (then SIGKILL 5 s later). */
  readonly timeoutMs: number;
  /** Extra environment variables. */
  readonly env?: Readonly<Record<string, string>>;
  /** `"inherit"` shows output live; `"pipe"` collects it into `output`. */
  readonly output?: "inherit" | "pipe";
}

/** A finished command plus the output it printed when `output: "pipe"`. */
export interface RunResult extends RunOutcome {
  /** stdout and stderr interleaved, when piped; `""` otherwise. */
  readonly output: string;
}

/**
 * Runs `command args...` in its own process group so that a timeout kills
 * every descendant (test runners spawn workers and servers).
 *
 * @param command The executable.
 * @param args Its arguments.
 * @param options Directory, time limit, environment, output mode.
 * @returns How it ended; never rejects.
 *
 * @example Run a command with a limit
 * ```ts
 * const result = await runCommand("node", ["--version"], { cwd: ".", timeoutMs: 10_000 });
 * console.log(result.code); // 0
 * ```
 */
export function runCommand(
  command: string,
  args: readonly string[],
  options: RunOptions,
): Promise<RunResult> {
  const started = performance.now();
  return new Promise((resolve) => {
    const pipe = options.output === "pipe";
    const child = spawn(command, args, {
      cwd: options.cwd,
      env: { ...process.env, ...options.env },
      stdio: pipe ? ["ignore", "pipe", "pipe"] : ["ignore", "inherit", "inherit"],
      detached: true, // own process group, see killGroup
    });
    const chunks: string[] = [];
    child.stdout?.setEncoding("utf8").on("data", (text: string) => chunks.push(text));
    child.stderr?.setEncoding("utf8").on("data", (text: string) => chunks.push(text));
    let timedOut = false;
    let startError: string | undefined;
    const killGroup = (signal: NodeJS.Signals): void => {
      if (child.pid === undefined) return;
      try {
        process.kill(-child.pid, signal);
      } catch {
        // Already gone.
      }
    };
    let hardKill: ReturnType<typeof setTimeout> | undefined;
    const limit = setTimeout(() => {
      timedOut = true;
      killGroup("SIGTERM");
      hardKill = setTimeout(() => killGroup("SIGKILL"), 5_000);
    }, options.timeoutMs);
    // Ctrl-C reaches our process group only, not the detached child's.
    const onInterrupt = (): void => {
      killGroup("SIGKILL");
      process.exit(130);
    };
    process.once("SIGINT", onInterrupt);
    child.once("error", (error) => {
      startError = error.message;
    });
    child.once("close", (code, signal) => {
      clearTimeout(limit);
      if (hardKill !== undefined) clearTimeout(hardKill);
      process.removeListener("SIGINT", onInterrupt);
      // Workers left behind by a crashed runner must not outlive the step.
      killGroup("SIGKILL");
      resolve({
        code,
        signal,
        timedOut,
        startError,
        ms: performance.now() - started,
        output: chunks.join(""),
      });
    });
  });
}
