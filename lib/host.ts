/**
 * The one seam between a plugin and its process: the environment, stdin, stdout, stderr, the
 * programs it runs and the files it appends to. {@link denoHost} is the real one; the test
 * harness (`./testing`) supplies a recording fake, so every verb of a plugin, delegation and
 * namespace work included, runs in a test without root.
 *
 * @module
 */
import { fileKind } from "./_file_kind.ts";
import { CniError, ErrorCode } from "./errors.ts";
import { envBytesFromError } from "./_env_bytes.ts";
import { lazyBackend } from "./_lazy_backend.ts";
import { noteStart, startsSettled } from "./_program_starts.ts";
import type { NetnsBackend } from "./net_backend.ts";

/** How one program is run. */
export interface RunOptions {
  /**
   * Variables for the child. With `clearEnv` they are its whole environment; otherwise they are
   * set on top of this process's environment, which the child inherits.
   */
  env?: Readonly<Record<string, string>>;
  /** Start the child with only `env`, not this process's environment. */
  clearEnv?: boolean;
  /** The bytes for the child's stdin; absent: an empty stdin. */
  stdin?: string | Uint8Array;
  /**
   * The time limit. At the deadline the child's whole process group is killed and its pipes are
   * no longer waited for, so a grandchild that keeps them open cannot hold the caller. A limit
   * above {@link MAX_TIMEOUT_MS} is that maximum.
   */
  timeoutMs: number;
  /**
   * Called with the child's process ID once it started. The child leads a process group of its
   * own, whose ID this is, so the caller can end it and what it leaves behind.
   */
  onStart?: (pid: number) => void;
}

/** What a finished program left behind. */
export interface RunOutput {
  /** The exit status (meaningless when `signal` is set). */
  code: number;
  /** The signal that ended the program, e.g. "SIGKILL"; absent when it exited. */
  signal?: string;
  /** True when the program was killed at its deadline. */
  timedOut?: boolean;
  /** stdout as text (invalid UTF-8 replaced), at most {@link MAX_OUTPUT_BYTES} of it. */
  stdout: string;
  /** stderr as text (invalid UTF-8 replaced), at most {@link MAX_OUTPUT_BYTES} of it. */
  stderr: string;
  /** Bytes of stdout and stderr dropped beyond the limit; absent when nothing was dropped. */
  droppedBytes?: number;
  /** True when stdout was cut at {@link MAX_OUTPUT_BYTES}; absent when it is whole. */
  stdoutTruncated?: boolean;
}

/** The default time limit of a program a plugin runs (a delegate, `ip`): one minute. */
export const DEFAULT_TIMEOUT_MS = 60_000;

/** The environment variable that sets that time limit, in milliseconds. */
export const TIMEOUT_VARIABLE = "DENO_CNI_TIMEOUT_MS";

/**
 * The longest time limit, in milliseconds: 2^31 - 1, about 24.8 days, the most a timer holds
 * (a longer delay would fire at once).
 */
export const MAX_TIMEOUT_MS = 2 ** 31 - 1;

/**
 * A delay a timer can hold: at most {@link MAX_TIMEOUT_MS}; a negative or NaN delay is 0.
 *
 * @param ms the delay asked for
 * @returns the delay a timer gets
 */
export function timerDelay(ms: number): number {
  return ms > MAX_TIMEOUT_MS ? MAX_TIMEOUT_MS : ms > 0 ? ms : 0;
}

/** The most a run keeps of each of stdout and stderr: 16 MiB. */
export const MAX_OUTPUT_BYTES = 16 * 1024 * 1024;

/** What is at a namespace path: see {@link Host.namespacePathKind}. */
export type NamespacePathKind =
  | "netns"
  | "missing"
  | "a FIFO"
  | "a regular file"
  | "a directory"
  | "a socket"
  | "a device"
  | "a symlink";

