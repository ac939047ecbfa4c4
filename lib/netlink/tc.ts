/**
 * Queueing disciplines in rtnetlink: the requests that add a token bucket filter as a link's root
 * qdisc, delete the root qdisc and list qdiscs (RTM_NEWQDISC, RTM_DELQDISC, RTM_GETQDISC, each a
 * `struct tcmsg` and TCA_* attributes), and the decoding of the kernel's qdisc messages.
 *
 * A tbf's times are in the packet scheduler's ticks, whose length the kernel tells in
 * /proc/net/psched. The request carries the rate table, the buffer and the limit computed as
 * iproute2's `tc` computes them (integer microseconds, then ticks), so it is byte for byte what
 * `tc qdisc add ... tbf` sends, and settings decode back to the numbers `tc -j` prints.
 *
 * @module
 */
import type { Qdisc, TbfSettings, TbfSpec } from "../net_types.ts";
import { checkInteger, invalid, MAX_U32 } from "./_check.ts";
import {
  Attributes,
  Encoder,
  fixedHeader,
  MalformedMessageError,
  type Message,
  type Request,
} from "./_message.ts";
import {
  AF_UNSPEC,
  NLM_F_CREATE,
  NLM_F_EXCL,
  RTM_DELQDISC,
  RTM_GETQDISC,
  RTM_NEWQDISC,
  TC_H_ROOT,
  TC_LINKLAYER_ETHERNET,
  TC_RTAB_SIZE,
  TCA_KIND,
  TCA_OPTIONS,
  TCA_TBF_BURST,
  TCA_TBF_PARMS,
  TCA_TBF_PBURST,
  TCA_TBF_PRATE64,
  TCA_TBF_PTAB,
  TCA_TBF_RATE64,
  TCA_TBF_RTAB,
} from "./_uapi.ts";
import { checkIndex } from "./link.ts";

/** The size of `struct tcmsg`. */
const TCMSG = 20;

/** The size of `struct tc_ratespec`. */
const RATESPEC = 12;

/** The size of `struct tc_tbf_qopt`: two rate specs, limit, buffer, mtu. */
const TBF_QOPT = 2 * RATESPEC + 12;

/** Microseconds in a second: `tc`'s time unit. */
const US_PER_SECOND = 1_000_000;

/** The MTU the rate table is made for when none is given, as `tc` has it. */
const DEFAULT_MTU = 2047;

/** The largest rate a request may carry, in bytes per second. */
const MAX_RATE = Number.MAX_SAFE_INTEGER;

/**
 * The scheduler's clock as `tc` reads it from /proc/net/psched: ticks per microsecond.
 *
 * @param text the file's content: four hexadecimal numbers (t2us, us2t, clock resolution, hz)
 * @throws {Error} when the text is not that
 */
export function ticksPerMicrosecond(text: string): number {
  const words = text.trim().split(/\s+/);
  if (words.length < 3 || words.slice(0, 3).some((word) => !/^[0-9a-fA-F]{1,8}$/.test(word))) {
    throw new Error(`unexpected /proc/net/psched: ${JSON.stringify(text.slice(0, 80))}`);
  }
  let t2us = parseInt(words[0]!, 16);
  const us2t = parseInt(words[1]!, 16);
  const clockRes = parseInt(words[2]!, 16);
  if (us2t === 0 || t2us === 0 || clockRes === 0) {
    throw new Error(`unexpected /proc/net/psched: ${JSON.stringify(text.slice(0, 80))}`);
  }
  if (clockRes === 1_000_000_000) t2us = us2t;
  return (t2us / us2t) * (clockRes / US_PER_SECOND);
}

/** C's conversion of a non-negative double to `unsigned int` (in range: truncation). */
function toUint(value: number): number {
  return Math.min(Math.trunc(value), MAX_U32);
}

/** The ticks `size` bytes take at `rate` bytes per second: whole microseconds, then ticks. */
export function transmitTicks(rate: number, size: number, ticksPerUs: number): number {
  const microseconds = toUint(US_PER_SECOND * (size / rate));
  return toUint(microseconds * ticksPerUs);
}

