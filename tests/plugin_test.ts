/**
 * definePlugin (lib/plugin.ts) through the in-process harness: what a handler's context holds,
 * how configuration and prevResult errors reach the runtime, result conversion, and the log
 * record each verb ends with.
 */
import assert from "node:assert/strict";
import { configError } from "../lib/config_error.ts";
import { CniError } from "../lib/errors.ts";
import { ip, result, route } from "../lib/build.ts";
import { definePlugin, type PluginContext } from "../lib/plugin.ts";
import { ALL_VERSIONS } from "../lib/version.ts";
import { atVersion, forEachVersion, invoke, readFixture } from "../lib/testing.ts";
import type { JsonObject } from "../lib/_decode.ts";

const CHAINED = readFixture(new URL("testdata/authoring/chained.json", import.meta.url));

/** A plugin whose ADD hands its context to `seen` and returns the previous result. */
function spy(seen: PluginContext<{ dst: string }>[]) {
  return definePlugin({
    name: "spy",
    config: (_raw, { read }) => ({ dst: read.cidr("dst") ?? "0.0.0.0/0" }),
    add(context) {
      seen.push(context);
      return context.prevResult ?? result({ ips: [ip("10.1.0.5/24")] });
    },
  });
}

Deno.test("definePlugin() fills the handler's context", async (t) => {
  await t.step("definePlugin() passes the CNI_* arguments", async () => {
    const seen: PluginContext<{ dst: string }>[] = [];
    await invoke(spy(seen), {
      env: { CNI_CONTAINERID: "c9", CNI_NETNS: "/n", CNI_IFNAME: "net1", CNI_PATH: "/p:/q" },
      config: CHAINED,
    });
    const [context] = seen;
    assert.ok(context);
    assert.deepEqual(
      [context.command, context.containerId, context.netns, context.ifName, context.path],
      ["ADD", "c9", "/n", "net1", "/p:/q"],
    );
    assert.equal(context.configVersion, "1.0.0");
  });
  await t.step("definePlugin() merges the standard keys and the plugin's own", async () => {
    const seen: PluginContext<{ dst: string }>[] = [];
    await invoke(spy(seen), {
      config: { ...CHAINED, dst: "10.9.0.0/16", ipam: { type: "x", k: 1 }, ipMasq: true },
    });
    const conf = seen[0]!.conf;
    assert.equal(conf.name, "chained-test");
    assert.equal(conf.dst, "10.9.0.0/16");
    assert.deepEqual(conf.ipam, { type: "x", k: 1 });
    assert.equal(conf.ipMasq, true);
    assert.equal(conf.raw.dst, "10.9.0.0/16");
  });
  await t.step("definePlugin() converts prevResult to the newest shape", async (t) => {
    await forEachVersion(t, { versions: ["0.3.0", "0.4.0", "1.0.0", "1.1.0"] }, async (v) => {
      const seen: PluginContext<{ dst: string }>[] = [];
      await invoke(spy(seen), { config: atVersion(CHAINED, v) });
      assert.deepEqual(seen[0]!.prevResult, {
        cniVersion: "1.1.0",
        interfaces: [{ name: "eth0", sandbox: "/var/run/netns/ctr-test" }],
        ips: [{ address: "10.22.0.5/16", gateway: "10.22.0.1", interface: 0 }],
        routes: [{ dst: "0.0.0.0/0", gw: "10.22.0.1" }],
      });
    });
  });
  await t.step("definePlugin() gives no prevResult when there is none", async () => {
    const seen: PluginContext<{ dst: string }>[] = [];
    await invoke(spy(seen), { config: { ...CHAINED, prevResult: undefined } });
    assert.equal(seen[0]!.prevResult, undefined);
  });
  await t.step("definePlugin() parses CNI_ARGS on demand", async () => {
    const seen: PluginContext<{ dst: string }>[] = [];
    await invoke(spy(seen), {
      env: { CNI_ARGS: "IgnoreUnknown=1;K8S_POD_NAME=web;X=y" },
      config: CHAINED,
    });
    assert.deepEqual(seen[0]!.cniArgs().values, { IgnoreUnknown: true, K8S_POD_NAME: "web" });
    assert.deepEqual(seen[0]!.cniArgs({ X: "string", IgnoreUnknown: "boolean" }).values, {
      IgnoreUnknown: true,
      X: "y",
    });
  });
  await t.step("definePlugin() reads only the given environment", async () => {
    const seen: PluginContext<{ dst: string }>[] = [];
    await invoke(spy(seen), { env: { MY_SETTING: "on" }, config: CHAINED });
    assert.equal(seen[0]!.getenv("MY_SETTING"), "on");
    assert.equal(seen[0]!.getenv("HOME"), undefined);
  });
  await t.step("definePlugin() hands delegates the invocation's variables", async () => {
    const seen: PluginContext<{ dst: string }>[] = [];
    await invoke(spy(seen), {
      env: { CNI_CONTAINERID: "c9", CNI_NETNS: "/n", CNI_IFNAME: "net1", CNI_PATH: "/p" },
      config: CHAINED,
    });
    const delegation = seen[0]!.delegation;
    assert.equal(delegation.cniPath, "/p");
    assert.deepEqual(delegation.env, {
      CNI_CONTAINERID: "c9",
      CNI_NETNS: "/n",
      CNI_IFNAME: "net1",
      CNI_ARGS: "",
      CNI_PATH: "/p",
    });
  });
});

