/**
 * IPv4 addresses and the routes the kernel makes for them:
 * - an address gets a local route in the local table at once, and, while its link is up, its
 *   subnet's route in main (unless noprefixroute, or a /32) and the subnet's broadcast route
 *   (below /31);
 * - an address in the subnet of an earlier one is a secondary: no routes of its own but its
 *   local route, whose source is the primary;
 * - deleting a primary deletes its secondaries, or promotes the first of them with
 *   promote_secondaries;
 * - a link that goes down loses its routes but those of scope host, and gets them back when it
 *   comes up; a link whose last address goes loses every IPv4 route through it; routes whose
 *   source address is gone from the namespace go with it;
 * - `lo` gets 127.0.0.1/8 each time it comes up.
 *
 * @module
 */
import { lastOf, LOOPBACK4, networkOf, prefixContains } from "./inet.ts";
import { type Op, refuse } from "./refuse.ts";
import {
  addKernelRoute,
  type KernelRouteFields,
  removeRoutes,
  SCOPE_HOST,
  SCOPE_LINK,
  TABLE_LOCAL,
  TABLE_MAIN,
} from "./routes.ts";
import type { LinkState, V4Address } from "./state.ts";
import { promoteSecondaries } from "./sysctl_store.ts";

function sameSubnet(a: V4Address, b: V4Address): boolean {
  return a.length === b.length &&
    prefixContains({ family: 4, value: a.value, length: a.length }, 4, b.value);
}

/** The primary an address's routes take their source from: itself, or its subnet's primary. */
function primaryOf(link: LinkState, address: V4Address): V4Address {
  if (!address.secondary) return address;
  return link.v4.find((other) => !other.secondary && sameSubnet(other, address)) ?? address;
}

/** The routes the kernel makes for an address (`fib_add_ifaddr`), given the link's state. */
function routesFor(link: LinkState, address: V4Address): KernelRouteFields[] {
  const primary = primaryOf(link, address);
  const common = { family: 4 as const, dev: link, metric: 0, prefsrc: primary.value };
  const routes: KernelRouteFields[] = [{
    ...common,
    table: TABLE_LOCAL,
    type: "local",
    dst: address.value,
    length: 32,
    scope: SCOPE_HOST,
  }];
  if (!link.up || address.secondary) return routes;
  const prefix = { family: 4 as const, value: address.value, length: address.length };
  const network = networkOf(prefix);
  if (network === 0n || (network === address.value && address.length === 32)) return routes;
  if (!address.noPrefixRoute) {
    const loopback = link.kind === "loopback";
    routes.push({
      ...common,
      table: loopback ? TABLE_LOCAL : TABLE_MAIN,
      type: loopback ? "local" : "unicast",
      dst: network,
      length: address.length,
      scope: loopback ? SCOPE_HOST : SCOPE_LINK,
    });
  }
  if (address.length < 31) {
    routes.push({
      ...common,
      table: TABLE_LOCAL,
      type: "broadcast",
      dst: lastOf(prefix),
      length: 32,
      scope: SCOPE_LINK,
    });
  }
  return routes;
}

function addRoutesFor(link: LinkState, address: V4Address): void {
  for (const route of routesFor(link, address)) addKernelRoute(link.ns, route);
}

/** Inserts an address where the kernel does: primaries after the last primary of no lower scope, secondaries last. */
function insert(link: LinkState, address: V4Address): void {
  if (address.secondary) {
    link.v4.push(address);
    return;
  }
  let at = 0;
  link.v4.forEach((other, i) => {
    if (!other.secondary && address.scope <= other.scope) at = i + 1;
  });
  link.v4.splice(at, 0, address);
}

/**
 * Adds an address to a link, as a request does.
 *
 * @throws {KernelError} EEXIST when the link has the same address and prefix length
 */
export function addAddress(
  link: LinkState,
  value: bigint,
  length: number,
  noPrefixRoute: boolean,
  op: Op,
): void {
  const address: V4Address = { value, length, noPrefixRoute, secondary: false, scope: 0 };
  for (const other of link.v4) {
    if (sameSubnet(other, address)) {
      if (other.value === value) refuse(op, "EEXIST", "ipv4: Address already assigned");
      address.secondary = true;
    }
  }
  insert(link, address);
  addRoutesFor(link, address);
}

