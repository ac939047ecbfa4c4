/**
 * Differential test of the sample plugin (main.ts) against an oracle built on the real Go
 * library: tests/oracle/main.go is the Go sample's ADD and DEL (with the walkthrough's
 * container-IP filter for 0.3.0 configurations) written on Debian's libcni 1.1.2, so its
 * parsing, conversion and printing are the library's own.
 *
 * A seeded generator makes random ADD and DEL cases: configurations of every version and some
 * invalid ones, good and bad names and sample keys, and previous results of every family with
 * valid, odd and invalid addresses. Each case runs through our dispatcher in this process (a fake
 * host) and through the oracle's batch mode; a smaller sample also runs both as real processes
 * (dist/sample/sample.js with its baked-in permissions, and the oracle binary). Exit status, error code
 * and results (as parsed data) must agree, after the documented differences below; differences
 * of error wording are printed as warnings.
 *
 * ORACLE_SEED and ORACLE_CASES change the seed and the number of cases (both printed);
 * ORACLE_VERBOSE=1 prints every kind of wording difference with an example case (else the ten
 * most frequent, without examples).
 *
 * The sample's documented differences (docs/differences-from-go.md), applied to
 * the oracle's outcome before comparing:
 * - The Go sample reports its own configuration errors as code 999 ("failed to parse network
 *   configuration: ...", "anotherAwesomeArg must be specified", "could not parse prevResult:
 *   could not parse prevResult: ..."). deno-cni reports a spec key or previous result that does
 *   not decode as code 6 and the sample's own keys as code 7 naming the key, and says "could not
 *   parse prevResult:" once. Where the oracle fails with one of these, ours must fail with code 6
 *   or 7; its message is compared as wording, with the Go prefix said once.
 * - A previous result with an IP without `address`, a route without `dst` or an ip4/ip6 without
 *   `ip`: the Go types print the missing member as `<nil>`, which no runtime reads back; deno-cni
 *   refuses it with code 6 naming the entry. Where the oracle's ADD got past the previous result
 *   with such an entry (success, "got no container IPs"), ours must be that error.
 * - DEL: the Go sample parses its whole configuration and the previous result, deno-cni's DEL
 *   reads neither the previous result nor (tolerating them with a warning) its own keys. Where
 *   the oracle's DEL fails with one of those errors, ours must succeed, or fail with code 6 for a
 *   spec key that does not decode.
 *
 * Rules that normalise what libcni 1.1.2 (spec 1.0.0) does differently from spec 1.1.0, which
 * this project follows:
 * - A 1.x result with an empty `dns` prints `"dns": {}` on 1.1.2 and no `dns` in 1.1.0: an empty
 *   `dns` is dropped from 1.x results on both sides.
 * - The versions a plugin supports include 1.1.0 only in spec 1.1.0, so the details of an
 *   "incompatible CNI versions" error list one more version on our side: it is dropped.
 * - The 1.x result family accepts 1.1.0 only in spec 1.1.0, so "result type supports [1.0.0
 *   1.1.0]" in a prevResult error reads "[1.0.0]" on 1.1.2: our message is shortened to match.
 * - Not generated at all: cniVersion 1.1.0, route extras and interface mtu/socketPath/pciID
 *   (1.1.2 does not know them), invalid CNI_* variables (1.1.2 validates them after the
 *   configuration), CHECK and STATUS (deliberate differences, see main_test.ts), JSON that Go
 *   and JSON.parse read differently (keys repeated with the same spelling), a result key
 *   repeated in another letter case inside `prevResult` (Go decodes each into the same member of
 *   the result; deno-cni's result decoding reads the last), and null members of interfaces, ips
 *   and routes (the Go types panic or print them back as `null`; deno-cni refuses them with
 *   code 6).
 *
 * A spec or sample key repeated in another letter case (`{"Dns": 5, "dns": {}}`, two `prevResult`
 * objects) is generated: Go decodes every key that matches a field, in document order, into that
 * field, so each value must decode and the objects of a map are merged.
 *
 * Wording differences that stay warnings (same code, other message):
 * - Several faults in one document: Go reports the first in document order for the config, and
 *   for prevResult (re-encoded with sorted keys at every depth) the first failure of an address,
 *   CIDR or custom-decoded member, else the first plain type error; deno-cni checks the members in
 *   a fixed order.
 * - A type error inside a member that the Go types decode with their own UnmarshalJSON (020 ip4
 *   and ip6, ips entries, routes, addresses): Go 1.19 names the outermost field
 *   ("Result.ip4 of type string"), deno-cni the innermost ("ipConfig.gateway", or "Go value of
 *   type string" for an address).
 */
import { seededRandom } from "../lib/_model_kernel/mac.ts";
import assert from "node:assert/strict";
import { samplePlugin } from "../main.ts";
import { dispatch } from "../lib/protocol.ts";
import { fakeHost } from "../lib/testing.ts";
import { runPlugin } from "./_process.ts";

