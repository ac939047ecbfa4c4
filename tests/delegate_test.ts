/**
 * lib/delegate.ts: finding a delegate (D1), running it with only CNI_COMMAND changed (D2), reading
 * its result in its own version (D3), turning its failures into errors (X4), releasing it after a
 * failed ADD, and the Deno implementation against real processes.
 */
import assert from "node:assert/strict";
import {
  CniError,
  delegateAdd,
  delegateCheck,
  delegateDel,
  type DelegateExec,
  delegateFailure,
  delegateGc,
  type DelegateRunOptions,
  type DelegateRunOutput,
  delegateStatus,
  denoDelegateExec,
  findInPath,
  withDelegatedAdd,
} from "../lib/mod.ts";

function readTestdata<T>(path: string): Record<string, T> {
  return JSON.parse(Deno.readTextFileSync(new URL(`testdata/delegate/${path}`, import.meta.url)));
}

/** One call the fake exec saw. */
interface Call {
  path: string;
  args: readonly string[];
  options: DelegateRunOptions;
}

/** A fake exec: files that exist, and the outputs (or start failures) to give, in order. */
function fakeExec(files: readonly string[], outputs: (DelegateRunOutput | Error)[]) {
  const calls: Call[] = [];
  const stderr: string[] = [];
  const sleeps: number[] = [];
  const exec: DelegateExec = {
    isFile: (path) => Promise.resolve(files.includes(path)),
    run(path, args, options) {
      calls.push({ path, args, options });
      const next = outputs.shift();
      if (next === undefined) throw new Error(`unexpected run of ${path}`);
      return next instanceof Error ? Promise.reject(next) : Promise.resolve(next);
    },
    writeStderr: (text) => void stderr.push(text),
    sleep: (ms) => {
      sleeps.push(ms);
      return Promise.resolve();
    },
  };
  return { exec, calls, stderr, sleeps };
}

const OK = (stdout = "", stderr = ""): DelegateRunOutput => ({ code: 0, stdout, stderr });

const CONFIG = '{"cniVersion":"1.1.0","name":"net","type":"ptp","ipam":{"type":"host-local"}}';

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
  const cases = readTestdata<
    { name: string; paths: string[]; files: string[]; found?: string; error?: string }
  >(
    "find.json",
  );
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

Deno.test("delegateFailure() turns a failed run into the reference's error", async (t) => {
  const cases = readTestdata<{ output: DelegateRunOutput; error: object }>("failures.json");
  for (const [name, c] of Object.entries(cases)) {
    await t.step(`delegateFailure() with ${name}`, () => {
      assert.deepEqual(delegateFailure(c.output, 250).toJSON(), c.error);
    });
  }
});

Deno.test("each verb runs the delegate with only CNI_COMMAND set and stdin unchanged", async (t) => {
  const verbs = {
    ADD: (options: { cniPath: string; exec: DelegateExec; timeoutMs?: number }) =>
      delegateAdd("host-local", CONFIG, options),
    CHECK: (options: { cniPath: string; exec: DelegateExec }) =>
      delegateCheck("host-local", CONFIG, options),
    DEL: (options: { cniPath: string; exec: DelegateExec }) =>
      delegateDel("host-local", CONFIG, options),
    GC: (options: { cniPath: string; exec: DelegateExec }) =>
      delegateGc("host-local", CONFIG, options),
    STATUS: (options: { cniPath: string; exec: DelegateExec }) =>
      delegateStatus("host-local", CONFIG, options),
  };
  for (const [verb, call] of Object.entries(verbs)) {
    await t.step(`${verb} runs <dir>/host-local with CNI_COMMAND=${verb}`, async () => {
      const stdout = verb === "ADD" ? '{"cniVersion":"1.1.0"}' : "";
      const fake = fakeExec(["/b/host-local"], [OK(stdout)]);
      await call({ cniPath: "/a:/b", exec: fake.exec });
      assert.deepEqual(fake.calls, [{
        path: "/b/host-local",
        args: [],
        options: { env: { CNI_COMMAND: verb }, stdin: CONFIG, timeoutMs: 60_000 },
      }]);
    });
  }
  await t.step("the time limit is passed on", async () => {
    const fake = fakeExec(["/a/host-local"], [OK()]);
    await delegateDel("host-local", CONFIG, { cniPath: "/a", exec: fake.exec, timeoutMs: 1234 });
    assert.equal(fake.calls[0]?.options.timeoutMs, 1234);
  });
  await t.step("a delegate's stderr is passed on after success", async () => {
    const fake = fakeExec(["/a/host-local"], [OK("", "note\n")]);
    await delegateCheck("host-local", CONFIG, { cniPath: "/a", exec: fake.exec });
    assert.deepEqual(fake.stderr, ["note\n"]);
  });
});

