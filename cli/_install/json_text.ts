/**
 * JSON as it is written: a parser that keeps where each value sits in the file's bytes and each
 * number's exact text, so the installer can add or take out one entry of a network file and keep
 * every other byte, and compare settings without rounding a number through a float
 * (`18446744073709551615` stays that, and differs from `18446744073709551614`).
 *
 * The grammar is RFC 8259's, the one `JSON.parse` and Go's `encoding/json` accept: no byte order
 * mark, no comments, no trailing commas. Bytes that are not UTF-8 inside a string are decoded as
 * U+FFFD (as both do) but left untouched in the file.
 */

/** Where a value is in the bytes: `[start, end)`. */
interface Span {
  readonly start: number;
  readonly end: number;
}

/** An object; members in file order, duplicates included (the last one counts). */
export interface JsonObject extends Span {
  readonly kind: "object";
  readonly members: readonly JsonMember[];
}

/** One `"key": value` of an object. */
export interface JsonMember {
  readonly key: string;
  readonly value: JsonNode;
}

/** An array. */
export interface JsonArray extends Span {
  readonly kind: "array";
  readonly items: readonly JsonNode[];
}

/** A string, decoded. */
export interface JsonString extends Span {
  readonly kind: "string";
  readonly value: string;
}

/** A number, as written. */
export interface JsonNumber extends Span {
  readonly kind: "number";
  readonly text: string;
}

/** `true`, `false` or `null`. */
export interface JsonLiteral extends Span {
  readonly kind: "literal";
  readonly value: boolean | null;
}

/** Any JSON value with its place in the text. */
export type JsonNode = JsonObject | JsonArray | JsonString | JsonNumber | JsonLiteral;

/** Text that is not JSON. */
export class JsonTextError extends Error {
  override name = "JsonTextError";
}

/** How deep arrays and objects may nest (Go's decoder stops at the same depth). */
const MAX_DEPTH = 10_000;

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const decoder = new TextDecoder();

function isSpace(byte: number | undefined): boolean {
  return byte === 0x20 || byte === 0x09 || byte === 0x0a || byte === 0x0d;
}

function isDigit(byte: number | undefined): boolean {
  return byte !== undefined && byte >= 0x30 && byte <= 0x39;
}

function isHex(byte: number | undefined): boolean {
  return byte !== undefined &&
    (isDigit(byte) || (byte >= 0x41 && byte <= 0x46) || (byte >= 0x61 && byte <= 0x66));
}

/** An array or object being parsed. */
type Open =
  | { kind: "object"; start: number; members: JsonMember[]; key: string }
  | { kind: "array"; start: number; items: JsonNode[] };

class Parser {
  #at = 0;
  readonly #bytes: Uint8Array;

  constructor(bytes: Uint8Array) {
    this.#bytes = bytes;
  }

  document(): JsonNode {
    this.#skipSpace();
    const value = this.#value();
    this.#skipSpace();
    if (this.#at < this.#bytes.length) this.#fail("unexpected text after the value");
    return value;
  }

  #fail(what: string): never {
    throw new JsonTextError(`${what} at byte ${this.#at}`);
  }

