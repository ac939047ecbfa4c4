/**
 * The way to write a plugin: {@link definePlugin} takes the verbs' handlers, the spec versions
 * and a reader of the plugin's own configuration keys, and gives each handler a context with the
 * typed configuration, the previous result, delegation, the namespace toolkit and a logger.
 *
 * @module
 */
import { ConfigError } from "./config_error.ts";
import { type ConfigReader, configReader, type UnreadKey } from "./config_reader.ts";
import { decodeNetConf, type NetConf, readPrevResult } from "./config.ts";
import { type Delegator, delegator } from "./delegate.ts";
import { type CniArgKind, type CniArgs, envText, parseCniArgs, type Verb } from "./env.ts";
import { CniError, ErrorCode, toCniError } from "./errors.ts";
import {
  DEFAULT_TIMEOUT_MS,
  type Host,
  MAX_TIMEOUT_MS,
  permissionError,
  TIMEOUT_VARIABLE,
} from "./host.ts";
import { createLogger, type Logger, readLogSettings } from "./log.ts";
import { type Netns, netns } from "./netns.ts";
import type { Handler, Invocation, PluginHandlers, UndoAction } from "./skel.ts";
import type { AnyResult, Result100 } from "./types.ts";
import { InvalidBuilderValue } from "./result_builders.ts";
import { ALL_VERSIONS } from "./version.ts";
import { DecodeError, isJsonObject, type JsonObject } from "./_decode.ts";
import { didYouMean, unknownKeys } from "./_unknown_keys.ts";

/** What a plugin's `config` function gets besides the raw configuration object. */
export interface ConfigContext {
  /** The verb being run. */
  command: Verb;
  /** The spec's well-known keys, already decoded and type-checked. */
  conf: NetConf;
  /** Typed readers of the plugin's own keys; each throws a code 7 error naming the key. */
  read: ConfigReader;
}

/** What a verb's handler gets. `C` is what the plugin's `config` function returns. */
export interface PluginContext<C extends object> {
  /** The verb being run. */
  command: Verb;
  /** CNI_CONTAINERID ("" for GC and STATUS). */
  containerId: string;
  /** CNI_NETNS: the container's network namespace path ("" when not given). */
  netns: string;
  /** CNI_IFNAME: the interface name in the container ("" for GC and STATUS). */
  ifName: string;
  /** CNI_PATH: where delegated plugins are found. */
  path: string;
  /** The configuration: the spec's keys (`name`, `cniVersion`, `ipam`, `raw`...) and the plugin's. */
  conf: NetConf & C;
  /** The configuration's `cniVersion`; results are printed in it. */
  configVersion: string;
  /**
   * The previous plugin's result (spec "Section 3: Execution of Network Configurations"), parsed
   * in the configuration's version family and converted to the newest shape; undefined when the
   * configuration has none. It is parsed when first read, so a verb that ignores it is not failed
   * by it; one that does not decode throws code 6 there.
   */
  readonly prevResult: Result100 | undefined;
  /**
   * CNI_ARGS parsed like the Go reference's `LoadArgs`: `known` lists the keys to accept (by
   * default IP, IgnoreUnknown and the K8S_* keys); unknown keys fail unless IgnoreUnknown=1.
   *
   * @throws {CniError} code 4 for a malformed CNI_ARGS
   */
  cniArgs(known?: Readonly<Record<string, CniArgKind>>): CniArgs;
  /** The verb's logger; its records carry verb, container, interface and network. */
  log: Logger;
  /** Reads an environment variable the plugin's permissions allow; undefined otherwise. */
  getenv(name: string): string | undefined;
  /**
   * Runs another plugin found in CNI_PATH (spec "Section 4: Plugin Delegation") with this
   * invocation's stdin and environment. A delegated ADD is released (DEL) if the verb fails
   * afterwards.
   */
  readonly delegate: Delegator;
  /**
   * The namespace toolkit in CNI_NETNS: `ip` and `sysctl` in the container's namespace.
   *
   * @throws {CniError} code 4 when read without CNI_NETNS
   */
  readonly inContainer: Netns;
  /** The namespace toolkit in the plugin's own namespace (the host's). */
  readonly onHost: Netns;
  /**
   * Registers an action that undoes what the handler just set up; it runs if the verb fails
   * afterwards, by a throw or because the answer cannot be written.
   */
  onFailure(action: UndoAction): void;
  /** The time limit of each program and delegate, in milliseconds. */
  readonly timeoutMs: number;
  /** stdin as the plugin got it: what a delegate gets by default. */
  stdin: string;
  /** The process: what `inContainer`, `onHost`, `delegate` and `log` use. */
  host: Host;
}

