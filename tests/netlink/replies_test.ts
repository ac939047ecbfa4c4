/**
 * The decoders against real kernel replies: the datagrams the kernel sent `ip` and `tc`
 * (testdata/captured.ts, captured with strace by testdata/capture.ts) decode to what those
 * tools printed for the same bytes. No root needed.
 */
import assert from "node:assert/strict";
import { decodeMessages, Encoder, type Message } from "../../lib/netlink/_message.ts";
import {
  IFF_UP,
  IFLA_IFNAME,
  IFLA_INFO_DATA,
  IFLA_INFO_KIND,
  IFLA_IPVLAN_MODE,
  IFLA_LINK,
  IFLA_LINKINFO,
  IFLA_MACVLAN_MODE,
  IFLA_VLAN_ID,
  NLMSG_ERROR,
  RTM_NEWLINK,
} from "../../lib/netlink/_uapi.ts";
import { decodeAddress } from "../../lib/netlink/address.ts";
import { ERRNO } from "../../lib/netlink/errno.ts";
import { decodeLink, decodeLinkIndex, decodeLinkName } from "../../lib/netlink/link.ts";
import { decodeRoute } from "../../lib/netlink/route.ts";
import { decodeError } from "../../lib/netlink/socket.ts";
import { decodeQdisc, ticksPerMicrosecond } from "../../lib/netlink/tc.ts";
import { ipAddresses, ipLinks, ipRoutes, sorted, tcQdiscs } from "./_ip_json.ts";
import { PSCHED, REPLIES, type ReplyFixture } from "./testdata/captured.ts";

function fixture(name: string): ReplyFixture {
  const found = REPLIES.find((reply) => reply.name === name);
  assert.ok(found, `no reply fixture ${name}`);
  return found;
}

function hexBytes(hex: string): Uint8Array<ArrayBuffer> {
  return Uint8Array.from(hex.match(/../g) ?? [], (byte) => parseInt(byte, 16));
}

/** Every message of every datagram of a fixture. */
function messages(name: string): Message[] {
  return fixture(name).datagrams.flatMap((hex) => decodeMessages(hexBytes(hex)));
}

function decoded<T>(name: string, decode: (message: Message) => T | undefined): T[] {
  return messages(name).map(decode).filter((value) => value !== undefined);
}

/** The links of a fixture (the last dump of them, as `ip` may list links more than once). */
function linkNames(name: string): Map<number, string> {
  return new Map(decoded(name, decodeLink).map((link) => [link.index, link.name]));
}

Deno.test("decodeLink() reads each link as ip -j -d link show does", () => {
  const links = decoded("links", decodeLink);
  assert.deepEqual(sorted(links), sorted(ipLinks(fixture("links").stdout)));
  // The fixture covers a veth with its peer in another namespace, a bridge port with its master
  // and promiscuous mode, and a macvlan with its mode.
  const byName = new Map(links.map((link) => [link.name, link]));
  assert.equal(byName.get("vhere")?.linkNetnsId, 0);
  assert.equal(byName.get("eth9")?.masterIndex, byName.get("br9")?.index);
  assert.equal(byName.get("eth9")?.promisc, true);
  assert.equal(byName.get("mvb")?.macvlanMode, "bridge");
  assert.equal(byName.get("mvb")?.linkIndex, byName.get("vhere")?.index);
});

Deno.test("decodeLinkIndex() and decodeLinkName() read what decodeLink() does of a link", () => {
  const links = decoded("links", decodeLink);
  assert.ok(links.length > 3);
  assert.deepEqual(decoded("links", decodeLinkIndex), links.map((link) => link.index));
  assert.deepEqual(
    decoded("links", decodeLinkName),
    links.map((link) => [link.index, link.name]),
  );
  const others = messages("addresses").filter((message) => message.type !== RTM_NEWLINK);
  assert.ok(others.length > 0);
  for (const message of others) {
    assert.equal(decodeLinkIndex(message), undefined, "a message of another type is no link");
    assert.equal(decodeLinkName(message), undefined);
  }
});

Deno.test("decodeAddress() reads each address as ip -j address show does", () => {
  const names = linkNames("addresses");
  const addresses = decoded("addresses", decodeAddress).map(({ index, ...rest }) => ({
    dev: names.get(index)!,
    ...rest,
  }));
  assert.deepEqual(sorted(addresses), sorted(ipAddresses(fixture("addresses").stdout)));
  const flagged = addresses.filter((address) => address.noDad || address.tentative);
  assert.ok(flagged.some((address) => address.noDad && address.noPrefixRoute));
  assert.ok(flagged.some((address) => address.tentative));
});

