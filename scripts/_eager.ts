/**
 * A plugin is a new process for every container start and stop, so how V8 compiles the bundle is
 * part of its start-up. V8 compiles a function lazily, on its first call, and Deno's code cache
 * holds only what was compiled with the module: every function a verb calls is parsed and
 * compiled again in every process. V8 compiles a parenthesized function expression with the
 * function around it instead (its "possibly invoked function expression" heuristic, which also
 * takes a parenthesized arrow function), and then the code cache holds its bytecode too.
 *
 * - eagerFunctions rewrites each top-level `function` declaration of an esbuild bundle as
 *   `var name = (function name(...) {...});`, moved to the top of the module, where the
 *   declaration was hoisted to anyway: the module behaves the same, and its functions come out
 *   of the cache.
 * - eagerInnerFunctions parenthesizes the function expressions and arrow functions inside, found
 *   by V8 itself (scripts/_function_ranges.ts). An async arrow function, which V8 does not compile
 *   early even in parentheses, becomes an async function expression when it does not use `this`,
 *   `arguments`, `super` or `new.target` (the only differences between the two). Methods and
 *   nested function declarations stay as they are: lazy.
 * - eagerModuleInits turns esbuild's lazy module initializers (`"lib/x.ts"() {...}`, run once
 *   when the module is first needed) into parenthesized function expressions.
 */
import type { FunctionRange } from "./_function_ranges.ts";

