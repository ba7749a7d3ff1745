/**
 * `sendInformational()` on every transport (tests/_support/transports.ts):
 * validation, HTTP/1.0, ordering, the final-response boundary, observed by
 * raw bytes, `node:http.request`'s `information` event, curl and our client.
 */

import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import http from "node:http";
import { fetch } from "../client.ts";
import { sendInformational } from "../server.ts";
import { forgetWarnings } from "../src/server/warn_once.ts";
import { rawRequest, statusLines } from "./_support/server_raw.ts";
import { arrivalTimes, busyFor } from "./_support/arrival_times.ts";
import { delay, within, withServer } from "./_support/server_util.ts";
import { bunNodeHttpGap, TRANSPORTS } from "./_support/transports.ts";
import { assertPipelinedInterim, pipelinedInterimHandler } from "./_support/interim_heads.ts";

/** A handler sending three 103s (and a 102) apart, then 200. */
async function threeHints(request: Request): Promise<Response> {
  for (let index = 0; index < 3; index++) {
    sendInformational(request, 103, {
      link: `</style-${index}.css>; rel=preload; as=style`,
      "x-hint-index": String(index),
    });
    await delay(10);
  }
  sendInformational(request, 102);
  return new Response("done");
}

for (const { name, options } of TRANSPORTS) {
  test(`${name}: sendInformational() writes each interim response before the final one, in order`, async () => {
    await withServer(threeHints, options, async (_server, port) => {
      const { text } = await rawRequest(
        port,
        "GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
      );
      assert.deepEqual(statusLines(text), [
        "HTTP/1.1 103 Early Hints",
        "HTTP/1.1 103 Early Hints",
        "HTTP/1.1 103 Early Hints",
        "HTTP/1.1 102 Processing",
        "HTTP/1.1 200 OK",
      ]);
      assert.deepEqual(text.match(/x-hint-index: \d/g), [
        "x-hint-index: 0",
        "x-hint-index: 1",
        "x-hint-index: 2",
      ]);
      assert.match(text, /\r\n\r\ndone$/);
    });
  });
}

for (const { name, options } of TRANSPORTS) {
  test(`${name}: node:http.request sees each 103 as an information event before the response`, async () => {
    await withServer(threeHints, options, async (_server, port) => {
      const seen = await new Promise<string[]>((resolve, reject) => {
        const events: string[] = [];
        const request = http.request({ host: "127.0.0.1", port, path: "/" }, (response) => {
          events.push(`response ${response.statusCode}`);
          response.resume();
          response.on("end", () => resolve(events));
        });
        request.on("information", (info) => {
          events.push(`${info.statusCode} ${info.headers["x-hint-index"] ?? "-"}`);
        });
        request.on("error", reject);
        request.setTimeout(5_000, () => request.destroy(new Error("timed out")));
        request.end();
      });
      assert.deepEqual(seen, ["103 0", "103 1", "103 2", "102 -", "response 200"]);
    });
  });
}

for (const { name, options } of TRANSPORTS) {
  test(`${name}: interim responses without link, 102 and a 103 with a link list reach node:http.request in order`, async () => {
    await withServer(
      async (request) => {
        sendInformational(request, 103, { "x-pod-name": "daemon-0", "x-pod-namespace": "default" });
        await delay(10);
        sendInformational(request, 102);
        sendInformational(request, 103, {
          link: ["</a.css>; rel=preload", "</b.js>; rel=preload"],
        });
        return new Response("done");
      },
      options,
      async (_server, port) => {
        const events = await new Promise<string[]>((resolve, reject) => {
          const seen: string[] = [];
          const request = http.request({ host: "127.0.0.1", port, path: "/" }, (response) => {
            seen.push(`response ${response.statusCode}`);
            response.resume();
            response.on("end", () => resolve(seen));
          });
          request.on("information", (info) => {
            seen.push(
              `${info.statusCode} ${info.headers["x-pod-name"] ?? info.headers.link ?? "-"}`,
            );
          });
          request.on("error", reject);
          request.setTimeout(5_000, () => request.destroy(new Error("timed out")));
          request.end();
        });
        assert.deepEqual(events, [
          "103 daemon-0",
          "102 -",
          "103 </a.css>; rel=preload, </b.js>; rel=preload",
          "response 200",
        ]);
      },
    );
  });
}

for (const { name, options } of TRANSPORTS) {
  test(`${name}: any 1xx with any fields reaches the client in order before its final response, pipelined`, async () => {
    await withServer(
      pipelinedInterimHandler,
      options,
      async (_server, port) => await assertPipelinedInterim(port),
    );
  });
}

