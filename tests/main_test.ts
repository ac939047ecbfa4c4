/**
 * The sample plugin (main.ts) as a real process: the protocol's edge cases, the tests of the Go
 * sample plugin, the container-IP filter of 0.3.0 configurations, the verbs as this project
 * defines them and every class of bad input.
 *
 * Expected outcomes live in tests/testdata/sample/*.json, keyed by case id. Where the sample
 * differs from the Go sample on purpose (docs/differences-from-go.md), the
 * expectations are this project's:
 * - its configuration errors are code 7 naming the key, a spec key or prevResult that does not
 *   decode is code 6 (the Go sample says 999 with Go type names);
 * - DEL succeeds with a warning when its own keys are invalid, and does not read prevResult;
 * - CHECK succeeds when the previous result has container IPs, STATUS reports ready;
 * - the container-IP filter for 0.3.0 configurations is the walkthrough's;
 * - there is no check that CNI_NETNS is not the plugin's own namespace.
 */
import assert from "node:assert/strict";
import { pluginArgs, readExpected, runTable, type TableRow } from "./_process.ts";

/** The environment every case starts from. */
const BASE: Readonly<Record<string, string>> = {
  CNI_COMMAND: "ADD",
  CNI_CONTAINERID: "c1",
  CNI_NETNS: "/var/run/netns/x",
  CNI_IFNAME: "eth0",
  CNI_PATH: "/opt/cni/bin",
  CNI_NETNS_OVERRIDE: "1",
};

/** BASE with some variables replaced, or removed where the value is undefined. */
function base(changes: Record<string, string | undefined> = {}): Record<string, string> {
  const env: Record<string, string> = { ...BASE };
  for (const [key, value] of Object.entries(changes)) {
    if (value === undefined) delete env[key];
    else env[key] = value;
  }
  return env;
}

/** A network name, the type and the sample's required argument. */
const N = { name: "n", type: "sample", anotherAwesomeArg: "x" };

/** A previous result at version `cniVersion`, with one interface and one container IP. */
function P(cniVersion: string) {
  return {
    prevResult: {
      cniVersion,
      interfaces: [{ name: "eth0", sandbox: "/var/run/netns/x" }],
      ips: [{ address: "10.0.0.2/24", gateway: "10.0.0.1", interface: 0 }],
    },
  };
}

/** A configuration document made of the given parts, as stdin text. */
function conf(...parts: object[]): string {
  return JSON.stringify(Object.assign({}, ...parts));
}

