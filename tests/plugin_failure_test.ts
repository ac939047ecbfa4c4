/**
 * lib/_plugin_failure.ts, exported as `pluginFailure` from lib/delegate.ts and
 * lib/runtime/mod.ts: a failed plugin run read as Go's invoke package reads it (spec "Section 2:
 * Execution Protocol"), for a runtime and for a delegating plugin alike.
 */
import assert from "node:assert/strict";
import { pluginFailure } from "../lib/delegate.ts";
import type { RunOutput } from "../lib/host.ts";
import { pluginFailure as runtimePluginFailure } from "../lib/runtime/mod.ts";
import { readFixture } from "../lib/testing.ts";

Deno.test("pluginFailure() turns a failed run into Go's error", async (t) => {
  const cases = readFixture<Record<string, { output: RunOutput; error: object }>>(
    new URL("testdata/delegate/failures.json", import.meta.url),
  );
  for (const [name, c] of Object.entries(cases)) {
    await t.step(`pluginFailure() with ${name}`, () => {
      assert.deepEqual(pluginFailure(c.output, 250).toJSON(), c.error);
    });
  }
});

Deno.test("pluginFailure() is the runtime's reading too", () => {
  assert.equal(runtimePluginFailure, pluginFailure);
});

Deno.test("pluginFailure() quotes at most 1 KiB of a plugin's output", async (t) => {
  const big = "garbage ".repeat(2 * 1024 * 1024 / 8);
  const rows: { name: string; output: RunOutput; message: RegExp }[] = [
    {
      name: "2 MB of garbage on stdout",
      output: { code: 1, stdout: big, stderr: "" },
      message: new RegExp(
        '^netplugin failed but error parsing its diagnostic message "(garbage ){128}" ' +
          "\\(2096128 more bytes cut\\): invalid character 'g' looking for beginning of value$",
      ),
    },
    {
      name: "2 MB on stderr and nothing on stdout",
      output: { code: 2, stdout: "", stderr: big },
      message: /^netplugin failed: "(garbage ){128}" \(2096128 more bytes cut\): exit status 2$/,
    },
    {
      name: "output the host dropped beyond its limit, counted as cut",
      output: { code: 1, stdout: "", stderr: "e".repeat(4096), droppedBytes: 1000 },
      message: /^netplugin failed: "e{1024}" \(4072 more bytes cut\): exit status 1$/,
    },
    {
      name: "short output the host cut, counted as cut",
      output: { code: 1, stdout: "", stderr: "e", droppedBytes: 7 },
      message: /^netplugin failed: "e" \(7 more bytes cut\): exit status 1$/,
    },
    {
      name: "a cut at a character boundary",
      output: { code: 1, stdout: "", stderr: "a" + "é".repeat(600) },
      message: /^netplugin failed: "aé{511}" \(178 more bytes cut\): exit status 1$/,
    },
  ];
  for (const row of rows) {
    await t.step(`pluginFailure() with ${row.name}`, () => {
      const error = pluginFailure(row.output, 250);
      assert.equal(error.code, 0);
      assert.match(error.message, row.message);
      assert.ok(error.message.length < 2048, `${error.message.length} characters`);
    });
  }
});
