// The Go peers are the reference that later interop tests compare our client
// and server against, so first prove the pair reproduces the seed exactly.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdtemp, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { buildGoProgram, goSkipReason, runGoClient, startGoServer } from "./_support/go.ts";
import { SEED_OUTPUT } from "./_support/seed.ts";

const skip = await goSkipReason();

/** Generous for a cold Go build on a slow CI machine. */
const TIMEOUT = { timeout: 240_000 };

interface JsonReport {
  informational: { status: number; headers: Record<string, string[]> }[];
  status: number;
  headers: Record<string, string[]>;
  body: string;
}

function parseReport(stdout: string): JsonReport {
  return JSON.parse(stdout) as JsonReport;
}

/** Drops the one header whose value changes every second. */
function withoutDate(
  headers: Record<string, string[]>,
): Record<string, string[]> {
  const { date, ...rest } = headers;
  assert.equal(date?.length, 1, "a final response carries one date header");
  return rest;
}

test("go peers build once and reuse the binary", { skip, ...TIMEOUT }, async () => {
  const first = await buildGoProgram("seed_server");
  const second = await buildGoProgram("seed_server");
  assert.ok(first !== undefined);
  assert.equal(second, first);
  assert.ok((await stat(first)).isFile());
});

test("seed_server and seed_client print the seed's output over TCP", {
  skip,
  ...TIMEOUT,
}, async () => {
  const server = await startGoServer(["-delay", "50ms"]);
  try {
    assert.match(server.url, /^http:\/\/127\.0\.0\.1:\d+$/);
    for (const route of ["/seed", "/"]) {
      const result = await runGoClient([server.url + route]);
      assert.equal(result.stderr, "");
      assert.equal(result.code, 0);
      assert.equal(result.stdout, SEED_OUTPUT, route);
    }
  } finally {
    await server.close();
  }
});

test("seed_server and seed_client print the seed's output over a unix socket", {
  skip,
  ...TIMEOUT,
}, async () => {
  const directory = await mkdtemp(path.join(tmpdir(), "interim-go-"));
  const socketPath = path.join(directory, "seed.sock");
  try {
    const server = await startGoServer(["-unix", socketPath, "-delay", "50ms"]);
    try {
      assert.equal(server.unixPath, socketPath);
      assert.equal(server.url, "http://localhost");
      const result = await runGoClient([
        "-unix",
        socketPath,
        `${server.url}/seed`,
      ]);
      assert.equal(result.code, 0);
      assert.equal(result.stdout, SEED_OUTPUT);
    } finally {
      await server.close();
    }
    // A clean exit closes the listener, which unlinks the socket file.
    await assert.rejects(stat(socketPath), { code: "ENOENT" });
  } finally {
    await rm(directory, { recursive: true, force: true });
  }
});

test("seed_client -json reports interim and final responses of the seed", {
  skip,
  ...TIMEOUT,
}, async () => {
  const server = await startGoServer(["-delay", "50ms"]);
  try {
    const result = await runGoClient(["-json", `${server.url}/seed`]);
    assert.equal(result.code, 0);
    const report = parseReport(result.stdout);
    assert.deepEqual(report.informational, [
      { status: 103, headers: { xxx: ["yyy"], aaa: ["bbb"], sss: ["ttt"] } },
    ]);
    assert.equal(report.status, 200);
    assert.deepEqual(withoutDate(report.headers), {
      xxx: ["zzz"],
      aaa: ["bbb"],
      ccc: ["ddd"],
      sss: ["ttt", "uuu"],
      "content-length": ["0"],
    });
    assert.equal(report.body, "");
  } finally {
    await server.close();
  }
});

test("seed_server /hints sends n early hints, then a clean 200", {
  skip,
  ...TIMEOUT,
}, async () => {
  const server = await startGoServer([]);
  try {
    const result = await runGoClient([
      "-json",
      `${server.url}/hints?n=3&delay=5`,
    ]);
    assert.equal(result.code, 0);
    const report = parseReport(result.stdout);
    assert.deepEqual(
      report.informational,
      [0, 1, 2].map((i) => ({
        status: 103,
        headers: {
          link: [`</style-${i}.css>; rel=preload; as=style`],
          "x-hint-index": [String(i)],
        },
      })),
    );
    assert.equal(report.status, 200);
    assert.deepEqual(withoutDate(report.headers), {
      "content-type": ["text/plain; charset=utf-8"],
      "content-length": ["4"],
    });
    assert.equal(report.body, "done");
  } finally {
    await server.close();
  }
});

test("seed_client prints other 1xx statuses as informational lines", {
  skip,
  ...TIMEOUT,
}, async () => {
  const server = await startGoServer([]);
  try {
    const result = await runGoClient([
      "-headers",
      "x-hint-index",
      `${server.url}/hints?n=2&code=102&delay=0`,
    ]);
    assert.equal(result.code, 0);
    assert.equal(
      result.stdout,
      [
        "informational 102 map[Link:[</style-0.css>; rel=preload; as=style] X-Hint-Index:[0]]",
        "informational 102 map[Link:[</style-1.css>; rel=preload; as=style] X-Hint-Index:[1]]",
        "final 200 OK",
        "final []",
        "",
      ].join("\n"),
    );
  } finally {
    await server.close();
  }
});

