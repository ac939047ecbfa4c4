import assert from "node:assert/strict";
import {
  child,
  DecodeError,
  field,
  fieldNames,
  isJsonObject,
  optionalArray,
  optionalBoolean,
  optionalInteger,
  optionalObject,
  optionalString,
  optionalStringList,
  readFields,
  typeMismatch,
} from "../lib/_decode.ts";

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
    ["matches keys case-insensitively (C2)", '{"NAME":"a"}', "name", "a"],
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
      const fields = readFields(JSON.parse(json), fieldNames(key, "other", "mtu"));
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
  await t.step("optionalInteger() rejects a fraction like Go", () => {
    throwsDecodeError(
      () => optionalInteger(1.5, AT),
      "json: cannot unmarshal number 1.5 into Go struct field NetConf.mtu of type int",
    );
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
