/**
 * lib/_env_bytes.ts: reading a variable's bytes back from the message of Deno's InvalidData error,
 * which quotes the value in Rust's debug form. The messages below are the form Deno 2 prints; the
 * round trip through a real process is in tests/host_test.ts.
 */
import assert from "node:assert/strict";
import { envBytesFromError } from "../lib/_env_bytes.ts";

const PREFIX = "environment variable was not valid unicode: ";

/** The message for a quoted value, as Deno writes it. */
function message(quoted: string): string {
  return `${PREFIX}"${quoted}"`;
}

/** UTF-8 bytes of `text` followed by `raw` bytes, in order of the parts given. */
function bytes(...parts: (string | number)[]): number[] {
  return parts.flatMap((part) =>
    typeof part === "number" ? [part] : [...new TextEncoder().encode(part)]
  );
}

Deno.test("envBytesFromError() reads the value's bytes back", async (t) => {
  const rows: [string, string, number[]][] = [
    ["a byte that is not UTF-8", "eth\\xFF", bytes("eth", 0xff)],
    ["lower-case hex", "\\xfe\\xab", [0xfe, 0xab]],
    ["several bad bytes", "\\xFE\\xAB", [0xfe, 0xab]],
    ["a newline, CR, tab and NUL", "a\\n\\r\\t\\0", bytes("a\n\r\t\u0000")],
    ["quotes and a backslash", "\\\"\\'\\\\", bytes("\"'\\")],
    ["a single quote left as it is", "it's", bytes("it's")],
    ["control characters as \\u{..}", "\\u{7f}\\u{1b}\\u{85}", bytes("\u007f\u001b\u0085")],
    ["format characters as \\u{..}", "\\u{2028}\\u{feff}", bytes("\u2028\ufeff")],
    ["an astral character as \\u{..}", "\\u{e0001}", bytes("\u{e0001}")],
    ["printable text beside a bad byte", "é€🙂\\xFF", bytes("é€🙂", 0xff)],
    [
      "everything Deno printed for one value",
      "a\\xFF\\n\\\\\\\"'\\t\\r\\u{7f}\\u{1b}é€🙂",
      bytes("a", 0xff, "\n\\\"'\t\r\u007f\u001bé€🙂"),
    ],
    ["an empty value", "", []],
  ];
  for (const [name, quoted, expected] of rows) {
    await t.step(`envBytesFromError() reads ${name}`, () => {
      const got = envBytesFromError(message(quoted));
      assert.ok(got instanceof Uint8Array);
      assert.deepEqual([...got], expected);
    });
  }
});

Deno.test("envBytesFromError() refuses a message of another form", async (t) => {
  const rows: [string, string][] = [
    ["another message", "Requires env access"],
    ["the prefix without the quotes", PREFIX],
    ["a missing closing quote", `${PREFIX}"abc`],
    ["a \\x with one hex digit", message("\\xF")],
    ["a \\x with no hex digits", message("\\xZZ")],
    ["an unknown escape", message("\\q")],
    ["a lone backslash at the end", message("a\\")],
    ["an unterminated \\u{", message("\\u{41")],
    ["\\u without braces", message("\\u0041")],
    ["\\u{} with no digits", message("\\u{}")],
    ["\\u{} beyond Unicode", message("\\u{110000}")],
    ["\\u{} with letters that are not hex", message("\\u{zz}")],
  ];
  for (const [name, text] of rows) {
    await t.step(`envBytesFromError() gives undefined for ${name}`, () => {
      assert.equal(envBytesFromError(text), undefined);
    });
  }
});
