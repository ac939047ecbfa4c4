/**
 * Replaying recorded invocations: `deno task record` (`cli/record.ts`) writes one record per
 * plugin invocation a runtime makes (verb, CNI_* environment, stdin, stdout, stderr, exit
 * status, the delegated calls nested under their caller); {@link replay} runs the recorded
 * invocations again against a plugin and reports what differs. A failure seen under containerd
 * becomes a unit test: extract the invocation (`deno task record --extract N --from DIR --to
 * tests/testdata/x.json`) and {@link assertReplay} it.
 *
 * The target is either a plugin made with `definePlugin`, run in this process through `invoke`
 * with each recorded delegate call served as a fake program in place of the delegate, or the path
 * of an executable in any language, run as a real process with the recorded environment and
 * stdin and a CNI_PATH of served delegates. Compared: the exit status, stdout as JSON data (the
 * error's code and message named as such), stderr when asked, and how the delegates were called
 * (which ones, in which verb, with what stdin and CNI_* variables).
 *
 * @example A recorded ADD replayed in-process
 * ```ts
 * import assert from "node:assert/strict";
 * import { definePlugin, emptyResult } from "./mod.ts";
 * import { type InvocationRecord, replay } from "./testing.ts";
 *
 * const plugin = definePlugin({
 *   name: "empty",
 *   add: ({ configVersion }) => emptyResult(configVersion),
 * });
 * const recorded: InvocationRecord = {
 *   format: "deno-cni-record/1",
 *   id: "20250101T000000.000000Z-100",
 *   plugin: "empty",
 *   path: "/opt/cni/bin/empty",
 *   args: [],
 *   verb: "ADD",
 *   env: {
 *     CNI_COMMAND: "ADD",
 *     CNI_CONTAINERID: "c1",
 *     CNI_NETNS: "/var/run/netns/c1",
 *     CNI_IFNAME: "eth0",
 *     CNI_PATH: "/opt/cni/bin",
 *   },
 *   stdin: '{"cniVersion":"1.0.0","name":"n","type":"empty"}',
 *   stdout: '{"cniVersion":"0.4.0"}',
 *   stderr: "",
 *   code: 0,
 *   signal: null,
 *   start: "2025-01-01T00:00:00.000000Z",
 *   durationMs: 21.5,
 * };
 * const report = await replay(plugin, [recorded]);
 * assert.equal(report.invocations.length, 1);
 * assert.deepEqual(report.invocations[0]?.differences.map((d) => d.message), [
 *   'stdout cniVersion: recorded "0.4.0", replayed "1.0.0"',
 * ]);
 * ```
 *
 * @module
 */
import { isJsonObject } from "./_decode.ts";
import { diffJson, quoteValue, tryParseJson } from "./_json_diff.ts";
import {
  findInvocation,
  type InvocationRecord,
  loadRecording,
  recordedBytes,
  recordedText,
  sortRecords,
} from "./_recording.ts";
import { type ServedCall, serveDelegates } from "./_served_delegates.ts";
import { DEFAULT_TIMEOUT_MS, denoHost, type RunOutput } from "./host.ts";
import type { PluginHandlers } from "./skel.ts";
import { modelKernel } from "./model_kernel.ts";
import { DEFAULT_TEST_ENV, type FakeProgram, invoke, type TestKernel } from "./testing.ts";

export {
  type DroppedBytes,
  extractInvocation,
  findInvocation,
  type InvocationRecord,
  loadRecording,
  RECORD_FORMAT,
  type RecordedBytes,
  recordedBytes,
  recordedText,
  RECORDING_FORMAT,
  RecordingError,
  type RecordingFile,
} from "./_recording.ts";

/** What to replay against: a plugin from `definePlugin`, or an executable's path. */
export type ReplayTarget = PluginHandlers | string | URL;

/** Where the recorded invocations come from: a recording's directory or file, or the records. */
export type RecordingSource = string | URL | readonly InvocationRecord[];

