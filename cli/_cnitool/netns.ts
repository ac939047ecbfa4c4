/**
 * Throwaway network namespaces for cnitool: `ip netns add NAME` makes /var/run/netns/NAME, and
 * `ip netns del NAME` removes it. The name goes to `ip` as one argument, never through a shell.
 *
 * @module
 */
import type { Host } from "../../lib/host.ts";

/** Where `ip netns` keeps named namespaces (on Debian /var/run is a link to /run). */
const NETNS_DIRS = ["/var/run/netns/", "/run/netns/"];

const NAME = /^[A-Za-z0-9_][A-Za-z0-9_.-]*$/;

/**
 * The namespace name that NETNS stands for: NAME itself, or the last element of
 * /var/run/netns/NAME or /run/netns/NAME.
 *
 * @throws {Error} for any other path, or a name `ip netns` would not take
 */
export function netnsName(netns: string): string {
  const dir = NETNS_DIRS.find((d) => netns.startsWith(d));
  const name = dir === undefined ? netns : netns.slice(dir.length);
  if (!NAME.test(name)) {
    throw new Error(
      `--netns-new wants a namespace name or /var/run/netns/NAME, not ${JSON.stringify(netns)}`,
    );
  }
  return name;
}

async function ip(host: Host, args: string[]): Promise<void> {
  const output = await host.run("ip", args, { timeoutMs: 30_000 });
  if (output.code !== 0 || output.signal !== undefined) {
    const reason = output.stderr.trim() || `exit status ${output.code}`;
    throw new Error(`ip ${args.join(" ")} failed: ${reason}`);
  }
}

/** Creates the network namespace /var/run/netns/NAME. */
export async function createNetns(host: Host, name: string): Promise<void> {
  await ip(host, ["netns", "add", name]);
}

/** Deletes the network namespace /var/run/netns/NAME. */
export async function deleteNetns(host: Host, name: string): Promise<void> {
  await ip(host, ["netns", "del", name]);
}
