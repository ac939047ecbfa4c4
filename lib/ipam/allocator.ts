/**
 * Allocation from range sets into a {@link LeaseStore}, in the Go reference host-local's order and
 * with its errors: one address per range set, the one asked for or else the next free one after
 * the address reserved last from that set (see {@link allocationOrder}).
 *
 * @module
 */
import { formatIp, type IpAddress, ipEquals } from "../ip_math.ts";
import {
  type AddressRange,
  allocationOrder,
  formatRangeSet,
  rangeFor,
  rangePrefixLength,
  type RangeSet,
  rangeSetContains,
} from "./range.ts";
import type { LeaseStore } from "./store.ts";

/** An address leased from a range set. */
export interface Allocation {
  /** The address with its range's prefix length: "10.1.0.5/24". */
  readonly address: string;
  /** The range's gateway: "10.1.0.1". */
  readonly gateway: string;
  /** The address alone. */
  readonly ip: IpAddress;
  /** The range it came from. */
  readonly range: AddressRange;
  /** The index of its range set. */
  readonly rangeSet: number;
}

function allocation(ip: IpAddress, range: AddressRange, rangeSet: number): Allocation {
  return {
    address: `${formatIp(ip)}/${rangePrefixLength(range)}`,
    gateway: formatIp(range.gateway),
    ip,
    range,
    rangeSet,
  };
}

/**
 * Leases one address of range set number `index` to the attachment: `requested` when given, or
 * the first free address in {@link allocationOrder} after the one reserved last from this set.
 * The reference's `IPAllocator.Get`. Hold the store's lock.
 *
 * @param store the network's leases, locked
 * @param set the range set
 * @param index the set's index in the configuration: its `last_reserved_ip.<index>`
 * @param containerId the attachment's container ID
 * @param ifName the attachment's interface name
 * @param requested an address of `set` asked for (CNI_ARGS `IP`, `args.cni.ips`, `ips`)
 * @throws {Error} with the reference's message: a requested address that is the gateway
 * (`requested ip 10.1.0.1 is subnet's gateway`) or taken (`requested IP address 10.1.0.5 is not
 * available in range set 10.1.0.1-10.1.0.254`); an attachment that already holds an address of
 * the set (`10.1.0.2 has been allocated to c1, duplicate allocation is not allowed`); a full set
 * (`no IP addresses available in range set: 10.1.0.1-10.1.0.254`)
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseCidr } from "../ip_math.ts";
 * import { allocate } from "./allocator.ts";
 * import { makeRangeSet } from "./range.ts";
 * import { LeaseStore } from "./store.ts";
 *
 * const dataDir = await Deno.makeTempDir();
 * const store = await LeaseStore.open("net1", { dataDir });
 * const set = makeRangeSet([{ subnet: parseCidr("10.1.0.0/29") }]);
 * try {
 *   const first = await store.withLock(() => allocate(store, set, 0, "c1", "eth0"));
 *   const second = await store.withLock(() => allocate(store, set, 0, "c2", "eth0"));
 *   assert.deepEqual([first.address, second.address], ["10.1.0.2/29", "10.1.0.3/29"]);
 *   assert.equal(first.gateway, "10.1.0.1");
 *   await assert.rejects(() => store.withLock(() => allocate(store, set, 0, "c1", "eth0")), {
 *     message: "10.1.0.2 has been allocated to c1, duplicate allocation is not allowed",
 *   });
 * } finally {
 *   store.close();
 *   await Deno.remove(dataDir, { recursive: true });
 * }
 * ```
 */
