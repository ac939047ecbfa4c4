/**
 * Names read from disk (a record's entries, a directory's file names) quoted for a message: in
 * double quotes, everything but printable ASCII escaped as `\uXXXX`, and cut short when long, so
 * a name can neither forge an output line nor flood it.
 */

/** How many characters of a name a message shows. */
export const SHOWN_CHARACTERS = 64;

/** `name` in double quotes, escaped, and cut to {@link SHOWN_CHARACTERS} with a note. */
export function quoteName(name: string, max = SHOWN_CHARACTERS): string {
  const characters = [...name];
  const shown = characters.slice(0, max).join("");
  const escaped = JSON.stringify(shown).replace(
    /[^\x20-\x7e]/gu,
    (c) =>
      Array.from(
        { length: c.length },
        (_, i) => `\\u${c.charCodeAt(i).toString(16).padStart(4, "0")}`,
      ).join(""),
  );
  const rest = characters.length - max;
  return rest > 0 ? `${escaped}... (${characters.length} characters)` : escaped;
}
