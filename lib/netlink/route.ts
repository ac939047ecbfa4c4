/**
 * Routes in rtnetlink: the requests that add, replace, delete and list them (RTM_NEWROUTE,
 * RTM_DELROUTE, RTM_GETROUTE, each a `struct rtmsg` and RTA_* attributes, as `ip route` sends
 * them) and the decoding of the kernel's route messages.
 *
 * @module
 */
import type { KernelRoute, RouteSpec } from "../net_types.ts";
import {
  addressFamily,
  formatAddress,
  formatPrefix,
  type KernelAddress,
  type KernelPrefix,
  parseAddress,
  parsePrefix,
} from "./_addr.ts";
import { checkInteger, invalid, MAX_U32 } from "./_check.ts";
import {
  Attributes,
  Encoder,
  fixedHeader,
  MalformedMessageError,
  type Message,
  type Request,
} from "./_message.ts";
import {
  AF_INET,
  AF_INET6,
  NLM_F_CREATE,
  NLM_F_EXCL,
  NLM_F_REPLACE,
  RT_SCOPE_HOST,
  RT_SCOPE_LINK,
  RT_SCOPE_NOWHERE,
  RT_SCOPE_UNIVERSE,
  RT_TABLE_LOCAL,
  RT_TABLE_MAIN,
  RT_TABLE_UNSPEC,
  RTA_DST,
  RTA_GATEWAY,
  RTA_METRICS,
  RTA_OIF,
  RTA_PREFSRC,
  RTA_PRIORITY,
  RTA_TABLE,
  RTAX_ADVMSS,
  RTAX_MTU,
  RTM_DELROUTE,
  RTM_F_CLONED,
  RTM_GETROUTE,
  RTM_NEWROUTE,
  RTN_UNICAST,
  RTN_UNSPEC,
  RTPROT_BOOT,
  RTPROT_UNSPEC,
} from "./_uapi.ts";
import { scopeName } from "./address.ts";
import { checkIndex } from "./link.ts";
import { ROUTE_TYPES } from "../_route_types.ts";

/** The size of `struct rtmsg`. */
const RTMSG = 12;

/** A route's values, read and checked, with its device as an index. */
export interface ResolvedRoute {
  /** The destination. */
  readonly dst: KernelPrefix;
  /** The next hop, in the destination's family. */
  readonly via?: KernelAddress;
  /** The preferred source, in the destination's family. */
  readonly src?: KernelAddress;
  /** The outgoing interface's index. */
  readonly oif: number;
  /** The scope's number. */
  readonly scope?: number;
  /** The table. */
  readonly table?: number;
  /** The metric. */
  readonly metric?: number;
  /** The route's MTU. */
  readonly mtu?: number;
  /** The maximum segment size to advertise. */
  readonly advmss?: number;
}

const SCOPES: Readonly<Record<string, number>> = {
  global: RT_SCOPE_UNIVERSE,
  link: RT_SCOPE_LINK,
  host: RT_SCOPE_HOST,
};

/**
 * Reads and checks a route's values: the destination ("10.9.0.0/16", "0.0.0.0/0", or a bare
 * address for a host route), the next hop and source in its family, the numbers in range.
 *
 * @param route the route
 * @param oif the index of `route.dev`, which the caller looked up
 * @throws {CniError} code 7 for a value that is not valid
 */
export function resolveRoute(route: RouteSpec, oif: number): ResolvedRoute {
  return { ...checkRoute(route), oif: checkIndex(oif) };
}

/**
 * Reads and checks a route's values, as {@link resolveRoute} does, before its device's index is
 * known.
 *
 * @throws {CniError} code 7 for a value that is not valid
 */
