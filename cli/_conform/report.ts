/**
 * The report: one line per check (`PASS plugin check`, `FAIL plugin check: why`,
 * `SKIP plugin check: why`), a summary line, and the same as JSON for `--json`.
 *
 * @module
 */
import type { CheckResult, Report } from "./types.ts";

/** The counts of a report. Skipped checks are not counted as checks. */
export interface Summary {
  readonly checks: number;
  readonly passed: number;
  readonly failed: number;
  readonly skipped: number;
}

/** Counts the outcomes. */
export function summarize(checks: readonly CheckResult[]): Summary {
  const passed = checks.filter((c) => c.outcome === "pass").length;
  const failed = checks.filter((c) => c.outcome === "fail").length;
  return { checks: passed + failed, passed, failed, skipped: checks.length - passed - failed };
}

/** The line of one check. */
export function formatCheck(check: CheckResult): string {
  const head = `${check.outcome.toUpperCase()} ${check.plugin} ${check.check}`;
  return check.reason === undefined ? head : `${head}: ${check.reason}`;
}

/** `conform: N checks, N passed, N failed` (and `, N skipped` when some were). */
export function formatSummary(summary: Summary): string {
  const skipped = summary.skipped > 0 ? `, ${summary.skipped} skipped` : "";
  return `conform: ${summary.checks} checks, ${summary.passed} passed, ${summary.failed} failed` +
    skipped;
}

/** The text report: the check lines, then the summary line. */
export function formatReport(report: Report): string {
  const lines = report.checks.map(formatCheck);
  lines.push(formatSummary(summarize(report.checks)));
  return `${lines.join("\n")}\n`;
}

/** The report as JSON: network, version, plugins, checks and the summary. */
export function reportJson(report: Report): string {
  return `${JSON.stringify({ ...report, summary: summarize(report.checks) }, null, 2)}\n`;
}
