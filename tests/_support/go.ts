/**
 * Test support for the Go reference peers in `scripts/interop/go/`: build
 * them once per process, start the server, run the client.
 *
 * Go is built with the standard library only (`GOPROXY=off`), with its cache
 * under `.build/go/` in the repository so it works for root in CI and in a
 * fresh clone without a writable `$HOME`. Test files running in parallel may
 * build at the same time: each build writes a private temporary file and
 * renames it into place, which is atomic on one file system.
 *
 * @module
 */

import { type ChildProcess, spawn } from "node:child_process";
import { mkdir, rename, rm } from "node:fs/promises";
import path from "node:path";
import process from "node:process";
import { fileURLToPath } from "node:url";

/** The Go programs under `scripts/interop/go/`. */
export type GoProgram = "seed_server" | "seed_client";

/** A running `seed_server`. */
export interface GoServer {
  /**
   * Base URL without a trailing slash: `http://127.0.0.1:PORT`,
   * `https://127.0.0.1:PORT` with `-cert`/`-key`, or `http://localhost` when
   * listening on a unix socket (then dial {@linkcode GoServer.unixPath}).
   */
  readonly url: string;
  /** The unix socket path, when started with `-unix`. */
  readonly unixPath?: string;
  /** What the server wrote to stderr so far, for failure messages. */
  stderr(): string;
  /** Stops the server (SIGTERM, then SIGKILL) and waits until it has exited. */
  close(): Promise<void>;
}

/** Options for {@linkcode startGoServer}. */
export interface StartGoServerOptions {
  /** Extra environment variables, e.g. `POD_NAME`. */
  env?: Record<string, string>;
  /** How long to wait for the `listening` line; default 15 000 ms. */
  timeoutMs?: number;
}

/** Options for {@linkcode runGoClient}. */
export interface RunGoClientOptions {
  /** Kill the client and reject after this long; default 20 000 ms. */
  timeoutMs?: number;
}

/** The outcome of one `seed_client` run. */
export interface GoClientResult {
  /** The exit code: 0 when a final response arrived, 1 on a request error. */
  code: number;
  /** Everything printed on stdout. */
  stdout: string;
  /** Everything printed on stderr. */
  stderr: string;
}

const REPO_ROOT = fileURLToPath(new URL("../../", import.meta.url));
const GO_SOURCE_DIR = path.join(REPO_ROOT, "scripts", "interop", "go");
const GO_BUILD_DIR = path.join(REPO_ROOT, ".build", "go");
const GO_COMMAND = process.env.GO ?? "go";
const SKIP_REASON = "go not installed (apt-get install golang-go)";
const BUILD_TIMEOUT_MS = 180_000;
const CLOSE_GRACE_MS = 3_000;

let available: Promise<boolean> | undefined;
const builds = new Map<GoProgram, Promise<string>>();

/**
 * Reports whether a working `go` command is on the PATH (or in `$GO`).
 *
 * @returns `true` when `go version` ran and exited with 0; the answer is
 * cached for the process.
 *
 * @example Check for Go
 * ```ts
 * import { goAvailable } from "./go.ts";
 *
 * if (await goAvailable()) console.log("go is installed");
 * ```
 */
export function goAvailable(): Promise<boolean> {
  available ??= runCommand(GO_COMMAND, ["version"], {
    cwd: REPO_ROOT,
    env: process.env,
    timeoutMs: 10_000,
  }).then((result) => result.code === 0, () => false);
  return available;
}

/**
 * Gives the reason to skip a test that needs Go, or `false` when Go is there.
 *
 * @returns `"go not installed (apt-get install golang-go)"` or `false`.
 *
 * @example Skip visibly
 * ```ts
 * import { test } from "node:test";
 * import { goSkipReason } from "./_support/go.ts";
 *
 * const skip = await goSkipReason();
 * test("needs go", { skip }, () => {});
 * ```
 */
export async function goSkipReason(): Promise<string | false> {
  return (await goAvailable()) ? false : SKIP_REASON;
}

/**
 * Builds one Go peer into `.build/go/bin/` once per process.
 *
 * @param name Which program to build.
 * @returns The absolute path of the binary, or `undefined` when Go is not
 * installed. Rejects with the compiler's output when the build fails.
 *
 * @example Build the server
 * ```ts
 * import { buildGoProgram } from "./go.ts";
 *
 * const binary = await buildGoProgram("seed_server");
 * console.log(binary ?? "no go");
 * ```
 */
