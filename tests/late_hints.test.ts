/**
 * A late hint is harmless: a handler's progress timer that keeps calling
 * `sendInformational()` or Hono's `hint(c)` after the response was sent,
 * while its body streams, after the client left, or after the server closed,
 * gets `{ sent: false, reason }` back, puts nothing on the wire, and the
 * process keeps serving and exits cleanly. Each server runs in a child
 * process (tests/_support/late_hints_server.ts), so a crash is an exit code
 * here rather than the end of the test runner; on the engine, the node:http
 * backend, and (for hint) a bare node:http server shaped like
 * @hono/node-server.
 */

import { test } from "node:test";
import assert from "node:assert/strict";
import net from "node:net";
import { type RunningProgram, startProgram } from "./_support/run_ts.ts";
import { rawRequest, statusLines } from "./_support/server_raw.ts";
import { TRANSPORTS } from "./_support/transports.ts";

const SENT = { sent: true };
const FINISHED = { sent: false, reason: "finished" };
const STARTED = { sent: false, reason: "final-response-started" };
const CLOSED = { sent: false, reason: "closed" };
const LATE = [FINISHED, FINISHED, FINISHED, FINISHED];
const WARNING = /came after the final response/g;
const SPAWN = { timeout: 120_000 };

/** The result line a route prints once its timer stopped. */
async function resultOf(program: RunningProgram, name: string): Promise<unknown[]> {
  const line = await program.waitForLine(new RegExp(`^result ${name} `), 20_000);
  return JSON.parse(line.slice(`result ${name} `.length)) as unknown[];
}

/** Opens a connection, sends `request`, resolves once `until` holds for the text received. */
function openUntil(
  port: number,
  request: string,
  until: (text: string) => boolean,
): Promise<{ socket: net.Socket; text: () => string }> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, "127.0.0.1");
    let text = "";
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`no expected reply within 10 s; got ${JSON.stringify(text)}`));
    }, 10_000);
    socket.setEncoding("latin1");
    socket.on("error", reject);
    socket.on("data", (chunk: string) => {
      text += chunk;
      if (until(text)) {
        clearTimeout(timer);
        resolve({ socket, text: () => text });
      }
    });
    socket.write(request);
  });
}

/**
 * Whether `text` ends with a response whose body is `body`: length-delimited
 * (our servers) or in one chunk (the node-server shape writes chunked).
 */
function endsWithBody(text: string, body: string): boolean {
  const chunked = `\r\n\r\n${body.length.toString(16)}\r\n${body}\r\n0\r\n\r\n`;
  return text.endsWith(`\r\n\r\n${body}`) || text.endsWith(chunked);
}

const FIRST_HINT_HEAD = (text: string) => /^HTTP\/1\.1 103 Early Hints\r\n[^]*?\r\n\r\n/.test(text);

// Every serve() transport, and hint(c) under @hono/node-server.
const VARIANTS = [
  ...TRANSPORTS.flatMap(({ name }) => [
    { api: "send", server: name } as const,
    { api: "hint", server: name } as const,
  ]),
  { api: "hint", server: "node-server" } as const,
];

for (const { api, server } of VARIANTS) {
  const what = api === "send" ? "sendInformational()" : "hint(c)";
  test(
    `${what} from a timer after the response, while it streams, after the client left and after close (${server}): results, no crash, clean exit`,
    SPAWN,
    async () => {
      const program = startProgram("tests/_support/late_hints_server.ts", [
        `--api=${api}`,
        `--server=${server}`,
      ]);
      try {
        const port = Number((await program.waitForLine(/^listening \d+$/, 60_000)).split(" ")[1]);

        // 1. The timer outlives the response: every late call says "finished",
        // and none of them reaches the next response on the same connection
        // (a 60 ms /ping served while the timer fires).
        const keepAlive = await openUntil(
          port,
          "GET /after-response HTTP/1.1\r\nHost: x\r\n\r\n",
          (text) => endsWithBody(text, "done"),
        );
        keepAlive.socket.write("GET /ping HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
        await new Promise((resolve) => keepAlive.socket.once("close", resolve));
        assert.deepEqual(statusLines(keepAlive.text()), [
          "HTTP/1.1 103 Early Hints",
          "HTTP/1.1 200 OK",
          "HTTP/1.1 200 OK",
        ]);
        assert.ok(endsWithBody(keepAlive.text(), "pong"), keepAlive.text());
        assert.deepEqual(await resultOf(program, "after-response"), [SENT, ...LATE]);

        // 2. A call while the body streams (the head is out), then after it ended.
        const streaming = await rawRequest(
          port,
          "GET /while-streaming HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
          { timeoutMs: 10_000 },
        );
        assert.deepEqual(statusLines(streaming.text), ["HTTP/1.1 200 OK"]);
        assert.match(streaming.text, /part1,[^]*part2/);
        assert.deepEqual(await resultOf(program, "while-streaming"), [STARTED, ...LATE]);

        // 3. The client leaves after the first hint: the calls that follow say
        // "closed" (a few made before the server saw the close may say sent).
        const leaving = await openUntil(
          port,
          "GET /after-disconnect HTTP/1.1\r\nHost: x\r\n\r\n",
          FIRST_HINT_HEAD,
        );
        leaving.socket.destroy();
        const disconnect = await resultOf(program, "after-disconnect");
        assert.deepEqual(disconnect.slice(-4), [CLOSED, CLOSED, CLOSED, CLOSED]);
        // Sent while the server had not seen the close yet, then "closed" for good.
        assert.deepEqual(disconnect[0], SENT);
        const firstClosed = disconnect.findIndex((result) => !(result as { sent: boolean }).sent);
        assert.deepEqual(disconnect.slice(0, firstClosed), Array(firstClosed).fill(SENT));
        assert.deepEqual(
          disconnect.slice(firstClosed),
          Array(disconnect.length - firstClosed).fill(CLOSED),
        );

        // The preload() middleware hints for a client already gone; the route still runs.
        const gone = net.connect(port, "127.0.0.1");
        gone.on("error", () => {});
        gone.write("GET /preload-after-disconnect HTTP/1.1\r\nHost: x\r\n\r\n");
        await program.waitForLine(/^waiting preload-after-disconnect$/, 10_000);
        gone.destroy();
        await program.waitForLine(/^route preload-after-disconnect ran$/, 10_000);

        // 4. The server closes under a request whose timer is still running.
        const inFlight = await openUntil(
          port,
          "GET /until-close HTTP/1.1\r\nHost: x\r\n\r\n",
          FIRST_HINT_HEAD,
        );
        const bye = await rawRequest(
          port,
          "GET /quit HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
        );
        assert.ok(endsWithBody(bye.text, "bye"), bye.text);
        const untilClose = await resultOf(program, "until-close");
        assert.deepEqual(untilClose.slice(-4), [CLOSED, CLOSED, CLOSED, CLOSED]);
        inFlight.socket.destroy();

        // The process ends on its own, exit code 0: no uncaught error, no timer left.
        const code = await program.exited(20_000);
        const stderr = program.stderr();
        assert.equal(code, 0, stderr);
        assert.doesNotMatch(stderr, /TypeError|Uncaught|panic/i);
        // One warning for the whole process, however many late calls.
        assert.equal(stderr.match(WARNING)?.length ?? 0, 1, stderr);
      } finally {
        await program.stop();
      }
    },
  );
}
