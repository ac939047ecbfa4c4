/**
 * RouteSocket over a scripted transport: replies matched by sequence number and port id, dumps
 * across datagrams until NLMSG_DONE, errors with the kernel's message, interrupted dumps asked
 * again, and every way a reply can be wrong (truncated, garbled, late, never) an error rather
 * than a crash or a hang. Then the C library's socket: a receive with nothing to read times out.
 */
import assert from "node:assert/strict";
import { KernelError } from "../../lib/net_errors.ts";
import { Encoder, type Message, type Request } from "../../lib/netlink/_message.ts";
import {
  NLM_F_ACK,
  NLM_F_ACK_TLVS,
  NLM_F_CAPPED,
  NLM_F_DUMP,
  NLM_F_DUMP_INTR,
  NLM_F_MULTI,
  NLM_F_REQUEST,
  NLMSG_DONE,
  NLMSG_ERROR,
  NLMSGERR_ATTR_MSG,
  RTM_GETLINK,
  RTM_NEWLINK,
} from "../../lib/netlink/_uapi.ts";
import { ERRNO } from "../../lib/netlink/errno.ts";
import {
  kernelTransport,
  ReceiveTimeoutError,
  RouteSocket,
  type Transport,
} from "../../lib/netlink/socket.ts";

const PORT = 777;
const REQUEST: Request = { type: RTM_GETLINK, flags: 0, body: new Uint8Array(16) };
const CONTEXT = { operation: "list links", object: "here" };

/** One message's bytes. */
function message(
  type: number,
  seq: number,
  payload: Uint8Array,
  options: { flags?: number; pid?: number } = {},
): Uint8Array<ArrayBuffer> {
  const length = 16 + payload.length;
  const bytes = new Uint8Array((length + 3) & ~3);
  const view = new DataView(bytes.buffer);
  view.setUint32(0, length, true);
  view.setUint16(4, type, true);
  view.setUint16(6, options.flags ?? 0, true);
  view.setUint32(8, seq, true);
  view.setUint32(12, options.pid ?? PORT, true);
  bytes.set(payload, 16);
  return bytes;
}

function concat(...parts: Uint8Array[]): Uint8Array<ArrayBuffer> {
  const out = new Uint8Array(parts.reduce((sum, part) => sum + part.length, 0));
  let at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.length;
  }
  return out;
}

/** An NLMSG_ERROR payload: the errno, the request's header, and attributes. */
function errorPayload(errno: number, options: { capped?: boolean; detail?: string } = {}) {
  const encoder = new Encoder().s32(-errno);
  // The request's header; when not capped, its 16-byte payload too.
  encoder.u32(options.capped ? 16 : 32).u16(RTM_GETLINK).u16(5).u32(1).u32(0);
  if (!options.capped) encoder.bytes(new Uint8Array(16));
  if (options.detail !== undefined) encoder.attrString(NLMSGERR_ATTR_MSG, options.detail);
  return encoder.finish();
}

function ack(seq: number, errno = 0, options: { capped?: boolean; detail?: string } = {}) {
  let flags = 0;
  if (options.capped) flags |= NLM_F_CAPPED;
  if (options.detail !== undefined) flags |= NLM_F_ACK_TLVS;
  return message(NLMSG_ERROR, seq, errorPayload(errno, options), { flags });
}

function done(seq: number, errno = 0, detail?: string) {
  const encoder = new Encoder().s32(-errno);
  if (detail !== undefined) encoder.attrString(NLMSGERR_ATTR_MSG, detail);
  return message(NLMSG_DONE, seq, encoder.finish(), {
    flags: NLM_F_MULTI | (detail === undefined ? 0 : NLM_F_ACK_TLVS),
  });
}

/** A link message whose payload names its position, for checking what came back. */
function link(seq: number, n: number, flags = NLM_F_MULTI) {
  const payload = new Encoder().u8(0).u8(0).u16(0).s32(n).u32(0).u32(0).finish();
  return message(RTM_NEWLINK, seq, payload, { flags });
}

const linkNumber = (m: Message) =>
  m.type === RTM_NEWLINK
    ? new DataView(m.payload.buffer, m.payload.byteOffset).getInt32(4, true)
    : undefined;

/**
 * A transport that answers each request it is sent with the datagrams `script` returns for its
 * sequence number (and how many requests came before it).
 */
