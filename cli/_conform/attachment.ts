/**
 * The checks on one attachment of the network's chain through its life (spec "Section 3:
 * Execution of Network Configurations"): ADD of the chain as libcni's `AddNetworkList` runs it,
 * with the container's links listed after each plugin so that every link is put down to the
 * plugin that made it; the results (spec "Section 5: Result Types"); CHECK and GC with the
 * attachment alive; DEL; the links left; DEL again; DEL of an attachment never added. CHECK and
 * DEL go on past a failing plugin, unlike libcni, so that every plugin is checked and cleaned up.
 *
 * @module
 */
import {
  addNetworkList,
  type AnyResult,
  deleteCachedResult,
  errorText,
  gcNetworkList,
  parsePluginResult,
  type PluginRun,
  readCachedResult,
  type RuntimeConf,
} from "../../lib/runtime/mod.ts";
import { oneDocumentProblem, onlyDocument } from "./documents.ts";
import { runVerb } from "./invoke.ts";
import { containerInterfaces, resultProblems } from "./result_rules.ts";
import { describeRun, describeVerbRun, runFailed } from "./runs.ts";
import { type AddStep, atLeast, quoteList, randomHex, type Suite } from "./state.ts";
import type { CheckName } from "./types.ts";

/** The checks that need the attachment, skipped together when it cannot be made. */
export const ATTACHMENT_CHECKS: readonly CheckName[] = [
  "add",
  "result",
  "check",
  "gc",
  "del",
  "cleanup",
  "del-again",
  "del-unknown",
];

/** ADD of the chain, as a runtime runs it (spec "Section 3", Adding an attachment). */
async function addPhase(suite: Suite): Promise<void> {
  const { findings, labels, adds } = suite;
  suite.baseline = await suite.links();
  let previous = suite.baseline;
  let addError: unknown;
  try {
    await addNetworkList(suite.list, suite.rt, {
      ...suite.runtime,
      onRun: async (run) => {
        await suite.options.onRun?.(run);
        if (run.command !== "ADD") return;
        suite.record(adds.length, "ADD")(run);
        const links = await suite.links();
        adds.push({ run, links, created: links.filter((n) => !previous.includes(n)) });
        previous = links;
      },
    });
    suite.chainAdded = true;
  } catch (error) {
    addError = error;
  }
  let stoppedAt: number | undefined;
  for (const i of suite.indices) {
    const step = adds[i];
    if (step === undefined) {
      if (stoppedAt === undefined && addError !== undefined) {
        // The runtime stopped before running it: not found, or a name it refuses.
        stoppedAt = i;
        findings.fail(i, "add", errorText(addError));
        findings.skip(i, "result", "ADD did not run");
      } else {
        const reason = `not run: the chain stopped at ${labels[stoppedAt ?? i]}`;
        findings.skip(i, "add", reason);
        findings.skip(i, "result", reason);
      }
      continue;
    }
    if (runFailed(step.run)) {
      stoppedAt = i;
      findings.fail(i, "add", describeRun(step.run, addError));
      findings.skip(i, "result", "ADD failed");
      continue;
    }
    findings.pass(i, "add");
    const problems = resultCheck(suite, step);
    try {
      suite.results[i] = parsePluginResult(step.run.stdout, suite.list.cniVersion);
    } catch (error) {
      problems.push(`the runtime cannot read it: ${errorText(error)}`);
      stoppedAt = i;
    }
    if (problems.length === 0) findings.pass(i, "result");
    else {
      const more = problems.length > 3 ? ` (and ${problems.length - 3} more)` : "";
      findings.fail(i, "result", `${problems.slice(0, 3).join("; ")}${more}`);
    }
  }
  if (addError !== undefined && stoppedAt === undefined) {
    // Every plugin succeeded, but the runtime could not finish (e.g. write its cache).
    findings.fail(-1, "add", errorText(addError));
  }
}

/** The problems of one ADD result (spec "Section 5: Result Types"). */
function resultCheck(suite: Suite, step: AddStep): string[] {
  const netns = suite.options.sandbox.netns;
  const document = onlyDocument(step.run.stdout);
  if (document === undefined) return [oneDocumentProblem(step.run.stdout)!];
  const problems = resultProblems(document.value, { cniVersion: suite.version, netns });
  for (const name of containerInterfaces(document.value, netns)) {
    if (!step.links.includes(name)) {
      problems.push(
        `interface ${JSON.stringify(name)} has CNI_NETNS as sandbox, but the namespace has no ` +
          "such link",
      );
    }
  }
  return problems;
}

/** CHECK (spec "Section 2", CHECK; from spec 0.4.0) of each plugin with the cached result. */
async function checkPhase(suite: Suite): Promise<void> {
  const { findings, version } = suite;
  const skipAll = (reason: string) =>
    suite.indices.forEach((i) => findings.skip(i, "check", reason));
  if (!atLeast(version, "0.4.0")) return skipAll(`spec ${version} has no CHECK`);
  if (suite.list.disableCheck) return skipAll("the network sets disableCheck");
  if (!suite.chainAdded) return skipAll("the chain's ADD failed");
  let cached: AnyResult | undefined;
  try {
    cached = await readCachedResult(suite.options.cacheDir, suite.list, suite.rt);
  } catch (error) {
    for (const i of suite.indices) {
      findings.fail(i, "check", `the cached result cannot be read: ${errorText(error)}`);
    }
    return;
  }
  for (const i of suite.indices) {
    const outcome = await runVerb(suite.list, suite.plugins[i]!, "CHECK", suite.runtime, {
      rt: suite.rt,
      ...(cached === undefined ? {} : { prevResult: cached }),
      record: suite.record(i, "CHECK"),
    });
    if (outcome.ok) findings.pass(i, "check");
    else findings.fail(i, "check", describeVerbRun(outcome));
  }
}

