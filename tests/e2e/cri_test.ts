/**
 * The sample plugin on a Kubernetes node: a private containerd 1.6 (tests/e2e/_cri.ts), driven
 * over the CRI as kubelet drives it, runs pod sandboxes on a network that chains the reference
 * bridge (host-local IPAM), bin/sample and a recorder plugin that saves what it was sent and passes
 * its prevResult on, so the sample's result is seen arriving at the next plugin (spec "Section 3:
 * Execution of Network Configurations": each plugin gets the previous one's result as prevResult).
 *
 * The conflists say "cniVersion": "1.0.0": the libcni inside Debian's containerd 1.6 reads results
 * up to 1.0.0.
 */
import assert from "node:assert/strict";
import { Cleanup, hostLocalReservations, pickSubnet, type TestSubnet } from "./_netns.ts";
import { ensureProjectBin, PROJECT_BIN } from "./_deno_cni.ts";
import { CriError, CriNode, median, requireCri } from "./_cri.ts";

const skip = requireCri();
if (skip !== undefined) console.log(skip);

const NETWORK = "dcni-cri";
const BRIDGE = "cni-cri";
const SAMPLE_ERROR = `invalid network configuration: "anotherAwesomeArg" is required`;
/** RunPodSandbox runs per configuration for the timing line, after one unmeasured run. */
const TIMED_RUNS = 5;

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** bridge + host-local, then the sample with these keys (left out when undefined), then recorder. */
function chain(
  node: CriNode,
  subnet: TestSubnet,
  sample: Record<string, unknown> | undefined,
): { name: string } & Record<string, unknown> {
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
      ...(sample === undefined ? [] : [{ type: "sample", ...sample }]),
      { type: "recorder", recordDir: node.recordDir },
    ],
  };
}

async function nodeLinkNames(node: CriNode): Promise<string[]> {
  return (await node.nodeLinks()).map((l) => l.ifname).sort();
}

/** The interface a result's first IP points at, and that IP. */
function firstIp(result: unknown): { address: unknown; gateway: unknown; iface: unknown } {
  assert.ok(isRecord(result) && Array.isArray(result.ips) && Array.isArray(result.interfaces));
  const ip: unknown = result.ips[0];
  assert.ok(isRecord(ip) && typeof ip.interface === "number", "the first IP names no interface");
  return { address: ip.address, gateway: ip.gateway, iface: result.interfaces[ip.interface] };
}

/** Stops and removes every sandbox, for a clean slate between steps. */
async function removeAll(node: CriNode): Promise<void> {
  for (const { id } of await node.listSandboxes()) {
    await node.stopSandbox(id);
    await node.removeSandbox(id);
  }
}

/** RunPodSandbox wall times (ms) of `runs` pods, each stopped and removed after, plus a warm-up. */
async function timeRuns(node: CriNode, runs: number): Promise<number[]> {
  const times: number[] = [];
  for (let i = 0; i <= runs; i++) {
    const run = await node.tryRunSandbox(`pod-timed-${i}`);
    if (!run.ok) throw run.error;
    if (i > 0) times.push(run.elapsedMs);
    await node.stopSandbox(run.id);
    await node.removeSandbox(run.id);
  }
  return times;
}

