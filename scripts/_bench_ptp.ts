/**
 * deno-ptp against Debian's Go ptp in `deno task bench` (scripts/bench.ts), each driven by a real
 * runtime: tests/cnitool, built on Debian's libcni 1.1.2, with Debian's Go host-local as the IPAM
 * plugin of both (a data directory of the run's own).
 *
 * - ptp-cycle: one ADD and one DEL of one container, deno-ptp and Go ptp in turn (the first of
 *   the two alternates), after warm-up cycles that are not counted. Every cycle gets a fresh
 *   container namespace; the round's namespaces are made before and deleted after its cycles,
 *   outside the timed part. Reported: the median and p90 wall time of a cycle (ADD plus DEL), its
 *   CPU time (user plus system of cnitool and every process under it), each verb's wall time and
 *   the ratios deno-ptp / Go ptp. Target: wall time per cycle within 1.3 times Go ptp's.
 * - ptp-parallel: 50 ADDs started at once in 50 fresh namespaces, then 50 DELs at once, timed
 *   apart; deno-ptp and Go ptp batches in turn. Target: the ADD batch within 1.5 times Go ptp's.
 *
 * cnitool, and so the plugins, runs inside a throwaway "host" namespace: the host ends of the
 * veths, the host routes and the ip_forward switch ptp turns on never reach the machine's own
 * namespace. An untimed ADD and DEL of each plugin first checks that (its host veth and route in
 * the host namespace, none of it in the machine's, nothing left after DEL), and the end of the run
 * that nothing is left: the host namespace holds only `lo` and no route, and no host veth of any
 * ADD is in the machine's namespace.
 *
 * tests/benchrun (a Go helper built like cnitool) starts the programs in the host namespace and
 * measures them: wall time from the start of the first program of a step to the exit of its
 * last, CPU time from the kernel's accounting of each exited child, which includes every process
 * it waited for (the plugin, `deno`, host-local), in microseconds.
 *
 * Everything made here (namespaces, the temporary directory with the configurations, the data
 * directories and libcni's cache) is removed at the end, on failure, and on SIGINT or SIGTERM.
 *
 * Run on its own (as root): `deno run -A scripts/_bench_ptp.ts [--quick]` prints the report.
 *
 * @module
 */
import type { BenchOptions } from "./bench.ts";
import { percentile } from "./bench.ts";
import { bundlePath, manifestEntry, ROOT, runArgs } from "./manifest.ts";

/** Debian's Go ptp. */
export const GO_PTP = "/usr/lib/cni/ptp";
/** Debian's Go host-local, the IPAM plugin of both networks. */
const GO_HOST_LOCAL = "/usr/lib/cni/host-local";
/** Attachments per parallel batch. */
export const PARALLEL = 50;

type Plugin = "deno" | "go";
const PLUGINS: readonly Plugin[] = ["deno", "go"];

/** Each plugin's network: its name, its `type` and its subnet. */
const NETWORKS: Record<Plugin, { name: string; type: string; subnet: string }> = {
  deno: { name: "bench-deno-ptp", type: "deno-ptp", subnet: "10.250.0.0/16" },
  go: { name: "bench-go-ptp", type: "ptp", subnet: "10.251.0.0/16" },
};

const decoder = new TextDecoder();

/** How many cycles and batches a run makes, from the benchmark's options. */
export interface PtpPlan {
  warmup: number;
  cycles: number;
  batches: number;
  cycle: boolean;
  parallel: boolean;
}

/**
 * The plan for `options`: as many counted cycles per plugin as the benchmark's rounds (30 when
 * they are bounded by time only), its warm-up, and a parallel batch per plugin for every two
 * minimum rounds, at most five (one for `--quick`).
 */
export function ptpPlan(options: BenchOptions): PtpPlan {
  const wanted = (name: string) => options.only === undefined || options.only.includes(name);
  return {
    warmup: options.warmup,
    cycles: Math.max(1, Number.isFinite(options.maxRounds) ? options.maxRounds : 30),
    batches: Math.max(1, Math.min(5, Math.ceil(options.minRounds / 2))),
    cycle: wanted("ptp-cycle"),
    parallel: wanted("ptp-parallel"),
  };
}

