/**
 * Captures what iproute2 sends to the kernel and what the kernel answers, for the netlink codec
 * tests: as root, with `ip`, `tc` and `strace` installed,
 *
 *     deno run -A tests/netlink/testdata/capture.ts > tests/netlink/testdata/captured.ts
 *     deno fmt tests/netlink/testdata/captured.ts
 *
 * Each command runs inside a throwaway namespace under `strace -e trace=openat,sendmsg,sendto,
 * recvmsg,recvfrom -e read=all -e write=all`, whose hex dumps hold the bytes of every netlink
 * datagram. A request fixture keeps the last message of the expected type the command sent, and
 * the numbers the test needs to build the same request (interface indexes, the fds `ip` opened
 * for `netns`). A reply fixture keeps every datagram the command received and what it printed
 * (`ip -j`, `tc -j`), which the test compares with its own decoding of the same bytes.
 *
 * The namespaces are deleted when the script ends, also on failure.
 */

interface Traced {
  call: string;
  text: string;
  result: number;
  bytes: string;
}

async function run(program: string, args: string[], check = true) {
  const output = await new Deno.Command(program, { args, stdout: "piped", stderr: "piped" })
    .output();
  const stdout = new TextDecoder().decode(output.stdout);
  const stderr = new TextDecoder().decode(output.stderr);
  if (check && !output.success) {
    throw new Error(`${program} ${args.join(" ")}: ${stderr.trim()}`);
  }
  return { stdout, stderr, success: output.success };
}