/** A verb handler of a defined plugin. */
export type VerbHandler<C extends object, R> = (context: PluginContext<C>) => R | Promise<R>;

/** Everything {@link definePlugin} needs. `C` is inferred from `config`. */
export interface PluginDefinition<C extends object> {
  /** The plugin's name: its executable's name and a configuration's `type`. */
  name: string;
  /** One line printed when the plugin runs without CNI_COMMAND; default "CNI <name> plugin". */
  about?: string;
  /** The spec versions the plugin supports, in the order VERSION lists them; default all. */
  versions?: readonly string[];
  /**
   * Reads the plugin's own configuration keys and returns them typed, with `context.read` or
   * by throwing `configError(key, "must be ...")`: a bad value is error code 7 naming the key.
   * Runs before every verb's handler. A key of the plugin's that no reader read (a typo, most
   * likely) is reported afterwards: see `strictKeys`.
   */
  config?: (raw: JsonObject, context: ConfigContext) => C;
  /**
   * What a key of the plugin's own configuration that no reader of `config` read is: a warning
   * on stderr and in the log when false (the default), error code 7 naming the key when true.
   * Keys of the spec, of the runtime and of other plugins (`name`, `ipam`, `dns`,
   * `runtimeConfig`, `args`, `capabilities`, `log`, `ipMasq`, `cni.dev/...`) are never
   * reported, nor are the keys inside what `read.object` and `read.stringMap` read; inside a
   * section read with `read.section` or `read.sectionList`, every key its reader did not read
   * is. The top level is looked at when the configuration's `type` names the plugin, the `ipam`
   * section when `ipam.type` does. Only the readers are seen: read every key of the plugin's with
   * them, on every verb (`config` runs before each), not from `raw` directly.
   */
  strictKeys?: boolean;
  /**
   * When true, DEL succeeds with a warning on stderr, without running `del`, if the plugin's own
   * keys are invalid (what `config` or the `log` key rejects). For a plugin that has nothing to
   * release without a valid configuration: its DEL then never keeps the rest of the chain from
   * releasing an attachment. Default false.
   */
  tolerateConfigErrorsOnDel?: boolean;
  /**
   * The time limit of each program and delegate the plugin runs, an integer from 1 to
   * 2147483647 (about 24.8 days, the longest a timer holds); default one minute. The environment
   * variable DENO_CNI_TIMEOUT_MS overrides it when the plugin may read it.
   */
  timeoutMs?: number;
  /**
   * "in-process" makes the namespace toolkit (`inContainer`, `onHost`) work only in this process,
   * through netlink, and fail with an error naming `--allow-ffi` when the plugin may not use FFI,
   * instead of running `ip` and `nsenter`: for a plugin that must not need them on the node.
   * Default "any": netlink with `--allow-ffi`, the programs without it.
   */
  networking?: "in-process" | "any";
  /** ADD: returns the result, built with `result()` or changed from `prevResult`. */
  add?: VerbHandler<C, AnyResult>;
  /** CHECK (spec 0.4.0 and later): throws when the attachment is not as ADD left it. */
  check?: VerbHandler<C, void>;
  /** DEL: releases what ADD made; must succeed when it is already gone. */
  del?: VerbHandler<C, void>;
  /** GC (spec 1.1.0): releases what belongs to attachments not in `conf.validAttachments`. */
  gc?: VerbHandler<C, void>;
  /** STATUS (spec 1.1.0): throws code 50 or 51 when ADD cannot be served. */
  status?: VerbHandler<C, void>;
}

