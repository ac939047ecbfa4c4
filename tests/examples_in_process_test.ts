/**
 * The sample (main.ts) and noop (examples/noop.ts) plugins through the in-process harness
 * (lib/testing.ts), once per spec version each supports: the same checks a plugin author writes
 * for a plugin of their own, next to the process tests in main_test.ts and noop_test.ts.
 */
import assert from "node:assert/strict";
import { noopPlugin } from "../examples/noop.ts";
import { samplePlugin } from "../main.ts";
import { emptyResult } from "../lib/result.ts";
import { atVersion, forEachVersion, invoke, readFixture } from "../lib/testing.ts";
import { versionHasCheck } from "../lib/version.ts";

const SAMPLE = readFixture(new URL("testdata/authoring/sample.json", import.meta.url));
const NOOP = { name: "noop-test", type: "noop" };

Deno.test("noop ADD prints an empty result in every version", async (t) => {
  await forEachVersion(t, noopPlugin, async (cniVersion) => {
    const added = await invoke(noopPlugin, { config: { ...NOOP, cniVersion } });
    assert.equal(added.code, 0, added.stdout);
    assert.deepEqual(added.json, emptyResult(cniVersion));
    assert.equal(added.stderr, "");
  });
});

Deno.test("noop DEL and CHECK succeed silently", async (t) => {
  await forEachVersion(t, noopPlugin, async (cniVersion) => {
    const verbs = versionHasCheck(cniVersion) ? ["DEL", "CHECK"] : ["DEL"];
    for (const command of verbs) {
      const run = await invoke(noopPlugin, { command, config: { ...NOOP, cniVersion } });
      assert.deepEqual([run.code, run.stdout, run.stderr], [0, "", ""], command);
    }
  });
});

Deno.test("sample ADD passes the previous result on", async (t) => {
  await forEachVersion(t, samplePlugin, async (cniVersion) => {
    const added = await invoke(samplePlugin, { config: atVersion(SAMPLE, cniVersion) });
    assert.equal(added.code, 0, added.stdout);
    assert.deepEqual(added.json, atVersion(SAMPLE, cniVersion).prevResult);
  });
});

Deno.test("sample ADD refuses what the reference refuses", async (t) => {
  await forEachVersion(t, samplePlugin, async (cniVersion) => {
    const config = atVersion(SAMPLE, cniVersion);
    const rows = [
      {
        name: "no anotherAwesomeArg",
        config: { ...config, anotherAwesomeArg: undefined },
        msg: "anotherAwesomeArg must be specified",
      },
      {
        name: "no prevResult",
        config: { ...config, prevResult: undefined },
        msg: "must be called as chained plugin",
      },
    ];
    for (const row of rows) {
      const added = await invoke(samplePlugin, { config: row.config });
      assert.deepEqual(added.error, { code: 999, msg: row.msg }, row.name);
    }
  });
});

Deno.test("sample DEL checks the configuration only", async (t) => {
  await forEachVersion(t, samplePlugin, async (cniVersion) => {
    const config = { ...atVersion(SAMPLE, cniVersion), prevResult: undefined };
    const deleted = await invoke(samplePlugin, { command: "DEL", config });
    assert.deepEqual([deleted.code, deleted.stdout], [0, ""]);
  });
});
