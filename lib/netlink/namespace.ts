/**
 * Network namespaces in this process: the JavaScript thread enters one with `setns` for as long
 * as a synchronous block runs, and always comes back.
 *
 * A network namespace belongs to a thread, and Deno runs JavaScript and synchronous FFI calls on
 * one thread, so a block that makes only synchronous calls runs all of them inside. The one rule:
 * **never `await` inside** — what runs after an `await` runs whenever and wherever the event loop
 * puts it, outside. The types enforce it ({@link SyncBlock} refuses a function that returns a
 * promise, so an `async` block does not compile) and so does {@link Namespace.run} at run time (a
 * block that returns a thenable anyway is an error, raised once the thread is back).
 *
 * What outlives a block stays bound to the namespace it was made in: a netlink socket opened
 * inside talks to that namespace's kernel side from anywhere ({@link Namespace.openSocket}), and a
 * file under /proc/sys/net opened inside reads and writes that namespace's settings.
 *
 * A path is checked before it is opened: it must be on nsfs (or procfs, for /proc/PID/ns/net on
 * old kernels), so a FIFO or a regular file is never opened and cannot block the caller.
 *
 * Needs `--allow-ffi`, and the capability to enter the namespace (root).
 *
 * @example Listing a namespace's links
 * ```ts ignore
 * import { openNamespace } from "@deno-cni/deno-cni/netlink";
 *
 * using ns = openNamespace("/var/run/netns/c1");
 * using socket = ns.openSocket();
 * const inode = ns.run(() => Deno.readLinkSync("/proc/thread-self/ns/net"));
 * ```
 *
 * @module
 */
import { goQuoteCapped } from "../_go_quote.ts";
import { CniError, ErrorCode } from "../errors.ts";
import { NamespaceMissingError, notANamespaceError } from "../net_errors.ts";
import { close, fileType, fstatfsType, open, setns, statfsType, SystemCallError } from "./_libc.ts";
import {
  CLONE_NEWNET,
  NSFS_MAGIC,
  O_CLOEXEC,
  O_NOCTTY,
  O_NONBLOCK,
  O_RDONLY,
  PROC_SUPER_MAGIC,
  S_IFBLK,
  S_IFCHR,
  S_IFDIR,
  S_IFIFO,
  S_IFLNK,
  S_IFREG,
  S_IFSOCK,
} from "./_uapi.ts";
import { ERRNO, kernelError } from "./errno.ts";
import { RouteSocket, type RouteSocketOptions } from "./socket.ts";
import { readSysctl, writeSysctl } from "./sysctl.ts";

/**
 * A block of code to run inside a namespace: a synchronous function. The second half of the type
 * turns a function whose result is or may be a promise (an `async` function, `() => fetch(...)`)
 * into `never`, so passing one does not compile. A result typed `any` or `unknown` passes, and is
 * checked when the block returns.
 *
 * @typeParam T what the block returns
 */
export type SyncBlock<T> =
  & (() => T)
  & (0 extends 1 & T ? unknown
    : [Extract<T, PromiseLike<unknown>>] extends [never] ? unknown
    : never);

/** A network namespace opened by path. */
export interface Namespace {
  /** The path it was opened by. */
  readonly path: string;
  /**
   * Runs `block` with the JavaScript thread inside the namespace and returns what it returns.
   * The thread comes back to where it was before returning or throwing, also when the block
   * throws. Blocks may nest, in this namespace or others.
   *
   * @throws {TypeError} when the block returned a promise or another thenable (it ran inside up
   * to its first `await` only)
   * @throws {CniError} code 4 when the file is a namespace of another type
   */
  run<T>(block: SyncBlock<T>): T;
  /**
   * Opens a NETLINK_ROUTE socket bound to the namespace, usable from anywhere: the thread
   * enters, opens it and comes back at once.
   */
  openSocket(options?: RouteSocketOptions): RouteSocket;
  /** Reads a sysctl ("net.ipv4.ip_forward") of the namespace, trimmed. */
  sysctlGet(key: string): string;
  /** Writes a sysctl of the namespace. */
  sysctlSet(key: string, value: string): void;
  /** The namespace's fd, for an attribute such as IFLA_NET_NS_FD; valid until closed. */
  readonly fd: number;
  /** Closes the namespace's fd. */
  close(): void;
  /** Closes the namespace's fd. */
  [Symbol.dispose](): void;
}

/** The fd of the thread's own namespace, opened on first use and kept. */
let homeFd: number | undefined;

/** The fds the thread entered, innermost last: where to go back to from a nested block. */
const entered: number[] = [];

/** Set when the thread could not go back: nothing may run in a namespace after that. */
let stranded: Error | undefined;

function home(): number {
  homeFd ??= open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
  return homeFd;
}

/** What a file is, for the error about a path that is not a namespace. */
function describe(path: string): string {
  let type: number;
  try {
    type = fileType(path);
  } catch {
    return "not a namespace file";
  }
  switch (type) {
    case S_IFIFO:
      return "a FIFO";
    case S_IFREG:
      return "a regular file";
    case S_IFDIR:
      return "a directory";
    case S_IFSOCK:
      return "a socket";
    case S_IFCHR:
      return "a character device";
    case S_IFBLK:
      return "a block device";
    case S_IFLNK:
      return "a symbolic link";
    default:
      return "not a namespace file";
  }
}

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return (typeof value === "object" && value !== null || typeof value === "function") &&
    typeof (value as { then?: unknown }).then === "function";
}

