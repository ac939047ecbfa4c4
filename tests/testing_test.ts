/**
 * The test harness (lib/testing.ts) itself: what invoke() sends and reports, the per-version
 * loop, fixtures and the skip reasons.
 */
import assert from "node:assert/strict";
import { ip, result } from "../lib/build.ts";
import type { Invocation, PluginHandlers } from "../lib/skel.ts";
import {
  atVersion,
  DEFAULT_TEST_ENV,
  forEachVersion,
  invoke,
  readFixture,
  skipReason,
} from "../lib/testing.ts";
import { versionHasCheck } from "../lib/version.ts";

/** A low-level plugin whose ADD records its invocation and returns one IP. */
function recorder(seen: Invocation[]): PluginHandlers {
  return {
    about: "recorder",
    versions: ["0.4.0", "1.0.0", "1.1.0"],
    add(invocation) {
      seen.push(invocation);
      return result({ ips: [ip("10.1.0.5/24")] });
    },
  };
}

const CONFIG = { cniVersion: "1.0.0", name: "n", type: "recorder" };

Deno.test("invoke() runs a plugin in-process", async (t) => {
  await t.step("invoke() sends ADD with the default environment", async () => {
    const seen: Invocation[] = [];
    const added = await invoke(recorder(seen), { config: CONFIG });
    assert.equal(added.code, 0);
    const [invocation] = seen;
    assert.ok(invocation);
    assert.equal(invocation.command, "ADD");
    assert.deepEqual(
      [invocation.containerId, invocation.netns, invocation.ifName, invocation.path],
      [
        DEFAULT_TEST_ENV.CNI_CONTAINERID,
        DEFAULT_TEST_ENV.CNI_NETNS,
        DEFAULT_TEST_ENV.CNI_IFNAME,
        DEFAULT_TEST_ENV.CNI_PATH,
      ],
    );
    assert.deepEqual(invocation.document, CONFIG);
  });
  await t.step("invoke() reports exit status, stdout, parsed JSON and result", async () => {
    const added = await invoke(recorder([]), { config: CONFIG });
    assert.equal(
      added.stdout,
      JSON.stringify({ cniVersion: "1.0.0", ips: [{ address: "10.1.0.5/24" }] }, null, 4),
    );
    assert.equal(added.stderr, "");
    assert.deepEqual(added.json, { cniVersion: "1.0.0", ips: [{ address: "10.1.0.5/24" }] });
    assert.deepEqual(added.result, { cniVersion: "1.1.0", ips: [{ address: "10.1.0.5/24" }] });
    assert.equal(added.error, undefined);
  });
  await t.step("invoke() gives results of old versions in the newest shape", async () => {
    const added = await invoke(recorder([]), { config: { ...CONFIG, cniVersion: "0.4.0" } });
    assert.deepEqual(added.json, {
      cniVersion: "0.4.0",
      ips: [{ version: "4", address: "10.1.0.5/24" }],
      dns: {},
    });
    assert.deepEqual(added.result?.ips, [{ address: "10.1.0.5/24" }]);
  });
  await t.step("invoke() reports an error object", async () => {
    const added = await invoke(recorder([]), { config: { ...CONFIG, cniVersion: "9.9.9" } });
    assert.equal(added.code, 1);
    assert.equal(added.result, undefined);
    assert.deepEqual(added.error, {
      code: 1,
      msg: "incompatible CNI versions",
      details: 'config is "9.9.9", plugin supports ["0.4.0" "1.0.0" "1.1.0"]',
    });
  });
  await t.step("invoke() unsets a default variable given as the empty string", async () => {
    const added = await invoke(recorder([]), {
      env: { CNI_NETNS: "", CNI_PATH: "" },
      config: CONFIG,
    });
    assert.equal(added.error?.msg, "required env variables [CNI_NETNS,CNI_PATH] missing");
  });
  await t.step("invoke() sends a string config as it is", async () => {
    const added = await invoke(recorder([]), { config: "{nope" });
    assert.equal(added.error?.code, 6);
  });
  await t.step("invoke() sends an empty stdin without a config", async () => {
    const added = await invoke(recorder([]));
    assert.equal(added.error?.msg, "error unmarshall network config: unexpected end of JSON input");
  });
  await t.step("invoke() runs VERSION", async () => {
    const version = await invoke(recorder([]), { command: "VERSION" });
    assert.deepEqual(version.json, {
      cniVersion: "1.1.0",
      supportedVersions: ["0.4.0", "1.0.0", "1.1.0"],
    });
    assert.equal(version.result, undefined);
  });
  await t.step("invoke() never reads the real environment", async () => {
    const seen: string[] = [];
    const plugin: PluginHandlers = {
      ...recorder([]),
      add(invocation) {
        seen.push(String(invocation.getenv?.("PATH")));
        return result();
      },
    };
    await invoke(plugin, { config: CONFIG });
    assert.deepEqual(seen, ["undefined"]);
  });
});

