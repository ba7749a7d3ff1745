// The import-direction check that npm test runs (scripts/check_layers.ts)
// finds what it is for: a runtime module importing the server, the server
// importing the client, and a cycle (type-only imports included); a tree
// that follows the rules is clean.
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { checkLayers } from "../scripts/check_layers.ts";

function tree(files: Record<string, string>): { root: string; paths: string[] } {
  const root = mkdtempSync(join(tmpdir(), "layers-"));
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(join(root, path, ".."), { recursive: true });
    writeFileSync(join(root, path), text);
  }
  return { root, paths: Object.keys(files) };
}

test("check_layers: a tree that follows the rules is clean", () => {
  const { root, paths } = tree({
    "src/http1/a.ts": "export const a = 1;\n",
    "src/runtime/r.ts": 'import { a } from "../http1/a.ts";\nexport const r = a;\n',
    "src/server/s.ts": 'import { r } from "../runtime/r.ts";\nexport const s = r;\n',
    "src/client/c.ts": 'import type { a } from "../http1/a.ts";\nexport const c = 1;\n',
  });
  try {
    assert.deepEqual(checkLayers(root, paths), []);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test("check_layers: wrong-way imports and a type-only cycle are found", () => {
  const { root, paths } = tree({
    "src/runtime/r.ts": 'import { s } from "../server/s.ts";\nexport const r = s;\n',
    "src/server/s.ts": 'import { c } from "../client/c.ts";\nexport const s = c;\n',
    "src/client/c.ts": "export const c = 1;\n",
    "src/server/x.ts": 'import type { Y } from "./y.ts";\nexport type X = Y;\n',
    "src/server/y.ts": 'import type { X } from "./x.ts";\nexport type Y = X | 1;\n',
  });
  try {
    const messages = checkLayers(root, paths).map((finding) => finding.message);
    assert.ok(messages.some((m) => m.startsWith("src/runtime must not import src/server")));
    assert.ok(messages.some((m) => m.startsWith("src/server must not import src/client")));
    assert.ok(
      messages.some((m) =>
        /^import cycle: server\/x\.ts -> server\/y\.ts -> server\/x\.ts$/.test(m)
      ),
      messages.join("\n"),
    );
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});
