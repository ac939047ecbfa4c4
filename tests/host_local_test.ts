/**
 * Tests of examples/host-local.ts (deno-host-local) in-process, through the test harness: no
 * root, no build. Leases go to a temporary data directory per test. The expected answers and
 * files are the Go host-local 1.1.1's for the same steps (tests/e2e/host_local_differential_test.ts
 * compares the two as processes); each difference the docs list has a test here, named after
 * it.
 */
import assert from "node:assert/strict";
import { hostLocalPlugin as plugin } from "../examples/host-local.ts";
import { type JsonObject, versionHasCheck, versionHasGcAndStatus } from "../lib/mod.ts";
import { atVersion, forEachVersion, invoke, type InvokeOutcome } from "../lib/testing.ts";

/** Runs `fn` with a fresh data directory, removed afterwards. */
async function withDataDir(fn: (dataDir: string) => Promise<void>): Promise<void> {
  const dataDir = await Deno.makeTempDir({ prefix: "dcni-host-local-test-" });
  try {
    await fn(dataDir);
  } finally {
    await Deno.remove(dataDir, { recursive: true });
  }
}

/** A 1.0.0 configuration of network "net1" with this ipam section, in `dataDir`. */
function net(dataDir: string, ipam: JsonObject, extra: JsonObject = {}): JsonObject {
  return {
    cniVersion: "1.0.0",
    name: "net1",
    type: "bridge",
    ipam: { type: "deno-host-local", dataDir, ...ipam },
    ...extra,
  };
}

/** The environment of an attachment, with CNI_ARGS when given. */
function attachment(containerId: string, ifName = "eth0", args = ""): Record<string, string> {
  return { CNI_CONTAINERID: containerId, CNI_IFNAME: ifName, ...(args && { CNI_ARGS: args }) };
}

/** The files of the network's directory: name and content. */
async function files(dataDir: string, network = "net1"): Promise<Record<string, string>> {
  const found: Record<string, string> = {};
  for await (const entry of Deno.readDir(`${dataDir}/${network}`)) {
    found[entry.name] = await Deno.readTextFile(`${dataDir}/${network}/${entry.name}`);
  }
  return Object.fromEntries(Object.entries(found).sort(([a], [b]) => (a < b ? -1 : 1)));
}

function addresses(outcome: InvokeOutcome): string[] {
  assert.equal(outcome.code, 0, outcome.stdout);
  return (outcome.result?.ips ?? []).map((ip) => ip.address);
}

Deno.test("ADD leases an address in every spec version", async (t) => {
  await forEachVersion(t, plugin, async (cniVersion) => {
    await withDataDir(async (dataDir) => {
      const config = atVersion(net(dataDir, { subnet: "10.1.0.0/29" }), cniVersion);
      const added = await invoke(plugin, { env: attachment("c1"), config });
      assert.equal(added.code, 0, added.stdout);
      assert.deepEqual(added.result?.ips, [{ address: "10.1.0.2/29", gateway: "10.1.0.1" }]);
      assert.equal(added.result?.interfaces, undefined, "an IPAM result has no interfaces");
      assert.deepEqual(await files(dataDir), {
        "10.1.0.2": "c1\r\neth0",
        "last_reserved_ip.0": "10.1.0.2",
        lock: "",
      });
      assert.deepEqual(added.runs, [], "it runs no program");
    });
  });
});

