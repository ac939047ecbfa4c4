/**
 * Netlink messages as bytes: the 16-byte `nlmsghdr`, a fixed header of each message type, and
 * attributes (`rtattr`/`nlattr`: length, type, data, each padded to 4 bytes; a nested attribute
 * holds attributes). Everything is host byte order (little-endian on the machines this runs on).
 *
 * Decoding checks every length against the bytes there are: a short header, a length past the
 * end or an attribute out of bounds is a {@link MalformedMessageError}, never a read past the end.
 *
 * @module
 */
import { NLA_F_NESTED, NLA_F_NET_BYTEORDER } from "./_uapi.ts";

/** The size of `struct nlmsghdr`. */
export const NLMSG_HDRLEN = 16;

/** The size of an attribute's header. */
const NLA_HDRLEN = 4;

/** `n` rounded up to a multiple of 4, as netlink aligns messages and attributes. */
export function align4(n: number): number {
  return (n + 3) & ~3;
}

/** A reply that does not parse: too short, or a length that points past the bytes there are. */
export class MalformedMessageError extends Error {
  /**
   * Makes the error.
   *
   * @param message what is wrong
   */
  constructor(message: string) {
    super(message);
    this.name = "MalformedMessageError";
  }
}

/** A request before it gets its header: the message type, the flags and what follows the header. */
export interface Request {
  /** The message type, e.g. RTM_NEWLINK. */
  readonly type: number;
  /** The NLM_F_* flags. */
  readonly flags: number;
  /** The fixed header and the attributes. */
  readonly body: Uint8Array<ArrayBuffer>;
}

/** A message as received. */
export interface Message {
  /** The message type. */
  readonly type: number;
  /** The NLM_F_* flags. */
  readonly flags: number;
  /** The sequence number. */
  readonly seq: number;
  /** The port id. */
  readonly pid: number;
  /** What follows the header, up to `nlmsg_len`. */
  readonly payload: Uint8Array<ArrayBuffer>;
}

const MAX_U16 = 0xffff;

/** Writes a message body: fixed headers, attributes and nests, growing as needed. */
export class Encoder {
  #bytes = new Uint8Array(256);
  #view = new DataView(this.#bytes.buffer);
  #length = 0;

  #reserve(n: number): number {
    const at = this.#length;
    if (at + n > this.#bytes.length) {
      const bigger = new Uint8Array(Math.max(this.#bytes.length * 2, at + n));
      bigger.set(this.#bytes.subarray(0, at));
      this.#bytes = bigger;
      this.#view = new DataView(bigger.buffer);
    }
    this.#length = at + n;
    return at;
  }

  /** Appends a byte. */
  u8(value: number): this {
    const at = this.#reserve(1);
    this.#view.setUint8(at, value);
    return this;
  }

  /** Appends a 16-bit number. */
  u16(value: number): this {
    const at = this.#reserve(2);
    this.#view.setUint16(at, value, true);
    return this;
  }

  /** Appends a signed 16-bit number. */
  s16(value: number): this {
    const at = this.#reserve(2);
    this.#view.setInt16(at, value, true);
    return this;
  }

  /** Appends a 32-bit number. */
  u32(value: number): this {
    const at = this.#reserve(4);
    this.#view.setUint32(at, value, true);
    return this;
  }

  /** Appends a signed 32-bit number. */
  s32(value: number): this {
    const at = this.#reserve(4);
    this.#view.setInt32(at, value, true);
    return this;
  }

  /** Appends a 64-bit number. */
  u64(value: bigint): this {
    const at = this.#reserve(8);
    this.#view.setBigUint64(at, value, true);
    return this;
  }

  /** Appends bytes. */
  bytes(data: Uint8Array): this {
    const at = this.#reserve(data.length);
    this.#bytes.set(data, at);
    return this;
  }

  /** Appends zero bytes up to a multiple of 4. */
  pad(): this {
    this.#reserve(align4(this.#length) - this.#length);
    return this;
  }

  /** Appends an attribute whose data `write` appends, then pads. */
  #attribute(type: number, write: () => void): this {
    this.pad();
    const start = this.#reserve(NLA_HDRLEN);
    write();
    const length = this.#length - start;
    if (length > MAX_U16) throw new RangeError(`attribute ${type} is ${length} bytes long`);
    this.#view.setUint16(start, length, true);
    this.#view.setUint16(start + 2, type, true);
    return this.pad();
  }

  /** Appends an attribute holding `data`. */
  attr(type: number, data: Uint8Array): this {
    return this.#attribute(type, () => this.bytes(data));
  }

  /** Appends an attribute holding a 16-bit number. */
  attrU16(type: number, value: number): this {
    return this.#attribute(type, () => this.u16(value));
  }

  /** Appends an attribute holding a 32-bit number. */
  attrU32(type: number, value: number): this {
    return this.#attribute(type, () => this.u32(value));
  }

  /** Appends an attribute holding a signed 32-bit number. */
  attrS32(type: number, value: number): this {
    return this.#attribute(type, () => this.s32(value));
  }

  /** Appends an attribute holding a 64-bit number. */
  attrU64(type: number, value: bigint): this {
    return this.#attribute(type, () => this.u64(value));
  }

  /**
   * Appends an attribute holding a string, NUL-terminated unless `terminated` is false (the kind
   * of a link, which `ip` sends without the NUL).
   */
  attrString(type: number, text: string, terminated = true): this {
    const bytes = new TextEncoder().encode(text);
    return this.#attribute(type, () => {
      this.bytes(bytes);
      if (terminated) this.u8(0);
    });
  }

  /** Appends a nested attribute whose content `write` appends; its length covers the padding. */
  nest(type: number, write: () => void): this {
    this.pad();
    const start = this.#reserve(NLA_HDRLEN);
    write();
    this.pad();
    const length = this.#length - start;
    if (length > MAX_U16) throw new RangeError(`attribute ${type} is ${length} bytes long`);
    this.#view.setUint16(start, length, true);
    this.#view.setUint16(start + 2, type, true);
    return this;
  }

  /** The bytes written, padded to a multiple of 4. */
  finish(): Uint8Array<ArrayBuffer> {
    this.pad();
    return this.#bytes.slice(0, this.#length);
  }
}

