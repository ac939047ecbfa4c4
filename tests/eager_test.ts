import assert from "node:assert/strict";
import {
  calledDeclarations,
  eagerFunctions,
  eagerInnerFunctions,
  eagerModuleInits,
} from "../scripts/_eager.ts";
import { functionRanges } from "../scripts/_function_ranges.ts";
import { bundleDir, bundlePath } from "../scripts/manifest.ts";

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
  await t.step("eagerFunctions() leaves the declarations it is not asked for as they are", () => {
    assert.equal(
      eagerFunctions("function hot() {\n}\nfunction cold() {\n}", (name) => name === "hot"),
      "var hot = (function hot() {\n});\nfunction cold() {\n}",
    );
  });
});

Deno.test("eagerModuleInits() makes esbuild's module initializers function expressions", async (t) => {
  const init = [
    "var ErrorCode;",
    "var init_errors = __esm({",
    '  "lib/errors.ts"() {',
    "    ErrorCode = { internal: 999 };",
    "  }",
    "});",
  ].join("\n");
  await t.step("eagerModuleInits() rewrites the method and its closing line", () => {
    assert.equal(
      eagerModuleInits(init),
      [
        "var ErrorCode;",
        "var init_errors = __esm({",
        '  "lib/errors.ts": (function () {',
        "    ErrorCode = { internal: 999 };",
        "  })",
        "});",
      ].join("\n"),
    );
  });
  await t.step("eagerModuleInits() leaves other objects alone", () => {
    const other = 'var o = f({\n  "a"() {\n  }\n});';
    assert.equal(eagerModuleInits(other), other);
  });
  await t.step("eagerModuleInits() keeps esbuild's initializer working", () => {
    const helper = [
      "var __getOwnPropNames = Object.getOwnPropertyNames;",
      "var __esm = (fn, res) => function __init() {",
      "  return fn && (res = (0, fn[__getOwnPropNames(fn)[0]])(fn = 0)), res;",
      "};",
    ].join("\n");
    const run = new Function(
      `${helper}\n${eagerModuleInits(init)}\ninit_errors();\nreturn ErrorCode;`,
    );
    assert.deepEqual(run(), { internal: 999 });
  });
});

/** A module with each kind of function literal, and what calling them gives. */
const FORMS = `
export const arrow = (x) => x + 1;
export const block = (x) => {
  return x + 2;
};
export const asyncBlock = async (x) => {
  return x + 3;
};
export const asyncExpression = async (x) => x + 4;
export const asyncSingle = async x => x + 5;
export const asyncThis = { base: 6, make() { return async (x) => this.base + x; } };
export const expression = function (x) { return x + 7; };
export const generator = function* () { yield 8; };
export const curried = (a) => (b) => a + b;
export const object = () => ({ nine: 9 });
export function outer(x) {
  function inner(y) {
    return y * 2;
  }
  return [1, 2].map((v) => inner(v) + x);
}
`;

// deno-lint-ignore no-explicit-any
async function results(module: Record<string, any>) {
  return [
    module.arrow(1),
    module.block(1),
    await module.asyncBlock(1),
    await module.asyncExpression(1),
    await module.asyncSingle(1),
    await module.asyncThis.make()(1),
    module.expression(1),
    [...module.generator()],
    module.curried(1)(2),
    module.object(),
    module.outer(1),
    module.asyncBlock.name,
    module.expression.name,
  ];
}

