/**
 * Tests of sysctl-tune, in-process with the harness of `@deno-cni/deno-cni/testing`: `nsenter`
 * is a fake that runs `sysctl` against an in-memory table, so no root is needed, and each test
 * asserts the exact commands the plugin would run.
 */
import assert from "node:assert/strict";
import { versionHasCheck } from "@deno-cni/deno-cni";
import {
  atVersion,
  DEFAULT_TEST_ENV,
  type FakeProgram,
  forEachVersion,
  invoke,
  type ProgramCall,
} from "@deno-cni/deno-cni/testing";
import { sysctlKey, sysctlTune } from "./sysctl_tune.ts";

const NETNS = DEFAULT_TEST_ENV.CNI_NETNS!;

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

/** The container's values before ADD. */
const BEFORE = { "net.ipv4.conf.eth0.rp_filter": "1", "net.core.somaxconn": "4096" };

/** `sysctl` in the test's container namespace, as the toolkit runs it. */
function sysctlIn(...args: string[]): string[] {
  return ["/usr/bin/nsenter", `--net=${NETNS}`, "--", "/usr/sbin/sysctl", ...args];
}

/** The commands of a run, program first. */
function commands(runs: readonly ProgramCall[]): string[][] {
  return runs.map((run) => [run.program, ...run.args]);
}

/**
 * A container's sysctls in memory, read and written by a fake `nsenter ... sysctl`; a key in
 * `refused` cannot be written.
 */
function fakeKernel(values: Record<string, string>, refused: readonly string[] = []) {
  const kernel = new Map(Object.entries(values));
  const nsenter: FakeProgram = (call) => {
    const [, , program, flag, ...rest] = call.args;
    assert.equal(program, "/usr/sbin/sysctl");
    if (flag === "-n") {
      const value = kernel.get(rest[0]!);
      if (value !== undefined) return `${value}\n`;
      return { code: 255, stderr: `sysctl: cannot stat /proc/sys/${rest[0]}: No such file\n` };
    }
    const assignment = rest[1]!;
    const key = assignment.slice(0, assignment.indexOf("="));
    if (refused.includes(key)) {
      return { code: 255, stderr: `sysctl: permission denied on key "${key}"\n` };
    }
    kernel.set(key, assignment.slice(key.length + 1));
    return "";
  };
  const programs: Record<string, FakeProgram> = {
    "/usr/bin/nsenter": nsenter,
    "/usr/sbin/sysctl": () => {
      throw new Error("sysctl runs in the container, through nsenter");
    },
  };
  return { kernel, programs };
}

