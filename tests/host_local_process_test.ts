/**
 * deno-host-local as a real process, run from its bundle with exactly its plugins.json
 * permissions (tests/_process.ts): its answers byte for byte, next to Debian's Go host-local's
 * where that is installed, and the advice it gives when a permission is taken away.
 */
import assert from "node:assert/strict";
import { manifestEntry, RUN_FLAGS } from "../scripts/manifest.ts";
import { assertWellBehaved, pluginArgs, runPlugin } from "./_process.ts";

const GO = "/usr/lib/cni/host-local";

function hasGo(): boolean {
  try {
    return Deno.statSync(GO).isFile;
  } catch {
    return false;
  }
}

function env(command: string, containerId = "c1"): Record<string, string> {
  return {
    CNI_COMMAND: command,
    CNI_CONTAINERID: containerId,
    CNI_NETNS: "/var/run/netns/c1",
    CNI_IFNAME: "eth0",
    CNI_PATH: "/opt/cni/bin",
  };
}

async function runGo(vars: Record<string, string>, stdin: string) {
  const child = new Deno.Command(GO, {
    clearEnv: true,
    env: vars,
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const writer = child.stdin.getWriter();
  await writer.write(new TextEncoder().encode(stdin));
  await writer.close();
  const output = await child.output();
  return { code: output.code, stdout: new TextDecoder().decode(output.stdout) };
}

async function withDataDirs(fn: (ours: string, theirs: string) => Promise<void>) {
  const root = await Deno.makeTempDir({ prefix: "dcni-host-local-process-" });
  try {
    await Deno.mkdir(`${root}/ours`);
    await Deno.mkdir(`${root}/theirs`);
    await fn(`${root}/ours`, `${root}/theirs`);
  } finally {
    await Deno.remove(root, { recursive: true });
  }
}

function config(cniVersion: string, dataDir: string, extra: Record<string, unknown> = {}) {
  return JSON.stringify({
    cniVersion,
    name: "net1",
    type: "bridge",
    ipam: {
      type: "deno-host-local",
      subnet: "10.1.0.0/29",
      routes: [{ dst: "0.0.0.0/0" }],
      dataDir,
      ...extra,
    },
  });
}

Deno.test("deno-host-local prints what the Go host-local prints, byte for byte", async (t) => {
  pluginArgs("deno-host-local");
  const rows: [string, string, string][] = [
    ["ADD at 0.4.0", "ADD", "0.4.0"],
    ["ADD at 0.2.0", "ADD", "0.2.0"],
    ["CHECK at 0.4.0 of nobody's lease", "CHECK", "0.4.0"],
    ["DEL at 1.0.0", "DEL", "1.0.0"],
  ];
  for (const [name, command, version] of rows) {
    await t.step({
      name,
      ignore: !hasGo(),
      fn: () =>
        withDataDirs(async (ours, theirs) => {
          const mine = await runPlugin("deno-host-local", {
            env: env(command),
            stdin: config(version, ours),
          });
          assertWellBehaved(mine);
          const go = await runGo(env(command), config(version, theirs));
          assert.equal(mine.code, go.code, mine.stdout);
          assert.equal(mine.stdout, go.stdout);
        }),
    });
  }
  await t.step("a 1.0.0 result, in the spec 1.1.0 reference's key order", async () => {
    await withDataDirs(async (ours) => {
      const mine = await runPlugin("deno-host-local", {
        env: env("ADD"),
        stdin: config("1.0.0", ours),
      });
      assert.equal(mine.code, 0, mine.stderr);
      assert.equal(
        mine.stdout,
        JSON.stringify(
          {
            cniVersion: "1.0.0",
            ips: [{ address: "10.1.0.2/29", gateway: "10.1.0.1" }],
            routes: [{ dst: "0.0.0.0/0" }],
          },
          null,
          4,
        ),
      );
    });
  });
  await t.step("VERSION lists every version, 1.1.0 too", async () => {
    const version = await runPlugin("deno-host-local", { env: { CNI_COMMAND: "VERSION" } });
    assert.deepEqual(version.json, {
      cniVersion: "1.1.0",
      supportedVersions: ["0.1.0", "0.2.0", "0.3.0", "0.3.1", "0.4.0", "1.0.0", "1.1.0"],
    });
  });
});

Deno.test("deno-host-local names the plugins.json flag a missing permission needs", async () => {
  await withDataDirs(async (ours) => {
    const entry = manifestEntry("deno-host-local");
    const [, ...rest] = pluginArgs("deno-host-local");
    const bundle = rest.at(-1)!;
    const narrowed = entry.permissions.filter((flag) => flag !== "--allow-write");
    const child = new Deno.Command(Deno.execPath(), {
      args: ["run", ...RUN_FLAGS, ...narrowed, bundle],
      cwd: "/",
      clearEnv: true,
      env: env("ADD"),
      stdin: "piped",
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    const writer = child.stdin.getWriter();
    await writer.write(new TextEncoder().encode(config("1.0.0", ours)));
    await writer.close();
    const output = await child.output();
    const answer = JSON.parse(new TextDecoder().decode(output.stdout));
    assert.equal(output.code, 1);
    assert.deepEqual(answer, {
      code: 999,
      msg: `missing permission: deno-host-local may not write "${ours}/net1"`,
      details: 'add it to the --allow-write flag of the entry of "deno-host-local" in ' +
        "plugins.json and rebuild",
    });
  });
});
