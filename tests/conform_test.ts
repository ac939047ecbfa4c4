/**
 * conform (cli/conform.ts) without root: its rules (stdout documents, error objects, results of
 * each version), its command line, report, plugin host and configuration loading, and the whole
 * tool on the plugins of tests/testdata/conform/ with a sandbox whose "namespace" is a directory
 * and whose links are the files in it.
 */
import assert from "node:assert/strict";
import { denoHost, type Host, type RunOptions, type RunOutput } from "../lib/protocol.ts";
import { parseCommandLine, UsageError } from "../cli/_conform/args.ts";
import { Cleanup } from "../cli/_conform/cleanup.ts";
import { jsonDocuments, nothingProblem, oneDocumentProblem } from "../cli/_conform/documents.ts";
import { errorObjectProblem } from "../cli/_conform/error_object.ts";
import { runConform } from "../cli/_conform/main.ts";
import { pluginHost } from "../cli/_conform/plugin_host.ts";
import { formatCheck, formatSummary, summarize } from "../cli/_conform/report.ts";
import { containerInterfaces, resultProblems } from "../cli/_conform/result_rules.ts";
import { linkNames, netnsPath, type SandboxFactory } from "../cli/_conform/sandbox.ts";
import { pluginLabels } from "../cli/_conform/findings.ts";
import { loadTarget } from "../cli/_conform/target.ts";
import { type CheckResult, CHECKS } from "../cli/_conform/types.ts";
import { configPath, FAKE_PLUGINS, writeLaunchers } from "./testdata/conform/fakes.ts";
import { groupGone, killGroup, waitFor } from "./runtime/_process_groups.ts";

// ---------------------------------------------------------------------------------------------
// stdout documents

Deno.test("jsonDocuments() and oneDocumentProblem() count the JSON documents on stdout", async (t) => {
  const table: [string, number, string | undefined][] = [
    ['{"a":1}', 1, undefined],
    ['\n  {"a":1}\n', 1, undefined],
    ['"text"', 1, undefined],
    ["[1, 2]", 1, undefined],
    ['{"s":"}{"}', 1, undefined],
    ['{"s":"\\"}{"}', 1, undefined],
    ["", 0, "stdout is empty"],
    [" \n", 0, "stdout is empty"],
    ['{"a":1}{"b":2}', 2, "stdout holds 2 JSON documents, not one"],
    ['{"msg":"adding"}\n{"cniVersion":"1.0.0"}\n', 2, "stdout holds 2 JSON documents, not one"],
    ["5 6", 2, "stdout holds 2 JSON documents, not one"],
    ['adding eth0\n{"a":1}', 0, 'stdout is not JSON: "adding eth0\\n{\\"a\\":1}" is not JSON'],
    ['{"a":1}\nok', 1, 'stdout holds text after 1 JSON document(s): "ok" is not JSON'],
    ['{"a":', 0, 'stdout is not JSON: "{\\"a\\":" is not JSON'],
  ];
  for (const [stdout, count, problem] of table) {
    await t.step(JSON.stringify(stdout), () => {
      assert.equal(jsonDocuments(stdout).values.length, count);
      assert.equal(oneDocumentProblem(stdout), problem);
    });
  }
});

Deno.test("nothingProblem() allows whitespace only", () => {
  assert.equal(nothingProblem(""), undefined);
  assert.equal(nothingProblem("\n \t"), undefined);
  assert.equal(nothingProblem('{"ok":true}\n'), 'stdout is not empty: "{\\"ok\\":true}"');
});

// ---------------------------------------------------------------------------------------------
// Error objects

Deno.test("errorObjectProblem() wants a spec code or 100 and above, and a message", async (t) => {
  const table: [unknown, string | undefined][] = [
    [{ code: 4, msg: "required env variables [CNI_IFNAME] missing" }, undefined],
    [{ code: 7, msg: "bad", details: "more" }, undefined],
    [{ code: 50, msg: "not ready" }, undefined],
    [{ code: 100, msg: "mine" }, undefined],
    [{ code: 999, msg: "internal" }, undefined],
    [
      { code: 0, msg: "x" },
      "the error code 0 is neither a spec code (1, 2, 3, 4, 5, 6, 7, 11, 50, 51) nor 100 or above",
    ],
    [
      { code: 8, msg: "x" },
      "the error code 8 is neither a spec code (1, 2, 3, 4, 5, 6, 7, 11, 50, 51) nor 100 or above",
    ],
    [{ code: "4", msg: "x" }, 'the error code "4" is not an unsigned integer'],
    [{ code: 4.5, msg: "x" }, "the error code 4.5 is not an unsigned integer"],
    [{ code: -1, msg: "x" }, "the error code -1 is not an unsigned integer"],
    [{ msg: "x" }, 'the error object has no "code"'],
    [{ code: 4 }, 'the error object has no string "msg"'],
    [{ code: 4, msg: "" }, 'the error object\'s "msg" is empty'],
    [{ code: 4, msg: "x", details: 5 }, 'the error object\'s "details" is not a string'],
    [[], "the error answer is not a JSON object"],
    ["failed", "the error answer is not a JSON object"],
  ];
  for (const [value, problem] of table) {
    await t.step(JSON.stringify(value), () => assert.equal(errorObjectProblem(value), problem));
  }
});

// ---------------------------------------------------------------------------------------------
// Results

const NETNS = "/var/run/netns/c1";

function result(cniVersion: string, extra: Record<string, unknown> = {}) {
  return { cniVersion, ...extra };
}

