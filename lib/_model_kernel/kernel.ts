/**
 * The model kernel put together: namespace handles that run each operation through the rules of
 * this directory (looking the namespace up by path on every call, recording it in the log when
 * the backend asks, bringing carrier state up to date after it), the backend over them, and the
 * test's controls.
 *
 * @module
 */
import { CniError } from "../errors.ts";
import type { NamespacePathKind } from "../host.ts";
import type {
  KernelLogEntry,
  ModelKernel,
  ModelKernelOptions,
  ModelNamespace,
  NamespaceSnapshot,
} from "../model_kernel.ts";
import type { NamespaceOps, NetnsBackend } from "../net_backend.ts";
import { KernelError, NamespaceMissingError } from "../net_errors.ts";
import { readPrefix } from "./inet.ts";
import * as ipv4 from "./ipv4.ts";
import * as ipv6 from "./ipv6.ts";
import * as links from "./links.ts";
import { seededRandom } from "./mac.ts";
import { createNamespace, deleteNamespace, FILE_KINDS, resolveNamespace } from "./namespaces.ts";
import { addTbf, deleteRoot, qdiscOf } from "./qdiscs.ts";
import {
  addressObject,
  linkObject,
  type Op,
  qdiscObject,
  refuse,
  routeObject,
  sysctlObject,
} from "./refuse.ts";
import { addressReports, linkReport, routeReport } from "./report.ts";
import { addRoute, deleteRoute, routesOf, TABLE_MAIN } from "./routes.ts";
import {
  allLinks,
  type KernelState,
  linkByName,
  linksOf,
  type LinkState,
  type NamespaceState,
} from "./state.ts";
import { changedSysctls, presetSysctl, readSysctl, writeSysctl } from "./sysctls.ts";

/** Paths that name the host's namespace from the start. */
const HOST_ALIASES = ["/proc/self/ns/net", "/proc/thread-self/ns/net", "/proc/1/ns/net"];

/** The operations that change state, for {@link ModelKernel.changes}. */
const CHANGES = new Set([
  "create link",
  "set link",
  "rename link",
  "move link",
  "delete link",
  "add address",
  "delete address",
  "add route",
  "replace route",
  "delete route",
  "add qdisc",
  "delete qdisc",
  "write sysctl",
]);

/** The errno of what an operation threw, for the log. */
function errnoOf(error: unknown): string | undefined {
  if (error instanceof KernelError) return error.errno;
  if (error instanceof NamespaceMissingError) return "ENOENT";
  if (error instanceof CniError) return "EINVAL";
  return undefined;
}

/** Runs `body`, turning the kernel's refusal with `errno` into `false`. */
function unless(errno: string, body: () => void): boolean {
  try {
    body();
    return true;
  } catch (error) {
    if (error instanceof KernelError && error.errno === errno) return false;
    throw error;
  }
}

function linkOr(ns: NamespaceState, name: string, op: Op): LinkState {
  return linkByName(ns, name) ?? refuse(op, "ENODEV");
}

function tableOf(table: number | "all" | undefined): number | "all" {
  return table === undefined || table === 0 ? TABLE_MAIN : table;
}

