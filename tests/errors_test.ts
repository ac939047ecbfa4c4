import assert from "node:assert/strict";
import { CniError, ErrorCode, toCniError } from "../lib/errors.ts";

Deno.test("ErrorCode matches the spec's table", async (t) => {
  const rows: [keyof typeof ErrorCode, number][] = [
    ["unknown", 0],
    ["incompatibleCniVersion", 1],
    ["unsupportedField", 2],
    ["unknownContainer", 3],
    ["invalidEnvironmentVariables", 4],
    ["ioFailure", 5],
    ["decodingFailure", 6],
    ["invalidNetworkConfig", 7],
    ["invalidNetns", 8],
    ["tryAgainLater", 11],
    ["pluginNotAvailable", 50],
    ["pluginNotAvailableLimitedConnectivity", 51],
    ["internal", 999],
  ];
  for (const [name, code] of rows) {
    await t.step(`ErrorCode.${name} is ${code}`, () => {
      assert.equal(ErrorCode[name], code);
    });
  }
  await t.step("ErrorCode has no other members", () => {
    assert.equal(Object.keys(ErrorCode).length, rows.length);
  });
});

Deno.test("CniError", async (t) => {
  await t.step("CniError keeps code, message and details", () => {
    const error = new CniError(7, "bad config", "key x");
    assert.ok(error instanceof Error);
    assert.equal(error.name, "CniError");
    assert.equal(error.code, 7);
    assert.equal(error.message, "bad config");
    assert.equal(error.details, "key x");
  });
  await t.step("CniError defaults details to the empty string", () => {
    assert.equal(new CniError(1, "m").details, "");
  });
  await t.step("CniError.toJSON() has code, msg and details in that order", () => {
    const wire = new CniError(4, "m", "d").toJSON();
    assert.deepEqual(wire, { code: 4, msg: "m", details: "d" });
    assert.deepEqual(Object.keys(wire), ["code", "msg", "details"]);
  });
  await t.step("CniError.toJSON() leaves out empty details", () => {
    const wire = new CniError(4, "m").toJSON();
    assert.deepEqual(wire, { code: 4, msg: "m" });
    assert.equal("details" in wire, false);
  });
  await t.step("CniError.toJSON() keeps an empty message and code 0", () => {
    assert.deepEqual(new CniError(0, "").toJSON(), { code: 0, msg: "" });
  });
  await t.step("CniError.toJSON() never carries cniVersion", () => {
    assert.equal("cniVersion" in new CniError(1, "m", "d").toJSON(), false);
  });
  await t.step("CniError.toString() is msg alone without details", () => {
    assert.equal(String(new CniError(1, "incompatible CNI versions")), "incompatible CNI versions");
  });
  await t.step("CniError.toString() is msg; details with details", () => {
    assert.equal(String(new CniError(4, "m", "d")), "m; d");
  });
});

Deno.test("toCniError()", async (t) => {
  const typed = new CniError(11, "try again", "busy");
  await t.step("toCniError() returns a CniError unchanged", () => {
    assert.equal(toCniError(typed), typed);
  });
  await t.step(
    "toCniError() unwraps a CniError given as cause, dropping the outer text",
    () => {
      assert.equal(toCniError(new Error("outer", { cause: typed })), typed);
    },
  );
  await t.step("toCniError() unwraps a deep cause chain", () => {
    let error: Error = typed;
    for (let i = 0; i < 20; i++) error = new Error(`layer ${i}`, { cause: error });
    assert.equal(toCniError(error), typed);
  });
  await t.step("toCniError() takes the outermost CniError of a chain", () => {
    const outer = new CniError(3, "gone");
    const wrapped = new Error("x", { cause: outer });
    (outer as { cause?: unknown }).cause = typed;
    assert.equal(toCniError(wrapped), outer);
  });
  await t.step("toCniError() survives a cause cycle", () => {
    const a = new Error("a");
    const b = new Error("b", { cause: a });
    a.cause = b;
    const error = toCniError(a);
    assert.equal(error.code, 999);
    assert.equal(error.message, "a");
  });
  await t.step("toCniError() turns a plain Error into code 999 with its message", () => {
    const error = toCniError(new Error("must be called as chained plugin"));
    assert.deepEqual(error.toJSON(), { code: 999, msg: "must be called as chained plugin" });
  });
  await t.step("toCniError() keeps a non-CniError cause out of the message", () => {
    const error = toCniError(new Error("outer", { cause: new Error("inner") }));
    assert.deepEqual(error.toJSON(), { code: 999, msg: "outer" });
  });
  await t.step("toCniError() turns a thrown string into code 999", () => {
    assert.deepEqual(toCniError("boom").toJSON(), { code: 999, msg: "boom" });
  });
  await t.step("toCniError() turns undefined into code 999", () => {
    assert.deepEqual(toCniError(undefined).toJSON(), { code: 999, msg: "undefined" });
  });
  await t.step("toCniError() keeps a plugin's own code above 99", () => {
    assert.equal(toCniError(new CniError(120, "plugin specific")).code, 120);
  });
});