Deno.test("resultProblems() accepts a valid result of each family", async (t) => {
  const table: [string, unknown][] = [
    ["0.1.0", result("0.1.0", { ip4: { ip: "10.0.0.2/24", gateway: "10.0.0.1" }, dns: {} })],
    [
      "0.2.0",
      result("0.2.0", {
        ip4: { ip: "10.0.0.2/24", routes: [{ dst: "0.0.0.0/0", gw: "10.0.0.1" }] },
        ip6: { ip: "2001:db8::2/64" },
        dns: { nameservers: ["10.0.0.53"] },
      }),
    ],
    [
      "0.3.1",
      result("0.3.1", {
        interfaces: [{ name: "br0", mac: "0a:58:0a:00:00:01" }, { name: "eth0", sandbox: NETNS }],
        ips: [{ version: "4", address: "10.0.0.2/24", gateway: "10.0.0.1", interface: 1 }],
        routes: [{ dst: "0.0.0.0/0" }],
        dns: {},
      }),
    ],
    [
      "0.4.0",
      result("0.4.0", {
        ips: [{ version: "6", address: "2001:db8::2/64" }],
        dns: { domain: "example.org", search: ["example.org"], options: ["ndots:2"] },
      }),
    ],
    [
      "1.0.0",
      result("1.0.0", {
        interfaces: [{ name: "eth0", mac: "0A-58-0A-00-00-02", sandbox: NETNS }],
        ips: [{ address: "10.0.0.2/24", gateway: "10.0.0.1", interface: 0 }],
      }),
    ],
    [
      "1.1.0",
      result("1.1.0", {
        interfaces: [{ name: "eth0", mtu: 1500, sandbox: NETNS, socketPath: "", pciID: "" }],
        ips: [{ address: "10.0.0.2/24" }],
        routes: [{ dst: "0.0.0.0/0", gw: "10.0.0.1", mtu: 1400, priority: 10, table: 100 }],
      }),
    ],
    ["1.0.0 empty", result("1.0.0")],
  ];
  for (const [name, value] of table) {
    await t.step(name, () => {
      const cniVersion = name.split(" ")[0]!;
      assert.deepEqual(resultProblems(value, { cniVersion, netns: NETNS }), []);
    });
  }
});

Deno.test("resultProblems() names each broken rule", async (t) => {
  const table: [string, string, unknown, string[]][] = [
    ["not an object", "1.0.0", [], ["the result is not a JSON object"]],
    ["another version", "1.0.0", result("0.4.0"), [
      'cniVersion "0.4.0" is not the configuration\'s "1.0.0"',
    ]],
    ["no version", "1.0.0", {}, ['cniVersion undefined is not the configuration\'s "1.0.0"']],
    ["ips in a 0.2.0 result", "0.2.0", result("0.2.0", { ips: [] }), [
      "ips is not a member of a 0.1.0/0.2.0 result",
    ]],
    ["ip4 in a 1.0.0 result", "1.0.0", result("1.0.0", { ip4: { ip: "10.0.0.2/24" } }), [
      "ip4 is not a member of a 1.0.0 result",
    ]],
    ["ip4 holding IPv6", "0.2.0", result("0.2.0", { ip4: { ip: "2001:db8::2/64" } }), [
      "ip4.ip is not an IPv4 address",
    ]],
    [
      "IP version in 1.x",
      "1.0.0",
      result("1.0.0", { ips: [{ version: "4", address: "10.0.0.2/24" }] }),
      [
        "ips[0].version is not a member of a 1.x result (removed in spec 1.0.0)",
      ],
    ],
    ["no IP version in 0.4.0", "0.4.0", result("0.4.0", { ips: [{ address: "10.0.0.2/24" }] }), [
      'ips[0].version undefined is not "4" or "6"',
    ]],
    [
      "IP version of the other family",
      "0.3.1",
      result("0.3.1", {
        ips: [{ version: "6", address: "10.0.0.2/24" }],
      }),
      ['ips[0].version "6" does not match the address'],
    ],
    ["address without prefix", "1.0.0", result("1.0.0", { ips: [{ address: "10.0.0.2" }] }), [
      'ips[0].address "10.0.0.2" is not a CIDR',
    ]],
    ["missing address", "1.0.0", result("1.0.0", { ips: [{ gateway: "10.0.0.1" }] }), [
      "ips[0].address is missing",
    ]],
    [
      "gateway not an IP",
      "1.0.0",
      result("1.0.0", {
        ips: [{ address: "10.0.0.2/24", gateway: "10.0.0.1/24" }],
      }),
      ['ips[0].gateway "10.0.0.1/24" is not an IP address'],
    ],
    [
      "gateway of another family",
      "1.0.0",
      result("1.0.0", {
        ips: [{ address: "10.0.0.2/24", gateway: "2001:db8::1" }],
      }),
      ["ips[0].gateway is not of the address's family"],
    ],
    [
      "interface index out of range",
      "1.0.0",
      result("1.0.0", {
        interfaces: [{ name: "eth0", sandbox: NETNS }],
        ips: [{ address: "10.0.0.2/24", interface: 1 }],
      }),
      ["ips[0].interface 1 is out of range: the result lists 1 interface(s)"],
    ],
    [
      "interface index without interfaces",
      "0.4.0",
      result("0.4.0", {
        ips: [{ version: "4", address: "10.0.0.2/24", interface: 0 }],
      }),
      ["ips[0].interface 0 is out of range: the result lists 0 interface(s)"],
    ],
    [
      "negative interface index",
      "1.0.0",
      result("1.0.0", {
        interfaces: [{ name: "eth0" }],
        ips: [{ address: "10.0.0.2/24", interface: -1 }],
      }),
      ["ips[0].interface -1 is not an unsigned integer"],
    ],
    [
      "sandbox not CNI_NETNS",
      "1.0.0",
      result("1.0.0", {
        interfaces: [{ name: "eth0", sandbox: "/var/run/netns/other" }],
      }),
      [
        'interfaces[0].sandbox "/var/run/netns/other" is not CNI_NETNS "/var/run/netns/c1"',
      ],
    ],
    ["interface without name", "1.0.0", result("1.0.0", { interfaces: [{ mac: "" }] }), [
      "interfaces[0].name is missing or not a non-empty string",
    ]],
    ["bad MAC", "1.0.0", result("1.0.0", { interfaces: [{ name: "eth0", mac: "zz" }] }), [
      'interfaces[0].mac "zz" is not a hardware address',
    ]],
    ["route without destination", "1.0.0", result("1.0.0", { routes: [{ gw: "10.0.0.1" }] }), [
      "routes[0].dst is missing",
    ]],
    [
      "route MTU in 1.1.0",
      "1.1.0",
      result("1.1.0", {
        routes: [{ dst: "0.0.0.0/0", mtu: "big" }],
      }),
      ['routes[0].mtu "big" is not an unsigned integer'],
    ],
    ["nameserver not an IP", "1.0.0", result("1.0.0", { dns: { nameservers: ["ns1"] } }), [
      'dns.nameservers[0] "ns1" is not an IP address',
    ]],
    ["interfaces not a list", "1.0.0", result("1.0.0", { interfaces: {} }), [
      "interfaces is not a list",
    ]],
  ];
  for (const [name, cniVersion, value, problems] of table) {
    await t.step(name, () => {
      assert.deepEqual(resultProblems(value, { cniVersion, netns: NETNS }), problems);
    });
  }
});

