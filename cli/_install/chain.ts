/**
 * Chaining a plugin into the network a node's runtime uses (conf_files.ts decides which file
 * that is): its entry `{"type": <plugin>, ...}` is appended to the network's `plugins` list,
 * after the plugin itself confirmed, through VERSION, that it supports the network's
 * `cniVersion`, which is kept.
 *
 * The first change to a directory saves the original file's exact bytes as
 * `<original>.deno-cni-backup` and writes the chain state (chain_state.ts) before the new file
 * goes in place, so `uninstall` can always put the original back.
 *
 * A one-plugin `.conf` (or `.json`) cannot hold a list: `ConfFromFile` needs a top-level
 * `type`, and containerd refuses such a file without one. So `10-net.conf` becomes
 * `10-net.conflist`, with the same `cniVersion` and `name` and the original object as its first
 * plugin, which is exactly the list libcni's `ConfListFromConf` builds from it in memory. The
 * `.conflist` is written first and the `.conf` removed second: while both exist, `10-net.conf`
 * sorts first (it is a prefix of the other name) and the runtime keeps the old network, and once
 * it is gone the new file is first (a `10-net.json` sorts after `10-net.conflist`, so there the
 * new network is first as soon as it is written). Either way some valid network, the old or the
 * new, is first at every moment. The installer checks beforehand that no other file would sort
 * before the new name, and refuses when one would (or when the `.conflist` exists).
 */
import { isDeepStrictEqual } from "node:util";
import { join } from "node:path";
import { lstatIfExists, removeDurably, writeFileAtomic } from "./atomic.ts";
import { BACKUP_SUFFIX, type ChainState, readChainState, writeChainState } from "./chain_state.ts";
import {
  activeNetwork,
  compareGoStrings,
  confFileNames,
  goExt,
  type Network,
} from "./conf_files.ts";
import { sha256 } from "./digest.ts";
import { InstallError, messageOf, UsageError } from "./errors.ts";
import { withDirLock } from "./lock.ts";
import { checkPluginNames, readPluginNames } from "./names.ts";
import { supportedVersions } from "./plugin_version.ts";
import { Recorder, type Report } from "./report.ts";

/** What {@link chainPlugin} chains, and where. */
export interface ChainOptions {
  /** The plugin to chain, listed in the plugin list. */
  readonly plugin: string;
  /** The plugin directory the runtime runs it from. */
  readonly binDir: string;
  /** The runtime's configuration directory. */
  readonly confDir: string;
  /** The plugin list (plugins.json) the name is checked against. */
  readonly manifest: string;
  /** The plugin's own keys in its entry; a `type` must name the plugin. */
  readonly entry?: Readonly<Record<string, unknown>>;
  /** The executable asked for VERSION; by default `<binDir>/<plugin>`. */
  readonly versionFrom?: string;
  /** Chain even over someone else's change, or over an entry with other settings. */
  readonly force?: boolean;
  /** Decide and report, change nothing. */
  readonly dryRun?: boolean;
  /** Called with each line as it is recorded. */
  readonly onLine?: (line: string) => void;
  /** Called after each change on disk (for tests that check every intermediate state). */
  readonly onStep?: (step: string) => void | Promise<void>;
}

/**
 * Chains the plugin into the network the runtime loads from `confDir`. Running it again changes
 * nothing. Throws a UsageError for a bad name or entry before anything is touched.
 */
export async function chainPlugin(options: ChainOptions): Promise<Report> {
  checkPluginNames([options.plugin], readPluginNames(options.manifest), options.manifest);
  const given = options.entry ?? {};
  if ("type" in given && given.type !== options.plugin) {
    throw new UsageError(
      `The entry's "type" is ${JSON.stringify(given.type)}, not "${options.plugin}"`,
    );
  }
  const { type: _type, ...keys } = given;
  const ordered = { type: options.plugin, ...keys };
  const out = new Recorder(options.dryRun ?? false, options.onLine);
  try {
    if (options.dryRun) {
      await chainInto(options, ordered, out);
    } else {
      if (!(await lstatIfExists(options.confDir))?.isDirectory) {
        throw new InstallError(`No configuration directory "${options.confDir}"`);
      }
      await withDirLock(options.confDir, () => chainInto(options, ordered, out));
    }
  } catch (error) {
    out.error(messageOf(error));
  }
  return out.report();
}

function describe(network: Network): string {
  return `(network ${JSON.stringify(network.name)}, cniVersion ${network.cniVersion})`;
}

/** The document with its `plugins` replaced, every other key kept in its place. */
function withPlugins(network: Network, plugins: unknown[]): Record<string, unknown> {
  if (network.kind === "single") {
    return { cniVersion: network.cniVersion, name: network.name, plugins };
  }
  return Object.fromEntries(
    Object.entries(network.document).map((
      [key, value],
    ) => [key, key === "plugins" ? plugins : value]),
  );
}

