/**
 * The ptp example (examples/ptp.ts), in-process through the dispatcher with a fake exec standing
 * in for `ip`, `nsenter`, `sysctl` and the IPAM plugin: which commands each verb runs, what it
 * prints, how failures are cleaned up, and how GC and STATUS are forwarded. Expected outcomes
 * (exit status, stdout as data, the commands run) live in tests/testdata/ptp/verbs.json.
 *
 * The end-to-end tests (tests/e2e/ptp_test.ts) run the same plugin against real namespaces.
 */
import assert from "node:assert/strict";
import { ptpPlugin } from "../examples/ptp.ts";
import { type DelegateExec, type DelegateRunOutput, dispatch, type PluginIo } from "../lib/mod.ts";
import { runPlugin } from "./_process.ts";

const CNI_PATH = "/opt/cni/bin";
const IPAM = `${CNI_PATH}/host-local`;
const NETNS = "/var/run/netns/c1";

const ENV: Readonly<Record<string, string>> = {
  CNI_COMMAND: "ADD",
  CNI_CONTAINERID: "c1",
  CNI_NETNS: NETNS,
  CNI_IFNAME: "eth0",
  CNI_PATH,
};

/** What host-local answers to ADD by default: one IPv4 address and a default route. */
const IPAM_RESULT = {
  cniVersion: "1.0.0",
  ips: [{ address: "10.1.2.5/24", gateway: "10.1.2.1" }],
  routes: [{ dst: "0.0.0.0/0" }],
  dns: {},
};

/** The result of a successful ADD, as libcni caches it and hands it to CHECK. */
const PREV_RESULT = {
  cniVersion: "1.1.0",
  interfaces: [
    { name: "veth0a1b2c3d", mac: "0a:00:00:00:00:01" },
    { name: "eth0", mac: "0a:00:00:00:00:02", sandbox: NETNS },
  ],
  ips: [{ address: "10.1.2.5/24", gateway: "10.1.2.1", interface: 1 }],
  routes: [{ dst: "0.0.0.0/0" }],
};

function conf(extra: Record<string, unknown> = {}): string {
  return JSON.stringify({
    cniVersion: "1.1.0",
    name: "ptpnet",
    type: "ptp",
    ipam: { type: "host-local", subnet: "10.1.2.0/24" },
    ...extra,
  });
}

const ok = (stdout = ""): DelegateRunOutput => ({ code: 0, stdout, stderr: "" });
const fail = (stderr: string, stdout = ""): DelegateRunOutput => ({ code: 1, stdout, stderr });

/** `ip -j` output for one link. */
function linkJson(name: string, mac: string, extra: Record<string, unknown> = {}): string {
  return JSON.stringify([{ ifname: name, address: mac, ...extra }]) + "\n";
}

/** The kernel state CHECK reads back in the container and on the host. */
const CONTAINER_STATE = [
  JSON.stringify([{
    ifname: "eth0",
    address: "0a:00:00:00:00:02",
    linkinfo: { info_kind: "veth" },
    addr_info: [{ family: "inet", local: "10.1.2.5", prefixlen: 24 }],
  }]),
  JSON.stringify([
    { dst: "default", gateway: "10.1.2.1", dev: "eth0", table: "main" },
    { dst: "10.1.2.0/24", gateway: "10.1.2.1", dev: "eth0", table: "main" },
    { dst: "10.1.2.1", dev: "eth0", table: "main" },
  ]),
].join("\n") + "\n";

const HOST_STATE = [
  JSON.stringify([{ ifname: "veth0a1b2c3d", linkinfo: { info_kind: "veth" } }]),
  JSON.stringify([{ dst: "10.1.2.5", dev: "veth0a1b2c3d" }]),
].join("\n") + "\n";

/** Where the fake world keeps `ip`, `nsenter` and `sysctl` (Debian's places). */
const SYSTEM_PROGRAMS = ["/bin/ip", "/usr/bin/nsenter", "/usr/sbin/sysctl"];

/** A command line as the expectations write it: the words, and the IPAM verb for the delegate. */
function describe(path: string, args: readonly string[], env: Record<string, string>): string {
  const verb = env.CNI_COMMAND === undefined ? "" : `CNI_COMMAND=${env.CNI_COMMAND} `;
  return verb + [path, ...args].join(" ");
}

