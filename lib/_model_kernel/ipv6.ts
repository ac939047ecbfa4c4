/**
 * IPv6 addresses, duplicate address detection and the routes the kernel makes for them:
 * - an address gets its prefix route (metric 256) while its link is up, unless noprefixroute,
 *   and its local route in the local table once it is no longer tentative;
 * - an address is tentative until duplicate address detection ends; detection is skipped for
 *   nodad addresses, on links without ARP (`lo`, dummies, l3 ipvlans), and when accept_dad is below 1 both for
 *   "all" and the link; it starts once the link has been up with carrier (IF_READY), and the
 *   model ends it at once then (or when the test says, with manual detection);
 * - when the link is first up with carrier, it gets ff00::/8 in the local table and a
 *   link-local address from its hardware address (EUI-64), unless addr_gen_mode is 1;
 * - a link that goes down loses its IPv6 routes and addresses, but with keep_addr_on_down the
 *   addresses it was given (tentative again), which get their routes back when it comes up;
 * - disable_ipv6 takes it all away, and refuses addresses and routes (EACCES);
 * - `lo` gets ::1 (no prefix route) when it comes up.
 *
 * @module
 */
import { operational } from "./carrier.ts";
import { isLinkLocal6, isLoopback6, isMulticast6, maskOf } from "./inet.ts";
import { linkLocalFromMac } from "./mac.ts";
import { type Op, refuse } from "./refuse.ts";
import {
  addKernelRoute,
  removeRoutes,
  removeRoutesThrough,
  SCOPE_HOST,
  SCOPE_LINK,
  TABLE_LOCAL,
  TABLE_MAIN,
} from "./routes.ts";
import type { LinkState, V6Address } from "./state.ts";
import {
  addressGenerationMode,
  dadOff,
  ipv6Disabled,
  keepAddressesOnDown,
} from "./sysctl_store.ts";

/** The metric of the routes the kernel makes for prefixes and ff00::/8. */
const PREFIX_METRIC = 256;

/** The scope the kernel gives an address: host for ::1, link for fe80::/10, else global. */
function scopeOf(value: bigint): number {
  return isLoopback6(value) ? SCOPE_HOST : isLinkLocal6(value) ? SCOPE_LINK : 0;
}

/** The kernel's order key of an address's scope: global before link-local before ::1. */
function orderOf(address: V6Address): number {
  return isLoopback6(address.value) ? 1 : isLinkLocal6(address.value) ? 2 : 14;
}

/** Inserts an address where the kernel does: by scope, newest first within a scope. */
function insert(link: LinkState, address: V6Address): void {
  const at = link.v6.findIndex((other) => orderOf(address) >= orderOf(other));
  link.v6.splice(at < 0 ? link.v6.length : at, 0, address);
}

function hasPrefixRoute(link: LinkState, address: V6Address): boolean {
  return !address.noPrefixRoute && !(address.autoconf && link.kind === "loopback");
}

function addPrefixRoute(link: LinkState, address: V6Address): void {
  if (!hasPrefixRoute(link, address)) return;
  addKernelRoute(link.ns, {
    family: 6,
    table: TABLE_MAIN,
    type: "unicast",
    dst: address.value & maskOf(6, address.length),
    length: address.length,
    dev: link,
    scope: 0,
    metric: PREFIX_METRIC,
  });
}

/** Detection is over: the address is usable and gets its local route. */
function complete(link: LinkState, address: V6Address): void {
  address.tentative = false;
  addKernelRoute(link.ns, {
    family: 6,
    table: TABLE_LOCAL,
    type: "local",
    dst: address.value,
    length: 128,
    dev: link,
    scope: 0,
    metric: 0,
  });
}

/** Links without ARP skip detection: `lo`, dummies, ipvlans in l3 modes. */
function noArp(link: LinkState): boolean {
  return link.kind === "loopback" || link.kind === "dummy" ||
    (link.kind === "ipvlan" && link.ipvlanMode !== "l2");
}

function skipsDad(link: LinkState, address: V6Address): boolean {
  return address.noDad || dadOff(link) || noArp(link);
}

/** Starts duplicate address detection: it ends now when skipped, or when it can run. */
function startDad(link: LinkState, address: V6Address): void {
  if (!address.tentative) {
    complete(link, address);
  } else if (skipsDad(link, address)) {
    complete(link, address);
  } else if (link.v6Ready && link.ns.kernel.behaviour.dad === "instant") {
    complete(link, address);
  }
}

function place(link: LinkState, address: V6Address): void {
  insert(link, address);
  if (link.up) addPrefixRoute(link, address);
  startDad(link, address);
}

/**
 * Adds an address to a link, as a request does.
 *
 * @throws {KernelError} EACCES with IPv6 disabled, EADDRNOTAVAIL for ::, multicast or ::1 off
 * `lo`, EEXIST when the link has the address (whatever the prefix length)
 */
export function addAddress(
  link: LinkState,
  value: bigint,
  length: number,
  options: { noPrefixRoute: boolean; noDad: boolean },
  op: Op,
): void {
  if (ipv6Disabled(link)) refuse(op, "EACCES", "ipv6: IPv6 is disabled on this device");
  if (value === 0n) refuse(op, "EADDRNOTAVAIL", "ipv6: Invalid address");
  if (isMulticast6(value)) {
    refuse(
      op,
      "EADDRNOTAVAIL",
      'ipv6: Cannot assign multicast address without "IFA_F_MCAUTOJOIN" flag',
    );
  }
  if (isLoopback6(value) && link.kind !== "loopback") {
    refuse(op, "EADDRNOTAVAIL", "ipv6: Cannot assign loopback address on this device");
  }
  if (link.v6.some((address) => address.value === value)) {
    refuse(op, "EEXIST", "ipv6: address already assigned");
  }
  place(link, {
    value,
    length,
    noPrefixRoute: options.noPrefixRoute,
    noDad: options.noDad,
    tentative: true,
    scope: scopeOf(value),
    autoconf: false,
  });
}

