/**
 * `deno-host-local`: the reference host-local IPAM plugin, on the kit's public API. It hands out
 * addresses from the configuration's ranges and keeps its leases on disk in the Go plugin's own
 * format and place, so a node can switch between the two and keep its leases.
 *
 * Configuration, in the `ipam` section of the calling plugin's: `subnet` with optional
 * `rangeStart`, `rangeEnd` and `gateway` (one range), `ranges` (a list of range sets, each a
 * list of such ranges; one address per set), `routes`, `dataDir` (default
 * `/var/lib/cni/networks`), `resolvConf` (a resolv.conf file whose settings become the result's
 * DNS). The runtime's `ipRanges` and `ips` capabilities (`runtimeConfig`), `args.cni.ips` and
 * CNI_ARGS `IP` ask for ranges and addresses.
 *
 * - ADD leases one address per range set: the one asked for, else the next free one after the
 *   address leased last from that set (`last_reserved_ip.<n>`), skipping the gateway and wrapping
 *   round. Each lease is `<dataDir>/<network>/<address>`, holding `<container ID>\r\n<ifname>`.
 *   An attachment that already holds an address of a set fails, as the spec requires.
 * - CHECK succeeds while the attachment holds a lease.
 * - DEL releases the attachment's leases; a repeated DEL succeeds.
 * - GC (spec 1.1.0) releases every lease no attachment of `cni.dev/valid-attachments` holds.
 * - STATUS (spec 1.1.0) fails with code 50 when a range set has no free address left.
 *
 * Every change happens under the `flock` of `<dataDir>/<network>/lock`, the Go plugin's lock.
 * Errors carry the Go plugin's messages; docs/differences-from-go.md says where it differs and why.
 *
 * @module
 */
import {
  CniError,
  CURRENT_VERSION,
  definePlugin,
  type Dns,
  ErrorCode,
  type PluginContext,
  type Result100,
  runPlugin,
} from "../lib/mod.ts";
import {
  allocateAll,
  decodeIpamConfig,
  formatRangeSet,
  IPAM_KEYS,
  type IpamDocument,
  type IpamSettings,
  LeaseStore,
  rangeFor,
  rangeSetCapacity,
  readLeases,
  readResolvConf,
  resolveIpamConfig,
} from "../lib/ipam/mod.ts";
import { formatIp, ipEquals, parseIp } from "../lib/ip_math.ts";

const NAME = "deno-host-local";

type Context = PluginContext<{ ipamDocument: IpamDocument }>;

/** The configuration checked as the reference checks it, CNI_ARGS `IP` included. */
function settingsOf(context: Context): IpamSettings {
  return resolveIpamConfig(context.conf.ipamDocument, {
    cniVersion: context.configVersion,
    argsIp: () => {
      const value = context.cniArgs({ IgnoreUnknown: "boolean", IP: "string" }).values.IP;
      return typeof value === "string" ? value : undefined;
    },
  });
}

/** Runs `fn` with the network's store open. */
async function withStore<T>(
  settings: IpamSettings,
  fn: (store: LeaseStore) => Promise<T>,
): Promise<T> {
  const store = await LeaseStore.open(settings.name, { dataDir: settings.dataDir });
  try {
    return await fn(store);
  } finally {
    store.close();
  }
}

/** Releases the given leases again if they are still the attachment's (ADD's answer was lost). */
async function undoLeases(
  settings: IpamSettings,
  containerId: string,
  ifName: string,
  ips: readonly string[],
): Promise<void> {
  await withStore(settings, (store) =>
    store.withLock(async () => {
      const mine = new Set((await store.getById(containerId, ifName)).map(formatIp));
      for (const ip of ips) if (mine.has(ip)) await store.release(ip);
    }));
}

async function add(context: Context): Promise<Result100> {
  const { containerId, ifName } = context;
  const settings = settingsOf(context);
  let dns: Dns | undefined;
  if (settings.resolvConf !== "") dns = await readResolvConf(settings.resolvConf);
  const allocations = await withStore(
    settings,
    (store) =>
      store.withLock(() =>
        allocateAll(store, settings.rangeSets, containerId, ifName, settings.requestedIps)
      ),
  );
  const leased = allocations.map((a) => a.address.slice(0, a.address.indexOf("/")));
  context.onFailure(() => undoLeases(settings, containerId, ifName, leased));
  const result: Result100 = {
    cniVersion: CURRENT_VERSION,
    ips: allocations.map((a) => ({ address: a.address, gateway: a.gateway })),
  };
  if (settings.routes.length > 0) result.routes = settings.routes;
  if (dns !== undefined && Object.keys(dns).length > 0) result.dns = dns;
  return result;
}

async function check(context: Context): Promise<void> {
  const settings = settingsOf(context);
  const found = await withStore(
    settings,
    (store) => store.withLock(() => store.findById(context.containerId, context.ifName)),
  );
  if (!found) {
    throw new Error(`host-local: Failed to find address added by container ${context.containerId}`);
  }
}

async function del(context: Context): Promise<void> {
  const settings = settingsOf(context);
  const errors: string[] = [];
  await withStore(settings, async (store) => {
    // As the reference: once per range set, so that the second pass also releases the
    // container's leases of an older version (which name no interface).
    for (const _set of settings.rangeSets) {
      try {
        await store.withLock(() => store.releaseById(context.containerId, context.ifName));
      } catch (error) {
        if (error instanceof Deno.errors.NotCapable) throw error;
        errors.push(error instanceof Error ? error.message : String(error));
      }
    }
  });
  if (errors.length > 0) throw new Error(errors.join(";"));
}

async function gc(context: Context): Promise<void> {
  const settings = settingsOf(context);
  const valid = context.conf.validAttachments ?? [];
  const released = await withStore(
    settings,
    (store) => store.withLock(() => store.gc(valid)),
  );
  if (released.length > 0) {
    context.log.info("released leases of attachments that are gone", { released });
  }
}

async function status(context: Context): Promise<void> {
  const settings = settingsOf(context);
  const leases = await readLeases(settings.name, { dataDir: settings.dataDir });
  for (const set of settings.rangeSets) {
    let used = 0n;
    for (const lease of leases) {
      const ip = parseIp(lease.ip)!;
      const range = rangeFor(set, ip);
      if (range !== undefined && !ipEquals(ip, range.gateway)) used++;
    }
    if (used >= rangeSetCapacity(set)) {
      throw new CniError(
        ErrorCode.pluginNotAvailable,
        `no IP addresses available in range set: ${formatRangeSet(set)}`,
      );
    }
  }
}

/** The deno-host-local plugin. */
export const hostLocalPlugin = definePlugin({
  name: NAME,
  about: "CNI host-local IPAM plugin (deno-cni)",
  config: (raw, { read }) => {
    const ipamDocument = decodeIpamConfig(raw);
    // The section is decoded as the reference decodes it; its keys count as read, so that a
    // misspelt one is reported.
    const ipam = read.section("ipam");
    for (const key of IPAM_KEYS) ipam?.value(key);
    return { ipamDocument };
  },
  add: (context) => add(context),
  check: (context) => check(context),
  del: (context) => del(context),
  gc: (context) => gc(context),
  status: (context) => status(context),
});

if (import.meta.main) await runPlugin(hostLocalPlugin);
