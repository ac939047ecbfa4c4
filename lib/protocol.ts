/**
 * The protocol underneath `definePlugin`, for code that needs it: the dispatcher with its host,
 * the environment and configuration rules, result decoding, conversion and printing in the Go
 * reference's exact form, and version parsing.
 *
 * @example A plugin on the dispatcher alone
 * ```ts
 * import assert from "node:assert/strict";
 * import { dispatch, emptyResult, type PluginHandlers } from "./protocol.ts";
 * import { fakeHost } from "./testing.ts";
 *
 * const handlers: PluginHandlers = {
 *   versions: ["1.0.0"],
 *   about: "CNI bare plugin",
 *   add: ({ configVersion }) => emptyResult(configVersion),
 * };
 * const host = fakeHost({
 *   env: { CNI_COMMAND: "VERSION" },
 * });
 * assert.equal(await dispatch(handlers, host), 0);
 * assert.equal(host.stdout, '{"cniVersion":"1.1.0","supportedVersions":["1.0.0"]}\n');
 * ```
 *
 * @module
 */
export {
  checkVersions,
  dispatch,
  type Handler,
  type Invocation,
  type PluginHandlers,
  type UndoAction,
} from "./skel.ts";
export {
  DEFAULT_TIMEOUT_MS,
  denoHost,
  type DenoHostOptions,
  type Host,
  MAX_OUTPUT_BYTES,
  permissionError,
  type RunOptions,
  type RunOutput,
  TIMEOUT_VARIABLE,
  tryWriteStderr,
} from "./host.ts";
export {
  type CmdArgs,
  CNI_VARIABLES,
  DEFAULT_CNI_ARGS,
  envText,
  type GetenvBytes,
  isVerb,
  parseCniArgs,
  readCmdArgs,
  splitCniPath,
  validateInterfaceName,
  type Verb,
} from "./env.ts";
export {
  checkNetworkConfig,
  configVersionOf,
  decodeNetConf,
  type GcAttachment,
  type IpamConfig,
  type NetConf,
  parseJson,
  parsePrevResult,
  readPrevResult,
} from "./config.ts";
export { interfaceNameProblem, isValidName, kernelInterfaceNameProblem } from "./names.ts";
export { decodeResult, emptyResult, resultFamily } from "./result.ts";
export { convertResult, convertToCurrent } from "./convert.ts";
export {
  formatError,
  formatResult,
  formatVersionInfo,
  marshalCompact,
  marshalIndent,
} from "./print.ts";
export {
  ALL_VERSIONS,
  compareVersions,
  CURRENT_VERSION,
  DEFAULT_VERSION,
  familyOf,
  familyVersions,
  isSpecVersion,
  LEGACY_VERSIONS,
  parseVersion,
  type ResultFamily,
  type SpecVersion,
  versionAtLeast,
  versionOrDefault,
  type VersionTriple,
} from "./version.ts";
export { CniError, ErrorCode, type ErrorObject, toCniError } from "./errors.ts";
export { isJsonObject, type JsonObject } from "./_decode.ts";
export {
  cidrContains,
  formatCidr,
  formatIp,
  type IpAddress,
  type IpCidr,
  isIpv4,
  parseCidr,
  parseIp,
} from "./ip.ts";
export type {
  AnyResult,
  Dns,
  Interface040,
  Interface100,
  IpConfig020,
  IpConfig040,
  IpConfig100,
  Result020,
  Result040,
  Result100,
  Route,
  VersionInfo,
} from "./types.ts";
