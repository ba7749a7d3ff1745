/**
 * The judgements the browser tests share, read from the server's own log:
 * a stylesheet preloaded from a 103 (requested after the 103 left and
 * before the 200 was written), or not preloaded, and what the page's
 * script reported in Chromium.
 */

import assert from "node:assert/strict";
import type { BrowserRun } from "./browser.ts";
import { type LogEntry, preloadTimes, STYLE_COLOUR } from "./browser_preload_server.ts";

/**
 * The first /style.css request came after the 103 left and before the 200
 * was written.
 *
 * @param log The server's log.
 * @param context What to print on failure.
 */
export function assertPreloaded(log: readonly LogEntry[], context: string): void {
  const { hint, final, style } = preloadTimes(log);
  assert.ok(hint !== undefined, `the 103 was sent\n${context}`);
  assert.ok(final !== undefined, `the 200 was returned\n${context}`);
  assert.ok(style !== undefined, `/style.css was requested\n${context}`);
  assert.ok(style > hint, `/style.css was requested after the 103\n${context}`);
  assert.ok(style < final, `/style.css was requested before the 200 was written\n${context}`);
}

/**
 * No 103 was sent, and the first /style.css request came only after the 200.
 *
 * @param log The server's log.
 * @param context What to print on failure.
 */
export function assertNotPreloaded(log: readonly LogEntry[], context: string): void {
  const { hint, final, style } = preloadTimes(log);
  assert.equal(hint, undefined, `no 103 was sent\n${context}`);
  assert.ok(final !== undefined, `the 200 was returned\n${context}`);
  assert.ok(style !== undefined, `/style.css was requested\n${context}`);
  assert.ok(style > final, `/style.css was requested only after the 200\n${context}`);
}

/**
 * What the page's script wrote in Chromium: it came over h2 and its
 * stylesheet applied.
 *
 * @param run The browser run (its stdout is the dumped DOM).
 * @param context What to print on failure.
 */
export function assertChromiumPage(run: BrowserRun, context: string): void {
  const report = /<p id="report">([^<]*)<\/p>/.exec(run.stdout)?.[1];
  assert.equal(
    report,
    `protocol=h2 colour=${STYLE_COLOUR}`,
    `the page came over h2 and its stylesheet applied\n${context}\ndom:\n${run.stdout}`,
  );
}