export async function allocate(
  store: LeaseStore,
  set: RangeSet,
  index: number,
  containerId: string,
  ifName: string,
  requested?: IpAddress,
): Promise<Allocation> {
  if (requested !== undefined) {
    const range = rangeFor(set, requested);
    if (range === undefined) {
      throw new Error(`${formatIp(requested)} not in range set ${formatRangeSet(set)}`);
    }
    if (ipEquals(requested, range.gateway)) {
      throw new Error(`requested ip ${formatIp(requested)} is subnet's gateway`);
    }
    if (!(await store.reserve(containerId, ifName, requested, index))) {
      throw new Error(
        `requested IP address ${formatIp(requested)} is not available in range set ` +
          formatRangeSet(set),
      );
    }
    return allocation(requested, range, index);
  }
  // An attachment gets one address per range set (spec: ADD twice for one attachment is an error).
  for (const held of await store.getById(containerId, ifName)) {
    if (rangeSetContains(set, held)) {
      throw new Error(
        `${formatIp(held)} has been allocated to ${containerId}, duplicate allocation is not ` +
          "allowed",
      );
    }
  }
  const last = await store.lastReservedIp(index);
  for (const candidate of allocationOrder(set, last)) {
    if (await store.reserve(containerId, ifName, candidate, index)) {
      return allocation(candidate, rangeFor(set, candidate)!, index);
    }
  }
  throw new Error(`no IP addresses available in range set: ${formatRangeSet(set)}`);
}

/** Releases the attachment's leases after a failure; the failure is what gets reported. */
async function releaseQuietly(store: LeaseStore, containerId: string, ifName: string) {
  try {
    await store.releaseById(containerId, ifName);
  } catch {
    // As the reference: the allocation error is reported, not this one.
  }
}

/**
 * Leases one address from each range set to the attachment, as the reference host-local's ADD
 * does: each set takes the first of `requested` it holds (the others take the next free
 * address); when a set fails, or a requested address is in no set, every lease of the
 * attachment is released again and the error names the set (`failed to allocate for range 1:
 * ...`) or the addresses (`failed to allocate all requested IPs: 10.9.0.5`). Hold the lock.
 *
 * @param store the network's leases, locked
 * @param sets the configuration's range sets, in order
 * @param containerId the attachment's container ID
 * @param ifName the attachment's interface name
 * @param requested addresses asked for, each in canonical form
 * @returns one allocation per range set, in order
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseCidr, parseIp } from "../ip_math.ts";
 * import { allocateAll } from "./allocator.ts";
 * import { makeRangeSet } from "./range.ts";
 * import { LeaseStore } from "./store.ts";
 *
 * const dataDir = await Deno.makeTempDir();
 * const store = await LeaseStore.open("net1", { dataDir });
 * const sets = [
 *   makeRangeSet([{ subnet: parseCidr("10.1.0.0/24") }]),
 *   makeRangeSet([{ subnet: parseCidr("fd00::/64") }]),
 * ];
 * try {
 *   const got = await store.withLock(() =>
 *     allocateAll(store, sets, "c1", "eth0", [parseIp("fd00::10")!])
 *   );
 *   assert.deepEqual(got.map((a) => a.address), ["10.1.0.2/24", "fd00::10/64"]);
 * } finally {
 *   store.close();
 *   await Deno.remove(dataDir, { recursive: true });
 * }
 * ```
 */
export async function allocateAll(
  store: LeaseStore,
  sets: readonly RangeSet[],
  containerId: string,
  ifName: string,
  requested: readonly IpAddress[] = [],
): Promise<Allocation[]> {
  const pending = new Map<string, IpAddress>();
  for (const ip of requested) pending.set(formatIp(ip), ip);
  const allocations: Allocation[] = [];
  for (const [index, set] of sets.entries()) {
    let wanted: IpAddress | undefined;
    for (const [key, ip] of pending) {
      if (rangeSetContains(set, ip)) {
        wanted = ip;
        pending.delete(key);
        break;
      }
    }
    try {
      allocations.push(await allocate(store, set, index, containerId, ifName, wanted));
    } catch (error) {
      if (allocations.length > 0) await releaseQuietly(store, containerId, ifName);
      if (error instanceof Deno.errors.NotCapable) throw error;
      const why = error instanceof Error ? error.message : String(error);
      throw new Error(`failed to allocate for range ${index}: ${why}`, { cause: error });
    }
  }
  if (pending.size > 0) {
    if (allocations.length > 0) await releaseQuietly(store, containerId, ifName);
    throw new Error(`failed to allocate all requested IPs: ${[...pending.keys()].join(" ")}`);
  }
  return allocations;
}
