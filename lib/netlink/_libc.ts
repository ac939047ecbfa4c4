/**
 * The C library calls this backend makes, through Deno's FFI (`--allow-ffi`). The library is
 * opened on first use, never at import. Every call is synchronous and runs on the JavaScript
 * thread, so a thread switched into a namespace with `setns` makes them all there; `errno` is
 * read right after a failing call, on the same thread.
 *
 * @module
 */
import { AT_FDCWD, S_IFMT, STATX_TYPE } from "./_uapi.ts";

/**
 * The symbols, bound in groups on first use: binding one costs about a tenth of a millisecond
 * (Deno compiles a trampoline for each), so the calls of a plugin's usual work come first and
 * the others only when needed. Memory is passed as "pointer", {@link pointerTo} of the bytes: a
 * "buffer" parameter costs about half as much again to bind, more than its calls save.
 */
const COMMON = {
  socket: { parameters: ["i32", "i32", "i32"], result: "i32" },
  bind: { parameters: ["i32", "pointer", "u32"], result: "i32" },
  getsockname: { parameters: ["i32", "pointer", "pointer"], result: "i32" },
  setsockopt: { parameters: ["i32", "i32", "i32", "pointer", "u32"], result: "i32" },
  sendto: {
    parameters: ["i32", "pointer", "usize", "i32", "pointer", "u32"],
    result: "isize",
  },
  recvfrom: {
    parameters: ["i32", "pointer", "usize", "i32", "pointer", "pointer"],
    result: "isize",
  },
  setns: { parameters: ["i32", "i32"], result: "i32" },
  open: { parameters: ["pointer", "i32", "u32"], result: "i32" },
  close: { parameters: ["i32"], result: "i32" },
  read: { parameters: ["i32", "pointer", "usize"], result: "isize" },
  statfs: { parameters: ["pointer", "pointer"], result: "i32" },
  __errno_location: { parameters: [], result: "pointer" },
} as const;

/** The calls of writing a sysctl and of describing what a path is instead of a namespace. */
const OTHERS = {
  write: { parameters: ["i32", "pointer", "usize"], result: "isize" },
  fstatfs: { parameters: ["i32", "pointer"], result: "i32" },
  statx: { parameters: ["i32", "pointer", "i32", "u32", "pointer"], result: "i32" },
} as const;

type Symbols<S extends Deno.ForeignLibraryInterface> = Deno.DynamicLibrary<S>["symbols"];

/** A call that failed: its name and errno. */
export class SystemCallError extends Error {
  /** The errno, positive. */
  readonly errno: number;
  /** The call, e.g. "setns". */
  readonly call: string;

  /**
   * Makes the error.
   *
   * @param call the call's name
   * @param errno the errno it left
   */
  constructor(call: string, errno: number) {
    super(`${call} failed with errno ${errno}`);
    this.name = "SystemCallError";
    this.call = call;
    this.errno = errno;
  }
}

let common: Symbols<typeof COMMON> | undefined;
let errnoView: Deno.UnsafePointerView | undefined;
let others: Symbols<typeof OTHERS> | undefined;

/** The time the first use spent opening the C library, in milliseconds; undefined before it. */
export let dlopenMs: number | undefined;

/** Binds a group of symbols of the C library. */
function bindSymbols<S extends Deno.ForeignLibraryInterface>(symbols: S): Symbols<S> {
  if (Deno.build.os !== "linux") {
    throw new Error(`netlink needs Linux, not ${JSON.stringify(Deno.build.os)}`);
  }
  if (Deno.build.arch !== "x86_64" && Deno.build.arch !== "aarch64") {
    throw new Error(`netlink needs a 64-bit machine, not ${JSON.stringify(Deno.build.arch)}`);
  }
  return Deno.dlopen("libc.so.6", symbols).symbols;
}

function library(): Symbols<typeof COMMON> {
  if (common !== undefined) return common;
  const start = performance.now();
  const symbols = bindSymbols(COMMON);
  const where = symbols.__errno_location();
  if (where === null) throw new Error("__errno_location returned NULL");
  errnoView = new Deno.UnsafePointerView(where);
  common = symbols;
  dlopenMs = performance.now() - start;
  return common;
}

function otherCalls(): Symbols<typeof OTHERS> {
  return others ??= bindSymbols(OTHERS);
}

/** True once the C library has been opened. */
export function libcOpened(): boolean {
  return common !== undefined || others !== undefined;
}

/** The names of the calls bound so far. */
export function boundCalls(): string[] {
  return [
    ...(common === undefined ? [] : Object.keys(COMMON)),
    ...(others === undefined ? [] : Object.keys(OTHERS)),
  ];
}

/** The calling thread's errno, read from `__errno_location()` (the JavaScript thread's). */
function errno(): number {
  library();
  return errnoView!.getInt32();
}

/**
 * The address of `bytes` for a call. The callers hold the typed array in a parameter or a local
 * for the call, and no collection can run while a call is in the C library.
 */
function pointerTo(bytes: Uint8Array | Uint32Array): Deno.PointerValue {
  return Deno.UnsafePointer.of(bytes);
}

function check(call: string, result: number): number {
  if (result < 0) throw new SystemCallError(call, errno());
  return result;
}

function checkSize(call: string, result: bigint): number {
  if (result < 0n) throw new SystemCallError(call, errno());
  return Number(result);
}

