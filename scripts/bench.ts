/**
 * `deno task bench`: the start-up cost of the plugins, which is their performance, since a CNI
 * plugin is a new process for every container start and stop.
 *
 * Each round runs every case once, in turn (round-robin, in a rotating order), after warm-up
 * rounds that are not counted:
 *
 * - floor: scripts/bench_floor.js, which only reads stdin, parses and prints JSON and exits, run
 *   with the sample's flags and permissions (compiled the same way when the sample is): the
 *   runtime's start, which no plugin can go below;
 * - the sample plugin's VERSION, ADD (chained on one interface and one IP) and DEL, run as
 *   production runs it: bin/sample when that is a compiled binary, else `deno run` of its bundle
 *   with the permissions `deno compile` would bake in (scripts/manifest.ts `runArgs`);
 * - the same ADD through the bin/sample launcher script, when bin/sample is one;
 * - Debian's Go `bandwidth` plugin with nothing to configure, chained on the same previous result:
 *   it only decodes, converts and prints the result, as the sample does;
 * - the scaling case: the sample's ADD, the floor and Go with a previous result of 100 and 1,000
 *   interfaces, IPs and routes (half of them IPv6).
 *
 * After the rounds, as root: deno-ptp against Go's ptp through a runtime (scripts/_bench_ptp.ts,
 * `--only` names ptp-cycle and ptp-parallel) and the namespace toolkit's cost per operation
 * (scripts/_bench_toolkit.ts, `--only=netlink`); without root or the Debian packages they are
 * skipped with a line saying why.
 *
 * Children get a clean environment: the CNI_* variables, and for `deno run` the DENO_DIR the
 * launchers use (so the V8 code cache of the bundle is shared with them).
 *
 * Wall time runs from spawning a child to having read all its output. Peak memory (maximum RSS)
 * comes from the kernel's accounting of the exited child, which GNU time (`/usr/bin/time -f %M`)
 * prints: that takes a second run of each case under `time`, so that the wrapper's own fork and
 * exec never count in the wall times. (Polling /proc/<pid>/status for VmHWM would race the
 * child's exit.) Without /usr/bin/time (Debian package `time`), memory is left out.
 *
 * Flags: --seconds=N (time budget of the counted rounds; default 40, or $BENCH_SECONDS),
 * --rounds=N (at most N counted rounds), --warmup=N, --quick (a few rounds, for tests),
 * --json=PATH (default dist/bench.json), --only=a,b (case names).
 */
import { bundlePath, manifestEntry, ROOT, RUN_FLAGS, runArgs } from "./manifest.ts";
import { hostLocalCases, hostLocalLines, hostLocalReport } from "./_bench_host_local.ts";
import { ptpLines, ptpReport } from "./_bench_ptp.ts";
import { toolkitLines, toolkitReport } from "./_bench_toolkit.ts";

/** One thing to measure: a command, its environment and its stdin. */
export interface BenchCase {
  name: string;
  about: string;
  command: string;
  args: string[];
  env: Record<string, string>;
  stdin: Uint8Array;
  /** What a correct run prints: a JSON document, or nothing. */
  expect: "json" | "empty";
  /** The number of interfaces, IPs and routes in the previous result on stdin. */
  entries: number;
  /** The group the case is compared within: "floor", "go" or "sample". */
  kind: "floor" | "go" | "sample";
  /** Puts back the state the case needs before each run, untimed. */
  prepare?: () => void;
}

/** Order statistics of a list of numbers. */
export interface Stats {
  median: number;
  p90: number;
  min: number;
  max: number;
}

/** The nearest-rank percentile `p` (0-100) of `values`. */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1]!;
}

/** Median, p90, minimum and maximum of `values`, or null for no values. */
export function stats(values: readonly number[]): Stats | null {
  if (values.length === 0) return null;
  return {
    median: percentile(values, 50),
    p90: percentile(values, 90),
    min: Math.min(...values),
    max: Math.max(...values),
  };
}

/**
 * A 1.0.0 previous result with `count` interfaces, IPs and routes; IP `i` belongs to interface
 * `i`, the first interface is eth0, and every other IP and route is IPv6.
 */
