/**
 * The test harness (lib/testing.ts) itself: what invoke() sends and reports, the per-version
 * loop, fixtures and the skip reasons.
 */
import assert from "node:assert/strict";
import { ip, result } from "../lib/result_builders.ts";
import type { Invocation, PluginHandlers } from "../lib/skel.ts";
import {
  atVersion,
  DEFAULT_TEST_ENV,
  fakeHost,
  forEachVersion,
  invoke,
  readFixture,
  skipReason,
  withNetns,
} from "../lib/testing.ts";
import { versionHasCheck } from "../lib/version.ts";

/** A low-level plugin whose ADD records its invocation and returns one IP. */
function recorder(seen: Invocation[]): PluginHandlers {
  return {
    about: "recorder",
    versions: ["0.4.0", "1.0.0", "1.1.0"],
    add(invocation) {
      seen.push(invocation);
      return result({ ips: [ip("10.1.0.5/24")] });
    },
  };
}

const CONFIG = { cniVersion: "1.0.0", name: "n", type: "recorder" };

Deno.test("invoke() runs a plugin in-process", async (t) => {
  await t.step("invoke() sends ADD with the default environment", async () => {
    const seen: Invocation[] = [];
    const added = await invoke(recorder(seen), { config: CONFIG });
    assert.equal(added.code, 0);
    const [invocation] = seen;
    assert.ok(invocation);
    assert.equal(invocation.command, "ADD");
    assert.deepEqual(
      [invocation.containerId, invocation.netns, invocation.ifName, invocation.path],
      [
        DEFAULT_TEST_ENV.CNI_CONTAINERID,
        DEFAULT_TEST_ENV.CNI_NETNS,
        DEFAULT_TEST_ENV.CNI_IFNAME,
        DEFAULT_TEST_ENV.CNI_PATH,
      ],
    );
    assert.deepEqual(invocation.document, CONFIG);
  });
  await t.step("invoke() reports exit status, stdout, parsed JSON and result", async () => {
    const added = await invoke(recorder([]), { config: CONFIG });
    assert.equal(
      added.stdout,
      JSON.stringify({ cniVersion: "1.0.0", ips: [{ address: "10.1.0.5/24" }] }, null, 4),
    );
    assert.equal(added.stderr, "");
    assert.deepEqual(added.json, { cniVersion: "1.0.0", ips: [{ address: "10.1.0.5/24" }] });
    assert.deepEqual(added.result, { cniVersion: "1.1.0", ips: [{ address: "10.1.0.5/24" }] });
    assert.equal(added.error, undefined);
  });
  await t.step("invoke() gives results of old versions in the newest shape", async () => {
    const added = await invoke(recorder([]), { config: { ...CONFIG, cniVersion: "0.4.0" } });
    assert.deepEqual(added.json, {
      cniVersion: "0.4.0",
      ips: [{ version: "4", address: "10.1.0.5/24" }],
      dns: {},
    });
    assert.deepEqual(added.result?.ips, [{ address: "10.1.0.5/24" }]);
  });
  await t.step("invoke() reports an error object", async () => {
    const added = await invoke(recorder([]), { config: { ...CONFIG, cniVersion: "9.9.9" } });
    assert.equal(added.code, 1);
    assert.equal(added.result, undefined);
    assert.deepEqual(added.error, {
      code: 1,
      msg: "incompatible CNI versions",
      details: 'config is "9.9.9", plugin supports ["0.4.0" "1.0.0" "1.1.0"]',
    });
  });
  await t.step("invoke() unsets a default variable given as the empty string", async () => {
    const added = await invoke(recorder([]), {
      env: { CNI_NETNS: "", CNI_PATH: "" },
      config: CONFIG,
    });
    assert.equal(added.error?.msg, "required env variables [CNI_NETNS,CNI_PATH] missing");
  });
  await t.step("invoke() sends a string config as it is", async () => {
    const added = await invoke(recorder([]), { config: "{nope" });
    assert.equal(added.error?.code, 6);
  });
  await t.step("invoke() sends an empty stdin without a config", async () => {
    const added = await invoke(recorder([]));
    assert.equal(added.error?.msg, "error unmarshall network config: unexpected end of JSON input");
  });
  await t.step("invoke() runs VERSION", async () => {
    const version = await invoke(recorder([]), { command: "VERSION" });
    assert.deepEqual(version.json, {
      cniVersion: "1.1.0",
      supportedVersions: ["0.4.0", "1.0.0", "1.1.0"],
    });
    assert.equal(version.result, undefined);
  });
  await t.step("invoke() never reads the real environment", async () => {
    const seen: string[] = [];
    const plugin: PluginHandlers = {
      ...recorder([]),
      add(invocation) {
        for (const name of ["PATH", "HOME"]) {
          seen.push(String(invocation.host.getenvBytes(name)));
        }
        return result();
      },
    };
    await invoke(plugin, { config: CONFIG });
    assert.deepEqual(seen, ["undefined", "undefined"]);
  });
});