/**
 * A fake world: the default answers of a machine where everything works, with `answer` taking
 * over for the commands a case wants to differ.
 */
function fakeExec(answer: (line: string, stdin: string) => DelegateRunOutput | Error | undefined) {
  const calls: { cmd: string; stdin?: string[] }[] = [];
  const exec: DelegateExec = {
    isFile: (path) => Promise.resolve([IPAM, ...SYSTEM_PROGRAMS].includes(path)),
    run(path, args, options) {
      const actual = describe(path, args, options.env);
      // The default answers match programs by name, wherever they were found.
      const line = path === IPAM ? actual : describe(path.split("/").pop()!, args, options.env);
      const stdin = typeof options.stdin === "string"
        ? options.stdin
        : new TextDecoder().decode(options.stdin);
      const ipam = path === IPAM;
      calls.push(
        ipam || stdin === ""
          ? { cmd: actual }
          : { cmd: actual, stdin: stdin.trimEnd().split("\n") },
      );
      const custom = answer(actual, stdin);
      if (custom instanceof Error) return Promise.reject(custom);
      if (custom !== undefined) return Promise.resolve(custom);
      if (ipam) {
        return Promise.resolve(
          ok(options.env.CNI_COMMAND === "ADD" ? JSON.stringify(IPAM_RESULT) : ""),
        );
      }
      if (line.startsWith("sysctl -n")) return Promise.resolve(ok("0\n"));
      if (line.endsWith("link show dev eth0")) {
        return Promise.resolve(fail('Device "eth0" does not exist.\n'));
      }
      if (line.endsWith("-d -j -batch -")) {
        return Promise.resolve(ok(line.startsWith("nsenter") ? CONTAINER_STATE : HOST_STATE));
      }
      if (line.endsWith("-j -batch -")) {
        return Promise.resolve(ok(
          line.startsWith("nsenter")
            ? linkJson("eth0", "0a:00:00:00:00:02")
            : linkJson("veth0a1b2c3d", "0a:00:00:00:00:01"),
        ));
      }
      return Promise.resolve(ok());
    },
    writeStderr: () => {},
  };
  return { exec, calls };
}

/** One row: the environment changes, stdin and how the fake world differs. */
interface Row {
  id: string;
  name: string;
  env?: Record<string, string | undefined>;
  stdin: string;
  answer?: (line: string, stdin: string) => DelegateRunOutput | Error | undefined;
}

/** What a row produced, in the form of the expectations file. */
interface Outcome {
  code: number;
  stdout: unknown;
  calls: { cmd: string; stdin?: string[] }[];
}

async function runRow(row: Row): Promise<Outcome> {
  const env: Record<string, string> = { ...ENV };
  for (const [key, value] of Object.entries(row.env ?? {})) {
    if (value === undefined) delete env[key];
    else env[key] = value;
  }
  const { exec, calls } = fakeExec(row.answer ?? (() => undefined));
  let stdout = "";
  const io: PluginIo = {
    getenv: (name) => env[name],
    readStdin: () => Promise.resolve(new TextEncoder().encode(row.stdin)),
    writeStdout: (text) => void (stdout += text),
    writeStderr: () => {},
  };
  const plugin = ptpPlugin({ exec, hostVethName: () => "veth0a1b2c3d", timeoutMs: 5000 });
  const code = await dispatch(plugin, io);
  return { code, stdout: stdout === "" ? null : JSON.parse(stdout), calls };
}

const DEL = { CNI_COMMAND: "DEL" };
const CHECK = { CNI_COMMAND: "CHECK" };
const GC = { CNI_COMMAND: "GC", CNI_CONTAINERID: "", CNI_NETNS: "", CNI_IFNAME: "" };
const STATUS = { CNI_COMMAND: "STATUS", CNI_CONTAINERID: "", CNI_NETNS: "", CNI_IFNAME: "" };