export function prevResult(count: number): Record<string, unknown> {
  const interfaces = [];
  const ips = [];
  const routes = [];
  for (let i = 0; i < count; i++) {
    const hi = (i >> 8) & 0xff;
    const lo = i & 0xff;
    const hex = (n: number) => n.toString(16).padStart(2, "0");
    interfaces.push({
      name: `eth${i}`,
      mac: `0a:58:0a:16:${hex(hi)}:${hex(lo)}`,
      sandbox: "/var/run/netns/bench",
    });
    if (i % 2 === 0) {
      ips.push({ address: `10.${hi}.${lo}.5/16`, gateway: `10.${hi}.${lo}.1`, interface: i });
      routes.push({ dst: `172.${16 + hi}.${lo}.0/24`, gw: `10.${hi}.${lo}.1` });
    } else {
      ips.push({
        address: `fd00:${i.toString(16)}::5/64`,
        gateway: `fd00:${i.toString(16)}::1`,
        interface: i,
      });
      routes.push({ dst: `fd10:${i.toString(16)}::/64`, gw: `fd00:${i.toString(16)}::1` });
    }
  }
  return { cniVersion: "1.0.0", interfaces, ips, routes };
}

/** The network configuration of a chained ADD or DEL for plugin `type`. */
function chainedConf(type: string, count: number): Uint8Array {
  const conf: Record<string, unknown> = { cniVersion: "1.0.0", name: "bench", type };
  if (type === "sample") conf.anotherAwesomeArg = "awesome";
  conf.prevResult = prevResult(count);
  return new TextEncoder().encode(JSON.stringify(conf));
}

function entries(count: number): string {
  return count === 1 ? "1 entry" : `${count.toLocaleString("en")} entries`;
}

function cniEnv(command: string): Record<string, string> {
  return {
    CNI_COMMAND: command,
    CNI_CONTAINERID: "bench",
    CNI_NETNS: "/var/run/netns/bench",
    CNI_IFNAME: "eth0",
    CNI_PATH: "/opt/cni/bin",
  };
}

/** True when `path` is an ELF executable (a compiled plugin), not a launcher script. */
function isElf(path: string): boolean {
  try {
    const file = Deno.openSync(path);
    try {
      const head = new Uint8Array(4);
      file.readSync(head);
      return head[0] === 0x7f && head[1] === 0x45 && head[2] === 0x4c && head[3] === 0x46;
    } finally {
      file.close();
    }
  } catch {
    return false;
  }
}

function fileSize(path: string): number | null {
  try {
    return Deno.statSync(path).size;
  } catch {
    return null;
  }
}

/** How the sample runs in production here: its compiled binary, or its bundle. */
export interface SampleMode {
  mode: "compiled" | "bundle";
  command: string;
  args: string[];
  /** bin/sample when it is a launcher script of the bundle. */
  launcher?: string;
}

export function sampleMode(): SampleMode {
  const bin = `${ROOT}/bin/sample`;
  if (isElf(bin)) return { mode: "compiled", command: bin, args: [] };
  const bundled = {
    mode: "bundle" as const,
    command: Deno.execPath(),
    args: runArgs(manifestEntry("sample")),
  };
  return fileSize(bin) === null ? bundled : { ...bundled, launcher: bin };
}

/** The Go reference plugin, from Debian's containernetworking-plugins. */
export const GO_PLUGIN = "/usr/lib/cni/bandwidth";

/** How the floor runs: like the sample, compiled when the sample is. */
export interface FloorMode {
  mode: "compiled" | "bundle";
  command: string;
  args: string[];
  /** Why a compiled sample is compared with a `deno run` floor. */
  note?: string;
}

/** The floor run as `deno run` with the sample's flags and permissions. */
function floorRun(): FloorMode {
  const args = [
    "run",
    ...RUN_FLAGS,
    ...manifestEntry("sample").permissions,
    `${ROOT}/scripts/bench_floor.js`,
  ];
  return { mode: "bundle", command: Deno.execPath(), args };
}

/**
 * The floor for a compiled sample: bench_floor.js compiled the same way (same permissions, same
 * DENORT_BIN) into `dir`. Falls back to `deno run` when that compile fails.
 */
