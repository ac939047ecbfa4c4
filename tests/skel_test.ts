/**
 * The dispatcher in-process, on a fake host: environment from a map (values may be bytes that
 * are not UTF-8), stdin bytes (or a read failure), stdout and stderr recorded. The rows follow
 * the order in which the Go reference's skel checks an invocation (spec "Section 2: Execution
 * Protocol") with a test plugin whose handlers record their calls. Expected outcomes are in
 * tests/testdata/skel/dispatch.json, keyed by row name.
 */
import assert from "node:assert/strict";
import { CniError } from "../lib/errors.ts";
import { checkVersions, dispatch, type Invocation, type PluginHandlers } from "../lib/skel.ts";
import { fakeHost, type FakeStream } from "../lib/testing.ts";
import type { AnyResult } from "../lib/types.ts";
import { ALL_VERSIONS } from "../lib/version.ts";

interface Outcome {
  code: number;
  stdout: string;
  stderr: string;
  stdoutWrites: number;
  stdinReads: number;
  calls: Invocation[];
}

/** How a run's streams behave. */
interface Streams {
  stdout?: FakeStream;
  stderr?: FakeStream;
}

/**
 * Runs the dispatcher on a fake host. `stdin` as an Error makes the read fail with it; an
 * environment value of undefined leaves the variable unset.
 */
async function run(
  plugin: PluginHandlers,
  env: Record<string, string | Uint8Array | undefined>,
  stdin: string | Uint8Array | Error,
  streams: Streams = {},
): Promise<Outcome> {
  const set: Record<string, string | Uint8Array> = {};
  for (const [name, value] of Object.entries(env)) if (value !== undefined) set[name] = value;
  const host = fakeHost({ env: set, ...(stdin instanceof Error ? {} : { stdin }), ...streams });
  const outcome: Outcome = {
    code: -1,
    stdout: "",
    stderr: "",
    stdoutWrites: 0,
    stdinReads: 0,
    calls: [],
  };
  const readStdin = host.readStdin;
  host.readStdin = () => {
    outcome.stdinReads++;
    return stdin instanceof Error ? Promise.reject(stdin) : readStdin();
  };
  const writeStdout = host.writeStdout;
  host.writeStdout = (text) => {
    outcome.stdoutWrites++;
    return writeStdout(text);
  };
  outcome.code = await dispatch(withRecorder(plugin, outcome.calls), host);
  outcome.stdout = host.stdout;
  outcome.stderr = host.stderr;
  return outcome;
}

/** The plugin with every handler wrapped to record its invocation. */
function withRecorder(plugin: PluginHandlers, calls: Invocation[]): PluginHandlers {
  const wrapped: PluginHandlers = { versions: plugin.versions, about: plugin.about };
  for (const verb of ["add", "check", "del", "gc", "status"] as const) {
    const handler = plugin[verb] as ((i: Invocation) => unknown) | undefined;
    if (handler === undefined) continue;
    (wrapped as unknown as Record<string, unknown>)[verb] = (invocation: Invocation) => {
      calls.push(invocation);
      return handler(invocation);
    };
  }
  return wrapped;
}

/** What the test plugin's ADD returns: a 1.1.0 result, which the dispatcher converts. */
const ADD_RESULT: AnyResult = {
  cniVersion: "1.1.0",
  interfaces: [{ name: "eth0", sandbox: "/var/run/netns/x", mtu: 1500 }],
  ips: [{ address: "10.0.0.2/24", gateway: "10.0.0.1", interface: 0 }],
};

const ABOUT = "CNI test plugin (deno-cni tests)";

