// A Node test reporter (`node --test --test-reporter=./scripts/node_test_reporter.mjs`)
// that writes one JSON line per finished test: name, file, nesting depth,
// outcome, and the skip reason or the first line of the error. Node 20's
// JUnit reporter leaves out the file and the nesting, which the runner
// needs to count top-level tests per file. Plain JavaScript because Node
// loads reporters before any loader (tsx) can handle TypeScript, so the
// types live in JSDoc.
// deno-lint-ignore-file explicit-module-boundary-types

/**
 * First line of a failed test's error message.
 *
 * @param {unknown} error The `details.error` of a `test:fail` event.
 * @returns {string} The line, or `""`.
 */
function firstLineOf(error) {
  // Node wraps a test's own error as the `cause` of ERR_TEST_FAILURE.
  const cause = typeof error === "object" && error !== null && "cause" in error
    ? error.cause
    : undefined;
  const inner = cause ?? error;
  const text = typeof inner === "object" && inner !== null && "message" in inner
    ? String(inner.message)
    : String(inner ?? "");
  return text.split("\n").map((line) => line.trim()).find((line) => line !== "") ?? "";
}

/**
 * Turns Node's test events into JSON lines, one per finished test.
 *
 * @param {AsyncIterable<{ type: string, data: Record<string, any> }>} source Node's test events.
 * @returns {AsyncGenerator<string>} The lines.
 *
 * @example Use it from the command line
 * ```sh
 * node --import tsx --test --test-reporter=./scripts/node_test_reporter.mjs \
 *   --test-reporter-destination=results.jsonl tests/a.test.ts
 * ```
 */
export default async function* jsonLines(source) {
  for await (const event of source) {
    if (event.type !== "test:pass" && event.type !== "test:fail") continue;
    const { data } = event;
    const skipped = data.skip !== undefined || data.todo !== undefined;
    const outcome = event.type === "test:fail" ? "failed" : skipped ? "skipped" : "passed";
    let detail = "";
    if (outcome === "failed") detail = firstLineOf(data.details?.error);
    else if (data.todo !== undefined) {
      detail = typeof data.todo === "string" ? `todo: ${data.todo}` : "todo";
    } else if (typeof data.skip === "string") detail = data.skip;
    const line = { name: data.name ?? "", file: data.file ?? "", nesting: data.nesting ?? 0 };
    yield `${JSON.stringify({ ...line, outcome, detail })}\n`;
  }
}
