/**
 * cli/cnitool.ts in-process: the command line, the environment as Go's cnitool reads it, and
 * whole runs against fake plugins with the process behind a fake {@link CnitoolIo}.
 */
import assert from "node:assert/strict";
import { denoHost, type Host } from "../../lib/host.ts";
import { parseCommandLine, UsageError } from "../../cli/_cnitool/args.ts";
import { type CnitoolIo, runCnitool } from "../../cli/_cnitool/main.ts";
import { netnsName } from "../../cli/_cnitool/netns.ts";
import {
  containerIdFor,
  parseCapabilityArgs,
  parseCniArgs,
} from "../../cli/_cnitool/runtime_args.ts";
import { type FakePlugins, withFakes } from "./_fake_plugins.ts";
import { groupGone, killGroup, waitFor } from "./_process_groups.ts";
import { spawnTsCnitool } from "./_cnitool_process.ts";

Deno.test("parseCommandLine() reads cnitool's verbs and options", async (t) => {
  await t.step("a network verb", () => {
    assert.deepEqual(parseCommandLine(["add", "net", "/var/run/netns/x"]), {
      kind: "network",
      verb: "add",
      network: "net",
      netns: "/var/run/netns/x",
      options: { verbose: false, netnsNew: false },
    });
  });
  await t.step("options anywhere", () => {
    const command = parseCommandLine([
      "gc",
      "-v",
      "net",
      "x",
      "--valid",
      "c1/eth0",
      "--valid=c2/net1",
      "--timeout",
      "2.5",
    ]);
    assert.deepEqual(command, {
      kind: "network",
      verb: "gc",
      network: "net",
      netns: "x",
      options: {
        verbose: true,
        netnsNew: false,
        valid: [{ containerId: "c1", ifName: "eth0" }, { containerId: "c2", ifName: "net1" }],
        timeoutMs: 2500,
      },
    });
  });
  await t.step("-i and --netns-new", () => {
    const command = parseCommandLine(["--netns-new", "-i", "net1", "check", "n", "t"]);
    assert.deepEqual(command.kind === "network" && command.options, {
      verbose: false,
      netnsNew: true,
      ifName: "net1",
    });
  });
  await t.step("netns, validate, help", () => {
    assert.deepEqual(parseCommandLine(["netns", "add", "t"]), {
      kind: "netns",
      action: "add",
      name: "t",
    });
    assert.equal(parseCommandLine(["validate", "n"]).kind, "validate");
    assert.deepEqual(parseCommandLine(["-h"]), { kind: "help" });
  });
  const bad: [string[], string][] = [
    [[], "no command given"],
    [["add", "net"], "add wants NETWORK NETNS"],
    [["up", "a", "b"], 'unknown command "up"'],
    [["del", "a", "b", "--valid", "c/e"], "--valid goes with gc only"],
    [["gc", "a", "b", "--valid", "c"], '--valid wants CONTAINERID/IFNAME, not "c"'],
    [["add", "a", "b", "--timeout", "x"], '--timeout wants a number of seconds, not "x"'],
    [
      ["add", "a", "b", "--timeout", "2147484"],
      "--timeout 2147484 is longer than the longest time limit, 2147483 seconds",
    ],
    [
      ["add", "a", "b", "--timeout=1e10"],
      '--timeout wants a number of seconds, not "1e10"',
    ],
    [["netns", "up", "x"], "netns wants add|del NAME"],
    [["-x", "add", "a", "b"], "flag provided but not defined: -x"],
    [["-vi", "eth1", "add", "a", "b"], "flag provided but not defined: -vi"],
    [["-v=maybe", "add", "a", "b"], 'invalid boolean value "maybe" for -v: parse error'],
    [["-v=tRue", "add", "a", "b"], 'invalid boolean value "tRue" for -v: parse error'],
    [["add", "a", "b", "-i"], "flag needs an argument: -i"],
    [["---i=x", "add", "a", "b"], "bad flag syntax: ---i=x"],
    [["-=x", "add", "a", "b"], "bad flag syntax: -=x"],
    [
      ["--container-id=", "add", "a", "b"],
      "--container-id wants a container ID, not an empty value",
    ],
    [["--cache-dir", "", "add", "a", "b"], "--cache-dir wants a directory, not an empty value"],
  ];
  for (const [argv, message] of bad) {
    await t.step(argv.join(" ") || "(nothing)", () => {
      assert.throws(
        () => parseCommandLine(argv),
        (e: unknown) => e instanceof UsageError && e.message === message,
      );
    });
  }
  await t.step(
    "an unknown option",
    () => assert.throws(() => parseCommandLine(["--nope"]), UsageError),
  );
});

