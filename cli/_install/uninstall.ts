/**
 * Undoing what the installer did: the network deno-cni chained into is put back byte for byte
 * from its backup (chain_state.ts), then the plugins that the record (record.ts) says deno-cni
 * installed, and whose content is still what it wrote, are removed.
 *
 * Uninstalling never drops a change deno-cni did not make. A network file someone else changed
 * since is left alone, unless `force`: then only deno-cni's own entries are taken out of it, as
 * text, and the rest of their file stays byte for byte; the stale backup goes. Nothing is
 * removed or written but files in the two directories, by names checked first: a record entry
 * or a chain state that names anything else is refused.
 */
import { join } from "node:path";
import { lstatIfExists, removeDurably, renameDurably, writeFileAtomic } from "./atomic.ts";
import { type ChainState, readChainState, removeChainState } from "./chain_state.ts";
import { compareGoStrings, NETWORK_LIMIT, parseNetwork } from "./conf_files.ts";
import { messageOf, UsageError } from "./errors.ts";
import { withDirLock } from "./lock.ts";
import { badNameReason, readPluginNames } from "./names.ts";
import { removeEntries } from "./network_text.ts";
import { quoteName } from "./quote.ts";
import { readRecord, RECORD_NAME, recordEntry, writeRecord } from "./record.ts";
import { digestRegularFile, type DigestResult, readRegularFile } from "./regular_file.ts";
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
  /**
   * Take deno-cni's entries out of a network someone else changed since (keeping the rest), and
   * remove plugins changed since.
   */
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

