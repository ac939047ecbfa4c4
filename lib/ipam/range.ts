/**
 * Address ranges and range sets, as host-local allocates from them: a range is a subnet, the
 * first and last address handed out (both included) and a gateway that never is; a range set is
 * a list of ranges of one family that do not overlap, and an allocation takes one address from
 * a range set.
 *
 * {@link makeRange} fills in what the configuration leaves out, as the Go reference does: the
 * gateway is the network's second address, the range runs from that address to the one before
 * the broadcast address (IPv4) or the network's last address (IPv6). The network address and
 * the broadcast address are therefore never handed out unless a range names them. The errors
 * are the reference's, word for word.
 *
 * @module
 */
import {
  cidrFamily,
  compareIps,
  containsIp,
  familyPrefixLength,
  firstIp,
  formatCidr,
  formatIp,
  type IpAddress,
  type IpCidr,
  ipEquals,
  type IpFamily,
  ipFamily,
  ipToBigInt,
  lastIp,
  networkOf,
  nextIp,
  previousIp,
} from "../ip_math.ts";

/** A range as a configuration gives it: each member optional but the subnet. */
export interface RangeSpec {
  /** The network, host bits as written ("10.1.0.0/24"); absent is an error. */
  subnet?: IpCidr | undefined;
  /** The first address handed out; default: the network's second address. */
  rangeStart?: IpAddress | undefined;
  /** The last address handed out; default: the one before the broadcast (IPv4), the last (IPv6). */
  rangeEnd?: IpAddress | undefined;
  /** The gateway, never handed out; default: the network's second address. */
  gateway?: IpAddress | undefined;
}

/** A range with every member filled in and checked ({@link makeRange}). */
export interface AddressRange {
  /** The network: host bits clear. */
  readonly subnet: IpCidr;
  /** The first address handed out. */
  readonly rangeStart: IpAddress;
  /** The last address handed out. */
  readonly rangeEnd: IpAddress;
  /** The gateway: reported with each address, never handed out. */
  readonly gateway: IpAddress;
}

/** Ranges of one family that do not overlap: one allocation takes one address from them. */
export type RangeSet = readonly AddressRange[];

/** True when `address` is in `subnet` and within the bounds that are set. */
function within(
  subnet: IpCidr,
  address: IpAddress,
  start: IpAddress | undefined,
  end: IpAddress | undefined,
): boolean {
  if (!containsIp(subnet, address)) return false;
  if (start !== undefined && compareIps(address, start) < 0) return false;
  return end === undefined || compareIps(address, end) <= 0;
}

/** The default last address: the one before the broadcast (IPv4), the last one (IPv6). */
function defaultEnd(subnet: IpCidr): IpAddress {
  const last = lastIp(subnet);
  return cidrFamily(subnet) === 4 ? previousIp(last) ?? last : last;
}

/**
 * Checks a range and fills in its defaults, as the Go reference's `Range.Canonicalize` does.
 *
 * @param spec the subnet and the optional start, end and gateway
 * @returns the range
 * @throws {Error} with the reference's message: no subnet (`IP <nil> not v4 nor v6`), a /31 or
 * /32 (/127, /128) network (`Network 10.0.0.0/31 too small to allocate from`), an IPv4-mapped
 * IPv6 subnet, host bits set, a start or end outside the network or the range; and, where the
 * reference would hand out addresses outside the network, a start after the default end
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseCidr } from "../ip_math.ts";
 * import { formatRange, makeRange } from "./range.ts";
 *
 * const range = makeRange({ subnet: parseCidr("10.1.0.0/24") });
 * assert.equal(formatRange(range), "10.1.0.1-10.1.0.254");
 * assert.throws(() => makeRange({ subnet: parseCidr("10.1.0.5/24") }), {
 *   message: "Network has host bits set. For a subnet mask of length 24 the network address is " +
 *     "10.1.0.0",
 * });
 * ```
 */
