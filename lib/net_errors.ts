/**
 * The errors of the namespace toolkit, the same whichever backend does the work.
 *
 * @module
 */
import { goQuoteCapped } from "./_go_quote.ts";
import { CniError, ErrorCode } from "./errors.ts";

/** What each errno the toolkit meets says, for messages. */
const PHRASES: Readonly<Record<string, string>> = {
  EPERM: "operation not permitted",
  ENOENT: "not found",
  ESRCH: "not found",
  EINTR: "interrupted",
  EIO: "input/output error",
  EAGAIN: "resource temporarily unavailable",
  ENOMEM: "out of memory",
  EACCES: "permission denied",
  EBUSY: "device or resource busy",
  EEXIST: "already exists",
  ENODEV: "no such device",
  EINVAL: "invalid argument",
  ENOSPC: "no space left",
  ERANGE: "value out of range",
  ENAMETOOLONG: "name too long",
  EOPNOTSUPP: "operation not supported",
  EAFNOSUPPORT: "address family not supported",
  EADDRINUSE: "address already in use",
  EADDRNOTAVAIL: "address not available",
  ENETDOWN: "network is down",
  ENETUNREACH: "network is unreachable",
  ENOBUFS: "no buffer space available",
  EHOSTUNREACH: "no route to host",
};

/** What {@link KernelError} is made of. */
export interface KernelErrorOptions {
  /** The errno's name, e.g. "EEXIST". */
  errno: string;
  /** What was being done, e.g. "create link", "add route". */
  operation: string;
  /** What it was done to, without the operation's noun: `"veth1"`, `10.1.0.0/24 dev "eth0"`. */
  object: string;
  /** The kernel's own explanation (netlink's extended acknowledgement), when it gave one. */
  detail?: string;
}

/**
 * The kernel refused an operation: the message names the errno, the operation and the object
 * (`EEXIST: create link "veth1": already exists`; the operation names the thing, the object which
 * one it was). Its code is 11 (try again later) for EAGAIN
 * and EBUSY, 999 otherwise.
 */
export class KernelError extends CniError {
  /** The errno's name, e.g. "EEXIST". */
  readonly errno: string;
  /** What was being done, e.g. "create link". */
  readonly operation: string;
  /** What it was done to, e.g. `"veth1"`. */
  readonly object: string;

  /**
   * Makes the error.
   *
   * @param options the errno, operation, object and the kernel's detail
   */
  constructor(options: KernelErrorOptions) {
    const { errno, operation, object, detail } = options;
    const phrase = PHRASES[errno] ?? "failed";
    const why = detail === undefined || detail === "" ? phrase : `${phrase}: ${detail}`;
    const retry = errno === "EAGAIN" || errno === "EBUSY";
    super(
      retry ? ErrorCode.tryAgainLater : ErrorCode.internal,
      `${errno}: ${operation} ${object}: ${why}`,
    );
    this.name = "KernelError";
    this.errno = errno;
    this.operation = operation;
    this.object = object;
  }
}

/** A namespace that cannot be opened: it is gone, or never was. */
export class NamespaceMissingError extends Error {
  /** The namespace's path. */
  readonly path: string;

  /**
   * Makes the error.
   *
   * @param path the namespace's path
   * @param detail why it cannot be opened
   */
  constructor(path: string, detail: string) {
    super(`failed to open netns ${JSON.stringify(path)}: ${detail}`);
    this.name = "NamespaceMissingError";
    this.path = path;
  }
}

/**
 * The error for a path that exists but is not a network namespace (a FIFO, a regular file, a
 * directory): code 4, as the path comes from CNI_NETNS. It is refused before anything opens it,
 * so a FIFO can never block the plugin.
 *
 * @param path the path
 * @param what what it is instead, e.g. "a FIFO"
 */
export function notANamespaceError(path: string, what: string): CniError {
  return new CniError(
    ErrorCode.invalidEnvironmentVariables,
    `${goQuoteCapped(path)} is not a network namespace: it is ${what}`,
  );
}