for (const [name, family] of [["IPv4 routes", 4], ["IPv6 routes", 6]] as const) {
  Deno.test(`decodeRoute() reads ${name} as ip -j route show table all does`, () => {
    const names = linkNames(name);
    const routes = decoded(name, decodeRoute).map(({ oif, tableId: _, family: f, ...rest }) => {
      assert.equal(f, family);
      return { ...rest, ...(oif === undefined ? {} : { dev: names.get(oif)! }) };
    });
    // ip prints routes of every table except cached ones, as the decoder keeps them.
    assert.deepEqual(sorted(routes), sorted(ipRoutes(fixture(name).stdout, family)));
  });
}

Deno.test("decodeQdisc() reads qdiscs and tbf settings as tc -raw -j qdisc show does", () => {
  const ticks = ticksPerMicrosecond(PSCHED);
  const names = linkNames("qdiscs");
  const qdiscs = decoded("qdiscs", (message) => decodeQdisc(message, () => ticks)).map(
    ({ index, ...rest }) => ({ dev: names.get(index)!, ...rest }),
  );
  // tc does not print the peak rate; the fixture set 250000 bytes/s on br9.
  assert.deepEqual(sorted(qdiscs), sorted(tcQdiscs(fixture("qdiscs").stdout, { br9: 250000 })));
  const fast = qdiscs.find((qdisc) => qdisc.dev === "vhere");
  assert.equal(fast?.tbf?.rate, 5_000_000_000, "a rate above 2^32 comes from TCA_TBF_RATE64");
});

Deno.test("decodeError() reads the errno and the kernel's message of a refusal", async (t) => {
  const rows = [
    { name: "unknown kind", errno: ERRNO.EOPNOTSUPP, detail: "Unknown device type" },
    {
      name: "no qdisc of its own",
      errno: ERRNO.ENOENT,
      detail: "Cannot delete qdisc with handle of zero",
    },
    { name: "name taken", errno: ERRNO.EEXIST, detail: undefined },
  ];
  for (const row of rows) {
    await t.step(row.name, () => {
      const errors = messages(row.name).filter((message) => message.type === NLMSG_ERROR);
      const { errno, detail } = decodeError(errors.at(-1)!);
      assert.equal(errno, row.errno);
      assert.equal(detail, row.detail);
    });
  }
});

Deno.test("decodeLink() reads vlan ids and ipvlan modes from IFLA_INFO_DATA", async (t) => {
  // This machine's kernel has neither kind, so these messages are built in the kernel's layout:
  // ifinfomsg, IFLA_IFNAME, IFLA_LINK, IFLA_LINKINFO { IFLA_INFO_KIND, IFLA_INFO_DATA { ... } }.
  const link = (kind: string, data: (encoder: Encoder) => void): Message => {
    const encoder = new Encoder().u8(0).u8(0).u16(1).s32(7).u32(IFF_UP).u32(0);
    encoder.attrString(IFLA_IFNAME, "x0").attrU32(IFLA_LINK, 2);
    encoder.nest(IFLA_LINKINFO, () => {
      encoder.attrString(IFLA_INFO_KIND, kind);
      encoder.nest(IFLA_INFO_DATA, () => data(encoder));
    });
    return { type: RTM_NEWLINK, flags: 0, seq: 1, pid: 0, payload: encoder.finish() };
  };
  const rows: [string, string, Message, Record<string, unknown>][] = [
    ["vlan", "vlan", link("vlan", (e) => e.attrU16(IFLA_VLAN_ID, 100)), { vlanId: 100 }],
    [
      "ipvlan l3s",
      "ipvlan",
      link("ipvlan", (e) => e.attrU16(IFLA_IPVLAN_MODE, 2)),
      { ipvlanMode: "l3s" },
    ],
    [
      "macvlan passthru",
      "macvlan",
      link("macvlan", (e) => e.attrU32(IFLA_MACVLAN_MODE, 8)),
      { macvlanMode: "passthru" },
    ],
    ["an unknown mode", "ipvlan", link("ipvlan", (e) => e.attrU16(IFLA_IPVLAN_MODE, 9)), {}],
  ];
  for (const [name, kind, message, extra] of rows) {
    await t.step(name, () => {
      assert.deepEqual(decodeLink(message), {
        name: "x0",
        index: 7,
        up: true,
        kind,
        linkIndex: 2,
        ...extra,
      });
    });
  }
});
