/**
 * The node installer (cli/install_node.ts, cli/_install/): installing, refusing foreign files,
 * chaining into the network a runtime loads first, dry runs, uninstalling byte for byte, and
 * two installers at once. Everything happens in temporary directories; the machine's own
 * /opt/cni/bin and /etc/cni/net.d are never touched.
 *
 * Plugins are the project's real sample (a launcher of its bundle dist/sample/sample.js with its
 * compiled permissions) and the stand-ins of tests/testdata/install_node/fake/, listed in
 * tests/testdata/install_node/plugins.json, that only answer VERSION. What a runtime would load
 * is checked with Debian's libcni through tests/testdata/install_node/loader/main.go.
 */
import assert from "node:assert/strict";
import { bundlePath, manifestEntry, ROOT, runArgs } from "../scripts/manifest.ts";
import { main } from "../cli/install_node.ts";
import { tempPathBeside } from "../cli/_install/atomic.ts";
import { sha256 } from "../cli/_install/digest.ts";
import { buildEntry, parseSetPairs } from "../cli/_install/entry.ts";
import { quoteName } from "../cli/_install/quote.ts";
import {
  type Action,
  BACKUP_SUFFIX,
  chainPlugin,
  installPlugins,
  isLoadedName,
  RECORD_NAME,
  type Report,
  STATE_NAME,
  uninstall,
  UsageError,
} from "../cli/_install/mod.ts";

const FIXTURES = `${ROOT}/tests/testdata/install_node`;
const FAKE_MANIFEST = `${FIXTURES}/plugins.json`;
const REAL_MANIFEST = `${ROOT}/plugins.json`;
const decoder = new TextDecoder();

// ---------------------------------------------------------------------------------------------
// Temporary worlds

/** A node in a temporary directory: the build, the plugin directory and the network directory. */
interface World {
  readonly root: string;
  /** The built plugins (what `make bin` writes). */
  readonly from: string;
  /** The plugin directory (/opt/cni/bin on a node). */
  readonly bin: string;
  /** The configuration directory (/etc/cni/net.d on a node). */
  readonly conf: string;
}

/** The stand-in plugins of the fixture list, copied executable into `from`. */
function addFakePlugins(world: World): void {
  for (const entry of Deno.readDirSync(`${FIXTURES}/fake`)) {
    Deno.copyFileSync(`${FIXTURES}/fake/${entry.name}`, `${world.from}/${entry.name}`);
    Deno.chmodSync(`${world.from}/${entry.name}`, 0o755);
  }
}

let bundled: Promise<void> | undefined;

/** dist/sample/sample.js, bundled once when `deno task test` has not done it. */
function ensureSampleBundle(): Promise<void> {
  bundled ??= (async () => {
    try {
      Deno.statSync(bundlePath("sample"));
      return;
    } catch { /* bundle it */ }
    const output = await new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", `${ROOT}/scripts/build.ts`, "bundle", "sample"],
      stdout: "piped",
      stderr: "piped",
    }).output();
    assert.ok(output.success, decoder.decode(output.stderr));
  })();
  return bundled;
}

/** The real sample in `from`: a launcher of its bundle with its compiled permissions. */
async function addRealSample(world: World): Promise<void> {
  await ensureSampleBundle();
  const quote = (word: string) => `'${word.replaceAll("'", `'\\''`)}'`;
  const command = [Deno.execPath(), ...runArgs(manifestEntry("sample"))].map(quote).join(" ");
  Deno.writeTextFileSync(`${world.from}/sample`, `#!/bin/sh\nexec ${command} "$@"\n`, {
    mode: 0o755,
  });
  Deno.chmodSync(`${world.from}/sample`, 0o755);
}

async function withWorld(fn: (world: World) => Promise<void>): Promise<void> {
  const root = Deno.makeTempDirSync({ prefix: "dcni-install-node-" });
  const world = { root, from: `${root}/from`, bin: `${root}/bin`, conf: `${root}/net.d` };
  Deno.mkdirSync(world.from);
  Deno.mkdirSync(world.conf);
  try {
    addFakePlugins(world);
    await fn(world);
  } finally {
    Deno.removeSync(root, { recursive: true });
  }
}

/** Every file under `dir` (hidden ones too): name to mode and exact content. */
type Snapshot = Record<string, { mode: number; bytes: string; link?: string }>;

function snapshot(dir: string, prefix = ""): Snapshot {
  const out: Snapshot = {};
  let entries: Deno.DirEntry[];
  try {
    entries = [...Deno.readDirSync(dir)];
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return { "<absent>": { mode: 0, bytes: "" } };
    throw error;
  }
  for (const entry of entries.sort((a, b) => a.name < b.name ? -1 : 1)) {
    const path = `${dir}/${entry.name}`;
    let info: Deno.FileInfo;
    try {
      info = Deno.lstatSync(path);
    } catch (error) {
      // A name that is not UTF-8 reaches Deno with U+FFFD in it and opens nothing.
      if (!(error instanceof Deno.errors.NotFound) || !entry.name.includes("\ufffd")) throw error;
      out[prefix + entry.name] = { mode: 0, bytes: "<its name is not UTF-8>" };
      continue;
    }
    if (entry.isDirectory) {
      Object.assign(out, snapshot(path, `${prefix}${entry.name}/`));
    } else if (entry.isSymlink) {
      out[prefix + entry.name] = { mode: 0, bytes: "", link: Deno.readLinkSync(path) };
    } else {
      const bytes = Array.from(Deno.readFileSync(path), (b) => String.fromCharCode(b)).join("");
      out[prefix + entry.name] = { mode: info.mode! & 0o7777, bytes };
    }
  }
  return out;
}

function snapshotWorld(world: World) {
  return { bin: snapshot(world.bin), conf: snapshot(world.conf) };
}

/** The lines a dry run must print for the actions a real run did. */
function wouldLines(actions: readonly Action[]): string[] {
  return actions.map((a) => `would ${a.verb} ${a.text}`);
}

function assertOk(report: Report): void {
  assert.ok(report.ok, `not ok:\n${[...report.lines, ...report.errors].join("\n")}`);
}

function fakeInstall(
  world: World,
  plugins: string[],
  extra: { force?: boolean; dryRun?: boolean } = {},
) {
  return installPlugins({
    plugins,
    binDir: world.bin,
    from: world.from,
    manifest: FAKE_MANIFEST,
    ...extra,
  });
}

// ---------------------------------------------------------------------------------------------
// What libcni loads

let loaderBuild: Promise<string | { skip: string }> | undefined;

/**
 * Builds the Go loader once against Debian's libcni source, into .tools/ like the project's
 * other Go test tools (scripts/build_cnitool.sh), rebuilding it when its source is newer.
 */
function buildLoader(): Promise<string | { skip: string }> {
  loaderBuild ??= (async () => {
    const gopath = "/usr/share/gocode";
    try {
      Deno.statSync(`${gopath}/src/github.com/containernetworking/cni/libcni/conf.go`);
    } catch {
      return { skip: "libcni source missing (apt-get install golang-github-appc-cni-dev)" };
    }
    const source = `${FIXTURES}/loader/main.go`;
    const out = `${ROOT}/.tools/install_node_loader`;
    try {
      if (Deno.statSync(out).mtime! >= Deno.statSync(source).mtime!) return out;
    } catch { /* build it */ }
    Deno.mkdirSync(`${ROOT}/.tools`, { recursive: true });
    const env: Record<string, string> = { GO111MODULE: "off", GOPATH: gopath, GOFLAGS: "" };
    if (!Deno.env.get("HOME") && !Deno.env.get("GOCACHE")) {
      env.GOCACHE = `${ROOT}/.tools/go-build-cache`;
    }
    const temporary = `${out}.${crypto.randomUUID()}`;
    let output: Deno.CommandOutput;
    try {
      output = await new Deno.Command("go", {
        args: ["build", "-o", temporary, "./tests/testdata/install_node/loader"],
        cwd: ROOT,
        env,
        stdout: "piped",
        stderr: "piped",
      }).output();
    } catch (error) {
      if (error instanceof Deno.errors.NotFound) {
        return { skip: "go is missing (apt-get install golang-go)" };
      }
      throw error;
    }
    assert.ok(output.success, decoder.decode(output.stderr));
    Deno.renameSync(temporary, out);
    return out;
  })();
  return loaderBuild;
}

interface Loaded {
  files: string[];
  first?: { file: string; name: string; cniVersion: string; types: string[] };
  byName?: { name: string; cniVersion: string; types: string[] };
  error?: string;
}

async function load(loader: string, dir: string): Promise<Loaded> {
  const output = await new Deno.Command(loader, { args: [dir], stdout: "piped" }).output();
  assert.ok(output.success);
  return JSON.parse(decoder.decode(output.stdout));
}

// ---------------------------------------------------------------------------------------------
// Installing

Deno.test("install copies the named plugins atomically and records their digests", async () => {
  await withWorld(async (world) => {
    const report = await fakeInstall(world, ["old-chained", "new-chained"]);
    assertOk(report);
    assert.deepEqual(report.lines, [
      `installed ${world.bin}/old-chained`,
      `installed ${world.bin}/new-chained`,
    ]);
    const names = [...Deno.readDirSync(world.bin)].map((e) => e.name).sort();
    assert.deepEqual(names, [RECORD_NAME, "new-chained", "old-chained"], "only these, no temp");
    const record = JSON.parse(Deno.readTextFileSync(`${world.bin}/${RECORD_NAME}`));
    for (const name of ["old-chained", "new-chained"]) {
      const bytes = Deno.readFileSync(`${world.bin}/${name}`);
      assert.deepEqual(bytes, Deno.readFileSync(`${world.from}/${name}`));
      assert.equal(Deno.statSync(`${world.bin}/${name}`).mode! & 0o7777, 0o755);
      const digest = Array.from(
        new Uint8Array(await crypto.subtle.digest("SHA-256", bytes)),
        (b) => b.toString(16).padStart(2, "0"),
      ).join("");
      assert.equal(record.files[name].sha256, digest);
    }
    assert.equal(Object.keys(record.files).length, 2, "ptp was not asked for");
  });
});

