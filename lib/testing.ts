/**
 * The plugin test harness: runs a plugin in this process, through the same dispatcher a real run
 * uses, with a recording fake host: the test's own environment, stdin, stdout and stderr, and fake
 * programs in place of `ip`, `nsenter`, `sysctl` and delegated plugins. No root, no process, no
 * build step; the test asserts the programs the plugin ran (argv, stdin, environment).
 *
 * While a plugin runs here, console output is collected as its stderr, as `runPlugin` sends it
 * to stderr in a real run.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { definePlugin, ip, result } from "./mod.ts";
 * import { forEachVersion, invoke } from "./testing.ts";
 *
 * const plugin = definePlugin({
 *   name: "fixed",
 *   add: () => result({ ips: [ip("10.1.0.5/24", { gateway: "10.1.0.1" })] }),
 * });
 *
 * Deno.test("the fixed plugin answers ADD in every version", async (t) => {
 *   await forEachVersion(t, plugin, async (cniVersion) => {
 *     const added = await invoke(plugin, {
 *       config: { cniVersion, name: "net", type: "fixed" },
 *     });
 *     assert.equal(added.code, 0, added.stdout);
 *     assert.deepEqual(added.result?.ips, [{ address: "10.1.0.5/24", gateway: "10.1.0.1" }]);
 *   });
 * });
 * ```
 *
 * @module
 */
import { redirectConsole } from "./_console.ts";
import { isJsonObject, type JsonObject } from "./_decode.ts";
import { convertResult, convertToCurrent } from "./convert.ts";
import type { ErrorObject } from "./errors.ts";
import {
  denoHost,
  type Host,
  type NamespacePathKind,
  type RunOptions,
  type RunOutput,
} from "./host.ts";
import type { NetnsBackend } from "./net_backend.ts";
import { formatResult } from "./print.ts";
import { decodeResult } from "./result.ts";
import { dispatch, type PluginHandlers } from "./skel.ts";
import type { Result100 } from "./types.ts";

export type { JsonObject } from "./_decode.ts";
export * from "./replay.ts";
export * from "./model_kernel.ts";

/** One program run, as a fake host recorded it. */
export interface ProgramCall {
  /** The program's path as the plugin ran it ("/usr/bin/nsenter", "/opt/cni/bin/host-local"). */
  program: string;
  /** Its arguments. */
  args: string[];
  /** Its stdin. */
  stdin: string;
  /** Its whole environment: the host's, with the run's variables on top (or only those). */
  env: Record<string, string>;
}

/**
 * A fake program: gets the call and returns its stdout (exit status 0) or a fuller outcome.
 * Throwing makes the start fail, as a missing or busy executable does.
 */
export type FakeProgram = (
  call: ProgramCall,
) => string | Partial<RunOutput> | Promise<string | Partial<RunOutput>>;

/** How a fake host's stdout or stderr behaves. */
export type FakeStream = "ok" | "full" | "closed";

/**
 * A kernel the namespace toolkit works on in a test: the model kernel of `modelKernel()`.
 */
export interface TestKernel {
  /** The backend the toolkit uses. */
  readonly backend: NetnsBackend;
  /** What is at a path: a namespace of the kernel, nothing, or a file a test put there. */
  namespacePathKind(path: string): NamespacePathKind;
}

/** What {@link fakeHost} is made of. */
export interface FakeHostOptions {
  /**
   * The kernel the namespace toolkit works on (`modelKernel()`); without one, the toolkit runs
   * `ip`, `tc`, `sysctl` and `nsenter` as fake `programs`.
   */
  kernel?: TestKernel;
  /**
   * What is at namespace paths, for the exec backend's check: a path not listed is a network
   * namespace. With a `kernel`, the kernel answers.
   */
  namespacePaths?: Readonly<Record<string, NamespacePathKind>>;
  /** The process's environment; a Uint8Array holds bytes that need not be UTF-8. */
  env?: Readonly<Record<string, string | Uint8Array>>;
  /** stdin. */
  stdin?: string | Uint8Array;
  /**
   * The programs there are, by path ("/opt/cni/bin/host-local") or by name ("ip", which is then
   * found in any directory). Running anything else fails as a missing program does.
   */
  programs?: Readonly<Record<string, FakeProgram>>;
  /** Makes writes to stdout fail like a full disk or a closed pipe. */
  stdout?: FakeStream;
  /** Makes writes to stderr fail like a full disk or a closed pipe. */
  stderr?: FakeStream;
}

