/**
 * Proof in real peers that `learnedHints()` (issue 15, part 1) works with no
 * hint code in the route: "After one visit, curl sees the learned 103.
 * Chromium (h2) and Firefox (h1) preload on the second visit."
 *
 * The page route (tests/_support/learned_hints_page_server.ts) only sets
 * `Link: </style.css>; rel=preload; as=style` on its final response, which
 * takes 1.5 s; a preload must happen in that gap to count.
 *
 * - Browsers: a Hono app with `app.use(learnedHints())` served by `serve()`
 *   over TLS. The first browser run teaches the server and must get no 103
 *   (its stylesheet comes after the 200); a second run, in a fresh profile
 *   (so no cache is shared: the memory is the server's), must get the
 *   learned 103 before the handler starts and fetch /style.css after the
 *   103 and before the 200, judged by the server's own log as in
 *   browser_preload.test.ts. Headless Chromium over HTTP/2, Firefox ESR over
 *   HTTP/1.1. The first visit is the control: the same page without a 103
 *   gets its stylesheet only after the 200, so the judgement can fail
 *   (browser_preload.test.ts has the same control for a hand-written 103).
 * - curl: a plain handler through `learned.wrap()`. A first navigation-like
 *   request (`Sec-Fetch-Mode: navigate`, `Accept: text/html`) shows no 103; a
 *   second shows `HTTP/1.1 103` (and, with `--http2`, `HTTP/2 103`) with the
 *   learned link, well before the 200.
 *
 * Chromium drops a 103 that arrives on loopback before it has finished
 * sending its request (docs/compatibility.md), and a learned 103 leaves at
 * once (0-11 ms after the request was logged here). Over HTTP/2 that did not
 * bite (likely because an HTTP/2 GET is one HEADERS frame, whole before the
 * server sees it): Chromium preloaded from the learned 103 in all 17 runs here
 * (Deno, Bun, Node 22, 24 and 26, load average up to 5 on two cores), so the
 * app has no delay in front of the middleware. (Chromium does not act on a
 * 103 over HTTP/1.1 at all; Firefox, which does, preloaded too.)
 *
 * Without the browsers, certutil or curl these tests skip and say what to
 * install.
 */

import { test } from "node:test";
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import {
  type BrowserName,
  type BrowserRun,
  browserSkipReason,
  findExecutable,
  runBrowser,
} from "./_support/browser.ts";
import { formatLog, type LogEntry, preloadTimes } from "./_support/browser_preload_server.ts";
import {
  type LearnedPageServer,
  PAGE_LINK,
  startLearnedPageServer,
} from "./_support/learned_hints_page_server.ts";
import {
  assertChromiumPage,
  assertNotPreloaded,
  assertPreloaded,
} from "./_support/preload_assertions.ts";
import type { ServeOptions } from "../server.ts";

const FIXTURES = fileURLToPath(new URL("fixtures/tls/", import.meta.url));
const CA_FILE = path.join(FIXTURES, "test-ca-cert.pem");
const cert = readFileSync(path.join(FIXTURES, "test-server-cert.pem"), "utf8");
const key = readFileSync(path.join(FIXTURES, "test-server-key.pem"), "utf8");

const BROWSER_TIMEOUT_MS = 30_000;
const CURL_TIMEOUT_S = 10;
/** The curl tests' route is quicker: curl has no startup to wait out. */
const CURL_FINAL_DELAY_MS = 500;

/** One browser visit: what the server logged during it, and how the browser ended. */
interface Visit {
  readonly log: readonly LogEntry[];
  readonly run: BrowserRun;
  /** The server's log of this visit and the browser's exit, for assertion messages. */
  readonly context: string;
}

/**
 * Starts the page server, loads the page in `browser` twice (two runs, each
 * with a fresh profile) and hands both visits to `judge`.
 */
async function visitTwice(
  browser: BrowserName,
  options: { http2: ServeOptions["http2"] },
  judge: (first: Visit, second: Visit, server: LearnedPageServer) => void,
): Promise<void> {
  const server = await startLearnedPageServer({
    app: "hono",
    serve: { cert, key, http2: options.http2 },
  });
  try {
    const first = await visit(server, browser, "first");
    const second = await visit(server, browser, "second");
    judge(first, second, server);
  } finally {
    await server.close();
  }
}

