/** The two ways the installer fails: a bad command line, or a step that could not be done. */

/** A bad command line or library call: an unknown option, a bad plugin name, a bad entry. */
export class UsageError extends Error {
  override name = "UsageError";
}

/** A step that could not be done: a missing build, an unreadable configuration, a refusal. */
export class InstallError extends Error {
  override name = "InstallError";
}

/** The message of anything thrown. */
export function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