for (const { name, options } of TRANSPORTS) {
  test(`${name}: our fetch sees the interim responses through onInformational`, async () => {
    await withServer(threeHints, options, async (_server, port) => {
      const seen: string[] = [];
      const response = await fetch(`http://127.0.0.1:${port}/`, {
        onInformational(info) {
          seen.push(`${info.status} ${info.headers.get("x-hint-index") ?? "-"}`);
        },
        signal: AbortSignal.timeout(5_000),
      });
      assert.equal(await response.text(), "done");
      assert.deepEqual(seen, ["103 0", "103 1", "103 2", "102 -"]);
    });
  });
}

const curlMissing = await new Promise<string | false>((resolve) => {
  const child = spawn("curl", ["--version"], { stdio: "ignore" });
  child.on("error", () => resolve("curl not installed"));
  child.on("exit", (code) => resolve(code === 0 ? false : "curl not installed"));
});

for (const { name, options } of TRANSPORTS) {
  test(`${name}: curl -v shows the 103 before the 200`, { skip: curlMissing }, async () => {
    await withServer(threeHints, options, async (_server, port) => {
      const stderr = await new Promise<string>((resolve, reject) => {
        const child = spawn("curl", ["-sv", "--max-time", "10", `http://127.0.0.1:${port}/`]);
        let output = "";
        child.stderr.on("data", (chunk: Buffer) => (output += chunk.toString()));
        child.stdout.resume();
        child.on("error", reject);
        child.on("close", () => resolve(output));
      });
      const heads = stderr.split("\n").filter((line) => /^< HTTP\/1\.1 \d{3}/.test(line))
        .map((line) => line.trim());
      assert.deepEqual(heads, [
        "< HTTP/1.1 103 Early Hints",
        "< HTTP/1.1 103 Early Hints",
        "< HTTP/1.1 103 Early Hints",
        "< HTTP/1.1 102 Processing",
        "< HTTP/1.1 200 OK",
      ]);
      assert.match(stderr, /< link: <\/style-0\.css>; rel=preload; as=style/);
    });
  });
}

for (const { name, options } of TRANSPORTS) {
  test(`${name}: sendInformational() sends nothing to an HTTP/1.0 client and says so`, async () => {
    let result: unknown;
    await withServer(
      (request) => {
        result = sendInformational(request, 103, { link: "</a.css>; rel=preload" });
        return new Response("ten");
      },
      options,
      async (_server, port) => {
        const { text } = await rawRequest(port, "GET / HTTP/1.0\r\n\r\n");
        assert.deepEqual(statusLines(text), ["HTTP/1.1 200 OK"]);
        assert.doesNotMatch(text, /link:/);
        assert.deepEqual(result, { sent: false, reason: "http/1.0" });
      },
    );
  });
}

for (const { name, options } of TRANSPORTS) {
  test(`${name}: sendInformational() refuses bad statuses and fields with clear errors`, async () => {
    const errors: Record<string, unknown> = {};
    await withServer(
      (request) => {
        const attempt = (name: string, call: () => unknown) => {
          try {
            call();
            errors[name] = "no error";
          } catch (error) {
            errors[name] = error;
          }
        };
        attempt("101", () => sendInformational(request, 101));
        attempt("99", () => sendInformational(request, 99));
        attempt("200", () => sendInformational(request, 200));
        attempt("103.5", () => sendInformational(request, 103.5));
        attempt("CRLF", () => sendInformational(request, 103, { "x-a": "1\r\nx-b: 2" }));
        attempt("NUL", () => sendInformational(request, 103, [["x-a", "a\0b"]]));
        attempt("name", () => sendInformational(request, 103, { "bad name": "1" }));
        attempt("content-length", () => sendInformational(request, 103, { "content-length": "0" }));
        attempt(
          "transfer-encoding",
          () => sendInformational(request, 103, { "transfer-encoding": "chunked" }),
        );
        return new Response("fine");
      },
      options,
      async (_server, port) => {
        const { text } = await rawRequest(
          port,
          "GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
        );
        // Nothing half-written: the refused hints left no bytes behind.
        assert.deepEqual(statusLines(text), ["HTTP/1.1 200 OK"]);
      },
    );
    for (const name of ["101", "99", "200", "103.5"]) {
      assert.ok(errors[name] instanceof RangeError, `${name}: ${errors[name]}`);
    }
    assert.match(String(errors["101"]), /final response/);
    for (const name of ["CRLF", "NUL", "name", "content-length", "transfer-encoding"]) {
      assert.ok(errors[name] instanceof TypeError, `${name}: ${errors[name]}`);
    }
  });
}

