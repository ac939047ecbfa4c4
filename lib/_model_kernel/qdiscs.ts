/**
 * Queueing disciplines: every link's root qdisc and the token bucket filter a request attaches.
 * - a link has none to list (the kernel's noop) until it first comes up; then it gets its
 *   default: noqueue for the virtual kinds and `lo`, pfifo_fast for a physical device; it keeps
 *   its root qdisc when it goes down, and loses it when it leaves its namespace;
 * - a tbf replaces the default (EEXIST when the link has a qdisc of its own), with a handle
 *   from the kernel's counter (8001:, 8002: ...); deleting it gives the default back (ENOENT
 *   when there is nothing to delete);
 * - the bucket is kept in scheduler ticks (64 ns; 15.625 per microsecond, /proc/net/psched),
 *   converted as `tc` converts it, so the burst read back can be a byte less than written.
 *
 * @module
 */
import type { Qdisc, TbfSettings, TbfSpec } from "../net_types.ts";
import { type Op, refuse } from "./refuse.ts";
import type { KernelState, LinkState, RootQdisc, TbfState } from "./state.ts";

/** Scheduler ticks per microsecond. */
const TICKS_PER_USEC = 15.625;
/** Nanoseconds per tick. */
const NS_PER_TICK = 64;
const USEC_PER_SEC = 1_000_000;
const U32 = 0xffffffff;

/** The root handle, for the parent of a root qdisc. */
const ROOT = 0xffffffff;

/** Bytes at `rate` to ticks, as `tc` computes a bucket (tc_calc_xmittime). */
function bytesToTicks(rate: number, bytes: number): number {
  return Math.trunc(USEC_PER_SEC * (bytes / rate) * TICKS_PER_USEC);
}

/** Ticks at `rate` to bytes, as `tc` shows a bucket (tc_calc_xmitsize). */
function ticksToBytes(rate: number, ticks: number): number {
  return Math.trunc((rate * Math.trunc(ticks / TICKS_PER_USEC)) / USEC_PER_SEC);
}

/** What the kernel can send at `rate` in `ticks` (psched_ns_t2l). */
function bytesIn(rate: number, ticks: number): number {
  return Number((BigInt(ticks) * BigInt(NS_PER_TICK) * BigInt(rate)) / 1_000_000_000n);
}

/** The qdisc a link gets when it first comes up. */
export function activate(link: LinkState): void {
  link.qdisc ??= { kind: link.kind === "device" ? "pfifo_fast" : "noqueue", handle: 0 };
}

/** The link leaves its namespace: its qdiscs are destroyed. */
export function shutdown(link: LinkState): void {
  delete link.qdisc;
}

function nextHandle(kernel: KernelState): number {
  const next = kernel.qdiscMajor + 1;
  kernel.qdiscMajor = next === 0xffff ? 0x8000 : next;
  return kernel.qdiscMajor * 0x10000;
}

function isCount(value: number | undefined): value is number {
  return value !== undefined && Number.isSafeInteger(value) && value >= 0;
}

/**
 * Attaches a token bucket filter as the link's root qdisc.
 *
 * @throws {KernelError} EEXIST when the link has a qdisc of its own, EINVAL for settings the
 * kernel refuses (a bucket too small for one byte, a peak rate not above the rate)
 */
export function addTbf(link: LinkState, spec: TbfSpec, op: Op): void {
  if (link.qdisc !== undefined && link.qdisc.handle !== 0) {
    refuse(op, "EEXIST", "Exclusivity flag on, cannot modify");
  }
  const { rate, burst } = spec;
  if (!isCount(rate) || rate < 1 || !isCount(burst)) refuse(op, "EINVAL");
  const limit = spec.limit ??
    (isCount(spec.latencyUs)
      ? Math.trunc((rate * spec.latencyUs) / USEC_PER_SEC + burst)
      : undefined);
  if (!isCount(limit) || limit > U32) refuse(op, "EINVAL");
  const buffer = bytesToTicks(rate, burst);
  if (buffer > U32) refuse(op, "EINVAL");
  let maxSize = bytesIn(rate, buffer);
  let peak = { peakrate: 0, mtu: 0 };
  if (spec.peakrate !== undefined && spec.peakrate !== 0) {
    const { peakrate, mtu } = spec;
    if (!isCount(peakrate) || !isCount(mtu)) refuse(op, "EINVAL");
    if (peakrate <= rate) refuse(op, "EINVAL");
    const mtuTicks = bytesToTicks(peakrate, mtu);
    if (mtuTicks > U32) refuse(op, "EINVAL");
    maxSize = Math.min(maxSize, bytesIn(peakrate, mtuTicks));
    peak = { peakrate, mtu: mtuTicks };
  }
  if (maxSize === 0) refuse(op, "EINVAL");
  const tbf: TbfState = { rate, buffer, limit, ...peak };
  link.qdisc = { kind: "tbf", handle: nextHandle(link.ns.kernel), tbf };
}

/**
 * Deletes the link's root qdisc of its own: the default comes back if the link is up.
 *
 * @throws {KernelError} ENOENT when it has only the default (or nothing)
 */
export function deleteRoot(link: LinkState, op: Op): void {
  if (link.qdisc === undefined || link.qdisc.handle === 0) {
    refuse(op, "ENOENT", "Cannot delete qdisc with handle of zero");
  }
  delete link.qdisc;
  if (link.up) activate(link);
}

function settingsOf(tbf: TbfState): TbfSettings {
  return {
    rate: tbf.rate,
    burst: ticksToBytes(tbf.rate, tbf.buffer),
    limit: tbf.limit,
    ...(tbf.peakrate !== 0 && {
      peakrate: tbf.peakrate,
      mtu: ticksToBytes(tbf.peakrate, tbf.mtu),
    }),
  };
}

/** The link's root qdisc as the kernel reports it; undefined while it has none to list. */
export function qdiscOf(link: LinkState): Qdisc | undefined {
  const root: RootQdisc | undefined = link.qdisc;
  if (root === undefined) return undefined;
  return {
    dev: link.name,
    kind: root.kind,
    handle: root.handle,
    root: true,
    parent: ROOT,
    ...(root.tbf !== undefined && { tbf: settingsOf(root.tbf) }),
  };
}
