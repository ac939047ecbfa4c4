/**
 * Narrowing of parsed JSON into typed values with Go's encoding/json rules: object keys match
 * field names case-insensitively (the last match wins), null leaves a field unset, and a type
 * mismatch is an error worded like Go's.
 */

/** A JSON object as JSON.parse returns it. */
export type JsonObject = Record<string, unknown>;

/** True once any {@link OverflowNumber} exists in this process: only then is a walk worth it. */
let overflowSeen = false;

/**
 * A number too large for a float64, such as `1e400`, kept with its text. JSON.parse reads it as
 * Infinity, where Go's decoder fails wherever it stores a number; holding the text lets the
 * decoders fail the same way, and lets JSON.stringify write the number back as it was.
 */
export class OverflowNumber {
  /** The number as written in the JSON text. */
  readonly text: string;

  constructor(text: string) {
    this.text = text;
    overflowSeen = true;
  }

  /** The number's own text in JSON output. */
  toJSON(): unknown {
    return (JSON as JSON & { rawJSON(text: string): unknown }).rawJSON(this.text);
  }
}

/**
 * The first {@link OverflowNumber} anywhere in `value`, or undefined. Walks without recursing, so
 * a value nested as deep as Go decodes (10,000 levels) is no trouble.
 */
export function findOverflow(value: unknown): OverflowNumber | undefined {
  if (!overflowSeen) return undefined;
  const pending: unknown[] = [value];
  while (pending.length > 0) {
    const item = pending.pop();
    if (typeof item !== "object" || item === null) continue;
    if (item instanceof OverflowNumber) return item;
    const members = Object.values(item);
    for (let i = members.length - 1; i >= 0; i--) pending.push(members[i]);
  }
  return undefined;
}

/** Go's error for a number that overflows a float64 where Go decodes any JSON value. */
export function overflowError(number: OverflowNumber): DecodeError {
  return new DecodeError(
    `json: cannot unmarshal number ${number.text} into Go value of type float64`,
  );
}

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

/** True for a plain JSON object (not an array, null or an {@link OverflowNumber}). */
export function isJsonObject(value: unknown): value is JsonObject {
  return typeof value === "object" && value !== null && !Array.isArray(value) &&
    !(value instanceof OverflowNumber);
}

/**
 * Go's name for the JSON type of a parsed value, as in "json: cannot unmarshal <kind> into ...":
 * "object", "array", "string", "number", "bool" or "null".
 */
export function jsonKind(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "array";
  if (value instanceof OverflowNumber) return "number";
  if (typeof value === "boolean") return "bool";
  return typeof value === "object" ? "object" : typeof value;
}

/**
 * The type Go's `%T` names for a parsed value as Go holds it in an `interface{}`: "string",
 * "float64", "bool", "[]interface {}", "map[string]interface {}", or "<nil>" for null.
 */
