/**
 * Helpers for the end-to-end tests of deno-tuning against Debian's Go `tuning`: a pair of
 * throwaway namespaces, one per implementation, joined by veth pairs whose two ends carry the
 * same name and MAC (so both start alike); running either plugin as a real process with a clean
 * environment; and what a step left behind in each (the links' settings, the sysctls of a fixed
 * list, the backup files with their modes), and copying one side's state to the other.
 */
import { runPlugin } from "../_process.ts";
import { type Cleanup, createNetns, deleteNetns, type Netns, run, runOk } from "./_netns.ts";

/** Debian's Go tuning (containernetworking-plugins 1.1.1). */
export const GO_TUNING = "/usr/lib/cni/tuning";

/** The links each namespace of a pair has, with the MAC both ends of each get. */
export const PAIR_LINKS: Readonly<Record<string, string>> = {
  eth0: "0a:58:0a:f1:00:05",
  net1: "0a:58:0a:f1:00:06",
};

/** The sysctl files whose values are compared after each step. */
export const WATCHED_SYSCTLS: readonly string[] = [
  "net/core/somaxconn",
  "net/ipv4/ip_forward",
  "net/ipv4/tcp_keepalive_time",
  "net/ipv4/tcp_rmem",
  "net/ipv4/conf/all/rp_filter",
  "net/ipv4/conf/all/forwarding",
  "net/ipv4/conf/default/accept_redirects",
  ...Object.keys(PAIR_LINKS).flatMap((name) => [
    `net/ipv4/conf/${name}/rp_filter`,
    `net/ipv4/conf/${name}/accept_redirects`,
    `net/ipv4/conf/${name}/forwarding`,
  ]),
];

/** One implementation's side: its namespace and backup directory. */
export interface Side {
  readonly name: "go" | "deno";
  readonly netns: Netns;
  readonly dataDir: string;
  /** False once the test deleted the namespace. */
  alive: boolean;
}

/** Two namespaces, one per implementation, with the links of {@link PAIR_LINKS}. */
export async function createPair(cleanup: Cleanup, dir: string): Promise<[Side, Side]> {
  const sides: Side[] = [];
  for (const name of ["go", "deno"] as const) {
    const netns = await createNetns();
    cleanup.defer(() => deleteNetns(netns));
    const dataDir = `${dir}/${name}-data`;
    await Deno.mkdir(dataDir, { recursive: true });
    sides.push({ name, netns, dataDir, alive: true });
  }
  const [go, deno] = sides as [Side, Side];
  for (const [link, mac] of Object.entries(PAIR_LINKS)) {
    // One veth pair per link name, an end in each namespace: nothing in the machine's own.
    await runOk([
      "ip",
      "link",
      "add",
      link,
      "netns",
      go.netns.name,
      "address",
      mac,
      "type",
      "veth",
      "peer",
      link,
      "netns",
      deno.netns.name,
      "address",
      mac,
    ]);
  }
  return [go, deno];
}

/** One plugin run's environment and stdin. */
export interface PluginInput {
  readonly env: Readonly<Record<string, string>>;
  readonly stdin: string;
}

/** What a run answered. */
export interface Answer {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
  /** stdout parsed; undefined when empty or not JSON. */
  readonly json?: unknown;
}

function parse(stdout: string): unknown {
  try {
    return stdout === "" ? undefined : JSON.parse(stdout);
  } catch {
    return undefined;
  }
}

/** Runs Debian's Go tuning with exactly `env` as its environment. */
export async function runGo(input: PluginInput): Promise<Answer> {
  const output = await run([GO_TUNING], {
    env: { ...input.env },
    clearEnv: true,
    stdin: input.stdin,
  });
  return { ...output, json: parse(output.stdout) };
}

/** Runs deno-tuning's bundle with its plugins.json permissions and exactly `env`. */
export async function runDenoTuning(input: PluginInput): Promise<Answer> {
  const output = await runPlugin("deno-tuning", { env: input.env, stdin: input.stdin });
  return { code: output.code, stdout: output.stdout, stderr: output.stderr, json: output.json };
}

/** A link's settings that tuning changes, as `ip -d -j link show` reports them. */
export interface LinkState {
  address: string;
  mtu: number;
  txqlen: number;
  promiscuity: number;
  allmulti: number;
  flags: string[];
}

