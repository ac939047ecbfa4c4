import assert from "node:assert/strict";
import { decodeResult } from "../lib/result.ts";
import { GO_PLUGIN, parseOptions, percentile, prevResult } from "../scripts/bench.ts";
import { bundlePath, ROOT } from "../scripts/manifest.ts";
import { isRoot, PARALLEL, ptpLines, ptpPlan, ptpSkip } from "../scripts/_bench_ptp.ts";
import { toolkitIterations, toolkitLines } from "../scripts/_bench_toolkit.ts";

Deno.test("percentile()", async (t) => {
  const rows: [string, number[], number, number][] = [
    ["takes the median of an odd list", [3, 1, 2], 50, 2],
    ["takes the lower middle of an even list", [4, 1, 3, 2], 50, 2],
    ["takes the nearest rank for p90", [1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 90, 9],
    ["takes the largest value for p100", [5, 9, 7], 100, 9],
    ["takes the smallest value for p0", [5, 9, 7], 0, 5],
    ["gives NaN for no values", [], 50, NaN],
  ];
  for (const [name, values, p, expected] of rows) {
    await t.step(`percentile() ${name}`, () => {
      assert.equal(percentile(values, p), expected);
    });
  }
});

Deno.test("parseOptions()", async (t) => {
  const rows: [string, string[], Partial<ReturnType<typeof parseOptions>>][] = [
    ["makes --quick a few rounds", ["--quick"], { maxRounds: 2, minRounds: 2, warmup: 1 }],
    ["reads --seconds", ["--seconds=5"], { seconds: 5 }],
    ["makes --rounds an exact count", ["--rounds=7"], { maxRounds: 7, minRounds: 7 }],
    ["reads --json", ["--json=/tmp/x.json"], { json: "/tmp/x.json" }],
    ["splits --only", ["--only=floor,add"], { only: ["floor", "add"] }],
  ];
  for (const [name, args, expected] of rows) {
    await t.step(`parseOptions() ${name}`, () => {
      const options = parseOptions(args);
      for (const [key, value] of Object.entries(expected)) {
        assert.deepEqual(options[key as keyof typeof options], value, key);
      }
    });
  }
  for (const bad of ["--seconds=x", "--rounds=-1", "--frobnicate"]) {
    await t.step(`parseOptions() rejects ${bad}`, () => {
      assert.throws(() => parseOptions([bad]), /^Error: bench: /);
    });
  }
});

Deno.test("prevResult()", async (t) => {
  for (const count of [1, 100, 1000]) {
    await t.step(`prevResult() makes ${count} entries that decode as a 1.0.0 result`, () => {
      const raw = prevResult(count);
      const decoded = decodeResult("1.0.0", raw);
      assert.ok("interfaces" in decoded && "ips" in decoded && "routes" in decoded);
      assert.equal(decoded.interfaces?.length, count);
      assert.equal(decoded.ips?.length, count);
      assert.equal(decoded.routes?.length, count);
      assert.equal(decoded.interfaces?.[0]?.name, "eth0");
      // Every address is distinct, so nothing in the plugin can be served from a cache.
      assert.equal(new Set(decoded.ips?.map((ip) => ip.address)).size, count);
    });
  }
});

Deno.test("ptpPlan()", async (t) => {
  const rows: [string, string[], ReturnType<typeof ptpPlan>][] = [
    ["makes --quick two cycles and one batch", ["--quick"], {
      warmup: 1,
      cycles: 2,
      batches: 1,
      cycle: true,
      parallel: true,
    }],
    ["makes 30 cycles and 5 batches when time bounds the rounds", [], {
      warmup: 3,
      cycles: 30,
      batches: 5,
      cycle: true,
      parallel: true,
    }],
    ["follows --rounds and --warmup", ["--rounds=7", "--warmup=0"], {
      warmup: 0,
      cycles: 7,
      batches: 4,
      cycle: true,
      parallel: true,
    }],
    ["runs only the cycles for --only=ptp-cycle", ["--quick", "--only=add,ptp-cycle"], {
      warmup: 1,
      cycles: 2,
      batches: 1,
      cycle: true,
      parallel: false,
    }],
    ["runs only the batches for --only=ptp-parallel", ["--quick", "--only=ptp-parallel"], {
      warmup: 1,
      cycles: 2,
      batches: 1,
      cycle: false,
      parallel: true,
    }],
    ["runs neither for --only=floor", ["--only=floor"], {
      warmup: 3,
      cycles: 30,
      batches: 5,
      cycle: false,
      parallel: false,
    }],
  ];
  for (const [name, args, expected] of rows) {
    await t.step(`ptpPlan() ${name}`, () => {
      assert.deepEqual(ptpPlan(parseOptions(args)), expected);
    });
  }
});

Deno.test("toolkitIterations()", async (t) => {
  const rows: [string, string[], number][] = [
    ["makes --quick 20 iterations", ["--quick"], 20],
    ["makes a full run 200 iterations", [], 200],
  ];
  for (const [name, args, expected] of rows) {
    await t.step(`toolkitIterations() ${name}`, () => {
      assert.equal(toolkitIterations(parseOptions(args)), expected);
    });
  }
});

Deno.test("ptpLines() and toolkitLines()", async (t) => {
  const rows: [string, string[], string[]][] = [
    ["print nothing for cases --only left out", [
      ...ptpLines(undefined),
      ...toolkitLines(undefined),
    ], []],
    ["print one line with the reason for a skipped case", [
      ...ptpLines({ skipped: "it needs root (network namespaces)" }),
      ...toolkitLines({ skipped: "it needs root (a network namespace)" }),
    ], [
      "ptp: skipped, it needs root (network namespaces)",
      "netlink: skipped, it needs root (a network namespace)",
    ]],
  ];
  for (const [name, actual, expected] of rows) {
    await t.step(`ptpLines() and toolkitLines() ${name}`, () => {
      assert.deepEqual(actual, expected);
    });
  }
});

function exists(path: string): boolean {
  try {
    Deno.statSync(path);
    return true;
  } catch {
    return false;
  }
}

/** The names of the machine's named network namespaces. */
async function namespaces(): Promise<string[]> {
  const output = await new Deno.Command("ip", { args: ["-j", "netns", "list"], stdout: "piped" })
    .output();
  const text = new TextDecoder().decode(output.stdout).trim();
  return (JSON.parse(text || "[]") as { name: string }[]).map((ns) => ns.name);
}

const hasBundle = exists(bundlePath("sample"));
if (!hasBundle) {
  console.log("bench --quick test ignored: no dist/sample/sample.js (run deno task bundle)");
}

Deno.test({
  name: "bench --quick prints the table and writes the JSON summary",
  ignore: !hasBundle,
  async fn(t) {
    const dir = Deno.makeTempDirSync({ prefix: "bench_test" });
    try {
      const json = `${dir}/bench.json`;
      const output = await new Deno.Command(Deno.execPath(), {
        args: [
          "run",
          "--allow-read",
          "--allow-write",
          "--allow-env",
          "--allow-run",
          "--allow-sys=systemMemoryInfo,osRelease",
          `${ROOT}/scripts/bench.ts`,
          "--quick",
          `--json=${json}`,
        ],
        stdout: "piped",
        stderr: "piped",
      }).output();
      const stdout = new TextDecoder().decode(output.stdout);
      const stderr = new TextDecoder().decode(output.stderr);
      await t.step("bench --quick exits 0", () => {
        assert.equal(output.code, 0, stderr);
      });
      const summary = JSON.parse(Deno.readTextFileSync(json));
      await t.step("bench --quick prints the table and the same JSON", () => {
        assert.match(stdout, /^case +median ms +p90 ms +RSS MiB +\/floor +\/go/m);
        assert.match(stdout, /^ADD \/ floor /m);
        const printed = stdout.slice(stdout.indexOf("{\n"));
        assert.deepEqual(JSON.parse(printed), summary);
      });
      await t.step("bench --quick summary has its top-level keys", () => {
        for (const key of ["machine", "sample", "floor", "rounds", "cases", "ratios", "targets"]) {
          assert.ok(key in summary, key);
        }
        assert.equal(summary.rounds, 2);
        assert.ok(["compiled", "bundle"].includes(summary.sample.mode));
        assert.equal(typeof summary.sample.bundleBytes, "number");
        assert.equal(typeof summary.machine.cores, "number");
      });
      const hasGo = exists(GO_PLUGIN);
      const hasTime = exists("/usr/bin/time");
      const names = ["floor", "version", "add", "del", "add-100", "add-1000", "floor-1000"];
      if (hasGo) names.push("go-add", "go-add-1000");
      for (const name of names) {
        await t.step(`bench --quick measures case ${name}`, () => {
          const c = summary.cases[name];
          assert.ok(c, `no case ${name}`);
          assert.equal(c.runs, 2);
          assert.ok(c.wallMs.median > 0 && c.wallMs.p90 >= c.wallMs.median);
          if (hasTime) assert.ok(c.maxRssMib.median > 0);
          else assert.equal(c.maxRssMib, null);
        });
      }
      await t.step("bench --quick gives every ratio and target", () => {
        const ratios = ["addVsFloor", "addVsGo", "addRssOverFloorMib", "addRssVsGo"];
        for (const key of [...ratios, "add1000VsAdd", "add100VsAdd"]) {
          assert.ok(key in summary.ratios, key);
        }
        assert.equal(typeof summary.ratios.addVsFloor, "number");
        assert.equal(typeof summary.ratios.add1000VsAdd, "number");
        for (
          const key of [
            "addMedianWithin10PercentOfFloor",
            "addRssWithin5MibOfFloor",
            "add1000Within1Point5xOfAdd",
          ]
        ) {
          assert.ok(key in summary.targets, key);
        }
      });
      await t.step("bench --quick measures deno-ptp against Go ptp, or says why not", async () => {
        const ptp = summary.ptp;
        const reason = ptpSkip();
        if (reason !== undefined) {
          assert.deepEqual(ptp, { skipped: reason });
          assert.match(stdout, /^ptp: skipped, /m);
          return;
        }
        assert.equal(ptp.skipped, undefined, ptp.skipped);
        const c = ptp.cycle;
        assert.deepEqual([c.cycles, c.warmup], [2, 1]);
        for (const plugin of [c.deno, c.go]) {
          assert.ok(plugin.wallMs.median > 0 && plugin.wallMs.p90 >= plugin.wallMs.median);
          assert.ok(plugin.cpuMs.median > 0 && plugin.addMs > 0 && plugin.delMs > 0);
        }
        const ratio = Math.round((c.deno.wallMs.median / c.go.wallMs.median) * 100) / 100;
        assert.equal(c.wallVsGo, ratio);
        assert.equal(c.cycleWithin1Point3xOfGo, c.wallVsGo <= 1.3);
        const p = ptp.parallel;
        assert.deepEqual([p.width, p.batches], [PARALLEL, 1]);
        for (const plugin of [p.deno, p.go]) {
          assert.equal(plugin.addMs.length, 1);
          assert.equal(plugin.delMs.length, 1);
          assert.ok(plugin.addMedianMs > 0 && plugin.delMedianMs > 0);
        }
        assert.equal(p.addWithin1Point5xOfGo, p.addVsGo <= 1.5);
        assert.match(stdout, /^ptp ADD\+DEL through cnitool, median of 2: deno-ptp /m);
        assert.match(stdout, /^ptp, 50 ADDs at once in fresh namespaces, median of 1: /m);
        const left = (await namespaces()).filter((n) => n.startsWith(ptp.namespacePrefix));
        assert.deepEqual(left, [], "namespaces left behind");
      });
      await t.step("bench --quick measures the netlink toolkit, or says why not", () => {
        if (!isRoot()) {
          assert.deepEqual(summary.toolkit, { skipped: "it needs root (a network namespace)" });
          return;
        }
        const n = summary.toolkit.netlink;
        assert.equal(n.iterations, 20);
        for (const op of ["list links", "add an address", "add a route"]) {
          assert.equal(typeof n.perOperation[op], "number", op);
          assert.ok(n.perOperation[op] > 0, op);
        }
        assert.equal(
          summary.toolkit.netlinkOpsUnder1Ms,
          ["list links", "add an address", "add a route"].every((op) => n.perOperation[op] < 1),
        );
        assert.match(
          stdout,
          /^netlink toolkit, per operation in another namespace \(median of 20\)/m,
        );
        const netns = summary.toolkit.netns;
        assert.equal(netns.failed, undefined, netns.failed);
        assert.equal(netns.iterations, 20);
        for (const backend of ["exec", "netlink", "model"]) {
          for (const op of ["list links", "add an address", "add a route"]) {
            assert.ok(netns.backends[backend].medianMs[op] > 0, `${backend} ${op}`);
          }
          assert.match(
            stdout,
            new RegExp(
              `^namespace toolkit, ${backend} backend \\(median of 20\\): list links `,
              "m",
            ),
          );
        }
      });
    } finally {
      Deno.removeSync(dir, { recursive: true });
    }
  },
});

Deno.test({
  name: "bench --only naming no case of the rounds runs no rounds",
  ignore: !hasBundle,
  async fn() {
    const dir = Deno.makeTempDirSync({ prefix: "bench_test" });
    try {
      const json = `${dir}/bench.json`;
      const output = await new Deno.Command(Deno.execPath(), {
        args: [
          "run",
          "--allow-read",
          "--allow-write",
          "--allow-env",
          "--allow-run",
          "--allow-sys=systemMemoryInfo,osRelease",
          `${ROOT}/scripts/bench.ts`,
          "--only=no-such-case",
          "--seconds=0",
          `--json=${json}`,
        ],
        stdout: "piped",
        stderr: "piped",
      }).output();
      assert.equal(output.code, 0, new TextDecoder().decode(output.stderr));
      const summary = JSON.parse(Deno.readTextFileSync(json));
      assert.equal(summary.rounds, 0);
      assert.deepEqual(summary.cases, {});
      assert.equal("ptp" in summary, false);
      assert.equal("toolkit" in summary, false);
    } finally {
      Deno.removeSync(dir, { recursive: true });
    }
  },
});

/** tests/benchrun, built; or why it cannot be. */
const benchrun = await (async () => {
  const output = await new Deno.Command("bash", {
    args: [`${ROOT}/scripts/build_cnitool.sh`, "benchrun"],
    stdout: "piped",
    stderr: "piped",
  }).output();
  const decoder = new TextDecoder();
  return output.success
    ? { path: decoder.decode(output.stdout).trim() }
    : { why: decoder.decode(output.stderr).trim().split("\n")[0] };
})();
if ("why" in benchrun) console.log(`benchrun tests ignored: ${benchrun.why}`);

interface BenchrunStep {
  wallNs: number;
  userUs: number;
  sysUs: number;
  runs: { code: number; stdout: string; stderr: string }[];
}

async function runBenchrun(input: unknown): Promise<{ code: number; steps: BenchrunStep[] }> {
  const child = new Deno.Command((benchrun as { path: string }).path, {
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const writer = child.stdin.getWriter();
  await writer.write(new TextEncoder().encode(JSON.stringify(input)));
  await writer.close();
  const output = await child.output();
  const stdout = new TextDecoder().decode(output.stdout);
  return { code: output.code, steps: output.code === 0 ? JSON.parse(stdout).steps : [] };
}

Deno.test({
  name: "benchrun",
  ignore: "why" in benchrun,
  async fn(t) {
    await t.step(
      "benchrun gives each program its environment and stdin, and its output",
      async () => {
        const { code, steps } = await runBenchrun({
          steps: [
            [
              { argv: ["/bin/sh", "-c", 'echo "$A"; cat; exit 3'], env: ["A=one"], stdin: "two" },
              { argv: ["/usr/bin/env"], env: [] },
            ],
            [{ argv: ["/no/such/program"], env: [] }],
          ],
        });
        assert.equal(code, 0);
        assert.deepEqual(steps.map((s) => s.runs), [
          [{ code: 3, stdout: "one\ntwo", stderr: "" }, { code: 0, stdout: "", stderr: "" }],
          [{
            code: -1,
            stdout: "",
            stderr: "fork/exec /no/such/program: no such file or directory",
          }],
        ]);
      },
    );

    await t.step("benchrun counts the CPU time of the programs' descendants", async () => {
      // The inner shell spins until its own user time reaches 3 ticks (30 ms): the outer one
      // only waits for it.
      const count = "i=0; while [ $i -lt 20000 ]; do i=$((i+1)); done";
      const spin = `while [ "$(cut -d" " -f14 /proc/$$/stat)" -lt 3 ]; do ${count}; done`;
      const { steps } = await runBenchrun({
        steps: [[{ argv: ["/bin/sh", "-c", `/bin/sh -c '${spin}'; true`], env: [] }]],
      });
      const [step] = steps;
      assert.equal(step?.runs[0]?.code, 0, step?.runs[0]?.stderr);
      assert.ok(step!.userUs + step!.sysUs >= 30_000, JSON.stringify(step));
    });

    await t.step("benchrun rejects input it cannot read", async () => {
      for (const input of [{ steps: [[{ argv: [] }]] }, { steps: [], extra: 1 }]) {
        assert.equal((await runBenchrun(input)).code, 1, JSON.stringify(input));
      }
    });

    await t.step({
      name: "benchrun runs the programs in the namespace it is given",
      ignore: !isRoot(),
      async fn() {
        const name = `dcni-benchrun-${crypto.randomUUID().slice(0, 8)}`;
        const ip = (args: string[]) => new Deno.Command("ip", { args, stdout: "null" }).output();
        assert.ok((await ip(["netns", "add", name])).success);
        try {
          const { steps } = await runBenchrun({
            netns: `/var/run/netns/${name}`,
            steps: [[{ argv: ["/usr/bin/readlink", "/proc/self/ns/net"], env: [] }]],
          });
          const inode = Deno.statSync(`/var/run/netns/${name}`).ino;
          assert.equal(steps[0]?.runs[0]?.stdout.trim(), `net:[${inode}]`);
        } finally {
          await ip(["netns", "del", name]);
        }
      },
    });

    await t.step("benchrun on SIGTERM kills what its programs started and exits 130", async () => {
      const dir = Deno.makeTempDirSync({ prefix: "bench_test" });
      try {
        const child = new Deno.Command((benchrun as { path: string }).path, {
          stdin: "piped",
          stdout: "piped",
          stderr: "piped",
        }).spawn();
        const writer = child.stdin.getWriter();
        const script = `sleep 300 & echo $! > ${dir}/pid; wait`;
        await writer.write(
          new TextEncoder().encode(
            JSON.stringify({ steps: [[{ argv: ["/bin/sh", "-c", script], env: [] }]] }),
          ),
        );
        await writer.close();
        let pid = "";
        for (let i = 0; i < 500 && pid === ""; i++) {
          await new Promise((resolve) => setTimeout(resolve, 10));
          pid = exists(`${dir}/pid`) ? Deno.readTextFileSync(`${dir}/pid`).trim() : "";
        }
        assert.match(pid, /^\d+$/);
        child.kill("SIGTERM");
        const output = await child.output();
        assert.equal(output.code, 130);
        let alive = true;
        for (let i = 0; i < 500 && alive; i++) {
          alive = exists(`/proc/${pid}`);
          if (alive) await new Promise((resolve) => setTimeout(resolve, 10));
        }
        assert.equal(alive, false, `sleep ${pid} outlived benchrun`);
      } finally {
        Deno.removeSync(dir, { recursive: true });
      }
    });
  },
});
