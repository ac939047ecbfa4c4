/**
 * The TypeScript cnitool (cli/cnitool.ts) as the walkthrough uses it, with no Go anywhere: it runs
 * netconf/mysample.conflist (the reference bridge and host-local from /usr/lib/cni, then the
 * project's sample) for a network namespace of the test's own, with the bridge's side in a second
 * namespace, through ADD, CHECK and DEL; the walkthrough's command exactly as written; a throwaway
 * namespace with --netns-new, also when a plugin of the chain fails; and GC and STATUS with the
 * project's 1.1.0 plugins.
 */
import assert from "node:assert/strict";
import { type CnitoolFixture, setUpCnitool } from "./_cnitool_fixture.ts";
import {
  Cleanup,
  deleteNetns,
  hostLocalReservations,
  isFile,
  isRoot,
  listAddresses,
  listLinks,
  missingPrerequisites,
  type Netns,
  onPath,
  randomHex,
  REFERENCE_PLUGIN_DIR,
  runOk,
} from "./_netns.ts";
import {
  assertMatchesTemplate,
  guardHostLocalDefaultDir,
  HOST_LOCAL_DEFAULT_DIR,
  PROJECT_NETCONF,
} from "./_deno_cni.ts";
import {
  CNITOOL_TASK,
  lines,
  REPO_ROOT,
  runTool,
  tracedRuns,
  tsCnitool,
} from "../runtime/_cnitool_process.ts";

const missing = missingPrerequisites({
  root: isRoot,
  "ip (apt-get install iproute2)": () => onPath("ip"),
  "nsenter (apt-get install util-linux)": () => onPath("nsenter"),
  [`${REFERENCE_PLUGIN_DIR}/{bridge,host-local} (apt-get install containernetworking-plugins)`]:
    () => ["bridge", "host-local"].every((p) => isFile(`${REFERENCE_PLUGIN_DIR}/${p}`)),
});
const skip = missing.length === 0
  ? undefined
  : `cnitool e2e skipped, missing: ${missing.join(", ")}`;
if (skip !== undefined) console.log(skip);

type Json = Record<string, unknown>;

