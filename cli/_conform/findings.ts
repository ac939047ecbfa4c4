/**
 * What the checks found, kept per plugin and check and listed in report order; reasons are cut
 * to one line.
 *
 * @module
 */
import { type CheckName, type CheckResult, CHECKS, type Outcome } from "./types.ts";

const REASON_LIMIT = 300;

/** One line, at most {@link REASON_LIMIT} characters. */
export function oneLine(text: string): string {
  const flat = text.replace(/\s*\n\s*/g, " | ").trim();
  return flat.length > REASON_LIMIT ? `${flat.slice(0, REASON_LIMIT)}…` : flat;
}

/** The plugins' labels: the type, with `#n` when the type occurs more than once. */
export function pluginLabels(types: readonly string[]): string[] {
  const seen = new Map<string, number>();
  return types.map((type) => {
    if (types.filter((t) => t === type).length === 1) return type;
    const n = (seen.get(type) ?? 0) + 1;
    seen.set(type, n);
    return `${type}#${n}`;
  });
}

/** The results, kept per plugin and check. */
export class Findings {
  readonly #results = new Map<string, CheckResult & { index: number }>();
  constructor(private readonly labels: readonly string[], private readonly network: string) {}

  /** Records a result; index -1 is the network as a whole. */
  set(index: number, check: CheckName, outcome: Outcome, reason?: string): void {
    this.#results.set(`${index}/${check}`, {
      index: index < 0 ? this.labels.length : index,
      plugin: index < 0 ? this.network : this.labels[index]!,
      check,
      outcome,
      ...(reason === undefined || reason === "" ? {} : { reason: oneLine(reason) }),
    });
  }

  pass(index: number, check: CheckName, note?: string): void {
    this.set(index, check, "pass", note);
  }

  fail(index: number, check: CheckName, reason: string): void {
    this.set(index, check, "fail", reason);
  }

  skip(index: number, check: CheckName, reason: string): void {
    this.set(index, check, "skip", reason);
  }

  /** Every plugin's results in chain order, each plugin's checks in {@link CHECKS} order. */
  list(): CheckResult[] {
    return [...this.#results.values()]
      .sort((a, b) => a.index - b.index || CHECKS.indexOf(a.check) - CHECKS.indexOf(b.check))
      .map(({ index: _, ...result }) => result);
  }
}