Deno.test("definePlugin() turns bad input into the right error codes", async (t) => {
  const plugin = definePlugin({
    name: "strict",
    config(raw, { read }) {
      if ("legacy" in raw) throw configError("legacy", "is no longer supported");
      return { mtu: read.integer("mtu", { min: 68 }) };
    },
    add: ({ prevResult }) => prevResult ?? result({ ips: [ip("10.1.0.5/24")] }),
    del: () => {},
  });
  const rows: { name: string; config: JsonObject; code: number; msg: string }[] = [
    {
      name: "a bad value of the plugin's own key is code 7",
      config: { mtu: 9 },
      code: 7,
      msg: 'invalid network configuration: "mtu" must be an integer of at least 68, got 9',
    },
    {
      name: "a configError() from the validator is code 7",
      config: { legacy: true },
      code: 7,
      msg: 'invalid network configuration: "legacy" is no longer supported',
    },
    {
      name: "a standard key of the wrong type is code 6",
      config: { ipam: "host-local" },
      code: 6,
      msg: "failed to parse network configuration: json: cannot unmarshal string into Go struct " +
        "field NetConf.ipam of type types.IPAM",
    },
    {
      name: "a bad log section is code 7",
      config: { log: { level: "loud" } },
      code: 7,
      msg: 'invalid network configuration: "log.level" must be one of debug, info, warn, error, ' +
        'got "loud"',
    },
    {
      name: "a prevResult of another version family is code 6",
      config: {
        prevResult: { cniVersion: "0.4.0", ips: [{ version: "4", address: "10.1.0.5/24" }] },
      },
      code: 6,
      msg: "could not parse prevResult: result type supports [1.0.0 1.1.0] but unmarshalled " +
        'CNIVersion is "0.4.0"',
    },
  ];
  for (const row of rows) {
    await t.step(`definePlugin(): ${row.name}`, async () => {
      const added = await invoke(plugin, {
        config: { cniVersion: "1.0.0", name: "n", type: "strict", ...row.config },
      });
      assert.equal(added.code, 1);
      assert.deepEqual(added.error, { code: row.code, msg: row.msg });
    });
  }
  await t.step("definePlugin() does not fail a handler that ignores a bad prevResult", async () => {
    const deleted = await invoke(plugin, {
      command: "DEL",
      config: { cniVersion: "1.0.0", name: "n", type: "strict", prevResult: { cniVersion: "x" } },
    });
    assert.equal(deleted.code, 0, deleted.stdout);
  });
  await t.step("definePlugin() passes a handler's CniError through unchanged", async () => {
    const failing = definePlugin({
      name: "f",
      add: () => {
        throw new CniError(11, "busy", "try again");
      },
    });
    const added = await invoke(failing, { config: { cniVersion: "1.0.0", name: "n" } });
    assert.deepEqual(added.error, { code: 11, msg: "busy", details: "try again" });
  });
});

Deno.test("definePlugin() prints ADD's result in the configuration's version", async (t) => {
  const plugin = definePlugin({
    name: "fixed",
    add: () =>
      result({
        ips: [ip("10.1.0.5/24", { gateway: "10.1.0.1" })],
        routes: [route("0.0.0.0/0")],
      }),
  });
  await forEachVersion(t, plugin, async (cniVersion) => {
    const added = await invoke(plugin, { config: { cniVersion, name: "n", type: "fixed" } });
    assert.equal(added.code, 0, added.stdout);
    assert.equal((added.json as { cniVersion: string }).cniVersion, cniVersion);
    assert.deepEqual(added.result?.ips, [{ address: "10.1.0.5/24", gateway: "10.1.0.1" }]);
  });
  await t.step("definePlugin() reports a result the version cannot hold as code 999", async () => {
    const empty = definePlugin({ name: "empty", add: () => result() });
    const added = await invoke(empty, { config: { cniVersion: "0.2.0", name: "n" } });
    assert.deepEqual(added.error, { code: 999, msg: "cannot convert: no valid IP addresses" });
  });
});

Deno.test("definePlugin() defaults", async (t) => {
  const plugin = definePlugin({ name: "bare" });
  await t.step("definePlugin() supports every spec version by default", () => {
    assert.deepEqual(plugin.versions, ALL_VERSIONS);
  });
  await t.step("definePlugin() makes an about line from the name", async () => {
    const about = await invoke(plugin, { command: "" });
    assert.equal(about.code, 0);
    assert.equal(
      about.stderr,
      `CNI bare plugin\nCNI protocol versions supported: ${ALL_VERSIONS.join(", ")}\n`,
    );
  });
  await t.step("definePlugin() lets verbs without a handler succeed silently (C6)", async () => {
    for (const command of ["ADD", "DEL", "GC", "STATUS"]) {
      const run = await invoke(plugin, { command, config: { cniVersion: "1.1.0", name: "n" } });
      assert.deepEqual([run.code, run.stdout], [0, ""], command);
    }
  });
});