function missingOrFailed(path: string, error: unknown, operation: string): Error {
  if (!(error instanceof SystemCallError)) return error as Error;
  if (error.errno === ERRNO.ENOENT || error.errno === ERRNO.ENOTDIR) {
    return new NamespaceMissingError(path, "no such file or directory");
  }
  return kernelError(error.errno, operation, goQuoteCapped(path), `${error.call} failed`);
}

/**
 * Checks that `path` is a namespace file without opening it: `statfs` must say nsfs, or procfs
 * (for /proc/PID/ns/net on kernels before 3.19).
 *
 * @throws {CniError} code 4 when the path is relative or not a namespace file (a FIFO, a regular
 * file, a directory...)
 * @throws {NamespaceMissingError} when nothing is there
 */
export function checkNamespacePath(path: string): void {
  if (typeof path !== "string" || !path.startsWith("/") || path.includes("\0")) {
    throw new CniError(
      ErrorCode.invalidEnvironmentVariables,
      `invalid netns path ${goQuoteCapped(String(path))}: it must be absolute`,
    );
  }
  let type: number;
  try {
    type = statfsType(path);
  } catch (error) {
    throw missingOrFailed(path, error, "open netns");
  }
  if (type !== NSFS_MAGIC && type !== PROC_SUPER_MAGIC) {
    throw notANamespaceError(path, describe(path));
  }
}

/** Enters the namespace of `fd`, runs `block` and comes back, whatever happens. */
function within<T>(fd: number, path: string, block: () => T): T {
  if (stranded !== undefined) throw stranded;
  const back = entered.at(-1) ?? home();
  try {
    setns(fd, CLONE_NEWNET);
  } catch (error) {
    if (error instanceof SystemCallError && error.errno === ERRNO.EINVAL) {
      const what = fstatfsType(fd) === NSFS_MAGIC ? "a namespace of another type" : describe(path);
      throw notANamespaceError(path, what);
    }
    throw missingOrFailed(path, error, "enter netns");
  }
  entered.push(fd);
  let result: T;
  try {
    result = block();
  } finally {
    entered.pop();
    try {
      setns(back, CLONE_NEWNET);
    } catch (error) {
      stranded = new Error(
        `the thread cannot return from netns ${goQuoteCapped(path)} to its own: ${error}`,
      );
      // deno-lint-ignore no-unsafe-finally
      throw stranded;
    }
  }
  if (isThenable(result)) {
    // The block ran inside only up to its first await; what it does after runs outside.
    Promise.resolve(result).catch(() => {});
    throw new TypeError(
      `a block run in netns ${goQuoteCapped(path)} returned a promise: it must be synchronous`,
    );
  }
  return result;
}

/**
 * Opens the network namespace at `path` (e.g. CNI_NETNS): checks that it is a namespace file
 * before opening it, opens it without blocking (close-on-exec) and checks again what was opened,
 * so a FIFO put in its place meanwhile is refused, never waited on; that it is a network
 * namespace is checked by entering it.
 *
 * @param path the namespace's path, absolute
 * @throws {NamespaceMissingError} when nothing is at `path`
 * @throws {CniError} code 4 when `path` is relative, not a namespace file (a FIFO, a regular file,
 * a directory...) or a namespace of another type
 * @throws {KernelError} when the C library refuses otherwise (EPERM without the capability)
 */
export function openNamespace(path: string): Namespace {
  checkNamespacePath(path);
  let fd: number;
  try {
    fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
  } catch (error) {
    throw missingOrFailed(path, error, "open netns");
  }
  const type = fstatfsType(fd);
  if (type !== NSFS_MAGIC && type !== PROC_SUPER_MAGIC) {
    close(fd);
    throw notANamespaceError(path, describe(path));
  }
  let open_ = true;
  let active = 0;
  const namespace: Namespace = {
    path,
    get fd() {
      if (!open_) throw new Error(`netns ${goQuoteCapped(path)} is closed`);
      return fd;
    },
    run<T>(block: SyncBlock<T>): T {
      if (!open_) throw new Error(`netns ${goQuoteCapped(path)} is closed`);
      active++;
      try {
        return within(fd, path, block);
      } finally {
        active--;
      }
    },
    openSocket(options = {}) {
      return namespace.run(() => RouteSocket.open(options));
    },
    sysctlGet(key) {
      return readSysctl(key, (block) => namespace.run(block));
    },
    sysctlSet(key, value) {
      writeSysctl(key, value, (block) => namespace.run(block));
    },
    close() {
      if (active > 0) throw new Error(`netns ${goQuoteCapped(path)} is in use`);
      if (open_) close(fd);
      open_ = false;
    },
    [Symbol.dispose]() {
      namespace.close();
    },
  };
  try {
    namespace.run(() => {});
  } catch (error) {
    namespace.close();
    throw error;
  }
  return namespace;
}