Deno.test("ADD prints each version's shape, as the reference", async (t) => {
  const rows: [string, JsonObject][] = [
    ["0.1.0", {
      cniVersion: "0.1.0",
      ip4: { ip: "10.1.0.2/24", gateway: "10.1.0.1", routes: [{ dst: "0.0.0.0/0" }] },
      ip6: { ip: "fd00::2/64", gateway: "fd00::1" },
      dns: {},
    }],
    ["0.3.1", {
      cniVersion: "0.3.1",
      ips: [
        { version: "4", address: "10.1.0.2/24", gateway: "10.1.0.1" },
        { version: "6", address: "fd00::2/64", gateway: "fd00::1" },
      ],
      routes: [{ dst: "0.0.0.0/0" }],
      dns: {},
    }],
    ["1.0.0", {
      cniVersion: "1.0.0",
      ips: [
        { address: "10.1.0.2/24", gateway: "10.1.0.1" },
        { address: "fd00::2/64", gateway: "fd00::1" },
      ],
      routes: [{ dst: "0.0.0.0/0" }],
    }],
  ];
  for (const [cniVersion, expected] of rows) {
    await t.step(`cniVersion ${cniVersion}`, async () => {
      await withDataDir(async (dataDir) => {
        const config = atVersion(
          net(dataDir, {
            ranges: [[{ subnet: "10.1.0.0/24" }], [{ subnet: "fd00::/64" }]],
            routes: [{ dst: "0.0.0.0/0" }],
          }),
          cniVersion,
        );
        const added = await invoke(plugin, { env: attachment("c1"), config });
        assert.deepEqual(added.json, expected);
      });
    });
  }
});

Deno.test("ADD goes round the ranges in the reference's order", async (t) => {
  await t.step("after the last address, skipping the gateway, wrapping round", async () => {
    await withDataDir(async (dataDir) => {
      const config = net(dataDir, {
        subnet: "10.1.0.0/28",
        rangeStart: "10.1.0.5",
        rangeEnd: "10.1.0.9",
        gateway: "10.1.0.7",
      });
      const got = [];
      for (const id of ["a", "b", "c"]) {
        got.push(...addresses(await invoke(plugin, { env: attachment(id), config })));
      }
      await invoke(plugin, { command: "DEL", env: attachment("a"), config });
      got.push(...addresses(await invoke(plugin, { env: attachment("d"), config })));
      got.push(...addresses(await invoke(plugin, { env: attachment("e"), config })));
      assert.deepEqual(got, [
        "10.1.0.5/28",
        "10.1.0.6/28",
        "10.1.0.8/28",
        "10.1.0.9/28",
        "10.1.0.5/28",
      ]);
      const full = await invoke(plugin, { env: attachment("f"), config });
      assert.deepEqual(full.error, {
        code: 999,
        msg: "failed to allocate for range 0: no IP addresses available in range set: " +
          "10.1.0.5-10.1.0.9",
      });
    });
  });
  await t.step("one address per range set, each from its own last address", async () => {
    await withDataDir(async (dataDir) => {
      const config = net(dataDir, {
        subnet: "10.2.0.0/29",
        ranges: [[{ subnet: "10.3.0.0/30" }, { subnet: "10.3.1.0/30" }], [{
          subnet: "fd00::/126",
        }]],
      });
      assert.deepEqual(addresses(await invoke(plugin, { env: attachment("a"), config })), [
        "10.2.0.2/29",
        "10.3.0.2/30",
        "fd00::2/126",
      ]);
      assert.deepEqual(addresses(await invoke(plugin, { env: attachment("b"), config })), [
        "10.2.0.3/29",
        "10.3.1.2/30",
        "fd00::3/126",
      ]);
      const third = await invoke(plugin, { env: attachment("c"), config });
      assert.deepEqual(third.error, {
        code: 999,
        msg: "failed to allocate for range 1: no IP addresses available in range set: " +
          "10.3.0.1-10.3.0.2,10.3.1.1-10.3.1.2",
      });
      // The leases of range set 0 that ADD took are released again.
      assert.deepEqual(Object.keys(await files(dataDir)).filter((f) => f.startsWith("10.2.")), [
        "10.2.0.2",
        "10.2.0.3",
      ]);
    });
  });
});

