/**
 * The external project's plugins (tests/testdata/external) run by Debian's libcni 1.1.2 through
 * tests/cnitool, as a runtime would run a newcomer's plugins: the reference `ptp` takes its
 * address from `static-list`, and `sysctl-tune` is chained after it. The plugins run from a copy
 * of the project outside the repository, through launchers in the test's own CNI_PATH directory
 * that run `deno run` with exactly the permissions the project compiles them with: sysctl-tune
 * writes the container's sysctls in its own process (`--allow-ffi`) and may run no program.
 *
 * Everything happens in namespaces of the test's own: the container, and a "runtime" namespace
 * in which cnitool and the plugins run, so ptp's host side and its forwarding switch never touch
 * the machine's network. The test checks that the machine's own sysctls stay as they were.
 */
import assert from "node:assert/strict";
import {
  Cleanup,
  cnitool,
  type CnitoolOptions,
  createNetns,
  deleteNetns,
  listAddresses,
  makeTempDir,
  type Netns,
  pickSubnet,
  randomHex,
  REFERENCE_PLUGIN_DIR,
  requireE2e,
  runInNetns,
  runOk,
  writeConflist,
} from "./_netns.ts";
import { copyExternalProject, taskPermissions } from "../_external_project.ts";

const skip = requireE2e();
if (skip !== undefined) console.log(skip);

/** The container's interface: a name the machine has no sysctls for. */
const IFNAME = "ext0";

const SYSCTLS = { "net.ipv4.conf.IFNAME.rp_filter": "2", "net.core.somaxconn": "512" };

/** A word for a shell script, in single quotes. */
function shellWord(word: string): string {
  return `'${word.replaceAll("'", `'\\''`)}'`;
}

/**
 * Writes `<dir>/<name>`: a launcher that runs the project's module with `deno run` and the
 * permissions of its compile task, as the compiled plugin would run.
 */
async function writeLauncher(
  dir: string,
  name: string,
  project: string,
  module: string,
  denoDir: string,
): Promise<void> {
  const words = [
    "exec",
    "env",
    `DENO_DIR=${denoDir}`,
    "DENO_NO_UPDATE_CHECK=1",
    Deno.execPath(),
    "run",
    `--config=${project}/deno.json`,
    "--no-lock",
    "--no-prompt",
    "--quiet",
    ...taskPermissions(project, `compile:${name}`),
    `${project}/${module}`,
  ];
  const path = `${dir}/${name}`;
  await Deno.writeTextFile(path, `#!/bin/sh\n${words.map(shellWord).join(" ")}\n`);
  await Deno.chmod(path, 0o755);
}

/** A sysctl's value in a namespace, or on the machine without one. */
async function sysctl(key: string, netns?: Netns): Promise<string> {
  const command = ["sysctl", "-n", key];
  const output = netns === undefined ? await runOk(command) : await runInNetns(netns, command);
  assert.equal(output.code, 0, output.stderr);
  return output.stdout.trim();
}

/** Makes a namespace that `cleanup` deletes. */
async function namespace(cleanup: Cleanup): Promise<Netns> {
  const netns = await createNetns();
  cleanup.defer(() => deleteNetns(netns));
  return netns;
}

Deno.test({
  name: "static-list as ptp's IPAM, then sysctl-tune, through libcni",
  ignore: skip !== undefined,
  async fn(t) {
    const cleanup = new Cleanup();
    try {
      const project = await copyExternalProject();
      cleanup.defer(() => Deno.remove(project, { recursive: true }));
      const work = await makeTempDir(cleanup, "dcni-external-e2e-");
      const cniBin = `${work}/bin`;
      const netconfPath = `${work}/net.d`;
      await Deno.mkdir(cniBin);
      await Deno.mkdir(netconfPath);
      await writeLauncher(cniBin, "sysctl-tune", project, "sysctl_tune.ts", `${work}/deno`);
      await writeLauncher(cniBin, "static-list", project, "static_list.ts", `${work}/deno`);

      const subnet = await pickSubnet();
      const address = `${subnet.prefix}7/24`;
      const network = `dcni-ext-${randomHex(6)}`;
      await writeConflist(netconfPath, {
        cniVersion: "1.0.0",
        name: network,
        plugins: [
          {
            type: "ptp",
            ipMasq: false,
            ipam: {
              type: "static-list",
              addresses: [{ address, gateway: subnet.gateway }],
              routes: [{ dst: "0.0.0.0/0" }],
            },
          },
          { type: "sysctl-tune", sysctl: SYSCTLS },
        ],
      });

      const runtime = await namespace(cleanup);
      const netns = await namespace(cleanup);
      const options: CnitoolOptions = {
        cniPath: [cniBin, REFERENCE_PLUGIN_DIR],
        netconfPath,
        cacheDir: `${work}/cache`,
        ifname: IFNAME,
        containerId: `dcni-ext-${randomHex(8)}`,
        runtimeNetns: runtime,
      };
      const target = { network, netns };
      const machineBefore = await sysctl("net.core.somaxconn");
      const runtimeBefore = await sysctl("net.core.somaxconn", runtime);

      await t.step("ADD: the listed address is on the container's interface", async () => {
        const added = await cnitool("add", target, options);
        assert.equal(added.code, 0, added.stderr);
        const ips = (added.result as { ips?: { address: string; interface?: number }[] }).ips;
        assert.deepEqual(ips?.map((entry) => entry.address), [address]);
        const link = (await listAddresses(netns)).find((l) => l.ifname === IFNAME);
        const inet = link?.addresses.filter((a) => a.family === "inet");
        assert.deepEqual(inet?.map((a) => `${a.local}/${a.prefixlen}`), [address]);
      });

      await t.step("the sysctls have their values in the container only", async () => {
        assert.equal(await sysctl(`net.ipv4.conf.${IFNAME}.rp_filter`, netns), "2");
        assert.equal(await sysctl("net.core.somaxconn", netns), "512");
        assert.equal(await sysctl("net.core.somaxconn"), machineBefore);
        assert.equal(await sysctl("net.core.somaxconn", runtime), runtimeBefore);
      });

      await t.step("CHECK passes, and fails once a sysctl is changed behind its back", async () => {
        const checked = await cnitool("check", target, options);
        assert.equal(checked.code, 0, checked.stderr);
        await runInNetns(netns, ["sysctl", "-q", "-w", "net.core.somaxconn=1024"]);
        const changed = await cnitool("check", target, options);
        assert.equal(changed.code, 1);
        assert.match(changed.stderr, /sysctl net\.core\.somaxconn is "1024", configured "512"/);
      });

      await t.step("DEL removes the interface, and a second DEL succeeds", async () => {
        for (let i = 0; i < 2; i++) {
          const deleted = await cnitool("del", target, options);
          assert.equal(deleted.code, 0, deleted.stderr);
        }
        const links = (await listAddresses(netns)).map((l) => l.ifname);
        assert.deepEqual(links, ["lo"]);
        assert.equal(await sysctl("net.core.somaxconn"), machineBefore);
      });
    } finally {
      await cleanup.run();
    }
  },
});
