/**
 * `onInformational` accepts any return value: `(info) => seen.push(info)`
 * type-checks and runs, `null` or a number is ignored, a returned thenable
 * still holds parsing until it settles, and a rejection still aborts the
 * request with that error.
 *
 * The assignments below are also the type-level test (`deno check` covers
 * this file): the callbacks users write compile, and a callback taking the
 * wrong argument carries `@ts-expect-error`.
 */

import { test } from "node:test";
import assert from "node:assert/strict";
import { fetch, type FetchInit, type InformationalCallback } from "../client.ts";
import type { InformationalResponse } from "../client.ts";
import { sendInformational, serve, type Server } from "../server.ts";

const seenAtTypeLevel: InformationalResponse[] = [];
const pushing: FetchInit = { onInformational: (info) => seenAtTypeLevel.push(info) };
const returningText: InformationalCallback = (info) => info.statusText;
const asynchronous: InformationalCallback = async (info) => {
  await Promise.resolve(info.status);
};
// @ts-expect-error: the callback receives an InformationalResponse, not a string
const wrongArgument: InformationalCallback = (info: string) => info.length;
void [pushing, returningText, asynchronous, wrongArgument];

/** A server that sends two 103s (x-n: 1, then 2), then 200 "done". */
function hintingServer(): Promise<Server> {
  return serve((request) => {
    sendInformational(request, 103, { "x-n": "1" }, { flush: true });
    sendInformational(request, 103, { "x-n": "2" }, { flush: true });
    return new Response("done");
  }, { hostname: "127.0.0.1", port: 0 });
}

test("onInformational: (info) => seen.push(info) sees each interim response", async () => {
  const server = await hintingServer();
  try {
    const seen: InformationalResponse[] = [];
    const response = await fetch(server.url, { onInformational: (info) => seen.push(info) });
    assert.deepEqual(seen.map((info) => info.headers.get("x-n")), ["1", "2"]);
    assert.deepEqual(response.informational, seen);
    assert.equal(await response.text(), "done");
  } finally {
    await server.close();
  }
});

test("onInformational returning null, a number or an object without then is ignored", async () => {
  const server = await hintingServer();
  try {
    for (const value of [null, 0, { then: "not a function" }]) {
      let calls = 0;
      const response = await fetch(server.url, {
        onInformational: () => {
          calls++;
          return value;
        },
      });
      assert.equal(await response.text(), "done");
      assert.equal(calls, 2, `with ${JSON.stringify(value)} returned`);
    }
  } finally {
    await server.close();
  }
});

test("onInformational returning a thenable holds parsing until it settles", async () => {
  const server = await hintingServer();
  try {
    const order: string[] = [];
    const response = await fetch(server.url, {
      onInformational: (info) => ({
        // A bare thenable, not a Promise: still awaited.
        then(resolve: () => void) {
          setTimeout(() => {
            order.push(`settled ${info.headers.get("x-n")}`);
            resolve();
          }, 30);
        },
      }),
    });
    order.push("response");
    assert.deepEqual(order, ["settled 1", "settled 2", "response"]);
    assert.equal(await response.text(), "done");
  } finally {
    await server.close();
  }
});

test("onInformational returning a rejected promise aborts the request with that error", async () => {
  const server = await hintingServer();
  try {
    const failure = new Error("stop at the first hint");
    await assert.rejects(
      fetch(server.url, { onInformational: () => Promise.reject(failure) }),
      (error: unknown) => error === failure,
    );
  } finally {
    await server.close();
  }
});
