/**
 * The checks: VERSION of each plugin, the life of one attachment of the network's chain
 * (`attachment.ts`), STATUS, ADDs that must fail, and what every run printed on stdout, each
 * plugin judged on its own runs. The rules come from the spec: "Section 2: Execution Protocol"
 * (parameters, errors, the verbs), "Section 3: Execution of Network Configurations" (how a runtime
 * runs a chain) and "Section 5: Result Types". The plugins run through the runtime library, in a
 * sandbox the caller provides (`sandbox.ts`).
 *
 * When a plugin's VERSION reply does not list the configuration's version, refusing it (code 1)
 * is right, so the attachment's checks are skipped.
 *
 * @module
 */
import {
  errorText,
  findPlugin,
  getVersionInfo,
  type PluginConfig,
  type PluginRun,
} from "../../lib/runtime/mod.ts";
import { ATTACHMENT_CHECKS, attachmentPhases } from "./attachment.ts";
import { oneDocumentProblem, onlyDocument } from "./documents.ts";
import { errorAnswer, errorObjectProblem } from "./error_object.ts";
import { runVerb } from "./invoke.ts";
import { describeRun, describeVerbRun, runFailed, stdoutProblem } from "./runs.ts";
import { atLeast, randomHex, Suite, type SuiteOptions } from "./state.ts";
import type { CheckName, CheckResult, PluginInfo } from "./types.ts";

export type { SuiteOptions } from "./state.ts";

/** What the checks found. */
export interface SuiteReport {
  readonly plugins: readonly PluginInfo[];
  readonly checks: readonly CheckResult[];
}

/** The wrong-typed well-known key the `bad-config` check adds (the spec's `dns` is a dictionary). */
export const BAD_CONFIG_KEY = { dns: 5 } as const;

/** VERSION of each plugin; returns whether each speaks the configuration's version. */
async function versionPhase(suite: Suite): Promise<{ infos: PluginInfo[]; speaks: boolean[] }> {
  const { findings, version } = suite;
  const infos: PluginInfo[] = [];
  const speaks: boolean[] = [];
  for (const i of suite.indices) {
    const plugin = suite.plugins[i]!;
    const path = await findPlugin(plugin.type, suite.runtime, suite.options.sandbox.host)
      .catch(() => undefined);
    infos.push({
      label: suite.labels[i]!,
      type: plugin.type,
      ...(path === undefined ? {} : { path }),
    });
    let last: PluginRun | undefined;
    try {
      const info = await getVersionInfo(plugin.type, {
        ...suite.runtime,
        onRun: async (run) => {
          last = run;
          suite.record(i, "VERSION")(run);
          await suite.options.onRun?.(run);
        },
      });
      speaks[i] = info.supportedVersions.includes(version);
      if (speaks[i]) findings.pass(i, "version");
      else {
        findings.fail(
          i,
          "version",
          `supportedVersions ${JSON.stringify(info.supportedVersions)} does not list ` +
            `the configuration's ${JSON.stringify(version)}`,
        );
      }
    } catch (error) {
      speaks[i] = true;
      findings.fail(
        i,
        "version",
        last !== undefined && runFailed(last) ? describeRun(last, error) : errorText(error),
      );
    }
  }
  return { infos, speaks };
}

/** STATUS (spec "Section 2", STATUS; from spec 1.1.0): ready, or not available (50, 51). */
async function statusPhase(suite: Suite, speaks: readonly boolean[]): Promise<void> {
  const { findings, version } = suite;
  for (const i of suite.indices) {
    if (!atLeast(version, "1.1.0")) {
      findings.skip(i, "status", `spec ${version} has no STATUS`);
      continue;
    }
    if (!speaks[i]) {
      findings.skip(i, "status", `the plugin does not speak ${version}`);
      continue;
    }
    const outcome = await runVerb(suite.list, suite.plugins[i]!, "STATUS", suite.runtime, {
      record: suite.record(i, "STATUS"),
    });
    const answer = outcome.run !== undefined && runFailed(outcome.run)
      ? errorAnswer(onlyDocument(outcome.run.stdout)?.value)
      : undefined;
    if (outcome.ok) findings.pass(i, "status");
    else if (answer !== undefined && (answer.code === 50 || answer.code === 51)) {
      findings.pass(i, "status", `not available: code ${answer.code}: ${answer.msg}`);
    } else findings.fail(i, "status", describeVerbRun(outcome));
  }
}

