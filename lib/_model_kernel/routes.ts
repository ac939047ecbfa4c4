/**
 * The routing tables: the routes the kernel makes for addresses and links, the routes requests
 * add, replace and delete with the kernel's checks, and the order the kernel lists them in.
 *
 * IPv4 and IPv6 differ where the kernel does:
 * - a route exists once per table, destination and metric (EEXIST), whatever its next hop;
 * - IPv4 refuses host bits in the destination (EINVAL), IPv6 clears them;
 * - an IPv4 next hop must be reached through a route of scope link or host on the device
 *   (ENETUNREACH "Nexthop has invalid gateway"); an IPv6 one through a route on the device
 *   without a next hop (EHOSTUNREACH), unless it is link-local;
 * - an IPv4 route without next hop takes scope link (as `ip route add` asks), an IPv6 route has
 *   no scope; an IPv6 route's metric is 1024 when none (or 0) is given.
 *
 * @module
 */
import type { RouteSpec } from "../net_types.ts";
import {
  type Family,
  isLinkLocal6,
  isMulticast6,
  isV4Mapped6,
  maskOf,
  prefixContains,
  readInet,
  readPrefix,
} from "./inet.ts";
import { type Op, refuse } from "./refuse.ts";
import type { LinkState, NamespaceState, RouteEntry } from "./state.ts";
import { linkByName } from "./state.ts";
import { ipv6Disabled } from "./sysctl_store.ts";

/** The main table. */
export const TABLE_MAIN = 254;
/** The local table, of local and broadcast routes. */
export const TABLE_LOCAL = 255;
/** The default table. */
const TABLE_DEFAULT = 253;

/** Scope numbers. */
export const SCOPE_UNIVERSE = 0;
/** Scope link. */
export const SCOPE_LINK = 253;
/** Scope host. */
export const SCOPE_HOST = 254;

/** The metric of an IPv6 route a request adds without one. */
const IPV6_USER_METRIC = 1024;

/** A route the kernel makes, without its bookkeeping. */
export type KernelRouteFields = Omit<RouteEntry, "kernel" | "seq">;

function sameRoute(a: KernelRouteFields, b: KernelRouteFields): boolean {
  return a.family === b.family && a.table === b.table && a.type === b.type && a.dst === b.dst &&
    a.length === b.length && a.dev === b.dev && a.gateway === b.gateway && a.scope === b.scope &&
    a.metric === b.metric && a.prefsrc === b.prefsrc;
}

/**
 * Adds a route the kernel makes (for an address or a link), after any route with the same key,
 * as the kernel appends its own routes; an identical route is not added twice.
 */
export function addKernelRoute(ns: NamespaceState, fields: KernelRouteFields): void {
  if (ns.routes.some((route) => sameRoute(route, fields))) return;
  ns.routes.push({ ...fields, kernel: true, seq: ++ns.kernel.routeSeq });
}

/** Removes the routes `drop` picks. */
export function removeRoutes(ns: NamespaceState, drop: (route: RouteEntry) => boolean): void {
  ns.routes = ns.routes.filter((route) => !drop(route));
}

/** Removes every route through a link, or those of one family. */
export function removeRoutesThrough(link: LinkState, family?: Family): void {
  removeRoutes(
    link.ns,
    (route) => route.dev === link && (family === undefined || route.family === family),
  );
}

function compareBig(a: bigint, b: bigint): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** The kernel's order within a table: IPv4 by destination, longer prefixes first. */
function compareV4(a: RouteEntry, b: RouteEntry): number {
  return compareBig(a.dst, b.dst) || b.length - a.length || a.metric - b.metric || a.seq - b.seq;
}

/**
 * IPv6 in the order of a walk of the kernel's tree: a prefix after the longer prefixes inside
 * it, others by address.
 */
