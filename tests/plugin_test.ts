/**
 * definePlugin (lib/plugin.ts) through the in-process harness: what a handler's context holds,
 * how configuration and prevResult errors reach the runtime, tolerated configuration errors on
 * DEL, time limits, the release of delegated ADDs, result conversion, the log record each verb
 * ends with, and the report of keys of the plugin's own that no reader read.
 */
import assert from "node:assert/strict";
import { configError } from "../lib/config_error.ts";
import type { ConfigReader } from "../lib/config_reader.ts";
import { denoHost } from "../lib/host.ts";
import { CniError } from "../lib/errors.ts";
import { ip, result, route } from "../lib/result_builders.ts";
import { definePlugin, type Plugin, type PluginContext } from "../lib/plugin.ts";
import { dispatch } from "../lib/skel.ts";
import { ALL_VERSIONS } from "../lib/version.ts";
import {
  atVersion,
  DEFAULT_TEST_ENV,
  fakeHost,
  type FakeHostOptions,
  forEachVersion,
  invoke,
  readFixture,
} from "../lib/testing.ts";
import type { JsonObject } from "../lib/_decode.ts";
import { drainFifo, within } from "./_within.ts";

const CHAINED = readFixture(new URL("testdata/authoring/chained.json", import.meta.url));

type Seen = PluginContext<{ dst: string }>;

/** A plugin whose ADD and DEL hand their context to `seen`; ADD returns the previous result. */
function spy(seen: Seen[]) {
  return definePlugin({
    name: "spy",
    config: (_raw, { read }) => ({ dst: read.cidr("dst") ?? "0.0.0.0/0" }),
    add(context) {
      seen.push(context);
      return context.prevResult ?? result({ ips: [ip("10.1.0.5/24")] });
    },
    del(context) {
      seen.push(context);
    },
  });
}

/**
 * Runs a plugin through the dispatcher on a fake host whose `run` also records each program's
 * time limit, which the recorded calls themselves do not show.
 */
async function runWithLimits(plugin: Plugin, options: FakeHostOptions) {
  const host = fakeHost(options);
  const limits: number[] = [];
  const run = host.run;
  host.run = (program, args, runOptions) => {
    limits.push(runOptions.timeoutMs);
    return run(program, args, runOptions);
  };
  const code = await dispatch(plugin, host);
  return { code, host, limits };
}

const IPAM_RESULT = '{"cniVersion":"1.0.0","ips":[{"address":"10.1.0.5/24"}]}';