const DECLARATION = /^(async )?function(\*?) ([\w$]+)\(/;

/**
 * The bundle with its top-level function declarations made eager (see the module doc). It relies
 * on esbuild's layout: a top-level declaration starts at column 0 and its closing brace is a line
 * of its own, "}".
 *
 * @param code the module's text
 * @param eager which functions, by name, to make eager; default all
 * @throws {Error} when a declaration has no closing line
 */
export function eagerFunctions(
  code: string,
  eager: (name: string) => boolean = () => true,
): string {
  const lines = code.split("\n");
  const head = lines[0]?.startsWith("#!") ? [lines.shift()!] : [];
  const functions: string[] = [];
  const rest: string[] = [];
  let current: string[] | undefined;
  for (const line of lines) {
    if (current !== undefined) {
      current.push(line);
      if (line === "}") {
        current[current.length - 1] = "});";
        functions.push(...current);
        current = undefined;
      }
      continue;
    }
    const match = DECLARATION.exec(line);
    if (match === null || !eager(match[3]!)) {
      rest.push(line);
      continue;
    }
    const [, async = "", star, name] = match;
    const start = `var ${name} = (${async}function${star} ${name}(${line.slice(match[0].length)}`;
    if (line.endsWith("}")) functions.push(`${start});`);
    else current = [start];
  }
  if (current !== undefined) {
    throw new Error(`eagerFunctions: no closing line for "${current[0]}"`);
  }
  return [...head, ...functions, ...rest].join("\n");
}

/**
 * The names of the top-level function declarations whose function literal ends at one of
 * `ends`: those a training run called (scripts/_training.ts).
 *
 * @param code the module's text
 * @param ranges its function literals as V8 reports them
 * @param ends where the called functions end
 */
export function calledDeclarations(
  code: string,
  ranges: readonly FunctionRange[],
  ends: ReadonlySet<number>,
): Set<string> {
  const names = new Set<string>();
  let offset = 0;
  let next = 0;
  for (const line of code.split("\n")) {
    const match = DECLARATION.exec(line);
    if (match !== null) {
      while (next < ranges.length && ranges[next]!.start < offset) next++;
      const range = ranges[next];
      if (range !== undefined && range.start <= offset + line.length && ends.has(range.end)) {
        names.add(match[3]!);
      }
    }
    offset += line.length + 1;
  }
  return names;
}

const INIT_START = /^var init_[\w$]+ = __esm\(\{$/;
const INIT_METHOD = /^ {2}("[^"\n]+")\(\) \{$/;

/**
 * esbuild's module initializers, `var init_x = __esm({\n  "lib/x.ts"() {\n ...\n  }\n});`, with
 * the method made a parenthesized function expression, so that it is compiled with the module.
 * esbuild calls it as a plain function, without `this`.
 */
export function eagerModuleInits(code: string): string {
  const lines = code.split("\n");
  for (let i = 0; i < lines.length; i++) {
    if (!INIT_START.test(lines[i]!)) continue;
    const method = INIT_METHOD.exec(lines[i + 1] ?? "");
    if (method === null) continue;
    let end = i + 2;
    while (end < lines.length && lines[end] !== "});") end++;
    if (lines[end - 1] !== "  }") continue;
    lines[i + 1] = `  ${method[1]}: (function () {`;
    lines[end - 1] = "  })";
    i = end;
  }
  return lines.join("\n");
}

function isIdentifierChar(char: string | undefined): boolean {
  return char !== undefined && /[\w$]/.test(char);
}

/** Where a `//` comment starts in `line`, outside string literals, or -1. */
function lineComment(line: string): number {
  let quote: string | undefined;
  for (let i = 0; i < line.length; i++) {
    const char = line[i]!;
    if (quote !== undefined) {
      if (char === "\\") i++;
      else if (char === quote) quote = undefined;
    } else if (char === '"' || char === "'" || char === "`") {
      quote = char;
    } else if (char === "/" && line[i + 1] === "/") {
      return i;
    }
  }
  return -1;
}

/** The index of the last character before `at` that is neither white space nor in a comment. */
function previousSignificant(code: string, at: number): number {
  let i = at - 1;
  while (i >= 0) {
    if (/\s/.test(code[i]!)) {
      i--;
      continue;
    }
    const lineStart = code.lastIndexOf("\n", i) + 1;
    const line = code.slice(lineStart, i + 1);
    const comment = lineComment(line);
    if (comment >= 0) {
      i = lineStart + comment - 1;
      continue;
    }
    if (line.endsWith("*/")) {
      i = code.lastIndexOf("/*", i - 1) - 1;
      continue;
    }
    return i;
  }
  return -1;
}

/** The identifier that ends at `end` (inclusive), and where it starts. */
function wordBefore(code: string, end: number): { word: string; start: number } {
  let start = end;
  while (start >= 0 && isIdentifierChar(code[start])) start--;
  return { word: code.slice(start + 1, end + 1), start: start + 1 };
}

/** Skips a string or template literal starting at `i`; returns the index after it. */
function skipQuoted(code: string, i: number): number {
  const quote = code[i];
  for (let j = i + 1; j < code.length; j++) {
    if (code[j] === "\\") j++;
    else if (code[j] === quote) return j + 1;
  }
  return code.length;
}

/** The index of the parenthesis that closes the one at `open`, or -1. */
function closingParen(code: string, open: number, end: number): number {
  let depth = 0;
  for (let i = open; i < end; i++) {
    const char = code[i];
    if (char === '"' || char === "'" || char === "`") {
      i = skipQuoted(code, i) - 1;
    } else if (char === "(") {
      depth++;
    } else if (char === ")" && --depth === 0) {
      return i;
    }
  }
  return -1;
}

/** A function literal as the bundle writes it. */
type Literal =
  | { kind: "expression"; start: number }
  | { kind: "arrow"; async: boolean; params: string; body: number }
  | { kind: "other" };

/** What the function V8 reported at [start, end) is, read from the text around it. */
function literalAt(code: string, { start, end }: FunctionRange): Literal {
  // A `function` literal: V8's range starts at its parameters, after `function`, `*` and a name.
  let at = previousSignificant(code, start);
  let before = wordBefore(code, at);
  if (before.word !== "function") {
    if (code[at] === "*" || isIdentifierChar(code[at])) {
      if (isIdentifierChar(code[at])) at = previousSignificant(code, before.start);
      if (code[at] === "*") at = previousSignificant(code, at);
      before = wordBefore(code, at);
    }
  }
  if (before.word === "function") {
    let first = before.start;
    const async = wordBefore(code, previousSignificant(code, first));
    if (async.word === "async") first = async.start;
    const previous = previousSignificant(code, first);
    const word = wordBefore(code, previous).word;
    const declaration = previous < 0 || ";{}".includes(code[previous]!) ||
      word === "export" || word === "default";
    return declaration ? { kind: "other" } : { kind: "expression", start: first };
  }
  // An arrow function: its range starts at its parameters (or at `async`).
  let i = start;
  let async = false;
  if (code.startsWith("async", i) && !isIdentifierChar(code[i + 5])) {
    const after = code.slice(i + 5).search(/\S/);
    if (code[i + 5 + after] === "(" || isIdentifierChar(code[i + 5 + after])) {
      async = true;
      i += 5 + after;
    }
  }
  let paramsEnd: number;
  if (code[i] === "(") {
    const close = closingParen(code, i, end);
    if (close < 0) return { kind: "other" };
    paramsEnd = close + 1;
  } else {
    const word = /^[A-Za-z_$][\w$]*/.exec(code.slice(i, end));
    if (word === null) return { kind: "other" };
    paramsEnd = i + word[0].length;
  }
  const arrow = /^\s*=>\s*/.exec(code.slice(paramsEnd, end));
  if (arrow === null) return { kind: "other" };
  return {
    kind: "arrow",
    async,
    params: code.slice(i, paramsEnd),
    body: paramsEnd + arrow[0].length,
  };
}

/** Uses of what an arrow function shares with its surroundings and a function does not. */
const ARROW_ONLY = /\b(?:this|arguments|super)\b|\bnew\.target\b/;

/** Parameters plain enough to be read the same by a function: names, commas, white space. */
const PLAIN_PARAMS = /^\(?[\w$\s,]*\)?$/;

/**
 * The bundle with its function expressions and arrow functions parenthesized, and its async arrow
 * functions made async function expressions where that changes nothing (see the module doc).
 *
 * @param code the module's text
 * @param ranges its function literals as V8 reports them (scripts/_function_ranges.ts)
 */
export function eagerInnerFunctions(code: string, ranges: readonly FunctionRange[]): string {
  // Each edit replaces code[at, to) with text. At one position, a function's closing comes before
  // another's opening; of two closings the inner one comes first, of two openings the outer one.
  const edits: { at: number; to: number; text: string; rank: [number, number] }[] = [];
  const open = (range: FunctionRange, at: number, to: number, text: string) =>
    edits.push({ at, to, text, rank: [1, -range.end] });
  const close = (range: FunctionRange, text: string) =>
    edits.push({ at: range.end, to: range.end, text, rank: [0, -range.start] });
  for (const range of ranges) {
    if (range.name.startsWith("<")) continue;
    const literal = literalAt(code, range);
    if (literal.kind === "expression") {
      open(range, literal.start, literal.start, "(");
      close(range, ")");
    } else if (literal.kind === "arrow" && !literal.async) {
      open(range, range.start, range.start, "(");
      close(range, ")");
    } else if (
      literal.kind === "arrow" && PLAIN_PARAMS.test(literal.params) &&
      !ARROW_ONLY.test(code.slice(range.start, range.end))
    ) {
      const params = literal.params.startsWith("(") ? literal.params : `(${literal.params})`;
      const block = code[literal.body] === "{";
      open(
        range,
        range.start,
        literal.body,
        `(async function ${params} ${block ? "" : "{ return "}`,
      );
      close(range, block ? ")" : "; })");
    }
  }
  edits.sort((a, b) => a.at - b.at || a.rank[0] - b.rank[0] || a.rank[1] - b.rank[1]);
  const parts: string[] = [];
  let done = 0;
  for (const edit of edits) {
    parts.push(code.slice(done, edit.at), edit.text);
    done = Math.max(done, edit.to);
  }
  parts.push(code.slice(done));
  return parts.join("");
}
