/**
 * Parsing network configuration lists and plugin configurations from their JSON bytes, with the
 * rules and messages of libcni's `NetworkConfFromBytes` and `NetworkPluginConfFromBytes`
 * (spec "Section 1: Network configuration format").
 *
 * @module
 */
import {
  DecodeError,
  findOverflow,
  foldKey,
  goTypeName,
  isJsonObject,
  jsonKind,
  type JsonObject,
  overflowError,
} from "../_decode.ts";
import { goQuote } from "../_go_quote.ts";
import { parseJson } from "../config.ts";
import { compareVersions, CURRENT_VERSION, parseVersion } from "../version.ts";
import { compareUtf8, encodeSorted } from "./_go_encode.ts";
import { depthError } from "./_json_depth.ts";
import { errorText } from "./errors.ts";
import type { NetworkConfigList, PluginConfig } from "./types.ts";

/** A Go type error for a member of the plugin configuration. */
function mismatch(value: unknown, struct: string, field: string, goType: string): Error {
  return new Error(
    `json: cannot unmarshal ${
      jsonKind(value)
    } into Go struct field ${struct}.${field} of type ${goType}`,
  );
}

function stringField(value: unknown, struct: string, field: string): string | undefined {
  if (value === null) return undefined;
  if (typeof value !== "string") throw mismatch(value, struct, field, "string");
  return value;
}

function stringList(value: unknown, struct: string, field: string): void {
  if (value === null) return;
  if (!Array.isArray(value)) throw mismatch(value, struct, field, "[]string");
  for (const item of value) stringField(item, struct, field);
}

/** Whether a JSON key matches the struct field `name` as Go matches them (see `foldKey`). */
function sameKey(key: string, name: string): boolean {
  return key === name || foldKey(key) === foldKey(name);
}

function checkIpam(value: unknown): void {
  if (value === null) return;
  if (!isJsonObject(value)) throw mismatch(value, "PluginConf", "ipam", "types.IPAM");
  for (const [key, member] of Object.entries(value)) {
    if (sameKey(key, "type")) stringField(member, "IPAM", "ipam.type");
  }
}

function checkDns(value: unknown): void {
  if (value === null) return;
  if (!isJsonObject(value)) throw mismatch(value, "PluginConf", "dns", "types.DNS");
  for (const [key, member] of Object.entries(value)) {
    for (const list of ["nameservers", "search", "options"]) {
      if (sameKey(key, list)) stringList(member, "DNS", `dns.${list}`);
    }
    if (sameKey(key, "domain")) stringField(member, "DNS", "dns.domain");
  }
}

function checkAttachments(value: unknown): void {
  const field = "cni.dev/valid-attachments";
  if (value === null) return;
  if (!Array.isArray(value)) throw mismatch(value, "PluginConf", field, "[]types.GCAttachment");
  for (const item of value) {
    if (item === null) continue;
    if (!isJsonObject(item)) throw mismatch(item, "PluginConf", field, "types.GCAttachment");
    for (const [key, member] of Object.entries(item)) {
      if (sameKey(key, "containerID")) stringField(member, "GCAttachment", `${field}.containerID`);
      if (sameKey(key, "ifname")) stringField(member, "GCAttachment", `${field}.ifname`);
    }
  }
}

/** A map of any JSON values: Go fails on a number its float64 cannot hold. */
function checkPrevResult(value: unknown): void {
  if (value === null) return;
  if (!isJsonObject(value)) {
    throw mismatch(value, "PluginConf", "prevResult", "map[string]interface {}");
  }
  const overflow = findOverflow(value);
  if (overflow !== undefined) {
    throw new Error(
      `json: cannot unmarshal number ${overflow.text} into Go struct field PluginConf.prevResult ` +
        "of type float64",
    );
  }
}

function capabilitiesOf(value: unknown): Record<string, boolean> {
  if (value === null) return {};
  if (!isJsonObject(value)) throw mismatch(value, "PluginConf", "capabilities", "map[string]bool");
  const capabilities: Record<string, boolean> = {};
  for (const [key, enabled] of Object.entries(value)) {
    if (enabled !== null && typeof enabled !== "boolean") {
      throw mismatch(enabled, "PluginConf", "capabilities", "bool");
    }
    Object.defineProperty(capabilities, key, {
      value: enabled === true,
      enumerable: true,
      writable: true,
      configurable: true,
    });
  }
  return capabilities;
}

