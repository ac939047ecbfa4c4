/**
 * Tests of sysctl-tune, in-process with the harness of `@deno-cni/deno-cni/testing`, on its model
 * kernel (`modelKernel()`): an in-memory Linux network stack whose CNI_NETNS has the sysctls a new
 * namespace has. No root, no program and no permission: each test asserts the answer, the
 * sysctls the plugin leaves (`kernel.snapshot(...).sysctls`, what differs from a new namespace)
 * and what it wrote, in order (`kernel.changes()`).
 */
import assert from "node:assert/strict";
import { versionHasCheck } from "@deno-cni/deno-cni";
import {
  atVersion,
  DEFAULT_TEST_ENV,
  forEachVersion,
  invoke,
  type ModelKernel,
  modelKernel,
  type ModelNamespace,
} from "@deno-cni/deno-cni/testing";
import { sysctlKey, sysctlTune } from "./sysctl_tune.ts";

const NETNS = DEFAULT_TEST_ENV.CNI_NETNS;

const CONFIG = {
  cniVersion: "1.0.0",
  name: "tuned",
  type: "sysctl-tune",
  sysctl: { "net.ipv4.conf.IFNAME.rp_filter": "2", "net.core.somaxconn": "512" },
  prevResult: {
    cniVersion: "1.0.0",
    interfaces: [{ name: "eth0", sandbox: NETNS }],
    ips: [{ address: "10.5.0.7/24", gateway: "10.5.0.1", interface: 0 }],
  },
};

/** The container's values before ADD that differ from a new namespace's. */
const BEFORE = { "net.ipv4.conf.eth0.rp_filter": "1" };

/** One test's kernel and the container's namespace in it. */
interface World {
  kernel: ModelKernel;
  container: ModelNamespace;
  /** The container's sysctls that differ from a new namespace's. */
  sysctls(): Record<string, string>;
  /** What the plugin wrote, in order, as key=value; all of it in the container. */
  writes(): string[];
}

/**
 * A model kernel whose container has eth0 (the previous plugin's, its peer on the host) and
 * `values` set; `setUp` adds more before the plugin runs.
 */
function world(
  values: Record<string, string> = BEFORE,
  setUp: (container: ModelNamespace) => void = () => {},
): World {
  const kernel = modelKernel();
  const container = kernel.addNamespace(NETNS);
  kernel.namespace().createLink({
    kind: "veth",
    name: "veth0",
    peerName: "eth0",
    peerNetns: NETNS,
  });
  setUp(container);
  for (const [key, value] of Object.entries(values)) container.sysctlSet(key, value);
  return {
    kernel,
    container,
    sysctls: () => kernel.snapshot(NETNS).sysctls,
    writes: () =>
      kernel.changes().map((entry) => {
        assert.equal(entry.operation, "write sysctl", "sysctl-tune changes nothing else");
        assert.equal(entry.netns, NETNS, "nor anything outside the container");
        return entry.args.join("=");
      }),
  };
}

Deno.test("ADD sets the sysctls in the container and passes the result on unchanged", async (t) => {
  await forEachVersion(t, sysctlTune, async (cniVersion) => {
    const w = world();
    const config = atVersion(CONFIG, cniVersion);
    const added = await invoke(sysctlTune, { config, kernel: w.kernel });
    assert.equal(added.code, 0, added.stdout);
    assert.deepEqual(added.json, config.prevResult);
    assert.deepEqual(w.sysctls(), {
      "net.ipv4.conf.eth0.rp_filter": "2",
      "net.core.somaxconn": "512",
    });
    assert.deepEqual(w.writes(), ["net.ipv4.conf.eth0.rp_filter=2", "net.core.somaxconn=512"]);
    assert.deepEqual(added.runs, [], "no program runs");
  });
});