Deno.test("delegation refuses what a configuration must not name", async (t) => {
  for (const type of ["/bin/sh", "../sbin/ip", "a/b", ""]) {
    await t.step(
      `delegateAdd() refuses ipam type ${JSON.stringify(type)} without running anything`,
      async () => {
        const fake = fakeExec(["/bin/sh", "/a/../sbin/ip", "/a/a/b", "/a"], [OK()]);
        const error = await rejection(
          delegateAdd(type, CONFIG, { cniPath: "/a", exec: fake.exec }),
        );
        assert.deepEqual(error, {
          error: type === "" ? "no plugin name provided" : `invalid plugin name: ${type}`,
        });
        assert.deepEqual(fake.calls, []);
      },
    );
  }
  await t.step("delegateStatus() with an empty CNI_PATH fails with no paths provided", async () => {
    const fake = fakeExec([], []);
    assert.deepEqual(
      await rejection(delegateStatus("x", CONFIG, { cniPath: "", exec: fake.exec })),
      {
        error: "no paths provided",
      },
    );
  });
});

Deno.test("a failing delegate's error reaches the caller unchanged", async (t) => {
  await t.step("delegateStatus() passes a code 50 error object through", async () => {
    const fake = fakeExec(["/a/x"], [{
      code: 1,
      stdout: '{"code":50,"msg":"not available","details":"no leases"}',
      stderr: "",
    }]);
    const error = await rejection(delegateStatus("x", CONFIG, { cniPath: "/a", exec: fake.exec }));
    assert.deepEqual(error, {
      cniError: { code: 50, msg: "not available", details: "no leases" },
    });
  });
  await t.step("delegateGc() with a program that cannot start reports code 0", async () => {
    const fake = fakeExec(["/a/x"], [new Error("Permission denied (os error 13)")]);
    const error = await rejection(delegateGc("x", CONFIG, { cniPath: "/a", exec: fake.exec }));
    assert.deepEqual(error, {
      cniError: {
        code: 0,
        msg: "netplugin failed with no error message: Permission denied (os error 13)",
      },
    });
  });
  await t.step("a start failing with text file busy is retried, 1 s apart", async () => {
    const busy = new Error("Text file busy (os error 26)");
    const fake = fakeExec(["/a/x"], [busy, busy, OK()]);
    await delegateDel("x", CONFIG, { cniPath: "/a", exec: fake.exec });
    assert.equal(fake.calls.length, 3);
    assert.deepEqual(fake.sleeps, [1000, 1000]);
  });
  await t.step("text file busy gives up after five retries", async () => {
    const busy = new Error("Text file busy (os error 26)");
    const fake = fakeExec(["/a/x"], [busy, busy, busy, busy, busy, busy]);
    const error = await rejection(delegateDel("x", CONFIG, { cniPath: "/a", exec: fake.exec }));
    assert.deepEqual(error, {
      cniError: {
        code: 0,
        msg: "netplugin failed with no error message: Text file busy (os error 26)",
      },
    });
    assert.equal(fake.calls.length, 6);
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
      const fake = fakeExec(["/a/x"], [OK(c.stdout)]);
      assert.deepEqual(
        await delegateAdd("x", c.config, { cniPath: "/a", exec: fake.exec }),
        c.expected,
      );
    });
  }
  const failures: { name: string; stdout: string; error: string }[] = [
    {
      name: "empty stdout",
      stdout: "",
      error: "failed to unmarshal raw result: unexpected end of JSON input result ",
    },
    {
      name: "a list",
      stdout: "[]",
      error:
        "failed to unmarshal raw result: json: cannot unmarshal array into Go value of type map[string]interface {} result []",
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
  ];
  for (const c of failures) {
    await t.step(`delegateAdd() fails on ${c.name}`, async () => {
      const fake = fakeExec(["/a/x"], [OK(c.stdout)]);
      assert.deepEqual(
        await rejection(delegateAdd("x", CONFIG, { cniPath: "/a", exec: fake.exec })),
        {
          error: c.error,
        },
      );
    });
  }
});

