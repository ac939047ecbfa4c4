import assert from "node:assert/strict";
import {
  formatError,
  formatResult,
  formatVersionInfo,
  marshalCompact,
  marshalIndent,
  resultToWire,
} from "../lib/print.ts";
import type { AnyResult } from "../lib/types.ts";
import { ALL_VERSIONS } from "../lib/version.ts";

const lines = (...text: string[]) => text.join("\n");

/** The keys of every object in `value`, depth first, as "path: key,key". */
function keyOrder(value: unknown, path = "$"): string[] {
  if (Array.isArray(value)) return value.flatMap((item, i) => keyOrder(item, `${path}[${i}]`));
  if (typeof value !== "object" || value === null) return [];
  const object = value as Record<string, unknown>;
  return [
    `${path}: ${Object.keys(object).join(",")}`,
    ...Object.entries(object).flatMap(([key, item]) => keyOrder(item, `${path}.${key}`)),
  ];
}

// Every member set, written in an order no family uses, so the printer must reorder.
const ROUTE = {
  scope: 0,
  table: 0,
  priority: 5,
  advmss: 1360,
  mtu: 1400,
  gw: "10.0.0.1",
  dst: "0.0.0.0/0",
};
const DNS = { options: ["o"], search: ["s"], domain: "d", nameservers: ["10.0.0.53"] };

Deno.test("formatResult() prints Go's exact text", async (t) => {
  const rows: [string, AnyResult, string][] = [
    [
      "orders a 0.2.0 result as Go's struct does",
      {
        dns: {},
        ip6: { ip: "fd00::2/64" },
        ip4: {
          routes: [{ gw: "10.0.0.1", dst: "0.0.0.0/0" }],
          gateway: "10.0.0.1",
          ip: "10.0.0.2/24",
        },
        cniVersion: "0.2.0",
      },
      lines(
        "{",
        '    "cniVersion": "0.2.0",',
        '    "ip4": {',
        '        "ip": "10.0.0.2/24",',
        '        "gateway": "10.0.0.1",',
        '        "routes": [',
        "            {",
        '                "dst": "0.0.0.0/0",',
        '                "gw": "10.0.0.1"',
        "            }",
        "        ]",
        "    },",
        '    "ip6": {',
        '        "ip": "fd00::2/64"',
        "    },",
        '    "dns": {}',
        "}",
      ),
    ],
    [
      "orders a 0.4.0 result as Go's struct does",
      {
        dns: DNS,
        routes: [ROUTE],
        ips: [{ gateway: "10.0.0.1", address: "10.0.0.2/24", interface: 0, version: "4" }],
        interfaces: [{ sandbox: "/s", mac: "m", name: "eth0" }],
        cniVersion: "0.4.0",
      },
      lines(
        "{",
        '    "cniVersion": "0.4.0",',
        '    "interfaces": [',
        "        {",
        '            "name": "eth0",',
        '            "mac": "m",',
        '            "sandbox": "/s"',
        "        }",
        "    ],",
        '    "ips": [',
        "        {",
        '            "version": "4",',
        '            "interface": 0,',
        '            "address": "10.0.0.2/24",',
        '            "gateway": "10.0.0.1"',
        "        }",
        "    ],",
        '    "routes": [',
        "        {",
        '            "dst": "0.0.0.0/0",',
        '            "gw": "10.0.0.1",',
        '            "mtu": 1400,',
        '            "advmss": 1360,',
        '            "priority": 5,',
        '            "table": 0,',
        '            "scope": 0',
        "        }",
        "    ],",
        '    "dns": {',
        '        "nameservers": [',
        '            "10.0.0.53"',
        "        ],",
        '        "domain": "d",',
        '        "search": [',
        '            "s"',
        "        ],",
        '        "options": [',
        '            "o"',
        "        ]",
        "    }",
        "}",
      ),
    ],
    [
      "sorts every key of a 1.1.0 result",
      {
        cniVersion: "1.1.0",
        interfaces: [{
          name: "eth0",
          mac: "m",
          mtu: 1400,
          sandbox: "/s",
          socketPath: "/p",
          pciID: "x",
        }],
        ips: [{ address: "10.0.0.2/24", gateway: "10.0.0.1", interface: 0 }],
        routes: [ROUTE],
        dns: DNS,
      },
      lines(
        "{",
        '    "cniVersion": "1.1.0",',
        '    "dns": {',
        '        "domain": "d",',
        '        "nameservers": [',
        '            "10.0.0.53"',
        "        ],",
        '        "options": [',
        '            "o"',
        "        ],",
        '        "search": [',
        '            "s"',
        "        ]",
        "    },",
        '    "interfaces": [',
        "        {",
        '            "mac": "m",',
        '            "mtu": 1400,',
        '            "name": "eth0",',
        '            "pciID": "x",',
        '            "sandbox": "/s",',
        '            "socketPath": "/p"',
        "        }",
        "    ],",
        '    "ips": [',
        "        {",
        '            "address": "10.0.0.2/24",',
        '            "gateway": "10.0.0.1",',
        '            "interface": 0',
        "        }",
        "    ],",
        '    "routes": [',
        "        {",
        '            "advmss": 1360,',
        '            "dst": "0.0.0.0/0",',
        '            "gw": "10.0.0.1",',
        '            "mtu": 1400,',
        '            "priority": 5,',
        '            "scope": 0,',
        '            "table": 0',
        "        }",
        "    ]",
        "}",
      ),
    ],
    [
      "prints the reference's 1.0.0 pass-through result",
      {
        cniVersion: "1.0.0",
        interfaces: [{ name: "eth0", sandbox: "/var/run/netns/x" }],
        ips: [{ address: "10.0.0.2/24", gateway: "10.0.0.1", interface: 0 }],
      },
      lines(
        "{",
        '    "cniVersion": "1.0.0",',
        '    "interfaces": [',
        "        {",
        '            "name": "eth0",',
        '            "sandbox": "/var/run/netns/x"',
        "        }",
        "    ],",
        '    "ips": [',
        "        {",
        '            "address": "10.0.0.2/24",',
        '            "gateway": "10.0.0.1",',
        '            "interface": 0',
        "        }",
        "    ]",
        "}",
      ),
    ],
    [
      "prints an empty 0.3.0 result with an empty dns",
      { cniVersion: "0.3.0", dns: {} },
      lines("{", '    "cniVersion": "0.3.0",', '    "dns": {}', "}"),
    ],
    [
      "prints an empty 1.0.0 result without dns",
      { cniVersion: "1.0.0", dns: {} },
      lines("{", '    "cniVersion": "1.0.0"', "}"),
    ],
  ];
  for (const [name, result, expected] of rows) {
    await t.step(`formatResult() ${name}`, () => {
      assert.equal(formatResult(result), expected);
    });
  }
});