const ROOT = new URL("../", import.meta.url).pathname;
const LIBCNI_SOURCE = "/usr/share/gocode/src/github.com/containernetworking/cni";
const SEED = Number(Deno.env.get("ORACLE_SEED") ?? "20241127") >>> 0;
const CASES = Number(Deno.env.get("ORACLE_CASES") ?? "5000");
const VERBOSE = Deno.env.get("ORACLE_VERBOSE") === "1";
/** How many of the cases also run as real processes on both sides. */
const PROCESS_CASES = Math.min(CASES, 60);

// ---------------------------------------------------------------------------------------------
// Prerequisites

function skipReason(): string | undefined {
  const missing: string[] = [];
  const hasGo = (Deno.env.get("PATH") ?? "").split(":").some((dir) => {
    try {
      return Deno.statSync(`${dir}/go`).isFile;
    } catch {
      return false;
    }
  });
  if (!hasGo) missing.push("go (apt-get install golang-go)");
  try {
    Deno.statSync(`${LIBCNI_SOURCE}/pkg/skel/skel.go`);
  } catch {
    missing.push(`${LIBCNI_SOURCE} (apt-get install golang-github-appc-cni-dev)`);
  }
  return missing.length === 0 ? undefined : `oracle test ignored, missing: ${missing.join(", ")}`;
}

async function buildOracle(): Promise<string> {
  const output = await new Deno.Command("bash", {
    args: [`${ROOT}scripts/build_cnitool.sh`, "oracle"],
    stdout: "piped",
    stderr: "piped",
  }).output();
  const decoder = new TextDecoder();
  if (!output.success) {
    throw new Error(`cannot build the oracle:\n${decoder.decode(output.stderr)}`);
  }
  return decoder.decode(output.stdout).trim();
}

// ---------------------------------------------------------------------------------------------
// The generator

/** A marker for "leave the key out". */
const ABSENT = Symbol("absent");
type Maybe<T> = T | typeof ABSENT;

class Random {
  constructor(readonly next: () => number) {}
  int(low: number, high: number): number {
    return low + Math.floor(this.next() * (high - low + 1));
  }
  chance(p: number): boolean {
    return this.next() < p;
  }
  pick<T>(items: readonly T[]): T {
    return items[Math.floor(this.next() * items.length)]!;
  }
  /** Picks by weight: `[[weight, value], ...]`. */
  weighted<T>(items: readonly (readonly [number, T])[]): T {
    const total = items.reduce((sum, [w]) => sum + w, 0);
    let r = this.next() * total;
    for (const [w, value] of items) {
      r -= w;
      if (r < 0) return value;
    }
    return items[items.length - 1]![1];
  }
}

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type Obj = { [key: string]: Json };

/** Sets a key unless the value is ABSENT; sometimes spells the key in another case. */
function put(r: Random, object: Obj, key: string, value: Maybe<Json>, variants: string[] = []) {
  if (value === ABSENT) return;
  const spelling = variants.length > 0 && r.chance(0.04) ? r.pick(variants) : key;
  object[spelling] = value;
}

const VERSIONS = ["0.1.0", "0.2.0", "0.3.0", "0.3.1", "0.4.0", "1.0.0"] as const;
const FAMILY_OF: Record<string, "020" | "040" | "100"> = {
  "": "020",
  "0.1.0": "020",
  "0.2.0": "020",
  "0.3.0": "040",
  "0.3.1": "040",
  "0.4.0": "040",
  "1.0.0": "100",
};
const FAMILY_VERSIONS = {
  "020": ["0.1.0", "0.2.0"],
  "040": ["0.3.0", "0.3.1", "0.4.0"],
  "100": ["1.0.0"],
} as const;
const IFNAMES = ["eth0", "net1", "eth1"];

function octet(r: Random): number {
  return r.int(0, 255);
}

function ipv4(r: Random): string {
  return `${r.pick([10, 172, 192])}.${octet(r)}.${octet(r)}.${octet(r)}`;
}

function ipv6(r: Random): string {
  return r.pick([
    () => `2001:db8::${r.int(1, 0xffff).toString(16)}`,
    () => `2001:DB8:0:0::${r.int(1, 0xffff).toString(16).toUpperCase()}`,
    () => `fd00:0:0:0:0:0:0:${r.int(0, 9)}`,
    () => `FE80::${r.int(1, 0xff).toString(16)}:${r.int(0, 0xff).toString(16)}`,
    () => `2001:db8:0:0:1:0:0:${r.int(1, 9)}`,
    () => `2001:0db8:0000:0000:0000:0000:0000:00${r.int(10, 99)}`,
    () => `::${r.int(1, 9)}`,
    () => "::",
  ])();
}

function mapped(r: Random): string {
  return r.pick([
    () => `::ffff:${ipv4(r)}`,
    () => `::FFFF:${ipv4(r)}`,
    () => `::ffff:${r.int(0, 0xffff).toString(16)}:${r.int(0, 0xffff).toString(16)}`,
    () => `0:0:0:0:0:ffff:${ipv4(r)}`,
  ])();
}

