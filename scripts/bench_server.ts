/**
 * Server benchmark for the runtime running this script: requests per second,
 * latency and server CPU per request, with one `103 Early Hints` per request,
 * for
 *
 * - our `serve()` (every backend of this runtime: the engine, and on Node
 *   also `node-http`), on `/hint` and `/plain`;
 * - `node:http` with `writeEarlyHints` on the same runtime, on `/hint` and `/plain`;
 * - the native server (`Deno.serve`, `Bun.serve`; none on Node) on `/plain`;
 * - `raw sockets`: no HTTP, a canned `103` and `200` written per read on the
 *   runtime's own sockets: the floor (mostly the kernel's work for two
 *   writes and a read) under any JavaScript server that sends the hint in
 *   its own write.
 *
 * Each server runs in its own child process of the same runtime
 * (`scripts/bench_fixtures/server_fixture.ts`); the load comes from Debian's
 * `hey` (Go's net/http client, which handles 1xx correctly) in another
 * process. CPU per request is the server process's own `process.cpuUsage()`
 * delta over the run, divided by the requests: on a 2-core machine the load
 * generator competes for the CPU, so this is the steadier figure, with rps
 * beside it. The ratios at the end compare figures from the same run.
 *
 * Usage: `<runtime> scripts/bench_server.ts [--full] [--json]`
 * (`node --import tsx`, `deno run -A`, `bun`). Quick mode takes about 30 s.
 *
 * @module
 */

import { type ChildProcess, spawn } from "node:child_process";
import path from "node:path";
import process from "node:process";
import { fileURLToPath } from "node:url";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const FIXTURE = path.join(ROOT, "scripts", "bench_fixtures", "server_fixture.ts");
const RUNTIME: "deno" | "bun" | "node" = "Deno" in globalThis
  ? "deno"
  : "Bun" in globalThis
  ? "bun"
  : "node";

const full = process.argv.includes("--full");
const asJson = process.argv.includes("--json");

/** One measured run. */
interface Row {
  server: string;
  path: string;
  concurrency: number;
  requests: number;
  rps: number;
  p50ms: number;
  p99ms: number;
  cpuUsPerRequest: number;
  non2xx: number;
}

function runtimeCommand(file: string, args: string[]): [string, string[]] {
  if (RUNTIME === "deno") return [process.execPath, ["run", "-A", file, ...args]];
  if (RUNTIME === "bun") return [process.execPath, [file, ...args]];
  return [process.execPath, ["--import", "tsx", file, ...args]];
}

interface Child {
  port: number;
  process: ChildProcess;
}

function startServer(kind: string): Promise<Child> {
  const [command, args] = runtimeCommand(FIXTURE, [kind]);
  const child = spawn(command, args, { cwd: ROOT, stdio: ["pipe", "pipe", "inherit"] });
  return new Promise((resolve, reject) => {
    let out = "";
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`${kind}: no "listening" line within 20 s`));
    }, 20_000);
    child.stdout!.on("data", (chunk: Buffer) => {
      out += chunk.toString();
      const match = /listening (\d+)/.exec(out);
      if (match) {
        clearTimeout(timer);
        resolve({ port: Number(match[1]), process: child });
      }
    });
    child.on("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`${kind}: exited with ${code} before listening`));
    });
  });
}

async function stopServer(child: Child): Promise<void> {
  const exited = new Promise<void>((resolve) => child.process.once("exit", () => resolve()));
  child.process.stdin!.end();
  const timer = setTimeout(() => child.process.kill("SIGKILL"), 3_000);
  await exited;
  clearTimeout(timer);
}

async function cpuMicros(port: number): Promise<number> {
  const response = await fetch(`http://127.0.0.1:${port}/__cpu`, {
    signal: AbortSignal.timeout(5_000),
  });
  const usage = await response.json() as { user: number; system: number };
  return usage.user + usage.system;
}

