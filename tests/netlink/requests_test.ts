/**
 * The request encoders byte for byte: each request the socket sends equals what `ip` or `tc`
 * sent for the same change (testdata/captured.ts, captured with strace by testdata/capture.ts),
 * except the sequence number and, for dumps, NLM_F_ACK, which the socket adds to every request.
 * Then the checks of values a request is built from. No root needed.
 */
import assert from "node:assert/strict";
import { CniError } from "../../lib/errors.ts";
import type { LinkSpec, TbfSpec } from "../../lib/net_types.ts";
import { parsePrefix } from "../../lib/netlink/_addr.ts";
import type { Request } from "../../lib/netlink/_message.ts";
import { NLM_F_ACK, NLM_F_DUMP, NLMSG_DONE, NLMSG_ERROR } from "../../lib/netlink/_uapi.ts";
import {
  addAddressRequest,
  deleteAddressRequest,
  listAddressesRequest,
} from "../../lib/netlink/address.ts";
import {
  createLinkRequest,
  deleteLinkRequest,
  getLinkRequest,
  moveLinkRequest,
  renameLinkRequest,
  setLinkRequest,
} from "../../lib/netlink/link.ts";
import { addRouteRequest, deleteRouteRequest, resolveRoute } from "../../lib/netlink/route.ts";
import { RouteSocket, type Transport } from "../../lib/netlink/socket.ts";
import {
  addTbfRequest,
  deleteRootQdiscRequest,
  listQdiscsRequest,
  ticksPerMicrosecond,
} from "../../lib/netlink/tc.ts";
import { PSCHED, type RequestFixture, REQUESTS } from "./testdata/captured.ts";

const TICKS = ticksPerMicrosecond(PSCHED);

function hexBytes(hex: string): Uint8Array<ArrayBuffer> {
  return Uint8Array.from(hex.match(/../g) ?? [], (byte) => parseInt(byte, 16));
}

function hex(bytes: Uint8Array): string {
  return Array.from(bytes, (byte) => byte.toString(16).padStart(2, "0")).join("");
}

/**
 * What a RouteSocket sends for a request: a fake transport keeps the datagram and answers with
 * an acknowledgement (or NLMSG_DONE for a dump).
 */
function sent(request: Request, dump: boolean): Uint8Array<ArrayBuffer> {
  let datagram: Uint8Array<ArrayBuffer> | undefined;
  const transport: Transport = {
    portId: 4321,
    send(bytes) {
      datagram = bytes.slice();
    },
    receive(buffer) {
      const view = new DataView(buffer.buffer);
      const seq = new DataView(datagram!.buffer).getUint32(8, true);
      view.setUint32(0, 20, true);
      view.setUint16(4, dump ? NLMSG_DONE : NLMSG_ERROR, true);
      view.setUint16(6, 0, true);
      view.setUint32(8, seq, true);
      view.setUint32(12, 4321, true);
      view.setInt32(16, 0, true);
      return 20;
    },
    close() {},
  };
  const socket = new RouteSocket(transport);
  const context = { operation: "test", object: "request" };
  if (dump) socket.dump(request, context, () => undefined);
  else socket.request(request, context);
  return datagram!;
}

/** The fixture's bytes as the socket sends them: its sequence number, NLM_F_ACK set. */
function expected(fixture: RequestFixture, seq: number): string {
  const bytes = hexBytes(fixture.hex);
  const view = new DataView(bytes.buffer);
  view.setUint16(6, view.getUint16(6, true) | NLM_F_ACK, true);
  view.setUint32(8, seq, true);
  return hex(bytes);
}

type Build = (fixture: RequestFixture) => { request: Request; dump?: boolean };

const veth = (spec: Partial<Extract<LinkSpec, { kind: "veth" }>>): LinkSpec => ({
  kind: "veth",
  name: "veth1",
  peerName: "veth2",
  ...spec,
});

