// The Kubernetes example's image (examples/k8s/Dockerfile) without a Docker
// engine: the runtime stage's files are staged by the same steps and run on
// Node 24 (the base image's Node) with no node_modules, no tsx and an empty
// environment, as the manifests' users; memory is measured from /proc and
// compared with the manifests' requests.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { access, chmod, chown, mkdir, readFile } from "node:fs/promises";
import path from "node:path";
import process from "node:process";
import {
  type Command,
  containerEnv,
  DOCKERFILE,
  IMAGE_NODE,
  listFiles,
  parseDockerfile,
  residentBytes,
  type StagedImage,
  stageImage,
  startCommand,
} from "./_support/k8s_image.ts";
import { parseQuantity } from "./_support/k8s_checks.ts";
import { parseYamlDocuments } from "./_support/yaml_subset.ts";
import { REPO_ROOT } from "./_support/run_ts.ts";

const SPAWN = { timeout: 120_000 };
const isRoot = process.getuid?.() === 0;
const hasSetpriv = await access("/usr/bin/setpriv").then(() => true, () => false);
const asUsersSkip = !isRoot
  ? "needs root to run the daemon and sidecar as the manifests' users (setpriv)"
  : !hasSetpriv
  ? "needs /usr/bin/setpriv (util-linux) to switch users"
  : false;
const procSkip = await access("/proc/self/status").then(() => false, () => "needs Linux /proc");

let image: StagedImage;
before(async () => {
  image = await stageImage();
});
after(async () => {
  await image?.remove();
});

/** The main containers' memory requests of the socket variant, by container name. */
async function memoryRequests(): Promise<Map<string, number>> {
  const requests = new Map<string, number>();
  for (const file of ["02-daemonset.yaml", "03-workload-pod.yaml"]) {
    const text = await readFile(path.join(REPO_ROOT, "examples/k8s/socket", file), "utf8");
    for (const object of parseYamlDocuments(text) as { kind: string; spec: never }[]) {
      // deno-lint-ignore no-explicit-any
      const spec: any = object.kind === "Pod" ? object.spec : (object.spec as any).template.spec;
      for (const container of spec.containers) {
        requests.set(container.name, parseQuantity(container.resources.requests.memory)!);
      }
    }
  }
  return requests;
}

/** Starts a program of the image the way its container runs it. */
function runInImage(
  script: "daemon" | "sidecar",
  env: Record<string, string>,
  user?: { uid: number; gid: number; groups: number[] },
): Command {
  const node = [IMAGE_NODE, `dist/examples/sidecar/${script}.js`];
  const [command, ...args] = user === undefined ? node : [
    "/usr/bin/setpriv",
    `--reuid=${user.uid}`,
    `--regid=${user.gid}`,
    user.groups.length === 0 ? "--clear-groups" : `--groups=${user.groups.join(",")}`,
    "--",
    ...node,
  ];
  return startCommand(command!, args, { cwd: image.app, env: containerEnv(env) });
}

test("the Dockerfile builds in one stage and runs the compiled JS in a slim non-root one", async () => {
  const stages = parseDockerfile(await readFile(path.join(REPO_ROOT, DOCKERFILE), "utf8"));
  assert.equal(stages.length, 2);
  const [build, runtime] = stages as [(typeof stages)[0], (typeof stages)[0]];
  assert.equal(build.from, "FROM ${NODE_IMAGE} AS build");
  assert.match(
    await readFile(path.join(REPO_ROOT, DOCKERFILE), "utf8"),
    /^ARG NODE_IMAGE=node:24-slim$/m,
  );
  // The steps stageImage() mirrors, in this order.
  assert.deepEqual(build.instructions.filter((line) => line.startsWith("RUN ")), [
    "RUN npm ci --ignore-scripts --no-audit --no-fund",
    "RUN npm run build",
    "RUN node_modules/.bin/tsc -p examples/k8s/tsconfig.json",
    "RUN find dist -name '*.d.ts' -delete",
  ]);
  const packageJson = JSON.parse(await readFile(path.join(REPO_ROOT, "package.json"), "utf8"));
  assert.equal(packageJson.scripts.build, "node --import tsx scripts/build.ts");
  assert.equal(runtime.from, "FROM ${NODE_IMAGE}");
  assert.ok(!runtime.instructions.some((line) => /npm|node_modules|tsx|^RUN /.test(line)));
  const user = runtime.instructions.find((line) => line.startsWith("USER "));
  assert.match(
    user ?? "",
    /^USER [1-9]\d*:[1-9]\d*$/,
    "numeric, non-root: runAsNonRoot can check it",
  );
  assert.equal(runtime.instructions.at(-1), 'CMD ["node", "dist/examples/sidecar/daemon.js"]');
});

test("the runtime stage holds only built JS and package.json, a few hundred KB", async () => {
  const files = await listFiles(image.app);
  assert.ok(files.includes("package.json"));
  for (const file of ["dist/server.js", "dist/client.js", "dist/examples/sidecar/daemon.js"]) {
    assert.ok(files.includes(file), file);
  }
  const others = files.filter((file) => file !== "package.json" && !file.endsWith(".js"));
  assert.deepEqual(others, [], "no .ts, .d.ts or anything else");
  assert.ok(!files.some((file) => file.includes("node_modules")));
  let bytes = 0;
  for (const file of files) bytes += (await readFile(path.join(image.app, file))).byteLength;
  assert.ok(bytes < 2_000_000, `${bytes} bytes`);
  const manifest = JSON.parse(await readFile(path.join(image.app, "package.json"), "utf8"));
  assert.equal(manifest.type, "module", "dist/*.js load as ES modules");
});