Deno.test("parseCommandLine() reads each option in the forms of Go's flag package", async (t) => {
  const options = (argv: string[]) => {
    const command = parseCommandLine([...argv, "add", "net", "ns"]);
    assert.equal(command.kind, "network");
    return command.kind === "network" ? command.options : undefined;
  };
  const rows: [string[], Record<string, unknown>][] = [
    [["-i", "net7"], { ifName: "net7" }],
    [["-i=net7"], { ifName: "net7" }],
    [["--i=net7"], { ifName: "net7" }],
    [["--i", "net7"], { ifName: "net7" }],
    [["-ifname=net7"], { ifName: "net7" }],
    [["--ifname", "net7"], { ifName: "net7" }],
    [["-i", "-v"], { ifName: "-v" }],
    [["-i", "a", "-i", "b"], { ifName: "b" }],
    [["-v"], { verbose: true }],
    [["--verbose"], { verbose: true }],
    [["-v=true"], { verbose: true }],
    [["-v=1"], { verbose: true }],
    [["-v=T"], { verbose: true }],
    [["-v", "-v=false"], {}],
    [["-v=False"], {}],
    [["--netns-new=t"], { netnsNew: true }],
    [["-container-id", "c1", "--cache-dir=/c"], { containerId: "c1", cacheDir: "/c" }],
    [["-timeout=1.5"], { timeoutMs: 1500 }],
    [["--timeout", "2147483.647"], { timeoutMs: 2 ** 31 - 1 }],
  ];
  for (const [argv, expected] of rows) {
    await t.step(argv.join(" "), () => {
      assert.deepEqual(options(argv), { verbose: false, netnsNew: false, ...expected });
    });
  }
  await t.step("a boolean takes no next argument", () => {
    assert.throws(() => parseCommandLine(["-v", "false", "add", "net", "ns"]), {
      message: 'unknown command "false"',
    });
  });
  await t.step("-- ends the options, - is an operand", () => {
    const command = parseCommandLine(["add", "--", "-net", "-"]);
    assert.deepEqual(command.kind === "network" && [command.network, command.netns], [
      "-net",
      "-",
    ]);
  });
});

Deno.test("parseCniArgs() reads CNI_ARGS as Go's cnitool does", async (t) => {
  await t.step("pairs", () => {
    assert.deepEqual(parseCniArgs(""), []);
    assert.deepEqual(parseCniArgs("A=1;B=two"), [["A", "1"], ["B", "two"]]);
  });
  for (
    const [value, pair] of [["A=1;", ""], ["A", "A"], ["A=", "A="], ["=1", "=1"], [
      "A=1=2",
      "A=1=2",
    ]]
  ) {
    await t.step(JSON.stringify(value), () => {
      assert.throws(() => parseCniArgs(value!), { message: `invalid CNI_ARGS pair "${pair}"` });
    });
  }
});

Deno.test("parseCapabilityArgs() wants a JSON object", () => {
  assert.equal(parseCapabilityArgs(""), undefined);
  assert.equal(parseCapabilityArgs("null"), undefined);
  assert.deepEqual(parseCapabilityArgs('{"portMappings":[]}'), { portMappings: [] });
  assert.throws(() => parseCapabilityArgs("[]"), {
    message: "invalid CAP_ARGS: not a JSON object",
  });
  assert.throws(() => parseCapabilityArgs("{"), /^Error: invalid CAP_ARGS: /);
  assert.throws(() => parseCapabilityArgs('{"mac":1e999}'), {
    message: "invalid CAP_ARGS: cannot unmarshal number 1e999 into Go value of type float64",
  });
  assert.throws(() => parseCapabilityArgs('{"a":[1,-2e400]}'), /number -2e400 into Go value/);
});