Deno.test("install: unchanged, updated, foreign and --force", async (t) => {
  await withWorld(async (world) => {
    assertOk(await fakeInstall(world, ["old-chained"]));
    const before = snapshotWorld(world);
    const mtime = Deno.statSync(`${world.bin}/old-chained`).mtime;

    await t.step("a second run finds the file unchanged and writes nothing", async () => {
      const report = await fakeInstall(world, ["old-chained"]);
      assertOk(report);
      assert.deepEqual(report.lines, [`left ${world.bin}/old-chained alone: unchanged`]);
      assert.deepEqual(snapshotWorld(world), before);
      assert.deepEqual(Deno.statSync(`${world.bin}/old-chained`).mtime, mtime);
    });

    await t.step("a new build of a file deno-cni installed is an update", async () => {
      Deno.writeTextFileSync(`${world.from}/old-chained`, "#!/bin/sh\n# rebuilt\n", {
        append: true,
      });
      const report = await fakeInstall(world, ["old-chained"]);
      assertOk(report);
      assert.deepEqual(report.lines, [`updated ${world.bin}/old-chained`]);
      assert.deepEqual(
        Deno.readFileSync(`${world.bin}/old-chained`),
        Deno.readFileSync(`${world.from}/old-chained`),
      );
    });

    const reference = (() => {
      try {
        return Deno.readFileSync("/usr/lib/cni/ptp");
      } catch {
        return new TextEncoder().encode("#!/bin/sh\necho another ptp\n");
      }
    })();

    await t.step("a file of another origin (the reference ptp) is left alone", async () => {
      Deno.writeFileSync(`${world.bin}/ptp`, reference, { mode: 0o755 });
      const report = await fakeInstall(world, ["ptp", "new-chained"]);
      assert.equal(report.ok, false);
      assert.deepEqual(report.lines, [
        `left ${world.bin}/ptp alone: not installed by deno-cni (use --force to replace)`,
        `installed ${world.bin}/new-chained`,
      ]);
      assert.deepEqual(Deno.readFileSync(`${world.bin}/ptp`), reference);
      const record = JSON.parse(Deno.readTextFileSync(`${world.bin}/${RECORD_NAME}`));
      assert.ok(!("ptp" in record.files));
    });

    await t.step("a file deno-cni installed and someone replaced is foreign too", async () => {
      Deno.writeTextFileSync(`${world.bin}/new-chained`, "#!/bin/sh\necho mine now\n");
      const report = await fakeInstall(world, ["new-chained"]);
      assert.equal(report.ok, false);
      assert.deepEqual(report.lines, [
        `left ${world.bin}/new-chained alone: changed since deno-cni installed it ` +
        `(use --force to replace)`,
      ]);
      assert.equal(Deno.readTextFileSync(`${world.bin}/new-chained`), "#!/bin/sh\necho mine now\n");
    });

    await t.step("--force replaces both and records them", async () => {
      const report = await fakeInstall(world, ["ptp", "new-chained"], { force: true });
      assertOk(report);
      assert.deepEqual(report.lines, [
        `replaced ${world.bin}/ptp (--force: not installed by deno-cni)`,
        `replaced ${world.bin}/new-chained (--force: changed since deno-cni installed it)`,
      ]);
      for (const name of ["ptp", "new-chained"]) {
        assert.deepEqual(
          Deno.readFileSync(`${world.bin}/${name}`),
          Deno.readFileSync(`${world.from}/${name}`),
        );
      }
      const record = JSON.parse(Deno.readTextFileSync(`${world.bin}/${RECORD_NAME}`));
      assert.deepEqual(Object.keys(record.files).sort(), ["new-chained", "old-chained", "ptp"]);
    });

    await t.step(
      "identical content not installed by deno-cni is unchanged, not adopted",
      async () => {
        const other = `${world.root}/other-bin`;
        Deno.mkdirSync(other);
        Deno.copyFileSync(`${world.from}/ptp`, `${other}/ptp`);
        const report = await installPlugins({
          plugins: ["ptp"],
          binDir: other,
          from: world.from,
          manifest: FAKE_MANIFEST,
        });
        assertOk(report);
        assert.deepEqual(report.lines, [
          `left ${other}/ptp alone: unchanged (same content, but not installed by deno-cni)`,
        ]);
        assert.deepEqual([...Deno.readDirSync(other)].map((e) => e.name), ["ptp"]);
      },
    );
  });
});

Deno.test("plugin names are checked against the plugin list before anything is touched", async (t) => {
  await withWorld(async (world) => {
    const cases: [string, string[], RegExp][] = [
      ["a path", ["../ptp"], /Bad plugin name "\.\.\/ptp": it contains "\/"/],
      ["a slash", ["a/b"], /it contains "\/"/],
      ["dot dot", ["x..y"], /it contains "\.\."/],
      ["hidden", [".deno-cni-installed.json"], /it starts with "\."/],
      ["empty", [""], /it is empty/],
      ["not listed", ["old-chained", "bridge"], /Unknown plugin "bridge"/],
    ];
    for (const [label, plugins, message] of cases) {
      await t.step(label, async () => {
        await assert.rejects(() => fakeInstall(world, plugins), (e) => {
          assert.ok(e instanceof UsageError);
          assert.match(e.message, message);
          return true;
        });
        assert.deepEqual(snapshot(world.bin), { "<absent>": { mode: 0, bytes: "" } });
      });
    }
    await t.step("the real plugin list names the real plugins", async () => {
      const names = Object.keys(JSON.parse(Deno.readTextFileSync(REAL_MANIFEST)));
      assert.ok(names.includes("sample"));
      await assert.rejects(
        () =>
          installPlugins({
            plugins: ["bridge"],
            binDir: world.bin,
            from: world.from,
            manifest: REAL_MANIFEST,
          }),
        UsageError,
      );
    });
  });
});

// ---------------------------------------------------------------------------------------------
// Chaining

Deno.test("chaining into a conflist appends the entry, keeps everything else and is idempotent", async (t) => {
  await withWorld(async (world) => {
    await addRealSample(world);
    const original = Deno.readFileSync(`${FIXTURES}/10-listnet.conflist`);
    Deno.writeFileSync(`${world.conf}/10-listnet.conflist`, original, { mode: 0o640 });
    Deno.writeTextFileSync(`${world.conf}/20-later.conflist`, '{"name":"later","plugins":[]}');
    assertOk(
      await installPlugins({
        plugins: ["sample"],
        binDir: world.bin,
        from: world.from,
        manifest: REAL_MANIFEST,
      }),
    );
    const options = {
      plugin: "sample",
      binDir: world.bin,
      confDir: world.conf,
      manifest: REAL_MANIFEST,
      entry: { anotherAwesomeArg: "awesome", myAwesomeFlag: true },
    };
    const path = `${world.conf}/10-listnet.conflist`;

    await t.step("the first run saves the original and chains", async () => {
      const report = await chainPlugin(options);
      assertOk(report);
      assert.deepEqual(report.lines, [
        `saved ${path} as ${path}${BACKUP_SUFFIX}`,
        `chained sample into ${path} (network "listnet", cniVersion 1.0.0)`,
      ]);
      const before = JSON.parse(decoder.decode(original));
      const after = JSON.parse(Deno.readTextFileSync(path));
      assert.deepEqual(after, {
        ...before,
        plugins: [...before.plugins, {
          type: "sample",
          anotherAwesomeArg: "awesome",
          myAwesomeFlag: true,
        }],
      });
      assert.deepEqual(Object.keys(after), Object.keys(before), "key order kept");
      assert.equal(Deno.statSync(path).mode! & 0o7777, 0o640, "mode kept");
      assert.deepEqual(Deno.readFileSync(`${path}${BACKUP_SUFFIX}`), original);
      assert.equal(Deno.statSync(`${path}${BACKUP_SUFFIX}`).mode! & 0o7777, 0o640);
    });

    await t.step("a second run changes nothing", async () => {
      const before = snapshotWorld(world);
      const report = await chainPlugin(options);
      assertOk(report);
      assert.deepEqual(report.lines, [
        `left ${path} alone: sample is already chained (network "listnet", cniVersion 1.0.0)`,
      ]);
      assert.deepEqual(snapshotWorld(world), before);
    });

    await t.step("other settings are refused, and replaced with --force", async () => {
      const before = snapshotWorld(world);
      const other = { ...options, entry: { anotherAwesomeArg: "other" } };
      const refused = await chainPlugin(other);
      assert.equal(refused.ok, false);
      assert.deepEqual(refused.lines, [
        `left ${path} alone: it has a "sample" entry with other settings (use --force to replace it)`,
      ]);
      assert.deepEqual(snapshotWorld(world), before);
      const forced = await chainPlugin({ ...other, force: true });
      assertOk(forced);
      const plugins = JSON.parse(Deno.readTextFileSync(path)).plugins;
      assert.equal(plugins.length, 3);
      assert.deepEqual(plugins[2], { type: "sample", anotherAwesomeArg: "other" });
      assert.deepEqual(Deno.readFileSync(`${path}${BACKUP_SUFFIX}`), original, "backup kept");
    });

    await t.step("libcni loads the chained network first", async (t) => {
      const loader = await buildLoader();
      if (typeof loader !== "string") {
        await t.step({ name: loader.skip, ignore: true, fn() {} });
        return;
      }
      const loaded = await load(loader, world.conf);
      assert.equal(loaded.error, undefined);
      assert.deepEqual(
        loaded.files,
        ["10-listnet.conflist", "20-later.conflist"],
        "no backup, state",
      );
      assert.deepEqual(loaded.first, {
        file: "10-listnet.conflist",
        name: "listnet",
        cniVersion: "1.0.0",
        types: ["bridge", "portmap", "sample"],
      });
      assert.deepEqual(loaded.byName?.types, ["bridge", "portmap", "sample"]);
    });
  });
});

