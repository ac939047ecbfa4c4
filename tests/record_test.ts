/**
 * `deno task record` (cli/record.ts) and its recorder (cli/_record/recorder.ts), as real
 * processes: the recording's directory and its modes, wrappers that change nothing the plugin or
 * the runtime sees (environment, arguments, stdin, stdout, stderr, exit status, signal, a stdout
 * closed early), records that keep bytes that are not UTF-8, delegated calls nested under their
 * caller, a recording directory that cannot be written, and recordings of the sample and of
 * deno-ptp with a fake host-local replayed with no differences; `--extract` and `--list`.
 */
import assert from "node:assert/strict";
import {
  assertReplay,
  extractInvocation,
  type InvocationRecord,
  loadRecording,
  recordedBytes,
  replay,
} from "../lib/testing.ts";
import { samplePlugin } from "../main.ts";
import { ptpPlugin } from "../examples/ptp.ts";
import {
  makeRecording,
  type ProcessOutput,
  recordCli,
  runProgram,
  writePlugins,
  writeProjectPlugin,
} from "./_recording.ts";

const encoder = new TextEncoder();
const decoder = new TextDecoder();

async function withTempDir(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "dcni-record-test-" });
  try {
    await fn(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

function modeOf(path: string): number {
  return (Deno.lstatSync(path).mode ?? 0) & 0o777;
}

/** An output with its bytes as Latin-1 text: exact, and readable in a failed assertion. */
function readable(output: ProcessOutput) {
  const latin1 = (bytes: Uint8Array) => Array.from(bytes, (b) => String.fromCharCode(b)).join("");
  return { ...output, stdout: latin1(output.stdout), stderr: latin1(output.stderr) };
}

function names(dir: string): string[] {
  return [...Deno.readDirSync(dir)].map((e) => e.name).sort();
}

/**
 * Prints its arguments, its whole environment and its stdin; a line on stderr; exit $EXIT. In
 * Python, which leaves the environment alone (a POSIX shell would set PWD, and so hide a wrapper
 * that does).
 */
const ECHO_ALL = `#!/usr/bin/python3
import os, sys
out = sys.stdout.buffer
for arg in sys.argv[1:]:
    out.write(b"arg:" + os.fsencode(arg) + b"\\n")
for name in sorted(os.environb):
    out.write(name + b"=" + os.environb[name] + b"\\0")
out.write(b"---\\n" + sys.stdin.buffer.read())
out.flush()
sys.stderr.write("to stderr\\n")
sys.exit(int(os.environ.get("EXIT", "0")))`;

Deno.test("record --out makes a private directory of wrappers for the plugins of CNI_PATH", async (t) => {
  await withTempDir(async (tmp) => {
    const first = `${tmp}/first`;
    const second = `${tmp}/second`;
    await writePlugins(first, { alpha: "echo first", beta: "echo beta", "bad name": "echo bad" });
    await writePlugins(second, { alpha: "echo second", gamma: "echo gamma" });
    await Deno.writeTextFile(`${first}/not-executable`, "echo no\n", { mode: 0o644 });
    await Deno.writeTextFile(`${first}/.hidden`, "echo no\n", { mode: 0o755 });
    await Deno.writeTextFile(`${first}/x$(id)`, "echo no\n", { mode: 0o755 });
    await Deno.writeTextFile(`${first}/new\nline`, "echo no\n", { mode: 0o755 });
    await Deno.mkdir(`${first}/subdir`);
    const out = `${tmp}/rec`;

    await t.step("the wrappers, the first of each name, and what was skipped", async () => {
      const made = await recordCli(["--out", out], { CNI_PATH: `${first}:${second}` });
      assert.equal(made.code, 0, made.stderr);
      assert.equal(made.stdout, `${out}/bin\n`);
      assert.deepEqual(names(`${out}/bin`), ["alpha", "beta", "gamma"]);
      assert.match(made.stderr, /skipped ".*\/first\/bad name": not a plugin name/);
      assert.match(made.stderr, /skipped ".*\/first\/not-executable": not executable/);
      assert.match(made.stderr, /skipped ".*\/first\/x\$\(id\)": not a plugin name/);
      assert.match(made.stderr, /skipped ".*\/first\/new\\nline": not a plugin name/);
      assert.match(made.stderr, /give the runtime CNI_PATH=.*\/rec\/bin/);
      assert.match(made.stderr, /secrets included/);
      const alpha = await Deno.readTextFile(`${out}/bin/alpha`);
      const settings = JSON.parse(alpha.split("\n").find((l) => l.startsWith("{")) ?? "");
      assert.equal(settings.path, `${first}/alpha`);
      assert.equal(settings.records, `${out}/records`);
      assert.ok(!alpha.split("\n")[0]!.includes("alpha"), "the first line names no plugin");
      const output = await new Deno.Command(`${out}/bin/alpha`, { stdout: "piped" }).output();
      assert.equal(decoder.decode(output.stdout), "first\n");
    });

    await t.step("modes: directories 0700, records and the recorder 0600, wrappers 0700", () => {
      assert.equal(modeOf(out), 0o700);
      for (const sub of ["bin", "records", "running"]) assert.equal(modeOf(`${out}/${sub}`), 0o700);
      assert.equal(modeOf(`${out}/recorder.js`), 0o600);
      for (const name of names(`${out}/bin`)) assert.equal(modeOf(`${out}/bin/${name}`), 0o700);
    });

    await t.step("run again: records stay, a wrapper of a plugin gone goes", async () => {
      await Deno.writeTextFile(`${out}/records/kept.json`, "{}");
      const records = names(`${out}/records`);
      assert.equal(records.length, 2, "kept.json and the record of alpha's run");
      await Deno.remove(`${second}/gamma`);
      const made = await recordCli(["--out", out, "--cni-path", `${first}:${second}`]);
      assert.equal(made.code, 0, made.stderr);
      assert.deepEqual(names(`${out}/bin`), ["alpha", "beta"]);
      assert.deepEqual(names(`${out}/records`), records);
    });

    const refusals: [string, () => Promise<string[]>, RegExp][] = [
      ["a path a wrapper's first line cannot hold", () => {
        return Promise.resolve(["--out", `${tmp}/with space`, "--cni-path", first]);
      }, /has characters a wrapper's first line cannot hold/],
      ["a directory that is not a recording's", async () => {
        await Deno.mkdir(`${tmp}/other`, { mode: 0o700 });
        await Deno.writeTextFile(`${tmp}/other/notes.txt`, "");
        return ["--out", `${tmp}/other`, "--cni-path", first];
      }, /is not a recording's directory/],
      ["a directory open to others", async () => {
        await Deno.mkdir(`${tmp}/open`, { mode: 0o755 });
        await Deno.chmod(`${tmp}/open`, 0o755);
        return ["--out", `${tmp}/open`, "--cni-path", first];
      }, /is open to others \(mode 755\)/],
      ["a symlink in place of the directory", async () => {
        await Deno.mkdir(`${tmp}/elsewhere`, { mode: 0o700 });
        await Deno.symlink(`${tmp}/elsewhere`, `${tmp}/link`);
        return ["--out", `${tmp}/link`, "--cni-path", first];
      }, /is a symlink, not a directory/],
      ["the wrappers as the plugin directory", () => {
        return Promise.resolve(["--out", out, "--cni-path", `${out}/bin`]);
      }, /is the recording's own wrapper directory/],
      ["no plugin directory", () => Promise.resolve(["--out", `${tmp}/none`]), /give --cni-path/],
    ];
    for (const [name, setup, message] of refusals) {
      await t.step(`refused: ${name}`, async () => {
        const made = await recordCli(await setup());
        assert.notEqual(made.code, 0);
        assert.match(made.stderr, message);
        assert.equal(made.stdout, "");
      });
    }
    assert.deepEqual(names(`${tmp}/elsewhere`), [], "nothing was written through the symlink");
  });
});

Deno.test("a wrapped plugin sees, and the runtime gets, exactly what they would unwrapped", async (t) => {
  await withTempDir(async (tmp) => {
    await writePlugins(`${tmp}/plugins`, { echo: ECHO_ALL });
    const bin = await makeRecording(`${tmp}/rec`, `${tmp}/plugins`);
    const cases = [
      {
        name: "an ADD, with bytes that are not UTF-8 in a variable and on stdin, and arguments",
        args: ["one", "two words", "ü"],
        env: {
          CNI_COMMAND: "ADD",
          CNI_ARGS: Uint8Array.of(0x49, 0x50, 0xff, 0x3d, 0xfe),
          CNI_PATH: bin,
          DENO_CNI_LOG_LEVEL: "debug",
          OTHER: "not recorded",
          PATH: "/usr/bin:/bin",
        },
        stdin: Uint8Array.of(0x7b, 0x22, 0xc3, 0x28, 0x22, 0x7d),
        exit: "0",
      },
      {
        name: "a failure with an empty stdin and an empty variable",
        args: [],
        env: { CNI_COMMAND: "DEL", CNI_NETNS: "", CNI_PATH: bin, PATH: "/usr/bin:/bin" },
        stdin: new Uint8Array(),
        exit: "3",
      },
    ];
    for (const c of cases) {
      await t.step(c.name, async () => {
        const env = { ...c.env, EXIT: c.exit };
        const direct = await runProgram([`${tmp}/plugins/echo`, ...c.args], {
          env,
          stdin: c.stdin,
        });
        const before = new Set(names(`${tmp}/rec/records`));
        const wrapped = await runProgram([`${bin}/echo`, ...c.args], { env, stdin: c.stdin });
        assert.equal(wrapped.code, Number(c.exit));
        assert.deepEqual(readable(wrapped), readable(direct));
        if ("OTHER" in env) assert.match(decoder.decode(direct.stdout), /\0OTHER=not recorded\0/);

        const added = names(`${tmp}/rec/records`).filter((n) => !before.has(n));
        assert.equal(added.length, 1, `one record: ${added}`);
        const file = `${tmp}/rec/records/${added[0]}`;
        assert.match(
          added[0]!,
          new RegExp(`^\\d{8}T\\d{6}\\.\\d{6}Z-\\d+-echo-${c.env.CNI_COMMAND}\\.json$`),
        );
        assert.equal(modeOf(file), 0o600);
        const [record] = await loadRecording(file) as [InvocationRecord];
        assert.equal(record.plugin, "echo");
        assert.equal(record.path, `${tmp}/plugins/echo`);
        assert.deepEqual(record.args, c.args);
        assert.equal(record.verb, c.env.CNI_COMMAND);
        assert.equal(record.parent, undefined);
        const kept = Object.entries(c.env).filter(([k]) => /^(CNI|DENO_CNI)_/.test(k));
        assert.deepEqual(
          Object.fromEntries(Object.entries(record.env).map(([k, v]) => [k, recordedBytes(v)])),
          Object.fromEntries(
            kept.map(([k, v]) => [k, typeof v === "string" ? encoder.encode(v) : v]),
          ),
        );
        assert.deepEqual(recordedBytes(record.stdin), c.stdin);
        assert.deepEqual(recordedBytes(record.stdout), direct.stdout);
        assert.equal(record.stderr, "to stderr\n");
        assert.equal(record.code, Number(c.exit));
        assert.equal(record.signal, null);
        assert.ok(record.durationMs > 0 && record.durationMs < 10_000, `${record.durationMs}`);
        assert.ok(Math.abs(Date.parse(record.start) - Date.now()) < 60_000, record.start);
      });
    }
    assert.deepEqual(names(`${tmp}/rec/running`), [], "no marker is left behind");
  });
});

Deno.test("a plugin killed by a signal: the wrapper ends as it did, and the record says so", async (t) => {
  await withTempDir(async (tmp) => {
    await writePlugins(`${tmp}/plugins`, {
      killed: 'printf dying; kill -s "$SIG" $$; sleep 5',
    });
    const bin = await makeRecording(`${tmp}/rec`, `${tmp}/plugins`);
    // Deno itself ignores SIGPIPE and handles SIGSEGV and SIGBUS, so it cannot die of those:
    // the wrapper then exits with 128 + the signal's number, as a shell reports it.
    const cases: [string, string | null, number][] = [
      ["KILL", "SIGKILL", 137],
      ["TERM", "SIGTERM", 143],
      ["INT", "SIGINT", 130],
      ["PIPE", null, 141],
    ];
    for (const [signal, wrappedSignal, code] of cases) {
      await t.step(`SIG${signal}`, async () => {
        const env = { SIG: signal, PATH: "/usr/bin:/bin", CNI_COMMAND: "ADD" };
        const direct = await runProgram([`${tmp}/plugins/killed`], { env });
        assert.equal(direct.signal, `SIG${signal}`);
        const wrapped = await runProgram([`${bin}/killed`], { env });
        assert.equal(wrapped.signal, wrappedSignal);
        assert.equal(wrapped.code, code);
        assert.equal(decoder.decode(wrapped.stdout), "dying");
        const records = await loadRecording(`${tmp}/rec`);
        const last = records[records.length - 1]!;
        assert.equal(last.signal, `SIG${signal}`);
        assert.equal(last.code, null);
        assert.equal(last.stdout, "dying");
      });
    }
  });
});

Deno.test("a stdout closed early reaches the plugin: it dies of SIGPIPE, and is recorded", async () => {
  await withTempDir(async (tmp) => {
    await writePlugins(`${tmp}/plugins`, { chatty: "while :; do echo line; done" });
    const bin = await makeRecording(`${tmp}/rec`, `${tmp}/plugins`);
    const env = { PATH: "/usr/bin:/bin", CNI_COMMAND: "ADD" };
    const direct = await runProgram([`${tmp}/plugins/chatty`], { env, stdout: "closed" });
    assert.equal(direct.signal, "SIGPIPE");
    const wrapped = await runProgram([`${bin}/chatty`], {
      env,
      stdout: "closed",
      timeoutMs: 20_000,
    });
    assert.equal(wrapped.code, 141, "128 + SIGPIPE: the plugin's end, as far as Deno can tell it");
    assert.equal(decoder.decode(wrapped.stderr), "");
    const [record] = await loadRecording(`${tmp}/rec`);
    assert.ok(record !== undefined);
    assert.equal(record.signal, "SIGPIPE");
    assert.match(decoder.decode(recordedBytes(record.stdout)), /^(line\n)+/);
  });
});

Deno.test("a recording directory that cannot be written changes nothing but one warning", async (t) => {
  await withTempDir(async (tmp) => {
    await writePlugins(`${tmp}/plugins`, { echo: ECHO_ALL });
    const bin = await makeRecording(`${tmp}/rec`, `${tmp}/plugins`);
    const records = `${tmp}/rec/records`;
    const elsewhere = `${tmp}/elsewhere`;
    await Deno.mkdir(elsewhere);
    const cases: [string, () => Promise<void>, RegExp][] = [
      ["records/ removed", () => Promise.resolve(), /No such file or directory/],
      [
        "records/ a symlink to another directory",
        () => Deno.symlink(elsewhere, records),
        /is a symlink, not a directory/,
      ],
      ["records/ a file", () => Deno.writeTextFile(records, ""), /is not a directory/],
    ];
    for (const [name, breakIt, why] of cases) {
      await t.step(name, async () => {
        await Deno.remove(records, { recursive: true }).catch(() => {});
        await breakIt();
        const env = { CNI_COMMAND: "ADD", PATH: "/usr/bin:/bin", EXIT: "2" };
        const direct = await runProgram([`${tmp}/plugins/echo`], { env, stdin: "{}" });
        const wrapped = await runProgram([`${bin}/echo`], { env, stdin: "{}" });
        assert.equal(wrapped.code, 2);
        assert.deepEqual(wrapped.stdout, direct.stdout);
        const stderr = decoder.decode(wrapped.stderr);
        assert.ok(stderr.startsWith(decoder.decode(direct.stderr)), stderr);
        const warning = stderr.slice(direct.stderr.length);
        assert.match(warning, /^deno-cni record: no record of this echo ADD: .*\n$/);
        assert.match(warning, why);
        assert.deepEqual(names(elsewhere), []);
      });
    }
  });
});

Deno.test("delegated calls are recorded nested under their caller", async () => {
  await withTempDir(async (tmp) => {
    await writePlugins(`${tmp}/plugins`, {
      outer: 'echo outer; "$CNI_PATH/middle" </dev/null',
      middle:
        'echo middle; "$CNI_PATH/inner" </dev/null; CNI_COMMAND=DEL "$CNI_PATH/inner" </dev/null',
      inner: "echo inner",
    });
    const bin = await makeRecording(`${tmp}/rec`, `${tmp}/plugins`);
    const env = { CNI_COMMAND: "ADD", CNI_PATH: bin, PATH: "/usr/bin:/bin" };
    const run = await runProgram([`${bin}/outer`], { env });
    assert.equal(decoder.decode(run.stdout), "outer\nmiddle\ninner\ninner\n");
    const records = await loadRecording(`${tmp}/rec`);
    assert.deepEqual(records.map((r) => `${r.plugin} ${r.verb}`), [
      "outer ADD",
      "middle ADD",
      "inner ADD",
      "inner DEL",
    ]);
    const [outer, middle, add, del] = records;
    assert.equal(outer?.parent, undefined);
    assert.equal(middle?.parent, outer?.id);
    assert.equal(add?.parent, middle?.id);
    assert.equal(del?.parent, middle?.id);
    assert.equal(outer?.stdout, "outer\nmiddle\ninner\ninner\n");

    const listed = await recordCli(["--list", `${tmp}/rec`]);
    assert.equal(listed.code, 0, listed.stderr);
    const lines = listed.stdout.trimEnd().split("\n");
    assert.equal(lines.length, 4);
    assert.match(lines[0]!, /^1 {2}\S+ {2}outer ADD {2}exit 0 {2}[\d.]+ ms$/);
    assert.match(lines[2]!, /^3 {2}\S+ {6}inner ADD {2}exit 0/);
  });
});

Deno.test("recordings of the sample and of deno-ptp with a fake host-local replay with no differences", async (t) => {
  await withTempDir(async (tmp) => {
    const plugins = `${tmp}/plugins`;
    await writeProjectPlugin(plugins, "sample");
    await writeProjectPlugin(plugins, "deno-ptp");
    await writePlugins(plugins, {
      "host-local": [
        "cat >/dev/null",
        '[ "$CNI_COMMAND" = ADD ] && printf \'{"cniVersion":"1.0.0","ips":[{"address":"10.9.0.5/24"}]}\'',
        "exit 0",
      ].join("\n"),
    });
    const bin = await makeRecording(`${tmp}/rec`, plugins);
    const env = (verb: string) => ({
      CNI_COMMAND: verb,
      CNI_CONTAINERID: "ctr1",
      CNI_NETNS: "/var/run/netns/dcni-record-gone",
      CNI_IFNAME: "eth0",
      CNI_PATH: bin,
      PATH: "/usr/sbin:/usr/bin:/sbin:/bin",
    });
    const prevResult = {
      cniVersion: "1.0.0",
      ips: [{ address: "10.1.0.5/24", gateway: "10.1.0.1" }],
    };
    const sample = { cniVersion: "1.0.0", name: "rec", type: "sample", prevResult };
    const runs: [string, string, unknown][] = [
      ["sample", "VERSION", {}],
      ["sample", "ADD", { ...sample, anotherAwesomeArg: "awesome" }],
      ["sample", "DEL", { ...sample, anotherAwesomeArg: "awesome" }],
      ["sample", "ADD", sample],
      ["deno-ptp", "ADD", {
        cniVersion: "1.0.0",
        name: "rec",
        type: "deno-ptp",
        ipam: { type: "host-local" },
      }],
    ];
    for (const [plugin, verb, config] of runs) {
      await runProgram([`${bin}/${plugin}`], { env: env(verb), stdin: JSON.stringify(config) });
    }
    const records = await loadRecording(`${tmp}/rec`);
    assert.deepEqual(records.map((r) => `${r.plugin} ${r.verb} ${r.code}`), [
      "sample VERSION 0",
      "sample ADD 0",
      "sample DEL 0",
      "sample ADD 1",
      "deno-ptp ADD 1",
      "host-local ADD 0",
      "host-local DEL 0",
    ]);
    assert.equal(records[5]?.parent, records[4]?.id);
    assert.equal(records[6]?.parent, records[4]?.id);

    const targets: [string, Parameters<typeof replay>[0]][] = [
      ["the sample in-process", samplePlugin],
      ["the sample's executable", `${plugins}/sample`],
      ["deno-ptp in-process", ptpPlugin],
      ["deno-ptp's executable", `${plugins}/deno-ptp`],
    ];
    for (const [name, target] of targets) {
      await t.step(name, async () => {
        const report = await replay(target, `${tmp}/rec`);
        assert.equal(report.invocations.length, name.startsWith("the sample") ? 4 : 1);
        assert.equal(report.differences, 0, JSON.stringify(report.invocations, null, 1));
      });
    }
  });
});

Deno.test("record --extract writes one invocation and its delegated calls as a fixture", async (t) => {
  await withTempDir(async (tmp) => {
    const ptp = new URL("testdata/recordings/ptp", import.meta.url).pathname;
    const records = await loadRecording(ptp);
    const to = `${tmp}/fixture.json`;
    await t.step("to a new file, mode 0600, that replays", async () => {
      const made = await recordCli(["--extract", "1", "--from", ptp, "--to", to]);
      assert.equal(made.code, 0, made.stderr);
      assert.equal(made.stdout, "");
      assert.match(made.stderr, /wrote deno-ptp ADD and 2 delegated calls to .*fixture\.json/);
      assert.match(made.stderr, /review it for secrets/);
      assert.equal(modeOf(to), 0o600);
      assert.deepEqual(JSON.parse(await Deno.readTextFile(to)), extractInvocation(records, 1));
      const extracted = await loadRecording(to);
      assert.deepEqual(extracted.map((r) => `${r.plugin} ${r.verb}`), [
        "deno-ptp ADD",
        "host-local ADD",
        "host-local DEL",
      ]);
      await assertReplay(ptpPlugin, to);
    });
    await t.step("an existing file stays unless --force", async () => {
      const before = await Deno.readTextFile(to);
      const refused = await recordCli(["--extract", "4", "--from", ptp, "--to", to]);
      assert.equal(refused.code, 1);
      assert.match(refused.stderr, /exists: add --force to replace it/);
      assert.equal(await Deno.readTextFile(to), before);
      const forced = await recordCli(["--extract", "4", "--from", ptp, "--to", to, "--force"]);
      assert.equal(forced.code, 0, forced.stderr);
      assert.deepEqual(JSON.parse(await Deno.readTextFile(to)), extractInvocation(records, 4));
      assert.equal(modeOf(to), 0o600);
    });
    await t.step("a symlink at --to is never written through", async () => {
      const victim = `${tmp}/victim`;
      const link = `${tmp}/link.json`;
      await Deno.writeTextFile(victim, "keep");
      await Deno.symlink(victim, link);
      const refused = await recordCli(["--extract", "1", "--from", ptp, "--to", link]);
      assert.equal(refused.code, 1);
      const forced = await recordCli(["--extract", "1", "--from", ptp, "--to", link, "--force"]);
      assert.equal(forced.code, 0, forced.stderr);
      assert.equal(await Deno.readTextFile(victim), "keep");
      assert.equal(Deno.lstatSync(link).isSymlink, false, "the link itself was replaced");
    });
    await t.step("to stdout, by id", async () => {
      const made = await recordCli(["--extract", records[3]!.id, "--from", ptp]);
      assert.equal(made.code, 0, made.stderr);
      assert.deepEqual(JSON.parse(made.stdout), extractInvocation(records, 4));
    });
    const mistakes: [string, string[], number, RegExp][] = [
      [
        "an invocation that is not there",
        ["--extract", "9", "--from", ptp],
        1,
        /no invocation 9 \(it has 5\)/,
      ],
      ["--extract without --from", ["--extract", "1"], 2, /--extract needs --from DIR/],
      [
        "two actions",
        ["--list", ptp, "--out", `${tmp}/x`],
        2,
        /give one of --out, --list and --extract/,
      ],
      ["--force without --to", ["--list", ptp, "--force"], 2, /--force goes with --extract --to/],
      ["an unknown argument", ["--list", ptp, "--verbose"], 2, /unknown argument "--verbose"/],
    ];
    for (const [name, args, code, message] of mistakes) {
      await t.step(name, async () => {
        const made = await recordCli(args);
        assert.equal(made.code, code, made.stderr);
        assert.match(made.stderr, message);
        assert.equal(made.stdout, "");
      });
    }
  });
});

Deno.test("a plugin removed since the wrappers were made: exit 127, a warning, a record", async () => {
  await withTempDir(async (tmp) => {
    await writePlugins(`${tmp}/plugins`, { gone: "echo here" });
    const bin = await makeRecording(`${tmp}/rec`, `${tmp}/plugins`);
    await Deno.remove(`${tmp}/plugins/gone`);
    const run = await runProgram([`${bin}/gone`], { env: { CNI_COMMAND: "DEL" }, stdin: "{}" });
    assert.equal(run.code, 127);
    assert.equal(decoder.decode(run.stdout), "");
    assert.match(
      decoder.decode(run.stderr),
      new RegExp(`^deno-cni record: cannot run ${tmp}/plugins/gone: .*No such file`),
    );
    const [record] = await loadRecording(`${tmp}/rec`);
    assert.equal(record?.code, null);
    assert.equal(record?.signal, null);
    assert.match(record?.error ?? "", /No such file or directory/);
  });
});
