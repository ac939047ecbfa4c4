/**
 * conform (cli/conform.ts) passes deno-tuning, chained after a plugin that makes the interface,
 * at every spec version it speaks, as root, as `deno task conform` runs it: after deno-ptp with
 * deno-host-local (every version; GC and STATUS at 1.1.0), after Debian's bridge with host-local
 * (the versions of Debian's plugins), and on the shipped network netconf/tuned.conflist. Every
 * setting is tuned (sysctls with IFNAME, MAC, MTU, promiscuous and all-multicast modes, queue
 * length); the backups go to a temporary `dataDir`, which holds none afterwards.
 */
import assert from "node:assert/strict";
import { runConform } from "./_conform.ts";
import type { CheckResult } from "../../cli/_conform/types.ts";
import { ALL_VERSIONS, versionHasCheck, versionHasGcAndStatus } from "../../lib/mod.ts";
import { ensureProjectBin, PROJECT_BIN, PROJECT_NETCONF } from "./_deno_cni.ts";
import {
  Cleanup,
  createNetns,
  deleteNetns,
  isFile,
  isRoot,
  makeTempDir,
  missingPrerequisites,
  onPath,
  REFERENCE_PLUGIN_DIR,
} from "./_netns.ts";

const missing = missingPrerequisites({
  root: isRoot,
  "ip (apt-get install iproute2)": () => onPath("ip"),
  "nsenter (apt-get install util-linux)": () => onPath("nsenter"),
  [`${REFERENCE_PLUGIN_DIR}/{bridge,host-local} (apt-get install containernetworking-plugins)`]:
    () => ["bridge", "host-local"].every((p) => isFile(`${REFERENCE_PLUGIN_DIR}/${p}`)),
});
const skip = missing.length === 0 ? undefined : `missing: ${missing.join(", ")}`;
if (skip !== undefined) console.log(`tuning conform e2e skipped, ${skip}`);

/** The versions of Debian's plugins. */
const GO_VERSIONS = ["0.3.1", "0.4.0", "1.0.0"];

/** conform with the project's plugins and Debian's in CNI_PATH, and `env`. */
async function conform(args: readonly string[], env: Record<string, string>, dir: string) {
  const run = await runConform(
    args,
    { CNI_PATH: `${PROJECT_BIN}:${REFERENCE_PLUGIN_DIR}`, ...env },
    dir,
  );
  return { output: run, report: run.report };
}

/** The checks a version has no verb for: CHECK before 0.4.0, GC and STATUS before 1.1.0. */
function skipsAt(plugins: readonly string[], version: string): string[] {
  return plugins.flatMap((plugin) => [
    ...(versionHasCheck(version) ? [] : [`${plugin} check`]),
    ...(versionHasGcAndStatus(version) ? [] : [`${plugin} status`, `${plugin} gc`]),
  ]);
}

/** The deno-tuning entry of a list: every setting, its backups in `dataDir`. */
function tuning(dataDir: string): Record<string, unknown> {
  return {
    type: "deno-tuning",
    dataDir,
    sysctl: { "net.ipv4.conf.IFNAME.rp_filter": "2", "net.core.somaxconn": "512" },
    mac: "0a:58:0a:f4:00:aa",
    mtu: 1400,
    promisc: true,
    allmulti: true,
    txQLen: 500,
  };
}

async function assertPassed(
  run: Awaited<ReturnType<typeof conform>>,
  plugins: readonly string[],
  version: string,
  tuningDir: string,
): Promise<void> {
  const { output, report } = run;
  const named = (outcome: CheckResult["outcome"]) =>
    report.checks.filter((c) => c.outcome === outcome).map((c) => `${c.plugin} ${c.check}`);
  assert.deepEqual(named("fail"), [], output.stdout + output.stderr);
  assert.deepEqual(named("skip"), skipsAt(plugins, version));
  assert.ok(named("pass").includes("deno-tuning add"));
  assert.equal(output.code, 0, output.stderr);
  const left: string[] = [];
  try {
    for await (const entry of Deno.readDir(tuningDir)) left.push(entry.name);
  } catch (error) {
    if (!(error instanceof Deno.errors.NotFound)) throw error;
  }
  assert.deepEqual(left, [], "DEL removed every backup");
}

Deno.test({
  name: "conform passes deno-tuning chained after deno-ptp at every spec version",
  ignore: skip !== undefined,
  async fn(t) {
    await ensureProjectBin();
    const cleanup = new Cleanup();
    try {
      const dir = await makeTempDir(cleanup, "dcni-tuning-conform-");
      for (const version of ALL_VERSIONS) {
        await t.step(`deno-ptp + deno-host-local, deno-tuning, cniVersion ${version}`, async () => {
          const tuningDir = `${dir}/tuning-ptp-${version}`;
          const file = `${dir}/ptp-${version}.conflist`;
          await Deno.writeTextFile(
            file,
            JSON.stringify({
              cniVersion: version,
              name: "tuneconform",
              plugins: [
                {
                  type: "deno-ptp",
                  ipam: {
                    type: "deno-host-local",
                    subnet: "10.244.0.0/24",
                    dataDir: `${dir}/ipam-${version}`,
                  },
                },
                tuning(tuningDir),
              ],
            }),
          );
          const result = await conform(["--config", file], {}, dir);
          await assertPassed(result, ["deno-ptp", "deno-tuning"], version, tuningDir);
        });
      }
    } finally {
      await cleanup.run();
    }
  },
});

Deno.test({
  name: "conform passes deno-tuning chained after Debian's bridge",
  ignore: skip !== undefined,
  async fn(t) {
    await ensureProjectBin();
    const cleanup = new Cleanup();
    try {
      const dir = await makeTempDir(cleanup, "dcni-tuning-conform-");
      // The bridge lives in a namespace of the test's own, never in the machine's.
      const hostSide = await createNetns();
      cleanup.defer(() => deleteNetns(hostSide));
      for (const version of GO_VERSIONS) {
        await t.step(`bridge + host-local, deno-tuning, cniVersion ${version}`, async () => {
          const tuningDir = `${dir}/tuning-bridge-${version}`;
          const file = `${dir}/bridge-${version}.conflist`;
          await Deno.writeTextFile(
            file,
            JSON.stringify({
              cniVersion: version,
              name: "tunebridge",
              plugins: [
                {
                  type: "bridge",
                  bridge: "tcbr0",
                  isGateway: true,
                  ipam: {
                    type: "host-local",
                    subnet: "10.245.0.0/24",
                    dataDir: `${dir}/ipam-${version}`,
                  },
                },
                tuning(tuningDir),
              ],
            }),
          );
          const result = await conform(
            ["--host-netns", hostSide.name, "--config", file],
            {},
            dir,
          );
          await assertPassed(result, ["bridge", "deno-tuning"], version, tuningDir);
        });
      }
    } finally {
      await cleanup.run();
    }
  },
});

Deno.test({
  name: "conform passes the shipped network netconf/tuned.conflist",
  ignore: skip !== undefined,
  async fn() {
    await ensureProjectBin();
    const cleanup = new Cleanup();
    try {
      const dir = await makeTempDir(cleanup, "dcni-tuning-conform-");
      const result = await conform(["tuned"], { NETCONFPATH: PROJECT_NETCONF }, dir);
      // It tunes sysctls only: no backup is written anywhere.
      await assertPassed(result, ["deno-ptp", "deno-tuning"], "1.0.0", `${dir}/none`);
    } finally {
      await cleanup.run();
    }
  },
});
