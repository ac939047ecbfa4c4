/**
 * The network configuration a plugin reads on stdin (spec §"Section 1: Network configuration
 * format"), decoded with the Go reference's rules.
 */
import {
  child,
  DecodeError,
  field,
  type FieldPath,
  isJsonObject,
  type JsonObject,
  optionalArray,
  optionalBoolean,
  optionalObject,
  optionalString,
  typeMismatch,
} from "./_decode.ts";
import { goJsonSyntaxError } from "./_go_json.ts";
import { CniError, ErrorCode } from "./errors.ts";
import { decodeDns, decodeResult } from "./result.ts";
import type { AnyResult, Dns } from "./types.ts";

/** The `ipam` section: its `type` names the IPAM plugin; other keys belong to that plugin. */
export interface IpamConfig {
  type: string;
  [key: string]: unknown;
}

/** An attachment named in GC's `cni.dev/valid-attachments`. */
export interface GcAttachment {
  containerID: string;
  ifname: string;
}

/** A decoded network configuration. Plugin-specific keys stay in `raw`. */
export interface NetConf {
  /** The configuration's version; "0.1.0" when missing or empty. */
  cniVersion: string;
  name: string;
  type: string;
  capabilities?: Record<string, boolean>;
  ipam?: IpamConfig;
  dns?: Dns;
  /** Set only when the key holds a boolean: Go's NetConf has no such key, so no type error. */
  ipMasq?: boolean;
  runtimeConfig?: JsonObject;
  /** Set only when the key holds an object: Go's NetConf has no such key, so no type error. */
  args?: JsonObject;
  /** The previous plugin's result as sent, not yet checked (see parsePrevResult). */
  rawPrevResult?: JsonObject;
  validAttachments?: GcAttachment[];
  /** The whole configuration object as parsed, plugin-specific keys included. */
  raw: JsonObject;
}

/**
 * Parses JSON text, reporting syntax errors in the words of Go's encoding/json.
 *
 * @throws {DecodeError} when the text is not JSON
 */
export function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    throw new DecodeError(goJsonSyntaxError(text) ?? "invalid JSON");
  }
}

const NAME_PATTERN = /^[a-zA-Z0-9][a-zA-Z0-9_.\-]*$/;

/** True for a valid network name or container ID (`^[a-zA-Z0-9][a-zA-Z0-9_.\-]*$`). */
export function isValidName(name: string): boolean {
  return NAME_PATTERN.test(name);
}

/**
 * The check every verb but VERSION runs first (Go skel's `validateConfig`): stdin is a JSON object
 * (or null) whose `name` is a valid network name.
 *
 * @returns the parsed document
 * @throws {CniError} code 6 when stdin is not JSON or `name` is not a string, code 7 when the name
 * is missing or invalid
 */
export function checkNetworkConfig(stdin: string): unknown {
  let document: unknown;
  let name: unknown;
  try {
    document = parseJson(stdin);
    if (document !== null && !isJsonObject(document)) {
      throw typeMismatch(
        document,
        { struct: "", path: "" },
        'struct { Name string "json:\\"name\\"" }',
      );
    }
    name = optionalString(document === null ? undefined : field(document, "name"), {
      struct: "",
      path: "name",
    });
  } catch (error) {
    if (!(error instanceof DecodeError)) throw error;
    throw new CniError(
      ErrorCode.decodingFailure,
      `error unmarshall network config: ${error.message}`,
    );
  }
  if (name === undefined || name === "") {
    throw new CniError(ErrorCode.invalidNetworkConfig, "missing network name");
  }
  if (!isValidName(String(name))) {
    throw new CniError(
      ErrorCode.invalidNetworkConfig,
      "invalid characters found in network name",
      String(name),
    );
  }
  return document;
}

/**
 * The configuration's `cniVersion` as the Go skel reads it: "" when missing.
 *
 * @throws {CniError} code 6 when it is not a string
 */
export function configVersionOf(document: unknown): string {
  if (!isJsonObject(document)) return "";
  try {
    return optionalString(field(document, "cniVersion"), { struct: "", path: "cniVersion" }) ?? "";
  } catch (error) {
    if (!(error instanceof DecodeError)) throw error;
    throw new CniError(
      ErrorCode.decodingFailure,
      `decoding version from network config: ${error.message}`,
    );
  }
}

