/**
 * The lease store of host-local, on disk in the Go reference's format, so that a node can switch
 * between the two plugins and keep its leases:
 *
 * - `<dataDir>/<network>/` (made with mode 0755 as needed; `dataDir` defaults to
 *   `/var/lib/cni/networks`) holds one file per leased address, named by the address in Go's
 *   canonical text (`10.1.0.5`, `fd00::5`), holding `<container ID>\r\n<interface name>` with no
 *   final newline (mode 0644). A file that holds only a container ID is a lease of an older
 *   version of the reference, for every interface of that container.
 * - `last_reserved_ip.<n>` holds the address reserved last from range set `n`, where the next
 *   allocation from that set starts.
 * - `lock` (mode 0750, empty) is locked with `flock(2)` for every change, the same lock the Go
 *   reference takes, so the two exclude each other.
 *
 * A lease file is written whole under a temporary name and then linked to its address name, which
 * fails when the address is taken: a lease file never exists without its owner, even after a
 * crash. `last_reserved_ip.<n>` is replaced by a rename. Only files whose names are addresses are
 * leases (in any spelling Go's `net.ParseIP` reads, as the reference takes them: `FD00::5`,
 * `::ffff:10.1.0.5`): `lock`, `last_reserved_ip.*` and anything else in the directory are never
 * released.
 *
 * @module
 */
import { canonicalIpText, formatIp, type IpAddress, parseIp } from "../ip_math.ts";
import { fsErrorText } from "../runtime/_fs_error.ts";

/** Where leases live when the configuration names no `dataDir`. */
export const DEFAULT_DATA_DIR = "/var/lib/cni/networks";

/** The name of the lock file in a network's directory. */
export const LOCK_FILE = "lock";

/** The prefix of the files that hold the address reserved last from a range set. */
export const LAST_RESERVED_PREFIX = "last_reserved_ip.";

/** What separates the container ID from the interface name in a lease file. */
export const LINE_BREAK = "\r\n";

/** An attachment: a container and one of its interfaces (spec "GC": valid attachments). */
export interface Attachment {
  /** The container ID. */
  containerID: string;
  /** The interface name. */
  ifname: string;
}

/** One lease file. */
export interface Lease {
  /** The address, in canonical text. */
  readonly ip: string;
  /**
   * The file's name in the network's directory: `ip`, unless a file made by hand spells the
   * address another way.
   */
  readonly file: string;
  /** The container ID the file names. */
  readonly containerId: string;
  /** The interface name; undefined in a lease of an older version that names no interface. */
  readonly ifName: string | undefined;
}

/**
 * The content of the lease file of an attachment: the container ID (surrounding white space
 * removed, as the reference does) and the interface name, separated by CR LF.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { leaseContent } from "./store.ts";
 *
 * assert.equal(leaseContent("c1", "eth0"), "c1\r\neth0");
 * ```
 */
export function leaseContent(containerId: string, ifName: string): string {
  return `${containerId.trim()}${LINE_BREAK}${ifName}`;
}

/** Reads a lease file's content: new format, or the container ID alone (an older version's). */
export function parseLeaseContent(
  content: string,
): { containerId: string; ifName: string | undefined } {
  const text = content.trim();
  const at = text.indexOf(LINE_BREAK);
  if (at < 0) return { containerId: text, ifName: undefined };
  return { containerId: text.slice(0, at), ifName: text.slice(at + LINE_BREAK.length) };
}

/** True for Deno's error of an existing path. */
function isAlreadyExists(error: unknown): boolean {
  return error instanceof Deno.errors.AlreadyExists;
}

/** True for Deno's error of a missing path. */
function isNotFound(error: unknown): boolean {
  return error instanceof Deno.errors.NotFound;
}