/** Options of {@link replay}. */
export interface ReplayOptions {
  /**
   * The invocations to replay, by number (from 1, in start order, as `deno task record --list`
   * numbers them) or id. Default: every invocation of the plugin named by `plugin`.
   */
  only?: number | string | readonly (number | string)[];
  /**
   * The recorded plugin whose invocations are replayed. Default: the target's name (a
   * `definePlugin` plugin's `name`, an executable's file name).
   */
  plugin?: string;
  /**
   * More fake programs for a plugin replayed in-process (`ip`, `nsenter`, as for `invoke`). The
   * recorded delegates are served under their names and take precedence.
   */
  programs?: Readonly<Record<string, FakeProgram>>;
  /**
   * The kernel a plugin replayed in-process works on. Default: one model kernel for the whole
   * replay, holding a namespace at every recorded CNI_NETNS, so ADD's links are there for DEL.
   * The recording holds no kernel state: a plugin that depends on what was there before needs a
   * kernel set up for it.
   */
  kernel?: TestKernel;
  /** Compare stderr too (default: not, as warnings and log lines may differ harmlessly). */
  compareStderr?: boolean;
  /** The time limit of an executable's run; default one minute. */
  timeoutMs?: number;
}

/** One difference between a recorded invocation and its replay. */
export interface ReplayDifference {
  /**
   * What differs: the exit status, stdout (as JSON data), the error object's code, msg or
   * details, stderr, or a delegated call.
   */
  readonly kind: "exit" | "stdout" | "error" | "stderr" | "delegate";
  /** One line saying what was recorded and what the replay did. */
  readonly message: string;
}

/** What the replayed run did. */
export interface ReplayedOutcome {
  /** The exit status; null when the run did not end with one. */
  readonly code: number | null;
  /** The signal that ended an executable, or null. */
  readonly signal: string | null;
  /** stdout as text. */
  readonly stdout: string;
  /** stderr as text. */
  readonly stderr: string;
  /**
   * Why the run has no ordinary outcome: the executable could not be started or ran out of
   * time, or the in-process plugin broke the protocol (what `invoke` throws for).
   */
  readonly failure?: string;
}

/** One replayed invocation. */
export interface ReplayedInvocation {
  /** Its number in the recording (from 1, in start order). */
  readonly number: number;
  /** The record. */
  readonly record: InvocationRecord;
  /** What the replay did. */
  readonly replayed: ReplayedOutcome;
  /** The differences; empty when the replay did what the record says. */
  readonly differences: readonly ReplayDifference[];
}

/** What {@link replay} found. */
export interface ReplayReport {
  /** The target, as the report names it. */
  readonly target: string;
  /** The recording, as the report names it. */
  readonly source: string;
  /** The replayed invocations, in start order. */
  readonly invocations: readonly ReplayedInvocation[];
  /** The number of differences, over all invocations. */
  readonly differences: number;
}

/** How many stdout paths one invocation's report lists before it says how many more. */
const MAX_LISTED = 20;

function pathOf(source: string | URL): string {
  return source instanceof URL ? decodeURIComponent(source.pathname) : source;
}

function basename(path: string): string {
  return path.slice(path.lastIndexOf("/") + 1);
}

function isPath(target: ReplayTarget): target is string | URL {
  return typeof target === "string" || target instanceof URL;
}

function targetName(target: ReplayTarget): string | undefined {
  if (isPath(target)) return basename(pathOf(target));
  const name = (target as { name?: unknown }).name;
  return typeof name === "string" ? name : undefined;
}

function exitText(code: number | null, signal: string | null, failure?: string): string {
  if (failure !== undefined) return failure;
  if (signal !== null) return `signal ${signal}`;
  return code === null ? "no exit status" : `exit status ${code}`;
}

function recordedExit(record: InvocationRecord): string {
  return record.error === undefined
    ? exitText(record.code, record.signal)
    : `could not be started: ${record.error}`;
}

function isErrorObject(value: unknown): value is { code: number; msg: string; details?: unknown } {
  return isJsonObject(value) && typeof value.code === "number" && typeof value.msg === "string";
}

function describe(text: string, json: unknown): string {
  if (text === "") return "nothing";
  if (json === undefined) return `text ${quoteValue(text, 80)}`;
  if (isErrorObject(json)) return `error ${json.code} ${quoteValue(json.msg, 100)}`;
  if (isJsonObject(json) && "supportedVersions" in json) return "a VERSION answer";
  if (isJsonObject(json) && "cniVersion" in json) return "a result";
  return quoteValue(json, 80);
}

