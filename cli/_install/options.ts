/**
 * The installer's command line: one table of options that drives the parser, the help text and
 * the tests that check the Kubernetes manifest against it (tests/deploy_test.ts).
 */
import { parseArgs } from "node:util";
import { UsageError } from "./errors.ts";

/** One long option. */
export interface OptionSpec {
  /** The name after `--`. */
  readonly name: string;
  /** The placeholder of its value; absent for a flag. */
  readonly value?: string;
  /** Whether it may be given more than once. */
  readonly multiple?: boolean;
  /** Its default, as shown in the help. */
  readonly default?: string;
  /** What it does. */
  readonly help: string;
}

const ROOT = new URL("../..", import.meta.url).pathname.replace(/\/$/, "");

/** Default directories and files. */
export const DEFAULTS = {
  binDir: "/opt/cni/bin",
  confDir: "/etc/cni/net.d",
  from: `${ROOT}/bin`,
  manifest: `${ROOT}/plugins.json`,
} as const;

/** Every option the installer takes. */
export const OPTIONS: readonly OptionSpec[] = [
  {
    name: "bin-dir",
    value: "DIR",
    default: DEFAULTS.binDir,
    help: "the plugin directory to install into (the runtime's CNI_PATH)",
  },
  {
    name: "from",
    value: "DIR",
    default: "bin/ of this checkout",
    help: "the directory holding the built plugins, one file per name (make bin)",
  },
  {
    name: "manifest",
    value: "FILE",
    default: "plugins.json of this checkout",
    help: "the plugin list that names the plugins",
  },
  {
    name: "chain",
    value: "PLUGIN",
    help: "install PLUGIN and chain it into the network the runtime loads first",
  },
  {
    name: "conf-dir",
    value: "DIR",
    default: DEFAULTS.confDir,
    help: "the runtime's network configuration directory",
  },
  {
    name: "entry",
    value: "FILE",
    help: "a JSON object with the chained plugin's own keys",
  },
  {
    name: "set",
    value: "KEY=VALUE",
    multiple: true,
    help: "one key of the chained plugin's entry; VALUE is JSON if it parses, else a string",
  },
  {
    name: "uninstall",
    help: "restore the network deno-cni changed and remove the plugins it installed",
  },
  {
    name: "force",
    help: "replace or remove files deno-cni did not write, restore over others' changes",
  },
  { name: "dry-run", help: 'print what would be done ("would ..."), change nothing' },
  { name: "help", help: "print this help" },
];

/** The parsed command line. */
export interface CliOptions {
  readonly binDir: string;
  readonly confDir: string;
  readonly from: string;
  readonly manifest: string;
  readonly chain: string | undefined;
  readonly entryFile: string | undefined;
  readonly set: readonly string[];
  readonly uninstall: boolean;
  readonly force: boolean;
  readonly dryRun: boolean;
  readonly help: boolean;
  /** The plugin names (positional arguments). */
  readonly plugins: readonly string[];
}

/** The help text, generated from {@link OPTIONS}. */
export function usage(): string {
  const rows = OPTIONS.map((o) => {
    const left = `  --${o.name}${o.value ? ` ${o.value}` : ""}`;
    const right = o.help + (o.default ? ` (default: ${o.default})` : "") +
      (o.multiple ? "; repeatable" : "");
    return `${left.padEnd(24)}${right}`;
  });
  return [
    "usage: install-node [options] PLUGIN...",
    "       install-node --uninstall [options] [PLUGIN...]",
    "",
    "Installs deno-cni plugins into a node's plugin directory, and can chain one into the",
    "network the runtime uses. Exit status: 0 done, 1 failed or refused, 2 bad usage.",
    "",
    ...rows,
  ].join("\n");
}

/** Parses the command line; throws a UsageError for anything it does not accept. */
export function parseOptions(args: readonly string[]): CliOptions {
  const config = Object.fromEntries(OPTIONS.map((o) => [
    o.name,
    { type: o.value ? "string" as const : "boolean" as const, multiple: o.multiple ?? false },
  ]));
  let parsed;
  try {
    parsed = parseArgs({
      args: [...args],
      options: config,
      allowPositionals: true,
      strict: true,
      tokens: true,
    });
  } catch (error) {
    throw new UsageError(parseArgsMessage(error));
  }
  const seen = new Set<string>();
  for (const token of parsed.tokens ?? []) {
    if (token.kind !== "option") continue;
    const spec = OPTIONS.find((o) => o.name === token.name);
    if (spec?.multiple) continue;
    if (seen.has(token.name)) throw new UsageError(`Option "--${token.name}" is given twice`);
    seen.add(token.name);
  }
  const values = parsed.values as Record<string, string | boolean | string[] | undefined>;
  const text = (name: string) => values[name] as string | undefined;
  const flag = (name: string) => values[name] === true;
  const options: CliOptions = {
    binDir: text("bin-dir") ?? DEFAULTS.binDir,
    confDir: text("conf-dir") ?? DEFAULTS.confDir,
    from: text("from") ?? DEFAULTS.from,
    manifest: text("manifest") ?? DEFAULTS.manifest,
    chain: text("chain"),
    entryFile: text("entry"),
    set: (values.set as string[] | undefined) ?? [],
    uninstall: flag("uninstall"),
    force: flag("force"),
    dryRun: flag("dry-run"),
    help: flag("help"),
    plugins: parsed.positionals,
  };
  if (options.help) return options;
  for (const name of ["bin-dir", "conf-dir", "from", "manifest", "chain", "entry"]) {
    if (text(name) === "") throw new UsageError(`Option "--${name}" needs a non-empty value`);
  }
  if (options.uninstall) {
    for (const name of ["chain", "entry", "set", "from"]) {
      if (seen.has(name) || (name === "set" && options.set.length > 0)) {
        throw new UsageError(`Option "--${name}" does not go with "--uninstall"`);
      }
    }
  } else {
    if (options.chain === undefined && (options.entryFile !== undefined || options.set.length)) {
      throw new UsageError(`Options "--entry" and "--set" need "--chain"`);
    }
    if (options.plugins.length === 0 && options.chain === undefined) {
      throw new UsageError("Name at least one plugin to install");
    }
  }
  return options;
}

/** node:util's parse error in this module's style: first sentence, double quotes, no period. */
function parseArgsMessage(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  const unknown = /^Unknown option '([^']*)'/.exec(message);
  if (unknown) return `Unknown option "${unknown[1]}"`;
  return (message.split("\n")[0] ?? message).replaceAll("'", '"').replace(/\.$/, "");
}