  #skipSpace(): void {
    while (isSpace(this.#bytes[this.#at])) this.#at++;
  }

  #expect(byte: number, what: string): void {
    if (this.#bytes[this.#at] !== byte) this.#fail(`expected ${what}`);
    this.#at++;
  }

  /** The key of the next member, after a `{` or a `,`. */
  #key(): string {
    this.#skipSpace();
    if (this.#bytes[this.#at] !== QUOTE) this.#fail("expected a string key");
    const key = this.#string().value;
    this.#skipSpace();
    this.#expect(0x3a, '":"');
    this.#skipSpace();
    return key;
  }

  /** One value, arrays and objects parsed with a stack of their own rather than recursion. */
  #value(): JsonNode {
    const open: Open[] = [];
    for (;;) {
      // Start a value: a container is opened (and may close at once), a scalar is read.
      let done: JsonNode | undefined;
      const byte = this.#bytes[this.#at];
      if (byte === 0x7b || byte === 0x5b) {
        if (open.length >= MAX_DEPTH) this.#fail("too deeply nested");
        const start = this.#at++;
        this.#skipSpace();
        const close = byte === 0x7b ? 0x7d : 0x5d;
        if (this.#bytes[this.#at] === close) {
          this.#at++;
          done = byte === 0x7b
            ? { kind: "object", start, end: this.#at, members: [] }
            : { kind: "array", start, end: this.#at, items: [] };
        } else if (byte === 0x7b) {
          open.push({ kind: "object", start, members: [], key: this.#key() });
          continue;
        } else {
          open.push({ kind: "array", start, items: [] });
          continue;
        }
      } else {
        done = this.#scalar();
      }
      // Hand the finished value to the container it is in; close containers that end.
      for (;;) {
        const top = open.at(-1);
        if (top === undefined) return done;
        if (top.kind === "object") top.members.push({ key: top.key, value: done });
        else top.items.push(done);
        this.#skipSpace();
        if (this.#bytes[this.#at] === 0x2c) {
          this.#at++;
          this.#skipSpace();
          if (top.kind === "object") top.key = this.#key();
          break;
        }
        open.pop();
        if (top.kind === "object") {
          this.#expect(0x7d, '"," or "}"');
          done = { kind: "object", start: top.start, end: this.#at, members: top.members };
        } else {
          this.#expect(0x5d, '"," or "]"');
          done = { kind: "array", start: top.start, end: this.#at, items: top.items };
        }
      }
    }
  }

  #scalar(): JsonNode {
    const byte = this.#bytes[this.#at];
    if (byte === QUOTE) return this.#string();
    if (byte === 0x2d || isDigit(byte)) return this.#number();
    for (const [word, value] of [["true", true], ["false", false], ["null", null]] as const) {
      if (this.#matches(word)) {
        const start = this.#at;
        this.#at += word.length;
        return { kind: "literal", start, end: this.#at, value };
      }
    }
    return this.#fail(byte === undefined ? "unexpected end of text" : "unexpected character");
  }

  #matches(word: string): boolean {
    for (let i = 0; i < word.length; i++) {
      if (this.#bytes[this.#at + i] !== word.charCodeAt(i)) return false;
    }
    return true;
  }

  #string(): JsonString {
    const start = this.#at++;
    for (;;) {
      const byte = this.#bytes[this.#at];
      if (byte === undefined) this.#fail("unterminated string");
      if (byte < 0x20) this.#fail("control character in a string");
      if (byte === QUOTE) break;
      if (byte === BACKSLASH) {
        const escape = this.#bytes[this.#at + 1];
        if (escape === 0x75) {
          for (let i = 2; i < 6; i++) {
            if (!isHex(this.#bytes[this.#at + i])) this.#fail("bad \\u escape");
          }
          this.#at += 6;
          continue;
        }
        if (escape === undefined || !'"\\/bfnrt'.includes(String.fromCharCode(escape))) {
          this.#fail("bad escape");
        }
        this.#at += 2;
        continue;
      }
      this.#at++;
    }
    this.#at++;
    // The escapes are checked, so JSON.parse of the decoded text cannot fail.
    const value = JSON.parse(decoder.decode(this.#bytes.subarray(start, this.#at))) as string;
    return { kind: "string", start, end: this.#at, value };
  }

  #number(): JsonNumber {
    const start = this.#at;
    if (this.#bytes[this.#at] === 0x2d) this.#at++;
    if (this.#bytes[this.#at] === 0x30) {
      this.#at++;
    } else if (isDigit(this.#bytes[this.#at])) {
      while (isDigit(this.#bytes[this.#at])) this.#at++;
    } else {
      this.#fail("bad number");
    }
    if (this.#bytes[this.#at] === 0x2e) {
      this.#at++;
      if (!isDigit(this.#bytes[this.#at])) this.#fail("bad number");
      while (isDigit(this.#bytes[this.#at])) this.#at++;
    }
    const e = this.#bytes[this.#at];
    if (e === 0x65 || e === 0x45) {
      this.#at++;
      const sign = this.#bytes[this.#at];
      if (sign === 0x2b || sign === 0x2d) this.#at++;
      if (!isDigit(this.#bytes[this.#at])) this.#fail("bad number");
      while (isDigit(this.#bytes[this.#at])) this.#at++;
    }
    const text = decoder.decode(this.#bytes.subarray(start, this.#at));
    return { kind: "number", start, end: this.#at, text };
  }
}

/**
 * Parses JSON text, keeping each value's place and each number's text.
 *
 * @throws {JsonTextError} when the text is not one JSON value
 */
export function parseJsonText(text: Uint8Array | string): JsonNode {
  const bytes = typeof text === "string" ? new TextEncoder().encode(text) : text;
  return new Parser(bytes).document();
}

/** The members of an object by key, the last of duplicates winning (as JSON.parse and Go do). */
export function memberMap(node: JsonObject): Map<string, JsonNode> {
  return new Map(node.members.map((m) => [m.key, m.value]));
}

/**
 * Whether two values are the same setting: strings by value, numbers by their exact text (`1`
 * and `1.0` differ: Go refuses `1.0` for an integer), objects by their keys whatever the order
 * (the last of duplicates counting), arrays item by item.
 */
export function sameJson(a: JsonNode, b: JsonNode): boolean {
  switch (a.kind) {
    case "string":
      return b.kind === "string" && a.value === b.value;
    case "number":
      return b.kind === "number" && a.text === b.text;
    case "literal":
      return b.kind === "literal" && a.value === b.value;
    case "array":
      return b.kind === "array" && a.items.length === b.items.length &&
        a.items.every((item, i) => sameJson(item, b.items[i]!));
    case "object": {
      if (b.kind !== "object") return false;
      const x = memberMap(a);
      const y = memberMap(b);
      if (x.size !== y.size) return false;
      for (const [key, value] of x) {
        const other = y.get(key);
        if (other === undefined || !sameJson(value, other)) return false;
      }
      return true;
    }
  }
}

/**
 * JSON text of a value, written afresh: numbers as they were written, strings re-escaped, the
 * last of duplicate keys only. `unit` indents each level (compact when ""); every line after the
 * first starts with `prefix`.
 */
export function formatJson(node: JsonNode, unit = "", prefix = ""): string {
  const nl = unit === "" ? "" : "\n";
  const colon = unit === "" ? ":" : ": ";
  const inner = prefix + unit;
  switch (node.kind) {
    case "string":
      return JSON.stringify(node.value);
    case "number":
      return node.text;
    case "literal":
      return String(node.value);
    case "array":
      if (node.items.length === 0) return "[]";
      return `[${nl}${
        node.items.map((item) => (nl ? inner : "") + formatJson(item, unit, inner)).join(`,${nl}`)
      }${nl}${nl ? prefix : ""}]`;
    case "object": {
      const members = [...memberMap(node)];
      if (members.length === 0) return "{}";
      return `{${nl}${
        members.map(([key, value]) =>
          `${nl ? inner : ""}${JSON.stringify(key)}${colon}${formatJson(value, unit, inner)}`
        ).join(`,${nl}`)
      }${nl}${nl ? prefix : ""}}`;
    }
  }
}

/** JSON text taken as it is written (a value of `--entry` or `--set`), so its numbers stay exact. */
export class RawJson {
  /** The parsed text. */
  readonly node: JsonNode;

  /** @throws {JsonTextError} when `text` is not one JSON value */
  constructor(readonly text: string) {
    this.node = parseJsonText(text);
  }
}

function nodeAt(kind: "literal", value: boolean | null): JsonLiteral {
  return { kind, start: 0, end: 0, value };
}

/**
 * The JSON value of plain data: objects, arrays, strings, finite numbers, bigints, booleans,
 * null, and {@link RawJson} kept as written. Object keys whose value is undefined are left out,
 * as JSON.stringify leaves them.
 *
 * @throws {JsonTextError} for anything else (NaN, a function...)
 */
export function nodeOf(value: unknown): JsonNode {
  if (value instanceof RawJson) return value.node;
  if (value === null || typeof value === "boolean") return nodeAt("literal", value);
  if (typeof value === "string") return { kind: "string", start: 0, end: 0, value };
  if (typeof value === "bigint") return { kind: "number", start: 0, end: 0, text: String(value) };
  if (typeof value === "number") {
    if (!Number.isFinite(value)) throw new JsonTextError(`${value} is not a JSON number`);
    return { kind: "number", start: 0, end: 0, text: JSON.stringify(value) };
  }
  if (Array.isArray(value)) {
    return { kind: "array", start: 0, end: 0, items: value.map((item) => nodeOf(item)) };
  }
  if (typeof value === "object") {
    const members: JsonMember[] = [];
    for (const [key, item] of Object.entries(value)) {
      if (item !== undefined) members.push({ key, value: nodeOf(item) });
    }
    return { kind: "object", start: 0, end: 0, members };
  }
  throw new JsonTextError(`a ${typeof value} is not a JSON value`);
}
