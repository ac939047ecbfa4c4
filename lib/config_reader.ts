/**
 * Typed reading of a plugin's own configuration keys. A key is matched case-insensitively, as the
 * Go reference's JSON decoding matches struct fields, and every key that matches is read, in
 * document order, as Go decodes each into the same field: each must be valid, the last one that
 * is set wins, and the objects of a section, a map or an object are merged. The keys of a map
 * ({@link ConfigReader.stringMap}) are data and keep their case. Absent, null and "" values read
 * as unset; every bad value is a {@link ConfigError} (code 7) naming the key, with its path for
 * nested values (`ipam.ranges[1].subnet`).
 *
 * A reader remembers the keys it read, so that the keys nobody read can be reported (see
 * {@link unreadKeys}).
 *
 * @module
 */
import { ConfigError } from "./config_error.ts";
import {
  findOverflow,
  foldKey,
  isJsonObject,
  type JsonObject,
  mergeObjects,
  OverflowNumber,
} from "./_decode.ts";
import { CniError } from "./errors.ts";
import { formatCidr, formatIp, isIpv4, parseCidr, parseIp } from "./ip.ts";
import { route as buildRoute, type RouteOptions } from "./result_builders.ts";
import type { Route } from "./types.ts";

/** Options every reader takes. */
export interface ReadOptions {
  /** Fail with "is required" when the key is unset. */
  required?: boolean;
}

/** A reader of one kind of value: required keys give the value, others may give undefined. */
export interface ValueReader<T, O = unknown> {
  (key: string, options: O & { required: true }): T;
  (key: string, options?: O & ReadOptions): T | undefined;
}

/** Options of {@link ConfigReader.integer}. */
export interface IntegerOptions {
  /** The smallest value allowed. */
  min?: number;
  /** The largest value allowed. */
  max?: number;
}

/** Options of {@link ConfigReader.string}. */
export interface StringOptions {
  /** The only values allowed. */
  oneOf?: readonly string[];
}

/** Reads typed values from one object of the configuration. */
export interface ConfigReader {
  /** The object read from. */
  readonly raw: JsonObject;
  /** A string; "" reads as unset. */
  string: ValueReader<string, StringOptions>;
  /** A boolean (JSON true or false). */
  boolean: ValueReader<boolean>;
  /** An integer, optionally within `min` and `max`. */
  integer: ValueReader<number, IntegerOptions>;
  /** An address with prefix length ("10.1.0.0/16"), in canonical form; host bits are kept. */
  cidr: ValueReader<string>;
  /** An IP address without prefix, in canonical form. */
  ip: ValueReader<string>;
  /** A list of strings. */
  stringList: ValueReader<string[]>;
  /** An object of string values; its keys are data, kept exactly as written. */
  stringMap: ValueReader<Record<string, string>>;
  /** A nested object, as a reader whose errors name `key.child`. */
  section: ValueReader<ConfigReader>;
  /** A list of objects, each as a reader whose errors name `key[i].child`. */
  sectionList: ValueReader<ConfigReader[]>;
  /** Any object, as it is (e.g. settings passed on to another program); its keys are not looked into. */
  object: ValueReader<JsonObject>;
  /**
   * Any value, as the configuration has it (the last one set), for a key the plugin decodes
   * itself: the key counts as read, and nothing is checked.
   */
  value: ValueReader<unknown>;
  /**
   * A route, an object of a result route's members: `dst` (required), `gw` (in the family of
   * `dst`), and the integers `mtu`, `advmss`, `priority`, `table` and `scope`. Errors name the
   * member (`"defaultRoute.gw"`).
   */
  route: ValueReader<Route>;
  /** A list of routes, each read as {@link ConfigReader.route} reads one (`"routes[1].dst"`). */
  routeList: ValueReader<Route[]>;
}

/** A value for an error message: JSON, at most 100 characters of it. */
function describe(value: unknown): string {
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 100 ? `${text.slice(0, 100)}...` : text;
}

