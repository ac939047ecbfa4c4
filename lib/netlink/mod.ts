/**
 * In-process networking for plugins granted `--allow-ffi`: rtnetlink over a NETLINK_ROUTE socket
 * and network namespaces entered with `setns`, through Deno's FFI, with no program run.
 *
 * - {@link netlinkBackend}: the namespace toolkit's netlink backend (links, addresses, routes,
 *   tbf qdiscs and sysctls of a namespace given by path);
 * - {@link openNamespace}: a namespace by path, to run a synchronous block inside
 *   ({@link Namespace.run}), open a socket bound to it or read and write its sysctls.
 *
 * Importing does no work: the C library is opened on first use.
 *
 * @example Running a block inside a namespace
 * ```ts ignore
 * import { openNamespace } from "@deno-cni/deno-cni/netlink";
 *
 * using ns = openNamespace("/var/run/netns/c1");
 * const forwarding = ns.sysctlGet("net.ipv4.ip_forward");
 * // Never `await` inside: the block must be synchronous, and an async one does not compile.
 * const inode = ns.run(() => Deno.readLinkSync("/proc/thread-self/ns/net"));
 * ```
 *
 * @module
 */
export type { NamespaceOps, NetnsBackend } from "../net_backend.ts";
export type {
  Address,
  AddressOptions,
  IpvlanMode,
  KernelRoute,
  Link,
  LinkChanges,
  LinkCommon,
  LinkSpec,
  MacvlanMode,
  Qdisc,
  RouteSpec,
  TbfSettings,
  TbfSpec,
} from "../net_types.ts";
export type { Message, Request } from "./_message.ts";
export { type NetlinkBackend, netlinkBackend, type NetlinkBackendOptions } from "./backend.ts";
export { checkNamespacePath, type Namespace, openNamespace, type SyncBlock } from "./namespace.ts";
export {
  type Context,
  DEFAULT_TIMEOUT_MS,
  ReceiveTimeoutError,
  RouteSocket,
  type RouteSocketOptions,
  type Transport,
} from "./socket.ts";
