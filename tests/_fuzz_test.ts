/**
 * The fuzz test's own parts (tests/_fuzz.ts): the PRNG, the JSON tree, the case generator (that
 * it is deterministic, covers every mutator, verb and version, and never gives ptp anything
 * outside its empty directory), and each invariant check against runs made up by hand.
 */
import assert from "node:assert/strict";
import {
  allowedResultVersions,
  buildCase,
  BYTE_MUTATORS,
  caseSeed,
  checkRun,
  cidrFamily,
  CONFIG_MUTATORS,
  ENV_MUTATORS,
  escapeBytes,
  fromValue,
  generateCase,
  ipFamily,
  isUtf8,
  lossyText,
  type Node,
  type Outcome,
  ptpUnsafe,
  random,
  raw,
  serialize,
  shrinkCandidates,
  SPEC_VERSIONS,
  topLevelMembers,
  utf8,
  VERBS,
} from "./_fuzz.ts";

const CTX = { emptyDir: "/tmp/dcni-fuzz-empty-x", scratchDir: "/tmp/dcni-fuzz-scratch-x" };

function readCorpus(role: string): unknown[] {
  return JSON.parse(
    Deno.readTextFileSync(new URL(`testdata/fuzz/${role}.json`, import.meta.url)),
  );
}

const CORPORA: Record<string, unknown[]> = {
  sample: readCorpus("sample"),
  noop: readCorpus("noop"),
  ptp: readCorpus("ptp"),
};

Deno.test("random()", async (t) => {
  await t.step("the same seed gives the same sequence", () => {
    const a = random(42);
    const b = random(42);
    assert.deepEqual(
      Array.from({ length: 100 }, () => a.seed()),
      Array.from({ length: 100 }, () => b.seed()),
    );
  });
  await t.step("different seeds give different sequences", () => {
    const a = random(1);
    const b = random(2);
    assert.notDeepEqual(
      Array.from({ length: 10 }, () => a.seed()),
      Array.from({ length: 10 }, () => b.seed()),
    );
  });
  await t.step("int(10) stays in range and fills every value about evenly", () => {
    const r = random(7);
    const counts = new Array(10).fill(0);
    for (let i = 0; i < 10_000; i++) {
      const n = r.int(10);
      assert.ok(Number.isInteger(n) && n >= 0 && n < 10, `int(10) gave ${n}`);
      counts[n]++;
    }
    for (const count of counts) assert.ok(count > 800 && count < 1200, `counts ${counts}`);
  });
  await t.step("caseSeed gives each case of a seed its own seed", () => {
    const seeds = new Set(Array.from({ length: 10_000 }, (_, i) => caseSeed(1, i)));
    assert.equal(seeds.size, 10_000);
    assert.notEqual(caseSeed(1, 0), caseSeed(2, 0));
  });
});

Deno.test("serialize()", async (t) => {
  for (const [role, corpus] of Object.entries(CORPORA)) {
    await t.step(`writes every ${role} corpus entry back as the same JSON`, () => {
      for (const config of corpus) {
        assert.deepEqual(JSON.parse(lossyText(serialize(fromValue(config)))), config);
      }
    });
  }
  const rows: [string, Node, Uint8Array][] = [
    [
      "keeps repeated keys in order",
      {
        kind: "object",
        entries: [{ key: "a", value: raw("1") }, { key: "a", value: raw("2") }],
      },
      utf8('{"a":1,"a":2}'),
    ],
    [
      "writes number text exactly",
      { kind: "array", items: [raw("1e400"), raw("-0")] },
      utf8("[1e400,-0]"),
    ],
    [
      "writes raw keys and bytes that are not UTF-8",
      { kind: "object", entries: [{ key: Uint8Array.of(0xff), value: raw(Uint8Array.of(0xfe)) }] },
      Uint8Array.of(0x7b, 0x22, 0xff, 0x22, 0x3a, 0xfe, 0x7d),
    ],
    ["escapes strings as JSON", { kind: "string", value: 'a"\n' }, utf8('"a\\"\\n"')],
  ];
  for (const [name, node, expected] of rows) {
    await t.step(name, () => assert.deepEqual(serialize(node), expected));
  }
});

