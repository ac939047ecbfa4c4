/**
 * libcni's result cache, in libcni's own format and place, so that this runtime and a Go runtime
 * can each DEL, CHECK and GC what the other added. After a successful ADD the runtime keeps, in
 * `<cacheDir>/results/<network>-<containerID>-<ifname>` (directory mode 0700, file mode 0600),
 * one JSON object: `kind` "cniCacheV1", `containerId`, `config` (the network configuration
 * list's bytes, base64), `ifName`, `networkName`, `netns`, `cniArgs` (a list of [key, value]),
 * `capabilityArgs` and `result` (spec "Section 3: Execution of Network Configurations": the
 * runtime passes the cached result as `prevResult` to DEL and CHECK). Files of older runtimes that
 * hold only the bare result are read too.
 *
 * @module
 */
import { readRegularFile } from "./_regular_file.ts";
import { findOverflow, isJsonObject, jsonKind, type JsonObject } from "../_decode.ts";
import { readDirEntries } from "../_dir_entries.ts";
import { goQuote } from "../_go_quote.ts";
import { goText } from "../_go_text.ts";
import { joinPath } from "../_paths.ts";
import { parseJson } from "../config.ts";
import { convertResult } from "../convert.ts";
import { formatResult } from "../print.ts";
import { decodeResult } from "../result.ts";
import type { AnyResult } from "../types.ts";
import { compareUtf8, encodeSorted, encodeString } from "./_go_encode.ts";
import { fsErrorText, isNotFound } from "./_fs_error.ts";
import { errorText, WrappedError } from "./errors.ts";
import type { CniArg, RuntimeConf } from "./types.ts";

/** libcni's cache directory when none is given. */
export const DEFAULT_CACHE_DIR = "/var/lib/cni";

/** The `kind` of a cache entry in the current format. */
export const CACHE_KIND = "cniCacheV1";

/** One cached attachment: what ADD recorded for it. */
export interface CachedAttachment {
  /** The attachment's container ID. */
  readonly containerId: string;
  /** The attachment's interface name. */
  readonly ifName: string;
  /** The network's name. */
  readonly networkName: string;
  /** The netns path; "" in entries written by runtimes that did not record it. */
  readonly netns: string;
  /** The bytes of the network configuration list that ADD ran. */
  readonly config: Uint8Array;
  /** The CNI_ARGS pairs ADD had. */
  readonly cniArgs?: readonly CniArg[];
  /** The capability arguments ADD had. */
  readonly capabilityArgs?: Readonly<JsonObject>;
  /** The result of ADD as a plain object, in the result's own version. */
  readonly result?: Readonly<JsonObject>;
}

/** Which attachment a cache file belongs to. */
export type CacheKey = Pick<RuntimeConf, "containerId" | "ifName">;

/**
 * The cache file of an attachment: `<cacheDir>/results/<network>-<containerID>-<ifname>`.
 *
 * @throws {Error} when the network name, container ID or interface name is empty, or holds a "/"
 *   (which would lead out of the cache directory)
 */
export function cacheFilePath(cacheDir: string, network: string, key: CacheKey): string {
  if (network === "" || key.containerId === "" || key.ifName === "") {
    throw new Error(
      `cache file path requires network name (${goQuote(network)}), container ID ` +
        `(${goQuote(key.containerId)}), and interface name (${goQuote(key.ifName)})`,
    );
  }
  if ([network, key.containerId, key.ifName].some((part) => part.includes("/"))) {
    // libcni would join such a name into a path outside the cache; none of the three may hold
    // a "/" anyway (the checks of ADD refuse it), so no entry can exist for it.
    throw new Error(
      `cache file path parts may not contain "/": network name (${goQuote(network)}), ` +
        `container ID (${goQuote(key.containerId)}), interface name (${goQuote(key.ifName)})`,
    );
  }
  return joinPath(cacheDir, "results", `${network}-${key.containerId}-${key.ifName}`);
}

function toBase64(bytes: Uint8Array): string {
  let binary = "";
  for (const byte of bytes) binary += String.fromCharCode(byte);
  return btoa(binary);
}