/** A failure of the store's file system work, worded as Go words it (`open <path>: <reason>`). */
export class StoreError extends Error {
  /**
   * Makes the error.
   *
   * @param op the operation ("open", "mkdir", "remove"...)
   * @param path the path it worked on
   * @param cause Deno's error
   */
  constructor(op: string, path: string, cause: unknown) {
    super(fsErrorText(op, path, cause), { cause });
    this.name = "StoreError";
  }
}

/** Deno's error as a StoreError; a permission Deno refuses passes unchanged. */
function storeError(op: string, path: string, error: unknown): unknown {
  return error instanceof Deno.errors.NotCapable ? error : new StoreError(op, path, error);
}

/** Runs `fn`; a permission Deno refuses passes unchanged, anything else becomes a StoreError. */
function io<T>(op: string, path: string, fn: () => T): T {
  try {
    return fn();
  } catch (error) {
    throw storeError(op, path, error);
  }
}

/** `filepath.Join(dataDir, network)` for a valid network name: one separator, no dot parts. */
function joinPath(dir: string, name: string): string {
  if (dir === "") return name;
  return dir.endsWith("/") ? `${dir}${name}` : `${dir}/${name}`;
}

/**
 * The suffix of this process's temporary files: they are written under the lock, so the process
 * ID keeps them apart; one a crashed process left behind is overwritten.
 */
function temporarySuffix(): string {
  return `${Deno.pid}.tmp`;
}

/** Options of {@link LeaseStore.open}. */
export interface OpenOptions {
  /** The parent of the network directories; "" or absent means {@link DEFAULT_DATA_DIR}. */
  dataDir?: string | undefined;
}

/**
 * The leases of one network: `open` it, `lock` it around every change (or use `withLock`),
 * `close` it.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseIp } from "../ip_math.ts";
 * import { LeaseStore } from "./store.ts";
 *
 * const dataDir = await Deno.makeTempDir();
 * const store = await LeaseStore.open("net1", { dataDir });
 * try {
 *   const ip = parseIp("10.1.0.2")!;
 *   assert.equal(await store.withLock(() => store.reserve("c1", "eth0", ip, 0)), true);
 *   assert.equal(await store.withLock(() => store.reserve("c2", "eth0", ip, 0)), false);
 *   assert.equal(await Deno.readTextFile(`${dataDir}/net1/10.1.0.2`), "c1\r\neth0");
 *   assert.equal(await Deno.readTextFile(`${dataDir}/net1/last_reserved_ip.0`), "10.1.0.2");
 *   assert.deepEqual(await store.withLock(() => store.releaseById("c1", "eth0")), ["10.1.0.2"]);
 * } finally {
 *   store.close();
 *   await Deno.remove(dataDir, { recursive: true });
 * }
 * ```
 */
export class LeaseStore {
  /** The network's directory: `<dataDir>/<network>`. */
  readonly dir: string;
  readonly #lockFile: Deno.FsFile;
  #locked = false;

  private constructor(dir: string, lockFile: Deno.FsFile) {
    this.dir = dir;
    this.#lockFile = lockFile;
  }

  /**
   * Opens the leases of `network`, making its directory (mode 0755) and lock file (mode 0750)
   * when they do not exist yet, as the reference does.
   *
   * @param network the network's name (a valid CNI network name: no "/")
   * @param options `dataDir`
   * @throws {StoreError} when the directory or the lock file cannot be made or opened
   * @throws {Deno.errors.NotCapable} when the process may not use the directory
   */
  static open(network: string, options: OpenOptions = {}): Promise<LeaseStore> {
    return settle(() => {
      const dir = networkDir(network, options);
      makeDirectory(dir);
      const lockPath = `${dir}/${LOCK_FILE}`;
      let lockFile: Deno.FsFile;
      try {
        // The reference opens it read-only, creating it when missing; flock needs no more.
        lockFile = Deno.openSync(lockPath, { read: true });
      } catch (error) {
        if (!isNotFound(error)) {
          if (error instanceof Deno.errors.NotCapable) throw error;
          throw new StoreError("open", lockPath, error);
        }
        lockFile = io(
          "open",
          lockPath,
          () => Deno.openSync(lockPath, { read: true, write: true, create: true, mode: 0o750 }),
        );
      }
      return new LeaseStore(dir, lockFile);
    });
  }

