/**
 * The sample plugin driven by a real runtime library: libcni 1.1.2 (through tests/cnitool) runs
 * the reference bridge + host-local chained with bin/sample, as in the walkthrough, for conflists
 * of every version the chain supports, then CHECK and DEL. A misconfigured sample must make
 * libcni's ADD fail with the sample's own error. Last, netconf/mysample.conflist is used as it is.
 *
 * Each test runs cnitool inside a "runtime" namespace of its own, so the bridge, the host side of
 * the veth and ip_forward stay out of the machine's namespace; the container is a second namespace.
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
  type Netns,
  pickSubnet,
  requireE2e,
  type TestSubnet,
  writeConflist,
} from "./_netns.ts";
import {
  assertMatchesTemplate,
  ensureProjectBin,
  guardHostLocalDefaultDir,
  HOST_LOCAL_DEFAULT_DIR,
  loadExpected,
  PROJECT_CNI_PATH,
  PROJECT_NETCONF,
} from "./_deno_cni.ts";

const skip = requireE2e();
if (skip !== undefined) console.log(skip);

const EXPECTED_ADD = loadExpected("sample_libcni_add.json");

/** The versions of the walkthrough's chain: the sample needs a prevResult, so 0.3.0 and up. */
const VERSIONS = ["0.3.1", "0.4.0", "1.0.0"] as const;

/** libcni runs CHECK only for conflists of 0.4.0 and later (reference L6). */
function hasCheck(version: string): boolean {
  return version !== "0.3.1";
}

const SAMPLE_ERROR = 'invalid network configuration: "anotherAwesomeArg" is required';

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** Everything one test sets up: two namespaces, a conflist dir, host-local's dir, a libcni cache. */
interface Fixture {
  readonly container: Netns;
  readonly runtime: Netns;
  readonly netconfPath: string;
  readonly dataDir: string;
  readonly cacheDir: string;
  readonly subnet: TestSubnet;
  readonly options: CnitoolOptions;
}

async function setUp(cleanup: Cleanup, ifname: string): Promise<Fixture> {
  await ensureProjectBin();
  const dir = await makeTempDir(cleanup);
  const netconfPath = `${dir}/net.d`;
  await Deno.mkdir(netconfPath);
  const runtime = await createNetns();
  cleanup.defer(() => deleteNetns(runtime));
  const container = await createNetns();
  cleanup.defer(() => deleteNetns(container));
  const cacheDir = `${dir}/cache`;
  return {
    container,
    runtime,
    netconfPath,
    dataDir: `${dir}/host-local`,
    cacheDir,
    subnet: await pickSubnet(),
    options: {
      cniPath: PROJECT_CNI_PATH,
      netconfPath,
      cacheDir,
      ifname,
      containerId: "dcni-sample",
      runtimeNetns: runtime,
    },
  };
}

/** The walkthrough's network: bridge + host-local (private dataDir), then the sample. */
function chainConflist(
  fixture: Fixture,
  cniVersion: string,
  sample: Record<string, unknown>,
): { name: string } & Record<string, unknown> {
  return {
    cniVersion,
    name: "dcni-sample",
    plugins: [
      {
        type: "bridge",
        bridge: "cni-sample",
        isGateway: true,
        ipam: { type: "host-local", subnet: fixture.subnet.subnet, dataDir: fixture.dataDir },
      },
      { type: "sample", ...sample },
    ],
  };
}

/** The IPv4 addresses ("10.1.2.3/24") on one link of a namespace; fails if there is no such link. */
async function ipv4On(netns: Netns, ifname: string): Promise<string[]> {
  const link = (await listAddresses(netns)).find((l) => l.ifname === ifname);
  assert.ok(link, `no link "${ifname}" in netns "${netns.name}"`);
  return link.addresses.filter((a) => a.family === "inet").map((a) => `${a.local}/${a.prefixlen}`);
}

async function linkNames(netns: Netns): Promise<string[]> {
  return (await listLinks(netns)).map((l) => l.ifname).sort();
}

function cacheFile(fixture: Fixture, network: string): string {
  return `${fixture.cacheDir}/results/${network}-${fixture.options.containerId}-${fixture.options.ifname}`;
}

async function exists(path: string): Promise<boolean> {
  try {
    await Deno.stat(path);
    return true;
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return false;
    throw error;
  }
}

/** stderr without its final newline, split into lines. */
function lines(text: string): string[] {
  return text.trimEnd().split("\n");
}

