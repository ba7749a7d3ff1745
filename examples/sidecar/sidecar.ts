/**
 * The sidecar side of the example: asks the daemon on the same node to do a
 * job and blocks until it answers, but the moment the daemon's
 * `103 Early Hints` arrives it prints a ready-to-paste
 * `kubectl logs -n NAMESPACE POD -f` line, so whoever watches the sidecar
 * knows where the work is happening.
 *
 * Usage:
 *
 * ```sh
 * deno run -A examples/sidecar/sidecar.ts [--url=URL] [--unix-socket=PATH] [--timeout=SECONDS]
 * bun examples/sidecar/sidecar.ts ...
 * node --import tsx examples/sidecar/sidecar.ts ...
 * ```
 *
 * Environment: `DAEMON_URL` (default `http://127.0.0.1:8080/work`),
 * `DAEMON_SOCKET` (a unix socket path; the URL then only gives the path),
 * `TIMEOUT_SECONDS` (default 3600). Flags win over the environment.
 *
 * Exit status: 0 when the final status is 2xx; 1 for any other final status
 * or when no final response arrived (refused, reset, timeout); 2 for bad
 * arguments.
 *
 * @module
 */

import process from "node:process";
import { Client } from "../../client.ts";

/** The settings, from flags and environment. */
interface SidecarConfig {
  readonly url: string;
  readonly socketPath?: string;
  readonly timeoutMs: number;
}

const USAGE = "usage: sidecar.ts [--url=URL] [--unix-socket=PATH] [--timeout=SECONDS]";

function readConfig(
  args: readonly string[],
  env: Record<string, string | undefined>,
): SidecarConfig {
  let url = env.DAEMON_URL || "http://127.0.0.1:8080/work";
  let socketPath = env.DAEMON_SOCKET || undefined;
  let timeout = env.TIMEOUT_SECONDS || "3600";
  for (const arg of args) {
    const [flag, value] = arg.split(/=(.*)/s) as [string, string | undefined];
    if (flag === "--url" && value) url = value;
    else if (flag === "--unix-socket" && value) socketPath = value;
    else if (flag === "--timeout" && value) timeout = value;
    else throw new Error(`unknown argument ${JSON.stringify(arg)}\n${USAGE}`);
  }
  const seconds = Number(timeout);
  if (!(seconds > 0)) {
    throw new Error(
      `the timeout must be a positive number of seconds, got ${JSON.stringify(timeout)}`,
    );
  }
  return { url, timeoutMs: seconds * 1000, ...(socketPath !== undefined ? { socketPath } : {}) };
}

/** Quotes a word for a POSIX shell unless it is plainly safe (pod names always are). */
function shellWord(text: string): string {
  return /^[A-Za-z0-9._\/-]+$/.test(text) ? text : `'${text.replaceAll("'", `'\\''`)}'`;
}

/**
 * The command to follow the daemon pod's logs.
 *
 * @param namespace The pod's namespace.
 * @param pod The pod's name.
 * @returns A line that can be pasted into a shell.
 */
function kubectlLogsCommand(namespace: string, pod: string): string {
  return `kubectl logs -n ${shellWord(namespace)} ${shellWord(pod)} -f`;
}

async function main(): Promise<number> {
  let config: SidecarConfig;
  try {
    config = readConfig(process.argv.slice(2), process.env);
  } catch (error) {
    console.error(`sidecar: ${(error as Error).message}`);
    return 2;
  }
  const client = new Client({
    ...(config.socketPath !== undefined ? { socketPath: config.socketPath } : {}),
    // The job may run longer than the client's default wait for the final
    // response head (300 s); the hint does not restart that timer.
    headersTimeout: config.timeoutMs,
  });
  const where = config.socketPath !== undefined
    ? `${config.url} via ${config.socketPath}`
    : config.url;
  console.log(`sidecar: asking the daemon (${where}) and waiting for its answer`);
  try {
    const response = await client.fetch(config.url, {
      method: "POST",
      signal: AbortSignal.timeout(config.timeoutMs),
      onInformational({ status, headers }) {
        const pod = headers.get("x-pod-name");
        const namespace = headers.get("x-pod-namespace");
        if (status !== 103 || pod === null || namespace === null) return;
        console.log(
          `sidecar: the daemon pod ${namespace}/${pod} is working on it; follow its logs with:`,
        );
        console.log(kubectlLogsCommand(namespace, pod));
      },
    });
    const body = (await response.text()).trim();
    console.log(
      `sidecar: final status ${response.status} ${response.statusText}${body ? `: ${body}` : ""}`,
    );
    return response.ok ? 0 : 1;
  } catch (error) {
    const reason = error instanceof Error
      ? `${error.message}${"code" in error ? ` (${String(error.code)})` : ""}`
      : String(error);
    console.log(`sidecar: no final response: ${reason}`);
    return 1;
  } finally {
    await client.close();
  }
}

process.exitCode = await main();