async function compiledFloor(dir: string): Promise<FloorMode> {
  const target = `${dir}/bench_floor`;
  const output = await new Deno.Command(Deno.execPath(), {
    args: [
      "compile",
      "--quiet",
      "--no-config",
      "--no-lock",
      ...manifestEntry("sample").permissions,
      "-o",
      target,
      `${ROOT}/scripts/bench_floor.js`,
    ],
    env: { NO_COLOR: "1" },
    stdout: "null",
    stderr: "piped",
  }).output();
  let why = new TextDecoder().decode(output.stderr).split("\n").find((l) => l.trim()) ?? "";
  if (output.success && isElf(target)) {
    // A DENORT_BIN that is the deno CLI compiles "successfully" into a copy of the CLI.
    const ran = await runOnce({
      name: "floor",
      about: "",
      command: target,
      args: [],
      env: {},
      stdin: new TextEncoder().encode("{}"),
      expect: "json",
      entries: 0,
      kind: "floor",
    });
    if (ran.status === 0 && new TextDecoder().decode(ran.stdout) === "{}") {
      return { mode: "compiled", command: target, args: [] };
    }
    why = "the compiled floor does not run";
  }
  return { ...floorRun(), note: `compiling the floor failed (${why.trim()}): it runs as a script` };
}

/** Every case of the benchmark, in their round-robin order. */
export function benchCases(sample: SampleMode, floorMode: FloorMode = floorRun()): BenchCase[] {
  const denoDir = Deno.env.get("DENO_DIR") ?? `${ROOT}/.tools/deno-dir`;
  const denoEnv = { DENO_DIR: denoDir, DENO_NO_UPDATE_CHECK: "1" };
  const cases: BenchCase[] = [];
  const add = (c: Omit<BenchCase, "expect" | "kind"> & Partial<BenchCase>) =>
    cases.push({ expect: "json", kind: "sample", ...c });
  const floor = (count: number) =>
    add({
      name: count === 1 ? "floor" : `floor-${count}`,
      about: `bare Deno: read, parse, print JSON (${entries(count)})`,
      command: floorMode.command,
      args: floorMode.args,
      env: { ...denoEnv, ...cniEnv("ADD") },
      stdin: chainedConf("sample", count),
      entries: count,
      kind: "floor",
    });
  const go = (count: number) =>
    add({
      name: count === 1 ? "go-add" : `go-add-${count}`,
      about: `Go bandwidth ADD, nothing configured (${entries(count)})`,
      command: GO_PLUGIN,
      args: [],
      env: cniEnv("ADD"),
      stdin: chainedConf("bandwidth", count),
      entries: count,
      kind: "go",
    });
  const sampleCase = (name: string, verb: string, count: number, about: string) =>
    add({
      name,
      about,
      command: sample.command,
      args: sample.args,
      env: sample.mode === "bundle" ? { ...denoEnv, ...cniEnv(verb) } : cniEnv(verb),
      stdin: verb === "VERSION" ? new Uint8Array() : chainedConf("sample", count),
      expect: verb === "DEL" ? "empty" : "json",
      entries: count,
    });
  const hasGo = fileSize(GO_PLUGIN) !== null;
  floor(1);
  if (hasGo) go(1);
  sampleCase("version", "VERSION", 1, "sample VERSION");
  sampleCase("add", "ADD", 1, "sample ADD, chained (1 entry)");
  sampleCase("del", "DEL", 1, "sample DEL, chained (1 entry)");
  if (sample.launcher !== undefined) {
    add({
      name: "add-launcher",
      about: "sample ADD through the bin/sample launcher (sh + deno run)",
      command: sample.launcher,
      args: [],
      env: cniEnv("ADD"),
      stdin: chainedConf("sample", 1),
      entries: 1,
    });
  }
  sampleCase("add-100", "ADD", 100, "sample ADD, chained (100 entries)");
  sampleCase("add-1000", "ADD", 1000, "sample ADD, chained (1,000 entries)");
  floor(1000);
  if (hasGo) go(1000);
  cases.push(...hostLocalCases(denoEnv));
  return cases;
}

/** What one run of a case gave. */
interface RunOutcome {
  ms: number;
  status: number;
  stdout: Uint8Array;
  stderr: string;
}