const CONFORMANCE: TableRow[] = [
  {
    id: "no-cni-command-prints-the-about-text-and",
    name: "no CNI_COMMAND prints the about text and versions on stderr",
    env: {},
    stdin: conf(N, { cniVersion: "1.0.0" }),
  },
  {
    id: "version-ignores-a-stdin-that-is-not-json",
    name: "VERSION ignores a stdin that is not JSON",
    env: { CNI_COMMAND: "VERSION" },
    stdin: "garbage",
  },
  {
    id: "version-validates-no-variable",
    name: "VERSION validates no variable",
    env: { CNI_COMMAND: "VERSION", CNI_CONTAINERID: "!!" },
    stdin: "",
  },
  {
    id: "add-reports-all-its-missing-variables-in-one",
    name: "ADD reports all its missing variables in one error",
    env: { CNI_COMMAND: "ADD" },
    stdin: conf(N, { cniVersion: "1.0.0" }),
  },
  {
    id: "del-does-not-require-cni-netns",
    name: "DEL does not require CNI_NETNS",
    env: { CNI_COMMAND: "DEL" },
    stdin: conf(N, { cniVersion: "1.0.0" }),
  },
  {
    id: "gc-requires-only-cni-path",
    name: "GC requires only CNI_PATH",
    env: { CNI_COMMAND: "GC" },
    stdin: conf(N, { cniVersion: "1.1.0" }),
  },
  {
    id: "status-requires-only-cni-path",
    name: "STATUS requires only CNI_PATH",
    env: { CNI_COMMAND: "STATUS" },
    stdin: conf(N, { cniVersion: "1.1.0" }),
  },
  {
    id: "an-unknown-verb-is-code-4",
    name: "an unknown verb is code 4",
    env: { CNI_COMMAND: "FOO" },
    stdin: conf(N, { cniVersion: "1.1.0" }),
  },
  {
    id: "an-unknown-verb-still-reads-stdin-and-reports",
    name: "an unknown verb still reads stdin and reports bad JSON first",
    env: { CNI_COMMAND: "FOO" },
    stdin: "notjson",
  },
  {
    id: "verbs-are-case-sensitive",
    name: "verbs are case-sensitive",
    env: base({ CNI_COMMAND: "add" }),
    stdin: conf(N, { cniVersion: "1.0.0" }),
  },
  {
    id: "an-invalid-container-id-beats-the-missing-cni",
    name: "an invalid container ID beats the missing CNI_IFNAME",
    env: base({ CNI_CONTAINERID: "-bad", CNI_IFNAME: undefined }),
    stdin: conf(N, { cniVersion: "1.0.0" }),
  },
  {
    id: "a-16-character-interface-name-is-too-long",
    name: "a 16-character interface name is too long",
    env: base({ CNI_IFNAME: "abcdefghijklmnop" }),
    stdin: conf(N, { cniVersion: "1.0.0" }),
  },
  {
    id: "an-interface-name-of-9-characters-but-18-utf-8",
    name: "an interface name of 9 characters but 18 UTF-8 bytes is too long",
    env: base({ CNI_IFNAME: "ééééééééé" }),
    stdin: conf(N, { cniVersion: "1.0.0" }),
  },
  {
    id: "the-interface-name-.-is-refused",
    name: 'the interface name "." is refused',
    env: base({ CNI_IFNAME: "." }),
    stdin: conf(N, { cniVersion: "1.0.0" }),
  },
  {
    id: "the-interface-name-a-b-is-refused",
    name: 'the interface name "a b" is refused',
    env: base({ CNI_IFNAME: "a b" }),
    stdin: conf(N, { cniVersion: "1.0.0" }),
  },
  {
    id: "the-interface-name-a-b-is-refused-2",
    name: 'the interface name "a/b" is refused',
    env: base({ CNI_IFNAME: "a/b" }),
    stdin: conf(N, { cniVersion: "1.0.0" }),
  },
  {
    id: "an-empty-stdin-is-code-6",
    name: "an empty stdin is code 6",
    env: base(),
    stdin: "",
  },
  {
    id: "a-null-configuration-has-no-network-name",
    name: "a null configuration has no network name",
    env: base(),
    stdin: "null",
  },
  {
    id: "an-empty-object-has-no-network-name",
    name: "an empty object has no network name",
    env: base(),
    stdin: "{}",
  },
  {
    id: "the-network-name-a-b-is-refused-with-the-name-as",
    name: 'the network name "a/b" is refused with the name as details',
    env: base(),
    stdin: conf({ cniVersion: "1.0.0", name: "a/b" }),
  },
  {
    id: "the-network-name-is-checked-before-the-version",
    name: "the network name is checked before the version",
    env: base(),
    stdin: conf({ cniVersion: "x", name: "-" }),
  },
  {
    id: "a-numeric-cniversion-is-code-6",
    name: "a numeric cniVersion is code 6",
    env: base(),
    stdin: conf({ cniVersion: 1, name: "n" }),
  },
  {
    id: "add-refuses-a-version-the-plugin-does-not-list",
    name: "ADD refuses a version the plugin does not list",
    env: base(),
    stdin: conf(N, { cniVersion: "9.9.9" }),
  },
  {
    id: "add-matches-versions-exactly-so-1.0-is-refused",
    name: 'ADD matches versions exactly, so "1.0" is refused',
    env: base(),
    stdin: conf(N, { cniVersion: "1.0" }),
  },
  {
    id: "a-missing-cniversion-reads-as-0.1.0-and-add",
    name: "a missing cniVersion reads as 0.1.0 and ADD wants a prevResult",
    env: base(),
    stdin: conf(N),
  },
  {
    id: "add-re-prints-a-1.0.0-prevresult-with-sorted",
    name: "ADD re-prints a 1.0.0 prevResult with sorted keys and no dns",
    env: base(),
    stdin: conf(N, { cniVersion: "1.0.0" }, P("1.0.0")),
  },
  {
    id: "a-0.4.0-prevresult-under-a-1.0.0-config-is",
    name: "a 0.4.0 prevResult under a 1.0.0 config is refused",
    env: base(),
    stdin: conf(N, { cniVersion: "1.0.0" }, P("0.4.0")),
  },
  {
    id: "a-prevresult-with-cniversion-under-a-1.0.0",
    name: 'a prevResult with cniVersion "" under a 1.0.0 config is refused',
    env: base(),
    stdin: conf(N, { cniVersion: "1.0.0" }, P("")),
  },
  {
    id: "a-prevresult-without-cniversion-takes-the-config",
    name: "a prevResult without cniVersion takes the config's 0.4.0",
    env: base(),
    stdin: conf(N, {
      cniVersion: "0.4.0",
      prevResult: { ips: [{ version: "4", address: "10.0.0.2/24" }] },
    }),
  },
  {
    id: "a-0.2.0-prevresult-comes-back-in-the-0.2.0-shape",
    name: "a 0.2.0 prevResult comes back in the 0.2.0 shape",
    env: base(),
    stdin: conf(N, {
      cniVersion: "0.2.0",
      prevResult: {
        cniVersion: "0.2.0",
        ip4: { ip: "10.0.0.2/24", gateway: "10.0.0.1", routes: [{ dst: "0.0.0.0/0" }] },
        dns: { nameservers: ["8.8.8.8"] },
      },
    }),
  },
  {
    id: "with-no-cniversion-anywhere-the-result-is",
    name: "with no cniVersion anywhere the result is printed as 0.1.0",
    env: base(),
    stdin: conf(N, { prevResult: { ip4: { ip: "10.0.0.2/24" } } }),
  },
  {
    id: "a-prevresult-without-ips-has-no-container-ips",
    name: "a prevResult without IPs has no container IPs",
    env: base(),
    stdin: conf(N, {
      cniVersion: "0.3.1",
      prevResult: { cniVersion: "0.3.1", interfaces: [{ name: "eth0" }] },
    }),
  },
  {
    id: "a-prevresult-address-without-a-prefix-length-is",
    name: "a prevResult address without a prefix length is code 6",
    env: base(),
    stdin: conf(N, {
      cniVersion: "1.0.0",
      prevResult: { cniVersion: "1.0.0", ips: [{ address: "10.0.0.2", interface: 0 }] },
    }),
  },
  {
    id: "keys-match-case-insensitively",
    name: "keys match case-insensitively",
    env: base(),
    stdin: '{"CNIVERSION":"1.0.0","Name":"n","type":"sample","AnotherAwesomeArg":"x",' +
      '"PrevResult":{"cniVersion":"1.0.0","IPs":[{"Address":"10.0.0.2/24"}]}}',
  },
  {
    id: "check-is-refused-under-a-0.3.1-config",
    name: "CHECK is refused under a 0.3.1 config",
    env: base({ CNI_COMMAND: "CHECK" }),
    stdin: conf(N, { cniVersion: "0.3.1" }),
  },
  {
    id: "check-is-refused-when-cniversion-is-missing",
    name: "CHECK is refused when cniVersion is missing (0.1.0)",
    env: base({ CNI_COMMAND: "CHECK" }),
    stdin: conf(N),
  },
  {
    id: "check-reports-an-unparsable-version-abc-as-code",
    name: 'CHECK reports an unparsable version "abc" as code 6',
    env: base({ CNI_COMMAND: "CHECK" }),
    stdin: conf(N, { cniVersion: "abc" }),
  },
  {
    id: "check-with-a-version-newer-than-the-plugin-s-is",
    name: "CHECK with a version newer than the plugin's is refused",
    env: base({ CNI_COMMAND: "CHECK" }),
    stdin: conf(N, { cniVersion: "2.0.0" }),
  },
  {
    id: "check-with-1.0.5-fails-the-exact-match-test",
    name: "CHECK with 1.0.5 fails the exact-match test",
    env: base({ CNI_COMMAND: "CHECK" }),
    stdin: conf(N, { cniVersion: "1.0.5" }),
  },
  {
    id: "del-without-cni-netns-succeeds-silently",
    name: "DEL without CNI_NETNS succeeds silently",
    env: base({ CNI_COMMAND: "DEL", CNI_NETNS: undefined }),
    stdin: conf(N, { cniVersion: "1.0.0" }),
  },
  {
    id: "gc-without-a-handler-succeeds-and-validates-no",
    name: "GC without a handler succeeds and validates no variable",
    env: { CNI_COMMAND: "GC", CNI_PATH: "/x", CNI_CONTAINERID: "!!", CNI_IFNAME: "a/b" },
    stdin: conf(N, { cniVersion: "1.1.0" }),
  },
  {
    id: "gc-is-refused-under-a-1.0.0-config",
    name: "GC is refused under a 1.0.0 config",
    env: { CNI_COMMAND: "GC", CNI_PATH: "/opt/cni/bin" },
    stdin: conf(N, { cniVersion: "1.0.0" }),
  },
  {
    id: "status-is-refused-under-a-1.0.0-config",
    name: "STATUS is refused under a 1.0.0 config",
    env: { CNI_COMMAND: "STATUS", CNI_PATH: "/opt/cni/bin" },
    stdin: conf(N, { cniVersion: "1.0.0" }),
  },
  {
    id: "gc-with-a-version-newer-than-the-plugin-s-is",
    name: "GC with a version newer than the plugin's is refused",
    env: { CNI_COMMAND: "GC", CNI_PATH: "/opt/cni/bin" },
    stdin: conf(N, { cniVersion: "9.0.0" }),
  },
  // The Go sample's STATUS delegates to ipam.type and fails without it ("no plugin name
  // provided", or "failed to find plugin"); this sample's STATUS reports ready.
  {
    id: "status-reports-ready-without-ipam-differs-from",
    name: "STATUS reports ready without ipam (the Go sample delegates)",
    env: { CNI_COMMAND: "STATUS", CNI_PATH: "/tmp/none" },
    stdin: conf(N, { cniVersion: "1.1.0" }),
  },
  {
    id: "status-reports-ready-with-ipam.type-nope-differs",
    name: "STATUS reports ready with ipam.type nope (the Go sample delegates)",
    env: { CNI_COMMAND: "STATUS", CNI_PATH: "/tmp/none" },
    stdin: conf(N, { cniVersion: "1.1.0", ipam: { type: "nope" } }),
  },
  {
    id: "a-malformed-cni-args-is-not-parsed-by-the",
    name: "a malformed CNI_ARGS is not parsed by the dispatcher",
    env: base({ CNI_ARGS: "a=b=c;;" }),
    stdin: conf(N, { cniVersion: "1.0.0" }),
  },
  {
    id: "a-prevresult-that-is-a-string-fails-the-config",
    name: "a prevResult that is a string is code 6",
    env: base(),
    stdin: conf(N, { cniVersion: "1.0.0", prevResult: "abc" }),
  },
];

