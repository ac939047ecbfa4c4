/**
 * The configuration a runtime writes to a plugin's stdin (spec "Section 3: Execution of Network
 * Configurations", "Deriving execution configuration from plugin configuration"): the plugin's
 * own object with the list's `name` and `cniVersion`, the previous result as `prevResult`, and a
 * `runtimeConfig` derived from the plugin's `capabilities` and the runtime's capability arguments.
 * The text is what libcni writes: compact JSON, keys sorted by their bytes, HTML characters
 * escaped; a `prevResult` keeps its family's member order, as Go writes a result.
 *
 * @module
 */
import type { JsonObject } from "../_decode.ts";
import { formatResult } from "../print.ts";
import type { AnyResult } from "../types.ts";
import { encodeOrdered, encodeSorted, RawJson } from "./_go_encode.ts";
import { depthError } from "./_json_depth.ts";
import type { PluginConfig } from "./types.ts";

/** What {@link buildPluginStdin} puts into a plugin's configuration. */
export interface StdinInjection {
  /** The network's name. */
  readonly name: string;
  /** The network's version. */
  readonly cniVersion: string;
  /** The previous result, as `prevResult`; left out when absent. */
  readonly prevResult?: AnyResult;
  /** The runtime's capability arguments; see {@link runtimeConfigFor}. */
  readonly capabilityArgs?: Readonly<JsonObject>;
  /** Further keys, e.g. `cni.dev/valid-attachments` for GC. */
  readonly extra?: Readonly<JsonObject>;
}

/** A result as compact JSON in its family's member order, as Go writes a result value. */
export function resultJson(result: AnyResult): string {
  return encodeOrdered(JSON.parse(formatResult(result)));
}

/**
 * The `runtimeConfig` for a plugin: each capability the plugin enables whose key the capability
 * arguments hold, with its value. Undefined when there is none, and then the plugin's own
 * `runtimeConfig`, if any, passes through; otherwise this replaces it.
 */
export function runtimeConfigFor(
  plugin: PluginConfig,
  capabilityArgs: Readonly<JsonObject> | undefined,
): JsonObject | undefined {
  if (capabilityArgs === undefined) return undefined;
  const entries = Object.entries(plugin.capabilities)
    .filter(([capability, enabled]) => enabled && Object.hasOwn(capabilityArgs, capability))
    .map(([capability]) => [capability, capabilityArgs[capability]] as const);
  return entries.length === 0 ? undefined : Object.fromEntries(entries);
}

/**
 * The stdin text for one plugin run. libcni decodes the configuration it built before it runs the
 * plugin, so one nested deeper than Go decodes (capability arguments 10,000 levels deep, under
 * `runtimeConfig`) is refused here, as there.
 *
 * @example
 * ```ts ignore
 * buildPluginStdin(plugin, { name: "mynet", cniVersion: "1.0.0" });
 * // '{"cniVersion":"1.0.0","name":"mynet","type":"noop"}'
 * ```
 *
 * @throws {Error} `error parsing configuration: invalid character '[' exceeded max depth`
 */
export function buildPluginStdin(plugin: PluginConfig, injection: StdinInjection): string {
  const config: [string, unknown][] = Object.entries(plugin.raw);
  const set = (key: string, value: unknown) => {
    const i = config.findIndex(([k]) => k === key);
    if (i >= 0) config.splice(i, 1);
    config.push([key, value]);
  };
  set("name", injection.name);
  set("cniVersion", injection.cniVersion);
  if (injection.prevResult !== undefined) {
    set("prevResult", new RawJson(resultJson(injection.prevResult)));
  }
  for (const [key, value] of Object.entries(injection.extra ?? {})) set(key, value);
  const runtimeConfig = runtimeConfigFor(plugin, injection.capabilityArgs);
  if (runtimeConfig !== undefined) set("runtimeConfig", runtimeConfig);
  const document = Object.fromEntries(config);
  const tooDeep = depthError(document);
  if (tooDeep !== undefined) throw new Error(`error parsing configuration: ${tooDeep}`);
  return encodeSorted(document);
}