Deno.test("containerInterfaces() names the interfaces placed in CNI_NETNS", () => {
  const value = result("1.0.0", {
    interfaces: [{ name: "br0" }, { name: "veth1" }, { name: "eth0", sandbox: NETNS }, {
      name: "x",
      sandbox: "/other",
    }],
  });
  assert.deepEqual(containerInterfaces(value, NETNS), ["eth0"]);
  assert.deepEqual(containerInterfaces("nonsense", NETNS), []);
});

// ---------------------------------------------------------------------------------------------
// Command line, report, labels

Deno.test("parseCommandLine() reads a network or a configuration, and the options", async (t) => {
  await t.step("a network", () => {
    assert.deepEqual(parseCommandLine(["mynet"]), {
      kind: "run",
      target: { kind: "network", network: "mynet" },
      options: { ifName: "eth0", timeoutMs: 60_000, verbose: false },
    });
  });
  await t.step("a configuration with a plugin and every option", () => {
    assert.deepEqual(
      parseCommandLine([
        "--config",
        "x.json",
        "--plugin",
        "./bin/p",
        "-i",
        "net1",
        "--host-netns",
        "hostside",
        "--json",
        "out.json",
        "--timeout",
        "2.5",
        "-v",
      ]),
      {
        kind: "run",
        target: { kind: "config", config: "x.json", plugin: "./bin/p" },
        options: {
          ifName: "net1",
          timeoutMs: 2500,
          verbose: true,
          hostNetns: "hostside",
          json: "out.json",
        },
      },
    );
  });
  await t.step("help", () => assert.deepEqual(parseCommandLine(["-h"]), { kind: "help" }));
  const errors: [string[], RegExp][] = [
    [[], /give one NETWORK/],
    [["a", "b"], /give one NETWORK/],
    [["a", "--config", "x"], /not both/],
    [["--plugin", "p", "net"], /--plugin goes with --config/],
    [["--timeout", "0", "n"], /--timeout wants a number of seconds/],
    [["--timeout", "1e3", "n"], /--timeout wants a number of seconds/],
    [
      ["--timeout", "2147483.648", "n"],
      /^--timeout 2147483\.648 is longer than the longest time limit, 2147483 seconds$/,
    ],
    [["-i", "a/b", "n"], /is not an interface name/],
    [["-i", "a-very-long-name-0", "n"], /is not an interface name/],
    [["--nope", "n"], /Unknown option/],
  ];
  for (const [argv, message] of errors) {
    await t.step(argv.join(" ") || "(nothing)", () => {
      assert.throws(
        () => parseCommandLine(argv),
        (e) => e instanceof UsageError && message.test(e.message),
      );
    });
  }
});

Deno.test("the report prints one line per check and a summary that leaves skips out", () => {
  const checks: CheckResult[] = [
    { plugin: "bridge", check: "version", outcome: "pass" },
    { plugin: "bridge", check: "bad-config", outcome: "pass", reason: "exit status 1, code 6: x" },
    { plugin: "leaky", check: "cleanup", outcome: "fail", reason: '"eth0" is left' },
    { plugin: "leaky", check: "gc", outcome: "skip", reason: "spec 1.0.0 has no GC" },
  ];
  assert.deepEqual(checks.map(formatCheck), [
    "PASS bridge version",
    "PASS bridge bad-config: exit status 1, code 6: x",
    'FAIL leaky cleanup: "eth0" is left',
    "SKIP leaky gc: spec 1.0.0 has no GC",
  ]);
  assert.deepEqual(summarize(checks), { checks: 3, passed: 2, failed: 1, skipped: 1 });
  assert.equal(
    formatSummary(summarize(checks)),
    "conform: 3 checks, 2 passed, 1 failed, 1 skipped",
  );
  assert.equal(
    formatSummary(summarize(checks.slice(0, 2))),
    "conform: 2 checks, 2 passed, 0 failed",
  );
});

Deno.test("pluginLabels() numbers a type that occurs more than once", () => {
  assert.deepEqual(pluginLabels(["bridge", "tuning", "tuning", "portmap"]), [
    "bridge",
    "tuning#1",
    "tuning#2",
    "portmap",
  ]);
});

