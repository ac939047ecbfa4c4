import assert from "node:assert/strict";
import { DecodeError } from "../lib/_decode.ts";
import {
  checkNetworkConfig,
  configVersionOf,
  decodeNetConf,
  isValidName,
  parseJson,
  parsePrevResult,
} from "../lib/config.ts";
import { CniError } from "../lib/errors.ts";
import { ALL_VERSIONS } from "../lib/version.ts";

function throwsCniError(fn: () => unknown, code: number, msg: string, details = "") {
  assert.throws(fn, (error) => {
    assert.ok(error instanceof CniError, String(error));
    assert.deepEqual(
      { code: error.code, msg: error.message, details: error.details },
      { code, msg, details },
    );
    return true;
  });
}

function throwsDecodeError(fn: () => unknown, message: string) {
  assert.throws(fn, (error) => {
    assert.ok(error instanceof DecodeError, String(error));
    assert.equal(error.message, message);
    return true;
  });
}

Deno.test("parseJson()", async (t) => {
  await t.step("parseJson() parses JSON", () => {
    assert.deepEqual(parseJson('{"a":[1,null]}'), { a: [1, null] });
  });
  await t.step("parseJson() reports empty input in Go's words", () => {
    throwsDecodeError(() => parseJson(""), "unexpected end of JSON input");
  });
});

Deno.test("isValidName()", async (t) => {
  const valid = ["a", "0", "net-1", "a.b_c-d", "A9", "x..", "dummy"];
  const invalid = ["", "-bad", ".a", "_a", "a/b", "a b", "a:b", "é", "a\n", "!!", "ä1"];
  for (const name of valid) {
    await t.step(`isValidName() accepts ${JSON.stringify(name)}`, () => {
      assert.equal(isValidName(name), true);
    });
  }
  for (const name of invalid) {
    await t.step(`isValidName() rejects ${JSON.stringify(name)}`, () => {
      assert.equal(isValidName(name), false);
    });
  }
});

Deno.test("checkNetworkConfig() (C2)", async (t) => {
  const accepted: [string, string][] = [
    ["accepts a plain config", '{"cniVersion":"1.0.0","name":"n","type":"sample"}'],
    ["does not check type", '{"name":"n"}'],
    ["matches Name case-insensitively", '{"Name":"n"}'],
    ["lets a repeated name's last value win", '{"name":"-bad","name":"good"}'],
    ["ignores a bad cniVersion", '{"name":"n","cniVersion":5}'],
  ];
  for (const [name, stdin] of accepted) {
    await t.step(`checkNetworkConfig() ${name}`, () => {
      assert.deepEqual(checkNetworkConfig(stdin), JSON.parse(stdin));
    });
  }
  const rejected: [string, string, number, string, string?][] = [
    ["rejects empty stdin", "", 6, "error unmarshall network config: unexpected end of JSON input"],
    [
      "rejects text after the document",
      '{"name":"n"}x',
      6,
      "error unmarshall network config: invalid character 'x' after top-level value",
    ],
    [
      "rejects a bare word (§11 #8)",
      "notjson",
      6,
      "error unmarshall network config: invalid character 'o' in literal null (expecting 'u')",
    ],
    [
      "rejects a numeric name",
      '{"name":1}',
      6,
      "error unmarshall network config: json: cannot unmarshal number into Go struct field .name of type string",
    ],
    [
      "rejects a list",
      "[]",
      6,
      "error unmarshall network config: json: cannot unmarshal array into Go value of type " +
      'struct { Name string "json:\\"name\\"" }',
    ],
    ["reads null as a missing name", "null", 7, "missing network name"],
    ["reads {} as a missing name", "{}", 7, "missing network name"],
    ["reads an empty name as missing", '{"name":""}', 7, "missing network name"],
    ["reads a null name as missing", '{"name":null}', 7, "missing network name"],
    [
      "rejects a slash in the name (§11 #16)",
      '{"cniVersion":"1.0.0","name":"a/b"}',
      7,
      "invalid characters found in network name",
      "a/b",
    ],
    [
      "checks the name before the version (§11 #17)",
      '{"cniVersion":"x","name":"-"}',
      7,
      "invalid characters found in network name",
      "-",
    ],
    [
      "rejects a non-ASCII name",
      '{"name":"réseau"}',
      7,
      "invalid characters found in network name",
      "réseau",
    ],
  ];
  for (const [name, stdin, code, msg, details] of rejected) {
    await t.step(`checkNetworkConfig() ${name}`, () => {
      throwsCniError(() => checkNetworkConfig(stdin), code, msg, details);
    });
  }
});

