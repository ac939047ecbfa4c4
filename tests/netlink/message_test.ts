/**
 * The message codec: encoding (lengths, 4-byte padding, nests) and decoding with bounds checks;
 * then the decoders fuzzed with truncated and garbled real kernel replies: a bad reply is a
 * MalformedMessageError (or, through a socket, a KernelError), never another exception or a hang.
 */
import { seededRandom } from "../../lib/_model_kernel/mac.ts";
import assert from "node:assert/strict";
import { KernelError } from "../../lib/net_errors.ts";
import {
  Attributes,
  attributeString,
  decodeMessages,
  encodeMessage,
  Encoder,
  findAttribute,
  MalformedMessageError,
  type Message,
} from "../../lib/netlink/_message.ts";
import { NLMSG_DONE, NLMSG_ERROR } from "../../lib/netlink/_uapi.ts";
import { decodeAddress } from "../../lib/netlink/address.ts";
import { decodeLink, decodeLinkIndex, decodeLinkName } from "../../lib/netlink/link.ts";
import { decodeRoute } from "../../lib/netlink/route.ts";
import {
  decodeError,
  ReceiveTimeoutError,
  RouteSocket,
  type Transport,
} from "../../lib/netlink/socket.ts";
import { decodeQdisc } from "../../lib/netlink/tc.ts";
import { REPLIES } from "./testdata/captured.ts";

function hex(bytes: Uint8Array): string {
  return Array.from(bytes, (byte) => byte.toString(16).padStart(2, "0")).join("");
}

function hexBytes(text: string): Uint8Array<ArrayBuffer> {
  return Uint8Array.from(text.match(/../g) ?? [], (byte) => parseInt(byte, 16));
}

Deno.test("Encoder pads attributes to 4 bytes and gives a nest the length of its content", () => {
  const encoder = new Encoder().u8(1).pad();
  encoder.attrString(3, "veth1");
  encoder.nest(18, () => {
    encoder.attrString(1, "veth", false);
    encoder.attrU16(2, 0x0102);
  });
  encoder.attrU64(4, 0x0102030405060708n);
  assert.equal(
    hex(encoder.finish()),
    "01000000" + "0a000300" + "7665746831000000" + // "veth1\0", padded
      "14001200" + "0800010076657468" + "060002000201" + "0000" + // nest of 20 bytes
      "0c000400" + "0807060504030201",
  );
});

Deno.test("encodeMessage writes nlmsghdr: length, type, flags, sequence number, port id", () => {
  const bytes = encodeMessage({ type: 16, flags: 0x605, body: new Uint8Array([1, 2, 3, 4]) }, 7);
  assert.equal(hex(bytes), "14000000" + "1000" + "0506" + "07000000" + "00000000" + "01020304");
});

Deno.test("an encoder grows past its first buffer", () => {
  const encoder = new Encoder();
  for (let i = 0; i < 1000; i++) encoder.u32(i);
  const bytes = encoder.finish();
  assert.equal(bytes.length, 4000);
  assert.equal(new DataView(bytes.buffer).getUint32(3996, true), 999);
});

Deno.test("Attributes reads numbers, strings and nests, and strips the nested flags", () => {
  const encoder = new Encoder();
  encoder.attrU32(4, 1500).attrString(3, "eth0").attrS32(37, -1).attrU16(1, 100);
  encoder.nest(18 | 0x8000, () => encoder.attrString(1, "vlan", false));
  const attributes = new Attributes(encoder.finish());
  assert.equal(attributes.u32(4), 1500);
  assert.equal(attributes.string(3), "eth0");
  assert.equal(attributes.s32(37), -1);
  assert.equal(attributes.u16(1), 100);
  assert.equal(attributes.nested(18)?.string(1), "vlan");
  assert.equal(attributes.u32(99), undefined);
});

Deno.test("Attributes refuses lengths out of bounds and numbers that are too short", async (t) => {
  const rows: [string, string, (a: Attributes) => unknown, RegExp][] = [
    ["a short attribute header", "0800", () => 0, /2 bytes left at offset 0: a short attribute/],
    ["a length below 4", "02000100", () => 0, /attribute length 2 at offset 0/],
    [
      "a length past the end",
      "0c00010001000000",
      () => 0,
      /attribute length 12 at offset 0 with 8/,
    ],
    [
      "a u32 of 2 bytes",
      "06000100ffff0000",
      (a) => a.u32(1),
      /attribute 1 has 2 bytes, 4 expected/,
    ],
    [
      "a u64 of 4 bytes",
      "0800010001000000",
      (a) => a.u64(1),
      /attribute 1 has 4 bytes, 8 expected/,
    ],
  ];
  for (const [name, bytes, read, message] of rows) {
    await t.step(name, () => {
      assert.throws(() => read(new Attributes(hexBytes(bytes))), (error: unknown) => {
        assert.ok(error instanceof MalformedMessageError, `${error}`);
        assert.match(error.message, message);
        return true;
      });
    });
  }
  await t.step("the last attribute's padding may be missing", () => {
    assert.equal(new Attributes(hexBytes("0500010061")).string(1), "a");
  });
});