Deno.test("definePlugin() fills the handler's context", async (t) => {
  await t.step("definePlugin() passes the CNI_* arguments", async () => {
    const seen: Seen[] = [];
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
    assert.equal(context.stdin, JSON.stringify(CHAINED));
    assert.equal(context.timeoutMs, 60_000);
  });
  await t.step("definePlugin() merges the standard keys and the plugin's own", async () => {
    const seen: Seen[] = [];
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
      const seen: Seen[] = [];
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
    const seen: Seen[] = [];
    await invoke(spy(seen), { config: { ...CHAINED, prevResult: undefined } });
    assert.equal(seen[0]!.prevResult, undefined);
  });
  await t.step("definePlugin() parses prevResult once, on first use", async () => {
    const seen: Seen[] = [];
    await invoke(spy(seen), { config: CHAINED });
    assert.equal(seen[0]!.prevResult, seen[0]!.prevResult);
  });
  await t.step("definePlugin() parses CNI_ARGS on demand", async () => {
    const seen: Seen[] = [];
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
    const seen: Seen[] = [];
    await invoke(spy(seen), {
      env: { MY_SETTING: "on", RAW: new Uint8Array([0x61, 0xff]) },
      config: CHAINED,
    });
    assert.equal(seen[0]!.getenv("MY_SETTING"), "on");
    assert.equal(seen[0]!.getenv("RAW"), "a\ufffd");
    assert.equal(seen[0]!.getenv("HOME"), undefined);
  });
  await t.step("definePlugin() gives the handler the host it runs on", async () => {
    const seen: Seen[] = [];
    const added = await invoke(spy(seen), { config: CHAINED });
    assert.equal(seen[0]!.host, added.host);
  });
  await t.step("definePlugin() hands delegates the invocation's variables", async () => {
    const plugin = definePlugin({
      name: "ipam-user",
      add: ({ delegate }) => delegate.add("fixed"),
    });
    const added = await invoke(plugin, {
      env: { CNI_CONTAINERID: "c9", CNI_NETNS: "/n", CNI_IFNAME: "net1", CNI_PATH: "/p" },
      config: { cniVersion: "1.0.0", name: "n", type: "ipam-user" },
      programs: { "/p/fixed": () => IPAM_RESULT },
    });
    assert.equal(added.code, 0, added.stdout);
    assert.deepEqual(added.runs.map((r) => [r.program, r.stdin]), [
      ["/p/fixed", '{"cniVersion":"1.0.0","name":"n","type":"ipam-user"}'],
    ]);
    assert.deepEqual(added.runs[0]!.env, {
      CNI_COMMAND: "ADD",
      CNI_CONTAINERID: "c9",
      CNI_NETNS: "/n",
      CNI_IFNAME: "net1",
      CNI_ARGS: "",
      CNI_PATH: "/p",
    });
  });
  await t.step("definePlugin() binds inContainer to CNI_NETNS and onHost to its own", async () => {
    const plugin = definePlugin({
      name: "ns-user",
      async add({ inContainer, onHost }) {
        await inContainer.setLinkUp("eth0");
        await onHost.setLinkUp("veth1");
        return result();
      },
    });
    const added = await invoke(plugin, {
      config: { cniVersion: "1.0.0", name: "n" },
      programs: { "/usr/sbin/ip": () => "", "/usr/bin/nsenter": () => "" },
    });
    assert.equal(added.code, 0, added.stdout);
    assert.deepEqual(added.runs.map((r) => [r.program, ...r.args]), [
      [
        "/usr/bin/nsenter",
        `--net=${DEFAULT_TEST_ENV.CNI_NETNS}`,
        "--",
        "/usr/sbin/ip",
        "link",
        "set",
        "dev",
        "eth0",
        "up",
      ],
      ["/usr/sbin/ip", "link", "set", "dev", "veth1", "up"],
    ]);
  });
  await t.step("definePlugin() refuses inContainer without CNI_NETNS with code 4", async () => {
    const plugin = definePlugin({
      name: "ns-user",
      del: ({ inContainer }) => inContainer.setLinkUp("eth0"),
    });
    const deleted = await invoke(plugin, {
      command: "DEL",
      env: { CNI_NETNS: "" },
      config: { cniVersion: "1.0.0", name: "n" },
    });
    assert.deepEqual(deleted.error, { code: 4, msg: "CNI_NETNS is not set" });
  });
});

