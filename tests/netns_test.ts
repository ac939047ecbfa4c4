/**
 * lib/netns.ts with a fake host: the exact argv of every method (through nsenter for a namespace
 * path, directly for the plugin's own), the environment programs get, parsing of `ip -j` output,
 * error mapping, and the checks that keep names and values from stdin from becoming anything but
 * one argument. No program really runs.
 */
import assert from "node:assert/strict";
import { CniError } from "../lib/errors.ts";
import {
  checkInterfaceName,
  CommandError,
  NamespaceMissingError,
  type Netns,
  netns,
  SYSTEM_DIRS,
  SYSTEM_PATH,
} from "../lib/netns.ts";
import { fakeHost, type FakeHostOptions, type FakeProgram } from "../lib/testing.ts";

const NS = "/var/run/netns/c1";
const IP = "/usr/sbin/ip";
const NSENTER = "/usr/bin/nsenter";
const SYSCTL = "/usr/sbin/sysctl";

/** A fake host with ip, nsenter and sysctl where Debian puts them, each answering `answer`. */
function hostWith(answer: FakeProgram = () => "", options: FakeHostOptions = {}) {
  return fakeHost({
    env: { PATH: "/home/user/bin", SECRET: "x" },
    ...options,
    programs: { [IP]: answer, [NSENTER]: answer, [SYSCTL]: answer, ...options.programs },
  });
}

/** Both toolkits over one host: in the namespace at NS and in the plugin's own. */
function both(answer: FakeProgram = () => "") {
  const host = hostWith(answer);
  return {
    host,
    inside: netns(NS, { host, timeoutMs: 1234 }),
    own: netns(undefined, { host }),
  };
}

/** The argv a method ran, program first. */
function argv(host: { runs: { program: string; args: string[] }[] }): string[][] {
  return host.runs.map((run) => [run.program, ...run.args]);
}

const PREFIX = [NSENTER, `--net=${NS}`, "--"];

