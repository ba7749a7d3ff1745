/**
 * Test support: the code blocks of the documentation (Markdown fences and the
 * fenced blocks inside JSDoc comments), so a test can run every snippet a
 * user might copy.
 *
 * A block's info string is `LANG [ATTRIBUTES]`. The attribute `no-run`
 * followed by a reason marks a block that cannot run as a test (it needs a
 * cluster, a fixed port, ten minutes); the reason is required, because the
 * test lists every such block with it. Deno's `ignore` attribute alone does
 * not exempt a block. A shell block runs only when its fence says `run`
 * (`sh run`): shell can install or delete things. `runtimes=deno` limits a
 * block to the runtimes it names.
 *
 * @module
 */

/** What a block is, by its language. */
export type BlockKind = "ts" | "sh" | "other";

/** One fenced code block. */
export interface DocBlock {
  /** The file it comes from, relative to the repository root. */
  readonly file: string;
  /** The 1-based line of its opening fence. */
  readonly line: number;
  /** The info string's first word (`ts`, `sh`, `""` for a bare fence). */
  readonly lang: string;
  /** `ts` for TypeScript or JavaScript, `sh` for shell, `other` for output and data. */
  readonly kind: BlockKind;
  /** Why it is not run, when it is marked `no-run`; `""` when marked without a reason. */
  readonly noRun: string | undefined;
  /** Whether the fence says `run`: a shell block runs only when marked so. */
  readonly safeToRun: boolean;
  /** The runtimes it claims (`runtimes=deno,bun`), or `undefined` for all of them. */
  readonly runtimes: readonly string[] | undefined;
  /** The block's text, without the fences (and without JSDoc's leading ` * `). */
  readonly code: string;
}

const TS_LANGS = new Set(["ts", "typescript", "js", "javascript", "mts", "mjs"]);
const SH_LANGS = new Set(["sh", "bash", "shell"]);
const FENCE = /^(```+)\s*(.*)$/;

function kindOf(lang: string): BlockKind {
  // Renderers take the language case-insensitively: a ```TS block is code, not output.
  const name = lang.toLowerCase();
  if (TS_LANGS.has(name)) return "ts";
  if (SH_LANGS.has(name)) return "sh";
  return "other";
}

/** The `no-run` reason in an info string's attributes, or `undefined` when unmarked. */
function noRunReason(attributes: string): string | undefined {
  const at = attributes.search(/(^|\s)no-run(\s|:|$)/);
  if (at < 0) return undefined;
  const after = attributes.slice(attributes.indexOf("no-run", at) + "no-run".length);
  return after.replace(/^[\s:\u2014-]+/, "").trim();
}

/**
 * The fenced blocks of some lines of text.
 *
 * @param file The name reported for the blocks.
 * @param lines The lines, already stripped of any comment prefix.
 * @param lineNumbers The 1-based source line of each entry of `lines`.
 * @returns The blocks, in order; an unclosed fence is an error.
 */
function fencedBlocks(
  file: string,
  lines: readonly string[],
  lineNumbers: readonly number[],
): DocBlock[] {
  const blocks: DocBlock[] = [];
  let open: { fence: string; info: string; line: number; body: string[] } | undefined;
  lines.forEach((text, index) => {
    const match = FENCE.exec(text.trimStart());
    if (open === undefined) {
      if (match === null) return;
      open = { fence: match[1]!, info: match[2]!.trim(), line: lineNumbers[index]!, body: [] };
    } else if (match !== null && match[1] === open.fence && match[2]!.trim() === "") {
      const [lang = "", ...rest] = open.info.split(/\s+/);
      blocks.push({
        file,
        line: open.line,
        lang,
        kind: kindOf(lang),
        noRun: noRunReason(rest.join(" ")),
        safeToRun: rest[0] === "run",
        runtimes: rest.find((word) => word.startsWith("runtimes="))?.slice("runtimes=".length)
          .split(","),
        code: open.body.join("\n") + "\n",
      });
      open = undefined;
    } else {
      open.body.push(text);
    }
  });
  if (open !== undefined) throw new Error(`${file}:${open.line}: unclosed code fence`);
  return blocks;
}

/**
 * The fenced code blocks of a Markdown document.
 *
 * @param file The document's path, for the blocks' names.
 * @param text The document.
 * @returns Its blocks, in order.
 */
export function markdownBlocks(file: string, text: string): DocBlock[] {
  const lines = text.split("\n");
  return fencedBlocks(file, lines, lines.map((_, index) => index + 1));
}

/**
 * The fenced code blocks inside the JSDoc comments (`/** ... *\/`) of a
 * TypeScript source file, such as the ones under `@example`.
 *
 * @param file The source file's path, for the blocks' names.
 * @param text The source.
 * @returns Its blocks, in order.
 */
export function jsdocBlocks(file: string, text: string): DocBlock[] {
  const blocks: DocBlock[] = [];
  const lines = text.split("\n");
  let comment: { lines: string[]; numbers: number[] } | undefined;
  lines.forEach((line, index) => {
    const trimmed = line.trim();
    if (comment === undefined) {
      if (!trimmed.startsWith("/**") || trimmed.endsWith("*/")) return;
      comment = { lines: [], numbers: [] };
      return;
    }
    if (trimmed.endsWith("*/")) {
      blocks.push(...fencedBlocks(file, comment.lines, comment.numbers));
      comment = undefined;
      return;
    }
    // " * text" -> "text"; keep the indentation after the star.
    comment.lines.push(line.replace(/^\s*\* ?/, ""));
    comment.numbers.push(index + 1);
  });
  return blocks;
}