Deno.test("a single .conf or .json network becomes a .conflist that libcni loads first at every step", async (t) => {
  const loader = await buildLoader();
  for (const extension of [".conf", ".json"]) {
    await t.step(extension, async () => {
      await withWorld(async (world) => {
        const original = Deno.readFileSync(`${FIXTURES}/10-bridge.conf`);
        const file = `10-bridge${extension}`;
        Deno.writeFileSync(`${world.conf}/${file}`, original);
        Deno.writeTextFileSync(
          `${world.conf}/99-other.conflist`,
          '{"cniVersion":"1.0.0","name":"other","plugins":[{"type":"loopback"}]}',
        );
        assertOk(await fakeInstall(world, ["new-chained"]));
        const seen: Loaded[] = [];
        const report = await chainPlugin({
          plugin: "new-chained",
          binDir: world.bin,
          confDir: world.conf,
          manifest: FAKE_MANIFEST,
          onStep: async () => {
            if (typeof loader === "string") seen.push(await load(loader, world.conf));
          },
        });
        assertOk(report);
        const path = `${world.conf}/${file}`;
        const list = `${world.conf}/10-bridge.conflist`;
        assert.deepEqual(report.lines, [
          `saved ${path} as ${path}${BACKUP_SUFFIX}`,
          `chained new-chained into ${list} (network "single-net", cniVersion 1.0.0)`,
          `removed ${path} (its network is now ${list})`,
        ]);
        const single = JSON.parse(decoder.decode(original));
        assert.deepEqual(JSON.parse(Deno.readTextFileSync(list)), {
          cniVersion: "1.0.0",
          name: "single-net",
          plugins: [single, { type: "new-chained" }],
        });
        assert.deepEqual(Deno.readFileSync(`${path}${BACKUP_SUFFIX}`), original);
        assert.throws(() => Deno.statSync(path), Deno.errors.NotFound);
        if (typeof loader !== "string") return;
        // After the backup, the state, the new file and the removal: always one valid network,
        // the old one or the new one, and the new one at the end.
        assert.equal(seen.length, 4);
        const old = { name: "single-net", cniVersion: "1.0.0", types: ["bridge"] };
        const chained = {
          name: "single-net",
          cniVersion: "1.0.0",
          types: ["bridge", "new-chained"],
        };
        for (const [i, state] of seen.entries()) {
          assert.equal(state.error, undefined, `step ${i}: ${state.error}`);
          const { file: _, ...first } = state.first!;
          assert.ok(
            isDeepEqual(first, old) || isDeepEqual(first, chained),
            `step ${i}: ${JSON.stringify(state.first)}`,
          );
          assert.ok(
            isDeepEqual(state.byName, old) || isDeepEqual(state.byName, chained),
            `step ${i}: ${JSON.stringify(state.byName)}`,
          );
          assert.ok(state.files.every((f) => !f.includes("deno-cni")), `step ${i}: ${state.files}`);
        }
        assert.deepEqual(seen.at(-1)!.first, { file: "10-bridge.conflist", ...chained });
        assert.deepEqual(seen.at(-1)!.byName, chained);
        assert.deepEqual(seen.at(-1)!.files, ["10-bridge.conflist", "99-other.conflist"]);
      });
    });
  }
  if (typeof loader !== "string") {
    await t.step({ name: `libcni checks skipped: ${loader.skip}`, ignore: true, fn() {} });
  }
});

function isDeepEqual(a: unknown, b: unknown): boolean {
  try {
    assert.deepEqual(a, b);
    return true;
  } catch {
    return false;
  }
}

Deno.test("a .conf is not promoted when its .conflist would not be loaded first", async (t) => {
  const cases: [string, string, RegExp][] = [
    [
      "a file sorts between the two names",
      "10-bridge.conf.json",
      /as .*10-bridge\.conflist it would not be loaded first \(10-bridge\.conf\.json sorts before it\)/,
    ],
    [
      "the .conflist exists",
      "10-bridge.conflist",
      /it cannot become .*10-bridge\.conflist, which exists/,
    ],
  ];
  for (const [label, extra, message] of cases) {
    await t.step(label, async () => {
      await withWorld(async (world) => {
        Deno.copyFileSync(`${FIXTURES}/10-bridge.conf`, `${world.conf}/10-bridge.conf`);
        Deno.writeTextFileSync(`${world.conf}/${extra}`, "{}");
        assertOk(await fakeInstall(world, ["new-chained"]));
        const before = snapshotWorld(world);
        const report = await chainPlugin({
          plugin: "new-chained",
          binDir: world.bin,
          confDir: world.conf,
          manifest: FAKE_MANIFEST,
        });
        assert.equal(report.ok, false);
        assert.equal(report.lines.length, 1);
        assert.match(report.lines[0]!, message);
        assert.deepEqual(snapshotWorld(world), before);
      });
    });
  }
});

Deno.test("the network runtimes load first is chosen as libcni orders files", async (t) => {
  const loader = await buildLoader();
  const cases: [string, string[], string][] = [
    ["byte order, capitals first", ["b.conflist", "B.conf", "a.json"], "B.conf"],
    ["hidden files count", [".z.conf", "00.conflist"], ".z.conf"],
    ["other extensions do not", ["0.conf.bak", "00.CONF", "01.jsonl", "5.conflist"], "5.conflist"],
    ["a prefix sorts first", ["10-a.conflist", "10-a.conf"], "10-a.conf"],
    ["a dot sorts before letters", ["10-a.conflist", "10-a.conf.conf"], "10-a.conf.conf"],
  ];
  for (const [label, files, expected] of cases) {
    await t.step(label, async () => {
      await withWorld(async (world) => {
        for (const name of files) {
          const isList = name.endsWith(".conflist");
          Deno.writeTextFileSync(
            `${world.conf}/${name}`,
            JSON.stringify(
              isList
                ? { cniVersion: "1.0.0", name: `net-${name}`, plugins: [{ type: "bridge" }] }
                : { cniVersion: "1.0.0", name: `net-${name}`, type: "bridge" },
            ),
          );
        }
        Deno.mkdirSync(`${world.conf}/000.conf`);
        assertOk(await fakeInstall(world, ["new-chained"]));
        const report = await chainPlugin({
          plugin: "new-chained",
          binDir: world.bin,
          confDir: world.conf,
          manifest: FAKE_MANIFEST,
          dryRun: true,
        });
        assert.ok(report.lines[0]!.includes(`${world.conf}/${expected} `), report.lines[0]);
        if (typeof loader === "string") {
          assert.equal((await load(loader, world.conf)).first?.file, expected);
        }
      });
    });
  }
});

Deno.test("a cniVersion the plugin does not support is refused", async (t) => {
  await withWorld(async (world) => {
    await addRealSample(world);
    const network = (version: string) =>
      JSON.stringify({ cniVersion: version, name: "net", plugins: [{ type: "bridge" }] });
    const cases: [string, string, string, string, RegExp][] = [
      [
        "a stand-in for 0.3.1/0.4.0 on a 1.0.0 network",
        "old-chained",
        FAKE_MANIFEST,
        "1.0.0",
        /it supports 0\.3\.1, 0\.4\.0/,
      ],
      [
        "a stand-in for 1.0.0/1.1.0 on a 0.4.0 network",
        "new-chained",
        FAKE_MANIFEST,
        "0.4.0",
        /it supports 1\.0\.0, 1\.1\.0/,
      ],
      [
        "the real sample on a 1.2.0 network",
        "sample",
        REAL_MANIFEST,
        "1.2.0",
        /it supports 0\.1\.0, .*1\.1\.0\)/,
      ],
      ["no cniVersion at all", "sample", REAL_MANIFEST, "", /cniVersion ""/],
    ];
    for (const [label, plugin, manifest, version, supports] of cases) {
      await t.step(label, async () => {
        const conf = `${world.conf}/10-net.conflist`;
        Deno.writeTextFileSync(
          conf,
          version ? network(version) : '{"name":"net","plugins":[{"type":"bridge"}]}',
        );
        assertOk(
          await installPlugins({
            plugins: [plugin],
            binDir: world.bin,
            from: world.from,
            manifest,
          }),
        );
        const before = snapshotWorld(world);
        const report = await chainPlugin({
          plugin,
          binDir: world.bin,
          confDir: world.conf,
          manifest,
        });
        assert.equal(report.ok, false);
        assert.deepEqual(report.lines, []);
        assert.equal(report.errors.length, 1);
        assert.match(
          report.errors[0]!,
          new RegExp(`^${plugin} does not support cniVersion "${version.replaceAll(".", "\\.")}"`),
        );
        assert.match(report.errors[0]!, supports);
        assert.deepEqual(snapshotWorld(world), before);
      });
    }
    await t.step(
      "the version check is the plugin's own answer: a supported one passes",
      async () => {
        const conf = `${world.conf}/10-net.conflist`;
        Deno.writeTextFileSync(conf, network("0.4.0"));
        assertOk(
          await chainPlugin({
            plugin: "old-chained",
            binDir: world.bin,
            confDir: world.conf,
            manifest: FAKE_MANIFEST,
          }),
        );
        assert.equal(JSON.parse(Deno.readTextFileSync(conf)).cniVersion, "0.4.0");
      },
    );
  });
});

Deno.test("configurations libcni would not load are refused", async (t) => {
  const cases: [string, string, string, RegExp][] = [
    ["empty directory", "", "", /No network configuration in/],
    ["not JSON", "10-a.conflist", "{", /is not JSON/],
    ["no plugins", "10-a.conflist", '{"name":"a","plugins":[]}', /has no "plugins" list/],
    [
      "an entry without type",
      "10-a.conflist",
      '{"name":"a","plugins":[{}]}',
      /Plugin 0 of .* has no "type"/,
    ],
    [
      "a list in a .conf",
      "10-a.conf",
      '{"name":"a","plugins":[{"type":"bridge"}]}',
      /has no "type"/,
    ],
    ["a byte order mark", "10-a.conf", '\ufeff{"name":"a","type":"bridge"}', /is not JSON/],
  ];
  for (const [label, name, text, message] of cases) {
    await t.step(label, async () => {
      await withWorld(async (world) => {
        if (name) Deno.writeTextFileSync(`${world.conf}/${name}`, text);
        assertOk(await fakeInstall(world, ["new-chained"]));
        const before = snapshotWorld(world);
        const report = await chainPlugin({
          plugin: "new-chained",
          binDir: world.bin,
          confDir: world.conf,
          manifest: FAKE_MANIFEST,
        });
        assert.equal(report.ok, false);
        assert.match(report.errors.join("\n"), message);
        assert.deepEqual(snapshotWorld(world), before);
      });
    });
  }
});