function compareV6(a: RouteEntry, b: RouteEntry): number {
  if (a.dst !== b.dst || a.length !== b.length) {
    const shorter = a.length < b.length ? a : b;
    const longer = shorter === a ? b : a;
    if (prefixContains({ family: 6, value: shorter.dst, length: shorter.length }, 6, longer.dst)) {
      return shorter === a ? 1 : -1;
    }
    return compareBig(a.dst, b.dst);
  }
  return a.metric - b.metric || a.seq - b.seq;
}

/** The tables in the order the kernel lists them: by its hash of the number. */
function compareTables(a: number, b: number): number {
  return (a % 256) - (b % 256) || a - b;
}

/**
 * The routes of a family in one table or in all, in the kernel's order.
 *
 * @param table a table number, or "all"
 */
export function routesOf(ns: NamespaceState, family: Family, table: number | "all"): RouteEntry[] {
  const compare = family === 4 ? compareV4 : compareV6;
  return ns.routes
    .filter((route) => route.family === family && (table === "all" || route.table === table))
    .sort((a, b) => compareTables(a.table, b.table) || compare(a, b));
}

/** A request's route with its values read and the kernel's defaults filled in. */
interface RouteRequest {
  family: Family;
  dst: bigint;
  length: number;
  hostBits: boolean;
  dev: LinkState;
  gateway?: bigint;
  prefsrc?: bigint;
  scope?: number;
  table: number;
  metric?: number;
  mtu?: number;
  advmss?: number;
}

const SCOPES: Readonly<Record<string, number>> = {
  global: SCOPE_UNIVERSE,
  link: SCOPE_LINK,
  host: SCOPE_HOST,
};

function readRequest(ns: NamespaceState, spec: RouteSpec, op: Op): RouteRequest {
  let dst: { family: Family; value: bigint; length: number } | undefined;
  if (spec.dst === "default") {
    const family: Family = spec.via?.includes(":") ? 6 : 4;
    dst = { family, value: 0n, length: 0 };
  } else {
    dst = spec.dst.includes("/") ? readPrefix(spec.dst) : (() => {
      const address = readInet(spec.dst);
      return address && { ...address, length: address.family === 4 ? 32 : 128 };
    })();
  }
  if (dst === undefined) refuse(op, "EINVAL");
  const gateway = spec.via === undefined ? undefined : readInet(spec.via);
  const prefsrc = spec.src === undefined ? undefined : readInet(spec.src);
  if (
    (spec.via !== undefined && gateway?.family !== dst.family) ||
    (spec.src !== undefined && prefsrc?.family !== dst.family)
  ) {
    refuse(op, "EINVAL");
  }
  const table = spec.table === undefined || spec.table === 0 ? TABLE_MAIN : spec.table;
  const scope = typeof spec.scope === "string" ? SCOPES[spec.scope] : spec.scope;
  for (const value of [table, scope, spec.metric, spec.mtu, spec.advmss]) {
    if (
      value !== undefined && !(Number.isSafeInteger(value) && value >= 0 && value <= 0xffffffff)
    ) {
      refuse(op, "EINVAL");
    }
  }
  const dev = linkByName(ns, spec.dev);
  if (dev === undefined) refuse(op, "ENODEV");
  const mask = maskOf(dst.family, dst.length);
  return {
    family: dst.family,
    dst: dst.value & mask,
    length: dst.length,
    hostBits: (dst.value & mask) !== dst.value,
    dev,
    ...(gateway !== undefined && gateway.value !== 0n && { gateway: gateway.value }),
    ...(prefsrc !== undefined && { prefsrc: prefsrc.value }),
    ...(scope !== undefined && { scope }),
    table,
    ...(spec.metric !== undefined && { metric: spec.metric }),
    ...(spec.mtu !== undefined && spec.mtu !== 0 && { mtu: Math.min(spec.mtu, 65535 - 15) }),
    ...(spec.advmss !== undefined && spec.advmss !== 0 &&
      { advmss: Math.min(spec.advmss, 65535 - 40) }),
  };
}