for (const { name, options } of TRANSPORTS) {
  test(`${name}: a late sendInformational() from a timer says why it sent nothing, and never throws`, async () => {
    forgetWarnings();
    const warnings: string[] = [];
    const originalWarn = console.warn;
    console.warn = (message: string) => warnings.push(message);
    let late: Promise<unknown> | undefined;
    let lateAgain: Promise<unknown> | undefined;
    /** The result of a call made from a timer, or what it threw. */
    const fromTimer = (call: () => unknown, ms: number) =>
      new Promise((resolve) => {
        setTimeout(() => {
          try {
            resolve(call());
          } catch (error) {
            resolve(error);
          }
        }, ms);
      });
    await withServer(
      (request) => {
        const hint = () => sendInformational(request, 103, { link: "</late.css>" });
        // While the body streams (the head is out), then once it has ended.
        late = fromTimer(hint, 20);
        return new Response(
          new ReadableStream({
            async pull(controller) {
              await late;
              controller.enqueue(new TextEncoder().encode("body"));
              controller.close();
              lateAgain = fromTimer(hint, 20);
            },
          }),
        );
      },
      options,
      async (_server, port) => {
        const { text } = await rawRequest(
          port,
          "GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
        );
        assert.deepEqual(statusLines(text), ["HTTP/1.1 200 OK"]);
        assert.deepEqual(await within(late!, 5_000, "the late hint"), {
          sent: false,
          reason: "final-response-started",
        });
        assert.deepEqual(await within(lateAgain!, 5_000, "the later hint"), {
          sent: false,
          reason: "finished",
        });
      },
    ).finally(() => (console.warn = originalWarn));
    // Like Go's "superfluous WriteHeader" log, but once per process.
    assert.equal(warnings.length, 1, warnings.join("\n"));
    assert.match(warnings[0]!, /came after the final response .*"final-response-started"/);
  });
}

for (const { name, options } of TRANSPORTS) {
  test(`${name}: a late sendInformational() still refuses a bad status or field synchronously`, async () => {
    let late: Promise<unknown[]> | undefined;
    await withServer(
      (request) => {
        late = new Promise((resolve) => {
          setTimeout(() => {
            const outcomes: unknown[] = [];
            for (
              const call of [
                () => sendInformational(request, 101),
                () => sendInformational(request, 200),
                () => sendInformational(request, 103, { link: "a\r\nb" }),
                () => sendInformational(request, 103, { "content-length": "1" }),
              ]
            ) {
              try {
                outcomes.push(call());
              } catch (error) {
                outcomes.push(error);
              }
            }
            resolve(outcomes);
          }, 20);
        });
        return new Response("done");
      },
      options,
      async (_server, port) => {
        await rawRequest(port, "GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
        const [status101, status200, crlf, forbidden] = await within(
          late!,
          5_000,
          "the late calls",
        );
        assert.ok(status101 instanceof RangeError, String(status101));
        assert.ok(status200 instanceof RangeError, String(status200));
        assert.ok(crlf instanceof TypeError, String(crlf));
        assert.ok(forbidden instanceof TypeError, String(forbidden));
      },
    );
  });
}

for (const { name, options } of TRANSPORTS) {
  test(`${name}: sendInformational() writes the hint at once, before the handler finishes`, async () => {
    let release: () => void = () => {};
    const released = new Promise<void>((resolve) => (release = resolve));
    await withServer(
      async (request) => {
        sendInformational(request, 103, { "x-pod-name": "daemon-0" });
        await within(released, 5_000, "release");
        return new Response("final");
      },
      options,
      async (_server, port) => {
        const first = rawRequest(port, "GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", {
          until: (t) => t.includes("\r\n\r\n"),
        });
        const { text } = await first;
        release();
        assert.equal(text, "HTTP/1.1 103 Early Hints\r\nx-pod-name: daemon-0\r\n\r\n");
      },
    );
  });
}

for (const { name, options } of TRANSPORTS) {
  test(`${name}: a hint followed by a timer wait arrives while the handler waits, then the final`, async () => {
    const net = await import("node:net");
    let waiting = false;
    let release: () => void = () => {};
    await withServer(
      async (request) => {
        sendInformational(request, 103, { "x-pod-name": "daemon-0" });
        waiting = true;
        // A timer, not a promise: the hint must not wait for the next turn's work.
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, 5_000);
          release = () => {
            clearTimeout(timer);
            resolve();
          };
        });
        waiting = false;
        return new Response("final");
      },
      options,
      async (_server, port) => {
        const socket = net.connect(port, "127.0.0.1");
        try {
          let text = "";
          let onData = () => {};
          socket.on("data", (chunk: Buffer) => {
            text += chunk.toString("latin1");
            onData();
          });
          const receivedUntil = (done: (t: string) => boolean, what: string) =>
            within(
              new Promise<void>((resolve) => {
                onData = () => done(text) && resolve();
                onData();
              }),
              5_000,
              what,
            );
          await within(new Promise((resolve) => socket.once("connect", resolve)), 5_000, "connect");
          socket.write("GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
          await receivedUntil((t) => t.includes("\r\n\r\n"), "the 103");
          assert.equal(waiting, true, "the handler is still waiting");
          assert.equal(text, "HTTP/1.1 103 Early Hints\r\nx-pod-name: daemon-0\r\n\r\n");
          release();
          await receivedUntil((t) => t.endsWith("\r\n\r\nfinal"), "the final response");
          assert.deepEqual(statusLines(text), ["HTTP/1.1 103 Early Hints", "HTTP/1.1 200 OK"]);
        } finally {
          release();
          socket.destroy();
        }
      },
    );
  });
}

