/**
 * Helpers for end-to-end tests that drive real CNI plugins: network namespaces, commands, the
 * libcni-driven cnitool (tests/cnitool), and views of `ip` and host-local state.
 *
 * Everything a test creates is registered on a {@link Cleanup} or wrapped in {@link withNetns}, so
 * namespaces, links and temp dirs go away even when an assertion fails. Tests only send traffic
 * between namespaces they created.
 */

/** Directory of Debian's reference plugins (package containernetworking-plugins). */
export const REFERENCE_PLUGIN_DIR = "/usr/lib/cni";

/** Where Debian's golang-github-appc-cni-dev puts the libcni 1.1.2 source. */
export const LIBCNI_SOURCE_DIR = "/usr/share/gocode/src/github.com/containernetworking/cni";

const REPO_ROOT = new URL("../../", import.meta.url).pathname;

/** What a finished command left behind. */
export interface CommandOutput {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Options for {@link run}. */
export interface RunOptions {
  /** Variables to set; with `clearEnv` they are the whole environment. */
  readonly env?: Record<string, string>;
  /** Start from an empty environment instead of inheriting this process's. */
  readonly clearEnv?: boolean;
  /** Bytes for stdin; without it stdin is /dev/null. */
  readonly stdin?: string;
}

/**
 * Runs a command to completion and captures its exit code, stdout and stderr. Never throws on a
 * non-zero exit.
 */
export async function run(
  cmd: readonly string[],
  options: RunOptions = {},
): Promise<CommandOutput> {
  const [program, ...args] = cmd;
  if (program === undefined) throw new Error("run() needs a command");
  const command = new Deno.Command(program, {
    args,
    stdin: options.stdin === undefined ? "null" : "piped",
    stdout: "piped",
    stderr: "piped",
    clearEnv: options.clearEnv ?? false,
    ...(options.env === undefined ? {} : { env: options.env }),
  });
  const child = command.spawn();
  if (options.stdin !== undefined) {
    const writer = child.stdin.getWriter();
    await writer.write(new TextEncoder().encode(options.stdin));
    await writer.close();
  }
  const { code, stdout, stderr } = await child.output();
  const decoder = new TextDecoder();
  return { code, stdout: decoder.decode(stdout), stderr: decoder.decode(stderr) };
}

/** Like {@link run}, but throws with the command line and stderr when the exit code is not 0. */
export async function runOk(
  cmd: readonly string[],
  options: RunOptions = {},
): Promise<CommandOutput> {
  const output = await run(cmd, options);
  if (output.code !== 0) {
    throw new Error(
      `command failed with exit code ${output.code}: "${cmd.join(" ")}": ${output.stderr.trim()}`,
    );
  }
  return output;
}

/**
 * Undo actions run in reverse order of registration. `run()` runs every one even when some fail,
 * and then throws the first failure.
 */
export class Cleanup {
  #actions: (() => unknown)[] = [];

  /** Registers an action to run at cleanup time. */
  defer(action: () => unknown): void {
    this.#actions.push(action);
  }

