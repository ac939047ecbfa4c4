/**
 * deno-tuning against Debian's Go `tuning` (containernetworking-plugins 1.1.1), both as real
 * processes, as root: deno-tuning from its bundle with its plugins.json permissions, each with a
 * clean environment, each on a namespace of its own with the same links (veth pairs with an end
 * in each, of the same name and MAC) and a backup directory of its own.
 *
 * A seeded generator makes sequences of ADD, CHECK and DEL with every key the Go plugin reads
 * (`sysctl`, `mac`, `mtu`, `promisc`, `allmulti`, `runtimeConfig.mac`, `args.cni`), CNI_ARGS
 * `MAC=`, bad values (one a configuration), sysctls that are invalid, missing or refused, a
 * missing previous result, a link that does not exist, repeated ADDs, DEL without ADD, and a
 * link or the namespaces deleted half-way, at every spec version the Go plugin speaks. After
 * each step the exit status, the error code and message or the result, the links' settings, the
 * sysctls of a fixed list and the backup files (names, text, modes) must be the same, but for
 * the differences the docs document, each checked where it shows (`compare` below names them).
 * After an ADD fails, deno-tuning must have changed nothing; the Go plugin's leftovers are then
 * copied to deno-tuning's side, so the sequence goes on from one state (and deno-tuning's DEL
 * reads the Go plugin's backup files).
 *
 * The second test runs, one by one, the cases where Debian's 1.1.1 behaves as the older plugin
 * it is (docs/differences-from-go.md).
 *
 * TUNING_SEED (printed), TUNING_SEQUENCES and TUNING_SEQUENCE=<n> (replay one) steer the first.
 */
import assert from "node:assert/strict";
import { caseSeed, type Random, random } from "../_fuzz.ts";
import { pluginArgs } from "../_process.ts";
import { atVersion, type JsonObject } from "../../lib/testing.ts";
import { Cleanup, isDirectory, isFile, isRoot, makeTempDir, onPath, run, runOk } from "./_netns.ts";
import {
  type Answer,
  copyState,
  createPair,
  deletePairLink,
  deleteSideNetns,
  GO_TUNING,
  PAIR_LINKS,
  type PluginInput,
  runDenoTuning,
  runGo,
  type Side,
  type SideState,
  stateOf,
} from "./_tuning.ts";

const SEED = Number(Deno.env.get("TUNING_SEED") ?? "20261207") >>> 0;
const SEQUENCES = Number(Deno.env.get("TUNING_SEQUENCES") ?? "16");
const ONLY = Deno.env.get("TUNING_SEQUENCE");
const STEPS = 12;

function skipReason(): string | undefined {
  const missing = [
    ...(isRoot() ? [] : ["root"]),
    ...(onPath("ip") ? [] : ["ip (apt-get install iproute2)"]),
    ...(isFile(GO_TUNING) ? [] : [`${GO_TUNING} (apt-get install containernetworking-plugins)`]),
  ];
  if (missing.length > 0) return `missing: ${missing.join(", ")}`;
  // The machine's allowlist would be read by deno-tuning and not by Debian's 1.1.1.
  if (isFile("/etc/cni/tuning/allowlist.conf")) return "/etc/cni/tuning/allowlist.conf exists";
  return undefined;
}

const skip = skipReason();
if (skip !== undefined) console.log(`tuning differential test skipped, ${skip}`);

/** The versions Debian's plugin speaks; the newer ones more often. */
const VERSIONS = ["0.1.0", "0.2.0", "0.3.0", "0.3.1", "0.4.0", "0.4.0", "1.0.0", "1.0.0", "1.0.0"];

/** The previous result a bridge would pass on, at 1.0.0: eth0 in the container. */
function previousResult(): JsonObject {
  return {
    cniVersion: "1.0.0",
    interfaces: [
      { name: "cni0", mac: "0a:58:0a:f1:00:01" },
      { name: "eth0", mac: PAIR_LINKS.eth0!, sandbox: "@NETNS@" },
      { name: "net1", mac: PAIR_LINKS.net1!, sandbox: "@NETNS@" },
    ],
    ips: [{ address: "10.241.0.5/24", gateway: "10.241.0.1", interface: 1 }],
    routes: [{ dst: "0.0.0.0/0", gw: "10.241.0.1" }],
  };
}

// ---------------------------------------------------------------------------------------------
// The generator

/** Good sysctl keys and the values worth writing to them. */
const GOOD_SYSCTLS: readonly [string, readonly string[]][] = [
  ["net.core.somaxconn", ["128", "512", "4096"]],
  ["net.ipv4.ip_forward", ["0", "1"]],
  ["net.ipv4.tcp_keepalive_time", ["60", "7200"]],
  ["net.ipv4.conf.all.rp_filter", ["0", "1", "2"]],
  ["net.ipv4.conf.IFNAME.rp_filter", ["0", "2"]],
  ["net.ipv4.conf.eth0.accept_redirects", ["0", "1"]],
  ["net/ipv4/conf/all/accept_redirects", ["0", "1"]],
  ["net.ipv4.tcp_rmem", ["4096 87380 6291456", "4096\t131072\t6291456"]],
  ["net.core.somaxconn", [""]],
];