Deno.test("netnsPath() and linkNames() read names and ip -j output", () => {
  assert.equal(netnsPath("hostside"), "/var/run/netns/hostside");
  assert.equal(netnsPath("/proc/1/ns/net"), "/proc/1/ns/net");
  assert.throws(() => netnsPath("../x"), /is not a namespace name/);
  assert.deepEqual(
    linkNames('[{"ifindex":1,"ifname":"lo"},{"ifindex":2,"ifname":"eth0"}]\n'),
    ["lo", "eth0"],
  );
  assert.deepEqual(linkNames(""), []);
  assert.throws(() => linkNames('[{"ifindex":1}]'), /ip -j link printed/);
});

// ---------------------------------------------------------------------------------------------
// The plugin host

/** A host that records what it is asked to run and answers with `output`. */
function recordingHost(output: RunOutput) {
  const runs: { program: string; args: readonly string[]; options: RunOptions }[] = [];
  const host: Host = {
    ...denoHost(),
    run: (program, args, options) => {
      runs.push({ program, args, options });
      return Promise.resolve(output);
    },
  };
  return { host, runs };
}

Deno.test("pluginHost() drops the caller's CNI_* variables and runs in the host-side namespace", async (t) => {
  const baseEnv = { PATH: "/usr/bin", HOME: "/root", CNI_IFNAME: "stray", CNI_ARGS: "A=B" };
  await t.step("without a namespace", async () => {
    const { host, runs } = recordingHost({ code: 0, stdout: "out", stderr: "" });
    const output = await pluginHost(host, { baseEnv }).run("/opt/cni/bin/p", [], {
      env: { CNI_COMMAND: "DEL" },
      stdin: "{}",
      timeoutMs: 1000,
    });
    assert.equal(output.stdout, "out");
    assert.deepEqual(runs, [{
      program: "/opt/cni/bin/p",
      args: [],
      options: {
        env: { PATH: "/usr/bin", HOME: "/root", CNI_COMMAND: "DEL" },
        clearEnv: true,
        stdin: "{}",
        timeoutMs: 1000,
      },
    }]);
  });
  await t.step("in a namespace", async () => {
    const { host, runs } = recordingHost({ code: 0, stdout: "", stderr: "" });
    await pluginHost(host, {
      baseEnv,
      netns: "/var/run/netns/h",
      nsenter: "/usr/bin/nsenter",
    }).run("/opt/cni/bin/p", ["x"], { timeoutMs: 1000 });
    assert.equal(runs[0]!.program, "/usr/bin/nsenter");
    assert.deepEqual(runs[0]!.args, ["--net=/var/run/netns/h", "--", "/opt/cni/bin/p", "x"]);
    assert.deepEqual(runs[0]!.options.env, { PATH: "/usr/bin", HOME: "/root" });
  });
  await t.step("a namespace needs nsenter", () => {
    assert.throws(
      () => pluginHost(denoHost(), { baseEnv, netns: "/var/run/netns/h" }),
      /needs the nsenter program/,
    );
  });
});

// ---------------------------------------------------------------------------------------------
// Loading the network