const index = (fixture: RequestFixture, name: string): number => {
  const found = fixture.indexes[name];
  assert.ok(found !== undefined, `${fixture.name}: no index of ${name}`);
  return found;
};

const tbf = (spec: TbfSpec): Build => (f) => ({
  request: addTbfRequest(index(f, "eth9"), spec, TICKS),
});

const route = (
  spec: Parameters<typeof resolveRoute>[0],
  replace = false,
): Build =>
(f) => ({ request: addRouteRequest(resolveRoute(spec, index(f, "eth9")), replace) });

const deleteRoute = (spec: Parameters<typeof resolveRoute>[0]): Build => (f) => ({
  request: deleteRouteRequest(resolveRoute(spec, index(f, "eth9"))),
});

/** Each captured request and the call that must build the same bytes. */
const BUILDS: Record<string, Build> = {
  "veth": () => ({ request: createLinkRequest(veth({})) }),
  "veth with settings": () => ({
    request: createLinkRequest(veth({
      name: "veth3",
      mtu: 1400,
      mac: "02:00:00:00:00:01",
      txqueuelen: 500,
      peerName: "veth4",
      peerMac: "02:00:00:00:00:02",
    })),
  }),
  "veth in namespaces": (f) => ({
    request: createLinkRequest(
      veth({ name: "veth5", mtu: 1400, peerName: "veth6", netns: "/b", peerNetns: "/b" }),
      { netnsFd: f.netnsFds[0]!, peerNetnsFd: f.netnsFds[1]! },
    ),
  }),
  "macvlan bridge": (f) => ({
    request: createLinkRequest(
      { kind: "macvlan", name: "mv0", parent: "eth9", mode: "bridge" },
      { parentIndex: index(f, "eth9") },
    ),
  }),
  "macvlan with settings": (f) => ({
    request: createLinkRequest(
      {
        kind: "macvlan",
        name: "mv1",
        parent: "eth9",
        mode: "private",
        netns: "/b",
        mtu: 1300,
        mac: "02:00:00:00:00:0A",
        txqueuelen: 600,
      },
      { parentIndex: index(f, "eth9"), netnsFd: f.netnsFds[0]! },
    ),
  }),
  "macvlan default mode": (f) => ({
    request: createLinkRequest(
      { kind: "macvlan", name: "mv2", parent: "eth9" },
      { parentIndex: index(f, "eth9") },
    ),
  }),
  "delete": (f) => ({ request: deleteLinkRequest(index(f, "mv0")) }),
  "ipvlan l3s": (f) => ({
    request: createLinkRequest(
      { kind: "ipvlan", name: "iv0", parent: "eth9", mode: "l3s" },
      { parentIndex: index(f, "eth9") },
    ),
  }),
  "ipvlan l2": (f) => ({
    // l2 is the mode when none is given.
    request: createLinkRequest(
      { kind: "ipvlan", name: "iv1", parent: "eth9" },
      { parentIndex: index(f, "eth9") },
    ),
  }),
  "vlan": (f) => ({
    request: createLinkRequest(
      { kind: "vlan", name: "vl0", parent: "eth9", vlanId: 100 },
      { parentIndex: index(f, "eth9") },
    ),
  }),
  "bridge": () => ({ request: createLinkRequest({ kind: "bridge", name: "br1" }) }),
  "dummy": () => ({ request: createLinkRequest({ kind: "dummy", name: "dm0" }) }),
  "set up": (f) => ({ request: setLinkRequest(index(f, "eth9"), { up: true }) }),
  "set down": (f) => ({ request: setLinkRequest(index(f, "eth9"), { up: false }) }),
  "set all": (f) => ({
    request: setLinkRequest(index(f, "eth9"), {
      mtu: 1400,
      mac: "02:00:00:00:00:09",
      txqueuelen: 700,
      masterIndex: index(f, "br9"),
      up: true,
      promisc: true,
    }),
  }),
  "set nomaster": (f) => ({ request: setLinkRequest(index(f, "eth9"), { masterIndex: 0 }) }),
  "set promisc off": (f) => ({ request: setLinkRequest(index(f, "eth9"), { promisc: false }) }),
  "rename": (f) => ({ request: renameLinkRequest(index(f, "peer9"), "peer8") }),
  "move": (f) => ({ request: moveLinkRequest(index(f, "peer9"), f.netnsFds[0]!) }),
  "move and rename": (f) => ({
    request: moveLinkRequest(index(f, "peer9"), f.netnsFds[0]!, "eth0"),
  }),
  "address": (f) => ({
    request: addAddressRequest(index(f, "eth9"), parsePrefix("10.1.0.5/24", "address")),
  }),
  "address nodad noprefixroute": (f) => ({
    request: addAddressRequest(index(f, "eth9"), parsePrefix("2001:db8::5/64", "address"), {
      noDad: true,
      noPrefixRoute: true,
    }),
  }),
  "address nodad": (f) => ({
    request: addAddressRequest(index(f, "eth9"), parsePrefix("2001:db8::6/64", "address"), {
      noDad: true,
    }),
  }),
  "address noprefixroute": (f) => ({
    // noDad is for IPv6 only: an IPv4 address leaves it out.
    request: addAddressRequest(index(f, "eth9"), parsePrefix("10.2.0.5/24", "address"), {
      noPrefixRoute: true,
      noDad: true,
    }),
  }),
  "address delete": (f) => ({
    request: deleteAddressRequest(index(f, "eth9"), parsePrefix("10.1.0.5/24", "address")),
  }),
  "route via": route({ dst: "10.9.0.0/16", via: "10.1.0.1", dev: "eth9" }),
  "route on link": route({ dst: "10.8.0.0/16", dev: "eth9" }),
  "route with everything": route({
    dst: "10.7.0.0/16",
    via: "10.1.0.1",
    src: "10.1.0.5",
    metric: 100,
    table: 1000,
    dev: "eth9",
    mtu: 1400,
    advmss: 1360,
  }),
  "host route in table 7": route({ dst: "10.6.0.1", table: 7, dev: "eth9" }),
  "route scope host": route({ dst: "10.5.0.0/16", dev: "eth9", scope: "host" }),
  "default route": route({ dst: "0.0.0.0/0", via: "10.1.0.1", dev: "eth9" }),
  "route replace": route({ dst: "10.9.0.0/16", via: "10.1.0.2", dev: "eth9" }, true),
  "IPv6 route": route({ dst: "2001:db8:9::/48", via: "2001:db8::1", metric: 5, dev: "eth9" }),
  "route delete": deleteRoute({ dst: "10.9.0.0/16", via: "10.1.0.2", dev: "eth9" }),
  "route delete in table": deleteRoute({
    dst: "10.7.0.0/16",
    via: "10.1.0.1",
    metric: 100,
    table: 1000,
    dev: "eth9",
  }),
  "tbf latency": tbf({ rate: 125_000, burst: 32_768, latencyUs: 400_000 }),
  "tbf limit": tbf({ rate: 125_000, burst: 10_000, limit: 50_000 }),
  "tbf peak": tbf({
    rate: 125_000,
    burst: 10_000,
    latencyUs: 25_000,
    peakrate: 250_000,
    mtu: 2000,
  }),
  "tbf 64-bit rate": tbf({ rate: 5_000_000_000, burst: 1_000_000, limit: 2_000_000 }),
  "tbf 64-bit peak": tbf({
    rate: 5_000_000_000,
    burst: 1_000_000,
    latencyUs: 10_000,
    peakrate: 6_000_000_000,
    mtu: 65536,
  }),
  "tbf delete": (f) => ({ request: deleteRootQdiscRequest(index(f, "eth9")) }),
  "address dump": (f) => ({ request: listAddressesRequest(index(f, "eth9")), dump: true }),
  "qdisc dump": () => ({ request: listQdiscsRequest(), dump: true }),
  "qdisc dump of a link": (f) => ({ request: listQdiscsRequest(index(f, "eth9")), dump: true }),
};

