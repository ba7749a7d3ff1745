/**
 * The version of the `interim` package, printed by `interim --version`.
 *
 * Kept in a module rather than read from `package.json` at run time so the CLI
 * works the same from source (Deno, Bun) and from the npm build (Node);
 * `tests/cli.test.ts` checks that it matches `package.json`. This module is
 * browser compatible.
 *
 * @module
 */

/**
 * The package version.
 *
 * @example Printing the version
 * ```ts
 * import assert from "node:assert/strict";
 * import { VERSION } from "./version.ts";
 * assert.ok(/^\d+\.\d+\.\d+/.test(VERSION));
 * ```
 */
export const VERSION = "0.1.0";