/** A host for tests that records what the plugin did. */
export interface FakeHost extends Host {
  /** Every program run, in order. */
  readonly runs: ProgramCall[];
  /** What was written to stdout. */
  readonly stdout: string;
  /** What was written to stderr. */
  readonly stderr: string;
  /** The files appended to, by path, with their text. */
  readonly files: Map<string, string>;
  /** The status `exit` was called with; undefined until then. */
  readonly exitCode: number | undefined;
}

const encoder = new TextEncoder();

function basename(path: string): string {
  return path.slice(path.lastIndexOf("/") + 1);
}

function failure(stream: FakeStream): Error | undefined {
  if (stream === "full") return new Error("No space left on device (os error 28)");
  if (stream === "closed") return new Error("Broken pipe (os error 32)");
  return undefined;
}

/**
 * A recording fake of the {@link Host}: for `invoke`, and for testing code that takes a host
 * (the namespace toolkit, delegation, a logger).
 *
 * @param options the environment, stdin, the fake programs, failing streams
 * @returns the host, with what it recorded
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { fakeHost } from "./testing.ts";
 *
 * const host = fakeHost({ programs: { ip: (call) => `ran ${call.args.join(" ")}` } });
 * const output = await host.run("/usr/sbin/ip", ["link", "show"], { timeoutMs: 1000 });
 * assert.equal(output.stdout, "ran link show");
 * assert.equal(await host.isFile("/usr/sbin/ip"), true);
 * assert.deepEqual(host.runs.map((run) => run.args), [["link", "show"]]);
 * ```
 */
export function fakeHost(options: FakeHostOptions = {}): FakeHost {
  const env = new Map<string, Uint8Array>();
  for (const [name, value] of Object.entries(options.env ?? {})) {
    env.set(name, typeof value === "string" ? encoder.encode(value) : value);
  }
  const programs = options.programs ?? {};
  const find = (path: string): FakeProgram | undefined =>
    programs[path] ?? (path.startsWith("/") ? programs[basename(path)] : undefined);
  const stdin = typeof options.stdin === "string"
    ? encoder.encode(options.stdin)
    : options.stdin ?? new Uint8Array();
  const state = {
    runs: [] as ProgramCall[],
    stdout: "",
    stderr: "",
    files: new Map<string, string>(),
    exitCode: undefined as number | undefined,
  };
  const decoder = new TextDecoder();
  const processEnv = () =>
    Object.fromEntries([...env].map(([name, value]) => [name, decoder.decode(value)]));

  async function run(
    program: string,
    args: readonly string[],
    runOptions: RunOptions,
  ): Promise<RunOutput> {
    const fake = find(program);
    if (fake === undefined) {
      throw new Error(`Failed to spawn '${program}': No such file or directory (os error 2)`);
    }
    const input = runOptions.stdin ?? "";
    const call: ProgramCall = {
      program,
      args: [...args],
      stdin: typeof input === "string" ? input : decoder.decode(input),
      env: { ...(runOptions.clearEnv ? {} : processEnv()), ...runOptions.env },
    };
    state.runs.push(call);
    const outcome = await fake(call);
    return typeof outcome === "string"
      ? { code: 0, stdout: outcome, stderr: "" }
      : { code: 0, stdout: "", stderr: "", ...outcome };
  }

  return {
    get runs() {
      return state.runs;
    },
    get stdout() {
      return state.stdout;
    },
    get stderr() {
      return state.stderr;
    },
    get files() {
      return state.files;
    },
    get exitCode() {
      return state.exitCode;
    },
    getenvBytes: (name) => env.get(name),
    readStdin: () => Promise.resolve(stdin),
    writeStdout(text) {
      const error = failure(options.stdout ?? "ok");
      if (error !== undefined) return Promise.reject(error);
      state.stdout += text;
      return Promise.resolve();
    },
    writeStderr(text) {
      const error = failure(options.stderr ?? "ok");
      if (error !== undefined) return Promise.reject(error);
      state.stderr += text;
      return Promise.resolve();
    },
    run,
    isFile: (path) => Promise.resolve(find(path) !== undefined),
    namespacePathKind: (path) =>
      Promise.resolve(
        options.kernel?.namespacePathKind(path) ?? options.namespacePaths?.[path] ?? "netns",
      ),
    ...(options.kernel === undefined ? {} : { netnsBackend: () => options.kernel?.backend }),
    appendFile(path, text) {
      state.files.set(path, (state.files.get(path) ?? "") + text);
      return Promise.resolve();
    },
    sleep: () => Promise.resolve(),
    exit(code) {
      state.exitCode = code;
    },
  };
}

