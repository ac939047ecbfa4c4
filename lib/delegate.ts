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
import { DecodeError, field, isJsonObject, optionalInteger, optionalString } from "./_decode.ts";
import { goQuote, goQuoteCapped } from "./_go_quote.ts";
import { configVersionOf, parseJson } from "./config.ts";
import { convertToCurrent } from "./convert.ts";
import { splitCniPath } from "./env.ts";
import { CniError } from "./errors.ts";
import { DEFAULT_TIMEOUT_MS, type Host, type RunOutput, tryWriteStderr } from "./host.ts";
import { decodeResult } from "./result.ts";
import type { UndoAction } from "./skel.ts";
import type { AnyResult, Result100 } from "./types.ts";

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

/** Joins a directory and a name like Go's filepath.Join: "" stays relative, the result is clean. */
function joinPath(dir: string, name: string): string {
  const joined = dir === "" ? name : `${dir}/${name}`;
  const absolute = joined.startsWith("/");
  const parts: string[] = [];
  for (const part of joined.split("/")) {
    if (part === "" || part === ".") continue;
    if (part === ".." && parts.length > 0 && parts[parts.length - 1] !== "..") parts.pop();
    else if (part !== ".." || !absolute) parts.push(part);
  }
  const path = (absolute ? "/" : "") + parts.join("/");
  return path === "" ? "." : path;
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

const SIGNAL_NAMES: Readonly<Record<string, string>> = {
  SIGKILL: "killed",
  SIGTERM: "terminated",
  SIGINT: "interrupt",
  SIGSEGV: "segmentation fault",
  SIGABRT: "aborted",
  SIGPIPE: "broken pipe",
};

/** Go's text for how a process ended ("exit status 1", "signal: killed"). */
function exitText(output: RunOutput): string {
  if (output.signal === undefined) return `exit status ${output.code}`;
  return `signal: ${SIGNAL_NAMES[output.signal] ?? output.signal}`;
}

/**
 * The error a failed delegate stands for (as the reference's invoke package reads it): its error
 * object on stdout, passed through unchanged; otherwise a code 0 error describing the failure,
 * quoting at most 1 KiB of its output.
 *
 * @param output what the delegate left behind
 * @param timeoutMs its time limit, named when it ran out
 */
export function delegateFailure(output: RunOutput, timeoutMs: number): CniError {
  if (output.timedOut) {
    return new CniError(
      0,
      `netplugin failed: no answer within ${timeoutMs} ms, its process group was killed`,
    );
  }
  const how = exitText(output);
  if (output.stdout === "") {
    return new CniError(
      0,
      output.stderr === ""
        ? `netplugin failed with no error message: ${how}`
        : `netplugin failed: ${
          goQuoteCapped(output.stderr, undefined, output.droppedBytes)
        }: ${how}`,
    );
  }
  try {
    const parsed = parseJson(output.stdout);
    if (parsed === null) return new CniError(0, "");
    if (!isJsonObject(parsed)) {
      throw new DecodeError(
        `json: cannot unmarshal ${Array.isArray(parsed) ? "array" : typeof parsed} ` +
          "into Go value of type types.Error",
      );
    }
    const at = (key: string) => ({ struct: "Error", path: key });
    const code = optionalInteger(field(parsed, "code"), at("code")) ?? 0;
    if (code < 0) {
      throw new DecodeError(
        `json: cannot unmarshal number ${code} into Go struct field Error.code of type uint`,
      );
    }
    return new CniError(
      code,
      optionalString(field(parsed, "msg"), at("msg")) ?? "",
      optionalString(field(parsed, "details"), at("details")) ?? "",
    );
  } catch (error) {
    if (!(error instanceof DecodeError)) throw error;
    return new CniError(
      0,
      `netplugin failed but error parsing its diagnostic message ${
        goQuoteCapped(output.stdout, undefined, output.droppedBytes)
      }: ${error.message}`,
    );
  }
}

/** How many more times a start failing with "text file busy" is tried (reference: 5, 1 s apart). */
const BUSY_RETRIES = 5;

/**
 * Finds and runs a delegate for one verb. Returns its stdout on success (its stderr is passed on
 * to the caller's stderr, best-effort); throws the delegate's error otherwise.
 */
async function runDelegate(
  verb: string,
  pluginType: string,
  stdin: string,
  options: DelegateOptions,
): Promise<string> {
  const { host } = options;
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const path = await findInPath(pluginType, splitCniPath(options.cniPath), host);
  const runOptions = { env: { ...options.env, CNI_COMMAND: verb }, stdin, timeoutMs };
  for (let attempt = 0;; attempt++) {
    let output: RunOutput;
    try {
      output = await host.run(path, [], runOptions);
    } catch (error) {
      if (error instanceof CniError) throw error;
      const message = error instanceof Error ? error.message : String(error);
      if (/text file busy/i.test(message) && attempt < BUSY_RETRIES) {
        await host.sleep(1000);
        continue;
      }
      throw new CniError(0, `netplugin failed with no error message: ${message}`);
    }
    if (output.code !== 0 || output.signal !== undefined || output.timedOut) {
      throw delegateFailure(output, timeoutMs);
    }
    if (output.stderr !== "") await tryWriteStderr(host, output.stderr);
    return output.stdout;
  }
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
  let raw: unknown;
  try {
    raw = parseJson(stdout);
  } catch (error) {
    throw new Error(
      `failed to unmarshal raw result: ${(error as Error).message} result ${goQuoteCapped(stdout)}`,
    );
  }
  if (raw === null) raw = {};
  if (!isJsonObject(raw)) {
    const kind = Array.isArray(raw) ? "array" : typeof raw;
    throw new Error(
      `failed to unmarshal raw result: json: cannot unmarshal ${kind} into Go value of type ` +
        `map[string]interface {} result ${goQuoteCapped(stdout)}`,
    );
  }
  const own = raw["cniVersion"];
  let version: string;
  if (typeof own === "string" && own !== "") {
    version = own;
  } else {
    let document: unknown = null;
    try {
      document = parseJson(config);
    } catch {
      // Not JSON: the default version.
    }
    version = configVersionOf(document);
    raw = { ...raw, cniVersion: version };
  }
  try {
    return decodeResult(version, raw);
  } catch (error) {
    if (error instanceof DecodeError) throw new Error(error.message);
    throw error;
  }
}

/**
 * Runs ADD on a delegate (the reference's `DelegateAdd`) and returns its result, parsed in its
 * own version (see {@link parseDelegateResult}). Prefer a context's `delegate.add`, which also
 * releases the delegate when the verb fails later.
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
  return parseDelegateResult(await runDelegate("ADD", pluginType, stdin, options), stdin);
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
   * throw, or an answer that cannot be written), the delegate gets a DEL with the same stdin.
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
      const stdout = await runDelegate("ADD", pluginType, input, options);
      options.onFailure?.(() => delegateDel(pluginType, input, options));
      return convertToCurrent(parseDelegateResult(stdout, input));
    },
    check: (pluginType, stdin) => delegateCheck(pluginType, stdinOf(stdin), options),
    del: (pluginType, stdin) => delegateDel(pluginType, stdinOf(stdin), options),
    gc: (pluginType, stdin) => delegateGc(pluginType, stdinOf(stdin), options),
    status: (pluginType, stdin) => delegateStatus(pluginType, stdinOf(stdin), options),
  };
}
