/**
 * Writes lib/_model_kernel/sysctl_defaults.ts from the running kernel: every key under
 * /proc/sys/net of a new network namespace with its value and its mode, the keys of one
 * interface (a veth) and of `lo`. Needs root; makes a throwaway namespace and deletes it.
 *
 *     deno run --allow-all tests/model_kernel/capture_sysctls.ts
 *
 * A new namespace copies `net.ipv4.conf.all.*` and `net.ipv4.conf.default.*` from the host's
 * namespace; those keys are written with the kernel's compiled defaults instead, so the table
 * does not depend on how the capturing machine is set up.
 */
import { fileURLToPath as fromFileUrl } from "node:url";

/** One key as read: its mode bits and its value, or the errno reading it gave. */
interface Entry {
  mode: number;
  value?: string;
  error?: string;
}

const OUTPUT = new URL("../../lib/_model_kernel/sysctl_defaults.ts", import.meta.url);
const IF0 = "dcnimk0";

/**
 * The compiled defaults of `net.ipv4.conf.{all,default}` (the kernel's `ipv4_devconf` and
 * `ipv4_devconf_dflt`): every other key of those tables is 0.
 */
const IPV4_CONF_COMPILED: Readonly<Record<string, string>> = {
  accept_redirects: "1",
  send_redirects: "1",
  secure_redirects: "1",
  shared_media: "1",
  igmpv2_unsolicited_report_interval: "10000",
  igmpv3_unsolicited_report_interval: "1000",
  arp_evict_nocarrier: "1",
};

async function walk(dir: string, out: Record<string, Entry>): Promise<void> {
  for await (const entry of Deno.readDir(dir)) {
    const path = `${dir}/${entry.name}`;
    if (entry.isDirectory) {
      await walk(path, out);
      continue;
    }
    const mode = (await Deno.stat(path)).mode! & 0o777;
    const key = path.slice("/proc/sys/".length).split("/").map((part) => part.replaceAll(".", "/"))
      .join(".");
    try {
      out[key] = { mode, value: (await Deno.readTextFile(path)).replace(/\n$/, "") };
    } catch (error) {
      out[key] = { mode, error: error instanceof Error ? error.name : String(error) };
    }
  }
}

async function run(program: string, args: string[]): Promise<string> {
  const output = await new Deno.Command(program, { args, stderr: "inherit" }).output();
  if (!output.success) throw new Error(`${program} ${args.join(" ")} failed`);
  return new TextDecoder().decode(output.stdout);
}

function sorted<T>(record: Record<string, T>): [string, T][] {
  return Object.entries(record).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
}

function literal(record: Record<string, string>): string {
  return `{\n${
    sorted(record).map(([k, v]) => `  ${JSON.stringify(k)}: ${JSON.stringify(v)},`).join("\n")
  }\n}`;
}

async function capture(): Promise<Record<string, Entry>> {
  const name = `dcni-mk-${crypto.randomUUID().slice(0, 8)}`;
  await run("ip", ["netns", "add", name]);
  try {
    await run("ip", ["-n", name, "link", "add", IF0, "type", "veth", "peer", "name", "dcnimk1"]);
    const script = fromFileUrl(import.meta.url);
    const text = await run("ip", [
      "netns",
      "exec",
      name,
      Deno.execPath(),
      "run",
      "--allow-all",
      script,
      "--walk",
    ]);
    return JSON.parse(text);
  } finally {
    await run("ip", ["netns", "del", name]);
  }
}