Deno.test("netns() runs each method with the exact argv", async (t) => {
  const rows: { name: string; call: (ns: Netns) => Promise<unknown>; args: string[] }[] = [
    {
      name: "ip()",
      call: (ns) => ns.ip(["-4", "addr", "flush", "dev", "eth0"]),
      args: [IP, "-4", "addr", "flush", "dev", "eth0"],
    },
    { name: "links()", call: (ns) => ns.links(), args: [IP, "-j", "-d", "link", "show"] },
    {
      name: "link()",
      call: (ns) => ns.link("eth0"),
      args: [IP, "-j", "-d", "link", "show", "dev", "eth0"],
    },
    { name: "addresses()", call: (ns) => ns.addresses(), args: [IP, "-j", "addr", "show"] },
    {
      name: "addresses(dev)",
      call: (ns) => ns.addresses("eth0"),
      args: [IP, "-j", "addr", "show", "dev", "eth0"],
    },
    { name: "routes(4)", call: (ns) => ns.routes(4), args: [IP, "-j", "-4", "route", "show"] },
    {
      name: "routes(6, table)",
      call: (ns) => ns.routes(6, 100),
      args: [IP, "-j", "-6", "route", "show", "table", "100"],
    },
    {
      name: 'routes(4, "all")',
      call: (ns) => ns.routes(4, "all"),
      args: [IP, "-j", "-4", "route", "show", "table", "all"],
    },
    {
      name: "setLinkUp()",
      call: (ns) => ns.setLinkUp("eth0"),
      args: [IP, "link", "set", "dev", "eth0", "up"],
    },
    {
      name: "deleteLink()",
      call: (ns) => ns.deleteLink("veth1"),
      args: [IP, "link", "del", "dev", "veth1"],
    },
    {
      name: "createVeth()",
      call: (ns) => ns.createVeth({ name: "veth1", peerName: "eth0" }),
      args: [IP, "link", "add", "veth1", "type", "veth", "peer", "name", "eth0"],
    },
    {
      name: "createVeth() with an MTU and a peer namespace",
      call: (ns) =>
        ns.createVeth({
          name: "veth1",
          peerName: "eth0",
          mtu: 1400,
          peerNetns: "/run/netns/other",
        }),
      args: [
        IP,
        "link",
        "add",
        "veth1",
        "mtu",
        "1400",
        "type",
        "veth",
        "peer",
        "name",
        "eth0",
        "mtu",
        "1400",
        "netns",
        "/run/netns/other",
      ],
    },
    {
      name: "addAddress()",
      call: (ns) => ns.addAddress("eth0", "10.1.0.5/24"),
      args: [IP, "addr", "add", "10.1.0.5/24", "dev", "eth0"],
    },
    {
      name: "addAddress() with noprefixroute and nodad for IPv6",
      call: (ns) => ns.addAddress("eth0", "2001:DB8:0::5/64", { noPrefixRoute: true, noDad: true }),
      args: [IP, "addr", "add", "2001:db8::5/64", "dev", "eth0", "noprefixroute", "nodad"],
    },
    {
      name: "addAddress() without nodad for IPv4",
      call: (ns) => ns.addAddress("eth0", "10.1.0.5/24", { noDad: true }),
      args: [IP, "addr", "add", "10.1.0.5/24", "dev", "eth0"],
    },
    {
      name: "addRoute() with every attribute",
      call: (ns) =>
        ns.addRoute({
          dst: "10.9.0.0/16",
          via: "10.1.0.1",
          dev: "eth0",
          src: "10.1.0.5",
          scope: "global",
          table: 100,
          metric: 20,
          mtu: 1400,
          advmss: 1360,
        }),
      args: [
        IP,
        "route",
        "add",
        "10.9.0.0/16",
        "via",
        "10.1.0.1",
        "dev",
        "eth0",
        "src",
        "10.1.0.5",
        "scope",
        "global",
        "table",
        "100",
        "metric",
        "20",
        "mtu",
        "1400",
        "advmss",
        "1360",
      ],
    },
    {
      name: "addRoute() for a host route with a numeric scope",
      call: (ns) => ns.addRoute({ dst: "10.1.0.1", dev: "eth0", scope: 253 }),
      args: [IP, "route", "add", "10.1.0.1/32", "dev", "eth0", "scope", "253"],
    },
    {
      name: "addRoute() for the default route",
      call: (ns) => ns.addRoute({ dst: "default", via: "fe80::1", dev: "eth0" }),
      args: [IP, "route", "add", "default", "via", "fe80::1", "dev", "eth0"],
    },
    {
      name: "addRoute() writing addresses canonically",
      call: (ns) =>
        ns.addRoute({
          dst: "2001:DB8:0:0::/64",
          via: "2001:DB8::1",
          dev: "eth0",
          src: "::FFFF:10.1.0.5",
        }),
      args: [
        IP,
        "route",
        "add",
        "2001:db8::/64",
        "via",
        "2001:db8::1",
        "dev",
        "eth0",
        "src",
        "10.1.0.5",
      ],
    },
    {
      name: "addRoute() for an IPv6 host route",
      call: (ns) => ns.addRoute({ dst: "2001:DB8::9", dev: "eth0" }),
      args: [IP, "route", "add", "2001:db8::9/128", "dev", "eth0"],
    },
    {
      name: "sysctlGet()",
      call: (ns) => ns.sysctlGet("net.ipv4.ip_forward"),
      args: [SYSCTL, "-n", "net.ipv4.ip_forward"],
    },
    {
      name: "sysctlSet()",
      call: (ns) => ns.sysctlSet("net/ipv6/conf/eth0/disable_ipv6", "1"),
      args: [SYSCTL, "-q", "-w", "net/ipv6/conf/eth0/disable_ipv6=1"],
    },
    { name: "run()", call: (ns) => ns.run("ip", ["-V"]), args: [IP, "-V"] },
  ];
  for (const row of rows) {
    await t.step(`${row.name} in a namespace runs through nsenter`, async () => {
      const { host, inside } = both();
      await row.call(inside);
      assert.deepEqual(argv(host), [[...PREFIX, ...row.args]]);
    });
    await t.step(`${row.name} in the plugin's own namespace runs the program itself`, async () => {
      const { host, own } = both();
      await row.call(own);
      assert.deepEqual(argv(host), [row.args]);
    });
  }
});