Deno.test("invoke() collects console output as stderr", async (t) => {
  const chatty: PluginHandlers = {
    about: "",
    versions: ["1.0.0"],
    add() {
      console.log("to stdout in Deno, here stderr");
      console.error("to stderr");
      return result({ ips: [ip("10.1.0.5/24")] });
    },
  };
  await t.step("invoke() keeps stdout to the result", async () => {
    const added = await invoke(chatty, { config: CONFIG });
    assert.deepEqual(added.json, { cniVersion: "1.0.0", ips: [{ address: "10.1.0.5/24" }] });
    assert.equal(added.stderr, "to stdout in Deno, here stderr\nto stderr\n");
  });
  await t.step("invoke() restores the console afterwards", async () => {
    const log = console.log;
    await invoke(chatty, { config: CONFIG });
    assert.equal(console.log, log);
  });
  await t.step("invoke() runs overlapping calls one after the other", async () => {
    const slow: PluginHandlers = {
      about: "",
      versions: ["1.0.0"],
      async add(invocation) {
        console.log(`start ${invocation.containerId}`);
        await new Promise((resolve) => setTimeout(resolve, 5));
        console.log(`end ${invocation.containerId}`);
        return result();
      },
    };
    const [a, b] = await Promise.all(
      ["a", "b"].map((id) => invoke(slow, { env: { CNI_CONTAINERID: id }, config: CONFIG })),
    );
    assert.equal(a?.stderr, "start a\nend a\n");
    assert.equal(b?.stderr, "start b\nend b\n");
  });
});

Deno.test("invoke() fails a plugin that breaks the protocol", async (t) => {
  await t.step("invoke() rejects a result a runtime would not decode", async () => {
    const broken: PluginHandlers = {
      about: "",
      versions: ["1.0.0"],
      add: () => ({ cniVersion: "1.0.0", ips: [{ address: "10.1.0.5" }] }),
    };
    await assert.rejects(
      invoke(broken, { config: CONFIG }),
      /a runtime reading cniVersion 1\.0\.0 rejects \(invalid CIDR address: 10\.1\.0\.5\)/,
    );
  });
});

Deno.test("forEachVersion() runs one step per supported version", async (t) => {
  const plugin = recorder([]);
  const visited: string[] = [];
  await t.step("forEachVersion() visits every version in order", async (t) => {
    const passed = await forEachVersion(t, plugin, (version) => void visited.push(version));
    assert.equal(passed, true);
    assert.deepEqual(visited, ["0.4.0", "1.0.0", "1.1.0"]);
  });
  await t.step("forEachVersion() visits only the versions `only` accepts", async (t) => {
    const checked: string[] = [];
    const only = (v: string) => versionHasCheck(v) && v !== "1.1.0";
    await forEachVersion(t, plugin, (version) => void checked.push(version), { only });
    assert.deepEqual(checked, ["0.4.0", "1.0.0"]);
  });
});

Deno.test("atVersion() sends a configuration at another version", async (t) => {
  const chained = readFixture(new URL("testdata/authoring/chained.json", import.meta.url));
  await t.step("atVersion() converts the prevResult to 0.2.0", () => {
    assert.deepEqual(atVersion(chained, "0.2.0").prevResult, {
      cniVersion: "0.2.0",
      ip4: {
        ip: "10.22.0.5/16",
        gateway: "10.22.0.1",
        routes: [{ dst: "0.0.0.0/0", gw: "10.22.0.1" }],
      },
      dns: {},
    });
  });
  await t.step("atVersion() reads a prevResult without cniVersion in the config's version", () => {
    const config = {
      cniVersion: "0.4.0",
      name: "n",
      prevResult: { ips: [{ version: "4", address: "10.1.0.5/24" }] },
    };
    assert.deepEqual(atVersion(config, "1.1.0").prevResult, {
      cniVersion: "1.1.0",
      ips: [{ address: "10.1.0.5/24" }],
    });
  });
  await t.step("atVersion() sets only cniVersion without a prevResult", () => {
    assert.deepEqual(atVersion({ cniVersion: "1.0.0", name: "n", x: [1] }, "0.3.1"), {
      cniVersion: "0.3.1",
      name: "n",
      x: [1],
    });
  });
  await t.step("atVersion() leaves the original alone", () => {
    atVersion(chained, "0.3.0");
    assert.equal(chained.cniVersion, "1.0.0");
  });
});

Deno.test("readFixture() reads JSON files", async (t) => {
  await t.step("readFixture() names a file that is not JSON", () => {
    assert.throws(
      () => readFixture(new URL("testdata/authoring/chatty_plugin.ts", import.meta.url)),
      /fixture .*chatty_plugin\.ts is not JSON/,
    );
  });
  await t.step("readFixture() throws NotFound for a missing file", () => {
    assert.throws(
      () => readFixture(new URL("testdata/authoring/missing.json", import.meta.url)),
      Deno.errors.NotFound,
    );
  });
});

Deno.test("skipReason() names what is missing", async (t) => {
  await t.step("skipReason() is undefined when nothing is required", () => {
    assert.equal(skipReason({}), undefined);
  });
  await t.step("skipReason() names missing files and programs", () => {
    assert.equal(
      skipReason({ programs: ["dcni-no-such-program"], files: ["/nonexistent/x"] }),
      "needs dcni-no-such-program, /nonexistent/x",
    );
  });
  await t.step("skipReason() finds files and programs that exist", () => {
    assert.equal(skipReason({ programs: ["sh"], files: [Deno.execPath()] }), undefined);
  });
  await t.step("skipReason() agrees with `id -u` on root", async () => {
    const output = await new Deno.Command("id", { args: ["-u"] }).output();
    const root = new TextDecoder().decode(output.stdout).trim() === "0";
    assert.equal(skipReason({ root: true }), root ? undefined : "needs root");
  });
});