Deno.test("containerIdFor() is Go cnitool's ID for the netns path", async () => {
  // Go's cnitool (tests/cnitool) printed this ID into its cache for /var/run/netns/none.
  assert.equal(await containerIdFor("/var/run/netns/none"), "cnitool-aa43af65489cfae4925f");
});

Deno.test("netnsName() takes a name or a path under /var/run/netns", () => {
  assert.equal(netnsName("t1"), "t1");
  assert.equal(netnsName("/var/run/netns/t1"), "t1");
  assert.equal(netnsName("/run/netns/t1"), "t1");
  assert.throws(() => netnsName("/proc/1/ns/net"), /--netns-new wants a namespace name/);
  assert.throws(() => netnsName("../x"), /--netns-new wants a namespace name/);
});

interface Run {
  readonly status: number;
  readonly stdout: string;
  readonly stderr: string;
  readonly ip: string[][];
}

/**
 * Runs cnitool in-process with the fakes' plugins, netconf dir and cache dir (`--cache-dir`);
 * `ip` is recorded, not run.
 */
async function cnitool(
  fakes: FakePlugins,
  argv: string[],
  env: Record<string, string> = {},
  interrupt?: AbortSignal,
): Promise<Run> {
  let stdout = "";
  let stderr = "";
  const ip: string[][] = [];
  const real = denoHost();
  const host: Host = {
    ...real,
    run(program, args, options) {
      if (program !== "ip") return real.run(program, args, options);
      ip.push([...args]);
      return Promise.resolve({ code: 0, stdout: "", stderr: "" });
    },
  };
  const vars: Record<string, string> = {
    CNI_PATH: fakes.bin,
    NETCONFPATH: fakes.netDir,
    ...env,
  };
  const io: CnitoolIo = {
    getenv: (name) => vars[name],
    cwd: "/work",
    host,
    stdout: (text) => Promise.resolve(void (stdout += text)),
    stderr: (text) => Promise.resolve(void (stderr += text)),
    ...(interrupt === undefined ? {} : { interrupt }),
  };
  const status = await runCnitool([`--cache-dir=${fakes.cacheDir}`, ...argv], io);
  return { status, stdout, stderr, ip };
}

async function network(fakes: FakePlugins, version: string, plugins: Record<string, unknown>[]) {
  await Deno.writeTextFile(
    `${fakes.netDir}/10-net.conflist`,
    JSON.stringify({ cniVersion: version, name: "net", plugins }),
  );
}

const RESULT = '{"cniVersion":"1.0.0","ips":[{"address":"10.0.0.2/24","gateway":"10.0.0.1"}]}';

Deno.test("runCnitool() add prints the result as Go's cnitool does", async () => {
  await withFakes(async (fakes) => {
    await fakes.add("a", { ADD: { stdout: RESULT } });
    await network(fakes, "1.0.0", [{ type: "a", capabilities: { mac: true } }]);
    const run = await cnitool(fakes, ["add", "net", "ns/x"], {
      CNI_ARGS: "K=V",
      CAP_ARGS: '{"mac":"0a:00:00:00:00:01"}',
    });
    assert.deepEqual([run.status, run.stderr], [0, ""]);
    assert.equal(
      run.stdout,
      '{\n    "cniVersion": "1.0.0",\n    "ips": [\n        {\n            "address": "10.0.0.2/24",\n' +
        '            "gateway": "10.0.0.1"\n        }\n    ]\n}\n',
    );
    const [call] = await fakes.calls();
    assert.equal(call!.env.CNI_NETNS, "/work/ns/x");
    assert.equal(call!.env.CNI_IFNAME, "eth0");
    assert.equal(call!.env.CNI_ARGS, "K=V");
    assert.equal(call!.env.CNI_CONTAINERID, await containerIdFor("/work/ns/x"));
    assert.deepEqual(call!.config.runtimeConfig, { mac: "0a:00:00:00:00:01" });
  });
});