/**
 * Deletes an address from a link, as a request does: its local route goes, its prefix route
 * when no other address of the link is in the prefix, and routes through the link lose it as
 * their source.
 *
 * @throws {KernelError} EADDRNOTAVAIL when the link does not have it with that prefix length
 */
export function deleteAddress(link: LinkState, value: bigint, length: number, op: Op): void {
  const address = link.v6.find((a) => a.value === value && a.length === length);
  if (address === undefined) refuse(op, "EADDRNOTAVAIL");
  link.v6 = link.v6.filter((a) => a !== address);
  forget(link, address);
}

function forget(link: LinkState, address: V6Address): void {
  const mask = maskOf(6, address.length);
  const network = address.value & mask;
  const shared = link.v6.some((other) =>
    hasPrefixRoute(link, other) && other.length === address.length &&
    (other.value & mask) === network
  );
  removeRoutes(link.ns, (route) =>
    route.family === 6 && route.dev === link && route.kernel && (
      (route.table === TABLE_LOCAL && route.type === "local" && route.dst === address.value) ||
      (!shared && hasPrefixRoute(link, address) && route.table === TABLE_MAIN &&
        route.dst === network && route.length === address.length)
    ));
  for (const route of link.ns.routes) {
    if (route.family === 6 && route.dev === link && route.prefsrc === address.value) {
      delete route.prefsrc;
    }
  }
}

/** The link-local address the link's addr_gen_mode makes; undefined for mode 1 (none). */
function linkLocalFor(link: LinkState): bigint | undefined {
  const mode = addressGenerationMode(link);
  if (mode === 1) return undefined;
  if (mode === 0) return linkLocalFromMac(link.mac);
  const random = link.ns.kernel.random;
  let id = 0n;
  for (let i = 0; i < 4; i++) id = (id << 16n) | BigInt(Math.floor(random() * 65536));
  return (0xfe80n << 112n) | id;
}

/** Makes the link's link-local address, unless it has one of the kernel's. */
export function ensureLinkLocal(link: LinkState): void {
  if (link.kind === "loopback" || link.v6.some((a) => a.autoconf)) return;
  const value = linkLocalFor(link);
  if (value === undefined || link.v6.some((a) => a.value === value)) return;
  place(link, {
    value,
    length: 64,
    noPrefixRoute: false,
    noDad: false,
    tentative: true,
    scope: SCOPE_LINK,
    autoconf: true,
  });
}

/** A link came up: `lo` gets ::1, and every address its prefix route (and kept ones detection). */
export function linkUp(link: LinkState): void {
  if (ipv6Disabled(link)) return;
  if (link.kind === "loopback" && !link.v6.some((a) => a.value === 1n)) {
    insert(link, {
      value: 1n,
      length: 128,
      noPrefixRoute: false,
      noDad: false,
      tentative: true,
      scope: SCOPE_HOST,
      autoconf: true,
    });
  }
  for (const address of link.v6) {
    addPrefixRoute(link, address);
    startDad(link, address);
  }
}

/**
 * The link is up with carrier for the first time since it came up (IF_READY): it gets ff00::/8
 * and its link-local address, and detection runs for its tentative addresses.
 */
export function linkReady(link: LinkState): void {
  if (ipv6Disabled(link) || link.v6Ready) return;
  link.v6Ready = true;
  if (link.kind === "loopback") return;
  addKernelRoute(link.ns, {
    family: 6,
    table: TABLE_LOCAL,
    type: "multicast",
    dst: 0xffn << 120n,
    length: 8,
    dev: link,
    scope: 0,
    metric: PREFIX_METRIC,
  });
  ensureLinkLocal(link);
  for (const address of link.v6) startDad(link, address);
}

/**
 * A link went down, or IPv6 was disabled on it: its IPv6 routes go, and its addresses but,
 * with keep_addr_on_down (not when disabling), those it was given, which turn tentative again.
 */
export function linkDown(link: LinkState, disabling = false): void {
  removeRoutesThrough(link, 6);
  link.v6Ready = false;
  const keep = !disabling && keepAddressesOnDown(link);
  link.v6 = keep
    ? link.v6.filter((a) => !a.autoconf && !isLinkLocal6(a.value) && !isLoopback6(a.value))
    : [];
  for (const address of link.v6) if (!address.noDad) address.tentative = true;
}

/** IPv6 was enabled again on a link: what coming up does, if it is up. */
export function enabled(link: LinkState): void {
  if (!link.up) return;
  linkUp(link);
  if (operational(link)) linkReady(link);
}

/** A link leaves its namespace: every IPv6 address and route through it goes. */
export function linkGone(link: LinkState): void {
  removeRoutesThrough(link, 6);
  link.v6 = [];
  link.v6Ready = false;
}

/** Ends detection for every tentative address of the link that can end it now. */
export function finishDad(link: LinkState): void {
  if (!link.v6Ready) return;
  for (const address of link.v6) if (address.tentative) complete(link, address);
}
