/**
 * The state one conform run shares between its checks: the network, the runtime options, the
 * attachment under test, every plugin run (for the stdout check), the chain's ADD steps with the
 * container's links after each, and the findings.
 *
 * @module
 */
import { versionAtLeast, versionOrDefault } from "../../lib/protocol.ts";
import {
  type AnyResult,
  type JsonObject,
  type NetworkConfigList,
  type PluginConfig,
  type PluginRun,
  readCachedResult,
  type RuntimeConf,
  type RuntimeOptions,
} from "../../lib/runtime/mod.ts";
import { Findings, pluginLabels } from "./findings.ts";
import type { Sandbox } from "./sandbox.ts";

/** What the checks need. */
export interface SuiteOptions {
  readonly list: NetworkConfigList;
  /** The plugin directories. */
  readonly path: readonly string[];
  /** Executables run for plugin types instead of looking them up in `path`. */
  readonly executables?: ReadonlyMap<string, string>;
  /** The runtime's result cache (a directory of conform's own). */
  readonly cacheDir: string;
  readonly sandbox: Sandbox;
  /** CNI_IFNAME of the attachment. */
  readonly ifName: string;
  /** The time limit of one plugin run. */
  readonly timeoutMs: number;
  /** Capability arguments for the plugins that ask (CAP_ARGS). */
  readonly capabilityArgs?: JsonObject;
  /** Called after every plugin run (tracing). */
  readonly onRun?: (run: PluginRun) => void | Promise<void>;
  /** The container ID of the attachment; default `conform-` and random hex. */
  readonly containerId?: string;
}

/** `length` random hex digits. */
export function randomHex(length: number): string {
  const bytes = crypto.getRandomValues(new Uint8Array(Math.ceil(length / 2)));
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("").slice(0, length);
}

/** Names quoted and joined with commas. */
export function quoteList(names: readonly string[]): string {
  return names.map((n) => JSON.stringify(n)).join(", ");
}

/** `version` is at least `minimum`; a version that does not parse is not. */
export function atLeast(version: string, minimum: string): boolean {
  try {
    return versionAtLeast(version, minimum);
  } catch {
    return false;
  }
}

/** One ADD of the chain: the run and the container's links right after it. */
export interface AddStep {
  readonly run: PluginRun;
  readonly links: readonly string[];
  /** The links that appeared during this plugin's ADD. */
  readonly created: readonly string[];
}

/** The state one conform run shares between its phases. */
export class Suite {
  readonly list: NetworkConfigList;
  readonly plugins: readonly PluginConfig[];
  readonly labels: string[];
  readonly findings: Findings;
  readonly version: string;
  readonly runtime: RuntimeOptions;
  readonly indices: number[];
  readonly reversed: number[];
  readonly rt: RuntimeConf;
  /** Every run, for the stdout check. */
  readonly runs: { index: number; run: PluginRun; what: string }[] = [];
  readonly adds: AddStep[] = [];
  /** Each plugin's ADD result as the runtime read it. */
  readonly results: (AnyResult | undefined)[] = [];
  baseline: readonly string[] = [];
  chainAdded = false;

  constructor(readonly options: SuiteOptions) {
    this.list = options.list;
    this.plugins = options.list.plugins;
    this.labels = pluginLabels(this.plugins.map((p) => p.type));
    this.findings = new Findings(this.labels, this.list.name);
    this.version = versionOrDefault(this.list.cniVersion);
    this.runtime = {
      path: options.path,
      ...(options.executables === undefined ? {} : { executables: options.executables }),
      cacheDir: options.cacheDir,
      host: options.sandbox.host,
      timeoutMs: options.timeoutMs,
      stderr: () => {},
      ...(options.onRun === undefined ? {} : { onRun: options.onRun }),
    };
    this.indices = this.plugins.map((_, i) => i);
    this.reversed = [...this.indices].reverse();
    this.rt = this.attachment(options.containerId ?? `conform-${randomHex(12)}`, options.ifName);
  }

  /** An attachment in the container's namespace, with the capability arguments. */
  attachment(containerId: string, ifName: string): RuntimeConf {
    const { capabilityArgs } = this.options;
    return {
      containerId,
      netns: this.options.sandbox.netns,
      ifName,
      ...(capabilityArgs === undefined ? {} : { capabilityArgs }),
    };
  }

  /** A recorder of plugin `index`'s runs, `what` naming the step for the stdout check. */
  record(index: number, what: string): (run: PluginRun) => void {
    return (run) => {
      this.runs.push({ index, run, what });
    };
  }

  /** The links in the container's namespace now. */
  links(): Promise<string[]> {
    return this.options.sandbox.links();
  }

  /** The cached ADD result, as DEL gets it (from spec 0.4.0 on); undefined when unreadable. */
  async cachedForDel(): Promise<AnyResult | undefined> {
    if (!atLeast(this.version, "0.4.0")) return undefined;
    try {
      return await readCachedResult(this.options.cacheDir, this.list, this.rt);
    } catch {
      return undefined;
    }
  }
}
