/**
 * The entry a chained plugin gets in the network's `plugins` list: `{"type": <plugin>}` plus
 * the plugin's own keys, from a JSON file (`--entry`) and `key=value` pairs (`--set`).
 */
import { UsageError } from "./errors.ts";

/**
 * Reads an entry file: a JSON object whose `type`, when present, must name the plugin.
 * Throws a UsageError when it cannot be read or is not such an object.
 */
export function readEntryFile(path: string, plugin: string): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(Deno.readTextFileSync(path));
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new UsageError(`Cannot read the entry file "${path}": ${reason}`);
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new UsageError(`The entry file "${path}" is not a JSON object`);
  }
  const entry = value as Record<string, unknown>;
  if ("type" in entry && entry.type !== plugin) {
    throw new UsageError(
      `The entry file "${path}" has "type" ${JSON.stringify(entry.type)}, not "${plugin}"`,
    );
  }
  return entry;
}

/**
 * Parses `key=value` pairs. A value that is valid JSON (`true`, `3`, `"x"`, `{"a":1}`) is taken
 * as that JSON value, anything else as a string. `type` cannot be set.
 */
export function parseSetPairs(pairs: readonly string[]): Record<string, unknown> {
  const values: Record<string, unknown> = {};
  for (const pair of pairs) {
    const equals = pair.indexOf("=");
    if (equals <= 0) throw new UsageError(`Bad --set "${pair}": expected key=value`);
    const key = pair.slice(0, equals);
    if (key === "type") throw new UsageError(`Bad --set "${pair}": "type" is the plugin's name`);
    const text = pair.slice(equals + 1);
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch {
      value = text;
    }
    values[key] = value;
  }
  return values;
}

/** The entry: `type` first, then the file's keys, then the pairs (which win). */
export function buildEntry(
  plugin: string,
  fromFile: Record<string, unknown>,
  pairs: Record<string, unknown>,
): Record<string, unknown> {
  return { type: plugin, ...withoutType(fromFile), ...pairs };
}

function withoutType(entry: Record<string, unknown>): Record<string, unknown> {
  const { type: _type, ...rest } = entry;
  return rest;
}
