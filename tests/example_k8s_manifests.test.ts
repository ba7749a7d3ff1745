// The Kubernetes example's manifests (examples/k8s/socket and node-ip),
// checked without a cluster: a structural schema, the Pod Security level of
// each namespace against its pods, and the fields that must agree with the
// image and with what examples/sidecar/*.ts read (env names, socket path and
// group, ports, probes, resources).
import { test } from "node:test";
import assert from "node:assert/strict";
import { readdir, readFile } from "node:fs/promises";
import path from "node:path";
import {
  allContainers,
  type Loose,
  parseQuantity,
  podSecurityViolations,
  type PodSpec,
  podSpecOf,
  validateObject,
} from "./_support/k8s_checks.ts";
import { parseYamlDocuments } from "./_support/yaml_subset.ts";
import { REPO_ROOT } from "./_support/run_ts.ts";

const IMAGE = "registry.example.com/interim-example:0.1.0";
const VARIANTS = ["socket", "node-ip"] as const;
type Manifest = { file: string; object: Loose };

async function loadVariant(variant: string): Promise<Manifest[]> {
  const dir = path.join(REPO_ROOT, "examples", "k8s", variant);
  const files = (await readdir(dir)).filter((name) => name.endsWith(".yaml")).sort();
  const manifests: Manifest[] = [];
  for (const file of files) {
    const text = await readFile(path.join(dir, file), "utf8");
    const documents = parseYamlDocuments(text);
    const bun = (globalThis as { Bun?: { YAML?: { parse(text: string): unknown } } }).Bun;
    if (bun?.YAML !== undefined) {
      // A second, complete YAML parser agrees with the subset reader.
      const parsed = bun.YAML.parse(text);
      assert.deepEqual(documents.length === 1 ? documents[0] : documents, parsed, file);
    }
    for (const object of documents) manifests.push({ file: `${variant}/${file}`, object });
  }
  return manifests;
}

const manifests = Object.fromEntries(
  await Promise.all(VARIANTS.map(async (v) => [v, await loadVariant(v)] as const)),
) as Record<(typeof VARIANTS)[number], Manifest[]>;

/** The env var names a program reads (`env.NAME` in its source). */
async function envNamesRead(file: string): Promise<Set<string>> {
  const source = await readFile(path.join(REPO_ROOT, file), "utf8");
  return new Set([...source.matchAll(/\benv\.([A-Z][A-Z0-9_]*)/g)].map((m) => m[1]!));
}

function find(variant: (typeof VARIANTS)[number], kind: string): Manifest {
  const found = manifests[variant].filter((m) => m.object.kind === kind);
  assert.equal(found.length, 1, `${variant}: one ${kind}`);
  return found[0]!;
}
function envOf(container: Loose): Map<string, Loose> {
  return new Map((container.env ?? []).map((e: Loose) => [e.name, e]));
}
function mainContainer(spec: PodSpec, name: string): Loose {
  const container = spec.containers.find((c: Loose) => c.name === name);
  assert.ok(container, `container ${name}`);
  return container;
}

test("the YAML subset reader parses what the manifests use and refuses the rest", () => {
  assert.deepEqual(
    parseYamlDocuments(
      'a: 1\nb:\n  - x\n  - "y # not a comment"\n  - k: v\n    n: [1, "2"]\nc: \'q\'\n---\nd: true # c\n',
    ),
    [{ a: 1, b: ["x", "y # not a comment", { k: "v", n: [1, "2"] }], c: "q" }, { d: true }],
  );
  assert.throws(() => parseYamlDocuments("a: &x 1\n"), /line 1: unsupported YAML syntax/);
  assert.throws(() => parseYamlDocuments("a: |\n  x\n"), /unsupported YAML syntax/);
  assert.throws(() => parseYamlDocuments("a: 1\na: 2\n"), /line 2: duplicate key a/);
  assert.throws(() => parseYamlDocuments("a: yes\n"), /ambiguous plain scalar yes/);
  assert.throws(() => parseYamlDocuments("a: 0660\n"), /ambiguous plain scalar 0660/);
});

test("every manifest object passes the structural schema", () => {
  for (const variant of VARIANTS) {
    assert.ok(manifests[variant].length >= 4, `${variant}: namespaces, daemonset, pod`);
    for (const { file, object } of manifests[variant]) {
      assert.deepEqual(validateObject(object), [], file);
    }
  }
  // The schema is not vacuous: a misspelt probe and a bad quantity are caught.
  const daemon = structuredClone(find("socket", "DaemonSet").object);
  const container = daemon.spec.template.spec.containers[0];
  container.readinesProbe = container.readinessProbe;
  container.resources.requests.memory = "96MB";
  assert.deepEqual(validateObject(daemon), [
    "apps/v1/DaemonSet.spec.template.spec.containers[0].resources.requests.memory: not a quantity: 96MB",
    "apps/v1/DaemonSet.spec.template.spec.containers[0].readinesProbe: unknown field",
  ]);
});