Deno.test("ADD refuses a second address for an attachment", async () => {
  await withDataDir(async (dataDir) => {
    const config = net(dataDir, { subnet: "10.1.0.0/24" });
    await invoke(plugin, { env: attachment("c1"), config });
    const again = await invoke(plugin, { env: attachment("c1"), config });
    assert.deepEqual(again.error, {
      code: 999,
      msg: "failed to allocate for range 0: 10.1.0.2 has been allocated to c1, duplicate " +
        "allocation is not allowed",
    });
    assert.deepEqual(addresses(await invoke(plugin, { env: attachment("c1", "eth1"), config })), [
      "10.1.0.3/24",
    ]);
  });
});

Deno.test("ADD leases the addresses asked for", async (t) => {
  const rows: [string, (dataDir: string) => JsonObject, string, string[]][] = [
    ["CNI_ARGS IP", (d) => net(d, { subnet: "10.1.0.0/24" }), "IP=10.1.0.50", ["10.1.0.50/24"]],
    ["CNI_ARGS IP with a prefix", (d) => net(d, { subnet: "10.1.0.0/24" }), "IP=10.1.0.90/8", [
      "10.1.0.90/24",
    ]],
    ["CNI_ARGS IP, IPv4-mapped", (d) => net(d, { subnet: "10.1.0.0/24" }), "IP=::ffff:10.1.0.70", [
      "10.1.0.70/24",
    ]],
    ["nothing for an empty CNI_ARGS IP", (d) => net(d, { subnet: "10.1.0.0/24" }), "IP=", [
      "10.1.0.2/24",
    ]],
    [
      "CNI_ARGS with IgnoreUnknown",
      (d) => net(d, { subnet: "10.1.0.0/24" }),
      "IgnoreUnknown=1;K8S_POD_NAME=p;IP=10.1.0.9",
      [
        "10.1.0.9/24",
      ],
    ],
    [
      "args.cni.ips, one per range set",
      (d) =>
        net(d, { ranges: [[{ subnet: "10.1.0.0/24" }], [{ subnet: "fd01::/64" }]] }, {
          args: { cni: { ips: ["fd01::6", "10.1.0.103"] } },
        }),
      "",
      ["10.1.0.103/24", "fd01::6/64"],
    ],
    [
      "the ips capability",
      (d) => net(d, { subnet: "10.1.0.0/24" }, { runtimeConfig: { ips: ["10.1.0.7/24"] } }),
      "",
      ["10.1.0.7/24"],
    ],
  ];
  for (const [name, config, args, expected] of rows) {
    await t.step(`from ${name}`, async () => {
      await withDataDir(async (dataDir) => {
        const added = await invoke(plugin, {
          env: attachment("c1", "eth0", args),
          config: config(dataDir),
        });
        assert.deepEqual(addresses(added), expected);
      });
    });
  }
  const errors: [string, string, JsonObject, { code: number; msg: string }][] = [
    ["the gateway", "IP=10.1.0.1", {}, {
      code: 999,
      msg: "failed to allocate for range 0: requested ip 10.1.0.1 is subnet's gateway",
    }],
    ["a taken address", "IP=10.1.0.2", {}, {
      code: 999,
      msg: "failed to allocate for range 0: requested IP address 10.1.0.2 is not available in " +
        "range set 10.1.0.1-10.1.0.254",
    }],
    ["an address of no range", "IP=10.9.0.1", {}, {
      code: 999,
      msg: "failed to allocate all requested IPs: 10.9.0.1",
    }],
    ["no address at all", "IP=nope", {}, {
      code: 4,
      msg: 'ARGS: error parsing value of pair "IP=nope": invalid IP address nope',
    }],
    ["an unknown CNI_ARGS key (K8S_* are unknown to host-local)", "K8S_POD_NAME=p", {}, {
      code: 4,
      msg: 'ARGS: unknown args ["K8S_POD_NAME=p"]',
    }],
  ];
  for (const [name, args, extra, error] of errors) {
    await t.step(`refuses ${name}`, async () => {
      await withDataDir(async (dataDir) => {
        const config = net(dataDir, { subnet: "10.1.0.0/24" }, extra);
        await invoke(plugin, { env: attachment("other"), config });
        const before = await files(dataDir);
        const added = await invoke(plugin, { env: attachment("c1", "eth0", args), config });
        assert.deepEqual(added.error, error);
        // What a failed ADD took is released; the last address it took stays recorded.
        const after = await files(dataDir);
        delete after["last_reserved_ip.0"];
        delete before["last_reserved_ip.0"];
        assert.deepEqual(after, before);
      });
    });
  }
});

