/**
 * The ptp example (bin/ptp) driven by a real runtime library: libcni 1.1.2 (through tests/cnitool)
 * runs ptp with Debian's host-local against namespaces this test creates. ADD must give the
 * container an address that answers ping from the host side, CHECK must pass and then fail once
 * the address is removed by hand, and DEL must leave no veth, no route and no reservation, also
 * after 20 ADD/DEL cycles in parallel namespaces.
 *
 * The "host" is a namespace of the test's own in which cnitool, and so ptp, runs: the veth's host
 * end, the host routes and the ip_forward switch ptp turns on stay out of the machine's namespace.
 */
import assert from "node:assert/strict";
import {
  Cleanup,
  cnitool,
  type CnitoolOptions,
  createNetns,
  deleteNetns,
  hostLocalReservations,
  listAddresses,
  listLinks,
  makeTempDir,
  missingPrerequisites,
  type Netns,
  onPath,
  pickSubnet,
  pingCommand,
  requireE2e,
  run,
  runOk,
  type TestSubnet,
  writeConflist,
} from "./_netns.ts";
import {
  assertMatchesTemplate,
  ensureProjectBin,
  loadExpected,
  PROJECT_CNI_PATH,
} from "./_deno_cni.ts";

const missing = missingPrerequisites({
  "nsenter (apt-get install util-linux)": () => onPath("nsenter"),
  "ping (apt-get install iputils-ping or busybox-static)": () => pingCommand() !== undefined,
});
const skip = requireE2e() ??
  (missing.length ? `ptp e2e tests skipped, missing: ${missing.join(", ")}` : undefined);
if (skip !== undefined) console.log(skip);

const EXPECTED_ADD = loadExpected("ptp_libcni_add.json");

/** Everything one test sets up: the host namespace, a conflist dir, host-local's dir, a cache. */
interface Fixture {
  readonly host: Netns;
  readonly network: string;
  readonly netconfPath: string;
  readonly dataDir: string;
  readonly cacheDir: string;
  readonly subnet: TestSubnet;
  readonly options: CnitoolOptions;
}

async function setUp(cleanup: Cleanup, cniVersion: string): Promise<Fixture> {
  await ensureProjectBin();
  const dir = await makeTempDir(cleanup, "dcni-ptp-");
  const netconfPath = `${dir}/net.d`;
  await Deno.mkdir(netconfPath);
  const host = await createNetns();
  cleanup.defer(() => deleteNetns(host));
  await runOk(["ip", "-n", host.name, "link", "set", "lo", "up"]);
  const subnet = await pickSubnet();
  const network = `dcni-ptp-${cniVersion.replaceAll(".", "")}`;
  const dataDir = `${dir}/host-local`;
  const cacheDir = `${dir}/cache`;
  await writeConflist(netconfPath, {
    cniVersion,
    name: network,
    plugins: [{
      type: "ptp",
      ipam: { type: "host-local", subnet: subnet.subnet, dataDir, routes: [{ dst: "0.0.0.0/0" }] },
    }],
  });
  return {
    host,
    network,
    netconfPath,
    dataDir,
    cacheDir,
    subnet,
    options: { cniPath: PROJECT_CNI_PATH, netconfPath, cacheDir, runtimeNetns: host },
  };
}

/** A container namespace that `cleanup` deletes. */
async function container(cleanup: Cleanup): Promise<Netns> {
  const netns = await createNetns();
  cleanup.defer(() => deleteNetns(netns));
  return netns;
}

/** The addresses of the result's IPs. */
function resultAddresses(result: unknown): string[] {
  const ips = (result as { ips?: { address?: unknown }[] } | undefined)?.ips ?? [];
  return ips.map((ip) => String(ip.address));
}

/** The names of the links in a namespace. */
async function linkNames(netns: Netns): Promise<string[]> {
  return (await listLinks(netns)).map((link) => link.ifname);
}

/** The routes of a namespace's main table, one line each. */
async function routes(netns: Netns): Promise<string[]> {
  const { stdout } = await runOk(["ip", "-n", netns.name, "-4", "route", "show"]);
  return stdout.split("\n").map((line) => line.trim()).filter((line) => line !== "");
}

/** One ICMP echo from `from` to `address`, two seconds at most. */
function ping(from: Netns, address: string) {
  return run(["ip", "netns", "exec", from.name, ...pingCommand()!, "-c", "1", "-W", "2", address]);
}

async function ipForward(netns?: Netns): Promise<string> {
  const cmd = ["sysctl", "-n", "net.ipv4.ip_forward"];
  const { stdout } = await runOk(netns ? ["ip", "netns", "exec", netns.name, ...cmd] : cmd);
  return stdout.trim();
}