Deno.test("runCnitool() takes the interface and container ID from options and environment", async () => {
  await withFakes(async (fakes) => {
    await fakes.add("a");
    await network(fakes, "1.0.0", [{ type: "a" }]);
    await cnitool(fakes, ["--container-id", "mine", "del", "net", "/x"], { CNI_IFNAME: "net1" });
    await cnitool(fakes, ["del", "-i", "net2", "net", "/x"], { CNI_IFNAME: "net1" });
    await cnitool(fakes, ["del", "net", "/x"], { CNI_IFNAME: "" });
    await cnitool(fakes, ["-i=net7", "del", "net", "/x"]);
    const calls = await fakes.calls();
    assert.deepEqual(calls.map((c) => [c.env.CNI_IFNAME, c.env.CNI_CONTAINERID]), [
      ["net1", "mine"],
      ["net2", await containerIdFor("/x")],
      ["eth0", await containerIdFor("/x")],
      ["net7", await containerIdFor("/x")],
    ]);
  });
});

Deno.test("runCnitool() reads neither CNI_CONTAINERID nor CNI_CACHE_DIR, as Go's cnitool", async () => {
  await withFakes(async (fakes) => {
    await fakes.add("a", { ADD: { stdout: RESULT } });
    await network(fakes, "1.0.0", [{ type: "a" }]);
    // The variables of a plugin's own environment, where cnitool may run: they name another
    // attachment and another cache, which cnitool must not take for its own.
    const elsewhere = `${fakes.root}/elsewhere`;
    const run = await cnitool(fakes, ["add", "net", "/x"], {
      CNI_CONTAINERID: "outer",
      CNI_CACHE_DIR: elsewhere,
    });
    assert.equal(run.status, 0, run.stderr);
    const [call] = await fakes.calls();
    assert.equal(call!.env.CNI_CONTAINERID, await containerIdFor("/x"));
    assert.deepEqual([...Deno.readDirSync(`${fakes.cacheDir}/results`)].map((e) => e.name), [
      `net-${await containerIdFor("/x")}-eth0`,
    ]);
    await assert.rejects(Deno.stat(elsewhere), Deno.errors.NotFound);
  });
});

Deno.test("runCnitool() prints failures with the plugin's name and code, exit status 1", async (t) => {
  await withFakes(async (fakes) => {
    await fakes.add("a", {
      ADD: { stdout: '{"code":7,"msg":"bad","details":"d"}', exit: 1 },
      CHECK: { stdout: '{"code":999,"msg":"not ok"}', exit: 1 },
    });
    await network(fakes, "1.0.0", [{ type: "a" }]);
    const rows: [string, string[], Record<string, string>, string][] = [
      ["add", ["add", "net", "/x"], {}, 'plugin type="a" failed (add): bad; d\ncode=7\n'],
      [
        "check names the plugin",
        ["check", "net", "/x"],
        {},
        'plugin type="a" failed (check): not ok\ncode=999\n',
      ],
      [
        "no such network",
        ["del", "nope", "/x"],
        {},
        `no net configuration with name "nope" in ${fakes.netDir}\n`,
      ],
      [
        "no CNI_PATH",
        ["del", "net", "/x"],
        { CNI_PATH: "" },
        "CNI_PATH is not set: give the plugin directories, e.g. CNI_PATH=./bin:/usr/lib/cni\n",
      ],
      ["a bad CNI_ARGS", ["del", "net", "/x"], { CNI_ARGS: "x" }, 'invalid CNI_ARGS pair "x"\n'],
    ];
    for (const [name, argv, env, stderr] of rows) {
      await t.step(name, async () => {
        const run = await cnitool(fakes, argv, env);
        assert.deepEqual([run.status, run.stdout, run.stderr], [1, "", stderr]);
      });
    }
    await t.step("a bad command line prints the usage", async () => {
      const run = await cnitool(fakes, ["add"]);
      assert.equal(run.status, 1);
      assert.match(run.stderr, /^cnitool: add wants NETWORK NETNS\n\nUsage: cnitool /);
    });
  });
});