/** Sysctls that fail: outside net, missing, a directory, a value the kernel refuses. */
const BAD_SYSCTLS: readonly [string, string][] = [
  ["kernel.hostname", "x"],
  ["net.core.nope", "1"],
  ["net.core", "1"],
  ["net.core.somaxconn", "many"],
  ["net.ipv4.conf.IFNAME.forwarding", "2"],
];

const GOOD_MACS = ["0a:58:0a:f1:00:aa", "0a:58:0a:f1:00:bb", "0A:58:0A:F1:00:CC"];
const BAD_MACS = ["zz:58:0a:f1:00:aa", "0a:58:0a:f1:00", "01:00:5e:00:00:01"];

/** One step of a sequence. */
interface Step {
  readonly verb: "ADD" | "CHECK" | "DEL";
  readonly version: string;
  readonly ifName: string;
  readonly args: string | undefined;
  /** The configuration's own keys. */
  readonly keys: JsonObject;
  readonly chained: boolean;
  /** Something done to both sides before the step runs. */
  readonly event?: "delete net1" | "delete namespaces";
}

/** Keys for a configuration: each one at random, at most one of them bad. */
function generateKeys(r: Random): { keys: JsonObject; args: string | undefined } {
  const keys: JsonObject = {};
  let bad = r.chance(0.3) ? r.int(8) : -1;
  const badOnce = (which: number) => {
    if (bad !== which) return false;
    bad = -1;
    return true;
  };
  if (r.chance(0.7)) {
    const sysctl: Record<string, string> = {};
    for (let n = r.int(3) + 1; n > 0; n--) {
      const [key, values] = r.pick(GOOD_SYSCTLS);
      sysctl[key] = r.pick(values);
    }
    if (badOnce(0)) {
      const [key, value] = r.pick(BAD_SYSCTLS);
      sysctl[key] = value;
    }
    keys.sysctl = sysctl;
  }
  if (r.chance(0.4)) keys.mac = badOnce(1) ? r.pick(BAD_MACS) : r.pick(GOOD_MACS);
  if (r.chance(0.4)) {
    keys.mtu = badOnce(2) ? r.pick([70000, -1, "1400"]) : r.pick([1280, 1400, 9000]);
  }
  if (r.chance(0.3)) keys.promisc = badOnce(3) ? "yes" : r.chance(0.7);
  if (r.chance(0.3)) keys.allmulti = r.chance(0.5);
  if (r.chance(0.15)) keys.runtimeConfig = { mac: r.pick(GOOD_MACS) };
  if (r.chance(0.2)) {
    const cni: JsonObject = {};
    if (r.chance(0.5)) cni.mac = r.pick([...GOOD_MACS, ""]);
    if (r.chance(0.4)) cni.mtu = r.pick([0, 1300]);
    if (r.chance(0.3)) cni.promisc = r.chance(0.5);
    if (r.chance(0.3)) cni.allmulti = r.chance(0.5);
    if (keys.sysctl !== undefined && r.chance(0.3)) cni.sysctl = { "net.ipv4.ip_forward": "1" };
    keys.args = { cni };
  }
  let args: string | undefined;
  if (r.chance(0.25)) {
    args = badOnce(4) ? r.pick(["FOO=1", "MAC", "IgnoreUnknown=maybe"]) : r.pick([
      `MAC=${r.pick(GOOD_MACS)}`,
      `IgnoreUnknown=1;K8S_POD_NAME=pod;MAC=${r.pick(GOOD_MACS)}`,
      "IgnoreUnknown=1;FOO=bar",
    ]);
  }
  return { keys, args };
}

function generateSequence(r: Random): Step[] {
  const steps: Step[] = [];
  let last: Step | undefined;
  let eventDone = false;
  for (let i = 0; i < STEPS; i++) {
    const roll = r.float();
    const verb = roll < 0.5 ? "ADD" : roll < 0.75 ? "CHECK" : "DEL";
    const reuse = last !== undefined && verb !== "ADD" && r.chance(0.6);
    const generated = generateKeys(r);
    const event = !eventDone && i >= STEPS / 2 && r.chance(0.15)
      ? r.pick(["delete net1", "delete namespaces"] as const)
      : undefined;
    if (event !== undefined) eventDone = true;
    const step: Step = reuse ? { ...last!, verb } : {
      verb,
      version: r.pick(VERSIONS),
      ifName: r.chance(0.8) ? "eth0" : r.pick(["net1", "nope0"]),
      args: generated.args,
      keys: generated.keys,
      chained: r.chance(0.93),
    };
    steps.push(event === undefined ? step : { ...step, event });
    if (verb === "ADD") last = step;
  }
  return steps;
}

