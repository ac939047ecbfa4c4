/**
 * The CNI_* environment (spec "Section 2: Execution Protocol", "Parameters"), read and validated
 * as the Go reference's skel does.
 *
 * @module
 */
import { goQuote, goQuoteList, QUOTE_LIMIT_BYTES } from "./_go_quote.ts";
import { goText, utf8Text } from "./_go_text.ts";
import { CniError, ErrorCode } from "./errors.ts";
import { parseCidr, parseIp } from "./ip.ts";
import { interfaceNameProblem, isValidName } from "./names.ts";

/** The verbs of spec 1.1.0. */
export type Verb = "ADD" | "DEL" | "CHECK" | "GC" | "STATUS" | "VERSION";

/** The CNI_* variables, in the order the Go skel reads them. */
export const CNI_VARIABLES = [
  "CNI_COMMAND",
  "CNI_CONTAINERID",
  "CNI_NETNS",
  "CNI_IFNAME",
  "CNI_ARGS",
  "CNI_PATH",
] as const;

type Requirement = "required" | "optional" | "unused";

/**
 * Which variables each verb needs, as the Go skel enforces it. The spec calls CNI_PATH optional
 * for ADD, DEL, CHECK and STATUS; skel (and so this table) requires it.
 */
const REQUIREMENTS: Readonly<Record<Verb, Readonly<Record<string, Requirement>>>> = {
  ADD: {
    CNI_CONTAINERID: "required",
    CNI_NETNS: "required",
    CNI_IFNAME: "required",
    CNI_ARGS: "optional",
    CNI_PATH: "required",
  },
  CHECK: {
    CNI_CONTAINERID: "required",
    CNI_NETNS: "required",
    CNI_IFNAME: "required",
    CNI_ARGS: "optional",
    CNI_PATH: "required",
  },
  DEL: {
    CNI_CONTAINERID: "required",
    CNI_NETNS: "optional",
    CNI_IFNAME: "required",
    CNI_ARGS: "optional",
    CNI_PATH: "required",
  },
  GC: { CNI_PATH: "required" },
  STATUS: { CNI_PATH: "required" },
  VERSION: {},
};

/** True for the six verbs (matching is case-sensitive). */
export function isVerb(command: string): command is Verb {
  return Object.hasOwn(REQUIREMENTS, command);
}

/** The arguments of one invocation, from the environment. Unset variables read as "". */
export interface CmdArgs {
  /** CNI_CONTAINERID. */
  containerId: string;
  /** CNI_NETNS. */
  netns: string;
  /** CNI_IFNAME. */
  ifName: string;
  /** CNI_ARGS as given; see parseCniArgs. */
  args: string;
  /** CNI_PATH as given; see splitCniPath. */
  path: string;
}

/**
 * Validates CNI_IFNAME as the Go reference does (see `interfaceNameProblem`).
 *
 * @param name the interface name
 * @param byteLength its length in bytes, when it came as bytes that are not UTF-8
 * @throws {CniError} code 4 for a name over 15 bytes, "." or "..", or one with "/", ":" or
 * white space
 */
export function validateInterfaceName(name: string, byteLength?: number): void {
  const problem = interfaceNameProblem(name, byteLength);
  if (problem !== undefined) {
    throw new CniError(ErrorCode.invalidEnvironmentVariables, problem.msg, problem.details);
  }
}

/** Reads an environment variable's bytes; undefined when unset. */
export type GetenvBytes = (name: string) => Uint8Array | undefined;

/**
 * An environment variable as text: its bytes read as Go reads a string (each byte that is not
 * UTF-8 becomes U+FFFD), or "" when unset.
 */
export function envText(getenvBytes: GetenvBytes, name: string): string {
  const bytes = getenvBytes(name);
  return bytes === undefined ? "" : goText(bytes);
}

/**
 * Bytes quoted as Go's `%q` quotes a string that is not UTF-8: the text as `goQuote` writes it,
 * each byte that is not UTF-8 as `\xHH`; at most {@link QUOTE_LIMIT_BYTES} of them.
 */
function quoteBytes(bytes: Uint8Array): string {
  const shown = bytes.subarray(0, QUOTE_LIMIT_BYTES);
  const encoder = new TextEncoder();
  let quoted = "";
  let run = "";
  let i = 0;
  for (const char of goText(shown)) {
    const replaced = char === "\ufffd" &&
      !(shown[i] === 0xef && shown[i + 1] === 0xbf && shown[i + 2] === 0xbd);
    if (!replaced) {
      run += char;
      i += encoder.encode(char).length;
      continue;
    }
    quoted += `${goQuote(run).slice(1, -1)}\\x${shown[i]!.toString(16).padStart(2, "0")}`;
    run = "";
    i++;
  }
  quoted = `"${quoted}${goQuote(run).slice(1, -1)}"`;
  const cut = bytes.length - shown.length;
  return cut > 0 ? `${quoted} (${cut} more bytes cut)` : quoted;
}

/**
 * Reads the CNI_* variables for a verb (Go skel's environment walk): container ID and interface
 * name are validated for ADD, CHECK and DEL, and every missing required variable is reported in
 * one error. An empty variable counts as missing. Values are bytes, as in Go, and an interface
 * name's length is counted in its bytes. A container ID that is not UTF-8 has invalid characters,
 * as in Go. CNI_NETNS, CNI_IFNAME, CNI_ARGS and CNI_PATH must be UTF-8 where the verb uses them,
 * unlike in Go: a plugin hands them on as text, to delegates and to the programs it runs, and
 * text cannot hold other bytes, so `a\xffb` would name another interface (the same as `a\xfeb`)
 * or another path. Variables a verb does not use are passed on unchecked, as the reference does,
 * with U+FFFD in place of each byte that is not UTF-8.
 *
 * @throws {CniError} code 4
 */
