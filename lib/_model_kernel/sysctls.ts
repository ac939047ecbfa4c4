/**
 * Reading and writing sysctls as requests do, with the kernel's checks and what a write sets off:
 * - a key is found by its path under /proc/sys ("net.ipv4.conf.eth0/100.rp_filter" and
 *   "net/ipv4/conf/eth0.100/rp_filter" are one key, as `sysctl` reads them); a key that does
 *   not exist is ENOENT (ENOTDIR under a key, EISDIR for a directory of keys), a write-only
 *   key is EACCES to read, a read-only one EACCES to write;
 * - numbers are read as the kernel's proc handlers read them (leading white space, a sign,
 *   decimal, 0x hexadecimal or 0 octal, the values a vector has at most; nothing else: EINVAL),
 *   with the bounds of the keys plugins meet; the rest are taken as written;
 * - net.ipv4.ip_forward is net.ipv4.conf.all.forwarding, and writing it sets "default" and
 *   every interface (and accept_redirects of "all" to its opposite); a write to
 *   net.ipv4.conf.default.X sets X on the interfaces where X was never written;
 * - net.ipv6.conf.all.forwarding and all.disable_ipv6 set "default" and every interface;
 *   disable_ipv6 takes IPv6 off an interface or puts it back.
 *
 * @module
 */
import * as ipv6 from "./ipv6.ts";
import { type Op, refuse } from "./refuse.ts";
import { linkByName, type LinkState, type NamespaceState } from "./state.ts";
import {
  INTERFACE_NEIGH_SYSCTLS,
  INTERFACE_READ_ONLY_KEYS,
  LOOPBACK_SYSCTLS,
  NAMESPACE_SYSCTLS,
  READ_ONLY_SYSCTLS,
  WRITE_ONLY_SYSCTLS,
} from "./sysctl_defaults.ts";
import { interfaceKey, ipv6Disabled } from "./sysctl_store.ts";

const INT_MIN = -(2 ** 31);
const INT_MAX = 2 ** 31 - 1;
const UINT_MAX = 2 ** 32 - 1;

/**
 * The canonical form of a key: its path components, joined by "."; a "." inside a component
 * (an interface name) is written "/". A key whose first separator is "/" is a path already;
 * otherwise "." and "/" swap, as `sysctl` reads keys.
 */
export function canonicalKey(key: string): string {
  const first = key.search(/[./]/);
  const path = first >= 0 && key[first] === "/"
    ? key
    : key.replace(/[./]/g, (c) => (c === "." ? "/" : "."));
  return path.split("/").map((part) => part.replaceAll(".", "/")).join(".");
}

/** Where a key lives: a namespace's own table, or one link's per-interface keys. */
type Location =
  | { kind: "namespace"; key: string }
  | { kind: "link"; key: string; link: LinkState; leaf: string };

/** The link and leaf of a per-interface key, if `key` (canonical) names one of a link. */
function interfacePart(
  ns: NamespaceState,
  key: string,
): { link: LinkState; leaf: string } | undefined {
  const parts = key.split(".");
  if (parts.length !== 5 || parts[0] !== "net") return undefined;
  const [, family, group, name, leaf] = parts;
  if (family !== "ipv4" && family !== "ipv6") return undefined;
  if (group !== "conf" && group !== "neigh") return undefined;
  const link = linkByName(ns, name!.replaceAll("/", "."));
  return link === undefined ? undefined : { link, leaf: `${family}.${group}.${leaf}` };
}

function locate(ns: NamespaceState, key: string): Location | undefined {
  const canonical = canonicalKey(key);
  const part = interfacePart(ns, canonical);
  if (part !== undefined && part.link.sysctls.has(part.leaf)) {
    return { kind: "link", key: canonical, ...part };
  }
  if (ns.sysctls.has(canonical)) return { kind: "namespace", key: canonical };
  return undefined;
}

/** Every key of a namespace, its own and its links'. */
function allKeys(ns: NamespaceState): string[] {
  return [
    ...ns.sysctls.keys(),
    ...[...ns.links.values()].flatMap((link) =>
      [...link.sysctls.keys()].map((leaf) => interfaceKey(link, leaf))
    ),
  ];
}

