/**
 * The node installer (cli/install_node.ts) on a Kubernetes node: a private containerd 1.6 with its
 * CRI plugin (tests/e2e/_cri.ts) runs pods on a bridge + host-local network of its `conf_dir`, and
 * `deno task install-node`, run from the checkout as an operator runs it, chains the sample into
 * that network and takes it out again.
 *
 * Which plugins a pod really went through is read from two witnesses: libcni's cache, which keeps
 * for every attachment the bytes of the configuration list it ran and the result, and an inotify
 * watch on `bin_dir` that sees the sample's file opened when the runtime executes it
 * (tests/e2e/cri/open_watch.ts).
 */
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { isDeepStrictEqual } from "node:util";
import { ROOT } from "../../scripts/manifest.ts";
import {
  Cleanup,
  hostLocalReservations,
  isFile,
  pickSubnet,
  REFERENCE_PLUGIN_DIR,
  type TestSubnet,
} from "./_netns.ts";
import { ensureProjectBin, PROJECT_BIN } from "./_deno_cni.ts";
import { type CachedAttachment, CriNode, type LoadedNetwork, median, requireCri } from "./_cri.ts";
import { watchOpens } from "./cri/open_watch.ts";

/** The foreign file put where the installer wants to write the sample. */
const FOREIGN = `${REFERENCE_PLUGIN_DIR}/ptp`;

const skip = requireCri() ??
  (isFile(FOREIGN) ? undefined : `CRI installer test skipped, missing: ${FOREIGN}`);
if (skip !== undefined) console.log(skip);

const NETWORK = "dcni-inst";
const BRIDGE = "cni-inst";
/** The network containerd loads first, as the test writes it. */
const NETWORK_FILE = `10-${NETWORK}.conflist`;
/** A second network, after the first in byte order: containerd and the installer leave it be. */
const SPARE_FILE = "20-spare.conflist";
/** The entry `--chain sample --set anotherAwesomeArg=awesome` appends. */
const ENTRY = { type: "sample", anotherAwesomeArg: "awesome" };
/** RunPodSandbox runs per configuration for the timing line. */
const TIMED_RUNS = 5;

const decoder = new TextDecoder();

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** The network before the installer: bridge with host-local, nothing chained. */
function bridgeNetwork(node: CriNode, subnet: TestSubnet): Record<string, unknown> {
  return {
    cniVersion: "1.0.0",
    name: NETWORK,
    plugins: [
      {
        type: "bridge",
        bridge: BRIDGE,
        isGateway: true,
        ipam: { type: "host-local", subnet: subnet.subnet, dataDir: node.hostLocalDir },
      },
    ],
  };
}

/** One directory entry as {@link snapshot} records it. */
type Entry =
  | { kind: "file"; mode: number; size: number; sha256: string }
  | { kind: "symlink"; target: string }
  | { kind: "other" };

/** Every entry of a directory (hidden ones included): file digests, modes and link targets. */
async function snapshot(dir: string): Promise<Record<string, Entry>> {
  const names = (await Array.fromAsync(Deno.readDir(dir))).map((e) => e.name).sort();
  const entries: Record<string, Entry> = {};
  for (const name of names) {
    const path = `${dir}/${name}`;
    const info = await Deno.lstat(path);
    if (info.isSymlink) {
      entries[name] = { kind: "symlink", target: await Deno.readLink(path) };
    } else if (info.isFile) {
      const bytes = await Deno.readFile(path);
      entries[name] = {
        kind: "file",
        mode: (info.mode ?? 0) & 0o7777,
        size: bytes.length,
        sha256: createHash("sha256").update(bytes).digest("hex"),
      };
    } else {
      entries[name] = { kind: "other" };
    }
  }
  return entries;
}

/** What one run of the installer did: exit status, stdout lines and stderr. */
interface InstallerRun {
  readonly code: number;
  readonly lines: string[];
  readonly stderr: string;
}

/** `deno task install-node ARGS...` in the checkout, as a process of its own. */
async function installNode(args: readonly string[]): Promise<InstallerRun> {
  const output = await new Deno.Command(Deno.execPath(), {
    args: ["task", "install-node", ...args],
    cwd: ROOT,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
    env: { NO_COLOR: "1" },
  }).output();
  return {
    code: output.code,
    lines: decoder.decode(output.stdout).split("\n").filter((line) => line !== ""),
    stderr: decoder.decode(output.stderr),
  };
}

/** The message for an installer run that did not end as expected. */
function describeRun(run: InstallerRun): string {
  return `exit status ${run.code}; stdout:\n${run.lines.join("\n")}\nstderr:\n${run.stderr}`;
}