// ---------------------------------------------------------------------------------------------
// Programs

interface Output {
  code: number;
  stdout: string;
  stderr: string;
}

async function run(
  argv: readonly string[],
  options: { stdin?: string; signal?: AbortSignal } = {},
): Promise<Output> {
  const [program, ...args] = argv;
  const child = new Deno.Command(program!, {
    args,
    stdin: options.stdin === undefined ? "null" : "piped",
    stdout: "piped",
    stderr: "piped",
    ...(options.signal && { signal: options.signal }),
  }).spawn();
  if (options.stdin !== undefined) {
    const writer = child.stdin.getWriter();
    await writer.write(new TextEncoder().encode(options.stdin));
    await writer.close();
  }
  const output = await child.output();
  return {
    code: output.code,
    stdout: decoder.decode(output.stdout),
    stderr: decoder.decode(output.stderr),
  };
}

const cap = (text: string) => (text.length > 400 ? `${text.slice(0, 400)}...` : text);

async function runOk(argv: readonly string[], stdin?: string): Promise<string> {
  const output = await run(argv, stdin === undefined ? {} : { stdin });
  if (output.code !== 0) {
    throw new Error(
      `bench: "${argv.slice(0, 4).join(" ")}" failed (exit ${output.code}): ${
        cap(output.stderr.trim())
      }`,
    );
  }
  return output.stdout;
}

function isFile(path: string): boolean {
  try {
    return Deno.statSync(path).isFile;
  } catch {
    return false;
  }
}

function onPath(program: string): boolean {
  const path = Deno.env.get("PATH") ?? "/usr/sbin:/usr/bin:/sbin:/bin";
  return path.split(":").some((dir) => dir !== "" && isFile(`${dir}/${program}`));
}

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

/** True when this process runs as root; asks `id -u`, as Deno.uid() needs --allow-sys. */
export function isRoot(): boolean {
  try {
    const { success, stdout } = new Deno.Command("id", { args: ["-u"] }).outputSync();
    return success && decoder.decode(stdout).trim() === "0";
  } catch {
    return false;
  }
}

/** Why the ptp cases cannot run here, or undefined. The Go tools are checked when built. */
export function ptpSkip(): string | undefined {
  if (Deno.build.os !== "linux") return "it needs Linux";
  if (!isRoot()) return "it needs root (network namespaces)";
  if (!onPath("ip")) return "no ip (Debian package iproute2)";
  for (const plugin of [GO_PTP, GO_HOST_LOCAL]) {
    if (!isFile(plugin)) return `no ${plugin} (Debian package containernetworking-plugins)`;
  }
  if (!isFile(bundlePath("deno-ptp"))) {
    return "no dist/deno-ptp/deno-ptp.js (run `deno task bundle`)";
  }
  return undefined;
}

/** Builds tests/NAME with scripts/build_cnitool.sh: its path, or why it cannot be built. */
async function buildTool(name: string): Promise<{ path: string } | { why: string }> {
  const output = await run(["bash", `${ROOT}/scripts/build_cnitool.sh`, name]);
  if (output.code === 0) return { path: output.stdout.trim() };
  const line = output.stderr.split("\n").find((l) => l.trim() !== "") ?? `exit ${output.code}`;
  return { why: cap(line.trim()) };
}

// ---------------------------------------------------------------------------------------------
// The run's namespaces, files and interrupts

/** A namespace made here: its name and its path. */
interface Netns {
  name: string;
  path: string;
}

