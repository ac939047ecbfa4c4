/**
 * The sample chained plugin: it checks its configuration, takes the previous plugin's result,
 * makes sure the container has IPs and passes the result on in the configuration's version.
 *
 * Configuration: `anotherAwesomeArg` (string, required), `myAwesomeFlag` (boolean),
 * `runtimeConfig.sample` (object).
 */
import {
  ALL_VERSIONS,
  child,
  containerIps,
  convertToCurrent,
  DecodeError,
  decodeNetConf,
  field,
  type Invocation,
  isJsonObject,
  type JsonObject,
  type NetConf,
  optionalBoolean,
  optionalObject,
  optionalString,
  parsePrevResult,
  type Result100,
  runPlugin,
} from "./lib/mod.ts";

/** The sample's configuration: the standard keys plus its own. */
export interface SampleConf extends NetConf {
  anotherAwesomeArg: string;
  myAwesomeFlag: boolean;
  runtimeSample?: JsonObject;
  /** The previous result, converted to the current spec version. */
  prevResult?: Result100;
}

/** The sample's version of the reference's `parseConfig`. */
export function parseSampleConfig(invocation: Invocation): SampleConf {
  let conf: SampleConf;
  try {
    const at = { struct: "PluginConf", path: "" };
    // PluginConf declares runtimeConfig itself, so Go names the sample's struct when it is not an
    // object: check it before decodeNetConf reports it against NetConf's generic map.
    const document = invocation.document;
    const runtimeConfig = optionalObject(
      isJsonObject(document) ? field(document, "runtimeConfig") : undefined,
      child(at, "runtimeConfig"),
      'struct { SampleConfig map[string]interface {} "json:\\"sample\\"" }',
    );
    const base = decodeNetConf(document, "PluginConf");
    // Go names the innermost struct in the error, here an anonymous one: ".runtimeConfig.sample".
    const runtimeSample = runtimeConfig &&
      optionalObject(
        field(runtimeConfig, "sample"),
        child(at, "runtimeConfig.sample", ""),
        "map[string]interface {}",
      );
    conf = {
      ...base,
      anotherAwesomeArg:
        optionalString(field(base.raw, "anotherAwesomeArg"), child(at, "anotherAwesomeArg")) ?? "",
      myAwesomeFlag:
        optionalBoolean(field(base.raw, "myAwesomeFlag"), child(at, "myAwesomeFlag")) ?? false,
      ...(runtimeSample && { runtimeSample }),
    };
  } catch (error) {
    if (!(error instanceof DecodeError)) throw error;
    throw new Error(`failed to parse network configuration: ${error.message}`);
  }
  if (conf.rawPrevResult !== undefined) {
    try {
      const parsed = parsePrevResult(conf.rawPrevResult, conf.cniVersion);
      conf.prevResult = convertToCurrent(parsed);
    } catch (error) {
      if (!(error instanceof DecodeError)) throw error;
      throw new Error(`could not parse prevResult: ${error.message}`);
    }
  }
  if (conf.anotherAwesomeArg === "") throw new Error("anotherAwesomeArg must be specified");
  return conf;
}

/** The previous result, provided it names at least one container IP. */
function chainedResult(invocation: Invocation): Result100 {
  const conf = parseSampleConfig(invocation);
  if (conf.prevResult === undefined) throw new Error("must be called as chained plugin");
  const ips = containerIps(conf.prevResult, {
    configVersion: conf.cniVersion,
    ifName: invocation.ifName,
  });
  if (ips.length === 0) throw new Error("got no container IPs");
  return conf.prevResult;
}

/** The sample plugin's handlers. */
export const samplePlugin = {
  about: "CNI sample plugin (deno-cni)",
  versions: ALL_VERSIONS,
  add: chainedResult,
  check: (invocation: Invocation) => void chainedResult(invocation),
  del: (invocation: Invocation) => void parseSampleConfig(invocation),
  status: (invocation: Invocation) => void parseSampleConfig(invocation),
};

if (import.meta.main) await runPlugin(samplePlugin);