export function goTypeName(value: unknown): string {
  if (value === null || value === undefined) return "<nil>";
  if (Array.isArray(value)) return "[]interface {}";
  if (value instanceof OverflowNumber) return "float64";
  switch (typeof value) {
    case "string":
      return "string";
    case "number":
      return "float64";
    case "boolean":
      return "bool";
    default:
      return "map[string]interface {}";
  }
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
export function foldKey(key: string): string {
  return key.toLowerCase().replaceAll("\u017f", "s");
}

/**
 * The value of `key` in `object`, matched case-insensitively as Go matches keys to struct fields:
 * each matching key is decoded in turn, so the last one wins, except that a null after a value
 * leaves it in place (Go stores nothing for null) unless the field is a pointer, slice or map
 * (`nullable`), which null resets.
 */
export function field(object: JsonObject, key: string, nullable = false): unknown {
  const folded = foldKey(key);
  let found: unknown;
  for (const k in object) {
    if (k !== key && foldKey(k) !== folded) continue;
    const value = object[k];
    if (value === null && !nullable && found !== undefined) continue;
    found = value;
  }
  return found;
}

/**
 * Every value of `key` in `object`, in document order: the keys Go decodes, one after the other,
 * into the struct field named `key` (each key that matches it case-insensitively).
 */
export function fieldValues(object: JsonObject, key: string): unknown[] {
  const folded = foldKey(key);
  const values: unknown[] = [];
  for (const k in object) {
    if (k === key || foldKey(k) === folded) values.push(object[k]);
  }
  return values;
}

/**
 * Decodes every value of a field as Go does when several keys match it: each, in document order,
 * must decode (the first that does not throws), and the field keeps the last value that set it.
 * A null leaves the field as it was, unless the field is a pointer, slice or map (`nullable`),
 * which null resets.
 *
 * @param values the field's values, from {@link fieldValues}
 * @param decode decodes one value that is not null; throws when it does not decode
 * @param nullable true for a Go pointer, slice or map
 */
export function decodeEach<T>(
  values: readonly unknown[],
  decode: (value: unknown) => T,
  nullable = false,
): T | undefined {
  let found: T | undefined;
  for (const value of values) {
    if (value === null) {
      if (nullable) found = undefined;
      continue;
    }
    found = decode(value);
  }
  return found;
}

/**
 * The objects of a field merged as Go decodes several keys into one map or struct: each object's
 * members on top of the ones before, in document order, a member moved to the end when it is set
 * again, so that the last key matching a name stays the last. A null resets a map or pointer
 * (`nullable`) and leaves a struct as it was. Values that are not objects are skipped: decode
 * each value first to refuse them.
 *
 * @returns the merged object, or undefined when no object is left
 */
export function mergeObjects(
  values: readonly unknown[],
  nullable: boolean,
): JsonObject | undefined {
  let merged: JsonObject | undefined;
  let count = 0;
  for (const value of values) {
    if (value === null && nullable) {
      merged = undefined;
      count = 0;
    }
    if (!isJsonObject(value)) continue;
    if (count++ === 0) {
      merged = value;
      continue;
    }
    if (count === 2) merged = { ...merged };
    for (const k in value) {
      delete merged![k];
      merged![k] = value[k];
    }
  }
  return merged;
}

/**
 * {@link fieldValues} for several fields at once, each key of `object` folded once: the values of
 * each of `names` in document order.
 */
export function groupFields<K extends string>(
  object: JsonObject,
  names: readonly K[],
): Record<K, unknown[]> {
  const groups = {} as Record<K, unknown[]>;
  const byFolded = new Map<string, unknown[]>();
  for (const name of names) {
    const values: unknown[] = [];
    groups[name] = values;
    byFolded.set(foldKey(name), values);
  }
  for (const k in object) byFolded.get(foldKey(k))?.push(object[k]);
  return groups;
}

/**
 * True when two keys of `object` fold to the same name, so that one Go struct field gets several
 * of them.
 */
export function hasFoldedDuplicates(object: JsonObject): boolean {
  const seen = new Set<string>();
  for (const k in object) {
    const folded = foldKey(k);
    if (seen.has(folded)) return true;
    seen.add(folded);
  }
  return false;
}

/** The members of a Go struct, for readFields: names that fold to different keys. */
export interface FieldNames<K extends string> {
  readonly names: readonly K[];
  /** The members that are pointers, slices or maps in Go, which a null resets (see `field`). */
  readonly nullable: ReadonlySet<string>;
  /** The names folded, made on first need. */
  folded?: readonly string[];
}

/**
 * Field names for readFields; no two may differ only in case.
 *
 * @param names the members
 * @param nullable those that a JSON null resets (Go pointers, slices and maps)
 */
export function fieldNames<K extends string>(
  names: readonly K[],
  nullable: readonly K[] = [],
): FieldNames<K> {
  return { names, nullable: new Set(nullable) };
}

/**
 * `field` for all the members of a struct at once: `readFields(object, shape)[name]` is
 * `field(object, name, nullable)`, but each key of `object` is looked at (and folded) once, not
 * once per member. Decoding a result with many entries does this for every entry.
 */
export function readFields<K extends string>(
  object: JsonObject,
  shape: FieldNames<K>,
): Partial<Record<K, unknown>> {
  const values: Partial<Record<K, unknown>> = {};
  for (const k in object) {
    let i = shape.names.indexOf(k as K);
    if (i < 0) i = (shape.folded ??= shape.names.map(foldKey)).indexOf(foldKey(k));
    if (i < 0) continue;
    const name = shape.names[i]!;
    const value = object[k];
    if (value === null && values[name] !== undefined && !shape.nullable.has(name)) continue;
    values[name] = value;
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

/** Go's `int` range (64 bits). */
const INT_MIN = -(2n ** 63n);
const INT_MAX = 2n ** 63n - 1n;

/**
 * An integer field: undefined when absent or null. A JSON number is read as a float64 first, as
 * Go reads any number it decodes through a generic map (a previous result always is): the
 * float64's shortest text must be an integer within Go's `int`, so 2^53 + 1 reads as 2^53 and
 * `2.0` as 2, while 2.5, 1e21 and 1e400 are refused.
 */
export function optionalInteger(value: unknown, at: FieldPath): number | undefined {
  if (value === undefined || value === null) return undefined;
  // A safe integer's shortest text is plain digits within Go's `int`: the check below passes it.
  if (typeof value === "number" && Number.isSafeInteger(value)) return value;
  const text = value instanceof OverflowNumber
    ? value.text
    : typeof value === "number"
    ? (Object.is(value, -0) ? "-0" : String(value))
    : undefined;
  if (text === undefined) throw typeMismatch(value, at, "int");
  if (!/^-?[0-9]+$/.test(text) || BigInt(text) < INT_MIN || BigInt(text) > INT_MAX) {
    throw new DecodeError(
      `json: cannot unmarshal number ${text} into Go struct field ${at.struct}.${at.path} of type int`,
    );
  }
  return value as number;
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
