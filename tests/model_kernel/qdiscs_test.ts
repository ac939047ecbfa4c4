/**
 * The model kernel's qdiscs: the default root qdisc of each kind, token bucket filters with the
 * kernel's handles and `tc`'s conversion of the bucket through scheduler ticks.
 */
import assert from "node:assert/strict";
import type { Qdisc } from "../../lib/net_types.ts";
import { assertRefused, setup } from "./_helpers.ts";

const ROOT = 0xffffffff;

function noqueue(dev: string): Qdisc {
  return { dev, kind: "noqueue", handle: 0, root: true, parent: ROOT };
}

Deno.test("default qdiscs: none until a link first comes up, then noqueue, kept when down", () => {
  const { c1 } = setup();
  c1.createLink({ kind: "veth", name: "v0", peerName: "v1" });
  c1.createLink({ kind: "bridge", name: "br0" });
  c1.createLink({ kind: "macvlan", name: "mv0", parent: "v1" });
  assert.deepEqual(c1.qdiscs(), []);
  for (const name of ["lo", "v0", "br0", "mv0"]) c1.setLink(name, { up: true });
  assert.deepEqual(c1.qdiscs(), ["lo", "v0", "br0", "mv0"].map(noqueue));
  c1.setLink("v0", { up: false });
  assert.deepEqual(c1.qdiscs("v0"), [noqueue("v0")]);
  assertRefused(() => c1.qdiscs("nope"), "ENODEV");
});

Deno.test("tbf: attach, EEXIST, handles from the kernel's counter, delete", async (t) => {
  const { kernel, c1 } = setup();
  c1.createLink({ kind: "veth", name: "v0", peerName: "v1" });
  c1.setLink("v0", { up: true });
  await t.step("attached over noqueue, with the next automatic handle", () => {
    c1.addTbf("v0", { rate: 125000, burst: 10240, latencyUs: 25000 });
    c1.addTbf("v1", { rate: 125000, burst: 10240, limit: 20000 });
    assert.deepEqual(c1.qdiscs(), [
      {
        dev: "v1",
        kind: "tbf",
        handle: 0x80020000,
        root: true,
        parent: ROOT,
        tbf: { rate: 125000, burst: 10240, limit: 20000 },
      },
      {
        dev: "v0",
        kind: "tbf",
        handle: 0x80010000,
        root: true,
        parent: ROOT,
        tbf: { rate: 125000, burst: 10240, limit: 13365 },
      },
    ]);
  });
  await t.step("a second root qdisc is EEXIST", () => {
    const error = assertRefused(
      () => c1.addTbf("v0", { rate: 1000, burst: 1000, limit: 1000 }),
      "EEXIST",
      "Exclusivity flag on, cannot modify",
    );
    assert.deepEqual([error.operation, error.object], ["add qdisc", 'tbf on "v0"']);
  });
  await t.step(
    "deleting gives the default back on a link that is up, nothing on one that is down",
    () => {
      assert.equal(c1.deleteRootQdisc("v0"), true);
      assert.equal(c1.deleteRootQdisc("v1"), true);
      assert.deepEqual(c1.qdiscs(), [noqueue("v0")]);
      assert.equal(c1.deleteRootQdisc("v0"), false);
      assert.equal(c1.deleteRootQdisc("v1"), false);
      assertRefused(() => c1.deleteRootQdisc("nope"), "ENODEV");
      c1.addTbf("v1", { rate: 1000, burst: 1000, limit: 1000 });
      assert.equal(c1.qdiscs("v1")[0]?.handle, 0x80030000, "handles are not given twice");
      assert.equal(kernel.log.length, 0, "a test's own calls are not logged");
    },
  );
});