Deno.test("runCnitool() --verbose shows each plugin run on stderr", async () => {
  await withFakes(async (fakes) => {
    await fakes.add("a", { DEL: { stderr: "said something\n" } });
    await network(fakes, "1.0.0", [{ type: "a" }]);
    const run = await cnitool(fakes, ["-v", "--container-id=c1", "del", "net", "/x"]);
    assert.equal(run.status, 0);
    const lines = run.stderr.split("\n");
    assert.equal(lines[0], `cnitool: DEL a (${fakes.bin}/a)`);
    assert.equal(
      lines[1],
      `  env: CNI_COMMAND=DEL CNI_CONTAINERID=c1 CNI_NETNS=/x CNI_IFNAME=eth0 CNI_ARGS= CNI_PATH=${fakes.bin}`,
    );
    assert.equal(lines[2], '  stdin: {"cniVersion":"1.0.0","name":"net","type":"a"}');
    assert.match(lines[3]!, /^ {2}exit status 0 after \d+\.\d ms$/);
    assert.deepEqual(lines.slice(4), ["  stdout: (empty)", "  stderr: said something", ""]);
  });
});

Deno.test("runCnitool() gc deletes the network's cached attachments, keeping --valid ones", async () => {
  await withFakes(async (fakes) => {
    await fakes.add("a", { ADD: { stdout: RESULT } });
    await network(fakes, "1.1.0", [{ type: "a" }]);
    await cnitool(fakes, ["--container-id", "c1", "add", "net", "/x"]);
    await cnitool(fakes, ["--container-id", "c2", "add", "net", "/y"]);
    await fakes.clearCalls();
    const run = await cnitool(fakes, ["gc", "--valid", "c2/eth0", "net", "/ignored"]);
    assert.equal(run.status, 0, run.stderr);
    assert.deepEqual((await fakes.calls()).map((c) => `${c.command}:${c.env.CNI_CONTAINERID}`), [
      "DEL:c1",
      "GC:",
    ]);
    assert.deepEqual([...Deno.readDirSync(`${fakes.cacheDir}/results`)].map((e) => e.name), [
      "net-c2-eth0",
    ]);
  });
});

Deno.test("runCnitool() --netns-new makes the namespace, and removes attachment and namespace after", async (t) => {
  await withFakes(async (fakes) => {
    await fakes.add("a", { ADD: { stdout: RESULT } });
    await network(fakes, "1.0.0", [{ type: "a" }]);
    await t.step("add", async () => {
      const run = await cnitool(fakes, ["--netns-new", "add", "net", "trial"]);
      assert.equal(run.status, 0, run.stderr);
      assert.deepEqual(run.ip, [["netns", "add", "trial"], ["netns", "del", "trial"]]);
      const calls = await fakes.calls();
      assert.deepEqual(calls.map((c) => `${c.command}:${c.env.CNI_NETNS}`), [
        "ADD:/var/run/netns/trial",
        "DEL:/var/run/netns/trial",
      ]);
      assert.match(run.stdout, /"address": "10.0.0.2\/24"/);
    });
    await t.step("a failure still removes the namespace", async () => {
      await fakes.reply("a", "ADD", { exit: 1 });
      const run = await cnitool(fakes, ["--netns-new", "add", "net", "/var/run/netns/t2"]);
      assert.equal(run.status, 1);
      assert.deepEqual(run.ip, [["netns", "add", "t2"], ["netns", "del", "t2"]]);
      assert.equal(
        run.stderr,
        'plugin type="a" failed (add): netplugin failed with no error message: exit status 1\ncode=0\n',
      );
    });
  });
});

Deno.test("runCnitool() validate and status", async () => {
  await withFakes(async (fakes) => {
    await fakes.add("a", {
      VERSION: { stdout: '{"cniVersion":"1.1.0","supportedVersions":["1.1.0"]}' },
      STATUS: { stdout: '{"code":50,"msg":"not ready"}', exit: 1 },
    });
    await network(fakes, "1.1.0", [{ type: "a", capabilities: { portMappings: true } }]);
    const validate = await cnitool(fakes, ["validate", "net"]);
    assert.deepEqual([validate.status, validate.stdout], [
      0,
      '{"name":"net","cniVersion":"1.1.0","capabilities":["portMappings"]}\n',
    ]);
    const status = await cnitool(fakes, ["status", "net", "/x"]);
    assert.deepEqual([status.status, status.stderr], [
      1,
      'plugin type="a" failed (status): not ready\ncode=50\n',
    ]);
  });
});

