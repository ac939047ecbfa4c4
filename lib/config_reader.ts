/**
 * Typed reading of a plugin's own configuration keys. A key is matched case-insensitively, as the
 * Go reference's JSON decoding matches struct fields; the keys of a map ({@link
 * ConfigReader.stringMap}) are data and keep their case. Absent, null and "" values read as
 * unset; every bad value is a {@link ConfigError} (code 7) naming the key, with its path for
 * nested values (`ipam.ranges[1].subnet`).
 *
 * @module
 */
import { ConfigError } from "./config_error.ts";
import { field, findOverflow, isJsonObject, type JsonObject } from "./_decode.ts";
import { formatCidr, formatIp, parseCidr, parseIp } from "./ip.ts";

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
  /** Any object, as it is (e.g. settings passed on to another program). */
  object: ValueReader<JsonObject>;
}

/** A value for an error message: JSON, at most 100 characters of it. */
function describe(value: unknown): string {
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 100 ? `${text.slice(0, 100)}...` : text;
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
  const path = (key: string) => (prefix === "" ? key : `${prefix}.${key}`);

  function reader<T, O>(
    convert: (value: unknown, key: string, options: O & ReadOptions) => T,
  ): ValueReader<T, O> {
    return ((key: string, options: O & ReadOptions = {} as O & ReadOptions) => {
      const value = field(raw, key);
      if (value === undefined || value === null || value === "") {
        if (options.required) throw new ConfigError(path(key), "is required");
        return undefined;
      }
      return convert(value, path(key), options);
    }) as ValueReader<T, O>;
  }

  return {
    raw,
    string: reader<string, StringOptions>((value, at, options) => {
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
    boolean: reader<boolean, unknown>((value, at) => {
      if (typeof value !== "boolean") {
        throw new ConfigError(at, `must be true or false, got ${describe(value)}`);
      }
      return value;
    }),
    integer: reader<number, IntegerOptions>((value, at, options) => {
      const min = options.min ?? Number.MIN_SAFE_INTEGER;
      const max = options.max ?? Number.MAX_SAFE_INTEGER;
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
    cidr: reader<string, unknown>((value, at) => {
      const cidr = typeof value === "string" ? parseCidr(value) : undefined;
      if (cidr === undefined) {
        throw new ConfigError(
          at,
          `must be an address with a prefix length such as "10.1.0.0/16", got ${describe(value)}`,
        );
      }
      return formatCidr(cidr);
    }),
    ip: reader<string, unknown>((value, at) => {
      const address = typeof value === "string" ? parseIp(value) : undefined;
      if (address === undefined) {
        throw new ConfigError(at, `must be an IP address, got ${describe(value)}`);
      }
      return formatIp(address);
    }),
    stringList: reader<string[], unknown>((value, at) => {
      if (!Array.isArray(value) || value.some((item) => typeof item !== "string")) {
        throw new ConfigError(at, `must be a list of strings, got ${describe(value)}`);
      }
      return [...value];
    }),
    stringMap: reader<Record<string, string>, unknown>((value, at) => {
      if (!isJsonObject(value)) {
        throw new ConfigError(at, `must be an object of strings, got ${describe(value)}`);
      }
      const map: Record<string, string> = {};
      for (const [key, item] of Object.entries(value)) {
        if (typeof item !== "string") {
          throw new ConfigError(`${at}.${key}`, `must be a string, got ${describe(item)}`);
        }
        map[key] = item;
      }
      return map;
    }),
    section: reader<ConfigReader, unknown>((value, at) => configReader(objectAt(value, at), at)),
    sectionList: reader<ConfigReader[], unknown>((value, at) => {
      if (!Array.isArray(value)) {
        throw new ConfigError(at, `must be a list of objects, got ${describe(value)}`);
      }
      return value.map((item, i) => configReader(objectAt(item, `${at}[${i}]`), `${at}[${i}]`));
    }),
    object: reader<JsonObject, unknown>((value, at) => {
      const object = objectAt(value, at);
      const overflow = findOverflow(object);
      if (overflow !== undefined) {
        throw new ConfigError(at, `holds a number out of range: ${overflow.text}`);
      }
      return object;
    }),
  };
}

function objectAt(value: unknown, at: string): JsonObject {
  if (!isJsonObject(value)) throw new ConfigError(at, `must be an object, got ${describe(value)}`);
  return value;
}
