/**
 * Plugin names: which plugins exist is read from plugins.json at run time, and every name is
 * checked before anything is touched, so a name can never reach outside the plugin directory.
 */
import { UsageError } from "./errors.ts";
import { quoteName } from "./quote.ts";

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

/** The longest file name Linux takes, in bytes. */
export const NAME_MAX = 255;

const encoder = new TextEncoder();

function isControl(character: string): boolean {
  const code = character.codePointAt(0)!;
  return code < 0x20 || code === 0x7f;
}

/**
 * Why `name` cannot be a plugin file name, or undefined when it can. The same check applies to
 * names on the command line and to names read back from the install record.
 */
export function badNameReason(name: string): string | undefined {
  if (name === "") return "it is empty";
  if (name.includes("/")) return `it contains "/"`;
  if (name.includes("..")) return `it contains ".."`;
  if (name.startsWith(".")) return `it starts with "."`;
  if (name.includes("\0")) return "it contains a NUL byte";
  if ([...name].some(isControl)) return "it contains a control character";
  if (encoder.encode(name).length > NAME_MAX) return `it is longer than ${NAME_MAX} bytes`;
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
    if (reason !== undefined) throw new UsageError(`Bad plugin name ${quoteName(name)}: ${reason}`);
    if (!known.includes(name)) {
      throw new UsageError(
        `Unknown plugin ${quoteName(name)}: "${manifestPath}" lists ${
          known.map((n) => `"${n}"`).join(", ")
        }`,
      );
    }
  }
}
