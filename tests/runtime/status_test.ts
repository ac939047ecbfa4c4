import assert from "node:assert/strict";
import { findCniError, PluginError } from "../../lib/runtime/errors.ts";
import { parseNetworkConfigList } from "../../lib/runtime/network_config.ts";
import { statusNetworkList } from "../../lib/runtime/status.ts";
import { cniEnv, withFakes } from "./_fake_plugins.ts";

function listOf(cniVersion: string, types: string[]) {
  return parseNetworkConfigList(JSON.stringify({
    cniVersion,
    name: "net",
    plugins: types.map((type) => ({ type, capabilities: { x: true } })),
  }));
}

Deno.test("statusNetworkList() asks each plugin in order with empty attachment variables", async () => {
  await withFakes(async (fakes) => {
    await fakes.add("a");
    await fakes.add("b");
    await statusNetworkList(listOf("1.1.0", ["a", "b"]), fakes.options());
    const calls = await fakes.calls();
    assert.deepEqual(calls.map((c) => `${c.plugin}:${c.command}`), ["a:STATUS", "b:STATUS"]);
    assert.deepEqual(cniEnv(calls[0]!), {
      CNI_COMMAND: "STATUS",
      CNI_CONTAINERID: "",
      CNI_NETNS: "",
      CNI_IFNAME: "",
      CNI_ARGS: "",
      CNI_PATH: fakes.bin,
    });
    assert.equal(
      calls[0]!.stdin,
      '{"capabilities":{"x":true},"cniVersion":"1.1.0","name":"net","type":"a"}',
    );
  });
});

Deno.test("statusNetworkList() returns the first failure", async () => {
  await withFakes(async (fakes) => {
    await fakes.add("a", { STATUS: { stdout: '{"code":50,"msg":"no IPs left"}', exit: 1 } });
    await fakes.add("b");
    const error = await statusNetworkList(listOf("1.1.0", ["a", "b"]), fakes.options()).catch((e) =>
      e
    );
    assert.ok(error instanceof PluginError);
    assert.equal(error.message, "no IPs left");
    assert.equal(error.named, 'plugin type="a" failed (status): no IPs left');
    assert.equal(findCniError(error)?.code, 50);
    assert.deepEqual(await fakes.sequence(), ["a:STATUS"]);
  });
});

Deno.test("statusNetworkList() runs nothing below spec 1.1.0", async (t) => {
  await withFakes(async (fakes) => {
    await fakes.add("a", { STATUS: { exit: 1 } });
    for (const version of ["1.0.0", "0.4.0", "", "abc"]) {
      await t.step(JSON.stringify(version), async () => {
        await statusNetworkList(listOf(version, ["a"]), fakes.options());
        assert.deepEqual(await fakes.sequence(), []);
      });
    }
  });
});