Deno.test("eagerInnerFunctions() parenthesizes the functions V8 finds, and nothing changes", async (t) => {
  const dir = Deno.makeTempDirSync({ prefix: "eager_inner_test" });
  try {
    const path = `${dir}/forms.js`;
    Deno.writeTextFileSync(path, FORMS);
    const ranges = (await functionRanges([path])).get(path)!;
    const eager = eagerInnerFunctions(FORMS, ranges);
    const rows: [string, string][] = [
      ["an arrow function", "export const arrow = ((x) => x + 1);"],
      ["an async arrow function with a body", "export const asyncBlock = (async function (x) {"],
      [
        "an async arrow function with an expression",
        "export const asyncExpression = (async function (x) { return x + 4; });",
      ],
      [
        "an async arrow function of one bare parameter",
        "export const asyncSingle = (async function (x) { return x + 5; });",
      ],
      [
        "an async arrow function that uses this, left an arrow",
        "return async (x) => this.base + x;",
      ],
      ["a function expression", "export const expression = (function (x) { return x + 7; });"],
      ["a generator expression", "export const generator = (function* () { yield 8; });"],
      ["nested arrows ending together", "export const curried = ((a) => ((b) => a + b));"],
      ["an arrow returning an object", "export const object = (() => ({ nine: 9 }));"],
      ["a nested declaration, left lazy", "  function inner(y) {"],
      ["a callback", "return [1, 2].map(((v) => inner(v) + x));"],
      ["a method, left lazy", "make() {"],
    ];
    for (const [name, text] of rows) {
      await t.step(`eagerInnerFunctions() handles ${name}`, () => {
        assert.ok(eager.includes(text), eager);
      });
    }
    await t.step("eagerInnerFunctions() keeps what every function returns", async () => {
      const eagerPath = `${dir}/eager.js`;
      Deno.writeTextFileSync(eagerPath, eager);
      const before = await results(await import(`file://${path}`));
      const after = await results(await import(`file://${eagerPath}`));
      assert.deepEqual(after, before);
      assert.deepEqual(before.slice(-2), ["asyncBlock", "expression"]);
    });
    await t.step("eagerInnerFunctions() changes nothing without ranges", () => {
      assert.equal(eagerInnerFunctions(FORMS, []), FORMS);
    });
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
});

Deno.test("eagerInnerFunctions() puts the inner functions in the code cache", async () => {
  // Run twice with one DENO_DIR: the second run compiles nothing it calls, the eager module's
  // inner functions included; the original compiles its arrow function on the call.
  const dir = Deno.makeTempDirSync({ prefix: "eager_cache_test" });
  try {
    const source = [
      "var run = (function run() {",
      "  const add = (a, b) => a + b;",
      "  return add(1, 2);",
      "});",
      "run();",
      "await Deno.stdin.read(new Uint8Array(1));",
    ].join("\n");
    const lazyCompiles = async (file: string, code: string) => {
      const path = `${dir}/${file}`;
      Deno.writeTextFileSync(path, code);
      const log = `${dir}/${file}.log`;
      let compiled = "";
      for (let run = 0; run < 2; run++) {
        await new Deno.Command(Deno.execPath(), {
          args: [
            "run",
            "--quiet",
            "--no-config",
            `--v8-flags=--log-function-events,--logfile=${log},--no-logfile-per-isolate`,
            path,
          ],
          env: { DENO_DIR: `${dir}/deno-dir-${file}` },
          stdin: "null",
        }).output();
        compiled = Deno.readTextFileSync(log).split("\n")
          .filter((line) => line.startsWith("function,interpreter,") && line.endsWith(",add"))
          .join("\n");
      }
      return compiled;
    };
    const ranges = async (path: string) => (await functionRanges([path])).get(path)!;
    Deno.writeTextFileSync(`${dir}/ranges.js`, source);
    const eager = eagerInnerFunctions(source, await ranges(`${dir}/ranges.js`));
    assert.notEqual(await lazyCompiles("lazy.js", source), "");
    assert.equal(await lazyCompiles("eager.js", eager), "");
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
});

Deno.test("calledDeclarations() names the top-level functions that end where a call ended", () => {
  const code = "function hot() {\n  return 1;\n}\nfunction cold() {\n  return 2;\n}\n";
  const ranges = [
    { start: 12, end: 30, name: "hot" },
    { start: 44, end: 62, name: "cold" },
  ];
  assert.equal(code.slice(12, 30), "() {\n  return 1;\n}");
  assert.deepEqual(calledDeclarations(code, ranges, new Set([30])), new Set(["hot"]));
  assert.deepEqual(calledDeclarations(code, ranges, new Set()), new Set());
});

let entry: string | undefined;
try {
  entry = Deno.readTextFileSync(bundlePath("sample"));
} catch {
  console.log("eager bundle test ignored: no dist/sample/sample.js (run deno task bundle)");
}

Deno.test({
  name: "the sample's bundle: one module at start-up, what its verbs call compiled with it",
  ignore: entry === undefined,
  async fn(t) {
    await t.step("the entry imports no module at start-up, only lazy.js on use", () => {
      assert.doesNotMatch(entry!, /^import /m);
      assert.match(entry!, /import\("\.\/lazy\.js"\)/);
      const lazy = Deno.readTextFileSync(`${bundleDir("sample")}/lazy.js`);
      assert.match(lazy, /^import \{[^}]*\} from "\.\/sample\.js";$/m);
    });
    await t.step("what every verb calls is compiled with the module", () => {
      assert.match(entry!, /^var runPlugin = \(async function runPlugin\(/m);
      assert.match(entry!, /^var dispatch = \(async function dispatch\(/m);
      // The handler the plugin context wraps each verb in, an inner function.
      assert.match(entry!, /^ {2}return \(async function \(invocation\) \{$/m);
    });
    await t.step("the plugin runs without waiting for itself at the top level", () => {
      assert.match(entry!, /^if \(import\.meta\.main\) runPlugin\(samplePlugin\);$/m);
    });
  },
});
