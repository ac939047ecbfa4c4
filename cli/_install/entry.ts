/**
 * The entry a chained plugin gets in the network's `plugins` list: `{"type": <plugin>}` plus
 * the plugin's own keys, from a JSON file (`--entry`) and `key=value` pairs (`--set`). Values
 * are kept as their JSON text (json_text.ts's RawJson), so `--set limit=18446744073709551615`
 * reaches the file as written and not rounded through a float.
 */
import { UsageError } from "./errors.ts";
import { formatJson, type JsonNode, memberMap, parseJsonText, RawJson } from "./json_text.ts";

/** How deep a value of the entry may nest: far more than a setting needs, and safe to write. */
const MAX_VALUE_DEPTH = 1000;

/**
 * Why a value cannot go into a network file that Go must read, or undefined: a number a float64
 * cannot hold (Go's libcni refuses the whole network over it), or nesting deeper than
 * {@link MAX_VALUE_DEPTH}. Walks with a stack of its own, so no depth overflows it.
 */
function valueProblem(root: JsonNode): string | undefined {
  const pending: [JsonNode, number][] = [[root, 1]];
  while (pending.length > 0) {
    const [node, depth] = pending.pop()!;
    if (node.kind === "number" && !Number.isFinite(Number(node.text))) {
      return `the number ${
        node.text.slice(0, 40)
      } is out of range of a float64, which Go reads it as`;
    }
    if (node.kind !== "array" && node.kind !== "object") continue;
    if (depth > MAX_VALUE_DEPTH) return `it nests more than ${MAX_VALUE_DEPTH} levels deep`;
    const children = node.kind === "array" ? node.items : node.members.map((m) => m.value);
    for (const child of children) pending.push([child, depth + 1]);
  }
  return undefined;
}

/** A map of keys to values where "__proto__" is a plain key. */
function emptyEntry(): Record<string, unknown> {
  return Object.create(null);
}

/**
 * Reads an entry file: a JSON object whose `type`, when present, must name the plugin. Each
 * value is its text, as a RawJson; of a key given twice, the last counts.
 * Throws a UsageError when it cannot be read or is not such an object.
 */
export function readEntryFile(path: string, plugin: string): Record<string, unknown> {
  let text: string;
  let node;
  try {
    // A FIFO or a device would block the read: only a regular file is read.
    if (!Deno.statSync(path).isFile) throw new Error("not a regular file");
    text = Deno.readTextFileSync(path);
    node = parseJsonText(text);
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new UsageError(`Cannot read the entry file "${path}": ${reason}`);
  }
  if (node.kind !== "object") {
    throw new UsageError(`The entry file "${path}" is not a JSON object`);
  }
  const bytes = new TextEncoder().encode(text);
  const decoder = new TextDecoder();
  const entry = emptyEntry();
  for (const [key, value] of memberMap(node)) {
    const problem = valueProblem(value);
    if (problem !== undefined) {
      throw new UsageError(`The entry file "${path}" has ${JSON.stringify(key)}: ${problem}`);
    }
    entry[key] = new RawJson(decoder.decode(bytes.subarray(value.start, value.end)));
  }
  const type = memberMap(node).get("type");
  if (type !== undefined && !(type.kind === "string" && type.value === plugin)) {
    throw new UsageError(
      `The entry file "${path}" has "type" ${formatJson(type)}, not "${plugin}"`,
    );
  }
  return entry;
}

/**
 * Parses `key=value` pairs. A value that is valid JSON (`true`, `3`, `"x"`, `{"a":1}`) is taken
 * as that JSON text, exactly, anything else as a string. `type` cannot be set.
 */
export function parseSetPairs(pairs: readonly string[]): Record<string, unknown> {
  const values = emptyEntry();
  for (const pair of pairs) {
    const equals = pair.indexOf("=");
    if (equals <= 0) throw new UsageError(`Bad --set "${pair}": expected key=value`);
    const key = pair.slice(0, equals);
    if (key === "type") throw new UsageError(`Bad --set "${pair}": "type" is the plugin's name`);
    const text = pair.slice(equals + 1);
    let value: unknown;
    try {
      value = new RawJson(text);
    } catch {
      value = text;
    }
    const problem = value instanceof RawJson ? valueProblem(value.node) : undefined;
    if (problem !== undefined) {
      throw new UsageError(`Bad --set ${JSON.stringify(key)}: ${problem}`);
    }
    values[key] = value;
  }
  return values;
}

/** The entry: `type` first, then the file's keys, then the pairs (which win). */
export function buildEntry(
  plugin: string,
  fromFile: Readonly<Record<string, unknown>>,
  pairs: Readonly<Record<string, unknown>>,
): Record<string, unknown> {
  const entry = emptyEntry();
  entry.type = plugin;
  for (const source of [fromFile, pairs]) {
    for (const [key, value] of Object.entries(source)) {
      if (key !== "type") entry[key] = value;
    }
  }
  return entry;
}