/**
 * The CNI_* variables {@link invoke} sets unless told otherwise: a container ID, a namespace
 * path, `eth0` and `/opt/cni/bin`. CNI_COMMAND comes from the `command` option.
 */
export const DEFAULT_TEST_ENV: Readonly<{
  CNI_CONTAINERID: string;
  CNI_NETNS: string;
  CNI_IFNAME: string;
  CNI_PATH: string;
}> = {
  CNI_CONTAINERID: "ctr-test",
  CNI_NETNS: "/var/run/netns/ctr-test",
  CNI_IFNAME: "eth0",
  CNI_PATH: "/opt/cni/bin",
};

/** One invocation for {@link invoke}. */
export interface InvokeOptions {
  /** CNI_COMMAND; default "ADD". "" leaves it unset. */
  command?: string;
  /**
   * The environment the plugin sees, on top of {@link DEFAULT_TEST_ENV}: CNI_* variables and
   * the plugin's own (DENO_CNI_LOG_LEVEL...). A value of "" unsets a default. The real process
   * environment is never read.
   */
  env?: Readonly<Record<string, string | Uint8Array>>;
  /** The network configuration on stdin: an object (sent as JSON) or text as it is. */
  config?: JsonObject | string | null;
  /** The fake programs, as for {@link fakeHost}: delegates by name, `ip`, `nsenter`, `sysctl`. */
  programs?: Readonly<Record<string, FakeProgram>>;
  /**
   * The kernel the plugin's namespace toolkit works on: `modelKernel()`, with CNI_NETNS among
   * its namespaces. Without one, the toolkit runs `ip` and `nsenter` as fake `programs`.
   */
  kernel?: TestKernel;
  /** Makes stdout fail, to test what a plugin leaves behind when its answer is lost. */
  stdout?: FakeStream;
  /** Makes stderr fail. */
  stderr?: FakeStream;
}

/** What one invocation left behind. */
export interface InvokeOutcome {
  /** The exit status: 0 on success, 1 after an error object or a lost answer. */
  code: number;
  /** Everything written to stdout. */
  stdout: string;
  /** Everything written to stderr, console output of the handlers included. */
  stderr: string;
  /** stdout parsed as JSON; absent when stdout is empty. */
  json?: unknown;
  /**
   * ADD's result, checked against the configuration's version family (as the runtime checks it)
   * and converted to the newest shape, so one assertion fits every version.
   */
  result?: Result100;
  /** The error object, when the exit status is 1 and stdout holds one. */
  error?: ErrorObject;
  /** The programs the plugin ran, in order. */
  runs: ProgramCall[];
  /** The host it ran on, with the log files it appended to. */
  host: FakeHost;
}

let queue: Promise<unknown> = Promise.resolve();

/** Runs `fn` after every earlier call has finished: the console is global, so runs take turns. */
function exclusive<T>(fn: () => Promise<T>): Promise<T> {
  const run = queue.then(fn, fn);
  queue = run.catch(() => {});
  return run;
}

function stdinText(config: InvokeOptions["config"]): string {
  if (config === undefined) return "";
  return typeof config === "string" ? config : JSON.stringify(config);
}

function versionOf(stdin: string): string {
  try {
    const document: unknown = JSON.parse(stdin);
    if (isJsonObject(document) && typeof document.cniVersion === "string") {
      return document.cniVersion || "0.1.0";
    }
  } catch {
    // Not JSON: no result to check.
  }
  return "0.1.0";
}

function readOutcome(code: number, host: FakeHost, stdin: string): InvokeOutcome {
  const { stdout, stderr } = host;
  const outcome: InvokeOutcome = { code, stdout, stderr, runs: host.runs, host };
  if (stdout === "") return outcome;
  let json: unknown;
  try {
    json = JSON.parse(stdout);
  } catch (error) {
    throw new Error(`the plugin printed something that is not JSON (${error}):\n${stdout}`);
  }
  outcome.json = json;
  if (code !== 0) {
    if (!isJsonObject(json) || typeof json.code !== "number" || typeof json.msg !== "string") {
      throw new Error(`exit status ${code} without an error object on stdout:\n${stdout}`);
    }
    outcome.error = {
      code: json.code,
      msg: json.msg,
      ...(typeof json.details === "string" && { details: json.details }),
    };
  } else if (isJsonObject(json) && "cniVersion" in json && !("supportedVersions" in json)) {
    const version = versionOf(stdin);
    try {
      outcome.result = convertToCurrent(decodeResult(version, json));
    } catch (error) {
      throw new Error(
        `the plugin printed a result that a runtime reading cniVersion ${version} rejects ` +
          `(${error instanceof Error ? error.message : error}):\n${stdout}`,
      );
    }
  }
  return outcome;
}