export function makeRange(spec: RangeSpec): AddressRange {
  const { subnet: given } = spec;
  if (given === undefined) throw new Error("IP <nil> not v4 nor v6");
  if (given.prefixLength > given.bits - 2) {
    throw new Error(`Network ${formatCidr(given)} too small to allocate from`);
  }
  if (given.bits === 128 && cidrFamily(given) === 4) {
    throw new Error("IPNet IP and Mask version mismatch");
  }
  const subnet = networkOf(given);
  if (!ipEquals(subnet.address, given.address)) {
    throw new Error(
      `Network has host bits set. For a subnet mask of length ${given.prefixLength} the ` +
        `network address is ${formatIp(subnet.address)}`,
    );
  }
  const second = nextIp(firstIp(subnet))!;
  const gateway = spec.gateway ?? second;
  if (spec.rangeStart !== undefined && !within(subnet, spec.rangeStart, undefined, spec.rangeEnd)) {
    throw new Error(
      `RangeStart ${formatIp(spec.rangeStart)} not in network ${formatCidr(subnet)}`,
    );
  }
  const rangeStart = spec.rangeStart ?? second;
  if (spec.rangeEnd !== undefined && !within(subnet, spec.rangeEnd, rangeStart, undefined)) {
    throw new Error(`RangeEnd ${formatIp(spec.rangeEnd)} not in network ${formatCidr(subnet)}`);
  }
  const rangeEnd = spec.rangeEnd ?? defaultEnd(subnet);
  if (compareIps(rangeStart, rangeEnd) > 0) {
    throw new Error(`RangeStart ${formatIp(rangeStart)} is after RangeEnd ${formatIp(rangeEnd)}`);
  }
  return { subnet, rangeStart, rangeEnd, gateway };
}

/**
 * True when `address` can be handed out from `range`: same family, in the subnet, from the
 * start to the end. The gateway counts as in the range; allocation skips it.
 */
export function rangeContains(range: AddressRange, address: IpAddress): boolean {
  return within(range.subnet, address, range.rangeStart, range.rangeEnd);
}

/** The family of a range. */
export function rangeFamily(range: AddressRange): IpFamily {
  return ipFamily(range.rangeStart);
}

/** True when two ranges of the same family share an address. */
export function rangesOverlap(a: AddressRange, b: AddressRange): boolean {
  if (rangeFamily(a) !== rangeFamily(b)) return false;
  return rangeContains(a, b.rangeStart) || rangeContains(a, b.rangeEnd) ||
    rangeContains(b, a.rangeStart) || rangeContains(b, a.rangeEnd);
}

/** A range as the reference prints it: "10.1.0.1-10.1.0.254". */
export function formatRange(range: AddressRange): string {
  return `${formatIp(range.rangeStart)}-${formatIp(range.rangeEnd)}`;
}

/**
 * The ranges of a set checked together, as the reference's `RangeSet.Canonicalize` does: at
 * least one, each filled in by {@link makeRange}, all of one family, none overlapping.
 *
 * @throws {Error} with the reference's message (`empty range set`, `mixed address families`,
 * `subnets 10.1.0.1-10.1.0.254 and 10.1.0.129-10.1.0.254 overlap`, or {@link makeRange}'s)
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseCidr } from "../ip_math.ts";
 * import { formatRangeSet, makeRangeSet } from "./range.ts";
 *
 * const set = makeRangeSet([
 *   { subnet: parseCidr("10.1.0.0/24") },
 *   { subnet: parseCidr("10.2.0.0/30") },
 * ]);
 * assert.equal(formatRangeSet(set), "10.1.0.1-10.1.0.254,10.2.0.1-10.2.0.2");
 * assert.throws(
 *   () => makeRangeSet([{ subnet: parseCidr("10.1.0.0/24") }, { subnet: parseCidr("fd00::/64") }]),
 *   { message: "mixed address families" },
 * );
 * ```
 */
export function makeRangeSet(specs: readonly RangeSpec[]): RangeSet {
  if (specs.length === 0) throw new Error("empty range set");
  const ranges: AddressRange[] = [];
  for (const spec of specs) {
    const range = makeRange(spec);
    if (ranges.length > 0 && rangeFamily(range) !== rangeFamily(ranges[0]!)) {
      throw new Error("mixed address families");
    }
    ranges.push(range);
  }
  for (let i = 0; i < ranges.length; i++) {
    for (let j = i + 1; j < ranges.length; j++) {
      if (rangesOverlap(ranges[i]!, ranges[j]!)) {
        throw new Error(
          `subnets ${formatRange(ranges[i]!)} and ${formatRange(ranges[j]!)} overlap`,
        );
      }
    }
  }
  return ranges;
}

