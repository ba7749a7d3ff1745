#!/usr/bin/env node
/**
 * The `interim` command: `deno run -A src/cli/main.ts URL`,
 * `bun src/cli/main.ts URL`, or `npx interim URL` after `npm install`.
 * Run it with `--help` for the options.
 *
 * This entry builds the {@linkcode CliHost} from the `process` object that
 * Node, Bun and Deno all provide, so it names no runtime-specific global and
 * imports no `node:` module; everything else lives in `run.ts`.
 *
 * @module
 */

import type { CliHost } from "./host.ts";
import { runCli } from "./run.ts";
import { concatBytes } from "../http1/_bytes.ts";

/** The part of the `process` global (Node, Bun, Deno) this entry uses. */
interface HostProcess {
  readonly argv: readonly string[];
  readonly stdout: HostWritable;
  readonly stderr: HostWritable;
  readonly stdin: AsyncIterable<Uint8Array | string>;
  exit(code: number): never;
  /** Node 22+ (20.16+), Bun, Deno 2. */
  getBuiltinModule?(name: "fs"): {
    promises: { readFile(path: string): Promise<Uint8Array> };
  };
}

interface HostWritable {
  write(data: string | Uint8Array, callback: (error?: Error | null) => void): boolean;
  on(event: "error", listener: (error: Error) => void): unknown;
}

function write(stream: HostWritable, data: string | Uint8Array): Promise<void> {
  return new Promise((resolve, reject) => {
    stream.write(data, (error) => (error ? reject(error) : resolve()));
  });
}

async function readAll(stream: AsyncIterable<Uint8Array | string>): Promise<Uint8Array> {
  const encoder = new TextEncoder();
  const parts: Uint8Array[] = [];
  for await (const chunk of stream) {
    parts.push(typeof chunk === "string" ? encoder.encode(chunk) : chunk);
  }
  return concatBytes(parts);
}

const hostProcess = (globalThis as unknown as { process: HostProcess }).process;

// A closed pipe (`interim URL | head -1`) also emits "error" on the
// stream, which would crash the process unhandled; the write callback already
// reports it to the runner, which stops printing.
hostProcess.stdout.on("error", () => {});
hostProcess.stderr.on("error", () => {});

const host: CliHost = {
  args: hostProcess.argv.slice(2),
  writeStdout: (data) => write(hostProcess.stdout, data),
  writeStderr: (text) => write(hostProcess.stderr, text),
  readFile(path) {
    if (hostProcess.getBuiltinModule === undefined) {
      return Promise.reject(
        new Error("reading files needs process.getBuiltinModule (Node 22, Bun, Deno 2)"),
      );
    }
    return hostProcess.getBuiltinModule("fs").promises.readFile(path);
  },
  readStdin: () => readAll(hostProcess.stdin),
};

// Exit explicitly once the output is flushed: the status must reach the shell
// even if a pooled socket or timer would otherwise keep the event loop alive.
hostProcess.exit(await runCli(host));
