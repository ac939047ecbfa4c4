/**
 * Namespaces: making one (with `lo`, index 1, down, and the kernel's sysctls), finding one by
 * path, and deleting one.
 *
 * @module
 */
import { NamespaceMissingError, notANamespaceError } from "../net_errors.ts";
import { emptyNamespace, registerLink } from "./links.ts";
import { forgetNamespace } from "./nsids.ts";
import type { FileKind, KernelState, NamespaceState } from "./state.ts";
import { initNamespaceSysctls } from "./sysctl_store.ts";

/** What each kind of file is, in the words of the toolkit's refusal. */
export const FILE_KINDS: Readonly<Record<FileKind, string>> = {
  fifo: "a FIFO",
  file: "a regular file",
  directory: "a directory",
  socket: "a socket",
  device: "a device",
  symlink: "a symlink",
};

/**
 * What a new namespace takes from the initial one: its IPv4 "all" and "default" settings and
 * ip_forward, as the kernel copies them (net.core.devconf_inherit_init_net is 0 by default), so
 * a namespace made on a node that forwards starts forwarding too.
 */
function inheritIpv4Settings(ns: NamespaceState, host: NamespaceState | undefined): void {
  if (host === undefined) return;
  for (const [key, value] of host.sysctls) {
    const copied = key === "net.ipv4.ip_forward" || key.startsWith("net.ipv4.conf.all.") ||
      key.startsWith("net.ipv4.conf.default.");
    if (copied && ns.sysctls.has(key)) ns.sysctls.set(key, value);
  }
}

/** A new namespace as the kernel makes it: only `lo`. */
export function createNamespace(kernel: KernelState, path: string | undefined): NamespaceState {
  const ns: NamespaceState = {
    kernel,
    path,
    links: new Map(),
    nextIndex: 1,
    nsids: new Map(),
    routes: [],
    sysctls: new Map(),
    dead: false,
  };
  initNamespaceSysctls(ns);
  if (path !== undefined) inheritIpv4Settings(ns, kernel.host);
  registerLink(ns, { kind: "loopback", name: "lo", mac: "00:00:00:00:00:00" });
  return ns;
}

/**
 * The namespace a path names (the host's for undefined).
 *
 * @throws {NamespaceMissingError} when nothing is at the path
 * @throws {CniError} code 4 when a file that is not a namespace is
 */
export function resolveNamespace(kernel: KernelState, path: string | undefined): NamespaceState {
  if (path === undefined) return kernel.host;
  const found = kernel.paths.get(path);
  if (found === undefined || (typeof found !== "string" && found.dead)) {
    throw new NamespaceMissingError(path, "No such file or directory");
  }
  if (typeof found === "string") throw notANamespaceError(path, FILE_KINDS[found]);
  return found;
}

/**
 * Deletes a namespace: its links go (a veth whose peer was in it loses its peer, and dies), its
 * physical devices go back to the host's namespace, and every path naming it is removed.
 */
export function deleteNamespace(kernel: KernelState, ns: NamespaceState): void {
  emptyNamespace(ns);
  ns.dead = true;
  ns.routes = [];
  forgetNamespace(kernel, ns);
  for (const [path, value] of kernel.paths) if (value === ns) kernel.paths.delete(path);
}
