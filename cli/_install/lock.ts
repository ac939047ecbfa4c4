/**
 * Mutual exclusion between installers working on the same directory at once: an exclusive
 * `flock` on the directory itself. No lock file is left behind, and the kernel drops the lock
 * when the process dies, so a crash never leaves a stale lock.
 */

/** Runs `fn` holding an exclusive lock on `dir`, waiting for any other holder first. */
export async function withDirLock<T>(dir: string, fn: () => Promise<T>): Promise<T> {
  const handle = await Deno.open(dir, { read: true });
  try {
    await handle.lock(true);
    return await fn();
  } finally {
    handle.close();
  }
}
