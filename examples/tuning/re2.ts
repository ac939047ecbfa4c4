/**
 * Go's regular expressions (RE2 syntax, as `regexp.MatchString` reads them) as JavaScript ones
 * with the same meaning, for the sysctl allowlist: what RE2 accepts is translated, what it
 * refuses is refused with RE2's reason.
 *
 * The translation keeps RE2's meaning where JavaScript's differs: `.` never matches a newline
 * (and only a newline) unless the `s` flag is on; `^` and `$` match only at the ends of the text
 * unless `m` is on, and then around `\n` alone; `\s` is `[\t\n\f\r ]`; `\A` and `\z` are the ends
 * of the text; `\Q...\E` quotes; any punctuation may be escaped; a `{` that starts no repeat
 * count is a literal; `(?i)` holds to the end of its group. Lookarounds and backreferences are
 * refused, as RE2 refuses them.
 *
 * @module
 */

/** RE2's refusal of a pattern: the message is Go's `error parsing regexp: <why>: `<text>``. */
export class Re2SyntaxError extends Error {
  /**
   * Makes the error.
   *
   * @param why what is wrong, in RE2's words
   * @param text the part of the pattern it is wrong about
   */
  constructor(why: string, text: string) {
    super(`error parsing regexp: ${why}: \`${text}\``);
    this.name = "Re2SyntaxError";
  }
}

/** The most a repeat count may be, as in RE2. */
const MAX_REPEAT = 1000;

/** RE2's `[:name:]` classes, as JavaScript class contents. */
const POSIX_CLASSES: Readonly<Record<string, string>> = {
  alnum: "0-9A-Za-z",
  alpha: "A-Za-z",
  ascii: "\\x00-\\x7f",
  blank: "\\t ",
  cntrl: "\\x00-\\x1f\\x7f",
  digit: "0-9",
  graph: "!-~",
  lower: "a-z",
  print: " -~",
  punct: "!-\\/:-@\\[-`\\{-~",
  space: "\\t\\n\\v\\f\\r ",
  upper: "A-Z",
  word: "0-9A-Za-z_",
  xdigit: "0-9A-Fa-f",
};

/** Perl classes (`\d`, `\s`, `\w`) as JavaScript class contents. */
const PERL_CLASSES: Readonly<Record<string, string>> = {
  d: "0-9",
  s: "\\t\\n\\f\\r ",
  w: "0-9A-Za-z_",
};

/** Unicode general categories, which JavaScript names bare; anything else is a script. */
const CATEGORIES = new Set([
  "C",
  "Cc",
  "Cf",
  "Co",
  "Cs",
  "L",
  "Ll",
  "Lm",
  "Lo",
  "Lt",
  "Lu",
  "M",
  "Mc",
  "Me",
  "Mn",
  "N",
  "Nd",
  "Nl",
  "No",
  "P",
  "Pc",
  "Pd",
  "Pe",
  "Pf",
  "Pi",
  "Po",
  "Ps",
  "S",
  "Sc",
  "Sk",
  "Sm",
  "So",
  "Z",
  "Zl",
  "Zp",
  "Zs",
]);

/** A code point as a JavaScript escape, safe anywhere in a `u` pattern. */
function literal(codePoint: number): string {
  return `\\u{${codePoint.toString(16)}}`;
}

/** A character that is itself in a JavaScript pattern, in and out of a class. */
function plain(char: string): string {
  return /^[0-9A-Za-z_ ]$/.test(char) || char.codePointAt(0)! > 0x7f
    ? char
    : literal(char.codePointAt(0)!);
}

/** The flags RE2 tracks per group. */
interface Flags {
  i: boolean;
  m: boolean;
  s: boolean;
}

/** A group being translated: its flags, and how many `(?i:` wrappers to close at its end. */
interface Group {
  flags: Flags;
  wrappers: number;
}

class Translator {
  readonly #pattern: string;
  readonly #chars: string[];
  #at = 0;
  #out = "";
  readonly #groups: Group[] = [{ flags: { i: false, m: false, s: false }, wrappers: 0 }];
  /** Whether the last thing emitted can take a repetition operator, and whether it is one. */
  #last: "none" | "atom" | "repeat" = "none";

