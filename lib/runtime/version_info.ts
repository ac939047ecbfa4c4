/**
 * Asking plugins which spec versions they speak (spec "Section 2: Execution Protocol", "VERSION:
 * probe plugin version support"), as libcni's `GetVersionInfo` and `ValidateNetworkList` do.
 *
 * @module
 */
import { isJsonObject, jsonKind } from "../_decode.ts";
import { goQuote } from "../_go_quote.ts";
import { parseJson } from "../config.ts";
import { denoHost } from "../host.ts";
import type { VersionInfo } from "../types.ts";
import { CURRENT_VERSION } from "../version.ts";
import { findPlugin } from "./_invoke.ts";
import { errorText } from "./errors.ts";
import { execPlugin } from "./exec_plugin.ts";
import type { NetworkConfigList, RuntimeOptions } from "./types.ts";

/** What a plugin from before the VERSION command answers it with. */
const UNKNOWN_VERSION_COMMAND = "unknown CNI_COMMAND: VERSION";

function decodeError(message: string): Error {
  return new Error(`decoding version info: ${message}`);
}

/**
 * Decodes a VERSION reply. A reply without `supportedVersions` is accepted only from a 0.2.0
 * plugin, which speaks 0.1.0 and 0.2.0.
 *
 * @throws {Error} `decoding version info: ...`, e.g. `missing field cniVersion`
 */
export function decodeVersionInfo(stdout: string): VersionInfo {
  let document: unknown;
  try {
    document = parseJson(stdout);
  } catch (error) {
    throw decodeError(errorText(error));
  }
  if (document !== null && !isJsonObject(document)) {
    throw decodeError(
      `json: cannot unmarshal ${jsonKind(document)} into Go value of type version.pluginInfo`,
    );
  }
  let cniVersion = "";
  let supportedVersions: string[] = [];
  const mismatch = (value: unknown, field: string, type: string) =>
    decodeError(
      `json: cannot unmarshal ${
        jsonKind(value)
      } into Go struct field pluginInfo.${field} of type ${type}`,
    );
  for (const [key, value] of Object.entries(document ?? {})) {
    const lower = key.toLowerCase();
    if (lower === "cniversion") {
      if (value !== null && typeof value !== "string") throw mismatch(value, key, "string");
      cniVersion = value ?? cniVersion;
    } else if (lower === "supportedversions") {
      if (value === null) continue;
      if (!Array.isArray(value)) throw mismatch(value, key, "[]string");
      supportedVersions = value.map((item) => {
        if (item !== null && typeof item !== "string") throw mismatch(item, key, "string");
        return item ?? "";
      });
    }
  }
  if (cniVersion === "") throw decodeError("missing field cniVersion");
  if (supportedVersions.length === 0) {
    if (cniVersion === "0.2.0") return { cniVersion, supportedVersions: ["0.1.0", "0.2.0"] };
    throw decodeError("missing field supportedVersions");
  }
  return { cniVersion, supportedVersions };
}

/**
 * The versions the plugin `type` speaks: VERSION with `{"cniVersion":"1.1.0"}` on stdin,
 * CNI_NETNS, CNI_IFNAME and CNI_PATH set to "dummy" for plugins that want them. A plugin that
 * fails with exactly `unknown CNI_COMMAND: VERSION` predates the command and speaks 0.1.0 only.
 *
 * @throws {Error} when the plugin is not found, fails otherwise, or answers nonsense
 */
export async function getVersionInfo(type: string, options: RuntimeOptions): Promise<VersionInfo> {
  const host = options.host ?? denoHost();
  const path = await findPlugin(type, options, host);
  const env = {
    CNI_COMMAND: "VERSION",
    CNI_CONTAINERID: "",
    CNI_NETNS: "dummy",
    CNI_IFNAME: "dummy",
    CNI_ARGS: "",
    CNI_PATH: "dummy",
  };
  let stdout: string;
  try {
    stdout = await execPlugin(path, `{"cniVersion":${JSON.stringify(CURRENT_VERSION)}}`, env, {
      ...options,
      host,
      command: "VERSION",
      type,
    });
  } catch (error) {
    if (errorText(error) === UNKNOWN_VERSION_COMMAND) {
      return { cniVersion: CURRENT_VERSION, supportedVersions: ["0.1.0"] };
    }
    throw error;
  }
  return decodeVersionInfo(stdout);
}

/**
 * Checks that every plugin of the list exists and speaks the list's version (an empty version is
 * 0.1.0), and returns the capabilities the plugins enable, sorted.
 *
 * @throws {Error} all failures in one message, as Go prints a list of errors:
 *   `[plugin x does not support config version "1.1.0" failed to find plugin "y" in path [/a]]`
 */
export async function validateNetworkList(
  list: NetworkConfigList,
  options: RuntimeOptions,
): Promise<string[]> {
  const version = list.cniVersion === "" ? "0.1.0" : list.cniVersion;
  const errors: string[] = [];
  const capabilities = new Set<string>();
  for (const plugin of list.plugins) {
    try {
      const info = await getVersionInfo(plugin.type, options);
      if (!info.supportedVersions.includes(version)) {
        errors.push(`plugin ${plugin.type} does not support config version ${goQuote(version)}`);
      }
    } catch (error) {
      errors.push(errorText(error));
    }
    for (const [capability, enabled] of Object.entries(plugin.capabilities)) {
      if (enabled) capabilities.add(capability);
    }
  }
  if (errors.length > 0) throw new Error(`[${errors.join(" ")}]`);
  return [...capabilities].sort();
}
