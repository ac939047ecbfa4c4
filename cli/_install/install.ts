/**
 * Installing plugins into a plugin directory (`CNI_PATH`): each file is replaced atomically
 * (atomic.ts), recorded by digest (record.ts), and a file deno-cni did not put there is left
 * alone unless `force` is set.
 */
import { join } from "node:path";
import { writeFileAtomic } from "./atomic.ts";
import { sha256File } from "./digest.ts";
import { InstallError, messageOf } from "./errors.ts";
import { withDirLock } from "./lock.ts";
import { checkPluginNames, readPluginNames } from "./names.ts";
import { type InstallRecord, readRecord, recordEntry, writeRecord } from "./record.ts";
import { digestRegularFile } from "./regular_file.ts";
import { Recorder, type Report } from "./report.ts";

/** What {@link installPlugins} installs, from where, to where. */
export interface InstallOptions {
  /** Plugin names, each listed in the plugin list. */
  readonly plugins: readonly string[];
  /** The directory to install into. */
  readonly binDir: string;
  /** The directory holding the built plugins, one file per name (`make bin` writes bin/). */
  readonly from: string;
  /** The plugin list (plugins.json) the names are checked against. */
  readonly manifest: string;
  /** Replace files that deno-cni did not install. */
  readonly force?: boolean;
  /** Decide and report, change nothing. */
  readonly dryRun?: boolean;
  /** Called with each line as it is recorded. */
  readonly onLine?: (line: string) => void;
}

/** What to do with one plugin. */
type Decision =
  | { kind: "install"; verb: "install" | "update" | "replace"; past: string; note: string }
  | { kind: "unchanged"; note: string; adopt: boolean; sha256: string }
  | { kind: "refuse"; note: string };

/**
 * Installs the named plugins from `from` into `binDir`. A missing target is installed; one whose
 * content is already the build's is left unchanged; one that deno-cni installed (its digest is
 * in the record) is updated; any other file is left alone, and the run fails, unless `force`.
 * Throws a UsageError for a bad name before anything is touched.
 */
export async function installPlugins(options: InstallOptions): Promise<Report> {
  const names = [...new Set(options.plugins)];
  checkPluginNames(names, readPluginNames(options.manifest), options.manifest);
  const dryRun = options.dryRun ?? false;
  const out = new Recorder(dryRun, options.onLine);
  try {
    if (!dryRun) await Deno.mkdir(options.binDir, { recursive: true });
    const work = () => installAll(names, options, out);
    if (dryRun) await work();
    else await withDirLock(options.binDir, work);
  } catch (error) {
    out.error(messageOf(error));
  }
  return out.report();
}

async function installAll(
  names: string[],
  options: InstallOptions,
  out: Recorder,
): Promise<void> {
  const record = await readRecord(options.binDir);
  let recordChanged = false;
  try {
    for (const name of names) {
      const source = join(options.from, name);
      const target = join(options.binDir, name);
      const decision = await decide(name, source, target, record, options.force ?? false);
      if (decision.kind === "refuse") {
        out.left(`${target} alone: ${decision.note}`, true, target);
        continue;
      }
      if (decision.kind === "unchanged") {
        if (decision.adopt && !options.dryRun) {
          record.files[name] = { sha256: decision.sha256 };
          recordChanged = true;
        }
        out.left(`${target} alone: ${decision.note}`, false, target);
        continue;
      }
      if (!options.dryRun) {
        const digest = await writeFileAtomic(target, { copyFrom: source }, { mode: 0o755 });
        record.files[name] = { sha256: digest };
        recordChanged = true;
      }
      out.did(decision.verb, decision.past, target + decision.note, target);
    }
  } finally {
    if (recordChanged) await writeRecord(options.binDir, record);
  }
}

async function decide(
  name: string,
  source: string,
  target: string,
  record: InstallRecord,
  force: boolean,
): Promise<Decision> {
  let sourceInfo: Deno.FileInfo;
  try {
    sourceInfo = await Deno.stat(source);
  } catch {
    throw new InstallError(`No built plugin "${source}" (run "make bin")`);
  }
  if (!sourceInfo.isFile) throw new InstallError(`The built plugin "${source}" is not a file`);

  const existing = await digestRegularFile(target);
  if (existing.kind === "missing") {
    return { kind: "install", verb: "install", past: "installed", note: "" };
  }
  if (existing.kind === "other" && existing.what === "a directory") {
    return { kind: "refuse", note: "it is a directory" };
  }
  const recorded = recordEntry(record, name)?.sha256;
  // A symbolic link or a device in its place is never deno-cni's: it is not followed.
  const current = existing.kind === "file" ? existing.sha256 : undefined;
  const wanted = await sha256File(source);
  if (current === wanted) {
    // Identical bytes are deno-cni's build; only a file already in the record is kept in it.
    return recorded === undefined
      ? {
        kind: "unchanged",
        note: "unchanged (same content, but not installed by deno-cni)",
        adopt: false,
        sha256: current,
      }
      : { kind: "unchanged", note: "unchanged", adopt: recorded !== current, sha256: current };
  }
  if (recorded !== undefined && recorded === current) {
    return { kind: "install", verb: "update", past: "updated", note: "" };
  }
  const why = recorded === undefined
    ? "not installed by deno-cni"
    : "changed since deno-cni installed it";
  if (force) {
    return { kind: "install", verb: "replace", past: "replaced", note: ` (--force: ${why})` };
  }
  return { kind: "refuse", note: `${why} (use --force to replace)` };
}
