/**
 * deno-host-local in `deno task bench` (scripts/bench.ts): its cases, measured in the same
 * interleaved rounds as the rest, and a report of its own.
 *
 * - floor-lock: scripts/bench_floor_lock.js, the bench floor plus the file work every lease store
 *   does, the cheapest way (the network's directory, the `flock` of its lock file, one lease file
 *   made and removed, the last address written), with deno-host-local's permissions;
 * - hl-add: deno-host-local's ADD, from its bundle with its plugins.json permissions;
 * - go-hl-add: Debian's Go host-local's ADD, the same configuration.
 *
 * Before each run of an ADD its data directory is put back to the same state, untimed: ten
 * leases and the last address reserved, so every run does the same work (the next address).
 *
 * After the rounds, 100 ADDs are started at once on one range, a few times, for each plugin: the
 * report gives the time until all have answered, and the benchmark fails loudly unless the 100
 * addresses are distinct every time.
 */
import { bundlePath, manifestEntry, ROOT, RUN_FLAGS, runArgs } from "./manifest.ts";
import type { BenchCase, Stats } from "./bench.ts";

/** Debian's Go host-local. */
export const GO_HOST_LOCAL = "/usr/lib/cni/host-local";

/** Where the ADD cases keep their leases: dist/, the build's output. */
const DATA_ROOT = `${ROOT}/dist/bench-host-local`;

/** The leases each ADD run finds: 10.88.0.2 to 10.88.0.11. */
const PRESET = 10;

function removeIfThere(path: string): void {
  try {
    Deno.removeSync(path, { recursive: true });
  } catch (error) {
    if (!(error instanceof Deno.errors.NotFound)) throw error;
  }
}

function exists(path: string): boolean {
  try {
    Deno.statSync(path);
    return true;
  } catch {
    return false;
  }
}

function env(command: string, containerId: string): Record<string, string> {
  return {
    CNI_COMMAND: command,
    CNI_CONTAINERID: containerId,
    CNI_NETNS: "/var/run/netns/bench",
    CNI_IFNAME: "eth0",
    CNI_PATH: "/opt/cni/bin",
  };
}

function config(dataDir: string, subnet = "10.88.0.0/16"): Uint8Array {
  return new TextEncoder().encode(JSON.stringify({
    cniVersion: "1.0.0",
    name: "bench",
    type: "bridge",
    ipam: { type: "host-local", subnet, routes: [{ dst: "0.0.0.0/0" }], dataDir },
  }));
}

/** Puts a data directory back to {@link PRESET} leases, the last of them reserved last. */
function preset(dataDir: string): void {
  const dir = `${dataDir}/bench`;
  removeIfThere(dataDir);
  Deno.mkdirSync(dir, { recursive: true });
  Deno.writeFileSync(`${dir}/lock`, new Uint8Array(), { mode: 0o750 });
  for (let i = 0; i < PRESET; i++) {
    Deno.writeTextFileSync(`${dir}/10.88.0.${2 + i}`, `old${i}\r\neth0`);
  }
  Deno.writeTextFileSync(`${dir}/last_reserved_ip.0`, `10.88.0.${1 + PRESET}`);
}

/** How deno-host-local runs here: `deno run` of its bundle with its permissions. */
function denoCommand(): [string, string[]] {
  return [Deno.execPath(), runArgs(manifestEntry("deno-host-local"))];
}

/** Why the host-local cases cannot run, or undefined. */
export function hostLocalSkip(): string | undefined {
  if (!exists(bundlePath("deno-host-local"))) {
    return "no dist/deno-host-local.js (run `deno task bundle`)";
  }
  return undefined;
}

/**
 * The host-local cases of the rounds. `denoEnv` is the environment a `deno run` child gets.
 */
