/**
 * The daemon's health endpoint on a TCP port, for a Kubernetes `httpGet`
 * probe: the kubelet cannot reach a unix socket, and an `exec` probe would
 * start a whole runtime every period. It answers `200` only when the main
 * listener really serves: for a unix socket, the file is still there with
 * the mode the daemon set (a restarted or foreign daemon can replace it in a
 * shared hostPath directory), and a request through it to `/healthz` gets
 * `200` within the time limit.
 *
 * @module
 */

import { lstat } from "node:fs/promises";
import { Client } from "../../client.ts";
import { serve, type Server } from "../../server.ts";

/** Where the main listener is: a TCP address or a unix socket with its mode. */
export type MainListener =
  | { readonly hostname: string; readonly port: number }
  | { readonly path: string; readonly mode: number };

/** How long one check may take; well under the probes' `timeoutSeconds`. */
const CHECK_TIMEOUT_MS = 500;

/** The address to connect to for a listener bound to every interface. */
function connectHost(hostname: string): string {
  if (hostname === "0.0.0.0" || hostname === "") return "127.0.0.1";
  if (hostname === "::") return "[::1]";
  return hostname.includes(":") ? `[${hostname}]` : hostname;
}

/**
 * Checks the main listener once.
 *
 * @returns `undefined` when healthy, else why not (one line).
 */
async function checkMain(main: MainListener, client: Client): Promise<string | undefined> {
  let url: string;
  if ("path" in main) {
    const stat = await lstat(main.path).catch(() => undefined);
    if (stat === undefined || !stat.isSocket()) return `no socket at ${main.path}`;
    const mode = stat.mode & 0o777;
    if (mode !== main.mode) {
      return `socket mode is 0${mode.toString(8)}, expected 0${main.mode.toString(8)}`;
    }
    url = "http://localhost/healthz";
  } else {
    url = `http://${connectHost(main.hostname)}:${main.port}/healthz`;
  }
  try {
    const response = await client.fetch(url, { signal: AbortSignal.timeout(CHECK_TIMEOUT_MS) });
    await response.body?.cancel();
    return response.status === 200 ? undefined : `main listener answered ${response.status}`;
  } catch (error) {
    return `main listener unreachable: ${error instanceof Error ? error.message : String(error)}`;
  }
}

/**
 * Serves `GET /healthz` on `address`, answering from a fresh check of
 * `main` each time.
 *
 * @param address The TCP address of the health port.
 * @param main The daemon's main listener.
 * @param signal Stops the health server when aborted.
 * @returns The health server; its client is closed when it finishes.
 */
export async function serveHealth(
  address: { hostname: string; port: number },
  main: MainListener,
  signal: AbortSignal,
): Promise<Server> {
  const client = new Client("path" in main ? { socketPath: main.path } : {});
  const server = await serve(async (request) => {
    if (new URL(request.url).pathname !== "/healthz") {
      return new Response("not found\n", { status: 404 });
    }
    const problem = await checkMain(main, client);
    return problem === undefined
      ? new Response("ok\n")
      : new Response(`${problem}\n`, { status: 503 });
  }, { ...address, signal });
  void server.finished.then(() => client.close());
  return server;
}
