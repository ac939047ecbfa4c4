import assert from "node:assert/strict";
import { pluginEnv, stringifyCniArgs } from "../../lib/runtime/plugin_env.ts";

Deno.test("pluginEnv() sets the six CNI variables", () => {
  assert.deepEqual(
    pluginEnv({
      command: "ADD",
      containerId: "c1",
      netns: "/var/run/netns/x",
      ifName: "eth0",
      args: [["IgnoreUnknown", "1"], ["K8S_POD_NAME", "p"]],
      path: ["./bin", "/usr/lib/cni"],
    }),
    {
      CNI_COMMAND: "ADD",
      CNI_CONTAINERID: "c1",
      CNI_NETNS: "/var/run/netns/x",
      CNI_IFNAME: "eth0",
      CNI_ARGS: "IgnoreUnknown=1;K8S_POD_NAME=p",
      CNI_PATH: "./bin:/usr/lib/cni",
    },
  );
});

Deno.test("stringifyCniArgs() joins pairs without escaping", () => {
  assert.equal(stringifyCniArgs([]), "");
  assert.equal(stringifyCniArgs([["a", "b=c"], ["d", ""]]), "a=b=c;d=");
});
