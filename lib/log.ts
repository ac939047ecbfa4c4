/**
 * A plugin's logger: levelled lines on stderr and, when a log file is configured, one JSON object
 * per line appended to that file. Logging never fails a verb: a log file that cannot be written
 * costs one warning on stderr, and the verb goes on.
 *
 * Settings, strongest first:
 *
 * | setting   | environment variable  | configuration key |
 * |-----------|-----------------------|-------------------|
 * | threshold | `DENO_CNI_LOG_LEVEL`  | `log.level`       |
 * | file      | `DENO_CNI_LOG_FILE`   | `log.file`        |
 *
 * Levels are `debug`, `info`, `warn` and `error`. Without a level, stderr shows `warn` and above
 * and the file gets `info` and above (so it holds the line each verb ends with); a level applies
 * to both. A compiled plugin reads the variables only when its permissions name them
 * (`--allow-env=...,DENO_CNI_LOG_LEVEL,DENO_CNI_LOG_FILE`) and writes the file only inside its
 * `--allow-write` paths (by convention `--allow-write=/var/log/cni`). The file is appended through
 * the host, which refuses a path through a symlink and anything but a regular file (a FIFO would
 * block the verb): `log.file` comes from stdin.
 *
 * @module
 */
import { ConfigError } from "./config_error.ts";
import { field, isJsonObject, type JsonObject } from "./_decode.ts";
import type { Host } from "./host.ts";

/** A log level. */
export type LogLevel = "debug" | "info" | "warn" | "error";

/** The log levels, least severe first. */
export const LOG_LEVELS: readonly LogLevel[] = ["debug", "info", "warn", "error"];

/** The environment variable that sets the threshold; it overrides the configuration. */
export const LOG_LEVEL_VARIABLE = "DENO_CNI_LOG_LEVEL";

/** The environment variable that names the log file; it overrides the configuration. */
export const LOG_FILE_VARIABLE = "DENO_CNI_LOG_FILE";

/** Where a plugin's log goes: a threshold and an optional file. */
export interface LogSettings {
  /** The threshold for stderr and the file; absent: `warn` on stderr, `info` in the file. */
  level?: LogLevel;
  /** The file that JSON lines are appended to; absent: no file. */
  file?: string;
}

/** Extra data of a log record: JSON-serialisable values. */
export type LogFields = Record<string, unknown>;

/** A levelled logger. Every method returns at once and never throws. */
export interface Logger {
  /** Detail for debugging; shown only with level "debug". */
  debug(msg: string, fields?: LogFields): void;
  /** What the plugin did; in the log file by default, on stderr from level "info". */
  info(msg: string, fields?: LogFields): void;
  /** Something odd that does not fail the verb; on stderr by default. */
  warn(msg: string, fields?: LogFields): void;
  /** A failure; on stderr by default. */
  error(msg: string, fields?: LogFields): void;
  /** A logger whose records also carry `fields`, writing to the same places. */
  with(fields: LogFields): Logger;
  /** Waits until every record so far is written (or has failed to be); never rejects. */
  flush(): Promise<void>;
}

/** How a logger is made; see {@link createLogger}. */
export interface LoggerOptions extends LogSettings {
  /** The plugin's name: the start of each stderr line and the `plugin` of each record. */
  plugin: string;
  /** Fields every record carries (the dispatcher's verb, container ID, interface, network). */
  context?: LogFields;
  /** Where stderr lines and file records go: the host's `writeStderr` and `appendFile`. */
  host: Pick<Host, "writeStderr" | "appendFile">;
  /** The clock of the records' `time`; the default is the system clock. */
  now?: () => Date;
}

const RANK: Readonly<Record<LogLevel, number>> = { debug: 0, info: 1, warn: 2, error: 3 };

/**
 * True when `value` names a log level (in any case).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { isLogLevel } from "./log.ts";
 *
 * assert.equal(isLogLevel("DEBUG"), true);
 * assert.equal(isLogLevel("trace"), false);
 * ```
 */
