import assert from "node:assert/strict";
import { DecodeError } from "../lib/_decode.ts";
import { decodeResult, emptyResult, resultFamily } from "../lib/result.ts";
import type { AnyResult } from "../lib/types.ts";
import { ALL_VERSIONS } from "../lib/version.ts";

interface DecodeCase {
  version: string;
  input: unknown;
  expected?: unknown;
  error?: string;
}

const decodeCases: Record<string, DecodeCase> = JSON.parse(
  await Deno.readTextFile(new URL("./testdata/result/decode.json", import.meta.url)),
);

Deno.test("decodeResult()", async (t) => {
  for (const [name, row] of Object.entries(decodeCases)) {
    await t.step(`decodeResult() ${name}`, () => {
      if (row.error === undefined) {
        assert.deepEqual(decodeResult(row.version, row.input), row.expected);
      } else {
        assert.throws(() => decodeResult(row.version, row.input), (error) => {
          assert.ok(error instanceof DecodeError);
          assert.equal(error.message, row.error);
          return true;
        });
      }
    });
  }
});

Deno.test("decodeResult() requires the result's version in the decoder's family", async (t) => {
  // Go's %v of each family's supportedVersions, as its NewResult error prints them.
  const supported: Record<string, string> = {
    "0.1.0": "[ 0.1.0 0.2.0]",
    "0.2.0": "[ 0.1.0 0.2.0]",
    "0.3.0": "[0.3.0 0.3.1 0.4.0]",
    "0.3.1": "[0.3.0 0.3.1 0.4.0]",
    "0.4.0": "[0.3.0 0.3.1 0.4.0]",
    "1.0.0": "[1.0.0 1.1.0]",
    "1.1.0": "[1.0.0 1.1.0]",
  };
  for (const decoder of ALL_VERSIONS) {
    for (const version of ["", ...ALL_VERSIONS, "0.5.0"]) {
      const accepted = decoder.startsWith("0.1") || decoder.startsWith("0.2")
        ? ["", "0.1.0", "0.2.0"].includes(version)
        : supported[decoder] === supported[version];
      await t.step(
        `decodeResult() with the ${decoder} decoder ${
          accepted ? "accepts" : "rejects"
        } cniVersion "${version}"`,
        () => {
          if (accepted) {
            const result = decodeResult(decoder, { cniVersion: version });
            assert.equal(result.cniVersion, version === "" ? "0.1.0" : version);
          } else {
            assert.throws(
              () => decodeResult(decoder, { cniVersion: version }),
              new DecodeError(
                `result type supports ${
                  supported[decoder]
                } but unmarshalled CNIVersion is "${version}"`,
              ),
            );
          }
        },
      );
    }
  }
  await t.step("decodeResult() treats a missing cniVersion as the empty string", () => {
    assert.throws(
      () => decodeResult("1.0.0", { ips: [] }),
      new DecodeError('result type supports [1.0.0 1.1.0] but unmarshalled CNIVersion is ""'),
    );
  });
});

Deno.test("decodeResult() does not modify its input", () => {
  const input = { cniVersion: "1.0.0", ips: [{ address: "2001:DB8::5/64" }], routes: [] };
  const copy = structuredClone(input);
  decodeResult("1.0.0", input);
  assert.deepEqual(input, copy);
});

Deno.test("emptyResult()", async (t) => {
  for (const version of ALL_VERSIONS) {
    const expected = version.startsWith("1.")
      ? { cniVersion: version }
      : { cniVersion: version, dns: {} };
    await t.step(`emptyResult() builds an empty ${version} result`, () => {
      assert.deepEqual(emptyResult(version), expected);
    });
  }
  await t.step('emptyResult() reads "" as 0.1.0', () => {
    assert.deepEqual(emptyResult(""), { cniVersion: "0.1.0", dns: {} });
  });
  await t.step("emptyResult() rejects an unknown version", () => {
    assert.throws(
      () => emptyResult("9.9.9"),
      new DecodeError('unsupported CNI result version "9.9.9"'),
    );
  });
});

Deno.test("resultFamily()", async (t) => {
  const rows: [string, AnyResult, string][] = [
    ["reads 0.1.0 as 020", { cniVersion: "0.1.0", dns: {} }, "020"],
    ["reads 0.3.1 as 040", { cniVersion: "0.3.1", dns: {} }, "040"],
    ["reads 1.1.0 as 100", { cniVersion: "1.1.0" }, "100"],
    [
      "reads an unversioned result with ip4 as 020",
      { cniVersion: "", ip4: { ip: "10.0.0.2/24" }, dns: {} },
      "020",
    ],
    [
      "reads an unversioned result with versioned IPs as 040",
      { cniVersion: "", ips: [{ version: "4", address: "10.0.0.2/24" }], dns: {} },
      "040",
    ],
    [
      "reads an unversioned result with plain IPs as 100",
      { cniVersion: "", ips: [{ address: "10.0.0.2/24" }] },
      "100",
    ],
    ["reads an unversioned result without IPs as 100", { cniVersion: "" }, "100"],
  ];
  for (const [name, result, family] of rows) {
    await t.step(`resultFamily() ${name}`, () => {
      assert.equal(resultFamily(result), family);
    });
  }
  await t.step("resultFamily() rejects an unknown version", () => {
    assert.throws(
      () => resultFamily({ cniVersion: "0.5.0" }),
      new DecodeError('unsupported CNI result version "0.5.0"'),
    );
  });
});
