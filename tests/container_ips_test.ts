import assert from "node:assert/strict";
import { containerIps } from "../lib/container_ips.ts";
import type { IpConfig100, Result100 } from "../lib/types.ts";
import { ALL_VERSIONS } from "../lib/version.ts";

// Interfaces: 0 is the host side, 1 the container's eth0.
const HOST: IpConfig100 = { address: "10.0.0.1/24", interface: 0 };
const CONTAINER: IpConfig100 = { address: "10.0.0.2/24", interface: 1 };
const UNKNOWN_INDEX: IpConfig100 = { address: "10.0.0.3/24", interface: 7 };
const NEGATIVE_INDEX: IpConfig100 = { address: "10.0.0.4/24", interface: -1 };
const NO_INDEX: IpConfig100 = { address: "10.0.0.5/24" };

const RESULT: Result100 = {
  cniVersion: "1.1.0",
  interfaces: [{ name: "veth0" }, { name: "eth0", sandbox: "/var/run/netns/x" }],
  ips: [HOST, CONTAINER, UNKNOWN_INDEX, NEGATIVE_INDEX, NO_INDEX],
};

Deno.test("containerIps() keeps every IP unless the config is 0.3.0 (S4)", async (t) => {
  for (const configVersion of ALL_VERSIONS.filter((v) => v !== "0.3.0")) {
    await t.step(`containerIps() under ${configVersion} keeps every IP`, () => {
      assert.deepEqual(containerIps(RESULT, { configVersion, ifName: "eth0" }), RESULT.ips);
    });
  }
  await t.step("containerIps() under an empty config version keeps every IP", () => {
    assert.deepEqual(containerIps(RESULT, { configVersion: "", ifName: "eth0" }), RESULT.ips);
  });
});

Deno.test("containerIps() filters by interface under 0.3.0 (S4)", async (t) => {
  const rows: [string, string, Result100, IpConfig100[]][] = [
    [
      "keeps IPs of CNI_IFNAME and of interfaces outside the list",
      "eth0",
      RESULT,
      [CONTAINER, UNKNOWN_INDEX, NEGATIVE_INDEX],
    ],
    [
      "follows CNI_IFNAME",
      "veth0",
      RESULT,
      [HOST, UNKNOWN_INDEX, NEGATIVE_INDEX],
    ],
    [
      "drops every listed interface's IPs for another CNI_IFNAME",
      "net1",
      RESULT,
      [UNKNOWN_INDEX, NEGATIVE_INDEX],
    ],
    [
      "treats every index as outside a result without interfaces",
      "eth0",
      { cniVersion: "1.1.0", ips: [HOST, NO_INDEX] },
      [HOST],
    ],
    ["returns nothing for a result without IPs", "eth0", { cniVersion: "1.1.0" }, []],
  ];
  for (const [name, ifName, result, expected] of rows) {
    await t.step(`containerIps() under 0.3.0 ${name}`, () => {
      assert.deepEqual(containerIps(result, { configVersion: "0.3.0", ifName }), expected);
    });
  }
});
