/**
 * conform (cli/conform.ts) as root, run as `deno task conform` runs it: it passes the project's
 * networks (netconf/, after `make bin`) and Debian's reference plugins where they conform, in
 * namespaces of its own; it fails the broken plugins of tests/testdata/conform/ naming the check
 * each gets wrong; and it leaves nothing behind: no namespace, no link in the machine's namespace,
 * no temporary directory, no host-local reservation, and no process of a plugin's, also when
 * interrupted.
 */
import assert from "node:assert/strict";
import { CONFORM_PERMISSIONS } from "../../cli/conform.ts";
import { checksWith, type ConformRun, runConform } from "./_conform.ts";
import { configPath, FAKE_PLUGINS, writeLaunchers } from "../testdata/conform/fakes.ts";
import { ensureProjectBin, PROJECT_BIN, PROJECT_NETCONF } from "./_deno_cni.ts";
import { groupGone as groupMembersGone, killGroup } from "../runtime/_process_groups.ts";
import {
  Cleanup,
  createNetns,
  deleteNetns,
  isFile,
  isRoot,
  makeTempDir,
  missingPrerequisites,
  onPath,
  REFERENCE_PLUGIN_DIR,
  run,
  runOk,
  writeConflist,
} from "./_netns.ts";

const REFERENCE = ["bridge", "host-local", "ptp", "macvlan", "loopback", "tuning", "static"];

const missing = missingPrerequisites({
  root: isRoot,
  "ip (apt-get install iproute2)": () => onPath("ip"),
  "nsenter (apt-get install util-linux)": () => onPath("nsenter"),
  [
    `${REFERENCE_PLUGIN_DIR}/{${REFERENCE.join(",")}} (apt-get install containernetworking-plugins)`
  ]: () => REFERENCE.every((p) => isFile(`${REFERENCE_PLUGIN_DIR}/${p}`)),
});
const skip = missing.length === 0
  ? undefined
  : `conform e2e skipped, missing: ${missing.join(", ")}`;
if (skip !== undefined) console.log(skip);

const ROOT = new URL("../../", import.meta.url).pathname.replace(/\/$/, "");

const outcomes = checksWith;
const conform = runConform;

/** Asserts that every check passed, with exactly `skipped` ("plugin check") skipped. */
function assertPassed(result: ConformRun, skipped: readonly string[]): void {
  assert.deepEqual(outcomes(result.report, "fail"), [], result.stdout + result.stderr);
  assert.equal(result.code, 0, result.stderr);
  assert.deepEqual(outcomes(result.report, "skip"), skipped);
  assert.ok(result.report.summary.passed > 0);
  assert.match(
    result.stdout,
    new RegExp(
      `conform: ${result.report.summary.checks} checks, ` +
        `${result.report.summary.passed} passed, 0 failed`,
    ),
  );
}

/** What a run may leave behind, taken before and compared after. */
interface Traces {
  /** Namespaces named conform-*. */
  readonly namespaces: string[];
  /** Links of the machine's namespace with the names these networks use on the host side. */
  readonly hostLinks: string[];
  /** conform's temporary directories. */
  readonly tempDirs: string[];
  /** host-local's default reservation directories. */
  readonly reservations: string[];
}

/** The host-side link names of the networks below. */
const HOST_SIDE_NAMES = /^(cni-mysample|cfbr\d+|cfm\d+)$/;

async function names(dir: string, pattern: RegExp): Promise<string[]> {
  const found: string[] = [];
  try {
    for await (const entry of Deno.readDir(dir)) {
      if (pattern.test(entry.name)) found.push(entry.name);
    }
  } catch (error) {
    if (!(error instanceof Deno.errors.NotFound)) throw error;
  }
  return found.sort();
}

async function traces(): Promise<Traces> {
  const namespaces = (await runOk(["ip", "netns", "list"])).stdout.split("\n")
    .map((line) => line.split(" ")[0]!).filter((name) => name.startsWith("conform-")).sort();
  const links = JSON.parse((await runOk(["ip", "-j", "link", "show"])).stdout) as {
    ifname: string;
  }[];
  return {
    namespaces,
    hostLinks: links.map((l) => l.ifname).filter((n) => HOST_SIDE_NAMES.test(n)).sort(),
    tempDirs: await names(Deno.env.get("TMPDIR") ?? "/tmp", /^conform-[0-9a-f]+$/),
    reservations: await names("/var/lib/cni/networks", /./),
  };
}

/** Runs `fn` and asserts that it left no trace. */
async function leavesNothing(fn: () => Promise<void>): Promise<void> {
  const before = await traces();
  await fn();
  assert.deepEqual(await traces(), before);
}

