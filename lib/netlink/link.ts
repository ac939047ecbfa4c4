/**
 * Links in rtnetlink: the requests that create, change, move and delete them (RTM_NEWLINK,
 * RTM_DELLINK, RTM_GETLINK, each a `struct ifinfomsg` and IFLA_* attributes) and the decoding of
 * the kernel's link messages into {@link Link}s. Attributes come in the order `ip link` sends
 * them, so a request is byte for byte what `ip` sends for the same change.
 *
 * @module
 */
import type { IpvlanMode, Link, LinkChanges, LinkSpec, MacvlanMode } from "../net_types.ts";
import { checkInteger, checkName, formatMac, invalid, MAX_U32, parseMac } from "./_check.ts";
import {
  Attributes,
  attributeString,
  Encoder,
  findAttribute,
  fixedHeader,
  MalformedMessageError,
  type Message,
  type Request,
} from "./_message.ts";
import {
  AF_UNSPEC,
  IFF_ALLMULTI,
  IFF_PROMISC,
  IFF_UP,
  IFLA_ADDRESS,
  IFLA_EXT_MASK,
  IFLA_IFNAME,
  IFLA_INFO_DATA,
  IFLA_INFO_KIND,
  IFLA_IPVLAN_FLAGS,
  IFLA_IPVLAN_MODE,
  IFLA_LINK,
  IFLA_LINK_NETNSID,
  IFLA_LINKINFO,
  IFLA_MACVLAN_MODE,
  IFLA_MASTER,
  IFLA_MTU,
  IFLA_NET_NS_FD,
  IFLA_TXQLEN,
  IFLA_VLAN_ID,
  IPVLAN_MODE_L2,
  IPVLAN_MODE_L3,
  IPVLAN_MODE_L3S,
  MACVLAN_MODE_BRIDGE,
  MACVLAN_MODE_PASSTHRU,
  MACVLAN_MODE_PRIVATE,
  MACVLAN_MODE_SOURCE,
  MACVLAN_MODE_VEPA,
  NLM_F_CREATE,
  NLM_F_EXCL,
  RTEXT_FILTER_SKIP_STATS,
  RTM_DELLINK,
  RTM_GETLINK,
  RTM_NEWLINK,
  VETH_INFO_PEER,
} from "./_uapi.ts";

/** The size of `struct ifinfomsg`. */
const IFINFOMSG = 16;

/** The largest MTU and transmit queue length a request may carry. */
const MAX_MTU = 0x7fffffff;

/** The highest VLAN id. */
const MAX_VLAN_ID = 4094;

/** The largest interface index. */
const MAX_INDEX = 0x7fffffff;

const MACVLAN_MODES: Readonly<Record<MacvlanMode, number>> = {
  private: MACVLAN_MODE_PRIVATE,
  vepa: MACVLAN_MODE_VEPA,
  bridge: MACVLAN_MODE_BRIDGE,
  passthru: MACVLAN_MODE_PASSTHRU,
  source: MACVLAN_MODE_SOURCE,
};

const IPVLAN_MODES: Readonly<Record<IpvlanMode, number>> = {
  l2: IPVLAN_MODE_L2,
  l3: IPVLAN_MODE_L3,
  l3s: IPVLAN_MODE_L3S,
};

function nameOf<T extends string>(
  table: Readonly<Record<T, number>>,
  value: number,
): T | undefined {
  return (Object.keys(table) as T[]).find((name) => table[name] === value);
}

function modeNumber<T extends string>(
  table: Readonly<Record<T, number>>,
  mode: T,
  what: string,
): number {
  if (typeof mode !== "string" || !Object.hasOwn(table, mode)) throw invalid(what, mode);
  return table[mode];
}

/** Writes `struct ifinfomsg`: family AF_UNSPEC, the index, the flags and which of them change. */
function ifinfomsg(encoder: Encoder, index = 0, flags = 0, change = 0): Encoder {
  return encoder.u8(AF_UNSPEC).u8(0).u16(0).s32(index).u32(flags).u32(change);
}

/** An interface index, checked. */
export function checkIndex(index: number, what = "interface index"): number {
  return checkInteger(index, what, 1, MAX_INDEX);
}

/** A namespace fd, checked. */
function checkFd(fd: number): number {
  return checkInteger(fd, "namespace file descriptor", 0, 0x7fffffff);
}

/** The fds and indexes a new link refers to, found by the caller. */
export interface LinkReferences {
  /** The parent's index, in the requesting namespace (macvlan, ipvlan, vlan). */
  parentIndex?: number;
  /** An fd of the namespace to create the link in (for `spec.netns`). */
  netnsFd?: number;
  /** An fd of the namespace to create a veth's peer in (for `spec.peerNetns`). */
  peerNetnsFd?: number;
}