/**
 * Decodes a plugin configuration that JSON.parse already read. The spec's members must have
 * their types (Go's `types.PluginConf`); every other member passes through untouched. Go decodes
 * the keys in turn, each one that matches a field ignoring case setting it, so of `type` and
 * `TYPE` the later one wins. In a configuration list libcni writes each plugin out again, with its
 * keys sorted by their bytes, before it decodes it: `sorted` decodes in that order (where `type`
 * comes after every other spelling of it).
 *
 * @param value the configuration
 * @param sorted decode the keys in byte order, as for a plugin of a list, not in their own order
 * @throws {Error} `error parsing configuration: ...`, e.g. `missing 'type'`
 */
export function decodePluginConfig(value: unknown, sorted = false): PluginConfig {
  let raw: JsonObject = {};
  let type = "";
  let name = "";
  let capabilities: Record<string, boolean> = {};
  try {
    if (value !== null) {
      if (!isJsonObject(value)) {
        throw new Error(
          `json: cannot unmarshal ${jsonKind(value)} into Go value of type types.PluginConf`,
        );
      }
      raw = value;
    }
    const members = Object.entries(raw);
    if (sorted) members.sort(([a], [b]) => compareUtf8(a, b));
    for (const [key, member] of members) {
      if (sameKey(key, "cniVersion")) stringField(member, "PluginConf", "cniVersion");
      else if (sameKey(key, "name")) name = stringField(member, "PluginConf", "name") ?? name;
      else if (sameKey(key, "type")) type = stringField(member, "PluginConf", "type") ?? type;
      else if (sameKey(key, "capabilities")) capabilities = capabilitiesOf(member);
      else if (sameKey(key, "ipam")) checkIpam(member);
      else if (sameKey(key, "dns")) checkDns(member);
      else if (sameKey(key, "prevResult")) checkPrevResult(member);
      else if (sameKey(key, "cni.dev/valid-attachments")) checkAttachments(member);
    }
  } catch (error) {
    throw new Error(`error parsing configuration: ${errorText(error)}`, { cause: error });
  }
  if (type === "") throw new Error("error parsing configuration: missing 'type'");
  return { raw, type, name, capabilities };
}

/**
 * Parses one plugin's configuration from JSON (libcni's `NetworkPluginConfFromBytes`).
 *
 * @throws {Error} `error parsing configuration: <reason>`
 */
export function parsePluginConfig(input: string | Uint8Array): PluginConfig {
  let value: unknown;
  try {
    value = parseJson(input);
  } catch (error) {
    throw new Error(`error parsing configuration: ${errorText(error)}`, { cause: error });
  }
  const tooDeep = depthError(value);
  if (tooDeep !== undefined) throw new Error(`error parsing configuration: ${tooDeep}`);
  return decodePluginConfig(value);
}

function listError(message: string): Error {
  return new Error(`error parsing configuration list: ${message}`);
}

/** A flag of the list: a boolean, or "true"/"false" in any case; absent is false. */
function readFlag(list: JsonObject, key: string): boolean {
  if (!Object.hasOwn(list, key)) return false;
  const value = list[key];
  if (typeof value === "boolean") return value;
  if (typeof value !== "string") throw listError(`invalid type ${goTypeName(value)} for ${key}`);
  const lower = value.toLowerCase();
  if (lower === "true") return true;
  if (lower === "false") return false;
  throw listError(`invalid value ${goQuote(lower)} for ${key}`);
}

/** Spec 1.1.0 `cniVersions`: the highest version this library speaks among it and `cniVersion`. */
function negotiateVersion(list: JsonObject, cniVersion: string): string {
  if (!Object.hasOwn(list, "cniVersions")) return cniVersion;
  const listed = list.cniVersions;
  if (!Array.isArray(listed)) throw listError("invalid type for cniVersions: []interface {}");
  const current = parseVersion(CURRENT_VERSION);
  const candidates: { text: string; parsed: readonly [number, number, number] }[] = [];
  const consider = (text: string, describe: (e: unknown) => string) => {
    let parsed: readonly [number, number, number];
    try {
      parsed = parseVersion(text);
    } catch (error) {
      throw listError(describe(error));
    }
    if (compareVersions(parsed, current) <= 0) candidates.push({ text, parsed });
  };
  listed.forEach((entry, i) => {
    if (typeof entry !== "string") {
      throw listError(`invalid type for cniVersions index ${i}: ${goTypeName(entry)}`);
    }
    consider(entry, (e) => `invalid cniVersions entry ${entry} at index ${i}: ${errorText(e)}`);
  });
  if (cniVersion !== "") {
    consider(cniVersion, (e) => `invalid cniVersion ${cniVersion}: ${errorText(e)}`);
  }
  let best: (typeof candidates)[number] | undefined;
  for (const candidate of candidates) {
    if (best === undefined || compareVersions(candidate.parsed, best.parsed) >= 0) best = candidate;
  }
  return best?.text ?? cniVersion;
}

