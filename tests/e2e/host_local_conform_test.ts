/**
 * conform (cli/conform.ts) passes deno-host-local at every spec version it speaks, as root, as
 * `deno task conform` runs it: as the IPAM plugin of Debian's ptp (spec 0.1.0 to 1.0.0, the
 * versions of Debian's plugins), and as the plugin under test itself (every version, GC and
 * STATUS at 1.1.0). Leases go to a temporary `dataDir`, which holds none afterwards.
 */
import assert from "node:assert/strict";
import { runConform } from "./_conform.ts";
import { ALL_VERSIONS, versionHasCheck, versionHasGcAndStatus } from "../../lib/mod.ts";
import { ensureProjectBin, PROJECT_BIN } from "./_deno_cni.ts";
import {
  Cleanup,
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
  [`${REFERENCE_PLUGIN_DIR}/ptp (apt-get install containernetworking-plugins)`]: () =>
    isFile(`${REFERENCE_PLUGIN_DIR}/ptp`),
});
const skip = missing.length === 0 ? undefined : `missing: ${missing.join(", ")}`;
if (skip !== undefined) console.log(`host-local conform e2e skipped, ${skip}`);

/** The versions of Debian's plugins. */
const GO_VERSIONS = ALL_VERSIONS.filter((v) => v !== "1.1.0");

/** conform with the project's plugins and Debian's in CNI_PATH. */
async function conform(args: readonly string[], dir: string) {
  const run = await runConform(args, { CNI_PATH: `${PROJECT_BIN}:${REFERENCE_PLUGIN_DIR}` }, dir);
  const failed = run.report.checks.filter((c) => c.outcome === "fail");
  return { output: run, report: run.report, failed };
}

/** The checks a version has no verb for: CHECK before 0.4.0, GC and STATUS before 1.1.0. */
function skipsAt(plugin: string, version: string): string[] {
  return [
    ...(versionHasCheck(version) ? [] : [`${plugin} check`]),
    ...(versionHasGcAndStatus(version) ? [] : [`${plugin} status`, `${plugin} gc`]),
  ];
}

async function leases(dataDir: string): Promise<string[]> {
  const found: string[] = [];
  try {
    for await (const entry of Deno.readDir(`${dataDir}/hlconform`)) {
      if (entry.name !== "lock" && !entry.name.startsWith("last_reserved_ip.")) {
        found.push(entry.name);
      }
    }
  } catch (error) {
    if (!(error instanceof Deno.errors.NotFound)) throw error;
  }
  return found;
}

Deno.test({
  name: "conform passes deno-host-local at every spec version",
  ignore: skip !== undefined,
  async fn(t) {
    await ensureProjectBin();
    const cleanup = new Cleanup();
    try {
      const dir = await makeTempDir(cleanup, "dcni-host-local-conform-");
      const ipam = (dataDir: string) => ({
        type: "deno-host-local",
        ranges: [[{ subnet: "10.242.0.0/24" }], [{ subnet: "fd00:242::/64" }]],
        routes: [{ dst: "0.0.0.0/0" }],
        dataDir,
      });
      for (const version of GO_VERSIONS) {
        await t.step(`ptp + deno-host-local, cniVersion ${version}`, async () => {
          const dataDir = `${dir}/data-ptp-${version}`;
          const file = `${dir}/ptp-${version}.conflist`;
          // Before 0.3.0 one address per family: the two range sets are one IPv4, one IPv6.
          await Deno.writeTextFile(
            file,
            JSON.stringify({
              cniVersion: version,
              name: "hlconform",
              plugins: [{ type: "ptp", ipam: ipam(dataDir) }],
            }),
          );
          const { output, report, failed } = await conform(["--config", file], dir);
          assert.deepEqual(failed, [], output.stdout + output.stderr);
          assert.deepEqual(
            report.checks.filter((c) => c.outcome === "skip").map((c) => `${c.plugin} ${c.check}`),
            skipsAt("ptp", version),
          );
          assert.equal(output.code, 0, output.stderr);
          assert.deepEqual(await leases(dataDir), [], "DEL released every lease");
        });
      }
      for (const version of ALL_VERSIONS) {
        await t.step(
          `deno-host-local as the plugin under test, cniVersion ${version}`,
          async () => {
            const dataDir = `${dir}/data-alone-${version}`;
            const file = `${dir}/alone-${version}.json`;
            await Deno.writeTextFile(
              file,
              JSON.stringify({
                cniVersion: version,
                name: "hlconform",
                type: "deno-host-local",
                ipam: ipam(dataDir),
              }),
            );
            const { output, report, failed } = await conform(
              ["--plugin", `${PROJECT_BIN}/deno-host-local`, "--config", file],
              dir,
            );
            assert.deepEqual(failed, [], output.stdout + output.stderr);
            assert.deepEqual(
              report.checks.filter((c) => c.outcome === "skip").map((c) =>
                `${c.plugin} ${c.check}`
              ),
              skipsAt("deno-host-local", version),
            );
            assert.equal(output.code, 0, output.stderr);
            assert.deepEqual(await leases(dataDir), [], "DEL released every lease");
          },
        );
      }
    } finally {
      await cleanup.run();
    }
  },
});