export function hostLocalCases(denoEnv: Record<string, string>): BenchCase[] {
  if (hostLocalSkip() !== undefined) return [];
  const [deno, args] = denoCommand();
  const permissions = manifestEntry("deno-host-local").permissions;
  const dir = (name: string) => `${DATA_ROOT}/${name}`;
  const cases: BenchCase[] = [
    {
      name: "floor-lock",
      about: "bare Deno floor + mkdir, flock, lease and last address files (sync)",
      command: deno,
      args: ["run", ...RUN_FLAGS, ...permissions, `${ROOT}/scripts/bench_floor_lock.js`],
      env: { ...denoEnv, ...env("ADD", "bench") },
      stdin: config(dir("floor")),
      expect: "json",
      entries: 0,
      kind: "floor",
      prepare: () => preset(dir("floor")),
    },
    {
      name: "hl-add",
      about: `deno-host-local ADD, ${PRESET} leases in the network`,
      command: deno,
      args,
      env: { ...denoEnv, ...env("ADD", "bench") },
      stdin: config(dir("deno")),
      expect: "json",
      entries: 0,
      kind: "sample",
      prepare: () => preset(dir("deno")),
    },
  ];
  if (exists(GO_HOST_LOCAL)) {
    cases.push({
      name: "go-hl-add",
      about: `Go host-local ADD, ${PRESET} leases in the network`,
      command: GO_HOST_LOCAL,
      args: [],
      env: env("ADD", "bench"),
      stdin: config(dir("go")),
      expect: "json",
      entries: 0,
      kind: "go",
      prepare: () => preset(dir("go")),
    });
  }
  return cases;
}

/** Runs one ADD and returns the address it got. */
async function add(
  command: string,
  args: string[],
  vars: Record<string, string>,
  stdin: Uint8Array,
) {
  const child = new Deno.Command(command, {
    args,
    env: vars,
    clearEnv: true,
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const writer = child.stdin.getWriter();
  await writer.write(stdin);
  await writer.close();
  const output = await child.output();
  const stdout = new TextDecoder().decode(output.stdout);
  if (output.code !== 0) {
    throw new Error(
      `bench: a concurrent ADD failed (exit ${output.code}): ${stdout.slice(0, 400)} ` +
        new TextDecoder().decode(output.stderr).slice(0, 400),
    );
  }
  return (JSON.parse(stdout) as { ips: { address: string }[] }).ips[0]!.address;
}

/** 100 ADDs started at once on one /24; the time until all answered. Fails on a shared address. */
async function burst(
  runner: "deno" | "go",
  denoEnv: Record<string, string>,
  round: number,
): Promise<number> {
  const dataDir = `${DATA_ROOT}/burst-${runner}`;
  removeIfThere(dataDir);
  const [deno, args] = denoCommand();
  const stdin = config(dataDir, "10.89.0.0/24");
  const start = performance.now();
  const addresses = await Promise.all(
    Array.from(
      { length: 100 },
      (_, i) =>
        runner === "go"
          ? add(GO_HOST_LOCAL, [], env("ADD", `burst${i}`), stdin)
          : add(deno, args, { ...denoEnv, ...env("ADD", `burst${i}`) }, stdin),
    ),
  );
  const ms = performance.now() - start;
  const distinct = new Set(addresses).size;
  if (distinct !== 100) {
    throw new Error(
      `bench: FAILED: 100 concurrent ${runner} host-local ADDs (burst ${round}) got only ` +
        `${distinct} distinct addresses: ${addresses.join(" ")}`,
    );
  }
  return ms;
}

function median(values: readonly number[]): number | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.ceil(sorted.length / 2) - 1]!;
}

const round2 = (n: number | null) => (n === null ? null : Math.round(n * 100) / 100);

/** The report: ratios of the rounds' medians, the bursts, the target. */
export interface HostLocalReport {
  skipped?: string;
  addMs: number | null;
  floorMs: number | null;
  floorLockMs: number | null;
  goAddMs: number | null;
  lockMs: number | null;
  addVsFloor: number | null;
  addVsFloorLock: number | null;
  addVsGo: number | null;
  addWithin1Point2xFloorPlusLock: boolean | null;
  concurrent100: {
    bursts: number;
    denoMs: number[];
    goMs: number[];
    denoMedianMs: number | null;
    goMedianMs: number | null;
    distinctEveryTime: true;
  } | null;
}