Deno.test("the installer's own file names are never loaded by libcni", async () => {
  const names = [
    STATE_NAME,
    `10-net.conf${BACKUP_SUFFIX}`,
    `10-net.conflist${BACKUP_SUFFIX}`,
    `10-net.json${BACKUP_SUFFIX}`,
    ...["10-net.conf", "10-net.conflist", "x.json"].map((n) => tempPathBeside(`/d/${n}`).slice(3)),
  ];
  for (const name of names) assert.equal(isLoadedName(name), false, name);
  for (const name of ["a.conf", "a.conflist", "a.json", ".conf"]) assert.ok(isLoadedName(name));
  const loader = await buildLoader();
  if (typeof loader !== "string") return;
  await withWorld(async (world) => {
    for (const name of names) Deno.writeTextFileSync(`${world.conf}/${name}`, "not json");
    Deno.writeTextFileSync(`${world.conf}/zz.conflist`, '{"name":"z","plugins":[{"type":"x"}]}');
    const loaded = await load(loader, world.conf);
    assert.deepEqual(loaded.files, ["zz.conflist"]);
    assert.equal(loaded.error, undefined);
  });
});

// ---------------------------------------------------------------------------------------------
// Dry runs

Deno.test('--dry-run prints the real run\'s lines as "would ..." and changes nothing', async (t) => {
  type Scenario = (world: World, dryRun: boolean) => Promise<Report[]>;
  const setups: [string, (world: World) => void | Promise<void>, Scenario][] = [
    ["install over a foreign file", (world) => {
      Deno.mkdirSync(world.bin);
      Deno.writeTextFileSync(`${world.bin}/ptp`, "foreign");
    }, async (world, dryRun) => [
      await fakeInstall(world, ["ptp", "old-chained"], { dryRun }),
      await fakeInstall(world, ["new-chained", "ptp"], { dryRun, force: true }),
    ]],
    ["install and chain into a .conf", (world) => {
      Deno.copyFileSync(`${FIXTURES}/10-bridge.conf`, `${world.conf}/10-bridge.conf`);
    }, async (world, dryRun) => [
      await fakeInstall(world, ["new-chained"], { dryRun }),
      await chainPlugin({
        plugin: "new-chained",
        binDir: world.bin,
        confDir: world.conf,
        manifest: FAKE_MANIFEST,
        entry: { level: 3 },
        dryRun,
        ...(dryRun ? { versionFrom: `${world.from}/new-chained` } : {}),
      }),
    ]],
    ["uninstall", async (world) => {
      Deno.copyFileSync(`${FIXTURES}/10-listnet.conflist`, `${world.conf}/10-listnet.conflist`);
      assertOk(await fakeInstall(world, ["new-chained", "ptp"]));
      assertOk(
        await chainPlugin({
          plugin: "new-chained",
          binDir: world.bin,
          confDir: world.conf,
          manifest: FAKE_MANIFEST,
        }),
      );
      Deno.writeTextFileSync(`${world.bin}/ptp`, "changed");
    }, async (world, dryRun) => [
      await uninstall({ binDir: world.bin, confDir: world.conf, manifest: FAKE_MANIFEST, dryRun }),
    ]],
    ...(["chain", "uninstall"] as const).map((
      what,
    ): [string, (world: World) => Promise<void>, Scenario] => [
      `${what} with --force over someone else's change`,
      async (world) => {
        Deno.copyFileSync(`${FIXTURES}/10-bridge.conf`, `${world.conf}/10-bridge.conf`);
        assertOk(await fakeInstall(world, ["new-chained", "ptp"]));
        const where = { binDir: world.bin, confDir: world.conf, manifest: FAKE_MANIFEST };
        assertOk(await chainPlugin({ ...where, plugin: "new-chained" }));
        const path = `${world.conf}/10-bridge.conflist`;
        Deno.writeTextFileSync(path, Deno.readTextFileSync(path).replace("cni-single", "theirs"));
      },
      async (world, dryRun) => {
        const where = { binDir: world.bin, confDir: world.conf, manifest: FAKE_MANIFEST, dryRun };
        return [
          what === "chain"
            ? await chainPlugin({ ...where, plugin: "ptp", force: true })
            : await uninstall({ ...where, force: true }),
        ];
      },
    ]),
  ];
  for (const [label, setup, scenario] of setups) {
    await t.step(label, async () => {
      await withWorld(async (world) => {
        await setup(world);
        const before = snapshotWorld(world);
        const dry = await scenario(world, true);
        assert.deepEqual(snapshotWorld(world), before, "the dry run changed nothing");
        const real = await scenario(world, false);
        assert.notDeepEqual(snapshotWorld(world), before, "the real run did change something");
        assert.deepEqual(
          dry.map((r) => r.lines),
          real.map((r) => wouldLines(r.actions)),
        );
        assert.deepEqual(dry.map((r) => r.ok), real.map((r) => r.ok));
        assert.ok(dry.flat().every((r) => r.lines.every((l) => l.startsWith("would "))));
      });
    });
  }
});

// ---------------------------------------------------------------------------------------------
// Uninstalling

Deno.test("uninstall restores the network byte for byte and removes deno-cni's plugins", async (t) => {
  for (
    const [label, fixture, name, mode] of [
      ["a conflist", "10-listnet.conflist", "10-listnet.conflist", 0o600],
      ["a .conf made a conflist", "10-bridge.conf", "10-bridge.conf", 0o644],
    ] as const
  ) {
    await t.step(label, async () => {
      await withWorld(async (world) => {
        await addRealSample(world);
        Deno.mkdirSync(world.bin);
        Deno.writeTextFileSync(`${world.bin}/bridge`, "the reference bridge");
        Deno.writeFileSync(`${world.conf}/${name}`, Deno.readFileSync(`${FIXTURES}/${fixture}`));
        Deno.chmodSync(`${world.conf}/${name}`, mode);
        const before = snapshotWorld(world);

        assertOk(
          await installPlugins({
            plugins: ["sample"],
            binDir: world.bin,
            from: world.from,
            manifest: REAL_MANIFEST,
          }),
        );
        assertOk(await fakeInstall(world, ["new-chained"]));
        const where = { binDir: world.bin, confDir: world.conf };
        assertOk(
          await chainPlugin({
            ...where,
            plugin: "sample",
            manifest: REAL_MANIFEST,
            entry: { anotherAwesomeArg: "x" },
          }),
        );
        assertOk(await chainPlugin({ ...where, plugin: "new-chained", manifest: FAKE_MANIFEST }));
        assert.notDeepEqual(snapshotWorld(world), before);

        const report = await uninstall({ ...where, manifest: REAL_MANIFEST });
        assertOk(report);
        const active = `${world.conf}/${name.replace(/\.conf$/, ".conflist")}`;
        assert.deepEqual(report.lines, [
          `restored ${world.conf}/${name} from ${world.conf}/${name}${BACKUP_SUFFIX}`,
          ...(active === `${world.conf}/${name}` ? [] : [`removed ${active}`]),
          `removed ${world.bin}/new-chained`,
          `removed ${world.bin}/sample`,
        ]);
        assert.deepEqual(snapshotWorld(world), before, "both directories exactly as they were");

        const again = await uninstall({ ...where, manifest: REAL_MANIFEST });
        assertOk(again);
        assert.deepEqual(again.lines, [`left ${world.conf} alone: deno-cni chained nothing there`]);
      });
    });
  }
});

Deno.test("uninstall leaves alone what others changed, unless --force", async (t) => {
  await withWorld(async (world) => {
    const original = Deno.readFileSync(`${FIXTURES}/10-listnet.conflist`);
    const path = `${world.conf}/10-listnet.conflist`;
    Deno.writeFileSync(path, original);
    assertOk(await fakeInstall(world, ["new-chained", "old-chained"]));
    const where = { binDir: world.bin, confDir: world.conf, manifest: FAKE_MANIFEST };
    assertOk(await chainPlugin({ ...where, plugin: "new-chained" }));
    const edited = Deno.readTextFileSync(path).replace("cni-listnet", "cni-edited");
    Deno.writeTextFileSync(path, edited);
    Deno.writeTextFileSync(`${world.bin}/old-chained`, "#!/bin/sh\n# someone's\n");

    await t.step("an edited network and the plugin chained into it stay", async () => {
      const before = snapshotWorld(world);
      const report = await uninstall(where);
      assert.equal(report.ok, false);
      assert.deepEqual(report.lines, [
        `left ${path} alone: changed by someone else since deno-cni chained new-chained into it ` +
        `(use --force to take deno-cni's entries out of it and keep the rest)`,
        `left ${world.bin}/new-chained alone: the network still chains it`,
        `left ${world.bin}/old-chained alone: changed since deno-cni installed it ` +
        `(use --force to remove it)`,
      ]);
      assert.deepEqual(snapshotWorld(world), before);
    });

    await t.step("chaining over someone else's change is refused too", async () => {
      const report = await chainPlugin({ ...where, plugin: "old-chained" });
      assert.equal(report.ok, false);
      assert.match(report.lines[0]!, /changed by someone else since deno-cni chained into it/);
      assert.equal(Deno.readTextFileSync(path), edited);
    });

    await t.step("--force takes deno-cni's entry out, keeps the edit, removes both", async () => {
      const report = await uninstall({ ...where, force: true });
      assertOk(report);
      assert.deepEqual(report.lines, [
        `took new-chained out of ${path} (--force: changed by someone else since deno-cni ` +
        `chained into it; the rest stays as it is)`,
        `removed ${path}${BACKUP_SUFFIX} (it would undo a change deno-cni did not make)`,
        `removed ${world.bin}/new-chained`,
        `removed ${world.bin}/old-chained (--force: changed since deno-cni installed it)`,
      ]);
      assert.equal(
        Deno.readTextFileSync(path),
        decoder.decode(original).replace("cni-listnet", "cni-edited"),
        "the original with the other edit, byte for byte",
      );
      assert.deepEqual([...Deno.readDirSync(world.conf)].map((e) => e.name), [
        "10-listnet.conflist",
      ]);
      assert.deepEqual([...Deno.readDirSync(world.bin)].map((e) => e.name), []);
    });
  });
});