Deno.test("sample plugin: the protocol's edge cases", async (t) => {
  await runTable(t, "sample", CONFORMANCE, readExpected("sample/conformance.json"));
});

/** The environment of the Go sample's own tests: container "dummy", interface eth0. */
const SAMPLE_TEST_ENV: Readonly<Record<string, string>> = {
  CNI_COMMAND: "ADD",
  CNI_CONTAINERID: "dummy",
  // The Go tests make a namespace per test; this plugin never opens CNI_NETNS, so a path is
  // enough and the tests need no root.
  CNI_NETNS: "/var/run/netns/dcni-sample",
  CNI_IFNAME: "eth0",
  CNI_PATH: "/usr/local/bin:/usr/bin:/bin",
};

const SAMPLE_NAME = { name: "cni-plugin-sample-test", type: "sample" };

/** T1's and T2's previous result, with or without its own cniVersion. */
function sampleTestPrevResult(cniVersion?: string) {
  return {
    ...(cniVersion !== undefined && { cniVersion }),
    interfaces: [{ name: "eth0", sandbox: "/var/run/netns/dcni-sample" }],
    ips: [{ version: "4", address: "10.0.0.2/24", gateway: "10.0.0.1", interface: 0 }],
    routes: [],
  };
}

const SAMPLE_TESTS: TableRow[] = [
  {
    id: "works-with-a-0.3.0-config",
    name: "works with a 0.3.0 config",
    env: SAMPLE_TEST_ENV,
    stdin: conf(SAMPLE_NAME, {
      cniVersion: "0.3.0",
      anotherAwesomeArg: "awesome",
      prevResult: sampleTestPrevResult("0.3.0"),
    }),
  },
  {
    id: "fails-an-invalid-config-no-anotherawesomearg",
    name: "fails an invalid config (no anotherAwesomeArg)",
    env: SAMPLE_TEST_ENV,
    stdin: conf(SAMPLE_NAME, { cniVersion: "0.3.0", prevResult: sampleTestPrevResult() }),
  },
  {
    id: "fails-with-a-0.2.0-config-and-no-prevresult-no",
    name: "fails with a 0.2.0 config and no prevResult (no chaining)",
    env: SAMPLE_TEST_ENV,
    stdin: conf(SAMPLE_NAME, { cniVersion: "0.2.0", anotherAwesomeArg: "foo" }),
  },
  {
    id: "t3-before-7d8c767-works-with-a-0.2.0-config-and",
    name: "works with a 0.2.0 config and an ip4 prevResult (the Go sample's older test)",
    env: SAMPLE_TEST_ENV,
    stdin: conf(SAMPLE_NAME, {
      cniVersion: "0.2.0",
      anotherAwesomeArg: "foo",
      prevResult: { ip4: { ip: "10.0.0.2/24", gateway: "10.0.0.1", routes: [] } },
    }),
  },
];

