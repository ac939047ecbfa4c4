/**
 * `deno-tuning`: the reference `tuning` chained plugin on the kit's public API. It changes
 * sysctls in the container's network namespace and settings of the container's interface
 * (CNI_IFNAME), and passes the previous result on.
 *
 * Configuration: `sysctl` (an object of strings), `mac`, `mtu`, `promisc`, `allmulti`, `txQLen`,
 * `dataDir` (default `/run/cni/tuning`); the same keys under `args.cni` override them (the
 * `sysctl` objects are merged). The MAC is, from the lowest precedence to the highest: `mac`,
 * CNI_ARGS `MAC=`, `runtimeConfig.mac` (the `mac` capability), `args.cni.mac`.
 *
 * - ADD needs the previous result. A sysctl key is a path under /proc/sys/net/: dots become
 *   slashes, then the first `IFNAME` becomes CNI_IFNAME. When `/etc/cni/tuning/allowlist.conf`
 *   exists, each key must match one of its regular expressions (Go's syntax, one a line). A key
 *   written twice in `sysctl` is refused. Before the interface is changed, what is about to change
 *   is backed up in `<dataDir>/<container ID>_<ifname>.json`, the reference's file; the result is
 *   the previous one with the interface's new MAC. The configuration is checked before anything
 *   is written, and what a failing ADD changed is put back.
 * - CHECK compares each sysctl and each interface setting with the configuration (a
 *   promiscuous interface fails unless `promisc` is true).
 * - DEL puts the interface back as the backup says and removes the backup. It reads `dataDir`
 *   and nothing else, and never fails: not on a namespace, link or backup that is gone (the
 *   backup is then removed), nor on other keys that are invalid or a CNI_ARGS it has no use for.
 *
 * {@link tuningPlugin} makes the plugin with another allowlist file or default data directory,
 * for tests.
 *
 * @module
 */
import {
  type AnyResult,
  CniError,
  ConfigError,
  configError,
  type ConfigReader,
  definePlugin,
  ErrorCode,
  type Plugin,
  type PluginContext,
  type Result100,
  runPlugin,
  type Verb,
} from "../lib/mod.ts";
import {
  CommandError,
  KernelError,
  type Link,
  type LinkChanges,
  NamespaceMissingError,
} from "../lib/netns.ts";
import { parsePrevResult } from "../lib/protocol.ts";
import {
  checkAllowed,
  DEFAULT_ALLOWLIST_FILE,
  readAllowlist,
  SysctlNotAllowed,
} from "./tuning/allowlist.ts";
import {
  backupPath,
  formatBackup,
  type LinkBackup,
  parseBackup,
  readBackupFile,
  removeBackupFile,
  writeBackupFile,
} from "./tuning/backup.ts";
import { formatMac, InvalidMacError, parseMac } from "./tuning/mac.ts";
import { Re2SyntaxError } from "./tuning/re2.ts";
import {
  duplicateSysctlKey,
  InvalidSysctlKey,
  type SysctlSetting,
  sysctlSetting,
} from "./tuning/sysctl_keys.ts";

/** The plugin's name. */
export const NAME = "deno-tuning";

/** The reference's default directory of backups. */
export const DEFAULT_DATA_DIR = "/run/cni/tuning";

/** The most a link's MTU or queue length may be: the kernel keeps them in 32 bits. */
const U32_MAX = 0xffffffff;

/** What {@link tuningPlugin} takes. */
export interface TuningOptions {
  /** The allowlist file; default `/etc/cni/tuning/allowlist.conf`. */
  allowlistFile?: string;
  /** The backup directory when the configuration names none; default `/run/cni/tuning`. */
  dataDir?: string;
}

/** The configuration's own keys, as the reference reads them. */
interface TuningConfig {
  /** The sysctls in the order written, `args.cni.sysctl` merged over `sysctl`. */
  sysctls: [string, string][];
  /** `mac` at the top level. */
  mac: string | undefined;
  /** `runtimeConfig.mac`. */
  runtimeMac: string | undefined;
  /** `args.cni.mac`: "" when it is set to "", which clears the others. */
  argsMac: string | undefined;
  promisc: boolean;
  /** 0 for none. */
  mtu: number;
  allmulti: boolean | undefined;
  txQLen: number | undefined;
  dataDir: string;
}

type Context = PluginContext<TuningConfig>;

