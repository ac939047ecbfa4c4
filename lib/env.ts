/**
 * The CNI_* environment (spec §"Parameters"), read and validated as the Go skel does.
 */
import { goQuote, goQuoteList } from "./_go_quote.ts";
import { isValidName } from "./config.ts";
import { CniError, ErrorCode } from "./errors.ts";
import { parseCidr, parseIp } from "./ip.ts";

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
  containerId: string;
  netns: string;
  ifName: string;
  /** CNI_ARGS as given; see parseCniArgs. */
  args: string;
  /** CNI_PATH as given; see splitCniPath. */
  path: string;
}

/**
 * Validates an interface name as the Go reference does.
 *
 * @throws {CniError} code 4 for a name over 15 bytes, "." or "..", or one with "/", ":" or
 * white space
 */
export function validateInterfaceName(name: string): void {
  if (new TextEncoder().encode(name).length > 15) {
    throw new CniError(
      ErrorCode.invalidEnvironmentVariables,
      "interface name is too long",
      "interface name should be less than 16 characters",
    );
  }
  if (name === "." || name === "..") {
    throw new CniError(ErrorCode.invalidEnvironmentVariables, "interface name is . or ..");
  }
  if (/[/:\t\n\v\f\r \u0085\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]/u.test(name)) {
    throw new CniError(
      ErrorCode.invalidEnvironmentVariables,
      "interface name contains / or : or whitespace characters",
    );
  }
}

/**
 * Reads the CNI_* variables for a verb (Go skel's environment walk): container ID and interface
 * name are validated for ADD, CHECK and DEL, and every missing required variable is reported in
 * one error. An empty variable counts as missing. Variables a verb does not use are passed on
 * unchecked, as the reference does.
 *
 * @throws {CniError} code 4
 */
export function readCmdArgs(verb: Verb, getenv: (name: string) => string | undefined): CmdArgs {
  const values: Record<string, string> = {};
  const missing: string[] = [];
  const validates = verb === "ADD" || verb === "CHECK" || verb === "DEL";
  for (const name of CNI_VARIABLES.slice(1)) {
    const requirement = REQUIREMENTS[verb][name] ?? "unused";
    const value = getenv(name) ?? "";
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
    if (validates && name === "CNI_IFNAME") validateInterfaceName(value);
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
  values: Record<string, string | boolean>;
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