/** What a side looks like after a step. */
export interface SideState {
  links: Record<string, LinkState>;
  sysctls: Record<string, string>;
  /** The backup files: name, text and mode. */
  backups: Record<string, { text: string; mode: number }>;
}

async function linkStates(side: Side): Promise<Record<string, LinkState>> {
  if (!side.alive) return {};
  const output = await runOk(["ip", "-n", side.netns.name, "-d", "-j", "link", "show"]);
  const links: Record<string, LinkState> = {};
  for (const link of JSON.parse(output.stdout) as Record<string, unknown>[]) {
    if (link.ifname === "lo") continue;
    links[String(link.ifname)] = {
      address: String(link.address),
      mtu: Number(link.mtu),
      txqlen: Number(link.txqlen),
      promiscuity: Number(link.promiscuity),
      allmulti: Number(link.allmulti),
      flags: (link.flags as string[]).filter((f) => ["PROMISC", "ALLMULTI", "UP"].includes(f)),
    };
  }
  return links;
}

async function sysctlValues(side: Side): Promise<Record<string, string>> {
  if (!side.alive) return {};
  const files = WATCHED_SYSCTLS.map((key) => `/proc/sys/${key}`);
  // grep names each file it could read; a file that is missing (a link that is gone) is left out.
  const output = await run(["ip", "netns", "exec", side.netns.name, "grep", "-H", "", ...files]);
  const values: Record<string, string> = {};
  for (const line of output.stdout.split("\n")) {
    const colon = line.indexOf(":");
    if (colon > 0) values[line.slice("/proc/sys/".length, colon)] = line.slice(colon + 1);
  }
  return values;
}

async function backupFiles(side: Side): Promise<SideState["backups"]> {
  const backups: SideState["backups"] = {};
  for await (const entry of Deno.readDir(side.dataDir)) {
    const path = `${side.dataDir}/${entry.name}`;
    backups[entry.name] = {
      text: await Deno.readTextFile(path),
      mode: (await Deno.stat(path)).mode! & 0o7777,
    };
  }
  return backups;
}

/** The state of a side. */
export async function stateOf(side: Side): Promise<SideState> {
  const [links, sysctls, backups] = await Promise.all([
    linkStates(side),
    sysctlValues(side),
    backupFiles(side),
  ]);
  return { links, sysctls, backups };
}

/** Makes `to` look as `state` (taken of the other side) says: links, sysctls, backup files. */
export async function copyState(state: SideState, to: Side): Promise<void> {
  if (to.alive) {
    const current = await stateOf(to);
    for (const [name, link] of Object.entries(state.links)) {
      await runOk([
        "ip",
        "-n",
        to.netns.name,
        "link",
        "set",
        "dev",
        name,
        "address",
        link.address,
        "mtu",
        String(link.mtu),
        "txqueuelen",
        String(link.txqlen),
        "promisc",
        link.flags.includes("PROMISC") ? "on" : "off",
        "allmulticast",
        link.flags.includes("ALLMULTI") ? "on" : "off",
      ]);
    }
    for (const [key, value] of Object.entries(state.sysctls)) {
      if (current.sysctls[key] === value) continue;
      await runOk(["ip", "netns", "exec", to.netns.name, "tee", `/proc/sys/${key}`], {
        stdin: value,
      });
    }
  }
  for await (const entry of Deno.readDir(to.dataDir)) {
    if (!(entry.name in state.backups)) await Deno.remove(`${to.dataDir}/${entry.name}`);
  }
  for (const [name, { text, mode }] of Object.entries(state.backups)) {
    const path = `${to.dataDir}/${name}`;
    await Deno.writeTextFile(path, text);
    await Deno.chmod(path, mode);
  }
}

/** Deletes a side's namespace, as a runtime's teardown does before a late DEL. */
export async function deleteSideNetns(side: Side): Promise<void> {
  await deleteNetns(side.netns);
  side.alive = false;
}

/** Deletes a link of both sides (one veth pair: deleting one end deletes both). */
export async function deletePairLink(go: Side, name: string): Promise<void> {
  if (go.alive) await run(["ip", "-n", go.netns.name, "link", "del", name]);
}
