/**
 * Undoing what the installer did: the network deno-cni chained into is put back byte for byte
 * from its backup (chain_state.ts), then the plugins that the record (record.ts) says deno-cni
 * installed, and whose content is still what it wrote, are removed.
 */
import { join } from "node:path";
import { lstatIfExists, removeDurably, removeIfExists, renameDurably } from "./atomic.ts";
import { readChainState, removeChainState } from "./chain_state.ts";
import { compareGoStrings } from "./conf_files.ts";
import { sha256File, sha256IfExists } from "./digest.ts";
import { messageOf, UsageError } from "./errors.ts";
import { withDirLock } from "./lock.ts";
import { badNameReason, readPluginNames } from "./names.ts";
import { readRecord, writeRecord } from "./record.ts";
import { Recorder, type Report } from "./report.ts";

/** What {@link uninstall} undoes. */
export interface UninstallOptions {
  /** The plugin directory. */
  readonly binDir: string;
  /** The runtime's configuration directory. */
  readonly confDir: string;
  /** The plugin list (plugins.json); names it lists, or the record holds, may be given. */
  readonly manifest: string;
  /** The plugins to remove; all that deno-cni installed when empty or absent. */
  readonly plugins?: readonly string[];
  /** Restore the network over someone else's change; remove plugins changed since. */
  readonly force?: boolean;
  /** Decide and report, change nothing. */
  readonly dryRun?: boolean;
  /** Called with each line as it is recorded. */
  readonly onLine?: (line: string) => void;
  /** Called after each change on disk (for tests that check every intermediate state). */
  readonly onStep?: (step: string) => void | Promise<void>;
}

async function isDirectory(path: string): Promise<boolean> {
  return (await lstatIfExists(path))?.isDirectory ?? false;
}

/**
 * Restores the network and removes the plugins. A network changed by someone else since is left
 * alone (and the run fails) unless `force`, and then the plugins chained into it stay too.
 * Throws a UsageError for a bad name before anything is touched.
 */
export async function uninstall(options: UninstallOptions): Promise<Report> {
  const named = options.plugins?.length ? [...new Set(options.plugins)] : undefined;
  if (named !== undefined) {
    const known = new Set(readPluginNames(options.manifest));
    const recorded = (await isDirectory(options.binDir))
      ? Object.keys((await readRecord(options.binDir)).files)
      : [];
    for (const name of named) {
      const reason = badNameReason(name);
      if (reason !== undefined) throw new UsageError(`Bad plugin name "${name}": ${reason}`);
      if (!known.has(name) && !recorded.includes(name)) {
        throw new UsageError(
          `Unknown plugin "${name}": neither "${options.manifest}" nor the install record has it`,
        );
      }
    }
  }
  const dryRun = options.dryRun ?? false;
  const out = new Recorder(dryRun, options.onLine);
  try {
    let kept: string[] = [];
    const restore = async () => {
      kept = await restoreNetwork(options, named, out);
    };
    if (dryRun || !(await isDirectory(options.confDir))) await restore();
    else await withDirLock(options.confDir, restore);

    const remove = () => removePlugins(options, named, kept, out);
    if (dryRun || !(await isDirectory(options.binDir))) await remove();
    else await withDirLock(options.binDir, remove);
  } catch (error) {
    out.error(messageOf(error));
  }
  return out.report();
}

/** Puts the original network back; returns the chained plugins that must stay installed. */
async function restoreNetwork(
  options: UninstallOptions,
  named: string[] | undefined,
  out: Recorder,
): Promise<string[]> {
  const dir = options.confDir;
  const dryRun = options.dryRun ?? false;
  const state = await readChainState(dir);
  if (state === undefined) {
    out.left(`${dir} alone: deno-cni chained nothing there`, false);
    return [];
  }
  const activePath = join(dir, state.active);
  const originalPath = join(dir, state.original);
  const backupPath = join(dir, state.backup);
  const chained = state.plugins.join(", ");
  if (named !== undefined && !state.plugins.some((p) => named.includes(p))) {
    out.left(`${activePath} alone: it chains ${chained}, which are not to be removed`, false);
    return [];
  }
  const step = async (name: string) => await options.onStep?.(name);
  const activeSha = await sha256IfExists(activePath);
  const originalSha = state.original === state.active
    ? activeSha
    : await sha256IfExists(originalPath);

  // The original is in place already: a chain or an uninstall was interrupted. Tidy up.
  if (
    originalSha === state.originalSha256 &&
    (state.original === state.active || activeSha === undefined)
  ) {
    if (!dryRun) {
      await removeIfExists(backupPath);
      await removeChainState(dir);
      await step("tidy");
    }
    out.left(`${originalPath} alone: it is as it was before deno-cni changed it`, false);
    return [];
  }
  if ((await sha256IfExists(backupPath)) !== state.originalSha256) {
    out.left(
      `${activePath} alone: the backup ${backupPath} is missing or changed, so the original ` +
        `cannot be restored`,
      true,
    );
    return state.plugins;
  }
  const force = options.force ?? false;
  if (activeSha !== state.activeSha256 && !force) {
    const how = activeSha === undefined ? "removed" : "changed";
    out.left(
      `${activePath} alone: ${how} by someone else since deno-cni chained ${chained} into it ` +
        `(use --force to restore the original)`,
      true,
    );
    return state.plugins;
  }
  if (state.original !== state.active && originalSha !== undefined && !force) {
    out.left(
      `${activePath} alone: ${originalPath} exists again (use --force to restore over it)`,
      true,
    );
    return state.plugins;
  }
  // The backup holds the original's bytes, mode and owner: renaming it restores all three at once.
  if (!dryRun) {
    await renameDurably(backupPath, originalPath);
    await step("restore");
  }
  out.did("restore", "restored", `${originalPath} from ${backupPath}`);
  if (state.original !== state.active && activeSha !== undefined) {
    if (!dryRun) {
      await removeDurably(activePath);
      await step("remove");
    }
    out.did("remove", "removed", activePath);
  }
  if (!dryRun) {
    await removeChainState(dir);
    await step("state");
  }
  return [];
}

async function removePlugins(
  options: UninstallOptions,
  named: string[] | undefined,
  kept: string[],
  out: Recorder,
): Promise<void> {
  const dryRun = options.dryRun ?? false;
  const force = options.force ?? false;
  const record = await readRecord(options.binDir);
  const names = named ?? Object.keys(record.files).sort(compareGoStrings);
  let changed = false;
  try {
    for (const name of names) {
      const target = join(options.binDir, name);
      const entry = record.files[name];
      if (entry === undefined) {
        out.left(`${target} alone: not installed by deno-cni`, false);
        continue;
      }
      if (kept.includes(name)) {
        out.left(`${target} alone: the network still chains it`, false);
        continue;
      }
      const info = await lstatIfExists(target);
      if (info === undefined) {
        if (!dryRun) {
          delete record.files[name];
          changed = true;
        }
        out.did("forget", "forgot", `${target}: it was removed already`);
        continue;
      }
      const current = info.isFile ? await sha256File(target) : undefined;
      if (current !== entry.sha256 && !force) {
        out.left(
          `${target} alone: changed since deno-cni installed it (use --force to remove it)`,
          false,
        );
        continue;
      }
      if (!dryRun) {
        await removeDurably(target);
        delete record.files[name];
        changed = true;
      }
      const note = current === entry.sha256
        ? ""
        : " (--force: changed since deno-cni installed it)";
      out.did("remove", "removed", target + note);
    }
  } finally {
    if (changed) await writeRecord(options.binDir, record);
  }
}
