/**
 * The seed's expected output: the nine lines its Go program prints (the
 * "Output:" block of the original write-up), kept once for every test that
 * compares against it.
 *
 * @module
 */

/** The seed's output lines, in order. */
export const SEED_OUTPUT_LINES: readonly string[] = Object.freeze([
  "hinted [yyy]",
  "hinted [bbb]",
  "hinted []",
  "hinted [ttt]",
  "final 200 OK",
  "final [zzz]",
  "final [bbb]",
  "final [ddd]",
  "final [ttt uuu]",
]);

/** The same lines as one program's stdout (newline-terminated). */
export const SEED_OUTPUT: string = SEED_OUTPUT_LINES.join("\n") + "\n";
