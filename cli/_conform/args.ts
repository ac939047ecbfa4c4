/**
 * The command line of conform, read with `node:util`'s parseArgs.
 *
 * @module
 */
import { parseArgs } from "node:util";
import { interfaceNameProblem } from "../../lib/protocol.ts";
import type { TargetSpec } from "./target.ts";

/** What the command line asks for. */
export type Command =
  | { readonly kind: "help" }
  | { readonly kind: "run"; readonly target: TargetSpec; readonly options: RunOptions };

/** The options of a run. */
export interface RunOptions {
  /** CNI_IFNAME of the attachment. */
  readonly ifName: string;
  /** An existing namespace for the host side; default a throwaway one. */
  readonly hostNetns?: string;
  /** Where to write the report as JSON ("-": stdout, instead of the lines). */
  readonly json?: string;
  /** The time limit of one plugin run. */
  readonly timeoutMs: number;
  readonly verbose: boolean;
}

/** The time limit of one plugin run when `--timeout` is not given: 60 s. */
export const DEFAULT_TIMEOUT_MS = 60_000;

/** The longest time limit a timer can hold: 2^31 - 1 milliseconds, about 24.8 days. */
export const MAX_TIMEOUT_MS = 2 ** 31 - 1;

/** A command line that cannot be run; the usage follows the message. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "UsageError";
  }
}

/** The help text. */
export const USAGE = `Usage: conform [options] NETWORK
       conform [options] --config FILE [--plugin PATH_OR_NAME]

Checks that the plugins of a network follow the CNI spec, in a throwaway network namespace: VERSION,
ADD and its result, CHECK, STATUS and GC (spec 1.1.0), DEL (again, and of an unknown attachment),
the links left after DEL, error answers to a bad configuration and to missing variables, and that
stdout holds exactly one JSON document whenever the plugin answers. Prints one line per check and a
summary; exits 1 when a check fails, 2 when conform itself cannot run. Needs root.

  NETWORK                 the network named NETWORK in NETCONFPATH (as cnitool finds it)
      --config FILE       a plugin configuration (.conf/.json) or a configuration list instead
      --plugin P          with a plugin configuration: the plugin to run, a name looked up in
                          CNI_PATH or a path to the executable, run from there without its
                          directory joining CNI_PATH (default: the configuration's type)

Options:
  -i, --ifname NAME       the interface name in the container (default: eth0)
      --host-netns NAME   run the plugins in this existing namespace (a name in /var/run/netns or
                          a path), e.g. one holding the master link of macvlan; default: a
                          throwaway namespace, so the machine's own network is never touched
      --json FILE         also write the report as JSON to FILE ("-": to stdout, instead of lines)
      --timeout SECONDS   the time limit of each plugin run (default 60, at most 2147483)
  -v, --verbose           show every plugin run (variables, stdin, stdout, stderr) on stderr
  -h, --help              this text

Environment:
  CNI_PATH      the plugin directories, ':'-separated (required, except with --plugin PATH,
                where the plugin gets an empty directory: it finds no delegate)
  NETCONFPATH   the configuration directory (default /etc/cni/net.d)
  CAP_ARGS      capability arguments, a JSON object, for plugins whose capabilities ask

host-local IPAM without a "dataDir" keeps its reservations in conform's temporary directory; the
result cache is there too. Both namespaces and the directory are removed at the end, and what a
plugin leaves running when its run ends is killed. SIGINT or SIGTERM kills the running plugin and
removes everything too (exit status 130); a second signal waits for that.
`;

/**
 * Reads the command line.
 *
 * @throws {UsageError} for unknown options or a wrong combination of operands
 */
export function parseCommandLine(argv: readonly string[]): Command {
  let parsed;
  try {
    parsed = parseArgs({
      args: [...argv],
      allowPositionals: true,
      strict: true,
      options: {
        config: { type: "string" },
        plugin: { type: "string" },
        ifname: { type: "string", short: "i" },
        "host-netns": { type: "string" },
        json: { type: "string" },
        timeout: { type: "string" },
        verbose: { type: "boolean", short: "v" },
        help: { type: "boolean", short: "h" },
      },
    });
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  const { values, positionals } = parsed;
  if (values.help) return { kind: "help" };
  let timeoutMs = DEFAULT_TIMEOUT_MS;
  if (values.timeout !== undefined) {
    const seconds = Number(values.timeout);
    if (!/^\d+(\.\d+)?$/.test(values.timeout) || !(seconds > 0)) {
      throw new UsageError(
        `--timeout wants a number of seconds, not ${JSON.stringify(values.timeout)}`,
      );
    }
    timeoutMs = Math.round(seconds * 1000);
    if (timeoutMs > MAX_TIMEOUT_MS) {
      throw new UsageError(
        `--timeout ${values.timeout} is longer than the longest time limit, ${
          Math.floor(MAX_TIMEOUT_MS / 1000)
        } seconds`,
      );
    }
  }
  const ifName = values.ifname ?? "eth0";
  if (ifName === "" || interfaceNameProblem(ifName) !== undefined) {
    throw new UsageError(`${JSON.stringify(ifName)} is not an interface name`);
  }
  const options: RunOptions = {
    ifName,
    timeoutMs,
    verbose: values.verbose ?? false,
    ...(values["host-netns"] === undefined ? {} : { hostNetns: values["host-netns"] }),
    ...(values.json === undefined ? {} : { json: values.json }),
  };
  let target: TargetSpec;
  if (values.config !== undefined) {
    if (positionals.length > 0) throw new UsageError("give NETWORK or --config, not both");
    target = {
      kind: "config",
      config: values.config,
      ...(values.plugin === undefined ? {} : { plugin: values.plugin }),
    };
  } else {
    if (values.plugin !== undefined) throw new UsageError("--plugin goes with --config");
    if (positionals.length !== 1) throw new UsageError("give one NETWORK, or --config FILE");
    target = { kind: "network", network: positionals[0]! };
  }
  return { kind: "run", target, options };
}