const ROWS: Row[] = [
  {
    id: "ADD",
    name: "ADD creates the veth pair, configures both ends and prints the result",
    stdin: conf(),
  },
  {
    id: "ADD 0.4.0 mtu dns",
    name: "ADD under a 0.4.0 config with mtu and dns prints a 0.4.0 result",
    stdin: conf({ cniVersion: "0.4.0", mtu: 1400, dns: { nameservers: ["10.1.2.1"] } }),
  },
  {
    id: "ADD route extras",
    name: "ADD applies the 1.1.0 route fields of the IPAM result",
    stdin: conf(),
    answer: (line) =>
      line.startsWith("CNI_COMMAND=ADD")
        ? ok(JSON.stringify({
          cniVersion: "1.1.0",
          ips: [{ address: "10.1.2.5/24", gateway: "10.1.2.1" }],
          routes: [{
            dst: "10.50.0.0/16",
            gw: "10.1.2.254",
            mtu: 1300,
            advmss: 1260,
            priority: 10,
            table: 100,
            scope: 0,
          }],
        }))
        : undefined,
  },
  {
    id: "ADD without PATH",
    name: "ADD finds ip, nsenter and sysctl in the system directories when PATH does not",
    stdin: conf(),
    answer: (line) => {
      if (!/^(ip|nsenter|sysctl) /.test(line)) return undefined;
      const error = new Error(`Failed to spawn '${line.split(" ")[0]}': entity not found`);
      error.name = "NotFound";
      return error;
    },
  },
  {
    id: "ADD ipam fails",
    name: "ADD passes the IPAM plugin's error through unchanged and touches nothing",
    stdin: conf(),
    answer: (line) =>
      line.startsWith("CNI_COMMAND=ADD")
        ? fail("", '{"code":11,"msg":"no free addresses"}')
        : undefined,
  },
  {
    id: "ADD ipam type is a path",
    name: "ADD refuses an ipam type with a path separator",
    stdin: conf({ ipam: { type: "/bin/sh" } }),
  },
  {
    id: "ADD no ipam",
    name: "ADD without ipam fails with no plugin name provided",
    stdin: conf({ ipam: undefined }),
  },
  {
    id: "ADD no IPs",
    name: "ADD releases the IPAM reservation when the IPAM result has no IP",
    stdin: conf(),
    answer: (line) => line.startsWith("CNI_COMMAND=ADD") ? ok('{"cniVersion":"1.0.0"}') : undefined,
  },
  {
    id: "ADD ifname taken",
    name: "ADD fails when CNI_IFNAME exists in the namespace and releases the reservation",
    stdin: conf(),
    answer: (line) =>
      line.endsWith("link show dev eth0") ? ok(linkJson("eth0", "0a:00:00:00:00:09")) : undefined,
  },
  {
    id: "ADD netns missing",
    name: "ADD fails when CNI_NETNS does not open and releases the reservation",
    stdin: conf(),
    answer: (line) =>
      line.endsWith("link show dev eth0")
        ? fail("nsenter: cannot open /var/run/netns/c1: No such file or directory\n")
        : undefined,
  },
  {
    id: "ADD container config fails",
    name: "ADD removes the veth pair and releases the reservation when configuring it fails",
    stdin: conf(),
    answer: (line) =>
      line.startsWith("nsenter") && line.endsWith("-j -batch -")
        ? fail("Error: Nexthop has invalid gateway.\nCommand failed -:3\n")
        : undefined,
  },
  {
    id: "ADD ipMasq",
    name: "ADD refuses ipMasq with code 2 before delegating",
    stdin: conf({ ipMasq: true }),
  },
  {
    id: "ADD bad mtu",
    name: "ADD refuses an mtu out of range with code 7",
    stdin: conf({ mtu: 20 }),
  },
  {
    id: "DEL",
    name: "DEL releases the address and deletes the container's link",
    env: DEL,
    stdin: conf(),
  },
  {
    id: "DEL netns gone",
    name: "DEL succeeds when the namespace is already gone",
    env: DEL,
    stdin: conf(),
    answer: (line) =>
      line.startsWith("nsenter")
        ? fail("nsenter: cannot open /var/run/netns/c1: No such file or directory\n")
        : undefined,
  },
  {
    id: "DEL link gone",
    name: "DEL succeeds when the link is already gone",
    env: DEL,
    stdin: conf(),
    answer: (line) => line.startsWith("nsenter") ? fail('Cannot find device "eth0"\n') : undefined,
  },
  {
    id: "DEL no netns",
    name: "DEL without CNI_NETNS only releases the address",
    env: { ...DEL, CNI_NETNS: undefined },
    stdin: conf(),
  },
  {
    id: "DEL ipam fails",
    name: "DEL passes the IPAM plugin's error through and leaves the link",
    env: DEL,
    stdin: conf(),
    answer: (line) =>
      line.startsWith("CNI_COMMAND=DEL") ? fail("", '{"code":11,"msg":"store locked"}') : undefined,
  },
  {
    id: "CHECK",
    name: "CHECK passes when link, addresses and routes are as the result says",
    env: CHECK,
    stdin: conf({ prevResult: PREV_RESULT }),
  },
  {
    id: "CHECK address removed",
    name: "CHECK fails when the container address is gone",
    env: CHECK,
    stdin: conf({ prevResult: PREV_RESULT }),
    answer: (line) =>
      line.startsWith("nsenter")
        ? ok(CONTAINER_STATE.replace(',"prefixlen":24', ',"prefixlen":16'))
        : undefined,
  },
  {
    id: "CHECK route removed",
    name: "CHECK fails when the default route is gone",
    env: CHECK,
    stdin: conf({ prevResult: PREV_RESULT }),
    answer: (line) =>
      line.startsWith("nsenter")
        ? ok(CONTAINER_STATE.replace('"dst":"default"', '"dst":"10.9.0.0/16"'))
        : undefined,
  },
  {
    id: "CHECK host route removed",
    name: "CHECK fails when the host route to the container is gone",
    env: CHECK,
    stdin: conf({ prevResult: PREV_RESULT }),
    answer: (line) =>
      line === "ip -d -j -batch -" ? ok(HOST_STATE.replace('"10.1.2.5"', '"10.1.2.6"')) : undefined,
  },
  {
    id: "CHECK link gone",
    name: "CHECK fails when the container's link is gone",
    env: CHECK,
    stdin: conf({ prevResult: PREV_RESULT }),
    answer: (line) =>
      line.startsWith("nsenter") ? fail('Device "eth0" does not exist.\n') : undefined,
  },
  {
    id: "CHECK no prevResult",
    name: "CHECK without prevResult fails after the IPAM plugin's CHECK",
    env: CHECK,
    stdin: conf(),
  },
  {
    id: "CHECK other netns",
    name: "CHECK fails when the result's sandbox is another namespace",
    env: { ...CHECK, CNI_NETNS: "/var/run/netns/other" },
    stdin: conf({ prevResult: PREV_RESULT }),
  },
  {
    id: "GC",
    name: "GC forwards the valid attachments to the IPAM plugin",
    env: GC,
    stdin: conf({ "cni.dev/valid-attachments": [{ containerID: "c1", ifname: "eth0" }] }),
  },
  {
    id: "GC ipam fails",
    name: "GC passes the IPAM plugin's error through unchanged",
    env: GC,
    stdin: conf({ "cni.dev/valid-attachments": [] }),
    answer: (line) =>
      line.startsWith("CNI_COMMAND=GC")
        ? fail("", '{"code":5,"msg":"cannot read store"}')
        : undefined,
  },
  {
    id: "GC 1.0.0",
    name: "GC under a 1.0.0 config is refused before anything runs",
    env: GC,
    stdin: conf({ cniVersion: "1.0.0" }),
  },
  {
    id: "STATUS",
    name: "STATUS asks the IPAM plugin and succeeds with it",
    env: STATUS,
    stdin: conf(),
  },
  {
    id: "STATUS ipam 51",
    name: "STATUS passes the IPAM plugin's code 51 through unchanged",
    env: STATUS,
    stdin: conf(),
    answer: (line) =>
      line.startsWith("CNI_COMMAND=STATUS")
        ? fail("", '{"code":51,"msg":"address pool nearly exhausted","details":"2 left"}')
        : undefined,
  },
  {
    id: "STATUS ipam missing",
    name: "STATUS reports code 50 when the IPAM plugin is not in CNI_PATH",
    env: STATUS,
    stdin: conf({ ipam: { type: "nope" } }),
  },
  {
    id: "STATUS no ipam",
    name: "STATUS reports code 50 when no IPAM plugin is configured",
    env: STATUS,
    stdin: conf({ ipam: undefined }),
  },
  {
    id: "VERSION",
    name: "VERSION lists every spec version up to 1.1.0",
    env: { CNI_COMMAND: "VERSION" },
    stdin: "",
  },
];