for (const { name, options } of TRANSPORTS) {
  test(`${name}: a hint and an immediate final response go out in order, the hint first`, async () => {
    await withServer(
      (request) => {
        sendInformational(request, 103, { link: "</a.css>; rel=preload; as=style" });
        sendInformational(request, 103, { link: "</b.js>; rel=preload; as=script" });
        return new Response("now");
      },
      options,
      async (_server, port) => {
        const { text } = await rawRequest(
          port,
          "GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
        );
        assert.deepEqual(statusLines(text), [
          "HTTP/1.1 103 Early Hints",
          "HTTP/1.1 103 Early Hints",
          "HTTP/1.1 200 OK",
        ]);
        assert.ok(text.indexOf("</a.css>") < text.indexOf("</b.js>"));
        assert.match(text, /\r\n\r\nnow$/);
      },
    );
  });
}

for (const { name, options } of TRANSPORTS) {
  test(`${name}: a hint sent before reading an Expect: 100-continue body goes out before the 100`, async () => {
    await withServer(
      async (request) => {
        sendInformational(request, 103, { "x-pod-name": "daemon-0" });
        return new Response(`got ${await request.text()}`);
      },
      options,
      async (_server, port) => {
        const { text } = await rawRequest(
          port,
          "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\nExpect: 100-continue\r\n" +
            "Connection: close\r\n\r\nbody",
        );
        assert.deepEqual(statusLines(text), [
          "HTTP/1.1 103 Early Hints",
          "HTTP/1.1 100 Continue",
          "HTTP/1.1 200 OK",
        ]);
        assert.match(text, /\r\n\r\ngot body$/);
      },
    );
  });
}

test("sendInformational() on a request not served by serve() warns once and sends nothing", () => {
  forgetWarnings();
  const warnings: string[] = [];
  const original = console.warn;
  console.warn = (...args: unknown[]) => void warnings.push(args.join(" "));
  try {
    const request = new Request("http://localhost/");
    assert.deepEqual(sendInformational(request, 103, { link: "</a>" }), {
      sent: false,
      reason: "unsupported",
    });
    assert.deepEqual(sendInformational(request, 103), { sent: false, reason: "unsupported" });
    // Misuse is still reported, whatever the server.
    assert.throws(() => sendInformational(request, 101), RangeError);
  } finally {
    console.warn = original;
  }
  assert.equal(warnings.length, 1);
  assert.match(warnings[0]!, /interim/);
});

for (const { name, options } of TRANSPORTS) {
  test(
    `${name}: sendInformational(..., { flush: true }) sends the hint before the handler's synchronous work ends`,
    {
      skip: bunNodeHttpGap(
        name,
        "holds a 1xx until the handler's turn ends (writeInformation is not flushed at once)",
      ),
    },
    async (t) => {
      const BUSY_MS = 400;
      await withServer(
        (request) => {
          const flush = new URL(request.url).pathname === "/flush";
          sendInformational(request, 103, { link: "</a.css>; rel=preload; as=style" }, { flush });
          busyFor(BUSY_MS);
          return new Response("rendered");
        },
        options,
        async (_server, port) => {
          const flushed = await arrivalTimes(port, "/flush");
          const deferred = await arrivalTimes(port, "/default");
          t.diagnostic(`flush: 103 at ${flushed.hint} ms, 200 at ${flushed.final} ms`);
          t.diagnostic(`default: 103 at ${deferred.hint} ms, 200 at ${deferred.final} ms`);
          if (name === "node-http") {
            // node:http writes each 1xx at once: the default flushes too.
            assert.ok(
              deferred.final - deferred.hint >= BUSY_MS / 2,
              `default on node-http: the hint left ${
                deferred.final - deferred.hint
              } ms before the final`,
            );
          } else {
            // Without flush the engine's hint waits for the busy turn to end, on every runtime.
            assert.ok(
              deferred.final - deferred.hint < BUSY_MS / 2,
              "default: hint rides with the final",
            );
          }
          assert.ok(
            flushed.final - flushed.hint >= BUSY_MS / 2,
            `flush: the hint left ${flushed.final - flushed.hint} ms before the final response`,
          );
        },
      );
    },
  );
}