/** The longest-prefix route of a table through `dev` covering `value` that `accept` takes. */
function lookup(
  ns: NamespaceState,
  family: Family,
  table: number,
  value: bigint,
  accept: (route: RouteEntry) => boolean,
): RouteEntry | undefined {
  let best: RouteEntry | undefined;
  for (const route of routesOf(ns, family, table)) {
    if (!prefixContains({ family, value: route.dst, length: route.length }, family, value)) {
      continue;
    }
    if (!accept(route)) continue;
    if (best === undefined || route.length > best.length) best = route;
  }
  return best;
}

/** The route the kernel's lookup finds: in `first` if given, else through local, main, default. */
function ruleLookup(
  ns: NamespaceState,
  family: Family,
  value: bigint,
  first: number | undefined,
  accept: (route: RouteEntry) => boolean,
): RouteEntry | undefined {
  if (first !== undefined) {
    const found = lookup(ns, family, first, value, accept);
    if (found !== undefined) return found;
  }
  for (const table of [TABLE_LOCAL, TABLE_MAIN, TABLE_DEFAULT]) {
    const found = lookup(ns, family, table, value, accept);
    if (found !== undefined) return found;
  }
  return undefined;
}

/** True when `value` is an address of the namespace: a local route in the local table has it. */
function isLocalV4(ns: NamespaceState, value: bigint): boolean {
  return ruleLookup(ns, 4, value, TABLE_LOCAL, () => true)?.type === "local";
}

function checkV4(ns: NamespaceState, request: RouteRequest, op: Op): number {
  if (request.hostBits) refuse(op, "EINVAL", "Invalid prefix for given prefix length");
  const scope = request.scope ?? (request.gateway === undefined ? SCOPE_LINK : SCOPE_UNIVERSE);
  if (scope > SCOPE_HOST) refuse(op, "EINVAL", "Invalid scope");
  if (scope === SCOPE_HOST) {
    if (request.gateway !== undefined) {
      refuse(op, "EINVAL", "Route with host scope can not have a gateway");
    }
  } else if (request.gateway !== undefined) {
    const needed = Math.max(scope + 1, SCOPE_LINK);
    const table = request.table === TABLE_MAIN ? undefined : request.table;
    const found = ruleLookup(
      ns,
      4,
      request.gateway,
      table,
      (route) => route.scope >= needed && route.dev === request.dev,
    );
    if (found === undefined) refuse(op, "ENETUNREACH", "Nexthop has invalid gateway");
    if (found.type !== "unicast" && found.type !== "local") {
      refuse(op, "EINVAL", "Nexthop has invalid gateway");
    }
    if (!request.dev.up) refuse(op, "ENETDOWN");
  } else if (!request.dev.up) {
    refuse(op, "ENETDOWN", "Device for nexthop is not up");
  }
  if (request.prefsrc !== undefined && !isLocalV4(ns, request.prefsrc)) {
    refuse(op, "EINVAL", "Invalid prefsrc address");
  }
  return scope;
}

/** The IPv6 addresses of the namespace: (link, value, tentative). */
function v6Addresses(
  ns: NamespaceState,
): { link: LinkState; value: bigint; tentative: boolean; scope: number }[] {
  return [...ns.links.values()].flatMap((link) =>
    link.v6.map((address) => ({
      link,
      value: address.value,
      tentative: address.tentative,
      scope: address.scope,
    }))
  );
}

