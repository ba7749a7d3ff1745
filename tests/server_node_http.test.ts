/**
 * What only the `node:http` transport (`adapter: "node-http"`) has: the two
 * ways it writes an interim response through node:http's `ServerResponse`.
 * Its behaviour as a server is tested with the engine's, by the shared
 * server tests (tests/_support/transports.ts), on Node, Deno and Bun.
 */

import { test } from "node:test";
import assert from "node:assert/strict";
import http from "node:http";
import { assertPipelinedInterim, pipelinedInterimHandler } from "./_support/interim_heads.ts";
import { withServer } from "./_support/server_util.ts";
import { writeInformationTakesLists } from "../src/runtime/write_information.ts";

const NODE_HTTP = { adapter: "node-http" } as const;

/**
 * The two ways the backend writes a 1xx: the public `writeInformation`
 * (Node 24.19+, 26.2+, Bun), and the raw path kept for the others (Node 22,
 * Deno), which the test forces where `writeInformation` exists by hiding it.
 */
const INFORMATION_PATHS = ["writeInformation", "raw path"] as const;
const RUNTIME_NAME = "Deno" in globalThis
  ? "Deno"
  : "Bun" in globalThis
  ? "Bun"
  : `Node ${process.versions.node}`;
const USES_WRITE_INFORMATION =
  typeof http.ServerResponse.prototype.writeInformation === "function" &&
  writeInformationTakesLists();

for (const path of INFORMATION_PATHS) {
  const skip = path === "writeInformation" && !USES_WRITE_INFORMATION
    ? `${RUNTIME_NAME} has no ServerResponse.writeInformation that takes a field list`
    : path === "raw path" && USES_WRITE_INFORMATION
    // The raw path is trusted only where the runtime's own writers use it
    // (src/runtime/server_response_interim.ts): hiding writeInformation here
    // would make a runtime that exists nowhere.
    ? `${RUNTIME_NAME} writes 1xx through writeInformation; the raw path runs on Node 22 and Deno`
    : undefined;
  test(
    `node-http only: the ${path} writes any 1xx with any fields in order before its final response, pipelined`,
    { skip },
    async () => {
      const prototype = http.ServerResponse.prototype;
      const own = Object.getOwnPropertyDescriptor(prototype, "writeInformation");
      const written: number[] = [];
      if (path === "raw path") {
        Object.defineProperty(prototype, "writeInformation", {
          configurable: true,
          writable: true,
          value: undefined,
        });
      } else {
        const original = prototype.writeInformation;
        // Counts, then writes as the runtime does.
        prototype.writeInformation = function (
          this: http.ServerResponse,
          ...args: Parameters<typeof original>
        ) {
          written.push(args[0]);
          return original.apply(this, args);
        } as typeof original;
      }
      try {
        await withServer(
          pipelinedInterimHandler,
          NODE_HTTP,
          async (_server, port) => await assertPipelinedInterim(port),
        );
      } finally {
        if (own !== undefined) Object.defineProperty(prototype, "writeInformation", own);
        else delete (prototype as { writeInformation?: unknown }).writeInformation;
      }
      // The two requests are handled at once; node:http queues the second's output.
      assert.deepEqual(
        written.sort((a, b) => a - b),
        path === "writeInformation" ? [102, 102, 103, 103, 110, 110, 199, 199] : [],
      );
    },
  );
}

test("node-http only: writeInformation is used exactly on Node 24.19+, 26.2+ and Bun", () => {
  const [major = 0, minor = 0] = process.versions.node.split(".").map(Number);
  const expected = "Deno" in globalThis
    ? false // Deno 2.9's reads only an object's keys: a field list goes out as "0: x-a"
    : "Bun" in globalThis || (major === 24 && minor >= 19) || (major === 26 && minor >= 2) ||
      major > 26;
  assert.equal(USES_WRITE_INFORMATION, expected, RUNTIME_NAME);
});
