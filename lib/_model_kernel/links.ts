/**
 * Links: creating, changing, renaming, moving and deleting them with the kernel's rules, and
 * what follows for the links tied to them.
 * - ifindexes come from a counter per namespace that does not go back (a deleted link's index
 *   is not given again until the counter wraps); a veth's peer is registered, and numbered,
 *   first; a moved link keeps its index when the target namespace has it free;
 * - names are unique per namespace (EEXIST), 1 to 15 bytes, not "all" or "default" (EINVAL);
 *   "%d" in a name is a pattern the kernel fills with the first free number;
 * - a veth's peer, and a macvlan's, ipvlan's or vlan's parent, may be in another namespace; a
 *   link dies with its peer or its parent;
 * - a bridge's port is removed from it when the port leaves; an empty bridge's MTU is 1500,
 *   one with ports takes its smallest MTU unless the MTU was set on the bridge; its hardware
 *   address is the smallest of its ports' (zero without ports) unless one was set on it;
 * - `lo` and bridges cannot leave their namespace (EINVAL); `lo` and physical devices cannot
 *   be deleted (EOPNOTSUPP); a namespace that is deleted gives its physical devices back to
 *   the host's.
 *
 * @module
 */
import type { LinkChanges, LinkSpec } from "../net_types.ts";
import { kernelInterfaceNameProblem } from "../names.ts";
import { operational } from "./carrier.ts";
import * as ipv4 from "./ipv4.ts";
import * as ipv6 from "./ipv6.ts";
import { isValidEtherAddress, macText, randomMac, readMac } from "./mac.ts";
import { nsidOf } from "./nsids.ts";
import * as qdiscs from "./qdiscs.ts";
import { type Op, refuse } from "./refuse.ts";
import {
  allLinks,
  type KernelState,
  linkByName,
  type LinkKind,
  linksOf,
  type LinkState,
  type NamespaceState,
  portsOf,
} from "./state.ts";
import { initLinkSysctls } from "./sysctl_store.ts";

/** The largest ifindex. */
const MAX_INDEX = 0x7fffffff;
/** The MTU of Ethernet. */
const ETH_DATA_LEN = 1500;
/** The largest MTU of most kinds. */
const ETH_MAX_MTU = 65535;
const ZERO_MAC = "00:00:00:00:00:00";

/** What a kind gets unless told otherwise: MTU, its bounds (0: none) and queue length. */
const KIND_DEFAULTS: Readonly<
  Record<LinkKind, { mtu: number; minMtu: number; maxMtu: number; txqueuelen: number }>
> = {
  loopback: { mtu: 65536, minMtu: 0, maxMtu: 0, txqueuelen: 1000 },
  device: { mtu: ETH_DATA_LEN, minMtu: 68, maxMtu: ETH_MAX_MTU, txqueuelen: 1000 },
  veth: { mtu: ETH_DATA_LEN, minMtu: 68, maxMtu: ETH_MAX_MTU, txqueuelen: 1000 },
  bridge: { mtu: ETH_DATA_LEN, minMtu: 68, maxMtu: ETH_MAX_MTU, txqueuelen: 1000 },
  macvlan: { mtu: ETH_DATA_LEN, minMtu: 68, maxMtu: ETH_MAX_MTU, txqueuelen: 1000 },
  ipvlan: { mtu: ETH_DATA_LEN, minMtu: 68, maxMtu: ETH_MAX_MTU, txqueuelen: 1000 },
  vlan: { mtu: ETH_DATA_LEN, minMtu: 0, maxMtu: ETH_MAX_MTU, txqueuelen: 1000 },
  dummy: { mtu: ETH_DATA_LEN, minMtu: 0, maxMtu: 0, txqueuelen: 1000 },
};