/** What the readers of one object read, to report the keys nobody read. */
interface Tracker {
  /** The objects read from: one, or several when a section's key is repeated in another case. */
  readonly layers: readonly JsonObject[];
  /** Their path in the configuration ("" at the top). */
  readonly prefix: string;
  /** Per layer, the keys some reader matched. */
  readonly read: Set<string>[];
  /** The keys readers asked for and did not find, by folded key: what a typo may have meant. */
  readonly missing: Map<string, string>;
  /** The sections read with a section reader, by the folded key they were read at. */
  readonly sections: { folded: string; tracker: Tracker }[];
}

const trackers = new WeakMap<ConfigReader, Tracker>();

/** One key's value as a reader found it. */
interface Found {
  value: unknown;
}

/**
 * A reader of the plugin-specific keys of `raw`.
 *
 * @param raw the configuration object (or a nested object of it)
 * @param prefix the path of `raw` in the configuration, for error messages ("ipam")
 * @returns the readers
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { configReader } from "./config_reader.ts";
 *
 * const read = configReader({ dst: "10.9.0.0/16", metric: 20, ipam: { range: "10.1.0.0/24" } });
 * assert.equal(read.cidr("dst", { required: true }), "10.9.0.0/16");
 * assert.equal(read.integer("metric", { min: 0 }), 20);
 * assert.equal(read.string("comment"), undefined);
 * assert.equal(read.section("ipam")?.cidr("range"), "10.1.0.0/24");
 *
 * const sysctls = configReader({ sysctl: { "net.ipv4.conf.IFNAME.rp_filter": "2" } });
 * assert.deepEqual(sysctls.stringMap("sysctl"), { "net.ipv4.conf.IFNAME.rp_filter": "2" });
 *
 * const ranges = configReader({ ranges: [{ subnet: "10.1.0.0/24" }, { subnet: "nope" }] });
 * const [first, second] = ranges.sectionList("ranges", { required: true });
 * assert.equal(first?.cidr("subnet"), "10.1.0.0/24");
 * assert.throws(() => second?.cidr("subnet"), { message: /"ranges\[1\]\.subnet" must be/ });
 * assert.throws(() => read.ip("dst"), {
 *   code: 7,
 *   message: 'invalid network configuration: "dst" must be an IP address, got "10.9.0.0/16"',
 * });
 * ```
 */
export function configReader(raw: JsonObject, prefix = ""): ConfigReader {
  return layeredReader([raw], prefix);
}