Deno.test("escapeBytes()", async (t) => {
  const rows: [string, Uint8Array, number, string][] = [
    ["keeps printable ASCII", utf8("ADD"), Infinity, '"ADD"'],
    ["escapes quotes, backslashes and newlines", utf8('a"\\\n'), Infinity, '"a\\"\\\\\\n"'],
    [
      "writes other bytes as \\x",
      Uint8Array.of(0xff, 0x00, 0xc3, 0xa9),
      Infinity,
      '"\\xff\\x00\\xc3\\xa9"',
    ],
    ["cuts long input and says how much", utf8("abcdef"), 2, '"ab" ... (4 more bytes)'],
  ];
  for (const [name, bytes, limit, expected] of rows) {
    await t.step(name, () => assert.equal(escapeBytes(bytes, limit), expected));
  }
});

Deno.test("ipFamily() and cidrFamily()", async (t) => {
  const ips: [string, 4 | 6 | undefined][] = [
    ["10.0.0.1", 4],
    ["0.0.0.0", 4],
    ["255.255.255.255", 4],
    ["256.0.0.1", undefined],
    ["10.0.0", undefined],
    ["1.2.3.04", undefined],
    ["fd00::1", 6],
    ["::", 6],
    ["::ffff:10.0.0.1", 6],
    ["1:2:3:4:5:6:7:8", 6],
    ["1:2:3:4:5:6:7:8:9", undefined],
    ["1::2::3", undefined],
    ["fe80::1%eth0", undefined],
    ["", undefined],
  ];
  for (const [text, family] of ips) {
    await t.step(`ipFamily(${JSON.stringify(text)}) is ${family}`, () => {
      assert.equal(ipFamily(text), family);
    });
  }
  const cidrs: [string, 4 | 6 | undefined][] = [
    ["10.0.0.2/24", 4],
    ["0.0.0.0/0", 4],
    ["10.0.0.2/32", 4],
    ["10.0.0.2/33", undefined],
    ["10.0.0.2", undefined],
    ["10.0.0.2/", undefined],
    ["10.0.0.2/-1", undefined],
    ["fd00::2/64", 6],
    ["::/0", 6],
    ["fd00::2/129", undefined],
    ["<nil>", undefined],
  ];
  for (const [text, family] of cidrs) {
    await t.step(`cidrFamily(${JSON.stringify(text)}) is ${family}`, () => {
      assert.equal(cidrFamily(text), family);
    });
  }
});

Deno.test("topLevelMembers() and allowedResultVersions()", async (t) => {
  await t.step("lists repeated top-level keys and skips nested ones", () => {
    const text = '{"cniVersion":"1.0.0","a":{"cniVersion":"0.4.0"},"b":[1,{"c":"}"}],' +
      '"CNIVERSION":"0.3.1","cniVersion":"1.1.0"}';
    assert.deepEqual(topLevelMembers(text), [
      ["cniVersion", '"1.0.0"'],
      ["a", '{"cniVersion":"0.4.0"}'],
      ["b", '[1,{"c":"}"}]'],
      ["CNIVERSION", '"0.3.1"'],
      ["cniVersion", '"1.1.0"'],
    ]);
    assert.deepEqual(allowedResultVersions(utf8(text)), new Set(["1.0.0", "0.3.1", "1.1.0"]));
  });
  await t.step("no cniVersion, or an empty one, means 0.1.0", () => {
    assert.deepEqual(allowedResultVersions(utf8('{"name":"n"}')), new Set(["0.1.0"]));
    assert.deepEqual(allowedResultVersions(utf8('{"cniVersion":""}')), new Set(["", "0.1.0"]));
  });
  await t.step("stdin that is not one JSON object allows nothing", () => {
    assert.equal(allowedResultVersions(utf8('{"a":1}{}')), undefined);
    assert.equal(allowedResultVersions(utf8("[]")), undefined);
    assert.equal(allowedResultVersions(null), undefined);
  });
});

