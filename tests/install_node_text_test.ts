/**
 * The node installer's text tools (cli/_install/json_text.ts, network_text.ts, quote.ts and the
 * byte order of names that are not UTF-8 in conf_files.ts): a network file is edited without
 * touching any byte but the entry added or taken out, settings are compared without rounding
 * numbers, and names from disk are quoted safely.
 */
import assert from "node:assert/strict";
import {
  formatJson,
  type JsonArray,
  type JsonNode,
  JsonTextError,
  memberMap,
  nodeOf,
  parseJsonText,
  RawJson,
  sameJson,
} from "../cli/_install/json_text.ts";
import {
  appendEntry,
  removeEntries,
  replaceEntry,
  wrapSingle,
} from "../cli/_install/network_text.ts";
import { quoteName } from "../cli/_install/quote.ts";
import { mayPrecede } from "../cli/_install/conf_files.ts";
import { badNameReason } from "../cli/_install/names.ts";
import { buildEntry, parseSetPairs, readEntryFile } from "../cli/_install/entry.ts";
import { UsageError } from "../cli/_install/errors.ts";

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** The last `plugins` array of a network's text. */
function pluginsOf(bytes: Uint8Array): JsonArray {
  const root = parseJsonText(bytes);
  assert.equal(root.kind, "object");
  const list = memberMap(root as Extract<JsonNode, { kind: "object" }>).get("plugins");
  assert.ok(list?.kind === "array");
  return list;
}

/** Settings that a decode and encode through JS numbers would change. */
const TRICKY_NETWORKS: [string, string][] = [
  [
    "big integers, compact",
    '{"cniVersion":"1.0.0","name":"n","plugins":[{"type":"bridge","a":9007199254740993,' +
    '"b":18446744073709551615,"c":-9223372036854775808}]}',
  ],
  [
    "floats as written, indented with spaces",
    '{\n    "cniVersion": "1.0.0",\n    "name": "n",\n    "plugins": [\n        {\n' +
    '            "type": "bridge",\n            "huge": 1e400,\n            "one": 1.0,\n' +
    '            "tiny": 5e-324, "neg": -0.0, "exp": 1E+2\n        }\n    ]\n}\n',
  ],
  [
    "unicode escapes, duplicate keys and nested arrays",
    '{"name":"n","plugin\\u0073":[{"type":"x"}],"plugins":[{"type":"bridge","t":"\\u00e9\\ud83d' +
    '\\ude00\\/","k":1,"k":2,"m":[[1,[2,[3.50]]],[]],"o":{}}],"zzz":{"a":[{"b":null}]}}',
  ],
  [
    "odd white space and CRLF",
    '\r\n{ "name" :"n" ,\r\n\t"plugins":\t[\r\n\t\t{"type":"bridge"}   ,\r\n\t\t{ "type" : "p" ,' +
    ' "x" : 1.10 }\r\n\t]\t}\r\n\r\n',
  ],
];