Deno.test("ADD sets the sysctls in the container and passes the result on unchanged", async (t) => {
  await forEachVersion(t, sysctlTune, async (cniVersion) => {
    const { kernel, programs } = fakeKernel(BEFORE);
    const config = atVersion(CONFIG, cniVersion);
    const added = await invoke(sysctlTune, { config, programs });
    assert.equal(added.code, 0, added.stdout);
    assert.deepEqual(added.json, config.prevResult);
    assert.deepEqual(commands(added.runs), [
      sysctlIn("-n", "net.ipv4.conf.eth0.rp_filter"),
      sysctlIn("-q", "-w", "net.ipv4.conf.eth0.rp_filter=2"),
      sysctlIn("-n", "net.core.somaxconn"),
      sysctlIn("-q", "-w", "net.core.somaxconn=512"),
    ]);
    assert.deepEqual(Object.fromEntries(kernel), {
      "net.ipv4.conf.eth0.rp_filter": "2",
      "net.core.somaxconn": "512",
    });
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
    { key: "net.ipv4.conf.IFNAMES.x", ifName: "eth0", sent: "net.ipv4.conf.IFNAMES.x" },
    {
      key: "net.ipv4.conf.IFNAME.rp_filter",
      ifName: "eth0.10",
      sent: "net/ipv4/conf/eth0.10/rp_filter",
    },
  ];
  for (const row of rows) {
    await t.step(`${row.key} for ${row.ifName}`, async () => {
      assert.equal(sysctlKey(row.key, row.ifName), row.sent);
      const { programs } = fakeKernel({ [row.sent]: "0" });
      const added = await invoke(sysctlTune, {
        env: { CNI_IFNAME: row.ifName },
        config: { ...CONFIG, sysctl: { [row.key]: "1" } },
        programs,
      });
      assert.equal(added.code, 0, added.stdout);
      assert.deepEqual(commands(added.runs), [
        sysctlIn("-n", row.sent),
        sysctlIn("-q", "-w", `${row.sent}=1`),
      ]);
    });
  }
});

Deno.test("ADD puts back what it set when a later step fails", async (t) => {
  await t.step("a sysctl that cannot be written", async () => {
    const { kernel, programs } = fakeKernel(BEFORE, ["net.core.somaxconn"]);
    const added = await invoke(sysctlTune, { config: CONFIG, programs });
    assert.equal(added.code, 1);
    assert.equal(added.error?.code, 999);
    assert.match(added.error?.msg ?? "", /permission denied on key/);
    assert.deepEqual(commands(added.runs), [
      sysctlIn("-n", "net.ipv4.conf.eth0.rp_filter"),
      sysctlIn("-q", "-w", "net.ipv4.conf.eth0.rp_filter=2"),
      sysctlIn("-n", "net.core.somaxconn"),
      sysctlIn("-q", "-w", "net.core.somaxconn=512"),
      sysctlIn("-q", "-w", "net.ipv4.conf.eth0.rp_filter=1"),
    ]);
    assert.deepEqual(Object.fromEntries(kernel), BEFORE);
  });
  await t.step("an answer that cannot be written", async () => {
    const { kernel, programs } = fakeKernel(BEFORE);
    const added = await invoke(sysctlTune, { config: CONFIG, programs, stdout: "closed" });
    assert.equal(added.code, 1);
    assert.deepEqual(commands(added.runs).slice(4), [
      sysctlIn("-q", "-w", "net.core.somaxconn=4096"),
      sysctlIn("-q", "-w", "net.ipv4.conf.eth0.rp_filter=1"),
    ]);
    assert.deepEqual(Object.fromEntries(kernel), BEFORE);
  });
});

Deno.test("CHECK reads the values back", async (t) => {
  await forEachVersion(t, sysctlTune, async (cniVersion) => {
    const config = {
      ...atVersion(CONFIG, cniVersion),
      sysctl: { ...CONFIG.sysctl, "net.ipv4.tcp_rmem": "4096 131072 6291456" },
    };
    const tuned = {
      "net.ipv4.conf.eth0.rp_filter": "2",
      "net.core.somaxconn": "512",
      "net.ipv4.tcp_rmem": "4096\t131072\t6291456",
    };
    const rows = [
      { name: "as configured", kernel: tuned, msg: undefined },
      {
        name: "one changed since",
        kernel: { ...tuned, "net.core.somaxconn": "128" },
        msg: 'sysctl net.core.somaxconn is "128", configured "512"',
      },
    ];
    for (const row of rows) {
      const { programs } = fakeKernel(row.kernel);
      const checked = await invoke(sysctlTune, { command: "CHECK", config, programs });
      assert.equal(checked.error?.msg, row.msg, row.name);
      const read = commands(checked.runs);
      assert.deepEqual(read[0], sysctlIn("-n", "net.ipv4.conf.eth0.rp_filter"), row.name);
      assert.ok(read.every((words) => words.includes("-n")), "CHECK only reads");
    }
  }, { only: versionHasCheck });
});

Deno.test("DEL runs nothing, even with a configuration ADD refuses", async (t) => {
  await forEachVersion(t, sysctlTune, async (cniVersion) => {
    for (const config of [atVersion(CONFIG, cniVersion), { ...CONFIG, sysctl: 5 }]) {
      const { programs } = fakeKernel(BEFORE);
      const deleted = await invoke(sysctlTune, { command: "DEL", config, programs });
      assert.deepEqual([deleted.code, deleted.stdout, deleted.runs], [0, "", []]);
    }
  });
});

Deno.test("ADD refuses a bad configuration with code 7 and runs nothing", async (t) => {
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
    { name: "a value with a newline", sysctl: { "net.core.somaxconn": "1\n2" }, msg: "control" },
  ];
  for (const row of rows) {
    await t.step(row.name, async () => {
      const { programs } = fakeKernel(BEFORE);
      const added = await invoke(sysctlTune, {
        config: { ...CONFIG, sysctl: row.sysctl },
        programs,
      });
      assert.equal(added.error?.code, 7, added.stdout);
      assert.ok(added.error?.msg.includes(row.msg), added.error?.msg);
      const writes = added.runs.filter((run) => run.args.includes("-w"));
      assert.deepEqual(writes, []);
    });
  }
  await t.step("no prevResult", async () => {
    const { programs } = fakeKernel(BEFORE);
    const added = await invoke(sysctlTune, {
      config: { ...CONFIG, prevResult: undefined },
      programs,
    });
    assert.equal(added.error?.code, 7);
    assert.match(added.error?.msg ?? "", /must be called as a chained plugin/);
    assert.deepEqual(added.runs, []);
  });
});