/**
 * Finds a key, or throws what opening a path that is no key gives: ENOTDIR under a key,
 * EISDIR for a directory of keys, ENOENT otherwise.
 */
function find(ns: NamespaceState, key: string, op: Op): Location {
  const at = locate(ns, key);
  if (at !== undefined) return at;
  const canonical = canonicalKey(key);
  const keys = allKeys(ns);
  if (keys.some((other) => canonical.startsWith(`${other}.`))) refuse(op, "ENOTDIR");
  if (keys.some((other) => other.startsWith(`${canonical}.`))) refuse(op, "EISDIR");
  return refuse(op, "ENOENT");
}

function valueAt(ns: NamespaceState, at: Location): string | undefined {
  return at.kind === "link" ? at.link.sysctls.get(at.leaf) : ns.sysctls.get(at.key);
}

/**
 * Reads a key, trimmed.
 *
 * @throws {KernelError} ENOENT for a key that does not exist (ENOTDIR, EISDIR as above), EACCES
 * for a write-only key, EIO for one without a value yet
 */
export function readSysctl(ns: NamespaceState, key: string, op: Op): string {
  const at = find(ns, key, op);
  if (at.kind === "namespace" && WRITE_ONLY_SYSCTLS.includes(at.key)) refuse(op, "EACCES");
  const value = valueAt(ns, at);
  if (value === undefined) refuse(op, "EIO");
  return value.trim();
}

/** One number as proc handlers read it (base 0: decimal, 0x hex, 0 octal); undefined if not one. */
function readNumber(token: string): number | undefined {
  const match = /^(-?)(0[xX][0-9a-fA-F]+|0[0-7]*|[1-9][0-9]*)$/.exec(token);
  if (match === null) return undefined;
  const digits = match[2]!;
  const magnitude = /^0[xX]/.test(digits)
    ? parseInt(digits.slice(2), 16)
    : digits.length > 1 && digits.startsWith("0")
    ? parseInt(digits, 8)
    : parseInt(digits, 10);
  return match[1] === "-" ? -magnitude : magnitude;
}

/** The bounds a key's numbers must keep. */
interface Bounds {
  min: number;
  max: number;
}

/** The bounds of the keys whose handlers check them, by canonical key or leaf pattern. */
function boundsOf(at: Location, ns: NamespaceState, current: string): Bounds {
  const key = at.key;
  const leaf = at.kind === "link"
    ? at.leaf
    : key.replace(/^net\.(ipv[46])\.conf\.(all|default)\./, "$1.conf.");
  if (leaf === "ipv6.conf.addr_gen_mode") return { min: 0, max: 3 };
  if (leaf === "ipv6.conf.mtu") {
    return { min: 1280, max: at.kind === "link" ? at.link.mtu : INT_MAX };
  }
  switch (key) {
    case "net.core.somaxconn":
      return { min: 0, max: INT_MAX };
    case "net.ipv4.ip_local_port_range":
      return { min: 1, max: 65535 };
    case "net.ipv4.ip_unprivileged_port_start":
      return {
        min: 0,
        max: parseInt(ns.sysctls.get("net.ipv4.ip_local_port_range") ?? "65535", 10),
      };
    case "net.ipv4.ping_group_range":
      return { min: 0, max: UINT_MAX - 1 };
  }
  const unsigned = current.split(/\s+/).some((token) => Number(token) > INT_MAX);
  return unsigned ? { min: 0, max: UINT_MAX } : { min: INT_MIN, max: INT_MAX };
}

/** The value a write leaves, or undefined when the kernel refuses it (EINVAL). */
function numbersWritten(value: string, current: string, bounds: Bounds): string | undefined {
  const tokens = value.split(/[ \t\n]+/).filter((token) => token !== "");
  const old = current.split(/\s+/);
  const next = [...old];
  for (let i = 0; i < Math.min(tokens.length, old.length); i++) {
    const number = readNumber(tokens[i]!);
    if (number === undefined || number < bounds.min || number > bounds.max) return undefined;
    next[i] = String(number);
  }
  return next.join("\t");
}