/** A handle on the namespace at `path`; operations are logged in `log` when given. */
function handle(
  state: KernelState,
  path: string | undefined,
  log: KernelLogEntry[] | undefined,
): ModelNamespace {
  function act<T>(
    operation: string,
    object: string | undefined,
    args: unknown[],
    body: (ns: NamespaceState, op: Op) => T,
  ): T {
    const entry: KernelLogEntry | undefined = log && {
      netns: path,
      operation,
      ...(object !== undefined && { object }),
      args: structuredClone(args),
    };
    if (entry !== undefined) log!.push(entry);
    try {
      return body(resolveNamespace(state, path), { operation, object: object ?? "" });
    } catch (error) {
      const errno = errnoOf(error);
      if (entry !== undefined && errno !== undefined) entry.errno = errno;
      throw error;
    } finally {
      links.settle(state);
    }
  }

  const self: ModelNamespace = {
    path,
    links: () => act("list links", undefined, [], (ns) => linksOf(ns).map(linkReport)),
    link: (ref) =>
      act("get link", typeof ref === "number" ? String(ref) : linkObject(ref), [ref], (ns) => {
        const link = typeof ref === "number" ? ns.links.get(ref) : linkByName(ns, ref);
        return link === undefined ? undefined : linkReport(link);
      }),
    createLink: (spec) =>
      act("create link", linkObject(spec.name), [spec], (ns, op) => {
        const home = spec.netns === undefined ? ns : resolveNamespace(state, spec.netns);
        const peerHome = spec.kind === "veth" && spec.peerNetns !== undefined
          ? resolveNamespace(state, spec.peerNetns)
          : ns;
        links.createLink(spec, { here: ns, home, peerHome }, op);
      }),
    setLink: (name, changes) =>
      act("set link", linkObject(name), [name, changes], (ns, op) => {
        links.setLink(linkOr(ns, name, op), changes, op);
      }),
    renameLink: (name, newName) =>
      act(
        "rename link",
        `${linkObject(name)} to ${linkObject(newName)}`,
        [name, newName],
        (ns, op) => {
          links.renameLink(linkOr(ns, name, op), newName, op);
        },
      ),
    moveLink: (name, netnsPath, newName) =>
      act(
        "move link",
        `${linkObject(name)} to netns ${JSON.stringify(netnsPath)}`,
        newName === undefined ? [name, netnsPath] : [name, netnsPath, newName],
        (ns, op) => {
          const link = linkOr(ns, name, op);
          links.moveLink(link, resolveNamespace(state, netnsPath), newName, op);
        },
      ),
    deleteLink: (name) =>
      unless("ENODEV", () =>
        act("delete link", linkObject(name), [name], (ns, op) => {
          links.deleteLink(linkOr(ns, name, op), op);
        })),
    addresses: (dev) =>
      act(
        "list addresses",
        dev === undefined ? undefined : `of ${linkObject(dev)}`,
        [dev],
        (ns, op) =>
          dev === undefined
            ? linksOf(ns).flatMap(addressReports)
            : addressReports(linkOr(ns, dev, op)),
      ),
    addAddress: (dev, cidr, options = {}) =>
      act("add address", addressObject(cidr, dev), [dev, cidr, options], (ns, op) => {
        const link = linkOr(ns, dev, op);
        const prefix = readPrefix(cidr) ?? refuse(op, "EINVAL");
        const noPrefixRoute = options.noPrefixRoute === true;
        if (prefix.family === 4) {
          ipv4.addAddress(link, prefix.value, prefix.length, noPrefixRoute, op);
        } else {
          const noDad = options.noDad === true;
          ipv6.addAddress(link, prefix.value, prefix.length, { noPrefixRoute, noDad }, op);
        }
      }),
    deleteAddress: (dev, cidr) =>
      unless(
        "EADDRNOTAVAIL",
        () =>
          act("delete address", addressObject(cidr, dev), [dev, cidr], (ns, op) => {
            const link = linkOr(ns, dev, op);
            const prefix = readPrefix(cidr) ?? refuse(op, "EINVAL");
            if (prefix.family === 4) ipv4.deleteAddress(link, prefix.value, prefix.length, op);
            else ipv6.deleteAddress(link, prefix.value, prefix.length, op);
          }),
      ),
    routes: (family, table) =>
      act(
        "list routes",
        undefined,
        [family, table],
        (ns) => routesOf(ns, family, tableOf(table)).map(routeReport),
      ),
    addRoute: (route, replace = false) =>
      act(
        replace ? "replace route" : "add route",
        routeObject(route.dst, route.via, route.dev, route.table),
        [route],
        (ns, op) => addRoute(ns, route, replace, op),
      ),
    deleteRoute: (route) =>
      unless(
        "ESRCH",
        () =>
          act(
            "delete route",
            routeObject(route.dst, route.via, route.dev, route.table),
            [route],
            (ns, op) => deleteRoute(ns, route, op),
          ),
      ),
    qdiscs: (dev) =>
      act(
        "list qdiscs",
        dev === undefined ? undefined : `of ${linkObject(dev)}`,
        [dev],
        (ns, op) =>
          (dev === undefined ? linksOf(ns) : [linkOr(ns, dev, op)]).flatMap((link) => {
            const qdisc = qdiscOf(link);
            return qdisc === undefined ? [] : [qdisc];
          }),
      ),
    addTbf: (dev, spec) =>
      act("add qdisc", qdiscObject(dev, true), [dev, spec], (ns, op) => {
        addTbf(linkOr(ns, dev, op), spec, op);
      }),
    deleteRootQdisc: (dev) =>
      unless("ENOENT", () =>
        act("delete qdisc", qdiscObject(dev, false), [dev], (ns, op) => {
          deleteRoot(linkOr(ns, dev, op), op);
        })),
    sysctlGet: (key) =>
      act("read sysctl", sysctlObject(key), [key], (ns, op) => readSysctl(ns, key, op)),
    sysctlSet: (key, value) =>
      act("write sysctl", sysctlObject(key), [key, value], (ns, op) => {
        writeSysctl(ns, key, value, op);
      }),
    addDevice: (spec) =>
      act("add device", linkObject(spec.name), [spec], (ns, op) => {
        links.addDevice(ns, spec, op);
      }),
    setCarrier: (name, carrier) =>
      act("set carrier", linkObject(name), [name, carrier], (ns, op) => {
        const link = linkOr(ns, name, op);
        if (link.kind !== "device") {
          throw new Error(
            `${JSON.stringify(name)} is not a physical device: its carrier follows its kind`,
          );
        }
        link.deviceCarrier = carrier;
      }),
    presetSysctl: (key, value) =>
      act("preset sysctl", sysctlObject(key), [key, value], (ns) => presetSysctl(ns, key, value)),
    snapshot: () =>
      act("snapshot", undefined, [], (ns): NamespaceSnapshot => ({
        links: linksOf(ns).map(linkReport),
        addresses: linksOf(ns).flatMap(addressReports),
        routes: {
          ipv4: routesOf(ns, 4, "all").map(routeReport),
          ipv6: routesOf(ns, 6, "all").map(routeReport),
        },
        qdiscs: linksOf(ns).flatMap((link) => {
          const qdisc = qdiscOf(link);
          return qdisc === undefined ? [] : [qdisc];
        }),
        sysctls: changedSysctls(ns),
      })),
  };
  return self;
}