async function runOnce(c: BenchCase, wrap: string[] = []): Promise<RunOutcome> {
  const [command, ...prefix] = wrap.length ? wrap : [c.command];
  const args = wrap.length ? [...prefix, c.command, ...c.args] : c.args;
  c.prepare?.();
  const start = performance.now();
  const child = new Deno.Command(command!, {
    args,
    env: c.env,
    clearEnv: true,
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const writer = child.stdin.getWriter();
  await writer.write(c.stdin);
  await writer.close();
  const output = await child.output();
  const ms = performance.now() - start;
  return {
    ms,
    status: output.code,
    stdout: output.stdout,
    stderr: new TextDecoder().decode(output.stderr),
  };
}

/** Fails unless a run did what the case expects of a correct plugin. */
function checkOutcome(c: BenchCase, outcome: RunOutcome): void {
  const stdout = new TextDecoder().decode(outcome.stdout);
  const fail = (why: string) => {
    throw new Error(
      `bench: case "${c.name}" ${why}\n  command: ${[c.command, ...c.args].join(" ")}\n` +
        `  stdout: ${stdout.slice(0, 400)}\n  stderr: ${outcome.stderr.slice(0, 400)}`,
    );
  };
  if (outcome.status !== 0) fail(`exited with status ${outcome.status}`);
  if (c.expect === "empty" && stdout !== "") fail("printed on stdout");
  if (c.expect === "json") {
    try {
      JSON.parse(stdout);
    } catch {
      fail("did not print JSON");
    }
  }
}

const TIME = "/usr/bin/time";
const RSS_MARK = "bench-max-rss-kib:";

/** Peak RSS in KiB of one run of `c`, from GNU time. */
async function maxRssKib(c: BenchCase): Promise<number> {
  const outcome = await runOnce(c, [TIME, "-f", `${RSS_MARK}%M`]);
  checkOutcome(c, outcome);
  const line = outcome.stderr.split("\n").reverse().find((l) => l.startsWith(RSS_MARK));
  if (line === undefined) {
    throw new Error(`bench: ${TIME} printed no memory figure for "${c.name}"`);
  }
  return Number(line.slice(RSS_MARK.length));
}

/** Options of a benchmark run. */
export interface BenchOptions {
  seconds: number;
  maxRounds: number;
  minRounds: number;
  warmup: number;
  json: string;
  only: string[] | undefined;
}

export function parseOptions(args: string[]): BenchOptions {
  const options: BenchOptions = {
    seconds: Number(Deno.env.get("BENCH_SECONDS") ?? 40),
    maxRounds: Infinity,
    minRounds: 10,
    warmup: 3,
    json: `${ROOT}/dist/bench.json`,
    only: undefined,
  };
  for (const arg of args) {
    const [flag, value = ""] = arg.split(/=(.*)/s) as [string, string?];
    const number = () => {
      const n = Number(value);
      if (value === "" || !Number.isFinite(n) || n < 0) {
        throw new Error(`bench: ${flag} needs a number`);
      }
      return n;
    };
    if (flag === "--quick") {
      Object.assign(options, { seconds: 0, minRounds: 2, maxRounds: 2, warmup: 1 });
    } else if (flag === "--seconds") options.seconds = number();
    else if (flag === "--rounds") options.maxRounds = options.minRounds = number();
    else if (flag === "--warmup") options.warmup = number();
    else if (flag === "--json") options.json = value;
    else if (flag === "--only") options.only = value.split(",");
    else throw new Error(`bench: unknown argument ${arg}`);
  }
  return options;
}

/** The machine the figures come from. */
function machine() {
  let cpu = "unknown";
  try {
    // Deno reads nothing under /proc without --allow-all, so grep reads the CPU's name.
    const output = new Deno.Command("grep", { args: ["-m1", "^model name", "/proc/cpuinfo"] })
      .outputSync();
    cpu = new TextDecoder().decode(output.stdout).replace(/^[^:]*:\s*/, "").trim() || cpu;
  } catch { /* no grep or no /proc */ }
  return {
    cpu,
    cores: navigator.hardwareConcurrency,
    memoryMib: Math.round(Deno.systemMemoryInfo().total / 2 ** 20),
    os: `${Deno.build.os} ${Deno.osRelease()}`,
    deno: Deno.version.deno,
    v8: Deno.version.v8,
  };
}

const round2 = (n: number) => Math.round(n * 100) / 100;

function ratio(a: Stats | null | undefined, b: Stats | null | undefined): number | null {
  return a && b ? round2(a.median / b.median) : null;
}

/** Runs the benchmark and returns its summary. */
export async function bench(options: BenchOptions): Promise<Record<string, unknown>> {
  if (fileSize(bundlePath("sample")) === null) {
    throw new Error(
      "bench: dist/sample/sample.js is missing: run `make bin` (or `deno task bundle`) first",
    );
  }
  const sample = sampleMode();
  const temporary = sample.mode === "compiled" ? Deno.makeTempDirSync({ prefix: "bench" }) : "";
  try {
    const floorMode = temporary ? await compiledFloor(temporary) : floorRun();
    return await measure(options, sample, floorMode);
  } finally {
    if (temporary) Deno.removeSync(temporary, { recursive: true });
  }
}

async function measure(
  options: BenchOptions,
  sample: SampleMode,
  floorMode: FloorMode,
): Promise<Record<string, unknown>> {
  let cases = benchCases(sample, floorMode);
  if (options.only) cases = cases.filter((c) => options.only!.includes(c.name));
  const hasTime = fileSize(TIME) !== null;
  if (!hasTime) console.error(`bench: no ${TIME} (Debian package time): no memory figures`);
  if (fileSize(GO_PLUGIN) === null) {
    console.error(
      `bench: no ${GO_PLUGIN} (Debian package containernetworking-plugins): no Go rows`,
    );
  }
  for (const c of cases) checkOutcome(c, await runOnce(c));

  const wall = new Map<string, number[]>(cases.map((c) => [c.name, []]));
  const rss = new Map<string, number[]>(cases.map((c) => [c.name, []]));
  const started = performance.now();
  let rounds = 0;
  for (let round = 0; cases.length > 0; round++) {
    const counted = round >= options.warmup;
    if (counted) {
      const elapsed = (performance.now() - started) / 1000;
      if (rounds >= options.maxRounds) break;
      if (rounds >= options.minRounds && elapsed >= options.seconds) break;
      rounds++;
    }
    // Rotate the order so that no case always follows the same one.
    const order = cases.map((_, i) => cases[(i + round) % cases.length]!);
    for (const c of order) {
      const outcome = await runOnce(c);
      if (outcome.status !== 0) checkOutcome(c, outcome);
      if (counted) wall.get(c.name)!.push(outcome.ms);
      if (counted && hasTime) rss.get(c.name)!.push((await maxRssKib(c)) / 1024);
    }
  }

  const results: Record<string, unknown> = {};
  const byName: Record<string, { wall: Stats | null; rss: Stats | null }> = {};
  for (const c of cases) {
    byName[c.name] = { wall: stats(wall.get(c.name)!), rss: stats(rss.get(c.name)!) };
  }
  // Each case is compared with the floor and Go run on the same number of entries.
  const peer = (kind: string, entries: number) => {
    const found = cases.find((c) => c.kind === kind && c.entries === entries);
    return found && byName[found.name]!.wall;
  };
  for (const c of cases) {
    const { wall: w, rss: r } = byName[c.name]!;
    results[c.name] = {
      about: c.about,
      runs: wall.get(c.name)!.length,
      wallMs: w && { median: round2(w.median), p90: round2(w.p90), min: round2(w.min) },
      maxRssMib: r && { median: round2(r.median), max: round2(r.max) },
      entries: c.entries,
      vsFloor: c.kind === "floor" ? null : ratio(w, peer("floor", c.entries)),
      vsGo: c.kind === "go" ? null : ratio(w, peer("go", c.entries)),
    };
  }
  const floor = byName.floor;
  const add = byName.add;
  const add1000 = byName["add-1000"];
  const rssOver = (
    a?: Stats | null,
    b?: Stats | null,
  ) => (a && b ? round2(a.median - b.median) : null);
  const addVsFloor = ratio(add?.wall, floor?.wall);
  const addRssOverFloor = rssOver(add?.rss, floor?.rss);
  const scaling = ratio(add1000?.wall, add?.wall);
  const targets = {
    addMedianWithin10PercentOfFloor: addVsFloor === null ? null : addVsFloor <= 1.1,
    addRssWithin5MibOfFloor: addRssOverFloor === null ? null : addRssOverFloor <= 5,
    add1000Within1Point5xOfAdd: scaling === null ? null : scaling <= 1.5,
  };
  return {
    machine: machine(),
    sample: {
      mode: sample.mode,
      command: [sample.command, ...sample.args].join(" "),
      bundleBytes: fileSize(bundlePath("sample")),
      binaryBytes: sample.mode === "compiled" ? fileSize(sample.command) : null,
    },
    floor: {
      mode: floorMode.mode,
      command: [floorMode.command, ...floorMode.args].join(" "),
      ...(floorMode.note && { note: floorMode.note }),
    },
    goPlugin: fileSize(GO_PLUGIN) === null ? null : GO_PLUGIN,
    memory: hasTime ? `${TIME} -f %M, a separate run per sample` : null,
    rounds,
    warmupRounds: options.warmup,
    seconds: round2((performance.now() - started) / 1000),
    cases: results,
    hostLocal: await hostLocalReport((name) => byName[name]?.wall, Math.min(3, options.minRounds)),
    ptp: await ptpReport(options),
    toolkit: await toolkitReport(options),
    ratios: {
      addVsFloor,
      addVsGo: ratio(add?.wall, byName["go-add"]?.wall),
      addRssOverFloorMib: addRssOverFloor,
      addRssVsGo: ratio(add?.rss, byName["go-add"]?.rss),
      add1000VsAdd: scaling,
      add100VsAdd: ratio(byName["add-100"]?.wall, add?.wall),
    },
    targets,
  };
}

function pad(text: string, width: number, right = false): string {
  return right ? text.padStart(width) : text.padEnd(width);
}

/** The human table of a summary. */
export function formatTable(summary: Record<string, unknown>): string {
  const cases = summary.cases as Record<string, {
    about: string;
    runs: number;
    wallMs: { median: number; p90: number } | null;
    maxRssMib: { median: number } | null;
    vsFloor: number | null;
    vsGo: number | null;
  }>;
  const num = (n: number | null | undefined, digits = 1) => (n == null ? "-" : n.toFixed(digits));
  const lines = [
    [
      pad("case", 13),
      pad("median ms", 10, true),
      pad("p90 ms", 8, true),
      pad("RSS MiB", 8, true),
      pad("/floor", 7, true),
      pad("/go", 6, true),
      "  what",
    ].join(""),
  ];
  for (const [name, c] of Object.entries(cases)) {
    lines.push([
      pad(name, 13),
      pad(num(c.wallMs?.median, 2), 10, true),
      pad(num(c.wallMs?.p90, 2), 8, true),
      pad(num(c.maxRssMib?.median), 8, true),
      pad(num(c.vsFloor, 2), 7, true),
      pad(num(c.vsGo, 2), 6, true),
      `  ${c.about}`,
    ].join(""));
  }
  const m = summary.machine as ReturnType<typeof machine>;
  const s = summary.sample as { mode: string; bundleBytes: number; binaryBytes: number | null };
  const r = summary.ratios as Record<string, number | null>;
  const t = summary.targets as Record<string, boolean | null>;
  const verdict = (ok: boolean | null | undefined) => (ok == null ? "n/a" : ok ? "met" : "NOT met");
  lines.push(
    "",
    `${summary.rounds} rounds after ${summary.warmupRounds} warm-up, ${summary.seconds} s; ` +
      `${m.cpu}, ${m.cores} cores, Deno ${m.deno}`,
    `sample runs as: ${s.mode} (bundle ${s.bundleBytes} bytes` +
      (s.binaryBytes === null ? ")" : `, binary ${s.binaryBytes} bytes)`),
    `ADD / floor ${num(r.addVsFloor, 2)} (target <= 1.10: ${
      verdict(t.addMedianWithin10PercentOfFloor)
    }); ` +
      `ADD RSS - floor RSS ${num(r.addRssOverFloorMib)} MiB (target <= 5: ${
        verdict(t.addRssWithin5MibOfFloor)
      }); ` +
      `ADD x1000 / ADD ${num(r.add1000VsAdd, 2)} (target <= 1.5: ${
        verdict(t.add1000Within1Point5xOfAdd)
      })`,
  );
  lines.push(...hostLocalLines(summary.hostLocal as Parameters<typeof hostLocalLines>[0]));
  lines.push(...ptpLines(summary.ptp as Parameters<typeof ptpLines>[0]));
  lines.push(...toolkitLines(summary.toolkit as Parameters<typeof toolkitLines>[0]));
  return lines.join("\n");
}

async function main(args: string[]): Promise<number> {
  let options: BenchOptions;
  try {
    options = parseOptions(args);
  } catch (error) {
    console.error(error instanceof Error ? error.message : error);
    return 2;
  }
  const summary = await bench(options);
  const json = JSON.stringify(summary, null, 2);
  Deno.mkdirSync(new URL(".", `file://${options.json}`).pathname, { recursive: true });
  Deno.writeTextFileSync(options.json, json + "\n");
  console.log(formatTable(summary));
  console.log(`\nJSON summary (${options.json}):`);
  console.log(json);
  return 0;
}

if (import.meta.main) Deno.exit(await main(Deno.args));