/** The expanded text of an IPv6 address a stable_secret holds, or undefined. */
function secretText(value: string): string | undefined {
  const groups = value.trim().split("::");
  if (groups.length > 2) return undefined;
  const parse = (text: string) => (text === "" ? [] : text.split(":"));
  const head = parse(groups[0]!);
  const tail = groups.length === 2 ? parse(groups[1]!) : [];
  const fill = 8 - head.length - tail.length;
  if ((groups.length === 1 && fill !== 0) || fill < 0) return undefined;
  const all = [...head, ...Array(fill).fill("0"), ...tail];
  if (all.some((group) => !/^[0-9a-fA-F]{1,4}$/.test(group))) return undefined;
  return all.map((group) => group.toLowerCase().padStart(4, "0")).join(":");
}

/** The value a write leaves, after the key's checks. */
function checked(
  ns: NamespaceState,
  at: Location,
  value: string,
  current: string | undefined,
  op: Op,
): string {
  if (
    at.kind === "link" ? at.leaf === "ipv6.conf.stable_secret" : at.key.endsWith(".stable_secret")
  ) {
    return secretText(value) ?? refuse(op, "EIO");
  }
  if (at.key === "net.ipv4.tcp_congestion_control") {
    const name = value.trim();
    const available = (ns.sysctls.get("net.ipv4.tcp_available_congestion_control") ?? "").split(
      " ",
    );
    const allowed = (ns.sysctls.get("net.ipv4.tcp_allowed_congestion_control") ?? "").split(" ");
    if (!available.includes(name)) refuse(op, "ENOENT");
    if (!allowed.includes(name) && name !== current) refuse(op, "EPERM");
    return name;
  }
  if (current === undefined || !/^-?\d+(\t-?\d+)*$/.test(current)) return value.replace(/\n$/, "");
  const next = numbersWritten(value, current, boundsOf(at, ns, current));
  if (next === undefined) refuse(op, "EINVAL");
  if (at.key === "net.ipv4.ip_local_port_range") {
    const [low, high] = next.split("\t").map(Number) as [number, number];
    const unprivileged = parseInt(ns.sysctls.get("net.ipv4.ip_unprivileged_port_start") ?? "0", 10);
    if (high < low || low < unprivileged) refuse(op, "EINVAL");
  }
  if (at.key === "net.ipv4.ping_group_range") {
    const [low, high] = next.split("\t").map(Number) as [number, number];
    if (high < low) return "1\t0";
  }
  return next;
}

/** A key exists but cannot be written. */
function isReadOnly(at: Location): boolean {
  return at.kind === "link"
    ? INTERFACE_READ_ONLY_KEYS.includes(at.leaf)
    : READ_ONLY_SYSCTLS.includes(at.key);
}

/**
 * Writes a key as a request does.
 *
 * @throws {KernelError} ENOENT for a key that does not exist, EACCES for a read-only key,
 * EINVAL for a value the kernel refuses
 */
export function writeSysctl(ns: NamespaceState, key: string, value: string, op: Op): void {
  const at = find(ns, key, op);
  if (isReadOnly(at)) refuse(op, "EACCES");
  // A write-only key is an action (a cache flush): nothing is kept.
  if (at.kind === "namespace" && WRITE_ONLY_SYSCTLS.includes(at.key)) return;
  store(ns, at, checked(ns, at, value, valueAt(ns, at), op));
}

/**
 * Sets a key for a test: like a write, with what it sets off, but any value is taken and a key
 * that does not exist is made (for an existing link's per-interface key, on the link).
 */
export function presetSysctl(ns: NamespaceState, key: string, value: string): void {
  const canonical = canonicalKey(key);
  const at: Location = locate(ns, key) ?? (() => {
    const part = interfacePart(ns, canonical);
    return part === undefined
      ? { kind: "namespace" as const, key: canonical }
      : { kind: "link" as const, key: canonical, ...part };
  })();
  store(ns, at, value);
}