Deno.test("generateCase() and buildCase()", async (t) => {
  const cases = Array.from({ length: 3000 }, (_, i) => generateCase(5, i));
  const built = cases.map((c) => buildCase(c, CORPORA[c.role]!, CTX));

  await t.step("a case is rebuilt byte for byte from its seed and number", () => {
    for (const i of [0, 1, 17, 2999]) {
      const again = buildCase(generateCase(5, i), CORPORA[cases[i]!.role]!, CTX);
      assert.deepEqual(again, built[i]);
    }
  });

  await t.step("every role, verb, mutator and spec version occurs", () => {
    const seen = (values: Iterable<string>) => new Set(values);
    assert.deepEqual(seen(cases.map((c) => c.role)), new Set(["sample", "noop", "ptp"]));
    assert.deepEqual(seen(cases.map((c) => c.verb)), new Set([...VERBS, "none"]));
    assert.deepEqual(
      seen(cases.flatMap((c) => c.config.map((m) => m.kind))),
      new Set(Object.keys(CONFIG_MUTATORS)),
    );
    assert.deepEqual(
      seen(cases.flatMap((c) => c.bytes.map((m) => m.kind))),
      new Set(Object.keys(BYTE_MUTATORS)),
    );
    assert.deepEqual(
      seen(cases.flatMap((c) => c.env.map((m) => m.kind))),
      new Set(Object.keys(ENV_MUTATORS)),
    );
    const versions = new Set<string>();
    for (const b of built) {
      if (b.stdin === null || b.stdin.length > 100_000) continue;
      for (const v of allowedResultVersions(b.stdin) ?? []) versions.add(v);
    }
    for (const version of SPEC_VERSIONS) assert.ok(versions.has(version), version);
  });

  await t.step("some stdin and some environment values are not UTF-8", () => {
    assert.ok(built.filter((b) => b.stdin !== null && !isUtf8(b.stdin)).length > 20);
    assert.ok(built.filter((b) => Object.values(b.env).some((v) => !isUtf8(v))).length > 20);
  });

  await t.step("no environment key or value could not be passed to a process", () => {
    for (const b of built) {
      for (const [key, value] of Object.entries(b.env)) {
        assert.ok(!key.includes("=") && !key.includes("\0"), key);
        assert.ok(!value.includes(0), `${key} holds a NUL`);
      }
    }
  });

  await t.step("no ptp case reaches outside the empty directory", () => {
    const ptp = built.filter((_, i) => cases[i]!.role === "ptp");
    assert.ok(ptp.length > 500);
    for (const b of ptp) assert.equal(ptpUnsafe(b.env, CTX.emptyDir), undefined);
  });

  await t.step("shrinkCandidates() drops one mutation at a time", () => {
    const c = cases.find((c) => c.config.length >= 2 && c.env.length >= 1)!;
    const smaller = shrinkCandidates(c);
    assert.equal(smaller.length, c.config.length + c.bytes.length + c.env.length);
    for (const s of smaller) {
      assert.equal(
        s.config.length + s.bytes.length + s.env.length,
        c.config.length + c.bytes.length + c.env.length - 1,
      );
    }
  });
});

Deno.test("ptpUnsafe()", async (t) => {
  const dir = CTX.emptyDir;
  const rows: [string, Record<string, string>, boolean][] = [
    ["the empty directory is safe", { CNI_PATH: dir, CNI_NETNS: `${dir}/netns` }, true],
    ["a missing name under it is safe", { CNI_PATH: `${dir}/missing:${dir}` }, true],
    ["empty and absent values are safe", { CNI_PATH: "", CNI_NETNS: "" }, true],
    ["the plugin directory is not", { CNI_PATH: "/usr/lib/cni" }, false],
    ["a second directory elsewhere is not", { CNI_PATH: `${dir}:/opt/cni/bin` }, false],
    ["an empty entry (the working directory) is not", { CNI_PATH: `${dir}:` }, false],
    ["a way up is not", { CNI_PATH: `${dir}/..` }, false],
    ["a sibling with the same prefix is not", { CNI_PATH: `${dir}x` }, false],
    ["a relative directory is not", { CNI_PATH: "bin" }, false],
    ["a real namespace is not", { CNI_PATH: dir, CNI_NETNS: "/proc/1/ns/net" }, false],
    ["a namespace reached through .. is not", { CNI_NETNS: `${dir}/../netns` }, false],
  ];
  for (const [name, env, safe] of rows) {
    await t.step(name, () => {
      const bytes = Object.fromEntries(Object.entries(env).map(([k, v]) => [k, utf8(v)]));
      assert.equal(ptpUnsafe(bytes, dir) === undefined, safe);
    });
  }
  await t.step("bytes that are not UTF-8 under the directory are safe", () => {
    const path = new Uint8Array([...utf8(`${dir}/`), 0xff]);
    assert.equal(ptpUnsafe({ CNI_PATH: path }, dir), undefined);
  });
});