Deno.test("netns() runs programs in a clean environment with a time limit", async (t) => {
  await t.step("programs get only PATH and LC_ALL", async () => {
    const { host, inside, own } = both();
    await inside.setLinkUp("eth0");
    await own.setLinkUp("eth0");
    for (const run of host.runs) {
      assert.deepEqual(run.env, { PATH: SYSTEM_PATH, LC_ALL: "C" });
    }
  });
  await t.step("SYSTEM_PATH is the system directories in order", () => {
    assert.deepEqual([...SYSTEM_DIRS], ["/usr/sbin", "/usr/bin", "/sbin", "/bin"]);
    assert.equal(SYSTEM_PATH, "/usr/sbin:/usr/bin:/sbin:/bin");
  });
  await t.step("programs run with the toolkit's time limit, one minute by default", async () => {
    const { host, inside, own } = both();
    const limits: number[] = [];
    const run = host.run;
    host.run = (program, args, options) => {
      limits.push(options.timeoutMs);
      assert.equal(options.clearEnv, true);
      return run(program, args, options);
    };
    await inside.setLinkUp("eth0");
    await own.setLinkUp("eth0");
    assert.deepEqual(limits, [1234, 60_000]);
  });
  await t.step("a program is taken from the first system directory that has it", async () => {
    const host = fakeHost({ programs: { "/sbin/ip": () => "", "/bin/ip": () => "" } });
    await netns(undefined, { host }).setLinkUp("eth0");
    assert.equal(host.runs[0]?.program, "/sbin/ip");
  });
  await t.step("run() takes a program name, not a path", async () => {
    const { host, own } = both();
    await assert.rejects(own.run("/tmp/ip", []), {
      message: "a program name, not a path: /tmp/ip",
    });
    await assert.rejects(own.run("../ip", []), { message: "a program name, not a path: ../ip" });
    assert.deepEqual(host.runs, []);
  });
  const missing = [
    {
      program: "ip",
      message: 'cannot find "ip" (Debian package iproute2) in /usr/sbin, /usr/bin, /sbin, /bin',
    },
    {
      program: "nsenter",
      message:
        'cannot find "nsenter" (Debian package util-linux) in /usr/sbin, /usr/bin, /sbin, /bin',
    },
    {
      program: "sysctl",
      message: 'cannot find "sysctl" (Debian package procps) in /usr/sbin, /usr/bin, /sbin, /bin',
    },
    { program: "tc", message: 'cannot find "tc" in /usr/sbin, /usr/bin, /sbin, /bin' },
  ];
  for (const row of missing) {
    await t.step(`a missing ${row.program} names its Debian package`, async () => {
      const programs: Record<string, FakeProgram> = {
        ip: () => "",
        nsenter: () => "",
        sysctl: () => "",
      };
      delete programs[row.program];
      const host = fakeHost({ programs });
      await assert.rejects(netns(NS, { host }).run(row.program, []), { message: row.message });
      assert.deepEqual(host.runs, []);
    });
  }
});