  /** Takes the network's lock (`flock(2)`, exclusive), waiting for whoever holds it. */
  async lock(): Promise<void> {
    await this.#lockFile.lock(true);
    this.#locked = true;
  }

  /** Releases the network's lock. */
  unlock(): Promise<void> {
    this.#locked = false;
    return settle(() => this.#lockFile.unlockSync());
  }

  /** Runs `fn` holding the lock. */
  async withLock<T>(fn: () => Promise<T>): Promise<T> {
    await this.lock();
    try {
      return await fn();
    } finally {
      await this.unlock();
    }
  }

  /** Closes the lock file (which releases the lock if held). */
  close(): void {
    this.#locked = false;
    try {
      this.#lockFile.close();
    } catch {
      // Already closed.
    }
  }

  /** True while this store holds the lock. */
  get locked(): boolean {
    return this.#locked;
  }

  /**
   * Leases `ip` to the attachment unless it is taken, and records it as the address reserved last
   * from range set `rangeId`. Hold the lock.
   *
   * @returns true when the address was free and is now leased, false when it is taken
   * @throws {StoreError} when a file cannot be written
   */
  reserve(
    containerId: string,
    ifName: string,
    ip: IpAddress,
    rangeId: number | string,
  ): Promise<boolean> {
    return settle(() => {
      const name = formatIp(ip);
      const path = `${this.dir}/${name}`;
      if (!this.#createLease(path, leaseContent(containerId, ifName))) return false;
      this.#replace(`${this.dir}/${LAST_RESERVED_PREFIX}${rangeId}`, name, path);
      return true;
    });
  }

  // The file work is synchronous: a plugin is one short process that waits for each step anyway,
  // and Deno's synchronous calls skip a thread hop and load less of the runtime's code. Only the
  // lock is awaited, so that one process can wait for another's lock.

  /** Writes `content` as a new file at `path`; false when `path` exists. */
  #createLease(path: string, content: string): boolean {
    const data = new TextEncoder().encode(content);
    const temporary = `${this.dir}/.lease.${temporarySuffix()}`;
    const write = () => Deno.writeFileSync(temporary, data, { createNew: true, mode: 0o644 });
    try {
      write();
    } catch (error) {
      if (!isAlreadyExists(error)) throw storeError("open", temporary, error);
      // A crashed run's file of this name may be a second name of a lease: unlink, never write.
      removeQuietly(temporary);
      io("open", temporary, write);
    }
    try {
      Deno.linkSync(temporary, path);
      return true;
    } catch (error) {
      if (isAlreadyExists(error)) return false;
      if (error instanceof Deno.errors.NotCapable) throw error;
      // A file system without hard links: create the file exclusively, as the reference does.
      return this.#createDirectly(path, data);
    } finally {
      removeQuietly(temporary);
    }
  }

  #createDirectly(path: string, data: Uint8Array): boolean {
    let file: Deno.FsFile;
    try {
      file = Deno.openSync(path, { write: true, createNew: true, mode: 0o644 });
    } catch (error) {
      if (isAlreadyExists(error)) return false;
      if (error instanceof Deno.errors.NotCapable) throw error;
      throw new StoreError("open", path, error);
    }
    try {
      let written = 0;
      while (written < data.length) written += file.writeSync(data.subarray(written));
    } catch (error) {
      file.close();
      removeQuietly(path);
      throw new StoreError("write", path, error);
    }
    file.close();
    return true;
  }

