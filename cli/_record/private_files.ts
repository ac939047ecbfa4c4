/**
 * Files of a recording, which can hold secrets from network configurations: directories 0700 and
 * files 0600 of the user recording (less what the umask takes away, never more), never written
 * through a symlink. A file is written under a
 * fresh temporary name made with O_EXCL (which never follows a symlink) in a directory checked
 * with lstat, and renamed into place, so a reader never sees half of it.
 *
 * @module
 */

/** The mode of every directory of a recording. */
export const PRIVATE_DIR_MODE = 0o700;

/** The mode of every record and extracted file. */
export const PRIVATE_FILE_MODE = 0o600;

function randomSuffix(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(6));
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

function dirname(path: string): string {
  const slash = path.lastIndexOf("/");
  return slash <= 0 ? (slash === 0 ? "/" : ".") : path.slice(0, slash);
}

function basename(path: string): string {
  return path.slice(path.lastIndexOf("/") + 1);
}

/**
 * Fails unless `path` is a directory itself (not a symlink to one).
 *
 * @throws {Error} naming the path and what it is
 */
export async function checkRealDirectory(path: string): Promise<Deno.FileInfo> {
  const info = await Deno.lstat(path);
  if (info.isSymlink) throw new Error(`${JSON.stringify(path)} is a symlink, not a directory`);
  if (!info.isDirectory) throw new Error(`${JSON.stringify(path)} is not a directory`);
  return info;
}

/**
 * Makes the directory `path` with mode 0700, or checks an existing one: a directory itself,
 * with no permission for group or others.
 *
 * @throws {Error} when it is something else, or open to others
 */
export async function ensurePrivateDir(path: string): Promise<void> {
  try {
    await Deno.mkdir(path, { mode: PRIVATE_DIR_MODE });
    return;
  } catch (error) {
    if (!(error instanceof Deno.errors.AlreadyExists)) throw error;
  }
  const info = await checkRealDirectory(path);
  if (info.mode !== null && (info.mode & 0o077) !== 0) {
    throw new Error(
      `${JSON.stringify(path)} is open to others (mode ${(info.mode & 0o777).toString(8)}): ` +
        "a recording must be readable by its owner only",
    );
  }
}

/**
 * Writes `data` as the file `path` with `mode` (0600 unless told), through a temporary file made
 * with O_EXCL in the same directory and a rename. The directory must be a real directory.
 *
 * @param path where the file goes; an existing file there is replaced
 * @param data its contents
 * @param mode its permission bits
 */
export async function writePrivateFile(
  path: string,
  data: string | Uint8Array,
  mode = PRIVATE_FILE_MODE,
): Promise<void> {
  const dir = dirname(path);
  await checkRealDirectory(dir);
  const temporary = `${dir}/.${basename(path)}.${randomSuffix()}.tmp`;
  const file = await Deno.open(temporary, { write: true, createNew: true, mode });
  try {
    try {
      const bytes = typeof data === "string" ? new TextEncoder().encode(data) : data;
      for (let rest = bytes; rest.length > 0;) rest = rest.subarray(await file.write(rest));
    } finally {
      file.close();
    }
    await Deno.rename(temporary, path);
  } catch (error) {
    await Deno.remove(temporary).catch(() => {});
    throw error;
  }
}

/**
 * Writes `data` as a new file `path` (mode 0600) with O_EXCL: an existing file or symlink there
 * is an error.
 *
 * @throws {Deno.errors.AlreadyExists} when something is at `path`
 */
export async function createPrivateFile(path: string, data: string): Promise<void> {
  const file = await Deno.open(path, { write: true, createNew: true, mode: PRIVATE_FILE_MODE });
  try {
    const bytes = new TextEncoder().encode(data);
    for (let rest = bytes; rest.length > 0;) rest = rest.subarray(await file.write(rest));
  } finally {
    file.close();
  }
}