/** The index a new link gets: `preferred` when free, else the counter's next free one. */
function allocateIndex(ns: NamespaceState, preferred?: number): number {
  if (preferred !== undefined && !ns.links.has(preferred)) return preferred;
  let index = ns.nextIndex;
  for (let tries = 0; tries <= MAX_INDEX; tries++) {
    if (index < 1 || index > MAX_INDEX) index = 1;
    if (!ns.links.has(index)) break;
    index++;
  }
  ns.nextIndex = index + 1;
  return index;
}

/** What a new link is made of. */
export interface NewLink {
  /** Its kind. */
  kind: LinkKind;
  /** Its name. */
  name: string;
  /** Its MTU; the kind's default when absent. */
  mtu?: number;
  /** Its hardware address; random when absent. */
  mac?: string;
  /** Its transmit queue length. */
  txqueuelen?: number;
  /** The index to keep if free (a link moving in). */
  index?: number;
}

/** Registers a new link in a namespace, down, with its per-interface sysctls. */
export function registerLink(ns: NamespaceState, spec: NewLink): LinkState {
  const defaults = KIND_DEFAULTS[spec.kind];
  const link: LinkState = {
    ns,
    index: allocateIndex(ns, spec.index),
    name: spec.name,
    kind: spec.kind,
    mtu: spec.mtu ?? defaults.mtu,
    minMtu: defaults.minMtu,
    maxMtu: defaults.maxMtu,
    mac: spec.mac ?? randomMac(ns.kernel.random),
    macGiven: spec.mac !== undefined,
    txqueuelen: spec.txqueuelen ?? defaults.txqueuelen,
    up: false,
    promisc: false,
    allmulti: false,
    mtuSetByUser: false,
    carrierFollowsPorts: false,
    deviceCarrier: true,
    carrierSeen: false,
    v4: [],
    v6: [],
    v6Ready: false,
    sysctls: new Map(),
    sysctlsWritten: new Set(),
    dead: false,
  };
  initLinkSysctls(link);
  ns.links.set(link.index, link);
  return link;
}

/** The links whose parent is `link` (macvlans, ipvlans, vlans), in any namespace. */
function childrenOf(link: LinkState): LinkState[] {
  return allLinks(link.ns.kernel).filter((other) => other.parent === link);
}

function checkName(name: string, op: Op): void {
  if (kernelInterfaceNameProblem(name) !== undefined) refuse(op, "EINVAL");
}

/** Names the kernel refuses (EINVAL) as they would clash with its sysctl directories. */
const RESERVED_NAMES = ["all", "default"];

/** Checks a "%d" pattern's form: one "%", followed by "d" (EINVAL otherwise). */
function checkPattern(name: string, op: Op): void {
  const percent = name.indexOf("%");
  if (percent >= 0 && (name[percent + 1] !== "d" || name.includes("%", percent + 2))) {
    refuse(op, "EINVAL");
  }
}

/** A reserved name fails once the link has its index, which is then spent. */
function refuseReserved(ns: NamespaceState, name: string, op: Op): void {
  if (!RESERVED_NAMES.includes(name)) return;
  allocateIndex(ns);
  refuse(op, "EINVAL");
}

/**
 * The name a link gets in `ns`: `name`, or for a "%d" pattern the smallest number free there
 * ("br%d" gives br0, then br1).
 *
 * @throws {KernelError} EEXIST when a plain name is taken
 */
function nameIn(ns: NamespaceState, name: string, op: Op, self?: LinkState): string {
  checkPattern(name, op);
  const percent = name.indexOf("%");
  if (percent < 0) {
    const holder = linkByName(ns, name);
    if (holder !== undefined && holder !== self) refuse(op, "EEXIST");
    return name;
  }
  for (let i = 0; i < 32768; i++) {
    const candidate = `${name.slice(0, percent)}${i}${name.slice(percent + 2)}`;
    if (kernelInterfaceNameProblem(candidate) !== undefined) break;
    const holder = linkByName(ns, candidate);
    if (holder === undefined || holder === self) return candidate;
  }
  return refuse(op, "ENFILE");
}