/** The bytes sent in `ticks` at `rate` bytes per second: whole microseconds, then bytes. */
export function transmitSize(rate: number, ticks: number, ticksPerUs: number): number {
  const microseconds = toUint(ticks / ticksPerUs);
  return toUint((rate * microseconds) / US_PER_SECOND);
}

/** A `tc_ratespec` and its rate table: 256 cells of `2^cellLog` bytes each. */
function rateTable(rate: number, mtu: number, ticksPerUs: number) {
  let cellLog = 0;
  while ((mtu >> cellLog) > 255) cellLog++;
  const table = new Encoder();
  for (let i = 0; i < TC_RTAB_SIZE / 4; i++) {
    table.u32(transmitTicks(rate, (i + 1) << cellLog, ticksPerUs));
  }
  return { cellLog, table: table.finish() };
}

function ratespec(encoder: Encoder, rate: number, cellLog: number): void {
  encoder.u8(cellLog).u8(TC_LINKLAYER_ETHERNET).u16(0).s16(-1).u16(0).u32(rate);
}

/**
 * The request that attaches a token bucket filter as the root qdisc of the link at `index`
 * (RTM_NEWQDISC with NLM_F_CREATE and NLM_F_EXCL), as `tc qdisc add dev D root tbf rate R burst
 * B (limit L | latency T) [peakrate P mtu M]` makes it. A rate of 2^32 bytes per second or more
 * goes in TCA_TBF_RATE64 (the rate spec and table then hold the largest 32-bit rate, as `tc`
 * has them).
 *
 * @param index the link's index
 * @param spec the rate, burst, limit or latency, and peak rate with its MTU
 * @param ticksPerUs the scheduler's ticks per microsecond ({@link ticksPerMicrosecond})
 * @throws {CniError} code 7 for values out of range or missing
 */
export function addTbfRequest(index: number, spec: TbfSpec, ticksPerUs: number): Request {
  const rate = checkInteger(spec.rate, "tbf rate", 1, MAX_RATE);
  const burst = checkInteger(spec.burst, "tbf burst", 1, MAX_U32);
  const peakrate = spec.peakrate === undefined
    ? undefined
    : checkInteger(spec.peakrate, "tbf peak rate", 1, MAX_RATE);
  const mtu = spec.mtu === undefined ? 0 : checkInteger(spec.mtu, "tbf MTU", 1, MAX_U32);
  if (peakrate !== undefined && spec.mtu === undefined) {
    throw invalid("tbf peak rate", peakrate, "it needs an MTU");
  }
  let limit: number;
  if (spec.limit !== undefined) {
    limit = checkInteger(spec.limit, "tbf limit", 1, MAX_U32);
  } else if (spec.latencyUs !== undefined) {
    const latency = checkInteger(spec.latencyUs, "tbf latency", 0, MAX_U32);
    let bytes = (rate * latency) / US_PER_SECOND + burst;
    if (peakrate !== undefined) {
      bytes = Math.min(bytes, (peakrate * latency) / US_PER_SECOND + mtu);
    }
    limit = Math.trunc(bytes);
    if (limit > MAX_U32) throw invalid("tbf latency", latency, "the limit it gives is too large");
  } else {
    throw invalid("tbf", "", "it needs a limit or a latency");
  }
  const rate32 = Math.min(rate, MAX_U32);
  const peak32 = peakrate === undefined ? 0 : Math.min(peakrate, MAX_U32);
  const tableMtu = mtu === 0 ? DEFAULT_MTU : mtu;
  const rates = rateTable(rate32, tableMtu, ticksPerUs);
  const peaks = peakrate === undefined ? undefined : rateTable(peak32, tableMtu, ticksPerUs);

  const encoder = new Encoder()
    .u8(AF_UNSPEC).u8(0).u16(0)
    .s32(checkIndex(index))
    .u32(0)
    .u32(TC_H_ROOT)
    .u32(0);
  encoder.attrString(TCA_KIND, "tbf");
  encoder.nest(TCA_OPTIONS, () => {
    const parms = new Encoder();
    ratespec(parms, rate32, rates.cellLog);
    if (peaks === undefined) parms.bytes(new Uint8Array(RATESPEC));
    else ratespec(parms, peak32, peaks.cellLog);
    parms.u32(limit)
      .u32(transmitTicks(rate32, burst, ticksPerUs))
      .u32(peaks === undefined ? 0 : transmitTicks(peak32, mtu, ticksPerUs));
    encoder.attr(TCA_TBF_PARMS, parms.finish());
    encoder.attrU32(TCA_TBF_BURST, burst);
    if (rate > MAX_U32) encoder.attrU64(TCA_TBF_RATE64, BigInt(rate));
    encoder.attr(TCA_TBF_RTAB, rates.table);
    if (peaks !== undefined) {
      if (peak32 < peakrate!) encoder.attrU64(TCA_TBF_PRATE64, BigInt(peakrate!));
      encoder.attrU32(TCA_TBF_PBURST, mtu);
      encoder.attr(TCA_TBF_PTAB, peaks.table);
    }
  });
  return { type: RTM_NEWQDISC, flags: NLM_F_CREATE | NLM_F_EXCL, body: encoder.finish() };
}