/** Everything a plugin needs from its process. */
export interface Host {
  /**
   * An environment variable's bytes, exactly as the process got them (they need not be UTF-8);
   * undefined when unset.
   *
   * @param name the variable
   * @param optional true for a setting the plugin may do without: a variable its permissions
   * do not cover then reads as unset
   * @throws {CniError} code 999 when the plugin's permissions do not cover a variable that is not
   * optional
   */
  getenvBytes(name: string, optional?: boolean): Uint8Array | undefined;
  /** All of stdin. */
  readStdin(): Promise<Uint8Array>;
  /** Writes all of `text` to stdout; throws when it cannot (a full disk, a closed pipe). */
  writeStdout(text: string): Promise<void>;
  /** Writes all of `text` to stderr; throws when it cannot. Callers treat it as best-effort. */
  writeStderr(text: string): Promise<void>;
  /**
   * Runs a program to completion: `program` is a path, `args` its arguments, never a shell line.
   *
   * @throws {Error} only when the program cannot be started (missing, not executable, busy)
   */
  run(program: string, args: readonly string[], options: RunOptions): Promise<RunOutput>;
  /** True when `path` is a regular file (following symlinks). */
  isFile(path: string): Promise<boolean>;
  /**
   * What is at a path that should be a network namespace, found without opening it (so a FIFO
   * cannot block): "netns", "missing", or what it is instead ("a FIFO", "a directory"...).
   */
  namespacePathKind(path: string): Promise<NamespacePathKind>;
  /**
   * The backend the namespace toolkit uses on this host; undefined for the default, which runs
   * `ip`, `tc`, `sysctl` and `nsenter` through {@link Host.run}.
   */
  netnsBackend?(): NetnsBackend | undefined;
  /**
   * Appends `text` to the file at the absolute `path`, creating it (mode 0640) and its missing
   * directories. A path through a symlink, or with a "." or ".." component, is refused, and so is
   * anything but a regular file (a FIFO, a device, a socket, a directory), without blocking.
   */
  appendFile(path: string, text: string): Promise<void>;
  /** Waits `ms` milliseconds. */
  sleep(ms: number): Promise<void>;
  /** Ends the process with `code`. */
  exit(code: number): void;
}

/**
 * Writes diagnostics that must never fail a verb: a closed or full stderr loses them.
 *
 * @param host the process
 * @param text what to write
 */
export async function tryWriteStderr(host: Host, text: string): Promise<void> {
  try {
    await host.writeStderr(text);
  } catch {
    // Nowhere left to report to.
  }
}

/** Options of {@link denoHost}. */
export interface DenoHostOptions {
  /** The plugin's name, so that a missing permission names its `plugins.json` entry. */
  plugin?: string;
}

const encoder = new TextEncoder();

/**
 * Reads a variable's bytes; a value Deno refuses as not UTF-8 is recovered from its error. A
 * variable the permissions do not cover is a permission error, never "unset": a plugin that
 * may not read CNI_COMMAND must not look like one run without it.
 */
function getenvBytes(
  name: string,
  optional: boolean,
  plugin: string | undefined,
): Uint8Array | undefined {
  // Asking first costs less than the exception of a refused read.
  if (optional && Deno.permissions.querySync({ name: "env", variable: name }).state !== "granted") {
    return undefined;
  }
  try {
    const value = Deno.env.get(name);
    return value === undefined ? undefined : encoder.encode(value);
  } catch (error) {
    if (error instanceof Deno.errors.InvalidData) return envBytesFromError(error.message);
    return rethrow(error, plugin);
  }
}

/** Writes synchronously, so nothing is pending when the process exits right after. */
function writeAll(stream: { writeSync(p: Uint8Array): number }, text: string): void {
  let bytes = encoder.encode(text);
  while (bytes.length > 0) bytes = bytes.subarray(stream.writeSync(bytes));
}

async function readStdin(): Promise<Uint8Array> {
  const chunks: Uint8Array[] = [];
  let size = 0;
  const buffer = new Uint8Array(64 * 1024);
  for (let n = await Deno.stdin.read(buffer); n !== null; n = await Deno.stdin.read(buffer)) {
    chunks.push(buffer.slice(0, n));
    size += n;
  }
  if (chunks.length === 1) return chunks[0]!;
  const all = new Uint8Array(size);
  let offset = 0;
  for (const chunk of chunks) {
    all.set(chunk, offset);
    offset += chunk.length;
  }
  return all;
}

