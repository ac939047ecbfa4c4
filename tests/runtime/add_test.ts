import assert from "node:assert/strict";
import { CniError } from "../../lib/errors.ts";
import { addNetworkList } from "../../lib/runtime/add.ts";
import { findCniError, PluginError } from "../../lib/runtime/errors.ts";
import { parseNetworkConfigList } from "../../lib/runtime/network_config.ts";
import type { RuntimeConf } from "../../lib/runtime/types.ts";
import { ALL_VERSIONS } from "../../lib/version.ts";
import { cniEnv, withFakes } from "./_fake_plugins.ts";

const RT: RuntimeConf = {
  containerId: "c1",
  netns: "/var/run/netns/c1",
  ifName: "eth0",
  args: [["IgnoreUnknown", "1"], ["K8S_POD_NAME", "p"]],
};

function listOf(cniVersion: string, plugins: Record<string, unknown>[], name = "net") {
  return parseNetworkConfigList(JSON.stringify({ cniVersion, name, plugins }));
}

const RESULT_100 =
  '{"cniVersion":"1.0.0","interfaces":[{"name":"eth0","sandbox":"/var/run/netns/c1"}],' +
  '"ips":[{"address":"10.0.0.2/24","interface":0}]}';
const RESULT_040 =
  '{"cniVersion":"0.4.0","ips":[{"version":"4","address":"10.0.0.3/24"}],"extra":"dropped"}';

Deno.test("addNetworkList() runs the chain in order, each plugin getting the previous result as returned", async () => {
  await withFakes(async (fakes) => {
    await fakes.add("first", { ADD: { stdout: RESULT_100 } });
    await fakes.add("second", { ADD: { stdout: RESULT_040 } });
    await fakes.add("third", { ADD: { stdout: "{}" } });
    const list = listOf("1.0.0", [
      { type: "first", a: 1 },
      { type: "second" },
      { type: "third", capabilities: { portMappings: true } },
    ]);
    const result = await addNetworkList(
      list,
      { ...RT, capabilityArgs: { portMappings: [{ hostPort: 80 }] } },
      fakes.options(),
    );
    // The last result, without a cniVersion, is in the list's version.
    assert.deepEqual(result, { cniVersion: "1.0.0" });
    const calls = await fakes.calls();
    assert.deepEqual(calls.map((c) => c.plugin), ["first", "second", "third"]);
    assert.equal(calls[0]!.stdin, '{"a":1,"cniVersion":"1.0.0","name":"net","type":"first"}');
    assert.equal(
      calls[1]!.stdin,
      `{"cniVersion":"1.0.0","name":"net","prevResult":${
        '{"cniVersion":"1.0.0","interfaces":[{"name":"eth0","sandbox":"/var/run/netns/c1"}],' +
        '"ips":[{"address":"10.0.0.2/24","interface":0}]}'
      },"type":"second"}`,
    );
    // No conversion: the 0.4.0 result reaches the third plugin as a 0.4.0 result.
    assert.deepEqual(calls[2]!.config.prevResult, {
      cniVersion: "0.4.0",
      ips: [{ version: "4", address: "10.0.0.3/24" }],
      dns: {},
    });
    assert.deepEqual(calls[2]!.config.runtimeConfig, { portMappings: [{ hostPort: 80 }] });
    assert.equal(calls[1]!.config.runtimeConfig, undefined);
    for (const call of calls) {
      assert.deepEqual(cniEnv(call), {
        CNI_COMMAND: "ADD",
        CNI_CONTAINERID: "c1",
        CNI_NETNS: "/var/run/netns/c1",
        CNI_IFNAME: "eth0",
        CNI_ARGS: "IgnoreUnknown=1;K8S_POD_NAME=p",
        CNI_PATH: fakes.bin,
      });
      assert.equal(call.env.PATH, Deno.env.get("PATH"));
    }
  });
});

Deno.test("addNetworkList() caches the last result with the list's bytes", async () => {
  await withFakes(async (fakes) => {
    await fakes.add("only", { ADD: { stdout: RESULT_040 } });
    const list = listOf("1.0.0", [{ type: "only" }]);
    const result = await addNetworkList(list, RT, fakes.options());
    assert.deepEqual(result, {
      cniVersion: "0.4.0",
      ips: [{ version: "4", address: "10.0.0.3/24" }],
      dns: {},
    });
    const cached = JSON.parse(await Deno.readTextFile(`${fakes.cacheDir}/results/net-c1-eth0`));
    assert.deepEqual(cached, {
      kind: "cniCacheV1",
      containerId: "c1",
      config: btoa(
        JSON.stringify({ cniVersion: "1.0.0", name: "net", plugins: [{ type: "only" }] }),
      ),
      ifName: "eth0",
      networkName: "net",
      netns: "/var/run/netns/c1",
      cniArgs: [["IgnoreUnknown", "1"], ["K8S_POD_NAME", "p"]],
      result: { cniVersion: "0.4.0", dns: {}, ips: [{ address: "10.0.0.3/24", version: "4" }] },
    });
  });
});

