/**
 * Hardening of the interim-response writers: header names and values given
 * to `sendInformational()` and Hono's `hint()` that contain CR, LF, NUL,
 * other control bytes or characters beyond latin1 are refused with a
 * `TypeError` before any byte is written (no response splitting), and the
 * exchange goes on; valid fields, generated at random, arrive intact. The
 * count and size of a request's interim responses are bounded
 * (`limits.maxInformational`, `limits.maxInformationalBytes`) on both
 * backends, with a result instead of an error past them.
 */

import { test } from "node:test";
import assert from "node:assert/strict";
import process from "node:process";
import fc from "fast-check";
import { Hono } from "hono";
import { Client, fetch } from "../client.ts";
import { hint, type InformationalResult, sendInformational } from "../server.ts";
import { forgetWarnings } from "../src/server/warn_once.ts";
import { fieldValueArb, tokenArb } from "./_support/hostile_generators.ts";
import { responseStatuses } from "./_support/hostile_requests.ts";
import { fuzzSeed } from "./_support/hostile_properties.ts";
import { rawRequest } from "./_support/server_raw.ts";
import { withServer } from "./_support/server_util.ts";
import { TRANSPORTS } from "./_support/transports.ts";

const BAD_VALUES = [
  "a\r\nx-injected: yes",
  "a\rb",
  "a\nb",
  "\r\n\r\nHTTP/1.1 200 OK\r\ncontent-length: 0\r\n\r\n",
  "a\x00b",
  "a\x01b",
  "a\x7fb",
  "a\x1bb",
  "snow\u2603man",
  "euro\u20ac",
];
const BAD_NAMES = ["x-a\r\nx-b", "x a", "x-a:", "", "x\x00a", "x-\u00e9", "(x)"];

type Fields = Record<string, string> | Array<[string, string]>;

/** The forms a caller may pass fields in. */
function forms(name: string, value: string): Fields[] {
  return [{ [name]: value }, [[name, value]]];
}

for (const { name, options } of TRANSPORTS) {
  test(`${name}: sendInformational() refuses CR, LF, NUL, controls and non-latin1 in names and values, writing nothing`, async () => {
    const cases: Array<{ fields: Fields; label: string }> = [];
    for (const value of BAD_VALUES) {
      for (const fields of forms("x-hint", value)) {
        cases.push({ fields, label: `value ${JSON.stringify(value)}` });
      }
    }
    for (const name of BAD_NAMES) {
      for (const fields of forms(name, "v")) {
        cases.push({ fields, label: `name ${JSON.stringify(name)}` });
      }
    }
    let current = 0;
    const outcomes: string[] = [];
    await withServer(
      (request) => {
        const { fields, label } = cases[current]!;
        try {
          sendInformational(request, 103, fields);
          outcomes.push(`${label}: accepted`);
        } catch (error) {
          if (!(error instanceof TypeError)) outcomes.push(`${label}: threw ${String(error)}`);
        }
        return new Response("final");
      },
      options,
      async (_server, port) => {
        for (current = 0; current < cases.length; current++) {
          const { text } = await rawRequest(
            port,
            "GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
          );
          const label = cases[current]!.label;
          assert.deepEqual(responseStatuses(text), [200], `${label}: only the final response`);
          assert.ok(!text.includes("injected"), `${label}: nothing injected`);
        }
      },
    );
    assert.deepEqual(outcomes, [], "every bad field was refused with a TypeError");
  });
}

for (const { name, options } of TRANSPORTS) {
  test(`${name}: hint(c) refuses CR, LF and NUL in the fields it is given; the route goes on`, async () => {
    const app = new Hono();
    const errors: string[] = [];
    app.get("/:index", (c) => {
      const value = BAD_VALUES[Number(c.req.param("index"))]!;
      try {
        hint(c, { "x-pod-name": value });
        errors.push(`${JSON.stringify(value)} accepted`);
      } catch (error) {
        if (!(error instanceof TypeError)) {
          errors.push(`${JSON.stringify(value)}: ${String(error)}`);
        }
      }
      return c.text("final");
    });
    await withServer(app.fetch, options, async (_server, port) => {
      for (const [index] of BAD_VALUES.entries()) {
        const { text } = await rawRequest(
          port,
          `GET /${index} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`,
        );
        assert.deepEqual(responseStatuses(text), [200]);
      }
    });
    assert.deepEqual(errors, []);
  });
}