/** What one run of the ptp cases made, and how it undoes it. */
class Workspace {
  readonly prefix = `dcni-bench-${crypto.randomUUID().replaceAll("-", "").slice(0, 8)}-`;
  readonly dir = Deno.makeTempDirSync({ prefix: "dcni-bench-ptp-" });
  readonly namespaces = new Set<string>();
  readonly interrupt = new AbortController();
  /** The exit status the first SIGINT or SIGTERM asks for. */
  interruptStatus: number | undefined;
  #count = 0;
  #listeners = {
    SIGINT: () => this.#interrupted(130),
    SIGTERM: () => this.#interrupted(143),
  };

  constructor() {
    for (const signal of ["SIGINT", "SIGTERM"] as const) {
      Deno.addSignalListener(signal, this.#listeners[signal]);
    }
  }

  #interrupted(status: number): void {
    this.interruptStatus ??= status;
    this.interrupt.abort();
  }

  /** Makes `count` namespaces with one `ip -batch`. */
  async makeNamespaces(count: number, tag: string): Promise<Netns[]> {
    const made = Array.from({ length: count }, () => {
      const name = `${this.prefix}${tag}${this.#count++}`;
      return { name, path: `/var/run/netns/${name}` };
    });
    for (const ns of made) this.namespaces.add(ns.name);
    await runOk(["ip", "-batch", "-"], made.map((ns) => `netns add ${ns.name}\n`).join(""));
    return made;
  }

  /** Deletes namespaces made here, whichever of them still exist. */
  async deleteNamespaces(namespaces: readonly Netns[]): Promise<void> {
    if (namespaces.length === 0) return;
    const lines = namespaces.map((ns) => `netns del ${ns.name}`).join("\n") + "\n";
    await run(["ip", "-force", "-batch", "-"], { stdin: lines });
    for (const ns of namespaces) this.namespaces.delete(ns.name);
  }

  /** Undoes everything, a signal meanwhile only noted; safe to call twice. */
  async close(): Promise<void> {
    try {
      await this.deleteNamespaces(
        [...this.namespaces].map((name) => ({ name, path: `/var/run/netns/${name}` })),
      );
      Deno.removeSync(this.dir, { recursive: true });
    } catch (error) {
      if (!(error instanceof Deno.errors.NotFound)) throw error;
    } finally {
      for (const signal of ["SIGINT", "SIGTERM"] as const) {
        try {
          Deno.removeSignalListener(signal, this.#listeners[signal]);
        } catch { /* not registered */ }
      }
    }
  }
}

// ---------------------------------------------------------------------------------------------
// The set-up

/** How deno-ptp runs through cnitool here. */
export interface PtpMode {
  mode: "compiled" | "launcher";
  command: string;
}

/** The plugin directory: Go's ptp and host-local, and deno-ptp as production runs it. */
function pluginDir(dir: string): PtpMode {
  const plugins = `${dir}/plugins`;
  Deno.mkdirSync(plugins);
  Deno.symlinkSync(GO_PTP, `${plugins}/ptp`);
  Deno.symlinkSync(GO_HOST_LOCAL, `${plugins}/host-local`);
  const bin = `${ROOT}/bin/deno-ptp`;
  if (isElf(bin)) {
    Deno.symlinkSync(bin, `${plugins}/deno-ptp`);
    return { mode: "compiled", command: bin };
  }
  // The launcher `deno task bin` writes when `deno compile` fails, of the current bundle.
  const quote = (word: string) => `'${word.replaceAll("'", `'\\''`)}'`;
  const command = [Deno.execPath(), ...runArgs(manifestEntry("deno-ptp"))].map(quote).join(" ");
  const script = `#!/bin/sh\nexport DENO_NO_UPDATE_CHECK=1\nexec ${command} "$@"\n`;
  Deno.writeTextFileSync(`${plugins}/deno-ptp`, script, { mode: 0o755 });
  return { mode: "launcher", command: `sh + ${command.replaceAll("'", "")}` };
}

function writeConflists(dir: string): void {
  Deno.mkdirSync(`${dir}/net.d`);
  for (const plugin of PLUGINS) {
    const { name, type, subnet } = NETWORKS[plugin];
    const conflist = {
      cniVersion: "1.0.0",
      name,
      plugins: [{
        type,
        ipam: {
          type: "host-local",
          subnet,
          dataDir: `${dir}/ipam-${plugin}`,
          routes: [{ dst: "0.0.0.0/0" }],
        },
      }],
    };
    Deno.writeTextFileSync(`${dir}/net.d/${name}.conflist`, JSON.stringify(conflist));
  }
}

interface Tools {
  cnitool: string;
  benchrun: string;
}

/** One program for benchrun. */
interface Program {
  argv: string[];
  env: string[];
}

/** One step's measurement. */
interface StepOutcome {
  wallMs: number;
  cpuMs: number;
  runs: { code: number; stdout: string; stderr: string }[];
}

