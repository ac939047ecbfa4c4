import assert from "node:assert/strict";
import { CniError } from "../../lib/errors.ts";
import { denoHost, type Host, type RunOptions, type RunOutput } from "../../lib/host.ts";
import { execPlugin } from "../../lib/runtime/exec_plugin.ts";
import type { PluginRun } from "../../lib/runtime/types.ts";
import { withFakes } from "./_fake_plugins.ts";

const ENV = {
  CNI_COMMAND: "ADD",
  CNI_CONTAINERID: "c1",
  CNI_NETNS: "/var/run/netns/x",
  CNI_IFNAME: "eth0",
  CNI_ARGS: "",
  CNI_PATH: "/x",
};

async function failureOf(run: Promise<unknown>): Promise<CniError> {
  try {
    await run;
  } catch (error) {
    assert.ok(error instanceof CniError, `not a CniError: ${error}`);
    return error;
  }
  assert.fail("the run did not fail");
}

Deno.test("execPlugin() runs the plugin with its stdin and CNI variables over the caller's environment", async () => {
  await withFakes(async (fakes) => {
    const path = await fakes.add("p", {
      ADD: { stdout: '{"cniVersion":"1.0.0"}', stderr: "note\n" },
    });
    const stderr: string[] = [];
    const runs: PluginRun[] = [];
    const stdout = await execPlugin(path, '{"x":1}', ENV, {
      command: "ADD",
      type: "p",
      stderr: (text) => void stderr.push(text),
      onRun: (run) => void runs.push(run),
    });
    assert.equal(stdout, '{"cniVersion":"1.0.0"}');
    assert.deepEqual(stderr, ["note\n"]);
    const [call] = await fakes.calls();
    assert.equal(call?.stdin, '{"x":1}');
    for (const [key, value] of Object.entries(ENV)) assert.equal(call?.env[key], value);
    assert.equal(call?.env.PATH, Deno.env.get("PATH"));
    assert.equal(runs.length, 1);
    const [run] = runs;
    assert.deepEqual(
      { ...run, durationMs: 0 },
      {
        command: "ADD",
        type: "p",
        path,
        env: ENV,
        stdin: '{"x":1}',
        stdout: '{"cniVersion":"1.0.0"}',
        stderr: "note\n",
        code: 0,
        durationMs: 0,
      },
    );
    assert.ok(run!.durationMs > 0);
  });
});

Deno.test("execPlugin() reads a failure as libcni's RawExec does", async (t) => {
  const rows: [
    string,
    { stdout?: string; stderr?: string; exit: number },
    [number, string, string],
  ][] = [
    [
      "an error object",
      { stdout: '{"code":7,"msg":"bad config","details":"why"}', exit: 1 },
      [7, "bad config", "why"],
    ],
    [
      "an error object with other keys, matched ignoring case",
      { stdout: '{"cniVersion":"1.0.0","CODE":11,"Msg":"later"}', exit: 1 },
      [11, "later", ""],
    ],
    ["nothing at all", { exit: 3 }, [
      0,
      "netplugin failed with no error message: exit status 3",
      "",
    ]],
    [
      "only stderr",
      { stderr: "boom\n", exit: 1 },
      [0, 'netplugin failed: "boom\\n": exit status 1', ""],
    ],
    [
      "stdout that is not JSON",
      { stdout: "oops", stderr: "ignored", exit: 1 },
      [
        0,
        "netplugin failed but error parsing its diagnostic message \"oops\": invalid character 'o' looking for beginning of value",
        "",
      ],
    ],
    [
      "an error object with a code of the wrong type",
      { stdout: '{"code":"7","msg":"m"}', exit: 1 },
      [
        0,
        'netplugin failed but error parsing its diagnostic message "{\\"code\\":\\"7\\",\\"msg\\":\\"m\\"}": ' +
        "json: cannot unmarshal string into Go struct field Error.code of type uint",
        "",
      ],
    ],
    [
      "an error object whose msg does not decode keeps its code",
      { stdout: '{"code":7,"msg":1}', exit: 1 },
      [
        7,
        'netplugin failed but error parsing its diagnostic message "{\\"code\\":7,\\"msg\\":1}": ' +
        "json: cannot unmarshal number into Go struct field Error.msg of type string",
        "",
      ],
    ],
    ["null", { stdout: "null", exit: 1 }, [0, "", ""]],
  ];
  await withFakes(async (fakes) => {
    for (const [name, reply, expected] of rows) {
      await t.step(name, async () => {
        const path = await fakes.add("p", { ADD: reply });
        const error = await failureOf(execPlugin(path, "{}", ENV, { command: "ADD", type: "p" }));
        assert.deepEqual([error.code, error.message, error.details], expected);
      });
    }
  });
});