  /** Replaces `path` by a file holding `text`, through a temporary file and a rename. */
  #replace(path: string, text: string, lease: string): void {
    const temporary = `${path}.${temporarySuffix()}`;
    try {
      io("open", temporary, () => Deno.writeTextFileSync(temporary, text, { mode: 0o644 }));
      io("rename", temporary, () => Deno.renameSync(temporary, path));
    } catch (error) {
      // The lease goes too (the reference keeps it, leased to nobody's knowledge).
      removeQuietly(temporary);
      removeQuietly(lease);
      throw error;
    }
  }

  /**
   * The address reserved last from range set `rangeId`; undefined when none was or the file
   * does not hold one address.
   */
  lastReservedIp(rangeId: number | string): Promise<IpAddress | undefined> {
    return settle(() => {
      const path = `${this.dir}/${LAST_RESERVED_PREFIX}${rangeId}`;
      let text: string;
      try {
        text = Deno.readTextFileSync(path);
      } catch (error) {
        if (error instanceof Deno.errors.NotCapable) throw error;
        return undefined;
      }
      return parseIp(text);
    });
  }

  /**
   * Every lease file, sorted by name (byte order, as the reference walks the directory). Files
   * that cannot be read are left out.
   */
  leases(): Promise<Lease[]> {
    return leasesIn(this.dir);
  }

  /**
   * The addresses leased to the attachment, in name order; with a lease of an older version
   * that names only the container, for every interface. The reference's `GetByID`.
   */
  async getById(containerId: string, ifName: string): Promise<IpAddress[]> {
    const id = containerId.trim();
    return (await this.leases())
      .filter((lease) =>
        lease.containerId === id && (lease.ifName === undefined || lease.ifName === ifName)
      )
      .map((lease) => parseIp(lease.ip)!);
  }

  /**
   * True when the attachment holds a lease (or, failing that, its container holds a lease of an
   * older version). The reference's `FindByID`, used by CHECK.
   */
  async findById(containerId: string, ifName: string): Promise<boolean> {
    return (await this.#owned(containerId, ifName)).length > 0;
  }

  /** The attachment's leases; failing those, its container's leases of an older version. */
  async #owned(containerId: string, ifName: string): Promise<Lease[]> {
    const id = containerId.trim();
    const leases = await this.leases();
    const mine = leases.filter((l) => l.containerId === id && l.ifName === ifName);
    if (mine.length > 0) return mine;
    return leases.filter((l) => l.containerId === id && l.ifName === undefined);
  }

  /** Removes the lease of `ip`; false when there was none. Hold the lock. */
  release(ip: IpAddress | string): Promise<boolean> {
    return settle(() => {
      const name = typeof ip === "string" ? ip : formatIp(ip);
      const path = `${this.dir}/${name}`;
      try {
        Deno.removeSync(path);
        return true;
      } catch (error) {
        if (isNotFound(error)) return false;
        if (error instanceof Deno.errors.NotCapable) throw error;
        throw new StoreError("remove", path, error);
      }
    });
  }

  /**
   * Releases every lease of the attachment (or, when it has none, its container's leases of an
   * older version), as the reference's `ReleaseByID` does. Hold the lock.
   *
   * @returns the addresses released, in name order
   */
  async releaseById(containerId: string, ifName: string): Promise<string[]> {
    const released: string[] = [];
    for (const lease of await this.#owned(containerId, ifName)) {
      if (await this.release(lease.file)) released.push(lease.ip);
    }
    return released;
  }

  /**
   * Releases every lease that no attachment of `valid` holds (spec "GC"): a lease is kept when
   * its container ID and interface name are those of a valid attachment, or when it is a lease
   * of an older version naming a valid attachment's container. Hold the lock.
   *
   * @returns the addresses released, in name order
   */
  async gc(valid: readonly Attachment[]): Promise<string[]> {
    const attachments = new Set(valid.map((a) => leaseContent(a.containerID, a.ifname)));
    const containers = new Set(valid.map((a) => a.containerID.trim()));
    const released: string[] = [];
    for (const lease of await this.leases()) {
      const kept = lease.ifName === undefined
        ? containers.has(lease.containerId)
        : attachments.has(leaseContent(lease.containerId, lease.ifName));
      if (!kept && await this.release(lease.file)) released.push(lease.ip);
    }
    return released;
  }
}

