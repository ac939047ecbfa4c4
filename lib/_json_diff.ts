/**
 * Where two JSON documents differ as data (key order and spacing do not count), for replay
 * reports.
 *
 * @module
 */
import { isJsonObject } from "./_decode.ts";

/** One place where two documents differ. */
export interface JsonChange {
  /** Where: `ips[0].address`, or "" for the whole document. */
  readonly path: string;
  /** The value on the left (undefined: the key is missing there). */
  readonly left: unknown;
  /** The value on the right (undefined: the key is missing there). */
  readonly right: unknown;
}

const IDENTIFIER = /^[A-Za-z_$][A-Za-z0-9_$-]*$/;

function keyPath(path: string, key: string): string {
  if (IDENTIFIER.test(key)) return path === "" ? key : `${path}.${key}`;
  return `${path}[${JSON.stringify(key)}]`;
}

function walk(left: unknown, right: unknown, path: string, out: JsonChange[]): void {
  if (Array.isArray(left) && Array.isArray(right)) {
    for (let i = 0; i < Math.max(left.length, right.length); i++) {
      walk(left[i], right[i], `${path}[${i}]`, out);
    }
    return;
  }
  if (isJsonObject(left) && isJsonObject(right)) {
    const keys = [...new Set([...Object.keys(left), ...Object.keys(right)])].sort();
    for (const key of keys) walk(left[key], right[key], keyPath(path, key), out);
    return;
  }
  if (left !== right) out.push({ path, left, right });
}

/**
 * The places where two parsed JSON documents differ: each differing leaf, missing key or
 * extra array element, in a stable order.
 *
 * @param left a parsed document
 * @param right another
 * @returns the changes; empty when the documents are equal as data
 */
export function diffJson(left: unknown, right: unknown): JsonChange[] {
  const out: JsonChange[] = [];
  walk(left, right, "", out);
  return out;
}

/**
 * A value quoted for a one-line message: JSON, cut at `limit` characters.
 *
 * @param value the value; undefined reads "(none)"
 * @param limit the most characters kept
 */
export function quoteValue(value: unknown, limit = 120): string {
  if (value === undefined) return "(none)";
  const text = typeof value === "string" ? JSON.stringify(value) : JSON.stringify(value) ?? "";
  return text.length > limit ? `${text.slice(0, limit)}…` : text;
}

/** Parses JSON text; undefined when it is not one JSON document. */
export function tryParseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