function capped(differences: ReplayDifference[], kind: ReplayDifference["kind"], what: string) {
  if (differences.length <= MAX_LISTED) return differences;
  const more = differences.length - MAX_LISTED;
  return [
    ...differences.slice(0, MAX_LISTED),
    { kind, message: `${what}: and ${more} more difference${more === 1 ? "" : "s"}` },
  ];
}

/** Where two stdouts differ: as JSON data when both are JSON, else as text. */
function compareStdout(recorded: string, replayed: string): ReplayDifference[] {
  if (recorded === replayed) return [];
  const left = recorded === "" ? undefined : tryParseJson(recorded);
  const right = replayed === "" ? undefined : tryParseJson(replayed);
  if (left === undefined || right === undefined) {
    return [{
      kind: "stdout",
      message: `stdout: recorded ${describe(recorded, left)}, replayed ${
        describe(replayed, right)
      }`,
    }];
  }
  if (isErrorObject(left) && isErrorObject(right)) {
    return diffJson(left, right).map(({ path, left, right }) => ({
      kind: "error" as const,
      message: `error ${path}: recorded ${quoteValue(left)}, replayed ${quoteValue(right)}`,
    }));
  }
  if (isErrorObject(left) || isErrorObject(right)) {
    return [{
      kind: "stdout",
      message: `stdout: recorded ${describe(recorded, left)}, replayed ${
        describe(replayed, right)
      }`,
    }];
  }
  const differences = diffJson(left, right).map(({ path, left, right }) => ({
    kind: "stdout" as const,
    message: `stdout${path === "" ? "" : ` ${path}`}: recorded ${quoteValue(left)}, ` +
      `replayed ${quoteValue(right)}`,
  }));
  return capped(differences, "stdout", "stdout");
}

/** The outcome's differences from the record: exit status, stdout, stderr when asked. */
function compareOutcome(
  record: InvocationRecord,
  replayed: ReplayedOutcome,
  options: ReplayOptions,
): ReplayDifference[] {
  const differences: ReplayDifference[] = [];
  const before = recordedExit(record);
  const after = exitText(replayed.code, replayed.signal, replayed.failure);
  if (before !== after) {
    differences.push({ kind: "exit", message: `exit: recorded ${before}, replayed ${after}` });
  }
  if (replayed.failure !== undefined) return differences;
  differences.push(...compareStdout(recordedText(record.stdout), replayed.stdout));
  const stderr = recordedText(record.stderr);
  if (options.compareStderr && stderr !== replayed.stderr) {
    differences.push({
      kind: "stderr",
      message: `stderr: recorded ${quoteValue(stderr)}, replayed ${quoteValue(replayed.stderr)}`,
    });
  }
  return differences;
}

/** The CNI_* variables a delegate call is compared on: not CNI_PATH, which the replay sets. */
function delegateEnv(env: Iterable<[string, string]>): Map<string, string> {
  const kept = new Map<string, string>();
  for (const [name, value] of env) {
    if (name.startsWith("CNI_") && name !== "CNI_PATH") kept.set(name, value);
  }
  return kept;
}

/** "host-local ADD" for a report line: a record is a file, so control characters are masked. */
function callLabel(plugin: string, verb: string): string {
  // deno-lint-ignore no-control-regex
  const plain = (text: string) => text.replace(/[\u0000-\u001f\u007f]/g, "?").slice(0, 64);
  return `${plain(plugin)} ${plain(verb) || "(no CNI_COMMAND)"}`;
}

function callName(record: InvocationRecord, number: number): string {
  return `delegate ${callLabel(record.plugin, record.verb)} (#${number})`;
}

