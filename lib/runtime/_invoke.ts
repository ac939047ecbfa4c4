/**
 * One step of a verb: find a plugin, (for ADD) check the attachment's names, build its stdin and
 * environment, run it. Also the version comparisons the verbs gate on.
 *
 * @module
 */
import type { JsonObject } from "../_decode.ts";
import { findInPath } from "../delegate.ts";
import { denoHost, type Host } from "../host.ts";
import type { AnyResult } from "../types.ts";
import { versionAtLeast } from "../version.ts";
import { execPlugin } from "./exec_plugin.ts";
import { errorText } from "./errors.ts";
import { pluginEnv } from "./plugin_env.ts";
import { buildPluginStdin } from "./plugin_stdin.ts";
import type { PluginCommand, PluginConfig, RuntimeConf, RuntimeOptions } from "./types.ts";
import { validateAttachment } from "./validate.ts";

/** One plugin run of a verb. */
export interface Invocation {
  readonly network: { readonly name: string; readonly cniVersion: string };
  readonly plugin: PluginConfig;
  readonly command: PluginCommand;
  /** The attachment; absent for GC and STATUS, which run with empty CNI_* values. */
  readonly rt?: RuntimeConf;
  readonly prevResult?: AnyResult;
  readonly extra?: Readonly<JsonObject>;
  /** Check the container ID, network name and interface name first (ADD). */
  readonly validate?: boolean;
}

/**
 * The executable of the plugin `type`: the one `options.executables` names for it, else the first
 * in the plugin directories.
 *
 * @throws {Error} `failed to find plugin "<type>" in path [...]` (and the other errors of
 *   `findInPath`)
 */
export async function findPlugin(
  type: string,
  options: Pick<RuntimeOptions, "path" | "executables">,
  host: Pick<Host, "isFile"> = denoHost(),
): Promise<string> {
  return options.executables?.get(type) ?? await findInPath(type, options.path, host);
}

/** Runs one plugin for a verb and returns its stdout. */
export async function invokePlugin(step: Invocation, options: RuntimeOptions): Promise<string> {
  const host = options.host ?? denoHost();
  const path = await findPlugin(step.plugin.type, options, host);
  const rt = step.rt ?? { containerId: "", netns: "", ifName: "" };
  if (step.validate) validateAttachment(step.network.name, rt);
  const stdin = buildPluginStdin(step.plugin, {
    name: step.network.name,
    cniVersion: step.network.cniVersion,
    ...(step.prevResult === undefined ? {} : { prevResult: step.prevResult }),
    ...(rt.capabilityArgs === undefined ? {} : { capabilityArgs: rt.capabilityArgs }),
    ...(step.extra === undefined ? {} : { extra: step.extra }),
  });
  const env = pluginEnv({
    command: step.command,
    containerId: rt.containerId,
    netns: rt.netns,
    ifName: rt.ifName,
    ...(rt.args === undefined ? {} : { args: rt.args }),
    path: options.path,
  });
  return await execPlugin(path, stdin, env, {
    ...options,
    host,
    command: step.command,
    type: step.plugin.type,
  });
}

/**
 * Whether `version` is at least `minimum`.
 *
 * @throws {Error} the version parser's message when `version` does not parse (a plain error, as
 *   libcni returns it, without the code a plugin would give it)
 */
export function atLeast(version: string, minimum: string): boolean {
  try {
    return versionAtLeast(version, minimum);
  } catch (error) {
    throw new Error(errorText(error));
  }
}

/** Like {@link atLeast}, but a version that does not parse counts as older. */
export function atLeastOrOlder(version: string, minimum: string): boolean {
  try {
    return versionAtLeast(version, minimum);
  } catch {
    return false;
  }
}
