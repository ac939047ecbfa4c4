/**
 * The plugin scaffold: `deno task new <name> [--kind chained|interface|ipam]` writes
 *
 *   plugins/<name>.ts                   the plugin, written with definePlugin
 *   tests/<name>_test.ts                its tests, in-process through lib/testing.ts
 *   tests/testdata/<name>/config.json   the tests' configuration
 *   netconf/<name>.conflist             a network that uses it, for libcni (`make demo` style)
 *
 * and adds the plugin to plugins.json with its permissions, so `make bin`, `make test` and
 * `make install` pick it up. Every file passes `deno task ok` as written.
 *
 * Kinds:
 *   chained    adds a route to the container and the previous plugin's result (after bridge)
 *   interface  a veth pair into the container, addresses from a delegated IPAM plugin
 *   ipam       hands out IPv4 addresses from a range, one reservation file per address
 */
import { parseArgs } from "node:util";
import { CNI_VARIABLES } from "../lib/env.ts";
import { TIMEOUT_VARIABLE } from "../lib/host.ts";
import { LOG_FILE_VARIABLE, LOG_LEVEL_VARIABLE } from "../lib/log.ts";

const ROOT = new URL("..", import.meta.url).pathname.replace(/\/$/, "");
const TEMPLATES = `${ROOT}/scripts/templates`;

/** The kinds of plugin the scaffold writes. */
const KINDS = ["chained", "interface", "ipam"] as const;
type Kind = typeof KINDS[number];

const USAGE = `usage: deno task new <name> [--kind chained|interface|ipam]
   or: make new NAME=<name> [KIND=chained|interface|ipam]

  <name>   the plugin's name: its executable, its "type" in a network configuration
           (lower-case letters, digits, "-" and "_"; starting with a letter; at most 30)
  --kind   chained (default): adds a route to the container and the previous plugin's result
           interface: a veth pair into the container, addresses from a delegated IPAM plugin
           ipam: hands out IPv4 addresses from a range, with reservation files`;

/** Names of the reference plugins: a plugin of ours with one of them would shadow it. */
const RESERVED = [
  "bandwidth",
  "bridge",
  "dhcp",
  "dummy",
  "firewall",
  "host-device",
  "host-local",
  "ipvlan",
  "loopback",
  "macvlan",
  "portmap",
  "ptp",
  "sbr",
  "static",
  "tap",
  "tuning",
  "vlan",
  "vrf",
];

/** The variables a plugin reads: the protocol's, and `extra` (the time limit, the logger's). */
function envPermission(...extra: string[]): string {
  return `--allow-env=${[...CNI_VARIABLES, ...extra].join(",")}`;
}

/** The directory of log files, by convention; only a kind that logs to a file may write there. */
const LOG_DIR = "/var/log/cni";

/** What plugins.json gets for each kind: one line about it and its permissions. */
const MANIFEST: Readonly<Record<Kind, { about: string; permissions: string[] }>> = {
  chained: {
    about: "Adds a route to the container and to the previous plugin's result.",
    // The namespace toolkit changes the route in this process, over netlink (FFI): no program
    // runs and no file is read. See the plugin's comment on what allowing FFI means.
    permissions: [envPermission(TIMEOUT_VARIABLE, LOG_LEVEL_VARIABLE), "--allow-ffi"],
  },
  interface: {
    about: "A veth pair into the container; addresses from the delegated IPAM plugin.",
    // The veth pair over netlink (FFI); --allow-run and --allow-read without a list for the IPAM
    // plugin, which is found in CNI_PATH at run time, and a Deno permission cannot name "any
    // file in CNI_PATH". Its log file is in LOG_DIR.
    permissions: [
      envPermission(TIMEOUT_VARIABLE, LOG_LEVEL_VARIABLE, LOG_FILE_VARIABLE),
      "--allow-ffi",
      "--allow-run",
      "--allow-read",
      `--allow-write=${LOG_DIR}`,
    ],
  },
  ipam: {
    about: "Hands out IPv4 addresses from a range, one reservation file per address.",
    // It runs no program; it reads and writes its reservations under /var/lib/cni only.
    permissions: [
      envPermission(LOG_LEVEL_VARIABLE),
      "--allow-read=/var/lib/cni",
      "--allow-write=/var/lib/cni",
    ],
  },
};

/** The files a kind writes: template file name, target path. */
function filesOf(kind: Kind, name: string): [string, string][] {
  return [
    [`${kind}.plugin.ts.tmpl`, `plugins/${name}.ts`],
    [`${kind}.test.ts.tmpl`, `tests/${name}_test.ts`],
    [`${kind}.fixture.json.tmpl`, `tests/testdata/${name}/config.json`],
    [`${kind}.conflist.tmpl`, `netconf/${name}.conflist`],
  ];
}

