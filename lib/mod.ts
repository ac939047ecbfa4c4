/**
 * deno-cni: write Container Network Interface plugins in TypeScript.
 *
 * A plugin is one file: {@link definePlugin} with a handler per verb, and
 * `if (import.meta.main) await runPlugin(plugin);`. The handlers get the typed configuration,
 * the previous result converted to the newest shape, delegation and the namespace toolkit; ADD
 * returns a result made with {@link result}, {@link iface}, {@link ip} and {@link route}, which
 * is printed in the configuration's version. Errors are {@link CniError}s with the spec's codes.
 *
 * The other entry points: `./testing` (run a plugin in-process with fake programs), `./netns`
 * (the namespace toolkit), `./delegate` (delegation), `./protocol` (the dispatcher and the wire
 * formats underneath) and `./runtime` (the runtime side: run networks of plugins as libcni does).
 *
 * @example
 * ```ts
 * import { definePlugin, emptyResult, runPlugin } from "./mod.ts";
 *
 * export const noop = definePlugin({
 *   name: "noop",
 *   add: ({ configVersion }) => emptyResult(configVersion),
 * });
 *
 * if (import.meta.main) await runPlugin(noop);
 * ```
 *
 * @module
 */
export {
  type ConfigContext,
  definePlugin,
  type Plugin,
  type PluginContext,
  type PluginDefinition,
  type VerbHandler,
} from "./plugin.ts";
export { runPlugin, type RunPluginOptions } from "./runner.ts";
export {
  iface,
  type InterfaceOptions,
  ip,
  type IpOptions,
  result,
  type ResultParts,
  route,
  type RouteOptions,
} from "./result_builders.ts";
export { emptyResult } from "./result.ts";
export { CniError, ErrorCode, type ErrorObject } from "./errors.ts";
export { ConfigError, configError } from "./config_error.ts";
export type {
  ConfigReader,
  IntegerOptions,
  ReadOptions,
  StringOptions,
  ValueReader,
} from "./config_reader.ts";
export type { JsonObject } from "./_decode.ts";
export type { GcAttachment, IpamConfig, NetConf } from "./config.ts";
export type { AnyResult, Dns, Interface100, IpConfig100, Result100, Route } from "./types.ts";
export {
  ALL_VERSIONS,
  CURRENT_VERSION,
  type SpecVersion,
  versionHasChaining,
  versionHasCheck,
  versionHasGcAndStatus,
  versionHasIpVersion,
  versionsStartingFrom,
} from "./version.ts";
export type { CniArgKind, CniArgs, Verb } from "./env.ts";
export type { LogFields, Logger, LogLevel } from "./log.ts";
