/**
 * Making a recording's directory: `DIR/bin/<name>`, a wrapper for every plugin of the CNI_PATH
 * directories (the first of each name, as a runtime finds them), `DIR/recorder.js` (the recorder,
 * bundled), `DIR/records/` and `DIR/running/`. All of it 0700 or 0600, owned by the user
 * recording.
 *
 * A wrapper holds no text from the plugin directories outside its JSON line: its first line is
 * `#!/usr/bin/env -S <deno> run <flags> DIR/recorder.js`, and the kernel passes its path to the
 * recorder, which reads the real plugin's path from the JSON line. So no shell ever reads a
 * plugin's name or path, and no shell runs between the runtime and the plugin to change the
 * environment (a POSIX shell would set PWD).
 *
 * @module
 */
import { absPath } from "../../lib/_paths.ts";
import { splitCniPath } from "../../lib/env.ts";
import {
  checkRealDirectory,
  ensurePrivateDir,
  PRIVATE_DIR_MODE,
  writePrivateFile,
} from "./private_files.ts";

/** A plugin name a wrapper can have: a plain file name, as a configuration's `type` is. */
export const PLUGIN_NAME = /^[A-Za-z0-9][A-Za-z0-9._+-]{0,127}$/;

/**
 * A path that can stand in the wrappers' first line: `env -S` splits that line on spaces and
 * reads quotes, backslashes, `$` and `#`, so only these characters are allowed.
 */
export const SAFE_PATH = /^\/[A-Za-z0-9._/+,@=-]*$/;

/** The longest first line the kernel reads whole (BINPRM_BUF_SIZE, 256 bytes, less one). */
const MAX_SHEBANG = 255;

/** The Deno flags of the recorder; see docs/testing-plugins.md on recording for why all. */
const RECORDER_FLAGS = ["--no-config", "--no-lock", "--no-prompt", "--quiet", "--allow-all"];

/** The entries a recording directory may hold. */
const LAYOUT = new Set(["bin", "records", "running", "recorder.js"]);

/** What {@link prepareRecording} needs. */
export interface PrepareOptions {
  /** The recording's directory (relative to `cwd`); made when missing. */
  readonly out: string;
  /** The plugin directories, ":"-separated (relative entries taken from `cwd`). */
  readonly cniPath: string;
  /** The directory relative paths are taken from. */
  readonly cwd: string;
  /** The Deno executable the wrappers run. */
  readonly deno: string;
  /** The recorder's code (the bundle of `cli/_record/recorder.ts`). */
  readonly recorder: string;
  /** The user ID that must own an existing recording directory. */
  readonly uid: number | null;
}

/** A plugin a wrapper was made for. */
export interface Wrapped {
  readonly name: string;
  /** The real plugin. */
  readonly path: string;
}

/** What {@link prepareRecording} did. */
export interface Prepared {
  /** The recording's directory, absolute. */
  readonly dir: string;
  /** The directory of wrappers: the CNI_PATH to give the runtime. */
  readonly binDir: string;
  /** Where records go. */
  readonly recordsDir: string;
  /** The wrappers, by name. */
  readonly wrapped: readonly Wrapped[];
  /** What was left out and why, one line each. */
  readonly skipped: readonly string[];
}

/** A mistake in what was asked for, for exit status 2. */
export class RecordSetupError extends Error {
  /** @param message what is wrong */
  constructor(message: string) {
    super(message);
    this.name = "RecordSetupError";
  }
}

function quoteName(name: string): string {
  const quoted = JSON.stringify(name);
  return quoted.length > 80 ? `${quoted.slice(0, 80)}…` : quoted;
}

/** The text of one wrapper. */
export function wrapperText(
  deno: string,
  dir: string,
  plugin: Wrapped,
): string {
  const settings = {
    plugin: plugin.name,
    path: plugin.path,
    records: `${dir}/records`,
    running: `${dir}/running`,
  };
  return [
    `#!/usr/bin/env -S ${deno} run ${RECORDER_FLAGS.join(" ")} ${dir}/recorder.js`,
    "# Made by `deno task record`: runs the plugin named below through the recorder, which passes",
    "# everything through unchanged and writes one record per invocation to the records directory",
    "# named below. Records hold what the plugin was sent, secrets included.",
    JSON.stringify(settings),
    "",
  ].join("\n");
}

function checkPaths(dir: string, deno: string): void {
  for (const [what, path] of [["the recording directory", dir], ["Deno's path", deno]]) {
    if (!SAFE_PATH.test(path!)) {
      throw new RecordSetupError(
        `${what} ${quoteName(path!)} has characters a wrapper's first line cannot hold: ` +
          "use letters, digits and . _ / + , @ = -",
      );
    }
  }
  const first = wrapperText(deno, dir, { name: "x", path: "/" }).split("\n")[0]!;
  if (new TextEncoder().encode(first).length > MAX_SHEBANG) {
    throw new RecordSetupError(
      `the recording directory ${quoteName(dir)} is too long for a wrapper's first line ` +
        `(at most ${MAX_SHEBANG} bytes with Deno's path): choose a shorter one`,
    );
  }
}

