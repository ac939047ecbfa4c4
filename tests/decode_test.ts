import assert from "node:assert/strict";
import {
  child,
  DecodeError,
  field,
  fieldNames,
  findOverflow,
  goTypeName,
  isJsonObject,
  jsonKind,
  optionalArray,
  optionalBoolean,
  optionalInteger,
  optionalObject,
  optionalString,
  optionalStringList,
  overflowError,
  OverflowNumber,
  readFields,
  typeMismatch,
} from "../lib/_decode.ts";
import { parseJson } from "../lib/config.ts";

const AT = { struct: "NetConf", path: "mtu" };

function throwsDecodeError(fn: () => unknown, message: string) {
  assert.throws(fn, (error) => {
    assert.ok(error instanceof DecodeError);
    assert.equal(error.message, message);
    return true;
  });
}

Deno.test("field() and readFields()", async (t) => {
  const rows: [string, string, string, unknown][] = [
    ["finds an exact key", '{"name":"a"}', "name", "a"],
    ["matches keys case-insensitively", '{"NAME":"a"}', "name", "a"],
    ["matches mixed case", '{"CNIVERSION":"1.0.0"}', "cniVersion", "1.0.0"],
    ["lets the last of several matching keys win", '{"name":"a","Name":"b"}', "name", "b"],
    ["lets the last of repeated keys win", '{"name":"a","name":"b"}', "name", "b"],
    ["returns undefined for an absent key", '{"other":1}', "name", undefined],
    ["returns null as null", '{"name":null}', "name", null],
    ["folds U+017F like Go", '{"cniVer\u017fion":"1.0.0"}', "cniVersion", "1.0.0"],
    ["folds the Kelvin sign like Go", '{"\u212aey":"v"}', "key", "v"],
    ["does not fold other look-alikes", '{"nam\u00e9":"a"}', "name", undefined],
    ["does not match a prefix", '{"names":"a"}', "name", undefined],
  ];
  for (const [name, json, key, expected] of rows) {
    await t.step(`field() ${name}`, () => {
      assert.equal(field(JSON.parse(json), key), expected);
    });
    await t.step(`readFields() ${name}`, () => {
      const fields = readFields(JSON.parse(json), fieldNames([key, "other", "mtu"]));
      assert.equal(fields[key], expected);
    });
  }
});

Deno.test("isJsonObject()", async (t) => {
  const rows: [string, unknown, boolean][] = [
    ["an object", {}, true],
    ["null", null, false],
    ["an array", [], false],
    ["a string", "x", false],
    ["a number", 1, false],
  ];
  for (const [name, value, expected] of rows) {
    await t.step(`isJsonObject() says ${expected} for ${name}`, () => {
      assert.equal(isJsonObject(value), expected);
    });
  }
});

Deno.test("typeMismatch()", async (t) => {
  const rows: [string, unknown, { struct: string; path: string }, string, string][] = [
    [
      "names a struct field",
      1,
      { struct: "", path: "name" },
      "string",
      "json: cannot unmarshal number into Go struct field .name of type string",
    ],
    [
      "names a nested path",
      "x",
      { struct: "PluginConf", path: "prevResult" },
      "map[string]interface {}",
      "json: cannot unmarshal string into Go struct field PluginConf.prevResult of type map[string]interface {}",
    ],
    [
      "names a top-level value",
      [],
      { struct: "", path: "" },
      "Result",
      "json: cannot unmarshal array into Go value of type Result",
    ],
    [
      "calls booleans bool",
      true,
      AT,
      "int",
      "json: cannot unmarshal bool into Go struct field NetConf.mtu of type int",
    ],
    [
      "calls objects object",
      {},
      AT,
      "int",
      "json: cannot unmarshal object into Go struct field NetConf.mtu of type int",
    ],
  ];
  for (const [name, value, at, goType, message] of rows) {
    await t.step(`typeMismatch() ${name}`, () => {
      const error = typeMismatch(value, at, goType);
      assert.ok(error instanceof DecodeError);
      assert.equal(error.message, message);
    });
  }
});

Deno.test("child()", async (t) => {
  await t.step("child() appends to a path", () => {
    assert.deepEqual(child({ struct: "S", path: "a" }, "b"), { struct: "S", path: "a.b" });
  });
  await t.step("child() starts an empty path", () => {
    assert.deepEqual(child({ struct: "S", path: "" }, "b"), { struct: "S", path: "b" });
  });
  await t.step("child() can name another struct", () => {
    assert.deepEqual(child({ struct: "S", path: "a" }, "b", "T"), { struct: "T", path: "a.b" });
  });
});

