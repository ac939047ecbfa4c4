/**
 * A NETLINK_ROUTE socket: requests and their replies, matched by sequence number and port id.
 *
 * Every request asks for an acknowledgement (NLM_F_ACK), so success and failure both come back;
 * a failure becomes a {@link KernelError} with the kernel's extended acknowledgement message
 * (NETLINK_EXT_ACK) as its detail. A dump is read until NLMSG_DONE across datagrams, and asked
 * again when the kernel marks it interrupted. Each datagram is received whole into a 64 KiB buffer
 * (MSG_TRUNC tells when one was not); each receive waits at most the socket's time limit
 * (SO_RCVTIMEO), and an exchange receives nothing more once that limit has passed since its
 * request (so it ends within about twice the limit), so a kernel that never answers or never ends
 * a dump cannot hang the caller. A reply that does not parse is an EPROTO KernelError.
 *
 * The socket belongs to the network namespace of the thread that opened it, for its whole life:
 * open it inside a namespace (see `Namespace.openSocket`) and use it from anywhere.
 *
 * @module
 */
import type { KernelError } from "../net_errors.ts";
import {
  bind,
  close,
  getsockname,
  recvfrom,
  sendto,
  setsockopt,
  socket,
  SystemCallError,
} from "./_libc.ts";
import {
  Attributes,
  decodeMessages,
  encodeMessage,
  MalformedMessageError,
  type Message,
  NLMSG_HDRLEN,
  type Request,
} from "./_message.ts";
import {
  AF_NETLINK,
  MSG_TRUNC,
  NETLINK_CAP_ACK,
  NETLINK_EXT_ACK,
  NETLINK_ROUTE,
  NLM_F_ACK,
  NLM_F_ACK_TLVS,
  NLM_F_CAPPED,
  NLM_F_DUMP,
  NLM_F_DUMP_INTR,
  NLM_F_REQUEST,
  NLMSG_DONE,
  NLMSG_ERROR,
  NLMSG_NOOP,
  NLMSG_OVERRUN,
  NLMSGERR_ATTR_MSG,
  SO_RCVBUF,
  SO_RCVTIMEO,
  SO_SNDTIMEO,
  SOCK_CLOEXEC,
  SOCK_RAW,
  SOL_NETLINK,
  SOL_SOCKET,
} from "./_uapi.ts";
import { ERRNO, kernelError } from "./errno.ts";

/** What a request is for, for the error when the kernel refuses it. */
export interface Context {
  /** What is being done, e.g. "create link". */
  readonly operation: string;
  /** What it is done to, e.g. `"veth1"`. */
  readonly object: string;
}

/** How a socket moves datagrams: the C library's, or a fake in tests. */
export interface Transport {
  /** The socket's port id, which the kernel's replies carry. */
  readonly portId: number;
  /** Sends one datagram to the kernel. */
  send(datagram: Uint8Array<ArrayBuffer>): void;
  /**
   * Receives one datagram from the kernel into `buffer` and returns its whole length, which is
   * larger than the buffer when the datagram did not fit.
   *
   * @throws {ReceiveTimeoutError} when nothing came within the time limit
   */
  receive(buffer: Uint8Array<ArrayBuffer>): number;
  /** Closes the socket. */
  close(): void;
}

/** Nothing came from the kernel within the time limit. */
export class ReceiveTimeoutError extends Error {
  /**
   * Makes the error.
   *
   * @param timeoutMs the time limit
   */
  constructor(timeoutMs: number) {
    super(`no reply from the kernel within ${timeoutMs} ms`);
    this.name = "ReceiveTimeoutError";
  }
}

/** Options of {@link RouteSocket.open}. */
export interface RouteSocketOptions {
  /** The longest one exchange with the kernel may take, in milliseconds; default 10 seconds. */
  timeoutMs?: number;
}

/** The time limit of an exchange when none is given. */
export const DEFAULT_TIMEOUT_MS = 10_000;

/** The receive buffer: larger than the 32 KiB datagrams of a dump. */
const RECEIVE_BUFFER = 64 * 1024;

/** How often an interrupted dump is asked again. */
const DUMP_ATTEMPTS = 5;

/** `struct sockaddr_nl` of the kernel (port id 0, no groups). */
function kernelAddress(): Uint8Array<ArrayBuffer> {
  const address = new Uint8Array(12);
  new DataView(address.buffer).setUint16(0, AF_NETLINK, true);
  return address;
}

function int32(value: number): Uint8Array<ArrayBuffer> {
  const bytes = new Uint8Array(4);
  new DataView(bytes.buffer).setInt32(0, value, true);
  return bytes;
}

/** `struct timeval` of `ms` milliseconds (64-bit seconds and microseconds). */
function timeval(ms: number): Uint8Array<ArrayBuffer> {
  const bytes = new Uint8Array(16);
  const view = new DataView(bytes.buffer);
  view.setBigInt64(0, BigInt(Math.floor(ms / 1000)), true);
  view.setBigInt64(8, BigInt(Math.round((ms % 1000) * 1000)), true);
  return bytes;
}

