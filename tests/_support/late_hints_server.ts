/**
 * Test support: a server whose handlers keep sending interim responses from a
 * progress timer (`setInterval`) after their response was sent, while it
 * streams, after the client left, and after the server closed, the mistake
 * that used to end the process with an uncaught TypeError. Run as a child
 * process by tests/late_hints.test.ts, so a crash shows as an exit code
 * instead of taking the test runner down.
 *
 * Arguments: `--api=send` (sendInformational) or `--api=hint` (Hono's
 * hint(c)), and `--server=engine` (serve() on this runtime's sockets),
 * `--server=node-http` (serve()'s node:http backend) or `--server=node-server`
 * (a bare node:http server handing `{ incoming, outgoing }` to a Hono app, as
 * @hono/node-server does; hint only).
 *
 * Prints `listening PORT`, then one `result NAME JSON` line per route once
 * its timer has stopped, with every result the timer's calls returned.
 * `/preload-after-disconnect` runs the `preload()` middleware once its client
 * has left and prints when its route ran.
 * `GET /quit` closes the server (aborting `/until-close`); the process then
 * ends on its own, with exit code 0 unless something threw.
 *
 * @module
 */

import http from "node:http";
import process from "node:process";
import { Hono } from "hono";
import { hint, type InformationalResult, preload, sendInformational, serve } from "../../server.ts";

const TICK_MS = 5;
/** Calls made by the timer once the scenario's moment has passed. */
const LATE_CALLS = 4;

const options = new Map(
  process.argv.slice(2).map((arg) => arg.replace(/^--/, "").split("=") as [string, string]),
);
const api = options.get("api");
const serverKind = options.get("server");
if ((api !== "send" && api !== "hint") || serverKind === undefined) {
  throw new TypeError(`usage: --api=send|hint --server=engine|node-http|node-server`);
}

/** The routes' progress call: one 103 through the API under test. */
type Progress = () => InformationalResult;

function report(name: string, results: InformationalResult[]): void {
  console.log(`result ${name} ${JSON.stringify(results)}`);
}

/**
 * Starts a progress timer: a call every few milliseconds, each result
 * recorded after `first`. Once `moment` has resolved, it makes
 * `LATE_CALLS` more calls, then stops and reports.
 */
function progressTimer(
  name: string,
  first: InformationalResult | undefined,
  progress: Progress,
  moment: Promise<unknown>,
): Promise<void> {
  const results: InformationalResult[] = first === undefined ? [] : [first];
  let lateLeft: number | undefined;
  let stop!: () => void;
  const stopped = new Promise<void>((resolve) => (stop = resolve));
  moment.then(() => (lateLeft = LATE_CALLS));
  const timer = setInterval(() => {
    results.push(progress());
    if (lateLeft !== undefined && --lateLeft === 0) {
      clearInterval(timer);
      report(name, results);
      stop();
    }
  }, TICK_MS);
  return stopped;
}

/** Resolves when `signal` aborts. */
function aborted(signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) resolve();
    else signal.addEventListener("abort", () => resolve(), { once: true });
  });
}

/**
 * The four scenarios, written once for both APIs: `progress(request)` gives
 * the call bound to this request; `signal` tells the client (or server) left.
 */
async function scenario(
  path: string,
  progress: Progress,
  signal: AbortSignal,
  quit: () => void,
): Promise<Response> {
  switch (path) {
    case "/after-response": {
      // The usual mistake: a timer started by the handler outlives its response.
      // Every timer call comes after the response (written within microtasks).
      void progressTimer("after-response", progress(), progress, Promise.resolve());
      return new Response("done");
    }
    case "/while-streaming": {
      // A timer call while the body streams (head out), then after its end.
      const encoder = new TextEncoder();
      let release!: () => void;
      const released = new Promise<void>((resolve) => (release = resolve));
      void progressTimer("while-streaming", undefined, () => {
        const result = progress();
        release();
        return result;
      }, released);
      return new Response(
        new ReadableStream<Uint8Array>({
          start(controller) {
            controller.enqueue(encoder.encode("part1,"));
          },
          async pull(controller) {
            await released;
            controller.enqueue(encoder.encode("part2"));
            controller.close();
          },
        }),
      );
    }
    case "/after-disconnect": {
      // The client leaves after the first hint; the timer goes on, and the
      // handler answers the departed client afterwards.
      await progressTimer("after-disconnect", progress(), progress, aborted(signal));
      return new Response("nobody is listening");
    }
    case "/until-close": {
      // In flight when the server closes.
      await progressTimer("until-close", progress(), progress, aborted(signal));
      return new Response("closed under it");
    }
    case "/quit":
      setTimeout(quit, 50);
      return new Response("bye");
    case "/ping":
      await new Promise((resolve) => setTimeout(resolve, 60));
      return new Response("pong");
    default:
      return new Response("not found", { status: 404 });
  }
}

const LINK = { link: "</progress.css>; rel=preload; as=style" };
let quit: () => void = () => {};

const app = new Hono();
// preload() (earlyHints() inside) hinting for a client that already left:
// the hint says "closed" inside the middleware, which must neither throw
// nor keep the route from running.
app.get(
  "/preload-after-disconnect",
  async (c, next) => {
    console.log("waiting preload-after-disconnect");
    await aborted(c.req.raw.signal);
    await next();
  },
  preload(["/app.css"]),
  (c) => {
    console.log("route preload-after-disconnect ran");
    return c.text("too late");
  },
);
app.all("*", (c) => {
  c.header("x-progress", "working");
  // hint(c) with the context's fields, Go's w.WriteHeader(103) after Header().Set.
  const progress: Progress = api === "hint"
    ? () => hint(c)
    : () => sendInformational(c.req.raw, 103, LINK);
  return scenario(c.req.path, progress, c.req.raw.signal, () => quit());
});

let port: number;
if (serverKind === "node-server") {
  if (api !== "hint") throw new TypeError("--server=node-server goes with --api=hint");
  // @hono/node-server's contract: app.fetch(request, { incoming, outgoing }),
  // with the request's signal aborted when the response closes unfinished.
  const server = http.createServer(async (incoming, outgoing) => {
    const controller = new AbortController();
    outgoing.once("close", () => {
      if (!outgoing.writableFinished) controller.abort();
    });
    const request = new Request(`http://127.0.0.1${incoming.url}`, {
      method: incoming.method ?? "GET",
      signal: controller.signal,
    });
    const response = await app.fetch(request, { incoming, outgoing });
    if (outgoing.destroyed) {
      await response.body?.cancel();
      return;
    }
    outgoing.writeHead(response.status, Object.fromEntries(response.headers));
    if (response.body === null) {
      outgoing.end();
      return;
    }
    for await (const chunk of response.body) {
      if (outgoing.destroyed) break;
      outgoing.write(chunk);
    }
    outgoing.end();
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  port = typeof address === "object" && address !== null ? address.port : 0;
  quit = () => {
    server.close();
    server.closeAllConnections();
  };
} else {
  const server = await serve((request) => app.fetch(request), {
    hostname: "127.0.0.1",
    port: 0,
    adapter: serverKind === "node-http" ? "node-http" : undefined,
  });
  port = server.addr.transport === "tcp" ? server.addr.port : 0;
  quit = () => void server.close();
}
console.log(`listening ${port}`);