/** How a replayed delegate call differs from the recorded one it took the answer of. */
function compareDelegateCall(
  child: InvocationRecord,
  number: number,
  stdin: string,
  env: Map<string, string>,
): ReplayDifference[] {
  const name = callName(child, number);
  const differences: ReplayDifference[] = [];
  const recordedStdin = recordedText(child.stdin);
  if (recordedStdin !== stdin) {
    const left = tryParseJson(recordedStdin);
    const right = tryParseJson(stdin);
    if (left === undefined || right === undefined) {
      differences.push({
        kind: "delegate",
        message: `${name}: stdin: recorded ${quoteValue(recordedStdin)}, replayed ${
          quoteValue(stdin)
        }`,
      });
    } else {
      for (const change of diffJson(left, right)) {
        differences.push({
          kind: "delegate",
          message: `${name}: stdin${change.path === "" ? "" : ` ${change.path}`}: recorded ${
            quoteValue(change.left)
          }, replayed ${quoteValue(change.right)}`,
        });
      }
    }
  }
  const before = delegateEnv(Object.entries(child.env).map(([k, v]) => [k, recordedText(v)]));
  const names = [...new Set([...before.keys(), ...env.keys()])].sort();
  for (const variable of names) {
    if (before.get(variable) === env.get(variable)) continue;
    differences.push({
      kind: "delegate",
      message: `${name}: ${variable}: recorded ${quoteValue(before.get(variable))}, replayed ${
        quoteValue(env.get(variable))
      }`,
    });
  }
  return capped(differences, "delegate", name);
}

function notCalled(child: InvocationRecord, number: number): ReplayDifference {
  return { kind: "delegate", message: `${callName(child, number)}: recorded, not called` };
}

function unexpectedCall(plugin: string, verb: string): ReplayDifference {
  return {
    kind: "delegate",
    message: `delegate ${callLabel(plugin, verb)}: called, not in the recording`,
  };
}

/** The recorded answer of a delegate, as a fake program gives it. */
function answer(child: InvocationRecord): Partial<RunOutput> {
  if (child.error !== undefined) throw new Error(child.error);
  return {
    code: child.code ?? 1,
    stdout: recordedText(child.stdout),
    stderr: recordedText(child.stderr),
    ...(child.signal === null ? {} : { signal: child.signal }),
  };
}

interface Run {
  replayed: ReplayedOutcome;
  delegates: ReplayDifference[];
}

async function runInProcess(
  plugin: PluginHandlers,
  record: InvocationRecord,
  children: readonly InvocationRecord[],
  numberOf: (record: InvocationRecord) => number,
  options: ReplayOptions,
): Promise<Run> {
  const claimed = new Set<number>();
  const delegates: ReplayDifference[] = [];
  const served: Record<string, FakeProgram> = {};
  for (const name of new Set(children.map((child) => child.plugin))) {
    served[name] = (call) => {
      const verb = call.env.CNI_COMMAND ?? "";
      const k = children.findIndex((child, i) =>
        !claimed.has(i) && child.plugin === name && child.verb === verb
      );
      const child = children[k];
      if (child === undefined) {
        delegates.push(unexpectedCall(name, verb));
        return {
          code: 1,
          stdout: JSON.stringify({ code: 999, msg: "replay: not in the recording" }),
        };
      }
      claimed.add(k);
      const env = delegateEnv(Object.entries(call.env));
      delegates.push(...compareDelegateCall(child, numberOf(child), call.stdin, env));
      return answer(child);
    };
  }
  // Exactly the recorded variables: the harness's defaults that the record lacks are unset, and
  // a recorded value is passed as bytes, so an empty one stays set.
  const env: Record<string, string | Uint8Array> = {};
  for (const name of Object.keys(DEFAULT_TEST_ENV)) env[name] = "";
  for (const [name, value] of Object.entries(record.env)) env[name] = recordedBytes(value);
  let replayed: ReplayedOutcome;
  try {
    const outcome = await invoke(plugin, {
      command: "",
      env,
      config: recordedText(record.stdin),
      programs: { ...options.programs, ...served },
      ...(options.kernel === undefined ? {} : { kernel: options.kernel }),
    });
    replayed = { code: outcome.code, signal: null, stdout: outcome.stdout, stderr: outcome.stderr };
  } catch (error) {
    const why = error instanceof Error ? error.message : String(error);
    replayed = {
      code: null,
      signal: null,
      stdout: "",
      stderr: "",
      failure: `broke the protocol: ${why.slice(0, 1024)}`,
    };
  }
  for (const [k, child] of children.entries()) {
    if (!claimed.has(k)) delegates.push(notCalled(child, numberOf(child)));
  }
  return { replayed, delegates };
}

function processPath(): string | undefined {
  try {
    return Deno.env.get("PATH");
  } catch {
    return undefined;
  }
}

