/**
 * Builds the plugins of plugins.json.
 *
 *   bundle [names]   dist/<name>/: each plugin bundled into its entry module <name>.js and the
 *                    lazy module it loads on use, lazy.js (split at dynamic imports)
 *   compile [names]  bin/<name>: `deno compile` of the bundle with the plugin's permissions
 *   bin [names]      bin/<name>: the compiled binary when compile works, else a launcher script;
 *                    and links in bin/ to the installed reference plugins the networks of
 *                    netconf/ use (bridge, host-local...), so that CNI_PATH=./bin runs them all
 *
 * `deno compile` needs the denort runtime: DENORT_BIN names a local copy; without it, Deno
 * downloads one, which fails offline with a one-line message. BIN_DIR moves bin/ elsewhere.
 */
import {
  bundleDir,
  bundlePath,
  manifestEntry,
  type PluginEntry,
  readManifest,
  ROOT,
  runArgs,
} from "./manifest.ts";
import {
  calledDeclarations,
  eagerFunctions,
  eagerInnerFunctions,
  eagerModuleInits,
} from "./_eager.ts";
import { functionRanges } from "./_function_ranges.ts";
import { type SplitBundle, splitLazyModules, topLevelAwait } from "./_lazy_split.ts";
import { calledFunctions, trainingRuns } from "./_training.ts";
import { linkReferencePlugins, REFERENCE_DIRS, REFERENCE_PACKAGE } from "./_reference_links.ts";

const deno = Deno.execPath();
const binDir = Deno.env.get("BIN_DIR") || `${ROOT}/bin`;

async function run(args: string[], env: Record<string, string> = {}) {
  const output = await new Deno.Command(deno, { args, env, stdout: "piped", stderr: "piped" })
    .output();
  const text = new TextDecoder().decode(output.stderr) + new TextDecoder().decode(output.stdout);
  return { ok: output.success, text };
}

