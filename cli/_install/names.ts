/**
 * Plugin names: which plugins exist is read from plugins.json at run time, and every name is
 * checked before anything is touched, so a name can never reach outside the plugin directory.
 */
import { UsageError } from "./errors.ts";

/** The names of the plugins in a plugins.json file, in its order. */
export function readPluginNames(manifestPath: string): string[] {
  let manifest: unknown;
  try {
    manifest = JSON.parse(Deno.readTextFileSync(manifestPath));
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new UsageError(`Cannot read the plugin list "${manifestPath}": ${reason}`);
  }
  if (typeof manifest !== "object" || manifest === null || Array.isArray(manifest)) {
    throw new UsageError(`The plugin list "${manifestPath}" is not a JSON object`);
  }
  return Object.keys(manifest);
}

/** Why `name` cannot be a plugin file name, or undefined when it can. */
export function badNameReason(name: string): string | undefined {
  if (name === "") return "it is empty";
  if (name.includes("/")) return `it contains "/"`;
  if (name.includes("..")) return `it contains ".."`;
  if (name.startsWith(".")) return `it starts with "."`;
  if (name.includes("\0")) return "it contains a NUL byte";
  return undefined;
}

/** Throws a {@link UsageError} unless every name is a safe file name listed in `known`. */
export function checkPluginNames(
  names: readonly string[],
  known: readonly string[],
  manifestPath: string,
): void {
  for (const name of names) {
    const reason = badNameReason(name);
    if (reason !== undefined) throw new UsageError(`Bad plugin name "${name}": ${reason}`);
    if (!known.includes(name)) {
      throw new UsageError(
        `Unknown plugin "${name}": "${manifestPath}" lists ${
          known.map((n) => `"${n}"`).join(", ")
        }`,
      );
    }
  }
}