async function runProcess(
  path: string,
  record: InvocationRecord,
  children: readonly InvocationRecord[],
  numberOf: (record: InvocationRecord) => number,
  options: ReplayOptions,
): Promise<Run> {
  const served = await serveDelegates(children);
  try {
    // Deno passes only text to a child: a value that is not UTF-8 arrives with U+FFFD.
    const env: Record<string, string> = {};
    for (const [name, value] of Object.entries(record.env)) env[name] = recordedText(value);
    if ("CNI_PATH" in env) env.CNI_PATH = served.cniPath;
    const systemPath = processPath();
    if (systemPath !== undefined && !("PATH" in env)) env.PATH = systemPath;
    const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    let replayed: ReplayedOutcome;
    try {
      const output = await denoHost().run(path, record.args, {
        env,
        clearEnv: true,
        stdin: recordedBytes(record.stdin),
        timeoutMs,
      });
      replayed = {
        code: output.signal === undefined ? output.code : null,
        signal: output.signal ?? null,
        stdout: output.stdout,
        stderr: output.stderr,
        ...(output.timedOut ? { failure: `still running after ${timeoutMs} ms` } : {}),
      };
    } catch (error) {
      const why = error instanceof Error ? error.message : String(error);
      replayed = {
        code: null,
        signal: null,
        stdout: "",
        stderr: "",
        failure: `not started: ${why}`,
      };
    }
    const delegates: ReplayDifference[] = [];
    const claimed = await served.claimed();
    const text = new TextDecoder();
    const envOf = (call: ServedCall) =>
      delegateEnv([...call.env].map(([name, value]) => [name, text.decode(value)]));
    for (const [k, child] of children.entries()) {
      const call = claimed.get(k);
      delegates.push(
        ...(call === undefined
          ? [notCalled(child, numberOf(child))]
          : compareDelegateCall(child, numberOf(child), text.decode(call.stdin), envOf(call))),
      );
    }
    for (const call of await served.unmatched()) {
      const verb = call.env.get("CNI_COMMAND");
      delegates.push(unexpectedCall(call.plugin, verb === undefined ? "" : text.decode(verb)));
    }
    return { replayed, delegates };
  } finally {
    await served.remove();
  }
}

/** A model kernel with a namespace at every absolute CNI_NETNS the invocations name. */
function kernelFor(records: readonly InvocationRecord[]): TestKernel {
  const kernel = modelKernel();
  for (const record of records) {
    const netns = record.env.CNI_NETNS;
    const path = typeof netns === "string" ? netns : undefined;
    if (path?.startsWith("/") && kernel.namespacePathKind(path) === "missing") {
      kernel.addNamespace(path);
    }
  }
  return kernel;
}

/**
 * Runs recorded invocations again against a plugin and reports what differs from the record.
 *
 * Each replayed invocation gets the recorded CNI_* and DENO_CNI_* variables (exactly those),
 * arguments and stdin. The invocations it delegated to (recorded nested under it) are served in
 * place of the delegates: a call takes the next unclaimed recorded call of that plugin and verb
 * and gets its recorded answer; a call with no recorded answer gets an error object, and a
 * recorded call that was not made is reported.
 *
 * In-process, a byte of stdin or of a variable that is not UTF-8 reaches the plugin exactly as a
 * real run would read it. An executable runs with the recorded variables, `PATH`, and CNI_PATH
 * pointing at the served delegates; Deno passes only text to a process, so a recorded value that
 * is not UTF-8 reaches it with U+FFFD in place of the bad bytes (stdin is exact).
 *
 * @param target a plugin from `definePlugin` (in-process), or an executable's path or file URL
 * @param source a recording (its directory, or a file of records) or the records themselves
 * @param options which invocations, extra fake programs, stderr comparison, time limit
 * @returns the report: every replayed invocation and its differences
 * @throws {RecordingError} when a record file is not a record
 * @throws {Error} when the target has no name and neither `plugin` nor `only` says what to replay
 */