const PLUGINS: Record<string, PluginHandlers> = {
  /** Every handler; ADD returns ADD_RESULT. */
  full: {
    about: ABOUT,
    versions: ALL_VERSIONS,
    add: () => structuredClone(ADD_RESULT),
    check: () => {},
    del: () => {},
    gc: () => {},
    status: () => {},
  },
  /** No handler at all. */
  bare: { about: ABOUT, versions: ALL_VERSIONS },
  /** No about text. */
  quiet: { about: "", versions: ALL_VERSIONS, add: () => structuredClone(ADD_RESULT) },
  /** Every handler throws a plain Error. */
  failing: {
    about: ABOUT,
    versions: ALL_VERSIONS,
    add: () => {
      throw new Error("handler failed");
    },
    check: () => Promise.reject(new Error("handler failed")),
    del: () => {
      throw new Error("handler failed");
    },
    gc: () => {
      throw new Error("handler failed");
    },
    status: () => {
      throw new Error("handler failed");
    },
  },
  /** ADD throws a CniError wrapped as the cause of another error. */
  typed: {
    about: ABOUT,
    versions: ALL_VERSIONS,
    add: () => {
      throw new Error("outer text", { cause: new CniError(11, "try again", "busy") });
    },
    del: () => Promise.reject(new CniError(3, "container gone")),
  },
  /** ADD returns a result without IPs, which no 0.1.0 or 0.2.0 result can hold. */
  empty: { about: ABOUT, versions: ALL_VERSIONS, add: () => ({ cniVersion: "1.1.0" }) },
  /** ADD returns a result of a version nothing converts from. */
  alien: { about: ABOUT, versions: ALL_VERSIONS, add: () => ({ cniVersion: "0.5.0" }) },
  /** Speaks only the legacy versions. */
  legacy: { about: ABOUT, versions: ["0.1.0", "0.2.0"], check: () => {} },
  /** Declares its versions newest first: CHECK's walk takes the first at least as new. */
  unordered: { about: ABOUT, versions: ["1.0.0", "0.4.0"], check: () => {}, gc: () => {} },
  /** Declares a version that does not parse. */
  broken: { about: ABOUT, versions: ["x", "1.1.0"], check: () => {} },
};

/** A complete environment for ADD. */
const BASE: Record<string, string> = {
  CNI_COMMAND: "ADD",
  CNI_CONTAINERID: "c1",
  CNI_NETNS: "/var/run/netns/x",
  CNI_IFNAME: "eth0",
  CNI_PATH: "/opt/cni/bin",
};

function base(changes: Record<string, string | Uint8Array | undefined> = {}) {
  return { ...BASE, ...changes };
}

const conf = (extra: Record<string, unknown> = {}) =>
  JSON.stringify({ name: "n", type: "test", ...extra });
const v = (cniVersion: string) => conf({ cniVersion });

interface Row {
  name: string;
  plugin?: keyof typeof PLUGINS;
  env: Record<string, string | Uint8Array | undefined>;
  stdin: string | Uint8Array | Error;
}

const BANANA = new Error("banana");