Deno.test("checkRun()", async (t) => {
  const ADD = { CNI_COMMAND: utf8("ADD") };
  const conf = (version: string) => utf8(JSON.stringify({ cniVersion: version, name: "n" }));
  const run = (code: number | undefined, stdout: unknown, extra: Partial<Outcome> = {}) => ({
    code,
    stdout: typeof stdout === "string" ? utf8(stdout) : utf8(JSON.stringify(stdout, null, 4)),
    stderr: new Uint8Array(),
    ms: 20,
    ...extra,
  });
  const result100 = {
    cniVersion: "1.0.0",
    interfaces: [{ name: "eth0", sandbox: "/var/run/netns/x", mtu: 1500 }],
    ips: [{ address: "10.0.0.2/24", gateway: "10.0.0.1", interface: 0 }],
    routes: [{ dst: "0.0.0.0/0", priority: 5 }],
    dns: {},
  };
  const result040 = {
    cniVersion: "0.4.0",
    ips: [{ version: "6", address: "fd00::2/64" }],
    dns: { nameservers: ["10.0.0.1"] },
  };
  const result020 = { cniVersion: "0.2.0", ip4: { ip: "10.0.0.2/24" }, dns: {} };
  const about = utf8("CNI plugin\n");

  const rows: [string, Record<string, Uint8Array>, Uint8Array | null, Outcome, string[]][] = [
    ["a 1.0.0 result passes", ADD, conf("1.0.0"), run(0, result100), []],
    ["a 0.4.0 result passes", ADD, conf("0.4.0"), run(0, result040), []],
    ["a 0.2.0 result passes", ADD, conf("0.2.0"), run(0, result020), []],
    [
      "a 1.x IP with version breaks the shape",
      ADD,
      conf("1.0.0"),
      run(0, { ...result100, ips: [{ version: "4", address: "10.0.0.2/24" }] }),
      ["add-result"],
    ],
    [
      "a 0.4.0 IP without version breaks the shape",
      ADD,
      conf("0.4.0"),
      run(0, { ...result040, ips: [{ address: "fd00::2/64" }] }),
      ["add-result"],
    ],
    [
      "a 0.4.0 IP whose version is not its family's breaks the shape",
      ADD,
      conf("0.4.0"),
      run(0, { ...result040, ips: [{ version: "4", address: "fd00::2/64" }] }),
      ["add-result"],
    ],
    [
      "an IPv6 address in ip4 breaks the shape",
      ADD,
      conf("0.2.0"),
      run(0, { ...result020, ip4: { ip: "fd00::2/64" } }),
      ["add-result"],
    ],
    [
      "a null interface breaks the shape",
      ADD,
      conf("1.0.0"),
      run(0, { ...result100, interfaces: [null] }),
      ["add-result"],
    ],
    [
      "a route to <nil> breaks the shape",
      ADD,
      conf("1.0.0"),
      run(0, { ...result100, routes: [{ dst: "<nil>" }] }),
      ["add-result"],
    ],
    [
      "a negative interface index passes, as the Go types pass it",
      ADD,
      conf("1.0.0"),
      run(0, { ...result100, ips: [{ address: "10.0.0.2/24", interface: -1 }] }),
      [],
    ],
    [
      "a fractional interface index breaks the shape",
      ADD,
      conf("1.0.0"),
      run(0, { ...result100, ips: [{ address: "10.0.0.2/24", interface: 0.5 }] }),
      ["add-result"],
    ],
    [
      "a result of another version than the configuration's fails",
      ADD,
      conf("0.4.0"),
      run(0, result100),
      ["add-result"],
    ],
    [
      "a 0.1.0 result for a configuration without cniVersion passes",
      ADD,
      utf8('{"name":"n"}'),
      run(0, { ...result020, cniVersion: "0.1.0" }),
      [],
    ],
    [
      "either of two cniVersion spellings may win",
      ADD,
      utf8('{"cniversion":"0.2.0","cniVersion":"1.0.0","name":"n"}'),
      run(0, result020),
      [],
    ],
    [
      "ADD succeeding on truncated JSON fails",
      ADD,
      utf8('{"cniVersion":"1.0.0"'),
      run(0, result100),
      [
        "add-accepted-invalid",
      ],
    ],
    ["ADD succeeding silently fails", ADD, conf("1.0.0"), run(0, ""), ["add-result"]],
    ["an error with a spec code passes", ADD, conf("1.0.0"), run(1, { code: 7, msg: "m" }), []],
    [
      "an error with details passes",
      ADD,
      conf("1.0.0"),
      run(1, { code: 999, msg: "m", details: "d" }),
      [],
    ],
    ["an error code from 100 passes", ADD, conf("1.0.0"), run(1, { code: 100, msg: "m" }), []],
    ["an undefined code below 100 fails", ADD, conf("1.0.0"), run(1, { code: 12, msg: "m" }), [
      "error-code",
    ]],
    ["a code that is not an integer fails", ADD, conf("1.0.0"), run(1, { code: "7", msg: "m" }), [
      "error-code",
    ]],
    [
      "an error with another key fails",
      ADD,
      conf("1.0.0"),
      run(1, { code: 7, msg: "m", cniVersion: "1.0.0" }),
      ["error-object"],
    ],
    ["an error without msg fails", ADD, conf("1.0.0"), run(1, { code: 7 }), ["error-object"]],
    ["exit status 1 with empty stdout fails", ADD, conf("1.0.0"), run(1, ""), ["error-object"]],
    ["two documents on stdout fail", ADD, conf("1.0.0"), run(1, '{"code":7,"msg":"m"}{}'), [
      "stdout-json",
    ]],
    ["exit status 2 fails", ADD, conf("1.0.0"), run(2, ""), ["exit-status"]],
    [
      "a JavaScript error as the message fails",
      ADD,
      conf("1.0.0"),
      run(1, { code: 999, msg: "TypeError: Cannot read properties of undefined" }),
      ["internal-error"],
    ],
    [
      "a stack trace on stderr fails",
      ADD,
      conf("1.0.0"),
      run(1, { code: 999, msg: "m" }, {
        stderr: utf8("error: Uncaught Error: x\n    at f (file:///a.js:1:2)\n"),
      }),
      ["stderr-trace"],
    ],
    [
      "a stack trace on stdout fails",
      ADD,
      conf("1.0.0"),
      run(1, "Error: x\n    at f (file:///a.js:1:2)\n"),
      ["stdout-trace", "stdout-json"],
    ],
    [
      "stdout that is not UTF-8 fails",
      ADD,
      conf("1.0.0"),
      run(1, { code: 999, msg: "m" }, {
        stdout: new Uint8Array([...utf8('{"code":999,"msg":"'), 0xff, ...utf8('"}')]),
      }),
      ["stdout-utf8"],
    ],
    ["a run over the limit fails", ADD, conf("1.0.0"), run(0, result100, { ms: 10_001 }), ["hang"]],
    [
      "a killed run fails",
      ADD,
      conf("1.0.0"),
      run(undefined, "", { abnormal: "killed by SIGTERM" }),
      ["hang"],
    ],
    [
      "VERSION's answer passes",
      { CNI_COMMAND: utf8("VERSION") },
      null,
      run(0, '{"cniVersion":"1.1.0","supportedVersions":["1.0.0"]}\n'),
      [],
    ],
    [
      "VERSION with another key fails",
      { CNI_COMMAND: utf8("VERSION") },
      null,
      run(0, { cniVersion: "1.1.0", supportedVersions: ["1.0.0"], x: 1 }),
      ["version-answer"],
    ],
    [
      "VERSION failing fails",
      { CNI_COMMAND: utf8("VERSION") },
      null,
      run(1, { code: 4, msg: "m" }),
      ["version-answer"],
    ],
    ["no CNI_COMMAND with the about text passes", {}, null, run(0, "", { stderr: about }), []],
    [
      "an empty CNI_COMMAND is no CNI_COMMAND",
      { CNI_COMMAND: utf8("") },
      null,
      run(0, "", {
        stderr: about,
      }),
      [],
    ],
    ["no CNI_COMMAND without the about text fails", {}, null, run(0, ""), ["about"]],
    [
      "a CNI_COMMAND that is not UTF-8 must not succeed",
      { CNI_COMMAND: Uint8Array.of(0xff) },
      null,
      run(0, "", { stderr: about }),
      ["unknown-verb-accepted"],
    ],
    ["DEL succeeding silently passes", { CNI_COMMAND: utf8("DEL") }, conf("1.0.0"), run(0, ""), []],
    ["DEL printing on success fails", { CNI_COMMAND: utf8("DEL") }, conf("1.0.0"), run(0, {}), [
      "silent-success",
    ]],
  ];
  for (const [name, env, stdin, outcome, rules] of rows) {
    await t.step(name, () => {
      assert.deepEqual(checkRun(env, stdin, outcome, 10_000).map((v) => v.rule), rules);
    });
  }
});