  constructor(pattern: string) {
    this.#pattern = pattern;
    this.#chars = [...pattern];
  }

  get #flags(): Flags {
    return this.#groups.at(-1)!.flags;
  }

  #peek(offset = 0): string | undefined {
    return this.#chars[this.#at + offset];
  }

  #rest(): string {
    return this.#chars.slice(this.#at).join("");
  }

  #emit(text: string, kind: "none" | "atom" | "repeat"): void {
    this.#out += text;
    this.#last = kind;
  }

  translate(): string {
    while (this.#at < this.#chars.length) this.#step();
    if (this.#groups.length > 1) throw new Re2SyntaxError("missing closing )", this.#pattern);
    this.#out += ")".repeat(this.#groups[0]!.wrappers);
    return this.#out;
  }

  #step(): void {
    const char = this.#chars[this.#at]!;
    switch (char) {
      case "\\":
        return this.#escape();
      case "(":
        return this.#open();
      case ")":
        return this.#close();
      case "[":
        return this.#emit(this.#charClass(), "atom");
      case "*":
      case "+":
      case "?":
        return this.#repeat(char, 1);
      case "{": {
        const count = /^\{(\d+)(,(\d*))?\}/.exec(this.#rest());
        if (count === null) {
          this.#at++;
          return this.#emit(literal(0x7b), "atom");
        }
        const min = Number(count[1]);
        const max = count[2] === undefined ? min : count[3] === "" ? undefined : Number(count[3]);
        if (min > MAX_REPEAT || (max !== undefined && (max > MAX_REPEAT || max < min))) {
          throw new Re2SyntaxError("invalid repeat count", count[0]);
        }
        return this.#repeat(count[0], [...count[0]].length);
      }
      case "^":
        this.#at++;
        return this.#emit(this.#flags.m ? "(?<![^\\n])" : "(?<![\\s\\S])", "none");
      case "$":
        this.#at++;
        return this.#emit(this.#flags.m ? "(?![^\\n])" : "(?![\\s\\S])", "none");
      case ".":
        this.#at++;
        return this.#emit(this.#flags.s ? "[\\s\\S]" : "[^\\n]", "atom");
      case "|":
        this.#at++;
        return this.#emit("|", "none");
      default:
        this.#at++;
        return this.#emit(plain(char), "atom");
    }
  }

  /** A repetition operator of `length` characters, with an optional `?` for the lazy form. */
  #repeat(operator: string, length: number): void {
    if (this.#last === "none") {
      throw new Re2SyntaxError("missing argument to repetition operator", operator);
    }
    if (this.#last === "repeat") {
      throw new Re2SyntaxError("invalid nested repetition operator", operator);
    }
    this.#at += length;
    let text = operator;
    if (this.#peek() === "?") {
      this.#at++;
      text += "?";
    }
    this.#emit(text, "repeat");
  }

  #open(): void {
    const parent = this.#flags;
    if (this.#peek(1) !== "?") {
      this.#at++;
      this.#groups.push({ flags: { ...parent }, wrappers: 0 });
      return this.#emit("(", "none");
    }
    const rest = this.#rest();
    const named = /^\(\?P?<([A-Za-z0-9_]+)>/.exec(rest);
    if (named !== null) {
      // Only whether it matches is asked: a named group is a plain group.
      this.#at += named[0].length;
      this.#groups.push({ flags: { ...parent }, wrappers: 0 });
      return this.#emit("(", "none");
    }
    const flags = /^\(\?([imsU]*)(?:-([imsU]*))?([:)])/.exec(rest);
    if (flags === null || (flags[2] !== undefined && flags[2] === "")) {
      const shown = /^\(\?P?<[^>]*>?|^\(\?.?/.exec(rest)![0];
      const why = /^\(\?P?</.test(rest)
        ? "invalid named capture"
        : "invalid or unsupported Perl syntax";
      throw new Re2SyntaxError(why, shown);
    }
    const [text, on = "", off = "", end] = flags;
    if (on.includes("U") || off.includes("U")) {
      throw new Re2SyntaxError("invalid or unsupported Perl syntax", text);
    }
    this.#at += [...text].length;
    const next: Flags = { ...parent };
    for (const flag of on) next[flag as keyof Flags] = true;
    for (const flag of off) next[flag as keyof Flags] = false;
    const caseChange = next.i === parent.i ? "" : next.i ? "i" : "-i";
    if (end === ":") {
      this.#groups.push({ flags: next, wrappers: 0 });
      return this.#emit(caseChange === "" ? "(?:" : `(?${caseChange}:`, "none");
    }
    // A bare `(?flags)`: the flags hold to the end of the current group.
    const group = this.#groups.at(-1)!;
    group.flags = next;
    if (caseChange !== "") {
      group.wrappers++;
      return this.#emit(`(?${caseChange}:`, "none");
    }
    this.#last = "none";
  }

  #close(): void {
    if (this.#groups.length === 1) throw new Re2SyntaxError("unexpected )", this.#pattern);
    const group = this.#groups.pop()!;
    this.#at++;
    this.#emit(`${")".repeat(group.wrappers)})`, "atom");
  }

  /** An escape outside a class. */
  #escape(): void {
    const next = this.#peek(1);
    if (next === undefined) throw new Re2SyntaxError("trailing backslash at end of expression", "");
    switch (next) {
      case "A":
        this.#at += 2;
        return this.#emit("(?<![\\s\\S])", "none");
      case "z":
        this.#at += 2;
        return this.#emit("(?![\\s\\S])", "none");
      case "b":
      case "B":
        this.#at += 2;
        return this.#emit(`\\${next}`, "none");
      case "Q": {
        this.#at += 2;
        const end = this.#rest().indexOf("\\E");
        const quoted = end < 0 ? this.#rest() : this.#rest().slice(0, end);
        this.#at += [...quoted].length + (end < 0 ? 0 : 2);
        if (quoted !== "") this.#emit([...quoted].map(plain).join(""), "atom");
        return;
      }
      case "C":
        this.#at += 2;
        return this.#emit("[\\s\\S]", "atom");
      default:
        return this.#emit(this.#classItemEscape(false), "atom");
    }
  }

  /**
   * An escape that may also stand in a class: a character, a Perl class or a Unicode class.
   * Outside a class a class is wrapped in brackets.
   */
  #classItemEscape(inClass: boolean): string {
    const start = this.#at;
    const next = this.#peek(1)!;
    this.#at += 2;
    const lower = next.toLowerCase();
    if (lower in PERL_CLASSES && /[dswDSW]/.test(next)) {
      const body = PERL_CLASSES[lower]!;
      // In a class a negated one is JavaScript's own (\D and \W are RE2's; \S counts Unicode
      // spaces too, which no sysctl name has).
      if (inClass) return next === lower ? body : `\\${next}`;
      return next === lower ? `[${body}]` : `[^${body}]`;
    }
    if (next === "p" || next === "P") {
      const braced = /^\{(\^?)([A-Za-z_]+)\}/.exec(this.#rest());
      let name: string;
      let negated = next === "P";
      if (braced !== null) {
        this.#at += braced[0].length;
        name = braced[2]!;
        if (braced[1] === "^") negated = !negated;
      } else {
        const single = this.#peek();
        if (single === undefined || !/[A-Za-z]/.test(single)) {
          throw new Re2SyntaxError("invalid character class range", `\\${next}`);
        }
        this.#at++;
        name = single;
      }
      const property = name === "Any" ? "Any" : CATEGORIES.has(name) ? name : `Script=${name}`;
      const text = `\\${negated ? "P" : "p"}{${property}}`;
      try {
        new RegExp(text, "u");
      } catch {
        throw new Re2SyntaxError("invalid character class range", `\\${next}{${name}}`);
      }
      return text;
    }
    const shown = () => this.#chars.slice(start, this.#at).join("");
    if (/[0-7]/.test(next)) {
      // \1 to \7 alone are backreferences, which RE2 lacks; \0 and longer octal are characters.
      let digits = next;
      while (digits.length < 3 && /[0-7]/.test(this.#peek() ?? "")) {
        digits += this.#chars[this.#at++];
      }
      if (digits.length === 1 && next !== "0") {
        throw new Re2SyntaxError("invalid escape sequence", shown());
      }
      return literal(parseInt(digits, 8));
    }
    if (next === "x") {
      const braced = /^\{([0-9A-Fa-f]+)\}/.exec(this.#rest());
      const pair = /^[0-9A-Fa-f]{2}/.exec(this.#rest());
      const hex = braced?.[1] ?? pair?.[0];
      if (hex === undefined || parseInt(hex, 16) > 0x10ffff) {
        throw new Re2SyntaxError("invalid escape sequence", shown());
      }
      this.#at += (braced ?? pair)![0].length;
      return literal(parseInt(hex, 16));
    }
    const controls: Readonly<Record<string, number>> = {
      a: 7,
      f: 12,
      t: 9,
      n: 10,
      r: 13,
      v: 11,
    };
    if (next in controls) return literal(controls[next]!);
    // Any punctuation may be escaped; a letter or digit without a meaning may not.
    if (/[\p{L}\p{N}_]/u.test(next) || next.codePointAt(0)! > 0x7f) {
      throw new Re2SyntaxError("invalid escape sequence", shown());
    }
    return literal(next.codePointAt(0)!);
  }

  /** A `[...]` class, translated item by item. */
  #charClass(): string {
    const start = this.#at;
    this.#at++;
    let out = "[";
    if (this.#peek() === "^") {
      this.#at++;
      out += "^";
    }
    let first = true;
    for (;;) {
      const char = this.#peek();
      if (char === undefined) {
        throw new Re2SyntaxError("missing closing ]", this.#chars.slice(start).join(""));
      }
      if (char === "]" && !first) {
        this.#at++;
        return `${out}]`;
      }
      first = false;
      const posix = /^\[:(\^?)([a-z]+):\]/.exec(this.#rest());
      if (posix !== null) {
        const body = POSIX_CLASSES[posix[2]!];
        if (body === undefined || posix[1] === "^") {
          throw new Re2SyntaxError("invalid character class range", posix[0]);
        }
        this.#at += posix[0].length;
        out += body;
        continue;
      }
      const low = this.#classChar();
      if (this.#peek() === "-" && this.#peek(1) !== "]" && this.#peek(1) !== undefined) {
        this.#at++;
        const high = this.#classChar();
        if (low.codePoint === undefined || high.codePoint === undefined) {
          throw new Re2SyntaxError(
            "invalid character class range",
            this.#chars.slice(start, this.#at).join(""),
          );
        }
        if (high.codePoint < low.codePoint) {
          throw new Re2SyntaxError(
            "invalid character class range",
            `${String.fromCodePoint(low.codePoint)}-${String.fromCodePoint(high.codePoint)}`,
          );
        }
        out += `${low.text}-${high.text}`;
        continue;
      }
      out += low.text;
    }
  }

  /** One item of a class: a character (with its code point) or a class escape. */
  #classChar(): { text: string; codePoint?: number } {
    const char = this.#peek()!;
    if (char !== "\\") {
      this.#at++;
      return { text: literal(char.codePointAt(0)!), codePoint: char.codePointAt(0)! };
    }
    if (this.#peek(1) === undefined) {
      throw new Re2SyntaxError("trailing backslash at end of expression", "");
    }
    const text = this.#classItemEscape(true);
    const single = /^\\u\{([0-9a-f]+)\}$/.exec(text);
    return single === null ? { text } : { text, codePoint: parseInt(single[1]!, 16) };
  }
}

/**
 * Compiles an RE2 pattern to a JavaScript regular expression that matches the same strings,
 * unanchored, as `regexp.MatchString` does.
 *
 * @param pattern the pattern, in Go's syntax
 * @returns the regular expression
 * @throws {Re2SyntaxError} when RE2 refuses the pattern
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { compileRe2 } from "./re2.ts";
 *
 * assert.equal(compileRe2("^net\\.ipv4\\.conf\\.[a-z0-9]+\\.rp_filter$").test(
 *   "net.ipv4.conf.eth0.rp_filter",
 * ), true);
 * assert.equal(compileRe2("(?i)^NET\\.core\\.").test("net.core.somaxconn"), true);
 * assert.throws(() => compileRe2("(?=x)"), { message: /invalid or unsupported Perl syntax/ });
 * ```
 */
export function compileRe2(pattern: string): RegExp {
  const source = new Translator(pattern).translate();
  try {
    return new RegExp(source, "u");
  } catch (error) {
    throw new Re2SyntaxError((error as Error).message, pattern);
  }
}