export function checkRoute(route: RouteSpec): Omit<ResolvedRoute, "oif"> {
  const dst = parsePrefix(route.dst, "route destination", true);
  const inFamily = (text: string, what: string): KernelAddress => {
    const address = parseAddress(text, what);
    if (address.family !== dst.family) {
      throw invalid(what, text, `it is not in the family of the destination ${route.dst}`);
    }
    return address;
  };
  let scope: number | undefined;
  if (typeof route.scope === "number") {
    scope = checkInteger(route.scope, "route scope", 0, 255);
  } else if (route.scope !== undefined) {
    scope = SCOPES[route.scope];
    if (scope === undefined || !Object.hasOwn(SCOPES, route.scope)) {
      throw invalid("route scope", route.scope);
    }
  }
  const optional = (value: number | undefined, what: string, min: number) =>
    value === undefined ? undefined : checkInteger(value, what, min, MAX_U32);
  const table = optional(route.table, "routing table", 1);
  const metric = optional(route.metric, "route metric", 0);
  const mtu = optional(route.mtu, "route MTU", 0);
  const advmss = optional(route.advmss, "route advmss", 0);
  return {
    dst,
    ...(route.via === undefined ? {} : { via: inFamily(route.via, "gateway") }),
    ...(route.src === undefined ? {} : { src: inFamily(route.src, "source address") }),
    ...(scope === undefined ? {} : { scope }),
    ...(table === undefined ? {} : { table }),
    ...(metric === undefined ? {} : { metric }),
    ...(mtu === undefined ? {} : { mtu }),
    ...(advmss === undefined ? {} : { advmss }),
  };
}

/** A route request: `rtmsg` and the attributes in the order `ip route` writes them. */
function routeRequest(
  type: number,
  flags: number,
  route: ResolvedRoute,
  header: { protocol: number; scope: number; type: number },
): Request {
  const table = route.table ?? RT_TABLE_MAIN;
  const encoder = new Encoder()
    .u8(addressFamily(route.dst.family))
    .u8(route.dst.prefixLength)
    .u8(0)
    .u8(0)
    .u8(table < 256 ? table : RT_TABLE_UNSPEC)
    .u8(header.protocol)
    .u8(header.scope)
    .u8(header.type)
    .u32(0);
  if (route.dst.prefixLength > 0) encoder.attr(RTA_DST, route.dst.bytes);
  if (route.via !== undefined) encoder.attr(RTA_GATEWAY, route.via.bytes);
  if (route.src !== undefined) encoder.attr(RTA_PREFSRC, route.src.bytes);
  if (route.metric !== undefined) encoder.attrU32(RTA_PRIORITY, route.metric);
  if (table >= 256) encoder.attrU32(RTA_TABLE, table);
  encoder.attrU32(RTA_OIF, route.oif);
  if (route.mtu !== undefined || route.advmss !== undefined) {
    encoder.nest(RTA_METRICS, () => {
      if (route.mtu !== undefined) encoder.attrU32(RTAX_MTU, route.mtu);
      if (route.advmss !== undefined) encoder.attrU32(RTAX_ADVMSS, route.advmss);
    });
  }
  return { type, flags, body: encoder.finish() };
}

/**
 * The request that adds a route (RTM_NEWROUTE with NLM_F_CREATE and NLM_F_EXCL), or replaces
 * one (NLM_F_REPLACE instead of NLM_F_EXCL) when `replace` is true. As `ip route add`: protocol
 * "boot", type unicast, scope link for a route without a next hop and global for one with, when
 * no scope is given.
 */
export function addRouteRequest(route: ResolvedRoute, replace: boolean): Request {
  const scope = route.scope ?? (route.via === undefined ? RT_SCOPE_LINK : RT_SCOPE_UNIVERSE);
  return routeRequest(
    RTM_NEWROUTE,
    NLM_F_CREATE | (replace ? NLM_F_REPLACE : NLM_F_EXCL),
    route,
    { protocol: RTPROT_BOOT, scope, type: RTN_UNICAST },
  );
}

/**
 * The request that deletes a route (RTM_DELROUTE): as `ip route del`, any protocol, type and
 * (unless given) scope; the kernel matches the device, and the next hop, table and metric given.
 */
