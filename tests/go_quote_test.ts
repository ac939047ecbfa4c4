import assert from "node:assert/strict";
import { goQuote, goQuoteCapped, goQuoteList, QUOTE_LIMIT_BYTES } from "../lib/_go_quote.ts";

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

Deno.test("goQuoteCapped()", async (t) => {
  const rows: [string, string, string][] = [
    ["quotes a short text like goQuote()", "no luck\n", '"no luck\\n"'],
    ["quotes exactly 1 KiB whole", "x".repeat(1024), `"${"x".repeat(1024)}"`],
    [
      "cuts after 1 KiB and says how much",
      "x".repeat(1030),
      `"${"x".repeat(1024)}" (6 more bytes cut)`,
    ],
    [
      "cuts on a character boundary",
      "x".repeat(1023) + "é" + "y",
      `"${"x".repeat(1023)}" (3 more bytes cut)`,
    ],
    [
      "counts bytes, not characters",
      "日".repeat(400),
      `"${"日".repeat(341)}" (177 more bytes cut)`,
    ],
    [
      "escapes what it keeps like %q",
      "\x01".repeat(2000),
      `"${"\\x01".repeat(1024)}" (976 more bytes cut)`,
    ],
  ];
  for (const [name, input, expected] of rows) {
    await t.step(`goQuoteCapped() ${name}`, () => {
      assert.equal(goQuoteCapped(input), expected);
    });
  }
  await t.step("goQuoteCapped() takes another limit", () => {
    assert.equal(goQuoteCapped("abcdef", 4), '"abcd" (2 more bytes cut)');
  });
  await t.step("goQuoteCapped() keeps a 20 MB text's quote near the limit", () => {
    const quoted = goQuoteCapped("z".repeat(20_000_000));
    assert.equal(quoted, `"${"z".repeat(QUOTE_LIMIT_BYTES)}" (19998976 more bytes cut)`);
  });
  await t.step("QUOTE_LIMIT_BYTES is 1 KiB", () => assert.equal(QUOTE_LIMIT_BYTES, 1024));
});