Deno.test("definePlugin() turns bad input into the right error codes", async (t) => {
  const plugin = definePlugin({
    name: "strict",
    config(raw, { read }) {
      if ("legacy" in raw) throw configError("legacy", "is no longer supported");
      const ranges = read.sectionList("ranges") ?? [];
      return {
        mtu: read.integer("mtu", { min: 68 }),
        sysctl: read.stringMap("sysctl") ?? {},
        subnets: ranges.map((range) => range.cidr("subnet", { required: true })),
        extra: read.object("extra"),
      };
    },
    add: ({ prevResult }) => prevResult ?? result({ ips: [ip("10.1.0.5/24")] }),
    del: () => {},
  });
  const rows: { name: string; config: JsonObject | string; code: number; msg: string }[] = [
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
      name: "a number in a string map is code 7 naming the map's key",
      config: { sysctl: { "net.ipv4.ip_forward": 1 } },
      code: 7,
      msg: 'invalid network configuration: "sysctl.net.ipv4.ip_forward" must be a string, got 1',
    },
    {
      name: "a bad value in a list of sections is code 7 naming key[i].field",
      config: { ranges: [{ subnet: "10.1.0.0/24" }, {}] },
      code: 7,
      msg: 'invalid network configuration: "ranges[1].subnet" is required',
    },
    {
      name: "an object with a number out of range is code 7",
      config: '{"cniVersion":"1.0.0","name":"n","type":"strict","extra":{"n":1e999}}',
      code: 7,
      msg: 'invalid network configuration: "extra" holds a number out of range: 1e999',
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
    {
      name: "a prevResult with a null IP is code 6",
      config: { prevResult: { cniVersion: "1.0.0", ips: [null] } },
      code: 6,
      msg: "could not parse prevResult: ips[0] is null",
    },
  ];
  for (const row of rows) {
    await t.step(`definePlugin(): ${row.name}`, async () => {
      const config = typeof row.config === "string"
        ? row.config
        : { cniVersion: "1.0.0", name: "n", type: "strict", ...row.config };
      const added = await invoke(plugin, { config });
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

Deno.test("definePlugin() with tolerateConfigErrorsOnDel", async (t) => {
  let ran = 0;
  const plugin = definePlugin({
    name: "tolerant",
    tolerateConfigErrorsOnDel: true,
    config: (_raw, { read }) => ({ dst: read.cidr("dst", { required: true }) }),
    add: () => result({ ips: [ip("10.1.0.5/24")] }),
    del: () => void ran++,
  });
  const base = { cniVersion: "1.0.0", name: "n", type: "tolerant" };
  const tolerated: { name: string; config: JsonObject; warning: string }[] = [
    {
      name: "a missing own key",
      config: base,
      warning: 'invalid network configuration: "dst" is required',
    },
    {
      name: "a bad own key",
      config: { ...base, dst: "nope" },
      warning: 'invalid network configuration: "dst" must be an address with a prefix length ' +
        'such as "10.1.0.0/16", got "nope"',
    },
    {
      name: "a bad log section",
      config: { ...base, dst: "10.0.0.0/8", log: "loud" },
      warning: 'invalid network configuration: "log" must be an object such as ' +
        '{"file": "...", "level": "info"}',
    },
  ];
  for (const row of tolerated) {
    await t.step(`DEL succeeds with a warning and runs no handler for ${row.name}`, async () => {
      ran = 0;
      const deleted = await invoke(plugin, { command: "DEL", config: row.config });
      assert.equal(deleted.code, 0, deleted.stdout);
      assert.equal(deleted.stdout, "");
      assert.equal(
        deleted.stderr,
        `tolerant DEL: warn: DEL succeeds without releasing anything: ${row.warning}\n`,
      );
      assert.equal(ran, 0);
    });
    await t.step(`ADD still fails with code 7 for ${row.name}`, async () => {
      const added = await invoke(plugin, { config: row.config });
      assert.deepEqual(added.error, { code: 7, msg: row.warning });
    });
  }
  await t.step("DEL still fails with code 6 for a spec key of the wrong type", async () => {
    ran = 0;
    const deleted = await invoke(plugin, {
      command: "DEL",
      config: { ...base, ipam: [] },
    });
    assert.deepEqual(deleted.error, {
      code: 6,
      msg: "failed to parse network configuration: json: cannot unmarshal array into Go struct " +
        "field NetConf.ipam of type types.IPAM",
    });
    assert.equal(ran, 0);
  });
  await t.step("DEL runs the handler when the configuration is valid", async () => {
    ran = 0;
    const deleted = await invoke(plugin, {
      command: "DEL",
      config: { ...base, dst: "10.0.0.0/8" },
    });
    assert.deepEqual([deleted.code, deleted.stderr, ran], [0, "", 1]);
  });
  await t.step("a plugin without tolerateConfigErrorsOnDel fails DEL with code 7", async () => {
    const strict = definePlugin({
      name: "strict",
      config: (_raw, { read }) => ({ dst: read.cidr("dst", { required: true }) }),
      del: () => {},
    });
    const deleted = await invoke(strict, { command: "DEL", config: base });
    assert.deepEqual(deleted.error, {
      code: 7,
      msg: 'invalid network configuration: "dst" is required',
    });
  });
  await t.step(
    "tolerateConfigErrorsOnDel gives a plugin without del a DEL that succeeds",
    async () => {
      const noDel = definePlugin({
        name: "nodel",
        tolerateConfigErrorsOnDel: true,
        config: (_raw, { read }) => ({ dst: read.cidr("dst", { required: true }) }),
      });
      assert.equal(typeof noDel.del, "function");
      const deleted = await invoke(noDel, { command: "DEL", config: base });
      assert.equal(deleted.code, 0);
      assert.match(deleted.stderr, /^nodel DEL: warn: DEL succeeds without releasing anything: /);
    },
  );
});

Deno.test("definePlugin() time limits reach delegates and namespace programs", async (t) => {
  const plugin = (timeoutMs?: number) =>
    definePlugin({
      name: "timed",
      ...(timeoutMs === undefined ? {} : { timeoutMs }),
      async add({ delegate, inContainer }) {
        await inContainer.setLinkUp("eth0");
        return await delegate.add("slow");
      },
    });
  const env = (extra: Record<string, string> = {}) => ({
    ...DEFAULT_TEST_ENV,
    CNI_COMMAND: "ADD",
    ...extra,
  });
  const stdin = JSON.stringify({ cniVersion: "1.0.0", name: "n", type: "timed" });
  // `ip` must exist to be run through nsenter, which is the one program run.
  const programs = {
    slow: () => IPAM_RESULT,
    "/usr/bin/nsenter": () => "",
    "/usr/sbin/ip": () => "",
  };
  const rows: { name: string; timeoutMs?: number; env?: Record<string, string>; want: number }[] = [
    { name: "one minute by default", want: 60_000 },
    { name: "the timeoutMs option", timeoutMs: 1500, want: 1500 },
    { name: "DENO_CNI_TIMEOUT_MS", env: { DENO_CNI_TIMEOUT_MS: "2500" }, want: 2500 },
    {
      name: "DENO_CNI_TIMEOUT_MS over the timeoutMs option",
      timeoutMs: 1500,
      env: { DENO_CNI_TIMEOUT_MS: "2500" },
      want: 2500,
    },
  ];
  for (const row of rows) {
    await t.step(`definePlugin() uses ${row.name}`, async () => {
      const { code, host, limits } = await runWithLimits(plugin(row.timeoutMs), {
        env: env(row.env),
        stdin,
        programs,
      });
      assert.equal(code, 0, host.stdout);
      assert.deepEqual(host.runs.map((r) => r.program), ["/usr/bin/nsenter", "/opt/cni/bin/slow"]);
      assert.deepEqual(limits, [row.want, row.want]);
    });
  }
  for (const bad of ["soon", "-5", "0", "1.5"]) {
    await t.step(`definePlugin() ignores DENO_CNI_TIMEOUT_MS=${bad} with a warning`, async () => {
      const { code, host, limits } = await runWithLimits(plugin(1500), {
        env: env({ DENO_CNI_TIMEOUT_MS: bad }),
        stdin,
        programs,
      });
      assert.equal(code, 0, host.stdout);
      assert.deepEqual(limits, [1500, 1500]);
      assert.equal(
        host.stderr,
        `timed ADD: warn: ignored: DENO_CNI_TIMEOUT_MS=${
          JSON.stringify(bad)
        } is not a number of milliseconds\n`,
      );
    });
  }
  const longest = 2 ** 31 - 1;
  const over: [string, number | undefined, number][] = [
    ["2147483648", 1500, 1500],
    ["4294967296", undefined, 60_000],
    ["1e10", 1500, 1500],
  ];
  for (const [value, timeoutMs, want] of over) {
    await t.step(
      `definePlugin() refuses DENO_CNI_TIMEOUT_MS=${value}, beyond a timer, for ${want} ms`,
      async () => {
        const { code, host, limits } = await runWithLimits(plugin(timeoutMs), {
          env: env({ DENO_CNI_TIMEOUT_MS: value }),
          stdin,
          programs,
        });
        assert.equal(code, 0, host.stdout);
        assert.deepEqual(limits, [want, want]);
        assert.equal(
          host.stderr,
          `timed ADD: warn: ignored: DENO_CNI_TIMEOUT_MS="${value}" is more than the longest ` +
            `time limit, ${longest} ms; the limit is ${want} ms\n`,
        );
      },
    );
  }
  await t.step("definePlugin() takes DENO_CNI_TIMEOUT_MS=2147483647, the longest", async () => {
    const { code, host, limits } = await runWithLimits(plugin(), {
      env: env({ DENO_CNI_TIMEOUT_MS: String(longest) }),
      stdin,
      programs,
    });
    assert.equal(code, 0, host.stdout);
    assert.deepEqual(limits, [longest, longest]);
    assert.equal(host.stderr, "");
  });
  for (const bad of [2 ** 31, 2 ** 40, 0, -1, 1.5, NaN, Infinity]) {
    await t.step(`definePlugin() refuses timeoutMs ${bad}`, () => {
      assert.throws(() => plugin(bad), {
        name: "RangeError",
        message: `timeoutMs of plugin "timed" must be an integer from 1 to ${longest}, got ${bad}`,
      });
    });
  }
  await t.step("definePlugin() takes timeoutMs 2147483647, the longest", async () => {
    const { limits } = await runWithLimits(plugin(longest), { env: env(), stdin, programs });
    assert.deepEqual(limits, [longest, longest]);
  });
  await t.step("a delegate that runs out of time is named with the limit", async () => {
    const added = await invoke(plugin(), {
      env: { DENO_CNI_TIMEOUT_MS: "750" },
      config: { cniVersion: "1.0.0", name: "n", type: "timed" },
      programs: {
        "/usr/bin/nsenter": () => "",
        "/usr/sbin/ip": () => "",
        slow: () => ({ code: 137, signal: "SIGKILL", timedOut: true }),
      },
    });
    assert.deepEqual(added.error, {
      code: 0,
      msg: "netplugin failed with no error message: signal: killed (time limit of 750 ms reached)",
    });
  });
});

Deno.test("definePlugin() releases a delegated ADD when the verb fails", async (t) => {
  const plugin = (failAfter: boolean) =>
    definePlugin({
      name: "ptp-like",
      config: (_raw, { conf }) => ({ ipamType: conf.ipam?.type ?? "" }),
      async add({ conf, delegate, onFailure }) {
        const allocated = await delegate.add(conf.ipamType);
        onFailure(() => console.log("undo own step"));
        if (failAfter) throw new CniError(11, "the veth is busy");
        return allocated;
      },
    });
  const config = {
    cniVersion: "1.0.0",
    name: "n",
    type: "ptp-like",
    ipam: { type: "host-local" },
  };
  const programs = {
    "host-local": (call: { env: Record<string, string> }) =>
      call.env.CNI_COMMAND === "ADD" ? IPAM_RESULT : "",
  };
  const commands = (runs: { env: Record<string, string> }[]) => runs.map((r) => r.env.CNI_COMMAND);
  await t.step("no DEL runs when ADD succeeds", async () => {
    const added = await invoke(plugin(false), { config, programs });
    assert.equal(added.code, 0, added.stdout);
    assert.deepEqual(commands(added.runs), ["ADD"]);
  });
  await t.step("DEL runs with the same stdin when a later step throws", async () => {
    const added = await invoke(plugin(true), { config, programs });
    assert.deepEqual(added.error, { code: 11, msg: "the veth is busy" });
    assert.deepEqual(commands(added.runs), ["ADD", "DEL"]);
    assert.equal(added.runs[1]!.stdin, added.runs[0]!.stdin);
    assert.equal(added.runs[1]!.program, "/opt/cni/bin/host-local");
    assert.match(added.stderr, /^undo own step\n/, "the newest undo runs first");
  });
  for (const stdout of ["closed", "full"] as const) {
    await t.step(`DEL runs when stdout is ${stdout} and the answer is lost`, async () => {
      const added = await invoke(plugin(false), { config, programs, stdout });
      assert.equal(added.code, 1);
      assert.equal(added.stdout, "");
      assert.deepEqual(commands(added.runs), ["ADD", "DEL"]);
      assert.match(added.stderr, /cannot write the answer to stdout: /);
    });
  }
  await t.step("an ADD killed at its time limit after it reserved is released", async () => {
    const reserved = new Set<string>();
    const added = await invoke(plugin(false), {
      config,
      env: { DENO_CNI_TIMEOUT_MS: "500" },
      programs: {
        "host-local": (call) => {
          if (call.env.CNI_COMMAND === "DEL") {
            reserved.delete(call.env.CNI_CONTAINERID!);
            return "";
          }
          reserved.add(call.env.CNI_CONTAINERID!);
          return { code: 137, signal: "SIGKILL", timedOut: true };
        },
      },
    });
    assert.deepEqual(added.error, {
      code: 0,
      msg: "netplugin failed with no error message: signal: killed (time limit of 500 ms reached)",
    });
    assert.deepEqual(commands(added.runs), ["ADD", "DEL"]);
    assert.equal(added.runs[1]!.stdin, added.runs[0]!.stdin);
    assert.deepEqual([...reserved], []);
    assert.equal(added.stderr, "", "no undo of the handler's ran: it failed before any");
  });
  await t.step("a failing DEL is reported and the first error kept", async () => {
    const added = await invoke(plugin(true), {
      config,
      programs: {
        "host-local": (call) =>
          call.env.CNI_COMMAND === "ADD"
            ? IPAM_RESULT
            : { code: 1, stdout: '{"code":11,"msg":"store locked"}' },
      },
    });
    assert.deepEqual(added.error, { code: 11, msg: "the veth is busy" });
    assert.match(added.stderr, /undoing a step of the failed verb failed too: store locked\n/);
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
  await t.step("definePlugin() keeps the name and makes an about line from it", async () => {
    assert.equal(plugin.name, "bare");
    const about = await invoke(plugin, { command: "" });
    assert.equal(about.code, 0);
    assert.equal(
      about.stderr,
      `CNI bare plugin\nCNI protocol versions supported: ${ALL_VERSIONS.join(", ")}\n`,
    );
  });
  await t.step("definePlugin() takes an about line and versions", async () => {
    const custom = definePlugin({ name: "c", about: "CNI c (tests)", versions: ["1.0.0"] });
    const about = await invoke(custom, { command: "" });
    assert.equal(about.stderr, "CNI c (tests)\nCNI protocol versions supported: 1.0.0\n");
  });
  await t.step("definePlugin() lets verbs without a handler succeed silently", async () => {
    for (const command of ["ADD", "DEL", "GC", "STATUS"]) {
      const run = await invoke(plugin, { command, config: { cniVersion: "1.1.0", name: "n" } });
      assert.deepEqual([run.code, run.stdout, run.stderr], [0, "", ""], command);
    }
  });
});

Deno.test("definePlugin() ends every verb with a log record", async (t) => {
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
  const records = (text: string | undefined) =>
    (text ?? "").trimEnd().split("\n").map((line) => JSON.parse(line));
  await t.step("definePlugin() logs the outcome to DENO_CNI_LOG_FILE", async () => {
    const file = "/var/log/cni/env.log";
    const ok = await invoke(plugin, { env: { ...env, DENO_CNI_LOG_FILE: file }, config });
    const failed = await invoke(plugin, {
      env: { ...env, DENO_CNI_LOG_FILE: file },
      config: { ...config, fail: true },
    });
    assert.equal(ok.code, 0);
    assert.equal(failed.code, 1);
    assert.equal(ok.stderr + failed.stderr, "", "records at info stay off stderr");
    const [first] = records(ok.host.files.get(file));
    const [second] = records(failed.host.files.get(file));
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
    const file = "/var/log/cni/config.log";
    const added = await invoke(plugin, {
      env,
      config: { ...config, log: { file, level: "debug" } },
    });
    assert.equal(added.code, 0);
    assert.deepEqual(records(added.host.files.get(file)).map((r) => [r.level, r.msg, r.step]), [
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
    const host = fakeHost({
      env: { ...DEFAULT_TEST_ENV, ...env, CNI_COMMAND: "ADD", DENO_CNI_LOG_FILE: "/l/x.log" },
      stdin: JSON.stringify(config),
    });
    host.appendFile = () => Promise.reject(new Error("a path through a symlink is refused: /l"));
    assert.equal(await dispatch(plugin, host), 0);
    assert.deepEqual(JSON.parse(host.stdout).ips, [{ address: "10.1.0.5/24" }]);
    assert.equal(
      host.stderr,
      "logged ADD: warn: cannot write the log file /l/x.log: " +
        "a path through a symlink is refused: /l\n",
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

Deno.test("definePlugin() reports the keys of its own that no reader read", async (t) => {
  const shaper = (options: { strictKeys?: boolean; tolerateConfigErrorsOnDel?: boolean } = {}) =>
    definePlugin({
      name: "shaper",
      ...options,
      config: (_raw, { read }) => ({
        ingressRate: read.integer("ingressRate"),
        egressRate: read.integer("egressRate"),
        burst: read.section("limits")?.integer("burst"),
        extra: read.object("extra"),
        labels: read.stringMap("labels"),
        routes: read.routeList("routes"),
      }),
      add: () => result({ ips: [ip("10.1.0.5/24")] }),
      del: () => {},
    });
  const config = (keys: JsonObject) => ({
    cniVersion: "1.0.0",
    name: "n",
    type: "shaper",
    ...keys,
  });
  const warning = (text: string) => `shaper ADD: warn: ignored: unknown key ${text}\n`;
  const rows: { name: string; keys: JsonObject; stderr: string }[] = [
    {
      name: "nothing when every key was read",
      keys: { ingressRate: 1, egressRate: 2 },
      stderr: "",
    },
    {
      name: "a typo beside a key it reads, with what it may mean",
      keys: { ingressRate: 1, egresRate: 2 },
      stderr: warning('"egresRate" (did you mean "egressRate"?)'),
    },
    {
      name: "nothing for a key read in another case, as Go matches it",
      keys: { IngressRate: 1, EGRESSRATE: 2 },
      stderr: "",
    },
    {
      name: "nothing for the keys of the spec, the runtime and other plugins",
      keys: {
        cniVersions: ["1.0.0"],
        ipam: { type: "host-local", subnet: "10.1.0.0/24" },
        dns: { nameservers: ["10.1.0.1"] },
        runtimeConfig: { bandwidth: { ingressRate: 1 }, portMappings: [] },
        args: { cni: { ips: ["10.1.0.9"] } },
        capabilities: { bandwidth: true },
        log: { level: "error" },
        ipMasq: true,
        disableCheck: false,
        disableGC: false,
        prevResult: { cniVersion: "1.0.0" },
        "cni.dev/valid-attachments": [],
        "cni.dev/attachments": [],
      },
      stderr: "",
    },
    {
      name: "nothing for the keys of the spec in another case",
      keys: { CNIVERSIONS: ["1.0.0"], IPMasq: true, DisableGC: false, "CNI.DEV/Attachments": [] },
      stderr: "",
    },
    {
      name: "nothing for the keys inside what read.object and read.stringMap read",
      keys: { extra: { anything: [1] }, labels: { "app.kubernetes.io/name": "x" } },
      stderr: "",
    },
    {
      name: "the key a section's reader did not read, with its path",
      keys: { limits: { brust: 5 } },
      stderr: warning('"limits.brust" (did you mean "burst"?)'),
    },
    {
      name: "a key beside the one a section's reader read",
      keys: { limits: { burst: 5, peak: 6 } },
      stderr: warning('"limits.peak"'),
    },
    {
      name: "the key a listed route's reader did not read",
      keys: { routes: [{ dst: "10.9.0.0/16" }, { dst: "10.8.0.0/16", gateway: "10.1.0.1" }] },
      stderr: warning('"routes[1].gateway"'),
    },
    {
      name: "every unknown key, one line each, in document order",
      keys: { zeta: 1, ingressRate: 1, alpha: 2, limits: { x: 1 } },
      stderr: warning('"zeta"') + warning('"alpha"') + warning('"limits.x"'),
    },
  ];
  for (const row of rows) {
    await t.step(`definePlugin() warns about ${row.name}`, async () => {
      const added = await invoke(shaper(), { config: config(row.keys) });
      assert.equal(added.code, 0, added.stdout);
      assert.equal(added.stderr, row.stderr);
    });
  }
  await t.step("definePlugin() puts the warning in the log file too", async () => {
    const file = "/var/log/cni/shaper.log";
    const added = await invoke(shaper(), {
      env: { DENO_CNI_LOG_FILE: file },
      config: config({ egresRate: 2 }),
    });
    assert.equal(added.code, 0);
    const records = added.host.files.get(file)!.trimEnd().split("\n").map((l) => JSON.parse(l));
    assert.deepEqual(records.map((r) => [r.level, r.msg]), [
      ["warn", 'ignored: unknown key "egresRate" (did you mean "egressRate"?)'],
      ["info", "ADD ok"],
    ]);
  });
  await t.step("definePlugin() with strictKeys fails with code 7 naming the key", async () => {
    let ran = false;
    const strict = definePlugin({
      name: "shaper",
      strictKeys: true,
      config: (_raw, { read }) => ({ egressRate: read.integer("egressRate") }),
      add() {
        ran = true;
        return result({});
      },
    });
    const added = await invoke(strict, { config: config({ egresRate: 2, other: 1 }) });
    assert.deepEqual(added.error, {
      code: 7,
      msg: 'invalid network configuration: "egresRate" is not a key of shaper ' +
        '(did you mean "egressRate"?)',
    });
    assert.equal(ran, false, "the handler did not run");
    const fine = await invoke(strict, { config: config({ egressRate: 2, ipam: { type: "x" } }) });
    assert.equal(fine.code, 0, fine.stdout);
  });
  await t.step("definePlugin() with strictKeys tolerates the key on DEL when asked", async () => {
    const deleted = await invoke(shaper({ strictKeys: true, tolerateConfigErrorsOnDel: true }), {
      command: "DEL",
      config: config({ egresRate: 2 }),
    });
    assert.equal(deleted.code, 0, deleted.stdout);
    assert.match(deleted.stderr, /DEL succeeds without releasing anything: .*"egresRate"/);
  });
  await t.step("definePlugin() looks at nothing when type names another plugin", async () => {
    const added = await invoke(shaper(), {
      config: { ...config({ egresRate: 2, bridge: "cni0" }), type: "bridge" },
    });
    assert.equal(added.code, 0);
    assert.equal(added.stderr, "");
  });
  await t.step("definePlugin() as an IPAM plugin looks at its ipam section only", async () => {
    const lister = definePlugin({
      name: "lister",
      config: (_raw, { read }) => ({
        addresses: read.section("ipam", { required: true }).stringList("addresses"),
      }),
      add: () => result({}),
    });
    const added = await invoke(lister, {
      config: {
        cniVersion: "1.0.0",
        name: "n",
        type: "bridge",
        bridge: "cni0",
        isGateway: true,
        ipam: { type: "lister", addresses: ["10.1.0.5/24"], adresses: [] },
      },
    });
    assert.equal(added.code, 0, added.stdout);
    assert.equal(added.stderr, 'lister ADD: warn: ignored: unknown key "ipam.adresses"\n');
  });
  await t.step("definePlugin() without config has no keys of its own", async () => {
    const bare = definePlugin({ name: "bare", add: () => result({}) });
    const added = await invoke(bare, {
      config: { cniVersion: "1.0.0", name: "n", type: "bare", foo: 1, ipam: { type: "x" } },
    });
    assert.equal(added.stderr, 'bare ADD: warn: ignored: unknown key "foo"\n');
  });
});

Deno.test("definePlugin() reports a builder's refusal in config as code 7", async (t) => {
  const plugin = (build: (read: ConfigReader) => unknown) =>
    definePlugin({
      name: "router",
      config: (_raw, { read }) => ({ built: build(read) }),
      add: () => result({}),
    });
  const config = { cniVersion: "1.0.0", name: "n", type: "router", dst: "10.9.0.0/16" };
  await t.step("route() with a gateway of another family is code 7, not 999", async () => {
    const added = await invoke(
      plugin((read) => route(read.cidr("dst", { required: true }), { gw: "fe80::1" })),
      { config },
    );
    assert.deepEqual(added.error, {
      code: 7,
      msg: 'invalid network configuration: invalid route gateway "fe80::1": ' +
        "must be of the same IP family as 10.9.0.0/16",
    });
  });
  await t.step("read.route() names the key of the member at fault", async () => {
    const added = await invoke(plugin((read) => read.route("defaultRoute")), {
      config: { ...config, defaultRoute: { dst: "10.9.0.0/16", gw: "fe80::1" } },
    });
    assert.deepEqual(added.error, {
      code: 7,
      msg: 'invalid network configuration: "defaultRoute.gw" must be in the IP family of ' +
        '"dst" (10.9.0.0/16), got "fe80::1"',
    });
  });
});

Deno.test("definePlugin() succeeds with one warning when the log file is a FIFO", async () => {
  const dir = await Deno.makeTempDir({ prefix: "dcni-fifo-log-" });
  const fifo = `${await Deno.realPath(dir)}/plugin.log`;
  try {
    const made = await new Deno.Command("mkfifo", { args: [fifo] }).output();
    assert.ok(made.success, "mkfifo");
    const plugin = definePlugin({
      name: "logged",
      add: ({ log }) => {
        log.info("adding");
        log.info("added");
        return result({ ips: [ip("10.1.0.5/24")] });
      },
    });
    const host = fakeHost({
      env: { ...DEFAULT_TEST_ENV, CNI_COMMAND: "ADD", DENO_CNI_LOG_FILE: fifo },
      stdin: JSON.stringify({ cniVersion: "1.0.0", name: "n", type: "logged" }),
    });
    host.appendFile = denoHost().appendFile;
    const code = await within(dispatch(plugin, host), 10_000, () => drainFifo(fifo));
    assert.equal(code, 0, host.stdout);
    assert.deepEqual(JSON.parse(host.stdout).ips, [{ address: "10.1.0.5/24" }]);
    assert.equal(
      host.stderr,
      `logged ADD: warn: cannot write the log file ${fifo}: not a regular file (a FIFO): ${fifo}\n`,
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