/** The sandbox interface a result names, by the index its first IP points at. */
function resultInterface(result: unknown): Record<string, unknown> {
  assert.ok(isRecord(result) && Array.isArray(result.ips) && Array.isArray(result.interfaces));
  const ip: unknown = result.ips[0];
  assert.ok(isRecord(ip) && typeof ip.interface === "number", "the first IP names no interface");
  const iface: unknown = result.interfaces[ip.interface];
  assert.ok(isRecord(iface), `interface ${ip.interface} is not in the result`);
  return iface;
}

for (const version of VERSIONS) {
  Deno.test({
    name: `the sample after bridge + host-local through libcni, cniVersion ${version}`,
    ignore: skip !== undefined,
    async fn(t) {
      const cleanup = new Cleanup();
      try {
        const fixture = await setUp(cleanup, "net1");
        const { container, runtime, options, subnet, dataDir } = fixture;
        const conflist = chainConflist(fixture, version, { anotherAwesomeArg: "awesome" });
        const network = conflist.name;
        await writeConflist(fixture.netconfPath, conflist);
        const target = { network, netns: container };
        const address = `${subnet.prefix}2/24`;

        await t.step(
          "ADD exits 0 with a result in the conflist's version naming CNI_IFNAME",
          async () => {
            const add = await cnitool("add", target, options);
            assert.equal(add.code, 0, add.stderr);
            assertMatchesTemplate(add.result, EXPECTED_ADD[version], {
              "<bridge>": "cni-sample",
              "<ifname>": "net1",
              "<netns>": container.path,
              "<address>": address,
              "<gateway>": subnet.gateway,
            });
          },
        );

        await t.step("the result's address is on CNI_IFNAME inside the namespace", async () => {
          assert.deepEqual(await ipv4On(container, "net1"), [address]);
          assert.deepEqual(await linkNames(container), ["lo", "net1"]);
          const cached: unknown = JSON.parse(await Deno.readTextFile(cacheFile(fixture, network)));
          assert.ok(isRecord(cached), "libcni's cache file holds no object");
          const link = (await listLinks(container)).find((l) => l.ifname === "net1");
          assert.equal(resultInterface(cached.result).mac, link?.address);
          assert.deepEqual(await hostLocalReservations(dataDir, network), [`${subnet.prefix}2`]);
        });

        if (hasCheck(version)) {
          await t.step("CHECK passes", async () => {
            const check = await cnitool("check", target, options);
            assert.equal(check.code, 0, check.stderr);
            assert.equal(check.stdout, "");
          });

          await t.step("CHECK runs the sample: without anotherAwesomeArg it fails", async () => {
            await writeConflist(fixture.netconfPath, chainConflist(fixture, version, {}));
            try {
              const check = await cnitool("check", target, options);
              assert.equal(check.code, 1);
              assert.deepEqual(lines(check.stderr), [SAMPLE_ERROR, "code=7"]);
            } finally {
              await writeConflist(fixture.netconfPath, conflist);
            }
          });
        } else {
          await t.step("libcni refuses CHECK below 0.4.0 without running a plugin", async () => {
            const check = await cnitool("check", target, options);
            assert.equal(check.code, 1);
            assert.deepEqual(lines(check.stderr), [
              `configuration version "${version}" does not support the CHECK command`,
            ]);
          });
        }

        await t.step("DEL succeeds and leaves no link, address or reservation", async () => {
          const del = await cnitool("del", target, options);
          assert.equal(del.code, 0, del.stderr);
          assert.equal(del.stdout, "");
          assert.deepEqual(await linkNames(container), ["lo"]);
          assert.deepEqual((await listAddresses(container)).flatMap((l) => l.addresses), []);
          // The bridge plugin never deletes the bridge; the veth's host side must be gone.
          assert.deepEqual(await linkNames(runtime), ["cni-sample", "lo"]);
          assert.deepEqual(await hostLocalReservations(dataDir, network), []);
          assert.equal(await exists(cacheFile(fixture, network)), false, "libcni kept its cache");
        });

        await t.step("a second DEL succeeds", async () => {
          const del = await cnitool("del", target, options);
          assert.equal(del.code, 0, del.stderr);
          assert.deepEqual(await linkNames(container), ["lo"]);
          assert.deepEqual(await hostLocalReservations(dataDir, network), []);
        });
      } finally {
        await cleanup.run();
      }
    },
  });
}