/** Go's base64.StdEncoding as encoding/json reads a []byte: padding required, CR and LF skipped. */
function fromBase64(text: string): Uint8Array | undefined {
  const clean = text.replace(/[\r\n]/g, "");
  if (clean.length % 4 !== 0 || !/^[A-Za-z0-9+/]*={0,2}$/.test(clean)) return undefined;
  const binary = atob(clean);
  return Uint8Array.from(binary, (c) => c.charCodeAt(0));
}

/** A result as the plain object Go's cache holds: its wire form, re-read. */
function resultObject(result: AnyResult): JsonObject {
  return JSON.parse(formatResult(result));
}

/** The text of a cache entry: Go's member order, compact, maps with sorted keys. */
export function encodeCacheEntry(entry: CachedAttachment): string {
  const members = [
    `"kind":${encodeString(CACHE_KIND)}`,
    `"containerId":${encodeString(entry.containerId)}`,
    `"config":${encodeString(toBase64(entry.config))}`,
    `"ifName":${encodeString(entry.ifName)}`,
    `"networkName":${encodeString(entry.networkName)}`,
  ];
  if (entry.netns !== "") members.push(`"netns":${encodeString(entry.netns)}`);
  if (entry.cniArgs !== undefined && entry.cniArgs.length > 0) {
    members.push(`"cniArgs":${encodeSorted(entry.cniArgs)}`);
  }
  if (entry.capabilityArgs !== undefined && Object.keys(entry.capabilityArgs).length > 0) {
    members.push(`"capabilityArgs":${encodeSorted(entry.capabilityArgs)}`);
  }
  if (entry.result !== undefined && Object.keys(entry.result).length > 0) {
    members.push(`"result":${encodeSorted(entry.result)}`);
  }
  return `{${members.join(",")}}`;
}

function typeError(value: unknown, field: string, goType: string): string {
  return `json: cannot unmarshal ${jsonKind(value)} into Go struct field cachedInfo.${field} ` +
    `of type ${goType}`;
}

/** A cache file's content as decoded, whatever its `kind`. */
export interface DecodedEntry extends CachedAttachment {
  /** "cniCacheV1" in the current format. */
  readonly kind: string;
}

/**
 * Decodes a cache file's text as Go decodes it into libcni's cache struct (member names matched
 * ignoring case). Returns the entry, or the reason it does not decode.
 */
export function decodeCacheEntry(text: string): DecodedEntry | { readonly error: string } {
  let document: unknown;
  try {
    document = parseJson(text);
  } catch (error) {
    return { error: errorText(error) };
  }
  if (document === null) document = {};
  if (!isJsonObject(document)) {
    return {
      error: `json: cannot unmarshal ${jsonKind(document)} into Go value of type libcni.cachedInfo`,
    };
  }
  const strings = { kind: "", containerId: "", ifName: "", networkName: "", netns: "" };
  let config: Uint8Array = new Uint8Array();
  let cniArgs: CniArg[] | undefined;
  let capabilityArgs: JsonObject | undefined;
  let result: JsonObject | undefined;
  for (const [key, value] of Object.entries(document)) {
    const lower = key.toLowerCase();
    const name = (Object.keys(strings) as (keyof typeof strings)[])
      .find((k) => k.toLowerCase() === lower);
    if (name !== undefined) {
      if (typeof value === "string") strings[name] = value;
      else if (value !== null) return { error: typeError(value, name, "string") };
    } else if (lower === "config") {
      if (value === null) continue;
      if (typeof value !== "string") return { error: typeError(value, "config", "[]uint8") };
      const bytes = fromBase64(value);
      if (bytes === undefined) return { error: "illegal base64 data in config" };
      config = bytes;
    } else if (lower === "cniargs") {
      if (value === null) continue;
      if (!Array.isArray(value)) return { error: typeError(value, "cniArgs", "[][2]string") };
      cniArgs = [];
      for (const pair of value) {
        if (pair !== null && !Array.isArray(pair)) {
          return { error: typeError(pair, "cniArgs", "[2]string") };
        }
        const [k = null, v = null] = pair ?? [];
        for (const part of [k, v]) {
          if (part !== null && typeof part !== "string") {
            return { error: typeError(part, "cniArgs", "string") };
          }
        }
        cniArgs.push([k ?? "", v ?? ""]);
      }
    } else if (lower === "capabilityargs" || lower === "result") {
      if (value === null) continue;
      const field = lower === "result" ? "result" : "capabilityArgs";
      if (!isJsonObject(value)) {
        return { error: typeError(value, field, "map[string]interface {}") };
      }
      // A map of any values: Go fails on a number its float64 cannot hold.
      const overflow = findOverflow(value);
      if (overflow !== undefined) {
        return {
          error: `json: cannot unmarshal number ${overflow.text} into Go struct field ` +
            `cachedInfo.${field} of type float64`,
        };
      }
      if (lower === "result") result = value;
      else capabilityArgs = value;
    }
  }
  return {
    ...strings,
    config,
    ...(cniArgs === undefined ? {} : { cniArgs }),
    ...(capabilityArgs === undefined ? {} : { capabilityArgs }),
    ...(result === undefined ? {} : { result }),
  };
}