Deno.test("uninstall of named plugins keeps the others", async () => {
  await withWorld(async (world) => {
    assertOk(await fakeInstall(world, ["new-chained", "old-chained"]));
    const report = await uninstall({
      binDir: world.bin,
      confDir: world.conf,
      manifest: FAKE_MANIFEST,
      plugins: ["old-chained", "ptp"],
    });
    assertOk(report);
    assert.deepEqual(report.lines, [
      `left ${world.conf} alone: deno-cni chained nothing there`,
      `removed ${world.bin}/old-chained`,
      `left ${world.bin}/ptp alone: not installed by deno-cni`,
    ]);
    const record = JSON.parse(Deno.readTextFileSync(`${world.bin}/${RECORD_NAME}`));
    assert.deepEqual(Object.keys(record.files), ["new-chained"]);
  });
});

// ---------------------------------------------------------------------------------------------
// The command

async function runCli(args: string[]) {
  const output = await new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "--allow-read",
      "--allow-write",
      "--allow-run",
      `${ROOT}/cli/install_node.ts`,
      ...args,
    ],
    env: { DENO_NO_UPDATE_CHECK: "1" },
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).output();
  return {
    code: output.code,
    stdout: decoder.decode(output.stdout),
    stderr: decoder.decode(output.stderr),
  };
}

async function runMain(args: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await main(args, { out: (l) => out.push(l), err: (l) => err.push(l) });
  return { code, out, err };
}