test("namespaces come first, and each pod meets its namespace's Pod Security level", () => {
  for (const variant of VARIANTS) {
    const list = manifests[variant];
    const namespaces = new Map<string, string>();
    for (const { object } of list.filter((m) => m.object.kind === "Namespace")) {
      const labels = object.metadata.labels ?? {};
      assert.ok(labels["pod-security.kubernetes.io/enforce"], object.metadata.name);
      namespaces.set(object.metadata.name, labels["pod-security.kubernetes.io/enforce"]);
    }
    const firstWorkload = list.findIndex((m) => m.object.kind !== "Namespace");
    assert.ok(
      list.slice(firstWorkload).every((m) => m.object.kind !== "Namespace"),
      `${variant}: kubectl apply -f DIR creates the namespaces before what lives in them`,
    );
    for (const { file, object } of list) {
      const spec = podSpecOf(object);
      if (spec === undefined) continue;
      const level = namespaces.get(object.metadata.namespace);
      assert.ok(level, `${file}: namespace ${object.metadata.namespace} is in the example`);
      assert.deepEqual(podSecurityViolations(spec, level), [], `${file} under ${level}`);
    }
  }
  // What docs/k8s.md says: hostPath needs "privileged" on both sides; the
  // node-IP variant's daemon needs it for hostPort, its workload does not.
  const socketPod = podSpecOf(find("socket", "Pod").object);
  assert.deepEqual(podSecurityViolations(socketPod, "baseline"), [
    "hostPath volume daemon-sockets",
  ]);
  const nodeIpDaemon = podSpecOf(find("node-ip", "DaemonSet").object);
  assert.deepEqual(podSecurityViolations(nodeIpDaemon, "baseline"), ["daemon: hostPort 8080"]);
  assert.deepEqual(
    podSecurityViolations(podSpecOf(find("node-ip", "Pod").object), "restricted"),
    [],
  );
  assert.equal(
    find("node-ip", "Pod").object.metadata.namespace,
    "interim-apps",
  );
  const restricted = manifests["node-ip"].find((m) =>
    m.object.kind === "Namespace" && m.object.metadata.name === "interim-apps"
  );
  assert.equal(
    restricted?.object.metadata.labels["pod-security.kubernetes.io/enforce"],
    "restricted",
  );
});

test("containers run the image's compiled JS as non-root, with resources and fitting probes", async () => {
  const dockerfile = await readFile(path.join(REPO_ROOT, "examples/k8s/Dockerfile"), "utf8");
  for (const variant of VARIANTS) {
    for (const { file, object } of manifests[variant]) {
      const spec = podSpecOf(object);
      if (spec === undefined) continue;
      const pod = spec.securityContext ?? {};
      if (object.kind === "DaemonSet") {
        assert.deepEqual(
          object.spec.selector.matchLabels,
          object.spec.template.metadata.labels,
          `${file}: the selector matches the template`,
        );
      }
      for (const container of allContainers(spec)) {
        const at = `${file} ${container.name}`;
        assert.equal(container.image, IMAGE, at);
        assert.ok(
          !container.command.includes("tsx") && !container.command.includes("--import"),
          at,
        );
        const security = container.securityContext ?? {};
        assert.equal(security.allowPrivilegeEscalation, false, at);
        assert.equal(security.readOnlyRootFilesystem, true, at);
        assert.ok(security.capabilities?.drop?.includes("ALL"), at);
        const requests = container.resources?.requests ?? {};
        const limits = container.resources?.limits ?? {};
        assert.ok(requests.cpu && requests.memory && limits.memory, `${at}: requests and limit`);
        assert.ok(parseQuantity(requests.memory)! <= parseQuantity(limits.memory)!, at);
        if ((spec.initContainers ?? []).includes(container)) continue;
        // The long-running containers: non-root, the example's JS on Node.
        assert.equal(security.runAsNonRoot ?? pod.runAsNonRoot, true, at);
        assert.ok((security.runAsUser ?? pod.runAsUser) > 0, at);
        assert.equal(container.command[0], "node", at);
        const script = /^dist\/examples\/sidecar\/(daemon|sidecar)\.js$/.exec(container.command[1]);
        assert.ok(script, `${at}: runs ${container.command[1]}`);
        assert.match(
          dockerfile,
          /COPY --from=build \/src\/\.build\/k8s\/examples\/sidecar \.\/dist\/examples\/sidecar/,
        );
        // Every variable set is read by the program or expanded as $(NAME) in a later one.
        const read = await envNamesRead(`examples/sidecar/${script[1]}.ts`);
        const names: string[] = [];
        for (const variable of container.env ?? []) {
          for (const [, ref] of String(variable.value ?? "").matchAll(/\$\(([A-Z_]+)\)/g)) {
            assert.ok(names.includes(ref!), `${at}: $(${ref}) is defined before ${variable.name}`);
          }
          names.push(variable.name);
        }
        for (const name of names) {
          const expanded = (container.env ?? []).some((v: { value?: string }) =>
            v.value?.includes(`$(${name})`)
          );
          assert.ok(read.has(name) || expanded, `${at}: ${script[1]}.ts reads ${name}`);
        }
        const ports = new Map((container.ports ?? []).map((p: Loose) => [p.name, p.containerPort]));
        for (const kind of ["readinessProbe", "livenessProbe"]) {
          const probe = container[kind];
          if (script[1] === "sidecar") {
            assert.equal(probe, undefined, `${at}: a one-shot sidecar has no ${kind}`);
            continue;
          }
          assert.ok(probe?.httpGet, `${at}: ${kind} is an httpGet (no process started)`);
          assert.ok(ports.has(probe.httpGet.port), `${at}: ${kind} port is a named container port`);
          assert.equal(probe.httpGet.path, "/healthz");
          assert.ok(probe.timeoutSeconds >= 1 && probe.periodSeconds > probe.timeoutSeconds, at);
        }
      }
    }
  }
});

