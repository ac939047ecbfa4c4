/**
 * lib/_go_text.ts: bytes read as Go reads a string. Each byte that does not start a valid UTF-8
 * sequence is one U+FFFD, where TextDecoder replaces a truncated sequence as a whole. Expected
 * values are what Go's encoding/json makes of the bytes.
 */
import assert from "node:assert/strict";
import { goText, utf8Text } from "../lib/_go_text.ts";

function hex(text: string): Uint8Array {
  return Uint8Array.from(text.match(/../g) ?? [], (h) => parseInt(h, 16));
}

const R = "\ufffd";

Deno.test("goText() replaces each bad byte with one U+FFFD, as Go does", async (t) => {
  const rows: [string, string, string, string][] = [
    // name, bytes, Go's text, TextDecoder's text
    ["a truncated 3-byte sequence", "e282", R + R, R],
    ["a truncated 4-byte sequence", "f09f99", R + R + R, R],
    ["a truncated sequence between letters", "61e28262", `a${R}${R}b`, `a${R}b`],
    ["a truncated sequence at the end", "61f09f", `a${R}${R}`, `a${R}`],
    ["an overlong 2-byte sequence", "c0af", R + R, R + R],
    ["an overlong 3-byte sequence", "e080", R + R, R + R],
    ["a surrogate", "eda080", R + R + R, R + R + R],
    ["a code point beyond U+10FFFF", "f4908080", R + R + R + R, R + R + R + R],
    ["a lone continuation byte", "80", R, R],
    ["a lone lead byte", "c3", R, R],
    ["0xff between letters", "61ff62", `a${R}b`, `a${R}b`],
    ["valid text after a bad byte", "ffe282ac", `${R}€`, `${R}€`],
  ];
  for (const [name, bytes, go, decoder] of rows) {
    await t.step(`goText() reads ${name}`, () => {
      assert.equal(goText(hex(bytes)), go);
    });
    await t.step(`goText() differs from TextDecoder only where Go does for ${name}`, () => {
      assert.equal(new TextDecoder().decode(hex(bytes)), decoder);
    });
  }
});

Deno.test("goText() keeps valid UTF-8 as it is", async (t) => {
  const rows: [string, string, string][] = [
    ["ASCII", "6e6574", "net"],
    ["2-, 3- and 4-byte characters", "c3a9e282acf09f9982", "é€🙂"],
    ["a leading byte order mark", "efbbbf7b7d", "\ufeff{}"],
    ["nothing", "", ""],
  ];
  for (const [name, bytes, text] of rows) {
    await t.step(`goText() keeps ${name}`, () => {
      assert.equal(goText(hex(bytes)), text);
    });
  }
});

Deno.test("utf8Text() reads UTF-8 only", async (t) => {
  const rows: [string, string, string | undefined][] = [
    ["text", "c3a9e282ac", "é€"],
    ["a leading byte order mark, kept", "efbbbf7b7d", "\ufeff{}"],
    ["nothing", "", ""],
    ["a bad byte as undefined", "61ff62", undefined],
    ["a truncated sequence as undefined", "e282", undefined],
  ];
  for (const [name, bytes, text] of rows) {
    await t.step(`utf8Text() reads ${name}`, () => {
      assert.equal(utf8Text(hex(bytes)), text);
    });
  }
});
