/**
 * Reads what `deno test` and `bun test` write as JUnit XML, and what
 * `node --test` writes through `node_test_reporter.mjs`, and reduces each to
 * one result per top-level `test()` call.
 *
 * The reporters disagree on shape, so each has its own reducer:
 * - Deno lists every subtest as its own `<testcase>` named `parent > child`
 *   after the top-level ones; only names that are not a step of another
 *   case count.
 * - Bun lists top-level tests only; a failing subtest fails its parent.
 * - Node 20's JUnit reporter gives no file names and turns a test with
 *   subtests into a `<testsuite>`, so Node uses our own JSON-lines reporter,
 *   which keeps the file, the nesting depth and the skip reason (Node is the
 *   only runtime that reports skip reasons).
 *
 * @module
 */

/** What happened to one top-level test. */
export type Outcome = "passed" | "failed" | "skipped";

/** One top-level `test()` call as a runtime reported it. */
export interface TestResult {
  /** The test file (relative, `tests/x.test.ts`), or `""` when the reporter does not say. */
  readonly file: string;
  /** The name given to `test()`. */
  readonly name: string;
  /** Passed, failed, or skipped (todo counts as skipped). */
  readonly outcome: Outcome;
  /** First line of the failure message, or the skip reason, when the reporter gave one. */
  readonly detail: string;
}

/** A parsed XML element: name, attributes and children (text is dropped). */
interface XmlElement {
  readonly name: string;
  readonly attributes: ReadonlyMap<string, string>;
  readonly children: XmlElement[];
}

const ENTITIES: Readonly<Record<string, string>> = {
  amp: "&",
  lt: "<",
  gt: ">",
  quot: '"',
  apos: "'",
};

/**
 * Decodes XML character references.
 *
 * @param text Raw attribute text.
 * @returns The decoded text.
 *
 * @example Decode an attribute
 * ```ts
 * decodeEntities("a &lt;&amp;&gt; b"); // "a <&> b"
 * ```
 */
export function decodeEntities(text: string): string {
  return text.replace(/&(#x[0-9a-fA-F]+|#[0-9]+|[a-zA-Z]+);/g, (whole, body: string) => {
    if (body.startsWith("#x")) return String.fromCodePoint(Number.parseInt(body.slice(2), 16));
    if (body.startsWith("#")) return String.fromCodePoint(Number.parseInt(body.slice(1), 10));
    return ENTITIES[body] ?? whole;
  });
}