test("socket variant: paths, user and group agree between the daemon, the init step and the sidecar", () => {
  const daemonSpec = podSpecOf(find("socket", "DaemonSet").object);
  const podSpec = podSpecOf(find("socket", "Pod").object);
  const daemon = mainContainer(daemonSpec, "daemon");
  const sidecar = mainContainer(podSpec, "hints-sidecar");
  const daemonEnv = envOf(daemon);
  const socketPath = daemonEnv.get("LISTEN").value;
  assert.equal(envOf(sidecar).get("DAEMON_SOCKET").value, socketPath);
  // Group read-write, nobody else: the sidecar gets in through the group.
  assert.equal(daemonEnv.get("SOCKET_MODE").value, "0660");
  const socketDir = path.posix.dirname(socketPath);
  const hostPathOf = (spec: PodSpec, mountName: string) =>
    spec.volumes.find((v: Loose) => v.name === mountName).hostPath.path;
  const mountOf = (container: Loose) =>
    container.volumeMounts.find((m: Loose) => m.mountPath === socketDir);
  assert.ok(mountOf(daemon) && mountOf(sidecar), "both mount the socket's directory");
  assert.equal(
    hostPathOf(daemonSpec, mountOf(daemon).name),
    hostPathOf(podSpec, mountOf(sidecar).name),
  );
  assert.equal(mountOf(sidecar).readOnly, true);

  const { runAsUser, runAsGroup } = daemonSpec.securityContext;
  const init = daemonSpec.initContainers[0];
  assert.equal(mountOf(init).mountPath, socketDir);
  assert.equal(
    init.command.at(-1),
    `chmod 0750 ${socketDir} && chown ${runAsUser}:${runAsGroup} ${socketDir}`,
  );
  assert.deepEqual(init.securityContext.capabilities.add, ["CHOWN"]);
  assert.ok(podSpec.securityContext.supplementalGroups.includes(runAsGroup));
  assert.notEqual(podSpec.securityContext.runAsUser, runAsUser, "the sidecar is another user");

  // The kubelet probes the health port the daemon opens.
  const health = /^0\.0\.0\.0:(\d+)$/.exec(daemonEnv.get("HEALTH_LISTEN").value);
  const healthPort = daemon.ports.find((p: Loose) => p.name === "health");
  assert.equal(Number(health?.[1]), healthPort.containerPort);
  assert.equal(healthPort.hostPort, undefined);
});

test("node-ip variant: the sidecar dials its node's IP on the daemon's hostPort", () => {
  const daemon = mainContainer(podSpecOf(find("node-ip", "DaemonSet").object), "daemon");
  const sidecar = mainContainer(podSpecOf(find("node-ip", "Pod").object), "hints-sidecar");
  const listen = /^0\.0\.0\.0:(\d+)$/.exec(envOf(daemon).get("LISTEN").value);
  const [port] = daemon.ports;
  assert.equal(Number(listen?.[1]), port.containerPort);
  assert.equal(port.hostPort, port.containerPort);
  const env = envOf(sidecar);
  assert.equal(env.get("HOST_IP").valueFrom.fieldRef.fieldPath, "status.hostIP");
  assert.equal(env.get("DAEMON_URL").value, `http://$(HOST_IP):${port.hostPort}/work`);
  assert.equal(env.has("DAEMON_SOCKET"), false);
});
