/**
 * The CNI_* variables a runtime sets for a plugin (spec "Section 2: Execution Protocol",
 * "Parameters"). The plugin also inherits the rest of the caller's environment, as libcni passes
 * it; these six always override what the caller had.
 *
 * @module
 */
import type { CniArg, PluginCommand } from "./types.ts";

/** What goes into a plugin's CNI_* variables. */
export interface PluginEnvArgs {
  /** CNI_COMMAND. */
  readonly command: PluginCommand;
  /** CNI_CONTAINERID. */
  readonly containerId: string;
  /** CNI_NETNS. */
  readonly netns: string;
  /** CNI_IFNAME. */
  readonly ifName: string;
  /** CNI_ARGS, as pairs. */
  readonly args?: readonly CniArg[];
  /** The plugin directories; CNI_PATH is them joined with ":". */
  readonly path: readonly string[];
}

/** CNI_ARGS from pairs: `K=V` joined with `;`, nothing escaped (as libcni writes it). */
export function stringifyCniArgs(args: readonly CniArg[]): string {
  return args.map(([key, value]) => `${key}=${value}`).join(";");
}

/** The six CNI_* variables for one plugin run. */
export function pluginEnv(args: PluginEnvArgs): Record<string, string> {
  return {
    CNI_COMMAND: args.command,
    CNI_CONTAINERID: args.containerId,
    CNI_NETNS: args.netns,
    CNI_IFNAME: args.ifName,
    CNI_ARGS: stringifyCniArgs(args.args ?? []),
    CNI_PATH: args.path.join(":"),
  };
}
