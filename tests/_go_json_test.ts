import assert from "node:assert/strict";
import { goJsonSyntaxError } from "../lib/_go_json.ts";

/** [what the row shows, input, Go's message or undefined for valid JSON] */
const cases: [string, string, string | undefined][] = [
  // Valid documents.
  ["accepts an object", '{"a": 1, "b": [true, false, null]}', undefined],
  ["accepts an empty object and array", " [ {} , [] ] ", undefined],
  ["accepts nested values", '{"a":{"b":[[{"c":[]}]]}}', undefined],
  ["accepts numbers", "[0, -0.5e+10, 12.25E-3, 7e9, -0]", undefined],
  [
    "accepts string escapes",
    '"\\" \\\\ \\/ \\b \\f \\n \\r \\t \\u00e9 \\uD83D\\uDE00"',
    undefined,
  ],
  ["accepts unicode text", '{"名前": "é 😀"}', undefined],
  ["accepts a top-level scalar with whitespace", "\t\r\n 42 \n", undefined],

  // The end of the input comes too soon.
  ["reports empty input", "", "unexpected end of JSON input"],
  ["reports whitespace only", " \n\t", "unexpected end of JSON input"],
  ["reports a truncated object", '{"a":', "unexpected end of JSON input"],
  ["reports a truncated key", '{"a', "unexpected end of JSON input"],
  ["reports a truncated array", "[1, 2", "unexpected end of JSON input"],
  ["reports a truncated string", '"abc', "unexpected end of JSON input"],

  // Go ends the input with a space, so a cut number, literal or escape is blamed on ' '.
  ["reports a truncated literal", "tru", "invalid character ' ' in literal true (expecting 'e')"],
  ["reports a lone minus", "-", "invalid character ' ' in numeric literal"],
  [
    "reports a trailing decimal point",
    "1.",
    "invalid character ' ' after decimal point in numeric literal",
  ],
  ["reports a truncated escape", '"\\', "invalid character ' ' in string escape code"],
  [
    "reports a truncated hex escape",
    '"\\u00',
    "invalid character ' ' in \\u hexadecimal character escape",
  ],
  ["reports a truncated exponent", "1e+", "invalid character ' ' in exponent of numeric literal"],

  // Where a value should start.
  ["reports a bad first character", "x", "invalid character 'x' looking for beginning of value"],
  ["reports a bad array element", "[1, }", "invalid character '}' looking for beginning of value"],
  [
    "reports a trailing comma in an array",
    "[1,]",
    "invalid character ']' looking for beginning of value",
  ],
  ["reports a single quote", "'a'", "invalid character '\\'' looking for beginning of value"],
  [
    "reports a control character",
    "\x00",
    "invalid character '\\x00' looking for beginning of value",
  ],
  ["reports DEL", "\x7f", "invalid character '\\x7f' looking for beginning of value"],
  [
    "reports a non-ASCII character by its first byte",
    "é",
    "invalid character 'Ã' looking for beginning of value",
  ],
  [
    "reports an emoji by its first byte",
    "😀",
    "invalid character 'ð' looking for beginning of value",
  ],
  [
    "reports a leading BOM",
    '\ufeff{"a":1}',
    "invalid character 'ï' looking for beginning of value",
  ],
  [
    "reports a bad value at any depth",
    '{"a":[{"b":x}]}',
    "invalid character 'x' looking for beginning of value",
  ],

  // After the top-level value.
  ["reports text after the value", "{} x", "invalid character 'x' after top-level value"],
  ["reports an extra closing brace", "{}}", "invalid character '}' after top-level value"],
  ["reports a leading zero", "01", "invalid character '1' after top-level value"],
  ["reports a second value", '"a" "b"', "invalid character '\"' after top-level value"],

  // Literals.
  ["reports a bad null", "notjson", "invalid character 'o' in literal null (expecting 'u')"],
  ["reports a bad true", "trUe", "invalid character 'U' in literal true (expecting 'u')"],
  ["reports a bad false", "[fals3]", "invalid character '3' in literal false (expecting 'e')"],

  // Objects and arrays.
  [
    "reports a non-string key",
    "{1: 2}",
    "invalid character '1' looking for beginning of object key string",
  ],
  [
    "reports a trailing comma in an object",
    '{"a":1,}',
    "invalid character '}' looking for beginning of object key string",
  ],
  ["reports a missing colon", '{"a" 1}', "invalid character '1' after object key"],
  [
    "reports a missing comma in an object",
    '{"a":1 "b":2}',
    "invalid character '\"' after object key:value pair",
  ],
  ["reports a missing comma in an array", "[1 2]", "invalid character '2' after array element"],
  ["reports a mismatched bracket", "[1}", "invalid character '}' after array element"],

  // Strings.
  ["reports a newline in a string", '"a\nb"', "invalid character '\\n' in string literal"],
  ["reports a tab in a string", '"a\tb"', "invalid character '\\t' in string literal"],
  ["reports a bad escape", '"\\x"', "invalid character 'x' in string escape code"],
  [
    "reports a bad hex escape",
    '"\\u12g4"',
    "invalid character 'g' in \\u hexadecimal character escape",
  ],

  // Numbers.
  ["reports a minus without digits", "-x", "invalid character 'x' in numeric literal"],
  [
    "reports a decimal point without digits",
    "1.x",
    "invalid character 'x' after decimal point in numeric literal",
  ],
  [
    "reports an exponent without digits",
    "1ex",
    "invalid character 'x' in exponent of numeric literal",
  ],
  ["reports a number followed by a letter", "[1x]", "invalid character 'x' after array element"],

  // Go's nesting limit of 10000.
  ["accepts nesting at the depth limit", "[".repeat(10000) + "]".repeat(10000), undefined],
  [
    "reports nesting past the depth limit",
    "[".repeat(10001),
    "invalid character '[' exceeded max depth",
  ],
];

Deno.test("goJsonSyntaxError()", async (t) => {
  for (const [name, input, expected] of cases) {
    await t.step(`goJsonSyntaxError() ${name}`, () => {
      assert.equal(goJsonSyntaxError(input), expected);
    });
  }
});

/** [what the row shows, input bytes, Go's message or undefined for valid JSON] */
const byteCases: [string, number[], string | undefined][] = [
  ["accepts bytes that are not UTF-8 inside a string", [0x22, 0xff, 0xc3, 0x22], undefined],
  [
    "names a lone high byte as its Latin-1 character",
    [0xff],
    "invalid character 'ÿ' looking for beginning of value",
  ],
  [
    "escapes a C1 control byte",
    [0x5b, 0x85],
    "invalid character '\\u0085' looking for beginning of value",
  ],
  [
    "escapes a soft hyphen byte",
    [0xad],
    "invalid character '\\u00ad' looking for beginning of value",
  ],
  [
    "names a byte-order mark by its first byte",
    [0xef, 0xbb, 0xbf, 0x7b, 0x7d],
    "invalid character 'ï' looking for beginning of value",
  ],
  [
    "names a byte after the value",
    [0x7b, 0x7d, 0x80],
    "invalid character '\\u0080' after top-level value",
  ],
];

Deno.test("goJsonSyntaxError() of bytes scans them as they are", async (t) => {
  for (const [name, input, expected] of byteCases) {
    await t.step(`goJsonSyntaxError() ${name}`, () => {
      assert.equal(goJsonSyntaxError(new Uint8Array(input)), expected);
    });
  }
});
