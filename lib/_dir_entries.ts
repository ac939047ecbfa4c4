/**
 * Reading a directory whose entries may have names that are not UTF-8. Deno reports such a name
 * with U+FFFD in place of the bad bytes, a name that opens nothing (or, worse, another file), so
 * these entries are set apart instead of being used.
 *
 * @module
 */

/** A directory's entries, split into those that can be used by name and those that cannot. */
export interface DirListing {
  /** The entries whose names are exactly the names on disk. */
  readonly entries: Deno.DirEntry[];
  /** The names that are not valid UTF-8 on disk, as Deno reports them (with U+FFFD). */
  readonly unusable: string[];
}

/**
 * True when a reported name stands for bytes that are not UTF-8: it has U+FFFD and nothing of
 * that name exists (a name really spelled with U+FFFD is UTF-8, and exists).
 */
async function isLossyName(dir: string, name: string): Promise<boolean> {
  if (!name.includes("\uFFFD")) return false;
  try {
    await Deno.lstat(`${dir}/${name}`);
    return false;
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return true;
    throw error;
  }
}

/**
 * The entries of `dir`, with the names that are not UTF-8 on disk set apart in `unusable`.
 *
 * @param dir the directory
 * @throws {Error} what `Deno.readDir` throws (NotFound when `dir` is missing)
 */
export async function readDirEntries(dir: string): Promise<DirListing> {
  const entries: Deno.DirEntry[] = [];
  const unusable: string[] = [];
  for await (const entry of Deno.readDir(dir)) {
    if (await isLossyName(dir, entry.name)) unusable.push(entry.name);
    else entries.push(entry);
  }
  return { entries, unusable };
}
