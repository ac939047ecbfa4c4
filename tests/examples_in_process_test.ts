/**
 * The sample (main.ts) and noop (examples/noop.ts) plugins through the in-process harness
 * (lib/testing.ts), once per spec version each supports: the checks a plugin author writes for a
 * plugin of their own, next to the process tests in main_test.ts and noop_test.ts. Only the
 * public entry points are imported: lib/mod.ts and lib/testing.ts.
 */
import assert from "node:assert/strict";
import { noopPlugin } from "../examples/noop.ts";
import { samplePlugin } from "../main.ts";
import { emptyResult, versionHasCheck, versionHasGcAndStatus } from "../lib/mod.ts";
import { atVersion, forEachVersion, invoke, readFixture } from "../lib/testing.ts";

const SAMPLE = readFixture(new URL("testdata/authoring/sample.json", import.meta.url));
const NOOP = { name: "noop-test", type: "deno-noop" };

/** The versions whose results have no interface indexes. */
const LEGACY = ["0.1.0", "0.2.0"];

/** The verbs a version has besides ADD. */
function otherVerbs(version: string): string[] {
  return [
    "DEL",
    ...(versionHasCheck(version) ? ["CHECK"] : []),
    ...(versionHasGcAndStatus(version) ? ["GC", "STATUS"] : []),
  ];
}

Deno.test("noop ADD prints an empty result in every version", async (t) => {
  await forEachVersion(t, noopPlugin, async (cniVersion) => {
    const added = await invoke(noopPlugin, { config: { ...NOOP, cniVersion } });
    assert.equal(added.code, 0, added.stdout);
    assert.deepEqual(added.json, emptyResult(cniVersion));
    assert.equal(added.stderr, "");
    assert.deepEqual(added.runs, []);
  });
});

Deno.test("noop's other verbs succeed silently and run nothing", async (t) => {
  await forEachVersion(t, noopPlugin, async (cniVersion) => {
    for (const command of otherVerbs(cniVersion)) {
      const run = await invoke(noopPlugin, { command, config: { ...NOOP, cniVersion } });
      assert.deepEqual([run.code, run.stdout, run.stderr, run.runs], [0, "", "", []], command);
    }
  });
});

Deno.test("noop DEL without CNI_NETNS succeeds: the namespace may be gone", async () => {
  const deleted = await invoke(noopPlugin, {
    command: "DEL",
    env: { CNI_NETNS: "" },
    config: { ...NOOP, cniVersion: "1.0.0" },
  });
  assert.deepEqual([deleted.code, deleted.stdout, deleted.stderr], [0, "", ""]);
});

Deno.test("sample ADD passes the previous result on in the configuration's version", async (t) => {
  await forEachVersion(t, samplePlugin, async (cniVersion) => {
    const config = atVersion(SAMPLE, cniVersion);
    const added = await invoke(samplePlugin, { config });
    assert.equal(added.code, 0, added.stdout);
    assert.deepEqual(added.json, config.prevResult);
    assert.deepEqual(added.result?.ips, [
      {
        address: "10.22.0.5/16",
        gateway: "10.22.0.1",
        ...(LEGACY.includes(cniVersion) ? {} : { interface: 0 }),
      },
    ]);
    assert.deepEqual(added.runs, []);
  });
});

Deno.test("sample ADD refuses what the walkthrough refuses", async (t) => {
  await forEachVersion(t, samplePlugin, async (cniVersion) => {
    const config = atVersion(SAMPLE, cniVersion);
    const rows = [
      {
        name: "no anotherAwesomeArg",
        config: { ...config, anotherAwesomeArg: undefined },
        error: { code: 7, msg: 'invalid network configuration: "anotherAwesomeArg" is required' },
      },
      {
        name: "an anotherAwesomeArg that is no string",
        config: { ...config, anotherAwesomeArg: 5 },
        error: {
          code: 7,
          msg: 'invalid network configuration: "anotherAwesomeArg" must be a string, got 5',
        },
      },
      {
        name: "no prevResult",
        config: { ...config, prevResult: undefined },
        error: { code: 999, msg: "must be called as chained plugin" },
      },
      {
        name: "a prevResult without IPs",
        config: { ...config, prevResult: { cniVersion } },
        error: { code: 999, msg: "got no container IPs" },
      },
    ];
    for (const row of rows) {
      const added = await invoke(samplePlugin, { config: row.config });
      assert.equal(added.code, 1, row.name);
      assert.deepEqual(added.error, row.error, row.name);
    }
  });
});

Deno.test("sample CHECK does what ADD does, without printing", async (t) => {
  await forEachVersion(t, samplePlugin, async (cniVersion) => {
    const config = atVersion(SAMPLE, cniVersion);
    const checked = await invoke(samplePlugin, { command: "CHECK", config });
    assert.deepEqual([checked.code, checked.stdout], [0, ""]);
    const bare = await invoke(samplePlugin, {
      command: "CHECK",
      config: { ...config, prevResult: undefined },
    });
    assert.deepEqual(bare.error, { code: 999, msg: "must be called as chained plugin" });
  }, { only: versionHasCheck });
});

Deno.test("sample DEL reads the configuration only, and tolerates a bad one", async (t) => {
  await forEachVersion(t, samplePlugin, async (cniVersion) => {
    const config = { ...atVersion(SAMPLE, cniVersion), prevResult: undefined };
    const deleted = await invoke(samplePlugin, { command: "DEL", config });
    assert.deepEqual([deleted.code, deleted.stdout, deleted.stderr], [0, "", ""]);

    const bad = await invoke(samplePlugin, {
      command: "DEL",
      config: { ...config, anotherAwesomeArg: undefined },
    });
    assert.deepEqual([bad.code, bad.stdout], [0, ""]);
    assert.match(bad.stderr, /DEL succeeds without releasing anything: .*"anotherAwesomeArg"/);
  });
});

Deno.test("sample STATUS reports ready, GC succeeds", async () => {
  const config = atVersion(SAMPLE, "1.1.0");
  for (const command of ["STATUS", "GC"]) {
    const run = await invoke(samplePlugin, { command, config });
    assert.deepEqual([run.code, run.stdout], [0, ""], command);
  }
});
