// The interim CLI: argument parsing, the real bin as a child process, and
// exchanges with our server, node:http's writeEarlyHints and Go's net/http.
import { test } from "node:test";
import assert from "node:assert/strict";
import { type ChildProcess, spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import process from "node:process";
import { sendInformational, serve } from "../server.ts";
import { parseArgs, UsageError } from "../src/cli/args.ts";
import type { CliHost } from "../src/cli/host.ts";
import { runCli } from "../src/cli/run.ts";
import { VERSION } from "../src/cli/version.ts";
import { goSkipReason, startGoServer } from "./_support/go.ts";
import { REPO_ROOT, runProgram, startProgram, tsCommand } from "./_support/run_ts.ts";

const goSkip = await goSkipReason();
const SPAWN = { timeout: 60_000 };

/** A status line of the human output: `+12.3ms      103 Early Hints`. */
const STATUS_LINE = /^\+\d+\.\dms\s+((?:HTTP\/2 )?\d{3})(?: (.*))?$/;

interface Recorded {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs the CLI in-process with files from a map and stdin from a string. */
async function cli(
  args: string[],
  files: Record<string, string> = {},
  stdin = "",
): Promise<Recorded> {
  let stdout = "";
  let stderr = "";
  const decoder = new TextDecoder();
  const host: CliHost = {
    args,
    writeStdout: (data) => {
      stdout += typeof data === "string" ? data : decoder.decode(data);
      return Promise.resolve();
    },
    writeStderr: (text) => {
      stderr += text;
      return Promise.resolve();
    },
    readFile: (file) =>
      file in files
        ? Promise.resolve(new TextEncoder().encode(files[file]))
        : Promise.reject(new Error(`ENOENT: no such file or directory, open '${file}'`)),
    readStdin: () => Promise.resolve(new TextEncoder().encode(stdin)),
  };
  const code = await runCli(host);
  return { code, stdout, stderr };
}

/** The status codes of the human output's status lines, in order. */
function statusLines(stdout: string): string[] {
  return stdout.split("\n").flatMap((line) => {
    const match = STATUS_LINE.exec(line);
    return match === null ? [] : [`${match[1]} ${match[2] ?? ""}`.trim()];
  });
}

/** Our server: `/hint` sends two 103s then 200 "done"; `/echo` answers with what it got. */
function ourHandler(request: Request): Promise<Response> | Response {
  const url = new URL(request.url);
  if (url.pathname === "/hint") {
    sendInformational(request, 103, { link: "</style.css>; rel=preload; as=style" });
    sendInformational(request, 103, [["x-step", "1"], ["x-step", "2"]]);
    return new Response("done", { headers: { "content-type": "text/plain" } });
  }
  if (url.pathname === "/echo") {
    return request.text().then((body) =>
      Response.json({
        method: request.method,
        body,
        contentType: request.headers.get("content-type"),
        custom: request.headers.get("x-custom"),
      })
    );
  }
  if (url.pathname === "/later") {
    sendInformational(request, 103, { "x-first": "yes" });
    return new Promise((resolve) => setTimeout(() => resolve(new Response("later\n")), 300));
  }
  if (url.pathname === "/slow") {
    sendInformational(request, 103, { "x-slow": "yes" });
    return new Promise((resolve) => {
      const timer = setTimeout(() => resolve(new Response("late")), 10_000);
      request.signal.addEventListener("abort", () => {
        clearTimeout(timer);
        resolve(new Response("aborted"));
      });
    });
  }
  return new Response("no such page", { status: 404 });
}

async function withOurServer(
  run: (url: string) => Promise<void>,
  options: { path?: string } = {},
): Promise<void> {
  const server = await serve(ourHandler, {
    ...(options.path !== undefined ? { path: options.path } : { hostname: "127.0.0.1", port: 0 }),
  });
  try {
    await run(options.path !== undefined ? "http://localhost" : server.url);
  } finally {
    await server.close();
  }
}

test("parseArgs reads curl-style options", () => {
  const options = parseArgs([
    "-XPUT",
    "-H",
    "accept: text/html",
    "--header=x-a:  1 ",
    "-d",
    "a=1",
    "--data=@body.txt",
    "--unix-socket",
    "/tmp/s.sock",
    "--cacert=ca.pem",
    "-k",
    "--connect-timeout",
    "2.5",
    "-m",
    "10",
    "--body",
    "--json",
    "--fail",
    "http://localhost:8080/x?y=1",
  ]);
  assert.equal(options.action, "request");
  assert.equal(options.method, "PUT");
  assert.deepEqual(options.headers, [["accept", "text/html"], ["x-a", "1"]]);
  assert.deepEqual(options.data, [
    { kind: "text", text: "a=1" },
    { kind: "file", path: "body.txt" },
  ]);
  assert.equal(options.unixSocket, "/tmp/s.sock");
  assert.equal(options.cacert, "ca.pem");
  assert.equal(options.insecure, true);
  assert.equal(options.connectTimeout, 2.5);
  assert.equal(options.maxTime, 10);
  assert.equal(options.body && options.json && options.fail, true);
  assert.equal(options.url, "http://localhost:8080/x?y=1");
  assert.equal(parseArgs(["-d", "x", "http://h/"]).method, "POST");
  assert.equal(parseArgs(["http://h/"]).method, "GET");
  assert.equal(parseArgs(["--", "http://h/"]).url, "http://h/");
  assert.equal(parseArgs(["-h"]).action, "help");
  assert.equal(parseArgs(["--version", "http://a/"]).action, "version");
  assert.throws(() => parseArgs(["--help", "--nope"]), /unknown option "--nope"/);
});

test("parseArgs rejects bad command lines with a message naming the problem", () => {
  const cases: Array<[string[], RegExp]> = [
    [[], /no URL given/],
    [["http://a/", "http://b/"], /one URL expected, got 2/],
    [["--nope", "http://a/"], /unknown option "--nope"/],
    [["-X"], /option -X needs a value/],
    [["-X", "GE T", "http://a/"], /bad method "GE T"/],
    [["-H", "no-colon", "http://a/"], /bad header "no-colon"/],
    [["-H", "bad name: x", "http://a/"], /bad header name "bad name"/],
    [["-H", "x: a\rb", "http://a/"], /control characters/],
    [["-H", "x: \u2603", "http://a/"], /above U\+00FF/],
    [["--max-time", "soon", "http://a/"], /--max-time needs a positive number of seconds/],
    [["--connect-timeout=0", "http://a/"], /positive number/],
    [["ftp://a/"], /unsupported scheme "ftp:"/],
    [["not a url"], /bad URL "not a url"/],
    [["http+unix:///x"], /names no socket/],
    [["http://user:pw@a/"], /must not include credentials/],
    [["--unix-socket", "/a.sock", "http+unix://%2Fb.sock/"], /names a unix socket already/],
    [["--json=yes", "http://a/"], /--json takes no value/],
    [["-kf", "http://a/"], /combined short options/],
  ];
  for (const [args, message] of cases) {
    assert.throws(() => parseArgs(args), (error: unknown) => {
      assert.ok(error instanceof UsageError, `${args.join(" ")} throws a UsageError`);
      assert.match(error.message, message, args.join(" "));
      return true;
    });
  }
});

test("interim --help documents every option and exits 0", SPAWN, async () => {
  const { code, stdout } = await runProgram("src/cli/main.ts", ["--help"]);
  assert.equal(code, 0);
  for (
    const option of [
      "-X, --request",
      "-H, --header",
      "-d, --data",
      "--unix-socket",
      "--cacert",
      "-k, --insecure",
      "--connect-timeout",
      "-m, --max-time",
      "--body",
      "--json",
      "-f, --fail",
      "-h, --help",
      "-V, --version",
      "Exit status",
    ]
  ) {
    assert.ok(stdout.includes(option), `--help mentions ${option}`);
  }
});

test("interim --version prints the package.json version", SPAWN, async () => {
  const packageJson = JSON.parse(await readFile(path.join(REPO_ROOT, "package.json"), "utf8"));
  assert.equal(VERSION, packageJson.version);
  const { code, stdout } = await runProgram("src/cli/main.ts", ["--version"]);
  assert.equal(code, 0);
  assert.equal(stdout.trim(), `interim ${packageJson.version}`);
});

test("interim exits 2 with a clear message for bad arguments", SPAWN, async () => {
  const unknown = await runProgram("src/cli/main.ts", ["--frobnicate", "http://127.0.0.1/"]);
  assert.equal(unknown.code, 2);
  assert.equal(unknown.stdout, "");
  assert.match(unknown.stderr, /interim: unknown option "--frobnicate"/);
  assert.match(unknown.stderr, /--help/);
  const missing = await runProgram("src/cli/main.ts", []);
  assert.equal(missing.code, 2);
  assert.match(missing.stderr, /no URL given/);
  const noFile = await cli(["-d", "@missing.txt", "http://127.0.0.1/"]);
  assert.equal(noFile.code, 2);
  assert.match(noFile.stderr, /cannot read --data file "missing.txt"/);
});

test("interim shows each 103 from our server before the final response", async () => {
  await withOurServer(async (url) => {
    const { code, stdout, stderr } = await cli([`${url}/hint`, "--body"]);
    assert.equal(code, 0, stderr);
    assert.deepEqual(statusLines(stdout), ["103 Early Hints", "103 Early Hints", "200 OK"]);
    const lines = stdout.split("\n").map((line) => line.trim());
    const link = lines.indexOf("link: </style.css>; rel=preload; as=style");
    const steps = lines.flatMap((line, index) => line.startsWith("x-step:") ? [index] : []);
    const final = lines.findIndex((line) => / 200 OK$/.test(line));
    assert.ok(link > 0 && link < steps[0]!, "the first hint's field comes first");
    // Repeated fields stay separate lines, as sent.
    assert.deepEqual(steps.map((index) => lines[index]), ["x-step: 1", "x-step: 2"]);
    assert.ok(steps[1]! < final, "hints come before the final status");
    assert.ok(lines.includes("content-type: text/plain"));
    assert.ok(lines.includes("done"), "--body prints the body");
    assert.match(stdout, /end of body \(4 bytes\)\n$/);
  });
});

test("interim --json prints one document with interim and final heads", async () => {
  await withOurServer(async (url) => {
    const { code, stdout } = await cli(["--json", "--body", `${url}/hint`]);
    assert.equal(code, 0);
    const document = JSON.parse(stdout);
    assert.equal(document.url, `${url}/hint`);
    assert.equal(document.method, "GET");
    assert.equal(document.informational.length, 2);
    assert.deepEqual(document.informational[0].headers, [[
      "link",
      "</style.css>; rel=preload; as=style",
    ]]);
    assert.deepEqual(document.informational[1].headers, [["x-step", "1"], ["x-step", "2"]]);
    assert.equal(document.informational[0].status, 103);
    assert.equal(document.informational[0].statusText, "Early Hints");
    assert.equal(typeof document.informational[0].elapsedMs, "number");
    assert.equal(document.final.status, 200);
    assert.equal(document.final.statusText, "OK");
    assert.ok(document.final.elapsedMs >= document.informational[1].elapsedMs);
    assert.deepEqual(
      document.final.headers.find(([name]: [string]) => name === "content-type"),
      ["content-type", "text/plain"],
    );
    assert.equal(document.body, "done");
    assert.equal(document.bodyBytes, 4);
    assert.equal(document.error, undefined);
  });
});

test("interim sends the method, headers and data (@file and @-)", async () => {
  await withOurServer(async (url) => {
    const inline = await cli([
      "--body",
      "-H",
      "x-custom: yes",
      "-d",
      "a=1",
      "-d",
      "b=2",
      `${url}/echo`,
    ]);
    assert.equal(inline.code, 0, inline.stderr);
    const echoed = JSON.parse(inline.stdout.split("\n").find((line) => line.startsWith("{"))!);
    assert.deepEqual(echoed, {
      method: "POST",
      body: "a=1&b=2",
      contentType: "application/x-www-form-urlencoded",
      custom: "yes",
    });

    const fromFile = await cli(
      [
        "--json",
        "--body",
        "-X",
        "PUT",
        "-H",
        "content-type: text/plain",
        "-d",
        "@in.txt",
        `${url}/echo`,
      ],
      { "in.txt": "line 1\nline 2\n" },
    );
    const fileEcho = JSON.parse(JSON.parse(fromFile.stdout).body);
    assert.deepEqual(fileEcho, {
      method: "PUT",
      body: "line 1\nline 2\n",
      contentType: "text/plain",
      custom: null,
    });

    const fromStdin = await cli(["--json", "--body", "-d", "@-", `${url}/echo`], {}, "from stdin");
    assert.equal(JSON.parse(JSON.parse(fromStdin.stdout).body).body, "from stdin");
  });
});

test("interim --unix-socket reaches a server on a unix socket", async () => {
  const directory = await mkdtemp(path.join(tmpdir(), "interim-cli-"));
  try {
    await withOurServer(async () => {
      const { code, stdout, stderr } = await cli([
        "--unix-socket",
        path.join(directory, "s.sock"),
        "http://localhost/hint",
      ]);
      assert.equal(code, 0, stderr);
      assert.deepEqual(statusLines(stdout), ["103 Early Hints", "103 Early Hints", "200 OK"]);
    }, { path: path.join(directory, "s.sock") });
  } finally {
    await rm(directory, { recursive: true, force: true });
  }
});

test("interim (the bin) reaches server.url of a unix socket server", SPAWN, async () => {
  const directory = await mkdtemp(path.join(tmpdir(), "interim-cli-"));
  try {
    const server = await serve(ourHandler, { path: path.join(directory, "url.sock") });
    try {
      assert.match(server.url, /^http\+unix:\/\/%2F/);
      const { code, stdout, stderr } = await runProgram("src/cli/main.ts", [
        "--body",
        `${server.url}/hint`,
      ]);
      assert.equal(code, 0, stderr);
      assert.deepEqual(statusLines(stdout), ["103 Early Hints", "103 Early Hints", "200 OK"]);
      assert.ok(stdout.split("\n").includes("done"), stdout);
    } finally {
      await server.close();
    }
  } finally {
    await rm(directory, { recursive: true, force: true });
  }
});

test("interim exits 1 with a clear message when nothing listens", async () => {
  // Bind and close to find a port that nothing listens on.
  const server = await serve(() => new Response(), { hostname: "127.0.0.1", port: 0 });
  const url = server.url;
  await server.close();

  const human = await cli([`${url}/`]);
  assert.equal(human.code, 1);
  assert.equal(human.stdout, "");
  assert.match(human.stderr, /^interim: .*\(CONNECTION_REFUSED\)\n$/);

  const json = await cli(["--json", `${url}/`]);
  assert.equal(json.code, 1);
  const document = JSON.parse(json.stdout);
  assert.equal(document.final, null);
  assert.equal(document.bodyBytes, null);
  assert.deepEqual(document.informational, []);
  assert.equal(document.error.code, "CONNECTION_REFUSED");
  assert.equal(typeof document.error.message, "string");
});

test("interim --fail exits 22 for a 404, 0 without it", async () => {
  await withOurServer(async (url) => {
    const plain = await cli([`${url}/missing`]);
    assert.equal(plain.code, 0);
    assert.deepEqual(statusLines(plain.stdout), ["404 Not Found"]);
    const failing = await cli(["--fail", `${url}/missing`]);
    assert.equal(failing.code, 22);
  });
});

test("interim --max-time gives up after the hint when the final response is late", async () => {
  await withOurServer(async (url) => {
    const { code, stdout } = await cli(["--json", "--max-time", "0.3", `${url}/slow`]);
    assert.equal(code, 1);
    const document = JSON.parse(stdout);
    assert.equal(document.informational.length, 1, "the hint was shown");
    assert.equal(document.final, null);
    assert.equal(document.error.name, "TimeoutError");
    assert.match(document.error.message, /final response: --max-time 0\.3 s ran out/);
  });
});

/** Starts a real Node process serving one 103 via node:http's writeEarlyHints. */
async function startNodeHttpServer(): Promise<{ url: string; stop(): Promise<void> }> {
  const script = `
    const http = require("node:http");
    const server = http.createServer((req, res) => {
      res.writeEarlyHints({ link: "</node.css>; rel=preload; as=style", "x-from": "node-http" });
      setTimeout(() => {
        res.writeHead(200, { "content-type": "text/plain" });
        res.end("from node:http");
      }, 50);
    });
    server.listen(0, "127.0.0.1", () => {
      console.log("listening http://127.0.0.1:" + server.address().port);
    });
    process.stdin.on("end", () => { server.closeAllConnections(); server.close(); });
    process.stdin.resume();
  `;
  const child: ChildProcess = spawn("node", ["-e", script], { stdio: ["pipe", "pipe", "inherit"] });
  const exited = new Promise<void>((resolve) => child.once("close", () => resolve()));
  const stop = async () => {
    child.stdin?.end();
    const killer = setTimeout(() => child.kill("SIGKILL"), 3_000);
    await exited;
    clearTimeout(killer);
  };
  try {
    const url = await new Promise<string>((resolve, reject) => {
      let output = "";
      const timer = setTimeout(() => reject(new Error("node:http server did not start")), 15_000);
      child.stdout?.setEncoding("utf8");
      child.stdout?.on("data", (chunk: string) => {
        output += chunk;
        const match = /listening (\S+)/.exec(output);
        if (match !== null) {
          clearTimeout(timer);
          resolve(match[1]!);
        }
      });
      void exited.then(() => {
        clearTimeout(timer);
        reject(new Error("node:http server exited"));
      });
    });
    return { url, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}

test("interim (the bin) shows the 103 from node:http writeEarlyHints", SPAWN, async () => {
  const peer = await startNodeHttpServer();
  try {
    const { code, stdout, stderr } = await runProgram("src/cli/main.ts", [
      "--body",
      `${peer.url}/`,
    ]);
    assert.equal(code, 0, stderr);
    assert.deepEqual(statusLines(stdout), ["103 Early Hints", "200 OK"]);
    const lines = stdout.split("\n").map((line) => line.trim());
    assert.ok(
      lines.indexOf("link: </node.css>; rel=preload; as=style") <
        lines.indexOf("x-from: node-http"),
    );
    assert.ok(lines.indexOf("x-from: node-http") < lines.findIndex((line) => /200 OK$/.test(line)));
    assert.ok(lines.includes("from node:http"));
  } finally {
    await peer.stop();
  }
});

test("interim (the bin) shows the seed's 103 from a Go net/http server", {
  skip: goSkip,
  timeout: 240_000,
}, async () => {
  const server = await startGoServer(["-delay", "100ms"]);
  try {
    const { code, stdout, stderr } = await runProgram("src/cli/main.ts", [
      "--json",
      `${server.url}/seed`,
    ]);
    assert.equal(code, 0, stderr);
    const document = JSON.parse(stdout);
    assert.equal(document.informational.length, 1);
    assert.equal(document.informational[0].status, 103);
    assert.equal(document.informational[0].statusText, "Early Hints");
    // Go writes a header map: names canonicalised, keys sorted.
    assert.deepEqual(document.informational[0].headers, [
      ["aaa", "bbb"],
      ["sss", "ttt"],
      ["xxx", "yyy"],
    ]);
    assert.equal(document.final.status, 200);
    const final = (document.final.headers as [string, string][])
      .filter(([name]) => name !== "date" && name !== "content-length");
    assert.deepEqual(final, [
      ["aaa", "bbb"],
      ["ccc", "ddd"],
      ["sss", "ttt"],
      ["sss", "uuu"],
      ["xxx", "zzz"],
    ]);
  } finally {
    await server.close();
  }
});

test("interim trusts --cacert, skips verification with -k, refuses otherwise", async () => {
  const tls = path.join(REPO_ROOT, "tests", "fixtures", "tls");
  const server = await serve(ourHandler, {
    hostname: "127.0.0.1",
    port: 0,
    cert: await readFile(path.join(tls, "test-server-cert.pem"), "utf8"),
    key: await readFile(path.join(tls, "test-server-key.pem"), "utf8"),
  });
  try {
    const url = `https://localhost:${(server.addr as { port: number }).port}/hint`;
    const ca = await readFile(path.join(tls, "test-ca-cert.pem"), "utf8");
    const trusted = await cli(["--cacert", "ca.pem", url], { "ca.pem": ca });
    assert.equal(trusted.code, 0, trusted.stderr);
    // Over TLS the CLI and serve() agree on HTTP/2 (ALPN): no reason phrases,
    // and the final line names the protocol.
    assert.deepEqual(statusLines(trusted.stdout), ["103", "103", "HTTP/2 200"]);
    const insecure = await cli(["-k", url]);
    assert.equal(insecure.code, 0, insecure.stderr);
    assert.deepEqual(statusLines(insecure.stdout), ["103", "103", "HTTP/2 200"]);
    const refused = await cli([url]);
    assert.equal(refused.code, 1);
    assert.match(refused.stderr, /\(TLS_FAILURE\)/);
  } finally {
    await server.close();
  }
});

test("interim (the bin) reads -d @file from disk", SPAWN, async () => {
  const directory = await mkdtemp(path.join(tmpdir(), "interim-data-"));
  try {
    const file = path.join(directory, "body.json");
    await writeFile(file, '{"from":"file"}');
    await withOurServer(async (url) => {
      const { code, stdout, stderr } = await runProgram("src/cli/main.ts", [
        "--json",
        "--body",
        "-H",
        "content-type: application/json",
        "-d",
        `@${file}`,
        `${url}/echo`,
      ]);
      assert.equal(code, 0, stderr);
      const echoed = JSON.parse(JSON.parse(stdout).body);
      assert.equal(echoed.body, '{"from":"file"}');
      assert.equal(echoed.contentType, "application/json");
    });
  } finally {
    await rm(directory, { recursive: true, force: true });
  }
});

test(
  "interim (the bin) exits quietly when its stdout closes, as with | head",
  SPAWN,
  async () => {
    await withOurServer(async (url) => {
      const [command, args] = tsCommand("src/cli/main.ts", ["--body", `${url}/later`]);
      // A real `| head -1`: head exits after the 103's first line, and the final
      // response, 300 ms later, is written to a closed pipe. bash reports the
      // CLI's own exit status through PIPESTATUS.
      const script = '"$@" | head -1 >/dev/null; exit "${PIPESTATUS[0]}"';
      const child = spawn("bash", ["-c", script, "bash", command, ...args], {
        cwd: REPO_ROOT,
        stdio: ["ignore", "ignore", "pipe"],
      });
      let stderr = "";
      child.stderr.setEncoding("utf8");
      child.stderr.on("data", (chunk: string) => (stderr += chunk));
      const code = await new Promise<number | null>((resolve) => {
        const timer = setTimeout(() => child.kill("SIGKILL"), 30_000);
        child.once("close", (exitCode) => {
          clearTimeout(timer);
          resolve(exitCode);
        });
      });
      assert.doesNotMatch(stderr, /EPIPE|Unhandled|Uncaught/);
      assert.equal(code, 0, stderr);
    });
  },
);

/** PATH as a user's shell has it: without the node_modules/.bin that npm test puts first. */
function userPath(): string {
  return (process.env.PATH ?? "").split(path.delimiter)
    .filter((entry) => !entry.replaceAll("\\", "/").endsWith("node_modules/.bin"))
    .join(path.delimiter);
}

/** Runs a command line with `sh -c` in the repository root; resolves with its exit and output. */
function runShell(
  line: string,
  env: Record<string, string>,
  timeoutMs: number,
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn("sh", ["-c", line], {
      cwd: REPO_ROOT,
      env: { ...process.env, NO_COLOR: "1", ...env },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.setEncoding("utf8").on("data", (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding("utf8").on("data", (chunk: string) => (stderr += chunk));
    const timer = setTimeout(() => child.kill("SIGKILL"), timeoutMs);
    child.once("error", (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.once("close", (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

const npxSkip = (await runShell("command -v npx", { PATH: userPath() }, 10_000)).code === 0
  ? false
  : "npx is not on PATH";

test(
  "fresh clone: npm run seed prints an npx interim line, and that line shows the seed's 103",
  { ...SPAWN, skip: npxSkip },
  async () => {
    const manifest = JSON.parse(await readFile(path.join(REPO_ROOT, "package.json"), "utf8"));
    assert.equal(manifest.bin.interim, "./dist/src/cli/main.js");
    assert.match(manifest.scripts.seed, /scripts\/seed_server\.ts/);
    // npm ci runs prepare, which builds the bin: nothing else makes `npx interim` work.
    assert.match(manifest.scripts.prepare, /scripts\/prepare\.mjs/);
    assert.ok(
      existsSync(path.join(REPO_ROOT, "dist/src/cli/main.js")),
      "dist/src/cli/main.js is missing: npm ci builds it (prepare); after changing src/, npm run build",
    );
    // What `npm run seed` runs, on the runtime running this test.
    const seed = startProgram("scripts/seed_server.ts", ["--port=0", "--delay=200"]);
    // An npx cache of its own: a cache made before dist/ existed holds no bin link.
    const cache = await mkdtemp(path.join(tmpdir(), "interim-npx-"));
    try {
      const line = (await seed.waitForLine(/^\s+npx interim http:\/\/127\.0\.0\.1:\d+\/$/, 30_000))
        .trim();
      const result = await runShell(line, { PATH: userPath(), npm_config_cache: cache }, 60_000);
      assert.equal(result.code, 0, `${line}\n${result.stdout}\n${result.stderr}`);
      assert.deepEqual(statusLines(result.stdout), ["103 Early Hints", "200 OK"]);
      const lines = result.stdout.split("\n").map((text) => text.trim());
      const final = lines.findIndex((text) => text.endsWith("200 OK"));
      // The seed's hint (xxx: yyy), then its final fields (xxx: zzz, ccc: ddd).
      assert.ok(lines.indexOf("xxx: yyy") > -1 && lines.indexOf("xxx: yyy") < final, result.stdout);
      assert.ok(lines.indexOf("xxx: zzz") > final, result.stdout);
      assert.ok(lines.indexOf("ccc: ddd") > final, result.stdout);
    } finally {
      await seed.stop();
      await rm(cache, { recursive: true, force: true });
    }
  },
);