Deno.test("IFNAME is replaced as a whole key part, in its case only", async (t) => {
  const rows = [
    { key: "net.ipv4.conf.IFNAME.rp_filter", ifName: "eth0", sent: "net.ipv4.conf.eth0.rp_filter" },
    {
      key: "net.ipv4.conf.ifname.rp_filter",
      ifName: "eth0",
      sent: "net.ipv4.conf.ifname.rp_filter",
    },
    {
      key: "net.ipv4.conf.IFNAMES.rp_filter",
      ifName: "eth0",
      sent: "net.ipv4.conf.IFNAMES.rp_filter",
    },
    {
      key: "net.ipv4.conf.IFNAME.rp_filter",
      ifName: "eth0.10",
      sent: "net/ipv4/conf/eth0.10/rp_filter",
    },
  ];
  for (const row of rows) {
    await t.step(`${row.key} for ${row.ifName}`, async () => {
      assert.equal(sysctlKey(row.key, row.ifName), row.sent);
      // Links of every name the keys may reach, so each key exists.
      const w = world({}, (container) => {
        container.createLink({ kind: "vlan", name: "eth0.10", parent: "eth0", vlanId: 10 });
        container.createLink({ kind: "dummy", name: "ifname" });
        container.createLink({ kind: "dummy", name: "IFNAMES" });
      });
      const added = await invoke(sysctlTune, {
        env: { CNI_IFNAME: row.ifName },
        config: { ...CONFIG, sysctl: { [row.key]: "1" } },
        kernel: w.kernel,
      });
      assert.equal(added.code, 0, added.stdout);
      assert.deepEqual(w.writes(), [`${row.sent}=1`]);
    });
  }
});

Deno.test("ADD puts back what it set when a later step fails", async (t) => {
  const rows = [
    {
      name: "a value the kernel refuses",
      sysctl: { ...CONFIG.sysctl, "net.core.somaxconn": "many" },
      msg: 'EINVAL: write sysctl "net.core.somaxconn": invalid argument',
      writes: ["net.ipv4.conf.eth0.rp_filter=2", "net.ipv4.conf.eth0.rp_filter=1"],
    },
    {
      name: "a sysctl the container does not have",
      sysctl: { ...CONFIG.sysctl, "net.ipv4.conf.eth9.rp_filter": "2" },
      msg: 'the container has no sysctl "net.ipv4.conf.eth9.rp_filter"',
      writes: [
        "net.ipv4.conf.eth0.rp_filter=2",
        "net.core.somaxconn=512",
        "net.core.somaxconn=4096",
        "net.ipv4.conf.eth0.rp_filter=1",
      ],
    },
  ];
  for (const row of rows) {
    await t.step(row.name, async () => {
      const w = world();
      const added = await invoke(sysctlTune, {
        config: { ...CONFIG, sysctl: row.sysctl },
        kernel: w.kernel,
      });
      assert.deepEqual(added.error, { code: 999, msg: row.msg });
      assert.deepEqual(w.writes(), row.writes);
      assert.deepEqual(w.sysctls(), BEFORE);
    });
  }
  await t.step("an answer that cannot be written", async () => {
    const w = world();
    const added = await invoke(sysctlTune, { config: CONFIG, kernel: w.kernel, stdout: "closed" });
    assert.equal(added.code, 1);
    assert.deepEqual(w.writes(), [
      "net.ipv4.conf.eth0.rp_filter=2",
      "net.core.somaxconn=512",
      "net.core.somaxconn=4096",
      "net.ipv4.conf.eth0.rp_filter=1",
    ]);
    assert.deepEqual(w.sysctls(), BEFORE);
  });
});