/** The file's text, or undefined when it cannot be read (libcni treats that as no cache). */
async function readText(path: string): Promise<string | undefined> {
  try {
    return goText(await readRegularFile(path));
  } catch {
    return undefined;
  }
}

/**
 * A temporary file name in the results directory: short, so that it fits wherever the entry's
 * own name (up to 255 bytes) does, and starting with a dot, which no entry does (a network name
 * starts with a letter or digit).
 */
function temporaryName(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(8));
  return `.tmp-${Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("")}`;
}

/**
 * Records a successful ADD: writes the attachment's cache file (through a temporary file and a
 * rename, so a reader never sees half of it).
 *
 * @throws {Error} when the file cannot be written
 */
export async function writeCachedResult(
  cacheDir: string,
  list: { readonly name: string; readonly bytes: Uint8Array },
  rt: RuntimeConf,
  result: AnyResult,
): Promise<void> {
  const path = cacheFilePath(cacheDir, list.name, rt);
  const text = encodeCacheEntry({
    containerId: rt.containerId,
    ifName: rt.ifName,
    networkName: list.name,
    netns: rt.netns,
    config: list.bytes,
    ...(rt.args === undefined ? {} : { cniArgs: rt.args }),
    ...(rt.capabilityArgs === undefined ? {} : { capabilityArgs: rt.capabilityArgs }),
    result: resultObject(result),
  });
  const dir = joinPath(cacheDir, "results");
  const temp = joinPath(dir, temporaryName());
  try {
    await Deno.mkdir(dir, { recursive: true, mode: 0o700 });
    await Deno.writeTextFile(temp, text, { mode: 0o600, createNew: true });
    await Deno.rename(temp, path);
  } catch (error) {
    await Deno.remove(temp).catch(() => {});
    throw new Error(fsErrorText("open", path, error), { cause: error });
  }
}

/** Removes an attachment's cache file; a missing file or an empty key is no error. */
export async function deleteCachedResult(
  cacheDir: string,
  network: string,
  key: CacheKey,
): Promise<void> {
  let path: string;
  try {
    path = cacheFilePath(cacheDir, network, key);
  } catch {
    return;
  }
  try {
    await Deno.remove(path);
  } catch (error) {
    if (!isNotFound(error)) throw new Error(fsErrorText("remove", path, error), { cause: error });
  }
}

/** A result read from JSON, detecting its version as Go's `create.CreateFromBytes` does. */
function resultFromObject(raw: JsonObject): AnyResult {
  let version = "";
  for (const [key, value] of Object.entries(raw)) {
    if (key.toLowerCase() !== "cniversion") continue;
    if (value !== null && typeof value !== "string") {
      throw new Error(
        `decoding version from network config: json: cannot unmarshal ${jsonKind(value)} ` +
          "into Go struct field .cniVersion of type string",
      );
    }
    version = value ?? version;
  }
  return decodeResult(version === "" ? "0.1.0" : version, raw);
}