/** The leases in a network's directory; none when it does not exist. */
function leasesIn(dir: string): Promise<Lease[]> {
  return settle(() => {
    const names = new Map<string, string>();
    try {
      for (const entry of Deno.readDirSync(dir)) {
        if (!entry.isFile && !entry.isSymlink) continue;
        const ip = canonicalIpText(entry.name);
        if (ip !== undefined) names.set(entry.name, ip);
      }
    } catch (error) {
      if (isNotFound(error)) return [];
      if (error instanceof Deno.errors.NotCapable) throw error;
      throw new StoreError("open", dir, error);
    }
    const leases: Lease[] = [];
    for (const name of [...names.keys()].sort(compareBytes)) {
      let content: string;
      try {
        content = Deno.readTextFileSync(`${dir}/${name}`);
      } catch (error) {
        if (error instanceof Deno.errors.NotCapable) throw error;
        continue;
      }
      leases.push({ ip: names.get(name)!, file: name, ...parseLeaseContent(content) });
    }
    return leases;
  });
}

/**
 * Makes the network's directory and those above it. A file in its place is "not a directory", as
 * Go's `os.MkdirAll` says, where Deno reports that it exists.
 */
function makeDirectory(dir: string): void {
  try {
    Deno.mkdirSync(dir, { recursive: true, mode: 0o755 });
  } catch (error) {
    if (error instanceof Deno.errors.AlreadyExists && !isDirectory(dir)) {
      throw new StoreError("mkdir", dir, new Error("not a directory"));
    }
    throw storeError("mkdir", dir, error);
  }
}

function isDirectory(path: string): boolean {
  try {
    return Deno.statSync(path).isDirectory;
  } catch {
    return false;
  }
}

/** Removes a file, if it is there and may be removed. */
function removeQuietly(path: string): void {
  try {
    Deno.removeSync(path);
  } catch {
    // Gone already, or not ours to remove.
  }
}

/** The value or the error of `fn` as a promise. */
function settle<T>(fn: () => T): Promise<T> {
  try {
    return Promise.resolve(fn());
  } catch (error) {
    return Promise.reject(error);
  }
}

/**
 * The leases of a network without opening its store: nothing is made, nothing locked, so the
 * answer is a snapshot (for STATUS, for tools). A network never used has none.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { readLeases } from "./store.ts";
 *
 * const dataDir = await Deno.makeTempDir();
 * await Deno.mkdir(`${dataDir}/net1`);
 * await Deno.writeTextFile(`${dataDir}/net1/10.1.0.2`, "c1\r\neth0");
 * await Deno.writeTextFile(`${dataDir}/net1/last_reserved_ip.0`, "10.1.0.2");
 * assert.deepEqual(await readLeases("net1", { dataDir }), [
 *   { ip: "10.1.0.2", file: "10.1.0.2", containerId: "c1", ifName: "eth0" },
 * ]);
 * assert.deepEqual(await readLeases("net2", { dataDir }), []);
 * await Deno.remove(dataDir, { recursive: true });
 * ```
 */
export function readLeases(network: string, options: OpenOptions = {}): Promise<Lease[]> {
  return leasesIn(networkDir(network, options));
}

/** `<dataDir>/<network>`, refusing a network name that is no single path component. */
function networkDir(network: string, options: OpenOptions): string {
  if (network === "" || network.includes("/") || network === "." || network === "..") {
    throw new Error(`invalid network name ${JSON.stringify(network)}`);
  }
  return joinPath(options.dataDir || DEFAULT_DATA_DIR, network);
}

/** Orders strings by their UTF-8 bytes, as Go sorts directory entries. */
function compareBytes(a: string, b: string): number {
  // Lease names are ASCII (addresses), where code units and bytes sort alike.
  return a < b ? -1 : a > b ? 1 : 0;
}
