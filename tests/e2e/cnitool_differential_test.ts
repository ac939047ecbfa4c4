/**
 * The TypeScript cnitool against Go's: tests/cnitool, built on Debian's libcni 1.1.2, and
 * cli/cnitool.ts run the project's own networks (netconf/*.conflist of cniVersion 1.0.0, the
 * version libcni 1.1.2 speaks, made only of the plugins the project ships and reference plugins)
 * for the same namespace, with one shared cache directory. They must give the same results as
 * data and the same failures (exit status, message, error code), and each must CHECK and DEL what
 * the other added.
 *
 * A network that uses a plugin `deno task new` wrote (into plugins/) is left out, with a line
 * saying so: its needs are its author's (the scaffold's IPAM plugin, for one, may write only under
 * /var/lib/cni, where this test does not put reservations), and adding a plugin the documented
 * way must not break the project's tests.
 *
 * Known differences, normalised here: libcni 1.1.2 prints an empty `"dns": {}` in 1.0.0 results,
 * which spec 1.1.0's libcni (and this tool) leave out; its 1.0.0 result type has none of the
 * members spec 1.1.0 added to the 1.x results (an interface's `mtu`, a route's `table`, ...),
 * which it drops and this tool keeps, as spec 1.1.0's libcni does; this tool's cache entries record the
 * netns, as spec 1.1.0's libcni does; and for a failed CHECK this tool names the plugin in front
 * of the message that Go's prints alone.
 */
import assert from "node:assert/strict";
import { type CnitoolFixture, setUpCnitool } from "./_cnitool_fixture.ts";
import {
  buildCnitool,
  Cleanup,
  hostLocalReservations,
  listLinks,
  type Netns,
  requireE2e,
} from "./_netns.ts";
import { PROJECT_NETCONF } from "./_deno_cni.ts";
import { type PluginEntry, readManifest } from "../../scripts/manifest.ts";
import {
  lines,
  runTool,
  type ToolOptions,
  type ToolOutput,
  tsCnitool,
} from "../runtime/_cnitool_process.ts";

const skip = requireE2e();
if (skip !== undefined) console.log(skip);

type Json = Record<string, unknown>;

