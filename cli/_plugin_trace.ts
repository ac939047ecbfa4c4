/**
 * The `--verbose` account of one plugin run, for stderr, shared by cnitool and conform: what ran,
 * its CNI_* variables and stdin, then how it ended, its time, stdout and stderr.
 *
 * @module
 */
import type { PluginRun } from "../lib/runtime/mod.ts";

function block(label: string, text: string): string {
  if (text === "") return `  ${label}: (empty)\n`;
  const body = text.endsWith("\n") ? text.slice(0, -1) : text;
  return `  ${label}: ${body.split("\n").join("\n    ")}\n`;
}

/** How a run ended, in words: "exit status 1", "killed by SIGSEGV", "could not start: ...". */
export function runEnding(run: PluginRun): string {
  if (run.startError !== undefined) return `could not start: ${run.startError}`;
  if (run.timedOut) return "killed at the time limit";
  if (run.signal !== undefined) return `killed by ${run.signal}`;
  return `exit status ${run.code}`;
}

/**
 * The lines `--verbose` prints for one plugin run.
 *
 * @param tool the command printing it ("cnitool", "conform")
 * @param run the run
 */
export function formatRun(tool: string, run: PluginRun): string {
  const env = Object.entries(run.env).map(([k, v]) => `${k}=${v}`).join(" ");
  return `${tool}: ${run.command} ${run.type} (${run.path})\n` +
    `  env: ${env}\n` +
    block("stdin", run.stdin) +
    `  ${runEnding(run)} after ${run.durationMs.toFixed(1)} ms\n` +
    block("stdout", run.stdout) +
    block("stderr", run.stderr);
}
