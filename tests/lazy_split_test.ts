/**
 * scripts/_lazy_split.ts: a single-file bundle split into the entry module and the lazy module
 * its dynamic imports load; the functions of scripts/_function_ranges.ts that find where V8's
 * function literals are.
 */
import assert from "node:assert/strict";
import { functionRanges, parseFunctionEvents } from "../scripts/_function_ranges.ts";
import { splitLazyModules, topLevelAwait, topLevelNames } from "../scripts/_lazy_split.ts";

Deno.test("topLevelNames() reads the names esbuild declares at the top level", () => {
  const lines = [
    "var a = 1;",
    "var ErrorCode, CniError;",
    'var b = f(1, 2), c = { d: "e, g" };',
    "let h;",
    "const [notMe] = [];",
    "function named(x) {",
    "  var inner = 1;",
    "}",
    "async function later() {",
    "function* gen() {",
    "class Thing extends Error {",
  ];
  assert.deepEqual(
    [...topLevelNames(lines)].sort(),
    ["CniError", "ErrorCode", "Thing", "a", "b", "c", "gen", "h", "later", "named"],
  );
});

Deno.test("topLevelAwait() finds an await outside every function", async (t) => {
  const code = "async function f() {\n  await 1;\n}\nawait f();\n";
  const ranges = [{ start: 16, end: 33 }];
  await t.step("topLevelAwait() skips an await inside a function", () => {
    assert.equal(code.slice(16, 33), "() {\n  await 1;\n}");
    assert.equal(topLevelAwait(code.slice(0, 34), ranges), undefined);
  });
  await t.step("topLevelAwait() finds one at the top level", () => {
    assert.equal(topLevelAwait(code, ranges), 34);
  });
});

Deno.test("parseFunctionEvents() reads V8's function events of the wanted scripts", () => {
  const log = [
    "script-details,7,file:///x/a.js,0,0,",
    "script-details,8,ext:core/00_infra.js,0,0,",
    "function,full-parse,7,10,40,0.01,100,outer",
    "function,parse,7,20,30,0.01,101,arrow function",
    "function,interpreter,7,20,30,0.01,102,inner",
    "function,first-execution,7,50,60,0,103,late",
    "function,full-parse,8,1,9,0.01,104,internal",
    "function,parse,7,35,35,0.01,105,<instance_members_initializer>",
  ].join("\n");
  assert.deepEqual(
    parseFunctionEvents(log, ["file:///x/a.js"]),
    new Map([["file:///x/a.js", [
      { start: 10, end: 40, name: "outer" },
      { start: 20, end: 30, name: "arrow function" },
    ]]]),
  );
});

/** A plugin in three modules: one loaded with import(), sharing a class and a function. */
const FIXTURE: Record<string, string> = {
  "shared.ts": [
    "export class Refused extends Error {}",
    "export function twice(x: number): number {",
    "  return 2 * x;",
    "}",
  ].join("\n"),
  "later.ts": [
    'import { Refused, twice } from "./shared.ts";',
    "export const TABLE = { one: 1 };",
    "export function lateWork(x: number): number {",
    '  if (x < 0) throw new Refused("negative");',
    "  return twice(x) + TABLE.one;",
    "}",
  ].join("\n"),
  "entry.ts": [
    'import { Refused, twice } from "./shared.ts";',
    "export const early = twice(2);",
    "export async function work(x: number): Promise<number | string> {",
    '  const { lateWork } = await import("./later.ts");',
    "  try {",
    "    return lateWork(x);",
    "  } catch (error) {",
    '    return error instanceof Refused ? "refused" : "other";',
    "  }",
    "}",
    "async function runPlugin(x: number): Promise<void> {",
    "  console.log(await work(x), await work(-x));",
    "  Deno.exit(0);",
    "}",
    "if (import.meta.main) await runPlugin(21);",
  ].join("\n"),
};

Deno.test("splitLazyModules() splits a bundle into modules that work as the bundle did", async (t) => {
  const dir = Deno.makeTempDirSync({ prefix: "lazy_split_test" });
  try {
    for (const [name, text] of Object.entries(FIXTURE)) {
      Deno.writeTextFileSync(`${dir}/${name}`, text);
    }
    const bundled = await new Deno.Command(Deno.execPath(), {
      args: [
        "bundle",
        "--quiet",
        "--no-config",
        "--output",
        `${dir}/out/plugin.js`,
        `${dir}/entry.ts`,
      ],
      stdout: "null",
      stderr: "piped",
    }).output();
    assert.ok(bundled.success, new TextDecoder().decode(bundled.stderr));
    const single = Deno.readTextFileSync(`${dir}/out/plugin.js`);
    const split = splitLazyModules(single, "plugin.js", "lazy.js");
    Deno.writeTextFileSync(`${dir}/out/plugin.js`, split.entry);
    Deno.writeTextFileSync(`${dir}/out/lazy.js`, split.lazy!);

    await t.step("splitLazyModules() moves the dynamically imported module out", () => {
      assert.ok(single.includes("function lateWork("));
      assert.ok(!split.entry.includes("function lateWork("));
      assert.ok(split.lazy!.includes("function lateWork("));
      assert.ok(split.entry.includes("function twice("));
      assert.ok(!split.lazy!.includes("function twice("));
    });
    await t.step("splitLazyModules() loads the lazy module where the bundle imported", () => {
      assert.match(
        split.entry,
        /import\("\.\/lazy\.js"\)\.then\(\(m\) => \(m\.init_later\(\), m\.later_exports\)\)/,
      );
      assert.match(split.lazy!, /^import \{.*twice\$lazy as twice.*\} from "\.\/plugin\.js";$/m);
      assert.match(split.lazy!, /^export \{ init_later, later_exports \};$/m);
    });
    await t.step("splitLazyModules() runs the plugin without a top-level await", () => {
      assert.match(single, /^if \(import\.meta\.main\) await runPlugin\(21\);$/m);
      assert.match(split.entry, /^if \(import\.meta\.main\) runPlugin\(21\);$/m);
      const path = `${dir}/out/plugin.js`;
      return functionRanges([path]).then((ranges) => {
        assert.equal(topLevelAwait(split.entry, ranges.get(path)!), undefined);
      });
    });
    await t.step("the split modules run as the bundle, sharing one class", async () => {
      const run = await new Deno.Command(Deno.execPath(), {
        args: ["run", "--quiet", "--no-config", `${dir}/out/plugin.js`],
        stdin: "null",
        stdout: "piped",
        stderr: "piped",
      }).output();
      assert.equal(new TextDecoder().decode(run.stdout), "43 refused\n");
      assert.equal(run.code, 0, new TextDecoder().decode(run.stderr));
      const module = await import(`file://${dir}/out/plugin.js`);
      assert.equal(module.early, 4);
      assert.equal(await module.work(3), 7);
    });
    await t.step("splitLazyModules() leaves a bundle without dynamic imports whole", () => {
      const whole = "function f() {\n  return 1;\n}\nexport { f };\n";
      assert.deepEqual(splitLazyModules(whole, "plugin.js", "lazy.js"), {
        entry: whole,
        lazy: undefined,
      });
    });
    await t.step("splitLazyModules() refuses an entry that would still use the lazy module", () => {
      const stranded = `${single}\nvar again = init_later;\n`;
      assert.throws(
        () => splitLazyModules(stranded, "plugin.js", "lazy.js"),
        /the entry module still uses what moved to the lazy module: init_later/,
      );
    });
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
});