for (const cniVersion of ["1.0.0", "0.4.0"]) {
  Deno.test({
    name: `ptp ${cniVersion} through libcni: ADD, ping, CHECK, CHECK after a manual change, DEL`,
    ignore: skip !== undefined,
    async fn(t) {
      const cleanup = new Cleanup();
      try {
        const machineForward = await ipForward();
        const f = await setUp(cleanup, cniVersion);
        const ctr = await container(cleanup);
        const target = { network: f.network, netns: ctr };
        const address = `${f.subnet.prefix}2/24`;
        let hostVeth = "";

        await t.step("ADD prints the host and container interfaces and the IP", async () => {
          const add = await cnitool("add", target, f.options);
          assert.equal(add.code, 0, add.stderr);
          assertMatchesTemplate(add.result, EXPECTED_ADD[cniVersion], {
            "<ifname>": "eth0",
            "<netns>": ctr.path,
            "<address>": address,
            "<gateway>": f.subnet.gateway,
          });
          hostVeth = (add.result as { interfaces: { name: string }[] }).interfaces[0]!.name;
        });

        await t.step("the container has the address and routes through the gateway", async () => {
          const eth0 = (await listAddresses(ctr)).find((link) => link.ifname === "eth0");
          assert.ok(eth0, "no eth0 in the container");
          assert.deepEqual(
            eth0.addresses.filter((a) => a.family === "inet").map((a) =>
              `${a.local}/${a.prefixlen}`
            ),
            [address],
          );
          const gw = f.subnet.gateway;
          assert.deepEqual(await routes(ctr), [
            `default via ${gw} dev eth0`,
            `${f.subnet.subnet} via ${gw} dev eth0 src ${f.subnet.prefix}2`,
            `${gw} dev eth0 scope link src ${f.subnet.prefix}2`,
          ]);
        });

        await t.step("the host end carries the gateway and a route to the container", async () => {
          const veth = (await listAddresses(f.host)).find((link) => link.ifname === hostVeth);
          assert.ok(veth, `no ${hostVeth} in the host namespace`);
          assert.deepEqual(veth.addresses.filter((a) => a.family === "inet").map((a) => a.local), [
            f.subnet.gateway,
          ]);
          assert.deepEqual(await routes(f.host), [
            `${f.subnet.prefix}2 dev ${hostVeth} scope link`,
          ]);
          assert.equal(await ipForward(f.host), "1");
          assert.equal(await ipForward(), machineForward, "the machine's ip_forward changed");
        });

        await t.step("the container answers ping from the host side", async () => {
          const echo = await ping(f.host, `${f.subnet.prefix}2`);
          assert.equal(echo.code, 0, echo.stdout + echo.stderr);
        });

        await t.step("CHECK passes", async () => {
          const check = await cnitool("check", target, f.options);
          assert.equal(check.code, 0, check.stderr);
        });

        await t.step("CHECK fails once the address is removed by hand", async () => {
          await runOk(["ip", "-n", ctr.name, "addr", "del", address, "dev", "eth0"]);
          const check = await cnitool("check", target, f.options);
          assert.equal(check.code, 1);
          assert.match(
            check.stderr,
            new RegExp(`Failed to match addr ${address} on interface eth0`),
          );
        });

        await t.step("DEL leaves no veth, no route and no reservation", async () => {
          const del = await cnitool("del", target, f.options);
          assert.equal(del.code, 0, del.stderr);
          assert.deepEqual(await linkNames(f.host), ["lo"]);
          assert.deepEqual(await linkNames(ctr), ["lo"]);
          assert.deepEqual(await routes(f.host), []);
          assert.deepEqual(await hostLocalReservations(f.dataDir, f.network), []);
        });

        await t.step("a repeated DEL succeeds", async () => {
          const del = await cnitool("del", target, f.options);
          assert.equal(del.code, 0, del.stderr);
        });

        await t.step("DEL succeeds when the namespace is already gone", async () => {
          const gone = await container(cleanup);
          const add = await cnitool("add", { network: f.network, netns: gone }, f.options);
          assert.equal(add.code, 0, add.stderr);
          await deleteNetns(gone);
          const del = await cnitool("del", { network: f.network, netns: gone }, f.options);
          assert.equal(del.code, 0, del.stderr);
          assert.deepEqual(await linkNames(f.host), ["lo"]);
          assert.deepEqual(await hostLocalReservations(f.dataDir, f.network), []);
        });
      } finally {
        await cleanup.run();
      }
    },
  });
}

Deno.test({
  name: "ptp through libcni: 20 ADD/DEL cycles in parallel namespaces leave nothing behind",
  ignore: skip !== undefined,
  async fn() {
    const cleanup = new Cleanup();
    try {
      const f = await setUp(cleanup, "1.0.0");
      const containers = await Promise.all(Array.from({ length: 20 }, () => container(cleanup)));
      const started = performance.now();
      const outcomes = await Promise.all(containers.map(async (ctr) => {
        const target = { network: f.network, netns: ctr };
        const add = await cnitool("add", target, f.options);
        const echo = add.code === 0
          ? await ping(f.host, resultAddresses(add.result)[0]?.split("/")[0] ?? "")
          : undefined;
        const del = await cnitool("del", target, f.options);
        return { add, echo, del, addresses: resultAddresses(add.result) };
      }));
      const elapsed = Math.round(performance.now() - started);
      console.log(`20 parallel ADD + ping + DEL cycles through libcni: ${elapsed} ms`);
      for (const { add, echo, del } of outcomes) {
        assert.equal(add.code, 0, add.stderr);
        assert.equal(echo?.code, 0, `${echo?.stdout}${echo?.stderr}`);
        assert.equal(del.code, 0, del.stderr);
      }
      const addresses = outcomes.flatMap((o) => o.addresses);
      assert.equal(new Set(addresses).size, 20, `addresses were handed out twice: ${addresses}`);
      assert.deepEqual(await linkNames(f.host), ["lo"]);
      assert.deepEqual(await routes(f.host), []);
      for (const ctr of containers) assert.deepEqual(await linkNames(ctr), ["lo"]);
      assert.deepEqual(await hostLocalReservations(f.dataDir, f.network), []);
      const cached = [];
      try {
        for await (const entry of Deno.readDir(`${f.cacheDir}/results`)) cached.push(entry.name);
      } catch (error) {
        if (!(error instanceof Deno.errors.NotFound)) throw error;
      }
      assert.deepEqual(cached, [], "libcni kept cached results");
    } finally {
      await cleanup.run();
    }
  },
});