/** The attachment of the pod's eth0 to the test network, as libcni cached it. */
async function networkAttachment(node: CriNode, sandboxId: string): Promise<CachedAttachment> {
  const all = await node.cachedAttachments(sandboxId);
  const ours = all.filter((a) => a.networkName === NETWORK);
  assert.equal(ours.length, 1, `cached attachments: ${all.map((a) => a.networkName)}`);
  const attachment = ours[0]!;
  assert.equal(attachment.ifName, "eth0");
  return attachment;
}

/** The plugin entries of a configuration list's bytes. */
function pluginsOf(config: Uint8Array): Record<string, unknown>[] {
  const parsed: unknown = JSON.parse(decoder.decode(config));
  assert.ok(isRecord(parsed) && Array.isArray(parsed.plugins), "a cached config has no plugins");
  return parsed.plugins.filter(isRecord);
}

/** The `type` of each plugin entry of a configuration list's bytes. */
function typesOf(config: Uint8Array): unknown[] {
  return pluginsOf(config).map((p) => p.type);
}

/** The first IP address ("10.1.2.3/24") of a cached result. */
function firstAddress(result: Record<string, unknown> | undefined): unknown {
  assert.ok(result !== undefined && Array.isArray(result.ips), "the cached result has no ips");
  const ip: unknown = result.ips[0];
  return isRecord(ip) ? ip.address : undefined;
}

/** Stops and removes one pod. */
async function removePod(node: CriNode, id: string): Promise<void> {
  await node.stopSandbox(id);
  await node.removeSandbox(id);
}

/**
 * RunPodSandbox wall times (ms) of {@link TIMED_RUNS} pods, each checked to have run the plugins
 * of these types and stopped and removed right after.
 */
async function timeRuns(node: CriNode, label: string, types: readonly string[]): Promise<number[]> {
  const times: number[] = [];
  for (let i = 0; i < TIMED_RUNS; i++) {
    const run = await node.tryRunSandbox(`${label}-${i}`);
    if (!run.ok) throw run.error;
    try {
      assert.deepEqual(typesOf((await networkAttachment(node, run.id)).config), types);
    } finally {
      await removePod(node, run.id);
    }
    times.push(run.elapsedMs);
  }
  return times;
}

/** Waits until containerd has loaded exactly this network (and nothing besides loopback). */
function waitForNetwork(node: CriNode, expected: unknown): Promise<LoadedNetwork[]> {
  return node.waitForNetworkConfig((networks) =>
    networks.length === 1 && isDeepStrictEqual(networks[0]?.conflist, expected)
  );
}

/** A pod run under an open watch of `bin_dir`: the pod and the opens seen meanwhile. */
async function watchedPod(
  cleanup: Cleanup,
  node: CriNode,
  name: string,
): Promise<{ id: string; ip: string; opens: Record<string, number> }> {
  const watch = await watchOpens(cleanup, node.binDir);
  const run = await node.tryRunSandbox(name);
  const opens = await watch.stop();
  if (!run.ok) throw run.error;
  const status = await node.sandboxStatus(run.id);
  const network = status.status.network;
  assert.ok(isRecord(network) && typeof network.ip === "string", "the pod has no IP");
  return { id: run.id, ip: network.ip, opens };
}

