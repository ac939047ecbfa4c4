/**
 * Chaining a plugin into the network a node's runtime uses (conf_files.ts decides which file
 * that is): its entry `{"type": <plugin>, ...}` is added at the end of the network's `plugins`
 * list, after the plugin itself confirmed, through VERSION, that it supports the network's
 * `cniVersion`, which is kept.
 *
 * The file is edited as text (network_text.ts): the entry is inserted after the last one, and
 * every other byte stays as it was, so the other plugins' settings reach them exactly as their
 * authors wrote them (a number beyond 2^53, `1.0`, an escape, a duplicate key).
 *
 * The first change to a directory saves the original file's exact bytes as
 * `<original>.deno-cni-backup` and writes the chain state (chain_state.ts) before the new file
 * goes in place, so `uninstall` can always put the original back. When someone else changed the
 * chained file since, and `--force` chains again, the backup is taken afresh: the file as they
 * left it, without the entries of plugins deno-cni chained, so their change survives an
 * uninstall.
 *
 * A one-plugin `.conf` (or `.json`) cannot hold a list: `ConfFromFile` needs a top-level
 * `type`, and containerd refuses such a file without one. So `10-net.conf` becomes
 * `10-net.conflist`, with the same `cniVersion` and `name` and the original object, byte for
 * byte, as its first plugin, which is the list libcni's `ConfListFromConf` builds from it in
 * memory. The `.conflist` is written first and the `.conf` removed second: while both exist,
 * `10-net.conf` sorts first (it is a prefix of the other name) and the runtime keeps the old
 * network, and once it is gone the new file is first (a `10-net.json` sorts after
 * `10-net.conflist`, so there the new network is first as soon as it is written). Either way
 * some valid network, the old or the new, is first at every moment. The installer checks
 * beforehand that no other file would sort before the new name, and refuses when one would (or
 * when the `.conflist` exists).
 */
import { join } from "node:path";
import { lstatIfExists, removeDurably, writeFileAtomic } from "./atomic.ts";
import {
  activeNameOf,
  BACKUP_SUFFIX,
  type ChainState,
  isFileName,
  readChainState,
  writeChainState,
} from "./chain_state.ts";
import {
  activeNetwork,
  compareGoStrings,
  type ConfListing,
  listConfFiles,
  mayPrecede,
  type Network,
} from "./conf_files.ts";
import { sha256 } from "./digest.ts";
import { InstallError, messageOf, UsageError } from "./errors.ts";
import { formatJson, type JsonNode, JsonTextError, nodeOf, sameJson } from "./json_text.ts";
import { withDirLock } from "./lock.ts";
import { checkPluginNames, readPluginNames } from "./names.ts";
import { appendEntry, removeEntries, replaceEntry, wrapSingle } from "./network_text.ts";
import { supportedVersions } from "./plugin_version.ts";
import { quoteName } from "./quote.ts";
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
  /**
   * The plugin's own keys in its entry; a `type` must name the plugin. Values are plain JSON
   * data, or RawJson (json_text.ts) to keep a value exactly as written.
   */
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

/** The entry's JSON: `type` first, then the given keys. Throws a UsageError for a bad one. */
function entryNode(plugin: string, given: Readonly<Record<string, unknown>>): JsonNode {
  try {
    if ("type" in given) {
      const type = nodeOf(given.type);
      if (type.kind !== "string" || type.value !== plugin) {
        throw new UsageError(`The entry's "type" is ${formatJson(type)}, not "${plugin}"`);
      }
    }
    const { type: _type, ...keys } = given;
    return nodeOf({ type: plugin, ...keys });
  } catch (error) {
    if (error instanceof JsonTextError) {
      throw new UsageError(`The entry cannot be written as JSON: ${error.message}`);
    }
    throw error;
  }
}

/**
 * Chains the plugin into the network the runtime loads from `confDir`. Running it again changes
 * nothing. Throws a UsageError for a bad name or entry before anything is touched.
 */