Deno.test("ADD reports resolvConf's settings as DNS", async (t) => {
  await withDataDir(async (dataDir) => {
    const resolvConf = `${dataDir}/resolv.conf`;
    await Deno.writeTextFile(
      resolvConf,
      "nameserver 10.0.0.53\nsearch a.example b.example\ndomain example.test\noptions ndots:2\n",
    );
    await forEachVersion(t, plugin, async (cniVersion) => {
      const config = atVersion(net(dataDir, { subnet: "10.1.0.0/24", resolvConf }), cniVersion);
      const added = await invoke(plugin, { env: attachment(`c-${cniVersion}`), config });
      assert.deepEqual(added.result?.dns, {
        nameservers: ["10.0.0.53"],
        domain: "example.test",
        search: ["a.example", "b.example"],
        options: ["ndots:2"],
      });
    });
    const missing = await invoke(plugin, {
      env: attachment("c9"),
      config: net(dataDir, { subnet: "10.1.0.0/24", resolvConf: `${dataDir}/none` }),
    });
    assert.deepEqual(missing.error, {
      code: 999,
      msg: `open ${dataDir}/none: no such file or directory`,
    });
  });
});

Deno.test("ADD refuses a bad configuration with the reference's message and code 7", async (t) => {
  const rows: [string, JsonObject, string][] = [
    [
      "a /31",
      { subnet: "10.0.0.0/31" },
      "invalid range set 0: Network 10.0.0.0/31 too small to allocate from",
    ],
    ["no range", {}, "no IP ranges specified"],
    [
      "a subnet of the wrong type",
      { subnet: 5 },
      "json: cannot unmarshal number into Go struct field IPAMConfig.ipam.subnet of type string",
    ],
    [
      "overlapping range sets",
      { subnet: "10.0.0.0/24", ranges: [[{ subnet: "10.0.0.0/25" }]] },
      "range set 0 overlaps with 1",
    ],
  ];
  for (const [name, ipam, msg] of rows) {
    await t.step(`refuses ${name}`, async () => {
      await withDataDir(async (dataDir) => {
        const added = await invoke(plugin, { env: attachment("c1"), config: net(dataDir, ipam) });
        assert.deepEqual(added.error, { code: 7, msg });
        assert.deepEqual([...Deno.readDirSync(dataDir)], [], "nothing is made");
      });
    });
  }
  await t.step("refuses a missing ipam section", async () => {
    const added = await invoke(plugin, { config: { cniVersion: "1.0.0", name: "n", type: "x" } });
    assert.deepEqual(added.error, { code: 7, msg: "IPAM config missing 'ipam' key" });
  });
});

Deno.test("ADD releases what it leased when its answer is lost", async () => {
  await withDataDir(async (dataDir) => {
    const config = net(dataDir, {
      ranges: [[{ subnet: "10.1.0.0/24" }], [{ subnet: "fd00::/64" }]],
    });
    await invoke(plugin, { env: attachment("c1", "eth1"), config });
    const lost = await invoke(plugin, { env: attachment("c1"), config, stdout: "closed" });
    assert.equal(lost.code, 1);
    assert.deepEqual(Object.keys(await files(dataDir)), [
      "10.1.0.2",
      "fd00::2",
      "last_reserved_ip.0",
      "last_reserved_ip.1",
      "lock",
    ]);
  });
});