function decodeCapabilities(value: unknown, at: FieldPath): Record<string, boolean> | undefined {
  const object = optionalObject(value, at, "map[string]bool");
  if (object === undefined) return undefined;
  const capabilities: Record<string, boolean> = {};
  for (const [key, enabled] of Object.entries(object)) {
    capabilities[key] = optionalBoolean(enabled, at) ?? false;
  }
  return capabilities;
}

function decodeIpam(value: unknown, at: FieldPath): IpamConfig | undefined {
  const object = optionalObject(value, at, "types.IPAM");
  if (object === undefined) return undefined;
  return {
    ...object,
    type: optionalString(field(object, "type"), child(at, "type", "IPAM")) ?? "",
  };
}

function decodeAttachments(value: unknown, at: FieldPath): GcAttachment[] | undefined {
  return optionalArray(value, at, "[]types.GCAttachment")?.map((item) => {
    const object = optionalObject(item, at, "types.GCAttachment") ?? {};
    return {
      containerID: optionalString(field(object, "containerID"), child(at, "containerID")) ?? "",
      ifname: optionalString(field(object, "ifname"), child(at, "ifname")) ?? "",
    };
  });
}

/**
 * Decodes a network configuration: the spec's well-known keys are type-checked, `prevResult` is
 * kept as sent (parse it with parsePrevResult), everything else stays in `raw`.
 *
 * @param document the parsed stdin (see parseJson)
 * @param struct the Go struct name used in error messages
 * @throws {DecodeError} when a well-known key has the wrong type
 */
export function decodeNetConf(document: unknown, struct = "NetConf"): NetConf {
  if (document !== null && !isJsonObject(document)) {
    throw typeMismatch(document, { struct: "", path: "" }, struct);
  }
  const raw = document ?? {};
  const at = (key: string): FieldPath => ({ struct, path: key });
  const conf: NetConf = {
    cniVersion: optionalString(field(raw, "cniVersion"), at("cniVersion")) || "0.1.0",
    name: optionalString(field(raw, "name"), at("name")) ?? "",
    type: optionalString(field(raw, "type"), at("type")) ?? "",
    raw,
  };
  const optional = {
    capabilities: decodeCapabilities(field(raw, "capabilities"), at("capabilities")),
    ipam: decodeIpam(field(raw, "ipam"), at("ipam")),
    dns: field(raw, "dns") == null ? undefined : decodeDns(field(raw, "dns"), at("dns")),
    ipMasq: typeof field(raw, "ipMasq") === "boolean" ? field(raw, "ipMasq") as boolean : undefined,
    runtimeConfig: optionalObject(
      field(raw, "runtimeConfig"),
      at("runtimeConfig"),
      "map[string]interface {}",
    ),
    args: isJsonObject(field(raw, "args")) ? field(raw, "args") as JsonObject : undefined,
    rawPrevResult: optionalObject(
      field(raw, "prevResult"),
      at("prevResult"),
      "map[string]interface {}",
    ),
    validAttachments: decodeAttachments(
      field(raw, "cni.dev/valid-attachments"),
      at("cni.dev/valid-attachments"),
    ),
  };
  for (const [key, value] of Object.entries(optional)) {
    if (value !== undefined) (conf as unknown as Record<string, unknown>)[key] = value;
  }
  return conf;
}

/**
 * Parses the previous plugin's result the way the Go reference does: in the family of the
 * configuration's version, taking the result's own `cniVersion` when it has the key (even ""),
 * else the configuration's.
 *
 * @param rawPrevResult the `prevResult` object as sent
 * @param configVersion the configuration's `cniVersion` ("" when missing)
 * @throws {DecodeError} "could not parse prevResult: ..." when it does not decode in that family
 */
export function parsePrevResult(rawPrevResult: JsonObject, configVersion: string): AnyResult {
  // Go injects the configuration's version under "CNIVersion" unless that key holds a non-empty
  // value, re-encodes with sorted keys and decodes case-insensitively: the last key in byte order
  // that folds to "cniversion" wins, so a real "cniVersion" beats the injected one.
  const withVersion: JsonObject = { ...rawPrevResult };
  const injected = rawPrevResult["CNIVersion"];
  if (injected === undefined || injected === "") withVersion["CNIVersion"] = configVersion;
  const sorted: JsonObject = {};
  for (const key of Object.keys(withVersion).sort()) sorted[key] = withVersion[key];
  try {
    return decodeResult(configVersion, sorted);
  } catch (error) {
    if (!(error instanceof DecodeError)) throw error;
    throw new DecodeError(`could not parse prevResult: ${error.message}`);
  }
}
