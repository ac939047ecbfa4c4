/**
 * The high-level way to write a plugin: {@link definePlugin} takes the verbs' handlers, the spec
 * versions and a validator of the plugin's own configuration keys, and gives each handler a
 * context with the typed configuration, the previous result (parsed and converted to the newest
 * shape), the invocation's arguments and a logger. Each verb ends with one log record.
 *
 * @module
 */
import { type ConfigReader, configReader } from "./config_reader.ts";
import { decodeNetConf, type NetConf, parsePrevResult } from "./config.ts";
import { convertResult, convertToCurrent } from "./convert.ts";
import { type DelegateOptions, denoDelegateExec } from "./delegate.ts";
import { type CniArgKind, type CniArgs, parseCniArgs, type Verb } from "./env.ts";
import { CniError, ErrorCode, toCniError } from "./errors.ts";
import { createLogger, type Logger, readLogSettings } from "./log.ts";
import type { Handler, Invocation, PluginHandlers } from "./skel.ts";
import type { AnyResult, Result100 } from "./types.ts";
import { ALL_VERSIONS } from "./version.ts";
import { DecodeError, isJsonObject, type JsonObject } from "./_decode.ts";

/** What a plugin's `config` validator gets besides the raw configuration object. */
export interface ConfigContext {
  /** The verb being run. */
  command: Verb;
  /** The spec's well-known keys, already decoded and type-checked. */
  conf: NetConf;
  /** Typed readers of the plugin's own keys; each throws a code 7 error naming the key. */
  read: ConfigReader;
}

