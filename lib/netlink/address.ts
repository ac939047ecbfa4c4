/**
 * Addresses in rtnetlink: the requests that add, delete and list them (RTM_NEWADDR,
 * RTM_DELADDR, RTM_GETADDR, each a `struct ifaddrmsg` and IFA_* attributes, as `ip address`
 * sends them) and the decoding of the kernel's address messages.
 *
 * @module
 */
import type { Address, AddressOptions } from "../net_types.ts";
import { addressFamily, formatPrefix, type KernelPrefix } from "./_addr.ts";
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
  AF_UNSPEC,
  IFA_ADDRESS,
  IFA_F_NODAD,
  IFA_F_NOPREFIXROUTE,
  IFA_F_TENTATIVE,
  IFA_FLAGS,
  IFA_LOCAL,
  NLM_F_CREATE,
  NLM_F_EXCL,
  RT_SCOPE_HOST,
  RT_SCOPE_LINK,
  RT_SCOPE_UNIVERSE,
  RTM_DELADDR,
  RTM_GETADDR,
  RTM_NEWADDR,
} from "./_uapi.ts";
import { checkIndex } from "./link.ts";

/** The size of `struct ifaddrmsg`. */
const IFADDRMSG = 8;

/** The text of a scope: "global", "link", "host", or the number. */
export function scopeName(scope: number): string {
  switch (scope) {
    case RT_SCOPE_UNIVERSE:
      return "global";
    case RT_SCOPE_LINK:
      return "link";
    case RT_SCOPE_HOST:
      return "host";
    default:
      return String(scope);
  }
}

function addressRequest(
  type: number,
  flags: number,
  index: number,
  prefix: KernelPrefix,
  addressFlags: number,
): Request {
  // `ip` puts flags that fit in a byte in ifa_flags and the others in IFA_FLAGS.
  const encoder = new Encoder()
    .u8(addressFamily(prefix.family))
    .u8(prefix.prefixLength)
    .u8(addressFlags <= 0xff ? addressFlags : 0)
    .u8(RT_SCOPE_UNIVERSE)
    .u32(checkIndex(index));
  encoder.attr(IFA_LOCAL, prefix.bytes);
  if (addressFlags > 0xff) encoder.attrU32(IFA_FLAGS, addressFlags);
  encoder.attr(IFA_ADDRESS, prefix.bytes);
  return { type, flags, body: encoder.finish() };
}

/**
 * The request that adds an address to the link at `index` (RTM_NEWADDR with NLM_F_CREATE and
 * NLM_F_EXCL): IFA_F_NOPREFIXROUTE and, for IPv6, IFA_F_NODAD as asked.
 */
export function addAddressRequest(
  index: number,
  prefix: KernelPrefix,
  options: AddressOptions = {},
): Request {
  let flags = 0;
  if (options.noPrefixRoute) flags |= IFA_F_NOPREFIXROUTE;
  if (options.noDad && prefix.family === 6) flags |= IFA_F_NODAD;
  return addressRequest(RTM_NEWADDR, NLM_F_CREATE | NLM_F_EXCL, index, prefix, flags);
}

/** The request that deletes an address from the link at `index` (RTM_DELADDR). */
export function deleteAddressRequest(index: number, prefix: KernelPrefix): Request {
  return addressRequest(RTM_DELADDR, 0, index, prefix, 0);
}

/** The dump request of the addresses, of both families; `index` asks for one link's. */
export function listAddressesRequest(index = 0): Request {
  const encoder = new Encoder().u8(AF_UNSPEC).u8(0).u8(0).u8(0).u32(index);
  return { type: RTM_GETADDR, flags: 0, body: encoder.finish() };
}

/** An address with the index of its link rather than the link's name. */
export type AddressEntry = Omit<Address, "dev"> & {
  /** The index of the link holding it. */
  index: number;
};

/**
 * An address from an RTM_NEWADDR message; undefined for another message type or family. The
 * address is IFA_LOCAL, or IFA_ADDRESS when there is no IFA_LOCAL (IPv6); the flags come from
 * IFA_FLAGS when the kernel sends it. `noDad`, `noPrefixRoute` and `tentative` are present only
 * when set.
 *
 * @throws {MalformedMessageError} when the message does not parse
 */
export function decodeAddress(message: Message): AddressEntry | undefined {
  if (message.type !== RTM_NEWADDR) return undefined;
  const header = fixedHeader(message.payload, IFADDRMSG, "struct ifaddrmsg");
  const family = header.getUint8(0);
  if (family !== AF_INET && family !== AF_INET6) return undefined;
  const prefixLength = header.getUint8(1);
  const attributes = new Attributes(message.payload.subarray(IFADDRMSG));
  const bytes = attributes.bytes(IFA_LOCAL) ?? attributes.bytes(IFA_ADDRESS);
  const size = family === AF_INET ? 4 : 16;
  if (bytes === undefined || bytes.length !== size || prefixLength > size * 8) {
    throw new MalformedMessageError(
      `an address of ${bytes?.length ?? 0} bytes with prefix length ${prefixLength}`,
    );
  }
  const flags = attributes.u32(IFA_FLAGS) ?? header.getUint8(2);
  return {
    index: header.getUint32(4, true),
    cidr: formatPrefix(bytes, prefixLength),
    family: family === AF_INET ? 4 : 6,
    scope: scopeName(header.getUint8(3)),
    ...((flags & IFA_F_NODAD) !== 0 ? { noDad: true } : {}),
    ...((flags & IFA_F_NOPREFIXROUTE) !== 0 ? { noPrefixRoute: true } : {}),
    ...((flags & IFA_F_TENTATIVE) !== 0 ? { tentative: true } : {}),
  };
}