/** A NUL-terminated copy of a path, for calls that take one. */
export function cPath(path: string): Uint8Array<ArrayBuffer> {
  const bytes = new TextEncoder().encode(path);
  if (bytes.includes(0)) throw new TypeError(`a path with a NUL byte: ${JSON.stringify(path)}`);
  const out = new Uint8Array(bytes.length + 1);
  out.set(bytes);
  return out;
}

/** `socket(domain, type, protocol)`. */
export function socket(domain: number, type: number, protocol: number): number {
  return check("socket", library().socket(domain, type, protocol));
}

/** `bind(fd, address, length)`. */
export function bind(fd: number, address: Uint8Array<ArrayBuffer>): void {
  check("bind", library().bind(fd, pointerTo(address), address.length));
}

/** `getsockname(fd, ...)`: the socket's address, at most `size` bytes of it. */
export function getsockname(fd: number, size: number): Uint8Array<ArrayBuffer> {
  const address = new Uint8Array(size);
  const length = new Uint32Array([size]);
  check("getsockname", library().getsockname(fd, pointerTo(address), pointerTo(length)));
  return address.subarray(0, Math.min(size, length[0]!));
}

/** `setsockopt(fd, level, name, value, length)`. */
export function setsockopt(
  fd: number,
  level: number,
  name: number,
  value: Uint8Array<ArrayBuffer>,
): void {
  check("setsockopt", library().setsockopt(fd, level, name, pointerTo(value), value.length));
}

/** `sendto(fd, data, length, 0, address, length)`: the bytes sent. */
export function sendto(
  fd: number,
  data: Uint8Array<ArrayBuffer>,
  address: Uint8Array<ArrayBuffer>,
): number {
  const sent = library().sendto(
    fd,
    pointerTo(data),
    BigInt(data.length),
    0,
    pointerTo(address),
    address.length,
  );
  return checkSize("sendto", sent);
}

/**
 * `recvfrom(fd, buffer, length, flags, address, &length)`: the datagram's length (with MSG_TRUNC
 * its whole length, which may exceed the buffer), the sender's address in `address`.
 */
export function recvfrom(
  fd: number,
  buffer: Uint8Array<ArrayBuffer>,
  flags: number,
  address: Uint8Array<ArrayBuffer>,
): number {
  const length = new Uint32Array([address.length]);
  const received = library().recvfrom(
    fd,
    pointerTo(buffer),
    BigInt(buffer.length),
    flags,
    pointerTo(address),
    pointerTo(length),
  );
  return checkSize("recvfrom", received);
}

/** `setns(fd, nstype)`. */
export function setns(fd: number, nstype: number): void {
  check("setns", library().setns(fd, nstype));
}

/** `open(path, flags, 0)`: the new fd. */
export function open(path: string, flags: number): number {
  const name = cPath(path);
  return check("open", library().open(pointerTo(name), flags, 0));
}

/** `close(fd)`; errors are ignored, as the fd is gone either way. */
export function close(fd: number): void {
  library().close(fd);
}

/** `read(fd, buffer, length)`: the bytes read. */
export function read(fd: number, buffer: Uint8Array<ArrayBuffer>): number {
  return checkSize("read", library().read(fd, pointerTo(buffer), BigInt(buffer.length)));
}

/** `write(fd, data, length)`: the bytes written. */
export function write(fd: number, data: Uint8Array<ArrayBuffer>): number {
  return checkSize("write", otherCalls().write(fd, pointerTo(data), BigInt(data.length)));
}

/** The size of the buffers handed to statfs and statx: more than either structure needs. */
const STAT_BUFFER = 512;

/**
 * The file system type (`f_type`) of the file at `path`, from `statfs`, which follows symbolic
 * links and opens nothing.
 */
export function statfsType(path: string): number {
  const buffer = new Uint8Array(STAT_BUFFER);
  const name = cPath(path);
  check("statfs", library().statfs(pointerTo(name), pointerTo(buffer)));
  return fsType(buffer);
}

/** The file system type (`f_type`) of an open fd, from `fstatfs`. */
export function fstatfsType(fd: number): number {
  const buffer = new Uint8Array(STAT_BUFFER);
  check("fstatfs", otherCalls().fstatfs(fd, pointerTo(buffer)));
  return fsType(buffer);
}

/** `f_type`, the first field of struct statfs: a long, read in its low 32 bits (little-endian). */
function fsType(buffer: Uint8Array<ArrayBuffer>): number {
  return new DataView(buffer.buffer).getUint32(0, true);
}

/**
 * The file type bits (`stx_mode & S_IFMT`) of the file at `path`, from `statx` (whose layout is
 * the same on every architecture), following symbolic links.
 */
export function fileType(path: string): number {
  const name = cPath(path);
  const buffer = new Uint8Array(STAT_BUFFER);
  check("statx", otherCalls().statx(AT_FDCWD, pointerTo(name), 0, STATX_TYPE, pointerTo(buffer)));
  // struct statx: stx_mask u32, stx_blksize u32, stx_attributes u64, stx_nlink u32, stx_uid u32,
  // stx_gid u32, then stx_mode u16 at byte 28.
  return new DataView(buffer.buffer).getUint16(28, true) & S_IFMT;
}
