/**
 * The command line of cnitool: verbs, operands and options. Each option is read in the forms Go's
 * `flag` package reads: `-i NAME`, `-i=NAME`, `--i NAME`, `--ifname=NAME`; a boolean as `-v` or
 * `-v=true` (`1`, `t`, `T`, `TRUE`, `True`, and the same for false), never taking the next
 * argument. Unlike Go's, options may also follow the operands; `--` ends them.
 *
 * @module
 */

/** The verbs that run a network's plugins for a namespace, as Go's cnitool has them. */
export const NETWORK_VERBS = ["add", "check", "del", "gc", "status"] as const;

/** One of {@link NETWORK_VERBS}. */
export type NetworkVerb = typeof NETWORK_VERBS[number];

/** What the command line asks for. */
export type Command =
  | { readonly kind: "help" }
  | {
    readonly kind: "network";
    readonly verb: NetworkVerb;
    readonly network: string;
    readonly netns: string;
    readonly options: CommandOptions;
  }
  | { readonly kind: "validate"; readonly network: string; readonly options: CommandOptions }
  | { readonly kind: "netns"; readonly action: "add" | "del"; readonly name: string };

/** The options beside the operands. */
export interface CommandOptions {
  /** `-i`/`--ifname`; undefined when not given. */
  readonly ifName?: string;
  readonly verbose: boolean;
  readonly netnsNew: boolean;
  /** `--valid ID/IFNAME` for gc; undefined when none was given. */
  readonly valid?: readonly { readonly containerId: string; readonly ifName: string }[];
  /** `--timeout` in milliseconds; undefined for the default. */
  readonly timeoutMs?: number;
  /** `--container-id`; undefined for the one made from the namespace path. */
  readonly containerId?: string;
  /** `--cache-dir`; undefined for the default. */
  readonly cacheDir?: string;
}

/** A command line that cannot be run; the message says why, the usage follows it. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "UsageError";
  }
}

/** The help text. */
export const USAGE = `Usage: cnitool [options] add|check|del|gc|status NETWORK NETNS
       cnitool [options] validate NETWORK
       cnitool netns add|del NAME

Runs the plugins of the network NETWORK (the first .conflist, .conf or .json file in NETCONFPATH
with that name) for the network namespace at the path NETNS, as a container runtime does.

  add      ADD the attachment and print the result
  check    CHECK it against the cached result of add
  del      DEL it (the plugins in reverse order)
  gc       DEL every cached attachment of the network not named by --valid, then GC each plugin
  status   ask each plugin whether it can serve ADD (spec 1.1.0)
  validate ask each plugin for its versions (VERSION) and print the capabilities
  netns    create or delete the network namespace /var/run/netns/NAME (ip netns add|del)

Options (in the forms of Go's flag package: -i NAME, -i=NAME, --ifname=NAME; -v, -v=true):
  -i, --ifname NAME       the interface name in the namespace (default: CNI_IFNAME, else eth0)
  -v, --verbose           show each plugin's stdin, stdout, stderr, exit status and time on stderr
      --netns-new         create NETNS (/var/run/netns/NAME, or NAME alone) first and delete it
                          at the end; after add, DEL runs before it goes, whether add succeeded
      --valid ID/IFNAME   gc: an attachment still in use (repeatable); with none, every cached
                          attachment of the network is deleted, as Go's cnitool does
      --container-id ID   the container ID (default: cnitool- and the first 20 hex digits of the
                          SHA-512 of the absolute NETNS path, as Go's cnitool makes it)
      --cache-dir DIR     the result cache directory (default /var/lib/cni)
      --timeout SECONDS   the time limit of each plugin run (default 300, at most 2147483)
  -h, --help              this text

Environment, as Go's cnitool reads it:
  CNI_PATH         the plugin directories, ':'-separated (required); relative ones are taken
                   from the working directory
  NETCONFPATH      the configuration directory (default /etc/cni/net.d)
  CNI_IFNAME       the interface name (default eth0)
  CNI_ARGS         K=V;K=V passed to the plugins
  CAP_ARGS         capability arguments, a JSON object (runtimeConfig for plugins that ask)

Exit status 0 on success, 1 on failure, 130 or 143 after SIGINT or SIGTERM (which also kill the
running plugin). A failure prints the error on stderr, and "code=N" on a second line when a
plugin's error object (or a check's error code) is behind it.
`;

function parseValid(value: string): { containerId: string; ifName: string } {
  const slash = value.indexOf("/");
  if (slash <= 0 || slash === value.length - 1 || value.indexOf("/", slash + 1) >= 0) {
    throw new UsageError(`--valid wants CONTAINERID/IFNAME, not ${JSON.stringify(value)}`);
  }
  return { containerId: value.slice(0, slash), ifName: value.slice(slash + 1) };
}

/** The longest time limit a timer can hold: 2^31 - 1 milliseconds, about 24.8 days. */
export const MAX_TIMEOUT_MS = 2 ** 31 - 1;

/** An option: its names (`i` and `ifname` are one option) and whether it takes a value. */
interface OptionSpec {
  readonly names: readonly string[];
  readonly takesValue: boolean;
}

const OPTIONS = {
  ifname: { names: ["i", "ifname"], takesValue: true },
  verbose: { names: ["v", "verbose"], takesValue: false },
  netnsNew: { names: ["netns-new"], takesValue: false },
  valid: { names: ["valid"], takesValue: true },
  containerId: { names: ["container-id"], takesValue: true },
  cacheDir: { names: ["cache-dir"], takesValue: true },
  timeout: { names: ["timeout"], takesValue: true },
  help: { names: ["h", "help"], takesValue: false },
} as const satisfies Record<string, OptionSpec>;