/**
 * Runs one invocation of a plugin in this process: the dispatcher with the given verb,
 * environment and configuration on a {@link fakeHost}, exactly as `runPlugin` would run it, minus
 * the process. Programs the plugin runs are the fake `programs`, recorded in `runs`.
 *
 * @param plugin a plugin from `definePlugin`
 * @param options command (default "ADD"), env (on top of {@link DEFAULT_TEST_ENV}), config,
 * programs
 * @returns exit status, stdout, stderr, the parsed result or error, the programs run
 * @throws {Error} when the plugin breaks the protocol: stdout that is not JSON, exit status 1
 * with something else than an error object, or a result a runtime would reject
 *
 * @example A plugin that delegates, with a fake IPAM plugin
 * ```ts
 * import assert from "node:assert/strict";
 * import { definePlugin } from "./mod.ts";
 * import { invoke } from "./testing.ts";
 *
 * const plugin = definePlugin({
 *   name: "ipam-only",
 *   config: (_raw, { conf }) => ({ ipamType: conf.ipam?.type ?? "" }),
 *   add: ({ conf, delegate }) => delegate.add(conf.ipamType),
 * });
 * const added = await invoke(plugin, {
 *   config: { cniVersion: "1.1.0", name: "n", type: "ipam-only", ipam: { type: "fixed" } },
 *   programs: { fixed: () => '{"cniVersion":"1.1.0","ips":[{"address":"10.1.0.5/24"}]}' },
 * });
 * assert.equal(added.code, 0);
 * assert.deepEqual(added.result?.ips, [{ address: "10.1.0.5/24" }]);
 * assert.equal(added.runs[0]?.program, "/opt/cni/bin/fixed");
 * assert.equal(added.runs[0]?.env.CNI_COMMAND, "ADD");
 * ```
 */
export function invoke(
  plugin: PluginHandlers,
  options: InvokeOptions = {},
): Promise<InvokeOutcome> {
  const env: Record<string, string | Uint8Array> = {
    ...DEFAULT_TEST_ENV,
    CNI_COMMAND: options.command ?? "ADD",
    ...options.env,
  };
  for (const [name, value] of Object.entries(env)) if (value === "") delete env[name];
  const stdin = stdinText(options.config);
  return exclusive(async () => {
    const host = fakeHost({
      env,
      stdin,
      ...(options.programs && { programs: options.programs }),
      ...(options.kernel && { kernel: options.kernel }),
      ...(options.stdout && { stdout: options.stdout }),
      ...(options.stderr && { stderr: options.stderr }),
    });
    const restore = redirectConsole((text) => void host.writeStderr(text).catch(() => {}));
    let code: number;
    try {
      code = await dispatch(plugin, host);
    } finally {
      restore();
    }
    return readOutcome(code, host, stdin);
  });
}

/** Options of {@link forEachVersion}. */
export interface ForEachVersionOptions {
  /** Only the versions this accepts, e.g. `versionHasCheck` from the main module. */
  only?: (version: string) => boolean;
}

/**
 * Runs `fn` once per spec version the plugin supports, each as a test step named
 * "cniVersion <version>".
 *
 * @param t the test context
 * @param plugin the plugin whose `versions` are used
 * @param fn the test body; gets the version and the step's context
 * @param options `only` to narrow the versions
 * @returns true when every step passed
 */
export async function forEachVersion(
  t: Deno.TestContext,
  plugin: Pick<PluginHandlers, "versions">,
  fn: (version: string, t: Deno.TestContext) => void | Promise<void>,
  options: ForEachVersionOptions = {},
): Promise<boolean> {
  let passed = true;
  for (const version of plugin.versions) {
    if (options.only !== undefined && !options.only(version)) continue;
    passed = await t.step(`cniVersion ${version}`, (step) => fn(version, step)) && passed;
  }
  return passed;
}

/**
 * A configuration at another spec version, as a runtime would send it: `cniVersion` set and a
 * `prevResult` converted to that version (it is read in its own `cniVersion`, or the
 * configuration's when it has none).
 *
 * @param config a configuration, e.g. a fixture
 * @param version the spec version to send
 * @returns the configuration at `version`
 * @throws {Error} when the prevResult does not decode, or cannot be expressed in `version`
 * (0.1.0 and 0.2.0 results need an IP address)
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { atVersion } from "./testing.ts";
 *
 * const config = atVersion({
 *   cniVersion: "1.0.0",
 *   name: "net",
 *   type: "x",
 *   prevResult: { cniVersion: "1.0.0", ips: [{ address: "10.1.0.5/24", gateway: "10.1.0.1" }] },
 * }, "0.4.0");
 * assert.deepEqual(config.prevResult, {
 *   cniVersion: "0.4.0",
 *   ips: [{ version: "4", address: "10.1.0.5/24", gateway: "10.1.0.1" }],
 *   dns: {},
 * });
 * ```
 */