/** The names the record has, or none when it cannot be read (removing then reports why). */
async function recordedNames(binDir: string): Promise<string[]> {
  if (!(await isDirectory(binDir))) return [];
  try {
    return Object.keys((await readRecord(binDir)).files);
  } catch {
    return [];
  }
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
    const recorded = await recordedNames(options.binDir);
    for (const name of named) {
      const reason = badNameReason(name);
      if (reason !== undefined) {
        throw new UsageError(`Bad plugin name ${quoteName(name)}: ${reason}`);
      }
      if (!known.has(name) && !recorded.includes(name)) {
        throw new UsageError(
          `Unknown plugin ${
            quoteName(name)
          }: neither "${options.manifest}" nor the install record has it`,
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

function sha256Of(digest: DigestResult): string | undefined {
  return digest.kind === "file" ? digest.sha256 : undefined;
}

/** What one restore needs: the state, its paths, and how to report and step. */
interface Restore {
  readonly options: UninstallOptions;
  readonly state: ChainState;
  readonly out: Recorder;
  readonly activePath: string;
  readonly originalPath: string;
  readonly backupPath: string;
  readonly chained: string;
  readonly step: (name: string) => Promise<void>;
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
  const job: Restore = {
    options,
    state,
    out,
    activePath: join(dir, state.active),
    originalPath: join(dir, state.original),
    backupPath: join(dir, state.backup),
    chained: state.plugins.join(", "),
    step: async (name: string) => await options.onStep?.(name),
  };
  const { activePath, originalPath, backupPath, chained, step } = job;
  if (named !== undefined && !state.plugins.some((p) => named.includes(p))) {
    out.left(`${activePath} alone: it chains ${chained}, which are not to be removed`, false);
    return [];
  }
  const active = await digestRegularFile(activePath);
  const activeSha = sha256Of(active);
  const original = state.original === state.active ? active : await digestRegularFile(originalPath);
  const originalSha = sha256Of(original);

  // The original is in place already: a chain or an uninstall was interrupted. Tidy up.
  if (
    originalSha === state.originalSha256 &&
    (state.original === state.active || active.kind === "missing")
  ) {
    if (!dryRun) {
      await removeIfThere(backupPath);
      await removeChainState(dir);
      await step("tidy");
    }
    out.left(`${originalPath} alone: it is as it was before deno-cni changed it`, false);
    return [];
  }
  const force = options.force ?? false;
  if (activeSha !== state.activeSha256) {
    if (!force) {
      const [how, hint] = active.kind === "missing"
        ? ["removed", "use --force to leave it so and drop the backup"]
        : ["changed", "use --force to take deno-cni's entries out of it and keep the rest"];
      out.left(
        `${activePath} alone: ${how} by someone else since deno-cni chained ${chained} into it ` +
          `(${hint})`,
        true,
      );
      return state.plugins;
    }
    return await takeOutEntries(
      job,
      active,
      "changed by someone else since deno-cni chained into it",
    );
  }
  // The active file is exactly what deno-cni wrote.
  if (sha256Of(await digestRegularFile(backupPath)) !== state.originalSha256) {
    if (!force) {
      out.left(
        `${activePath} alone: the backup ${backupPath} is missing or changed, so the original ` +
          `cannot be restored (use --force to take deno-cni's entries out of it)`,
        true,
      );
      return state.plugins;
    }
    return await takeOutEntries(job, active, `the backup ${backupPath} is missing or changed`);
  }
  if (state.original !== state.active && original.kind !== "missing") {
    if (!force) {
      out.left(
        `${activePath} alone: ${originalPath} exists again (use --force to remove ` +
          `${activePath} and keep it)`,
        true,
      );
      return state.plugins;
    }
    // Someone put a file where the original was: it stays, and deno-cni's file goes.
    if (!dryRun) {
      await removeDurably(activePath);
      await step("remove");
    }
    out.did(
      "remove",
      "removed",
      `${activePath} (--force: ${originalPath} exists again, and stays)`,
    );
    await discard(job);
    return [];
  }
  // The backup holds the original's bytes, mode and owner: renaming it restores all three at once.
  if (!dryRun) {
    await renameDurably(backupPath, originalPath);
    await step("restore");
  }
  out.did("restore", "restored", `${originalPath} from ${backupPath}`);
  if (state.original !== state.active && active.kind !== "missing") {
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

/**
 * With `force`, over a network that is no longer what deno-cni wrote: takes the entries of the
 * plugins deno-cni chained out of the file as text and keeps every other byte, then drops the
 * backup (restoring it would undo someone else's change) and the state. Returns the chained
 * plugins that must stay installed: all of them when their entries could not be taken out.
 */
async function takeOutEntries(job: Restore, active: DigestResult, why: string): Promise<string[]> {
  const { options, state, out, activePath, chained, step } = job;
  const dryRun = options.dryRun ?? false;
  if (active.kind === "missing") {
    out.left(`${activePath} alone: removed by someone else (--force: nothing to take out)`, false);
    await discard(job);
    return [];
  }
  const read = await readRegularFile(activePath, NETWORK_LIMIT);
  if (read.kind !== "file") {
    const what = read.kind === "other" ? read.what : "too large";
    out.left(`${activePath} alone: it is ${what} now, so deno-cni's entries stay in it`, true);
    return state.plugins;
  }
  let network;
  try {
    network = parseNetwork(state.active, read.bytes, activePath);
  } catch (error) {
    out.left(
      `${activePath} alone: deno-cni cannot take its entries out (${messageOf(error)})`,
      true,
    );
    return state.plugins;
  }
  const indexes = new Set<number>();
  network.plugins.forEach((p, i) => {
    if (state.plugins.includes(p.type as string)) indexes.add(i);
  });
  const types = [...new Set([...indexes].map((i) => network.plugins[i]!.type as string))];
  if (indexes.size === 0) {
    out.left(`${activePath} alone: ${why}, and it chains none of ${chained} now`, false);
  } else if (indexes.size === network.plugins.length || network.list === undefined) {
    out.left(
      `${activePath} alone: without the entries of ${types.join(", ")} it would have no plugin ` +
        `left`,
      true,
    );
    return state.plugins;
  } else {
    if (!dryRun) {
      const bytes = removeEntries(read.bytes, network.list, indexes);
      await writeFileAtomic(activePath, { bytes }, {
        mode: (read.info.mode ?? 0o644) & 0o7777,
        uid: read.info.uid ?? undefined,
        gid: read.info.gid ?? undefined,
      });
      await step("take out");
    }
    out.did(
      "take",
      "took",
      `${types.join(", ")} out of ${activePath} (--force: ${why}; the rest stays as it is)`,
    );
  }
  await discard(job);
  return [];
}

/** Removes the backup, which no longer restores anything, and the state. */
async function discard(job: Restore): Promise<void> {
  const { options, out, backupPath, step } = job;
  if (await lstatIfExists(backupPath)) {
    if (!options.dryRun) {
      await removeDurably(backupPath);
      await step("backup");
    }
    out.did("remove", "removed", `${backupPath} (it would undo a change deno-cni did not make)`);
  }
  if (!options.dryRun) {
    await removeChainState(options.confDir);
    await step("state");
  }
}

async function removeIfThere(path: string): Promise<void> {
  try {
    await removeDurably(path);
  } catch (error) {
    if (!(error instanceof Deno.errors.NotFound)) throw error;
  }
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
  const recordPath = join(options.binDir, RECORD_NAME);
  // Entries with a bad name or digest are never acted on; the rest of the record still is.
  const refused = record.rejected.filter((r) => named === undefined || named.includes(r.name));
  for (const entry of refused) {
    out.left(`the entry ${quoteName(entry.name)} of ${recordPath} alone: ${entry.reason}`, true);
  }
  const refusedNames = new Set(refused.map((r) => r.name));
  const names = named ?? Object.keys(record.files).sort(compareGoStrings);
  let changed = false;
  try {
    for (const name of names) {
      if (refusedNames.has(name)) continue;
      const target = join(options.binDir, name);
      const entry = recordEntry(record, name);
      if (entry === undefined) {
        out.left(`${target} alone: not installed by deno-cni`, false);
        continue;
      }
      if (kept.includes(name)) {
        out.left(`${target} alone: the network still chains it`, false);
        continue;
      }
      const current = await digestRegularFile(target);
      if (current.kind === "missing") {
        if (!dryRun) {
          delete record.files[name];
          changed = true;
        }
        out.did("forget", "forgot", `${target}: it was removed already`);
        continue;
      }
      if (current.kind === "other") {
        // deno-cni installs regular files only; whatever took the place of its file stays.
        out.left(
          `${target} alone: it is ${current.what} now, not the file deno-cni installed`,
          false,
        );
        continue;
      }
      if (current.sha256 !== entry.sha256 && !force) {
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
      const note = current.sha256 === entry.sha256
        ? ""
        : " (--force: changed since deno-cni installed it)";
      out.did("remove", "removed", target + note);
    }
  } finally {
    if (changed) await writeRecord(options.binDir, record);
  }
}