Deno.test("every captured request has a case and every case a captured request", () => {
  assert.deepEqual(REQUESTS.map((f) => f.name).sort(), Object.keys(BUILDS).sort());
});

Deno.test("each request is byte for byte what ip or tc sent", async (t) => {
  for (const fixture of REQUESTS) {
    await t.step(`${fixture.name}: ${fixture.command}`, () => {
      const { request, dump = false } = BUILDS[fixture.name]!(fixture);
      const bytes = sent(request, dump);
      const seq = new DataView(bytes.buffer).getUint32(8, true);
      if (dump) {
        assert.equal(new DataView(bytes.buffer).getUint16(6, true) & NLM_F_DUMP, NLM_F_DUMP);
      }
      assert.equal(hex(bytes), expected(fixture, seq));
    });
  }
});

Deno.test("a link is looked up by name or index, without statistics", () => {
  // ip asks with ifi_family AF_PACKET and for VF details; the kernel answers the same link.
  assert.equal(
    hex(getLinkRequest("eth0").body),
    "00000000000000000000000000000000" + "09000300657468300000000008001d0008000000",
  );
  assert.equal(
    hex(getLinkRequest(7).body),
    "00000000070000000000000000000000" + "08001d0008000000",
  );
});

Deno.test("a link is changed or deleted by name: index 0 and IFLA_IFNAME, one request", async (t) => {
  // The kernel finds the link by IFLA_IFNAME when ifi_index is 0; by index, IFLA_IFNAME would
  // be a new name.
  const rows: [string, Request, string][] = [
    [
      "set up",
      setLinkRequest("eth9", { up: true }),
      "00000000000000000100000001000000" + "090003006574683900000000",
    ],
    [
      "set mtu and master",
      setLinkRequest("eth9", { mtu: 1400, masterIndex: 4 }),
      "00000000000000000000000000000000" + "090003006574683900000000" + "0800040078050000" +
      "08000a0004000000",
    ],
    [
      "delete",
      deleteLinkRequest("mv0"),
      "00000000000000000000000000000000" + "080003006d763000",
    ],
  ];
  for (const [name, request, body] of rows) {
    await t.step(name, () => assert.equal(hex(request.body), body));
  }
  await t.step("a name the kernel would refuse is refused first", () => {
    assert.throws(() => setLinkRequest("eth 0", { up: true }), /invalid interface name "eth 0"/);
    assert.throws(() => deleteLinkRequest("x".repeat(16)), /invalid interface name/);
  });
});