Deno.test("CHECK passes while the attachment holds a lease", async (t) => {
  await forEachVersion(t, plugin, async (cniVersion) => {
    await withDataDir(async (dataDir) => {
      const config = atVersion(net(dataDir, { subnet: "10.1.0.0/24" }), cniVersion);
      await invoke(plugin, { env: attachment("c1"), config });
      const checked = await invoke(plugin, { command: "CHECK", env: attachment("c1"), config });
      assert.equal(checked.code, 0, checked.stdout);
      assert.equal(checked.stdout, "");
      const other = await invoke(plugin, {
        command: "CHECK",
        env: attachment("c1", "eth1"),
        config,
      });
      assert.deepEqual(other.error, {
        code: 999,
        msg: "host-local: Failed to find address added by container c1",
      });
    });
  }, { only: versionHasCheck });
  await t.step("an older version's lease names the container for every interface", async () => {
    await withDataDir(async (dataDir) => {
      const config = net(dataDir, { subnet: "10.1.0.0/24" });
      await Deno.mkdir(`${dataDir}/net1`);
      await Deno.writeTextFile(`${dataDir}/net1/10.1.0.9`, "c7");
      const checked = await invoke(plugin, {
        command: "CHECK",
        env: attachment("c7", "eth3"),
        config,
      });
      assert.equal(checked.code, 0, checked.stdout);
    });
  });
});

Deno.test("DEL releases the attachment's leases, also when repeated", async (t) => {
  await forEachVersion(t, plugin, async (cniVersion) => {
    await withDataDir(async (dataDir) => {
      const config = atVersion(net(dataDir, { subnet: "10.1.0.0/24" }), cniVersion);
      await invoke(plugin, { env: attachment("c1"), config });
      await invoke(plugin, { env: attachment("c1", "eth1"), config });
      for (let i = 0; i < 2; i++) {
        const deleted = await invoke(plugin, { command: "DEL", env: attachment("c1"), config });
        assert.equal(deleted.code, 0, deleted.stdout);
        assert.equal(deleted.stdout, "");
        assert.deepEqual(await files(dataDir), {
          "10.1.0.3": "c1\r\neth1",
          "last_reserved_ip.0": "10.1.0.3",
          lock: "",
        });
      }
    });
  });
  await t.step(
    "with two range sets, also the container's older leases (as the reference)",
    async () => {
      await withDataDir(async (dataDir) => {
        const two = net(dataDir, {
          ranges: [[{ subnet: "10.1.0.0/24" }], [{ subnet: "fd00::/64" }]],
        });
        const one = net(dataDir, { subnet: "10.1.0.0/24" });
        await invoke(plugin, { env: attachment("c1"), config: one });
        await Deno.writeTextFile(`${dataDir}/net1/10.1.0.9`, "c1");
        await invoke(plugin, { command: "DEL", env: attachment("c1"), config: one });
        assert.ok("10.1.0.9" in await files(dataDir), "one pass leaves the older lease");
        await invoke(plugin, { env: attachment("c1"), config: one });
        await invoke(plugin, { command: "DEL", env: attachment("c1"), config: two });
        assert.deepEqual(Object.keys(await files(dataDir)), ["last_reserved_ip.0", "lock"]);
      });
    },
  );
});

Deno.test("a misspelt key of the ipam section is reported, as for every plugin of the kit", async () => {
  await withDataDir(async (dataDir) => {
    const config = net(dataDir, {
      subnet: "10.1.0.0/24",
      gatway: "10.1.0.254",
      resolvConff: "/etc/resolv.conf",
      Ranges: null,
    });
    const added = await invoke(plugin, { env: attachment("c1"), config });
    assert.deepEqual(addresses(added), ["10.1.0.2/24"]);
    assert.equal(
      added.stderr,
      'deno-host-local ADD: warn: ignored: unknown key "ipam.gatway" (did you mean "gateway"?)\n' +
        'deno-host-local ADD: warn: ignored: unknown key "ipam.resolvConff" (did you mean ' +
        '"resolvConf"?)\n',
    );
  });
});

