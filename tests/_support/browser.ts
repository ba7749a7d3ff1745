/**
 * Test support: run a real headless browser (Debian's `chromium` or
 * `firefox-esr`) once against a URL, trusting the test CA through a fresh
 * NSS database made with `certutil` (libnss3-tools), so no user profile or
 * system trust store is touched. Every run is bounded: coreutils `timeout`
 * kills the browser's whole process group, and the process group is killed
 * again afterwards for helpers that outlive the browser (crashpad).
 *
 * @module
 */

import { type ChildProcess, spawn } from "node:child_process";
import {
  accessSync,
  constants,
  existsSync,
  mkdirSync,
  mkdtempSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import os from "node:os";
import path from "node:path";
import process from "node:process";

/** The browsers the suite can drive. */
export type BrowserName = "chromium" | "firefox-esr";

/** What one browser run left behind. */
export interface BrowserRun {
  /** The exit code; `null` when a signal ended it (e.g. the time limit). */
  readonly code: number | null;
  /** Whether the time limit ended the run. */
  readonly timedOut: boolean;
  /** Everything written to stdout (Chromium's `--dump-dom` writes the page here). */
  readonly stdout: string;
  /** Everything written to stderr. */
  readonly stderr: string;
  /** Whether Firefox's `--screenshot` file was written (the page reached `load`). */
  readonly screenshot: boolean;
}

/** Options of {@linkcode runBrowser}. */
export interface BrowserRunOptions {
  /** The PEM file of the CA to trust. */
  readonly caFile: string;
  /** Kill the browser after this many ms; default 30 000. */
  readonly timeoutMs?: number;
}

const CERTUTIL_TIMEOUT_MS = 10_000;
const DEFAULT_BROWSER_TIMEOUT_MS = 30_000;
/** After the limit, `timeout` sends SIGKILL this much later if TERM was not enough. */
const KILL_AFTER_SECONDS = 3;
/** How long to wait for the output pipes once the process group is gone. */
const PIPES_CLOSE_MS = 2_000;

const INSTALL_HINT: Record<BrowserName, string> = {
  "chromium": "apt-get install chromium libnss3-tools",
  "firefox-esr": "apt-get install firefox-esr libnss3-tools",
};

/**
 * The full path of `name` on the PATH, or `undefined`.
 *
 * @param name A command name.
 * @returns The first executable file called `name` in a PATH directory.
 */
export function findExecutable(name: string): string | undefined {
  for (const directory of (process.env.PATH ?? "").split(path.delimiter)) {
    if (directory === "") continue;
    const candidate = path.join(directory, name);
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not here
    }
  }
  return undefined;
}

/**
 * Why a test with `browser` cannot run here, or `false` when it can.
 *
 * @param browser The browser the test drives.
 * @returns A reason for `test(..., { skip })` naming the packages to install.
 */
export function browserSkipReason(browser: BrowserName): string | false {
  if (findExecutable(browser) === undefined) {
    return `${browser} not installed: ${INSTALL_HINT[browser]}`;
  }
  if (findExecutable("certutil") === undefined) {
    return `certutil not installed (needed to trust the test CA): apt-get install libnss3-tools`;
  }
  if (findExecutable("timeout") === undefined) {
    return "timeout (coreutils) not found: needed to bound the browser run";
  }
  return false;
}

/**
 * Loads `url` once in headless `browser` and returns when it has exited.
 *
 * Chromium gets a fresh `HOME` whose `.pki/nssdb` trusts the CA, and runs
 * with `--dump-dom`, so it exits after the page's `load` event and prints
 * the DOM. Firefox gets a fresh profile whose `cert9.db` trusts the CA and
 * runs with `--screenshot`, which also waits for `load`. Both go without
 * QUIC/HTTP/3, first-run pages and background traffic, so the server sees
 * only the page's own requests. The temporary directory is removed.
 *
 * @param browser Which browser.
 * @param url The page to load.
 * @param options The CA to trust and the time limit.
 * @returns The run's outcome.
 */
export async function runBrowser(
  browser: BrowserName,
  url: string,
  options: BrowserRunOptions,
): Promise<BrowserRun> {
  const timeoutMs = options.timeoutMs ?? DEFAULT_BROWSER_TIMEOUT_MS;
  const home = mkdtempSync(path.join(os.tmpdir(), `interim-${browser}-`));
  try {
    const launch = browser === "chromium"
      ? await prepareChromium(home, url, options.caFile)
      : await prepareFirefox(home, url, options.caFile);
    const outcome = await runBounded(launch.args, {
      ...process.env,
      HOME: home,
      XDG_CONFIG_HOME: path.join(home, ".config"),
      XDG_CACHE_HOME: path.join(home, ".cache"),
      TMPDIR: home,
      ...launch.env,
    }, timeoutMs);
    return {
      ...outcome,
      screenshot: launch.screenshot !== undefined && existsSync(launch.screenshot),
    };
  } finally {
    rmSync(home, { recursive: true, force: true, maxRetries: 3, retryDelay: 100 });
  }
}