const ROWS: Row[] = [
  // CNI_COMMAND missing.
  { name: "prints the about text when CNI_COMMAND is unset", env: {}, stdin: v("1.0.0") },
  { name: "prints the about text when CNI_COMMAND is empty", env: { CNI_COMMAND: "" }, stdin: "" },
  {
    name: "prints the about text without reading a failing stdin",
    env: { CNI_PATH: "/x" },
    stdin: BANANA,
  },
  {
    name: "reports CNI_COMMAND missing without an about text",
    plugin: "quiet",
    env: {},
    stdin: "",
  },
  // VERSION.
  { name: "answers VERSION ignoring stdin", env: { CNI_COMMAND: "VERSION" }, stdin: "garbage" },
  {
    name: "answers VERSION without reading stdin",
    env: { CNI_COMMAND: "VERSION" },
    stdin: BANANA,
  },
  {
    name: "answers VERSION validating no variable",
    env: { CNI_COMMAND: "VERSION", CNI_CONTAINERID: "!!", CNI_IFNAME: "a/b" },
    stdin: "",
  },
  {
    name: "answers VERSION with the plugin's versions in its order",
    plugin: "unordered",
    env: { CNI_COMMAND: "VERSION" },
    stdin: "",
  },
  // Missing variables, reported before stdin is read.
  { name: "reports ADD's missing variables", env: { CNI_COMMAND: "ADD" }, stdin: BANANA },
  { name: "reports CHECK's missing variables", env: { CNI_COMMAND: "CHECK" }, stdin: BANANA },
  { name: "reports DEL's missing variables", env: { CNI_COMMAND: "DEL" }, stdin: BANANA },
  { name: "reports GC's missing variables", env: { CNI_COMMAND: "GC" }, stdin: BANANA },
  { name: "reports STATUS's missing variables", env: { CNI_COMMAND: "STATUS" }, stdin: BANANA },
  {
    name: "counts empty variables as missing",
    env: base({ CNI_NETNS: "", CNI_PATH: "" }),
    stdin: v("1.0.0"),
  },
  // Validation, which beats missing variables.
  {
    name: "rejects a bad container ID before a missing CNI_IFNAME",
    env: base({ CNI_CONTAINERID: "-bad", CNI_IFNAME: undefined }),
    stdin: v("1.0.0"),
  },
  {
    name: "rejects a 16-character interface name",
    env: base({ CNI_IFNAME: "abcdefghijklmnop" }),
    stdin: v("1.0.0"),
  },
  {
    name: "rejects an 18-byte interface name",
    env: base({ CNI_IFNAME: "ééééééééé" }),
    stdin: v("1.0.0"),
  },
  { name: "rejects the interface name .", env: base({ CNI_IFNAME: "." }), stdin: v("1.0.0") },
  {
    name: "rejects an interface name with a space",
    env: base({ CNI_COMMAND: "DEL", CNI_IFNAME: "a b" }),
    stdin: v("1.0.0"),
  },
  {
    name: "validates before reading stdin",
    env: base({ CNI_COMMAND: "CHECK", CNI_IFNAME: "a/b" }),
    stdin: BANANA,
  },
  // stdin, then the configuration check, then the versions.
  { name: "reports a stdin read failure as code 5", env: base(), stdin: BANANA },
  { name: "rejects empty stdin", env: base(), stdin: "" },
  { name: "rejects a byte order mark like Go", env: base(), stdin: "\ufeff" + v("1.0.0") },
  { name: "rejects null stdin", env: base(), stdin: "null" },
  { name: "rejects {} stdin", env: base(), stdin: "{}" },
  {
    name: "rejects a bad network name",
    env: base(),
    stdin: JSON.stringify({ cniVersion: "1.0.0", name: "a/b" }),
  },
  {
    name: "checks the name before the version",
    env: base(),
    stdin: JSON.stringify({ cniVersion: "x", name: "-" }),
  },
  {
    name: "rejects a numeric cniVersion",
    env: base(),
    stdin: JSON.stringify({ cniVersion: 1, name: "n" }),
  },
  // Unknown verbs, after the configuration check.
  {
    name: "rejects an unknown verb after a good config",
    env: { CNI_COMMAND: "FOO" },
    stdin: v("1.1.0"),
  },
  {
    name: "checks the config before an unknown verb",
    env: { CNI_COMMAND: "FOO" },
    stdin: "notjson",
  },
  {
    name: "checks the network name before an unknown verb",
    env: { CNI_COMMAND: "FOO" },
    stdin: "{}",
  },
  { name: "reads stdin before an unknown verb", env: { CNI_COMMAND: "FOO" }, stdin: BANANA },
  { name: "matches verbs case-sensitively", env: base({ CNI_COMMAND: "add" }), stdin: v("1.0.0") },
  {
    name: "ignores a bad version for an unknown verb",
    env: { CNI_COMMAND: "FOO" },
    stdin: JSON.stringify({ name: "n", cniVersion: 1 }),
  },
  // ADD and DEL need an exact version.
  { name: "rejects ADD with an unknown version", env: base(), stdin: v("9.9.9") },
  { name: "rejects ADD with a two-part version", env: base(), stdin: v("1.0") },
  {
    name: "rejects DEL with a word as version",
    env: base({ CNI_COMMAND: "DEL" }),
    stdin: v("abc"),
  },
  {
    name: "rejects ADD with a version the plugin does not list",
    plugin: "legacy",
    env: base(),
    stdin: v("0.3.0"),
  },
  // CHECK, GC and STATUS.
  { name: "refuses CHECK below 0.4.0", env: base({ CNI_COMMAND: "CHECK" }), stdin: v("0.3.1") },
  {
    name: "refuses CHECK without cniVersion",
    env: base({ CNI_COMMAND: "CHECK" }),
    stdin: conf(),
  },
  {
    name: "rejects CHECK with a version that does not parse",
    env: base({ CNI_COMMAND: "CHECK" }),
    stdin: v("abc"),
  },
  {
    name: "rejects CHECK with a version of four parts",
    env: base({ CNI_COMMAND: "CHECK" }),
    stdin: v("1.2.3.4"),
  },
  {
    name: "refuses CHECK newer than every plugin version",
    env: base({ CNI_COMMAND: "CHECK" }),
    stdin: v("2.0.0"),
  },
  {
    name: "applies the exact match to CHECK after the walk",
    env: base({ CNI_COMMAND: "CHECK" }),
    stdin: v("1.0.5"),
  },
  {
    name: "refuses CHECK when the plugin has no version that new",
    plugin: "legacy",
    env: base({ CNI_COMMAND: "CHECK" }),
    stdin: v("0.4.0"),
  },
  {
    name: "walks the plugin's versions in declared order for CHECK",
    plugin: "unordered",
    env: base({ CNI_COMMAND: "CHECK" }),
    stdin: v("0.4.0"),
  },
  {
    name: "reports a plugin version that does not parse during the walk",
    plugin: "broken",
    env: base({ CNI_COMMAND: "CHECK" }),
    stdin: v("0.4.0"),
  },
  {
    name: "refuses GC below 1.1.0",
    env: { CNI_COMMAND: "GC", CNI_PATH: "/x" },
    stdin: v("1.0.0"),
  },
  {
    name: "refuses STATUS below 1.1.0",
    env: { CNI_COMMAND: "STATUS", CNI_PATH: "/x" },
    stdin: v("1.0.0"),
  },
  {
    name: "refuses GC newer than every plugin version",
    env: { CNI_COMMAND: "GC", CNI_PATH: "/x" },
    stdin: v("9.0.0"),
  },
  {
    name: "refuses GC when the plugin stops below 1.1.0",
    plugin: "unordered",
    env: { CNI_COMMAND: "GC", CNI_PATH: "/x" },
    stdin: v("1.1.0"),
  },
  // Successful verbs.
  { name: "runs CHECK", env: base({ CNI_COMMAND: "CHECK" }), stdin: v("0.4.0") },
  {
    name: "runs DEL without CNI_NETNS",
    env: base({ CNI_COMMAND: "DEL", CNI_NETNS: undefined }),
    stdin: v("1.0.0"),
  },
  {
    name: "runs GC validating no variable",
    env: { CNI_COMMAND: "GC", CNI_PATH: "/x", CNI_CONTAINERID: "!!", CNI_IFNAME: "a/b" },
    stdin: v("1.1.0"),
  },
  {
    name: "runs STATUS",
    env: { CNI_COMMAND: "STATUS", CNI_PATH: "/x" },
    stdin: v("1.1.0"),
  },
  {
    name: "leaves CNI_ARGS to the plugin",
    env: base({ CNI_ARGS: "a=b=c;;" }),
    stdin: v("1.0.0"),
  },
  // No handler.
  {
    name: "succeeds silently for ADD without a handler",
    plugin: "bare",
    env: base(),
    stdin: v("1.0.0"),
  },
  {
    name: "succeeds silently for GC without a handler",
    plugin: "bare",
    env: { CNI_COMMAND: "GC", CNI_PATH: "/x" },
    stdin: v("1.1.0"),
  },
  {
    name: "still checks versions without a handler",
    plugin: "bare",
    env: base({ CNI_COMMAND: "CHECK" }),
    stdin: v("0.3.0"),
  },
  // Handler errors.
  {
    name: "prints a plain ADD error as code 999",
    plugin: "failing",
    env: base(),
    stdin: v("1.0.0"),
  },
  {
    name: "prints a rejected CHECK as code 999",
    plugin: "failing",
    env: base({ CNI_COMMAND: "CHECK" }),
    stdin: v("1.1.0"),
  },
  {
    name: "prints a plain DEL error as code 999",
    plugin: "failing",
    env: base({ CNI_COMMAND: "DEL" }),
    stdin: v("0.1.0"),
  },
  {
    name: "prints a plain GC error as code 999",
    plugin: "failing",
    env: { CNI_COMMAND: "GC", CNI_PATH: "/x" },
    stdin: v("1.1.0"),
  },
  {
    name: "prints a plain STATUS error as code 999",
    plugin: "failing",
    env: { CNI_COMMAND: "STATUS", CNI_PATH: "/x" },
    stdin: v("1.1.0"),
  },
  { name: "unwraps a typed error from a cause", plugin: "typed", env: base(), stdin: v("1.0.0") },
  {
    name: "prints a typed DEL error unchanged",
    plugin: "typed",
    env: base({ CNI_COMMAND: "DEL" }),
    stdin: v("1.0.0"),
  },
  // ADD's result in the configuration's version.
  { name: "prints ADD's result as 0.1.0 without cniVersion", env: base(), stdin: conf() },
  {
    name: "fails ADD when the result cannot be converted",
    plugin: "empty",
    env: base(),
    stdin: v("0.2.0"),
  },
  {
    name: "prints an empty 1.0.0 result",
    plugin: "empty",
    env: base(),
    stdin: v("1.0.0"),
  },
  {
    name: "fails ADD when nothing converts the result",
    plugin: "alien",
    env: base(),
    stdin: v("1.0.0"),
  },
];