function checkFree(ns: NamespaceState, name: string, op: Op, detail?: string): void {
  if (linkByName(ns, name) !== undefined) refuse(op, "EEXIST", detail);
}

function checkMac(text: string | undefined, op: Op): string | undefined {
  if (text === undefined) return undefined;
  const bytes = readMac(text);
  if (bytes === undefined) refuse(op, "EINVAL");
  if (!isValidEtherAddress(bytes)) refuse(op, "EADDRNOTAVAIL");
  return macText(bytes);
}

function checkCount(value: number | undefined, op: Op): void {
  if (value !== undefined && !(Number.isSafeInteger(value) && value >= 0 && value <= 0xffffffff)) {
    refuse(op, "EINVAL");
  }
}

/** The MTU bounds of the kind, as the kernel checks them. */
function checkMtuBounds(link: { minMtu: number; maxMtu: number }, mtu: number, op: Op): void {
  if (mtu < link.minMtu) refuse(op, "EINVAL", "mtu less than device minimum");
  if (link.maxMtu > 0 && mtu > link.maxMtu) refuse(op, "EINVAL", "mtu greater than device maximum");
}

/** The device a macvlan or ipvlan really sits on: the parent's own parent if it is one. */
function lowerOf(parent: LinkState, kind: "macvlan" | "ipvlan"): LinkState {
  return parent.kind === kind && parent.parent !== undefined ? parent.parent : parent;
}

/** Whether a link's receive hook is taken (by a bridge, macvlans or ipvlans), other than by `kind`. */
function hookTaken(link: LinkState, kind: "bridge" | "macvlan" | "ipvlan"): boolean {
  if (kind !== "bridge" && link.master !== undefined) return true;
  return childrenOf(link).some((child) =>
    (child.kind === "macvlan" || child.kind === "ipvlan") && child.kind !== kind
  );
}

/** Where a request creates a link and its veth peer. */
export interface Homes {
  /** The namespace of the request: where a parent is looked up. */
  here: NamespaceState;
  /** Where the link is created. */
  home: NamespaceState;
  /** Where a veth's peer is created. */
  peerHome: NamespaceState;
}

/**
 * Creates a link as a request does.
 *
 * @throws {KernelError} EEXIST for a taken name, ENODEV without the parent, EINVAL for an MTU
 * or a name the kernel refuses, EADDRNOTAVAIL for a hardware address it refuses, EBUSY for a
 * parent whose receive hook is taken
 */