function isRecord(value: unknown): value is Json {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** Where `deno task new` (scripts/new.ts) writes a newcomer's plugins. */
const SCAFFOLD_DIR = "plugins/";

/** Every plugin type a network names: its plugins' and their IPAM plugins'. */
function typesOf(list: Json): string[] {
  const plugins = Array.isArray(list.plugins) ? list.plugins.filter(isRecord) : [];
  return plugins
    .flatMap((plugin) => [plugin.type, isRecord(plugin.ipam) ? plugin.ipam.type : undefined])
    .filter((type): type is string => typeof type === "string");
}

/** The networks this test runs, and why each other one is left out. */
interface Selection {
  readonly networks: { file: string; list: Json }[];
  readonly leftOut: string[];
}

/**
 * The project's own networks that libcni 1.1.2 can run: the `.conflist` files of `dir` of version
 * 1.0.0 that use no plugin of `manifest` whose entry file is in plugins/ (the scaffold's).
 */
function projectNetworks(dir: string, manifest: readonly PluginEntry[]): Selection {
  const scaffolded = new Set(
    manifest.filter((p) => p.entry.startsWith(SCAFFOLD_DIR)).map((p) => p.name),
  );
  const networks: { file: string; list: Json }[] = [];
  const leftOut: string[] = [];
  for (const entry of Deno.readDirSync(dir)) {
    if (!entry.isFile || !entry.name.endsWith(".conflist")) continue;
    const list: unknown = JSON.parse(Deno.readTextFileSync(`${dir}/${entry.name}`));
    if (!isRecord(list) || list.cniVersion !== "1.0.0") continue;
    const theirs = typesOf(list).filter((type) => scaffolded.has(type));
    if (theirs.length > 0) {
      leftOut.push(`netconf/${entry.name} uses ${theirs.join(", ")}, a plugin of ${SCAFFOLD_DIR}`);
    } else {
      networks.push({ file: entry.name, list });
    }
  }
  networks.sort((a, b) => a.file < b.file ? -1 : 1);
  return { networks, leftOut: leftOut.sort() };
}

/** The list with host-local's reservations in `dataDir`, so the machine's stay untouched. */
function withDataDir(list: Json, dataDir: string): Json {
  const plugins = (list.plugins as Json[]).map((plugin) =>
    isRecord(plugin.ipam) ? { ...plugin, ipam: { ...plugin.ipam, dataDir } } : plugin
  );
  return { ...list, plugins };
}

const MAC = /^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/;
const VETH = /^veth[0-9a-f]{8}$/;

/** Members of 1.x results that spec 1.1.0 added and libcni 1.1.2's result type does not have. */
const NEWER_MEMBERS: Readonly<Record<string, readonly string[]>> = {
  interfaces: ["mtu", "socketPath", "pciID"],
  routes: ["mtu", "advmss", "priority", "table", "scope"],
};

/**
 * A result or cache entry with what differs from run to run as placeholders (MACs, veth names),
 * libcni 1.1.2's empty `dns` left out, and the spec 1.1.0 members libcni 1.1.2 drops dropped.
 */
function normalise(value: unknown, parent = ""): unknown {
  if (typeof value === "string") {
    return MAC.test(value) ? "<mac>" : VETH.test(value) ? "<veth>" : value;
  }
  if (Array.isArray(value)) return value.map((item) => normalise(item, parent));
  if (!isRecord(value)) return value;
  const dropped = NEWER_MEMBERS[parent] ?? [];
  return Object.fromEntries(
    Object.entries(value)
      .filter(([key, member]) =>
        !dropped.includes(key) &&
        !(key === "dns" && isRecord(member) && Object.keys(member).length === 0)
      )
      .map(([key, member]) => [key, normalise(member, key)]),
  );
}

type Fixture = CnitoolFixture;

function setUp(cleanup: Cleanup): Promise<Fixture> {
  return setUpCnitool(cleanup, "dcni-diff-");
}

async function goCnitool(args: readonly string[], options: ToolOptions): Promise<ToolOutput> {
  return await runTool([await buildCnitool(), ...args], options);
}

async function linkNames(netns: Netns): Promise<string[]> {
  return (await listLinks(netns)).map((l) => l.ifname).sort();
}

async function cacheEntries(fixture: Fixture): Promise<Record<string, Json>> {
  const entries: Record<string, Json> = {};
  try {
    for await (const entry of Deno.readDir(`${fixture.options.cacheDir}/results`)) {
      entries[entry.name] = JSON.parse(
        await Deno.readTextFile(`${fixture.options.cacheDir}/results/${entry.name}`),
      );
    }
  } catch (error) {
    if (!(error instanceof Deno.errors.NotFound)) throw error;
  }
  return entries;
}

/** Asserts that two runs failed or succeeded alike: exit status, stdout and stderr. */
function assertSameOutcome(go: ToolOutput, ts: ToolOutput): void {
  assert.deepEqual(
    { code: ts.code, stdout: ts.stdout, stderr: lines(ts.stderr) },
    { code: go.code, stdout: go.stdout, stderr: lines(go.stderr) },
  );
}

Deno.test("only the project's own networks are compared: a scaffolded plugin's are left out", async (t) => {
  const dir = await Deno.makeTempDir({ prefix: "dcni-diff-select-" });
  try {
    const write = (file: string, list: Json) =>
      Deno.writeTextFileSync(`${dir}/${file}`, JSON.stringify(list));
    const bridge = (ipamType: string) => ({
      type: "bridge",
      bridge: "cni-x",
      ipam: { type: ipamType, range: "10.31.0.0/29" },
    });
    write("own.conflist", {
      cniVersion: "1.0.0",
      name: "own",
      plugins: [bridge("host-local"), { type: "sample" }],
    });
    write("ipam.conflist", { cniVersion: "1.0.0", name: "ipam", plugins: [bridge("myipam")] });
    write("chained.conflist", {
      cniVersion: "1.0.0",
      name: "chained",
      plugins: [bridge("host-local"), { type: "mychained" }],
    });
    write("old.conflist", { cniVersion: "0.4.0", name: "old", plugins: [{ type: "sample" }] });
    write("notes.txt", { cniVersion: "1.0.0" });
    const manifest: PluginEntry[] = [
      { name: "sample", entry: "main.ts", about: "", permissions: [] },
      { name: "myipam", entry: "plugins/myipam.ts", about: "", permissions: [] },
      { name: "mychained", entry: "plugins/mychained.ts", about: "", permissions: [] },
    ];
    const selection = projectNetworks(dir, manifest);
    await t.step("the project's network of version 1.0.0 is run", () => {
      assert.deepEqual(selection.networks.map((n) => n.file), ["own.conflist"]);
    });
    await t.step("a network with a scaffolded plugin, as IPAM or in the chain, is left out", () => {
      assert.deepEqual(selection.leftOut, [
        "netconf/chained.conflist uses mychained, a plugin of plugins/",
        "netconf/ipam.conflist uses myipam, a plugin of plugins/",
      ]);
    });
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
  await t.step("the shipped networks of netconf/ are all run", () => {
    const files = projectNetworks(PROJECT_NETCONF, readManifest()).networks.map((n) => n.file);
    for (const file of ["mysample.conflist", "noop.conflist", "ptp.conflist"]) {
      assert.ok(files.includes(file), `netconf/${file} is run`);
    }
  });
});

const selection = projectNetworks(PROJECT_NETCONF, readManifest());
for (const reason of selection.leftOut) console.log(`cnitool differential: left out ${reason}`);

for (const { file, list } of selection.networks) {
  const network = list.name as string;
  const types = (list.plugins as Json[]).map((p) => p.type as string);

  Deno.test({
    name: `Go's cnitool and the TS cnitool agree on netconf/${file} (${types.join(", ")})`,
    ignore: skip !== undefined,
    async fn(t) {
      const cleanup = new Cleanup();
      try {
        const fixture = await setUp(cleanup);
        const { container, options } = fixture;
        const target = [network, container.path];
        const write = (content: Json) =>
          Deno.writeTextFile(`${fixture.netconfPath}/${file}`, JSON.stringify(content, null, 2));
        const assertClean = async (dataDir: string) => {
          assert.deepEqual(await linkNames(container), ["lo"]);
          assert.deepEqual(await hostLocalReservations(dataDir, network), []);
          assert.deepEqual(await cacheEntries(fixture), {});
        };
        let goResult: unknown;
        let goEntry: Json | undefined;
        let tsResult: unknown;
        let tsEntry: Json | undefined;

        await t.step("Go adds; the TS tool checks and deletes what Go added", async () => {
          const dataDir = `${fixture.dir}/host-local-go`;
          await write(withDataDir(list, dataDir));
          const add = await goCnitool(["add", ...target], options);
          assert.equal(add.code, 0, add.stderr);
          goResult = add.result;
          const entries = Object.values(await cacheEntries(fixture));
          assert.equal(entries.length, 1);
          goEntry = entries[0];
          const check = await tsCnitool(["check", ...target], options);
          assert.equal(check.code, 0, check.stderr);
          const del = await tsCnitool(["del", ...target], options);
          assert.equal(del.code, 0, del.stderr);
          await assertClean(dataDir);
        });

        await t.step("the TS tool adds; Go checks and deletes what it added", async () => {
          const dataDir = `${fixture.dir}/host-local-ts`;
          await write(withDataDir(list, dataDir));
          const add = await tsCnitool(["add", ...target], options);
          assert.equal(add.code, 0, add.stderr);
          tsResult = add.result;
          const entries = Object.values(await cacheEntries(fixture));
          assert.equal(entries.length, 1);
          tsEntry = entries[0];
          const check = await goCnitool(["check", ...target], options);
          assert.equal(check.code, 0, check.stderr);
          const del = await goCnitool(["del", ...target], options);
          assert.equal(del.code, 0, del.stderr);
          await assertClean(dataDir);
        });

        await t.step("the same result, as data", () => {
          assert.ok(isRecord(goResult) && isRecord(tsResult));
          assert.deepEqual(normalise(tsResult), normalise(goResult));
        });

        await t.step("the same cache entry, apart from the netns the TS tool records", () => {
          assert.ok(goEntry && tsEntry);
          assert.equal(tsEntry.netns, container.path);
          assert.equal("netns" in goEntry, false);
          const comparable = (entry: Json) => {
            const { netns: _, config, ...rest } = entry;
            const written = JSON.parse(atob(config as string));
            return normalise({ ...rest, config: withDataDir(written, "<dataDir>") });
          };
          assert.deepEqual(comparable(tsEntry), comparable(goEntry));
        });

        const failures: [string, string[], Partial<ToolOptions>][] = [
          ["an unknown network", ["add", "dcni-no-such-network", container.path], {}],
          ["no plugin in CNI_PATH", ["add", ...target], { cniPath: [fixture.dir] }],
          ["an interface name that is too long", ["add", ...target], {
            ifname: "abcdefghijklmnop",
          }],
          ["an invalid container ID", ["add", ...target], { containerId: "-bad" }],
          ["DEL of nothing", ["del", ...target], {}],
        ];
        for (const [name, args, change] of failures) {
          await t.step(`the same outcome: ${name}`, async () => {
            const go = await goCnitool(args, { ...options, ...change });
            const ts = await tsCnitool(args, { ...options, ...change });
            assertSameOutcome(go, ts);
            assert.deepEqual(await linkNames(container), ["lo"]);
          });
        }

        await t.step("the same failure from a plugin: a version it does not speak", async () => {
          await write({ ...withDataDir(list, `${fixture.dir}/host-local-v`), cniVersion: "9.9.9" });
          const go = await goCnitool(["add", ...target], options);
          const ts = await tsCnitool(["add", ...target], options);
          assertSameOutcome(go, ts);
          assert.equal(go.code, 1);
          assert.match(
            lines(go.stderr)[0]!,
            new RegExp(`^plugin type="${types[0]}" failed \\(add\\): `),
          );
          assert.equal(lines(go.stderr)[1], "code=1");
        });

        await t.step(
          "CHECK with nothing cached: the same failure, or the same success",
          async () => {
            await write(withDataDir(list, `${fixture.dir}/host-local-c`));
            const go = await goCnitool(["check", ...target], options);
            const ts = await tsCnitool(["check", ...target], options);
            assert.equal(ts.code, go.code);
            if (go.code === 0) {
              assertSameOutcome(go, ts);
            } else {
              // Go's libcni passes a CHECK failure on alone; the TS tool names the plugin first.
              const [goMessage, ...goRest] = lines(go.stderr);
              const [tsMessage, ...tsRest] = lines(ts.stderr);
              const named = /^plugin type="([^"]+)" failed \(check\): (.*)$/s.exec(tsMessage ?? "");
              assert.ok(named, tsMessage);
              assert.ok(types.includes(named[1]!));
              assert.equal(named[2], goMessage);
              assert.deepEqual(tsRest, goRest);
            }
          },
        );
      } finally {
        await cleanup.run();
      }
    },
  });
}