test("seed_server /hint and /plain answer at once for benchmarks", {
  skip,
  ...TIMEOUT,
}, async () => {
  const server = await startGoServer(["-delay", "10s"]);
  try {
    const hint = parseReport(
      (await runGoClient(["-json", `${server.url}/hint`])).stdout,
    );
    assert.deepEqual(hint.informational, [
      {
        status: 103,
        headers: { link: ["</style.css>; rel=preload; as=style"] },
      },
    ]);
    assert.equal(hint.status, 200);
    assert.equal(hint.body, "hint");
    const plain = parseReport(
      (await runGoClient(["-json", `${server.url}/plain`])).stdout,
    );
    assert.deepEqual(plain.informational, []);
    assert.equal(plain.status, 200);
    assert.equal(plain.body, "plain");
  } finally {
    await server.close();
  }
});

test("seed_server /pod hints the pod name and namespace from the environment", {
  skip,
  ...TIMEOUT,
}, async () => {
  const server = await startGoServer(["-delay", "20ms"], {
    env: { POD_NAME: "daemon-7", POD_NAMESPACE: "kube-system" },
  });
  try {
    const result = await runGoClient([
      "-headers",
      "x-pod-name,x-pod-namespace",
      `${server.url}/pod`,
    ]);
    assert.equal(result.code, 0);
    assert.equal(
      result.stdout,
      [
        "hinted [daemon-7]",
        "hinted [kube-system]",
        "final 200 OK",
        "final [daemon-7]",
        "final [kube-system]",
        "",
      ].join("\n"),
    );
  } finally {
    await server.close();
  }
});

test("seed_server answers 400 to a bad query parameter", {
  skip,
  ...TIMEOUT,
}, async () => {
  const server = await startGoServer([]);
  try {
    const report = parseReport(
      (await runGoClient(["-json", `${server.url}/hints?n=lots`])).stdout,
    );
    assert.deepEqual(report.informational, []);
    assert.equal(report.status, 400);
    assert.match(report.body, /n="lots" must be an integer in \[0, 1000\]/);
  } finally {
    await server.close();
  }
});

// Go 1.19's Transport caps interim responses at 5 per request (transport.go,
// max1xxResponses); interop tests that send more must not use this client.
test("seed_client fails on a sixth interim response, as Go 1.19 does", {
  skip,
  ...TIMEOUT,
}, async () => {
  const server = await startGoServer([]);
  try {
    const five = await runGoClient([`${server.url}/hints?n=5&delay=0`]);
    assert.equal(five.code, 0);
    const six = await runGoClient([`${server.url}/hints?n=6&delay=0`]);
    assert.equal(six.code, 1);
    assert.match(
      six.stdout,
      /^do error .*too many 1xx informational responses$/m,
    );
  } finally {
    await server.close();
  }
});

test("seed_client exits 1 with 'do error' when it cannot connect", {
  skip,
  ...TIMEOUT,
}, async () => {
  const server = await startGoServer([]);
  await server.close();
  const result = await runGoClient([`${server.url}/seed`]);
  assert.equal(result.code, 1);
  assert.match(result.stdout, /^do error .*connection refused/);
});

test("startGoServer rejects with the server's error when it cannot listen", {
  skip,
  ...TIMEOUT,
}, async () => {
  await assert.rejects(
    startGoServer(["-addr", "127.0.0.1:99999"]),
    /exited before listening[\s\S]*invalid port/,
  );
});

test("seed_server exits by itself when its stdin closes", {
  skip,
  ...TIMEOUT,
}, async () => {
  const binary = await buildGoProgram("seed_server");
  assert.ok(binary !== undefined);
  const child = spawn(binary, [], { stdio: ["pipe", "pipe", "ignore"] });
  const exited = new Promise<string>((resolve) => {
    child.once("close", (code) => resolve(`exit ${code}`));
  });
  let timer: ReturnType<typeof setTimeout> | undefined;
  const deadline = new Promise<string>((resolve) => {
    timer = setTimeout(() => resolve("still running after 10 s"), 10_000);
  });
  try {
    // Wait for the listening line so the stdin watch is certainly running.
    const listening = new Promise<string>((resolve) => {
      child.stdout.setEncoding("utf8");
      child.stdout.on("data", (chunk: string) => {
        if (chunk.includes("listening ")) resolve("listening");
      });
    });
    assert.equal(
      await Promise.race([listening, exited, deadline]),
      "listening",
    );
    child.stdin.end();
    assert.equal(await Promise.race([exited, deadline]), "exit 0");
  } finally {
    clearTimeout(timer);
    if (child.exitCode === null && child.signalCode === null) {
      child.kill("SIGKILL");
    }
    await exited;
  }
});
