/**
 * The capabilities the CLI needs from the process it runs in, passed in so
 * that the runner stays free of runtime globals and can be driven by tests.
 * This module is browser compatible.
 *
 * @module
 */

/** What the CLI runner may do to the outside world. */
export interface CliHost {
  /** The arguments after the program name. */
  readonly args: readonly string[];
  /** Writes to standard output; resolves once the bytes are handed over. */
  writeStdout(data: string | Uint8Array): Promise<void>;
  /** Writes to standard error; resolves once the bytes are handed over. */
  writeStderr(text: string): Promise<void>;
  /** Reads a whole file; rejects with a message naming the file. */
  readFile(path: string): Promise<Uint8Array>;
  /** Reads standard input to its end. */
  readStdin(): Promise<Uint8Array>;
}