Deno.test("configVersionOf() (C3)", async (t) => {
  const rows: [string, unknown, string][] = [
    ["reads cniVersion", { cniVersion: "0.4.0" }, "0.4.0"],
    ["reads a missing cniVersion as the empty string", { name: "n" }, ""],
    ["reads a null cniVersion as the empty string", { cniVersion: null }, ""],
    ["matches the key case-insensitively", { CNIVERSION: "1.0.0" }, "1.0.0"],
    ["passes any string through", { cniVersion: "abc" }, "abc"],
    ["reads null stdin as the empty string", null, ""],
  ];
  for (const [name, document, expected] of rows) {
    await t.step(`configVersionOf() ${name}`, () => {
      assert.equal(configVersionOf(document), expected);
    });
  }
  await t.step("configVersionOf() rejects a number with code 6 (§11 #18)", () => {
    throwsCniError(
      () => configVersionOf({ cniVersion: 1, name: "n" }),
      6,
      "decoding version from network config: json: cannot unmarshal number into Go struct field .cniVersion of type string",
    );
  });
});

Deno.test("decodeNetConf() (C1)", async (t) => {
  await t.step("decodeNetConf() reads every well-known key", () => {
    const document = {
      cniVersion: "1.1.0",
      name: "n",
      type: "bridge",
      capabilities: { portMappings: true, bandwidth: false },
      ipam: { type: "host-local", subnet: "10.0.0.0/24" },
      dns: { nameservers: ["10.0.0.53"], domain: "" },
      ipMasq: true,
      runtimeConfig: { portMappings: [] },
      args: { cni: { labels: [{ key: "k", value: "v" }] } },
      prevResult: { cniVersion: "1.1.0" },
      "cni.dev/valid-attachments": [{ containerID: "c1", ifname: "eth0" }],
      myOwnKey: { anything: 1 },
    };
    assert.deepEqual(decodeNetConf(document), {
      cniVersion: "1.1.0",
      name: "n",
      type: "bridge",
      capabilities: { portMappings: true, bandwidth: false },
      ipam: { type: "host-local", subnet: "10.0.0.0/24" },
      dns: { nameservers: ["10.0.0.53"] },
      ipMasq: true,
      runtimeConfig: { portMappings: [] },
      args: { cni: { labels: [{ key: "k", value: "v" }] } },
      rawPrevResult: { cniVersion: "1.1.0" },
      validAttachments: [{ containerID: "c1", ifname: "eth0" }],
      raw: document,
    });
  });
  await t.step(
    "decodeNetConf() reads a missing cniVersion as 0.1.0 and other keys as absent",
    () => {
      assert.deepEqual(decodeNetConf({ name: "n" }), {
        cniVersion: "0.1.0",
        name: "n",
        type: "",
        raw: { name: "n" },
      });
    },
  );
  await t.step('decodeNetConf() reads cniVersion "" as 0.1.0', () => {
    assert.equal(decodeNetConf({ cniVersion: "" }).cniVersion, "0.1.0");
  });
  await t.step("decodeNetConf() reads null as an empty config", () => {
    assert.deepEqual(decodeNetConf(null), { cniVersion: "0.1.0", name: "", type: "", raw: {} });
  });
  await t.step("decodeNetConf() matches keys case-insensitively (C2)", () => {
    const conf = decodeNetConf({ CNIVERSION: "1.0.0", Name: "n", TYPE: "t", PrevResult: {} });
    assert.equal(conf.cniVersion, "1.0.0");
    assert.equal(conf.name, "n");
    assert.equal(conf.type, "t");
    assert.deepEqual(conf.rawPrevResult, {});
  });
  await t.step("decodeNetConf() reads a null capability as false", () => {
    assert.deepEqual(decodeNetConf({ capabilities: { a: null } }).capabilities, { a: false });
  });
  await t.step('decodeNetConf() reads an ipam without type as type ""', () => {
    assert.deepEqual(decodeNetConf({ ipam: { subnet: "x" } }).ipam, { subnet: "x", type: "" });
  });
  await t.step("decodeNetConf() reads null attachment entries as empty ones", () => {
    assert.deepEqual(
      decodeNetConf({ "cni.dev/valid-attachments": [null] }).validAttachments,
      [{ containerID: "", ifname: "" }],
    );
  });
  const rejected: [string, unknown, string][] = [
    [
      "rejects a prevResult string (§11 #41)",
      { prevResult: "abc" },
      "json: cannot unmarshal string into Go struct field PluginConf.prevResult of type map[string]interface {}",
    ],
    [
      "rejects a numeric type",
      { type: 1 },
      "json: cannot unmarshal number into Go struct field PluginConf.type of type string",
    ],
    [
      "rejects a string capability",
      { capabilities: { a: "yes" } },
      "json: cannot unmarshal string into Go struct field PluginConf.capabilities of type bool",
    ],
    [
      "rejects a list runtimeConfig",
      { runtimeConfig: [] },
      "json: cannot unmarshal array into Go struct field PluginConf.runtimeConfig of type map[string]interface {}",
    ],
    [
      "rejects a numeric ipam type",
      { ipam: { type: 5 } },
      "json: cannot unmarshal number into Go struct field IPAM.ipam.type of type string",
    ],
    [
      "names the DNS struct for a numeric dns domain",
      { dns: { domain: 5 } },
      "json: cannot unmarshal number into Go struct field DNS.dns.domain of type string",
    ],
    [
      "names the DNS struct for a string dns search",
      { dns: { search: "a" } },
      "json: cannot unmarshal string into Go struct field DNS.dns.search of type []string",
    ],
    [
      "rejects a list as the whole config",
      [],
      "json: cannot unmarshal array into Go value of type PluginConf",
    ],
  ];
  for (const [name, document, message] of rejected) {
    await t.step(`decodeNetConf() ${name}`, () => {
      throwsDecodeError(() => decodeNetConf(document, "PluginConf"), message);
    });
  }
});

