/**
 * Test support: when the parts of a response reach a client in another
 * process (`timed_client.ts`), so a test can see bytes leave a server whose
 * event loop is busy; and a busy loop standing in for synchronous rendering.
 *
 * @module
 */

import assert from "node:assert/strict";
import { startProgram } from "./run_ts.ts";

/** Keeps the event loop busy, as a synchronous render would. */
export function busyFor(ms: number): void {
  const until = Date.now() + ms;
  while (Date.now() < until) {
    // spin
  }
}

/** When each part reached a client in another process, in ms after its request. */
export async function arrivalTimes(
  port: number,
  path: string,
): Promise<{ hint: number; final: number }> {
  const client = startProgram("tests/_support/timed_client.ts", [String(port), path]);
  try {
    await client.waitForLine(/^end$/, 8_000);
  } finally {
    await client.stop();
  }
  let received = "";
  let hint = -1;
  let final = -1;
  for (const line of client.lines) {
    if (!line.startsWith("{")) continue;
    const chunk = JSON.parse(line) as { ms: number; text: string };
    received += chunk.text;
    if (hint < 0 && received.includes("103 Early Hints")) hint = chunk.ms;
    if (final < 0 && received.includes("200 OK")) final = chunk.ms;
  }
  assert.ok(hint >= 0 && final >= 0, `both parts arrived: ${JSON.stringify(client.lines)}`);
  assert.ok(received.indexOf("103 Early Hints") < received.indexOf("200 OK"), "103 first");
  return { hint, final };
}