/** The backend's operations over a logged handle: the same calls, as promises. */
function backendOps(namespace: ModelNamespace): NamespaceOps {
  const later = <T>(fn: () => T): Promise<T> => {
    try {
      return Promise.resolve(fn());
    } catch (error) {
      return Promise.reject(error);
    }
  };
  return {
    links: () => later(() => namespace.links()),
    link: (ref) => later(() => namespace.link(ref)),
    createLink: (spec) => later(() => namespace.createLink(spec)),
    setLink: (name, changes) => later(() => namespace.setLink(name, changes)),
    renameLink: (name, newName) => later(() => namespace.renameLink(name, newName)),
    moveLink: (name, netnsPath, newName) =>
      later(() => namespace.moveLink(name, netnsPath, newName)),
    deleteLink: (name) => later(() => namespace.deleteLink(name)),
    addresses: (dev) => later(() => namespace.addresses(dev)),
    addAddress: (dev, cidr, options) => later(() => namespace.addAddress(dev, cidr, options)),
    deleteAddress: (dev, cidr) => later(() => namespace.deleteAddress(dev, cidr)),
    routes: (family, table) => later(() => namespace.routes(family, table)),
    addRoute: (route, replace) => later(() => namespace.addRoute(route, replace)),
    deleteRoute: (route) => later(() => namespace.deleteRoute(route)),
    qdiscs: (dev) => later(() => namespace.qdiscs(dev)),
    addTbf: (dev, spec) => later(() => namespace.addTbf(dev, spec)),
    deleteRootQdisc: (dev) => later(() => namespace.deleteRootQdisc(dev)),
    sysctlGet: (key) => later(() => namespace.sysctlGet(key)),
    sysctlSet: (key, value) => later(() => namespace.sysctlSet(key, value)),
  };
}

/** Makes the model kernel (see `../model_kernel.ts`). */
export function createModelKernel(options: ModelKernelOptions): ModelKernel {
  const state: KernelState = {
    // Set right below: the host's namespace needs the kernel to be made.
    host: undefined as unknown as NamespaceState,
    paths: new Map(),
    random: seededRandom(options.seed ?? 1),
    qdiscMajor: 0x8000,
    routeSeq: 0,
    behaviour: { dad: options.dad ?? "instant", renameUpLinks: options.renameUpLinks ?? true },
  };
  state.host = createNamespace(state, undefined);
  for (const path of HOST_ALIASES) state.paths.set(path, state.host);
  const log: KernelLogEntry[] = [];

  const backend: NetnsBackend = {
    kind: "model",
    open: (path) => backendOps(handle(state, path, log)),
  };

  function namespaceAt(path: string): NamespaceState {
    const found = state.paths.get(path);
    if (found === undefined || typeof found === "string" || found.dead) {
      throw new Error(`no namespace at ${JSON.stringify(path)}`);
    }
    return found;
  }

  function checkFree(path: string): void {
    if (!path.startsWith("/")) throw new Error(`not an absolute path: ${JSON.stringify(path)}`);
    const found = state.paths.get(path);
    if (found !== undefined && (typeof found === "string" || !found.dead)) {
      throw new Error(`something is at ${JSON.stringify(path)} already`);
    }
  }

  return {
    backend,
    namespacePathKind(path): NamespacePathKind {
      const found = state.paths.get(path);
      if (found === undefined || (typeof found !== "string" && found.dead)) return "missing";
      return typeof found === "string" ? FILE_KINDS[found] as NamespacePathKind : "netns";
    },
    addNamespace(path) {
      checkFree(path);
      state.paths.set(path, createNamespace(state, path));
      return handle(state, path, undefined);
    },
    deleteNamespace(path) {
      const ns = namespaceAt(path);
      if (ns === state.host) throw new Error("the host's namespace cannot be deleted");
      deleteNamespace(state, ns);
      links.settle(state);
    },
    addFile(path, kind) {
      checkFree(path);
      state.paths.set(path, kind);
    },
    alias(path, target) {
      checkFree(path);
      state.paths.set(path, resolveNamespace(state, target));
    },
    namespace(path) {
      resolveNamespace(state, path);
      return handle(state, path, undefined);
    },
    snapshot(path) {
      return this.namespace(path).snapshot();
    },
    finishDad() {
      for (const link of allLinks(state)) ipv6.finishDad(link);
      links.settle(state);
    },
    get log() {
      return log;
    },
    changes: () => log.filter((entry) => entry.errno === undefined && CHANGES.has(entry.operation)),
    clearLog() {
      log.length = 0;
    },
  };
}