Deno.test({
  name: "a misconfigured sample fails libcni's ADD with its own message and code",
  ignore: skip !== undefined,
  async fn(t) {
    const cleanup = new Cleanup();
    try {
      const fixture = await setUp(cleanup, "eth0");
      const { container, options, dataDir } = fixture;
      const broken = chainConflist(fixture, "1.0.0", { myAwesomeFlag: true });
      const network = broken.name;
      await writeConflist(fixture.netconfPath, broken);
      const target = { network, netns: container };

      await t.step("ADD exits 1 with the sample's message and code 7", async () => {
        const add = await cnitool("add", target, options);
        assert.equal(add.code, 1);
        assert.equal(add.stdout, "");
        assert.deepEqual(lines(add.stderr), [
          `plugin type="sample" failed (add): ${SAMPLE_ERROR}`,
          "code=7",
        ]);
      });

      // libcni does not DEL after a failed ADD: what the bridge set up before the sample ran
      // stays until the runtime's DEL. The sample itself sets nothing up; nothing is cached.
      await t.step("the bridge's allocation remains and libcni cached nothing", async () => {
        const addresses = await ipv4On(container, "eth0");
        assert.equal(addresses.length, 1);
        const [reserved] = await hostLocalReservations(dataDir, network);
        assert.equal(`${reserved}/24`, addresses[0]);
        assert.equal(await exists(cacheFile(fixture, network)), false);
      });

      // DEL runs the plugins in reverse order, the sample first: its DEL succeeds with a warning
      // on its own bad keys, so the bridge gets its DEL with this same configuration and the
      // allocation is released at once, without fixing the configuration first.
      await t.step("DEL of the same configuration releases the allocation", async () => {
        const del = await cnitool("del", target, options);
        assert.equal(del.code, 0, del.stderr);
        assert.match(del.stderr, /sample DEL: warn: DEL succeeds without releasing anything: /);
        assert.deepEqual(await linkNames(container), ["lo"]);
        assert.deepEqual(await hostLocalReservations(dataDir, network), []);
      });

      await t.step("a second DEL succeeds too", async () => {
        const del = await cnitool("del", target, options);
        assert.equal(del.code, 0, del.stderr);
      });
    } finally {
      await cleanup.run();
    }
  },
});

Deno.test({
  name: "netconf/mysample.conflist as it is: ADD, CHECK and DEL through libcni",
  ignore: skip !== undefined,
  async fn(t) {
    const cleanup = new Cleanup();
    try {
      const fixture = await setUp(cleanup, "eth0");
      const { container, runtime, options } = fixture;
      const original = await Deno.readTextFile(`${PROJECT_NETCONF}/mysample.conflist`);
      await Deno.writeTextFile(`${fixture.netconfPath}/mysample.conflist`, original);
      const parsed: unknown = JSON.parse(original);
      assert.ok(isRecord(parsed) && typeof parsed.name === "string");
      const network = parsed.name;
      // The file names no dataDir, so host-local uses /var/lib/cni/networks/<network>.
      guardHostLocalDefaultDir(cleanup, network);
      const dataDir = HOST_LOCAL_DEFAULT_DIR;
      const target = { network, netns: container };
      // If a step fails, release what ADD took before the guard removes the dir.
      cleanup.defer(() => cnitool("del", target, options));
      let address = "";
      const reservedBy = () => hostLocalReservations(dataDir, network);

      await t.step("ADD gives eth0 an address from the file's subnet", async () => {
        const add = await cnitool("add", target, options);
        assert.equal(add.code, 0, add.stderr);
        assert.ok(isRecord(add.result) && add.result.cniVersion === parsed.cniVersion);
        const addresses = await ipv4On(container, "eth0");
        assert.equal(addresses.length, 1);
        address = addresses[0] ?? "";
        assert.match(address, /^10\.22\.\d+\.\d+\/16$/);
        assert.equal(resultInterface(add.result).name, "eth0");
        assert.ok((await reservedBy()).includes(address.replace(/\/\d+$/, "")), "not reserved");
      });

      await t.step("CHECK passes", async () => {
        const check = await cnitool("check", target, options);
        assert.equal(check.code, 0, check.stderr);
      });

      await t.step("DEL removes eth0 and releases the address", async () => {
        const del = await cnitool("del", target, options);
        assert.equal(del.code, 0, del.stderr);
        assert.deepEqual(await linkNames(container), ["lo"]);
        assert.deepEqual(await linkNames(runtime), ["cni-mysample", "lo"]);
        const left = await reservedBy();
        assert.ok(!left.includes(address.replace(/\/\d+$/, "")), `${address} is still reserved`);
      });
    } finally {
      await cleanup.run();
    }
  },
});
