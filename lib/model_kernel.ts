/**
 * The model kernel: an in-memory Linux network stack for tests, behind the same backend
 * interface as the real ones, so a plugin runs against it without root and a test can pre-set
 * and inspect the state the plugin leaves.
 *
 * It holds namespaces by path (the host's has none), with their links (`lo`, veth pairs,
 * bridges, macvlans, ipvlans, vlans, dummies, and physical devices a test adds), IPv4 and IPv6
 * addresses with the routes the kernel makes for them, routing tables, sysctls and root qdiscs,
 * and it refuses what Linux refuses with the errno Linux gives (a `KernelError`). The rules
 * were checked against Linux 6.18; where the model and the kernel disagree, the model is wrong.
 *
 * Two things are the model's own choice: duplicate address detection ends at once when it can
 * run (or when the test says, with `dad: "manual"`), and "random" hardware addresses come from
 * a seeded generator, the same on every run.
 *
 * @example A veth pair into a container, as a plugin would make it
 * ```ts
 * import assert from "node:assert/strict";
 * import { modelKernel } from "./model_kernel.ts";
 *
 * const kernel = modelKernel();
 * kernel.addNamespace("/var/run/netns/c1");
 * const host = kernel.backend.open(undefined);
 * await host.createLink({
 *   kind: "veth",
 *   name: "eth0",
 *   netns: "/var/run/netns/c1",
 *   peerName: "veth1",
 * });
 * const inside = kernel.backend.open("/var/run/netns/c1");
 * await inside.setLink("eth0", { up: true });
 * await inside.addAddress("eth0", "10.1.0.5/24", {});
 * const routes = kernel.snapshot("/var/run/netns/c1").routes.ipv4;
 * assert.deepEqual(routes.map((route) => [route.type ?? "unicast", route.dst, route.table]), [
 *   ["unicast", "10.1.0.0/24", "main"],
 *   ["local", "10.1.0.5/32", "local"],
 *   ["broadcast", "10.1.0.255/32", "local"],
 * ]);
 * assert.deepEqual(kernel.changes().map((entry) => entry.operation), [
 *   "create link",
 *   "set link",
 *   "add address",
 * ]);
 * ```
 *
 * @module
 */
import type { NamespacePathKind } from "./host.ts";
import type { NetnsBackend } from "./net_backend.ts";
import type {
  Address,
  AddressOptions,
  KernelRoute,
  Link,
  LinkChanges,
  LinkSpec,
  Qdisc,
  RouteSpec,
  TbfSpec,
} from "./net_types.ts";
import { createModelKernel } from "./_model_kernel/kernel.ts";

export type { NamespacePathKind } from "./host.ts";

/** Options of {@link modelKernel}. */
export interface ModelKernelOptions {
  /** The seed of the generator of "random" hardware addresses; 1 when absent. */
  seed?: number;
  /**
   * Duplicate address detection: "instant" (the default) ends it as soon as it can run (the
   * link is up with carrier); "manual" leaves addresses tentative until
   * {@link ModelKernel.finishDad}.
   */
  dad?: "instant" | "manual";
  /**
   * Whether a link that is up can be renamed, as since Linux 6.2; false plays an older kernel,
   * which says EBUSY. Default true.
   */
  renameUpLinks?: boolean;
}

/** What a path can be made for {@link ModelKernel.addFile}. */
export type ModelFileKind = "fifo" | "file" | "directory" | "socket" | "device" | "symlink";

/** A physical device for {@link ModelNamespace.addDevice} (it has no kind). */
export interface ModelDeviceSpec {
  /** Its name. */
  name: string;
  /** Its MTU; 1500 when absent. */
  mtu?: number;
  /** The largest MTU it takes; 65535 when absent. */
  maxMtu?: number;
  /** Its hardware address; random when absent. */
  mac?: string;
  /** Whether its cable is in; true when absent. */
  carrier?: boolean;
}

/** A namespace's whole state as plain data, for `assert.deepEqual`. */
export interface NamespaceSnapshot {
  /** Every link, by index. */
  links: Link[];
  /** Every address: per link by index, IPv4 then IPv6. */
  addresses: Address[];
  /** Every route of every table, per family, in the kernel's order. */
  routes: { ipv4: KernelRoute[]; ipv6: KernelRoute[] };
  /** Every root qdisc (a link that never came up has none). */
  qdiscs: Qdisc[];
  /**
   * The sysctls whose values differ from a new namespace's (for an interface's keys: from a
   * new link's), by their canonical key ("net.ipv4.conf.eth0.forwarding").
   */
  sysctls: Record<string, string>;
}

/** One operation the backend performed, as {@link ModelKernel.log} records it. */
export interface KernelLogEntry {
  /** The namespace path the operation was asked in; undefined for the host's. */
  netns: string | undefined;
  /**
   * What was done: "create link", "set link", "rename link", "move link", "delete link",
   * "add address", "delete address", "add route", "replace route", "delete route", "add qdisc",
   * "delete qdisc", "write sysctl", or a reading ("list links", "get link", "list addresses",
   * "list routes", "list qdiscs", "read sysctl").
   */
  operation: string;
  /** What it was done to (`link "veth1"`...), as in a `KernelError`; absent for a listing. */
  object?: string;
  /** The call's arguments, copied. */
  args: unknown[];
  /**
   * The errno the kernel refused with (ENOENT for a namespace path that does not exist, EINVAL
   * for one that is not a namespace); absent when it succeeded.
   */
  errno?: string;
}