function scripted(script: (seq: number, count: number) => (Uint8Array | number)[]) {
  const sent: Uint8Array[] = [];
  let queue: (Uint8Array | number)[] = [];
  const transport: Transport = {
    portId: PORT,
    send(datagram) {
      sent.push(datagram.slice());
      const seq = new DataView(datagram.buffer).getUint32(8, true);
      queue = script(seq, sent.length - 1);
    },
    receive(buffer) {
      const next = queue.shift();
      if (next === undefined) throw new ReceiveTimeoutError(50);
      if (typeof next === "number") return next;
      buffer.set(next.subarray(0, Math.min(next.length, buffer.length)));
      return next.length;
    },
    close() {},
  };
  return { transport, sent };
}

function kernelErrorMatching(errno: string, message: RegExp) {
  return (error: unknown) => {
    assert.ok(error instanceof KernelError, `${error}`);
    assert.equal(error.errno, errno);
    assert.match(error.message, message);
    return true;
  };
}

Deno.test("a request carries NLM_F_REQUEST, NLM_F_ACK and a new sequence number each time", () => {
  const { transport, sent } = scripted((seq) => [ack(seq)]);
  const socket = new RouteSocket(transport);
  socket.request(REQUEST, CONTEXT);
  socket.request(REQUEST, CONTEXT);
  const header = (bytes: Uint8Array) => new DataView(bytes.buffer);
  assert.equal(header(sent[0]!).getUint16(6, true), NLM_F_REQUEST | NLM_F_ACK);
  assert.equal(header(sent[1]!).getUint32(8, true), header(sent[0]!).getUint32(8, true) + 1);
});

Deno.test("a request returns the messages before its acknowledgement", () => {
  const { transport } = scripted((seq) => [concat(link(seq, 5, 0), ack(seq))]);
  assert.deepEqual(new RouteSocket(transport).request(REQUEST, CONTEXT, linkNumber), [5]);
});

Deno.test("replies of other requests and other ports are skipped", () => {
  const { transport } = scripted((seq) => [
    concat(link(seq - 1, 1), ack(seq - 1)), // a late reply to an earlier request
    concat(link(seq, 2, 0), link(seq, 3, 0), link(seq, 4, 0)),
    message(RTM_NEWLINK, seq, link(seq, 9).subarray(16), { pid: PORT + 1 }),
    ack(seq),
  ]);
  assert.deepEqual(new RouteSocket(transport).request(REQUEST, CONTEXT, linkNumber), [2, 3, 4]);
});

Deno.test("a dump is read across datagrams until NLMSG_DONE", () => {
  const { transport, sent } = scripted((seq) => [
    concat(link(seq, 1), link(seq, 2)),
    link(seq, 3),
    concat(link(seq, 4), done(seq)),
  ]);
  const values = new RouteSocket(transport).dump(REQUEST, CONTEXT, linkNumber);
  assert.deepEqual(values, [1, 2, 3, 4]);
  assert.equal(new DataView(sent[0]!.buffer).getUint16(6, true) & NLM_F_DUMP, NLM_F_DUMP);
});

Deno.test("a refusal is a KernelError with the errno, operation and kernel message", async (t) => {
  const rows = [
    {
      name: "with the request's payload",
      reply: (seq: number) => ack(seq, ERRNO.EEXIST, { detail: "Link already exists" }),
      message: "EEXIST: list links here: already exists: Link already exists",
    },
    {
      name: "capped",
      reply: (seq: number) =>
        ack(seq, ERRNO.EOPNOTSUPP, { capped: true, detail: "Unknown device type" }),
      message: "EOPNOTSUPP: list links here: operation not supported: Unknown device type",
    },
    {
      name: "without a message",
      reply: (seq: number) => ack(seq, ERRNO.ENODEV),
      message: "ENODEV: list links here: no such device",
    },
    {
      name: "an errno without a name",
      reply: (seq: number) => ack(seq, 524),
      message: "ERRNO524: list links here: failed",
    },
  ];
  for (const row of rows) {
    await t.step(row.name, () => {
      const { transport } = scripted((seq) => [row.reply(seq)]);
      assert.throws(() => new RouteSocket(transport).request(REQUEST, CONTEXT), (error) => {
        assert.ok(error instanceof KernelError);
        assert.equal(error.message, row.message);
        return true;
      });
    });
  }
});

Deno.test("a dump that fails ends with NLMSG_DONE carrying the errno", () => {
  const { transport } = scripted((seq) => [concat(link(seq, 1), done(seq, ERRNO.EINVAL, "bad"))]);
  assert.throws(
    () => new RouteSocket(transport).dump(REQUEST, CONTEXT, linkNumber),
    kernelErrorMatching("EINVAL", /^EINVAL: list links here: invalid argument: bad$/),
  );
});

