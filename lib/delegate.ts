/**
 * Delegation (spec §"Delegated plugins", reference notes D1-D4 and X4): a plugin runs another
 * plugin, normally an IPAM plugin, found by name in CNI_PATH, with the caller's environment and
 * only CNI_COMMAND changed, the configuration on stdin and a time limit.
 *
 * The logic here is pure: processes and files sit behind {@link DelegateExec}, and
 * {@link denoDelegateExec} is its Deno implementation.
 *
 * @module
 */
import { DecodeError, field, isJsonObject, optionalInteger, optionalString } from "./_decode.ts";
import { goQuote } from "./_go_quote.ts";
import { configVersionOf, parseJson } from "./config.ts";
import { splitCniPath } from "./env.ts";
import { CniError } from "./errors.ts";
import { decodeResult } from "./result.ts";
import type { AnyResult } from "./types.ts";

/** How one child process is run. */
export interface DelegateRunOptions {
  /** Variables set on top of the caller's own environment, which the child inherits. */
  env: Record<string, string>;
  /** The bytes for the child's stdin. */
  stdin: string | Uint8Array;
  /** The child is killed once it has run this long. */
  timeoutMs: number;
}

/** What a finished child process left behind. */
export interface DelegateRunOutput {
  /** The exit status (meaningless when `signal` is set). */
  code: number;
  /** The signal that ended the child, e.g. "SIGKILL"; absent when it exited. */
  signal?: string;
  /** True when the child was killed because it outlived `timeoutMs`. */
  timedOut?: boolean;
  stdout: string;
  stderr: string;
}

/** The process and file access delegation needs; tests pass fakes. */
export interface DelegateExec {
  /**
   * Runs `path` with `args` to completion. Throws only when the program cannot be started at all
   * (missing, not executable, "text file busy", not permitted).
   */
  run(
    path: string,
    args: readonly string[],
    options: DelegateRunOptions,
  ): Promise<DelegateRunOutput>;
  /** True when `path` is a regular file (following symlinks). */
  isFile(path: string): Promise<boolean>;
  /** Passes a delegate's stderr on to the caller's stderr. */
  writeStderr(text: string): void | Promise<void>;
  /** Waits before retrying a start that failed with "text file busy". */
  sleep?(ms: number): Promise<void>;
}

/** The default time limit of a delegate: one minute. */
export const DEFAULT_DELEGATE_TIMEOUT_MS = 60_000;

