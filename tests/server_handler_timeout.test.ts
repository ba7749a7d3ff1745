/**
 * `limits.handlerTimeout` on every transport (tests/_support/transports.ts): a
 * handler that never returns its final response gets a 503 with
 * `Connection: close`, its `request.signal` aborts with a `TimeoutError` and
 * `onError` is told; a handler within the limit, and a body that streams
 * past it, are untouched.
 */

import { test } from "node:test";
import assert from "node:assert/strict";
import { resolveServeLimits } from "../src/server/limits.ts";
import { sendInformational } from "../src/server/send_informational.ts";
import type { InformationalResult } from "../src/server/types.ts";
import { rawRequest, statusLines } from "./_support/server_raw.ts";
import { delay, withServer } from "./_support/server_util.ts";
import { TRANSPORTS } from "./_support/transports.ts";

const GET_CLOSE = "GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n";
// The deadline sweep runs every quarter of the shortest timeout, the
// handler's included (at most 1 s), so a 300 ms deadline fires within ~400 ms.
const LIMITS = { handlerTimeout: 300, idleTimeout: 400 };

test("limits.handlerTimeout defaults to 5 minutes and can be turned off", () => {
  assert.equal(resolveServeLimits(undefined).handlerTimeout, 300_000);
  assert.equal(resolveServeLimits({ handlerTimeout: Infinity }).handlerTimeout, Infinity);
  assert.throws(() => resolveServeLimits({ handlerTimeout: 0 }), RangeError);
});

for (const { name, options } of TRANSPORTS) {
  test(`${name}: a handler that never resolves gets a 503 and an aborted signal after limits.handlerTimeout`, async () => {
    const errors: unknown[] = [];
    let abortReason: unknown;
    await withServer(
      (request) => {
        request.signal.addEventListener("abort", () => (abortReason = request.signal.reason));
        return new Promise<Response>(() => {});
      },
      // handlerTimeout alone: the sweep must follow it, not only the other timeouts.
      { ...options, limits: { handlerTimeout: 300 }, onError: (error) => errors.push(error) },
      async (_server, port) => {
        const started = Date.now();
        const { text, closed, timedOut } = await rawRequest(port, GET_CLOSE, { timeoutMs: 5_000 });
        const elapsed = Date.now() - started;
        assert.equal(timedOut, false, "the server answered");
        assert.deepEqual(statusLines(text), ["HTTP/1.1 503 Service Unavailable"]);
        assert.match(text, /\r\nconnection: close\r\n/i);
        assert.equal(closed, true);
        assert.ok(elapsed >= 290, `answered after ${elapsed} ms, before the deadline`);
        // Before the sweep followed handlerTimeout it ran every second: 1-2 s.
        assert.ok(elapsed < 950, `answered ${elapsed} ms after the request, long past 300 ms`);
      },
    );
    assert.equal((abortReason as DOMException | undefined)?.name, "TimeoutError");
    assert.equal(errors.length, 1);
    assert.match(String(errors[0]), /limits\.handlerTimeout \(300 ms\)/);
  });
}

for (const { name, options } of TRANSPORTS) {
  test(`${name}: a hint from a handler past limits.handlerTimeout reports the connection closed, without the late-timer warning`, async () => {
    const warnings: string[] = [];
    const originalWarn = console.warn;
    console.warn = (...args: unknown[]) => void warnings.push(args.join(" "));
    let result: InformationalResult | undefined;
    try {
      await withServer(
        (request) =>
          new Promise<Response>((resolve) => {
            request.signal.addEventListener("abort", () => {
              // The handler goes on after the 503, as one that ignores its signal would.
              setTimeout(() => {
                result = sendInformational(request, 103, { link: "</a.css>; rel=preload" });
                resolve(new Response("late"));
              }, 50);
            });
          }),
        { ...options, limits: LIMITS },
        async (_server, port) => {
          const { text } = await rawRequest(port, GET_CLOSE, { timeoutMs: 5_000 });
          assert.deepEqual(statusLines(text), ["HTTP/1.1 503 Service Unavailable"]);
          await delay(150);
        },
      );
    } finally {
      console.warn = originalWarn;
    }
    assert.deepEqual(result, { sent: false, reason: "closed" });
    assert.deepEqual(warnings, []);
  });
}

for (const { name, options } of TRANSPORTS) {
  test(`${name}: a handler that answers after limits.handlerTimeout has its response dropped`, async () => {
    await withServer(
      async () => {
        await delay(900);
        return new Response("late");
      },
      { ...options, limits: LIMITS },
      async (_server, port) => {
        const { text } = await rawRequest(port, GET_CLOSE, { timeoutMs: 5_000 });
        assert.deepEqual(statusLines(text), ["HTTP/1.1 503 Service Unavailable"]);
        assert.doesNotMatch(text, /late/);
      },
    );
  });
}

for (const { name, options } of TRANSPORTS) {
  test(`${name}: limits.handlerTimeout leaves a prompt handler and a body streaming past it alone`, async () => {
    const encoder = new TextEncoder();
    await withServer(
      async (request) => {
        if (request.url.endsWith("/quick")) {
          await delay(50);
          return new Response("quick");
        }
        let sent = 0;
        // The head goes out at once; the body takes ~900 ms, three handler timeouts.
        return new Response(
          new ReadableStream<Uint8Array>({
            async pull(controller) {
              await delay(150);
              if (sent === 6) controller.close();
              else controller.enqueue(encoder.encode(`part${sent++};`));
            },
          }),
        );
      },
      { ...options, limits: LIMITS },
      async (_server, port) => {
        const quick = await rawRequest(port, GET_CLOSE.replace("/", "/quick"));
        assert.deepEqual(statusLines(quick.text), ["HTTP/1.1 200 OK"]);
        assert.match(quick.text, /\r\n\r\nquick$/);
        const slow = await rawRequest(port, GET_CLOSE.replace("/", "/slow"), { timeoutMs: 5_000 });
        assert.deepEqual(statusLines(slow.text), ["HTTP/1.1 200 OK"]);
        assert.match(slow.text, /part0;/);
        assert.match(slow.text, /part5;\r\n0\r\n\r\n$/);
      },
    );
  });
}
