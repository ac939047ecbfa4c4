/**
 * The namespace toolkit's cost per operation on each backend: the median of listing links,
 * adding an address and adding a route, in another namespace, through `netns(path, { host,
 * backend })` as a plugin calls it. {@link benchNetns} returns the figures for a caller such as
 * `deno task bench`; run alone it prints them:
 *
 *     deno run --allow-all scripts/_bench_netns.ts [--iterations=N]
 *
 * - model: the model kernel of lib/testing.ts, anywhere;
 * - exec: `ip` through `nsenter`, as root, in a throwaway namespace (`ip netns add
 *   dcni-ct-bench-<random>`, deleted afterwards, also when a measurement fails);
 * - netlink: the same as root, with `--allow-ffi`.
 *
 * Each add is undone (untimed) before the next, so every iteration does the same work.
 *
 * @module
 */
import { execBackend } from "../lib/_netns_exec.ts";
import { denoHost, type Host } from "../lib/host.ts";
import type { NetnsBackend } from "../lib/net_backend.ts";
import { type Netns, netns } from "../lib/netns.ts";
import { fakeHost, modelKernel } from "../lib/testing.ts";

/** The operations measured, in the order reported. */
export const NETNS_OPERATIONS = ["list links", "add an address", "add a route"] as const;

/** One backend's figures, or why it was not measured. */
export type BackendBench =
  | { medianMs: Record<(typeof NETNS_OPERATIONS)[number], number> }
  | { skipped: string };

/** What {@link benchNetns} measured. */
export interface NetnsBench {
  /** Iterations per operation. */
  iterations: number;
  /** Per backend. */
  backends: Record<NetnsBackend["kind"], BackendBench>;
}

/** Options of {@link benchNetns}. */
export interface NetnsBenchOptions {
  /** Iterations per operation; default 100. */
  iterations?: number;
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

async function timed(
  iterations: number,
  op: () => Promise<unknown>,
  undo?: () => Promise<unknown>,
): Promise<number> {
  const times: number[] = [];
  for (let i = 0; i < iterations; i++) {
    const start = performance.now();
    await op();
    times.push(performance.now() - start);
    await undo?.();
  }
  return median(times);
}

/** Measures the three operations in the namespace of `ns`, which has only `lo`. */
async function measure(ns: Netns, iterations: number): Promise<BackendBench> {
  await ns.createVeth({ name: "eth0", peerName: "peer0" });
  await ns.setLinkUp("eth0");
  await ns.setLinkUp("peer0");
  await ns.addAddress("eth0", "10.1.0.5/24");
  const route = { dst: "10.9.0.0/16", via: "10.1.0.1", dev: "eth0" };
  return {
    medianMs: {
      "list links": await timed(iterations, () => ns.links()),
      "add an address": await timed(
        iterations,
        () => ns.addAddress("eth0", "10.2.0.5/24"),
        () => ns.deleteAddress("eth0", "10.2.0.5/24"),
      ),
      "add a route": await timed(
        iterations,
        () => ns.addRoute(route),
        () => ns.deleteRoute(route),
      ),
    },
  };
}

async function succeeds(program: string, args: string[]): Promise<boolean> {
  try {
    return (await new Deno.Command(program, { args, stdout: "null", stderr: "null" }).output())
      .success;
  } catch {
    return false;
  }
}

/** Measures a kernel backend in a throwaway namespace, deleted afterwards. */
async function onKernel(
  host: Host,
  backend: NetnsBackend & { close?(): void },
  iterations: number,
): Promise<BackendBench> {
  const name = `dcni-ct-bench-${crypto.randomUUID().slice(0, 8)}`;
  if (!(await succeeds("ip", ["netns", "add", name]))) {
    return { skipped: "it needs root and ip (a throwaway namespace)" };
  }
  try {
    return await measure(netns(`/run/netns/${name}`, { host, backend }), iterations);
  } finally {
    backend.close?.();
    await succeeds("ip", ["netns", "del", name]);
  }
}

/**
 * Measures every backend there is here.
 *
 * @param options iterations per operation
 */
export async function benchNetns(options: NetnsBenchOptions = {}): Promise<NetnsBench> {
  const iterations = options.iterations ?? 100;
  const kernel = modelKernel();
  kernel.addNamespace("/run/netns/bench");
  const model = await measure(
    netns("/run/netns/bench", { host: fakeHost({ kernel }) }),
    iterations,
  );
  const host = denoHost();
  const id = await host.run("id", ["-u"], { timeoutMs: 10_000 }).catch(() => undefined);
  const root = id?.stdout.trim() === "0";
  const exec: BackendBench = root
    ? await onKernel(host, execBackend(host, 60_000), iterations)
    : { skipped: "it needs root (a network namespace)" };
  let netlink: BackendBench;
  if (!root) netlink = { skipped: "it needs root (a network namespace)" };
  else if ((await Deno.permissions.query({ name: "ffi" })).state !== "granted") {
    netlink = { skipped: "it needs --allow-ffi" };
  } else {
    const { netlinkBackend } = await import("../lib/netlink/mod.ts");
    netlink = await onKernel(host, netlinkBackend(), iterations);
  }
  return { iterations, backends: { exec, netlink, model } };
}

/** The figures as lines of text. */
export function netnsBenchLines(bench: NetnsBench): string[] {
  return Object.entries(bench.backends).map(([name, figures]) => {
    if ("skipped" in figures) return `${name}: skipped, ${figures.skipped}`;
    const ops = NETNS_OPERATIONS.map((op) => `${op} ${figures.medianMs[op].toFixed(3)} ms`);
    return `${name}: ${ops.join(", ")} (median of ${bench.iterations}, in another namespace)`;
  });
}

if (import.meta.main) {
  const arg = Deno.args.find((a) => a.startsWith("--iterations="));
  const bench = await benchNetns(
    arg === undefined ? {} : { iterations: Number(arg.slice("--iterations=".length)) },
  );
  for (const line of netnsBenchLines(bench)) console.log(line);
}