/**
 * A NETLINK_ROUTE socket of the C library in the calling thread's namespace, bound to a port id
 * the kernel chooses, with extended acknowledgements on and each receive limited to `timeoutMs`
 * (SO_RCVTIMEO). Receiving retries EINTR and drops datagrams from anyone but the kernel.
 *
 * @throws {SystemCallError} when the C library refuses
 */
export function kernelTransport(timeoutMs: number): Transport {
  const fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
  try {
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, timeval(timeoutMs));
    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, timeval(timeoutMs));
    setsockopt(fd, SOL_SOCKET, SO_RCVBUF, int32(RECEIVE_BUFFER * 4));
    for (const option of [NETLINK_EXT_ACK, NETLINK_CAP_ACK]) {
      try {
        setsockopt(fd, SOL_NETLINK, option, int32(1));
      } catch (error) {
        // Kernels before 4.12 lack these options; errors then come without details.
        if (!(error instanceof SystemCallError && error.errno === ERRNO.ENOPROTOOPT)) throw error;
      }
    }
    bind(fd, kernelAddress());
    const portId = new DataView(getsockname(fd, 12).buffer).getUint32(4, true);
    const to = kernelAddress();
    const from = new Uint8Array(12);
    const fromView = new DataView(from.buffer);
    let open = true;
    return {
      portId,
      send(datagram) {
        if (!open) throw new Error("the netlink socket is closed");
        for (;;) {
          try {
            sendto(fd, datagram, to);
            return;
          } catch (error) {
            if (error instanceof SystemCallError && error.errno === ERRNO.EINTR) continue;
            throw error;
          }
        }
      },
      receive(buffer) {
        if (!open) throw new Error("the netlink socket is closed");
        for (;;) {
          let length: number;
          try {
            length = recvfrom(fd, buffer, MSG_TRUNC, from);
          } catch (error) {
            if (!(error instanceof SystemCallError)) throw error;
            if (error.errno === ERRNO.EINTR) continue;
            if (error.errno === ERRNO.EAGAIN) throw new ReceiveTimeoutError(timeoutMs);
            throw error;
          }
          // Only the kernel (port id 0) answers requests; anything else is not ours to read.
          if (fromView.getUint32(4, true) === 0) return length;
        }
      },
      close() {
        if (open) close(fd);
        open = false;
      },
    };
  } catch (error) {
    close(fd);
    throw error;
  }
}

/**
 * The errno (0 for an acknowledgement) and the kernel's explanation of an NLMSG_ERROR or
 * NLMSG_DONE message: `struct nlmsgerr` (the negative errno, the request's header, its payload
 * unless NLM_F_CAPPED) and, with NLM_F_ACK_TLVS, the NLMSGERR_ATTR_MSG attribute. A garbled
 * explanation is left out: the errno is what counts.
 *
 * @throws {MalformedMessageError} when there is no errno
 */
export function decodeError(message: Message): { errno: number; detail?: string } {
  const { payload } = message;
  if (payload.length < 4) {
    throw new MalformedMessageError(`an error message of ${payload.length} bytes`);
  }
  const view = new DataView(payload.buffer, payload.byteOffset, payload.byteLength);
  const errno = -view.getInt32(0, true);
  if ((message.flags & NLM_F_ACK_TLVS) === 0) return { errno };
  let at = 4;
  if (message.type === NLMSG_ERROR) {
    // struct nlmsgerr: the error, the request's header, the request's payload unless capped.
    if (payload.length < at + NLMSG_HDRLEN) return { errno };
    const requestLength = view.getUint32(at, true);
    at += (message.flags & NLM_F_CAPPED) !== 0 ? NLMSG_HDRLEN : (requestLength + 3) & ~3;
  }
  if (at > payload.length) return { errno };
  try {
    const detail = new Attributes(payload.subarray(at)).string(NLMSGERR_ATTR_MSG);
    return detail === undefined ? { errno } : { errno, detail: detail.trim() };
  } catch (error) {
    // The errno is what matters; a garbled explanation is left out.
    if (error instanceof MalformedMessageError) return { errno };
    throw error;
  }
}

/** A NETLINK_ROUTE socket: requests, dumps and their replies. */
export class RouteSocket {
  readonly #transport: Transport;
  readonly #timeoutMs: number;
  readonly #buffer = new Uint8Array(RECEIVE_BUFFER);
  #seq = 0;

