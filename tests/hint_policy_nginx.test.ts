/**
 * nginx as a reverse proxy in front of `serve()` (issue 15, part 3). nginx
 * before 1.29 knows no 1xx from an upstream: with `proxy_http_version 1.1`
 * (without it nginx speaks HTTP/1.0 upstream and our server sends no 1xx at
 * all) it takes our 103 for the final response. An HTTP/1.1 client gets
 * nginx's own `103` with no framing, followed by our 200's raw bytes as its
 * "body", and nothing of it before the handler has answered (no head start);
 * an HTTP/2 client gets a 103 HEADERS frame, then DATA, which is a protocol
 * error that resets the stream. Both asserted as measured, then the
 * fix: nginx adds a field (`proxy_set_header X-Behind-Nginx 1`) and the server
 * runs with `hintPolicy: unlessHeader("x-behind-nginx")`, so requests through
 * nginx get a plain 200 while direct ones keep their 103.
 *
 * nginx runs from a temporary prefix (config, pid, logs, temp paths), in the
 * foreground as one process, listening on unix sockets in that directory, so
 * no root-only path or free TCP port is needed. Without nginx (or curl, for
 * HTTP/2) the tests skip and say what to install.
 */

import { test } from "node:test";
import assert from "node:assert/strict";
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { accessSync, constants, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import {
  type InformationalResult,
  sendInformational,
  type ServeOptions,
  unlessHeader,
} from "../server.ts";
import { delay, withServer } from "./_support/server_util.ts";

const HINT = "</app.css>; rel=preload; as=style";
const BODY = "final body";
const PROXY_FIELD = "X-Behind-Nginx";
const WAIT_MS = 5_000;
/** The page's work between its 103 and its 200: room for a hint to arrive first. */
const ANSWER_DELAY_MS = 200;

/** The nginx binary (often in an sbin directory off a user's PATH), or undefined. */
function findNginx(): string | undefined {
  const directories = [
    ...(process.env.PATH ?? "").split(path.delimiter),
    "/usr/sbin",
    "/usr/local/sbin",
  ];
  for (const directory of directories) {
    if (directory === "") continue;
    const candidate = path.join(directory, "nginx");
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not here
    }
  }
  return undefined;
}

const NGINX = findNginx();
/** "1.22.1", from `nginx -v` (which prints to stderr). */
const NGINX_VERSION = NGINX === undefined
  ? undefined
  : /nginx\/(\d+\.\d+\.\d+)/.exec(spawnSync(NGINX, ["-v"], { encoding: "utf8" }).stderr)?.[1];
const nginxSkip = NGINX === undefined
  ? "nginx not installed: apt-get install nginx-light"
  : NGINX_VERSION === undefined
  ? "nginx -v printed no version"
  : false;
// nginx 1.29 handles 103 from an upstream (its early_hints directive); the
// defect is asserted only where it was measured, on the releases before.
const [major = 0, minor = 0] = (NGINX_VERSION ?? "0.0").split(".").map(Number);
const defectSkip = nginxSkip ||
  (major > 1 || minor >= 29
    ? `nginx ${NGINX_VERSION} is 1.29 or later; the defect was measured on 1.22`
    : false);
const curlSkip = spawnSync("curl", ["--version"], { stdio: "ignore" }).status === 0
  ? false
  : "curl not installed (the HTTP/2 client here): apt-get install curl";

/** A running nginx: its unix sockets and how to stop it. */
interface Nginx {
  /** HTTP/1.1 listener. */
  readonly h1Socket: string;
  /** HTTP/2 with prior knowledge (h2c) listener. */
  readonly h2Socket: string;
  /** HTTP/1.1 listener proxying with nginx's default, `proxy_http_version 1.0`. */
  readonly http10Socket: string;
  /** Its error log so far, for failure messages. */
  errorLog(): string;
  stop(): Promise<void>;
}

/**
 * nginx's configuration: the h1 and h2 listeners proxy to `upstreamPort` over
 * HTTP/1.1, marking requests with {@linkcode PROXY_FIELD}; the http10 one
 * with nginx's defaults (HTTP/1.0 upstream, no mark).
 */