const expected: Record<string, {
  code: number;
  stdout: unknown;
  stderr?: string;
  called?: string | null;
  text?: "indent" | "line";
}> = JSON.parse(
  await Deno.readTextFile(new URL("./testdata/skel/dispatch.json", import.meta.url)),
);

Deno.test("dispatch() follows the protocol step by step", async (t) => {
  for (const row of ROWS) {
    await t.step(`dispatch() ${row.name}`, async () => {
      const want = expected[row.name];
      assert.ok(want, `no expectation for "${row.name}"`);
      const got = await run(PLUGINS[row.plugin ?? "full"]!, row.env, row.stdin);
      assert.equal(got.code, want.code, `exit status; stdout: ${got.stdout}`);
      assert.equal(got.stderr, want.stderr ?? "");
      assert.equal(got.calls.length, want.called ? 1 : 0, "handler calls");
      if (row.env.CNI_COMMAND === "VERSION") {
        assert.equal(got.stdinReads, 0, "VERSION reads no stdin");
      }
      if (want.called) assert.equal(got.calls[0]!.command, want.called);
      if (want.stdout === null) {
        assert.equal(got.stdout, "");
        assert.equal(got.stdoutWrites, 0);
        return;
      }
      // Exactly one JSON document, in the reference's exact form.
      assert.equal(got.stdoutWrites, 1);
      assert.deepEqual(JSON.parse(got.stdout), want.stdout);
      const text = want.text === "line"
        ? JSON.stringify(want.stdout) + "\n"
        : JSON.stringify(want.stdout, null, 4);
      assert.equal(got.stdout, text);
      if (want.code === 1) assert.ok("code" in (want.stdout as object), "an error object");
    });
  }
});

