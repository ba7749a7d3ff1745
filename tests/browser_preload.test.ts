/**
 * Proof in real browsers (issue 14, part 4): a page served by `serve()` over
 * TLS sends a `103` with `link: </style.css>; rel=preload; as=style` while the
 * final response is still a second and a half away, and the browser fetches
 * the stylesheet in that gap. Judged by the server's own log: the first
 * request for /style.css arrives after the 103 left and before the 200 was
 * written. Headless Chromium loads the page directly over HTTP/2 (it ignores
 * a 103 over HTTP/1.1), headless Firefox over HTTP/1.1. A control without the
 * 103 shows the same judgement failing: the stylesheet then comes after the
 * 200. The browsers trust the test CA through a fresh NSS database; without
 * the Debian packages these tests skip and say what to install.
 */

import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import {
  type BrowserName,
  type BrowserRun,
  browserSkipReason,
  runBrowser,
} from "./_support/browser.ts";
import {
  formatLog,
  type PreloadServer,
  startPreloadServer,
} from "./_support/browser_preload_server.ts";
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

/** Serves the page, loads it once in `browser`, and hands both outcomes to `judge`. */
async function loadPage(
  browser: BrowserName,
  options: { hint: boolean; http2: ServeOptions["http2"] },
  judge: (server: PreloadServer, run: BrowserRun, context: string) => void,
): Promise<void> {
  const server = await startPreloadServer({
    hint: options.hint,
    serve: { cert, key, http2: options.http2 },
  });
  try {
    const run = await runBrowser(browser, `${server.origin}/`, {
      caFile: CA_FILE,
      timeoutMs: BROWSER_TIMEOUT_MS,
    });
    const context = `server log (ms after GET /):\n${formatLog(server.log)}\n` +
      `${browser} exit ${run.code}${run.timedOut ? " (timed out)" : ""}; ` +
      `stderr tail:\n${run.stderr.slice(-2_000)}`;
    assert.ok(
      !run.timedOut,
      `${browser} did not finish within ${BROWSER_TIMEOUT_MS} ms\n${context}`,
    );
    assert.equal(run.code, 0, `${browser} exit code\n${context}`);
    assert.ok(
      !server.log.some((e) => e.event === "error"),
      `the server reported no error\n${context}`,
    );
    judge(server, run, context);
  } finally {
    await server.close();
  }
}

const chromiumSkip = browserSkipReason("chromium");
const firefoxSkip = browserSkipReason("firefox-esr");

test(
  "chromium over h2 requests the hinted stylesheet after the 103 and before the 200",
  { skip: chromiumSkip },
  async () => {
    await loadPage("chromium", { hint: true, http2: undefined }, (server, run, context) => {
      assertChromiumPage(run, context);
      assertPreloaded(server.log, context);
    });
  },
);

test(
  "chromium over h2 without a 103 requests the stylesheet only after the 200 (control)",
  { skip: chromiumSkip },
  async () => {
    await loadPage("chromium", { hint: false, http2: undefined }, (server, run, context) => {
      assertChromiumPage(run, context);
      assertNotPreloaded(server.log, context);
    });
  },
);

test(
  "firefox over HTTP/1.1 requests the hinted stylesheet after the 103 and before the 200",
  { skip: firefoxSkip },
  async () => {
    // http2: false makes the server offer only http/1.1 through ALPN.
    await loadPage("firefox-esr", { hint: true, http2: false }, (server, run, context) => {
      assert.ok(run.screenshot, `firefox reached the page's load event\n${context}`);
      assertPreloaded(server.log, context);
    });
  },
);