/** A CIDR address string, mostly valid, sometimes not. */
function cidr(r: Random): Json {
  return r.weighted<() => Json>([
    [5, () => `${ipv4(r)}/${r.pick([8, 16, 24, 32, r.int(0, 32)])}`],
    [3, () => `${ipv6(r)}/${r.pick([64, 128, 48, r.int(0, 128)])}`],
    [2, () => `${mapped(r)}/${r.pick([120, 128, 112, 96, 64, r.int(0, 128)])}`],
    [
      0.4,
      () =>
        r.pick<Json>([
          ipv4(r),
          ipv6(r),
          "bogus",
          "",
          `10.0.0.${r.int(256, 999)}/24`,
          `${ipv4(r)}/33`,
          "2001:db8::1/129",
          "10.00.0.1/24",
          "fe80::1%eth0/64",
          " 10.0.0.1/24",
          5,
          true,
          null,
        ]),
    ],
  ])();
}

/** A gateway or route gateway: a bare IP, mostly valid. */
function ipAddress(r: Random): Json {
  return r.weighted<() => Json>([
    [5, () => ipv4(r)],
    [3, () => ipv6(r)],
    [2, () => mapped(r)],
    [0.4, () => r.pick<Json>(["bogus", "", "10.0.0.1/24", "10.0.0.256", "010.0.0.1", 7, null])],
  ])();
}

function someString(r: Random): string {
  return r.weighted([
    [8, r.pick(["eth0", "net1", "eth1", "lo", "veth1234", ""])],
    [1, r.pick(["a<b&c>", "é", "ETH0", "tab\there", "line\u2028sep", "x\ud800y"])],
  ]);
}

function dns(r: Random): Json {
  if (r.chance(0.05)) {
    return r.pick<Json>([null, "8.8.8.8", { nameservers: "8.8.8.8" }, { domain: 5 }]);
  }
  const d: Obj = {};
  if (r.chance(0.5)) {
    d.nameservers = Array.from({ length: r.int(0, 3) }, () => r.chance(0.05) ? null : ipv4(r));
  }
  if (r.chance(0.4)) d.domain = r.pick(["example.com", "", "cluster.local"]);
  if (r.chance(0.3)) d.search = Array.from({ length: r.int(0, 2) }, () => r.pick(["a", "b.c"]));
  if (r.chance(0.3)) d.options = Array.from({ length: r.int(0, 2) }, () => r.pick(["ndots:5"]));
  if (r.chance(0.05)) d.extra = "unknown";
  return d;
}

function route(r: Random): Obj {
  const route: Obj = {};
  put(r, route, "dst", r.chance(0.92) ? cidr(r) : ABSENT, ["Dst", "DST"]);
  put(r, route, "gw", r.chance(0.5) ? ipAddress(r) : ABSENT, ["GW", "Gw"]);
  if (r.chance(0.04)) route.note = "unknown";
  return route;
}

function list<T extends Json>(r: Random, make: () => T, most = 3): Maybe<Json> {
  if (r.chance(0.15)) return ABSENT;
  if (r.chance(0.08)) return null;
  return Array.from({ length: r.int(0, most) }, make);
}

function interfaceIndex(r: Random, interfaces: number): Maybe<Json> {
  return r.weighted<Maybe<Json>>([
    [6, interfaces > 0 ? r.int(0, interfaces - 1) : 0],
    [2, ABSENT],
    [1, interfaces + r.int(0, 3)],
    [1, -r.int(1, 3)],
    [0.3, r.pick<Json>([1.5, "0", null, 2 ** 31, -(2 ** 40)])],
  ]);
}

function result020(r: Random): Obj {
  const result: Obj = {};
  const ipConfig = (): Obj => {
    const config: Obj = {};
    put(r, config, "ip", r.chance(0.93) ? cidr(r) : ABSENT, ["IP", "Ip"]);
    put(r, config, "gateway", r.chance(0.6) ? ipAddress(r) : ABSENT, ["Gateway"]);
    put(r, config, "routes", r.chance(0.5) ? list(r, () => route(r)) : ABSENT, ["Routes"]);
    if (r.chance(0.04)) config.extra = 1;
    return config;
  };
  put(r, result, "ip4", r.chance(0.7) ? r.chance(0.05) ? null : ipConfig() : ABSENT, ["IP4"]);
  put(r, result, "ip6", r.chance(0.35) ? r.chance(0.05) ? null : ipConfig() : ABSENT, ["IP6"]);
  put(r, result, "dns", r.chance(0.4) ? dns(r) : ABSENT, ["DNS"]);
  return result;
}

