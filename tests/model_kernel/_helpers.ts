/**
 * What the model kernel's tests share: a kernel with a container namespace, and assertions on
 * the kernel's refusals.
 */
import assert from "node:assert/strict";
import { KernelError } from "../../lib/net_errors.ts";
import {
  type ModelKernel,
  modelKernel,
  type ModelKernelOptions,
  type ModelNamespace,
} from "../../lib/model_kernel.ts";

/** The container namespace's path in these tests. */
export const C1 = "/var/run/netns/c1";
/** A second namespace's path. */
export const C2 = "/var/run/netns/c2";

/** A kernel with namespace C1, and handles on the host's namespace and C1. */
export function setup(
  options: ModelKernelOptions = {},
): { kernel: ModelKernel; host: ModelNamespace; c1: ModelNamespace } {
  const kernel = modelKernel(options);
  const c1 = kernel.addNamespace(C1);
  return { kernel, host: kernel.namespace(), c1 };
}

/**
 * Asserts that `fn` throws the kernel's refusal with `errno` (and `detail` in the message when
 * given), and returns it.
 */
export function assertRefused(fn: () => unknown, errno: string, detail?: string): KernelError {
  let thrown: unknown;
  try {
    fn();
  } catch (error) {
    thrown = error;
  }
  assert.ok(thrown instanceof KernelError, `expected ${errno}, got ${thrown}`);
  assert.equal(thrown.errno, errno, thrown.message);
  if (detail !== undefined) assert.ok(thrown.message.endsWith(`: ${detail}`), thrown.message);
  return thrown;
}

/** The names of a namespace's links, by index. */
export function names(ns: ModelNamespace): string[] {
  return ns.links().map((link) => link.name);
}

/** A namespace's addresses as "dev cidr" words, with their flags. */
export function addressWords(ns: ModelNamespace): string[] {
  return ns.addresses().map((a) =>
    [
      a.dev,
      a.cidr,
      ...(a.tentative ? ["tentative"] : []),
      ...(a.noDad ? ["nodad"] : []),
      ...(a.noPrefixRoute ? ["noprefixroute"] : []),
    ].join(" ")
  );
}

/**
 * A family's routes in every table as `ip route` words (type first unless unicast, scope unless
 * global), to compare in one line each.
 */
export function routeWords(
  ns: ModelNamespace,
  family: 4 | 6,
  table: number | "all" = "all",
): string[] {
  return ns.routes(family, table).map((r) =>
    [
      ...(r.type === undefined ? [] : [r.type]),
      r.dst,
      ...(r.gateway === undefined ? [] : ["via", r.gateway]),
      "dev",
      r.dev,
      ...(r.table === "main" ? [] : ["table", r.table]),
      ...(r.scope === undefined || r.scope === "global" ? [] : ["scope", r.scope]),
      ...(r.metric === undefined ? [] : ["metric", String(r.metric)]),
      ...(r.prefsrc === undefined ? [] : ["src", r.prefsrc]),
      ...(r.mtu === undefined ? [] : ["mtu", String(r.mtu)]),
      ...(r.advmss === undefined ? [] : ["advmss", String(r.advmss)]),
    ].join(" ")
  );
}