/**
 * The bytes of a request: `nlmsghdr` (length, type, flags, sequence number, port id) and the body.
 *
 * @param request the type, flags and body
 * @param seq the sequence number
 * @param pid the sender's port id; 0 lets the kernel fill it in
 */
export function encodeMessage(request: Request, seq: number, pid = 0): Uint8Array<ArrayBuffer> {
  const length = NLMSG_HDRLEN + align4(request.body.length);
  const bytes = new Uint8Array(length);
  const view = new DataView(bytes.buffer);
  view.setUint32(0, length, true);
  view.setUint16(4, request.type, true);
  view.setUint16(6, request.flags, true);
  view.setUint32(8, seq >>> 0, true);
  view.setUint32(12, pid >>> 0, true);
  bytes.set(request.body, NLMSG_HDRLEN);
  return bytes;
}

/**
 * The messages of one datagram, each with its payload (a view into `datagram`).
 *
 * @throws {MalformedMessageError} for a header shorter than 16 bytes, a length below 16 or past
 * the end of the datagram
 */
export function decodeMessages(datagram: Uint8Array<ArrayBuffer>): Message[] {
  const view = new DataView(datagram.buffer, datagram.byteOffset, datagram.byteLength);
  const messages: Message[] = [];
  let offset = 0;
  while (offset < datagram.length) {
    const left = datagram.length - offset;
    if (left < NLMSG_HDRLEN) {
      throw new MalformedMessageError(`${left} bytes left at offset ${offset}: a short header`);
    }
    const length = view.getUint32(offset, true);
    if (length < NLMSG_HDRLEN || length > left) {
      throw new MalformedMessageError(
        `message length ${length} at offset ${offset} with ${left} bytes left`,
      );
    }
    messages.push({
      type: view.getUint16(offset + 4, true),
      flags: view.getUint16(offset + 6, true),
      seq: view.getUint32(offset + 8, true),
      pid: view.getUint32(offset + 12, true),
      payload: datagram.subarray(offset + NLMSG_HDRLEN, offset + length),
    });
    offset += align4(length);
  }
  return messages;
}

/**
 * A fixed header at the start of a payload, as a DataView; `what` names it in the error.
 *
 * @throws {MalformedMessageError} when the payload is shorter than `size`
 */
export function fixedHeader(
  payload: Uint8Array<ArrayBuffer>,
  size: number,
  what: string,
): DataView<ArrayBuffer> {
  if (payload.length < size) {
    throw new MalformedMessageError(
      `${what} needs ${size} bytes, the message has ${payload.length}`,
    );
  }
  return new DataView(payload.buffer, payload.byteOffset, size);
}