Deno.test("netns() parses ip -j output", async (t) => {
  const LINKS = JSON.stringify([
    {
      ifindex: 1,
      ifname: "lo",
      flags: ["LOOPBACK", "UP", "LOWER_UP"],
      mtu: 65536,
      address: "00:00:00:00:00:00",
    },
    {
      ifindex: 2,
      ifname: "eth0",
      flags: ["BROADCAST", "MULTICAST", "UP"],
      mtu: 1500,
      address: "0A:58:0A:01:00:05",
      linkinfo: { info_kind: "veth" },
    },
    {
      ifindex: 3,
      ifname: "dummy0",
      flags: ["BROADCAST", "NOARP"],
      mtu: 1500,
      linkinfo: { info_kind: "dummy" },
    },
  ]);
  await t.step("links() reads name, index, mtu, mac, up and kind", async () => {
    const { own } = both(() => LINKS);
    assert.deepEqual(await own.links(), [
      { name: "lo", index: 1, mtu: 65536, mac: "00:00:00:00:00:00", up: true },
      { name: "eth0", index: 2, mtu: 1500, mac: "0a:58:0a:01:00:05", up: true, kind: "veth" },
      { name: "dummy0", index: 3, mtu: 1500, up: false, kind: "dummy" },
    ]);
  });
  await t.step("links() reads empty output as no links", async () => {
    const { own } = both(() => "\n");
    assert.deepEqual(await own.links(), []);
  });
  await t.step("link() gives the first link listed", async () => {
    const { inside } = both(() => LINKS);
    assert.deepEqual(await inside.link("lo"), {
      name: "lo",
      index: 1,
      mtu: 65536,
      mac: "00:00:00:00:00:00",
      up: true,
    });
  });
  await t.step('link() gives undefined when ip says the device "does not exist"', async () => {
    const { inside } = both(() => ({ code: 1, stderr: 'Device "eth9" does not exist.\n' }));
    assert.equal(await inside.link("eth9"), undefined);
  });
  await t.step("link() throws other failures", async () => {
    const { inside } = both(() => ({
      code: 2,
      stderr: "RTNETLINK answers: Operation not permitted\n",
    }));
    await assert.rejects(inside.link("eth0"), CommandError);
  });
  await t.step("addresses() reads every address with its family and scope", async () => {
    const { own } = both(() =>
      JSON.stringify([
        {
          ifindex: 2,
          ifname: "eth0",
          addr_info: [
            { family: "inet", local: "10.1.0.5", prefixlen: 24, scope: "global" },
            { family: "inet6", local: "2001:DB8::5", prefixlen: 64, scope: "global" },
            { family: "inet6", local: "fe80::858:aff:fe01:5", prefixlen: 64, scope: "link" },
            { family: "inet", local: "bogus", prefixlen: 24 },
          ],
        },
        {
          ifindex: 1,
          ifname: "lo",
          addr_info: [{ family: "inet", local: "127.0.0.1", prefixlen: 8 }],
        },
        { ifindex: 3, ifname: "dummy0" },
      ])
    );
    assert.deepEqual(await own.addresses(), [
      { dev: "eth0", cidr: "10.1.0.5/24", family: 4, scope: "global" },
      { dev: "eth0", cidr: "2001:db8::5/64", family: 6, scope: "global" },
      { dev: "eth0", cidr: "fe80::858:aff:fe01:5/64", family: 6, scope: "link" },
      { dev: "lo", cidr: "127.0.0.1/8", family: 4 },
    ]);
  });
  await t.step(
    "routes() reads the default route as 0.0.0.0/0 and the rest canonically",
    async () => {
      const { own } = both(() =>
        JSON.stringify([
          { dst: "default", gateway: "10.1.0.1", dev: "eth0", flags: [] },
          {
            dst: "10.1.0.0/24",
            dev: "eth0",
            protocol: "kernel",
            scope: "link",
            prefsrc: "10.1.0.5",
            flags: [],
          },
          { dst: "10.9.0.1", dev: "eth0", metric: 20, table: "100", flags: [] },
          { dst: "127.0.0.0/8", dev: "lo", table: "local", scope: "host", flags: [] },
        ])
      );
      assert.deepEqual(await own.routes(4, "all"), [
        { dst: "0.0.0.0/0", gateway: "10.1.0.1", dev: "eth0", table: "main" },
        { dst: "10.1.0.0/24", dev: "eth0", table: "main", scope: "link", prefsrc: "10.1.0.5" },
        { dst: "10.9.0.1/32", dev: "eth0", table: "100", metric: 20 },
        { dst: "127.0.0.0/8", dev: "lo", table: "local", scope: "host" },
      ]);
    },
  );
  await t.step("routes(6) reads the default route as ::/0", async () => {
    const { own } = both(() =>
      JSON.stringify([
        { dst: "default", gateway: "FE80::1", dev: "eth0", metric: 1024, flags: [] },
        { dst: "2001:DB8::/64", dev: "eth0", metric: 256, flags: [] },
      ])
    );
    assert.deepEqual(await own.routes(6), [
      { dst: "::/0", gateway: "FE80::1", dev: "eth0", table: "main", metric: 1024 },
      { dst: "2001:db8::/64", dev: "eth0", table: "main", metric: 256 },
    ]);
  });
  await t.step("a method refuses output that is not JSON, quoting it", async () => {
    const { own } = both(() => 'Object "link" is unknown, try "ip help".');
    await assert.rejects(own.links(), {
      message:
        'ip -j -d link show printed no JSON: "Object \\"link\\" is unknown, try \\"ip help\\"."',
    });
  });
  await t.step("a method refuses JSON that is not a list", async () => {
    const { own } = both(() => "{}");
    await assert.rejects(own.addresses(), { message: "ip -j addr show printed no JSON list" });
  });
});