Deno.test("the command's exit status: 0 done, 1 refused or failed, 2 usage", async (t) => {
  await withWorld(async (world) => {
    const base = [
      "--bin-dir",
      world.bin,
      "--conf-dir",
      world.conf,
      "--from",
      world.from,
      "--manifest",
      FAKE_MANIFEST,
    ];
    const usage: [string, string[], RegExp][] = [
      ["no plugin", [], /Name at least one plugin/],
      ["unknown option", ["--bogus", "ptp"], /Unknown option "--bogus"/],
      ["missing value", ["ptp", "--bin-dir"], /argument missing/],
      ["option twice", ["--bin-dir", "/x", "ptp"], /"--bin-dir" is given twice/],
      ["a path for a name", ["../ptp"], /Bad plugin name/],
      ["an unknown name", ["sample"], /Unknown plugin "sample"/],
      ["--set without --chain", ["ptp", "--set", "a=1"], /need "--chain"/],
      [
        "--chain with --uninstall",
        ["--uninstall", "--chain", "ptp"],
        /"--chain" does not go with "--uninstall"/,
      ],
      ["--set type", ["--chain", "ptp", "--set", "type=x"], /"type" is the plugin's name/],
      [
        "an entry of another type",
        ["--chain", "ptp", "--entry", `${world.root}/other.json`],
        /has "type" "bridge", not "ptp"/,
      ],
      [
        "an entry that is not an object",
        ["--chain", "ptp", "--entry", `${world.root}/list.json`],
        /is not a JSON object/,
      ],
    ];
    Deno.writeTextFileSync(`${world.root}/other.json`, '{"type":"bridge"}');
    Deno.writeTextFileSync(`${world.root}/list.json`, "[]");
    for (const [label, args, message] of usage) {
      await t.step(`2: ${label}`, async () => {
        const { code, out, err } = await runMain([...base, ...args]);
        assert.equal(code, 2, err.join("\n"));
        assert.deepEqual(out, []);
        assert.match(err.join("\n"), message);
        assert.deepEqual(snapshot(world.bin), { "<absent>": { mode: 0, bytes: "" } });
      });
    }
    await t.step("0: installed", async () => {
      const { code, out } = await runMain([...base, "ptp"]);
      assert.equal(code, 0);
      assert.deepEqual(out, [`installed ${world.bin}/ptp`]);
    });
    await t.step("1: refused", async () => {
      Deno.writeTextFileSync(`${world.bin}/old-chained`, "x");
      const { code, out } = await runMain([...base, "old-chained", "ptp"]);
      assert.equal(code, 1);
      assert.deepEqual(out, [
        `left ${world.bin}/old-chained alone: not installed by deno-cni (use --force to replace)`,
        `left ${world.bin}/ptp alone: unchanged`,
      ]);
    });
    await t.step("1: a refused install is not chained", async () => {
      Deno.writeTextFileSync(
        `${world.conf}/10-net.conflist`,
        '{"cniVersion":"0.4.0","name":"n","plugins":[{"type":"bridge"}]}',
      );
      const before = snapshot(world.conf);
      const { code, err } = await runMain([...base, "--chain", "old-chained"]);
      assert.equal(code, 1);
      assert.match(err.join("\n"), /Not chaining old-chained/);
      assert.deepEqual(snapshot(world.conf), before);
    });
    await t.step("1: an unsupported version", async () => {
      const { code, err } = await runMain([...base, "--chain", "new-chained"]);
      assert.equal(code, 1);
      assert.match(err.join("\n"), /new-chained does not support cniVersion "0\.4\.0"/);
    });
    await t.step("0: --chain with --entry and --set, as a separate process", async () => {
      const entry = `${world.root}/entry.json`;
      Deno.writeTextFileSync(entry, '{"type":"ptp","mtu":1400,"ipam":{"type":"host-local"}}');
      const { code, stdout, stderr } = await runCli([
        ...base,
        "--chain",
        "ptp",
        "--entry",
        entry,
        "--set",
        "mtu=9000",
        "--set",
        "name-ish=plain text",
      ]);
      assert.equal(code, 0, stderr);
      assert.equal(
        stdout,
        `left ${world.bin}/ptp alone: unchanged\n` +
          `saved ${world.conf}/10-net.conflist as ${world.conf}/10-net.conflist${BACKUP_SUFFIX}\n` +
          `chained ptp into ${world.conf}/10-net.conflist (network "n", cniVersion 0.4.0)\n`,
      );
      assert.deepEqual(
        JSON.parse(Deno.readTextFileSync(`${world.conf}/10-net.conflist`)).plugins[1],
        {
          type: "ptp",
          mtu: 9000,
          ipam: { type: "host-local" },
          "name-ish": "plain text",
        },
      );
    });
    await t.step("--dry-run creates no directory", async () => {
      const bin = `${world.root}/not-yet`;
      const args = ["--bin-dir", bin, "--from", world.from, "--manifest", FAKE_MANIFEST, "ptp"];
      const { code, out } = await runMain([...args, "--dry-run"]);
      assert.equal(code, 0);
      assert.deepEqual(out, [`would install ${bin}/ptp`]);
      assert.throws(() => Deno.statSync(bin), Deno.errors.NotFound);
    });
  });
});

// ---------------------------------------------------------------------------------------------
// Two installers at once

Deno.test("installers running at once neither corrupt the record nor lose a chain", async () => {
  await withWorld(async (world) => {
    const base = [
      "--bin-dir",
      world.bin,
      "--conf-dir",
      world.conf,
      "--from",
      world.from,
      "--manifest",
      FAKE_MANIFEST,
    ];
    Deno.mkdirSync(world.bin);
    // Large enough that the copies overlap in time.
    for (const name of ["old-chained", "new-chained", "ptp"]) {
      const script = Deno.readFileSync(`${world.from}/${name}`);
      const padding = new TextEncoder().encode(`\n# ${"x".repeat(4 << 20)}\n`);
      Deno.writeFileSync(`${world.from}/${name}`, new Uint8Array([...script, ...padding]));
    }
    const sets = [["old-chained"], ["new-chained"], ["ptp"], ["old-chained", "ptp"], [
      "new-chained",
      "old-chained",
    ], ["ptp", "new-chained"]];
    const runs = await Promise.all(sets.map((names) => runCli([...base, ...names])));
    for (const run of runs) assert.equal(run.code, 0, run.stderr);
    const installedLines = runs.flatMap((r) => r.stdout.split("\n")).filter((l) =>
      l.startsWith("installed ")
    );
    assert.equal(
      installedLines.length,
      3,
      "each plugin installed exactly once, the rest unchanged",
    );
    const record = JSON.parse(Deno.readTextFileSync(`${world.bin}/${RECORD_NAME}`));
    assert.deepEqual(Object.keys(record.files).sort(), ["new-chained", "old-chained", "ptp"]);
    assert.deepEqual(
      [...Deno.readDirSync(world.bin)].map((e) => e.name).sort(),
      [RECORD_NAME, "new-chained", "old-chained", "ptp"],
    );

    Deno.writeTextFileSync(
      `${world.conf}/10-net.conflist`,
      '{"cniVersion":"1.0.0","name":"n","plugins":[{"type":"bridge"}]}',
    );
    const chains = await Promise.all(
      ["new-chained", "ptp"].map((name) => runCli([...base, "--chain", name])),
    );
    for (const run of chains) assert.equal(run.code, 0, run.stderr);
    const types = JSON.parse(Deno.readTextFileSync(`${world.conf}/10-net.conflist`)).plugins.map((
      p: { type: string },
    ) => p.type);
    assert.deepEqual(types.slice(0, 1), ["bridge"]);
    assert.deepEqual(types.slice(1).sort(), ["new-chained", "ptp"]);
    const state = JSON.parse(Deno.readTextFileSync(`${world.conf}/${STATE_NAME}`));
    assert.deepEqual(state.plugins.sort(), ["new-chained", "ptp"]);
    const undone = await runCli([...base.slice(0, 4), "--manifest", FAKE_MANIFEST, "--uninstall"]);
    assert.equal(undone.code, 0, undone.stderr);
    assert.equal(
      Deno.readTextFileSync(`${world.conf}/10-net.conflist`),
      '{"cniVersion":"1.0.0","name":"n","plugins":[{"type":"bridge"}]}',
    );
  });
});

// ---------------------------------------------------------------------------------------------
// What deno-cni reads back: the install record and the chain state

const RECORD_FORMAT = "deno-cni installed plugins, version 1";

function digestOf(path: string): string {
  return sha256(Deno.readFileSync(path));
}

Deno.test("uninstall refuses record entries that name anything but a file in --bin-dir", async (t) => {
  const cases: [string, string, (world: World) => void, RegExp][] = [
    ["a path up", "../victim", () => {}, /it contains "\/"/],
    ["an absolute path", "<root>/victim", () => {}, /it contains "\/"/],
    ["a subdirectory", "sub/victim", (world) => {
      Deno.mkdirSync(`${world.bin}/sub`);
      Deno.writeTextFileSync(`${world.bin}/sub/victim`, "victim");
    }, /it contains "\/"/],
    ["a symbolic link to a directory outside", "out/victim", (world) => {
      Deno.symlinkSync(world.root, `${world.bin}/out`);
    }, /it contains "\/"/],
    ["the directory itself", ".", () => {}, /it starts with "\."/],
    ["its parent", "..", () => {}, /it contains "\.\."/],
    ["the record itself", RECORD_NAME, () => {}, /it starts with "\."/],
    ["a NUL byte", "ptp\0victim", () => {}, /it contains a NUL byte/],
    ["a forged line", "x\nremoved ptp", () => {}, /it contains a control character/],
  ];
  for (const force of [false, true]) {
    for (const [label, rawName, setup, reason] of cases) {
      await t.step(`${label}${force ? " (--force)" : ""}`, async () => {
        await withWorld(async (world) => {
          assertOk(await fakeInstall(world, ["ptp"]));
          const name = rawName.replace("<root>", world.root);
          Deno.writeTextFileSync(`${world.root}/victim`, "victim");
          setup(world);
          const recordPath = `${world.bin}/${RECORD_NAME}`;
          const record = JSON.parse(Deno.readTextFileSync(recordPath));
          record.files[name] = { sha256: digestOf(`${world.root}/victim`) };
          Deno.writeTextFileSync(recordPath, JSON.stringify(record));
          const ptp = record.files.ptp;

          const report = await uninstall({
            binDir: world.bin,
            confDir: world.conf,
            manifest: FAKE_MANIFEST,
            force,
          });
          assert.equal(report.ok, false);
          assert.deepEqual(report.errors, []);
          const refusal = report.lines.find((l) => l.startsWith("left the entry "));
          assert.ok(refusal, report.lines.join("\n"));
          assert.ok(
            refusal.startsWith(
              `left the entry ${quoteName(name)} of ${recordPath} alone: a bad plugin name: `,
            ),
            refusal,
          );
          assert.match(refusal, reason);
          assert.ok(!refusal.includes("\n"), "one line");
          assert.ok(report.lines.includes(`removed ${world.bin}/ptp`), "the rest is undone");
          assert.equal(Deno.readTextFileSync(`${world.root}/victim`), "victim");
          if (name === "sub/victim") {
            assert.equal(Deno.readTextFileSync(`${world.bin}/sub/victim`), "victim");
          }
          const after = JSON.parse(Deno.readTextFileSync(recordPath));
          assert.deepEqual(Object.keys(after.files), [name], "the bad entry is kept, as it was");
          assert.notEqual(after.files[name].sha256, ptp.sha256);
        });
      });
    }
  }
});

Deno.test("a record that is a link, not a file or tampered with is never acted on blindly", async (t) => {
  await t.step("a symbolic link to a record elsewhere: refused, nothing removed", async () => {
    await withWorld(async (world) => {
      assertOk(await fakeInstall(world, ["ptp"]));
      const elsewhere = `${world.root}/record.json`;
      Deno.renameSync(`${world.bin}/${RECORD_NAME}`, elsewhere);
      Deno.symlinkSync(elsewhere, `${world.bin}/${RECORD_NAME}`);
      const before = { ...snapshotWorld(world), elsewhere: Deno.readTextFileSync(elsewhere) };
      const report = await uninstall({
        binDir: world.bin,
        confDir: world.conf,
        manifest: FAKE_MANIFEST,
        force: true,
      });
      assert.equal(report.ok, false);
      assert.deepEqual(report.errors, [
        `The install record "${world.bin}/${RECORD_NAME}" is a symbolic link, not a file`,
      ]);
      assert.deepEqual(
        { ...snapshotWorld(world), elsewhere: Deno.readTextFileSync(elsewhere) },
        before,
      );
    });
  });

  await t.step("a named uninstall reports a broken record, and throws nothing", async () => {
    await withWorld(async (world) => {
      Deno.mkdirSync(`${world.bin}/${RECORD_NAME}`, { recursive: true });
      const { code, out, err } = await runMain([
        "--uninstall",
        "--bin-dir",
        world.bin,
        "--conf-dir",
        world.conf,
        "--manifest",
        FAKE_MANIFEST,
        "ptp",
      ]);
      assert.equal(code, 1);
      assert.deepEqual(out, [`left ${world.conf} alone: deno-cni chained nothing there`]);
      assert.deepEqual(err, [
        `install-node: The install record "${world.bin}/${RECORD_NAME}" is a directory, not a file`,
      ]);
    });
  });

  await t.step("a directory in its place: refused", async () => {
    await withWorld(async (world) => {
      Deno.mkdirSync(`${world.bin}/${RECORD_NAME}`, { recursive: true });
      const report = await uninstall({
        binDir: world.bin,
        confDir: world.conf,
        manifest: FAKE_MANIFEST,
      });
      assert.deepEqual(report.errors, [
        `The install record "${world.bin}/${RECORD_NAME}" is a directory, not a file`,
      ]);
    });
  });

  await t.step("an entry without a digest is refused, the others are undone", async () => {
    await withWorld(async (world) => {
      assertOk(await fakeInstall(world, ["ptp", "old-chained"]));
      const recordPath = `${world.bin}/${RECORD_NAME}`;
      const record = JSON.parse(Deno.readTextFileSync(recordPath));
      record.files["old-chained"] = { sha256: "not a digest" };
      Deno.writeTextFileSync(recordPath, JSON.stringify(record));
      const report = await uninstall({
        binDir: world.bin,
        confDir: world.conf,
        manifest: FAKE_MANIFEST,
      });
      assert.equal(report.ok, false);
      assert.deepEqual(report.lines, [
        `left ${world.conf} alone: deno-cni chained nothing there`,
        `left the entry "old-chained" of ${recordPath} alone: no SHA-256 digest`,
        `removed ${world.bin}/ptp`,
      ]);
      assert.ok(Deno.statSync(`${world.bin}/old-chained`).isFile);
      assert.deepEqual(JSON.parse(Deno.readTextFileSync(recordPath)), {
        format: RECORD_FORMAT,
        files: { "old-chained": { sha256: "not a digest" } },
      });
    });
  });

  await t.step("a plugin replaced by a symbolic link stays, even with --force", async () => {
    await withWorld(async (world) => {
      assertOk(await fakeInstall(world, ["ptp"]));
      Deno.writeTextFileSync(`${world.root}/victim`, "victim");
      Deno.removeSync(`${world.bin}/ptp`);
      Deno.symlinkSync(`${world.root}/victim`, `${world.bin}/ptp`);
      const report = await uninstall({
        binDir: world.bin,
        confDir: world.conf,
        manifest: FAKE_MANIFEST,
        force: true,
      });
      assert.deepEqual(report.lines.slice(1), [
        `left ${world.bin}/ptp alone: it is a symbolic link now, not the file deno-cni installed`,
      ]);
      assert.equal(Deno.readLinkSync(`${world.bin}/ptp`), `${world.root}/victim`);
      assert.equal(Deno.readTextFileSync(`${world.root}/victim`), "victim");
    });
  });
});

Deno.test("uninstall refuses a chain state that names files deno-cni never writes", async (t) => {
  type Tamper = (state: Record<string, unknown>, world: World) => void;
  const other = "20-other.conflist";
  const cases: [string, Tamper, RegExp][] = [
    ["a backup that is someone else's network", (state, world) => {
      state.backup = other;
      state.originalSha256 = digestOf(`${world.conf}/${other}`);
    }, /its backup is not the original's name with/],
    ["an active file that is someone else's network", (state, world) => {
      state.active = other;
      state.activeSha256 = digestOf(`${world.conf}/${other}`);
    }, /its active file is neither the original nor the \.conflist it became/],
    ["an original outside the directory", (state) => {
      state.original = "../10-net.conflist";
    }, /its original is not a network file name/],
    ["an original that is not a network file", (state) => {
      state.original = STATE_NAME;
      state.backup = STATE_NAME + BACKUP_SUFFIX;
      state.active = STATE_NAME;
    }, /its original is not a network file name/],
    ["a NUL byte", (state) => {
      state.original = "10-net.conflist\0";
    }, /its original is not a network file name/],
    ["a newline, which would forge report lines", (state) => {
      state.original = "a\nrestored everything\n10-net.conflist";
      state.backup = state.original + BACKUP_SUFFIX;
      state.active = state.original;
    }, /its original is not a network file name/],
    ["a bad plugin name", (state) => {
      state.plugins = ["../ptp"];
    }, /the plugin name "\.\.\/ptp" is bad/],
  ];
  for (const [label, tamper, message] of cases) {
    await t.step(label, async () => {
      await withWorld(async (world) => {
        Deno.writeTextFileSync(
          `${world.conf}/10-net.conflist`,
          '{"cniVersion":"1.0.0","name":"n","plugins":[{"type":"bridge"}]}',
        );
        Deno.writeTextFileSync(
          `${world.conf}/${other}`,
          '{"cniVersion":"1.0.0","name":"other","plugins":[{"type":"loopback"}]}',
        );
        assertOk(await fakeInstall(world, ["ptp"]));
        const where = { binDir: world.bin, confDir: world.conf, manifest: FAKE_MANIFEST };
        assertOk(await chainPlugin({ ...where, plugin: "ptp" }));
        const statePath = `${world.conf}/${STATE_NAME}`;
        const state = JSON.parse(Deno.readTextFileSync(statePath));
        tamper(state, world);
        Deno.writeTextFileSync(statePath, JSON.stringify(state));
        const before = snapshotWorld(world);
        const report = await uninstall({ ...where, force: true });
        assert.equal(report.ok, false);
        assert.equal(report.errors.length, 1, report.errors.join("\n"));
        assert.match(report.errors[0]!, new RegExp(`^The chain state "${statePath}" is refused: `));
        assert.match(report.errors[0]!, message);
        assert.deepEqual(snapshotWorld(world), before, "nothing touched, plugins included");
      });
    });
  }
  await t.step("a state that is a symbolic link is refused", async () => {
    await withWorld(async (world) => {
      Deno.writeTextFileSync(
        `${world.conf}/10-net.conflist`,
        '{"cniVersion":"1.0.0","name":"n","plugins":[{"type":"bridge"}]}',
      );
      assertOk(await fakeInstall(world, ["ptp"]));
      const where = { binDir: world.bin, confDir: world.conf, manifest: FAKE_MANIFEST };
      assertOk(await chainPlugin({ ...where, plugin: "ptp" }));
      Deno.renameSync(`${world.conf}/${STATE_NAME}`, `${world.root}/state`);
      Deno.symlinkSync(`${world.root}/state`, `${world.conf}/${STATE_NAME}`);
      const before = snapshotWorld(world);
      const report = await uninstall(where);
      assert.deepEqual(report.errors, [
        `The chain state "${world.conf}/${STATE_NAME}" is a symbolic link, not a file`,
      ]);
      assert.deepEqual(snapshotWorld(world), before);
    });
  });
});

// ---------------------------------------------------------------------------------------------
// Chaining edits the text

/** The text added to `before` to make `after`, or undefined when more than one run differs. */
function insertedText(before: string, after: string): string | undefined {
  let start = 0;
  while (start < before.length && before[start] === after[start]) start++;
  let end = 0;
  while (
    end < before.length - start && before[before.length - 1 - end] === after[after.length - 1 - end]
  ) end++;
  if (start + end !== before.length) return undefined;
  return after.slice(start, after.length - end);
}

const BYTE_NETWORKS: [string, string, boolean][] = [
  [
    "integers beyond 2^53",
    '{"cniVersion":"1.0.0","name":"big","plugins":[{"type":"bridge","a":9007199254740993,' +
    '"b":18446744073709551615,"c":-9223372036854775808,"ipam":{"type":"host-local",' +
    '"subnet":"10.1.0.0/24"}}]}',
    true,
  ],
  [
    "floats as written",
    '{\n  "cniVersion": "1.0.0",\n  "name": "floats",\n  "plugins": [\n    {\n      "type": ' +
    '"bridge",\n      "huge": 1e400,\n      "one": 1.0,\n      "tiny": 5e-324,\n' +
    '      "neg": -0.0\n    }\n  ]\n}\n',
    false,
  ],
  [
    "escapes, duplicate keys, nested arrays, odd white space",
    '\r\n{ "cniVersion" : "1.0.0" ,\r\n\t"name":"odd",\r\n\t"plugins":[{"type":"x"}],\r\n' +
    '\t"plugin\\u0073":\t[\r\n\t\t{"type":"bridge","t":"\\u00e9\\ud83d\\ude00\\/","k":1,"k":2,' +
    '"m":[[1,[2,[3.50]]],[]]}   ,\r\n\t\t{ "type" : "portmap", "capabilities": {"portMappings"' +
    ':true} }\r\n\t], "zzz": [{}] }\r\n',
    true,
  ],
];

Deno.test("chaining refuses a network file whose name has a control character", async () => {
  await withWorld(async (world) => {
    Deno.writeTextFileSync(
      `${world.conf}/10-a\nb.conflist`,
      '{"cniVersion":"1.0.0","name":"n","plugins":[{"type":"bridge"}]}',
    );
    assertOk(await fakeInstall(world, ["ptp"]));
    const before = snapshotWorld(world);
    const where = { binDir: world.bin, confDir: world.conf, manifest: FAKE_MANIFEST };
    const report = await chainPlugin({ ...where, plugin: "ptp" });
    assert.equal(report.ok, false);
    assert.match(
      report.errors.join("\n"),
      /The network file "10-a\\nb\.conflist" in ".*" has a name deno-cni cannot record/,
    );
    assert.deepEqual(snapshotWorld(world), before);
  });
});

Deno.test("chaining adds its entry and keeps every other byte of the network", async (t) => {
  const loader = await buildLoader();
  for (const [label, text, libcniLoads] of BYTE_NETWORKS) {
    await t.step(label, async () => {
      await withWorld(async (world) => {
        const path = `${world.conf}/10-net.conflist`;
        Deno.writeTextFileSync(path, text);
        assertOk(await fakeInstall(world, ["ptp"]));
        const before = snapshotWorld(world);
        const where = { binDir: world.bin, confDir: world.conf, manifest: FAKE_MANIFEST };
        const entry = buildEntry("ptp", {}, parseSetPairs(["limit=18446744073709551615"]));
        assertOk(await chainPlugin({ ...where, plugin: "ptp", entry }));
        const after = Deno.readTextFileSync(path);
        const added = insertedText(text, after);
        assert.ok(added !== undefined, `more than the entry changed:\n${after}`);
        assert.match(added, /^,\s*\{\s*"type": ?"ptp",\s*"limit": ?18446744073709551615\s*\}$/);
        assert.deepEqual(JSON.parse(after).plugins.at(-1), { type: "ptp", limit: 2 ** 64 });
        if (libcniLoads && typeof loader === "string") {
          const loaded = await load(loader, world.conf);
          assert.equal(loaded.error, undefined);
          assert.equal(loaded.first?.types.at(-1), "ptp");
        }

        const again = await chainPlugin({ ...where, plugin: "ptp", entry });
        assert.match(again.lines[0]!, /ptp is already chained/);
        const other = await chainPlugin({
          ...where,
          plugin: "ptp",
          entry: buildEntry("ptp", {}, parseSetPairs(["limit=18446744073709551614"])),
        });
        assert.equal(other.ok, false);
        assert.match(other.lines[0]!, /it has a "ptp" entry with other settings/);

        assertOk(await uninstall(where));
        assert.deepEqual(snapshot(world.conf), before.conf, "uninstall restores byte for byte");
      });
    });
  }

  await t.step("a one-plugin .conf is wrapped with its object's exact bytes", async () => {
    await withWorld(async (world) => {
      const object = '{\n\t"cniVersion": "1.0.0", "name": "single", "type": "bridge",\n\t' +
        '"big": 18446744073709551615, "one": 1.0, "t": "\\u00e9"\n}';
      Deno.writeTextFileSync(`${world.conf}/10-net.conf`, `${object}\n`);
      assertOk(await fakeInstall(world, ["ptp"]));
      const before = snapshotWorld(world);
      const where = { binDir: world.bin, confDir: world.conf, manifest: FAKE_MANIFEST };
      assertOk(await chainPlugin({ ...where, plugin: "ptp" }));
      const list = Deno.readTextFileSync(`${world.conf}/10-net.conflist`);
      assert.ok(list.includes(object), list);
      assert.deepEqual(JSON.parse(list).plugins.map((p: { type: string }) => p.type), [
        "bridge",
        "ptp",
      ]);
      if (typeof loader === "string") {
        assert.deepEqual((await load(loader, world.conf)).first?.types, ["bridge", "ptp"]);
      }
      assertOk(await uninstall(where));
      assert.deepEqual(snapshot(world.conf), before.conf);
    });
  });
  if (typeof loader !== "string") {
    await t.step({ name: `libcni checks skipped: ${loader.skip}`, ignore: true, fn() {} });
  }
});

// ---------------------------------------------------------------------------------------------
// Over someone else's change

Deno.test("chaining again over someone else's change takes a fresh backup that keeps it", async (t) => {
  const original =
    '{"cniVersion":"1.0.0","name":"n","plugins":[{"type":"bridge","bridge":"cni0"}]}';
  const cases: [string, string, (chained: string) => string, string[], string][] = [
    [
      "they rewrote it and dropped the entry",
      "10-net.conflist",
      () =>
        '{\n  "cniVersion": "1.0.0",\n  "name": "n",\n  "plugins": [{"type": "bridge", ' +
        '"bridge": "theirs", "mtu": 18446744073709551615}]\n}\n',
      [
        "saved <active> as <backup> (--force: changed by someone else since deno-cni chained " +
        "into it)",
        'chained ptp into <active> (network "n", cniVersion 1.0.0)',
      ],
      "<theirs>",
    ],
    [
      "they edited it and kept the entry",
      "10-net.conflist",
      (chained) => chained.replace('"cni0"', '"theirs"'),
      [
        "saved <active> as <backup>, without the entries of ptp (--force: changed by someone " +
        "else since deno-cni chained into it)",
        "left <active> alone: ptp is already chained " +
        '(network "n", cniVersion 1.0.0)',
      ],
      original.replace('"cni0"', '"theirs"'),
    ],
    [
      "a .conf made a .conflist, then rewritten by them",
      "10-net.conf",
      () => '{"cniVersion":"1.0.0","name":"n","plugins":[{"type":"bridge","bridge":"theirs"}]}',
      [
        "saved <active> as <backup> (--force: changed by someone else since deno-cni chained " +
        "into it)",
        'chained ptp into <active> (network "n", cniVersion 1.0.0)',
        "removed <old backup> (<backup> is the backup now)",
      ],
      "<theirs>",
    ],
  ];
  for (const [label, file, rewrite, expected, restored] of cases) {
    await t.step(label, async () => {
      await withWorld(async (world) => {
        const single = '{"cniVersion":"1.0.0","name":"n","type":"bridge","bridge":"cni0"}';
        Deno.writeTextFileSync(`${world.conf}/${file}`, file.endsWith(".conf") ? single : original);
        assertOk(await fakeInstall(world, ["ptp"]));
        const where = { binDir: world.bin, confDir: world.conf, manifest: FAKE_MANIFEST };
        assertOk(await chainPlugin({ ...where, plugin: "ptp" }));
        const active = `${world.conf}/10-net.conflist`;
        const theirs = rewrite(Deno.readTextFileSync(active));
        Deno.writeTextFileSync(active, theirs);

        const dry = await chainPlugin({ ...where, plugin: "ptp", force: true, dryRun: true });
        const report = await chainPlugin({ ...where, plugin: "ptp", force: true });
        assertOk(report);
        const lines = expected.map((l) =>
          l.replaceAll("<active>", active).replaceAll("<backup>", `${active}${BACKUP_SUFFIX}`)
            .replaceAll("<old backup>", `${world.conf}/${file}${BACKUP_SUFFIX}`)
        );
        assert.deepEqual(report.lines, lines);
        assert.deepEqual(dry.lines, wouldLines(report.actions));
        assert.match(Deno.readTextFileSync(active), /"ptp"/);

        const undone = await uninstall(where);
        assertOk(undone);
        assert.deepEqual(undone.lines, [
          `restored ${active} from ${active}${BACKUP_SUFFIX}`,
          `removed ${world.bin}/ptp`,
        ]);
        assert.equal(
          Deno.readTextFileSync(active),
          restored === "<theirs>" ? theirs : restored,
          "their change kept, byte for byte, and only deno-cni's entry gone",
        );
        assert.deepEqual([...Deno.readDirSync(world.conf)].map((e) => e.name), [
          "10-net.conflist",
        ]);
      });
    });
  }
});

Deno.test("uninstall --force never puts back what someone else replaced", async (t) => {
  await t.step("a .conf that exists again stays, and deno-cni's .conflist goes", async () => {
    await withWorld(async (world) => {
      Deno.copyFileSync(`${FIXTURES}/10-bridge.conf`, `${world.conf}/10-bridge.conf`);
      assertOk(await fakeInstall(world, ["new-chained"]));
      const where = { binDir: world.bin, confDir: world.conf, manifest: FAKE_MANIFEST };
      assertOk(await chainPlugin({ ...where, plugin: "new-chained" }));
      const theirs = '{"cniVersion":"1.0.0","name":"theirs","type":"bridge"}';
      Deno.writeTextFileSync(`${world.conf}/10-bridge.conf`, theirs);
      const refused = await uninstall(where);
      assert.equal(refused.ok, false);
      assert.match(refused.lines[0]!, /10-bridge\.conf exists again \(use --force to remove/);
      const report = await uninstall({ ...where, force: true });
      assertOk(report);
      const list = `${world.conf}/10-bridge.conflist`;
      assert.deepEqual(report.lines, [
        `removed ${list} (--force: ${world.conf}/10-bridge.conf exists again, and stays)`,
        `removed ${world.conf}/10-bridge.conf${BACKUP_SUFFIX} (it would undo a change ` +
        `deno-cni did not make)`,
        `removed ${world.bin}/new-chained`,
      ]);
      assert.equal(Deno.readTextFileSync(`${world.conf}/10-bridge.conf`), theirs);
      assert.deepEqual([...Deno.readDirSync(world.conf)].map((e) => e.name), ["10-bridge.conf"]);
    });
  });

  await t.step("a network someone removed stays removed", async () => {
    await withWorld(async (world) => {
      const path = `${world.conf}/10-listnet.conflist`;
      Deno.copyFileSync(`${FIXTURES}/10-listnet.conflist`, path);
      assertOk(await fakeInstall(world, ["new-chained"]));
      const where = { binDir: world.bin, confDir: world.conf, manifest: FAKE_MANIFEST };
      assertOk(await chainPlugin({ ...where, plugin: "new-chained" }));
      Deno.removeSync(path);
      const refused = await uninstall(where);
      assert.equal(refused.ok, false);
      assert.equal(
        refused.lines[0],
        `left ${path} alone: removed by someone else since deno-cni chained new-chained into it ` +
          `(use --force to leave it so and drop the backup)`,
      );
      const report = await uninstall({ ...where, force: true });
      assertOk(report);
      assert.deepEqual(report.lines, [
        `left ${path} alone: removed by someone else (--force: nothing to take out)`,
        `removed ${path}${BACKUP_SUFFIX} (it would undo a change deno-cni did not make)`,
        `removed ${world.bin}/new-chained`,
      ]);
      assert.deepEqual([...Deno.readDirSync(world.conf)], []);
    });
  });

  await t.step("with its backup gone, only deno-cni's entry is taken out", async () => {
    await withWorld(async (world) => {
      const text = Deno.readTextFileSync(`${FIXTURES}/10-listnet.conflist`);
      const path = `${world.conf}/10-listnet.conflist`;
      Deno.writeTextFileSync(path, text);
      assertOk(await fakeInstall(world, ["new-chained"]));
      const where = { binDir: world.bin, confDir: world.conf, manifest: FAKE_MANIFEST };
      assertOk(await chainPlugin({ ...where, plugin: "new-chained" }));
      Deno.removeSync(`${path}${BACKUP_SUFFIX}`);
      const report = await uninstall({ ...where, force: true });
      assertOk(report);
      assert.deepEqual(report.lines, [
        `took new-chained out of ${path} (--force: the backup ${path}${BACKUP_SUFFIX} is ` +
        `missing or changed; the rest stays as it is)`,
        `removed ${world.bin}/new-chained`,
      ]);
      assert.equal(Deno.readTextFileSync(path), text);
    });
  });
});

// ---------------------------------------------------------------------------------------------
// Names that are not UTF-8

/**
 * Writes `text` into `dir` under `name`, where `\xNN` stands for a raw byte, so the name need
 * not be UTF-8 (Deno takes only strings as paths). The name's escapes are the test's own; the
 * directory and the text are passed as arguments, never as command text.
 */
async function writeRawName(dir: string, name: string, text: string): Promise<void> {
  const octal = name.replace(
    /\\x([0-9a-f]{2})/gi,
    (_, hex: string) => `\\${parseInt(hex, 16).toString(8).padStart(3, "0")}`,
  );
  const output = await new Deno.Command("/bin/sh", {
    args: ["-c", 'cd "$1" && printf "%s" "$3" > "$(printf "$2")"', "sh", dir, octal, text],
    stderr: "piped",
  }).output();
  assert.ok(output.success, decoder.decode(output.stderr));
}

Deno.test("a configuration file whose name is not UTF-8 is skipped, or refused when it may be first", async (t) => {
  const loader = await buildLoader();
  const network = (name: string) =>
    JSON.stringify({ cniVersion: "1.0.0", name, plugins: [{ type: "bridge" }] });
  const single = (name: string) => JSON.stringify({ cniVersion: "1.0.0", name, type: "bridge" });
  // [label, raw name, its name as Deno reports it, the valid file, chained or the refusal]
  const cases: [string, string, string, string, RegExp | undefined][] = [
    [
      "it sorts after the network: skipped",
      "9\\xff.conf",
      "9\ufffd.conf",
      "10-net.conflist",
      undefined,
    ],
    [
      "it sorts first: refused",
      "0\\xff.conf",
      "0\ufffd.conf",
      "10-net.conflist",
      /"0\\ufffd\.conf" in ".*" has a name that is not valid UTF-8 and may be the network runtimes load first \(before "10-net\.conflist"\): rename or remove it/,
    ],
    [
      "its order is not known: refused",
      "1\\x80.conf",
      "1\ufffd.conf",
      "1\u00e9.conflist",
      /"1\\ufffd\.conf" .* may be the network runtimes load first \(before "1\u00e9\.conflist"\)/,
    ],
    [
      "it is the only one: refused",
      "\\xff.conf",
      "\ufffd.conf",
      "",
      /"\\ufffd\.conf" .* may be the network runtimes load first: rename/,
    ],
  ];
  for (const [label, raw, reported, valid, refusal] of cases) {
    await t.step(label, async () => {
      await withWorld(async (world) => {
        await writeRawName(world.conf, raw, single("lossy"));
        if (valid) Deno.writeTextFileSync(`${world.conf}/${valid}`, network("valid"));
        assertOk(await fakeInstall(world, ["ptp"]));
        const before = snapshotWorld(world);
        const report = await chainPlugin({
          plugin: "ptp",
          binDir: world.bin,
          confDir: world.conf,
          manifest: FAKE_MANIFEST,
        });
        const warning = `left ${world.conf}/${quoteName(reported)} alone: its name is not ` +
          `valid UTF-8, so deno-cni skips it`;
        assert.equal(report.lines[0], warning);
        if (refusal === undefined) {
          assertOk(report);
          assert.deepEqual(report.lines.slice(1), [
            `saved ${world.conf}/${valid} as ${world.conf}/${valid}${BACKUP_SUFFIX}`,
            `chained ptp into ${world.conf}/${valid} (network "valid", cniVersion 1.0.0)`,
          ]);
        } else {
          assert.equal(report.ok, false);
          assert.equal(report.errors.length, 1);
          assert.match(report.errors[0]!, refusal);
          assert.deepEqual(snapshotWorld(world), before);
        }
        if (typeof loader === "string") {
          // libcni loads by byte order: the file it loads first is the one the installer chose,
          // or, when the installer refuses, may be the one whose name is not UTF-8.
          const first = (await load(loader, world.conf)).first?.file;
          if (refusal === undefined) assert.equal(first, valid);
          if (label.startsWith("it sorts first")) assert.equal(first, reported);
        }
      });
    });
  }

  await t.step("a .conf is not promoted before a name that is not UTF-8 may sort", async () => {
    await withWorld(async (world) => {
      Deno.copyFileSync(`${FIXTURES}/10-bridge.conf`, `${world.conf}/10-bridge.conf`);
      await writeRawName(world.conf, "10-bridge.conf.\\xff.json", single("lossy"));
      assertOk(await fakeInstall(world, ["new-chained"]));
      const before = snapshotWorld(world);
      const report = await chainPlugin({
        plugin: "new-chained",
        binDir: world.bin,
        confDir: world.conf,
        manifest: FAKE_MANIFEST,
      });
      assert.equal(report.ok, false);
      assert.deepEqual(report.lines.slice(1), [
        `left ${world.conf}/10-bridge.conf alone: as ${world.conf}/10-bridge.conflist it might ` +
        `not be loaded first ("10-bridge.conf.\\ufffd.json", whose name is not valid UTF-8, may ` +
        `sort before it)`,
      ]);
      assert.deepEqual(snapshotWorld(world), before);
    });
  });
  if (typeof loader !== "string") {
    await t.step({ name: `libcni checks skipped: ${loader.skip}`, ignore: true, fn() {} });
  }
});
