/**
 * Delegation (spec "Section 4: Plugin Delegation"): a plugin runs another plugin, normally an IPAM
 * plugin, found by name in CNI_PATH, with the caller's environment and only CNI_COMMAND changed,
 * the configuration on stdin and a time limit.
 *
 * A plugin made with `definePlugin` delegates through its context's `delegate`, which is
 * {@link delegator} bound to the invocation. The functions here are the same steps for code
 * written on the low-level protocol. Processes run through the {@link Host}, so a test's fake
 * host stands in for the delegate.
 *
 * @example A delegated ADD with a fake host
 * ```ts
 * import assert from "node:assert/strict";
 * import { delegator } from "./delegate.ts";
 * import { fakeHost } from "./testing.ts";
 *
 * const host = fakeHost({
 *   programs: { "host-local": () => '{"cniVersion":"1.0.0","ips":[{"address":"10.1.0.5/24"}]}' },
 * });
 * const delegate = delegator({ host, cniPath: "/opt/cni/bin", stdin: '{"cniVersion":"1.0.0"}' });
 * const result = await delegate.add("host-local");
 * assert.deepEqual(result.ips, [{ address: "10.1.0.5/24" }]);
 * assert.equal(host.runs[0]?.program, "/opt/cni/bin/host-local");
 * assert.equal(host.runs[0]?.env.CNI_COMMAND, "ADD");
 * ```
 *
 * @module
 */
import { DecodeError } from "./_decode.ts";
import { goQuote } from "./_go_quote.ts";
import { joinPath } from "./_paths.ts";
import { pluginFailure } from "./_plugin_failure.ts";
import { parsePluginResult, startPlugin } from "./_plugin_run.ts";
import { noteStart } from "./_program_starts.ts";
import { configVersionOf, parseJson } from "./config.ts";
import { convertToCurrent } from "./convert.ts";
import { splitCniPath } from "./env.ts";
import { CniError } from "./errors.ts";
import {
  DEFAULT_TIMEOUT_MS,
  type Host,
  MAX_OUTPUT_BYTES,
  type RunOutput,
  timerDelay,
  tryWriteStderr,
} from "./host.ts";
import type { UndoAction } from "./skel.ts";
import type { AnyResult, Result100 } from "./types.ts";

export { pluginFailure } from "./_plugin_failure.ts";

/** How a delegate is found and run. */
export interface DelegateOptions {
  /** The process: delegates run through its `run`. */
  host: Host;
  /**
   * CNI_PATH: the directories to search, ":"-separated. The reference reads the process's
   * CNI_PATH; the dispatcher passes that same value to the handler.
   */
  cniPath: string;
  /** How long the delegate may run; default {@link DEFAULT_TIMEOUT_MS}. */
  timeoutMs?: number;
  /**
   * Variables set for the delegate on top of the caller's environment (CNI_COMMAND is always the
   * delegated verb). A plugin context passes its invocation's CNI_* variables, which in a real
   * run equal the process's own, so a run in the test harness delegates with the test's.
   */
  env?: Readonly<Record<string, string>>;
}

/**
 * Finds a plugin by name (the reference's `FindInPath`): the first `<dir>/<name>` that is a
 * regular file, directories tried in order; the execute bit is not checked. A name with a path
 * separator is refused, so a configuration can never point at an arbitrary file.
 *
 * @param name the plugin's name, e.g. a configuration's `ipam.type`
 * @param paths the directories to search
 * @param host tells regular files
 * @returns the plugin's path
 * @throws {Error} "no plugin name provided", "invalid plugin name: <name>", "no paths provided",
 * or `failed to find plugin "<name>" in path [<dir> ...]` (plain errors: code 999)
 */
export async function findInPath(
  name: string,
  paths: readonly string[],
  host: Pick<Host, "isFile">,
): Promise<string> {
  if (name === "") throw new Error("no plugin name provided");
  if (name.includes("/")) throw new Error(`invalid plugin name: ${name}`);
  if (paths.length === 0) throw new Error("no paths provided");
  for (const dir of paths) {
    const candidate = joinPath(dir, name);
    if (await host.isFile(candidate)) return candidate;
  }
  throw new Error(`failed to find plugin ${goQuote(name)} in path [${paths.join(" ")}]`);
}