Deno.test("netns() maps failures to errors", async (t) => {
  await t.step("deleteLink() gives true when the link was deleted", async () => {
    const { inside } = both();
    assert.equal(await inside.deleteLink("veth1"), true);
  });
  for (const stderr of ['Cannot find device "veth1"\n', 'Device "veth1" does not exist.\n']) {
    await t.step(`deleteLink() gives false for ${JSON.stringify(stderr.trim())}`, async () => {
      const { inside } = both(() => ({ code: 1, stderr }));
      assert.equal(await inside.deleteLink("veth1"), false);
    });
  }
  await t.step("deleteLink() throws any other failure", async () => {
    const { inside } = both(() => ({
      code: 2,
      stderr: "RTNETLINK answers: Operation not permitted\n",
    }));
    await assert.rejects(inside.deleteLink("veth1"), {
      name: "CommandError",
      message: 'ip link del dev veth1 failed: "RTNETLINK answers: Operation not permitted"',
    });
  });
  for (const detail of ["No such file or directory", "Invalid argument"]) {
    await t.step(`nsenter's "cannot open" (${detail}) is a NamespaceMissingError`, async () => {
      const { inside } = both(() => ({
        code: 1,
        stderr: `nsenter: cannot open ${NS}: ${detail}\n`,
      }));
      await assert.rejects(inside.setLinkUp("eth0"), (error: unknown) => {
        assert.ok(error instanceof NamespaceMissingError);
        assert.equal(error.path, NS);
        assert.equal(error.message, `failed to open netns ${JSON.stringify(NS)}: ${detail}`);
        return true;
      });
    });
  }
  await t.step("another nsenter failure is a CommandError", async () => {
    const { inside } = both(() => ({
      code: 1,
      stderr: "nsenter: reassociate to namespace 'ns/net' failed: Operation not permitted\n",
    }));
    await assert.rejects(inside.setLinkUp("eth0"), CommandError);
  });
  await t.step("run() returns a failed run as it is", async () => {
    const { inside } = both(() => ({ code: 3, stderr: "x" }));
    assert.deepEqual(await inside.run("ip", ["x"]), { code: 3, stdout: "", stderr: "x" });
  });
  const failures: { name: string; output: object; message: string }[] = [
    {
      name: "quotes stderr",
      output: { code: 2, stderr: "RTNETLINK answers: File exists\n" },
      message: 'ip route add 10.9.0.0/16 dev eth0 failed: "RTNETLINK answers: File exists"',
    },
    {
      name: "gives the exit status without stderr",
      output: { code: 4 },
      message: "ip route add 10.9.0.0/16 dev eth0 failed: exit status 4",
    },
    {
      name: "says a program timed out",
      output: { code: 137, signal: "SIGKILL", timedOut: true, stderr: "partial" },
      message: "ip route add 10.9.0.0/16 dev eth0 failed: timed out",
    },
    {
      name: "caps stderr at 1 KiB",
      output: { code: 1, stderr: "e".repeat(5000) },
      message: `ip route add 10.9.0.0/16 dev eth0 failed: "${
        "e".repeat(1024)
      }" (3976 more bytes cut)`,
    },
  ];
  for (const row of failures) {
    await t.step(`CommandError ${row.name}`, async () => {
      const { inside } = both(() => row.output);
      await assert.rejects(
        inside.addRoute({ dst: "10.9.0.0/16", dev: "eth0" }),
        (error: unknown) => {
          assert.ok(error instanceof CommandError);
          assert.equal(error.message, row.message);
          assert.deepEqual(error.output, { stdout: "", stderr: "", ...row.output });
          return true;
        },
      );
    });
  }
  await t.step("CommandError counts a signal as a failure", async () => {
    const { inside } = both(() => ({ code: 0, signal: "SIGSEGV" }));
    await assert.rejects(inside.setLinkUp("eth0"), (error: unknown) => {
      assert.ok(error instanceof CommandError);
      assert.equal(error.output.signal, "SIGSEGV");
      return true;
    });
  });
  await t.step("sysctlGet() trims the value and throws a failure", async () => {
    const { own } = both(() => "1\n");
    assert.equal(await own.sysctlGet("net.ipv4.ip_forward"), "1");
    const failing = both(() => ({
      code: 255,
      stderr: "sysctl: cannot stat /proc/sys/net/x: No such file or directory\n",
    }));
    await assert.rejects(failing.own.sysctlGet("net.x"), {
      message:
        'sysctl -n net.x failed: "sysctl: cannot stat /proc/sys/net/x: No such file or directory"',
    });
  });
  await t.step("sysctlSet() throws a failure", async () => {
    const { own } = both(() => ({ code: 255 }));
    await assert.rejects(own.sysctlSet("net.ipv4.ip_forward", "1"), {
      message: "sysctl -w net.ipv4.ip_forward=1 failed: exit status 255",
    });
  });
});