const ATTACHMENT_ONLY_SKIPS = (plugins: readonly string[]) =>
  plugins.flatMap((p) => [`${p} status`, `${p} gc`]);

Deno.test({
  name: "conform passes the project's networks",
  ignore: skip !== undefined,
  async fn(t) {
    await ensureProjectBin();
    const cleanup = new Cleanup();
    try {
      const dir = await makeTempDir(cleanup, "dcni-conform-");
      const cniPath = `${PROJECT_BIN}:${REFERENCE_PLUGIN_DIR}`;
      const networks: [string, string[]][] = [
        ["mysample", ["bridge", "sample"]],
        ["noop", ["deno-noop"]],
        ["ptpnet", ["deno-ptp"]],
      ];
      for (const [network, plugins] of networks) {
        await t.step(`netconf: ${network}`, async () => {
          await leavesNothing(async () => {
            const result = await conform(
              [network],
              { CNI_PATH: cniPath, NETCONFPATH: PROJECT_NETCONF },
              dir,
            );
            assertPassed(result, ATTACHMENT_ONLY_SKIPS(plugins));
            assert.equal(result.report.network, network);
          });
        });
      }
      await t.step("deno-noop at spec 1.1.0: STATUS and GC too", async () => {
        const file = `${dir}/noop11.conflist`;
        await Deno.writeTextFile(
          file,
          JSON.stringify({ cniVersion: "1.1.0", name: "noop11", plugins: [{ type: "deno-noop" }] }),
        );
        await leavesNothing(async () => {
          const result = await conform(["--config", file], { CNI_PATH: cniPath }, dir);
          assertPassed(result, []);
          assert.equal(result.report.summary.checks, 14);
        });
      });
    } finally {
      await cleanup.run();
    }
  },
});

/** The kernel can make a link of `kind` (some kernels lack ipvlan, vlan or vrf). */
async function kernelHas(kind: string): Promise<boolean> {
  const netns = await createNetns();
  try {
    await runOk(["ip", "-n", netns.name, "link", "add", "m0", "type", "veth", "peer", "m1"]);
    return (await run(["ip", "-n", netns.name, "link", "add", "k0", "link", "m0", "type", kind]))
      .code === 0;
  } finally {
    await deleteNetns(netns);
  }
}

