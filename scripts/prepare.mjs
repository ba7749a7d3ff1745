/**
 * npm's `prepare` step, which `npm ci` and `npm install` run in a clone of
 * this repository: builds dist/, so that the package's bin
 * (`npx interim URL`, which runs dist/src/cli/main.js) works right after
 * `npm ci`, with no manual build. About two seconds.
 *
 * It steps aside, with a note, where building is not its job or not possible:
 * under `npm pack` and `npm publish` (`prepack` builds, and fails loudly), and
 * without the dev dependencies (`npm ci --omit=dev`: no compiler to build
 * with; failing there would fail the whole install). Plain JavaScript, so
 * that it runs before anything is known to be installed.
 *
 * Usage (npm runs it): `node scripts/prepare.mjs`
 *
 * @module
 */

import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { dirname, join } from "node:path";
import process from "node:process";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const command = process.env.npm_command;

if (command === "pack" || command === "publish") process.exit(0);

const missing = ["tsx", "typescript"].filter((name) =>
  !existsSync(join(root, "node_modules", name, "package.json"))
);
if (missing.length > 0) {
  console.error(
    `prepare: ${missing.join(" and ")} not installed (dev dependencies omitted?), ` +
      "so dist/ is not built; npm run build builds it.",
  );
  process.exit(0);
}

// The node running this script: npm puts node_modules/.bin first on PATH.
const build = spawnSync(process.execPath, ["--import", "tsx", "scripts/build.ts"], {
  cwd: root,
  stdio: "inherit",
  timeout: 180_000,
});
if (build.error !== undefined) console.error(`prepare: ${build.error.message}`);
process.exit(build.status ?? 1);
