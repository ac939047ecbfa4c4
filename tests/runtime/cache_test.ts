import assert from "node:assert/strict";
import { decodeResult } from "../../lib/result.ts";
import {
  CACHE_KIND,
  cacheFilePath,
  decodeCacheEntry,
  deleteCachedResult,
  encodeCacheEntry,
  listCachedAttachments,
  readCachedAttachment,
  readCachedResult,
  writeCachedResult,
} from "../../lib/runtime/cache.ts";
import type { RuntimeConf } from "../../lib/runtime/types.ts";
import { rawName, writeRawName } from "./_raw_names.ts";

const testdata = (name: string) => new URL(`./testdata/${name}`, import.meta.url);

/**
 * What tests/cnitool (Go, libcni 1.1.2) wrote after an ADD of testdata/libcni_1.1.2_cache/
 * gonet.conflist with this attachment, a plugin returning GO_RESULT and CNI_ARGS set. The file has
 * no extension, so formatters leave its bytes alone.
 */
const GO_ENTRY = await Deno.readTextFile(
  testdata("libcni_1.1.2_cache/results/gonet-go-container-net1"),
);
const GO_LIST_BYTES = await Deno.readFile(testdata("libcni_1.1.2_cache/gonet.conflist"));
const GO_RT: RuntimeConf = {
  containerId: "go-container",
  netns: "/var/run/netns/x",
  ifName: "net1",
  args: [["IgnoreUnknown", "1"], ["K8S_POD_NAME", "pod"]],
};
const GO_RESULT = {
  cniVersion: "0.4.0",
  interfaces: [{ name: "eth0", mac: "0a:58:0a:16:00:02", sandbox: "/var/run/netns/x" }],
  ips: [{ version: "4", interface: 0, address: "10.22.0.2/16", gateway: "10.22.0.1" }],
  routes: [{ dst: "0.0.0.0/0" }],
  dns: { nameservers: ["10.22.0.1"] },
};

