/**
 * deno-host-local against Debian's Go host-local (containernetworking-plugins 1.1.1), both as
 * real processes: deno-host-local from its bundle with its plugins.json permissions, each with a
 * clean environment.
 *
 * A seeded generator makes sequences of ADD, CHECK and DEL (with requested addresses, CNI_ARGS,
 * the `ips` capability, broken configurations, leases of an older version, a configuration that
 * changes half-way) on networks of every shape host-local takes: one range or range sets, several
 * ranges per set, IPv4 and IPv6 together, `rangeStart`/`rangeEnd`/`gateway`, routes and
 * `resolvConf`, at every spec version the Go plugin speaks. Each sequence runs twice from an
 * empty data directory: through the Go plugin alone (the reference), and with each step run by
 * deno-host-local or, at random, by the Go plugin (switching binaries mid-sequence). After every
 * step the exit status, the answer and the whole data directory, byte for byte, must be the
 * reference's. GC and STATUS (spec 1.1.0, which the Go plugin predates) are run by
 * deno-host-local on both directories, so the Go plugin goes on from what they left.
 *
 * The answers are compared after the differences the docs document (tests/e2e/_host_local.ts
 * `normalizeGo`: configuration errors are code 7, CNI_ARGS errors code 4, no empty `dns` in a
 * 1.x result); tests/host_local_test.ts pins each of them.
 *
 * HOST_LOCAL_SEED (printed) and HOST_LOCAL_SEQUENCES change the seed and the number of sequences;
 * HOST_LOCAL_SEQUENCE=<n> replays one. Needs no root: everything is in temporary directories.
 */
import assert from "node:assert/strict";
import { caseSeed, type Random, random } from "../_fuzz.ts";
import {
  assertSameAnswer,
  cniEnv,
  GO_HOST_LOCAL,
  type Invocation,
  runDeno,
  runGo,
  type Runner,
  runWith,
  snapshot,
} from "./_host_local.ts";
import { isFile } from "./_netns.ts";

const SEED = Number(Deno.env.get("HOST_LOCAL_SEED") ?? "20261207") >>> 0;
const SEQUENCES = Number(Deno.env.get("HOST_LOCAL_SEQUENCES") ?? "24");
const ONLY = Deno.env.get("HOST_LOCAL_SEQUENCE");
const STEPS = 14;

function skipReason(): string | undefined {
  if (!isFile(GO_HOST_LOCAL)) {
    return `no ${GO_HOST_LOCAL} (apt-get install containernetworking-plugins)`;
  }
  return undefined;
}

const skip = skipReason();
if (skip !== undefined) console.log(`host-local differential test skipped: ${skip}`);

/** The versions the Go plugin speaks; those with CHECK more often. */
const GO_VERSIONS = [
  "0.1.0",
  "0.2.0",
  "0.3.0",
  "0.3.1",
  "0.4.0",
  "0.4.0",
  "1.0.0",
  "1.0.0",
  "1.0.0",
];

/** A network shape: its ipam section (two variants: the configuration may change) and addresses. */
interface Shape {
  readonly name: string;
  readonly ipam: (n: number, dir: string) => Record<string, unknown>[];
  /** Addresses worth asking for: in, at the edges of and outside the ranges. */
  readonly addresses: (n: number) => string[];
  /** An address of the first range that a lease of an older version may hold. */
  readonly legacy?: (n: number) => string;
}

