// The Kubernetes sidecar example: the daemon hints its pod name and
// namespace with a 103, the sidecar prints a kubectl line at once, waits for
// the final response and exits with a code that reflects it.
import { test } from "node:test";
import assert from "node:assert/strict";
import { chmod, lstat, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import process from "node:process";
import { goSkipReason, startGoServer } from "./_support/go.ts";
import { runProgram, startProgram } from "./_support/run_ts.ts";

const SPAWN = { timeout: 90_000 };
const goSkip = await goSkipReason();
const POD = { POD_NAME: "hints-daemon-7xk2p", POD_NAMESPACE: "interim" };
const KUBECTL = "kubectl logs -n interim hints-daemon-7xk2p -f";

/** Starts the daemon and returns it with the address it announced. */
async function startDaemon(args: string[], env: Record<string, string>) {
  const daemon = startProgram("examples/sidecar/daemon.ts", args, { env });
  try {
    const line = await daemon.waitForLine(/^listening /, 60_000);
    return { daemon, address: line.slice("listening ".length) };
  } catch (error) {
    await daemon.stop();
    throw error;
  }
}

/**
 * Runs the sidecar and checks the kubectl line arrived while the daemon was
 * still working: when it was printed, no final status had been.
 */
async function runSidecar(args: string[], env: Record<string, string> = {}) {
  const sidecar = startProgram("examples/sidecar/sidecar.ts", args, { env });
  try {
    const kubectl = await sidecar.waitForLine(/^kubectl logs /, 60_000);
    const finalBeforeHint = sidecar.lines.some((line) => line.includes("final status"));
    const code = await sidecar.exited(60_000);
    return { kubectl, finalBeforeHint, code, lines: [...sidecar.lines], stderr: sidecar.stderr() };
  } finally {
    await sidecar.stop();
  }
}

function assertHintThenFinal(lines: string[], kubectl: string, status: string): void {
  const hint = lines.indexOf(kubectl);
  const final = lines.findIndex((line) => line.startsWith(`sidecar: final status ${status}`));
  assert.ok(hint >= 0, lines.join("\n"));
  assert.ok(final > hint, `the kubectl line comes before the final status:\n${lines.join("\n")}`);
}

test("sidecar prints the kubectl line before the final status over TCP", SPAWN, async () => {
  const { daemon, address } = await startDaemon(["--listen=127.0.0.1:0"], {
    ...POD,
    WORK_MS: "800",
  });
  try {
    assert.match(address, /^http:\/\/127\.0\.0\.1:\d+$/);
    const result = await runSidecar([`--url=${address}/work`]);
    assert.equal(result.kubectl, KUBECTL);
    assert.equal(result.finalBeforeHint, false, "the hint arrived while the daemon worked");
    assertHintThenFinal(result.lines, KUBECTL, "200 OK");
    assert.equal(result.code, 0, result.stderr);
  } finally {
    await daemon.stop();
  }
});

test(
  "sidecar prints the kubectl line before the final status over a unix socket",
  SPAWN,
  async () => {
    const directory = await mkdtemp(path.join(tmpdir(), "interim-sidecar-"));
    const socket = path.join(directory, "daemon.sock");
    try {
      const { daemon, address } = await startDaemon([`--unix-socket=${socket}`], {
        ...POD,
        WORK_MS: "800",
      });
      try {
        assert.equal(address, `unix:${socket}`);
        const result = await runSidecar([], {
          DAEMON_SOCKET: socket,
          DAEMON_URL: "http://localhost/work",
        });
        assert.equal(result.kubectl, KUBECTL);
        assert.equal(result.finalBeforeHint, false);
        assertHintThenFinal(result.lines, KUBECTL, "200 OK");
        assert.equal(result.code, 0, result.stderr);
      } finally {
        await daemon.stop();
      }
    } finally {
      await rm(directory, { recursive: true, force: true });
    }
  },
);

test(
  "daemon sets the unix socket's mode after binding (0660 by default, SOCKET_MODE)",
  SPAWN,
  async () => {
    const directory = await mkdtemp(path.join(tmpdir(), "interim-sidecar-"));
    try {
      for (const [env, expected] of [[{}, 0o660], [{ SOCKET_MODE: "0600" }, 0o600]] as const) {
        const socket = path.join(directory, `mode-${expected.toString(8)}.sock`);
        const { daemon } = await startDaemon([`--unix-socket=${socket}`], { ...POD, ...env });
        try {
          // The real socket file, as a sidecar in another container sees it.
          const stat = await lstat(socket);
          assert.ok(stat.isSocket(), "a socket file");
          assert.equal((stat.mode & 0o777).toString(8), expected.toString(8));
          // Owned by the daemon's user and primary group: the group is what a
          // sidecar running as another user shares (docs/k8s.md).
          if (process.getuid !== undefined && process.getgid !== undefined) {
            assert.equal(stat.uid, process.getuid());
            assert.equal(stat.gid, process.getgid());
          }
        } finally {
          await daemon.stop();
        }
      }
      const bad = await runProgram("examples/sidecar/daemon.ts", [
        `--unix-socket=${path.join(directory, "bad.sock")}`,
      ], { env: { SOCKET_MODE: "0066" } });
      assert.equal(bad.code, 2);
      assert.match(bad.stderr, /SOCKET_MODE must be an octal mode like 0660/);
    } finally {
      await rm(directory, { recursive: true, force: true });
    }
  },
);

test(
  "daemon's TCP health port checks the unix socket for the kubelet's httpGet probe",
  SPAWN,
  async () => {
    const directory = await mkdtemp(path.join(tmpdir(), "interim-sidecar-"));
    const socket = path.join(directory, "daemon.sock");
    try {
      const daemon = startProgram("examples/sidecar/daemon.ts", [
        `--unix-socket=${socket}`,
        "--health-listen=127.0.0.1:0",
      ], { env: POD });
      try {
        const line = await daemon.waitForLine(/^health /, 60_000);
        const health = line.slice("health ".length);
        assert.match(health, /^http:\/\/127\.0\.0\.1:\d+\/healthz$/);
        const probe = async () => {
          const response = await fetch(health, { signal: AbortSignal.timeout(5_000) });
          return `${response.status} ${(await response.text()).trim()}`;
        };
        assert.equal(await probe(), "200 ok");
        await chmod(socket, 0o600);
        assert.equal(await probe(), "503 socket mode is 0600, expected 0660");
        await rm(socket);
        assert.equal(await probe(), `503 no socket at ${socket}`);
      } finally {
        await daemon.stop();
      }
    } finally {
      await rm(directory, { recursive: true, force: true });
    }
  },
);

test("sidecar exits 1 when the daemon's final status is not 2xx", SPAWN, async () => {
  const { daemon, address } = await startDaemon(["--listen=127.0.0.1:0"], {
    ...POD,
    WORK_MS: "50",
  });
  try {
    const result = await runSidecar([`--url=${address}/work?status=503`]);
    assertHintThenFinal(result.lines, KUBECTL, "503 Service Unavailable");
    assert.equal(result.code, 1);
  } finally {
    await daemon.stop();
  }
});

test("daemon hints clear defaults outside Kubernetes and stops on SIGTERM", SPAWN, async () => {
  const { daemon, address } = await startDaemon(["--listen=127.0.0.1:0"], {
    POD_NAME: "",
    POD_NAMESPACE: "",
    WORK_MS: "50",
  });
  try {
    const result = await runSidecar([`--url=${address}/work`]);
    assert.equal(result.kubectl, "kubectl logs -n default daemon-local -f");
    assert.equal(result.code, 0, result.stderr);
  } finally {
    await daemon.stop();
  }
  assert.equal(await daemon.exited(10_000), 0, daemon.stderr());
});

test("sidecar exits 1 with the reason when no daemon answers", SPAWN, async () => {
  const directory = await mkdtemp(path.join(tmpdir(), "interim-sidecar-"));
  try {
    const { code, stdout } = await runProgram("examples/sidecar/sidecar.ts", [
      `--unix-socket=${path.join(directory, "nobody.sock")}`,
      "--url=http://localhost/work",
    ]);
    assert.equal(code, 1);
    assert.match(stdout, /sidecar: no final response: .+/);
    assert.doesNotMatch(stdout, /kubectl/);
  } finally {
    await rm(directory, { recursive: true, force: true });
  }
});

test("sidecar and daemon reject bad arguments with exit 2", SPAWN, async () => {
  const sidecar = await runProgram("examples/sidecar/sidecar.ts", ["--timeout=never"]);
  assert.equal(sidecar.code, 2);
  assert.match(sidecar.stderr, /timeout must be a positive number/);
  const daemon = await runProgram("examples/sidecar/daemon.ts", ["--port=1"]);
  assert.equal(daemon.code, 2);
  assert.match(daemon.stderr, /unknown argument "--port=1"/);
});

test("sidecar prints the kubectl line from a Go net/http daemon", {
  skip: goSkip,
  timeout: 240_000,
}, async () => {
  const server = await startGoServer(["-delay", "300ms"], { env: POD });
  try {
    const result = await runSidecar([`--url=${server.url}/pod`]);
    assert.equal(result.kubectl, KUBECTL);
    assertHintThenFinal(result.lines, KUBECTL, "200 OK");
    assert.equal(result.code, 0, result.stderr);
  } finally {
    await server.close();
  }
});