/**
 * What the newest reference's CHECK reads where Debian's 1.1.1 reads it otherwise, and where
 * deno-tuning differs on purpose, so that the Go plugin's answer is the one to compare with:
 * IFNAME in a key replaced (1.1.1's CHECK does not), a MAC in the kernel's spelling (deno-tuning
 * compares addresses, the reference their text).
 */
function forGoCheck(step: Step): Step {
  const keys = JSON.parse(JSON.stringify(step.keys)) as JsonObject;
  const renamed = (sysctl: unknown) =>
    Object.fromEntries(
      Object.entries(sysctl as Record<string, string>).map((
        [key, value],
      ) => [key.replace("IFNAME", step.ifName), value]),
    );
  if (keys.sysctl !== undefined) keys.sysctl = renamed(keys.sysctl);
  const cni = (keys.args as JsonObject | undefined)?.cni as JsonObject | undefined;
  if (cni?.sysctl !== undefined) cni.sysctl = renamed(cni.sysctl);
  if (typeof keys.mac === "string") keys.mac = canonicalMac(keys.mac);
  if (typeof cni?.mac === "string") cni.mac = canonicalMac(cni.mac);
  const runtime = keys.runtimeConfig as JsonObject | undefined;
  if (typeof runtime?.mac === "string") runtime.mac = canonicalMac(runtime.mac);
  const args = step.args?.replace(/MAC=([^;]*)/, (_, mac: string) => `MAC=${canonicalMac(mac)}`);
  if (JSON.stringify(keys) !== JSON.stringify(step.keys) || args !== step.args) {
    documented("CHECK: 1.1.1's IFNAME, MAC spellings");
  }
  return { ...step, keys, args };
}

/** The input of a step for one side. */
function inputFor(step: Step, side: Side, containerId: string, adapt = true): PluginInput {
  if (adapt && side.name === "go" && step.verb === "CHECK") step = forGoCheck(step);
  const config: JsonObject = {
    cniVersion: "1.0.0",
    name: "tunediff",
    type: side.name === "go" ? "tuning" : "deno-tuning",
    dataDir: side.dataDir,
    ...step.keys,
    ...(step.chained ? { prevResult: previousResult() } : {}),
  };
  const versioned = atVersion(config, step.version);
  const stdin = JSON.stringify(versioned).replaceAll("@NETNS@", side.netns.path);
  return {
    env: {
      CNI_COMMAND: step.verb,
      CNI_CONTAINERID: containerId,
      CNI_NETNS: side.netns.path,
      CNI_IFNAME: step.ifName,
      CNI_PATH: "/usr/lib/cni",
      ...(step.args === undefined ? {} : { CNI_ARGS: step.args }),
    },
    stdin,
  };
}

// ---------------------------------------------------------------------------------------------
// Comparing

/** A MAC in the kernel's spelling, for comparing results; other text as it is. */
function canonicalMac(text: string): string {
  return /^[0-9a-f]{2}([:-][0-9a-f]{2}){5}$/i.test(text)
    ? text.toLowerCase().replaceAll("-", ":")
    : text;
}

/** An answer with the side's namespace path and backup directory named alike, no empty dns. */
function normalized(answer: Answer, side: Side): unknown {
  if (answer.json === undefined) return answer.stdout;
  const text = JSON.stringify(answer.json)
    .replaceAll(side.netns.path, "@NETNS@")
    .replaceAll(side.dataDir, "@DATADIR@");
  const json = JSON.parse(text);
  // The configured MAC in a CHECK message, which the Go plugin got in the kernel's spelling.
  if (json !== null && typeof json === "object" && typeof json.msg === "string") {
    json.msg = json.msg.replace(
      /^(Error: Tuning configured Ethernet of \S+ is )(\S+)(, current value)/,
      (_: string, head: string, mac: string, tail: string) => `${head}${canonicalMac(mac)}${tail}`,
    );
  }
  if (json !== null && typeof json === "object" && "cniVersion" in json) {
    if (json.dns !== undefined && Object.keys(json.dns).length === 0) delete json.dns;
    for (const iface of json.interfaces ?? []) {
      if (typeof iface.mac === "string") iface.mac = canonicalMac(iface.mac);
    }
  }
  return json;
}

/** How many times each documented difference showed. */
const seen = new Map<string, number>();

function documented(name: string): void {
  seen.set(name, (seen.get(name) ?? 0) + 1);
}

function errorOf(json: unknown): { code: number; msg: string } | undefined {
  if (json === null || typeof json !== "object" || !("code" in json) || !("msg" in json)) {
    return undefined;
  }
  return { code: Number(json.code), msg: String(json.msg) };
}

