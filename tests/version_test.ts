import assert from "node:assert/strict";
import { CniError } from "../lib/errors.ts";
import {
  ALL_VERSIONS,
  compareVersions,
  CURRENT_VERSION,
  familyOf,
  familyVersions,
  isSpecVersion,
  LEGACY_VERSIONS,
  parseVersion,
  versionAtLeast,
  versionHasChaining,
  versionHasCheck,
  versionHasGcAndStatus,
  versionHasIpVersion,
  versionsStartingFrom,
} from "../lib/version.ts";

Deno.test("version constants match the reference presets", () => {
  assert.deepEqual(
    [...ALL_VERSIONS],
    ["0.1.0", "0.2.0", "0.3.0", "0.3.1", "0.4.0", "1.0.0", "1.1.0"],
  );
  assert.equal(CURRENT_VERSION, "1.1.0");
  assert.deepEqual(LEGACY_VERSIONS, ["0.1.0", "0.2.0"]);
});

Deno.test("parseVersion()", async (t) => {
  const accepted: [string, string, [number, number, number]][] = [
    ["reads the empty string as 0.1.0", "", [0, 1, 0]],
    ["reads a full version", "1.2.3", [1, 2, 3]],
    ["fills a missing minor and micro with 0", "2", [2, 0, 0]],
    ["fills a missing micro with 0", "0.4", [0, 4, 0]],
    ["reads a leading zero like Atoi", "01.02.03", [1, 2, 3]],
    ["reads a plus sign like Atoi", "+1.0.0", [1, 0, 0]],
    ["reads a minus sign like Atoi", "-1.0.0", [-1, 0, 0]],
    ["reads large parts", "10.20.300", [10, 20, 300]],
  ];
  for (const [name, input, expected] of accepted) {
    await t.step(`parseVersion() ${name}`, () => {
      assert.deepEqual(parseVersion(input), expected);
    });
  }
  const rejected: [string, string, string][] = [
    [
      "rejects a word",
      "abc",
      'failed to convert major version part "abc": strconv.Atoi: parsing "abc": invalid syntax',
    ],
    [
      "rejects four parts",
      "1.2.3.4",
      'invalid version "1.2.3.4": too many parts',
    ],
    [
      "rejects a pre-release suffix",
      "1.0.0-rc1",
      'failed to convert micro version part "0-rc1": strconv.Atoi: parsing "0-rc1": invalid syntax',
    ],
    [
      "rejects an empty minor part",
      "1.",
      'failed to convert minor version part "": strconv.Atoi: parsing "": invalid syntax',
    ],
    [
      "rejects a leading v",
      "v1.0.0",
      'failed to convert major version part "v1": strconv.Atoi: parsing "v1": invalid syntax',
    ],
    [
      "rejects spaces",
      "1. 0",
      'failed to convert minor version part " 0": strconv.Atoi: parsing " 0": invalid syntax',
    ],
    [
      "rejects a part beyond Go's int",
      "1.9223372036854775808",
      'failed to convert minor version part "9223372036854775808": ' +
      'strconv.Atoi: parsing "9223372036854775808": value out of range',
    ],
    [
      "quotes control characters like Go's %q",
      "1.\x01",
      'failed to convert minor version part "\\x01": strconv.Atoi: parsing "\\x01": invalid syntax',
    ],
  ];
  for (const [name, input, message] of rejected) {
    await t.step(`parseVersion() ${name}`, () => {
      assert.throws(() => parseVersion(input), (error) => {
        assert.ok(error instanceof CniError);
        assert.equal(error.code, 6);
        assert.equal(error.message, message);
        return true;
      });
    });
  }
  await t.step("parseVersion() accepts the largest int", () => {
    assert.deepEqual(parseVersion("9223372036854775807")[0], 9223372036854775807);
  });
});