/** What ADD and CHECK apply: the configuration with the MAC resolved. */
interface Settings {
  sysctls: [string, string][];
  /** The MAC as configured, undefined for none. */
  mac: string | undefined;
  promisc: boolean;
  mtu: number;
  allmulti: boolean | undefined;
  txQLen: number | undefined;
}

/** True when `section` sets `key` (in any letter case) to "" last. */
function setEmpty(section: ConfigReader | undefined, key: string): boolean {
  if (section === undefined) return false;
  let last: unknown;
  for (const [name, value] of Object.entries(section.raw)) {
    if (name.toLowerCase() === key && value !== null) last = value;
  }
  return last === "";
}

/**
 * The configuration's own keys. DEL needs only `dataDir`: every other key is read, and left out
 * when it is invalid, so that DEL puts the link back whatever else the configuration holds.
 */
function readConfig(read: ConfigReader, command: Verb, options: TuningOptions): TuningConfig {
  const lenient = <T>(value: () => T): T | undefined => {
    if (command !== "DEL") return value();
    try {
      return value();
    } catch (error) {
      if (error instanceof ConfigError) return undefined;
      throw error;
    }
  };
  // Any integer is read, as Go decodes an int; the range is checked on the value that counts,
  // after args.cni has had its say (an args.cni.mtu of 0 makes a top-level -1 harmless).
  const integer = (reader: ConfigReader, key: string) => lenient(() => reader.integer(key));
  const sysctls = new Map(Object.entries(lenient(() => read.stringMap("sysctl")) ?? {}));
  const config: TuningConfig = {
    sysctls: [],
    mac: lenient(() => read.string("mac")),
    runtimeMac: lenient(() => read.section("runtimeConfig")?.string("mac")),
    argsMac: undefined,
    promisc: lenient(() => read.boolean("promisc")) ?? false,
    mtu: integer(read, "mtu") ?? 0,
    allmulti: lenient(() => read.boolean("allmulti")),
    txQLen: integer(read, "txQLen"),
    dataDir: read.string("dataDir") ?? options.dataDir ?? DEFAULT_DATA_DIR,
  };
  const args = lenient(() => read.section("args")?.section("cni"));
  if (args !== undefined) {
    for (const [key, value] of Object.entries(lenient(() => args.stringMap("sysctl")) ?? {})) {
      sysctls.set(key, value);
    }
    config.argsMac = lenient(() => args.string("mac")) ?? (setEmpty(args, "mac") ? "" : undefined);
    config.promisc = lenient(() => args.boolean("promisc")) ?? config.promisc;
    config.mtu = integer(args, "mtu") ?? config.mtu;
    config.allmulti = lenient(() => args.boolean("allmulti")) ?? config.allmulti;
    config.txQLen = integer(args, "txQLen") ?? config.txQLen;
  }
  config.sysctls = [...sysctls];
  const outOfRange = (value: number | undefined) =>
    value !== undefined && (value < 0 || value > U32_MAX);
  for (const [key, value] of [["mtu", config.mtu], ["txQLen", config.txQLen]] as const) {
    if (outOfRange(value) && command !== "DEL") {
      throw configError(key, `must be an integer from 0 to ${U32_MAX}, got ${value}`);
    }
  }
  // DEL reads the backup, not these: out of range, they are left out.
  if (outOfRange(config.mtu)) config.mtu = 0;
  if (outOfRange(config.txQLen)) config.txQLen = undefined;
  return config;
}

/** The settings, with the MAC from CNI_ARGS, `runtimeConfig` and `args.cni`, in that order. */
function settingsOf(context: Context): Settings {
  const { conf } = context;
  let mac = conf.mac;
  const fromArgs = context.cniArgs({ IgnoreUnknown: "boolean", MAC: "string" }).values.MAC;
  if (typeof fromArgs === "string" && fromArgs !== "") mac = fromArgs;
  if (conf.runtimeMac !== undefined) mac = conf.runtimeMac;
  if (conf.argsMac !== undefined) mac = conf.argsMac;
  return {
    sysctls: conf.sysctls,
    mac: mac === "" ? undefined : mac,
    promisc: conf.promisc,
    mtu: conf.mtu,
    allmulti: conf.allmulti,
    txQLen: conf.txQLen,
  };
}

