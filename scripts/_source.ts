/**
 * Views of TypeScript source with comments (and string contents) blanked
 * out, offsets kept, for the text checks in `check_isolation.ts` and
 * `build.ts`. A scanner, not a parser: good enough for rules about names.
 *
 * @module
 */

/** Source text split into views that hide what a rule must not see. */
export interface SourceViews {
  /** Comments blanked (strings kept), same length as the source. */
  readonly noComments: string;
  /** Comments and string/template contents blanked, same length as the source. */
  readonly codeOnly: string;
}

const REGEX_PRECEDERS = new Set([..."(,=:[!&|?{};+-*%<>~^"]);

/**
 * Blanks comments (and, in a second view, string contents) while keeping
 * every offset, so findings report the right line. Regex literals are
 * recognised by the token before the slash; template `${}` holes are code.
 *
 * @param source TypeScript source.
 * @returns The two views.
 *
 * @example Hide a comment
 * ```ts
 * sourceViews("a // Deno.x\n").noComments; // "a          \n"
 * ```
 */
export function sourceViews(source: string): SourceViews {
  const noComments = [...source];
  const codeOnly = [...source];
  const blank = (view: string[], from: number, to: number): void => {
    for (let i = from; i < to; i++) if (view[i] !== "\n") view[i] = " ";
  };
  let i = 0;
  let lastSignificant = "";
  // Each entry is the brace depth at which a template's `${` hole opened.
  const templateHoles: number[] = [];
  let braceDepth = 0;
  const scanString = (quote: string): void => {
    const start = i;
    i++;
    while (i < source.length && source[i] !== quote && source[i] !== "\n") {
      i += source[i] === "\\" ? 2 : 1;
    }
    i++;
    blank(codeOnly, start + 1, Math.min(i - 1, source.length));
  };
  const scanTemplate = (): void => {
    // i is just after "`" or just after the "}" closing a hole.
    const start = i;
    while (i < source.length) {
      if (source[i] === "\\") {
        i += 2;
      } else if (source[i] === "`") {
        blank(codeOnly, start, i);
        i++;
        return;
      } else if (source[i] === "$" && source[i + 1] === "{") {
        blank(codeOnly, start, i);
        i += 2;
        templateHoles.push(braceDepth);
        braceDepth++;
        return;
      } else {
        i++;
      }
    }
    blank(codeOnly, start, i);
  };
  while (i < source.length) {
    const c = source[i]!;
    const next = source[i + 1];
    if (c === "/" && next === "/") {
      const end = source.indexOf("\n", i);
      const stop = end === -1 ? source.length : end;
      blank(noComments, i, stop);
      blank(codeOnly, i, stop);
      i = stop;
    } else if (c === "/" && next === "*") {
      const end = source.indexOf("*/", i + 2);
      const stop = end === -1 ? source.length : end + 2;
      blank(noComments, i, stop);
      blank(codeOnly, i, stop);
      i = stop;
    } else if (c === '"' || c === "'") {
      scanString(c);
      lastSignificant = "a";
    } else if (c === "`") {
      i++;
      scanTemplate();
      lastSignificant = "a";
    } else if (c === "/" && (lastSignificant === "" || REGEX_PRECEDERS.has(lastSignificant))) {
      // A regex literal: skip to its closing slash (classes may hold "/").
      const start = i;
      i++;
      let inClass = false;
      while (i < source.length && source[i] !== "\n") {
        const r = source[i];
        if (r === "\\") i++;
        else if (r === "[") inClass = true;
        else if (r === "]") inClass = false;
        else if (r === "/" && !inClass) break;
        i++;
      }
      i++;
      blank(codeOnly, start + 1, Math.min(i - 1, source.length));
      lastSignificant = "a";
    } else {
      if (c === "{") braceDepth++;
      if (c === "}") {
        braceDepth--;
        if (templateHoles.length > 0 && templateHoles[templateHoles.length - 1] === braceDepth) {
          templateHoles.pop();
          i++;
          scanTemplate();
          lastSignificant = "a";
          continue;
        }
      }
      if (!/\s/.test(c)) {
        lastSignificant = /[\w$]/.test(c) ? "a" : c;
        // `return /re/` and similar keywords precede a regex, not a division.
        if (lastSignificant === "a") {
          const word = /^[\w$]+/.exec(source.slice(i))?.[0] ?? c;
          const keyword = ["return", "typeof", "case", "do", "else", "in", "of", "void"]
            .includes(word);
          i += word.length;
          lastSignificant = keyword ? "(" : "a";
          continue;
        }
      }
      i++;
    }
  }
  return { noComments: noComments.join(""), codeOnly: codeOnly.join("") };
}

/**
 * The 1-based line number of an offset.
 *
 * @param text The text.
 * @param index An offset into it.
 * @returns The line the offset is on.
 *
 * @example Count lines
 * ```ts
 * lineOf("a\nb", 2); // 2
 * ```
 */
export function lineOf(text: string, index: number): number {
  let line = 1;
  for (let i = 0; i < index; i++) if (text.charCodeAt(i) === 10) line++;
  return line;
}
