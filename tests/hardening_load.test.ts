/**
 * Bounded load: hundreds of concurrent keep-alive connections on one server
 * (a child process, so its memory is its own), each request answered with a
 * `103 Early Hints` and a final `200`, through our `Client` and through
 * `node:http.request` with its `information` event. Every hint and every
 * final response is counted exactly; there must be no error, the sockets
 * must be reused, and the server's memory must stay bounded. The long
 * version is `scripts/soak.ts`.
 */

import { test } from "node:test";
import assert from "node:assert/strict";
import http from "node:http";
import process from "node:process";
import { Client } from "../client.ts";
import { startChildServer } from "./_support/hostile_child.ts";

const CONNECTIONS = Number(process.env.EH_LOAD_CONNECTIONS ?? "300");
const REQUESTS = Number(process.env.EH_LOAD_REQUESTS ?? "20");
const mib = (bytes: number) => (bytes / 2 ** 20).toFixed(1);

interface Tally {
  hints: number;
  finals: number;
  errors: string[];
}

test(`${CONNECTIONS} keep-alive connections x ${REQUESTS} requests through Client: every hint and final arrives`, async () => {
  const server = await startChildServer();
  const client = new Client({ maxSocketsPerOrigin: CONNECTIONS });
  const tally: Tally = { hints: 0, finals: 0, errors: [] };
  try {
    const before = await server.memory();
    const startStats = await server.stats();
    const url = `http://127.0.0.1:${server.port}/hint`;
    const worker = async () => {
      for (let i = 0; i < REQUESTS; i++) {
        try {
          const response = await client.fetch(url, {
            onInformational(info) {
              if (info.status === 103 && info.headers.get("link") !== null) tally.hints++;
            },
          });
          const text = await response.text();
          if (response.status === 200 && text === "hinted") tally.finals++;
          else tally.errors.push(`status ${response.status} body ${JSON.stringify(text)}`);
        } catch (error) {
          tally.errors.push(String(error));
        }
      }
    };
    await Promise.all(Array.from({ length: CONNECTIONS }, worker));
    const after = await server.memory();
    const stats = await server.stats();
    const total = CONNECTIONS * REQUESTS;
    console.log(
      `hardening: load via Client: ${total} requests on ${
        stats.peers - startStats.peers
      } connections, ${tally.hints} hints, ${tally.finals} finals, ${tally.errors.length} errors; ` +
        `server rss ${mib(before.rss)} -> ${mib(after.rss)} MiB, heap ${mib(before.heapUsed)} -> ${
          mib(after.heapUsed)
        } MiB`,
    );
    assert.deepEqual(tally.errors, []);
    assert.equal(tally.hints, total);
    assert.equal(tally.finals, total);
    // The requests between the two stats calls: ours plus the memory probe.
    assert.equal(stats.requests - startStats.requests, total + 2);
    // Keep-alive: connections are reused, never more than the pool allows
    // (the memory and stats probes use one connection each).
    const peers = stats.peers - startStats.peers;
    assert.ok(peers <= CONNECTIONS + 2, `${peers} connections for ${CONNECTIONS} workers`);
    assert.ok(
      after.heapUsed - before.heapUsed < 50 * 2 ** 20,
      `server heap grew by ${mib(after.heapUsed - before.heapUsed)} MiB`,
    );
  } finally {
    await client.close();
    await server.stop();
  }
});

test(`${CONNECTIONS} keep-alive connections x ${REQUESTS} requests through node:http.request: every information event and response arrives`, async () => {
  const server = await startChildServer();
  const agent = new http.Agent({ keepAlive: true, maxSockets: CONNECTIONS });
  const tally: Tally = { hints: 0, finals: 0, errors: [] };
  try {
    const one = () =>
      new Promise<void>((resolve) => {
        const request = http.request({
          host: "127.0.0.1",
          port: server.port,
          path: "/hint",
          agent,
          timeout: 30_000,
        });
        request.on("information", (info) => {
          if (info.statusCode === 103 && info.headers.link !== undefined) tally.hints++;
        });
        request.on("response", (response) => {
          let text = "";
          response.setEncoding("utf8");
          response.on("data", (chunk: string) => (text += chunk));
          response.on("end", () => {
            if (response.statusCode === 200 && text === "hinted") tally.finals++;
            else tally.errors.push(`status ${response.statusCode} body ${JSON.stringify(text)}`);
            resolve();
          });
          response.on("error", (error) => {
            tally.errors.push(String(error));
            resolve();
          });
        });
        request.on("timeout", () => request.destroy(new Error("request timed out")));
        request.on("error", (error) => {
          tally.errors.push(String(error));
          resolve();
        });
        request.end();
      });
    const worker = async () => {
      for (let i = 0; i < REQUESTS; i++) await one();
    };
    await Promise.all(Array.from({ length: CONNECTIONS }, worker));
    const total = CONNECTIONS * REQUESTS;
    console.log(
      `hardening: load via node:http: ${total} requests, ${tally.hints} information events, ` +
        `${tally.finals} finals, ${tally.errors.length} errors`,
    );
    assert.deepEqual(tally.errors, []);
    assert.equal(tally.hints, total);
    assert.equal(tally.finals, total);
  } finally {
    agent.destroy();
    await server.stop();
  }
});