/** A reader of the objects `layers`, read as one object merged in order. */
function layeredReader(layers: readonly JsonObject[], prefix: string): ConfigReader {
  const tracker: Tracker = {
    layers,
    prefix,
    read: layers.map(() => new Set()),
    missing: new Map(),
    sections: [],
  };
  const path = (key: string) => (prefix === "" ? key : `${prefix}.${key}`);
  // Arrow functions, not nested declarations: a plugin's bundle compiles these with the module
  // (scripts/_eager.ts), and every verb reads its configuration.

  /** Every value of `key`, in document order, each key found marked as read. */
  const valuesOf = (key: string): unknown[] => {
    const folded = foldKey(key);
    const values: unknown[] = [];
    for (const [i, layer] of layers.entries()) {
      for (const k in layer) {
        if (k !== key && foldKey(k) !== folded) continue;
        tracker.read[i]!.add(k);
        values.push(layer[k]);
      }
    }
    if (values.length === 0) tracker.missing.set(folded, key);
    return values;
  };

  /**
   * A reader of one kind of value: `convert` checks each value that is set (and returns the last
   * one's), so that a bad value is refused even when a later key in another case replaces it.
   */
  const reader = <T, O>(
    convert: (
      values: readonly unknown[],
      at: string,
      options: O & ReadOptions,
      key: string,
    ) => T | undefined,
  ): ValueReader<T, O> => {
    return ((key: string, options: O & ReadOptions = {} as O & ReadOptions) => {
      const value = convert(valuesOf(key), path(key), options, key);
      if (value === undefined && options.required) throw new ConfigError(path(key), "is required");
      return value;
    }) as ValueReader<T, O>;
  };

  /** A reader of a value that stays as it was under a later null and is unset as "". */
  const scalar = <T, O>(
    convert: (value: unknown, at: string, options: O & ReadOptions) => T,
  ): ValueReader<T, O> => {
    return reader<T, O>((values, at, options) => {
      let last: Found | undefined;
      for (const value of values) {
        if (value === null) continue;
        last = { value: value === "" ? undefined : convert(value, at, options) };
      }
      return last?.value as T | undefined;
    });
  };

  /** The values that set a section or a map: "" and null read as unset. */
  const setting = (values: readonly unknown[]) =>
    values.filter((value) => value !== null && value !== "");

  /** Sections already read, by folded key: reading one again shares what it read. */
  const sectionCache = new Map<string, ConfigReader | ConfigReader[]>();

  const remember = <R extends ConfigReader | ConfigReader[]>(key: string, made: R): R => {
    const folded = foldKey(key);
    sectionCache.set(folded, made);
    for (const section of Array.isArray(made) ? made : [made]) {
      tracker.sections.push({ folded, tracker: trackers.get(section)! });
    }
    return made;
  };

  /** The objects of a section's values, each checked; null leaves the section as it was. */
  const sectionOf = (values: readonly unknown[], at: string, key: string) => {
    const objects = setting(values).map((value) => objectAt(value, at));
    if (objects.length === 0) return undefined;
    const cached = sectionCache.get(foldKey(key));
    if (cached !== undefined && !Array.isArray(cached)) return cached;
    return remember(key, layeredReader(objects, at));
  };

  /** A list of sections: the last list that is set, each of its entries a section. */
  const sectionsOf = (values: readonly unknown[], at: string, key: string) => {
    let entries: unknown[] | undefined;
    for (const value of setting(values)) {
      if (!Array.isArray(value)) {
        throw new ConfigError(at, `must be a list of objects, got ${describe(value)}`);
      }
      value.forEach((item, i) => objectAt(item, `${at}[${i}]`));
      entries = value;
    }
    if (entries === undefined) return undefined;
    const cached = sectionCache.get(foldKey(key));
    if (Array.isArray(cached)) return cached;
    return remember(
      key,
      entries.map((item, i) => layeredReader([item as JsonObject], `${at}[${i}]`)),
    );
  };

  /** The objects of a map's values, each checked with `check`, merged; null resets the map. */
  const mapOf = (
    values: readonly unknown[],
    at: string,
    check: (object: JsonObject, at: string) => void,
    kind = "an object",
  ): JsonObject | undefined => {
    for (const value of setting(values)) check(objectAt(value, at, kind), at);
    return mergeObjects(values, true);
  };

  const read: ConfigReader = {
    get raw() {
      return layers.length === 1 ? layers[0]! : mergeObjects(layers, false)!;
    },
    string: scalar<string, StringOptions>((value, at, options) => {
      if (typeof value !== "string") {
        throw new ConfigError(at, `must be a string, got ${describe(value)}`);
      }
      if (options.oneOf !== undefined && !options.oneOf.includes(value)) {
        throw new ConfigError(
          at,
          `must be one of ${options.oneOf.map(describe).join(", ")}, got ${describe(value)}`,
        );
      }
      return value;
    }),
    boolean: scalar<boolean, unknown>((value, at) => {
      if (typeof value !== "boolean") {
        throw new ConfigError(at, `must be true or false, got ${describe(value)}`);
      }
      return value;
    }),
    integer: scalar<number, IntegerOptions>((value, at, options) => {
      const min = options.min ?? Number.MIN_SAFE_INTEGER;
      const max = options.max ?? Number.MAX_SAFE_INTEGER;
      if (
        value instanceof OverflowNumber ||
        (typeof value === "number" && Number.isInteger(value) && !Number.isSafeInteger(value))
      ) {
        throw new ConfigError(
          at,
          `is out of range: ${describe(value)} is beyond the integers a JSON number holds ` +
            `exactly (from ${Number.MIN_SAFE_INTEGER} to ${Number.MAX_SAFE_INTEGER})`,
        );
      }
      if (typeof value !== "number" || !Number.isSafeInteger(value) || value < min || value > max) {
        const range = options.min !== undefined && options.max !== undefined
          ? ` from ${min} to ${max}`
          : options.min !== undefined
          ? ` of at least ${min}`
          : options.max !== undefined
          ? ` of at most ${max}`
          : "";
        throw new ConfigError(at, `must be an integer${range}, got ${describe(value)}`);
      }
      return value;
    }),
    cidr: scalar<string, unknown>((value, at) => {
      const cidr = typeof value === "string" ? parseCidr(value) : undefined;
      if (cidr === undefined) {
        throw new ConfigError(
          at,
          `must be an address with a prefix length such as "10.1.0.0/16", got ${describe(value)}`,
        );
      }
      return formatCidr(cidr);
    }),
    ip: scalar<string, unknown>((value, at) => {
      const address = typeof value === "string" ? parseIp(value) : undefined;
      if (address === undefined) {
        throw new ConfigError(at, `must be an IP address, got ${describe(value)}`);
      }
      return formatIp(address);
    }),
    stringList: scalar<string[], unknown>((value, at) => {
      if (!Array.isArray(value) || value.some((item) => typeof item !== "string")) {
        throw new ConfigError(at, `must be a list of strings, got ${describe(value)}`);
      }
      return [...value] as string[];
    }),
    stringMap: reader<Record<string, string>, unknown>((values, at) => {
      const merged = mapOf(values, at, (object, where) => {
        for (const [key, item] of Object.entries(object)) {
          if (typeof item !== "string") {
            throw new ConfigError(`${where}.${key}`, `must be a string, got ${describe(item)}`);
          }
        }
      }, "an object of strings");
      return merged === undefined ? undefined : { ...merged } as Record<string, string>;
    }),
    section: reader<ConfigReader, unknown>((values, at, _options, key) =>
      sectionOf(values, at, key)
    ),
    sectionList: reader<ConfigReader[], unknown>((values, at, _options, key) =>
      sectionsOf(values, at, key)
    ),
    object: reader<JsonObject, unknown>((values, at) =>
      mapOf(values, at, (object, where) => {
        const overflow = findOverflow(object);
        if (overflow !== undefined) {
          throw new ConfigError(where, `holds a number out of range: ${overflow.text}`);
        }
      })
    ),
    value: reader<unknown, unknown>((values) => values.findLast((value) => value !== undefined)),
    route: reader<Route, unknown>((values, at, _options, key) => {
      const section = sectionOf(values, at, key);
      return section === undefined ? undefined : readRoute(section, at);
    }),
    routeList: reader<Route[], unknown>((values, at, _options, key) =>
      sectionsOf(values, at, key)?.map((entry, i) => readRoute(entry, `${at}[${i}]`))
    ),
  };
  trackers.set(read, tracker);
  return read;
}

