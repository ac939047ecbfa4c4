/**
 * stdout belongs to the protocol: console output of a handler goes to stderr, in a real process
 * (runPlugin) and in the test harness, and logging to a file never fails a verb. The process
 * tests run tests/testdata/authoring/chatty_plugin.ts with permissions like a compiled plugin's,
 * in a clean environment.
 */
import assert from "node:assert/strict";
import { formatConsoleArgs, redirectConsole } from "../lib/_console.ts";
import { RUN_FLAGS } from "../scripts/manifest.ts";

Deno.test("formatConsoleArgs() formats like the console", async (t) => {
  const rows: { name: string; args: unknown[]; want: string }[] = [
    { name: "strings as they are", args: ["a", "b"], want: "a b" },
    { name: "objects inspected", args: ["x", { a: [1] }], want: "x { a: [ 1 ] }" },
    { name: "a lone format string untouched", args: ["100%s"], want: "100%s" },
    { name: "%s, %d, %i and %f", args: ["%s=%d %i %f", "n", 4.7, "7", "1.5"], want: "n=4 7 1.5" },
    { name: "%o and %O inspected", args: ["%o|%O", "s", [1]], want: '"s"|[ 1 ]' },
    { name: "%c dropped and %% kept", args: ["%cred%%", "color: red"], want: "red%" },
    { name: "missing values left as written", args: ["%s %s", "one"], want: "one %s" },
    { name: "extra values appended", args: ["%s", "a", "b", 3], want: "a b 3" },
    { name: "no arguments as an empty line", args: [], want: "" },
  ];
  for (const row of rows) {
    await t.step(`formatConsoleArgs() prints ${row.name}`, () => {
      assert.equal(formatConsoleArgs(row.args), row.want);
    });
  }
});

Deno.test("redirectConsole() catches every printing method", async (t) => {
  await t.step("redirectConsole() sends each method to the writer", () => {
    const lines: string[] = [];
    const restore = redirectConsole((text) => void lines.push(text));
    try {
      console.log("log");
      console.info("info");
      console.debug("debug");
      console.warn("warn");
      console.error("error");
      console.dir({ a: 1 });
      console.dirxml("dirxml");
      console.table([1]);
      console.assert(true, "not printed");
      console.assert(false, "asserted %s", "x");
      console.count();
      console.count();
      console.countReset();
      console.count();
      console.group("g");
      console.log("a\nb");
      console.groupEnd();
      console.timeEnd("never started");
    } finally {
      restore();
    }
    assert.deepEqual(lines, [
      "log\n",
      "info\n",
      "debug\n",
      "warn\n",
      "error\n",
      "{ a: 1 }\n",
      "dirxml\n",
      "[ 1 ]\n",
      "Assertion failed: asserted x\n",
      "default: 1\n",
      "default: 2\n",
      "default: 1\n",
      "g\n",
      "  a\n  b\n",
      "Warning: Timer 'never started' does not exist\n",
    ]);
  });
  await t.step("redirectConsole() times with time, timeLog and timeEnd", () => {
    const lines: string[] = [];
    const restore = redirectConsole((text) => void lines.push(text));
    try {
      console.time("t");
      console.timeLog("t", "half");
      console.timeEnd("t");
      console.timeEnd("t");
    } finally {
      restore();
    }
    assert.equal(lines.length, 3);
    assert.match(lines[0]!, /^t: \d+\.\d{3}ms half\n$/);
    assert.match(lines[1]!, /^t: \d+\.\d{3}ms\n$/);
    assert.equal(lines[2], "Warning: Timer 't' does not exist\n");
  });
  await t.step("redirectConsole()'s restore puts the original methods back", () => {
    const before = [console.log, console.error, console.count, console.timeEnd];
    redirectConsole(() => {})();
    assert.deepEqual([console.log, console.error, console.count, console.timeEnd], before);
  });
});

const CHATTY = new URL("testdata/authoring/chatty_plugin.ts", import.meta.url).pathname;
const CNI_ENV = "CNI_COMMAND,CNI_CONTAINERID,CNI_NETNS,CNI_IFNAME,CNI_ARGS,CNI_PATH";
const ADD_ENV = {
  CNI_COMMAND: "ADD",
  CNI_CONTAINERID: "c1",
  CNI_NETNS: "/var/run/netns/c1",
  CNI_IFNAME: "eth0",
  CNI_PATH: "/opt/cni/bin",
};
const CONFIG = JSON.stringify({ cniVersion: "1.0.0", name: "net", type: "chatty" });

