/**
 * A recording made under containerd's CRI (the private containerd of tests/e2e/_cri.ts, its
 * `bin_dir` pointed at the wrappers of `deno task record`), replayed: kubelet's RunPodSandbox and
 * StopPodSandbox through bridge + host-local + the sample are recorded (host-local nested under
 * bridge), the records are readable by root only, and the sample's invocations replay with no
 * differences against `samplePlugin` in-process and against bin/sample as a process; a sample
 * configuration changed in the record shows the difference.
 *
 * The conflist says "cniVersion": "1.0.0": the libcni inside Debian's containerd 1.6 reads
 * results up to 1.0.0.
 */
import assert from "node:assert/strict";
import {
  assertReplay,
  type InvocationRecord,
  loadRecording,
  recordedText,
  replay,
} from "../../lib/testing.ts";
import { samplePlugin } from "../../main.ts";
import { recordCli } from "../_recording.ts";
import { CriNode, requireCri } from "./_cri.ts";
import { ensureProjectBin, PROJECT_BIN } from "./_deno_cni.ts";
import {
  Cleanup,
  hostLocalReservations,
  makeTempDir,
  pickSubnet,
  REFERENCE_PLUGIN_DIR,
} from "./_netns.ts";

const skip = requireCri();
if (skip !== undefined) console.log(skip);

const NETWORK = "dcni-record";

function modeOf(path: string): number {
  return (Deno.lstatSync(path).mode ?? 0) & 0o777;
}

function names(dir: string): string[] {
  return [...Deno.readDirSync(dir)].map((e) => e.name).sort();
}

function line(record: InvocationRecord, all: readonly InvocationRecord[]): string {
  const parent = all.find((r) => r.id === record.parent);
  return `${record.plugin} ${record.verb}${parent ? ` under ${parent.plugin} ${parent.verb}` : ""}`;
}

Deno.test({
  name: "a recording made under containerd's CRI replays against the sample",
  ignore: skip !== undefined,
  async fn(t) {
    const cleanup = new Cleanup();
    try {
      await ensureProjectBin();
      const tmp = await makeTempDir(cleanup, "dcni-record-cri-");
      const plugins = `${tmp}/plugins`;
      await Deno.mkdir(plugins);
      for (const name of ["bridge", "host-local", "loopback"]) {
        await Deno.symlink(`${REFERENCE_PLUGIN_DIR}/${name}`, `${plugins}/${name}`);
      }
      await Deno.symlink(`${PROJECT_BIN}/sample`, `${plugins}/sample`);
      const recording = `${tmp}/recording`;
      const made = await recordCli(["--out", recording, "--cni-path", plugins]);
      assert.equal(made.code, 0, made.stderr);
      const binDir = made.stdout.trim();
      assert.equal(binDir, `${recording}/bin`);

      const node = await CriNode.start(cleanup, { binDir });
      const subnet = await pickSubnet();
      await node.writeConflist({
        cniVersion: "1.0.0",
        name: NETWORK,
        plugins: [
          {
            type: "bridge",
            bridge: "cni-rec",
            isGateway: true,
            ipam: { type: "host-local", subnet: subnet.subnet, dataDir: node.hostLocalDir },
          },
          { type: "sample", anotherAwesomeArg: "awesome" },
        ],
      });
      const pod = await node.runSandbox("pod-recorded");
      await node.stopSandbox(pod.id);
      await node.removeSandbox(pod.id);
      assert.deepEqual(await hostLocalReservations(node.hostLocalDir, NETWORK), []);
      const records = await loadRecording(recording);

      await t.step("every call containerd made was recorded, IPAM nested under bridge", () => {
        const ours = records.filter((r) => recordedText(r.env.CNI_CONTAINERID ?? "") === pod.id);
        // containerd sets up and tears down loopback and the network at the same time, and tears
        // down once more on RemovePodSandbox: the order between them and the count of DELs vary.
        const lines = ours.map((r) => line(r, records));
        assert.deepEqual([...new Set(lines)].sort(), [
          "bridge ADD",
          "bridge DEL",
          "host-local ADD under bridge ADD",
          "host-local DEL under bridge DEL",
          "loopback ADD",
          "loopback DEL",
          "sample ADD",
          "sample DEL",
        ]);
        for (const added of lines.filter((l) => l.includes("ADD"))) {
          assert.equal(lines.filter((l) => l === added).length, 1, `one ${added}`);
        }
        const chain = lines.filter((l) => !l.startsWith("loopback"));
        assert.deepEqual(chain.slice(0, 6), [
          "bridge ADD",
          "host-local ADD under bridge ADD",
          "sample ADD",
          "sample DEL",
          "bridge DEL",
          "host-local DEL under bridge DEL",
        ]);
        assert.ok(ours.every((r) => r.code === 0), "every call succeeded");
        const add = ours.find((r) => r.plugin === "sample" && r.verb === "ADD")!;
        assert.equal(recordedText(add.env.CNI_PATH!), binDir);
        assert.equal(add.path, `${plugins}/sample`);
        const result = JSON.parse(recordedText(add.stdout));
        assert.equal(result.ips[0].address, `${pod.ip}/24`);
        assert.equal(JSON.parse(recordedText(add.stdin)).prevResult.ips[0].address, `${pod.ip}/24`);
      });

      await t.step("the recording is readable by root only", () => {
        assert.equal(Deno.lstatSync(recording).uid, 0);
        for (const dir of [recording, binDir, `${recording}/records`, `${recording}/running`]) {
          assert.equal(modeOf(dir), 0o700, dir);
        }
        const files = names(`${recording}/records`);
        assert.equal(files.length, records.length);
        for (const file of files) assert.equal(modeOf(`${recording}/records/${file}`), 0o600, file);
        for (const file of names(binDir)) assert.equal(modeOf(`${binDir}/${file}`), 0o700, file);
        assert.deepEqual(names(`${recording}/running`), [], "no marker is left behind");
      });

      await t.step("the sample's invocations replay in-process with no differences", async () => {
        const report = await assertReplay(samplePlugin, recording);
        const verbs = report.invocations.map((i) => i.record.verb);
        assert.equal(verbs[0], "ADD");
        assert.ok(verbs.length >= 2 && verbs.slice(1).every((v) => v === "DEL"), `${verbs}`);
      });

      await t.step("and against bin/sample as a process", async () => {
        const report = await assertReplay(`${PROJECT_BIN}/sample`, recording);
        assert.equal(
          report.invocations.length,
          records.filter((r) => r.plugin === "sample").length,
        );
      });

      await t.step("a changed sample configuration shows the difference", async () => {
        const changed = records.map((record) => {
          if (record.plugin !== "sample" || record.verb !== "ADD") return record;
          const config = JSON.parse(recordedText(record.stdin));
          delete config.anotherAwesomeArg;
          return { ...record, stdin: JSON.stringify(config) };
        });
        const report = await replay(samplePlugin, changed);
        const [add, ...dels] = report.invocations;
        assert.deepEqual(add?.differences.map((d) => d.message), [
          "exit: recorded exit status 0, replayed exit status 1",
          'stdout: recorded a result, replayed error 7 "invalid network configuration: ' +
          '\\"anotherAwesomeArg\\" is required"',
        ]);
        assert.deepEqual(dels.flatMap((del) => del.differences), []);
      });
    } finally {
      await cleanup.run();
    }
  },
});