const ERRNO_TEXT =
  /^(invalid argument|cannot assign requested address|numerical result out of range|operation not permitted)$/;

/**
 * Asserts that the two answers are the same, or differ only as the docs document (each
 * such difference is counted by name).
 */
function compareAnswers(step: Step, go: Answer, deno: Answer, goSide: Side, denoSide: Side): void {
  const goJson = normalized(go, goSide);
  const denoJson = normalized(deno, denoSide);
  const context = `\ngo (${go.code}): ${go.stdout}\ndeno (${deno.code}): ${deno.stdout}`;
  assert.doesNotMatch(deno.stderr, /^\s+at .+:\d+:\d+/m, `no stack trace${context}`);
  if (go.code === deno.code && deepEqual(goJson, denoJson)) return;
  const goError = errorOf(goJson);
  const denoError = errorOf(denoJson);
  const sysctlCount = Object.keys((step.keys.sysctl as JsonObject | undefined) ?? {}).length;
  // Configuration errors are code 7 (the kit's readers word type errors their own way).
  if (goError?.code === 999 && denoError?.code === 7) {
    if (goError.msg === denoError.msg) return documented("configuration errors are code 7");
    if (
      goError.msg.startsWith("failed to load netconf: json: cannot unmarshal") &&
      denoError.msg.startsWith("invalid network configuration: ")
    ) return documented("configuration errors are code 7");
    // Debian's 1.1.1 names an invalid key with its dots.
    const key = /^invalid net sysctl key: "(.*)"$/.exec(goError.msg)?.[1];
    if (
      key !== undefined && denoError.msg === `invalid net sysctl key: "${key.replaceAll(".", "/")}"`
    ) {
      return documented("1.1.1: invalid key named with dots");
    }
    // A configuration error is found before the namespace is opened.
    if (goError.msg.startsWith("failed to Statfs") && !goSide.alive) {
      return documented("configuration errors before the namespace");
    }
  }
  // A malformed CNI_ARGS is code 4 (the kit's parseCniArgs).
  if (goError?.code === 999 && denoError?.code === 4 && goError.msg === denoError.msg) {
    return documented("CNI_ARGS errors are code 4");
  }
  // A negative MTU is refused as configuration; Go's kernel call refuses it.
  if (goError?.code === 999 && denoError?.code === 7 && (step.keys.mtu as number) < 0) {
    return documented("configuration errors are code 7");
  }
  // A refused link change names the setting.
  if (
    goError?.code === 999 && denoError?.code === 999 && ERRNO_TEXT.test(goError.msg) &&
    new RegExp(`^failed to set .+ of "${step.ifName}": ${goError.msg}$`).test(denoError.msg)
  ) return documented("refused link changes name the setting");
  // DEL with keys of its own that are invalid: nothing to put back, and it succeeds.
  if (
    step.verb === "DEL" && deno.code === 0 && goError?.code === 999 &&
    /^(failed to load netconf|ARGS: )/.test(goError.msg)
  ) return documented("DEL never fails on its keys or CNI_ARGS");
  // CHECK's message names the configured all-multicast mode, where Go prints a pointer.
  const allmulti =
    /^(Error: Tuning configured all-multicast mode of \S+ is )(\S+)(, current value is (true|false))$/;
  const goAllmulti = allmulti.exec(goError?.msg ?? "");
  const denoAllmulti = allmulti.exec(denoError?.msg ?? "");
  if (
    goAllmulti !== null && denoAllmulti !== null && /^0x[0-9a-f]+$/.test(goAllmulti[2]!) &&
    goAllmulti[1] === denoAllmulti[1] && goAllmulti[3] === denoAllmulti[3] &&
    denoAllmulti[2] === String(denoAllmulti[4] !== "true")
  ) return documented("CHECK names the configured all-multicast mode");
  // With several sysctls, Go takes them in random order: either may be named (an invalid key,
  // which deno-tuning finds first, too).
  const sysctlMessage =
    /^(Error: Tuning configured value of \/proc\/sys\/|open \/proc\/sys\/|write \/proc\/sys\/|invalid net sysctl key: )/;
  if (
    sysctlCount > 1 && goError !== undefined && denoError !== undefined &&
    sysctlMessage.test(goError.msg) && sysctlMessage.test(denoError.msg) &&
    (goError.code === denoError.code || denoError.msg.startsWith("invalid net sysctl key"))
  ) return documented("Go's random sysctl order");
  assert.fail(`the answers differ${context}`);
}