/** What a verb's handler gets. `C` is what the plugin's `config` validator returns. */
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
   * The previous plugin's result (spec §"Chained plugins"), parsed as the Go reference parses it
   * (in the configuration's version family) and converted to the newest shape; undefined when the
   * configuration has none. It is parsed when first read, so a plugin that ignores it is not
   * failed by it; a prevResult that does not decode throws code 6 there.
   */
  readonly prevResult: Result100 | undefined;
  /**
   * CNI_ARGS parsed like the Go reference's `LoadArgs`: `known` lists the keys to accept (by
   * default IP, IgnoreUnknown and the K8S_* keys); unknown keys fail unless IgnoreUnknown=1.
   *
   * @throws {CniError} code 4 for a malformed CNI_ARGS
   */
  cniArgs(known?: Readonly<Record<string, CniArgKind>>): CniArgs;
  /** The verb's logger (see lib/log.ts); its records carry verb, container, interface, network. */
  log: Logger;
  /** Reads an environment variable the plugin's permissions allow; undefined otherwise. */
  getenv(name: string): string | undefined;
  /**
   * Options for the delegate helpers (`delegateAdd`, `withDelegatedAdd`, `delegateDel`...):
   * CNI_PATH, the invocation's CNI_* variables for the delegate's environment and its stderr
   * passed on to this invocation's, so delegation behaves the same in a test harness run.
   */
  delegation: DelegateOptions;
  /** The low-level invocation: raw stdin, the parsed document. */
  invocation: Invocation;
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
   * Validates the plugin's own configuration keys and returns them typed. Throw
   * `configError(key, "must be ...")` for a bad value (or use `context.read`); it becomes error
   * code 7. Runs before every verb's handler.
   */
  config?: (raw: JsonObject, context: ConfigContext) => C;
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

function convertPrevResult(conf: NetConf): Result100 | undefined {
  if (conf.rawPrevResult === undefined) return undefined;
  try {
    const parsed = parsePrevResult(conf.rawPrevResult, conf.cniVersion);
    return convertToCurrent(parsed);
  } catch (error) {
    if (error instanceof CniError) throw error;
    throw new CniError(
      ErrorCode.decodingFailure,
      error instanceof DecodeError
        ? error.message
        : `could not parse prevResult: ${error instanceof Error ? error.message : error}`,
    );
  }
}

function delegationOf(invocation: Invocation): DelegateOptions {
  const exec = denoDelegateExec();
  const writeStderr = invocation.writeStderr;
  return {
    cniPath: invocation.path,
    env: {
      CNI_CONTAINERID: invocation.containerId,
      CNI_NETNS: invocation.netns,
      CNI_IFNAME: invocation.ifName,
      CNI_ARGS: invocation.args,
      CNI_PATH: invocation.path,
    },
    exec: writeStderr === undefined ? exec : { ...exec, writeStderr },
  };
}

function buildContext<C extends object>(
  definition: PluginDefinition<C>,
  invocation: Invocation,
  log: Logger,
  getenv: (name: string) => string | undefined,
): PluginContext<C> {
  const conf = decodeStandardKeys(invocation.document);
  let own = {} as C;
  if (definition.config !== undefined) {
    try {
      own = definition.config(conf.raw, {
        command: invocation.command,
        conf,
        read: configReader(conf.raw),
      });
    } catch (error) {
      if (error instanceof DecodeError) {
        throw new CniError(ErrorCode.invalidNetworkConfig, error.message);
      }
      throw error;
    }
  }
  let prevResult: { value: Result100 | undefined } | undefined;
  return {
    command: invocation.command,
    containerId: invocation.containerId,
    netns: invocation.netns,
    ifName: invocation.ifName,
    path: invocation.path,
    conf: { ...conf, ...own },
    configVersion: invocation.configVersion,
    get prevResult() {
      prevResult ??= { value: convertPrevResult(conf) };
      return prevResult.value;
    },
    cniArgs: (known) => parseCniArgs(invocation.args, known),
    log,
    getenv,
    delegation: delegationOf(invocation),
    invocation,
  };
}

/**
 * Wraps one verb's handler: logger, context, handler, the verb's closing log record.
 */
function wrap<C extends object, R>(
  definition: PluginDefinition<C>,
  handler: VerbHandler<C, R>,
  finish: (value: R, invocation: Invocation) => R,
): Handler<R> {
  return async (invocation) => {
    const started = performance.now();
    const getenv = (name: string) => {
      try {
        return invocation.getenv?.(name);
      } catch {
        return undefined;
      }
    };
    const writeStderr = invocation.writeStderr ?? ((text: string) => console.error(text.trimEnd()));
    const raw = isJsonObject(invocation.document) ? invocation.document : {};
    const context = {
      verb: invocation.command,
      containerId: invocation.containerId,
      ifName: invocation.ifName,
      network: typeof raw.name === "string" ? raw.name : "",
    };
    let log = createLogger({ plugin: definition.name, context, writeStderr });
    try {
      const { settings, problems } = readLogSettings(raw, getenv);
      log = createLogger({ ...settings, plugin: definition.name, context, writeStderr });
      for (const problem of problems) log.warn(`ignored: ${problem}`);
      const value = finish(
        await handler(buildContext(definition, invocation, log, getenv)),
        invocation,
      );
      log.info(`${invocation.command} ok`, { outcome: "ok", durationMs: durationSince(started) });
      return value;
    } catch (error) {
      const failure = toCniError(error);
      log.info(`${invocation.command} failed`, {
        outcome: "error",
        code: failure.code,
        error: failure.toString(),
        durationMs: durationSince(started),
      });
      throw error;
    }
  };
}

/**
 * Defines a plugin from its handlers, versions and configuration validator. Run it from the
 * plugin's file with `if (import.meta.main) await runPlugin(plugin);`, test it in-process with
 * lib/testing.ts.
 *
 * Before a handler runs, the spec's well-known keys are decoded (a wrong type is error code 6),
 * `log` settings are read and `config` validates the plugin's own keys (code 7 naming the key).
 * `prevResult` is parsed when the handler first reads it (code 6 when it does not decode in the
 * configuration's version family).
 * ADD's result is converted to the configuration's `cniVersion` before the verb counts as done.
 *
 * @param definition the plugin's name, versions, `config` validator and verb handlers
 * @returns the plugin, accepted by `runPlugin`, `dispatch` and the test harness
 *
 * @example A chained plugin that adds a route to the previous result
 * ```ts
 * import assert from "node:assert/strict";
 * import { CniError, definePlugin, route, versionsStartingFrom } from "./mod.ts";
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
 *     return { ...prevResult, routes: [...prevResult.routes ?? [], extra] };
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
  const versions = definition.versions ?? ALL_VERSIONS;
  const passThrough = <R>(value: R) => value;
  const handlers: PluginHandlers = {
    versions,
    about: definition.about ?? `CNI ${definition.name} plugin`,
    ...(definition.add && {
      add: wrap(
        definition,
        definition.add,
        (value, invocation) => convertResult(value, invocation.configVersion),
      ),
    }),
    ...(definition.check && { check: wrap(definition, definition.check, passThrough) }),
    ...(definition.del && { del: wrap(definition, definition.del, passThrough) }),
    ...(definition.gc && { gc: wrap(definition, definition.gc, passThrough) }),
    ...(definition.status && { status: wrap(definition, definition.status, passThrough) }),
  };
  return { ...handlers, name: definition.name };
}
