/**
 * `replay` and `assertReplay` (lib/replay.ts, exported by ./testing) on the reviewed recordings of
 * tests/testdata/recordings/ (made by its make.sh with the real recorder): clean replays of the
 * sample and of deno-ptp with a fake host-local, in-process and as executables; every kind of
 * difference, each with its exact message; which invocations are replayed; records holding bytes
 * that are not UTF-8; and record files that are not records.
 */
import assert from "node:assert/strict";
import { CniError, definePlugin, type Result100 } from "../lib/mod.ts";
import {
  assertReplay,
  extractInvocation,
  type FakeProgram,
  formatReport,
  type InvocationRecord,
  loadRecording,
  recordedBytes,
  recordedText,
  RecordingError,
  replay,
  type ReplayOptions,
  type ReplayTarget,
} from "../lib/testing.ts";
import { recordBytes } from "../lib/_recording.ts";
import { samplePlugin } from "../main.ts";
import { ptpPlugin } from "../examples/ptp.ts";
import { writePlugins, writeProjectPlugin } from "./_recording.ts";

const RECORDINGS = new URL("testdata/recordings/", import.meta.url);
const SAMPLE = new URL("sample", RECORDINGS);
const PTP = new URL("ptp", RECORDINGS);
const SAMPLE_ADD = new URL("sample-add.json", RECORDINGS);

/** deno-ptp's DEL of a namespace that is gone, as `ip` and `nsenter` answer it. */
const GONE_NAMESPACE: Readonly<Record<string, FakeProgram>> = {
  ip: () => "",
  nsenter: () => ({
    code: 1,
    stderr: "nsenter: cannot open /var/run/netns/dcni-gone: No such file or directory\n",
  }),
};

function messages(report: Awaited<ReturnType<typeof replay>>): Record<number, string[]> {
  return Object.fromEntries(
    report.invocations.map((item) => [item.number, item.differences.map((d) => d.message)]),
  );
}

