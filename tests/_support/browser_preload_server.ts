/**
 * Test support: the page server of the browser preload tests, with its own
 * log of when things happened, which is what those tests judge by.
 *
 * `GET /` waits {@linkcode HINT_DELAY_MS}, sends a `103` that preloads
 * `/style.css` (unless hints are off), waits {@linkcode FINAL_DELAY_MS} and
 * answers a page that uses `/style.css`. `/style.css` is cacheable, since
 * Chromium fetches a preloaded response again when it cannot reuse it.
 *
 * @module
 */

import { sendInformational, serve, type ServeOptions } from "../../server.ts";

/**
 * Before the hint: Chromium drops a 103 that arrives before it has finished
 * sending its own request, which loopback makes possible; 100–300 ms keeps
 * the test off that race, and makes a 103 that a runtime holds back until the
 * final response (Deno's `node:http2` without the flush) show as a failure
 * instead of being flushed by the browser's own frames.
 */
export const HINT_DELAY_MS = 150;
/** Between the hint and the final response: time for the browser's preload. */
export const FINAL_DELAY_MS = 1_500;

/** The colour the stylesheet gives the body, which the page reports back. */
export const STYLE_COLOUR = "rgb(1, 2, 3)";

/** The page: it loads `/style.css` and reports its protocol and the stylesheet's colour. */
export const PAGE = `<!doctype html>
<html>
<head>
<meta charset="utf-8">
<title>interim preload test</title>
<link rel="stylesheet" href="/style.css">
</head>
<body>
<p id="report">waiting</p>
<script>
// Runs after the stylesheet has loaded (a script waits for pending styles).
const navigation = performance.getEntriesByType("navigation")[0];
document.getElementById("report").textContent = "protocol=" +
  (navigation ? navigation.nextHopProtocol : "unknown") + " colour=" +
  getComputedStyle(document.body).color;
</script>
</body>
</html>
`;

/** The stylesheet, which gives the body {@linkcode STYLE_COLOUR}. */
export const STYLE = `body { color: ${STYLE_COLOUR}; }\n`;
const LINK = "</style.css>; rel=preload; as=style";

/** One line of the server's log; `at` is `performance.now()` in the server. */
export type LogEntry =
  | { readonly event: "request"; readonly path: string; readonly at: number }
  | { readonly event: "103 sent"; readonly at: number }
  | { readonly event: "handler started"; readonly at: number }
  | { readonly event: "200 returned"; readonly at: number }
  | { readonly event: "error"; readonly detail: string; readonly at: number };

/** A running page server. */
export interface PreloadServer {
  /** `https://127.0.0.1:PORT` (the test certificate names 127.0.0.1). */
  readonly origin: string;
  /** Everything that happened so far, in order. */
  readonly log: readonly LogEntry[];
  /** Closes the server. */
  close(): Promise<void>;
}

/** Options of {@linkcode startPreloadServer}. */
export interface PreloadServerOptions {
  /** Send the 103 (the control runs without it). */
  readonly hint: boolean;
  /** The TLS certificate and key, and `http2` (default on with TLS). */
  readonly serve: Pick<ServeOptions, "cert" | "key" | "http2">;
}

/**
 * Starts the page server on 127.0.0.1 over TLS.
 *
 * @param options Whether to hint, and the TLS and protocol options.
 * @returns The running server with its log.
 */
export async function startPreloadServer(options: PreloadServerOptions): Promise<PreloadServer> {
  const log: LogEntry[] = [];
  const note = (error: unknown) =>
    log.push({ event: "error", detail: String(error), at: performance.now() });
  const server = await serve(async (request) => {
    const path = new URL(request.url).pathname;
    log.push({ event: "request", path, at: performance.now() });
    if (path === "/style.css") {
      return new Response(STYLE, {
        headers: { "content-type": "text/css", "cache-control": "max-age=60" },
      });
    }
    if (path !== "/") return new Response("not found", { status: 404 });
    await sleep(HINT_DELAY_MS);
    if (options.hint) {
      const result = sendInformational(request, 103, { link: LINK });
      if (result.sent) log.push({ event: "103 sent", at: performance.now() });
      else note(`the 103 was not sent: ${result.reason}`);
    }
    await sleep(FINAL_DELAY_MS);
    // Logged before the 200 is written: a request logged earlier came before it.
    log.push({ event: "200 returned", at: performance.now() });
    return new Response(PAGE, { headers: { "content-type": "text/html; charset=utf-8" } });
  }, { hostname: "127.0.0.1", port: 0, onError: note, ...options.serve });
  const addr = server.addr;
  if (addr.transport !== "tcp") throw new Error(`expected a TCP listener, got ${addr.transport}`);
  return { origin: `https://127.0.0.1:${addr.port}`, log, close: () => server.close() };
}

/**
 * The log as readable lines, in ms after the first request for the page.
 *
 * @param log The server's log.
 * @returns One line per entry.
 */
export function formatLog(log: readonly LogEntry[]): string {
  const start = log.find((e) => e.event === "request" && e.path === "/")?.at ?? log[0]?.at ?? 0;
  return log.map((e) => {
    const at = `+${(e.at - start).toFixed(0).padStart(5)} ms`;
    switch (e.event) {
      case "request":
        return `${at} GET ${e.path}`;
      case "error":
        return `${at} error: ${e.detail}`;
      default:
        return `${at} ${e.event}`;
    }
  }).join("\n");
}

/** The times the judgement needs, from the server's log. */
export interface PreloadTimes {
  /** When the 103 left `sendInformational`, if it did. */
  readonly hint: number | undefined;
  /** When the handler returned the 200 (it is written after that). */
  readonly final: number | undefined;
  /** When the first request for `/style.css` arrived, if any did. */
  readonly style: number | undefined;
}

/**
 * Reads the judgement's times out of the log.
 *
 * @param log The server's log.
 * @returns The first occurrence of each event.
 */
export function preloadTimes(log: readonly LogEntry[]): PreloadTimes {
  return {
    hint: log.find((e) => e.event === "103 sent")?.at,
    final: log.find((e) => e.event === "200 returned")?.at,
    style: log.find((e) => e.event === "request" && e.path === "/style.css")?.at,
  };
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