Deno.test("execPlugin() reports a signal, a time limit and a file it cannot start", async (t) => {
  await withFakes(async (fakes) => {
    await t.step("killed by a signal", async () => {
      const path = `${fakes.bin}/killed`;
      await Deno.writeTextFile(path, "#!/bin/sh\nkill -TERM $$\n", { mode: 0o755 });
      const error = await failureOf(execPlugin(path, "", ENV, { command: "DEL", type: "killed" }));
      assert.equal(error.message, "netplugin failed with no error message: signal: terminated");
    });
    await t.step("over the time limit: the process group is killed", async () => {
      const path = await fakes.add("slow", { ADD: { sleep: 30 } });
      const started = performance.now();
      const error = await failureOf(
        execPlugin(path, "", ENV, { command: "ADD", type: "slow", timeoutMs: 300 }),
      );
      assert.equal(
        error.message,
        "netplugin failed with no error message: signal: killed (time limit of 300 ms reached)",
      );
      assert.ok(performance.now() - started < 10_000);
    });
    await t.step("not executable", async () => {
      const path = `${fakes.bin}/plain`;
      await Deno.writeTextFile(path, "#!/bin/sh\n", { mode: 0o644 });
      await Deno.chmod(path, 0o644);
      const runs: PluginRun[] = [];
      const error = await failureOf(
        execPlugin(path, "", ENV, {
          command: "ADD",
          type: "plain",
          onRun: (r) => void runs.push(r),
        }),
      );
      assert.equal(error.code, 0);
      assert.equal(
        error.message,
        `netplugin failed with no error message: fork/exec ${path}: permission denied`,
      );
      assert.equal(runs[0]?.startError, `fork/exec ${path}: permission denied`);
      assert.equal(runs[0]?.code, -1);
    });
  });
});

Deno.test("execPlugin() quotes at most 1 KiB of a plugin's output", async () => {
  await withFakes(async (fakes) => {
    const path = await fakes.add("loud", { ADD: { stderr: "e".repeat(4096), exit: 1 } });
    const error = await failureOf(execPlugin(path, "", ENV, { command: "ADD", type: "loud" }));
    assert.equal(
      error.message,
      `netplugin failed: "${"e".repeat(1024)}" (3072 more bytes cut): exit status 1`,
    );
  });
});

/**
 * The real host with its runs scripted: each run takes the next answer (an output, or an error to
 * throw as a program that cannot start), and sleeps are recorded instead of waited.
 */
function scriptedHost(
  answers: (RunOutput | Error)[],
): Host & { sleeps: number[]; runs: RunOptions[] } {
  const sleeps: number[] = [];
  const runs: RunOptions[] = [];
  return {
    ...denoHost(),
    sleeps,
    runs,
    run(_program, _args, options) {
      runs.push(options);
      const answer = answers.shift();
      if (answer === undefined) throw new Error("no more answers");
      return answer instanceof Error ? Promise.reject(answer) : Promise.resolve(answer);
    },
    sleep: (ms) => {
      sleeps.push(ms);
      return Promise.resolve();
    },
  };
}

const BUSY = () => new Error("Failed to spawn '/p': Text file busy (os error 26)");

Deno.test("execPlugin() retries a plugin whose file is being written, 1 s apart, 5 times", async (t) => {
  await t.step("busy twice, then it runs", async () => {
    const host = scriptedHost([BUSY(), BUSY(), { code: 0, stdout: "{}", stderr: "" }]);
    assert.equal(await execPlugin("/p", "x", ENV, { command: "ADD", type: "p", host }), "{}");
    assert.deepEqual(host.sleeps, [1000, 1000]);
    assert.equal(host.runs.length, 3);
    assert.deepEqual(host.runs[0], { env: ENV, stdin: "x", timeoutMs: 300_000 });
  });
  await t.step("busy six times: it fails", async () => {
    const host = scriptedHost([BUSY(), BUSY(), BUSY(), BUSY(), BUSY(), BUSY()]);
    const error = await failureOf(execPlugin("/p", "x", ENV, { command: "ADD", type: "p", host }));
    assert.equal(
      error.message,
      "netplugin failed with no error message: fork/exec /p: text file busy",
    );
    assert.equal(host.sleeps.length, 5);
  });
});

Deno.test("execPlugin() refuses output beyond the host's limit", async () => {
  const host = scriptedHost([{ code: 0, stdout: "{", stderr: "", droppedBytes: 10 }]);
  const error = await failureOf(execPlugin("/p", "", ENV, { command: "ADD", type: "p", host }));
  assert.equal(
    error.message,
    "netplugin output is too large: 10 bytes beyond the limit were dropped",
  );
});
