import assert from "node:assert/strict";
import { addNetworkList } from "../../lib/runtime/add.ts";
import { findCniError, JoinedError } from "../../lib/runtime/errors.ts";
import { gcNetworkList } from "../../lib/runtime/gc.ts";
import { parseNetworkConfigList } from "../../lib/runtime/network_config.ts";
import type { NetworkConfigList, RuntimeConf } from "../../lib/runtime/types.ts";
import { cniEnv, type FakePlugins, withFakes } from "./_fake_plugins.ts";

const RESULT = '{"ips":[{"address":"10.0.0.2/24"}]}';

function listOf(cniVersion: string, name: string, extra: Record<string, unknown> = {}) {
  return parseNetworkConfigList(
    JSON.stringify({ cniVersion, name, ...extra, plugins: [{ type: "a" }, { type: "b" }] }),
  );
}

const attachment = (containerId: string, ifName = "eth0"): RuntimeConf => ({
  containerId,
  netns: `/var/run/netns/${containerId}`,
  ifName,
});

function cached(fakes: FakePlugins): string[] {
  return [...Deno.readDirSync(`${fakes.cacheDir}/results`)].map((e) => e.name).sort();
}

/** Adds three attachments to `list` and one to another network. */
async function populate(fakes: FakePlugins, list: NetworkConfigList): Promise<void> {
  await fakes.add("a", { ADD: { stdout: RESULT } });
  await fakes.add("b", { ADD: { stdout: RESULT } });
  await addNetworkList(list, { ...attachment("c1"), args: [["K", "V"]] }, fakes.options());
  await addNetworkList(list, { ...attachment("c2"), capabilityArgs: { x: 1 } }, fakes.options());
  await addNetworkList(list, attachment("c3", "net1"), fakes.options());
  await addNetworkList({ ...list, name: "other" }, attachment("c1"), fakes.options());
  await fakes.clearCalls();
}

Deno.test("gcNetworkList() deletes stale attachments, then GCs each plugin with the valid ones", async () => {
  await withFakes(async (fakes) => {
    const list = listOf("1.1.0", "net");
    await populate(fakes, list);
    await gcNetworkList(
      list,
      { validAttachments: [{ containerId: "c2", ifName: "eth0" }] },
      fakes.options(),
    );
    const calls = await fakes.calls();
    assert.deepEqual(calls.map((c) => `${c.plugin}:${c.command}:${c.env.CNI_CONTAINERID}`), [
      "b:DEL:c1",
      "a:DEL:c1",
      "b:DEL:c3",
      "a:DEL:c3",
      "a:GC:",
      "b:GC:",
    ]);
    // A stale DEL gets what its ADD had: netns, CNI_ARGS, the cached result.
    assert.equal(calls[0]!.env.CNI_NETNS, "/var/run/netns/c1");
    assert.equal(calls[0]!.env.CNI_ARGS, "K=V");
    assert.equal(calls[2]!.env.CNI_IFNAME, "net1");
    assert.deepEqual(calls[0]!.config.prevResult, {
      cniVersion: "1.1.0",
      ips: [{ address: "10.0.0.2/24" }],
    });
    const valid = [{ containerID: "c2", ifname: "eth0" }];
    assert.equal(
      calls[4]!.stdin,
      `{"cni.dev/attachments":${JSON.stringify(valid)},"cni.dev/valid-attachments":${
        JSON.stringify(valid)
      },"cniVersion":"1.1.0","name":"net","type":"a"}`,
    );
    assert.deepEqual(cniEnv(calls[4]!), {
      CNI_COMMAND: "GC",
      CNI_CONTAINERID: "",
      CNI_NETNS: "",
      CNI_IFNAME: "",
      CNI_ARGS: "",
      CNI_PATH: fakes.bin,
    });
    assert.deepEqual(await cached(fakes), ["net-c2-eth0", "other-c1-eth0"]);
  });
});

Deno.test("gcNetworkList() without arguments deletes every cached attachment of the network", async () => {
  await withFakes(async (fakes) => {
    const list = listOf("1.1.0", "net");
    await populate(fakes, list);
    await gcNetworkList(list, undefined, fakes.options());
    const calls = await fakes.calls();
    assert.equal(calls.filter((c) => c.command === "DEL").length, 6);
    const gc = calls.filter((c) => c.command === "GC");
    assert.equal(gc.length, 2);
    assert.equal(gc[0]!.stdin, '{"cniVersion":"1.1.0","name":"net","type":"a"}');
    assert.deepEqual(await cached(fakes), ["other-c1-eth0"]);
  });
});

Deno.test("gcNetworkList() below spec 1.1.0 deletes stale attachments but calls no GC", async () => {
  await withFakes(async (fakes) => {
    const list = listOf("1.0.0", "net");
    await populate(fakes, list);
    await gcNetworkList(list, { validAttachments: [] }, fakes.options());
    assert.deepEqual([...new Set((await fakes.calls()).map((c) => c.command))], ["DEL"]);
  });
});

Deno.test("gcNetworkList() does nothing with disableGC", async () => {
  await withFakes(async (fakes) => {
    const list = listOf("1.1.0", "net", { disableGC: true });
    await populate(fakes, list);
    await gcNetworkList(list, undefined, fakes.options());
    assert.deepEqual(await fakes.sequence(), []);
    assert.equal((await cached(fakes)).length, 4);
  });
});

Deno.test("gcNetworkList() goes on after failures and reports them all", async () => {
  await withFakes(async (fakes) => {
    const list = listOf("1.1.0", "net");
    await populate(fakes, list);
    await fakes.reply("b", "DEL", { stdout: '{"code":11,"msg":"busy"}', exit: 1 });
    await fakes.reply("a", "GC", { stderr: "gc broke", exit: 2 });
    const error = await gcNetworkList(list, undefined, fakes.options()).catch((e) => e);
    assert.ok(error instanceof JoinedError);
    assert.equal(
      error.message,
      [
        'failed to delete stale attachment c1 eth0: plugin type="b" failed (delete): busy',
        'failed to delete stale attachment c2 eth0: plugin type="b" failed (delete): busy',
        'failed to delete stale attachment c3 net1: plugin type="b" failed (delete): busy',
        'failed to GC plugin a: netplugin failed: "gc broke": exit status 2',
      ].join("\n"),
    );
    assert.equal(findCniError(error)?.code, 11);
    assert.deepEqual(await fakes.sequence(), ["b:DEL", "b:DEL", "b:DEL", "a:GC", "b:GC"]);
    assert.equal((await cached(fakes)).length, 4);
  });
});

Deno.test("gcNetworkList() with no cache directory only calls GC", async () => {
  await withFakes(async (fakes) => {
    await fakes.add("a");
    await fakes.add("b");
    await gcNetworkList(listOf("1.1.0", "net"), undefined, fakes.options());
    assert.deepEqual(await fakes.sequence(), ["a:GC", "b:GC"]);
  });
});