function nginxConfig(prefix: string, upstreamPort: number): string {
  const at = (name: string) => path.join(prefix, name);
  return `daemon off;
master_process off;
pid ${at("nginx.pid")};
error_log ${at("error.log")} info;
events { worker_connections 64; }
http {
  access_log off;
  client_body_temp_path ${at("body")};
  proxy_temp_path ${at("proxy")};
  fastcgi_temp_path ${at("fastcgi")};
  uwsgi_temp_path ${at("uwsgi")};
  scgi_temp_path ${at("scgi")};
  server {
    listen unix:${at("h1.sock")};
    listen unix:${at("h2.sock")} http2;
    location / {
      proxy_pass http://127.0.0.1:${upstreamPort};
      proxy_http_version 1.1;
      proxy_set_header ${PROXY_FIELD} 1;
    }
  }
  server {
    listen unix:${at("http10.sock")};
    location / {
      proxy_pass http://127.0.0.1:${upstreamPort};
    }
  }
}
`;
}

/** Starts nginx in front of `upstreamPort`; resolves once every socket accepts. */
async function startNginx(upstreamPort: number): Promise<Nginx> {
  const prefix = mkdtempSync(path.join(os.tmpdir(), "hint-policy-nginx-"));
  const config = path.join(prefix, "nginx.conf");
  writeFileSync(config, nginxConfig(prefix, upstreamPort));
  const child = spawn(NGINX!, ["-p", prefix, "-c", config, "-e", path.join(prefix, "error.log")], {
    stdio: ["ignore", "ignore", "pipe"],
  });
  let stderr = "";
  child.stderr!.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  const errorLog = () => {
    let log = "";
    try {
      log = readFileSync(path.join(prefix, "error.log"), "utf8");
    } catch {
      // not written yet
    }
    return `nginx stderr:\n${stderr}\nerror.log:\n${log}`;
  };
  const nginx: Nginx = {
    h1Socket: path.join(prefix, "h1.sock"),
    h2Socket: path.join(prefix, "h2.sock"),
    http10Socket: path.join(prefix, "http10.sock"),
    errorLog,
    stop: async () => {
      await stopChild(child, exited);
      rmSync(prefix, { recursive: true, force: true });
    },
  };
  try {
    const deadline = Date.now() + WAIT_MS;
    for (const socket of [nginx.h1Socket, nginx.h2Socket, nginx.http10Socket]) {
      while (!(await accepts(socket))) {
        assert.equal(child.exitCode, null, `nginx exited at start\n${errorLog()}`);
        assert.ok(
          Date.now() < deadline,
          `nginx did not listen within ${WAIT_MS} ms\n${errorLog()}`,
        );
        await delay(50);
      }
    }
  } catch (error) {
    await nginx.stop();
    throw error;
  }
  return nginx;
}

/** Ends nginx (SIGTERM, a fast shutdown; SIGKILL after the bound). */
async function stopChild(child: ChildProcess, exited: Promise<void>): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  child.kill("SIGTERM");
  const timer = setTimeout(() => child.kill("SIGKILL"), WAIT_MS);
  await exited;
  clearTimeout(timer);
}

/** Whether a unix socket accepts a connection now. */
function accepts(socketPath: string): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ path: socketPath });
    socket.once("connect", () => {
      socket.destroy();
      resolve(true);
    });
    socket.once("error", () => resolve(false));
  });
}

/** What a raw exchange received, and when its first bytes came (`performance.now()`). */
interface RawAnswer {
  readonly text: string;
  readonly firstBytesAt: number;
}

/**
 * Writes `request` to a unix socket path (or a TCP address) and returns what
 * came back once `done` says so (nginx keeps the connection open after the
 * bytes we wait for).
 */
function exchangeRaw(
  to: string | net.NetConnectOpts,
  request: string,
  done: (text: string) => boolean,
): Promise<RawAnswer> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(typeof to === "string" ? { path: to } : to);
    let text = "";
    let firstBytesAt = Number.NaN;
    const finish = (error?: Error) => {
      clearTimeout(timer);
      socket.destroy();
      if (error === undefined) resolve({ text, firstBytesAt });
      else reject(error);
    };
    const timer = setTimeout(
      () => finish(new Error(`no complete answer within ${WAIT_MS} ms; got:\n${text}`)),
      WAIT_MS,
    );
    socket.on("connect", () => socket.write(request));
    socket.on("data", (chunk: Buffer) => {
      if (text === "") firstBytesAt = performance.now();
      text += chunk.toString("latin1");
      if (done(text)) finish();
    });
    socket.on("error", (error) => finish(error));
    socket.on("close", () => finish(done(text) ? undefined : new Error(`closed early:\n${text}`)));
  });
}