function configurationError(message: string): CniError {
  return new CniError(ErrorCode.invalidNetworkConfig, message);
}

/** Refuses a sysctl key written twice in the configuration's text, as the reference does. */
function refuseRepeatedKeys(context: Context): void {
  if (duplicateSysctlKey(context.stdin) !== undefined) {
    throw configurationError("duplicated sysctl keys are not allowed");
  }
}

/** The files of the sysctls in CNI_NETNS; a key outside /proc/sys/net/ is refused. */
function sysctlSettings(settings: Settings, ifName: string): SysctlSetting[] {
  try {
    return settings.sysctls.map(([key, value]) => sysctlSetting(key, value, ifName));
  } catch (error) {
    if (error instanceof InvalidSysctlKey) throw configurationError(error.message);
    throw error;
  }
}

/** The MAC as the kernel takes it; refused when Go could not parse it or it is not Ethernet's. */
function linkMac(mac: string): string {
  let bytes: Uint8Array;
  try {
    bytes = parseMac(mac);
  } catch (error) {
    if (error instanceof InvalidMacError) {
      throw configurationError(`invalid args ${mac} for MAC addr: ${error.message}`);
    }
    throw error;
  }
  if (bytes.length !== 6) {
    throw configurationError(
      `invalid args ${mac} for MAC addr: an interface takes a 6-byte Ethernet address`,
    );
  }
  return formatMac(bytes);
}

/** The allowlist, applied to the configured keys when the file exists. */
async function checkAllowlist(settings: Settings, file: string): Promise<void> {
  const patterns = await readAllowlist(file);
  if (patterns === undefined) return;
  try {
    checkAllowed(settings.sysctls.map(([key]) => key), patterns);
  } catch (error) {
    if (error instanceof Re2SyntaxError) throw new Error(`${file}: ${error.message}`);
    if (error instanceof SysctlNotAllowed) throw configurationError(error.message);
    throw error;
  }
}

/** Go's texts of the errnos the kernel gives for sysctl files and links. */
const ERRNO_TEXTS: Readonly<Record<string, string>> = {
  EPERM: "operation not permitted",
  ENOENT: "no such file or directory",
  EIO: "input/output error",
  EAGAIN: "resource temporarily unavailable",
  ENOMEM: "cannot allocate memory",
  EACCES: "permission denied",
  EBUSY: "device or resource busy",
  EEXIST: "file exists",
  ENODEV: "no such device",
  ENOTDIR: "not a directory",
  EISDIR: "is a directory",
  EINVAL: "invalid argument",
  ENOSPC: "no space left on device",
  ERANGE: "numerical result out of range",
  EOPNOTSUPP: "operation not supported",
  EADDRNOTAVAIL: "cannot assign requested address",
  ENETDOWN: "network is down",
  ENOBUFS: "no buffer space available",
};

/** Why the kernel (or a program) refused, in Go's words where it gave an errno. */
function reason(error: unknown): string {
  if (error instanceof KernelError) return ERRNO_TEXTS[error.errno] ?? error.message;
  return error instanceof Error ? error.message : String(error);
}

/** The errnos of opening a file: Go names them with "open". */
const OPEN_ERRNOS = new Set(["ENOENT", "EISDIR", "ENOTDIR", "EACCES"]);

/**
 * An error of a sysctl file in Go's words (`open <file>: no such file or directory`, `write
 * <file>: invalid argument`). The toolkit's own refusals and a missing namespace pass as they are.
 */
function fileError(verb: "read" | "write", file: string, error: unknown): Error {
  if (error instanceof NamespaceMissingError) return error;
  if (error instanceof CniError && !(error instanceof KernelError)) return error;
  const opening = error instanceof KernelError && OPEN_ERRNOS.has(error.errno);
  return new Error(`${opening ? "open" : verb} ${file}: ${reason(error)}`);
}

/**
 * Writes a sysctl in the container and registers the undo. An empty value writes nothing, as the
 * reference's empty write changes nothing.
 */