const TAG =
  /<!--[\s\S]*?-->|<!\[CDATA\[[\s\S]*?\]\]>|<\?[\s\S]*?\?>|<(\/?)([A-Za-z_][\w:.-]*)((?:\s+[^\s=/>]+\s*=\s*(?:"[^"]*"|'[^']*'))*)\s*(\/?)>/g;
const ATTRIBUTE = /([^\s=/>]+)\s*=\s*(?:"([^"]*)"|'([^']*)')/g;

/**
 * Parses the element structure of an XML document. Tolerant on purpose: Node
 * 20 leaves `>` unescaped inside attribute values, which the quoted-value
 * pattern accepts.
 *
 * @param xml The document.
 * @returns A synthetic root element holding the top-level elements.
 *
 * @example Parse a tiny document
 * ```ts
 * parseXml('<a x="1"><b/></a>').children[0]?.name; // "a"
 * ```
 */
export function parseXml(xml: string): XmlElement {
  const root: XmlElement = { name: "#root", attributes: new Map(), children: [] };
  const stack: XmlElement[] = [root];
  for (const match of xml.matchAll(TAG)) {
    const [, closing, name, rawAttributes, selfClosing] = match;
    if (name === undefined) continue; // comment, CDATA or declaration
    if (closing === "/") {
      // Pop to the matching open element; tolerate stray closers.
      const index = stack.findLastIndex((element) => element.name === name);
      if (index > 0) stack.length = index;
      continue;
    }
    const attributes = new Map<string, string>();
    for (const attribute of (rawAttributes ?? "").matchAll(ATTRIBUTE)) {
      attributes.set(attribute[1] ?? "", decodeEntities(attribute[2] ?? attribute[3] ?? ""));
    }
    const element: XmlElement = { name, attributes, children: [] };
    stack[stack.length - 1]?.children.push(element);
    if (selfClosing !== "/") stack.push(element);
  }
  return root;
}

function childrenNamed(element: XmlElement, name: string): XmlElement[] {
  return element.children.filter((child) => child.name === name);
}

function firstLine(text: string): string {
  const line = text.split("\n").map((l) => l.trim()).find((l) => l !== "") ?? "";
  // Node folds multi-line messages into one; keep the summary readable.
  return line.length > 200 ? `${line.slice(0, 197)}...` : line;
}

/** Outcome of one `<testcase>` from its `<failure>`/`<error>`/`<skipped>` children. */
function caseOutcome(testcase: XmlElement): { outcome: Outcome; detail: string } {
  const failure = testcase.children.find((c) => c.name === "failure" || c.name === "error");
  if (failure !== undefined) {
    return { outcome: "failed", detail: firstLine(failure.attributes.get("message") ?? "") };
  }
  const skipped = testcase.children.find((c) => c.name === "skipped");
  if (skipped !== undefined) {
    const message = skipped.attributes.get("message") ?? "";
    const todo = skipped.attributes.get("type") === "todo" || message === "TODO";
    const detail = todo
      ? `todo${message !== "" && message !== "TODO" ? `: ${message}` : ""}`
      : message;
    return { outcome: "skipped", detail };
  }
  return { outcome: "passed", detail: "" };
}

function relativeFile(name: string): string {
  return name.replace(/^\.\//, "");
}

/**
 * Reduces Deno's JUnit report to top-level tests (steps dropped).
 *
 * @param xml The report.
 * @returns One result per top-level test.
 *
 * @example Reduce a report
 * ```ts
 * denoResults('<testsuites><testsuite name="./tests/a.test.ts"><testcase name="t"/></testsuite></testsuites>');
 * // [{ file: "tests/a.test.ts", name: "t", outcome: "passed", detail: "" }]
 * ```
 */
export function denoResults(xml: string): TestResult[] {
  const results: TestResult[] = [];
  for (const suites of childrenNamed(parseXml(xml), "testsuites")) {
    for (const suite of childrenNamed(suites, "testsuite")) {
      const file = relativeFile(suite.attributes.get("name") ?? "");
      const cases = childrenNamed(suite, "testcase");
      const names = cases.map((c) => c.attributes.get("name") ?? "");
      const topLevel = new Set<string>();
      for (const name of names) {
        // A step is named "<parent> > <step>"; the parent is listed too.
        const isStep = [...topLevel].some((parent) => name.startsWith(`${parent} > `));
        if (!isStep) topLevel.add(name);
      }
      for (const testcase of cases) {
        const name = testcase.attributes.get("name") ?? "";
        if (!topLevel.has(name)) continue;
        results.push({ file, name, ...caseOutcome(testcase) });
      }
    }
  }
  return results;
}

/**
 * Reduces Bun's JUnit report (it lists top-level tests only).
 *
 * @param xml The report.
 * @returns One result per test.
 *
 * @example Reduce a report
 * ```ts
 * bunResults("<testsuites></testsuites>"); // []
 * ```
 */
export function bunResults(xml: string): TestResult[] {
  const results: TestResult[] = [];
  const visit = (element: XmlElement, file: string): void => {
    for (const child of element.children) {
      if (child.name === "testsuite") {
        visit(child, relativeFile(child.attributes.get("file") ?? file));
      } else if (child.name === "testcase") {
        const name = child.attributes.get("name") ?? "";
        const caseFile = relativeFile(child.attributes.get("file") ?? file);
        results.push({ file: caseFile, name, ...caseOutcome(child) });
      }
    }
  };
  for (const suites of childrenNamed(parseXml(xml), "testsuites")) visit(suites, "");
  return results;
}

/**
 * Reduces the JSON lines of `node_test_reporter.mjs` to top-level tests
 * (nesting 0). Node reports a file that failed outside any test (a load
 * error, a top-level throw) as a test named by the file's absolute path.
 *
 * @param text The reporter's output.
 * @param root Absolute path of the project, to make file names relative.
 * @returns One result per top-level test.
 *
 * @example Reduce a report
 * ```ts
 * nodeResults('{"name":"t","file":"/repo/tests/a.test.ts","nesting":0,"outcome":"passed","detail":""}', "/repo");
 * // [{ file: "tests/a.test.ts", name: "t", outcome: "passed", detail: "" }]
 * ```
 */
export function nodeResults(text: string, root: string): TestResult[] {
  const results: TestResult[] = [];
  for (const line of text.split("\n")) {
    if (line.trim() === "") continue;
    const event = JSON.parse(line) as {
      name: string;
      file: string;
      nesting: number;
      outcome: Outcome;
      detail: string;
    };
    if (event.nesting !== 0) continue;
    const file = event.file.startsWith(`${root}/`) ? event.file.slice(root.length + 1) : event.file;
    const wholeFile = event.name === event.file;
    results.push({
      file,
      name: wholeFile ? "(the file failed outside any test)" : event.name,
      outcome: event.outcome,
      detail: event.detail,
    });
  }
  return results;
}