function generate(all: Record<string, Entry>, kernel: string): string {
  const namespace: Record<string, string> = {};
  const iface: Record<string, string> = {};
  const loopback: Record<string, string> = {};
  const writeOnly: string[] = [];
  const readOnly: string[] = [];
  const unset: string[] = [];
  const ifaceUnset = new Set<string>();
  const ifaceReadOnly = new Set<string>();
  for (const [key, entry] of sorted(all)) {
    const parts = key.split(".");
    const perInterface = parts.length === 5 && (parts[2] === "conf" || parts[2] === "neigh") &&
      parts[3] !== "all" && parts[3] !== "default";
    const value = entry.value;
    if (perInterface) {
      const leaf = `${parts[1]}.${parts[2]}.${parts[4]}`;
      if (parts[3] === IF0) {
        if (value === undefined) ifaceUnset.add(leaf);
        else iface[leaf] = value;
        if (!(entry.mode & 0o200)) ifaceReadOnly.add(leaf);
      }
      if (parts[3] === "lo" && value !== undefined) loopback[leaf] = value;
      continue;
    }
    if (value === undefined) {
      if (entry.error === "PermissionDenied") writeOnly.push(key);
      else unset.push(key);
      continue;
    }
    if (!(entry.mode & 0o200)) readOnly.push(key);
    namespace[key] = value;
  }
  for (const table of ["all", "default"]) {
    const prefix = `net.ipv4.conf.${table}.`;
    for (const key of Object.keys(namespace)) {
      if (!key.startsWith(prefix)) continue;
      const leaf = key.slice(prefix.length);
      namespace[key] = leaf === "accept_source_route" && table === "default"
        ? "1"
        : leaf === "mc_forwarding"
        ? namespace[key]!
        : IPV4_CONF_COMPILED[leaf] ?? "0";
    }
  }
  namespace["net.ipv4.ip_forward"] = "0";
  // What lo has of its own: the keys where it differs from an ordinary link.
  const loOwn: Record<string, string> = {};
  for (const [leaf, value] of Object.entries(loopback)) {
    if (iface[leaf] !== value) loOwn[leaf] = value;
  }
  // An interface's conf keys come from the namespace's "default" table; only neigh keys are fixed.
  const neigh: Record<string, string> = {};
  for (const [leaf, value] of Object.entries(iface)) {
    if (leaf.includes(".neigh.")) neigh[leaf] = value;
  }
  const confLeaves = [...Object.keys(iface), ...ifaceUnset].filter((leaf) =>
    leaf.includes(".conf.")
  )
    .sort();
  return `/**
 * The sysctls of a new network namespace as Linux ${kernel} has them, written by
 * tests/model_kernel/capture_sysctls.ts (do not edit): \`net.ipv4.conf.{all,default}\` hold the
 * kernel's compiled defaults (a real namespace copies them from the host's), and
 * \`net.ipv4.ip_forward\` is 0.
 *
 * @module
 */

/** The keys of a namespace that belong to no interface, with their values. */
export const NAMESPACE_SYSCTLS: Readonly<Record<string, string>> = ${literal(namespace)};

/** Keys that can be written but not read (EACCES on reading). */
export const WRITE_ONLY_SYSCTLS: readonly string[] = ${JSON.stringify(writeOnly.sort())};

/** Keys that can be read but not written (EACCES on writing). */
export const READ_ONLY_SYSCTLS: readonly string[] = ${JSON.stringify(readOnly.sort())};

/** Keys that have no value until one is written (EIO on reading), such as a stable secret. */
export const UNSET_SYSCTLS: readonly string[] = ${JSON.stringify(unset.sort())};

/** The per-interface conf keys ("ipv4.conf.rp_filter"), valued from the "default" table. */
export const INTERFACE_CONF_KEYS: readonly string[] = ${JSON.stringify(confLeaves)};

/** The per-interface keys that can be read but not written. */
export const INTERFACE_READ_ONLY_KEYS: readonly string[] = ${
    JSON.stringify([...ifaceReadOnly].sort())
  };

/** The per-interface keys that have no value until one is written (EIO on reading). */
export const INTERFACE_UNSET_KEYS: readonly string[] = ${JSON.stringify([...ifaceUnset].sort())};

/** The per-interface neighbour keys ("ipv4.neigh.locktime"), with their fixed values. */
export const INTERFACE_NEIGH_SYSCTLS: Readonly<Record<string, string>> = ${literal(neigh)};

/** What \`lo\` has in place of the ordinary values. */
export const LOOPBACK_SYSCTLS: Readonly<Record<string, string>> = ${literal(loOwn)};
`;
}

if (Deno.args[0] === "--walk") {
  const out: Record<string, Entry> = {};
  await walk("/proc/sys/net", out);
  console.log(JSON.stringify(out));
} else if (import.meta.main) {
  const kernel = (await run("uname", ["-r"])).trim().replace(/-.*/, "");
  const text = generate(await capture(), kernel);
  await Deno.writeTextFile(OUTPUT, text);
  await run(Deno.execPath(), ["fmt", fromFileUrl(OUTPUT)]);
  console.log(`wrote ${fromFileUrl(OUTPUT)}`);
}