/** One sequence, run on a fresh pair of namespaces. */
async function runSequence(index: number, dir: string): Promise<void> {
  const seed = caseSeed(SEED, index);
  const steps = generateSequence(random(seed));
  const cleanup = new Cleanup();
  try {
    const [go, deno] = await createPair(cleanup, `${dir}/seq-${index}`);
    const containerId = `tunediff-${index}`;
    for (const [i, step] of steps.entries()) {
      const where = `sequence ${index} (seed ${seed}) step ${i}: ${step.verb} ${
        JSON.stringify(step)
      }`;
      if (step.event === "delete net1") await deletePairLink(go, "net1");
      if (step.event === "delete namespaces") {
        await deleteSideNetns(go);
        await deleteSideNetns(deno);
      }
      const denoBefore = await stateOf(deno);
      const goBefore = await stateOf(go);
      const [goAnswer, denoAnswer] = await Promise.all([
        runGo(inputFor(step, go, containerId)),
        runDenoTuning(inputFor(step, deno, containerId)),
      ]);
      try {
        compareAnswers(step, goAnswer, denoAnswer, go, deno);
        const [goAfter, denoAfter] = await Promise.all([stateOf(go), stateOf(deno)]);
        if (step.verb === "DEL" && denoAnswer.code === 0 && goAnswer.code !== 0) {
          // Go's DEL refused a CNI_ARGS it has no use for, and restored nothing.
          assert.deepEqual(goAfter, goBefore);
          if (!deepEqual(goAfter, denoAfter)) await copyState(denoAfter, go);
          continue;
        }
        compareStates(step, containerId, denoAnswer, goBefore, goAfter, denoBefore, denoAfter);
        if (!deepEqual(goAfter, denoAfter)) await copyState(goAfter, deno);
      } catch (error) {
        throw new Error(`${where}\n${(error as Error).message}`);
      }
    }
  } finally {
    await cleanup.run();
  }
}

function deepEqual(a: unknown, b: unknown): boolean {
  try {
    assert.deepEqual(a, b);
    return true;
  } catch {
    return false;
  }
}

/**
 * Asserts that the states are the same after a step, or differ as documented: a failing ADD of
 * deno-tuning changed nothing; a repeated ADD keeps the first backup; DEL removes a backup whose
 * namespace or link is gone.
 */
function compareStates(
  step: Step,
  containerId: string,
  denoAnswer: Answer,
  goBefore: SideState,
  goAfter: SideState,
  denoBefore: SideState,
  denoAfter: SideState,
): void {
  if (step.verb === "ADD" && denoAnswer.code !== 0) {
    assert.deepEqual(denoAfter, denoBefore, "a failing ADD changes nothing");
    if (!deepEqual(goAfter, goBefore)) documented("a failing ADD puts back what it changed");
    return;
  }
  if (step.verb !== "ADD" && denoAnswer.code !== 0) {
    assert.deepEqual(denoAfter, denoBefore, "a failing CHECK or DEL changes nothing");
    return;
  }
  assert.deepEqual(denoAfter.links, goAfter.links, "the links");
  assert.deepEqual(denoAfter.sysctls, goAfter.sysctls, "the sysctls");
  if (deepEqual(denoAfter.backups, goAfter.backups)) return;
  const names = Object.keys(goAfter.backups);
  if (step.verb === "DEL") {
    // Go keeps a backup it could not use: the namespace or the link is gone.
    const own = `${containerId}_${step.ifName}.json`;
    assert.ok(!(step.ifName in goAfter.links), "only a backup whose link is gone is left");
    const { [own]: kept, ...others } = goAfter.backups;
    assert.ok(
      kept !== undefined,
      `DEL left different backups: ${JSON.stringify({ goAfter, denoAfter })}`,
    );
    assert.deepEqual(denoAfter.backups, others, "deno-tuning removed the attachment's backup");
    return documented("DEL removes a backup whose link is gone");
  }
  // A repeated ADD: deno-tuning keeps what the first one backed up.
  assert.equal(step.verb, "ADD");
  for (const name of names) {
    const before = goBefore.backups[name];
    const goNow = JSON.parse(goAfter.backups[name]!.text);
    const denoNow = JSON.parse(denoAfter.backups[name]?.text ?? "null");
    assert.ok(before !== undefined, `a first ADD writes the same backup: ${name}`);
    assert.deepEqual(denoNow, { ...goNow, ...JSON.parse(before.text) }, "the first backup wins");
    assert.equal(denoAfter.backups[name]!.mode, goAfter.backups[name]!.mode);
  }
  documented("a repeated ADD keeps the first backup");
}

