/**
 * The namespace toolkit's cost per operation in `deno task bench` (scripts/bench.ts):
 *
 * - the netlink backend's medians from `benchNetlink` (scripts/_bench_netlink.ts), per operation
 *   in another namespace, and its first-use costs in a new process;
 * - the toolkit as a plugin calls it, per backend (exec, netlink, model), from `benchNetns`
 *   (scripts/_bench_netns.ts).
 *
 * The benchmark is not granted FFI, so the measurements run in a child process that is
 * (`--allow-ffi --allow-read --allow-run`), which prints them as JSON. They need root: each makes
 * a throwaway namespace, which it deletes when it ends, also after SIGINT or SIGTERM (the child
 * finishes its measurement first, a few seconds at most).
 *
 * Target: list links, add an address and add a route each under 1 ms through netlink.
 *
 * @module
 */
import type { BenchOptions } from "./bench.ts";
import type { NetlinkBench } from "./_bench_netlink.ts";
import type { NetnsBench } from "./_bench_netns.ts";
import { isRoot } from "./_bench_ptp.ts";

/** The operations the target is about, as `benchNetlink` names them. */
export const TARGET_OPERATIONS = ["list links", "add an address", "add a route"] as const;

/** The report of the toolkit case. */
export interface ToolkitReport {
  skipped?: string;
  netlink?: NetlinkBench;
  /** Per backend; or why scripts/_bench_netns.ts could not measure. */
  netns?: NetnsBench | { failed: string };
  /** Every operation of {@link TARGET_OPERATIONS} under 1 ms through netlink, in both. */
  netlinkOpsUnder1Ms?: boolean;
}

/** What the child prints. */
interface ChildOutput {
  netlink: NetlinkBench;
  netns: NetnsBench | { failed: string };
}

const decoder = new TextDecoder();

/** Iterations per operation: 200, or 20 for `--quick` (two rounds or fewer). */
export function toolkitIterations(options: BenchOptions): number {
  return options.maxRounds <= 2 ? 20 : 200;
}

/**
 * Runs the toolkit case unless `--only` leaves it out (undefined then). Exits the process with
 * status 130 (143) once the child has cleaned up when SIGINT (SIGTERM) comes.
 */
export async function toolkitReport(options: BenchOptions): Promise<ToolkitReport | undefined> {
  if (options.only !== undefined && !options.only.includes("netlink")) return undefined;
  if (Deno.build.os !== "linux") return { skipped: "it needs Linux" };
  if (!isRoot()) return { skipped: "it needs root (a network namespace)" };
  const child = new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "--allow-ffi",
      "--allow-read",
      "--allow-run",
      new URL(import.meta.url).pathname,
      `--iterations=${toolkitIterations(options)}`,
    ],
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  let interrupted: number | undefined;
  const listeners = {
    SIGINT: () => void (interrupted ??= 130),
    SIGTERM: () => void (interrupted ??= 143),
  };
  for (const [signal, listener] of Object.entries(listeners)) {
    Deno.addSignalListener(signal as Deno.Signal, listener);
  }
  let output: Deno.CommandOutput;
  try {
    output = await child.output();
  } finally {
    for (const [signal, listener] of Object.entries(listeners)) {
      Deno.removeSignalListener(signal as Deno.Signal, listener);
    }
  }
  if (interrupted !== undefined) {
    console.error("bench: interrupted; the toolkit measurement removed its namespaces");
    Deno.exit(interrupted);
  }
  if (output.code !== 0) {
    const stderr = decoder.decode(output.stderr).trim();
    throw new Error(
      `bench: the netlink measurement failed (exit ${output.code}): ${stderr.slice(0, 400)}`,
    );
  }
  const { netlink, netns } = JSON.parse(decoder.decode(output.stdout)) as ChildOutput;
  const viaNetns = "backends" in netns && "medianMs" in netns.backends.netlink
    ? netns.backends.netlink.medianMs
    : {};
  const under1Ms = (figures: Record<string, number>) =>
    TARGET_OPERATIONS.every((op) => (figures[op] ?? NaN) < 1);
  return {
    netlink,
    netns,
    netlinkOpsUnder1Ms: under1Ms(netlink.perOperation) &&
      (Object.keys(viaNetns).length === 0 || under1Ms(viaNetns)),
  };
}

/** The report's lines under the benchmark's table. */
export function toolkitLines(report: ToolkitReport | undefined): string[] {
  if (report === undefined) return [];
  if (report.skipped !== undefined) return [`netlink: skipped, ${report.skipped}`];
  const n = report.netlink!;
  const ms = (value: number | undefined) => (value === undefined ? "-" : `${value.toFixed(3)} ms`);
  const verdict = report.netlinkOpsUnder1Ms ? "met" : "NOT met";
  const ops = Object.entries(n.perOperation).map(([op, value]) => `${op} ${ms(value)}`);
  const netns = report.netns;
  const perBackend = netns === undefined
    ? []
    : "failed" in netns
    ? [`namespace toolkit per backend: failed, ${netns.failed}`]
    : Object.entries(netns.backends).map(([name, figures]) =>
      "skipped" in figures
        ? `namespace toolkit, ${name} backend: skipped, ${figures.skipped}`
        : `namespace toolkit, ${name} backend (median of ${netns.iterations}): ` +
          Object.entries(figures.medianMs).map(([op, value]) => `${op} ${ms(value)}`).join(", ")
    );
  return [
    ...perBackend,
    `netlink toolkit, per operation in another namespace (median of ${n.iterations}): ` +
    `${ops.join(", ")} (target < 1 ms for ${TARGET_OPERATIONS.join(", ")}: ${verdict}); ` +
    `\`ip -n <ns> link show\` as a program ${ms(n.ipProgramMs)}`,
    `netlink toolkit, first use in a new process: import ${ms(n.startup.importMs)}, ` +
    `opening the C library ${ms(n.startup.dlopenMs)}, first socket ${
      ms(n.startup.firstSocketMs)
    }, first operation in another namespace ${ms(n.startup.firstOperationInNamespaceMs)}`,
  ];
}

/** The child's work: both measurements, the second one's failure reported, not thrown. */
async function measureInChild(iterations: number): Promise<ChildOutput> {
  const { benchNetlink } = await import("./_bench_netlink.ts");
  const netlink = await benchNetlink({ iterations });
  let netns: ChildOutput["netns"];
  try {
    const { benchNetns } = await import("./_bench_netns.ts");
    netns = await benchNetns({ iterations });
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    netns = { failed: message.split("\n")[0]!.slice(0, 300) };
  }
  return { netlink, netns };
}

if (import.meta.main) {
  // The child: measures with FFI and prints the figures as JSON. A signal lets it finish, so
  // that the measurements delete their namespaces.
  for (const signal of ["SIGINT", "SIGTERM"] as const) Deno.addSignalListener(signal, () => {});
  const arg = Deno.args.find((a) => a.startsWith("--iterations="));
  const iterations = arg === undefined ? 200 : Number(arg.slice("--iterations=".length));
  console.log(JSON.stringify(await measureInChild(iterations)));
  Deno.exit(0);
}