Deno.test("invoke() collects console output as stderr", async (t) => {
  const chatty: PluginHandlers = {
    about: "",
    versions: ["1.0.0"],
    add() {
      console.log("to stdout in Deno, here stderr");
      console.error("to stderr");
      return result({ ips: [ip("10.1.0.5/24")] });
    },
  };
  await t.step("invoke() keeps stdout to the result", async () => {
    const added = await invoke(chatty, { config: CONFIG });
    assert.deepEqual(added.json, { cniVersion: "1.0.0", ips: [{ address: "10.1.0.5/24" }] });
    assert.equal(added.stderr, "to stdout in Deno, here stderr\nto stderr\n");
  });
  await t.step("invoke() restores the console afterwards", async () => {
    const log = console.log;
    await invoke(chatty, { config: CONFIG });
    assert.equal(console.log, log);
  });
  await t.step("invoke() runs overlapping calls one after the other", async () => {
    const slow: PluginHandlers = {
      about: "",
      versions: ["1.0.0"],
      async add(invocation) {
        console.log(`start ${invocation.containerId}`);
        await new Promise((resolve) => setTimeout(resolve, 5));
        console.log(`end ${invocation.containerId}`);
        return result();
      },
    };
    const [a, b] = await Promise.all(
      ["a", "b"].map((id) => invoke(slow, { env: { CNI_CONTAINERID: id }, config: CONFIG })),
    );
    assert.equal(a?.stderr, "start a\nend a\n");
    assert.equal(b?.stderr, "start b\nend b\n");
  });
});

Deno.test("invoke() fails a plugin that breaks the protocol", async (t) => {
  await t.step("invoke() rejects a result a runtime would not decode", async () => {
    const broken: PluginHandlers = {
      about: "",
      versions: ["1.0.0"],
      add: () => ({ cniVersion: "1.0.0", ips: [{ address: "10.1.0.5" }] }),
    };
    await assert.rejects(
      invoke(broken, { config: CONFIG }),
      /a runtime reading cniVersion 1\.0\.0 rejects \(invalid CIDR address: 10\.1\.0\.5\)/,
    );
  });
});

Deno.test("forEachVersion() runs one step per supported version", async (t) => {
  const plugin = recorder([]);
  const visited: string[] = [];
  await t.step("forEachVersion() visits every version in order", async (t) => {
    const passed = await forEachVersion(t, plugin, (version) => void visited.push(version));
    assert.equal(passed, true);
    assert.deepEqual(visited, ["0.4.0", "1.0.0", "1.1.0"]);
  });
  await t.step("forEachVersion() visits only the versions `only` accepts", async (t) => {
    const checked: string[] = [];
    const only = (v: string) => versionHasCheck(v) && v !== "1.1.0";
    await forEachVersion(t, plugin, (version) => void checked.push(version), { only });
    assert.deepEqual(checked, ["0.4.0", "1.0.0"]);
  });
});

