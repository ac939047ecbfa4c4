/**
 * Editing a network file as text: an entry is added to its `plugins` list, put in place of
 * another, or taken out, and a one-plugin file is wrapped into a list, each time with every
 * other byte of the file kept as it was (json_text.ts finds where things are). Nothing is
 * decoded and encoded again, so numbers beyond 2^53, `1.0`, `1e400`, escapes, duplicate keys and
 * odd white space in the other plugins' settings all stay exactly as written.
 *
 * New text follows the file's layout: an entry goes on a line of its own, indented like the one
 * before it, when the list has one entry per line, and compact otherwise.
 */
import { formatJson, type JsonArray, type JsonNode, type JsonObject } from "./json_text.ts";

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** `bytes` with `[start, end)` replaced by `text`. */
function splice(bytes: Uint8Array, start: number, end: number, text: string): Uint8Array {
  const inserted = encoder.encode(text);
  const out = new Uint8Array(bytes.length - (end - start) + inserted.length);
  out.set(bytes.subarray(0, start), 0);
  out.set(inserted, start);
  out.set(bytes.subarray(end), start + inserted.length);
  return out;
}

/** The white space between the `[` or `,` before item `i` and the item. */
function spaceBefore(bytes: Uint8Array, list: JsonArray, i: number): string {
  const item = list.items[i]!;
  if (i === 0) return decoder.decode(bytes.subarray(list.start + 1, item.start));
  const between = decoder.decode(bytes.subarray(list.items[i - 1]!.end, item.start));
  return between.slice(between.indexOf(",") + 1);
}

/** The spaces and tabs that start the line holding `at`. */
function lineIndent(bytes: Uint8Array, at: number): string {
  let start = at;
  while (start > 0 && bytes[start - 1] !== 0x0a) start--;
  let end = start;
  while (bytes[end] === 0x20 || bytes[end] === 0x09) end++;
  return decoder.decode(bytes.subarray(start, end));
}

/** How an entry is written where `space` precedes the list's items. */
interface Layout {
  /** What goes between the comma and the entry. */
  readonly space: string;
  /** The entry's text. */
  readonly text: string;
}

function layout(bytes: Uint8Array, list: JsonArray, space: string, entry: JsonNode): Layout {
  const newline = space.lastIndexOf("\n");
  if (newline < 0) return { space, text: formatJson(entry) };
  const indent = space.slice(newline + 1);
  const outer = lineIndent(bytes, list.start);
  const unit = indent.length > outer.length && indent.startsWith(outer)
    ? indent.slice(outer.length)
    : indent.includes("\t")
    ? "\t"
    : "  ";
  let text = formatJson(entry, unit, indent);
  // A file with CRLF line ends gets them in the new lines too (JSON strings hold no raw newline).
  if (space.includes("\r\n")) text = text.replaceAll("\n", "\r\n");
  return { space, text };
}

/** The file with `entry` added after the last item of `list` (which has at least one). */
export function appendEntry(bytes: Uint8Array, list: JsonArray, entry: JsonNode): Uint8Array {
  const last = list.items.length - 1;
  if (last < 0) throw new Error("appendEntry needs a list with an item");
  const { space, text } = layout(bytes, list, spaceBefore(bytes, list, last), entry);
  const end = list.items[last]!.end;
  return splice(bytes, end, end, `,${space}${text}`);
}

/** The file with item `index` of `list` replaced by `entry`. */
export function replaceEntry(
  bytes: Uint8Array,
  list: JsonArray,
  index: number,
  entry: JsonNode,
): Uint8Array {
  const item = list.items[index];
  if (item === undefined) throw new Error(`replaceEntry: no item ${index}`);
  const { text } = layout(bytes, list, spaceBefore(bytes, list, index), entry);
  return splice(bytes, item.start, item.end, text);
}

/**
 * The file with the items of `list` at `indexes` taken out, with the comma and the white space
 * that went with each. At least one item must stay.
 */
export function removeEntries(
  bytes: Uint8Array,
  list: JsonArray,
  indexes: ReadonlySet<number>,
): Uint8Array {
  const items = list.items;
  const firstKept = items.findIndex((_, i) => !indexes.has(i));
  if (firstKept < 0) throw new Error("removeEntries would leave an empty list");
  // Spans to cut, each within the list and none overlapping; cut from the end backwards.
  const cuts: [number, number][] = [];
  if (firstKept > 0) cuts.push([items[0]!.start, items[firstKept]!.start]);
  for (let i = firstKept + 1; i < items.length; i++) {
    if (indexes.has(i)) cuts.push([items[i - 1]!.end, items[i]!.end]);
  }
  let out = bytes;
  for (const [start, end] of cuts.reverse()) out = splice(out, start, end, "");
  return out;
}

/** What a one-plugin file becomes. */
export interface WrapOptions {
  /** The list's `name` (the file's, as libcni takes it). */
  readonly name: string;
  /** The list's `cniVersion` (likewise). */
  readonly cniVersion: string;
  /** Keep the file's own object as the first plugin (false when the entry replaces it). */
  readonly keepOriginal: boolean;
}

/**
 * The list libcni makes of a one-plugin file (`{"cniVersion", "name", "plugins": [the file's
 * object]}`), with the object's exact bytes and `entry` after it.
 */
export function wrapSingle(
  bytes: Uint8Array,
  root: JsonObject,
  entry: JsonNode,
  options: WrapOptions,
): Uint8Array {
  const parts = [
    encoder.encode(
      `{\n  "cniVersion": ${JSON.stringify(options.cniVersion)},\n` +
        `  "name": ${JSON.stringify(options.name)},\n  "plugins": [\n    `,
    ),
    ...(options.keepOriginal
      ? [bytes.subarray(root.start, root.end), encoder.encode(",\n    ")]
      : []),
    encoder.encode(`${formatJson(entry, "  ", "    ")}\n  ]\n}\n`),
  ];
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.length;
  }
  return out;
}
