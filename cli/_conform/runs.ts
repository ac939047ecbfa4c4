/**
 * A plugin run as the runtime reported it, in words: whether it failed, how it ended (exit
 * status, the error object's code and message), and what its stdout should have held (spec
 * "Section 2: Execution Protocol": one JSON document for a result, a VERSION reply or an error;
 * nothing for a verb that answers nothing on success).
 *
 * @module
 */
import { errorText, type PluginRun } from "../../lib/runtime/mod.ts";
import { runEnding } from "../_plugin_trace.ts";
import { nothingProblem, oneDocumentProblem, onlyDocument } from "./documents.ts";
import { errorAnswer } from "./error_object.ts";
import { oneLine } from "./findings.ts";
import type { VerbRun } from "./invoke.ts";

/** True when the run did not succeed. */
export function runFailed(run: PluginRun): boolean {
  return run.code !== 0 || run.signal !== undefined || run.timedOut === true ||
    run.startError !== undefined;
}

/** How a run ended, in words: the exit status and the plugin's error code and message. */
export function describeRun(run: PluginRun, fallback?: unknown): string {
  if (run.startError !== undefined || run.timedOut || run.signal !== undefined) {
    return runEnding(run);
  }
  const answer = errorAnswer(onlyDocument(run.stdout)?.value);
  if (answer !== undefined) {
    return oneLine(`exit status ${run.code}, code ${answer.code}: ${answer.msg}`);
  }
  const reason = fallback === undefined ? "" : `: ${errorText(fallback)}`;
  return oneLine(`exit status ${run.code}${reason}`);
}

/** How a run of {@link runVerb} ended, in words. */
export function describeVerbRun(outcome: VerbRun): string {
  if (outcome.run === undefined) return oneLine(errorText(outcome.error));
  return describeRun(outcome.run, outcome.error);
}

/** What a plugin's stdout should hold after `run`, and whether it does. */
export function stdoutProblem(run: PluginRun): string | undefined {
  if (run.startError !== undefined || run.timedOut || run.signal !== undefined) return undefined;
  const answers = run.code !== 0 || run.command === "ADD" || run.command === "VERSION";
  return answers ? oneDocumentProblem(run.stdout) : nothingProblem(run.stdout);
}
