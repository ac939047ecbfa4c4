/**
 * The sample plugin under a real container runtime: podman's CNI backend (libcni inside podman
 * 4.3) runs busybox containers on networks whose conflist chains bin/sample after the reference
 * bridge + host-local, including netconf/mysample.conflist exactly as the project ships it.
 *
 * podman runs inside a namespace of the test's own (`nsenter --net`), so the bridge, its routes
 * and ip_forward never reach the machine's namespace; each container gets a namespace of its own.
 */
import assert from "node:assert/strict";
import {
  Cleanup,
  createNetns,
  deleteNetns,
  hostLinkExists,
  hostLocalReservations,
  listLinks,
  makeTempDir,
  type Netns,
  pickSubnet,
  writeConflist,
} from "./_netns.ts";
import { Podman, type PodmanNetwork, requirePodman } from "./_podman.ts";
import {
  ensureProjectBin,
  guardHostLocalDefaultDir,
  HOST_LOCAL_DEFAULT_DIR,
  PROJECT_CNI_PATH,
  PROJECT_NETCONF,
} from "./_deno_cni.ts";

const skip = requirePodman();
if (skip !== undefined) console.log(skip);

const SAMPLE_ERROR = 'invalid network configuration: "anotherAwesomeArg" is required';

/** The IPv4 addresses ("10.1.2.3/24") in `ip -4 -o addr show dev eth0` output. */
function inetAddresses(ipOutput: string): string[] {
  return [...ipOutput.matchAll(/\binet (\d+\.\d+\.\d+\.\d+\/\d+)/g)].map((m) => m[1] ?? "");
}

function withoutPrefixLength(cidr: string): string {
  return cidr.replace(/\/\d+$/, "");
}

/** A namespace for podman to run in, a temp dir, and a podman with a private store. */
async function setUp(cleanup: Cleanup): Promise<{ host: Netns; dir: string; podman: Podman }> {
  await ensureProjectBin();
  const dir = await makeTempDir(cleanup);
  await Deno.mkdir(`${dir}/net.d`);
  const host = await createNetns();
  cleanup.defer(() => deleteNetns(host));
  const podman = await Podman.setup({ hostNetns: host });
  cleanup.defer(() => podman.cleanup());
  return { host, dir, podman };
}

const SHOW_ETH0 = ["ip", "-4", "-o", "addr", "show", "eth0"];

Deno.test({
  name: "podman runs busybox on bridge + host-local chained with the sample",
  ignore: skip !== undefined,
  async fn(t) {
    const cleanup = new Cleanup();
    try {
      const { dir, podman } = await setUp(cleanup);
      const dataDir = `${dir}/host-local`;
      const { subnet, prefix } = await pickSubnet();
      const network: PodmanNetwork = {
        name: "dcni-sample",
        configDir: `${dir}/net.d`,
        pluginDirs: PROJECT_CNI_PATH,
      };
      const conflist = (sample: Record<string, unknown>) => ({
        cniVersion: "1.0.0",
        name: network.name,
        plugins: [
          {
            type: "bridge",
            bridge: "cni-sample",
            isGateway: true,
            ipam: { type: "host-local", subnet, dataDir },
          },
          { type: "sample", ...sample },
        ],
      });
      await writeConflist(network.configDir, conflist({ anotherAwesomeArg: "awesome" }));

      await t.step("the container gets its address on eth0", async () => {
        const run = await podman.runContainer(network, SHOW_ETH0);
        assert.equal(run.code, 0, run.stderr);
        assert.deepEqual(inetAddresses(run.stdout), [`${prefix}2/24`]);
      });

      await t.step("removing the container releases the address", async () => {
        assert.deepEqual(await hostLocalReservations(dataDir, network.name), []);
      });

      let failed = { code: 0, stdout: "", stderr: "" };
      await t.step("with anotherAwesomeArg missing, podman run fails with its error", async () => {
        await writeConflist(network.configDir, conflist({}));
        failed = await podman.runContainer(network, SHOW_ETH0);
        // 126: podman could not start the container.
        assert.equal(failed.code, 126, failed.stderr);
        assert.equal(failed.stdout, "");
        const errorLine = `Error: plugin type="sample" failed (add): ` +
          `cni plugin sample failed: ${SAMPLE_ERROR}`;
        assert.ok(failed.stderr.split("\n").includes(errorLine), failed.stderr);
      });

      // Unlike libcni alone, podman runs DEL after the failed ADD. The plugins' DEL runs in reverse
      // order, the sample first: it succeeds with a warning on its own bad keys, so the bridge's
      // DEL runs too and the reservation (in this test's temp dataDir) is released at once.
      await t.step("podman's DEL after the failure releases the reservation", async () => {
        assert.ok(!failed.stderr.includes("failed (delete)"), failed.stderr);
        assert.equal((await hostLocalReservations(dataDir, network.name)).length, 0);
        const left = await podman.podman(["ps", "--all", "--quiet"], network);
        assert.equal(left.stdout, "", "podman kept a container");
      });
    } finally {
      await cleanup.run();
    }
  },
});

Deno.test({
  name: "podman runs busybox on netconf/mysample.conflist as it is",
  ignore: skip !== undefined,
  async fn(t) {
    const cleanup = new Cleanup();
    try {
      // The file names no dataDir, so host-local uses /var/lib/cni/networks/mysample. Guarded
      // before podman starts, so that podman's cleanup (a DEL per container left) runs first.
      guardHostLocalDefaultDir(cleanup, "mysample");
      const { host, dir, podman } = await setUp(cleanup);
      const configDir = `${dir}/net.d`;
      await Deno.copyFile(`${PROJECT_NETCONF}/mysample.conflist`, `${configDir}/mysample.conflist`);
      const network: PodmanNetwork = { name: "mysample", configDir, pluginDirs: PROJECT_CNI_PATH };
      const reserved = () => hostLocalReservations(HOST_LOCAL_DEFAULT_DIR, network.name);

      await t.step("the container gets an address from the file's subnet", async () => {
        const server = await podman.runContainer(network, ["sleep", "60"], { detach: true });
        assert.equal(server.code, 0, server.stderr);
        const id = server.stdout.trim();
        const show = await podman.podman(["exec", id, ...SHOW_ETH0], network);
        assert.equal(show.code, 0, show.stderr);
        const [address = "", ...more] = inetAddresses(show.stdout);
        assert.deepEqual(more, []);
        assert.match(address, /^10\.22\.\d+\.\d+\/16$/);
        assert.ok((await reserved()).includes(withoutPrefixLength(address)), "not reserved");
        assert.ok((await listLinks(host)).some((l) => l.ifname === "cni-mysample"));
        assert.equal(await hostLinkExists("cni-mysample"), false, "the bridge is on the machine");

        await podman.removeContainer(id);
        assert.ok(!(await reserved()).includes(withoutPrefixLength(address)), "still reserved");
      });
    } finally {
      await cleanup.run();
    }
  },
});