class Runner {
  constructor(
    readonly tools: Tools,
    readonly ws: Workspace,
    readonly host: Netns,
  ) {}

  /** cnitool's command for one attachment of `plugin` in `container`. */
  cnitool(verb: "add" | "del", plugin: Plugin, container: Netns, id: string): Program {
    const dir = this.ws.dir;
    return {
      argv: [this.tools.cnitool, verb, NETWORKS[plugin].name, container.path],
      env: [
        "PATH=/usr/sbin:/usr/bin:/sbin:/bin",
        `CNI_PATH=${dir}/plugins`,
        `NETCONFPATH=${dir}/net.d`,
        `CNI_CACHE_DIR=${dir}/cache`,
        `CNI_CONTAINERID=${id}`,
        `DENO_DIR=${Deno.env.get("DENO_DIR") ?? `${ROOT}/.tools/deno-dir`}`,
      ],
    };
  }

  /** Runs the steps in the host namespace; each step's programs at once. */
  async steps(steps: Program[][]): Promise<StepOutcome[]> {
    const output = await run([this.tools.benchrun], {
      stdin: JSON.stringify({ netns: this.host.path, steps }),
      signal: this.ws.interrupt.signal,
    });
    if (output.code !== 0) {
      throw new Error(`bench: benchrun failed (exit ${output.code}): ${cap(output.stderr)}`);
    }
    const parsed = JSON.parse(output.stdout) as {
      steps: { wallNs: number; userUs: number; sysUs: number; runs: StepOutcome["runs"] }[];
    };
    return parsed.steps.map((s) => ({
      wallMs: s.wallNs / 1e6,
      cpuMs: (s.userUs + s.sysUs) / 1e3,
      runs: s.runs,
    }));
  }
}

/** Fails unless every run of a step exited 0; returns their stdout. */
function checkRuns(what: string, step: StepOutcome): string[] {
  for (const r of step.runs) {
    if (r.code !== 0) {
      throw new Error(
        `bench: ${what} failed (exit ${r.code})\n  stdout: ${cap(r.stdout)}\n  stderr: ${
          cap(r.stderr)
        }`,
      );
    }
  }
  return step.runs.map((r) => r.stdout);
}

/** The host veth and the container address of an ADD result. */
function parseAdd(plugin: Plugin, stdout: string): { hostVeth: string; address: string } {
  const result = JSON.parse(stdout) as {
    interfaces?: { name?: string; sandbox?: string }[];
    ips?: { address?: string }[];
  };
  const hostVeth = result.interfaces?.find((i) => i.sandbox === undefined)?.name;
  const address = result.ips?.[0]?.address;
  if (typeof hostVeth !== "string" || typeof address !== "string") {
    throw new Error(`bench: ${plugin} ptp ADD printed no host interface or IP: ${cap(stdout)}`);
  }
  return { hostVeth, address };
}

async function linkNames(netns?: Netns): Promise<string[]> {
  const out = await runOk(["ip", ...(netns ? ["-n", netns.name] : []), "-j", "link", "show"]);
  return (JSON.parse(out || "[]") as { ifname: string }[]).map((l) => l.ifname);
}

async function routeLines(netns: Netns): Promise<string[]> {
  const out = await runOk(["ip", "-n", netns.name, "-4", "route", "show"]);
  return out.split("\n").map((l) => l.trim()).filter((l) => l !== "");
}

/**
 * One ADD and DEL of each plugin, untimed, checking where they put things: the host end and the
 * host route in the host namespace, nothing in the machine's; nothing left after DEL.
 */
