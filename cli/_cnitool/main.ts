/**
 * cnitool: runs a network's plugins for a network namespace as a container runtime does, on the
 * runtime library of `lib/runtime/`, with the interface of Go's cnitool. The process is behind
 * {@link CnitoolIo}, so the whole tool runs in tests with a fake environment and output.
 *
 * Each plugin runs in a process group of its own, so a signal to cnitool's group does not reach
 * it as it reaches the plugins of Go's cnitool: an interrupt kills the running plugin's group
 * instead, and what a plugin leaves in its group is killed when its run ends.
 *
 * @module
 */
import type { Host } from "../../lib/host.ts";
import { formatResult } from "../../lib/print.ts";
import {
  absPath,
  addNetworkList,
  checkNetworkList,
  DEFAULT_CACHE_DIR,
  delNetworkList,
  errorText,
  findCniError,
  gcNetworkList,
  loadNetworkConfigList,
  type NetworkConfigList,
  PluginError,
  type RuntimeConf,
  type RuntimeOptions,
  splitCniPath,
  statusNetworkList,
  validateNetworkList,
} from "../../lib/runtime/mod.ts";
import {
  type Command,
  type CommandOptions,
  type NetworkVerb,
  parseCommandLine,
  USAGE,
  UsageError,
} from "./args.ts";
import { createNetns, deleteNetns, netnsName } from "./netns.ts";
import { containerIdFor, parseCapabilityArgs, parseCniArgs } from "./runtime_args.ts";
import { formatRun } from "../_plugin_trace.ts";
import { PluginGroups } from "../_plugin_groups.ts";

/** Where the configuration directory is when NETCONFPATH is not set. */
export const DEFAULT_NETCONF_PATH = "/etc/cni/net.d";

/** Everything cnitool takes from its process. */
export interface CnitoolIo {
  /** An environment variable; undefined when unset. */
  readonly getenv: (name: string) => string | undefined;
  /** The working directory, for relative paths. */
  readonly cwd: string;
  /** Runs plugins and `ip`. */
  readonly host: Host;
  readonly stdout: (text: string) => Promise<void>;
  readonly stderr: (text: string) => Promise<void>;
  /**
   * Aborted on an interrupt: the running plugin's process group is killed and no plugin starts
   * after it, except the DEL with which `--netns-new` releases what ADD took.
   */
  readonly interrupt?: AbortSignal;
}

/** The error as cnitool prints it: the message, and `code=N` when an error code is behind it. */
export function formatFailure(error: unknown): string {
  const text = error instanceof PluginError ? error.named : errorText(error);
  const cni = findCniError(error);
  return `${text}\n${cni === undefined ? "" : `code=${cni.code}\n`}`;
}

/** The plugins' process groups, stopped by an interrupt. */
function pluginGroups(io: CnitoolIo): PluginGroups {
  const groups = new PluginGroups(io.host);
  if (io.interrupt?.aborted) groups.stop();
  io.interrupt?.addEventListener("abort", () => groups.stop(), { once: true });
  return groups;
}

function runtimeOptions(
  io: CnitoolIo,
  path: string[],
  options: CommandOptions,
  groups: PluginGroups,
): RuntimeOptions {
  const verbose = options.verbose;
  return {
    path,
    cacheDir: options.cacheDir ?? DEFAULT_CACHE_DIR,
    host: groups.host,
    ...(options.timeoutMs === undefined ? {} : { timeoutMs: options.timeoutMs }),
    // With --verbose, the account of each run shows the plugin's stderr.
    stderr: verbose ? () => {} : io.stderr,
    ...(verbose ? { onRun: (run) => io.stderr(formatRun("cnitool", run)) } : {}),
  };
}

function pluginPath(io: CnitoolIo): string[] {
  const value = io.getenv("CNI_PATH") ?? "";
  if (value === "") {
    throw new Error(
      "CNI_PATH is not set: give the plugin directories, e.g. CNI_PATH=./bin:/usr/lib/cni",
    );
  }
  return splitCniPath(value);
}

async function loadList(io: CnitoolIo, network: string): Promise<NetworkConfigList> {
  return await loadNetworkConfigList(io.getenv("NETCONFPATH") || DEFAULT_NETCONF_PATH, network, {
    warn: (message) => io.stderr(`cnitool: ${message}\n`),
  });
}