async function readAll(stream: ReadableStream<Uint8Array>, limit: number) {
  const chunks: Uint8Array[] = [];
  let kept = 0;
  let dropped = 0;
  for await (const chunk of stream) {
    const room = Math.max(0, limit - kept);
    if (chunk.length > room) dropped += chunk.length - room;
    if (room > 0) {
      const part = chunk.length > room ? chunk.subarray(0, room) : chunk;
      chunks.push(part);
      kept += part.length;
    }
  }
  const all = new Uint8Array(kept);
  let offset = 0;
  for (const chunk of chunks) {
    all.set(chunk, offset);
    offset += chunk.length;
  }
  return { bytes: all, dropped };
}

/** What each Deno permission lets a plugin do, for {@link permissionError}. */
const PERMISSION_ACTIONS: Readonly<Record<string, string>> = {
  read: "read",
  write: "write",
  run: "run",
  env: "read the environment variable",
  net: "connect to",
  sys: "read the system information",
};

/**
 * The error for a permission the plugin lacks: it names the flag and the `plugins.json` entry to
 * change, the operator's fix, rather than Deno's advice to rerun a command line.
 */
export function permissionError(error: Deno.errors.NotCapable, plugin = "the plugin"): CniError {
  const match = /Requires (\w+) access to (.+?), run again/.exec(error.message);
  const entry = plugin === "the plugin" ? "the plugin's entry" : `the entry of "${plugin}"`;
  if (match === null) {
    return new CniError(
      ErrorCode.internal,
      `missing permission: ${plugin} was refused: ${error.message}`,
      `add the permission it needs to ${entry} in plugins.json and rebuild`,
    );
  }
  const [, kind = "", what = ""] = match;
  const action = PERMISSION_ACTIONS[kind] ?? `use (${kind})`;
  return new CniError(
    ErrorCode.internal,
    `missing permission: ${plugin} may not ${action} ${what}`,
    `add it to the --allow-${kind} flag of ${entry} in plugins.json and rebuild`,
  );
}

function rethrow(error: unknown, plugin: string | undefined): never {
  if (error instanceof Deno.errors.NotCapable) throw permissionError(error, plugin);
  throw error;
}

/** Kills a detached child's process group, or the child alone when that fails. */
function killGroup(child: Deno.ChildProcess): void {
  try {
    Deno.kill(-child.pid, "SIGKILL");
  } catch {
    try {
      child.kill("SIGKILL");
    } catch {
      // Already gone.
    }
  }
}

/** Writes all of `input` to the child's stdin and closes it. */
async function feed(child: Deno.ChildProcess, input: string | Uint8Array): Promise<void> {
  const writer = child.stdin.getWriter();
  try {
    await writer.write(typeof input === "string" ? encoder.encode(input) : input);
    await writer.close();
  } catch {
    // The child may exit without reading all of stdin: its exit status tells what happened.
  }
}

async function runProgram(
  program: string,
  args: readonly string[],
  options: RunOptions,
): Promise<RunOutput> {
  // Detached: the child leads a process group of its own, which the deadline kills whole.
  const child = new Deno.Command(program, {
    args: [...args],
    ...(options.env === undefined ? {} : { env: { ...options.env } }),
    clearEnv: options.clearEnv ?? false,
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
    detached: true,
  }).spawn();
  // Its input first: the child may be waiting for it, and nothing here should delay it.
  const fed = feed(child, options.stdin ?? "");
  noteStart(fed);
  options.onStart?.(child.pid);
  // A timeout signal, not setTimeout, whose first use loads Deno's Node timers module: a few
  // milliseconds of every run. The listener keeps the timer alive; removing it lets it go.
  const limit = AbortSignal.timeout(timerDelay(options.timeoutMs));
  let timedOut = false;
  let expire = () => {};
  const deadline = new Promise<void>((resolve) => (expire = resolve));
  const onDeadline = () => {
    timedOut = true;
    killGroup(child);
    expire();
  };
  limit.addEventListener("abort", onDeadline, { once: true });
  const stdout = readAll(child.stdout, MAX_OUTPUT_BYTES);
  const stderr = readAll(child.stderr, MAX_OUTPUT_BYTES);
  const finished = Promise.all([child.status, stdout, stderr, fed]);
  let outcome: Awaited<typeof finished> | void;
  try {
    outcome = await Promise.race([finished, deadline]);
  } finally {
    limit.removeEventListener("abort", onDeadline);
  }
  if (outcome === undefined) {
    // The deadline: whatever still holds the pipes is not waited for.
    const status = await child.status;
    void finished.catch(() => {});
    return {
      code: status.code,
      ...(status.signal === null ? {} : { signal: status.signal }),
      timedOut: true,
      stdout: "",
      stderr: "",
    };
  }
  const [status, out, err] = outcome;
  const decoder = new TextDecoder();
  const dropped = out.dropped + err.dropped;
  return {
    code: status.code,
    ...(status.signal === null ? {} : { signal: status.signal }),
    ...(timedOut ? { timedOut } : {}),
    stdout: decoder.decode(out.bytes),
    stderr: decoder.decode(err.bytes),
    ...(dropped > 0 ? { droppedBytes: dropped } : {}),
    ...(out.dropped > 0 ? { stdoutTruncated: true } : {}),
  };
}