function checkV6(ns: NamespaceState, request: RouteRequest, op: Op): void {
  const { dev, gateway } = request;
  if (gateway !== undefined) {
    const linkLocal = isLinkLocal6(gateway);
    const local = v6Addresses(ns).some((address) =>
      address.value === gateway && (!linkLocal || address.link === dev)
    );
    if (local) refuse(op, "EINVAL", "Gateway can not be a local address");
    if (!linkLocal) {
      if (isMulticast6(gateway) || gateway === 0n) refuse(op, "EINVAL", "Invalid gateway address");
      // The route's table first: its route to the gateway must have no next hop of its own,
      // else the lookup through the rules decides.
      const accept = (route: RouteEntry) => route.dev === dev;
      const inTable = lookup(ns, 6, request.table, gateway, accept);
      const found = inTable !== undefined && inTable.gateway === undefined
        ? inTable
        : ruleLookup(ns, 6, gateway, undefined, accept);
      if (found === undefined || found.gateway !== undefined || isV4Mapped6(gateway)) {
        refuse(op, "EHOSTUNREACH");
      }
    }
    if (dev.kind === "loopback") {
      refuse(op, "EINVAL", "Egress device can not be loopback device for this route");
    }
  }
  if (ipv6Disabled(dev)) refuse(op, "EACCES", "IPv6 is disabled on nexthop device");
  if (!dev.up) refuse(op, "ENETDOWN", "Nexthop device is not up");
  if (request.prefsrc !== undefined) {
    const prefsrc = request.prefsrc;
    const valid = v6Addresses(ns).some((address) =>
      address.value === prefsrc && !address.tentative &&
      (address.link === dev || address.scope === SCOPE_UNIVERSE)
    );
    if (!valid) refuse(op, "EINVAL", "Invalid source address");
  }
}

/**
 * Adds a route as a request does, or with `replace` replaces the one of the same table,
 * destination and metric.
 *
 * @throws {KernelError} with the kernel's errno when it refuses
 */
export function addRoute(ns: NamespaceState, spec: RouteSpec, replace: boolean, op: Op): void {
  const request = readRequest(ns, spec, op);
  let scope = SCOPE_UNIVERSE;
  let metric: number;
  if (request.family === 4) {
    scope = checkV4(ns, request, op);
    metric = request.metric ?? 0;
  } else {
    checkV6(ns, request, op);
    metric = request.metric === undefined || request.metric === 0
      ? IPV6_USER_METRIC
      : request.metric;
  }
  const entry: RouteEntry = {
    family: request.family,
    table: request.table,
    dst: request.dst,
    length: request.length,
    type: "unicast",
    dev: request.dev,
    ...(request.gateway !== undefined && { gateway: request.gateway }),
    scope,
    metric,
    ...(request.prefsrc !== undefined && { prefsrc: request.prefsrc }),
    ...(request.mtu !== undefined && { mtu: request.mtu }),
    ...(request.advmss !== undefined && { advmss: request.advmss }),
    kernel: false,
    seq: ++ns.kernel.routeSeq,
  };
  const existing = routesOf(ns, request.family, request.table).find((route) =>
    route.dst === entry.dst && route.length === entry.length && route.metric === metric
  );
  if (existing !== undefined) {
    if (!replace) refuse(op, "EEXIST");
    ns.routes[ns.routes.indexOf(existing)] = { ...entry, seq: existing.seq };
    return;
  }
  ns.routes.push(entry);
}

/**
 * Deletes the first route of the table with this destination through this device that matches
 * what else is given (next hop, metric, scope, source, MTU, MSS).
 *
 * @throws {KernelError} ESRCH when there is none
 */
export function deleteRoute(ns: NamespaceState, spec: RouteSpec, op: Op): void {
  const request = readRequest(ns, spec, op);
  if (request.family === 4 && request.hostBits) {
    refuse(op, "EINVAL", "Invalid prefix for given prefix length");
  }
  const found = routesOf(ns, request.family, request.table).find((route) =>
    route.dst === request.dst && route.length === request.length && route.dev === request.dev &&
    (request.gateway === undefined || route.gateway === request.gateway) &&
    (!request.metric || route.metric === request.metric) &&
    (request.family === 6 || request.scope === undefined || route.scope === request.scope) &&
    (request.family === 6 || request.prefsrc === undefined || route.prefsrc === request.prefsrc) &&
    (request.mtu === undefined || route.mtu === request.mtu) &&
    (request.advmss === undefined || route.advmss === request.advmss)
  );
  if (found === undefined) refuse(op, "ESRCH");
  removeRoutes(ns, (route) => route === found);
}
