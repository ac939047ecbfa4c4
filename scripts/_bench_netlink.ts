/**
 * The cost of in-process networking (lib/netlink): per operation in another namespace, and what
 * importing and first use cost. As root (it makes a throwaway namespace with `ip netns add`),
 * with `--allow-ffi --allow-read --allow-run`:
 *
 *     deno run --allow-ffi --allow-read --allow-run scripts/_bench_netlink.ts [--iterations=N]
 *
 * prints the medians; {@link benchNetlink} returns them for a caller such as `deno task bench`.
 *
 * - startup (in a new process, so nothing is cached): importing lib/netlink/mod.ts, opening the
 *   C library, opening the first socket in the own namespace, and the first operation in another
 *   namespace (checking and opening its path, entering it, opening a socket there, listing links);
 * - per operation, in another namespace with a socket already open: entering and leaving it, get
 *   a link, list links, add an address, add a route, list routes (each add undone, untimed, before
 *   the next);
 * - for comparison, `ip -n <ns> -j link show` run as a program, which is what each step of the
 *   exec backend costs.
 */
import type { NamespaceOps } from "../lib/net_backend.ts";

/** Medians in milliseconds. */
export interface NetlinkBench {
  /** Costs in a new process, once each. */
  startup: {
    importMs: number;
    dlopenMs: number;
    firstSocketMs: number;
    firstOperationInNamespaceMs: number;
  };
  /** Median milliseconds per operation, in another namespace. */
  perOperation: Record<string, number>;
  /** Median milliseconds of `ip -n <ns> -j link show`. */
  ipProgramMs: number;
  /** Iterations per operation. */
  iterations: number;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

async function run(program: string, args: string[]): Promise<string> {
  const output = await new Deno.Command(program, { args, stdout: "piped", stderr: "piped" })
    .output();
  if (!output.success) {
    throw new Error(`${program} ${args.join(" ")}: ${new TextDecoder().decode(output.stderr)}`);
  }
  return new TextDecoder().decode(output.stdout);
}

/** Startup costs, measured in this process: call it in a new one. */
async function startup(path: string): Promise<NetlinkBench["startup"]> {
  const start = performance.now();
  const mod = await import("../lib/netlink/mod.ts");
  const importMs = performance.now() - start;
  const libc = await import("../lib/netlink/_libc.ts");
  if (libc.libcOpened()) throw new Error("importing lib/netlink opened the C library");
  const socketStart = performance.now();
  mod.RouteSocket.open().close();
  const firstSocketMs = performance.now() - socketStart;
  using backend = mod.netlinkBackend();
  const opStart = performance.now();
  await backend.open(path).links();
  const firstOperationInNamespaceMs = performance.now() - opStart;
  return { importMs, dlopenMs: libc.dlopenMs ?? NaN, firstSocketMs, firstOperationInNamespaceMs };
}

async function timed(
  iterations: number,
  op: () => Promise<unknown>,
  undo?: () => Promise<unknown>,
) {
  const times: number[] = [];
  for (let i = 0; i < iterations; i++) {
    const start = performance.now();
    await op();
    times.push(performance.now() - start);
    await undo?.();
  }
  return median(times);
}

/**
 * Measures lib/netlink in a throwaway namespace.
 *
 * @param options iterations per operation (default 200)
 */
export async function benchNetlink(options: { iterations?: number } = {}): Promise<NetlinkBench> {
  const iterations = options.iterations ?? 200;
  const name = `dcni-nl-bench-${crypto.randomUUID().slice(0, 8)}`;
  const path = `/var/run/netns/${name}`;
  await run("ip", ["netns", "add", name]);
  try {
    const child = await run(Deno.execPath(), [
      "run",
      "--allow-ffi",
      "--allow-read",
      "--allow-run",
      new URL(import.meta.url).pathname,
      `--startup=${path}`,
    ]);
    const startupCosts = JSON.parse(child) as NetlinkBench["startup"];

    const { netlinkBackend } = await import("../lib/netlink/mod.ts");
    const { openNamespace } = await import("../lib/netlink/namespace.ts");
    using backend = netlinkBackend();
    const ops: NamespaceOps = backend.open(path);
    await ops.createLink({ kind: "veth", name: "eth0", peerName: "peer0" });
    await ops.setLink("eth0", { up: true });
    await ops.setLink("peer0", { up: true });
    await ops.addAddress("eth0", "10.1.0.5/24", {});
    using ns = openNamespace(path);
    const route = { dst: "10.9.0.0/16", via: "10.1.0.1", dev: "eth0" };
    const perOperation: Record<string, number> = {
      "enter and leave the namespace": await timed(
        iterations,
        () => Promise.resolve(ns.run(() => 0)),
      ),
      "get a link": await timed(iterations, () => ops.link("eth0")),
      "list links": await timed(iterations, () => ops.links()),
      "add an address": await timed(
        iterations,
        () => ops.addAddress("eth0", "10.2.0.5/24", {}),
        () => ops.deleteAddress("eth0", "10.2.0.5/24"),
      ),
      "add a route": await timed(
        iterations,
        () => ops.addRoute(route, false),
        () => ops.deleteRoute(route),
      ),
      "list routes": await timed(iterations, () => ops.routes(4)),
      "read a sysctl": await timed(iterations, () => ops.sysctlGet("net.ipv4.ip_forward")),
    };
    const ipProgramMs = await timed(
      Math.min(iterations, 30),
      () => run("ip", ["-n", name, "-j", "link", "show"]),
    );
    return { startup: startupCosts, perOperation, ipProgramMs, iterations };
  } finally {
    await new Deno.Command("ip", { args: ["netns", "del", name] }).output();
  }
}

if (import.meta.main) {
  const startupArg = Deno.args.find((arg) => arg.startsWith("--startup="));
  if (startupArg !== undefined) {
    console.log(JSON.stringify(await startup(startupArg.slice("--startup=".length))));
  } else {
    const iterationsArg = Deno.args.find((arg) => arg.startsWith("--iterations="));
    const result = await benchNetlink(
      iterationsArg === undefined ? {} : { iterations: Number(iterationsArg.split("=")[1]) },
    );
    const ms = (value: number) => `${value.toFixed(3)} ms`;
    console.log(`startup (a new process):`);
    for (const [key, value] of Object.entries(result.startup)) {
      console.log(`  ${key}: ${ms(value)}`);
    }
    console.log(`per operation in another namespace (median of ${result.iterations}):`);
    for (const [key, value] of Object.entries(result.perOperation)) {
      console.log(`  ${key}: ${ms(value)}`);
    }
    console.log(`ip -n <ns> -j link show as a program: ${ms(result.ipProgramMs)}`);
  }
}
