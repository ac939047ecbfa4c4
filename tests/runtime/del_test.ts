import assert from "node:assert/strict";
import { addNetworkList } from "../../lib/runtime/add.ts";
import { delNetworkList } from "../../lib/runtime/del.ts";
import { findCniError } from "../../lib/runtime/errors.ts";
import { parseNetworkConfigList } from "../../lib/runtime/network_config.ts";
import type { RuntimeConf } from "../../lib/runtime/types.ts";
import { cniEnv, type FakePlugins, withFakes } from "./_fake_plugins.ts";

const RT: RuntimeConf = { containerId: "c1", netns: "/var/run/netns/c1", ifName: "eth0" };
const RESULT_040 = '{"cniVersion":"0.4.0","interfaces":[{"name":"eth0"}],' +
  '"ips":[{"version":"4","interface":0,"address":"10.0.0.2/24","gateway":"10.0.0.1"}]}';

function listOf(cniVersion: string, types: string[]) {
  return parseNetworkConfigList(
    JSON.stringify({ cniVersion, name: "net", plugins: types.map((type) => ({ type })) }),
  );
}

const cachePath = (fakes: FakePlugins) => `${fakes.cacheDir}/results/net-c1-eth0`;

async function exists(path: string): Promise<boolean> {
  return await Deno.stat(path).then(() => true, () => false);
}

Deno.test("delNetworkList() runs the plugins in reverse with the cached result in the list's version", async () => {
  await withFakes(async (fakes) => {
    await fakes.add("a", { ADD: { stdout: RESULT_040 } });
    await fakes.add("b", { ADD: { stdout: RESULT_040 } });
    // ADD with a 0.4.0 list caches the 0.4.0 result; the list is 1.0.0 at DEL time.
    await addNetworkList(listOf("0.4.0", ["a", "b"]), RT, fakes.options());
    await fakes.clearCalls();
    await delNetworkList(listOf("1.0.0", ["a", "b"]), RT, fakes.options());
    const calls = await fakes.calls();
    assert.deepEqual(calls.map((c) => `${c.plugin}:${c.command}`), ["b:DEL", "a:DEL"]);
    for (const call of calls) {
      assert.deepEqual(call.config.prevResult, {
        cniVersion: "1.0.0",
        interfaces: [{ name: "eth0" }],
        ips: [{ address: "10.0.0.2/24", gateway: "10.0.0.1", interface: 0 }],
      });
      assert.deepEqual(cniEnv(call), {
        CNI_COMMAND: "DEL",
        CNI_CONTAINERID: "c1",
        CNI_NETNS: "/var/run/netns/c1",
        CNI_IFNAME: "eth0",
        CNI_ARGS: "",
        CNI_PATH: fakes.bin,
      });
    }
    assert.equal(await exists(cachePath(fakes)), false);
  });
});

Deno.test("delNetworkList() sends no prevResult below spec 0.4.0, and still removes the cache", async () => {
  await withFakes(async (fakes) => {
    await fakes.add("a", { ADD: { stdout: '{"ips":[{"version":"4","address":"10.0.0.2/24"}]}' } });
    const list = listOf("0.3.1", ["a"]);
    await addNetworkList(list, RT, fakes.options());
    await fakes.clearCalls();
    await delNetworkList(list, RT, fakes.options());
    const [call] = await fakes.calls();
    assert.equal(call!.config.prevResult, undefined);
    assert.equal(await exists(cachePath(fakes)), false);
  });
});

Deno.test("delNetworkList() without a cache entry runs the plugins without prevResult", async () => {
  await withFakes(async (fakes) => {
    await fakes.add("a");
    await delNetworkList(listOf("1.0.0", ["a"]), RT, fakes.options());
    const [call] = await fakes.calls();
    assert.equal(call!.stdin, '{"cniVersion":"1.0.0","name":"net","type":"a"}');
  });
});

