/**
 * lib/runner.ts: runPlugin() runs the dispatcher on a host and exits with its status; console
 * output goes to stderr, and a promise rejected unhandled costs one line on stderr, never a crash
 * or a stack trace. In-process with a fake host, and as a real process.
 */
import assert from "node:assert/strict";
import { definePlugin } from "../lib/plugin.ts";
import { ip, result } from "../lib/result_builders.ts";
import { runPlugin } from "../lib/runner.ts";
import { fakeHost } from "../lib/testing.ts";

const ENV = {
  CNI_COMMAND: "ADD",
  CNI_CONTAINERID: "c1",
  CNI_NETNS: "/var/run/netns/c1",
  CNI_IFNAME: "eth0",
  CNI_PATH: "/opt/cni/bin",
};
const CONFIG = JSON.stringify({ cniVersion: "1.0.0", name: "net", type: "talker" });
const RESULT = { cniVersion: "1.0.0", ips: [{ address: "10.1.0.5/24" }] };

const talker = definePlugin({
  name: "talker",
  add() {
    console.log("hello from ADD");
    console.info({ step: 1 });
    return result({ ips: [ip("10.1.0.5/24")] });
  },
  del() {
    throw new Error("cannot release");
  },
});

/**
 * Runs runPlugin() and puts the console back afterwards: runPlugin redirects it for the rest of
 * a plugin process's life, which here is the rest of the test run.
 */
async function runRestoringConsole(fn: () => Promise<void>): Promise<void> {
  const target = console as unknown as Record<string, unknown>;
  const own = new Map(Object.getOwnPropertyNames(console).map((name) => [name, target[name]]));
  try {
    await fn();
  } finally {
    for (const name of Object.getOwnPropertyNames(console)) {
      if (own.has(name)) target[name] = own.get(name);
      else delete target[name];
    }
  }
}

Deno.test("runPlugin() with a fake host", async (t) => {
  await t.step("runPlugin() exits 0 after ADD and prints the result on stdout", async () => {
    const host = fakeHost({ env: ENV, stdin: CONFIG });
    await runRestoringConsole(() => runPlugin(talker, { host }));
    assert.equal(host.exitCode, 0);
    assert.equal(host.stdout, JSON.stringify(RESULT, null, 4));
  });
  await t.step("runPlugin() sends a handler's console output to stderr", async () => {
    const host = fakeHost({ env: ENV, stdin: CONFIG });
    await runRestoringConsole(() => runPlugin(talker, { host }));
    assert.equal(host.stderr, "hello from ADD\n{ step: 1 }\n");
    assert.deepEqual(JSON.parse(host.stdout), RESULT);
  });
  await t.step("runPlugin() exits 1 after an error object", async () => {
    const host = fakeHost({ env: { ...ENV, CNI_COMMAND: "DEL" }, stdin: CONFIG });
    await runRestoringConsole(() => runPlugin(talker, { host }));
    assert.equal(host.exitCode, 1);
    assert.deepEqual(JSON.parse(host.stdout), { code: 999, msg: "cannot release" });
  });
  await t.step("runPlugin() exits 0 after the about text", async () => {
    const host = fakeHost({ env: {}, stdin: "" });
    await runRestoringConsole(() => runPlugin(talker, { host }));
    assert.equal(host.exitCode, 0);
    assert.equal(host.stdout, "");
    assert.match(host.stderr, /^CNI talker plugin\n/);
  });
  await t.step("runPlugin() exits 1 when the answer cannot be written", async () => {
    const host = fakeHost({ env: ENV, stdin: CONFIG, stdout: "closed" });
    await runRestoringConsole(() => runPlugin(talker, { host }));
    assert.equal(host.exitCode, 1);
    assert.match(host.stderr, /cannot write the answer to stdout: Broken pipe/);
  });
  await t.step(
    "runPlugin() restores nothing: the console stays on the plugin's stderr",
    async () => {
      const host = fakeHost({ env: ENV, stdin: CONFIG });
      const log = console.log;
      await runRestoringConsole(async () => {
        await runPlugin(talker, { host });
        assert.notEqual(console.log, log);
        console.log("after the verb");
      });
      assert.equal(console.log, log);
      assert.match(host.stderr, /after the verb\n$/);
    },
  );
  // Last: the listener runPlugin adds stays for the rest of this file.
  await t.step("runPlugin() writes an unhandled rejection as one line, with no stack", async () => {
    const host = fakeHost({ env: ENV, stdin: CONFIG });
    await runRestoringConsole(async () => {
      await runPlugin(talker, { host });
      const before = host.stderr;
      void Promise.reject(new Error("late failure"));
      await new Promise((resolve) => setTimeout(resolve, 10));
      assert.equal(
        host.stderr.slice(before.length),
        "unhandled rejection: late failure\n",
      );
    });
    assert.equal(host.exitCode, 0);
  });
});

const STRAY = new URL("testdata/authoring/stray_plugin.ts", import.meta.url).pathname;
const PERMISSIONS =
  "--allow-env=CNI_COMMAND,CNI_CONTAINERID,CNI_NETNS,CNI_IFNAME,CNI_ARGS,CNI_PATH";

async function runStray(command: string) {
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "--no-config", "--no-lock", "--no-prompt", "--quiet", PERMISSIONS, STRAY],
    clearEnv: true,
    env: { ...ENV, CNI_COMMAND: command },
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const writer = child.stdin.getWriter();
  await writer.write(new TextEncoder().encode(CONFIG));
  await writer.close();
  const output = await child.output();
  const decoder = new TextDecoder();
  return {
    code: output.code,
    stdout: decoder.decode(output.stdout),
    stderr: decoder.decode(output.stderr),
  };
}

Deno.test("runPlugin() in a plugin process", async (t) => {
  await t.step("a stray rejection costs one stderr line and the verb still succeeds", async () => {
    const run = await runStray("ADD");
    assert.equal(run.code, 0, run.stderr);
    assert.deepEqual(JSON.parse(run.stdout), RESULT);
    assert.equal(
      run.stderr,
      "unhandled rejection: a stray promise failed\n",
    );
  });
  await t.step("a handler's plain Error is one error object, exit 1 and no stack", async () => {
    const run = await runStray("DEL");
    assert.equal(run.code, 1);
    assert.deepEqual(JSON.parse(run.stdout), { code: 999, msg: "nothing to release here" });
    assert.equal(run.stderr, "");
  });
});

Deno.test("a plugin that may not read CNI_COMMAND says so, and does not pass for a success", async () => {
  const output = await new Deno.Command(Deno.execPath(), {
    args: ["run", "--no-config", "--quiet", "--allow-env=CNI_CONTAINERID", "examples/noop.ts"],
    cwd: new URL("../", import.meta.url).pathname,
    env: { CNI_COMMAND: "ADD" },
    clearEnv: true,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).output();
  assert.equal(output.code, 1);
  assert.deepEqual(JSON.parse(new TextDecoder().decode(output.stdout)), {
    code: 999,
    msg: 'missing permission: deno-noop may not read the environment variable "CNI_COMMAND"',
    details:
      'add it to the --allow-env flag of the entry of "deno-noop" in plugins.json and rebuild',
  });
});