Deno.test("CHECK reads the values back and changes nothing", async (t) => {
  await forEachVersion(t, sysctlTune, async (cniVersion) => {
    const config = {
      ...atVersion(CONFIG, cniVersion),
      sysctl: { ...CONFIG.sysctl, "net.ipv4.tcp_rmem": "4096 131072 6291456" },
    };
    // The kernel keeps tcp_rmem's fields separated by tabs: CHECK compares them field by field.
    const tuned = {
      "net.ipv4.conf.eth0.rp_filter": "2",
      "net.core.somaxconn": "512",
      "net.ipv4.tcp_rmem": "4096\t131072\t6291456",
    };
    const rows = [
      { name: "as configured", values: tuned, msg: undefined },
      {
        name: "one changed since",
        values: { ...tuned, "net.core.somaxconn": "128" },
        msg: 'sysctl net.core.somaxconn is "128", configured "512"',
      },
      {
        name: "one the container does not have",
        values: tuned,
        sysctl: { "net.ipv4.conf.eth9.rp_filter": "2" },
        msg: 'the container has no sysctl "net.ipv4.conf.eth9.rp_filter"',
      },
    ];
    for (const row of rows) {
      const w = world(row.values);
      const checked = await invoke(sysctlTune, {
        command: "CHECK",
        config: { ...config, sysctl: { ...config.sysctl, ...row.sysctl } },
        kernel: w.kernel,
      });
      assert.equal(checked.error?.msg, row.msg, row.name);
      assert.deepEqual(w.kernel.changes(), [], `${row.name}: CHECK only reads`);
    }
  }, { only: versionHasCheck });
});

Deno.test("DEL leaves the kernel alone, even with a configuration ADD refuses", async (t) => {
  await forEachVersion(t, sysctlTune, async (cniVersion) => {
    for (const config of [atVersion(CONFIG, cniVersion), { ...CONFIG, sysctl: 5 }]) {
      const w = world();
      const deleted = await invoke(sysctlTune, { command: "DEL", config, kernel: w.kernel });
      assert.deepEqual([deleted.code, deleted.stdout, deleted.runs], [0, "", []]);
      assert.deepEqual(w.kernel.log, [], "the kernel was not even asked");
    }
  });
});

Deno.test("ADD refuses a bad configuration with code 7 and changes nothing", async (t) => {
  const rows = [
    { name: "no sysctl", sysctl: undefined, msg: '"sysctl" is required' },
    { name: "a list", sysctl: ["x"], msg: '"sysctl" must be an object of strings' },
    {
      name: "a number value",
      sysctl: { "net.core.somaxconn": 512 },
      msg: '"sysctl.net.core.somaxconn" must be a string, got 512',
    },
    {
      name: "a host-wide key",
      sysctl: { "kernel.hostname": "x" },
      msg: '"sysctl.kernel.hostname" must name a network sysctl (net.*)',
    },
    {
      name: "a key sysctl would read as two",
      sysctl: { "net.core.somaxconn=1 net.x": "2" },
      msg: "invalid sysctl key",
    },
    {
      name: "a key that climbs out of /proc/sys",
      sysctl: { "net.ipv4/../../../etc/x": "2" },
      msg: "invalid sysctl key",
    },
    { name: "a value with a newline", sysctl: { "net.core.somaxconn": "1\n2" }, msg: "control" },
  ];
  for (const row of rows) {
    await t.step(row.name, async () => {
      const w = world();
      const added = await invoke(sysctlTune, {
        config: { ...CONFIG, sysctl: row.sysctl },
        kernel: w.kernel,
      });
      assert.equal(added.error?.code, 7, added.stdout);
      assert.ok(added.error?.msg.includes(row.msg), added.error?.msg);
      assert.deepEqual(w.kernel.changes(), []);
      assert.deepEqual(w.sysctls(), BEFORE);
    });
  }
  await t.step("no prevResult", async () => {
    const w = world();
    const added = await invoke(sysctlTune, {
      config: { ...CONFIG, prevResult: undefined },
      kernel: w.kernel,
    });
    assert.equal(added.error?.code, 7);
    assert.match(added.error?.msg ?? "", /must be called as a chained plugin/);
    assert.deepEqual(w.kernel.log, []);
  });
});

Deno.test("without FFI, ADD refuses to run programs and names the flag", async () => {
  // No kernel: the toolkit would fall back to running `nsenter` and `sysctl`, as without FFI.
  const added = await invoke(sysctlTune, { config: CONFIG });
  assert.equal(added.error?.code, 999);
  assert.match(added.error?.msg ?? "", /may not use FFI/);
  assert.match(added.error?.details ?? "", /--allow-ffi/);
  assert.deepEqual(added.runs, []);
});
