/**
 * One plugin, one verb, through the runtime library's parts as a runtime runs it (spec "Section
 * 3: Execution of Network Configurations"): the executable found by `type` in the plugin
 * directories, the configuration with the network's `name` and `cniVersion` (and `prevResult`,
 * `runtimeConfig`) on stdin, the CNI_* variables, a time limit. Unlike the list operations, a
 * failure is returned rather than thrown, with the run itself, so every plugin of a chain is
 * checked even after another one failed; a check may also leave a variable out or change a key.
 *
 * @module
 */
import { denoHost } from "../../lib/protocol.ts";
import {
  type AnyResult,
  buildPluginStdin,
  execPlugin,
  findPlugin,
  type JsonObject,
  type NetworkConfigList,
  type PluginCommand,
  type PluginConfig,
  pluginEnv,
  type PluginRun,
  type RuntimeConf,
  type RuntimeOptions,
} from "../../lib/runtime/mod.ts";

/** How a run went: the run as the runtime reported it (absent when none started) and its error. */
export interface VerbRun {
  /** True when the plugin succeeded. */
  readonly ok: boolean;
  /** The run, when the plugin was found and run. */
  readonly run?: PluginRun;
  /** Why it failed: the plugin's error, or why it could not be run. */
  readonly error?: unknown;
}

/** What a run may change from a runtime's normal call. */
export interface VerbOptions {
  /** The attachment; absent for STATUS and GC (empty CNI_CONTAINERID, CNI_NETNS, CNI_IFNAME). */
  readonly rt?: RuntimeConf;
  /** `prevResult` for the configuration. */
  readonly prevResult?: AnyResult;
  /** Keys for the configuration, e.g. `cni.dev/valid-attachments`. */
  readonly extra?: Readonly<JsonObject>;
  /** CNI_* variables to leave out. */
  readonly dropEnv?: readonly string[];
  /** Called with the run, once it ended. */
  readonly record?: (run: PluginRun) => void | Promise<void>;
}

/** Runs `command` of `plugin` (of `list`) once. Never throws. */
export async function runVerb(
  list: NetworkConfigList,
  plugin: PluginConfig,
  command: PluginCommand,
  runtime: RuntimeOptions,
  options: VerbOptions = {},
): Promise<VerbRun> {
  let run: PluginRun | undefined;
  try {
    const path = await findPlugin(plugin.type, runtime, runtime.host ?? denoHost());
    const rt = options.rt ?? { containerId: "", netns: "", ifName: "" };
    const stdin = buildPluginStdin(plugin, {
      name: list.name,
      cniVersion: list.cniVersion,
      ...(options.prevResult === undefined ? {} : { prevResult: options.prevResult }),
      ...(rt.capabilityArgs === undefined ? {} : { capabilityArgs: rt.capabilityArgs }),
      ...(options.extra === undefined ? {} : { extra: options.extra }),
    });
    const env = pluginEnv({
      command,
      containerId: rt.containerId,
      netns: rt.netns,
      ifName: rt.ifName,
      ...(rt.args === undefined ? {} : { args: rt.args }),
      path: runtime.path,
    });
    for (const name of options.dropEnv ?? []) delete env[name];
    await execPlugin(path, stdin, env, {
      ...runtime,
      command,
      type: plugin.type,
      onRun: async (done) => {
        run = done;
        await runtime.onRun?.(done);
        await options.record?.(done);
      },
    });
    return { ok: true, ...(run === undefined ? {} : { run }) };
  } catch (error) {
    return { ok: false, error, ...(run === undefined ? {} : { run }) };
  }
}
