/**
 * IP address management as the Go reference host-local does it, for IPAM plugins: range sets
 * (`makeRangeSet`, `allocationOrder`), the lease store in host-local's on-disk format
 * (`LeaseStore`: one file per address under `<dataDir>/<network>/`, `last_reserved_ip.<n>`, the
 * `flock`ed `lock`), allocation (`allocate`, `allocateAll`), host-local's configuration
 * (`decodeIpamConfig`, `resolveIpamConfig`) and resolv.conf (`readResolvConf`). A plugin built on
 * it shares its leases with the Go host-local: either can run on a node after the other.
 *
 * @example An IPAM ADD in a few lines
 * ```ts
 * import assert from "node:assert/strict";
 * import { allocateAll, decodeIpamConfig, LeaseStore, resolveIpamConfig } from "./mod.ts";
 *
 * const dataDir = await Deno.makeTempDir();
 * const settings = resolveIpamConfig(
 *   decodeIpamConfig({ name: "net1", ipam: { subnet: "10.1.0.0/24", dataDir } }),
 *   { cniVersion: "1.0.0" },
 * );
 * const store = await LeaseStore.open(settings.name, { dataDir: settings.dataDir });
 * try {
 *   const got = await store.withLock(() =>
 *     allocateAll(store, settings.rangeSets, "c1", "eth0", settings.requestedIps)
 *   );
 *   assert.deepEqual(got.map((a) => [a.address, a.gateway]), [["10.1.0.2/24", "10.1.0.1"]]);
 * } finally {
 *   store.close();
 *   await Deno.remove(dataDir, { recursive: true });
 * }
 * ```
 *
 * @module
 */
export {
  type AddressRange,
  allocationOrder,
  formatRange,
  formatRangeSet,
  makeRange,
  makeRangeSet,
  rangeContains,
  rangeFamily,
  rangeFor,
  rangePrefixLength,
  type RangeSet,
  rangeSetCapacity,
  rangeSetContains,
  rangeSetFamily,
  rangeSetsOverlap,
  rangesOverlap,
  type RangeSpec,
} from "./range.ts";
export {
  type Attachment,
  DEFAULT_DATA_DIR,
  LAST_RESERVED_PREFIX,
  type Lease,
  leaseContent,
  LeaseStore,
  LINE_BREAK,
  LOCK_FILE,
  type OpenOptions,
  parseLeaseContent,
  readLeases,
  StoreError,
} from "./store.ts";
export { allocate, allocateAll, type Allocation } from "./allocator.ts";
export {
  cniArgsIp,
  decodeIpamConfig,
  IPAM_KEYS,
  type IpamDocument,
  type IpamSection,
  type IpamSettings,
  resolveIpamConfig,
  type ResolveOptions,
  type RouteSpec,
} from "./config.ts";
export { parseResolvConf, readResolvConf } from "./resolv_conf.ts";
export type { Dns, Route } from "../types.ts";
export type { JsonObject } from "../_decode.ts";