export function atVersion(config: JsonObject, version: string): JsonObject {
  const copy: JsonObject = { ...structuredClone(config), cniVersion: version };
  const previous = config.prevResult;
  if (isJsonObject(previous)) {
    const own = typeof previous.cniVersion === "string"
      ? previous.cniVersion
      : typeof config.cniVersion === "string"
      ? config.cniVersion
      : "";
    const parsed = decodeResult(own, { ...previous, cniVersion: own });
    copy.prevResult = JSON.parse(formatResult(convertResult(parsed, version)));
  }
  return copy;
}

/**
 * Reads a JSON fixture: a configuration, a result, a table of cases.
 *
 * @param url where it is, usually `new URL("testdata/name.json", import.meta.url)`
 * @returns the parsed JSON
 * @throws {Error} naming the file when it is missing or not JSON
 */
export function readFixture<T = JsonObject>(url: URL | string): T {
  const text = Deno.readTextFileSync(url);
  try {
    return JSON.parse(text) as T;
  } catch (error) {
    throw new Error(
      `fixture ${url} is not JSON: ${error instanceof Error ? error.message : error}`,
    );
  }
}

/** What {@link skipReason} checks for. */
export interface Requirements {
  /** The tests need root (e.g. to make namespaces and links). */
  root?: boolean;
  /** Programs that must be found in the system directories or PATH. */
  programs?: readonly string[];
  /** Files that must exist, e.g. "/usr/lib/cni/host-local". */
  files?: readonly string[];
}

const SEARCHED = ["/usr/local/sbin", "/usr/local/bin", "/usr/sbin", "/usr/bin", "/sbin", "/bin"];

/**
 * Why tests with these requirements cannot run here, in one line, or undefined when they can.
 * Print the reason and pass `ignore: reason !== undefined` to `Deno.test`.
 *
 * @param requirements root, programs and files the tests need
 * @returns the reason, or undefined
 *
 * @example
 * ```ts
 * import { skipReason } from "./testing.ts";
 *
 * const skip = await skipReason({ root: true, programs: ["ip"], files: ["/usr/lib/cni/host-local"] });
 * if (skip !== undefined) console.log(`namespace tests ignored: ${skip}`);
 * Deno.test({ name: "ADD moves the link into the namespace", ignore: skip !== undefined, fn() {} });
 * ```
 */
export async function skipReason(requirements: Requirements): Promise<string | undefined> {
  const host = denoHost();
  const missing: string[] = [];
  if (requirements.root) {
    const id = await host.run("id", ["-u"], { timeoutMs: 10_000 }).catch(() => undefined);
    if (id?.stdout.trim() !== "0") missing.push("root");
  }
  for (const program of requirements.programs ?? []) {
    const found = await Promise.all(SEARCHED.map((dir) => host.isFile(`${dir}/${program}`)));
    if (!found.includes(true)) missing.push(program);
  }
  for (const file of requirements.files ?? []) {
    if (!(await host.isFile(file))) missing.push(file);
  }
  return missing.length === 0 ? undefined : `needs ${missing.join(", ")}`;
}

/**
 * Runs `fn` with a new network namespace (`ip netns add`), deleted afterwards even when `fn`
 * throws. Needs root and `ip`.
 *
 * @param fn gets the namespace's path, for CNI_NETNS
 * @returns what `fn` returns
 */
export async function withNetns<T>(fn: (netns: string) => Promise<T>): Promise<T> {
  const host = denoHost();
  const suffix = crypto.getRandomValues(new Uint8Array(5));
  const name = `dcni-test-${[...suffix].map((b) => b.toString(16).padStart(2, "0")).join("")}`;
  const ipNetns = (verb: string) => host.run("ip", ["netns", verb, name], { timeoutMs: 10_000 });
  const added = await ipNetns("add");
  if (added.code !== 0) throw new Error(`ip netns add ${name} failed: ${added.stderr.trim()}`);
  try {
    return await fn(`/var/run/netns/${name}`);
  } finally {
    await ipNetns("del");
  }
}