/**
 * A namespace of the model, synchronously: the backend's operations (without a log entry) and
 * what only a test does. Each throws what the backend would.
 */
export interface ModelNamespace {
  /** The namespace's path; undefined for the host's. */
  readonly path: string | undefined;
  /** Every link. */
  links(): Link[];
  /** One link by name or index. */
  link(ref: string | number): Link | undefined;
  /** Creates a link. */
  createLink(spec: LinkSpec): void;
  /** Changes a link. */
  setLink(name: string, changes: LinkChanges): void;
  /** Renames a link. */
  renameLink(name: string, newName: string): void;
  /** Moves a link into the namespace at `netnsPath` (the host's when undefined). */
  moveLink(name: string, netnsPath: string | undefined, newName?: string): void;
  /** Deletes a link; false when there is none. */
  deleteLink(name: string): boolean;
  /** The addresses, of one link or of all. */
  addresses(dev?: string): Address[];
  /** Adds an address. */
  addAddress(dev: string, cidr: string, options?: AddressOptions): void;
  /** Deletes an address; false when the link does not have it. */
  deleteAddress(dev: string, cidr: string): boolean;
  /** The routes of a family, in main, the table given, or all. */
  routes(family: 4 | 6, table?: number | "all"): KernelRoute[];
  /** Adds a route, or replaces it. */
  addRoute(route: RouteSpec, replace?: boolean): void;
  /** Deletes a route; false when there is none. */
  deleteRoute(route: RouteSpec): boolean;
  /** The root qdiscs, of one link or of all. */
  qdiscs(dev?: string): Qdisc[];
  /** Attaches a token bucket filter as the link's root qdisc. */
  addTbf(dev: string, spec: TbfSpec): void;
  /** Deletes the link's root qdisc; false when it has only the default. */
  deleteRootQdisc(dev: string): boolean;
  /** Reads a sysctl. */
  sysctlGet(key: string): string;
  /** Writes a sysctl. */
  sysctlSet(key: string, value: string): void;
  /** Adds a physical device (no kind: it cannot be deleted, and goes to the host with the namespace). */
  addDevice(spec: ModelDeviceSpec): void;
  /** Plugs or pulls a physical device's cable. */
  setCarrier(name: string, carrier: boolean): void;
  /**
   * Sets a sysctl as a write does, with what it sets off, but takes any value and makes a key
   * that does not exist.
   */
  presetSysctl(key: string, value: string): void;
  /** The namespace's state as plain data. */
  snapshot(): NamespaceSnapshot;
}

/** The model kernel. */
export interface ModelKernel {
  /** The backend to give the namespace toolkit: its operations act on this model. */
  readonly backend: NetnsBackend;
  /** What is at a path, as `Host.namespacePathKind` says it. */
  namespacePathKind(path: string): NamespacePathKind;
  /**
   * Adds a namespace at a path, as `ip netns add` does: it has only `lo`.
   *
   * @throws {Error} when the path is not absolute or something is there already
   */
  addNamespace(path: string): ModelNamespace;
  /**
   * Deletes the namespace at a path: its links go (and a veth whose peer was in it), its
   * physical devices go back to the host's namespace, and every path naming it is removed.
   *
   * @throws {Error} for a path that is not a namespace, or the host's
   */
  deleteNamespace(path: string): void;
  /**
   * Puts a file that is not a namespace at a path, for the toolkit's refusal (code 4).
   *
   * @throws {Error} when something is there already
   */
  addFile(path: string, kind: ModelFileKind): void;
  /**
   * Makes `path` name the namespace at `target` (the host's when undefined), as
   * /proc/1/ns/net does. /proc/self/ns/net, /proc/thread-self/ns/net and /proc/1/ns/net name
   * the host's from the start.
   */
  alias(path: string, target?: string): void;
  /**
   * A namespace of the model, for setting it up and looking at it.
   *
   * @param path the namespace's path; undefined for the host's
   * @throws {NamespaceMissingError} when there is none at the path
   */
  namespace(path?: string): ModelNamespace;
  /** The state of the namespace at a path (the host's when undefined). */
  snapshot(path?: string): NamespaceSnapshot;
  /** Ends duplicate address detection for every tentative address that can end it now. */
  finishDad(): void;
  /** Every operation the backend performed, in order. */
  readonly log: readonly KernelLogEntry[];
  /** The backend's operations that changed something: no readings, no refusals. */
  changes(): KernelLogEntry[];
  /** Empties the log. */
  clearLog(): void;
}

/**
 * Makes a model kernel: a host namespace with `lo`, and nothing else until the test adds it.
 *
 * @param options the seed of hardware addresses, duplicate address detection, renaming up links
 * @returns the kernel, with its backend and the test's handles
 */
export function modelKernel(options: ModelKernelOptions = {}): ModelKernel {
  return createModelKernel(options);
}