Deno.test("a lease file spelling its address another way is a lease, as Go's ParseIP reads it", async () => {
  await withDataDir(async (dataDir) => {
    const config = net(dataDir, { subnet: "fd00:52::/120" });
    await Deno.mkdir(`${dataDir}/net1`);
    await Deno.writeTextFile(`${dataDir}/net1/FD00:52::5`, "c1\r\neth0");
    const checked = await invoke(plugin, { command: "CHECK", env: attachment("c1"), config });
    assert.equal(checked.code, 0, checked.stdout);
    const added = await invoke(plugin, { env: attachment("c1"), config });
    assert.deepEqual(added.error, {
      code: 999,
      msg: "failed to allocate for range 0: fd00:52::5 has been allocated to c1, duplicate " +
        "allocation is not allowed",
    });
    const deleted = await invoke(plugin, { command: "DEL", env: attachment("c1"), config });
    assert.equal(deleted.code, 0, deleted.stdout);
    assert.deepEqual(await files(dataDir), { lock: "" });
  });
});

Deno.test("GC releases the leases of attachments that are gone (spec 1.1.0)", async () => {
  await withDataDir(async (dataDir) => {
    const config = { ...net(dataDir, { subnet: "10.1.0.0/24" }), cniVersion: "1.1.0" };
    for (const [id, ifName] of [["c1", "eth0"], ["c1", "eth1"], ["c2", "eth0"]] as const) {
      await invoke(plugin, { env: attachment(id, ifName), config });
    }
    await Deno.writeTextFile(`${dataDir}/net1/10.1.0.9`, "c3");
    const collected = await invoke(plugin, {
      command: "GC",
      env: { CNI_CONTAINERID: "", CNI_IFNAME: "", CNI_NETNS: "" },
      config: {
        ...config,
        "cni.dev/valid-attachments": [
          { containerID: "c1", ifname: "eth0" },
          { containerID: "c3", ifname: "eth0" },
        ],
      },
    });
    assert.equal(collected.code, 0, collected.stdout);
    assert.deepEqual(await files(dataDir), {
      "10.1.0.2": "c1\r\neth0",
      "10.1.0.9": "c3",
      "last_reserved_ip.0": "10.1.0.4",
      lock: "",
    });
  });
});

Deno.test("STATUS reports code 50 once a range set is used up (spec 1.1.0)", async (t) => {
  await forEachVersion(t, plugin, async (cniVersion) => {
    await withDataDir(async (dataDir) => {
      const config = {
        ...net(dataDir, { ranges: [[{ subnet: "fd00::/64" }], [{ subnet: "10.1.0.0/30" }]] }),
        cniVersion,
      };
      const status = () =>
        invoke(plugin, { command: "STATUS", env: { CNI_CONTAINERID: "", CNI_IFNAME: "" }, config });
      assert.equal((await status()).code, 0, "ready before the data directory exists");
      assert.deepEqual([...Deno.readDirSync(dataDir)], [], "STATUS makes nothing");
      await invoke(plugin, { env: attachment("c1"), config });
      assert.deepEqual((await status()).error, {
        code: 50,
        msg: "no IP addresses available in range set: 10.1.0.1-10.1.0.2",
      });
      await invoke(plugin, { command: "DEL", env: attachment("c1"), config });
      assert.equal((await status()).code, 0);
    });
  }, { only: versionHasGcAndStatus });
  await t.step("STATUS fails a bad configuration as ADD does", async () => {
    const status = await invoke(plugin, {
      command: "STATUS",
      config: { cniVersion: "1.1.0", name: "n", type: "x", ipam: { subnet: "10.0.0.0/31" } },
    });
    assert.deepEqual(status.error, {
      code: 7,
      msg: "invalid range set 0: Network 10.0.0.0/31 too small to allocate from",
    });
  });
});

