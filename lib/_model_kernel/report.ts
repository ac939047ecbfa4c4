/**
 * The model's state as the kernel reports it, in the toolkit's types: links, addresses and
 * routes. The MTU, hardware address and queue length of a link are always there; the others
 * only when they apply, as `ip -j` prints them (promisc and allmulti only when on, a route's
 * type only when it is not unicast, an IPv4 route's metric only when it is not 0).
 *
 * @module
 */
import type { Address, KernelRoute, Link } from "../net_types.ts";
import { inetText, prefixText } from "./inet.ts";
import { nsidOf } from "./nsids.ts";
import { SCOPE_HOST, SCOPE_LINK, TABLE_LOCAL, TABLE_MAIN } from "./routes.ts";
import type { LinkState, RouteEntry } from "./state.ts";

/** A scope's name, or its number as text. */
export function scopeName(scope: number): string {
  switch (scope) {
    case 0:
      return "global";
    case 200:
      return "site";
    case SCOPE_LINK:
      return "link";
    case SCOPE_HOST:
      return "host";
    case 255:
      return "nowhere";
    default:
      return String(scope);
  }
}

/** A link as the kernel reports it. */
export function linkReport(link: LinkState): Link {
  const tie = link.kind === "veth" ? link.peer : link.parent;
  const kind = link.kind === "loopback" || link.kind === "device" ? undefined : link.kind;
  return {
    name: link.name,
    index: link.index,
    mtu: link.mtu,
    mac: link.mac,
    up: link.up,
    ...(kind !== undefined && { kind }),
    txqueuelen: link.txqueuelen,
    ...(link.promisc && { promisc: true }),
    ...(link.allmulti && { allmulti: true }),
    ...(link.master !== undefined && { masterIndex: link.master.index }),
    ...(tie !== undefined && { linkIndex: tie.index }),
    ...(tie !== undefined && tie.ns !== link.ns && { linkNetnsId: nsidOf(link.ns, tie.ns) }),
    ...(link.vlanId !== undefined && { vlanId: link.vlanId }),
    ...(link.macvlanMode !== undefined && { macvlanMode: link.macvlanMode }),
    ...(link.ipvlanMode !== undefined && { ipvlanMode: link.ipvlanMode }),
  };
}

/** A link's addresses as the kernel reports them: IPv4 first, each family in its order. */
export function addressReports(link: LinkState): Address[] {
  const v4 = link.v4.map((address): Address => ({
    dev: link.name,
    cidr: prefixText(4, address.value, address.length),
    family: 4,
    scope: scopeName(address.scope),
    ...(address.noPrefixRoute && { noPrefixRoute: true }),
  }));
  const v6 = link.v6.map((address): Address => ({
    dev: link.name,
    cidr: prefixText(6, address.value, address.length),
    family: 6,
    scope: scopeName(address.scope),
    ...(address.noDad && { noDad: true }),
    ...(address.noPrefixRoute && { noPrefixRoute: true }),
    ...(address.tentative && { tentative: true }),
  }));
  return [...v4, ...v6];
}

/** A table's name: "main", "local" or its number. */
function tableName(table: number): string {
  return table === TABLE_MAIN ? "main" : table === TABLE_LOCAL ? "local" : String(table);
}

/** A route as the kernel reports it. */
export function routeReport(route: RouteEntry): KernelRoute {
  const { family } = route;
  return {
    dst: prefixText(family, route.dst, route.length),
    ...(route.gateway !== undefined && { gateway: inetText(family, route.gateway) }),
    dev: route.dev.name,
    table: tableName(route.table),
    scope: scopeName(route.scope),
    ...((family === 6 || route.metric !== 0) && { metric: route.metric }),
    ...(route.prefsrc !== undefined && { prefsrc: inetText(family, route.prefsrc) }),
    ...(route.mtu !== undefined && { mtu: route.mtu }),
    ...(route.advmss !== undefined && { advmss: route.advmss }),
    ...(route.type !== "unicast" && { type: route.type }),
  };
}