async function verify(runner: Runner, hostVeths: Set<string>): Promise<void> {
  for (const plugin of PLUGINS) {
    const [container] = await runner.ws.makeNamespaces(1, "v");
    const id = `bench-verify-${plugin}`;
    const [add] = await runner.steps([[runner.cnitool("add", plugin, container!, id)]]);
    const [stdout] = checkRuns(`${plugin} ptp ADD`, add!);
    const { hostVeth, address } = parseAdd(plugin, stdout!);
    hostVeths.add(hostVeth);
    const ip = address.split("/")[0]!;
    const fail = (why: string) => {
      throw new Error(`bench: ${plugin} ptp ADD ${why}`);
    };
    if (!(await linkNames(runner.host)).includes(hostVeth)) {
      fail(`put its host end "${hostVeth}" outside the bench's host namespace`);
    }
    if ((await linkNames()).includes(hostVeth)) {
      fail(`put its host end "${hostVeth}" in the machine's namespace`);
    }
    if (!(await routeLines(runner.host)).some((l) => l.startsWith(`${ip} dev ${hostVeth}`))) {
      fail(`made no host route to ${ip} in the bench's host namespace`);
    }
    const [del] = await runner.steps([[runner.cnitool("del", plugin, container!, id)]]);
    checkRuns(`${plugin} ptp DEL`, del!);
    await checkClean(runner, hostVeths, `${plugin} ptp DEL`);
    await runner.ws.deleteNamespaces([container!]);
  }
}

/** Fails unless the host namespace is back to `lo` and no route, and no host veth escaped. */
async function checkClean(runner: Runner, hostVeths: Set<string>, after: string): Promise<void> {
  const links = await linkNames(runner.host);
  const routes = await routeLines(runner.host);
  if (links.length !== 1 || links[0] !== "lo" || routes.length !== 0) {
    throw new Error(
      `bench: after ${after} the host namespace still holds links ${links.join(" ")}` +
        ` and routes ${JSON.stringify(routes)}`,
    );
  }
  const escaped = (await linkNames()).filter((name) => hostVeths.has(name));
  if (escaped.length) {
    throw new Error(`bench: host veths in the machine's namespace: ${escaped.join(" ")}`);
  }
}

// ---------------------------------------------------------------------------------------------
// The measurements

interface Samples {
  wall: number[];
  cpu: number[];
  add: number[];
  del: number[];
}

async function cycles(
  runner: Runner,
  plan: PtpPlan,
  hostVeths: Set<string>,
): Promise<Record<Plugin, Samples>> {
  const samples: Record<Plugin, Samples> = {
    deno: { wall: [], cpu: [], add: [], del: [] },
    go: { wall: [], cpu: [], add: [], del: [] },
  };
  for (let round = 0; round < plan.warmup + plan.cycles; round++) {
    const order = round % 2 === 0 ? PLUGINS : [...PLUGINS].reverse();
    const containers = await runner.ws.makeNamespaces(2, "c");
    for (const [i, plugin] of order.entries()) {
      const container = containers[i]!;
      const id = `bench-${plugin}-${round}`;
      const [add, del] = await runner.steps([
        [runner.cnitool("add", plugin, container, id)],
        [runner.cnitool("del", plugin, container, id)],
      ]);
      const [stdout] = checkRuns(`${plugin} ptp ADD`, add!);
      hostVeths.add(parseAdd(plugin, stdout!).hostVeth);
      checkRuns(`${plugin} ptp DEL`, del!);
      if (round < plan.warmup) continue;
      const s = samples[plugin];
      s.wall.push(add!.wallMs + del!.wallMs);
      s.cpu.push(add!.cpuMs + del!.cpuMs);
      s.add.push(add!.wallMs);
      s.del.push(del!.wallMs);
    }
    await runner.ws.deleteNamespaces(containers);
  }
  return samples;
}

interface BatchSamples {
  add: number[];
  del: number[];
  addCpu: number[];
  delCpu: number[];
}

async function batches(
  runner: Runner,
  plan: PtpPlan,
  hostVeths: Set<string>,
): Promise<Record<Plugin, BatchSamples>> {
  const samples: Record<Plugin, BatchSamples> = {
    deno: { add: [], del: [], addCpu: [], delCpu: [] },
    go: { add: [], del: [], addCpu: [], delCpu: [] },
  };
  for (let batch = 0; batch < plan.batches; batch++) {
    const order = batch % 2 === 0 ? PLUGINS : [...PLUGINS].reverse();
    for (const plugin of order) {
      const containers = await runner.ws.makeNamespaces(PARALLEL, "p");
      const ids = containers.map((_, i) => `bench-${plugin}-b${batch}-${i}`);
      const [add, del] = await runner.steps([
        containers.map((c, i) => runner.cnitool("add", plugin, c, ids[i]!)),
        containers.map((c, i) => runner.cnitool("del", plugin, c, ids[i]!)),
      ]);
      const results = checkRuns(`one of ${PARALLEL} parallel ${plugin} ptp ADDs`, add!)
        .map((stdout) => parseAdd(plugin, stdout));
      checkRuns(`one of ${PARALLEL} parallel ${plugin} ptp DELs`, del!);
      for (const r of results) hostVeths.add(r.hostVeth);
      const distinct = new Set(results.map((r) => r.address)).size;
      if (distinct !== PARALLEL) {
        throw new Error(
          `bench: FAILED: ${PARALLEL} parallel ${plugin} ptp ADDs got ${distinct} distinct addresses`,
        );
      }
      await runner.ws.deleteNamespaces(containers);
      const s = samples[plugin];
      s.add.push(add!.wallMs);
      s.del.push(del!.wallMs);
      s.addCpu.push(add!.cpuMs);
      s.delCpu.push(del!.cpuMs);
    }
  }
  return samples;
}