Deno.test({
  name: "deno-tuning answers and changes what Debian's Go tuning does, in seeded sequences",
  ignore: skip !== undefined,
  sanitizeResources: false,
  async fn(t) {
    console.log(
      `tuning differential: TUNING_SEED=${SEED}, ${SEQUENCES} sequences of ${STEPS} steps`,
    );
    const cleanup = new Cleanup();
    try {
      const dir = await makeTempDir(cleanup, "dcni-tuning-diff-");
      const indexes = ONLY === undefined ? [...Array(SEQUENCES).keys()] : [Number(ONLY)];
      for (const index of indexes) {
        await t.step(`sequence ${index}`, () => runSequence(index, dir));
      }
      console.log(
        `documented differences seen: ${
          [...seen].map(([name, count]) => `${name} (${count})`).join(", ") || "none"
        }`,
      );
    } finally {
      await cleanup.run();
    }
  },
});

// ---------------------------------------------------------------------------------------------
// Where Debian's 1.1.1 is older

/** One case of the second test: both plugins run on a fresh pair; `check` looks at the outcome. */
interface OlderCase {
  readonly name: string;
  /** Links named so in both namespaces, besides eth0 and net1. */
  readonly extraLinks?: readonly string[];
  readonly steps: readonly {
    verb: "ADD" | "CHECK" | "DEL" | "GC" | "STATUS";
    step?: Partial<Step>;
    raw?: (side: Side) => string;
  }[];
  check(outcome: OlderOutcome, sides: [Side, Side]): void | Promise<void>;
}

interface OlderOutcome {
  go: Answer[];
  deno: Answer[];
  goState: SideState;
  denoState: SideState;
}

const BASE_STEP: Step = {
  verb: "ADD",
  version: "1.0.0",
  ifName: "eth0",
  args: undefined,
  keys: {},
  chained: true,
};

