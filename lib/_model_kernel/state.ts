/**
 * The model kernel's state: namespaces, the links in them, their addresses, the routing tables,
 * sysctls and qdiscs, as plain mutable records. The other modules of this directory are the
 * kernel's rules over these records.
 *
 * @module
 */
import type { IpvlanMode, MacvlanMode } from "../net_types.ts";
import type { Family } from "./inet.ts";
import type { Random } from "./mac.ts";

/** The kinds of link the model has: the kernel's, and "device" for a physical interface. */
export type LinkKind =
  | "loopback"
  | "device"
  | "veth"
  | "bridge"
  | "macvlan"
  | "ipvlan"
  | "vlan"
  | "dummy";

/** An IPv4 address on a link. */
export interface V4Address {
  /** The address. */
  value: bigint;
  /** Its prefix length. */
  length: number;
  /** No prefix route for it. */
  noPrefixRoute: boolean;
  /** A secondary: another address of the link is in the same subnet, and came first. */
  secondary: boolean;
  /** Its scope (0 global, 253 link, 254 host). */
  scope: number;
}

/** An IPv6 address on a link. */
export interface V6Address {
  /** The address. */
  value: bigint;
  /** Its prefix length. */
  length: number;
  /** No prefix route for it. */
  noPrefixRoute: boolean;
  /** Added with duplicate address detection off. */
  noDad: boolean;
  /** Duplicate address detection has not finished. */
  tentative: boolean;
  /** Its scope (0 global, 253 link, 254 host). */
  scope: number;
  /** The link-local address the kernel made (removed when the link goes down). */
  autoconf: boolean;
}

/** A route's type, as the kernel keeps it. */
export type RouteType = "unicast" | "local" | "broadcast" | "multicast";

/** A route in a table. */
export interface RouteEntry {
  /** 4 or 6. */
  family: Family;
  /** The table's number (254 main, 255 local). */
  table: number;
  /** The destination's network address. */
  dst: bigint;
  /** The destination's prefix length. */
  length: number;
  /** The type. */
  type: RouteType;
  /** The outgoing link. */
  dev: LinkState;
  /** The next hop. */
  gateway?: bigint;
  /** The scope (0 universe, 253 link, 254 host); always 0 for IPv6. */
  scope: number;
  /** The metric. */
  metric: number;
  /** The preferred source address. */
  prefsrc?: bigint;
  /** The route's MTU. */
  mtu?: number;
  /** The TCP maximum segment size to advertise. */
  advmss?: number;
  /** Made by the kernel (for an address or a link), not added by a request. */
  kernel: boolean;
  /** Insertion order, for routes that sort the same. */
  seq: number;
}

/** A token bucket filter's parameters as the kernel keeps them. */
export interface TbfState {
  /** Bytes per second. */
  rate: number;
  /** The bucket, in scheduler ticks. */
  buffer: number;
  /** The queue limit in bytes. */
  limit: number;
  /** The peak rate in bytes per second; 0 for none. */
  peakrate: number;
  /** The peak bucket, in scheduler ticks. */
  mtu: number;
}

/** A link's root qdisc. */
export interface RootQdisc {
  /** "noqueue", "pfifo_fast" or "tbf". */
  kind: string;
  /** Its handle (0 for a default one). */
  handle: number;
  /** A tbf's parameters. */
  tbf?: TbfState;
}

