/**
 * The command line of cnitool: verbs, operands and options, read with `node:util`'s parseArgs.
 *
 * @module
 */
import { parseArgs } from "node:util";

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

Options:
  -i, --ifname NAME       the interface name in the namespace (default: CNI_IFNAME, else eth0)
  -v, --verbose           show each plugin's stdin, stdout, stderr, exit status and time on stderr
      --netns-new         create NETNS (/var/run/netns/NAME, or NAME alone) first and delete it
                          at the end; after a successful add, DEL runs before it goes
      --valid ID/IFNAME   gc: an attachment still in use (repeatable); with none, every cached
                          attachment of the network is deleted, as Go's cnitool does
      --timeout SECONDS   the time limit of each plugin run (default 300)
  -h, --help              this text

Environment:
  CNI_PATH         the plugin directories, ':'-separated (required); relative ones are taken
                   from the working directory
  NETCONFPATH      the configuration directory (default /etc/cni/net.d)
  CNI_IFNAME       the interface name (default eth0)
  CNI_ARGS         K=V;K=V passed to the plugins
  CAP_ARGS         capability arguments, a JSON object (runtimeConfig for plugins that ask)
  CNI_CACHE_DIR    the result cache directory (default /var/lib/cni)
  CNI_CONTAINERID  the container ID (default: cnitool- and the first 20 hex digits of the
                   SHA-512 of the absolute NETNS path, as Go's cnitool makes it)

Exit status 0 on success, 1 on failure. A failure prints the error on stderr, and "code=N" on a
second line when a plugin's error object (or a check's error code) is behind it.
`;

function parseValid(value: string): { containerId: string; ifName: string } {
  const slash = value.indexOf("/");
  if (slash <= 0 || slash === value.length - 1 || value.indexOf("/", slash + 1) >= 0) {
    throw new UsageError(`--valid wants CONTAINERID/IFNAME, not ${JSON.stringify(value)}`);
  }
  return { containerId: value.slice(0, slash), ifName: value.slice(slash + 1) };
}

/**
 * Reads the command line.
 *
 * @throws {UsageError} for unknown options, verbs or a wrong number of operands
 */
export function parseCommandLine(argv: readonly string[]): Command {
  let parsed;
  try {
    parsed = parseArgs({
      args: [...argv],
      allowPositionals: true,
      strict: true,
      options: {
        ifname: { type: "string", short: "i" },
        verbose: { type: "boolean", short: "v" },
        "netns-new": { type: "boolean" },
        valid: { type: "string", multiple: true },
        timeout: { type: "string" },
        help: { type: "boolean", short: "h" },
      },
    });
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  const { values, positionals } = parsed;
  if (values.help) return { kind: "help" };
  let timeoutMs: number | undefined;
  if (values.timeout !== undefined) {
    const seconds = Number(values.timeout);
    if (!/^\d+(\.\d+)?$/.test(values.timeout) || !(seconds > 0)) {
      throw new UsageError(
        `--timeout wants a number of seconds, not ${JSON.stringify(values.timeout)}`,
      );
    }
    timeoutMs = Math.round(seconds * 1000);
  }
  const options: CommandOptions = {
    verbose: values.verbose ?? false,
    netnsNew: values["netns-new"] ?? false,
    ...(values.ifname === undefined ? {} : { ifName: values.ifname }),
    ...(values.valid === undefined ? {} : { valid: values.valid.map(parseValid) }),
    ...(timeoutMs === undefined ? {} : { timeoutMs }),
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