const GET = "GET / HTTP/1.1\r\nHost: localhost\r\nUser-Agent: raw-test\r\n\r\n";

/** curl -v over h2c through nginx's HTTP/2 socket (never throws on curl's exit code). */
function curlH2(
  socketPath: string,
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn("curl", [
      "-sv",
      "--max-time",
      "10",
      "--http2-prior-knowledge",
      "--unix-socket",
      socketPath,
      "http://localhost/",
    ]);
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
    child.on("error", reject);
    child.on("close", (code) => resolve({ code, stdout, stderr }));
  });
}

/** What the hinted page's handler did: each sendInformational result, when it answered. */
interface PageLog {
  readonly results: InformationalResult[];
  /** `performance.now()` when the handler returned its 200 (the last time). */
  answeredAt: number;
}

/** The hinted page: a 103, {@linkcode ANSWER_DELAY_MS} of work, then the 200. */
function hintedPage(log: PageLog) {
  return async (request: Request): Promise<Response> => {
    log.results.push(sendInformational(request, 103, { link: HINT }));
    await delay(ANSWER_DELAY_MS);
    log.answeredAt = performance.now();
    return new Response(BODY, { headers: { "content-type": "text/plain" } });
  };
}

/** Serves the hinted page with `options`, puts nginx in front, runs `body`. */
async function behindNginx(
  options: ServeOptions,
  body: (nginx: Nginx, page: PageLog, port: number) => Promise<void>,
): Promise<void> {
  const page: PageLog = { results: [], answeredAt: Number.NaN };
  await withServer(hintedPage(page), options, async (_server, port) => {
    const nginx = await startNginx(port);
    try {
      await body(nginx, page, port);
    } finally {
      await nginx.stop();
    }
  });
}