for (const { name, options } of TRANSPORTS) {
  test(`${name}: random interim fields: bad ones are refused, good ones arrive intact through our client`, async () => {
    const seed = fuzzSeed(process.env);
    const runs = Math.max(50, Math.round(200 * Number(process.env.EH_FUZZ_RUNS ?? "1")));
    const badChar = fc.constantFrom("\r", "\n", "\x00", "\x01", "\x0b", "\x7f", "\u0100", "\u2028");
    const fieldArb = fc.oneof(
      fc.tuple(tokenArb, fieldValueArb).map(([name, value]) => ({
        name: `x-${name}`,
        value,
        ok: true,
      })),
      fc.tuple(tokenArb, fieldValueArb, badChar, fc.nat()).map(([name, value, bad, at]) => ({
        name: `x-${name}`,
        value: value.slice(0, at % (value.length + 1)) + bad + value.slice(at % (value.length + 1)),
        ok: false,
      })),
    );
    let current: Array<{ name: string; value: string; ok: boolean }> = [];
    let thrown: unknown;
    const failures: string[] = [];
    await withServer(
      (request) => {
        thrown = undefined;
        try {
          sendInformational(
            request,
            103,
            current.map(({ name, value }): [string, string] => [name, value]),
          );
        } catch (error) {
          thrown = error;
        }
        return new Response("final");
      },
      options,
      async (_server, port) => {
        const client = new Client();
        try {
          await fc.assert(
            fc.asyncProperty(fc.array(fieldArb, { minLength: 1, maxLength: 6 }), async (fields) => {
              current = fields;
              const response = await client.fetch(`http://127.0.0.1:${port}/`);
              assert.equal(await response.text(), "final");
              const valid = fields.every((field) => field.ok);
              if (!valid) {
                assert.ok(
                  thrown instanceof TypeError,
                  `a bad field was not refused: ${String(thrown)}`,
                );
                assert.equal(
                  response.informational.length,
                  0,
                  "nothing was sent for a refused hint",
                );
                return;
              }
              assert.equal(thrown, undefined);
              assert.equal(response.informational.length, 1);
              assert.deepEqual(
                response.informational[0]!.rawHeaders,
                fields.map(({ name, value }) => [name.toLowerCase(), value]),
              );
            }),
            { seed, numRuns: runs },
          );
        } catch (error) {
          failures.push(`seed ${seed} (EH_FUZZ_SEED=${seed} replays): ${String(error)}`);
        } finally {
          await client.close();
        }
      },
    );
    assert.deepEqual(failures, []);
  });
}

const GET_CLOSE = "GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n";

/** Runs `body` with `console.warn` recorded, after forgetting earlier once-only warnings. */
async function recordingWarnings<T>(body: (warnings: string[]) => Promise<T>): Promise<T> {
  const warnings: string[] = [];
  const original = console.warn;
  forgetWarnings();
  console.warn = (...args: unknown[]) => warnings.push(args.map(String).join(" "));
  try {
    return await body(warnings);
  } finally {
    console.warn = original;
    forgetWarnings();
  }
}

/** The interim heads of a raw response, each from its status line to its empty line. */
function interimHeads(text: string): string[] {
  return text.match(/HTTP\/1\.1 1\d\d [^\r]*\r\n(?:[^\r]+\r\n)*\r\n/g) ?? [];
}