Deno.test("delNetworkList() drops a cache entry it cannot read and goes on", async () => {
  await withFakes(async (fakes) => {
    await fakes.add("a");
    await Deno.mkdir(`${fakes.cacheDir}/results`);
    await Deno.writeTextFile(
      cachePath(fakes),
      '{"kind":"cniCacheV1","result":{"cniVersion":"1.0.0","ips":[{"address":"bogus"}]}}',
    );
    await delNetworkList(listOf("1.0.0", ["a"]), RT, fakes.options());
    const [call] = await fakes.calls();
    assert.equal(call!.config.prevResult, undefined);
    assert.equal(await exists(cachePath(fakes)), false);
  });
});

Deno.test("delNetworkList() reads a legacy bare-result cache file", async () => {
  await withFakes(async (fakes) => {
    await fakes.add("a");
    await Deno.mkdir(`${fakes.cacheDir}/results`);
    await Deno.writeTextFile(
      cachePath(fakes),
      '{"cniVersion":"0.3.0","ips":[{"version":"4","address":"10.0.0.9/8"}]}',
    );
    await delNetworkList(listOf("0.4.0", ["a"]), RT, fakes.options());
    const [call] = await fakes.calls();
    assert.deepEqual(call!.config.prevResult, {
      cniVersion: "0.4.0",
      ips: [{ version: "4", address: "10.0.0.9/8" }],
      dns: {},
    });
  });
});

Deno.test("delNetworkList() reads what Go's libcni cached", async () => {
  await withFakes(async (fakes) => {
    await fakes.add("fake");
    const source = new URL("./testdata/libcni_1.1.2_cache/", import.meta.url).pathname;
    const list = parseNetworkConfigList(await Deno.readFile(`${source}gonet.conflist`));
    await Deno.mkdir(`${fakes.cacheDir}/results`);
    await Deno.copyFile(
      `${source}results/gonet-go-container-net1`,
      `${fakes.cacheDir}/results/gonet-go-container-net1`,
    );
    const rt = { containerId: "go-container", netns: "/var/run/netns/x", ifName: "net1" };
    await delNetworkList(list, rt, fakes.options());
    const [call] = await fakes.calls();
    assert.equal((call!.config.prevResult as { cniVersion: string }).cniVersion, "0.4.0");
    assert.deepEqual(call!.config.note, "<&>");
    assert.deepEqual([...Deno.readDirSync(`${fakes.cacheDir}/results`)], []);
  });
});

Deno.test("delNetworkList() stops at the first failure and keeps the cache entry", async () => {
  await withFakes(async (fakes) => {
    await fakes.add("a", { ADD: { stdout: RESULT_040 } });
    await fakes.add("b", {
      ADD: { stdout: RESULT_040 },
      DEL: { stdout: '{"code":3,"msg":"gone"}', exit: 1 },
    });
    const list = listOf("1.0.0", ["a", "b"]);
    await addNetworkList(list, RT, fakes.options());
    await fakes.clearCalls();
    const error = await delNetworkList(list, RT, fakes.options()).catch((e) => e);
    assert.equal(error.message, 'plugin type="b" failed (delete): gone');
    assert.equal(findCniError(error)?.code, 3);
    assert.deepEqual(await fakes.sequence(), ["b:DEL"]);
    assert.equal(await exists(cachePath(fakes)), true);
  });
});

Deno.test("delNetworkList() refuses a version that does not parse, as a plain error", async () => {
  await withFakes(async (fakes) => {
    await fakes.add("a");
    const error = await delNetworkList(listOf("abc", ["a"]), RT, fakes.options()).catch((e) => e);
    assert.equal(
      error.message,
      'failed to convert major version part "abc": strconv.Atoi: parsing "abc": invalid syntax',
    );
    assert.equal(findCniError(error), undefined);
    assert.deepEqual(await fakes.sequence(), []);
  });
});

Deno.test("delNetworkList() keeps out of paths outside the cache", async () => {
  await withFakes(async (fakes) => {
    await fakes.add("a");
    const outside = `${fakes.root}/net-c1-x`;
    await Deno.writeTextFile(outside, "keep");
    await delNetworkList(
      listOf("1.0.0", ["a"]),
      { ...RT, ifName: "../../net-c1-x" },
      fakes.options(),
    );
    assert.equal(await Deno.readTextFile(outside), "keep");
    assert.deepEqual(await fakes.sequence(), ["a:DEL"]);
  });
});
