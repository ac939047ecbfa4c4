import assert from "node:assert/strict";
import { parsePluginConfig } from "../../lib/runtime/network_config.ts";
import { buildPluginStdin, resultJson, runtimeConfigFor } from "../../lib/runtime/plugin_stdin.ts";
import { decodeResult } from "../../lib/result.ts";

Deno.test("buildPluginStdin() writes compact JSON with sorted keys, as libcni does", () => {
  const plugin = parsePluginConfig(
    '{"type":"x","name":"own","cniVersion":"0.1.0","z":{"b":1,"a":"<&>"},"10":1,"9":2}',
  );
  assert.equal(
    buildPluginStdin(plugin, { name: "net", cniVersion: "1.0.0" }),
    '{"10":1,"9":2,"cniVersion":"1.0.0","name":"net","type":"x","z":{"a":"\\u003c\\u0026\\u003e","b":1}}',
  );
});

Deno.test("buildPluginStdin() puts prevResult in its family's member order", async (t) => {
  const plugin = parsePluginConfig('{"type":"x"}');
  const rows: [string, unknown, string][] = [
    [
      "0.4.0",
      {
        cniVersion: "0.4.0",
        ips: [{ version: "4", address: "10.0.0.2/24", interface: 0 }],
        interfaces: [{ name: "eth0" }],
      },
      '{"cniVersion":"0.4.0","interfaces":[{"name":"eth0"}],"ips":[{"version":"4","interface":0,"address":"10.0.0.2/24"}],"dns":{}}',
    ],
    [
      "1.0.0",
      {
        cniVersion: "1.0.0",
        ips: [{ address: "10.0.0.2/24", interface: 0 }],
        interfaces: [{ sandbox: "/x", name: "eth0" }],
      },
      '{"cniVersion":"1.0.0","interfaces":[{"name":"eth0","sandbox":"/x"}],"ips":[{"address":"10.0.0.2/24","interface":0}]}',
    ],
    [
      "0.2.0",
      { cniVersion: "0.2.0", ip4: { gateway: "10.0.0.1", ip: "10.0.0.2/24" } },
      '{"cniVersion":"0.2.0","ip4":{"ip":"10.0.0.2/24","gateway":"10.0.0.1"},"dns":{}}',
    ],
  ];
  for (const [version, raw, prev] of rows) {
    await t.step(version, () => {
      const prevResult = decodeResult(version, raw);
      assert.equal(resultJson(prevResult), prev);
      assert.equal(
        buildPluginStdin(plugin, { name: "net", cniVersion: version, prevResult }),
        `{"cniVersion":"${version}","name":"net","prevResult":${prev},"type":"x"}`,
      );
    });
  }
});

Deno.test("runtimeConfigFor() passes the capability arguments the plugin enables", async (t) => {
  const plugin = parsePluginConfig(
    '{"type":"x","capabilities":{"portMappings":true,"bandwidth":false,"ips":true},"runtimeConfig":{"static":1}}',
  );
  const args = { portMappings: [{ hostPort: 8080 }], bandwidth: { rate: 1 }, mac: "x" };
  await t.step("only enabled capabilities with an argument", () => {
    assert.deepEqual(runtimeConfigFor(plugin, args), { portMappings: [{ hostPort: 8080 }] });
  });
  await t.step("the derived runtimeConfig replaces the static one; capabilities stay", () => {
    const stdin = JSON.parse(
      buildPluginStdin(plugin, { name: "n", cniVersion: "1.0.0", capabilityArgs: args }),
    );
    assert.deepEqual(stdin.runtimeConfig, { portMappings: [{ hostPort: 8080 }] });
    assert.deepEqual(stdin.capabilities, { portMappings: true, bandwidth: false, ips: true });
  });
  await t.step("with no match the static runtimeConfig passes through", () => {
    assert.equal(runtimeConfigFor(plugin, { mac: "x" }), undefined);
    const stdin = JSON.parse(
      buildPluginStdin(plugin, { name: "n", cniVersion: "1.0.0", capabilityArgs: { mac: "x" } }),
    );
    assert.deepEqual(stdin.runtimeConfig, { static: 1 });
  });
  await t.step("a null argument still counts", () => {
    assert.deepEqual(runtimeConfigFor(plugin, { ips: null }), { ips: null });
  });
});

Deno.test("buildPluginStdin() adds extra keys, e.g. GC's valid attachments", () => {
  const plugin = parsePluginConfig('{"type":"x"}');
  const attachments = [{ containerID: "c1", ifname: "eth0" }];
  assert.equal(
    buildPluginStdin(plugin, {
      name: "n",
      cniVersion: "1.1.0",
      extra: { "cni.dev/valid-attachments": attachments, "cni.dev/attachments": attachments },
    }),
    '{"cni.dev/attachments":[{"containerID":"c1","ifname":"eth0"}],' +
      '"cni.dev/valid-attachments":[{"containerID":"c1","ifname":"eth0"}],"cniVersion":"1.1.0","name":"n","type":"x"}',
  );
});