async function realPath(path: string): Promise<string> {
  try {
    return await Deno.realPath(path);
  } catch {
    return path;
  }
}

/** Makes the recording's directory, or checks that an existing one is a recording's. */
async function prepareDir(dir: string, uid: number | null): Promise<void> {
  let existed = true;
  try {
    await Deno.lstat(dir);
  } catch (error) {
    if (!(error instanceof Deno.errors.NotFound)) throw error;
    existed = false;
  }
  await ensurePrivateDir(dir);
  if (!existed) return;
  const info = await checkRealDirectory(dir);
  if (uid !== null && info.uid !== uid) {
    throw new RecordSetupError(`${quoteName(dir)} belongs to another user (uid ${info.uid})`);
  }
  for await (const entry of Deno.readDir(dir)) {
    if (!LAYOUT.has(entry.name) && !entry.name.startsWith(".")) {
      throw new RecordSetupError(
        `${quoteName(dir)} is not a recording's directory (it holds ${quoteName(entry.name)}): ` +
          "give a new or empty directory",
      );
    }
  }
}

/** The plugins of the directories: the first regular, executable file of each name. */
async function findPlugins(dirs: readonly string[]): Promise<[Wrapped[], string[]]> {
  const found = new Map<string, Wrapped>();
  const skipped: string[] = [];
  for (const dir of dirs) {
    const names: string[] = [];
    try {
      for await (const entry of Deno.readDir(dir)) names.push(entry.name);
    } catch (error) {
      skipped.push(`${quoteName(dir)}: ${error instanceof Error ? error.message : error}`);
      continue;
    }
    for (const name of names.sort()) {
      if (name.startsWith(".") || found.has(name)) continue;
      const path = `${dir}/${name}`;
      if (!PLUGIN_NAME.test(name)) {
        skipped.push(`${quoteName(path)}: not a plugin name (letters, digits and . _ + -)`);
        continue;
      }
      let info: Deno.FileInfo;
      try {
        info = await Deno.stat(path);
      } catch (error) {
        skipped.push(`${quoteName(path)}: ${error instanceof Error ? error.message : error}`);
        continue;
      }
      if (!info.isFile) continue;
      if (info.mode !== null && (info.mode & 0o111) === 0) {
        skipped.push(`${quoteName(path)}: not executable`);
        continue;
      }
      found.set(name, { name, path });
    }
  }
  return [[...found.values()], skipped];
}

/**
 * Makes (or refreshes) a recording's directory: the recorder, and a wrapper for every plugin of
 * `cniPath`. Wrappers of plugins no longer there are removed; records already there are kept.
 *
 * @throws {RecordSetupError} for a path a wrapper cannot hold, a directory that is not a
 * recording's, a CNI_PATH that names the wrappers themselves or holds no plugin
 */
export async function prepareRecording(options: PrepareOptions): Promise<Prepared> {
  const dir = absPath(options.out, options.cwd);
  checkPaths(dir, options.deno);
  const binDir = `${dir}/bin`;
  const dirs = splitCniPath(options.cniPath).filter((d) => d !== "").map((d) =>
    absPath(d, options.cwd)
  );
  if (dirs.length === 0) throw new RecordSetupError("no plugin directory: set --cni-path");
  const wrappers = await realPath(binDir);
  for (const pluginDir of dirs) {
    if (pluginDir === binDir || await realPath(pluginDir) === wrappers) {
      throw new RecordSetupError(
        `${quoteName(pluginDir)} is the recording's own wrapper directory: ` +
          "give the directories of the real plugins",
      );
    }
  }
  const [plugins, skipped] = await findPlugins(dirs);
  if (plugins.length === 0) {
    throw new RecordSetupError(`no plugin found in ${dirs.map(quoteName).join(", ")}`);
  }
  await prepareDir(dir, options.uid);
  for (const sub of ["bin", "records", "running"]) await ensurePrivateDir(`${dir}/${sub}`);
  await writePrivateFile(`${dir}/recorder.js`, options.recorder);
  const names = new Set(plugins.map((p) => p.name));
  for await (const entry of Deno.readDir(binDir)) {
    if (!names.has(entry.name) && entry.isFile) await Deno.remove(`${binDir}/${entry.name}`);
  }
  for (const plugin of plugins) {
    await writePrivateFile(
      `${binDir}/${plugin.name}`,
      wrapperText(options.deno, dir, plugin),
      PRIVATE_DIR_MODE,
    );
  }
  return { dir, binDir, recordsDir: `${dir}/records`, wrapped: plugins, skipped };
}
