/**
 * The daemonset side of the sidecar example: an HTTP server whose
 * long-running handler first tells the caller which pod is doing the work
 * (`103 Early Hints` with `x-pod-name` and `x-pod-namespace`), then works,
 * then answers with the final status.
 *
 * Usage:
 *
 * ```sh
 * deno run -A examples/sidecar/daemon.ts [--listen=HOST:PORT | --unix-socket=PATH] [--health-listen=HOST:PORT]
 * bun examples/sidecar/daemon.ts ...
 * node --import tsx examples/sidecar/daemon.ts ...
 * ```
 *
 * Environment (Kubernetes sets the first two with the downward API):
 *
 * - `POD_NAME`, `POD_NAMESPACE`: what the hint says; `daemon-local` and
 *   `default` when unset, so it runs outside a cluster too.
 * - `LISTEN`: `HOST:PORT` or a unix socket path (starting with `/`);
 *   default `127.0.0.1:8080`. The flags win over it.
 * - `SOCKET_MODE`: the octal mode set on the unix socket right after it is
 *   bound (default `0660`: the daemon's user and group may connect, nobody
 *   else). Connecting needs write permission, so a sidecar running as another
 *   user gets in through the group.
 * - `HEALTH_LISTEN`: `HOST:PORT` of a TCP health port serving `/healthz`
 *   (see health.ts), for a kubelet `httpGet` probe; none when unset.
 * - `WORK_MS`: how long a job takes (default 3000); `?work_ms=N` overrides it
 *   per request.
 * - `FINAL_STATUS`: the final status (default 200); `?status=N` overrides it
 *   per request, to see how the sidecar reports failures.
 *
 * Routes: `/work` (any method) does a job; `/healthz` answers 200.
 * It prints `listening http://HOST:PORT` or `listening unix:PATH` once bound
 * (and the socket's mode set), then `health http://HOST:PORT/healthz` when
 * there is a health port,
 * and stops gracefully on SIGTERM (what Kubernetes sends) or SIGINT.
 *
 * @module
 */

import { chmod } from "node:fs/promises";
import process from "node:process";
import { sendInformational, serve } from "../../server.ts";
import { serveHealth } from "./health.ts";

type TcpAddress = { hostname: string; port: number };

/** The settings, from flags and environment. */
interface DaemonConfig {
  readonly listen: TcpAddress | { path: string };
  /** Set on the unix socket after binding; see the header. */
  readonly socketMode: number;
  readonly healthListen?: TcpAddress;
  readonly podName: string;
  readonly podNamespace: string;
  readonly workMs: number;
  readonly finalStatus: number;
}

const USAGE =
  "usage: daemon.ts [--listen=HOST:PORT | --unix-socket=PATH] [--health-listen=HOST:PORT] (see the file's header)";

function parseListen(text: string): DaemonConfig["listen"] {
  if (text.startsWith("/") || text.startsWith("./")) return { path: text };
  const match = /^(.*):(\d+)$/.exec(text);
  if (match === null) {
    throw new Error(`bad listen address ${JSON.stringify(text)}: use HOST:PORT or /path`);
  }
  return { hostname: match[1]!.replace(/^\[(.*)\]$/, "$1"), port: Number(match[2]) };
}

function parseTcp(name: string, text: string): TcpAddress {
  const listen = parseListen(text);
  if ("path" in listen) throw new Error(`${name} must be HOST:PORT, got ${JSON.stringify(text)}`);
  return listen;
}

/** An octal file mode such as `0660`; the owner must keep read and write. */
function parseMode(text: string): number {
  const mode = /^0?[0-7]{3}$/.test(text) ? Number.parseInt(text, 8) : Number.NaN;
  if (Number.isNaN(mode) || (mode & 0o600) !== 0o600) {
    throw new Error(
      `SOCKET_MODE must be an octal mode like 0660 with owner read and write, got ${
        JSON.stringify(text)
      }`,
    );
  }
  return mode;
}

function parseInteger(name: string, text: string, min: number, max: number): number {
  const value = Number(text);
  if (!/^\d+$/.test(text) || value < min || value > max) {
    throw new Error(`${name} must be an integer in [${min}, ${max}], got ${JSON.stringify(text)}`);
  }
  return value;
}