export async function buildGoProgram(
  name: GoProgram,
): Promise<string | undefined> {
  if (!(await goAvailable())) return undefined;
  let build = builds.get(name);
  if (build === undefined) {
    build = compile(name);
    builds.set(name, build);
  }
  return await build;
}

/**
 * Starts `seed_server` and waits for its `listening` line.
 *
 * The server's stdin stays open as a pipe; the server exits when it closes,
 * so even a crashed test process does not leave it behind.
 *
 * @param args Command-line flags, e.g. `["-delay", "50ms"]` or
 * `["-unix", socketPath]`.
 * @param options Environment and startup timeout.
 * @returns The running server; always `await server.close()` in `finally`.
 *
 * @example Serve the seed route
 * ```ts
 * import { startGoServer } from "./go.ts";
 *
 * const server = await startGoServer(["-delay", "50ms"]);
 * try {
 *   console.log(`${server.url}/seed`);
 * } finally {
 *   await server.close();
 * }
 * ```
 */
export async function startGoServer(
  args: readonly string[],
  options: StartGoServerOptions = {},
): Promise<GoServer> {
  const binary = await requireBinary("seed_server");
  const child = spawn(binary, [...args], {
    cwd: REPO_ROOT,
    env: { ...process.env, ...options.env },
    stdio: ["pipe", "pipe", "pipe"],
  });
  const exited = waitForClose(child);
  // Writing to a dead child's stdin raises EPIPE; exit is reported elsewhere.
  child.stdin?.on("error", () => {});
  let stderr = "";
  child.stderr?.setEncoding("utf8");
  child.stderr?.on("data", (chunk: string) => {
    stderr += chunk;
  });
  const close = () => stopChild(child, exited);

  let announced: string;
  try {
    announced = await readListeningLine(
      child,
      exited,
      options.timeoutMs ?? 15_000,
      () => stderr,
    );
  } catch (error) {
    await close();
    throw error;
  }
  if (announced.startsWith("unix:")) {
    return {
      url: "http://localhost",
      unixPath: announced.slice("unix:".length),
      stderr: () => stderr,
      close,
    };
  }
  return { url: announced, stderr: () => stderr, close };
}

/**
 * Runs `seed_client` to completion.
 *
 * @param args Flags and the URL, e.g. `["-json", url]` or
 * `["-unix", socketPath, "http://localhost/seed"]`.
 * @param options The time limit.
 * @returns Its exit code and output. Rejects when it had to be killed.
 *
 * @example Print the seed's lines
 * ```ts
 * import { runGoClient } from "./go.ts";
 *
 * const { code, stdout } = await runGoClient(["http://127.0.0.1:8080/seed"]);
 * console.log(code, stdout);
 * ```
 */
export async function runGoClient(
  args: readonly string[],
  options: RunGoClientOptions = {},
): Promise<GoClientResult> {
  const binary = await requireBinary("seed_client");
  const timeoutMs = options.timeoutMs ?? 20_000;
  const result = await runCommand(binary, args, {
    cwd: REPO_ROOT,
    env: process.env,
    timeoutMs,
  });
  if (result.code === null) {
    const why = result.timedOut ? `timed out after ${timeoutMs} ms` : `killed by ${result.signal}`;
    throw new Error(
      `seed_client ${args.join(" ")} ${why}\nstdout:\n${result.stdout}\nstderr:\n${result.stderr}`,
    );
  }
  return { code: result.code, stdout: result.stdout, stderr: result.stderr };
}

async function requireBinary(name: GoProgram): Promise<string> {
  const binary = await buildGoProgram(name);
  if (binary === undefined) throw new Error(`cannot build ${name}: ${SKIP_REASON}`);
  return binary;
}

