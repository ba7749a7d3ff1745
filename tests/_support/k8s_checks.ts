/**
 * Test support: checks for the example Kubernetes manifests without a
 * cluster or a schema download. A small structural schema of the objects the
 * examples use (unknown or misspelt fields and wrong types are errors, like
 * `kubectl apply --validate=strict`), and the Pod Security Standards rules
 * those pods touch, per level (https://kubernetes.io/docs/concepts/security/pod-security-standards/).
 *
 * @module
 */

import type { YamlValue } from "./yaml_subset.ts";

type Schema =
  | "string"
  | "integer"
  | "boolean"
  | "quantity"
  | "intOrString"
  | { readonly array: Schema }
  | { readonly map: "string" }
  | { readonly fields: Readonly<Record<string, Schema>>; readonly required?: readonly string[] };

const LABELS: Schema = { map: "string" };
const METADATA: Schema = {
  fields: { name: "string", namespace: "string", labels: LABELS },
  required: ["name"],
};
const RESOURCES: Schema = {
  fields: {
    requests: { fields: { cpu: "quantity", memory: "quantity" } },
    limits: { fields: { cpu: "quantity", memory: "quantity" } },
  },
};
const PROBE: Schema = {
  fields: {
    httpGet: { fields: { path: "string", port: "intOrString" }, required: ["port"] },
    exec: { fields: { command: { array: "string" } } },
    initialDelaySeconds: "integer",
    periodSeconds: "integer",
    timeoutSeconds: "integer",
    failureThreshold: "integer",
    successThreshold: "integer",
  },
};
const SECCOMP: Schema = { fields: { type: "string" }, required: ["type"] };
const CONTAINER: Schema = {
  fields: {
    name: "string",
    image: "string",
    command: { array: "string" },
    args: { array: "string" },
    env: {
      array: {
        fields: {
          name: "string",
          value: "string",
          valueFrom: {
            fields: { fieldRef: { fields: { fieldPath: "string" }, required: ["fieldPath"] } },
          },
        },
        required: ["name"],
      },
    },
    ports: {
      array: {
        fields: {
          name: "string",
          containerPort: "integer",
          hostPort: "integer",
          protocol: "string",
        },
        required: ["containerPort"],
      },
    },
    readinessProbe: PROBE,
    livenessProbe: PROBE,
    startupProbe: PROBE,
    resources: RESOURCES,
    securityContext: {
      fields: {
        allowPrivilegeEscalation: "boolean",
        readOnlyRootFilesystem: "boolean",
        privileged: "boolean",
        runAsNonRoot: "boolean",
        runAsUser: "integer",
        runAsGroup: "integer",
        seccompProfile: SECCOMP,
        capabilities: { fields: { add: { array: "string" }, drop: { array: "string" } } },
      },
    },
    volumeMounts: {
      array: {
        fields: { name: "string", mountPath: "string", readOnly: "boolean" },
        required: ["name", "mountPath"],
      },
    },
  },
  required: ["name", "image"],
};
const POD_SPEC: Schema = {
  fields: {
    securityContext: {
      fields: {
        runAsNonRoot: "boolean",
        runAsUser: "integer",
        runAsGroup: "integer",
        fsGroup: "integer",
        supplementalGroups: { array: "integer" },
        seccompProfile: SECCOMP,
      },
    },
    initContainers: { array: CONTAINER },
    containers: { array: CONTAINER },
    volumes: {
      array: {
        fields: {
          name: "string",
          hostPath: { fields: { path: "string", type: "string" }, required: ["path"] },
          emptyDir: { fields: {} },
        },
        required: ["name"],
      },
    },
    restartPolicy: "string",
    terminationGracePeriodSeconds: "integer",
    hostNetwork: "boolean",
  },
  required: ["containers"],
};
const KINDS: Record<string, Schema> = {
  "v1/Namespace": {
    fields: { apiVersion: "string", kind: "string", metadata: METADATA },
    required: ["metadata"],
  },
  "v1/Pod": {
    fields: { apiVersion: "string", kind: "string", metadata: METADATA, spec: POD_SPEC },
    required: ["metadata", "spec"],
  },
  "apps/v1/DaemonSet": {
    fields: {
      apiVersion: "string",
      kind: "string",
      metadata: METADATA,
      spec: {
        fields: {
          selector: { fields: { matchLabels: LABELS }, required: ["matchLabels"] },
          template: {
            fields: { metadata: { fields: { labels: LABELS } }, spec: POD_SPEC },
            required: ["metadata", "spec"],
          },
        },
        required: ["selector", "template"],
      },
    },
    required: ["metadata", "spec"],
  },
};