Deno.test("atVersion() sends a configuration at another version", async (t) => {
  const chained = readFixture(new URL("testdata/authoring/chained.json", import.meta.url));
  await t.step("atVersion() converts the prevResult to 0.2.0", () => {
    assert.deepEqual(atVersion(chained, "0.2.0").prevResult, {
      cniVersion: "0.2.0",
      ip4: {
        ip: "10.22.0.5/16",
        gateway: "10.22.0.1",
        routes: [{ dst: "0.0.0.0/0", gw: "10.22.0.1" }],
      },
      dns: {},
    });
  });
  await t.step("atVersion() reads a prevResult without cniVersion in the config's version", () => {
    const config = {
      cniVersion: "0.4.0",
      name: "n",
      prevResult: { ips: [{ version: "4", address: "10.1.0.5/24" }] },
    };
    assert.deepEqual(atVersion(config, "1.1.0").prevResult, {
      cniVersion: "1.1.0",
      ips: [{ address: "10.1.0.5/24" }],
    });
  });
  await t.step("atVersion() sets only cniVersion without a prevResult", () => {
    assert.deepEqual(atVersion({ cniVersion: "1.0.0", name: "n", x: [1] }, "0.3.1"), {
      cniVersion: "0.3.1",
      name: "n",
      x: [1],
    });
  });
  await t.step("atVersion() leaves the original alone", () => {
    atVersion(chained, "0.3.0");
    assert.equal(chained.cniVersion, "1.0.0");
  });
});

Deno.test("readFixture() reads JSON files", async (t) => {
  await t.step("readFixture() names a file that is not JSON", () => {
    assert.throws(
      () => readFixture(new URL("testdata/authoring/chatty_plugin.ts", import.meta.url)),
      /fixture .*chatty_plugin\.ts is not JSON/,
    );
  });
  await t.step("readFixture() throws NotFound for a missing file", () => {
    assert.throws(
      () => readFixture(new URL("testdata/authoring/missing.json", import.meta.url)),
      Deno.errors.NotFound,
    );
  });
});

Deno.test("skipReason() names what is missing", async (t) => {
  await t.step("skipReason() is undefined when nothing is required", async () => {
    assert.equal(await skipReason({}), undefined);
  });
  await t.step("skipReason() names missing files and programs", async () => {
    assert.equal(
      await skipReason({ programs: ["dcni-no-such-program"], files: ["/nonexistent/x"] }),
      "needs dcni-no-such-program, /nonexistent/x",
    );
  });
  await t.step("skipReason() finds files and programs that exist", async () => {
    assert.equal(await skipReason({ programs: ["sh"], files: [Deno.execPath()] }), undefined);
  });
  await t.step("skipReason() does not count a directory as a file", async () => {
    assert.equal(await skipReason({ files: ["/usr"] }), "needs /usr");
  });
  await t.step("skipReason() agrees with `id -u` on root", async () => {
    const output = await new Deno.Command("id", { args: ["-u"] }).output();
    const root = new TextDecoder().decode(output.stdout).trim() === "0";
    assert.equal(await skipReason({ root: true }), root ? undefined : "needs root");
  });
});

