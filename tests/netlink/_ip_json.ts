/**
 * What `ip -j` and `tc -raw -j` print, turned into the toolkit's types: the reference the netlink
 * decoders are compared with, for the same kernel state (captured replies, or live namespaces).
 */
import type { Address, KernelRoute, Link, Qdisc } from "../../lib/net_types.ts";

type Json = Record<string, unknown>;

const record = (value: unknown): Json =>
  typeof value === "object" && value !== null && !Array.isArray(value) ? value as Json : {};

const list = (value: unknown): unknown[] => Array.isArray(value) ? value : [];

/** Links from `ip -j -d link show`. */
export function ipLinks(stdout: string): Link[] {
  const entries = list(JSON.parse(stdout)).map(record);
  const indexOf = new Map(entries.map((entry) => [entry.ifname, entry.ifindex as number]));
  return entries.map((entry) => {
    const flags = list(entry.flags);
    const info = record(entry.linkinfo);
    const data = record(info.info_data);
    const kind = info.info_kind as string | undefined;
    const linkIndex = typeof entry.link_index === "number"
      ? entry.link_index
      : typeof entry.link === "string"
      ? indexOf.get(entry.link)
      : undefined;
    const link: Link = {
      name: entry.ifname as string,
      index: entry.ifindex as number,
      ...(typeof entry.mtu === "number" ? { mtu: entry.mtu } : {}),
      ...(typeof entry.address === "string" ? { mac: entry.address } : {}),
      up: flags.includes("UP"),
      ...(kind === undefined ? {} : { kind }),
      ...(typeof entry.txqlen === "number" ? { txqueuelen: entry.txqlen } : {}),
      ...(flags.includes("PROMISC") ? { promisc: true } : {}),
      ...(flags.includes("ALLMULTI") ? { allmulti: true } : {}),
      ...(typeof entry.master === "string" ? { masterIndex: indexOf.get(entry.master)! } : {}),
      ...(linkIndex === undefined ? {} : { linkIndex }),
      ...(typeof entry.link_netnsid === "number" ? { linkNetnsId: entry.link_netnsid } : {}),
      ...(kind === "vlan" && typeof data.id === "number" ? { vlanId: data.id } : {}),
      ...(kind === "macvlan" && typeof data.mode === "string"
        ? { macvlanMode: data.mode as Link["macvlanMode"] & string }
        : {}),
      ...(kind === "ipvlan" && typeof data.mode === "string"
        ? { ipvlanMode: data.mode as Link["ipvlanMode"] & string }
        : {}),
    };
    return link;
  });
}

/** Addresses from `ip -j address show`. */
export function ipAddresses(stdout: string): Address[] {
  return list(JSON.parse(stdout)).map(record).flatMap((entry) =>
    list(entry.addr_info).map(record).map((info): Address => ({
      dev: entry.ifname as string,
      cidr: `${info.local}/${info.prefixlen}`,
      family: info.family === "inet" ? 4 : 6,
      scope: String(info.scope),
      ...(info.nodad === true ? { noDad: true } : {}),
      ...(info.noprefixroute === true ? { noPrefixRoute: true } : {}),
      ...(info.tentative === true ? { tentative: true } : {}),
    }))
  );
}

/**
 * Routes from `ip -j -4|-6 route show [table ...]`, which leaves out the table of a route in the
 * one asked for (`table`, main when none).
 */
export function ipRoutes(stdout: string, family: 4 | 6, table = "main"): KernelRoute[] {
  return list(JSON.parse(stdout)).map(record).map((entry): KernelRoute => {
    const dst = String(entry.dst);
    const metrics = record(list(entry.metrics)[0]);
    return {
      dst: dst === "default"
        ? (family === 4 ? "0.0.0.0/0" : "::/0")
        : dst.includes("/")
        ? dst
        : `${dst}/${family === 4 ? 32 : 128}`,
      ...(typeof entry.gateway === "string" ? { gateway: entry.gateway } : {}),
      ...(typeof entry.dev === "string" ? { dev: entry.dev } : {}),
      table: typeof entry.table === "string" ? entry.table : table,
      scope: typeof entry.scope === "string" ? entry.scope : "global",
      ...(typeof entry.metric === "number" ? { metric: entry.metric } : {}),
      ...(typeof entry.prefsrc === "string" ? { prefsrc: entry.prefsrc } : {}),
      ...(typeof metrics.mtu === "number" ? { mtu: metrics.mtu } : {}),
      ...(typeof metrics.advmss === "number" ? { advmss: metrics.advmss } : {}),
      ...(typeof entry.type === "string" && entry.type !== "unicast" ? { type: entry.type } : {}),
    };
  });
}

/** A handle as `tc` prints it ("8001:", "1:2") as a number. */
function handleNumber(text: string): number {
  const [major = "0", minor = ""] = text.split(":");
  return parseInt(major, 16) * 0x10000 + (minor === "" ? 0 : parseInt(minor, 16));
}

/** Qdiscs from `tc -raw -j qdisc show`; tc prints no tbf peak rate, so `peakrates` adds it. */
export function tcQdiscs(stdout: string, peakrates: Record<string, number> = {}): Qdisc[] {
  return list(JSON.parse(stdout)).map(record).map((entry): Qdisc => {
    const options = record(entry.options);
    const dev = entry.dev as string;
    const peakrate = peakrates[dev];
    const tbf = entry.kind === "tbf"
      ? {
        rate: options.rate as number,
        burst: options.burst as number,
        limit: options.limit as number,
        ...(peakrate === undefined ? {} : { peakrate, mtu: options.minburst as number }),
      }
      : undefined;
    return {
      dev,
      kind: entry.kind as string,
      handle: handleNumber(String(entry.handle)),
      root: entry.root === true,
      parent: entry.root === true ? 0xffffffff : handleNumber(String(entry.parent)),
      ...(tbf === undefined ? {} : { tbf }),
    };
  });
}

/** Sorted copies, for comparing lists whose order differs. */
export function sorted<T>(items: readonly T[]): T[] {
  return [...items].sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b)));
}
