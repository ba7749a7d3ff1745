/**
 * Test support for examples/k8s/Dockerfile without a Docker engine: reads
 * the Dockerfile's stages, stages the runtime stage's files into a temporary
 * directory by the same steps (the package build, the examples' tsc build,
 * the `.d.ts` removal, then the runtime stage's own `COPY --from=build`
 * lines), and runs processes from it with their output watched.
 *
 * @module
 */

import { type ChildProcess, spawn } from "node:child_process";
import { cp, mkdtemp, readdir, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import process from "node:process";
import { REPO_ROOT } from "./run_ts.ts";

/** The Node the image's base provides (node:24-slim). */
export const IMAGE_NODE: string = path.join(REPO_ROOT, "node_modules", "node24", "bin", "node");
/** The Dockerfile, relative to the repository root. */
export const DOCKERFILE = "examples/k8s/Dockerfile";

/** One build stage: its `FROM` line and its instructions, continuation lines joined. */
export interface DockerStage {
  readonly from: string;
  readonly instructions: readonly string[];
}

/** Splits a Dockerfile into stages (comments and `ARG`s before the first `FROM` dropped). */
export function parseDockerfile(text: string): DockerStage[] {
  const joined = text.replace(/\\\n/g, " ").split("\n").map((line) => line.trim());
  const stages: { from: string; instructions: string[] }[] = [];
  for (const line of joined) {
    if (line === "" || line.startsWith("#")) continue;
    if (/^FROM\s/i.test(line)) stages.push({ from: line, instructions: [] });
    else stages.at(-1)?.instructions.push(line.replace(/\s+/g, " "));
  }
  return stages;
}

/** The runtime stage's files, staged in a temporary directory. */
export interface StagedImage {
  /** The image's WORKDIR (`/app`) on this machine. */
  readonly app: string;
  /** The temporary directory holding `app/` and the build outputs. */
  readonly root: string;
  remove(): Promise<void>;
}

function run(command: string, args: readonly string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd: REPO_ROOT, stdio: ["ignore", "ignore", "pipe"] });
    let stderr = "";
    child.stderr?.on("data", (chunk) => stderr += String(chunk));
    const timer = setTimeout(() => child.kill("SIGKILL"), 120_000);
    child.once("error", reject);
    child.once("close", (code) => {
      clearTimeout(timer);
      if (code === 0) resolve();
      else {reject(
          new Error(`${path.basename(command)} ${args.join(" ")}: exit ${code}\n${stderr}`),
        );}
    });
  });
}

async function deleteDeclarations(dir: string): Promise<void> {
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const file = path.join(dir, entry.name);
    if (entry.isDirectory()) await deleteDeclarations(file);
    else if (entry.name.endsWith(".d.ts")) await rm(file);
  }
}

/**
 * Builds as the Dockerfile's build stage does, then copies what its runtime
 * stage copies. The build stage's `RUN` lines are checked by the test; here
 * `/src/dist` and `/src/.build/k8s` map to this directory's build outputs and
 * any other `/src/` path to the repository.
 */
export async function stageImage(): Promise<StagedImage> {
  const stages = parseDockerfile(await readFile(path.join(REPO_ROOT, DOCKERFILE), "utf8"));
  const runtime = stages.at(-1);
  if (runtime === undefined) throw new Error(`${DOCKERFILE} has no stage`);
  const root = await mkdtemp(path.join(tmpdir(), "interim-image-"));
  try {
    const dist = path.join(root, "build", "dist");
    const k8s = path.join(root, "build", "k8s");
    // npm run build (its script is `node --import tsx scripts/build.ts`).
    await run(IMAGE_NODE, ["--import", "tsx", "scripts/build.ts", `--out=${dist}`]);
    await run(path.join(REPO_ROOT, "node_modules", ".bin", "tsc"), [
      "-p",
      "examples/k8s/tsconfig.json",
      "--outDir",
      k8s,
    ]);
    await deleteDeclarations(dist);
    const workdir = runtime.instructions.find((line) => line.startsWith("WORKDIR "));
    if (workdir !== "WORKDIR /app") throw new Error(`runtime stage: expected WORKDIR /app`);
    const app = path.join(root, "app");
    for (const line of runtime.instructions) {
      const copy = /^COPY --from=build (\/src\/\S+) (\S+)$/.exec(line);
      if (line.startsWith("COPY") && copy === null) throw new Error(`unexpected ${line}`);
      if (copy === null) continue;
      const source = copy[1]!.slice("/src/".length);
      const from = source === "dist" || source.startsWith("dist/")
        ? path.join(dist, source.slice("dist".length))
        : source.startsWith(".build/k8s/")
        ? path.join(k8s, source.slice(".build/k8s/".length))
        : path.join(REPO_ROOT, source);
      await cp(from, path.resolve(app, copy[2]!), { recursive: true });
    }
    return { app, root, remove: () => rm(root, { recursive: true, force: true }) };
  } catch (error) {
    await rm(root, { recursive: true, force: true });
    throw error;
  }
}