Deno.test("documented differences from the reference", async (t) => {
  const add = (config: JsonObject, env = attachment("c1")) => invoke(plugin, { env, config });
  await t.step("a configuration error is code 7, a CNI_ARGS error code 4", async () => {
    await withDataDir(async (dataDir) => {
      assert.equal((await add(net(dataDir, { subnet: "x" }))).error?.code, 7);
      assert.equal(
        (await add(net(dataDir, { subnet: "10.0.0.0/24" }), attachment("c", "eth0", "oops"))).error
          ?.code,
        4,
      );
    });
  });
  await t.step("a spec key of the wrong type is the kit's code 6", async () => {
    const added = await add({ cniVersion: "1.0.0", name: "n", type: "x", ipam: 5 });
    assert.equal(added.error?.code, 6);
  });
  await t.step("a 1.x result leaves an empty dns out", async () => {
    await withDataDir(async (dataDir) => {
      const added = await add(net(dataDir, { subnet: "10.0.0.0/24" }));
      assert.equal(Object.hasOwn(added.json as object, "dns"), false);
    });
  });
  await t.step("a null route or a route without dst is refused", async () => {
    await withDataDir(async (dataDir) => {
      for (const routes of [[null], [{ gw: "10.0.0.1" }]]) {
        assert.equal((await add(net(dataDir, { subnet: "10.0.0.0/24", routes }))).error?.code, 7);
      }
    });
  });
  await t.step("a null requested address is refused (the reference crashes)", async () => {
    await withDataDir(async (dataDir) => {
      const added = await add(
        net(dataDir, { subnet: "10.0.0.0/24" }, { runtimeConfig: { ips: [null] } }),
      );
      assert.deepEqual(added.error, {
        code: 7,
        msg: "cannot understand ip: a requested address is null",
      });
    });
  });
  await t.step("a rangeStart after the default rangeEnd is refused", async () => {
    await withDataDir(async (dataDir) => {
      const added = await add(net(dataDir, { subnet: "10.7.0.0/24", rangeStart: "10.7.0.255" }));
      assert.deepEqual(added.error, {
        code: 7,
        msg: "invalid range set 0: RangeStart 10.7.0.255 is after RangeEnd 10.7.0.254",
      });
    });
  });
  await t.step("networks that start with a zero byte work", async () => {
    await withDataDir(async (dataDir) => {
      assert.deepEqual(addresses(await add(net(dataDir, { subnet: "0.0.0.0/24" }))), [
        "0.0.0.2/24",
      ]);
    });
  });
  await t.step("only files named by an address are leases", async () => {
    await withDataDir(async (dataDir) => {
      const config = net(dataDir, { subnet: "10.1.0.0/24" });
      await add(config, attachment("other"));
      // A container whose ID is the address reserved last: the reference's DEL deletes the
      // last_reserved_ip file, whose content matches; CHECK finds it.
      const checked = await invoke(plugin, {
        command: "CHECK",
        env: attachment("10.1.0.2"),
        config,
      });
      assert.equal(checked.code, 1);
      await invoke(plugin, { command: "DEL", env: attachment("10.1.0.2"), config });
      assert.ok("last_reserved_ip.0" in await files(dataDir));
    });
  });
  await t.step("requested addresses are matched in order", async () => {
    await withDataDir(async (dataDir) => {
      const added = await add(
        net(dataDir, { subnet: "10.1.0.0/24" }, {
          args: { cni: { ips: ["10.1.0.5", "10.1.0.6", "10.9.0.1"] } },
        }),
      );
      assert.deepEqual(added.error, {
        code: 999,
        msg: "failed to allocate all requested IPs: 10.1.0.6 10.9.0.1",
      });
    });
  });
  await t.step("routes keep spec 1.1.0's attributes", async () => {
    await withDataDir(async (dataDir) => {
      const config = {
        ...net(dataDir, {
          subnet: "10.1.0.0/24",
          routes: [{ dst: "0.0.0.0/0", mtu: 1400, table: 100 }],
        }),
        cniVersion: "1.1.0",
      };
      assert.deepEqual((await add(config)).result?.routes, [{
        dst: "0.0.0.0/0",
        mtu: 1400,
        table: 100,
      }]);
    });
  });
});