/** The members of a route other than `dst` and `gw`: non-negative integers. */
const ROUTE_NUMBERS = ["mtu", "advmss", "priority", "table", "scope"] as const;

/** A route from a section, with errors naming the member. */
function readRoute(section: ConfigReader, at: string): Route {
  const dst = section.cidr("dst", { required: true });
  const gw = section.ip("gw");
  if (gw !== undefined && isIpv4(parseIp(gw)!) !== isIpv4(parseCidr(dst)!.address)) {
    throw new ConfigError(
      `${at}.gw`,
      `must be in the IP family of "dst" (${dst}), got ${describe(gw)}`,
    );
  }
  const options: RouteOptions = gw === undefined ? {} : { gw };
  for (const key of ROUTE_NUMBERS) {
    const value = section.integer(key, { min: 0 });
    if (value !== undefined) options[key] = value;
  }
  try {
    return buildRoute(dst, options);
  } catch (error) {
    if (error instanceof CniError) {
      throw new ConfigError(at, `is not a valid route: ${error.message}`);
    }
    throw error;
  }
}

function objectAt(value: unknown, at: string, kind = "an object"): JsonObject {
  if (!isJsonObject(value)) throw new ConfigError(at, `must be ${kind}, got ${describe(value)}`);
  return value;
}