Deno.test("compareVersions()", async (t) => {
  const rows: [string, string, number][] = [
    ["0.1.0", "0.1.0", 0],
    ["", "0.1.0", 0],
    ["1", "1.0.0", 0],
    ["0.3.1", "0.3.0", 1],
    ["0.4.0", "1.0.0", -1],
    ["1.10.0", "1.9.0", 1],
    ["2.0.0", "1.99.99", 1],
  ];
  for (const [a, b, sign] of rows) {
    await t.step(`compareVersions() orders "${a}" against "${b}" as ${sign}`, () => {
      assert.equal(Math.sign(compareVersions(parseVersion(a), parseVersion(b))), sign);
    });
  }
});

Deno.test("versionAtLeast()", async (t) => {
  await t.step("versionAtLeast() counts an equal version", () => {
    assert.equal(versionAtLeast("0.4.0", "0.4.0"), true);
  });
  await t.step("versionAtLeast() counts a missing version as 0.1.0", () => {
    assert.equal(versionAtLeast("", "0.1.0"), true);
    assert.equal(versionAtLeast("", "0.2.0"), false);
  });
  await t.step("versionAtLeast() throws code 6 for a bad version", () => {
    assert.throws(() => versionAtLeast("x", "0.1.0"), CniError);
  });
});

Deno.test("version predicates", async (t) => {
  // The reference's testutils: HasCHECK >= 0.4.0, HasSTATUS >= 1.1.0, HasChaining >= 0.3.0,
  // HasIPVersion for 0.3.x and 0.4.0.
  const expected: Record<string, [boolean, boolean, boolean, boolean]> = {
    //        check  gc/status chaining ipVersion
    "0.1.0": [false, false, false, false],
    "0.2.0": [false, false, false, false],
    "0.3.0": [false, false, true, true],
    "0.3.1": [false, false, true, true],
    "0.4.0": [true, false, true, true],
    "1.0.0": [true, false, true, false],
    "1.1.0": [true, true, true, false],
  };
  for (const version of ALL_VERSIONS) {
    await t.step(`version predicates classify ${version}`, () => {
      assert.deepEqual([
        versionHasCheck(version),
        versionHasGcAndStatus(version),
        versionHasChaining(version),
        versionHasIpVersion(version),
      ], expected[version]);
    });
  }
});

Deno.test("familyOf()", async (t) => {
  const rows: [string, string | undefined][] = [
    ["", "020"],
    ["0.1.0", "020"],
    ["0.2.0", "020"],
    ["0.3.0", "040"],
    ["0.3.1", "040"],
    ["0.4.0", "040"],
    ["1.0.0", "100"],
    ["1.1.0", "100"],
    ["0.5.0", undefined],
    ["1.0", undefined],
    ["1.2.0", undefined],
  ];
  for (const [version, family] of rows) {
    await t.step(`familyOf() puts "${version}" in ${family ?? "no family"}`, () => {
      assert.equal(familyOf(version), family);
    });
  }
  await t.step("familyVersions() lists each family as Go's error message does", () => {
    assert.deepEqual(familyVersions("020"), ["", "0.1.0", "0.2.0"]);
    assert.deepEqual(familyVersions("040"), ["0.3.0", "0.3.1", "0.4.0"]);
    assert.deepEqual(familyVersions("100"), ["1.0.0", "1.1.0"]);
  });
});

Deno.test("isSpecVersion()", async (t) => {
  for (const version of ALL_VERSIONS) {
    await t.step(`isSpecVersion() accepts ${version}`, () => {
      assert.equal(isSpecVersion(version), true);
    });
  }
  for (const version of ["", "1.0", "01.0.0", "1.2.0", "0.5.0"]) {
    await t.step(`isSpecVersion() rejects "${version}" (exact strings only)`, () => {
      assert.equal(isSpecVersion(version), false);
    });
  }
});

Deno.test("versionsStartingFrom()", async (t) => {
  for (const [i, version] of ALL_VERSIONS.entries()) {
    await t.step(`versionsStartingFrom() gives the tail from ${version}`, () => {
      assert.deepEqual(versionsStartingFrom(version), ALL_VERSIONS.slice(i));
    });
  }
});