// ---------------------------------------------------------------------------------------------
// The report

const round2 = (n: number) => Math.round(n * 100) / 100;
const median = (values: readonly number[]) => round2(percentile(values, 50));

/** Median, p90 and minimum, rounded. */
function summary(values: readonly number[]) {
  return {
    median: median(values),
    p90: round2(percentile(values, 90)),
    min: round2(Math.min(...values)),
  };
}

/** One plugin's figures per cycle. */
export interface CycleFigures {
  wallMs: { median: number; p90: number; min: number };
  cpuMs: { median: number; p90: number; min: number };
  addMs: number;
  delMs: number;
}

/** One plugin's figures per parallel batch. */
export interface BatchFigures {
  addMs: number[];
  delMs: number[];
  addMedianMs: number;
  delMedianMs: number;
  addCpuMedianMs: number;
  delCpuMedianMs: number;
}

/** The report of the ptp cases. */
export interface PtpReport {
  skipped?: string;
  deno?: PtpMode;
  runtime?: string;
  namespaces?: string;
  /** The names of every namespace the run made start with this. */
  namespacePrefix?: string;
  cycle?: {
    cycles: number;
    warmup: number;
    deno: CycleFigures;
    go: CycleFigures;
    wallVsGo: number;
    cpuVsGo: number;
    addVsGo: number;
    delVsGo: number;
    cycleWithin1Point3xOfGo: boolean;
  };
  parallel?: {
    width: number;
    batches: number;
    deno: BatchFigures;
    go: BatchFigures;
    addVsGo: number;
    delVsGo: number;
    addWithin1Point5xOfGo: boolean;
  };
}

function cycleFigures(s: Samples): CycleFigures {
  return {
    wallMs: summary(s.wall),
    cpuMs: summary(s.cpu),
    addMs: median(s.add),
    delMs: median(s.del),
  };
}

function batchFigures(s: BatchSamples): BatchFigures {
  return {
    addMs: s.add.map(round2),
    delMs: s.del.map(round2),
    addMedianMs: median(s.add),
    delMedianMs: median(s.del),
    addCpuMedianMs: median(s.addCpu),
    delCpuMedianMs: median(s.delCpu),
  };
}

/**
 * Runs the ptp cases `options` asks for; undefined when `--only` names none of them. Exits the
 * process with status 130 (143) after cleaning up when SIGINT (SIGTERM) comes.
 */