Deno.test("fakeHost() records what a plugin does", async (t) => {
  await t.step("fakeHost() gives environment bytes as they were set", () => {
    const host = fakeHost({ env: { A: "é", B: new Uint8Array([0xff, 0x41]) } });
    assert.deepEqual(host.getenvBytes("A"), new TextEncoder().encode("é"));
    assert.deepEqual(host.getenvBytes("B"), new Uint8Array([0xff, 0x41]));
    assert.equal(host.getenvBytes("C"), undefined);
  });
  await t.step("fakeHost() gives stdin as bytes, empty by default", async () => {
    assert.deepEqual(await fakeHost({ stdin: "{}" }).readStdin(), new TextEncoder().encode("{}"));
    assert.deepEqual(
      await fakeHost({ stdin: new Uint8Array([1]) }).readStdin(),
      new Uint8Array([1]),
    );
    assert.deepEqual(await fakeHost().readStdin(), new Uint8Array());
  });
  await t.step("fakeHost() finds a program by path, or by name in any directory", async () => {
    const host = fakeHost({ programs: { "/opt/cni/bin/x": () => "by path", ip: () => "by name" } });
    assert.equal(await host.isFile("/opt/cni/bin/x"), true);
    assert.equal(await host.isFile("/other/x"), false);
    assert.equal(await host.isFile("/sbin/ip"), true);
    assert.equal(await host.isFile("/usr/local/bin/ip"), true);
    assert.equal(await host.isFile("ip"), true);
    assert.equal((await host.run("/opt/cni/bin/x", [], { timeoutMs: 1 })).stdout, "by path");
    assert.equal((await host.run("/bin/ip", [], { timeoutMs: 1 })).stdout, "by name");
  });
  await t.step("fakeHost() fails to start a program it does not have", async () => {
    const host = fakeHost({ programs: { ip: () => "" } });
    await assert.rejects(host.run("/usr/sbin/tc", ["qdisc"], { timeoutMs: 1 }), {
      message: "Failed to spawn '/usr/sbin/tc': No such file or directory (os error 2)",
    });
    assert.deepEqual(host.runs, []);
  });
  await t.step(
    "fakeHost() lets a program throw as a start failure, after recording it",
    async () => {
      const host = fakeHost({
        programs: {
          busy: () => {
            throw new Error("Text file busy (os error 26)");
          },
        },
      });
      await assert.rejects(host.run("/a/busy", [], { timeoutMs: 1 }), {
        message: /Text file busy/,
      });
      assert.equal(host.runs.length, 1);
    },
  );
  await t.step("fakeHost() records argv, stdin and the environment on top or alone", async () => {
    const host = fakeHost({
      env: { PATH: "/bin", CNI_COMMAND: "ADD" },
      programs: { p: (call) => ({ code: 3, stdout: call.stdin.toUpperCase(), stderr: "e" }) },
    });
    const first = await host.run("/x/p", ["-a", "b c"], {
      env: { CNI_COMMAND: "DEL" },
      stdin: "in",
      timeoutMs: 1,
    });
    await host.run("/x/p", [], {
      env: { LC_ALL: "C" },
      clearEnv: true,
      stdin: new TextEncoder().encode("bytes"),
      timeoutMs: 1,
    });
    assert.deepEqual(first, { code: 3, stdout: "IN", stderr: "e" });
    assert.deepEqual(host.runs, [
      {
        program: "/x/p",
        args: ["-a", "b c"],
        stdin: "in",
        env: { PATH: "/bin", CNI_COMMAND: "DEL" },
      },
      { program: "/x/p", args: [], stdin: "bytes", env: { LC_ALL: "C" } },
    ]);
  });
  await t.step(
    "fakeHost() fills a partial outcome with exit status 0 and empty output",
    async () => {
      const host = fakeHost({ programs: { p: () => ({ stderr: "warning" }) } });
      assert.deepEqual(await host.run("/p", [], { timeoutMs: 1 }), {
        code: 0,
        stdout: "",
        stderr: "warning",
      });
    },
  );
  await t.step(
    "fakeHost() records stdout, stderr, appended files and the exit status",
    async () => {
      const host = fakeHost();
      await host.writeStdout("a");
      await host.writeStdout("b");
      await host.writeStderr("e");
      await host.appendFile("/var/log/x.log", "1\n");
      await host.appendFile("/var/log/x.log", "2\n");
      assert.equal(host.exitCode, undefined);
      host.exit(3);
      assert.deepEqual(
        [host.stdout, host.stderr, [...host.files], host.exitCode],
        ["ab", "e", [["/var/log/x.log", "1\n2\n"]], 3],
      );
    },
  );
  const streams = [
    ["full", "No space left on device (os error 28)"],
    ["closed", "Broken pipe (os error 32)"],
  ] as const;
  for (const [mode, message] of streams) {
    await t.step(`fakeHost() fails writes to a ${mode} stdout or stderr`, async () => {
      const out = fakeHost({ stdout: mode });
      await assert.rejects(out.writeStdout("x"), { message });
      await out.writeStderr("fine");
      const err = fakeHost({ stderr: mode });
      await assert.rejects(err.writeStderr("x"), { message });
      await err.writeStdout("fine");
      assert.deepEqual([out.stdout, out.stderr, err.stdout, err.stderr], ["", "fine", "fine", ""]);
    });
  }
  await t.step("fakeHost() sleeps without waiting", async () => {
    const started = performance.now();
    await fakeHost().sleep(60_000);
    assert.ok(performance.now() - started < 1000);
  });
});