test(
  'nginx with its default proxy_http_version 1.0: serve() sends it no 1xx (reason "http/1.0") and the client gets nginx\'s 200',
  {
    skip: nginxSkip,
  },
  async () => {
    await behindNginx({}, async (nginx, page) => {
      const { text } = await exchangeRaw(nginx.http10Socket, GET, (seen) => seen.endsWith(BODY));
      const context = `received:\n${text}\n${nginx.errorLog()}`;
      assert.match(text, /^HTTP\/1\.1 200 OK\r\n/, context);
      assert.match(text, /\r\nServer: nginx\//, context);
      assert.doesNotMatch(text, / 103 /, context);
      assert.deepEqual(page.results, [{ sent: false, reason: "http/1.0" }]);
    });
  },
);

test(
  "nginx (proxy_http_version 1.1), no policy: an HTTP/1.1 client gets nginx's unframed 103 with our raw 200 as its body",
  {
    skip: defectSkip,
  },
  async () => {
    await behindNginx({}, async (nginx, page) => {
      const { text, firstBytesAt } = await exchangeRaw(
        nginx.h1Socket,
        GET,
        (seen) => seen.endsWith(BODY),
      );
      const context = `received:\n${text}\n${nginx.errorLog()}`;
      // No head start either: nginx writes its 103 head only with the bytes
      // after it, so nothing arrives before the handler has answered (our
      // 103 left ANSWER_DELAY_MS earlier).
      assert.ok(
        firstBytesAt >= page.answeredAt,
        `first bytes ${(page.answeredAt - firstBytesAt).toFixed(1)} ms before the 200\n${context}`,
      );
      const headEnd = text.indexOf("\r\n\r\n");
      assert.ok(headEnd > 0, context);
      const head = text.slice(0, headEnd);
      const [statusLine, ...fields] = head.split("\r\n");
      assert.equal(statusLine, "HTTP/1.1 103 Early Hints", context);
      const names = fields.map((field) => field.slice(0, field.indexOf(":")).toLowerCase());
      // nginx's own head for the 103, taken as final: its Server, keep-alive,
      // no Content-Length nor chunking.
      assert.ok(fields.includes(`Server: nginx/${NGINX_VERSION}`), context);
      assert.ok(fields.includes("Connection: keep-alive"), context);
      assert.ok(fields.includes(`link: ${HINT}`), context);
      assert.ok(!names.includes("content-length") && !names.includes("transfer-encoding"), context);
      // What follows is our server's 200 as we wrote it, relayed as bytes: a
      // 1xx-aware client reads it as the response by luck, with none of
      // nginx's processing; Python's http.client stops at the 103.
      const rest = text.slice(headEnd + 4);
      assert.match(rest, /^HTTP\/1\.1 200 OK\r\n/, context);
      assert.doesNotMatch(rest, /\r\nserver: nginx/i, context);
      assert.ok(rest.endsWith(`\r\n\r\n${BODY}`), context);
      assert.deepEqual(page.results, [{ sent: true }]);
    });
  },
);

test(
  "nginx (proxy_http_version 1.1), no policy: an HTTP/2 client gets the 103, then a stream reset (PROTOCOL_ERROR), never the 200",
  {
    skip: defectSkip || curlSkip,
  },
  async () => {
    await behindNginx({}, async (nginx, page) => {
      const run = await curlH2(nginx.h2Socket);
      const context = `curl exit ${run.code}; stderr:\n${run.stderr}\n${nginx.errorLog()}`;
      assert.notEqual(run.code, 0, context);
      assert.match(run.stderr, /^< HTTP\/2 103/m, context);
      assert.match(run.stderr, /PROTOCOL_ERROR/, context);
      assert.doesNotMatch(run.stderr, /^< HTTP\/2 200/m, context);
      assert.equal(run.stdout, "", context);
      assert.deepEqual(page.results, [{ sent: true }]);
    });
  },
);

test(
  `nginx sets ${PROXY_FIELD} and hintPolicy unlessHeader("${PROXY_FIELD}"): through nginx HTTP/1.1 and HTTP/2 clients get nginx's 200, direct clients keep the 103`,
  {
    skip: nginxSkip,
  },
  async () => {
    await behindNginx({ hintPolicy: unlessHeader(PROXY_FIELD) }, async (nginx, page, port) => {
      const { text } = await exchangeRaw(nginx.h1Socket, GET, (seen) => seen.endsWith(BODY));
      const context = `received:\n${text}\n${nginx.errorLog()}`;
      assert.match(text, /^HTTP\/1\.1 200 OK\r\n/, context);
      assert.match(text, /\r\nServer: nginx\//, context);
      assert.match(text, /\r\nContent-Length: 10\r\n/i, context);
      assert.doesNotMatch(text, / 103 /, context);
      assert.ok(text.endsWith(`\r\n\r\n${BODY}`), context);

      if (curlSkip === false) {
        const run = await curlH2(nginx.h2Socket);
        const h2Context = `curl exit ${run.code}; stderr:\n${run.stderr}\n${nginx.errorLog()}`;
        assert.equal(run.code, 0, h2Context);
        assert.match(run.stderr, /^< HTTP\/2 200/m, h2Context);
        assert.doesNotMatch(run.stderr, /^< HTTP\/2 103/m, h2Context);
        assert.equal(run.stdout, BODY, h2Context);
      }

      // The same server, asked directly: the policy is keyed on nginx's
      // field, and the 103 arrives before the handler answers (the head
      // start nginx takes away).
      const { text: direct, firstBytesAt } = await exchangeRaw(
        { host: "127.0.0.1", port },
        GET,
        (seen) => seen.endsWith(BODY),
      );
      assert.match(direct, /^HTTP\/1\.1 103 Early Hints\r\n/, `direct:\n${direct}`);
      assert.ok(firstBytesAt < page.answeredAt, `the 103 came before the 200\n${direct}`);
      assert.match(direct, /\r\n\r\nHTTP\/1\.1 200 OK\r\n/, `direct:\n${direct}`);

      const policy = { sent: false, reason: "policy" };
      const throughNginx = curlSkip === false ? [policy, policy] : [policy];
      assert.deepEqual(page.results, [...throughNginx, { sent: true }]);
    });
  },
);