Deno.test("ptp with a fake exec", async (t) => {
  const expected = JSON.parse(
    await Deno.readTextFile(new URL("testdata/ptp/verbs.json", import.meta.url)),
  ) as Record<string, Outcome>;
  assert.deepEqual(
    ROWS.map((r) => r.id).sort(),
    Object.keys(expected).sort(),
    "rows and expectations",
  );
  for (const row of ROWS) {
    await t.step(`ptp: ${row.name}`, async () => {
      assert.deepEqual(await runRow(row), expected[row.id]);
    });
  }
});

Deno.test("ptp as a real process forwards to a real IPAM plugin with its baked-in permissions", async (t) => {
  const dir = await Deno.makeTempDir({ prefix: "dcni-ptp-" });
  try {
    // A stand-in IPAM plugin: records its verb, environment and stdin, then answers as
    // $dir/answer-<verb> says (exit status on the first line, stdout after it), or succeeds.
    await Deno.writeTextFile(
      `${dir}/fake-ipam`,
      `#!/bin/sh
PATH=/usr/sbin:/usr/bin:/sbin:/bin
cat > "${dir}/stdin-$CNI_COMMAND"
env > "${dir}/env-$CNI_COMMAND"
if [ -f "${dir}/answer-$CNI_COMMAND" ]; then
  sed 1d "${dir}/answer-$CNI_COMMAND"
  exit "$(head -n 1 "${dir}/answer-$CNI_COMMAND")"
fi
`,
      { mode: 0o755 },
    );
    const env = { CNI_PATH: `/nonexistent:${dir}` };
    const stdin = conf({
      ipam: { type: "fake-ipam" },
      "cni.dev/valid-attachments": [{ containerID: "c9", ifname: "eth1" }],
    });

    await t.step("GC runs the IPAM plugin with CNI_COMMAND=GC and the same stdin", async () => {
      const run = await runPlugin("ptp", { env: { ...env, CNI_COMMAND: "GC" }, stdin });
      assert.deepEqual([run.code, run.stdout, run.stderr], [0, "", ""]);
      assert.equal(await Deno.readTextFile(`${dir}/stdin-GC`), stdin);
      const seen = await Deno.readTextFile(`${dir}/env-GC`);
      assert.match(seen, /^CNI_COMMAND=GC$/m);
      assert.match(seen, new RegExp(`^CNI_PATH=/nonexistent:${dir}$`, "m"));
    });

    await t.step("STATUS succeeds when the IPAM plugin does", async () => {
      const run = await runPlugin("ptp", { env: { ...env, CNI_COMMAND: "STATUS" }, stdin });
      assert.deepEqual([run.code, run.stdout, run.stderr], [0, "", ""]);
    });

    await t.step("STATUS passes the IPAM plugin's code 50 through unchanged", async () => {
      await Deno.writeTextFile(`${dir}/answer-STATUS`, '1\n{"code":50,"msg":"pool offline"}\n');
      const run = await runPlugin("ptp", { env: { ...env, CNI_COMMAND: "STATUS" }, stdin });
      assert.equal(run.code, 1);
      assert.deepEqual(run.json, { code: 50, msg: "pool offline" });
    });

    await t.step("DEL without CNI_NETNS only runs the IPAM plugin's DEL", async () => {
      const run = await runPlugin("ptp", {
        env: { ...env, CNI_COMMAND: "DEL", CNI_CONTAINERID: "c9", CNI_IFNAME: "eth1" },
        stdin,
      });
      assert.deepEqual([run.code, run.stdout, run.stderr], [0, "", ""]);
      assert.match(await Deno.readTextFile(`${dir}/env-DEL`), /^CNI_CONTAINERID=c9$/m);
    });

    await t.step(
      "ADD refuses an ipam type that is a path, so nothing else can be run",
      async () => {
        const run = await runPlugin("ptp", {
          env: {
            ...env,
            CNI_COMMAND: "ADD",
            CNI_CONTAINERID: "c9",
            CNI_NETNS: "/x",
            CNI_IFNAME: "eth1",
          },
          stdin: conf({ ipam: { type: `../${dir.split("/").pop()}/fake-ipam` } }),
        });
        assert.equal(run.code, 1);
        assert.deepEqual(run.json, {
          code: 999,
          msg: `invalid plugin name: ../${dir.split("/").pop()}/fake-ipam`,
        });
        await assert.rejects(Deno.stat(`${dir}/env-ADD`), Deno.errors.NotFound);
      },
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