/** A Kubernetes quantity (`10m`, `96Mi`, `1`) in base units (cores, bytes). */
export function parseQuantity(text: string): number | undefined {
  const match = /^(\d+(?:\.\d+)?)(m|Ki|Mi|Gi|k|M|G)?$/.exec(text);
  if (match === null) return undefined;
  const factor: Record<string, number> = {
    "": 1,
    m: 1e-3,
    k: 1e3,
    M: 1e6,
    G: 1e9,
    Ki: 1024,
    Mi: 1024 ** 2,
    Gi: 1024 ** 3,
  };
  return Number(match[1]) * factor[match[2] ?? ""]!;
}

function isObject(value: YamlValue | undefined): value is { [key: string]: YamlValue } {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function check(value: YamlValue, schema: Schema, at: string, errors: string[]): void {
  if (schema === "string" || schema === "quantity") {
    if (typeof value !== "string") return void errors.push(`${at}: expected a string`);
    if (schema === "quantity" && parseQuantity(value) === undefined) {
      errors.push(`${at}: not a quantity: ${value}`);
    }
  } else if (schema === "intOrString") {
    if (typeof value !== "string" && !Number.isInteger(value)) {
      errors.push(`${at}: expected an integer or a string`);
    }
  } else if (schema === "integer") {
    if (!Number.isInteger(value)) errors.push(`${at}: expected an integer`);
  } else if (schema === "boolean") {
    if (typeof value !== "boolean") errors.push(`${at}: expected a boolean`);
  } else if ("array" in schema) {
    if (!Array.isArray(value)) return void errors.push(`${at}: expected a list`);
    value.forEach((item, i) => check(item, schema.array, `${at}[${i}]`, errors));
  } else if ("map" in schema) {
    if (!isObject(value)) return void errors.push(`${at}: expected a mapping`);
    for (const [key, item] of Object.entries(value)) {
      check(item, schema.map, `${at}.${key}`, errors);
    }
  } else {
    if (!isObject(value)) return void errors.push(`${at}: expected a mapping`);
    for (const [key, item] of Object.entries(value)) {
      const field = schema.fields[key];
      if (field === undefined) errors.push(`${at}.${key}: unknown field`);
      else check(item, field, `${at}.${key}`, errors);
    }
    for (const key of schema.required ?? []) {
      if (!(key in value)) errors.push(`${at}.${key}: required`);
    }
  }
}

/** Schema errors of one manifest object (empty when valid). */
export function validateObject(object: YamlValue): string[] {
  if (!isObject(object)) return ["the document is not a mapping"];
  const kind = `${object.apiVersion}/${object.kind}`;
  const schema = KINDS[kind];
  if (schema === undefined) return [`unsupported kind ${kind}`];
  const errors: string[] = [];
  check(object, schema, kind, errors);
  return errors;
}

/**
 * A manifest value as the checks read it: plain parsed YAML, checked by
 * {@linkcode validateObject} first, so the checks index it freely.
 */
// deno-lint-ignore no-explicit-any
export type Loose = any;
/** A pod spec (of a Pod or a DaemonSet's template). */
export type PodSpec = Loose;

/** The pod spec of a Pod or of a DaemonSet's template. */
export function podSpecOf(object: Loose): PodSpec | undefined {
  if (object.kind === "Pod") return object.spec;
  if (object.kind === "DaemonSet") return object.spec.template.spec;
  return undefined;
}

/** Every container of a pod, init containers first. */
export function allContainers(spec: PodSpec): Loose[] {
  return [...(spec.initContainers ?? []), ...(spec.containers ?? [])];
}

const BASELINE_CAPABILITIES = new Set([
  "AUDIT_WRITE",
  "CHOWN",
  "DAC_OVERRIDE",
  "FOWNER",
  "FSETID",
  "KILL",
  "MKNOD",
  "NET_BIND_SERVICE",
  "SETFCAP",
  "SETGID",
  "SETPCAP",
  "SETUID",
  "SYS_CHROOT",
]);
const RESTRICTED_VOLUMES = new Set([
  "configMap",
  "csi",
  "downwardAPI",
  "emptyDir",
  "ephemeral",
  "persistentVolumeClaim",
  "projected",
  "secret",
]);

/**
 * What the Pod Security Standards level refuses in `spec` (the rules these
 * examples can touch: host namespaces and ports, hostPath and other volume
 * types, privileged, capabilities, privilege escalation, non-root, seccomp).
 *
 * @param spec A pod spec.
 * @param level `privileged`, `baseline` or `restricted`.
 * @returns One line per violation; empty when the pod is admitted.
 */
export function podSecurityViolations(spec: PodSpec, level: string): string[] {
  if (level === "privileged") return [];
  const violations: string[] = [];
  const pod = spec.securityContext ?? {};
  if (spec.hostNetwork === true) violations.push("hostNetwork");
  for (const volume of spec.volumes ?? []) {
    if ("hostPath" in volume) violations.push(`hostPath volume ${volume.name}`);
  }
  for (const container of allContainers(spec)) {
    const security = container.securityContext ?? {};
    const name = container.name;
    for (const port of container.ports ?? []) {
      if ((port.hostPort ?? 0) !== 0) violations.push(`${name}: hostPort ${port.hostPort}`);
    }
    if (security.privileged === true) violations.push(`${name}: privileged`);
    for (const added of security.capabilities?.add ?? []) {
      if (!BASELINE_CAPABILITIES.has(added)) violations.push(`${name}: adds ${added}`);
    }
    const seccomp = security.seccompProfile?.type ?? pod.seccompProfile?.type;
    if (seccomp === "Unconfined") violations.push(`${name}: seccomp Unconfined`);
    if (level !== "restricted") continue;
    if (security.allowPrivilegeEscalation !== false) {
      violations.push(`${name}: allowPrivilegeEscalation not false`);
    }
    if ((security.runAsNonRoot ?? pod.runAsNonRoot) !== true) {
      violations.push(`${name}: runAsNonRoot not true`);
    }
    if ((security.runAsUser ?? pod.runAsUser) === 0) violations.push(`${name}: runAsUser 0`);
    if (seccomp !== "RuntimeDefault" && seccomp !== "Localhost") {
      violations.push(`${name}: seccompProfile not RuntimeDefault or Localhost`);
    }
    if (!(security.capabilities?.drop ?? []).includes("ALL")) {
      violations.push(`${name}: capabilities do not drop ALL`);
    }
    for (const added of security.capabilities?.add ?? []) {
      if (added !== "NET_BIND_SERVICE") violations.push(`${name}: restricted adds ${added}`);
    }
  }
  if (level === "restricted") {
    for (const volume of spec.volumes ?? []) {
      const type = Object.keys(volume).find((key) => key !== "name");
      if (type !== undefined && !RESTRICTED_VOLUMES.has(type)) {
        violations.push(`volume ${volume.name}: type ${type}`);
      }
    }
  }
  return violations;
}