Deno.test("dispatch() prints ADD's result in every config version", async (t) => {
  const results = JSON.parse(
    await Deno.readTextFile(new URL("./testdata/skel/add_results.json", import.meta.url)),
  ) as Record<string, unknown>;
  for (const version of ALL_VERSIONS) {
    await t.step(`dispatch() prints ADD's 1.1.0 result as ${version}`, async () => {
      const got = await run(PLUGINS.full!, base(), v(version));
      assert.equal(got.code, 0, got.stdout);
      assert.deepEqual(JSON.parse(got.stdout), results[version]);
      assert.ok(!got.stdout.endsWith("\n"), "no trailing newline");
    });
  }
});

Deno.test("dispatch() hands the handler the invocation", async (t) => {
  await t.step("dispatch() passes the variables, stdin and config version to ADD", async () => {
    const stdin = conf({ cniVersion: "0.4.0", extra: { a: 1 } });
    const got = await run(
      PLUGINS.full!,
      base({ CNI_ARGS: "IgnoreUnknown=1;A=b", CNI_NETNS_OVERRIDE: "1" }),
      stdin,
    );
    assert.equal(got.code, 0);
    const invocation = got.calls[0]!;
    assert.equal(invocation.command, "ADD");
    assert.equal(invocation.containerId, "c1");
    assert.equal(invocation.netns, "/var/run/netns/x");
    assert.equal(invocation.ifName, "eth0");
    assert.equal(invocation.args, "IgnoreUnknown=1;A=b");
    assert.equal(invocation.path, "/opt/cni/bin");
    assert.equal(invocation.stdin, stdin);
    assert.deepEqual(invocation.document, JSON.parse(stdin));
    assert.equal(invocation.configVersion, "0.4.0");
  });
  await t.step("dispatch() gives a config without cniVersion the version 0.1.0", async () => {
    const got = await run(PLUGINS.full!, base({ CNI_COMMAND: "DEL" }), conf());
    assert.equal(got.calls[0]!.configVersion, "0.1.0");
  });
  await t.step("dispatch() passes unvalidated variables to GC", async () => {
    const got = await run(
      PLUGINS.full!,
      { CNI_COMMAND: "GC", CNI_PATH: "/x", CNI_CONTAINERID: "!!", CNI_IFNAME: "a/b" },
      v("1.1.0"),
    );
    assert.equal(got.calls[0]!.containerId, "!!");
    assert.equal(got.calls[0]!.ifName, "a/b");
  });
  await t.step("dispatch() decodes invalid UTF-8 on stdin as U+FFFD", async () => {
    const bytes = new TextEncoder().encode('{"name":"n","cniVersion":"1.0.0","x":"a?"}');
    bytes[bytes.length - 3] = 0xff;
    const got = await run(PLUGINS.full!, base(), bytes);
    assert.equal(got.code, 0);
    assert.equal((got.calls[0]!.document as { x: string }).x, "a\ufffd");
  });
  await t.step("dispatch() reports a name with invalid UTF-8 with U+FFFD in details", async () => {
    const bytes = new TextEncoder().encode('{"name":"n?"}');
    bytes[bytes.length - 3] = 0xff;
    const got = await run(PLUGINS.full!, base(), bytes);
    assert.equal(got.code, 1);
    assert.deepEqual(JSON.parse(got.stdout), {
      code: 7,
      msg: "invalid characters found in network name",
      details: "n\ufffd",
    });
  });
  await t.step("dispatch() escapes <, > and & in error objects", async () => {
    const got = await run(PLUGINS.full!, base({ CNI_CONTAINERID: "<a&b>" }), v("1.0.0"));
    assert.equal(
      got.stdout,
      '{\n    "code": 4,\n    "msg": "invalid characters in containerID",\n' +
        '    "details": "\\u003ca\\u0026b\\u003e"\n}',
    );
  });
});