Deno.test("addNetworkList() caches an attachment whose cache file name is 255 bytes", async () => {
  await withFakes(async (fakes) => {
    await fakes.add("only", { ADD: { stdout: RESULT_040 } });
    const list = listOf("1.0.0", [{ type: "only" }]);
    // "net-" + the ID + "-eth0": 255 bytes, the longest name a file may have.
    const rt = { ...RT, containerId: "c".repeat(255 - "net--eth0".length) };
    await addNetworkList(list, rt, fakes.options());
    const names = [...Deno.readDirSync(`${fakes.cacheDir}/results`)].map((e) => e.name);
    assert.deepEqual(names, [`net-${rt.containerId}-eth0`]);
    assert.equal(new TextEncoder().encode(names[0]).length, 255);
  });
});

Deno.test("addNetworkList() speaks every spec version", async (t) => {
  await withFakes(async (fakes) => {
    const legacy = '{"ip4":{"ip":"10.0.0.2/24"}}';
    const modern = '{"ips":[{"address":"10.0.0.2/24"}]}';
    for (const version of ALL_VERSIONS) {
      await t.step(version, async () => {
        await fakes.clearCalls();
        const old = version === "0.1.0" || version === "0.2.0";
        await fakes.add("v", { ADD: { stdout: old ? legacy : modern } });
        const result = await addNetworkList(
          listOf(version, [{ type: "v" }, { type: "v" }]),
          RT,
          fakes.options(),
        );
        assert.equal(result.cniVersion, version);
        const [first, second] = await fakes.calls();
        assert.equal(first!.config.cniVersion, version);
        assert.equal(first!.config.prevResult, undefined);
        assert.equal((second!.config.prevResult as { cniVersion: string }).cniVersion, version);
      });
    }
  });
});

Deno.test("addNetworkList() stops at the first failure and names the plugin", async (t) => {
  await withFakes(async (fakes) => {
    await fakes.add("ok", { ADD: { stdout: RESULT_100 } });
    await fakes.add("bad", {
      ADD: { stdout: '{"code":11,"msg":"try later","details":"busy"}', exit: 1 },
    });
    await fakes.add("never");
    await t.step("with the plugin's error object as its cause", async () => {
      const list = listOf("1.0.0", [{ type: "ok" }, { type: "bad", name: "own" }, {
        type: "never",
      }]);
      const error = await addNetworkList(list, RT, fakes.options()).catch((e) => e);
      assert.ok(error instanceof PluginError);
      assert.equal(error.message, 'plugin type="bad" name="own" failed (add): try later; busy');
      assert.equal(findCniError(error)?.code, 11);
      assert.deepEqual(await fakes.sequence(), ["ok:ADD", "bad:ADD"]);
      await assert.rejects(
        () => Deno.stat(`${fakes.cacheDir}/results/net-c1-eth0`),
        Deno.errors.NotFound,
      );
    });
    await t.step("a missing plugin: nothing runs after the ones before", async () => {
      await fakes.clearCalls();
      const list = listOf("1.0.0", [{ type: "nope" }, { type: "ok" }]);
      await assert.rejects(() => addNetworkList(list, RT, fakes.options()), {
        message:
          `plugin type="nope" failed (add): failed to find plugin "nope" in path [${fakes.bin}]`,
      });
      assert.deepEqual(await fakes.sequence(), []);
    });
    await t.step("empty stdout is no result", async () => {
      await fakes.clearCalls();
      await assert.rejects(
        () => addNetworkList(listOf("1.0.0", [{ type: "never" }]), RT, fakes.options()),
        {
          message:
            'plugin type="never" failed (add): failed to unmarshal raw result: unexpected end of JSON input',
        },
      );
    });
  });
});

Deno.test("addNetworkList() checks the container ID, network name and interface name before running", async (t) => {
  const rows: [string, string, RuntimeConf, number, string][] = [
    ["no container ID", "net", { ...RT, containerId: "" }, 3, "missing containerID"],
    [
      "a bad container ID",
      "net",
      { ...RT, containerId: "-x" },
      4,
      "invalid characters in containerID; -x",
    ],
    ["a bad network name", "my net", RT, 7, "invalid characters found in network name; my net"],
    [
      "a long interface name",
      "net",
      { ...RT, ifName: "abcdefghijklmnop" },
      4,
      "interface name is too long; interface name should be less than 16 characters",
    ],
  ];
  await withFakes(async (fakes) => {
    await fakes.add("ok", { ADD: { stdout: RESULT_100 } });
    for (const [name, network, rt, code, text] of rows) {
      await t.step(name, async () => {
        const error = await addNetworkList(
          listOf("1.0.0", [{ type: "ok" }], network),
          rt,
          fakes.options(),
        )
          .catch((e) => e);
        assert.ok(error instanceof PluginError);
        assert.equal(error.message, `plugin type="ok" failed (add): ${text}`);
        const cause = findCniError(error);
        assert.ok(cause instanceof CniError);
        assert.equal(cause.code, code);
        assert.deepEqual(await fakes.sequence(), []);
      });
    }
  });
});
