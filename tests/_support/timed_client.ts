/**
 * Test support, run as a child process: sends one HTTP/1.1 request over
 * node:net and prints each chunk received as a JSON line `{ "ms", "text" }`
 * (milliseconds since the request was written), then `end` when the server
 * closes. A client in its own process sees when bytes leave a server that
 * keeps its own event loop busy.
 *
 * Usage: `timed_client.ts PORT PATH`.
 *
 * @module
 */

import net from "node:net";
import process from "node:process";

const [port = "0", path = "/"] = process.argv.slice(2);
const socket = net.connect(Number(port), "127.0.0.1");
let start = 0;
socket.setNoDelay(true);
socket.on("connect", () => {
  start = performance.now();
  socket.write(`GET ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n`);
});
socket.on("data", (chunk: Uint8Array) => {
  const text = new TextDecoder().decode(chunk);
  console.log(JSON.stringify({ ms: Math.round(performance.now() - start), text }));
});
socket.on("close", () => {
  console.log("end");
  process.exit(0);
});
socket.on("error", (error) => {
  console.log(JSON.stringify({ error: String(error) }));
  process.exit(1);
});
// Never wait forever: the test gives up long before this.
setTimeout(() => process.exit(2), 10_000).unref();
