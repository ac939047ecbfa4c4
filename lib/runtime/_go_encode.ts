/**
 * Compact JSON as Go's `json.Marshal` writes a value decoded into `interface{}`: object keys sorted
 * by their UTF-8 bytes at every depth, `<`, `>`, `&`, U+2028 and U+2029 escaped, other control
 * characters as `\u00XX` (except `\n`, `\r`, `\t`), a lone surrogate as U+FFFD, and numbers in
 * Go's float64 form. A {@link RawJson} value is written as it is, for parts that have an order of
 * their own (a result in its family's member order). A number `parseJson` kept as an
 * `OverflowNumber` is written as it was read, for the decoder that reads it back to refuse.
 *
 * @module
 */
import { OverflowNumber } from "../_decode.ts";

/** JSON text to embed unchanged. */
export class RawJson {
  constructor(readonly text: string) {}
}

const encoder = new TextEncoder();

/** Compares two strings by their UTF-8 bytes, as Go sorts map keys. */
export function compareUtf8(a: string, b: string): number {
  if (a === b) return 0;
  const x = encoder.encode(a);
  const y = encoder.encode(b);
  const n = Math.min(x.length, y.length);
  for (let i = 0; i < n; i++) {
    if (x[i] !== y[i]) return x[i]! - y[i]!;
  }
  return x.length - y.length;
}

function hex4(code: number): string {
  return code.toString(16).padStart(4, "0");
}

/** A string as Go's encoder quotes it, with HTML escaping on. */
export function encodeString(text: string): string {
  let out = '"';
  for (const char of text.toWellFormed()) {
    const code = char.codePointAt(0)!;
    if (char === '"') out += '\\"';
    else if (char === "\\") out += "\\\\";
    else if (char === "\n") out += "\\n";
    else if (char === "\r") out += "\\r";
    else if (char === "\t") out += "\\t";
    else if (code < 0x20 || char === "<" || char === ">" || char === "&") out += `\\u${hex4(code)}`;
    else if (code === 0x2028 || code === 0x2029) out += `\\u${hex4(code)}`;
    else out += char;
  }
  return out + '"';
}

/** A float64 as Go's encoder writes it. */
function encodeNumber(value: number): string {
  if (!Number.isFinite(value)) throw new Error(`json: unsupported value: ${value}`);
  if (Object.is(value, -0)) return "-0";
  return String(value);
}

/**
 * Encodes `value` compactly with object keys sorted by their UTF-8 bytes, as Go writes a map.
 *
 * @throws {Error} for values JSON cannot hold (functions, infinite numbers)
 */
export function encodeSorted(value: unknown): string {
  return encode(value, true);
}

/**
 * Encodes `value` compactly with object keys in their own order, as Go writes a struct.
 *
 * @throws {Error} for values JSON cannot hold (functions, infinite numbers)
 */
export function encodeOrdered(value: unknown): string {
  return encode(value, false);
}

/** The scalar's text; undefined for an array or an object, which the caller walks. */
function encodeScalar(value: unknown): string | undefined {
  if (value instanceof RawJson) return value.text;
  if (value instanceof OverflowNumber) return value.text;
  if (value === null || value === undefined) return "null";
  switch (typeof value) {
    case "string":
      return encodeString(value);
    case "number":
      return encodeNumber(value);
    case "boolean":
      return value ? "true" : "false";
    case "object":
      return undefined;
    default:
      throw new Error(`json: unsupported type: ${typeof value}`);
  }
}

/** An array or object being written: its members, and how many are written. */
type Open =
  | { readonly items: readonly unknown[]; readonly keys?: undefined; next: number }
  | { readonly items: Readonly<Record<string, unknown>>; readonly keys: string[]; next: number };

/**
 * The walk keeps its own stack rather than recursing, so a value nested as deep as Go decodes
 * (10,000 levels) is written like any other.
 */
function encode(root: unknown, sort: boolean): string {
  const out: string[] = [];
  const open: Open[] = [];
  let value = root;
  for (;;) {
    const scalar = encodeScalar(value);
    if (scalar !== undefined) out.push(scalar);
    else if (Array.isArray(value)) {
      out.push("[");
      open.push({ items: value, next: 0 });
    } else {
      const record = value as Record<string, unknown>;
      const keys = Object.keys(record).filter((k) => record[k] !== undefined);
      if (sort) keys.sort(compareUtf8);
      out.push("{");
      open.push({ items: record, keys, next: 0 });
    }
    // Close what is complete; stop at the next member to write.
    let next = false;
    while (!next) {
      const top = open.at(-1);
      if (top === undefined) return out.join("");
      if (top.keys === undefined) {
        if (top.next < top.items.length) {
          if (top.next > 0) out.push(",");
          value = top.items[top.next++];
          next = true;
        } else {
          out.push("]");
          open.pop();
        }
      } else if (top.next < top.keys.length) {
        const key = top.keys[top.next++]!;
        out.push(top.next > 1 ? "," : "", encodeString(key), ":");
        value = top.items[key];
        next = true;
      } else {
        out.push("}");
        open.pop();
      }
    }
  }
}