/** The settings of one end of a new link, in the order `ip` writes them. */
function commonAttributes(
  encoder: Encoder,
  settings: { netnsFd?: number; mtu?: number; mac?: string; txqueuelen?: number },
  what: string,
): void {
  if (settings.netnsFd !== undefined) encoder.attrU32(IFLA_NET_NS_FD, checkFd(settings.netnsFd));
  if (settings.mtu !== undefined) {
    encoder.attrU32(IFLA_MTU, checkInteger(settings.mtu, `${what}MTU`, 1, MAX_MTU));
  }
  if (settings.mac !== undefined) {
    encoder.attr(IFLA_ADDRESS, parseMac(settings.mac, `${what}hardware address`));
  }
  if (settings.txqueuelen !== undefined) {
    encoder.attrU32(
      IFLA_TXQLEN,
      checkInteger(settings.txqueuelen, `${what}transmit queue length`, 0, MAX_U32),
    );
  }
}

/**
 * The request that creates a link (RTM_NEWLINK with NLM_F_CREATE and NLM_F_EXCL). A veth's peer
 * gets the same MTU and its own name, hardware address and namespace; a macvlan, ipvlan or vlan
 * needs the parent's index, a link or peer in another namespace that namespace's fd.
 *
 * @throws {CniError} code 7 for an invalid name, number, hardware address or mode
 */
export function createLinkRequest(spec: LinkSpec, references: LinkReferences = {}): Request {
  const name = checkName(spec.name);
  const encoder = ifinfomsg(new Encoder());
  const common = {
    ...(references.netnsFd === undefined ? {} : { netnsFd: references.netnsFd }),
    ...(spec.mtu === undefined ? {} : { mtu: spec.mtu }),
    ...(spec.mac === undefined ? {} : { mac: spec.mac }),
    ...(spec.txqueuelen === undefined ? {} : { txqueuelen: spec.txqueuelen }),
  };
  commonAttributes(encoder, common, "");
  const needsParent = spec.kind === "macvlan" || spec.kind === "ipvlan" || spec.kind === "vlan";
  if (needsParent) {
    checkName(spec.parent, "parent interface name");
    if (references.parentIndex === undefined) throw new TypeError("the parent's index is missing");
    encoder.attrU32(IFLA_LINK, checkIndex(references.parentIndex, "parent interface index"));
  }
  encoder.attrString(IFLA_IFNAME, name);
  encoder.nest(IFLA_LINKINFO, () => {
    switch (spec.kind) {
      case "veth": {
        const peerName = checkName(spec.peerName, "peer interface name");
        encoder.attrString(IFLA_INFO_KIND, "veth", false);
        encoder.nest(IFLA_INFO_DATA, () => {
          encoder.nest(VETH_INFO_PEER, () => {
            ifinfomsg(encoder);
            commonAttributes(encoder, {
              ...(references.peerNetnsFd === undefined ? {} : { netnsFd: references.peerNetnsFd }),
              ...(spec.mtu === undefined ? {} : { mtu: spec.mtu }),
              ...(spec.peerMac === undefined ? {} : { mac: spec.peerMac }),
            }, "peer ");
            encoder.attrString(IFLA_IFNAME, peerName);
          });
        });
        break;
      }
      case "macvlan":
        encoder.attrString(IFLA_INFO_KIND, "macvlan", false);
        if (spec.mode !== undefined) {
          const mode = modeNumber(MACVLAN_MODES, spec.mode, "macvlan mode");
          encoder.nest(IFLA_INFO_DATA, () => encoder.attrU32(IFLA_MACVLAN_MODE, mode));
        }
        break;
      case "ipvlan": {
        const mode = modeNumber(IPVLAN_MODES, spec.mode ?? "l2", "ipvlan mode");
        encoder.attrString(IFLA_INFO_KIND, "ipvlan", false);
        encoder.nest(IFLA_INFO_DATA, () => {
          encoder.attrU16(IFLA_IPVLAN_MODE, mode);
          encoder.attrU16(IFLA_IPVLAN_FLAGS, 0);
        });
        break;
      }
      case "vlan": {
        const id = checkInteger(spec.vlanId, "VLAN id", 0, MAX_VLAN_ID);
        encoder.attrString(IFLA_INFO_KIND, "vlan", false);
        encoder.nest(IFLA_INFO_DATA, () => encoder.attrU16(IFLA_VLAN_ID, id));
        break;
      }
      case "bridge":
      case "dummy":
        encoder.attrString(IFLA_INFO_KIND, spec.kind, false);
        break;
      default:
        throw invalid("link kind", (spec as { kind: unknown }).kind);
    }
  });
  return { type: RTM_NEWLINK, flags: NLM_F_CREATE | NLM_F_EXCL, body: encoder.finish() };
}

