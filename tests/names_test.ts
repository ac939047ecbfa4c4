/**
 * lib/names.ts: network names and container IDs (spec "Section 1: Network configuration format"
 * and "Section 2: Execution Protocol"), CNI_IFNAME as the runtime validates it, and interface
 * names as the kernel accepts them.
 */
import assert from "node:assert/strict";
import {
  interfaceNameProblem,
  isValidName,
  kernelInterfaceNameProblem,
  MAX_INTERFACE_NAME_BYTES,
} from "../lib/names.ts";

Deno.test("isValidName()", async (t) => {
  const valid = ["a", "0", "net-1", "a.b_c-d", "A9", "x..", "dummy", "a".repeat(300)];
  const invalid = ["", "-bad", ".a", "_a", "a/b", "a b", "a:b", "é", "a\n", "!!", "ä1", "a\u0000"];
  for (const name of valid) {
    await t.step(`isValidName() accepts ${JSON.stringify(name.slice(0, 20))}`, () => {
      assert.equal(isValidName(name), true);
    });
  }
  for (const name of invalid) {
    await t.step(`isValidName() rejects ${JSON.stringify(name)}`, () => {
      assert.equal(isValidName(name), false);
    });
  }
});

const TOO_LONG = {
  msg: "interface name is too long",
  details: "interface name should be less than 16 characters",
};
const DOTS = { msg: "interface name is . or .." };
const BAD = { msg: "interface name contains / or : or whitespace characters" };

Deno.test("interfaceNameProblem() applies the runtime's rules", async (t) => {
  const rows: [string, string, object | undefined][] = [
    ["accepts eth0", "eth0", undefined],
    ["accepts the empty name, whose need depends on the verb", "", undefined],
    ["accepts 15 bytes", "abcdefghijklmno", undefined],
    ["accepts 15 bytes of non-ASCII", "é".repeat(7) + "a", undefined],
    ["accepts a leading dot", ".eth", undefined],
    ["accepts a zero-width space, which Go does not count as white space", "a\u200bb", undefined],
    ["accepts a byte order mark", "a\ufeffb", undefined],
    ["accepts a NUL, which only the kernel refuses", "a\u0000b", undefined],
    ["refuses 16 bytes", "abcdefghijklmnop", TOO_LONG],
    ["refuses 16 bytes of non-ASCII", "é".repeat(8), TOO_LONG],
    ["checks the length before the characters", "a/".repeat(8), TOO_LONG],
    ['refuses "."', ".", DOTS],
    ['refuses ".."', "..", DOTS],
    ["refuses a slash", "a/b", BAD],
    ["refuses a colon", "eth0:1", BAD],
  ];
  for (const [name, input, expected] of rows) {
    await t.step(`interfaceNameProblem() ${name}`, () => {
      assert.deepEqual(interfaceNameProblem(input), expected);
    });
  }
  const spaces = [
    "\t",
    "\n",
    "\v",
    "\f",
    "\r",
    " ",
    "\u0085",
    "\u00a0",
    "\u1680",
    "\u2000",
    "\u2005",
    "\u200a",
    "\u2028",
    "\u2029",
    "\u202f",
    "\u205f",
    "\u3000",
  ];
  for (const space of spaces) {
    const code = space.codePointAt(0)!.toString(16).padStart(4, "0");
    await t.step(`interfaceNameProblem() refuses white space U+${code}`, () => {
      assert.deepEqual(interfaceNameProblem(`a${space}b`), BAD);
    });
  }
  const mixed: [string, string, object | undefined][] = [
    ["ASCII white space before a non-ASCII letter", "a\té", BAD],
    ["non-ASCII white space after a non-ASCII letter", "é\u3000", BAD],
    ["ASCII white space after a non-ASCII letter", "é b", BAD],
    ["non-ASCII letters and no white space", "éth0", undefined],
  ];
  for (const [name, input, expected] of mixed) {
    await t.step(`interfaceNameProblem() finds ${name}`, () => {
      assert.deepEqual(interfaceNameProblem(input), expected);
    });
  }
  await t.step("interfaceNameProblem() takes the byte length from its caller", () => {
    assert.equal(interfaceNameProblem("\ufffd".repeat(15), 15), undefined);
    assert.deepEqual(interfaceNameProblem("\ufffd".repeat(5), 16), TOO_LONG);
  });
  await t.step("MAX_INTERFACE_NAME_BYTES is IFNAMSIZ less the NUL", () => {
    assert.equal(MAX_INTERFACE_NAME_BYTES, 15);
  });
});

Deno.test("kernelInterfaceNameProblem() applies the kernel's and the runtime's rules", async (t) => {
  const rows: [string, string, string | undefined][] = [
    ["accepts eth0", "eth0", undefined],
    ["accepts 15 bytes", "abcdefghijklmno", undefined],
    ["accepts é, whose bytes are no white space", "é", undefined],
    ["refuses the empty name", "", "is empty"],
    ["refuses 16 bytes", "abcdefghijklmnop", "is longer than 15 bytes"],
    ["refuses 16 bytes of non-ASCII", "é".repeat(8), "is longer than 15 bytes"],
    ['refuses "."', ".", 'is "." or ".."'],
    ['refuses ".."', "..", 'is "." or ".."'],
    ["refuses a NUL", "eth\u00000", "contains a NUL character"],
    ["refuses a slash", "a/b", "contains / or : or white space"],
    ["refuses a colon", "a:b", "contains / or : or white space"],
    ["refuses a newline", "lo\nlink del", "contains / or : or white space"],
    [
      "refuses a second command of 16 bytes for its length",
      "lo\nlink del eth0",
      "is longer than 15 bytes",
    ],
    ["refuses a vertical tab", "a\vb", "contains / or : or white space"],
    ["refuses an ideographic space", "a\u3000b", "contains / or : or white space"],
    [
      "refuses à, whose UTF-8 holds the byte 0xa0 the kernel counts as white space",
      "à",
      "contains / or : or white space",
    ],
  ];
  for (const [name, input, expected] of rows) {
    await t.step(`kernelInterfaceNameProblem() ${name}`, () => {
      assert.equal(kernelInterfaceNameProblem(input), expected);
    });
  }
  await t.step("the runtime's rules accept à where the kernel's refuse it", () => {
    assert.equal(interfaceNameProblem("à"), undefined);
  });
});
