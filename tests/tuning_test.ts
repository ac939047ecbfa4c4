/**
 * deno-tuning (examples/tuning.ts) in this process, through the dispatcher and the test harness
 * (lib/testing.ts), on the model kernel (`modelKernel()`): CNI_NETNS is a namespace of the model
 * with veth links `eth0` and `eth0.100`; the backup directory and the allowlist file are
 * temporary ones given to `tuningPlugin`. No root and no process.
 *
 * Each case asserts the answer (exit status, error code and message, result), the namespace's
 * state (its sysctls and the link's settings, or its whole snapshot when nothing may change), the
 * backup file (text and mode) and, where the order matters, the kernel's log of changes.
 * tests/e2e/tuning_differential_test.ts compares the plugin with Debian's Go `tuning` in real
 * namespaces.
 */
import assert from "node:assert/strict";
import { tuningPlugin } from "../examples/tuning.ts";
import { definePlugin, type JsonObject, versionHasCheck } from "../lib/mod.ts";
import type { Link } from "../lib/netns.ts";
import {
  atVersion,
  DEFAULT_TEST_ENV,
  forEachVersion,
  invoke,
  type InvokeOptions,
  type InvokeOutcome,
  type ModelKernel,
  modelKernel,
  type ModelNamespace,
  skipReason,
} from "../lib/testing.ts";

const NETNS = DEFAULT_TEST_ENV.CNI_NETNS;
const CONTAINER_ID = DEFAULT_TEST_ENV.CNI_CONTAINERID;
const ETH0_MAC = "0a:58:0a:01:00:05";

/** The settings of a link that tuning changes. */
interface LinkSettings {
  mac: string | undefined;
  mtu: number | undefined;
  promisc: boolean | undefined;
  allmulti: boolean | undefined;
  txqueuelen: number | undefined;
}

function settingsOf(link: Link | undefined): LinkSettings {
  assert.ok(link !== undefined, "the link is there");
  const { mac, mtu, promisc, allmulti, txqueuelen } = link;
  return { mac, mtu, promisc: promisc ?? false, allmulti: allmulti ?? false, txqueuelen };
}

/** A new veth end's settings. */
function fresh(mac = ETH0_MAC): LinkSettings {
  return { mac, mtu: 1500, promisc: false, allmulti: false, txqueuelen: 1000 };
}

/** One test's world: the model kernel, a backup directory, an allowlist path, the plugin. */
interface World {
  kernel: ModelKernel;
  namespace: ModelNamespace;
  dir: string;
  dataDir: string;
  allowlist: string;
  run(options: InvokeOptions): Promise<InvokeOutcome>;
  eth0(): LinkSettings;
  sysctl(key: string): string;
  /** What the plugin changed, one line per change, in order. */
  changes(): string[];
  backupFile(ifName?: string): string;
  backup(ifName?: string): string | undefined;
}

