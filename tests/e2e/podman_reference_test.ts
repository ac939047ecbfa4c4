/**
 * Proves the podman tooling with Debian's reference plugins: podman's CNI backend attaches busybox
 * containers to a bridge + host-local network defined in a temp conflist dir, and releases the
 * address when the container goes away. Traffic only flows between this test's containers.
 */
import assert from "node:assert/strict";
import {
  Cleanup,
  deleteHostLink,
  hostLocalReservations,
  makeTempDir,
  pickSubnet,
  preserveIpForward,
  randomHex,
  REFERENCE_PLUGIN_DIR,
  uniqueBridgeName,
  writeConflist,
} from "./_netns.ts";
import { Podman, type PodmanNetwork, requirePodman } from "./_podman.ts";

const skip = requirePodman();
if (skip !== undefined) console.log(skip);

/** The IPv4 addresses ("10.1.2.3/24") in `ip -4 -o addr show dev eth0` output. */
function inetAddresses(ipOutput: string): string[] {
  return [...ipOutput.matchAll(/\binet (\d+\.\d+\.\d+\.\d+\/\d+)/g)].map((m) => m[1] ?? "");
}

Deno.test({
  name: "podman (CNI backend) runs busybox on a bridge + host-local network",
  ignore: skip !== undefined,
  async fn(t) {
    const cleanup = new Cleanup();
    try {
      await preserveIpForward(cleanup);
      const dir = await makeTempDir(cleanup);
      const configDir = `${dir}/net.d`;
      const dataDir = `${dir}/host-local`;
      await Deno.mkdir(configDir);

      const bridge = uniqueBridgeName();
      cleanup.defer(() => deleteHostLink(bridge));
      const { subnet, prefix } = await pickSubnet();
      const network: PodmanNetwork = {
        name: `dcni-pod-${randomHex(6)}`,
        configDir,
        pluginDirs: [REFERENCE_PLUGIN_DIR],
      };
      await writeConflist(configDir, {
        cniVersion: "1.0.0",
        name: network.name,
        plugins: [{
          type: "bridge",
          bridge,
          isGateway: true,
          ipam: { type: "host-local", subnet, dataDir },
        }],
      });

      const started = performance.now();
      const podman = await Podman.setup();
      cleanup.defer(() => podman.cleanup());
      console.log(`podman store + image import: ${Math.round(performance.now() - started)} ms`);

      await t.step("a container gets an address from the subnet on eth0", async () => {
        const output = await podman.runContainer(network, [
          "ip",
          "-4",
          "-o",
          "addr",
          "show",
          "eth0",
        ]);
        assert.equal(output.code, 0, output.stderr);
        const addresses = inetAddresses(output.stdout);
        assert.equal(addresses.length, 1, output.stdout);
        assert.ok(addresses[0]?.startsWith(prefix), `${addresses[0]} is not in ${subnet}`);
      });

      await t.step("removing the container releases its address", async () => {
        assert.deepEqual(await hostLocalReservations(dataDir, network.name), []);
      });

      await t.step("two containers on the network reach each other", async () => {
        const server = await podman.runContainer(network, ["sleep", "60"], { detach: true });
        assert.equal(server.code, 0, server.stderr);
        const id = server.stdout.trim();
        const address = await podman.containerAddress(network, id);
        assert.ok(address.startsWith(prefix), `${address} is not in ${subnet}`);
        assert.deepEqual(await hostLocalReservations(dataDir, network.name), [address]);

        const ping = await podman.runContainer(network, ["ping", "-c", "1", "-W", "2", address]);
        assert.equal(ping.code, 0, ping.stdout + ping.stderr);

        await podman.removeContainer(id);
        assert.deepEqual(await hostLocalReservations(dataDir, network.name), []);
      });
    } finally {
      await cleanup.run();
    }
  },
});
