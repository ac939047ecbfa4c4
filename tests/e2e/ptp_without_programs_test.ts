/**
 * deno-ptp needs nothing on the node but itself and its IPAM plugin: in a mount namespace of the
 * test's own, `ip`, `nsenter`, `sysctl` and `tc` are replaced by programs that log their run and
 * fail, and libcni (tests/cnitool) then runs ADD, CHECK and DEL of deno-ptp with Debian's
 * host-local. Every verb must succeed, the container must get its address and lose it again,
 * and none of the replaced programs may have run.
 *
 * The machine's own files are untouched: the replacements are bind mounts that exist only in the
 * mount namespace `unshare` makes for each cnitool run, and cnitool runs in a network namespace
 * of the test's own, so ptp's host side stays out of the machine's.
 */
import assert from "node:assert/strict";
import {
  buildCnitool,
  Cleanup,
  createNetns,
  deleteNetns,
  hostLocalReservations,
  listAddresses,
  makeTempDir,
  missingPrerequisites,
  type Netns,
  onPath,
  pickSubnet,
  randomHex,
  requireE2e,
  run,
  runOk,
  writeConflist,
} from "./_netns.ts";
import { ensureProjectBin, PROJECT_CNI_PATH } from "./_deno_cni.ts";

const missing = missingPrerequisites({
  "unshare (apt-get install util-linux)": () => onPath("unshare"),
  "nsenter (apt-get install util-linux)": () => onPath("nsenter"),
});
const skip = requireE2e() ??
  (missing.length ? `ptp without programs skipped, missing: ${missing.join(", ")}` : undefined);
if (skip !== undefined) console.log(skip);

/** The programs a plugin of the old kit ran, which must not run now. */
const REPLACED = ["ip", "nsenter", "sysctl", "tc"];

/** Where a system program may live; each one found is replaced. */
const SYSTEM_DIRS = ["/usr/sbin", "/usr/bin", "/sbin", "/bin"];

/**
 * Run inside the new mount namespace: "$1" is the failing program, "$2" the network namespace to
 * run cnitool in, the rest cnitool's command line; the files to replace come on stdin, one a
 * line. The real nsenter enters the namespace first; only then is it replaced too.
 */
const WRAPPER = `set -eu
fake=$1; netns=$2; shift 2
exec /usr/bin/nsenter --net="$netns" -- /bin/sh -c '
  fake=$1; shift
  while read -r target; do mount --bind "$fake" "$target"; done
  exec "$@"
' wrapper "$fake" "$@"
`;

/** The real paths of the replaced programs (symlinked dirs such as /sbin counted once). */
async function programPaths(): Promise<string[]> {
  const paths = new Set<string>();
  for (const dir of SYSTEM_DIRS) {
    for (const name of REPLACED) {
      try {
        paths.add(await Deno.realPath(`${dir}/${name}`));
      } catch {
        // Not in this directory.
      }
    }
  }
  return [...paths].sort();
}

Deno.test({
  name: "deno-ptp sets up and tears down a pod where ip, nsenter, sysctl and tc fail",
  ignore: skip !== undefined,
  async fn() {
    const cleanup = new Cleanup();
    try {
      await ensureProjectBin();
      const dir = await makeTempDir(cleanup, "dcni-ptp-bare-");
      const log = `${dir}/ran.log`;
      await Deno.writeTextFile(log, "");
      const fake = `${dir}/fail`;
      await Deno.writeTextFile(fake, `#!/bin/sh\necho "$0 $*" >> ${log}\nexit 1\n`, {
        mode: 0o755,
      });
      const targets = await programPaths();
      assert.ok(targets.length >= REPLACED.length, `found ${targets.join(", ")}`);
      const wrapper = `${dir}/wrapper.sh`;
      await Deno.writeTextFile(wrapper, WRAPPER);

      const host: Netns = await createNetns();
      cleanup.defer(() => deleteNetns(host));
      await runOk(["ip", "-n", host.name, "link", "set", "lo", "up"]);
      const pod: Netns = await createNetns();
      cleanup.defer(() => deleteNetns(pod));
      const netconf = `${dir}/net.d`;
      await Deno.mkdir(netconf);
      const subnet = await pickSubnet();
      const network = `dcni-bare-${randomHex(6)}`;
      const dataDir = `${dir}/leases`;
      await writeConflist(netconf, {
        cniVersion: "1.0.0",
        name: network,
        plugins: [{
          type: "deno-ptp",
          ipam: { type: "host-local", subnet: subnet.subnet, dataDir },
        }],
      });
      const tool = await buildCnitool();
      const cnitool = async (verb: string) =>
        await run(
          [
            "unshare",
            "--mount",
            "--propagation",
            "private",
            "--",
            "/bin/sh",
            wrapper,
            fake,
            host.path,
            tool,
            verb,
            network,
            pod.path,
          ],
          {
            env: {
              PATH: "/usr/sbin:/usr/bin:/sbin:/bin",
              CNI_PATH: PROJECT_CNI_PATH.join(":"),
              NETCONFPATH: netconf,
              CNI_CACHE_DIR: `${dir}/cache`,
            },
            clearEnv: true,
            stdin: targets.join("\n") + "\n",
          },
        );

      const added = await cnitool("add");
      assert.equal(added.code, 0, added.stderr);
      const address = (await listAddresses(pod)).find((link) => link.ifname === "eth0")
        ?.addresses.find((info) => info.family === "inet");
      assert.ok(address !== undefined, "eth0 has an IPv4 address");
      assert.deepEqual(await hostLocalReservations(dataDir, network), [address.local]);

      const checked = await cnitool("check");
      assert.equal(checked.code, 0, checked.stderr);
      const deleted = await cnitool("del");
      assert.equal(deleted.code, 0, deleted.stderr);
      assert.equal(
        (await listAddresses(pod)).some((link) => link.ifname === "eth0"),
        false,
        "eth0 is gone",
      );
      assert.deepEqual(await hostLocalReservations(dataDir, network), []);

      // The replacements were in place: they fail when run, and nothing ran them.
      const probe = await run(
        [
          "unshare",
          "--mount",
          "--propagation",
          "private",
          "--",
          "/bin/sh",
          wrapper,
          fake,
          host.path,
          "ip",
          "link",
        ],
        { stdin: targets.join("\n") + "\n" },
      );
      assert.notEqual(probe.code, 0, "the replaced ip fails");
      const ran = (await Deno.readTextFile(log)).trim().split("\n").filter(Boolean);
      assert.equal(ran.length, 1, `only the probe ran a replaced program: ${ran.join("; ")}`);
    } finally {
      await cleanup.run();
    }
  },
});
