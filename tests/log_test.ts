import assert from "node:assert/strict";
import { ConfigError } from "../lib/config_error.ts";
import {
  appendFileDeno,
  createLogger,
  type LoggerOptions,
  type LogSettings,
  readLogSettings,
} from "../lib/log.ts";

/** A logger writing into arrays, with a fixed clock. */
function capture(options: Partial<LoggerOptions> = {}) {
  const stderr: string[] = [];
  const appended: { path: string; text: string }[] = [];
  const log = createLogger({
    plugin: "p",
    writeStderr: (text) => void stderr.push(text),
    appendFile: (path, text) => void appended.push({ path, text }),
    now: () => new Date(Date.UTC(2026, 0, 2, 3, 4, 5)),
    ...options,
  });
  const records = () => appended.map((a) => JSON.parse(a.text));
  return { log, stderr, appended, records };
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

Deno.test("createLogger() filters by level", async (t) => {
  const rows = [
    { level: undefined, stderr: ["warn", "error"], file: ["info", "warn", "error"] },
    { level: "debug", stderr: ["debug", "info", "warn", "error"] },
    { level: "info", stderr: ["info", "warn", "error"] },
    { level: "error", stderr: ["error"] },
  ] as const;
  for (const row of rows) {
    await t.step(
      `createLogger() at level ${row.level ?? "(default)"} keeps the right lines`,
      () => {
        const { log, stderr, records } = capture({
          file: "/l.log",
          ...(row.level && { level: row.level }),
        });
        log.debug("d");
        log.info("i");
        log.warn("w");
        log.error("e");
        assert.deepEqual(stderr.map((line) => line.split(": ")[1]), row.stderr);
        assert.deepEqual(records().map((r) => r.level), "file" in row ? row.file : row.stderr);
      },
    );
  }
});

Deno.test("createLogger() writes lines and records", async (t) => {
  await t.step("createLogger() writes a stderr line with the verb and the fields", () => {
    const { log, stderr } = capture({ context: { verb: "ADD" } });
    log.warn("no gateway", { dst: "10.9.0.0/16" });
    log.error("plain");
    assert.deepEqual(stderr, [
      'p ADD: warn: no gateway {"dst":"10.9.0.0/16"}\n',
      "p ADD: error: plain\n",
    ]);
  });
  await t.step("createLogger() appends one JSON record per line to the file", () => {
    const context = { verb: "DEL", containerId: "c1", ifName: "eth0", network: "net" };
    const { log, appended } = capture({ file: "/var/log/cni/p.log", context });
    log.info("released", { address: "10.1.0.5" });
    assert.equal(appended.length, 1);
    assert.equal(appended[0]!.path, "/var/log/cni/p.log");
    assert.ok(appended[0]!.text.endsWith("}\n"));
    assert.equal(appended[0]!.text.split("\n").length, 2, "exactly one line");
    assert.deepEqual(JSON.parse(appended[0]!.text), {
      time: "2026-01-02T03:04:05.000Z",
      level: "info",
      plugin: "p",
      ...context,
      msg: "released",
      address: "10.1.0.5",
    });
  });
  await t.step("createLogger() writes no file without one configured", () => {
    const { log, appended } = capture();
    log.error("e");
    assert.deepEqual(appended, []);
  });
  await t.step("Logger.with() adds fields to every record", () => {
    const { log, records } = capture({ file: "/l.log", context: { verb: "ADD" } });
    log.with({ step: "ipam" }).info("m");
    log.info("n");
    assert.deepEqual(records().map((r) => [r.verb, r.step, r.msg]), [
      ["ADD", "ipam", "m"],
      ["ADD", undefined, "n"],
    ]);
  });
  await t.step("createLogger() survives fields that JSON cannot hold", () => {
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    const { log, stderr, records } = capture({ file: "/l.log" });
    log.warn("odd", { cyclic, big: 10n });
    assert.equal(stderr.length, 1);
    assert.equal(records()[0].msg, "odd");
    assert.equal(records()[0].big, "10n");
  });
});

Deno.test("createLogger() never fails because of its outputs", async (t) => {
  await t.step("createLogger() warns once on stderr when the file cannot be written", () => {
    let tries = 0;
    const { log, stderr } = capture({
      file: "/var/log/cni/p.log",
      appendFile: () => {
        tries++;
        throw new Deno.errors.PermissionDenied("permission denied");
      },
    });
    log.info("one");
    log.info("two");
    assert.equal(tries, 1, "the file is not tried again");
    assert.deepEqual(stderr, [
      "p: warn: cannot write the log file /var/log/cni/p.log: permission denied\n",
    ]);
  });
  await t.step("createLogger() ignores a stderr that throws", () => {
    const log = createLogger({
      plugin: "p",
      writeStderr: () => {
        throw new Error("closed");
      },
    });
    log.error("lost");
  });
  await t.step("createLogger() ignores a stderr that rejects", async () => {
    const log = createLogger({ plugin: "p", writeStderr: () => Promise.reject(new Error("no")) });
    log.error("lost");
    await new Promise((resolve) => setTimeout(resolve, 0));
  });
});

Deno.test("appendFileDeno() appends lines", async (t) => {
  const dir = await Deno.makeTempDir({ prefix: "dcni-log-test-" });
  try {
    await t.step("appendFileDeno() makes the missing directory and appends", () => {
      const path = `${dir}/nested/cni/p.log`;
      appendFileDeno(path, "a\n");
      appendFileDeno(path, "b\n");
      assert.equal(Deno.readTextFileSync(path), "a\nb\n");
    });
    await t.step("appendFileDeno() throws when a file stands where a directory should", () => {
      Deno.writeTextFileSync(`${dir}/file`, "");
      assert.throws(() => appendFileDeno(`${dir}/file/p.log`, "a\n"));
    });
    await t.step("createLogger() on an unwritable path warns and carries on", () => {
      const stderr: string[] = [];
      const log = createLogger({
        plugin: "p",
        file: `${dir}/file/p.log`,
        writeStderr: (text) => void stderr.push(text),
      });
      log.info("x");
      log.error("y");
      assert.equal(stderr.length, 2);
      assert.match(stderr[0]!, /^p: warn: cannot write the log file .*\/file\/p\.log: /);
      assert.equal(stderr[1], "p: error: y\n");
    });
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
