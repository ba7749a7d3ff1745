/**
 * Hardening of the client against hostile servers: invalid status codes,
 * 101 as final, huge and endless interim responses, framing that lies, a
 * close between the `103` and the final response, garbage on a keep-alive
 * connection (the corpus in `_support/hostile_responses.ts`). The client must
 * reject with a clear error, never reuse a poisoned connection, never hang.
 */

import { test } from "node:test";
import assert from "node:assert/strict";
import process from "node:process";
import fc from "fast-check";
import { Client, FetchError } from "../client.ts";
import { HOSTILE_RESPONSES, type HostileResponse } from "./_support/hostile_responses.ts";
import { type RawPeer, startRawServer } from "./_support/raw_server.ts";
import { delay, within } from "./_support/server_util.ts";

const OK = "HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok";

/** What a hostile case did to `fetch`. */
interface Outcome {
  /** `"ok"`, a `FetchError` code, `"TIMEOUT"` (a bounded body read), or a description. */
  readonly result: string;
  /** Where: `"head"` (fetch rejected) or `"body"` (the body stream errored). */
  readonly phase: "head" | "body";
  /** How many interim responses were reported. */
  readonly interim: number;
}

function codeOf(error: unknown): string {
  if (error instanceof FetchError) {
    assert.ok(error.message.length > 10, `a FetchError without a clear message: ${error.message}`);
    return error.code;
  }
  return `not a FetchError: ${String(error)}`;
}

/** Runs one request against `url` and classifies what happened, within bounded waits. */
async function attempt(client: Client, url: string): Promise<Outcome> {
  let interim = 0;
  let response;
  try {
    response = await within(
      client.fetch(url, { onInformational: () => void interim++ }),
      5_000,
      `fetch ${url}`,
    );
  } catch (error) {
    return { result: codeOf(error), phase: "head", interim };
  }
  const reader = response.body!.getReader();
  try {
    let text = "";
    const decoder = new TextDecoder();
    for (;;) {
      const read = await Promise.race([
        reader.read(),
        delay(1_000).then(() => "TIMEOUT" as const),
      ]);
      if (read === "TIMEOUT") {
        await reader.cancel();
        return { result: "TIMEOUT", phase: "body", interim };
      }
      if (read.done) break;
      text += decoder.decode(read.value, { stream: true });
    }
    if (text.includes("smuggled")) return { result: "smuggled body", phase: "body", interim };
    return { result: "ok", phase: "body", interim };
  } catch (error) {
    return { result: codeOf(error), phase: "body", interim };
  }
}

/**
 * A raw server serving `/case/N` with the hostile reply N and `/ok` with a
 * clean keep-alive response, recording the paths asked on each connection.
 */
async function corpusServer(cases: readonly HostileResponse[]) {
  const connections: string[][] = [];
  const server = await startRawServer(async (peer: RawPeer) => {
    const paths: string[] = [];
    connections.push(paths);
    for (;;) {
      const head = await peer.readHead();
      const path = head.split(" ")[1] ?? "";
      paths.push(path);
      const match = /^\/case\/(\d+)$/.exec(path);
      if (match === null) {
        peer.write(OK);
        continue;
      }
      const entry = cases[Number(match[1])]!;
      peer.write(entry.reply);
      if (entry.close) peer.end();
      // Otherwise stay silent: the client must not send anything more here.
    }
  });
  return { server, connections };
}