Deno.test("sample plugin: the Go sample's own tests", async (t) => {
  await runTable(t, "sample", SAMPLE_TESTS, readExpected("sample/sample_tests.json"));
});

/** A 0.3.x config whose prevResult has the given interfaces and IPs. */
function filterCase(cniVersion: string, interfaces: object[], ips: object[]): string {
  return conf(N, { cniVersion, prevResult: { cniVersion, interfaces, ips } });
}

const HOST_AND_CONTAINER = [{ name: "veth0" }, { name: "eth0", sandbox: "/var/run/netns/x" }];

const IP_FILTER: TableRow[] = [
  {
    id: "under-0.3.0-an-ip-without-an-interface-index",
    name: "under 0.3.0 an IP without an interface index does not count",
    env: base(),
    stdin: filterCase("0.3.0", HOST_AND_CONTAINER, [{ version: "4", address: "10.0.0.2/24" }]),
  },
  {
    id: "under-0.3.1-an-ip-without-an-interface-index",
    name: "under 0.3.1 an IP without an interface index counts",
    env: base(),
    stdin: filterCase("0.3.1", HOST_AND_CONTAINER, [{ version: "4", address: "10.0.0.2/24" }]),
  },
  {
    id: "under-0.3.0-an-ip-on-an-interface-not-named-cni",
    name: "under 0.3.0 an IP on an interface not named CNI_IFNAME does not count",
    env: base(),
    stdin: filterCase("0.3.0", HOST_AND_CONTAINER, [
      { version: "4", interface: 0, address: "10.0.0.2/24" },
    ]),
  },
  {
    id: "under-0.4.0-an-ip-on-an-interface-not-named-cni",
    name: "under 0.4.0 an IP on an interface not named CNI_IFNAME counts",
    env: base(),
    stdin: filterCase("0.4.0", HOST_AND_CONTAINER, [
      { version: "4", interface: 0, address: "10.0.0.2/24" },
    ]),
  },
  {
    id: "under-0.3.0-an-ip-on-the-interface-named-cni",
    name: "under 0.3.0 an IP on the interface named CNI_IFNAME counts",
    env: base(),
    stdin: filterCase("0.3.0", HOST_AND_CONTAINER, [
      { version: "4", interface: 1, address: "10.0.0.2/24" },
    ]),
  },
  {
    id: "under-0.3.0-the-filter-follows-cni-ifname-net1",
    name: "under 0.3.0 the filter follows CNI_IFNAME (net1 is not eth0)",
    env: base({ CNI_IFNAME: "net1" }),
    stdin: filterCase("0.3.0", HOST_AND_CONTAINER, [
      { version: "4", interface: 1, address: "10.0.0.2/24" },
    ]),
  },
  {
    id: "under-0.3.0-an-index-past-the-interfaces-list",
    name: "under 0.3.0 an index past the interfaces list counts",
    env: base(),
    stdin: filterCase("0.3.0", HOST_AND_CONTAINER, [
      { version: "4", interface: 5, address: "10.0.0.2/24" },
    ]),
  },
  {
    id: "under-0.3.0-a-negative-index-unknown-interface",
    name: "under 0.3.0 a negative index (unknown interface) counts",
    env: base(),
    stdin: filterCase("0.3.0", HOST_AND_CONTAINER, [
      { version: "4", interface: -1, address: "10.0.0.2/24" },
    ]),
  },
  {
    id: "under-0.3.0-one-container-ip-is-enough-and-every",
    name: "under 0.3.0 one container IP is enough and every IP is printed",
    env: base(),
    stdin: filterCase("0.3.0", HOST_AND_CONTAINER, [
      { version: "4", interface: 0, address: "10.0.0.1/24" },
      { version: "6", interface: 1, address: "2001:DB8:0:0::5/64" },
    ]),
  },
];

Deno.test("sample plugin: the container-IP filter of 0.3.0 configurations", async (t) => {
  await runTable(t, "sample", IP_FILTER, readExpected("sample/ip_filter.json"));
});