type OptionName = keyof typeof OPTIONS;

const BY_NAME = new Map<string, OptionName>(
  (Object.entries(OPTIONS) as [OptionName, OptionSpec][]).flatMap(([option, spec]) =>
    spec.names.map((name) => [name, option] as const)
  ),
);

/** strconv.ParseBool, which Go's flag package uses for a boolean's `=value`. */
function parseBool(value: string): boolean | undefined {
  if (["1", "t", "T", "TRUE", "true", "True"].includes(value)) return true;
  if (["0", "f", "F", "FALSE", "false", "False"].includes(value)) return false;
  return undefined;
}

/** The options and operands of `argv`, each option's values in order. */
function splitArgs(argv: readonly string[]): {
  values: Map<OptionName, (string | boolean)[]>;
  positionals: string[];
} {
  const values = new Map<OptionName, (string | boolean)[]>();
  const positionals: string[] = [];
  let optionsEnd = false;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (optionsEnd || arg.length < 2 || arg[0] !== "-") {
      positionals.push(arg);
      continue;
    }
    if (arg === "--") {
      optionsEnd = true;
      continue;
    }
    let name = arg.slice(arg[1] === "-" ? 2 : 1);
    if (name === "" || name[0] === "-" || name[0] === "=") {
      throw new UsageError(`bad flag syntax: ${arg}`);
    }
    let value: string | undefined;
    const equals = name.indexOf("=");
    if (equals > 0) {
      value = name.slice(equals + 1);
      name = name.slice(0, equals);
    }
    const option = BY_NAME.get(name);
    if (option === undefined) throw new UsageError(`flag provided but not defined: -${name}`);
    let parsed: string | boolean;
    if (!OPTIONS[option].takesValue) {
      const flag = value === undefined ? true : parseBool(value);
      if (flag === undefined) {
        throw new UsageError(
          `invalid boolean value ${JSON.stringify(value)} for -${name}: parse error`,
        );
      }
      parsed = flag;
    } else if (value !== undefined) parsed = value;
    else if (i + 1 < argv.length) parsed = argv[++i]!;
    else throw new UsageError(`flag needs an argument: -${name}`);
    values.set(option, [...values.get(option) ?? [], parsed]);
  }
  return { values, positionals };
}

function parseTimeout(value: string): number {
  const seconds = Number(value);
  if (!/^\d+(\.\d+)?$/.test(value) || !(seconds > 0)) {
    throw new UsageError(`--timeout wants a number of seconds, not ${JSON.stringify(value)}`);
  }
  const timeoutMs = Math.round(seconds * 1000);
  if (timeoutMs > MAX_TIMEOUT_MS) {
    throw new UsageError(
      `--timeout ${value} is longer than the longest time limit, ${
        Math.floor(MAX_TIMEOUT_MS / 1000)
      } seconds`,
    );
  }
  return timeoutMs;
}

/** A value that must not be empty. */
function nonEmpty(option: string, what: string, value: string | undefined): string | undefined {
  if (value === "") throw new UsageError(`--${option} wants ${what}, not an empty value`);
  return value;
}

/**
 * Reads the command line.
 *
 * @throws {UsageError} for unknown options, verbs or a wrong number of operands
 */
export function parseCommandLine(argv: readonly string[]): Command {
  const { values, positionals } = splitArgs(argv);
  const last = (option: OptionName) => values.get(option)?.at(-1);
  const text = (option: OptionName) => last(option) as string | undefined;
  if (last("help") === true) return { kind: "help" };
  const timeout = text("timeout");
  const timeoutMs = timeout === undefined ? undefined : parseTimeout(timeout);
  const ifName = text("ifname");
  const valid = values.get("valid") as string[] | undefined;
  const containerId = nonEmpty("container-id", "a container ID", text("containerId"));
  const cacheDir = nonEmpty("cache-dir", "a directory", text("cacheDir"));
  const options: CommandOptions = {
    verbose: last("verbose") === true,
    netnsNew: last("netnsNew") === true,
    ...(ifName === undefined ? {} : { ifName }),
    ...(valid === undefined ? {} : { valid: valid.map(parseValid) }),
    ...(timeoutMs === undefined ? {} : { timeoutMs }),
    ...(containerId === undefined ? {} : { containerId }),
    ...(cacheDir === undefined ? {} : { cacheDir }),
  };
  const [verb, ...operands] = positionals;
  if (verb === undefined) throw new UsageError("no command given");
  if (verb === "netns") {
    const [action, name, ...rest] = operands;
    if ((action !== "add" && action !== "del") || name === undefined || rest.length > 0) {
      throw new UsageError("netns wants add|del NAME");
    }
    return { kind: "netns", action, name };
  }
  if (verb === "validate") {
    if (operands.length !== 1) throw new UsageError("validate wants NETWORK");
    return { kind: "validate", network: operands[0]!, options };
  }
  if (!(NETWORK_VERBS as readonly string[]).includes(verb)) {
    throw new UsageError(`unknown command ${JSON.stringify(verb)}`);
  }
  if (operands.length !== 2) throw new UsageError(`${verb} wants NETWORK NETNS`);
  if (options.valid !== undefined && verb !== "gc") {
    throw new UsageError("--valid goes with gc only");
  }
  return {
    kind: "network",
    verb: verb as NetworkVerb,
    network: operands[0]!,
    netns: operands[1]!,
    options,
  };
}
