/**
 * The README's main command (`npm run demo`): runs the seed program
 * (`scripts/demo_seed.ts`) on Deno, Bun and Node in turn, or on the one
 * chosen with `--runtime`, and checks each printed the seed's nine lines.
 *
 * Usage: `node --import tsx scripts/demo.ts [--runtime=deno|bun|node[,...]] [--delay=MS]`
 *
 * The runtimes come from `node_modules/.bin` (the `deno` and `bun` npm
 * packages) and the Node running this script, so `npm ci` is the only setup.
 *
 * @module
 */

import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { dirname, join } from "node:path";
import process from "node:process";
import { fileURLToPath } from "node:url";
import { SEED_LINES } from "./demo_seed_app.ts";

type RuntimeName = "deno" | "bun" | "node";

const ROOT = dirname(dirname(fileURLToPath(import.meta.url)));
const SEED = join(ROOT, "scripts", "demo_seed.ts");
const BIN = join(ROOT, "node_modules", ".bin");
const RUNTIMES: readonly RuntimeName[] = ["deno", "bun", "node"];
/** Generous: Deno's first run may compile; the handler itself waits `--delay`. */
const RUN_TIMEOUT_MS = 60_000;

const USAGE = `usage: npm run demo -- [--runtime=deno|bun|node] [--delay=MS]

Runs the seed program (a Hono handler sending 103 Early Hints, and our
fetch printing what it saw) on each runtime, or the one chosen.
  --runtime=NAME  only this runtime: deno, bun or node (or a list: deno,node)
  --delay=MS      how long the handler works between the 103 and the 200 (default 1000)
  -h, --help      this help
`;

function commandFor(runtime: RuntimeName): [string, string[]] {
  switch (runtime) {
    case "deno":
      return [join(BIN, "deno"), ["run", "-A", SEED]];
    case "bun":
      return [join(BIN, "bun"), [SEED]];
    case "node":
      return [process.execPath, ["--import", "tsx", SEED]];
  }
}

function parse(args: readonly string[]): { runtimes: RuntimeName[]; extra: string[] } | "help" {
  let runtimes = [...RUNTIMES];
  const extra: string[] = [];
  for (let index = 0; index < args.length; index++) {
    let arg = args[index]!;
    if (arg === "-h" || arg === "--help") return "help";
    // Accept "--runtime deno" and "--delay 500" as well as the "=" forms.
    if ((arg === "--runtime" || arg === "--delay") && index + 1 < args.length) {
      arg = `${arg}=${args[++index]}`;
    }
    const list = /^--runtime=(.*)$/.exec(arg)?.[1];
    if (list !== undefined) {
      const names = list.split(",").map((name) => name.trim());
      for (const name of names) {
        if (!RUNTIMES.includes(name as RuntimeName)) {
          throw new Error(`unknown runtime ${JSON.stringify(name)}: use deno, bun or node`);
        }
      }
      runtimes = names as RuntimeName[];
    } else if (/^--delay=\d+$/.test(arg)) {
      extra.push(arg);
    } else {
      throw new Error(`unknown argument ${JSON.stringify(arg)}`);
    }
  }
  return { runtimes, extra };
}

/** Runs one runtime, echoing its output as it comes; resolves with all of stdout. */
function runOne(runtime: RuntimeName, extra: string[]): Promise<{ code: number; stdout: string }> {
  const [command, args] = commandFor(runtime);
  if (runtime !== "node" && !existsSync(command)) {
    return Promise.resolve({ code: -1, stdout: `${command} not found: run npm ci first\n` });
  }
  return new Promise((resolve) => {
    const child = spawn(command, [...args, ...extra], {
      cwd: ROOT,
      stdio: ["ignore", "pipe", "inherit"],
      env: { ...process.env, NO_COLOR: "1" },
    });
    let stdout = "";
    child.stdout.setEncoding("utf8");
    child.stdout.on("data", (text: string) => {
      stdout += text;
      process.stdout.write(text);
    });
    const timer = setTimeout(() => child.kill("SIGKILL"), RUN_TIMEOUT_MS);
    child.on("error", (error) => {
      clearTimeout(timer);
      resolve({ code: -1, stdout: `${error.message}\n` });
    });
    child.on("close", (code) => {
      clearTimeout(timer);
      resolve({ code: code ?? -1, stdout });
    });
  });
}

async function main(): Promise<number> {
  const parsed = parse(process.argv.slice(2));
  if (parsed === "help") {
    process.stdout.write(USAGE);
    return 0;
  }
  const results: string[] = [];
  for (const runtime of parsed.runtimes) {
    process.stdout.write(`\n=== ${runtime} ===\n`);
    const { code, stdout } = await runOne(runtime, parsed.extra);
    const seedLines = stdout.split("\n").filter((line) => /^(hinted|final) /.test(line));
    const same = seedLines.join("\n") === SEED_LINES.join("\n");
    if (code === 0 && same) {
      results.push(`${runtime}: the seed's 9 lines, as Go prints them`);
    } else {
      if (code === -1) process.stdout.write(stdout);
      results.push(
        `${runtime}: FAILED (exit ${code}${same ? "" : ", lines differ from the seed"})`,
      );
    }
  }
  process.stdout.write(`\n${results.join("\n")}\n`);
  return results.every((line) => !line.includes("FAILED")) ? 0 : 1;
}

try {
  process.exitCode = await main();
} catch (error) {
  process.stderr.write(`demo: ${error instanceof Error ? error.message : String(error)}\n${USAGE}`);
  process.exitCode = 2;
}