const VERBS: TableRow[] = [
  {
    id: "check-succeeds-when-the-prevresult-has-container",
    name: "CHECK succeeds when the prevResult has container IPs (the Go sample: not implemented)",
    env: base({ CNI_COMMAND: "CHECK" }),
    stdin: conf(N, { cniVersion: "1.0.0" }, P("1.0.0")),
  },
  {
    id: "check-succeeds-under-0.4.0-with-a-0.4.0",
    name: "CHECK succeeds under 0.4.0 with a 0.4.0 prevResult",
    env: base({ CNI_COMMAND: "CHECK" }),
    stdin: conf(N, { cniVersion: "0.4.0" }, P("0.4.0")),
  },
  {
    id: "check-without-a-prevresult-fails-like-add",
    name: "CHECK without a prevResult fails like ADD",
    env: base({ CNI_COMMAND: "CHECK" }),
    stdin: conf(N, { cniVersion: "1.1.0" }),
  },
  {
    id: "check-with-a-prevresult-that-has-no-ips-fails",
    name: "CHECK with a prevResult that has no IPs fails like ADD",
    env: base({ CNI_COMMAND: "CHECK" }),
    stdin: conf(N, {
      cniVersion: "1.1.0",
      prevResult: { cniVersion: "1.1.0", interfaces: [{ name: "eth0" }] },
    }),
  },
  {
    id: "check-parses-the-config-a-missing",
    name: "CHECK parses the config: a missing anotherAwesomeArg fails",
    env: base({ CNI_COMMAND: "CHECK" }),
    stdin: conf({ name: "n", type: "sample", cniVersion: "1.0.0" }, P("1.0.0")),
  },
  {
    id: "del-parses-the-config-so-a-missing",
    name: "DEL succeeds with a warning when anotherAwesomeArg is missing",
    env: base({ CNI_COMMAND: "DEL" }),
    stdin: conf({ name: "n", type: "sample", cniVersion: "1.0.0" }),
  },
  {
    id: "del-with-a-valid-prevresult-succeeds-silently",
    name: "DEL with a valid prevResult succeeds silently",
    env: base({ CNI_COMMAND: "DEL" }),
    stdin: conf(N, { cniVersion: "1.0.0" }, P("1.0.0")),
  },
  {
    id: "del-parses-the-prevresult-too-so-a-broken-one",
    name: "DEL does not read the prevResult, so a broken one cannot fail it",
    env: base({ CNI_COMMAND: "DEL" }),
    stdin: conf(N, { cniVersion: "1.0.0" }, P("0.4.0")),
  },
  {
    id: "status-parses-the-config-a-missing",
    name: "STATUS parses the config: a missing anotherAwesomeArg fails",
    env: { CNI_COMMAND: "STATUS", CNI_PATH: "/opt/cni/bin" },
    stdin: conf({ name: "n", type: "sample", cniVersion: "1.1.0" }),
  },
  {
    id: "gc-with-valid-attachments-succeeds-silently-no",
    name: "GC with valid attachments succeeds silently (no GC handler)",
    env: {
      CNI_COMMAND: "GC",
      CNI_PATH: "/opt/cni/bin",
      CNI_CONTAINERID: "",
      CNI_NETNS: "",
      CNI_IFNAME: "",
      CNI_ARGS: "",
    },
    stdin: conf(N, {
      cniVersion: "1.1.0",
      "cni.dev/valid-attachments": [{ containerID: "c1", ifname: "eth0" }],
    }),
  },
  {
    id: "add-accepts-myawesomeflag-and",
    name: "ADD accepts myAwesomeFlag and runtimeConfig.sample",
    env: base(),
    stdin: conf(N, {
      cniVersion: "1.1.0",
      myAwesomeFlag: true,
      runtimeConfig: { sample: { anything: [1, 2] } },
    }, P("1.1.0")),
  },
  {
    id: "add-escapes-and-like-go-and-prints-ffff",
    name: "ADD escapes <, > and & like Go and prints ::ffff: addresses as IPv4",
    env: base(),
    stdin: conf(N, {
      cniVersion: "1.1.0",
      prevResult: {
        cniVersion: "1.1.0",
        interfaces: [{ name: "eth0", sandbox: "/run/netns/<a&b>" }],
        ips: [{ address: "::ffff:10.3.0.5/120", gateway: "::ffff:10.3.0.1", interface: 0 }],
        routes: [{ dst: "0.0.0.0/0", table: 0 }],
      },
    }),
  },
];

Deno.test("sample plugin: CHECK, DEL, STATUS and GC as this project defines them", async (t) => {
  await runTable(t, "sample", VERBS, readExpected("sample/verbs.json"));
});

