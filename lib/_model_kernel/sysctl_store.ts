/**
 * Where sysctl values live and the settings the kernel's rules read: a namespace's own keys and
 * each link's per-interface keys, filled with the kernel's defaults as a namespace or a link is
 * made. Reading and writing them as requests do, with validation and side effects, is
 * `./sysctls.ts`.
 *
 * @module
 */
import type { LinkState, NamespaceState } from "./state.ts";
import {
  INTERFACE_CONF_KEYS,
  INTERFACE_NEIGH_SYSCTLS,
  INTERFACE_UNSET_KEYS,
  LOOPBACK_SYSCTLS,
  NAMESPACE_SYSCTLS,
  UNSET_SYSCTLS,
  WRITE_ONLY_SYSCTLS,
} from "./sysctl_defaults.ts";

/** The key of a link's per-interface leaf: "ipv4.conf.rp_filter" -> net.ipv4.conf.<if>.rp_filter. */
export function interfaceKey(link: LinkState, leaf: string): string {
  const [family, group, name] = leaf.split(".");
  return `net.${family}.${group}.${link.name.replaceAll(".", "/")}.${name}`;
}

/** Fills a new namespace's own keys with the kernel's defaults. */
export function initNamespaceSysctls(ns: NamespaceState): void {
  for (const [key, value] of Object.entries(NAMESPACE_SYSCTLS)) ns.sysctls.set(key, value);
  for (const key of [...UNSET_SYSCTLS, ...WRITE_ONLY_SYSCTLS]) ns.sysctls.set(key, undefined);
}

/**
 * Fills a link's per-interface keys as the kernel does when it registers the link: the conf
 * keys from the namespace's "default" tables, the neighbour keys from the kernel's, the IPv6 MTU
 * from the link, and what a loopback device has of its own.
 */
export function initLinkSysctls(link: LinkState): void {
  link.sysctls.clear();
  link.sysctlsWritten.clear();
  for (const leaf of INTERFACE_CONF_KEYS) {
    const [family, group, name] = leaf.split(".");
    link.sysctls.set(leaf, link.ns.sysctls.get(`net.${family}.${group}.default.${name}`));
  }
  for (const leaf of INTERFACE_UNSET_KEYS) link.sysctls.set(leaf, undefined);
  for (const [leaf, value] of Object.entries(INTERFACE_NEIGH_SYSCTLS)) {
    link.sysctls.set(leaf, value);
  }
  if (link.kind === "loopback") {
    for (const [leaf, value] of Object.entries(LOOPBACK_SYSCTLS)) {
      link.sysctls.set(leaf, value);
      if (leaf.startsWith("ipv4.conf.")) link.sysctlsWritten.add(leaf);
    }
  }
  link.sysctls.set("ipv6.conf.mtu", String(link.mtu));
}

/** The first integer of a value ("1", "32768\t60999"); 0 when there is none. */
export function intOf(value: string | undefined): number {
  const parsed = parseInt(value ?? "", 10);
  return Number.isNaN(parsed) ? 0 : parsed;
}

/** A namespace key's integer value. */
export function nsInt(ns: NamespaceState, key: string): number {
  return intOf(ns.sysctls.get(key));
}

/** A link's per-interface integer value, by leaf ("ipv6.conf.accept_dad"). */
export function linkInt(link: LinkState, leaf: string): number {
  return intOf(link.sysctls.get(leaf));
}

/** IPv6 is disabled on the link (net.ipv6.conf.<if>.disable_ipv6). */
export function ipv6Disabled(link: LinkState): boolean {
  return linkInt(link, "ipv6.conf.disable_ipv6") !== 0;
}

/**
 * IPv6 addresses outlive the link going down: keep_addr_on_down of "all" when it is not 0,
 * else the link's, is above 0.
 */
export function keepAddressesOnDown(link: LinkState): boolean {
  const all = nsInt(link.ns, "net.ipv6.conf.all.keep_addr_on_down");
  return (all !== 0 ? all : linkInt(link, "ipv6.conf.keep_addr_on_down")) > 0;
}

/** Duplicate address detection is off for the link: accept_dad below 1 in "all" and the link's. */
export function dadOff(link: LinkState): boolean {
  return nsInt(link.ns, "net.ipv6.conf.all.accept_dad") < 1 &&
    linkInt(link, "ipv6.conf.accept_dad") < 1;
}

/** How the link makes its IPv6 link-local address: 0 EUI-64, 1 none, 2 and 3 random. */
export function addressGenerationMode(link: LinkState): number {
  return linkInt(link, "ipv6.conf.addr_gen_mode");
}

/** A primary IPv4 address's secondaries are promoted when it goes (all's or the link's). */
export function promoteSecondaries(link: LinkState): boolean {
  return nsInt(link.ns, "net.ipv4.conf.all.promote_secondaries") !== 0 ||
    linkInt(link, "ipv4.conf.promote_secondaries") !== 0;
}
