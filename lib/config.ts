/**
 * The network configuration a plugin reads on stdin (spec "Section 1: Network configuration
 * format"), decoded with the Go reference's rules, and the previous result it may carry (spec
 * "Section 3: Execution of Network Configurations", chained plugins).
 *
 * @module
 */
import {
  child,
  decodeEach,
  DecodeError,
  type FieldPath,
  fieldValues,
  findOverflow,
  groupFields,
  hasFoldedDuplicates,
  isJsonObject,
  type JsonObject,
  mergeObjects,
  optionalArray,
  optionalBoolean,
  optionalObject,
  optionalString,
  overflowError,
  OverflowNumber,
  typeMismatch,
} from "./_decode.ts";
import { goJsonSyntaxError } from "./_go_json.ts";
import { goText } from "./_go_text.ts";
import { convertToCurrent } from "./convert.ts";
import { CniError, ErrorCode } from "./errors.ts";
import { isValidName } from "./names.ts";
import { decodeDns, decodeResult } from "./result.ts";
import type { AnyResult, Dns, Result100 } from "./types.ts";
import { versionOrDefault } from "./version.ts";

/** The `ipam` section: its `type` names the IPAM plugin; other keys belong to that plugin. */
export interface IpamConfig {
  /** The IPAM plugin's name. */
  type: string;
  /** The IPAM plugin's own keys. */
  [key: string]: unknown;
}

/** An attachment named in GC's `cni.dev/valid-attachments`. */
export interface GcAttachment {
  /** The attachment's container ID. */
  containerID: string;
  /** The attachment's interface name. */
  ifname: string;
}

/** A decoded network configuration. Plugin-specific keys stay in `raw`. */
export interface NetConf {
  /** The configuration's version; "0.1.0" when missing or empty. */
  cniVersion: string;
  /** The network's name. */
  name: string;
  /** The plugin's name. */
  type: string;
  /** The capabilities the plugin offers the runtime, by name. */
  capabilities?: Record<string, boolean>;
  /** The IPAM section, for plugins that delegate address management. */
  ipam?: IpamConfig;
  /** DNS settings. */
  dns?: Dns;
  /** Set only when the key holds a boolean: Go's NetConf has no such key, so no type error. */
  ipMasq?: boolean;
  /** What the runtime passes for the capabilities the plugin offers. */
  runtimeConfig?: JsonObject;
  /** Set only when the key holds an object: Go's NetConf has no such key, so no type error. */
  args?: JsonObject;
  /** The previous plugin's result as sent, not yet checked (see parsePrevResult). */
  rawPrevResult?: JsonObject;
  /** GC's `cni.dev/valid-attachments`: the attachments that are still in use. */
  validAttachments?: GcAttachment[];
  /** The whole configuration object as parsed, plugin-specific keys included. */
  raw: JsonObject;
}

/**
 * A number literal a float64 cannot hold: at least three exponent digits or 309 integer digits,
 * where a value starts. Only texts with one take the slower parse that keeps its text.
 */
