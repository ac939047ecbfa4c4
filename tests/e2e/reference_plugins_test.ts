/**
 * Proves the e2e tooling with Debian's own reference plugins only: libcni (through tests/cnitool)
 * runs bridge + host-local against namespaces this test creates, with every piece of state
 * (conflist, libcni cache, host-local data dir, bridge, namespaces) private to the test and removed
 * afterwards.
 */
import assert from "node:assert/strict";
import {
  Cleanup,
  cnitool,
  type CnitoolOptions,
  createNetns,
  deleteHostLink,
  deleteNetns,
  hostLinkExists,
  hostLocalReservations,
  listAddresses,
  makeTempDir,
  type Netns,
  pickSubnet,
  pingCommand,
  pingFrom,
  preserveIpForward,
  randomHex,
  REFERENCE_PLUGIN_DIR,
  requireE2e,
  uniqueBridgeName,
  writeConflist,
} from "./_netns.ts";

const skip = requireE2e();
if (skip !== undefined) console.log(skip);

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** The addresses ("10.1.2.3/24") that an ADD result assigns, in order. */
function resultAddresses(result: unknown): string[] {
  assert.ok(isRecord(result), `ADD printed no result object: ${JSON.stringify(result)}`);
  assert.ok(Array.isArray(result.ips), "ADD result has no ips");
  return result.ips.map((ip: unknown) => {
    assert.ok(
      isRecord(ip) && typeof ip.address === "string",
      `bad ips entry ${JSON.stringify(ip)}`,
    );
    return ip.address;
  });
}

/** The IPv4 addresses, with prefix length, that `ip -j addr` shows on one link of a namespace. */
async function ipv4On(netns: Netns, ifname: string): Promise<string[]> {
  const link = (await listAddresses(netns)).find((l) => l.ifname === ifname);
  assert.ok(link, `no link "${ifname}" in netns "${netns.name}"`);
  return link.addresses.filter((a) => a.family === "inet").map((a) => `${a.local}/${a.prefixlen}`);
}

Deno.test({
  name: "bridge + host-local through libcni: ADD, CHECK, DEL and a repeated DEL",
  ignore: skip !== undefined,
  async fn(t) {
    const cleanup = new Cleanup();
    try {
      await preserveIpForward(cleanup);
      const dir = await makeTempDir(cleanup);
      const netconfPath = `${dir}/net.d`;
      const dataDir = `${dir}/host-local`;
      await Deno.mkdir(netconfPath);

      const bridge = uniqueBridgeName();
      cleanup.defer(() => deleteHostLink(bridge));
      const { subnet, gateway, prefix } = await pickSubnet();
      const network = `dcni-ref-${randomHex(6)}`;
      await writeConflist(netconfPath, {
        cniVersion: "1.0.0",
        name: network,
        plugins: [{
          type: "bridge",
          bridge,
          isGateway: true,
          ipam: { type: "host-local", subnet, dataDir },
        }],
      });

      const first = await createNetns();
      cleanup.defer(() => deleteNetns(first));
      const second = await createNetns();
      cleanup.defer(() => deleteNetns(second));

      const options: CnitoolOptions = {
        cniPath: [REFERENCE_PLUGIN_DIR],
        netconfPath,
        cacheDir: `${dir}/cache`,
      };
      const secondOptions: CnitoolOptions = {
        ...options,
        ifname: "net1",
        containerId: "dcni-second",
      };
      let firstAddress = "";
      let secondAddress = "";

      await t.step("ADD assigns an address from the subnet to eth0 in the namespace", async () => {
        const add = await cnitool("add", { network, netns: first }, options);
        assert.equal(add.code, 0, add.stderr);
        const addresses = resultAddresses(add.result);
        assert.equal(addresses.length, 1);
        firstAddress = addresses[0] ?? "";
        assert.ok(firstAddress.startsWith(prefix), `${firstAddress} is not in ${subnet}`);
        assert.deepEqual(await ipv4On(first, "eth0"), [firstAddress]);
        assert.deepEqual(await hostLocalReservations(dataDir, network), [
          firstAddress.split("/")[0],
        ]);
        assert.ok(await hostLinkExists(bridge), `bridge "${bridge}" was not created`);
      });

      await t.step("ADD honours CNI_IFNAME and CNI_CONTAINERID", async () => {
        const add = await cnitool("add", { network, netns: second }, secondOptions);
        assert.equal(add.code, 0, add.stderr);
        secondAddress = resultAddresses(add.result)[0] ?? "";
        assert.deepEqual(await ipv4On(second, "net1"), [secondAddress]);
        const cached = `${options.cacheDir}/results/${network}-dcni-second-net1`;
        assert.ok((await Deno.stat(cached)).isFile, `libcni cached no result at ${cached}`);
      });

      await t.step({
        name: "the namespaces reach each other across the bridge",
        ignore: pingCommand() === undefined,
        fn: async () => {
          const ping = await pingFrom(first, secondAddress.split("/")[0] ?? "");
          assert.equal(ping.code, 0, ping.stdout + ping.stderr);
          const toGateway = await pingFrom(second, gateway);
          assert.equal(toGateway.code, 0, toGateway.stdout + toGateway.stderr);
        },
      });

      await t.step("CHECK passes", async () => {
        const check = await cnitool("check", { network, netns: first }, options);
        assert.equal(check.code, 0, check.stderr);
        assert.equal(check.stdout, "");
      });

      await t.step("DEL releases the reservation and removes the interface", async () => {
        const del = await cnitool("del", { network, netns: first }, options);
        assert.equal(del.code, 0, del.stderr);
        assert.deepEqual(await hostLocalReservations(dataDir, network), [
          secondAddress.split("/")[0],
        ]);
        const links = (await listAddresses(first)).map((l) => l.ifname);
        assert.deepEqual(links, ["lo"]);
      });

      await t.step("a second DEL succeeds", async () => {
        const del = await cnitool("del", { network, netns: first }, options);
        assert.equal(del.code, 0, del.stderr);
      });

      await t.step("DEL of the other attachment leaves no reservations", async () => {
        const del = await cnitool("del", { network, netns: second }, secondOptions);
        assert.equal(del.code, 0, del.stderr);
        assert.deepEqual(await hostLocalReservations(dataDir, network), []);
      });

      await t.step("an unknown network fails with exit 1 and the error on stderr", async () => {
        const add = await cnitool("add", { network: "dcni-no-such-net", netns: first }, options);
        assert.equal(add.code, 1);
        assert.equal(add.stdout, "");
        assert.match(add.stderr, /no net configuration with name "dcni-no-such-net"/);
      });
    } finally {
      await cleanup.run();
    }
  },
});