async function runVerb(
  verb: NetworkVerb,
  list: NetworkConfigList,
  rt: RuntimeConf,
  options: CommandOptions,
  runtime: RuntimeOptions,
  io: CnitoolIo,
): Promise<void> {
  switch (verb) {
    case "add": {
      const result = await addNetworkList(list, rt, runtime);
      await io.stdout(`${formatResult(result)}\n`);
      return;
    }
    case "check":
      return await checkNetworkList(list, rt, runtime);
    case "del":
      return await delNetworkList(list, rt, runtime);
    case "gc":
      return await gcNetworkList(
        list,
        options.valid === undefined ? undefined : { validAttachments: options.valid },
        runtime,
      );
    case "status":
      return await statusNetworkList(list, runtime);
  }
}

/** Runs a network verb; with --netns-new inside a namespace made for it. Returns the exit status. */
async function runNetworkCommand(
  command: Extract<Command, { kind: "network" }>,
  io: CnitoolIo,
): Promise<number> {
  const { verb, options } = command;
  const path = pluginPath(io);
  const list = await loadList(io, command.network);
  const capabilityArgs = parseCapabilityArgs(io.getenv("CAP_ARGS") ?? "");
  const args = parseCniArgs(io.getenv("CNI_ARGS") ?? "");
  const ifName = options.ifName || io.getenv("CNI_IFNAME") || "eth0";
  const created = options.netnsNew ? netnsName(command.netns) : undefined;
  const netns = created !== undefined && !command.netns.includes("/")
    ? `/var/run/netns/${created}`
    : absPath(command.netns, io.cwd);
  const rt: RuntimeConf = {
    containerId: options.containerId ?? await containerIdFor(netns),
    netns,
    ifName,
    ...(args.length === 0 ? {} : { args }),
    ...(capabilityArgs === undefined ? {} : { capabilityArgs }),
  };
  const groups = pluginGroups(io);
  const runtime = runtimeOptions(io, path, options, groups);
  if (created === undefined) {
    await runVerb(verb, list, rt, options, runtime, io);
    return 0;
  }
  await createNetns(io.host, created);
  let status = 0;
  try {
    try {
      await runVerb(verb, list, rt, options, runtime, io);
    } catch (error) {
      await io.stderr(formatFailure(error));
      status = 1;
    }
    if (verb === "add") {
      // Whether ADD got to its end or not, DEL releases what its plugins took (an address of
      // the IPAM plugin) before the namespace goes; an interrupt does not stop it.
      groups.cleaningUp();
      try {
        await delNetworkList(list, rt, runtime);
      } catch (error) {
        await io.stderr(formatFailure(error));
        status = 1;
      }
    }
  } finally {
    try {
      await deleteNetns(io.host, created);
    } catch (error) {
      await io.stderr(formatFailure(error));
      status = 1;
    }
  }
  return status;
}

/**
 * Runs cnitool with the command line `argv` and returns its exit status: 0 on success, 1 on any
 * failure (after printing it on stderr) or a bad command line (after the usage).
 */
export async function runCnitool(argv: readonly string[], io: CnitoolIo): Promise<number> {
  let command: Command;
  try {
    command = parseCommandLine(argv);
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    await io.stderr(`cnitool: ${error.message}\n\n${USAGE}`);
    return 1;
  }
  try {
    switch (command.kind) {
      case "help":
        await io.stdout(USAGE);
        return 0;
      case "netns":
        if (command.action === "add") await createNetns(io.host, command.name);
        else await deleteNetns(io.host, command.name);
        return 0;
      case "validate": {
        const path = pluginPath(io);
        const list = await loadList(io, command.network);
        const capabilities = await validateNetworkList(
          list,
          runtimeOptions(io, path, command.options, pluginGroups(io)),
        );
        await io.stdout(
          `${JSON.stringify({ name: list.name, cniVersion: list.cniVersion, capabilities })}\n`,
        );
        return 0;
      }
      case "network":
        return await runNetworkCommand(command, io);
    }
  } catch (error) {
    await io.stderr(formatFailure(error));
    return 1;
  }
}