async function withTempDir<T>(fn: (dir: string) => Promise<T>): Promise<T> {
  const dir = await Deno.makeTempDir({ prefix: "dcni-replay-test-" });
  try {
    return await fn(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

/** The sample with another ADD: the same name and required key. */
function sampleVariant(add: (context: { prevResult: Result100 | undefined }) => Result100) {
  return definePlugin({
    name: "sample",
    config: (_raw, { read }) => ({ arg: read.string("anotherAwesomeArg", { required: true }) }),
    add: (context) => add(context),
  });
}

Deno.test("the reviewed recordings replay with no differences", async (t) => {
  await withTempDir(async (dir) => {
    const cases: [string, ReplayTarget, URL, ReplayOptions, number][] = [
      ["the sample, in-process", samplePlugin, SAMPLE, {}, 7],
      ["one extracted ADD of the sample, in-process", samplePlugin, SAMPLE_ADD, {}, 1],
      ["deno-ptp with the recorded host-local, in-process", ptpPlugin, PTP, {
        programs: GONE_NAMESPACE,
      }, 2],
      ["the sample's executable", await writeProjectPlugin(dir, "sample"), SAMPLE, {}, 7],
      [
        "deno-ptp's executable with served host-local",
        await writeProjectPlugin(dir, "deno-ptp"),
        PTP,
        {},
        2,
      ],
      [
        "the fake host-local's calls, nested under deno-ptp's, against the fake itself",
        new URL("fake-host-local.sh", RECORDINGS).pathname,
        PTP,
        { plugin: "host-local" },
        3,
      ],
    ];
    for (const [name, target, source, options, count] of cases) {
      await t.step(name, async () => {
        const report = await assertReplay(target, source, options);
        assert.equal(report.invocations.length, count);
        assert.equal(report.differences, 0);
        assert.match(formatReport(report), /: no differences\n/);
      });
    }
  });
});

Deno.test("replay reports each difference in one line", async (t) => {
  const records = await loadRecording(SAMPLE);
  const add = records[1]!;
  assert.equal(add.verb, "ADD");
  const withoutArg = JSON.parse(recordedText(add.stdin));
  delete withoutArg.anotherAwesomeArg;
  const cases: {
    name: string;
    target: ReplayTarget;
    source: URL | InvocationRecord[];
    options?: ReplayOptions;
    expected: Record<number, string[]>;
  }[] = [
    {
      name: "a result that changed",
      target: sampleVariant(({ prevResult }) => ({
        ...prevResult!,
        ips: [{ ...prevResult!.ips![0]!, address: "10.1.0.9/24" }],
      })),
      source: SAMPLE,
      options: { only: 2 },
      expected: {
        2: ['stdout ips[0].address: recorded "10.1.0.5/24", replayed "10.1.0.9/24"'],
      },
    },
    {
      name: "an error in place of a result, and another error",
      target: sampleVariant(() => {
        throw new CniError(4, "refused");
      }),
      source: SAMPLE,
      options: { only: [2, 6] },
      expected: {
        2: [
          "exit: recorded exit status 0, replayed exit status 1",
          'stdout: recorded a result, replayed error 4 "refused"',
        ],
        6: [
          "error code: recorded 999, replayed 4",
          'error msg: recorded "must be called as chained plugin", replayed "refused"',
        ],
      },
    },
    {
      name: "a configuration changed in the record: the sample without anotherAwesomeArg",
      target: samplePlugin,
      source: [{ ...add, stdin: JSON.stringify(withoutArg) }],
      expected: {
        1: [
          "exit: recorded exit status 0, replayed exit status 1",
          'stdout: recorded a result, replayed error 7 "invalid network configuration: ' +
          '\\"anotherAwesomeArg\\" is required"',
        ],
      },
    },
    {
      name: "stderr, when asked",
      target: sampleVariant(({ prevResult }) => {
        console.error("a warning");
        return prevResult!;
      }),
      source: SAMPLE,
      options: { only: 2, compareStderr: true },
      expected: { 2: ['stderr: recorded "", replayed "a warning\\n"'] },
    },
    {
      name: "stderr is not compared unless asked",
      target: sampleVariant(({ prevResult }) => {
        console.error("a warning");
        return prevResult!;
      }),
      source: SAMPLE,
      options: { only: 2 },
      expected: { 2: [] },
    },
    {
      name: "a delegate called with another stdin",
      target: definePlugin({
        name: "deno-ptp",
        config: (_raw, { conf }) => ({ ipamType: conf.ipam?.type ?? "" }),
        async add({ delegate, conf }) {
          const stdin = JSON.parse(JSON.stringify(conf.raw));
          stdin.ipam.subnet = "10.8.0.0/24";
          await delegate.add(conf.ipamType, JSON.stringify(stdin));
          throw new Error("IPAM plugin returned no gateway of the same family for 10.9.0.5/24");
        },
        del: () => {},
      }),
      source: PTP,
      options: { only: 1 },
      expected: {
        1: [
          'delegate host-local ADD (#2): stdin ipam.subnet: recorded "10.9.0.0/24", replayed "10.8.0.0/24"',
          'delegate host-local DEL (#3): stdin ipam.subnet: recorded "10.9.0.0/24", replayed "10.8.0.0/24"',
        ],
      },
    },
    {
      name: "a delegate call not recorded, and recorded calls not made",
      target: definePlugin({
        name: "deno-ptp",
        async add({ delegate }) {
          await delegate.check("host-local");
          throw new Error("unreachable");
        },
        async del({ delegate }) {
          await delegate.del("host-local");
          await delegate.del("host-local");
        },
      }),
      source: PTP,
      expected: {
        1: [
          'error msg: recorded "IPAM plugin returned no gateway of the same family for ' +
          '10.9.0.5/24", replayed "replay: not in the recording"',
          "delegate host-local CHECK: called, not in the recording",
          "delegate host-local ADD (#2): recorded, not called",
          "delegate host-local DEL (#3): recorded, not called",
        ],
        4: [
          "exit: recorded exit status 0, replayed exit status 1",
          'stdout: recorded nothing, replayed error 999 "replay: not in the recording"',
          "delegate host-local DEL: called, not in the recording",
        ],
      },
    },
  ];
  for (const c of cases) {
    await t.step(c.name, async () => {
      const report = await replay(c.target, c.source, c.options);
      assert.deepEqual(messages(report), c.expected);
      assert.equal(
        report.differences,
        Object.values(c.expected).reduce((n, list) => n + list.length, 0),
      );
    });
  }
});

Deno.test("an executable's delegate calls are compared: stdin and CNI_* variables", async () => {
  await withTempDir(async (dir) => {
    // deno-ptp's recorded ADD redone in shell (its delegates get CNI_ARGS set, if empty), but
    // with CNI_IFNAME changed for the IPAM call.
    await writePlugins(dir, {
      "deno-ptp": [
        "config=$(cat)",
        "export CNI_ARGS=",
        'printf "%s" "$config" | CNI_IFNAME=eth9 "$CNI_PATH/host-local" >/dev/null',
        'printf "%s" "$config" | CNI_COMMAND=DEL "$CNI_PATH/host-local"',
        'printf \'%s\' \'{"code":999,"msg":"IPAM plugin returned no gateway of the same family for 10.9.0.5/24"}\'',
        "exit 1",
      ].join("\n"),
    });
    const [ptpAdd] = await loadRecording(PTP);
    const report = await replay(`${dir}/deno-ptp`, PTP, { only: 1 });
    assert.deepEqual(messages(report), {
      1: ['delegate host-local ADD (#2): CNI_IFNAME: recorded "eth0", replayed "eth9"'],
    });
    await assert.rejects(
      assertReplay(`${dir}/deno-ptp`, PTP, { only: 1 }),
      (error: Error) => {
        assert.equal(
          error.message,
          `replay of 1 invocation from ${PTP.pathname} against ${dir}/deno-ptp: 1 differs\n` +
            `  #1 deno-ptp ADD, container "ctr1", started ${ptpAdd?.start}: differs\n` +
            '    delegate host-local ADD (#2): CNI_IFNAME: recorded "eth0", replayed "eth9"\n',
        );
        return true;
      },
    );
  });
});

Deno.test("an executable that cannot be started, dies of a signal or runs out of time", async (t) => {
  await withTempDir(async (dir) => {
    await writePlugins(dir, { killed: "kill -s KILL $$", slow: "sleep 30" });
    const cases: [string, string, ReplayOptions, string][] = [
      ["missing", `${dir}/missing`, {}, "exit: recorded exit status 0, replayed not started: "],
      ["killed", `${dir}/killed`, {}, "exit: recorded exit status 0, replayed signal SIGKILL"],
      [
        "out of time",
        `${dir}/slow`,
        { timeoutMs: 300 },
        "exit: recorded exit status 0, replayed still running after 300 ms",
      ],
    ];
    for (const [name, target, options, message] of cases) {
      await t.step(name, async () => {
        const report = await replay(target, SAMPLE, { ...options, only: 2 });
        const [first] = report.invocations[0]!.differences;
        assert.ok(first?.message.startsWith(message), first?.message);
      });
    }
  });
});

Deno.test("which invocations are replayed", async (t) => {
  const ids = (report: Awaited<ReturnType<typeof replay>>) =>
    report.invocations.map((item) => item.number);
  const records = await loadRecording(PTP);
  const cases: [string, ReplayTarget, ReplayOptions, number[]][] = [
    ["by default, those of the target's name", ptpPlugin, { programs: GONE_NAMESPACE }, [1, 4]],
    ["only, by number", ptpPlugin, { only: 4, programs: GONE_NAMESPACE }, [4]],
    ["only, by id", ptpPlugin, { only: records[3]!.id, programs: GONE_NAMESPACE }, [4]],
    ["only, several, in start order", ptpPlugin, { only: [4, 1], programs: GONE_NAMESPACE }, [
      1,
      4,
    ]],
    ["another plugin's, nested or not", definePlugin({ name: "x" }), { plugin: "host-local" }, [
      2,
      3,
      5,
    ]],
  ];
  for (const [name, target, options, expected] of cases) {
    await t.step(name, async () => {
      assert.deepEqual(ids(await replay(target, PTP, options)), expected);
    });
  }
  await t.step("nothing to replay fails assertReplay", async () => {
    await assert.rejects(
      assertReplay(definePlugin({ name: "bridge" }), PTP),
      {
        message:
          `replay: nothing to replay: ${PTP.pathname} has no invocation of the plugin "bridge"`,
      },
    );
  });
  await t.step("a plugin without a name needs plugin or only", async () => {
    const { name: _, ...unnamed } = samplePlugin;
    await assert.rejects(replay(unnamed, PTP), { message: /say which invocations to replay/ });
  });
  await t.step("an invocation that is not there", async () => {
    await assert.rejects(replay(samplePlugin, SAMPLE, { only: 8 }), {
      name: "RecordingError",
      message: "the recording has no invocation 8 (it has 7)",
    });
  });
});

Deno.test("records keep bytes that are not UTF-8, and replay them", async (t) => {
  await t.step("recordBytes and recordedBytes round trip", () => {
    const cases: [string, Uint8Array, unknown][] = [
      ["text", new TextEncoder().encode("ü\n"), "ü\n"],
      ["a byte order mark stays", Uint8Array.of(0xef, 0xbb, 0xbf, 0x7b), "\ufeff{"],
      ["invalid UTF-8", Uint8Array.of(0x61, 0xff, 0x00, 0xc3), { base64: "Yf8Aww==" }],
      ["empty", new Uint8Array(), ""],
    ];
    for (const [name, bytes, recorded] of cases) {
      assert.deepEqual(recordBytes(bytes), recorded, name);
      assert.deepEqual(recordedBytes(recordBytes(bytes)), bytes, name);
    }
    assert.equal(recordedText({ base64: "Yf8Aww==" }), "a\ufffd\u0000\ufffd");
  });
  await t.step("a recorded ADD with such bytes in stdin and CNI_CONTAINERID", async () => {
    const records = await loadRecording(SAMPLE);
    const odd = records[6]!;
    assert.equal(typeof odd.stdin, "object", "base64");
    assert.deepEqual(
      recordedBytes(odd.env.CNI_CONTAINERID!),
      Uint8Array.of(0x63, 0x74, 0x72, 0xff),
    );
    const report = await assertReplay(samplePlugin, SAMPLE, { only: 7 });
    assert.equal(report.invocations[0]?.replayed.code, 1);
    assert.match(report.invocations[0]!.replayed.stdout, /invalid characters in containerID/);
  });
});

Deno.test("record files that are not records are refused, naming the file", async (t) => {
  await withTempDir(async (dir) => {
    const [good] = await loadRecording(SAMPLE_ADD);
    const cases: [string, string, RegExp][] = [
      ["not JSON", "{", /bad\.json: not JSON: /],
      [
        "another format",
        JSON.stringify({ ...good, format: "other" }),
        /bad\.json: "format" must be "deno-cni-record\/1"/,
      ],
      [
        "no plugin",
        JSON.stringify({ ...good, plugin: undefined }),
        /bad\.json: "plugin" must be a non-empty string/,
      ],
      [
        "bytes that are neither",
        JSON.stringify({ ...good, stdout: { hex: "00" } }),
        /"stdout" must be a string or \{base64\}/,
      ],
      [
        "an exit status that is not one",
        JSON.stringify({ ...good, code: "0" }),
        /"code" must be an integer or null/,
      ],
      [
        "a recording without its list",
        JSON.stringify({ format: "deno-cni-recording/1" }),
        /"invocations" must be a list of records/,
      ],
    ];
    for (const [name, text, message] of cases) {
      await t.step(name, async () => {
        await Deno.writeTextFile(`${dir}/bad.json`, text);
        await assert.rejects(loadRecording(`${dir}/bad.json`), (error: Error) => {
          assert.ok(error instanceof RecordingError);
          assert.match(error.message, message);
          return true;
        });
      });
    }
    await t.step(
      "a directory of records is read in start order, other files left out",
      async () => {
        const records = await loadRecording(SAMPLE);
        await Deno.mkdir(`${dir}/records`);
        for (const record of [...records].reverse()) {
          await Deno.writeTextFile(`${dir}/records/${record.id}.json`, JSON.stringify(record));
        }
        await Deno.writeTextFile(`${dir}/records/.half.json.tmp`, "{");
        await Deno.writeTextFile(`${dir}/records/notes.txt`, "");
        assert.deepEqual(await loadRecording(dir), records);
        assert.deepEqual(extractInvocation(records, 2).invocations, [records[1]]);
      },
    );
  });
});