Deno.test("definePlugin() ends every verb with a log record", async (t) => {
  const dir = await Deno.makeTempDir({ prefix: "dcni-plugin-log-" });
  const plugin = definePlugin({
    name: "logged",
    config: (_raw, { read }) => ({ fail: read.boolean("fail") ?? false }),
    add({ conf, log }) {
      log.debug("adding", { step: 1 });
      if (conf.fail) throw new CniError(11, "not now");
      return result({ ips: [ip("10.1.0.5/24")] });
    },
  });
  const env = { CNI_CONTAINERID: "c1", CNI_IFNAME: "eth1" };
  const config = { cniVersion: "1.0.0", name: "net-a", type: "logged" };
  const records = (path: string) =>
    Deno.readTextFileSync(path).trimEnd().split("\n").map((line) => JSON.parse(line));
  try {
    await t.step("definePlugin() logs the outcome to DENO_CNI_LOG_FILE", async () => {
      const file = `${dir}/env.log`;
      const ok = await invoke(plugin, { env: { ...env, DENO_CNI_LOG_FILE: file }, config });
      const failed = await invoke(plugin, {
        env: { ...env, DENO_CNI_LOG_FILE: file },
        config: { ...config, fail: true },
      });
      assert.equal(ok.code, 0);
      assert.equal(failed.code, 1);
      assert.equal(ok.stderr + failed.stderr, "", "records at info stay off stderr");
      const [first, second] = records(file);
      for (const record of [first, second]) {
        assert.equal(typeof record.durationMs, "number");
        assert.ok(record.durationMs >= 0);
        assert.ok(!Number.isNaN(Date.parse(record.time)));
        delete record.durationMs;
        delete record.time;
      }
      const common = {
        level: "info",
        plugin: "logged",
        verb: "ADD",
        containerId: "c1",
        ifName: "eth1",
        network: "net-a",
      };
      assert.deepEqual(first, { ...common, msg: "ADD ok", outcome: "ok" });
      assert.deepEqual(second, {
        ...common,
        msg: "ADD failed",
        outcome: "error",
        code: 11,
        error: "not now",
      });
    });
    await t.step("definePlugin() logs to the configuration's log.file at its level", async () => {
      const file = `${dir}/config.log`;
      const added = await invoke(plugin, {
        env,
        config: { ...config, log: { file, level: "debug" } },
      });
      assert.equal(added.code, 0);
      assert.deepEqual(records(file).map((r) => [r.level, r.msg, r.step]), [
        ["debug", "adding", 1],
        ["info", "ADD ok", undefined],
      ]);
      assert.match(
        added.stderr,
        /^logged ADD: debug: adding \{"step":1\}\nlogged ADD: info: ADD ok/,
      );
    });
    await t.step("definePlugin() shows debug lines on stderr with DENO_CNI_LOG_LEVEL", async () => {
      const added = await invoke(plugin, { env: { ...env, DENO_CNI_LOG_LEVEL: "debug" }, config });
      assert.equal(added.code, 0);
      assert.ok(added.stderr.startsWith('logged ADD: debug: adding {"step":1}\n'), added.stderr);
    });
    await t.step("definePlugin() succeeds when the log file cannot be written", async () => {
      Deno.writeTextFileSync(`${dir}/not-a-dir`, "");
      const added = await invoke(plugin, {
        env: { ...env, DENO_CNI_LOG_FILE: `${dir}/not-a-dir/x.log` },
        config,
      });
      assert.equal(added.code, 0, added.stdout);
      assert.deepEqual(added.result?.ips, [{ address: "10.1.0.5/24" }]);
      assert.match(
        added.stderr,
        /^logged ADD: warn: cannot write the log file .*not-a-dir\/x\.log: /,
      );
    });
    await t.step("definePlugin() warns about a bad DENO_CNI_LOG_LEVEL and carries on", async () => {
      const added = await invoke(plugin, { env: { ...env, DENO_CNI_LOG_LEVEL: "loud" }, config });
      assert.equal(added.code, 0);
      assert.equal(
        added.stderr,
        'logged ADD: warn: ignored: DENO_CNI_LOG_LEVEL="loud" is not a log level\n',
      );
    });
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("definePlugin() keeps console output off stdout", async (t) => {
  const plugin = definePlugin({
    name: "chatty",
    add() {
      console.log("debug print", { a: 1 });
      console.info("info");
      console.count();
      return result({ ips: [ip("10.1.0.5/24")] });
    },
  });
  await forEachVersion(t, plugin, async (cniVersion) => {
    const added = await invoke(plugin, { config: { cniVersion, name: "n", type: "chatty" } });
    assert.equal(added.code, 0);
    assert.deepEqual(added.result?.ips, [{ address: "10.1.0.5/24" }]);
    assert.equal(added.stderr, "debug print { a: 1 }\ninfo\ndefault: 1\n");
  });
});