/** A defined plugin: handlers for the dispatcher, runnable with `runPlugin` and the harness. */
export interface Plugin extends PluginHandlers {
  /** The plugin's name. */
  readonly name: string;
}

function durationSince(start: number): number {
  return Math.round((performance.now() - start) * 10) / 10;
}

function decodeStandardKeys(document: unknown): NetConf {
  try {
    return decodeNetConf(document);
  } catch (error) {
    if (!(error instanceof DecodeError)) throw error;
    throw new CniError(
      ErrorCode.decodingFailure,
      `failed to parse network configuration: ${error.message}`,
    );
  }
}

/**
 * Runs the plugin's `config`; a key of its own that no reader read is an error with
 * `strictKeys`, else a warning.
 */
function readOwnKeys<C extends object>(
  definition: PluginDefinition<C>,
  conf: NetConf,
  command: Verb,
  log: Logger,
): C {
  const read = configReader(conf.raw);
  let own: C;
  try {
    own = definition.config?.(conf.raw, { command, conf, read }) ?? {} as C;
  } catch (error) {
    if (error instanceof DecodeError) {
      throw new CniError(ErrorCode.invalidNetworkConfig, error.message);
    }
    // A builder (`route()`...) refusing a value while `config` runs refuses the configuration.
    if (error instanceof InvalidBuilderValue) {
      throw new CniError(
        ErrorCode.invalidNetworkConfig,
        `invalid network configuration: ${error.message}`,
      );
    }
    throw error;
  }
  const unknown: UnreadKey[] = unknownKeys(read, conf, definition.name);
  const first = unknown[0];
  if (definition.strictKeys && first !== undefined) {
    throw new ConfigError(first.path, `is not a key of ${definition.name}${didYouMean(first)}`);
  }
  for (const key of unknown) {
    log.warn(`ignored: unknown key ${JSON.stringify(key.path)}${didYouMean(key)}`);
  }
  return own;
}

/** The time limit: DENO_CNI_TIMEOUT_MS, else the definition's, else one minute. */
function timeoutOf(
  definition: Pick<PluginDefinition<object>, "timeoutMs">,
  getenv: (name: string) => string | undefined,
  log: Logger,
): number {
  const fallback = definition.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const text = getenv(TIMEOUT_VARIABLE);
  if (text !== undefined && text !== "") {
    const value = Number(text);
    if (Number.isSafeInteger(value) && value > 0 && value <= MAX_TIMEOUT_MS) return value;
    const setting = `${TIMEOUT_VARIABLE}=${JSON.stringify(text)}`;
    log.warn(
      Number.isFinite(value) && value > MAX_TIMEOUT_MS
        ? `ignored: ${setting} is more than the longest time limit, ${MAX_TIMEOUT_MS} ms; ` +
          `the limit is ${fallback} ms`
        : `ignored: ${setting} is not a number of milliseconds`,
    );
  }
  return fallback;
}

/** The toolkit of a namespace, in this process when the definition asks for it. */
function toolkit(
  definition: Pick<PluginDefinition<object>, "name" | "networking">,
  host: Host,
  path: string | undefined,
  timeoutMs: number,
): Netns {
  const backend = host.netnsBackend?.();
  if (definition.networking === "in-process" && backend === undefined) {
    throw new CniError(
      ErrorCode.internal,
      `missing permission: ${definition.name} may not use FFI for its namespace work`,
      `add it to the --allow-ffi flag of the entry of "${definition.name}" in plugins.json and rebuild`,
    );
  }
  return netns(path, { host, timeoutMs, ...(backend === undefined ? {} : { backend }) });
}