const SHAPES: readonly Shape[] = [
  {
    name: "one IPv4 /29",
    ipam: (n) => [{ subnet: `10.${n}.0.0/29` }, { subnet: `10.${n}.0.0/28` }],
    addresses: (n) => [`10.${n}.0.0`, `10.${n}.0.1`, `10.${n}.0.3`, `10.${n}.0.7`, `10.${n}.9.1`],
    legacy: (n) => `10.${n}.0.4`,
  },
  {
    name: "rangeStart, rangeEnd, a gateway inside",
    ipam: (n) => [
      {
        subnet: `10.${n}.0.0/28`,
        rangeStart: `10.${n}.0.5`,
        rangeEnd: `10.${n}.0.9`,
        gateway: `10.${n}.0.7`,
      },
      { subnet: `10.${n}.0.0/28`, rangeStart: `10.${n}.0.6`, rangeEnd: `10.${n}.0.8` },
    ],
    addresses: (n) => [`10.${n}.0.5`, `10.${n}.0.7`, `10.${n}.0.9`, `10.${n}.0.12`],
    legacy: (n) => `10.${n}.0.6`,
  },
  {
    name: "IPv6 /125",
    ipam: (n) => [
      { subnet: `fd00:${n}::/125` },
      { subnet: `fd00:${n}::/125`, rangeStart: `fd00:${n}::3` },
    ],
    addresses: (n) => [`fd00:${n}::1`, `fd00:${n}::2`, `fd00:${n}::7`, `fd00:${n}:1::1`],
    legacy: (n) => `fd00:${n}::3`,
  },
  {
    name: "two ranges in one set",
    ipam: (n) => [
      {
        ranges: [[{ subnet: `10.${n}.0.0/30` }, {
          subnet: `10.${n}.1.0/29`,
          rangeStart: `10.${n}.1.3`,
        }]],
      },
      { ranges: [[{ subnet: `10.${n}.1.0/29`, rangeStart: `10.${n}.1.3` }]] },
    ],
    addresses: (n) => [`10.${n}.0.2`, `10.${n}.1.3`, `10.${n}.1.6`, `10.${n}.1.2`],
  },
  {
    name: "IPv4 and IPv6 range sets",
    ipam: (n) => [
      { ranges: [[{ subnet: `10.${n}.0.0/29` }], [{ subnet: `fd00:${n}::/126` }]] },
      { ranges: [[{ subnet: `10.${n}.0.0/29` }]] },
    ],
    addresses: (n) => [`10.${n}.0.2`, `10.${n}.0.6`, `fd00:${n}::2`, `fd00:${n}::3`],
    legacy: (n) => `10.${n}.0.3`,
  },
  {
    name: "subnet and ranges together, routes and resolvConf",
    ipam: (n, dir) => [
      {
        subnet: `10.${n}.2.0/30`,
        ranges: [[{ subnet: `fd00:${n}::/125`, gateway: `fd00:${n}::7` }]],
        routes: [{ dst: "0.0.0.0/0" }, { dst: "10.99.0.1/16", gw: `10.${n}.2.1` }, {
          dst: "fd99::/64",
        }],
        resolvConf: `${dir}/resolv.conf`,
      },
      { subnet: `10.${n}.2.0/30`, routes: [{ dst: "192.168.0.0/16" }] },
    ],
    addresses: (n) => [`10.${n}.2.2`, `fd00:${n}::7`, `fd00:${n}::1`],
  },
  {
    name: "two IPv4 range sets",
    ipam: (n) => [
      { ranges: [[{ subnet: `10.${n}.0.0/30` }], [{ subnet: `10.${n}.1.0/30` }]] },
      { ranges: [[{ subnet: `10.${n}.1.0/30` }], [{ subnet: `10.${n}.0.0/30` }]] },
    ],
    addresses: (n) => [`10.${n}.0.2`, `10.${n}.1.2`],
  },
];

/** Configuration defects whose errors the two plugins word alike. */
const DEFECTS: readonly ((ipam: Record<string, unknown>, n: number) => Record<string, unknown>)[] =
  [
    (ipam, n) => ({ ...ipam, subnet: `10.${n}.0.5/29` }),
    (ipam, n) => ({ ...ipam, subnet: `10.${n}.0.0/31` }),
    (ipam) => ({ ...ipam, subnet: 5 }),
    (ipam) => ({ ...ipam, subnet: "nope" }),
    (ipam, n) => ({ ...ipam, subnet: `10.${n}.0.0/29`, rangeStart: `10.${n}.9.1` }),
    (ipam, n) => ({ ...ipam, subnet: `10.${n}.0.0/29`, rangeEnd: `10.${n}.0.1` }),
    (ipam) => ({ ...ipam, gateway: "x" }),
    (ipam) => ({ ...ipam, ranges: [[]] }),
    (ipam) => ({ type: ipam.type, dataDir: ipam.dataDir }),
    (ipam) => ({ ...ipam, ranges: [[{ subnet: "10.200.0.0/24" }, { subnet: "fd00::/64" }]] }),
    (ipam) => ({ ...ipam, ranges: [[{ subnet: "10.201.0.0/24" }], [{ subnet: "10.201.0.0/25" }]] }),
    (ipam) => ({ ...ipam, routes: [{ dst: "x" }] }),
    (ipam) => ({ ...ipam, dataDir: 7 }),
    (ipam) => ({ ...ipam, resolvConf: "/nonexistent/resolv.conf" }),
  ];