const BAD_NAMES: [string, string][] = [
  ["a newline", "eth0\n"],
  ["a second command after a newline", "lo\nlink del eth0"],
  ["a space", "a b"],
  ["a slash", "a/b"],
  ["a colon", "a:b"],
  ["a tab", "a\tb"],
  ["a no-break space", "a\u00a0b"],
  ['"."', "."],
  ['".."', ".."],
  ["the empty name", ""],
  ["16 bytes", "abcdefghijklmnop"],
  ["16 bytes of non-ASCII", "é".repeat(8)],
  ["a NUL", "eth\u00000"],
];

Deno.test("netns() refuses bad interface names with code 7 and runs nothing", async (t) => {
  const methods: [string, (ns: Netns, name: string) => Promise<unknown>][] = [
    ["link()", (ns, name) => ns.link(name)],
    ["addresses()", (ns, name) => ns.addresses(name)],
    ["setLinkUp()", (ns, name) => ns.setLinkUp(name)],
    ["deleteLink()", (ns, name) => ns.deleteLink(name)],
    ["createVeth() for the name", (ns, name) => ns.createVeth({ name, peerName: "eth0" })],
    ["createVeth() for the peer", (ns, name) => ns.createVeth({ name: "veth1", peerName: name })],
    ["addAddress()", (ns, name) => ns.addAddress(name, "10.1.0.5/24")],
    ["addRoute()", (ns, name) => ns.addRoute({ dst: "10.9.0.0/16", dev: name })],
  ];
  for (const [method, call] of methods) {
    for (const [what, name] of BAD_NAMES) {
      await t.step(`${method} refuses an interface name with ${what}`, async () => {
        const { host, inside } = both();
        await assert.rejects(call(inside, name), (error: unknown) => {
          assert.ok(error instanceof CniError, String(error));
          assert.equal(error.code, 7);
          assert.match(error.message, /^invalid interface name ".*": it /);
          return true;
        });
        assert.deepEqual(host.runs, []);
      });
    }
  }
});

