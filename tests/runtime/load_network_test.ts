import assert from "node:assert/strict";
import {
  configFiles,
  loadNetworkConfigList,
  NoConfigsFoundError,
  NotFoundError,
} from "../../lib/runtime/load_network.ts";
import { rawName, writeRawName } from "./_raw_names.ts";

async function withDir(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "dcni-netconf-" });
  try {
    await fn(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

function list(name: string, types: string[], extra: Record<string, unknown> = {}): string {
  return JSON.stringify({
    cniVersion: "1.0.0",
    name,
    ...extra,
    plugins: types.map((type) => ({ type })),
  });
}

Deno.test("loadNetworkConfigList() takes the first .conflist by file name", async () => {
  await withDir(async (dir) => {
    await Deno.writeTextFile(`${dir}/20-b.conflist`, list("net", ["second"]));
    await Deno.writeTextFile(`${dir}/10-a.conflist`, list("net", ["first"]));
    await Deno.writeTextFile(`${dir}/05-other.conflist`, list("other", ["x"]));
    const found = await loadNetworkConfigList(dir, "net");
    assert.deepEqual(found.plugins.map((p) => p.type), ["first"]);
    assert.equal(new TextDecoder().decode(found.bytes), list("net", ["first"]));
  });
});

Deno.test("loadNetworkConfigList() prefers lists to single configurations", async () => {
  await withDir(async (dir) => {
    await Deno.writeTextFile(`${dir}/00.conf`, '{"name":"net","type":"single"}');
    await Deno.writeTextFile(`${dir}/99.conflist`, list("net", ["listed"]));
    assert.deepEqual((await loadNetworkConfigList(dir, "net")).plugins.map((p) => p.type), [
      "listed",
    ]);
  });
});

Deno.test("loadNetworkConfigList() promotes a .conf or .json file to a one-plugin list", async () => {
  await withDir(async (dir) => {
    await Deno.writeTextFile(`${dir}/a.conf`, '{"cniVersion":"0.3.1","name":"one","type":"x"}');
    await Deno.writeTextFile(`${dir}/b.json`, '{"cniVersion":"0.4.0","name":"two","type":"y"}');
    await Deno.writeTextFile(`${dir}/c.txt`, "not a configuration");
    const one = await loadNetworkConfigList(dir, "one");
    assert.deepEqual([one.cniVersion, one.plugins.map((p) => p.type)], ["0.3.1", ["x"]]);
    const two = await loadNetworkConfigList(dir, "two");
    assert.deepEqual([two.cniVersion, two.plugins.map((p) => p.type)], ["0.4.0", ["y"]]);
  });
});

Deno.test("loadNetworkConfigList() fails on any file that does not parse, whatever its network", async () => {
  await withDir(async (dir) => {
    await Deno.writeTextFile(`${dir}/a.conflist`, '{"name":"broken","plugins":[]}');
    await Deno.writeTextFile(`${dir}/b.conflist`, list("net", ["x"]));
    await assert.rejects(() => loadNetworkConfigList(dir, "net"), {
      message: "error parsing configuration list: no plugins in list",
    });
  });
});

Deno.test("loadNetworkConfigList() fails on a FIFO among the files instead of waiting on it", async () => {
  await withDir(async (dir) => {
    const made = await new Deno.Command("mkfifo", { args: [`${dir}/a.conflist`] }).output();
    assert.ok(made.success, "mkfifo");
    await Deno.writeTextFile(`${dir}/b.conflist`, list("net", ["x"]));
    await assert.rejects(() => loadNetworkConfigList(dir, "net"), {
      message: `error reading ${dir}/a.conflist: open ${dir}/a.conflist: not a regular file ` +
        "(a FIFO)",
    });
  });
});

Deno.test("loadNetworkConfigList() adds the plugins of <dir>/<name>/*.conf (spec 1.1.0)", async (t) => {
  await withDir(async (dir) => {
    await Deno.mkdir(`${dir}/net`);
    await Deno.writeTextFile(`${dir}/net/20-b.conf`, '{"type":"dir-b"}');
    await Deno.writeTextFile(`${dir}/net/10-a.conf`, '{"type":"dir-a"}');
    await Deno.writeTextFile(`${dir}/net/30-c.json`, '{"type":"not-taken"}');
    await t.step("after the inline plugins", async () => {
      await Deno.writeTextFile(`${dir}/net.conflist`, list("net", ["inline"]));
      const found = await loadNetworkConfigList(dir, "net");
      assert.deepEqual(found.plugins.map((p) => p.type), ["inline", "dir-a", "dir-b"]);
    });
    await t.step("as the only plugins when the list has no plugins key", async () => {
      await Deno.writeTextFile(`${dir}/net.conflist`, '{"cniVersion":"1.1.0","name":"net"}');
      const found = await loadNetworkConfigList(dir, "net");
      assert.deepEqual(found.plugins.map((p) => p.type), ["dir-a", "dir-b"]);
    });
    await t.step("not with loadOnlyInlinedPlugins", async () => {
      await Deno.writeTextFile(
        `${dir}/net.conflist`,
        list("net", ["inline"], { loadOnlyInlinedPlugins: true }),
      );
      const found = await loadNetworkConfigList(dir, "net");
      assert.deepEqual(found.plugins.map((p) => p.type), ["inline"]);
    });
    await t.step("no plugins at all is an error", async () => {
      await Deno.remove(`${dir}/net`, { recursive: true });
      await Deno.writeTextFile(`${dir}/net.conflist`, '{"cniVersion":"1.1.0","name":"net"}');
      await assert.rejects(() => loadNetworkConfigList(dir, "net"), {
        message: "no plugin configs found",
      });
    });
  });
});

Deno.test("loadNetworkConfigList() says what it did not find", async (t) => {
  await withDir(async (dir) => {
    await t.step("a missing directory has no configurations", async () => {
      await assert.rejects(() => loadNetworkConfigList(`${dir}/none`, "net"), (error: unknown) => {
        assert.ok(error instanceof NoConfigsFoundError);
        assert.equal(error.message, `no net configurations found in ${dir}/none`);
        return true;
      });
    });
    await t.step("lists but no such network", async () => {
      await Deno.writeTextFile(`${dir}/a.conflist`, list("other", ["x"]));
      await assert.rejects(() => loadNetworkConfigList(dir, "net"), (error: unknown) => {
        assert.ok(error instanceof NotFoundError);
        assert.equal(error.message, `no net configuration with name "net" in ${dir}`);
        return true;
      });
    });
    await t.step("single configurations but no such network", async () => {
      await Deno.writeTextFile(`${dir}/b.conf`, '{"name":"other2","type":"x"}');
      await assert.rejects(() => loadNetworkConfigList(dir, "net"), NotFoundError);
    });
  });
});

Deno.test("configFiles() lists files by name, not directories, with the given extensions", async () => {
  await withDir(async (dir) => {
    await Deno.mkdir(`${dir}/sub.conflist`);
    await Deno.writeTextFile(`${dir}/b.conflist`, "");
    await Deno.writeTextFile(`${dir}/a.conflist`, "");
    await Deno.writeTextFile(`${dir}/c.conf`, "");
    await Deno.writeTextFile(`${dir}/.conflist`, "");
    assert.deepEqual(await configFiles(dir, [".conflist"]), [
      `${dir}/.conflist`,
      `${dir}/a.conflist`,
      `${dir}/b.conflist`,
    ]);
    assert.deepEqual(await configFiles(`${dir}/missing`, [".conf"]), []);
    await assert.rejects(() => configFiles(`${dir}/c.conf`, [".conf"]), {
      message: `open ${dir}/c.conf: not a directory`,
    });
  });
});

Deno.test("loadNetworkConfigList() leaves out a file whose name is not UTF-8, with a warning", async (t) => {
  await withDir(async (dir) => {
    // Go opens it by its bytes; here no string names it. It holds another network, and the ones
    // asked for load all the same.
    await writeRawName(dir, rawName("05-\xff.conflist"), list("other", ["x"]));
    await writeRawName(dir, rawName("05-\xff.conf"), '{"name":"other","type":"x"}');
    await writeRawName(dir, rawName("\xff.txt"), "not a configuration");
    await Deno.writeTextFile(`${dir}/10-a.conflist`, list("net", ["first"]));
    await Deno.writeTextFile(`${dir}/20-b.conf`, '{"name":"single","type":"one"}');
    await Deno.mkdir(`${dir}/net`);
    await writeRawName(`${dir}/net`, rawName("\xff.conf"), '{"type":"z"}');
    await Deno.writeTextFile(`${dir}/net/a.conf`, '{"type":"second"}');
    const warnings: string[] = [];
    const warn = (message: string) => void warnings.push(message);
    await t.step("a list, with the plugins of its directory", async () => {
      const found = await loadNetworkConfigList(dir, "net", { warn });
      assert.deepEqual(found.plugins.map((p) => p.type), ["first", "second"]);
      assert.deepEqual(warnings, [
        `ignoring "${dir}/05-\ufffd.conflist": its name is not valid UTF-8`,
        `ignoring "${dir}/net/\ufffd.conf": its name is not valid UTF-8`,
      ]);
    });
    await t.step("a single configuration", async () => {
      warnings.length = 0;
      const found = await loadNetworkConfigList(dir, "single", { warn });
      assert.deepEqual(found.plugins.map((p) => p.type), ["one"]);
      assert.deepEqual(warnings, [
        `ignoring "${dir}/05-\ufffd.conflist": its name is not valid UTF-8`,
        `ignoring "${dir}/net/\ufffd.conf": its name is not valid UTF-8`,
        `ignoring "${dir}/05-\ufffd.conf": its name is not valid UTF-8`,
      ]);
    });
    await t.step("without a listener, quietly", async () => {
      assert.equal((await loadNetworkConfigList(dir, "net")).name, "net");
    });
    await t.step("a name that reads as an existing file's is listed once", async () => {
      await Deno.writeTextFile(`${dir}/05-\ufffd.conflist`, list("net", ["utf8"]));
      assert.deepEqual(await configFiles(dir, [".conflist"]), [
        `${dir}/05-\ufffd.conflist`,
        `${dir}/10-a.conflist`,
      ]);
    });
  });
});