Deno.test("decodeNetConf() leaves ipMasq and args unset when mistyped, as Go's NetConf has neither", async (t) => {
  const cases: [string, Record<string, unknown>][] = [
    ["a string ipMasq", { ipMasq: "true" }],
    ["a numeric args", { args: 5 }],
    ["a list args", { args: [] }],
  ];
  for (const [name, extra] of cases) {
    await t.step(`decodeNetConf() accepts ${name}`, () => {
      const conf = decodeNetConf({ cniVersion: "1.0.0", name: "n", type: "t", ...extra });
      assert.equal(conf.ipMasq, undefined);
      assert.equal(conf.args, undefined);
      assert.deepEqual(conf.raw, { cniVersion: "1.0.0", name: "n", type: "t", ...extra });
    });
  }
});

Deno.test("parsePrevResult() picks the version and the family like the reference (C9)", async (t) => {
  const familyOf = (v: string) =>
    ["", "0.1.0", "0.2.0"].includes(v) ? "020" : v.startsWith("0.") ? "040" : "100";
  const supported: Record<string, string> = {
    "020": "[ 0.1.0 0.2.0]",
    "040": "[0.3.0 0.3.1 0.4.0]",
    "100": "[1.0.0 1.1.0]",
  };
  for (const configVersion of ALL_VERSIONS) {
    for (const prevVersion of [undefined, "", ...ALL_VERSIONS]) {
      // The result's own cniVersion wins when the key is present, even as "".
      const effective = prevVersion ?? configVersion;
      const accepted = familyOf(effective) === familyOf(configVersion);
      const label = prevVersion === undefined ? "no cniVersion" : `cniVersion "${prevVersion}"`;
      await t.step(
        `parsePrevResult() under a ${configVersion} config ${
          accepted ? "accepts" : "rejects"
        } a prevResult with ${label}`,
        () => {
          const raw = prevVersion === undefined ? {} : { cniVersion: prevVersion };
          if (accepted) {
            const result = parsePrevResult(raw, configVersion);
            assert.equal(result.cniVersion, effective === "" ? "0.1.0" : effective);
          } else {
            throwsDecodeError(
              () => parsePrevResult(raw, configVersion),
              `could not parse prevResult: result type supports ${
                supported[familyOf(configVersion)]
              } but unmarshalled CNIVersion is "${effective}"`,
            );
          }
        },
      );
    }
  }
});