Deno.test({
  name: "kubelet's pod sandbox lifecycle through containerd's CRI with the sample chained",
  ignore: skip !== undefined,
  async fn(t) {
    const cleanup = new Cleanup();
    try {
      await ensureProjectBin();
      const node = await CriNode.start(cleanup);
      await node.linkReferencePlugins(["bridge", "host-local"]);
      await node.linkPlugin("sample", `${PROJECT_BIN}/sample`);
      await node.installRecorder();
      const subnet = await pickSubnet();
      const good = chain(node, subnet, { anotherAwesomeArg: "awesome" });
      await node.writeConflist(good);
      const reserved = () => hostLocalReservations(node.hostLocalDir, NETWORK);

      await t.step("Version: containerd serves CRI v1 on the private socket", async () => {
        const version = await node.version();
        assert.equal(version.runtime_name, "containerd");
        assert.equal(version.runtime_api_version, "v1");
      });

      let podId = "";
      let podIp = "";
      let podNetns = "";
      await t.step(
        "a) the pod gets its address through the chain, and the recorder saw the sample's result",
        async () => {
          const pod = await node.runSandbox("pod-a");
          podId = pod.id;
          podIp = pod.ip;
          const { status, info } = await node.sandboxStatus(pod.id);
          assert.equal(status.state, "SANDBOX_READY");
          assert.ok(pod.ip.startsWith(subnet.prefix), `${pod.ip} is not in ${subnet.subnet}`);
          assert.notEqual(pod.ip, subnet.gateway);
          assert.deepEqual(await node.podAddresses(pod), [`${pod.ip}/24`]);
          assert.deepEqual(await reserved(), [pod.ip]);

          const add = await node.recorded("ADD", pod.id);
          assert.ok(add, "the recorder was not run for ADD");
          assert.equal(add.name, NETWORK);
          assert.equal(add.cniVersion, "1.0.0");
          const prev = firstIp(add.prevResult);
          assert.equal(prev.address, `${pod.ip}/24`);
          assert.equal(prev.gateway, subnet.gateway);
          assert.ok(isRecord(prev.iface) && prev.iface.name === "eth0", "the IP is not on eth0");
          const netnsPath = prev.iface.sandbox;
          assert.ok(
            typeof netnsPath === "string" && netnsPath.startsWith(`${node.stateDir}/`),
            `the netns "${netnsPath}" is not under containerd's state dir`,
          );
          assert.deepEqual(await node.netnsMounts(), [netnsPath]);
          podNetns = netnsPath;

          // What containerd kept as the network's result is what the recorder printed: the
          // sample's result, passed on unchanged.
          assert.ok(isRecord(info.cniResult) && isRecord(info.cniResult.Interfaces));
          const eth0 = info.cniResult.Interfaces.eth0;
          assert.ok(isRecord(eth0) && Array.isArray(eth0.IPConfigs));
          assert.equal(eth0.Mac, prev.iface.mac);
          assert.deepEqual(eth0.IPConfigs, [{ IP: pod.ip, Gateway: subnet.gateway }]);

          const links = await nodeLinkNames(node);
          assert.equal(links.filter((l) => l.startsWith("veth")).length, 1, `links: ${links}`);
        },
      );

      await t.step(
        "b) StopPodSandbox and RemovePodSandbox release the address, the veth and the netns",
        async () => {
          assert.ok(podId !== "", "no pod from step a");
          await node.stopSandbox(podId);
          assert.deepEqual(await reserved(), []);
          assert.deepEqual(await nodeLinkNames(node), [BRIDGE, "lo"]);
          assert.deepEqual(await node.netnsMounts(), []);
          await assert.rejects(Deno.lstat(podNetns), Deno.errors.NotFound, "the netns file stays");
          const del = await node.recorded("DEL", podId);
          assert.ok(del, "the recorder was not run for DEL");
          // libcni hands DEL the cached ADD result as prevResult, down to the last plugin.
          assert.equal(firstIp(del.prevResult).address, `${podIp}/24`);

          await node.removeSandbox(podId);
          assert.deepEqual((await node.listSandboxes()).map((s) => s.id), []);
          await assert.rejects(
            node.sandboxStatus(podId),
            (error) => error instanceof CriError && error.code === "NOT_FOUND",
          );
        },
      );

      const failedName = "pod-c";
      await t.step(
        "c) a misconfigured sample makes RunPodSandbox fail with the sample's message",
        async () => {
          await node.writeConflist(chain(node, subnet, { myAwesomeFlag: true }));
          const run = await node.tryRunSandbox(failedName);
          assert.equal(run.ok, false, "RunPodSandbox succeeded with anotherAwesomeArg missing");
          if (run.ok) return;
          assert.match(run.error.details, /plugin type="sample" failed \(add\)/);
          assert.ok(run.error.details.includes(SAMPLE_ERROR), run.error.details);
        },
      );

      await t.step("d) teardown after the failed RunPodSandbox never sticks", async (t) => {
        try {
          const loaded = await node.networks();
          assert.ok(
            loaded.some((n) => JSON.stringify(n.conflist).includes("myAwesomeFlag")),
            "the misconfigured sample is no longer loaded",
          );
          await t.step("no address stays reserved", async () => {
            assert.deepEqual(await reserved(), []);
          });
          await t.step("no veth stays on the node", async () => {
            assert.deepEqual(await nodeLinkNames(node), [BRIDGE, "lo"]);
          });
          await t.step(
            "StopPodSandbox and RemovePodSandbox of the failed pod succeed before the configuration is fixed",
            async () => {
              const kept = (await node.listSandboxes()).filter((s) => s.name === failedName);
              for (const sandbox of kept) {
                await node.stopSandbox(sandbox.id);
                await node.removeSandbox(sandbox.id);
              }
              assert.deepEqual(await node.listSandboxes(), []);
            },
          );
          await t.step("no netns of the failed pod stays mounted", async () => {
            assert.deepEqual(await node.netnsMounts(), []);
          });
        } finally {
          // Kubelet would retry after the configuration is fixed; do that so later steps start
          // from a clean node whatever happened above.
          await node.writeConflist(good);
          await removeAll(node);
        }
      });

      await t.step("e) RunPodSandbox wall time with and without the sample", async () => {
        const withSample = await timeRuns(node, TIMED_RUNS);
        await node.writeConflist(chain(node, subnet, undefined));
        const without = await timeRuns(node, TIMED_RUNS);
        console.log(
          `cri: RunPodSandbox median ${Math.round(median(withSample))} ms with the sample, ` +
            `${Math.round(median(without))} ms without (n=${TIMED_RUNS})`,
        );
        assert.deepEqual(await reserved(), []);
      });
    } finally {
      await cleanup.run();
    }
  },
});