Deno.test("withDelegatedAdd() releases the delegate when ADD fails after it", async (t) => {
  const result = '{"cniVersion":"1.1.0","ips":[{"address":"10.1.0.5/24"}]}';
  await t.step("withDelegatedAdd() returns what use returns and runs no DEL", async () => {
    const fake = fakeExec(["/a/x"], [OK(result)]);
    const value = await withDelegatedAdd("x", CONFIG, {
      cniPath: "/a",
      exec: fake.exec,
      use: (r) => r.cniVersion,
    });
    assert.equal(value, "1.1.0");
    assert.deepEqual(fake.calls.map((c) => c.options.env.CNI_COMMAND), ["ADD"]);
  });
  await t.step(
    "withDelegatedAdd() runs DEL with the same stdin and rethrows use's error",
    async () => {
      const fake = fakeExec(["/a/x"], [OK(result), OK()]);
      const failure = new CniError(11, "busy");
      await assert.rejects(
        withDelegatedAdd("x", CONFIG, {
          cniPath: "/a",
          exec: fake.exec,
          use: () => {
            throw failure;
          },
        }),
        (error) => error === failure,
      );
      assert.deepEqual(
        fake.calls.map((c) => [c.options.env.CNI_COMMAND, c.options.stdin]),
        [["ADD", CONFIG], ["DEL", CONFIG]],
      );
    },
  );
  await t.step("withDelegatedAdd() releases a delegate whose result does not parse", async () => {
    const fake = fakeExec(["/a/x"], [OK("garbage"), OK()]);
    await assert.rejects(
      withDelegatedAdd("x", CONFIG, { cniPath: "/a", exec: fake.exec, use: () => 1 }),
      { message: /^failed to unmarshal raw result: invalid character 'g'/ },
    );
    assert.deepEqual(fake.calls.map((c) => c.options.env.CNI_COMMAND), ["ADD", "DEL"]);
  });
  await t.step(
    "withDelegatedAdd() reports a failing release on stderr and keeps the first error",
    async () => {
      const fake = fakeExec(["/a/x"], [OK(result), {
        code: 1,
        stdout: '{"code":11,"msg":"locked"}',
        stderr: "",
      }]);
      await assert.rejects(
        withDelegatedAdd("x", CONFIG, {
          cniPath: "/a",
          exec: fake.exec,
          use: () => {
            throw new Error("veth failed");
          },
        }),
        { message: "veth failed" },
      );
      assert.deepEqual(fake.stderr, ["releasing x after a failed ADD failed too: locked\n"]);
    },
  );
  await t.step("withDelegatedAdd() runs no DEL when the delegate's ADD failed", async () => {
    const fake = fakeExec(["/a/x"], [{ code: 1, stdout: '{"code":11,"msg":"later"}', stderr: "" }]);
    const error = await rejection(
      withDelegatedAdd("x", CONFIG, { cniPath: "/a", exec: fake.exec, use: () => 1 }),
    );
    assert.deepEqual(error, { cniError: { code: 11, msg: "later" } });
    assert.equal(fake.calls.length, 1);
  });
});

Deno.test("denoDelegateExec() runs real processes", async (t) => {
  const dir = await Deno.makeTempDir({ prefix: "dcni-delegate-" });
  try {
    const out = `${dir}/seen`;
    await Deno.writeTextFile(
      `${dir}/recorder`,
      `#!/bin/sh\nenv > '${out}.env'\ncat > '${out}.stdin'\necho '{"cniVersion":"1.0.0","ips":[{"address":"10.9.0.2/24"}]}'\necho 'from the delegate' >&2\n`,
      { mode: 0o755 },
    );
    await Deno.writeTextFile(`${dir}/sleeper`, "#!/bin/sh\nexec sleep 10\n", { mode: 0o755 });
    await Deno.writeTextFile(`${dir}/failer`, '#!/bin/sh\necho "no luck" >&2\nexit 3\n', {
      mode: 0o755,
    });
    await Deno.mkdir(`${dir}/adir`);
    const stderr: string[] = [];
    const exec: DelegateExec = { ...denoDelegateExec(), writeStderr: (s) => void stderr.push(s) };

    await t.step(
      "the delegate inherits this process's environment with CNI_COMMAND replaced",
      async () => {
        const result = await delegateAdd("recorder", CONFIG, {
          cniPath: `/nonexistent:${dir}`,
          exec,
        });
        assert.deepEqual(result, { cniVersion: "1.0.0", ips: [{ address: "10.9.0.2/24" }] });
        const env = new Map(
          (await Deno.readTextFile(`${out}.env`)).trim().split("\n").map((line) => {
            const at = line.indexOf("=");
            return [line.slice(0, at), line.slice(at + 1)] as const;
          }),
        );
        assert.equal(env.get("CNI_COMMAND"), "ADD");
        for (const key of ["PATH", "HOME"]) {
          if (Deno.env.get(key) !== undefined) assert.equal(env.get(key), Deno.env.get(key), key);
        }
        assert.equal(await Deno.readTextFile(`${out}.stdin`), CONFIG);
        assert.deepEqual(stderr, ["from the delegate\n"]);
      },
    );

    await t.step("a directory named like the plugin is skipped", async () => {
      await assert.rejects(delegateDel("adir", CONFIG, { cniPath: dir, exec }), {
        message: `failed to find plugin "adir" in path [${dir}]`,
      });
    });

    await t.step("a delegate that outlives its time limit is killed", async () => {
      const started = performance.now();
      const error = await rejection(
        delegateDel("sleeper", CONFIG, { cniPath: dir, exec, timeoutMs: 300 }),
      );
      assert.deepEqual(error, {
        cniError: {
          code: 0,
          msg: "netplugin failed with no error message: timed out after 300 ms",
        },
      });
      assert.ok(performance.now() - started < 5000, "the delegate was not killed in time");
    });

    await t.step("a delegate failing with only stderr text", async () => {
      const error = await rejection(delegateCheck("failer", CONFIG, { cniPath: dir, exec }));
      assert.deepEqual(error, {
        cniError: { code: 0, msg: 'netplugin failed: "no luck\\n": exit status 3' },
      });
    });
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