function result040or100(r: Random, family: "040" | "100"): Obj {
  const result: Obj = {};
  const interfaceCount = r.weighted([[1, 0], [4, 1], [3, 2], [1, 3]]);
  const interfaces: Obj[] = Array.from({ length: interfaceCount }, () => {
    const iface: Obj = {};
    put(
      r,
      iface,
      "name",
      r.chance(0.95) ? r.chance(0.4) ? r.pick(IFNAMES) : someString(r) : r.pick([ABSENT, null]),
      ["Name"],
    );
    if (r.chance(0.4)) iface.mac = r.pick(["aa:bb:cc:dd:ee:ff", "02:42:AC:11:00:02", "", null]);
    if (r.chance(0.5)) {
      iface.sandbox = r.pick(["/var/run/netns/x", "", someString(r)]);
    }
    if (r.chance(0.04)) iface.mtu_note = 1500;
    return iface;
  });
  if (r.chance(0.9)) put(r, result, "interfaces", interfaces, ["Interfaces"]);
  const ips = list(r, () => {
    const ip: Obj = {};
    const withVersion = family === "040" ? r.chance(0.8) : r.chance(0.05);
    put(
      r,
      ip,
      "version",
      withVersion
        ? r.weighted<Json>([[8, r.pick(["4", "6"])], [1, r.pick<Json>(["", "5", "x", null, 4])]])
        : ABSENT,
    );
    put(r, ip, "interface", interfaceIndex(r, interfaceCount), ["Interface"]);
    put(r, ip, "address", r.chance(0.95) ? cidr(r) : ABSENT, ["Address", "ADDRESS"]);
    put(r, ip, "gateway", r.chance(0.5) ? ipAddress(r) : ABSENT, ["Gateway"]);
    if (r.chance(0.04)) ip.extra = { nested: true };
    return ip;
  });
  if (r.chance(0.9)) put(r, result, "ips", ips, ["IPs", "Ips"]);
  put(r, result, "routes", r.chance(0.4) ? list(r, () => route(r)) : ABSENT, ["Routes"]);
  put(r, result, "dns", r.chance(0.4) ? dns(r) : ABSENT, ["DNS", "Dns"]);
  if (r.chance(0.05)) result.unknownKey = "dropped";
  return result;
}

/** The previous result: its declared version relative to the config's, then a body. */
function prevResult(r: Random, configVersion: Maybe<Json>): Maybe<Json> {
  const kind = r.weighted<string>([[3, "absent"], [1, "null"], [1, "bad"], [20, "object"]]);
  if (kind === "absent") return ABSENT;
  if (kind === "null") return null;
  if (kind === "bad") return r.pick<Json>(["abc", 5, [], true, [{ ips: [] }]]);

  const configFamily = typeof configVersion === "string"
    ? FAMILY_OF[configVersion] ?? r.pick(["020", "040", "100"] as const)
    : "020";
  const declared = r.weighted<Maybe<string>>([
    [8, typeof configVersion === "string" ? configVersion : ABSENT],
    [4, r.pick(FAMILY_VERSIONS[configFamily])],
    [3, r.pick(VERSIONS)],
    [1, ""],
    [3, ABSENT],
  ]);
  const bodyFamily = r.chance(0.9)
    ? (declared === ABSENT || declared === "" ? configFamily : FAMILY_OF[declared] ?? configFamily)
    : r.pick(["020", "040", "100"] as const);
  const body = bodyFamily === "020" ? result020(r) : result040or100(r, bodyFamily);
  const result: Obj = {};
  put(r, result, "cniVersion", declared, ["CNIVersion", "CniVersion"]);
  return { ...result, ...body };
}

/** One case: the CNI_* variables and stdin. */
interface Case {
  readonly env: Record<string, string>;
  readonly stdin: string;
}

/**
 * The keys Go decodes into one struct field each, by their folded name: the spec's and the
 * sample's. A second key in another letter case goes into the same field.
 */
const FIELD_KEYS = [
  "cniVersion",
  "name",
  "type",
  "dns",
  "ipam",
  "capabilities",
  "prevResult",
  "runtimeConfig",
  "anotherAwesomeArg",
  "myAwesomeFlag",
] as const;

/** Another letter case of `key`: upper-cased first letter, all lower, all upper, or mixed. */
function otherSpelling(r: Random, key: string, taken: readonly string[]): string | undefined {
  const spellings = [
    key.charAt(0).toUpperCase() + key.slice(1),
    key.toLowerCase(),
    key.toUpperCase(),
    [...key].map((c, i) => (i % 2 ? c.toUpperCase() : c.toLowerCase())).join(""),
  ].filter((k) => !taken.includes(k));
  return spellings.length === 0 ? undefined : r.pick(spellings);
}

/**
 * `second` with each key spelled as the key of `first` it matches case-insensitively: Go merges
 * the two maps, and a result key then repeated in another case is left out (see the module
 * comment).
 */
function sameSpellings(first: Json, second: Json): Json {
  if (!isObject(first) || !isObject(second)) return second;
  const spelling = new Map(Object.keys(first).map((k) => [k.toLowerCase(), k]));
  return Object.fromEntries(
    Object.entries(second).map(([k, v]) => [spelling.get(k.toLowerCase()) ?? k, v]),
  ) as Json;
}