Deno.test("formatResult() leaves out what Go leaves out", async (t) => {
  const rows: [string, AnyResult, unknown][] = [
    [
      "drops empty lists, strings and zero numbers but keeps table and scope 0",
      {
        cniVersion: "1.1.0",
        interfaces: [{ name: "", mac: "", mtu: 0, sandbox: "", socketPath: "", pciID: "" }],
        ips: [{ address: "10.0.0.2/24", gateway: "" }],
        routes: [{ dst: "10.0.0.0/8", gw: "", mtu: 0, advmss: 0, priority: 0, table: 0, scope: 0 }],
        dns: { nameservers: [], domain: "", search: [], options: [] },
      },
      {
        cniVersion: "1.1.0",
        interfaces: [{ name: "" }],
        ips: [{ address: "10.0.0.2/24" }],
        routes: [{ dst: "10.0.0.0/8", table: 0, scope: 0 }],
      },
    ],
    [
      "drops empty top-level lists",
      { cniVersion: "0.4.0", interfaces: [], ips: [], routes: [], dns: {} },
      { cniVersion: "0.4.0", dns: {} },
    ],
    [
      "keeps a 0.4.0 IP's empty version and interface 0",
      {
        cniVersion: "0.4.0",
        ips: [{ version: "", interface: 0, address: "10.0.0.2/24" }],
        dns: {},
      },
      {
        cniVersion: "0.4.0",
        ips: [{ version: "", interface: 0, address: "10.0.0.2/24" }],
        dns: {},
      },
    ],
    [
      "keeps a negative interface index",
      { cniVersion: "1.0.0", ips: [{ address: "10.0.0.2/24", interface: -1 }] },
      { cniVersion: "1.0.0", ips: [{ address: "10.0.0.2/24", interface: -1 }] },
    ],
    [
      "drops an empty 0.2.0 route list",
      { cniVersion: "0.2.0", ip4: { ip: "10.0.0.2/24", gateway: "", routes: [] }, dns: {} },
      { cniVersion: "0.2.0", ip4: { ip: "10.0.0.2/24" }, dns: {} },
    ],
    [
      "prints route extras of a 0.2.0 input after gw",
      { cniVersion: "0.2.0", ip4: { ip: "10.0.0.2/24", routes: [ROUTE] }, dns: {} },
      {
        cniVersion: "0.2.0",
        ip4: {
          ip: "10.0.0.2/24",
          routes: [{
            dst: "0.0.0.0/0",
            gw: "10.0.0.1",
            mtu: 1400,
            advmss: 1360,
            priority: 5,
            table: 0,
            scope: 0,
          }],
        },
        dns: {},
      },
    ],
    [
      "leaves out an empty cniVersion like Go's omitempty",
      { cniVersion: "", ips: [{ address: "10.0.0.2/24" }] },
      { ips: [{ address: "10.0.0.2/24" }] },
    ],
  ];
  for (const [name, result, expected] of rows) {
    await t.step(`formatResult() ${name}`, () => {
      assert.deepEqual(JSON.parse(formatResult(result)), expected);
    });
  }
});