/** Stores a value and applies what the kernel does on such a write. */
function store(ns: NamespaceState, at: Location, value: string): void {
  if (at.kind === "link") {
    const old = at.link.sysctls.get(at.leaf);
    at.link.sysctls.set(at.leaf, value);
    linkWritten(at.link, at.leaf, old, value);
    return;
  }
  const key = at.key === "net.ipv4.ip_forward" ? "net.ipv4.conf.all.forwarding" : at.key;
  const old = ns.sysctls.get(key);
  ns.sysctls.set(key, value);
  if (key === "net.ipv4.conf.all.forwarding") ns.sysctls.set("net.ipv4.ip_forward", value);
  namespaceWritten(ns, key, old, value);
}

function links(ns: NamespaceState): LinkState[] {
  return [...ns.links.values()];
}

function setDisabled(link: LinkState, value: string): void {
  const was = ipv6Disabled(link);
  link.sysctls.set("ipv6.conf.disable_ipv6", value);
  const now = ipv6Disabled(link);
  if (now && !was) ipv6.linkDown(link, true);
  if (was && !now) ipv6.enabled(link);
}

function linkWritten(link: LinkState, leaf: string, old: string | undefined, value: string): void {
  if (leaf.startsWith("ipv4.conf.")) link.sysctlsWritten.add(leaf);
  if (leaf === "ipv6.conf.disable_ipv6") {
    link.sysctls.set(leaf, old);
    setDisabled(link, value);
  }
  if (leaf === "ipv6.conf.addr_gen_mode" && old !== value && link.v6Ready && !ipv6Disabled(link)) {
    ipv6.ensureLinkLocal(link);
  }
}

function namespaceWritten(
  ns: NamespaceState,
  key: string,
  old: string | undefined,
  value: string,
): void {
  if (key === "net.ipv4.conf.all.forwarding") {
    if (old === value) return;
    ns.sysctls.set("net.ipv4.conf.default.forwarding", value);
    ns.sysctls.set("net.ipv4.conf.all.accept_redirects", parseInt(value, 10) ? "0" : "1");
    for (const link of links(ns)) link.sysctls.set("ipv4.conf.forwarding", value);
    return;
  }
  const v4Default = /^net\.ipv4\.conf\.default\.(.+)$/.exec(key);
  if (v4Default !== null && v4Default[1] !== "forwarding") {
    const leaf = `ipv4.conf.${v4Default[1]}`;
    for (const link of links(ns)) {
      if (!link.sysctlsWritten.has(leaf) && link.sysctls.has(leaf)) link.sysctls.set(leaf, value);
    }
    return;
  }
  if (key === "net.ipv6.conf.all.forwarding") {
    ns.sysctls.set("net.ipv6.conf.default.forwarding", value);
    for (const link of links(ns)) link.sysctls.set("ipv6.conf.forwarding", value);
    return;
  }
  if (key === "net.ipv6.conf.all.disable_ipv6") {
    ns.sysctls.set("net.ipv6.conf.default.disable_ipv6", value);
    for (const link of links(ns)) setDisabled(link, value);
  }
}

/** What a key of a link holds in a new namespace (before any write). */
function stockOfLink(link: LinkState, leaf: string): string | undefined {
  if (leaf === "ipv6.conf.mtu") return String(link.mtu);
  if (link.kind === "loopback" && leaf in LOOPBACK_SYSCTLS) return LOOPBACK_SYSCTLS[leaf];
  if (leaf in INTERFACE_NEIGH_SYSCTLS) return INTERFACE_NEIGH_SYSCTLS[leaf];
  const [family, group, name] = leaf.split(".");
  return NAMESPACE_SYSCTLS[`net.${family}.${group}.default.${name}`];
}

/**
 * The keys whose values differ from a new namespace's (for a link's keys, from what a new link
 * has), by canonical key, sorted.
 */
export function changedSysctls(ns: NamespaceState): Record<string, string> {
  const changed: [string, string][] = [];
  for (const [key, value] of ns.sysctls) {
    if (value !== undefined && value !== NAMESPACE_SYSCTLS[key]) changed.push([key, value]);
  }
  for (const link of ns.links.values()) {
    for (const [leaf, value] of link.sysctls) {
      if (value !== undefined && value !== stockOfLink(link, leaf)) {
        changed.push([interfaceKey(link, leaf), value]);
      }
    }
  }
  return Object.fromEntries(changed.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}