Deno.test("checkInterfaceName()", async (t) => {
  const reasons: Record<string, string> = {
    "": "is empty",
    "abcdefghijklmnop": "is longer than 15 bytes",
    ".": 'is "." or ".."',
    "..": 'is "." or ".."',
    "eth\u00000": "contains a NUL character",
  };
  for (const [what, name] of BAD_NAMES) {
    await t.step(`checkInterfaceName() refuses ${what}`, () => {
      assert.throws(() => checkInterfaceName(name), (error: unknown) => {
        assert.ok(error instanceof CniError);
        const reason = reasons[name] ??
          (new TextEncoder().encode(name).length > 15
            ? "is longer than 15 bytes"
            : "contains / or : or white space");
        assert.equal(error.code, 7);
        assert.equal(error.message, `invalid interface name ${quote(name)}: it ${reason}`);
        return true;
      });
    });
  }
  for (
    const name of ["eth0", "veth1a2b3c4d", "abcdefghijklmno", "é".repeat(7) + "a", "br-0.100", "_x"]
  ) {
    await t.step(`checkInterfaceName() accepts ${JSON.stringify(name)}`, () => {
      assert.equal(checkInterfaceName(name), name);
    });
  }
});

/** Go's %q of the names above: JSON's quoting, with \x00 for NUL and \u00a0 kept escaped. */
function quote(name: string): string {
  return JSON.stringify(name).replace("\\u0000", "\\x00").replace("\u00a0", "\\u00a0");
}