const BAD_INPUT: TableRow[] = [
  {
    id: "malformed-json-a-truncated-document-is-code-6",
    name: "malformed JSON: a truncated document is code 6",
    env: base(),
    stdin: '{"cniVersion":"1.0.0","name":',
  },
  {
    id: "malformed-json-text-after-the-document-is-code-6",
    name: "malformed JSON: text after the document is code 6",
    env: base(),
    stdin: conf(N, { cniVersion: "1.0.0" }) + "x",
  },
  {
    id: "malformed-json-an-array-is-not-a-configuration",
    name: "malformed JSON: an array is not a configuration",
    env: base(),
    stdin: "[]",
  },
  {
    id: "wrong-type-a-numeric-name-is-code-6",
    name: "wrong type: a numeric name is code 6",
    env: base(),
    stdin: conf({ cniVersion: "1.0.0", name: 5, type: "sample", anotherAwesomeArg: "x" }),
  },
  {
    id: "wrong-type-a-prevresult-that-is-an-array-fails",
    name: "wrong type: a prevResult that is an array fails the config decode",
    env: base(),
    stdin: conf(N, { cniVersion: "1.0.0", prevResult: [] }),
  },
  {
    id: "wrong-type-myawesomeflag-as-a-string-fails-the",
    name: "wrong type: myAwesomeFlag as a string fails the config decode",
    env: base(),
    stdin: conf(N, { cniVersion: "1.0.0", myAwesomeFlag: "yes" }, P("1.0.0")),
  },
  {
    id: "wrong-type-anotherawesomearg-as-a-number-fails",
    name: "wrong type: anotherAwesomeArg as a number fails the config decode",
    env: base(),
    stdin: conf({ name: "n", type: "sample", cniVersion: "1.0.0", anotherAwesomeArg: 5 }),
  },
  {
    id: "wrong-type-runtimeconfig-as-a-number-fails-the",
    name: "wrong type: runtimeConfig as a number fails the config decode",
    env: base(),
    stdin: conf(N, { cniVersion: "1.0.0", runtimeConfig: 5 }, P("1.0.0")),
  },
  {
    id: "wrong-type-runtimeconfig.sample-as-a-string",
    name: "wrong type: runtimeConfig.sample as a string fails the config decode",
    env: base(),
    stdin: conf(N, { cniVersion: "1.0.0", runtimeConfig: { sample: "x" } }, P("1.0.0")),
  },
  {
    id: "wrong-type-an-ips-entry-with-a-string-interface",
    name: "wrong type: an ips entry with a string interface is code 6",
    env: base(),
    stdin: conf(N, {
      cniVersion: "1.0.0",
      prevResult: { cniVersion: "1.0.0", ips: [{ address: "10.0.0.2/24", interface: "0" }] },
    }),
  },
  {
    id: "wrong-type-an-ips-entry-with-interface-0.5-is",
    name: "wrong type: an ips entry with interface 0.5 is code 6",
    env: base(),
    stdin: conf(N, {
      cniVersion: "0.4.0",
      prevResult: {
        cniVersion: "0.4.0",
        ips: [{ version: "4", address: "10.0.0.2/24", interface: 0.5 }],
      },
    }),
  },
  {
    id: "wrong-type-prevresult-ips-as-a-string-is-code",
    name: "wrong type: prevResult ips as a string is code 6",
    env: base(),
    stdin: conf(N, { cniVersion: "1.0.0", prevResult: { cniVersion: "1.0.0", ips: "x" } }),
  },
  {
    id: "broken-prevresult-a-gateway-that-is-not-an-ip-is",
    name: "broken prevResult: a gateway that is not an IP is code 6",
    env: base(),
    stdin: conf(N, {
      cniVersion: "1.0.0",
      prevResult: { cniVersion: "1.0.0", ips: [{ address: "10.0.0.2/24", gateway: "bogus" }] },
    }),
  },
  {
    id: "broken-prevresult-a-0.2.0-prevresult-under-a",
    name: "broken prevResult: a 0.2.0 prevResult under a 1.0.0 config is refused",
    env: base(),
    stdin: conf(N, {
      cniVersion: "1.0.0",
      prevResult: { cniVersion: "0.2.0", ip4: { ip: "10.0.0.2/24" } },
    }),
  },
  {
    id: "broken-prevresult-a-null-prevresult-counts-as",
    name: "broken prevResult: a null prevResult counts as none",
    env: base(),
    stdin: conf(N, { cniVersion: "1.0.0", prevResult: null }),
  },
  {
    id: "unsupported-version-add-refuses-0.5.0",
    name: "unsupported version: ADD refuses 0.5.0",
    env: base(),
    stdin: conf(N, { cniVersion: "0.5.0" }, P("1.0.0")),
  },
  {
    id: "unsupported-version-del-refuses-9.9.9",
    name: "unsupported version: DEL refuses 9.9.9",
    env: base({ CNI_COMMAND: "DEL" }),
    stdin: conf(N, { cniVersion: "9.9.9" }),
  },
  {
    id: "unsupported-version-status-reports-a-four-part",
    name: "unsupported version: STATUS reports a four-part version as code 6",
    env: { CNI_COMMAND: "STATUS", CNI_PATH: "/opt/cni/bin" },
    stdin: conf(N, { cniVersion: "1.2.3.4" }),
  },
  {
    id: "unknown-verb-version-is-not-version",
    name: 'unknown verb: "version" is not VERSION',
    env: { CNI_COMMAND: "version" },
    stdin: conf(N, { cniVersion: "1.0.0" }),
  },
  {
    id: "missing-env-an-empty-cni-path-counts-as-missing",
    name: "missing env: an empty CNI_PATH counts as missing",
    env: base({ CNI_PATH: "" }),
    stdin: conf(N, { cniVersion: "1.0.0" }),
  },
  {
    id: "missing-env-del-without-cni-ifname",
    name: "missing env: DEL without CNI_IFNAME",
    env: base({ CNI_COMMAND: "DEL", CNI_IFNAME: undefined }),
    stdin: conf(N, { cniVersion: "1.0.0" }),
  },
  {
    id: "invalid-env-check-validates-the-container-id",
    name: "invalid env: CHECK validates the container ID",
    env: base({ CNI_COMMAND: "CHECK", CNI_CONTAINERID: "a:b" }),
    stdin: conf(N, { cniVersion: "1.0.0" }, P("1.0.0")),
  },
  {
    id: "missing-stdin-add-with-stdin-at-end-of-file-is",
    name: "missing stdin: ADD with stdin at end of file is code 6",
    env: base(),
    stdin: null,
  },
];

Deno.test("sample plugin: every class of bad input", async (t) => {
  await runTable(t, "sample", BAD_INPUT, readExpected("sample/bad_input.json"));
});

/** Bytes of a string with raw bytes appended: environment values that are not UTF-8. */
function bytes(text: string, ...raw: number[]): Uint8Array {
  return Uint8Array.from([...new TextEncoder().encode(text), ...raw]);
}

/** A 1.0.0 configuration whose previous result has these IPs and interfaces. */
function withIps(ips: unknown[], interfaces: unknown[] = [{ name: "eth0" }]): string {
  return conf(N, {
    cniVersion: "1.0.0",
    prevResult: { cniVersion: "1.0.0", interfaces, ips },
  });
}

