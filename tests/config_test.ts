import assert from "node:assert/strict";
import { DecodeError } from "../lib/_decode.ts";
import {
  checkNetworkConfig,
  configVersionOf,
  decodeNetConf,
  type NetConf,
  parseJson,
  parsePrevResult,
  readPrevResult,
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
  const bytes = (...parts: (string | number)[]) =>
    new Uint8Array(
      parts.flatMap((p) => typeof p === "number" ? [p] : [...new TextEncoder().encode(p)]),
    );
  await t.step("parseJson() parses bytes as it parses their text", () => {
    assert.deepEqual(parseJson(bytes('{"a":["é",1]}')), { a: ["é", 1] });
  });
  await t.step("parseJson() reads each byte that is not UTF-8 as U+FFFD, as Go does", () => {
    assert.deepEqual(parseJson(bytes('{"a":"x', 0xff, 0xe2, 0x82, 'y"}')), {
      a: "x\ufffd\ufffd\ufffdy",
    });
  });
  await t.step("parseJson() keeps a leading byte-order mark, which Go refuses", () => {
    throwsDecodeError(
      () => parseJson(bytes(0xef, 0xbb, 0xbf, "{}")),
      "invalid character '\u00ef' looking for beginning of value",
    );
  });
  await t.step("parseJson() names a byte that is not UTF-8 as Go does", () => {
    throwsDecodeError(
      () => parseJson(bytes("[1,", 0xff, "]")),
      "invalid character '\u00ff' looking for beginning of value",
    );
  });
  await t.step("parseJson() keeps a number beyond float64 from bytes too", () => {
    assert.equal(JSON.stringify(parseJson(bytes('{"a":[1e400]}'))), '{"a":[1e400]}');
  });
});