Deno.test("checkVersions()", async (t) => {
  const ok: [string, "ADD" | "DEL" | "CHECK" | "GC" | "STATUS", string, readonly string[]][] = [
    ["accepts ADD with a listed version", "ADD", "0.3.1", ALL_VERSIONS],
    ["accepts DEL with a listed version", "DEL", "0.1.0", ALL_VERSIONS],
    ["accepts CHECK at 0.4.0", "CHECK", "0.4.0", ALL_VERSIONS],
    ["accepts GC at 1.1.0", "GC", "1.1.0", ALL_VERSIONS],
    ["accepts STATUS at 1.1.0", "STATUS", "1.1.0", ALL_VERSIONS],
  ];
  for (const [name, verb, version, versions] of ok) {
    await t.step(`checkVersions() ${name}`, () => checkVersions(verb, version, versions));
  }
  for (const version of ALL_VERSIONS) {
    await t.step(`checkVersions() lets ADD, DEL and the gated verbs through at ${version}`, () => {
      checkVersions("ADD", version, ALL_VERSIONS);
      checkVersions("DEL", version, ALL_VERSIONS);
      for (
        const [verb, minimum] of [["CHECK", "0.4.0"], ["GC", "1.1.0"], ["STATUS", "1.1.0"]] as const
      ) {
        const allowed = ALL_VERSIONS.indexOf(version) >= ALL_VERSIONS.indexOf(minimum);
        if (allowed) checkVersions(verb, version, ALL_VERSIONS);
        else {
          assert.throws(
            () => checkVersions(verb, version, ALL_VERSIONS),
            new CniError(1, `config version does not allow ${verb}`),
          );
        }
      }
    });
  }
  await t.step("checkVersions() quotes the versions like Go's %q", () => {
    assert.throws(() => checkVersions("ADD", "a\x01b", ["0.1.0"]), (error) => {
      assert.ok(error instanceof CniError);
      assert.equal(error.details, 'config is "a\\x01b", plugin supports ["0.1.0"]');
      return true;
    });
  });
});

/** A plugin whose ADD registers undo actions that record into `log`, then does `then`. */
function undoing(log: string[], then: "return" | "throw" | "empty", failingUndo = false) {
  return {
    about: ABOUT,
    versions: ALL_VERSIONS,
    add(invocation: Invocation): AnyResult {
      invocation.onFailure(() => void log.push("undo first"));
      invocation.onFailure(async () => {
        await Promise.resolve();
        log.push("undo second");
        if (failingUndo) throw new Error("the veth is busy");
      });
      invocation.onFailure(() => void log.push("undo third"));
      if (then === "throw") throw new CniError(11, "the pool is locked");
      return then === "empty" ? { cniVersion: "1.1.0" } : structuredClone(ADD_RESULT);
    },
  } satisfies PluginHandlers;
}

const UNDONE = ["undo third", "undo second", "undo first"];