/** One browser run against the page; checks that it ended well and the server saw no error. */
async function visit(
  server: LearnedPageServer,
  browser: BrowserName,
  name: string,
): Promise<Visit> {
  const start = server.log.length;
  const run = await runBrowser(browser, `${server.origin}/`, {
    caFile: CA_FILE,
    timeoutMs: BROWSER_TIMEOUT_MS,
  });
  const log = server.log.slice(start);
  const context = `${name} visit, server log (ms after GET /):\n${formatLog(log)}\n` +
    `${browser} exit ${run.code}${run.timedOut ? " (timed out)" : ""}; ` +
    `stderr tail:\n${run.stderr.slice(-2_000)}`;
  assert.ok(!run.timedOut, `${browser} did not finish within ${BROWSER_TIMEOUT_MS} ms\n${context}`);
  assert.equal(run.code, 0, `${browser} exit code\n${context}`);
  assert.ok(!log.some((e) => e.event === "error"), `the server reported no error\n${context}`);
  if (browser === "chromium") assertChromiumPage(run, context);
  else assert.ok(run.screenshot, `firefox reached the page's load event\n${context}`);
  return { log, run, context };
}

/** The learned 103 left before the route ran, and the stylesheet came between it and the 200. */
function assertPreloadedFromLearned({ log, context }: Visit): void {
  const { hint } = preloadTimes(log);
  const handler = log.find((e) => e.event === "handler started")?.at;
  assert.ok(handler !== undefined, `the route ran\n${context}`);
  assert.ok(
    hint !== undefined && hint <= handler,
    `the 103 left before the route started\n${context}`,
  );
  assertPreloaded(log, context);
}

/** What the server remembered: the page's route, with the link its 200 named. */
function assertLearnedPage(server: LearnedPageServer, context: string): void {
  assert.deepEqual(
    server.learned?.entries().map((entry) => [entry.key, entry.links]),
    [["GET /", [PAGE_LINK]]],
    `the server learned GET / from the first visit\n${context}`,
  );
}

const chromiumSkip = browserSkipReason("chromium");
const firefoxSkip = browserSkipReason("firefox-esr");

test(
  "chromium over h2 preloads from the learned 103 on the second visit, not on the first",
  { skip: chromiumSkip },
  async () => {
    await visitTwice("chromium", { http2: undefined }, (first, second, server) => {
      assertNotPreloaded(first.log, first.context);
      assertLearnedPage(server, first.context);
      assertPreloadedFromLearned(second);
    });
  },
);

test(
  "firefox over HTTP/1.1 preloads from the learned 103 on the second visit, not on the first",
  { skip: firefoxSkip },
  async () => {
    // http2: false makes the server offer only http/1.1 through ALPN.
    await visitTwice("firefox-esr", { http2: false }, (first, second, server) => {
      assertNotPreloaded(first.log, first.context);
      assertLearnedPage(server, first.context);
      assertPreloadedFromLearned(second);
    });
  },
);

/** Why curl cannot run these tests, or `false`; and why not over HTTP/2. */
async function curlSkipReasons(): Promise<{ any: string | false; http2: string | false }> {
  if (findExecutable("curl") === undefined) {
    const reason = "curl not installed: apt-get install curl";
    return { any: reason, http2: reason };
  }
  const version = await new Promise<string>((resolve) => {
    execFile("curl", ["-V"], { timeout: 5_000 }, (error, stdout) => {
      resolve(error === null ? stdout : `curl -V failed: ${error.message}`);
    });
  });
  if (!/^curl /.test(version)) return { any: version, http2: version };
  return {
    any: false,
    http2: /^Features:.*\bHTTP2\b/m.test(version) ? false : "this curl has no HTTP/2 support",
  };
}

const curlSkip = await curlSkipReasons();

/** The response heads of one curl -v run: status lines and link fields, with curl's clock. */
interface CurlHeads {
  /** `< HTTP/1.1 103 Early Hints`, `< link: ...`, ..., without the time stamps. */
  readonly lines: string[];
  /** The ms of day of each status line, in order. */
  readonly statusTimes: number[];
  /** Everything curl wrote, for assertion messages. */
  readonly output: string;
}

