import assert from "node:assert/strict";
import { ConfigError } from "../lib/config_error.ts";
import {
  createLogger,
  isLogLevel,
  LOG_LEVELS,
  type LoggerOptions,
  type LogSettings,
  readLogSettings,
} from "../lib/log.ts";
import { fakeHost, type FakeHostOptions } from "../lib/testing.ts";

/** A logger on a fake host, with a fixed clock. */
function capture(options: Partial<LoggerOptions> = {}, hostOptions: FakeHostOptions = {}) {
  const host = fakeHost(hostOptions);
  const log = createLogger({
    plugin: "p",
    host,
    now: () => new Date(Date.UTC(2026, 0, 2, 3, 4, 5)),
    ...options,
  });
  const lines = () => host.stderr.split("\n").slice(0, -1);
  const records = (path = "/l.log") =>
    (host.files.get(path) ?? "").split("\n").slice(0, -1).map((line) => JSON.parse(line));
  return { log, host, lines, records };
}

Deno.test("readLogSettings() reads the log section and the environment", async (t) => {
  const rows: {
    name: string;
    config: Record<string, unknown>;
    env?: Record<string, string>;
    settings: LogSettings;
    problems?: string[];
  }[] = [
    { name: "nothing configured", config: {}, settings: {} },
    { name: "a null log section", config: { log: null }, settings: {} },
    {
      name: "level and file from the configuration",
      config: { log: { level: "debug", file: "/var/log/cni/p.log" } },
      settings: { level: "debug", file: "/var/log/cni/p.log" },
    },
    {
      name: "a level in upper case",
      config: { log: { level: "WARN" } },
      settings: { level: "warn" },
    },
    {
      name: "keys matched case-insensitively like Go",
      config: { Log: { Level: "error", FILE: "/x.log" } },
      settings: { level: "error", file: "/x.log" },
    },
    {
      name: "the environment over the configuration",
      config: { log: { level: "warn", file: "/a.log" } },
      env: { DENO_CNI_LOG_LEVEL: "Debug", DENO_CNI_LOG_FILE: "/b.log" },
      settings: { level: "debug", file: "/b.log" },
    },
    {
      name: "empty variables as unset",
      config: { log: { level: "warn" } },
      env: { DENO_CNI_LOG_LEVEL: "", DENO_CNI_LOG_FILE: "" },
      settings: { level: "warn" },
    },
    {
      name: "a bad variable ignored with a problem",
      config: { log: { level: "info", file: "/a.log" } },
      env: { DENO_CNI_LOG_LEVEL: "loud", DENO_CNI_LOG_FILE: "rel.log" },
      settings: { level: "info", file: "/a.log" },
      problems: [
        'DENO_CNI_LOG_LEVEL="loud" is not a log level',
        'DENO_CNI_LOG_FILE="rel.log" is not an absolute path',
      ],
    },
  ];
  for (const row of rows) {
    await t.step(`readLogSettings() reads ${row.name}`, () => {
      const read = readLogSettings(row.config, (name) => row.env?.[name]);
      assert.deepEqual(read, { settings: row.settings, problems: row.problems ?? [] });
    });
  }
});

Deno.test("readLogSettings() refuses a bad log section with code 7", async (t) => {
  const rows = [
    { name: "a string section", log: "debug", field: "log" },
    { name: "an unknown level", log: { level: "trace" }, field: "log.level" },
    { name: "a numeric level", log: { level: 1 }, field: "log.level" },
    { name: "a relative file", log: { file: "x.log" }, field: "log.file" },
    { name: "a numeric file", log: { file: 3 }, field: "log.file" },
  ];
  for (const row of rows) {
    await t.step(`readLogSettings() refuses ${row.name}`, () => {
      assert.throws(
        () => readLogSettings({ log: row.log }, () => undefined),
        (error: unknown) =>
          error instanceof ConfigError && error.code === 7 && error.field === row.field,
      );
    });
  }
});

Deno.test("isLogLevel()", async (t) => {
  const rows: [string, boolean][] = [
    ["debug", true],
    ["INFO", true],
    ["Warn", true],
    ["error", true],
    ["trace", false],
    ["", false],
    ["toString", false],
  ];
  for (const [value, expected] of rows) {
    await t.step(`isLogLevel() says ${expected} for ${JSON.stringify(value)}`, () => {
      assert.equal(isLogLevel(value), expected);
    });
  }
  await t.step("LOG_LEVELS lists the levels least severe first", () => {
    assert.deepEqual([...LOG_LEVELS], ["debug", "info", "warn", "error"]);
  });
});

Deno.test("createLogger() filters by level", async (t) => {
  const rows = [
    { level: undefined, stderr: ["warn", "error"], file: ["info", "warn", "error"] },
    { level: "debug", stderr: ["debug", "info", "warn", "error"] },
    { level: "info", stderr: ["info", "warn", "error"] },
    { level: "warn", stderr: ["warn", "error"] },
    { level: "error", stderr: ["error"] },
  ] as const;
  for (const row of rows) {
    await t.step(
      `createLogger() at level ${row.level ?? "(default)"} keeps the right lines`,
      async () => {
        const { log, lines, records } = capture({
          file: "/l.log",
          ...(row.level && { level: row.level }),
        });
        log.debug("d");
        log.info("i");
        log.warn("w");
        log.error("e");
        await log.flush();
        assert.deepEqual(lines().map((line) => line.split(": ")[1]), row.stderr);
        assert.deepEqual(records().map((r) => r.level), "file" in row ? row.file : row.stderr);
      },
    );
  }
});

