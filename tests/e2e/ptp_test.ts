/**
 * The ptp example (bin/deno-ptp) driven by a real runtime library: libcni 1.1.2 (through
 * tests/cnitool) runs deno-ptp with Debian's host-local against namespaces this test creates. ADD
 * must give the container an address that answers ping from the host side, CHECK must pass and
 * then fail once the address is removed by hand, and DEL must leave no veth, no route and no
 * reservation, also after 20 ADD/DEL cycles in parallel namespaces.
 *
 * Then what the plugin must never do, against the real kernel:
 * - run a name from the previous result as `ip` commands (CHECK with a host interface name that
 *   holds a newline and a second command);
 * - treat a CNI_IFNAME holding `#`, `'` or `"` differently from any other name;
 * - take over the host route of another attachment when two networks hand out one address.
 *
 * The "host" is a namespace of the test's own in which cnitool, and so deno-ptp, runs: the veth's
 * host end, the host routes and the ip_forward switch ptp turns on stay out of the machine's
 * namespace.
 */
import assert from "node:assert/strict";
import {
  Cleanup,
  cnitool,
  type CnitoolOptions,
  type CnitoolOutput,
  type CommandOutput,
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
  randomHex,
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
  PROJECT_BIN,
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

/** The plugin's type in a configuration, and its file in bin/. */
const PTP = "deno-ptp";

/** A namespace for the host side, and where cnitool keeps its configuration and cache. */
interface Fixture {
  readonly host: Netns;
  readonly dir: string;
  readonly options: CnitoolOptions;
}

/** One network of deno-ptp with host-local, its reservations in a directory of its own. */
interface Network {
  readonly name: string;
  readonly cniVersion: string;
  readonly subnet: TestSubnet;
  readonly dataDir: string;
  /** The plugin's configuration in the conflist. */
  readonly plugin: Record<string, unknown>;
}

async function setUp(cleanup: Cleanup): Promise<Fixture> {
  await ensureProjectBin();
  const dir = await makeTempDir(cleanup, "dcni-ptp-");
  const netconfPath = `${dir}/net.d`;
  await Deno.mkdir(netconfPath);
  const host = await createNetns();
  cleanup.defer(() => deleteNetns(host));
  await runOk(["ip", "-n", host.name, "link", "set", "lo", "up"]);
  return {
    host,
    dir,
    options: {
      cniPath: PROJECT_CNI_PATH,
      netconfPath,
      cacheDir: `${dir}/cache`,
      runtimeNetns: host,
    },
  };
}

/** Writes a network's conflist; host-local keeps its reservations under the fixture's dir. */
async function addNetwork(
  f: Fixture,
  cniVersion: string,
  subnet: TestSubnet,
  name = `dcni-ptp-${randomHex(6)}`,
): Promise<Network> {
  const dataDir = `${f.dir}/host-local-${name}`;
  const plugin = {
    type: PTP,
    ipam: { type: "host-local", subnet: subnet.subnet, dataDir, routes: [{ dst: "0.0.0.0/0" }] },
  };
  await writeConflist(f.options.netconfPath, { cniVersion, name, plugins: [plugin] });
  return { name, cniVersion, subnet, dataDir, plugin };
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

/** The name of the result's host interface (its first). */
function resultHostVeth(result: unknown): string {
  const interfaces = (result as { interfaces?: { name?: unknown }[] } | undefined)?.interfaces;
  const name = interfaces?.[0]?.name;
  assert.equal(typeof name, "string", `no host interface in ${JSON.stringify(result)}`);
  return name as string;
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

/** The IPv4 addresses of each link of a namespace, as "dev address/prefix". */
async function inetAddresses(netns: Netns): Promise<string[]> {
  return (await listAddresses(netns)).flatMap((link) =>
    link.addresses.filter((a) => a.family === "inet" && link.ifname !== "lo")
      .map((a) => `${link.ifname} ${a.local}/${a.prefixlen}`)
  );
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

/** The error code cnitool reports on its last stderr line ("code=<n>"), if any. */
function errorCode(output: CnitoolOutput): number | undefined {
  const match = /^code=(\d+)$/m.exec(output.stderr);
  return match === null ? undefined : Number(match[1]);
}

/**
 * Runs bin/deno-ptp itself in the host namespace, as a runtime would: a clean environment with
 * the CNI_* variables, the configuration on stdin.
 */
function runPtp(f: Fixture, env: Record<string, string>, stdin: string): Promise<CommandOutput> {
  return run(["nsenter", `--net=${f.host.path}`, `${PROJECT_BIN}/${PTP}`], {
    env: { PATH: "/usr/sbin:/usr/bin:/sbin:/bin", CNI_PATH: PROJECT_CNI_PATH.join(":"), ...env },
    clearEnv: true,
    stdin,
  });
}

for (const cniVersion of ["1.0.0", "0.4.0"]) {
  Deno.test({
    name: `ptp ${cniVersion} through libcni: ADD, ping, CHECK, CHECK after a manual change, DEL`,
    ignore: skip !== undefined,
    async fn(t) {
      const cleanup = new Cleanup();
      try {
        const machineForward = await ipForward();
        const f = await setUp(cleanup);
        const net = await addNetwork(f, cniVersion, await pickSubnet());
        const ctr = await container(cleanup);
        const target = { network: net.name, netns: ctr };
        const address = `${net.subnet.prefix}2/24`;
        let hostVeth = "";

        await t.step("ADD prints the host and container interfaces and the IP", async () => {
          const started = performance.now();
          const add = await cnitool("add", target, f.options);
          console.log(
            `one ADD through libcni (${cniVersion}): ${Math.round(performance.now() - started)} ms`,
          );
          assert.equal(add.code, 0, add.stderr);
          assertMatchesTemplate(add.result, EXPECTED_ADD[cniVersion], {
            "<ifname>": "eth0",
            "<netns>": ctr.path,
            "<address>": address,
            "<gateway>": net.subnet.gateway,
          });
          hostVeth = resultHostVeth(add.result);
        });

        await t.step("the container has the address and routes through the gateway", async () => {
          assert.deepEqual(await inetAddresses(ctr), [`eth0 ${address}`]);
          const gw = net.subnet.gateway;
          assert.deepEqual(await routes(ctr), [
            `default via ${gw} dev eth0`,
            `${net.subnet.subnet} via ${gw} dev eth0 src ${net.subnet.prefix}2`,
            `${gw} dev eth0 scope link src ${net.subnet.prefix}2`,
          ]);
        });

        await t.step("the host end carries the gateway and a route to the container", async () => {
          assert.deepEqual(await inetAddresses(f.host), [`${hostVeth} ${net.subnet.gateway}/32`]);
          assert.deepEqual(await routes(f.host), [
            `${net.subnet.prefix}2 dev ${hostVeth} scope link`,
          ]);
          assert.equal(await ipForward(f.host), "1");
          assert.equal(await ipForward(), machineForward, "the machine's ip_forward changed");
        });

        await t.step("the container answers ping from the host side", async () => {
          const echo = await ping(f.host, `${net.subnet.prefix}2`);
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
          assert.deepEqual(await hostLocalReservations(net.dataDir, net.name), []);
        });

        await t.step("a repeated DEL succeeds", async () => {
          const del = await cnitool("del", target, f.options);
          assert.equal(del.code, 0, del.stderr);
        });

        await t.step("DEL succeeds when the namespace is already gone", async () => {
          const gone = await container(cleanup);
          const add = await cnitool("add", { network: net.name, netns: gone }, f.options);
          assert.equal(add.code, 0, add.stderr);
          await deleteNetns(gone);
          const del = await cnitool("del", { network: net.name, netns: gone }, f.options);
          assert.equal(del.code, 0, del.stderr);
          assert.deepEqual(await linkNames(f.host), ["lo"]);
          assert.deepEqual(await hostLocalReservations(net.dataDir, net.name), []);
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
      const f = await setUp(cleanup);
      const net = await addNetwork(f, "1.0.0", await pickSubnet());
      const containers = await Promise.all(Array.from({ length: 20 }, () => container(cleanup)));
      const started = performance.now();
      const outcomes = await Promise.all(containers.map(async (ctr) => {
        const target = { network: net.name, netns: ctr };
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
      assert.deepEqual(await hostLocalReservations(net.dataDir, net.name), []);
      const cached = [];
      try {
        for await (const entry of Deno.readDir(`${f.dir}/cache/results`)) cached.push(entry.name);
      } catch (error) {
        if (!(error instanceof Deno.errors.NotFound)) throw error;
      }
      assert.deepEqual(cached, [], "libcni kept cached results");
    } finally {
      await cleanup.run();
    }
  },
});

Deno.test({
  name: "ptp CHECK never runs a host interface name of prevResult as ip commands",
  ignore: skip !== undefined,
  async fn(t) {
    const cleanup = new Cleanup();
    try {
      const f = await setUp(cleanup);
      const net = await addNetwork(f, "1.0.0", await pickSubnet());
      const ctr = await container(cleanup);
      const containerId = `dcni-${randomHex(12)}`;
      const add = await cnitool("add", { network: net.name, netns: ctr }, {
        ...f.options,
        containerId,
      });
      assert.equal(add.code, 0, add.stderr);
      const hostVeth = resultHostVeth(add.result);
      // Links an injected `ip` command could use or delete, all in the test's host namespace
      // (veth pairs: the kernel may lack the dummy module).
      const ends = ["x0", "d0", "d1"].flatMap((name) => [name, `${name}p`]);
      for (const name of ["x0", "d0", "d1"]) {
        await runOk([
          "ip",
          "-n",
          f.host.name,
          "link",
          "add",
          name,
          "type",
          "veth",
          "peer",
          `${name}p`,
        ]);
      }
      const check = (prevResult: unknown) =>
        runPtp(
          f,
          {
            CNI_COMMAND: "CHECK",
            CNI_CONTAINERID: containerId,
            CNI_NETNS: ctr.path,
            CNI_IFNAME: "eth0",
          },
          JSON.stringify({ cniVersion: net.cniVersion, name: net.name, ...net.plugin, prevResult }),
        );

      await t.step("CHECK with the prevResult ADD printed passes", async () => {
        assert.deepEqual((await linkNames(f.host)).sort(), ["lo", hostVeth, ...ends].sort());
        const out = await check(add.result);
        assert.deepEqual([out.code, out.stdout], [0, ""], out.stderr);
      });

      const names = ["x0\nlink add injected0 type veth", "d0\nlink del d1", "d0\n"];
      for (const name of names) {
        await t.step(`CHECK refuses the host interface name ${JSON.stringify(name)}`, async () => {
          const prevResult = structuredClone(add.result) as { interfaces: { name: string }[] };
          prevResult.interfaces[0]!.name = name;
          const before = (await linkNames(f.host)).sort();
          const out = await check(prevResult);
          assert.deepEqual((await linkNames(f.host)).sort(), before, "links changed");
          assert.equal(out.code, 1, out.stdout);
          assert.equal((JSON.parse(out.stdout) as { code: number }).code, 7, out.stdout);
        });
      }

      await t.step("DEL leaves the other links alone", async () => {
        const del = await cnitool("del", { network: net.name, netns: ctr }, {
          ...f.options,
          containerId,
        });
        assert.equal(del.code, 0, del.stderr);
        assert.deepEqual((await linkNames(f.host)).sort(), ["lo", ...ends].sort());
        assert.deepEqual(await hostLocalReservations(net.dataDir, net.name), []);
      });
    } finally {
      await cleanup.run();
    }
  },
});

/** Interface names with the characters an `ip -batch` line reads as comment or quote. */
const AWKWARD_IFNAMES = ["eth#1", "e'0", 'e"0', "#e1", "'e0", '"e0'];

Deno.test({
  name: "ptp through libcni: a CNI_IFNAME with #, ' or \" works like any other name",
  ignore: skip !== undefined,
  async fn(t) {
    const cleanup = new Cleanup();
    try {
      const f = await setUp(cleanup);
      const net = await addNetwork(f, "1.0.0", await pickSubnet());
      const gw = net.subnet.gateway;
      for (const ifname of AWKWARD_IFNAMES) {
        await t.step(`CNI_IFNAME ${JSON.stringify(ifname)}`, async () => {
          const ctr = await container(cleanup);
          const containerId = `dcni-${randomHex(12)}`;
          const options = { ...f.options, ifname, containerId };
          const target = { network: net.name, netns: ctr };

          const add = await cnitool("add", target, options);
          assert.equal(add.code, 0, add.stderr);
          const [address] = resultAddresses(add.result);
          assert.ok(address !== undefined, JSON.stringify(add.result));
          const ip = address.split("/")[0]!;
          assertMatchesTemplate(add.result, EXPECTED_ADD["1.0.0"], {
            "<ifname>": ifname,
            "<netns>": ctr.path,
            "<address>": address,
            "<gateway>": gw,
          });
          const hostVeth = resultHostVeth(add.result);

          // The address is on that device and on no other; the routes leave through it.
          assert.deepEqual(await linkNames(ctr), ["lo", ifname]);
          assert.deepEqual(await inetAddresses(ctr), [`${ifname} ${address}`]);
          const listed = await runOk(["ip", "-n", ctr.name, "-j", "-4", "route", "show"]);
          const table = (JSON.parse(listed.stdout) as Record<string, unknown>[])
            .map(({ dst, gateway, dev }) => ({ dst, gateway, dev }));
          assert.deepEqual(table, [
            { dst: "default", gateway: gw, dev: ifname },
            { dst: net.subnet.subnet, gateway: gw, dev: ifname },
            { dst: gw, gateway: undefined, dev: ifname },
          ]);
          assert.ok((await routes(f.host)).includes(`${ip} dev ${hostVeth} scope link`));
          assert.deepEqual(await inetAddresses(f.host), [`${hostVeth} ${gw}/32`]);
          const echo = await ping(f.host, ip);
          assert.equal(echo.code, 0, echo.stdout + echo.stderr);

          // host-local keeps the reservation under this attachment's container ID and name.
          assert.deepEqual(await hostLocalReservations(net.dataDir, net.name), [ip]);
          const owner = await Deno.readTextFile(`${net.dataDir}/${net.name}/${ip}`);
          assert.deepEqual(owner.split(/\r?\n/), [containerId, ifname]);

          const check = await cnitool("check", target, options);
          assert.equal(check.code, 0, check.stderr);

          const del = await cnitool("del", target, options);
          assert.equal(del.code, 0, del.stderr);
          assert.deepEqual(await linkNames(ctr), ["lo"]);
          assert.deepEqual(await linkNames(f.host), ["lo"]);
          assert.deepEqual(await routes(f.host), []);
          assert.deepEqual(await hostLocalReservations(net.dataDir, net.name), []);
        });
      }
    } finally {
      await cleanup.run();
    }
  },
});

Deno.test({
  name: "ptp through libcni: two networks handing out one address never share a host route",
  ignore: skip !== undefined,
  async fn(t) {
    const cleanup = new Cleanup();
    try {
      const f = await setUp(cleanup);
      // Two networks of the same subnet, each with its own host-local store: both hand out .2.
      const subnet = await pickSubnet();
      const first = await addNetwork(f, "1.0.0", subnet);
      const second = await addNetwork(f, "1.0.0", subnet);
      const ctr1 = await container(cleanup);
      const ctr2 = await container(cleanup);
      const ip = `${subnet.prefix}2`;
      let veth1 = "";

      await t.step("the first pod gets the address", async () => {
        const add = await cnitool("add", { network: first.name, netns: ctr1 }, f.options);
        assert.equal(add.code, 0, add.stderr);
        assert.deepEqual(resultAddresses(add.result), [`${ip}/24`]);
        veth1 = resultHostVeth(add.result);
      });

      await t.step("the second pod's ADD fails naming the link that holds the route", async () => {
        const add = await cnitool("add", { network: second.name, netns: ctr2 }, f.options);
        assert.equal(add.code, 1, add.stdout);
        assert.match(
          add.stderr,
          new RegExp(
            `the host route to ${ip.replaceAll(".", "\\.")}/32 already points at "${veth1}"`,
          ),
        );
        assert.equal(errorCode(add), 999, add.stderr);
      });

      await t.step("the second pod's reservation is released and no veth is left", async () => {
        assert.deepEqual(await hostLocalReservations(second.dataDir, second.name), []);
        assert.deepEqual(await hostLocalReservations(first.dataDir, first.name), [ip]);
        assert.deepEqual((await linkNames(f.host)).sort(), ["lo", veth1].sort());
        assert.deepEqual(await linkNames(ctr2), ["lo"]);
      });

      await t.step(
        "the first pod's route still points at its veth and it answers ping",
        async () => {
          assert.deepEqual(await routes(f.host), [`${ip} dev ${veth1} scope link`]);
          const echo = await ping(f.host, ip);
          assert.equal(echo.code, 0, echo.stdout + echo.stderr);
        },
      );

      await t.step("DEL of the second pod leaves the first pod's route alone", async () => {
        const del = await cnitool("del", { network: second.name, netns: ctr2 }, f.options);
        assert.equal(del.code, 0, del.stderr);
        assert.deepEqual(await routes(f.host), [`${ip} dev ${veth1} scope link`]);
        assert.deepEqual(await hostLocalReservations(first.dataDir, first.name), [ip]);
        const echo = await ping(f.host, ip);
        assert.equal(echo.code, 0, echo.stdout + echo.stderr);
      });

      await t.step("DEL of the first pod leaves nothing", async () => {
        const del = await cnitool("del", { network: first.name, netns: ctr1 }, f.options);
        assert.equal(del.code, 0, del.stderr);
        assert.deepEqual(await linkNames(f.host), ["lo"]);
        assert.deepEqual(await routes(f.host), []);
        assert.deepEqual(await hostLocalReservations(first.dataDir, first.name), []);
      });
    } finally {
      await cleanup.run();
    }
  },
});
