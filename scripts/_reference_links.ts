/**
 * The plugins the shipped networks (netconf/) use that are not the project's own, such as the
 * reference `bridge` and `host-local` of the walkthrough's `mysample`: `make bin` links each into
 * bin/, so that `CNI_PATH=./bin` alone runs every network of the checkout.
 */

/** Where installed reference plugins are looked for, in order. */
export const REFERENCE_DIRS = ["/usr/lib/cni", "/opt/cni/bin"];

/** The Debian package that ships the reference plugins. */
export const REFERENCE_PACKAGE = "containernetworking-plugins";

function typesOf(value: unknown, found: Set<string>): void {
  if (typeof value !== "object" || value === null) return;
  if (Array.isArray(value)) {
    for (const item of value) typesOf(item, found);
    return;
  }
  const object = value as Record<string, unknown>;
  if (typeof object.type === "string") found.add(object.type);
  for (const key of ["plugins", "ipam"]) typesOf(object[key], found);
}

/**
 * The plugin types a network configuration names: each plugin's `type` and its `ipam.type`.
 *
 * @param document a parsed `.conf` or `.conflist`
 */
export function pluginTypes(document: unknown): string[] {
  const found = new Set<string>();
  typesOf(document, found);
  return [...found].sort();
}

/** What linking one plugin came to. */
export type LinkOutcome =
  | { kind: "linked"; name: string; target: string }
  | { kind: "missing"; name: string };

/**
 * Links every plugin the networks in `netconfDir` use, and that `own` does not build, into
 * `binDir`, from the first of {@link REFERENCE_DIRS} that has it. An existing link is replaced;
 * a regular file is left alone.
 *
 * @param netconfDir the directory of `.conf`/`.conflist` files
 * @param binDir where the links go
 * @param own the names the project builds itself
 * @param dirs where to look for the plugins
 */
export function linkReferencePlugins(
  netconfDir: string,
  binDir: string,
  own: readonly string[],
  dirs: readonly string[] = REFERENCE_DIRS,
): LinkOutcome[] {
  const wanted = new Set<string>();
  for (const entry of Deno.readDirSync(netconfDir)) {
    if (!/\.(conf|conflist|json)$/.test(entry.name)) continue;
    const document = JSON.parse(Deno.readTextFileSync(`${netconfDir}/${entry.name}`));
    for (const type of pluginTypes(document)) if (!own.includes(type)) wanted.add(type);
  }
  const outcomes: LinkOutcome[] = [];
  Deno.mkdirSync(binDir, { recursive: true });
  for (const name of [...wanted].sort()) {
    if (name.includes("/") || name === "" || name.startsWith(".")) continue;
    const target = dirs.map((dir) => `${dir}/${name}`).find(isFile);
    if (target === undefined) {
      outcomes.push({ kind: "missing", name });
      continue;
    }
    const link = `${binDir}/${name}`;
    let existing: Deno.FileInfo | undefined;
    try {
      existing = Deno.lstatSync(link);
    } catch {
      existing = undefined;
    }
    if (existing !== undefined && !existing.isSymlink) continue;
    if (existing !== undefined) Deno.removeSync(link);
    Deno.symlinkSync(target, link);
    outcomes.push({ kind: "linked", name, target });
  }
  return outcomes;
}

function isFile(path: string): boolean {
  try {
    return Deno.statSync(path).isFile;
  } catch {
    return false;
  }
}
