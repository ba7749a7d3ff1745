// Interop with Go's net/http in both directions, on the runtime running this
// file: our client against Go's server must observe what Go's own client
// observes, and Go's client against our server must print what it prints
// against Go's server.
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { Client, type InformationalResponse } from "../client.ts";
import { sendInformational, serve } from "../server.ts";
import { createSeedApp, observeSeed, SEED_LINES } from "../scripts/demo_seed_app.ts";
import { type GoServer, goSkipReason, runGoClient, startGoServer } from "./_support/go.ts";

const skip = await goSkipReason();
/** Generous for a cold Go build on a slow CI machine. */
const GO = { skip, timeout: 240_000 };

/** `seed_client -json`'s document. */
interface GoReport {
  informational: Array<{ status: number; headers: Record<string, string[]> }>;
  status: number;
  headers: Record<string, string[]>;
  body: string;
}

/** Header pairs as Go's lower-cased `map[string][]string`. */
function toGoMap(fields: Iterable<readonly [string, string]>): Record<string, string[]> {
  const map: Record<string, string[]> = {};
  for (const [name, value] of fields) (map[name.toLowerCase()] ??= []).push(value);
  return map;
}

/** Drops the fields that legitimately differ between two servers or two runs. */
function comparable(headers: Record<string, string[]>): Record<string, string[]> {
  const { date: _date, "content-length": _length, ...rest } = headers;
  return rest;
}

/** What our client observes, in `seed_client -json`'s shape. */
async function observeWithOurClient(
  url: string,
  options: { socketPath?: string } = {},
): Promise<GoReport> {
  const client = new Client(
    options.socketPath !== undefined ? { socketPath: options.socketPath } : {},
  );
  const informational: GoReport["informational"] = [];
  try {
    const response = await client.fetch(url, {
      signal: AbortSignal.timeout(20_000),
      onInformational(info: InformationalResponse) {
        informational.push({ status: info.status, headers: toGoMap(info.rawHeaders) });
      },
    });
    const body = await response.text();
    return {
      informational,
      status: response.status,
      headers: toGoMap(response.rawHeaders),
      body,
    };
  } finally {
    await client.close();
  }
}

async function goJson(args: string[]): Promise<GoReport> {
  const { code, stdout, stderr } = await runGoClient(["-json", ...args]);
  assert.equal(code, 0, `seed_client failed:\n${stdout}${stderr}`);
  return JSON.parse(stdout) as GoReport;
}

function assertSameObservation(ours: GoReport, go: GoReport): void {
  assert.deepEqual(ours.informational, go.informational);
  assert.equal(ours.status, go.status);
  assert.deepEqual(comparable(ours.headers), comparable(go.headers));
  assert.equal(ours.body, go.body);
}

async function withGoServer(args: string[], run: (server: GoServer) => Promise<void>) {
  const server = await startGoServer(args);
  try {
    await run(server);
  } finally {
    await server.close();
  }
}

test(
  "our fetch prints the seed's lines against Go's seed server, as Go's client does",
  GO,
  async () => {
    await withGoServer(["-delay", "100ms"], async (server) => {
      const go = await runGoClient([`${server.url}/seed`]);
      assert.equal(go.code, 0, go.stderr);
      assert.equal(go.stdout, SEED_LINES.join("\n") + "\n");
      const { lines } = await observeSeed(`${server.url}/seed`, AbortSignal.timeout(20_000));
      assert.deepEqual(lines, go.stdout.trimEnd().split("\n"));
    });
  },
);

test("our client observes the same interim and final heads as Go's client", GO, async () => {
  await withGoServer(["-delay", "20ms"], async (server) => {
    for (const route of ["/seed", "/hints?n=3", "/hints?n=2&code=102", "/hint", "/plain"]) {
      const go = await goJson([`${server.url}${route}`]);
      const ours = await observeWithOurClient(`${server.url}${route}`);
      assertSameObservation(ours, go);
    }
  });
});