interface Step {
  readonly what: string;
  readonly invocation: Invocation;
  /** Who runs it in the subject's directory; "gc" steps run deno-host-local in both. */
  readonly runner: Runner | "both-deno";
}

/** The containers and interfaces a sequence uses. */
const CONTAINERS = ["c0", "c1", "c2", "c3", "c4"];

function makeSequence(index: number, dir: string) {
  const r: Random = random(caseSeed(SEED, index));
  const shape = r.pick(SHAPES);
  const n = 100 + (index % 150);
  const version = r.pick(GO_VERSIONS);
  const variants = shape.ipam(n, dir);
  const switchAt = r.chance(0.4) ? 1 + r.int(STEPS - 1) : STEPS;
  const switching = r.chance(0.5);
  const steps = (dataDir: string): Step[] => {
    const rr = random(caseSeed(SEED, index) ^ 0x5bd1e995);
    const attachments = new Set<string>();
    const list: Step[] = [];
    for (let i = 0; i < STEPS; i++) {
      const base = variants[i < switchAt ? 0 : 1]!;
      const ipam: Record<string, unknown> = { type: "host-local", ...base, dataDir };
      const config: Record<string, unknown> = {
        cniVersion: version,
        name: `hl${index}`,
        type: "bridge",
        ipam,
      };
      const containerId = rr.pick(CONTAINERS);
      const ifName = rr.chance(0.75) ? "eth0" : "eth1";
      const runner: Runner = switching && rr.chance(0.35) ? "go" : "deno";
      const roll = rr.float();
      let what: string;
      let env: Record<string, string>;
      let sent: Record<string, unknown> = config;
      if (roll < 0.4) {
        what = "ADD";
        env = cniEnv("ADD", containerId, ifName);
        attachments.add(`${containerId}/${ifName}`);
      } else if (roll < 0.58) {
        what = "DEL";
        env = cniEnv("DEL", containerId, ifName);
      } else if (roll < 0.66) {
        what = "CHECK";
        env = cniEnv("CHECK", containerId, ifName);
      } else if (roll < 0.74) {
        const ip = rr.pick(shape.addresses(n));
        what = `ADD IP=${ip}`;
        env = cniEnv("ADD", containerId, ifName, `IP=${ip}`);
      } else if (roll < 0.78) {
        const ip = rr.pick(shape.addresses(n));
        what = `ADD args.cni.ips ${ip}`;
        env = cniEnv("ADD", containerId, ifName);
        sent = { ...config, args: { cni: { ips: [ip] } } };
      } else if (roll < 0.82) {
        const ip = rr.pick(shape.addresses(n));
        what = `ADD runtimeConfig.ips ${ip}/24`;
        env = cniEnv("ADD", containerId, ifName);
        sent = { ...config, runtimeConfig: { ips: [`${ip}/24`] } };
      } else if (roll < 0.86) {
        const args = rr.pick([
          "IgnoreUnknown=1;K8S_POD_NAME=p",
          "K8S_POD_NAME=p",
          "IP=nope",
          "IP=",
          "IgnoreUnknown=maybe",
          "oops",
        ]);
        what = `ADD CNI_ARGS=${args}`;
        env = cniEnv("ADD", containerId, ifName, args);
      } else if (roll < 0.91) {
        const defect = rr.int(DEFECTS.length);
        const verb = rr.pick(["ADD", "DEL", "CHECK"]);
        what = `${verb} with defect ${defect}`;
        env = cniEnv(verb, containerId, ifName);
        sent = { ...config, ipam: DEFECTS[defect]!({ ...ipam }, n) };
      } else if (roll < 0.97) {
        const valid = [...attachments].filter(() => rr.chance(0.5)).map((a) => {
          const [containerID, ifname] = a.split("/") as [string, string];
          return { containerID, ifname };
        });
        what = `GC keeping ${JSON.stringify(valid)}`;
        env = cniEnv("GC", "", "");
        sent = { ...config, cniVersion: "1.1.0", "cni.dev/valid-attachments": valid };
        list.push({ what, invocation: { env, config: sent }, runner: "both-deno" });
        continue;
      } else {
        what = "STATUS";
        env = cniEnv("STATUS", "", "");
        sent = { ...config, cniVersion: "1.1.0" };
        list.push({ what, invocation: { env, config: sent }, runner: "both-deno" });
        continue;
      }
      list.push({ what, invocation: { env, config: sent }, runner });
    }
    return list;
  };
  return { shape, version, steps, legacy: r.chance(0.3) ? shape.legacy?.(n) : undefined };
}