/**
 * The request for one link, by name or index (RTM_GETLINK), without statistics.
 *
 * @throws {CniError} code 7 for an invalid name or index
 */
export function getLinkRequest(ref: string | number): Request {
  const encoder = new Encoder();
  if (typeof ref === "number") {
    ifinfomsg(encoder, checkIndex(ref));
  } else {
    ifinfomsg(encoder).attrString(IFLA_IFNAME, checkName(ref));
  }
  encoder.attrU32(IFLA_EXT_MASK, RTEXT_FILTER_SKIP_STATS);
  return { type: RTM_GETLINK, flags: 0, body: encoder.finish() };
}

/** The dump request of every link (RTM_GETLINK), without statistics. */
export function listLinksRequest(): Request {
  const encoder = ifinfomsg(new Encoder()).attrU32(IFLA_EXT_MASK, RTEXT_FILTER_SKIP_STATS);
  return { type: RTM_GETLINK, flags: 0, body: encoder.finish() };
}

/** Changes to a link with its master given by index (0 takes it from its master). */
export type LinkSettings = Omit<LinkChanges, "master"> & {
  /** The master's index; 0 for none. */
  masterIndex?: number;
};

/**
 * The request that changes a link (RTM_NEWLINK on its index, or on its name as IFLA_IFNAME, which
 * the kernel looks up itself): flags through `ifi_flags` and `ifi_change`, the rest as attributes.
 * A link that does not exist is ENODEV.
 *
 * @param ref the link's index or name
 * @throws {CniError} code 7 for an invalid name or a value out of range
 */
export function setLinkRequest(ref: number | string, settings: LinkSettings): Request {
  let flags = 0;
  let change = 0;
  const flag = (bit: number, on: boolean | undefined) => {
    if (on === undefined) return;
    change |= bit;
    if (on) flags |= bit;
  };
  flag(IFF_UP, settings.up);
  flag(IFF_PROMISC, settings.promisc);
  flag(IFF_ALLMULTI, settings.allmulti);
  const byName = typeof ref === "string";
  const encoder = ifinfomsg(new Encoder(), byName ? 0 : checkIndex(ref), flags, change);
  if (byName) encoder.attrString(IFLA_IFNAME, checkName(ref));
  commonAttributes(encoder, {
    ...(settings.mtu === undefined ? {} : { mtu: settings.mtu }),
    ...(settings.mac === undefined ? {} : { mac: settings.mac }),
    ...(settings.txqueuelen === undefined ? {} : { txqueuelen: settings.txqueuelen }),
  }, "");
  if (settings.masterIndex !== undefined) {
    encoder.attrU32(
      IFLA_MASTER,
      checkInteger(settings.masterIndex, "master interface index", 0, MAX_INDEX),
    );
  }
  return { type: RTM_NEWLINK, flags: 0, body: encoder.finish() };
}

/**
 * The request that renames a link (RTM_NEWLINK on its index with the new IFLA_IFNAME).
 *
 * @throws {CniError} code 7 for an invalid name
 */
export function renameLinkRequest(index: number, newName: string): Request {
  const encoder = ifinfomsg(new Encoder(), checkIndex(index));
  encoder.attrString(IFLA_IFNAME, checkName(newName));
  return { type: RTM_NEWLINK, flags: 0, body: encoder.finish() };
}

/**
 * The request that moves a link into the namespace of `netnsFd` (IFLA_NET_NS_FD), renamed when
 * `newName` is given.
 *
 * @throws {CniError} code 7 for an invalid name
 */
export function moveLinkRequest(index: number, netnsFd: number, newName?: string): Request {
  const encoder = ifinfomsg(new Encoder(), checkIndex(index));
  encoder.attrU32(IFLA_NET_NS_FD, checkFd(netnsFd));
  if (newName !== undefined) encoder.attrString(IFLA_IFNAME, checkName(newName));
  return { type: RTM_NEWLINK, flags: 0, body: encoder.finish() };
}

/**
 * The request that deletes a link (RTM_DELLINK on its index, or on its name as IFLA_IFNAME, which
 * the kernel looks up itself). A link that does not exist is ENODEV.
 *
 * @param ref the link's index or name
 * @throws {CniError} code 7 for an invalid name or index
 */
export function deleteLinkRequest(ref: number | string): Request {
  if (typeof ref === "number") {
    return {
      type: RTM_DELLINK,
      flags: 0,
      body: ifinfomsg(new Encoder(), checkIndex(ref)).finish(),
    };
  }
  const encoder = ifinfomsg(new Encoder()).attrString(IFLA_IFNAME, checkName(ref));
  return { type: RTM_DELLINK, flags: 0, body: encoder.finish() };
}

