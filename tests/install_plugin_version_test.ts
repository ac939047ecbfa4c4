/**
 * The node installer's VERSION query (cli/_install/plugin_version.ts): a plugin file that is still
 * open for writing somewhere ("text file busy" for a moment after it was written) is asked again.
 */
import assert from "node:assert/strict";
import { supportedVersions } from "../cli/_install/plugin_version.ts";
import { InstallError } from "../cli/_install/errors.ts";

const PLUGIN = `#!/bin/sh
cat >/dev/null
echo '{"cniVersion":"1.0.0","supportedVersions":["0.4.0","1.0.0"]}'
`;

async function withPlugin(fn: (path: string) => Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "dcni-plugin-version-" });
  try {
    const path = `${dir}/plugin`;
    await Deno.writeTextFile(path, PLUGIN, { mode: 0o755 });
    await fn(path);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("the VERSION query waits while the plugin file is busy", async () => {
  await withPlugin(async (path) => {
    const writer = await Deno.open(path, { write: true });
    const released = new Promise<void>((resolve) =>
      setTimeout(() => {
        writer.close();
        resolve();
      }, 120)
    );
    try {
      assert.deepEqual(await supportedVersions(path, "1.0.0"), ["0.4.0", "1.0.0"]);
    } finally {
      await released;
    }
  });
});

Deno.test("the VERSION query gives up on a file that stays busy", async () => {
  await withPlugin(async (path) => {
    const writer = await Deno.open(path, { write: true });
    try {
      await assert.rejects(
        () => supportedVersions(path, "1.0.0"),
        (error: unknown) =>
          error instanceof InstallError && /Cannot run ".*plugin" to ask its versions/.test(
            error.message,
          ),
      );
    } finally {
      writer.close();
    }
  });
});
