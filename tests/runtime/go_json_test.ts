import assert from "node:assert/strict";
import { goTypeName, jsonKind } from "../../lib/_decode.ts";
import { goJsonSyntaxError } from "../../lib/_go_json.ts";
import { parseJson } from "../../lib/config.ts";
import { compareUtf8, encodeOrdered, encodeSorted, RawJson } from "../../lib/runtime/_go_encode.ts";
import { depthError } from "../../lib/runtime/_json_depth.ts";

interface GoCase {
  readonly input: string;
  readonly error?: string;
  readonly encoded?: string;
}

// Captured from Go 1.19's encoding/json (Debian's golang-go): Unmarshal into interface{}, and
// Marshal of what it decoded.
const { cases } = JSON.parse(
  await Deno.readTextFile(new URL("./testdata/go_json_cases.json", import.meta.url)),
) as { cases: GoCase[] };

Deno.test("goJsonSyntaxError() words each failure as Go does", async (t) => {
  for (const row of cases) {
    await t.step(JSON.stringify(row.input), () => {
      const bytes = new TextEncoder().encode(row.input);
      assert.equal(goJsonSyntaxError(row.input), row.error);
      assert.equal(goJsonSyntaxError(bytes), row.error);
      for (const input of [row.input, bytes]) {
        if (row.error === undefined) {
          assert.doesNotThrow(() => parseJson(input));
        } else {
          assert.throws(() => parseJson(input), { name: "DecodeError", message: row.error });
        }
      }
    });
  }
});

Deno.test("encodeSorted() writes what Go's json.Marshal writes for the decoded value", async (t) => {
  for (const row of cases.filter((c) => c.encoded !== undefined)) {
    await t.step(JSON.stringify(row.input), () => {
      assert.equal(encodeSorted(JSON.parse(row.input)), row.encoded);
    });
  }
});

Deno.test("parseJson() keeps a byte-order mark, which Go refuses", () => {
  const bytes = new Uint8Array([0xef, 0xbb, 0xbf, 0x7b, 0x7d]);
  assert.throws(() => parseJson(bytes), {
    message: "invalid character 'ï' looking for beginning of value",
  });
});

Deno.test("encodeOrdered() keeps member order and embeds RawJson as it is", () => {
  assert.equal(encodeOrdered({ b: 1, a: [true, null] }), '{"b":1,"a":[true,null]}');
  assert.equal(
    encodeSorted({ b: new RawJson('{"z":1,"y":2}'), a: 1 }),
    '{"a":1,"b":{"z":1,"y":2}}',
  );
  assert.equal(encodeSorted({ a: undefined, b: 2 }), '{"b":2}');
  assert.throws(() => encodeSorted({ a: Infinity }), /unsupported value/);
});

Deno.test("encodeSorted() writes a number beyond float64 as it was read", () => {
  assert.equal(encodeSorted(parseJson('{"b":[-2E+999],"a":1e400}')), '{"a":1e400,"b":[-2E+999]}');
});

Deno.test("compareUtf8() orders by UTF-8 bytes, not UTF-16 units", () => {
  // U+FF01 is one UTF-16 unit above the surrogates, but its UTF-8 bytes sort below U+1F600's.
  assert.ok(compareUtf8("\uff01", "\u{1f600}") < 0);
  assert.ok("\uff01" > "\u{1f600}");
  assert.equal(compareUtf8("a", "a"), 0);
  assert.ok(compareUtf8("a", "ab") < 0);
});

Deno.test("goTypeName() and jsonKind() name decoded values as Go does", async (t) => {
  const rows: [unknown, string, string][] = [
    ["x", "string", "string"],
    [1, "float64", "number"],
    [true, "bool", "bool"],
    [null, "<nil>", "null"],
    [[], "[]interface {}", "array"],
    [{}, "map[string]interface {}", "object"],
  ];
  for (const [value, type, kind] of rows) {
    await t.step(JSON.stringify(value), () => {
      assert.equal(goTypeName(value), type);
      assert.equal(jsonKind(value), kind);
    });
  }
});

Deno.test("encodeSorted() and encodeOrdered() write values nested as deep as Go decodes", async (t) => {
  for (const depth of [2_500, 10_000, 100_000]) {
    await t.step(`${depth} levels`, () => {
      const arrays = "[".repeat(depth) + "]".repeat(depth);
      assert.equal(encodeSorted(JSON.parse(arrays)), arrays);
      const objects = '{"b":1,"a":'.repeat(depth) + "null" + "}".repeat(depth);
      const sorted = '{"a":'.repeat(depth) + "null" + ',"b":1}'.repeat(depth);
      assert.equal(encodeSorted(JSON.parse(objects)), sorted);
      assert.equal(encodeOrdered(JSON.parse(objects)), objects);
    });
  }
  await t.step("empty containers, scalars and undefined members", () => {
    assert.equal(encodeSorted([[], {}, [{}], 1, "x", true, null]), '[[],{},[{}],1,"x",true,null]');
    assert.equal(encodeSorted({ b: undefined, a: [undefined] }), '{"a":[null]}');
    assert.equal(encodeSorted("<"), '"\\u003c"');
  });
});

Deno.test("depthError() names the first array or object past Go's 10,000 levels", () => {
  const nest = (depth: number) => JSON.parse("[".repeat(depth) + "]".repeat(depth));
  assert.equal(depthError(nest(10_000)), undefined);
  assert.equal(depthError(nest(10_001)), "invalid character '[' exceeded max depth");
  assert.equal(depthError({ a: nest(9_999) }), undefined);
  assert.equal(
    depthError({ a: [1, { b: nest(9_999) }] }),
    "invalid character '[' exceeded max depth",
  );
  assert.equal(depthError(["x", 1, null]), undefined);
});