/** The components of an absolute path, refusing "." and "..". */
function components(path: string): string[] {
  if (!path.startsWith("/")) throw new Error(`not an absolute path: ${JSON.stringify(path)}`);
  const parts = path.split("/").filter((part) => part !== "");
  if (parts.some((part) => part === "." || part === "..")) {
    throw new Error(`a path with "." or ".." is refused: ${JSON.stringify(path)}`);
  }
  return parts;
}

/**
 * Fails when an existing component of `path` that the plugin may read is a symlink; makes missing
 * directories. Components above what the plugin may read (`/var` under
 * `--allow-read=/var/log/cni`) are the node's own and are not looked at; the file itself must be
 * readable, so that it is always checked.
 */
async function checkNoSymlinks(parts: readonly string[]): Promise<void> {
  let prefix = "";
  for (const [i, part] of parts.entries()) {
    prefix += `/${part}`;
    let info: Deno.FileInfo;
    try {
      info = await Deno.lstat(prefix);
    } catch (error) {
      if (error instanceof Deno.errors.NotCapable && i < parts.length - 1) continue;
      if (!(error instanceof Deno.errors.NotFound)) throw error;
      if (i === parts.length - 1) return;
      await Deno.mkdir(prefix, { mode: 0o750 });
      continue;
    }
    if (info.isSymlink) throw new Error(`a path through a symlink is refused: ${prefix}`);
  }
}

/**
 * Appends without following symlinks: every component is checked with lstat, a new file is made
 * with O_EXCL (which never follows a symlink), and an existing one is checked again after it is
 * opened, so a symlink swapped in between is not written through.
 *
 * Only a regular file is appended to. A FIFO would block an open for writing until something
 * reads it, so an existing file is refused unless lstat calls it a regular file, and is opened
 * for reading and writing, which on Linux never blocks on a FIFO swapped in after the check; the
 * check after the open then refuses it.
 */
async function appendNoFollow(path: string, text: string): Promise<void> {
  const parts = components(path);
  await checkNoSymlinks(parts);
  let file: Deno.FsFile;
  try {
    file = await Deno.open(path, { write: true, createNew: true, mode: 0o640 });
  } catch (error) {
    if (!(error instanceof Deno.errors.AlreadyExists)) throw error;
    const named = await Deno.lstat(path);
    if (!named.isFile) throw new Error(`not a regular file (${fileKind(named)}): ${path}`);
    file = await Deno.open(path, { read: true, append: true });
  }
  try {
    const [opened, named] = await Promise.all([file.stat(), Deno.lstat(path)]);
    if (!opened.isFile) throw new Error(`not a regular file (${fileKind(opened)}): ${path}`);
    if (named.isSymlink || opened.ino !== named.ino || opened.dev !== named.dev) {
      throw new Error(`the log file changed while it was opened: ${path}`);
    }
    writeAll(file, text);
  } finally {
    file.close();
  }
}