/** The range of `set` that holds `address`, or undefined. */
export function rangeFor(set: RangeSet, address: IpAddress): AddressRange | undefined {
  return set.find((range) => rangeContains(range, address));
}

/** True when a range of `set` holds `address`. */
export function rangeSetContains(set: RangeSet, address: IpAddress): boolean {
  return rangeFor(set, address) !== undefined;
}

/** True when any range of `a` overlaps any range of `b`. */
export function rangeSetsOverlap(a: RangeSet, b: RangeSet): boolean {
  return a.some((x) => b.some((y) => rangesOverlap(x, y)));
}

/** A range set as the reference prints it: its ranges joined by ",". */
export function formatRangeSet(set: RangeSet): string {
  return set.map(formatRange).join(",");
}

/** The family of a range set (that of its first range). */
export function rangeSetFamily(set: RangeSet): IpFamily {
  return rangeFamily(set[0]!);
}

/**
 * How many addresses `set` can hand out: every address from start to end of each range, less
 * each range's gateway when it lies within.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseCidr } from "../ip_math.ts";
 * import { makeRangeSet, rangeSetCapacity } from "./range.ts";
 *
 * // 10.1.0.1-10.1.0.6, less the gateway 10.1.0.1
 * assert.equal(rangeSetCapacity(makeRangeSet([{ subnet: parseCidr("10.1.0.0/29") }])), 5n);
 * ```
 */
export function rangeSetCapacity(set: RangeSet): bigint {
  let total = 0n;
  for (const range of set) {
    total += ipToBigInt(range.rangeEnd) - ipToBigInt(range.rangeStart) + 1n;
    if (rangeContains(range, range.gateway)) total -= 1n;
  }
  return total;
}

/**
 * The addresses of `set` in the order the reference tries them: from the address after `last`
 * when a range of the set holds `last`, else from the first range's start; through each range to
 * its end, then on to the next range's start (the last range wraps to the first), until the
 * start comes round again; each range's gateway skipped. So `last` itself comes last.
 *
 * @param set the range set
 * @param last the address reserved last in this set (`last_reserved_ip.<n>`), if any
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { formatIp, parseCidr, parseIp } from "../ip_math.ts";
 * import { allocationOrder, makeRangeSet } from "./range.ts";
 *
 * const set = makeRangeSet([{ subnet: parseCidr("10.1.0.0/29") }]);
 * assert.deepEqual([...allocationOrder(set)].map(formatIp), [
 *   "10.1.0.2", "10.1.0.3", "10.1.0.4", "10.1.0.5", "10.1.0.6",
 * ]);
 * assert.deepEqual([...allocationOrder(set, parseIp("10.1.0.4"))].map(formatIp), [
 *   "10.1.0.5", "10.1.0.6", "10.1.0.2", "10.1.0.3", "10.1.0.4",
 * ]);
 * ```
 */
export function* allocationOrder(
  set: RangeSet,
  last?: IpAddress,
): Generator<IpAddress, void, undefined> {
  if (set.length === 0) return;
  let index = 0;
  let current: IpAddress | undefined;
  if (last !== undefined) {
    const holder = set.findIndex((range) => rangeContains(range, last));
    if (holder >= 0) {
      index = holder;
      current = last;
    }
  }
  // The first address tried; coming back to it ends the walk.
  let start: IpAddress | undefined;
  for (;;) {
    let range = set[index]!;
    if (current === undefined) {
      current = range.rangeStart;
    } else if (ipEquals(current, range.rangeEnd)) {
      index = (index + 1) % set.length;
      range = set[index]!;
      current = range.rangeStart;
    } else {
      current = nextIp(current)!;
    }
    if (start === undefined) start = current;
    else if (ipEquals(current, start)) return;
    if (!ipEquals(current, range.gateway)) yield current;
  }
}

/** A range's prefix length within its family: what each address it hands out is printed with. */
export function rangePrefixLength(range: AddressRange): number {
  return familyPrefixLength(range.subnet);
}
