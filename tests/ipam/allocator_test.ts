import assert from "node:assert/strict";
import { parseCidr, parseIp } from "../../lib/ip_math.ts";
import { allocate, allocateAll } from "../../lib/ipam/allocator.ts";
import { makeRangeSet, type RangeSet } from "../../lib/ipam/range.ts";
import { LeaseStore } from "../../lib/ipam/store.ts";

const ip = (text: string) => parseIp(text)!;
const set = (...subnets: string[]): RangeSet =>
  makeRangeSet(subnets.map((subnet) => ({ subnet: parseCidr(subnet) })));

async function withStore(fn: (store: LeaseStore, dir: string) => Promise<void>): Promise<void> {
  const dataDir = await Deno.makeTempDir({ prefix: "dcni-allocator-test-" });
  const store = await LeaseStore.open("net1", { dataDir });
  try {
    await store.lock();
    await fn(store, `${dataDir}/net1`);
  } finally {
    store.close();
    await Deno.remove(dataDir, { recursive: true });
  }
}

async function names(dir: string): Promise<string[]> {
  return (await Array.fromAsync(Deno.readDir(dir))).map((e) => e.name).sort();
}

Deno.test("allocate()", async (t) => {
  await t.step("hands out addresses in order, then fails as the reference", async () => {
    await withStore(async (store) => {
      const s = set("10.1.0.0/29");
      const got = [];
      for (let i = 0; i < 5; i++) got.push((await allocate(store, s, 0, `c${i}`, "eth0")).address);
      assert.deepEqual(got, [
        "10.1.0.2/29",
        "10.1.0.3/29",
        "10.1.0.4/29",
        "10.1.0.5/29",
        "10.1.0.6/29",
      ]);
      await assert.rejects(() => allocate(store, s, 0, "c9", "eth0"), {
        message: "no IP addresses available in range set: 10.1.0.1-10.1.0.6",
      });
    });
  });
  await t.step("goes on after the address reserved last, not into a gap", async () => {
    await withStore(async (store) => {
      const s = set("10.1.0.0/29");
      await allocate(store, s, 0, "c1", "eth0");
      await allocate(store, s, 0, "c2", "eth0");
      await store.release("10.1.0.2");
      assert.equal((await allocate(store, s, 0, "c3", "eth0")).address, "10.1.0.4/29");
    });
  });
  await t.step("keeps one address per attachment and set", async () => {
    await withStore(async (store) => {
      const s = set("10.1.0.0/29");
      await allocate(store, s, 0, "c1", "eth0");
      await assert.rejects(() => allocate(store, s, 0, "c1", "eth0"), {
        message: "10.1.0.2 has been allocated to c1, duplicate allocation is not allowed",
      });
      assert.equal((await allocate(store, s, 0, "c1", "eth1")).address, "10.1.0.3/29");
      // Another set of the same network is another address.
      assert.equal(
        (await allocate(store, set("fd00::/126"), 1, "c1", "eth0")).address,
        "fd00::2/126",
      );
    });
  });
  await t.step("counts an older version's lease of the container as a duplicate", async () => {
    await withStore(async (store, dir) => {
      await Deno.writeTextFile(`${dir}/10.1.0.5`, "c1");
      await assert.rejects(() => allocate(store, set("10.1.0.0/29"), 0, "c1", "eth3"), {
        message: "10.1.0.5 has been allocated to c1, duplicate allocation is not allowed",
      });
    });
  });
  const requested: [string, string, string][] = [
    ["the gateway", "10.1.0.1", "requested ip 10.1.0.1 is subnet's gateway"],
    [
      "a taken address",
      "10.1.0.2",
      "requested IP address 10.1.0.2 is not available in range set 10.1.0.1-10.1.0.6",
    ],
    ["an address of no range", "10.2.0.1", "10.2.0.1 not in range set 10.1.0.1-10.1.0.6"],
  ];
  for (const [name, address, message] of requested) {
    await t.step(`refuses ${name} when asked for it`, async () => {
      await withStore(async (store) => {
        await allocate(store, set("10.1.0.0/29"), 0, "c0", "eth0");
        await assert.rejects(
          () => allocate(store, set("10.1.0.0/29"), 0, "c1", "eth0", ip(address)),
          { message },
        );
      });
    });
  }
  await t.step("leases an address asked for and records it as the last", async () => {
    await withStore(async (store, dir) => {
      const got = await allocate(store, set("10.1.0.0/29"), 0, "c1", "eth0", ip("10.1.0.5"));
      assert.equal(got.address, "10.1.0.5/29");
      assert.equal(got.gateway, "10.1.0.1");
      assert.equal(await Deno.readTextFile(`${dir}/last_reserved_ip.0`), "10.1.0.5");
      assert.equal(
        (await allocate(store, set("10.1.0.0/29"), 0, "c2", "eth0")).address,
        "10.1.0.6/29",
      );
    });
  });
});

Deno.test("allocateAll()", async (t) => {
  await t.step("takes one address from each set, requested ones where they fit", async () => {
    await withStore(async (store) => {
      const got = await allocateAll(
        store,
        [set("10.1.0.0/24"), set("fd00::/64")],
        "c1",
        "eth0",
        [ip("fd00::9"), ip("10.1.0.7")],
      );
      assert.deepEqual(got.map((a) => [a.address, a.gateway, a.rangeSet]), [
        ["10.1.0.7/24", "10.1.0.1", 0],
        ["fd00::9/64", "fd00::1", 1],
      ]);
    });
  });
  await t.step("releases the attachment's leases when a later set fails", async () => {
    await withStore(async (store, dir) => {
      await allocate(store, set("10.2.0.0/30"), 1, "other", "eth0");
      await assert.rejects(
        () => allocateAll(store, [set("10.1.0.0/24"), set("10.2.0.0/30")], "c1", "eth0"),
        {
          message: "failed to allocate for range 1: no IP addresses available in range set: " +
            "10.2.0.1-10.2.0.2",
        },
      );
      // The lease of set 0 is gone, its last_reserved_ip stays (as in the reference).
      assert.deepEqual(await names(dir), [
        "10.2.0.2",
        "last_reserved_ip.0",
        "last_reserved_ip.1",
        "lock",
      ]);
      assert.equal(await Deno.readTextFile(`${dir}/last_reserved_ip.0`), "10.1.0.2");
    });
  });
  await t.step(
    "fails naming the requested addresses no set holds, releasing the rest",
    async () => {
      await withStore(async (store, dir) => {
        await assert.rejects(
          () =>
            allocateAll(store, [set("10.1.0.0/24")], "c1", "eth0", [
              ip("10.9.0.1"),
              ip("10.8.0.1"),
            ]),
          { message: "failed to allocate all requested IPs: 10.9.0.1 10.8.0.1" },
        );
        assert.deepEqual(await names(dir), ["last_reserved_ip.0", "lock"]);
      });
    },
  );
  await t.step("asks once for an address requested twice", async () => {
    await withStore(async (store) => {
      const got = await allocateAll(store, [set("10.1.0.0/24")], "c1", "eth0", [
        ip("10.1.0.9"),
        ip("::ffff:10.1.0.9"),
      ]);
      assert.deepEqual(got.map((a) => a.address), ["10.1.0.9/24"]);
    });
  });
});
