import assert from "node:assert/strict";
import { parsePluginResult } from "../lib/_plugin_run.ts";

Deno.test("parsePluginResult() takes a result without cniVersion to be in the config's version", () => {
  const result = parsePluginResult('{"ips":[{"address":"10.0.0.2/24"}]}', "1.0.0");
  assert.deepEqual(result, { cniVersion: "1.0.0", ips: [{ address: "10.0.0.2/24" }] });
  assert.deepEqual(parsePluginResult('{"cniVersion":"","ip4":{"ip":"10.0.0.2/24"}}', ""), {
    cniVersion: "0.1.0",
    ip4: { ip: "10.0.0.2/24" },
    dns: {},
  });
});

Deno.test("parsePluginResult() keeps the version the plugin answered in, unconverted", () => {
  const result = parsePluginResult(
    '{"cniVersion":"0.4.0","ips":[{"version":"4","address":"10.0.0.2/24"}],"extra":1}',
    "1.0.0",
  );
  assert.deepEqual(result, {
    cniVersion: "0.4.0",
    ips: [{ version: "4", address: "10.0.0.2/24" }],
    dns: {},
  });
});

Deno.test("parsePluginResult() refuses what libcni refuses", async (t) => {
  const rows: [string, string, string][] = [
    ["empty stdout", "", "failed to unmarshal raw result: unexpected end of JSON input"],
    [
      "not JSON",
      "ok",
      "failed to unmarshal raw result: invalid character 'o' looking for beginning of value",
    ],
    [
      "an array",
      "[]",
      "failed to unmarshal raw result: json: cannot unmarshal array into Go value of type map[string]interface {}",
    ],
    [
      "a number beyond float64 at any key",
      '{"cniVersion":"1.0.0","x":[1e400]}',
      "failed to unmarshal raw result: json: cannot unmarshal number 1e400 into Go value of type float64",
    ],
    ["an unknown version", '{"cniVersion":"9.9.9"}', 'unsupported CNI result version "9.9.9"'],
    ["a bad address", '{"ips":[{"address":"10.0.0.2"}]}', "invalid CIDR address: 10.0.0.2"],
  ];
  for (const [name, stdout, message] of rows) {
    await t.step(name, () => assert.throws(() => parsePluginResult(stdout, "1.0.0"), { message }));
  }
});