/**
 * The index of the link of an RTM_NEWLINK message, read from its header alone; undefined for a
 * message of another type.
 *
 * @throws {MalformedMessageError} when the message is shorter than its header
 */
export function decodeLinkIndex(message: Message): number | undefined {
  if (message.type !== RTM_NEWLINK) return undefined;
  return fixedHeader(message.payload, IFINFOMSG, "struct ifinfomsg").getInt32(4, true);
}

/**
 * The index and name of the link of an RTM_NEWLINK message, and nothing else of it; undefined for
 * a message of another type.
 *
 * @throws {MalformedMessageError} when the message does not parse or has no name
 */
export function decodeLinkName(message: Message): [index: number, name: string] | undefined {
  return message.type === RTM_NEWLINK ? linkName(message.payload) : undefined;
}

/**
 * The index and name of the link of the payload of an RTM_NEWLINK or RTM_DELLINK message.
 *
 * @throws {MalformedMessageError} when it does not parse or has no name
 */
export function linkName(payload: Uint8Array<ArrayBuffer>): [index: number, name: string] {
  const index = fixedHeader(payload, IFINFOMSG, "struct ifinfomsg").getInt32(4, true);
  const name = findAttribute(payload.subarray(IFINFOMSG), IFLA_IFNAME);
  if (name === undefined) throw new MalformedMessageError(`link ${index} has no name`);
  return [index, attributeString(name)];
}

/** What the kind-specific data (IFLA_INFO_DATA) of a link says. */
function kindData(kind: string, data: Attributes | undefined): Partial<Link> {
  if (data === undefined) return {};
  if (kind === "vlan") {
    const id = data.u16(IFLA_VLAN_ID);
    return id === undefined ? {} : { vlanId: id };
  }
  if (kind === "macvlan" || kind === "macvtap") {
    const mode = data.u32(IFLA_MACVLAN_MODE);
    const name = mode === undefined ? undefined : nameOf(MACVLAN_MODES, mode);
    return name === undefined ? {} : { macvlanMode: name };
  }
  if (kind === "ipvlan" || kind === "ipvtap") {
    const mode = data.u16(IFLA_IPVLAN_MODE);
    const name = mode === undefined ? undefined : nameOf(IPVLAN_MODES, mode);
    return name === undefined ? {} : { ipvlanMode: name };
  }
  return {};
}

/**
 * A link from an RTM_NEWLINK message; undefined for a message of another type. Fields the kernel
 * leaves out are absent; `promisc` and `allmulti` are present only when set.
 *
 * @throws {MalformedMessageError} when the message does not parse or has no name
 */
export function decodeLink(message: Message): Link | undefined {
  if (message.type !== RTM_NEWLINK) return undefined;
  const header = fixedHeader(message.payload, IFINFOMSG, "struct ifinfomsg");
  const index = header.getInt32(4, true);
  const flags = header.getUint32(8, true);
  const attributes = new Attributes(message.payload.subarray(IFINFOMSG));
  const name = attributes.string(IFLA_IFNAME);
  if (name === undefined) throw new MalformedMessageError(`link ${index} has no name`);
  const mtu = attributes.u32(IFLA_MTU);
  const mac = attributes.bytes(IFLA_ADDRESS);
  const txqueuelen = attributes.u32(IFLA_TXQLEN);
  const master = attributes.u32(IFLA_MASTER);
  const linkIndex = attributes.u32(IFLA_LINK);
  const netnsId = attributes.s32(IFLA_LINK_NETNSID);
  const info = attributes.nested(IFLA_LINKINFO);
  const kind = info?.string(IFLA_INFO_KIND);
  // The kernel sends IFLA_LINK only for a link tied to another one (0 when that one is gone).
  const tied = linkIndex !== undefined && linkIndex !== 0;
  return {
    name,
    index,
    ...(mtu === undefined ? {} : { mtu }),
    ...(mac === undefined || mac.length === 0 ? {} : { mac: formatMac(mac) }),
    up: (flags & IFF_UP) !== 0,
    ...(kind === undefined || kind === "" ? {} : { kind }),
    ...(txqueuelen === undefined ? {} : { txqueuelen }),
    ...((flags & IFF_PROMISC) !== 0 ? { promisc: true } : {}),
    ...((flags & IFF_ALLMULTI) !== 0 ? { allmulti: true } : {}),
    ...(master === undefined || master === 0 ? {} : { masterIndex: master }),
    ...(tied ? { linkIndex } : {}),
    ...(tied && netnsId !== undefined && netnsId >= 0 ? { linkNetnsId: netnsId } : {}),
    ...(kind === undefined ? {} : kindData(kind, info?.nested(IFLA_INFO_DATA))),
  };
}