export async function chainPlugin(options: ChainOptions): Promise<Report> {
  checkPluginNames([options.plugin], readPluginNames(options.manifest), options.manifest);
  const entry = entryNode(options.plugin, options.entry ?? {});
  const out = new Recorder(options.dryRun ?? false, options.onLine);
  try {
    if (options.dryRun) {
      await chainInto(options, entry, out);
    } else {
      if (!(await lstatIfExists(options.confDir))?.isDirectory) {
        throw new InstallError(`No configuration directory "${options.confDir}"`);
      }
      await withDirLock(options.confDir, () => chainInto(options, entry, out));
    }
  } catch (error) {
    out.error(messageOf(error));
  }
  return out.report();
}

function describe(network: Network): string {
  return `(network ${JSON.stringify(network.name)}, cniVersion ${network.cniVersion})`;
}

/** Notes each file a runtime may load but the installer cannot open, its name not UTF-8. */
function noteUnusable(dir: string, listing: ConfListing, out: Recorder): void {
  for (const name of listing.unusable) {
    out.left(
      `${dir}/${quoteName(name)} alone: its name is not valid UTF-8, so deno-cni skips it`,
      false,
    );
  }
}

/** The network's text with the entry in: added at the end, or in place of the plugin's. */
function chainedBytes(network: Network, index: number, entry: JsonNode): Uint8Array {
  if (network.list === undefined) {
    return wrapSingle(network.bytes, network.root, entry, {
      name: network.name,
      cniVersion: network.cniVersion,
      keepOriginal: index < 0,
    });
  }
  return index >= 0
    ? replaceEntry(network.bytes, network.list, index, entry)
    : appendEntry(network.bytes, network.list, entry);
}

/** The indexes of the network's entries whose type is one of `plugins`. */
function entriesOf(network: Network, plugins: readonly string[]): Set<number> {
  const indexes = new Set<number>();
  network.plugins.forEach((p, i) => {
    if (plugins.includes(p.type as string)) indexes.add(i);
  });
  return indexes;
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((byte, i) => byte === b[i]);
}