Deno.test("optional decoders", async (t) => {
  await t.step("optionalString() reads absent and null as undefined", () => {
    assert.equal(optionalString(undefined, AT), undefined);
    assert.equal(optionalString(null, AT), undefined);
    assert.equal(optionalString("", AT), "");
  });
  await t.step("optionalString() rejects a number", () => {
    throwsDecodeError(
      () => optionalString(5, AT),
      "json: cannot unmarshal number into Go struct field NetConf.mtu of type string",
    );
  });
  await t.step("optionalBoolean() reads booleans only", () => {
    assert.equal(optionalBoolean(false, AT), false);
    assert.equal(optionalBoolean(null, AT), undefined);
    throwsDecodeError(
      () => optionalBoolean("true", AT),
      "json: cannot unmarshal string into Go struct field NetConf.mtu of type bool",
    );
  });
  await t.step("optionalInteger() reads integers, negatives and zero", () => {
    assert.equal(optionalInteger(0, AT), 0);
    assert.equal(optionalInteger(-3, AT), -3);
    assert.equal(optionalInteger(undefined, AT), undefined);
  });
  await t.step("optionalInteger() rejects a string", () => {
    throwsDecodeError(
      () => optionalInteger("1", AT),
      "json: cannot unmarshal string into Go struct field NetConf.mtu of type int",
    );
  });
  await t.step("optionalObject() rejects an array", () => {
    assert.deepEqual(optionalObject({ a: 1 }, AT, "T"), { a: 1 });
    assert.equal(optionalObject(null, AT, "T"), undefined);
    throwsDecodeError(
      () => optionalObject([], AT, "T"),
      "json: cannot unmarshal array into Go struct field NetConf.mtu of type T",
    );
  });
  await t.step("optionalArray() rejects an object", () => {
    assert.deepEqual(optionalArray([1], AT, "[]int"), [1]);
    assert.equal(optionalArray(null, AT, "[]int"), undefined);
    throwsDecodeError(
      () => optionalArray({}, AT, "[]int"),
      "json: cannot unmarshal object into Go struct field NetConf.mtu of type []int",
    );
  });
  await t.step("optionalStringList() reads a null entry as the empty string", () => {
    assert.deepEqual(optionalStringList(["a", null, "b"], AT), ["a", "", "b"]);
  });
  await t.step("optionalStringList() rejects a number entry", () => {
    throwsDecodeError(
      () => optionalStringList(["a", 1], AT),
      "json: cannot unmarshal number into Go struct field NetConf.mtu of type string",
    );
  });
});

Deno.test("field() and readFields() treat a later null as Go does", async (t) => {
  const rows: { name: string; json: string; nullable: boolean; expected: unknown }[] = [
    {
      name: "keeps an earlier value when a later key is null",
      json: '{"gw":"10.0.0.1","GW":null}',
      nullable: false,
      expected: "10.0.0.1",
    },
    {
      name: "resets a pointer, slice or map field when a later key is null",
      json: '{"gw":"10.0.0.1","GW":null}',
      nullable: true,
      expected: null,
    },
    {
      name: "lets a later value replace an earlier null",
      json: '{"gw":null,"GW":"10.0.0.1"}',
      nullable: false,
      expected: "10.0.0.1",
    },
    {
      name: "reads a lone null as null",
      json: '{"gw":null}',
      nullable: false,
      expected: null,
    },
  ];
  for (const row of rows) {
    await t.step(`field() ${row.name}`, () => {
      assert.equal(field(JSON.parse(row.json), "gw", row.nullable), row.expected);
    });
    await t.step(`readFields() ${row.name}`, () => {
      const shape = fieldNames(["gw", "dst"], row.nullable ? ["gw"] : []);
      assert.equal(readFields(JSON.parse(row.json), shape).gw, row.expected);
    });
  }
});

/** A number as the decoders get it: parsed from JSON text, inside a value as in a document. */
function number(text: string): unknown {
  return (parseJson(`[${text}]`) as unknown[])[0];
}