/** A link (network device). */
export interface LinkState {
  /** The namespace it is in. */
  ns: NamespaceState;
  /** Its index in that namespace. */
  index: number;
  /** Its name. */
  name: string;
  /** Its kind. */
  kind: LinkKind;
  /** The MTU. */
  mtu: number;
  /** The smallest MTU it takes. */
  minMtu: number;
  /** The largest MTU it takes; 0 for no limit. */
  maxMtu: number;
  /** The hardware address, lower case. */
  mac: string;
  /** The hardware address was given (a bridge then keeps it whatever its ports are). */
  macGiven: boolean;
  /** The transmit queue length. */
  txqueuelen: number;
  /** Administratively up. */
  up: boolean;
  /** Promiscuous mode as asked for (ports of a bridge are promiscuous without showing it). */
  promisc: boolean;
  /** Receive all multicast, as asked for. */
  allmulti: boolean;
  /** The bridge it is a port of. */
  master?: LinkState;
  /** A veth's other end. */
  peer?: LinkState;
  /** A macvlan's, ipvlan's or vlan's parent. */
  parent?: LinkState;
  /** A vlan's id. */
  vlanId?: number;
  /** A macvlan's mode. */
  macvlanMode?: MacvlanMode;
  /** An ipvlan's mode. */
  ipvlanMode?: IpvlanMode;
  /** A bridge's MTU was set by a request, so its ports no longer change it. */
  mtuSetByUser: boolean;
  /**
   * A bridge's carrier follows its ports (on while one is up with carrier): from its first port,
   * or from when its hardware address is set. Before that it has carrier.
   */
  carrierFollowsPorts: boolean;
  /** A physical device's carrier (the cable), which a test can pull. */
  deviceCarrier: boolean;
  /** The carrier the kernel last saw, to notice changes. */
  carrierSeen: boolean;
  /** The IPv4 addresses, in the kernel's order. */
  v4: V4Address[];
  /** The IPv6 addresses, in the kernel's order. */
  v6: V6Address[];
  /** IPv6 has seen the link up with a carrier (the kernel's IF_READY). */
  v6Ready: boolean;
  /** Per-interface sysctls by group and leaf ("ipv4.conf.rp_filter"). */
  sysctls: Map<string, string | undefined>;
  /** The IPv4 conf leaves written for this link, which a write to "default" leaves alone. */
  sysctlsWritten: Set<string>;
  /** The root qdisc; undefined until the link first comes up (the kernel's noop). */
  qdisc?: RootQdisc;
  /** Unregistered: gone from its namespace. */
  dead: boolean;
}

/** A network namespace. */
export interface NamespaceState {
  /** The kernel it belongs to. */
  kernel: KernelState;
  /** The path it was added at; undefined for the host's. */
  path: string | undefined;
  /** The links by index. */
  links: Map<number, LinkState>;
  /** Where the next ifindex search starts. */
  nextIndex: number;
  /** The ids this namespace has given other namespaces. */
  nsids: Map<NamespaceState, number>;
  /** The routes of every table, both families. */
  routes: RouteEntry[];
  /** The sysctls that belong to no interface, by their canonical key. */
  sysctls: Map<string, string | undefined>;
  /** Deleted. */
  dead: boolean;
}

/** What a path that is not a namespace is. */
export type FileKind = "fifo" | "file" | "directory" | "socket" | "device" | "symlink";

/** Behaviour that differs between kernel versions or that a test may want to hold. */
export interface KernelBehaviour {
  /** "instant": duplicate address detection succeeds as soon as it can start; "manual": on request. */
  dad: "instant" | "manual";
  /** Whether a link that is up can be renamed (EBUSY otherwise, as kernels before 6.2 say). */
  renameUpLinks: boolean;
}

/** The whole model. */
export interface KernelState {
  /** The host's namespace (path undefined). */
  host: NamespaceState;
  /** What each path is: a namespace (possibly the host's, by an alias) or a file. */
  paths: Map<string, NamespaceState | FileKind>;
  /** The random source of hardware addresses. */
  random: Random;
  /** The last automatic qdisc handle's major number. */
  qdiscMajor: number;
  /** The insertion counter of routes. */
  routeSeq: number;
  /** Version-dependent behaviour. */
  behaviour: KernelBehaviour;
}

/** The links of a namespace, by index. */
export function linksOf(ns: NamespaceState): LinkState[] {
  return [...ns.links.values()].sort((a, b) => a.index - b.index);
}

/** A link by name, or undefined. */
export function linkByName(ns: NamespaceState, name: string): LinkState | undefined {
  for (const link of ns.links.values()) if (link.name === name) return link;
  return undefined;
}

/** The links whose master is `bridge`. */
export function portsOf(bridge: LinkState): LinkState[] {
  return linksOf(bridge.ns).filter((link) => link.master === bridge);
}

/** Every live namespace of the kernel: the host's first, then the others as they were added. */
export function namespacesOf(kernel: KernelState): NamespaceState[] {
  const seen = new Set<NamespaceState>([kernel.host]);
  for (const value of kernel.paths.values()) {
    if (typeof value !== "string" && !value.dead) seen.add(value);
  }
  return [...seen];
}

/** Every live link of the kernel. */
export function allLinks(kernel: KernelState): LinkState[] {
  return namespacesOf(kernel).flatMap(linksOf);
}
