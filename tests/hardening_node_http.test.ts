/**
 * A bound only the `node-http` transport needs: node:http parses on behind a
 * blocked response (pausing the socket does not stop its parser on Node or
 * Deno), so the transport closes a connection with more than
 * `MAX_WAITING_REQUESTS` requests waiting. The engine parses a request only
 * once the previous one is answered. The flow control both transports share
 * is tested on both in hardening_backpressure.test.ts, server_body.test.ts
 * and server_handler_timeout.test.ts.
 */

import { test } from "node:test";
import assert from "node:assert/strict";
import { closed, connect } from "./_support/slow_peers.ts";
import { within, withServer } from "./_support/server_util.ts";
import { MAX_WAITING_REQUESTS } from "../src/runtime/node_http_pipeline.ts";

const NODE_HTTP = { adapter: "node-http" } as const;

test("node-http only: a client pipelining past MAX_WAITING_REQUESTS behind a busy handler is closed", async () => {
  let handled = 0;
  await withServer(
    () => {
      handled++;
      return new Promise<Response>(() => {});
    },
    NODE_HTTP,
    async (_server, port) => {
      const socket = await connect(port);
      socket.on("error", () => {});
      socket.write("GET / HTTP/1.1\r\nHost: x\r\n\r\n".repeat(MAX_WAITING_REQUESTS + 100));
      // Before: every request object queued (node:http parses on), none answered.
      await within(closed(socket), 5_000, "closing the connection");
      assert.equal(handled, 1, "only the first handler ran");
    },
  );
});
