/**
 * Runs `deno task conform` as its task does, in a clean environment, for the end-to-end tests:
 * the report comes from `--json` in a file of its own.
 */
import { CONFORM_PERMISSIONS } from "../../cli/conform.ts";
import type { CheckResult } from "../../cli/_conform/types.ts";
import { type CommandOutput, run } from "./_netns.ts";

const ROOT = new URL("../../", import.meta.url).pathname.replace(/\/$/, "");

/** conform's counts. */
export interface ConformSummary {
  readonly checks: number;
  readonly passed: number;
  readonly failed: number;
  readonly skipped: number;
}

/** What conform wrote with `--json`. */
export interface ConformReport {
  readonly network: string;
  readonly checks: readonly CheckResult[];
  readonly summary: ConformSummary;
}

/** One conform run: its exit status and output, and its report. */
export interface ConformRun extends CommandOutput {
  readonly report: ConformReport;
}

/**
 * Runs conform with `args`; the environment is PATH, HOME and DENO_DIR of this process and
 * `env` on top.
 *
 * @throws {Error} when conform wrote no report
 */
export async function runConform(
  args: readonly string[],
  env: Readonly<Record<string, string>>,
  dir: string,
): Promise<ConformRun> {
  const json = `${dir}/report-${crypto.randomUUID()}.json`;
  const vars: Record<string, string> = {
    PATH: Deno.env.get("PATH") ?? "/usr/sbin:/usr/bin:/sbin:/bin",
    ...env,
  };
  for (const name of ["HOME", "DENO_DIR"]) {
    const value = Deno.env.get(name);
    if (value !== undefined && env[name] === undefined) vars[name] = value;
  }
  const output = await run(
    [
      Deno.execPath(),
      "run",
      ...CONFORM_PERMISSIONS,
      `${ROOT}/cli/conform.ts`,
      "--json",
      json,
      ...args,
    ],
    { env: vars, clearEnv: true },
  );
  let report: ConformReport;
  try {
    report = JSON.parse(await Deno.readTextFile(json));
  } catch {
    throw new Error(`conform wrote no report (exit ${output.code}): ${output.stderr}`);
  } finally {
    await Deno.remove(json).catch(() => {});
  }
  return { ...output, report };
}

/** The "plugin check" names of the checks with an outcome. */
export function checksWith(report: ConformReport, outcome: CheckResult["outcome"]): string[] {
  return report.checks.filter((c) => c.outcome === outcome).map((c) => `${c.plugin} ${c.check}`);
}