Deno.test("allmulti is a flag the request sets and clears through ifi_change", () => {
  // ip 6.1 has no "allmulti" word; IFF_ALLMULTI is 0x200 in ifi_flags and ifi_change.
  assert.equal(
    hex(setLinkRequest(7, { allmulti: true }).body),
    "000000000700000000020000" + "00020000",
  );
  assert.equal(
    hex(setLinkRequest(7, { allmulti: false }).body),
    "000000000700000000000000" + "00020000",
  );
});

Deno.test("requests refuse values the kernel would read differently", async (t) => {
  const rows: [string, () => unknown, RegExp][] = [
    [
      "a name longer than 15 bytes",
      () => createLinkRequest({ kind: "bridge", name: "a-very-long-name" }),
      /invalid interface name "a-very-long-name": it is longer than 15 bytes/,
    ],
    [
      "a name with a NUL",
      () => createLinkRequest({ kind: "bridge", name: "br\0x" }),
      /invalid interface name .*NUL/,
    ],
    [
      "a name with a slash",
      () => createLinkRequest({ kind: "bridge", name: "br/0" }),
      /invalid interface name "br\/0": it contains \/ or : or white space/,
    ],
    [
      "a name with white space",
      () => getLinkRequest("eth 0"),
      /invalid interface name "eth 0"/,
    ],
    ["an empty name", () => renameLinkRequest(3, ""), /invalid interface name "": it is empty/],
    [
      "a peer name too long",
      () => createLinkRequest(veth({ peerName: "x".repeat(16) })),
      /invalid peer interface name/,
    ],
    [
      "an MTU out of range",
      () => createLinkRequest({ kind: "bridge", name: "br0", mtu: 2 ** 31 }),
      /invalid MTU 2147483648/,
    ],
    [
      "a fractional MTU",
      () => setLinkRequest(3, { mtu: 1500.5 }),
      /invalid MTU 1500.5/,
    ],
    [
      "a MAC of five bytes",
      () => setLinkRequest(3, { mac: "02:00:00:00:01" }),
      /invalid hardware address "02:00:00:00:01"/,
    ],
    [
      "a MAC with junk",
      () => createLinkRequest(veth({ peerMac: "02:00:00:00:00:0g" })),
      /invalid peer hardware address/,
    ],
    [
      "a VLAN id above 4094",
      () =>
        createLinkRequest({ kind: "vlan", name: "v", parent: "eth0", vlanId: 4095 }, {
          parentIndex: 2,
        }),
      /invalid VLAN id 4095/,
    ],
    [
      "an unknown macvlan mode",
      () =>
        createLinkRequest(
          { kind: "macvlan", name: "m", parent: "eth0", mode: "hub" as "bridge" },
          { parentIndex: 2 },
        ),
      /invalid macvlan mode "hub"/,
    ],
    [
      "an inherited property as a mode",
      () =>
        createLinkRequest(
          { kind: "ipvlan", name: "m", parent: "eth0", mode: "constructor" as "l2" },
          { parentIndex: 2 },
        ),
      /invalid ipvlan mode "constructor"/,
    ],
    ["an index of 0", () => deleteLinkRequest(0), /invalid interface index 0/],
    [
      "a gateway of the other family",
      () => resolveRoute({ dst: "10.0.0.0/8", via: "2001:db8::1", dev: "eth0" }, 2),
      /invalid gateway "2001:db8::1": it is not in the family of the destination 10.0.0.0\/8/,
    ],
    [
      "a destination that is not one",
      () => resolveRoute({ dst: "10.0.0.0/33", dev: "eth0" }, 2),
      /invalid route destination "10.0.0.0\/33"/,
    ],
    [
      "a table above 2^32",
      () => resolveRoute({ dst: "10.0.0.0/8", dev: "eth0", table: 2 ** 32 }, 2),
      /invalid routing table 4294967296/,
    ],
    [
      "an unknown scope",
      () => resolveRoute({ dst: "10.0.0.0/8", dev: "eth0", scope: "site" as "link" }, 2),
      /invalid route scope "site"/,
    ],
    [
      "an address without a prefix length",
      () => parsePrefix("10.1.0.5", "address"),
      /invalid address "10.1.0.5"/,
    ],
    [
      "a tbf rate of 0",
      () => addTbfRequest(2, { rate: 0, burst: 1, limit: 1 }, TICKS),
      /invalid tbf rate 0/,
    ],
    [
      "a tbf without limit or latency",
      () => addTbfRequest(2, { rate: 1, burst: 1 }, TICKS),
      /it needs a limit or a latency/,
    ],
    [
      "a tbf peak rate without an MTU",
      () => addTbfRequest(2, { rate: 1, burst: 1, limit: 1, peakrate: 2 }, TICKS),
      /invalid tbf peak rate 2: it needs an MTU/,
    ],
    [
      "a tbf burst above 2^32",
      () => addTbfRequest(2, { rate: 1, burst: 2 ** 32, limit: 1 }, TICKS),
      /invalid tbf burst 4294967296/,
    ],
  ];
  for (const [name, build, message] of rows) {
    await t.step(name, () => {
      assert.throws(build, (error: unknown) => {
        assert.ok(error instanceof CniError, `${error}`);
        assert.equal(error.code, 7);
        assert.match(error.message, message);
        return true;
      });
    });
  }
});