async function world(fn: (w: World) => Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "dcni-tuning-test-" });
  try {
    const kernel = modelKernel();
    const namespace = kernel.addNamespace(NETNS);
    namespace.createLink({ kind: "veth", name: "eth0", peerName: "peer0", mac: ETH0_MAC });
    namespace.createLink({ kind: "veth", name: "eth0.100", peerName: "peer1" });
    const dataDir = `${dir}/data`;
    await Deno.mkdir(dataDir);
    const allowlist = `${dir}/allowlist.conf`;
    const plugin = tuningPlugin({ allowlistFile: allowlist, dataDir });
    const backupFile = (ifName = "eth0") => `${dataDir}/${CONTAINER_ID}_${ifName}.json`;
    await fn({
      kernel,
      namespace,
      dir,
      dataDir,
      allowlist,
      run: (options) => invoke(plugin, { kernel, ...options }),
      eth0: () => settingsOf(namespace.link("eth0")),
      sysctl: (key) => namespace.sysctlGet(key),
      changes: () =>
        kernel.changes().map((entry) => `${entry.operation} ${JSON.stringify(entry.args)}`),
      backupFile,
      backup(ifName) {
        try {
          return Deno.readTextFileSync(backupFile(ifName));
        } catch (error) {
          if (error instanceof Deno.errors.NotFound) return undefined;
          throw error;
        }
      },
    });
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

/** The previous result ptp would give, at 1.0.0. */
const PREVIOUS: JsonObject = {
  cniVersion: "1.0.0",
  interfaces: [
    { name: "veth1234", mac: "0a:00:00:00:00:01" },
    { name: "eth0", mac: ETH0_MAC, sandbox: NETNS },
  ],
  ips: [{ address: "10.1.0.5/24", gateway: "10.1.0.1", interface: 1 }],
  routes: [{ dst: "0.0.0.0/0" }],
};

/** A configuration at `version` (1.0.0 by default) with the previous result. */
function config(keys: JsonObject = {}, version = "1.0.0"): JsonObject {
  return atVersion({
    cniVersion: "1.0.0",
    name: "tuned",
    type: "deno-tuning",
    ...keys,
    prevResult: PREVIOUS,
  }, version);
}

/** The same configuration without the previous result. */
function unchained(keys: JsonObject = {}): JsonObject {
  const { prevResult: _, ...rest } = config(keys);
  return rest;
}

/** A plugin that passes the previous result on: what tuning's result is, but for the MAC. */
const passOn = definePlugin({ name: "pass", add: ({ prevResult }) => prevResult! });

function assertError(outcome: InvokeOutcome, code: number, msg: string): void {
  assert.equal(outcome.code, 1, outcome.stdout);
  assert.deepEqual(outcome.error, { code, msg });
}

function assertOk(outcome: InvokeOutcome): void {
  assert.equal(outcome.code, 0, outcome.stdout + outcome.stderr);
}

/** Every setting at once. */
const ALL_KEYS: JsonObject = {
  sysctl: { "net.core.somaxconn": "512", "net.ipv4.conf.IFNAME.rp_filter": "2" },
  mac: "0a:58:0a:01:00:aa",
  mtu: 1400,
  promisc: true,
  allmulti: true,
  txQLen: 500,
};

Deno.test("ADD applies every setting and passes the previous result on, in every version", async (t) => {
  await forEachVersion(t, tuningPlugin(), async (version) => {
    await world(async (w) => {
      const added = await w.run({ config: config(ALL_KEYS, version) });
      assertOk(added);
      assert.equal(added.stderr, "");
      const passed = await invoke(passOn, { config: config({}, version) });
      const expected = structuredClone(passed.result!);
      for (const iface of expected.interfaces ?? []) {
        if (iface.name === "eth0") iface.mac = "0a:58:0a:01:00:aa";
      }
      assert.deepEqual(added.result, expected);
      assert.equal(w.sysctl("net.core.somaxconn"), "512");
      assert.equal(w.sysctl("net.ipv4.conf.eth0.rp_filter"), "2");
      assert.deepEqual(w.eth0(), {
        mac: "0a:58:0a:01:00:aa",
        mtu: 1400,
        promisc: true,
        allmulti: true,
        txqueuelen: 500,
      });
      assert.equal(
        w.backup(),
        '{\n "mac": "0a:58:0a:01:00:05",\n "promisc": false,\n "mtu": 1500,\n' +
          ' "allmulti": false,\n "txQLen": 1000\n}',
      );
      assert.equal(Deno.statSync(w.backupFile()).mode! & 0o777, 0o600);
    });
  });
});

Deno.test("ADD without a MAC passes the previous result on as sent, as the reference", async (t) => {
  for (const version of ["0.1.0", "0.2.0"]) {
    await t.step(`a ${version} result without addresses, which no conversion takes`, async () => {
      await world(async (w) => {
        const added = await w.run({
          config: { ...config({ mtu: 1400 }, version), prevResult: { cniVersion: version } },
        });
        assertOk(added);
        assert.deepEqual(JSON.parse(added.stdout), { cniVersion: version, dns: {} });
        assert.equal(w.eth0().mtu, 1400);
      });
    });
  }
  await t.step(
    "a 0.3.0 result under a 0.3.1 configuration, in the configuration's version",
    async () => {
      await world(async (w) => {
        const previous = {
          ...PREVIOUS,
          cniVersion: "0.3.0",
          ips: [{ version: "4", address: "10.1.0.5/24", gateway: "10.1.0.1", interface: 1 }],
        };
        const added = await w.run({ config: { ...config({}, "0.3.1"), prevResult: previous } });
        assertOk(added);
        assert.equal(JSON.parse(added.stdout).cniVersion, "0.3.1");
        assert.deepEqual(JSON.parse(added.stdout).ips, [
          { version: "4", address: "10.1.0.5/24", gateway: "10.1.0.1", interface: 1 },
        ]);
      });
    },
  );
});

Deno.test("ADD makes the reference's changes in its order, each setting on its own", async () => {
  await world(async (w) => {
    assertOk(await w.run({ config: config(ALL_KEYS) }));
    assert.deepEqual(w.changes(), [
      'write sysctl ["net/core/somaxconn","512"]',
      'write sysctl ["net/ipv4/conf/eth0/rp_filter","2"]',
      'set link ["eth0",{"mac":"0a:58:0a:01:00:aa"}]',
      'set link ["eth0",{"promisc":true}]',
      'set link ["eth0",{"mtu":1400}]',
      'set link ["eth0",{"allmulti":true}]',
      'set link ["eth0",{"txqueuelen":500}]',
    ]);
  });
});

Deno.test("ADD with sysctls only touches no link and writes no backup", async () => {
  await world(async (w) => {
    assertOk(await w.run({ config: config({ sysctl: { "net.ipv4.ip_forward": "1" } }) }));
    assert.deepEqual(w.changes(), ['write sysctl ["net/ipv4/ip_forward","1"]']);
    assert.ok(!w.kernel.log.some((entry) => /link/.test(entry.operation)), "no link looked at");
    assert.equal(w.backup(), undefined);
  });
});

Deno.test("the MAC: CNI_ARGS, then runtimeConfig.mac, then args.cni.mac", async (t) => {
  const rows: { name: string; keys: JsonObject; args?: string; mac: string | undefined }[] = [
    { name: "mac", keys: { mac: "0a:00:00:00:00:01" }, mac: "0a:00:00:00:00:01" },
    {
      name: "CNI_ARGS MAC over mac",
      keys: { mac: "0a:00:00:00:00:01" },
      args: "IgnoreUnknown=1;K8S_POD_NAME=p;MAC=0a:00:00:00:00:02",
      mac: "0a:00:00:00:00:02",
    },
    {
      name: "an empty CNI_ARGS MAC changes nothing",
      keys: { mac: "0a:00:00:00:00:01" },
      args: "MAC=",
      mac: "0a:00:00:00:00:01",
    },
    {
      name: "runtimeConfig.mac over CNI_ARGS",
      keys: { runtimeConfig: { mac: "0a:00:00:00:00:03", portMappings: [] } },
      args: "MAC=0a:00:00:00:00:02",
      mac: "0a:00:00:00:00:03",
    },
    {
      name: "args.cni.mac over runtimeConfig.mac",
      keys: {
        runtimeConfig: { mac: "0a:00:00:00:00:03" },
        args: { cni: { mac: "0a:00:00:00:00:04" } },
      },
      mac: "0a:00:00:00:00:04",
    },
    {
      name: 'args.cni.mac "" clears every other',
      keys: { mac: "0a:00:00:00:00:01", args: { cni: { mac: "" } } },
      args: "MAC=0a:00:00:00:00:02",
      mac: undefined,
    },
    {
      name: "the result and the link get the kernel's spelling",
      keys: { mac: "0A-00-00-00-00-05" },
      mac: "0a:00:00:00:00:05",
    },
  ];
  for (const row of rows) {
    await t.step(row.name, async () => {
      await world(async (w) => {
        const added = await w.run({
          config: config(row.keys),
          ...(row.args === undefined ? {} : { env: { CNI_ARGS: row.args } }),
        });
        assertOk(added);
        assert.equal(added.stderr, "", "no key is reported as unknown");
        assert.equal(w.eth0().mac, row.mac ?? ETH0_MAC);
        assert.equal(added.result?.interfaces?.[1]?.mac, row.mac ?? ETH0_MAC);
        assert.equal(w.backup() === undefined, row.mac === undefined);
      });
    });
  }
  await t.step("CNI_ARGS with an unknown key fails as Go's LoadArgs does", async () => {
    await world(async (w) => {
      const added = await w.run({ config: config({}), env: { CNI_ARGS: "FOO=1" } });
      assertError(added, 4, 'ARGS: unknown args ["FOO=1"]');
    });
  });
});

Deno.test("an MTU out of range that args.cni replaces by 0 changes nothing, as in Go", async () => {
  await world(async (w) => {
    const added = await w.run({ config: config({ mtu: -1, args: { cni: { mtu: 0 } } }) });
    assertOk(added);
    assert.deepEqual(w.eth0(), fresh());
  });
});

Deno.test("args.cni overrides the top-level keys and merges its sysctls", async () => {
  await world(async (w) => {
    const added = await w.run({
      config: config({
        sysctl: { "net.core.somaxconn": "512", "net.ipv4.ip_forward": "1" },
        mtu: 1400,
        promisc: true,
        txQLen: 500,
        args: {
          cni: {
            sysctl: { "net.core.somaxconn": "256" },
            mtu: 0,
            promisc: false,
            allmulti: true,
            txQLen: 0,
          },
        },
      }),
    });
    assertOk(added);
    assert.equal(w.sysctl("net.core.somaxconn"), "256");
    assert.equal(w.sysctl("net.ipv4.ip_forward"), "1");
    assert.deepEqual(w.eth0(), { ...fresh(), allmulti: true, txqueuelen: 0 });
    assert.equal(w.backup(), '{\n "allmulti": false,\n "txQLen": 1000\n}');
  });
});

Deno.test("args.cni.sysctl without a top-level sysctl is applied", async () => {
  await world(async (w) => {
    const added = await w.run({
      config: config({ args: { cni: { sysctl: { "net.ipv4.ip_forward": "1" } } } }),
    });
    assertOk(added);
    assert.equal(w.sysctl("net.ipv4.ip_forward"), "1");
  });
});

Deno.test("sysctl keys: under /proc/sys/net/, IFNAME replaced, dots first", async (t) => {
  const rows: { name: string; key: string; ifName?: string; file?: string; msg?: string }[] = [
    { name: "a dotted key", key: "net.core.somaxconn", file: "net/core/somaxconn" },
    { name: "a key with slashes", key: "net/core/somaxconn", file: "net/core/somaxconn" },
    { name: "a leading slash is cleaned", key: "/net/core/somaxconn", file: "net/core/somaxconn" },
    {
      name: "IFNAME, with the interface's own dots kept",
      key: "net.ipv4.conf.IFNAME.rp_filter",
      ifName: "eth0.100",
      file: "net/ipv4/conf/eth0.100/rp_filter",
    },
    {
      name: "IFNAME as a name the toolkit takes no key with",
      key: "net.ipv4.conf.IFNAME.rp_filter",
      ifName: "a%b",
      msg: 'invalid sysctl key "net/ipv4/conf/a%b/rp_filter"',
    },
    {
      name: "outside net",
      key: "kernel.hostname",
      msg: 'invalid net sysctl key: "kernel/hostname"',
    },
    { name: "net itself", key: "net", msg: 'invalid net sysctl key: "net"' },
    { name: "net.", key: "net.", msg: 'invalid net sysctl key: "net/"' },
    { name: "an empty key", key: "", msg: 'invalid net sysctl key: ""' },
  ];
  for (const row of rows) {
    await t.step(row.name, async () => {
      await world(async (w) => {
        const added = await w.run({
          config: config({ sysctl: { [row.key]: "1" } }),
          env: { CNI_IFNAME: row.ifName ?? "eth0" },
        });
        if (row.msg !== undefined) {
          assertError(added, 7, row.msg);
          assert.deepEqual(w.changes(), [], "nothing was changed");
          return;
        }
        assertOk(added);
        assert.equal(w.sysctl(row.file!), "1");
      });
    });
  }
});

Deno.test("a sysctl key written twice is refused, as the configuration's text has it", async (t) => {
  const base = JSON.stringify(config({}));
  const rows: [string, string, boolean][] = [
    ["the same key twice", '"sysctl":{"net.core.somaxconn":"1","net.core.somaxconn":"2"}', true],
    ["one written with an escape", '"sysctl":{"net.core.a":"1","net.core.\\u0061":"2"}', true],
    ["in two sysctl keys of other cases", '"sysctl":{"net.a":"1"},"SysCtl":{"net.a":"2"}', true],
    ["a key and its upper-case twin are two keys", '"sysctl":{"net.a":"1","NET.a":"2"}', false],
    [
      "under args.cni, which is not looked at",
      '"args":{"cni":{"sysctl":{"a":"1","a":"2"}}}',
      false,
    ],
  ];
  for (const [name, member, refused] of rows) {
    await t.step(name, async () => {
      await world(async (w) => {
        for (const command of ["ADD", "CHECK"]) {
          const outcome = await w.run({ command, config: `{${member},${base.slice(1)}` });
          if (refused) assertError(outcome, 7, "duplicated sysctl keys are not allowed");
          else assert.notEqual(outcome.error?.msg, "duplicated sysctl keys are not allowed");
        }
        const deleted = await w.run({ command: "DEL", config: `{${member},${base.slice(1)}` });
        assertOk(deleted);
      });
    });
  }
});

Deno.test("the allowlist: absent allows all, present allows what a line matches", async (t) => {
  const keys = { sysctl: { "net.core.somaxconn": "512", "net.ipv4.conf.IFNAME.rp_filter": "1" } };
  const rows: { name: string; file?: string; msg?: string; code?: number }[] = [
    { name: "no file" },
    {
      name: "each key matches a line (blank lines and spaces ignored)",
      file: "\n  ^net\\.core\\.somaxconn$  \n\n^net\\.ipv4\\.conf\\.IFNAME\\.[a-z_]+$\n",
    },
    { name: "unanchored, as Go's MatchString", file: "somaxconn\nrp_filter\n" },
    {
      name: "a key no line matches",
      file: "^net\\.core\\.somaxconn$\n",
      code: 7,
      msg: "Sysctl net.ipv4.conf.IFNAME.rp_filter is not allowed. Only the following sysctls " +
        "are allowed: [^net\\.core\\.somaxconn$]",
    },
    {
      name: "an empty file allows nothing",
      file: "\n",
      code: 7,
      msg: "Sysctl net.core.somaxconn is not allowed. Only the following sysctls are allowed: []",
    },
    {
      name: "RE2's syntax: (?i), \\z and escaped punctuation",
      file: "(?i)^NET\\.core\\.\\S+\\z\n\\-|rp_filter",
    },
    {
      name: "RE2's ungreedy flag, which JavaScript lacks",
      file: "(?U)somaxconn\n",
      code: 999,
      msg: "%ALLOWLIST%: error parsing regexp: invalid or unsupported Perl syntax: `(?U)`",
    },
    {
      name: "an expression Go refuses",
      file: "(?=net)\n",
      code: 999,
      msg: "%ALLOWLIST%: error parsing regexp: invalid or unsupported Perl syntax: `(?=`",
    },
  ];
  for (const row of rows) {
    await t.step(row.name, async () => {
      await world(async (w) => {
        if (row.file !== undefined) await Deno.writeTextFile(w.allowlist, row.file);
        const added = await w.run({ config: config(keys) });
        if (row.msg === undefined) {
          assertOk(added);
          assert.equal(w.sysctl("net.core.somaxconn"), "512");
          return;
        }
        assertError(added, row.code!, row.msg.replace("%ALLOWLIST%", w.allowlist));
        assert.deepEqual(w.kernel.log, []);
      });
    });
  }
  await t.step("args.cni.sysctl is checked too; CHECK and DEL do not read the file", async () => {
    await world(async (w) => {
      await Deno.writeTextFile(w.allowlist, "somaxconn\n");
      const keys = { args: { cni: { sysctl: { "net.ipv4.ip_forward": "1" } } } };
      assertError(
        await w.run({ config: config(keys) }),
        7,
        "Sysctl net.ipv4.ip_forward is not allowed. Only the following sysctls are allowed: " +
          "[somaxconn]",
      );
      await Deno.remove(w.allowlist);
      await Deno.mkdir(w.allowlist);
      assertError(
        await w.run({ command: "CHECK", config: config(keys) }),
        999,
        "Error: Tuning configured value of /proc/sys/net/ipv4/ip_forward is 1, current value is 0",
      );
      assertOk(await w.run({ command: "DEL", config: config(keys) }));
    });
  });
  await t.step("an allowlist that cannot be read fails ADD", async () => {
    await world(async (w) => {
      await Deno.mkdir(w.allowlist);
      const added = await w.run({ config: config(keys) });
      assert.equal(added.error?.code, 999);
      assert.match(added.error?.msg ?? "", new RegExp(`^read ${w.allowlist}: `));
    });
  });
});

Deno.test("ADD without a previous result fails as the reference does, changing nothing", async () => {
  await world(async (w) => {
    assertError(await w.run({ config: unchained(ALL_KEYS) }), 999, "Required prevResult missing");
    assertError(
      await w.run({ command: "CHECK", config: unchained(ALL_KEYS) }),
      999,
      "Required prevResult missing",
    );
    assert.deepEqual(w.kernel.log, []);
  });
});

Deno.test("bad values are refused before anything changes", async (t) => {
  const rows: { name: string; keys: JsonObject; code: number; msg: string }[] = [
    {
      name: "a MAC Go cannot parse",
      keys: { mac: "0a:58:0a:01:00" },
      code: 7,
      msg: "invalid args 0a:58:0a:01:00 for MAC addr: address 0a:58:0a:01:00: invalid MAC address",
    },
    {
      name: "a MAC of 8 bytes",
      keys: { mac: "00:11:22:33:44:55:66:77" },
      code: 7,
      msg: "invalid args 00:11:22:33:44:55:66:77 for MAC addr: an interface takes a 6-byte " +
        "Ethernet address",
    },
    {
      name: "a negative MTU",
      keys: { mtu: -1 },
      code: 7,
      msg: 'invalid network configuration: "mtu" must be an integer from 0 to 4294967295, got -1',
    },
    {
      name: "a txQLen that is not a number",
      keys: { txQLen: "long" },
      code: 7,
      msg: 'invalid network configuration: "txQLen" must be an integer, got "long"',
    },
    {
      name: "a negative MTU that args.cni does not replace",
      keys: { mtu: -1, args: { cni: { promisc: false } } },
      code: 7,
      msg: 'invalid network configuration: "mtu" must be an integer from 0 to 4294967295, got -1',
    },
    {
      name: "a sysctl value that is not a string",
      keys: { sysctl: { "net.core.somaxconn": 512 } },
      code: 7,
      msg: 'invalid network configuration: "sysctl.net.core.somaxconn" must be a string, got 512',
    },
    {
      name: "promisc that is not a boolean",
      keys: { promisc: "yes" },
      code: 7,
      msg: 'invalid network configuration: "promisc" must be true or false, got "yes"',
    },
  ];
  for (const row of rows) {
    await t.step(row.name, async () => {
      await world(async (w) => {
        const keys = { sysctl: { "net.ipv4.ip_forward": "1" }, ...row.keys };
        assertError(await w.run({ config: config(keys) }), row.code, row.msg);
        assert.deepEqual(w.kernel.log, []);
        assert.equal(w.backup(), undefined);
      });
    });
  }
});

Deno.test("a failing ADD puts back what it changed", async (t) => {
  const rows: { name: string; keys: JsonObject; env?: Record<string, string>; msg: string }[] = [
    {
      name: "a link that does not exist",
      keys: { sysctl: { "net.core.somaxconn": "512" }, mtu: 1400 },
      env: { CNI_IFNAME: "net9" },
      msg: 'failed to get "net9": Link not found',
    },
    {
      name: "an MTU the kernel refuses, after the MAC",
      keys: { sysctl: { "net.core.somaxconn": "512" }, mac: "0a:00:00:00:00:09", mtu: 70000 },
      msg: 'failed to set MTU of "eth0": invalid argument',
    },
    {
      name: "a multicast MAC",
      keys: { mac: "01:00:5e:00:00:01", sysctl: { "net.core.somaxconn": "512" } },
      msg: 'failed to set MAC address of "eth0": cannot assign requested address',
    },
    {
      name: "a sysctl value the kernel refuses, after another",
      keys: { sysctl: { "net.core.somaxconn": "512", "net.ipv4.ip_forward": "on" } },
      msg: "write /proc/sys/net/ipv4/ip_forward: invalid argument",
    },
    {
      name: "a sysctl that does not exist",
      keys: { sysctl: { "net.core.somaxconn": "512", "net.core.nope": "1" } },
      msg: "open /proc/sys/net/core/nope: no such file or directory",
    },
  ];
  for (const row of rows) {
    await t.step(row.name, async () => {
      await world(async (w) => {
        const before = w.kernel.snapshot(NETNS);
        const added = await w.run({ config: config(row.keys), ...(row.env && { env: row.env }) });
        assertError(added, 999, row.msg);
        assert.deepEqual(w.kernel.snapshot(NETNS), before);
        assert.equal(w.backup(), undefined);
      });
    });
  }
  await t.step("an answer that cannot be written", async () => {
    await world(async (w) => {
      const before = w.kernel.snapshot(NETNS);
      const added = await w.run({ config: config(ALL_KEYS), stdout: "closed" });
      assert.equal(added.code, 1);
      assert.ok(w.changes().length > 7, "it had changed things");
      assert.deepEqual(w.kernel.snapshot(NETNS), before);
      assert.equal(w.backup(), undefined);
    });
  });
  await t.step("a repeated ADD that fails leaves the first one's backup", async () => {
    await world(async (w) => {
      assertOk(await w.run({ config: config({ mtu: 1400 }) }));
      const backup = w.backup();
      const again = await w.run({ config: config({ mtu: 1300, mac: "01:00:5e:00:00:01" }) });
      assert.equal(again.code, 1);
      assert.equal(w.backup(), backup);
      assert.equal(w.eth0().mtu, 1400);
    });
  });
});

Deno.test("sysctl values: empty writes nothing, a tab is written as it is", async () => {
  await world(async (w) => {
    const added = await w.run({
      config: config({
        sysctl: { "net.core.somaxconn": "", "net.ipv4.tcp_rmem": "4096\t87380\t6291456" },
      }),
    });
    assertOk(added);
    assert.deepEqual(w.changes(), ['write sysctl ["net/ipv4/tcp_rmem","4096\\t87380\\t6291456"]']);
    assert.equal(w.sysctl("net.ipv4.tcp_rmem"), "4096\t87380\t6291456");
    assertOk(
      await w.run({
        command: "CHECK",
        config: config({ sysctl: { "net.ipv4.tcp_rmem": "4096\t87380\t6291456" } }),
      }),
    );
  });
});

Deno.test("a sysctl that cannot be read is written; only its undo is lost", async () => {
  await world(async (w) => {
    const keys = { sysctl: { "net.ipv6.conf.all.stable_secret": "fd00::1" } };
    assertOk(await w.run({ config: config(keys) }));
    assert.deepEqual(w.changes(), ['write sysctl ["net/ipv6/conf/all/stable_secret","fd00::1"]']);
  });
});

Deno.test("a namespace that is gone fails ADD and CHECK as the reference does", async () => {
  await world(async (w) => {
    const env = { CNI_NETNS: "/var/run/netns/gone" };
    const msg = 'failed to Statfs "/var/run/netns/gone": no such file or directory';
    assertError(await w.run({ config: config(ALL_KEYS), env }), 999, msg);
    assertError(await w.run({ command: "CHECK", config: config(ALL_KEYS), env }), 999, msg);
    const nothing = config({ sysctl: { "net.core.somaxconn": "" } });
    assertError(await w.run({ config: nothing, env }), 999, msg);
  });
});

Deno.test("a repeated ADD keeps what the first one backed up", async () => {
  await world(async (w) => {
    assertOk(await w.run({ config: config({ mtu: 1400 }) }));
    assertOk(await w.run({ config: config({ mtu: 1300, promisc: true }) }));
    assert.equal(w.backup(), '{\n "promisc": false,\n "mtu": 1500\n}');
    assertOk(await w.run({ command: "DEL", config: config({}) }));
    assert.deepEqual(w.eth0(), fresh());
    assert.equal(w.backup(), undefined);
  });
});

Deno.test("CHECK passes after ADD and names the first setting that differs", async (t) => {
  await forEachVersion(t, tuningPlugin(), async (version) => {
    await world(async (w) => {
      assertOk(await w.run({ config: config(ALL_KEYS, version) }));
      assertOk(await w.run({ command: "CHECK", config: config(ALL_KEYS, version) }));
    });
  }, { only: versionHasCheck });
  const rows: { name: string; keys: JsonObject; msg: string }[] = [
    {
      name: "a sysctl",
      keys: { sysctl: { "net.core.somaxconn": "100" } },
      msg: "Error: Tuning configured value of /proc/sys/net/core/somaxconn is 100, current value " +
        "is 512",
    },
    {
      name: "a sysctl that does not exist",
      keys: { sysctl: { "net.core.nope": "1" } },
      msg: "open /proc/sys/net/core/nope: no such file or directory",
    },
    {
      name: "an invalid key",
      keys: { sysctl: { "kernel.hostname": "x" } },
      msg: 'invalid net sysctl key: "kernel/hostname"',
    },
    {
      name: "the MAC",
      keys: { mac: "0a:58:0a:01:00:bb" },
      msg: "Error: Tuning configured Ethernet of eth0 is 0a:58:0a:01:00:bb, current value is " +
        "0a:58:0a:01:00:aa",
    },
    {
      name: "promiscuous mode left on",
      keys: { promisc: false },
      msg: "Error: Tuning link eth0 configured promisc is false, current value is 1",
    },
    {
      name: "the MTU",
      keys: { mtu: 1300, promisc: true },
      msg: "Error: Tuning configured MTU of eth0 is 1300, current value is 1400",
    },
    {
      name: "all-multicast mode",
      keys: { allmulti: false, promisc: true },
      msg: "Error: Tuning configured all-multicast mode of eth0 is false, current value is true",
    },
    {
      name: "the queue length",
      keys: { txQLen: 100, promisc: true },
      msg: "Error: Tuning configured Transmit Queue Length of eth0 is 100, current value is 500",
    },
  ];
  for (const row of rows) {
    await t.step(row.name, async () => {
      await world(async (w) => {
        assertOk(await w.run({ config: config(ALL_KEYS) }));
        const code = row.msg.startsWith("invalid net") ? 7 : 999;
        assertError(await w.run({ command: "CHECK", config: config(row.keys) }), code, row.msg);
      });
    });
  }
  await t.step("a promiscuous link the configuration does not ask for", async () => {
    await world(async (w) => {
      w.namespace.setLink("eth0", { promisc: true });
      assertError(
        await w.run({ command: "CHECK", config: config({}) }),
        999,
        "Error: Tuning link eth0 configured promisc is false, current value is 1",
      );
    });
  });
  await t.step("a link that is gone, even with sysctls only", async () => {
    await world(async (w) => {
      assertError(
        await w.run({
          command: "CHECK",
          config: config({ sysctl: { "net.core.somaxconn": "4096" } }),
          env: { CNI_IFNAME: "net9" },
        }),
        999,
        "Cannot find container link net9",
      );
    });
  });
  await t.step("a MAC in another spelling is the same MAC", async () => {
    await world(async (w) => {
      assertOk(await w.run({ config: config({ mac: "0A:58:0A:01:00:AA" }) }));
      assertOk(await w.run({ command: "CHECK", config: config({ mac: "0a-58-0a-01-00-aa" }) }));
    });
  });
});

Deno.test("DEL puts the link back and removes the backup", async (t) => {
  await forEachVersion(t, tuningPlugin(), async (version) => {
    await world(async (w) => {
      assertOk(await w.run({ config: config(ALL_KEYS, version) }));
      const deleted = await w.run({ command: "DEL", config: config(ALL_KEYS, version) });
      assertOk(deleted);
      assert.equal(deleted.stdout, "");
      assert.deepEqual(w.eth0(), fresh());
      assert.equal(w.backup(), undefined);
      assert.equal(w.sysctl("net.core.somaxconn"), "512", "sysctls stay");
      assertOk(await w.run({ command: "DEL", config: config(ALL_KEYS, version) }));
    });
  });
});

Deno.test("DEL never fails", async (t) => {
  const rows: {
    name: string;
    env?: Record<string, string>;
    keys?: JsonObject;
    backup?: string;
    kept: boolean;
    warning?: RegExp;
  }[] = [
    { name: "without ADD", kept: false },
    { name: "a namespace that is gone", env: { CNI_NETNS: "/var/run/netns/gone" }, kept: false },
    { name: "without CNI_NETNS", env: { CNI_NETNS: "" }, kept: false },
    { name: "a link that is gone", env: { CNI_IFNAME: "net9" }, kept: false },
    {
      name: "a backup that is not JSON",
      backup: "{",
      kept: true,
      warning: /kept the backup .*: it is not a backup of a link/,
    },
    {
      name: "a backup the kernel refuses",
      backup: '{\n "mtu": 70000,\n "promisc": true\n}',
      kept: true,
      warning: /kept the backup .*: failed to restore MTU: failed to set MTU of "eth0": /,
    },
    {
      name: "keys it has no use for that are invalid",
      keys: { mtu: "big", sysctl: 5 },
      kept: false,
    },
    {
      name: "a dataDir that is not a string",
      keys: { dataDir: 5 },
      kept: true,
      warning: /DEL succeeds without releasing anything: .*"dataDir" must be a string/,
    },
    { name: "CNI_ARGS it has no use for", env: { CNI_ARGS: "FOO=1;bad" }, kept: false },
    {
      name: "a CNI_NETNS that is not a namespace",
      env: { CNI_NETNS: "/var/run/netns/a-file" },
      kept: true,
      warning: /kept the backup .*is not a network namespace/,
    },
  ];
  for (const row of rows) {
    await t.step(row.name, async () => {
      await world(async (w) => {
        w.kernel.addFile("/var/run/netns/a-file", "file");
        const ifName = row.env?.CNI_IFNAME ?? "eth0";
        Deno.writeTextFileSync(w.backupFile(ifName), row.backup ?? '{\n "mtu": 1400\n}');
        const deleted = await w.run({
          command: "DEL",
          config: config(row.keys ?? {}),
          ...(row.env && { env: row.env }),
        });
        assertOk(deleted);
        assert.equal(deleted.stdout, "");
        assert.equal(w.backup(ifName) !== undefined, row.kept);
        if (row.warning) assert.match(deleted.stderr, row.warning);
      });
    });
  }
  await t.step("a backup the Go plugin wrote", async () => {
    await world(async (w) => {
      w.namespace.setLink("eth0", { mac: "0a:00:00:00:00:aa", mtu: 1400, promisc: true });
      Deno.writeTextFileSync(
        w.backupFile(),
        '{\n "mac": "0a:58:0a:01:00:05",\n "promisc": false,\n "mtu": 1500\n}',
      );
      assertOk(await w.run({ command: "DEL", config: config({}) }));
      assert.deepEqual(w.eth0(), fresh());
    });
  });
});

/** Only root may write into a directory of mode 0600, which the reference makes. */
const notRoot = await skipReason({ root: true });

Deno.test("the backup directory is made with mode 0600 when missing", {
  ignore: notRoot !== undefined,
}, async () => {
  await world(async (w) => {
    const dataDir = `${w.dir}/made/here`;
    const added = await w.run({ config: config({ mtu: 1400, dataDir }) });
    assertOk(added);
    assert.equal(Deno.statSync(`${w.dir}/made`).mode! & 0o777, 0o600);
    assert.equal(Deno.statSync(dataDir).mode! & 0o777, 0o600);
    assert.ok(Deno.statSync(`${dataDir}/${CONTAINER_ID}_eth0.json`).isFile);
  });
});

Deno.test("CHECK refuses a sysctl key outside /proc/sys/net/, as ADD does", async () => {
  await world(async (w) => {
    const checked = await w.run({
      command: "CHECK",
      config: config({ sysctl: { "kernel.hostname": "node" } }),
    });
    assertError(checked, 7, 'invalid net sysctl key: "kernel/hostname"');
  });
});

Deno.test("a previous result of another version family is code 6, as in every plugin", async () => {
  await world(async (w) => {
    const previous = {
      ...PREVIOUS,
      cniVersion: "0.4.0",
      ips: [{ version: "4", address: "10.1.0.5/24", interface: 1 }],
    };
    const added = await w.run({ config: { ...config({ mtu: 1400 }), prevResult: previous } });
    assertError(
      added,
      6,
      'could not parse prevResult: result type supports [1.0.0 1.1.0] but unmarshalled CNIVersion is "0.4.0"',
    );
    assert.deepEqual(w.changes(), []);
  });
});

Deno.test("GC and STATUS (spec 1.1.0) succeed and touch nothing", async () => {
  await world(async (w) => {
    for (const command of ["GC", "STATUS"]) {
      const outcome = await w.run({
        command,
        config: { cniVersion: "1.1.0", name: "tuned", type: "deno-tuning", mtu: 1400 },
      });
      assertOk(outcome);
      assert.equal(outcome.stdout, "");
    }
    assert.deepEqual(w.kernel.log, []);
  });
});