export function createLink(spec: LinkSpec, homes: Homes, op: Op): void {
  const { here, home, peerHome } = homes;
  checkName(spec.name, op);
  checkCount(spec.mtu, op);
  checkCount(spec.txqueuelen, op);
  const mac = checkMac(spec.mac, op);
  const common = {
    name: spec.name,
    ...(spec.txqueuelen !== undefined && { txqueuelen: spec.txqueuelen }),
  };
  switch (spec.kind) {
    case "veth": {
      checkName(spec.peerName, op);
      const peerMac = checkMac(spec.peerMac, op);
      if (spec.mtu !== undefined) {
        const bounds = KIND_DEFAULTS.veth;
        if (spec.mtu < bounds.minMtu || spec.mtu > bounds.maxMtu) refuse(op, "EINVAL");
      }
      checkPattern(spec.name, op);
      checkPattern(spec.peerName, op);
      if (!spec.name.includes("%")) checkFree(home, spec.name, op);
      const peerName = nameIn(peerHome, spec.peerName, op);
      // The peer is registered first; what fails after that leaves its index spent.
      // The queue length given is the link's own; the peer gets the default.
      const peer = registerLink(peerHome, {
        kind: "veth",
        name: peerName,
        ...(spec.mtu === undefined ? {} : { mtu: spec.mtu }),
        ...(peerMac !== undefined && { mac: peerMac }),
      });
      if (RESERVED_NAMES.includes(peerName)) {
        peerHome.links.delete(peer.index);
        refuse(op, "EINVAL");
      }
      let name: string;
      try {
        name = nameIn(home, spec.name, op);
      } catch (error) {
        peerHome.links.delete(peer.index);
        throw error;
      }
      if (RESERVED_NAMES.includes(name)) {
        peerHome.links.delete(peer.index);
        allocateIndex(home);
        refuse(op, "EINVAL");
      }
      const link = registerLink(home, {
        ...common,
        name,
        ...(spec.mtu === undefined ? {} : { mtu: spec.mtu }),
        kind: "veth",
        ...(mac && { mac }),
      });
      link.peer = peer;
      peer.peer = link;
      if (home !== peerHome) nsidOf(home, peerHome);
      return;
    }
    case "macvlan":
    case "ipvlan":
    case "vlan": {
      const named = linkByName(here, spec.parent);
      if (named === undefined) refuse(op, "ENODEV");
      const name = nameIn(home, spec.name, op);
      const parent = spec.kind === "vlan" ? named : lowerOf(named, spec.kind);
      if (parent.kind === "loopback") refuse(op, spec.kind === "vlan" ? "EOPNOTSUPP" : "EINVAL");
      if (spec.kind !== "vlan" && hookTaken(parent, spec.kind)) refuse(op, "EBUSY");
      if (spec.mtu !== undefined) {
        checkMtuBounds(KIND_DEFAULTS[spec.kind], spec.mtu, op);
        if (spec.mtu > parent.mtu) refuse(op, "EINVAL");
      }
      const mtu = spec.mtu ?? parent.mtu;
      let linkMac = mac;
      if (spec.kind === "vlan") {
        if (!Number.isSafeInteger(spec.vlanId) || spec.vlanId < 0 || spec.vlanId >= 4095) {
          refuse(op, "ERANGE", "8021q: Invalid VLAN id");
        }
        const taken = childrenOf(parent).some((child) =>
          child.kind === "vlan" && child.vlanId === spec.vlanId
        );
        if (taken) refuse(op, "EEXIST");
        linkMac ??= parent.mac;
      } else if (spec.kind === "ipvlan") {
        linkMac = parent.mac;
      } else if (spec.mode === "passthru") {
        if (childrenOf(parent).some((child) => child.kind === "macvlan")) refuse(op, "EINVAL");
        linkMac = parent.mac;
      }
      refuseReserved(home, name, op);
      const link = registerLink(home, {
        ...common,
        name,
        kind: spec.kind,
        mtu,
        ...(linkMac !== undefined && { mac: linkMac }),
      });
      link.parent = parent;
      if (spec.kind === "vlan") link.vlanId = spec.vlanId;
      if (spec.kind === "macvlan") link.macvlanMode = spec.mode ?? "vepa";
      if (spec.kind === "ipvlan") link.ipvlanMode = spec.mode ?? "l2";
      if (home !== parent.ns) nsidOf(home, parent.ns);
      return;
    }
    case "bridge":
    case "dummy": {
      if (spec.mtu !== undefined) checkMtuBounds(KIND_DEFAULTS[spec.kind], spec.mtu, op);
      const name = nameIn(home, spec.name, op);
      refuseReserved(home, name, op);
      const link = registerLink(home, {
        ...common,
        name,
        kind: spec.kind,
        ...(spec.mtu !== undefined && { mtu: spec.mtu }),
        ...(mac !== undefined && { mac }),
      });
      // Setting a bridge's address recomputes its carrier from its ports: none.
      if (spec.kind === "bridge" && mac !== undefined) link.carrierFollowsPorts = true;
      return;
    }
  }
}

/** Sets a link's MTU and what follows: its ports' bridge, its children, its IPv6 MTU. */
function applyMtu(link: LinkState, mtu: number): void {
  link.mtu = mtu;
  if (mtu >= 1280) link.sysctls.set("ipv6.conf.mtu", String(mtu));
  else ipv6.linkGone(link);
  for (const child of childrenOf(link)) {
    if (child.kind === "ipvlan" || child.mtu > mtu) applyMtu(child, mtu);
  }
  if (link.master !== undefined) adjustBridge(link.master, "mtu");
}

