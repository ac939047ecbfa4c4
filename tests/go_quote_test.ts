import assert from "node:assert/strict";
import { goQuote, goQuoteList } from "../lib/_go_quote.ts";

Deno.test("goQuote()", async (t) => {
  // Expectations are Go's fmt.Sprintf("%q", s).
  const rows: [string, string, string][] = [
    ["leaves plain ASCII alone", "0.4.0", '"0.4.0"'],
    ["quotes the empty string", "", '""'],
    ["escapes quotes and backslashes", 'a"b\\c', '"a\\"b\\\\c"'],
    ["uses Go's short escapes", "\x07\b\f\n\r\t\v", '"\\a\\b\\f\\n\\r\\t\\v"'],
    ["writes other control characters as \\x", "\x00\x01\x1f\x7f", '"\\x00\\x01\\x1f\\x7f"'],
    ["keeps printable non-ASCII characters", "é日本🙂", '"é日本🙂"'],
    [
      "escapes non-printable BMP characters as \\u",
      "\u00a0\u00ad\u2028\ufeff",
      '"\\u00a0\\u00ad\\u2028\\ufeff"',
    ],
    ["escapes non-printable astral characters as \\U", "\u{e0001}", '"\\U000e0001"'],
    ["reads a lone surrogate as U+FFFD", "a\ud800b", '"a\ufffdb"'],
    ["keeps HTML characters (only JSON output escapes them)", "<&>", '"<&>"'],
  ];
  for (const [name, input, expected] of rows) {
    await t.step(`goQuote() ${name}`, () => {
      assert.equal(goQuote(input), expected);
    });
  }
});

Deno.test("goQuoteList()", async (t) => {
  await t.step("goQuoteList() prints a []string like %q", () => {
    assert.equal(goQuoteList(["A=1", "B=2"]), '["A=1" "B=2"]');
  });
  await t.step("goQuoteList() prints an empty list as []", () => {
    assert.equal(goQuoteList([]), "[]");
  });
});