function tcmsg(index: number, parent: number): Uint8Array<ArrayBuffer> {
  return new Encoder().u8(AF_UNSPEC).u8(0).u16(0).s32(index).u32(0).u32(parent).u32(0).finish();
}

/** The request that deletes the root qdisc of the link at `index` (RTM_DELQDISC). */
export function deleteRootQdiscRequest(index: number): Request {
  return { type: RTM_DELQDISC, flags: 0, body: tcmsg(checkIndex(index), TC_H_ROOT) };
}

/** The dump request of the qdiscs; `index` asks for one link's. */
export function listQdiscsRequest(index = 0): Request {
  return { type: RTM_GETQDISC, flags: 0, body: tcmsg(index, 0) };
}

/** A qdisc with the index of its link rather than the link's name. */
export type QdiscEntry = Omit<Qdisc, "dev"> & {
  /** The index of the link it is attached to. */
  index: number;
};

function tbfSettings(options: Attributes, ticksPerUs: number): TbfSettings | undefined {
  const parms = options.bytes(TCA_TBF_PARMS);
  if (parms === undefined) return undefined;
  const view = fixedHeader(parms, TBF_QOPT, "struct tc_tbf_qopt");
  const rate64 = options.u64(TCA_TBF_RATE64);
  const peak64 = options.u64(TCA_TBF_PRATE64);
  const rate = rate64 === undefined ? view.getUint32(8, true) : Number(rate64);
  const peakrate = peak64 === undefined ? view.getUint32(RATESPEC + 8, true) : Number(peak64);
  const limit = view.getUint32(2 * RATESPEC, true);
  const buffer = view.getUint32(2 * RATESPEC + 4, true);
  const mtu = view.getUint32(2 * RATESPEC + 8, true);
  return {
    rate,
    burst: transmitSize(rate, buffer, ticksPerUs),
    limit,
    ...(peakrate === 0 ? {} : { peakrate, mtu: transmitSize(peakrate, mtu, ticksPerUs) }),
  };
}

/**
 * A qdisc from an RTM_NEWQDISC message; undefined for another type. A tbf's settings are
 * converted back to bytes as `tc` does: the burst from the buffer's ticks at the rate, the peak
 * MTU from its ticks at the peak rate.
 *
 * @param message the message
 * @param ticksPerUs the scheduler's ticks per microsecond, for a tbf
 * @throws {MalformedMessageError} when the message does not parse
 */
export function decodeQdisc(message: Message, ticksPerUs: () => number): QdiscEntry | undefined {
  if (message.type !== RTM_NEWQDISC) return undefined;
  const header = fixedHeader(message.payload, TCMSG, "struct tcmsg");
  const attributes = new Attributes(message.payload.subarray(TCMSG));
  const kind = attributes.string(TCA_KIND);
  if (kind === undefined) throw new MalformedMessageError("a qdisc without a kind");
  const parent = header.getUint32(12, true);
  const options = kind === "tbf" ? attributes.nested(TCA_OPTIONS) : undefined;
  const tbf = options === undefined ? undefined : tbfSettings(options, ticksPerUs());
  return {
    index: header.getInt32(4, true),
    kind,
    handle: header.getUint32(8, true),
    root: parent === TC_H_ROOT,
    parent,
    ...(tbf === undefined ? {} : { tbf }),
  };
}