  /** Runs and forgets all registered actions, last registered first. */
  async run(): Promise<void> {
    const errors: unknown[] = [];
    for (const action of this.#actions.splice(0).reverse()) {
      try {
        await action();
      } catch (error) {
        errors.push(error);
      }
    }
    if (errors.length > 0) throw errors[0];
  }
}

/** A random lowercase hex string of the given length, for unique names. */
export function randomHex(length: number): string {
  const bytes = crypto.getRandomValues(new Uint8Array(Math.ceil(length / 2)));
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("").slice(0, length);
}

/** A fresh temp directory that `cleanup` removes. */
export async function makeTempDir(cleanup: Cleanup, prefix = "dcni-e2e-"): Promise<string> {
  const dir = await Deno.makeTempDir({ prefix });
  cleanup.defer(() => Deno.remove(dir, { recursive: true }));
  return dir;
}

// ---------------------------------------------------------------------------------------------
// Prerequisites

/** True when `path` is a regular file (following symlinks). */
export function isFile(path: string): boolean {
  try {
    return Deno.statSync(path).isFile;
  } catch {
    return false;
  }
}

/** True when `path` is a directory (following symlinks). */
export function isDirectory(path: string): boolean {
  try {
    return Deno.statSync(path).isDirectory;
  } catch {
    return false;
  }
}

/** True when a program of this name is a file in one of the PATH directories. */
export function onPath(program: string): boolean {
  const path = Deno.env.get("PATH") ?? "/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin";
  return path.split(":").some((dir) => dir !== "" && isFile(`${dir}/${program}`));
}

/** True when this process runs as root. Asks `id -u`: Deno.uid() would need --allow-sys. */
export function isRoot(): boolean {
  try {
    const { success, stdout } = new Deno.Command("id", { args: ["-u"], stdin: "null" })
      .outputSync();
    return success && new TextDecoder().decode(stdout).trim() === "0";
  } catch {
    return false;
  }
}

/** Names, among `checks`, those that fail; an empty list when all pass. */
export function missingPrerequisites(checks: Record<string, () => boolean>): string[] {
  return Object.entries(checks).filter(([, ok]) => !ok()).map(([name]) => name);
}

/** The checks {@link requireE2e} runs, exported so other helpers can extend them. */
export const E2E_CHECKS: Record<string, () => boolean> = {
  "root": isRoot,
  "ip (apt-get install iproute2)": () => onPath("ip"),
  "sysctl (apt-get install procps)": () => onPath("sysctl"),
  [`${REFERENCE_PLUGIN_DIR}/{bridge,host-local,ptp} (apt-get install containernetworking-plugins)`]:
    () => ["bridge", "host-local", "ptp"].every((p) => isFile(`${REFERENCE_PLUGIN_DIR}/${p}`)),
  "go (apt-get install golang-go)": () => onPath("go"),
  [`${LIBCNI_SOURCE_DIR} (apt-get install golang-github-appc-cni-dev)`]: () =>
    isDirectory(`${LIBCNI_SOURCE_DIR}/libcni`),
};

/**
 * Whether end-to-end tests can run here. Returns undefined when root, `ip`, `sysctl`, the
 * reference plugins, go and the libcni source are all present, or else a one-line reason naming
 * what is missing.
 *
 * Test files call it once at the top, print the reason when there is one, and pass
 * `ignore: skip !== undefined` to Deno.test.
 */
export function requireE2e(): string | undefined {
  const missing = missingPrerequisites(E2E_CHECKS);
  return missing.length === 0 ? undefined : `e2e tests skipped, missing: ${missing.join(", ")}`;
}

// ---------------------------------------------------------------------------------------------
// Network namespaces

/** A named network namespace made by {@link createNetns}. */
export interface Netns {
  readonly name: string;
  /** The bind-mount path, suitable for CNI_NETNS. */
  readonly path: string;
}

/** Creates a uniquely named network namespace (`ip netns add dcni-<hex>`). */
export async function createNetns(): Promise<Netns> {
  const name = `dcni-${randomHex(10)}`;
  await runOk(["ip", "netns", "add", name]);
  return { name, path: `/var/run/netns/${name}` };
}

/** Deletes a namespace made by {@link createNetns}; a namespace that is already gone is fine. */
export async function deleteNetns(netns: Netns): Promise<void> {
  const output = await run(["ip", "netns", "delete", netns.name]);
  if (output.code !== 0 && !/No such file|does not exist/i.test(output.stderr)) {
    throw new Error(`cannot delete netns "${netns.name}": ${output.stderr.trim()}`);
  }
}

/** Runs `fn` with a fresh namespace and deletes the namespace afterwards, whatever happens. */
export async function withNetns<T>(fn: (netns: Netns) => Promise<T>): Promise<T> {
  const netns = await createNetns();
  try {
    return await fn(netns);
  } finally {
    await deleteNetns(netns);
  }
}

/** Runs a command inside a namespace (`ip netns exec`). */
export function runInNetns(netns: Netns, cmd: readonly string[]): Promise<CommandOutput> {
  return run(["ip", "netns", "exec", netns.name, ...cmd]);
}

/** The ping to use: `ping` from PATH, else busybox-static's applet; undefined if neither exists. */
export function pingCommand(): string[] | undefined {
  if (onPath("ping")) return ["ping"];
  if (isFile("/bin/busybox")) return ["/bin/busybox", "ping"];
  return undefined;
}

/** Sends one ICMP echo from inside `netns` to `address` and waits up to 2 seconds for the reply. */
export function pingFrom(netns: Netns, address: string): Promise<CommandOutput> {
  const ping = pingCommand();
  if (ping === undefined) throw new Error("no ping: install iputils-ping or busybox-static");
  return runInNetns(netns, [...ping, "-c", "1", "-W", "2", address]);
}

// ---------------------------------------------------------------------------------------------
// Links and addresses (`ip -j`)

/** One address of a link, as `ip -j addr` reports it. */
export interface Address {
  readonly family: string;
  readonly local: string;
  readonly prefixlen: number;
}

/** One link with its addresses. */
export interface Link {
  readonly ifname: string;
  readonly flags: readonly string[];
  readonly address: string | undefined;
  readonly addresses: readonly Address[];
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function toAddress(value: unknown): Address | undefined {
  if (!isRecord(value)) return undefined;
  const { family, local, prefixlen } = value;
  if (typeof family !== "string" || typeof local !== "string" || typeof prefixlen !== "number") {
    return undefined;
  }
  return { family, local, prefixlen };
}

function toLink(value: unknown): Link {
  if (!isRecord(value) || typeof value.ifname !== "string") {
    throw new Error(`unexpected "ip -j" entry: ${JSON.stringify(value)}`);
  }
  const flags = Array.isArray(value.flags)
    ? value.flags.filter((f): f is string => typeof f === "string")
    : [];
  const infos = Array.isArray(value.addr_info) ? value.addr_info : [];
  return {
    ifname: value.ifname,
    flags,
    address: typeof value.address === "string" ? value.address : undefined,
    addresses: infos.map(toAddress).filter((a): a is Address => a !== undefined),
  };
}

async function ipJson(args: readonly string[]): Promise<Link[]> {
  const { stdout } = await runOk(["ip", "-j", ...args]);
  const parsed: unknown = JSON.parse(stdout === "" ? "[]" : stdout);
  if (!Array.isArray(parsed)) throw new Error(`"ip -j ${args.join(" ")}" did not print a list`);
  return parsed.map(toLink);
}

/** Links and their addresses inside a namespace (`ip -n NS -j addr`). */
export function listAddresses(netns: Netns): Promise<Link[]> {
  return ipJson(["-n", netns.name, "addr"]);
}

/** Links inside a namespace, without addresses (`ip -n NS -j link`). */
export function listLinks(netns: Netns): Promise<Link[]> {
  return ipJson(["-n", netns.name, "link"]);
}

/** True when a link of this name exists in the host namespace. */
export async function hostLinkExists(name: string): Promise<boolean> {
  return (await run(["ip", "link", "show", "dev", name])).code === 0;
}

/** Deletes a link in the host namespace; a missing link is fine. */
export async function deleteHostLink(name: string): Promise<void> {
  if (await hostLinkExists(name)) await runOk(["ip", "link", "delete", "dev", name]);
}

// ---------------------------------------------------------------------------------------------
// Test networks

/** An IPv4 /24 for a test network. */
export interface TestSubnet {
  /** e.g. "10.213.7.0/24" */
  readonly subnet: string;
  /** The first host address, which the bridge plugin's gateway takes, e.g. "10.213.7.1". */
  readonly gateway: string;
  /** The first three octets with a trailing dot, e.g. "10.213.7." */
  readonly prefix: string;
}

/**
 * Picks a random 10.200-254.x.0/24 that no host route or address covers yet, so a test network is
 * unlikely to clash with the machine's own.
 */
export async function pickSubnet(): Promise<TestSubnet> {
  const routes = (await runOk(["ip", "-4", "route", "show", "table", "all"])).stdout;
  const addresses = (await runOk(["ip", "-4", "-o", "addr"])).stdout;
  for (let attempt = 0; attempt < 50; attempt++) {
    const [a = 0, b = 0] = crypto.getRandomValues(new Uint8Array(2));
    const prefix = `10.${200 + (a % 55)}.${b}.`;
    if (!routes.includes(prefix) && !addresses.includes(prefix)) {
      return { subnet: `${prefix}0/24`, gateway: `${prefix}1`, prefix };
    }
  }
  throw new Error("cannot find a free 10.200-254.x.0/24 for a test network");
}

/** A bridge name of at most 15 bytes that no other test uses, e.g. "dcni-br1a2b3c4d". */
export function uniqueBridgeName(): string {
  return `dcni-br${randomHex(8)}`;
}

/**
 * Records net.ipv4.ip_forward now and restores it at cleanup. The bridge plugin with `isGateway`
 * switches forwarding on for the whole host.
 */
export async function preserveIpForward(cleanup: Cleanup): Promise<void> {
  // Through sysctl (procps): Deno wants --allow-all for anything under /proc/sys.
  const key = "net.ipv4.ip_forward";
  const read = async () => (await runOk(["sysctl", "-n", key])).stdout.trim();
  const before = await read();
  cleanup.defer(async () => {
    if (await read() !== before) await runOk(["sysctl", "-q", "-w", `${key}=${before}`]);
  });
}

/**
 * Writes a network configuration list as `<dir>/<name>.conflist`, where cnitool and podman look
 * for it by name. Returns the file path.
 */
export async function writeConflist(
  dir: string,
  conflist: { readonly name: string } & Record<string, unknown>,
): Promise<string> {
  const path = `${dir}/${conflist.name}.conflist`;
  await Deno.writeTextFile(path, JSON.stringify(conflist, null, 2) + "\n");
  return path;
}

/**
 * The addresses host-local has reserved for a network: the entries of `<dataDir>/<network>` other
 * than its lock and last-reserved files. Tests pass a temp `dataDir` (the real default is
 * /var/lib/cni/networks) so they never touch the host's reservations. A missing directory means
 * no reservations.
 */
export async function hostLocalReservations(dataDir: string, network: string): Promise<string[]> {
  const reserved: string[] = [];
  try {
    for await (const entry of Deno.readDir(`${dataDir}/${network}`)) {
      if (entry.name !== "lock" && !entry.name.startsWith("last_reserved_ip")) {
        reserved.push(entry.name);
      }
    }
  } catch (error) {
    if (!(error instanceof Deno.errors.NotFound)) throw error;
  }
  return reserved.sort();
}

// ---------------------------------------------------------------------------------------------
// cnitool

let cnitoolPath: Promise<string> | undefined;

/** Builds tests/cnitool with scripts/build_cnitool.sh (once per process) and returns its path. */
export function buildCnitool(): Promise<string> {
  cnitoolPath ??= runOk(["bash", `${REPO_ROOT}scripts/build_cnitool.sh`]).then((o) =>
    o.stdout.trim()
  );
  return cnitoolPath;
}

/** Where cnitool finds plugins and configuration, and how it identifies the attachment. */
export interface CnitoolOptions {
  /** Plugin directories, searched in order (CNI_PATH). */
  readonly cniPath: readonly string[];
  /** Directory holding the *.conflist files (NETCONFPATH). */
  readonly netconfPath: string;
  /** libcni cache directory (CNI_CACHE_DIR); use a temp dir so /var/lib/cni stays untouched. */
  readonly cacheDir: string;
  /** CNI_IFNAME; cnitool defaults to eth0. */
  readonly ifname?: string;
  /** CNI_ARGS as pairs. */
  readonly args?: Readonly<Record<string, string>>;
  /** CNI_CONTAINERID; cnitool derives one from the netns path when absent. */
  readonly containerId?: string;
  /**
   * Run cnitool, and so the plugins, inside this namespace (`nsenter --net`): host-side links
   * such as a bridge, and its ip_forward switch, then stay out of the machine's own namespace.
   */
  readonly runtimeNetns?: Netns;
}

/** What one cnitool run produced. `result` is the parsed ADD result, when stdout held one. */
export interface CnitoolOutput extends CommandOutput {
  readonly result: unknown;
}

/**
 * Runs `cnitool <verb> <network> <netns>` in a clean environment (PATH plus the CNI variables).
 * Never throws on a non-zero exit; look at `code` and `stderr`.
 */
export async function cnitool(
  verb: "add" | "check" | "del",
  target: { readonly network: string; readonly netns: Netns },
  options: CnitoolOptions,
): Promise<CnitoolOutput> {
  const env: Record<string, string> = {
    PATH: Deno.env.get("PATH") ?? "/usr/sbin:/usr/bin:/sbin:/bin",
    CNI_PATH: options.cniPath.join(":"),
    NETCONFPATH: options.netconfPath,
    CNI_CACHE_DIR: options.cacheDir,
  };
  if (options.ifname !== undefined) env.CNI_IFNAME = options.ifname;
  if (options.containerId !== undefined) env.CNI_CONTAINERID = options.containerId;
  if (options.args !== undefined) {
    env.CNI_ARGS = Object.entries(options.args).map(([k, v]) => `${k}=${v}`).join(";");
  }
  const tool = await buildCnitool();
  const inNetns = options.runtimeNetns === undefined
    ? []
    : ["nsenter", `--net=${options.runtimeNetns.path}`];
  const output = await run([...inNetns, tool, verb, target.network, target.netns.path], {
    env,
    clearEnv: true,
  });
  const result: unknown = output.code === 0 && output.stdout.trim() !== ""
    ? JSON.parse(output.stdout)
    : undefined;
  return { ...output, result };
}