/** What `stat` calls each kind of file (`%F`), as {@link NamespacePathKind}. */
const FILE_KINDS: Readonly<Record<string, NamespacePathKind>> = {
  "regular file": "a regular file",
  "regular empty file": "a regular file",
  directory: "a directory",
  fifo: "a FIFO",
  socket: "a socket",
  "character special file": "a device",
  "block special file": "a device",
  "symbolic link": "a symlink",
};

/**
 * What is at `path`, found with the system's `stat`, which never opens it (so a FIFO cannot
 * block), and which can look at `/proc` paths Deno's permissions keep from the plugin: a network
 * namespace is a file on nsfs, the filesystem of `stat`'s own `/proc/self/ns/net`.
 */
async function namespacePathKind(
  path: string,
  plugin: string | undefined,
): Promise<NamespacePathKind> {
  let output: RunOutput | undefined;
  for (const program of ["/usr/bin/stat", "/bin/stat"]) {
    try {
      output = await runProgram(program, ["-L", "-c", "%d %F", "--", "/proc/self/ns/net", path], {
        env: { LC_ALL: "C" },
        clearEnv: true,
        timeoutMs: DEFAULT_TIMEOUT_MS,
      });
      break;
    } catch (error) {
      if (!(error instanceof Deno.errors.NotFound)) rethrow(error, plugin);
    }
  }
  if (output === undefined) throw new Error('cannot find "stat" (Debian package coreutils)');
  const [own, found] = output.stdout.split("\n");
  if (found === undefined || found === "") {
    if (/No such file or directory|Not a directory/.test(output.stderr)) return "missing";
    throw new Error(`stat ${JSON.stringify(path)} failed: ${output.stderr.trim().slice(0, 200)}`);
  }
  const device = found.slice(0, found.indexOf(" "));
  const kind = FILE_KINDS[found.slice(found.indexOf(" ") + 1)] ?? "a device";
  if (kind === "a regular file" && device === own?.slice(0, own.indexOf(" "))) return "netns";
  return kind;
}

/**
 * The netlink backend when the plugin may use FFI (`--allow-ffi`): then no program runs for the
 * namespace toolkit. Without FFI, undefined: the toolkit runs `ip` and `nsenter`. It is loaded on
 * first use, once the programs on their way have their input (`./_program_starts.ts`).
 */
function netlinkIfGranted(): NetnsBackend | undefined {
  if (Deno.permissions.querySync({ name: "ffi" }).state !== "granted") return undefined;
  return lazyBackend("netlink", async () => {
    await startsSettled();
    const { netlinkBackend } = await import("./netlink/backend.ts");
    await startsSettled();
    return netlinkBackend();
  });
}

/**
 * The host of the running Deno process.
 *
 * A permission the plugin lacks (its `plugins.json` flags) surfaces as a code 999 {@link CniError}
 * naming the flag and the entry to change.
 *
 * @param options the plugin's name, for permission errors
 */
export function denoHost(options: DenoHostOptions = {}): Host {
  const plugin = options.plugin;
  let netlink: { backend: NetnsBackend | undefined } | undefined;
  return {
    getenvBytes: (name, optional = false) => getenvBytes(name, optional, plugin),
    readStdin,
    writeStdout: (text) => Promise.resolve().then(() => writeAll(Deno.stdout, text)),
    writeStderr: (text) => Promise.resolve().then(() => writeAll(Deno.stderr, text)),
    exit: (code) => Deno.exit(code),
    async run(program, args, runOptions) {
      try {
        return await runProgram(program, args, runOptions);
      } catch (error) {
        return rethrow(error, plugin);
      }
    },
    async isFile(path) {
      try {
        return (await Deno.stat(path)).isFile;
      } catch (error) {
        if (error instanceof Deno.errors.NotCapable) rethrow(error, plugin);
        return false;
      }
    },
    namespacePathKind: (path) => namespacePathKind(path, plugin),
    netnsBackend: () => (netlink ??= { backend: netlinkIfGranted() }).backend,
    async appendFile(path, text) {
      try {
        await appendNoFollow(path, text);
      } catch (error) {
        rethrow(error, plugin);
      }
    },
    sleep: (ms) => new Promise((resolve) => setTimeout(resolve, timerDelay(ms))),
  };
}
