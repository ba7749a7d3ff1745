/**
 * The llhttp oracle: a program run with Node (`node --import tsx`) that
 * feeds raw request bytes to a real `node:http` server on loopback (llhttp,
 * strict defaults: no `insecureHTTPParser`, Host required) and reports what
 * the server made of them, one JSON line per input.
 *
 * Input on stdin: JSON lines `{"id":N,"data":"<base64>"}`, then EOF.
 * Output on stdout: JSON lines `{"id":N,"requests":[[method,url,bodyBase64,complete]],
 * "end":"waiting"|"error"|"closed","code":"HPE_..."|"NO_HOST"|""}`:
 * - `requests`: each request the handler received, with its body and whether
 *   the body ended;
 * - `end`: `"error"` when the server refused the bytes (`clientError`, or the
 *   400 it sends itself for a missing Host), `"closed"` when it closed the
 *   connection otherwise, `"waiting"` when it sat waiting for more bytes.
 *
 * The bytes are written and the connection kept open (no EOF) until nothing
 * happens for a quiet period (`EH_ORACLE_QUIET_MS`, default 40), so the
 * verdict is about the bytes only; `EH_ORACLE_CONCURRENCY` inputs (default
 * 32) are judged at once.
 *
 * @module
 */

import http from "node:http";
import net from "node:net";
import process from "node:process";
import readline from "node:readline";

interface Verdict {
  id: number;
  requests: Array<[string, string, string, boolean]>;
  end: "waiting" | "error" | "closed";
  code: string;
}

const QUIET_MS = Number(process.env.EH_ORACLE_QUIET_MS ?? "40");
const CONCURRENCY = Number(process.env.EH_ORACLE_CONCURRENCY ?? "32");

/** Verdicts by the client socket's local port (the server sees it as remotePort). */
const byPort = new Map<number, { verdict: Verdict; touch: () => void }>();

const server = http.createServer((request, response) => {
  const entry = byPort.get(request.socket.remotePort ?? -1);
  const record: [string, string, string, boolean] = [
    request.method ?? "",
    request.url ?? "",
    "",
    false,
  ];
  entry?.verdict.requests.push(record);
  entry?.touch();
  const chunks: Buffer[] = [];
  request.on("data", (chunk: Buffer) => {
    chunks.push(chunk);
    entry?.touch();
  });
  request.on("end", () => {
    record[2] = Buffer.concat(chunks).toString("base64");
    record[3] = true;
    entry?.touch();
    response.end("ok");
  });
  request.on("error", () => {});
});
server.on("clientError", (error: Error & { code?: string }, socket: net.Socket) => {
  const entry = byPort.get(socket.remotePort ?? -1);
  if (entry !== undefined) {
    entry.verdict.end = "error";
    entry.verdict.code = error.code ?? "UNKNOWN";
    entry.touch();
  }
  socket.destroy();
});

function judge(id: number, data: Buffer, port: number): Promise<Verdict> {
  return new Promise((resolve) => {
    const verdict: Verdict = { id, requests: [], end: "waiting", code: "" };
    const socket = net.connect(port, "127.0.0.1");
    let received = "";
    let timer: ReturnType<typeof setTimeout> | undefined;
    let done = false;
    const finish = () => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      // Node answers a missing Host itself, before any handler.
      if (verdict.end !== "error" && /^HTTP\/1\.1 400/m.test(received)) {
        verdict.end = "error";
        verdict.code = "NO_HOST";
      }
      byPort.delete(socket.localPort ?? -1);
      socket.destroy();
      resolve(verdict);
    };
    const touch = () => {
      clearTimeout(timer);
      timer = setTimeout(finish, QUIET_MS);
    };
    socket.on("data", (chunk: Buffer) => {
      received += chunk.toString("latin1");
      touch();
    });
    socket.on("close", () => {
      if (verdict.end === "waiting") verdict.end = "closed";
      // Let the server's last events (clientError, request end) arrive.
      setTimeout(finish, 5);
    });
    socket.on("error", () => {});
    socket.on("connect", () => {
      byPort.set(socket.localPort ?? -1, { verdict, touch });
      socket.write(data);
      touch();
    });
  });
}

await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
const port = (server.address() as net.AddressInfo).port;

const queue: Array<{ id: number; data: Buffer }> = [];
const lines = readline.createInterface({ input: process.stdin });
for await (const line of lines) {
  if (line.trim() === "") continue;
  const { id, data } = JSON.parse(line) as { id: number; data: string };
  queue.push({ id, data: Buffer.from(data, "base64") });
}

let next = 0;
const worker = async () => {
  while (next < queue.length) {
    const item = queue[next++]!;
    const verdict = await judge(item.id, item.data, port);
    process.stdout.write(`${JSON.stringify(verdict)}\n`);
  }
};
await Promise.all(Array.from({ length: CONCURRENCY }, worker));
server.closeAllConnections();
server.close();