/** Sets a link's hardware address and what follows: its ipvlans', its bridge's. */
function applyMac(link: LinkState, mac: string): void {
  link.mac = mac;
  for (const child of childrenOf(link)) if (child.kind === "ipvlan") applyMac(child, mac);
  if (link.master !== undefined) adjustBridge(link.master, "mac");
}

/** A bridge's ports changed: its MTU and its hardware address follow them unless set on it. */
function adjustBridge(bridge: LinkState, what: "mtu" | "mac" | "both"): void {
  const ports = portsOf(bridge);
  if (what !== "mac" && !bridge.mtuSetByUser) {
    const mtu = ports.length === 0 ? ETH_DATA_LEN : Math.min(...ports.map((port) => port.mtu));
    if (mtu !== bridge.mtu) applyMtu(bridge, mtu);
  }
  if (what !== "mtu" && !bridge.macGiven) {
    const macs = ports.map((port) => port.mac).sort();
    applyMac(bridge, macs[0] ?? ZERO_MAC);
  }
}

/** Brings a link up, with what the kernel does then. */
function bringUp(link: LinkState, op: Op): void {
  if (link.up) return;
  if (link.kind === "vlan" && link.parent !== undefined && !link.parent.up) refuse(op, "ENETDOWN");
  if (link.kind === "macvlan" && link.parent !== undefined && link.macvlanMode !== "passthru") {
    const parent = link.parent;
    const busy = link.mac === parent.mac ||
      childrenOf(parent).some((other) => other !== link && other.up && other.mac === link.mac);
    if (busy) refuse(op, "EADDRINUSE");
  }
  link.up = true;
  qdiscs.activate(link);
  ipv4.linkUp(link);
  ipv6.linkUp(link);
  for (const child of childrenOf(link)) if (child.kind === "vlan") bringUp(child, op);
}

/** Brings a link down, with what the kernel does then. */
function bringDown(link: LinkState): void {
  if (!link.up) return;
  link.up = false;
  ipv4.linkDown(link);
  ipv6.linkDown(link);
  for (const child of childrenOf(link)) if (child.kind === "vlan") bringDown(child);
}

function release(link: LinkState): void {
  const master = link.master;
  if (master === undefined) return;
  delete link.master;
  adjustBridge(master, "both");
}

function setMaster(link: LinkState, name: string, op: Op): void {
  const master = linkByName(link.ns, name);
  if (master === undefined) refuse(op, "ENODEV");
  if (link.master === master) return;
  release(link);
  if (master.kind !== "bridge") refuse(op, "EOPNOTSUPP");
  if (link.kind === "loopback") refuse(op, "EINVAL");
  if (link.kind === "bridge") refuse(op, "ELOOP", "Can not enslave a bridge to a bridge");
  if (hookTaken(link, "bridge")) refuse(op, "EBUSY");
  link.master = master;
  master.carrierFollowsPorts = true;
  adjustBridge(master, "both");
}

/**
 * Changes a link as a request does, in the kernel's order: hardware address, MTU, flags (up,
 * promisc, allmulti), master, queue length. What was done before a refusal stays done.
 *
 * @throws {KernelError} ENODEV for a missing master, EINVAL for an MTU out of bounds,
 * EADDRNOTAVAIL for a refused hardware address, EOPNOTSUPP/ELOOP/EBUSY for a master the link
 * cannot have
 */
