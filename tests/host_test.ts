/**
 * lib/host.ts: the real host of a Deno process. Programs run as real processes (argv only), the
 * deadline kills a child's whole process group (a limit beyond what a timer holds is clamped; no
 * setTimeout, and nothing left to hold the process once a run ends), a child's input is noted
 * until written and the netlink backend waits for it, output is capped, appendFile refuses
 * symlinks, dot components and anything but a regular file without blocking, a missing permission
 * becomes a code 999 error naming the plugins.json flag, and environment values that are not UTF-8
 * are read as their exact bytes. None of it needs root.
 */
import assert from "node:assert/strict";
import {
  DEFAULT_TIMEOUT_MS,
  denoHost,
  type Host,
  MAX_OUTPUT_BYTES,
  MAX_TIMEOUT_MS,
  permissionError,
  TIMEOUT_VARIABLE,
  timerDelay,
  tryWriteStderr,
} from "../lib/host.ts";
import { startsSettled } from "../lib/_program_starts.ts";
import { CniError } from "../lib/errors.ts";
import { fakeHost, skipReason } from "../lib/testing.ts";
import { drainFifo, within } from "./_within.ts";

const HOST_MODULE = new URL("../lib/host.ts", import.meta.url).href;
const RUN_FLAGS = ["run", "--no-config", "--no-lock", "--no-prompt", "--quiet"];

/** Runs `script` (which may import HOST_MODULE) in a child Deno with `permissions`. */
async function runDeno(
  dir: string,
  script: string,
  permissions: string[],
  options: { env?: Record<string, string>; stdin?: string } = {},
) {
  const path = `${dir}/script-${crypto.randomUUID()}.ts`;
  await Deno.writeTextFile(path, script);
  const output = await denoHost().run(Deno.execPath(), [...RUN_FLAGS, ...permissions, path], {
    timeoutMs: 30_000,
    clearEnv: true,
    env: options.env ?? {},
    ...(options.stdin === undefined ? {} : { stdin: options.stdin }),
  });
  assert.equal(output.timedOut, undefined, "the child Deno hung");
  return output;
}

/** The processes of group `pgid`, each as its state letter and command line. */
async function groupMembers(pgid: number): Promise<{ state: string; args: string }[]> {
  const ps = await new Deno.Command("ps", { args: ["-eo", "pgid=,stat=,args="] }).output();
  return new TextDecoder().decode(ps.stdout).split("\n")
    .map((line) => line.trim().split(/\s+/))
    .filter((fields) => Number(fields[0]) === pgid)
    .map((fields) => ({ state: fields[1] ?? "", args: fields.slice(2).join(" ") }));
}

/** Whether `kill -0` still reaches any process of group `pgid` (a zombie counts). */
async function groupSignalable(pgid: number): Promise<boolean> {
  const kill = await new Deno.Command("kill", {
    args: ["-0", "--", `-${pgid}`],
    stderr: "null",
  }).output();
  return kill.success;
}

/**
 * The members of group `pgid` still running, after up to a second for the kills to land. A
 * killed process may stay a zombie until init reaps it: it runs nothing, so it does not count,
 * but then it must be all that `kill -0` still reaches.
 */