/** Every route the link's addresses would make now. */
function wanted(link: LinkState): KernelRouteFields[] {
  return link.v4.flatMap((address) => routesFor(link, address));
}

/** Removes the kernel's IPv4 routes through the link that no address of it accounts for. */
function dropUnwanted(link: LinkState): void {
  const keep = wanted(link);
  removeRoutes(link.ns, (route) =>
    route.kernel && route.family === 4 && route.dev === link &&
    !keep.some((want) =>
      want.table === route.table && want.type === route.type && want.dst === route.dst &&
      want.length === route.length && want.prefsrc === route.prefsrc && want.scope === route.scope
    ));
}

/** After `value` left a link: routes whose source it was go, unless another link still has it. */
function dropOrphanedSources(link: LinkState, value: bigint): void {
  const stillLocal = [...link.ns.links.values()].some((other) =>
    other.v4.some((address) => address.value === value)
  );
  if (!stillLocal) {
    removeRoutes(link.ns, (route) => route.family === 4 && route.prefsrc === value);
  }
}

/** What follows when a link has no IPv4 address left: every IPv4 route through it goes. */
function dropAllIfEmpty(link: LinkState): void {
  if (link.v4.length === 0) {
    removeRoutes(link.ns, (route) => route.family === 4 && route.dev === link);
  }
}

/**
 * Deletes an address from a link, as a request does: with its secondaries, or promoting the
 * first of them (promote_secondaries).
 *
 * @throws {KernelError} EADDRNOTAVAIL when the link does not have it with that prefix length
 */
export function deleteAddress(link: LinkState, value: bigint, length: number, op: Op): void {
  const address = link.v4.find((a) => a.value === value && a.length === length);
  if (address === undefined) refuse(op, "EADDRNOTAVAIL", "ipv4: Address not found");
  const gone = [address];
  let promoted: V4Address | undefined;
  if (!address.secondary) {
    const secondaries = link.v4.filter((a) => a.secondary && sameSubnet(a, address));
    if (promoteSecondaries(link)) promoted = secondaries[0];
    else gone.push(...secondaries);
  }
  link.v4 = link.v4.filter((a) => !gone.includes(a));
  if (promoted !== undefined) {
    link.v4.splice(link.v4.indexOf(promoted), 1);
    promoted.secondary = false;
    insert(link, promoted);
  }
  dropUnwanted(link);
  if (promoted !== undefined) {
    for (const a of link.v4) if (a === promoted || sameSubnet(a, promoted)) addRoutesFor(link, a);
  }
  for (const a of gone) dropOrphanedSources(link, a.value);
  dropAllIfEmpty(link);
}

/** A link came up: `lo` gets 127.0.0.1/8, and every address its routes. */
export function linkUp(link: LinkState): void {
  if (link.kind === "loopback" && !link.v4.some((a) => a.value === LOOPBACK4 && a.length === 8)) {
    const loopback: V4Address = {
      value: LOOPBACK4,
      length: 8,
      noPrefixRoute: false,
      secondary: link.v4.some((a) =>
        a.length === 8 && prefixContains({ family: 4, value: a.value, length: 8 }, 4, LOOPBACK4)
      ),
      scope: SCOPE_HOST,
    };
    insert(link, loopback);
  }
  for (const address of link.v4) addRoutesFor(link, address);
}

/** A link went down: its IPv4 routes go, but those of scope host. */
export function linkDown(link: LinkState): void {
  removeRoutes(
    link.ns,
    (route) => route.family === 4 && route.dev === link && route.scope !== SCOPE_HOST,
  );
}

/** A link leaves its namespace: its addresses go, with every route through it or from them. */
export function linkGone(link: LinkState): void {
  const values = link.v4.map((address) => address.value);
  link.v4 = [];
  removeRoutes(link.ns, (route) => route.family === 4 && route.dev === link);
  for (const value of values) dropOrphanedSources(link, value);
}
