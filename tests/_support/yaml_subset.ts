/**
 * Test support: a reader for the subset of YAML the example manifests use,
 * so the manifest tests run on every runtime without a YAML dependency:
 * `---`-separated documents, block mappings and sequences, `#` comments,
 * plain, single- and double-quoted scalars, and flat flow sequences
 * (`["a", "b"]`). Anything else (anchors, tags, block scalars, flow
 * mappings, tabs, duplicate keys) is an error naming the line, so a manifest
 * cannot silently mean something other than what the tests checked. On Bun,
 * the tests compare the result with `Bun.YAML.parse`.
 *
 * @module
 */

/** A parsed YAML value. */
export type YamlValue = null | boolean | number | string | YamlValue[] | {
  [key: string]: YamlValue;
};

interface Line {
  readonly number: number;
  indent: number;
  text: string;
}

function fail(line: Line | undefined, message: string): never {
  throw new SyntaxError(`yaml line ${line?.number ?? "end"}: ${message}`);
}

/** Removes a ` # comment` outside quotes. */
function stripComment(text: string): string {
  let quote: string | undefined;
  for (let i = 0; i < text.length; i++) {
    const char = text[i]!;
    if (quote !== undefined) {
      if (char === "\\" && quote === '"') i++;
      else if (char === quote) quote = undefined;
    } else if (char === '"' || char === "'") {
      quote = char;
    } else if (char === "#" && (i === 0 || text[i - 1] === " ")) {
      return text.slice(0, i).trimEnd();
    }
  }
  return text.trimEnd();
}

/** Index of the `:` that ends a mapping key, or -1. */
function keyEnd(text: string): number {
  let quote: string | undefined;
  for (let i = 0; i < text.length; i++) {
    const char = text[i]!;
    if (quote !== undefined) {
      if (char === "\\" && quote === '"') i++;
      else if (char === quote) quote = undefined;
    } else if ((char === '"' || char === "'") && i === 0) {
      quote = char;
    } else if (char === ":" && (i + 1 === text.length || text[i + 1] === " ")) {
      return i;
    }
  }
  return -1;
}