async function applySysctl(context: Context, setting: SysctlSetting): Promise<void> {
  if (setting.value === "") return;
  const container = context.inContainer;
  let before: string | undefined;
  try {
    before = await container.sysctlGet(setting.toolkitKey);
  } catch (error) {
    // A file that is there but cannot be read (a write-only one) can still be written: only its
    // undo is lost. A file that is not there, or is a directory, fails as the write would.
    const unreadable = error instanceof KernelError && error.errno !== "ENOENT" &&
      error.errno !== "EISDIR" && error.errno !== "ENOTDIR";
    if (!unreadable) throw fileError("write", setting.file, error);
  }
  try {
    await container.sysctlSet(setting.toolkitKey, setting.value);
  } catch (error) {
    throw fileError("write", setting.file, error);
  }
  if (before !== undefined && before !== "") {
    context.onFailure(() => container.sysctlSet(setting.toolkitKey, before));
  }
}

/** The link CNI_IFNAME in the container, as the reference fails to find it. */
async function containerLink(context: Context, message: string): Promise<Link> {
  const link = await context.inContainer.link(context.ifName);
  if (link === undefined) throw new Error(message);
  return link;
}

/** What the link's settings are now, for the fields `settings` changes. */
function backupOf(link: Link, settings: Settings): LinkBackup {
  const backup: LinkBackup = {};
  if (settings.mac !== undefined && link.mac !== undefined) backup.mac = link.mac;
  if (settings.promisc) backup.promisc = link.promisc === true;
  if (settings.mtu !== 0 && link.mtu !== undefined) backup.mtu = link.mtu;
  if (settings.allmulti !== undefined) backup.allmulti = link.allmulti === true;
  if (settings.txQLen !== undefined && link.txqueuelen !== undefined) {
    backup.txQLen = link.txqueuelen;
  }
  return backup;
}

/** A change of one setting of the link: what it is, and the change (which may be refused). */
type LinkStep = [what: string, changes: () => LinkChanges];

/** The changes that put a link back as `backup` says, in the reference's order. */
function restoreSteps(backup: LinkBackup): LinkStep[] {
  const steps: LinkStep[] = [];
  const { mtu, mac, promisc, allmulti, txQLen } = backup;
  if (mtu !== undefined && mtu !== 0) steps.push(["MTU", () => ({ mtu })]);
  if (mac !== undefined && mac !== "") steps.push(["MAC address", () => ({ mac: linkMac(mac) })]);
  if (promisc !== undefined) steps.push(["promiscuous mode", () => ({ promisc })]);
  if (allmulti !== undefined) steps.push(["all-multicast mode", () => ({ allmulti })]);
  if (txQLen !== undefined) steps.push(["transmit queue length", () => ({ txqueuelen: txQLen })]);
  return steps;
}

/** Applies the steps that put a link back; returns what could not be put back. */
async function restoreLink(context: Context, backup: LinkBackup): Promise<string[]> {
  const failures: string[] = [];
  for (const [what, changes] of restoreSteps(backup)) {
    try {
      await setLink(context, what, changes());
    } catch (error) {
      if (error instanceof NamespaceMissingError) throw error;
      failures.push(`failed to restore ${what}: ${error instanceof Error ? error.message : error}`);
    }
  }
  return failures;
}

/** Changes the link, naming the setting when the kernel refuses. */
async function setLink(context: Context, what: string, changes: LinkChanges): Promise<void> {
  try {
    await context.inContainer.setLink(context.ifName, changes);
  } catch (error) {
    if (!(error instanceof KernelError || error instanceof CommandError)) throw error;
    throw new CniError(
      error instanceof KernelError ? error.code : ErrorCode.internal,
      `failed to set ${what} of ${JSON.stringify(context.ifName)}: ${reason(error)}`,
    );
  }
}

/**
 * Backs up what is about to change, then changes the MAC, promiscuous mode, MTU, all-multicast
 * mode and queue length, in the reference's order. The backup keeps what an earlier ADD of the
 * attachment backed up, so that DEL puts back the link as it was before any ADD.
 */