/**
 * Finds and runs a delegate for one verb. Returns what it left behind on success (its stderr is
 * passed on to the caller's stderr, best-effort); throws the delegate's error otherwise.
 * `started` is called once the delegate runs, before its outcome is known.
 */
async function runDelegate(
  verb: string,
  pluginType: string,
  stdin: string,
  options: DelegateOptions,
  started?: () => void,
): Promise<RunOutput> {
  const { host } = options;
  const timeoutMs = timerDelay(options.timeoutMs ?? DEFAULT_TIMEOUT_MS);
  // On its way until it runs (its input then is the host's to note) or cannot.
  let running = () => {};
  noteStart(new Promise<void>((resolve) => (running = resolve)));
  let output: RunOutput | { startError: string };
  try {
    const path = await findInPath(pluginType, splitCniPath(options.cniPath), host);
    const env = { ...options.env, CNI_COMMAND: verb };
    output = await startPlugin(host, path, { env, stdin, timeoutMs, onStart: running });
  } finally {
    running();
  }
  if ("startError" in output) {
    throw new CniError(0, `netplugin failed with no error message: ${output.startError}`);
  }
  started?.();
  if (output.code !== 0 || output.signal !== undefined || output.timedOut) {
    throw pluginFailure(output, timeoutMs);
  }
  if (output.stderr !== "") await tryWriteStderr(host, output.stderr);
  return output;
}

/** The ADD result a delegate printed, refused when the host cut it at its limit. */
function resultText(pluginType: string, output: RunOutput): string {
  if (output.stdoutTruncated) {
    throw new Error(
      `the result of ${goQuote(pluginType)} is too large: more than ${MAX_OUTPUT_BYTES} bytes ` +
        "(16 MiB), the most a run keeps",
    );
  }
  return output.stdout;
}

/**
 * Reads a delegate's ADD output: in the delegate's own `cniVersion` when it has a non-empty one,
 * else in the caller's configuration version, so the result may belong to any family.
 *
 * @param stdout what the delegate printed
 * @param config the configuration the delegate was given (for its `cniVersion`)
 * @throws {Error} when stdout is not a result of that version (code 999)
 */
export function parseDelegateResult(stdout: string, config: string): AnyResult {
  let document: unknown = null;
  try {
    document = parseJson(config);
  } catch {
    // Not JSON: the default version.
  }
  try {
    return parsePluginResult(stdout, configVersionOf(document));
  } catch (error) {
    if (error instanceof DecodeError) throw new Error(error.message);
    throw error;
  }
}

/**
 * Runs ADD on a delegate (the reference's `DelegateAdd`) and returns its result, parsed in its
 * own version (see {@link parseDelegateResult}). Prefer a context's `delegate.add`, which also
 * releases the delegate with a DEL when the ADD fails after it started, or the verb fails later.
 * A result cut at the host's 16 MiB limit is refused as too large.
 *
 * @param pluginType the delegate's name, e.g. the configuration's `ipam.type`
 * @param stdin the configuration for the delegate, normally the caller's whole stdin
 * @throws {CniError} the delegate's own error object, unchanged, or code 0 when it failed without
 * one
 * @throws {Error} when the delegate cannot be found or its result does not parse (code 999)
 */
export async function delegateAdd(
  pluginType: string,
  stdin: string,
  options: DelegateOptions,
): Promise<AnyResult> {
  const output = await runDelegate("ADD", pluginType, stdin, options);
  return parseDelegateResult(resultText(pluginType, output), stdin);
}

/**
 * Runs CHECK on a delegate (the reference's `DelegateCheck`).
 *
 * @throws {CniError} the delegate's error object unchanged, or code 0
 * @throws {Error} when the delegate cannot be found
 */
export async function delegateCheck(
  pluginType: string,
  stdin: string,
  options: DelegateOptions,
): Promise<void> {
  await runDelegate("CHECK", pluginType, stdin, options);
}

/**
 * Runs DEL on a delegate (the reference's `DelegateDel`).
 *
 * @throws {CniError} the delegate's error object unchanged, or code 0
 * @throws {Error} when the delegate cannot be found
 */
export async function delegateDel(
  pluginType: string,
  stdin: string,
  options: DelegateOptions,
): Promise<void> {
  await runDelegate("DEL", pluginType, stdin, options);
}