/** Runs `argv` in namespace `ns` under strace; the calls it made with their data, and stdout. */
async function traced(ns: string, argv: string[]): Promise<{ calls: Traced[]; stdout: string }> {
  const file = await Deno.makeTempFile({ prefix: "dcni-strace-" });
  try {
    const { stdout } = await run("ip", [
      "netns",
      "exec",
      ns,
      "strace",
      "-qq",
      "-o",
      file,
      "-e",
      "trace=openat,sendmsg,sendto,recvmsg,recvfrom",
      "-e",
      "read=all",
      "-e",
      "write=all",
      ...argv,
    ], false);
    const calls: Traced[] = [];
    for (const line of (await Deno.readTextFile(file)).split("\n")) {
      const call = /^(\w+)\(/.exec(line);
      if (call !== null) {
        const result = / = (-?\d+)/.exec(line.slice(line.lastIndexOf(")")));
        calls.push({ call: call[1]!, text: line, result: Number(result?.[1] ?? -1), bytes: "" });
        continue;
      }
      const dump = /^ \| [0-9a-f]{5} {2}(.{48})/.exec(line);
      if (dump !== null && calls.length > 0) calls.at(-1)!.bytes += dump[1]!.replaceAll(" ", "");
    }
    return { calls, stdout };
  } finally {
    await Deno.remove(file);
  }
}

/** The first message of a datagram's hex, up to its nlmsg_len (strace dumps the whole buffer). */
function firstMessage(hex: string): string {
  const length = parseInt(
    hex.slice(6, 8) + hex.slice(4, 6) + hex.slice(2, 4) + hex.slice(0, 2),
    16,
  );
  return hex.slice(0, 2 * length);
}

function messageType(hex: string): number {
  return parseInt(hex.slice(10, 12) + hex.slice(8, 10), 16);
}

async function indexes(ns: string): Promise<Record<string, number>> {
  const links = JSON.parse((await run("ip", ["-n", ns, "-j", "link", "show"])).stdout) as {
    ifname: string;
    ifindex: number;
  }[];
  return Object.fromEntries(links.map((link) => [link.ifname, link.ifindex]));
}

const suffix = crypto.randomUUID().slice(0, 8);
const A = `dcni-cap-a-${suffix}`;
const B = `dcni-cap-b-${suffix}`;

/** A request: the command, the message type to keep, and commands to run after it. */
interface RequestCase {
  name: string;
  argv: string[];
  type: number;
  after?: string[][];
}

const RTM = { NEWLINK: 16, DELLINK: 17, GETLINK: 18, NEWADDR: 20, DELADDR: 21, GETADDR: 22 };
const RTR = { NEWROUTE: 24, DELROUTE: 25, GETROUTE: 26, NEWQDISC: 36, DELQDISC: 37, GETQDISC: 38 };

const ipA = (...words: string[]) => ["ip", "-n", A, ...words];
const tcDel = ["ip", "netns", "exec", A, "tc", "qdisc", "del", "dev", "eth9", "root"];

const requests: RequestCase[] = [
  {
    name: "veth",
    argv: ["ip", "link", "add", "name", "veth1", "type", "veth", "peer", "name", "veth2"],
    type: RTM.NEWLINK,
  },
  {
    name: "veth with settings",
    argv: ["ip", "link", "add", "name", "veth3", "mtu", "1400", "address", "02:00:00:00:00:01"]
      .concat(["txqueuelen", "500", "type", "veth", "peer", "name", "veth4", "mtu", "1400"])
      .concat(["address", "02:00:00:00:00:02"]),
    type: RTM.NEWLINK,
  },
  {
    name: "veth in namespaces",
    argv: ["ip", "link", "add", "name", "veth5", "netns", B, "mtu", "1400", "type", "veth"]
      .concat(["peer", "name", "veth6", "netns", B, "mtu", "1400"]),
    type: RTM.NEWLINK,
  },
  {
    name: "macvlan bridge",
    argv: ["ip", "link", "add", "link", "eth9", "name", "mv0", "type", "macvlan", "mode", "bridge"],
    type: RTM.NEWLINK,
  },
  {
    name: "macvlan with settings",
    argv: ["ip", "link", "add", "link", "eth9", "name", "mv1", "netns", B, "mtu", "1300"]
      .concat(["address", "02:00:00:00:00:0a", "txqueuelen", "600", "type", "macvlan"])
      .concat(["mode", "private"]),
    type: RTM.NEWLINK,
    after: [["ip", "-n", B, "link", "del", "dev", "mv1"]],
  },
  {
    name: "macvlan default mode",
    argv: ["ip", "link", "add", "link", "eth9", "name", "mv2", "type", "macvlan"],
    type: RTM.NEWLINK,
    after: [ipA("link", "del", "dev", "mv2")],
  },
  { name: "delete", argv: ["ip", "link", "del", "dev", "mv0"], type: RTM.DELLINK },
  {
    name: "ipvlan l3s",
    argv: ["ip", "link", "add", "link", "eth9", "name", "iv0", "type", "ipvlan", "mode", "l3s"],
    type: RTM.NEWLINK,
  },
  {
    name: "ipvlan l2",
    argv: ["ip", "link", "add", "link", "eth9", "name", "iv1", "type", "ipvlan", "mode", "l2"],
    type: RTM.NEWLINK,
  },
  {
    name: "vlan",
    argv: ["ip", "link", "add", "link", "eth9", "name", "vl0", "type", "vlan", "id", "100"],
    type: RTM.NEWLINK,
  },
  {
    name: "bridge",
    argv: ["ip", "link", "add", "name", "br1", "type", "bridge"],
    type: RTM.NEWLINK,
  },
  {
    name: "dummy",
    argv: ["ip", "link", "add", "name", "dm0", "type", "dummy"],
    type: RTM.NEWLINK,
  },
  { name: "set up", argv: ["ip", "link", "set", "dev", "eth9", "up"], type: RTM.NEWLINK },
  { name: "set down", argv: ["ip", "link", "set", "dev", "eth9", "down"], type: RTM.NEWLINK },
  {
    name: "set all",
    argv: ["ip", "link", "set", "dev", "eth9", "mtu", "1400", "address", "02:00:00:00:00:09"]
      .concat(["txqueuelen", "700", "master", "br9", "up", "promisc", "on"]),
    type: RTM.NEWLINK,
  },
  {
    name: "set nomaster",
    argv: ["ip", "link", "set", "dev", "eth9", "nomaster"],
    type: RTM.NEWLINK,
  },
  {
    name: "set promisc off",
    argv: ["ip", "link", "set", "dev", "eth9", "promisc", "off"],
    type: RTM.NEWLINK,
  },
  {
    name: "rename",
    argv: ["ip", "link", "set", "dev", "peer9", "name", "peer8"],
    type: RTM.NEWLINK,
    after: [ipA("link", "set", "dev", "peer8", "name", "peer9")],
  },
  {
    name: "move",
    argv: ["ip", "link", "set", "dev", "peer9", "netns", B],
    type: RTM.NEWLINK,
    after: [["ip", "-n", B, "link", "set", "dev", "peer9", "netns", A]],
  },
  {
    name: "move and rename",
    argv: ["ip", "link", "set", "dev", "peer9", "netns", B, "name", "eth0"],
    type: RTM.NEWLINK,
    after: [["ip", "-n", B, "link", "set", "dev", "eth0", "netns", A, "name", "peer9"]],
  },
  {
    name: "address",
    argv: ["ip", "address", "add", "10.1.0.5/24", "dev", "eth9"],
    type: RTM.NEWADDR,
  },
  {
    name: "address nodad noprefixroute",
    argv: ["ip", "address", "add", "2001:db8::5/64", "dev", "eth9", "nodad", "noprefixroute"],
    type: RTM.NEWADDR,
  },
  {
    name: "address nodad",
    argv: ["ip", "address", "add", "2001:db8::6/64", "dev", "eth9", "nodad"],
    type: RTM.NEWADDR,
  },
  {
    name: "address noprefixroute",
    argv: ["ip", "address", "add", "10.2.0.5/24", "dev", "eth9", "noprefixroute"],
    type: RTM.NEWADDR,
  },
  {
    name: "route via",
    argv: ["ip", "route", "add", "10.9.0.0/16", "via", "10.1.0.1", "dev", "eth9"],
    type: RTR.NEWROUTE,
  },
  {
    name: "route on link",
    argv: ["ip", "route", "add", "10.8.0.0/16", "dev", "eth9"],
    type: RTR.NEWROUTE,
  },
  {
    name: "route with everything",
    argv: ["ip", "route", "add", "10.7.0.0/16", "via", "10.1.0.1", "src", "10.1.0.5", "metric"]
      .concat(["100", "table", "1000", "dev", "eth9", "mtu", "1400", "advmss", "1360"]),
    type: RTR.NEWROUTE,
  },
  {
    name: "host route in table 7",
    argv: ["ip", "route", "add", "10.6.0.1", "table", "7", "dev", "eth9"],
    type: RTR.NEWROUTE,
  },
  {
    name: "route scope host",
    argv: ["ip", "route", "add", "10.5.0.0/16", "dev", "eth9", "scope", "host"],
    type: RTR.NEWROUTE,
  },
  {
    name: "default route",
    argv: ["ip", "route", "add", "default", "via", "10.1.0.1", "dev", "eth9"],
    type: RTR.NEWROUTE,
  },
  {
    name: "route replace",
    argv: ["ip", "route", "replace", "10.9.0.0/16", "via", "10.1.0.2", "dev", "eth9"],
    type: RTR.NEWROUTE,
  },
  {
    name: "IPv6 route",
    argv: ["ip", "route", "add", "2001:db8:9::/48", "via", "2001:db8::1", "metric", "5"]
      .concat(["dev", "eth9"]),
    type: RTR.NEWROUTE,
  },
  {
    name: "route delete",
    argv: ["ip", "route", "del", "10.9.0.0/16", "via", "10.1.0.2", "dev", "eth9"],
    type: RTR.DELROUTE,
  },
  {
    name: "route delete in table",
    argv: ["ip", "route", "del", "10.7.0.0/16", "via", "10.1.0.1", "metric", "100", "table"]
      .concat(["1000", "dev", "eth9"]),
    type: RTR.DELROUTE,
  },
  {
    name: "address delete",
    argv: ["ip", "address", "del", "10.1.0.5/24", "dev", "eth9"],
    type: RTM.DELADDR,
  },
  {
    name: "tbf latency",
    argv: ["tc", "qdisc", "add", "dev", "eth9", "root", "tbf", "rate", "1mbit", "burst", "32kb"]
      .concat(["latency", "400ms"]),
    type: RTR.NEWQDISC,
    after: [tcDel],
  },
  {
    name: "tbf limit",
    argv: ["tc", "qdisc", "add", "dev", "eth9", "root", "tbf", "rate", "125000bps", "burst"]
      .concat(["10000", "limit", "50000"]),
    type: RTR.NEWQDISC,
    after: [tcDel],
  },
  {
    name: "tbf peak",
    argv: ["tc", "qdisc", "add", "dev", "eth9", "root", "tbf", "rate", "125000bps", "burst"]
      .concat(["10000", "latency", "25ms", "peakrate", "250000bps", "mtu", "2000"]),
    type: RTR.NEWQDISC,
    after: [tcDel],
  },
  {
    name: "tbf 64-bit rate",
    argv: ["tc", "qdisc", "add", "dev", "eth9", "root", "tbf", "rate", "5000000000bps"]
      .concat(["burst", "1000000", "limit", "2000000"]),
    type: RTR.NEWQDISC,
    after: [tcDel],
  },
  {
    name: "tbf 64-bit peak",
    argv: ["tc", "qdisc", "add", "dev", "eth9", "root", "tbf", "rate", "5000000000bps"]
      .concat(["burst", "1000000", "latency", "10ms", "peakrate", "6000000000bps", "mtu", "65536"]),
    type: RTR.NEWQDISC,
    after: [tcDel],
  },
  {
    name: "tbf delete",
    argv: ["tc", "qdisc", "del", "dev", "eth9", "root"],
    type: RTR.DELQDISC,
  },
  { name: "address dump", argv: ["ip", "-j", "address", "show", "dev", "eth9"], type: RTM.GETADDR },
  { name: "qdisc dump", argv: ["tc", "-j", "qdisc", "show"], type: RTR.GETQDISC },
  {
    name: "qdisc dump of a link",
    argv: ["tc", "-j", "qdisc", "show", "dev", "eth9"],
    type: RTR.GETQDISC,
  },
];

/** A reply: the command (in A), after the commands that set the state up. */
interface ReplyCase {
  name: string;
  setup: string[][];
  argv: string[];
}

const replies: ReplyCase[] = [
  {
    name: "links",
    setup: [
      ipA("link", "add", "name", "vpeer", "netns", B, "type", "veth", "peer", "name", "vhere"),
      ipA("link", "add", "link", "vhere", "name", "mvb", "type", "macvlan", "mode", "bridge"),
      ipA(
        "link",
        "set",
        "dev",
        "eth9",
        "master",
        "br9",
        "up",
        "promisc",
        "on",
        "txqueuelen",
        "700",
      ),
    ],
    argv: ["ip", "-j", "-d", "link", "show"],
  },
  {
    name: "addresses",
    setup: [
      ipA("link", "set", "dev", "lo", "up"),
      ipA("address", "add", "10.1.0.5/24", "dev", "eth9"),
      ipA("address", "add", "10.3.0.5/16", "dev", "br9"),
      ipA("address", "add", "2001:db8:1::5/64", "dev", "eth9"),
    ],
    argv: ["ip", "-j", "address", "show"],
  },
  {
    name: "IPv4 routes",
    setup: [
      ipA("link", "set", "dev", "br9", "up"),
      ipA("route", "add", "10.9.0.0/16", "via", "10.3.0.1", "dev", "br9", "metric", "50"),
      ipA("route", "add", "10.7.0.0/16", "via", "10.3.0.1", "src", "10.3.0.5", "table", "1000")
        .concat(["dev", "br9", "mtu", "1400", "advmss", "1360"]),
      ipA("route", "replace", "default", "via", "10.3.0.1", "dev", "br9"),
    ],
    argv: ["ip", "-j", "-4", "route", "show", "table", "all"],
  },
  {
    name: "IPv6 routes",
    setup: [
      ipA("address", "add", "2001:db8:2::5/64", "dev", "br9", "nodad"),
      ipA("route", "add", "2001:db8:9::/48", "via", "2001:db8:2::1", "dev", "br9", "metric", "7"),
    ],
    argv: ["ip", "-j", "-6", "route", "show", "table", "all"],
  },
  {
    name: "qdiscs",
    setup: [
      ["ip", "netns", "exec", A, "tc", "qdisc", "add", "dev", "eth9", "root", "tbf", "rate"]
        .concat(["1mbit", "burst", "32kb", "latency", "400ms"]),
      ["ip", "netns", "exec", A, "tc", "qdisc", "add", "dev", "br9", "root", "tbf", "rate"]
        .concat(["125000bps", "burst", "10000", "latency", "25ms", "peakrate", "250000bps"])
        .concat(["mtu", "2000"]),
      ["ip", "netns", "exec", A, "tc", "qdisc", "add", "dev", "vhere", "root", "tbf", "rate"]
        .concat(["5000000000bps", "burst", "1000000", "limit", "2000000"]),
    ],
    argv: ["tc", "-raw", "-j", "qdisc", "show"],
  },
  {
    name: "unknown kind",
    setup: [],
    argv: ["ip", "link", "add", "name", "dm1", "type", "dummy"],
  },
  {
    name: "no qdisc of its own",
    setup: [],
    argv: ["tc", "qdisc", "del", "dev", "mvb", "root"],
  },
  {
    name: "name taken",
    setup: [],
    argv: ["ip", "link", "add", "name", "eth9", "type", "bridge"],
  },
];

async function main() {
  await run("ip", ["netns", "add", A]);
  await run("ip", ["netns", "add", B]);
  try {
    for (
      const argv of [
        ipA("link", "add", "name", "eth9", "type", "veth", "peer", "name", "peer9"),
        ipA("link", "add", "name", "br9", "type", "bridge"),
      ]
    ) await run(argv[0]!, argv.slice(1));
    const psched = await Deno.readTextFile("/proc/net/psched");
    const requestFixtures = [];
    for (const request of requests) {
      const before = await indexes(A);
      const { calls } = await traced(A, request.argv);
      const fds = calls
        .filter((call) => call.call === "openat" && call.text.includes(`/netns/${B}"`))
        .map((call) => call.result);
      const sent = calls.filter((call) =>
        (call.call === "sendmsg" || call.call === "sendto") && call.bytes.length >= 32 &&
        messageType(call.bytes) === request.type
      );
      if (sent.length === 0) throw new Error(`${request.name}: no message of type ${request.type}`);
      requestFixtures.push({
        name: request.name,
        command: request.argv.join(" ").replaceAll(B, "<B>"),
        indexes: before,
        netnsFds: fds,
        hex: firstMessage(sent.at(-1)!.bytes),
      });
      for (const argv of request.after ?? []) await run(argv[0]!, argv.slice(1), false);
    }
    const replyFixtures = [];
    for (const reply of replies) {
      for (const argv of reply.setup) await run(argv[0]!, argv.slice(1));
      const { calls, stdout } = await traced(A, reply.argv);
      replyFixtures.push({
        name: reply.name,
        command: reply.argv.join(" "),
        datagrams: calls
          .filter((call) => (call.call === "recvmsg" || call.call === "recvfrom") && call.bytes)
          .map((call) => call.bytes),
        stdout: stdout.trim(),
      });
    }
    const uname = (await run("uname", ["-r"])).stdout.trim();
    const ipVersion = (await run("ip", ["-V"])).stdout.trim();
    console.log(`/**
 * Netlink messages iproute2 sent and the kernel answered, captured by capture.ts (see there for
 * how); regenerate rather than edit. Captured with:
 * - ${ipVersion}
 * - Linux ${uname}
 *
 * @module
 */

/** /proc/net/psched when the messages were captured. */
export const PSCHED = ${JSON.stringify(psched)};

/** A request: the command, interface indexes before it ran, fds it opened for "netns <B>". */
export interface RequestFixture {
  name: string;
  command: string;
  indexes: Record<string, number>;
  netnsFds: number[];
  hex: string;
}

/** The requests. */
export const REQUESTS: RequestFixture[] = ${JSON.stringify(requestFixtures, null, 2)};

/** A reply: the command, every datagram it received, and what it printed. */
export interface ReplyFixture {
  name: string;
  command: string;
  datagrams: string[];
  stdout: string;
}

/** The replies. */
export const REPLIES: ReplyFixture[] = ${JSON.stringify(replyFixtures, null, 2)};`);
  } finally {
    await run("ip", ["netns", "del", A], false);
    await run("ip", ["netns", "del", B], false);
  }
}

if (import.meta.main) await main();