const HARDENING: TableRow[] = [
  {
    id: "stdout-full-result",
    name: "a result that cannot be written to a full stdout exits 1 with one line on stderr",
    env: base(),
    stdin: conf(N, { cniVersion: "1.0.0" }, P("1.0.0")),
    stdout: "full",
  },
  {
    id: "stdout-full-error",
    name: "an error object that cannot be written exits 1 with one line on stderr",
    env: base(),
    stdin: conf(N, { cniVersion: "1.0.0" }),
    stdout: "full",
  },
  {
    id: "stdout-full-version",
    name: "a VERSION answer that cannot be written exits 1",
    env: { CNI_COMMAND: "VERSION" },
    stdout: "full",
  },
  {
    id: "stdout-closed-result",
    name: "a result written to a closed pipe exits 1 with one line on stderr, no trace",
    env: base(),
    stdin: conf(N, { cniVersion: "1.0.0" }, P("1.0.0")),
    stdout: "closed",
  },
  {
    id: "stdout-closed-del",
    name: "DEL has no answer to lose: it succeeds with a closed stdout",
    env: base({ CNI_COMMAND: "DEL" }),
    stdin: conf(N, { cniVersion: "1.0.0" }),
    stdout: "closed",
  },
  {
    id: "stderr-closed-del-warning",
    name: "a DEL warning that cannot reach a closed stderr does not fail the DEL",
    env: base({ CNI_COMMAND: "DEL" }),
    stdin: conf({ name: "n", type: "sample", cniVersion: "1.0.0" }),
    stderr: "closed",
  },
  {
    id: "stderr-full-add",
    name: "ADD succeeds with a full stderr",
    env: base(),
    stdin: conf(N, { cniVersion: "1.0.0" }, P("1.0.0")),
    stderr: "full",
  },
  {
    id: "ifname-not-utf8",
    name: 'CNI_IFNAME "eth\\xff" is refused with code 4: as text it would name another interface',
    env: base({ CNI_IFNAME: undefined }),
    stdin: conf(N, { cniVersion: "1.0.0" }, P("1.0.0")),
  },
  {
    id: "ifname-fe-not-utf8",
    name: 'CNI_IFNAME "eth\\xfe" is refused with its own bytes, so it cannot pass for "eth\\xff"',
    env: base({ CNI_IFNAME: undefined }),
    stdin: conf(N, { cniVersion: "1.0.0" }, P("1.0.0")),
  },
  {
    id: "ifname-15-bytes-not-utf8",
    name: "an interface name of 15 bytes, three of them not UTF-8, is refused as not UTF-8",
    env: base({ CNI_IFNAME: undefined }),
    stdin: conf(N, { cniVersion: "1.0.0" }, P("1.0.0")),
  },
  {
    id: "ifname-not-utf8-del",
    name: "DEL refuses a CNI_IFNAME that is not UTF-8 too",
    env: base({ CNI_COMMAND: "DEL", CNI_IFNAME: undefined }),
    stdin: conf(N, { cniVersion: "1.0.0" }),
  },
  {
    id: "ifname-not-utf8-gc",
    name: "GC does not use CNI_IFNAME: one that is not UTF-8 passes unchecked",
    env: base({ CNI_COMMAND: "GC", CNI_IFNAME: undefined }),
    stdin: conf(N, { cniVersion: "1.1.0" }),
  },
  {
    id: "netns-not-utf8",
    name: "a CNI_NETNS that is not UTF-8 is refused with code 4: it would be another path",
    env: base({ CNI_NETNS: undefined }),
    stdin: conf(N, { cniVersion: "1.0.0" }, P("1.0.0")),
  },
  {
    id: "args-not-utf8",
    name: "a CNI_ARGS that is not UTF-8 is refused with code 4",
    env: base(),
    stdin: conf(N, { cniVersion: "1.0.0" }, P("1.0.0")),
  },
  {
    id: "path-not-utf8",
    name: "a CNI_PATH that is not UTF-8 is refused with code 4, for STATUS too",
    env: base({ CNI_COMMAND: "STATUS", CNI_PATH: undefined }),
    stdin: conf(N, { cniVersion: "1.1.0" }),
  },
  {
    id: "ifname-16-bytes-not-utf8",
    name: "an interface name of 16 bytes, three of them not UTF-8, is too long",
    env: base({ CNI_IFNAME: undefined }),
    stdin: conf(N, { cniVersion: "1.0.0" }, P("1.0.0")),
  },
  {
    id: "command-not-utf8",
    name: 'CNI_COMMAND "ADD\\xff" is an unknown verb, code 4',
    env: base({ CNI_COMMAND: undefined }),
    stdin: conf(N, { cniVersion: "1.0.0" }, P("1.0.0")),
  },
  {
    id: "containerid-not-utf8",
    name: 'CNI_CONTAINERID "c\\xff" has invalid characters, code 4',
    env: base({ CNI_CONTAINERID: undefined }),
    stdin: conf(N, { cniVersion: "1.0.0" }, P("1.0.0")),
  },
  {
    id: "interface-index-2-53-plus-1",
    name: "an interface index of 2^53 + 1 reads as the float64 2^53, as in Go",
    env: base(),
    stdin: withIps([{ address: "10.0.0.2/24", interface: 2 ** 53 + 1 }]).replace(
      "9007199254740992",
      "9007199254740993",
    ),
  },
  {
    id: "interface-index-2.0",
    name: "an interface index written 2.0 reads as 2, as in Go",
    env: base(),
    stdin: withIps([{ address: "10.0.0.2/24", interface: 1 }]).replace(
      '"interface":1',
      '"interface":2.0',
    ),
  },
  {
    id: "interface-index-1e21",
    name: "an interface index of 1e21 is code 6",
    env: base(),
    stdin: withIps([{ address: "10.0.0.2/24", interface: 1 }]).replace(
      '"interface":1',
      '"interface":1e21',
    ),
  },
  {
    id: "overflow-in-prevresult",
    name: "a number that overflows a float64 inside prevResult is code 6",
    env: base(),
    stdin: withIps([{ address: "10.0.0.2/24", interface: 0 }]).replace(
      '"ips":',
      '"extra":1e400,"ips":',
    ),
  },
  {
    id: "overflow-in-unknown-key",
    name: "a number that overflows a float64 at a key nobody reads is ignored, as in Go",
    env: base(),
    stdin: conf(N, { cniVersion: "1.0.0" }, P("1.0.0")).replace('{"name"', '{"extra":1e400,"name"'),
  },
  {
    id: "overflow-in-runtime-sample",
    name: "a number that overflows a float64 in runtimeConfig.sample is code 7 naming it",
    env: base(),
    stdin: conf(N, { cniVersion: "1.0.0", runtimeConfig: { sample: { a: 1 } } }, P("1.0.0"))
      .replace('"a":1', '"a":1e400'),
  },
  {
    id: "dns-repeated-in-other-case",
    name: '"Dns": 5 before "dns": {} is code 6, as Go decodes both into one field',
    env: base(),
    stdin: conf(N, { cniVersion: "1.0.0" }, P("1.0.0")).replace(
      '{"name"',
      '{"Dns":5,"dns":{},"name"',
    ),
  },
  {
    id: "flag-repeated-in-other-case",
    name: '"myAwesomeFlag": "yes" before "MyAwesomeFlag": true is code 7 naming the key',
    env: base(),
    stdin: conf(N, { cniVersion: "1.0.0" }, P("1.0.0")).replace(
      '{"name"',
      '{"myAwesomeFlag":"yes","MyAwesomeFlag":true,"name"',
    ),
  },
  {
    id: "typo-warning",
    name: "a typo beside the sample's own key costs a warning naming both",
    env: base(),
    stdin: conf(N, { cniVersion: "1.0.0", myAwesomFlag: true }, P("1.0.0")),
  },
  {
    id: "prevresult-null-cniversion",
    name: "a prevResult cniVersion repeated as null keeps the version, as in Go",
    env: base(),
    stdin: withIps([{ address: "10.0.0.2/24" }]).replace(
      '"interfaces"',
      '"cniVersion":null,"interfaces"',
    ),
  },
  {
    id: "name-then-null-other-case",
    name: '"name" followed by "Name": null keeps the name, as in Go',
    env: base(),
    stdin: conf(N, { cniVersion: "1.0.0" }, P("1.0.0")).replace(
      '{"name":"n"',
      '{"name":"n","Name":null',
    ),
  },
  {
    id: "name-then-null-same-spelling",
    name: 'the same key twice: "name": null after "name" wins (a documented difference)',
    env: base(),
    stdin: conf(N, { cniVersion: "1.0.0" }, P("1.0.0")).replace(
      '{"name":"n"',
      '{"name":"n","name":null',
    ),
  },
  {
    id: "null-ip-entry",
    name: "a null entry in prevResult ips is code 6 naming it",
    env: base(),
    stdin: withIps([null, { address: "10.0.0.2/24" }]),
  },
  {
    id: "null-interface-entry",
    name: "a null entry in prevResult interfaces is code 6 naming it",
    env: base(),
    stdin: withIps([{ address: "10.0.0.2/24", interface: 1 }], [null, { name: "eth0" }]),
  },
  {
    id: "null-route-entry",
    name: "a null entry in prevResult routes is code 6 naming it",
    env: base(),
    stdin: conf(N, {
      cniVersion: "0.4.0",
      prevResult: {
        cniVersion: "0.4.0",
        ips: [{ version: "4", address: "10.0.0.2/24" }],
        routes: [null],
      },
    }),
  },
  {
    id: "null-legacy-route-entry",
    name: "a null entry in a 0.2.0 prevResult's ip4.routes is code 6 naming it",
    env: base(),
    stdin: conf(N, {
      cniVersion: "0.2.0",
      prevResult: { cniVersion: "0.2.0", ip4: { ip: "10.0.0.2/24", routes: [null] } },
    }),
  },
];