async function runCorpus(cases: readonly HostileResponse[]): Promise<void> {
  const { server, connections } = await corpusServer(cases);
  const client = new Client({ headersTimeout: 1_000 });
  const failures: string[] = [];
  try {
    for (const [index, entry] of cases.entries()) {
      const outcome = await attempt(client, `${server.url}/case/${index}`);
      const problems: string[] = [];
      if (entry.expect === "ok") {
        if (outcome.result !== "ok") problems.push(`expected success, got ${outcome.result}`);
      } else {
        if (!entry.expect.includes(outcome.result)) {
          problems.push(`got ${outcome.result}, expected one of ${entry.expect.join(", ")}`);
        }
        // A body error may surface as the rejection of fetch() when the bad
        // bytes came with the head; a head error must never wait for the body.
        if (outcome.phase === "body" && (entry.phase ?? "head") === "head") {
          problems.push("a bad head was reported only in the body");
        }
      }
      if (outcome.interim !== (entry.interim ?? 0)) {
        problems.push(
          `${outcome.interim} interim responses reported, expected ${entry.interim ?? 0}`,
        );
      }
      // The next request must work, on a connection that never saw the hostile reply.
      const after = await attempt(client, `${server.url}/ok`);
      if (after.result !== "ok") problems.push(`the next request failed: ${after.result}`);
      if (problems.length > 0) failures.push(`${entry.name}: ${problems.join("; ")}`);
    }
    for (const paths of connections) {
      const hostile = paths.findIndex((path) => {
        if (!path.startsWith("/case/")) return false;
        const entry = cases[Number(path.slice(6))]!;
        return entry.expect !== "ok" || entry.poisoned === true;
      });
      if (hostile !== -1 && hostile < paths.length - 1) {
        failures.push(`a poisoned connection was reused: ${paths.join(" -> ")}`);
      }
    }
  } finally {
    await client.close();
    await server.close();
  }
  assert.deepEqual(failures, [], `${failures.length} of ${cases.length} cases failed`);
}

for (const kind of ["status", "interim", "framing", "fields", "close"] as const) {
  const cases = HOSTILE_RESPONSES.filter((entry) => entry.kind === kind);
  test(`client rejects hostile responses (${kind}, ${cases.length} cases) clearly and never reuses the connection`, async () => {
    await runCorpus(cases);
  });
}

/** A server that answers every request with 103s until the client goes away. */
async function endlessInterimServer(pauseMs: number) {
  let written = 0;
  const server = await startRawServer(async (peer) => {
    await peer.readHead();
    const hint = Buffer.from("HTTP/1.1 103 Early Hints\r\nlink: </a.css>; rel=preload\r\n\r\n");
    while (!peer.socket.destroyed) {
      written++;
      const flushed = peer.socket.write(hint);
      if (pauseMs > 0) await delay(pauseMs);
      else if (!flushed) {
        await Promise.race([
          new Promise((resolve) => peer.socket.once("drain", resolve)),
          new Promise((resolve) => peer.socket.once("close", resolve)),
        ]);
      } else if (written % 64 === 0) await delay(0);
    }
  });
  return { server, written: () => written };
}

test("client stops an endless stream of 103 responses at maxInformational", async () => {
  for (const limit of [undefined, 5]) {
    const { server, written } = await endlessInterimServer(0);
    const client = new Client(limit === undefined ? {} : { maxInformational: limit });
    try {
      let seen = 0;
      const error = await within(
        client.fetch(`${server.url}/`, { onInformational: () => void seen++ }).then(
          () => undefined,
          (error: unknown) => error,
        ),
        10_000,
        "fetch against endless 103s",
      );
      assert.ok(error instanceof FetchError, `expected a FetchError, got ${String(error)}`);
      assert.equal(error.code, "TOO_MANY_INFORMATIONAL");
      assert.equal(seen, limit ?? 100, "every accepted interim response is reported once");
      const before = written();
      await delay(100);
      assert.ok(written() - before < 1000, "the client closed the endless connection");
    } finally {
      await client.close();
      await server.close();
    }
  }
});

test("client gives up on 103s trickling forever when the final head is overdue", async () => {
  const { server } = await endlessInterimServer(20);
  const client = new Client({ headersTimeout: 400, maxInformational: 10_000 });
  try {
    let seen = 0;
    const error = await within(
      client.fetch(`${server.url}/`, { onInformational: () => void seen++ }).then(
        () => undefined,
        (error: unknown) => error,
      ),
      10_000,
      "fetch against trickling 103s",
    );
    assert.ok(error instanceof FetchError);
    assert.equal(error.code, "HEADERS_TIMEOUT");
    assert.ok(seen > 0, "the interim responses were reported while waiting");
  } finally {
    await client.close();
    await server.close();
  }
});