Deno.test("parsePrevResult()", async (t) => {
  await t.step("parsePrevResult() decodes in the config's family", () => {
    assert.deepEqual(
      parsePrevResult(
        { cniVersion: "0.3.1", ips: [{ version: "4", address: "10.0.0.2/24", interface: 0 }] },
        "0.4.0",
      ),
      {
        cniVersion: "0.3.1",
        ips: [{ version: "4", address: "10.0.0.2/24", interface: 0 }],
        dns: {},
      },
    );
  });
  await t.step("parsePrevResult() reads a missing config version as 0.1.0", () => {
    assert.deepEqual(parsePrevResult({ ip4: { ip: "10.0.0.2/24" } }, ""), {
      cniVersion: "0.1.0",
      ip4: { ip: "10.0.0.2/24" },
      dns: {},
    });
  });
  await t.step("parsePrevResult() matches keys case-insensitively (§11 #30)", () => {
    assert.deepEqual(
      parsePrevResult({ cniVersion: "1.0.0", IPs: [{ Address: "10.0.0.2/24" }] }, "1.0.0"),
      { cniVersion: "1.0.0", ips: [{ address: "10.0.0.2/24" }] },
    );
  });
  await t.step("parsePrevResult() lets a lower-case cniversion key beat the config's", () => {
    assert.equal(parsePrevResult({ cniversion: "1.0.0" }, "1.1.0").cniVersion, "1.0.0");
  });
  await t.step("parsePrevResult() lets a CNIVersion key set the version", () => {
    assert.equal(parsePrevResult({ CNIVersion: "1.0.0" }, "1.1.0").cniVersion, "1.0.0");
  });
  await t.step("parsePrevResult() replaces an empty CNIVersion key with the config's", () => {
    assert.equal(parsePrevResult({ CNIVersion: "" }, "1.1.0").cniVersion, "1.1.0");
  });
  await t.step("parsePrevResult() does not modify its input", () => {
    const raw = { ips: [{ address: "10.0.0.2/24" }] };
    parsePrevResult(raw, "1.0.0");
    assert.deepEqual(raw, { ips: [{ address: "10.0.0.2/24" }] });
  });
  await t.step("parsePrevResult() prefixes decode errors (§11 #29)", () => {
    throwsDecodeError(
      () => parsePrevResult({ cniVersion: "1.0.0", ips: [{ address: "10.0.0.2" }] }, "1.0.0"),
      "could not parse prevResult: invalid CIDR address: 10.0.0.2",
    );
  });
  await t.step("parsePrevResult() rejects an unknown config version", () => {
    throwsDecodeError(
      () => parsePrevResult({}, "x"),
      'could not parse prevResult: unsupported CNI result version "x"',
    );
  });
});