Deno.test("resultToWire() uses each family's key order at every depth", async (t) => {
  const inputs: Record<string, unknown> = {
    "020": {
      cniVersion: "",
      ip4: { ip: "10.0.0.2/24", gateway: "10.0.0.1", routes: [ROUTE] },
      ip6: { ip: "fd00::2/64", gateway: "fd00::1" },
      dns: DNS,
    },
    "040": {
      cniVersion: "",
      interfaces: [{ name: "eth0", mac: "m", sandbox: "/s" }],
      ips: [{ version: "4", interface: 0, address: "10.0.0.2/24", gateway: "10.0.0.1" }],
      routes: [ROUTE],
      dns: DNS,
    },
    "100": {
      cniVersion: "",
      interfaces: [{ name: "eth0", mac: "m", mtu: 1, sandbox: "/s", socketPath: "/p", pciID: "x" }],
      ips: [{ address: "10.0.0.2/24", gateway: "10.0.0.1", interface: 0 }],
      routes: [ROUTE],
      dns: DNS,
    },
  };
  const route040 = "dst,gw,mtu,advmss,priority,table,scope";
  const dns040 = "nameservers,domain,search,options";
  const expected: Record<string, string[]> = {
    "020": [
      "$: cniVersion,ip4,ip6,dns",
      "$.ip4: ip,gateway,routes",
      `$.ip4.routes[0]: ${route040}`,
      "$.ip6: ip,gateway",
      `$.dns: ${dns040}`,
    ],
    "040": [
      "$: cniVersion,interfaces,ips,routes,dns",
      "$.interfaces[0]: name,mac,sandbox",
      "$.ips[0]: version,interface,address,gateway",
      `$.routes[0]: ${route040}`,
      `$.dns: ${dns040}`,
    ],
    "100": [
      "$: cniVersion,dns,interfaces,ips,routes",
      "$.dns: domain,nameservers,options,search",
      "$.interfaces[0]: mac,mtu,name,pciID,sandbox,socketPath",
      "$.ips[0]: address,gateway,interface",
      "$.routes[0]: advmss,dst,gw,mtu,priority,scope,table",
    ],
  };
  for (const version of ALL_VERSIONS) {
    const family = version < "0.3.0" ? "020" : version < "1.0.0" ? "040" : "100";
    await t.step(`resultToWire() orders the keys of a ${version} result`, () => {
      const result = { ...(inputs[family] as object), cniVersion: version } as AnyResult;
      assert.deepEqual(keyOrder(resultToWire(result)), expected[family]);
    });
  }
});

Deno.test("formatResult() escapes like Go", async (t) => {
  await t.step("formatResult() escapes <, > and &", () => {
    const text = formatResult({ cniVersion: "1.0.0", interfaces: [{ name: "a<b>&c" }] });
    assert.ok(text.includes('"name": "a\\u003cb\\u003e\\u0026c"'), text);
  });
  await t.step("formatResult() escapes U+2028 and U+2029", () => {
    const text = formatResult({ cniVersion: "1.0.0", interfaces: [{ name: "a\u2028b\u2029" }] });
    assert.ok(text.includes('"name": "a\\u2028b\\u2029"'), text);
  });
  await t.step("formatResult() writes a lone surrogate as U+FFFD", () => {
    const text = formatResult({ cniVersion: "1.0.0", interfaces: [{ name: "a\ud800b" }] });
    assert.ok(text.includes('"name": "a\ufffdb"'), text);
  });
  await t.step("formatResult() keeps a surrogate pair", () => {
    const text = formatResult({ cniVersion: "1.0.0", interfaces: [{ name: "🙂" }] });
    assert.ok(text.includes('"name": "🙂"'), text);
  });
  await t.step("formatResult() escapes control characters with lower-case hex", () => {
    const text = formatResult({ cniVersion: "1.0.0", interfaces: [{ name: "a\x01\x1fb" }] });
    assert.ok(text.includes('"name": "a\\u0001\\u001fb"'), text);
  });
  await t.step("formatResult() escapes < and > in a value", () => {
    const text = formatResult({ cniVersion: "1.0.0", interfaces: [{ name: "<a>" }] });
    assert.ok(text.includes('"name": "\\u003ca\\u003e"'), text);
  });
  await t.step("formatResult() escapes &, <, > and U+2028 however they mix", () => {
    const text = formatResult({ cniVersion: "1.0.0", interfaces: [{ name: "\u2028&&>" }] });
    assert.ok(text.includes('"name": "\\u2028\\u0026\\u0026\\u003e"'), text);
  });
  await t.step("formatResult() ends without a newline", () => {
    assert.ok(formatResult({ cniVersion: "1.0.0" }).endsWith("}"));
  });
  await t.step("formatResult() rejects a result of an unknown version", () => {
    assert.throws(() => formatResult({ cniVersion: "0.5.0" }), /unsupported CNI result version/);
  });
});

