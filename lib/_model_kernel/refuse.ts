/**
 * How the model kernel refuses: a {@link KernelError} naming the errno the real kernel returns,
 * the operation and the object in the words every backend uses, and the kernel's own
 * explanation (its extended acknowledgement) where it gives one.
 *
 * @module
 */
import { KernelError } from "../net_errors.ts";

/** The operation being done and what it is done to, for errors. */
export interface Op {
  /** "create link", "add route"... */
  readonly operation: string;
  /** `"veth1"`, `10.1.0.0/24 dev "eth0"`...: which one, the operation names the thing. */
  readonly object: string;
}

/**
 * Throws the kernel's refusal.
 *
 * @param op the operation and its object
 * @param errno the errno's name, e.g. "EEXIST"
 * @param detail the kernel's explanation, when it gives one
 */
export function refuse(op: Op, errno: string, detail?: string): never {
  throw new KernelError({
    errno,
    operation: op.operation,
    object: op.object,
    ...(detail === undefined ? {} : { detail }),
  });
}

/** `"name"`: a link, as every backend names it in errors. */
export function linkObject(name: string): string {
  return JSON.stringify(name);
}

/** `10.1.0.5/24 on "eth0"`. */
export function addressObject(cidr: string, dev: string): string {
  return `${cidr} on ${JSON.stringify(dev)}`;
}

/** `10.1.0.0/24 via 10.1.0.1 dev "eth0" table 100`. */
export function routeObject(
  dst: string,
  via: string | undefined,
  dev: string,
  table?: number,
): string {
  return `${dst}${via === undefined ? "" : ` via ${via}`} dev ${JSON.stringify(dev)}` +
    (table === undefined ? "" : ` table ${table}`);
}

/** `tbf on "eth0"` when one is added, `root of "eth0"` when the root one is deleted. */
export function qdiscObject(dev: string, added: boolean): string {
  return added ? `tbf on ${JSON.stringify(dev)}` : `root of ${JSON.stringify(dev)}`;
}

/** `"net.ipv4.ip_forward"`. */
export function sysctlObject(key: string): string {
  return JSON.stringify(key);
}