function isRecord(value: unknown): value is Json {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** netconf/<file> parsed. */
async function repoNetwork(file: string): Promise<Json> {
  const parsed: unknown = JSON.parse(await Deno.readTextFile(`${PROJECT_NETCONF}/${file}`));
  assert.ok(isRecord(parsed));
  return parsed;
}

/** The list with each plugin's host-local reservations kept in `dataDir`. */
function withDataDir(list: Json, dataDir: string): Json {
  const plugins = (list.plugins as Json[]).map((plugin) =>
    isRecord(plugin.ipam) ? { ...plugin, ipam: { ...plugin.ipam, dataDir } } : plugin
  );
  return { ...list, plugins };
}

type Fixture = CnitoolFixture;

function setUp(cleanup: Cleanup): Promise<Fixture> {
  return setUpCnitool(cleanup, "dcni-cnitool-");
}

async function writeList(fixture: Fixture, file: string, list: Json): Promise<void> {
  await Deno.writeTextFile(`${fixture.netconfPath}/${file}`, JSON.stringify(list, null, 2));
}

async function linkNames(netns: Netns): Promise<string[]> {
  return (await listLinks(netns)).map((l) => l.ifname).sort();
}

async function ipv4(netns: Netns, ifname: string): Promise<string[]> {
  const link = (await listAddresses(netns)).find((l) => l.ifname === ifname);
  assert.ok(link, `no ${ifname} in ${netns.name}`);
  return link.addresses.filter((a) => a.family === "inet").map((a) => `${a.local}/${a.prefixlen}`);
}

async function exists(path: string): Promise<boolean> {
  return await Deno.stat(path).then(() => true, () => false);
}

async function cacheEntries(fixture: Fixture): Promise<string[]> {
  const names: string[] = [];
  try {
    for await (const entry of Deno.readDir(`${fixture.options.cacheDir}/results`)) {
      names.push(entry.name);
    }
  } catch (error) {
    if (!(error instanceof Deno.errors.NotFound)) throw error;
  }
  return names.sort();
}

/** The ADD result of the walkthrough's chain, with what varies from run to run as placeholders. */
function mysampleTemplate(bridge: string) {
  return {
    cniVersion: "1.0.0",
    interfaces: [
      { mac: "<mac>", name: bridge },
      { mac: "<mac>", name: "<veth>" },
      { mac: "<mac>", name: "eth0", sandbox: "<netns>" },
    ],
    ips: [{ address: "<address>", gateway: "<gateway>", interface: 2 }],
    routes: [{ dst: "0.0.0.0/0" }],
  };
}

Deno.test({
  name: "cnitool runs netconf/mysample.conflist: ADD, CHECK, DEL",
  ignore: skip !== undefined,
  async fn(t) {
    const cleanup = new Cleanup();
    try {
      const fixture = await setUp(cleanup);
      const { container, runtime, options, dataDir } = fixture;
      const original = await repoNetwork("mysample.conflist");
      const network = original.name as string;
      const bridge = (original.plugins as Json[])[0]!.bridge as string;
      await writeList(fixture, "mysample.conflist", withDataDir(original, dataDir));
      const target = [network, container.path];

      await t.step("ADD prints the chain's result, and the address is on eth0", async () => {
        const add = await tsCnitool(["add", ...target], options);
        assert.equal(add.code, 0, add.stderr);
        assert.equal(add.stderr, "");
        const [address] = await ipv4(container, "eth0");
        const [gateway] = await ipv4(runtime, bridge);
        assert.ok(address && gateway);
        assertMatchesTemplate(add.result, mysampleTemplate(bridge), {
          "<netns>": container.path,
          "<address>": address,
          "<gateway>": gateway.split("/")[0],
        });
        assert.deepEqual(await linkNames(container), ["eth0", "lo"]);
        assert.deepEqual(await hostLocalReservations(dataDir, network), [address.split("/")[0]]);
      });

      await t.step("the result is cached in libcni's format", async () => {
        const [entry] = await cacheEntries(fixture);
        assert.match(entry!, new RegExp(`^${network}-cnitool-[0-9a-f]{20}-eth0$`));
        const cached = JSON.parse(
          await Deno.readTextFile(`${options.cacheDir}/results/${entry}`),
        );
        assert.equal(cached.kind, "cniCacheV1");
        assert.equal(cached.netns, container.path);
        assert.equal(
          atob(cached.config),
          await Deno.readTextFile(`${fixture.netconfPath}/mysample.conflist`),
        );
        const eth0 = (await listLinks(container)).find((l) => l.ifname === "eth0");
        assert.equal(cached.result.interfaces[2].mac, eth0?.address);
      });

      await t.step("CHECK passes", async () => {
        const check = await tsCnitool(["check", ...target], options);
        assert.deepEqual([check.code, check.stdout, check.stderr], [0, "", ""]);
      });

      await t.step("CHECK notices a missing address", async () => {
        const [address] = await ipv4(container, "eth0");
        await runOk(["ip", "-n", container.name, "addr", "del", address!, "dev", "eth0"]);
        try {
          const check = await tsCnitool(["check", ...target], options);
          assert.equal(check.code, 1);
          assert.match(
            lines(check.stderr)[0]!,
            /^plugin type="(bridge|sample)" failed \(check\): /,
          );
        } finally {
          await runOk(["ip", "-n", container.name, "addr", "add", address!, "dev", "eth0"]);
        }
      });

      await t.step("DEL removes the link, the reservation and the cache entry", async () => {
        const del = await tsCnitool(["del", ...target], options);
        assert.deepEqual([del.code, del.stdout, del.stderr], [0, "", ""]);
        assert.deepEqual(await linkNames(container), ["lo"]);
        assert.deepEqual(await linkNames(runtime), [bridge, "lo"]);
        assert.deepEqual(await hostLocalReservations(dataDir, network), []);
        assert.deepEqual(await cacheEntries(fixture), []);
      });

      await t.step("a second DEL succeeds", async () => {
        const del = await tsCnitool(["del", ...target], options);
        assert.equal(del.code, 0, del.stderr);
      });
    } finally {
      await cleanup.run();
    }
  },
});

Deno.test({
  name: "the walkthrough's command works as written, from the checkout",
  ignore: skip !== undefined,
  async fn(t) {
    const cleanup = new Cleanup();
    try {
      const fixture = await setUp(cleanup);
      const { container, runtime } = fixture;
      // netconf/mysample.conflist names no dataDir: host-local uses its default directory.
      guardHostLocalDefaultDir(cleanup, "mysample");
      const tasks = JSON.parse(await Deno.readTextFile(`${REPO_ROOT}/deno.json`)).tasks ?? {};
      await t.step("deno.json has the cnitool task", () => {
        assert.equal(tasks.cnitool, CNITOOL_TASK);
      });
      const walkthrough = {
        cniPath: ["./bin", REFERENCE_PLUGIN_DIR],
        netconfPath: "./netconf",
        cacheDir: fixture.options.cacheDir,
        runtimeNetns: runtime,
        cwd: REPO_ROOT,
      };
      // The cache goes to the test's directory, not the machine's /var/lib/cni.
      const cacheDir = `--cache-dir=${fixture.options.cacheDir}`;
      const task = (verb: string) =>
        runTool(
          [Deno.execPath(), "task", "-q", "cnitool", cacheDir, verb, "mysample", container.path],
          walkthrough,
        );

      await t.step(
        "CNI_PATH=./bin... NETCONFPATH=./netconf deno task cnitool add mysample NETNS",
        async () => {
          const add = await task("add");
          assert.equal(add.code, 0, add.stderr);
          const [address] = await ipv4(container, "eth0");
          const result = add.result as { ips: { address: string }[] };
          assert.equal(result.ips[0]?.address, address);
          assert.equal(
            (await hostLocalReservations(HOST_LOCAL_DEFAULT_DIR, "mysample")).length >= 1,
            true,
          );
        },
      );

      await t.step("relative paths are taken from where the command is typed", async () => {
        // From a subdirectory, ./bin and ./netconf do not exist: the tool says so.
        const fromTests = await runTool(
          [
            Deno.execPath(),
            "task",
            "-q",
            "cnitool",
            cacheDir,
            "check",
            "mysample",
            container.path,
          ],
          { ...walkthrough, cwd: `${REPO_ROOT}/tests` },
        );
        assert.equal(fromTests.code, 1);
        assert.equal(fromTests.stderr, "no net configurations found in ./netconf\n");
      });

      await t.step("check and del", async () => {
        const check = await task("check");
        assert.equal(check.code, 0, check.stderr);
        const del = await task("del");
        assert.equal(del.code, 0, del.stderr);
        assert.deepEqual(await linkNames(container), ["lo"]);
      });
    } finally {
      await cleanup.run();
    }
  },
});

Deno.test({
  name: "cnitool --netns-new runs ADD in a throwaway namespace and removes everything after",
  ignore: skip !== undefined,
  async fn() {
    const cleanup = new Cleanup();
    try {
      const fixture = await setUp(cleanup);
      const { options, dataDir, runtime } = fixture;
      const original = await repoNetwork("mysample.conflist");
      await writeList(fixture, "mysample.conflist", withDataDir(original, dataDir));
      const name = `dcni-${randomHex(10)}`;
      cleanup.defer(() => deleteNetns({ name, path: `/var/run/netns/${name}` }));
      const add = await tsCnitool(["--netns-new", "add", original.name as string, name], options);
      assert.equal(add.code, 0, add.stderr);
      const result = add.result as { interfaces: { name: string; sandbox?: string }[] };
      assert.deepEqual(result.interfaces[2], {
        ...result.interfaces[2],
        name: "eth0",
        sandbox: `/var/run/netns/${name}`,
      });
      assert.equal(await exists(`/var/run/netns/${name}`), false);
      assert.deepEqual(await hostLocalReservations(dataDir, original.name as string), []);
      assert.deepEqual(await cacheEntries(fixture), []);
      const bridge = (original.plugins as Json[])[0]!.bridge as string;
      assert.deepEqual(await linkNames(runtime), [bridge, "lo"]);
    } finally {
      await cleanup.run();
    }
  },
});

Deno.test({
  name: "cnitool --netns-new add: when a later plugin fails, DEL releases the address first",
  ignore: skip !== undefined,
  async fn() {
    const cleanup = new Cleanup();
    try {
      const fixture = await setUp(cleanup);
      const { options, dataDir, runtime, dir } = fixture;
      // The walkthrough's bridge with host-local, then a plugin whose ADD fails.
      await Deno.mkdir(`${dir}/bin`);
      await Deno.writeTextFile(
        `${dir}/bin/fails`,
        "#!/bin/sh\ncat >/dev/null\n" +
          '[ "$CNI_COMMAND" = ADD ] || exit 0\n' +
          `echo '{"cniVersion":"1.0.0","code":11,"msg":"no room"}'\nexit 1\n`,
        { mode: 0o755 },
      );
      await Deno.chmod(`${dir}/bin/fails`, 0o755);
      const original = withDataDir(await repoNetwork("mysample.conflist"), dataDir);
      const bridge = (original.plugins as Json[])[0]!;
      await writeList(fixture, "failing.conflist", {
        ...original,
        name: "failing",
        plugins: [bridge, { type: "fails" }],
      });
      const name = `dcni-${randomHex(10)}`;
      cleanup.defer(() => deleteNetns({ name, path: `/var/run/netns/${name}` }));
      const add = await tsCnitool(["--netns-new", "add", "failing", name], {
        ...options,
        cniPath: [...options.cniPath, `${dir}/bin`],
      });
      assert.equal(add.code, 1);
      assert.equal(add.stderr, 'plugin type="fails" failed (add): no room\ncode=11\n');
      // host-local's address is released, the namespace and the cache entry are gone.
      assert.deepEqual(await hostLocalReservations(dataDir, "failing"), []);
      assert.equal(await exists(`/var/run/netns/${name}`), false);
      assert.deepEqual(await cacheEntries(fixture), []);
      assert.deepEqual(await linkNames(runtime), [bridge.bridge as string, "lo"]);
    } finally {
      await cleanup.run();
    }
  },
});

Deno.test({
  name: "cnitool runs GC and STATUS with the project's 1.1.0 plugins",
  ignore: skip !== undefined,
  async fn(t) {
    const cleanup = new Cleanup();
    try {
      const fixture = await setUp(cleanup);
      const { container, options } = fixture;
      // The project's plugin types, as netconf/ names them.
      const noop = ((await repoNetwork("noop.conflist")).plugins as Json[])[0]!.type as string;
      const sample = { type: "sample", anotherAwesomeArg: "awesome" };
      const gcList = (plugins: Json[], cniVersion = "1.1.0") => ({
        cniVersion,
        name: "gcnet",
        plugins,
      });
      await writeList(fixture, "gcnet.conflist", gcList([{ type: noop }]));
      for (const id of ["dcni-c1", "dcni-c2"]) {
        const add = await tsCnitool(["add", "gcnet", container.path], {
          ...options,
          containerId: id,
        });
        assert.equal(add.code, 0, add.stderr);
        assert.deepEqual(add.result, { cniVersion: "1.1.0" });
      }
      assert.deepEqual(await cacheEntries(fixture), ["gcnet-dcni-c1-eth0", "gcnet-dcni-c2-eth0"]);
      // The network now chains the sample after noop: GC runs the list as it is now.
      await writeList(fixture, "gcnet.conflist", gcList([{ type: noop }, sample]));

      await t.step(
        "gc --valid: stale attachments get a full DEL, then each plugin GC",
        async () => {
          const gc = await tsCnitool(
            ["-v", "gc", "--valid", "dcni-c2/eth0", "gcnet", container.path],
            options,
          );
          assert.equal(gc.code, 0, gc.stderr);
          const runs = tracedRuns(gc.stderr);
          assert.deepEqual(runs.map((r) => r.run), [
            "DEL sample",
            `DEL ${noop}`,
            `GC ${noop}`,
            "GC sample",
          ]);
          assert.deepEqual((runs[0]!.stdin as Json).prevResult, { cniVersion: "1.1.0" });
          const valid = [{ containerID: "dcni-c2", ifname: "eth0" }];
          assert.deepEqual((runs[2]!.stdin as Json)["cni.dev/valid-attachments"], valid);
          assert.deepEqual((runs[3]!.stdin as Json)["cni.dev/attachments"], valid);
          assert.match(gc.stderr, /CNI_CONTAINERID=dcni-c1 /);
          assert.deepEqual(await cacheEntries(fixture), ["gcnet-dcni-c2-eth0"]);
        },
      );

      await t.step(
        "gc without --valid deletes every cached attachment, as Go's cnitool",
        async () => {
          const gc = await tsCnitool(["-v", "gc", "gcnet", container.path], options);
          assert.equal(gc.code, 0, gc.stderr);
          const runs = tracedRuns(gc.stderr);
          assert.deepEqual(runs.map((r) => r.run), [
            "DEL sample",
            `DEL ${noop}`,
            `GC ${noop}`,
            "GC sample",
          ]);
          assert.equal("cni.dev/valid-attachments" in (runs[2]!.stdin as Json), false);
          assert.deepEqual(await cacheEntries(fixture), []);
        },
      );

      await t.step("status asks each plugin", async () => {
        const status = await tsCnitool(["-v", "status", "gcnet", container.path], options);
        assert.equal(status.code, 0, status.stderr);
        assert.deepEqual(tracedRuns(status.stderr).map((r) => r.run), [
          `STATUS ${noop}`,
          "STATUS sample",
        ]);
      });

      await t.step("status fails with the plugin's error and code", async () => {
        await writeList(fixture, "gcnet.conflist", gcList([{ type: noop }, { type: "sample" }]));
        const status = await tsCnitool(["status", "gcnet", container.path], options);
        assert.equal(status.code, 1);
        const [message, code] = lines(status.stderr);
        assert.match(message!, /^plugin type="sample" failed \(status\): ./);
        assert.match(code!, /^code=[1-9][0-9]*$/);
      });

      await t.step("below 1.1.0 there is no STATUS: nothing runs", async () => {
        await writeList(fixture, "gcnet.conflist", gcList([{ type: noop }, sample], "1.0.0"));
        const status = await tsCnitool(["-v", "status", "gcnet", container.path], options);
        assert.deepEqual([status.code, status.stderr], [0, ""]);
      });
    } finally {
      await cleanup.run();
    }
  },
});
