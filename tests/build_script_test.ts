import assert from "node:assert/strict";
import { manifestEntry, readManifest, ROOT } from "../scripts/manifest.ts";

const decoder = new TextDecoder();

async function run(command: string, args: string[], env: Record<string, string> = {}) {
  const output = await new Deno.Command(command, {
    args,
    cwd: ROOT,
    env: { DENO_NO_UPDATE_CHECK: "1", ...env },
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).output();
  return {
    code: output.code,
    stdout: decoder.decode(output.stdout),
    stderr: decoder.decode(output.stderr),
  };
}

function buildScript(args: string[], env: Record<string, string>) {
  return run(Deno.execPath(), [
    "run",
    "--allow-read",
    "--allow-write",
    "--allow-env",
    "--allow-run",
    "scripts/build.ts",
    ...args,
  ], env);
}

async function versionOf(executable: string) {
  const output = await new Deno.Command(executable, {
    clearEnv: true,
    env: { CNI_COMMAND: "VERSION" },
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).output();
  assert.equal(output.code, 0, decoder.decode(output.stderr));
  return JSON.parse(decoder.decode(output.stdout));
}

Deno.test("scripts/build.ts compile fails with one line when the runtime cannot be had", async (t) => {
  const binDir = Deno.makeTempDirSync({ prefix: "dcni-bin-" });
  try {
    const cases: [string, string, RegExp][] = [
      [
        "a missing DENORT_BIN",
        "/nonexistent/denort",
        /^build: DENORT_BIN=\/nonexistent\/denort is not a file$/,
      ],
      [
        "the deno CLI as DENORT_BIN",
        Deno.execPath(),
        /^build: .*DENORT_BIN must be a denort runtime/,
      ],
    ];
    for (const [name, denort, message] of cases) {
      await t.step(`scripts/build.ts compile reports ${name}`, async () => {
        const { code, stderr } = await buildScript(["compile", "deno-noop"], {
          DENORT_BIN: denort,
          BIN_DIR: binDir,
        });
        assert.equal(code, 1);
        const lines = stderr.trim().split("\n");
        assert.equal(lines.length, 1, stderr);
        assert.match(lines[0]!, message);
        assert.deepEqual([...Deno.readDirSync(binDir)], [], "nothing is left in bin/");
      });
    }
  } finally {
    Deno.removeSync(binDir, { recursive: true });
  }
});

Deno.test("scripts/build.ts bin falls back to a launcher with the manifest's permissions", async () => {
  const binDir = Deno.makeTempDirSync({ prefix: "dcni-bin-" });
  try {
    const { code, stderr } = await buildScript(["bin", "sample"], {
      DENORT_BIN: "/nonexistent/denort",
      BIN_DIR: binDir,
    });
    assert.equal(code, 0, stderr);
    assert.match(stderr, /bin\/sample is a launcher of dist\/sample\/sample\.js/);
    const launcher = Deno.readTextFileSync(`${binDir}/sample`);
    for (const flag of manifestEntry("sample").permissions) assert.ok(launcher.includes(flag));
    assert.ok(!/ -A | '--allow-all'/.test(launcher));
    assert.equal(Deno.statSync(`${binDir}/sample`).mode! & 0o111, 0o111);
    assert.equal((await versionOf(`${binDir}/sample`)).cniVersion, "1.1.0");
  } finally {
    Deno.removeSync(binDir, { recursive: true });
  }
});

Deno.test("make install installs every plugin into CNI_PATH with the node installer", async () => {
  const cniPath = Deno.makeTempDirSync({ prefix: "dcni-install-" });
  try {
    const { code, stdout, stderr } = await run("make", ["--no-print-directory", "install"], {
      PATH: Deno.env.get("PATH") ?? "/usr/bin:/bin",
      CNI_PATH: cniPath,
      DENORT_BIN: "/nonexistent/denort",
    });
    assert.equal(code, 0, stderr);
    const installed = [...Deno.readDirSync(cniPath)].map((e) => e.name).sort();
    const names = readManifest().map((p) => p.name).sort();
    assert.deepEqual(installed, [".deno-cni-installed.json", ...names], "no temporary file left");
    for (const name of names) assert.match(stdout, new RegExp(`installed ${cniPath}/${name}`));
    assert.deepEqual((await versionOf(`${cniPath}/deno-noop`)).supportedVersions.at(-1), "1.1.0");
  } finally {
    Deno.removeSync(cniPath, { recursive: true });
  }
});