/** A second value for a field: valid, of the wrong type, null, or the same. */
function secondValue(r: Random, field: string, first: Json, cniVersion: Maybe<Json>): Json {
  return r.weighted<() => Json>([
    [2, () => r.pick<Json>([5, "x", [], true, { a: 1 }])],
    [1, () => null],
    [1, () => first],
    [
      4,
      () => {
        switch (field) {
          case "dns":
            return dns(r);
          case "ipam":
            return r.pick<Json>([{ type: "host-local" }, {}, { Type: "x", subnet: "10.0.0.0/8" }]);
          case "capabilities":
            return r.pick<Json>([{ portMappings: false }, { bandwidth: true }, {}]);
          case "prevResult": {
            const again = prevResult(r, cniVersion);
            return again === ABSENT ? null : sameSpellings(first, again);
          }
          case "runtimeConfig":
            return r.pick<Json>([{ sample: { b: 2 } }, { other: 1 }, { sample: null }, {}]);
          case "myAwesomeFlag":
            return r.pick([true, false]);
          case "cniVersion":
            return r.pick(VERSIONS);
          default:
            return r.pick(["n", "sample", "awesome", ""]);
        }
      },
    ],
  ])();
}

/**
 * Sometimes repeats one of the config's field keys in another letter case, before or after the
 * original, with a second value: Go decodes both, in document order, into the same field.
 */
function repeatField(r: Random, config: Obj): Obj {
  if (!r.chance(0.1)) return config;
  const keys = Object.keys(config);
  const present = keys.filter((k) => FIELD_KEYS.some((f) => f.toLowerCase() === k.toLowerCase()));
  if (present.length === 0) return config;
  const key = r.pick(present);
  const field = FIELD_KEYS.find((f) => f.toLowerCase() === key.toLowerCase())!;
  const spelling = otherSpelling(r, field, keys);
  if (spelling === undefined) return config;
  const value = secondValue(r, field, config[key]!, member(config, "cniVersion") as Json);
  const before = r.chance(0.5);
  const repeated: Obj = {};
  for (const k of keys) {
    if (k === key && before) repeated[spelling] = value;
    repeated[k] = config[k]!;
    if (k === key && !before) repeated[spelling] = value;
  }
  return repeated;
}

function makeCase(r: Random, repeats: Random): Case {
  const command = r.chance(0.8) ? "ADD" : "DEL";
  const env: Record<string, string> = {
    CNI_COMMAND: command,
    CNI_CONTAINERID: r.pick(["c1", "dummy", "a_b.c-d", "0123456789abcdef"]),
    CNI_IFNAME: r.pick(IFNAMES),
    CNI_PATH: "/opt/cni/bin",
  };
  if (command === "ADD" || r.chance(0.7)) env.CNI_NETNS = "/var/run/netns/x";
  if (r.chance(0.1)) env.CNI_ARGS = r.pick(["IgnoreUnknown=1;A=b", "a=b=c;;", "K8S_POD_NAME=p"]);

  const config: Obj = {};
  const cniVersion = r.weighted<Maybe<Json>>([
    [30, r.pick(VERSIONS)],
    [3, ABSENT],
    [2, ""],
    [1, r.pick<Json>(["1.0", "9.9.9", 1, "0.3", null])],
  ]);
  put(r, config, "cniVersion", cniVersion, ["CNIVersion", "CniVersion"]);
  put(
    r,
    config,
    "name",
    r.weighted<Maybe<Json>>([
      [30, r.pick(["n", "cni-plugin-sample-test", "net_1.a-b"])],
      [1, r.pick<Json>(["a/b", "-x", "", "é", " n", 5, null])],
      [0.5, ABSENT],
    ]),
    ["Name", "NAME"],
  );
  put(r, config, "type", r.weighted<Maybe<Json>>([[40, "sample"], [2, ABSENT], [1, 5]]));
  put(
    r,
    config,
    "anotherAwesomeArg",
    r.weighted<Maybe<Json>>([
      [40, r.pick(["awesome", "x", "a<b"])],
      [1, ABSENT],
      [1, ""],
      [1, r.pick<Json>([5, true, { a: 1 }, null])],
    ]),
    ["AnotherAwesomeArg", "anotherawesomearg"],
  );
  put(
    r,
    config,
    "myAwesomeFlag",
    r.weighted<Maybe<Json>>([[8, ABSENT], [8, r.pick([true, false])], [
      1,
      r.pick<Json>(["yes", 1, null]),
    ]]),
    ["MyAwesomeFlag"],
  );
  put(
    r,
    config,
    "runtimeConfig",
    r.weighted<Maybe<Json>>([
      [20, ABSENT],
      [6, r.pick<Json>([{}, { sample: { a: 1 } }, { sample: null }, { other: 1 }, null])],
      [1, r.pick<Json>([{ sample: "str" }, { sample: [1] }, "str", 5])],
    ]),
    ["RuntimeConfig"],
  );
  put(r, config, "prevResult", prevResult(r, cniVersion), ["PrevResult"]);
  if (r.chance(0.05)) {
    config.ipam = r.pick<Json>([{ type: "host-local" }, {}, null, "x", { type: 5 }]);
  }
  if (r.chance(0.05)) {
    config.capabilities = r.pick<Json>([{ portMappings: true }, {}, { a: "yes" }, [], null]);
  }
  if (r.chance(0.05)) {
    config.dns = r.pick<Json>([{ nameservers: ["8.8.8.8"] }, {}, null, "x", { search: "a" }]);
  }
  if (r.chance(0.04)) config.args = r.pick<Json>([{ cni: { ips: ["10.0.0.9"] } }, "x", null]);
  if (r.chance(0.04)) config.ipMasq = r.pick<Json>([true, "yes", null]);
  if (r.chance(0.08)) config.somethingElse = r.pick<Json>([{ deep: [1, 2] }, "x", 0]);
  const stdin = JSON.stringify(repeatField(repeats, config));
  if (r.chance(0.02)) {
    // Text that is not one JSON value, or not an object: skel's own decode errors.
    return {
      env,
      stdin: r.pick([
        "",
        " ",
        "null",
        "[1]",
        '"n"',
        stdin.slice(0, r.int(1, stdin.length - 1)),
        `${stdin}}`,
        `${stdin} x`,
        stdin.replace(":", ":,"),
        stdin.replace('"', "'"),
        `\ufeff${stdin}`,
      ]),
    };
  }
  return { env, stdin };
}