export function setLink(link: LinkState, changes: LinkChanges, op: Op): void {
  checkCount(changes.mtu, op);
  checkCount(changes.txqueuelen, op);
  if (changes.mac !== undefined) {
    const mac = checkMac(changes.mac, op)!;
    if (link.kind === "ipvlan") refuse(op, "EOPNOTSUPP");
    if (mac !== link.mac) {
      if (link.kind === "bridge") {
        link.macGiven = true;
        link.carrierFollowsPorts = true;
      }
      applyMac(link, mac);
    }
  }
  if (changes.mtu !== undefined && changes.mtu !== link.mtu) {
    const mtu = changes.mtu;
    checkMtuBounds(link, mtu, op);
    if (link.parent !== undefined && mtu > link.parent.mtu) {
      refuse(op, link.kind === "vlan" ? "ERANGE" : "EINVAL");
    }
    if (link.kind === "bridge") link.mtuSetByUser = true;
    applyMtu(link, mtu);
  }
  if (changes.promisc !== undefined) link.promisc = changes.promisc;
  if (changes.allmulti !== undefined) link.allmulti = changes.allmulti;
  if (changes.up === true) bringUp(link, op);
  if (changes.up === false) bringDown(link);
  if (changes.master === null) release(link);
  else if (changes.master !== undefined) setMaster(link, changes.master, op);
  if (changes.txqueuelen !== undefined) link.txqueuelen = changes.txqueuelen;
}

/**
 * Renames a link.
 *
 * @throws {KernelError} EEXIST for a taken name, EINVAL for a name the kernel refuses, EBUSY for
 * a link that is up when the model plays an older kernel
 */
export function renameLink(link: LinkState, name: string, op: Op): void {
  checkName(name, op);
  if (name === link.name) return;
  const newName = nameIn(link.ns, name, op, link);
  if (RESERVED_NAMES.includes(newName)) refuse(op, "EINVAL");
  if (link.up && !link.ns.kernel.behaviour.renameUpLinks) refuse(op, "EBUSY");
  link.name = newName;
}

/** What a link loses when it leaves its namespace: addresses, routes, qdiscs, its master. */
function detach(link: LinkState): void {
  bringDown(link);
  release(link);
  ipv4.linkGone(link);
  ipv6.linkGone(link);
  qdiscs.shutdown(link);
  link.ns.links.delete(link.index);
}

/** Puts a detached link into a namespace, under its index if free there. */
function attach(link: LinkState, target: NamespaceState, name: string): void {
  link.index = allocateIndex(target, link.index);
  link.ns = target;
  link.name = name;
  link.carrierSeen = false;
  initLinkSysctls(link);
  target.links.set(link.index, link);
  const tie = link.kind === "veth" ? link.peer : link.parent;
  if (tie !== undefined && tie.ns !== target) nsidOf(target, tie.ns);
}

/**
 * Moves a link into another namespace, renamed when `name` is given: it arrives down, without
 * addresses, routes or qdiscs. It arrives under its own name if that is free there (then gets
 * `name` as a rename, which can fail after the move), else under `name`.
 *
 * @throws {KernelError} EINVAL for `lo` and bridges, EEXIST when the names are taken there
 */
export function moveLink(
  link: LinkState,
  target: NamespaceState,
  name: string | undefined,
  op: Op,
): void {
  if (name !== undefined) checkName(name, op);
  if (target === link.ns) {
    if (name !== undefined) renameLink(link, name, op);
    return;
  }
  if (link.kind === "loopback" || link.kind === "bridge") {
    refuse(op, "EINVAL", "The interface netns is immutable");
  }
  // The link keeps its name if it is free there; the new name is used only when it is not,
  // and otherwise given afterwards, as a rename in the target (which can fail there).
  const taken = linkByName(target, link.name) !== undefined;
  if (taken && name === undefined) {
    refuse(op, "EEXIST", "An interface with the same name exists in the target netns");
  }
  const arrival = taken ? nameIn(target, name!, op) : link.name;
  if (taken && RESERVED_NAMES.includes(arrival)) refuse(op, "EINVAL");
  detach(link);
  attach(link, target, arrival);
  if (name !== undefined && name !== arrival) renameLink(link, name, op);
}

