/**
 * Where the plugins run: a throwaway network namespace for the container, and a host side that is
 * either a namespace the user names (`--host-netns`) or a second throwaway one. Both throwaway
 * namespaces are removed afterwards, with every link in them. The checks see the sandbox only
 * through {@link Sandbox}, so tests can supply a fake one.
 *
 * @module
 */
import type { Host } from "../../lib/protocol.ts";
import { errorText } from "../../lib/runtime/mod.ts";
import type { Cleanup } from "./cleanup.ts";
import { pluginHost } from "./plugin_host.ts";

/** What the checks need from the place the plugins run in. */
export interface Sandbox {
  /** The container's namespace, as CNI_NETNS. */
  readonly netns: string;
  /** Runs the plugins (on the host side). */
  readonly host: Host;
  /** The names of the links in the container's namespace, the loopback included. */
  links(): Promise<string[]>;
}

/** Makes a sandbox and registers its removal on `cleanup`. */
export type SandboxFactory = (cleanup: Cleanup) => Promise<Sandbox>;

/** Where `ip netns` keeps named namespaces. */
export const NETNS_DIR = "/var/run/netns";

const SYSTEM_DIRS = ["/usr/sbin", "/usr/bin", "/sbin", "/bin"];

const NAME = /^[A-Za-z0-9_][A-Za-z0-9_.-]*$/;

const IP_TIMEOUT_MS = 30_000;

/** Options of {@link namespaceSandbox}. */
export interface NamespaceOptions {
  /** Runs `ip` and the plugins (through nsenter). */
  readonly host: Host;
  /** The environment the plugins start from (CNI_* variables are dropped). */
  readonly baseEnv: Readonly<Record<string, string>>;
  /** An existing namespace for the host side (a name in /var/run/netns, or a path). */
  readonly hostNetns?: string;
  /** A prefix for the names of the namespaces made (a random suffix is added). */
  readonly prefix?: string;
}

/** The absolute path of a system program, or an error naming the package. */
async function systemProgram(host: Host, name: string, pkg: string): Promise<string> {
  for (const dir of SYSTEM_DIRS) {
    if (await host.isFile(`${dir}/${name}`)) return `${dir}/${name}`;
  }
  throw new Error(`conform needs "${name}" (apt-get install ${pkg})`);
}

function randomHex(length: number): string {
  const bytes = crypto.getRandomValues(new Uint8Array(Math.ceil(length / 2)));
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("").slice(0, length);
}

/** The path of a namespace given as a name or a path. */
export function netnsPath(netns: string): string {
  if (netns.startsWith("/")) return netns;
  if (!NAME.test(netns)) throw new Error(`${JSON.stringify(netns)} is not a namespace name`);
  return `${NETNS_DIR}/${netns}`;
}

async function ipOk(host: Host, ip: string, args: string[]): Promise<string> {
  const output = await host.run(ip, args, { timeoutMs: IP_TIMEOUT_MS });
  if (output.code !== 0 || output.signal !== undefined || output.timedOut) {
    const reason = output.stderr.trim() || `exit status ${output.code}`;
    throw new Error(`ip ${args.join(" ")} failed: ${reason}`);
  }
  return output.stdout;
}

/** The link names in `ip -j link` output. */
export function linkNames(json: string): string[] {
  const parsed: unknown = JSON.parse(json.trim() === "" ? "[]" : json);
  if (!Array.isArray(parsed)) throw new Error("ip -j link did not print a list");
  return parsed.map((link) => {
    const name = (link as { ifname?: unknown })?.ifname;
    if (typeof name !== "string") throw new Error(`ip -j link printed ${JSON.stringify(link)}`);
    return name;
  });
}

/** Creates `name`, registering its removal; returns its path. */
async function throwawayNamespace(
  host: Host,
  ip: string,
  name: string,
  cleanup: Cleanup,
): Promise<string> {
  try {
    await ipOk(host, ip, ["netns", "add", name]);
  } catch (error) {
    throw new Error(`cannot make a network namespace (conform needs root): ${errorText(error)}`);
  }
  cleanup.defer(() => ipOk(host, ip, ["netns", "delete", name]));
  return `${NETNS_DIR}/${name}`;
}

/**
 * The real sandbox: `ip netns add` for the container (and for the host side unless
 * `hostNetns` names one), the plugins run through nsenter in the host side, links listed with
 * `ip -j link` in the container's namespace. Needs root.
 */
export function namespaceSandbox(options: NamespaceOptions): SandboxFactory {
  return async (cleanup) => {
    const { host } = options;
    const ip = await systemProgram(host, "ip", "iproute2");
    const nsenter = await systemProgram(host, "nsenter", "util-linux");
    const prefix = options.prefix ?? "conform";
    const id = randomHex(8);
    let hostSide: string;
    if (options.hostNetns !== undefined) {
      hostSide = netnsPath(options.hostNetns);
      try {
        await Deno.stat(hostSide);
      } catch {
        throw new Error(`the host-side namespace ${hostSide} does not exist`);
      }
    } else {
      const name = `${prefix}-${id}-host`;
      hostSide = await throwawayNamespace(host, ip, name, cleanup);
      await ipOk(host, ip, ["-n", name, "link", "set", "lo", "up"]);
    }
    const container = `${prefix}-${id}`;
    const netns = await throwawayNamespace(host, ip, container, cleanup);
    return {
      netns,
      host: pluginHost(host, { baseEnv: options.baseEnv, netns: hostSide, nsenter }),
      links: async () => linkNames(await ipOk(host, ip, ["-n", container, "-j", "link", "show"])),
    };
  };
}
