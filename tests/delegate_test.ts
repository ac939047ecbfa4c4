/**
 * lib/delegate.ts (spec "Section 4: Plugin Delegation"): finding a delegate in CNI_PATH, running
 * it with the caller's environment and only CNI_COMMAND changed, reading its result in its own
 * version, turning its failures into errors, the delegator bound to an invocation (which releases
 * a delegated ADD when the verb fails, and at once when the ADD itself fails), and real processes
 * through the Deno host.
 */
import assert from "node:assert/strict";
import { relative } from "node:path";
import {
  delegateAdd,
  delegateCheck,
  delegateDel,
  delegateGc,
  type DelegateOptions,
  delegateStatus,
  delegator,
  findInPath,
  parseDelegateResult,
} from "../lib/delegate.ts";
import { CniError } from "../lib/errors.ts";
import { denoHost, type Host, type RunOutput } from "../lib/host.ts";
import { startsSettled } from "../lib/_program_starts.ts";
import type { UndoAction } from "../lib/skel.ts";
import { fakeHost, type FakeHostOptions, type FakeProgram, readFixture } from "../lib/testing.ts";

const CONFIG = '{"cniVersion":"1.1.0","name":"net","type":"ptp","ipam":{"type":"host-local"}}';

/** A fake host whose sleeps are recorded. */
function recordingHost(options: FakeHostOptions) {
  const host = fakeHost(options);
  const sleeps: number[] = [];
  host.sleep = (ms) => {
    sleeps.push(ms);
    return Promise.resolve();
  };
  return { host, sleeps };
}

/** A fake program that gives `outputs` (or throws them) one per run, in order. */
function sequence(...outputs: (Partial<RunOutput> | string | Error)[]): FakeProgram {
  return () => {
    const next = outputs.shift();
    if (next === undefined) throw new Error("ran once too often");
    if (next instanceof Error) throw next;
    return next;
  };
}

/** The error a promise rejects with, as the runtime would print it. */
async function rejection(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof CniError) return { cniError: error.toJSON() };
    return { error: (error as Error).message };
  }
  assert.fail("expected a rejection");
}

Deno.test("findInPath() follows the reference's rules", async (t) => {
  const cases = readFixture<
    Record<
      string,
      { name: string; paths: string[]; files: string[]; found?: string; error?: string }
    >
  >(new URL("testdata/delegate/find.json", import.meta.url));
  for (const [name, c] of Object.entries(cases)) {
    await t.step(`findInPath() with ${name}`, async () => {
      const isFile = (path: string) => Promise.resolve(c.files.includes(path));
      if (c.found !== undefined) {
        assert.equal(await findInPath(c.name, c.paths, { isFile }), c.found);
      } else {
        await assert.rejects(findInPath(c.name, c.paths, { isFile }), { message: c.error });
      }
    });
  }
});

