import assert from "node:assert/strict";
import { addNetworkList } from "../../lib/runtime/add.ts";
import { checkNetworkList } from "../../lib/runtime/check.ts";
import { findCniError, PluginError } from "../../lib/runtime/errors.ts";
import { parseNetworkConfigList } from "../../lib/runtime/network_config.ts";
import type { RuntimeConf } from "../../lib/runtime/types.ts";
import { cniEnv, withFakes } from "./_fake_plugins.ts";

const RT: RuntimeConf = { containerId: "c1", netns: "/var/run/netns/c1", ifName: "eth0" };
const RESULT = '{"cniVersion":"0.4.0","ips":[{"version":"4","address":"10.0.0.2/24"}]}';

function listOf(cniVersion: string, types: string[], extra: Record<string, unknown> = {}) {
  return parseNetworkConfigList(
    JSON.stringify({ cniVersion, name: "net", ...extra, plugins: types.map((type) => ({ type })) }),
  );
}

Deno.test("checkNetworkList() runs the plugins in order with the cached result in the list's version", async () => {
  await withFakes(async (fakes) => {
    await fakes.add("a", { ADD: { stdout: RESULT } });
    await fakes.add("b", { ADD: { stdout: RESULT } });
    await addNetworkList(listOf("0.4.0", ["a", "b"]), RT, fakes.options());
    await fakes.clearCalls();
    await checkNetworkList(listOf("1.0.0", ["a", "b"]), RT, fakes.options());
    const calls = await fakes.calls();
    assert.deepEqual(calls.map((c) => `${c.plugin}:${c.command}`), ["a:CHECK", "b:CHECK"]);
    for (const call of calls) {
      assert.deepEqual(call.config.prevResult, {
        cniVersion: "1.0.0",
        ips: [{ address: "10.0.0.2/24" }],
      });
      assert.equal(cniEnv(call).CNI_COMMAND, "CHECK");
      assert.equal(cniEnv(call).CNI_NETNS, "/var/run/netns/c1");
    }
  });
});

Deno.test("checkNetworkList() is gated on spec 0.4.0 and disableCheck", async (t) => {
  await withFakes(async (fakes) => {
    await fakes.add("a");
    for (const version of ["0.1.0", "0.2.0", "0.3.0", "0.3.1", ""]) {
      await t.step(`refused at ${JSON.stringify(version)}`, async () => {
        await assert.rejects(() => checkNetworkList(listOf(version, ["a"]), RT, fakes.options()), {
          message: `configuration version "${version}" does not support the CHECK command`,
        });
      });
    }
    await t.step("disableCheck: success, nothing runs", async () => {
      await checkNetworkList(listOf("1.0.0", ["a"], { disableCheck: true }), RT, fakes.options());
    });
    await t.step("nothing cached: no prevResult", async () => {
      await checkNetworkList(listOf("1.1.0", ["a"]), RT, fakes.options());
      const calls = await fakes.calls();
      assert.equal(calls.length, 1);
      assert.equal(calls[0]!.config.prevResult, undefined);
    });
  });
});

Deno.test("checkNetworkList() passes a plugin's failure on as it is, and stops", async () => {
  await withFakes(async (fakes) => {
    await fakes.add("a", { CHECK: { stdout: '{"code":999,"msg":"not there"}', exit: 1 } });
    await fakes.add("b");
    const error = await checkNetworkList(listOf("1.0.0", ["a", "b"]), RT, fakes.options()).catch((
      e,
    ) => e);
    assert.ok(error instanceof PluginError);
    assert.equal(error.message, "not there");
    assert.equal(error.named, 'plugin type="a" failed (check): not there');
    assert.equal(findCniError(error)?.code, 999);
    assert.deepEqual(await fakes.sequence(), ["a:CHECK"]);
  });
});

Deno.test("checkNetworkList() fails when the cached result cannot be read", async () => {
  await withFakes(async (fakes) => {
    await fakes.add("a");
    await Deno.mkdir(`${fakes.cacheDir}/results`);
    await Deno.writeTextFile(`${fakes.cacheDir}/results/net-c1-eth0`, "[1]");
    await assert.rejects(() => checkNetworkList(listOf("1.0.0", ["a"]), RT, fakes.options()), {
      message: 'failed to get network "net" cached result: decoding version from network config: ' +
        'json: cannot unmarshal array into Go value of type struct { CNIVersion string "json:\\"cniVersion\\"" }',
    });
    assert.deepEqual(await fakes.sequence(), []);
  });
});
