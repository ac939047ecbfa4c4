/**
 * The newcomer's proof: tests/testdata/external is a plugin project of its own, written only
 * against the public entry points of `@deno-cni/deno-cni`. A copy of it outside the repository,
 * its import map pointing at this checkout's lib/, passes `deno check` and its own `deno test`
 * (which need no permission at all: sysctl-tune's run on the model kernel of the package's
 * `/testing`), and each plugin answers VERSION when run with the permissions its deno.json
 * compiles it with, which let neither run a program.
 */
import assert from "node:assert/strict";
import {
  copyExternalProject,
  EXTERNAL_PROJECT,
  PACKAGE_ENTRY_POINTS,
  REPO_ROOT,
  taskPermissions,
} from "./_external_project.ts";

interface Output {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs Deno in `cwd` with `args`; stdin is empty. */
async function deno(cwd: string, args: string[], env: Record<string, string> = {}) {
  const output = await new Deno.Command(Deno.execPath(), {
    args,
    cwd,
    env: { NO_COLOR: "1", ...env },
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).output();
  const decoder = new TextDecoder();
  const result: Output = {
    code: output.code,
    stdout: decoder.decode(output.stdout),
    stderr: decoder.decode(output.stderr),
  };
  return result;
}

/** The specifiers a module imports, static and dynamic. */
function importsOf(source: string): string[] {
  const found = source.matchAll(/(?:\bfrom\s+|\bimport\s*\(?\s*)"([^"]+)"/g);
  return [...found].map((match) => match[1]!);
}

Deno.test("the external project imports the library only by its package name", async () => {
  const modules = [...Deno.readDirSync(EXTERNAL_PROJECT)]
    .filter((entry) => entry.isFile && entry.name.endsWith(".ts"))
    .map((entry) => entry.name)
    .sort();
  assert.deepEqual(modules, [
    "static_list.ts",
    "static_list_test.ts",
    "sysctl_tune.ts",
    "sysctl_tune_test.ts",
  ]);
  for (const module of modules) {
    const source = await Deno.readTextFile(`${EXTERNAL_PROJECT}/${module}`);
    for (const specifier of importsOf(source)) {
      const allowed = PACKAGE_ENTRY_POINTS.includes(specifier) ||
        specifier.startsWith("node:") || /^\.\/[a-z_]+\.ts$/.test(specifier);
      assert.ok(allowed, `${module} imports ${specifier}`);
    }
  }
});

Deno.test("the external project passes check and its own tests, outside the repo", async (t) => {
  const dir = await copyExternalProject();
  try {
    await t.step("its package imports resolve to this checkout's lib/", async () => {
      const rows = [
        { module: "sysctl_tune.ts", reached: ["lib/mod.ts", "lib/netns.ts"] },
        // modelKernel, as `@deno-cni/deno-cni/testing` exports it.
        { module: "sysctl_tune_test.ts", reached: ["lib/testing.ts", "lib/model_kernel.ts"] },
      ];
      for (const { module, reached } of rows) {
        const info = await deno(dir, ["info", "--json", module]);
        assert.equal(info.code, 0, info.stderr);
        const modules: { specifier: string }[] = JSON.parse(info.stdout).modules;
        const specifiers = modules.map((m) => m.specifier);
        for (const path of reached) {
          assert.ok(specifiers.includes(`file://${REPO_ROOT}/${path}`), `${module}: ${path}`);
        }
      }
    });

    await t.step("deno check", async () => {
      const checked = await deno(dir, ["check", "."]);
      assert.equal(checked.code, 0, checked.stdout + checked.stderr);
      assert.match(checked.stderr, /Check .*sysctl_tune_test\.ts/);
    });

    await t.step("deno test, with no permission flag", async () => {
      const tested = await deno(dir, ["test"]);
      assert.equal(tested.code, 0, tested.stdout + tested.stderr);
      assert.match(tested.stdout, /running \d+ tests from \.\/static_list_test\.ts/);
      assert.match(tested.stdout, /running \d+ tests from \.\/sysctl_tune_test\.ts/);
      const summary = /ok \| (\d+) passed \((\d+) steps\) \| 0 failed/.exec(tested.stdout);
      assert.ok(summary !== null, tested.stdout);
      assert.ok(Number(summary[1]) >= 10 && Number(summary[2]) >= 40, summary[0]);
      assert.doesNotMatch(tested.stdout, /ignored/);
    });

    const plugins = [
      { task: "compile:sysctl-tune", file: "sysctl_tune.ts" },
      { task: "compile:static-list", file: "static_list.ts" },
    ];
    for (const { task, file } of plugins) {
      await t.step(`${file} answers VERSION with the flags of "${task}"`, async () => {
        const flags = taskPermissions(dir, task);
        assert.ok(flags.length > 0 && !flags.includes("--allow-all") && !flags.includes("-A"));
        assert.ok(!flags.some((flag) => flag.startsWith("--allow-run")), "it runs no program");
        const args = ["run", "--no-lock", "--no-prompt", "--quiet", ...flags, file];
        const version = await deno(dir, args, { CNI_COMMAND: "VERSION" });
        assert.equal(version.code, 0, version.stderr);
        assert.equal(version.stderr, "");
        assert.ok(JSON.parse(version.stdout).supportedVersions.includes("1.0.0"));
      });
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