export function readCmdArgs(verb: Verb, getenvBytes: GetenvBytes): CmdArgs {
  const values: Record<string, string> = {};
  const missing: string[] = [];
  const validates = verb === "ADD" || verb === "CHECK" || verb === "DEL";
  for (const name of CNI_VARIABLES.slice(1)) {
    const requirement = REQUIREMENTS[verb][name] ?? "unused";
    const bytes = getenvBytes(name);
    const utf8 = bytes === undefined ? "" : utf8Text(bytes);
    const value = utf8 ?? goText(bytes!);
    values[name] = value;
    if (value === "") {
      if (requirement === "required") missing.push(name);
      continue;
    }
    if (validates && name === "CNI_CONTAINERID" && !isValidName(value)) {
      throw new CniError(
        ErrorCode.invalidEnvironmentVariables,
        "invalid characters in containerID",
        value,
      );
    }
    if (validates && name === "CNI_IFNAME") validateInterfaceName(value, bytes!.length);
    if (name !== "CNI_CONTAINERID" && requirement !== "unused" && utf8 === undefined) {
      throw new CniError(
        ErrorCode.invalidEnvironmentVariables,
        `${name} is not UTF-8`,
        quoteBytes(bytes!),
      );
    }
  }
  if (missing.length > 0) {
    throw new CniError(
      ErrorCode.invalidEnvironmentVariables,
      `required env variables [${missing.join(",")}] missing`,
    );
  }
  return {
    containerId: values.CNI_CONTAINERID!,
    netns: values.CNI_NETNS!,
    ifName: values.CNI_IFNAME!,
    args: values.CNI_ARGS!,
    path: values.CNI_PATH!,
  };
}

/** Splits CNI_PATH on ":" like Go's filepath.SplitList: "" is no directory, "a::b" keeps "". */
export function splitCniPath(path: string): string[] {
  return path === "" ? [] : path.split(":");
}

/** How parseCniArgs reads a known key's value. */
export type CniArgKind = "string" | "boolean" | "ip";

/** The keys parseCniArgs knows unless told otherwise (Go's CommonArgs, K8s args and IP). */
export const DEFAULT_CNI_ARGS: Readonly<Record<string, CniArgKind>> = {
  IgnoreUnknown: "boolean",
  IP: "ip",
  K8S_POD_NAME: "string",
  K8S_POD_NAMESPACE: "string",
  K8S_POD_INFRA_CONTAINER_ID: "string",
  K8S_POD_UID: "string",
};

/** What parseCniArgs found: the known keys' values, and the unknown pairs. */
export interface CniArgs {
  /** The known keys' values. */
  values: Record<string, string | boolean>;
  /** The pairs with unknown keys, as written. */
  unknown: string[];
}

function parseArgValue(kind: CniArgKind, value: string, pair: string): string | boolean {
  const fail = (why: string) =>
    new CniError(
      ErrorCode.invalidEnvironmentVariables,
      `ARGS: error parsing value of pair ${goQuote(pair)}: ${why}`,
    );
  if (kind === "boolean") {
    const lower = value.toLowerCase();
    if (lower === "1" || lower === "true") return true;
    if (lower === "0" || lower === "false") return false;
    throw fail(`boolean unmarshal error: invalid input ${lower}`);
  }
  // Go's net.IP reads "" as no address.
  if (
    kind === "ip" && value !== "" && parseIp(value) === undefined && parseCidr(value) === undefined
  ) {
    throw fail(`invalid IP address: ${value}`);
  }
  return value;
}

/**
 * Parses CNI_ARGS ("K=V;K=V") like Go's `types.LoadArgs`: keys match case-sensitively, a repeated
 * key's last value wins, and unknown keys are an error unless `IgnoreUnknown` is true.
 *
 * @param args the raw CNI_ARGS
 * @param known the keys to accept and how to read them
 * @throws {CniError} code 4 for a malformed pair, a bad value or unknown keys
 */
export function parseCniArgs(
  args: string,
  known: Readonly<Record<string, CniArgKind>> = DEFAULT_CNI_ARGS,
): CniArgs {
  const parsed: CniArgs = { values: {}, unknown: [] };
  if (args === "") return parsed;
  for (const pair of args.split(";")) {
    const parts = pair.split("=");
    if (parts.length !== 2) {
      throw new CniError(
        ErrorCode.invalidEnvironmentVariables,
        `ARGS: invalid pair ${goQuote(pair)}`,
      );
    }
    const [key, value] = parts as [string, string];
    const kind = Object.hasOwn(known, key) ? known[key] : undefined;
    if (kind === undefined) parsed.unknown.push(pair);
    else parsed.values[key] = parseArgValue(kind, value, pair);
  }
  if (parsed.unknown.length > 0 && parsed.values.IgnoreUnknown !== true) {
    throw new CniError(
      ErrorCode.invalidEnvironmentVariables,
      `ARGS: unknown args ${goQuoteList(parsed.unknown)}`,
    );
  }
  return parsed;
}
