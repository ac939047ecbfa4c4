/**
 * A backend whose code is loaded on its first operation, or when a plugin prepares it ahead of
 * use. The bundles are split at these dynamic imports, so a plugin that never touches a namespace
 * never loads or compiles the netlink or exec code: its start-up is not paid for by the toolkit.
 *
 * @module
 */
import type { NamespaceOps, NetnsBackend } from "./net_backend.ts";

/** The operations of {@link NamespaceOps}, by name. */
const OPERATIONS: readonly (keyof NamespaceOps)[] = [
  "links",
  "link",
  "createLink",
  "setLink",
  "renameLink",
  "moveLink",
  "deleteLink",
  "addresses",
  "addAddress",
  "deleteAddress",
  "routes",
  "addRoute",
  "deleteRoute",
  "qdiscs",
  "addTbf",
  "deleteRootQdisc",
  "sysctlGet",
  "sysctlSet",
];

/**
 * What the operations of a backend may offer besides {@link NamespaceOps}: `prepare`, which
 * readies them for use (the netlink backend opens the C library, the namespace and its socket)
 * and changes nothing.
 */
export interface Preparable {
  /** Readies the operations; changes nothing. */
  prepare(): Promise<void>;
}

/**
 * Readies `ops` when they offer {@link Preparable.prepare}. Never fails: what went wrong is the
 * first operation's to report, as if nothing had been prepared.
 *
 * @param ops a namespace's operations
 */
export async function prepareOps(ops: NamespaceOps): Promise<void> {
  try {
    await (ops as Partial<Preparable>).prepare?.();
  } catch {
    // The first operation meets the same problem and reports it.
  }
}

/**
 * A backend of `kind` that calls `load` once, on the first operation of any namespace, and then
 * forwards every operation to what it loaded. Its operations are {@link Preparable}: `prepare`
 * loads the backend and prepares what it loaded.
 *
 * @param kind the loaded backend's kind
 * @param load imports the backend's module and makes the backend
 */
export function lazyBackend(
  kind: NetnsBackend["kind"],
  load: () => Promise<NetnsBackend>,
): NetnsBackend {
  let loaded: Promise<NetnsBackend> | undefined;
  return {
    kind,
    open(path) {
      let ops: Promise<NamespaceOps> | undefined;
      const target = () => ops ??= (loaded ??= load()).then((backend) => backend.open(path));
      const forwarded: Record<string, (...args: never[]) => Promise<unknown>> = {};
      for (const name of OPERATIONS) {
        forwarded[name] = async (...args: never[]) => {
          const real = (await target())[name] as (...args: never[]) => Promise<unknown>;
          return await real(...args);
        };
      }
      const preparable: Preparable = {
        prepare: async () => {
          try {
            await prepareOps(await target());
          } catch {
            // Loading failed: the first operation fails the same way and reports it.
          }
        },
      };
      return Object.assign(forwarded, preparable) as unknown as NamespaceOps;
    },
  };
}