function runHey(args: string[], timeoutMs: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn("hey", args, { stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    child.stdout.on("data", (chunk: Buffer) => (out += chunk.toString()));
    child.stderr.on("data", (chunk: Buffer) => (out += chunk.toString()));
    const timer = setTimeout(() => child.kill("SIGKILL"), timeoutMs);
    child.on("error", (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.on("close", () => {
      clearTimeout(timer);
      resolve(out);
    });
  });
}

function parseHey(output: string): { rps: number; p50: number; p99: number; non2xx: number } {
  const rps = Number(/Requests\/sec:\s+([\d.]+)/.exec(output)?.[1] ?? NaN);
  const p50 = Number(/50%+ in ([\d.]+) secs/.exec(output)?.[1] ?? NaN) * 1000;
  const p99 = Number(/99%+ in ([\d.]+) secs/.exec(output)?.[1] ?? NaN) * 1000;
  let non2xx = 0;
  for (const match of output.matchAll(/\[(\d{3})\]\s+(\d+) responses/g)) {
    if (!match[1]!.startsWith("2")) non2xx += Number(match[2]);
  }
  if (/Error distribution/.test(output)) non2xx += 1;
  return { rps, p50, p99, non2xx };
}

async function measure(
  server: string,
  port: number,
  urlPath: string,
  concurrency: number,
  requests: number,
): Promise<Row> {
  const url = `http://127.0.0.1:${port}${urlPath}`;
  const before = await cpuMicros(port);
  const output = await runHey(["-n", String(requests), "-c", String(concurrency), url], 120_000);
  const after = await cpuMicros(port);
  const parsed = parseHey(output);
  return {
    server,
    path: urlPath,
    concurrency,
    requests,
    rps: parsed.rps,
    p50ms: parsed.p50,
    p99ms: parsed.p99,
    // The two /__cpu requests cost a little too; negligible against thousands.
    cpuUsPerRequest: (after - before) / requests,
    non2xx: parsed.non2xx,
  };
}

async function main(): Promise<void> {
  const heyCheck = await runHey(["-n", "1", "http://127.0.0.1:9/"], 10_000).catch(() => "");
  if (heyCheck === "") {
    console.error("bench_server: `hey` is not installed (apt-get install hey)");
    process.exit(2);
  }
  const servers: Array<{ name: string; kind: string; paths: string[] }> = [
    { name: `ours(${RUNTIME})`, kind: "ours", paths: ["/hint", "/plain"] },
  ];
  if (RUNTIME === "node") {
    servers[0]!.name = "ours(node, default)";
    servers.push({ name: "ours(node-http)", kind: "ours-node-http", paths: ["/hint", "/plain"] });
  }
  servers.push({
    name: "node:http+writeEarlyHints",
    kind: "node-http",
    paths: ["/hint", "/plain"],
  });
  if (RUNTIME !== "node") {
    servers.push({
      name: RUNTIME === "deno" ? "Deno.serve" : "Bun.serve",
      kind: "native",
      paths: ["/plain"],
    });
  }
  servers.push({ name: "raw sockets (no HTTP)", kind: "raw", paths: ["/hint"] });
  const manyRequests = full ? 60_000 : 12_000;
  const oneRequests = full ? 10_000 : 2_000;
  const rows: Row[] = [];
  for (const server of servers) {
    const child = await startServer(server.kind);
    try {
      // Warm up the JIT on every path measured: with 3 000 requests JSC
      // (Bun) was still compiling, which showed as 40 % more CPU per request.
      const warmUp = full ? "20000" : "8000";
      for (const urlPath of server.paths) {
        await runHey(
          ["-n", warmUp, "-c", "32", `http://127.0.0.1:${child.port}${urlPath}`],
          60_000,
        );
      }
      for (const urlPath of server.paths) {
        rows.push(await measure(server.name, child.port, urlPath, 64, manyRequests));
        rows.push(await measure(server.name, child.port, urlPath, 1, oneRequests));
      }
    } finally {
      await stopServer(child);
    }
  }
  if (asJson) {
    console.log(JSON.stringify({ runtime: RUNTIME, rows }, null, 2));
    return;
  }
  console.log(
    `\nserver benchmark on ${RUNTIME} (${full ? "full" : "quick"} mode, hey; CPU = server process)`,
  );
  console.log(
    "server".padEnd(28) + "path".padEnd(8) + "c".padStart(4) + "req".padStart(8) +
      "rps".padStart(9) + "p50 ms".padStart(9) + "p99 ms".padStart(9) + "CPU µs/req".padStart(12) +
      "  non-2xx",
  );
  for (const row of rows) {
    console.log(
      row.server.padEnd(28) + row.path.padEnd(8) + String(row.concurrency).padStart(4) +
        String(row.requests).padStart(8) + row.rps.toFixed(0).padStart(9) +
        row.p50ms.toFixed(2).padStart(9) + row.p99ms.toFixed(2).padStart(9) +
        row.cpuUsPerRequest.toFixed(1).padStart(12) + `  ${row.non2xx}`,
    );
  }
  const find = (server: string, urlPath: string, c: number) =>
    rows.find((row) => row.server === server && row.path === urlPath && row.concurrency === c);
  const ours = rows[0]!.server;
  const lines: string[] = [];
  const compare = (label: string, a: Row | undefined, b: Row | undefined) => {
    if (a === undefined || b === undefined) return;
    lines.push(
      `${label}: rps ${(a.rps / b.rps).toFixed(2)}x, CPU/req ${
        (a.cpuUsPerRequest / b.cpuUsPerRequest).toFixed(2)
      }x (lower is better)`,
    );
  };
  compare(
    `${ours} /hint vs node:http+writeEarlyHints /hint (c=64)`,
    find(ours, "/hint", 64),
    find("node:http+writeEarlyHints", "/hint", 64),
  );
  if (RUNTIME === "node") {
    compare(
      `ours(node-http) /hint vs node:http+writeEarlyHints /hint (c=64)`,
      find("ours(node-http)", "/hint", 64),
      find("node:http+writeEarlyHints", "/hint", 64),
    );
    compare(
      `${ours} /hint vs ours(node-http) /hint (c=64)`,
      find(ours, "/hint", 64),
      find("ours(node-http)", "/hint", 64),
    );
  } else {
    const native = RUNTIME === "deno" ? "Deno.serve" : "Bun.serve";
    compare(
      `${ours} /hint vs ${native} /plain (c=64)`,
      find(ours, "/hint", 64),
      find(native, "/plain", 64),
    );
    compare(
      `${ours} /plain vs ${native} /plain (c=64)`,
      find(ours, "/plain", 64),
      find(native, "/plain", 64),
    );
  }
  compare(
    `${ours} /hint vs raw sockets (no HTTP) /hint (c=64)`,
    find(ours, "/hint", 64),
    find("raw sockets (no HTTP)", "/hint", 64),
  );
  console.log("\nratios (same run):");
  for (const line of lines) console.log(`  ${line}`);
}

await main();