/** A small hash of the name, so each plugin's walkthrough network gets its own subnet. */
function nameHash(name: string): number {
  let hash = 7;
  for (const byte of new TextEncoder().encode(name)) hash = (hash * 31 + byte) % 100_003;
  return hash;
}

/** The values the templates' `{{key}}` placeholders stand for. */
function placeholders(name: string): Record<string, string> {
  const octet = 100 + (nameHash(name) % 100);
  return {
    name,
    // Linux interface names have at most 15 bytes.
    bridge: `cni-${name}`.slice(0, 15),
    subnet: `10.${octet}.0.0/16`,
    gateway: `10.${octet}.0.1`,
    range: `10.${octet}.0.0/24`,
  };
}

function fill(template: string, values: Record<string, string>): string {
  return template.replace(/\{\{(\w+)\}\}/g, (match, key: string) => {
    const value = values[key];
    if (value === undefined) throw new Error(`template placeholder ${match} has no value`);
    return value;
  });
}

function exists(path: string): boolean {
  try {
    Deno.lstatSync(path);
    return true;
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return false;
    throw error;
  }
}

/** Why `name` cannot be used, or undefined. */
function nameProblem(name: string, manifest: Record<string, unknown>): string | undefined {
  if (!/^[a-z][a-z0-9_-]*$/.test(name) || name.length > 30) {
    return `invalid plugin name "${name}": use lower-case letters, digits, "-" and "_", ` +
      "starting with a letter, at most 30 characters";
  }
  if (RESERVED.includes(name)) {
    return `"${name}" is the name of a reference plugin: pick another, so neither shadows ` +
      "the other";
  }
  if (Object.hasOwn(manifest, name)) return `plugins.json already has a plugin "${name}"`;
  return undefined;
}

function main(args: string[]): number {
  let parsed;
  try {
    parsed = parseArgs({
      args,
      allowPositionals: true,
      options: {
        kind: { type: "string", default: "chained" },
        help: { type: "boolean", short: "h", default: false },
      },
    });
  } catch (error) {
    console.error(`new: ${error instanceof Error ? error.message : error}\n${USAGE}`);
    return 2;
  }
  if (parsed.values.help) {
    console.log(USAGE);
    return 0;
  }
  const kind = parsed.values.kind;
  if (!(KINDS as readonly string[]).includes(kind)) {
    console.error(`new: unknown kind "${kind}"\n${USAGE}`);
    return 2;
  }
  if (parsed.positionals.length !== 1) {
    console.error(`new: give exactly one plugin name\n${USAGE}`);
    return 2;
  }
  const name = parsed.positionals[0]!;
  const manifestPath = `${ROOT}/plugins.json`;
  const manifest: Record<string, unknown> = JSON.parse(Deno.readTextFileSync(manifestPath));
  const problem = nameProblem(name, manifest);
  if (problem !== undefined) {
    console.error(`new: ${problem}`);
    return 2;
  }
  const files = filesOf(kind as Kind, name);
  const taken = files.map(([, target]) => target).filter((target) => exists(`${ROOT}/${target}`));
  if (taken.length > 0) {
    console.error(`new: would overwrite ${taken.join(", ")}: remove them or pick another name`);
    return 2;
  }

  const values = placeholders(name);
  for (const [template, target] of files) {
    const text = fill(Deno.readTextFileSync(`${TEMPLATES}/${template}`), values);
    const path = `${ROOT}/${target}`;
    Deno.mkdirSync(path.slice(0, path.lastIndexOf("/")), { recursive: true });
    Deno.writeTextFileSync(path, text, { createNew: true });
  }
  manifest[name] = { entry: `plugins/${name}.ts`, ...MANIFEST[kind as Kind] };
  const temporary = `${manifestPath}.tmp`;
  Deno.writeTextFileSync(temporary, JSON.stringify(manifest, null, 2) + "\n");
  Deno.renameSync(temporary, manifestPath);

  console.log(`new: wrote a ${kind} plugin "${name}":`);
  for (const [, target] of files) console.log(`  ${target}`);
  console.log(`  plugins.json: "${name}" with its permissions

next:
  # its tests, in-process, no root needed
  $(make -s deno) test --allow-read --allow-write --allow-env --allow-run tests/${name}_test.ts
  make test                        # every test of the project
  make bin                         # bin/${name} and the other plugins
  sudo make demo NETWORK=${name}   # netconf/${name}.conflist through libcni`);
  return 0;
}

Deno.exit(main(Deno.args));
