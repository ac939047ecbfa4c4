/**
 * The plugin manifest, plugins.json: each plugin's entry file and the permissions that
 * `deno compile` bakes into it. The build, the launchers and the process tests all read the
 * permissions from here, so they cannot drift apart.
 */

/** One plugin of the manifest. */
export interface PluginEntry {
  /** The executable's name, as a network configuration's `type` names it. */
  name: string;
  /** The module that runs the plugin, relative to the project root. */
  entry: string;
  /** One line on what the plugin does. */
  about: string;
  /** Deno permission flags; never -A. */
  permissions: string[];
}

/** The project root. */
export const ROOT = new URL("..", import.meta.url).pathname.replace(/\/$/, "");

/** Flags every run of a plugin gets besides its permissions: no config file, no prompt. */
export const RUN_FLAGS = ["--no-config", "--no-lock", "--no-prompt", "--quiet"];

/** Reads plugins.json. */
export function readManifest(): PluginEntry[] {
  const manifest = JSON.parse(Deno.readTextFileSync(`${ROOT}/plugins.json`));
  return Object.entries(manifest).map(([name, value]) => {
    const entry = value as Partial<PluginEntry>;
    if (typeof entry.entry !== "string" || !Array.isArray(entry.permissions)) {
      throw new Error(`plugins.json: "${name}" needs "entry" and "permissions"`);
    }
    if (entry.permissions.some((p) => p === "-A" || p === "--allow-all")) {
      throw new Error(`plugins.json: "${name}" must name its permissions, not use -A`);
    }
    return { name, entry: entry.entry, about: entry.about ?? "", permissions: entry.permissions };
  });
}

/** One plugin by name. */
export function manifestEntry(name: string): PluginEntry {
  const entry = readManifest().find((p) => p.name === name);
  if (entry === undefined) throw new Error(`plugins.json has no plugin "${name}"`);
  return entry;
}

/** The directory of a plugin's bundle: its entry module and the chunks that module loads. */
export function bundleDir(name: string): string {
  return `${ROOT}/dist/${name}`;
}

/**
 * The entry module of the bundle that `deno compile` embeds (with the chunks beside it): the
 * exact code every other way of running uses too.
 */
export function bundlePath(name: string): string {
  return `${bundleDir(name)}/${name}.js`;
}

/** The `deno run` arguments that run a plugin's bundle as the compiled binary would run. */
export function runArgs(plugin: PluginEntry): string[] {
  return ["run", ...RUN_FLAGS, ...plugin.permissions, bundlePath(plugin.name)];
}