/** Every file under `dir`, relative to it. */
export async function listFiles(dir: string, prefix = ""): Promise<string[]> {
  const files: string[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const relative = path.join(prefix, entry.name);
    if (entry.isDirectory()) files.push(...await listFiles(path.join(dir, entry.name), relative));
    else files.push(relative);
  }
  return files;
}

/** A process started with {@linkcode startCommand}. */
export interface Command {
  readonly pid: number | undefined;
  readonly lines: string[];
  stderr(): string;
  waitForLine(pattern: RegExp, timeoutMs: number): Promise<string>;
  exited(timeoutMs: number): Promise<number | null>;
  stop(): Promise<void>;
}

/**
 * Starts `command` with exactly `env` (nothing inherited: no NODE_OPTIONS,
 * no tsx), in `cwd`.
 */
export function startCommand(
  command: string,
  args: readonly string[],
  options: { cwd: string; env: Record<string, string> },
): Command {
  const child: ChildProcess = spawn(command, args, {
    cwd: options.cwd,
    env: options.env,
    stdio: ["ignore", "pipe", "pipe"],
  });
  const lines: string[] = [];
  let partial = "";
  let stderr = "";
  let code: number | null | undefined;
  const waiters = new Set<() => void>();
  const wake = () => waiters.forEach((waiter) => waiter());
  child.stdout?.setEncoding("utf8");
  child.stdout?.on("data", (chunk: string) => {
    const parts = (partial + chunk).split("\n");
    partial = parts.pop() ?? "";
    lines.push(...parts);
    wake();
  });
  child.stderr?.on("data", (chunk) => stderr += String(chunk));
  const closed = new Promise<void>((resolve) => {
    child.once("close", (exit) => {
      if (partial !== "") lines.push(partial);
      code = exit;
      wake();
      resolve();
    });
    child.once("error", (error) => {
      stderr += `spawn failed: ${error.message}\n`;
      code = null;
      wake();
      resolve();
    });
  });
  const describe = () => `stdout:\n${lines.join("\n")}\nstderr:\n${stderr}`;
  function until<T>(check: () => T | undefined, timeoutMs: number, what: string): Promise<T> {
    return new Promise((resolve, reject) => {
      const waiter = () => {
        const value = check();
        if (value !== undefined) finish(() => resolve(value));
        else if (code !== undefined) {
          finish(() => reject(new Error(`exited before ${what}\n${describe()}`)));
        }
      };
      const timer = setTimeout(
        () => finish(() => reject(new Error(`no ${what} in ${timeoutMs} ms\n${describe()}`))),
        timeoutMs,
      );
      function finish(settle: () => void) {
        clearTimeout(timer);
        waiters.delete(waiter);
        settle();
      }
      waiters.add(waiter);
      waiter();
    });
  }
  return {
    pid: child.pid,
    lines,
    stderr: () => stderr,
    waitForLine: (pattern, timeoutMs) =>
      until(() => lines.find((line) => pattern.test(line)), timeoutMs, `line ${pattern}`),
    exited: (timeoutMs) =>
      until(() => code === undefined ? undefined : { code }, timeoutMs, "exit").then((v) => v.code),
    async stop() {
      if (code !== undefined) return;
      child.kill("SIGTERM");
      const timer = setTimeout(() => child.kill("SIGKILL"), 10_000);
      await closed;
      clearTimeout(timer);
    },
  };
}

/** The resident set size of a process in bytes, from /proc; `undefined` off Linux. */
export async function residentBytes(pid: number): Promise<number | undefined> {
  const status = await readFile(`/proc/${pid}/status`, "utf8").catch(() => undefined);
  const match = status === undefined ? null : /^VmRSS:\s+(\d+) kB$/m.exec(status);
  return match === null ? undefined : Number(match[1]) * 1024;
}

/** The environment a container gets: a PATH and what the manifest sets, nothing else. */
export function containerEnv(env: Record<string, string>): Record<string, string> {
  return { PATH: process.env.PATH ?? "/usr/bin:/bin", ...env };
}