function readConfig(
  args: readonly string[],
  env: Record<string, string | undefined>,
): DaemonConfig {
  let listen = parseListen(env.LISTEN ?? "127.0.0.1:8080");
  let healthListen = env.HEALTH_LISTEN ? parseTcp("HEALTH_LISTEN", env.HEALTH_LISTEN) : undefined;
  for (const arg of args) {
    const [flag, value] = arg.split(/=(.*)/s) as [string, string | undefined];
    if (flag === "--listen" && value) listen = parseListen(value);
    else if (flag === "--unix-socket" && value) listen = { path: value };
    else if (flag === "--health-listen" && value) healthListen = parseTcp(flag, value);
    else throw new Error(`unknown argument ${JSON.stringify(arg)}\n${USAGE}`);
  }
  return {
    listen,
    socketMode: parseMode(env.SOCKET_MODE || "0660"),
    ...(healthListen !== undefined ? { healthListen } : {}),
    // Outside Kubernetes nothing sets these; say so instead of hinting blanks.
    podName: env.POD_NAME || "daemon-local",
    podNamespace: env.POD_NAMESPACE || "default",
    workMs: parseInteger("WORK_MS", env.WORK_MS ?? "3000", 0, 3_600_000),
    finalStatus: parseInteger("FINAL_STATUS", env.FINAL_STATUS ?? "200", 200, 599),
  };
}

/** Waits `ms`, or less if the caller went away (no point finishing then). */
function work(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve(); // the listener below would never fire
    const timer = setTimeout(done, ms);
    signal.addEventListener("abort", done, { once: true });
    function done() {
      clearTimeout(timer);
      signal.removeEventListener("abort", done);
      resolve();
    }
  });
}

function log(message: string): void {
  process.stderr.write(`${new Date().toISOString()} daemon: ${message}\n`);
}

function makeHandler(config: DaemonConfig): (request: Request) => Promise<Response> {
  let jobs = 0;
  return async (request) => {
    const url = new URL(request.url);
    if (url.pathname === "/healthz") return new Response("ok\n");
    if (url.pathname !== "/work") return new Response("not found\n", { status: 404 });
    let workMs = config.workMs;
    let status = config.finalStatus;
    try {
      const workParam = url.searchParams.get("work_ms");
      const statusParam = url.searchParams.get("status");
      if (workParam !== null) workMs = parseInteger("work_ms", workParam, 0, 3_600_000);
      if (statusParam !== null) status = parseInteger("status", statusParam, 200, 599);
    } catch (error) {
      return new Response(`${(error as Error).message}\n`, { status: 400 });
    }

    const job = ++jobs;
    // Tell the caller where to look before doing anything slow (RFC 8297).
    sendInformational(request, 103, {
      "x-pod-name": config.podName,
      "x-pod-namespace": config.podNamespace,
    });
    log(`job ${job}: started, ${workMs} ms of work`);
    await work(workMs, request.signal);
    if (request.signal.aborted) {
      log(`job ${job}: the caller went away`);
    } else {
      log(`job ${job}: done, answering ${status}`);
    }
    return new Response(`job ${job} finished with ${status}\n`, {
      status,
      headers: { "content-type": "text/plain; charset=utf-8" },
    });
  };
}

function describe(addr: TcpAddress | { path: string }): string {
  if ("path" in addr) return `unix:${addr.path}`;
  return `http://${
    addr.hostname.includes(":") ? `[${addr.hostname}]` : addr.hostname
  }:${addr.port}`;
}

async function main(): Promise<void> {
  const config = readConfig(process.argv.slice(2), process.env);
  const stop = new AbortController();
  const onSignal = () => stop.abort();
  process.on("SIGTERM", onSignal);
  process.on("SIGINT", onSignal);
  try {
    const server = await serve(makeHandler(config), {
      ...("path" in config.listen ? { path: config.listen.path } : config.listen),
      // Aborting shuts down gracefully: running jobs still get their answer.
      signal: stop.signal,
    });
    const addr = server.addr;
    const bound = addr.transport === "unix"
      ? { path: addr.path }
      : { hostname: addr.hostname, port: addr.port };
    if ("path" in bound) {
      // The umask decides the mode bind() gives (often 0755: only the owner
      // may connect), so set it explicitly. Until then only the owner can
      // connect, which fails closed.
      try {
        await chmod(bound.path, config.socketMode);
      } catch (error) {
        await server.close();
        throw error;
      }
    }
    const servers = [server];
    if (config.healthListen !== undefined) {
      const main = "path" in bound ? { ...bound, mode: config.socketMode } : bound;
      const health = await serveHealth(config.healthListen, main, stop.signal).catch(
        async (error) => {
          await server.close();
          throw error;
        },
      );
      servers.push(health);
    }
    console.log(`listening ${describe(bound)}`);
    if (servers[1] !== undefined) {
      const { addr } = servers[1];
      if (addr.transport !== "unix") console.log(`health ${describe(addr)}/healthz`);
    }
    const local = process.env.POD_NAME
      ? ""
      : " (POD_NAME unset: not in Kubernetes, using defaults)";
    log(`pod ${config.podNamespace}/${config.podName}${local}, jobs take ${config.workMs} ms`);
    await Promise.all(servers.map((each) => each.finished));
    log("stopped");
  } finally {
    process.off("SIGTERM", onSignal);
    process.off("SIGINT", onSignal);
  }
}

try {
  await main();
} catch (error) {
  process.stderr.write(`daemon: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exitCode = 2;
}
