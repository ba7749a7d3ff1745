/**
 * Test support: the page server of the learned-hints browser and curl tests
 * (learned_hints_browser.test.ts), with the same kind of log as the preload
 * tests' server, which is what those tests judge by.
 *
 * `GET /` has no hint code: it waits {@linkcode FINAL_DELAY_MS} and answers
 * a page that uses `/style.css`, naming the stylesheet only in the `Link`
 * header of its final response. Any 103 comes from `learnedHints()`, which
 * sits in front of the route (as Hono middleware, or through
 * `learned.wrap()` around a plain fetch handler).
 *
 * The log's `103 sent` is written by the server's `hintPolicy`, which the
 * exchange asks synchronously just before it writes the first interim
 * response other than 100; nothing but `learnedHints()` sends one here, so
 * that is the learned 103 leaving. A 103 refused after the policy said yes
 * (too large, the client gone) could not be preloaded from, so the browser
 * judgement would fail rather than pass by it.
 *
 * @module
 */

import { Hono } from "hono";
import { type LearnedHints, learnedHints, serve, type ServeOptions } from "../../server.ts";
import { type LogEntry, PAGE, STYLE } from "./browser_preload_server.ts";

/** The `Link` the page route sets on its final response, and the only place it names it. */
export const PAGE_LINK = "</style.css>; rel=preload; as=style";
/** How long the page route takes to answer: a preload must happen in this gap to count. */
export const FINAL_DELAY_MS = 1_500;

/** Options of {@linkcode startLearnedPageServer}. */
export interface LearnedPageServerOptions {
  /** A Hono app with `app.use(learned)`, or a plain handler through `learned.wrap()`. */
  readonly app: "hono" | "wrap";
  /** How long the page route takes; default {@linkcode FINAL_DELAY_MS}. */
  readonly finalDelayMs?: number;
  /** The TLS certificate and key, and `http2` (default on with TLS). */
  readonly serve: Pick<ServeOptions, "cert" | "key" | "http2">;
}

/** A running page server. */
export interface LearnedPageServer {
  /** `https://127.0.0.1:PORT` (the test certificate names 127.0.0.1). */
  readonly origin: string;
  /** Everything that happened so far, in order, over every visit. */
  readonly log: readonly LogEntry[];
  /** The middleware in front of the route. */
  readonly learned: LearnedHints;
  /** Closes the server. */
  close(): Promise<void>;
}

/**
 * Starts the page server on 127.0.0.1 over TLS.
 *
 * @param options Whether to learn, the app's shape, the route's delay, TLS and protocol.
 * @returns The running server with its log.
 */
export async function startLearnedPageServer(
  options: LearnedPageServerOptions,
): Promise<LearnedPageServer> {
  const log: LogEntry[] = [];
  const now = () => performance.now();
  const note = (error: unknown) => log.push({ event: "error", detail: String(error), at: now() });
  const finalDelayMs = options.finalDelayMs ?? FINAL_DELAY_MS;
  const learned = learnedHints();

  /** The page route: no hint code, only a Link header on the final response. */
  const page = async (): Promise<Response> => {
    log.push({ event: "handler started", at: now() });
    await sleep(finalDelayMs);
    // Logged before the 200 is written: a request logged earlier came before it.
    log.push({ event: "200 returned", at: now() });
    return new Response(PAGE, {
      headers: { "content-type": "text/html; charset=utf-8", link: PAGE_LINK },
    });
  };
  // Cacheable: Chromium fetches a preloaded response again when it cannot
  // reuse it. Each browser run has a fresh profile, so no visit reuses
  // another's copy.
  const style = () =>
    new Response(STYLE, {
      headers: { "content-type": "text/css", "cache-control": "max-age=60" },
    });
  const route = (path: string) =>
    path === "/" ? page() : path === "/style.css" ? style() : notFound();

  const arrive = (request: Request): void => {
    log.push({ event: "request", path: new URL(request.url).pathname, at: now() });
  };

  let handler: (request: Request) => Promise<Response>;
  if (options.app === "hono") {
    const app = new Hono();
    app.use(async (c, next) => {
      arrive(c.req.raw);
      await next();
    });
    app.use(learned);
    app.get("*", (c) => route(c.req.path));
    handler = async (request) => await app.fetch(request);
  } else {
    const inner = (request: Request) => route(new URL(request.url).pathname);
    const wrapped = learned.wrap(inner);
    handler = async (request) => {
      arrive(request);
      return await wrapped(request);
    };
  }

  const server = await serve(handler, {
    hostname: "127.0.0.1",
    port: 0,
    onError: note,
    hintPolicy: () => {
      log.push({ event: "103 sent", at: now() });
      return true;
    },
    ...options.serve,
  });
  const addr = server.addr;
  if (addr.transport !== "tcp") throw new Error(`expected a TCP listener, got ${addr.transport}`);
  return { origin: `https://127.0.0.1:${addr.port}`, log, learned, close: () => server.close() };
}

function notFound(): Response {
  return new Response("not found", { status: 404 });
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
