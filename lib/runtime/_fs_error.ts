/**
 * File system errors worded as Go words them (`open /x: no such file or directory`), so a
 * message names the operation and the path once, in the form operators know from Go runtimes.
 *
 * @module
 */

/** `<op> <path>: <reason>`, the reason taken from Deno's message without its "(os error N)". */
export function fsErrorText(op: string, path: string, error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  const reason = message.replace(/ \(os error \d+\).*$/s, "");
  return `${op} ${path}: ${reason.charAt(0).toLowerCase()}${reason.slice(1)}`;
}

/** True for a missing file or directory. */
export function isNotFound(error: unknown): boolean {
  return error instanceof Deno.errors.NotFound;
}
