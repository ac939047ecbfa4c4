/**
 * The kernel's route types (`RTN_*` in linux/rtnetlink.h), by number: how the toolkit names a
 * route that is not a plain unicast one.
 *
 * @module
 */

/** The names of the route types, indexed by their numbers. */
export const ROUTE_TYPES: readonly string[] = [
  "unspec",
  "unicast",
  "local",
  "broadcast",
  "anycast",
  "multicast",
  "blackhole",
  "unreachable",
  "prohibit",
  "throw",
  "nat",
  "xresolve",
];