Deno.test({
  name: "conform passes Debian's reference plugins where they conform",
  ignore: skip !== undefined,
  async fn(t) {
    const cleanup = new Cleanup();
    try {
      const dir = await makeTempDir(cleanup, "dcni-conform-");
      const netconf = `${dir}/net.d`;
      await Deno.mkdir(netconf);
      // macvlan and ipvlan need a master link on the host side: a namespace of the test's own
      // with one end of a veth pair in it.
      const hostSide = await createNetns();
      cleanup.defer(() => deleteNetns(hostSide));
      await runOk(["ip", "-n", hostSide.name, "link", "set", "lo", "up"]);
      await runOk([
        "ip",
        "-n",
        hostSide.name,
        "link",
        "add",
        "cfm0",
        "type",
        "veth",
        "peer",
        "cfm1",
      ]);
      await runOk(["ip", "-n", hostSide.name, "link", "set", "cfm0", "up"]);
      const ipam = (subnet: string) => ({
        type: "host-local",
        subnet,
        routes: [{ dst: "0.0.0.0/0" }],
      });
      const bridge = (name: string, subnet: string) => ({
        type: "bridge",
        bridge: name,
        isGateway: true,
        ipam: ipam(subnet),
      });
      const rows: [string, string, unknown[], string[], boolean][] = [
        ["bridge", "1.0.0", [bridge("cfbr0", "10.231.0.0/24")], ["bridge"], false],
        ["bridge-040", "0.4.0", [bridge("cfbr0", "10.231.1.0/24")], ["bridge"], false],
        ["bridge-031", "0.3.1", [bridge("cfbr0", "10.231.2.0/24")], ["bridge"], false],
        ["ptp", "1.0.0", [{ type: "ptp", ipam: ipam("10.232.0.0/24") }], ["ptp"], false],
        ["loopback", "1.0.0", [{ type: "loopback" }], ["loopback"], false],
        [
          "tuning",
          "1.0.0",
          [bridge("cfbr0", "10.235.0.0/24"), {
            type: "tuning",
            mtu: 1400,
            sysctl: { "net.ipv4.conf.eth0.accept_redirects": "0" },
          }],
          ["bridge", "tuning"],
          false,
        ],
        [
          "static",
          "1.0.0",
          [{
            type: "bridge",
            bridge: "cfbr0",
            ipam: { type: "static", addresses: [{ address: "10.240.0.5/24" }] },
          }],
          ["bridge"],
          false,
        ],
        [
          "macvlan",
          "1.0.0",
          [{
            type: "macvlan",
            master: "cfm0",
            mode: "bridge",
            ipam: ipam("10.233.0.0/24"),
          }],
          ["macvlan"],
          true,
        ],
      ];
      if (onPath("iptables") && isFile(`${REFERENCE_PLUGIN_DIR}/portmap`)) {
        rows.push([
          "portmap",
          "1.0.0",
          [bridge("cfbr0", "10.236.0.0/24"), {
            type: "portmap",
            capabilities: { portMappings: true },
          }],
          ["bridge", "portmap"],
          false,
        ]);
      } else console.log("conform e2e: portmap row skipped, missing: iptables or portmap");
      if (onPath("iptables") && isFile(`${REFERENCE_PLUGIN_DIR}/firewall`)) {
        rows.push([
          "firewall",
          "1.0.0",
          [bridge("cfbr0", "10.237.0.0/24"), {
            type: "firewall",
            backend: "iptables",
          }],
          ["bridge", "firewall"],
          false,
        ]);
      } else console.log("conform e2e: firewall row skipped, missing: iptables or firewall");
      if (isFile(`${REFERENCE_PLUGIN_DIR}/bandwidth`)) {
        rows.push([
          "bandwidth",
          "1.0.0",
          [bridge("cfbr0", "10.238.0.0/24"), {
            type: "bandwidth",
            ingressRate: 1_000_000,
            ingressBurst: 100_000,
            egressRate: 1_000_000,
            egressBurst: 100_000,
          }],
          ["bridge", "bandwidth"],
          false,
        ]);
      } else console.log("conform e2e: bandwidth row skipped, missing: bandwidth");
      if (await kernelHas("ipvlan") && isFile(`${REFERENCE_PLUGIN_DIR}/ipvlan`)) {
        rows.push([
          "ipvlan",
          "1.0.0",
          [{
            type: "ipvlan",
            master: "cfm0",
            ipam: ipam("10.234.0.0/24"),
          }],
          ["ipvlan"],
          true,
        ]);
      } else console.log("conform e2e: ipvlan row skipped, missing: the kernel's ipvlan links");
      for (const [name, cniVersion, plugins, types, needsHost] of rows) {
        await t.step(`${name} (${cniVersion})`, async () => {
          const network = `conform-ref-${name}`;
          await writeConflist(netconf, { cniVersion, name: network, plugins });
          await leavesNothing(async () => {
            const result = await conform(
              [...(needsHost ? ["--host-netns", hostSide.name] : []), network],
              { CNI_PATH: REFERENCE_PLUGIN_DIR, NETCONFPATH: netconf },
              dir,
            );
            const noCheck = cniVersion === "0.3.1" ? types.map((p) => `${p} check`) : [];
            const skipped = types.flatMap((p) => [
              ...noCheck.filter((c) => c.startsWith(`${p} `)),
              `${p} status`,
              `${p} gc`,
            ]);
            assertPassed(result, skipped);
          });
        });
      }
    } finally {
      await cleanup.run();
    }
  },
});

Deno.test({
  name: "conform fails each broken plugin on the check it gets wrong, in real namespaces",
  ignore: skip !== undefined,
  async fn(t) {
    const cleanup = new Cleanup();
    try {
      const dir = await makeTempDir(cleanup, "dcni-conform-");
      await writeLaunchers(`${dir}/bin`);
      for (const fake of FAKE_PLUGINS) {
        await t.step(`${fake.name}: ${fake.defect}`, async () => {
          await leavesNothing(async () => {
            const result = await conform(
              ["--config", configPath(fake.name), "--plugin", `${dir}/bin/${fake.name}`],
              {},
              dir,
            );
            const named = (checks: readonly string[]) => checks.map((c) => `${fake.name} ${c}`);
            assert.deepEqual(outcomes(result.report, "fail"), named(fake.fails), result.stdout);
            assert.deepEqual(outcomes(result.report, "skip"), named(fake.skips));
            assert.equal(result.code, fake.fails.length === 0 ? 0 : 1);
            for (const check of fake.fails) {
              assert.match(result.stdout, new RegExp(`^FAIL ${fake.name} ${check}: .+$`, "m"));
            }
          });
        });
      }
    } finally {
      await cleanup.run();
    }
  },
});

/**
 * What a stream prints, gathered as it comes; `seen(text)` resolves as soon as the text has
 * appeared (or the stream ended), within the same turn that read it.
 */
