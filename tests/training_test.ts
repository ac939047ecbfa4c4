/**
 * scripts/_training.ts: the training runs of each plugin, and the functions a run calls, from
 * V8's coverage.
 */
import assert from "node:assert/strict";
import { calledFunctions, trainingRuns } from "../scripts/_training.ts";

/**
 * The project's own plugins, and whether they have training runs: ptp and tuning need root and a
 * namespace. A plugin that `deno task new` wrote has none.
 */
const PLUGINS = [
  { name: "sample", runs: true },
  { name: "deno-noop", runs: true },
  { name: "deno-host-local", runs: true },
  { name: "deno-ptp", runs: false },
  { name: "deno-tuning", runs: false },
  { name: "my-new-plugin", runs: false },
];

Deno.test("trainingRuns() gives each plugin that can run without root its verbs", async (t) => {
  for (const { name, runs: expected } of PLUGINS) {
    const runs = trainingRuns(name, "/tmp/training-data");
    await t.step(`trainingRuns() ${expected ? "has runs" : "has none"} for ${name}`, () => {
      if (!expected) {
        assert.equal(runs, undefined);
        return;
      }
      assert.deepEqual(runs!.map((run) => run.verb).slice(0, 4), [
        "VERSION",
        "ADD",
        "CHECK",
        "DEL",
      ]);
      for (const run of runs!.slice(1)) assert.equal(typeof run.config?.cniVersion, "string");
    });
  }
  await t.step("trainingRuns() keeps host-local's leases in the directory it is given", () => {
    const add = trainingRuns("deno-host-local", "/tmp/training-data")![1]!;
    assert.equal((add.config!.ipam as { dataDir: string }).dataDir, "/tmp/training-data");
  });
});

/** A plugin whose VERSION calls `version` and whose ADD calls `add`. */
const PLUGIN = [
  "function version() {",
  '  return "v";',
  "}",
  "function add() {",
  '  return "a";',
  "}",
  'const verb = Deno.env.get("CNI_COMMAND");',
  'if (verb === "FAIL") Deno.exit(1);',
  'console.log(verb === "VERSION" ? version() : add());',
  "await Deno.stdin.read(new Uint8Array(1));",
].join("\n");

Deno.test("calledFunctions() finds where the functions a run calls end", async (t) => {
  const dir = Deno.makeTempDirSync({ prefix: "training_test" });
  try {
    const entry = `${dir}/plugin.js`;
    Deno.writeTextFileSync(entry, PLUGIN);
    const plugin = { name: "fixture", entry: "plugin.js", about: "", permissions: ["--allow-env"] };
    const versionEnd = PLUGIN.indexOf("}") + 1;
    const addEnd = PLUGIN.indexOf("}", versionEnd) + 1;
    await t.step("calledFunctions() reports the function VERSION calls, not ADD's", async () => {
      const called = await calledFunctions(entry, plugin, [{ verb: "VERSION" }], dir);
      assert.ok(called.has(versionEnd));
      assert.ok(!called.has(addEnd));
    });
    await t.step("calledFunctions() reports both for both runs", async () => {
      const runs = [{ verb: "VERSION" }, { verb: "ADD", config: { cniVersion: "1.0.0" } }];
      const called = await calledFunctions(entry, plugin, runs, dir);
      assert.ok(called.has(versionEnd) && called.has(addEnd));
    });
    await t.step("calledFunctions() fails when a run fails", async () => {
      await assert.rejects(
        calledFunctions(entry, plugin, [{ verb: "FAIL" }], dir),
        /the training run FAIL of fixture failed/,
      );
    });
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
});