function buildContext<C extends object>(
  definition: Pick<PluginDefinition<object>, "name" | "timeoutMs" | "networking">,
  invocation: Invocation,
  conf: NetConf,
  own: C,
  log: Logger,
  getenv: (name: string) => string | undefined,
): PluginContext<C> {
  const { host } = invocation;
  // What a plugin may never use is made on first use: every container start pays for the rest.
  let prevResult: { value: Result100 | undefined } | undefined;
  let timeoutMs: number | undefined;
  let delegate: Delegator | undefined;
  let inContainer: Netns | undefined;
  let onHost: Netns | undefined;
  const limit = () => timeoutMs ??= timeoutOf(definition, getenv, log);
  return {
    command: invocation.command,
    containerId: invocation.containerId,
    netns: invocation.netns,
    ifName: invocation.ifName,
    path: invocation.path,
    conf: { ...conf, ...own },
    configVersion: invocation.configVersion,
    get prevResult() {
      prevResult ??= { value: readPrevResult(conf) };
      return prevResult.value;
    },
    cniArgs: (known) => parseCniArgs(invocation.args, known),
    log,
    getenv,
    get delegate() {
      return delegate ??= delegator({
        host,
        cniPath: invocation.path,
        timeoutMs: limit(),
        stdin: invocation.stdin,
        onFailure: invocation.onFailure,
        env: {
          CNI_CONTAINERID: invocation.containerId,
          CNI_NETNS: invocation.netns,
          CNI_IFNAME: invocation.ifName,
          CNI_ARGS: invocation.args,
          CNI_PATH: invocation.path,
        },
      });
    },
    get inContainer() {
      if (invocation.netns === "") {
        throw new CniError(ErrorCode.invalidEnvironmentVariables, "CNI_NETNS is not set");
      }
      return inContainer ??= toolkit(definition, host, invocation.netns, limit());
    },
    get onHost() {
      return onHost ??= toolkit(definition, host, undefined, limit());
    },
    onFailure: invocation.onFailure,
    get timeoutMs() {
      return limit();
    },
    stdin: invocation.stdin,
    host,
  };
}

/** True for the errors of a plugin's own keys (and of the `log` key). */
function isOwnConfigError(error: unknown): boolean {
  return error instanceof ConfigError ||
    (error instanceof CniError && error.code === ErrorCode.invalidNetworkConfig);
}

/** Wraps one verb's handler: logger, configuration, context, handler, closing log record. */
function wrap<C extends object, R>(
  definition: PluginDefinition<C>,
  handler: VerbHandler<C, R>,
): Handler<R | undefined> {
  return async (invocation) => {
    const started = performance.now();
    const { host } = invocation;
    // The plugin's own settings are optional: one its permissions do not cover reads as unset.
    const getenv = (name: string) => {
      const value = envText((n) => host.getenvBytes(n, true), name);
      return value === "" ? undefined : value;
    };
    const raw = isJsonObject(invocation.document) ? invocation.document : {};
    const context = {
      verb: invocation.command,
      containerId: invocation.containerId,
      ifName: invocation.ifName,
      network: typeof raw.name === "string" ? raw.name : "",
    };
    // The default logger is made only if the settings cannot be read.
    let configured: Logger | undefined;
    const logger = () => configured ??= createLogger({ plugin: definition.name, context, host });
    try {
      const conf = decodeStandardKeys(invocation.document);
      let own: C;
      try {
        const { settings, problems } = readLogSettings(raw, getenv);
        const log = configured = createLogger({
          ...settings,
          plugin: definition.name,
          context,
          host,
        });
        for (const problem of problems) log.warn(`ignored: ${problem}`);
        own = readOwnKeys(definition, conf, invocation.command, log);
      } catch (error) {
        if (
          invocation.command !== "DEL" || !definition.tolerateConfigErrorsOnDel ||
          !isOwnConfigError(error)
        ) throw error;
        logger().warn(`DEL succeeds without releasing anything: ${toCniError(error).toString()}`);
        logger().info("DEL ok", { outcome: "ok", durationMs: durationSince(started) });
        return undefined;
      }
      const log = logger();
      const value = await handler(buildContext(definition, invocation, conf, own, log, getenv));
      log.info(`${invocation.command} ok`, { outcome: "ok", durationMs: durationSince(started) });
      return value;
    } catch (thrown) {
      // A file the handler opened itself, refused by the plugin's permissions: name the fix.
      const error = thrown instanceof Deno.errors.NotCapable
        ? permissionError(thrown, definition.name)
        : thrown;
      const failure = toCniError(error);
      logger().info(`${invocation.command} failed`, {
        outcome: "error",
        code: failure.code,
        error: failure.toString(),
        durationMs: durationSince(started),
      });
      throw error;
    } finally {
      await configured?.flush();
    }
  };
}

