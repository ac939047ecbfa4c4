/**
 * The noop plugin (examples/noop.ts, bin/deno-noop) driven by libcni 1.1.2 through tests/cnitool:
 * ADD returns the empty result in the conflist's version, and CHECK and DEL succeed, for every
 * result family that libcni 1.1.2 reads. The plugin touches no network state, so each test checks
 * that its namespace stays as it was made.
 */
import assert from "node:assert/strict";
import {
  Cleanup,
  cnitool,
  type CnitoolOptions,
  createNetns,
  deleteNetns,
  listLinks,
  makeTempDir,
  type Netns,
  requireE2e,
  writeConflist,
} from "./_netns.ts";
import { ensureProjectBin, loadExpected, PROJECT_CNI_PATH } from "./_deno_cni.ts";

const skip = requireE2e();
if (skip !== undefined) console.log(skip);

const EXPECTED_ADD = loadExpected("noop_libcni_add.json");

/** One version per result family, plus 0.4.0, the first with CHECK. */
const VERSIONS = ["0.2.0", "0.3.1", "0.4.0", "1.0.0"] as const;

/** libcni runs CHECK only for conflists of 0.4.0 and later (reference L6). */
function hasCheck(version: string): boolean {
  return version === "0.4.0" || version === "1.0.0";
}

/** A namespace, a conflist dir with a one-plugin noop network, and a libcni cache. */
async function setUp(
  cleanup: Cleanup,
  cniVersion: string,
): Promise<{ netns: Netns; network: string; options: CnitoolOptions }> {
  await ensureProjectBin();
  const dir = await makeTempDir(cleanup);
  const netconfPath = `${dir}/net.d`;
  await Deno.mkdir(netconfPath);
  const network = "dcni-noop";
  await writeConflist(netconfPath, { cniVersion, name: network, plugins: [{ type: "deno-noop" }] });
  const netns = await createNetns();
  cleanup.defer(() => deleteNetns(netns));
  return {
    netns,
    network,
    options: { cniPath: PROJECT_CNI_PATH, netconfPath, cacheDir: `${dir}/cache` },
  };
}

async function linkNames(netns: Netns): Promise<string[]> {
  return (await listLinks(netns)).map((l) => l.ifname);
}

for (const version of VERSIONS) {
  Deno.test({
    name: `noop through libcni, cniVersion ${version}`,
    ignore: skip !== undefined,
    async fn(t) {
      const cleanup = new Cleanup();
      try {
        const { netns, network, options } = await setUp(cleanup, version);
        const target = { network, netns };

        await t.step("ADD returns the empty result in the conflist's version", async () => {
          const add = await cnitool("add", target, options);
          assert.equal(add.code, 0, add.stderr);
          assert.deepEqual(add.result, EXPECTED_ADD[version]);
          assert.deepEqual(await linkNames(netns), ["lo"]);
        });

        if (hasCheck(version)) {
          await t.step("CHECK succeeds", async () => {
            const check = await cnitool("check", target, options);
            assert.equal(check.code, 0, check.stderr);
            assert.equal(check.stdout, "");
          });
        } else {
          await t.step("libcni refuses CHECK below 0.4.0", async () => {
            const check = await cnitool("check", target, options);
            assert.equal(check.code, 1);
            assert.equal(
              check.stderr,
              `configuration version "${version}" does not support the CHECK command\n`,
            );
          });
        }

        await t.step("DEL succeeds, and so does a second DEL", async () => {
          for (let i = 0; i < 2; i++) {
            const del = await cnitool("del", target, options);
            assert.equal(del.code, 0, del.stderr);
            assert.equal(del.stdout, "");
          }
          assert.deepEqual(await linkNames(netns), ["lo"]);
        });
      } finally {
        await cleanup.run();
      }
    },
  });
}

// A 1.1.0 network: libcni 1.1.2, and so podman 4.3, knows results up to 1.0.0
// only, so it runs the plugin and then cannot read its answer; DEL needs no result and works.
Deno.test({
  name: "noop through libcni 1.1.2, cniVersion 1.1.0: the runtime cannot read the result",
  ignore: skip !== undefined,
  async fn(t) {
    const cleanup = new Cleanup();
    try {
      const { netns, network, options } = await setUp(cleanup, "1.1.0");
      const target = { network, netns };

      await t.step("ADD fails in libcni after the plugin answered", async () => {
        const add = await cnitool("add", target, options);
        assert.equal(add.code, 1);
        assert.equal(add.stdout, "");
        assert.equal(
          add.stderr,
          'plugin type="deno-noop" failed (add): unsupported CNI result version "1.1.0"\n',
        );
      });

      await t.step("DEL succeeds", async () => {
        const del = await cnitool("del", target, options);
        assert.equal(del.code, 0, del.stderr);
      });
    } finally {
      await cleanup.run();
    }
  },
});