  /**
   * A socket over a transport (a fake one in tests; {@link RouteSocket.open} for the kernel).
   *
   * @param transport how datagrams move
   * @param options the time limit
   */
  constructor(transport: Transport, options: RouteSocketOptions = {}) {
    this.#transport = transport;
    this.#timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  }

  /**
   * Opens a socket in the calling thread's network namespace, which it belongs to for its life.
   *
   * @param options the time limit
   * @throws {KernelError} when the C library refuses
   */
  static open(options: RouteSocketOptions = {}): RouteSocket {
    const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    if (!Number.isFinite(timeoutMs) || timeoutMs <= 0) {
      throw new RangeError(`invalid time limit ${timeoutMs}`);
    }
    try {
      return new RouteSocket(kernelTransport(timeoutMs), { timeoutMs });
    } catch (error) {
      if (error instanceof SystemCallError) {
        throw kernelError(error.errno, "open", "netlink socket", `${error.call} failed`);
      }
      throw error;
    }
  }

  /** The socket's port id. */
  get portId(): number {
    return this.#transport.portId;
  }

  /**
   * Sends a request (not a dump) and returns what the kernel answered before its
   * acknowledgement, each message turned into a value by `decode` (undefined skips one).
   *
   * @throws {KernelError} when the kernel refuses, with its errno; EAGAIN when it does not answer
   * in time; EPROTO when the answer does not parse
   */
  request<T>(
    request: Request,
    context: Context,
    decode: (message: Message) => T | undefined = () => undefined,
  ): T[] {
    return this.#exchange(request, context, decode, false).values;
  }

  /**
   * Sends a dump request (NLM_F_DUMP is added) and returns every message until NLMSG_DONE,
   * turned into values by `decode` (undefined skips one). A dump the kernel marks inconsistent
   * (NLM_F_DUMP_INTR) is asked again.
   *
   * @throws {KernelError} as {@link RouteSocket.request} does
   */
  dump<T>(
    request: Request,
    context: Context,
    decode: (message: Message) => T | undefined,
  ): T[] {
    const dumpRequest = { ...request, flags: request.flags | NLM_F_DUMP };
    for (let attempt = 1;; attempt++) {
      const { values, interrupted } = this.#exchange(dumpRequest, context, decode, true);
      if (!interrupted) return values;
      if (attempt === DUMP_ATTEMPTS) {
        throw kernelError(
          ERRNO.EAGAIN,
          context.operation,
          context.object,
          `the dump changed while it was read, ${DUMP_ATTEMPTS} times`,
        );
      }
    }
  }

  /** Closes the socket. */
  close(): void {
    this.#transport.close();
  }

  /** Closes the socket. */
  [Symbol.dispose](): void {
    this.close();
  }

  #exchange<T>(
    request: Request,
    context: Context,
    decode: (message: Message) => T | undefined,
    dump: boolean,
  ): { values: T[]; interrupted: boolean } {
    const fail = (errno: number, detail?: string): KernelError =>
      kernelError(errno, context.operation, context.object, detail);
    this.#seq = this.#seq >= 0x7fffffff ? 1 : this.#seq + 1;
    const seq = this.#seq;
    const flags = request.flags | NLM_F_REQUEST | NLM_F_ACK;
    const portId = this.#transport.portId;
    try {
      this.#transport.send(encodeMessage({ ...request, flags }, seq));
    } catch (error) {
      if (error instanceof SystemCallError) throw fail(error.errno, `${error.call} failed`);
      throw error;
    }
    const values: T[] = [];
    let interrupted = false;
    const deadline = performance.now() + this.#timeoutMs;
    try {
      for (;;) {
        if (performance.now() > deadline) throw new ReceiveTimeoutError(this.#timeoutMs);
        const length = this.#transport.receive(this.#buffer);
        if (length > this.#buffer.length) {
          throw new MalformedMessageError(
            `a datagram of ${length} bytes did not fit in ${this.#buffer.length}`,
          );
        }
        for (const message of decodeMessages(this.#buffer.slice(0, length))) {
          // Replies to an earlier request that timed out, or to no request of ours, are skipped.
          if (message.seq !== seq || message.pid !== portId) continue;
          if (message.type === NLMSG_NOOP) continue;
          if (message.type === NLMSG_OVERRUN) throw new MalformedMessageError("data lost");
          if (message.type === NLMSG_ERROR || message.type === NLMSG_DONE) {
            const { errno, detail } = decodeError(message);
            if (errno !== 0) throw fail(errno, detail);
            if (message.type === NLMSG_DONE || !dump) return { values, interrupted };
            continue;
          }
          if ((message.flags & NLM_F_DUMP_INTR) !== 0) interrupted = true;
          const value = decode(message);
          if (value !== undefined) values.push(value);
        }
      }
    } catch (error) {
      if (error instanceof ReceiveTimeoutError) throw fail(ERRNO.EAGAIN, error.message);
      if (error instanceof MalformedMessageError) {
        throw fail(ERRNO.EPROTO, `malformed reply: ${error.message}`);
      }
      if (error instanceof SystemCallError) throw fail(error.errno, `${error.call} failed`);
      throw error;
    }
  }
}