Deno.test("runCnitool() --netns-new add: after a later plugin fails, DEL runs before the namespace goes", async () => {
  await withFakes(async (fakes) => {
    await fakes.add("a", { ADD: { stdout: RESULT } });
    await fakes.add("b", { ADD: { stdout: '{"code":11,"msg":"try again"}', exit: 1 } });
    await network(fakes, "1.0.0", [{ type: "a" }, { type: "b" }]);
    const run = await cnitool(fakes, ["--netns-new", "add", "net", "t3"]);
    assert.equal(run.status, 1);
    assert.equal(run.stderr, 'plugin type="b" failed (add): try again\ncode=11\n');
    // a's address is released: the chain's DEL runs, in reverse, inside the namespace.
    assert.deepEqual(await fakes.sequence(), ["a:ADD", "b:ADD", "b:DEL", "a:DEL"]);
    assert.deepEqual(run.ip, [["netns", "add", "t3"], ["netns", "del", "t3"]]);
  });
});

Deno.test("runCnitool() leaves nothing a plugin started in the background running", async () => {
  await withFakes(async (fakes) => {
    await fakes.add("a", { ADD: { stdout: RESULT, background: 60 } });
    await network(fakes, "1.0.0", [{ type: "a" }]);
    const run = await cnitool(fakes, ["add", "net", "/x"]);
    assert.equal(run.status, 0, run.stderr);
    const [call] = await fakes.calls();
    try {
      assert.deepEqual(await groupGone(call!.pid), []);
    } finally {
      killGroup(call!.pid);
    }
  });
});

Deno.test("runCnitool() on an interrupt kills the running plugin; --netns-new still runs DEL", async () => {
  await withFakes(async (fakes) => {
    await fakes.add("a", { ADD: { sleep: 120 } });
    await network(fakes, "1.0.0", [{ type: "a" }]);
    const interrupt = new AbortController();
    const started = Date.now();
    const running = cnitool(fakes, ["--netns-new", "add", "net", "t4"], {}, interrupt.signal);
    const [call] = await waitFor("the plugin's ADD", async () => {
      const calls = await fakes.calls();
      return calls.length > 0 ? calls : undefined;
    });
    try {
      interrupt.abort();
      const run = await running;
      // Long before the plugin's 120 s were up.
      assert.ok(Date.now() - started < 60_000);
      assert.equal(run.status, 1);
      assert.match(run.stderr, /^plugin type="a" failed \(add\): .*signal: killed/);
      assert.deepEqual(await fakes.sequence(), ["a:ADD", "a:DEL"]);
      assert.deepEqual(run.ip, [["netns", "add", "t4"], ["netns", "del", "t4"]]);
      assert.deepEqual(await groupGone(call!.pid), []);
    } finally {
      killGroup(call!.pid);
    }
  });
});

Deno.test("cnitool as a process: SIGTERM to its process group ends its plugin too", async () => {
  await withFakes(async (fakes) => {
    await fakes.add("a", { ADD: { sleep: 120 } });
    await network(fakes, "1.0.0", [{ type: "a" }]);
    // Its own process group, as a shell puts a command line in one.
    const child = spawnTsCnitool(["add", "net", "/x"], {
      cniPath: [fakes.bin],
      netconfPath: fakes.netDir,
      cacheDir: fakes.cacheDir,
    });
    const finished = child.output();
    let pid: number | undefined;
    try {
      const [call] = await waitFor("the plugin's ADD", async () => {
        const calls = await fakes.calls();
        return calls.length > 0 ? calls : undefined;
      });
      pid = call!.pid;
      Deno.kill(-child.pid, "SIGTERM");
      const output = await finished;
      assert.equal(output.code, 143, new TextDecoder().decode(output.stderr));
      assert.deepEqual(await groupGone(pid), []);
    } finally {
      killGroup(child.pid);
      if (pid !== undefined) killGroup(pid);
      await finished.catch(() => {});
    }
  });
});