/** One navigation-like request with curl -v over TLS, trusting the test CA. */
function curlNavigation(url: string, protocol: "--http1.1" | "--http2"): Promise<CurlHeads> {
  const args = [
    protocol,
    "-sv",
    "--trace-time",
    "--max-time",
    String(CURL_TIMEOUT_S),
    "--cacert",
    CA_FILE,
    "-H",
    "Sec-Fetch-Mode: navigate",
    "-H",
    "Accept: text/html",
    "-o",
    "/dev/null",
    url,
  ];
  return new Promise((resolve, reject) => {
    execFile(
      "curl",
      args,
      { timeout: (CURL_TIMEOUT_S + 5) * 1000 },
      (error, stdout, stderr) => {
        const output = stderr + stdout;
        if (error !== null) {
          reject(new Error(`curl ${args.join(" ")} failed: ${error.message}\n${output}`));
          return;
        }
        const heads = output.split("\n").filter((line) =>
          /< (HTTP\/[\d.]+ \d{3}|link:)/i.test(line)
        );
        resolve({
          lines: heads.map((line) => line.replace(/^[\d:.]+ /, "").trim()),
          statusTimes: heads.filter((line) => /< HTTP\//.test(line)).map(msOfDay),
          output,
        });
      },
    );
  });
}

/** `HH:MM:SS.ffffff` at the start of a --trace-time line, in ms. */
function msOfDay(line: string): number {
  const [h, m, s] = line.split(" ")[0]!.split(":").map(Number);
  return ((h! * 60 + m!) * 60 + s!) * 1000;
}

/**
 * First request: no 103, a 200 naming the link. Second: the learned 103
 * with that link, before the route ran and well before the 200.
 */
async function assertCurlLearns(
  server: LearnedPageServer,
  protocol: "--http1.1" | "--http2",
  version: "HTTP/1.1" | "HTTP/2",
): Promise<void> {
  const ok = version === "HTTP/1.1" ? "HTTP/1.1 200 OK" : "HTTP/2 200";
  const early = version === "HTTP/1.1" ? "HTTP/1.1 103 Early Hints" : "HTTP/2 103";
  const link = `< link: ${PAGE_LINK}`;

  const first = await curlNavigation(`${server.origin}/`, protocol);
  assert.deepEqual(first.lines, [`< ${ok}`, link], `first visit: no 103\n${first.output}`);

  const start = server.log.length;
  const second = await curlNavigation(`${server.origin}/?second`, protocol);
  const context = `${second.output}\nserver log:\n${formatLog(server.log.slice(start))}`;
  assert.deepEqual(
    second.lines,
    [`< ${early}`, link, `< ${ok}`, link],
    `second visit: the learned 103 before the 200\n${context}`,
  );
  const [hintAt, finalAt] = second.statusTimes;
  assert.ok(
    finalAt! - hintAt! >= CURL_FINAL_DELAY_MS * 0.8,
    `the 103 came ${finalAt! - hintAt!} ms before the 200, not at once\n${context}`,
  );
  const { hint } = preloadTimes(server.log.slice(start));
  const handler = server.log.slice(start).find((e) => e.event === "handler started")?.at;
  assert.ok(
    hint !== undefined && handler !== undefined && hint <= handler,
    `the 103 left before the route started\n${context}`,
  );
}

/** A plain fetch handler through `learned.wrap()`, served over TLS (h2 and http/1.1). */
async function withWrappedServer(run: (server: LearnedPageServer) => Promise<void>): Promise<void> {
  const server = await startLearnedPageServer({
    app: "wrap",
    finalDelayMs: CURL_FINAL_DELAY_MS,
    serve: { cert, key },
  });
  try {
    await run(server);
    assert.ok(
      !server.log.some((e) => e.event === "error"),
      `the server reported no error\n${formatLog(server.log)}`,
    );
  } finally {
    await server.close();
  }
}

test(
  "curl over HTTP/1.1 sees the learned 103 on the second navigation, none on the first",
  { skip: curlSkip.any },
  async () => {
    await withWrappedServer((server) => assertCurlLearns(server, "--http1.1", "HTTP/1.1"));
  },
);

test(
  "curl --http2 sees the learned 103 on the second navigation, none on the first",
  { skip: curlSkip.http2 },
  async () => {
    await withWrappedServer((server) => assertCurlLearns(server, "--http2", "HTTP/2"));
  },
);
