/**
 * `deno task record --list DIR`: one line per recorded invocation, numbered in start order (the
 * numbers `--extract` and `replay(..., { only })` take), delegated calls indented under their
 * caller.
 *
 * @module
 */
import type { InvocationRecord } from "../../lib/_recording.ts";
import { recordedText } from "../../lib/_recording.ts";

function outcome(record: InvocationRecord): string {
  if (record.error !== undefined) return "not started";
  if (record.signal !== null) return record.signal;
  return `exit ${record.code}`;
}

function shown(text: string, limit: number): string {
  // deno-lint-ignore no-control-regex
  const plain = text.replace(/[\u0000-\u001f\u007f]/g, "?");
  return plain.length > limit ? `${plain.slice(0, limit)}…` : plain;
}

/**
 * The listing of a recording.
 *
 * @param records the recording, in start order
 * @returns the text, one line per invocation
 */
export function formatListing(records: readonly InvocationRecord[]): string {
  const depth = new Map<string, number>();
  const width = String(records.length).length;
  const lines = records.map((record, i) => {
    const level = record.parent === undefined ? 0 : (depth.get(record.parent) ?? 0) + 1;
    depth.set(record.id, level);
    const container = record.env.CNI_CONTAINERID;
    return [
      String(i + 1).padStart(width),
      record.start,
      `${"  ".repeat(level)}${shown(record.plugin, 40)} ${shown(record.verb, 16) || "-"}`,
      outcome(record),
      `${record.durationMs} ms`,
      ...(container === undefined ? [] : [`container ${shown(recordedText(container), 16)}`]),
    ].join("  ");
  });
  return lines.length === 0 ? "no invocations recorded\n" : lines.join("\n") + "\n";
}