/** GC (spec "Section 2", GC; from spec 1.1.0) naming the live attachment as valid. */
async function gcPhase(suite: Suite): Promise<void> {
  const { findings, version, plugins, adds } = suite;
  const skipAll = (reason: string) => suite.indices.forEach((i) => findings.skip(i, "gc", reason));
  if (!atLeast(version, "1.1.0")) return skipAll(`spec ${version} has no GC`);
  if (suite.list.disableGC) return skipAll("the network sets disableGC");
  const before = await suite.links();
  const gcRuns: (PluginRun | undefined)[] = [];
  let cursor = 0;
  let gcError: unknown;
  try {
    await gcNetworkList(suite.list, {
      validAttachments: [{ containerId: suite.rt.containerId, ifName: suite.rt.ifName }],
    }, {
      ...suite.runtime,
      onRun: async (run) => {
        await suite.options.onRun?.(run);
        if (run.command !== "GC") return;
        // GC runs in list order and skips only plugins it cannot find.
        while (cursor < plugins.length && plugins[cursor]!.type !== run.type) cursor++;
        if (cursor < plugins.length) {
          gcRuns[cursor] = run;
          suite.record(cursor, "GC")(run);
          cursor++;
        }
      },
    });
  } catch (error) {
    gcError = error;
  }
  const after = await suite.links();
  const removed = before.filter((n) => !after.includes(n));
  for (const i of suite.indices) {
    const run = gcRuns[i];
    const mine = removed.filter((n) => adds[i]?.created.includes(n));
    if (run === undefined) findings.fail(i, "gc", `not run: ${errorText(gcError)}`);
    else if (runFailed(run)) findings.fail(i, "gc", describeRun(run, gcError));
    else if (mine.length > 0) {
      findings.fail(i, "gc", `removed ${quoteList(mine)} of the attachment it was told is valid`);
    } else findings.pass(i, "gc");
  }
  const unattributed = removed.filter((n) => !adds.some((a) => a.created.includes(n)));
  if (unattributed.length > 0) {
    findings.fail(-1, "gc", `GC removed ${quoteList(unattributed)} from the container`);
  }
}

/** DEL of each plugin in reverse order; true when all succeeded. */
async function delEach(
  suite: Suite,
  check: CheckName,
  rt: RuntimeConf,
  prevResult: AnyResult | undefined,
  what: string,
): Promise<boolean> {
  let all = true;
  for (const i of suite.reversed) {
    const outcome = await runVerb(suite.list, suite.plugins[i]!, "DEL", suite.runtime, {
      rt,
      ...(prevResult === undefined ? {} : { prevResult }),
      record: suite.record(i, what),
    });
    if (outcome.ok) suite.findings.pass(i, check);
    else {
      all = false;
      suite.findings.fail(i, check, describeVerbRun(outcome));
    }
  }
  return all;
}

/** No link a plugin made is left in the container after DEL (spec "Section 2", DEL). */
async function cleanupPhase(suite: Suite): Promise<void> {
  const { findings, adds } = suite;
  const leftover = (await suite.links()).filter((n) => !suite.baseline.includes(n));
  for (const i of suite.indices) {
    const step = adds[i];
    if (step === undefined) {
      findings.skip(i, "cleanup", "ADD did not run");
      continue;
    }
    const mine = leftover.filter((n) => step.created.includes(n));
    if (mine.length === 0) findings.pass(i, "cleanup");
    else {
      findings.fail(
        i,
        "cleanup",
        `${quoteList(mine)} made by its ADD still in the container's namespace after DEL`,
      );
    }
  }
  const strays = leftover.filter((n) => !adds.some((a) => a.created.includes(n)));
  if (strays.length > 0) {
    findings.fail(-1, "cleanup", `${quoteList(strays)} still in the container's namespace`);
  }
}

/** The attachment's life: ADD, CHECK, GC, DEL, the links left, DEL again, DEL of an unknown one. */
export async function attachmentPhases(suite: Suite): Promise<void> {
  await addPhase(suite);
  await checkPhase(suite);
  await gcPhase(suite);
  if (await delEach(suite, "del", suite.rt, await suite.cachedForDel(), "DEL")) {
    await deleteCachedResult(suite.options.cacheDir, suite.list.name, suite.rt).catch(() => {});
  }
  await cleanupPhase(suite);
  await delEach(suite, "del-again", suite.rt, await suite.cachedForDel(), "second DEL");
  const unknown = suite.attachment(`${suite.rt.containerId}-unknown`, `cfu${randomHex(6)}`);
  await delEach(suite, "del-unknown", unknown, undefined, "DEL of an unknown attachment");
}
