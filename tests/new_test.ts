/**
 * The scaffold (scripts/new.ts, `deno task new`) end to end, in a temporary copy of the project
 * so the tree is never touched: it writes a plugin of each kind, and the files it writes pass the
 * project's checks unchanged (fmt, lint, type check, their own tests), bundle, and run with the
 * permissions it put in plugins.json. Bad requests change nothing.
 */
import assert from "node:assert/strict";
import { RUN_FLAGS } from "../scripts/manifest.ts";

const ROOT = new URL("..", import.meta.url).pathname.replace(/\/$/, "");
const DENO = Deno.execPath();

/** What the copy needs: the library, the scripts with the templates, the manifest, deno.json. */
const COPIED = ["deno.json", "deno.lock", "plugins.json", "lib", "scripts"];

interface Output {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs a command in `cwd`; with `cleanEnv`, its environment holds only `cleanEnv`. */
async function run(
  cwd: string,
  args: string[],
  cleanEnv?: Record<string, string>,
): Promise<Output> {
  const output = await new Deno.Command(args[0]!, {
    args: args.slice(1),
    cwd,
    clearEnv: cleanEnv !== undefined,
    env: cleanEnv ?? { NO_COLOR: "1" },
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).output();
  const decoder = new TextDecoder();
  return {
    code: output.code,
    stdout: decoder.decode(output.stdout),
    stderr: decoder.decode(output.stderr),
  };
}

async function copyProject(): Promise<string> {
  const dir = await Deno.makeTempDir({ prefix: "dcni-new-test-" });
  for (const name of COPIED) {
    const copied = await run(ROOT, ["cp", "-R", `${ROOT}/${name}`, `${dir}/${name}`]);
    assert.equal(copied.code, 0, copied.stderr);
  }
  for (const name of ["plugins", "tests", "netconf"]) await Deno.mkdir(`${dir}/${name}`);
  return dir;
}

/** The command `deno task new` runs, from deno.json. */
function newCommand(): string[] {
  const config = JSON.parse(Deno.readTextFileSync(`${ROOT}/deno.json`));
  const task: string = config.tasks.new;
  assert.match(task, /^deno run [^|;&]*scripts\/new\.ts$/, "the task runs scripts/new.ts");
  return [DENO, ...task.split(" ").slice(1)];
}

/** Every file under `dir`, relative to it, sorted. */
function listFiles(dir: string, prefix = ""): string[] {
  const files: string[] = [];
  for (const entry of Deno.readDirSync(`${dir}/${prefix}`)) {
    const path = prefix === "" ? entry.name : `${prefix}/${entry.name}`;
    if (entry.isDirectory) files.push(...listFiles(dir, path));
    else files.push(path);
  }
  return files.sort();
}

/** A plugin of each kind; the chained one has the longest name allowed, to stress formatting. */
const KINDS = [
  { kind: "chained", name: "route-add-with-a-name-of-30-ch" },
  { kind: "interface", name: "veth-test" },
  { kind: "ipam", name: "pool-test" },
] as const;

Deno.test("deno task new writes plugins that pass the project's checks", async (t) => {
  const dir = await copyProject();
  try {
    const generated: string[] = [];
    for (const { kind, name } of KINDS) {
      await t.step(`new writes the ${kind} plugin "${name}" and its manifest entry`, async () => {
        const created = await run(dir, [...newCommand(), name, "--kind", kind]);
        assert.equal(created.code, 0, created.stderr);
        const files = [
          `plugins/${name}.ts`,
          `tests/${name}_test.ts`,
          `tests/testdata/${name}/config.json`,
          `netconf/${name}.conflist`,
        ];
        for (const file of files) assert.ok(Deno.statSync(`${dir}/${file}`).isFile, file);
        generated.push(...files);
        const manifest = JSON.parse(await Deno.readTextFile(`${dir}/plugins.json`));
        assert.equal(manifest[name].entry, `plugins/${name}.ts`);
        assert.ok(manifest[name].permissions.length > 0);
        assert.ok(!manifest[name].permissions.some((p: string) => p === "-A"));
        const conflist = JSON.parse(await Deno.readTextFile(`${dir}/netconf/${name}.conflist`));
        assert.equal(conflist.name, name);
        assert.ok(
          JSON.stringify(conflist.plugins).includes(`"type":"${name}"`),
          "the network uses the plugin",
        );
      });
    }

    const names = KINDS.map((k) => k.name);
    const rows = [
      { what: "deno fmt --check", args: ["fmt", "--check", "plugins.json", ...generated] },
      { what: "deno lint", args: ["lint", ...generated.filter((f) => f.endsWith(".ts"))] },
      { what: "deno check", args: ["check", ...generated.filter((f) => f.endsWith(".ts"))] },
      {
        what: "their own tests (deno test)",
        args: [
          "test",
          "--allow-read",
          "--allow-write",
          "--allow-env",
          "--allow-run",
          ...names.map((n) => `tests/${n}_test.ts`),
        ],
      },
      {
        what: "the bundle step of the build",
        args: [
          "run",
          "--allow-read",
          "--allow-write",
          "--allow-env",
          "--allow-run",
          "scripts/build.ts",
          "bundle",
          ...names,
        ],
      },
    ];
    for (const row of rows) {
      await t.step(`the generated files pass ${row.what}`, async () => {
        const checked = await run(dir, [DENO, ...row.args]);
        assert.equal(checked.code, 0, checked.stdout + checked.stderr);
      });
    }

    const manifest = JSON.parse(await Deno.readTextFile(`${dir}/plugins.json`));
    for (const name of names) {
      await t.step(`the bundled ${name} answers VERSION with its own permissions`, async () => {
        const args = ["run", ...RUN_FLAGS, ...manifest[name].permissions, `dist/${name}.js`];
        const version = await run(dir, [DENO, ...args], { CNI_COMMAND: "VERSION" });
        assert.equal(version.code, 0, version.stderr);
        assert.equal(version.stderr, "");
        assert.ok(JSON.parse(version.stdout).supportedVersions.includes("1.0.0"));
      });
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("deno task new refuses a bad request and writes nothing", async (t) => {
  const dir = await copyProject();
  try {
    const before = listFiles(dir);
    const manifest = await Deno.readTextFile(`${dir}/plugins.json`);
    const rows = [
      { name: "an existing plugin", args: ["noop"], message: 'already has a plugin "noop"' },
      { name: "a reference plugin's name", args: ["bridge"], message: "reference plugin" },
      { name: "an upper-case name", args: ["Route"], message: "invalid plugin name" },
      { name: "a name of 31 characters", args: ["a".repeat(31)], message: "at most 30" },
      { name: "a path", args: ["../x"], message: "invalid plugin name" },
      {
        name: "an unknown kind",
        args: ["x", "--kind", "bridge"],
        message: 'unknown kind "bridge"',
      },
      { name: "no name", args: [], message: "exactly one plugin name" },
      { name: "two names", args: ["a", "b"], message: "exactly one plugin name" },
      { name: "an unknown flag", args: ["x", "--force"], message: "usage:" },
    ];
    for (const row of rows) {
      await t.step(`new refuses ${row.name}`, async () => {
        const refused = await run(dir, [...newCommand(), ...row.args]);
        assert.equal(refused.code, 2);
        assert.ok(refused.stderr.includes(row.message), refused.stderr);
        assert.deepEqual(listFiles(dir), before);
        assert.equal(await Deno.readTextFile(`${dir}/plugins.json`), manifest);
      });
    }
    await t.step("new refuses to overwrite an existing file", async () => {
      await Deno.writeTextFile(`${dir}/tests/taken_test.ts`, "// mine\n");
      const refused = await run(dir, [...newCommand(), "taken"]);
      assert.equal(refused.code, 2);
      assert.ok(refused.stderr.includes("would overwrite tests/taken_test.ts"), refused.stderr);
      assert.equal(await Deno.readTextFile(`${dir}/tests/taken_test.ts`), "// mine\n");
      assert.equal(await Deno.readTextFile(`${dir}/plugins.json`), manifest);
    });
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