function scalar(text: string, line: Line): YamlValue {
  if (text.startsWith('"')) {
    if (!text.endsWith('"') || text.length < 2) fail(line, `unterminated string ${text}`);
    try {
      return JSON.parse(text) as string;
    } catch {
      return fail(line, `unsupported escape in ${text}`);
    }
  }
  if (text.startsWith("'")) {
    if (!text.endsWith("'") || text.length < 2) fail(line, `unterminated string ${text}`);
    return text.slice(1, -1).replaceAll("''", "'");
  }
  if (/^[&*!|>%@`{]/.test(text)) fail(line, `unsupported YAML syntax: ${text}`);
  if (text.startsWith("[")) return flowSequence(text, line);
  if (text === "null" || text === "~") return null;
  if (text === "true" || text === "false") return text === "true";
  if (/^-?(0|[1-9]\d*)$/.test(text)) return Number(text);
  if (/^(yes|no|on|off|y|n)$/i.test(text) || /^0[0-7]+$/.test(text)) {
    fail(line, `ambiguous plain scalar ${text}: quote it`);
  }
  return text;
}

function flowSequence(text: string, line: Line): YamlValue[] {
  if (!text.endsWith("]")) fail(line, `unterminated flow sequence ${text}`);
  const body = text.slice(1, -1).trim();
  if (body === "") return [];
  const items: YamlValue[] = [];
  let rest = body;
  while (true) {
    let item: string;
    if (rest.startsWith('"') || rest.startsWith("'")) {
      const quote = rest[0]!;
      let end = 1;
      while (end < rest.length && rest[end] !== quote) end += rest[end] === "\\" ? 2 : 1;
      item = rest.slice(0, end + 1);
    } else {
      item = rest.split(",")[0]!.trim();
      if (/[\[\]{}]/.test(item)) fail(line, `nested flow collections are not supported`);
    }
    items.push(scalar(item, line));
    rest = rest.slice(item.length).trim();
    if (rest === "") return items;
    if (!rest.startsWith(",")) fail(line, `expected "," in ${text}`);
    rest = rest.slice(1).trim();
  }
}

class Reader {
  #index = 0;
  constructor(private readonly lines: Line[]) {}

  get done(): boolean {
    return this.#index >= this.lines.length;
  }

  node(indent: number): YamlValue {
    const line = this.lines[this.#index];
    if (line === undefined || line.indent < indent) return null;
    return line.text === "-" || line.text.startsWith("- ")
      ? this.sequence(line.indent)
      : this.mapping(line.indent);
  }

  /** After `key:` with nothing after it: a nested node, a same-indent sequence, or null. */
  valueBelow(indent: number): YamlValue {
    const next = this.lines[this.#index];
    if (next === undefined) return null;
    if (next.indent > indent) return this.node(next.indent);
    if (next.indent === indent && (next.text === "-" || next.text.startsWith("- "))) {
      return this.sequence(indent);
    }
    return null;
  }

  mapping(indent: number): { [key: string]: YamlValue } {
    const result: { [key: string]: YamlValue } = {};
    while (!this.done) {
      const line = this.lines[this.#index]!;
      if (line.indent < indent) break;
      if (line.indent > indent) fail(line, "unexpected indentation");
      if (line.text.startsWith("- ")) break;
      const end = keyEnd(line.text);
      if (end < 0) fail(line, `expected "key: value", got ${line.text}`);
      const rawKey = line.text.slice(0, end).trim();
      const key = /^["']/.test(rawKey) ? String(scalar(rawKey, line)) : rawKey;
      if (Object.hasOwn(result, key)) fail(line, `duplicate key ${key}`);
      const rest = line.text.slice(end + 1).trim();
      this.#index++;
      result[key] = rest === "" ? this.valueBelow(indent) : scalar(rest, line);
    }
    return result;
  }

  sequence(indent: number): YamlValue[] {
    const result: YamlValue[] = [];
    while (!this.done) {
      const line = this.lines[this.#index]!;
      if (line.indent !== indent || !(line.text === "-" || line.text.startsWith("- "))) {
        if (line.indent > indent) fail(line, "unexpected indentation");
        break;
      }
      const rest = line.text.slice(1).trimStart();
      if (rest === "") {
        this.#index++;
        result.push(this.valueBelow(indent + 1));
      } else if (keyEnd(rest) >= 0 || rest === "-" || rest.startsWith("- ")) {
        // "- key: value" opens a mapping whose keys line up with "key".
        line.indent += line.text.length - rest.length;
        line.text = rest;
        result.push(this.node(line.indent));
      } else {
        this.#index++;
        result.push(scalar(rest, line));
      }
    }
    return result;
  }
}

/**
 * Parses every document of a multi-document YAML text.
 *
 * @param text The YAML source.
 * @returns One value per non-empty document.
 * @throws {SyntaxError} For anything outside the subset, with the line number.
 */
export function parseYamlDocuments(text: string): YamlValue[] {
  const documents: Line[][] = [[]];
  text.split("\n").forEach((raw, index) => {
    const line: Line = { number: index + 1, indent: 0, text: "" };
    if (/^\t| \t/.test(raw)) fail(line, "tabs are not allowed in indentation");
    if (raw === "---" || raw.startsWith("--- ")) return void documents.push([]);
    if (raw === "..." || raw.startsWith("%")) fail(line, `unsupported directive ${raw}`);
    const body = stripComment(raw);
    if (body.trim() === "") return;
    line.indent = body.length - body.trimStart().length;
    line.text = body.trim();
    documents.at(-1)!.push(line);
  });
  return documents.filter((lines) => lines.length > 0).map((lines) => {
    const reader = new Reader(lines);
    const value = reader.node(lines[0]!.indent);
    if (!reader.done) fail(undefined, "text after the end of the document");
    return value;
  });
}