Deno.test("findAttribute() finds the first of a type and checks the lengths before it", async (t) => {
  const encoder = new Encoder();
  encoder.attrU32(4, 1500).attrString(3, "eth0").attrString(3, "second");
  encoder.nest(18 | 0x8000, () => encoder.attrString(1, "vlan", false));
  const bytes = encoder.finish();
  await t.step("each as Attributes reads it", () => {
    assert.equal(attributeString(findAttribute(bytes, 3)!), "eth0");
    assert.deepEqual(findAttribute(bytes, 4), new Attributes(bytes).bytes(4));
    assert.equal(new Attributes(findAttribute(bytes, 18)!).string(1), "vlan");
    assert.equal(findAttribute(bytes, 99), undefined);
  });
  await t.step("a string without a NUL is its whole data", () => {
    assert.equal(attributeString(findAttribute(hexBytes("0500010061"), 1)!), "a");
  });
  const rows: [string, string][] = [
    ["a short attribute header", "0800"],
    ["a length below 4", "02000100"],
    ["a length past the end", "0c00010001000000"],
  ];
  for (const [name, bytes] of rows) {
    await t.step(`${name} before the one asked for`, () => {
      assert.throws(() => findAttribute(hexBytes(bytes), 9), MalformedMessageError);
    });
  }
});

Deno.test("decodeMessages splits a datagram and refuses bad lengths", () => {
  const one = encodeMessage({ type: 16, flags: 2, body: new Uint8Array(5) }, 1);
  const two = encodeMessage({ type: 3, flags: 2, body: new Uint8Array(4) }, 1);
  const both = new Uint8Array(one.length + two.length);
  both.set(one);
  both.set(two, one.length);
  assert.deepEqual(decodeMessages(both).map((m) => [m.type, m.payload.length]), [[16, 8], [3, 4]]);
  assert.throws(() => decodeMessages(both.subarray(0, both.length - 1)), MalformedMessageError);
});

/** Every decoder on every message of a datagram. */
function decodeAll(datagram: Uint8Array<ArrayBuffer>): void {
  for (const message of decodeMessages(datagram)) {
    decodeLink(message);
    decodeLinkIndex(message);
    decodeLinkName(message);
    decodeAddress(message);
    decodeRoute(message);
    decodeQdisc(message, () => 15.625);
    if (message.type === NLMSG_ERROR || message.type === NLMSG_DONE) decodeError(message);
  }
}

/** Runs `decode`; only success or a MalformedMessageError is allowed. */
function survives(decode: () => void, what: string): void {
  try {
    decode();
  } catch (error) {
    if (!(error instanceof MalformedMessageError)) {
      throw new Error(`${what}: ${error instanceof Error ? error.stack : error}`);
    }
  }
}

const DATAGRAMS = REPLIES.flatMap((reply) => reply.datagrams.map(hexBytes));

Deno.test("the captured replies decode without error as they are", () => {
  for (const datagram of DATAGRAMS) decodeAll(datagram);
});

Deno.test("truncated replies are a MalformedMessageError or decode, never a crash", () => {
  for (const datagram of DATAGRAMS) {
    const step = Math.max(1, Math.floor(datagram.length / 300));
    for (let length = 0; length < datagram.length; length += step) {
      survives(() => decodeAll(datagram.slice(0, length)), `truncated to ${length}`);
    }
  }
});

Deno.test("garbled replies are a MalformedMessageError or decode, never a crash", () => {
  const next = seededRandom(20240611);
  for (let round = 0; round < 4000; round++) {
    const datagram = DATAGRAMS[Math.floor(next() * DATAGRAMS.length)]!.slice();
    const flips = 1 + Math.floor(next() * 8);
    for (let i = 0; i < flips; i++) {
      const at = Math.floor(next() * datagram.length);
      // Lengths and types sit in the first bytes of headers: garble those most.
      datagram[at] = next() < 0.5 ? Math.floor(next() * 256) : datagram[at]! ^ 0xff;
    }
    survives(() => decodeAll(datagram), `round ${round}`);
  }
});

Deno.test("random bytes are a MalformedMessageError or decode, never a crash", () => {
  const next = seededRandom(7);
  for (let round = 0; round < 2000; round++) {
    const datagram = Uint8Array.from({ length: Math.floor(next() * 200) }, () => next() * 256);
    // A plausible header now and then, so that the decoders behind it get random payloads.
    if (datagram.length >= 16 && next() < 0.7) {
      const view = new DataView(datagram.buffer);
      view.setUint32(0, 16 + Math.floor(next() * (datagram.length - 15)), true);
      view.setUint16(4, [2, 3, 16, 20, 24, 36][Math.floor(next() * 6)]!, true);
    }
    survives(() => decodeAll(datagram), `round ${round}`);
  }
});

Deno.test("garbled replies through a socket are a KernelError, never another error", () => {
  const next = seededRandom(99);
  for (let round = 0; round < 500; round++) {
    const source = DATAGRAMS[Math.floor(next() * DATAGRAMS.length)]!;
    let answered = false;
    const transport: Transport = {
      portId: 0,
      send() {
        answered = false;
      },
      receive(buffer) {
        // One garbled real datagram whose messages are made to match the request; then silence.
        if (answered) throw new ReceiveTimeoutError(20);
        answered = true;
        const datagram = source.slice(0, Math.floor(next() * source.length) + 1);
        for (let i = 0; i < 4; i++) datagram[Math.floor(next() * datagram.length)] = next() * 256;
        const messages: Message[] = [];
        try {
          messages.push(...decodeMessages(datagram));
        } catch { /* left garbled */ }
        for (const message of messages) {
          const header = new DataView(datagram.buffer, message.payload.byteOffset - 16, 16);
          header.setUint32(8, 1, true);
          header.setUint32(12, 0, true);
        }
        buffer.set(datagram);
        return datagram.length;
      },
      close() {},
    };
    const socket = new RouteSocket(transport, { timeoutMs: 20 });
    try {
      socket.dump({ type: 18, flags: 0, body: new Uint8Array(16) }, {
        operation: "list",
        object: "links",
      }, decodeLink);
    } catch (error) {
      assert.ok(error instanceof KernelError, `round ${round}: ${error}`);
    }
  }
});
