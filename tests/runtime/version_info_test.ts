import assert from "node:assert/strict";
import { CniError } from "../../lib/errors.ts";
import { parseNetworkConfigList } from "../../lib/runtime/network_config.ts";
import {
  decodeVersionInfo,
  getVersionInfo,
  validateNetworkList,
} from "../../lib/runtime/version_info.ts";
import { cniEnv, withFakes } from "./_fake_plugins.ts";

Deno.test("decodeVersionInfo() reads a VERSION reply as libcni does", async (t) => {
  const ok: [string, string, string[]][] = [
    ["a full reply", '{"cniVersion":"1.1.0","supportedVersions":["0.4.0","1.0.0"]}', [
      "0.4.0",
      "1.0.0",
    ]],
    ["0.2.0 without supportedVersions", '{"cniVersion":"0.2.0"}', ["0.1.0", "0.2.0"]],
    ["keys in any case", '{"CNIVersion":"1.0.0","SupportedVersions":["1.0.0"]}', ["1.0.0"]],
  ];
  for (const [name, stdout, versions] of ok) {
    await t.step(
      name,
      () => assert.deepEqual(decodeVersionInfo(stdout).supportedVersions, versions),
    );
  }
  const bad: [string, string, string][] = [
    [
      "no cniVersion",
      '{"supportedVersions":["1.0.0"]}',
      "decoding version info: missing field cniVersion",
    ],
    [
      "no supportedVersions",
      '{"cniVersion":"1.0.0"}',
      "decoding version info: missing field supportedVersions",
    ],
    [
      "not JSON",
      "CNI bridge plugin",
      "decoding version info: invalid character 'C' looking for beginning of value",
    ],
    [
      "a number as version",
      '{"cniVersion":1}',
      "decoding version info: json: cannot unmarshal number into Go struct field pluginInfo.cniVersion of type string",
    ],
  ];
  for (const [name, stdout, message] of bad) {
    await t.step(name, () => assert.throws(() => decodeVersionInfo(stdout), { message }));
  }
});

Deno.test("getVersionInfo() runs VERSION as libcni does", async (t) => {
  await withFakes(async (fakes) => {
    await t.step("the request", async () => {
      await fakes.add("p", {
        VERSION: { stdout: '{"cniVersion":"1.0.0","supportedVersions":["1.0.0"]}\n' },
      });
      const info = await getVersionInfo("p", fakes.options());
      assert.deepEqual(info, { cniVersion: "1.0.0", supportedVersions: ["1.0.0"] });
      const [call] = await fakes.calls();
      assert.equal(call!.stdin, '{"cniVersion":"1.1.0"}');
      assert.deepEqual(cniEnv(call!), {
        CNI_COMMAND: "VERSION",
        CNI_CONTAINERID: "",
        CNI_NETNS: "dummy",
        CNI_IFNAME: "dummy",
        CNI_ARGS: "",
        CNI_PATH: "dummy",
      });
    });
    await t.step("a plugin from before VERSION speaks 0.1.0", async () => {
      await fakes.add("old", {
        VERSION: { stdout: '{"code":4,"msg":"unknown CNI_COMMAND: VERSION"}', exit: 1 },
      });
      assert.deepEqual((await getVersionInfo("old", fakes.options())).supportedVersions, ["0.1.0"]);
    });
    await t.step("any other failure is passed on", async () => {
      await fakes.add("broken", {
        VERSION: {
          stdout: '{"code":4,"msg":"unknown CNI_COMMAND: VERSION","details":"x"}',
          exit: 1,
        },
      });
      await assert.rejects(() => getVersionInfo("broken", fakes.options()), (error: unknown) => {
        assert.ok(error instanceof CniError);
        assert.deepEqual([error.code, error.message, error.details], [
          4,
          "unknown CNI_COMMAND: VERSION",
          "x",
        ]);
        return true;
      });
    });
  });
});

Deno.test("validateNetworkList() checks each plugin's versions and returns the capabilities", async () => {
  await withFakes(async (fakes) => {
    const reply = (versions: string[]) => ({
      VERSION: { stdout: JSON.stringify({ cniVersion: "1.1.0", supportedVersions: versions }) },
    });
    await fakes.add("new", reply(["1.0.0", "1.1.0"]));
    await fakes.add("old", reply(["0.4.0", "1.0.0"]));
    const list = (version: string, types: string[]) =>
      parseNetworkConfigList(JSON.stringify({
        cniVersion: version,
        name: "n",
        plugins: types.map((type, i) => ({ type, capabilities: { [`c${i}`]: true, off: false } })),
      }));
    assert.deepEqual(await validateNetworkList(list("1.0.0", ["old", "new"]), fakes.options()), [
      "c0",
      "c1",
    ]);
    await assert.rejects(
      () => validateNetworkList(list("1.1.0", ["old", "new", "gone"]), fakes.options()),
      {
        message:
          `[plugin old does not support config version "1.1.0" failed to find plugin "gone" in path [${fakes.bin}]]`,
      },
    );
  });
});