async function compile(name: GoProgram): Promise<string> {
  const binDir = path.join(GO_BUILD_DIR, "bin");
  await mkdir(binDir, { recursive: true });
  const target = path.join(binDir, name);
  const temporary = `${target}.${process.pid}.${Math.random().toString(36).slice(2)}.tmp`;
  const result = await runCommand(
    GO_COMMAND,
    ["build", "-o", temporary, `./${name}`],
    { cwd: GO_SOURCE_DIR, env: goEnv(), timeoutMs: BUILD_TIMEOUT_MS },
  );
  if (result.code !== 0) {
    await rm(temporary, { force: true });
    throw new Error(
      `go build ./${name} failed (${
        result.timedOut ? "timed out" : `exit ${result.code}`
      }):\n${result.stderr}${result.stdout}`,
    );
  }
  // rename(2) replaces atomically, so a parallel test file either runs the
  // old complete binary or the new one, never a half-written file.
  await rename(temporary, target);
  return target;
}

/** Go's environment: no network, no $HOME, no cgo, no toolchain switching. */
function goEnv(): Record<string, string | undefined> {
  return {
    ...process.env,
    GOCACHE: path.join(GO_BUILD_DIR, "cache"),
    GOPATH: path.join(GO_BUILD_DIR, "path"),
    GOFLAGS: "-mod=mod",
    GOPROXY: "off",
    GO111MODULE: "on",
    GOWORK: "off",
    GOTOOLCHAIN: "local",
    GOTELEMETRY: "off",
    CGO_ENABLED: "0",
  };
}

interface CommandResult {
  code: number | null;
  signal: string | null;
  timedOut: boolean;
  stdout: string;
  stderr: string;
}

interface CommandOptions {
  cwd: string;
  env: Record<string, string | undefined>;
  timeoutMs: number;
}

/** Runs a command with stdin closed, collecting output, killed at the limit. */
function runCommand(
  command: string,
  args: readonly string[],
  options: CommandOptions,
): Promise<CommandResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, [...args], {
      cwd: options.cwd,
      env: options.env,
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    let timedOut = false;
    let settled = false;
    child.stdout?.setEncoding("utf8");
    child.stderr?.setEncoding("utf8");
    child.stdout?.on("data", (chunk: string) => {
      stdout += chunk;
    });
    child.stderr?.on("data", (chunk: string) => {
      stderr += chunk;
    });
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill("SIGKILL");
    }, options.timeoutMs);
    child.once("error", (error) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      reject(error);
    });
    child.once("close", (code, signal) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve({ code, signal, timedOut, stdout, stderr });
    });
  });
}

/** Resolves once the child has exited and its pipes are closed (or it never started). */
function waitForClose(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    child.once("close", () => resolve());
    child.once("error", () => resolve());
  });
}

/** Reads stdout up to the `listening ADDRESS` line and returns ADDRESS. */
function readListeningLine(
  child: ChildProcess,
  exited: Promise<void>,
  timeoutMs: number,
  stderr: () => string,
): Promise<string> {
  return new Promise((resolve, reject) => {
    let buffered = "";
    let settled = false;
    const finish = (error: Error | undefined, address?: string) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      if (error !== undefined) reject(error);
      else resolve(address ?? "");
    };
    const timer = setTimeout(() => {
      finish(
        new Error(
          `seed_server did not print "listening" within ${timeoutMs} ms\nstderr:\n${stderr()}`,
        ),
      );
    }, timeoutMs);
    child.once("error", (error) => finish(error));
    child.stdout?.setEncoding("utf8");
    child.stdout?.on("data", (chunk: string) => {
      if (settled) return; // keep draining the pipe after startup
      buffered += chunk;
      const match = /^listening (\S+)$/m.exec(buffered);
      if (match?.[1] !== undefined) finish(undefined, match[1]);
    });
    void exited.then(() => {
      finish(
        new Error(
          `seed_server exited before listening (exit ${child.exitCode}, signal ${child.signalCode})\nstdout:\n${buffered}\nstderr:\n${stderr()}`,
        ),
      );
    });
  });
}

/** SIGTERM, wait a bounded time, then SIGKILL; always waits for the exit. */
async function stopChild(
  child: ChildProcess,
  exited: Promise<void>,
): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) {
    await exited;
    return;
  }
  child.stdin?.end();
  child.kill("SIGTERM");
  let timer: ReturnType<typeof setTimeout> | undefined;
  const graceOver = new Promise<"timeout">((resolve) => {
    timer = setTimeout(() => resolve("timeout"), CLOSE_GRACE_MS);
  });
  const outcome = await Promise.race([exited.then(() => "exited"), graceOver]);
  clearTimeout(timer);
  if (outcome === "timeout") {
    child.kill("SIGKILL");
    await exited;
  }
}
