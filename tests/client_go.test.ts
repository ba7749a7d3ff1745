// Our client against Go's net/http server (scripts/interop/go/seed_server),
// compared with Go's own client (seed_client) on the same server.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { Client, type InformationalResponse } from "../client.ts";
import { type GoServer, goSkipReason, runGoClient, startGoServer } from "./_support/go.ts";

const skip = await goSkipReason();
/** Generous for a cold Go build. */
const GO = { skip, timeout: 240_000 };
const SEED_NAMES = ["xxx", "aaa", "ccc", "sss"];
const FIXTURES = new URL("./fixtures/tls/", import.meta.url);

/** Go's `fmt.Println(header.Values(name))`: `[v1 v2]`, from the field lines. */
function goValues(fields: ReadonlyArray<readonly [string, string]>, name: string): string {
  return `[${fields.filter(([field]) => field === name).map(([, value]) => value).join(" ")}]`;
}

/** The seed's lines as our client sees them. */
async function seedLines(client: Client, url: string): Promise<string[]> {
  const lines: string[] = [];
  const response = await client.fetch(url, {
    signal: AbortSignal.timeout(20_000),
    onInformational(info: InformationalResponse) {
      if (info.status !== 103) return;
      for (const name of SEED_NAMES) lines.push(`hinted ${goValues(info.rawHeaders, name)}`);
    },
  });
  await response.arrayBuffer();
  lines.push(`final ${response.status} ${response.statusText}`);
  for (const name of SEED_NAMES) lines.push(`final ${goValues(response.rawHeaders, name)}`);
  return lines;
}

async function withGoServer(
  args: string[],
  run: (server: GoServer) => Promise<void>,
  env?: Record<string, string>,
): Promise<void> {
  const server = await startGoServer(args, env !== undefined ? { env } : {});
  try {
    await run(server);
  } finally {
    await server.close();
  }
}

test("Client prints exactly Go's client's seed lines against Go's seed server", GO, async () => {
  await withGoServer(["-delay", "50ms"], async (server) => {
    const go = await runGoClient([`${server.url}/seed`]);
    assert.equal(go.code, 0, go.stderr);
    const client = new Client();
    try {
      const ours = await seedLines(client, `${server.url}/seed`);
      assert.deepEqual(ours, go.stdout.trimEnd().split("\n"));
      assert.deepEqual(ours.slice(0, 5), [
        "hinted [yyy]",
        "hinted [bbb]",
        "hinted []",
        "hinted [ttt]",
        "final 200 OK",
      ]);
    } finally {
      await client.close();
    }
  });
});

test("Client gets the pod's name from Go's 103 before the final response", GO, async () => {
  await withGoServer(["-delay", "100ms"], async (server) => {
    const client = new Client();
    try {
      const events: string[] = [];
      const response = await client.fetch(`${server.url}/pod`, {
        onInformational({ headers }) {
          events.push(
            `kubectl logs -n ${headers.get("x-pod-namespace")} ${headers.get("x-pod-name")}`,
          );
        },
      });
      events.push(`final ${response.status} ${await response.text()}`);
      assert.deepEqual(events, ["kubectl logs -n sidecars daemon-42", "final 200 pod done"]);
    } finally {
      await client.close();
    }
  }, { POD_NAME: "daemon-42", POD_NAMESPACE: "sidecars" });
});

test("Client matches Go's client over TLS with a custom CA", GO, async () => {
  const cert = new URL("test-server-cert.pem", FIXTURES).pathname;
  const key = new URL("test-server-key.pem", FIXTURES).pathname;
  const caPath = new URL("test-ca-cert.pem", FIXTURES).pathname;
  await withGoServer(["-cert", cert, "-key", key, "-delay", "20ms"], async (server) => {
    assert.match(server.url, /^https:/);
    const go = await runGoClient(["-cacert", caPath, `${server.url}/seed`]);
    assert.equal(go.code, 0, go.stdout + go.stderr);
    const client = new Client({ tls: { ca: readFileSync(caPath, "utf8") } });
    try {
      assert.deepEqual(
        await seedLines(client, `${server.url}/seed`),
        go.stdout.trimEnd().split("\n"),
      );
    } finally {
      await client.close();
    }
  });
});

test(
  "Client sees each 103 from Go's HTTP/2 server (ALPN h2) as Go's client sees them over HTTP/1.1",
  GO,
  async () => {
    const cert = new URL("test-server-cert.pem", FIXTURES).pathname;
    const key = new URL("test-server-key.pem", FIXTURES).pathname;
    const caPath = new URL("test-ca-cert.pem", FIXTURES).pathname;
    await withGoServer(["-cert", cert, "-key", key, "-h2", "-delay", "20ms"], async (server) => {
      // Go's client with its own TLS config speaks HTTP/1.1: the reference lines.
      const go = await runGoClient(["-cacert", caPath, `${server.url}/seed`]);
      assert.equal(go.code, 0, go.stdout + go.stderr);
      const client = new Client({ tls: { ca: readFileSync(caPath, "utf8") } });
      try {
        const versions: string[] = [];
        const response = await client.fetch(`${server.url}/seed`, {
          signal: AbortSignal.timeout(20_000),
          onInformational: (info) => void versions.push(String(info.status)),
        });
        await response.arrayBuffer();
        assert.equal(response.httpVersion, "2", "ALPN chose h2");
        assert.ok(versions.includes("103"), `interim responses seen: ${versions.join(", ")}`);
        // HTTP/2 has no reason phrase: the final line differs only there.
        const expected = go.stdout.trimEnd().split("\n").map((line) =>
          line.replace(/^final (\d{3}) .*$/, "final $1 ")
        );
        assert.deepEqual(await seedLines(client, `${server.url}/seed`), expected);
      } finally {
        await client.close();
      }
    });
  },
);

test("Client accepts more interim responses than Go 1.19's client (5) by default", GO, async () => {
  await withGoServer(["-delay", "1ms"], async (server) => {
    const go = await runGoClient(["-json", `${server.url}/hints?n=8`]);
    assert.equal(go.code, 1);
    assert.match(go.stdout, /too many 1xx/);
    const client = new Client();
    try {
      const indexes: string[] = [];
      const response = await client.fetch(`${server.url}/hints?n=8`, {
        onInformational: (info) => void indexes.push(info.headers.get("x-hint-index")!),
      });
      assert.equal(await response.text(), "done");
      assert.deepEqual(indexes, ["0", "1", "2", "3", "4", "5", "6", "7"]);
      const strict = new Client({ maxInformational: 5 });
      try {
        await assert.rejects(strict.fetch(`${server.url}/hints?n=8`), {
          code: "TOO_MANY_INFORMATIONAL",
        });
      } finally {
        await strict.close();
      }
    } finally {
      await client.close();
    }
  });
});