async function tuneLink(
  context: Context,
  settings: Settings,
  mac: string | undefined,
): Promise<void> {
  const link = await containerLink(
    context,
    `failed to get ${JSON.stringify(context.ifName)}: Link not found`,
  );
  const file = backupPath(context.conf.dataDir, context.containerId, context.ifName);
  const earlierText = await readBackupFile(file);
  const earlier = earlierText === undefined ? undefined : parseBackup(earlierText);
  const before = backupOf(link, settings);
  await writeBackupFile(file, formatBackup({ ...before, ...earlier }), context.ifName);
  context.onFailure(async () => {
    const failures = await restoreLink(context, before);
    if (failures.length > 0) throw new Error(failures.join("; "));
    if (earlierText === undefined) await removeBackupFile(file);
    else await writeBackupFile(file, earlierText, context.ifName);
  });
  if (mac !== undefined) await setLink(context, "MAC address", { mac });
  if (settings.promisc) await setLink(context, "promiscuous mode", { promisc: true });
  if (settings.mtu !== 0) await setLink(context, "MTU", { mtu: settings.mtu });
  if (settings.allmulti !== undefined) {
    await setLink(context, "all-multicast mode", { allmulti: settings.allmulti });
  }
  if (settings.txQLen !== undefined) {
    await setLink(context, "transmit queue length", { txqueuelen: settings.txQLen });
  }
}

/** Runs `work` in CNI_NETNS; a namespace that is gone fails as the reference fails. */
async function inNamespace<T>(context: Context, work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    if (error instanceof NamespaceMissingError) {
      throw new Error(
        `failed to Statfs ${JSON.stringify(context.netns)}: no such file or directory`,
      );
    }
    throw error;
  }
}

/** The previous result, required by ADD and CHECK. */
function previousResult(context: Context): Result100 {
  const previous = context.prevResult;
  if (previous === undefined) throw new Error("Required prevResult missing");
  return previous;
}

/**
 * The previous result as it was sent, in its own version: what ADD passes on when it changes no
 * MAC, as the reference does (so a 0.2.0 result without addresses passes too, where converting it
 * would fail).
 */
function resultAsSent(context: Context): AnyResult {
  return parsePrevResult(context.conf.rawPrevResult!, context.configVersion);
}

async function add(context: Context, options: Required<TuningOptions>): Promise<AnyResult> {
  refuseRepeatedKeys(context);
  const settings = settingsOf(context);
  await checkAllowlist(settings, options.allowlistFile);
  const previous = previousResult(context);
  const sysctls = sysctlSettings(settings, context.ifName);
  const mac = settings.mac === undefined ? undefined : linkMac(settings.mac);
  const tunesLink = mac !== undefined || settings.promisc || settings.mtu !== 0 ||
    settings.allmulti !== undefined || settings.txQLen !== undefined;
  await inNamespace(context, async () => {
    // As the reference, ADD fails when the namespace is gone, even with nothing to change.
    if (!tunesLink && sysctls.every((setting) => setting.value === "")) {
      await context.inContainer.links();
    }
    for (const setting of sysctls) await applySysctl(context, setting);
    if (tunesLink) await tuneLink(context, settings, mac);
  });
  if (mac === undefined) return resultAsSent(context);
  if (previous.interfaces === undefined) return previous;
  const interfaces = previous.interfaces.map((iface) =>
    iface.name === context.ifName ? { ...iface, mac } : iface
  );
  return { ...previous, interfaces };
}

/** The mismatch messages of the reference's CHECK. */
async function checkLink(context: Context, settings: Settings): Promise<void> {
  const { ifName } = context;
  const link = await containerLink(context, `Cannot find container link ${ifName}`);
  if (settings.mac !== undefined) {
    let same = false;
    try {
      same = linkMac(settings.mac) === link.mac;
    } catch (error) {
      if (!(error instanceof CniError)) throw error;
    }
    if (!same) {
      throw new Error(
        `Error: Tuning configured Ethernet of ${ifName} is ${settings.mac}, ` +
          `current value is ${link.mac ?? ""}`,
      );
    }
  }
  const promisc = link.promisc === true;
  if (settings.promisc !== promisc) {
    throw new Error(
      `Error: Tuning link ${ifName} configured promisc is ${settings.promisc}, ` +
        `current value is ${promisc ? 1 : 0}`,
    );
  }
  if (settings.mtu !== 0 && settings.mtu !== link.mtu) {
    throw new Error(
      `Error: Tuning configured MTU of ${ifName} is ${settings.mtu}, ` +
        `current value is ${link.mtu}`,
    );
  }
  const allmulti = link.allmulti === true;
  if (settings.allmulti !== undefined && settings.allmulti !== allmulti) {
    throw new Error(
      `Error: Tuning configured all-multicast mode of ${ifName} is ${settings.allmulti}, ` +
        `current value is ${allmulti}`,
    );
  }
  if (settings.txQLen !== undefined && settings.txQLen !== link.txqueuelen) {
    throw new Error(
      `Error: Tuning configured Transmit Queue Length of ${ifName} is ${settings.txQLen}, ` +
        `current value is ${link.txqueuelen}`,
    );
  }
}