/**
 * The cached result of an attachment, converted to `cniVersion` (the list's version now; the
 * result keeps its own version in the cache). Undefined when there is no cache file or it cannot
 * be read. A file that is not in the current format is read as a bare result.
 *
 * @throws {Error} when the cached result does not decode or convert
 */
export async function readCachedResult(
  cacheDir: string,
  list: { readonly name: string; readonly cniVersion: string },
  key: CacheKey,
): Promise<AnyResult | undefined> {
  const text = await readText(cacheFilePath(cacheDir, list.name, key));
  if (text === undefined) return undefined;
  const entry = decodeCacheEntry(text);
  let result: AnyResult;
  if ("error" in entry || entry.kind !== CACHE_KIND) {
    let document: unknown;
    try {
      document = parseJson(text);
    } catch (error) {
      throw new Error(`decoding version from network config: ${errorText(error)}`);
    }
    if (!isJsonObject(document)) {
      throw new Error(
        `decoding version from network config: json: cannot unmarshal ${jsonKind(document)} ` +
          'into Go value of type struct { CNIVersion string "json:\\"cniVersion\\"" }',
      );
    }
    result = resultFromObject(document);
  } else {
    result = resultFromObject(entry.result ?? {});
  }
  try {
    return convertResult(result, list.cniVersion);
  } catch (error) {
    throw new WrappedError(
      `failed to convert cached result to config version ${goQuote(list.cniVersion)}`,
      error,
    );
  }
}

/**
 * An attachment's cache entry (libcni's `GetNetworkListCachedConfig`); undefined when there is no
 * cache file or it cannot be read.
 *
 * @throws {Error} when the file is not a cache entry of the current format
 */
export async function readCachedAttachment(
  cacheDir: string,
  network: string,
  key: CacheKey,
): Promise<CachedAttachment | undefined> {
  const text = await readText(cacheFilePath(cacheDir, network, key));
  if (text === undefined) return undefined;
  const entry = decodeCacheEntry(text);
  if ("error" in entry) {
    throw new Error(
      `failed to unmarshal cached network ${goQuote(network)} config: ${entry.error}`,
    );
  }
  if (entry.kind !== CACHE_KIND) {
    throw new Error(`read cached network ${goQuote(network)} config has wrong kind: ${entry.kind}`);
  }
  const { kind: _, ...attachment } = entry;
  return attachment;
}

/**
 * Every attachment in the cache, in file name order (libcni's `GetCachedAttachments`), only
 * those of `containerId` when it is given. Files that cannot be read or decoded, are not in the
 * current format or name no interface or network are left out; so are a missing directory, files
 * whose names are not UTF-8 (which cannot be opened by name here) and temporary files of a write
 * in progress.
 *
 * @throws {Error} when the results directory exists but cannot be read
 */
export async function listCachedAttachments(
  cacheDir: string,
  containerId = "",
): Promise<CachedAttachment[]> {
  const dir = joinPath(cacheDir, "results");
  // A name that is not UTF-8 but reads as an existing one's is that file again: once is enough.
  const names = new Set<string>();
  try {
    for (const entry of (await readDirEntries(dir)).entries) {
      if (!entry.name.startsWith(".")) names.add(entry.name);
    }
  } catch (error) {
    if (isNotFound(error)) return [];
    throw new Error(fsErrorText("open", dir, error), { cause: error });
  }
  const attachments: CachedAttachment[] = [];
  for (const name of [...names].sort(compareUtf8)) {
    if (containerId !== "") {
      const part = `-${containerId}-`;
      const at = name.indexOf(part);
      if (at <= 0 || at + part.length >= name.length) continue;
    }
    const text = await readText(joinPath(dir, name));
    if (text === undefined) continue;
    const entry = decodeCacheEntry(text);
    if ("error" in entry || entry.kind !== CACHE_KIND) continue;
    if (containerId !== "" && entry.containerId !== containerId) continue;
    if (entry.ifName === "" || entry.networkName === "") continue;
    const { kind: _, ...attachment } = entry;
    attachments.push(attachment);
  }
  return attachments;
}