/** ADDs that must fail with an error object and exit status 1 (spec "Section 2", Errors). */
async function errorPhase(suite: Suite): Promise<void> {
  const { findings } = suite;
  const probe = suite.attachment(`${suite.rt.containerId}-probe`, `cfp${randomHex(6)}`);
  for (const i of suite.indices) {
    const plugin = suite.plugins[i]!;
    const previousResult = i === 0 ? undefined : suite.results[i - 1];
    const prevResult = previousResult === undefined ? {} : { prevResult: previousResult };
    const cases: [CheckName, string, PluginConfig, readonly string[]][] = [
      [
        "bad-config",
        `with ${JSON.stringify(BAD_CONFIG_KEY).slice(1, -1)} in the configuration`,
        { ...plugin, raw: { ...plugin.raw, ...BAD_CONFIG_KEY } },
        [],
      ],
      ["missing-containerid", "without CNI_CONTAINERID", plugin, ["CNI_CONTAINERID"]],
      ["missing-ifname", "without CNI_IFNAME", plugin, ["CNI_IFNAME"]],
    ];
    for (const [check, what, config, dropEnv] of cases) {
      const outcome = await runVerb(suite.list, config, "ADD", suite.runtime, {
        rt: probe,
        ...prevResult,
        dropEnv,
        record: suite.record(i, `ADD ${what}`),
      });
      if (outcome.ok) {
        findings.fail(i, check, `ADD ${what} succeeded`);
        await runVerb(suite.list, plugin, "DEL", suite.runtime, { rt: probe, ...prevResult });
        continue;
      }
      const run = outcome.run;
      if (run === undefined) {
        findings.fail(i, check, errorText(outcome.error));
        continue;
      }
      if (run.startError !== undefined || run.timedOut || run.signal !== undefined) {
        findings.fail(i, check, describeRun(run));
        continue;
      }
      const document = onlyDocument(run.stdout);
      const problem = run.code !== 1
        ? `exit status ${run.code}, where an error is exit status 1`
        : document === undefined
        ? oneDocumentProblem(run.stdout)
        : errorObjectProblem(document.value);
      if (problem !== undefined) findings.fail(i, check, `ADD ${what}: ${problem}`);
      else findings.pass(i, check, describeRun(run));
    }
  }
}

/** Exactly one JSON document whenever one is due, nothing when none is. */
function stdoutPhase(suite: Suite): void {
  for (const i of suite.indices) {
    const mine = suite.runs.filter((r) => r.index === i);
    if (mine.length === 0) {
      suite.findings.skip(i, "stdout", "the plugin never ran");
      continue;
    }
    const problems = mine.flatMap(({ run, what }) => {
      const problem = stdoutProblem(run);
      return problem === undefined ? [] : [`${what}: ${problem}`];
    });
    if (problems.length === 0) suite.findings.pass(i, "stdout");
    else {
      const more = problems.length > 2 ? ` (and ${problems.length - 2} more)` : "";
      suite.findings.fail(i, "stdout", `${problems.slice(0, 2).join("; ")}${more}`);
    }
  }
}

/** Runs every check on the network's plugins; never throws for a plugin's misbehaviour. */
export async function runChecks(options: SuiteOptions): Promise<SuiteReport> {
  const suite = new Suite(options);
  const { infos, speaks } = await versionPhase(suite);
  const mute = suite.indices.find((i) => !speaks[i]);
  if (mute === undefined) await attachmentPhases(suite);
  else {
    const reason = `${suite.labels[mute]} does not speak ${suite.version}`;
    for (const i of suite.indices) {
      for (const check of ATTACHMENT_CHECKS) suite.findings.skip(i, check, reason);
    }
  }
  await statusPhase(suite, speaks);
  await errorPhase(suite);
  stdoutPhase(suite);
  return { plugins: infos, checks: suite.findings.list() };
}
