/**
 * Tests of static-list, in-process with the harness of `@deno-cni/deno-cni/testing`: no root,
 * no build, one step per spec version for what varies with it.
 */
import assert from "node:assert/strict";
import { versionHasCheck } from "@deno-cni/deno-cni";
import { atVersion, forEachVersion, invoke } from "@deno-cni/deno-cni/testing";
import { staticList } from "./static_list.ts";

/** An interface plugin's configuration whose `ipam` section is static-list's. */
const CONFIG = {
  cniVersion: "1.0.0",
  name: "static",
  type: "ptp",
  ipam: {
    type: "static-list",
    addresses: [
      { address: "10.5.0.7/24", gateway: "10.5.0.1" },
      { address: "2001:DB8::7/64", gateway: "2001:db8::1" },
    ],
    routes: [{ dst: "0.0.0.0/0" }, { dst: "2001:db8:1::/48", gw: "2001:db8::1" }],
  },
};

/** CONFIG with other `ipam` keys. */
function withIpam(ipam: Record<string, unknown>) {
  return { ...CONFIG, ipam: { ...CONFIG.ipam, ...ipam } };
}

Deno.test("ADD returns the listed addresses and routes, and no interface", async (t) => {
  await forEachVersion(t, staticList, async (cniVersion) => {
    const added = await invoke(staticList, { config: atVersion(CONFIG, cniVersion) });
    assert.equal(added.code, 0, added.stdout);
    assert.deepEqual(added.result, {
      cniVersion: "1.1.0",
      ips: [
        { address: "10.5.0.7/24", gateway: "10.5.0.1" },
        { address: "2001:db8::7/64", gateway: "2001:db8::1" },
      ],
      routes: [{ dst: "0.0.0.0/0" }, { dst: "2001:db8:1::/48", gw: "2001:db8::1" }],
    });
    assert.equal((added.json as { cniVersion: string }).cniVersion, cniVersion);
    assert.deepEqual(added.runs, []);
  });
});

Deno.test("ADD without routes returns addresses only", async () => {
  const added = await invoke(staticList, { config: withIpam({ routes: undefined }) });
  assert.equal(added.code, 0, added.stdout);
  assert.equal(added.result?.routes, undefined);
  assert.equal(added.result?.ips?.length, 2);
});

Deno.test("ADD refuses a bad list with code 7, naming the entry", async (t) => {
  const rows = [
    {
      name: "a bad second address",
      ipam: { addresses: [{ address: "10.5.0.7/24" }, { address: "10.5.0.300/24" }] },
      msg: 'invalid network configuration: "ipam.addresses[1].address" must be an address ' +
        'with a prefix length such as "10.1.0.0/16", got "10.5.0.300/24"',
    },
    {
      name: "an entry without address",
      ipam: { addresses: [{ address: "10.5.0.7/24" }, { gateway: "10.5.0.1" }] },
      msg: 'invalid network configuration: "ipam.addresses[1].address" is required',
    },
    {
      name: "a gateway of the other family",
      ipam: { addresses: [{ address: "10.5.0.7/24", gateway: "2001:db8::1" }] },
      msg: 'invalid network configuration: "ipam.addresses[0].gateway" must be in the IP ' +
        'family of "10.5.0.7/24", got "2001:db8::1"',
    },
    {
      name: "an entry that is no object",
      ipam: { addresses: ["10.5.0.7/24"] },
      msg:
        'invalid network configuration: "ipam.addresses[0]" must be an object, got "10.5.0.7/24"',
    },
    {
      name: "addresses that are no list",
      ipam: { addresses: "10.5.0.7/24" },
      msg: 'invalid network configuration: "ipam.addresses" must be a list of objects, ' +
        'got "10.5.0.7/24"',
    },
    {
      name: "an empty list",
      ipam: { addresses: [] },
      msg: 'invalid network configuration: "ipam.addresses" must list an address',
    },
    {
      name: "no addresses",
      ipam: { addresses: undefined },
      msg: 'invalid network configuration: "ipam.addresses" is required',
    },
    {
      name: "a bad route",
      ipam: { routes: [{ dst: "default" }] },
      msg: 'invalid network configuration: "ipam.routes[0].dst" must be an address with a ' +
        'prefix length such as "10.1.0.0/16", got "default"',
    },
  ];
  for (const row of rows) {
    await t.step(row.name, async () => {
      const added = await invoke(staticList, { config: withIpam(row.ipam) });
      assert.deepEqual(added.error, { code: 7, msg: row.msg });
    });
  }
  await t.step("no ipam section", async () => {
    const added = await invoke(staticList, { config: { ...CONFIG, ipam: undefined } });
    assert.deepEqual(added.error, {
      code: 7,
      msg: 'invalid network configuration: "ipam" is required',
    });
  });
});

Deno.test("CHECK and DEL succeed and run nothing; DEL also with a bad list", async (t) => {
  await forEachVersion(t, staticList, async (cniVersion) => {
    const config = atVersion(CONFIG, cniVersion);
    const verbs = versionHasCheck(cniVersion) ? ["CHECK", "DEL"] : ["DEL"];
    for (const command of verbs) {
      const done = await invoke(staticList, { command, config });
      assert.deepEqual([done.code, done.stdout, done.runs], [0, "", []], command);
    }
    const bad = await invoke(staticList, {
      command: "DEL",
      config: { ...config, ipam: { ...config.ipam as object, addresses: [] } },
    });
    assert.deepEqual([bad.code, bad.stdout], [0, ""]);
    assert.match(bad.stderr, /"ipam.addresses" must list an address/);
  });
});
