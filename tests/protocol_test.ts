/**
 * lib/protocol.ts, the "./protocol" entry point: it exports what its documentation says, each
 * name the very value of the module that defines it. The types are checked at compile time.
 */
import assert from "node:assert/strict";
import * as protocol from "../lib/protocol.ts";
import type {
  AnyResult,
  CmdArgs,
  DenoHostOptions,
  Dns,
  ErrorObject,
  GcAttachment,
  GetenvBytes,
  Handler,
  Host,
  Interface040,
  Interface100,
  Invocation,
  IpAddress,
  IpamConfig,
  IpCidr,
  IpConfig020,
  IpConfig040,
  IpConfig100,
  NetConf,
  PluginHandlers,
  Result020,
  Result040,
  Result100,
  ResultFamily,
  Route,
  RunOptions,
  RunOutput,
  SpecVersion,
  UndoAction,
  Verb,
  VersionInfo,
  VersionTriple,
} from "../lib/protocol.ts";
import * as config from "../lib/config.ts";
import * as decode from "../lib/_decode.ts";
import * as convert from "../lib/convert.ts";
import * as env from "../lib/env.ts";
import * as errors from "../lib/errors.ts";
import * as host from "../lib/host.ts";
import * as ipModule from "../lib/ip.ts";
import * as names from "../lib/names.ts";
import * as print from "../lib/print.ts";
import * as result from "../lib/result.ts";
import * as skel from "../lib/skel.ts";
import * as version from "../lib/version.ts";

/** Every type the entry point names; compiling this file checks that each exists. */
export type ProtocolTypes = [
  AnyResult,
  CmdArgs,
  DenoHostOptions,
  Dns,
  ErrorObject,
  GcAttachment,
  GetenvBytes,
  Handler<void>,
  Host,
  Interface040,
  Interface100,
  Invocation,
  IpAddress,
  IpamConfig,
  IpCidr,
  IpConfig020,
  IpConfig040,
  IpConfig100,
  NetConf,
  PluginHandlers,
  Result020,
  Result040,
  Result100,
  ResultFamily,
  Route,
  RunOptions,
  RunOutput,
  SpecVersion,
  UndoAction,
  Verb,
  VersionInfo,
  VersionTriple,
];

/** Each value the entry point exports, and the module that defines it. */
const EXPORTS: Record<string, Record<string, unknown>> = {
  checkVersions: skel,
  dispatch: skel,
  DEFAULT_TIMEOUT_MS: host,
  denoHost: host,
  MAX_OUTPUT_BYTES: host,
  permissionError: host,
  TIMEOUT_VARIABLE: host,
  tryWriteStderr: host,
  CNI_VARIABLES: env,
  DEFAULT_CNI_ARGS: env,
  envText: env,
  isVerb: env,
  parseCniArgs: env,
  readCmdArgs: env,
  splitCniPath: env,
  validateInterfaceName: env,
  checkNetworkConfig: config,
  configVersionOf: config,
  decodeNetConf: config,
  parseJson: config,
  parsePrevResult: config,
  readPrevResult: config,
  interfaceNameProblem: names,
  isValidName: names,
  kernelInterfaceNameProblem: names,
  decodeResult: result,
  emptyResult: result,
  resultFamily: result,
  convertResult: convert,
  convertToCurrent: convert,
  formatError: print,
  formatResult: print,
  formatVersionInfo: print,
  marshalCompact: print,
  marshalIndent: print,
  ALL_VERSIONS: version,
  compareVersions: version,
  CURRENT_VERSION: version,
  DEFAULT_VERSION: version,
  familyOf: version,
  familyVersions: version,
  isSpecVersion: version,
  LEGACY_VERSIONS: version,
  parseVersion: version,
  versionAtLeast: version,
  versionOrDefault: version,
  CniError: errors,
  ErrorCode: errors,
  toCniError: errors,
  cidrContains: ipModule,
  formatCidr: ipModule,
  formatIp: ipModule,
  isIpv4: ipModule,
  isJsonObject: decode,
  parseCidr: ipModule,
  parseIp: ipModule,
};

Deno.test("lib/protocol.ts exports the protocol's values", async (t) => {
  for (const [name, module] of Object.entries(EXPORTS)) {
    await t.step(`lib/protocol.ts exports ${name} from its module`, () => {
      const exported = (protocol as Record<string, unknown>)[name];
      assert.notEqual(exported, undefined, `${name} is missing`);
      assert.equal(exported, module[name]);
    });
  }
  await t.step("lib/protocol.ts exports no other value", () => {
    assert.deepEqual(Object.keys(protocol).sort(), Object.keys(EXPORTS).sort());
  });
});

Deno.test("lib/protocol.ts is enough to write a plugin on the dispatcher", async () => {
  // The module's own example, on the real dispatcher and a host that records.
  const handlers: protocol.PluginHandlers = {
    versions: ["1.0.0"],
    about: "CNI bare plugin",
    add: ({ configVersion }) => protocol.emptyResult(configVersion),
  };
  const written: string[] = [];
  const recording: protocol.Host = {
    getenvBytes: (name) => name === "CNI_COMMAND" ? new TextEncoder().encode("VERSION") : undefined,
    readStdin: () => Promise.reject(new Error("VERSION reads no stdin")),
    writeStdout: (text) => Promise.resolve(void written.push(text)),
    writeStderr: () => Promise.resolve(),
    run: () => Promise.reject(new Error("nothing runs")),
    isFile: () => Promise.resolve(false),
    namespacePathKind: () => Promise.resolve("missing"),
    appendFile: () => Promise.resolve(),
    sleep: () => Promise.resolve(),
    exit: () => {},
  };
  assert.equal(await protocol.dispatch(handlers, recording), 0);
  assert.deepEqual(written, ['{"cniVersion":"1.1.0","supportedVersions":["1.0.0"]}\n']);
});