/** Unregisters a link and the links that die with it: its peer, its children. */
function unregister(link: LinkState): void {
  if (link.dead) return;
  link.dead = true;
  bringDown(link);
  release(link);
  if (link.kind === "bridge") { for (const port of portsOf(link)) delete port.master; }
  for (const child of childrenOf(link)) unregister(child);
  if (link.peer !== undefined) unregister(link.peer);
  ipv4.linkGone(link);
  ipv6.linkGone(link);
  qdiscs.shutdown(link);
  link.ns.links.delete(link.index);
}

/**
 * Deletes a link as a request does: a veth's peer, and the macvlans, ipvlans and vlans on it,
 * go with it; a bridge's ports are released.
 *
 * @throws {KernelError} EOPNOTSUPP for `lo` and physical devices
 */
export function deleteLink(link: LinkState, op: Op): void {
  if (link.kind === "loopback" || link.kind === "device") refuse(op, "EOPNOTSUPP");
  unregister(link);
}

/**
 * A namespace is deleted: its physical devices go back to the host's namespace (renamed
 * "dev<index>" if their name is taken there), every other link is unregistered.
 */
export function emptyNamespace(ns: NamespaceState): void {
  const host = ns.kernel.host;
  for (const link of linksOf(ns)) {
    if (link.kind !== "device" || host === ns) continue;
    detach(link);
    const name = linkByName(host, link.name) === undefined ? link.name : `dev${link.index}`;
    attach(link, host, name);
  }
  for (const link of linksOf(ns)) if (link.kind !== "loopback") unregister(link);
  for (const link of linksOf(ns)) unregister(link);
}

/** What a test gives to add a physical device. */
export interface DeviceSpec {
  /** Its name. */
  name: string;
  /** Its MTU; 1500 when absent. */
  mtu?: number;
  /** The largest MTU it takes; 65535 when absent. */
  maxMtu?: number;
  /** Its hardware address; random when absent. */
  mac?: string;
  /** Whether its cable is in; true when absent. */
  carrier?: boolean;
}

/** Adds a physical device, as the kernel's driver would register one. */
export function addDevice(ns: NamespaceState, spec: DeviceSpec, op: Op): LinkState {
  checkName(spec.name, op);
  checkCount(spec.mtu, op);
  checkFree(ns, spec.name, op);
  const mac = checkMac(spec.mac, op);
  const link = registerLink(ns, {
    kind: "device",
    name: spec.name,
    ...(spec.mtu !== undefined && { mtu: spec.mtu }),
    ...(mac !== undefined && { mac }),
  });
  if (spec.maxMtu !== undefined) link.maxMtu = spec.maxMtu;
  link.deviceCarrier = spec.carrier ?? true;
  return link;
}

/** How many links a link's carrier waits on, one under the other: 0 for a link of its own. */
function depthOf(link: LinkState, seen = 0): number {
  if (seen > 8) return seen;
  if (link.kind === "bridge") {
    return 1 + Math.max(-1, ...portsOf(link).map((port) => depthOf(port, seen + 1)));
  }
  if (link.parent !== undefined) return 1 + depthOf(link.parent, seen + 1);
  return 0;
}

/**
 * Brings the kernel's carrier state up to date: each link that became operational (up with
 * carrier) since the last look gets what IPv6 does then. Run after every change.
 */
export function settle(kernel: KernelState): void {
  for (let round = 0; round < 16; round++) {
    let changed = false;
    // A link's carrier event comes after those of the links it follows (ports, parents).
    const links = allLinks(kernel).map((link, order) => ({ link, order, depth: depthOf(link) }))
      .sort((a, b) => a.depth - b.depth || a.order - b.order)
      .map(({ link }) => link);
    for (const link of links) {
      const on = operational(link);
      if (on === link.carrierSeen) continue;
      link.carrierSeen = on;
      changed = true;
      if (on) ipv6.linkReady(link);
    }
    if (!changed) return;
  }
}
