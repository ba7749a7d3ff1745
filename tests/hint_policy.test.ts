/**
 * The hint policy (issue 15, part 3) against real peers over loopback: the
 * defect it exists for (Python's `http.client`, `urllib`, `requests` and
 * `urllib3` take a 103 for the final response, asserted as measured), the
 * built-in policies that keep hints from them while curl, this package's
 * client and browser navigations still get them, the `"policy"` skip reason,
 * and a policy that throws. Python and curl are real processes; without them
 * those tests skip and say what to install.
 */

import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { Client, fetch } from "../client.ts";
import {
  exceptKnownMishandlers,
  type HintPolicy,
  type InformationalResult,
  navigationsOnly,
  onlyKnownHandlers,
  sendInformational,
  type ServeOptions,
} from "../server.ts";
import { delay, withServer } from "./_support/server_util.ts";
import { TRANSPORTS } from "./_support/transports.ts";

const PEER_TIMEOUT_MS = 15_000;
const HINT = "</app.css>; rel=preload; as=style";
const BODY = "final body";

/** What a peer process printed and how it ended. */
interface PeerRun {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs `command` to its end, killed after {@linkcode PEER_TIMEOUT_MS}. */
function runPeer(command: string, args: readonly string[]): Promise<PeerRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
    const timer = setTimeout(() => child.kill("SIGKILL"), PEER_TIMEOUT_MS);
    child.on("error", (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.on("close", (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

/** Why `command --version` (or `check`) cannot run here, or `false` when it can. */
function peerSkip(command: string, args: readonly string[], reason: string): string | false {
  const run = spawnSync(command, args, { stdio: "ignore", timeout: 10_000 });
  return run.error === undefined && run.status === 0 ? false : reason;
}

/**
 * The interpreter behind `python3`, asked once: a version manager's shim
 * (pyenv's is a shell script) costs about 0.2 s per start, and these tests
 * start Python a score of times.
 */
function pythonExecutable(): string {
  const run = spawnSync("python3", ["-c", "import sys; print(sys.executable)"], {
    encoding: "utf8",
    timeout: 10_000,
  });
  const path = run.status === 0 ? run.stdout.trim() : "";
  return path === "" ? "python3" : path;
}

const PYTHON = pythonExecutable();
const pythonSkip = peerSkip(
  PYTHON,
  ["--version"],
  "python3 not installed: apt-get install python3",
);
const requestsSkip = pythonSkip ||
  peerSkip(
    PYTHON,
    ["-c", "import requests, urllib3"],
    "python3 has no requests/urllib3: apt-get install python3-requests (or pip install requests)",
  );
const curlSkip = peerSkip("curl", ["--version"], "curl not installed: apt-get install curl");

/** A Python client of the standard library or of requests/urllib3. */
type PythonClient = "http.client" | "urllib" | "requests" | "urllib3";

// One GET with the named client, printed as JSON {status, body}. urllib
// raises HTTPError for a status it does not take as success (a 103 too).
const PYTHON_GET = `
import json, sys
kind, url = sys.argv[1], sys.argv[2]
if kind == "http.client":
    import http.client, urllib.parse
    parts = urllib.parse.urlsplit(url)
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=5)
    connection.request("GET", parts.path or "/")
    response = connection.getresponse()
    status, body = response.status, response.read()
elif kind == "urllib":
    import urllib.request, urllib.error
    try:
        response = urllib.request.urlopen(url, timeout=5)
        status, body = response.status, response.read()
    except urllib.error.HTTPError as error:
        status, body = error.code, error.read()
elif kind == "requests":
    import requests
    response = requests.get(url, timeout=5)
    status, body = response.status_code, response.content
else:
    import urllib3
    response = urllib3.PoolManager().request("GET", url, timeout=5)
    status, body = response.status, response.data
print(json.dumps({"status": status, "body": body.decode("latin-1")}))
`;

/** The final status and body `client` reports for a GET of `url`. */
async function pythonGet(
  client: PythonClient,
  url: string,
): Promise<{ status: number; body: string }> {
  const run = await runPeer(PYTHON, ["-c", PYTHON_GET, client, url]);
  assert.equal(run.code, 0, `python ${client} exit code; stderr:\n${run.stderr}`);
  return JSON.parse(run.stdout);
}

/** curl -v's status lines for a GET of `url` (with extra curl arguments). */
async function curlStatusLines(url: string, extra: readonly string[] = []): Promise<string[]> {
  const run = await runPeer("curl", ["-sv", "--max-time", "10", ...extra, url]);
  assert.equal(run.code, 0, `curl exit code; stderr:\n${run.stderr}`);
  assert.equal(run.stdout, BODY);
  return run.stderr.split("\n").filter((line) => /^< HTTP\/1\.1 \d{3}/.test(line))
    .map((line) => line.slice(2).trim());
}

/**
 * A page handler: a 103 with a preload, a short wait (so the 103 leaves in
 * its own write, as a real handler's would), then the 200. Each
 * `sendInformational` result is pushed to `results`.
 */
function hintedPage(results: InformationalResult[]) {
  return async (request: Request): Promise<Response> => {
    results.push(sendInformational(request, 103, { link: HINT }));
    await delay(20);
    return new Response(BODY, { headers: { "content-type": "text/plain" } });
  };
}

const PYTHON_CLIENTS: readonly { client: PythonClient; skip: string | false }[] = [
  { client: "http.client", skip: pythonSkip },
  { client: "urllib", skip: pythonSkip },
  { client: "requests", skip: requestsSkip },
  { client: "urllib3", skip: requestsSkip },
];

// Every client on the default transport; on node-http (the same exchange
// core, so the same policy code) the two the others are built on.
for (const { name, options } of TRANSPORTS) {
  const clients = PYTHON_CLIENTS.filter(({ client }) =>
    name === "engine" || client === "http.client" || client === "requests"
  );
  for (const { client, skip } of clients) {
    test(
      `${name}: without a policy, Python's ${client} takes the 103 as the final response (the measured defect)`,
      {
        skip,
      },
      async () => {
        const results: InformationalResult[] = [];
        await withServer(hintedPage(results), options, async (server) => {
          const { status, body } = await pythonGet(client, `${server.url}/`);
          assert.equal(status, 103, "the 103 is what the client reports as the response");
          assert.equal(body, "", "and it has no body: the page is lost");
          assert.deepEqual(results, [{ sent: true }]);
        });
      },
    );

    for (
      const [policyName, policy] of [
        ["exceptKnownMishandlers", exceptKnownMishandlers],
        ["onlyKnownHandlers", onlyKnownHandlers],
      ] as const
    ) {
      test(
        `${name}: under ${policyName}, Python's ${client} gets the 200 and the hint is skipped with reason "policy"`,
        {
          skip,
        },
        async () => {
          const results: InformationalResult[] = [];
          await withServer(
            hintedPage(results),
            { ...options, hintPolicy: policy },
            async (server) => {
              assert.deepEqual(await pythonGet(client, `${server.url}/`), {
                status: 200,
                body: BODY,
              });
              assert.deepEqual(results, [{ sent: false, reason: "policy" }]);
            },
          );
        },
      );
    }
  }
}

for (
  const [policyName, policy] of [
    ["exceptKnownMishandlers", exceptKnownMishandlers],
    ["onlyKnownHandlers", onlyKnownHandlers],
  ] as const
) {
  test(
    `under ${policyName}, curl still gets the 103 before the 200`,
    { skip: curlSkip },
    async () => {
      const results: InformationalResult[] = [];
      await withServer(hintedPage(results), { hintPolicy: policy }, async (server) => {
        assert.deepEqual(await curlStatusLines(`${server.url}/`), [
          "HTTP/1.1 103 Early Hints",
          "HTTP/1.1 200 OK",
        ]);
        assert.deepEqual(results, [{ sent: true }]);
      });
    },
  );

  test(`under ${policyName}, this package's client still gets the 103`, async () => {
    const results: InformationalResult[] = [];
    await withServer(hintedPage(results), { hintPolicy: policy }, async (server) => {
      const response = await fetch(`${server.url}/`, { signal: AbortSignal.timeout(5_000) });
      assert.deepEqual(response.informational.map((info) => info.status), [103]);
      assert.equal(response.informational[0]?.headers.get("link"), HINT);
      assert.equal(await response.text(), BODY);
      assert.deepEqual(results, [{ sent: true }]);
    });
  });
}

// What Chromium sends when it navigates to a page, and when a script on it
// calls fetch() (Chromium 156's fields, User-Agent shortened).
const NAVIGATION_HEADERS = {
  "user-agent": "Mozilla/5.0 (X11; Linux x86_64) Chrome/156.0.0.0 Safari/537.36",
  accept: "text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,*/*;q=0.8",
  "sec-fetch-dest": "document",
  "sec-fetch-mode": "navigate",
  "sec-fetch-site": "none",
  "sec-fetch-user": "?1",
};
const SCRIPT_FETCH_HEADERS = {
  "user-agent": NAVIGATION_HEADERS["user-agent"],
  accept: "*/*",
  "sec-fetch-dest": "empty",
  "sec-fetch-mode": "cors",
  "sec-fetch-site": "same-origin",
};

for (const { name, options } of TRANSPORTS) {
  test(`${name}: under navigationsOnly, a browser navigation gets the 103 and a script's fetch() does not`, async () => {
    const results: InformationalResult[] = [];
    await withServer(
      hintedPage(results),
      { ...options, hintPolicy: navigationsOnly },
      async (server) => {
        const page = await fetch(`${server.url}/`, {
          headers: NAVIGATION_HEADERS,
          signal: AbortSignal.timeout(5_000),
        });
        assert.deepEqual(page.informational.map((info) => info.status), [103]);
        assert.equal(await page.text(), BODY);
        const script = await fetch(`${server.url}/data`, {
          headers: SCRIPT_FETCH_HEADERS,
          signal: AbortSignal.timeout(5_000),
        });
        assert.deepEqual(script.informational, []);
        assert.equal(await script.text(), BODY);
        assert.deepEqual(results, [{ sent: true }, { sent: false, reason: "policy" }]);
      },
    );
  });
}

const TLS = new URL("./fixtures/tls/", import.meta.url);
const CA_FILE = new URL("test-ca-cert.pem", TLS);
const tlsOptions = {
  cert: readFileSync(new URL("test-server-cert.pem", TLS), "utf8"),
  key: readFileSync(new URL("test-server-key.pem", TLS), "utf8"),
};

test("over HTTP/2 (TLS, ALPN h2), navigationsOnly hints our client's navigation and curl's text/html request, not a fetch()", async () => {
  const results: InformationalResult[] = [];
  const client = new Client({ tls: { ca: readFileSync(CA_FILE, "utf8") }, connectTimeout: 5_000 });
  try {
    await withServer(
      hintedPage(results),
      { ...tlsOptions, hintPolicy: navigationsOnly },
      async (_server, port) => {
        const origin = `https://localhost:${port}`;
        const page = await client.fetch(`${origin}/`, {
          headers: NAVIGATION_HEADERS,
          signal: AbortSignal.timeout(5_000),
        });
        assert.equal(page.httpVersion, "2");
        assert.deepEqual(page.informational.map((info) => info.status), [103]);
        assert.equal(await page.text(), BODY);
        const script = await client.fetch(`${origin}/data`, {
          headers: SCRIPT_FETCH_HEADERS,
          signal: AbortSignal.timeout(5_000),
        });
        assert.equal(script.httpVersion, "2");
        assert.deepEqual(script.informational, []);
        assert.equal(await script.text(), BODY);
        const expected: InformationalResult[] = [{ sent: true }, { sent: false, reason: "policy" }];
        if (curlSkip === false) {
          const run = await runPeer("curl", [
            "-sv",
            "--max-time",
            "10",
            "--http2",
            "--cacert",
            fileURLToPath(CA_FILE),
            "-H",
            "Accept: text/html",
            `${origin}/`,
          ]);
          assert.equal(run.code, 0, `curl exit code; stderr:\n${run.stderr}`);
          const heads = run.stderr.split("\n").filter((line) => /^< HTTP\/2 \d{3}/.test(line))
            .map((line) => line.slice(2).trim());
          assert.deepEqual(heads, ["HTTP/2 103", "HTTP/2 200"], run.stderr);
          assert.equal(run.stdout, BODY);
          expected.push({ sent: true });
        }
        assert.deepEqual(results, expected);
      },
    );
  } finally {
    await client.close();
  }
});

test("under navigationsOnly, curl gets the 103 only when it asks for text/html", {
  skip: curlSkip,
}, async () => {
  const results: InformationalResult[] = [];
  await withServer(hintedPage(results), { hintPolicy: navigationsOnly }, async (server) => {
    assert.deepEqual(await curlStatusLines(`${server.url}/`), ["HTTP/1.1 200 OK"]);
    assert.deepEqual(await curlStatusLines(`${server.url}/`, ["-H", "Accept: text/html"]), [
      "HTTP/1.1 103 Early Hints",
      "HTTP/1.1 200 OK",
    ]);
    assert.deepEqual(results, [{ sent: false, reason: "policy" }, { sent: true }]);
  });
});

test("the policy is asked once per request, at its first interim response other than 100", async () => {
  const asked: string[] = [];
  const policy: HintPolicy = (request) => {
    asked.push(new URL(request.url).pathname);
    return new URL(request.url).pathname === "/yes";
  };
  const results: InformationalResult[] = [];
  const handler = (request: Request): Response => {
    results.push(sendInformational(request, 100));
    results.push(sendInformational(request, 103, { link: HINT }));
    results.push(sendInformational(request, 102));
    return new Response(BODY);
  };
  await withServer(handler, { hintPolicy: policy }, async (server) => {
    for (const path of ["/yes", "/no"]) {
      const response = await fetch(`${server.url}${path}`, { signal: AbortSignal.timeout(5_000) });
      assert.equal(await response.text(), BODY);
      const expected = path === "/yes" ? [100, 103, 102] : [100];
      assert.deepEqual(response.informational.map((info) => info.status), expected, path);
    }
  });
  assert.deepEqual(asked, ["/yes", "/no"]);
  const policySkip = { sent: false, reason: "policy" };
  assert.deepEqual(results, [
    { sent: true },
    { sent: true },
    { sent: true },
    { sent: true }, // 100 Continue is never subject to the policy
    policySkip,
    policySkip,
  ]);
});

for (const { name, options } of TRANSPORTS) {
  test(`${name}: a policy that throws fails that sendInformational call: unhandled, a 500; caught, the handler goes on; the server serves on`, async () => {
    const failure = new Error("the policy broke");
    const policy: HintPolicy = (request) => {
      if (request.headers.get("x-policy") === "throw") throw failure;
      return true;
    };
    const errors: unknown[] = [];
    const caught: unknown[] = [];
    const handler = (request: Request): Response => {
      if (new URL(request.url).pathname === "/guarded") {
        try {
          sendInformational(request, 103, { link: HINT });
        } catch (error) {
          caught.push(error);
        }
        return new Response("went on");
      }
      sendInformational(request, 103, { link: HINT });
      return new Response(BODY);
    };
    const serveOptions: ServeOptions = {
      ...options,
      hintPolicy: policy,
      onError: (error) => errors.push(error),
    };
    await withServer(handler, serveOptions, async (server) => {
      const get = (path: string, mode?: string) =>
        fetch(`${server.url}${path}`, {
          headers: mode === undefined ? {} : { "x-policy": mode },
          signal: AbortSignal.timeout(5_000),
        });
      const unhandled = await get("/", "throw");
      assert.equal(unhandled.status, 500);
      assert.deepEqual(unhandled.informational, []);
      await unhandled.text();
      assert.deepEqual(errors, [failure], "onError was told the policy's error");

      const guarded = await get("/guarded", "throw");
      assert.equal(guarded.status, 200);
      assert.equal(await guarded.text(), "went on");
      assert.deepEqual(caught, [failure]);

      const next = await get("/");
      assert.equal(next.status, 200);
      assert.deepEqual(next.informational.map((info) => info.status), [103]);
      assert.equal(await next.text(), BODY);
    });
  });
}