test("client drops a keep-alive connection on which garbage arrives while idle", async () => {
  const connections: string[][] = [];
  const server = await startRawServer(async (peer) => {
    const paths: string[] = [];
    connections.push(paths);
    for (;;) {
      const head = await peer.readHead();
      paths.push(head.split(" ")[1] ?? "");
      peer.write(OK);
      if (paths.length === 1) {
        await delay(30);
        peer.write("HTTP/1.1 200 OK\r\ncontent-length: 8\r\n\r\nsmuggled");
      }
    }
  });
  const client = new Client();
  try {
    const first = await client.fetch(`${server.url}/one`);
    assert.equal(await first.text(), "ok");
    await delay(200);
    const second = await within(client.fetch(`${server.url}/two`), 10_000, "second fetch");
    assert.equal(await second.text(), "ok", "the unsolicited bytes never became a response");
    assert.deepEqual(connections, [["/one"], ["/two"]]);
  } finally {
    await client.close();
    await server.close();
  }
});

test("client refuses hostile responses delivered in random pieces the same way", async () => {
  // A subset whose outcome does not depend on timing.
  const cases = HOSTILE_RESPONSES.filter((entry) =>
    entry.reply.length < 2048 && entry.expect !== "ok" && !entry.expect.includes("TIMEOUT") &&
    !entry.expect.includes("HEADERS_TIMEOUT")
  );
  const seed = Number(process.env.EH_FUZZ_SEED ?? Date.now() % 2 ** 31);
  const runs = Math.max(40, 100 * Number(process.env.EH_FUZZ_RUNS ?? "1"));
  let current: { entry: HostileResponse; cuts: number[] } | undefined;
  const server = await startRawServer(async (peer) => {
    await peer.readHead();
    const { entry, cuts } = current!;
    let from = 0;
    for (const cut of [...new Set(cuts)].sort((a, b) => a - b)) {
      if (cut <= from || cut >= entry.reply.length) continue;
      peer.write(entry.reply.slice(from, cut));
      from = cut;
      await delay(1);
    }
    peer.write(entry.reply.slice(from));
    if (entry.close) peer.end();
  });
  const client = new Client({ headersTimeout: 2_000 });
  const failures: string[] = [];
  try {
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...cases),
        fc.array(fc.nat(2048), { maxLength: 8 }),
        async (entry, cuts) => {
          current = { entry, cuts };
          const outcome = await attempt(client, `${server.url}/`);
          const expected = entry.expect as readonly string[];
          const ok = expected.includes(outcome.result) &&
            outcome.interim === (entry.interim ?? 0);
          if (!ok) failures.push(`${entry.name} cut at ${cuts}: ${JSON.stringify(outcome)}`);
          return ok;
        },
      ),
      { seed, numRuns: runs, endOnFailure: true },
    ).catch((error: unknown) => {
      throw new Error(`seed ${seed} (EH_FUZZ_SEED=${seed} reproduces): ${failures.join("\n")}`, {
        cause: error,
      });
    });
  } finally {
    await client.close();
    await server.close();
  }
});

test("client ends a response body that stalls with BODY_TIMEOUT and drops the connection", async () => {
  const connections: string[][] = [];
  const server = await startRawServer(async (peer) => {
    const paths: string[] = [];
    connections.push(paths);
    for (;;) {
      const head = await peer.readHead();
      const path = head.split(" ")[1] ?? "";
      paths.push(path);
      // The stalled body: 9 of 100 bytes, then silence with the socket open.
      peer.write(
        path === "/stall" ? "HTTP/1.1 200 OK\r\ncontent-length: 100\r\n\r\nonly this" : OK,
      );
    }
  });
  const client = new Client({ bodyTimeout: 300 });
  try {
    const response = await client.fetch(`${server.url}/stall`);
    const outcome = await within(
      response.arrayBuffer().then(() => "ended", (error: unknown) => error),
      5_000,
      "reading a stalled body",
    );
    assert.ok(outcome instanceof FetchError, `expected a FetchError, got ${String(outcome)}`);
    assert.equal(outcome.code, "BODY_TIMEOUT");
    const next = await within(client.fetch(`${server.url}/ok`), 5_000, "the next fetch");
    assert.equal(await next.text(), "ok");
    assert.deepEqual(connections, [["/stall"], ["/ok"]], "the stalled connection was not reused");
  } finally {
    await client.close();
    await server.close();
  }
});