/**
 * Defines a plugin from its handlers, versions and configuration reader. Run it from the
 * plugin's file with `if (import.meta.main) await runPlugin(plugin);`, test it in-process with
 * `invoke` from `./testing`.
 *
 * Before a handler runs, the spec's well-known keys are decoded (a wrong type is error code 6),
 * `log` settings are read and `config` reads the plugin's own keys (code 7 naming the key); a key
 * of the plugin's that no reader read is a warning, or code 7 with `strictKeys`.
 * `prevResult` is parsed when the handler first reads it (code 6 when it does not decode in the
 * configuration's version family). ADD's result is printed in the configuration's `cniVersion`.
 * Whatever the handler registered with `onFailure`, and every delegated ADD, is undone when the
 * verb fails.
 *
 * @param definition the plugin's name, versions, `config` reader and verb handlers
 * @returns the plugin, accepted by `runPlugin` and the test harness
 * @throws {RangeError} when `timeoutMs` is not an integer from 1 to 2147483647
 *
 * @example A chained plugin that adds a route to the previous result
 * ```ts
 * import assert from "node:assert/strict";
 * import { CniError, definePlugin, result, route, versionsStartingFrom } from "./mod.ts";
 * import { invoke } from "./testing.ts";
 *
 * const plugin = definePlugin({
 *   name: "route-add",
 *   versions: versionsStartingFrom("0.3.0"),
 *   config: (_raw, { read }) => ({
 *     dst: read.cidr("dst", { required: true }),
 *     gw: read.ip("gw"),
 *   }),
 *   add({ conf, prevResult }) {
 *     if (prevResult === undefined) throw new CniError(7, "must be called as a chained plugin");
 *     const extra = route(conf.dst, conf.gw === undefined ? {} : { gw: conf.gw });
 *     return result({ ...prevResult, routes: [...prevResult.routes ?? [], extra] });
 *   },
 * });
 *
 * const added = await invoke(plugin, {
 *   config: {
 *     cniVersion: "1.0.0",
 *     name: "net1",
 *     type: "route-add",
 *     dst: "10.9.0.0/16",
 *     prevResult: { cniVersion: "1.0.0", ips: [{ address: "10.22.0.5/16" }] },
 *   },
 * });
 * assert.equal(added.code, 0);
 * assert.deepEqual(added.result?.routes, [{ dst: "10.9.0.0/16" }]);
 *
 * const bad = await invoke(plugin, {
 *   config: { cniVersion: "1.0.0", name: "net1", type: "route-add", dst: "nope" },
 * });
 * assert.equal(bad.error?.code, 7);
 * ```
 */
export function definePlugin<C extends object = Record<never, never>>(
  definition: PluginDefinition<C>,
): Plugin {
  const { timeoutMs } = definition;
  if (
    timeoutMs !== undefined &&
    !(Number.isSafeInteger(timeoutMs) && timeoutMs >= 1 && timeoutMs <= MAX_TIMEOUT_MS)
  ) {
    throw new RangeError(
      `timeoutMs of plugin ${JSON.stringify(definition.name)} must be an integer from 1 to ` +
        `${MAX_TIMEOUT_MS}, got ${timeoutMs}`,
    );
  }
  const verb = <R>(handler: VerbHandler<C, R> | undefined) =>
    handler === undefined ? undefined : wrap(definition, handler);
  const handlers = {
    add: verb(definition.add),
    check: verb(definition.check),
    del: verb(definition.del ?? (definition.tolerateConfigErrorsOnDel ? () => {} : undefined)),
    gc: verb(definition.gc),
    status: verb(definition.status),
  };
  const plugin: Plugin = {
    name: definition.name,
    versions: definition.versions ?? ALL_VERSIONS,
    about: definition.about ?? `CNI ${definition.name} plugin`,
  };
  for (const [key, handler] of Object.entries(handlers)) {
    if (handler !== undefined) Object.assign(plugin, { [key]: handler });
  }
  return plugin;
}