Deno.test("dispatch() undoes a failed verb's steps", async (t) => {
  await t.step("dispatch() runs no undo action when the verb succeeds", async () => {
    const log: string[] = [];
    const got = await run(undoing(log, "return"), base(), v("1.0.0"));
    assert.equal(got.code, 0);
    assert.deepEqual(log, []);
  });
  await t.step(
    "dispatch() runs the undo actions newest first when the handler throws",
    async () => {
      const log: string[] = [];
      const got = await run(undoing(log, "throw"), base(), v("1.0.0"));
      assert.equal(got.code, 1);
      assert.deepEqual(log, UNDONE);
      assert.deepEqual(JSON.parse(got.stdout), { code: 11, msg: "the pool is locked" });
      assert.equal(got.stderr, "");
    },
  );
  await t.step("dispatch() undoes when the result cannot be converted", async () => {
    const log: string[] = [];
    const got = await run(undoing(log, "empty"), base(), v("0.2.0"));
    assert.equal(got.code, 1);
    assert.deepEqual(log, UNDONE);
    assert.deepEqual(JSON.parse(got.stdout), {
      code: 999,
      msg: "cannot convert: no valid IP addresses",
    });
  });
  for (const stdout of ["full", "closed"] as const) {
    await t.step(`dispatch() undoes and exits 1 when stdout is ${stdout}`, async () => {
      const log: string[] = [];
      const got = await run(undoing(log, "return"), base(), v("1.0.0"), { stdout });
      assert.equal(got.code, 1);
      assert.deepEqual(log, UNDONE);
      assert.equal(got.stdout, "");
      const why = stdout === "full"
        ? "No space left on device (os error 28)"
        : "Broken pipe (os error 32)";
      assert.equal(got.stderr, `cannot write the answer to stdout: ${why}\n`);
    });
    await t.step(`dispatch() exits 1 when an error object meets a ${stdout} stdout`, async () => {
      const log: string[] = [];
      const got = await run(undoing(log, "throw"), base(), v("1.0.0"), { stdout });
      assert.equal(got.code, 1);
      assert.deepEqual(log, UNDONE);
      assert.equal(got.stdoutWrites, 1, "one attempt at the error object");
      assert.match(got.stderr, /^cannot write the answer to stdout: [^\n]+\n$/);
    });
    await t.step(`dispatch() exits 1 when VERSION meets a ${stdout} stdout`, async () => {
      const got = await run(PLUGINS.full!, { CNI_COMMAND: "VERSION" }, "", { stdout });
      assert.equal(got.code, 1);
      assert.match(got.stderr, /^cannot write the answer to stdout: [^\n]+\n$/);
    });
  }
  await t.step(
    "dispatch() reports a failing undo on stderr and keeps the first error",
    async () => {
      const log: string[] = [];
      const got = await run(undoing(log, "throw", true), base(), v("1.0.0"));
      assert.equal(got.code, 1);
      assert.deepEqual(log, UNDONE, "the other actions still run");
      assert.deepEqual(JSON.parse(got.stdout), { code: 11, msg: "the pool is locked" });
      assert.equal(
        got.stderr,
        "undoing a step of the failed verb failed too: the veth is busy\n",
      );
    },
  );
  await t.step("dispatch() reports a failing undo after a lost answer, one line each", async () => {
    const log: string[] = [];
    const got = await run(undoing(log, "return", true), base(), v("1.0.0"), { stdout: "closed" });
    assert.equal(got.code, 1);
    assert.deepEqual(got.stderr.split("\n"), [
      "undoing a step of the failed verb failed too: the veth is busy",
      "cannot write the answer to stdout: Broken pipe (os error 32)",
      "",
    ]);
    assert.doesNotMatch(got.stderr, /\bat .*:\d+:\d+/, "no stack trace");
  });
});

Deno.test("dispatch() never fails a verb because stderr fails", async (t) => {
  for (const stderr of ["full", "closed"] as const) {
    await t.step(`dispatch() prints the about text to a ${stderr} stderr and exits 0`, async () => {
      const got = await run(PLUGINS.full!, {}, "", { stderr });
      assert.equal(got.code, 0);
    });
    await t.step(`dispatch() answers ADD with a ${stderr} stderr`, async () => {
      const got = await run(PLUGINS.full!, base(), v("1.1.0"), { stderr });
      assert.equal(got.code, 0);
      assert.deepEqual(JSON.parse(got.stdout).ips, ADD_RESULT.ips);
    });
    await t.step(
      `dispatch() keeps the error object when undo reports meet a ${stderr} stderr`,
      async () => {
        const got = await run(undoing([], "throw", true), base(), v("1.0.0"), { stderr });
        assert.equal(got.code, 1);
        assert.deepEqual(JSON.parse(got.stdout), { code: 11, msg: "the pool is locked" });
      },
    );
    await t.step(`dispatch() exits 1 when stdout and stderr are both ${stderr}`, async () => {
      const got = await run(undoing([], "return"), base(), v("1.0.0"), { stdout: stderr, stderr });
      assert.equal(got.code, 1);
      assert.equal(got.stdout + got.stderr, "");
    });
  }
});

