import assert from "node:assert/strict";
import { decodeResult } from "../lib/result.ts";
import { GO_PLUGIN, parseOptions, percentile, prevResult } from "../scripts/bench.ts";
import { bundlePath, ROOT } from "../scripts/manifest.ts";

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

function exists(path: string): boolean {
  try {
    Deno.statSync(path);
    return true;
  } catch {
    return false;
  }
}

const hasBundle = exists(bundlePath("sample"));
if (!hasBundle) console.log("bench --quick test ignored: no dist/sample.js (run deno task bundle)");

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
    } finally {
      Deno.removeSync(dir, { recursive: true });
    }
  },
});
