/**
 * The protocol dispatcher (the Go reference's `skel`): reads the environment and stdin through the
 * {@link Host}, runs the checks of the spec and the reference in their order, calls the verb's
 * handler and writes exactly one result or error. Pure apart from the host.
 *
 * @module
 */
import { goQuote, goQuoteList } from "./_go_quote.ts";
import { goText } from "./_go_text.ts";
import { checkNetworkConfig, configVersionOf } from "./config.ts";
import { convertResult } from "./convert.ts";
import { type CmdArgs, envText, isVerb, readCmdArgs, type Verb } from "./env.ts";
import { CniError, ErrorCode, toCniError } from "./errors.ts";
import { type Host, tryWriteStderr } from "./host.ts";
import { formatError, formatResult, formatVersionInfo } from "./print.ts";
import type { AnyResult } from "./types.ts";
import { compareVersions, CURRENT_VERSION, parseVersion } from "./version.ts";

/** Something to undo when a verb fails; see {@link Invocation.onFailure}. */
export type UndoAction = () => unknown;

/** One invocation as a handler sees it. */
export interface Invocation extends CmdArgs {
  /** The verb. */
  command: Verb;
  /** stdin as text (bytes that are not UTF-8 read as U+FFFD, as Go reads them). */
  stdin: string;
  /** stdin parsed as JSON: an object, or null. */
  document: unknown;
  /** The configuration's `cniVersion` as the skel read it: "0.1.0" when missing. */
  configVersion: string;
  /** The process: environment, stdio, programs, files. */
  host: Host;
  /**
   * Registers an action that undoes what the handler just set up. If the verb fails afterwards,
   * by a throw or because its answer cannot be written to stdout, the actions run, newest first,
   * before the verb ends; a failing action is reported on stderr and the others still run.
   */
  onFailure(action: UndoAction): void;
}

/** A verb's handler. ADD returns the result; the other verbs return nothing. */
export type Handler<R> = (invocation: Invocation) => R | Promise<R>;

/** A plugin at the protocol level: one handler per verb, the spec versions, an about text. */
export interface PluginHandlers {
  /** ADD: returns the result. */
  add?: Handler<AnyResult>;
  /** CHECK. */
  check?: Handler<void>;
  /** DEL. */
  del?: Handler<void>;
  /** GC. */
  gc?: Handler<void>;
  /** STATUS. */
  status?: Handler<void>;
  /** The spec versions the plugin speaks, in the order VERSION lists them. */
  versions: readonly string[];
  /** One line naming the plugin; printed when it is run without CNI_COMMAND. */
  about: string;
}

/** The lowest configuration version that allows each gated verb (spec "Section 2: Execution Protocol"). */
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

async function readStdinText(host: Host): Promise<string> {
  try {
    // A leading byte order mark stays, so that it fails the config check as it does in Go.
    return goText(await host.readStdin());
  } catch (error) {
    const why = error instanceof Error ? error.message : String(error);
    throw new CniError(ErrorCode.ioFailure, `error reading from stdin: ${why}`);
  }
}

/** A verb's answer could not be written: the runtime must not read the exit as success. */
class AnswerLost extends Error {}

async function writeAnswer(host: Host, text: string): Promise<void> {
  try {
    await host.writeStdout(text);
  } catch (error) {
    throw new AnswerLost(error instanceof Error ? error.message : String(error));
  }
}

/** Runs the registered undo actions, newest first; failures go to stderr. */
async function undo(host: Host, actions: UndoAction[]): Promise<void> {
  for (const action of actions.splice(0).reverse()) {
    try {
      await action();
    } catch (error) {
      const why = error instanceof Error ? error.message : String(error);
      await tryWriteStderr(host, `undoing a step of the failed verb failed too: ${why}\n`);
    }
  }
}

async function runVerb(
  plugin: PluginHandlers,
  host: Host,
  command: string,
  undoActions: UndoAction[],
): Promise<void> {
  if (command === "VERSION") {
    readCmdArgs("VERSION", (name) => host.getenvBytes(name));
    await writeAnswer(
      host,
      formatVersionInfo({ cniVersion: CURRENT_VERSION, supportedVersions: [...plugin.versions] }),
    );
    return;
  }
  const cmdArgs = isVerb(command) ? readCmdArgs(command, (n) => host.getenvBytes(n)) : undefined;
  const stdin = await readStdinText(host);
  const document = checkNetworkConfig(stdin);
  if (cmdArgs === undefined || !isVerb(command)) {
    throw new CniError(ErrorCode.invalidEnvironmentVariables, `unknown CNI_COMMAND: ${command}`);
  }
  const configVersion = configVersionOf(document);
  checkVersions(command, configVersion, plugin.versions);
  const invocation: Invocation = {
    ...cmdArgs,
    command,
    stdin,
    document,
    configVersion,
    host,
    onFailure: (action) => void undoActions.push(action),
  };
  switch (command) {
    case "ADD": {
      if (plugin.add === undefined) return;
      const result = await plugin.add(invocation);
      await writeAnswer(host, formatResult(convertResult(result, configVersion)));
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
 * Runs one invocation of a plugin: the whole protocol, with the process behind `host`. Unlike the
 * Go reference, it does not check after ADD and DEL that CNI_NETNS is not the plugin's own
 * namespace, and it does not read CNI_NETNS_OVERRIDE.
 *
 * When the answer cannot be written to stdout (a full disk, a closed pipe), the verb has failed
 * even if its handler succeeded: what the handler set up is undone (see
 * {@link Invocation.onFailure}), one line says why on stderr, and the exit status is 1.
 *
 * @returns the exit status: 0 on success, 1 after an error object or a lost answer
 */
export async function dispatch(plugin: PluginHandlers, host: Host): Promise<number> {
  const undoActions: UndoAction[] = [];
  try {
    const command = envText((name) => host.getenvBytes(name), "CNI_COMMAND");
    if (command === "" && plugin.about !== "") {
      await tryWriteStderr(
        host,
        `${plugin.about}\nCNI protocol versions supported: ${plugin.versions.join(", ")}\n`,
      );
      return 0;
    }
    if (command === "") {
      throw new CniError(
        ErrorCode.invalidEnvironmentVariables,
        "required env variables [CNI_COMMAND] missing",
      );
    }
    await runVerb(plugin, host, command, undoActions);
    return 0;
  } catch (error) {
    await undo(host, undoActions);
    try {
      if (!(error instanceof AnswerLost)) {
        await writeAnswer(host, formatError(toCniError(error).toJSON()));
        return 1;
      }
      throw error;
    } catch (lost) {
      const why = lost instanceof Error ? lost.message : String(lost);
      await tryWriteStderr(host, `cannot write the answer to stdout: ${why}\n`);
      return 1;
    }
  }
}