/**
 * Runs the bursts and reads the rounds' medians. `wall` gives a case's wall-time statistics by
 * name; `bursts` is how many bursts per plugin.
 */
export async function hostLocalReport(
  wall: (name: string) => Stats | null | undefined,
  bursts: number,
): Promise<HostLocalReport> {
  // What scripts/bench.ts gives a `deno run` child: the launchers' code cache.
  const denoEnv = {
    DENO_DIR: Deno.env.get("DENO_DIR") ?? `${ROOT}/.tools/deno-dir`,
    DENO_NO_UPDATE_CHECK: "1",
  };
  const skipped = hostLocalSkip();
  const addMs = wall("hl-add")?.median ?? null;
  const floorMs = wall("floor")?.median ?? null;
  const floorLockMs = wall("floor-lock")?.median ?? null;
  const goAddMs = wall("go-hl-add")?.median ?? null;
  const lockMs = floorMs !== null && floorLockMs !== null ? floorLockMs - floorMs : null;
  const ratio = (a: number | null, b: number | null) => (a !== null && b ? round2(a / b) : null);
  let concurrent100: HostLocalReport["concurrent100"] = null;
  if (skipped === undefined && addMs !== null) {
    const denoMs: number[] = [];
    const goMs: number[] = [];
    const hasGo = exists(GO_HOST_LOCAL);
    for (let round = 0; round < bursts; round++) {
      denoMs.push(await burst("deno", denoEnv, round));
      if (hasGo) goMs.push(await burst("go", denoEnv, round));
    }
    concurrent100 = {
      bursts,
      denoMs: denoMs.map((ms) => round2(ms)!),
      goMs: goMs.map((ms) => round2(ms)!),
      denoMedianMs: round2(median(denoMs)),
      goMedianMs: round2(median(goMs)),
      distinctEveryTime: true,
    };
  }
  removeIfThere(DATA_ROOT);
  return {
    ...(skipped === undefined ? {} : { skipped }),
    addMs: round2(addMs),
    floorMs: round2(floorMs),
    floorLockMs: round2(floorLockMs),
    goAddMs: round2(goAddMs),
    lockMs: round2(lockMs),
    addVsFloor: ratio(addMs, floorMs),
    addVsFloorLock: ratio(addMs, floorLockMs),
    addVsGo: ratio(addMs, goAddMs),
    addWithin1Point2xFloorPlusLock: addMs !== null && floorMs !== null && lockMs !== null
      ? addMs <= 1.2 * floorMs + lockMs
      : null,
    concurrent100,
  };
}

/** The report's lines under the benchmark's table. */
export function hostLocalLines(report: HostLocalReport | undefined): string[] {
  if (report === undefined) return [];
  if (report.skipped !== undefined) return [`host-local: skipped, ${report.skipped}`];
  const num = (n: number | null, digits = 2) => (n === null ? "-" : n.toFixed(digits));
  const verdict = report.addWithin1Point2xFloorPlusLock === null
    ? "n/a"
    : report.addWithin1Point2xFloorPlusLock
    ? "met"
    : "NOT met";
  const lines = [
    `host-local ADD ${num(report.addMs)} ms: / floor ${num(report.addVsFloor)}, / floor+lock ` +
    `${num(report.addVsFloorLock)}, / Go ${num(report.addVsGo)}; the lock costs ` +
    `${num(report.lockMs)} ms (target ADD <= 1.2 x floor + lock: ${verdict})`,
  ];
  const c = report.concurrent100;
  if (c !== null) {
    lines.push(
      `host-local, 100 concurrent ADDs on one /24: deno-host-local ${num(c.denoMedianMs, 0)} ms, ` +
        `Go ${num(c.goMedianMs, 0)} ms (median of ${c.bursts}); 100 distinct addresses every time`,
    );
  }
  return lines;
}