Deno.test("an entry added to a network's text leaves every other byte as it was", async (t) => {
  const entry = nodeOf({ type: "sample", limit: new RawJson("18446744073709551615"), on: true });
  for (const [label, text] of TRICKY_NETWORKS) {
    await t.step(label, () => {
      const bytes = encoder.encode(text);
      const list = pluginsOf(bytes);
      const last = list.items.at(-1)!;
      const out = appendEntry(bytes, list, entry);
      const added = decoder.decode(out.subarray(last.end, out.length - (bytes.length - last.end)));
      assert.deepEqual(out.subarray(0, last.end), bytes.subarray(0, last.end), "before: same");
      assert.deepEqual(
        out.subarray(out.length - (bytes.length - last.end)),
        bytes.subarray(last.end),
        "after: same",
      );
      assert.match(added, /^,\s*\{/, added);
      const parsed = JSON.parse(decoder.decode(out));
      assert.deepEqual(parsed.plugins.at(-1), {
        type: "sample",
        limit: 18446744073709551615,
        on: true,
      });
      assert.ok(
        added.includes('"limit": 18446744073709551615') ||
          added.includes('"limit":18446744073709551615'),
      );
      const again = pluginsOf(out);
      assert.ok(sameJson(again.items.at(-1)!, entry));
      const back = removeEntries(out, again, new Set([again.items.length - 1]));
      assert.deepEqual(back, bytes, "taking it out gives the exact bytes back");
    });
  }
});

Deno.test("entries are taken out with their commas and white space, wherever they are", async (t) => {
  const text =
    '{"plugins": [\n  {"type":"a"},\n  {"type":"b"},\n  {"type":"c"},\n  {"type":"d"}\n]}';
  const bytes = encoder.encode(text);
  const cases: [number[], string][] = [
    [[0], '{"plugins": [\n  {"type":"b"},\n  {"type":"c"},\n  {"type":"d"}\n]}'],
    [[3], '{"plugins": [\n  {"type":"a"},\n  {"type":"b"},\n  {"type":"c"}\n]}'],
    [[1, 2], '{"plugins": [\n  {"type":"a"},\n  {"type":"d"}\n]}'],
    [[0, 1, 3], '{"plugins": [\n  {"type":"c"}\n]}'],
    [[0, 2], '{"plugins": [\n  {"type":"b"},\n  {"type":"d"}\n]}'],
  ];
  for (const [indexes, expected] of cases) {
    await t.step(`items ${indexes}`, () => {
      const out = removeEntries(bytes, pluginsOf(bytes), new Set(indexes));
      assert.equal(decoder.decode(out), expected);
      JSON.parse(decoder.decode(out));
    });
  }
  await t.step("never all of them", () => {
    assert.throws(() => removeEntries(bytes, pluginsOf(bytes), new Set([0, 1, 2, 3])));
  });
});

Deno.test("an entry replaced in place leaves the other entries' bytes", () => {
  const text = '{"plugins":[{"type":"a","n":1.50},{"type":"sample","x":1},{"type":"c","n":1e400}]}';
  const bytes = encoder.encode(text);
  const out = replaceEntry(bytes, pluginsOf(bytes), 1, nodeOf({ type: "sample", x: 2 }));
  assert.equal(
    decoder.decode(out),
    '{"plugins":[{"type":"a","n":1.50},{"type":"sample","x":2},{"type":"c","n":1e400}]}',
  );
});

Deno.test("a one-plugin file is wrapped with its object's exact bytes", () => {
  const object = '{\n\t"cniVersion": "0.4.0", "name": "s\\u00e9", "type": "bridge",\n\t"v": 1.0,' +
    ' "big": 18446744073709551615\n}';
  const bytes = encoder.encode(`\n  ${object}\n\n`);
  const root = parseJsonText(bytes);
  assert.ok(root.kind === "object");
  const out = decoder.decode(
    wrapSingle(bytes, root, nodeOf({ type: "sample" }), {
      name: "sé",
      cniVersion: "0.4.0",
      keepOriginal: true,
    }),
  );
  assert.ok(out.includes(object), out);
  const parsed = JSON.parse(out);
  assert.deepEqual(Object.keys(parsed), ["cniVersion", "name", "plugins"]);
  assert.equal(parsed.name, "sé");
  assert.deepEqual(parsed.plugins.map((p: { type: string }) => p.type), ["bridge", "sample"]);
  const replaced = JSON.parse(
    decoder.decode(
      wrapSingle(bytes, root, nodeOf({ type: "bridge", k: 1 }), {
        name: "sé",
        cniVersion: "0.4.0",
        keepOriginal: false,
      }),
    ),
  );
  assert.deepEqual(replaced.plugins, [{ type: "bridge", k: 1 }]);
});

Deno.test("the text parser accepts exactly what JSON.parse accepts", async (t) => {
  const valid = [
    "0",
    "-0",
    "1.5e-3",
    "1E400",
    '"\\u0000\\n\\"\\\\\\/"',
    "[]",
    "{}",
    ' \t\r\n{"a" : [ 1 , { } , [ ] , null , true , false ] } ',
    '{"a":1,"a":2}',
    '"\\ud800"',
    '"\u00e9\u{1f600}"',
  ];
  const invalid = [
    "",
    "01",
    "1.",
    ".5",
    "+1",
    "1e",
    "-",
    "[1,]",
    "{,}",
    '{"a":1,}',
    '{"a" 1}',
    "{'a':1}",
    '"\\x41"',
    '"\\u12G4"',
    '"a\nb"',
    '"\t"',
    "[1] x",
    "\ufeff{}",
    "tru",
    "nul",
    "NaN",
    "Infinity",
    "// c\n{}",
    "[",
    '{"a":',
  ];
  for (const text of valid) {
    await t.step(`valid: ${JSON.stringify(text)}`, () => {
      JSON.parse(text);
      const node = parseJsonText(text);
      assert.equal(node.end, encoder.encode(text.trimEnd()).length);
    });
  }
  for (const text of invalid) {
    await t.step(`invalid: ${JSON.stringify(text)}`, () => {
      assert.throws(() => JSON.parse(text), SyntaxError);
      assert.throws(() => parseJsonText(text), JsonTextError);
    });
  }
  await t.step(
    "bytes that are not UTF-8 inside a string are U+FFFD, as JSON.parse sees them",
    () => {
      const bytes = new Uint8Array([0x22, 0x61, 0xff, 0x62, 0x22]);
      const node = parseJsonText(bytes);
      assert.ok(node.kind === "string");
      assert.equal(node.value, "a\ufffdb");
    },
  );
  await t.step(
    "nesting deeper than Go's decoder allows is refused, without a stack overflow",
    () => {
      assert.throws(() => parseJsonText("[".repeat(10_001) + "]".repeat(10_001)), JsonTextError);
      parseJsonText("[".repeat(10_000) + "]".repeat(10_000));
    },
  );
});

Deno.test("settings are compared without rounding numbers", async (t) => {
  const cases: [string, string, string, boolean][] = [
    ["the same big integer", '{"a":18446744073709551615}', '{"a":18446744073709551615}', true],
    ["big integers 1 apart", '{"a":18446744073709551615}', '{"a":18446744073709551614}', false],
    ["1 and 1.0", '{"a":1}', '{"a":1.0}', false],
    ["key order", '{"a":1,"b":[1,{"c":"d"}]}', '{"b":[1,{"c":"d"}],"a":1}', true],
    ["escapes are values", '{"a":"\\u00e9"}', '{"a":"é"}', true],
    ["the last duplicate counts", '{"a":1,"a":2}', '{"a":2}', true],
    ["array order", "[1,2]", "[2,1]", false],
    ["null and false", "null", "false", false],
  ];
  for (const [label, a, b, same] of cases) {
    await t.step(label, () => assert.equal(sameJson(parseJsonText(a), parseJsonText(b)), same));
  }
});

Deno.test("--set and --entry values keep their JSON text", () => {
  const pairs = parseSetPairs([
    "limit=18446744073709551615",
    "ratio=1.0",
    "name=plain text",
    "__proto__=1",
  ]);
  const entry = buildEntry("sample", { mtu: new RawJson("9007199254740993") }, pairs);
  assert.equal(
    formatJson(nodeOf(entry)),
    '{"type":"sample","mtu":9007199254740993,"limit":18446744073709551615,"ratio":1.0,' +
      '"name":"plain text","__proto__":1}',
  );
  assert.throws(() => nodeOf({ a: NaN }), JsonTextError);
});

Deno.test("--set and --entry refuse values Go cannot read back", async (t) => {
  const deep = (n: number) => "[".repeat(n) + "]".repeat(n);
  const refused: [string, RegExp][] = [
    ["k=1e999", /Bad --set "k": the number 1e999 is out of range of a float64/],
    ["k=-1e400", /the number -1e400 is out of range/],
    ['k={"a":[1,2e308]}', /the number 2e308 is out of range/],
    [`k=${deep(4000)}`, /Bad --set "k": it nests more than 1000 levels deep/],
  ];
  for (const [pair, message] of refused) {
    await t.step(`refuses ${pair.slice(0, 24)}`, () => {
      assert.throws(() => parseSetPairs([pair]), (error: unknown) => {
        assert.ok(error instanceof UsageError);
        assert.match(error.message, message);
        return true;
      });
    });
  }
  await t.step("takes the largest float64 and 1000 levels", () => {
    const pairs = parseSetPairs(["k=1.7976931348623157e308", `d=${deep(1000)}`]);
    assert.equal((pairs.k as RawJson).text, "1.7976931348623157e308");
    const written = formatJson(nodeOf(buildEntry("sample", {}, pairs)));
    assert.ok(written.includes(deep(1000)));
  });
  await t.step("an entry file that is a FIFO is refused, not waited on", async () => {
    const dir = await Deno.makeTempDir();
    try {
      const made = await new Deno.Command("mkfifo", { args: [`${dir}/entry.json`] }).output();
      assert.ok(made.success, "mkfifo");
      assert.throws(() => readEntryFile(`${dir}/entry.json`, "sample"), {
        message: `Cannot read the entry file "${dir}/entry.json": not a regular file`,
      });
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  });
  await t.step("the entry file is checked the same way", async () => {
    const file = await Deno.makeTempFile({ suffix: ".json" });
    try {
      await Deno.writeTextFile(file, '{"rate": 1e999}');
      assert.throws(() => readEntryFile(file, "sample"), {
        message: `The entry file "${file}" has "rate": the number 1e999 is out of range of a ` +
          "float64, which Go reads it as",
      });
    } finally {
      await Deno.remove(file);
    }
  });
});

Deno.test("names from disk are quoted escaped and capped", async (t) => {
  const cases: [string, string][] = [
    ["../victim", '"../victim"'],
    ["a\nremoved /etc/passwd", '"a\\nremoved /etc/passwd"'],
    ["0\ufffd.conf", '"0\\ufffd.conf"'],
    ["\u001b[31mred", '"\\u001b[31mred"'],
    ["é🙂", '"\\u00e9\\ud83d\\ude42"'],
    ["x".repeat(100), `"${"x".repeat(64)}"... (100 characters)`],
  ];
  for (const [name, quoted] of cases) {
    await t.step(JSON.stringify(name).slice(0, 30), () => assert.equal(quoteName(name), quoted));
  }
});

Deno.test("plugin names from the record get the command line's checks", async (t) => {
  const cases: [string, RegExp | undefined][] = [
    ["sample", undefined],
    ["deno-ptp", undefined],
    ["../victim", /"\/"/],
    ["/etc/passwd", /"\/"/],
    ["a\0b", /NUL/],
    [".", /starts with "\."/],
    ["..", /".."/],
    ["a\nb", /control character/],
    ["x".repeat(256), /longer than 255 bytes/],
    ["é".repeat(128), /longer than 255 bytes/],
  ];
  for (const [name, reason] of cases) {
    await t.step(JSON.stringify(name).slice(0, 30), () => {
      const got = badNameReason(name);
      if (reason === undefined) assert.equal(got, undefined);
      else assert.match(got ?? "", reason);
    });
  }
});

Deno.test("a name that is not UTF-8 may sort first only when its known bytes allow it", async (t) => {
  // The lossy name stands for bytes whose first bad byte is 0x80 or more.
  const cases: [string, string, boolean][] = [
    ["0\ufffd.conf", "1.conflist", true],
    ["9\ufffd.conf", "10-net.conflist", false],
    ["1\ufffd.conf", "1.conflist", false],
    ["1\ufffd.conf", "1", false],
    ["1\ufffd.conf", "1é.conflist", true],
    ["\ufffd.conf", "zz.conflist", false],
    ["10-a.conf.\ufffd.json", "10-a.conflist", true],
    ["10-a.conf\ufffd.json", "10-a.conf", false],
  ];
  for (const [lossy, name, may] of cases) {
    await t.step(`${JSON.stringify(lossy)} before ${JSON.stringify(name)}: ${may}`, () => {
      assert.equal(mayPrecede(lossy, name), may);
    });
  }
  await t.step("agrees with the byte order for every first bad byte", () => {
    for (const [lossy, name] of cases) {
      const prefix = lossy.slice(0, lossy.indexOf("\ufffd"));
      const orders = [0x80, 0xc3, 0xff].map((bad) => {
        const real = new Uint8Array([...encoder.encode(prefix), bad]);
        const other = encoder.encode(name);
        for (let i = 0; i < Math.min(real.length, other.length); i++) {
          if (real[i] !== other[i]) return real[i]! < other[i]!;
        }
        return real.length < other.length;
      });
      if (!mayPrecede(lossy, name)) assert.ok(orders.every((o) => !o), `${lossy} ${name}`);
      if (orders.some((o) => o)) assert.ok(mayPrecede(lossy, name), `${lossy} ${name}`);
    }
  });
});