for (const { name, options } of TRANSPORTS) {
  test(`${name}: sendInformational() sends at most limits.maxInformational interim responses per request`, async () => {
    await recordingWarnings(async (warnings) => {
      let results: InformationalResult[] = [];
      const handler = (request: Request) => {
        results = [];
        // 105 hints in one go, as a runaway loop or a hostile request would make.
        for (let index = 0; index < 105; index++) {
          results.push(sendInformational(request, 103, { link: `</${index}.css>; rel=preload` }));
        }
        return new Response("final");
      };
      await withServer(handler, options, async (_server, port) => {
        for (let round = 0; round < 2; round++) {
          const { text } = await rawRequest(port, GET_CLOSE);
          assert.equal(responseStatuses(text).filter((s) => s === 103).length, 100);
          assert.match(text, /\r\n\r\nfinal$/);
          assert.ok(text.includes("</99.css>") && !text.includes("</100.css>"));
          assert.equal(results.filter((result) => result.sent).length, 100);
          assert.deepEqual(results.slice(100), Array(5).fill({ sent: false, reason: "too-many" }));
        }
        // The default is what this package's client accepts: all 100 arrive.
        const response = await fetch(`http://127.0.0.1:${port}/`);
        assert.equal(response.status, 200);
        assert.equal(response.informational.length, 100);
        assert.equal(await response.text(), "final");
      });
      const about = warnings.filter((warning) => warning.includes("limits.maxInformational "));
      assert.equal(about.length, 1, "one warning for three requests over the bound");
      await withServer(
        handler,
        { ...options, limits: { maxInformational: 3 } },
        async (_s, port) => {
          const { text } = await rawRequest(port, GET_CLOSE);
          assert.deepEqual(responseStatuses(text), [103, 103, 103, 200]);
          assert.equal(results.filter((result) => result.sent).length, 3);
        },
      );
    });
  });
}

for (const { name, options } of TRANSPORTS) {
  test(`${name}: sendInformational() counts the automatic 100 Continue toward limits.maxInformational`, async () => {
    let results: InformationalResult[] = [];
    await withServer(
      async (request) => {
        results = [sendInformational(request, 103, { link: "</a.css>; rel=preload" })];
        const body = await request.text(); // the automatic 100 Continue goes out
        results.push(sendInformational(request, 103, { link: "</b.css>; rel=preload" }));
        return new Response(`got ${body}`);
      },
      { ...options, limits: { maxInformational: 2 } },
      async (_server, port) => {
        const { text } = await rawRequest(
          port,
          "POST / HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nContent-Length: 4\r\n" +
            "Connection: close\r\n\r\nbody",
        );
        assert.deepEqual(responseStatuses(text), [103, 100, 200]);
        assert.match(text, /got body$/);
      },
    );
    assert.deepEqual(results, [{ sent: true }, { sent: false, reason: "too-many" }]);
  });
}

for (const { name, options } of TRANSPORTS) {
  test(`${name}: sendInformational() refuses an interim response over limits.maxInformationalBytes`, async () => {
    // "HTTP/1.1 103 Early Hints\r\n" + "link: " + value + "\r\n" + "\r\n" is 36 bytes and the value.
    const exact = "x".repeat(16_384 - 36);
    const values: Record<string, string> = {
      "/exact": exact,
      "/over": exact + "x",
      "/huge": "x".repeat(1024 * 1024),
    };
    await recordingWarnings(async (warnings) => {
      let result: InformationalResult | undefined;
      await withServer(
        (request) => {
          const value = values[new URL(request.url).pathname]!;
          result = sendInformational(request, 103, { link: value });
          return new Response("final");
        },
        options,
        async (_server, port) => {
          const sent = await rawRequest(port, GET_CLOSE.replace("/", "/exact"));
          assert.deepEqual(result, { sent: true });
          const [head] = interimHeads(sent.text);
          assert.equal(head?.length, 16_384, "the default bound is the whole head on the wire");
          assert.match(sent.text, /\r\n\r\nfinal$/);
          for (const path of ["/over", "/huge"]) {
            const { text } = await rawRequest(port, GET_CLOSE.replace("/", path));
            assert.deepEqual(result, { sent: false, reason: "too-large" }, path);
            assert.deepEqual(responseStatuses(text), [200], path);
            assert.match(text, /\r\n\r\nfinal$/, path);
          }
        },
      );
      const about = warnings.filter((warning) => warning.includes("limits.maxInformationalBytes"));
      assert.equal(about.length, 1, "one warning for two oversized heads");
      await withServer(
        (request) => {
          result = sendInformational(request, 103, { link: "x".repeat(65) });
          return new Response("final");
        },
        { ...options, limits: { maxInformationalBytes: 100 } },
        async (_server, port) => {
          const { text } = await rawRequest(port, GET_CLOSE);
          assert.deepEqual(responseStatuses(text), [200]);
          assert.deepEqual(result, { sent: false, reason: "too-large" });
        },
      );
    });
  });
}