Deno.test("formatError()", async (t) => {
  const rows: [string, { code: number; msg: string; details?: string }, string][] = [
    [
      "prints code and msg",
      { code: 4, msg: "required env variables [CNI_PATH] missing" },
      lines("{", '    "code": 4,', '    "msg": "required env variables [CNI_PATH] missing"', "}"),
    ],
    [
      "prints details last",
      { code: 4, msg: "invalid characters in containerID", details: "-bad" },
      lines(
        "{",
        '    "code": 4,',
        '    "msg": "invalid characters in containerID",',
        '    "details": "-bad"',
        "}",
      ),
    ],
    [
      "leaves out empty details",
      { code: 7, msg: "missing network name", details: "" },
      lines("{", '    "code": 7,', '    "msg": "missing network name"', "}"),
    ],
    [
      "keeps code 0 and an empty msg",
      { code: 0, msg: "" },
      lines("{", '    "code": 0,', '    "msg": ""', "}"),
    ],
    [
      "escapes like Go",
      { code: 999, msg: "a<b", details: "x&y>\u2028" },
      lines(
        "{",
        '    "code": 999,',
        '    "msg": "a\\u003cb",',
        '    "details": "x\\u0026y\\u003e\\u2028"',
        "}",
      ),
    ],
    [
      "escapes quotes in details",
      { code: 1, msg: "incompatible CNI versions", details: 'config is "9.9.9"' },
      lines(
        "{",
        '    "code": 1,',
        '    "msg": "incompatible CNI versions",',
        '    "details": "config is \\"9.9.9\\""',
        "}",
      ),
    ],
  ];
  for (const [name, error, expected] of rows) {
    await t.step(`formatError() ${name}`, () => {
      assert.equal(formatError(error), expected);
    });
  }
});

Deno.test("formatVersionInfo()", async (t) => {
  await t.step("formatVersionInfo() prints compact JSON and a newline", () => {
    assert.equal(
      formatVersionInfo({ cniVersion: "1.1.0", supportedVersions: [...ALL_VERSIONS] }),
      '{"cniVersion":"1.1.0","supportedVersions":' +
        '["0.1.0","0.2.0","0.3.0","0.3.1","0.4.0","1.0.0","1.1.0"]}\n',
    );
  });
  await t.step("formatVersionInfo() keeps the declared order", () => {
    assert.equal(
      formatVersionInfo({ cniVersion: "1.1.0", supportedVersions: ["1.0.0", "0.4.0"] }),
      '{"cniVersion":"1.1.0","supportedVersions":["1.0.0","0.4.0"]}\n',
    );
  });
  await t.step("formatVersionInfo() leaves out an empty version list", () => {
    assert.equal(
      formatVersionInfo({ cniVersion: "1.1.0", supportedVersions: [] }),
      '{"cniVersion":"1.1.0"}\n',
    );
  });
});

Deno.test("marshalIndent() and marshalCompact()", async (t) => {
  await t.step("marshalIndent() writes empty objects and lists inline", () => {
    assert.equal(marshalIndent({ a: {}, b: [] }), lines("{", '    "a": {},', '    "b": []', "}"));
  });
  await t.step("marshalIndent() puts one list element per line", () => {
    assert.equal(marshalIndent([1, "x"]), lines("[", "    1,", '    "x"', "]"));
  });
  await t.step("marshalCompact() escapes like Go", () => {
    assert.equal(marshalCompact({ a: "<&>" }), '{"a":"\\u003c\\u0026\\u003e"}');
  });
  await t.step("marshalCompact() keeps a literal backslash-u text intact", () => {
    assert.equal(marshalCompact({ a: "\\u003c" }), '{"a":"\\\\u003c"}');
  });
});
