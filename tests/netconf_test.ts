/**
 * Every example in netconf/ parses and is well formed, so the examples cannot go stale: network
 * lists (*.conflist) have a valid name, a cniVersion this project speaks and plugins each with a
 * type; single configurations (*.conf, *.json) have name, cniVersion and type. Entries for this
 * project's plugins that only read CNI_* variables are also run as DEL, with the configuration
 * libcni would send, through the real plugin process; entries for plugins that are not this
 * project's must name a reference plugin in /usr/lib/cni.
 */
import assert from "node:assert/strict";
import { isValidName } from "../lib/names.ts";
import { ALL_VERSIONS } from "../lib/version.ts";
import { readManifest, ROOT } from "../scripts/manifest.ts";
import { assertOutcome, runPlugin } from "./_process.ts";

const NETCONF_DIR = `${ROOT}/netconf`;
const REFERENCE_PLUGIN_DIR = "/usr/lib/cni";

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** One example file, parsed. */
interface Example {
  file: string;
  document: Record<string, unknown>;
  /** The plugin configurations: the list's plugins, or the file itself for a single one. */
  plugins: Record<string, unknown>[];
}

function listExamples(): string[] {
  return [...Deno.readDirSync(NETCONF_DIR)]
    .filter((entry) => entry.isFile && !entry.name.endsWith(".md"))
    .map((entry) => entry.name)
    .sort();
}

/** Parses an example and checks the keys a runtime needs, by the rules of libcni. */
function readExample(file: string): Example {
  const text = Deno.readTextFileSync(`${NETCONF_DIR}/${file}`);
  const document: unknown = JSON.parse(text);
  assert.ok(isRecord(document), "the file holds a JSON object");
  assert.equal(typeof document.name, "string", "name is a string");
  assert.ok(isValidName(document.name as string), `name ${document.name} is a valid network name`);
  assert.ok(
    (ALL_VERSIONS as readonly unknown[]).includes(document.cniVersion),
    `cniVersion ${JSON.stringify(document.cniVersion)} is a spec version`,
  );
  let plugins: unknown[];
  if (file.endsWith(".conflist")) {
    assert.ok(Array.isArray(document.plugins), "plugins is a list");
    assert.ok(document.plugins.length > 0, "plugins is not empty");
    plugins = document.plugins;
  } else {
    assert.ok(/\.(conf|json)$/.test(file), "an example is a .conflist, .conf or .json file");
    plugins = [document];
  }
  for (const [i, plugin] of plugins.entries()) {
    assert.ok(isRecord(plugin), `plugin ${i} is an object`);
    assert.ok(
      typeof plugin.type === "string" && plugin.type !== "",
      `plugin ${i} has a type`,
    );
    if (plugin.ipam !== undefined) {
      assert.ok(
        isRecord(plugin.ipam) && typeof plugin.ipam.type === "string" && plugin.ipam.type !== "",
        `plugin ${i} has an ipam with a type`,
      );
    }
  }
  return { file, document, plugins: plugins as Record<string, unknown>[] };
}

const manifest = readManifest();
const ours = new Set(manifest.map((plugin) => plugin.name));
/**
 * Our plugins that can only read CNI_* variables: a DEL of theirs cannot touch the machine, so
 * running one on an example is safe anywhere.
 */
const sideEffectFree = new Set(
  manifest
    .filter((plugin) => plugin.permissions.every((flag) => flag.startsWith("--allow-env=")))
    .map((plugin) => plugin.name),
);

Deno.test("netconf/: every example is well formed", async (t) => {
  const files = listExamples();
  for (const required of ["mysample.conflist", "noop.conflist"]) {
    assert.ok(files.includes(required), `netconf/${required} exists`);
  }
  for (const file of files) {
    await t.step(`netconf/${file} has a name, a cniVersion and plugins with a type`, () => {
      readExample(file);
    });
  }
});

Deno.test("netconf/: each entry for an env-only plugin of plugins.json passes DEL", async (t) => {
  for (const file of listExamples()) {
    const { document, plugins } = readExample(file);
    for (const [i, plugin] of plugins.entries()) {
      const type = plugin.type as string;
      if (!sideEffectFree.has(type)) continue;
      await t.step(`netconf/${file} plugin ${i} (${type}) passes DEL`, async () => {
        // What libcni sends: the plugin's object with the list's name and cniVersion.
        const request = { ...plugin, name: document.name, cniVersion: document.cniVersion };
        const run = await runPlugin(type, {
          env: {
            CNI_COMMAND: "DEL",
            CNI_CONTAINERID: "netconf-example",
            CNI_IFNAME: "eth0",
            CNI_PATH: "/opt/cni/bin",
          },
          stdin: JSON.stringify(request),
        });
        assertOutcome(run, { code: 0, stdout: null });
      });
    }
  }
});

const noReferencePlugins = (() => {
  try {
    return !Deno.statSync(REFERENCE_PLUGIN_DIR).isDirectory;
  } catch {
    return true;
  }
})();
if (noReferencePlugins) {
  console.log(
    `netconf reference types not checked: no ${REFERENCE_PLUGIN_DIR} ` +
      "(apt-get install containernetworking-plugins)",
  );
}

Deno.test({
  name: "netconf/: every other entry names a reference plugin in /usr/lib/cni",
  ignore: noReferencePlugins,
  fn: async (t) => {
    for (const file of listExamples()) {
      const { plugins } = readExample(file);
      const types = plugins.flatMap((plugin) => {
        const ipam = isRecord(plugin.ipam) ? [plugin.ipam.type as string] : [];
        return [plugin.type as string, ...ipam];
      }).filter((type) => !ours.has(type));
      for (const type of types) {
        await t.step(`netconf/${file} uses ${type}, which ${REFERENCE_PLUGIN_DIR} has`, () => {
          assert.ok(Deno.statSync(`${REFERENCE_PLUGIN_DIR}/${type}`).isFile);
        });
      }
    }
  },
});
