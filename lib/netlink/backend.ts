/**
 * The netlink backend of the namespace toolkit: every operation is rtnetlink in this process,
 * through Deno's FFI (`--allow-ffi`), with no program run. `open(path)` does no work; the first
 * operation (or `prepare()`) checks the path, enters the namespace once to open a NETLINK_ROUTE
 * socket bound to it, and comes back; every later operation talks to that socket from the
 * plugin's own namespace. A sysctl is a file under /proc/sys opened inside the namespace.
 *
 * A link is changed or deleted by name, which the kernel looks up itself. A request that needs an
 * index (an address, a route, a qdisc, a rename or move) takes the one the backend found before
 * for that name, or looks the name up with the kernel (RTM_GETLINK): see {@link KnownIndexes}. A
 * missing link is ENODEV, named in the error as the operation's object.
 *
 * @module
 */
import { goQuoteCapped, QUOTE_LIMIT_BYTES } from "../_go_quote.ts";
import type { Preparable } from "../_lazy_backend.ts";
import type { NamespaceOps, NetnsBackend } from "../net_backend.ts";
import { KernelError } from "../net_errors.ts";
import type { Address, KernelRoute, Link, LinkSpec, Qdisc } from "../net_types.ts";
import { parsePrefix } from "./_addr.ts";
import { readPath } from "./_file.ts";
import { SystemCallError } from "./_libc.ts";
import type { Message } from "./_message.ts";
import {
  addAddressRequest,
  decodeAddress,
  deleteAddressRequest,
  listAddressesRequest,
} from "./address.ts";
import { ERRNO, kernelError } from "./errno.ts";
import {
  createLinkRequest,
  decodeLink,
  decodeLinkIndex,
  decodeLinkName,
  deleteLinkRequest,
  getLinkRequest,
  type LinkReferences,
  listLinksRequest,
  moveLinkRequest,
  renameLinkRequest,
  setLinkRequest,
} from "./link.ts";
import { type Namespace, openNamespace } from "./namespace.ts";
import {
  addRouteRequest,
  checkRoute,
  decodeRoute,
  deleteRouteRequest,
  listRoutesRequest,
} from "./route.ts";
import { type Context, RouteSocket } from "./socket.ts";
import { readSysctl, writeSysctl } from "./sysctl.ts";
import {
  addTbfRequest,
  decodeQdisc,
  deleteRootQdiscRequest,
  listQdiscsRequest,
  ticksPerMicrosecond,
} from "./tc.ts";
import { RT_TABLE_MAIN } from "./_uapi.ts";

/** Options of {@link netlinkBackend}. */
export interface NetlinkBackendOptions {
  /**
   * The longest one exchange with the kernel may take, in milliseconds (default 10 seconds):
   * a kernel that does not answer is an EAGAIN KernelError, never a hang.
   */
  timeoutMs?: number;
}

/** The netlink backend, which holds a socket (and a namespace fd) per namespace it opened. */
export interface NetlinkBackend extends NetnsBackend {
  /** "netlink". */
  readonly kind: "netlink";
  /** Closes every socket and namespace fd the backend opened; operations after that reopen. */
  close(): void;
  /** Closes every socket and namespace fd the backend opened. */
  [Symbol.dispose](): void;
}

let ticks: number | undefined;

/** The scheduler's ticks per microsecond, from /proc/net/psched, read once. */
function schedulerTicks(): number {
  if (ticks === undefined) {
    try {
      ticks = ticksPerMicrosecond(readPath("/proc/net/psched"));
    } catch (error) {
      if (error instanceof SystemCallError) {
        throw kernelError(error.errno, "read", '"/proc/net/psched"', `${error.call} failed`);
      }
      throw error;
    }
  }
  return ticks;
}