Deno.test("createLogger() writes lines and records", async (t) => {
  await t.step("createLogger() writes a stderr line with the verb and the fields", async () => {
    const { log, host } = capture({ context: { verb: "ADD" } });
    log.warn("no gateway", { dst: "10.9.0.0/16" });
    log.error("plain");
    await log.flush();
    assert.equal(
      host.stderr,
      'p ADD: warn: no gateway {"dst":"10.9.0.0/16"}\np ADD: error: plain\n',
    );
  });
  await t.step("createLogger() leaves the verb out of the prefix when there is none", async () => {
    const { log, host } = capture({ context: { verb: "" } });
    log.error("x");
    await log.flush();
    assert.equal(host.stderr, "p: error: x\n");
  });
  await t.step("createLogger() appends one JSON record per line to the file", async () => {
    const context = { verb: "DEL", containerId: "c1", ifName: "eth0", network: "net" };
    const { log, host } = capture({ file: "/var/log/cni/p.log", context });
    log.info("released", { address: "10.1.0.5" });
    await log.flush();
    assert.deepEqual([...host.files.keys()], ["/var/log/cni/p.log"]);
    const text = host.files.get("/var/log/cni/p.log")!;
    assert.ok(text.endsWith("}\n"));
    assert.equal(text.split("\n").length, 2, "exactly one line");
    assert.deepEqual(JSON.parse(text), {
      time: "2026-01-02T03:04:05.000Z",
      level: "info",
      plugin: "p",
      ...context,
      msg: "released",
      address: "10.1.0.5",
    });
  });
  await t.step("createLogger() appends records in the order they were made", async () => {
    const { log, records } = capture({ file: "/l.log", level: "debug" });
    for (let i = 0; i < 20; i++) log.debug(`m${i}`);
    await log.flush();
    assert.deepEqual(records().map((r) => r.msg), Array.from({ length: 20 }, (_, i) => `m${i}`));
  });
  await t.step("createLogger() writes no file without one configured", async () => {
    const { log, host } = capture();
    log.error("e");
    await log.flush();
    assert.equal(host.files.size, 0);
  });
  await t.step("Logger.with() adds fields to every record", async () => {
    const { log, records } = capture({ file: "/l.log", context: { verb: "ADD" } });
    log.with({ step: "ipam" }).info("m");
    log.info("n");
    await log.flush();
    assert.deepEqual(records().map((r) => [r.verb, r.step, r.msg]), [
      ["ADD", "ipam", "m"],
      ["ADD", undefined, "n"],
    ]);
  });
  await t.step("createLogger() survives fields that JSON cannot hold", async () => {
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    const { log, lines, records } = capture({ file: "/l.log" });
    log.warn("odd", { cyclic, big: 10n });
    await log.flush();
    assert.equal(lines().length, 1);
    assert.equal(records()[0].msg, "odd");
    assert.equal(records()[0].big, "10n");
  });
  await t.step("createLogger() survives a clock that throws", async () => {
    const { log, records } = capture({
      file: "/l.log",
      now: () => {
        throw new Error("no clock");
      },
    });
    log.info("m");
    await log.flush();
    assert.equal(records()[0].time, "");
  });
});

Deno.test("createLogger() never fails because of its outputs", async (t) => {
  await t.step("createLogger() warns once on stderr when the file cannot be written", async () => {
    const { log, host } = capture({ file: "/var/log/cni/p.log" });
    let tries = 0;
    host.appendFile = () => {
      tries++;
      return Promise.reject(new Error("a path through a symlink is refused: /var/log/cni"));
    };
    log.info("one");
    log.error("two");
    log.info("three");
    await log.flush();
    assert.equal(tries, 1, "the file is not tried again");
    assert.equal(
      host.stderr,
      "p: warn: cannot write the log file /var/log/cni/p.log: " +
        "a path through a symlink is refused: /var/log/cni\np: error: two\n",
    );
  });
  await t.step("createLogger() warns once for a file that throws synchronously", async () => {
    const { log, host } = capture({ file: "/x.log", context: { verb: "DEL" } });
    host.appendFile = () => {
      throw new Error("cannot");
    };
    log.info("one");
    log.info("two");
    await log.flush();
    assert.equal(host.stderr, "p DEL: warn: cannot write the log file /x.log: cannot\n");
  });
  for (const stderr of ["full", "closed"] as const) {
    await t.step(`createLogger() ignores a ${stderr} stderr`, async () => {
      const { log, records } = capture({ file: "/l.log" }, { stderr });
      log.error("lost on stderr");
      log.info("kept in the file");
      await log.flush();
      assert.deepEqual(records().map((r) => r.msg), ["lost on stderr", "kept in the file"]);
    });
    await t.step(`createLogger() ignores a ${stderr} stderr after a failing file`, async () => {
      const { log, host } = capture({ file: "/l.log" }, { stderr });
      let tries = 0;
      host.appendFile = () => {
        tries++;
        return Promise.reject(new Error("read-only file system"));
      };
      log.error("x");
      log.error("y");
      await log.flush();
      assert.equal(tries, 1);
    });
  }
  await t.step("Logger.flush() waits for records made after an earlier flush", async () => {
    const { log, host } = capture({ file: "/l.log" });
    const appendFile = host.appendFile;
    host.appendFile = async (path, text) => {
      await new Promise((resolve) => setTimeout(resolve, 5));
      return appendFile(path, text);
    };
    log.info("a");
    await log.flush();
    log.info("b");
    assert.equal(host.files.get("/l.log")?.split("\n").length, 2, "only a so far");
    await log.flush();
    assert.equal(host.files.get("/l.log")?.split("\n").length, 3);
  });
});