Deno.test("an interrupted dump is asked again, and given up after five tries", async (t) => {
  await t.step("once", () => {
    const { transport, sent } = scripted((seq, count) => [
      concat(
        link(seq, count, count === 0 ? NLM_F_MULTI | NLM_F_DUMP_INTR : NLM_F_MULTI),
        done(seq),
      ),
    ]);
    assert.deepEqual(new RouteSocket(transport).dump(REQUEST, CONTEXT, linkNumber), [1]);
    assert.equal(sent.length, 2);
  });
  await t.step("always", () => {
    const { transport, sent } = scripted((seq) => [
      concat(link(seq, 1, NLM_F_MULTI | NLM_F_DUMP_INTR), done(seq)),
    ]);
    assert.throws(
      () => new RouteSocket(transport).dump(REQUEST, CONTEXT, linkNumber),
      kernelErrorMatching("EAGAIN", /the dump changed while it was read, 5 times/),
    );
    assert.equal(sent.length, 5);
  });
});

Deno.test("a wrong reply is an EPROTO KernelError", async (t) => {
  const rows: [string, (seq: number) => (Uint8Array | number)[], RegExp][] = [
    ["a datagram larger than the buffer", () => [70_000], /did not fit in 65536/],
    ["a short header", () => [new Uint8Array(12)], /12 bytes left at offset 0: a short header/],
    [
      "a length past the end",
      (seq) => [link(seq, 1).subarray(0, 24)],
      /message length 32 at offset 0 with 24 bytes left/,
    ],
    [
      "a length below the header",
      (seq) => {
        const bytes = link(seq, 1);
        new DataView(bytes.buffer).setUint32(0, 8, true);
        return [bytes];
      },
      /message length 8/,
    ],
    [
      "an error without an errno",
      (seq) => [message(NLMSG_ERROR, seq, new Uint8Array(0))],
      /an error message of 0 bytes/,
    ],
    [
      "a decoder that finds garbage",
      (seq) => [concat(message(RTM_NEWLINK, seq, new Uint8Array(3)), ack(seq))],
      /struct ifinfomsg needs 16 bytes, the message has 3/,
    ],
  ];
  for (const [name, script, detail] of rows) {
    await t.step(name, async () => {
      const { transport } = scripted(script);
      const { decodeLink } = await import("../../lib/netlink/link.ts");
      assert.throws(
        () => new RouteSocket(transport).request(REQUEST, CONTEXT, decodeLink),
        kernelErrorMatching("EPROTO", detail),
      );
    });
  }
});

Deno.test("a kernel that does not answer is an EAGAIN KernelError, not a hang", async (t) => {
  await t.step("nothing comes", () => {
    const { transport } = scripted(() => []);
    assert.throws(
      () => new RouteSocket(transport, { timeoutMs: 50 }).request(REQUEST, CONTEXT),
      kernelErrorMatching("EAGAIN", /no reply from the kernel within 50 ms/),
    );
  });
  await t.step("a dump without NLMSG_DONE, datagram after datagram", () => {
    let n = 0;
    const transport: Transport = {
      portId: PORT,
      send() {},
      receive(buffer) {
        const bytes = link(0, n++);
        buffer.set(bytes);
        return bytes.length;
      },
      close() {},
    };
    const start = performance.now();
    assert.throws(
      () => new RouteSocket(transport, { timeoutMs: 50 }).dump(REQUEST, CONTEXT, linkNumber),
      kernelErrorMatching("EAGAIN", /no reply from the kernel within 50 ms/),
    );
    assert.ok(performance.now() - start < 2000);
  });
});

const ffi = await Deno.permissions.query({ name: "ffi" });
if (ffi.state !== "granted") console.log("netlink socket tests ignored: needs --allow-ffi");

Deno.test({
  name: "the C library's socket times out a receive with nothing to read (SO_RCVTIMEO)",
  ignore: ffi.state !== "granted",
  fn() {
    const transport = kernelTransport(150);
    try {
      assert.ok(transport.portId > 0);
      const start = performance.now();
      assert.throws(() => transport.receive(new Uint8Array(1024)), ReceiveTimeoutError);
      const waited = performance.now() - start;
      assert.ok(waited >= 100 && waited < 2000, `waited ${waited} ms`);
    } finally {
      transport.close();
    }
  },
});

Deno.test({
  name: "the C library's socket lists this namespace's links",
  ignore: ffi.state !== "granted",
  async fn() {
    const { decodeLink, listLinksRequest } = await import("../../lib/netlink/link.ts");
    using socket = RouteSocket.open({ timeoutMs: 2000 });
    const links = socket.dump(listLinksRequest(), CONTEXT, decodeLink);
    assert.ok(links.some((l) => l.name === "lo" && l.index === 1), JSON.stringify(links));
  },
});
