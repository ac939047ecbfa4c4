import assert from "node:assert/strict";
import { eagerFunctions } from "../scripts/_eager.ts";
import { bundlePath } from "../scripts/manifest.ts";

Deno.test("eagerFunctions()", async (t) => {
  const rows: [string, string, string][] = [
    [
      "moves a declaration to the top as a parenthesized expression",
      "var a = 1;\nfunction f(x) {\n  return x + a;\n}\nf(2);",
      "var f = (function f(x) {\n  return x + a;\n});\nvar a = 1;\nf(2);",
    ],
    [
      "keeps async functions and generators",
      "async function f() {\n  await 0;\n}\nfunction* g() {\n  yield 1;\n}",
      "var f = (async function f() {\n  await 0;\n});\nvar g = (function* g() {\n  yield 1;\n});",
    ],
    [
      "takes a one-line function",
      "function f() { return 1; }\nf();",
      "var f = (function f() { return 1; });\nf();",
    ],
    [
      "leaves indented functions and function expressions alone",
      "var o = {\n  m() {\n  }\n};\nvar g = function() {\n};",
      "var o = {\n  m() {\n  }\n};\nvar g = function() {\n};",
    ],
    [
      "keeps a hashbang first",
      "#!/usr/bin/env -S deno run\nfunction f() {\n}",
      "#!/usr/bin/env -S deno run\nvar f = (function f() {\n});",
    ],
  ];
  for (const [name, input, expected] of rows) {
    await t.step(`eagerFunctions() ${name}`, () => {
      assert.equal(eagerFunctions(input), expected);
    });
  }
  await t.step("eagerFunctions() rejects a declaration without a closing line", () => {
    assert.throws(() => eagerFunctions("function f() {\n  return 1;"), /no closing line/);
  });
});

Deno.test("eagerFunctions() keeps a module's behaviour", async (t) => {
  // A function called before its declaration, as hoisting allows, and one that refers to a
  // class defined later: both must work after the rewrite.
  const module = [
    "export const early = twice(4);",
    "function twice(x) {",
    "  return 2 * x;",
    "}",
    "export function make() {",
    "  return new Thing();",
    "}",
    "var Thing = class {",
    "  name = 'thing';",
    "};",
    "export { twice };",
  ].join("\n");
  const dir = Deno.makeTempDirSync({ prefix: "eager_test" });
  try {
    const path = `${dir}/module.js`;
    Deno.writeTextFileSync(path, eagerFunctions(module));
    const loaded = await import(`file://${path}`);
    await t.step("eagerFunctions() keeps a call before the declaration working", () => {
      assert.equal(loaded.early, 8);
    });
    await t.step("eagerFunctions() keeps exports and later classes working", () => {
      assert.equal(loaded.twice(5), 10);
      assert.equal(loaded.make().name, "thing");
      assert.equal(loaded.twice.name, "twice");
    });
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
});

let bundle: string | undefined;
try {
  bundle = Deno.readTextFileSync(bundlePath("sample"));
} catch {
  console.log("eager bundle test ignored: no dist/sample/sample.js (run deno task bundle)");
}

Deno.test({
  name: "the sample's bundle has no lazy top-level function left",
  ignore: bundle === undefined,
  fn() {
    const declarations = bundle!.split("\n").filter((l) => /^(async )?function\*? /.test(l));
    assert.deepEqual(declarations, []);
    assert.match(bundle!, /^var runPlugin = \(async function runPlugin\(/m);
  },
});