/** The attributes of a message or a nest, by type (the last of a repeated type wins). */
/**
 * The data of the first attribute of `type` in `bytes`, found by walking the attributes up to it
 * rather than reading them all: what a reader that needs one attribute of a long message uses.
 *
 * @throws {MalformedMessageError} for an attribute before it whose length is below 4 or past the
 *   end
 */
export function findAttribute(
  bytes: Uint8Array<ArrayBuffer>,
  type: number,
): Uint8Array<ArrayBuffer> | undefined {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  for (let offset = 0; offset < bytes.length;) {
    const left = bytes.length - offset;
    const length = left < NLA_HDRLEN ? 0 : view.getUint16(offset, true);
    if (length < NLA_HDRLEN || length > left) {
      throw new MalformedMessageError(`attribute length ${length} at offset ${offset}`);
    }
    if ((view.getUint16(offset + 2, true) & ~(NLA_F_NESTED | NLA_F_NET_BYTEORDER)) === type) {
      return bytes.subarray(offset + NLA_HDRLEN, offset + length);
    }
    offset += align4(length);
  }
  return undefined;
}

/** A NUL-terminated string attribute's text (the whole data when it has no NUL). */
export function attributeString(data: Uint8Array<ArrayBuffer>): string {
  const end = data.indexOf(0);
  return utf8.decode(end < 0 ? data : data.subarray(0, end));
}

const utf8 = new TextDecoder();

export class Attributes {
  readonly #byType = new Map<number, Uint8Array<ArrayBuffer>>();

  /**
   * Parses the attributes in `bytes`.
   *
   * @throws {MalformedMessageError} for an attribute whose length is below 4 or past the end
   */
  constructor(bytes: Uint8Array<ArrayBuffer>) {
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    let offset = 0;
    while (offset < bytes.length) {
      const left = bytes.length - offset;
      if (left < NLA_HDRLEN) {
        throw new MalformedMessageError(
          `${left} bytes left at offset ${offset}: a short attribute`,
        );
      }
      const length = view.getUint16(offset, true);
      if (length < NLA_HDRLEN || length > left) {
        throw new MalformedMessageError(
          `attribute length ${length} at offset ${offset} with ${left} bytes left`,
        );
      }
      const type = view.getUint16(offset + 2, true) & ~(NLA_F_NESTED | NLA_F_NET_BYTEORDER);
      this.#byType.set(type, bytes.subarray(offset + NLA_HDRLEN, offset + length));
      offset += align4(length);
    }
  }

  /** True when there is an attribute of this type. */
  has(type: number): boolean {
    return this.#byType.has(type);
  }

  /** The data of the attribute of this type. */
  bytes(type: number): Uint8Array<ArrayBuffer> | undefined {
    return this.#byType.get(type);
  }

  #sized(type: number, size: number): DataView<ArrayBuffer> | undefined {
    const data = this.#byType.get(type);
    if (data === undefined) return undefined;
    if (data.length < size) {
      throw new MalformedMessageError(
        `attribute ${type} has ${data.length} bytes, ${size} expected`,
      );
    }
    return new DataView(data.buffer, data.byteOffset, size);
  }

  /** The attribute as an 8-bit number. */
  u8(type: number): number | undefined {
    return this.#sized(type, 1)?.getUint8(0);
  }

  /** The attribute as a 16-bit number. */
  u16(type: number): number | undefined {
    return this.#sized(type, 2)?.getUint16(0, true);
  }

  /** The attribute as a 32-bit number. */
  u32(type: number): number | undefined {
    return this.#sized(type, 4)?.getUint32(0, true);
  }

  /** The attribute as a signed 32-bit number. */
  s32(type: number): number | undefined {
    return this.#sized(type, 4)?.getInt32(0, true);
  }

  /** The attribute as a 64-bit number. */
  u64(type: number): bigint | undefined {
    return this.#sized(type, 8)?.getBigUint64(0, true);
  }

  /** The attribute as a string, up to its first NUL. */
  string(type: number): string | undefined {
    const data = this.#byType.get(type);
    return data === undefined ? undefined : attributeString(data);
  }

  /** The attributes nested in the attribute of this type. */
  nested(type: number): Attributes | undefined {
    const data = this.#byType.get(type);
    return data === undefined ? undefined : new Attributes(data);
  }
}