async function withCache(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "dcni-cache-" });
  try {
    await fn(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("cacheFilePath() is libcni's <cacheDir>/results/<network>-<containerID>-<ifname>", () => {
  assert.equal(
    cacheFilePath("/var/lib/cni", "net", { containerId: "c1", ifName: "eth0" }),
    "/var/lib/cni/results/net-c1-eth0",
  );
  assert.throws(() => cacheFilePath("/d", "net", { containerId: "", ifName: "eth0" }), {
    message:
      'cache file path requires network name ("net"), container ID (""), and interface name ("eth0")',
  });
  assert.throws(() => cacheFilePath("/d", "../../etc/x", { containerId: "c", ifName: "eth0" }), {
    message: 'cache file path parts may not contain "/": network name ("../../etc/x"), ' +
      'container ID ("c"), interface name ("eth0")',
  });
});

Deno.test("writeCachedResult() writes what libcni writes, byte for byte, plus the netns", async () => {
  await withCache(async (dir) => {
    const result = decodeResult("0.4.0", GO_RESULT);
    await writeCachedResult(dir, { name: "gonet", bytes: GO_LIST_BYTES }, GO_RT, result);
    const path = `${dir}/results/gonet-go-container-net1`;
    const text = await Deno.readTextFile(path);
    assert.equal(text.replace(',"netns":"/var/run/netns/x"', ""), GO_ENTRY);
    assert.ok(text.includes(',"networkName":"gonet","netns":"/var/run/netns/x","cniArgs":'));
    assert.equal((await Deno.stat(path)).mode! & 0o777, 0o600);
    assert.equal((await Deno.stat(`${dir}/results`)).mode! & 0o777, 0o700);
    assert.deepEqual([...Deno.readDirSync(`${dir}/results`)].map((e) => e.name), [
      "gonet-go-container-net1",
    ]);
  });
});

Deno.test("encodeCacheEntry() leaves out what Go leaves out", () => {
  const text = encodeCacheEntry({
    containerId: "c",
    ifName: "i",
    networkName: "n",
    netns: "",
    config: new TextEncoder().encode("{}"),
    cniArgs: [],
    capabilityArgs: {},
  });
  assert.equal(
    text,
    '{"kind":"cniCacheV1","containerId":"c","config":"e30=","ifName":"i","networkName":"n"}',
  );
  const withCaps = encodeCacheEntry({
    containerId: "c",
    ifName: "i",
    networkName: "n",
    netns: "/x",
    config: new Uint8Array(),
    capabilityArgs: { z: 1, a: { y: 2, b: 3 } },
    result: { cniVersion: "1.0.0" },
  });
  assert.equal(
    withCaps,
    '{"kind":"cniCacheV1","containerId":"c","config":"","ifName":"i","networkName":"n","netns":"/x",' +
      '"capabilityArgs":{"a":{"b":3,"y":2},"z":1},"result":{"cniVersion":"1.0.0"}}',
  );
});

Deno.test("readCachedResult() reads libcni's entry and converts it to the list's version", async (t) => {
  await withCache(async (dir) => {
    await Deno.mkdir(`${dir}/results`);
    await Deno.writeTextFile(`${dir}/results/gonet-go-container-net1`, GO_ENTRY);
    await t.step("in its own version", async () => {
      const result = await readCachedResult(dir, { name: "gonet", cniVersion: "0.4.0" }, GO_RT);
      assert.deepEqual(result, GO_RESULT);
    });
    await t.step("converted to 1.0.0", async () => {
      const result = await readCachedResult(dir, { name: "gonet", cniVersion: "1.0.0" }, GO_RT);
      assert.deepEqual(result, {
        cniVersion: "1.0.0",
        interfaces: [{ name: "eth0", mac: "0a:58:0a:16:00:02", sandbox: "/var/run/netns/x" }],
        ips: [{ interface: 0, address: "10.22.0.2/16", gateway: "10.22.0.1" }],
        routes: [{ dst: "0.0.0.0/0" }],
        dns: { nameservers: ["10.22.0.1"] },
      });
    });
    await t.step("no file: no result", async () => {
      const result = await readCachedResult(dir, { name: "other", cniVersion: "1.0.0" }, GO_RT);
      assert.equal(result, undefined);
    });
    await t.step("a FIFO in the entry's place: no result, at once", async () => {
      const fifo = `${dir}/results/fifo-go-container-net1`;
      const made = await new Deno.Command("mkfifo", { args: [fifo] }).output();
      assert.ok(made.success, "mkfifo");
      const result = await readCachedResult(dir, { name: "fifo", cniVersion: "1.0.0" }, GO_RT);
      assert.equal(result, undefined);
      await Deno.remove(fifo);
    });
    await t.step("a version it cannot convert to", async () => {
      await assert.rejects(
        () => readCachedResult(dir, { name: "gonet", cniVersion: "0.5.0" }, GO_RT),
        {
          message:
            'failed to convert cached result to config version "0.5.0": no converter for CNI result version 0.4.0 to 0.5.0',
        },
      );
    });
  });
});

Deno.test("readCachedResult() reads a legacy file that holds only the result", async (t) => {
  await withCache(async (dir) => {
    await Deno.mkdir(`${dir}/results`);
    const path = `${dir}/results/old-c1-eth0`;
    const rt = { containerId: "c1", netns: "", ifName: "eth0" };
    await t.step("a bare 0.3.1 result", async () => {
      await Deno.writeTextFile(
        path,
        '{"cniVersion":"0.3.1","ips":[{"version":"4","address":"10.1.0.5/16"}],"dns":{}}',
      );
      assert.deepEqual(await readCachedResult(dir, { name: "old", cniVersion: "1.0.0" }, rt), {
        cniVersion: "1.0.0",
        ips: [{ address: "10.1.0.5/16" }],
      });
    });
    await t.step("a bare result without version is 0.1.0", async () => {
      await Deno.writeTextFile(path, '{"ip4":{"ip":"10.1.0.5/16"}}');
      assert.deepEqual(await readCachedResult(dir, { name: "old", cniVersion: "0.2.0" }, rt), {
        cniVersion: "0.2.0",
        ip4: { ip: "10.1.0.5/16" },
        dns: {},
      });
    });
    await t.step("a file that is no result at all", async () => {
      await Deno.writeTextFile(path, "garbage");
      await assert.rejects(() => readCachedResult(dir, { name: "old", cniVersion: "1.0.0" }, rt), {
        message:
          "decoding version from network config: invalid character 'g' looking for beginning of value",
      });
    });
    await t.step("a cniCacheV1 entry whose result does not decode", async () => {
      await Deno.writeTextFile(
        path,
        '{"kind":"cniCacheV1","result":{"cniVersion":"1.0.0","ips":[{"address":"bogus"}]}}',
      );
      await assert.rejects(
        () => readCachedResult(dir, { name: "old", cniVersion: "1.0.0" }, rt),
        { message: "invalid CIDR address: bogus" },
      );
    });
  });
});

Deno.test("readCachedAttachment() returns the whole entry, or says why it cannot", async (t) => {
  await withCache(async (dir) => {
    await Deno.mkdir(`${dir}/results`);
    await Deno.writeTextFile(`${dir}/results/gonet-go-container-net1`, GO_ENTRY);
    await t.step("libcni's entry", async () => {
      const entry = await readCachedAttachment(dir, "gonet", GO_RT);
      assert.ok(entry);
      assert.deepEqual(entry.config, GO_LIST_BYTES);
      assert.deepEqual(entry.cniArgs, GO_RT.args);
      assert.equal(entry.netns, "");
      assert.equal(entry.networkName, "gonet");
      assert.equal(entry.result?.cniVersion, "0.4.0");
    });
    await t.step("a legacy file", async () => {
      await Deno.writeTextFile(`${dir}/results/old-c1-eth0`, '{"cniVersion":"0.3.1"}');
      await assert.rejects(
        () => readCachedAttachment(dir, "old", { containerId: "c1", ifName: "eth0" }),
        {
          message: 'read cached network "old" config has wrong kind: ',
        },
      );
    });
    await t.step("a file that does not decode", async () => {
      await Deno.writeTextFile(`${dir}/results/bad-c1-eth0`, '{"kind":5}');
      await assert.rejects(
        () => readCachedAttachment(dir, "bad", { containerId: "c1", ifName: "eth0" }),
        {
          message: 'failed to unmarshal cached network "bad" config: ' +
            "json: cannot unmarshal number into Go struct field cachedInfo.kind of type string",
        },
      );
    });
    await t.step("no file", async () => {
      assert.equal(await readCachedAttachment(dir, "none", GO_RT), undefined);
    });
  });
});

Deno.test("decodeCacheEntry() reads members ignoring case and checks their types", () => {
  const entry = decodeCacheEntry(
    '{"KIND":"cniCacheV1","ContainerID":"c","config":"YQ==","cniargs":[["a"]]}',
  );
  assert.ok(!("error" in entry));
  assert.equal(entry.kind, CACHE_KIND);
  assert.equal(entry.containerId, "c");
  assert.deepEqual(entry.config, new Uint8Array([0x61]));
  assert.deepEqual(entry.cniArgs, [["a", ""]]);
  assert.deepEqual(decodeCacheEntry('{"config":"YQ"}'), { error: "illegal base64 data in config" });
  assert.deepEqual(decodeCacheEntry("[]"), {
    error: "json: cannot unmarshal array into Go value of type libcni.cachedInfo",
  });
  assert.deepEqual(decodeCacheEntry('{"kind":"cniCacheV1","RESULT":{"ips":[{"mtu":1e400}]}}'), {
    error:
      "json: cannot unmarshal number 1e400 into Go struct field cachedInfo.result of type float64",
  });
  assert.deepEqual(decodeCacheEntry('{"capabilityargs":{"a":-1e999}}'), {
    error:
      "json: cannot unmarshal number -1e999 into Go struct field cachedInfo.capabilityArgs of type float64",
  });
  assert.deepEqual(decodeCacheEntry('{"result":5}'), {
    error:
      "json: cannot unmarshal number into Go struct field cachedInfo.result of type map[string]interface {}",
  });
});

Deno.test("listCachedAttachments() lists usable entries in file name order", async () => {
  await withCache(async (dir) => {
    assert.deepEqual(await listCachedAttachments(dir), []);
    await Deno.mkdir(`${dir}/results`);
    const entry = (network: string, containerId: string, ifName: string) =>
      encodeCacheEntry({
        containerId,
        ifName,
        networkName: network,
        netns: "/n",
        config: new Uint8Array(),
      });
    await Deno.writeTextFile(`${dir}/results/b-c2-eth0`, entry("b", "c2", "eth0"));
    await Deno.writeTextFile(`${dir}/results/a-c1-eth0`, entry("a", "c1", "eth0"));
    await Deno.writeTextFile(`${dir}/results/a-c1-eth1`, entry("a", "c1", "eth1"));
    await Deno.writeTextFile(`${dir}/results/legacy-c1-eth0`, '{"cniVersion":"0.4.0"}');
    await Deno.writeTextFile(`${dir}/results/noif-c1-x`, entry("noif", "c1", ""));
    await Deno.writeTextFile(`${dir}/results/junk`, "junk");
    const all = await listCachedAttachments(dir);
    assert.deepEqual(all.map((a) => `${a.networkName}/${a.containerId}/${a.ifName}`), [
      "a/c1/eth0",
      "a/c1/eth1",
      "b/c2/eth0",
    ]);
    const c2 = await listCachedAttachments(dir, "c2");
    assert.deepEqual(c2.map((a) => a.networkName), ["b"]);
  });
});

Deno.test("deleteCachedResult() removes the entry; a missing one is fine", async () => {
  await withCache(async (dir) => {
    const key = { containerId: "c1", ifName: "eth0" };
    const result = decodeResult("1.0.0", { cniVersion: "1.0.0" });
    await writeCachedResult(
      dir,
      { name: "n", bytes: new Uint8Array() },
      { ...key, netns: "" },
      result,
    );
    await deleteCachedResult(dir, "n", key);
    assert.deepEqual([...Deno.readDirSync(`${dir}/results`)], []);
    await deleteCachedResult(dir, "n", key);
    await deleteCachedResult(dir, "n", { containerId: "", ifName: "" });
  });
});

Deno.test("listCachedAttachments() leaves out names that are not UTF-8 and files being written", async () => {
  await withCache(async (dir) => {
    await Deno.mkdir(`${dir}/results`);
    const entry = (network: string, containerId: string) =>
      encodeCacheEntry({
        containerId,
        ifName: "eth0",
        networkName: network,
        netns: "/n",
        config: new Uint8Array(),
      });
    await Deno.writeTextFile(`${dir}/results/a-c1-eth0`, entry("a", "c1"));
    // Its name reads as the next one's: it must not make that entry count twice.
    await writeRawName(`${dir}/results`, rawName("b\xff-c2-eth0"), entry("z", "c9"));
    await Deno.writeTextFile(`${dir}/results/b\ufffd-c2-eth0`, entry("b", "c2"));
    await writeRawName(`${dir}/results`, rawName("\xff-c3-eth0"), entry("y", "c3"));
    await Deno.writeTextFile(`${dir}/results/.tmp-0123456789abcdef`, entry("t", "c4"));
    const all = await listCachedAttachments(dir);
    assert.deepEqual(all.map((a) => `${a.networkName}/${a.containerId}`), ["a/c1", "b/c2"]);
  });
});

Deno.test("writeCachedResult() writes a cache file whose name is 255 bytes, the most a name holds", async () => {
  await withCache(async (dir) => {
    const containerId = "c".repeat(255 - "n--eth0".length);
    const rt = { containerId, netns: "/n", ifName: "eth0" };
    const result = decodeResult("1.0.0", { cniVersion: "1.0.0" });
    await writeCachedResult(dir, { name: "n", bytes: new Uint8Array() }, rt, result);
    const names = [...Deno.readDirSync(`${dir}/results`)].map((e) => e.name);
    assert.deepEqual(names, [`n-${containerId}-eth0`]);
    assert.equal(names[0]!.length, 255);
    assert.equal((await readCachedAttachment(dir, "n", rt))?.containerId, containerId);
  });
});