/** Printable ASCII but `"` and `\`: what Go's `%q` writes as it is. */
const PLAIN = /^[ !#-[\]-~]*$/;

/**
 * A name or path quoted as Go's `%q` does. Plain ASCII, all interface names in practice, is
 * quoted here: the general quoting compiles a Unicode expression on first use, a millisecond
 * of the first error's cost (and a missing link is a usual answer).
 */
const quote = (text: string) =>
  text.length <= QUOTE_LIMIT_BYTES && PLAIN.test(text) ? `"${text}"` : goQuoteCapped(text);

/**
 * The context of a request, its object written only when an error names it: quoting runs for
 * every request otherwise, and its first use compiles a Unicode expression.
 */
function lazyContext(operation: string, object: () => string): Context {
  return {
    operation,
    get object() {
      return object();
    },
  };
}

function isErrno(error: unknown, ...names: string[]): error is KernelError {
  return error instanceof KernelError && names.includes(error.errno);
}

/** A socket and, for a namespace other than the plugin's own, the namespace it is bound to. */
interface Session {
  readonly socket: RouteSocket;
  readonly namespace?: Namespace;
}

/** The namespace at `path` of one of `sessions`, open and checked already; else undefined. */
function sessionNamespace(sessions: Set<Session>, path: string): Namespace | undefined {
  for (const session of sessions) {
    if (session.namespace?.path === path) return session.namespace;
  }
  return undefined;
}

function closeSession(session: Session): void {
  session.socket.close();
  session.namespace?.close();
}

/**
 * The link indexes a backend found, by namespace path and link name, so that an operation on a
 * link it knows needs no lookup first. They change only by what the backend does itself: a name
 * it makes, renames, moves or deletes is forgotten where it was and where it goes. A link that
 * goes by other means answers ENODEV to its old index, and the operation looks it up again. A
 * link renamed by other means (another process, another backend, the same namespace by another
 * path) while the backend knows its index is not noticed: an operation on its old name then
 * reaches it, as one on a link handle does.
 */
interface KnownIndexes {
  /** The indexes of the namespace at `path` (undefined: the plugin's own), by link name. */
  of(path: string | undefined): Map<string, number>;
  /** Forgets the index of `name` in the namespace at `path`. */
  forget(path: string | undefined, name: string): void;
  /** Forgets everything. */
  clear(): void;
}

function knownIndexes(): KnownIndexes {
  // Paths are absolute, so "" names the plugin's own namespace.
  const byPath = new Map<string, Map<string, number>>();
  const of = (path: string | undefined) => {
    const key = path ?? "";
    let indexes = byPath.get(key);
    if (indexes === undefined) byPath.set(key, indexes = new Map());
    return indexes;
  };
  return {
    of,
    forget: (path, name) => void byPath.get(path ?? "")?.delete(name),
    clear: () => byPath.clear(),
  };
}

/** {@link NamespaceOps} as synchronous calls: what each returns, without the promise. */
type SyncNamespaceOps = {
  [K in keyof NamespaceOps]: (
    ...args: Parameters<NamespaceOps[K]>
  ) => Awaited<ReturnType<NamespaceOps[K]>>;
};

/** The operations as promises: a call's value resolves, what it throws rejects. */
function promised(ops: SyncNamespaceOps & { prepare(): void }): NamespaceOps & Preparable {
  const wrapped: Record<string, unknown> = {};
  for (const [name, call] of Object.entries(ops)) {
    wrapped[name] = (...args: unknown[]) => {
      try {
        return Promise.resolve((call as (...args: unknown[]) => unknown)(...args));
      } catch (error) {
        return Promise.reject(error);
      }
    };
  }
  return wrapped as unknown as NamespaceOps & Preparable;
}

/** The operations of one namespace, over a session opened on first use. */
function namespaceOps(
  path: string | undefined,
  timeoutMs: number | undefined,
  sessions: Set<Session>,
  known: KnownIndexes,
): SyncNamespaceOps & { prepare(): void } {
  const options = timeoutMs === undefined ? {} : { timeoutMs };
  const indexes = known.of(path);
  const where = () => path === undefined ? "in the current netns" : `in netns ${quote(path)}`;
  let session: Session | undefined;

  function current(): Session {
    if (session !== undefined && sessions.has(session)) return session;
    if (path === undefined) {
      session = { socket: RouteSocket.open(options) };
    } else {
      const namespace = openNamespace(path);
      try {
        session = { socket: namespace.openSocket(options), namespace };
      } catch (error) {
        namespace.close();
        throw error;
      }
    }
    sessions.add(session);
    return session;
  }

  const socket = () => current().socket;

  /** The index of the link `name`, looked up; ENODEV (with `role` in the detail) when none. */
  function lookUp(name: string, context: Context, role?: string): number {
    try {
      const [index] = socket().request(getLinkRequest(name), context, decodeLinkIndex);
      if (index === undefined) throw kernelError(ERRNO.ENODEV, context.operation, context.object);
      indexes.set(name, index);
      return index;
    } catch (error) {
      if (role !== undefined && isErrno(error, "ENODEV")) {
        throw kernelError(
          ERRNO.ENODEV,
          context.operation,
          context.object,
          `no ${role} ${quote(name)}`,
        );
      }
      throw error;
    }
  }

  /**
   * Runs `use` with the index of the link `name`: the one known, and if the kernel answers that
   * with ENODEV (the link went by other means than this backend) or `alsoStale`, again with the
   * one looked up now.
   */
  function withIndex<T>(
    name: string,
    context: Context,
    use: (index: number) => T,
    options: { role?: string; alsoStale?: string } = {},
  ): T {
    const remembered = indexes.get(name);
    if (remembered !== undefined) {
      try {
        return use(remembered);
      } catch (error) {
        if (!isErrno(error, "ENODEV", ...(options.alsoStale ? [options.alsoStale] : []))) {
          throw error;
        }
        indexes.delete(name);
      }
    }
    return use(lookUp(name, context, options.role));
  }

  /** Every link's name by index; what is known of the indexes is replaced by it. */
  function names(context: Context): Map<number, string> {
    const byIndex = new Map(socket().dump(listLinksRequest(), context, decodeLinkName));
    indexes.clear();
    for (const [index, name] of byIndex) indexes.set(name, index);
    return byIndex;
  }

  /**
   * Runs `use` with the namespaces at `paths` open (undefined entries stay undefined): the
   * namespace of a session of this backend when there is one, checked already, else opened here.
   */
  function withNamespaces<T>(
    paths: (string | undefined)[],
    use: (namespaces: (Namespace | undefined)[]) => T,
  ): T {
    const namespaces: (Namespace | undefined)[] = [];
    const opened: Namespace[] = [];
    try {
      for (const p of paths) {
        let namespace = p === undefined ? undefined : sessionNamespace(sessions, p);
        if (p !== undefined && namespace === undefined) {
          namespace = openNamespace(p);
          opened.push(namespace);
        }
        namespaces.push(namespace);
      }
      return use(namespaces);
    } finally {
      for (const namespace of opened) namespace.close();
    }
  }

  function createLink(spec: LinkSpec): void {
    const context = lazyContext("create link", () => quote(spec.name));
    const peerNetns = spec.kind === "veth" ? spec.peerNetns : undefined;
    // A name made here was free: whatever was known of it is gone.
    known.forget(spec.netns ?? path, spec.name);
    if (spec.kind === "veth") known.forget(peerNetns ?? spec.netns ?? path, spec.peerName);
    const create = (references: LinkReferences) =>
      withNamespaces([spec.netns, peerNetns], ([netns, peer]) => {
        if (netns !== undefined) references.netnsFd = netns.fd;
        if (peer !== undefined) references.peerNetnsFd = peer.fd;
        socket().request(createLinkRequest(spec, references), context);
      });
    if (spec.kind === "macvlan" || spec.kind === "ipvlan" || spec.kind === "vlan") {
      withIndex(spec.parent, context, (parentIndex) => create({ parentIndex }), {
        role: "parent link",
      });
    } else {
      create({});
    }
  }

  function listed<T extends { index: number }>(
    dev: string | undefined,
    operation: string,
    list: (index: number) => T[],
  ): (Omit<T, "index"> & { dev: string })[] {
    const context = lazyContext(
      operation,
      () => dev === undefined ? where() : `of ${quote(dev)} ${where()}`,
    );
    // Looked up now: a listing by a remembered index of a link gone would be empty, not ENODEV.
    const index = dev === undefined ? 0 : lookUp(dev, context);
    const entries = list(index).filter((entry) => index === 0 || entry.index === index);
    const byIndex = dev === undefined ? names(context) : new Map([[index, dev]]);
    return entries.map(({ index: at, ...rest }) => ({ dev: byIndex.get(at) ?? "", ...rest }));
  }

  function routeText(route: { dst: string; via?: string; dev: string; table?: number }): string {
    const via = route.via === undefined ? "" : ` via ${route.via}`;
    const table = route.table === undefined ? "" : ` table ${route.table}`;
    return `${route.dst}${via} dev ${quote(route.dev)}${table}`;
  }

  return {
    /** Opens the session: the C library, the namespace and its socket. */
    prepare() {
      current();
    },
    links(): Link[] {
      const links = socket().dump(
        listLinksRequest(),
        lazyContext("list links", where),
        decodeLink,
      );
      indexes.clear();
      for (const link of links) indexes.set(link.name, link.index);
      return links;
    },
    link(ref) {
      const context = lazyContext(
        "get link",
        () => typeof ref === "number" ? String(ref) : quote(ref),
      );
      try {
        const [link] = socket().request(getLinkRequest(ref), context, decodeLink);
        if (link !== undefined) indexes.set(link.name, link.index);
        return link;
      } catch (error) {
        if (!isErrno(error, "ENODEV")) throw error;
        if (typeof ref === "string") indexes.delete(ref);
        return undefined;
      }
    },
    createLink(spec) {
      createLink(spec);
    },
    setLink(name, changes) {
      const context = lazyContext("set link", () => quote(name));
      const { master, ...rest } = changes;
      const masterIndex = master === undefined
        ? undefined
        : master === null
        ? 0
        : lookUp(master, context, "master");
      const settings = masterIndex === undefined ? rest : { ...rest, masterIndex };
      // By name: the kernel finds the link, one request and no time between finding and changing.
      socket().request(setLinkRequest(name, settings), context);
    },
    renameLink(name, newName) {
      const context = lazyContext("rename link", () => `${quote(name)} to ${quote(newName)}`);
      try {
        withIndex(name, context, (index) => {
          socket().request(renameLinkRequest(index, newName), context);
        });
      } finally {
        indexes.delete(name);
        indexes.delete(newName);
      }
    },
    moveLink(name, netnsPath, newName) {
      const context = lazyContext(
        "move link",
        () => `${quote(name)} to netns ${quote(netnsPath)}`,
      );
      try {
        withIndex(name, context, (index) =>
          withNamespaces([netnsPath], ([target]) => {
            socket().request(moveLinkRequest(index, target!.fd, newName), context);
          }));
      } finally {
        indexes.delete(name);
        known.forget(netnsPath, newName ?? name);
      }
    },
    deleteLink(name) {
      const context = lazyContext("delete link", () => quote(name));
      indexes.delete(name);
      try {
        socket().request(deleteLinkRequest(name), context);
        return true;
      } catch (error) {
        if (isErrno(error, "ENODEV")) return false;
        throw error;
      }
    },
    addresses(dev): Address[] {
      return listed(dev, "list addresses", (index) =>
        socket().dump(
          listAddressesRequest(index),
          lazyContext("list addresses", where),
          decodeAddress,
        ));
    },
    addAddress(dev, cidr, addressOptions) {
      const prefix = parsePrefix(cidr, "address");
      const context = lazyContext("add address", () => `${cidr} on ${quote(dev)}`);
      withIndex(dev, context, (index) => {
        socket().request(addAddressRequest(index, prefix, addressOptions), context);
      });
    },
    deleteAddress(dev, cidr) {
      const prefix = parsePrefix(cidr, "address");
      const context = lazyContext("delete address", () => `${cidr} on ${quote(dev)}`);
      try {
        withIndex(dev, context, (index) => {
          socket().request(deleteAddressRequest(index, prefix), context);
        });
        return true;
      } catch (error) {
        if (isErrno(error, "EADDRNOTAVAIL")) return false;
        throw error;
      }
    },
    routes(family, table): KernelRoute[] {
      const context = lazyContext(`list IPv${family} routes`, where);
      const wanted = table ?? RT_TABLE_MAIN;
      const entries = socket().dump(listRoutesRequest(family), context, decodeRoute)
        .filter((entry) =>
          entry.family === family && (wanted === "all" || entry.tableId === wanted)
        );
      const byIndex = entries.some((entry) => entry.oif !== undefined)
        ? names(context)
        : new Map<number, string>();
      return entries.map(({ oif, tableId: _table, family: _family, ...rest }): KernelRoute => {
        const dev = oif === undefined ? undefined : byIndex.get(oif);
        return { ...rest, ...(dev === undefined ? {} : { dev }) };
      });
    },
    addRoute(route, replace) {
      const context = lazyContext(replace ? "replace route" : "add route", () => routeText(route));
      const values = checkRoute(route);
      withIndex(route.dev, context, (oif) => {
        socket().request(addRouteRequest({ ...values, oif }, replace), context);
      });
    },
    deleteRoute(route) {
      const context = lazyContext("delete route", () => routeText(route));
      const values = checkRoute(route);
      try {
        // A link gone and made again by other means holds routes under another index: ESRCH
        // for a remembered one is asked again.
        withIndex(route.dev, context, (oif) => {
          socket().request(deleteRouteRequest({ ...values, oif }), context);
        }, { alsoStale: "ESRCH" });
        return true;
      } catch (error) {
        if (isErrno(error, "ESRCH")) return false;
        throw error;
      }
    },
    qdiscs(dev): Qdisc[] {
      return listed(dev, "list qdiscs", (index) =>
        socket().dump(
          listQdiscsRequest(index),
          lazyContext("list qdiscs", where),
          (message: Message) => decodeQdisc(message, schedulerTicks),
        ));
    },
    addTbf(dev, spec) {
      const context = lazyContext("add qdisc", () => `tbf on ${quote(dev)}`);
      const ticks = schedulerTicks();
      withIndex(dev, context, (index) => {
        socket().request(addTbfRequest(index, spec, ticks), context);
      });
    },
    deleteRootQdisc(dev) {
      const context = lazyContext("delete qdisc", () => `root of ${quote(dev)}`);
      try {
        withIndex(dev, context, (index) => {
          socket().request(deleteRootQdiscRequest(index), context);
        });
        return true;
      } catch (error) {
        // The kernel refuses to delete the default qdisc, which has handle 0, with ENOENT.
        if (isErrno(error, "ENOENT")) return false;
        throw error;
      }
    },
    sysctlGet(key) {
      if (path === undefined) return readSysctl(key);
      return current().namespace!.sysctlGet(key);
    },
    sysctlSet(key, value) {
      if (path === undefined) return writeSysctl(key, value);
      current().namespace!.sysctlSet(key, value);
    },
  };
}

/**
 * The netlink backend: rtnetlink and sysctl files in this process through Deno's FFI. Needs
 * `--allow-ffi`; the C library is opened on the first operation, not before.
 *
 * @param options the time limit of each exchange with the kernel
 *
 * @example
 * ```ts ignore
 * import { netlinkBackend } from "@deno-cni/deno-cni/netlink";
 *
 * using backend = netlinkBackend();
 * const container = backend.open("/var/run/netns/c1");
 * await container.addAddress("eth0", "10.1.0.5/24", {});
 * console.log(await container.addresses("eth0"));
 * ```
 */
export function netlinkBackend(options: NetlinkBackendOptions = {}): NetlinkBackend {
  const sessions = new Set<Session>();
  const known = knownIndexes();
  const close = () => {
    for (const session of sessions) closeSession(session);
    sessions.clear();
    known.clear();
  };
  return {
    kind: "netlink",
    open(path) {
      return promised(namespaceOps(path, options.timeoutMs, sessions, known));
    },
    close,
    [Symbol.dispose]: close,
  };
}