async function survivors(pgid: number): Promise<string[]> {
  let running: string[] = [];
  for (let i = 0; i < 20; i++) {
    const members = await groupMembers(pgid);
    running = members.filter((m) => !m.state.startsWith("Z")).map((m) => m.args);
    if (running.length === 0) {
      if (await groupSignalable(pgid)) {
        // Re-read: kill -0 may have raced with the reaping of the last zombies.
        const left = await groupMembers(pgid);
        assert.ok(left.every((m) => m.state.startsWith("Z")), JSON.stringify(left));
      }
      return [];
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return running;
}

Deno.test("denoHost().run() runs a program from its argv", async (t) => {
  const host = denoHost();
  await t.step("run() feeds stdin and returns stdout, stderr and exit status 0", async () => {
    const output = await host.run("/bin/sh", ["-c", 'cat; echo "err $1" >&2', "sh", "a b"], {
      stdin: "input\n",
      timeoutMs: 10_000,
    });
    assert.deepEqual(output, { code: 0, stdout: "input\n", stderr: "err a b\n" });
  });
  await t.step("run() feeds stdin given as bytes", async () => {
    const output = await host.run("/bin/cat", [], {
      stdin: new Uint8Array([0x68, 0x69]),
      timeoutMs: 10_000,
    });
    assert.equal(output.stdout, "hi");
  });
  await t.step("run() gives an empty stdin by default", async () => {
    const output = await host.run("/bin/sh", ["-c", "wc -c"], { timeoutMs: 10_000 });
    assert.equal(output.stdout.trim(), "0");
  });
  await t.step("run() passes arguments as they are, never through a shell", async () => {
    const output = await host.run("/bin/echo", ["$(id)", "a;b", "*"], { timeoutMs: 10_000 });
    assert.equal(output.stdout, "$(id) a;b *\n");
  });
  await t.step("run() returns a failing exit status", async () => {
    const output = await host.run("/bin/sh", ["-c", "exit 7"], { timeoutMs: 10_000 });
    assert.deepEqual(output, { code: 7, stdout: "", stderr: "" });
  });
  await t.step("run() names the signal that ended a program", async () => {
    const output = await host.run("/bin/sh", ["-c", "kill -TERM $$"], { timeoutMs: 10_000 });
    assert.equal(output.signal, "SIGTERM");
    assert.equal(output.timedOut, undefined);
  });
  await t.step("run() reads output that is not UTF-8 with U+FFFD", async () => {
    const output = await host.run("/usr/bin/printf", ["a\\377b"], { timeoutMs: 10_000 });
    assert.equal(output.stdout, "a\ufffdb");
  });
  await t.step("run() survives a program that does not read its stdin", async () => {
    const output = await host.run("/bin/true", [], {
      stdin: "x".repeat(1 << 20),
      timeoutMs: 10_000,
    });
    assert.equal(output.code, 0);
  });
  await t.step("run() throws when the program cannot be started", async () => {
    await assert.rejects(
      host.run("/nonexistent/dcni-program", [], { timeoutMs: 10_000 }),
      (error: unknown) => error instanceof Error && !(error instanceof CniError),
    );
  });
});

Deno.test("denoHost().run() sets the child's environment", async (t) => {
  const host = denoHost();
  const envOf = async (options: { env?: Record<string, string>; clearEnv?: boolean }) => {
    const output = await host.run("/usr/bin/env", [], { ...options, timeoutMs: 10_000 });
    return new Map(
      output.stdout.trimEnd().split("\n").filter((l) => l !== "").map((line) => {
        const at = line.indexOf("=");
        return [line.slice(0, at), line.slice(at + 1)] as const;
      }),
    );
  };
  await t.step("run() sets env on top of this process's environment", async () => {
    const env = await envOf({ env: { DCNI_TEST_VALUE: "on top", PATH: "/only/this" } });
    assert.equal(env.get("DCNI_TEST_VALUE"), "on top");
    assert.equal(env.get("PATH"), "/only/this");
    for (const key of ["HOME", "USER", "LANG"]) {
      const own = Deno.env.get(key);
      if (own !== undefined) assert.equal(env.get(key), own, key);
    }
  });
  await t.step("run() with clearEnv gives the child only env", async () => {
    const env = await envOf({ env: { PATH: "/usr/bin", LC_ALL: "C" }, clearEnv: true });
    assert.deepEqual(Object.fromEntries(env), { PATH: "/usr/bin", LC_ALL: "C" });
  });
  await t.step("run() with clearEnv and no env gives an empty environment", async () => {
    assert.equal((await envOf({ clearEnv: true })).size, 0);
  });
});

Deno.test("denoHost().run() kills the whole process group at the deadline", async (t) => {
  const host = denoHost();
  const dir = await Deno.makeTempDir({ prefix: "dcni-host-" });
  try {
    const rows = [
      { name: "a child and a grandchild that sleep", script: "sleep 30 & sleep 30" },
      { name: "a grandchild holding the pipes after the child exits", script: "sleep 30 & echo x" },
      { name: "a grandchild holding only stderr", script: "sleep 30 >/dev/null & exit 0" },
    ];
    for (const [i, row] of rows.entries()) {
      await t.step(`run() returns within the time limit with ${row.name}`, async () => {
        const pidFile = `${dir}/pid-${i}`;
        const started = performance.now();
        // The script records its pid, which is also its process group: the host starts it as
        // a group leader.
        const output = await host.run("/bin/sh", [
          "-c",
          `echo $$ > "$1"; ${row.script}`,
          "sh",
          pidFile,
        ], {
          timeoutMs: 300,
        });
        const elapsed = performance.now() - started;
        assert.ok(elapsed < 3000, `returned after ${Math.round(elapsed)} ms`);
        assert.ok(elapsed >= 250, `returned after ${Math.round(elapsed)} ms, before the deadline`);
        assert.equal(output.timedOut, true);
        assert.deepEqual([output.stdout, output.stderr], ["", ""]);
        const pgid = Number((await Deno.readTextFile(pidFile)).trim());
        assert.ok(pgid > 1);
        assert.deepEqual(await survivors(pgid), []);
      });
    }
    await t.step("run() reports SIGKILL for a child killed at the deadline", async () => {
      const output = await host.run("/bin/sleep", ["30"], { timeoutMs: 200 });
      assert.deepEqual(output, {
        code: output.code,
        signal: "SIGKILL",
        timedOut: true,
        stdout: "",
        stderr: "",
      });
    });
    await t.step("run() does not time out a program that ends in time", async () => {
      const output = await host.run("/bin/sh", ["-c", "sleep 0.1; echo done"], {
        timeoutMs: 5000,
      });
      assert.deepEqual(output, { code: 0, stdout: "done\n", stderr: "" });
    });
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("denoHost().run() holds a time limit of 2^31 ms or more", async (t) => {
  // A timer's delay is a 32-bit number: a longer one would fire after 1 ms and kill the program.
  const host = denoHost();
  for (const timeoutMs of [2 ** 31, 2 ** 32 + 5, Number.MAX_SAFE_INTEGER, Infinity]) {
    await t.step(`run() with a time limit of ${timeoutMs} ms lets a program finish`, async () => {
      const output = await host.run("/bin/sh", ["-c", "sleep 0.2; echo done"], { timeoutMs });
      assert.deepEqual(output, { code: 0, stdout: "done\n", stderr: "" });
    });
  }
  const delays: [number, number][] = [
    [0, 0],
    [-5, 0],
    [NaN, 0],
    [1500, 1500],
    [MAX_TIMEOUT_MS, MAX_TIMEOUT_MS],
    [2 ** 31, MAX_TIMEOUT_MS],
    [Infinity, MAX_TIMEOUT_MS],
  ];
  for (const [ms, want] of delays) {
    await t.step(`timerDelay(${ms}) is ${want}`, () => assert.equal(timerDelay(ms), want));
  }
  await t.step("MAX_TIMEOUT_MS is 2^31 - 1", () => assert.equal(MAX_TIMEOUT_MS, 2147483647));
});

Deno.test("denoHost().run() keeps its time limit without setTimeout, and lets the process end", async (t) => {
  // Deno's setTimeout loads its Node timers module on first use: milliseconds of every plugin
  // run that delegates. The child Deno makes every setTimeout call fail.
  const dir = await Deno.makeTempDir({ prefix: "dcni-timer-" });
  const script = (timeoutMs: number, program: string) =>
    `import { denoHost } from ${JSON.stringify(HOST_MODULE)};
globalThis.setTimeout = () => { throw new Error("setTimeout was called"); };
const output = await denoHost().run("/bin/sh", ["-c", ${JSON.stringify(program)}], {
  timeoutMs: ${timeoutMs},
  stdin: "in",
});
console.log(JSON.stringify(output));`;
  try {
    await t.step(
      "a run that ends in time, its timer given up: the process ends at once",
      async () => {
        const started = performance.now();
        const output = await runDeno(dir, script(60_000, "/bin/cat; echo out"), ["--allow-run"]);
        const elapsed = performance.now() - started;
        assert.equal(output.stderr, "");
        assert.deepEqual(JSON.parse(output.stdout), { code: 0, stdout: "inout\n", stderr: "" });
        assert.ok(elapsed < 20_000, `the child Deno ended after ${Math.round(elapsed)} ms`);
      },
    );
    await t.step("a run past its time limit is killed at it", async () => {
      const output = await runDeno(dir, script(300, "/bin/sleep 30"), ["--allow-run"]);
      assert.equal(output.stderr, "");
      const outcome = JSON.parse(output.stdout);
      assert.deepEqual([outcome.timedOut, outcome.signal], [true, "SIGKILL"]);
    });
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("denoHost().run() notes a child on its way until its input is written", async () => {
  // A child that reads its input only after a while: the input, larger than a pipe holds, is
  // written only then, and the programs on their way settle only then.
  const input = "x".repeat(1024 * 1024);
  const running = denoHost().run("/bin/sh", ["-c", "sleep 0.5; wc -c"], {
    timeoutMs: 30_000,
    stdin: input,
  });
  const started = performance.now();
  await startsSettled();
  const waited = performance.now() - started;
  assert.ok(waited >= 300, `settled after ${Math.round(waited)} ms, before the input was read`);
  assert.deepEqual(await running, { code: 0, stdout: `${input.length}\n`, stderr: "" });
});

Deno.test("the netlink backend is readied only once a program on its way has its input", async () => {
  // Opening the C library and a socket holds the JavaScript thread, and with it the writes of a
  // child's input: a plugin readying its namespaces while its delegate starts must not delay it.
  const dir = await Deno.makeTempDir({ prefix: "dcni-netlink-wait-" });
  const libc = new URL("../lib/netlink/_libc.ts", import.meta.url).href;
  const script = `import { denoHost } from ${JSON.stringify(HOST_MODULE)};
import { libcOpened } from ${JSON.stringify(libc)};
const host = denoHost();
const running = host.run("/bin/sh", ["-c", "/bin/sleep 0.5; /usr/bin/wc -c"], {
  timeoutMs: 30000,
  stdin: "x".repeat(1024 * 1024),
});
const started = performance.now();
await host.netnsBackend().open(undefined).prepare();
const waited = performance.now() - started;
console.log(JSON.stringify({ waited, opened: libcOpened(), stdout: (await running).stdout }));`;
  try {
    const output = await runDeno(dir, script, ["--allow-run", "--allow-ffi", "--allow-read"]);
    assert.equal(output.stderr, "");
    const outcome = JSON.parse(output.stdout);
    assert.deepEqual([outcome.opened, outcome.stdout], [true, `${1024 * 1024}\n`]);
    assert.ok(outcome.waited >= 300, `readied after ${Math.round(outcome.waited)} ms`);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("denoHost().run() keeps at most MAX_OUTPUT_BYTES of each stream", async (t) => {
  const host = denoHost();
  await t.step(
    "MAX_OUTPUT_BYTES is 16 MiB",
    () => assert.equal(MAX_OUTPUT_BYTES, 16 * 1024 * 1024),
  );
  await t.step("run() drops stdout beyond the limit and counts it", async () => {
    const size = MAX_OUTPUT_BYTES + 1000;
    const output = await host.run("/bin/sh", ["-c", `head -c ${size} /dev/zero | tr '\\0' a`], {
      timeoutMs: 30_000,
    });
    assert.equal(output.code, 0);
    assert.equal(output.stdout.length, MAX_OUTPUT_BYTES);
    assert.equal(output.droppedBytes, 1000);
    assert.equal(output.stderr, "");
  });
  await t.step("run() counts what both streams dropped", async () => {
    const script = `head -c ${MAX_OUTPUT_BYTES + 10} /dev/zero; head -c ${
      MAX_OUTPUT_BYTES + 5
    } /dev/zero >&2`;
    const output = await host.run("/bin/sh", ["-c", script], { timeoutMs: 30_000 });
    assert.equal(output.stdout.length, MAX_OUTPUT_BYTES);
    assert.equal(output.stderr.length, MAX_OUTPUT_BYTES);
    assert.equal(output.droppedBytes, 15);
  });
  await t.step("run() says when stdout was cut, and only then", async () => {
    const over = MAX_OUTPUT_BYTES + 1;
    const cut = await host.run("/bin/sh", ["-c", `head -c ${over} /dev/zero`], {
      timeoutMs: 30_000,
    });
    assert.equal(cut.stdoutTruncated, true);
    const stderrOnly = await host.run("/bin/sh", ["-c", `head -c ${over} /dev/zero >&2`], {
      timeoutMs: 30_000,
    });
    assert.deepEqual([stderrOnly.droppedBytes, "stdoutTruncated" in stderrOnly], [1, false]);
  });
  await t.step("run() leaves droppedBytes out when nothing was dropped", async () => {
    const output = await host.run("/bin/sh", ["-c", `head -c ${MAX_OUTPUT_BYTES} /dev/zero`], {
      timeoutMs: 30_000,
    });
    assert.equal(output.stdout.length, MAX_OUTPUT_BYTES);
    assert.equal("droppedBytes" in output, false);
  });
});

Deno.test("denoHost().appendFile() appends without following symlinks", async (t) => {
  const host = denoHost();
  const dir = await Deno.realPath(await Deno.makeTempDir({ prefix: "dcni-append-" }));
  try {
    await Deno.mkdir(`${dir}/real`);
    await Deno.writeTextFile(`${dir}/real/target.log`, "");
    await Deno.symlink(`${dir}/real/target.log`, `${dir}/real/link.log`);
    await Deno.symlink(`${dir}/real`, `${dir}/linked-dir`);

    await t.step("appendFile() creates missing directories and a 0640 file", async () => {
      const path = `${dir}/new/cni/p.log`;
      await host.appendFile(path, "a\n");
      assert.equal(await Deno.readTextFile(path), "a\n");
      assert.equal((await Deno.stat(path)).mode! & 0o777, 0o640);
      assert.ok((await Deno.stat(`${dir}/new/cni`)).isDirectory);
    });
    await t.step("appendFile() appends in order", async () => {
      const path = `${dir}/new/cni/order.log`;
      for (let i = 0; i < 50; i++) await host.appendFile(path, `${i}\n`);
      const lines = (await Deno.readTextFile(path)).trimEnd().split("\n");
      assert.deepEqual(lines, Array.from({ length: 50 }, (_, i) => String(i)));
    });
    await t.step("appendFile() keeps an existing file's mode and text", async () => {
      const path = `${dir}/real/existing.log`;
      await Deno.writeTextFile(path, "old\n", { mode: 0o600 });
      await Deno.chmod(path, 0o600);
      await host.appendFile(path, "new\n");
      assert.equal(await Deno.readTextFile(path), "old\nnew\n");
      assert.equal((await Deno.stat(path)).mode! & 0o777, 0o600);
    });
    const refused: { name: string; path: () => string; message: RegExp }[] = [
      {
        name: "a symlink as the last component",
        path: () => `${dir}/real/link.log`,
        message: /^a path through a symlink is refused: .*\/real\/link\.log$/,
      },
      {
        name: "a symlink as a directory component",
        path: () => `${dir}/linked-dir/p.log`,
        message: /^a path through a symlink is refused: .*\/linked-dir$/,
      },
      {
        name: 'a "." component',
        path: () => `${dir}/real/./p.log`,
        message: /^a path with "\." or "\.\." is refused: /,
      },
      {
        name: 'a ".." component',
        path: () => `${dir}/real/../real/p.log`,
        message: /^a path with "\." or "\.\." is refused: /,
      },
      {
        name: "a relative path",
        path: () => "relative/p.log",
        message: /^not an absolute path: "relative\/p\.log"$/,
      },
    ];
    for (const row of refused) {
      await t.step(`appendFile() refuses ${row.name} and writes nothing`, async () => {
        await assert.rejects(host.appendFile(row.path(), "x\n"), { message: row.message });
      });
    }
    await t.step("appendFile() wrote nothing through the refused paths", async () => {
      assert.equal(await Deno.readTextFile(`${dir}/real/target.log`), "");
      await assert.rejects(Deno.lstat(`${dir}/real/p.log`), Deno.errors.NotFound);
    });
    await t.step("appendFile() fails where a file stands for a directory", async () => {
      await assert.rejects(host.appendFile(`${dir}/real/target.log/p.log`, "x"));
    });
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("denoHost().appendFile() appends to a regular file only, never blocking", async (t) => {
  const host = denoHost();
  const dir = await Deno.realPath(await Deno.makeTempDir({ prefix: "dcni-append-kind-" }));
  const fifo = `${dir}/fifo.log`;
  const socket = `${dir}/socket.log`;
  const listener = Deno.listen({ transport: "unix", path: socket });
  try {
    const made = await new Deno.Command("mkfifo", { args: [fifo] }).output();
    assert.ok(made.success, "mkfifo");
    await Deno.mkdir(`${dir}/dir.log`);
    await t.step(
      "appendFile() refuses a FIFO at once instead of waiting for a reader",
      async () => {
        // An open that waits for a reader ends when the test opens the FIFO's read end.
        await within(
          assert.rejects(host.appendFile(fifo, "x\n"), {
            message: `not a regular file (a FIFO): ${fifo}`,
          }),
          10_000,
          () => drainFifo(fifo),
        );
      },
    );
    const refused: [string, string, string][] = [
      ["a character device", "/dev/null", "a character device"],
      ["a socket", socket, "a socket"],
      ["a directory", `${dir}/dir.log`, "a directory"],
    ];
    for (const [name, path, kind] of refused) {
      await t.step(`appendFile() refuses ${name}`, async () => {
        await assert.rejects(host.appendFile(path, "x\n"), {
          message: `not a regular file (${kind}): ${path}`,
        });
      });
    }
  } finally {
    listener.close();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("denoHost() reads files, sleeps and writes", async (t) => {
  const host = denoHost();
  const dir = await Deno.realPath(await Deno.makeTempDir({ prefix: "dcni-host-" }));
  try {
    await Deno.writeTextFile(`${dir}/file`, "");
    await Deno.symlink(`${dir}/file`, `${dir}/link`);
    const rows: [string, string, boolean][] = [
      ["a regular file", `${dir}/file`, true],
      ["a symlink to a regular file", `${dir}/link`, true],
      ["a directory", dir, false],
      ["a missing path", `${dir}/missing`, false],
    ];
    for (const [name, path, expected] of rows) {
      await t.step(`isFile() says ${expected} for ${name}`, async () => {
        assert.equal(await host.isFile(path), expected);
      });
    }
    await t.step("sleep() waits", async () => {
      const started = performance.now();
      await host.sleep(50);
      assert.ok(performance.now() - started >= 45);
    });
    await t.step("a plugin process reads stdin, writes both streams and exits", async () => {
      const output = await runDeno(
        dir,
        `import { denoHost } from ${JSON.stringify(HOST_MODULE)};
const host = denoHost();
const input = new TextDecoder().decode(await host.readStdin());
await host.writeStdout(input.toUpperCase());
await host.writeStderr("to stderr");
host.exit(5);
await host.writeStdout("never");`,
        [],
        { stdin: "x".repeat(200_000) },
      );
      assert.deepEqual(output, { code: 5, stdout: "X".repeat(200_000), stderr: "to stderr" });
    });
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("denoHost() turns a missing permission into a code 999 error", async (t) => {
  const dir = await Deno.makeTempDir({ prefix: "dcni-permission-" });
  const script = (plugin: string | undefined, call: string) =>
    `import { denoHost } from ${JSON.stringify(HOST_MODULE)};
const host = denoHost(${plugin === undefined ? "" : JSON.stringify({ plugin })});
try {
  await ${call};
  console.log(JSON.stringify({ ok: true }));
} catch (error) {
  console.log(JSON.stringify({ name: error.name, code: error.code, msg: error.message, details: error.details }));
}`;
  try {
    const rows = [
      {
        name: "run() without --allow-run",
        plugin: "sample",
        call: 'host.run("/bin/true", [], { timeoutMs: 5000 })',
        permissions: [],
        msg: 'missing permission: sample may not run "/bin/true"',
        details:
          'add it to the --allow-run flag of the entry of "sample" in plugins.json and rebuild',
      },
      {
        name: "isFile() without --allow-read",
        plugin: "deno-ptp",
        call: 'host.isFile("/etc/hostname")',
        permissions: [],
        msg: 'missing permission: deno-ptp may not read "/etc/hostname"',
        details:
          'add it to the --allow-read flag of the entry of "deno-ptp" in plugins.json and rebuild',
      },
      {
        name: "appendFile() outside --allow-write",
        plugin: "sample",
        call: `host.appendFile(${JSON.stringify(`${dir}/x.log`)}, "a")`,
        permissions: ["--allow-read"],
        msg: `missing permission: sample may not write ${JSON.stringify(`${dir}/x.log`)}`,
        details:
          'add it to the --allow-write flag of the entry of "sample" in plugins.json and rebuild',
      },
      {
        name: "run() of a plugin without a name",
        plugin: undefined,
        call: 'host.run("/bin/true", [], { timeoutMs: 5000 })',
        permissions: [],
        msg: 'missing permission: the plugin may not run "/bin/true"',
        details: "add it to the --allow-run flag of the plugin's entry in plugins.json and rebuild",
      },
    ];
    await t.step("appendFile() needs read and write on the log directory alone", async () => {
      const path = `${dir}/logs/cni/p.log`;
      const output = await runDeno(
        dir,
        script("sample", `host.appendFile(${JSON.stringify(path)}, "a\\n")`),
        [
          `--allow-read=${dir}/logs`,
          `--allow-write=${dir}/logs`,
        ],
      );
      assert.equal(output.code, 0, output.stderr);
      assert.deepEqual(JSON.parse(output.stdout), { ok: true });
      assert.equal(await Deno.readTextFile(path), "a\n");
    });
    for (const row of rows) {
      await t.step(`denoHost() names the flag and plugins.json for ${row.name}`, async () => {
        const output = await runDeno(dir, script(row.plugin, row.call), row.permissions);
        assert.equal(output.code, 0, output.stderr);
        assert.deepEqual(JSON.parse(output.stdout), {
          name: "CniError",
          code: 999,
          msg: row.msg,
          details: row.details,
        });
      });
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("permissionError()", async (t) => {
  await t.step("permissionError() reads Deno's message", () => {
    const error = permissionError(
      new Deno.errors.NotCapable(
        'Requires env access to "CNI_PATH", run again with the --allow-env flag',
      ),
      "deno-noop",
    );
    assert.deepEqual(error.toJSON(), {
      code: 999,
      msg: 'missing permission: deno-noop may not read the environment variable "CNI_PATH"',
      details:
        'add it to the --allow-env flag of the entry of "deno-noop" in plugins.json and rebuild',
    });
  });
  await t.step("permissionError() still says something for a message of another form", () => {
    const error = permissionError(new Deno.errors.NotCapable("denied"));
    assert.deepEqual(error.toJSON(), {
      code: 999,
      msg: "missing permission: the plugin was refused: denied",
      details: "add the permission it needs to the plugin's entry in plugins.json and rebuild",
    });
  });
});

/** A launcher that can give a child environment bytes that are not UTF-8. */
const PYTHON = "/usr/bin/python3";
const pythonSkip = await skipReason({ files: [PYTHON] });
if (pythonSkip !== undefined) console.log(`getenvBytes() process tests ignored: ${pythonSkip}`);

Deno.test({
  name: "denoHost().getenvBytes() reads a variable's exact bytes",
  ignore: pythonSkip !== undefined,
  fn: getenvBytesTests,
});

async function getenvBytesTests(t: Deno.TestContext) {
  const dir = await Deno.makeTempDir({ prefix: "dcni-env-" });
  // Starts a child Deno with variables whose values are raw bytes (given as hex on argv) and
  // prints what getenvBytes() read for each name asked.
  const readInChild = async (
    variables: Record<string, string>,
    names: string[],
    allowEnv: string,
  ) => {
    const path = `${dir}/env-${crypto.randomUUID()}.ts`;
    await Deno.writeTextFile(
      path,
      `import { denoHost } from ${JSON.stringify(HOST_MODULE)};
const host = denoHost();
const names = ${JSON.stringify(names)};
const read = (n: string) => {
  try {
    const b = host.getenvBytes(n);
    return b === undefined ? null : [...b];
  } catch (error) {
    return (error as Error).message;
  }
};
console.log(JSON.stringify(names.map(read)));`,
    );
    const launcher = "import os, sys\n" +
      "pairs = sys.argv[1].split(',') if sys.argv[1] else []\n" +
      "env = {k.encode(): bytes.fromhex(v) for k, v in (p.split('=') for p in pairs)}\n" +
      "os.execve(sys.argv[2], sys.argv[2:], env)\n";
    const pairs = Object.entries(variables).map(([name, hex]) => `${name}=${hex}`).join(",");
    const output = await denoHost().run(PYTHON, [
      "-c",
      launcher,
      pairs,
      Deno.execPath(),
      ...RUN_FLAGS,
      `--allow-env=${allowEnv}`,
      path,
    ], { timeoutMs: 30_000, clearEnv: true });
    assert.equal(output.code, 0, output.stderr);
    return JSON.parse(output.stdout) as (number[] | string | null)[];
  };
  try {
    const rows: { name: string; hex: string }[] = [
      { name: "a byte that is not UTF-8", hex: "657468ff" },
      { name: "a truncated sequence", hex: "61e282" },
      {
        name: "quotes, a backslash, a newline, CR and a tab beside a bad byte",
        hex: "22275c0a0d09ff",
      },
      { name: "UTF-8 text beside a bad byte", hex: "c3a9e282acf09f9982fe" },
      { name: "control characters beside a bad byte", hex: "017f1bff" },
      { name: "plain UTF-8", hex: "c3a974c3a9" },
    ];
    for (const row of rows) {
      await t.step(`getenvBytes() recovers ${row.name}`, async () => {
        const [got] = await readInChild({ V: row.hex }, ["V"], "V");
        assert.deepEqual(got, [...(row.hex.match(/../g) ?? [])].map((h) => parseInt(h, 16)));
      });
    }
    await t.step(
      "getenvBytes() gives undefined for an unset variable and refuses a not permitted one",
      async () => {
        const got = await readInChild(
          { V: "61", SECRET: "62ff" },
          ["V", "UNSET", "SECRET"],
          "V,UNSET",
        );
        assert.deepEqual(got, [
          [0x61],
          null,
          'missing permission: the plugin may not read the environment variable "SECRET"',
        ]);
      },
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("tryWriteStderr() and the constants", async (t) => {
  for (const stderr of ["ok", "full", "closed"] as const) {
    await t.step(`tryWriteStderr() resolves with a stderr that is ${stderr}`, async () => {
      const host = fakeHost({ stderr });
      await tryWriteStderr(host, "line\n");
      assert.equal(host.stderr, stderr === "ok" ? "line\n" : "");
    });
  }
  await t.step("tryWriteStderr() resolves when writeStderr throws synchronously", async () => {
    const host: Host = {
      ...fakeHost(),
      writeStderr: () => {
        throw new Error("gone");
      },
    };
    await tryWriteStderr(host, "x");
  });
  await t.step("the default time limit is one minute, set by DENO_CNI_TIMEOUT_MS", () => {
    assert.deepEqual([DEFAULT_TIMEOUT_MS, TIMEOUT_VARIABLE], [60_000, "DENO_CNI_TIMEOUT_MS"]);
  });
});