const OLDER_CASES: readonly OlderCase[] = [
  {
    name: "a sysctl key written twice: 1.1.1 writes the last value, deno-tuning refuses it",
    steps: [{
      verb: "ADD",
      raw: (side) =>
        inputFor(BASE_STEP, side, "older").stdin.replace(
          /^\{/,
          '{"sysctl":{"net.core.somaxconn":"512","net.core.somaxconn":"256"},',
        ),
    }],
    check({ go, deno, goState, denoState }) {
      assert.equal(go[0]!.code, 0);
      assert.equal(goState.sysctls["net/core/somaxconn"], "256");
      assert.deepEqual(errorOf(deno[0]!.json), {
        code: 7,
        msg: "duplicated sysctl keys are not allowed",
      });
      assert.equal(denoState.sysctls["net/core/somaxconn"], "4096");
    },
  },
  {
    name: "txQLen: 1.1.1 ignores it, deno-tuning sets it and backs it up",
    steps: [{ verb: "ADD", step: { keys: { txQLen: 500 } } }, {
      verb: "CHECK",
      step: { keys: { txQLen: 500 } },
    }],
    check({ go, deno, goState, denoState }) {
      assert.deepEqual([go[0]!.code, go[1]!.code, deno[0]!.code, deno[1]!.code], [0, 0, 0, 0]);
      assert.equal(goState.links.eth0!.txqlen, 1000);
      assert.deepEqual(goState.backups, {});
      assert.equal(denoState.links.eth0!.txqlen, 500);
      assert.deepEqual(denoState.backups["older_eth0.json"], {
        text: '{\n "txQLen": 1000\n}',
        mode: 0o600,
      });
    },
  },
  {
    name: "IFNAME with a dotted CNI_IFNAME: 1.1.1 turns its dots into slashes too",
    extraLinks: ["eth0.100"],
    steps: [{
      verb: "ADD",
      step: { ifName: "eth0.100", keys: { sysctl: { "net.ipv4.conf.IFNAME.rp_filter": "2" } } },
    }],
    async check({ go, deno }, sides) {
      assert.deepEqual(errorOf(go[0]!.json), {
        code: 999,
        msg: "open /proc/sys/net/ipv4/conf/eth0/100/rp_filter: no such file or directory",
      });
      assert.equal(deno[0]!.code, 0, deno[0]!.stdout);
      const file = "/proc/sys/net/ipv4/conf/eth0.100/rp_filter";
      const [goValue, denoValue] = await Promise.all(
        sides.map((side) => runOk(["ip", "netns", "exec", side.netns.name, "cat", file])),
      );
      assert.deepEqual([goValue!.stdout, denoValue!.stdout], ["0\n", "2\n"]);
    },
  },
  {
    name: "IFNAME on CHECK: 1.1.1 does not replace it there, the newest does",
    steps: [
      { verb: "ADD", step: { keys: { sysctl: { "net.ipv4.conf.IFNAME.rp_filter": "2" } } } },
      { verb: "CHECK", step: { keys: { sysctl: { "net.ipv4.conf.IFNAME.rp_filter": "2" } } } },
    ],
    check({ go, deno }) {
      assert.deepEqual([go[0]!.code, deno[0]!.code, deno[1]!.code], [0, 0, 0]);
      assert.deepEqual(errorOf(go[1]!.json), {
        code: 999,
        msg: "open /proc/sys/net/ipv4/conf/IFNAME/rp_filter: no such file or directory",
      });
    },
  },
  {
    name: "an invalid key: 1.1.1 names it with its dots, the newest with slashes",
    steps: [{ verb: "ADD", step: { keys: { sysctl: { "kernel.hostname": "x" } } } }],
    check({ go, deno }) {
      assert.deepEqual(errorOf(go[0]!.json), {
        code: 999,
        msg: 'invalid net sysctl key: "kernel.hostname"',
      });
      assert.deepEqual(errorOf(deno[0]!.json), {
        code: 7,
        msg: 'invalid net sysctl key: "kernel/hostname"',
      });
    },
  },
  {
    name: "spec 1.1.0: 1.1.1 knows neither it nor GC and STATUS, deno-tuning answers them",
    steps: [
      { verb: "ADD", step: { version: "1.1.0", keys: { mtu: 1400 } } },
      { verb: "GC", step: { version: "1.1.0", chained: false } },
      { verb: "STATUS", step: { version: "1.1.0", chained: false } },
      { verb: "DEL", step: { version: "1.1.0", keys: { mtu: 1400 } } },
    ],
    check({ go, deno, denoState }) {
      assert.deepEqual(go.map((answer) => errorOf(answer.json)?.code), [1, 4, 4, 1]);
      assert.deepEqual(deno.map((answer) => answer.code), [0, 0, 0, 0]);
      assert.equal(denoState.links.eth0!.mtu, 1500);
    },
  },
  {
    name: "1.x results: 1.1.1 prints an empty dns, deno-tuning none, as the newest does",
    steps: [{ verb: "ADD" }],
    check({ go, deno }) {
      assert.deepEqual((go[0]!.json as JsonObject).dns, {});
      assert.equal("dns" in (deno[0]!.json as JsonObject), false);
    },
  },
  {
    name: "args.cni.sysctl without a top-level sysctl: Go panics, deno-tuning applies it",
    steps: [{
      verb: "ADD",
      step: { keys: { args: { cni: { sysctl: { "net.core.somaxconn": "512" } } } } },
    }],
    check({ go, deno, denoState }) {
      assert.equal(go[0]!.code, 2);
      assert.match(go[0]!.stderr, /assignment to entry in nil map/);
      assert.equal(deno[0]!.code, 0, deno[0]!.stdout);
      assert.equal(denoState.sysctls["net/core/somaxconn"], "512");
    },
  },
  {
    name: "an 8-byte MAC: Go sets its first 6 bytes and reports all 8, deno-tuning refuses it",
    steps: [{ verb: "ADD", step: { keys: { mac: "0a:58:0a:f1:00:aa:bb:cc" } } }],
    check({ go, deno, goState, denoState }) {
      assert.equal(go[0]!.code, 0);
      assert.equal(goState.links.eth0!.address, "0a:58:0a:f1:00:aa");
      assert.equal(errorOf(deno[0]!.json)?.code, 7);
      assert.equal(denoState.links.eth0!.address, PAIR_LINKS.eth0);
    },
  },
  {
    name: "CHECK of all-multicast mode: Go prints a pointer, deno-tuning the value",
    steps: [{ verb: "CHECK", step: { keys: { allmulti: true } } }],
    check({ go, deno }) {
      assert.match(
        errorOf(go[0]!.json)?.msg ?? "",
        /^Error: Tuning configured all-multicast mode of eth0 is 0x[0-9a-f]+, current value is false$/,
      );
      assert.equal(
        errorOf(deno[0]!.json)?.msg,
        "Error: Tuning configured all-multicast mode of eth0 is true, current value is false",
      );
    },
  },
  {
    name: "DEL after the link is gone: Go keeps the backup, deno-tuning removes it",
    steps: [
      { verb: "ADD", step: { ifName: "net1", keys: { mtu: 1400 } } },
      { verb: "DEL", step: { ifName: "net1", keys: { mtu: 1400 } } },
    ],
    check({ go, deno, goState, denoState }) {
      assert.deepEqual([go[0]!.code, go[1]!.code, deno[0]!.code, deno[1]!.code], [0, 0, 0, 0]);
      assert.deepEqual(Object.keys(goState.backups), ["older_net1.json"]);
      assert.deepEqual(denoState.backups, {});
    },
  },
];

async function runOlderCase(testCase: OlderCase, dir: string): Promise<void> {
  const cleanup = new Cleanup();
  try {
    const [go, deno] = await createPair(cleanup, dir);
    for (const link of testCase.extraLinks ?? []) {
      await runOk([
        "ip",
        "link",
        "add",
        link,
        "netns",
        go.netns.name,
        "type",
        "veth",
        "peer",
        link,
        "netns",
        deno.netns.name,
      ]);
    }
    const outcome: OlderOutcome = {
      go: [],
      deno: [],
      goState: undefined!,
      denoState: undefined!,
    };
    for (const { verb, step, raw } of testCase.steps) {
      if (verb === "DEL" && step?.ifName === "net1") await deletePairLink(go, "net1");
      const full: Step = { ...BASE_STEP, ...step, verb: verb as Step["verb"] };
      for (const side of [go, deno]) {
        // The Go plugin gets the step as it is, not as the first test adapts a CHECK for it.
        const input = inputFor(full, side, "older", false);
        const answer = await (side === go ? runGo : runDenoTuning)({
          env: { ...input.env, CNI_COMMAND: verb },
          stdin: raw === undefined ? input.stdin : raw(side),
        });
        (side === go ? outcome.go : outcome.deno).push(answer);
      }
    }
    outcome.goState = await stateOf(go);
    outcome.denoState = await stateOf(deno);
    await testCase.check(outcome, [go, deno]);
  } finally {
    await cleanup.run();
  }
}

Deno.test({
  name: "where Debian's tuning 1.1.1 is older than deno-tuning, case by case",
  ignore: skip !== undefined,
  async fn(t) {
    const cleanup = new Cleanup();
    try {
      const dir = await makeTempDir(cleanup, "dcni-tuning-older-");
      for (const [i, testCase] of OLDER_CASES.entries()) {
        await t.step(testCase.name, () => runOlderCase(testCase, `${dir}/case-${i}`));
      }
    } finally {
      await cleanup.run();
    }
  },
});

/** Why the allowlist cannot be tried here: it needs a private /etc/cni. */
const noPrivateEtc = !isDirectory("/etc/cni")
  ? "no /etc/cni to mount a private directory over"
  : !onPath("unshare")
  ? "no unshare (apt-get install util-linux)"
  : undefined;
if (skip === undefined && noPrivateEtc !== undefined) {
  console.log(`tuning allowlist test skipped: ${noPrivateEtc}`);
}

/**
 * Runs `argv` in a mount namespace of its own where /etc/cni is an empty tmpfs holding only
 * tuning/allowlist.conf, a copy of `allowlist`: the machine's /etc/cni is never touched.
 */
function withPrivateAllowlist(allowlist: string, argv: readonly string[]): string[] {
  const script = "/bin/mount -t tmpfs tmpfs /etc/cni && /bin/mkdir /etc/cni/tuning && " +
    '/bin/cp "$0" /etc/cni/tuning/allowlist.conf && exec "$@"';
  return [
    "unshare",
    "--mount",
    "--propagation",
    "private",
    "/bin/sh",
    "-c",
    script,
    allowlist,
    ...argv,
  ];
}

Deno.test({
  name:
    "the allowlist: 1.1.1 reads none, deno-tuning's bundle reads /etc/cni/tuning/allowlist.conf",
  ignore: skip !== undefined || noPrivateEtc !== undefined,
  async fn() {
    const cleanup = new Cleanup();
    try {
      const dir = await makeTempDir(cleanup, "dcni-tuning-allowlist-");
      const [go, deno] = await createPair(cleanup, dir);
      const allowlist = `${dir}/allowlist.conf`;
      await Deno.writeTextFile(allowlist, "^net\\.core\\.somaxconn$\n");
      const step: Step = {
        ...BASE_STEP,
        keys: { sysctl: { "net.core.somaxconn": "512", "net.ipv4.ip_forward": "1" } },
      };
      const answers: Answer[] = [];
      const denoBefore = await stateOf(deno);
      for (const side of [go, deno]) {
        const input = inputFor(step, side, "allowlist");
        const argv = side === go ? [GO_TUNING] : [Deno.execPath(), ...pluginArgs("deno-tuning")];
        const output = await run(withPrivateAllowlist(allowlist, argv), {
          env: { ...input.env },
          clearEnv: true,
          stdin: input.stdin,
        });
        answers.push({ ...output, json: JSON.parse(output.stdout || "null") });
      }
      assert.equal(answers[0]!.code, 0, answers[0]!.stdout + answers[0]!.stderr);
      assert.deepEqual(errorOf(answers[1]!.json), {
        code: 7,
        msg: "Sysctl net.ipv4.ip_forward is not allowed. Only the following sysctls are " +
          "allowed: [^net\\.core\\.somaxconn$]",
      });
      // The machine's ip_forward may be inherited by new namespaces: compare with the other key.
      const [goAfter, denoAfter] = [await stateOf(go), await stateOf(deno)];
      assert.equal(goAfter.sysctls["net/core/somaxconn"], "512");
      assert.equal(goAfter.sysctls["net/ipv4/ip_forward"], "1");
      assert.deepEqual(denoAfter, denoBefore);
      assert.equal(isFile("/etc/cni/tuning/allowlist.conf"), false, "the machine's is untouched");
    } finally {
      await cleanup.run();
    }
  },
});