Deno.test("optionalInteger() reads numbers through a float64 as Go does", async (t) => {
  const accepted: [string, string, number][] = [
    ["reads zero", "0", 0],
    ["reads a negative number", "-3", -3],
    ["reads 2.0 as 2", "2.0", 2],
    ["reads 2^53", "9007199254740992", 2 ** 53],
    ["reads 2^53 + 1 as 2^53, as a float64 holds it", "9007199254740993", 2 ** 53],
    ["reads 1e2 as 100", "1e2", 100],
  ];
  for (const [name, text, expected] of accepted) {
    await t.step(`optionalInteger() ${name}`, () => {
      assert.equal(optionalInteger(number(text), AT), expected);
    });
  }
  const rejected: [string, string, string][] = [
    ["rejects a fraction", "1.5", "1.5"],
    ["rejects 2.5", "2.5", "2.5"],
    ["rejects 1e21, which Go prints with an exponent", "1e21", "1e+21"],
    ["rejects 1e20, beyond Go's int", "1e20", "100000000000000000000"],
    ["rejects a number that overflows a float64", "1e400", "1e400"],
  ];
  for (const [name, text, shown] of rejected) {
    await t.step(`optionalInteger() ${name}`, () => {
      throwsDecodeError(
        () => optionalInteger(number(text), AT),
        `json: cannot unmarshal number ${shown} into Go struct field NetConf.mtu of type int`,
      );
    });
  }
  await t.step("optionalInteger() keeps -0 as it is", () => {
    assert.ok(Object.is(optionalInteger(-0, AT), -0));
  });
  await t.step("optionalInteger() reads the largest safe integers", () => {
    assert.equal(optionalInteger(Number.MAX_SAFE_INTEGER, AT), Number.MAX_SAFE_INTEGER);
    assert.equal(optionalInteger(Number.MIN_SAFE_INTEGER, AT), Number.MIN_SAFE_INTEGER);
  });
  await t.step("optionalInteger() reads absent and null as undefined", () => {
    assert.equal(optionalInteger(undefined, AT), undefined);
    assert.equal(optionalInteger(null, AT), undefined);
  });
});

Deno.test("OverflowNumber keeps a number a float64 cannot hold", async (t) => {
  await t.step("parseJson() keeps 1e400 with its text", () => {
    const parsed = parseJson('{"a":[1,1e400]}') as { a: unknown[] };
    assert.ok(parsed.a[1] instanceof OverflowNumber);
    assert.equal((parsed.a[1] as OverflowNumber).text, "1e400");
  });
  await t.step("JSON.stringify() writes an OverflowNumber back as it was", () => {
    assert.equal(JSON.stringify(parseJson('{"a":-2E+999}')), '{"a":-2E+999}');
  });
  await t.step("findOverflow() finds one at any depth", () => {
    const found = findOverflow(parseJson('{"a":{"b":[{"c":1e309}]}}'));
    assert.equal(found?.text, "1e309");
  });
  await t.step("findOverflow() finds none in ordinary JSON", () => {
    assert.equal(findOverflow(parseJson('{"a":{"b":[1e308,2]}}')), undefined);
  });
  await t.step("overflowError() names the number in Go's words", () => {
    assert.equal(
      overflowError(new OverflowNumber("1e400")).message,
      "json: cannot unmarshal number 1e400 into Go value of type float64",
    );
  });
  await t.step("typeMismatch() calls an OverflowNumber a number", () => {
    assert.equal(
      typeMismatch(new OverflowNumber("1e400"), AT, "string").message,
      "json: cannot unmarshal number into Go struct field NetConf.mtu of type string",
    );
  });
});

Deno.test("jsonKind(), goTypeName() and isJsonObject() name parsed values as Go does", async (t) => {
  const rows: [string, unknown, string, string, boolean][] = [
    ["a string", "x", "string", "string", false],
    ["a number", 1, "number", "float64", false],
    ["a number beyond float64", new OverflowNumber("1e400"), "number", "float64", false],
    ["a boolean", true, "bool", "bool", false],
    ["null", null, "null", "<nil>", false],
    ["an array", [], "array", "[]interface {}", false],
    ["an object", {}, "object", "map[string]interface {}", true],
  ];
  for (const [name, value, kind, type, object] of rows) {
    await t.step(`jsonKind(), goTypeName() and isJsonObject() of ${name}`, () => {
      assert.deepEqual([jsonKind(value), goTypeName(value), isJsonObject(value)], [
        kind,
        type,
        object,
      ]);
    });
  }
  await t.step("optionalObject() refuses a number beyond float64 as a number", () => {
    throwsDecodeError(
      () => optionalObject(new OverflowNumber("1e400"), AT, "types.IPAM"),
      "json: cannot unmarshal number into Go struct field NetConf.mtu of type types.IPAM",
    );
  });
});
