/**
 * What the namespace toolkit (`./netns`) needs from a way of doing networking: a backend. There
 * are three, with the same behaviour (one contract test suite runs against all of them):
 *
 * - netlink: rtnetlink in this process through Deno's FFI (`--allow-ffi`), the thread switched
 *   into a namespace with `setns` for as long as one synchronous call takes;
 * - exec: `ip`, `tc` and `sysctl` from the system directories, through `nsenter` for a namespace
 *   other than the plugin's own, for a plugin that is not granted FFI;
 * - the model kernel of `./testing`: an in-memory kernel for tests without root.
 *
 * The toolkit checks every name and address before a backend sees it, so a backend gets only
 * valid, canonical values: interface names that pass the kernel's rules, CIDRs and addresses in
 * canonical form, sysctl keys of words separated by dots or slashes.
 *
 * @module
 */
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

/** A backend: the network operations, in a namespace given by path. */
export interface NetnsBackend {
  /** Which backend this is. */
  readonly kind: "netlink" | "exec" | "model";
  /**
   * The operations in the namespace at `path`, or in the process's own namespace when `path`
   * is undefined. Opening does no work; the first operation checks that the path is a network
   * namespace.
   */
  open(path: string | undefined): NamespaceOps;
}

/**
 * The operations of one namespace. Each throws a {@link KernelError} when the kernel refuses (with
 * the errno the kernel gave), `NamespaceMissingError` when the namespace path does not exist, and
 * a code 4 `CniError` when the path is not a network namespace (a FIFO, a regular file).
 */
export interface NamespaceOps {
  /** Every link. */
  links(): Promise<Link[]>;
  /** One link by name or index; undefined when there is none. */
  link(ref: string | number): Promise<Link | undefined>;
  /** Creates a link (ENODEV: no such parent; EEXIST: the name is taken). */
  createLink(spec: LinkSpec): Promise<void>;
  /** Changes a link (ENODEV: no such link or master). */
  setLink(name: string, changes: LinkChanges): Promise<void>;
  /** Renames a link, which must be down (EBUSY when up on older kernels). */
  renameLink(name: string, newName: string): Promise<void>;
  /** Moves a link into the namespace at `netnsPath`, renamed to `newName` when given. */
  moveLink(name: string, netnsPath: string, newName?: string): Promise<void>;
  /** Deletes a link; false when there is none of that name. */
  deleteLink(name: string): Promise<boolean>;
  /** The addresses, of one link or of all (ENODEV for a link that does not exist). */
  addresses(dev?: string): Promise<Address[]>;
  /** Adds an address (EEXIST when the link has it). */
  addAddress(dev: string, cidr: string, options: AddressOptions): Promise<void>;
  /** Deletes an address; false when the link does not have it. */
  deleteAddress(dev: string, cidr: string): Promise<boolean>;
  /** The routes of a family, in the main table, the one given, or every table ("all"). */
  routes(family: 4 | 6, table?: number | "all"): Promise<KernelRoute[]>;
  /**
   * Adds a route (EEXIST when there is one to the same destination, table and metric), or with
   * `replace` replaces it.
   */
  addRoute(route: RouteSpec, replace: boolean): Promise<void>;
  /**
   * Deletes the route with this destination through this device (and next hop, table, metric
   * when given), never one through another device; false when there is none.
   */
  deleteRoute(route: RouteSpec): Promise<boolean>;
  /** The qdiscs, of one link or of all. */
  qdiscs(dev?: string): Promise<Qdisc[]>;
  /** Attaches a token bucket filter as the link's root qdisc (EEXIST when it has one). */
  addTbf(dev: string, spec: TbfSpec): Promise<void>;
  /** Deletes the link's root qdisc; false when it has none of its own (the default). */
  deleteRootQdisc(dev: string): Promise<boolean>;
  /** Reads a sysctl under /proc/sys ("net.ipv4.ip_forward"), trimmed. */
  sysctlGet(key: string): Promise<string>;
  /** Writes a sysctl under /proc/sys. */
  sysctlSet(key: string, value: string): Promise<void>;
}
