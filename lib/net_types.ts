/**
 * The values the namespace toolkit (`./netns`) reads and writes: links, addresses, routes and
 * qdiscs as the kernel reports them, and the typed specifications of what to create. Every
 * backend (in-process netlink, `ip`/`nsenter`, the model kernel) speaks these same types.
 *
 * @module
 */

/** A link (network interface) as the kernel reports it. */
export interface Link {
  /** The interface name. */
  name: string;
  /** The interface index in its namespace. */
  index: number;
  /** The MTU. */
  mtu?: number;
  /** The hardware address, lower case ("0a:58:0a:01:00:05"). */
  mac?: string;
  /** True when the link is administratively up. */
  up: boolean;
  /** The link's kind ("veth", "bridge", "macvlan", "dummy"...); absent for a plain device. */
  kind?: string;
  /** The transmit queue length. */
  txqueuelen?: number;
  /** True when the link is in promiscuous mode. */
  promisc?: boolean;
  /** True when the link receives all multicast. */
  allmulti?: boolean;
  /** The index of the link's master (a bridge), in the same namespace. */
  masterIndex?: number;
  /**
   * The index of the other link this one is tied to: a veth's peer, the parent of a macvlan,
   * ipvlan or vlan. With `linkNetnsId` it is an index in another namespace.
   */
  linkIndex?: number;
  /** Set when `linkIndex` is in another namespace: that namespace's id as seen from here. */
  linkNetnsId?: number;
  /** A vlan's id. */
  vlanId?: number;
  /** A macvlan's mode. */
  macvlanMode?: MacvlanMode;
  /** An ipvlan's mode. */
  ipvlanMode?: IpvlanMode;
}

/** The modes of a macvlan link. */
export type MacvlanMode = "private" | "vepa" | "bridge" | "passthru" | "source";

/** The modes of an ipvlan link. */
export type IpvlanMode = "l2" | "l3" | "l3s";

/** Settings every created link may have. */
export interface LinkCommon {
  /** The new link's name. */
  name: string;
  /** Its MTU; the kernel's default when absent. */
  mtu?: number;
  /** Its hardware address; a random one when absent. */
  mac?: string;
  /** Its transmit queue length. */
  txqueuelen?: number;
  /**
   * A namespace path to create the link in, directly (not here): the link never appears in
   * this namespace.
   */
  netns?: string;
}

/** A link to create; `kind` says which. */
export type LinkSpec =
  | LinkCommon & {
    kind: "veth";
    /** The peer's name. */
    peerName: string;
    /** The namespace path the peer is created in, directly; here when absent. */
    peerNetns?: string;
    /** The peer's hardware address; random when absent. */
    peerMac?: string;
  }
  | LinkCommon & {
    kind: "macvlan";
    /** The parent link, in this namespace. */
    parent: string;
    /** The mode; the kernel's default (vepa) when absent. */
    mode?: MacvlanMode;
  }
  | LinkCommon & {
    kind: "ipvlan";
    /** The parent link, in this namespace. */
    parent: string;
    /** The mode; l2 when absent. */
    mode?: IpvlanMode;
  }
  | LinkCommon & {
    kind: "vlan";
    /** The parent link, in this namespace. */
    parent: string;
    /** The VLAN id, 0 to 4094. */
    vlanId: number;
  }
  | LinkCommon & { kind: "bridge" }
  | LinkCommon & { kind: "dummy" };

/** Changes to an existing link; each given field is set, the others are left as they are. */
export interface LinkChanges {
  /** Administratively up or down. */
  up?: boolean;
  /** The MTU. */
  mtu?: number;
  /** The hardware address. */
  mac?: string;
  /** The transmit queue length. */
  txqueuelen?: number;
  /** Promiscuous mode. */
  promisc?: boolean;
  /** Receive all multicast. */
  allmulti?: boolean;
  /** The master (a bridge) by name; null removes the link from its master. */
  master?: string | null;
}