Deno.test("loadTarget() finds the network and gives host-local a data dir", async (t) => {
  const dir = await Deno.makeTempDir({ prefix: "conform-test-" });
  try {
    const netconf = `${dir}/net.d`;
    await Deno.mkdir(netconf);
    const chain = {
      cniVersion: "1.0.0",
      name: "chain",
      plugins: [
        { type: "bridge", ipam: { type: "host-local", subnet: "10.1.0.0/24" } },
        { type: "ptp", ipam: { type: "host-local", subnet: "10.2.0.0/24", dataDir: "/mine" } },
        { type: "tuning" },
      ],
    };
    await Deno.writeTextFile(`${netconf}/chain.conflist`, JSON.stringify(chain));
    await Deno.writeTextFile(
      `${dir}/one.json`,
      JSON.stringify({ cniVersion: "1.1.0", type: "other", x: 1 }),
    );
    const env = (vars: Record<string, string>) => ({
      getenv: (name: string) => vars[name],
      cwd: dir,
      dataDir: "/tmp/conform-x/host-local",
      emptyDir: "/tmp/conform-x/bin",
    });

    await t.step(
      "a network of NETCONFPATH, relative paths from the working directory",
      async () => {
        const target = await loadTarget(
          { kind: "network", network: "chain" },
          env({ NETCONFPATH: "net.d", CNI_PATH: "bin:/usr/lib/cni" }),
        );
        assert.deepEqual(target.path, [`${dir}/bin`, "/usr/lib/cni"]);
        assert.deepEqual(target.list.plugins.map((p) => p.raw.ipam), [
          { type: "host-local", subnet: "10.1.0.0/24", dataDir: "/tmp/conform-x/host-local" },
          { type: "host-local", subnet: "10.2.0.0/24", dataDir: "/mine" },
          undefined,
        ]);
        assert.deepEqual(target.notes, [
          "host-local keeps its reservations in /tmp/conform-x/host-local",
        ]);
        const written = JSON.parse(new TextDecoder().decode(target.list.bytes));
        assert.equal(written.plugins[0].ipam.dataDir, "/tmp/conform-x/host-local");
      },
    );

    await t.step("a list nested as deep as Go reads gets its data dir too", async () => {
      const depth = 9_990;
      const deep = `{"cniVersion":"1.0.0","name":"deep","plugins":[{"type":"x",` +
        `"ipam":{"type":"host-local"},"y":${"[".repeat(depth)}${"]".repeat(depth)}}]}`;
      await Deno.writeTextFile(`${dir}/deep.conflist`, deep);
      const target = await loadTarget(
        { kind: "config", config: "deep.conflist" },
        env({ CNI_PATH: "/usr/lib/cni" }),
      );
      const written = new TextDecoder().decode(target.list.bytes);
      assert.ok(written.includes('"dataDir":"/tmp/conform-x/host-local"'));
      assert.ok(written.includes("[".repeat(depth)));
      // As a process, whose stack is the one that matters: conform runs the plugin.
      await Deno.mkdir(`${dir}/bin`, { recursive: true });
      await Deno.writeTextFile(`${dir}/bin/x`, "#!/bin/sh\ncat >/dev/null\n", { mode: 0o755 });
      const cli = new URL("../cli/conform.ts", import.meta.url).pathname;
      const output = await new Deno.Command(Deno.execPath(), {
        args: ["run", "--allow-all", cli, "--config", `${dir}/deep.conflist`],
        env: { CNI_PATH: `${dir}/bin` },
        stdout: "piped",
        stderr: "piped",
      }).output();
      const stderr = new TextDecoder().decode(output.stderr);
      assert.doesNotMatch(stderr, /call stack/);
      assert.match(new TextDecoder().decode(output.stdout), /^conform: \d+ checks, /m, stderr);
    });

    await t.step("a configuration that is a FIFO is refused, not waited on", async () => {
      const made = await new Deno.Command("mkfifo", { args: [`${dir}/fifo.conflist`] }).output();
      assert.ok(made.success, "mkfifo");
      await assert.rejects(
        () => loadTarget({ kind: "config", config: "fifo.conflist" }, env({ CNI_PATH: "/x" })),
        { message: `cannot read ${dir}/fifo.conflist: not a regular file (a FIFO)` },
      );
    });

    await t.step("a configuration list given as a file", async () => {
      const target = await loadTarget(
        { kind: "config", config: "net.d/chain.conflist" },
        env({ CNI_PATH: "/usr/lib/cni" }),
      );
      assert.deepEqual(target.list.plugins.map((p) => p.type), ["bridge", "ptp", "tuning"]);
    });

    await t.step("a plugin configuration run with a plugin given by path", async () => {
      const target = await loadTarget(
        { kind: "config", config: "one.json", plugin: "./bin/mine" },
        env({}),
      );
      assert.equal(target.list.name, "conform");
      assert.equal(target.list.cniVersion, "1.1.0");
      // Without CNI_PATH, an empty directory: never the plugin's own.
      assert.deepEqual(target.path, ["/tmp/conform-x/bin"]);
      assert.deepEqual(target.executables, new Map([["mine", `${dir}/bin/mine`]]));
      assert.equal(target.list.plugins[0]!.type, "mine");
      assert.deepEqual(target.list.plugins[0]!.raw, {
        cniVersion: "1.1.0",
        type: "other",
        x: 1,
        name: "conform",
      });
      assert.deepEqual(target.notes, [
        "CNI_PATH is not set: the plugin gets an empty directory, /tmp/conform-x/bin",
        'running ./bin/mine for the configuration\'s type "other"',
        'the configuration has no "name": using "conform"',
      ]);
    });

    await t.step("a plugin given by path leaves CNI_PATH as it is", async () => {
      const target = await loadTarget(
        { kind: "config", config: "one.json", plugin: "/tmp/mine" },
        env({ CNI_PATH: "/opt/cni/bin:lib" }),
      );
      assert.deepEqual(target.path, ["/opt/cni/bin", `${dir}/lib`]);
      assert.deepEqual(target.executables, new Map([["mine", "/tmp/mine"]]));
    });

    await t.step("a plugin given by name is looked up in CNI_PATH", async () => {
      const target = await loadTarget(
        { kind: "config", config: "one.json", plugin: "mine" },
        env({ CNI_PATH: "/opt/cni/bin" }),
      );
      assert.deepEqual(target.path, ["/opt/cni/bin"]);
      assert.equal(target.list.plugins[0]!.type, "mine");
    });

    await t.step("errors", async () => {
      await assert.rejects(
        loadTarget({ kind: "network", network: "chain" }, env({ NETCONFPATH: "net.d" })),
        /CNI_PATH is not set/,
      );
      await assert.rejects(
        loadTarget(
          { kind: "config", config: "net.d/chain.conflist", plugin: "x" },
          env({ CNI_PATH: "/b" }),
        ),
        /--plugin goes with a plugin configuration/,
      );
      await assert.rejects(
        loadTarget(
          { kind: "network", network: "nope" },
          env({ NETCONFPATH: "net.d", CNI_PATH: "/b" }),
        ),
        /no net configuration with name "nope"/,
      );
      await assert.rejects(
        loadTarget({ kind: "config", config: "missing.json" }, env({ CNI_PATH: "/b" })),
        /cannot read .*missing\.json/,
      );
    });
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

// ---------------------------------------------------------------------------------------------
// The whole tool, on the plugins of tests/testdata/conform/

/** Names of the entries of `dir`, sorted. */
async function entries(dir: string): Promise<string[]> {
  const names: string[] = [];
  for await (const entry of Deno.readDir(dir)) names.push(entry.name);
  return names.sort();
}

/**
 * A sandbox whose namespace is a fresh directory under `root` and whose links are the files in
 * it (the loopback always there); plugins run directly, with a clean environment.
 */
function directorySandbox(root: string, made: string[]): SandboxFactory {
  return async (cleanup) => {
    const netns = await Deno.makeTempDir({ dir: root, prefix: "netns-" });
    made.push(netns);
    cleanup.defer(() => Deno.remove(netns, { recursive: true }));
    return {
      netns,
      host: pluginHost(denoHost(), { baseEnv: Deno.env.toObject() }),
      links: async () => ["lo", ...await entries(netns)],
    };
  };
}

interface ToolRun {
  readonly status: number;
  readonly stdout: string;
  readonly stderr: string;
  readonly lines: { outcome: string; plugin: string; check: string; reason?: string }[];
}

async function conform(
  argv: string[],
  vars: Record<string, string>,
  sandbox: SandboxFactory,
  cwd: string,
  interrupt?: AbortSignal,
): Promise<ToolRun> {
  let stdout = "";
  let stderr = "";
  const status = await runConform(argv, {
    getenv: (name) => vars[name],
    baseEnv: Deno.env.toObject(),
    cwd,
    host: denoHost(),
    stdout: (text) => Promise.resolve(void (stdout += text)),
    stderr: (text) => Promise.resolve(void (stderr += text)),
    sandbox,
    ...(interrupt === undefined ? {} : { interrupt }),
  });
  const lines = stdout.split("\n").flatMap((line) => {
    const match = /^(PASS|FAIL|SKIP) (\S+) (\S+?)(?:: (.*))?$/.exec(line);
    return match === null ? [] : [{
      outcome: match[1]!,
      plugin: match[2]!,
      check: match[3]!,
      ...(match[4] === undefined ? {} : { reason: match[4] }),
    }];
  });
  return { status, stdout, stderr, lines };
}

async function conformTempDirs(): Promise<string[]> {
  const dir = Deno.env.get("TMPDIR") ?? "/tmp";
  return (await entries(dir)).filter((n) => /^conform-[0-9a-f]+$/.test(n));
}

Deno.test("conform passes the plugin that follows the spec and names what each broken one gets wrong", async (t) => {
  const root = await Deno.makeTempDir({ prefix: "conform-test-" });
  try {
    const bin = `${root}/bin`;
    await writeLaunchers(bin);
    const before = await conformTempDirs();
    for (const fake of FAKE_PLUGINS) {
      await t.step(`${fake.name}: ${fake.defect}`, async () => {
        const made: string[] = [];
        const run = await conform(
          ["--config", configPath(fake.name)],
          { CNI_PATH: bin },
          directorySandbox(root, made),
          root,
        );
        const pick = (outcome: string) =>
          run.lines.filter((l) => l.outcome === outcome).map((l) => l.check);
        assert.deepEqual(pick("FAIL"), [...fake.fails], run.stdout);
        assert.deepEqual(pick("SKIP"), [...fake.skips], run.stdout);
        // Every check is reported once, for the one plugin, in order.
        assert.deepEqual(run.lines.map((l) => l.check), [...CHECKS]);
        assert.ok(run.lines.every((l) => l.plugin === fake.name));
        const passed = CHECKS.length - fake.fails.length - fake.skips.length;
        const skipped = fake.skips.length > 0 ? `, ${fake.skips.length} skipped` : "";
        assert.ok(
          run.stdout.endsWith(
            `conform: ${CHECKS.length - fake.skips.length} checks, ${passed} passed, ` +
              `${fake.fails.length} failed${skipped}\n`,
          ),
          run.stdout,
        );
        assert.equal(run.status, fake.fails.length === 0 ? 0 : 1);
        assert.equal(run.stderr, "");
        // The sandbox is gone, whatever the plugin left in it.
        assert.equal(made.length, 1);
        await assert.rejects(Deno.stat(made[0]!), Deno.errors.NotFound);
      });
    }
    await t.step("the failure lines say why", async () => {
      const why = async (name: string) => {
        const made: string[] = [];
        const run = await conform(
          ["--config", configPath(name), "--plugin", `${bin}/${name}`],
          {},
          directorySandbox(root, made),
          root,
        );
        return run.lines.filter((l) => l.outcome === "FAIL").map((l) => `${l.check}: ${l.reason}`);
      };
      assert.deepEqual(await why("two_documents"), [
        "result: stdout holds 2 JSON documents, not one; the runtime cannot read it: failed to " +
        "unmarshal raw result: invalid character '{' after top-level value",
        "stdout: ADD: stdout holds 2 JSON documents, not one",
      ]);
      assert.deepEqual(await why("leaky"), [
        'cleanup: "eth0" made by its ADD still in the container\'s namespace after DEL',
      ]);
      assert.deepEqual(await why("bad_index"), [
        "result: ips[0].interface 1 is out of range: the result lists 1 interface(s)",
      ]);
      const delOnce = await why("del_once");
      assert.equal(delOnce.length, 2);
      assert.match(
        delOnce[0]!,
        /^del-again: exit status 1, code 3: no container conform-[0-9a-f]+ here$/,
      );
      assert.match(
        delOnce[1]!,
        /^del-unknown: exit status 1, code 3: no container conform-[0-9a-f]+-unknown here$/,
      );
    });
    await t.step("the temporary directory is removed", async () => {
      assert.deepEqual(await conformTempDirs(), before);
    });
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("conform on a version the plugin does not speak, a missing plugin, --json and --verbose", async (t) => {
  const root = await Deno.makeTempDir({ prefix: "conform-test-" });
  try {
    const bin = `${root}/bin`;
    await writeLaunchers(bin);
    const sandbox = directorySandbox(root, []);

    await t.step("a 0.2.0 configuration: the attachment checks are skipped", async () => {
      await Deno.writeTextFile(
        `${root}/old.json`,
        JSON.stringify({ cniVersion: "0.2.0", name: "old", type: "good" }),
      );
      const run = await conform(["--config", "old.json"], { CNI_PATH: bin }, sandbox, root);
      assert.equal(run.status, 1);
      const byCheck = Object.fromEntries(run.lines.map((l) => [l.check, l]));
      assert.equal(byCheck.version?.outcome, "FAIL");
      assert.equal(
        byCheck.version?.reason,
        'supportedVersions ["0.3.0","0.3.1","0.4.0","1.0.0","1.1.0"] does not list the ' +
          'configuration\'s "0.2.0"',
      );
      const attachment = ["add", "result", "check", "gc", "del", "cleanup", "del-again"];
      for (const check of [...attachment, "del-unknown"]) {
        assert.deepEqual(
          [byCheck[check]?.outcome, byCheck[check]?.reason],
          ["SKIP", "good does not speak 0.2.0"],
        );
      }
      assert.equal(byCheck.status?.reason, "spec 0.2.0 has no STATUS");
      // The ADDs that must fail are still checked.
      assert.equal(byCheck["bad-config"]?.outcome, "PASS");
      assert.equal(byCheck["bad-config"]?.reason, 'exit status 1, code 6: "dns" must be an object');
      assert.equal(byCheck.stdout?.outcome, "PASS");
    });

    await t.step(
      "a plugin that is not there fails its checks, and --json writes the report",
      async () => {
        await Deno.writeTextFile(
          `${root}/gone.json`,
          JSON.stringify({ cniVersion: "1.0.0", name: "gone", type: "gone" }),
        );
        const run = await conform(
          ["--config", "gone.json", "--json", "report.json"],
          { CNI_PATH: bin },
          sandbox,
          root,
        );
        assert.equal(run.status, 1);
        const report = JSON.parse(await Deno.readTextFile(`${root}/report.json`));
        assert.equal(report.network, "gone");
        assert.deepEqual(report.plugins, [{ label: "gone", type: "gone" }]);
        const version = report.checks.find((c: CheckResult) => c.check === "version");
        assert.deepEqual(version, {
          plugin: "gone",
          check: "version",
          outcome: "fail",
          reason: `failed to find plugin "gone" in path [${bin}]`,
        });
        assert.deepEqual(report.summary, summarize(report.checks));
        assert.ok(report.summary.failed > 0);
      },
    );

    await t.step("--json - prints the report as JSON instead of lines", async () => {
      const run = await conform(
        ["--config", configPath("good"), "--json", "-"],
        { CNI_PATH: bin },
        sandbox,
        root,
      );
      assert.equal(run.status, 0);
      const report = JSON.parse(run.stdout);
      assert.deepEqual(report.summary, { checks: 14, passed: 14, failed: 0, skipped: 0 });
      assert.deepEqual(report.plugins, [{ label: "good", type: "good", path: `${bin}/good` }]);
    });

    await t.step("--verbose shows every run on stderr", async () => {
      const run = await conform(
        ["-v", "--config", configPath("good")],
        { CNI_PATH: bin },
        sandbox,
        root,
      );
      assert.equal(run.status, 0);
      const verbs = [...run.stderr.matchAll(/^conform: (\w+) good /gm)].map((m) => m[1]);
      assert.deepEqual(verbs, [
        "VERSION",
        "ADD",
        "CHECK",
        "GC",
        "DEL",
        "DEL",
        "DEL",
        "STATUS",
        "ADD",
        "ADD",
        "ADD",
      ]);
      assert.match(run.stderr, /CNI_COMMAND=ADD CNI_CONTAINERID=conform-[0-9a-f]+ CNI_NETNS=/);
      assert.match(run.stderr, /"dns":5/);
    });

    await t.step("usage errors exit 2", async () => {
      const run = await conform([], {}, sandbox, root);
      assert.equal(run.status, 2);
      assert.match(run.stderr, /^conform: give one NETWORK, or --config FILE\n\nUsage: conform/);
    });

    await t.step("a sandbox that cannot be made exits 2 and still cleans up", async () => {
      const before = await conformTempDirs();
      const cleanup = new Cleanup();
      let stderr = "";
      const status = await runConform(["--config", configPath("good")], {
        getenv: (name) => (name === "CNI_PATH" ? bin : undefined),
        baseEnv: {},
        cwd: root,
        host: denoHost(),
        stdout: () => Promise.resolve(),
        stderr: (text) => Promise.resolve(void (stderr += text)),
        sandbox: () => Promise.reject(new Error("ip netns add failed: Permission denied")),
        cleanup,
      });
      assert.equal(status, 2);
      assert.equal(stderr, "conform: ip netns add failed: Permission denied\n");
      assert.deepEqual(await conformTempDirs(), before);
    });
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

/** Writes an executable shell plugin `name` into `dir`; `body` follows a line recording $$. */
async function shellPlugin(dir: string, name: string, pids: string, body: string): Promise<void> {
  await Deno.mkdir(dir, { recursive: true });
  await Deno.writeTextFile(`${dir}/${name}`, `#!/bin/sh\necho $$ >> '${pids}'\n${body}`, {
    mode: 0o755,
  });
  await Deno.chmod(`${dir}/${name}`, 0o755);
}

/** The process IDs a shell plugin recorded, each the ID of its run's process group. */
async function recordedPids(file: string): Promise<number[]> {
  try {
    return (await Deno.readTextFile(file)).split("\n").filter((l) => l !== "").map(Number);
  } catch {
    return [];
  }
}

Deno.test("conform runs a plugin given by path from there, leaving CNI_PATH as given", async () => {
  const root = await Deno.makeTempDir({ prefix: "conform-test-" });
  try {
    const bin = `${root}/bin`;
    await writeLaunchers(bin);
    // The plugin's own directory also holds a "host-local": it must not become a delegate.
    const beside = `${root}/beside`;
    await Deno.mkdir(beside);
    await Deno.copyFile(`${bin}/good`, `${beside}/good`);
    await Deno.copyFile(`${bin}/good`, `${beside}/host-local`);
    const run = await conform(
      ["-v", "--config", configPath("good"), "--plugin", `${beside}/good`],
      { CNI_PATH: `${root}/delegates` },
      directorySandbox(root, []),
      root,
    );
    assert.equal(run.status, 0, run.stdout + run.stderr);
    const runs = [...run.stderr.matchAll(/^conform: (\w+) good \((.*)\)$/gm)];
    assert.ok(runs.length > 0);
    assert.ok(runs.every((m) => m[2] === `${beside}/good`), run.stderr);
    // Each run's CNI_PATH; VERSION gets "dummy", as libcni sends it.
    const paths = [...run.stderr.matchAll(/^conform: (\w+) .*\n {2}env: .*CNI_PATH=(\S*)/gm)]
      .map((m) => `${m[1]} ${m[2]}`);
    assert.equal(paths.length, runs.length);
    assert.deepEqual(
      paths.filter((p) => p !== "VERSION dummy" && p.split(" ")[1] !== `${root}/delegates`),
      [],
    );
    assert.ok(paths.includes(`ADD ${root}/delegates`));
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("conform kills what a plugin leaves running when its run ends", async () => {
  const root = await Deno.makeTempDir({ prefix: "conform-test-" });
  const pids = `${root}/pids`;
  try {
    await shellPlugin(
      `${root}/bin`,
      "bg",
      pids,
      "sleep 60 </dev/null >/dev/null 2>&1 &\n" +
        'case "$CNI_COMMAND" in\n' +
        'VERSION) echo \'{"cniVersion":"1.0.0","supportedVersions":["1.0.0"]}\' ;;\n' +
        'ADD) echo \'{"cniVersion":"1.0.0"}\' ;;\n' +
        "esac\n",
    );
    await Deno.writeTextFile(
      `${root}/bg.json`,
      JSON.stringify({ cniVersion: "1.0.0", name: "bg", type: "bg" }),
    );
    const run = await conform(
      ["--config", "bg.json"],
      { CNI_PATH: `${root}/bin` },
      directorySandbox(root, []),
      root,
    );
    assert.match(run.stdout, /^PASS bg add$/m);
    const groups = await recordedPids(pids);
    assert.ok(groups.length >= 5, `${groups.length} runs`);
    try {
      for (const pgid of groups) assert.deepEqual(await groupGone(pgid), [], `group ${pgid}`);
    } finally {
      groups.forEach(killGroup);
    }
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("an interrupted conform kills the running plugin, reports nothing and removes all it made", async () => {
  const root = await Deno.makeTempDir({ prefix: "conform-test-" });
  const pids = `${root}/pids`;
  try {
    await shellPlugin(`${root}/bin`, "hang", pids, "exec sleep 120\n");
    await Deno.writeTextFile(
      `${root}/hang.json`,
      JSON.stringify({ cniVersion: "1.0.0", name: "hang", type: "hang" }),
    );
    const before = await conformTempDirs();
    const made: string[] = [];
    const interrupt = new AbortController();
    const started = Date.now();
    const running = conform(
      ["--config", "hang.json"],
      { CNI_PATH: `${root}/bin` },
      directorySandbox(root, made),
      root,
      interrupt.signal,
    );
    const [pgid] = await waitFor("the plugin", async () => {
      const found = await recordedPids(pids);
      return found.length > 0 ? found : undefined;
    });
    try {
      interrupt.abort();
      // A second interrupt changes nothing: the cleanup goes on.
      interrupt.abort();
      const run = await running;
      assert.ok(Date.now() - started < 60_000, "conform waited for the plugin");
      assert.equal(run.status, 130);
      assert.equal(run.stdout, "");
      assert.equal(run.stderr, "");
      assert.deepEqual(await groupGone(pgid!), []);
      assert.equal(made.length, 1);
      await assert.rejects(Deno.stat(made[0]!), Deno.errors.NotFound);
      assert.deepEqual(await conformTempDirs(), before);
      // The one run started was the one interrupted.
      assert.deepEqual(await recordedPids(pids), [pgid]);
    } finally {
      killGroup(pgid!);
    }
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("conform checks a plugin whose configuration nests as deep as Go decodes it", async (t) => {
  const root = await Deno.makeTempDir({ prefix: "conform-test-" });
  try {
    const bin = `${root}/bin`;
    await writeLaunchers(bin);
    /** A plugin configuration `depth` levels deep: its object, then "deep". */
    const write = (depth: number) =>
      Deno.writeTextFile(
        `${root}/deep.json`,
        `{"cniVersion":"1.1.0","name":"deep","type":"good","deep":${
          "[".repeat(depth - 1) + "]".repeat(depth - 1)
        }}`,
      );
    const run = () =>
      conform(["--config", "deep.json"], { CNI_PATH: bin }, directorySandbox(root, []), root);
    // The runtime runs it as a list ({"plugins":[...]}, two levels more), as libcni does: 9,998
    // levels make the list 10,000 deep.
    for (const depth of [2_500, 9_998]) {
      await t.step(`${depth} levels`, async () => {
        await write(depth);
        const result = await run();
        assert.equal(result.status, 0, result.stdout + result.stderr);
        assert.equal(result.lines.filter((l) => l.outcome === "PASS").length, CHECKS.length);
      });
    }
    await t.step("9,999 levels: the list is refused as Go refuses it", async () => {
      await write(9_999);
      const result = await run();
      assert.equal(result.status, 2);
      assert.equal(
        result.stderr,
        "conform: error parsing configuration list: invalid character '[' exceeded max depth\n",
      );
    });
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});