Deno.test("runCnitool() runs configurations and CAP_ARGS nested as deep as Go decodes them", async (t) => {
  const nest = (depth: number) => "[".repeat(depth) + "]".repeat(depth);
  /** The network's file with a plugin key `depth` levels deep, counting the list's own three. */
  const deepNetwork = (fakes: FakePlugins, depth: number) =>
    Deno.writeTextFile(
      `${fakes.netDir}/10-net.conflist`,
      `{"cniVersion":"1.1.0","name":"net","plugins":[{"type":"a","capabilities":{"deep":true},` +
        `"deep":${nest(depth - 3)}}]}`,
    );
  const life = ["add", "check", "del"];
  await withFakes(async (fakes) => {
    await fakes.add("a", { ADD: { stdout: RESULT } });
    for (const depth of [2_500, 10_000]) {
      await t.step(`a configuration ${depth} levels deep`, async () => {
        await deepNetwork(fakes, depth);
        await fakes.clearCalls();
        for (const verb of [...life, "add", "gc"]) {
          const run = await cnitool(fakes, [verb, "net", "/x"]);
          assert.deepEqual([verb, run.status, run.stderr], [verb, 0, ""]);
        }
        assert.deepEqual(await fakes.sequence(), [
          "a:ADD",
          "a:CHECK",
          "a:DEL",
          "a:ADD",
          "a:DEL",
          "a:GC",
        ]);
        const [add] = await fakes.calls();
        assert.equal(JSON.stringify(add!.config.deep), nest(depth - 3));
      });
    }
    // CAP_ARGS of 9,999 levels make runtimeConfig 10,000 levels deep in the plugin's configuration.
    for (const depth of [2_500, 9_999]) {
      await t.step(`CAP_ARGS ${depth} levels deep`, async () => {
        await deepNetwork(fakes, 4);
        await fakes.clearCalls();
        const capArgs = { CAP_ARGS: `{"deep":${nest(depth - 1)}}` };
        for (const verb of [...life, "add"]) {
          const run = await cnitool(fakes, [verb, "net", "/x"], capArgs);
          assert.deepEqual([verb, run.status, run.stderr], [verb, 0, ""]);
        }
        // gc reads the capability arguments back from the cache for the stale attachment's DEL.
        const gc = await cnitool(fakes, ["gc", "net", "/x"]);
        assert.deepEqual([gc.status, gc.stderr], [0, ""]);
        const calls = await fakes.calls();
        assert.deepEqual(calls.map((c) => `${c.plugin}:${c.command}`), [
          "a:ADD",
          "a:CHECK",
          "a:DEL",
          "a:ADD",
          "a:DEL",
          "a:GC",
        ]);
        for (const call of calls.slice(0, 5)) {
          assert.equal(JSON.stringify(call.config.runtimeConfig), `{"deep":${nest(depth - 1)}}`);
        }
      });
    }
    const refused: [string, number, Record<string, string>, string][] = [
      [
        "a configuration 10,001 levels deep",
        10_001,
        {},
        "error parsing configuration list: invalid character '[' exceeded max depth\n",
      ],
      [
        "CAP_ARGS 10,000 levels deep: runtimeConfig would be 10,001",
        4,
        { CAP_ARGS: `{"deep":${nest(9_999)}}` },
        "plugin type=\"a\" failed (add): error parsing configuration: invalid character '[' " +
        "exceeded max depth\n",
      ],
      [
        "CAP_ARGS 10,001 levels deep",
        4,
        { CAP_ARGS: `{"deep":${nest(10_000)}}` },
        "invalid CAP_ARGS: invalid character '[' exceeded max depth\n",
      ],
    ];
    for (const [name, depth, env, stderr] of refused) {
      await t.step(`${name} is refused before any plugin runs, as Go refuses it`, async () => {
        await deepNetwork(fakes, depth);
        await fakes.clearCalls();
        const run = await cnitool(fakes, ["add", "net", "/x"], env);
        assert.deepEqual([run.status, run.stderr], [1, stderr]);
        assert.deepEqual(await fakes.sequence(), []);
      });
    }
  });
});