export async function ptpReport(options: BenchOptions): Promise<PtpReport | undefined> {
  const plan = ptpPlan(options);
  if (!plan.cycle && !plan.parallel) return undefined;
  const skipped = ptpSkip();
  if (skipped !== undefined) return { skipped };
  const cnitool = await buildTool("cnitool");
  if ("why" in cnitool) return { skipped: `cannot build tests/cnitool: ${cnitool.why}` };
  const benchrun = await buildTool("benchrun");
  if ("why" in benchrun) return { skipped: `cannot build tests/benchrun: ${benchrun.why}` };

  const ws = new Workspace();
  const hostVeths = new Set<string>();
  try {
    const deno = pluginDir(ws.dir);
    writeConflists(ws.dir);
    const [host] = await ws.makeNamespaces(1, "host");
    await runOk(["ip", "-n", host!.name, "link", "set", "lo", "up"]);
    const runner = new Runner({ cnitool: cnitool.path, benchrun: benchrun.path }, ws, host!);
    await verify(runner, hostVeths);
    const report: PtpReport = {
      deno,
      runtime: `${cnitool.path} (libcni 1.1.2), Go host-local as IPAM, cniVersion 1.0.0`,
      namespaces: "fresh container namespaces, made and deleted outside the timed part; " +
        "cnitool in a throwaway host namespace",
      namespacePrefix: ws.prefix,
    };
    if (plan.cycle) {
      const s = await cycles(runner, plan, hostVeths);
      const d = cycleFigures(s.deno);
      const g = cycleFigures(s.go);
      const wallVsGo = round2(d.wallMs.median / g.wallMs.median);
      report.cycle = {
        cycles: plan.cycles,
        warmup: plan.warmup,
        deno: d,
        go: g,
        wallVsGo,
        cpuVsGo: round2(d.cpuMs.median / g.cpuMs.median),
        addVsGo: round2(d.addMs / g.addMs),
        delVsGo: round2(d.delMs / g.delMs),
        cycleWithin1Point3xOfGo: wallVsGo <= 1.3,
      };
    }
    if (plan.parallel) {
      const s = await batches(runner, plan, hostVeths);
      const d = batchFigures(s.deno);
      const g = batchFigures(s.go);
      const addVsGo = round2(d.addMedianMs / g.addMedianMs);
      report.parallel = {
        width: PARALLEL,
        batches: plan.batches,
        deno: d,
        go: g,
        addVsGo,
        delVsGo: round2(d.delMedianMs / g.delMedianMs),
        addWithin1Point5xOfGo: addVsGo <= 1.5,
      };
    }
    await checkClean(runner, hostVeths, "the last ptp DEL");
    return report;
  } finally {
    await ws.close();
    if (ws.interruptStatus !== undefined) {
      console.error("bench: interrupted; the ptp namespaces and files are removed");
      Deno.exit(ws.interruptStatus);
    }
  }
}

/** The report's lines under the benchmark's table. */
export function ptpLines(report: PtpReport | undefined): string[] {
  if (report === undefined) return [];
  if (report.skipped !== undefined) return [`ptp: skipped, ${report.skipped}`];
  const ms = (n: number) => `${n.toFixed(1)} ms`;
  const verdict = (ok: boolean) => (ok ? "met" : "NOT met");
  const lines = [];
  const c = report.cycle;
  if (c !== undefined) {
    lines.push(
      `ptp ADD+DEL through cnitool, median of ${c.cycles}: deno-ptp ${ms(c.deno.wallMs.median)} ` +
        `(p90 ${ms(c.deno.wallMs.p90)}, CPU ${ms(c.deno.cpuMs.median)}), Go ptp ` +
        `${ms(c.go.wallMs.median)} (p90 ${ms(c.go.wallMs.p90)}, CPU ${ms(c.go.cpuMs.median)}); ` +
        `deno/Go wall ${c.wallVsGo.toFixed(2)} (ADD ${c.addVsGo.toFixed(2)}, DEL ` +
        `${c.delVsGo.toFixed(2)}), CPU ${c.cpuVsGo.toFixed(2)} (target wall <= 1.3: ` +
        `${verdict(c.cycleWithin1Point3xOfGo)})`,
    );
  }
  const p = report.parallel;
  if (p !== undefined) {
    lines.push(
      `ptp, ${p.width} ADDs at once in fresh namespaces, median of ${p.batches}: deno-ptp ` +
        `${ms(p.deno.addMedianMs)}, Go ptp ${ms(p.go.addMedianMs)}, deno/Go ` +
        `${p.addVsGo.toFixed(2)} (target <= 1.5: ${verdict(p.addWithin1Point5xOfGo)}); ` +
        `${p.width} DELs at once: ${ms(p.deno.delMedianMs)} vs ${ms(p.go.delMedianMs)}, ` +
        `${p.delVsGo.toFixed(2)}`,
    );
  }
  return lines;
}

if (import.meta.main) {
  const { parseOptions } = await import("./bench.ts");
  const report = await ptpReport(parseOptions(Deno.args));
  console.log(ptpLines(report).join("\n"));
  console.log(JSON.stringify(report, null, 2));
}