Deno.test("netns() checks values before they reach a program", async (t) => {
  const refused: { name: string; call: (ns: Netns) => Promise<unknown>; message: string }[] = [
    {
      name: 'a sysctl key with ".."',
      call: (ns) => ns.sysctlGet("net/../../etc"),
      message: 'invalid sysctl key "net/../../etc"',
    },
    {
      name: "a sysctl key starting with -",
      call: (ns) => ns.sysctlGet("-w"),
      message: 'invalid sysctl key "-w"',
    },
    {
      name: "a sysctl key with =",
      call: (ns) => ns.sysctlSet("net.a=1", "0"),
      message: 'invalid sysctl key "net.a=1"',
    },
    {
      name: "a sysctl key with a space",
      call: (ns) => ns.sysctlGet("net a"),
      message: 'invalid sysctl key "net a"',
    },
    {
      name: "a sysctl key with a newline",
      call: (ns) => ns.sysctlGet("net.a\nb"),
      message: 'invalid sysctl key "net.a\\nb"',
    },
    {
      name: "an empty sysctl key",
      call: (ns) => ns.sysctlGet(""),
      message: 'invalid sysctl key ""',
    },
    {
      name: "a sysctl key ending in a dot",
      call: (ns) => ns.sysctlGet("net."),
      message: 'invalid sysctl key "net."',
    },
    {
      name: "a sysctl value with a newline",
      call: (ns) => ns.sysctlSet("net.ipv4.ip_forward", "1\nkernel.x=1"),
      message: 'invalid sysctl value "1\\nkernel.x=1": control characters',
    },
    {
      name: "a sysctl value with a tab",
      call: (ns) => ns.sysctlSet("net.ipv4.ip_forward", "1\t2"),
      message: 'invalid sysctl value "1\\t2": control characters',
    },
    {
      name: "an address without prefix",
      call: (ns) => ns.addAddress("eth0", "10.1.0.5"),
      message: 'invalid address "10.1.0.5"',
    },
    {
      name: "an address that is an option",
      call: (ns) => ns.addAddress("eth0", "-x"),
      message: 'invalid address "-x"',
    },
    {
      name: "a route destination that is not an address",
      call: (ns) => ns.addRoute({ dst: "10.9.0.0/16 via 1.2.3.4", dev: "eth0" }),
      message: 'invalid route destination "10.9.0.0/16 via 1.2.3.4"',
    },
    {
      name: "a gateway that is not an address",
      call: (ns) => ns.addRoute({ dst: "10.9.0.0/16", via: "gw", dev: "eth0" }),
      message: 'invalid gateway "gw"',
    },
    {
      name: "a source that is not an address",
      call: (ns) => ns.addRoute({ dst: "10.9.0.0/16", src: "10.1.0.5/24", dev: "eth0" }),
      message: 'invalid source address "10.1.0.5/24"',
    },
    {
      name: "a negative metric",
      call: (ns) => ns.addRoute({ dst: "10.9.0.0/16", dev: "eth0", metric: -1 }),
      message: "invalid metric -1",
    },
    {
      name: "a fractional table",
      call: (ns) => ns.addRoute({ dst: "10.9.0.0/16", dev: "eth0", table: 1.5 }),
      message: "invalid table 1.5",
    },
    {
      name: "a negative route table to list",
      call: (ns) => ns.routes(4, -1),
      message: "invalid table -1",
    },
    {
      name: "a negative veth MTU",
      call: (ns) => ns.createVeth({ name: "a", peerName: "b", mtu: -1 }),
      message: "invalid MTU -1",
    },
  ];
  for (const row of refused) {
    await t.step(`netns() refuses ${row.name} with code 7 and runs nothing`, async () => {
      const { host, inside } = both();
      await assert.rejects(row.call(inside), (error: unknown) => {
        assert.ok(error instanceof CniError, String(error));
        assert.deepEqual([error.code, error.message], [7, row.message]);
        return true;
      });
      assert.deepEqual(host.runs, []);
    });
  }
  const accepted: { name: string; key: string }[] = [
    { name: "a dotted key", key: "net.ipv4.conf.eth0.rp_filter" },
    { name: "a slashed key", key: "net/ipv4/conf/eth0.100/rp_filter" },
    { name: "a key with a VLAN interface", key: "net.ipv6.conf.br-0.forwarding" },
  ];
  for (const row of accepted) {
    await t.step(`sysctlGet() accepts ${row.name}`, async () => {
      const { host, own } = both(() => "0\n");
      await own.sysctlGet(row.key);
      assert.deepEqual(host.runs[0]?.args, ["-n", row.key]);
    });
  }
  const badPaths: [string, string | undefined][] = [
    ["a relative namespace path", "var/run/netns/c1"],
    ["a namespace path with a NUL", "/var/run/netns/c\u00001"],
    ["an empty namespace path", ""],
  ];
  for (const [name, path] of badPaths) {
    await t.step(`netns() refuses ${name} with code 4`, () => {
      assert.throws(() => netns(path, { host: hostWith() }), (error: unknown) => {
        assert.ok(error instanceof CniError);
        assert.equal(error.code, 4);
        assert.match(error.message, /^invalid netns path ".*": it must be absolute$/);
        return true;
      });
    });
  }
  await t.step("createVeth() refuses a relative peer namespace path and runs nothing", async () => {
    const { host, inside } = both();
    await assert.rejects(inside.createVeth({ name: "a", peerName: "b", peerNetns: "other" }), {
      code: 4,
    });
    assert.deepEqual(host.runs, []);
  });
  await t.step("netns() keeps its path, and none for the own namespace", () => {
    const { inside, own } = both();
    assert.deepEqual([inside.path, own.path], [NS, undefined]);
  });
});