Deno.test("checkNetworkConfig()", async (t) => {
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
      "rejects a bare word",
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
      "rejects a slash in the name",
      '{"cniVersion":"1.0.0","name":"a/b"}',
      7,
      "invalid characters found in network name",
      "a/b",
    ],
    [
      "checks the name before the version",
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

Deno.test("configVersionOf()", async (t) => {
  const rows: [string, unknown, string][] = [
    ["reads cniVersion", { cniVersion: "0.4.0" }, "0.4.0"],
    ["reads a missing cniVersion as 0.1.0", { name: "n" }, "0.1.0"],
    ["reads a null cniVersion as 0.1.0", { cniVersion: null }, "0.1.0"],
    ['reads cniVersion "" as 0.1.0', { cniVersion: "" }, "0.1.0"],
    ["matches the key case-insensitively", { CNIVERSION: "1.0.0" }, "1.0.0"],
    ["passes any string through", { cniVersion: "abc" }, "abc"],
    ["reads null stdin as 0.1.0", null, "0.1.0"],
    ["reads a list as 0.1.0", [], "0.1.0"],
  ];
  for (const [name, document, expected] of rows) {
    await t.step(`configVersionOf() ${name}`, () => {
      assert.equal(configVersionOf(document), expected);
    });
  }
  await t.step("configVersionOf() rejects a number with code 6", () => {
    throwsCniError(
      () => configVersionOf({ cniVersion: 1, name: "n" }),
      6,
      "decoding version from network config: json: cannot unmarshal number into Go struct field .cniVersion of type string",
    );
  });
});

Deno.test("decodeNetConf()", async (t) => {
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
  await t.step("decodeNetConf() matches keys case-insensitively", () => {
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
      "rejects a prevResult string",
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

Deno.test("parsePrevResult() picks the version and the family like the reference", async (t) => {
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
              `result type supports ${
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
  await t.step("parsePrevResult() matches keys case-insensitively", () => {
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
  await t.step("parsePrevResult() throws decode errors without a prefix", () => {
    throwsDecodeError(
      () => parsePrevResult({ cniVersion: "1.0.0", ips: [{ address: "10.0.0.2" }] }, "1.0.0"),
      "invalid CIDR address: 10.0.0.2",
    );
  });
  await t.step("parsePrevResult() rejects an unknown config version", () => {
    throwsDecodeError(
      () => parsePrevResult({}, "x"),
      'unsupported CNI result version "x"',
    );
  });
  await t.step(
    'parsePrevResult() keeps the injected version over a later "cniVersion": null',
    () => {
      const document = parseJson('{"cniVersion":null,"ips":[{"address":"10.0.0.2/24"}]}');
      assert.equal(
        parsePrevResult(document as Record<string, unknown>, "1.0.0").cniVersion,
        "1.0.0",
      );
    },
  );
});

/** The configuration a chained plugin gets, with `prevResult` as JSON text (numbers as written). */
function chained(cniVersion: string, prevResult: string): NetConf {
  const text = `{"cniVersion":"${cniVersion}","name":"n","type":"t","prevResult":${prevResult}}`;
  return decodeNetConf(checkNetworkConfig(text));
}

const PREFIX = "could not parse prevResult: ";

Deno.test("readPrevResult() decodes the previous result and converts it", async (t) => {
  const rows: { name: string; version: string; prevResult: string; expected: unknown }[] = [
    {
      name: "converts a 0.4.0 result to the newest shape",
      version: "0.4.0",
      prevResult: '{"cniVersion":"0.4.0","ips":[{"version":"4","address":"10.0.0.2/24"}]}',
      expected: { cniVersion: "1.1.0", ips: [{ address: "10.0.0.2/24" }] },
    },
    {
      name: 'keeps the injected version when "cniVersion" is null',
      version: "0.4.0",
      prevResult: '{"cniVersion":null,"ips":[{"version":"4","address":"10.0.0.2/24"}]}',
      expected: { cniVersion: "1.1.0", ips: [{ address: "10.0.0.2/24" }] },
    },
    {
      name: "reads interface index 2^53",
      version: "1.0.0",
      prevResult: '{"ips":[{"address":"10.0.0.2/24","interface":9007199254740992}]}',
      expected: { cniVersion: "1.1.0", ips: [{ address: "10.0.0.2/24", interface: 2 ** 53 }] },
    },
    {
      name: "reads interface index 2^53 + 1 as 2^53, as Go's float64 does",
      version: "1.0.0",
      prevResult: '{"ips":[{"address":"10.0.0.2/24","interface":9007199254740993}]}',
      expected: { cniVersion: "1.1.0", ips: [{ address: "10.0.0.2/24", interface: 2 ** 53 }] },
    },
    {
      name: "reads interface index 2.0 as 2",
      version: "1.0.0",
      prevResult: '{"ips":[{"address":"10.0.0.2/24","interface":2.0}]}',
      expected: { cniVersion: "1.1.0", ips: [{ address: "10.0.0.2/24", interface: 2 }] },
    },
  ];
  for (const row of rows) {
    await t.step(`readPrevResult() ${row.name}`, () => {
      assert.deepEqual(readPrevResult(chained(row.version, row.prevResult)), row.expected);
    });
  }
  await t.step("readPrevResult() gives undefined without a prevResult", () => {
    assert.equal(readPrevResult(decodeNetConf({ cniVersion: "1.0.0", name: "n" })), undefined);
  });
  await t.step("readPrevResult() gives undefined for a null prevResult", () => {
    assert.equal(readPrevResult(chained("1.0.0", "null")), undefined);
  });
});

Deno.test("readPrevResult() refuses a bad previous result with code 6", async (t) => {
  const rows: { name: string; version: string; prevResult: string; msg: string }[] = [
    {
      name: "refuses a number that overflows a float64 in an IP",
      version: "1.0.0",
      prevResult: '{"ips":[{"address":"10.0.0.2/24","interface":1e400}]}',
      msg: "json: cannot unmarshal number 1e400 into Go value of type float64",
    },
    {
      name: "refuses a number that overflows a float64 at a key no decoder reads",
      version: "1.0.0",
      prevResult: '{"cniVersion":"1.0.0","unknown":{"deep":[-1e400]}}',
      msg: "json: cannot unmarshal number -1e400 into Go value of type float64",
    },
    {
      name: "refuses a null interface",
      version: "1.0.0",
      prevResult: '{"interfaces":[null]}',
      msg: "interfaces[0] is null",
    },
    {
      name: "refuses a null IP",
      version: "1.0.0",
      prevResult: '{"ips":[null]}',
      msg: "ips[0] is null",
    },
    {
      name: "refuses a null route after a good one",
      version: "1.0.0",
      prevResult: '{"routes":[{"dst":"0.0.0.0/0"},null]}',
      msg: "routes[1] is null",
    },
    {
      name: "refuses a null 0.4.0 IP",
      version: "0.4.0",
      prevResult: '{"ips":[null]}',
      msg: "ips[0] is null",
    },
    {
      name: "refuses a null route of ip4 in a 0.2.0 result",
      version: "0.2.0",
      prevResult: '{"ip4":{"ip":"10.0.0.2/24","routes":[null]}}',
      msg: "ip4.routes[0] is null",
    },
    {
      name: "refuses interface index 2.5 in Go's words",
      version: "1.0.0",
      prevResult: '{"ips":[{"address":"10.0.0.2/24","interface":2.5}]}',
      msg: "json: cannot unmarshal number 2.5 into Go struct field ipConfig.interface of type int",
    },
    {
      name: "refuses interface index 1e21 in Go's words",
      version: "1.0.0",
      prevResult: '{"ips":[{"address":"10.0.0.2/24","interface":1e21}]}',
      msg:
        "json: cannot unmarshal number 1e+21 into Go struct field ipConfig.interface of type int",
    },
    {
      name: "refuses interface index 1e20 in Go's words",
      version: "1.0.0",
      prevResult: '{"ips":[{"address":"10.0.0.2/24","interface":1e20}]}',
      msg: "json: cannot unmarshal number 100000000000000000000 into Go struct field " +
        "ipConfig.interface of type int",
    },
    {
      name: "refuses a result of another family",
      version: "1.0.0",
      prevResult: '{"cniVersion":"0.4.0"}',
      msg: 'result type supports [1.0.0 1.1.0] but unmarshalled CNIVersion is "0.4.0"',
    },
    {
      name: "refuses an address without prefix",
      version: "1.0.0",
      prevResult: '{"ips":[{"address":"10.0.0.2"}]}',
      msg: "invalid CIDR address: 10.0.0.2",
    },
  ];
  for (const row of rows) {
    await t.step(`readPrevResult() ${row.name}`, () => {
      const conf = chained(row.version, row.prevResult);
      throwsCniError(() => readPrevResult(conf), 6, PREFIX + row.msg);
    });
  }
  await t.step('readPrevResult() says "could not parse prevResult:" exactly once', () => {
    for (const row of rows) {
      try {
        readPrevResult(chained(row.version, row.prevResult));
        assert.fail(`${row.name}: no error`);
      } catch (error) {
        assert.equal((error as Error).message.split(PREFIX).length, 2, row.name);
      }
    }
  });
});

Deno.test("a number that overflows a float64 outside prevResult", async (t) => {
  await t.step("checkNetworkConfig() and decodeNetConf() accept it at an unknown key", () => {
    const conf = decodeNetConf(checkNetworkConfig('{"cniVersion":"1.0.0","name":"n","big":1e400}'));
    assert.equal(conf.name, "n");
    assert.equal(JSON.stringify(conf.raw), '{"cniVersion":"1.0.0","name":"n","big":1e400}');
    assert.equal(readPrevResult(conf), undefined);
  });
  await t.step("parseJson() keeps it beside ordinary numbers", () => {
    assert.equal(
      JSON.stringify(parseJson('{"a":1e400,"b":[2, 1.5e-3]}')),
      '{"a":1e400,"b":[2,0.0015]}',
    );
  });
});

Deno.test("a spec key repeated in another case is decoded as Go decodes it", async (t) => {
  const decode = (text: string) => decodeNetConf(parseJson(text));
  const refused: [string, string, string][] = [
    [
      "a dns that is a number before one that is an object",
      '{"Dns":5,"dns":{}}',
      "json: cannot unmarshal number into Go struct field NetConf.dns of type types.DNS",
    ],
    [
      "a dns that is a number after one that is an object",
      '{"dns":{},"Dns":5}',
      "json: cannot unmarshal number into Go struct field NetConf.dns of type types.DNS",
    ],
    [
      "an ipam that is a string before one that is an object",
      '{"IPAM":"x","ipam":{"type":"host-local"}}',
      "json: cannot unmarshal string into Go struct field NetConf.ipam of type types.IPAM",
    ],
    [
      "an ipam type repeated inside ipam",
      '{"ipam":{"type":5,"Type":"host-local"}}',
      "json: cannot unmarshal number into Go struct field IPAM.ipam.type of type string",
    ],
    [
      "a dns member repeated inside dns",
      '{"dns":{"domain":5,"Domain":"x"}}',
      "json: cannot unmarshal number into Go struct field DNS.dns.domain of type string",
    ],
    [
      "a type that is a number before one that is a string",
      '{"type":5,"Type":"bridge"}',
      "json: cannot unmarshal number into Go struct field NetConf.type of type string",
    ],
    [
      "capabilities that are a list after an object",
      '{"capabilities":{"a":true},"Capabilities":[]}',
      "json: cannot unmarshal array into Go struct field NetConf.capabilities of type map[string]bool",
    ],
    [
      "a prevResult that is a number before an object",
      '{"prevResult":5,"PrevResult":{}}',
      "json: cannot unmarshal number into Go struct field NetConf.prevResult of type " +
      "map[string]interface {}",
    ],
  ];
  for (const [name, text, message] of refused) {
    await t.step(
      `decodeNetConf() refuses ${name}`,
      () => throwsDecodeError(() => decode(text), message),
    );
  }
  await t.step("decodeNetConf() keeps the last string, a later null leaving it", () => {
    assert.equal(decode('{"type":"a","Type":"b"}').type, "b");
    assert.equal(decode('{"type":"a","Type":null}').type, "a");
  });
  await t.step("decodeNetConf() merges two ipam objects as Go fills one struct", () => {
    assert.deepEqual(
      decode('{"ipam":{"type":"host-local","subnet":"10.1.0.0/24"},"IPAM":{"Type":null,"gw":"x"}}')
        .ipam,
      { type: "host-local", subnet: "10.1.0.0/24", Type: null, gw: "x" },
    );
  });
  await t.step("decodeNetConf() merges two dns objects", () => {
    assert.deepEqual(
      decode('{"dns":{"nameservers":["10.0.0.53"]},"DNS":{"domain":"example.com"}}').dns,
      { nameservers: ["10.0.0.53"], domain: "example.com" },
    );
  });
  await t.step("decodeNetConf() merges two prevResult maps; a later null resets them", () => {
    assert.deepEqual(
      decode('{"prevResult":{"cniVersion":"1.0.0","ips":[]},"PrevResult":{"ips":[{"a":1}]}}')
        .rawPrevResult,
      { cniVersion: "1.0.0", ips: [{ a: 1 }] },
    );
    assert.equal(
      decode('{"prevResult":{"cniVersion":"1.0.0"},"PrevResult":null}').rawPrevResult,
      undefined,
    );
  });
  await t.step("decodeNetConf() merges two capabilities maps", () => {
    assert.deepEqual(
      decode('{"capabilities":{"a":true},"Capabilities":{"b":true,"a":false}}').capabilities,
      { a: false, b: true },
    );
  });
  await t.step("checkNetworkConfig() refuses a name that is a number before a string", () => {
    throwsCniError(
      () => checkNetworkConfig('{"name":5,"Name":"n"}'),
      6,
      "error unmarshall network config: json: cannot unmarshal number into Go struct field .name " +
        "of type string",
    );
  });
  await t.step("configVersionOf() refuses a cniVersion that is a number before a string", () => {
    throwsCniError(
      () => configVersionOf(parseJson('{"cniVersion":1,"CNIVersion":"1.0.0"}')),
      6,
      "decoding version from network config: json: cannot unmarshal number into Go struct field " +
        ".cniVersion of type string",
    );
  });
});