function gather(stream: ReadableStream<Uint8Array>): {
  text(): string;
  seen(part: string): Promise<void>;
  done: Promise<void>;
} {
  let text = "";
  const decoder = new TextDecoder();
  const waiting: { part: string; resolve: () => void }[] = [];
  const wake = (ended: boolean) => {
    for (const w of waiting.splice(0)) {
      if (ended || text.includes(w.part)) w.resolve();
      else waiting.push(w);
    }
  };
  const done = (async () => {
    for await (const chunk of stream) {
      text += decoder.decode(chunk, { stream: true });
      wake(false);
    }
    wake(true);
  })();
  return {
    text: () => text,
    seen: (part) =>
      text.includes(part)
        ? Promise.resolve()
        : new Promise((resolve) => waiting.push({ part, resolve })),
    done,
  };
}

/** Waits for `check` to hold, at most `timeoutMs` (generous: the machine may be busy). */
async function until(what: string, check: () => Promise<boolean>, timeoutMs = 60_000) {
  const deadline = Date.now() + timeoutMs;
  while (!await check()) {
    if (Date.now() > deadline) throw new Error(`gave up waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

Deno.test({
  name:
    "an interrupted conform kills its plugin and removes its namespaces and temporary directory",
  ignore: skip !== undefined,
  async fn(t) {
    const cleanup = new Cleanup();
    try {
      const dir = await makeTempDir(cleanup, "dcni-conform-");
      // A plugin that hangs in VERSION, after it wrote its process ID (its process group's).
      await Deno.mkdir(`${dir}/bin`);
      await Deno.writeTextFile(
        `${dir}/bin/hang`,
        `#!/bin/sh\necho $$ >> '${dir}/pids'\nexec sleep 120\n`,
        { mode: 0o755 },
      );
      await Deno.chmod(`${dir}/bin/hang`, 0o755);
      await Deno.writeTextFile(
        `${dir}/hang.json`,
        JSON.stringify({ cniVersion: "1.0.0", name: "hang", type: "hang" }),
      );
      const pids = async () =>
        (await Deno.readTextFile(`${dir}/pids`).catch(() => "")).split("\n").filter((l) => l)
          .map(Number);
      const rows: [string, Deno.Signal[]][] = [
        ["SIGTERM", ["SIGTERM"]],
        ["SIGINT twice, as Ctrl-C often delivers it: the second waits for the cleanup", [
          "SIGINT",
          "SIGINT",
        ]],
      ];
      for (const [name, signals] of rows) {
        await t.step(name, async () => {
          await Deno.remove(`${dir}/pids`).catch(() => {});
          const before = await traces();
          const child = new Deno.Command(Deno.execPath(), {
            args: [
              "run",
              ...CONFORM_PERMISSIONS,
              `${ROOT}/cli/conform.ts`,
              "--config",
              "hang.json",
            ],
            cwd: dir,
            // Only what conform needs: an INIT_CWD inherited from `deno task` would move it.
            clearEnv: true,
            env: {
              CNI_PATH: `${dir}/bin`,
              PATH: Deno.env.get("PATH") ?? "/usr/sbin:/usr/bin:/sbin:/bin",
            },
            stdout: "piped",
            stderr: "piped",
          }).spawn();
          const stdout = gather(child.stdout);
          const stderr = gather(child.stderr);
          let pgid: number | undefined;
          try {
            // The plugin runs once conform made its namespaces; then interrupt it.
            await until("the plugin", async () => (await pids()).length > 0);
            pgid = (await pids())[0]!;
            const started = Date.now();
            const [first, ...later] = signals;
            child.kill(first!);
            for (const signal of later) {
              // At once when conform says it is cleaning up: the signal comes in the middle of it.
              await stderr.seen(`conform: ${first}, cleaning up`);
              try {
                child.kill(signal);
              } catch {
                // It finished first; what it left is checked all the same.
              }
            }
            const status = await child.status;
            await Promise.all([stdout.done, stderr.done]);
            assert.equal(status.code, 130, stderr.text());
            assert.match(stderr.text(), new RegExp(`conform: ${first}, cleaning up`));
            assert.equal(stdout.text(), "");
            // Well before the plugin's 120 s: it was killed, with its process group.
            assert.ok(Date.now() - started < 60_000);
            const members = await groupMembersGone(pgid);
            assert.deepEqual(members, []);
            assert.deepEqual(await pids(), [pgid]);
            assert.deepEqual(await traces(), before);
          } finally {
            if (pgid !== undefined) killGroup(pgid);
            try {
              child.kill("SIGKILL");
            } catch {
              // It ended.
            }
            await child.status;
            await Promise.all([stdout.done, stderr.done]).catch(() => {});
          }
        });
      }
    } finally {
      await cleanup.run();
    }
  },
});