Deno.test({
  name: "install-node chains the sample into containerd's network and takes it out again",
  ignore: skip !== undefined,
  async fn(t) {
    const cleanup = new Cleanup();
    try {
      await ensureProjectBin();
      const node = await CriNode.start(cleanup);
      await node.linkReferencePlugins(["bridge", "host-local"]);
      const subnet = await pickSubnet();
      const bin = node.binDir;
      const sampleTarget = `${bin}/sample`;
      const networkPath = `${node.confDir}/${NETWORK_FILE}`;
      const backupPath = `${networkPath}.deno-cni-backup`;
      const described = `(network "${NETWORK}", cniVersion 1.0.0)`;
      const where = ["--bin-dir", bin, "--conf-dir", node.confDir];
      const chainArgs = [...where, "--chain", "sample", "--set", "anotherAwesomeArg=awesome"];

      // Tabs, no final newline, mode 0640: nothing the installer writes looks like this, so the
      // restored file can only match byte for byte if it is the original.
      const original = bridgeNetwork(node, subnet);
      const originalText = JSON.stringify(original, null, "\t");
      const spare = { cniVersion: "1.0.0", name: "dcni-spare", plugins: [{ type: "loopback" }] };
      await Deno.writeTextFile(`${node.confDir}/${SPARE_FILE}`, JSON.stringify(spare));
      const temp = `${node.confDir}/.${NETWORK_FILE}.tmp`;
      await Deno.writeTextFile(temp, originalText);
      await Deno.chmod(temp, 0o640);
      await Deno.rename(temp, networkPath);
      await waitForNetwork(node, original);
      const confBefore = await snapshot(node.confDir);
      const binBefore = await snapshot(bin);
      const timings: { before: number[]; chained: number[] } = { before: [], chained: [] };

      await t.step(
        "before chaining, pods run bridge and host-local and not the sample",
        async () => {
          const pod = await watchedPod(cleanup, node, "pod-before");
          try {
            assert.equal(pod.opens.sample, undefined, `opened: ${JSON.stringify(pod.opens)}`);
            assert.ok(pod.ip.startsWith(subnet.prefix), `${pod.ip} is not in ${subnet.subnet}`);
            const attachment = await networkAttachment(node, pod.id);
            assert.equal(decoder.decode(attachment.config), originalText);
            assert.deepEqual(typesOf(attachment.config), ["bridge"]);
            assert.equal(firstAddress(attachment.result), `${pod.ip}/24`);
          } finally {
            await removePod(node, pod.id);
          }
          timings.before = await timeRuns(node, "pod-before", ["bridge"]);
        },
      );

      await t.step(
        "a foreign file named sample in bin_dir: the installer refuses and chains nothing",
        async () => {
          await Deno.copyFile(FOREIGN, sampleTarget);
          try {
            await Deno.chmod(sampleTarget, 0o755);
            const binWithForeign = await snapshot(bin);
            const run = await installNode(chainArgs);
            assert.equal(run.code, 1, describeRun(run));
            assert.deepEqual(run.lines, [
              `left ${sampleTarget} alone: not installed by deno-cni (use --force to replace)`,
            ]);
            assert.ok(
              run.stderr.includes(
                `install-node: Not chaining sample: ${sampleTarget} is not deno-cni's build`,
              ),
              run.stderr,
            );
            assert.deepEqual(await snapshot(bin), binWithForeign);
            assert.deepEqual(await snapshot(node.confDir), confBefore);
            assert.deepEqual((await node.networks()).map((n) => n.conflist), [original]);
          } finally {
            await Deno.remove(sampleTarget);
          }
          assert.deepEqual(await snapshot(bin), binBefore);
        },
      );

      // What each run of the installer is expected to do: [infinitive, past, rest of the line].
      const installActions = [
        ["install", "installed", sampleTarget],
        ["save", "saved", `${networkPath} as ${backupPath}`],
        ["chain", "chained", `sample into ${networkPath} ${described}`],
      ];

      await t.step("--dry-run prints the actions and changes neither directory", async () => {
        const run = await installNode([...chainArgs, "--dry-run"]);
        assert.equal(run.code, 0, describeRun(run));
        assert.deepEqual(
          run.lines,
          installActions.map(([verb, , text]) => `would ${verb} ${text}`),
        );
        assert.deepEqual(await snapshot(node.confDir), confBefore);
        assert.deepEqual(await snapshot(bin), binBefore);
      });

      const chained = { ...original, plugins: [...(original.plugins as unknown[]), ENTRY] };
      let chainedText = "";
      /** A pod started while the sample is chained and still up when it is taken out. */
      let survivor = "";
      await t.step("install-node --chain sample installs it and chains it in", async () => {
        const run = await installNode(chainArgs);
        assert.equal(run.code, 0, describeRun(run));
        assert.deepEqual(run.lines, installActions.map(([, past, text]) => `${past} ${text}`));

        // bin_dir: the build's launcher, recorded by digest; the reference plugins as they were.
        const installed = await Deno.readFile(sampleTarget);
        assert.deepEqual(installed, await Deno.readFile(`${PROJECT_BIN}/sample`));
        const binNow = await snapshot(bin);
        const sampleEntry = binNow.sample;
        assert.ok(sampleEntry?.kind === "file" && sampleEntry.mode === 0o755, "not 0755");
        const record: unknown = JSON.parse(
          await Deno.readTextFile(`${bin}/.deno-cni-installed.json`),
        );
        assert.ok(isRecord(record) && isRecord(record.files));
        assert.deepEqual(record.files.sample, { sha256: sampleEntry.sha256 });
        for (const name of Object.keys(binBefore)) assert.deepEqual(binNow[name], binBefore[name]);

        // conf_dir: the network with the entry appended, the original's bytes in the backup.
        chainedText = await Deno.readTextFile(networkPath);
        assert.deepEqual(JSON.parse(chainedText), chained);
        const confNow = await snapshot(node.confDir);
        assert.deepEqual(confNow[`${NETWORK_FILE}.deno-cni-backup`], confBefore[NETWORK_FILE]);
        assert.equal(await Deno.readTextFile(backupPath), originalText);
        assert.deepEqual(confNow[SPARE_FILE], confBefore[SPARE_FILE]);
        await waitForNetwork(node, chained);
      });

      await t.step("after chaining, the next pod goes through the sample", async () => {
        const pod = await watchedPod(cleanup, node, "pod-chained");
        let removed = false;
        try {
          assert.ok((pod.opens.sample ?? 0) >= 1, `opened: ${JSON.stringify(pod.opens)}`);
          const attachment = await networkAttachment(node, pod.id);
          assert.equal(decoder.decode(attachment.config), chainedText);
          assert.deepEqual(typesOf(attachment.config), ["bridge", "sample"]);
          assert.deepEqual(pluginsOf(attachment.config)[1], ENTRY);
          // The sample is last, so the network's result is the one it returned.
          assert.equal(firstAddress(attachment.result), `${pod.ip}/24`);
          // Teardown runs the chain too: DEL goes through the sample before the bridge.
          const watch = await watchOpens(cleanup, bin);
          try {
            await node.stopSandbox(pod.id);
          } finally {
            const opens = await watch.stop();
            assert.ok((opens.sample ?? 0) >= 1, `opened on stop: ${JSON.stringify(opens)}`);
          }
          await node.removeSandbox(pod.id);
          removed = true;
        } finally {
          if (!removed) await removePod(node, pod.id);
        }
        timings.chained = await timeRuns(node, "pod-chained", ["bridge", "sample"]);
        survivor = (await node.runSandbox("pod-survivor")).id;
        console.log(
          `cri installer: RunPodSandbox median ${Math.round(median(timings.before))} ms ` +
            `before chaining, ${Math.round(median(timings.chained))} ms with the sample ` +
            `(n=${TIMED_RUNS})`,
        );
      });

      await t.step("running the installer again changes nothing", async () => {
        const confNow = await snapshot(node.confDir);
        const binNow = await snapshot(bin);
        const run = await installNode(chainArgs);
        assert.equal(run.code, 0, describeRun(run));
        assert.deepEqual(run.lines, [
          `left ${sampleTarget} alone: unchanged`,
          `left ${networkPath} alone: sample is already chained ${described}`,
        ]);
        assert.deepEqual(await snapshot(node.confDir), confNow);
        assert.deepEqual(await snapshot(bin), binNow);
      });

      await t.step(
        "--uninstall restores conf_dir byte for byte and removes the sample",
        async () => {
          const run = await installNode([...where, "--uninstall"]);
          assert.equal(run.code, 0, describeRun(run));
          assert.deepEqual(run.lines, [
            `restored ${networkPath} from ${backupPath}`,
            `removed ${sampleTarget}`,
          ]);
          await waitForNetwork(node, original);
          assert.deepEqual(await snapshot(node.confDir), confBefore);
          assert.equal(await Deno.readTextFile(networkPath), originalText);
          // The sample and the record are gone; the reference plugins the test linked stay.
          assert.deepEqual(await snapshot(bin), binBefore);
          for (const name of ["bridge", "host-local"]) {
            assert.equal(await Deno.readLink(`${bin}/${name}`), `${REFERENCE_PLUGIN_DIR}/${name}`);
          }
        },
      );

      await t.step(
        "a pod started while the sample was chained still tears down after --uninstall",
        async () => {
          assert.ok(survivor !== "", "no pod from the chained step");
          const watch = await watchOpens(cleanup, bin);
          try {
            await node.stopSandbox(survivor);
          } finally {
            // containerd runs DEL with the network it has loaded now, which has no sample.
            const opens = await watch.stop();
            assert.equal(opens.sample, undefined, `opened on stop: ${JSON.stringify(opens)}`);
          }
          await node.removeSandbox(survivor);
          assert.deepEqual(await hostLocalReservations(node.hostLocalDir, NETWORK), []);
          const links = (await node.nodeLinks()).map((l) => l.ifname);
          assert.deepEqual(links.filter((l) => l.startsWith("veth")), [], `links: ${links}`);
        },
      );

      await t.step("after uninstalling, the next pod does not go through the sample", async () => {
        const pod = await watchedPod(cleanup, node, "pod-after");
        try {
          assert.equal(pod.opens.sample, undefined, `opened: ${JSON.stringify(pod.opens)}`);
          const attachment = await networkAttachment(node, pod.id);
          assert.equal(decoder.decode(attachment.config), originalText);
          assert.deepEqual(typesOf(attachment.config), ["bridge"]);
          assert.equal(firstAddress(attachment.result), `${pod.ip}/24`);
        } finally {
          await removePod(node, pod.id);
        }
        assert.deepEqual(await node.listSandboxes(), []);
      });
    } finally {
      await cleanup.run();
    }
  },
});