Deno.test("findInPath() with the Deno host looks at real files", async (t) => {
  const root = await Deno.makeTempDir({ prefix: "dcni-find-" });
  const host = denoHost();
  try {
    for (const dir of ["a", "b", "c"]) await Deno.mkdir(`${root}/${dir}`);
    await Deno.writeTextFile(`${root}/b/p`, "", { mode: 0o644 });
    await Deno.writeTextFile(`${root}/c/p`, "");
    await Deno.mkdir(`${root}/a/p`);
    await Deno.writeTextFile(`${root}/c/target`, "");
    await Deno.symlink(`${root}/c/target`, `${root}/a/link`);
    const dirs = [`${root}/a`, `${root}/b`, `${root}/c`];

    await t.step("a directory is skipped; a file without the execute bit is found", async () => {
      assert.equal(((await Deno.stat(`${root}/b/p`)).mode ?? 0) & 0o111, 0);
      assert.equal(await findInPath("p", dirs, host), `${root}/b/p`);
    });
    await t.step("a symlink to a file counts", async () => {
      assert.equal(await findInPath("link", dirs, host), `${root}/a/link`);
    });
    await t.step("a relative directory stays relative, cleaned", async () => {
      // Relative to the working directory as it is: test files run side by side in one process.
      const rel = relative(Deno.cwd(), root);
      assert.equal(await findInPath("p", [`./${rel}/a`, `./${rel}/b/`], host), `${rel}/b/p`);
      assert.equal(await findInPath("p", ["", `${rel}/b`], host), `${rel}/b/p`);
    });
    await t.step("nothing found names the directories", async () => {
      await assert.rejects(findInPath("nope", dirs, host), {
        message: `failed to find plugin "nope" in path [${dirs.join(" ")}]`,
      });
    });
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("each verb runs the delegate with CNI_COMMAND set and stdin unchanged", async (t) => {
  const verbs = {
    ADD: delegateAdd,
    CHECK: delegateCheck,
    DEL: delegateDel,
    GC: delegateGc,
    STATUS: delegateStatus,
  } as const;
  for (const [verb, call] of Object.entries(verbs)) {
    await t.step(`delegate${verb} runs <dir>/host-local with CNI_COMMAND=${verb}`, async () => {
      const host = fakeHost({
        env: { CNI_COMMAND: "DEL", PATH: "/usr/bin" },
        programs: { "/b/host-local": () => (verb === "ADD" ? '{"cniVersion":"1.1.0"}' : "") },
      });
      const options: DelegateOptions = {
        host,
        cniPath: "/a:/b",
        env: { CNI_IFNAME: "eth1", CNI_COMMAND: "GC" },
      };
      await call("host-local", CONFIG, options);
      assert.deepEqual(host.runs, [{
        program: "/b/host-local",
        args: [],
        stdin: CONFIG,
        env: { CNI_COMMAND: verb, PATH: "/usr/bin", CNI_IFNAME: "eth1" },
      }]);
    });
  }
  await t.step("the time limit is passed on, one minute by default", async () => {
    const limits: number[] = [];
    const host = fakeHost({ programs: { "/a/x": () => "" } });
    const run = host.run;
    host.run = (program, args, options) => {
      limits.push(options.timeoutMs);
      return run(program, args, options);
    };
    await delegateDel("x", CONFIG, { host, cniPath: "/a", timeoutMs: 1234 });
    await delegateDel("x", CONFIG, { host, cniPath: "/a" });
    assert.deepEqual(limits, [1234, 60_000]);
  });
  await t.step("a delegate's stderr is passed on after success", async () => {
    const host = fakeHost({ programs: { "/a/x": () => ({ stderr: "note\n" }) } });
    await delegateCheck("x", CONFIG, { host, cniPath: "/a" });
    assert.equal(host.stderr, "note\n");
  });
  for (const stderr of ["full", "closed"] as const) {
    await t.step(`a ${stderr} stderr does not fail the delegate call`, async () => {
      const host = fakeHost({
        stderr,
        programs: { "/a/x": () => ({ stdout: '{"cniVersion":"1.1.0"}', stderr: "note\n" }) },
      });
      assert.deepEqual(await delegateAdd("x", CONFIG, { host, cniPath: "/a" }), {
        cniVersion: "1.1.0",
      });
    });
  }
});

Deno.test("delegation refuses what a configuration must not name", async (t) => {
  for (const type of ["/bin/sh", "../sbin/ip", "a/b", ""]) {
    await t.step(
      `delegateAdd() refuses type ${JSON.stringify(type)} and runs nothing`,
      async () => {
        const host = fakeHost({ programs: { sh: () => "", ip: () => "", b: () => "" } });
        const error = await rejection(delegateAdd(type, CONFIG, { host, cniPath: "/a" }));
        assert.deepEqual(error, {
          error: type === "" ? "no plugin name provided" : `invalid plugin name: ${type}`,
        });
        assert.deepEqual(host.runs, []);
      },
    );
  }
  await t.step("delegateStatus() with an empty CNI_PATH fails with no paths provided", async () => {
    const host = fakeHost({ programs: { x: () => "" } });
    assert.deepEqual(await rejection(delegateStatus("x", CONFIG, { host, cniPath: "" })), {
      error: "no paths provided",
    });
  });
  await t.step("delegateDel() names the path searched when nothing is found", async () => {
    const host = fakeHost();
    assert.deepEqual(await rejection(delegateDel("x", CONFIG, { host, cniPath: "/a:/b" })), {
      error: 'failed to find plugin "x" in path [/a /b]',
    });
  });
});

Deno.test("a failing delegate's error reaches the caller", async (t) => {
  const rows: { name: string; program: FakeProgram; timeoutMs?: number; error: unknown }[] = [
    {
      name: "passes a code 50 error object through",
      program: () => ({
        code: 1,
        stdout: '{"code":50,"msg":"not available","details":"no leases"}',
      }),
      error: { cniError: { code: 50, msg: "not available", details: "no leases" } },
    },
    {
      name: "reports a program that cannot start as code 0",
      program: sequence(new Error("Permission denied (os error 13)")),
      error: {
        cniError: {
          code: 0,
          msg: "netplugin failed with no error message: fork/exec /a/x: permission denied",
        },
      },
    },
    {
      name: "reports exit status 1 without output",
      program: () => ({ code: 1 }),
      error: {
        cniError: { code: 0, msg: "netplugin failed with no error message: exit status 1" },
      },
    },
    {
      name: "quotes stderr when there is no stdout",
      program: () => ({ code: 3, stderr: "no luck\n" }),
      error: { cniError: { code: 0, msg: 'netplugin failed: "no luck\\n": exit status 3' } },
    },
    {
      name: "names the time limit when it ran out",
      program: () => ({ code: 137, signal: "SIGKILL", timedOut: true }),
      timeoutMs: 300,
      error: {
        cniError: {
          code: 0,
          msg:
            "netplugin failed with no error message: signal: killed (time limit of 300 ms reached)",
        },
      },
    },
  ];
  for (const row of rows) {
    await t.step(`delegateStatus() ${row.name}`, async () => {
      const host = fakeHost({ programs: { "/a/x": row.program } });
      const options = { host, cniPath: "/a", ...(row.timeoutMs && { timeoutMs: row.timeoutMs }) };
      assert.deepEqual(await rejection(delegateStatus("x", CONFIG, options)), row.error);
    });
  }
  await t.step("delegateCheck() counts a program killed by a signal as failed", async () => {
    const host = fakeHost({ programs: { "/a/x": () => ({ code: 0, signal: "SIGTERM" }) } });
    assert.deepEqual(await rejection(delegateCheck("x", CONFIG, { host, cniPath: "/a" })), {
      cniError: { code: 0, msg: "netplugin failed with no error message: signal: terminated" },
    });
  });
  await t.step("a start failing with text file busy is retried, 1 s apart", async () => {
    const busy = new Error("Text file busy (os error 26)");
    const { host, sleeps } = recordingHost({ programs: { "/a/x": sequence(busy, busy, "") } });
    await delegateDel("x", CONFIG, { host, cniPath: "/a" });
    assert.equal(host.runs.length, 3);
    assert.deepEqual(sleeps, [1000, 1000]);
  });
  await t.step("text file busy gives up after five retries", async () => {
    const busy = new Error("Text file busy (os error 26)");
    const { host, sleeps } = recordingHost({
      programs: { "/a/x": sequence(busy, busy, busy, busy, busy, busy, "") },
    });
    assert.deepEqual(await rejection(delegateDel("x", CONFIG, { host, cniPath: "/a" })), {
      cniError: {
        code: 0,
        msg: "netplugin failed with no error message: fork/exec /a/x: text file busy",
      },
    });
    assert.equal(host.runs.length, 6);
    assert.deepEqual(sleeps, [1000, 1000, 1000, 1000, 1000]);
  });
  await t.step("a CniError from the host (a missing permission) is passed through", async () => {
    const host = fakeHost({ programs: { "/a/x": () => "" } });
    host.run = () => Promise.reject(new CniError(999, "missing permission: x may not run"));
    assert.deepEqual(await rejection(delegateDel("x", CONFIG, { host, cniPath: "/a" })), {
      cniError: { code: 999, msg: "missing permission: x may not run" },
    });
  });
});

Deno.test("delegateAdd() parses the result in the delegate's own version", async (t) => {
  const cases: { name: string; config: string; stdout: string; expected: unknown }[] = [
    {
      name: "a 0.4.0 result under a 1.1.0 configuration stays 0.4.0",
      config: CONFIG,
      stdout: '{"cniVersion":"0.4.0","ips":[{"version":"4","address":"10.1.0.5/24"}]}',
      expected: {
        cniVersion: "0.4.0",
        ips: [{ version: "4", address: "10.1.0.5/24" }],
        dns: {},
      },
    },
    {
      name: "a result without cniVersion takes the configuration's",
      config: '{"cniVersion":"0.3.1","name":"n"}',
      stdout: '{"ips":[{"version":"4","address":"10.1.0.5/24","gateway":"10.1.0.1"}]}',
      expected: {
        cniVersion: "0.3.1",
        ips: [{ version: "4", address: "10.1.0.5/24", gateway: "10.1.0.1" }],
        dns: {},
      },
    },
    {
      name: "an empty cniVersion takes the configuration's",
      config: CONFIG,
      stdout: '{"cniVersion":"","ips":[{"address":"10.1.0.5/24"}]}',
      expected: { cniVersion: "1.1.0", ips: [{ address: "10.1.0.5/24" }] },
    },
    {
      name: "a configuration without cniVersion counts as 0.1.0",
      config: '{"name":"n"}',
      stdout: '{"ip4":{"ip":"10.1.0.5/24"}}',
      expected: { cniVersion: "0.1.0", ip4: { ip: "10.1.0.5/24" }, dns: {} },
    },
    {
      name: "a configuration that is not JSON counts as 0.1.0",
      config: "not json",
      stdout: '{"ip4":{"ip":"10.1.0.5/24"}}',
      expected: { cniVersion: "0.1.0", ip4: { ip: "10.1.0.5/24" }, dns: {} },
    },
    {
      name: "null on stdout reads as an empty result",
      config: CONFIG,
      stdout: "null",
      expected: { cniVersion: "1.1.0" },
    },
    {
      name: "1.1.0 route and interface fields are kept",
      config: CONFIG,
      stdout: JSON.stringify({
        cniVersion: "1.1.0",
        interfaces: [{ name: "e", mtu: 1400, socketPath: "/s", pciID: "0000:00:01.0" }],
        routes: [{ dst: "0.0.0.0/0", mtu: 1400, advmss: 1360, priority: 5, table: 0, scope: 0 }],
      }),
      expected: {
        cniVersion: "1.1.0",
        interfaces: [{ name: "e", mtu: 1400, socketPath: "/s", pciID: "0000:00:01.0" }],
        routes: [{ dst: "0.0.0.0/0", mtu: 1400, advmss: 1360, priority: 5, table: 0, scope: 0 }],
      },
    },
  ];
  for (const c of cases) {
    await t.step(`delegateAdd(): ${c.name}`, async () => {
      const host = fakeHost({ programs: { "/a/x": () => c.stdout } });
      assert.deepEqual(await delegateAdd("x", c.config, { host, cniPath: "/a" }), c.expected);
    });
    await t.step(`parseDelegateResult(): ${c.name}`, () => {
      assert.deepEqual(parseDelegateResult(c.stdout, c.config), c.expected);
    });
  }
  const failures: { name: string; stdout: string; error: string }[] = [
    {
      name: "empty stdout",
      stdout: "",
      error: "failed to unmarshal raw result: unexpected end of JSON input",
    },
    {
      name: "a list",
      stdout: "[]",
      error: "failed to unmarshal raw result: json: cannot unmarshal array into Go value of type " +
        "map[string]interface {}",
    },
    {
      name: "an unknown version",
      stdout: '{"cniVersion":"9.9.9"}',
      error: 'unsupported CNI result version "9.9.9"',
    },
    {
      name: "a bare IP",
      stdout: '{"cniVersion":"1.0.0","ips":[{"address":"10.0.0.2"}]}',
      error: "invalid CIDR address: 10.0.0.2",
    },
    {
      name: "a null IP entry",
      stdout: '{"cniVersion":"1.0.0","ips":[null]}',
      error: "ips[0] is null",
    },
  ];
  for (const c of failures) {
    await t.step(`delegateAdd() fails on ${c.name}`, async () => {
      const host = fakeHost({ programs: { "/a/x": () => c.stdout } });
      assert.deepEqual(await rejection(delegateAdd("x", CONFIG, { host, cniPath: "/a" })), {
        error: c.error,
      });
    });
  }
  await t.step("delegateAdd() does not quote a result that does not parse", async () => {
    const host = fakeHost({ programs: { "/a/x": () => "x".repeat(2_000_000) } });
    const error = await rejection(delegateAdd("x", CONFIG, { host, cniPath: "/a" }));
    const message = (error as { error: string }).error;
    assert.equal(
      message,
      "failed to unmarshal raw result: invalid character 'x' looking for beginning of value",
    );
  });
});

Deno.test("a delegate is on its way from its lookup until it starts", async (t) => {
  const RESULT = '{"cniVersion":"1.1.0","ips":[{"address":"10.1.0.5/24"}]}';
  /** A host whose runs start and end when the test says. */
  function steppedHost(programs: Record<string, FakeProgram>) {
    const base = fakeHost({ programs });
    const runs: { start: () => void; end: () => void }[] = [];
    const host: Host = {
      ...base,
      run: (program, args, options) =>
        new Promise((resolve, reject) => {
          runs.push({
            start: () => options.onStart?.(4242),
            end: () => base.run(program, args, options).then(resolve, reject),
          });
        }),
    };
    return { host, runs };
  }
  /** Whether startsSettled() resolves within a few turns of the microtask queue. */
  async function settlesNow(): Promise<boolean> {
    let settled = false;
    void startsSettled().then(() => (settled = true));
    for (let turn = 0; turn < 20; turn++) await Promise.resolve();
    return settled;
  }
  await t.step("on its way until the host starts it", async () => {
    const { host, runs } = steppedHost({ "host-local": () => RESULT });
    const delegate = delegator({ host, cniPath: "/opt/cni/bin", stdin: CONFIG });
    const adding = delegate.add("host-local");
    assert.equal(await settlesNow(), false, "before its lookup and start");
    for (let turn = 0; turn < 20 && runs.length === 0; turn++) await Promise.resolve();
    assert.equal(runs.length, 1, "the host runs the delegate");
    assert.equal(await settlesNow(), false, "running, not yet started");
    runs[0]!.start();
    assert.equal(await settlesNow(), true, "started: what is left is the host's to note");
    runs[0]!.end();
    assert.deepEqual((await adding).ips, [{ address: "10.1.0.5/24" }]);
  });
  await t.step("no longer on its way when it cannot be found or started", async () => {
    const { host } = steppedHost({});
    const delegate = delegator({ host, cniPath: "/opt/cni/bin", stdin: CONFIG });
    await assert.rejects(delegate.add("host-local"), /failed to find plugin "host-local"/);
    assert.equal(await settlesNow(), true);
    const failing = delegator({
      host: {
        ...fakeHost({ programs: { "host-local": () => "" } }),
        run: () =>
          Promise.reject(new Error("Failed to spawn 'x': Permission denied (os error 13)")),
      },
      cniPath: "/opt/cni/bin",
      stdin: CONFIG,
    });
    await assert.rejects(failing.del("host-local"), CniError);
    assert.equal(await settlesNow(), true);
  });
});

Deno.test("delegator() binds delegation to an invocation", async (t) => {
  const RESULT = '{"cniVersion":"0.4.0","ips":[{"version":"4","address":"10.1.0.5/24"}]}';
  const bound = (programs: Record<string, FakeProgram>, undo: UndoAction[]) => {
    const host = fakeHost({ programs });
    const delegate = delegator({
      host,
      cniPath: "/opt/cni/bin",
      stdin: CONFIG,
      env: { CNI_CONTAINERID: "c1" },
      timeoutMs: 500,
      onFailure: (action) => void undo.push(action),
    });
    return { host, delegate };
  };
  await t.step("delegator().add() returns the result in the newest shape", async () => {
    const { delegate } = bound({ "host-local": () => RESULT }, []);
    assert.deepEqual(await delegate.add("host-local"), {
      cniVersion: "1.1.0",
      ips: [{ address: "10.1.0.5/24" }],
    });
  });
  await t.step("delegator().add() registers a DEL with the same stdin as its undo", async () => {
    const undo: UndoAction[] = [];
    const { host, delegate } = bound({ "host-local": sequence(RESULT, "") }, undo);
    await delegate.add("host-local", '{"cniVersion":"0.4.0","name":"other"}');
    assert.equal(undo.length, 1);
    await undo[0]!();
    assert.deepEqual(host.runs.map((r) => [r.program, r.env.CNI_COMMAND, r.stdin]), [
      ["/opt/cni/bin/host-local", "ADD", '{"cniVersion":"0.4.0","name":"other"}'],
      ["/opt/cni/bin/host-local", "DEL", '{"cniVersion":"0.4.0","name":"other"}'],
    ]);
    assert.deepEqual(host.runs[1]!.env, { CNI_CONTAINERID: "c1", CNI_COMMAND: "DEL" });
  });
  await t.step("delegator().add() follows an ADD that failed with its DEL at once", async () => {
    const undo: UndoAction[] = [];
    const { host, delegate } = bound({
      "host-local": sequence({ code: 1, stdout: '{"code":11,"msg":"later"}' }, ""),
    }, undo);
    assert.deepEqual(await rejection(delegate.add("host-local", "{}")), {
      cniError: { code: 11, msg: "later" },
    });
    assert.deepEqual(host.runs.map((r) => [r.env.CNI_COMMAND, r.stdin]), [
      ["ADD", "{}"],
      ["DEL", "{}"],
    ]);
    assert.equal(undo.length, 0, "released already: nothing left to undo");
    assert.equal(host.stderr, "");
  });
  // A delegate that reserves an address and is then killed at its time limit: the reservation
  // must not outlive the failed ADD.
  const reserving = (reserved: Set<string>, add: Partial<RunOutput>): FakeProgram => (call) => {
    if (call.env.CNI_COMMAND === "ADD") {
      reserved.add(call.env.CNI_CONTAINERID!);
      return add;
    }
    if (call.env.CNI_COMMAND === "DEL") reserved.delete(call.env.CNI_CONTAINERID!);
    return "";
  };
  const killed = { code: 137, signal: "SIGKILL", timedOut: true };
  const outcomes: [string, Partial<RunOutput>][] = [
    ["killed at its time limit", killed],
    ["ended by a crash", { code: 2, signal: "SIGSEGV" }],
  ];
  for (const [name, outcome] of outcomes) {
    await t.step(`delegator().add() releases what an ADD ${name} reserved`, async () => {
      const reserved = new Set<string>();
      const { host, delegate } = bound({ "host-local": reserving(reserved, outcome) }, []);
      const error = await rejection(delegate.add("host-local"));
      assert.match(JSON.stringify(error), /signal: /);
      assert.deepEqual(host.runs.map((r) => r.env.CNI_COMMAND), ["ADD", "DEL"]);
      assert.deepEqual([...reserved], [], "the reservation was released");
    });
  }
  await t.step("delegator().add() keeps the ADD's error when the DEL fails too", async () => {
    const { host, delegate } = bound({
      "host-local": sequence(killed, { code: 1, stdout: '{"code":11,"msg":"store locked"}' }),
    }, []);
    assert.deepEqual(await rejection(delegate.add("host-local")), {
      cniError: {
        code: 0,
        msg:
          "netplugin failed with no error message: signal: killed (time limit of 500 ms reached)",
      },
    });
    assert.equal(
      host.stderr,
      'releasing the failed ADD of "host-local" failed too: store locked\n',
    );
  });
  await t.step("delegator().add() runs no DEL for a delegate that never started", async () => {
    const { host, delegate } = bound(
      { "host-local": sequence(new Error("exec format error")) },
      [],
    );
    await assert.rejects(delegate.add("host-local"), { message: /exec format error/ });
    assert.equal(host.runs.length, 1);
    await assert.rejects(delegate.add("missing"), { message: /failed to find plugin "missing"/ });
    assert.equal(host.runs.length, 1);
  });
  await t.step("delegator().add() refuses a result cut at 16 MiB as too large", async () => {
    const undo: UndoAction[] = [];
    const { host, delegate } = bound({
      "host-local": sequence(
        { stdout: '{"cniVersion":"1.0.0","ips":[', stdoutTruncated: true },
        "",
      ),
    }, undo);
    assert.deepEqual(await rejection(delegate.add("host-local")), {
      error: 'the result of "host-local" is too large: more than 16777216 bytes (16 MiB), ' +
        "the most a run keeps",
    });
    assert.equal(undo.length, 1, "the ADD succeeded, so its release is registered");
    await undo[0]!();
    assert.deepEqual(host.runs.map((r) => r.env.CNI_COMMAND), ["ADD", "DEL"]);
  });
  await t.step("delegateAdd() refuses a result cut at 16 MiB as too large", async () => {
    const host = fakeHost({ programs: { big: () => ({ stdout: "{", stdoutTruncated: true }) } });
    await assert.rejects(delegateAdd("big", CONFIG, { host, cniPath: "/opt/cni/bin" }), {
      message: /^the result of "big" is too large: more than 16777216 bytes/,
    });
  });
  await t.step("delegation clamps a time limit of 2^31 ms or more", async () => {
    const host = fakeHost({ programs: { "host-local": () => "" } });
    const limits: number[] = [];
    const run = host.run;
    host.run = (program, args, options) => {
      limits.push(options.timeoutMs);
      return run(program, args, options);
    };
    for (const timeoutMs of [2 ** 31, 2 ** 32 + 5, Number.MAX_SAFE_INTEGER, Infinity]) {
      await delegateDel("host-local", CONFIG, { host, cniPath: "/opt/cni/bin", timeoutMs });
    }
    assert.deepEqual(limits, [2 ** 31 - 1, 2 ** 31 - 1, 2 ** 31 - 1, 2 ** 31 - 1]);
  });
  await t.step("delegator().add() releases a delegate whose result does not parse", async () => {
    const undo: UndoAction[] = [];
    const { host, delegate } = bound({ "host-local": sequence("garbage", "") }, undo);
    await assert.rejects(delegate.add("host-local"), {
      message: /^failed to unmarshal raw result: invalid character 'g'/,
    });
    assert.equal(undo.length, 1, "the ADD succeeded, so its release is registered");
    await undo[0]!();
    assert.deepEqual(host.runs.map((r) => r.env.CNI_COMMAND), ["ADD", "DEL"]);
  });
  for (const verb of ["check", "del", "gc", "status"] as const) {
    await t.step(`delegator().${verb}() sends the invocation's stdin by default`, async () => {
      const undo: UndoAction[] = [];
      const { host, delegate } = bound({ "host-local": () => "" }, undo);
      await delegate[verb]("host-local");
      await delegate[verb]("host-local", "{}");
      assert.deepEqual(host.runs.map((r) => [r.env.CNI_COMMAND, r.stdin]), [
        [verb.toUpperCase(), CONFIG],
        [verb.toUpperCase(), "{}"],
      ]);
      assert.equal(undo.length, 0);
    });
  }
});

Deno.test("delegation through the Deno host runs real processes", async (t) => {
  const dir = await Deno.makeTempDir({ prefix: "dcni-delegate-" });
  const host = denoHost();
  const stderrLines: string[] = [];
  // The delegate's stderr goes to this process's stderr; keep it out of the test output.
  host.writeStderr = (text) => {
    stderrLines.push(text);
    return Promise.resolve();
  };
  try {
    const out = `${dir}/seen`;
    await Deno.writeTextFile(
      `${dir}/recorder`,
      `#!/bin/sh\nenv > "$1.env"\ncat > "$1.stdin"\n` +
        `echo '{"cniVersion":"1.0.0","ips":[{"address":"10.9.0.2/24"}]}'\necho 'from the delegate' >&2\n`,
      { mode: 0o755 },
    );
    // The recorder takes where to write as $1: a wrapper passes it, since delegates get no args.
    await Deno.writeTextFile(`${dir}/wrapped`, `#!/bin/sh\nexec "${dir}/recorder" "${out}"\n`, {
      mode: 0o755,
    });
    await Deno.writeTextFile(`${dir}/sleeper`, "#!/bin/sh\nsleep 30 &\nexec sleep 30\n", {
      mode: 0o755,
    });
    await Deno.writeTextFile(`${dir}/failer`, '#!/bin/sh\necho "no luck" >&2\nexit 3\n', {
      mode: 0o755,
    });
    await Deno.writeTextFile(
      `${dir}/flood`,
      "#!/bin/sh\nhead -c 20000000 /dev/zero | tr '\\0' 'g'\nexit 1\n",
      { mode: 0o755 },
    );
    // Reserves (writes a file) on ADD, then hangs; DEL releases (removes the file).
    await Deno.writeTextFile(
      `${dir}/reserver`,
      `#!/bin/sh\necho "$CNI_COMMAND" >> "${dir}/reserver.calls"\n` +
        `case "$CNI_COMMAND" in\n` +
        `ADD) echo "$CNI_CONTAINERID" > "${dir}/reservation"; exec /bin/sleep 30 ;;\n` +
        `DEL) /bin/rm -f "${dir}/reservation" ;;\n` +
        `esac\n`,
      { mode: 0o755 },
    );
    await Deno.writeTextFile(
      `${dir}/huge`,
      "#!/bin/sh\nhead -c 17000000 /dev/zero | tr '\\0' ' '\necho '{}'\n",
      { mode: 0o755 },
    );
    await Deno.mkdir(`${dir}/adir`);

    await t.step(
      "the delegate inherits this process's environment with CNI_COMMAND set",
      async () => {
        const result = await delegateAdd("wrapped", CONFIG, {
          host,
          cniPath: `/nonexistent:${dir}`,
          env: { CNI_IFNAME: "eth7" },
        });
        assert.deepEqual(result, { cniVersion: "1.0.0", ips: [{ address: "10.9.0.2/24" }] });
        const env = new Map(
          (await Deno.readTextFile(`${out}.env`)).trim().split("\n").map((line) => {
            const at = line.indexOf("=");
            return [line.slice(0, at), line.slice(at + 1)] as const;
          }),
        );
        assert.equal(env.get("CNI_COMMAND"), "ADD");
        assert.equal(env.get("CNI_IFNAME"), "eth7");
        for (const key of ["PATH", "HOME"]) {
          if (Deno.env.get(key) !== undefined) assert.equal(env.get(key), Deno.env.get(key), key);
        }
        assert.equal(await Deno.readTextFile(`${out}.stdin`), CONFIG);
        assert.deepEqual(stderrLines, ["from the delegate\n"]);
      },
    );

    await t.step("a directory named like the plugin is skipped", async () => {
      await assert.rejects(delegateDel("adir", CONFIG, { host, cniPath: dir }), {
        message: `failed to find plugin "adir" in path [${dir}]`,
      });
    });

    await t.step(
      "a delegate that outlives its time limit is killed with its children",
      async () => {
        const started = performance.now();
        const error = await rejection(
          delegateDel("sleeper", CONFIG, { host, cniPath: dir, timeoutMs: 300 }),
        );
        assert.deepEqual(error, {
          cniError: {
            code: 0,
            msg:
              "netplugin failed with no error message: signal: killed (time limit of 300 ms reached)",
          },
        });
        assert.ok(performance.now() - started < 3000, "the delegate was not killed in time");
      },
    );

    await t.step(
      "a delegated ADD that reserves and hangs is killed, then released with a DEL",
      async () => {
        const undo: UndoAction[] = [];
        const delegate = delegator({
          host,
          cniPath: dir,
          stdin: CONFIG,
          env: { CNI_CONTAINERID: "c9" },
          timeoutMs: 300,
          onFailure: (action) => void undo.push(action),
        });
        const error = await rejection(delegate.add("reserver"));
        assert.deepEqual(error, {
          cniError: {
            code: 0,
            msg:
              "netplugin failed with no error message: signal: killed (time limit of 300 ms reached)",
          },
        });
        assert.equal(await Deno.readTextFile(`${dir}/reserver.calls`), "ADD\nDEL\n");
        await assert.rejects(Deno.stat(`${dir}/reservation`), Deno.errors.NotFound);
        assert.equal(undo.length, 0);
      },
    );

    await t.step("a delegate result over 16 MiB is too large, not cut JSON", async () => {
      await assert.rejects(delegateAdd("huge", CONFIG, { host, cniPath: dir }), {
        message: 'the result of "huge" is too large: more than 16777216 bytes (16 MiB), ' +
          "the most a run keeps",
      });
    });

    await t.step("a delegate failing with only stderr text", async () => {
      const error = await rejection(delegateCheck("failer", CONFIG, { host, cniPath: dir }));
      assert.deepEqual(error, {
        cniError: { code: 0, msg: 'netplugin failed: "no luck\\n": exit status 3' },
      });
    });

    await t.step("a delegate printing 20 MB of garbage gives an error under 2 KiB", async () => {
      const error = await rejection(delegateCheck("flood", CONFIG, { host, cniPath: dir }));
      const msg = (error as { cniError: { msg: string } }).cniError.msg;
      assert.ok(msg.length < 2048, `${msg.length} characters`);
      assert.match(
        msg,
        /^netplugin failed but error parsing its diagnostic message "g+" \(19998976 more bytes cut\): /,
      );
    });
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