async function chainInto(options: ChainOptions, entry: JsonNode, out: Recorder): Promise<void> {
  const dir = options.confDir;
  const force = options.force ?? false;
  const dryRun = options.dryRun ?? false;
  const listing = await listConfFiles(dir);
  noteUnusable(dir, listing, out);
  const network = await activeNetwork(dir, listing);
  if (!isFileName(network.file)) {
    throw new InstallError(
      `The network file ${quoteName(network.file)} in "${dir}" has a name deno-cni cannot ` +
        "record (a control character, or too long for a backup): rename it to chain into it",
    );
  }
  const activePath = join(dir, network.file);
  const currentSha = sha256(network.bytes);
  const state = await readChainState(dir);
  if (state !== undefined && state.active !== network.file) {
    throw new InstallError(
      `deno-cni changed "${join(dir, state.active)}", but "${activePath}" is now the network ` +
        `runtimes load first: run --uninstall first`,
    );
  }
  // Someone else wrote the chained file since deno-cni last did.
  const changed = state !== undefined && state.activeSha256 !== currentSha;
  if (changed && !force) {
    out.left(
      `${activePath} alone: changed by someone else since deno-cni chained into it ` +
        `(use --force to chain anyway)`,
      true,
    );
    return;
  }

  const plugin = options.plugin;
  const index = network.plugins.findIndex((p) => p.type === plugin);
  const already = index >= 0 && sameJson(network.entries[index]!, entry);
  if (already && !changed) {
    out.left(`${activePath} alone: ${plugin} is already chained ${describe(network)}`, false);
    return;
  }
  if (index >= 0 && !already && !force) {
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

  const bytes = already ? network.bytes : chainedBytes(network, index, entry);
  const newFile = activeNameOf(network.file);
  const newPath = join(dir, newFile);
  const backupName = network.file + BACKUP_SUFFIX;
  const backupPath = join(dir, backupName);

  if (newFile !== network.file) {
    if (await lstatIfExists(newPath)) {
      out.left(`${activePath} alone: it cannot become ${newPath}, which exists`, true);
      return;
    }
    const after = [...listing.names.filter((n) => n !== network.file), newFile]
      .sort(compareGoStrings);
    if (after[0] !== newFile) {
      out.left(
        `${activePath} alone: as ${newPath} it would not be loaded first (${after[0]} sorts ` +
          `before it)`,
        true,
      );
      return;
    }
    const lossy = listing.unusable.find((name) => mayPrecede(name, newFile));
    if (lossy !== undefined) {
      out.left(
        `${activePath} alone: as ${newPath} it might not be loaded first (${
          quoteName(lossy)
        }, whose name is not valid UTF-8, may sort before it)`,
        true,
      );
      return;
    }
  }
  if (state === undefined && (await lstatIfExists(backupPath)) && !force) {
    out.left(`${activePath} alone: ${backupPath} exists (use --force to overwrite it)`, true);
    return;
  }

  // Over someone else's change, the backup is their file without deno-cni's entries.
  let fresh: { bytes: Uint8Array; dropped: string[] } | undefined;
  if (state !== undefined && changed) {
    if (network.list === undefined) {
      throw new InstallError(`"${activePath}" is not a list, but deno-cni chained into it`);
    }
    const ours = entriesOf(network, state.plugins);
    if (ours.size === network.plugins.length) {
      out.left(
        `${activePath} alone: changed by someone else, and without deno-cni's entries it would ` +
          `have no plugin left to save as its original`,
        true,
      );
      return;
    }
    fresh = {
      bytes: ours.size === 0 ? network.bytes : removeEntries(network.bytes, network.list, ours),
      dropped: state.plugins.filter((p) => network.plugins.some((e) => e.type === p)),
    };
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
      backup: backupName,
      active: newFile,
      activeSha256: sha256(bytes),
      plugins: [plugin],
    };
  } else if (fresh !== undefined) {
    if (!dryRun) {
      await writeFileAtomic(backupPath, { bytes: fresh.bytes }, mode);
      await step("backup");
    }
    const without = fresh.dropped.length === 0
      ? ""
      : `, without the entries of ${fresh.dropped.join(", ")}`;
    out.did(
      "save",
      "saved",
      `${activePath} as ${backupPath}${without} (--force: changed by someone else since ` +
        `deno-cni chained into it)`,
    );
    next = {
      original: network.file,
      originalSha256: sha256(fresh.bytes),
      backup: backupName,
      active: newFile,
      activeSha256: sha256(bytes),
      plugins: [...new Set([...fresh.dropped, plugin])],
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
    if (!sameBytes(bytes, network.bytes) || newFile !== network.file) {
      await writeFileAtomic(newPath, { bytes }, mode);
      await step("network");
    }
  }
  if (already) {
    out.left(`${activePath} alone: ${plugin} is already chained ${describe(network)}`, false);
  } else {
    const replacing = index >= 0 ? ` (--force: replacing its other "${plugin}" entry)` : "";
    out.did("chain", "chained", `${plugin} into ${newPath} ${describe(network)}${replacing}`);
  }
  if (newFile !== network.file) {
    if (!dryRun) {
      await removeDurably(activePath);
      await step("remove");
    }
    out.did("remove", "removed", `${activePath} (its network is now ${newPath})`);
  }
  if (state !== undefined && state.backup !== next.backup) {
    // The backup of the file that was there before the .conflist: the new backup replaces it.
    const stale = join(dir, state.backup);
    if (!dryRun) {
      try {
        await removeDurably(stale);
      } catch (error) {
        if (!(error instanceof Deno.errors.NotFound)) throw error;
      }
      await step("stale backup");
    }
    out.did("remove", "removed", `${stale} (${backupPath} is the backup now)`);
  }
}