Deno.test("tbf: the bucket through scheduler ticks, as tc writes and reads it", async (t) => {
  const rows: {
    name: string;
    spec: {
      rate: number;
      burst: number;
      limit?: number;
      latencyUs?: number;
      peakrate?: number;
      mtu?: number;
    };
    tbf: { rate: number; burst: number; limit: number; peakrate?: number; mtu?: number };
  }[] = [
    {
      name: "1500 bytes at 1 MB/s read back as 1499",
      spec: { rate: 1_000_000, burst: 1500, limit: 20000 },
      tbf: { rate: 1_000_000, burst: 1499, limit: 20000 },
    },
    {
      name: "1501 bytes at 1 MB/s read back as 1500; the limit from the latency",
      spec: { rate: 1_000_000, burst: 1501, latencyUs: 33000 },
      tbf: { rate: 1_000_000, burst: 1500, limit: 34501 },
    },
    {
      name: "10 Gbit/s and 5 MiB",
      spec: { rate: 1_250_000_000, burst: 5 * 1024 * 1024, limit: 100 * 1024 * 1024 },
      tbf: { rate: 1_250_000_000, burst: 5_242_500, limit: 104_857_600 },
    },
    {
      name: "40 Gbit/s (beyond 32 bits)",
      spec: { rate: 5_000_000_000, burst: 5 * 1024 * 1024, limit: 100 * 1024 * 1024 },
      tbf: { rate: 5_000_000_000, burst: 5_240_000, limit: 104_857_600 },
    },
    {
      name: "one byte a second",
      spec: { rate: 1, burst: 1, limit: 1 },
      tbf: { rate: 1, burst: 1, limit: 1 },
    },
    {
      name: "a peak rate and its bucket",
      spec: { rate: 125000, burst: 2048, limit: 1000, peakrate: 250000, mtu: 1600 },
      tbf: { rate: 125000, burst: 2048, limit: 1000, peakrate: 250000, mtu: 1600 },
    },
  ];
  for (const row of rows) {
    await t.step(row.name, () => {
      const { c1 } = setup();
      c1.createLink({ kind: "dummy", name: "d0" });
      c1.addTbf("d0", row.spec);
      assert.deepEqual(c1.qdiscs("d0")[0]?.tbf, row.tbf);
    });
  }
  const refused: {
    name: string;
    spec: { rate: number; burst: number; limit?: number; peakrate?: number; mtu?: number };
  }[] = [
    { name: "a bucket of no byte", spec: { rate: 1000, burst: 0, limit: 1000 } },
    {
      name: "a peak rate not above the rate",
      spec: { rate: 125000, burst: 2048, limit: 1000, peakrate: 125000, mtu: 1600 },
    },
    {
      name: "a peak rate without its bucket",
      spec: { rate: 125000, burst: 2048, limit: 1000, peakrate: 250000 },
    },
    { name: "neither limit nor latency", spec: { rate: 125000, burst: 2048 } },
    { name: "a bucket beyond 32 bits of ticks", spec: { rate: 1, burst: 1000, limit: 1000 } },
  ];
  for (const row of refused) {
    await t.step(`refused: ${row.name}`, () => {
      const { c1 } = setup();
      c1.createLink({ kind: "dummy", name: "d0" });
      assertRefused(() => c1.addTbf("d0", row.spec), "EINVAL");
      assert.deepEqual(c1.qdiscs(), []);
    });
  }
});

Deno.test("a physical device's default is pfifo_fast; a link leaving loses its qdisc", () => {
  const { host, c1 } = setup();
  host.addDevice({ name: "eth0" });
  host.setLink("eth0", { up: true });
  host.addTbf("eth0", { rate: 1000, burst: 1000, limit: 1000 });
  host.deleteRootQdisc("eth0");
  assert.deepEqual(host.qdiscs("eth0"), [{
    dev: "eth0",
    kind: "pfifo_fast",
    handle: 0,
    root: true,
    parent: ROOT,
  }]);
  host.addTbf("eth0", { rate: 1000, burst: 1000, limit: 1000 });
  host.moveLink("eth0", "/var/run/netns/c1");
  assert.deepEqual(c1.qdiscs(), []);
  c1.setLink("eth0", { up: true });
  assert.equal(c1.qdiscs("eth0")[0]?.kind, "pfifo_fast");
});