test("daemon and sidecar run from the staged image on Node 24 without tsx", SPAWN, async () => {
  const socket = path.join(image.root, "plain.sock");
  const daemon = runInImage("daemon", {
    LISTEN: socket,
    HEALTH_LISTEN: "127.0.0.1:0",
    POD_NAME: "hints-daemon-7xk2p",
    POD_NAMESPACE: "interim",
    WORK_MS: "300",
  });
  try {
    await daemon.waitForLine(/^listening unix:/, 30_000);
    const health = (await daemon.waitForLine(/^health /, 5_000)).slice("health ".length);
    // What the kubelet's httpGet probe does, timed against its 1 s timeout.
    const started = performance.now();
    const response = await fetch(health, { signal: AbortSignal.timeout(1_000) });
    const probeMs = performance.now() - started;
    assert.equal(`${response.status} ${(await response.text()).trim()}`, "200 ok");
    assert.ok(probeMs < 500, `probe took ${probeMs.toFixed(1)} ms`);
    const sidecar = runInImage("sidecar", {
      DAEMON_SOCKET: socket,
      DAEMON_URL: "http://localhost/work",
    });
    try {
      assert.equal(await sidecar.exited(30_000), 0, sidecar.stderr());
      assert.ok(sidecar.lines.includes("kubectl logs -n interim hints-daemon-7xk2p -f"));
    } finally {
      await sidecar.stop();
    }
  } finally {
    await daemon.stop();
  }
  // Stopped gracefully on SIGTERM (the exit code is not compared: Deno's
  // child_process reports a child killed by kill() as signalled even when it
  // exits 0 on its own handler).
  assert.match(daemon.stderr(), /daemon: stopped\n$/);
});

test("a sidecar of another user reaches the socket through the shared group only", {
  ...SPAWN,
  skip: asUsersSkip,
}, async () => {
  // As the socket manifests set it up: the init step's directory, the
  // daemon as 10000:10001, the sidecar as 10002 with group 10001.
  await chmod(image.root, 0o755);
  const dir = path.join(image.root, "run-interim");
  await mkdir(dir);
  await chmod(dir, 0o750);
  await chown(dir, 10000, 10001);
  const socket = path.join(dir, "daemon.sock");
  const daemon = runInImage("daemon", { LISTEN: socket, WORK_MS: "100" }, {
    uid: 10000,
    gid: 10001,
    groups: [],
  });
  try {
    await daemon.waitForLine(/^listening unix:/, 30_000);
    const env = { DAEMON_SOCKET: socket, DAEMON_URL: "http://localhost/work" };
    const member = runInImage("sidecar", env, { uid: 10002, gid: 10002, groups: [10001] });
    assert.equal(await member.exited(30_000), 0, `${member.lines.join("\n")}\n${member.stderr()}`);
    assert.ok(member.lines.includes("kubectl logs -n default daemon-local -f"));
    const stranger = runInImage("sidecar", env, { uid: 10002, gid: 10002, groups: [] });
    assert.equal(await stranger.exited(30_000), 1);
    assert.match(stranger.lines.join("\n"), /no final response: .*(EACCES|permission denied)/i);
  } finally {
    await daemon.stop();
  }
});

test("measured RSS of the image's daemon and sidecar fits the manifests' memory requests", {
  ...SPAWN,
  skip: procSkip,
}, async () => {
  const requests = await memoryRequests();
  const socket = path.join(image.root, "rss.sock");
  const daemon = runInImage("daemon", { LISTEN: socket, WORK_MS: "1000" });
  try {
    await daemon.waitForLine(/^listening unix:/, 30_000);
    // 20 jobs at once (each a sidecar), then the daemon's peak RSS.
    const sidecars = Array.from(
      { length: 20 },
      () => runInImage("sidecar", { DAEMON_SOCKET: socket, DAEMON_URL: "http://localhost/work" }),
    );
    try {
      await sidecars[0]!.waitForLine(/^kubectl logs /, 30_000);
      const sidecarRss = await residentBytes(sidecars[0]!.pid!);
      const codes = await Promise.all(sidecars.map((sidecar) => sidecar.exited(30_000)));
      assert.deepEqual(new Set(codes), new Set([0]));
      const daemonRss = await residentBytes(daemon.pid!);
      const mib = (bytes: number) => `${(bytes / 2 ** 20).toFixed(1)} MiB`;
      const note = `daemon ${mib(daemonRss!)}, sidecar ${mib(sidecarRss!)} (Node 24, compiled JS)`;
      console.log(`measured RSS: ${note}`);
      assert.ok(daemonRss! < requests.get("daemon")!, note);
      assert.ok(sidecarRss! < requests.get("hints-sidecar")!, note);
    } finally {
      await Promise.all(sidecars.map((sidecar) => sidecar.stop()));
    }
  } finally {
    await daemon.stop();
  }
});