interface Launch {
  /** The browser command line (without the `timeout` wrapper). */
  readonly args: string[];
  readonly env: Record<string, string>;
  readonly screenshot: string | undefined;
}

async function prepareChromium(home: string, url: string, caFile: string): Promise<Launch> {
  // Chromium on Linux reads the user's NSS db from $HOME/.pki/nssdb.
  const nssdb = path.join(home, ".pki", "nssdb");
  mkdirSync(nssdb, { recursive: true });
  await trustCa(nssdb, caFile);
  return {
    args: [
      "chromium",
      "--headless",
      "--no-sandbox", // CI runs as root, where the sandbox refuses to start
      "--disable-gpu",
      "--disable-quic", // h2 over TCP, not an HTTP/3 attempt
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
      `--user-data-dir=${path.join(home, "profile")}`,
      "--dump-dom",
      url,
    ],
    env: {},
    screenshot: undefined,
  };
}

async function prepareFirefox(home: string, url: string, caFile: string): Promise<Launch> {
  const profile = path.join(home, "profile");
  mkdirSync(profile);
  await trustCa(profile, caFile);
  writeFileSync(
    path.join(profile, "user.js"),
    [
      ["network.http.http3.enable", "false"],
      ["browser.shell.checkDefaultBrowser", "false"],
      ["datareporting.policy.dataSubmissionEnabled", "false"],
      ["toolkit.telemetry.reportingpolicy.firstRun", "false"],
      ["app.update.auto", "false"],
      ["browser.safebrowsing.update.enabled", "false"],
      ["network.captive-portal-service.enabled", "false"],
      ["network.connectivity-service.enabled", "false"],
    ].map(([name, value]) => `user_pref("${name}", ${value});\n`).join(""),
  );
  const screenshot = path.join(home, "shot.png");
  return {
    args: [
      "firefox-esr",
      "--headless",
      "--no-remote",
      "--profile",
      profile,
      "--screenshot",
      screenshot,
      url,
    ],
    env: { MOZ_HEADLESS: "1" },
    screenshot,
  };
}

/** Makes an empty NSS database in `directory` that trusts `caFile` to issue server certificates. */
async function trustCa(directory: string, caFile: string): Promise<void> {
  const db = `sql:${directory}`;
  const env = { ...process.env, HOME: directory };
  for (
    const args of [
      ["certutil", "-d", db, "-N", "--empty-password"],
      ["certutil", "-d", db, "-A", "-t", "C,,", "-n", "interim-test-ca", "-i", caFile],
    ]
  ) {
    const run = await runBounded(args, env, CERTUTIL_TIMEOUT_MS);
    if (run.code !== 0) {
      throw new Error(`${args.join(" ")} failed (${run.code}): ${run.stderr}${run.stdout}`);
    }
  }
}

/**
 * Runs `args` under coreutils `timeout`, which puts it in its own process
 * group and kills that whole group at the limit; afterwards the group is
 * killed once more for children that outlived the main process.
 */
async function runBounded(
  args: readonly string[],
  env: Record<string, string | undefined>,
  timeoutMs: number,
): Promise<Omit<BrowserRun, "screenshot">> {
  const seconds = Math.max(1, Math.ceil(timeoutMs / 1000));
  const child: ChildProcess = spawn(
    "timeout",
    [`--kill-after=${KILL_AFTER_SECONDS}`, String(seconds), ...args],
    { env, stdio: ["ignore", "pipe", "pipe"] },
  );
  let stdout = "";
  let stderr = "";
  child.stdout?.setEncoding("utf8");
  child.stderr?.setEncoding("utf8");
  child.stdout?.on("data", (chunk: string) => (stdout += chunk));
  child.stderr?.on("data", (chunk: string) => (stderr += chunk));
  const pipesClosed = new Promise<void>((resolve) => child.once("close", () => resolve()));
  let guard: ReturnType<typeof setTimeout> | undefined;
  try {
    const code = await new Promise<number | null>((resolve, reject) => {
      child.once("error", reject);
      child.once("exit", (exitCode) => resolve(exitCode));
      // `timeout` itself bounds the run; this only catches a `timeout` that hangs.
      guard = setTimeout(() => {
        killGroup(child);
        resolve(null);
      }, (seconds + KILL_AFTER_SECONDS + 5) * 1000);
    });
    return { code, timedOut: code === 124 || code === 137 || code === null, stdout, stderr };
  } finally {
    clearTimeout(guard);
    killGroup(child);
    await Promise.race([
      pipesClosed,
      new Promise((resolve) => setTimeout(resolve, PIPES_CLOSE_MS)),
    ]);
  }
}

/** SIGKILL to the process group that `timeout` (pid = group id) leads; gone already is fine. */
function killGroup(child: ChildProcess): void {
  if (child.pid === undefined) return;
  try {
    process.kill(-child.pid, "SIGKILL");
  } catch {
    // the group is empty: every process of it has exited
  }
}
