/**
 * Namespace ids: the number a namespace gives another one, to say in which namespace the other
 * end of a link is (a veth's peer, a macvlan's parent). A namespace gives the lowest free number
 * the first time it needs one: when a link of its own is created or moved with its other end
 * elsewhere, or when it reports such a link.
 *
 * @module
 */
import type { KernelState, NamespaceState } from "./state.ts";
import { namespacesOf } from "./state.ts";

/** The id `viewer` gives `target`, given now if it had none. */
export function nsidOf(viewer: NamespaceState, target: NamespaceState): number {
  const known = viewer.nsids.get(target);
  if (known !== undefined) return known;
  const used = new Set(viewer.nsids.values());
  let id = 0;
  while (used.has(id)) id++;
  viewer.nsids.set(target, id);
  return id;
}

/** A namespace is gone: the others forget the ids they gave it. */
export function forgetNamespace(kernel: KernelState, gone: NamespaceState): void {
  for (const ns of namespacesOf(kernel)) ns.nsids.delete(gone);
  gone.nsids.clear();
}