/**
 * Runs GC on a delegate (the reference's `DelegateGC`, spec 1.1.0): stdin should carry the
 * caller's `cni.dev/valid-attachments`, as the caller's own stdin does.
 *
 * @throws {CniError} the delegate's error object unchanged, or code 0
 * @throws {Error} when the delegate cannot be found
 */
export async function delegateGc(
  pluginType: string,
  stdin: string,
  options: DelegateOptions,
): Promise<void> {
  await runDelegate("GC", pluginType, stdin, options);
}

/**
 * Runs STATUS on a delegate (the reference's `DelegateStatus`, spec 1.1.0).
 *
 * @throws {CniError} the delegate's error object unchanged (normally code 50 or 51), or code 0
 * @throws {Error} when the delegate cannot be found
 */
export async function delegateStatus(
  pluginType: string,
  stdin: string,
  options: DelegateOptions,
): Promise<void> {
  await runDelegate("STATUS", pluginType, stdin, options);
}

/** Delegation bound to one invocation: what a plugin context's `delegate` is. */
export interface Delegator {
  /**
   * ADD on the delegate; its result converted to the newest shape. When the verb fails later (a
   * throw, or an answer that cannot be written), the delegate gets a DEL with the same stdin. An
   * ADD that ran and failed (an error, a crash, the time limit) may have reserved something
   * before it stopped: it is followed at once by a DEL with the same stdin, before its error is
   * thrown.
   */
  add(pluginType: string, stdin?: string): Promise<Result100>;
  /** CHECK on the delegate. */
  check(pluginType: string, stdin?: string): Promise<void>;
  /** DEL on the delegate. */
  del(pluginType: string, stdin?: string): Promise<void>;
  /** GC on the delegate (spec 1.1.0). */
  gc(pluginType: string, stdin?: string): Promise<void>;
  /** STATUS on the delegate (spec 1.1.0). */
  status(pluginType: string, stdin?: string): Promise<void>;
}

/**
 * The DEL that follows a delegated ADD that ran and failed (spec "Section 2: Execution
 * Protocol": a failed ADD is cleaned up with a DEL). Its own failure goes to stderr: the ADD's
 * error is the one to report.
 */
async function releaseFailedAdd(
  pluginType: string,
  stdin: string,
  options: DelegateOptions,
): Promise<void> {
  try {
    await delegateDel(pluginType, stdin, options);
  } catch (error) {
    const why = error instanceof Error ? error.message : String(error);
    await tryWriteStderr(
      options.host,
      `releasing the failed ADD of ${goQuote(pluginType)} failed too: ${why}\n`,
    );
  }
}

/** What {@link delegator} binds. */
export interface DelegatorOptions extends DelegateOptions {
  /** The stdin a delegate gets when a call names none: normally the caller's own stdin. */
  stdin: string;
  /** Registers the release of a delegated ADD, run when the verb fails. */
  onFailure?: (action: UndoAction) => void;
}

/**
 * Delegation bound to an invocation's host, CNI_PATH, environment, stdin and time limit.
 *
 * @param options what every call shares
 * @returns the bound delegate helpers
 */
export function delegator(options: DelegatorOptions): Delegator {
  const stdinOf = (stdin: string | undefined) => stdin ?? options.stdin;
  return {
    async add(pluginType, stdin) {
      const input = stdinOf(stdin);
      let ran = false;
      let output: RunOutput;
      try {
        output = await runDelegate("ADD", pluginType, input, options, () => ran = true);
      } catch (error) {
        if (ran) await releaseFailedAdd(pluginType, input, options);
        throw error;
      }
      options.onFailure?.(() => delegateDel(pluginType, input, options));
      return convertToCurrent(parseDelegateResult(resultText(pluginType, output), input));
    },
    check: (pluginType, stdin) => delegateCheck(pluginType, stdinOf(stdin), options),
    del: (pluginType, stdin) => delegateDel(pluginType, stdinOf(stdin), options),
    gc: (pluginType, stdin) => delegateGc(pluginType, stdinOf(stdin), options),
    status: (pluginType, stdin) => delegateStatus(pluginType, stdinOf(stdin), options),
  };
}
