/**
 * Files whose names are not UTF-8, which Deno cannot name: `sh` makes them from the bytes, each
 * written as an octal escape for `printf`, so the name never passes through a shell line.
 */

/** Writes `text` to the file named by the bytes `name` in `dir` (a plain path). */
export async function writeRawName(dir: string, name: Uint8Array, text: string): Promise<void> {
  const escaped = Array.from(name, (b) => `\\${b.toString(8).padStart(3, "0")}`).join("");
  const output = await new Deno.Command("sh", {
    args: ["-c", 'printf "%s" "$3" > "$1/$(printf "$2")"', "sh", dir, escaped, text],
    stdin: "null",
    stdout: "null",
    stderr: "piped",
  }).output();
  if (!output.success) {
    throw new Error(`cannot write a raw name: ${new TextDecoder().decode(output.stderr)}`);
  }
}

/** The bytes of `text` with the byte 0xff in place of each "\xff". */
export function rawName(text: string): Uint8Array {
  return Uint8Array.from(text, (c) => c.charCodeAt(0));
}