/** Options of the delegate helpers. */
export interface DelegateOptions {
  /**
   * CNI_PATH: the directories to search, ":"-separated, as the invocation's `path` holds it. The
   * reference reads the process's CNI_PATH; skel passes that same value to the handler.
   */
  cniPath: string;
  /** How processes run; default {@link denoDelegateExec}. */
  exec?: DelegateExec;
  /** How long the delegate may run; default {@link DEFAULT_DELEGATE_TIMEOUT_MS}. */
  timeoutMs?: number;
  /**
   * Variables set for the delegate on top of the caller's environment (CNI_COMMAND is always the
   * delegated verb). A plugin context passes its invocation's CNI_* variables here, which in a
   * real run equal the process's own, so an in-process test run delegates with the test's.
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
 * Finds a plugin by name (reference `FindInPath`, D1): the first `<dir>/<name>` that is a regular
 * file, directories tried in order; the execute bit is not checked. A name with a path separator
 * is refused, so a configuration can never point at an arbitrary file.
 *
 * @param name the plugin's name, e.g. a configuration's `ipam.type`
 * @param paths the directories to search
 * @param options.isFile how to test for a regular file
 * @returns the plugin's path
 * @throws {Error} "no plugin name provided", "invalid plugin name: <name>", "no paths provided",
 * or `failed to find plugin "<name>" in path [<dir> ...]` (plain errors: code 999 under skel)
 */
export async function findInPath(
  name: string,
  paths: readonly string[],
  options: Pick<DelegateExec, "isFile">,
): Promise<string> {
  if (name === "") throw new Error("no plugin name provided");
  if (name.includes("/")) throw new Error(`invalid plugin name: ${name}`);
  if (paths.length === 0) throw new Error("no paths provided");
  for (const dir of paths) {
    const candidate = joinPath(dir, name);
    if (await options.isFile(candidate)) return candidate;
  }
  throw new Error(`failed to find plugin ${goQuote(name)} in path [${paths.join(" ")}]`);
}

/** Go's text for how a process ended ("exit status 1", "signal: killed"). */
function exitText(output: DelegateRunOutput, timeoutMs: number): string {
  if (output.timedOut) return `timed out after ${timeoutMs} ms`;
  if (output.signal === undefined) return `exit status ${output.code}`;
  const names: Record<string, string> = {
    SIGKILL: "killed",
    SIGTERM: "terminated",
    SIGINT: "interrupt",
    SIGSEGV: "segmentation fault",
    SIGABRT: "aborted",
    SIGPIPE: "broken pipe",
  };
  return `signal: ${names[output.signal] ?? output.signal}`;
}

/**
 * The error a failed delegate stands for (reference `pluginErr`, X4): its error object on stdout,
 * passed through unchanged; otherwise a code 0 error describing the failure.
 */
export function delegateFailure(output: DelegateRunOutput, timeoutMs: number): CniError {
  const how = exitText(output, timeoutMs);
  if (output.stdout === "") {
    return new CniError(
      0,
      output.stderr === ""
        ? `netplugin failed with no error message: ${how}`
        : `netplugin failed: ${goQuote(output.stderr)}: ${how}`,
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
      `netplugin failed but error parsing its diagnostic message ${goQuote(output.stdout)}: ` +
        error.message,
    );
  }
}

/** How many more times a start failing with "text file busy" is tried (reference: 5, 1 s apart). */
const BUSY_RETRIES = 5;

/**
 * Finds and runs a delegate for one verb. Returns its stdout on success (its stderr is passed on
 * to the caller's stderr); throws the delegate's error otherwise.
 */
async function runDelegate(
  verb: string,
  pluginType: string,
  stdin: string | Uint8Array,
  options: DelegateOptions,
): Promise<string> {
  const exec = options.exec ?? denoDelegateExec();
  const timeoutMs = options.timeoutMs ?? DEFAULT_DELEGATE_TIMEOUT_MS;
  const path = await findInPath(pluginType, splitCniPath(options.cniPath), exec);
  const runOptions = { env: { ...options.env, CNI_COMMAND: verb }, stdin, timeoutMs };
  for (let attempt = 0;; attempt++) {
    let output: DelegateRunOutput;
    try {
      output = await exec.run(path, [], runOptions);
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      if (/text file busy/i.test(message) && attempt < BUSY_RETRIES) {
        await (exec.sleep ?? defaultSleep)(1000);
        continue;
      }
      throw new CniError(0, `netplugin failed with no error message: ${message}`);
    }
    if (output.code !== 0 || output.signal !== undefined || output.timedOut) {
      throw delegateFailure(output, timeoutMs);
    }
    if (output.stderr !== "") await exec.writeStderr(output.stderr);
    return output.stdout;
  }
}

function defaultSleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/**
 * Reads a delegate's ADD output (D3): in the delegate's own `cniVersion` when it has a non-empty
 * one, else in the caller's configuration version, so the result may belong to any family.
 *
 * @param stdout what the delegate printed
 * @param config the configuration the delegate was given (for its `cniVersion`)
 * @throws {Error} when stdout is not a result of that version
 */
export function parseDelegateResult(stdout: string, config: string | Uint8Array): AnyResult {
  let raw: unknown;
  try {
    raw = parseJson(stdout);
  } catch (error) {
    throw new Error(`failed to unmarshal raw result: ${(error as Error).message} result ${stdout}`);
  }
  if (raw === null) raw = {};
  if (!isJsonObject(raw)) {
    const kind = Array.isArray(raw) ? "array" : typeof raw;
    throw new Error(
      `failed to unmarshal raw result: json: cannot unmarshal ${kind} into Go value of type ` +
        `map[string]interface {} result ${stdout}`,
    );
  }
  const own = raw["cniVersion"];
  let version: string;
  if (typeof own === "string" && own !== "") {
    version = own;
  } else {
    const text = typeof config === "string" ? config : new TextDecoder().decode(config);
    version = configVersionOf(parseJson(text)) || "0.1.0";
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
 * Runs ADD on a delegate (reference `DelegateAdd`) and returns its result, parsed in its own
 * version (see {@link parseDelegateResult}). Callers normally convert it with `convertResult`.
 *
 * If what the caller does with the result can fail, use {@link withDelegatedAdd}, which releases
 * the delegate again.
 *
 * @param pluginType the delegate's name, e.g. the configuration's `ipam.type`
 * @param stdin the configuration for the delegate, normally the caller's whole stdin
 * @throws {CniError} the delegate's own error object, unchanged, or code 0 when it failed without
 * one (X4)
 * @throws {Error} when the delegate cannot be found (D1) or its result does not parse
 *
 * @example With a fake exec in place of processes
 * ```ts
 * import assert from "node:assert/strict";
 * import { delegateAdd, type DelegateExec } from "./delegate.ts";
 *
 * const exec: DelegateExec = {
 *   isFile: (path) => Promise.resolve(path === "/opt/cni/bin/host-local"),
 *   run: () =>
 *     Promise.resolve({
 *       code: 0,
 *       stdout: '{"cniVersion":"1.0.0","ips":[{"address":"10.1.0.5/24"}]}',
 *       stderr: "",
 *     }),
 *   writeStderr: () => {},
 * };
 * const result = await delegateAdd("host-local", '{"cniVersion":"1.0.0","name":"n"}', {
 *   cniPath: "/opt/cni/bin",
 *   exec,
 * });
 * assert.deepEqual(result, { cniVersion: "1.0.0", ips: [{ address: "10.1.0.5/24" }] });
 * ```
 */
export async function delegateAdd(
  pluginType: string,
  stdin: string | Uint8Array,
  options: DelegateOptions,
): Promise<AnyResult> {
  return parseDelegateResult(await runDelegate("ADD", pluginType, stdin, options), stdin);
}

/** Options of {@link withDelegatedAdd}. */
export interface DelegatedAddOptions<T> extends DelegateOptions {
  /** What to do with the delegate's result; if it throws, the delegate is released (DEL). */
  use: (result: AnyResult) => T | Promise<T>;
}

/**
 * Runs ADD on a delegate and then `options.use` with its result. When anything after the
 * delegate's success fails (its result does not parse, or `use` throws), the delegate gets a DEL
 * with the same stdin before the error is thrown on (spec: "if a delegated ADD fails, the upper
 * plugin should run the delegate's DEL"). A failing DEL is reported on stderr and does not hide
 * the first error.
 *
 * @param pluginType the delegate's name
 * @param stdin the configuration for the delegate
 * @returns what `use` returns
 * @throws what {@link delegateAdd} throws, or what `use` throws, unchanged
 */
export async function withDelegatedAdd<T>(
  pluginType: string,
  stdin: string | Uint8Array,
  options: DelegatedAddOptions<T>,
): Promise<T> {
  const stdout = await runDelegate("ADD", pluginType, stdin, options);
  try {
    return await options.use(parseDelegateResult(stdout, stdin));
  } catch (error) {
    try {
      await runDelegate("DEL", pluginType, stdin, options);
    } catch (release) {
      const exec = options.exec ?? denoDelegateExec();
      const why = release instanceof Error ? release.message : String(release);
      await exec.writeStderr(`releasing ${pluginType} after a failed ADD failed too: ${why}\n`);
    }
    throw error;
  }
}

/**
 * Runs CHECK on a delegate (reference `DelegateCheck`).
 *
 * @throws {CniError} the delegate's error object unchanged, or code 0 (X4)
 * @throws {Error} when the delegate cannot be found (D1)
 */
export async function delegateCheck(
  pluginType: string,
  stdin: string | Uint8Array,
  options: DelegateOptions,
): Promise<void> {
  await runDelegate("CHECK", pluginType, stdin, options);
}

/**
 * Runs DEL on a delegate (reference `DelegateDel`).
 *
 * @throws {CniError} the delegate's error object unchanged, or code 0 (X4)
 * @throws {Error} when the delegate cannot be found (D1)
 */
export async function delegateDel(
  pluginType: string,
  stdin: string | Uint8Array,
  options: DelegateOptions,
): Promise<void> {
  await runDelegate("DEL", pluginType, stdin, options);
}

/**
 * Runs GC on a delegate (reference `DelegateGC`, spec 1.1.0): stdin should carry the caller's
 * `cni.dev/valid-attachments`, as the caller's own stdin does.
 *
 * @throws {CniError} the delegate's error object unchanged, or code 0 (X4)
 * @throws {Error} when the delegate cannot be found (D1)
 */
export async function delegateGc(
  pluginType: string,
  stdin: string | Uint8Array,
  options: DelegateOptions,
): Promise<void> {
  await runDelegate("GC", pluginType, stdin, options);
}

/**
 * Runs STATUS on a delegate (reference `DelegateStatus`, spec 1.1.0).
 *
 * @throws {CniError} the delegate's error object unchanged (normally code 50 or 51), or code 0
 * @throws {Error} when the delegate cannot be found (D1)
 */
export async function delegateStatus(
  pluginType: string,
  stdin: string | Uint8Array,
  options: DelegateOptions,
): Promise<void> {
  await runDelegate("STATUS", pluginType, stdin, options);
}

/**
 * The Deno implementation of {@link DelegateExec}: `Deno.Command`, which inherits this process's
 * environment (no env permission needed), with the time limit as an abort signal. Needs
 * `--allow-run` for the programs it starts and `--allow-read` for the CNI_PATH directories.
 */
export function denoDelegateExec(): DelegateExec {
  return {
    async isFile(path) {
      try {
        return (await Deno.stat(path)).isFile;
      } catch (error) {
        // A missing permission must not read as "not found": the error says which flag is needed.
        if (error instanceof Deno.errors.NotCapable) throw error;
        return false;
      }
    },
    async run(path, args, options) {
      const signal = AbortSignal.timeout(options.timeoutMs);
      const child = new Deno.Command(path, {
        args: [...args],
        env: options.env,
        stdin: "piped",
        stdout: "piped",
        stderr: "piped",
        signal,
      }).spawn();
      const writer = child.stdin.getWriter();
      try {
        const bytes = typeof options.stdin === "string"
          ? new TextEncoder().encode(options.stdin)
          : options.stdin;
        await writer.write(bytes);
        await writer.close();
      } catch {
        // The child may exit without reading all of stdin: its exit status tells what happened.
      }
      const output = await child.output();
      const decoder = new TextDecoder();
      return {
        code: output.code,
        ...(output.signal === null ? {} : { signal: output.signal }),
        ...(signal.aborted ? { timedOut: true } : {}),
        stdout: decoder.decode(output.stdout),
        stderr: decoder.decode(output.stderr),
      };
    },
    writeStderr(text) {
      let bytes = new TextEncoder().encode(text);
      while (bytes.length > 0) bytes = bytes.subarray(Deno.stderr.writeSync(bytes));
    },
  };
}