/** The byte values of the cases above that need them. */
const HARDENING_ENV: Readonly<Record<string, Record<string, Uint8Array>>> = {
  "ifname-not-utf8": { CNI_IFNAME: bytes("eth", 0xff) },
  "ifname-fe-not-utf8": { CNI_IFNAME: bytes("eth", 0xfe) },
  "ifname-not-utf8-del": { CNI_IFNAME: bytes("eth", 0xff) },
  "ifname-not-utf8-gc": { CNI_IFNAME: bytes("eth", 0xff) },
  "netns-not-utf8": { CNI_NETNS: bytes("/var/run/netns/x", 0xff) },
  "args-not-utf8": { CNI_ARGS: bytes("K8S_POD_NAME=p", 0xc0, 0xaf) },
  "path-not-utf8": { CNI_PATH: bytes("/opt/cni/bin:/opt/", 0xff) },
  "ifname-15-bytes-not-utf8": { CNI_IFNAME: bytes("abcdefghijkl", 0xff, 0xfe, 0xff) },
  "ifname-16-bytes-not-utf8": { CNI_IFNAME: bytes("abcdefghijklm", 0xff, 0xfe, 0xff) },
  "command-not-utf8": { CNI_COMMAND: bytes("ADD", 0xff) },
  "containerid-not-utf8": { CNI_CONTAINERID: bytes("c", 0xff) },
};

Deno.test("sample plugin: lost answers, bytes, numbers, repeated keys and null entries", async (t) => {
  const rows = HARDENING.map((row) => ({
    ...row,
    env: { ...row.env, ...HARDENING_ENV[row.id] },
  }));
  await runTable(t, "sample", rows, readExpected("sample/hardening.json"));
});

Deno.test("sample plugin: a reader that stops early makes a large ADD exit 1", async () => {
  const ips = Array.from({ length: 4000 }, (_, i) => ({
    address: `10.${i >> 8}.${i & 255}.2/8`,
    interface: 0,
  }));
  const stdin = withIps(ips);
  const [program, ...args] = [Deno.execPath(), ...pluginArgs("sample")];
  const child = new Deno.Command(program!, {
    args,
    clearEnv: true,
    env: base() as Record<string, string>,
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const writer = child.stdin.getWriter();
  await writer.write(new TextEncoder().encode(stdin));
  await writer.close();
  const reader = child.stdout.getReader();
  const first = await reader.read();
  assert.ok(first.value !== undefined && first.value.length > 0, "some output arrived");
  await reader.cancel();
  const status = await child.status;
  const stderr = new TextDecoder().decode(await new Response(child.stderr).arrayBuffer());
  assert.equal(status.code, 1, "the lost answer is a failure");
  assert.equal(stderr, "cannot write the answer to stdout: Broken pipe (os error 32)\n");
});