/** Options of {@link unreadKeys}. */
export interface UnreadOptions {
  /** Keys of the object read from that are never reported, nor anything under them. */
  ignore?: (key: string) => boolean;
  /** Look only inside the sections read at this key (e.g. "ipam"), not at the object itself. */
  section?: string;
}

/** A key no reader read. */
export interface UnreadKey {
  /** Its path: `"egresRate"`, `"limits.egresRate"`, `"ranges[1].gateway"`. */
  path: string;
  /** A key a reader asked for and did not find that differs little from it: what it may mean. */
  near?: string;
}

/**
 * The keys of the object a reader read from that no reader read. Inside every section read with
 * `section`, `sectionList`, `route` or `routeList`, the keys its reader did not read are reported
 * too; the keys of an `object` or a `stringMap` are the plugin's own business. When every key was
 * read, this costs one set lookup per key.
 *
 * @param reader a reader made by {@link configReader}
 * @param options keys to ignore, or the one section to look into
 * @returns the unread keys, in document order, sections after the keys of their object
 */
export function unreadKeys(reader: ConfigReader, options: UnreadOptions = {}): UnreadKey[] {
  const tracker = trackers.get(reader);
  if (tracker === undefined) return [];
  const found: UnreadKey[] = [];
  if (options.section === undefined) {
    collect(tracker, options.ignore, found);
  } else {
    const folded = foldKey(options.section);
    for (const section of tracker.sections) {
      if (section.folded === folded) collect(section.tracker, options.ignore, found);
    }
  }
  return found;
}

function collect(tracker: Tracker, ignore: UnreadOptions["ignore"], found: UnreadKey[]): void {
  for (const [i, layer] of tracker.layers.entries()) {
    const read = tracker.read[i]!;
    for (const key in layer) {
      if (read.has(key) || ignore?.(key)) continue;
      const near = nearestAsked(tracker, key);
      found.push({
        path: tracker.prefix === "" ? key : `${tracker.prefix}.${key}`,
        ...(near === undefined ? {} : { near }),
      });
    }
  }
  for (const section of tracker.sections) {
    if (ignore?.(section.folded)) continue;
    collect(section.tracker, undefined, found);
  }
}

/** The key asked for and not found that is nearest to `key`: one or two edits away. */
function nearestAsked(tracker: Tracker, key: string): string | undefined {
  const folded = foldKey(key);
  let best: { key: string; distance: number } | undefined;
  for (const [foldedAsked, asked] of tracker.missing) {
    const limit = Math.min(2, Math.floor(Math.max(asked.length, key.length) / 4));
    const distance = editDistance(folded, foldedAsked, limit);
    if (distance <= limit && (best === undefined || distance < best.distance)) {
      best = { key: asked, distance };
    }
  }
  return best?.key;
}

/**
 * The number of insertions, deletions, substitutions and swaps of neighbours that turn `a` into
 * `b`, or `limit + 1` when it is more than `limit`.
 */
function editDistance(a: string, b: string, limit: number): number {
  if (Math.abs(a.length - b.length) > limit) return limit + 1;
  let before: number[] = [];
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let value = Math.min(previous[j]! + 1, current[j - 1]! + 1, previous[j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) {
        value = Math.min(value, before[j - 2]! + 1);
      }
      current.push(value);
    }
    [before, previous] = [previous, current];
  }
  return Math.min(previous[b.length]!, limit + 1);
}
