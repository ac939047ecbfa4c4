/**
 * The ptp example (bin/deno-ptp) under a real container runtime: podman's CNI backend (libcni
 * inside podman 4.3) runs busybox containers on a deno-ptp + host-local network. Containers reach
 * each other through the host's routes, and removing them leaves no veth, route or reservation
 * behind.
 *
 * podman runs inside a namespace of the test's own (`nsenter --net`), so the host ends of the veth
 * pairs, their routes and ip_forward never reach the machine's namespace.
 */
import assert from "node:assert/strict";
import {
  Cleanup,
  createNetns,
  deleteNetns,
  hostLocalReservations,
  listLinks,
  makeTempDir,
  pickSubnet,
  runOk,
  writeConflist,
} from "./_netns.ts";
import { Podman, type PodmanNetwork, requirePodman } from "./_podman.ts";
import { ensureProjectBin, PROJECT_CNI_PATH } from "./_deno_cni.ts";

const skip = requirePodman();
if (skip !== undefined) console.log(skip);

Deno.test({
  name: "podman runs busybox containers on a deno-ptp + host-local network",
  ignore: skip !== undefined,
  async fn(t) {
    const cleanup = new Cleanup();
    try {
      await ensureProjectBin();
      const dir = await makeTempDir(cleanup, "dcni-ptp-podman-");
      await Deno.mkdir(`${dir}/net.d`);
      const host = await createNetns();
      cleanup.defer(() => deleteNetns(host));
      await runOk(["ip", "-n", host.name, "link", "set", "lo", "up"]);
      const podman = await Podman.setup({ hostNetns: host });
      cleanup.defer(() => podman.cleanup());

      const dataDir = `${dir}/host-local`;
      const { subnet, prefix } = await pickSubnet();
      const network: PodmanNetwork = {
        name: "dcni-ptp",
        configDir: `${dir}/net.d`,
        pluginDirs: PROJECT_CNI_PATH,
      };
      await writeConflist(network.configDir, {
        cniVersion: "1.0.0",
        name: network.name,
        plugins: [{ type: "deno-ptp", ipam: { type: "host-local", subnet, dataDir } }],
      });

      await t.step("a container gets its address on eth0 and a route via the gateway", async () => {
        const run = await podman.runContainer(network, ["sh", "-c", "ip -4 -o addr; ip -4 route"]);
        assert.equal(run.code, 0, run.stderr);
        assert.match(run.stdout, new RegExp(`inet ${prefix.replaceAll(".", "\\.")}2/24 `));
        assert.match(
          run.stdout,
          new RegExp(
            `${subnet.replaceAll(".", "\\.")} via ${prefix.replaceAll(".", "\\.")}1 dev eth0`,
          ),
        );
      });

      await t.step("two containers reach each other through the host", async () => {
        const server = await podman.runContainer(network, ["sleep", "60"], { detach: true });
        assert.equal(server.code, 0, server.stderr);
        const id = server.stdout.trim();
        const address = await podman.containerAddress(network, id);
        assert.ok(address.startsWith(prefix), `${address} is not in ${subnet}`);
        const echo = await podman.runContainer(network, ["ping", "-c", "1", "-W", "2", address]);
        assert.equal(echo.code, 0, echo.stdout + echo.stderr);
        await podman.removeContainer(id);
      });

      await t.step("removing the containers leaves no veth, route or reservation", async () => {
        assert.deepEqual((await listLinks(host)).map((l) => l.ifname), ["lo"]);
        const routes = await runOk(["ip", "-n", host.name, "-4", "route", "show"]);
        assert.equal(routes.stdout.trim(), "");
        assert.deepEqual(await hostLocalReservations(dataDir, network.name), []);
      });
    } finally {
      await cleanup.run();
    }
  },
});
