import assert from "node:assert/strict";
import { CniError } from "../../lib/errors.ts";
import {
  validateAttachment,
  validateContainerId,
  validateInterfaceName,
  validateNetworkName,
} from "../../lib/runtime/validate.ts";

function failure(fn: () => void): [number, string, string] | undefined {
  try {
    fn();
    return undefined;
  } catch (error) {
    assert.ok(error instanceof CniError);
    return [error.code, error.message, error.details];
  }
}

Deno.test("validateContainerId() takes libcni's characters", async (t) => {
  const rows: [string, [number, string, string] | undefined][] = [
    ["c1", undefined],
    ["cnitool-0123456789abcdef0123", undefined],
    ["a_b.c-d", undefined],
    ["", [3, "missing containerID", ""]],
    ["-bad", [4, "invalid characters in containerID", "-bad"]],
    ["a/b", [4, "invalid characters in containerID", "a/b"]],
    ["é", [4, "invalid characters in containerID", "é"]],
  ];
  for (const [id, expected] of rows) {
    await t.step(
      JSON.stringify(id),
      () => assert.deepEqual(failure(() => validateContainerId(id)), expected),
    );
  }
});

Deno.test("validateNetworkName() takes libcni's characters, code 7", async (t) => {
  const rows: [string, [number, string, string] | undefined][] = [
    ["mynet", undefined],
    ["", [7, "missing network name:", ""]],
    ["a b", [7, "invalid characters found in network name", "a b"]],
    ["../x", [7, "invalid characters found in network name", "../x"]],
  ];
  for (const [name, expected] of rows) {
    await t.step(
      JSON.stringify(name),
      () => assert.deepEqual(failure(() => validateNetworkName(name)), expected),
    );
  }
});

Deno.test("validateInterfaceName() follows the spec's interface name rules", async (t) => {
  const tooLong: [number, string, string] = [
    4,
    "interface name is too long",
    "interface name should be less than 16 characters",
  ];
  const badChar: [number, string, string] = [
    4,
    "interface name contains / or : or whitespace characters",
    "",
  ];
  const rows: [string, [number, string, string] | undefined][] = [
    ["eth0", undefined],
    ["abcdefghijklmno", undefined],
    ["", [4, "interface name is empty", ""]],
    ["abcdefghijklmnop", tooLong],
    ["ééééééééé", tooLong],
    [".", [4, "interface name is . or ..", ""]],
    ["..", [4, "interface name is . or ..", ""]],
    ["a/b", badChar],
    ["a:b", badChar],
    ["a b", badChar],
    ["a\u0085b", badChar],
    ["a\u3000b", badChar],
    ["a\ufeffb", undefined],
  ];
  for (const [name, expected] of rows) {
    await t.step(
      JSON.stringify(name),
      () => assert.deepEqual(failure(() => validateInterfaceName(name)), expected),
    );
  }
});

Deno.test("validateAttachment() checks the container ID first, then the network, then the interface", () => {
  assert.deepEqual(
    failure(() => validateAttachment("a b", { containerId: "-x", ifName: "" })),
    [4, "invalid characters in containerID", "-x"],
  );
  assert.deepEqual(
    failure(() => validateAttachment("a b", { containerId: "x", ifName: "" })),
    [7, "invalid characters found in network name", "a b"],
  );
  assert.deepEqual(
    failure(() => validateAttachment("n", { containerId: "x", ifName: "" })),
    [4, "interface name is empty", ""],
  );
});
