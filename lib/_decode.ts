/**
 * Narrowing of parsed JSON into typed values with Go's encoding/json rules: object keys match
 * field names case-insensitively (the last match wins), null leaves a field unset, and a type
 * mismatch is an error worded like Go's.
 */

/** A JSON object as JSON.parse returns it. */
export type JsonObject = Record<string, unknown>;

/** A decoding failure, worded like Go's encoding/json. Callers choose its CNI error code. */
export class DecodeError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "DecodeError";
  }
}

/** Where a value sits, for error messages: the Go struct that holds it and the JSON key path. */
export interface FieldPath {
  readonly struct: string;
  readonly path: string;
}

/** True for a plain JSON object. */
export function isJsonObject(value: unknown): value is JsonObject {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** Go's name for the JSON type of a value, as used in "cannot unmarshal X". */
function jsonKind(value: unknown): string {
  if (Array.isArray(value)) return "array";
  if (typeof value === "boolean") return "bool";
  return typeof value === "object" ? "object" : typeof value;
}

/** The error Go reports when a JSON value cannot go into a field of the given Go type. */
export function typeMismatch(value: unknown, at: FieldPath, goType: string): DecodeError {
  const where = at.path === "" && at.struct === ""
    ? "Go value"
    : `Go struct field ${at.struct}.${at.path}`;
  return new DecodeError(
    `json: cannot unmarshal ${jsonKind(value)} into ${where} of type ${goType}`,
  );
}

/**
 * A key folded as Go matches JSON keys to field names: ASCII case is ignored, and the two non-ASCII
 * letters that fold to ASCII ones, U+017F "ſ" (s) and U+212A "K" (k), count as those.
 */
function foldKey(key: string): string {
  return key.toLowerCase().replaceAll("\u017f", "s");
}

/** The value of `key` in `object`, matched case-insensitively; the last matching key wins. */
export function field(object: JsonObject, key: string): unknown {
  const folded = foldKey(key);
  let found: unknown;
  for (const k in object) {
    if (k === key || foldKey(k) === folded) found = object[k];
  }
  return found;
}

/** The members of a Go struct, for readFields: names that fold to different keys. */
export interface FieldNames<K extends string> {
  readonly names: readonly K[];
  /** The names folded, made on first need. */
  folded?: readonly string[];
}

/** Field names for readFields; no two may differ only in case. */
export function fieldNames<K extends string>(...names: K[]): FieldNames<K> {
  return { names };
}

/**
 * `field` for all the members of a struct at once: `readFields(object, shape)[name]` is
 * `field(object, name)`, but each key of `object` is looked at (and folded) once, not once per
 * member. Decoding a result with many entries does this for every entry.
 */
export function readFields<K extends string>(
  object: JsonObject,
  shape: FieldNames<K>,
): Partial<Record<K, unknown>> {
  const values: Partial<Record<K, unknown>> = {};
  for (const k in object) {
    let i = shape.names.indexOf(k as K);
    if (i < 0) i = (shape.folded ??= shape.names.map(foldKey)).indexOf(foldKey(k));
    if (i >= 0) values[shape.names[i]!] = object[k];
  }
  return values;
}

/** The child path of a field. */
export function child(at: FieldPath, key: string, struct = at.struct): FieldPath {
  return { struct, path: at.path === "" ? key : `${at.path}.${key}` };
}

/** A string field: undefined when absent or null. */
export function optionalString(value: unknown, at: FieldPath): string | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== "string") throw typeMismatch(value, at, "string");
  return value;
}

/** A boolean field: undefined when absent or null. */
export function optionalBoolean(value: unknown, at: FieldPath): boolean | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== "boolean") throw typeMismatch(value, at, "bool");
  return value;
}

/** An integer field: undefined when absent or null. */
export function optionalInteger(value: unknown, at: FieldPath): number | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== "number") throw typeMismatch(value, at, "int");
  if (!Number.isSafeInteger(value)) {
    throw new DecodeError(
      `json: cannot unmarshal number ${value} into Go struct field ${at.struct}.${at.path} of type int`,
    );
  }
  return value;
}

/** An object field: undefined when absent or null. */
export function optionalObject(
  value: unknown,
  at: FieldPath,
  goType: string,
): JsonObject | undefined {
  if (value === undefined || value === null) return undefined;
  if (!isJsonObject(value)) throw typeMismatch(value, at, goType);
  return value;
}

/** An array field: undefined when absent or null. */
export function optionalArray(
  value: unknown,
  at: FieldPath,
  goType: string,
): unknown[] | undefined {
  if (value === undefined || value === null) return undefined;
  if (!Array.isArray(value)) throw typeMismatch(value, at, goType);
  return value;
}

/** A list of strings: undefined when absent or null; a null entry reads as "". */
export function optionalStringList(value: unknown, at: FieldPath): string[] | undefined {
  return optionalArray(value, at, "[]string")?.map((item) => optionalString(item, at) ?? "");
}
