/**
 * The protocol dispatcher (the Go reference's `skel`): reads the environment and stdin through an
 * injected interface, runs the checks of the spec and the reference in their order, calls the
 * verb's handler and writes exactly one result or error. Pure apart from the injected IO.
 */
import { goQuote, goQuoteList } from "./_go_quote.ts";
import { checkNetworkConfig, configVersionOf } from "./config.ts";
import { convertResult } from "./convert.ts";
import { type CmdArgs, isVerb, readCmdArgs, type Verb } from "./env.ts";
import { CniError, ErrorCode, toCniError } from "./errors.ts";
import { formatError, formatResult, formatVersionInfo } from "./print.ts";
import type { AnyResult } from "./types.ts";
import { compareVersions, CURRENT_VERSION, parseVersion } from "./version.ts";

/** What the dispatcher needs from the process; tests pass fakes. */
export interface PluginIo {
  getenv(name: string): string | undefined;
  /** All of stdin. A failure becomes error code 5. */
  readStdin(): Promise<Uint8Array>;
  writeStdout(text: string): void | Promise<void>;
  writeStderr(text: string): void | Promise<void>;
}

/** One invocation as a handler sees it. */
export interface Invocation extends CmdArgs {
  command: Verb;
  /** stdin as text (invalid UTF-8 replaced by U+FFFD). */
  stdin: string;
  /** stdin parsed as JSON: an object, or null. */
  document: unknown;
  /** The configuration's `cniVersion` as the skel read it: "0.1.0" when missing. */
  configVersion: string;
  /** The process's environment (the dispatcher's `io.getenv`), for a plugin's own variables. */
  getenv?: (name: string) => string | undefined;
  /** Writes diagnostics to stderr (the dispatcher's `io.writeStderr`); stdout is the protocol's. */
  writeStderr?: (text: string) => void | Promise<void>;
}

/** A verb's handler. ADD returns the result; the other verbs return nothing. */
export type Handler<R> = (invocation: Invocation) => R | Promise<R>;

/** A plugin at the protocol level: one handler per verb, the spec versions, an about text. */
export interface PluginHandlers {
  add?: Handler<AnyResult>;
  check?: Handler<void>;
  del?: Handler<void>;
  gc?: Handler<void>;
  status?: Handler<void>;
  /** The spec versions the plugin speaks, in the order VERSION lists them. */
  versions: readonly string[];
  /** One line naming the plugin; printed when it is run without CNI_COMMAND. */
  about: string;
}

/** The lowest configuration version that allows each gated verb (spec §"CNI operations"). */
const MINIMUM_VERSION: Partial<Record<Verb, string>> = {
  CHECK: "0.4.0",
  GC: "1.1.0",
  STATUS: "1.1.0",
};

function incompatibleVersions(configVersion: string, versions: readonly string[]): CniError {
  return new CniError(
    ErrorCode.incompatibleCniVersion,
    "incompatible CNI versions",
    `config is ${goQuote(configVersion)}, plugin supports ${goQuoteList(versions)}`,
  );
}

/**
 * The version rules before a handler runs: ADD and DEL need the configuration's version in the
 * plugin's list; CHECK, GC and STATUS need a minimum version and a plugin version at least as new.
 *
 * @throws {CniError} code 1 for version conflicts, code 6 for an unparsable version
 */
export function checkVersions(verb: Verb, configVersion: string, versions: readonly string[]) {
  const minimum = MINIMUM_VERSION[verb];
  if (minimum === undefined) {
    if (!versions.includes(configVersion)) throw incompatibleVersions(configVersion, versions);
    return;
  }
  const wanted = parseVersion(configVersion);
  if (compareVersions(wanted, parseVersion(minimum)) < 0) {
    throw new CniError(ErrorCode.incompatibleCniVersion, `config version does not allow ${verb}`);
  }
  const first = versions.find((v) => compareVersions(parseVersion(v), wanted) >= 0);
  if (first === undefined) {
    throw new CniError(ErrorCode.incompatibleCniVersion, `plugin version does not allow ${verb}`);
  }
  if (!versions.includes(configVersion)) throw incompatibleVersions(configVersion, versions);
}

async function readStdinText(io: PluginIo): Promise<string> {
  try {
    // A leading byte order mark stays, so that it fails the config check as it does in Go.
    return new TextDecoder("utf-8", { ignoreBOM: true }).decode(await io.readStdin());
  } catch (error) {
    const why = error instanceof Error ? error.message : String(error);
    throw new CniError(ErrorCode.ioFailure, `error reading from stdin: ${why}`);
  }
}

async function runVerb(plugin: PluginHandlers, io: PluginIo, command: string): Promise<void> {
  if (command === "VERSION") {
    readCmdArgs("VERSION", io.getenv);
    await io.writeStdout(
      formatVersionInfo({ cniVersion: CURRENT_VERSION, supportedVersions: [...plugin.versions] }),
    );
    return;
  }
  const cmdArgs = isVerb(command) ? readCmdArgs(command, io.getenv) : undefined;
  const stdin = await readStdinText(io);
  const document = checkNetworkConfig(stdin);
  if (cmdArgs === undefined || !isVerb(command)) {
    throw new CniError(ErrorCode.invalidEnvironmentVariables, `unknown CNI_COMMAND: ${command}`);
  }
  const configVersion = configVersionOf(document) || "0.1.0";
  checkVersions(command, configVersion, plugin.versions);
  const invocation: Invocation = {
    ...cmdArgs,
    command,
    stdin,
    document,
    configVersion,
    getenv: (name) => io.getenv(name),
    writeStderr: (text) => io.writeStderr(text),
  };
  switch (command) {
    case "ADD": {
      if (plugin.add === undefined) return;
      const result = await plugin.add(invocation);
      await io.writeStdout(formatResult(convertResult(result, configVersion)));
      return;
    }
    case "CHECK":
      return await plugin.check?.(invocation);
    case "DEL":
      return await plugin.del?.(invocation);
    case "GC":
      return await plugin.gc?.(invocation);
    case "STATUS":
      return await plugin.status?.(invocation);
  }
}

/**
 * Runs one invocation of a plugin: the whole protocol, with the process behind `io`. Unlike the
 * Go reference (E10), it does not check after ADD and DEL that CNI_NETNS is not the plugin's own
 * namespace, and it does not read CNI_NETNS_OVERRIDE.
 *
 * @returns the exit status: 0 on success, 1 after printing an error object
 */
export async function dispatch(plugin: PluginHandlers, io: PluginIo): Promise<number> {
  const command = io.getenv("CNI_COMMAND") ?? "";
  if (command === "" && plugin.about !== "") {
    await io.writeStderr(
      `${plugin.about}\nCNI protocol versions supported: ${plugin.versions.join(", ")}\n`,
    );
    return 0;
  }
  try {
    if (command === "") {
      throw new CniError(
        ErrorCode.invalidEnvironmentVariables,
        "required env variables [CNI_COMMAND] missing",
      );
    }
    await runVerb(plugin, io, command);
    return 0;
  } catch (error) {
    await io.writeStdout(formatError(toCniError(error).toJSON()));
    return 1;
  }
}