const HUGE_NUMBER = /[:[,]\s*-?[0-9]+(?:\.[0-9]+)?[eE][+-]?[0-9]{3}|[:[,]\s*-?[0-9]{309}/;

/** Keeps numbers JSON.parse would make infinite as {@link OverflowNumber}s with their text. */
function keepOverflow(_key: string, value: unknown, context?: { source?: string }): unknown {
  return typeof value === "number" && !Number.isFinite(value)
    ? new OverflowNumber(context?.source ?? String(value))
    : value;
}

/**
 * Parses JSON text or bytes, reporting syntax errors in the words of Go's encoding/json. Bytes are
 * read as Go reads them (see `goText`): a byte that is not UTF-8 becomes U+FFFD, and a leading
 * byte-order mark is kept, so it fails as in Go. A number too large for a float64 is kept as an
 * {@link OverflowNumber}, which the decoders refuse wherever Go would store it.
 *
 * @throws {DecodeError} when the input is not one JSON document
 */
export function parseJson(input: string | Uint8Array): unknown {
  const text = typeof input === "string" ? input : goText(input);
  try {
    return HUGE_NUMBER.test(text)
      ? JSON.parse(text, keepOverflow as (key: string, value: unknown) => unknown)
      : JSON.parse(text);
  } catch {
    throw new DecodeError(goJsonSyntaxError(input) ?? "invalid JSON");
  }
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
    name = document === null ? undefined : decodeEach(
      fieldValues(document, "name"),
      (value) => optionalString(value, { struct: "", path: "name" }),
    );
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
 * The configuration's `cniVersion` as the Go skel reads it: "0.1.0" when missing or "".
 *
 * @throws {CniError} code 6 when it is not a string
 */
export function configVersionOf(document: unknown): string {
  if (!isJsonObject(document)) return versionOrDefault("");
  try {
    return versionOrDefault(
      decodeEach(
        fieldValues(document, "cniVersion"),
        (value) => optionalString(value, { struct: "", path: "cniVersion" }),
      ),
    );
  } catch (error) {
    if (!(error instanceof DecodeError)) throw error;
    throw new CniError(
      ErrorCode.decodingFailure,
      `decoding version from network config: ${error.message}`,
    );
  }
}

/**
 * Decodes one value with `decode`, and, when two of its keys fold to the same name, each member
 * alone first: Go decodes every one of them, so each must decode.
 */
function decodeMembers<T>(value: unknown, decode: (value: unknown) => T): T {
  if (isJsonObject(value) && hasFoldedDuplicates(value)) {
    for (const key in value) decode({ [key]: value[key] });
  }
  return decode(value);
}

/** A map of booleans: each value must be one; null reads as false, as Go stores it. */
function decodeCapabilities(values: unknown[], at: FieldPath): Record<string, boolean> | undefined {
  for (const value of values) {
    const object = optionalObject(value, at, "map[string]bool") ?? {};
    for (const key in object) optionalBoolean(object[key], at);
  }
  // A map: JSON.parse kept the last of keys repeated with the same spelling, as Go's map
  // decoding does, and the keys of several objects are merged into one map.
  const merged = mergeObjects(values, true);
  if (merged === undefined) return undefined;
  const capabilities: Record<string, boolean> = {};
  for (const [key, enabled] of Object.entries(merged)) capabilities[key] = enabled === true;
  return capabilities;
}

/** The `ipam` section (Go's `types.IPAM`, a struct with `type`); its other keys are kept. */
function decodeIpam(values: unknown[], at: FieldPath): IpamConfig | undefined {
  const typeOf = (object: JsonObject) =>
    decodeEach(
      fieldValues(object, "type"),
      (value) => optionalString(value, child(at, "type", "IPAM")),
    );
  for (const value of values) {
    const object = optionalObject(value, at, "types.IPAM");
    if (object !== undefined) typeOf(object);
  }
  const merged = mergeObjects(values, false);
  if (merged === undefined) return undefined;
  return { ...merged, type: typeOf(merged) ?? "" };
}

/** The `dns` section (Go's `types.DNS`, a struct). */
function decodeConfDns(values: unknown[], at: FieldPath): Dns | undefined {
  for (const value of values) {
    if (value !== null) decodeMembers(value, (member) => decodeDns(member, at));
  }
  const merged = mergeObjects(values, false);
  return merged === undefined ? undefined : decodeDns(merged, at);
}

function decodeAttachments(values: unknown[], at: FieldPath): GcAttachment[] | undefined {
  const decodeList = (value: unknown) =>
    optionalArray(value, at, "[]types.GCAttachment")?.map((item) =>
      decodeMembers(item, (member) => {
        const object = optionalObject(member, at, "types.GCAttachment") ?? {};
        const text = (key: string) =>
          decodeEach(fieldValues(object, key), (value) => optionalString(value, child(at, key)));
        return { containerID: text("containerID") ?? "", ifname: text("ifname") ?? "" };
      })
    );
  return decodeEach(values, decodeList, true);
}

/** A map-typed key: each value must be an object; the objects are merged, null resets. */
function decodeMap(values: unknown[], at: FieldPath): JsonObject | undefined {
  for (const value of values) optionalObject(value, at, "map[string]interface {}");
  return mergeObjects(values, true);
}

/** The keys of Go's NetConf (and `ipMasq`, `runtimeConfig`, `args`), as decodeNetConf reads them. */
const NETCONF_KEYS = [
  "cniVersion",
  "name",
  "type",
  "capabilities",
  "ipam",
  "dns",
  "ipMasq",
  "runtimeConfig",
  "args",
  "prevResult",
  "cni.dev/valid-attachments",
] as const;

/**
 * Decodes a network configuration: the spec's well-known keys are type-checked, `prevResult` is
 * kept as sent (parse it with parsePrevResult), everything else stays in `raw`.
 *
 * A key is matched case-insensitively, and every key that matches one is decoded, in document
 * order, as Go's encoding/json decodes each into the same struct field: each must have the right
 * type (`{"Dns": 5, "dns": {}}` fails), strings take the last value, and the objects of the
 * `ipam`, `dns`, `capabilities`, `runtimeConfig` and `prevResult` keys are merged.
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
  const values = groupFields(raw, NETCONF_KEYS);
  const text = (key: "cniVersion" | "name" | "type") =>
    decodeEach(values[key], (value) => optionalString(value, at(key)));
  const conf: NetConf = {
    cniVersion: versionOrDefault(text("cniVersion")),
    name: text("name") ?? "",
    type: text("type") ?? "",
    raw,
  };
  // Go's NetConf has neither key: a value of another type is ignored.
  const ipMasq = decodeEach(values.ipMasq, (value) => value);
  const args = decodeEach(values.args, (value) => value);
  const optional = {
    capabilities: decodeCapabilities(values.capabilities, at("capabilities")),
    ipam: decodeIpam(values.ipam, at("ipam")),
    dns: decodeConfDns(values.dns, at("dns")),
    ipMasq: typeof ipMasq === "boolean" ? ipMasq : undefined,
    runtimeConfig: decodeMap(values.runtimeConfig, at("runtimeConfig")),
    args: isJsonObject(args) ? args : undefined,
    rawPrevResult: decodeMap(values.prevResult, at("prevResult")),
    validAttachments: decodeAttachments(
      values["cni.dev/valid-attachments"],
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
 * else the configuration's. Go reads it through a generic map first, so a number anywhere in it
 * that overflows a float64 is an error, and integers are read as float64s (see
 * `optionalInteger`).
 *
 * @param rawPrevResult the `prevResult` object as sent
 * @param configVersion the configuration's `cniVersion`
 * @throws {DecodeError} when it does not decode in that family
 */
export function parsePrevResult(rawPrevResult: JsonObject, configVersion: string): AnyResult {
  const overflow = findOverflow(rawPrevResult);
  if (overflow !== undefined) throw overflowError(overflow);
  // Go injects the configuration's version under "CNIVersion" unless that key holds a non-empty
  // value, re-encodes with sorted keys and decodes case-insensitively: the last key in byte order
  // that folds to "cniversion" and is not null wins, so a real "cniVersion" beats the injected
  // one and a null one does not.
  const withVersion: JsonObject = { ...rawPrevResult };
  const injected = rawPrevResult["CNIVersion"];
  if (injected === undefined || injected === "") withVersion["CNIVersion"] = configVersion;
  const sorted: JsonObject = {};
  for (const key of Object.keys(withVersion).sort()) sorted[key] = withVersion[key];
  return decodeResult(configVersion, sorted);
}

/**
 * The previous result of a configuration, parsed as {@link parsePrevResult} does and converted
 * to the newest shape: what a chained plugin works with. The one place that maps its failures
 * to an error code.
 *
 * @param conf the decoded configuration
 * @returns the result, or undefined when the configuration has none
 * @throws {CniError} code 6 "could not parse prevResult: ..." when it does not decode
 */
export function readPrevResult(conf: NetConf): Result100 | undefined {
  if (conf.rawPrevResult === undefined) return undefined;
  try {
    return convertToCurrent(parsePrevResult(conf.rawPrevResult, conf.cniVersion));
  } catch (error) {
    if (error instanceof CniError) throw error;
    throw new CniError(
      ErrorCode.decodingFailure,
      `could not parse prevResult: ${error instanceof Error ? error.message : error}`,
    );
  }
}