test("our client observes the same as Go's client over a unix socket", GO, async () => {
  const directory = await mkdtemp(path.join(tmpdir(), "interim-go-"));
  const socket = path.join(directory, "go.sock");
  try {
    await withGoServer(["-unix", socket, "-delay", "20ms"], async (server) => {
      assert.equal(server.unixPath, socket);
      const go = await goJson(["-unix", socket, "http://localhost/hints?n=2"]);
      const ours = await observeWithOurClient("http://localhost/hints?n=2", { socketPath: socket });
      assertSameObservation(ours, go);
      assert.equal(ours.informational.length, 2);
    });
  } finally {
    await rm(directory, { recursive: true, force: true });
  }
});

/**
 * Our server with Go's seed_server routes that matter here: the seed (as a
 * Hono app, like the demo) and `/hints?n=N&code=C` with `link` and
 * `x-hint-index` per interim response.
 */
function ourGoLikeHandler(delayMs: number): (request: Request) => Response | Promise<Response> {
  const seed = createSeedApp(delayMs);
  return async (request) => {
    const url = new URL(request.url);
    if (url.pathname === "/seed") return seed.fetch(request);
    if (url.pathname === "/hints") {
      const n = Number(url.searchParams.get("n") ?? "1");
      const code = Number(url.searchParams.get("code") ?? "103");
      for (let index = 0; index < n; index++) {
        sendInformational(request, code, {
          link: `</style-${index}.css>; rel=preload; as=style`,
          "x-hint-index": String(index),
        });
        await new Promise((resolve) => setTimeout(resolve, delayMs));
      }
      return new Response("done", {
        headers: { "content-type": "text/plain; charset=utf-8" },
      });
    }
    return new Response("404 page not found\n", { status: 404 });
  };
}

for (const adapter of [undefined, "node-http"] as const) {
  const label = adapter === undefined ? "our server" : `our server (adapter "${adapter}")`;
  test(`Go's client prints the seed's lines against ${label}, as against Go's`, GO, async () => {
    const ours = await serve(createSeedApp(100).fetch, {
      hostname: "127.0.0.1",
      port: 0,
      ...(adapter !== undefined ? { adapter } : {}),
    });
    try {
      await withGoServer(["-delay", "100ms"], async (go) => {
        const againstGo = await runGoClient([`${go.url}/seed`]);
        const againstOurs = await runGoClient([`${ours.url}/`]);
        assert.equal(againstOurs.code, 0, againstOurs.stdout + againstOurs.stderr);
        assert.equal(againstOurs.stdout, againstGo.stdout);
        assert.equal(againstOurs.stdout, SEED_LINES.join("\n") + "\n");
      });
    } finally {
      await ours.close();
    }
  });
}

test("Go's client observes the same heads from our server as from Go's", GO, async () => {
  const ours = await serve(ourGoLikeHandler(20), { hostname: "127.0.0.1", port: 0 });
  try {
    await withGoServer(["-delay", "20ms"], async (go) => {
      for (const route of ["/seed", "/hints?n=3", "/hints?n=2&code=102"]) {
        const againstGo = await goJson([`${go.url}${route}`]);
        const againstOurs = await goJson([`${ours.url}${route}`]);
        assertSameObservation(againstOurs, againstGo);
      }
    });
  } finally {
    await ours.close();
  }
});

test("Go's client prints the seed's lines from our server over a unix socket", GO, async () => {
  const directory = await mkdtemp(path.join(tmpdir(), "interim-go-"));
  const socket = path.join(directory, "ours.sock");
  try {
    const ours = await serve(createSeedApp(50).fetch, { path: socket });
    try {
      const result = await runGoClient(["-unix", socket, "http://localhost/"]);
      assert.equal(result.code, 0, result.stdout + result.stderr);
      assert.equal(result.stdout, SEED_LINES.join("\n") + "\n");
    } finally {
      await ours.close();
    }
  } finally {
    await rm(directory, { recursive: true, force: true });
  }
});