Deno.test("invoke() runs fake programs and failing streams", async (t) => {
  const delegating: PluginHandlers = {
    about: "",
    versions: ["1.0.0"],
    async add(invocation) {
      const output = await invocation.host.run("/opt/cni/bin/fixed", [], {
        env: { CNI_COMMAND: "ADD" },
        stdin: invocation.stdin,
        timeoutMs: 1000,
      });
      return JSON.parse(output.stdout);
    },
  };
  await t.step("invoke() gives the plugin its programs and reports the runs", async () => {
    const added = await invoke(delegating, {
      config: CONFIG,
      programs: { fixed: () => '{"cniVersion":"1.0.0","ips":[{"address":"10.1.0.7/24"}]}' },
    });
    assert.equal(added.code, 0, added.stdout);
    assert.deepEqual(added.result?.ips, [{ address: "10.1.0.7/24" }]);
    assert.deepEqual(added.runs.map((r) => [r.program, r.stdin]), [
      ["/opt/cni/bin/fixed", JSON.stringify(CONFIG)],
    ]);
    assert.equal(added.runs, added.host.runs);
  });
  await t.step("invoke() passes the environment as bytes", async () => {
    const seen: Invocation[] = [];
    const added = await invoke(recorder(seen), {
      env: { CNI_IFNAME: new Uint8Array([0x65, 0xff]) },
      config: CONFIG,
    });
    // The byte that is not UTF-8 reaches the dispatcher as it is, which names it.
    assert.deepEqual(added.error, { code: 4, msg: "CNI_IFNAME is not UTF-8", details: '"e\\xff"' });
    assert.equal(seen.length, 0);
  });
  await t.step("invoke() reports a lost answer with exit status 1 and no stdout", async () => {
    const added = await invoke(recorder([]), { config: CONFIG, stdout: "closed" });
    assert.deepEqual(
      [added.code, added.stdout, added.json, added.error],
      [1, "", undefined, undefined],
    );
    assert.equal(added.stderr, "cannot write the answer to stdout: Broken pipe (os error 32)\n");
  });
  await t.step("invoke() loses console output to a failing stderr without failing", async () => {
    const chatty: PluginHandlers = {
      ...recorder([]),
      add() {
        console.log("lost");
        return result({ ips: [ip("10.1.0.5/24")] });
      },
    };
    const added = await invoke(chatty, { config: CONFIG, stderr: "full" });
    assert.deepEqual([added.code, added.stderr], [0, ""]);
  });
});

Deno.test("atVersion() refuses what it cannot send", async (t) => {
  await t.step("atVersion() cannot send a result without IPs as 0.2.0", () => {
    assert.throws(
      () =>
        atVersion({ cniVersion: "1.0.0", name: "n", prevResult: { cniVersion: "1.0.0" } }, "0.2.0"),
      { message: "cannot convert: no valid IP addresses" },
    );
  });
  await t.step("atVersion() refuses a prevResult that does not decode", () => {
    assert.throws(
      () =>
        atVersion(
          { cniVersion: "1.0.0", name: "n", prevResult: { ips: [{ address: "10.1.0.5" }] } },
          "1.1.0",
        ),
      { message: "invalid CIDR address: 10.1.0.5" },
    );
  });
});

const netnsSkip = await skipReason({ root: true, programs: ["ip"] });
if (netnsSkip !== undefined) console.log(`withNetns() tests ignored: ${netnsSkip}`);

Deno.test({
  name: "withNetns() makes a namespace and always deletes it",
  ignore: netnsSkip !== undefined,
  async fn(t) {
    const exists = (path: string) => Deno.lstat(path).then(() => true, () => false);
    await t.step("withNetns() gives a namespace path and deletes it afterwards", async () => {
      let seen = "";
      const value = await withNetns(async (path) => {
        seen = path;
        assert.match(path, /^\/var\/run\/netns\/dcni-test-[0-9a-f]{10}$/);
        assert.equal(await exists(path), true);
        return 42;
      });
      assert.equal(value, 42);
      assert.equal(await exists(seen), false);
    });
    await t.step("withNetns() deletes the namespace when fn throws", async () => {
      let seen = "";
      await assert.rejects(
        withNetns((path) => {
          seen = path;
          return Promise.reject(new Error("inside"));
        }),
        { message: "inside" },
      );
      assert.notEqual(seen, "");
      assert.equal(await exists(seen), false);
    });
  },
});
