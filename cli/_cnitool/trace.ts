/**
 * The `--verbose` account of one plugin run, for stderr: what ran, its CNI_* variables and stdin,
 * then its exit status, time, stdout and stderr.
 *
 * @module
 */
import type { PluginRun } from "../../lib/runtime/mod.ts";

function block(label: string, text: string): string {
  if (text === "") return `  ${label}: (empty)\n`;
  const body = text.endsWith("\n") ? text.slice(0, -1) : text;
  return `  ${label}: ${body.split("\n").join("\n    ")}\n`;
}

function outcome(run: PluginRun): string {
  if (run.startError !== undefined) return `could not start: ${run.startError}`;
  if (run.timedOut) return "killed at the time limit";
  if (run.signal !== undefined) return `killed by ${run.signal}`;
  return `exit status ${run.code}`;
}

/** The lines `--verbose` prints for one plugin run. */
export function formatRun(run: PluginRun): string {
  const env = Object.entries(run.env).map(([k, v]) => `${k}=${v}`).join(" ");
  return `cnitool: ${run.command} ${run.type} (${run.path})\n` +
    `  env: ${env}\n` +
    block("stdin", run.stdin) +
    `  ${outcome(run)} after ${run.durationMs.toFixed(1)} ms\n` +
    block("stdout", run.stdout) +
    block("stderr", run.stderr);
}