export function deleteRouteRequest(route: ResolvedRoute): Request {
  return routeRequest(RTM_DELROUTE, 0, route, {
    protocol: RTPROT_UNSPEC,
    scope: route.scope ?? RT_SCOPE_NOWHERE,
    type: RTN_UNSPEC,
  });
}

/** The dump request of a family's routes, of every table. */
export function listRoutesRequest(family: 4 | 6): Request {
  const encoder = new Encoder().u8(addressFamily(family)).u8(0).u8(0).u8(0).u32(0).u32(0);
  return { type: RTM_GETROUTE, flags: 0, body: encoder.finish() };
}

/** The text of a table: "main", "local" or the number. */
export function tableName(table: number): string {
  return table === RT_TABLE_MAIN ? "main" : table === RT_TABLE_LOCAL ? "local" : String(table);
}

/** A route with the index of its device rather than its name, its family and table's number. */
export type RouteEntry = Omit<KernelRoute, "dev"> & {
  /** 4 or 6. */
  family: 4 | 6;
  /** The outgoing interface's index. */
  oif?: number;
  /** The table's number. */
  tableId: number;
};

/**
 * A route from an RTM_NEWROUTE message; undefined for another type or family, or a cached
 * (cloned) route. The table is RTA_TABLE, or `rtm_table` without it; the default route's
 * destination is "0.0.0.0/0" or "::/0"; the scope is always there ("global" for universe).
 *
 * @throws {MalformedMessageError} when the message does not parse
 */
export function decodeRoute(message: Message): RouteEntry | undefined {
  if (message.type !== RTM_NEWROUTE) return undefined;
  const header = fixedHeader(message.payload, RTMSG, "struct rtmsg");
  const family = header.getUint8(0);
  if (family !== AF_INET && family !== AF_INET6) return undefined;
  if ((header.getUint32(8, true) & RTM_F_CLONED) !== 0) return undefined;
  const size = family === AF_INET ? 4 : 16;
  const dstLength = header.getUint8(1);
  if (dstLength > size * 8) throw new MalformedMessageError(`a route prefix of ${dstLength} bits`);
  const attributes = new Attributes(message.payload.subarray(RTMSG));
  const address = (type: number): string | undefined => {
    const bytes = attributes.bytes(type);
    if (bytes === undefined) return undefined;
    if (bytes.length !== size) {
      throw new MalformedMessageError(`route attribute ${type} has ${bytes.length} bytes`);
    }
    return formatAddress(bytes);
  };
  const dstBytes = attributes.bytes(RTA_DST);
  if (dstBytes !== undefined && dstBytes.length !== size) {
    throw new MalformedMessageError(`a route destination of ${dstBytes.length} bytes`);
  }
  const tableId = attributes.u32(RTA_TABLE) ?? header.getUint8(4);
  const gateway = address(RTA_GATEWAY);
  const prefsrc = address(RTA_PREFSRC);
  const oif = attributes.u32(RTA_OIF);
  const metric = attributes.u32(RTA_PRIORITY);
  const metrics = attributes.nested(RTA_METRICS);
  const mtu = metrics?.u32(RTAX_MTU);
  const advmss = metrics?.u32(RTAX_ADVMSS);
  const typeNumber = header.getUint8(7);
  const type = typeNumber === 1 ? undefined : ROUTE_TYPES[typeNumber] ?? String(typeNumber);
  return {
    family: family === AF_INET ? 4 : 6,
    dst: formatPrefix(dstBytes ?? new Uint8Array(size), dstLength),
    ...(gateway === undefined ? {} : { gateway }),
    ...(oif === undefined ? {} : { oif }),
    table: tableName(tableId),
    tableId,
    scope: scopeName(header.getUint8(6)),
    ...(metric === undefined ? {} : { metric }),
    ...(prefsrc === undefined ? {} : { prefsrc }),
    ...(mtu === undefined ? {} : { mtu }),
    ...(advmss === undefined ? {} : { advmss }),
    ...(type === undefined ? {} : { type }),
  };
}