/** An address as the kernel reports it. */
export interface Address {
  /** The interface holding it. */
  dev: string;
  /** The address with its prefix length, canonical ("10.1.0.5/24", "2001:db8::5/64"). */
  cidr: string;
  /** 4 or 6. */
  family: 4 | 6;
  /** The scope ("global", "link", "host", or a number as text). */
  scope?: string;
  /** Set when duplicate address detection is off for it (IPv6). */
  noDad?: boolean;
  /** Set when the kernel made no prefix route for it. */
  noPrefixRoute?: boolean;
  /** Set while IPv6 duplicate address detection is still running. */
  tentative?: boolean;
}

/** Options of an address to add. */
export interface AddressOptions {
  /** Leave out the route to the address's subnet the kernel adds otherwise. */
  noPrefixRoute?: boolean;
  /** Skip IPv6 duplicate address detection (ignored for IPv4). */
  noDad?: boolean;
}

/** A route as the kernel reports it. */
export interface KernelRoute {
  /** The destination, canonical; the default route is "0.0.0.0/0" or "::/0". */
  dst: string;
  /** The next hop. */
  gateway?: string;
  /** The outgoing interface. */
  dev?: string;
  /** The table: "main", "local" or a number as text. */
  table: string;
  /** The scope ("global", "link", "host"). */
  scope?: string;
  /** The metric (`priority` in a CNI result). */
  metric?: number;
  /** The preferred source address. */
  prefsrc?: string;
  /** The route's MTU. */
  mtu?: number;
  /** The TCP maximum segment size to advertise. */
  advmss?: number;
  /** The route's type when it is not a plain unicast route: "local", "broadcast", "multicast"... */
  type?: string;
}

/** A route to add, replace or delete; addresses are checked and written canonically. */
export interface RouteSpec {
  /** The destination ("10.9.0.0/16", "0.0.0.0/0" or a bare address for a host route). */
  dst: string;
  /** The next hop, in the destination's family. */
  via?: string;
  /** The outgoing interface. */
  dev: string;
  /** The preferred source address. */
  src?: string;
  /** "link", "host", "global" or a number. */
  scope?: "link" | "host" | "global" | number;
  /** The routing table. */
  table?: number;
  /** The metric. */
  metric?: number;
  /** The route's MTU. */
  mtu?: number;
  /** The TCP maximum segment size to advertise. */
  advmss?: number;
}

/** A queueing discipline as the kernel reports it. */
export interface Qdisc {
  /** The link it is attached to. */
  dev: string;
  /** Its kind ("tbf", "noqueue", "pfifo_fast"...). */
  kind: string;
  /** Its handle, e.g. 0x80010000 for "8001:". */
  handle: number;
  /** True when it is the link's root qdisc. */
  root: boolean;
  /** Its parent handle (0xffffffff for the root). */
  parent: number;
  /** A tbf's settings; absent for other kinds. */
  tbf?: TbfSettings;
}

/** A token bucket filter's settings, in the kernel's units. */
export interface TbfSettings {
  /** The rate, in bytes per second. */
  rate: number;
  /** The bucket size (burst), in bytes. */
  burst: number;
  /** The queue limit, in bytes. */
  limit: number;
  /** The peak rate, in bytes per second; absent when none. */
  peakrate?: number;
  /** The peak bucket size (the minimum burst), in bytes; absent when no peak rate. */
  mtu?: number;
}

/** A token bucket filter to attach as a link's root qdisc. */
export interface TbfSpec {
  /** The rate, in bytes per second (at least 1). */
  rate: number;
  /** The bucket size, in bytes. */
  burst: number;
  /**
   * The queue limit in bytes; give it or `latencyUs`. With `latencyUs` the limit is
   * `rate * latency + burst`, as `tc` computes it.
   */
  limit?: number;
  /** The longest a packet may wait, in microseconds; gives the limit when `limit` is absent. */
  latencyUs?: number;
  /** A peak rate in bytes per second; needs `mtu`. */
  peakrate?: number;
  /** The peak bucket size in bytes, with `peakrate`. */
  mtu?: number;
}