Deno.test("dispatch() reads the environment as bytes", async (t) => {
  const ff = (text: string, ...raw: number[]) =>
    Uint8Array.from([...new TextEncoder().encode(text), ...raw]);
  const notUtf8: [string, Record<string, Uint8Array>, string, string][] = [
    ["CNI_IFNAME eth\\xff", { CNI_IFNAME: ff("eth", 0xff) }, "CNI_IFNAME", '"eth\\xff"'],
    ["CNI_IFNAME eth\\xfe", { CNI_IFNAME: ff("eth", 0xfe) }, "CNI_IFNAME", '"eth\\xfe"'],
    [
      "a 15-byte CNI_IFNAME",
      { CNI_IFNAME: ff("abcdefghijkl", 0xff, 0xfe, 0xc3) },
      "CNI_IFNAME",
      '"abcdefghijkl\\xff\\xfe\\xc3"',
    ],
    ["CNI_NETNS", { CNI_NETNS: ff("/run/n", 0xc0) }, "CNI_NETNS", '"/run/n\\xc0"'],
    ["CNI_ARGS", { CNI_ARGS: ff("A=", 0xe2, 0x82) }, "CNI_ARGS", '"A=\\xe2\\x82"'],
    ["CNI_PATH", { CNI_PATH: ff("/opt/", 0xff, 0x41) }, "CNI_PATH", '"/opt/\\xffA"'],
  ];
  for (const [name, vars, variable, details] of notUtf8) {
    await t.step(`dispatch() refuses ${name} that is not UTF-8 before the handler`, async () => {
      const got = await run(PLUGINS.full!, base(vars), v("1.0.0"));
      assert.equal(got.code, 1);
      assert.deepEqual(JSON.parse(got.stdout), {
        code: 4,
        msg: `${variable} is not UTF-8`,
        details,
      });
      assert.equal(got.calls.length, 0);
    });
  }
  await t.step(
    "dispatch() refuses a 16-byte CNI_IFNAME with bytes that are not UTF-8",
    async () => {
      const name = ff("abcdefghijklm", 0xff, 0xfe, 0xc3);
      const got = await run(PLUGINS.full!, base({ CNI_IFNAME: name }), v("1.0.0"));
      assert.equal(got.code, 1);
      assert.deepEqual(JSON.parse(got.stdout), {
        code: 4,
        msg: "interface name is too long",
        details: "interface name should be less than 16 characters",
      });
      assert.equal(got.calls.length, 0);
    },
  );
  await t.step(
    "dispatch() refuses CNI_COMMAND ADD\\xff as an unknown verb with U+FFFD",
    async () => {
      const got = await run(PLUGINS.full!, base({ CNI_COMMAND: ff("ADD", 0xff) }), v("1.0.0"));
      assert.equal(got.code, 1);
      assert.deepEqual(JSON.parse(got.stdout), { code: 4, msg: "unknown CNI_COMMAND: ADD\ufffd" });
      assert.equal(got.stdinReads, 1, "stdin is read first");
    },
  );
  await t.step("dispatch() checks the configuration before CNI_COMMAND ADD\\xff", async () => {
    const got = await run(PLUGINS.full!, base({ CNI_COMMAND: ff("ADD", 0xff) }), "{}");
    assert.deepEqual(JSON.parse(got.stdout), { code: 7, msg: "missing network name" });
  });
  await t.step("dispatch() reports a container ID that is not UTF-8 with U+FFFD", async () => {
    const got = await run(PLUGINS.full!, base({ CNI_CONTAINERID: ff("c", 0xff) }), v("1.0.0"));
    assert.deepEqual(JSON.parse(got.stdout), {
      code: 4,
      msg: "invalid characters in containerID",
      details: "c\ufffd",
    });
  });
});

Deno.test("dispatch() gives the handler its host", async (t) => {
  await t.step("dispatch() passes the host it was given", async () => {
    const host = fakeHost({ env: BASE, stdin: v("1.0.0") });
    let seen: unknown;
    const code = await dispatch({
      about: ABOUT,
      versions: ALL_VERSIONS,
      add(invocation) {
        seen = invocation.host;
        return structuredClone(ADD_RESULT);
      },
    }, host);
    assert.equal(code, 0);
    assert.equal(seen, host);
  });
});