async function chainInto(
  options: ChainOptions,
  entry: Record<string, unknown>,
  out: Recorder,
): Promise<void> {
  const dir = options.confDir;
  const force = options.force ?? false;
  const dryRun = options.dryRun ?? false;
  const network = await activeNetwork(dir);
  const activePath = join(dir, network.file);
  const currentSha = sha256(network.bytes);
  const state = await readChainState(dir);
  if (state !== undefined && state.active !== network.file) {
    throw new InstallError(
      `deno-cni changed "${join(dir, state.active)}", but "${activePath}" is now the network ` +
        `runtimes load first: run --uninstall first`,
    );
  }
  if (state !== undefined && state.activeSha256 !== currentSha && !force) {
    out.left(
      `${activePath} alone: changed by someone else since deno-cni chained into it ` +
        `(use --force to chain anyway)`,
      true,
    );
    return;
  }

  const plugin = options.plugin;
  const index = network.plugins.findIndex((p) => p.type === plugin);
  if (index >= 0 && isDeepStrictEqual(network.plugins[index], entry)) {
    out.left(`${activePath} alone: ${plugin} is already chained ${describe(network)}`, false);
    return;
  }
  if (index >= 0 && !force) {
    out.left(
      `${activePath} alone: it has a "${plugin}" entry with other settings ` +
        `(use --force to replace it)`,
      true,
    );
    return;
  }

  const executable = options.versionFrom ?? join(options.binDir, plugin);
  const versions = await supportedVersions(executable, network.cniVersion);
  if (!versions.includes(network.cniVersion)) {
    throw new InstallError(
      `${plugin} does not support cniVersion ${JSON.stringify(network.cniVersion)} of network ` +
        `${JSON.stringify(network.name)} in "${activePath}" (it supports ${versions.join(", ")})`,
    );
  }

  const plugins: unknown[] = [...network.plugins];
  if (index >= 0) plugins[index] = entry;
  else plugins.push(entry);
  const bytes = new TextEncoder().encode(
    JSON.stringify(withPlugins(network, plugins), null, 2) + "\n",
  );
  const newFile = network.kind === "list"
    ? network.file
    : network.file.slice(0, network.file.length - goExt(network.file).length) + ".conflist";
  const newPath = join(dir, newFile);
  const backupPath = join(dir, network.file + BACKUP_SUFFIX);

  if (newFile !== network.file) {
    if (await lstatIfExists(newPath)) {
      out.left(`${activePath} alone: it cannot become ${newPath}, which exists`, true);
      return;
    }
    const after = [...(await confFileNames(dir)).filter((n) => n !== network.file), newFile]
      .sort(compareGoStrings);
    if (after[0] !== newFile) {
      out.left(
        `${activePath} alone: as ${newPath} it would not be loaded first (${after[0]} sorts ` +
          `before it)`,
        true,
      );
      return;
    }
  }
  if (state === undefined && (await lstatIfExists(backupPath)) && !force) {
    out.left(`${activePath} alone: ${backupPath} exists (use --force to overwrite it)`, true);
    return;
  }

  const info = await Deno.lstat(activePath);
  const mode = {
    mode: (info.mode ?? 0o644) & 0o7777,
    uid: info.uid ?? undefined,
    gid: info.gid ?? undefined,
  };
  const step = async (name: string) => await options.onStep?.(name);
  let next: ChainState;
  if (state === undefined) {
    if (!dryRun) {
      await writeFileAtomic(backupPath, { bytes: network.bytes }, mode);
      await step("backup");
    }
    out.did("save", "saved", `${activePath} as ${backupPath}`);
    next = {
      original: network.file,
      originalSha256: currentSha,
      backup: network.file + BACKUP_SUFFIX,
      active: newFile,
      activeSha256: sha256(bytes),
      plugins: [plugin],
    };
  } else {
    next = {
      ...state,
      activeSha256: sha256(bytes),
      plugins: state.plugins.includes(plugin) ? state.plugins : [...state.plugins, plugin],
    };
  }
  if (!dryRun) {
    // The state goes first: whatever happens next, uninstall knows where the original is.
    await writeChainState(dir, next);
    await step("state");
    await writeFileAtomic(newPath, { bytes }, mode);
    await step("network");
  }
  const replacing = index >= 0 ? ` (--force: replacing its other "${plugin}" entry)` : "";
  out.did("chain", "chained", `${plugin} into ${newPath} ${describe(network)}${replacing}`);
  if (newFile !== network.file) {
    if (!dryRun) {
      await removeDurably(activePath);
      await step("remove");
    }
    out.did("remove", "removed", `${activePath} (its network is now ${newPath})`);
  }
}