async function check(context: Context): Promise<void> {
  refuseRepeatedKeys(context);
  const settings = settingsOf(context);
  previousResult(context);
  await inNamespace(context, async () => {
    for (const setting of sysctlSettings(settings, context.ifName)) {
      let current: string;
      try {
        current = await context.inContainer.sysctlGet(setting.toolkitKey);
      } catch (error) {
        throw fileError("read", setting.file, error);
      }
      if (current !== setting.value) {
        throw new Error(
          `Error: Tuning configured value of ${setting.file} is ${setting.value}, ` +
            `current value is ${current}`,
        );
      }
    }
    await checkLink(context, settings);
  });
}

/**
 * Puts the link back as the backup says and removes the backup. What cannot be restored is
 * logged and the backup kept; a namespace or link that is gone leaves nothing to restore, and
 * the backup is removed.
 */
async function del(context: Context): Promise<void> {
  const file = backupPath(context.conf.dataDir, context.containerId, context.ifName);
  let text: string | undefined;
  try {
    text = await readBackupFile(file);
  } catch (error) {
    if (error instanceof Deno.errors.NotCapable) throw error;
    context.log.warn(`cannot read the backup ${JSON.stringify(file)}: ${reason(error)}`);
    return;
  }
  if (text === undefined) return;
  const backup = parseBackup(text);
  if (backup === undefined) {
    context.log.warn(`kept the backup ${JSON.stringify(file)}: it is not a backup of a link`);
    return;
  }
  const kept = (why: string) => context.log.warn(`kept the backup ${JSON.stringify(file)}: ${why}`);
  try {
    const link = context.netns === "" ? undefined : await context.inContainer.link(context.ifName);
    if (link !== undefined) {
      const failures = await restoreLink(context, backup);
      if (failures.length > 0) return kept(failures.join("; "));
    }
  } catch (error) {
    // A namespace that is gone has no link left to put back; anything else keeps the backup.
    if (!(error instanceof NamespaceMissingError)) {
      return kept(error instanceof Error ? error.message : String(error));
    }
  }
  try {
    await removeBackupFile(file);
  } catch (error) {
    if (error instanceof Deno.errors.NotCapable) throw error;
    context.log.warn(`cannot remove the backup ${JSON.stringify(file)}: ${reason(error)}`);
  }
}

/**
 * Makes the tuning plugin.
 *
 * @param options the allowlist file and the default backup directory (for tests)
 * @returns the plugin
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { tuningPlugin } from "./tuning.ts";
 * import { invoke } from "../lib/testing.ts";
 *
 * const plugin = tuningPlugin({ allowlistFile: "/nonexistent/allowlist.conf" });
 * const added = await invoke(plugin, {
 *   config: {
 *     cniVersion: "1.0.0",
 *     name: "net",
 *     type: "deno-tuning",
 *     sysctl: { "kernel.x": "1" },
 *     prevResult: { cniVersion: "1.0.0", interfaces: [{ name: "eth0" }] },
 *   },
 * });
 * assert.equal(added.error?.code, 7);
 * assert.equal(added.error?.msg, 'invalid net sysctl key: "kernel/x"');
 * ```
 */
export function tuningPlugin(options: TuningOptions = {}): Plugin {
  const resolved: Required<TuningOptions> = {
    allowlistFile: options.allowlistFile ?? DEFAULT_ALLOWLIST_FILE,
    dataDir: options.dataDir ?? DEFAULT_DATA_DIR,
  };
  return definePlugin({
    name: NAME,
    about: "CNI tuning plugin (deno-cni)",
    // Namespace work in this process only (netlink): never `nsenter` or programs in the container.
    networking: "in-process",
    config: (_raw, { read, command }) => readConfig(read, command, resolved),
    // Without a valid dataDir DEL cannot find the backup: it succeeds with a warning.
    tolerateConfigErrorsOnDel: true,
    add: (context) => add(context, resolved),
    check: (context) => check(context),
    del: (context) => del(context),
  });
}

/** The deno-tuning plugin. */
export const denoTuning: Plugin = tuningPlugin();

if (import.meta.main) await runPlugin(denoTuning);