const RESOLV_CONF = "nameserver 10.0.0.53\nnameserver fd00::53\nsearch a.example b.example\n" +
  "# a comment\ndomain example.test\noptions ndots:2 timeout:1\n";

/** How often each kind of answer came up: what the generated sequences covered. */
const outcomes = new Map<string, number>();

function tally(what: string, json: unknown): void {
  const verb = what.split(" ")[0]!;
  const answer = json === undefined
    ? "ok, nothing printed"
    : typeof json === "object" && json !== null && "msg" in json
    ? `error ${
      String((json as { msg: unknown }).msg).replace(
        /\b(?:\d+\.){3}\d+\b|[0-9a-f]*:[0-9a-f:]+/g,
        "X",
      ).slice(0, 60)
    }`
    : "ok, a result";
  const key = `${verb}: ${answer}`;
  outcomes.set(key, (outcomes.get(key) ?? 0) + 1);
}

async function runSequence(index: number, root: string): Promise<string[]> {
  const dir = `${root}/seq${index}`;
  const goDir = `${dir}/go`;
  const mixDir = `${dir}/mix`;
  await Deno.mkdir(goDir, { recursive: true });
  await Deno.mkdir(mixDir, { recursive: true });
  await Deno.writeTextFile(`${dir}/resolv.conf`, RESOLV_CONF);
  const sequence = makeSequence(index, dir);
  if (sequence.legacy !== undefined) {
    // A lease written by an older host-local: the container ID alone.
    for (const data of [goDir, mixDir]) {
      await Deno.mkdir(`${data}/hl${index}`, { recursive: true });
      await Deno.writeTextFile(`${data}/hl${index}/${sequence.legacy}`, "c1");
    }
  }
  const goSteps = sequence.steps(goDir);
  const mixSteps = sequence.steps(mixDir);
  const log: string[] = [];
  for (let i = 0; i < goSteps.length; i++) {
    const reference = goSteps[i]!;
    const subject = mixSteps[i]!;
    const label = `sequence ${index} (${sequence.shape.name}, cniVersion ${sequence.version}` +
      `${sequence.legacy ? `, older lease ${sequence.legacy}` : ""}) step ${i}: ` +
      `${subject.what} by ${subject.runner}`;
    log.push(label);
    const context = `seed ${SEED}, ${label}\nsteps so far:\n  ${log.join("\n  ")}`;
    if (subject.runner === "both-deno") {
      const [a, b] = await Promise.all([
        runDeno(reference.invocation),
        runDeno(subject.invocation),
      ]);
      assert.equal(b.code, a.code, context);
      assert.deepEqual(b.json, a.json, context);
      tally(subject.what, a.json);
    } else {
      const [a, b] = await Promise.all([
        runGo(reference.invocation),
        runWith(subject.runner, subject.invocation),
      ]);
      assertSameAnswer(a, b, subject.runner, context);
      tally(subject.what, a.json);
    }
    assert.deepEqual(await snapshot(mixDir), await snapshot(goDir), `data directory\n${context}`);
  }
  return log;
}

Deno.test({
  name: "deno-host-local answers and leaves the data directory as the Go host-local does",
  ignore: skip !== undefined,
  async fn(t) {
    console.log(
      `host-local differential test: seed ${SEED}, ${SEQUENCES} sequences of ${STEPS} steps ` +
        "(HOST_LOCAL_SEED, HOST_LOCAL_SEQUENCES, HOST_LOCAL_SEQUENCE=<n> to replay one)",
    );
    const root = await Deno.makeTempDir({ prefix: "dcni-host-local-diff-" });
    try {
      const indexes = ONLY === undefined
        ? Array.from({ length: SEQUENCES }, (_, i) => i)
        : [Number(ONLY)];
      // Sequences are independent: run a few at a time, report each as a step.
      const runs = indexes.map((index) => runSequence(index, root));
      for (const run of runs) run.catch(() => {});
      for (const [i, index] of indexes.entries()) {
        await t.step(`sequence ${index}`, async () => {
          await runs[i];
        });
      }
      const lines = [...outcomes].sort((a, b) => b[1] - a[1]).map(([k, v]) => `${v} ${k}`);
      console.log(`answers compared:\n  ${lines.join("\n  ")}`);
    } finally {
      await Deno.remove(root, { recursive: true });
    }
  },
});
