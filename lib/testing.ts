/**
 * The plugin test harness: runs a plugin's handlers in this process, through the same dispatcher
 * a real run uses, with an environment, stdin and stdout of the test's own. No root, no process,
 * no build step. Import it from tests only (`lib/testing.ts`, not `lib/mod.ts`), so plugins do
 * not bundle it.
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
import { formatResult } from "./print.ts";
import { decodeResult } from "./result.ts";
import { dispatch, type PluginHandlers, type PluginIo } from "./skel.ts";
import type { Result100 } from "./types.ts";

/** The CNI_* variables {@link invoke} sets unless told otherwise. */
export const DEFAULT_TEST_ENV: Readonly<Record<string, string>> = {
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
  env?: Readonly<Record<string, string>>;
  /** The network configuration on stdin: an object (sent as JSON) or text as it is. */
  config?: JsonObject | string | null;
}

/** What one invocation left behind. */
export interface InvokeOutcome {
  /** The exit status: 0 on success, 1 after an error object. */
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
  /** The error object, when the exit status is 1. */
  error?: ErrorObject;
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

function readOutcome(code: number, stdout: string, stderr: string, stdin: string): InvokeOutcome {
  const outcome: InvokeOutcome = { code, stdout, stderr };
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
 * environment and configuration, exactly as `runPlugin` would run it, minus the process.
 *
 * @param plugin a plugin from `definePlugin`, or any PluginHandlers
 * @param options command (default "ADD"), env (on top of {@link DEFAULT_TEST_ENV}), config
 * @returns exit status, stdout, stderr, and the parsed result or error
 * @throws {Error} when the plugin breaks the protocol: stdout that is not JSON, exit status 1
 * without an error object, or a result a runtime would reject
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { definePlugin, result } from "./mod.ts";
 * import { invoke } from "./testing.ts";
 *
 * const plugin = definePlugin({
 *   name: "chatty",
 *   add() {
 *     console.log("a stray debug print");
 *     return result();
 *   },
 * });
 * const added = await invoke(plugin, { config: { cniVersion: "1.1.0", name: "n", type: "chatty" } });
 * assert.equal(added.code, 0);
 * assert.deepEqual(added.json, { cniVersion: "1.1.0" });
 * assert.equal(added.stderr, "a stray debug print\n");
 * ```
 */
export function invoke(
  plugin: PluginHandlers,
  options: InvokeOptions = {},
): Promise<InvokeOutcome> {
  const env: Record<string, string> = {
    ...DEFAULT_TEST_ENV,
    CNI_COMMAND: options.command ?? "ADD",
    ...options.env,
  };
  const stdin = stdinText(options.config);
  return exclusive(async () => {
    let stdout = "";
    let stderr = "";
    const io: PluginIo = {
      getenv: (name) => (env[name] === "" ? undefined : env[name]),
      readStdin: () => Promise.resolve(new TextEncoder().encode(stdin)),
      writeStdout: (text) => void (stdout += text),
      writeStderr: (text) => void (stderr += text),
    };
    const restore = redirectConsole((text) => void (stderr += text));
    let code: number;
    try {
      code = await dispatch(plugin, io);
    } finally {
      restore();
    }
    return readOutcome(code, stdout, stderr, stdin);
  });
}

/** Options of {@link forEachVersion}. */
export interface ForEachVersionOptions {
  /** Only the versions this accepts, e.g. `versionHasCheck` from lib/mod.ts. */
  only?: (version: string) => boolean;
}

/**
 * Runs `fn` once per spec version the plugin supports, each as a test step named
 * "cniVersion <version>" (the Go reference's `AllSpecVersions` loop).
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
  /** Programs that must be found in PATH or the usual system directories. */
  programs?: readonly string[];
  /** Files that must exist, e.g. "/usr/lib/cni/host-local". */
  files?: readonly string[];
}

function isFile(path: string): boolean {
  try {
    return Deno.statSync(path).isFile;
  } catch {
    return false;
  }
}

function findProgram(name: string): boolean {
  let path = "";
  try {
    path = Deno.env.get("PATH") ?? "";
  } catch {
    // Without env permission, only the system directories are searched.
  }
  const dirs = [...path.split(":"), "/usr/local/sbin", "/usr/local/bin", "/usr/sbin", "/usr/bin"];
  return dirs.some((dir) => dir !== "" && isFile(`${dir}/${name}`));
}

function isRoot(): boolean {
  try {
    // Deno.uid() would need --allow-sys; `id -u` needs the --allow-run that such tests have.
    const output = new Deno.Command("id", { args: ["-u"], stdin: "null", stderr: "null" })
      .outputSync();
    return output.success && new TextDecoder().decode(output.stdout).trim() === "0";
  } catch {
    return false;
  }
}

/**
 * Why tests with these requirements cannot run here, in one line, or undefined when they can.
 * Print the reason and pass `ignore: reason !== undefined` to `Deno.test`.
 *
 * @example
 * ```ts
 * import { skipReason } from "./testing.ts";
 *
 * const skip = skipReason({ root: true, programs: ["ip"], files: ["/usr/lib/cni/host-local"] });
 * if (skip !== undefined) console.log(`namespace tests ignored: ${skip}`);
 * Deno.test({ name: "ADD moves the link into the namespace", ignore: skip !== undefined, fn() {} });
 * ```
 */
export function skipReason(requirements: Requirements): string | undefined {
  const missing: string[] = [];
  if (requirements.root && !isRoot()) missing.push("root");
  for (const program of requirements.programs ?? []) {
    if (!findProgram(program)) missing.push(program);
  }
  for (const file of requirements.files ?? []) {
    if (!isFile(file)) missing.push(file);
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
  const suffix = crypto.getRandomValues(new Uint8Array(5));
  const name = `dcni-test-${[...suffix].map((b) => b.toString(16).padStart(2, "0")).join("")}`;
  const ip = (...args: string[]) =>
    new Deno.Command("ip", { args: ["netns", ...args, name], stdin: "null" }).output();
  const added = await ip("add");
  if (!added.success) {
    throw new Error(`ip netns add ${name} failed: ${new TextDecoder().decode(added.stderr)}`);
  }
  try {
    return await fn(`/var/run/netns/${name}`);
  } finally {
    await ip("del");
  }
}