/** Runs the chatty plugin as a process with `permissions`, a clean environment and CONFIG. */
async function runChatty(permissions: string[], env: Record<string, string> = {}) {
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", ...RUN_FLAGS, ...permissions, CHATTY],
    clearEnv: true,
    env: { ...ADD_ENV, ...env },
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

const RESULT = { cniVersion: "1.0.0", ips: [{ address: "10.1.0.5/24", gateway: "10.1.0.1" }] };

Deno.test("a plugin process keeps console output off stdout", async (t) => {
  const dir = await Deno.makeTempDir({ prefix: "dcni-console-test-" });
  const logEnv = `--allow-env=${CNI_ENV},DENO_CNI_LOG_LEVEL,DENO_CNI_LOG_FILE`;
  try {
    await t.step(
      "a handler's console output goes to stderr and stdout holds the result",
      async () => {
        const run = await runChatty([`--allow-env=${CNI_ENV}`]);
        assert.equal(run.code, 0, run.stderr);
        assert.deepEqual(JSON.parse(run.stdout), RESULT);
        assert.equal(run.stdout, JSON.stringify(RESULT, null, 4));
        const lines = run.stderr.split("\n");
        const expected = [
          /^log line$/,
          /^info line$/,
          /^debug line$/,
          /^\{ dir: 1 \}$/,
          /^dirxml line$/,
          /^\[ 1 \]$/,
          /^calls: 1$/,
          /^t: \d+\.\d{3}ms$/,
          /^t: \d+\.\d{3}ms$/,
          /^group$/,
          /^ {2}inside$/,
          /^warn line$/,
          /^error line$/,
          /^$/,
        ];
        assert.equal(lines.length, expected.length, run.stderr);
        expected.forEach((pattern, i) => assert.match(lines[i]!, pattern));
      },
    );
    await t.step("the log file gets the handler's records and the verb's outcome", async () => {
      const file = `${dir}/cni/chatty.log`;
      // Read and write on the log directory alone, as a compiled plugin would be given.
      const run = await runChatty([logEnv, `--allow-write=${dir}`, `--allow-read=${dir}`], {
        DENO_CNI_LOG_FILE: file,
      });
      assert.equal(run.code, 0, run.stderr);
      assert.deepEqual(JSON.parse(run.stdout), RESULT);
      const records = (await Deno.readTextFile(file)).trimEnd().split("\n").map((l) =>
        JSON.parse(l)
      );
      assert.deepEqual(records.map((r) => [r.msg, r.verb, r.containerId, r.network]), [
        ["logged", "ADD", "c1", "net"],
        ["ADD ok", "ADD", "c1", "net"],
      ]);
    });
    await t.step("a log file outside --allow-write costs a warning, not the verb", async () => {
      const outside = await Deno.makeTempDir({ prefix: "dcni-console-outside-" });
      try {
        const run = await runChatty([logEnv, `--allow-write=${dir}`], {
          DENO_CNI_LOG_FILE: `${outside}/chatty.log`,
        });
        assert.equal(run.code, 0, run.stderr);
        assert.deepEqual(JSON.parse(run.stdout), RESULT);
        assert.match(run.stderr, /chatty ADD: warn: cannot write the log file .*chatty\.log: /);
        assert.deepEqual([...Deno.readDirSync(outside)], []);
      } finally {
        await Deno.remove(outside, { recursive: true });
      }
    });
    await t.step("logging variables the permissions do not name are ignored", async () => {
      const file = `${dir}/ignored.log`;
      const run = await runChatty([`--allow-env=${CNI_ENV}`, `--allow-write=${dir}`], {
        DENO_CNI_LOG_FILE: file,
        DENO_CNI_LOG_LEVEL: "debug",
      });
      assert.equal(run.code, 0, run.stderr);
      assert.deepEqual(JSON.parse(run.stdout), RESULT);
      assert.doesNotMatch(run.stderr, /logged|warn:/);
      assert.throws(() => Deno.statSync(file), Deno.errors.NotFound);
    });
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