export function isLogLevel(value: string): boolean {
  return Object.hasOwn(RANK, value.toLowerCase());
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/**
 * Makes a logger that writes lines at or above the threshold to stderr and, with a `file`, JSON
 * records to that file.
 *
 * A stderr line reads `<plugin> <verb>: <level>: <msg>` and the fields as JSON. A file record is
 * `{"time", "level", "plugin", ...context, "msg", ...fields}` on one line. When the file cannot be
 * written, one warning goes to stderr and the file is not tried again by this logger.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { createLogger } from "./log.ts";
 * import { fakeHost } from "./testing.ts";
 *
 * const host = fakeHost();
 * const log = createLogger({
 *   plugin: "route-add",
 *   context: { verb: "ADD" },
 *   file: "/var/log/cni/route-add.log",
 *   host,
 *   now: () => new Date(0),
 * });
 * log.info("route added", { dst: "10.9.0.0/16" });
 * log.warn("no gateway");
 * log.debug("not shown: below both thresholds");
 * await log.flush();
 *
 * assert.equal(host.stderr, "route-add ADD: warn: no gateway\n");
 * const lines = host.files.get("/var/log/cni/route-add.log")!.trimEnd().split("\n");
 * assert.deepEqual(JSON.parse(lines[0]!), {
 *   time: "1970-01-01T00:00:00.000Z",
 *   level: "info",
 *   plugin: "route-add",
 *   verb: "ADD",
 *   msg: "route added",
 *   dst: "10.9.0.0/16",
 * });
 * assert.equal(lines.length, 2);
 * ```
 */
export function createLogger(options: LoggerOptions): Logger {
  const stderrRank = RANK[options.level ?? "warn"];
  const fileRank = RANK[options.level ?? "info"];
  const now = options.now ?? (() => new Date());
  const { host } = options;
  let file = options.file;
  // Records are written in order, each after the one before.
  let pending: Promise<void> = Promise.resolve();
  const later = (write: () => Promise<void>) => {
    pending = pending.then(write).catch(() => {});
  };
  const toStderr = (text: string) => later(() => host.writeStderr(text));
  const make = (context: LogFields): Logger => {
    const prefix = typeof context.verb === "string" && context.verb !== ""
      ? `${options.plugin} ${context.verb}`
      : options.plugin;
    const emit = (level: LogLevel, msg: string, fields: LogFields = {}) => {
      if (RANK[level] >= stderrRank) {
        const extra = Object.keys(fields).length ? ` ${safeJson(fields)}` : "";
        toStderr(`${prefix}: ${level}: ${msg}${extra}\n`);
      }
      if (file === undefined || RANK[level] < fileRank) return;
      const record = {
        time: safeTime(now),
        level,
        plugin: options.plugin,
        ...context,
        msg,
        ...fields,
      };
      const path = file;
      const line = safeJson(record) + "\n";
      later(async () => {
        if (file !== path) return;
        try {
          await host.appendFile(path, line);
        } catch (error) {
          file = undefined;
          await host.writeStderr(
            `${prefix}: warn: cannot write the log file ${path}: ${describe(error)}\n`,
          );
        }
      });
    };
    return {
      debug: (msg, fields) => emit("debug", msg, fields),
      info: (msg, fields) => emit("info", msg, fields),
      warn: (msg, fields) => emit("warn", msg, fields),
      error: (msg, fields) => emit("error", msg, fields),
      with: (fields) => make({ ...context, ...fields }),
      flush: () => pending,
    };
  };
  return make(options.context ?? {});
}

function safeTime(now: () => Date): string {
  try {
    return now().toISOString();
  } catch {
    return "";
  }
}

/** JSON text of a record; values JSON cannot hold (cycles, BigInt) become their inspection. */
function safeJson(value: LogFields): string {
  try {
    return JSON.stringify(value);
  } catch {
    const plain: Record<string, unknown> = {};
    for (const [key, item] of Object.entries(value)) {
      try {
        JSON.stringify(item);
        plain[key] = item;
      } catch {
        plain[key] = Deno.inspect(item, { colors: false, depth: 2 });
      }
    }
    return JSON.stringify(plain);
  }
}

/**
 * Reads the log settings: the configuration's `log` object (`{"level": ..., "file": ...}`), then
 * the environment variables, which override it. A bad environment value is ignored with a
 * warning in `problems`, so a mistyped variable cannot break every verb.
 *
 * @param config the network configuration object
 * @param getenv reads an environment variable
 * @throws {ConfigError} code 7 when `log`, `log.level` or `log.file` has a bad value
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { readLogSettings } from "./log.ts";
 *
 * const env: Record<string, string> = { DENO_CNI_LOG_LEVEL: "debug" };
 * const { settings } = readLogSettings(
 *   { log: { file: "/var/log/cni/x.log", level: "warn" } },
 *   (name) => env[name],
 * );
 * assert.deepEqual(settings, { level: "debug", file: "/var/log/cni/x.log" });
 * ```
 */
export function readLogSettings(
  config: JsonObject,
  getenv: (name: string) => string | undefined,
): { settings: LogSettings; problems: string[] } {
  const settings: LogSettings = {};
  const problems: string[] = [];
  const section = field(config, "log");
  if (section !== undefined && section !== null) {
    if (!isJsonObject(section)) {
      throw new ConfigError("log", 'must be an object such as {"file": "...", "level": "info"}');
    }
    const level = field(section, "level");
    if (level !== undefined && level !== null) {
      if (typeof level !== "string" || !isLogLevel(level)) {
        throw new ConfigError(
          "log.level",
          `must be one of ${LOG_LEVELS.join(", ")}, got ${JSON.stringify(level)}`,
        );
      }
      settings.level = level.toLowerCase() as LogLevel;
    }
    const file = field(section, "file");
    if (file !== undefined && file !== null && file !== "") {
      if (typeof file !== "string" || !file.startsWith("/")) {
        throw new ConfigError("log.file", `must be an absolute path, got ${JSON.stringify(file)}`);
      }
      settings.file = file;
    }
  }
  const envLevel = getenv(LOG_LEVEL_VARIABLE);
  if (envLevel !== undefined && envLevel !== "") {
    if (isLogLevel(envLevel)) settings.level = envLevel.toLowerCase() as LogLevel;
    else problems.push(`${LOG_LEVEL_VARIABLE}=${JSON.stringify(envLevel)} is not a log level`);
  }
  const envFile = getenv(LOG_FILE_VARIABLE);
  if (envFile !== undefined && envFile !== "") {
    if (envFile.startsWith("/")) settings.file = envFile;
    else problems.push(`${LOG_FILE_VARIABLE}=${JSON.stringify(envFile)} is not an absolute path`);
  }
  return { settings, problems };
}