// ---------------------------------------------------------------------------------------------
// Running both sides

/** What one side did: exit status and stdout. */
interface Outcome {
  readonly status: number;
  readonly stdout: string;
}

async function runOurs(c: Case): Promise<Outcome> {
  const host = fakeHost({ env: c.env, stdin: c.stdin });
  const status = await dispatch(samplePlugin, host);
  return { status, stdout: host.stdout };
}

async function runOracleBatch(oracle: string, cases: readonly Case[]): Promise<Outcome[]> {
  const child = new Deno.Command(oracle, {
    args: ["-batch"],
    clearEnv: true,
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const input = cases.map((c) => JSON.stringify(c)).join("\n") + "\n";
  const writer = child.stdin.getWriter();
  const writing = writer.write(new TextEncoder().encode(input)).then(() => writer.close());
  const [output] = await Promise.all([child.output(), writing]);
  const decoder = new TextDecoder();
  if (!output.success) {
    throw new Error(`oracle -batch failed (${output.code}): ${decoder.decode(output.stderr)}`);
  }
  const lines = decoder.decode(output.stdout).trimEnd().split("\n");
  assert.equal(lines.length, cases.length, "one oracle outcome per case");
  return lines.map((line) => JSON.parse(line) as Outcome);
}

async function runOracleProcess(oracle: string, c: Case): Promise<Outcome> {
  const child = new Deno.Command(oracle, {
    clearEnv: true,
    env: c.env,
    stdin: "piped",
    stdout: "piped",
    stderr: "null",
  }).spawn();
  const writer = child.stdin.getWriter();
  await writer.write(new TextEncoder().encode(c.stdin));
  await writer.close();
  const output = await child.output();
  return { status: output.code, stdout: new TextDecoder().decode(output.stdout) };
}

// ---------------------------------------------------------------------------------------------
// Comparing

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** stdout as data, with the 1.1.2-versus-HEAD rules of the module comment applied. */
function normalise(stdout: string, ours: boolean): unknown {
  if (stdout === "") return null;
  const data: unknown = JSON.parse(stdout);
  if (!isObject(data)) return data;
  if (
    typeof data.cniVersion === "string" && data.cniVersion.startsWith("1.") &&
    isObject(data.dns) && Object.keys(data.dns).length === 0
  ) {
    delete data.dns;
  }
  if (ours && data.code === 1 && typeof data.details === "string") {
    data.details = data.details.replace(' "1.1.0"]', "]");
  }
  if (ours && typeof data.msg === "string") {
    data.msg = data.msg.replace(
      "result type supports [1.0.0 1.1.0]",
      "result type supports [1.0.0]",
    );
  }
  return data;
}

/** How two outcomes differ: `hard` fails the test, `soft` (wording) is a warning. */
interface Difference {
  readonly hard: string[];
  readonly soft: string[];
}

/** The member of a key, matched as Go matches struct fields (case-insensitively). */
function member(object: Record<string, unknown>, key: string): unknown {
  let found: unknown;
  for (const [k, value] of Object.entries(object)) {
    if (k.toLowerCase() === key.toLowerCase() && value !== null) found = value;
  }
  return found;
}

/**
 * The objects of a map-typed key merged as Go decodes them into one map: each key matching it
 * case-insensitively, in document order, its members on top of the ones before; null resets.
 */
function mergedMember(object: Record<string, unknown>, key: string): unknown {
  let merged: unknown;
  for (const [k, value] of Object.entries(object)) {
    if (k.toLowerCase() !== key.toLowerCase()) continue;
    merged = isObject(value) && isObject(merged) ? { ...merged, ...value } : value ?? undefined;
  }
  return merged;
}

/**
 * True when the case's previous result has an IP, route or ip4/ip6 without its CIDR, among the
 * members the configuration's version family reads (0.1.0/0.2.0: ip4 and ip6; later: ips and
 * routes).
 */
function hasEntryWithoutCidr(stdin: string): boolean {
  let config: unknown;
  try {
    config = JSON.parse(stdin);
  } catch {
    return false;
  }
  if (!isObject(config)) return false;
  const previous = mergedMember(config, "prevResult");
  if (!isObject(previous)) return false;
  const lacks = (list: unknown, key: string) =>
    Array.isArray(list) && list.some((item) => isObject(item) && member(item, key) === undefined);
  const version = String(member(config, "cniVersion") ?? "");
  if (["", "0.1.0", "0.2.0"].includes(version)) {
    return ["ip4", "ip6"].map((key) => member(previous, key)).filter(isObject).some((entry) =>
      member(entry, "ip") === undefined || lacks(member(entry, "routes"), "dst")
    );
  }
  return lacks(member(previous, "ips"), "address") || lacks(member(previous, "routes"), "dst");
}

/** The Go sample's own parse errors, which deno-cni reports with the spec's codes. */
const PREV_RESULT_PREFIX = "could not parse prevResult: could not parse prevResult: ";
const PARSE_ERRORS = [
  "failed to parse network configuration: ",
  "anotherAwesomeArg must be specified",
  PREV_RESULT_PREFIX,
];

function isParseError(error: Record<string, unknown>): boolean {
  const msg = String(error.msg);
  return error.code === 999 && PARSE_ERRORS.some((prefix) => msg.startsWith(prefix));
}

function compare(ours: Outcome, theirs: Outcome, verb: string, stdin: string): Difference {
  const hard: string[] = [];
  const soft: string[] = [];
  const b0 = normalise(theirs.stdout, false);
  const pastPrevResult = theirs.status === 0 ||
    (isObject(b0) &&
      ["got no container IPs", "must be called as chained plugin"].includes(String(b0.msg)));
  if (verb === "ADD" && pastPrevResult && hasEntryWithoutCidr(stdin)) {
    const refused = ours.status === 1 &&
      /"code": 6,[^}]* has no (address|dst|ip)"/s.test(ours.stdout);
    if (!refused) hard.push("an entry without its address, which ours must refuse with code 6");
    return { hard, soft };
  }
  const a = normalise(ours.stdout, true);
  const b = normalise(theirs.stdout, false);
  const aError = isObject(a) && "code" in a;
  const bError = isObject(b) && "code" in b;
  if (bError && isParseError(b)) {
    // The documented differences of the module comment.
    const allowed = verb === "DEL" ? [6] : [6, 7];
    if (verb === "DEL" && ours.status === 0 && ours.stdout === "") return { hard, soft };
    if (!aError || !allowed.includes(Number(a.code))) {
      hard.push(`${JSON.stringify(a)} where the Go sample's parse error maps to code ${allowed}`);
    } else if (
      a.msg !== String(b.msg).replace(PREV_RESULT_PREFIX, "could not parse prevResult: ")
    ) {
      soft.push("msg");
    }
    return { hard, soft };
  }
  if (ours.status !== theirs.status) hard.push(`status ${ours.status} vs ${theirs.status}`);
  if (aError && bError) {
    if (a.code !== b.code) hard.push(`code ${a.code} vs ${b.code}`);
    if (a.msg !== b.msg) soft.push("msg");
    if (a.details !== b.details) soft.push("details");
  } else {
    try {
      assert.deepEqual(a, b);
    } catch {
      hard.push(aError || bError ? "error versus result" : "result");
    }
    // 0.x results print in struct order in both, so their text must match byte for byte; 1.x
    // results do not (spec 1.1.0 libraries sort their keys), and are compared as data only.
    if (hard.length === 0 && isObject(b) && String(b.cniVersion).startsWith("0.")) {
      if (ours.stdout !== theirs.stdout) hard.push("0.x result text");
    }
  }
  return { hard, soft };
}

/** Group of a case for reporting: verb and the config's cniVersion as sent. */
function groupOf(c: Case): string {
  let version = "missing";
  try {
    const config = JSON.parse(c.stdin);
    for (const key of Object.keys(config)) {
      if (key.toLowerCase() === "cniversion") version = JSON.stringify(config[key]);
    }
  } catch {
    // Every generated stdin is JSON.
  }
  const known = ['"0.1.0"', '"0.2.0"', '"0.3.0"', '"0.3.1"', '"0.4.0"', '"1.0.0"', '""', "missing"];
  return `${c.env.CNI_COMMAND} with cniVersion ${known.includes(version) ? version : "invalid"}`;
}

function describe(c: Case, ours: Outcome, theirs: Outcome, why: string[]): string {
  return [
    `  ${why.join(", ")}`,
    `  case:   ${JSON.stringify(c)}`,
    `  ours:   ${JSON.stringify(ours)}`,
    `  oracle: ${JSON.stringify(theirs)}`,
  ].join("\n");
}

/** The Go message with its variable parts blurred, to count wording differences by kind. */
function messageClass(ours: Outcome, theirs: Outcome): string {
  const msg = (o: Outcome) => {
    const data = normalise(o.stdout, false);
    return isObject(data) ? String(data.msg) : "";
  };
  const blur = (s: string) =>
    s.replace(/^could not parse prevResult: |^failed to parse network configuration: /, "")
      .replace(/^json: cannot unmarshal /, "")
      .replace(/"[^"]*"/g, '"…"').replace(/\d+(\.\d+)*/g, "N").slice(0, 70);
  return `${blur(msg(theirs))}  ⟂  ${blur(msg(ours))}`;
}

// ---------------------------------------------------------------------------------------------
// The test

const skip = skipReason();
if (skip !== undefined) console.log(skip);

Deno.test({
  name: "the sample plugin agrees with the Go sample on libcni 1.1.2",
  ignore: skip !== undefined,
  async fn(t) {
    console.log(
      `oracle test: seed ${SEED}, ${CASES} cases, ${PROCESS_CASES} as processes` +
        " (change with ORACLE_SEED, ORACLE_CASES)",
    );
    const oracle = await buildOracle();
    const r = new Random(seededRandom(SEED));
    // A stream of its own, so that the other draws, and the cases without a repeated key, stay
    // those of the seed.
    const repeats = new Random(seededRandom(SEED ^ 0x5eed));
    const cases = Array.from({ length: CASES }, () => makeCase(r, repeats));
    const theirs = await runOracleBatch(oracle, cases);
    const ours: Outcome[] = [];
    for (const c of cases) ours.push(await runOurs(c));

    const groups = new Map<string, number[]>();
    cases.forEach((c, i) => {
      const group = groupOf(c);
      const members = groups.get(group);
      if (members === undefined) groups.set(group, [i]);
      else members.push(i);
    });
    const wording = new Map<string, { count: number; example: string }>();
    let agreed = 0;
    let successes = 0;
    for (const [group, indexes] of [...groups].sort(([a], [b]) => a.localeCompare(b))) {
      await t.step(`${group} agrees with libcni 1.1.2 (${indexes.length} cases)`, () => {
        const failures: string[] = [];
        for (const i of indexes) {
          const difference = compare(
            ours[i]!,
            theirs[i]!,
            cases[i]!.env.CNI_COMMAND ?? "",
            cases[i]!.stdin,
          );
          if (difference.hard.length > 0) {
            failures.push(describe(cases[i]!, ours[i]!, theirs[i]!, difference.hard));
            continue;
          }
          agreed++;
          if (theirs[i]!.status === 0) successes++;
          if (difference.soft.length > 0) {
            const key = messageClass(ours[i]!, theirs[i]!);
            const seen = wording.get(key);
            if (seen === undefined) {
              wording.set(key, {
                count: 1,
                example: describe(cases[i]!, ours[i]!, theirs[i]!, difference.soft),
              });
            } else seen.count++;
          }
        }
        assert.equal(
          failures.length,
          0,
          `${failures.length} of ${indexes.length} cases differ; the first ones:\n` +
            failures.slice(0, 3).join("\n"),
        );
      });
    }

    await t.step(
      `the bundle and the oracle agree as processes (${PROCESS_CASES} cases)`,
      async () => {
        const sample = cases.slice(0, PROCESS_CASES);
        const runs = await Promise.all(sample.map(async (c) => {
          const [ourRun, theirRun] = await Promise.all([
            runPlugin("sample", c),
            runOracleProcess(oracle, c),
          ]);
          return { ours: { status: ourRun.code, stdout: ourRun.stdout }, theirs: theirRun };
        }));
        const failures: string[] = [];
        runs.forEach((run, i) => {
          // Each side's process must do what the same side did in-process or in batch mode...
          assert.deepEqual(run.ours, ours[i], `our process versus in-process, case ${i}`);
          assert.deepEqual(run.theirs, theirs[i], `oracle process versus batch mode, case ${i}`);
          // ...and the two sides must agree.
          const difference = compare(
            run.ours,
            run.theirs,
            sample[i]!.env.CNI_COMMAND ?? "",
            sample[i]!.stdin,
          );
          if (difference.hard.length > 0) {
            failures.push(describe(sample[i]!, run.ours, run.theirs, difference.hard));
          }
        });
        assert.equal(failures.length, 0, failures.slice(0, 3).join("\n"));
      },
    );

    const warnings = [...wording.values()].reduce((sum, w) => sum + w.count, 0);
    console.log(
      `oracle test: ${agreed} of ${CASES} cases agree (${successes} successes, ` +
        `${agreed - successes} errors with the same code); ${warnings} differ in wording only` +
        (warnings > 0 ? ", by kind (libcni ⟂ ours):" : ""),
    );
    const kinds = [...wording].sort((a, b) => b[1].count - a[1].count);
    for (const [key, { count, example }] of VERBOSE ? kinds : kinds.slice(0, 10)) {
      console.log(`warning: ${count} × ${key}${VERBOSE ? `\n${example}` : ""}`);
    }
    if (!VERBOSE && kinds.length > 10) {
      console.log(`warning: ... and ${kinds.length - 10} more kinds (ORACLE_VERBOSE=1 lists them)`);
    }
  },
});