export async function replay(
  target: ReplayTarget,
  source: RecordingSource,
  options: ReplayOptions = {},
): Promise<ReplayReport> {
  const fromFiles = typeof source === "string" || source instanceof URL;
  const records = fromFiles ? await loadRecording(source) : sortRecords(source);
  const numbers = new Map(records.map((record, i) => [record.id, i + 1]));
  const numberOf = (record: InvocationRecord) => numbers.get(record.id) ?? 0;
  const name = options.plugin ?? targetName(target);
  let selected: InvocationRecord[];
  if (options.only !== undefined) {
    const wanted = typeof options.only === "number" || typeof options.only === "string"
      ? [options.only]
      : options.only;
    selected = sortRecords(wanted.map((which) => findInvocation(records, which)));
  } else if (name !== undefined) {
    selected = records.filter((record) => record.plugin === name);
  } else {
    throw new Error("replay: say which invocations to replay with the plugin or only option");
  }
  const kernel = isPath(target) ? undefined : options.kernel ?? kernelFor(selected);
  const invocations: ReplayedInvocation[] = [];
  for (const record of selected) {
    const children = records.filter((child) => child.parent === record.id);
    const run = isPath(target)
      ? await runProcess(pathOf(target), record, children, numberOf, options)
      : await runInProcess(target, record, children, numberOf, { ...options, kernel: kernel! });
    invocations.push({
      number: numberOf(record),
      record,
      replayed: run.replayed,
      differences: [...compareOutcome(record, run.replayed, options), ...run.delegates],
    });
  }
  return {
    target: isPath(target)
      ? pathOf(target)
      : name === undefined
      ? "the plugin"
      : `the plugin ${JSON.stringify(name)}`,
    source: fromFiles ? pathOf(source) : "the records given",
    invocations,
    differences: invocations.reduce((sum, item) => sum + item.differences.length, 0),
  };
}

function invocationLine(item: ReplayedInvocation): string {
  const { record } = item;
  const container = record.env.CNI_CONTAINERID;
  const parts = [
    `#${item.number} ${callLabel(record.plugin, record.verb)}`,
    ...(container === undefined ? [] : [`container ${quoteValue(recordedText(container), 40)}`]),
    `started ${record.start}`,
  ];
  return parts.join(", ");
}

/**
 * A report as text: a summary line, then one line per replayed invocation followed by its
 * differences, indented.
 *
 * @param report what {@link replay} returned
 * @returns the text, ending in a newline
 */
export function formatReport(report: ReplayReport): string {
  const count = report.invocations.length;
  const differing = report.invocations.filter((item) => item.differences.length > 0).length;
  const lines = [
    `replay of ${count} invocation${count === 1 ? "" : "s"} from ${report.source} against ` +
    `${report.target}: ${
      differing === 0 ? "no differences" : `${differing} differ${differing === 1 ? "s" : ""}`
    }`,
  ];
  for (const item of report.invocations) {
    const verdict = item.differences.length === 0 ? "same" : "differs";
    lines.push(`  ${invocationLine(item)}: ${verdict}`);
    for (const difference of item.differences) lines.push(`    ${difference.message}`);
  }
  return lines.join("\n") + "\n";
}

/**
 * {@link replay}, failing when anything differs or nothing was replayed: for tests. The error's
 * message is the report ({@link formatReport}).
 *
 * @param target a plugin from `definePlugin`, or an executable's path
 * @param source a recording, or the records
 * @param options as for {@link replay}
 * @returns the report, when every replayed invocation matched its record
 * @throws {Error} with the report when an invocation differs or none was replayed
 *
 * @example An extracted invocation as a test
 * ```ts ignore
 * import { assertReplay } from "@deno-cni/deno-cni/testing";
 * import { samplePlugin } from "../main.ts";
 *
 * Deno.test("the ADD containerd sent on 3 May", async () => {
 *   await assertReplay(samplePlugin, new URL("testdata/add-3-may.json", import.meta.url));
 * });
 * ```
 */
export async function assertReplay(
  target: ReplayTarget,
  source: RecordingSource,
  options: ReplayOptions = {},
): Promise<ReplayReport> {
  const report = await replay(target, source, options);
  if (report.invocations.length === 0) {
    throw new Error(
      `replay: nothing to replay: ${report.source} has no invocation of ` +
        `${options.plugin === undefined ? report.target : JSON.stringify(options.plugin)}`,
    );
  }
  if (report.differences > 0) throw new Error(formatReport(report));
  return report;
}