// deno-lint-ignore no-control-regex
const stripColors = (text: string) => text.replace(/\x1b\[[0-9;]*m/g, "");

/** How many builds of a plugin stay on disk: a plugin running while a new one lands keeps its. */
const KEPT_BUILDS = 2;

/**
 * Points dist/<name> at a new build directory: a symlink replaced by rename, so a plugin started
 * at any moment finds a whole bundle. The builds before the last {@link KEPT_BUILDS} are removed;
 * the one just replaced stays, for a plugin still running from it that loads a chunk late.
 */
function publish(name: string, build: string): void {
  const link = bundleDir(name);
  try {
    if (!Deno.lstatSync(link).isSymlink) Deno.removeSync(link, { recursive: true });
  } catch (error) {
    if (!(error instanceof Deno.errors.NotFound)) throw error;
  }
  const next = `${link}.${crypto.randomUUID()}.link`;
  Deno.symlinkSync(build.slice(build.lastIndexOf("/") + 1), next);
  Deno.renameSync(next, link);
  const builds = [...Deno.readDirSync(`${ROOT}/dist`)]
    .filter((entry) => entry.isDirectory && entry.name.startsWith(`.${name}.build-`))
    .map((entry) => ({
      path: `${ROOT}/dist/${entry.name}`,
      time: Deno.statSync(`${ROOT}/dist/${entry.name}`).mtime?.getTime() ?? 0,
    }))
    .sort((a, b) => b.time - a.time);
  for (const old of builds.slice(KEPT_BUILDS)) {
    if (old.path !== build) Deno.removeSync(old.path, { recursive: true });
  }
}

/**
 * Where the functions of a plugin's entry module that its training runs call end, or undefined
 * when it has no training runs (scripts/_training.ts).
 */
async function trainingProfile(
  plugin: PluginEntry,
  entry: string,
): Promise<Set<number> | undefined> {
  const dir = Deno.makeTempDirSync({ prefix: `deno-cni-training-${plugin.name}-` });
  try {
    const runs = trainingRuns(plugin.name, `${dir}/data`);
    return runs === undefined ? undefined : await calledFunctions(entry, plugin, runs, dir);
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
}

/** Writes the modules of a split bundle into `build` and returns their paths. */
function writeModules(build: string, entry: string, split: SplitBundle): string[] {
  Deno.writeTextFileSync(entry, split.entry);
  if (split.lazy === undefined) return [entry];
  Deno.writeTextFileSync(`${build}/${LAZY_MODULE}`, split.lazy);
  return [entry, `${build}/${LAZY_MODULE}`];
}

/** The lazy module of a bundle: the code a plugin loads only on use (scripts/_lazy_split.ts). */
const LAZY_MODULE = "lazy.js";

/**
 * Bundles a plugin into dist/<name>/: the entry module `<name>.js`, with everything a plugin may
 * need at start-up, and `lazy.js`, with the code it loads only on use (the netlink and exec
 * backends of the namespace toolkit): one module to load at start-up, not a chunk per set of
 * shared modules (scripts/_lazy_split.ts). Every function of both is compiled with its module, so
 * that the code cache holds it (scripts/_eager.ts).
 */
async function bundle(plugin: PluginEntry): Promise<void> {
  Deno.mkdirSync(`${ROOT}/dist`, { recursive: true });
  const build = `${ROOT}/dist/.${plugin.name}.build-${Date.now()}-${crypto.randomUUID()}`;
  try {
    Deno.mkdirSync(build);
    const entry = `${build}/${plugin.name}.js`;
    const { ok, text } = await run([
      "bundle",
      "--quiet",
      `--config=${ROOT}/deno.json`,
      "--output",
      entry,
      `${ROOT}/${plugin.entry}`,
    ]);
    if (!ok) throw new Error(`bundling ${plugin.name} failed:\n${stripColors(text)}`);
    const code = Deno.readTextFileSync(entry);
    let split = splitLazyModules(code, `${plugin.name}.js`, LAZY_MODULE);
    let ranges = await functionRanges(writeModules(build, entry, split));
    if (split.lazy !== undefined && topLevelAwait(split.entry, ranges.get(entry)!) !== undefined) {
      // An entry that awaits at its top level would never let its lazy module load: one module.
      Deno.removeSync(`${build}/${LAZY_MODULE}`);
      split = { entry: code, lazy: undefined };
      ranges = await functionRanges(writeModules(build, entry, split));
    }
    const modules = new Map([[entry, split.entry]]);
    if (split.lazy !== undefined) modules.set(`${build}/${LAZY_MODULE}`, split.lazy);
    const called = await trainingProfile(plugin, entry);
    for (const [path, code] of modules) {
      const all = ranges.get(path)!;
      // The entry's functions that no training run called stay lazy; the lazy module's are
      // compiled when it is loaded, by a plugin about to use them.
      const hot = path === entry && called !== undefined;
      const eager = hot ? all.filter((range) => called.has(range.end)) : all;
      const names = hot ? calledDeclarations(code, all, called) : undefined;
      Deno.writeTextFileSync(
        path,
        eagerFunctions(
          eagerModuleInits(eagerInnerFunctions(code, eager)),
          names === undefined ? undefined : (name) => names.has(name),
        ),
      );
    }
    // Loads what was written, so that a rewrite that broke the syntax fails the build.
    await functionRanges([...modules.keys()]);
    publish(plugin.name, build);
  } catch (error) {
    try {
      Deno.removeSync(build, { recursive: true });
    } catch { /* never written */ }
    throw error;
  }
}

function isFile(path: string): boolean {
  try {
    return Deno.statSync(path).isFile;
  } catch {
    return false;
  }
}

/** Why compiling failed, in one line. */
function compileFailure(text: string): string {
  const plain = stripColors(text);
  if (Deno.env.get("DENORT_BIN")) {
    return `deno compile failed with DENORT_BIN=${Deno.env.get("DENORT_BIN")}: ` +
      (plain.split("\n").find((l) => l.includes("error")) ?? plain.split("\n")[0]);
  }
  if (/denort|dl\.deno\.land|error sending request|dns error/i.test(plain)) {
    return "deno compile needs the denort runtime, which cannot be downloaded here: " +
      "set DENORT_BIN to a denort binary of the same Deno version";
  }
  return `deno compile failed: ${plain.split("\n").find((l) => l.trim() !== "") ?? "no output"}`;
}

/** A compiled binary answers VERSION with JSON; the deno CLI used as DENORT_BIN does not. */
async function answersVersion(path: string): Promise<boolean> {
  try {
    const output = await new Deno.Command(path, {
      clearEnv: true,
      env: { CNI_COMMAND: "VERSION" },
      stdin: "null",
      stdout: "piped",
      stderr: "null",
      signal: AbortSignal.timeout(10_000),
    }).output();
    return output.success && "supportedVersions" in
        JSON.parse(new TextDecoder().decode(output.stdout));
  } catch {
    return false;
  }
}

async function compile(plugin: PluginEntry): Promise<string | undefined> {
  await bundle(plugin);
  const denort = Deno.env.get("DENORT_BIN");
  if (denort && !isFile(denort)) return `DENORT_BIN=${denort} is not a file`;
  Deno.mkdirSync(binDir, { recursive: true });
  const target = `${binDir}/${plugin.name}`;
  const temporary = `${target}.compiling`;
  const { ok, text } = await run([
    "compile",
    "--quiet",
    "--no-config",
    "--no-lock",
    ...plugin.permissions,
    "-o",
    temporary,
    bundlePath(plugin.name),
  ]);
  if (!ok) {
    try {
      Deno.removeSync(temporary);
    } catch { /* compile left nothing behind */ }
    return compileFailure(text);
  }
  if (!(await answersVersion(temporary))) {
    Deno.removeSync(temporary);
    return `the compiled ${plugin.name} does not run: DENORT_BIN must be a denort runtime, ` +
      "not the deno CLI";
  }
  Deno.renameSync(temporary, target);
  return undefined;
}

function shellQuote(word: string): string {
  return `'${word.replaceAll("'", `'\\''`)}'`;
}

/** A launcher that runs the bundle with the compiled binary's permissions. */
function writeLauncher(plugin: PluginEntry): void {
  const target = `${binDir}/${plugin.name}`;
  const command = [deno, ...runArgs(plugin)].map(shellQuote).join(" ");
  const script = `#!/bin/sh
# ${plugin.name}: runs the bundle that \`deno compile\` would embed, with the same permissions.
export DENO_NO_UPDATE_CHECK=1
export DENO_DIR="\${DENO_DIR:-${ROOT}/.tools/deno-dir}"
exec ${command} "$@"
`;
  Deno.mkdirSync(binDir, { recursive: true });
  Deno.writeTextFileSync(`${target}.tmp`, script, { mode: 0o755 });
  Deno.renameSync(`${target}.tmp`, target);
}

async function main(args: string[]): Promise<number> {
  const [action, ...names] = args;
  let plugins: PluginEntry[];
  try {
    plugins = names.length ? names.map(manifestEntry) : readManifest();
  } catch (error) {
    console.error(`build: ${error instanceof Error ? error.message : error}`);
    return 2;
  }
  let status = 0;
  for (const plugin of plugins) {
    try {
      if (action === "bundle") {
        await bundle(plugin);
      } else if (action === "compile") {
        const failure = await compile(plugin);
        if (failure !== undefined) {
          console.error(`build: ${failure}`);
          return 1;
        }
        console.error(`build: bin/${plugin.name} compiled`);
      } else if (action === "bin") {
        const failure = await compile(plugin);
        if (failure === undefined) {
          console.error(`bin: bin/${plugin.name} is the compiled binary`);
        } else {
          writeLauncher(plugin);
          console.error(
            `bin: bin/${plugin.name} is a launcher of dist/${plugin.name}/${plugin.name}.js (${failure})`,
          );
        }
      } else {
        console.error("usage: build.ts bundle|compile|bin [plugin...]");
        return 2;
      }
    } catch (error) {
      console.error(`build: ${error instanceof Error ? error.message : error}`);
      status = 1;
    }
  }
  if (action === "bin" && names.length === 0) status = Math.max(status, linkReferences());
  return status;
}

/** Links the reference plugins the shipped networks use; says what is missing and where to get it. */
function linkReferences(): number {
  const own = readManifest().map((plugin) => plugin.name);
  const outcomes = linkReferencePlugins(`${ROOT}/netconf`, binDir, own);
  const missing = outcomes.filter((o) => o.kind === "missing").map((o) => o.name);
  for (const outcome of outcomes) {
    if (outcome.kind === "linked") console.error(`bin: bin/${outcome.name} -> ${outcome.target}`);
  }
  if (missing.length === 0) return 0;
  console.error(
    `bin: the networks of netconf/ also use ${missing.join(", ")}, not found in ` +
      `${REFERENCE_DIRS.join(" or ")}: install the Debian package ${REFERENCE_PACKAGE} ` +
      `(apt-get install ${REFERENCE_PACKAGE}) and run make bin again`,
  );
  return 0;
}

Deno.exit(await main(Deno.args));