/**
 * Parses a network configuration list (libcni's `NetworkConfFromBytes`, spec 1.1.0 rules):
 * `name` is required; `cniVersions` picks the highest version up to 1.1.0; `disableCheck`,
 * `disableGC` and `loadOnlyInlinedPlugins` take booleans or "true"/"false" in any case. Without a
 * `plugins` key the list has no plugins yet: {@link loadNetworkConfigList} adds the ones in
 * `<dir>/<name>/*.conf`, unless `loadOnlyInlinedPlugins` is true, which makes it an error.
 *
 * @throws {Error} `error parsing configuration list: ...` or `failed to parse plugin config <i>: ...`
 */
export function parseNetworkConfigList(input: string | Uint8Array): NetworkConfigList {
  const bytes = typeof input === "string" ? new TextEncoder().encode(input) : input;
  let document: unknown;
  try {
    document = parseJson(bytes);
  } catch (error) {
    if (error instanceof DecodeError) throw listError(error.message);
    throw error;
  }
  const tooDeep = depthError(document);
  if (tooDeep !== undefined) throw listError(tooDeep);
  if (document !== null && !isJsonObject(document)) {
    throw listError(
      `json: cannot unmarshal ${jsonKind(document)} into Go value of type map[string]interface {}`,
    );
  }
  // Go decodes the list into a map of any values, so a number beyond float64 fails it.
  const overflow = findOverflow(document);
  if (overflow !== undefined) throw listError(overflowError(overflow).message);
  const list: JsonObject = document ?? {};
  if (!Object.hasOwn(list, "name")) throw listError("no name");
  const name = list.name;
  if (typeof name !== "string") throw listError(`invalid name type ${goTypeName(name)}`);
  let cniVersion = "";
  if (Object.hasOwn(list, "cniVersion")) {
    if (typeof list.cniVersion !== "string") {
      throw listError(`invalid cniVersion type ${goTypeName(list.cniVersion)}`);
    }
    cniVersion = list.cniVersion;
  }
  cniVersion = negotiateVersion(list, cniVersion);
  const disableCheck = readFlag(list, "disableCheck");
  const disableGC = readFlag(list, "disableGC");
  const loadOnlyInlinedPlugins = readFlag(list, "loadOnlyInlinedPlugins");
  const base = { name, cniVersion, disableCheck, disableGC, loadOnlyInlinedPlugins, bytes };
  if (!Object.hasOwn(list, "plugins")) {
    if (loadOnlyInlinedPlugins) {
      throw listError("`loadOnlyInlinedPlugins` is true, and no 'plugins' key");
    }
    return { ...base, plugins: [] };
  }
  const plugins = list.plugins;
  if (!Array.isArray(plugins)) throw listError(`invalid 'plugins' type ${goTypeName(plugins)}`);
  if (plugins.length === 0) throw listError("no plugins in list");
  return {
    ...base,
    plugins: plugins.map((plugin, i) => {
      try {
        return decodePluginConfig(plugin, true);
      } catch (error) {
        throw new Error(`failed to parse plugin config ${i}: ${errorText(error)}`, {
          cause: error,
        });
      }
    }),
  };
}

/**
 * A one-plugin list made from a single plugin configuration (a `.conf` or `.json` file), with
 * that configuration's `name` and `cniVersion` (libcni's `ConfListFromConf`).
 */
export function networkConfigListFromPlugin(plugin: PluginConfig): NetworkConfigList {
  let cniVersion = "";
  for (const [key, value] of Object.entries(plugin.raw)) {
    if (sameKey(key, "cniVersion") && typeof value === "string") cniVersion = value;
  }
  const text = encodeSorted({ cniVersion, name: plugin.name, plugins: [plugin.raw] });
  return parseNetworkConfigList(text);
}
