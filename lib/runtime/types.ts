/**
 * The shared types of the runtime side: a network configuration list and its plugins, the
 * arguments of one attachment, and the options every verb takes.
 *
 * @module
 */
import type { JsonObject } from "../_decode.ts";
import type { Host } from "../host.ts";

/** A `K=V` pair of CNI_ARGS. */
export type CniArg = readonly [key: string, value: string];

/**
 * The arguments of one attachment of a container to a network (libcni's `RuntimeConf`): what the
 * runtime puts in CNI_CONTAINERID, CNI_NETNS, CNI_IFNAME and CNI_ARGS, and the capability
 * arguments it offers to plugins (spec "Section 3: Execution of Network Configurations",
 * "Deriving runtimeConfig").
 */
export interface RuntimeConf {
  /** The container ID (CNI_CONTAINERID). */
  readonly containerId: string;
  /** The path of the container's network namespace (CNI_NETNS). */
  readonly netns: string;
  /** The interface name inside the namespace (CNI_IFNAME). */
  readonly ifName: string;
  /** CNI_ARGS as pairs, passed as `K=V` joined with `;`, in order. */
  readonly args?: readonly CniArg[];
  /** Capability arguments: each goes to the plugins whose `capabilities` enable its key. */
  readonly capabilityArgs?: Readonly<JsonObject>;
}

/** One plugin of a network configuration list. */
export interface PluginConfig {
  /** The plugin's configuration object, as it was written. */
  readonly raw: Readonly<JsonObject>;
  /** `type`: the executable's name. */
  readonly type: string;
  /** The plugin's own `name` key, "" when it has none (libcni names it in errors). */
  readonly name: string;
  /** `capabilities`: the keys set to true may receive capability arguments. */
  readonly capabilities: Readonly<Record<string, boolean>>;
}

/** A network configuration list (spec "Section 1: Network configuration format"). */
export interface NetworkConfigList {
  /** The network's name. */
  readonly name: string;
  /** The version the runtime speaks with the plugins, after `cniVersions` was applied. */
  readonly cniVersion: string;
  /** `disableCheck`: CHECK succeeds without running the plugins. */
  readonly disableCheck: boolean;
  /** `disableGC` (spec 1.1.0): GC does nothing. */
  readonly disableGC: boolean;
  /** `loadOnlyInlinedPlugins` (spec 1.1.0): no plugins from `<dir>/<name>/*.conf`. */
  readonly loadOnlyInlinedPlugins: boolean;
  /** The plugins, in the order ADD runs them. */
  readonly plugins: readonly PluginConfig[];
  /** The bytes the list was read from; the result cache keeps them. */
  readonly bytes: Uint8Array;
}

/** An attachment a GC call names as still valid (`cni.dev/valid-attachments`). */
export interface GcAttachment {
  /** The attachment's container ID (`containerID` on the wire). */
  readonly containerId: string;
  /** The attachment's interface name (`ifname` on the wire). */
  readonly ifName: string;
}

/** The arguments of GC (libcni's `GCArgs`). */
export interface GcArgs {
  /** The attachments still in use; every other cached attachment of the network is stale. */
  readonly validAttachments: readonly GcAttachment[];
}

/** The CNI verbs a runtime runs a plugin with. */
export type PluginCommand = "ADD" | "DEL" | "CHECK" | "GC" | "STATUS" | "VERSION";

/** One plugin run, as {@link RuntimeOptions.onRun} reports it. */
export interface PluginRun {
  /** The verb (CNI_COMMAND). */
  readonly command: PluginCommand;
  /** The plugin's `type`. */
  readonly type: string;
  /** The executable that ran. */
  readonly path: string;
  /** The CNI_* variables it got (the rest of its environment is the caller's). */
  readonly env: Readonly<Record<string, string>>;
  /** What it got on stdin. */
  readonly stdin: string;
  /** What it printed on stdout. */
  readonly stdout: string;
  /** What it printed on stderr. */
  readonly stderr: string;
  /** The exit status; -1 when the program could not be started. */
  readonly code: number;
  /** The signal that ended it, e.g. "SIGKILL". */
  readonly signal?: string;
  /** True when it was killed at the time limit. */
  readonly timedOut?: boolean;
  /** Why it could not be started. */
  readonly startError?: string;
  /** Wall time in milliseconds, retries included. */
  readonly durationMs: number;
}

/** What every verb needs besides the network and the attachment. */
export interface RuntimeOptions {
  /** The plugin directories, searched in order (CNI_PATH, split). */
  readonly path: readonly string[];
  /** The result cache directory; default `/var/lib/cni`. */
  readonly cacheDir?: string;
  /** Runs the plugins and looks for them; default `denoHost()`. */
  readonly host?: Host;
  /**
   * Executables to run for plugin types instead of looking the type up in `path` (a plugin given
   * by its path). The plugins still get `path` as CNI_PATH, to find their delegates in.
   */
  readonly executables?: ReadonlyMap<string, string>;
  /** How long one plugin may run before its process group is killed; default 5 minutes. */
  readonly timeoutMs?: number;
  /**
   * Where a successful plugin's stderr goes (libcni copies it to the runtime's stderr); default
   * the host's stderr.
   */
  readonly stderr?: (text: string) => void | Promise<void>;
  /** Called after every plugin run, for tracing. */
  readonly onRun?: (run: PluginRun) => void | Promise<void>;
}
